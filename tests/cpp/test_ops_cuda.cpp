// The CUDA kernels through the dispatcher against the CPU kernels (the
// reference), skipped when no GPU is visible. compute-sanitizer runs this
// binary (tests/gpu_check.sh).
#include <gtest/gtest.h>
#include <ATen/ATen.h>

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
  const auto phase_index = at::stack({at::randperm(S, at::kLong), at::arange(S, at::kLong)}).repeat({5, 1}).narrow(0, 0, K);
  const auto ref = std::get<3>(gpac::ops::mi_scatter(phase, amplitude, 18, phase_index, shift));
  const auto got =
      std::get<3>(gpac::ops::mi_scatter(cuda(phase), cuda(amplitude), 18, cuda(phase_index), cuda(shift)));
  ASSERT_EQ(got.sizes(), (at::IntArrayRef{S, K, 3, 4}));
  EXPECT_LT(((got.cpu() - ref).abs() / ref.abs()).max().item<double>(), 1e-9);
}

}  // namespace
