"""Every PAC measure of gpac.pac(method=...) beside TensorPAC's same measure, on the CPU.

Workloads as bench_cpu.py (fs 512 Hz, 'lres' bands): medium 8 ch x 4 s, large 16 ch x 60 s.
gPAC: ``gpac.pac(x, fs, 'lres', 'lres', method=m)`` in float32 and float64. TensorPAC:
``Pac(idpac=(k, 0, 0), dcomplex=...).filterfit(..., n_perm=0)`` at its faster of
``n_jobs=1`` and ``n_jobs=-1`` (PS there takes the envelope's phase twice, which costs one more
Hilbert transform than gPAC's single one). Runs alternate between the libraries; each figure is
the median of the timed runs after one warm-up. ``--dcomplex wavelet`` times both libraries'
Morlet path (width 7) instead of the FIR + Hilbert one.

    .venv/bin/python benchmarks/bench_methods.py [--workloads medium] [--methods mvl gc] [--dcomplex wavelet]
        [--out results.json]
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

WORKLOADS = {
    "medium": dict(n_channels=8, seconds=4, repeats=7),
    "large": dict(n_channels=16, seconds=60, repeats=3),
}
IDPAC = {"mi": 2, "mvl": 1, "hr": 3, "ndpac": 4, "ps": 5, "gc": 6}
FS = 512.0


def run(name: str, spec: dict, method: str, dcomplex: str, tensorpac) -> dict:
    n_times = int(spec["seconds"] * FS)
    x = np.random.default_rng(0).standard_normal((spec["n_channels"], n_times))
    inputs = {dtype: torch.from_numpy(x).to(dtype) for dtype in (torch.float32, torch.float64)}
    row = {"workload": name, "method": method, "dcomplex": dcomplex, "n_channels": spec["n_channels"],
           "n_times": n_times, "runs": spec["repeats"]}
    for dtype, key in ((torch.float32, "gpac_float32_s"), (torch.float64, "gpac_float64_s")):
        def call(x=inputs[dtype]):
            return gpac.pac(x, FS, "lres", "lres", method=method, dcomplex=dcomplex)

        row[key] = wall_median(call, spec["repeats"])
    pac = tensorpac.Pac(idpac=(IDPAC[method], 0, 0), f_pha="lres", f_amp="lres",
                        # TensorPAC compares dcomplex with `is`: only the interned string matches.
                        dcomplex=sys.intern(dcomplex), verbose=False)
    for n_jobs in (1, -1):
        row[f"tensorpac_n_jobs_{n_jobs}_s"] = wall_median(
            lambda jobs=n_jobs: pac.filterfit(FS, x, n_perm=0, n_jobs=jobs), spec["repeats"])
    row["tensorpac_s"] = min(row["tensorpac_n_jobs_1_s"], row["tensorpac_n_jobs_-1_s"])
    row["speedup_float32"] = row["tensorpac_s"] / row["gpac_float32_s"]
    row["speedup_float64"] = row["tensorpac_s"] / row["gpac_float64_s"]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--methods", nargs="+", choices=list(IDPAC), default=list(IDPAC))
    parser.add_argument("--dcomplex", choices=["hilbert", "wavelet"], default="hilbert")
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-methods-cpu.json)")
    args = parser.parse_args()

    tensorpac = quiet_tensorpac()
    command = ("python benchmarks/bench_methods.py --workloads " + " ".join(args.workloads) + " --methods "
               + " ".join(args.methods) + " --dcomplex " + args.dcomplex)
    results = {**cpu_results_header(tensorpac, command), "rows": []}
    print(f"{'workload':<9}{'method':<7}{'gpac f32 s':>12}{'gpac f64 s':>12}{'tensorpac s':>13}{'x f32':>8}"
          f"{'x f64':>8}")
    for name in args.workloads:
        for method in args.methods:
            row = run(name, WORKLOADS[name], method, args.dcomplex, tensorpac)
            results["rows"].append(row)
            print(f"{name:<9}{method:<7}{row['gpac_float32_s']:>12.4f}{row['gpac_float64_s']:>12.4f}"
                  f"{row['tensorpac_s']:>13.4f}{row['speedup_float32']:>8.1f}{row['speedup_float64']:>8.1f}",
                  flush=True)
    write_results(results, args.out, f"{results['date']}-methods-{args.dcomplex}-cpu.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
