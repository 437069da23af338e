// libFuzzer target: gpac_run's JSON configuration parser on arbitrary bytes.
// Text that is not JSON is refused by nlohmann's parser (not exercised
// further); JSON is either accepted or refused with ConfigError; anything else
// (a crash, a sanitizer report, another exception) is a finding.
// tests/fuzz/run_fuzz.sh builds and runs it.
#include <nlohmann/json.hpp>

#include <cstdint>

#include "tools/gpac_run/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto config = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return 0;
  try {
    (void)gpac::parse_config(config);
  } catch (const gpac::ConfigError&) {
  }
  return 0;
}
