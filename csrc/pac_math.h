// Phase wrapping, phase binning and Tort's MI, shared by the kernels of every device
// (host/device inline functions, no LibTorch dependency).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#if defined(__CUDACC__)
#define GPAC_HOST_DEVICE __host__ __device__
#else
#define GPAC_HOST_DEVICE
#endif

namespace gpac {

constexpr double kPi = 3.141592653589793238462643383279502884;

// TensorPAC's wrap, (phase + pi) mod 2 pi - pi, in the phase's own precision:
// angle() gives (-pi, pi]; the wrap maps +pi to -pi so phases lie in [-pi, pi).
template <typename T>
GPAC_HOST_DEVICE inline T wrap_phase(T phase) {
  const T pi = static_cast<T>(kPi);
  const T two_pi = static_cast<T>(2 * kPi);
  T r = std::fmod(phase + pi, two_pi);
  if (r < 0) r += two_pi;
  return r - pi;
}

// |z| without hypot's per-call cost: float in double (no overflow possible),
// double directly, with hypot where x^2 + y^2 could over- or underflow. On
// the device the products and the sum are rounded one by one, as on the host
// (no fused multiply-add), so both give the same bits.
GPAC_HOST_DEVICE inline float magnitude(float x, float y) {
  const double dx = x, dy = y;
#if defined(__CUDA_ARCH__)
  return static_cast<float>(sqrt(__dadd_rn(__dmul_rn(dx, dx), __dmul_rn(dy, dy))));
#else
  return static_cast<float>(std::sqrt(dx * dx + dy * dy));
#endif
}
GPAC_HOST_DEVICE inline double magnitude(double x, double y) {
#if defined(__CUDA_ARCH__)
  const double r = sqrt(__dadd_rn(__dmul_rn(x, x), __dmul_rn(y, y)));
  return (r < 1e150 && r > 1e-150) ? r : hypot(x, y);
#else
  const double r = std::sqrt(x * x + y * y);
  return (r < 1e150 && r > 1e-150) ? r : std::hypot(x, y);
#endif
}

// Bin edges linspace(-pi - eps, pi + eps, n_bins + 1), eps = 2 * machine epsilon
// of the phase dtype (T), held in float64. A phase p falls in bin j when
// edge(j) <= p < edge(j + 1), as numpy.digitize decides.
template <typename T>
struct PhaseBins {
  double start, step;
  int64_t n_bins;

  GPAC_HOST_DEVICE explicit PhaseBins(int64_t n) : n_bins(n) {
    const double eps = 2.0 * static_cast<double>(std::numeric_limits<T>::epsilon());
    start = -kPi - eps;
    step = ((kPi + eps) - start) / static_cast<double>(n);
  }

  GPAC_HOST_DEVICE double edge(int64_t j) const {
    // numpy.linspace: j * step + start, rounded after the product and after the
    // sum, with the last edge exactly the stop. nvcc would fuse the two into
    // one FMA (a different rounding, so other bins at the edges): not on the device.
    if (j == n_bins) return kPi + 2.0 * static_cast<double>(std::numeric_limits<T>::epsilon());
#if defined(__CUDA_ARCH__)
    return __dadd_rn(__dmul_rn(static_cast<double>(j), step), start);
#else
    return static_cast<double>(j) * step + start;
#endif
  }

  // The bin of a phase; phases outside [-pi, pi) are wrapped first, as
  // TensorPAC wraps its input phases.
  GPAC_HOST_DEVICE int64_t operator()(T phase) const {
    if (!(phase >= -static_cast<T>(kPi) && phase < static_cast<T>(kPi))) phase = wrap_phase(phase);
    const double p = static_cast<double>(phase);
    int64_t j = static_cast<int64_t>(std::floor((p - start) / step));
    j = j < 0 ? 0 : (j >= n_bins ? n_bins - 1 : j);
    // The division can land one bin off near an edge; the edges decide.
    while (j > 0 && p < edge(j)) --j;
    while (j < n_bins - 1 && p >= edge(j + 1)) ++j;
    return j;
  }
};

// Tort's MI from per-bin amplitude sums and sample counts: P_j = mean_j / sum_k
// mean_k, MI = 1 + sum_j P_j log(P_j) / log(n_bins) with 0 log 0 = 0 (empty
// bins add nothing; the divisor stays log(n_bins)). All-zero amplitude has no
// coupling: MI = 0 rather than 0 / 0.
template <typename Sum, typename Count>
GPAC_HOST_DEVICE inline double tort_mi(const Sum* sums, const Count* counts, int64_t n_bins) {
  double total = 0.0;
  for (int64_t k = 0; k < n_bins; ++k)
    if (counts[k] > 0) total += static_cast<double>(sums[k]) / static_cast<double>(counts[k]);
  if (!(total > 0.0)) return 0.0;
  double h = 0.0;
  for (int64_t k = 0; k < n_bins; ++k) {
    if (counts[k] <= 0) continue;
    const double p = static_cast<double>(sums[k]) / static_cast<double>(counts[k]) / total;
    if (p > 0.0) h += p * std::log(p);
  }
  return 1.0 + h / std::log(static_cast<double>(n_bins));
}

// The heights ratio (Lakatos 2005, TensorPAC's idpac 3): (max - min) / max of
// the mean amplitude over the bins that hold samples (TensorPAC's _kl_hr keeps
// only the bins present). All-zero amplitude: 0, as tort_mi.
template <typename Sum, typename Count>
GPAC_HOST_DEVICE inline double heights_ratio(const Sum* sums, const Count* counts, int64_t n_bins) {
  double lo = 0.0, hi = 0.0;
  bool any = false;
  for (int64_t k = 0; k < n_bins; ++k) {
    if (counts[k] <= 0) continue;
    const double m = static_cast<double>(sums[k]) / static_cast<double>(counts[k]);
    lo = any ? (m < lo ? m : lo) : m;
    hi = any ? (m > hi ? m : hi) : m;
    any = true;
  }
  return hi > 0.0 ? (hi - lo) / hi : 0.0;
}

// What the histogram primitives reduce each histogram to.
enum class BinnedMeasure : int { kMI = 0, kHR = 1 };

template <typename Sum, typename Count>
GPAC_HOST_DEVICE inline double binned_measure(BinnedMeasure m, const Sum* sums, const Count* counts, int64_t n_bins) {
  return m == BinnedMeasure::kHR ? heights_ratio(sums, counts, n_bins) : tort_mi(sums, counts, n_bins);
}

}  // namespace gpac
