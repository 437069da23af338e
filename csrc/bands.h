// Frequency bands as TensorPAC makes them (tensorpac.utils.pac_vec), free of
// LibTorch; gpac::linear_bands and gpac::preset_bands (ops/registration.cpp)
// expose them.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace gpac {

using Band = std::array<double, 2>;  // [low, high] in Hz

// n bands centred on numpy.linspace(low, high, n), TensorPAC's widths: phase
// bands [f - f/4, f + f/4], amplitude bands [f - f/8, f + f/8]. kind is
// "phase" or "amplitude". Throws std::invalid_argument on bad arguments.
std::vector<Band> linear_bands(double low, double high, int64_t n, const std::string& kind);

// TensorPAC's presets: 'lres' (10 bands), 'mres' (30), 'hres' (50), 'demon'
// (70), 'hulk' (100) over 2-20 Hz (phase) or 60-160 Hz (amplitude).
std::vector<Band> preset_bands(const std::string& name, const std::string& kind);

}  // namespace gpac
