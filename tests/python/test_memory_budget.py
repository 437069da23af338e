"""memory_budget as a bound on the CPU: each call runs in a fresh process on a memory-mapped
recording, and its peak RSS above the process after ``import gpac`` (VmHWM minus VmRSS before the
call: every thread's allocations, the caches and the mapped pages it reads) must stay within the
budget plus the outputs plus 64 MiB (README, "Long recordings")."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CONSTANT = 64 << 20

CHILD = """
import json, sys
import numpy as np, torch
torch.set_num_threads(int(sys.argv[2]))
import gpac

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

x = np.load(sys.argv[1], mmap_mode="r")
before = status("VmRSS:")
res = gpac.pac(x, 1000.0, "lres", "lres", memory_budget=int(sys.argv[3]), n_perm=int(sys.argv[4]), seed=1,
               progress=False)
outputs = sum(t.numel() * t.element_size() for t in (res.mi, res.z, res.p, res.all_surrogates) if t is not None)
print(json.dumps({"peak": status("VmHWM:") - before, "outputs": outputs,
                  "finite": bool(torch.isfinite(res.mi).all())}))
"""


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """2 channels x 40 minutes at 1 kHz of float32 white noise (19 MB), memory-mapped: long enough
    that a row's bins, amplitudes, runs and transforms do not all fit the budgets below."""
    path = tmp_path_factory.mktemp("budget") / "recording.npy"
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(2, 40 * 60 * 1000))
    x[:] = np.random.default_rng(5).standard_normal(x.shape, dtype=np.float32)
    x.flush()
    del x
    return path


def _peak(path: Path, threads: int, budget: int, n_perm: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    run = subprocess.run([sys.executable, "-c", CHILD, str(path), str(threads), str(budget), str(n_perm)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc (Linux)")
@pytest.mark.parametrize("threads, budget_mib, n_perm", [(1, 64, 0), (2, 64, 0), (2, 128, 0), (1, 512, 0),
                                                         (2, 256, 10)])
def test_peak_rss_stays_within_the_budget(recording, threads, budget_mib, n_perm):
    budget = budget_mib << 20
    out = _peak(recording, threads, budget, n_perm)
    assert out["finite"]
    bound = budget + out["outputs"] + CONSTANT
    assert out["peak"] <= bound, (f"peak {out['peak'] / 2**20:.0f} MiB above import, bound "
                                  f"{bound / 2**20:.0f} MiB ({threads} threads, budget {budget_mib} MiB)")
