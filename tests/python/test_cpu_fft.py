"""The CPU's two paths for the fused transforms agree: MKL row by row (kernels/cpu/filter_hilbert_cpu.cpp, the
default where the build has mkl_dfti.h and torch carries MKL) and ATen's batched FFTs
(csrc/spectral.cpp, GPAC_CPU_FFT=aten). Each is also checked against SciPy/TensorPAC elsewhere
(the cpu_fft fixture)."""
import pytest
import torch

import gpac

try:
    from gpac import _build_info
except ImportError:  # a library named by GPAC_LIBRARY
    _build_info = None


def both_paths(monkeypatch, fn):
    monkeypatch.delenv("GPAC_CPU_FFT", raising=False)
    default = fn()
    monkeypatch.setenv("GPAC_CPU_FFT", "aten")
    aten = fn()
    monkeypatch.delenv("GPAC_CPU_FFT")
    return default, aten


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("n_times", [512, 1001, 4000])
def test_filter_hilbert_paths_agree(rng, monkeypatch, dtype, n_times):
    fs = 512.0
    x = torch.from_numpy(rng.standard_normal((3, 2, n_times))).to(dtype)
    pha = torch.ops.gpac.fir_taps(fs, [2.0, 4.5, 8.0], [4.0, 7.5, 12.0], n_times, 3, "phase band")
    amp = torch.ops.gpac.fir_taps(fs, [60.0, 90.0], [80.0, 130.0], n_times, 6, "amplitude band")
    (p1, a1), (p2, a2) = both_paths(monkeypatch, lambda: torch.ops.gpac.filter_hilbert(x, pha, amp))
    assert p1.dtype == p2.dtype == dtype and a1.shape == a2.shape == (3, 2, 2, n_times)
    tol = 1e-12 if dtype == torch.float64 else 2e-5
    assert float((a1 - a2).abs().max() / a2.abs().max()) <= tol
    dphi = torch.remainder(p1.double() - p2.double() + torch.pi, 2 * torch.pi) - torch.pi
    assert float(dphi.abs().max()) <= (1e-9 if dtype == torch.float64 else 1e-5)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_pipeline_paths_agree(rng, monkeypatch, dtype):
    x = torch.from_numpy(rng.standard_normal((4, 3000))).to(dtype)
    (mi1, mi2) = both_paths(monkeypatch, lambda: gpac.modulation_index(x, 512.0, "lres", "lres"))
    rel = ((mi1.double() - mi2.double()).abs() / mi2.double().abs()).max()
    assert float(rel) <= (1e-9 if dtype == torch.float64 else 1e-4)


def test_mkl_path_built_where_expected():
    """The x86-64 build has the MKL path (mkl-include is a build requirement there)."""
    import platform

    if _build_info is None:
        pytest.skip("library from GPAC_LIBRARY: no build record")
    if platform.machine() != "x86_64":
        pytest.skip("MKL FFTs are built on x86-64 only")
    assert _build_info.WITH_MKL_FFT


def test_results_do_not_depend_on_the_calls_before(rng):
    """Rows short enough (extended grid up to 16384 samples) reuse the calling thread's row buffers
    from one call to the next (filter_hilbert_cpu.cpp, kept_slot): a call gives the same bits
    whatever the thread computed before it, on the same grid with other signals, on another grid,
    in the other precision, or on a grid too long to keep."""
    fs = 512.0

    def mi(x):
        return gpac.modulation_index(x, fs, "lres", "lres")

    x = torch.from_numpy(rng.standard_normal((2, 1024))).float()
    first = mi(x)
    others = [torch.from_numpy(rng.standard_normal((2, 1024))).float() * 1e3,
              torch.from_numpy(rng.standard_normal((3, 777))).float(),
              torch.from_numpy(rng.standard_normal((2, 1024))),
              torch.from_numpy(rng.standard_normal((1, 20000))).float()]
    for other in others:
        mi(other)
        assert torch.equal(mi(x), first)
    assert first.shape == (2, 10, 10) and bool(torch.isfinite(first).all()) and float(first.min()) > 0
