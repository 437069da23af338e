"""gPAC on the GPU against TensorPAC (all CPU cores) and the one_hot baseline, in one run.

    python benchmarks/bench_gpu.py [--workloads small medium large large-50x50] [--out PATH]

Workloads (DESIGN.md; fs 512 Hz): small 1 ch x 1 s, medium 8 ch x 4 s, large
16 ch x 60 s at 10 x 10 bands (TensorPAC's 'lres'), and large at 50 x 50
('hres'). For each:
- gpac_s: gpac.modulation_index on float32 inputs already on the GPU, timed
  with CUDA events, median of many runs after warm-up. The end-to-end time from
  a NumPy array (copy in, compute, copy out) is printed beside it.
- tensorpac_s: TensorPAC 0.6.5 Pac(idpac=(2, 0, 0)).filterfit(n_perm=0,
  n_jobs=-1), median of a few runs on the same signals (large-50x50: one run).
- onehot_s: benchmarks/onehot_baseline.py (the predecessor's path, re-implemented
  as a baseline) on the GPU; an out-of-memory is caught and recorded in
  onehot_error.
- *_peak_bytes: torch.cuda.max_memory_allocated during one run, above what was
  allocated before it.
- mi_max_rel_err_vs_cpu: gPAC's float32 GPU MI against its float32 CPU MI
  (the same computation on the other device).
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
from onehot_baseline import onehot_modulation_index  # noqa: E402

FS = 512.0
WORKLOADS = {
    "small": dict(n_channels=1, seconds=1, bands="lres", gpu_runs=200, cpu_runs=20),
    "medium": dict(n_channels=8, seconds=4, bands="lres", gpu_runs=100, cpu_runs=10),
    "large": dict(n_channels=16, seconds=60, bands="lres", gpu_runs=50, cpu_runs=3),
    "large-50x50": dict(n_channels=16, seconds=60, bands="hres", gpu_runs=20, cpu_runs=1),
}


def cuda_median(fn, runs: int, warmup: int = 3) -> float:
    """Median seconds of fn() over `runs`, each bracketed by CUDA events."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def peak_bytes(fn) -> int:
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return int(torch.cuda.max_memory_allocated() - base)


def run_workload(name: str, spec: dict, tensorpac) -> dict:
    n_times = int(spec["seconds"] * FS)
    x_np = np.random.default_rng(0).standard_normal((spec["n_channels"], n_times))
    pha = gpac.preset_bands(spec["bands"], "phase")
    amp = gpac.preset_bands(spec["bands"], "amplitude")
    x_gpu = torch.from_numpy(x_np).float().cuda()

    gpac_gpu = lambda: gpac.modulation_index(x_gpu, FS, pha, amp)  # noqa: E731
    gpac_s = cuda_median(gpac_gpu, spec["gpu_runs"])
    end_to_end = lambda: gpac.modulation_index(torch.from_numpy(x_np).float().cuda(), FS, pha, amp).cpu().numpy()  # noqa: E731
    end_to_end_s = wall_median(end_to_end, spec["gpu_runs"], warmup=3)
    gpac_peak = peak_bytes(gpac_gpu)
    mi_gpu = gpac_gpu().double().cpu()
    mi_cpu = gpac.modulation_index(torch.from_numpy(x_np).float(), FS, pha, amp).double()
    rel_err = float(((mi_gpu - mi_cpu).abs() / mi_cpu.abs()).max())

    pac = tensorpac.Pac(idpac=(2, 0, 0), f_pha=spec["bands"], f_amp=spec["bands"], dcomplex="hilbert",
                        n_bins=18, verbose=False)
    # TensorPAC's slowest workload (~a minute) runs once, without warm-up.
    tensorpac_s = wall_median(lambda: pac.filterfit(FS, x_np, n_perm=0, n_jobs=-1), spec["cpu_runs"],
                              warmup=1 if spec["cpu_runs"] > 1 else 0)

    onehot = lambda: onehot_modulation_index(x_gpu, FS, pha, amp)  # noqa: E731
    onehot_s, onehot_error, onehot_peak = None, None, None
    try:
        onehot_peak = peak_bytes(onehot)
        onehot_s = cuda_median(onehot, max(3, spec["gpu_runs"] // 10), warmup=1)
    except torch.cuda.OutOfMemoryError as err:
        onehot_error = f"torch.cuda.OutOfMemoryError: {str(err).splitlines()[0]}"
        onehot_peak = int(torch.cuda.max_memory_allocated())
    finally:
        torch.cuda.empty_cache()

    print(f"{name:<12} gpac {gpac_s * 1e3:9.3f} ms (end to end {end_to_end_s * 1e3:8.3f} ms, peak "
          f"{gpac_peak / 2**20:7.1f} MiB) | tensorpac {tensorpac_s:8.3f} s ({tensorpac_s / gpac_s:8.0f}x) | onehot "
          + (f"{onehot_s * 1e3:9.3f} ms ({onehot_s / gpac_s:6.1f}x), peak {onehot_peak / 2**20:9.1f} MiB"
             if onehot_s is not None else onehot_error)
          + f" | max rel err vs CPU {rel_err:.1e}", flush=True)
    return {
        "name": name, "n_channels": spec["n_channels"], "n_times": n_times, "fs": FS,
        "n_pha": len(pha), "n_amp": len(amp), "n_perm": 0,
        "gpac_s": gpac_s, "tensorpac_s": tensorpac_s, "onehot_s": onehot_s, "onehot_error": onehot_error,
        "gpac_peak_bytes": gpac_peak, "onehot_peak_bytes": onehot_peak, "mi_max_rel_err_vs_cpu": rel_err,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-<device>.json)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("bench_gpu.py needs a CUDA GPU; none is visible", file=sys.stderr)
        return 2
    tensorpac = quiet_tensorpac()
    device = torch.cuda.get_device_name()
    results = {
        "device": device, "cpu_cores": os.cpu_count(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "commit": git_commit(), "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/bench_gpu.py --workloads " + " ".join(args.workloads),
        "workloads": [run_workload(name, WORKLOADS[name], tensorpac) for name in args.workloads],
    }
    slug = re.sub(r"[^A-Za-z0-9]+", "-", device).strip("-")
    write_results(results, args.out, f"{results['date']}-{slug}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
