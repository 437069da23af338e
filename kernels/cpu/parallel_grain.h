// When the CPU kernels open a parallel region. Waking the pool's threads costs
// more than a small call's whole work when another library's threads still
// spin on the cores (a NumPy matmul just before: a 1 x 512-sample, 10 x 10-band
// call took 0.32 ms in a tight loop but 3.98 ms after one on two threads, and
// 0.56 ms after one with torch.set_num_threads(1)). So work below
// kParallelWork runs on the calling thread; above it, the items are shared out.
#pragma once

#include <algorithm>
#include <cstdint>

#include "csrc/spectral.h"

namespace gpac {

// Work counted in units of about 5 ns of one core (measured on 2-core AMD
// EPYC, 8 x 2048 samples at 10 x 10 bands): one FFT row of n_fft samples
// (its three transforms and element loops) counts n_fft; a histogram pass
// counts 2 / 5 a prefix entry it reads (two a run, one a sample to build
// it); finding runs 1 / 4 a bin byte. kParallelWork is then about 0.65 ms of
// one core: a 1 x 512-sample call (about 2e4) and 2 x 1024 (about 7e4)
// stay on the calling thread; 8 x 2048 (5.5e5 in its transforms) is shared
// out, which two threads do in 55% of one thread's time. After a NumPy
// matmul a parallel region cost 3-7 ms more on two cores, so below this
// the threads are not worth waking.
constexpr int64_t kParallelWork = int64_t{1} << 17;

// Once a call has woken the threads (a CallScope records it), its later
// stages share out work down to this (about 40 us): entering a region then
// costs a few microseconds.
constexpr int64_t kAwakeParallelWork = int64_t{1} << 13;

// Whether `work` is worth a parallel region in the running call; records
// that the threads are awake when it is.
inline bool worth_threads(int64_t work) {
  auto* call = CallScope::current();
  if (work < (call && call->threads_woken ? kAwakeParallelWork : kParallelWork)) return false;
  if (call) call->threads_woken = true;
  return true;
}

// The grain for at::parallel_for over `items` items totalling `work`: all of
// them (no parallel region) unless the work is worth the threads, else one.
inline int64_t parallel_grain(int64_t items, int64_t work) {
  return worth_threads(work) ? 1 : std::max<int64_t>(1, items);
}

}  // namespace gpac
