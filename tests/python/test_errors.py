"""Bad input gets a clear error naming the argument: never a crash or a silent NaN."""
import math

import numpy as np
import pytest
import torch

import gpac

FS = 512.0
PHA = [[4, 8]]
AMP = [[60, 90]]


@pytest.fixture
def x(rng):
    return torch.from_numpy(rng.standard_normal((2, 2000)))


@pytest.mark.parametrize("amp", [[[200, 256]], [[200, 300]], [[256, 300]]])
def test_band_at_or_above_nyquist(x, amp):
    with pytest.raises(ValueError, match=r"amplitude band 0 \[.*\] Hz reaches the Nyquist frequency 256 Hz"):
        gpac.modulation_index(x, FS, PHA, amp)


@pytest.mark.parametrize("pha", [[[12, 8]], [[8, 8]]])
def test_low_not_below_high(x, pha):
    with pytest.raises(ValueError, match=r"phase band 0 \[.*\] Hz must have low < high"):
        gpac.modulation_index(x, FS, pha, AMP)


@pytest.mark.parametrize("pha", [[[0, 8]], [[-2, 8]]])
def test_low_edge_not_positive(x, pha):
    with pytest.raises(ValueError, match="low edge above 0 Hz"):
        gpac.modulation_index(x, FS, pha, AMP)


@pytest.mark.parametrize("fs", [0.0, -512.0, math.nan, math.inf])
def test_sampling_frequency_not_positive_finite(x, fs):
    with pytest.raises(ValueError, match="sampling frequency fs must be a positive finite number"):
        gpac.modulation_index(x, fs, PHA, AMP)


@pytest.mark.parametrize("n_bins", [1, 0, -3])
def test_too_few_bins(x, n_bins):
    with pytest.raises(ValueError, match=rf"n_bins must be >= 2 phase bins \(and at most 256\), got {n_bins}"):
        gpac.modulation_index(x, FS, PHA, AMP, n_bins=n_bins)
    with pytest.raises(ValueError, match="n_bins"):
        gpac.PAC(FS, PHA, AMP, n_bins=n_bins)


def test_signal_too_short_for_band(rng):
    short = torch.from_numpy(rng.standard_normal((2, 100)))  # 4 Hz needs 128 samples at 512 Hz
    message = r"signals of 100 samples .* too short for phase band 0 \[4, 8\] Hz.*128 samples"
    with pytest.raises(ValueError, match=message):
        gpac.modulation_index(short, FS, PHA, AMP)


@pytest.mark.parametrize("bad", [torch.empty(0, 2000), torch.empty(3, 0), torch.empty(0)])
def test_empty_signals(bad):
    with pytest.raises(ValueError, match="empty"):
        gpac.modulation_index(bad, FS, PHA, AMP)


def test_zero_dim_signal():
    with pytest.raises(ValueError, match="0-dim"):
        gpac.modulation_index(torch.tensor(1.0), FS, PHA, AMP)


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_complex_signals(x, dtype):
    with pytest.raises(TypeError, match="complex"):
        gpac.modulation_index(x.to(dtype), FS, PHA, AMP)


def test_bool_signals(x):
    with pytest.raises(TypeError, match="bool"):
        gpac.modulation_index(x > 0, FS, PHA, AMP)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_samples_say_where(x, value):
    bad = x.clone()
    bad[1, 1234] = value
    with pytest.raises(ValueError, match=r"x holds 1 non-finite value\(s\); the first is .* at index \[1, 1234\]"):
        gpac.modulation_index(bad, FS, PHA, AMP)
    with pytest.raises(ValueError, match=r"index \[1, 1234\]"):
        torch.ops.gpac.hilbert(bad)


def test_bands_on_another_device_than_signal(x):
    with pytest.raises(ValueError, match="bands are on meta but the signal is on cpu"):
        gpac.modulation_index(x, FS, torch.tensor(PHA, device="meta"), AMP)
    taps = torch.ops.gpac.fir_taps(FS, [4.0], [8.0], 2000, 3)
    with pytest.raises(ValueError, match="taps is on meta but the signals are on cpu"):
        torch.ops.gpac.filter(x, taps.to("meta"))


@pytest.mark.parametrize("bands", [[[1, 2, 3]], [1, 2, 3], [], "nonsense", [["a", "b"]]])
def test_malformed_bands(x, bands):
    with pytest.raises(ValueError, match="phase band|preset"):
        gpac.modulation_index(x, FS, bands, AMP)


def test_bad_cycle(x):
    with pytest.raises(ValueError, match="cycle must be two integers"):
        gpac.modulation_index(x, FS, PHA, AMP, cycle=(3,))
    with pytest.raises(ValueError, match="cycle count .* must be >= 1"):
        gpac.modulation_index(x, FS, PHA, AMP, cycle=(0, 6))


def test_pac_module_rejects_bands_at_construction():
    with pytest.raises(ValueError, match="Nyquist"):
        gpac.PAC(FS, amp_range_hz=(60, 240), amp_n_bands=4)  # 240 + 240/8 > 256


def test_mi_scatter_rejects_bad_histogram_inputs(rng):
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (2, 3, 500)))
    amp = torch.from_numpy(rng.uniform(0, 1, (2, 4, 500)))
    with pytest.raises(ValueError, match="differ in dim 2"):
        torch.ops.gpac.mi_scatter(phase, amp[..., :499], 18)
    with pytest.raises(ValueError, match="negative"):
        torch.ops.gpac.mi_scatter(phase, -amp, 18)
    with pytest.raises(TypeError, match="share a dtype, or the phase be float64"):
        torch.ops.gpac.mi_scatter(phase.float(), amp, 18)
    bad = phase.clone()
    bad[0, 2, 7] = math.nan
    with pytest.raises(ValueError, match=r"phase holds 1 non-finite .* index \[0, 2, 7\]"):
        torch.ops.gpac.mi_scatter(bad, amp, 18)


def test_zero_signal_gives_zero_mi_not_nan():
    mi = gpac.modulation_index(torch.zeros(2, 2000), FS, PHA, AMP)
    assert torch.equal(mi, torch.zeros_like(mi))


def test_too_many_bins(x):
    with pytest.raises(ValueError, match="at most 256"):
        gpac.modulation_index(x, FS, PHA, AMP, n_bins=257)


def test_negative_memory_budget(x):
    with pytest.raises(ValueError, match="memory_budget must be >= 0 bytes"):
        gpac.modulation_index(x, FS, PHA, AMP, memory_budget=-1)
    with pytest.raises(ValueError, match="memory_budget must be >= 0 bytes"):
        gpac.PAC(FS, PHA, AMP, memory_budget=-1)
