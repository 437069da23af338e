// CPU histograms of gpac::mi_scatter and gpac::modulation_index: phase-binned
// amplitude sums reduced to Tort's MI, without any (samples x pairs) tensor.
//
// Work per (signal, phase band): the bin of each sample is computed once into a
// per-thread buffer (n_times bytes), then every amplitude band is scattered
// into n_bins float64 accumulators, eight bands at a time so that runs of
// samples in the same bin (phase varies slowly) do not serialise on one
// accumulator. Each surrogate repeats the scatter with the amplitude read from
// its shift on (two contiguous segments, no modulo per sample) and, for
// swapped trials, the bins of the other signal's phase. Memory beyond the
// outputs: 2 n_times bytes + 8 n_bins doubles per thread.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <vector>

#include "csrc/pac_math.h"
#include "csrc/device_kernels.h"

namespace gpac {
namespace {

constexpr int kGroup = 8;  // amplitude bands scattered together

// acc[q * n_bins + bin[t]] += amp[q][t] for G amplitude rows at once.
template <int G, typename T>
void scatter_rows(const uint8_t* bin, const T* const* amp, int64_t n, int64_t n_bins, double* acc) {
  for (int64_t t = 0; t < n; ++t) {
    const int b = bin[t];
    for (int q = 0; q < G; ++q) acc[q * n_bins + b] += static_cast<double>(amp[q][t]);
  }
}

template <typename T>
void scatter_group(int g, const uint8_t* bin, const T* const* amp, int64_t n, int64_t n_bins, double* acc) {
  switch (g) {
    case 8: return scatter_rows<8>(bin, amp, n, n_bins, acc);
    case 7: return scatter_rows<7>(bin, amp, n, n_bins, acc);
    case 6: return scatter_rows<6>(bin, amp, n, n_bins, acc);
    case 5: return scatter_rows<5>(bin, amp, n, n_bins, acc);
    case 4: return scatter_rows<4>(bin, amp, n, n_bins, acc);
    case 3: return scatter_rows<3>(bin, amp, n, n_bins, acc);
    case 2: return scatter_rows<2>(bin, amp, n, n_bins, acc);
    default: return scatter_rows<1>(bin, amp, n, n_bins, acc);
  }
}

}  // namespace

Histograms mi_histograms_cpu(const at::Tensor& pha, const at::Tensor& amp, int64_t n_bins,
                             const Surrogates& surrogates) {
  const int64_t S = pha.size(0), P = pha.size(1), A = amp.size(1), n = pha.size(2);
  const int64_t K = surrogates.count();

  auto mi = at::empty({S, P, A}, amp.options());
  auto sums = at::empty({S, P, A, n_bins}, amp.options());
  auto counts = at::empty({S, P, n_bins}, amp.options().dtype(at::kLong));
  auto surr = at::empty({S, K, P, A}, amp.options());
  const int64_t* phase_index = surrogates.phase_index.defined() ? surrogates.phase_index.data_ptr<int64_t>() : nullptr;
  const int64_t* shift = surrogates.shift.defined() ? surrogates.shift.data_ptr<int64_t>() : nullptr;

  AT_DISPATCH_FLOATING_TYPES(pha.scalar_type(), "gpac_mi_scatter_cpu_phase", [&] {
    using phase_t = scalar_t;
    AT_DISPATCH_FLOATING_TYPES(amp.scalar_type(), "gpac_mi_scatter_cpu", [&] {
      const PhaseBins<phase_t> to_bin(n_bins);
      const phase_t* pha_p = pha.data_ptr<phase_t>();
      const scalar_t* amp_p = amp.data_ptr<scalar_t>();
      scalar_t* mi_p = mi.data_ptr<scalar_t>();
      scalar_t* sums_p = sums.data_ptr<scalar_t>();
      scalar_t* surr_p = surr.data_ptr<scalar_t>();
      int64_t* counts_p = counts.data_ptr<int64_t>();

      auto bin_row = [&](int64_t row, uint8_t* bin, int64_t* cnt) {  // n_bins <= 256
        const phase_t* ph = pha_p + row * n;
        std::fill(cnt, cnt + n_bins, 0);
        for (int64_t t = 0; t < n; ++t) {
          bin[t] = static_cast<uint8_t>(to_bin(ph[t]));
          ++cnt[bin[t]];
        }
      };
      // The MI of every amplitude band of signal s against `bin`/`cnt`, the
      // amplitude read from sample `sh` on (circularly); `emit(j, h)` gets
      // each band's float64 histogram.
      auto scatter_all = [&](int64_t s, const uint8_t* bin, int64_t sh, double* acc, auto&& emit) {
        for (int64_t a0 = 0; a0 < A; a0 += kGroup) {
          const int g = static_cast<int>(std::min<int64_t>(kGroup, A - a0));
          const scalar_t* head[kGroup];  // samples sh .. n-1 meet bins 0 .. n-sh-1
          const scalar_t* tail[kGroup];  // samples 0 .. sh-1 meet bins n-sh .. n-1
          for (int q = 0; q < g; ++q) {
            tail[q] = amp_p + (s * A + a0 + q) * n;
            head[q] = tail[q] + sh;
          }
          std::fill(acc, acc + kGroup * n_bins, 0.0);
          scatter_group(g, bin, head, n - sh, n_bins, acc);
          if (sh > 0) scatter_group(g, bin + (n - sh), tail, sh, n_bins, acc);
          for (int q = 0; q < g; ++q) emit(a0 + q, acc + q * n_bins);
        }
      };

      at::parallel_for(0, S * P, 1, [&](int64_t begin, int64_t end) {
        std::vector<uint8_t> bin(n), other_bin(n);
        std::vector<int64_t> other_cnt(n_bins);
        std::vector<double> acc(kGroup * n_bins);
        for (int64_t sp = begin; sp < end; ++sp) {
          const int64_t s = sp / P, i = sp % P;
          int64_t* cnt = counts_p + sp * n_bins;
          bin_row(sp, bin.data(), cnt);
          scatter_all(s, bin.data(), 0, acc.data(), [&](int64_t j, const double* h) {
            const int64_t out = sp * A + j;
            for (int64_t k = 0; k < n_bins; ++k) sums_p[out * n_bins + k] = static_cast<scalar_t>(h[k]);
            mi_p[out] = static_cast<scalar_t>(tort_mi(h, cnt, n_bins));
          });
          for (int64_t k = 0; k < K; ++k) {
            const int64_t ps = phase_index ? phase_index[k * S + s] : s;
            const int64_t sh = shift ? shift[k * S + s] : 0;
            const uint8_t* b = bin.data();
            const int64_t* c = cnt;
            if (ps != s) {  // another signal's phase (swapped trials)
              bin_row(ps * P + i, other_bin.data(), other_cnt.data());
              b = other_bin.data();
              c = other_cnt.data();
            }
            scatter_all(s, b, sh, acc.data(), [&](int64_t j, const double* h) {
              surr_p[((s * K + k) * P + i) * A + j] = static_cast<scalar_t>(tort_mi(h, c, n_bins));
            });
          }
        }
      });
    });
  });
  return {mi, sums, counts, surr};
}

}  // namespace gpac
