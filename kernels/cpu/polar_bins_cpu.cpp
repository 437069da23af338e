// CPU: the polar form and the phase bins of analytic signals, threaded over rows.
//
// The bins are what the pipeline needs, and std::atan2 (~25 ns a call) was
// its largest cost after the FFTs. write_bins_cpu takes the angle from a
// branch-free single-precision polynomial (loops the compiler vectorises:
// eight samples a vector in the AVX2 clone, error < 2e-6 rad all told; very
// large or small magnitudes go to std::atan2) and decides the bin from it
// wherever the angle is more than kMarginRad from an edge; within that margin
// (~1e-4 of the samples at 18 bins) it recomputes the angle with std::atan2,
// so every bin is the one std::atan2 and PhaseBins give.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

#include "csrc/pac_math.h"
#include "csrc/device_kernels.h"
#include "kernels/cpu/cpu_clones.h"
#include "kernels/cpu/polar_rows.h"

namespace gpac {
namespace {

// Row r of an (A, B, n) view with unit stride along n; null for an undefined tensor.
template <typename T>
T* row_ptr(const at::Tensor& t, int64_t r) {
  if (!t.defined()) return nullptr;
  const int64_t B = t.size(1);
  return t.data_ptr<T>() + (r / B) * t.stride(0) + (r % B) * t.stride(1);
}

// atan2(y, x) in float to within 1e-6 rad for |x|, |y| up to kHugeF (the
// caller sends larger ones, and those whose larger part is under kTinyF, to
// std::atan2): with a = min / max in [0, 1], atan(a) = pi/4 + atan((a - 1) /
// (a + 1)) above tan(pi/8), so the series argument t has |t| <= tan(pi/8) and
// the series' 8 terms leave < 2e-8; Estrin's scheme keeps the dependency chain
// short. Single precision throughout (the inputs' rounding to float moves the
// angle by < 1.2e-7 rad): twice the samples a vector of double, and a float
// division costs a third of a double one. NaN when x = y = 0 (the caller falls back).
inline float approx_atan2(float y, float x) {
  constexpr float kPiF = 3.14159265f;
  constexpr float kTanPi8 = 0.414213562f;
  const float ax = std::fabs(x), ay = std::fabs(y);
  const float mn = std::min(ax, ay), mx = std::max(ax, ay);
  const bool upper = mn > kTanPi8 * mx;
  // Numerator and denominator chosen first: one division either way, and a
  // select vectorises where a branch does not.
  const float t = (upper ? mn - mx : mn) / (upper ? mn + mx : mx);
  // atan t = t sum_k (-1)^k z^k / (2k + 1), k = 0..7, z = t^2, with the
  // coefficients' reciprocals as constants: a division by a constant stays a
  // division (no -ffast-math), and four of them per sample cost more than the
  // rest of the loop.
  constexpr float c3 = 1.0f / 3, c5 = 1.0f / 5, c7 = 1.0f / 7, c9 = 1.0f / 9, c11 = 1.0f / 11, c13 = 1.0f / 13,
                  c15 = 1.0f / 15;
  const float z = t * t, z2 = z * z, z4 = z2 * z2;
  const float p = (1.0f - z * c3) + z2 * (c5 - z * c7) + z4 * ((c9 - z * c11) + z2 * (c13 - z * c15));
  float r = t * p + (upper ? kPiF / 4 : 0.0f);
  r = ay > ax ? kPiF / 2 - r : r;
  r = x < 0 ? kPiF - r : r;
  return std::copysign(r, y);
}

// The range approx_atan2 is sent: the larger part within it keeps the float
// sums, differences and ratio normal and finite.
constexpr float kTinyF = 1e-30f, kHugeF = 1e30f;

constexpr int kBlock = 64;  // samples per vectorised step

// Samples whose approximate angle lies within this of a bin edge get the exact
// angle: 10x the approximation's error (polynomial, float ratio and the float
// bin arithmetic below, < 2e-6 rad for up to 256 bins).
constexpr double kMarginRad = 2e-5;

template <typename T>
[[gnu::always_inline]] inline void bins_of_analytic(const T* x, const T* y, int64_t n, const PhaseBins<T>& to_bin,
                                                    uint8_t* out) {
  const float start = static_cast<float>(to_bin.start);
  const float inv_step = static_cast<float>(1.0 / to_bin.step);
  const float margin = static_cast<float>(kMarginRad / to_bin.step);  // in bins
  const int32_t last = static_cast<int32_t>(to_bin.n_bins - 1);
  int32_t bin[kBlock];
  int32_t exact[kBlock];
  for (int64_t t0 = 0; t0 < n; t0 += kBlock) {
    const int len = static_cast<int>(std::min<int64_t>(kBlock, n - t0));
    int n_exact = 0;
    for (int i = 0; i < len; ++i) {
      const float xf = static_cast<float>(x[t0 + i]), yf = static_cast<float>(y[t0 + i]);
      const float big = std::max(std::fabs(xf), std::fabs(yf));
      const float u = (approx_atan2(yf, xf) - start) * inv_step;
      // u >= 0 but for NaN (x = y = 0), which the clamp sends to -1; then u's
      // integer part by truncation, and no && (branches stop vectorisation).
      const float uc = std::min(std::max(-1.0f, u), static_cast<float>(last + 1));
      const int32_t j = static_cast<int32_t>(uc);
      const float frac = uc - static_cast<float>(j);
      const int32_t safe =
          (frac > margin) & (frac < 1.0f - margin) & (uc >= 0.0f) & (j <= last) & (big > kTinyF) & (big < kHugeF);
      bin[i] = safe ? j : 0;
      exact[i] = !safe;
      n_exact += !safe;
    }
    for (int i = 0; i < len; ++i) out[t0 + i] = static_cast<uint8_t>(bin[i]);
    if (n_exact == 0) continue;
    for (int i = 0; i < len; ++i)  // near an edge (or x = y = 0): the exact angle decides
      if (exact[i]) out[t0 + i] = static_cast<uint8_t>(to_bin(wrap_phase(std::atan2(y[t0 + i], x[t0 + i]))));
  }
}

}  // namespace

// The pipeline's case (float64 analytic signals), compiled for AVX2 too and
// chosen at load time where the CPU has it: twice the samples per instruction.
GPAC_CPU_CLONES void bins_row(const double* x, const double* y, int64_t n, const PhaseBins<double>& to_bin,
                              uint8_t* out) {
  bins_of_analytic(x, y, n, to_bin, out);
}

void bins_row(const float* x, const float* y, int64_t n, const PhaseBins<float>& to_bin, uint8_t* out) {
  bins_of_analytic(x, y, n, to_bin, out);
}

// The polar form is taken in re's precision and rounded to the outputs' dtype.
void write_polar_cpu(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase, const at::Tensor& amplitude) {
  const int64_t n = re.size(2);
  const auto out_type = (phase.defined() ? phase : amplitude).scalar_type();
  AT_DISPATCH_FLOATING_TYPES(re.scalar_type(), "gpac_write_polar", [&] {
    using in_t = scalar_t;
    AT_DISPATCH_FLOATING_TYPES(out_type, "gpac_write_polar_out", [&] {
      at::parallel_for(0, re.size(0) * re.size(1), 1, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const in_t* x = row_ptr<in_t>(re, r);
          const in_t* y = row_ptr<in_t>(im, r);
          if (scalar_t* ph = row_ptr<scalar_t>(phase, r)) phase_row(x, y, n, ph);
          if (scalar_t* am = row_ptr<scalar_t>(amplitude, r)) amplitude_row(x, y, n, am);
        }
      });
    });
  });
}

void write_bins_cpu(const at::Tensor& re, const at::Tensor& im, int64_t n_bins, const at::Tensor& bins) {
  const int64_t n = re.size(2);
  AT_DISPATCH_FLOATING_TYPES(re.scalar_type(), "gpac_write_bins", [&] {
    const PhaseBins<scalar_t> to_bin(n_bins);
    at::parallel_for(0, re.size(0) * re.size(1), 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const scalar_t* x = row_ptr<scalar_t>(re, r);
        uint8_t* out = row_ptr<uint8_t>(bins, r);
        if (im.defined()) {
          bins_row(x, row_ptr<scalar_t>(im, r), n, to_bin, out);
        } else {  // re holds phases
          for (int64_t t = 0; t < n; ++t) out[t] = static_cast<uint8_t>(to_bin(x[t]));
        }
      }
    });
  });
}

}  // namespace gpac
