"""Hostile inputs, generated (hypothesis): shapes (empty dims, 0-dim, one sample), dtypes, strides
(transposed, sliced, expanded views), devices (CPU, Meta, CUDA where present), values (huge, tiny,
constant, NaN/Inf), band layouts (reversed, negative, past Nyquist, too long for the signal) and
n_bins, for every op and for gpac.pac. Each call must either return finite outputs of the documented
shape or raise a clear error: ValueError, RuntimeError, or TypeError for a wrong dtype. Anything
else (IndexError, a silent NaN, a wrong shape, a crashed process) fails."""
import math

import numpy as np
import pytest
import torch

import gpac

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CLEAR_ERRORS = (ValueError, RuntimeError, TypeError)
DEVICES = ["cpu", "meta"] + (["cuda"] if torch.cuda.is_available() else [])
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int16, torch.int32, torch.bool,
          torch.complex64]
FS = [100.0, 256.0, 512.0, 1000.0]

def mostly(good, bad, odds=0.2):
    """One of bad with probability about `odds`, else one of good (fine choices). (A plain one_of
    would be drawn towards its first, simplest branch.)"""
    cut = round(100 * (1 - odds))
    return st.integers(0, 99).flatmap(lambda k: st.sampled_from(good) if k < cut else st.sampled_from(bad))


SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def signals(draw, max_times=2500, odds=0.2):
    """A tensor of signals (..., n_times) in some dtype, layout, device and value range; each
    aspect hostile with probability about `odds`."""
    lead = draw(st.lists(mostly([1, 2, 3], [0], odds), min_size=0, max_size=2))
    n = draw(mostly(list(range(max_times // 2, max_times + 1, 97)), [0, 1, 2, 7, 64, 513], odds))
    dtype = draw(mostly([torch.float32, torch.float64], DTYPES[2:], odds))
    device = draw(st.sampled_from(DEVICES))
    scale = 10.0 ** draw(mostly([-3, 0, 0, 2], [-30, -12, 12, 30], odds))
    kind = draw(mostly(["noise"], ["constant", "nan", "inf"], odds))
    layout = draw(st.sampled_from(["contiguous", "transposed", "sliced", "expanded"]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    shape = lead + [n]
    if layout == "sliced":
        base = rng.standard_normal(lead + [2 * n])[..., ::2]
    else:
        base = rng.standard_normal(shape)
    if kind == "constant":
        base = np.full(shape, float(rng.integers(-3, 3)))
    x = torch.from_numpy(np.ascontiguousarray(base) * scale if layout != "sliced" else base * scale)
    if kind in ("nan", "inf") and x.numel():
        x.view(-1)[int(rng.integers(0, x.numel()))] = float("nan") if kind == "nan" else -float("inf")
    if layout == "transposed" and x.dim() >= 2:
        x = x.transpose(-1, 0).contiguous().transpose(-1, 0)
    if layout == "expanded" and x.dim() >= 2 and x.shape[-2] >= 1:
        x = x[..., :1, :].expand(*x.shape[:-2], 3, n)  # stride 0 over the channels
    elif layout == "expanded" and x.dim() == 1:
        x = x.unsqueeze(0).expand(2, n)
    if dtype == torch.complex64:
        x = x.to(torch.complex64)
    else:
        with np.errstate(all="ignore"):
            x = x.to(dtype)
    return x.to(device) if device != "meta" else torch.empty_strided(x.shape, x.stride(), dtype=x.dtype,
                                                                     device="meta")


@st.composite
def bands(draw, fs, odds=0.2):
    """[[low, high], ...]: mostly sensible (within Nyquist), sometimes none, reversed, negative,
    empty or past Nyquist."""
    n = draw(mostly([1, 2, 3, 4], [0], odds))
    out = []
    for _ in range(n):
        low = draw(st.floats(fs / 100, fs / 5, allow_nan=False))
        high = low * draw(st.floats(1.1, 2.0, allow_nan=False))
        kind = draw(mostly(["fine"], ["reversed", "negative", "empty", "nyquist"], odds))
        if kind == "reversed":
            low, high = high, low
        elif kind == "negative":
            low = -low
        elif kind == "empty":
            high = low
        elif kind == "nyquist":
            high = fs / 2 + draw(st.floats(0, fs, allow_nan=False))
        out.append([low, high])
    return out


def finite(t):
    return t.device.type == "meta" or bool(torch.isfinite(t).all())


def lead_of(x):
    return list(x.shape[:-1])


@SETTINGS
@given(data=st.data())
def test_filter_and_hilbert(data):
    x = data.draw(signals())
    fs = data.draw(st.sampled_from(FS))
    band_list = data.draw(bands(fs))
    try:
        taps = gpac.fir_taps(fs, band_list[0], max(x.shape[-1] if x.dim() else 1, 1)) if band_list else None
    except CLEAR_ERRORS:
        taps = None
    if taps is None:
        taps = torch.from_numpy(np.random.default_rng(0).standard_normal((2, data.draw(st.integers(0, 40)))))
    else:
        taps = taps.unsqueeze(0)
    if x.device.type != "cpu":
        taps = taps.to(x.device)
    try:
        y = torch.ops.gpac.filter(x, taps)
    except CLEAR_ERRORS as err:
        event(f"filter: {type(err).__name__}")
    else:
        event("filter: computed")
        assert list(y.shape) == lead_of(x) + [taps.shape[0], x.shape[-1]]
        assert finite(y)
    try:
        phase, amp = torch.ops.gpac.hilbert(x)
    except CLEAR_ERRORS as err:
        event(f"hilbert: {type(err).__name__}")
    else:
        event("hilbert: computed")
        assert phase.shape == x.shape and amp.shape == x.shape
        assert finite(phase) and finite(amp)
        if phase.device.type != "meta":
            assert bool((phase >= -math.pi).all() and (phase < math.pi).all() and (amp >= 0).all())


@st.composite
def taps(draw, fs, n_times, device, odds=0.2):
    """(n_bands, n_taps) taps: TensorPAC designs for drawn bands, or hostile tensors (1-D, empty,
    integer, NaN, longer than the signal)."""
    kind = draw(mostly(["designed"], ["1-d", "empty", "int", "nan", "long"], odds))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    if kind == "designed":
        band_list = draw(bands(fs, odds))
        try:
            t = torch.stack([gpac.fir_taps(fs, b, max(n_times, 1)) for b in band_list]) if band_list else None
        except CLEAR_ERRORS:
            t = None
        if t is None or t.shape[1] == 0:
            t = torch.from_numpy(rng.standard_normal((1, 9)))
    elif kind == "1-d":
        t = torch.from_numpy(rng.standard_normal(9))
    elif kind == "empty":
        t = torch.empty(0, 9, dtype=torch.float64)
    elif kind == "int":
        t = torch.ones(2, 9, dtype=torch.int64)
    elif kind == "nan":
        t = torch.full((2, 9), float("nan"), dtype=torch.float64)
    else:
        t = torch.from_numpy(rng.standard_normal((1, 2 * max(n_times, 1) + 3)))
    return t.to(device) if device != "meta" else t.to("meta")


@SETTINGS
@given(data=st.data())
def test_filter_hilbert_and_pipeline_ops(data):
    x = data.draw(signals())
    fs = data.draw(st.sampled_from(FS))
    n = x.shape[-1] if x.dim() else 1
    pha_taps = data.draw(taps(fs, n, x.device.type))
    amp_taps = data.draw(taps(fs, n, x.device.type))
    try:
        phase, amp = torch.ops.gpac.filter_hilbert(x, pha_taps, amp_taps)
    except CLEAR_ERRORS as err:
        event(f"filter_hilbert: {type(err).__name__}")
    else:
        event("filter_hilbert: computed")
        assert list(phase.shape) == lead_of(x) + [pha_taps.shape[0], n]
        assert list(amp.shape) == lead_of(x) + [amp_taps.shape[0], n]
        assert finite(phase) and finite(amp)
    n_bins = data.draw(mostly([18], [0, 300]))
    budget = data.draw(st.sampled_from([0, 1 << 12, 1 << 20]))
    try:
        mi, sums, counts, surr = torch.ops.gpac.modulation_index(x, pha_taps, amp_taps, n_bins, budget)
    except CLEAR_ERRORS as err:
        event(f"modulation_index: {type(err).__name__}")
    else:
        event("modulation_index: computed")
        assert list(mi.shape) == lead_of(x) + [pha_taps.shape[0], amp_taps.shape[0]]
        assert finite(mi) and finite(sums)


@SETTINGS
@given(data=st.data())
def test_mi_scatter(data):
    seed = data.draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    lead = data.draw(st.lists(st.integers(0, 3), max_size=2))
    P, A = data.draw(mostly([1, 2, 3], [0])), data.draw(mostly([1, 2, 3], [0]))
    n = data.draw(mostly([300, 1000], [0, 1, 5]))
    n_amp_times = data.draw(mostly([n], [n + 1]))
    half_width = data.draw(mostly([math.pi], [4.0]))  # 4: some phases outside [-pi, pi]
    phase = torch.from_numpy(rng.uniform(-half_width, half_width, lead + [P, n]))
    amp = torch.from_numpy(rng.uniform(data.draw(mostly([0.0], [-0.1])), 2, lead + [A, n_amp_times]))
    phase = phase.to(data.draw(mostly([torch.float32, torch.float64], DTYPES[2:])))
    amp = amp.to(data.draw(mostly([torch.float32, torch.float64], [torch.int32, torch.float16])))
    n_bins = data.draw(mostly([2, 18, 256], [-1, 0, 1, 257]))
    device = data.draw(st.sampled_from(DEVICES))
    phase, amp = phase.to(device), amp.to(device)
    try:
        mi, sums, counts, surr = torch.ops.gpac.mi_scatter(phase, amp, n_bins)
    except CLEAR_ERRORS as err:
        event(f"mi_scatter: {type(err).__name__} {str(err)[:70]}")
        return
    event("mi_scatter: computed")
    assert list(mi.shape) == lead + [P, A]
    assert list(sums.shape) == lead + [P, A, n_bins] and list(counts.shape) == lead + [P, n_bins]
    assert finite(mi) and finite(sums)
    if mi.device.type != "meta":
        assert bool((mi >= -1e-12).all() and (mi <= 1 + 1e-12).all())


@SETTINGS
@given(data=st.data())
def test_pac_api(data):
    odds = 0.08  # per aspect: about half the calls have every aspect fine and must compute
    x = data.draw(signals(max_times=2000, odds=odds))
    fs = data.draw(st.sampled_from([512.0, 1000.0]))  # the presets' bands lie under these Nyquists
    use_presets = data.draw(st.booleans())
    pha = data.draw(mostly(["lres", "mres"], ["bogus"], odds) if use_presets else bands(fs, odds))
    amp = data.draw(mostly(["lres", "hres"], ["bogus"], odds) if use_presets else bands(fs, odds))
    n_perm = data.draw(mostly([0, 3], [1, -1], odds))
    surrogate = data.draw(mostly(["block_swap", "time_lag", "swap_trials", 2], ["shuffle"], odds))
    nan = data.draw(st.sampled_from(["raise", "propagate"]))
    n_bins = data.draw(mostly([18, 4], [1, 0], odds))
    budget = data.draw(st.sampled_from([None, 1 << 16, 1 << 20]))
    if x.device.type == "meta":
        x = torch.zeros(x.shape, dtype=x.dtype)  # the API computes; Meta is for the ops
    try:
        res = gpac.pac(x, fs, pha, amp, n_perm=n_perm, surrogate=surrogate, seed=1, n_bins=n_bins, nan=nan,
                       memory_budget=budget, progress=False, return_dist=True)
    except CLEAR_ERRORS as err:
        event(f"pac: {type(err).__name__} {str(err)[:70]}")
        return
    event("pac: computed")
    n_pha = len(pha) if not isinstance(pha, str) else {"lres": 10, "mres": 30}[pha]
    n_amp = len(amp) if not isinstance(amp, str) else {"lres": 10, "hres": 50}[amp]
    assert list(res.mi.shape) == lead_of(x) + [n_pha, n_amp]
    bad = ~torch.isfinite(x.double()).all(-1) if x.is_floating_point() else torch.zeros(lead_of(x), dtype=torch.bool)
    assert bool(torch.isfinite(res.mi[~bad]).all()), "a finite signal gave a non-finite MI"
    assert bool(torch.isnan(res.mi[bad]).all())
    if n_perm > 0:
        assert res.z.shape == res.mi.shape and bool(((res.p[~bad] > 0) & (res.p[~bad] <= 1)).all())
