#include "csrc/bands.h"
#include "csrc/error_text.h"

#include <ATen/ATen.h>

#include <map>
#include <stdexcept>

namespace gpac {

std::vector<Band> linear_bands(double low, double high, int64_t n, const std::string& kind) {
  if (kind != "phase" && kind != "amplitude")
    throw std::invalid_argument("kind must be 'phase' or 'amplitude', got '" + kind + "'");
  if (!(low < high))
    throw std::invalid_argument(kind + " range_hz must be (low, high) with low < high, got (" + std::to_string(low) +
                                ", " + std::to_string(high) + ")");
  if (n < 1) throw std::invalid_argument(kind + " n_bands must be >= 1, got " + std::to_string(n));
  // A bound on what a caller can ask for (a JSON config may say 5e14): far
  // beyond any comodulogram, far below an allocation that fails.
  constexpr int64_t kMaxBands = 100000;
  if (n > kMaxBands)
    throw std::invalid_argument(kind + " n_bands must be <= " + std::to_string(kMaxBands) + ", got " +
                                std::to_string(n));
  const double divisor = kind == "phase" ? 4.0 : 8.0;
  std::vector<Band> bands(n);
  // numpy.linspace: j * step + start, the last centre exactly the stop.
  const double step = n > 1 ? (high - low) / static_cast<double>(n - 1) : 0.0;
  for (int64_t j = 0; j < n; ++j) {
    const double centre = (j == n - 1 && n > 1) ? high : static_cast<double>(j) * step + low;
    const double half = centre / divisor;
    bands[j] = {centre - half, centre + half};
  }
  return bands;
}

std::vector<Band> preset_bands(const std::string& name, const std::string& kind) {
  static const std::map<std::string, int64_t> sizes{
      {"lres", 10}, {"mres", 30}, {"hres", 50}, {"demon", 70}, {"hulk", 100}};
  const auto it = sizes.find(name);
  if (it == sizes.end())
    throw std::invalid_argument("unknown band preset '" + name +
                                "'; expected one of 'demon', 'hres', 'hulk', 'lres', 'mres'");
  return kind == "phase" ? linear_bands(2.0, 20.0, it->second, kind) : linear_bands(60.0, 160.0, it->second, kind);
}

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
