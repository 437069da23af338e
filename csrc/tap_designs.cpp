#include "csrc/tap_designs.h"

#include <ATen/ATen.h>

#include "csrc/device_copy.h"
#include "csrc/filter_design.h"
#include "csrc/lru_cache.h"
#include "csrc/op_args.h"

namespace gpac {

TapDesign design_taps(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, int64_t n_times, int64_t cycle,
                      c10::string_view kind, const at::Device& device) {
  const auto options = at::TensorOptions().dtype(at::kDouble);
  if (device.is_meta()) {
    const int64_t width = check_fir_bands(fs, low, high, n_times, cycle, kind);
    return {at::empty({static_cast<int64_t>(low.size()), width}, options.device(device)), {}};
  }
  // Arguments found in the cache were checked when they were designed.
  static LruCache<at::Tensor> designs(64, size_t{64} << 20);
  static LruCache<at::Tensor> device_copies(64, size_t{64} << 20);
  std::string key;
  const int64_t ints[] = {n_times, cycle, static_cast<int64_t>(low.size()), static_cast<int64_t>(high.size())};
  append_key(key, &fs, 1);
  append_key(key, ints, 4);
  append_key(key, low.data(), low.size());
  append_key(key, high.data(), high.size());
  auto design = designs.get(key);
  if (!design) {
    const int64_t width = check_fir_bands(fs, low, high, n_times, cycle, kind);
    auto out = at::zeros({static_cast<int64_t>(low.size()), width}, options);
    auto acc = out.accessor<double, 2>();
    for (size_t i = 0; i < low.size(); ++i) {
      const auto taps = bandpass_taps(fs, low[i], high[i], n_times, cycle);
      for (size_t k = 0; k < taps.size(); ++k) acc[i][k] = taps[k];
    }
    designs.put(key, out, out.nbytes());
    design = out;
  }
  if (device.is_cpu()) return {*design, std::move(key)};
  const std::string device_key = key + device.str();
  auto copy = device_copies.get(device_key);
  if (!copy) {
    copy = to_device(*design, device);
    device_copies.put(device_key, *copy, copy->nbytes());
  }
  return {*copy, std::move(key)};
}

}  // namespace gpac
