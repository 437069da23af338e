"""The ops as PyTorch sees them: torch.library.opcheck (schema, fake/meta kernels,
AOT dispatch with dynamic shapes) and shape propagation on the meta device."""
import numpy as np
import pytest
import torch
from torch.library import opcheck

import gpac

N = 1200


def taps(low, high, cycle):
    return torch.ops.gpac.fir_taps(500.0, low, high, N, cycle)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def x(request, rng):
    return torch.from_numpy(rng.standard_normal((3, N))).to(request.param)


def test_opcheck_filter(x):
    opcheck(torch.ops.gpac.filter.default, (x, taps([4.0, 8.0, 13.0], [8.0, 12.0, 30.0], 3)))


def test_opcheck_hilbert(x):
    opcheck(torch.ops.gpac.hilbert.default, (x.view(3, 2, N // 2),))


def test_opcheck_filter_hilbert(x):
    opcheck(torch.ops.gpac.filter_hilbert.default, (x, taps([4.0, 8.0], [8.0, 12.0], 3), taps([60.0], [90.0], 6)))


def test_opcheck_mi_scatter(x):
    phase, amplitude = torch.ops.gpac.filter_hilbert(x, taps([4.0, 8.0], [8.0, 12.0], 3),
                                                     taps([60.0, 90.0, 120.0], [90.0, 110.0, 160.0], 6))
    opcheck(torch.ops.gpac.mi_scatter.default, (phase, amplitude, 18))
    opcheck(torch.ops.gpac.mi_scatter.default, (phase, amplitude, 5))


def test_opcheck_modulation_index(x):
    args = (x.view(3, 1, N), taps([4.0, 8.0], [8.0, 12.0], 3), taps([60.0, 90.0], [90.0, 110.0], 6), 18, 0)
    opcheck(torch.ops.gpac.modulation_index.default, args)
    phase_index, shift = torch.ops.gpac.surrogate_plan(4, 3, N, "swap_trials", 7, "torch", False, 3)
    opcheck(torch.ops.gpac.modulation_index.default, args + (phase_index, shift))
    opcheck(torch.ops.gpac.modulation_index.default, args + (None, shift[:, [0, 0, 0]] + 5))


def test_opcheck_mi_scatter_with_surrogates(x):
    phase, amplitude = torch.ops.gpac.filter_hilbert(x, taps([4.0], [8.0], 3), taps([60.0, 90.0], [90.0, 110.0], 6))
    phase_index, shift = torch.ops.gpac.surrogate_plan(5, 3, N, "block_swap", 3, "torch", True)
    opcheck(torch.ops.gpac.mi_scatter.default, (phase, amplitude, 18, phase_index.flip(1), shift))


def test_modulation_index_op_composes_filter_hilbert_and_mi_scatter(x):
    """The pipeline is filter_hilbert then mi_scatter, with phases kept in float64 up to the binning."""
    pha_taps, amp_taps = taps([4.0, 8.0], [8.0, 12.0], 3), taps([60.0, 90.0], [90.0, 110.0], 6)
    fused = torch.ops.gpac.modulation_index(x, pha_taps, amp_taps, 18, 0)
    phase = torch.ops.gpac.filter_hilbert(x.double(), pha_taps, amp_taps)[0]
    amplitude = torch.ops.gpac.filter_hilbert(x, pha_taps, amp_taps)[1]
    assert phase.dtype == torch.float64 and amplitude.dtype == x.dtype
    steps = torch.ops.gpac.mi_scatter(phase, amplitude, 18)
    for got, ref in zip(fused, steps):
        assert got.dtype == ref.dtype
        torch.testing.assert_close(got, ref, rtol=0, atol=0)


def test_opcheck_fir_taps():
    opcheck(torch.ops.gpac.fir_taps.default, (500.0, [4.0, 60.0], [8.0, 90.0], N, 3, "band"))
    opcheck(torch.ops.gpac.fir_taps.default, (500.0, [4.0, 60.0], [8.0, 90.0], N, 3), {"device": "cpu"})


def test_meta_kernels_propagate_shapes():
    x = torch.empty(4, 5, 3000, device="meta", dtype=torch.float32)
    pha_taps = torch.empty(7, 301, device="meta", dtype=torch.float64)
    amp_taps = torch.empty(9, 40, device="meta", dtype=torch.float64)
    phase, amplitude = torch.ops.gpac.filter_hilbert(x, pha_taps, amp_taps)
    assert phase.shape == (4, 5, 7, 3000) and amplitude.shape == (4, 5, 9, 3000)
    assert phase.dtype == amplitude.dtype == torch.float32
    mi, sums, counts, surrogates = torch.ops.gpac.mi_scatter(phase, amplitude, 18)
    assert mi.shape == (4, 5, 7, 9) and sums.shape == (4, 5, 7, 9, 18) and counts.shape == (4, 5, 7, 18)
    assert counts.dtype == torch.int64 and surrogates.shape == (4, 5, 0, 7, 9)
    shift = torch.empty(11, 20, dtype=torch.int64, device="meta")
    assert torch.ops.gpac.mi_scatter(phase, amplitude, 18, None, shift)[3].shape == (4, 5, 11, 7, 9)
    pi, sh = torch.ops.gpac.surrogate_plan(11, 20, 3000, "swap_trials", 0, "torch", False, 5, device="meta")
    assert pi.shape == sh.shape == (11, 20) and pi.device.type == "meta"
    assert torch.ops.gpac.filter(torch.empty(2, 700, device="meta", dtype=torch.int16), amp_taps).dtype == torch.float32


def test_fir_taps_rows_are_padded_to_the_longest_band():
    # 2 Hz: order 3 * (512 // 2) = 768, clipped to (2000 - 1) // 3 = 666; 60 Hz: 3 * 8 = 24.
    bank = torch.ops.gpac.fir_taps(512.0, [2.0, 60.0], [4.0, 80.0], 2000, 3)
    assert bank.shape == (2, 667) and bank.dtype == torch.float64
    assert torch.ops.gpac.fir_taps(512.0, [2.0, 60.0], [4.0, 80.0], 2000, 3, device="meta").shape == (2, 667)
    torch.testing.assert_close(bank[1, :25], gpac.fir_taps(512.0, (60.0, 80.0), 2000, 3), rtol=0, atol=0)
    assert torch.count_nonzero(bank[1, 25:]) == 0


def test_histograms_reduce_to_mi(rng):
    """amp_sums and counts are the histograms the MI is computed from."""
    x = torch.from_numpy(rng.standard_normal((2, N)))
    phase, amplitude = torch.ops.gpac.filter_hilbert(x, taps([4.0], [8.0], 3), taps([60.0, 100.0], [90.0, 140.0], 6))
    mi, sums, counts, surrogates = torch.ops.gpac.mi_scatter(phase, amplitude, 18)
    assert torch.equal(counts.sum(-1), torch.full((2, 1), N))
    torch.testing.assert_close(sums.sum(-1), amplitude.sum(-1).unsqueeze(1), rtol=1e-12, atol=0)
    p = sums / counts.unsqueeze(2)
    p = p / p.sum(-1, keepdim=True)
    torch.testing.assert_close(mi, 1 + (p * p.log()).sum(-1) / torch.log(torch.tensor(18.0, dtype=torch.float64)))


def edge_phases(dtype, n_bins):
    """Phases at, just below and just above every bin edge, and exact zeros."""
    eps = 2 * float(np.finfo(dtype).eps)  # edges in float64, eps of the phase dtype
    edges = np.linspace(-np.pi - eps, np.pi + eps, n_bins + 1)
    near = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf), np.zeros(5)])
    near = near.astype(dtype)
    return near[(near >= -np.pi) & (near < np.pi)], edges


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_bins", [2, 10, 18, 20, 37, 256])
def test_bins_follow_numpy_digitize_at_the_edges(dtype, n_bins):
    """counts equal numpy.digitize's on linspace(-pi - eps, pi + eps) edges, phases on and beside them."""
    phase, edges = edge_phases(dtype, n_bins)
    ref = np.bincount(np.digitize(phase.astype(np.float64), edges) - 1, minlength=n_bins)
    pha = torch.from_numpy(phase).view(1, 1, -1)
    _, _, counts, _ = torch.ops.gpac.mi_scatter(pha, torch.ones_like(pha), n_bins)
    np.testing.assert_array_equal(counts.view(-1).numpy(), ref)


PAC_BANDS = ([4.0, 8.0], [8.0, 12.0], [60.0, 90.0], [90.0, 110.0])


@pytest.mark.parametrize("surrogate", ["block_swap", "swap_trials"])
def test_opcheck_pac(x, surrogate):
    args = (x.view(1, 3, N), 500.0, *PAC_BANDS, 18, 3, 6, 0, 4, surrogate, 4, 7, "torch", False, True, "raise")
    opcheck(torch.ops.gpac.pac.default, args)
    opcheck(torch.ops.gpac.pac.default, (x, 500.0, *PAC_BANDS), {"nan": "propagate"})


def test_pac_op_is_the_composed_pipeline(x):
    """gpac::pac returns exactly what the ops it replaces compute: designs, plan, modulation_index,
    surrogate_stats and amp_dist, bit for bit."""
    seed, n_perm, norm = 11, 6, 4
    mi, z, p, surrogates, amp_dist = torch.ops.gpac.pac(x, 500.0, *PAC_BANDS, n_perm=n_perm, seed=seed, norm=norm,
                                                        return_dist=True)
    pha_taps, amp_taps = taps(*PAC_BANDS[:2], 3), taps(*PAC_BANDS[2:], 6)
    _, shift = torch.ops.gpac.surrogate_plan(n_perm, 3, N, "block_swap", seed, "torch", False)
    ref = torch.ops.gpac.modulation_index(x, pha_taps, amp_taps, 18, 0, None, shift)
    ref_z, ref_p = torch.ops.gpac.surrogate_stats(ref[0], ref[3], norm)
    for got, want in [(mi, ref[0]), (surrogates, ref[3]), (z, ref_z), (p, ref_p),
                      (amp_dist, torch.ops.gpac.amp_dist(ref[1], ref[2]))]:
        assert got.dtype == x.dtype and torch.equal(got, want)
    # Without surrogates or distributions, z, p and amp_dist are empty.
    mi0, z0, p0, s0, d0 = torch.ops.gpac.pac(x, 500.0, *PAC_BANDS)
    assert torch.equal(mi0, mi) and z0.shape == p0.shape == d0.shape == (0,) and s0.shape == (3, 0, 2, 2)


def test_pac_op_meta_shapes_and_errors():
    x = torch.empty(4, 5, 3000, device="meta")
    mi, z, p, surrogates, amp_dist = torch.ops.gpac.pac(x, 500.0, *PAC_BANDS, n_bins=12, n_perm=7, return_dist=True)
    assert mi.shape == z.shape == p.shape == (4, 5, 2, 2)
    assert surrogates.shape == (4, 5, 7, 2, 2) and amp_dist.shape == (4, 5, 2, 2, 12)
    with pytest.raises(ValueError, match="nan must be 'raise' or 'propagate'"):
        torch.ops.gpac.pac(x, 500.0, *PAC_BANDS, nan="omit")
    with pytest.raises(ValueError, match="band edges must come in pairs"):
        torch.ops.gpac.pac(x, 500.0, [4.0], [8.0, 12.0], [60.0], [90.0])
    with pytest.raises(ValueError, match="plan has 3 rows but n_perm is 2"):
        torch.ops.gpac.pac(x, 500.0, *PAC_BANDS, n_perm=2, shift=torch.zeros(3, 20, dtype=torch.long, device="meta"))
