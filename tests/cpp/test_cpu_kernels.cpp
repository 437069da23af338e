// The CPU primitives behind the ops (csrc/device_kernels.h), against
// references written here: the bin of each analytic sample against std::atan2
// and PhaseBins, including angles a few ulp from every bin edge; the run and
// prefix-sum histograms against per-sample float64 sums, and the CUDA
// surrogates' prefix walk (csrc/prefix_runs.h) against them bit for bit;
// long rows filtered
// window by window (overlap-save) against the whole-row filter.
#include <gtest/gtest.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "csrc/device_kernels.h"
#include "csrc/filter_design.h"
#include "csrc/pac_math.h"
#include "csrc/prefix_runs.h"
#include "csrc/spectral.h"

namespace {

using gpac::PhaseBins;

// The bins the primitive must give: TensorPAC's wrapped angle, binned.
uint8_t exact_bin(double x, double y, const PhaseBins<double>& to_bin) {
  return static_cast<uint8_t>(to_bin(gpac::wrap_phase(std::atan2(y, x))));
}

at::Tensor bins_of(const at::Tensor& re, const at::Tensor& im, int64_t n_bins) {
  auto bins = at::empty(re.sizes(), re.options().dtype(at::kByte));
  gpac::write_bins_cpu(re.view({1, 1, -1}), im.view({1, 1, -1}), n_bins, bins.view({1, 1, -1}));
  return bins;
}

TEST(CpuKernels, BinsOfAnalyticSignalsEqualAtan2EvenAtTheEdges) {
  for (const int64_t n_bins : {18, 7, 64, 256}) {
    const PhaseBins<double> to_bin(n_bins);
    std::vector<double> xs, ys;
    // Every edge, and its neighbours a few ulp away, at several radii.
    for (int64_t j = 0; j <= n_bins; ++j) {
      double angle = to_bin.edge(j);
      for (int step = 0; step < 6; ++step) angle = std::nextafter(angle, -10.0);
      for (int k = 0; k < 13; ++k, angle = std::nextafter(angle, 10.0))
        for (const double radius : {1e-3, 1.0, 7.5e4}) {
          xs.push_back(radius * std::cos(angle));
          ys.push_back(radius * std::sin(angle));
        }
    }
    // Angles around the fast path's margin (2e-5 rad) on both sides of every edge.
    for (int64_t j = 0; j <= n_bins; ++j)
      for (const double offset : {1e-7, 1e-6, 5e-6, 1.5e-5, 1.9e-5, 2.1e-5, 2.5e-5, 4e-5, 1e-4})
        for (const double sign : {-1.0, 1.0}) {
          const double angle = to_bin.edge(j) + sign * offset;
          xs.push_back(3.0 * std::cos(angle));
          ys.push_back(3.0 * std::sin(angle));
        }
    // The axes, signed zeros, +-pi, and random points.
    const double z = 0.0;
    for (const auto& [x, y] : std::vector<std::pair<double, double>>{
             {z, z}, {-z, z}, {z, -z}, {-z, -z}, {1, z}, {1, -z}, {-1, z}, {-1, -z}, {z, 1}, {z, -1}, {-z, 1}}) {
      xs.push_back(x);
      ys.push_back(y);
    }
    std::mt19937_64 rng(n_bins);
    std::normal_distribution<double> normal;
    for (int i = 0; i < 100000; ++i) {
      xs.push_back(normal(rng));
      ys.push_back(normal(rng));
    }
    // Magnitudes beyond float's range or near its smallest normals (the fast
    // path computes in float), and parts of very different magnitudes.
    for (const double scale : {1e-300, 1e-42, 1e-35, 1e-31, 1e31, 1e35, 1e39, 1e300})
      for (int i = 0; i < 2000; ++i) {
        xs.push_back(scale * normal(rng));
        ys.push_back(scale * normal(rng));
      }
    for (const double big : {1e20, 1e36, 1e40})
      for (int i = 0; i < 2000; ++i) {
        const double a = big * normal(rng), b = normal(rng) / big;
        xs.push_back(i % 2 ? a : b);
        ys.push_back(i % 2 ? b : a);
      }
    const auto re = at::tensor(xs, at::kDouble), im = at::tensor(ys, at::kDouble);
    const auto bins = bins_of(re, im, n_bins);
    const uint8_t* b = bins.data_ptr<uint8_t>();
    int64_t mismatches = 0;
    for (size_t i = 0; i < xs.size(); ++i) mismatches += b[i] != exact_bin(xs[i], ys[i], to_bin);
    EXPECT_EQ(mismatches, 0) << "n_bins " << n_bins << ", " << xs.size() << " samples";
  }
}

// The float rows' bins (the path float phase rows take) against std::atan2 in
// float and PhaseBins<float>, at magnitudes across float's range, subnormal
// ones included, and around every edge.
TEST(CpuKernels, BinsOfFloatAnalyticSignalsEqualAtan2f) {
  for (const int64_t n_bins : {18, 7, 256}) {
    const PhaseBins<float> to_bin(n_bins);
    std::vector<float> xs, ys;
    std::mt19937_64 rng(n_bins + 1);
    std::normal_distribution<double> normal;
    for (const double scale : {1e-44, 1e-40, 1e-33, 1e-29, 1.0, 1e29, 1e33, 1e37, 1e38})
      for (int i = 0; i < 5000; ++i) {
        xs.push_back(static_cast<float>(scale * normal(rng)));
        ys.push_back(static_cast<float>(scale * normal(rng)));
      }
    for (int64_t j = 0; j <= n_bins; ++j)
      for (const double offset : {0.0, 1e-7, 1e-6, 1.5e-5, 2.5e-5, 1e-4})
        for (const double sign : {-1.0, 1.0}) {
          const double angle = to_bin.edge(j) + sign * offset;
          xs.push_back(static_cast<float>(3.0 * std::cos(angle)));
          ys.push_back(static_cast<float>(3.0 * std::sin(angle)));
        }
    const auto re = at::tensor(xs, at::kFloat), im = at::tensor(ys, at::kFloat);
    const auto bins = bins_of(re, im, n_bins);
    const uint8_t* b = bins.data_ptr<uint8_t>();
    int64_t mismatches = 0;
    for (size_t i = 0; i < xs.size(); ++i)
      mismatches += b[i] != static_cast<uint8_t>(to_bin(gpac::wrap_phase(std::atan2(ys[i], xs[i]))));
    EXPECT_EQ(mismatches, 0) << "n_bins " << n_bins << ", " << xs.size() << " samples";
  }
}

TEST(CpuKernels, BinsOfPhasesFollowPhaseBins) {
  const int64_t n_bins = 18;
  const PhaseBins<double> to_bin(n_bins);
  const auto phase = at::rand({5000}, at::kDouble) * (4 * gpac::kPi) - 2 * gpac::kPi;  // wrapped first
  const auto bins = at::empty({5000}, at::kByte);
  gpac::write_bins_cpu(phase.view({1, 1, -1}), at::Tensor(), n_bins, bins.view({1, 1, -1}));
  for (int64_t t = 0; t < 5000; ++t)
    ASSERT_EQ(bins[t].item<int64_t>(), to_bin(phase[t].item<double>())) << "sample " << t;
}

// Per-sample float64 sums: sums[s][i][j][k] over t with bin(s', i, t) = k of
// amp[s][j][(t + shift) % n], s' the phase's signal.
std::vector<double> direct_sums(const at::Tensor& bins, const at::Tensor& amp, int64_t n_bins, int64_t s, int64_t ps,
                                int64_t shift) {
  const int64_t P = bins.size(1), A = amp.size(1), n = bins.size(2);
  const auto b = bins.accessor<uint8_t, 3>();
  const auto a = amp.accessor<double, 3>();
  std::vector<double> out(P * A * n_bins, 0.0);
  for (int64_t i = 0; i < P; ++i)
    for (int64_t j = 0; j < A; ++j)
      for (int64_t t = 0; t < n; ++t) out[(i * A + j) * n_bins + b[ps][i][t]] += a[s][j][(t + shift) % n];
  return out;
}

// Bins that stay put for a random number of samples, as a slow phase does,
// with some single-sample flickers.
at::Tensor slow_bins(int64_t S, int64_t P, int64_t n, int64_t n_bins, std::mt19937_64& rng) {
  auto bins = at::empty({S, P, n}, at::kByte);
  auto* b = bins.data_ptr<uint8_t>();
  std::uniform_int_distribution<int64_t> bin(0, n_bins - 1), stay(1, 12);
  for (int64_t r = 0; r < S * P; ++r) {
    int64_t t = 0;
    while (t < n) {
      const auto k = static_cast<uint8_t>(bin(rng));
      for (int64_t e = std::min(n, t + stay(rng)); t < e; ++t) b[r * n + t] = k;
    }
  }
  return bins;
}

// The histogram primitive into freshly allocated outputs.
gpac::HistogramOut histograms(const at::Tensor& bins, const at::Tensor& amp, int64_t n_bins,
                              const gpac::Surrogates& plan) {
  const int64_t S = bins.size(0), P = bins.size(1), A = amp.size(1);
  const auto o = amp.options();
  gpac::HistogramOut h{at::empty({S, P, A}, o), at::empty({S, P, A, n_bins}, o),
                       at::empty({S, P, n_bins}, o.dtype(at::kLong)), at::empty({S, plan.count(), P, A}, o)};
  gpac::bin_histograms_cpu(bins, amp, n_bins, plan, h, false);
  return h;
}

TEST(CpuKernels, RunHistogramsEqualPerSampleSums) {
  std::mt19937_64 rng(7);
  const int64_t S = 3, P = 4, n_bins = 18;
  for (const int64_t n : {1, 5, 16, 17, 1023, 1024, 1025, 4097, 5000}) {
    for (const int64_t A : {1, 3, 8, 10, 17}) {
      const auto bins = slow_bins(S, P, n, n_bins, rng);
      const auto amp = at::rand({S, A, n}, at::kDouble) + 0.1;
      // Two surrogates: shifts (one wraps every run boundary differently) and a swapped phase.
      const auto phase_index = at::tensor(std::vector<int64_t>{1, 2, 0, 0, 1, 2}, at::kLong).view({2, S});
      const auto shift = at::tensor(std::vector<int64_t>{n / 3, 0, n - 1, n / 2, n / 7, 1 % n}, at::kLong).view({2, S});
      const auto h = histograms(bins, amp, n_bins, gpac::Surrogates{phase_index, shift});
      for (int64_t s = 0; s < S; ++s) {
        const auto ref = direct_sums(bins, amp, n_bins, s, s, 0);
        const auto got = h.amp_sums[s].contiguous();
        const double* g = got.data_ptr<double>();
        for (size_t e = 0; e < ref.size(); ++e)
          ASSERT_NEAR(g[e], ref[e], 1e-12 * (1.0 + std::abs(ref[e])))
              << "n " << n << " A " << A << " signal " << s << " element " << e;
        const auto b = bins.accessor<uint8_t, 3>();
        for (int64_t i = 0; i < P; ++i) {
          std::vector<int64_t> count(n_bins, 0);
          for (int64_t t = 0; t < n; ++t) ++count[b[s][i][t]];
          for (int64_t k = 0; k < n_bins; ++k) ASSERT_EQ(h.counts[s][i][k].item<int64_t>(), count[k]);
        }
        for (int64_t k = 0; k < 2; ++k) {
          const int64_t ps = phase_index[k][s].item<int64_t>(), sh = shift[k][s].item<int64_t>();
          const auto sref = direct_sums(bins, amp, n_bins, s, ps, sh);
          for (int64_t i = 0; i < P; ++i)
            for (int64_t j = 0; j < A; ++j) {
              const double* hist = sref.data() + (i * A + j) * n_bins;
              const auto cnt = h.counts[ps][i].contiguous();
              const double mi = gpac::tort_mi(hist, cnt.data_ptr<int64_t>(), n_bins);
              ASSERT_NEAR(h.surrogates[s][k][i][j].item<double>(), mi, 1e-12)
                  << "surrogate " << k << " signal " << s << " pair " << i << "," << j;
            }
        }
      }
    }
  }
}

// Many surrogates: the primitive shares each group's histogram sets out in
// blocks over the threads, and reads each amplitude tile once per set for
// every phase row. Every surrogate still equals its per-sample sums, and the
// outputs are bit-identical with one thread and with two.
// Rows whose runs the sixteen-at-a-time search and its bytewise tallies see
// at their extremes: one run over thousands of samples (every tally lane at
// its 255-step cap and past it), a change at every sample, one every 16th.
TEST(CpuKernels, RunCountsOfConstantAndAlternatingRows) {
  const int64_t n_bins = 18;
  for (const int64_t n : {4080, 4081, 4096, 4097, 4113, 8200}) {
    auto bins = at::empty({1, 3, n}, at::kByte);
    auto b = bins.accessor<uint8_t, 3>();
    for (int64_t t = 0; t < n; ++t) {
      b[0][0][t] = 5;
      b[0][1][t] = static_cast<uint8_t>(t % 2 ? 17 : 0);
      b[0][2][t] = static_cast<uint8_t>(t / 16 % n_bins);
    }
    const auto amp = at::rand({1, 2, n}, at::kDouble) + 0.1;
    const auto h = histograms(bins, amp, n_bins, gpac::Surrogates{});
    const auto ref = direct_sums(bins, amp, n_bins, 0, 0, 0);
    const double* g = h.amp_sums[0].contiguous().data_ptr<double>();
    for (size_t e = 0; e < ref.size(); ++e)
      ASSERT_NEAR(g[e], ref[e], 1e-12 * (1.0 + std::abs(ref[e]))) << "n " << n << " element " << e;
    for (int64_t i = 0; i < 3; ++i) {
      std::vector<int64_t> count(n_bins, 0);
      for (int64_t t = 0; t < n; ++t) ++count[b[0][i][t]];
      for (int64_t k = 0; k < n_bins; ++k)
        ASSERT_EQ(h.counts[0][i][k].item<int64_t>(), count[k]) << "n " << n << " row " << i << " bin " << k;
    }
  }
}

TEST(CpuKernels, ManySurrogatesEqualPerSampleSumsAtAnyThreadCount) {
  std::mt19937_64 rng(23);
  const int64_t S = 2, P = 3, A = 10, n = 3 * 1024 + 77, n_bins = 18, K = 40;
  const auto bins = slow_bins(S, P, n, n_bins, rng);
  const auto amp = at::rand({S, A, n}, at::kDouble) + 0.1;
  std::uniform_int_distribution<int64_t> any_shift(0, n - 1), any_signal(0, S - 1);
  std::vector<int64_t> shifts(K * S), signals(K * S);
  for (auto& v : shifts) v = any_shift(rng);
  for (auto& v : signals) v = any_signal(rng);
  shifts[0] = 0;         // no shift
  shifts[1] = n - 1;     // every run but the first wraps
  shifts[2] = 2 * 1024;  // on a tile boundary
  const gpac::Surrogates plan{at::tensor(signals, at::kLong).view({K, S}), at::tensor(shifts, at::kLong).view({K, S})};
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = histograms(bins, amp, n_bins, plan);
  at::set_num_threads(2);
  const auto two = histograms(bins, amp, n_bins, plan);
  at::set_num_threads(threads);
  EXPECT_TRUE(at::equal(one.surrogates, two.surrogates));
  EXPECT_TRUE(at::equal(one.mi, two.mi));
  EXPECT_TRUE(at::equal(one.amp_sums, two.amp_sums));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t ps = signals[k * S + s], sh = shifts[k * S + s];
      const auto ref = direct_sums(bins, amp, n_bins, s, ps, sh);
      const auto cnt = one.counts[ps].contiguous();
      for (int64_t i = 0; i < P; ++i)
        for (int64_t j = 0; j < A; ++j) {
          const double mi =
              gpac::tort_mi(ref.data() + (i * A + j) * n_bins, cnt.data_ptr<int64_t>() + i * n_bins, n_bins);
          ASSERT_NEAR(one.surrogates[s][k][i][j].item<double>(), mi, 1e-12)
              << "surrogate " << k << " (shift " << sh << ") signal " << s << " pair " << i << "," << j;
        }
    }
}

// The CUDA surrogate kernel's arithmetic, run here as it runs there
// (kernels/cuda/bin_histograms_cuda.cu surrogate_walk): tile_prefix's
// sample-major prefix, each phase row's change masks (change_word), the
// entries hi(t0 + e) = prefix at u(t0 + e - 1), the bins and the mask words
// staged chunk by chunk, one PrefixWalk per (phase band, amplitude band). Its histograms must be the
// CPU primitive's bit for bit: the observed sums, and each surrogate's
// measure (the same function of the same sums), for chunk sizes that cut
// runs and tiles anywhere, shifts on and around tile boundaries and the
// wrap, runs of every length down to one sample.
TEST(CpuKernels, PrefixWalkGivesTheCpuHistogramsBitForBit) {
  std::mt19937_64 rng(31);
  const int64_t S = 2, P = 3, A = 5, n_bins = 18;
  for (const int64_t n : {1, 3, 4, 5, 255, 257, 1023, 1024, 1025, 2049, 3 * 1024 + 77}) {
    auto bins = slow_bins(S, P, n, n_bins, rng);
    std::uniform_int_distribution<int> any_bin(0, n_bins - 1);
    auto* flicker = bins.data_ptr<uint8_t>() + (S * P - 1) * n;  // a new bin at (almost) every sample
    for (int64_t t = 0; t < n; ++t) flicker[t] = static_cast<uint8_t>(any_bin(rng));
    for (const auto dtype : {at::kDouble, at::kFloat}) {
      const auto amp = (at::rand({S, A, n}, at::kDouble) * 3 + 0.01).to(dtype);
      std::vector<int64_t> shifts{0, 1 % n, n - 1, n / 2, 1024 % n, (n + n - 1024 % n) % n, (n + 1023) % n};
      std::uniform_int_distribution<int64_t> any_shift(0, n - 1);
      for (int r = 0; r < 5; ++r) shifts.push_back(any_shift(rng));
      const int64_t K = static_cast<int64_t>(shifts.size());
      std::vector<int64_t> shift(K * S), signal(K * S);
      for (int64_t k = 0; k < K; ++k)
        for (int64_t s = 0; s < S; ++s) {
          shift[k * S + s] = s == 0 ? shifts[k] : shifts[(k + 3) % K];
          signal[k * S + s] = (k + s) % S;
        }
      const gpac::Surrogates plan{at::tensor(signal, at::kLong).view({K, S}),
                                  at::tensor(shift, at::kLong).view({K, S})};
      const auto h = histograms(bins, amp, n_bins, plan);
      const auto amp64 = amp.to(at::kDouble).contiguous();
      // tile_prefix_kernel's output, (S, n, A).
      std::vector<double> prefix(S * n * A);
      AT_DISPATCH_FLOATING_TYPES(amp.scalar_type(), "prefix", [&] {
        const scalar_t* a = amp.data_ptr<scalar_t>();
        for (int64_t s = 0; s < S; ++s)
          for (int64_t j = 0; j < A; ++j)
            for (int64_t u0 = 0; u0 < n; u0 += gpac::kPrefixTile)
              gpac::tile_prefix(a + (s * A + j) * n, u0, std::min(n, u0 + gpac::kPrefixTile),
                                prefix.data() + s * n * A + j, A);
      });
      const auto* b = bins.data_ptr<uint8_t>();
      const auto counts = h.counts.contiguous();
      // change_masks_kernel's output, (S, P, words).
      const int64_t words = (n + 31) / 32;
      std::vector<uint32_t> masks(S * P * words);
      for (int64_t r = 0; r < S * P; ++r)
        for (int64_t w = 0; w < words; ++w) masks[r * words + w] = gpac::change_word(b + r * n, n, w);
      for (const int64_t chunk : {32, 64, 128, 256, 1056}) {
        // Set 0: the observed histograms (shift 0, own phase); set k + 1: surrogate k.
        for (int64_t set = 0; set <= K; ++set)
          for (int64_t s = 0; s < S; ++s) {
            const int64_t ps = set == 0 ? s : signal[(set - 1) * S + s];
            const int64_t sh = set == 0 ? 0 : shift[(set - 1) * S + s];
            for (int64_t i = 0; i < P; ++i)
              for (int64_t j = 0; j < A; ++j) {
                std::vector<double> acc(n_bins, 0.0), pre(chunk + 1);
                std::vector<uint8_t> staged(chunk);
                std::vector<uint32_t> staged_mask(chunk / 32);
                gpac::PrefixWalk walk(n, sh);
                for (int64_t t0 = 0; t0 < n; t0 += chunk) {
                  const int64_t len = std::min(chunk, n - t0);
                  for (int64_t e = 0; e <= len; ++e) pre[e] = prefix[(s * n + walk.sample(t0 + e - 1)) * A + j];
                  for (int64_t t = 0; t < len; ++t) staged[t] = b[(ps * P + i) * n + t0 + t];
                  for (int64_t q = 0; q < (len + 31) / 32; ++q)
                    staged_mask[q] = masks[(ps * P + i) * words + t0 / 32 + q];
                  walk.chunk(
                      staged_mask.data(), staged.data(), t0, t0 + len, [&](int e) { return pre[e]; }, acc.data());
                }
                const int64_t* cnt = counts.data_ptr<int64_t>() + (ps * P + i) * n_bins;
                const std::string where = "n " + std::to_string(n) + " chunk " + std::to_string(chunk) + " set " +
                                          std::to_string(set) + " shift " + std::to_string(sh) + " signal " +
                                          std::to_string(s) + " pair " + std::to_string(i) + "," + std::to_string(j);
                if (set == 0) {
                  const auto sums = h.amp_sums[s][i][j].to(at::kDouble).contiguous();
                  for (int64_t k = 0; k < n_bins; ++k) {
                    // The outputs hold the sums in the amplitude's dtype.
                    const double got = dtype == at::kDouble ? acc[k] : static_cast<double>(static_cast<float>(acc[k]));
                    ASSERT_EQ(got, sums.data_ptr<double>()[k]) << where << " bin " << k;
                  }
                  continue;
                }
                const double mi = gpac::binned_measure(gpac::BinnedMeasure::kMI, acc.data(), cnt, n_bins);
                const double want = h.surrogates[s][set - 1][i][j].item<double>();
                ASSERT_EQ(dtype == at::kDouble ? mi : static_cast<double>(static_cast<float>(mi)), want) << where;
                // And the sums are right, not merely equal: per-sample float64 sums.
                if (dtype == at::kDouble && chunk == 256) {
                  std::vector<double> direct(n_bins, 0.0);
                  const double* a = amp64.data_ptr<double>() + (s * A + j) * n;
                  for (int64_t t = 0; t < n; ++t) direct[b[(ps * P + i) * n + t]] += a[(t + sh) % n];
                  for (int64_t k = 0; k < n_bins; ++k)
                    ASSERT_NEAR(acc[k], direct[k], 1e-12 * (1.0 + direct[k])) << where << " bin " << k;
                }
              }
          }
      }
    }
  }
}

// The pipeline writes each chunk's histograms into views of the whole
// outputs (strided) and may pass counts it already has: the same values.
TEST(CpuKernels, HistogramsIntoStridedViewsEqualContiguousOutputs) {
  std::mt19937_64 rng(9);
  const int64_t S = 2, P = 3, A = 5, n = 3000, n_bins = 18, K = 4;
  const auto bins = slow_bins(S, P, n, n_bins, rng);
  const auto amp = at::rand({S, A, n}, at::kDouble);
  const auto shift = at::randint(0, n, {K, S}, at::kLong);
  const gpac::Surrogates plan{at::Tensor(), shift};
  const auto ref = histograms(bins, amp, n_bins, plan);
  // Views into outputs twice as wide in the band dims, filled with NaN first.
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  auto mi = at::full({S, P + 2, A + 3}, nan, at::kDouble);
  auto sums = at::full({S, P + 2, A + 3, n_bins}, nan, at::kDouble);
  auto counts = at::full({S, P + 2, n_bins}, -1, at::kLong);
  auto surr = at::full({S, K, P + 2, A + 3}, nan, at::kDouble);
  const gpac::HistogramOut views{mi.narrow(1, 1, P).narrow(2, 2, A), sums.narrow(1, 1, P).narrow(2, 2, A),
                                 counts.narrow(1, 1, P), surr.narrow(2, 1, P).narrow(3, 2, A)};
  gpac::bin_histograms_cpu(bins, amp, n_bins, plan, views, false);
  EXPECT_TRUE(at::equal(views.mi, ref.mi));
  EXPECT_TRUE(at::equal(views.amp_sums, ref.amp_sums));
  EXPECT_TRUE(at::equal(views.counts, ref.counts));
  EXPECT_TRUE(at::equal(views.surrogates, ref.surrogates));
  EXPECT_TRUE(mi.narrow(1, 0, 1).isnan().all().item<bool>());  // nothing written outside the views
  // Counts given (read, not written): the same MI.
  gpac::HistogramOut given = histograms(bins, amp, n_bins, plan);
  given.counts = ref.counts.clone();
  given.mi.fill_(nan);
  gpac::bin_histograms_cpu(bins, amp, n_bins, plan, given, true);
  EXPECT_TRUE(at::equal(given.mi, ref.mi));
  EXPECT_TRUE(at::equal(given.counts, ref.counts));
}

// Long rows: the tile-restarting prefix keeps sums accurate however long the
// recording. Here (2e6 samples, ~20k runs per bin) the error is ~sqrt(runs)
// eps ~ 2e-14 relative; a prefix over the whole row would add ~3e-13.
TEST(CpuKernels, RunHistogramsStayAccurateOnLongRows) {
  std::mt19937_64 rng(11);
  const int64_t n = 2000000, n_bins = 18;
  const auto bins = slow_bins(1, 1, n, n_bins, rng);
  const auto amp = at::rand({1, 1, n}, at::kDouble) * 1e3 + 1e3;
  const auto h = histograms(bins, amp, n_bins, gpac::Surrogates{});
  // The reference in long double.
  std::vector<long double> ref(n_bins, 0.0L);
  const auto* b = bins.data_ptr<uint8_t>();
  const auto* a = amp.data_ptr<double>();
  for (int64_t t = 0; t < n; ++t) ref[b[t]] += a[t];
  for (int64_t k = 0; k < n_bins; ++k)
    EXPECT_NEAR(h.amp_sums[0][0][0][k].item<double>() / static_cast<double>(ref[k]), 1.0, 1e-13) << "bin " << k;
}

}  // namespace

namespace {

at::Tensor taps_of(const std::vector<std::vector<double>>& rows) {
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.size());
  auto taps = at::zeros({static_cast<int64_t>(rows.size()), static_cast<int64_t>(width)}, at::kDouble);
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) taps[i][j] = rows[i][j];
  return taps;
}

}  // namespace

TEST(Segments, OverlapSaveFilterEqualsWholeRowFilter) {
  // Random signals, two phase-like and one amplitude-like band, windows much
  // shorter than the row, odd and even lengths: equal to rounding everywhere,
  // the row's own ends included (their windows end there too).
  at::manual_seed(7);
  const double fs = 512;
  for (const int64_t n : {20000, 20001, 33333}) {
    const auto taps = taps_of({gpac::bandpass_taps(fs, 4, 8, n, 3), gpac::bandpass_taps(fs, 9, 11, n, 3),
                               gpac::bandpass_taps(fs, 70, 90, n, 6)});
    const int64_t order = taps.size(1) - 1;
    const auto rows = at::randn({3, n}, at::kDouble);
    const auto whole = gpac::filter_rows(rows, taps, int64_t{1} << 30);
    for (const int64_t core : {int64_t{1000}, int64_t{4097}}) {
      const gpac::Segments seg{core, 2 * order};
      const auto windows = gpac::filter_rows_segmented(rows, taps, seg, int64_t{1} << 30);
      const double err = (windows - whole).abs().max().item<double>() / whole.abs().max().item<double>();
      EXPECT_LT(err, 1e-12) << "n " << n << " core " << core;
    }
  }
}

TEST(Segments, PlanKeepsShortRowsWholeAndSplitsLongOnes) {
  gpac::WindowStage stage;
  stage.signals = 2;
  stage.pha_bands = stage.amp_bands = 10;
  stage.pha_out_bytes = 1;
  stage.amp_out_bytes = stage.amp_fft_bytes = 4;
  stage.workers = 2;
  const int64_t budget = int64_t{256} << 20;
  EXPECT_EQ(gpac::plan_segments(30720, 1024, stage, budget).core, 0);
  const auto seg = gpac::plan_segments(int64_t{100} << 20, 1024, stage, budget);
  EXPECT_GT(seg.core, 0);
  EXPECT_GE(seg.margin, 2 * 1023);
  // The window's band stage fits the budget, and is not far below it.
  const int64_t window = seg.core + 2 * seg.margin;
  EXPECT_LE(gpac::window_stage_bytes(window, 1024, stage), budget);
  EXPECT_GT(gpac::window_stage_bytes(window, 1024, stage), budget * 3 / 4);
  // More workers, signals or bands hold more per sample: shorter windows.
  stage.workers = 4;
  const auto fewer = gpac::plan_segments(int64_t{100} << 20, 1024, stage, budget);
  EXPECT_LT(fewer.core + 2 * fewer.margin, window);
}
