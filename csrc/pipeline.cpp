#include "csrc/pipeline.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <limits>

#include "csrc/bands.h"
#include "csrc/surrogate_stats.h"
#include "csrc/data_checks.h"
#include "csrc/device_copy.h"
#include "csrc/error_text.h"
#include "csrc/gpac.h"
#include "csrc/op_args.h"
#include "csrc/op_impl.h"
#include "csrc/pac_methods.h"
#include "csrc/surrogate_plan.h"
#include "csrc/spectral.h"
#include "csrc/tap_designs.h"

namespace gpac {
namespace {

void check_options(const at::Tensor& x, const PacOptions& o) {
  signal_dtype(x, "x");
  GPAC_CHECK_VALUE(!o.pha_low.empty() && o.pha_low.size() == o.pha_high.size() && !o.amp_low.empty() &&
                       o.amp_low.size() == o.amp_high.size(),
                   "band edges must come in pairs, at least one band of each kind: got ", o.pha_low.size(), " low and ",
                   o.pha_high.size(), " high phase edges, ", o.amp_low.size(), " low and ", o.amp_high.size(),
                   " high amplitude edges");
  check_n_bins(o.n_bins);
  GPAC_CHECK_VALUE(o.memory_budget >= 0, "memory_budget must be >= 0 bytes (0: the default of ", kDefaultMemoryBudget,
                   "), got ", o.memory_budget);
  GPAC_CHECK_VALUE(o.n_perm >= 0, "n_perm must be >= 0, got ", o.n_perm);
  GPAC_CHECK_VALUE(o.norm >= 0 && o.norm <= 4,
                   "norm must be 0 (none), 1 (subtract), 2 (divide), 3 (subtract then "
                   "divide) or 4 (z-score), got ",
                   o.norm);
  GPAC_CHECK_VALUE(!(o.norm == 4 && o.n_perm == 1),
                   "norm 4 (z-score) needs n_perm >= 2 surrogates for a "
                   "standard deviation");
  GPAC_CHECK_VALUE(o.nan == "raise" || o.nan == "propagate", "nan must be 'raise' or 'propagate', got '", o.nan, "'");
  check_method(o.method, o.ndpac_p);
  GPAC_CHECK_VALUE(o.dcomplex == "hilbert" || o.dcomplex == "wavelet",
                   "dcomplex must be 'hilbert' (FIR band-pass and analytic signal) or 'wavelet' (Morlet), got '",
                   o.dcomplex, "'");
  GPAC_CHECK_VALUE(!(o.return_dist && is_sum_method(o.method)),
                   "return_dist (the binned amplitude distributions) needs method 'mi' or 'hr'; method '", o.method,
                   "' bins no phases");
  GPAC_CHECK_VALUE(o.surrogate == "block_swap" || o.surrogate == "swap_trials" || o.surrogate == "time_lag",
                   "surrogate must be 'block_swap', 'swap_trials' or 'time_lag', got '", o.surrogate, "'");
  GPAC_CHECK_VALUE(!(o.n_perm > 0 && o.surrogate == "swap_trials" && x.dim() < 2),
                   "surrogate 'swap_trials' needs a trial axis: x of shape (..., n_trials, n_times), got shape ",
                   x.sym_sizes());
  GPAC_CHECK_VALUE(o.window >= 0, "window (time-resolved PAC, in samples) must be >= 0 (0: the whole recording), got ",
                   o.window);
  if (o.window > 0) {
    GPAC_CHECK_VALUE(o.step > 0, "step (between windows' starts) must be > 0 samples, got ", o.step);
    GPAC_SYM_CHECK_VALUE(x.sym_size(-1).sym_ge(o.window), "window (", o.window,
                         " samples) is longer than the recording (", x.sym_size(-1), " samples)");
    const double slowest = *std::min_element(o.pha_low.begin(), o.pha_low.end());
    GPAC_CHECK_VALUE(o.window >= o.fs / slowest, "window (", o.window, " samples, ", o.window / o.fs,
                     " s) is shorter than one period of the slowest phase band (", slowest, " Hz: ", 1.0 / slowest,
                     " s); lengthen it or raise the phase bands");
  }
  const bool given = o.phase_index.has_value() || o.shift.has_value();
  if (given) {
    check_surrogate_args(o.phase_index, o.shift, x, 1);
    const auto& plan = o.shift ? *o.shift : *o.phase_index;
    GPAC_SYM_CHECK_VALUE(plan.sym_size(0).sym_eq(o.n_perm), "the given surrogate plan has ", plan.sym_size(0),
                         " rows but n_perm is ", o.n_perm, "; pass n_perm equal to the plan's rows");
  }
}

// out (S, ...) with NaN where mask (S, ...) is set, broadcast over the rest;
// out of place, so that the gradient path records it.
at::Tensor marked(const at::Tensor& out, const at::Tensor& mask) {
  auto shape = mask.sizes().vec();
  shape.resize(out.dim(), 1);
  return out.masked_fill(mask.view(shape), std::numeric_limits<double>::quiet_NaN());
}

// What both pipelines make of the histograms (mi, amp_sums, counts,
// surrogates over the S signal rows) of the call's o.n_perm surrogates, whose
// plan is given when phase_index (n_perm, S) is: z and p, the amplitude
// distributions, NaN in the outputs of the rows marked bad (S,)
// (nan="propagate"; undefined when none is), all shaped (lead_dims, ...): x's
// leading dims (and the windows). Symbolic shapes throughout, for the gradient path under torch.compile.
PacOutputs pac_outputs(c10::SymIntArrayRef lead_dims, const PacOptions& o, const at::Tensor& phase_index,
                       const at::Tensor& bad, const at::Tensor& mi, const at::Tensor& sums, const at::Tensor& counts,
                       const at::Tensor& surrogates) {
  const bool stats = o.n_perm > 0;
  PacOutputs out{mi, at::Tensor(), at::Tensor(), surrogates, at::Tensor()};
  if (stats) std::tie(out.z, out.p) = surrogate_stats(mi, surrogates, o.norm);
  if (o.return_dist) out.amp_dist = amplitude_distribution(sums, counts);
  if (bad.defined()) {
    out.mi = marked(out.mi, bad);
    if (o.return_dist) out.amp_dist = marked(out.amp_dist, bad);
    if (stats) {
      // Surrogate k of signal s is NaN when s is bad or, with swapped trials,
      // when the signal whose phase it borrows is; z and p with it.
      auto bad_surrogates = bad.unsqueeze(1).expand_symint({bad.sym_size(0), o.n_perm});
      if (phase_index.defined())
        bad_surrogates = bad_surrogates.logical_or(
            bad.index_select(0, phase_index.flatten()).view_symint({o.n_perm, bad.sym_size(0)}).t());
      out.surrogates = marked(out.surrogates, bad_surrogates);
      const auto bad_stats = bad_surrogates.any(1);
      out.z = marked(out.z, bad_stats);
      out.p = marked(out.p, bad_stats);
    }
  }
  auto lead = [&](const at::Tensor& t, int64_t tail) {
    auto shape = lead_dims.vec();
    for (int64_t d = t.dim() - tail; d < t.dim(); ++d) shape.push_back(t.sym_size(d));
    return t.view_symint(shape);
  };
  // Outputs must not alias one another: each empty one is its own tensor.
  auto none = [&] { return at::empty({0}, mi.options()); };
  return {lead(out.mi, 2), stats ? lead(out.z, 2) : none(), stats ? lead(out.p, 2) : none(), lead(out.surrogates, 3),
          o.return_dist ? lead(out.amp_dist, 3) : none()};
}

// The heights ratio (csrc/pac_math.h heights_ratio) of histograms sums
// (..., P, A, n_bins) and counts (..., P, n_bins) in ATen ops, for the
// gradient path: the bins without samples left out.
at::Tensor heights_ratio_of(const at::Tensor& sums, const at::Tensor& counts) {
  const auto c = counts.unsqueeze(-2);
  const auto mean = sums / c.clamp_min(1).to(sums.scalar_type());
  const auto empty = (c <= 0).expand_as(mean);
  const auto hi = mean.masked_fill(empty, -std::numeric_limits<double>::infinity()).amax(-1);
  const auto lo = mean.masked_fill(empty, std::numeric_limits<double>::infinity()).amin(-1);
  return at::where(hi > 0, (hi - lo) / hi, at::zeros_like(hi));
}

// The phase (or amplitude) bands of the call, as their designs take them.
struct BandArgs {
  const std::vector<double>& low;
  const std::vector<double>& high;
  const char* kind;
  int64_t cycle;
};

BandArgs band_args(const PacOptions& o, bool phase) {
  if (phase) return {o.pha_low, o.pha_high, "phase band", o.pha_cycle};
  return {o.amp_low, o.amp_high, "amplitude band", o.amp_cycle};
}

// The phase (or amplitude) bands' design: FIR taps or Morlet wavelets.
TapDesign band_design(const PacOptions& o, bool phase, int64_t n_times, const at::Device& device) {
  const auto b = band_args(o, phase);
  if (o.dcomplex == "wavelet") return design_wavelets(o.fs, b.low, b.high, o.width, b.kind, device);
  return design_taps(o.fs, b.low, b.high, n_times, b.cycle, b.kind, device);
}

// The call's analysis windows over n samples (none without a window).
TimeWindows time_windows(const PacOptions& o, int64_t n) {
  if (o.window <= 0) return {};
  return {o.window, o.step, (n - o.window) / o.step + 1};
}

// x's leading dims, then the number of windows when there are windows.
std::vector<c10::SymInt> output_lead(const at::Tensor& x, const PacOptions& o) {
  auto lead = x.sym_sizes().slice(0, x.dim() - 1).vec();
  if (o.window > 0) lead.push_back((x.sym_size(-1) - o.window) / o.step + 1);
  return lead;
}

// The sums methods' options from the call's.
SumMethodOptions sum_options(const at::Tensor& x, const PacOptions& o) {
  SumMethodOptions so;
  so.method = o.method;
  so.ndpac_p = o.ndpac_p;
  so.memory_budget = o.memory_budget;
  so.trial_group = o.n_perm > 0 && o.surrogate == "swap_trials" ? x.size(-2) : 1;
  so.window = time_windows(o, x.size(-1));
  return so;
}

}  // namespace

at::Tensor amplitude_distribution(const at::Tensor& amp_sums, const at::Tensor& counts) {
  const auto mean = amp_sums / counts.unsqueeze(-2).clamp_min(1).to(amp_sums.scalar_type());
  const auto total = mean.sum(-1, /*keepdim=*/true);
  return at::where(total > 0, mean / total, at::zeros_like(mean));
}

PacOutputs pac_shapes(const at::Tensor& x, const PacOptions& o) {
  check_options(x, o);
  const auto dtype = signal_dtype(x, "x");
  const auto options = x.options().dtype(dtype);
  const auto P = static_cast<int64_t>(o.pha_low.size()), A = static_cast<int64_t>(o.amp_low.size());
  auto shape = [&](std::initializer_list<int64_t> tail) {
    auto s = output_lead(x, o);
    for (auto d : tail) s.emplace_back(d);
    return at::empty_symint(s, options);
  };
  // Outputs must not alias one another: each empty one is its own tensor.
  auto none = [&] { return at::empty({0}, options); };
  const bool stats = o.n_perm > 0;
  return {shape({P, A}), stats ? shape({P, A}) : none(), stats ? shape({P, A}) : none(), shape({o.n_perm, P, A}),
          o.return_dist ? shape({P, A, o.n_bins}) : none()};
}

PacOutputs pac_pipeline(const at::Tensor& x, const PacOptions& o, const DeviceKernels& k) {
  check_options(x, o);
  const CallScope call;
  auto rows = as_signal_rows(x, "x");
  const int64_t S = rows.size(0), n = rows.size(1);
  const auto device = rows.device();
  const auto pha = band_design(o, true, n, device);
  const auto amp = band_design(o, false, n, device);

  DataChecks checks(device);
  // The plan: given (checked on the device, read at the end) or drawn here,
  // in range by construction, and copied once.
  Surrogates plan;
  // With windows, surrogates shift within each window: shifts < window.
  const auto windows = time_windows(o, n);
  const int64_t shift_range = windows.on() ? windows.length : n;
  if (o.phase_index || o.shift) {
    checks.surrogate_values(o.phase_index, o.shift, S, shift_range);
    plan = {o.phase_index.value_or(at::Tensor()).contiguous(), o.shift.value_or(at::Tensor()).contiguous()};
  } else if (o.n_perm > 0) {
    const int64_t n_trials = o.surrogate == "swap_trials" ? x.size(-2) : 1;
    auto [phase_index, shift] =
        surrogate_plan(o.n_perm, S, shift_range, o.surrogate, o.seed, o.rng, o.independent, n_trials);
    plan = {o.surrogate == "swap_trials" ? to_device(phase_index, device) : at::Tensor(), to_device(shift, device)};
  }

  // nan="propagate": the signals holding NaN/Inf (bad, (S,) bool) are
  // computed as zeros and their outputs marked afterwards, on the device. The
  // CPU skips the copy when no signal needs it (its read costs no sync).
  at::Tensor bad;
  RowFlags* flags = nullptr;
  const bool sums_method = is_sum_method(o.method);
  if (o.nan == "propagate") {
    bad = at::isfinite(rows).all(1).logical_not_();
    if (device.is_cuda() || bad.any().item<bool>()) {
      rows = rows.masked_fill(bad.unsqueeze(1), 0);
    } else {
      bad = at::Tensor();
    }
  } else if (sums_method) {
    checks.finite(rows, "x", x.sizes());
  } else {
    flags = checks.finite_rows(rows, "x", x.sizes());
  }

  // The outputs' rows: the signals, or every window of every signal (window
  // w of signal s at row s * n_windows + w), with the plan and the bad rows
  // spread over the windows.
  const auto lead = output_lead(x, o);
  const auto row_plan = windows.on() ? window_plan(plan, windows) : plan;
  const auto row_bad = windows.on() && bad.defined() ? bad.repeat_interleave(windows.count) : bad;
  const auto measure_kind = o.method == "hr" ? BinnedMeasure::kHR : BinnedMeasure::kMI;
  const TapSets taps{pha.taps, amp.taps, pha.key, amp.key};
  PacOutputs out;
  if (sums_method) {
    auto so = sum_options(x, o);
    so.kernels = &k;
    const auto [measure, surrogates] = sum_method_rows(rows, pha.taps, amp.taps, plan, so);
    out = pac_outputs(lead, o, row_plan.phase_index, row_bad, measure, at::Tensor(), at::Tensor(), surrogates);
  } else {
    const auto [mi, sums, counts, surrogates] =
        windows.on() ? windowed_histograms(rows, taps, o.n_bins, o.memory_budget, windows, plan, k, flags, measure_kind,
                                           o.return_dist)
                     : modulation_index_rows(rows, taps, o.n_bins, o.memory_budget, plan, k, flags, measure_kind);
    out = pac_outputs(lead, o, row_plan.phase_index, row_bad, mi, sums, counts, surrogates);
  }
  checks.finish();
  return out;
}

PacOutputs pac_differentiable(const at::Tensor& x, const PacOptions& o) {
  check_options(x, o);
  GPAC_CHECK_VALUE(o.window == 0,
                   "window (time-resolved PAC) has no gradient path: x requires grad; detach it, or "
                   "compute each window's PAC with gradients from its band-passed samples");
  // The design and the plan need whole numbers: under torch.compile the
  // graph is specialised on them, as the Python caller's ints were.
  const int64_t n = x.sym_size(-1).guard_int(__FILE__, __LINE__);
  const auto device = x.device();
  // Designs and plan through their ops, so that torch.compile traces them.
  auto taps = [&](bool phase) {
    const auto b = band_args(o, phase);
    return o.dcomplex == "wavelet" ? ops::morlet_wavelets(o.fs, b.low, b.high, o.width, b.kind, device)
                                   : ops::fir_taps(o.fs, b.low, b.high, n, b.cycle, b.kind, device);
  };
  const auto pha_taps = taps(true);
  const auto amp_taps = taps(false);
  std::optional<at::Tensor> phase_index = o.phase_index, shift = o.shift;
  if (!phase_index && !shift && o.n_perm > 0) {
    const int64_t S = (x.sym_numel() / n).guard_int(__FILE__, __LINE__);
    const int64_t n_trials = o.surrogate == "swap_trials" ? x.sym_size(-2).guard_int(__FILE__, __LINE__) : 1;
    auto [drawn_index, drawn_shift] =
        ops::surrogate_plan(o.n_perm, S, n, o.surrogate, o.seed, o.rng, o.independent, n_trials, device);
    shift = drawn_shift;
    if (o.surrogate == "swap_trials") phase_index = drawn_index;
  }
  // nan="propagate": as pac_pipeline, the bad signals computed as zeros and
  // marked afterwards; always masked, which needs no host read. "raise":
  // gpac::modulation_index refuses NaN/Inf samples by their position in x.
  at::Tensor signals = x, bad;
  if (o.nan == "propagate") {
    const auto bad_lead = at::isfinite(x).all(-1, /*keepdim=*/true).logical_not_();
    signals = x.masked_fill(bad_lead, 0);
    bad = bad_lead.reshape({-1});
  }
  if (is_sum_method(o.method)) {
    // The sums' ops record the gradient; NaN/Inf samples are refused here, by
    // their position in x (read on the host, unless FakeTensor is tracing).
    if (o.nan == "raise" && !x.key_set().has(c10::DispatchKey::Python)) check_finite(x, "x");
    const Surrogates plan{phase_index.value_or(at::Tensor()), shift.value_or(at::Tensor())};
    const auto [measure, surrogates] =
        sum_method_rows(as_signal_rows(signals, "x"), pha_taps, amp_taps, plan, sum_options(x, o));
    return pac_outputs(x.sym_sizes().slice(0, x.dim() - 1), o, plan.phase_index, bad, measure, at::Tensor(),
                       at::Tensor(), surrogates);
  }
  auto [mi, sums, counts, surrogates] =
      ops::modulation_index(signals, pha_taps, amp_taps, o.n_bins, o.memory_budget, phase_index, shift);
  if (o.method == "hr") {
    // The heights ratio of the histograms, differentiable through the sums;
    // its surrogates (no gradient) from the fused pipeline, on the same plan.
    mi = heights_ratio_of(sums, counts);
    at::NoGradGuard no_grad;
    PacOptions fused = o;
    fused.phase_index = phase_index;
    fused.shift = shift;
    fused.nan = "raise";  // the signals are finite here
    fused.return_dist = false;
    surrogates = ops::pac(signals.detach(), fused).surrogates;
  }
  const c10::SymInt S = x.sym_numel() / x.sym_size(-1);
  const int64_t P = pha_taps.size(0), A = amp_taps.size(0);
  return pac_outputs(x.sym_sizes().slice(0, x.dim() - 1), o, phase_index.value_or(at::Tensor()), bad,
                     mi.reshape_symint({S, P, A}), sums.reshape_symint({S, P, A, o.n_bins}),
                     counts.reshape_symint({S, P, o.n_bins}), surrogates.reshape_symint({S, o.n_perm, P, A}));
}

}  // namespace gpac
