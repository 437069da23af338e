#include "csrc/gradients.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "csrc/filter_design.h"
#include "csrc/op_args.h"
#include "csrc/pac_math.h"
#include "csrc/spectral.h"

namespace gpac {
namespace {

// The adjoint of scipy's odd extension: folds a gradient over the extended
// signal (..., n + 2p) back onto the signal (..., n). Left: xo[-m] = 2 x[0] -
// x[m]; right: xo[n - 1 + m] = 2 x[n - 1] - x[n - 1 - m], m = 1..p.
at::Tensor fold_odd_extension(const at::Tensor& g, int64_t n, int64_t p) {
  auto gx = g.narrow(-1, p, n).clone();
  if (p == 0) return gx;
  const auto left = g.narrow(-1, 0, p).flip(-1);  // index m - 1
  const auto right = g.narrow(-1, p + n, p);      // index m - 1
  gx.narrow(-1, 1, p).sub_(left);
  gx.narrow(-1, n - 1 - p, p).sub_(right.flip(-1));
  gx.select(-1, 0).add_(left.sum(-1), 2);
  gx.select(-1, n - 1).add_(right.sum(-1), 2);
  return gx;
}

// The adjoint of filter_rows: grad (S, B, n) of the band signals -> grad of
// the rows (S, n). The zero-phase filter |B|^2 is self-adjoint, so each band's
// gradient is filtered, the bands summed in the frequency domain (one inverse
// transform per signal), and the odd extension folded back.
at::Tensor filter_adjoint(const at::Tensor& grad, const at::Tensor& taps) {
  const int64_t S = grad.size(0), B = grad.size(1), n = grad.size(2), p = taps.size(1) - 1;
  const int64_t n_fft = next_fast_len(n + 2 * p);
  const auto resp = power_response(taps, n_fft, grad.scalar_type(), grad.device());
  const int64_t row_bytes = (n_fft / 2 + 1) * 2 * grad.element_size() * 2 + n_fft * grad.element_size();
  const int64_t bands_per_block = std::max<int64_t>(1, kDefaultBlockBytes / (row_bytes * std::max<int64_t>(1, S)));
  at::Tensor total;  // sum over bands of the filtered gradients' spectra, (S, n_fft / 2 + 1)
  for (int64_t b0 = 0; b0 < B; b0 += bands_per_block) {
    const int64_t bc = std::min(bands_per_block, B - b0);
    // The gradient of the retained samples sits at offset p of the extended grid.
    const auto placed = at::constant_pad_nd(grad.narrow(1, b0, bc), {p, n_fft - n - p});
    const auto part = (at::fft_rfft(placed, n_fft) * resp.narrow(0, b0, bc)).sum(1);
    total = total.defined() ? total + part : part;
  }
  return fold_odd_extension(at::fft_irfft(total, n_fft), n, p);
}

// Grads of phase = atan2(im, re) (wrapped: derivative 1) and amplitude =
// |re + i im| with respect to re and im.
std::tuple<at::Tensor, at::Tensor> polar_grads(const at::Tensor& re, const at::Tensor& im, const at::Tensor& grad_phase,
                                               const at::Tensor& grad_amplitude) {
  const auto a2 = re * re + im * im;
  const auto live = a2 > 0;  // no gradient where the complex signal vanishes
  auto g_re = at::zeros_like(re);
  auto g_im = at::zeros_like(re);
  if (grad_amplitude.defined()) {
    const auto w = at::where(live, grad_amplitude.to(re.scalar_type()) / a2.sqrt(), 0.0);
    g_re = g_re + w * re;
    g_im = g_im + w * im;
  }
  if (grad_phase.defined()) {
    const auto w = at::where(live, grad_phase.to(re.scalar_type()) / a2, 0.0);
    g_re = g_re - w * im;
    g_im = g_im + w * re;
  }
  return {g_re, g_im};
}

// Grad of the analytic signal's polar form with respect to its real part re
// (..., n): im = hilbert_imag(re), whose adjoint is -hilbert_imag.
at::Tensor polar_backward(const at::Tensor& re, const at::Tensor& grad_phase, const at::Tensor& grad_amplitude) {
  const auto [g_re, g_im] = polar_grads(re, hilbert_imag(re), grad_phase, grad_amplitude);
  return g_re - hilbert_imag(g_im);
}

// The adjoint of wavelet_rows: grads (S, B, n) of the real and imaginary
// parts -> grad of the rows (S, n). The forward pass is a circular
// convolution of the zero-padded rows on a grid long enough not to wrap,
// cut at c; its adjoint correlates the gradients, placed at c, with each
// part's filter (the conjugate response), summed over bands and parts.
at::Tensor wavelet_adjoint(const at::Tensor& g_re, const at::Tensor& g_im, const at::Tensor& wavelets) {
  const int64_t S = g_re.size(0), B = g_re.size(1), n = g_re.size(2), L = wavelets.size(1);
  const int64_t n_fft = next_fast_len(n + L - 1), cut = (L - 1) / 2;
  // conj_physical, not a lazy conj() view: under AOTAutograd's runtime the
  // view's conjugate bit was lost in the product (opcheck caught it).
  const auto resp = at::conj_physical(wavelet_response(wavelets, n_fft, g_re.scalar_type(), g_re.device()));
  const int64_t row_bytes = 2 * ((n_fft / 2 + 1) * 2 * g_re.element_size() * 2 + n_fft * g_re.element_size());
  const int64_t bands_per_block = std::max<int64_t>(1, kDefaultBlockBytes / (row_bytes * std::max<int64_t>(1, S)));
  at::Tensor total;  // (S, n_fft / 2 + 1)
  for (int64_t b0 = 0; b0 < B; b0 += bands_per_block) {
    const int64_t bc = std::min(bands_per_block, B - b0);
    const auto g = at::stack({g_re.narrow(1, b0, bc), g_im.narrow(1, b0, bc)}, 2);  // (S, bc, 2, n)
    const auto placed = at::constant_pad_nd(g, {cut, n_fft - n - cut});
    const auto part = (at::fft_rfft(placed, n_fft) * resp.narrow(0, b0, bc)).sum({1, 2});
    total = total.defined() ? total + part : part;
  }
  return at::fft_irfft(total, n_fft).narrow(-1, 0, n);
}

// The bin of every phase (as mi_scatter bins it: numpy.digitize on
// linspace(-pi - eps, pi + eps, n_bins + 1), out-of-range phases wrapped).
at::Tensor phase_bins(const at::Tensor& phase, int64_t n_bins) {
  std::vector<double> inner;
  at::Tensor wrapped;
  AT_DISPATCH_FLOATING_TYPES(phase.scalar_type(), "gpac_phase_bins", [&] {
    const PhaseBins<scalar_t> bins(n_bins);
    for (int64_t j = 1; j < n_bins; ++j) inner.push_back(bins.edge(j));
    const double pi = static_cast<scalar_t>(kPi), two_pi = static_cast<scalar_t>(2 * kPi);
    wrapped = at::where((phase >= -pi) & (phase < pi), phase, at::remainder(phase + pi, two_pi) - pi);
  });
  const auto edges = at::tensor(inner, phase.options().dtype(at::kDouble));
  return at::bucketize(wrapped.to(at::kDouble), edges, /*out_int32=*/false, /*right=*/true);
}

}  // namespace

at::Tensor filter_backward_op(const at::Tensor& grad, const at::Tensor& x, const at::Tensor& taps) {
  const auto dtype = signal_dtype(x, "x");
  const int64_t n = x.size(-1);
  const auto g = grad.to(dtype).reshape({-1, taps.size(0), n});
  return filter_adjoint(g, taps).view(x.sizes());
}

at::Tensor hilbert_backward_op(const std::optional<at::Tensor>& grad_phase,
                               const std::optional<at::Tensor>& grad_amplitude, const at::Tensor& x) {
  const auto rows = as_signal_rows(x, "x");
  auto rows_of = [&](const std::optional<at::Tensor>& g) { return g ? g->reshape(rows.sizes()) : at::Tensor(); };
  // The forward pass computes both in float64 (kPhaseDtype).
  const auto g = polar_backward(rows.to(kPhaseDtype), rows_of(grad_phase), rows_of(grad_amplitude));
  return g.to(rows.scalar_type()).view(x.sizes());
}

at::Tensor filter_hilbert_backward_op(const std::optional<at::Tensor>& grad_phase,
                                      const std::optional<at::Tensor>& grad_amplitude, const at::Tensor& x,
                                      const at::Tensor& pha_taps, const at::Tensor& amp_taps) {
  const auto rows = as_signal_rows(x, "x");
  const int64_t S = rows.size(0), n = rows.size(1);
  auto total = at::zeros_like(rows);
  // Phase bands are computed in float64, amplitude bands in the signals' dtype, as forward.
  for (const bool phase : {true, false}) {
    const auto& grad = phase ? grad_phase : grad_amplitude;
    if (!grad) continue;
    const auto& taps = phase ? pha_taps : amp_taps;
    const auto dtype = phase ? kPhaseDtype : rows.scalar_type();
    const auto g = grad->reshape({S, taps.size(0), n});
    const auto g_phase = phase ? g : at::Tensor(), g_amplitude = phase ? at::Tensor() : g;
    if (taps.is_complex()) {
      const auto [re, im] = wavelet_rows(rows.to(dtype), taps, kDefaultBlockBytes);
      const auto [g_re, g_im] = polar_grads(re, im, g_phase, g_amplitude);
      total = total + wavelet_adjoint(g_re, g_im, taps).to(rows.scalar_type());
    } else {
      const auto bands = filter_rows(rows.to(dtype), taps, kDefaultBlockBytes);
      total = total + filter_adjoint(polar_backward(bands, g_phase, g_amplitude), taps).to(rows.scalar_type());
    }
  }
  return total.view(x.sizes());
}

at::Tensor mi_scatter_backward_op(const std::optional<at::Tensor>& grad_mi,
                                  const std::optional<at::Tensor>& grad_amp_sums, const at::Tensor& phase,
                                  const at::Tensor& amplitude, const at::Tensor& amp_sums, const at::Tensor& counts,
                                  int64_t n_bins) {
  const int64_t P = phase.size(-2), A = amplitude.size(-2), n = phase.size(-1);
  const auto pha = phase.reshape({-1, P, n});
  const int64_t S = pha.size(0);
  const auto opts = amplitude.options().dtype(at::kDouble);
  auto weight = at::zeros({S, P, A, n_bins}, opts);  // d loss / d (sum of bin k)
  if (grad_mi) {
    // MI = 1 + sum_k P_k log P_k / log(n_bins), P_k = m_k / M, m_k = s_k / c_k:
    // dMI/ds_k = (log P_k - sum_j P_j log P_j) / (M log(n_bins) c_k).
    const auto sums = amp_sums.reshape({S, P, A, n_bins}).to(at::kDouble);
    const auto cnt = counts.reshape({S, P, 1, n_bins}).to(at::kDouble);
    const auto mean = at::where(cnt > 0, sums / cnt, 0.0);
    const auto total = mean.sum(-1, true);
    const auto prob = at::where(total > 0, mean / total, 0.0);
    const auto log_p = at::where(prob > 0, prob.log(), 0.0);
    const auto entropy = (prob * log_p).sum(-1, true);
    const auto live = (prob > 0) & (cnt > 0);
    const auto dmi = at::where(live, (log_p - entropy) / (total * std::log(static_cast<double>(n_bins)) * cnt), 0.0);
    weight = weight + grad_mi->reshape({S, P, A, 1}).to(at::kDouble) * dmi;
  }
  if (grad_amp_sums) weight = weight + grad_amp_sums->reshape({S, P, A, n_bins}).to(at::kDouble);
  // Each sample's gradient is its bin's weight, summed over the phase bands.
  const auto bins = phase_bins(pha, n_bins);
  auto grad = at::zeros({S, A, n}, opts);
  for (int64_t i = 0; i < P; ++i)
    grad = grad + weight.select(1, i).gather(2, bins.select(1, i).unsqueeze(1).expand({S, A, n}));
  return grad.to(amplitude.scalar_type()).view(amplitude.sizes());
}

at::Tensor modulation_index_backward_op(const std::optional<at::Tensor>& grad_mi,
                                        const std::optional<at::Tensor>& grad_amp_sums, const at::Tensor& x,
                                        const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                        const at::Tensor& amp_sums, const at::Tensor& counts, int64_t n_bins,
                                        const DeviceKernels& k) {
  const auto rows = as_signal_rows(x, "x");
  // The forward pass's phases and amplitudes again (its bins exactly).
  const auto band = filter_hilbert_rows(rows, pha_taps, amp_taps, k);
  const auto grad_amplitude =
      mi_scatter_backward_op(grad_mi, grad_amp_sums, band.phase, band.amplitude, amp_sums, counts, n_bins);
  return filter_hilbert_backward_op(std::nullopt, grad_amplitude, rows, pha_taps, amp_taps).view(x.sizes());
}

}  // namespace gpac
