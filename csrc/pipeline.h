// gpac::pac: everything one gpac.pac call computes, as one op, so that a call
// costs one dispatch and, on CUDA, no host synchronisation on its success
// path: the filter banks come from csrc/tap_designs.h's device cache, the
// surrogate plan is drawn on the host and copied once without a sync, NaN/Inf
// samples are flagged by the first kernel that reads the signals
// (csrc/data_checks.h: nan="raise" reads the flags once, at the end;
// nan="propagate" never reads them), and z, p and the amplitude distributions
// are ATen ops queued behind the histograms. gpac.pac, gpac.PAC, TorchScript
// programs and gpac_run all call it.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/string_view.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "csrc/device_kernels.h"

namespace gpac {

struct PacOptions {
  double fs = 0.0;
  std::vector<double> pha_low, pha_high, amp_low, amp_high;  // band edges in Hz
  int64_t n_bins = 18;
  int64_t pha_cycle = 3, amp_cycle = 6;
  int64_t memory_budget = 0;  // bytes; 0: the default
  // Surrogates: n_perm drawn by `surrogate` ('block_swap', 'swap_trials' over
  // axis -2 of x, 'time_lag') from `seed` with `rng` ('torch', 'tensorpac'),
  // or the given plan (phase_index, shift: csrc/device_kernels.h), whose
  // n_perm rows must then match n_perm.
  int64_t n_perm = 0;
  std::string surrogate = "block_swap";
  int64_t norm = 4;  // TensorPAC's idpac[2]: 0 none .. 4 z-score
  int64_t seed = 0;
  std::string rng = "torch";
  bool independent = false;
  std::optional<at::Tensor> phase_index, shift;
  bool return_dist = false;
  // NaN/Inf samples: an error naming the first one ("raise"), or NaN in every
  // output of the signals holding one ("propagate"), and in every surrogate
  // that borrows such a signal's phase (swap_trials) with the z and p it
  // enters.
  std::string nan = "raise";
  // The coupling measure (csrc/pac_methods.h): "mi" (Tort), "mvl", "ndpac"
  // (thresholded at ndpac_p; None or 1: no threshold) or "ps". z, p and the
  // surrogates are of that measure; amp_dist only with "mi".
  std::string method = "mi";
  std::optional<double> ndpac_p = 0.05;
  // The complex decomposition, as TensorPAC's dcomplex: "hilbert" (the FIR
  // band-pass of pha_cycle / amp_cycle cycles, then the analytic signal) or
  // "wavelet" (Morlet wavelets of `width` cycles at the band centres,
  // TensorPAC's spectral.morlet; the cycles are unused).
  std::string dcomplex = "hilbert";
  double width = 7.0;
  // Time-resolved PAC: the measure of every window of `window` samples,
  // starting every `step` samples (0: the whole recording). The band-pass and
  // analytic signal run over the whole recording; each window's histograms or
  // sums come from its samples. Surrogates shift within each window: a plan
  // then has shifts < window, and every window of a signal uses its column.
  int64_t window = 0, step = 0;
};

// Shaped like x's leading dims (..., and n_windows with a window): mi (..., P, A); z, p (..., P, A) with
// surrogates, else empty (0,); surrogates (..., n_perm, P, A); amp_dist
// (..., P, A, n_bins), the mean amplitude per phase bin normalised to sum 1,
// when asked, else empty (0,). All in x's signal dtype.
struct PacOutputs {
  at::Tensor mi, z, p, surrogates, amp_dist;
};

PacOutputs pac_pipeline(const at::Tensor& x, const PacOptions& o, const DeviceKernels& k);

// The same outputs for x that needs a gradient (gpac::pac's Autograd kernel,
// ops/autograd.cpp): composed of the differentiable gpac::modulation_index,
// gpac::surrogate_stats and ATen ops, called through the dispatcher. The same
// numbers as pac_pipeline, which has no backward of its own.
PacOutputs pac_differentiable(const at::Tensor& x, const PacOptions& o);

// The output shapes alone (Meta): the same argument checks that need no data.
PacOutputs pac_shapes(const at::Tensor& x, const PacOptions& o);

// The mean amplitude per phase bin normalised to sum 1, from the histograms
// amp_sums (..., P, A, n_bins) and counts (..., P, n_bins); empty bins count
// as one sample, an all-zero amplitude gives zeros.
at::Tensor amplitude_distribution(const at::Tensor& amp_sums, const at::Tensor& counts);

// The op's kernel for one dispatch key from `run` (x, options) -> PacOutputs:
// the schema's arguments (ops/registration.cpp) in its order, in one place.
using PacTuple = std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor>;
template <typename Run>
auto pac_kernel(Run run) {
  return [run](const at::Tensor& x, double fs, at::ArrayRef<double> pha_low, at::ArrayRef<double> pha_high,
               at::ArrayRef<double> amp_low, at::ArrayRef<double> amp_high, int64_t n_bins, int64_t pha_cycle,
               int64_t amp_cycle, int64_t memory_budget, int64_t n_perm, c10::string_view surrogate, int64_t norm,
               int64_t seed, c10::string_view rng, bool independent, bool return_dist, c10::string_view nan,
               const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
               c10::string_view method, std::optional<double> ndpac_p, c10::string_view dcomplex, double width,
               int64_t window, int64_t step) -> PacTuple {
    PacOptions o;
    o.fs = fs;
    o.pha_low = pha_low.vec();
    o.pha_high = pha_high.vec();
    o.amp_low = amp_low.vec();
    o.amp_high = amp_high.vec();
    o.n_bins = n_bins;
    o.pha_cycle = pha_cycle;
    o.amp_cycle = amp_cycle;
    o.memory_budget = memory_budget;
    o.n_perm = n_perm;
    o.surrogate = std::string(surrogate);
    o.norm = norm;
    o.seed = seed;
    o.rng = std::string(rng);
    o.independent = independent;
    o.return_dist = return_dist;
    o.nan = std::string(nan);
    o.phase_index = phase_index;
    o.shift = shift;
    o.method = std::string(method);
    o.ndpac_p = ndpac_p;
    o.dcomplex = std::string(dcomplex);
    o.width = width;
    o.window = window;
    o.step = step;
    const PacOutputs r = run(x, o);
    return {r.mi, r.z, r.p, r.surrogates, r.amp_dist};
  };
}

}  // namespace gpac
