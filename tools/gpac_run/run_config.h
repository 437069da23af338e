// gpac_run's configuration (a JSON object) and the run it describes: the same
// pipeline as gpac.pac, through the ops, for programs without Python.
//
// Keys (all optional but fs): fs (Hz); pha_bands / amp_bands: [[low, high],
// ...], a TensorPAC preset ("lres", "mres", "hres", "demon", "hulk") or
// {"range": [low, high], "n_bands": n} (defaults: 10 bands over 2-20 / 60-160
// Hz); n_bins (18); cycle ([3, 6]); n_perm (0); surrogate ("block_swap",
// "swap_trials", "time_lag"); norm ("zscore", "subtract", "divide",
// "subtract_divide", "none"); seed (0); rng ("torch", "tensorpac");
// independent (false); device ("cpu", "cuda", "cuda:1"); dtype ("auto": the
// file's float type, integers as float32; "float32", "float64");
// memory_budget (bytes, 0: default); npy_threshold (arrays with more elements
// are written to .npy files beside the JSON output; 10000); method ("mi",
// "hr", "mvl", "ndpac", "ps", "gc": csrc/pac_methods.h); ndpac_p (0.05; null: no
// threshold); dcomplex ("hilbert", "wavelet": Morlet wavelets of `width`
// cycles, 7); window, step (seconds: time-resolved PAC, every window of
// `window` s starting every `step` s, default `window`; the outputs gain an
// n_windows axis and the JSON the windows' centres).
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "csrc/bands.h"

namespace gpac {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunConfig {
  double fs = 0;
  std::vector<Band> pha_bands, amp_bands;
  int64_t n_bins = 18;
  int64_t pha_cycle = 3, amp_cycle = 6;
  int64_t n_perm = 0;
  std::string surrogate = "block_swap";
  int64_t norm = 4;
  int64_t seed = 0;
  std::string rng = "torch";
  bool independent = false;
  std::string device = "cpu";
  std::string dtype = "auto";
  int64_t memory_budget = 0;
  int64_t npy_threshold = 10000;
  std::string method = "mi";             // csrc/pac_methods.h
  std::optional<double> ndpac_p = 0.05;  // null in the JSON: no threshold
  std::string dcomplex = "hilbert";      // or "wavelet"
  double width = 7.0;                    // Morlet cycles
  double window = 0, step = 0;           // seconds; 0: the whole recording
};

// Validates the JSON and fills a RunConfig; ConfigError names the bad key.
RunConfig parse_config(const nlohmann::json& config);

// The measure of config.method (n_signals, P, A), written under the method's
// name ("mi", "mvl", ...), and z and p when n_perm > 0.
struct RunResult {
  at::Tensor mi, z, p;
};

// Signals (n_signals, n_times) or (n_times,) of any float/int dtype.
RunResult run_pac(const RunConfig& config, const at::Tensor& signals);

// The results as JSON; arrays with more than npy_threshold elements go to
// "<output stem>.<name>.npy" files, referenced by name and shape.
nlohmann::json results_json(const RunConfig& config, const RunResult& result, const at::Tensor& signals,
                            const std::string& output_path);

}  // namespace gpac
