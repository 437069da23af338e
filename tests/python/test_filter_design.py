"""gpac.fir_taps against TensorPAC's own fir_order + fir1."""
import numpy as np
import pytest

import gpac


def random_band(rng, short=False):
    fs = float(rng.uniform(100, 5000))
    low = float(rng.uniform(0.5, 0.4 * fs))
    high = float(rng.uniform(low + 0.01 * fs, 0.49 * fs))
    cycle = int(rng.choice([3, 6, int(rng.integers(1, 9))]))
    min_len = int(np.ceil(fs / low))
    full = 3 * cycle * (fs // low)  # signals shorter than this clip the order
    if short:
        n_times = int(rng.integers(min_len, max(min_len + 1, full)))
    else:
        n_times = int(rng.integers(max(min_len, full), max(min_len, full) + 5000))
    return fs, low, high, cycle, n_times


@pytest.mark.parametrize("short", [False, True], ids=["full-order", "clipped-order"])
def test_fir_taps_equal_tensorpac(rng, tensorpac, short):
    from tensorpac.spectral import fir1, fir_order

    n_odd = n_even = 0
    for _ in range(150):
        fs, low, high, cycle, n_times = random_band(rng, short)
        order = fir_order(fs, n_times, low, cycle=cycle)
        ref, _ = fir1(order, np.array([low, high]) / (fs / 2.0))
        got = gpac.fir_taps(fs, (low, high), n_times, cycle).numpy()
        assert got.shape == ref.shape, (fs, low, high, cycle, n_times)
        assert np.max(np.abs(got - ref)) <= 1e-12, (fs, low, high, cycle, n_times)
        n_odd += len(ref) % 2
        n_even += 1 - len(ref) % 2
    assert n_odd > 10 and n_even > 10  # both the type I and the type II design ran


def test_design_md_reference_values():
    b = gpac.fir_taps(512, (90, 110), 2000, 6).numpy()
    assert len(b) == 31
    np.testing.assert_allclose(b[:3], [0.0050888991, -0.0006830104, -0.0097845755], atol=5e-11)
    assert len(gpac.fir_taps(512, (8, 12), 2000, 3)) == 193
    assert len(gpac.fir_taps(1024, (8, 12), 1000, 3)) == 334  # even tap count
