"""Long recordings: rows whose FFT temporaries exceed the memory budget go through overlapping
windows, rows whose bins and amplitudes do not fit accumulate histograms over stretches of time,
and memory-mapped .npy input is read in place. The references are the same call with memory to
spare (one window per row), and mi_scatter over the whole row."""
import warnings

import numpy as np
import pytest
import torch

import gpac

FS = 512.0
N = 200_000  # 6.5 minutes at 512 Hz
SMALL_BUDGET = 8 << 20  # windows of ~33k samples: six per row
TINY_BUDGET = 1 << 20  # not even one band of a whole row fits


@pytest.fixture
def recording(rng):
    """A coupled signal (6 Hz phase, 90 Hz amplitude) and white noise, float64."""
    t = np.arange(N) / FS
    slow = np.sin(2 * np.pi * 6 * t + rng.uniform(0, 2 * np.pi))
    coupled = (1 + 0.5 * slow) * np.sin(2 * np.pi * 90 * t) + slow + rng.standard_normal(N)
    return torch.from_numpy(np.stack([coupled, rng.standard_normal(N)]))


def test_windowed_mi_matches_one_shot(recording):
    """MI from windowed filtering and analytic signals against the one-shot call. The band-pass is
    exact per window (C++ test Segments.*); the analytic signal (TensorPAC's FFT Hilbert over the
    whole row) differs by O(1 / margin): measured 3.6e-6 absolute at these margins."""
    ref = gpac.pac(recording, FS, "lres", "lres", progress=False)
    win = gpac.pac(recording, FS, "lres", "lres", progress=False, memory_budget=SMALL_BUDGET)
    diff = (win.mi - ref.mi).abs()
    assert diff.max() < 2e-5, diff.max()
    assert diff.max() > 0  # the windows really were used (else this compares a call with itself)
    peak = ref.mi[0].argmax()
    assert win.mi[0].argmax() == peak
    assert (diff[0].flatten()[peak] / ref.mi[0].flatten()[peak]) < 1e-3


def test_windowed_surrogates_use_whole_recording_shifts(recording):
    """Surrogate shifts are drawn on the whole row: the windowed call's surrogates equal the
    one-shot call's to the same tolerance, and the coupled pair stays significant."""
    kw = dict(n_perm=30, seed=11, progress=False, return_surrogates=True)
    ref = gpac.pac(recording, FS, "lres", "lres", **kw)
    win = gpac.pac(recording, FS, "lres", "lres", memory_budget=SMALL_BUDGET, **kw)
    assert (win.surrogates - ref.surrogates).abs().max() < 2e-5
    i, j = np.unravel_index(int(ref.mi[0].argmax()), ref.mi[0].shape)
    assert win.p[0, i, j] == ref.p[0, i, j] == pytest.approx(1 / 31)
    assert win.z[0, i, j] == pytest.approx(float(ref.z[0, i, j]), rel=1e-2)


def test_streamed_histograms_match_one_shot(recording):
    """With a budget too small for one band of one whole row, histograms of stretches of time are
    added up; the MI and the phase-amplitude distribution match the one-shot call."""
    ref = gpac.pac(recording, FS, "lres", "lres", progress=False, return_dist=True)
    out = gpac.pac(recording, FS, "lres", "lres", progress=False, memory_budget=TINY_BUDGET,
                   return_dist=True)
    assert (out.mi - ref.mi).abs().max() < 2e-5
    # measured 5.3e-3 (1.5e-3 while each stretch started its own grid of segments)
    assert (out.amp_dist - ref.amp_dist).abs().max() < 1e-2 * ref.amp_dist.abs().max()


def test_streamed_histograms_refuse_surrogates(recording):
    with pytest.raises(ValueError, match="surrogates need one phase band and one amplitude band.*memory_budget"):
        gpac.pac(recording, FS, "lres", "lres", n_perm=5, seed=0, progress=False, memory_budget=TINY_BUDGET)


def test_histograms_of_stretches_add_exactly(rng):
    """What streaming relies on: counts of two stretches add to the whole row's exactly, float64
    amplitude sums to rounding."""
    n = 40_000
    phase = torch.from_numpy(rng.uniform(-np.pi, np.pi, (3, 4, n)))
    amp = torch.from_numpy(rng.uniform(0, 2, (3, 5, n)))
    _, sums, counts, _ = torch.ops.gpac.mi_scatter(phase, amp, 18)
    cut = int(rng.integers(1, n - 1))
    parts = [torch.ops.gpac.mi_scatter(phase[..., sl], amp[..., sl], 18)
             for sl in (slice(0, cut), slice(cut, n))]
    assert torch.equal(parts[0][2] + parts[1][2], counts)
    torch.testing.assert_close(parts[0][1] + parts[1][1], sums, rtol=1e-12, atol=0)


def test_memory_mapped_npy(tmp_path, recording):
    """A memory-mapped .npy goes in without a copy (and without torch's read-only warning) and gives
    the in-memory result bit for bit."""
    path = tmp_path / "rec.npy"
    np.save(path, recording.numpy().astype(np.float32))
    mapped = np.load(path, mmap_mode="r")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = gpac.pac(mapped, FS, "lres", "lres", n_perm=5, seed=1, progress=False)
    ref = gpac.pac(recording.float(), FS, "lres", "lres", n_perm=5, seed=1, progress=False)
    assert torch.equal(out.mi, ref.mi) and torch.equal(out.z, ref.z)
