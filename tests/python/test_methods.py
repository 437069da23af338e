"""TensorPAC's other PAC measures (method='mvl', 'ndpac', 'ps', 'gc') against TensorPAC itself
(tensorpac/methods/meth_pac.py): values, surrogates and z with TensorPAC's own draw, white-noise
p-values, the coupled peak, gradients and errors."""
import numpy as np
import pytest
import torch

import gpac

FS = 512.0
PHA = [[4.0, 8.0], [5.0, 9.0], [8.0, 12.0]]
AMP = [[60.0, 90.0], [80.0, 110.0], [120.0, 160.0]]
IDPAC = {"mvl": 1, "ndpac": 4, "ps": 5, "gc": 6}  # hr (3): its own tests below (pooled counts)
METHODS = list(IDPAC)


def tensorpac_pac(tensorpac, x, method, idpac=None, n_perm=0, seed=0):
    """TensorPAC's measure (n_amp, n_pha, n_epochs) and its Pac object. PS goes through
    Pac.fit on the filtered signals: filterfit takes the envelope's phase twice."""
    p = tensorpac.Pac(idpac=idpac or (IDPAC[method], 0, 0), f_pha=PHA, f_amp=AMP, dcomplex="hilbert",
                      verbose=False)
    if method == "ps":
        pha = p.filter(FS, x, "phase", n_jobs=1)
        amp = p.filter(FS, x, "amplitude", n_jobs=1)
        out = p.fit(pha, amp, n_perm=n_perm, random_state=seed, n_jobs=1)
    else:
        out = p.filterfit(FS, x, n_perm=n_perm, random_state=seed, n_jobs=1)
    return out, p


def signals(tensorpac, kind, rng, n_epochs=3, n_times=2400):
    if kind == "noise":
        return rng.standard_normal((n_epochs, n_times))
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=n_times, n_epochs=n_epochs,
                                                 noise=0.8, rnd_state=int(rng.integers(1 << 20)))
    return x


@pytest.mark.parametrize("kind", ["noise", "coupled"])
@pytest.mark.parametrize("method", METHODS)
def test_method_float64_equals_tensorpac(rng, tensorpac, method, kind):
    x = signals(tensorpac, kind, rng)
    ref, _ = tensorpac_pac(tensorpac, x, method)
    got = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method=method)
    assert got.method == method and got.pac is got.mi
    if method == "gc":  # bits: absolute
        np.testing.assert_allclose(got.mi.numpy().transpose(2, 1, 0), ref, rtol=0, atol=1e-6)
    else:
        np.testing.assert_allclose(got.mi.numpy().transpose(2, 1, 0), ref, rtol=1e-6, atol=1e-12)
    if method == "ndpac":
        assert (ref == 0).any() and (ref > 0).any(), "the threshold should zero some cells and keep others"


def ndpac_unthresholded(tensorpac, x):
    from tensorpac.methods.meth_pac import norm_direct_pac

    p = tensorpac.Pac(idpac=(4, 0, 0), f_pha=PHA, f_amp=AMP, verbose=False)
    return norm_direct_pac(p.filter(FS, x, "phase", n_jobs=1), p.filter(FS, x, "amplitude", n_jobs=1), p=None)


@pytest.mark.parametrize("method", METHODS)
def test_method_float32_close_to_tensorpac(rng, tensorpac, method):
    """ndPAC without its threshold, which a float32 value close to it may cross."""
    x = signals(tensorpac, "coupled", rng)
    ref = ndpac_unthresholded(tensorpac, x) if method == "ndpac" else tensorpac_pac(tensorpac, x, method)[0]
    got = gpac.pac(torch.from_numpy(x).float(), FS, PHA, AMP, method=method, ndpac_p=None)
    assert got.mi.dtype == torch.float32
    rel = np.abs(got.mi.double().numpy().transpose(2, 1, 0) - ref) / np.abs(ref)
    assert np.median(rel) < 1e-4, np.median(rel)


def test_ndpac_without_threshold_equals_tensorpac_p_none(rng, tensorpac):
    x = signals(tensorpac, "noise", rng)
    ref = ndpac_unthresholded(tensorpac, x)
    for threshold in (None, 1.0):
        got = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method="ndpac", ndpac_p=threshold)
        np.testing.assert_allclose(got.mi.numpy().transpose(2, 1, 0), ref, rtol=1e-6)
        assert (got.mi > 0).all()


def tensorpac_surrogates(tensorpac, x, method, ident, n_perm, seed):
    """TensorPAC's surrogates (n_perm, n_amp, n_pha, n_epochs) and z-scored PAC, from its own
    surrogate and normalisation functions (its Pac object gives ndPAC no surrogates), with the
    phases and amplitudes Pac.fit reduces (PS: the envelope's phase, taken once)."""
    from tensorpac.methods import compute_surrogates, get_pac_fcn, normalize
    from tensorpac.spectral import hilbertm

    p = tensorpac.Pac(idpac=(IDPAC[method], 0, 0), f_pha=PHA, f_amp=AMP, verbose=False)
    pha, amp = p.filter(FS, x, "phase", n_jobs=1), p.filter(FS, x, "amplitude", n_jobs=1)
    if method == "ps":
        amp = np.angle(hilbertm(amp))
    if method == "gc":  # as Pac.fit prepares them
        from tensorpac.gcmi import copnorm

        pha = copnorm(np.stack([np.sin(pha), np.cos(pha)], axis=-2))
        amp = copnorm(amp[..., np.newaxis, :])
    fcn = get_pac_fcn(IDPAC[method], 18, 0.05)
    surrogates = compute_surrogates(pha, amp, ident, fcn, n_perm, 1, seed)
    z = fcn(pha, amp)
    normalize(4, z, surrogates)
    return surrogates, z


@pytest.mark.parametrize("surrogate,ident", [("block_swap", 2), ("time_lag", 3)])
@pytest.mark.parametrize("method", METHODS)
def test_surrogates_and_z_with_tensorpac_draw(rng, tensorpac, method, surrogate, ident):
    """rng='tensorpac' draws TensorPAC's surrogates, so the surrogates and z equal its own."""
    x = signals(tensorpac, "coupled", rng, n_epochs=2)
    seed, n_perm = int(rng.integers(0, 10000)), 30
    got = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method=method, n_perm=n_perm, surrogate=surrogate,
                   seed=seed, rng="tensorpac", return_surrogates=True)
    for s in range(2):
        surrogates, z = tensorpac_surrogates(tensorpac, x[s:s + 1], method, ident, n_perm, seed)
        np.testing.assert_allclose(got.surrogates[s].numpy().transpose(0, 2, 1), surrogates[..., 0],
                                   rtol=1e-6, atol=1e-12)
        finite = np.isfinite(z[..., 0])  # ndPAC: a cell whose surrogates all fall under the threshold
        np.testing.assert_allclose(got.z[s].numpy().T[finite], z[..., 0][finite], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_p_values_on_white_noise(rng, method):
    """Share of p < 0.05 over 300 noise channels within 3 standard errors of its expectation."""
    x = torch.from_numpy(rng.standard_normal((300, 1500)))
    res = gpac.pac(x, FS, [[4, 8]], [[70, 110]], n_perm=99, seed=int(rng.integers(1 << 30)), method=method,
                   ndpac_p=None)
    share = float((res.p < 0.05).double().mean())
    expected = 4 / 100  # (1 + c) / 100 < 0.05 means c <= 3 of 99 surrogates above
    assert abs(share - expected) <= 3 * np.sqrt(expected * (1 - expected) / 300), share


@pytest.mark.parametrize("method", METHODS)
def test_coupled_signals_peak_at_generated_frequencies(tensorpac, method):
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=6000, n_epochs=3, noise=0.5,
                                                 rnd_state=3)
    pha = gpac.linear_bands((2, 14), 7, "phase")
    amp = gpac.linear_bands((50, 150), 6, "amplitude")
    res = gpac.pac(torch.from_numpy(x), FS, pha, amp, method=method, n_perm=20, seed=1)
    i, j = np.unravel_index(int(res.z.mean(0).argmax()), res.z.shape[1:])
    assert abs(float(pha[i].mean()) - 6) <= 2 and abs(float(amp[j].mean()) - 90) <= 20, (i, j)


def test_swap_trials_and_nan_propagate_with_methods(rng):
    x = torch.from_numpy(rng.standard_normal((2, 4, 1200)))
    x[1, 2, 5] = float("nan")
    kw = dict(n_perm=8, surrogate="swap_trials", seed=2, return_surrogates=True, method="mvl")
    out = gpac.pac(x, FS, PHA, AMP, nan="propagate", **kw)
    clean = x.clone()
    clean[1, 2] = torch.from_numpy(rng.standard_normal(1200))
    ref = gpac.pac(clean, FS, PHA, AMP, **kw)
    assert out.mi[1, 2].isnan().all() and torch.equal(out.mi[0], ref.mi[0])
    # channel 0's trials borrow no phase from channel 1
    assert torch.equal(out.surrogates[0], ref.surrogates[0]) and torch.equal(out.z[0], ref.z[0])


def test_small_budget_chunks_give_the_same_result(rng):
    x = torch.from_numpy(rng.standard_normal((6, 1500)))
    whole = gpac.pac(x, FS, PHA, AMP, method="ps", n_perm=5, seed=3, return_surrogates=True)
    chunked = gpac.pac(x, FS, PHA, AMP, method="ps", n_perm=5, seed=3, return_surrogates=True,
                       memory_budget=1500 * 6 * 60)
    for name in ("mi", "z", "surrogates"):
        torch.testing.assert_close(getattr(chunked, name), getattr(whole, name), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="method 'ps' needs whole signals in memory"):
        gpac.pac(x, FS, PHA, AMP, method="ps", memory_budget=10_000)


@pytest.mark.parametrize("method", ["mvl", "ndpac", "ps"])
def test_gradient_of_each_method(rng, method):
    x = torch.from_numpy(rng.standard_normal((2, 96))).requires_grad_()

    def f(v):
        return gpac.pac(v, 64.0, [[4, 8]], [[15, 25], [20, 30]], method=method, ndpac_p=None).mi

    assert torch.autograd.gradcheck(f, (x,))


def test_gc_has_no_gradient(rng):
    """The copula normalisation is piecewise constant in the signals (ranks): GC records none."""
    x = torch.from_numpy(rng.standard_normal((2, 600))).requires_grad_()
    assert not gpac.pac(x, FS, PHA, AMP, method="gc").mi.requires_grad


def test_module_with_a_method_scripts(rng):
    x = torch.from_numpy(rng.standard_normal((2, 1500)))
    module = gpac.PAC(FS, PHA, AMP, n_perm=6, seed=1, method="ndpac")
    out = module(x)
    ref = gpac.pac(x, FS, PHA, AMP, n_perm=6, seed=1, method="ndpac")
    torch.testing.assert_close(out["mi"], ref.mi, rtol=0, atol=0)
    torch.testing.assert_close(torch.jit.script(module)(x)["z"], ref.z, rtol=0, atol=0)
    assert "method='ndpac'" in repr(module)


@pytest.mark.parametrize("kwargs,match", [
    (dict(method="plv"), "method must be one of"),
    (dict(method=7), "method must be one of"),
    (dict(method="ndpac", ndpac_p=0.0), r"ndpac_p .* must be in \(0, 1\]"),
    (dict(method="ndpac", ndpac_p=1.5), r"ndpac_p .* must be in \(0, 1\]"),
    (dict(method="mvl", return_dist=True), "return_dist .* needs method 'mi' or 'hr'; method 'mvl'"),
])
def test_bad_method_options(rng, kwargs, match):
    x = torch.from_numpy(rng.standard_normal((1, 1500)))
    with pytest.raises(ValueError, match=match):
        gpac.pac(x, FS, PHA, AMP, **kwargs)
    with pytest.raises(ValueError, match=match):
        gpac.PAC(FS, PHA, AMP, **kwargs)


def test_tensorpac_method_numbers(rng):
    x = torch.from_numpy(rng.standard_normal((1, 1500)))
    for name, idpac in dict(IDPAC, hr=3).items():
        assert torch.equal(gpac.pac(x, FS, PHA, AMP, method=idpac).mi, gpac.pac(x, FS, PHA, AMP, method=name).mi)


def tensorpac_pvalues(tensorpac, x, method, mcp, p, n_perm, seed):
    """TensorPAC's corrected p-values (n_amp, n_pha) for every epoch of x together."""
    from tensorpac.pac import _PacObj

    pac = tensorpac.Pac(idpac=(IDPAC[method], 2, 4), f_pha=PHA, f_amp=AMP, verbose=False)
    if method == "ps":
        pha, amp = pac.filter(FS, x, "phase", n_jobs=1), pac.filter(FS, x, "amplitude", n_jobs=1)
        pac.fit(pha, amp, n_perm=n_perm, random_state=seed, n_jobs=1, p=p, mcp=mcp)
    else:
        pac.filterfit(FS, x, n_perm=n_perm, random_state=seed, n_jobs=1, p=p, mcp=mcp)
    assert isinstance(pac, _PacObj)
    return pac.pvalues


@pytest.mark.parametrize("mcp", ["maxstat", "fdr", "bonferroni"])
@pytest.mark.parametrize("method", ["mvl", "ps"])
def test_corrected_pvalues_equal_tensorpac(rng, tensorpac, method, mcp):
    """On coupled signals (some cells significant, some not), over 3 epochs averaged."""
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=4000, n_epochs=3, noise=0.3,
                                                 rnd_state=int(rng.integers(1 << 20)))
    seed, n_perm, alpha = int(rng.integers(0, 10000)), 200, 0.05  # bonferroni: 9 cells x 1/200 < alpha
    res = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method=method, n_perm=n_perm, seed=seed, rng="tensorpac")
    got = res.pvalues_corrected(mcp, alpha)
    ref = tensorpac_pvalues(tensorpac, x, method, mcp, alpha, n_perm, seed)
    np.testing.assert_allclose(got.numpy().T, ref, rtol=1e-12)
    assert (ref < 1).any(), "nothing significant: the comparison would be vacuous"
    assert res.surrogates is None  # kept for the correction without being returned


def test_benjamini_hochberg_equals_mne(rng):
    mne_stats = pytest.importorskip("mne.stats")
    from gpac.pac import _benjamini_hochberg

    for _ in range(20):
        pv = np.concatenate([rng.uniform(0, 0.02, int(rng.integers(0, 6))), rng.uniform(0, 1, 30)])
        reject, corrected = mne_stats.fdr_correction(pv, alpha=0.05)
        got, significant = _benjamini_hochberg(torch.from_numpy(pv)[None], 0.05)
        np.testing.assert_allclose(got[0].numpy(), corrected, rtol=1e-14)
        assert np.array_equal(significant[0].numpy(), reject)


def test_corrected_pvalues_need_surrogates_and_valid_options(rng):
    x = torch.from_numpy(rng.standard_normal((2, 1500)))
    with pytest.raises(ValueError, match="corrected p-values need surrogates"):
        gpac.pac(x, FS, PHA, AMP).pvalues_corrected()
    res = gpac.pac(x, FS, PHA, AMP, n_perm=10, seed=0)
    with pytest.raises(ValueError, match="mcp must be 'maxstat', 'fdr' or 'bonferroni'"):
        res.pvalues_corrected("holm")
    with pytest.raises(ValueError, match=r"p \(the significance level\) must be in \(0, 1\)"):
        res.pvalues_corrected("fdr", 1.5)
    assert res.pvalues_corrected().shape == (len(PHA), len(AMP))


def tensorpac_hr(tensorpac, x, band, idpac=(3, 0, 0), n_perm=0, seed=0):
    """TensorPAC's heights ratio of one trial and one phase band per call (it pools the bin counts
    over the phase bands and trials of a call): (n_amp,), and its Pac object."""
    p = tensorpac.Pac(idpac=idpac, f_pha=[band], f_amp=AMP, dcomplex="hilbert", n_bins=18, verbose=False)
    out = p.filterfit(FS, x[None], n_perm=n_perm, random_state=seed, n_jobs=1)
    return out[:, 0, 0], p


@pytest.mark.parametrize("kind", ["noise", "coupled"])
def test_heights_ratio_equals_tensorpac(rng, tensorpac, kind):
    x = signals(tensorpac, kind, rng, n_epochs=2)
    got = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method="hr", return_dist=True)
    for s in range(2):
        for i, band in enumerate(PHA):
            ref, _ = tensorpac_hr(tensorpac, x[s], band)
            np.testing.assert_allclose(got.mi[s, i].numpy(), ref, rtol=1e-6)
    # from the distributions it returns, as (max - min) / max
    dist = got.amp_dist
    torch.testing.assert_close(got.mi, (dist.amax(-1) - dist.amin(-1)) / dist.amax(-1), rtol=1e-12, atol=0)


@pytest.mark.parametrize("surrogate,ident", [("block_swap", 2), ("time_lag", 3)])
def test_heights_ratio_surrogates_and_z_equal_tensorpac(rng, tensorpac, surrogate, ident):
    x = signals(tensorpac, "coupled", rng, n_epochs=2)
    seed, n_perm = int(rng.integers(0, 10000)), 30
    got = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method="hr", n_perm=n_perm, surrogate=surrogate, seed=seed,
                   rng="tensorpac", return_surrogates=True)
    for s in range(2):
        for i, band in enumerate(PHA):
            z, p = tensorpac_hr(tensorpac, x[s], band, (3, ident, 4), n_perm, seed)
            np.testing.assert_allclose(got.surrogates[s, :, i].numpy(), p.surrogates[:, :, 0, 0], rtol=1e-6)
            np.testing.assert_allclose(got.z[s, i].numpy(), z, rtol=1e-6, atol=1e-9)


def test_heights_ratio_long_rows_and_gradient(rng):
    """Histograms of stretches of time (a budget too small for whole rows) give the same HR, and
    the gradient path the fused one's values."""
    x = torch.from_numpy(rng.standard_normal((2, 6000)))
    whole = gpac.pac(x, FS, PHA, AMP, method="hr")
    stretched = gpac.pac(x, FS, PHA, AMP, method="hr", memory_budget=40_000)
    torch.testing.assert_close(stretched.mi, whole.mi, rtol=1e-10, atol=1e-12)
    v = x.clone().requires_grad_()
    composed = gpac.pac(v, FS, PHA, AMP, method="hr", n_perm=5, seed=1, return_surrogates=True)
    fused = gpac.pac(x, FS, PHA, AMP, method="hr", n_perm=5, seed=1, return_surrogates=True)
    for name in ("mi", "z", "surrogates"):
        torch.testing.assert_close(getattr(composed, name).detach(), getattr(fused, name), rtol=1e-12, atol=1e-14)
    composed.mi.sum().backward()
    assert torch.isfinite(v.grad).all() and v.grad.abs().sum() > 0
