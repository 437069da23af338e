"""Surrogates, normalisations, p-values and the preferred phase, against
TensorPAC, against their definitions, and on signals with and without coupling."""
import numpy as np
import pytest
import torch

import gpac

FS = 512.0
AMP = [[60, 80], [80, 120], [130, 170]]


def tensorpac_stats(tensorpac, x, band, amp, idpac, n_perm, seed):
    """TensorPAC's normalised PAC, raw PAC and surrogates for one phase band and one trial."""
    p = tensorpac.Pac(idpac=idpac, f_pha=[band], f_amp=amp, dcomplex="hilbert", n_bins=18, verbose=False)
    normalised = p.filterfit(FS, x[None], n_perm=n_perm, random_state=seed, n_jobs=1)
    return normalised[:, 0, 0], p.pac[:, 0, 0], p.surrogates[:, :, 0, 0]


@pytest.mark.parametrize("surrogate,ident", [("block_swap", 2), ("time_lag", 3)])
@pytest.mark.parametrize("norm", [4, 1, 2, 3])
def test_tensorpac_draw_reproduces_tensorpac(rng, tensorpac, surrogate, ident, norm):
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=100, sf=FS, n_times=2500, n_epochs=2, noise=1.0,
                                                 rnd_state=int(rng.integers(1 << 20)))
    seed, n_perm = int(rng.integers(0, 10000)), 40
    bands = [[4.0, 8.0], [8.0, 12.0]]
    got = gpac.pac(x, FS, bands, AMP, n_perm=n_perm, surrogate=surrogate, norm=norm, seed=seed, rng="tensorpac",
                   return_surrogates=True)
    for s in range(2):
        for i, band in enumerate(bands):
            z, raw, surrogates = tensorpac_stats(tensorpac, x[s], band, AMP, (2, ident, norm), n_perm, seed)
            np.testing.assert_allclose(got.mi[s, i].numpy(), raw, rtol=1e-6)
            np.testing.assert_allclose(got.surrogates[s, :, i].numpy(), surrogates, rtol=1e-6)
            np.testing.assert_allclose(got.z[s, i].numpy(), z, rtol=1e-6)


def test_p_values_are_uniform_on_white_noise(rng):
    """Share of p < 0.05 over 300 noise channels: (1 + c) / 200 < 0.05 means c <= 8, 4.5% expected."""
    x = torch.from_numpy(rng.standard_normal((300, 2000)))
    res = gpac.pac(x, FS, [[4, 8]], [[70, 110]], n_perm=199, seed=int(rng.integers(1 << 30)))
    share = float((res.p < 0.05).double().mean())
    expected, sd = 9 / 200, np.sqrt(9 / 200 * (1 - 9 / 200) / 300)
    assert abs(share - expected) <= 3 * sd, share
    # The p-values spread over [0, 1]: no pile-up at either end.
    assert 0.35 < float(res.p.median()) < 0.65


def test_coupled_signals_peak_and_large_z_at_the_generated_frequencies(tensorpac):
    # Block swaps with cuts near either end keep the coupling (TensorPAC draws cuts in [1, n) too), so the
    # surrogates' spread shrinks, and z grows, with the length: ~4.5 at 6 s, ~11 at 23 s.
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=12000, n_epochs=4, noise=0.8,
                                                 rnd_state=5)
    pha = gpac.linear_bands((2, 20), 10, "phase")
    amp = gpac.linear_bands((60, 160), 11, "amplitude")
    res = gpac.pac(x, FS, pha, amp, n_perm=100, seed=1)
    mi, z = res.mi.mean(0), res.z.mean(0)
    i, j = np.unravel_index(int(mi.argmax()), mi.shape)  # the comodulogram's peak
    assert float(pha[i].mean()) == pytest.approx(6, abs=1) and float(amp[j].mean()) == pytest.approx(90, abs=5)
    assert float(z[i, j]) > 8
    zi, zj = np.unravel_index(int(z.argmax()), z.shape)  # the largest z: bands holding 6 Hz and 90 Hz
    assert pha[zi, 0] <= 6 <= pha[zi, 1] and amp[zj, 0] <= 90 <= amp[zj, 1]
    assert float(res.p.mean(0)[i, j]) == pytest.approx(1 / 101)  # no surrogate reaches the coupled MI
    assert float(z.median()) < 3


def test_same_seed_same_result_other_seed_other_result(rng):
    x = torch.from_numpy(rng.standard_normal((4, 1500)))
    a = gpac.pac(x, FS, [[4, 8]], AMP, n_perm=30, seed=11, return_surrogates=True)
    b = gpac.pac(x, FS, [[4, 8]], AMP, n_perm=30, seed=11, return_surrogates=True)
    c = gpac.pac(x, FS, [[4, 8]], AMP, n_perm=30, seed=12, return_surrogates=True)
    assert torch.equal(a.surrogates, b.surrogates) and torch.equal(a.z, b.z) and torch.equal(a.p, b.p)
    assert not torch.equal(a.z, c.z)
    torch.testing.assert_close(a.mi, c.mi, rtol=0, atol=0)


def test_shared_and_independent_cuts(rng):
    x = torch.from_numpy(rng.standard_normal((3, 1500)))
    _, shared = torch.ops.gpac.surrogate_plan(8, 3, 1500, "block_swap", 5, "torch", False, 1)
    _, independent = torch.ops.gpac.surrogate_plan(8, 3, 1500, "block_swap", 5, "torch", True, 1)
    assert (shared == shared[:, :1]).all() and not (independent == independent[:, :1]).all()
    assert shared.min() >= 1 and independent.min() >= 1 and shared.max() < 1500
    a = gpac.pac(x, FS, [[4, 8]], AMP, n_perm=8, seed=5, independent=True, return_surrogates=True)
    b = gpac.pac(x, FS, [[4, 8]], AMP, n_perm=8, seed=5, return_surrogates=True)
    assert not torch.equal(a.surrogates, b.surrogates)


def test_surrogates_are_the_mi_of_shifted_or_swapped_signals(rng):
    """Against explicit copies: the amplitude rolled by the cut, the phase of another trial."""
    x = torch.from_numpy(rng.standard_normal((2, 3, 1200)))  # channels x trials x samples
    pha_taps = torch.ops.gpac.fir_taps(FS, [4.0], [8.0], 1200, 3)
    amp_taps = torch.ops.gpac.fir_taps(FS, [60.0, 100.0], [90.0, 140.0], 1200, 6)
    phase, amplitude = torch.ops.gpac.filter_hilbert(x.double(), pha_taps, amp_taps)
    for method in ("block_swap", "time_lag", "swap_trials"):
        res = gpac.pac(x, FS, [[4, 8]], [[60, 90], [100, 140]], n_perm=4, surrogate=method, seed=3, norm="none",
                       return_surrogates=True)
        phase_index, shift = torch.ops.gpac.surrogate_plan(4, 6, 1200, method, 3, "torch", False, 3)
        for k in range(4):
            pha_k = phase.reshape(6, 1, 1200)[phase_index[k]].reshape(phase.shape)
            amp_k = torch.stack([a.roll(-int(c), -1) for a, c in zip(amplitude.reshape(6, 2, 1200), shift[k])])
            ref = torch.ops.gpac.mi_scatter(pha_k, amp_k.reshape(amplitude.shape), 18)[0]
            torch.testing.assert_close(res.surrogates[:, :, k], ref, rtol=1e-12, atol=0)


@pytest.mark.parametrize("norm", ["zscore", "subtract", "divide", "subtract_divide", "none"])
def test_normalisations_and_p_values_follow_their_definitions(rng, norm):
    x = torch.from_numpy(rng.standard_normal((5, 1500)))
    res = gpac.pac(x, FS, [[4, 8], [8, 12]], AMP, n_perm=25, norm=norm, seed=2, return_surrogates=True)
    mi, s = res.mi.numpy(), res.surrogates.numpy()
    mean, std = s.mean(1), s.std(1)
    expected = {"zscore": (mi - mean) / std, "subtract": mi - mean, "divide": mi / mean,
                "subtract_divide": (mi - mean) / mean, "none": mi}[norm]
    np.testing.assert_allclose(res.z.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(res.p.numpy(), (1 + (s >= mi[:, None]).sum(1)) / 26)


def test_amp_dist_and_preferred_phase(tensorpac):
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=4000, n_epochs=3, noise=0.3,
                                                 pp=-2.0, rnd_state=2)
    res = gpac.pac(x, FS, [[4.5, 7.5]], [[75, 105]], return_dist=True)
    assert res.amp_dist.shape == (3, 1, 1, 18)
    torch.testing.assert_close(res.amp_dist.sum(-1), torch.ones(3, 1, 1, dtype=torch.float64))
    pp = res.preferred_phase()
    assert abs(float(np.angle(np.exp(1j * (pp.circular_mean.numpy() + 2.0))).max())) < 0.35
    # The peak bin as TensorPAC's PreferredPhase finds it, one trial per call.
    for s in range(3):
        _, tp_pp, _ = tensorpac.PreferredPhase(f_pha=[[4.5, 7.5]], f_amp=[[75, 105]], verbose=False).filterfit(
            FS, x[s:s + 1], n_bins=18)
        assert float(pp.peak[s, 0, 0]) == pytest.approx(float(tp_pp.ravel()[0]), abs=1e-9)
    assert res.phase_bin_centers.shape == (18,)
    with pytest.raises(ValueError, match="return_dist=True"):
        gpac.pac(x, FS, [[4.5, 7.5]], [[75, 105]]).preferred_phase()


@pytest.mark.parametrize("shape,surrogate,nan", [((3, 1200), "block_swap", "raise"),
                                                  ((2, 5, 1200), "swap_trials", "propagate"),
                                                  ((45, 600), "time_lag", "propagate")])
def test_progress_bar_chunks_give_the_same_result(rng, capsys, shape, surrogate, nan):
    """The bar's chunks of signals (whole trial sets with swap_trials) give the whole call's result."""
    x = torch.from_numpy(rng.standard_normal(shape))
    if nan == "propagate":
        x.view(-1, shape[-1])[1, 7] = float("nan")
    kw = dict(n_perm=12, seed=9, surrogate=surrogate, nan=nan, return_surrogates=True, return_dist=True)
    quiet = gpac.pac(x, FS, [[4, 8]], AMP, progress=False, **kw)
    shown = gpac.pac(x, FS, [[4, 8]], AMP, progress=True, **kw)
    n_signals = x.numel() // shape[-1]
    assert f"{n_signals}/{n_signals}" in capsys.readouterr().err
    for name in ("mi", "z", "p", "surrogates", "amp_dist"):
        assert torch.equal(getattr(quiet, name).isnan(), getattr(shown, name).isnan()), name
        assert torch.equal(getattr(quiet, name).nan_to_num(), getattr(shown, name).nan_to_num()), name
    assert (nan == "propagate") == bool(quiet.mi.isnan().any())


def test_progress_bar_names_a_bad_sample_in_the_callers_shape(rng):
    x = torch.from_numpy(rng.standard_normal((2, 3, 1200)))
    x[1, 2, 33] = float("inf")
    with pytest.raises(ValueError, match=r"index \[1, 2, 33\] of shape \[2, 3, 1200\]"):
        gpac.pac(x, FS, [[4, 8]], AMP, n_perm=4, seed=1, progress=True)


def test_pac_module_with_surrogates_scripts(rng):
    x = torch.from_numpy(rng.standard_normal((2, 3, 1500))).float()
    module = gpac.PAC(FS, [[4, 8]], AMP, n_perm=20, seed=4, surrogate="swap_trials", return_surrogates=True,
                      return_dist=True)
    out = module(x)
    assert set(out) == {"mi", "z", "p", "surrogates", "amp_dist"}
    ref = gpac.pac(x, FS, [[4, 8]], AMP, n_perm=20, seed=4, surrogate="swap_trials", return_surrogates=True)
    for name in ("mi", "z", "p", "surrogates"):
        torch.testing.assert_close(out[name], getattr(ref, name), rtol=0, atol=0)
    scripted = torch.jit.script(module)
    for name, value in scripted(x).items():
        torch.testing.assert_close(value, out[name], rtol=0, atol=0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(n_perm=10, surrogate="shuffle"), "surrogate must be one of"),
    (dict(n_perm=10, norm="robust"), "norm must be one of"),
    (dict(n_perm=-1), "n_perm must be >= 0"),
    (dict(n_perm=1), "needs n_perm >= 2"),
    (dict(n_perm=10, rng="numpy"), "rng must be 'torch' or 'tensorpac'"),
    (dict(n_perm=10, rng="tensorpac", seed=2**32 - 5), r"seed \+ k must lie in \[0, 2\*\*32\)"),
])
def test_bad_surrogate_options(rng, kwargs, match):
    x = torch.from_numpy(rng.standard_normal((2, 1200)))
    with pytest.raises(ValueError, match=match):
        gpac.pac(x, FS, [[4, 8]], AMP, **kwargs)


def test_swap_trials_needs_trials(rng):
    with pytest.raises(ValueError, match="needs a trial axis"):
        gpac.pac(torch.from_numpy(rng.standard_normal(1200)), FS, [[4, 8]], AMP, n_perm=5, surrogate="swap_trials")
    with pytest.raises(ValueError, match="at least 2 trials"):
        gpac.pac(torch.from_numpy(rng.standard_normal((3, 1, 1200))), FS, [[4, 8]], AMP, n_perm=5,
                 surrogate="swap_trials")


def test_preferred_phase_polar_plot(tensorpac, tmp_path):
    from gpac.plot import plot_preferred_phase

    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=4000, n_epochs=2, noise=0.3,
                                                 pp=-2.0, rnd_state=4)
    amp = torch.tensor([[60.0, 80.0], [80.0, 100.0], [100.0, 120.0]])
    res = gpac.pac(x, FS, [[4.5, 7.5]], amp, return_dist=True)
    path = plot_preferred_phase(res.amp_dist.mean(0)[0], res.phase_bin_centers, amp, tmp_path / "p" / "polar.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 10_000
    with pytest.raises(ValueError, match=r"amp_dist must be \(n_amp, n_bins\) = \(3, 18\)"):
        plot_preferred_phase(res.amp_dist, res.phase_bin_centers, amp, tmp_path / "bad.png")
