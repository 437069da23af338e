"""Event-related PAC (gpac.erpac) beside TensorPAC's EventRelatedPac, on the CPU.

The issue's workload: 200 trials x 2 s at 1 kHz, 20 x 20 bands (TensorPAC-style bands centred
on linspace(4, 20, 20) Hz for the phase and linspace(60, 160, 20) Hz for the amplitude), no
surrogates. gPAC: ``gpac.erpac(x, 1000, pha, amp, method=m)`` in float32 and float64.
TensorPAC: ``EventRelatedPac(pha, amp).filterfit(1000, x, method=m)`` at its faster of
``n_jobs=1`` and ``n_jobs=-1`` (its filtering runs with one job either way). Each figure is the
median of the timed runs after one warm-up; TensorPAC's 'gc' (one nd_mi_gg per band pair) is
timed once.

    .venv/bin/python benchmarks/bench_erpac.py [--methods circular gc] [--out results.json]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

import gpac

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_results_header, quiet_tensorpac, wall_median, write_results  # noqa: E402

FS, N_TRIALS, SECONDS = 1000.0, 200, 2.0
RUNS = {"circular": 3, "gc": 1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-erpac-cpu.json)")
    args = parser.parse_args()
    tensorpac = quiet_tensorpac()
    results = {**cpu_results_header(tensorpac, "python benchmarks/bench_erpac.py --methods " + " ".join(args.methods)),
               "n_trials": N_TRIALS, "n_times": int(FS * SECONDS), "rows": []}
    pha = gpac.linear_bands((4.0, 20.0), 20, "phase").numpy()
    amp = gpac.linear_bands((60.0, 160.0), 20, "amplitude").numpy()
    x = np.random.default_rng(0).standard_normal((N_TRIALS, int(FS * SECONDS)))
    inputs = {dtype: torch.from_numpy(x).to(dtype) for dtype in (torch.float32, torch.float64)}
    print(f"{'method':<10}{'gpac f32 s':>12}{'gpac f64 s':>12}{'tensorpac s':>13}{'x f32':>8}{'x f64':>8}")
    for method in args.methods:
        row = {"method": method, "n_pha": len(pha), "n_amp": len(amp)}
        for dtype, key in ((torch.float32, "gpac_float32_s"), (torch.float64, "gpac_float64_s")):
            row[key] = wall_median(lambda x=inputs[dtype], m=method: gpac.erpac(x, FS, pha, amp, method=m), 5)
        ep = tensorpac.EventRelatedPac(f_pha=pha, f_amp=amp, verbose=False)
        for n_jobs in (1, -1):
            row[f"tensorpac_n_jobs_{n_jobs}_s"] = wall_median(
                lambda jobs=n_jobs, ep=ep, m=method: ep.filterfit(FS, x, method=m, n_jobs=jobs, verbose=False),
                RUNS[method],
                warmup=0)
        row["tensorpac_s"] = min(row["tensorpac_n_jobs_1_s"], row["tensorpac_n_jobs_-1_s"])
        row["speedup_float32"] = row["tensorpac_s"] / row["gpac_float32_s"]
        row["speedup_float64"] = row["tensorpac_s"] / row["gpac_float64_s"]
        results["rows"].append(row)
        print(f"{method:<10}{row['gpac_float32_s']:>12.4f}{row['gpac_float64_s']:>12.4f}{row['tensorpac_s']:>13.3f}"
              f"{row['speedup_float32']:>8.1f}{row['speedup_float64']:>8.1f}", flush=True)
    write_results(results, args.out, f"{results['date']}-erpac-cpu.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
