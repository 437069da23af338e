"""Every op in torch.ops.gpac after pytorch/extension-cpp's pattern: one sample_inputs(device,
requires_grad) per op feeds the reference comparison (SciPy / NumPy in float64), opcheck in both
grad modes, and gradcheck where the op has a gradient.

Ops with a gradient (filter, hilbert, filter_hilbert, mi_scatter, modulation_index, pac: C++
Autograd kernels in ops/autograd.cpp; phase_amp_sums and event_related_pac, composed of ATen ops) are checked with
inputs that require it too. The others
have none to register: the factory ops (fir_taps, morlet_wavelets, linear_bands, preset_bands, surrogate_plan) take
no tensor, the backward ops are not differentiated again, and surrogate_stats and amp_dist are
composed of ATen ops, whose own gradients apply.
"""
import numpy as np
import pytest
import scipy.signal
import scipy.stats
import torch
from torch.library import opcheck

import gpac  # noqa: F401  (loads the op library)

FS = 512.0
N = 700
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
ops = torch.ops.gpac


def taps(low, high, cycle, device):
    return ops.fir_taps(FS, low, high, N, cycle, device=device)


def wavelets(low, high, device, width=5.0):
    return ops.morlet_wavelets(FS, low, high, width, device=device)


def signals(device, requires_grad, shape=(2, N), seed=0):
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal(shape)).to(device)
    return x.requires_grad_(requires_grad)


def histogram_inputs(device, requires_grad):
    phase, amplitude = ops.filter_hilbert(signals(device, False), taps([4.0, 8.0], [8.0, 12.0], 3, device),
                                          taps([60.0, 90.0], [90.0, 120.0], 6, device))
    return phase, amplitude.detach().requires_grad_(requires_grad)


def sample_inputs(name, device, requires_grad):
    """(args, kwargs) lists for one op."""
    pha, amp = taps([4.0, 8.0], [8.0, 12.0], 3, device), taps([60.0, 90.0], [90.0, 120.0], 6, device)
    x = signals(device, requires_grad)
    if name == "filter":
        return [((x, amp), {}), ((signals(device, requires_grad, (3, 1, N), 1), pha), {})]
    if name == "hilbert":
        return [((x,), {}), ((signals(device, requires_grad, (1, 513), 2),), {})]
    wpha, wamp = wavelets([4.0, 8.0], [8.0, 12.0], device), wavelets([60.0, 90.0], [90.0, 120.0], device)
    if name == "filter_hilbert":
        return [((x, pha, amp), {}), ((x, wpha, wamp), {})]
    if name == "mi_scatter":
        phase, amplitude = histogram_inputs(device, requires_grad)
        _, shift = ops.surrogate_plan(3, 2, N, "block_swap", 1, device=device)
        return [((phase, amplitude, 18), {}), ((phase, amplitude, 6, None, shift), {})]
    if name == "modulation_index":
        _, shift = ops.surrogate_plan(3, 2, N, "time_lag", 1, device=device)
        return [((x, pha, amp, 18, 0), {}), ((x, wpha, wamp, 18, 0), {}), ((x, pha, amp, 12, 0, None, shift), {})]
    if name == "phase_amp_sums":
        phase, amplitude = histogram_inputs(device, requires_grad)
        carrier = torch.polar(torch.ones_like(phase[:, :1]), phase.detach()[:, 1:]).requires_grad_(requires_grad)
        phase_index, shift = ops.surrogate_plan(3, 2, N, "swap_trials", 1, "torch", False, 2, device=device)
        return [((phase, amplitude), {}), ((phase, amplitude, None, shift), {}),
                ((phase, carrier, phase_index, shift), {})]
    if name == "event_related_pac":
        phase, amplitude = ops.filter_hilbert(signals(device, False, (2, 5, N)), pha, amp)
        amplitude = amplitude.requires_grad_(requires_grad)
        order = torch.stack([torch.randperm(5, generator=torch.Generator().manual_seed(k)) for k in range(3)])
        return [((phase, amplitude), {}), ((phase, amplitude, "gc", 3), {}),
                ((phase, amplitude, "circular", 0, order.to(device)), {})]
    if name == "pac":
        edges = ([4.0, 8.0], [8.0, 12.0], [60.0, 90.0], [90.0, 120.0])
        return [((x, FS, *edges), {}), ((x, FS, *edges), {"dcomplex": "wavelet", "width": 6.0}),
                ((x, FS, *edges), {"n_perm": 4, "seed": 2, "return_dist": True})]
    if name == "surrogate_stats":
        mi = torch.rand(2, 3, 4, dtype=torch.float64, device=device)
        return [((mi, torch.rand(2, 5, 3, 4, dtype=torch.float64, device=device), norm), {}) for norm in range(5)]
    if name == "amp_dist":
        phase, amplitude = histogram_inputs(device, False)
        _, sums, counts, _ = ops.mi_scatter(phase, amplitude, 18)
        return [((sums, counts), {})]
    if name == "fir_taps":
        return [((FS, [4.0, 60.0], [8.0, 90.0], N, 3), {"device": device})]
    if name == "morlet_wavelets":
        return [((FS, [4.0, 60.0], [8.0, 90.0], 7.0), {"device": device}), ((FS, [30.0], [40.0], 4.5), {})]
    if name == "linear_bands":
        return [((2.0, 20.0, 5, "phase"), {"device": device})]
    if name == "preset_bands":
        return [(("mres", "amplitude"), {"device": device})]
    if name == "surrogate_plan":
        return [((5, 4, N, method, 3, rng, False, 2), {"device": device})
                for method in ("block_swap", "swap_trials", "time_lag") for rng in ("torch", "tensorpac")]
    x = signals(device, False)
    if name == "filter_backward":
        return [((torch.randn(2, 2, N, dtype=torch.float64, device=device), x, amp), {})]
    if name == "hilbert_backward":
        g = torch.randn(2, N, dtype=torch.float64, device=device)
        return [((g, g.flip(-1), x), {}), ((None, g, x), {})]
    if name == "filter_hilbert_backward":
        g = torch.randn(2, 2, N, dtype=torch.float64, device=device)
        return [((g, g.flip(-1), x, pha, amp), {}), ((g, g.flip(-1), x, wpha, wamp), {})]
    if name == "mi_scatter_backward":
        phase, amplitude = histogram_inputs(device, False)
        mi, sums, counts, _ = ops.mi_scatter(phase, amplitude, 18)
        return [((torch.randn_like(mi), torch.randn_like(sums), phase, amplitude, sums, counts, 18), {})]
    if name == "modulation_index_backward":
        mi, sums, counts, _ = ops.modulation_index(x, pha, amp, 18, 0)
        return [((torch.randn_like(mi), None, x, pha, amp, sums, counts, 18), {})]
    raise KeyError(name)


DIFFERENTIABLE = ["filter", "hilbert", "filter_hilbert", "mi_scatter", "modulation_index", "pac", "phase_amp_sums",
                  "event_related_pac"]
OTHERS = ["surrogate_stats", "amp_dist", "fir_taps", "morlet_wavelets", "linear_bands", "preset_bands",
          "surrogate_plan", "filter_backward", "hilbert_backward", "filter_hilbert_backward", "mi_scatter_backward",
          "modulation_index_backward"]


def test_every_op_has_samples():
    registered = {s.name.split("::")[1] for s in torch._C._jit_get_all_schemas() if s.name.startswith("gpac::")}
    assert registered == set(DIFFERENTIABLE) | set(OTHERS)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_opcheck_differentiable(name, device, requires_grad):
    for args, kwargs in sample_inputs(name, device, requires_grad):
        opcheck(getattr(ops, name).default, args, kwargs)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", OTHERS)
def test_opcheck_others(name, device):
    for args, kwargs in sample_inputs(name, device, False):
        opcheck(getattr(ops, name).default, args, kwargs)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["filter", "hilbert", "filter_hilbert", "modulation_index", "pac"])
def test_gradcheck(name, device):
    """The signals' gradient against finite differences, on short float64 signals."""
    for args, kwargs in sample_inputs(name, device, True)[-1:]:
        x = args[0].detach()[..., :N].clone().requires_grad_(True)

        def f(x, rest=args[1:], kwargs=kwargs):
            out = getattr(ops, name)(x, *rest, **kwargs)
            outs = out if isinstance(out, tuple) else (out,)
            # the phase has no gradient (csrc/gradients.h); the counts and surrogates neither,
            # nor z and p through them
            keep = {"filter": [0], "hilbert": [1], "filter_hilbert": [1], "modulation_index": [0, 1],
                    "pac": [0, 4]}[name]
            return tuple(outs[i] for i in keep)

        assert torch.autograd.gradcheck(f, (x,), atol=1e-6, rtol=1e-5, fast_mode=True)


@pytest.mark.parametrize("device", DEVICES)
def test_gradcheck_mi_scatter_amplitude(device):
    phase, amplitude = histogram_inputs(device, True)
    assert torch.autograd.gradcheck(lambda a: ops.mi_scatter(phase, a, 18)[:2], (amplitude,), fast_mode=True)


@pytest.mark.parametrize("device", DEVICES)
def test_references(device):
    """Each op's sample outputs against a reference someone else wrote, in float64."""
    (x, amp), _ = sample_inputs("filter", device, False)[0]
    ref = np.stack([scipy.signal.filtfilt(b[np.flatnonzero(b)[0]:np.flatnonzero(b)[-1] + 1], 1, x.cpu().numpy(),
                                          padlen=np.flatnonzero(b)[-1]) for b in amp.cpu().numpy()], axis=-2)
    np.testing.assert_allclose(ops.filter(x, amp).cpu().numpy(), ref, rtol=1e-8, atol=1e-10)

    # Wavelets: numpy.convolve with each band's wavelet, cut as TensorPAC's morlet cuts it.
    (x, wpha, wamp), _ = sample_inputs("filter_hilbert", device, False)[1]
    phase, amplitude = ops.filter_hilbert(x, wpha, wamp)
    for b, w in enumerate(wamp.cpu().numpy()):
        m = w[np.flatnonzero(w)[0]:np.flatnonzero(w)[-1] + 1]
        y = np.stack([np.convolve(row, m)[(len(m) + 1) // 2 - 1:][:N] for row in x.cpu().numpy()])
        np.testing.assert_allclose(amplitude[:, b].cpu().numpy(), np.abs(y), rtol=1e-10, atol=1e-12)

    (x,), _ = sample_inputs("hilbert", device, False)[1]
    n5 = 540  # the next 5-smooth length >= 513
    z = scipy.signal.hilbert(x.cpu().numpy(), n5)[..., :513]
    _, amplitude = ops.hilbert(x)
    np.testing.assert_allclose(amplitude.cpu().numpy(), np.abs(z), rtol=1e-10, atol=1e-12)

    (mi, surrogates, norm), _ = sample_inputs("surrogate_stats", device, False)[4]
    z, p = ops.surrogate_stats(mi, surrogates, norm)
    s = surrogates.cpu().numpy()
    np.testing.assert_allclose(z.cpu().numpy(), (mi.cpu().numpy() - s.mean(1)) / s.std(1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(p.cpu().numpy(), (1 + (s >= mi.cpu().numpy()[:, None]).sum(1)) / 6, rtol=0)

    (sums, counts), _ = sample_inputs("amp_dist", device, False)[0]
    mean = sums.cpu().numpy() / np.maximum(counts.cpu().numpy()[:, :, None, :], 1)
    np.testing.assert_allclose(ops.amp_dist(sums, counts).cpu().numpy(), mean / mean.sum(-1, keepdims=True),
                               rtol=1e-12)

    # The MI from the phases and amplitudes, by NumPy's digitize and Tort's formula.
    (phase, amplitude, n_bins), _ = sample_inputs("mi_scatter", device, False)[0]
    ph, am = phase.cpu().numpy(), amplitude.cpu().numpy()
    edges = np.linspace(-np.pi - 2 * np.finfo(np.float64).eps, np.pi + 2 * np.finfo(np.float64).eps, n_bins + 1)
    mi = ops.mi_scatter(phase, amplitude, n_bins)[0].cpu().numpy()
    for s in range(ph.shape[0]):
        for i in range(ph.shape[1]):
            b = np.digitize(ph[s, i], edges) - 1
            for j in range(am.shape[1]):
                means = np.array([am[s, j][b == k].mean() if (b == k).any() else 0.0 for k in range(n_bins)])
                P = means / means.sum()
                with np.errstate(divide="ignore", invalid="ignore"):
                    ent = np.where(P > 0, P * np.log(P), 0.0).sum()
                np.testing.assert_allclose(mi[s, i, j], 1 + ent / np.log(n_bins), rtol=1e-9)

    # The phase-amplitude sums and their surrogates, by NumPy's einsum and explicit index arithmetic.
    for (phase, amplitude, phase_index, shift), _ in sample_inputs("phase_amp_sums", device, False)[2:]:
        sums, surrogates = ops.phase_amp_sums(phase, amplitude, phase_index, shift)
        ph, am = phase.cpu().numpy(), amplitude.cpu().numpy()
        np.testing.assert_allclose(sums.cpu().numpy(), np.einsum("sit,sjt->sij", np.exp(1j * ph), am), rtol=1e-10)
        pi, sh = phase_index.cpu().numpy(), shift.cpu().numpy()
        for k in range(pi.shape[0]):
            for sig in range(ph.shape[0]):
                rolled = np.roll(am[sig], -sh[k, sig], axis=-1)
                want = np.einsum("it,jt->ij", np.exp(1j * ph[pi[k, sig]]), rolled)
                np.testing.assert_allclose(surrogates[sig, k].cpu().numpy(), want, rtol=1e-10)

    # Voytek's circular-linear correlation across trials, from NumPy's corrcoef at each time point.
    (phase, amplitude), _ = sample_inputs("event_related_pac", device, False)[0]
    rho, p, _, _ = ops.event_related_pac(phase, amplitude)
    ph, am = phase.cpu().numpy(), amplitude.cpu().numpy()
    for s in range(ph.shape[0]):
        for t in (0, 350, N - 1):
            for i in range(ph.shape[2]):
                c, sn = np.cos(ph[s, :, i, t]), np.sin(ph[s, :, i, t])
                rcs = np.corrcoef(c, sn)[0, 1]
                for j in range(am.shape[2]):
                    rc, rs = np.corrcoef(am[s, :, j, t], c)[0, 1], np.corrcoef(am[s, :, j, t], sn)[0, 1]
                    want = np.sqrt((rc ** 2 + rs ** 2 - 2 * rc * rs * rcs) / (1 - rcs ** 2))
                    np.testing.assert_allclose(rho[s, i, j, t].item(), want, rtol=1e-10)
                    np.testing.assert_allclose(p[s, i, j, t].item(), scipy.stats.chi2.sf(5 * want ** 2, 2), rtol=1e-10)
