// The CUDA kernels through the dispatcher against the CPU kernels (the
// reference), skipped when no GPU is visible. compute-sanitizer runs this
// binary (tests/gpu_check.sh).
#include <gtest/gtest.h>
#include <ATen/ATen.h>

#include <limits>
#include <utility>

#include "csrc/gpac.h"

namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

bool have_gpu() { return at::hasCUDA(); }  // the CUDA hooks are loaded and see a device

#define SKIP_WITHOUT_GPU() \
  if (!have_gpu()) GTEST_SKIP() << "no CUDA GPU on this machine: the CUDA kernels are compiled but cannot run here"

at::Tensor cuda(const at::Tensor& t) { return t.to(at::kCUDA); }

TEST(OpsCuda, FilterHilbertAndMiScatterMatchCpu) {
  SKIP_WITHOUT_GPU();
  at::manual_seed(21);
  const int64_t n = 3001;
  for (auto dtype : {at::kDouble, at::kFloat}) {
    const auto x = at::randn({4, n}, at::TensorOptions().dtype(dtype));
    const auto pha = gpac::ops::fir_taps(512, {2, 4, 8, 13}, {4, 8, 12, 30}, n, 3);
    const auto amp = gpac::ops::fir_taps(512, {60, 80, 120}, {80, 120, 160}, n, 6);
    auto [phase_c, amp_c] = gpac::ops::filter_hilbert(x, pha, amp);
    auto [phase_g, amp_g] = gpac::ops::filter_hilbert(cuda(x), cuda(pha), cuda(amp));
    const auto dphi = at::remainder(phase_g.cpu().to(at::kDouble) - phase_c.to(at::kDouble) + kPi, 2 * kPi) - kPi;
    EXPECT_LT(dphi.abs().max().item<double>(), dtype == at::kDouble ? 1e-9 : 1e-5);
    EXPECT_LT(((amp_g.cpu() - amp_c).abs().max() / amp_c.abs().max()).item<double>(),
              dtype == at::kDouble ? 1e-12 : 1e-5);

    auto [mi_c, sums_c, counts_c, surr_c] = gpac::ops::mi_scatter(phase_c, amp_c, 18);
    auto [mi_g, sums_g, counts_g, surr_g] = gpac::ops::mi_scatter(cuda(phase_c), cuda(amp_c), 18);
    EXPECT_TRUE(at::equal(counts_g.cpu(), counts_c));
    EXPECT_LT(((mi_g.cpu() - mi_c).abs() / mi_c.abs()).max().item<double>(), dtype == at::kDouble ? 1e-9 : 1e-4);
  }
}

TEST(OpsCuda, PipelineOpMatchesCpuUnderABudget) {
  SKIP_WITHOUT_GPU();
  at::manual_seed(22);
  const int64_t n = 2048;
  const auto x = at::randn({3, 2, n}, at::TensorOptions().dtype(at::kDouble));
  const auto pha = gpac::ops::fir_taps(512, {4, 8}, {8, 12}, n, 3);
  const auto amp = gpac::ops::fir_taps(512, {60, 90, 130}, {90, 110, 160}, n, 6);
  const auto [phase, amplitude] = gpac::ops::filter_hilbert(x, pha, amp);
  const auto ref = std::get<0>(gpac::ops::mi_scatter(phase, amplitude, 18));
  for (int64_t budget : {0, 1}) {
    const auto mi = std::get<0>(gpac::ops::modulation_index(cuda(x), cuda(pha), cuda(amp), 18, budget));
    ASSERT_EQ(mi.sizes(), (at::IntArrayRef{3, 2, 2, 3}));
    EXPECT_LT(((mi.cpu() - ref).abs() / ref.abs()).max().item<double>(), 1e-9) << "budget " << budget;
  }
}

TEST(OpsCuda, SurrogatesMatchCpu) {
  SKIP_WITHOUT_GPU();
  at::manual_seed(23);
  const int64_t S = 6, n = 2000, K = 9;
  const auto phase = at::rand({S, 3, n}, at::kDouble) * (2 * kPi) - kPi;
  const auto amplitude = at::rand({S, 4, n}, at::kDouble) + 0.5;
  const auto shift = at::randint(0, n, {K, S}, at::kLong);
  const auto phase_index =
      at::stack({at::randperm(S, at::kLong), at::arange(S, at::kLong)}).repeat({5, 1}).narrow(0, 0, K);
  const auto ref = std::get<3>(gpac::ops::mi_scatter(phase, amplitude, 18, phase_index, shift));
  const auto got = std::get<3>(gpac::ops::mi_scatter(cuda(phase), cuda(amplitude), 18, cuda(phase_index), cuda(shift)));
  ASSERT_EQ(got.sizes(), (at::IntArrayRef{S, K, 3, 4}));
  EXPECT_LT(((got.cpu() - ref).abs() / ref.abs()).max().item<double>(), 1e-9);
}

TEST(OpsCuda, PacOpMatchesCpu) {
  // The one-op pipeline on CUDA (fused spectral path, device checks, NaN
  // marking, z and p) against the CPU.
  SKIP_WITHOUT_GPU();
  at::manual_seed(24);
  const int64_t n = 3001;
  auto x = at::randn({2, 4, n}, at::kDouble);
  x.select(0, 1).select(0, 3).select(0, 5).fill_(std::numeric_limits<double>::infinity());
  gpac::PacOptions o;
  o.fs = 512;
  o.pha_low = {2, 4, 8};
  o.pha_high = {4, 8, 12};
  o.amp_low = {60, 100};
  o.amp_high = {90, 140};
  o.n_perm = 12;
  o.surrogate = "swap_trials";
  o.seed = 3;
  o.return_dist = true;
  o.nan = "propagate";
  const auto c = gpac::ops::pac(x, o);
  const auto g = gpac::ops::pac(cuda(x), o);
  const std::pair<const char*, std::pair<at::Tensor, at::Tensor>> outputs[] = {
      {"mi", {c.mi, g.mi}},
      {"z", {c.z, g.z}},
      {"surrogates", {c.surrogates, g.surrogates}},
      {"amp_dist", {c.amp_dist, g.amp_dist}}};
  for (const auto& [name, pair] : outputs) {
    const auto& ref = pair.first;
    const auto got = pair.second.cpu();
    EXPECT_TRUE(at::equal(got.isnan(), ref.isnan())) << name;
    const auto ok = ref.isnan().logical_not();
    const auto err =
        ((got.masked_select(ok) - ref.masked_select(ok)).abs() / ref.masked_select(ok).abs().clamp_min(1e-12));
    EXPECT_LT(err.max().item<double>(), 1e-6) << name;
  }
}

}  // namespace
