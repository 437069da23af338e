"""gpac.modulation_index against TensorPAC's Pac(idpac=(2, 0, 0)).filterfit.

TensorPAC divides each bin's amplitude sum by the sample count pooled over all
phase bands and trials of one call; gPAC counts per signal and phase band
(Tort's definition). So the reference is called one phase band and one trial at
a time, where both definitions coincide.
"""
import numpy as np
import pytest
import torch

import gpac

F_PHA = np.array([[2, 4], [4, 8], [8, 12], [13, 20]], dtype=float)
F_AMP = np.array([[60, 80], [80, 120], [90, 110], [130, 170]], dtype=float)


def tensorpac_mi(tensorpac, x, fs, f_pha, f_amp, n_bins=18, cycle=(3, 6)):
    """(n_signals, n_pha, n_amp) from TensorPAC, one phase band and one trial per call."""
    out = np.empty((x.shape[0], len(f_pha), len(f_amp)))
    for s in range(x.shape[0]):
        for i, band in enumerate(f_pha):
            pac = tensorpac.Pac(idpac=(2, 0, 0), f_pha=[list(band)], f_amp=f_amp, dcomplex="hilbert",
                                n_bins=n_bins, cycle=cycle, verbose=False)
            out[s, i] = pac.filterfit(fs, x[s:s + 1], n_perm=0, n_jobs=1)[:, 0, 0]
    return out


def signals(kind, rng, n_signals, n_times, fs, tensorpac):
    if kind == "noise":
        return rng.standard_normal((n_signals, n_times))
    seed = int(rng.integers(0, 2**31))
    if kind == "tort":
        x, _ = tensorpac.signals.pac_signals_tort(f_pha=6, f_amp=100, sf=fs, n_times=n_times,
                                                  n_epochs=n_signals, noise=1.5, rnd_state=seed)
    else:
        x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=10, f_amp=100, sf=fs, n_times=n_times,
                                                     n_epochs=n_signals, noise=0.8, rnd_state=seed)
    return x


def rel(got, ref):
    return np.abs(got - ref) / np.abs(ref)


@pytest.mark.parametrize("kind", ["noise", "tort", "wavelet"])
@pytest.mark.parametrize("n_times", [3000, 2047])
def test_mi_float64_equals_tensorpac(rng, tensorpac, cpu_fft, kind, n_times):
    fs = 512.0
    x = signals(kind, rng, 3, n_times, fs, tensorpac)
    ref = tensorpac_mi(tensorpac, x, fs, F_PHA, F_AMP)
    got = gpac.modulation_index(torch.from_numpy(x), fs, F_PHA, F_AMP)
    assert got.dtype == torch.float64 and got.shape == ref.shape
    assert rel(got.numpy(), ref).max() <= 1e-6


@pytest.mark.parametrize("kind", ["noise", "tort", "wavelet"])
def test_mi_float32_close_to_tensorpac(rng, tensorpac, cpu_fft, kind):
    fs = 512.0
    # The reference sees the same float32-rounded signal: rounding the input alone can move a
    # sample across a bin edge, which changes a weak pair's MI by up to ~1e-2 relative.
    x = signals(kind, rng, 4, 3000, fs, tensorpac).astype(np.float32)
    ref = tensorpac_mi(tensorpac, x.astype(np.float64), fs, F_PHA, F_AMP)
    got = gpac.modulation_index(torch.from_numpy(x), fs, F_PHA, F_AMP)
    assert got.dtype == torch.float32
    err = rel(got.double().numpy(), ref)
    assert np.median(err) <= 1e-4
    assert err.max() <= 1e-3


def test_design_md_reference_values(tensorpac):
    """docs/algorithms.md: per-epoch Tort MI 0.0311909699 and 0.0319141262 (TensorPAC, one epoch per call)."""
    x, _ = tensorpac.signals.pac_signals_tort(10, 100, sf=512, n_times=2000, n_epochs=2, noise=1, rnd_state=0)
    mi = gpac.modulation_index(x, 512, [[8, 12]], [[90, 110]])  # both epochs in one call
    np.testing.assert_allclose(mi[:, 0, 0].numpy(), [0.0311909699, 0.0319141262], rtol=1e-8)
    # TensorPAC pools the counts of both epochs when given them together: a different number.
    pooled = tensorpac.Pac(idpac=(2, 0, 0), f_pha=[[8, 12]], f_amp=[[90, 110]], verbose=False)
    np.testing.assert_allclose(pooled.filterfit(512, x, n_perm=0, n_jobs=1).ravel(),
                               [0.0311287661, 0.0320033359], rtol=1e-8)


def test_coupled_signal_peaks_at_generated_frequencies(tensorpac):
    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=512, n_times=4000, n_epochs=5,
                                                 noise=0.5, rnd_state=3)
    pha = gpac.linear_bands((2, 20), 10, "phase")
    amp = gpac.linear_bands((60, 160), 11, "amplitude")
    mi = gpac.modulation_index(x, 512, pha, amp).mean(0)
    i, j = np.unravel_index(int(mi.argmax()), mi.shape)
    assert pha[i].mean() == pytest.approx(6, abs=1)
    assert amp[j].mean() == pytest.approx(90, abs=5)
    assert mi[i, j] > 10 * mi.median()
