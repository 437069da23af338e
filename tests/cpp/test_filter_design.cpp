// Filter design against TensorPAC's published values (docs/algorithms.md), Python's
// float floor division, and properties checked with independent float64 /
// long double arithmetic written here.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>

#include "csrc/filter_design.h"

namespace {

constexpr long double kPiL = 3.141592653589793238462643383279502884L;

// |sum_k b_k exp(-2j pi f k)| at f cycles per sample, in long double.
long double gain_at(const std::vector<double>& b, long double f) {
  std::complex<long double> acc = 0;
  for (size_t k = 0; k < b.size(); ++k) acc += static_cast<long double>(b[k]) * std::polar(1.0L, -2 * kPiL * f * k);
  return std::abs(acc);
}

TEST(FilterDesign, TensorpacReferenceValues) {
  // fs 512, n_times 2000, band [90, 110] Hz, cycle 6: order 30 and b[:3].
  EXPECT_EQ(gpac::fir_order(512, 2000, 90, 6), 30);
  const auto b = gpac::bandpass_taps(512, 90, 110, 2000, 6);
  ASSERT_EQ(b.size(), 31u);
  EXPECT_NEAR(b[0], 0.0050888991, 5e-11);
  EXPECT_NEAR(b[1], -0.0006830104, 5e-11);
  EXPECT_NEAR(b[2], -0.0097845755, 5e-11);
  // band [8, 12] Hz, cycle 3: order 192.
  EXPECT_EQ(gpac::fir_order(512, 2000, 8, 3), 192);
}

TEST(FilterDesign, OrderFollowsPythonFloorDivision) {
  // In Python 1.0 // 0.1 == 9.0 although 1.0 / 0.1 == 10.0.
  EXPECT_EQ(gpac::fir_order(1.0, 1000, 0.1, 1), 9);
  EXPECT_EQ(gpac::fir_order(1000.0, 100000, 3.0, 3), 3 * 333);
}

TEST(FilterDesign, OrderClippedForShortSignals) {
  // 3 * floor(512 / 8) = 192 needs 576 samples; 100 samples clip to 33.
  EXPECT_EQ(gpac::fir_order(512, 100, 8, 3), 33);
  EXPECT_EQ(gpac::fir_order(512, 577, 8, 3), 192);
  EXPECT_EQ(gpac::fir_order(512, 575, 8, 3), 191);
}

TEST(FilterDesign, EvenTapCountIsTypeTwo) {
  // fs 1024, low 8 Hz, 1000 samples: order (1000 - 1) // 3 = 333, 334 taps.
  EXPECT_EQ(gpac::fir_order(1024, 1000, 8, 3), 333);
  const auto b = gpac::bandpass_taps(1024, 8, 12, 1000, 3);
  ASSERT_EQ(b.size(), 334u);
  for (size_t k = 0; k < b.size(); ++k) EXPECT_DOUBLE_EQ(b[k], b[b.size() - 1 - k]);
  EXPECT_NEAR(static_cast<double>(gain_at(b, 10.0L / 1024)), 1.0, 1e-12);
  EXPECT_LT(static_cast<double>(gain_at(b, 0.5L)), 1e-12);  // type II: zero at Nyquist
}

TEST(FilterDesign, RandomBandsAreSymmetricWithUnitCentreGain) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    const double fs = 100 + 1900 * u(rng);
    const double low = 1 + (fs / 2 - 10) * 0.8 * u(rng);
    const double high = low + (fs / 2 - 1 - low) * (0.05 + 0.9 * u(rng));
    const int64_t cycle = 1 + static_cast<int64_t>(6 * u(rng));
    const int64_t n_times = static_cast<int64_t>(std::ceil(fs / low)) + static_cast<int64_t>(4000 * u(rng));
    ASSERT_EQ(gpac::band_error(fs, low, high, n_times, cycle, "band"), "");
    const auto b = gpac::bandpass_taps(fs, low, high, n_times, cycle);
    ASSERT_EQ(static_cast<int64_t>(b.size()), gpac::fir_order(fs, n_times, low, cycle) + 1);
    for (size_t k = 0; k < b.size(); ++k) ASSERT_NEAR(b[k], b[b.size() - 1 - k], 1e-15);
    // fir1 normalises the gain at the centre of the band to exactly one.
    ASSERT_NEAR(static_cast<double>(gain_at(b, (low + high) / 2 / fs)), 1.0, 1e-12)
        << "fs " << fs << " band [" << low << ", " << high << "] taps " << b.size();
  }
}

TEST(FilterDesign, NextFastLenMatchesBruteForce) {
  EXPECT_EQ(gpac::next_fast_len(1000), 1000);
  EXPECT_EQ(gpac::next_fast_len(1001), 1024);
  EXPECT_EQ(gpac::next_fast_len(4001), 4050);
  auto smooth = [](int64_t v) {
    for (int64_t p : {2, 3, 5})
      while (v % p == 0) v /= p;
    return v == 1;
  };
  for (int64_t n = 1; n <= 20000; ++n) {
    int64_t m = n;
    while (!smooth(m)) ++m;
    ASSERT_EQ(gpac::next_fast_len(n), m) << n;
  }
}

TEST(FilterDesign, BandErrorsNameTheProblem) {
  EXPECT_NE(gpac::band_error(512, 90, 256, 2000, 6, "amplitude band 2").find("Nyquist"), std::string::npos);
  EXPECT_NE(gpac::band_error(512, 90, 256, 2000, 6, "amplitude band 2").find("amplitude band 2"), std::string::npos);
  EXPECT_NE(gpac::band_error(512, 12, 8, 2000, 3, "band").find("low < high"), std::string::npos);
  EXPECT_NE(gpac::band_error(512, 8, 8, 2000, 3, "band").find("low < high"), std::string::npos);
  EXPECT_NE(gpac::band_error(0, 8, 12, 2000, 3, "band").find("sampling frequency"), std::string::npos);
  EXPECT_NE(gpac::band_error(-512, 8, 12, 2000, 3, "band").find("sampling frequency"), std::string::npos);
  EXPECT_NE(gpac::band_error(512, 0, 12, 2000, 3, "band").find("above 0 Hz"), std::string::npos);
  EXPECT_NE(gpac::band_error(512, NAN, 12, 2000, 3, "band").find("non-finite"), std::string::npos);
  EXPECT_NE(gpac::band_error(512, 8, 12, 50, 3, "band").find("too short"), std::string::npos);
  EXPECT_NE(gpac::band_error(512, 8, 12, 2000, 0, "band").find("cycle"), std::string::npos);
  EXPECT_EQ(gpac::band_error(512, 8, 12, 64, 3, "band"), "");  // exactly one period
}

}  // namespace
