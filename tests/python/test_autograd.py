"""Gradients through filter, hilbert, filter_hilbert, mi_scatter and the pipeline:
torch.autograd.gradcheck (float64, small inputs) against finite differences."""
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
