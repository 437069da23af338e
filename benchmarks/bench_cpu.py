"""gPAC (CPU) and TensorPAC side by side, in one process, on the seed workloads.

Workloads (docs/benchmarks.md): fs 512 Hz, 10 phase x 10 amplitude bands over 2-20 /
60-160 Hz (TensorPAC's 'lres'): small 1 ch x 1 s, medium 8 ch x 4 s, large
16 ch x 60 s; plus medium at 50 x 50 bands ('hres'). TensorPAC runs as
``Pac(idpac=(2, 0, 0), dcomplex='hilbert', n_bins=18).filterfit(..., n_perm=0)``
at its faster of ``n_jobs=1`` and ``n_jobs=-1``. Rounds alternate between the two
libraries on the same signals, each runner making a block of consecutive calls
(5 on small and medium, 2 on medium-50x50, 1 on large); each figure is the median
of the timed calls after one warm-up round. A block's first call follows the
other library's last (TensorPAC's ``n_jobs=-1`` leaves its threads spinning), so
the median of the first calls is recorded beside it: the interference rows
below measure that effect on purpose.

Interference (small and medium, float32, median of 15): each gPAC call in a tight
loop, right after a 300 x 300 NumPy matmul (whose BLAS threads may still spin), and
after a 20 ms pause (whose threads must wake), as in a script that interleaves
NumPy and gPAC; the same on one thread, and for a NumPy FFT control.

Peak memory: the whole process's peak RSS (both libraries, every workload),
and gPAC alone on large at 50 x 50 bands (float32) in a fresh child process,
with the child's RSS after importing torch and gpac for reference.

    .venv/bin/python benchmarks/bench_cpu.py [--workloads small medium] [--out results.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

import gpac

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_results_header, peak_rss_bytes, quiet_tensorpac, times_after, wall_median, write_results  # noqa: E402

WORKLOADS = {
    "small": dict(n_channels=1, seconds=1, bands="lres", repeats=30, block=5),
    "medium": dict(n_channels=8, seconds=4, bands="lres", repeats=10, block=5),
    "large": dict(n_channels=16, seconds=60, bands="lres", repeats=3, block=1),
    "medium-50x50": dict(n_channels=8, seconds=4, bands="hres", repeats=3, block=2),
}
FS = 512.0
PEAK_RSS_WORKLOAD = dict(n_channels=16, seconds=60, bands="hres")

# Run in a fresh interpreter so that nothing else has touched its peak RSS.
PEAK_RSS_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[5])
import numpy as np, torch, gpac
from common import peak_rss_bytes as rss
n_channels, n_times, bands, fs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
after_import = rss()
x = torch.from_numpy(np.random.default_rng(0).standard_normal((n_channels, n_times)).astype(np.float32))
mi = gpac.modulation_index(x, fs, gpac.preset_bands(bands, "phase"), gpac.preset_bands(bands, "amplitude"))
assert torch.isfinite(mi).all()
print(json.dumps({"rss_after_import_bytes": after_import, "rss_peak_bytes": rss(), "mi_shape": list(mi.shape)}))
"""


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run_workload(name: str, spec: dict, tensorpac) -> dict:
    n_times = int(spec["seconds"] * FS)
    x = np.random.default_rng(0).standard_normal((spec["n_channels"], n_times))
    pha = gpac.preset_bands(spec["bands"], "phase")
    amp = gpac.preset_bands(spec["bands"], "amplitude")
    inputs = {dtype: torch.from_numpy(x).to(dtype) for dtype in (torch.float32, torch.float64)}
    pac = tensorpac.Pac(idpac=(2, 0, 0), f_pha=spec["bands"], f_amp=spec["bands"], dcomplex="hilbert",
                        n_bins=18, verbose=False)

    def run_gpac(dtype):
        return lambda: gpac.modulation_index(inputs[dtype], FS, pha, amp)

    def run_tensorpac(n_jobs):
        return lambda: pac.filterfit(FS, x, n_perm=0, n_jobs=n_jobs)

    runners = {"float32": run_gpac(torch.float32), "float64": run_gpac(torch.float64),
               "tensorpac_n_jobs_1": run_tensorpac(1), "tensorpac_n_jobs_-1": run_tensorpac(-1)}
    times = {k: [] for k in runners}
    first = {k: [] for k in runners}
    outputs = {}
    for rep in range(spec["repeats"] + 1):  # the first round is the warm-up
        for key, fn in runners.items():
            for call in range(spec["block"]):
                t, outputs[key] = timed(fn)
                if rep:
                    times[key].append(t)
                    if call == 0:
                        first[key].append(t)
    mi64 = outputs["float64"]
    med = {k: statistics.median(v) for k, v in times.items()}
    med["tensorpac"] = min(med["tensorpac_n_jobs_1"], med["tensorpac_n_jobs_-1"])
    # TensorPAC pools bin counts over all phase bands and channels of a call, so
    # its numbers agree with gPAC's only for one band and one channel; the
    # agreement column is measured on channel 0 and phase band 0 alone.
    one = tensorpac.Pac(idpac=(2, 0, 0), f_pha=pha[:1].numpy(), f_amp=amp.numpy(), dcomplex="hilbert",
                        n_bins=18, verbose=False).filterfit(FS, x[:1], n_perm=0, n_jobs=1)[:, 0, 0]
    agree = float(np.max(np.abs(mi64[0, 0].numpy() - one) / np.abs(one)))
    return {
        "name": name, "n_channels": spec["n_channels"], "n_times": n_times, "fs": FS,
        "n_pha": len(pha), "n_amp": len(amp), "runs": spec["repeats"], "block": spec["block"],
        "calls_per_runner": spec["repeats"] * spec["block"],
        "gpac_float32_s": med["float32"], "gpac_float64_s": med["float64"], "tensorpac_s": med["tensorpac"],
        "tensorpac_n_jobs_1_s": med["tensorpac_n_jobs_1"], "tensorpac_n_jobs_-1_s": med["tensorpac_n_jobs_-1"],
        "speedup_float32": med["tensorpac"] / med["float32"], "speedup_float64": med["tensorpac"] / med["float64"],
        "mi_max_rel_diff_vs_tensorpac_one_band": agree,
        "first_in_block_s": {k: statistics.median(v) for k, v in first.items()},
        "all_runs_s": times,
    }


def interference(name: str, spec: dict, repeats: int = 15) -> dict:
    """gPAC float32 times (median of `repeats`) in a tight loop, each call right after a NumPy
    matmul, and each after a 20 ms pause; the same for gPAC on one thread (no parallel region to
    enter, no thread to wake) and for a control that is not gPAC (NumPy's single-threaded FFTs of
    the signals, repeated to about gPAC's time), which shows what the machine itself adds."""
    n_times = int(spec["seconds"] * FS)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((spec["n_channels"], n_times)).astype(np.float32))
    pha = gpac.preset_bands(spec["bands"], "phase")
    amp = gpac.preset_bands(spec["bands"], "amplitude")
    a = np.random.default_rng(1).standard_normal((300, 300))
    x_np = x.numpy()

    def call():
        return gpac.modulation_index(x, FS, pha, amp)

    def one_thread():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return call()
        finally:
            torch.set_num_threads(threads)

    call()
    np.fft.rfft(x_np, 4 * n_times)
    call_s = wall_median(call, repeats, warmup=0)
    fft_s = wall_median(lambda: np.fft.rfft(x_np, 4 * n_times), repeats, warmup=0)
    ffts = max(1, round(call_s / fft_s))

    def control():
        for _ in range(ffts):
            np.fft.rfft(x_np, 4 * n_times)

    before = {"tight": lambda: None, "after_matmul": lambda: a @ a, "after_pause": lambda: time.sleep(0.02)}
    out = {"name": name, "runs": repeats, "control": f"{ffts} x numpy.fft.rfft of the signals padded to 4 n_times"}
    for label, fn in (("", call), ("one_thread_", one_thread), ("control_", control)):
        fn()
        for key, prepare in before.items():
            runs = times_after(fn, prepare, repeats)
            out[f"{label}{key}_s"] = statistics.median(runs)
            out[f"{label}{key}_runs_s"] = runs
        out[f"{label}after_matmul_over_tight"] = out[f"{label}after_matmul_s"] / out[f"{label}tight_s"]
        out[f"{label}after_pause_over_tight"] = out[f"{label}after_pause_s"] / out[f"{label}tight_s"]
    return out


def peak_rss_fresh_process() -> dict:
    spec = PEAK_RSS_WORKLOAD
    n_times = int(spec["seconds"] * FS)
    run = subprocess.run([sys.executable, "-c", PEAK_RSS_CHILD, str(spec["n_channels"]), str(n_times),
                          spec["bands"], str(FS), str(Path(__file__).resolve().parent)],
                         capture_output=True, text=True, check=True)
    child = json.loads(run.stdout.strip().splitlines()[-1])
    return {"workload": "large-50x50", "n_channels": spec["n_channels"], "n_times": n_times, "dtype": "float32",
            **child}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-cpu-<cores>cores.json)")
    args = parser.parse_args()

    tensorpac = quiet_tensorpac()
    command = "python benchmarks/bench_cpu.py --workloads " + " ".join(args.workloads)
    results = {**cpu_results_header(tensorpac, command), "workloads": []}
    print(f"{'workload':<14}{'gpac f32 s':>12}{'gpac f64 s':>12}{'tensorpac s':>13}{'x f32':>8}{'x f64':>8}"
          f"{'f32 first in block s':>22}")
    for name in args.workloads:
        row = run_workload(name, WORKLOADS[name], tensorpac)
        results["workloads"].append(row)
        print(f"{name:<14}{row['gpac_float32_s']:>12.4f}{row['gpac_float64_s']:>12.4f}{row['tensorpac_s']:>13.4f}"
              f"{row['speedup_float32']:>8.1f}{row['speedup_float64']:>8.1f}"
              f"{row['first_in_block_s']['float32']:>22.4f}", flush=True)
    results["interference"] = []
    for name in [w for w in args.workloads if w in ("small", "medium")]:
        row = interference(name, WORKLOADS[name])
        results["interference"].append(row)
        for label, what in (("", "gPAC"), ("one_thread_", "gPAC, 1 thread"), ("control_", "NumPy FFT control")):
            print(f"{name:<7}{what:<18} tight {row[label + 'tight_s'] * 1e3:.2f} ms, after a matmul "
                  f"{row[label + 'after_matmul_s'] * 1e3:.2f} ms ({row[label + 'after_matmul_over_tight']:.1f}x), "
                  f"after 20 ms pause {row[label + 'after_pause_s'] * 1e3:.2f} ms "
                  f"({row[label + 'after_pause_over_tight']:.1f}x)", flush=True)
    results["peak_rss_bytes_process"] = peak_rss_bytes()
    results["gpac_peak_rss_fresh_process"] = peak = peak_rss_fresh_process()
    print(f"gpac alone, large-50x50 float32, fresh process: peak RSS {peak['rss_peak_bytes'] / 2**20:.0f} MiB "
          f"({peak['rss_after_import_bytes'] / 2**20:.0f} MiB after importing torch and gpac)")
    write_results(results, args.out, f"{results['date']}-cpu-{os.cpu_count()}cores.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
