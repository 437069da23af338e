"""gpac::filter, gpac::hilbert and the fused gpac::filter_hilbert against SciPy and TensorPAC."""
import numpy as np
import pytest
import scipy.fftpack
import scipy.signal
import torch

import gpac
from conftest import circular_diff, rel_err, wrap_phase


def random_bank(rng, fs, n_times, n_bands, cycle):
    """Random bands valid for the signal length, and their TensorPAC designs."""
    lows, highs = [], []
    while len(lows) < n_bands:
        low = rng.uniform(max(1.0, 1.2 * fs / n_times), 0.4 * fs)
        lows.append(low)
        highs.append(rng.uniform(low + 0.02 * fs, 0.49 * fs))
    taps = torch.ops.gpac.fir_taps(fs, lows, highs, n_times, cycle, "band")
    designs = [gpac.fir_taps(fs, (lo, hi), n_times, cycle).numpy() for lo, hi in zip(lows, highs)]
    return taps, designs, np.c_[lows, highs]


@pytest.mark.parametrize(
    "n_signals,n_bands,n_times",
    [(1, 1, 1001), (7, 13, 2000), (64, 50, 777), (3, 5, 4096)],
)
def test_filter_equals_scipy_filtfilt(rng, n_signals, n_bands, n_times):
    fs = float(rng.uniform(200, 2000))
    taps, designs, _ = random_bank(rng, fs, n_times, n_bands, cycle=int(rng.integers(2, 7)))
    x = rng.standard_normal((n_signals, n_times))
    got = torch.ops.gpac.filter(torch.from_numpy(x), taps).numpy()
    assert got.shape == (n_signals, n_bands, n_times)
    for k, b in enumerate(designs):
        ref = scipy.signal.filtfilt(b, 1, x, padlen=len(b) - 1, axis=-1)
        assert rel_err(got[:, k], ref) <= 1e-9, f"band {k} with {len(b)} taps"


def test_filter_keeps_leading_dims_and_float32(rng):
    x = rng.standard_normal((2, 3, 1500))
    taps, designs, _ = random_bank(rng, 500.0, 1500, 4, cycle=3)
    got = torch.ops.gpac.filter(torch.from_numpy(x).float(), taps)
    assert got.dtype == torch.float32 and got.shape == (2, 3, 4, 1500)
    ref = scipy.signal.filtfilt(designs[2], 1, x, padlen=len(designs[2]) - 1, axis=-1)
    assert rel_err(got[:, :, 2].numpy(), ref) <= 1e-5


@pytest.mark.parametrize("n_times", [1000, 1001, 4001, 777, 2048])
def test_hilbert_equals_scipy_with_5_smooth_padding(rng, n_times):
    xf = rng.standard_normal((5, n_times))
    n_fft = scipy.fftpack.next_fast_len(n_times)  # the old fftpack rule TensorPAC uses
    z = scipy.signal.hilbert(xf, n_fft, axis=-1)[..., :n_times]
    phase, amplitude = torch.ops.gpac.hilbert(torch.from_numpy(xf))
    assert rel_err(amplitude.numpy(), np.abs(z)) <= 1e-12
    assert np.max(np.abs(circular_diff(phase.numpy(), wrap_phase(np.angle(z))))) <= 1e-10
    assert phase.min() >= -np.pi and phase.max() < np.pi  # wrapped as TensorPAC wraps


@pytest.mark.parametrize("n_times,cycle", [(2000, (3, 6)), (1537, (2, 4)), (700, (3, 6))])
def test_fused_path_equals_tensorpac_spectral(rng, tensorpac, cpu_fft, n_times, cycle):
    """Phase and amplitude as TensorPAC's own spectral() (filtfilt + hilbertm) computes them."""
    from tensorpac.spectral import spectral

    fs = 512.0
    x = rng.standard_normal((3, n_times))
    f_pha = np.array([[2, 4], [4.5, 7.5], [8, 12], [13, 30]], dtype=float)
    f_amp = np.array([[60, 80], [70, 110], [120, 160]], dtype=float)
    pha_taps = torch.ops.gpac.fir_taps(fs, f_pha[:, 0].tolist(), f_pha[:, 1].tolist(), n_times, cycle[0], "phase band")
    amp_taps = torch.ops.gpac.fir_taps(fs, f_amp[:, 0].tolist(), f_amp[:, 1].tolist(), n_times, cycle[1], "amp band")
    phase, amplitude = torch.ops.gpac.filter_hilbert(torch.from_numpy(x), pha_taps, amp_taps)
    ref_pha = spectral(x, fs, f_pha, "pha", "hilbert", cycle[0], 7, 1)  # (n_pha, n_signals, n_times)
    ref_amp = spectral(x, fs, f_amp, "amp", "hilbert", cycle[1], 7, 1)
    assert rel_err(amplitude.numpy(), ref_amp.transpose(1, 0, 2)) <= 1e-9
    dphi = circular_diff(phase.numpy(), wrap_phase(ref_pha.transpose(1, 0, 2)))
    assert np.max(np.abs(dphi)) <= 1e-7
