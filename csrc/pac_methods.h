// TensorPAC's PAC measures beside the Modulation Index
// (tensorpac/methods/meth_pac.py), computed from one reduction, the complex
// phase-amplitude sums: sum_t c[j, t] e^(i phase[i, t]) for every phase band i
// and amplitude band j, where c is the amplitude (MVL), the amplitude
// z-scored over time (ndPAC) or e^(-i phase of the amplitude envelope) (PS);
// GC takes the same sums of the copula-normalised cos and sin of the phase
// with the copula-normalised amplitude.
// Surrogates are the same sums with the plan's index arithmetic
// (csrc/device_kernels.h): no shifted copies of the signals.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <tuple>

#include "csrc/device_kernels.h"
#include "csrc/op_impl.h"

namespace gpac {

// The methods gpac.pac computes; "mi" is the binned pipeline (csrc/op_impl.h),
// the others go through sum_method_rows.
bool is_sum_method(const std::string& method);

// Checks method (one of mi, mvl, ndpac, ps, gc) and ndpac_p (None or in (0, 1]).
void check_method(const std::string& method, std::optional<double> ndpac_p);

// phase (..., P, n) real, amplitude (..., A, n) real or complex ->
// sums (..., P, A) complex, sum_t amplitude[j, t] e^(i phase[i, t]), and the
// surrogates' sums (..., K, P, A): surrogate k of signal s pairs the phase of
// signal phase_index[k, s] with the amplitude of s read circularly from sample
// shift[k, s] on. Composed of ATen ops (every device, differentiable).
std::tuple<at::Tensor, at::Tensor> phase_amp_sums(const at::Tensor& phase, const at::Tensor& amplitude,
                                                  const std::optional<at::Tensor>& phase_index,
                                                  const std::optional<at::Tensor>& shift);

// The n values every copula-normalised row of n samples is a permutation of,
// ascending: ndtri((rank + 1) / (n + 1)).
at::Tensor copnorm_values(int64_t n, const at::TensorOptions& options);

// TensorPAC's copnorm (tensorpac/gcmi.py) along the last dim:
// ndtri((rank + 1) / (n + 1)), ranks from a stable sort; `values` is
// copnorm_values(x.size(-1), x.options()), computed once by the caller.
at::Tensor copnorm(const at::Tensor& x, const at::Tensor& values);
// copnorm in place, on contiguous x.
at::Tensor& copnorm_(at::Tensor& x, const at::Tensor& values);

// sum_t a[..., t] b[..., t] (...): one dot product a row, without the
// product tensor (a and b as large as the band signals).
at::Tensor row_dots(const at::Tensor& a, const at::Tensor& b);

// Gaussian-copula MI in bits (nd_mi_gg without demeaning or bias correction)
// between copula-normalised (u, v) and a, from their sums of products over the
// samples: cross = sum u a + i sum v a; uu, vv, uv, aa broadcastable to it.
at::Tensor gaussian_copula_mi(const at::Tensor& cross, const at::Tensor& uu, const at::Tensor& vv, const at::Tensor& uv,
                              const at::Tensor& aa);

struct SumMethodOptions {
  std::string method;             // mvl, ndpac, ps or gc
  std::optional<double> ndpac_p;  // ndPAC's threshold; None or 1: none
  int64_t memory_budget = 0;      // bytes; 0: the default
  int64_t trial_group = 1;        // signals a surrogate may borrow phases among (swap_trials: n_trials)
  TimeWindows window;             // time-resolved: the measure of each window (csrc/op_impl.h)
  // The device's primitives for rows that need no gradient: the phase bands
  // then come as the cos and sin of their phase (no angle taken), in the
  // rows' precision, on the CPU; null: through gpac::filter_hilbert.
  const DeviceKernels* kernels = nullptr;
};

// The method's measure (S, P, A) and its surrogates (S, K, P, A) for signal
// rows (S, n) (with o.window, (S * n_windows, ...) for the window rows, from
// a signal-level plan as windowed_histograms takes it): chunks of whole signals (whole trial groups) within the
// budget, each filtered once by gpac::filter_hilbert, then the sums. The ops
// are called through the dispatcher, so that the same code records gradients
// when the rows need one.
std::tuple<at::Tensor, at::Tensor> sum_method_rows(const at::Tensor& rows, const at::Tensor& pha_taps,
                                                   const at::Tensor& amp_taps, const Surrogates& plan,
                                                   const SumMethodOptions& o);

}  // namespace gpac
