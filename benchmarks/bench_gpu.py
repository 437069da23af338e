"""gPAC on the GPU against TensorPAC (all CPU cores) and the one_hot baseline, in one run.

    python benchmarks/bench_gpu.py [--workloads small medium large large-50x50] [--out PATH] [--no-tensorpac]

Workloads (docs/benchmarks.md; fs 512 Hz): small 1 ch x 1 s, medium 8 ch x 4 s, large
16 ch x 60 s at 10 x 10 bands (TensorPAC's 'lres'), large at 50 x 50
('hres'), and the predecessor's surrogate record, 16 ch x 24000 samples at
25 x 25 linear bands with 200 block-swap surrogates. For each:
- gpac_s: gpac.pac on float32 inputs already on the GPU (with the surrogates,
  z-scores and p-values where n_perm > 0), timed with CUDA events, median of
  runs after warm-up. The end-to-end time from a NumPy array (copy in,
  compute, copy out) is printed beside it.
- tensorpac_s: TensorPAC 0.6.5 Pac(idpac=(2, 0, 0)).filterfit(n_perm=0,
  n_jobs=-1) (idpac=(2, 2, 4) for the surrogates), median of a few runs on the
  same signals (the slowest workloads: one run). With surrogates it is timed
  with 20 of them and extrapolated linearly to 200 (each costs one MI).
  --no-tensorpac leaves it out (null): minutes saved on a short GPU lease.
- onehot_s: benchmarks/onehot_baseline.py (the predecessor's path, re-implemented
  as a baseline, its surrogates included) on the GPU; an out-of-memory is
  caught and recorded in onehot_error.
- *_peak_bytes: torch.cuda.max_memory_allocated during one run, above what was
  allocated before it.
- mi_max_rel_err_vs_cpu: gPAC's float32 GPU MI against its float32 CPU MI
  (the same computation on the other device).
- gpac_min_s, end_to_end_s: the fastest run, and the median from a NumPy array.
- kernels_per_call, memcpys_per_call, syncs_per_call, kernel_s: one call's
  launches, copies, host synchronisations and kernel seconds by name
  (benchmarks/gpu_profile.py); updates_per_s: the surrogate histogram
  kernel's S x n_perm x P x A x n updates over its own time.
- graph_s: replay of a captured CUDA graph, null until graphs exist.
Writes benchmarks/results/<date>-<device>.json in the shape issue 3 specifies.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

import gpac

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, quiet_tensorpac, wall_median, write_results  # noqa: E402
from gpu_profile import cuda_times, profile_call  # noqa: E402
from onehot_baseline import onehot_modulation_index  # noqa: E402

FS = 512.0
TENSORPAC_PERMS = 20  # surrogates TensorPAC is timed with (its 200 would take ~10 min on 16 cores)
WORKLOADS = {
    "small": dict(n_channels=1, n_times=512, bands=("lres", 10), gpu_runs=200, cpu_runs=20),
    "medium": dict(n_channels=8, n_times=2048, bands=("lres", 10), gpu_runs=100, cpu_runs=10),
    "large": dict(n_channels=16, n_times=30720, bands=("lres", 10), gpu_runs=50, cpu_runs=3),
    "large-50x50": dict(n_channels=16, n_times=30720, bands=("hres", 50), gpu_runs=20, cpu_runs=1),
    # The predecessor's H100 record: 3.9 s (19.3 ms per permutation, 16.8 GB), float32.
    "surrogates-16ch-24000-25x25-200": dict(n_channels=16, n_times=24000, bands=("linear", 25), n_perm=200,
                                            gpu_runs=10, cpu_runs=1),
}


def bands_of(spec: dict, kind: str) -> torch.Tensor:
    """TensorPAC's preset, or n linear bands over its ranges (2-20 / 60-160 Hz)."""
    name, n = spec["bands"]
    if name == "linear":
        return gpac.linear_bands(gpac.bands.PRESET_RANGES[kind], n, kind)
    return gpac.preset_bands(name, kind)


def cuda_median(fn, runs: int, warmup: int = 3) -> float:
    return statistics.median(cuda_times(fn, runs, warmup))


def peak_bytes(fn) -> int:
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return int(torch.cuda.max_memory_allocated() - base)


def time_tensorpac(name: str, spec: dict, tensorpac, x_np, pha, amp) -> float:
    n_perm = spec.get("n_perm", 0)
    pac = tensorpac.Pac(idpac=(2, 2 if n_perm else 0, 4 if n_perm else 0), f_pha=pha.numpy(), f_amp=amp.numpy(),
                        dcomplex="hilbert", n_bins=18, verbose=False)
    # TensorPAC's slowest workloads (a minute or more) run once, without warm-up. Its surrogates
    # cost the same each (one MI per permutation): TENSORPAC_PERMS of them are timed and the
    # time of n_perm extrapolated linearly from it and from the call without surrogates.
    def tensorpac_time(perms):
        return wall_median(lambda: pac.filterfit(FS, x_np, n_perm=perms, n_jobs=-1, random_state=0),
                           spec["cpu_runs"], warmup=1 if spec["cpu_runs"] > 1 else 0)

    tensorpac_s = tensorpac_time(min(n_perm, TENSORPAC_PERMS))
    if n_perm > TENSORPAC_PERMS:
        no_perm = wall_median(lambda: tensorpac.Pac(idpac=(2, 0, 0), f_pha=pha.numpy(), f_amp=amp.numpy(),
                                                    verbose=False).filterfit(FS, x_np, n_perm=0), 1, warmup=0)
        tensorpac_s = no_perm + (tensorpac_s - no_perm) * n_perm / TENSORPAC_PERMS
        print(f"{name}: TensorPAC timed with {TENSORPAC_PERMS} of {n_perm} surrogates, extrapolated", flush=True)
    return tensorpac_s


def run_workload(name: str, spec: dict, tensorpac) -> dict:
    n_times, n_perm = spec["n_times"], spec.get("n_perm", 0)
    x_np = np.random.default_rng(0).standard_normal((spec["n_channels"], n_times))
    pha, amp = bands_of(spec, "phase"), bands_of(spec, "amplitude")
    x_gpu = torch.from_numpy(x_np).float().cuda()

    def gpac_on(x):
        return gpac.pac(x, FS, pha, amp, n_perm=n_perm, seed=0, progress=False)

    gpac_gpu = lambda: gpac_on(x_gpu)  # noqa: E731
    times = cuda_times(gpac_gpu, spec["gpu_runs"])
    gpac_s, gpac_min_s = statistics.median(times), min(times)
    costs = profile_call(gpac_gpu)
    # The histogram kernels' own time: updates = S x (K + 1) x P x A x n over it (surrogates: K).
    surrogate_kernels = ("surrogate_walk", "tile_prefix", "change_masks")
    histogram_s = sum(t for k, t in costs["kernel_s"].items() if any(s in k for s in surrogate_kernels))
    updates = spec["n_channels"] * n_perm * len(pha) * len(amp) * n_times
    updates_per_s = updates / histogram_s if n_perm and histogram_s > 0 else None
    end_to_end = lambda: gpac_on(torch.from_numpy(x_np).float().cuda()).mi.cpu().numpy()  # noqa: E731
    end_to_end_s = wall_median(end_to_end, spec["gpu_runs"], warmup=3)
    gpac_peak = peak_bytes(gpac_gpu)
    mi_gpu = gpac_gpu().mi.double().cpu()
    mi_cpu = gpac.modulation_index(torch.from_numpy(x_np).float(), FS, pha, amp).double()
    rel_err = float(((mi_gpu - mi_cpu).abs() / mi_cpu.abs()).max())

    tensorpac_s = None if tensorpac is None else time_tensorpac(name, spec, tensorpac, x_np, pha, amp)
    cuts = torch.randint(1, n_times, (n_perm,)) if n_perm else None
    onehot = lambda: onehot_modulation_index(x_gpu, FS, pha, amp, cuts=cuts)  # noqa: E731
    onehot_s, onehot_error, onehot_peak = None, None, None
    try:
        onehot_peak = peak_bytes(onehot)
        onehot_s = cuda_median(onehot, max(3, spec["gpu_runs"] // 10), warmup=1)
    except torch.cuda.OutOfMemoryError as err:
        onehot_error = f"torch.cuda.OutOfMemoryError: {str(err).splitlines()[0]}"
        onehot_peak = int(torch.cuda.max_memory_allocated())
    finally:
        torch.cuda.empty_cache()

    print(f"{name:<14} {costs['kernels_per_call']:.0f} kernels, {costs['syncs_per_call']:.0f} syncs per call"
          + (f", surrogate kernel {updates_per_s / 1e12:.2f} T updates/s" if updates_per_s else ""), flush=True)
    print(f"{name:<14} gpac {gpac_s * 1e3:9.3f} ms (min {gpac_min_s * 1e3:.3f}, "
          f"end to end {end_to_end_s * 1e3:8.3f} ms, peak "
          f"{gpac_peak / 2**20:7.1f} MiB) | "
          + (f"tensorpac {tensorpac_s:8.3f} s ({tensorpac_s / gpac_s:8.0f}x)" if tensorpac_s else "tensorpac -")
          + " | onehot "
          + (f"{onehot_s * 1e3:9.3f} ms ({onehot_s / gpac_s:6.1f}x), peak {onehot_peak / 2**20:9.1f} MiB"
             if onehot_s is not None else onehot_error)
          + f" | max rel err vs CPU {rel_err:.1e}", flush=True)
    return {
        "name": name, "n_channels": spec["n_channels"], "n_times": n_times, "fs": FS,
        "n_pha": len(pha), "n_amp": len(amp), "n_perm": n_perm,
        "gpac_s": gpac_s, "gpac_min_s": gpac_min_s,
        # CUDA graph replay is not implemented (issue 12 part 3): null until it is.
        "graph_s": None, "end_to_end_s": end_to_end_s,
        "kernels_per_call": costs["kernels_per_call"], "memcpys_per_call": costs["memcpys_per_call"],
        "syncs_per_call": costs["syncs_per_call"], "updates_per_s": updates_per_s,
        "kernel_s": costs["kernel_s"], "tensorpac_s": tensorpac_s, "onehot_s": onehot_s, "onehot_error": onehot_error,
        "gpac_peak_bytes": gpac_peak, "onehot_peak_bytes": onehot_peak, "mi_max_rel_err_vs_cpu": rel_err,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-<device>.json)")
    parser.add_argument("--no-tensorpac", action="store_true", help="leave TensorPAC's CPU timings out")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("bench_gpu.py needs a CUDA GPU; none is visible", file=sys.stderr)
        return 2
    tensorpac = None if args.no_tensorpac else quiet_tensorpac()
    device = torch.cuda.get_device_name()
    results = {
        "device": device, "cpu_cores": os.cpu_count(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "commit": git_commit(), "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/bench_gpu.py --workloads " + " ".join(args.workloads)
                   + (" --no-tensorpac" if args.no_tensorpac else ""),
        "workloads": [run_workload(name, WORKLOADS[name], tensorpac) for name in args.workloads],
    }
    slug = re.sub(r"[^A-Za-z0-9]+", "-", device).strip("-")
    write_results(results, args.out, f"{results['date']}-{slug}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
