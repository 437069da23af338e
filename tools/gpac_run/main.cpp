// gpac_run: phase-amplitude coupling of the signals in a .npy file, as a
// JSON config describes it (tools/gpac_run/run_config.h), results written as JSON (and
// .npy for large arrays). A bad config, file or input gives a message and exit
// code 2; another failure while computing, a message and exit code 1.
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "tools/gpac_run/npy.h"
#include "tools/gpac_run/run_config.h"

namespace {

constexpr const char* kUsage =
    "usage: gpac_run CONFIG.json SIGNALS.npy OUTPUT.json\n"
    "\n"
    "  CONFIG.json   {\"fs\": 512, \"pha_bands\": \"lres\", \"amp_bands\": [[60, 90], [90, 140]],\n"
    "                 \"n_perm\": 200, \"seed\": 0, \"device\": \"cpu\"}  (keys: tools/gpac_run/run_config.h)\n"
    "  SIGNALS.npy   float32/float64/int16/int32/int64 array, (n_signals, n_times) or (n_times,)\n"
    "  OUTPUT.json   mi (and z, p with n_perm > 0) as (n_signals, n_pha, n_amp); arrays over\n"
    "                npy_threshold elements go to OUTPUT.<name>.npy\n";

int fail(int code, const std::string& message) {
  std::cerr << "gpac_run: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (argc != 4) return fail(2, std::string("expected 3 arguments\n") + kUsage);
  const std::string config_path = argv[1], signals_path = argv[2], output_path = argv[3];
  gpac::RunConfig config;
  at::Tensor signals;
  try {
    std::ifstream in(config_path);
    if (!in) return fail(2, config_path + ": cannot open the config file");
    config = gpac::parse_config(nlohmann::json::parse(in));
    signals = gpac::read_npy(signals_path);
  } catch (const nlohmann::json::exception& e) {
    return fail(2, config_path + ": not valid JSON: " + e.what());
  } catch (const std::exception& e) {
    return fail(2, e.what());
  }
  try {
    const auto start = std::chrono::steady_clock::now();
    const auto result = gpac::run_pac(config, signals);
    auto out = gpac::results_json(config, result, signals, output_path);
    out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::ofstream file(output_path);
    if (!file) return fail(2, output_path + ": cannot write the output");
    file << out.dump(1) << "\n";
    std::cout << "gpac_run: " << out["n_signals"] << " signal(s) x " << out["n_times"] << " samples -> " << output_path
              << "\n";
  } catch (const c10::ValueError& e) {  // the ops refused the input (a band above Nyquist, NaN samples, ...)
    return fail(2, e.what_without_backtrace());
  } catch (const c10::Error& e) {
    return fail(1, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
  return 0;
}
