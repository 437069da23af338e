// Filter banks as gpac::fir_taps designs them (csrc/filter_design.h for each
// band, one zero-padded float64 row per band), cached: calls repeat the same
// bands for the same signal length, and a CUDA call must not wait for a
// design's host-to-device copy. Designs are kept on the CPU and, per device,
// as one device copy made without a host synchronisation
// (csrc/device_copy.h); both caches are bounded in entries and bytes.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/string_view.h>

#include <cstdint>
#include <string>

namespace gpac {

struct TapDesign {
  at::Tensor taps;  // (n_bands, max taps) float64 on the device asked for: shared, never to be written
  std::string key;  // the design parameters as bytes (csrc/spectral.h caches band responses under it)
};

// The bands [low[i], high[i]] of `kind` ("phase band": named so in messages)
// for signals of n_times samples, checked when first designed. A meta device
// gives the shape only.
TapDesign design_taps(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, int64_t n_times, int64_t cycle,
                      c10::string_view kind, const at::Device& device);

}  // namespace gpac
