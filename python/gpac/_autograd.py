"""Autograd for the gpac ops (torch.library.register_autograd), with backward
passes that are ops themselves (``gpac::*_backward``), so that torch.compile
traces them.

What has a gradient (csrc/gradients.h): the signals x through filter, hilbert,
filter_hilbert and modulation_index, and the amplitude through mi_scatter (its
mi and amp_sums). The filter taps are design constants. The phase bins are
piecewise constant in the phase, so the MI's gradient with respect to the
phase is zero almost everywhere and is not propagated: the gradient of the MI
reaches x through the amplitudes only. Counts and surrogates have no gradient.
"""
import torch


def _save_inputs(ctx, inputs, output):
    ctx.save_for_backward(*(t for t in inputs if isinstance(t, torch.Tensor)))


def _filter_backward(ctx, grad):
    x, taps = ctx.saved_tensors
    return torch.ops.gpac.filter_backward(grad, x, taps), None


def _hilbert_backward(ctx, grad_phase, grad_amplitude):
    (x,) = ctx.saved_tensors
    return torch.ops.gpac.hilbert_backward(grad_phase, grad_amplitude, x)


def _filter_hilbert_backward(ctx, grad_phase, grad_amplitude):
    x, pha_taps, amp_taps = ctx.saved_tensors
    return torch.ops.gpac.filter_hilbert_backward(grad_phase, grad_amplitude, x, pha_taps, amp_taps), None, None


def _mi_scatter_setup(ctx, inputs, output):
    phase, amplitude, n_bins = inputs[:3]
    _, amp_sums, counts, surrogates = output
    ctx.n_bins = n_bins
    ctx.mark_non_differentiable(counts, surrogates)
    ctx.save_for_backward(phase, amplitude, amp_sums, counts)


def _mi_scatter_backward(ctx, grad_mi, grad_amp_sums, grad_counts, grad_surrogates):
    phase, amplitude, amp_sums, counts = ctx.saved_tensors
    grad = torch.ops.gpac.mi_scatter_backward(grad_mi, grad_amp_sums, phase, amplitude, amp_sums, counts, ctx.n_bins)
    return None, grad, None, None, None


def _modulation_index_setup(ctx, inputs, output):
    x, pha_taps, amp_taps, n_bins = inputs[:4]
    _, amp_sums, counts, surrogates = output
    ctx.n_bins = n_bins
    ctx.mark_non_differentiable(counts, surrogates)
    ctx.save_for_backward(x, pha_taps, amp_taps, amp_sums, counts)


def _modulation_index_backward(ctx, grad_mi, grad_amp_sums, grad_counts, grad_surrogates):
    x, pha_taps, amp_taps, amp_sums, counts = ctx.saved_tensors
    grad = torch.ops.gpac.modulation_index_backward(grad_mi, grad_amp_sums, x, pha_taps, amp_taps, amp_sums, counts,
                                                    ctx.n_bins)
    return grad, None, None, None, None, None, None


def register() -> None:
    torch.library.register_autograd("gpac::filter", _filter_backward, setup_context=_save_inputs)
    torch.library.register_autograd("gpac::hilbert", _hilbert_backward, setup_context=_save_inputs)
    torch.library.register_autograd("gpac::filter_hilbert", _filter_hilbert_backward, setup_context=_save_inputs)
    torch.library.register_autograd("gpac::mi_scatter", _mi_scatter_backward, setup_context=_mi_scatter_setup)
    torch.library.register_autograd("gpac::modulation_index", _modulation_index_backward,
                                    setup_context=_modulation_index_setup)
