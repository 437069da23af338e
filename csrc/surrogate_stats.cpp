#include "csrc/surrogate_stats.h"

#include <ATen/ATen.h>

#include "csrc/error_text.h"

namespace gpac {

std::tuple<at::Tensor, at::Tensor> surrogate_stats(const at::Tensor& mi, const at::Tensor& surrogates, int64_t norm) {
  GPAC_CHECK_VALUE(norm >= 0 && norm <= 4,
                   "norm must be 0 (none), 1 (subtract), 2 (divide), 3 (subtract then "
                   "divide) or 4 (z-score), got ",
                   norm);
  GPAC_CHECK_VALUE(surrogates.dim() == mi.dim() + 1,
                   "surrogates must have shape (..., n_perm, n_pha, n_amp) for mi "
                   "(..., n_pha, n_amp), got ",
                   surrogates.sizes(), " and ", mi.sizes());
  GPAC_CHECK_VALUE(surrogates.size(-3) >= 1, "surrogate statistics need at least one surrogate");
  const auto mean = surrogates.mean(-3);
  const auto zero = at::zeros_like(mi);
  at::Tensor z = mi;
  if (norm == 1) z = mi - mean;
  if (norm == 2) z = at::where(mean != 0, mi / mean, zero);
  if (norm == 3) z = at::where(mean != 0, (mi - mean) / mean, zero);
  if (norm == 4) {
    const auto std = surrogates.std(-3, /*correction=*/0);
    z = at::where(std != 0, (mi - mean) / std, zero);
  }
  const auto exceed = surrogates.ge(mi.unsqueeze(-3)).sum(-3);
  const auto p = ((exceed + 1).to(mi.scalar_type()) / static_cast<double>(surrogates.size(-3) + 1));
  return {z, p};
}

}  // namespace gpac
