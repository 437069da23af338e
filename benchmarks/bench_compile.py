"""Time of torch.compile's first call on gpac.PAC (fullgraph), on the CPU, in fresh processes.

    python benchmarks/bench_compile.py

Each case runs in its own process with the inductor caches disabled
(TORCHINDUCTOR_FORCE_DISABLE_CACHES=1), so the figure is a cold compile: the
first call of torch.compile(gpac.PAC(...), fullgraph=True) on 2 x 3 x 1500
float32 samples, 10 x 10 bands, minus nothing (it includes the eager-sized
computation, ~10 ms). Also the steady per-call time after it and the eager time.
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, write_results  # noqa: E402

CHILD = """
import json, sys, time, torch, gpac
n_perm = int(sys.argv[1])
x = torch.randn(2, 3, 1500)
module = gpac.PAC(512.0, n_perm=n_perm, seed=0)
start = time.perf_counter(); module(x); eager = time.perf_counter() - start
compiled = torch.compile(module, fullgraph=True)
start = time.perf_counter(); compiled(x); first = time.perf_counter() - start
start = time.perf_counter()
for _ in range(10): compiled(x)
steady = (time.perf_counter() - start) / 10
print(json.dumps({"n_perm": n_perm, "first_call_s": first, "steady_call_s": steady, "eager_call_s": eager}))
"""


def main() -> int:
    env = dict(os.environ, TORCHINDUCTOR_FORCE_DISABLE_CACHES="1")
    cases = []
    for n_perm in (0, 20):
        run = subprocess.run([sys.executable, "-c", CHILD, str(n_perm)], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return run.returncode
        cases.append(json.loads(run.stdout.strip().splitlines()[-1]))
        print(f"n_perm={n_perm}: first compiled call {cases[-1]['first_call_s']:.2f} s, then "
              f"{cases[-1]['steady_call_s'] * 1e3:.1f} ms per call (eager {cases[-1]['eager_call_s'] * 1e3:.1f} ms)")
    results = {"device": "cpu", "cpu_cores": os.cpu_count(), "torch": torch.__version__, "commit": git_commit(),
               "date": datetime.date.today().isoformat(), "command": "python benchmarks/bench_compile.py",
               "cases": cases}
    write_results(results, None, f"{results['date']}-compile-cpu-{os.cpu_count()}cores.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
