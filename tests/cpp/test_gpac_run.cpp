// gpac_run: its .npy reader and writer, its configuration, and the program
// itself (run as a subprocess) on good and bad inputs.
#include <gtest/gtest.h>
#include <ATen/ATen.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "csrc/gpac.h"
#include "tools/gpac_run/npy.h"
#include "tools/gpac_run/run_config.h"

namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  auto dir = fs::temp_directory_path() / ("gpac_run_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A .npy file with the given header dict and raw data (version 1.0).
std::string npy_bytes(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string expect_npy_error(const fs::path& path) {
  try {
    gpac::read_npy(path.string());
  } catch (const gpac::NpyError& e) {
    return e.what();
  }
  ADD_FAILURE() << path << " was accepted";
  return "";
}

TEST(Npy, RoundTripsAndReadsFortranOrder) {
  const auto dir = temp_dir();
  for (auto dtype : {at::kFloat, at::kDouble, at::kLong}) {
    const auto t = at::randn({3, 7}, at::kDouble).mul(100).to(dtype);
    gpac::write_npy((dir / "a.npy").string(), t);
    EXPECT_TRUE(at::equal(gpac::read_npy((dir / "a.npy").string()), t));
  }
  const auto v = at::arange(5, at::kDouble);
  gpac::write_npy((dir / "v.npy").string(), v);
  EXPECT_TRUE(at::equal(gpac::read_npy((dir / "v.npy").string()), v));
  // Fortran order: the data is the transpose's C order.
  const auto t = at::arange(6, at::kDouble).view({2, 3});
  const auto data = t.t().contiguous();
  write_bytes(dir / "f.npy", npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                                       std::string(static_cast<const char*>(data.data_ptr()), data.nbytes())));
  EXPECT_TRUE(at::equal(gpac::read_npy((dir / "f.npy").string()), t));
}

TEST(Npy, MapsCOrderDataCopyOnWrite) {
  // The data is mapped, not read: writes to the tensor stay private, the file
  // keeps its values, and a second read sees them.
  const auto dir = temp_dir();
  const auto path = (dir / "m.npy").string();
  const auto t = at::randn({3, 1001}, at::kFloat);
  gpac::write_npy(path, t);
  auto mapped = gpac::read_npy(path);
  ASSERT_TRUE(at::equal(mapped, t));
  mapped.mul_(2);
  EXPECT_TRUE(at::equal(mapped, t * 2));
  EXPECT_TRUE(at::equal(gpac::read_npy(path), t));
}

TEST(Npy, BadFilesSayWhatIsWrong) {
  const auto dir = temp_dir();
  const std::string eight(8, '\0');
  write_bytes(dir / "magic.npy", "PK\x03\x04 not numpy");
  EXPECT_NE(expect_npy_error(dir / "magic.npy").find("not a .npy file"), std::string::npos);
  write_bytes(dir / "short.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", eight));
  EXPECT_NE(expect_npy_error(dir / "short.npy").find("promises 48 bytes"), std::string::npos);
  write_bytes(dir / "big.npy", npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", eight));
  EXPECT_NE(expect_npy_error(dir / "big.npy").find("big-endian"), std::string::npos);
  write_bytes(dir / "complex.npy", npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (), }", eight));
  EXPECT_NE(expect_npy_error(dir / "complex.npy").find("not supported"), std::string::npos);
  write_bytes(dir / "noshape.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, }", eight));
  EXPECT_NE(expect_npy_error(dir / "noshape.npy").find("'shape'"), std::string::npos);
  EXPECT_NE(expect_npy_error(dir / "missing.npy").find("cannot open"), std::string::npos);
}

TEST(RunConfig, ParsesBandsAndDefaults) {
  const auto c = gpac::parse_config(nlohmann::json::parse(
      R"({"fs": 500, "pha_bands": [[4, 8], [8, 12]], "amp_bands": {"range": [60, 160], "n_bands": 3}})"));
  EXPECT_EQ(c.pha_bands.size(), 2u);
  EXPECT_EQ(c.amp_bands.size(), 3u);
  EXPECT_DOUBLE_EQ(c.amp_bands[1][0], 110 - 110 / 8.0);
  EXPECT_EQ(c.n_bins, 18);
  EXPECT_EQ(c.norm, 4);
  const auto d = gpac::parse_config(nlohmann::json::parse(R"({"fs": 512, "amp_bands": "hres"})"));
  EXPECT_EQ(d.pha_bands.size(), 10u);  // the default: 10 bands over 2-20 Hz
  EXPECT_EQ(d.amp_bands.size(), 50u);
}

// parse_config's ConfigError message for `text`, or "accepted".
std::string config_error(const char* text) {
  try {
    gpac::parse_config(nlohmann::json::parse(text));
  } catch (const gpac::ConfigError& e) {
    return std::string(e.what());
  }
  return std::string("accepted");
}

TEST(RunConfig, ErrorsNameTheKey) {
  EXPECT_NE(config_error(R"({"pha_bands": "lres"})").find("fs"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 0})").find("positive"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "nperm": 5})").find("unknown key 'nperm'"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "norm": "robust"})").find("norm"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "n_perm": 1})").find("n_perm >= 2"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "pha_bands": "ultra"})").find("unknown band preset"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "pha_bands": [[4, 8, 12]]})").find("[low, high]"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": "fast"})").find("wrong type"), std::string::npos);
}

TEST(RunConfig, RunGivesTheOpsResult) {
  at::manual_seed(3);
  const auto x = at::randn({3, 1500}, at::kDouble);
  const auto c = gpac::parse_config(nlohmann::json::parse(
      R"({"fs": 512, "pha_bands": [[4, 8]], "amp_bands": [[60, 90], [90, 130]], "n_perm": 10, "seed": 2})"));
  const auto r = gpac::run_pac(c, x);
  const auto pt = gpac::ops::fir_taps(512, {4}, {8}, 1500, 3);
  const auto at_ = gpac::ops::fir_taps(512, {60, 90}, {90, 130}, 1500, 6);
  auto [pi, shift] = gpac::ops::surrogate_plan(10, 3, 1500, "block_swap", 2, "torch", false, 1);
  auto [mi, sums, counts, surrogates] = gpac::ops::modulation_index(x, pt, at_, 18, 0, std::nullopt, shift);
  EXPECT_TRUE(at::equal(r.mi, mi));
  EXPECT_TRUE(at::equal(r.z, std::get<0>(gpac::ops::surrogate_stats(mi, surrogates, 4))));
}

TEST(RunConfig, WindowsReachTheOp) {
  at::manual_seed(7);
  const auto x = at::randn({2, 512 * 6}, at::kDouble);
  const auto c = gpac::parse_config(nlohmann::json::parse(
      R"({"fs": 512, "pha_bands": [[4, 8]], "amp_bands": [[60, 90], [90, 120]], "window": 2, "step": 0.5})"));
  gpac::PacOptions o;
  o.fs = 512;
  o.pha_low = {4};
  o.pha_high = {8};
  o.amp_low = {60, 90};
  o.amp_high = {90, 120};
  o.window = 1024;
  o.step = 256;
  const auto mi = gpac::run_pac(c, x).mi;
  EXPECT_EQ(mi.sizes(), (std::vector<int64_t>{2, 9, 1, 2}));
  EXPECT_TRUE(at::equal(mi, gpac::ops::pac(x, o).mi));
  // Each window's MI is mi_scatter's on the window cut out of the whole band-passed signals.
  const auto [phase, amplitude] = gpac::ops::filter_hilbert(
      x, gpac::ops::fir_taps(512, {4}, {8}, x.size(1), 3), gpac::ops::fir_taps(512, {60, 90}, {90, 120}, x.size(1), 6));
  const auto cut = [](const at::Tensor& t) { return t.narrow(-1, 3 * 256, 1024).contiguous(); };
  EXPECT_TRUE(at::equal(mi.select(1, 3), std::get<0>(gpac::ops::mi_scatter(cut(phase), cut(amplitude), 18))));
  const auto out = gpac::results_json(c, gpac::run_pac(c, x), x, "/tmp/unused.json");
  ASSERT_EQ(out.at("window_centers").size(), 9u);
  EXPECT_DOUBLE_EQ(out.at("window_centers")[1].get<double>(), (256 + 511.5) / 512);
  EXPECT_NE(config_error(R"({"fs": 512, "step": 1})").find("step needs a window"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "window": -2})").find("window"), std::string::npos);
}

TEST(RunConfig, WaveletsReachTheOp) {
  at::manual_seed(6);
  const auto x = at::randn({2, 1500}, at::kDouble);
  const auto c = gpac::parse_config(nlohmann::json::parse(
      R"({"fs": 512, "pha_bands": [[4, 8]], "amp_bands": [[60, 90]], "dcomplex": "wavelet", "width": 5})"));
  EXPECT_EQ(c.dcomplex, "wavelet");
  EXPECT_EQ(c.width, 5.0);
  gpac::PacOptions o;
  o.fs = 512;
  o.pha_low = {4};
  o.pha_high = {8};
  o.amp_low = {60};
  o.amp_high = {90};
  o.dcomplex = "wavelet";
  o.width = 5;
  EXPECT_TRUE(at::equal(gpac::run_pac(c, x).mi, gpac::ops::pac(x, o).mi));
  o.dcomplex = "hilbert";
  EXPECT_FALSE(at::allclose(gpac::run_pac(c, x).mi, gpac::ops::pac(x, o).mi));
  EXPECT_NE(config_error(R"({"fs": 512, "dcomplex": "morlet"})").find("dcomplex"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "width": -1})").find("width"), std::string::npos);
}

TEST(RunConfig, MethodsReachTheOp) {
  at::manual_seed(5);
  const auto x = at::randn({2, 1500}, at::kDouble);
  const auto c = gpac::parse_config(nlohmann::json::parse(
      R"({"fs": 512, "pha_bands": [[4, 8]], "amp_bands": [[60, 90]], "method": "ndpac", "ndpac_p": null})"));
  EXPECT_EQ(c.method, "ndpac");
  EXPECT_FALSE(c.ndpac_p.has_value());
  gpac::PacOptions o;
  o.fs = 512;
  o.pha_low = {4};
  o.pha_high = {8};
  o.amp_low = {60};
  o.amp_high = {90};
  o.method = "ndpac";
  o.ndpac_p = std::nullopt;
  EXPECT_TRUE(at::equal(gpac::run_pac(c, x).mi, gpac::ops::pac(x, o).mi));
  o.method = "mvl";
  EXPECT_FALSE(at::equal(gpac::run_pac(c, x).mi, gpac::ops::pac(x, o).mi));
  const auto json = gpac::results_json(c, gpac::run_pac(c, x), x, (temp_dir() / "r.json").string());
  EXPECT_EQ(json.at("method"), "ndpac");
  EXPECT_TRUE(json.contains("ndpac") && !json.contains("mi"));
  EXPECT_NE(config_error(R"({"fs": 512, "method": "plv"})").find("method"), std::string::npos);
  EXPECT_NE(config_error(R"({"fs": 512, "ndpac_p": 0})").find("ndpac_p"), std::string::npos);
}

// Runs gpac_run; returns its exit code, stderr into `err`.
int run_program(const std::vector<std::string>& args, std::string& err) {
  const auto log = temp_dir() / "stderr.txt";
  std::string cmd = GPAC_RUN_PATH;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " > /dev/null 2> '" + log.string() + "'";
  const int status = std::system(cmd.c_str());
  std::stringstream s;
  s << std::ifstream(log).rdbuf();
  err = s.str();
  return WEXITSTATUS(status);
}

TEST(GpacRun, WritesResultsAndRefusesBadInput) {
  const auto dir = temp_dir();
  at::manual_seed(4);
  gpac::write_npy((dir / "x.npy").string(), at::randn({2, 2000}, at::kFloat));
  std::ofstream(dir / "cfg.json") << R"({"fs": 512, "pha_bands": "lres", "amp_bands": [[60, 90]], "n_perm": 5,
                                        "npy_threshold": 4})";
  std::string err;
  ASSERT_EQ(run_program({(dir / "cfg.json").string(), (dir / "x.npy").string(), (dir / "out.json").string()}, err), 0)
      << err;
  const auto out = nlohmann::json::parse(std::ifstream(dir / "out.json"));
  EXPECT_EQ(out["mi"]["npy"], "out.mi.npy");  // 2 x 10 x 1 = 20 elements > npy_threshold
  EXPECT_EQ(gpac::read_npy((dir / "out.mi.npy").string()).sizes(), (at::IntArrayRef{2, 10, 1}));
  EXPECT_EQ(out["n_perm"], 5);

  std::ofstream(dir / "bad.json") << R"({"fs": 512, "amp_bands": [[200, 300]]})";
  EXPECT_EQ(run_program({(dir / "bad.json").string(), (dir / "x.npy").string(), (dir / "o.json").string()}, err), 2);
  EXPECT_NE(err.find("Nyquist"), std::string::npos) << err;
  write_bytes(dir / "bad.npy", "garbage");
  EXPECT_EQ(run_program({(dir / "cfg.json").string(), (dir / "bad.npy").string(), (dir / "o.json").string()}, err), 2);
  EXPECT_NE(err.find("not a .npy file"), std::string::npos) << err;
  EXPECT_EQ(run_program({"only-one-argument"}, err), 2);
  EXPECT_NE(err.find("usage"), std::string::npos);
}

}  // namespace
