"""Gradients through filter, hilbert, filter_hilbert, mi_scatter, the pipeline and gpac::pac:
torch.autograd.gradcheck (float64, small inputs) against finite differences. The Autograd
kernels are C++ (ops/autograd.cpp), so these are the gradients a C++ program gets too
(tests/cpp/test_autograd.cpp)."""
import pytest
import torch
from torch.autograd import gradcheck

import gpac

FS, N = 64.0, 96


@pytest.fixture
def x(rng):
    return torch.from_numpy(rng.standard_normal((2, N))).requires_grad_()


@pytest.fixture
def taps():
    return (torch.ops.gpac.fir_taps(FS, [4.0, 8.0], [8.0, 12.0], N, 3),
            torch.ops.gpac.fir_taps(FS, [15.0, 20.0], [25.0, 30.0], N, 3))


def test_gradcheck_filter(x, taps):
    assert gradcheck(lambda v: torch.ops.gpac.filter(v, taps[0]), (x,))


def test_gradcheck_hilbert_phase_and_amplitude(x):
    assert gradcheck(lambda v: torch.ops.gpac.hilbert(v), (x,))
    assert gradcheck(lambda v: torch.ops.gpac.hilbert(v)[1], (x.view(1, 2, N),))


def test_gradcheck_filter_hilbert(x, taps):
    assert gradcheck(lambda v: torch.ops.gpac.filter_hilbert(v, *taps), (x,))


def test_gradcheck_mi_scatter_amplitude(rng):
    phase = torch.from_numpy(rng.uniform(-3.14, 3.14, (2, 2, N)))
    amplitude = torch.from_numpy(rng.uniform(0.5, 1.5, (2, 3, N))).requires_grad_()
    assert gradcheck(lambda a: torch.ops.gpac.mi_scatter(phase, a, 6)[:2], (amplitude,))


def test_gradcheck_pipeline(x, taps):
    """The MI's gradient reaches x through the amplitudes (the bins are piecewise constant in x)."""
    assert gradcheck(lambda v: torch.ops.gpac.modulation_index(v, *taps, 6, 0)[:2], (x,))


def test_phase_gets_no_gradient_and_the_module_trains(rng):
    phase = torch.from_numpy(rng.uniform(-3.14, 3.14, (1, 1, N))).requires_grad_()
    amplitude = torch.from_numpy(rng.uniform(0.5, 1.5, (1, 1, N))).requires_grad_()
    torch.ops.gpac.mi_scatter(phase, amplitude, 6)[0].sum().backward()
    assert phase.grad is None and amplitude.grad is not None and amplitude.grad.abs().sum() > 0
    x = torch.from_numpy(rng.standard_normal((3, 1024))).float().requires_grad_()
    gpac.PAC(256, [[4, 8]], [[60, 90]])(x)["mi"].sum().backward()
    assert x.grad.shape == x.shape and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_float32_gradients_follow_float64(rng, taps):
    x64 = torch.from_numpy(rng.standard_normal((2, N)))
    grads = []
    for dtype in (torch.float64, torch.float32):
        v = x64.to(dtype).detach().requires_grad_()
        torch.ops.gpac.filter_hilbert(v, *taps)[1].pow(2).sum().backward()
        grads.append(v.grad.double())
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-4, atol=1e-5)


def test_gradcheck_pac_mi_and_distributions(x):
    """gpac::pac, composed of the differentiable ops when x needs a gradient (csrc/pipeline.h)."""
    edges = ([4.0, 8.0], [8.0, 12.0], [15.0, 20.0], [25.0, 30.0])

    def f(v):
        mi, _, _, _, amp_dist = torch.ops.gpac.pac(v, FS, *edges, n_bins=6, return_dist=True)
        return mi, amp_dist

    assert gradcheck(f, (x,))


@pytest.mark.parametrize("surrogate", ["block_swap", "swap_trials"])
@pytest.mark.parametrize("nan", ["raise", "propagate"])
def test_pac_with_a_gradient_gives_the_same_outputs(rng, surrogate, nan):
    """The differentiable composition equals the fused pipeline, NaN marks included; a bad
    signal's samples get zero gradient."""
    x = torch.from_numpy(rng.standard_normal((2, 4, 1024)))
    if nan == "propagate":
        x[1, 2, 10] = float("nan")
    kw = dict(n_perm=6, surrogate=surrogate, seed=3, return_surrogates=True, return_dist=True, nan=nan,
              progress=False)
    fused = gpac.pac(x, 512.0, "lres", "lres", **kw)
    v = x.clone().requires_grad_()
    composed = gpac.pac(v, 512.0, "lres", "lres", **kw)
    for name in ("mi", "z", "p", "surrogates", "amp_dist"):
        got, want = getattr(composed, name), getattr(fused, name)
        assert got.requires_grad == (name in ("mi", "z", "amp_dist")), name
        torch.testing.assert_close(got.detach(), want, rtol=1e-12, atol=1e-13, equal_nan=True, msg=name)
    assert (nan == "propagate") == bool(fused.mi.isnan().any())
    composed.mi.nansum().backward()
    assert torch.isfinite(v.grad).all() and v.grad.abs().sum() > 0
    if nan == "propagate":
        assert torch.equal(v.grad[1, 2], torch.zeros(1024, dtype=v.dtype))
