// Event-related PAC (TensorPAC's EventRelatedPac, tensorpac/methods/
// meth_erpac.py): the coupling between the phase and the amplitude across
// trials at each time point, instead of across time.
//   "circular": Voytek 2013's circular-linear correlation of the amplitude
//     with (cos, sin) of the phase, rho = sqrt((r_xc^2 + r_xs^2 - 2 r_xc r_xs
//     r_cs) / (1 - r_cs^2)) from the Pearson correlations across trials, and
//     its chi-square (2 dof) p-value exp(-n_trials rho^2 / 2), which is
//     TensorPAC's 1 - chi2.cdf(n_trials rho^2, 2) without its cancellation.
//   "gc": the Gaussian-copula MI in bits (csrc/pac_methods.h) of the phase's
//     (cos, sin) and the amplitude, each copula-normalised across trials;
//     with smooth = h > 0, TensorPAC's smoothing: the MI of the samples
//     pooled over the window [k - h, k + h] for every k in [h, n - h), then at
//     each time point the mean of the windows that cover it.
// Surrogates pair the phase of each trial order's permutation with the
// amplitude (TensorPAC's swap_erpac_trials); only what the p-values need is
// kept: how many surrogates reach each cell's value, and each surrogate's
// maximum over the cells (TensorPAC's maxstat), so that memory does not grow
// with n_perm x n_times.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/string_view.h>

#include <optional>
#include <tuple>

namespace gpac {

// phase (..., T, P, n) real, amplitude (..., T, A, n) real, T trials, n time
// points (gpac::filter_hilbert of signals (..., T, n)); trial_order (K, T)
// int64, one permutation of the trials per row, or None.
// Returns erpac (..., P, A, n) in the amplitude's dtype; p (..., P, A, n), the
// circular method's chi-square p-value, empty (0,) for "gc"; exceed
// (..., P, A, n) int64, the number of surrogates >= erpac; surrogate_max
// (..., K), each surrogate's maximum over (P, A, n). Composed of ATen ops
// (every device, traceable).
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> event_related_pac(
    const at::Tensor& phase, const at::Tensor& amplitude, c10::string_view method, int64_t smooth,
    const std::optional<at::Tensor>& trial_order);

}  // namespace gpac
