"""The CUDA path's per-call costs (skipped without a GPU): no host synchronisation on the success
path, and a ceiling on the kernels one call launches, derived from the design below.

Counts are taken after a warm-up call (filter designs, band responses, cuFFT plans and surrogate
plans' pinned buffers are cached then), on small inputs so that everything fits one FFT block.
"""
import sys
from pathlib import Path

import pytest
import torch

import gpac

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from gpu_profile import count_syncs, profile_call  # noqa: E402

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="no CUDA GPU on this machine: the CUDA kernels are compiled but cannot run here",
)

FS = 512.0


@pytest.fixture
def x(rng):
    return torch.from_numpy(rng.standard_normal((4, 2048))).float().cuda()


def no_sync(fn):
    """fn() run twice (warm-up, then under sync debug mode 'error', which raises on any sync)."""
    fn()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        return fn()
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("n_perm,surrogate", [(0, "block_swap"), (20, "block_swap"), (20, "time_lag"),
                                              (20, "swap_trials")])
def test_pac_with_nan_propagate_never_synchronises(x, n_perm, surrogate):
    signals = x.view(2, 2, -1)
    no_sync(lambda: gpac.pac(signals, FS, "lres", "lres", n_perm=n_perm, surrogate=surrogate, seed=1,
                             return_dist=True, nan="propagate", progress=False))
    no_sync(lambda: gpac.modulation_index(signals, FS, "lres", "lres", nan="propagate"))
    no_sync(lambda: torch.ops.gpac.fir_taps(FS, [4.0], [8.0], 2048, 3, device="cuda"))
    no_sync(lambda: torch.ops.gpac.surrogate_plan(20, 4, 2048, "block_swap", 0, device="cuda"))


def test_pac_with_nan_propagate_marks_bad_signals_without_a_sync(x):
    x = x.clone()
    x[1, 7] = float("nan")
    res = no_sync(lambda: gpac.pac(x, FS, "lres", "lres", n_perm=10, seed=2, nan="propagate", progress=False))
    bad = torch.tensor([False, True, False, False])
    assert res.mi.isnan().cpu()[bad].all() and res.mi.isfinite().cpu()[~bad].all()
    assert res.z.isnan().cpu()[bad].all() and res.p.isfinite().cpu()[~bad].all()


@pytest.mark.parametrize("entry", ["pac", "PAC", "filter", "hilbert", "filter_hilbert", "mi_scatter",
                                   "modulation_index"])
def test_nan_raise_reads_its_flags_once(x, entry):
    """nan='raise' (and every low-level op, which raises) reads the device's check flags once, at
    the end of the call: csrc/data_checks.h's one documented synchronisation."""
    pha = torch.ops.gpac.fir_taps(FS, [4.0, 8.0], [8.0, 12.0], 2048, 3, device="cuda")
    amp = torch.ops.gpac.fir_taps(FS, [60.0, 90.0], [90.0, 120.0], 2048, 6, device="cuda")
    phase, amplitude = torch.ops.gpac.filter_hilbert(x, pha, amp)
    module = gpac.PAC(FS, "lres", "lres", n_perm=10, seed=0).cuda()
    calls = {
        "pac": lambda: gpac.pac(x, FS, "lres", "lres", n_perm=10, seed=0, progress=False),
        "PAC": lambda: module(x),
        "filter": lambda: torch.ops.gpac.filter(x, pha),
        "hilbert": lambda: torch.ops.gpac.hilbert(x),
        "filter_hilbert": lambda: torch.ops.gpac.filter_hilbert(x, pha, amp),
        "mi_scatter": lambda: torch.ops.gpac.mi_scatter(phase, amplitude, 18),
        "modulation_index": lambda: torch.ops.gpac.modulation_index(x, pha, amp, 18, 0),
    }
    assert count_syncs(calls[entry]) == 1


# The ceiling on kernels per gpac.pac call (4 x 2048 float32, 10 x 10 bands, one FFT block), from
# the design (csrc/pipeline.cpp, kernels/cuda/filter_hilbert_cuda.cu, kernels/cuda/bin_histograms_cuda.cu):
#   nan='raise': 1 zero-fill of the NaN flag; counts zero-filled (1);
#   kernels/cuda/filter_hilbert_cuda.cu: extend_rows, band_spectra, zero_tails or pad_rows, hilbert_spectra,
#     polar_rows (5), and 4 cuFFT executions of at most 3 kernels each (12): 17;
#   histograms: pair_histograms, finalize (2); the flags stacked for the one read (1);
#   total 22, and 8 more for cuFFT's decomposition of other lengths: CEILING_MI = 30.
#   With n_perm surrogates add tile_prefix, change_masks and surrogate_walk (3) and surrogate_stats' ATen
#   ops (mean, std, their differences and quotients, the exceedance count and p: at most 16):
#   CEILING_SURROGATES = 49.
# The ATen-composed path this replaced launched ~62 kernels without surrogates.
CEILING_MI = 30
CEILING_SURROGATES = 49


def test_kernels_per_call_stay_under_the_design_ceiling(x):
    mi_only = profile_call(lambda: gpac.pac(x, FS, "lres", "lres", progress=False))
    with_surrogates = profile_call(lambda: gpac.pac(x, FS, "lres", "lres", n_perm=20, seed=0, progress=False))
    print("kernels per call:", mi_only["kernels_per_call"], with_surrogates["kernels_per_call"])
    print("kernel names:", sorted(with_surrogates["kernel_s"]))
    assert mi_only["kernels_per_call"] <= CEILING_MI
    assert with_surrogates["kernels_per_call"] <= CEILING_SURROGATES


def test_pac_on_cuda_matches_cpu_with_distributions_and_nan(rng):
    """The one-op path on CUDA against the CPU, outputs poisoned first (test_cuda.py's helper)."""
    from test_cuda import poison_allocator

    x = torch.from_numpy(rng.standard_normal((3, 2, 3001)))
    x[2, 1, 100] = float("inf")
    kw = dict(n_perm=16, seed=5, surrogate="swap_trials", return_dist=True, return_surrogates=True,
              nan="propagate", progress=False)
    ref = gpac.pac(x, FS, "lres", "hres", **kw)
    poison_allocator()
    got = gpac.pac(x.cuda(), FS, "lres", "hres", **kw)
    for name in ("mi", "z", "p", "surrogates", "amp_dist"):
        g, r = getattr(got, name).cpu(), getattr(ref, name)
        assert torch.equal(g.isnan(), r.isnan()), name
        ok = ~r.isnan()
        if name == "p":  # counts of surrogates above the MI: equal unless a value sits within rounding
            assert (g[ok] - r[ok]).abs().max() <= 2 / 17, name
            continue
        torch.testing.assert_close(g[ok], r[ok], rtol=1e-6, atol=1e-9, msg=name)
