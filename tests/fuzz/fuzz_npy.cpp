// libFuzzer target: gpac_run's .npy reader on arbitrary bytes. A file is
// either read (the tensor is then touched end to end) or refused with
// NpyError; anything else (a crash, a sanitizer report, another exception)
// is a finding. tests/fuzz/run_fuzz.sh builds and runs it.
#include <ATen/ATen.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "tools/gpac_run/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // read_npy maps files: each input goes through a file of its own.
  static const std::string path = "/dev/shm/gpac_fuzz_npy_" + std::to_string(::getpid()) + ".npy";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const auto t = gpac::read_npy(path);
    if (t.numel() > 0) (void)t.reshape(-1).to(at::kDouble).sum().item<double>();
  } catch (const gpac::NpyError&) {
  }
  return 0;
}
