#include "csrc/host_memory.h"

#include <algorithm>
#include <cstddef>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gpac {

void release_freed_host_memory(int64_t keep_bytes) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const size_t keep = static_cast<size_t>(std::max<int64_t>(keep_bytes, int64_t{8} << 20));
  // mallinfo2 walks the free lists of every arena: microseconds, once a window.
  if (mallinfo2().fordblks > keep) malloc_trim(0);
#else
  (void)keep_bytes;
#endif
}

}  // namespace gpac
