// Surrogate plans: which phase signal and which amplitude shift each
// permutation uses (the index arithmetic of csrc/device_kernels.h), drawn once
// per call on the host.
//
// Methods (TensorPAC's idpac[1]):
//  - block_swap (2): cut the amplitude at a random sample c in [1, n) and swap
//    the two blocks, i.e. read the amplitude from sample t + c circularly;
//  - swap_trials (1): pair each trial's amplitude with the phase of another
//    trial (a random permutation of the trials, the same for every channel);
//  - time_lag (3): shift the phase by a random lag L in [0, n), which pairs
//    phase(t) with amplitude(t + L) circularly, i.e. a shift of L.
// Draws:
//  - "torch": torch.Generator().manual_seed(seed); randint(1, n, (K,)) cuts
//    (randint(0, n) lags, (K, S) when independent), randperm(n_trials) per
//    permutation;
//  - "tensorpac": TensorPAC's own draw, permutation k from
//    numpy.random.RandomState(seed + k): randint(1, n) cuts, randint(n) lags,
//    permutation(n_trials); with independent shifts, size=n_signals from the
//    same RandomState.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace gpac {

// numpy.random.RandomState(seed) (legacy MT19937) for the two draws TensorPAC
// makes: randint(low, high) and permutation(n).
class LegacyRandomState {
 public:
  explicit LegacyRandomState(uint32_t seed);
  int64_t randint(int64_t low, int64_t high);  // [low, high)
  std::vector<int64_t> permutation(int64_t n);

 private:
  uint64_t interval(uint64_t max);  // numpy's masked rejection, in [0, max]
  uint32_t next();
  uint32_t mt_[624];
  int index_;
};

// (phase_index, shift), each (n_perm, n_signals) int64 on the CPU. Signals are
// the flattened leading dims, trials the last of them (n_signals is a
// multiple of n_trials); phase_index is the identity except for swap_trials.
std::tuple<at::Tensor, at::Tensor> surrogate_plan(int64_t n_perm, int64_t n_signals, int64_t n_times,
                                                  const std::string& method, int64_t seed, const std::string& rng,
                                                  bool independent, int64_t n_trials);

}  // namespace gpac
