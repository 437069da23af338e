"""The CUDA kernels against the CPU kernels, the reference (skipped without a GPU).

Outputs are checked element by element after the caching allocator's free
memory has been filled with NaN, so an output element a kernel fails to write
shows up as a mismatch.
"""
import numpy as np
import pytest
import torch
from torch.library import opcheck

import gpac
from conftest import circular_diff

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="no CUDA GPU on this machine: the CUDA kernels are compiled but cannot run here",
)

FS = 512.0


def poison_allocator():
    """Fills the caching allocator's cached free blocks with NaN bytes."""
    torch.cuda.synchronize()
    free = torch.cuda.mem_get_info()[0]
    blob = torch.empty(min(free // 4, 1 << 30) // 4, dtype=torch.float32, device="cuda")
    blob.fill_(float("nan"))
    del blob
    torch.cuda.synchronize()


def taps(low, high, n, cycle, device="cuda"):
    return torch.ops.gpac.fir_taps(FS, low, high, n, cycle, device=device)


def rel(got, ref):
    got, ref = got.double().cpu(), ref.double().cpu()
    return ((got - ref).abs() / ref.abs()).numpy()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("n_times", [2048, 3001])
@pytest.mark.parametrize("bands", ["lres", "hres"])
def test_modulation_index_matches_cpu(rng, tensorpac, dtype, n_times, bands):
    noise = rng.standard_normal((4, n_times))
    coupled, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=n_times, n_epochs=4,
                                                       noise=0.8, rnd_state=int(rng.integers(1 << 30)))
    x = torch.from_numpy(np.concatenate([noise, coupled])).to(dtype)
    ref = gpac.modulation_index(x, FS, bands, bands)
    poison_allocator()
    got = gpac.modulation_index(x.cuda(), FS, bands, bands)
    assert got.device.type == "cuda" and got.dtype == dtype and got.shape == ref.shape
    err = rel(got, ref)
    if dtype == torch.float64:
        assert err.max() <= 1e-6
    else:
        assert np.median(err) <= 1e-4 and err.max() <= 1e-3


def test_each_op_matches_cpu(rng):
    n = 2500
    x = torch.from_numpy(rng.standard_normal((2, 3, n)))
    pha_c, amp_c = taps([2.0, 4.0, 8.0], [4.0, 8.0, 12.0], n, 3, "cpu"), taps([60.0, 80.0], [90.0, 120.0], n, 6, "cpu")
    pha_g, amp_g = pha_c.cuda(), amp_c.cuda()
    xg = x.cuda()
    poison_allocator()
    torch.testing.assert_close(torch.ops.gpac.filter(xg, amp_g).cpu(), torch.ops.gpac.filter(x, amp_c),
                               rtol=1e-9, atol=1e-12)
    for (gp, ga), (cp, ca) in [
        (torch.ops.gpac.hilbert(xg), torch.ops.gpac.hilbert(x)),
        (torch.ops.gpac.filter_hilbert(xg, pha_g, amp_g), torch.ops.gpac.filter_hilbert(x, pha_c, amp_c)),
    ]:
        assert np.abs(circular_diff(gp.cpu().numpy(), cp.numpy())).max() <= 1e-7
        torch.testing.assert_close(ga.cpu(), ca, rtol=1e-9, atol=1e-12)
    phase, amplitude = torch.ops.gpac.filter_hilbert(x, pha_c, amp_c)
    for n_bins in (2, 18, 256):
        poison_allocator()
        got = torch.ops.gpac.mi_scatter(phase.cuda(), amplitude.cuda(), n_bins)
        ref = torch.ops.gpac.mi_scatter(phase, amplitude, n_bins)
        torch.testing.assert_close(got[2].cpu(), ref[2], rtol=0, atol=0)  # counts: exact
        torch.testing.assert_close(got[1].cpu(), ref[1], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(got[0].cpu(), ref[0], rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("n_pha,n_amp", [(1, 1), (1, 100), (100, 1), (7, 45), (50, 50), (33, 65)])
def test_mi_scatter_band_groupings(rng, n_pha, n_amp):
    """Every split of the pairs into thread blocks covers every pair once."""
    S, n = 3, 1000
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (S, n_pha, n)))
    amplitude = torch.from_numpy(rng.uniform(0.5, 1.5, (S, n_amp, n)))
    poison_allocator()
    got = torch.ops.gpac.mi_scatter(phase.cuda(), amplitude.cuda(), 18)
    ref = torch.ops.gpac.mi_scatter(phase, amplitude, 18)
    for g, r in zip(got, ref):
        torch.testing.assert_close(g.cpu(), r, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("n,n_bins", [(1, 18), (5, 18), (1023, 18), (3001, 18), (3001, 2), (2100, 256)])
def test_mi_scatter_surrogates_match_cpu(rng, dtype, n, n_bins):
    """surrogate_walk adds the CPU's float64 terms in the CPU's order (csrc/prefix_runs.h), so the
    histograms are the same bits and the surrogates' MI differs by the logarithms' rounding at most.
    37 x 45 bands: two amplitude groups (lanes 23 and 22); at 256 bins two warps (phase bands) a block
    on an H100 or H200, 19 phase groups."""
    S, P, A, K = 3, 37, 45, 24
    # Slow phases (runs of equal bins, as band-passed phases give) and a few flickering rows.
    steps = rng.uniform(0.0, 0.6, (S, P, n))
    steps[:, :3] = rng.uniform(0.0, 6.3, (S, 3, n))
    phase = torch.from_numpy(np.angle(np.exp(1j * np.cumsum(steps, axis=-1)))).to(dtype)
    amplitude = torch.from_numpy(rng.uniform(0.1, 2.0, (S, A, n))).to(dtype)
    phase_index = torch.from_numpy(rng.integers(0, S, (K, S)))
    shift = torch.from_numpy(rng.integers(0, n, (K, S)))
    shift[0], shift[1], shift[2] = 0, n - 1, 1024 % n  # none, every run wrapped, on a tile boundary
    ref = torch.ops.gpac.mi_scatter(phase, amplitude, n_bins, phase_index, shift)
    poison_allocator()
    got = torch.ops.gpac.mi_scatter(phase.cuda(), amplitude.cuda(), n_bins, phase_index.cuda(), shift.cuda())
    torch.testing.assert_close(got[2].cpu(), ref[2], rtol=0, atol=0)  # counts: exact
    tol = dict(rtol=1e-13, atol=1e-15) if dtype == torch.float64 else dict(rtol=2.5e-7, atol=1e-12)
    torch.testing.assert_close(got[3].cpu(), ref[3], **tol)


def test_memory_budget_and_streams(rng):
    x = torch.from_numpy(rng.standard_normal((5, 2500))).float().cuda()
    ref = gpac.modulation_index(x, FS, "lres", "lres")
    for budget in (1, 200_000):
        torch.testing.assert_close(gpac.modulation_index(x, FS, "lres", "lres", memory_budget=budget), ref,
                                   rtol=1e-5, atol=1e-9)
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        on_side = gpac.modulation_index(x, FS, "lres", "lres")
    stream.synchronize()
    torch.testing.assert_close(on_side, ref, rtol=0, atol=0)


def test_peak_memory_is_bounded_by_the_budget(rng):
    x = torch.from_numpy(rng.standard_normal((16, 30720))).float().cuda()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    gpac.modulation_index(x, FS, "hres", "hres", memory_budget=256 << 20)
    torch.cuda.synchronize()
    assert torch.cuda.max_memory_allocated() - base <= 400 << 20


def test_pac_module_and_torchscript_on_cuda(rng):
    x = torch.from_numpy(rng.standard_normal((2, 2, 2000))).float()
    module = gpac.PAC(FS)
    ref = module(x)["mi"]
    got = module.cuda()(x.cuda())["mi"]
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), ref, rtol=1e-4, atol=1e-7)
    torch.testing.assert_close(torch.jit.script(module)(x.cuda())["mi"], got, rtol=0, atol=0)


def test_opcheck_on_cuda(rng):
    n = 1200
    x = torch.from_numpy(rng.standard_normal((3, n))).float().cuda()
    pha, amp = taps([4.0, 8.0], [8.0, 12.0], n, 3), taps([60.0], [90.0], n, 6)
    opcheck(torch.ops.gpac.filter.default, (x, amp))
    opcheck(torch.ops.gpac.hilbert.default, (x,))
    opcheck(torch.ops.gpac.filter_hilbert.default, (x, pha, amp))
    opcheck(torch.ops.gpac.mi_scatter.default, (*torch.ops.gpac.filter_hilbert(x, pha, amp), 18))
    opcheck(torch.ops.gpac.modulation_index.default, (x, pha, amp, 18, 0))


def test_errors_on_cuda(rng):
    x = torch.from_numpy(rng.standard_normal((2, 2000))).cuda()
    bad = x.clone()
    bad[1, 77] = float("nan")
    with pytest.raises(ValueError, match=r"index \[1, 77\]"):
        gpac.modulation_index(bad, FS, [[4, 8]], [[60, 90]])
    with pytest.raises(ValueError, match="taps is on cpu but the signals are on cuda"):
        torch.ops.gpac.filter(x, taps([4.0], [8.0], 2000, 3, "cpu"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_bins", [2, 10, 18, 20, 37, 256])
def test_bins_at_the_edges_match_cpu(dtype, n_bins):
    from test_op_contract import edge_phases

    phase = torch.from_numpy(edge_phases(dtype, n_bins)[0]).view(1, 1, -1)
    amplitude = torch.ones_like(phase)
    ref = torch.ops.gpac.mi_scatter(phase, amplitude, n_bins)
    got = torch.ops.gpac.mi_scatter(phase.cuda(), amplitude.cuda(), n_bins)
    torch.testing.assert_close(got[2].cpu(), ref[2], rtol=0, atol=0)


def test_zero_signal_on_cuda():
    mi = gpac.modulation_index(torch.zeros(2, 2000, device="cuda"), FS, [[4, 8]], [[60, 90]])
    assert torch.equal(mi.cpu(), torch.zeros(2, 1, 1))


def test_repeated_runs_are_bit_identical(rng):
    x = torch.from_numpy(rng.standard_normal((5, 2500))).cuda()  # float64: chunks of time are summed in order
    first = torch.ops.gpac.modulation_index(x, taps([4.0], [8.0], 2500, 3), taps([60.0, 90.0], [90.0, 120.0], 2500, 6),
                                            18, 0)
    for _ in range(3):
        again = torch.ops.gpac.modulation_index(x, taps([4.0], [8.0], 2500, 3),
                                                taps([60.0, 90.0], [90.0, 120.0], 2500, 6), 18, 0)
        for a, b in zip(first, again):
            assert torch.equal(a, b)


def test_cpu_band_tensors_serve_cuda_signals(rng):
    x = torch.from_numpy(rng.standard_normal((2, 2000))).cuda()
    bands = gpac.preset_bands("lres", "phase")  # a CPU tensor
    torch.testing.assert_close(gpac.modulation_index(x, FS, bands, [[60, 90]]),
                               gpac.modulation_index(x, FS, bands.tolist(), [[60, 90]]), rtol=0, atol=0)
    with pytest.raises(ValueError, match="bands are on cuda:0 but the signal is on cpu"):
        gpac.modulation_index(x.cpu(), FS, bands.cuda(), [[60, 90]])


@pytest.mark.parametrize("surrogate,independent", [("block_swap", False), ("block_swap", True),
                                                   ("time_lag", False), ("swap_trials", False)])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_surrogates_z_and_p_match_cpu(rng, surrogate, independent, dtype):
    """The same seed draws the same shifts on both devices, so z and p agree."""
    x = torch.from_numpy(rng.standard_normal((3, 4, 2000))).to(dtype)
    kwargs = dict(n_perm=50, surrogate=surrogate, independent=independent, seed=17, return_surrogates=True)
    ref = gpac.pac(x, FS, "lres", [[60, 90], [90, 130]], **kwargs)
    poison_allocator()
    got = gpac.pac(x.cuda(), FS, "lres", [[60, 90], [90, 130]], **kwargs)
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == torch.float64 else dict(rtol=2e-3, atol=1e-6)
    torch.testing.assert_close(got.surrogates.cpu(), ref.surrogates, **tol)
    torch.testing.assert_close(got.z.cpu(), ref.z, **tol)
    # p counts surrogates >= the MI: one within rounding of it may land on either side. With
    # swap_trials, a trial the permutation leaves in place gives a surrogate equal to the MI (about
    # one in four here), computed on the GPU by another kernel than the MI itself.
    rtol, atol = tol["rtol"], tol["atol"]
    near = ((ref.surrogates - ref.mi.unsqueeze(-3)).abs() <= atol + rtol * ref.mi.abs().unsqueeze(-3)).sum(-3)
    assert ((got.p.cpu() - ref.p).abs() <= near / 51 + 1e-6).all()  # 1e-6: p itself is float32 here


def test_pac_module_with_surrogates_on_cuda(rng):
    x = torch.from_numpy(rng.standard_normal((2, 2000))).cuda()
    module = gpac.PAC(FS, [[4, 8]], [[60, 90]], n_perm=30, seed=3, return_dist=True).cuda()
    out = torch.jit.script(module)(x)
    ref = gpac.pac(x.cpu(), FS, [[4, 8]], [[60, 90]], n_perm=30, seed=3, return_dist=True)
    torch.testing.assert_close(out["z"].cpu(), ref.z, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(out["amp_dist"].cpu(), ref.amp_dist, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", ["mi", "hr", "mvl", "ps", "gc"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_wavelet_methods_match_cpu(rng, method, dtype):
    """dcomplex='wavelet' on the device: the ATen wavelet path, then the usual reductions."""
    x = torch.from_numpy(rng.standard_normal((3, 2, 2000))).to(dtype)
    kw = dict(method=method, n_perm=6, seed=4, return_surrogates=True, dcomplex="wavelet", width=6)
    poison_allocator()
    got = gpac.pac(x.cuda(), FS, "lres", [[60, 90], [90, 130]], **kw)
    ref = gpac.pac(x, FS, "lres", [[60, 90], [90, 130]], **kw)
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    for name in ("mi", "z", "surrogates"):
        assert getattr(got, name).device.type == "cuda"
        assert np.median(rel(getattr(got, name), getattr(ref, name))) < tol, name


@pytest.mark.parametrize("method", ["hr", "mvl", "ndpac", "ps", "gc"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_other_methods_match_cpu(rng, method, dtype):
    x = torch.from_numpy(rng.standard_normal((3, 4, 2000))).to(dtype)
    kw = dict(method=method, ndpac_p=None, n_perm=8, seed=2, surrogate="swap_trials", return_surrogates=True)
    poison_allocator()
    got = gpac.pac(x.cuda(), FS, "lres", [[60, 90], [90, 130]], **kw)
    ref = gpac.pac(x, FS, "lres", [[60, 90], [90, 130]], **kw)
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    for name in ("mi", "z", "surrogates"):
        assert got.mi.device.type == "cuda"
        assert np.median(rel(getattr(got, name), getattr(ref, name))) < tol, name


@pytest.mark.parametrize("method", ["circular", "gc"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_erpac_matches_cpu(rng, method, dtype):
    x = torch.from_numpy(rng.standard_normal((2, 30, 800))).to(dtype)
    kw = dict(method=method, n_perm=6, seed=4, mcp="fdr", p=0.5, smooth=3 if method == "gc" else None)
    poison_allocator()
    got = gpac.erpac(x.cuda(), FS, "lres", [[60, 90], [90, 130]], **kw)
    ref = gpac.erpac(x, FS, "lres", [[60, 90], [90, 130]], **kw)
    assert got.erpac.device.type == "cuda"
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    assert np.median(rel(got.erpac, ref.erpac)) < tol
    if dtype == torch.float64:
        assert torch.equal(got.p_uncorrected.cpu(), ref.p_uncorrected)


@pytest.mark.parametrize("method", ["mi", "hr", "mvl", "gc"])
def test_windows_match_cpu(rng, method):
    x = torch.from_numpy(rng.standard_normal((3, 5000)))
    kw = dict(method=method, window=2.0, step=1.0, n_perm=5, seed=3, return_surrogates=True)
    poison_allocator()
    got = gpac.pac(x.cuda(), FS, "lres", [[60, 90], [90, 130]], **kw)
    ref = gpac.pac(x, FS, "lres", [[60, 90], [90, 130]], **kw)
    assert got.mi.shape == ref.mi.shape and got.mi.device.type == "cuda"
    for name in ("mi", "z", "surrogates"):
        assert np.median(rel(getattr(got, name), getattr(ref, name))) < 1e-10, name
