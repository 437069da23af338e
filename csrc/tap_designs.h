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
  // (n_bands, max taps) float64 FIR taps, or complex128 wavelets, on the device
  // asked for: shared, never to be written.
  at::Tensor taps;
  std::string key;  // the design parameters as bytes (csrc/spectral.h caches band responses under it)
};

// The bands [low[i], high[i]] of `kind` ("phase band": named so in messages)
// for signals of n_times samples, checked when first designed. A meta device
// gives the shape only.
TapDesign design_taps(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, int64_t n_times, int64_t cycle,
                      c10::string_view kind, const at::Device& device);

// TensorPAC's Morlet wavelets (csrc/filter_design.h morlet_wavelet) at the
// centres (low[i] + high[i]) / 2 of the bands, as complex taps: one complex128
// row of the bank's widest length L per band, each wavelet placed so that
// numpy.convolve(x, row)[(L - 1) // 2 :][: n_times] is TensorPAC's morlet(x)
// for that band (csrc/spectral.h applies complex taps so). Cached as
// design_taps; the bands are checked (0 < low < high < fs / 2) and width > 0.
TapDesign design_wavelets(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, double width,
                          c10::string_view kind, const at::Device& device);

// The longest wavelet design_wavelets makes, in samples.
constexpr int64_t kMaxWaveletLength = int64_t{1} << 24;

}  // namespace gpac
