// CPU kernels of gpac::filter, gpac::hilbert and gpac::filter_hilbert.
//
// Why filtering by FFT reproduces scipy.signal.filtfilt(b, 1, x, padlen=order)
// exactly: with padlen = len(b) - 1 = p, every retained output sample
// out[t] = sum_{j,k} b[j] b[k] xo[t + k - j] reads the odd-extended signal xo
// only inside [-p, n - 1 + p], so the steady-state initial conditions of both
// passes never reach it. filtfilt is then a zero-phase filter with response
// |B(f)|^2 applied to xo, which a circular FFT convolution of length
// N >= n + 2p computes without wrap-around. An extension by P >= p samples
// gives the same retained samples, so one extension by the largest order and
// one forward FFT per signal serve every band, whatever its order.
//
// The analytic signal then follows TensorPAC's hilbertm exactly: the band
// signal's n samples zero-padded to the next 5-smooth length N5, transformed,
// cut back. Its real part is the band signal itself; its imaginary part is the
// inverse real FFT of -i F on the positive frequencies (DC and Nyquist dropped).
//
// Work per signal and band: one forward real FFT of the extended signal
// (shared by all bands), one inverse of length N, then the Hilbert pair
// (forward and inverse of length N5). Temporaries are bounded by processing
// blocks of signals x bands.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#include <functional>
#include <vector>

#include "csrc/filter_design.h"
#include "csrc/op_args.h"
#include "csrc/pac_math.h"

namespace gpac {
namespace {

// Temporaries per block of (signals x bands); bounds memory whatever the input.
constexpr int64_t kBlockBytes = int64_t{128} << 20;

at::Tensor odd_extend(const at::Tensor& x, int64_t p) {
  if (p == 0) return x;
  const int64_t n = x.size(-1);
  auto left = 2 * x.narrow(-1, 0, 1) - x.narrow(-1, 1, p).flip(-1);
  auto right = 2 * x.narrow(-1, n - 1, 1) - x.narrow(-1, n - 1 - p, p).flip(-1);
  return at::cat({left, x, right}, -1);
}

// |B(f)|^2 of each row of taps on the rfft grid of length n_fft, in float64
// (then cast) so that float32 runs lose nothing in the design.
at::Tensor power_response(const at::Tensor& taps, int64_t n_fft, at::ScalarType dtype) {
  return at::fft_rfft(taps.to(at::kDouble), n_fft).abs().square().to(dtype);
}

// Imaginary part of TensorPAC's analytic signal of each row (..., n).
at::Tensor hilbert_imag(const at::Tensor& rows) {
  const int64_t n = rows.size(-1);
  const int64_t n5 = next_fast_len(n);
  auto spec = at::fft_rfft(rows, n5).mul_(c10::complex<double>(0.0, -1.0));
  spec.select(-1, 0).zero_();
  if (n5 % 2 == 0) spec.select(-1, n5 / 2).zero_();
  return at::fft_irfft(spec, n5).narrow(-1, 0, n);
}

// Row r of an (A, B, n) view with unit stride along n; null for an undefined tensor.
template <typename T>
T* row_ptr(const at::Tensor& t, int64_t r) {
  if (!t.defined()) return nullptr;
  const int64_t B = t.size(1);
  return t.data_ptr<T>() + (r / B) * t.stride(0) + (r % B) * t.stride(1);
}

// Writes phase and/or amplitude (either may be undefined) of re + i im; all
// tensors are (A, B, n) views with unit stride along n. The polar form is taken
// in re's precision and rounded to the outputs' dtype.
void write_polar(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                 const at::Tensor& amplitude) {
  const int64_t n = re.size(2);
  const auto out_type = (phase.defined() ? phase : amplitude).scalar_type();
  AT_DISPATCH_FLOATING_TYPES(re.scalar_type(), "gpac_write_polar", [&] {
    using in_t = scalar_t;
    AT_DISPATCH_FLOATING_TYPES(out_type, "gpac_write_polar_out", [&] {
      at::parallel_for(0, re.size(0) * re.size(1), 1, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const in_t* x = row_ptr<in_t>(re, r);
          const in_t* y = row_ptr<in_t>(im, r);
          if (scalar_t* ph = row_ptr<scalar_t>(phase, r))
            for (int64_t t = 0; t < n; ++t) ph[t] = static_cast<scalar_t>(wrap_phase(std::atan2(y[t], x[t])));
          if (scalar_t* am = row_ptr<scalar_t>(amplitude, r))
            for (int64_t t = 0; t < n; ++t) am[t] = static_cast<scalar_t>(std::hypot(x[t], y[t]));
        }
      });
    });
  });
}

// A bank of band-pass filters and the dtype its band signals are computed in.
struct BandSet {
  at::Tensor taps;
  at::ScalarType dtype;
};

using BlockFn = std::function<void(size_t set, int64_t s0, int64_t b0, const at::Tensor& block)>;

// Band-passes the rows (S, n) through every band set and hands each block of
// filtered signals, (signals, bands, n) starting at signal s0 and band b0 of
// set `set`, in that set's dtype, to `emit`. One odd extension and one forward
// FFT per signal serve all sets; `bytes_per_row` is what `emit` allocates per
// filtered row.
void for_each_band_block(const at::Tensor& rows, const std::vector<BandSet>& sets,
                         int64_t bytes_per_row, const BlockFn& emit) {
  const int64_t S = rows.size(0), n = rows.size(1);
  int64_t p = 0, n_bands = 0;
  auto fft_dtype = rows.scalar_type();
  for (const auto& set : sets) {
    p = std::max(p, set.taps.size(1) - 1);
    n_bands += set.taps.size(0);
    fft_dtype = at::promote_types(fft_dtype, set.dtype);
  }
  const int64_t n_fft = next_fast_len(n + 2 * p);
  const int64_t elem = at::elementSize(fft_dtype);
  // Spectrum product (complex), inverse transform, and the caller's share.
  const int64_t row_bytes = (n_fft / 2 + 1) * 2 * elem + n_fft * elem + bytes_per_row;
  const int64_t bands_per_block = std::max<int64_t>(1, kBlockBytes / row_bytes);
  const int64_t signals_per_block =
      std::max<int64_t>(1, kBlockBytes / (row_bytes * std::max<int64_t>(1, n_bands)));

  std::vector<at::Tensor> responses;
  for (const auto& set : sets) responses.push_back(power_response(set.taps, n_fft, set.dtype));

  for (int64_t s0 = 0; s0 < S; s0 += signals_per_block) {
    const int64_t sc = std::min(signals_per_block, S - s0);
    const auto extended = odd_extend(rows.narrow(0, s0, sc).to(fft_dtype), p);
    const auto spectrum = at::fft_rfft(extended, n_fft).unsqueeze(1);
    for (size_t k = 0; k < sets.size(); ++k) {
      const auto& resp = responses[k];
      const auto spec = spectrum.to(c10::toComplexType(sets[k].dtype));
      for (int64_t b0 = 0; b0 < resp.size(0); b0 += bands_per_block) {
        const int64_t bc = std::min(bands_per_block, resp.size(0) - b0);
        const auto filtered = at::fft_irfft(spec * resp.narrow(0, b0, bc), n_fft);
        emit(k, s0, b0, filtered.narrow(-1, p, n));
      }
    }
  }
}

at::Tensor filter_cpu(const at::Tensor& x, const at::Tensor& taps) {
  const auto rows = as_signal_rows(x, "x");
  check_taps(taps, x, "taps");
  check_finite(rows, "x");
  const int64_t n = rows.size(1);
  auto out = at::empty({rows.size(0), taps.size(0), n}, rows.options());
  for_each_band_block(rows, {{taps, rows.scalar_type()}}, 0,
                      [&](size_t, int64_t s0, int64_t b0, const at::Tensor& blk) {
                        out.narrow(0, s0, blk.size(0)).narrow(1, b0, blk.size(1)).copy_(blk);
                      });
  return out.view_symint(banded_shape(x, taps.sym_size(0)));
}

// Phases are computed in float64 whatever the signal dtype, then rounded: a
// float32 phase error of ~3e-7 rad moves a few samples per million across bin
// edges, which shifts a weakly coupled pair's MI by up to a few percent.
constexpr auto kPhaseDtype = at::kDouble;

std::tuple<at::Tensor, at::Tensor> hilbert_cpu(const at::Tensor& x) {
  const auto rows = as_signal_rows(x, "x");
  check_finite(rows, "x");
  auto phase = at::empty_like(rows);
  auto amplitude = at::empty_like(rows);
  const int64_t n = rows.size(1);
  const int64_t row_bytes = 4 * next_fast_len(n) * at::elementSize(kPhaseDtype);
  const int64_t rows_per_block = std::max<int64_t>(1, kBlockBytes / row_bytes);
  for (int64_t r0 = 0; r0 < rows.size(0); r0 += rows_per_block) {
    const int64_t rc = std::min(rows_per_block, rows.size(0) - r0);
    const auto re = rows.narrow(0, r0, rc).unsqueeze(1).to(kPhaseDtype);
    write_polar(re, hilbert_imag(re), phase.narrow(0, r0, rc).unsqueeze(1),
                amplitude.narrow(0, r0, rc).unsqueeze(1));
  }
  return {phase.view(x.sizes()), amplitude.view(x.sizes())};
}

std::tuple<at::Tensor, at::Tensor> filter_hilbert_cpu(const at::Tensor& x, const at::Tensor& pha_taps,
                                                      const at::Tensor& amp_taps) {
  const auto rows = as_signal_rows(x, "x");
  check_taps(pha_taps, x, "pha_taps");
  check_taps(amp_taps, x, "amp_taps");
  check_finite(rows, "x");
  const int64_t S = rows.size(0), n = rows.size(1);
  auto phase = at::empty({S, pha_taps.size(0), n}, rows.options());
  auto amplitude = at::empty({S, amp_taps.size(0), n}, rows.options());
  const int64_t hilbert_bytes = 4 * next_fast_len(n) * at::elementSize(kPhaseDtype);
  for_each_band_block(rows, {{pha_taps, kPhaseDtype}, {amp_taps, rows.scalar_type()}}, hilbert_bytes,
                      [&](size_t set, int64_t s0, int64_t b0, const at::Tensor& blk) {
                        const auto& out = set == 0 ? phase : amplitude;
                        const auto dst = out.narrow(0, s0, blk.size(0)).narrow(1, b0, blk.size(1));
                        write_polar(blk, hilbert_imag(blk), set == 0 ? dst : at::Tensor(),
                                    set == 1 ? dst : at::Tensor());
                      });
  return {phase.view_symint(banded_shape(x, pha_taps.sym_size(0))),
          amplitude.view_symint(banded_shape(x, amp_taps.sym_size(0)))};
}

}  // namespace

TORCH_LIBRARY_IMPL(gpac, CPU, m) {
  m.impl("filter", &filter_cpu);
  m.impl("hilbert", &hilbert_cpu);
  m.impl("filter_hilbert", &filter_hilbert_cpu);
}

}  // namespace gpac
