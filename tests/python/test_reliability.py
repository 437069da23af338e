"""Reliability: the NaN policy, calls from several threads (and CUDA streams) at once, and
bit-identical results run to run."""
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

import gpac

FS = 512.0
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


def signals(rng, shape, dtype=torch.float64):
    return torch.from_numpy(rng.standard_normal(shape)).to(dtype)


# --- NaN policy ---------------------------------------------------------------


def test_nan_raises_by_default_with_its_position(rng):
    x = signals(rng, (2, 3, 1024))
    x[1, 2, 77] = float("nan")
    message = r"the first is nan at index \[1, 2, 77\] of shape \[2, 3, 1024\].*nan=.propagate."
    with pytest.raises(ValueError, match=message):
        gpac.pac(x, FS, "lres", "lres")


@pytest.mark.parametrize("n_perm", [0, 12])
def test_nan_propagate_marks_only_the_bad_signals(rng, n_perm):
    """Signals with NaN or Inf get NaN everywhere; the others are exactly what they would be with
    finite data in the bad signals' place."""
    x = signals(rng, (3, 4, 1536), torch.float32)
    bad = torch.zeros(3, 4, dtype=torch.bool)
    x[0, 1, 5] = float("nan")
    x[2, 3, -1] = float("inf")
    bad[0, 1] = bad[2, 3] = True
    kw = dict(n_perm=n_perm, seed=4, progress=False, return_surrogates=n_perm > 0, return_dist=True,
              independent=True)
    out = gpac.pac(x, FS, "lres", "lres", nan="propagate", **kw)
    clean = x.clone()
    clean[bad] = signals(rng, (2, 1536), torch.float32)
    ref = gpac.pac(clean, FS, "lres", "lres", **kw)
    for name in ("mi", "z", "p", "surrogates", "amp_dist"):
        got, want = getattr(out, name), getattr(ref, name)
        if n_perm == 0 and name in ("z", "p", "surrogates"):
            assert got is None
            continue
        assert torch.isnan(got[bad]).all(), name
        assert torch.equal(got[~bad], want[~bad]), name
    assert torch.isfinite(out.mi[~bad]).all()


def test_nan_propagate_with_swap_trials_marks_borrowed_phases(rng):
    """With swapped trials, a bad trial's phase enters other trials' surrogates: exactly those
    surrogates are NaN (read off the plan), with the z and p they enter; every other value equals
    the call on finite data."""
    n_perm, seed = 6, 3
    x = signals(rng, (2, 5, 1024))
    x[1, 0, 3] = float("nan")
    bad = torch.zeros(2, 5, dtype=torch.bool)
    bad[1, 0] = True
    kw = dict(n_perm=n_perm, surrogate="swap_trials", seed=seed, progress=False, return_surrogates=True)
    out = gpac.pac(x, FS, "lres", "lres", nan="propagate", **kw)
    clean = x.clone()
    clean[1, 0] = signals(rng, (1024,))
    ref = gpac.pac(clean, FS, "lres", "lres", **kw)
    phase_index, _ = torch.ops.gpac.surrogate_plan(n_perm, 10, 1024, "swap_trials", seed, "torch", False, 5)
    flat = bad.flatten()
    bad_surrogates = (flat.unsqueeze(1) | flat[phase_index].t()).view(2, 5, n_perm)  # (signal, k)
    assert bad_surrogates.sum() > bad.sum() * n_perm, "the draw lends the bad trial's phase to no other trial"
    bad_stats = bad_surrogates.any(-1)
    for name, mask in (("mi", bad), ("surrogates", bad_surrogates), ("z", bad_stats), ("p", bad_stats)):
        got, want = getattr(out, name), getattr(ref, name)
        assert torch.isnan(got[mask]).all(), name
        assert torch.equal(got[~mask], want[~mask]), name


def test_nan_option_is_checked(rng):
    with pytest.raises(ValueError, match="nan must be 'raise' or 'propagate'"):
        gpac.modulation_index(signals(rng, (1, 1024)), FS, "lres", "lres", nan="ignore")


# --- several threads at once ----------------------------------------------------


def test_threads_calling_at_once_get_the_serial_results(rng):
    """Eight threads, inputs of several lengths and dtypes (so that the design and response caches
    are filled, hit and evicted concurrently), surrogates included: each result bit-identical to
    the same call made alone."""
    jobs = []
    for i in range(16):
        n = [1024, 1500, 2048, 3001][i % 4]
        dtype = torch.float32 if i % 2 else torch.float64
        jobs.append((signals(rng, (2, n), dtype), "lres" if i % 3 else "mres", i))

    def run(job):
        x, bands, seed = job
        return gpac.pac(x, FS, bands, bands, n_perm=8, seed=seed, progress=False)

    serial = [run(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(2):
            concurrent = list(pool.map(run, jobs))
            for a, b in zip(serial, concurrent):
                assert torch.equal(a.mi, b.mi) and torch.equal(a.z, b.z) and torch.equal(a.p, b.p)


def test_threads_calling_the_ops_directly(rng):
    x = signals(rng, (4, 2048))
    taps = gpac.fir_taps(FS, [4, 8], 2048).unsqueeze(0)
    want_f = torch.ops.gpac.filter(x, taps)
    want_h = torch.ops.gpac.hilbert(x)
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda i: (torch.ops.gpac.filter(x, taps), torch.ops.gpac.hilbert(x)), range(24)))
    for f, h in got:
        assert torch.equal(f, want_f) and torch.equal(h[0], want_h[0]) and torch.equal(h[1], want_h[1])


@needs_cuda
def test_cuda_streams_at_once(rng):
    """Calls issued on two CUDA streams, interleaved, give the results of the same calls on the
    default stream."""
    xs = [signals(rng, (4, 4096), torch.float32).cuda() for _ in range(4)]
    want = [gpac.pac(x, FS, "lres", "lres", n_perm=10, seed=i, progress=False) for i, x in enumerate(xs)]
    streams = [torch.cuda.Stream(), torch.cuda.Stream()]
    got = []
    for i, x in enumerate(xs):
        with torch.cuda.stream(streams[i % 2]):
            got.append(gpac.pac(x, FS, "lres", "lres", n_perm=10, seed=i, progress=False))
    torch.cuda.synchronize()
    for a, b in zip(want, got):
        assert torch.equal(a.mi, b.mi) and torch.equal(a.z, b.z)


# --- determinism ------------------------------------------------------------------

DETERMINISM_CHILD = textwrap.dedent("""
    import sys, numpy as np, torch, gpac
    torch.set_num_threads(int(sys.argv[2]))
    x = torch.from_numpy(np.random.default_rng(5).standard_normal((6, 3000))).float()
    res = gpac.pac(x, 512.0, "lres", "lres", n_perm=20, seed=9, progress=False, return_dist=True)
    # One amplitude band (a lone response), and a long row in windows under a small budget.
    one = gpac.pac(x, 512.0, "lres", [[60.0, 80.0]], progress=False)
    long = torch.from_numpy(np.random.default_rng(11).standard_normal((1, 40000)))
    win = gpac.pac(long, 512.0, "lres", "lres", memory_budget=4 << 20, progress=False, return_dist=True)
    np.savez(sys.argv[1], mi=res.mi.numpy(), z=res.z.numpy(), p=res.p.numpy(), dist=res.amp_dist.numpy(),
             one=one.mi.numpy(), win=win.amp_dist.numpy())
""")


def test_cpu_results_are_bit_identical_across_runs_and_thread_counts(tmp_path):
    """Same input and seed: the same bits in fresh processes, with one thread or two, set by
    torch.set_num_threads and by OMP_NUM_THREADS at start-up (which changes how MKL transforms)."""
    results = []
    for i, threads in enumerate([2, 2, 1]):
        path = tmp_path / f"run{i}.npz"
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        subprocess.run([sys.executable, "-c", DETERMINISM_CHILD, str(path), str(threads)], check=True, env=env)
        results.append(np.load(path))
    for other in results[1:]:
        for key in ("mi", "z", "p", "dist", "one", "win"):
            assert np.array_equal(results[0][key], other[key]), key


@needs_cuda
def test_cuda_results_are_bit_identical_run_to_run(rng):
    """The CUDA kernels reduce in a fixed order (README, "Determinism")."""
    x = signals(rng, (8, 4096), torch.float32).cuda()
    a = gpac.pac(x, FS, "hres", "hres", n_perm=16, seed=2, progress=False)
    b = gpac.pac(x, FS, "hres", "hres", n_perm=16, seed=2, progress=False)
    assert torch.equal(a.mi, b.mi) and torch.equal(a.z, b.z)
