// Gradients in a pure C++ LibTorch program (no Python has run): the Autograd
// kernels of ops/autograd.cpp against central finite differences in float64,
// along a random direction v: <grad f(x), v> = (f(x + h v) - f(x - h v)) / 2h.
#include <gtest/gtest.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <functional>

#include "csrc/gpac.h"

namespace {

constexpr double kFs = 64.0;
constexpr int64_t kN = 160;

// Fresh float64 draws, reproducible by seed.
at::Tensor normal(at::IntArrayRef shape, uint64_t seed) {
  return at::randn(shape, at::make_generator<at::CPUGeneratorImpl>(seed), at::TensorOptions().dtype(at::kDouble));
}
at::Tensor uniform(at::IntArrayRef shape, uint64_t seed) {
  return at::rand(shape, at::make_generator<at::CPUGeneratorImpl>(seed), at::TensorOptions().dtype(at::kDouble));
}

// A scalar of x through f, weighted by fixed random weights per output.
using Loss = std::function<at::Tensor(const at::Tensor&)>;

Loss weighted(std::function<std::vector<at::Tensor>(const at::Tensor&)> f) {
  return [f](const at::Tensor& x) {
    auto total = at::zeros({}, x.options());
    int64_t k = 0;
    for (const auto& t : f(x)) {
      const auto w = normal(t.sizes(), 100 + k++);
      total = total + (t * w).sum();
    }
    return total;
  };
}

// Relative error of the autograd directional derivative against finite differences.
double gradient_error(const Loss& loss, const at::Tensor& x0) {
  const auto x = x0.detach().clone().requires_grad_(true);
  const auto grad = torch::autograd::grad({loss(x)}, {x})[0];
  EXPECT_TRUE(grad.defined());
  const auto v = normal(x0.sizes(), 7);
  const double h = 1e-6;
  at::NoGradGuard no_grad;
  const double numeric = (loss(x0 + h * v) - loss(x0 - h * v)).item().toDouble() / (2 * h);
  const double analytic = (grad * v).sum().item().toDouble();
  EXPECT_GT(std::abs(analytic), 1e-8) << "the gradient vanishes along v: the check would pass vacuously";
  return std::abs(analytic - numeric) / std::max(std::abs(numeric), 1e-12);
}

class Gradients : public ::testing::Test {
 protected:
  at::Tensor x = normal({2, kN}, 1);
  at::Tensor pha = gpac::ops::fir_taps(kFs, {4.0, 8.0}, {8.0, 12.0}, kN, 3);
  at::Tensor amp = gpac::ops::fir_taps(kFs, {15.0, 20.0}, {25.0, 30.0}, kN, 3);
};

TEST_F(Gradients, FilterMatchesFiniteDifferences) {
  EXPECT_LT(gradient_error(weighted([&](const at::Tensor& v) { return std::vector{gpac::ops::filter(v, amp)}; }), x),
            1e-6);
}

TEST_F(Gradients, HilbertPhaseAndAmplitudeMatchFiniteDifferences) {
  EXPECT_LT(gradient_error(weighted([](const at::Tensor& v) {
                             auto [phase, amplitude] = gpac::ops::hilbert(v);
                             return std::vector{phase, amplitude};
                           }),
                           x),
            1e-6);
}

TEST_F(Gradients, FilterHilbertMatchesFiniteDifferences) {
  EXPECT_LT(gradient_error(weighted([&](const at::Tensor& v) {
                             auto [phase, amplitude] = gpac::ops::filter_hilbert(v, pha, amp);
                             return std::vector{phase, amplitude};
                           }),
                           x),
            1e-6);
}

TEST_F(Gradients, MiScatterAmplitudeMatchesFiniteDifferences) {
  const auto phase = uniform({2, 2, kN}, 3) * 6.2 - 3.1;
  const auto amplitude = uniform({2, 3, kN}, 4) + 0.5;
  EXPECT_LT(gradient_error(weighted([&](const at::Tensor& a) {
                             auto [mi, sums, counts, surrogates] = gpac::ops::mi_scatter(phase, a, 6);
                             return std::vector{mi, sums};
                           }),
                           amplitude),
            1e-6);
}

TEST_F(Gradients, ModulationIndexMatchesFiniteDifferences) {
  EXPECT_LT(gradient_error(weighted([&](const at::Tensor& v) {
                             auto [mi, sums, counts, surrogates] = gpac::ops::modulation_index(v, pha, amp, 6);
                             return std::vector{mi, sums};
                           }),
                           x),
            1e-6);
}

TEST_F(Gradients, PacMiAndDistributionsMatchFiniteDifferences) {
  gpac::PacOptions o;
  o.fs = kFs;
  o.pha_low = {4.0, 8.0};
  o.pha_high = {8.0, 12.0};
  o.amp_low = {15.0, 20.0};
  o.amp_high = {25.0, 30.0};
  o.n_bins = 6;
  o.n_perm = 4;
  o.seed = 2;
  o.return_dist = true;
  EXPECT_LT(gradient_error(weighted([&](const at::Tensor& v) {
                             const auto out = gpac::ops::pac(v, o);
                             return std::vector{out.mi, out.amp_dist};
                           }),
                           x),
            1e-6);
  // The same outputs as the fused pipeline that runs without a gradient.
  const auto fused = gpac::ops::pac(x, o);
  const auto composed = gpac::ops::pac(x.clone().requires_grad_(true), o);
  EXPECT_TRUE(composed.mi.requires_grad());
  EXPECT_TRUE(at::allclose(composed.mi.detach(), fused.mi, 1e-12, 1e-14));
  EXPECT_TRUE(at::allclose(composed.z.detach(), fused.z, 1e-10, 1e-12));
  EXPECT_TRUE(at::allclose(composed.amp_dist.detach(), fused.amp_dist, 1e-12, 1e-14));
}

TEST_F(Gradients, NoGradientIsRecordedWithoutOne) {
  const auto v = x.clone().requires_grad_(true);
  at::NoGradGuard no_grad;
  auto [mi, sums, counts, surrogates] = gpac::ops::modulation_index(v, pha, amp, 6);
  EXPECT_FALSE(mi.requires_grad());
}

}  // namespace
