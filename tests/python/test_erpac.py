"""Event-related PAC (gpac.erpac) against TensorPAC's EventRelatedPac.filterfit
(tensorpac/methods/meth_erpac.py): the circular correlation and its p-values, the Gaussian-copula
MI with and without smoothing, surrogates with TensorPAC's own permutations; then white noise,
a coupling that switches on half-way, batching, float32, and errors."""
import numpy as np
import scipy.special
import pytest
import torch

import gpac

FS = 256.0
PHA = [[4.0, 8.0], [6.0, 10.0]]
AMP = [[40.0, 60.0], [60.0, 80.0], [70.0, 90.0]]


def erpac_tensorpac(tensorpac, x, pha=PHA, **kwargs):
    """TensorPAC's ERPAC as gPAC lays it out, (n_pha, n_amp, n_times), and its object."""
    ep = tensorpac.EventRelatedPac(f_pha=pha, f_amp=AMP, verbose=False)
    out = ep.filterfit(FS, x, n_jobs=1, verbose=False, **kwargs)
    return out.transpose(1, 0, 2), ep


def trials(rng, n_trials=24, n_times=384):
    return rng.standard_normal((n_trials, n_times))


@pytest.mark.parametrize("mcp", ["fdr", "bonferroni"])
def test_circular_matches_tensorpac(tensorpac, rng, mcp):
    # TensorPAC's sin-cos correlation (pearson with 'i...j, k...j->i...') sums over every phase
    # band of a call: it is Voytek's only with one phase band per call, as compared here.
    x = trials(rng)
    got = gpac.erpac(torch.from_numpy(x), FS, PHA, AMP, mcp=mcp)
    assert got.erpac.shape == (2, 3, x.shape[-1]) and got.method == "circular"
    for i, band in enumerate(PHA):
        want, ep = erpac_tensorpac(tensorpac, x, [band], method="circular", mcp=mcp)
        np.testing.assert_allclose(got.erpac[i].numpy(), want[0], rtol=1e-6, atol=1e-12)
        one = gpac.erpac(torch.from_numpy(x), FS, [band], AMP, mcp=mcp)
        # p = exp(-n rho^2 / 2); TensorPAC's 1 - chi2.cdf loses the digits of the smallest ones
        np.testing.assert_allclose(one.p[0].numpy(), ep.pvalues.transpose(1, 0, 2)[0], rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(one.p_uncorrected[0].numpy(), np.exp(-x.shape[0] * want[0] ** 2 / 2), rtol=1e-9)
    np.testing.assert_allclose(got.times.numpy(), np.arange(x.shape[-1]) / FS)


@pytest.mark.parametrize("smooth", [None, 4])
def test_gc_matches_tensorpac(tensorpac, rng, smooth):
    x = trials(rng)
    want, _ = erpac_tensorpac(tensorpac, x, method="gc", smooth=smooth)
    got = gpac.erpac(torch.from_numpy(x), FS, PHA, AMP, method="gc", smooth=smooth)
    np.testing.assert_allclose(got.erpac.numpy(), want, rtol=0, atol=1e-6)
    assert np.abs(got.erpac.numpy() - want).max() < 1e-12
    assert got.p is None and got.p_uncorrected is None


def test_gc_surrogates_match_tensorpac(tensorpac, rng):
    """TensorPAC draws its trial permutations from NumPy's global state, one per surrogate in
    order (n_jobs=1); the same permutations given as trial_order give its p-values exactly."""
    x, n_perm, seed = trials(rng, 20, 256), 30, int(rng.integers(1 << 30))
    np.random.seed(seed)
    want, ep = erpac_tensorpac(tensorpac, x, method="gc", smooth=2, n_perm=n_perm, p=0.2)
    np.random.seed(seed)
    order = torch.from_numpy(np.stack([np.random.permutation(x.shape[0]) for _ in range(n_perm)]))
    x_t = torch.from_numpy(x)
    got = gpac.erpac(x_t, FS, PHA, AMP, method="gc", smooth=2, trial_order=order, mcp="maxstat", p=0.2)
    np.testing.assert_allclose(got.erpac.numpy(), want, atol=1e-12)
    np.testing.assert_array_equal(got.p.numpy(), ep.pvalues.transpose(1, 0, 2))
    surrogates = ep.surrogates.transpose(0, 2, 1, 3)
    share = np.maximum((surrogates >= want).sum(0) / n_perm, 1 / n_perm)
    np.testing.assert_array_equal(got.p_uncorrected.numpy(), share)
    for mcp in ("fdr", "bonferroni"):
        ref = ep._infer_pvalues(ep.erpac, ep.surrogates, p=0.2, mcp=mcp).transpose(1, 0, 2)
        fdr = gpac.erpac(x_t, FS, PHA, AMP, method="gc", smooth=2, trial_order=order, mcp=mcp, p=0.2)
        np.testing.assert_allclose(fdr.p.numpy(), ref, rtol=1e-12)


def test_surrogates_are_trial_permutations(rng):
    """Surrogate k pairs phase trial order[k, t] with amplitude trial t: with one surrogate, its
    value is ERPAC of the phase signal permuted against the amplitude signal (two inputs built
    so that the phase band sees only the slow part and the amplitude band only the fast)."""
    n_trials, n_times = 16, 512
    slow = torch.from_numpy(rng.standard_normal((n_trials, n_times)))
    order = torch.from_numpy(rng.permutation(n_trials))[None]
    ops = torch.ops.gpac
    pha_taps = ops.fir_taps(FS, [4.0], [8.0], n_times, 3)
    amp_taps = ops.fir_taps(FS, [60.0], [80.0], n_times, 6)
    phase, amplitude = ops.filter_hilbert(slow, pha_taps, amp_taps)
    for method in ("circular", "gc"):
        value, _, exceed, largest = ops.event_related_pac(phase, amplitude, method, 0, order)
        permuted = ops.event_related_pac(phase[order[0]], amplitude, method, 0, None)[0]
        np.testing.assert_allclose(largest[0].item(), permuted.max().item(), rtol=1e-12)
        np.testing.assert_array_equal(exceed.numpy(), (permuted >= value).numpy())


def test_white_noise_p_share_is_nominal():
    """Uncorrected chi-square p-values of independent noise trials: 5 % below 0.05, within
    sampling error (cells spaced in time and across signals so that they are nearly independent)."""
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(60, 40, 1024, generator=gen, dtype=torch.float64)
    res = gpac.erpac(x, FS, [[4.0, 8.0]], [[60.0, 80.0], [90.0, 110.0]])
    cells = res.p_uncorrected[..., 128:-128:96].flatten()
    share = (cells < 0.05).double().mean().item()
    # cells.numel() = 60 x 2 x 8 = 960: sd of the share ~ 0.007
    assert 0.03 < share < 0.075, share


def test_coupling_switching_on_half_way_shows_in_the_time_course():
    off = gpac.signals.coupled_signal(FS, 3.0, 6.0, 70.0, coupling=0.0, noise=0.3, n_signals=80, seed=1,
                                      dtype=torch.float64)
    on = gpac.signals.coupled_signal(FS, 3.0, 6.0, 70.0, coupling=1.0, noise=0.3, n_signals=80, seed=2,
                                     dtype=torch.float64)
    x = torch.cat([off, on], -1)
    pha, amp = [[2.0, 4.0], [5.0, 7.0], [9.0, 11.0]], [[30.0, 40.0], [64.0, 76.0], [100.0, 110.0]]
    n = x.size(-1)
    for method in ("circular", "gc"):
        res = gpac.erpac(x, FS, pha, amp, method=method)
        first, second = res.erpac[..., n // 8:3 * n // 8].mean(-1), res.erpac[..., 5 * n // 8:7 * n // 8].mean(-1)
        assert second[1, 1] > 4 * first[1, 1], (method, first, second)
        assert divmod(int(second.argmax()), 3) == (1, 1), (method, second)
    res = gpac.erpac(x, FS, pha, amp, mcp="bonferroni")
    assert (res.p[1, 1, 5 * n // 8:7 * n // 8] < 0.05).float().mean() > 0.9
    assert (res.p[1, 1, n // 8:3 * n // 8] < 0.05).float().mean() < 0.1


def test_leading_dims_and_float32(rng):
    x = torch.from_numpy(rng.standard_normal((2, 3, 12, 300)))
    res = gpac.erpac(x, FS, PHA, AMP, method="gc", n_perm=5, seed=3)
    assert res.erpac.shape == (2, 3, 2, 3, 300) and res.p.shape == res.erpac.shape
    single = gpac.erpac(x[1, 2], FS, PHA, AMP, method="gc", n_perm=5, seed=3)
    np.testing.assert_allclose(res.erpac[1, 2].numpy(), single.erpac.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(res.p_uncorrected[1, 2].numpy(), single.p_uncorrected.numpy())
    tiny = gpac.erpac(x, FS, PHA, AMP, method="gc", n_perm=5, seed=3, memory_budget=1)
    np.testing.assert_array_equal(tiny.erpac.numpy(), res.erpac.numpy())
    for method in ("circular", "gc"):
        f64 = gpac.erpac(x, FS, PHA, AMP, method=method).erpac
        f32 = gpac.erpac(x.float(), FS, PHA, AMP, method=method).erpac
        assert f32.dtype == torch.float32
        rel = ((f32.double() - f64).abs() / f64.abs().clamp_min(1e-3)).flatten()
        # GC ranks the trials at each time point: two trials closer than float32's rounding
        # swap ranks, which moves that cell's MI (at the recording's ends every trial's phase
        # is near +-pi/2 and its cos near 0, where this happens most).
        assert rel.median() < 1e-4 and (rel > 1e-3).double().mean() < 0.01, (method, rel.median(), rel.max())


def test_seed_gives_the_same_surrogates(rng):
    x = torch.from_numpy(rng.standard_normal((10, 256)))
    a = gpac.erpac(x, FS, PHA, AMP, n_perm=8, seed=5)
    b = gpac.erpac(x, FS, PHA, AMP, n_perm=8, seed=5)
    c = gpac.erpac(x, FS, PHA, AMP, n_perm=8, seed=6)
    assert torch.equal(a.p_uncorrected, b.p_uncorrected) and not torch.equal(a.p_uncorrected, c.p_uncorrected)


def test_wavelets_reach_the_filter_stage(tensorpac, rng):
    x = trials(rng)
    ep = tensorpac.EventRelatedPac(f_pha=[PHA[0]], f_amp=AMP, dcomplex="wavelet", width=7, verbose=False)
    want = ep.filterfit(FS, x, method="gc", n_jobs=1, verbose=False).transpose(1, 0, 2)
    got = gpac.erpac(torch.from_numpy(x), FS, [PHA[0]], AMP, method="gc", dcomplex="wavelet")
    np.testing.assert_allclose(got.erpac.numpy(), want, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(method="mi"), "method must be 'circular'"),
    (dict(smooth=3), "applies to method 'gc' only"),
    (dict(method="gc", smooth=200), "smooth must be < n_times / 2"),
    (dict(method="gc", smooth=-1), "smooth (half a window, in samples) must be >= 0"),
    (dict(mcp="holm"), "mcp must be"),
    (dict(p=1.5), "p (the significance level)"),
    (dict(mcp="maxstat"), "needs n_perm > 0"),
    (dict(n_perm=-1), "n_perm must be >= 0"),
    (dict(trial_order=torch.zeros(3, 10, dtype=torch.long)), "permutation of 0 .. 9"),
    (dict(trial_order=torch.zeros(3, 4, dtype=torch.long)), "one permutation of the 10 trials"),
    (dict(trial_order=torch.arange(10).expand(3, 10), n_perm=4), "has 3 rows but n_perm is 4"),
])
def test_errors_name_the_argument(kwargs, message):
    x = torch.randn(10, 300, dtype=torch.float64)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        gpac.erpac(x, FS, PHA, AMP, **kwargs)


def test_fewer_than_two_trials_is_refused():
    for shape in [(300,), (1, 300)]:
        with pytest.raises(ValueError, match="n_trials >= 2"):
            gpac.erpac(torch.randn(shape), FS, PHA, AMP)
    phase = torch.randn(1, 2, 50)
    with pytest.raises(ValueError, match="needs at least 2"):
        torch.ops.gpac.event_related_pac(phase, phase, "circular", 0, None)


def test_gc_with_the_phase_cos_and_sin_ranked_alike_is_the_mi_of_one(rng):
    """Phases all within (0, pi/2) across trials: cos falls as sin rises, so their copulas are
    u = -v and the phase is one variable (TensorPAC's Cholesky fails there); the MI is then
    -log2(1 - r^2) / 2 of u and the amplitude. An amplitude ranked as u explains all of it: an
    infinite MI, or one limited by rounding (share 1 - 1e-16: about 26 bits)."""
    n_trials = 9
    phase = torch.from_numpy(rng.uniform(0.1, 1.4, (n_trials, 1, 4)))
    amplitude = torch.from_numpy(rng.uniform(0.5, 2.0, (n_trials, 1, 4)))
    got = torch.ops.gpac.event_related_pac(phase, amplitude, "gc", 0, None)[0][0, 0]
    quantiles = scipy.special.ndtri(np.arange(1, n_trials + 1) / (n_trials + 1))
    for t in range(4):
        u = quantiles[np.argsort(np.argsort(np.cos(phase[:, 0, t].numpy())))]
        a = quantiles[np.argsort(np.argsort(amplitude[:, 0, t].numpy()))]
        r2 = (u @ a) ** 2 / ((u @ u) * (a @ a))
        np.testing.assert_allclose(got[t].item(), -np.log2(1 - r2) / 2, rtol=1e-10)
    ranked = torch.ops.gpac.event_related_pac(phase, phase.cos(), "gc", 0, None)[0]
    assert (ranked > 20).all() and not ranked.isnan().any()


def test_plot_time_frequency_draws_one_phase_band(tmp_path, rng):
    from gpac.plot import plot_time_frequency

    x = torch.from_numpy(rng.standard_normal((12, 300)))
    res = gpac.erpac(x, FS, PHA, AMP, mcp="bonferroni")
    path = plot_time_frequency(res.erpac[0], res.times, torch.tensor(AMP), tmp_path / "e.png", pvalues=res.p[0])
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match=r"values must be \(n_amp, n_times\) = \(3, 300\)"):
        plot_time_frequency(res.erpac, res.times, torch.tensor(AMP), tmp_path / "f.png")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_copula_ranks_of_the_cpu_sort_equal_atens_stable_argsort(rng, dtype):
    """The CPU's packed-key sort (kernels/cpu/copula_cpu.cpp) against ATen's stable argsort, which
    the op uses under tracing: ties (amplitudes rounded to a few values, zeros of both signs) keep
    their trial order, bit for bit."""
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (40, 2, 60))).to(dtype)
    amplitude = torch.from_numpy(np.round(rng.uniform(0, 1, (40, 3, 60)), 1)).to(dtype)
    amplitude[::3, 0, :7] = -0.0
    amplitude[1::3, 0, :7] = 0.0
    eager = torch.ops.gpac.event_related_pac(phase, amplitude, "gc", 2, None)[0]
    traced = torch.compile(lambda p, a: torch.ops.gpac.event_related_pac(p, a, "gc", 2, None)[0],
                           backend="aot_eager", fullgraph=True)(phase, amplitude)
    assert torch.equal(eager, traced)


def test_copula_ranks_of_doubles_that_round_to_one_float(rng):
    """Doubles closer than a float32 apart: amplitudes 1 + k 1e-12 (one float32, 25 distinct
    doubles, most repeated) must rank as ATen's stable argsort ranks them."""
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (40, 2, 30)))
    amplitude = torch.from_numpy(1.0 + rng.integers(0, 25, (40, 3, 30)) * 1e-12)
    assert torch.unique(amplitude.float()).numel() == 1 and torch.unique(amplitude).numel() > 20
    eager = torch.ops.gpac.event_related_pac(phase, amplitude, "gc", 0, None)[0]
    traced = torch.compile(lambda p, a: torch.ops.gpac.event_related_pac(p, a, "gc", 0, None)[0],
                           backend="aot_eager", fullgraph=True)(phase, amplitude)
    assert torch.equal(eager, traced)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_copula_ranks_of_long_rows_with_outliers_and_ties(rng, dtype):
    """Long rows through the CPU sort's coarse keys: 20000 trials, whose cos and sin crowd near
    +-1 (many values share a key), amplitudes with one outlier a million times the rest (nearly
    every value shares the lowest key, ordered by the fallback sort) and amplitudes rounded to a
    few values (long runs of equal values): every rank as ATen's stable argsort gives it."""
    n_trials = 20000
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (n_trials, 2, 3))).to(dtype)
    amplitude = torch.from_numpy(rng.rayleigh(1.0, (n_trials, 3, 3))).to(dtype)
    amplitude[123, 1, :] = 1e6
    amplitude[:, 2, :] = torch.round(amplitude[:, 2, :] * 4) / 4
    eager = torch.ops.gpac.event_related_pac(phase, amplitude, "gc", 0, None)[0]
    traced = torch.compile(lambda p, a: torch.ops.gpac.event_related_pac(p, a, "gc", 0, None)[0],
                           backend="aot_eager", fullgraph=True)(phase, amplitude)
    assert torch.isfinite(eager).all()
    assert torch.equal(eager, traced)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_copula_ranks_of_rows_with_nan_and_infinities(rng, dtype):
    """The op does not require finite samples: NaN ranks after every number and +-inf at the ends,
    as ATen's stable argsort ranks them, whether NaN is a row's first sample, one among numbers, or
    the row has an infinite end."""
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (50, 2, 4))).to(dtype)
    amplitude = torch.from_numpy(rng.rayleigh(1.0, (50, 3, 4))).to(dtype)
    amplitude[0, 0, 0] = float("nan")  # the first trial of a row (trials are the sorted axis)
    amplitude[[3, 17, 40], 1, 1] = float("nan")
    amplitude[5, 1, 2] = float("inf")
    amplitude[9, 2, 2] = -float("inf")
    amplitude[[2, 30], 2, 3] = float("nan")
    amplitude[31, 2, 3] = float("inf")
    eager = torch.ops.gpac.event_related_pac(phase, amplitude, "gc", 0, None)[0]
    traced = torch.compile(lambda p, a: torch.ops.gpac.event_related_pac(p, a, "gc", 0, None)[0],
                           backend="aot_eager", fullgraph=True)(phase, amplitude)
    torch.testing.assert_close(eager, traced, rtol=0, atol=0, equal_nan=True)
    assert torch.isfinite(eager).all()


@pytest.mark.parametrize("method", ["circular", "gc"])
def test_inputs_laid_out_trials_last_are_left_unchanged(rng, method):
    """The op centres or normalises its own copies in place; an amplitude that is a view of a
    trials-last tensor (its transposed copy would alias it) must come back as it was, with the
    result of a contiguous amplitude."""
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (30, 2, 40)))
    for base in (torch.from_numpy(rng.rayleigh(1.0, (40, 3, 30))),   # (n_times, A, n_trials)
                 torch.from_numpy(rng.rayleigh(1.0, (40, 30, 3)))):  # (n_times, n_trials, A)
        amplitude = base.permute(2, 1, 0) if base.size(1) == 3 else base.permute(1, 2, 0)
        kept = base.clone()
        got = torch.ops.gpac.event_related_pac(phase, amplitude, method, 0, None)[0]
        assert torch.equal(base, kept)
        want = torch.ops.gpac.event_related_pac(phase, amplitude.contiguous(), method, 0, None)[0]
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-15)
