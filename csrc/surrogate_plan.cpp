#include "csrc/surrogate_plan.h"
#include "csrc/error_text.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <utility>

namespace gpac {

LegacyRandomState::LegacyRandomState(uint32_t seed) {
  // numpy's mt19937_seed: MT19937's init_genrand.
  mt_[0] = seed;
  for (int i = 1; i < 624; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  index_ = 624;
}

uint32_t LegacyRandomState::next() {
  if (index_ >= 624) {  // regenerate the 624 words (MT19937)
    for (int i = 0; i < 624; ++i) {
      const uint32_t y = (mt_[i] & 0x80000000u) | (mt_[(i + 1) % 624] & 0x7fffffffu);
      mt_[i] = mt_[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    index_ = 0;
  }
  uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint64_t LegacyRandomState::interval(uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;  // the smallest 2^k - 1 >= max
  for (int s = 1; s <= 32; s *= 2) mask |= mask >> s;
  uint64_t value;
  while ((value = (next() & mask)) > max) {
  }
  return value;
}

int64_t LegacyRandomState::randint(int64_t low, int64_t high) {
  return low + static_cast<int64_t>(interval(static_cast<uint64_t>(high - 1 - low)));
}

std::vector<int64_t> LegacyRandomState::permutation(int64_t n) {
  std::vector<int64_t> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = i;
  for (int64_t i = n - 1; i >= 1; --i) std::swap(out[i], out[interval(static_cast<uint64_t>(i))]);
  return out;
}

std::tuple<at::Tensor, at::Tensor> surrogate_plan(int64_t n_perm, int64_t n_signals, int64_t n_times,
                                                  const std::string& method, int64_t seed, const std::string& rng,
                                                  bool independent, int64_t n_trials) {
  GPAC_CHECK_VALUE(method == "block_swap" || method == "swap_trials" || method == "time_lag",
                   "surrogate must be 'block_swap', 'swap_trials' or 'time_lag', got '", method, "'");
  GPAC_CHECK_VALUE(rng == "torch" || rng == "tensorpac", "rng must be 'torch' or 'tensorpac', got '", rng, "'");
  GPAC_CHECK_VALUE(n_perm >= 0, "n_perm must be >= 0, got ", n_perm);
  GPAC_CHECK_VALUE(n_signals >= 1 && n_times >= 2, "surrogates need signals of at least 2 samples, got ", n_signals,
                   " signal(s) of ", n_times);
  GPAC_CHECK_VALUE(n_trials >= 1 && n_signals % n_trials == 0, "n_trials (", n_trials,
                   ") must divide the number of signals (", n_signals, ")");
  if (method == "swap_trials")
    GPAC_CHECK_VALUE(n_trials >= 2, "swap_trials needs at least 2 trials along the trial axis, got ", n_trials);
  if (rng == "tensorpac")
    GPAC_CHECK_VALUE(seed >= 0 && seed + n_perm <= (int64_t{1} << 32),
                     "with rng='tensorpac' the seeds seed + k must lie in [0, 2**32), got seed ", seed);
  const auto opts = at::TensorOptions().dtype(at::kLong);
  auto phase_index = at::arange(n_signals, opts).repeat({n_perm, 1});
  auto shift = at::zeros({n_perm, n_signals}, opts);
  const int64_t width = independent ? n_signals : 1;   // shifts drawn per permutation
  const int64_t low = method == "block_swap" ? 1 : 0;  // a cut in [1, n), a lag in [0, n)

  if (rng == "torch") {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
    if (method == "swap_trials") {
      auto idx = phase_index.view({n_perm, n_signals / n_trials, n_trials});
      for (int64_t k = 0; k < n_perm; ++k)
        idx.select(0, k).copy_(idx.select(0, k).index_select(1, at::randperm(n_trials, gen, opts)));
    } else if (n_perm > 0) {
      shift.copy_(at::randint(low, n_times, {n_perm, width}, gen, opts).expand({n_perm, n_signals}));
    }
  } else {
    auto idx = phase_index.accessor<int64_t, 2>();
    auto sh = shift.accessor<int64_t, 2>();
    for (int64_t k = 0; k < n_perm; ++k) {
      LegacyRandomState state(static_cast<uint32_t>(seed + k));
      if (method == "swap_trials") {
        const auto perm = state.permutation(n_trials);
        for (int64_t s = 0; s < n_signals; ++s) idx[k][s] = (s / n_trials) * n_trials + perm[s % n_trials];
      } else {
        for (int64_t w = 0; w < width; ++w) {
          const int64_t value = state.randint(low, n_times);
          for (int64_t s = independent ? w : 0; s < (independent ? w + 1 : n_signals); ++s) sh[k][s] = value;
        }
      }
    }
  }
  return {phase_index, shift};
}

}  // namespace gpac
