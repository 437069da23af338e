"""How far memory_budget bounds gpac.pac's memory on the CPU: peak RSS above the process's memory
after ``import gpac``, per budget and thread count, each in a fresh process.

    python benchmarks/bench_budget.py [--minutes 40] [--budgets-mib 64 128 512] [--threads 1 2]

Workload (issue 15): 2 channels x 40 min at 1 kHz, float32 white noise in a memory-mapped .npy
(19 MB), 'lres' bands, MI, no surrogates. The peak is VmHWM minus VmRSS just before the call (after
``import gpac``, mapping the file and reading it once, so that its pages, the input's and not the
call's, are resident already): everything the call allocates, all threads together. The outputs are
a few kB. The goal is peak <= budget + outputs + 64 MiB; tests/python/test_memory_budget.py asserts
it with peak_above_import.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_long  # noqa: E402
from common import git_commit, write_results  # noqa: E402

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np, torch
torch.set_num_threads(int(sys.argv[3]))
import gpac
from common import outputs_bytes, status_bytes

x = np.load(sys.argv[2], mmap_mode="r")
float(x.sum())  # the recording's pages resident before the baseline: the input is not the call's memory
window = float(sys.argv[6])
windows = {"window": window, "step": window / 2} if window > 0 else {}
before = status_bytes("VmRSS:")
res = gpac.pac(x, 1000.0, "lres", "lres", memory_budget=int(sys.argv[4]), n_perm=int(sys.argv[5]), seed=1,
               progress=False, **windows)
print(json.dumps({"peak_above_import_bytes": status_bytes("VmHWM:") - before, "outputs_bytes": outputs_bytes(res),
                  "finite": bool(torch.isfinite(res.mi).all())}))
"""


def write_recording(path: Path, minutes: float) -> None:
    """2 channels of float32 white noise at 1 kHz, as a .npy to map."""
    bench_long.write_recording(path, 2, int(minutes * 60 * 1000))


def peak_above_import(path: Path, threads: int, budget: int, n_perm: int = 0, window: float = 0.0) -> dict:
    """gpac.pac on the mapped recording in a fresh process with `threads` threads (time-resolved with
    `window`-second windows at 50 % overlap when window > 0): its peak RSS above the process after
    import (bytes), the outputs' bytes, the seconds it took, and whether the MI is finite."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", CHILD, str(Path(__file__).resolve().parent), str(path), str(threads),
                          str(budget), str(n_perm), str(window)],
                         capture_output=True, text=True, env=env, timeout=1200)
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-2000:])
    return {"seconds": time.perf_counter() - start, **json.loads(run.stdout.strip().splitlines()[-1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--budgets-mib", type=int, nargs="+", default=[64, 128, 512])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recording.npy"
        write_recording(path, args.minutes)
        for threads in args.threads:
            for mib in args.budgets_mib:
                row = {"threads": threads, "budget_mib": mib, **peak_above_import(path, threads, mib << 20)}
                row["over_budget_mib"] = row["peak_above_import_bytes"] / 2**20 - mib
                rows.append(row)
                print(f"{threads} thread(s), budget {mib:5d} MiB: peak above import "
                      f"{row['peak_above_import_bytes'] / 2**20:7.0f} MiB ({row['over_budget_mib']:+.0f}), "
                      f"{row['seconds']:.1f} s (process)", flush=True)
    import torch

    results = {"device": "cpu", "cores": os.cpu_count(), "torch": torch.__version__, "commit": git_commit(),
               "date": datetime.date.today().isoformat(),
               "command": "python benchmarks/bench_budget.py " + " ".join(sys.argv[1:]),
               "channels": 2, "n_times": int(args.minutes * 60 * 1000), "fs": 1000.0, "bands": "lres",
               "rows": rows}
    write_results(results, args.out, f"{results['date']}-budget-cpu-{os.cpu_count()}cores.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
