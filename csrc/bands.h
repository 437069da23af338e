// Frequency bands as TensorPAC makes them (tensorpac.utils.pac_vec), and the
// statistics of the MI against its surrogates. LibTorch-free band helpers,
// ATen statistics; the ops in ops/registration.cpp expose both.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <string>
#include <tuple>
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

// z: the MI normalised by its surrogates (..., n_perm, P, A) as TensorPAC's
// idpac[2] (1 subtract the mean, 2 divide by it, 3 both, 4 z-score with the
// population deviation, 0 none; 0 where the mean or deviation is 0), and p:
// (1 + #{surrogate >= mi}) / (1 + n_perm), per cell.
std::tuple<at::Tensor, at::Tensor> surrogate_stats(const at::Tensor& mi, const at::Tensor& surrogates, int64_t norm);

}  // namespace gpac
