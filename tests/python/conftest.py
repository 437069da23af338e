"""Shared fixtures: seeded random generators and TensorPAC as the reference."""
import logging
import warnings
import zlib

import numpy as np
import pytest

# TensorPAC 0.6.5 compares strings with `is`: Python warns at import time.
warnings.filterwarnings("ignore", category=SyntaxWarning)


@pytest.fixture
def rng(request):
    """A NumPy generator seeded from the test's name, so each test draws its own fresh inputs
    and a failure reproduces."""
    seed = zlib.crc32(request.node.nodeid.encode())
    return np.random.default_rng(seed)


@pytest.fixture(params=["default", "aten"])
def cpu_fft(request, monkeypatch):
    """Both CPU paths of the fused transforms: the default (MKL row by row where the build and the
    torch wheel have it) and ATen's batched FFTs (GPAC_CPU_FFT=aten, the fallback elsewhere)."""
    if request.param == "aten":
        monkeypatch.setenv("GPAC_CPU_FFT", "aten")
    else:
        monkeypatch.delenv("GPAC_CPU_FFT", raising=False)
    return request.param


@pytest.fixture(scope="session")
def tensorpac():
    tp = pytest.importorskip("tensorpac")
    tp.set_log_level("error")
    logging.getLogger("tensorpac").setLevel(logging.ERROR)
    return tp


def wrap_phase(phase):
    """TensorPAC's wrap of np.angle output (tensorpac.pac._phampcheck)."""
    return (phase + np.pi) % (2.0 * np.pi) - np.pi


def circular_diff(a, b):
    """Smallest signed angle between phases a and b."""
    return (np.asarray(a) - np.asarray(b) + np.pi) % (2 * np.pi) - np.pi


def rel_err(got, ref):
    """max |got - ref| / max |ref| (norm-wise relative error)."""
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    return float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
