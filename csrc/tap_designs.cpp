#include "csrc/tap_designs.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "csrc/device_copy.h"
#include "csrc/error_text.h"
#include "csrc/filter_design.h"
#include "csrc/lru_cache.h"
#include "csrc/op_args.h"

namespace gpac {

namespace {

// The design under `key` on `device`: from the caches, else made by `design`
// (a checked CPU tensor) and kept.
template <typename Design>
TapDesign cached(std::string key, const at::Device& device, Design&& design) {
  // Designs are a few kB each: 8 MiB keeps dozens (memory_budget's constant counts them).
  static LruCache<at::Tensor> designs(64, size_t{8} << 20);
  static LruCache<at::Tensor> device_copies(64, size_t{8} << 20);
  auto found = designs.get(key);
  if (!found) {
    found = design();
    designs.put(key, *found, found->nbytes());
  }
  if (device.is_cpu()) return {*found, std::move(key)};
  const std::string device_key = key + device.str();
  auto copy = device_copies.get(device_key);
  if (!copy) {
    copy = to_device(*found, device);
    device_copies.put(device_key, *copy, copy->nbytes());
  }
  return {*copy, std::move(key)};
}

std::string band_key(const char* kind, double fs, double extra, at::ArrayRef<double> low, at::ArrayRef<double> high,
                     std::initializer_list<int64_t> ints) {
  std::string key(kind);
  append_key(key, &fs, 1);
  append_key(key, &extra, 1);
  const int64_t sizes[] = {static_cast<int64_t>(low.size()), static_cast<int64_t>(high.size())};
  append_key(key, sizes, 2);
  append_key(key, ints.begin(), ints.size());
  append_key(key, low.data(), low.size());
  append_key(key, high.data(), high.size());
  return key;
}

// Checks every band of a wavelet bank and returns its widest wavelet length
// (as check_fir_bands does for FIR banks).
int64_t check_wavelet_bands(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, double width,
                            c10::string_view kind) {
  GPAC_CHECK_VALUE(!low.empty() && low.size() == high.size(), "a wavelet bank needs as many low (", low.size(),
                   ") as high (", high.size(), ") band edges, at least one");
  GPAC_CHECK_VALUE(std::isfinite(width) && width > 0, "the Morlet width must be a positive number of cycles, got ",
                   width);
  int64_t widest = 0;
  for (size_t i = 0; i < low.size(); ++i) {
    const std::string err = band_edges_error(fs, low[i], high[i], std::string(kind) + " " + std::to_string(i));
    GPAC_CHECK_VALUE(err.empty(), err);
    const double f = (low[i] + high[i]) / 2;
    const int64_t len = morlet_length(fs, f, width);
    GPAC_CHECK_VALUE(len >= 1 && len <= kMaxWaveletLength, "the Morlet wavelet of ", kind, " ", i, " (", f,
                     " Hz, width ", width, ", fs ", fs, " Hz) would have ", len, " samples; it must have 1 to ",
                     kMaxWaveletLength, ": raise its frequency or lower the width");
    widest = std::max(widest, len);
  }
  return widest;
}

}  // namespace

TapDesign design_taps(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, int64_t n_times, int64_t cycle,
                      c10::string_view kind, const at::Device& device) {
  const auto options = at::TensorOptions().dtype(at::kDouble);
  if (device.is_meta()) {
    const int64_t width = check_fir_bands(fs, low, high, n_times, cycle, kind);
    return {at::empty({static_cast<int64_t>(low.size()), width}, options.device(device)), {}};
  }
  // Arguments found in the cache were checked when they were designed.
  return cached(band_key("fir", fs, 0.0, low, high, {n_times, cycle}), device, [&] {
    const int64_t width = check_fir_bands(fs, low, high, n_times, cycle, kind);
    auto out = at::zeros({static_cast<int64_t>(low.size()), width}, options);
    auto acc = out.accessor<double, 2>();
    for (size_t i = 0; i < low.size(); ++i) {
      const auto taps = bandpass_taps(fs, low[i], high[i], n_times, cycle);
      for (size_t k = 0; k < taps.size(); ++k) acc[i][k] = taps[k];
    }
    return out;
  });
}

TapDesign design_wavelets(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, double width,
                          c10::string_view kind, const at::Device& device) {
  const auto options = at::TensorOptions().dtype(at::kComplexDouble);
  if (device.is_meta()) {
    const int64_t L = check_wavelet_bands(fs, low, high, width, kind);
    return {at::empty({static_cast<int64_t>(low.size()), L}, options.device(device)), {}};
  }
  return cached(band_key("morlet", fs, width, low, high, {}), device, [&] {
    const int64_t L = check_wavelet_bands(fs, low, high, width, kind);
    auto out = at::zeros({static_cast<int64_t>(low.size()), L}, options);
    auto acc = out.accessor<c10::complex<double>, 2>();
    for (size_t i = 0; i < low.size(); ++i) {
      const auto m = morlet_wavelet(fs, (low[i] + high[i]) / 2, width);
      // TensorPAC keeps samples [(M - 1) // 2, ...) of the full convolution
      // with its M-sample wavelet; placed (L - 1) // 2 - (M - 1) // 2 into a
      // row of L, the bank's one cut gives the same samples.
      const int64_t M = static_cast<int64_t>(m.size());
      const int64_t at = (L - 1) / 2 - (M - 1) / 2;
      for (int64_t k = 0; k < M; ++k) acc[i][at + k] = c10::complex<double>(m[k].real(), m[k].imag());
    }
    return out;
  });
}

}  // namespace gpac
