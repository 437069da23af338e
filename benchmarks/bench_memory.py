"""Time and peak memory of gpac.pac with surrogates on a large input, per device.

    python benchmarks/bench_memory.py [--device cpu|cuda] [--n-perm 200] [--bands hres]

Each measurement runs in a fresh process: the CPU figure is that process's
peak resident set (VmHWM, everything: Python, torch, the input, the
outputs); the GPU figure is torch.cuda.max_memory_allocated above what the
input took. Workload (issue 4): 16 channels x 60 s at fs 512 Hz, float32,
50 x 50 bands ('hres'), 200 block-swap surrogates, z-scores and p-values.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, write_results  # noqa: E402

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[4])
import numpy as np, torch, gpac
from common import peak_rss_bytes
device, n_perm, bands = sys.argv[1], int(sys.argv[2]), sys.argv[3]
x = torch.from_numpy(np.random.default_rng(0).standard_normal((16, 30720))).float().to(device)
if device == "cuda":
    torch.cuda.synchronize(); base = torch.cuda.memory_allocated(); torch.cuda.reset_peak_memory_stats()
start = time.perf_counter()
res = gpac.pac(x, 512.0, bands, bands, n_perm=n_perm, seed=0, progress=False)
if device == "cuda":
    torch.cuda.synchronize()
seconds = time.perf_counter() - start
# TensorPAC's histogram updates: every amplitude sample into one bin, per phase band and histogram set.
updates = x.shape[0] * (n_perm + 1) * res.mi.shape[-2] * res.mi.shape[-1] * x.shape[-1]
out = {"seconds": seconds, "z_max": float(res.z.max()) if n_perm else None,
       "rss_peak_bytes": peak_rss_bytes(), "updates": updates, "updates_per_s": updates / seconds}
if device == "cuda":
    out["gpu_peak_bytes"] = int(torch.cuda.max_memory_allocated() - base)
    out["device_name"] = torch.cuda.get_device_name()
print(json.dumps(out))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--n-perm", type=int, default=200)
    parser.add_argument("--bands", default="hres", help="TensorPAC preset for both band sets")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    run = subprocess.run([sys.executable, "-c", CHILD, args.device, str(args.n_perm), args.bands,
                          str(Path(__file__).resolve().parent)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stderr, file=sys.stderr)
        return run.returncode
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    import torch

    results = {
        "device": measured.get("device_name", "cpu"), "cpu_cores": os.cpu_count(), "torch": torch.__version__,
        "commit": git_commit(), "date": datetime.date.today().isoformat(),
        "command": f"python benchmarks/bench_memory.py --device {args.device} --n-perm {args.n_perm} "
                   f"--bands {args.bands}",
        "workload": {"n_channels": 16, "n_times": 30720, "fs": 512.0, "bands": args.bands, "n_perm": args.n_perm,
                     "dtype": "float32", "surrogate": "block_swap"},
        **measured,
    }
    print(json.dumps(results, indent=2))
    slug = "cpu-%dcores" % os.cpu_count() if args.device == "cpu" else measured["device_name"].replace(" ", "-")
    write_results(results, args.out, f"{results['date']}-surrogates-memory-{slug}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
