#pragma once
#include <cstdint>

// Freed host memory handed back to the system between the windows of a long
// call (csrc/spectral.cpp for_each_window).
//
// glibc's malloc raises its mmap threshold to the size of the largest block it
// frees (up to 32 MiB): after the first window, the windows' buffers come from
// the heap, which keeps what they free, and blocks of other sizes (the last
// window's, the next band group's) leave holes that later ones do not fit. The
// process then grows well past memory_budget: 2 channels x 40 min with a
// 64 MiB budget peaked at 79 to 141 MiB above the call's start from run to
// run, and at 60 MiB with the heap's free memory returned after every window.
namespace gpac {

// Returns the heap's free pages to the system when it holds more than
// `keep_bytes` of them, or more than 8 MiB when keep_bytes is smaller: what the
// next window will reuse is not worth the page faults of handing it back. A
// no-op outside glibc.
void release_freed_host_memory(int64_t keep_bytes);

}  // namespace gpac
