// The statistics of the MI against its surrogates (gpac::surrogate_stats).
#pragma once

#include <ATen/core/Tensor.h>

#include <tuple>

namespace gpac {

// z: the MI normalised by its surrogates (..., n_perm, P, A) as TensorPAC's
// idpac[2] (1 subtract the mean, 2 divide by it, 3 both, 4 z-score with the
// population deviation, 0 none; 0 where the mean or deviation is 0), and p:
// (1 + #{surrogate >= mi}) / (1 + n_perm), per cell.
std::tuple<at::Tensor, at::Tensor> surrogate_stats(const at::Tensor& mi, const at::Tensor& surrogates, int64_t norm);

}  // namespace gpac
