#include "csrc/bands.h"

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

}  // namespace gpac
