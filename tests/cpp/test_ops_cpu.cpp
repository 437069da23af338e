// The gpac ops on the CPU, called through the dispatcher as a C++ LibTorch
// program calls them, against float64 references written here: a direct
// time-domain filtfilt, analytic signals of pure tones, and a naive
// phase-binned MI with numpy.digitize's edge rule.
#include <gtest/gtest.h>
#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <vector>

#include "csrc/gpac.h"

namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

// scipy.signal.filtfilt(b, 1, x, padlen=len(b)-1) by its definition: odd
// extension, then two passes of y[n] = sum_k b[k] e[max(n - k, 0)] (lfilter
// with lfilter_zi's steady state: the input continues with its first value).
std::vector<double> filtfilt_direct(const std::vector<double>& b, const std::vector<double>& x) {
  const int64_t n = x.size(), p = b.size() - 1;
  std::vector<double> e;
  for (int64_t i = p; i >= 1; --i) e.push_back(2 * x[0] - x[i]);
  e.insert(e.end(), x.begin(), x.end());
  for (int64_t i = 1; i <= p; ++i) e.push_back(2 * x[n - 1] - x[n - 1 - i]);
  auto pass = [&](const std::vector<double>& in) {
    std::vector<double> out(in.size());
    for (size_t t = 0; t < in.size(); ++t) {
      double acc = 0;
      for (size_t k = 0; k < b.size(); ++k) acc += b[k] * in[t >= k ? t - k : 0];
      out[t] = acc;
    }
    return out;
  };
  auto y = pass(e);
  std::reverse(y.begin(), y.end());
  auto z = pass(y);
  std::reverse(z.begin(), z.end());
  return std::vector<double>(z.begin() + p, z.begin() + p + n);
}

std::vector<double> row(const at::Tensor& t) {
  auto c = t.to(at::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

TEST(OpsCpu, FilterMatchesDirectFiltfilt) {
  at::manual_seed(7);
  for (int64_t n : {777, 1000}) {
    const double fs = 256;
    const std::vector<double> low{4, 13, 60, 2.5}, high{8, 30, 90, 5};
    const auto x = at::randn({3, n}, at::kDouble);
    const auto taps = gpac::ops::fir_taps(fs, low, high, n, 3);
    const auto y = gpac::ops::filter(x, taps);
    ASSERT_EQ(y.sizes(), (at::IntArrayRef{3, 4, n}));
    for (int64_t s = 0; s < 3; ++s) {
      for (size_t band = 0; band < low.size(); ++band) {
        const auto b = gpac::bandpass_taps(fs, low[band], high[band], n, 3);
        const auto ref = filtfilt_direct(b, row(x[s]));
        const auto got = row(y[s][band]);
        double err = 0, scale = 0;
        for (int64_t t = 0; t < n; ++t) {
          err = std::max(err, std::abs(got[t] - ref[t]));
          scale = std::max(scale, std::abs(ref[t]));
        }
        EXPECT_LT(err / scale, 1e-9) << "n " << n << " signal " << s << " band " << band;
      }
    }
  }
}

TEST(OpsCpu, HilbertOfPureTones) {
  // n = 960 is 5-smooth: no padding, the analytic signal of cos is exp(i w t).
  const int64_t n = 960;
  auto t = at::arange(n, at::kDouble);
  auto x = at::stack({at::cos(2 * kPi * 37 * t / n), 2.5 * at::sin(2 * kPi * 100 * t / n)});
  auto [phase, amplitude] = gpac::ops::hilbert(x);
  auto expected_phase = at::stack({2 * kPi * 37 * t / n, 2 * kPi * 100 * t / n - kPi / 2});
  auto dphi = at::remainder(phase - expected_phase + kPi, 2 * kPi) - kPi;
  EXPECT_LT(dphi.abs().max().item<double>(), 1e-12);
  EXPECT_LT((amplitude[0] - 1).abs().max().item<double>(), 1e-12);
  EXPECT_LT((amplitude[1] - 2.5).abs().max().item<double>(), 1e-12);
  EXPECT_GE(phase.min().item<double>(), -kPi);
  EXPECT_LT(phase.max().item<double>(), kPi);
}

TEST(OpsCpu, FusedPathEqualsFilterThenHilbert) {
  at::manual_seed(3);
  const int64_t n = 1501;
  const auto x = at::randn({2, 2, n}, at::kDouble);
  const auto pha_taps = gpac::ops::fir_taps(512, {2, 4, 8}, {4, 8, 12}, n, 3);
  const auto amp_taps = gpac::ops::fir_taps(512, {60, 100}, {80, 140}, n, 6);
  auto [phase, amplitude] = gpac::ops::filter_hilbert(x, pha_taps, amp_taps);
  auto [phase_ref, unused_a] = gpac::ops::hilbert(gpac::ops::filter(x, pha_taps));
  auto [unused_p, amp_ref] = gpac::ops::hilbert(gpac::ops::filter(x, amp_taps));
  ASSERT_EQ(phase.sizes(), (at::IntArrayRef{2, 2, 3, n}));
  ASSERT_EQ(amplitude.sizes(), (at::IntArrayRef{2, 2, 2, n}));
  auto dphi = at::remainder(phase - phase_ref + kPi, 2 * kPi) - kPi;
  EXPECT_LT(dphi.abs().max().item<double>(), 1e-9);
  EXPECT_LT(((amplitude - amp_ref).abs().max() / amp_ref.abs().max()).item<double>(), 1e-12);
}

// Naive Tort MI of one (phase row, amplitude row): numpy.linspace edges and
// numpy.digitize's rule edges[j] <= p < edges[j + 1].
struct NaiveMi {
  double mi;
  std::vector<double> sums;
  std::vector<int64_t> counts;
};

NaiveMi naive_mi(const std::vector<double>& phase, const std::vector<double>& amp, int64_t n_bins, double eps) {
  std::vector<double> edges(n_bins + 1);
  const double start = -kPi - eps, stop = kPi + eps, step = (stop - start) / n_bins;
  for (int64_t j = 0; j <= n_bins; ++j) edges[j] = j * step + start;
  edges[n_bins] = stop;
  NaiveMi r{0, std::vector<double>(n_bins, 0), std::vector<int64_t>(n_bins, 0)};
  for (size_t t = 0; t < phase.size(); ++t)
    for (int64_t j = 0; j < n_bins; ++j)
      if (edges[j] <= phase[t] && phase[t] < edges[j + 1]) {
        r.sums[j] += amp[t];
        r.counts[j] += 1;
      }
  std::vector<double> mean(n_bins, 0);
  double total = 0;
  for (int64_t j = 0; j < n_bins; ++j)
    if (r.counts[j]) total += (mean[j] = r.sums[j] / r.counts[j]);
  double h = 0;
  for (int64_t j = 0; j < n_bins; ++j)
    if (mean[j] > 0) h += mean[j] / total * std::log(mean[j] / total);
  r.mi = 1 + h / std::log(static_cast<double>(n_bins));
  return r;
}

TEST(OpsCpu, MiScatterMatchesNaiveReference) {
  at::manual_seed(11);
  for (int64_t n_bins : {18, 7, 2}) {
    const int64_t S = 3, P = 4, A = 6, n = 2001;
    const auto phase = at::rand({S, P, n}, at::kDouble) * (2 * kPi) - kPi;
    // Coupled amplitudes: a bump at a phase that differs per band, plus noise.
    auto amplitude = at::rand({S, A, n}, at::kDouble);
    amplitude = amplitude +
                (phase.select(1, 0).unsqueeze(1) - at::linspace(-2, 2, A, at::kDouble).view({1, A, 1})).cos().add(1);
    auto [mi, sums, counts, surrogates] = gpac::ops::mi_scatter(phase, amplitude, n_bins);
    ASSERT_EQ(surrogates.sizes(), (at::IntArrayRef{S, 0, P, A}));
    ASSERT_EQ(mi.sizes(), (at::IntArrayRef{S, P, A}));
    ASSERT_EQ(sums.sizes(), (at::IntArrayRef{S, P, A, n_bins}));
    ASSERT_EQ(counts.sizes(), (at::IntArrayRef{S, P, n_bins}));
    const double eps = 2 * std::numeric_limits<double>::epsilon();
    for (int64_t s = 0; s < S; ++s)
      for (int64_t i = 0; i < P; ++i)
        for (int64_t j = 0; j < A; ++j) {
          const auto ref = naive_mi(row(phase[s][i]), row(amplitude[s][j]), n_bins, eps);
          ASSERT_NEAR(mi[s][i][j].item<double>(), ref.mi, 1e-12 * std::abs(ref.mi) + 1e-15);
          for (int64_t k = 0; k < n_bins; ++k) {
            ASSERT_EQ(counts[s][i][k].item<int64_t>(), ref.counts[k]);
            ASSERT_NEAR(sums[s][i][j][k].item<double>(), ref.sums[k], 1e-9);
          }
        }
    // Band 0 of phase drives the amplitudes: its MI is far above the others.
    EXPECT_GT(mi.select(1, 0).min().item<double>(), 10 * mi.narrow(1, 1, P - 1).max().item<double>());
  }
}

// Surrogates against their definition: the MI of explicitly shifted
// amplitude copies and of another signal's phase.
TEST(OpsCpu, SurrogatesEqualShiftedCopies) {
  at::manual_seed(13);
  const int64_t S = 4, P = 2, A = 3, n = 1500, K = 5;
  const auto phase = at::rand({S, P, n}, at::kDouble) * (2 * kPi) - kPi;
  const auto amplitude = at::rand({S, A, n}, at::kDouble) + (phase.narrow(1, 0, 1) * 2).cos() + 1;
  const auto shift = at::randint(0, n, {K, S}, at::kLong);
  const auto phase_index = at::stack({at::randperm(S, at::kLong), at::arange(S, at::kLong), at::randperm(S, at::kLong),
                                      at::randperm(S, at::kLong), at::arange(S, at::kLong)});
  auto [mi, sums, counts, surrogates] = gpac::ops::mi_scatter(phase, amplitude, 18, phase_index, shift);
  ASSERT_EQ(surrogates.sizes(), (at::IntArrayRef{S, K, P, A}));
  const double eps = 2 * std::numeric_limits<double>::epsilon();
  for (int64_t k = 0; k < K; ++k)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t ps = phase_index[k][s].item<int64_t>(), sh = shift[k][s].item<int64_t>();
      for (int64_t i = 0; i < P; ++i)
        for (int64_t j = 0; j < A; ++j) {
          const auto a = amplitude[s][j];
          const auto shifted = at::cat({a.narrow(0, sh, n - sh), a.narrow(0, 0, sh)});  // a((t + sh) mod n)
          const double ref = naive_mi(row(phase[ps][i]), row(shifted), 18, eps).mi;
          ASSERT_NEAR(surrogates[s][k][i][j].item<double>(), ref, 1e-12 * std::abs(ref) + 1e-15)
              << "perm " << k << " signal " << s;
        }
    }
  // Without a phase_index each signal keeps its phase; shift 0 reproduces the observed MI.
  const auto zero = at::zeros({1, S}, at::kLong);
  EXPECT_TRUE(at::allclose(std::get<3>(gpac::ops::mi_scatter(phase, amplitude, 18, std::nullopt, zero)).select(1, 0),
                           mi, 1e-13, 0));
}

TEST(OpsCpu, MiScatterFloat32MatchesFloat64) {
  at::manual_seed(5);
  const auto phase = at::rand({2, 3, 4000}, at::kDouble) * (2 * kPi) - kPi;
  const auto amplitude = 1.5 + (phase.select(1, 1).unsqueeze(1) * at::ones({1, 5, 1}, at::kDouble)).sin();
  auto mi64 = std::get<0>(gpac::ops::mi_scatter(phase, amplitude, 18));
  auto mi32 = std::get<0>(gpac::ops::mi_scatter(phase.to(at::kFloat), amplitude.to(at::kFloat), 18));
  ASSERT_EQ(mi32.scalar_type(), at::kFloat);
  EXPECT_LT(((mi32.to(at::kDouble) - mi64).abs() / mi64).max().item<double>(), 1e-3);
}

TEST(OpsCpu, BadArgumentsRaiseClearErrors) {
  const auto x = at::randn({2, 1000}, at::kDouble);
  const auto taps = gpac::ops::fir_taps(512, {8}, {12}, 1000, 3);
  auto x_nan = x.clone();
  x_nan[1][17] = NAN;
  try {
    gpac::ops::filter(x_nan, taps);
    FAIL() << "NaN input accepted";
  } catch (const c10::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[1, 17]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gpac::ops::filter(at::randn({2, 100}, at::kComplexDouble), taps), c10::TypeError);
  EXPECT_THROW(gpac::ops::filter(x.narrow(1, 0, 150), taps), c10::ValueError);  // taps longer than signal
  EXPECT_THROW(gpac::ops::hilbert(at::scalar_tensor(1.0)), c10::ValueError);
  EXPECT_THROW(gpac::ops::hilbert(at::empty({0, 10})), c10::ValueError);
  const auto ph = at::zeros({2, 3, 100}), am = at::ones({2, 4, 100});
  EXPECT_THROW(gpac::ops::mi_scatter(ph, am, 1), c10::ValueError);
  EXPECT_THROW(gpac::ops::mi_scatter(ph, at::ones({2, 4, 99}), 18), c10::ValueError);
  EXPECT_THROW(gpac::ops::mi_scatter(ph, -am, 18), c10::ValueError);
  EXPECT_THROW(gpac::ops::fir_taps(512, {90}, {256}, 1000, 6), c10::ValueError);
  const auto bad_shift = at::full({2, 2}, 100, at::kLong);  // n_times is 100
  EXPECT_THROW(gpac::ops::mi_scatter(ph, am, 18, std::nullopt, bad_shift), c10::ValueError);
  EXPECT_THROW(gpac::ops::mi_scatter(ph, am, 18, std::nullopt, at::zeros({2, 3}, at::kLong)), c10::ValueError);
  EXPECT_THROW(gpac::ops::mi_scatter(ph, am, 18, at::full({1, 2}, 2, at::kLong), std::nullopt), c10::ValueError);
}

TEST(OpsCpu, MetaKernelsGiveShapes) {
  const auto x = at::empty({5, 2, 3000}, at::TensorOptions().device(at::kMeta).dtype(at::kFloat));
  const auto taps = at::empty({7, 200}, at::TensorOptions().device(at::kMeta).dtype(at::kDouble));
  EXPECT_EQ(gpac::ops::filter(x, taps).sizes(), (at::IntArrayRef{5, 2, 7, 3000}));
  auto [ph, am] = gpac::ops::filter_hilbert(x, taps, taps.narrow(0, 0, 3));
  EXPECT_EQ(ph.sizes(), (at::IntArrayRef{5, 2, 7, 3000}));
  EXPECT_EQ(am.sizes(), (at::IntArrayRef{5, 2, 3, 3000}));
  EXPECT_EQ(ph.scalar_type(), at::kFloat);
  auto [mi, sums, counts, surrogates] = gpac::ops::mi_scatter(ph, am, 18);
  EXPECT_EQ(surrogates.sizes(), (at::IntArrayRef{5, 2, 0, 7, 3}));
  EXPECT_EQ(mi.sizes(), (at::IntArrayRef{5, 2, 7, 3}));
  EXPECT_EQ(sums.sizes(), (at::IntArrayRef{5, 2, 7, 3, 18}));
  EXPECT_EQ(counts.sizes(), (at::IntArrayRef{5, 2, 7, 18}));
}

TEST(OpsCpu, PacOpIsTheComposedPipeline) {
  // gpac::pac in one call equals the ops it stands for (designs, plan,
  // modulation_index, surrogate_stats, amp_dist), bit for bit.
  at::manual_seed(31);
  const int64_t n = 2500, K = 5;
  const auto x = at::randn({2, 3, n}, at::kDouble);
  gpac::PacOptions o;
  o.fs = 512;
  o.pha_low = {4, 8};
  o.pha_high = {8, 12};
  o.amp_low = {60, 100};
  o.amp_high = {90, 140};
  o.n_perm = K;
  o.surrogate = "swap_trials";
  o.seed = 9;
  o.return_dist = true;
  const auto r = gpac::ops::pac(x, o);
  const auto pha = gpac::ops::fir_taps(512, o.pha_low, o.pha_high, n, 3);
  const auto amp = gpac::ops::fir_taps(512, o.amp_low, o.amp_high, n, 6);
  const auto [phase_index, shift] = gpac::ops::surrogate_plan(K, 6, n, "swap_trials", 9, "torch", false, 3);
  const auto [mi, sums, counts, surrogates] = gpac::ops::modulation_index(x, pha, amp, 18, 0, phase_index, shift);
  const auto [z, p] = gpac::ops::surrogate_stats(mi, surrogates, 4);
  EXPECT_TRUE(at::equal(r.mi, mi));
  EXPECT_TRUE(at::equal(r.surrogates, surrogates));
  EXPECT_TRUE(at::equal(r.z, z));
  EXPECT_TRUE(at::equal(r.p, p));
  const auto mean = sums / counts.unsqueeze(-2).clamp_min(1).to(at::kDouble);
  EXPECT_LT((r.amp_dist - mean / mean.sum(-1, true)).abs().max().item<double>(), 1e-15);

  // nan="propagate": the bad trial's outputs are NaN, a clean trial's are as before.
  auto bad = x.clone();
  bad.select(0, 1).select(0, 2).select(0, 17).fill_(std::numeric_limits<double>::quiet_NaN());
  o.nan = "propagate";
  const auto q = gpac::ops::pac(bad, o);
  EXPECT_TRUE(q.mi[1][2].isnan().all().item<bool>());
  EXPECT_TRUE(at::equal(q.mi[0], r.mi[0]));
  o.nan = "raise";
  EXPECT_THROW(gpac::ops::pac(bad, o), c10::ValueError);
}

}  // namespace
