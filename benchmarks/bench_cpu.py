"""gPAC (CPU) and TensorPAC side by side, in one process, on the seed workloads.

Workloads (DESIGN.md): fs 512 Hz, 10 phase x 10 amplitude bands over 2-20 /
60-160 Hz (TensorPAC's 'lres'): small 1 ch x 1 s, medium 8 ch x 4 s, large
16 ch x 60 s; plus medium at 50 x 50 bands ('hres'). TensorPAC runs as
``Pac(idpac=(2, 0, 0), dcomplex='hilbert', n_bins=18).filterfit(..., n_perm=0,
n_jobs=-1)``. Runs alternate between the two libraries on the same signals;
each figure is the median of the timed runs after one warm-up.

    .venv/bin/python benchmarks/bench_cpu.py [--workloads small medium] [--out results.json]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import gpac

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, quiet_tensorpac, write_results  # noqa: E402

WORKLOADS = {
    "small": dict(n_channels=1, seconds=1, bands="lres", repeats=30),
    "medium": dict(n_channels=8, seconds=4, bands="lres", repeats=10),
    "large": dict(n_channels=16, seconds=60, bands="lres", repeats=3),
    "medium-50x50": dict(n_channels=8, seconds=4, bands="hres", repeats=3),
}
FS = 512.0


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

    def run_tensorpac():
        return pac.filterfit(FS, x, n_perm=0, n_jobs=-1)

    times = {"float32": [], "float64": [], "tensorpac": []}
    for rep in range(spec["repeats"] + 1):  # the first round is the warm-up
        t32, mi32 = timed(run_gpac(torch.float32))
        t64, mi64 = timed(run_gpac(torch.float64))
        ttp, ref = timed(run_tensorpac)
        if rep:
            times["float32"].append(t32)
            times["float64"].append(t64)
            times["tensorpac"].append(ttp)
    med = {k: statistics.median(v) for k, v in times.items()}
    # TensorPAC pools bin counts over all phase bands and channels of a call, so
    # its numbers agree with gPAC's only for one band and one channel; the
    # agreement column is measured on channel 0 and phase band 0 alone.
    one = tensorpac.Pac(idpac=(2, 0, 0), f_pha=pha[:1].numpy(), f_amp=amp.numpy(), dcomplex="hilbert",
                        n_bins=18, verbose=False).filterfit(FS, x[:1], n_perm=0, n_jobs=1)[:, 0, 0]
    agree = float(np.max(np.abs(mi64[0, 0].numpy() - one) / np.abs(one)))
    return {
        "name": name, "n_channels": spec["n_channels"], "n_times": n_times, "fs": FS,
        "n_pha": len(pha), "n_amp": len(amp), "runs": spec["repeats"],
        "gpac_float32_s": med["float32"], "gpac_float64_s": med["float64"], "tensorpac_s": med["tensorpac"],
        "speedup_float32": med["tensorpac"] / med["float32"], "speedup_float64": med["tensorpac"] / med["float64"],
        "mi_max_rel_diff_vs_tensorpac_one_band": agree,
        "all_runs_s": times,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-cpu-<cores>cores.json)")
    args = parser.parse_args()

    tensorpac = quiet_tensorpac()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    results = {
        "device": "cpu", "cpu": cpu, "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__, "tensorpac": tensorpac.__version__, "numpy": np.__version__,
        "commit": git_commit(), "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/bench_cpu.py " + " ".join(f"--workloads {w}" for w in args.workloads),
        "workloads": [],
    }
    print(f"{'workload':<14}{'gpac f32 s':>12}{'gpac f64 s':>12}{'tensorpac s':>13}{'x f32':>8}{'x f64':>8}")
    for name in args.workloads:
        row = run_workload(name, WORKLOADS[name], tensorpac)
        results["workloads"].append(row)
        print(f"{name:<14}{row['gpac_float32_s']:>12.4f}{row['gpac_float64_s']:>12.4f}{row['tensorpac_s']:>13.4f}"
              f"{row['speedup_float32']:>8.1f}{row['speedup_float64']:>8.1f}", flush=True)
    results["peak_rss_bytes_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    write_results(results, args.out, f"{results['date']}-cpu-{os.cpu_count()}cores.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
