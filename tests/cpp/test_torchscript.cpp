// A plain C++ LibTorch program loading a gpac.PAC that the Python suite
// scripted (tests/python/test_torchscript.py writes it to
// $GPAC_TORCHSCRIPT_DIR/pac_case.pt; tests/run_all.py runs pytest first), and
// checking it gives the eager Python result: the TorchScript code calls the
// gpac ops that libgpac_ops.so registers.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

TEST(TorchScript, PythonScriptedModuleGivesTheEagerResult) {
  const char* dir = std::getenv("GPAC_TORCHSCRIPT_DIR");
  if (dir == nullptr)
    GTEST_SKIP() << "GPAC_TORCHSCRIPT_DIR is not set: tests/run_all.py scripts the module with pytest first";
  const auto path = std::filesystem::path(dir) / "pac_case.pt";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: the Python suite did not write it";
  auto module = torch::jit::load(path.string());
  const auto x = module.attr("x").toTensor();
  const auto out = module.forward({x}).toGenericDict();
  for (const std::string name : {"mi", "z", "p", "amp_dist"}) {
    const auto got = out.at(name).toTensor();
    const auto expected = module.attr("expected_" + name).toTensor();
    ASSERT_EQ(got.sizes(), expected.sizes()) << name;
    EXPECT_TRUE(at::equal(got, expected))
        << name << " differs from the eager result by " << (got - expected).abs().max().item<double>();
  }
}

}  // namespace
