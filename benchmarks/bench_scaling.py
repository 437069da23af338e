"""Throughput of gpac.distributed over 1..N ranks (torchrun): signals x surrogates per second.

    python benchmarks/bench_scaling.py [--ranks 1 2] [--n-signals 32] [--seconds 30] [--n-perm 200]
                                       [--bands lres] [--backend gloo|nccl]

For each rank count, one `torchrun --standalone --nproc-per-node N` job: every rank builds the
same synthetic dataset (white noise, seed 0, fs 512 Hz, float32), the ranks meet at a barrier,
gpac.distributed.pac runs with n_perm block-swap surrogates, and the time to the last rank's
result gathered on rank 0 is taken. With Gloo, each rank gets cores / N threads; with NCCL one GPU
per rank. Peak memory per rank: VmHWM (CPU) and torch.cuda.max_memory_allocated (GPU).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, peak_rss_bytes, write_results  # noqa: E402

FS = 512.0


def worker(args: argparse.Namespace) -> None:
    import numpy as np
    import torch
    import torch.distributed as dist

    import gpac.distributed as gd

    gd.init(backend=args.backend, timeout=600)
    n_ranks = gd.world_size()
    if args.backend == "gloo":
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // n_ranks))
    x = np.random.default_rng(0).standard_normal((args.n_signals, int(args.seconds * FS)), dtype=np.float32)
    kw = dict(n_perm=args.n_perm, seed=0)
    gd.pac(x[:n_ranks], FS, args.bands, args.bands, **kw)  # warm-up: designs, caches, communicators
    dist.barrier()
    start = time.perf_counter()
    res = gd.pac(x, FS, args.bands, args.bands, **kw)
    seconds = time.perf_counter() - start
    gpu = int(torch.cuda.max_memory_allocated()) if args.backend == "nccl" else None
    stats = [None] * n_ranks
    dist.all_gather_object(stats, {"rss_peak_bytes": peak_rss_bytes(), "gpu_peak_bytes": gpu})
    if gd.rank() == 0:
        assert res is not None and bool(torch.isfinite(res.z).all())
        print("RESULT " + json.dumps({"ranks": n_ranks, "seconds": seconds,
                                      "signal_surrogates_per_s": args.n_signals * args.n_perm / seconds,
                                      "per_rank": stats}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n-signals", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--n-perm", type=int, default=200)
    parser.add_argument("--bands", default="lres")
    parser.add_argument("--backend", choices=["gloo", "nccl"], default="gloo")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    rows = []
    for n in args.ranks:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={n}", __file__,
               "--worker", "--n-signals", str(args.n_signals), "--seconds", str(args.seconds), "--n-perm",
               str(args.n_perm), "--bands", args.bands, "--backend", args.backend]
        env = dict(os.environ, OMP_NUM_THREADS=str(max(1, (os.cpu_count() or 1) // n)))
        run = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return run.returncode
        row = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))[7:])
        rows.append(row)
        print(f"{n} rank(s): {row['seconds']:.2f} s, {row['signal_surrogates_per_s']:.1f} signal x surrogates/s, "
              f"peak RSS per rank {max(r['rss_peak_bytes'] for r in row['per_rank']) / 2**20:.0f} MiB", flush=True)
    import torch

    results = {
        "device": torch.cuda.get_device_name() if args.backend == "nccl" else "cpu", "cores": os.cpu_count(),
        "backend": args.backend, "torch": torch.__version__, "cuda": torch.version.cuda, "commit": git_commit(),
        "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/bench_scaling.py " + " ".join(sys.argv[1:]),
        "signals": args.n_signals, "n_times": int(args.seconds * FS), "fs": FS, "bands": args.bands,
        "n_perm": args.n_perm, "runs": rows,
    }
    name = f"{results['date']}-scaling-{args.backend}-{results['device'].replace(' ', '-')}.json"
    write_results(results, args.out, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
