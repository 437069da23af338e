// When the CPU kernels open a parallel region. Waking the pool's threads costs
// more than a small call's whole work when another library's threads still
// spin on the cores (a NumPy matmul just before: a 1 x 512-sample, 10 x 10-band
// call took 0.32 ms in a tight loop but 3.98 ms after one on two threads, and
// 0.56 ms after one with torch.set_num_threads(1)). So work below
// kParallelWork runs on the calling thread; above it, the items are shared out.
#pragma once

#include <algorithm>
#include <cstdint>

namespace gpac {

// Work counted in samples touched: one FFT row of n_fft counts n_fft, one
// histogram pass over a row of n samples for w amplitude bands counts n * w.
// The small call above is about 2e4; 8 x 2048 samples at 10 x 10 bands about
// 6e5, which two threads do in 60% of one thread's time.
constexpr int64_t kParallelWork = int64_t{1} << 17;

// The grain for at::parallel_for over `items` items totalling `work`: all of
// them (no parallel region) when the work is small, else one.
inline int64_t parallel_grain(int64_t items, int64_t work) {
  return work < kParallelWork ? std::max<int64_t>(1, items) : 1;
}

}  // namespace gpac
