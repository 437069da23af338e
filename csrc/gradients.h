// Backward passes of the gpac ops, composed of ATen ops (every device) and
// the device's forward primitives for recomputation. What is differentiated:
//  - filter, filter_hilbert, hilbert, modulation_index: with respect to the
//    signals x. The filter taps are design constants (no gradient).
//  - the phase: phase binning is piecewise constant, so the MI has zero
//    gradient with respect to the phase almost everywhere; only the amplitude
//    path carries gradient from the MI back to x.
//  - mi_scatter: with respect to the amplitude, through mi and amp_sums
//    (counts and surrogates are not differentiable).
// Where the gradient does not exist (an analytic signal of zero magnitude, a
// phase bin whose mean amplitude is exactly zero), it is taken as 0.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>

#include "csrc/device_kernels.h"

namespace gpac {

// x (..., n), taps (B, L), grad of filter's output (..., B, n) -> grad x (..., n).
at::Tensor filter_backward_op(const at::Tensor& grad, const at::Tensor& x, const at::Tensor& taps);

// Grads of hilbert's phase and/or amplitude (..., n) -> grad x (..., n).
at::Tensor hilbert_backward_op(const std::optional<at::Tensor>& grad_phase,
                               const std::optional<at::Tensor>& grad_amplitude, const at::Tensor& x);

// Grads of filter_hilbert's phase (..., P, n) and/or amplitude (..., A, n) -> grad x.
at::Tensor filter_hilbert_backward_op(const std::optional<at::Tensor>& grad_phase,
                                      const std::optional<at::Tensor>& grad_amplitude, const at::Tensor& x,
                                      const at::Tensor& pha_taps, const at::Tensor& amp_taps);

// Grads of mi_scatter's mi (..., P, A) and/or amp_sums (..., P, A, n_bins),
// given its inputs and the amp_sums and counts it returned -> grad amplitude.
at::Tensor mi_scatter_backward_op(const std::optional<at::Tensor>& grad_mi,
                                  const std::optional<at::Tensor>& grad_amp_sums, const at::Tensor& phase,
                                  const at::Tensor& amplitude, const at::Tensor& amp_sums, const at::Tensor& counts,
                                  int64_t n_bins);

// Grads of modulation_index's mi and/or amp_sums -> grad x: the phases and
// amplitudes are recomputed, then mi_scatter's and filter_hilbert's backward.
at::Tensor modulation_index_backward_op(const std::optional<at::Tensor>& grad_mi,
                                        const std::optional<at::Tensor>& grad_amp_sums, const at::Tensor& x,
                                        const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                        const at::Tensor& amp_sums, const at::Tensor& counts, int64_t n_bins,
                                        const DeviceKernels& k);

}  // namespace gpac
