// Replays the inputs that fuzzing gpac_run's readers found
// (tests/fuzz/run_fuzz.sh, libFuzzer): every file of the corpus must be read
// or refused with the reader's own error, never crash, leak past a sanitizer
// or throw anything else. CI runs it in the sanitizer build too.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tools/gpac_run/npy.h"
#include "tools/gpac_run/run_config.h"

namespace {

std::vector<std::filesystem::path> corpus(const std::string& name) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(GPAC_FUZZ_CORPUS) + "/" + name))
    if (entry.is_regular_file()) files.push_back(entry.path());
  return files;
}

TEST(FuzzCorpus, NpyFilesAreReadOrRefused) {
  const auto files = corpus("npy");
  ASSERT_GE(files.size(), 6u) << "the .npy corpus is missing";
  int64_t read = 0;
  for (const auto& file : files) {
    try {
      const auto t = gpac::read_npy(file.string());
      if (t.numel() > 0) (void)t.reshape(-1).to(at::kDouble).sum().item<double>();
      ++read;
    } catch (const gpac::NpyError&) {
    }
  }
  EXPECT_GE(read, 6) << "the seed arrays must still be read";
}

TEST(FuzzCorpus, ConfigsAreParsedOrRefused) {
  const auto files = corpus("config");
  ASSERT_GE(files.size(), 3u) << "the configuration corpus is missing";
  int64_t parsed = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded()) continue;
    try {
      (void)gpac::parse_config(config);
      ++parsed;
    } catch (const gpac::ConfigError&) {
    }
  }
  EXPECT_GE(parsed, 3) << "the seed configurations must still parse";
}

}  // namespace
