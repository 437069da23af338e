"""memory_budget as a bound on the CPU: each call runs in a fresh process on a memory-mapped
recording (read once before the baseline: the input's pages are not the call's memory), and its
peak RSS above the process after ``import gpac`` (VmHWM minus VmRSS before the call: every
thread's allocations and the caches) must stay within the budget plus the outputs plus 64 MiB
(README, "Long recordings"). The measurement is benchmarks/bench_budget.py's."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_budget import peak_above_import, write_recording  # noqa: E402

CONSTANT = 64 << 20


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """2 channels x 40 minutes at 1 kHz of float32 white noise (19 MB), memory-mapped: long enough
    that a row's bins, amplitudes, runs and transforms do not all fit the budgets below."""
    path = tmp_path_factory.mktemp("budget") / "recording.npy"
    write_recording(path, 40)
    return path


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc (Linux)")
@pytest.mark.parametrize("threads, budget_mib, n_perm, window", [(1, 64, 0, 0), (2, 64, 0, 0), (2, 128, 0, 0),
                                                                 (1, 512, 0, 0), (2, 256, 10, 0), (2, 64, 0, 10)])
def test_peak_rss_stays_within_the_budget(recording, threads, budget_mib, n_perm, window):
    budget = budget_mib << 20
    out = peak_above_import(recording, threads, budget, n_perm, window)
    assert out["finite"]
    bound = budget + out["outputs_bytes"] + CONSTANT
    assert out["peak_above_import_bytes"] <= bound, (
        f"peak {out['peak_above_import_bytes'] / 2**20:.0f} MiB above import, bound {bound / 2**20:.0f} MiB "
        f"({threads} threads, budget {budget_mib} MiB)")
