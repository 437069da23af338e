// The polar form and the phase bins of one analytic-signal row on the CPU,
// shared by the primitives (kernels/cpu/polar_bins_cpu.cpp) and the fused path
// (kernels/cpu/filter_hilbert_cpu.cpp).
#pragma once

#include <cmath>
#include <cstdint>

#include "csrc/pac_math.h"
#include "kernels/cpu/cpu_clones.h"

namespace gpac {

// TensorPAC's wrapped angle of x + i y, taken in In's precision, rounded to Out.
template <typename In, typename Out>
void phase_row(const In* x, const In* y, int64_t n, Out* out) {
  for (int64_t t = 0; t < n; ++t) out[t] = static_cast<Out>(wrap_phase(std::atan2(y[t], x[t])));
}

// cos and sin of the phase of x + i y, taken in In's precision: x / |z|,
// y / |z|, and 1, 0 where z = 0 (TensorPAC's angle(0) = 0).
template <typename In, typename Out>
GPAC_CPU_CLONES void phasor_row(const In* x, const In* y, int64_t n, Out* cos_out, Out* sin_out) {
  for (int64_t t = 0; t < n; ++t) {
    const In r = magnitude(x[t], y[t]);
    cos_out[t] = static_cast<Out>(r > 0 ? x[t] / r : In(1));
    sin_out[t] = static_cast<Out>(r > 0 ? y[t] / r : In(0));
  }
}
template <typename In, typename Out>
GPAC_CPU_CLONES void amplitude_row(const In* x, const In* y, int64_t n, Out* out) {
  for (int64_t t = 0; t < n; ++t) out[t] = static_cast<Out>(magnitude(x[t], y[t]));
}

// The bin of the wrapped angle of x + i y for every sample, exactly as
// PhaseBins<T> bins wrap_phase(std::atan2(y, x)) (kernels/cpu/polar_bins_cpu.cpp).
void bins_row(const double* x, const double* y, int64_t n, const PhaseBins<double>& to_bin, uint8_t* out);
void bins_row(const float* x, const float* y, int64_t n, const PhaseBins<float>& to_bin, uint8_t* out);

}  // namespace gpac
