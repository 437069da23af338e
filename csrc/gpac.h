// Public C++ API of gPAC for LibTorch programs: typed calls of the gpac ops
// through the dispatcher (so CPU, CUDA and autograd kernels are picked as in
// Python), plus the filter design. Link libgpac_ops.so (its static
// registrations load the ops) and LibTorch.
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "csrc/filter_design.h"
#include "csrc/pipeline.h"

namespace gpac::ops {

namespace detail {
template <typename Sig>
c10::TypedOperatorHandle<Sig> op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<Sig>();
}
}  // namespace detail

inline at::Tensor fir_taps(double fs, const std::vector<double>& low, const std::vector<double>& high, int64_t n_times,
                           int64_t cycle, const std::string& kind = "band",
                           std::optional<at::Device> device = std::nullopt) {
  static const auto h = detail::op<at::Tensor(double, at::ArrayRef<double>, at::ArrayRef<double>, int64_t, int64_t,
                                              c10::string_view, std::optional<at::Device>)>("gpac::fir_taps");
  return h.call(fs, low, high, n_times, cycle, kind, device);
}

// TensorPAC's Morlet wavelets as complex taps (n_bands, L) complex128.
inline at::Tensor morlet_wavelets(double fs, const std::vector<double>& low, const std::vector<double>& high,
                                  double width = 7.0, const std::string& kind = "band",
                                  std::optional<at::Device> device = std::nullopt) {
  static const auto h = detail::op<at::Tensor(double, at::ArrayRef<double>, at::ArrayRef<double>, double,
                                              c10::string_view, std::optional<at::Device>)>("gpac::morlet_wavelets");
  return h.call(fs, low, high, width, kind, device);
}

inline at::Tensor filter(const at::Tensor& x, const at::Tensor& taps) {
  static const auto h = detail::op<at::Tensor(const at::Tensor&, const at::Tensor&)>("gpac::filter");
  return h.call(x, taps);
}

inline std::tuple<at::Tensor, at::Tensor> hilbert(const at::Tensor& x) {
  static const auto h = detail::op<std::tuple<at::Tensor, at::Tensor>(const at::Tensor&)>("gpac::hilbert");
  return h.call(x);
}

inline std::tuple<at::Tensor, at::Tensor> filter_hilbert(const at::Tensor& x, const at::Tensor& pha_taps,
                                                         const at::Tensor& amp_taps) {
  static const auto h =
      detail::op<std::tuple<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&, const at::Tensor&)>(
          "gpac::filter_hilbert");
  return h.call(x, pha_taps, amp_taps);
}

// Returns (mi, amp_sums, counts, surrogates); see the schema in ops/registration.cpp.
inline std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> mi_scatter(
    const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins = 18,
    const std::optional<at::Tensor>& phase_index = std::nullopt,
    const std::optional<at::Tensor>& shift = std::nullopt) {
  static const auto h = detail::op<std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor>(
      const at::Tensor&, const at::Tensor&, int64_t, const std::optional<at::Tensor>&,
      const std::optional<at::Tensor>&)>("gpac::mi_scatter");
  return h.call(phase, amplitude, n_bins, phase_index, shift);
}

// The whole pipeline in chunks within memory_budget bytes (0: 512 MiB).
inline std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> modulation_index(
    const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps, int64_t n_bins = 18,
    int64_t memory_budget = 0, const std::optional<at::Tensor>& phase_index = std::nullopt,
    const std::optional<at::Tensor>& shift = std::nullopt) {
  static const auto h = detail::op<std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor>(
      const at::Tensor&, const at::Tensor&, const at::Tensor&, int64_t, int64_t, const std::optional<at::Tensor>&,
      const std::optional<at::Tensor>&)>("gpac::modulation_index");
  return h.call(x, pha_taps, amp_taps, n_bins, memory_budget, phase_index, shift);
}

// (phase_index, shift) of n_perm surrogates; see the schema in ops/registration.cpp.
inline std::tuple<at::Tensor, at::Tensor> surrogate_plan(int64_t n_perm, int64_t n_signals, int64_t n_times,
                                                         const std::string& method, int64_t seed,
                                                         const std::string& rng, bool independent, int64_t n_trials,
                                                         std::optional<at::Device> device = std::nullopt) {
  static const auto h =
      detail::op<std::tuple<at::Tensor, at::Tensor>(int64_t, int64_t, int64_t, c10::string_view, int64_t,
                                                    c10::string_view, bool, int64_t, std::optional<at::Device>)>(
          "gpac::surrogate_plan");
  return h.call(n_perm, n_signals, n_times, method, seed, rng, independent, n_trials, device);
}

// The complex phase-amplitude sums and their surrogates' (csrc/pac_methods.h).
inline std::tuple<at::Tensor, at::Tensor> phase_amp_sums(const at::Tensor& phase, const at::Tensor& amplitude,
                                                         const std::optional<at::Tensor>& phase_index = std::nullopt,
                                                         const std::optional<at::Tensor>& shift = std::nullopt) {
  static const auto h = detail::op<std::tuple<at::Tensor, at::Tensor>(
      const at::Tensor&, const at::Tensor&, const std::optional<at::Tensor>&, const std::optional<at::Tensor>&)>(
      "gpac::phase_amp_sums");
  return h.call(phase, amplitude, phase_index, shift);
}

// (z, p) of the MI against its surrogates; norm as TensorPAC's idpac[2] (4: z-score).
inline std::tuple<at::Tensor, at::Tensor> surrogate_stats(const at::Tensor& mi, const at::Tensor& surrogates,
                                                          int64_t norm = 4) {
  static const auto h = detail::op<std::tuple<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&, int64_t)>(
      "gpac::surrogate_stats");
  return h.call(mi, surrogates, norm);
}

// Everything gpac.pac computes, in one op (csrc/pipeline.h says what each
// option does): mi, z, p, surrogates, amp_dist.
inline PacOutputs pac(const at::Tensor& x, const PacOptions& o) {
  static const auto h = detail::op<PacTuple(
      const at::Tensor&, double, at::ArrayRef<double>, at::ArrayRef<double>, at::ArrayRef<double>, at::ArrayRef<double>,
      int64_t, int64_t, int64_t, int64_t, int64_t, c10::string_view, int64_t, int64_t, c10::string_view, bool, bool,
      c10::string_view, const std::optional<at::Tensor>&, const std::optional<at::Tensor>&, c10::string_view,
      std::optional<double>, c10::string_view, double, int64_t, int64_t)>("gpac::pac");
  auto [mi, z, p, surrogates, amp_dist] =
      h.call(x, o.fs, o.pha_low, o.pha_high, o.amp_low, o.amp_high, o.n_bins, o.pha_cycle, o.amp_cycle, o.memory_budget,
             o.n_perm, o.surrogate, o.norm, o.seed, o.rng, o.independent, o.return_dist, o.nan, o.phase_index, o.shift,
             o.method, o.ndpac_p, o.dcomplex, o.width, o.window, o.step);
  return {mi, z, p, surrogates, amp_dist};
}

}  // namespace gpac::ops
