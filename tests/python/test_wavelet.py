"""dcomplex='wavelet': TensorPAC's Morlet decomposition (tensorpac/spectral.py morlet) and every
PAC method computed from it, against TensorPAC's own Pac(dcomplex='wavelet'); windows, gradients,
surrogates and errors."""
import numpy as np
import pytest
import torch

import gpac

FS = 512.0
PHA = [[2.0, 4.0], [4.0, 8.0], [7.0, 13.0]]
AMP = [[30.0, 40.0], [60.0, 90.0], [110.0, 170.0]]
IDPAC = {"mi": 2, "mvl": 1, "hr": 3, "ndpac": 4, "ps": 5, "gc": 6}


def wavelets(bands, width=7.0, fs=FS):
    b = np.asarray(bands, dtype=float)
    return torch.ops.gpac.morlet_wavelets(fs, b[:, 0].tolist(), b[:, 1].tolist(), float(width))


@pytest.mark.parametrize("width", [7, 4, 11])
@pytest.mark.parametrize("n_times", [1024, 777, 300])
def test_phase_and_amplitude_equal_spectral_morlet(rng, tensorpac, width, n_times):
    """Random bands (wavelets of odd and even lengths, some longer than the signal), float64."""
    from tensorpac.spectral import morlet

    lows = rng.uniform(1.5, 150.0, 6)
    bands = np.stack([lows, lows * rng.uniform(1.2, 1.6, 6)], 1)
    x = rng.standard_normal((2, 3, n_times))
    w = wavelets(bands, width)
    assert w.dtype == torch.complex128 and w.shape[0] == 6
    phase, amplitude = torch.ops.gpac.filter_hilbert(torch.from_numpy(x), w, w)
    assert phase.shape == (2, 3, 6, n_times)
    for i, f in enumerate(bands.mean(1)):
        ref = morlet(x, FS, f, width)
        scale = np.abs(ref).max()
        assert np.abs(amplitude[..., i, :].numpy() - np.abs(ref)).max() <= 1e-12 * scale
        live = np.abs(ref) > 1e-6 * scale  # the angle of a vanishing value is noise
        d = (phase[..., i, :].numpy() - np.angle(ref) + np.pi) % (2 * np.pi) - np.pi
        assert np.abs(d[live]).max() <= 1e-9


def test_wavelet_lengths_are_tensorpacs(tensorpac):
    """The bank's widest row is the longest TensorPAC wavelet; each row holds its wavelet's support."""
    for f, width in [(3.0, 7.0), (35.0, 7.0), (150.0, 5.0), (10.3, 9.0)]:
        dt, st = 1 / FS, 1 / (2 * np.pi * (f / width))
        n = len(np.arange(-width * st / 2, width * st / 2, dt))
        w = wavelets([[f - 0.5, f + 0.5]], width)
        assert w.shape == (1, n)
        assert (w.abs() > 0).all()


def tensorpac_measure(tensorpac, x, method, pha=PHA, amp=AMP, width=7):
    """TensorPAC's measure (n_amp, n_pha, n_epochs). MI and HR pool their counts over phase bands
    and epochs, so they are called one phase band and one epoch at a time; PS through Pac.fit
    (filterfit takes the envelope's phase twice)."""
    def call(xs, f_pha):
        p = tensorpac.Pac(idpac=(IDPAC[method], 0, 0), f_pha=f_pha, f_amp=amp, dcomplex="wavelet", width=width,
                          verbose=False)
        if method == "ps":
            return p.fit(p.filter(FS, xs, "phase", n_jobs=1), p.filter(FS, xs, "amplitude", n_jobs=1), n_jobs=1)
        return p.filterfit(FS, xs, n_perm=0, n_jobs=1)

    if method not in ("mi", "hr"):
        return call(x, pha)
    out = np.empty((len(amp), len(pha), x.shape[0]))
    for s in range(x.shape[0]):
        for i, band in enumerate(pha):
            out[:, i, s] = call(x[s:s + 1], [band])[:, 0, 0]
    return out


def coupled(tensorpac, rng, n_epochs=3, n_times=2000):
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=75, sf=FS, n_times=n_times, n_epochs=n_epochs,
                                                 noise=0.8, rnd_state=int(rng.integers(1 << 20)))
    return x


@pytest.mark.parametrize("kind", ["noise", "coupled"])
@pytest.mark.parametrize("method", list(IDPAC))
def test_method_float64_equals_tensorpac(rng, tensorpac, method, kind):
    x = rng.standard_normal((3, 2000)) if kind == "noise" else coupled(tensorpac, rng)
    ref = tensorpac_measure(tensorpac, x, method)
    got = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method=method, dcomplex="wavelet").pac.numpy()
    got = got.transpose(2, 1, 0)
    if method == "gc":
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    else:
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-12)
    if method == "ndpac":
        assert (ref == 0).any() or kind == "coupled"


@pytest.mark.parametrize("method", list(IDPAC))
def test_method_float32_close_to_tensorpac(rng, tensorpac, method):
    x = coupled(tensorpac, rng)
    ref = tensorpac_measure(tensorpac, x.astype(np.float32).astype(np.float64), method)
    got = gpac.pac(torch.from_numpy(x).float(), FS, PHA, AMP, method=method, dcomplex="wavelet", ndpac_p=0.05)
    assert got.mi.dtype == torch.float32
    got = got.mi.double().numpy().transpose(2, 1, 0)
    live = ref != 0  # ndPAC: cells a float32 value near the threshold may cross
    rel = np.abs(got[live] - ref[live]) / np.abs(ref[live])
    assert np.median(rel) < 1e-4, np.median(rel)


def test_width_changes_the_decomposition_as_tensorpac(rng, tensorpac):
    x = coupled(tensorpac, rng, n_epochs=2)
    for width in (5, 10):
        ref = tensorpac_measure(tensorpac, x, "mvl", width=width)
        got = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, method="mvl", dcomplex="wavelet", width=width).mi
        np.testing.assert_allclose(got.numpy().transpose(2, 1, 0), ref, rtol=1e-6)
    a = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, dcomplex="wavelet", width=5).mi
    b = gpac.pac(torch.from_numpy(x), FS, PHA, AMP, dcomplex="wavelet", width=10).mi
    assert (a - b).abs().max() > 1e-4


@pytest.mark.parametrize("method", ["mi", "mvl"])
def test_surrogates_and_z_with_tensorpac_draw(rng, tensorpac, method):
    """rng='tensorpac' reproduces TensorPAC's block-swap surrogates of the wavelet measure."""
    from tensorpac.methods import compute_surrogates, get_pac_fcn, normalize

    x = coupled(tensorpac, rng, n_epochs=1)
    pha_bands = PHA[1:2] if method == "mi" else PHA  # MI pools counts over phase bands
    seed, n_perm = int(rng.integers(0, 10000)), 20
    got = gpac.pac(torch.from_numpy(x), FS, pha_bands, AMP, method=method, n_perm=n_perm, seed=seed,
                   rng="tensorpac", return_surrogates=True, dcomplex="wavelet")
    p = tensorpac.Pac(idpac=(IDPAC[method], 0, 0), f_pha=pha_bands, f_amp=AMP, dcomplex="wavelet", verbose=False)
    pha, amp = p.filter(FS, x, "phase", n_jobs=1), p.filter(FS, x, "amplitude", n_jobs=1)
    fcn = get_pac_fcn(IDPAC[method], 18, 0.05)
    surrogates = compute_surrogates(pha, amp, 2, fcn, n_perm, 1, seed)
    z = fcn(pha, amp)
    normalize(4, z, surrogates)
    np.testing.assert_allclose(got.surrogates[0].numpy().transpose(0, 2, 1), surrogates[..., 0], rtol=1e-6)
    np.testing.assert_allclose(got.z[0].numpy().T, z[..., 0], rtol=1e-6, atol=1e-9)


def test_windowed_long_rows_equal_whole_rows(rng):
    """The wavelet convolution is local: rows cut into windows by a small budget give the whole-row
    result up to rounding (unlike the Hilbert path's analytic signal)."""
    x = torch.from_numpy(rng.standard_normal((2, 60_000)))
    whole = gpac.pac(x, FS, PHA, AMP, dcomplex="wavelet", return_dist=True)
    windowed = gpac.pac(x, FS, PHA, AMP, dcomplex="wavelet", return_dist=True, memory_budget=4 << 20)
    torch.testing.assert_close(windowed.amp_dist, whole.amp_dist, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(windowed.mi, whole.mi, rtol=1e-6, atol=1e-12)


def test_coupled_signal_peaks_at_generated_frequencies(tensorpac):
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=FS, n_times=6000, n_epochs=3, noise=0.5,
                                                 rnd_state=3)
    pha = gpac.linear_bands((2, 14), 7, "phase")
    amp = gpac.linear_bands((50, 150), 6, "amplitude")
    for method in ("mi", "mvl", "gc"):
        res = gpac.pac(torch.from_numpy(x), FS, pha, amp, method=method, n_perm=20, seed=1, dcomplex="wavelet")
        i, j = np.unravel_index(int(res.z.mean(0).argmax()), res.z.shape[1:])
        assert abs(float(pha[i].mean()) - 6) <= 2 and abs(float(amp[j].mean()) - 90) <= 20, (method, i, j)


def test_filter_hilbert_gradcheck_with_wavelets(rng):
    x = torch.from_numpy(rng.standard_normal((2, 80))).requires_grad_()
    pha, amp = wavelets([[6.0, 10.0]], 5.0, fs=64.0), wavelets([[18.0, 24.0], [22.0, 28.0]], 5.0, fs=64.0)

    def f(v):
        phase, amplitude = torch.ops.gpac.filter_hilbert(v, pha, amp)
        return torch.sin(phase), amplitude

    assert torch.autograd.gradcheck(f, (x,))


@pytest.mark.parametrize("method", ["mi", "mvl", "ps"])
def test_pac_gradient_with_wavelets(rng, method):
    x = torch.from_numpy(rng.standard_normal((2, 96))).requires_grad_()

    def f(v):
        return gpac.pac(v, 64.0, [[4, 8]], [[15, 25], [20, 30]], method=method, dcomplex="wavelet", width=5).mi

    assert torch.autograd.gradcheck(f, (x,))


def test_module_and_torchscript_with_wavelets(rng):
    x = torch.from_numpy(rng.standard_normal((2, 1500)))
    module = gpac.PAC(FS, PHA, AMP, n_perm=5, seed=2, dcomplex="wavelet", width=6)
    ref = gpac.pac(x, FS, PHA, AMP, n_perm=5, seed=2, dcomplex="wavelet", width=6)
    torch.testing.assert_close(module(x)["mi"], ref.mi, rtol=0, atol=0)
    torch.testing.assert_close(torch.jit.script(module)(x)["z"], ref.z, rtol=0, atol=0)
    assert "dcomplex='wavelet', width=6.0" in repr(module)


@pytest.mark.parametrize("kwargs,match", [
    (dict(dcomplex="morlet"), "dcomplex must be 'hilbert' .* or 'wavelet'"),
    (dict(dcomplex="wavelet", width=0), "width .* must be a positive number"),
    (dict(dcomplex="wavelet", width=float("nan")), "width .* must be a positive number"),
])
def test_bad_decomposition_options(rng, kwargs, match):
    x = torch.from_numpy(rng.standard_normal((1, 1500)))
    with pytest.raises(ValueError, match=match):
        gpac.pac(x, FS, PHA, AMP, **kwargs)
    with pytest.raises(ValueError, match=match):
        gpac.PAC(FS, PHA, AMP, **kwargs)


def test_op_errors():
    x = torch.randn(2, 500, dtype=torch.float64)
    w = wavelets([[4.0, 8.0]])
    taps = torch.ops.gpac.fir_taps(FS, [60.0], [90.0], 500, 6)
    with pytest.raises(ValueError, match="both be real FIR taps or both complex wavelets"):
        torch.ops.gpac.filter_hilbert(x, w, taps)
    with pytest.raises(TypeError, match="gpac::filter takes real FIR taps"):
        torch.ops.gpac.filter(x, w)
    with pytest.raises(ValueError, match="Nyquist"):
        torch.ops.gpac.morlet_wavelets(FS, [200.0], [300.0], 7.0)
    with pytest.raises(ValueError, match="Morlet width must be a positive number"):
        torch.ops.gpac.morlet_wavelets(FS, [4.0], [8.0], -1.0)
    with pytest.raises(ValueError, match="would have .* samples; it must have 1 to"):
        torch.ops.gpac.morlet_wavelets(1e6, [1e-3], [2e-3], 7.0)
    meta = torch.ops.gpac.morlet_wavelets(FS, [4.0, 30.0], [8.0, 40.0], 7.0, device=torch.device("meta"))
    assert meta.shape == wavelets([[4.0, 8.0], [30.0, 40.0]]).shape
