#include "tools/gpac_run/run_config.h"
#include "csrc/error_text.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <cmath>
#include <map>
#include <set>
#include <type_traits>

#include "csrc/gpac.h"
#include "tools/gpac_run/npy.h"

namespace gpac {
namespace {

using nlohmann::json;

// An integer setting. nlohmann converts a float to an integer with a plain
// cast, undefined outside the integer's range (2e90 bands): only JSON integers
// that fit int64 are taken.
int64_t integer(const json& value, const std::string& key) {
  const bool fits = value.is_number_integer() &&
                    !(value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
  if (!fits)
    throw ConfigError(key + " must be an integer (at most " + std::to_string(INT64_MAX) + "), got " + value.dump());
  return value.get<int64_t>();
}

std::vector<Band> parse_bands(const json& value, const std::string& key, const std::string& kind) {
  try {
    if (value.is_string()) return preset_bands(value.get<std::string>(), kind);
    if (value.is_object()) {
      for (const auto& [k, v] : value.items())
        if (k != "range" && k != "n_bands")
          throw ConfigError(key + ": unknown key '" + k + "' (expected \"range\" and \"n_bands\")");
      if (!value.contains("range") || !value.contains("n_bands"))
        throw ConfigError(key + " as an object needs \"range\": [low, high] and \"n_bands\": n");
      const auto range = value.at("range").get<std::vector<double>>();
      if (range.size() != 2) throw ConfigError(key + ".range must be [low, high] in Hz");
      return linear_bands(range[0], range[1], integer(value.at("n_bands"), key + ".n_bands"), kind);
    }
    if (value.is_array()) {
      std::vector<Band> bands;
      for (const auto& band : value) {
        const auto edges = band.get<std::vector<double>>();
        if (edges.size() != 2) throw ConfigError(key + ": every band must be [low, high] in Hz");
        bands.push_back({edges[0], edges[1]});
      }
      if (bands.empty()) throw ConfigError(key + " is an empty list; give at least one [low, high] band");
      return bands;
    }
  } catch (const json::exception& e) {
    throw ConfigError(key + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw ConfigError(key + ": " + e.what());
  }
  throw ConfigError(key + " must be [[low, high], ...], a preset name or {\"range\": [low, high], \"n_bands\": n}");
}

template <typename T>
T get(const json& config, const std::string& key, T fallback) {
  if (!config.contains(key)) return fallback;
  try {
    const auto& value = config.at(key);
    if constexpr (std::is_same_v<T, int64_t>) {
      return integer(value, key);
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      if (!value.is_array()) throw ConfigError(key + " must be a list of integers, got " + value.dump());
      std::vector<int64_t> out;
      for (const auto& v : value) out.push_back(integer(v, key));
      return out;
    } else {
      return value.get<T>();
    }
  } catch (const json::exception& e) {
    throw ConfigError(key + " has the wrong type: " + e.what());
  }
}

at::Tensor bands_tensor(const std::vector<Band>& bands) {
  auto t = at::empty({static_cast<int64_t>(bands.size()), 2}, at::TensorOptions().dtype(at::kDouble));
  for (size_t i = 0; i < bands.size(); ++i) {
    t[i][0] = bands[i][0];
    t[i][1] = bands[i][1];
  }
  return t;
}

json tensor_json(const at::Tensor& t) {
  const auto c = t.cpu().to(at::kDouble).contiguous();
  if (c.dim() == 0) return c.item<double>();
  json out = json::array();
  for (int64_t i = 0; i < c.size(0); ++i) out.push_back(tensor_json(c[i]));
  return out;
}

// Seconds as a whole number of samples, half a sample rounding up (as
// gpac.pac's window= and step= do).
int64_t samples(double seconds, double fs) { return std::llround(seconds * fs); }

}  // namespace

RunConfig parse_config(const json& config) {
  if (!config.is_object()) throw ConfigError("the configuration must be a JSON object");
  static const std::set<std::string> known{
      "fs",      "pha_bands", "amp_bands",   "n_bins", "cycle", "n_perm",        "surrogate",     "norm",
      "seed",    "rng",       "independent", "device", "dtype", "memory_budget", "npy_threshold", "method",
      "ndpac_p", "dcomplex",  "width",       "window", "step"};
  for (const auto& [key, value] : config.items())
    if (!known.count(key)) throw ConfigError("unknown key '" + key + "' in the configuration");
  RunConfig c;
  if (!config.contains("fs")) throw ConfigError("fs (the sampling frequency in Hz) is required");
  c.fs = get<double>(config, "fs", 0.0);
  if (!(c.fs > 0)) throw ConfigError("fs must be a positive number of Hz, got " + config.at("fs").dump());
  c.pha_bands = config.contains("pha_bands") ? parse_bands(config.at("pha_bands"), "pha_bands", "phase")
                                             : linear_bands(2.0, 20.0, 10, "phase");
  c.amp_bands = config.contains("amp_bands") ? parse_bands(config.at("amp_bands"), "amp_bands", "amplitude")
                                             : linear_bands(60.0, 160.0, 10, "amplitude");
  c.n_bins = get<int64_t>(config, "n_bins", 18);
  const auto cycle = get<std::vector<int64_t>>(config, "cycle", {3, 6});
  if (cycle.size() != 2) throw ConfigError("cycle must be [phase cycles, amplitude cycles]");
  c.pha_cycle = cycle[0];
  c.amp_cycle = cycle[1];
  c.n_perm = get<int64_t>(config, "n_perm", 0);
  if (c.n_perm < 0) throw ConfigError("n_perm must be >= 0, got " + std::to_string(c.n_perm));
  c.surrogate = get<std::string>(config, "surrogate", "block_swap");
  static const std::map<std::string, int64_t> norms{
      {"none", 0}, {"subtract", 1}, {"divide", 2}, {"subtract_divide", 3}, {"zscore", 4}};
  const auto norm = get<std::string>(config, "norm", "zscore");
  if (!norms.count(norm))
    throw ConfigError("norm must be \"zscore\", \"subtract\", \"divide\", \"subtract_divide\" or \"none\", got \"" +
                      norm + "\"");
  c.norm = norms.at(norm);
  if (c.norm == 4 && c.n_perm == 1) throw ConfigError("norm \"zscore\" needs n_perm >= 2 surrogates");
  c.seed = get<int64_t>(config, "seed", 0);
  c.rng = get<std::string>(config, "rng", "torch");
  c.independent = get<bool>(config, "independent", false);
  c.device = get<std::string>(config, "device", "cpu");
  c.dtype = get<std::string>(config, "dtype", "auto");
  if (c.dtype != "auto" && c.dtype != "float32" && c.dtype != "float64")
    throw ConfigError("dtype must be \"auto\", \"float32\" or \"float64\", got \"" + c.dtype + "\"");
  c.memory_budget = get<int64_t>(config, "memory_budget", 0);
  c.npy_threshold = get<int64_t>(config, "npy_threshold", 10000);
  c.method = get<std::string>(config, "method", "mi");
  if (c.method != "mi" && c.method != "hr" && c.method != "mvl" && c.method != "ndpac" && c.method != "ps" &&
      c.method != "gc")
    throw ConfigError("method must be \"mi\", \"hr\", \"mvl\", \"ndpac\", \"ps\" or \"gc\", got \"" + c.method + "\"");
  if (config.contains("ndpac_p") && config.at("ndpac_p").is_null()) {
    c.ndpac_p = std::nullopt;
  } else {
    c.ndpac_p = get<double>(config, "ndpac_p", 0.05);
    if (!(*c.ndpac_p > 0 && *c.ndpac_p <= 1))
      throw ConfigError("ndpac_p must be in (0, 1], or null for no threshold, got " + config.at("ndpac_p").dump());
  }
  c.dcomplex = get<std::string>(config, "dcomplex", "hilbert");
  if (c.dcomplex != "hilbert" && c.dcomplex != "wavelet")
    throw ConfigError("dcomplex must be \"hilbert\" or \"wavelet\", got \"" + c.dcomplex + "\"");
  c.width = get<double>(config, "width", 7.0);
  if (!(c.width > 0 && std::isfinite(c.width)))
    throw ConfigError("width (Morlet cycles) must be a positive number, got " + config.at("width").dump());
  if (config.contains("step") && !config.contains("window"))
    throw ConfigError("step needs a window (seconds): give \"window\" as well");
  c.window = get<double>(config, "window", 0.0);
  if (config.contains("window") && !(c.window > 0 && std::isfinite(c.window)))
    throw ConfigError("window must be a positive number of seconds, got " + config.at("window").dump());
  c.step = get<double>(config, "step", c.window);
  if (config.contains("step") && !(c.step > 0 && std::isfinite(c.step)))
    throw ConfigError("step must be a positive number of seconds, got " + config.at("step").dump());
  return c;
}

RunResult run_pac(const RunConfig& c, const at::Tensor& signals) {
  GPAC_CHECK_VALUE(signals.dim() == 1 || signals.dim() == 2,
                   "the signals must be an array of shape (n_signals, n_times) or (n_times,), got ", signals.dim(),
                   " dims");
  at::Device device("cpu");
  try {
    device = at::Device(c.device);
  } catch (const c10::Error&) {
    GPAC_CHECK_VALUE(false, "device \"", c.device, "\" is not a device name (cpu, cuda, cuda:1)");
  }
  auto x = signals;
  if (c.dtype == "float32") x = x.to(at::kFloat);
  if (c.dtype == "float64") x = x.to(at::kDouble);
  x = x.to(device);
  GPAC_CHECK_VALUE(x.size(-1) >= 1 && x.numel() > 0, "the signals are empty");
  PacOptions o;
  o.fs = c.fs;
  for (const auto& b : c.pha_bands) o.pha_low.push_back(b[0]), o.pha_high.push_back(b[1]);
  for (const auto& b : c.amp_bands) o.amp_low.push_back(b[0]), o.amp_high.push_back(b[1]);
  o.n_bins = c.n_bins;
  o.pha_cycle = c.pha_cycle;
  o.amp_cycle = c.amp_cycle;
  o.memory_budget = c.memory_budget;
  o.n_perm = c.n_perm;
  o.surrogate = c.surrogate;
  o.norm = c.norm;
  o.seed = c.seed;
  o.rng = c.rng;
  o.independent = c.independent;
  o.method = c.method;
  o.ndpac_p = c.ndpac_p;
  o.dcomplex = c.dcomplex;
  o.width = c.width;
  o.window = samples(c.window, c.fs);
  o.step = samples(c.step, c.fs);
  // swap_trials permutes the rows of a (n_signals, n_times) array: trials on axis -2.
  const auto r = ops::pac(x, o);
  return {r.mi, c.n_perm > 0 ? r.z : at::Tensor(), c.n_perm > 0 ? r.p : at::Tensor()};
}

json results_json(const RunConfig& c, const RunResult& r, const at::Tensor& signals, const std::string& output_path) {
  json out;
  out["fs"] = c.fs;
  out["n_signals"] = signals.dim() == 2 ? signals.size(0) : 1;
  out["n_times"] = signals.size(-1);
  out["device"] = c.device;
  out["dtype"] = std::string(c10::toString(r.mi.scalar_type()));
  out["n_bins"] = c.n_bins;
  out["n_perm"] = c.n_perm;
  out["pha_bands"] = tensor_json(bands_tensor(c.pha_bands));
  out["amp_bands"] = tensor_json(bands_tensor(c.amp_bands));
  out["method"] = c.method;
  if (c.n_perm > 0) {
    out["surrogate"] = c.surrogate;
    out["seed"] = c.seed;
    out["rng"] = c.rng;
  }
  if (c.window > 0) {
    const int64_t window = samples(c.window, c.fs), step = samples(c.step, c.fs);
    out["window"] = c.window;
    out["step"] = c.step;
    json centres = json::array();
    for (int64_t start = 0; start + window <= signals.size(-1); start += step)
      centres.push_back((start + (window - 1) / 2.0) / c.fs);
    out["window_centers"] = centres;
  }
  const auto stem = std::filesystem::path(output_path).replace_extension("");
  for (const auto& [name, t] : std::map<std::string, at::Tensor>{{c.method, r.mi}, {"z", r.z}, {"p", r.p}}) {
    if (!t.defined()) continue;
    const auto value = signals.dim() == 1 ? t.squeeze(0) : t;
    if (value.numel() > c.npy_threshold) {
      const auto file = stem.string() + "." + name + ".npy";
      write_npy(file, value.cpu());
      out[name] = {{"npy", std::filesystem::path(file).filename().string()}, {"shape", value.sizes().vec()}};
    } else {
      out[name] = tensor_json(value);
    }
  }
  return out;
}

}  // namespace gpac
