// The gpac operator library: every schema in one place, plus the device-free
// filter design op. The ops' shared implementations are in csrc/op_impl.cpp;
// ops/register_cpu.cpp and ops/register_cuda.cpp bind them to the CPU and CUDA keys, ops/meta.cpp gives
// their shapes for torch.compile.
#include <ATen/ATen.h>
#include <torch/library.h>

#include "csrc/error_text.h"
#include "csrc/bands.h"
#include "csrc/surrogate_stats.h"
#include "csrc/device_copy.h"
#include "csrc/event_related.h"
#include "csrc/gradients.h"
#include "csrc/op_args.h"
#include "csrc/pac_methods.h"
#include "csrc/pipeline.h"
#include "csrc/surrogate_plan.h"
#include "csrc/tap_designs.h"

namespace gpac {
namespace {

// Taps of every band [low[i], high[i]] for signals of n_times samples, one row
// per band, shorter filters zero-padded at the end; float64, designed on the
// CPU (cached: csrc/tap_designs.h) and handed out as a copy on `device`, so
// that no caller can alter the cached one. It has no tensor inputs, so it is a
// factory op: FakeTensor calls it with device=meta, which yields the shape.
at::Tensor fir_taps_op(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, int64_t n_times, int64_t cycle,
                       c10::string_view kind, std::optional<at::Device> device) {
  const auto design = design_taps(fs, low, high, n_times, cycle, kind, device.value_or(at::kCPU));
  return design.taps.is_meta() ? design.taps : design.taps.clone();
}

// TensorPAC's Morlet wavelets as complex taps, a factory op like fir_taps.
at::Tensor morlet_wavelets_op(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, double width,
                              c10::string_view kind, std::optional<at::Device> device) {
  const auto design = design_wavelets(fs, low, high, width, kind, device.value_or(at::kCPU));
  return design.taps.is_meta() ? design.taps : design.taps.clone();
}

// The surrogate plan (csrc/surrogate_plan.h) on `device`; a factory op like
// fir_taps, so device=meta gives the shapes only.
std::tuple<at::Tensor, at::Tensor> surrogate_plan_op(int64_t n_perm, int64_t n_signals, int64_t n_times,
                                                     c10::string_view method, int64_t seed, c10::string_view rng,
                                                     bool independent, int64_t n_trials,
                                                     std::optional<at::Device> device) {
  if (device && device->is_meta()) {
    const auto options = at::TensorOptions().dtype(at::kLong).device(*device);
    return {at::empty({n_perm, n_signals}, options), at::empty({n_perm, n_signals}, options)};
  }
  auto [phase_index, shift] =
      surrogate_plan(n_perm, n_signals, n_times, std::string(method), seed, std::string(rng), independent, n_trials);
  if (!device) return {phase_index, shift};
  return {to_device(phase_index, *device), to_device(shift, *device)};
}

// A (n_bands, 2) float64 tensor of bands, on `device`.
at::Tensor bands_tensor(const std::vector<Band>& bands, std::optional<at::Device> device) {
  auto out = at::empty({static_cast<int64_t>(bands.size()), 2}, at::TensorOptions().dtype(at::kDouble));
  if (device && device->is_meta()) return out.to(*device);
  auto acc = out.accessor<double, 2>();
  for (size_t i = 0; i < bands.size(); ++i) {
    acc[i][0] = bands[i][0];
    acc[i][1] = bands[i][1];
  }
  return device ? to_device(out, *device) : out;
}

// std::invalid_argument from the band helpers becomes a ValueError.
template <typename F>
std::vector<Band> checked(F&& make) {
  try {
    return make();
  } catch (const std::invalid_argument& e) {
    GPAC_CHECK_VALUE(false, e.what());
  }
}

at::Tensor linear_bands_op(double low, double high, int64_t n_bands, c10::string_view kind,
                           std::optional<at::Device> device) {
  return bands_tensor(checked([&] { return linear_bands(low, high, n_bands, std::string(kind)); }), device);
}

at::Tensor preset_bands_op(c10::string_view name, c10::string_view kind, std::optional<at::Device> device) {
  return bands_tensor(checked([&] { return preset_bands(std::string(name), std::string(kind)); }), device);
}

}  // namespace

TORCH_LIBRARY(gpac, m) {
  const std::vector<at::Tag> tags{at::Tag::pt2_compliant_tag};
  // FIR design (TensorPAC fir_order + fir1), one zero-padded row per band.
  m.def(
      "fir_taps(float fs, float[] low, float[] high, int n_times, int cycle, str kind=\"band\", *, "
      "Device? device=None) -> Tensor",
      tags);
  // TensorPAC's Morlet wavelets (spectral.morlet) at the band centres
  // (low + high) / 2, as complex taps (n_bands, L) complex128: filter_hilbert
  // and modulation_index convolve with them instead of band-passing
  // (csrc/tap_designs.h).
  m.def(
      "morlet_wavelets(float fs, float[] low, float[] high, float width=7., str kind=\"band\", *, "
      "Device? device=None) -> Tensor",
      tags);
  // Zero-phase band-pass, equal to scipy filtfilt(taps[i], 1, x, padlen=order_i):
  // x (..., n_times), taps (n_bands, n_taps) -> (..., n_bands, n_times).
  m.def("filter(Tensor x, Tensor taps) -> Tensor", tags);
  // Analytic signal of each row, zero-padded to the next 5-smooth length:
  // x (..., n_times) -> phase in [-pi, pi), amplitude; both (..., n_times).
  m.def("hilbert(Tensor x) -> (Tensor phase, Tensor amplitude)", tags);
  // Fused filter + hilbert from one forward FFT per signal: phase of each
  // phase band (..., n_pha, n_times) and amplitude of each amplitude band
  // (..., n_amp, n_times). Complex taps (morlet_wavelets, both sets) give the
  // phase and amplitude of the wavelet convolution instead.
  m.def("filter_hilbert(Tensor x, Tensor pha_taps, Tensor amp_taps) -> (Tensor phase, Tensor amplitude)", tags);
  // Phase-binned amplitude histograms reduced to Tort's MI: phase
  // (..., n_pha, n_times), amplitude (..., n_amp, n_times) -> mi (..., n_pha,
  // n_amp), amp_sums (..., n_pha, n_amp, n_bins), counts (..., n_pha, n_bins),
  // in the amplitude's dtype (the phase may be float64 for float32 amplitudes).
  // Surrogates, as index arithmetic (no shifted copies): phase_index and shift,
  // (n_perm, n_signals) int64 over the flattened leading dims; surrogate k of
  // signal s pairs the phase of signal phase_index[k, s] with the amplitude of
  // signal s read circularly from sample shift[k, s] on. Their MI comes back
  // as surrogates (..., n_perm, n_pha, n_amp); n_perm = 0 without them.
  m.def(
      "mi_scatter(Tensor phase, Tensor amplitude, int n_bins=18, Tensor? phase_index=None, "
      "Tensor? shift=None) -> (Tensor mi, Tensor amp_sums, Tensor counts, Tensor surrogates)",
      tags);
  // Backward passes (csrc/gradients.h says what is differentiated): each
  // takes its op's output grads (None where unused) and inputs, returns the
  // grad of the signals (x) or, for mi_scatter, of the amplitude.
  m.def("filter_backward(Tensor grad, Tensor x, Tensor taps) -> Tensor", tags);
  m.def("hilbert_backward(Tensor? grad_phase, Tensor? grad_amplitude, Tensor x) -> Tensor", tags);
  m.def(
      "filter_hilbert_backward(Tensor? grad_phase, Tensor? grad_amplitude, Tensor x, Tensor pha_taps, "
      "Tensor amp_taps) -> Tensor",
      tags);
  m.def(
      "mi_scatter_backward(Tensor? grad_mi, Tensor? grad_amp_sums, Tensor phase, Tensor amplitude, "
      "Tensor amp_sums, Tensor counts, int n_bins) -> Tensor",
      tags);
  m.def(
      "modulation_index_backward(Tensor? grad_mi, Tensor? grad_amp_sums, Tensor x, Tensor pha_taps, "
      "Tensor amp_taps, Tensor amp_sums, Tensor counts, int n_bins) -> Tensor",
      tags);
  // Bands as TensorPAC makes them: n centred on numpy.linspace(low, high, n),
  // [f - f/4, f + f/4] for kind 'phase', [f - f/8, f + f/8] for 'amplitude';
  // and its presets 'lres', 'mres', 'hres', 'demon', 'hulk'. (n, 2) float64.
  m.def("linear_bands(float low, float high, int n_bands, str kind, *, Device? device=None) -> Tensor", tags);
  m.def("preset_bands(str name, str kind, *, Device? device=None) -> Tensor", tags);
  // z (the MI normalised by its surrogates, TensorPAC's norm 0-4) and p
  // ((1 + #{surrogate >= mi}) / (1 + n_perm)) from mi (..., P, A) and
  // surrogates (..., n_perm, P, A).
  m.def("surrogate_stats(Tensor mi, Tensor surrogates, int norm=4) -> (Tensor z, Tensor p)", tags);
  // The mean amplitude per phase bin, normalised to sum 1 (TensorPAC's
  // amplitude distribution), from mi_scatter's amp_sums (..., P, A, n_bins)
  // and counts (..., P, n_bins).
  m.def("amp_dist(Tensor amp_sums, Tensor counts) -> Tensor", tags);
  // Which phase signal and which amplitude shift each surrogate uses:
  // (phase_index, shift), each (n_perm, n_signals) int64. method is
  // 'block_swap', 'swap_trials' (trials: the last n_trials of the flattened
  // signals' layout) or 'time_lag'; rng 'torch' (torch.Generator seeded with
  // seed) or 'tensorpac' (numpy RandomState(seed + k), TensorPAC's draw).
  m.def(
      "surrogate_plan(int n_perm, int n_signals, int n_times, str method=\"block_swap\", int seed=0, "
      "str rng=\"torch\", bool independent=False, int n_trials=1, *, Device? device=None) -> "
      "(Tensor phase_index, Tensor shift)",
      tags);
  // The whole pipeline (filter_hilbert then mi_scatter) in chunks of signals,
  // then of bands, so that its working memory stays within memory_budget
  // bytes (0: 512 MiB): x (..., n_times) -> as mi_scatter. Phases are binned
  // in float64 whatever x's dtype.
  m.def(
      "modulation_index(Tensor x, Tensor pha_taps, Tensor amp_taps, int n_bins=18, int memory_budget=0, "
      "Tensor? phase_index=None, Tensor? shift=None) -> "
      "(Tensor mi, Tensor amp_sums, Tensor counts, Tensor surrogates)",
      tags);
  // The complex sums sum_t amplitude[.., j, t] e^(i phase[.., i, t]) that
  // MVL, ndPAC and PS reduce (csrc/pac_methods.h): phase (..., P, n) real,
  // amplitude (..., A, n) real or complex -> sums (..., P, A) complex and the
  // surrogates' sums (..., n_perm, P, A), the plan as mi_scatter's (shifts
  // modulo n_times; phase indices read once, a synchronisation on CUDA).
  m.def(
      "phase_amp_sums(Tensor phase, Tensor amplitude, Tensor? phase_index=None, Tensor? shift=None) -> "
      "(Tensor sums, Tensor surrogates)",
      tags);
  // Event-related PAC across trials (csrc/event_related.h): phase (...,
  // n_trials, P, n) and amplitude (..., n_trials, A, n) from filter_hilbert ->
  // erpac and the circular method's chi-square p (..., P, A, n), and with
  // trial_order (n_perm, n_trials) the number of surrogates reaching each cell
  // and each surrogate's maximum (..., n_perm).
  m.def(
      "event_related_pac(Tensor phase, Tensor amplitude, str method=\"circular\", int smooth=0, "
      "Tensor? trial_order=None) -> (Tensor erpac, Tensor p, Tensor exceed, Tensor surrogate_max)",
      tags);
  // What gpac.pac computes, as one op (csrc/pipeline.h): the filter designs,
  // the surrogate plan (drawn from seed, or the given phase_index and shift),
  // the MI, z and p (empty (0,) without surrogates), the surrogates' MI and
  // the amplitude distributions (empty (0,) unless return_dist), with the NaN
  // policy nan ('raise' or 'propagate'), for the coupling measure `method`
  // ('mi', 'hr', 'mvl', 'ndpac', 'ps', 'gc') and the decomposition dcomplex
  // ('hilbert': FIR band-pass and analytic signal; 'wavelet': Morlet
  // wavelets of `width` cycles; see PacOptions), over the whole recording or,
  // with window > 0, per window of `window` samples every `step` (outputs
  // (..., n_windows, ...)).
  m.def(
      "pac(Tensor x, float fs, float[] pha_low, float[] pha_high, float[] amp_low, float[] amp_high, "
      "int n_bins=18, int pha_cycle=3, int amp_cycle=6, int memory_budget=0, int n_perm=0, "
      "str surrogate=\"block_swap\", int norm=4, int seed=0, str rng=\"torch\", bool independent=False, "
      "bool return_dist=False, str nan=\"raise\", Tensor? phase_index=None, Tensor? shift=None, "
      "str method=\"mi\", float? ndpac_p=0.05, str dcomplex=\"hilbert\", float width=7., int window=0, int step=0) -> "
      "(Tensor mi, Tensor z, Tensor p, Tensor surrogates, Tensor amp_dist)",
      tags);
}

TORCH_LIBRARY_IMPL(gpac, CompositeExplicitAutograd, m) {
  m.impl("fir_taps", &fir_taps_op);
  m.impl("morlet_wavelets", &morlet_wavelets_op);
  m.impl("linear_bands", &linear_bands_op);
  m.impl("preset_bands", &preset_bands_op);
  m.impl("surrogate_plan", &surrogate_plan_op);
}

// Backward passes composed of ATen ops, for every device (Meta: ops/meta.cpp).
TORCH_LIBRARY_IMPL(gpac, CompositeExplicitAutograd, m) {
  m.impl("filter_backward", &filter_backward_op);
  m.impl("hilbert_backward", &hilbert_backward_op);
  m.impl("filter_hilbert_backward", &filter_hilbert_backward_op);
  m.impl("mi_scatter_backward", &mi_scatter_backward_op);
}

// Composed of ATen ops: differentiable and traceable as they are.
TORCH_LIBRARY_IMPL(gpac, CompositeImplicitAutograd, m) {
  m.impl("surrogate_stats", &surrogate_stats);
  m.impl("amp_dist", &amplitude_distribution);
  m.impl("phase_amp_sums", &phase_amp_sums);
  m.impl("event_related_pac", &event_related_pac);
}

}  // namespace gpac
