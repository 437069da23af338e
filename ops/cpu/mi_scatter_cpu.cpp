// CPU histograms of gpac::mi_scatter and gpac::modulation_index: phase-binned
// amplitude sums reduced to Tort's MI, without any (samples x pairs) tensor.
//
// Work per (signal, phase band): the bin of each sample is computed once into a
// per-thread buffer (n_times indices), then every amplitude band is scattered
// into n_bins float64 accumulators, four bands at a time so that runs of
// samples in the same bin (phase varies slowly) do not serialise on one
// accumulator. Memory beyond the outputs: n_times + 4 n_bins per thread.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <vector>

#include "csrc/pac_math.h"
#include "csrc/device_kernels.h"

namespace gpac {
namespace {

// acc[q * n_bins + bin[t]] += amp[q][t] for G amplitude rows at once.
template <int G, typename T>
void scatter_rows(const int32_t* bin, const T* const* amp, int64_t n, int64_t n_bins, double* acc) {
  for (int64_t t = 0; t < n; ++t) {
    const int32_t b = bin[t];
    for (int q = 0; q < G; ++q) acc[q * n_bins + b] += static_cast<double>(amp[q][t]);
  }
}

template <typename T>
void scatter_group(int g, const int32_t* bin, const T* const* amp, int64_t n, int64_t n_bins,
                   double* acc) {
  switch (g) {
    case 4: return scatter_rows<4>(bin, amp, n, n_bins, acc);
    case 3: return scatter_rows<3>(bin, amp, n, n_bins, acc);
    case 2: return scatter_rows<2>(bin, amp, n, n_bins, acc);
    default: return scatter_rows<1>(bin, amp, n, n_bins, acc);
  }
}

}  // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor> mi_histograms_cpu(const at::Tensor& pha, const at::Tensor& amp,
                                                                 int64_t n_bins) {
  const int64_t S = pha.size(0), P = pha.size(1), A = amp.size(1), n = pha.size(2);

  auto mi = at::empty({S, P, A}, amp.options());
  auto sums = at::empty({S, P, A, n_bins}, amp.options());
  auto counts = at::empty({S, P, n_bins}, amp.options().dtype(at::kLong));

  AT_DISPATCH_FLOATING_TYPES(pha.scalar_type(), "gpac_mi_scatter_cpu_phase", [&] {
    using phase_t = scalar_t;
    AT_DISPATCH_FLOATING_TYPES(amp.scalar_type(), "gpac_mi_scatter_cpu", [&] {
      const PhaseBins<phase_t> bins(n_bins);
      const phase_t* pha_p = pha.data_ptr<phase_t>();
      const scalar_t* amp_p = amp.data_ptr<scalar_t>();
      scalar_t* mi_p = mi.data_ptr<scalar_t>();
      scalar_t* sums_p = sums.data_ptr<scalar_t>();
      int64_t* counts_p = counts.data_ptr<int64_t>();

      at::parallel_for(0, S * P, 1, [&](int64_t begin, int64_t end) {
        std::vector<int32_t> bin(n);
        std::vector<double> acc(4 * n_bins);
        for (int64_t sp = begin; sp < end; ++sp) {
          const int64_t s = sp / P;
          const phase_t* ph = pha_p + sp * n;
          int64_t* cnt = counts_p + sp * n_bins;
          std::fill(cnt, cnt + n_bins, 0);
          for (int64_t t = 0; t < n; ++t) {
            bin[t] = static_cast<int32_t>(bins(ph[t]));
            ++cnt[bin[t]];
          }
          for (int64_t a0 = 0; a0 < A; a0 += 4) {
            const int g = static_cast<int>(std::min<int64_t>(4, A - a0));
            const scalar_t* rows[4];
            for (int q = 0; q < g; ++q) rows[q] = amp_p + (s * A + a0 + q) * n;
            std::fill(acc.begin(), acc.end(), 0.0);
            scatter_group(g, bin.data(), rows, n, n_bins, acc.data());
            for (int q = 0; q < g; ++q) {
              const double* h = acc.data() + q * n_bins;
              const int64_t out = sp * A + a0 + q;
              for (int64_t k = 0; k < n_bins; ++k) sums_p[out * n_bins + k] = static_cast<scalar_t>(h[k]);
              mi_p[out] = static_cast<scalar_t>(tort_mi(h, cnt, n_bins));
            }
          }
        }
      });
    });
  });

  return {mi, sums, counts};
}

}  // namespace gpac
