"""The CPU floor of each workload: its FFT work and histogram work counted, and
the time that work needs on this machine's cores.

What gPAC's CPU path has to do for S signals of n samples, P phase and A
amplitude bands (float32 input: phases in float64, amplitudes in float32):

* FFTs. Per signal, one real forward transform of the odd-extended signal
  (n_fft = next 5-smooth length of n + 2 p, p = the longest filter's order),
  in float64. Per (signal, band) row, in the row's precision: the inverse
  real transform on the extended grid (the band signal), a forward real
  transform of the n retained samples on the 5-smooth grid n5, and an inverse
  real transform of the spectrum times -i (the Hilbert transform's imaginary
  part). The time floor is the count of each transform times MKL's time for
  one such transform (measured here through torch.fft, batched, one thread),
  divided by the number of cores.
* Histograms. TensorPAC's definition is S P A n updates (one amplitude sample
  added to one of 18 bins per phase band). gPAC adds each amplitude sample
  once into a running sum and then pays, for each run of equal phase bins in
  a phase row, one subtraction and one addition per amplitude band:
  S A n + 2 A R additions, with R the number of runs over all phase rows
  (counted here on the workload's own signal). The time floor is that count at
  this machine's measured double-precision add rate (a cache-resident a += b,
  one core) times the number of cores.

Everything else (odd extension, spectrum x |B|^2, the -i multiply, the
phase bin or amplitude of each sample) is linear in the rows and is not
counted in the floor; `bench_cpu.py`'s measured time minus the floor is what
it and the threading cost.

With ``--with-gpac`` each workload is measured in ``--rounds`` rounds, each
re-timing the transforms and the add rate and then timing gPAC itself
(``gpac.modulation_index``, float32, on all the cores, median of a tight loop),
so that gPAC's time and its floor come from the same minutes of a machine whose
speed drifts (this one's per-transform times moved by up to 60 % within an hour).

    .venv/bin/python benchmarks/floors_cpu.py [--workloads small medium] [--with-gpac] [--out results.json]
"""
from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import gpac

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, wall_median, write_results  # noqa: E402

FS = 512.0
WORKLOADS = {
    "small": dict(n_channels=1, seconds=1, bands="lres"),
    "medium": dict(n_channels=8, seconds=4, bands="lres"),
    "large": dict(n_channels=16, seconds=60, bands="lres"),
    "medium-50x50": dict(n_channels=8, seconds=4, bands="hres"),
    "large-50x50": dict(n_channels=16, seconds=60, bands="hres"),
}
N_BINS = 18


def next_fast_len(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (csrc/filter_design.cpp's next_fast_len)."""
    best = None
    p5 = 1
    while best is None or p5 < best:
        p35 = p5
        while best is None or p35 < best:
            v = p35
            while v < n:
                v *= 2
            best = v if best is None else min(best, v)
            if p35 >= n:
                break
            p35 *= 3
        p5 *= 5
    return best


def per_transform_seconds(kind: str, n: int, dtype: torch.dtype, rows: int = 64) -> float:
    """One thread's median time for one real transform of length n (forward 'r2c' or inverse 'c2r')."""
    if kind == "r2c":
        x = torch.randn(rows, n, dtype=dtype)
        fn = lambda: torch.fft.rfft(x, n)  # noqa: E731
    else:
        x = torch.randn(rows, n // 2 + 1, dtype=torch.complex128 if dtype == torch.float64 else torch.complex64)
        fn = lambda: torch.fft.irfft(x, n)  # noqa: E731
    return wall_median(fn, 15) / rows


def add_rate_per_core() -> float:
    """Double-precision additions per second on one core (a += b on 16 Ki doubles, in cache)."""
    a, b = np.zeros(16384), np.ones(16384)
    reps = 2000
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(reps):
            np.add(a, b, out=a)
        best = min(best, time.perf_counter() - start)
    return a.size * reps / best


def count_runs(x: torch.Tensor, pha_taps: torch.Tensor) -> int:
    """Runs of equal phase bins over all (signal, phase band) rows."""
    phase, _ = torch.ops.gpac.filter_hilbert(x.double(), pha_taps, pha_taps[:1])
    edges = np.linspace(-np.pi, np.pi, N_BINS + 1)
    bins = np.clip(np.digitize(phase.numpy(), edges) - 1, 0, N_BINS - 1)
    return int(bins.shape[0] * bins.shape[1] + np.count_nonzero(np.diff(bins, axis=-1)))


def taps_for(fs: float, bands: torch.Tensor, n_times: int, cycle: int) -> torch.Tensor:
    return torch.ops.gpac.fir_taps(fs, bands[:, 0].tolist(), bands[:, 1].tolist(), n_times, cycle)


def floor(name: str, spec: dict, cores: int, add_rate: float) -> dict:
    S, n = spec["n_channels"], int(spec["seconds"] * FS)
    pha, amp = gpac.preset_bands(spec["bands"], "phase"), gpac.preset_bands(spec["bands"], "amplitude")
    pha_taps, amp_taps = taps_for(FS, pha, n, 3), taps_for(FS, amp, n, 6)
    p = max(pha_taps.shape[1], amp_taps.shape[1]) - 1
    n_fft, n5 = next_fast_len(n + 2 * p), next_fast_len(n)
    P, A = len(pha), len(amp)
    t = {(k, m, d): per_transform_seconds(k, m, d) for k in ("r2c", "c2r") for m in (n_fft, n5)
         for d in (torch.float64, torch.float32)}
    f64, f32 = torch.float64, torch.float32
    row = lambda d: t["c2r", n_fft, d] + t["r2c", n5, d] + t["c2r", n5, d]  # noqa: E731
    fft_s = (S * t["r2c", n_fft, f64] + S * P * row(f64) + S * A * row(f32)) / cores
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((S, n)))
    runs = count_runs(x, pha_taps)
    adds = S * A * n + 2 * A * runs
    hist_s = adds / (add_rate * cores)
    return {
        "name": name, "n_channels": S, "n_times": n, "n_pha": P, "n_amp": A, "n_fft": n_fft, "n5": n5,
        "transforms": {"r2c_extended_f64": S, "rows_f64": S * P, "rows_f32": S * A,
                       "per_row": "c2r n_fft + r2c n5 + c2r n5"},
        "transform_seconds_one_thread": {f"{k}-{m}-{str(d).split('.')[-1]}": v for (k, m, d), v in t.items()},
        "fft_floor_s": fft_s,
        "histogram_updates": S * P * A * n, "phase_runs": runs, "histogram_adds": adds,
        "histogram_floor_s": hist_s, "floor_s": fft_s + hist_s,
    }


GPAC_CALLS = {"small": 200, "medium": 50, "large": 5, "medium-50x50": 10, "large-50x50": 3}


def gpac_seconds(name: str, spec: dict, cores: int) -> float:
    """gPAC's float32 MI on `cores` threads: the median of a tight loop after a warm-up call."""
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(
        (spec["n_channels"], int(spec["seconds"] * FS))).astype(np.float32))
    pha, amp = gpac.preset_bands(spec["bands"], "phase"), gpac.preset_bands(spec["bands"], "amplitude")
    threads = torch.get_num_threads()
    torch.set_num_threads(cores)
    try:
        return wall_median(lambda: gpac.modulation_index(x, FS, pha, amp), GPAC_CALLS[name])
    finally:
        torch.set_num_threads(threads)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-cpu-floors.json)")
    parser.add_argument("--with-gpac", action="store_true", help="time gPAC beside each floor, in rounds")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per workload with --with-gpac")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    cores = torch.get_num_threads()
    torch.set_num_threads(1)  # per-transform times on one thread; the floor divides by the cores
    rate = add_rate_per_core()
    results = {"device": "cpu", "cores": cores, "torch": torch.__version__, "commit": git_commit(),
               "date": datetime.date.today().isoformat(), "add_rate_per_core": rate,
               "command": "python benchmarks/floors_cpu.py --workloads " + " ".join(args.workloads)
               + (f" --with-gpac --rounds {args.rounds}" if args.with_gpac else ""),
               "workloads": []}
    print(f"{cores} cores, {rate / 1e9:.2f} G float64 adds/s per core")
    print(f"{'workload':<14}{'n_fft':>7}{'n5':>7}{'FFT floor ms':>14}{'updates':>10}{'adds':>10}"
          f"{'hist floor ms':>15}{'floor ms':>10}")
    for name in args.workloads:
        r = floor(name, WORKLOADS[name], cores, rate)
        results["workloads"].append(r)
        print(f"{name:<14}{r['n_fft']:>7}{r['n5']:>7}{r['fft_floor_s'] * 1e3:>14.3f}{r['histogram_updates']:>10.2e}"
              f"{r['histogram_adds']:>10.2e}{r['histogram_floor_s'] * 1e3:>15.3f}{r['floor_s'] * 1e3:>10.3f}",
              flush=True)
    if args.with_gpac:
        print(f"{'workload':<14}{'round':>6}{'floor ms':>10}{'gpac f32 ms':>13}{'ratio':>7}{'above ms':>10}")
        results["gpac_rounds"] = []
        for name in args.workloads:
            rounds = []
            for k in range(args.rounds):
                f = floor(name, WORKLOADS[name], cores, add_rate_per_core())
                g = gpac_seconds(name, WORKLOADS[name], cores)
                rounds.append({"floor_s": f["floor_s"], "fft_floor_s": f["fft_floor_s"],
                               "histogram_floor_s": f["histogram_floor_s"], "gpac_float32_s": g,
                               "ratio": g / f["floor_s"], "above_s": g - f["floor_s"]})
                print(f"{name:<14}{k:>6}{f['floor_s'] * 1e3:>10.3f}{g * 1e3:>13.3f}{g / f['floor_s']:>7.2f}"
                      f"{(g - f['floor_s']) * 1e3:>10.3f}", flush=True)
            results["gpac_rounds"].append({"name": name, "rounds": rounds,
                                           "median_ratio": statistics.median(r["ratio"] for r in rounds),
                                           "median_above_s": statistics.median(r["above_s"] for r in rounds)})
    write_results(results, args.out, f"{results['date']}-cpu-floors-{cores}cores.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
