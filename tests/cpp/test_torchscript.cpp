// A plain C++ LibTorch program loading a gpac.PAC that the Python suite
// scripted (tests/python/test_torchscript.py writes it to
// $GPAC_TORCHSCRIPT_DIR/pac_case.pt; tests/run_all.py runs pytest first), and
// checking it gives the eager Python result, and that it backpropagates (the
// Autograd kernels are C++: ops/autograd.cpp): the TorchScript code calls the
// gpac ops that libgpac_ops.so registers.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

// The module the Python suite wrote; skipped when run outside tests/run_all.py.
class TorchScript : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("GPAC_TORCHSCRIPT_DIR");
    if (dir == nullptr)
      GTEST_SKIP() << "GPAC_TORCHSCRIPT_DIR is not set: tests/run_all.py scripts the module with pytest first";
    const auto path = std::filesystem::path(dir) / "pac_case.pt";
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: the Python suite did not write it";
    module = torch::jit::load(path.string());
  }
  torch::jit::Module module;
};

TEST_F(TorchScript, PythonScriptedModuleGivesTheEagerResult) {
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

TEST_F(TorchScript, LoadedModuleBackpropagates) {
  const auto x = module.attr("x").toTensor().clone().requires_grad_(true);
  const auto mi = module.forward({x}).toGenericDict().at("mi").toTensor();
  ASSERT_TRUE(mi.requires_grad());
  mi.sum().backward();
  const auto expected = module.attr("expected_grad").toTensor();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_GT(expected.abs().sum().item<double>(), 0);
  EXPECT_TRUE(at::allclose(x.grad(), expected, 1e-5, 1e-8))
      << "the gradient differs from Python's by " << (x.grad() - expected).abs().max().item<double>();
}

}  // namespace
