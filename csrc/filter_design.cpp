#include "filter_design.h"

#include "pac_math.h"

#include <cmath>
#include <limits>
#include <cstdio>

namespace gpac {
namespace {

// Python's (and NumPy's) float floor division, which is not floor(a / b):
// 1.0 // 0.1 == 9.0 while floor(1.0 / 0.1) == 10.0. TensorPAC computes
// fs // low on floats, so the filter order depends on this rule.
double python_floordiv(double a, double b) {
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) div -= 1.0;
  }
  if (div == 0.0) return std::copysign(0.0, a / b);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

// numpy.sinc: sin(pi x) / (pi x), with x == 0 replaced by 1e-20.
double np_sinc(double x) {
  const double y = kPi * (x == 0.0 ? 1.0e-20 : x);
  return std::sin(y) / y;
}

// TensorPAC's firls (unit weights) for band edges f (already halved, in
// cycles per sample) and desired magnitudes o at those edges; n_taps taps.
std::vector<double> firls(int64_t n_taps, const double f[6], const double o[6]) {
  const double l = (n_taps - 1) / 2.0;
  const bool odd = n_taps % 2 == 1;
  // Odd case: k = 1..l plus a separate b0; even case: k = 0.5 .. l.
  const int64_t n_k = odd ? static_cast<int64_t>(l) : static_cast<int64_t>(l) + 1;
  std::vector<double> b(n_k, 0.0);
  double b0 = 0.0;
  for (int s = 0; s < 6; s += 2) {
    const double m = (o[s + 1] - o[s]) / (f[s + 1] - f[s]);
    const double b1 = o[s] - m * f[s];
    if (odd) b0 += b1 * (f[s + 1] - f[s]) + m / 2 * (f[s + 1] * f[s + 1] - f[s] * f[s]);
    for (int64_t i = 0; i < n_k; ++i) {
      const double k = odd ? static_cast<double>(i + 1) : i + 0.5;
      b[i] += m / (4 * kPi * kPi) * (std::cos(2 * kPi * k * f[s + 1]) - std::cos(2 * kPi * k * f[s])) / (k * k);
      b[i] +=
          f[s + 1] * (m * f[s + 1] + b1) * np_sinc(2 * k * f[s + 1]) - f[s] * (m * f[s] + b1) * np_sinc(2 * k * f[s]);
    }
  }
  std::vector<double> h(n_taps);
  if (odd) {
    // a = 4 b with a[0] halved; h = [flip(a[1:]) / 2, a[0], a[1:] / 2].
    const int64_t c = n_k;  // index of the centre tap
    h[c] = 4 * b0 / 2;
    for (int64_t i = 0; i < n_k; ++i) {
      h[c + 1 + i] = 4 * b[i] / 2;
      h[c - 1 - i] = 4 * b[i] / 2;
    }
  } else {
    // h = 0.5 [flip(a), a] with a = 4 b.
    for (int64_t i = 0; i < n_k; ++i) {
      h[n_k + i] = 0.5 * (4 * b[i]);
      h[n_k - 1 - i] = 0.5 * (4 * b[i]);
    }
  }
  return h;
}

}  // namespace

int64_t fir_order(double fs, int64_t n_times, double low, int64_t cycle) {
  const double order = static_cast<double>(cycle) * python_floordiv(fs, low);
  if (static_cast<double>(n_times) < 3 * order) return (n_times - 1) / 3;
  return static_cast<int64_t>(order);
}

std::vector<double> fir1(int64_t order, double low, double high, double fs) {
  const double wn0 = low / (fs / 2.0);
  const double wn1 = high / (fs / 2.0);
  const double f0 = (wn0 + wn1) / 2;  // band centre, as a fraction of Nyquist
  // firls works on the edges halved: cycles per sample.
  const double f[6] = {0.0 / 2, wn0 / 2, wn0 / 2, wn1 / 2, wn1 / 2, 1.0 / 2};
  const double o[6] = {0, 0, 1, 1, 0, 0};
  const int64_t n_taps = order + 1;
  std::vector<double> b = firls(n_taps, f, o);

  // numpy.hamming(n_taps), in its symmetric cosine form.
  if (n_taps > 1) {
    for (int64_t i = 0; i < n_taps; ++i) {
      const double n = static_cast<double>(1 - n_taps + 2 * i);
      b[i] *= 0.54 + 0.46 * std::cos(kPi * n / static_cast<double>(n_taps - 1));
    }
  }
  // Unit gain at the band centre: b /= |sum_i b_i exp(-2j pi (f0 / 2) i)|.
  double re = 0.0, im = 0.0;
  for (int64_t i = 0; i < n_taps; ++i) {
    const double theta = 2 * kPi * (f0 / 2) * static_cast<double>(i);
    re += b[i] * std::cos(theta);
    im -= b[i] * std::sin(theta);
  }
  const double gain = std::hypot(re, im);
  for (double& v : b) v /= gain;
  return b;
}

std::vector<double> bandpass_taps(double fs, double low, double high, int64_t n_times, int64_t cycle) {
  return fir1(fir_order(fs, n_times, low, cycle), low, high, fs);
}

namespace {

// Formatted with snprintf rather than iostreams (see csrc/op_args.cpp).
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return std::string(buf);
}

// NumPy's float arange length, ceil((stop - start) / step).
int64_t np_arange_length(double start, double stop, double step) {
  const double len = std::ceil((stop - start) / step);
  return len > 0 ? static_cast<int64_t>(len) : 0;
}

// NumPy's float arange: np_arange_length values, the second start + step and
// the others start + i * (second - start) (its fill rule).
std::vector<double> np_arange(double start, double stop, double step) {
  std::vector<double> t(static_cast<size_t>(np_arange_length(start, stop, step)));
  if (t.empty()) return t;
  t[0] = start;
  if (t.size() > 1) t[1] = start + step;
  const double delta = t.size() > 1 ? t[1] - start : step;
  for (size_t i = 2; i < t.size(); ++i) t[i] = start + static_cast<double>(i) * delta;
  return t;
}

// TensorPAC's morlet time grid: st = 1 / (2 pi (f / width)), samples of
// numpy.arange(-width st / 2, width st / 2, 1 / fs).
struct MorletGrid {
  double st, start, stop, dt;
};

MorletGrid morlet_grid(double fs, double f, double width) {
  const double st = 1 / (2 * kPi * (f / width));
  return {st, -width * st / 2, width * st / 2, 1 / fs};
}

}  // namespace

std::string band_edges_error(double fs, double low, double high, const std::string& what) {
  const std::string band = what + " [" + num(low) + ", " + num(high) + "] Hz";
  if (!(std::isfinite(fs) && fs > 0))
    return "the sampling frequency fs must be a positive finite number of Hz, got " + num(fs);
  if (!(std::isfinite(low) && std::isfinite(high))) return band + " has a non-finite edge";
  if (!(low > 0)) return band + " must have a low edge above 0 Hz (a band-pass needs low > 0)";
  if (!(low < high)) return band + " must have low < high";
  if (!(high < fs / 2))
    return band + " reaches the Nyquist frequency " + num(fs / 2) + " Hz (fs = " + num(fs) +
           " Hz); the high edge must be below it";
  return "";
}

std::string band_error(double fs, double low, double high, int64_t n_times, int64_t cycle, const std::string& what) {
  const std::string edges = band_edges_error(fs, low, high, what);
  if (!edges.empty()) return edges;
  const std::string band = what + " [" + num(low) + ", " + num(high) + "] Hz";
  if (cycle < 1) return "the filter cycle count for " + what + " must be >= 1, got " + std::to_string(cycle);
  if (static_cast<double>(n_times) * low < fs)
    return "signals of " + std::to_string(n_times) + " samples (" + num(n_times / fs) + " s) are too short for " +
           band + ": they must hold at least one period of its low edge, " +
           std::to_string(static_cast<int64_t>(std::ceil(fs / low))) + " samples";
  return "";
}

// Written as TensorPAC writes it, so that the samples round alike.
std::vector<std::complex<double>> morlet_wavelet(double fs, double f, double width) {
  const auto g = morlet_grid(fs, f, width);
  const double st = g.st;
  const auto t = np_arange(g.start, g.stop, g.dt);
  const double a = 1 / std::sqrt(st * std::sqrt(kPi));
  std::vector<std::complex<double>> m(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    const double envelope = a * std::exp(-(t[i] * t[i]) / (2 * (st * st)));
    const double angle = 2 * kPi * f * t[i];
    m[i] = {envelope * std::cos(angle), envelope * std::sin(angle)};
  }
  return m;
}

int64_t morlet_length(double fs, double f, double width) {
  const auto g = morlet_grid(fs, f, width);
  return np_arange_length(g.start, g.stop, g.dt);
}

int64_t next_fast_len(int64_t n) {
  if (n <= 6) return n < 1 ? 1 : n;
  int64_t best = std::numeric_limits<int64_t>::max();
  for (int64_t p5 = 1; p5 < best; p5 *= 5) {
    for (int64_t p35 = p5; p35 < best; p35 *= 3) {
      int64_t v = p35;
      while (v < n) v *= 2;
      if (v < best) best = v;
      if (p35 >= n) break;
    }
    if (p5 >= n) break;
  }
  return best;
}

}  // namespace gpac
