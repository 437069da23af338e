#include "csrc/op_impl.h"
#include "csrc/error_text.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "csrc/op_args.h"
#include "csrc/pac_math.h"
#include "csrc/spectral.h"

namespace gpac {
namespace {

// Reshapes an op's (S, ..., tail) result back to the caller's leading dims.
at::Tensor with_lead(const at::Tensor& t, at::IntArrayRef lead, int64_t tail_dims) {
  auto shape = lead.vec();
  for (int64_t d = t.dim() - tail_dims; d < t.dim(); ++d) shape.push_back(t.size(d));
  return t.view(shape);
}

// The measure (S, P, A) of float64 sums (S, P, A, n_bins) and counts (S, P,
// n_bins), through the kernels' own binned_measure, on the CPU (the arrays are small).
at::Tensor measure_of_histograms(const at::Tensor& sums, const at::Tensor& counts, int64_t n_bins,
                                 BinnedMeasure measure) {
  const auto s = sums.cpu().contiguous();
  const auto c = counts.cpu().contiguous();
  const int64_t S = s.size(0), P = s.size(1), A = s.size(2);
  auto mi = at::empty({S, P, A}, s.options());
  const double* sp = s.data_ptr<double>();
  const int64_t* cp = c.data_ptr<int64_t>();
  double* out = mi.data_ptr<double>();
  for (int64_t i = 0; i < S * P; ++i)
    for (int64_t a = 0; a < A; ++a)
      out[i * A + a] = binned_measure(measure, sp + (i * A + a) * n_bins, cp + i * n_bins, n_bins);
  return mi.to(sums.device());
}

// Outputs of the histogram primitive for (S, P, A) pairs and K surrogates,
// allocated (not views).
HistogramOut histogram_outputs(int64_t S, int64_t P, int64_t A, int64_t K, int64_t n_bins,
                               const at::TensorOptions& options) {
  return {at::empty({S, P, A}, options), at::empty({S, P, A, n_bins}, options),
          at::empty({S, P, n_bins}, options.dtype(at::kLong)), at::empty({S, K, P, A}, options)};
}

// The band stage of the binned pipelines: the overlap-save segments of rows
// (S, n) whose band stage for `signals` rows of `pha_bands` and `amp_bands`
// bands at once gets `half` bytes (csrc/spectral.h window_stage_bytes), and
// the options of their bins and amplitudes.
struct BinnedBands {
  Segments seg;
  BandOptions options;
};

BinnedBands binned_bands(const at::Tensor& rows, const TapSets& taps, int64_t n_bins, int64_t half, RowFlags* flags,
                         int64_t signals, int64_t pha_bands, int64_t amp_bands, const DeviceKernels& k) {
  WindowStage stage;
  stage.signals = signals;
  stage.pha_bands = pha_bands;
  stage.amp_bands = amp_bands;
  stage.pha_out_bytes = 1;  // bins
  stage.amp_out_bytes = stage.amp_fft_bytes = rows.element_size();
  stage.workers = k.band_workers();
  BinnedBands b;
  b.seg = plan_segments(rows.size(1), std::max(taps.pha.size(1), taps.amp.size(1)), stage, half);
  b.options.block_bytes = half;
  b.options.n_bins = n_bins;
  b.options.pha_key = taps.pha_key;
  b.options.amp_key = taps.amp_key;
  b.options.flags = flags;
  return b;
}

}  // namespace

HistogramOut writable(const HistogramOut& out, bool counts_given) {
  auto target = [](const at::Tensor& t) { return t.is_contiguous() ? t : at::empty(t.sizes(), t.options()); };
  return {target(out.mi), target(out.amp_sums), counts_given ? at::Tensor() : target(out.counts),
          target(out.surrogates)};
}

void write_back(const HistogramOut& out, const HistogramOut& written, bool counts_given) {
  auto copy = [](const at::Tensor& dst, const at::Tensor& buf) {
    if (!dst.is_same(buf)) dst.copy_(buf);
  };
  copy(out.mi, written.mi);
  copy(out.amp_sums, written.amp_sums);
  if (!counts_given) copy(out.counts, written.counts);
  copy(out.surrogates, written.surrogates);
}

at::Tensor filter_op(const at::Tensor& x, const at::Tensor& taps) {
  const auto rows = as_signal_rows(x, "x");
  check_filter_taps(taps, x);
  DataChecks checks(x.device());
  checks.finite(taps, "taps");
  checks.finite(rows, "x", x.sizes());
  WindowStage stage;
  stage.amp_bands = taps.size(0);
  const auto seg = plan_segments(rows.size(1), taps.size(1), stage, kDefaultBlockBytes);
  auto out = filter_rows_segmented(rows, taps, seg, kDefaultBlockBytes).view_symint(banded_shape(x, taps.sym_size(0)));
  checks.finish();
  return out;
}

std::tuple<at::Tensor, at::Tensor> hilbert_op(const at::Tensor& x, const DeviceKernels& k) {
  const auto rows = as_signal_rows(x, "x");
  DataChecks checks(x.device());
  checks.finite(rows, "x", x.sizes());
  auto [phase, amplitude] = hilbert_rows(rows, kDefaultBlockBytes, k);
  checks.finish();
  return {phase.view(x.sizes()), amplitude.view(x.sizes())};
}

std::tuple<at::Tensor, at::Tensor> filter_hilbert_op(const at::Tensor& x, const at::Tensor& pha_taps,
                                                     const at::Tensor& amp_taps, const DeviceKernels& k) {
  const auto rows = as_signal_rows(x, "x");
  check_band_taps(pha_taps, amp_taps, x);
  DataChecks checks(x.device());
  checks.finite(pha_taps, "pha_taps");
  checks.finite(amp_taps, "amp_taps");
  const CallScope call;
  BandOptions o;
  o.phase_dtype = rows.scalar_type();
  o.flags = checks.finite_rows(rows, "x", x.sizes());
  const auto band = filter_hilbert_rows(rows, pha_taps, amp_taps, k, o);
  checks.finish();
  return {band.phase.view_symint(banded_shape(x, pha_taps.sym_size(0))),
          band.amplitude.view_symint(banded_shape(x, amp_taps.sym_size(0)))};
}

HistogramTuple mi_scatter_op(const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins,
                             const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                             const DeviceKernels& k) {
  check_mi_args(phase, amplitude, n_bins);
  check_surrogate_args(phase_index, shift, phase, 2);
  const int64_t P = phase.size(-2), A = amplitude.size(-2), n = phase.size(-1);
  const auto pha = phase.reshape({-1, P, n}).contiguous();
  const auto amp = amplitude.reshape({-1, A, n}).contiguous();
  DataChecks checks(phase.device());
  checks.finite(pha, "phase", phase.sizes());
  checks.finite(amp, "amplitude", amplitude.sizes());
  checks.nonnegative(amp, "amplitude");
  checks.surrogate_values(phase_index, shift, pha.size(0), n);
  const Surrogates plan{phase_index.value_or(at::Tensor()).contiguous(), shift.value_or(at::Tensor()).contiguous()};
  auto bins = at::empty(pha.sizes(), pha.options().dtype(at::kByte));
  k.write_bins(pha, at::Tensor(), n_bins, bins);
  const auto h = histogram_outputs(pha.size(0), P, A, plan.count(), n_bins, amp.options());
  k.bin_histograms(bins, amp, n_bins, plan, h, false, BinnedMeasure::kMI, /*scratch_bytes=*/0);
  checks.finish();
  const auto lead = phase.sizes().slice(0, phase.dim() - 2);
  return {with_lead(h.mi, lead, 2), with_lead(h.amp_sums, lead, 3), with_lead(h.counts, lead, 2),
          with_lead(h.surrogates, lead, 3)};
}

HistogramTuple modulation_index_rows(const at::Tensor& rows, const TapSets& taps, int64_t n_bins, int64_t memory_budget,
                                     const Surrogates& plan, const DeviceKernels& k, RowFlags* flags,
                                     BinnedMeasure measure) {
  const auto& pha_taps = taps.pha;
  const auto& amp_taps = taps.amp;
  const int64_t S = rows.size(0), n = rows.size(1), P = pha_taps.size(0), A = amp_taps.size(0);
  const int64_t K = plan.count();
  const int64_t half = (memory_budget > 0 ? memory_budget : kDefaultMemoryBudget) / 2;

  // Phases stay in float64 (kPhaseDtype) up to the binning: a float32 phase
  // rounded near a bin edge may change bins, and one sample moved changes a
  // weakly coupled pair's MI by ~1e-3 relative on minute-long signals. What a
  // chunk holds is one bin byte per phase-band sample and one amplitude (and
  // the histogram primitive's scratch) per amplitude-band sample; half the
  // budget holds that for whole signals with all their bands when one fits,
  // else for groups of phase bands and amplitude bands. Surrogates that swap
  // phases between signals need every signal of a band in one chunk.
  const bool across_signals = plan.phase_index.defined();
  const int64_t amp_bytes = n * (rows.element_size() + (K > 0 ? k.surrogate_bytes_per_amplitude : 0));
  const int64_t bin_bytes = n * (1 + k.histogram_bytes_per_phase);
  const int64_t chunk_signals = across_signals ? S : 1;
  const int64_t signals_fit = half / (P * bin_bytes + A * amp_bytes);
  const bool whole = signals_fit >= chunk_signals;
  // On the CPU, whole-signal chunks whose amplitude tensor would pass glibc's
  // largest mmap threshold (2 kCpuChunkTensorBytes), a fresh mapping on every
  // call, are cut to kCpuChunkTensorBytes, later chunks writing into the
  // first's tensors (float64 MI at 16 x 30720 samples: 105-123 -> 87-89 ms).
  // Below it, one chunk: its blocks come back from the heap call after call.
  const int64_t whole_fit = std::max<int64_t>(1, std::min(signals_fit, S));
  const int64_t signals_per_chunk =
      across_signals ? S
      : rows.is_cpu() && whole_fit * A * amp_bytes > 2 * kCpuChunkTensorBytes
          ? std::max<int64_t>(1, std::min(whole_fit, kCpuChunkTensorBytes / (A * amp_bytes)))
          : whole_fit;
  const int64_t band_bytes = half / chunk_signals;
  const int64_t pha_group = whole ? P : std::clamp<int64_t>(band_bytes / 2 / bin_bytes, 1, P);
  const int64_t amp_group = whole ? A : std::clamp<int64_t>((band_bytes - pha_group * bin_bytes) / amp_bytes, 1, A);

  auto mi = at::empty({S, P, A}, rows.options());
  auto sums = at::empty({S, P, A, n_bins}, rows.options());
  // Devices that count with the bins add into the counts: zeros first.
  auto counts = k.counts_with_bins ? at::zeros({S, P, n_bins}, rows.options().dtype(at::kLong))
                                   : at::empty({S, P, n_bins}, rows.options().dtype(at::kLong));
  auto surrogates = at::empty({S, K, P, A}, rows.options());
  // Each chunk's histograms go straight into its part of the outputs.
  auto store = [&](int64_t s0, int64_t i0, int64_t j0, const at::Tensor& bins, const at::Tensor& amplitude,
                   bool counted) {
    const int64_t sc = bins.size(0), pc = bins.size(1), ac = amplitude.size(1);
    // The chunk's share of the plan and of the outputs: all of them when the
    // chunk is the whole call (no views to make), else its columns of the
    // plan, phase indices made chunk-relative, and views of the outputs.
    if (sc == S && pc == P && ac == A) {
      k.bin_histograms(bins, amplitude, n_bins, plan, {mi, sums, counts, surrogates}, counted, measure,
                       k.histogram_scratch(bins));
      return;
    }
    const Surrogates part{plan.phase_index.defined() ? plan.phase_index.narrow(1, s0, sc) - s0 : at::Tensor(),
                          plan.shift.defined() ? plan.shift.narrow(1, s0, sc).contiguous() : at::Tensor()};
    const HistogramOut out{mi.narrow(0, s0, sc).narrow(1, i0, pc).narrow(2, j0, ac),
                           sums.narrow(0, s0, sc).narrow(1, i0, pc).narrow(2, j0, ac),
                           counts.narrow(0, s0, sc).narrow(1, i0, pc),
                           surrogates.narrow(0, s0, sc).narrow(2, i0, pc).narrow(3, j0, ac)};
    k.bin_histograms(bins, amplitude, n_bins, part, out, counted, measure, k.histogram_scratch(bins));
  };
  // Rows too long for their band stage go through overlapping windows; the
  // responses of a window's grid serve every window and chunk of the call.
  const CallScope call;
  const bool stretches = bin_bytes + amp_bytes > half;
  const auto band_stage = whole || stretches
                              ? binned_bands(rows, taps, n_bins, half, flags, whole ? signals_per_chunk : 1, P, A, k)
                              : binned_bands(rows, taps, n_bins, half, flags, chunk_signals, pha_group, amp_group, k);
  const Segments& seg = band_stage.seg;
  const BandOptions& o = band_stage.options;
  auto bands = [&](const at::Tensor& chunk, const at::Tensor& taps_p, const at::Tensor& taps_a, int64_t t0, int64_t t1,
                   const at::Tensor& counts_view, const BandSignals* into = nullptr) {
    BandOptions oc = o;
    oc.counts = seg.core == 0 && t0 == 0 && t1 == n ? counts_view : at::Tensor();
    oc.into = into;
    return filter_hilbert_range(chunk, taps_p, taps_a, t0, t1, seg, k, oc);
  };
  if (stretches) {
    // Not even one phase band and one amplitude band of one signal fit: the
    // histograms of stretches of time add up (counts exactly, sums in
    // float64). Surrogates read amplitudes anywhere in the row, so they
    // need whole rows.
    GPAC_CHECK_VALUE(K == 0, "surrogates need one phase band and one amplitude band of a whole signal in memory (",
                     bin_bytes + amp_bytes, " bytes for ", n, " samples), more than half the memory_budget (", half,
                     " bytes); raise memory_budget or compute the surrogates on shorter signals");
    const int64_t stretch = std::max<int64_t>(1, half / (P + A * rows.element_size()));
    for (int64_t s = 0; s < S; ++s) {
      const auto row = rows.narrow(0, s, 1);
      auto sums64 = at::zeros({1, P, A, n_bins}, rows.options().dtype(at::kDouble));
      auto counts_s = counts.narrow(0, s, 1);
      counts_s.zero_();
      for (int64_t t0 = 0; t0 < n; t0 += stretch) {
        const auto band = bands(row, pha_taps, amp_taps, t0, std::min(n, t0 + stretch), at::Tensor());
        const auto h = histogram_outputs(1, P, A, 0, n_bins, band.amplitude.options());
        k.bin_histograms(band.phase, band.amplitude, n_bins, Surrogates{}, h, false, measure,
                         k.histogram_scratch(band.phase));
        sums64 += h.amp_sums.to(at::kDouble);
        counts_s += h.counts;
      }
      sums.narrow(0, s, 1).copy_(sums64);
      mi.narrow(0, s, 1).copy_(measure_of_histograms(sums64, counts_s, n_bins, measure));
    }
  } else {
    BandSignals buffers;  // the first whole-signal chunk's bands, written again by the next
    for (int64_t s0 = 0; s0 < S; s0 += signals_per_chunk) {
      const int64_t sc = std::min(signals_per_chunk, S - s0);
      const auto chunk = sc == S ? rows : rows.narrow(0, s0, sc);
      if (whole) {  // one forward FFT per signal serves every band
        const auto into = first_signals(buffers, sc);
        const auto band = bands(chunk, pha_taps, amp_taps, 0, n, sc == S ? counts : counts.narrow(0, s0, sc),
                                buffers.phase.defined() ? &into : nullptr);
        store(s0, 0, 0, band.phase, band.amplitude, band.counted);
        if (s0 == 0 && sc < S && seg.core == 0 && rows.is_cpu()) buffers = band;
        continue;
      }
      for (int64_t i0 = 0; i0 < P; i0 += pha_group) {
        const int64_t pc = std::min(pha_group, P - i0);
        const auto taps_p = pha_taps.narrow(0, i0, pc);
        const auto phase = bands(chunk, taps_p, at::Tensor(), 0, n, counts.narrow(0, s0, sc).narrow(1, i0, pc));
        for (int64_t j0 = 0; j0 < A; j0 += amp_group) {
          const auto taps_a = amp_taps.narrow(0, j0, std::min(amp_group, A - j0));
          // Counted once, with the bins; the later groups read them.
          const bool counted = phase.counted;
          store(s0, i0, j0, phase.phase, bands(chunk, at::Tensor(), taps_a, 0, n, at::Tensor()).amplitude, counted);
        }
      }
    }
  }
  return {mi, sums, counts, surrogates};
}

at::Tensor window_rows(const at::Tensor& t, const TimeWindows& w, const at::Tensor& buffer) {
  // (S, B, count, length) -> (S, count, B, length); a copy (reshape alone may
  // return an overlapping view when S = 1), which the kernels need contiguous.
  const auto windows = t.unfold(2, w.length, w.step).transpose(1, 2);
  if (!buffer.defined()) return windows.reshape({-1, t.size(1), w.length}).contiguous();
  const int64_t rows = t.size(0) * w.count;
  auto out = buffer.narrow(0, 0, rows);
  out.view({t.size(0), w.count, t.size(1), w.length}).copy_(windows);
  return out;
}

Surrogates window_plan(const Surrogates& plan, const TimeWindows& w) {
  Surrogates out;
  if (plan.shift.defined()) out.shift = plan.shift.repeat_interleave(w.count, 1).contiguous();
  if (plan.phase_index.defined()) {
    const auto within = at::arange(w.count, plan.phase_index.options());
    out.phase_index = (plan.phase_index.unsqueeze(-1) * w.count + within).flatten(1).contiguous();
  }
  return out;
}

HistogramTuple windowed_histograms(const at::Tensor& rows, const TapSets& taps, int64_t n_bins, int64_t memory_budget,
                                   const TimeWindows& w, const Surrogates& plan, const DeviceKernels& k,
                                   RowFlags* flags, BinnedMeasure measure, bool keep_dist) {
  const int64_t S = rows.size(0), n = rows.size(1), P = taps.pha.size(0), A = taps.amp.size(0), K = plan.count();
  const int64_t half = (memory_budget > 0 ? memory_budget : kDefaultMemoryBudget) / 2;
  // Per sample of a stretch: its bins and amplitudes, and their windowed
  // copies (overlapping windows copy samples more than once) with the
  // histogram primitive's scratch.
  const int64_t copies = (w.length + w.step - 1) / w.step;
  const int64_t per_sample = (P + A * rows.element_size()) * (1 + copies) + copies * P * k.histogram_bytes_per_phase +
                             (K > 0 ? copies * A * k.surrogate_bytes_per_amplitude : 0);
  // Swapped trials borrow phases across signals: every signal in one chunk.
  const bool across_signals = plan.phase_index.defined();
  const int64_t signals_fit = half / (n * per_sample);
  const int64_t signals_per_chunk = across_signals ? S : std::clamp<int64_t>(signals_fit, 1, S);
  // Windows per stretch when whole rows do not fit.
  const int64_t stretch_samples = half / (signals_per_chunk * per_sample);
  const int64_t windows_fit = stretch_samples < w.length ? 0 : (stretch_samples - w.length) / w.step + 1;
  GPAC_CHECK_VALUE(windows_fit >= 1 && (!across_signals || windows_fit >= w.count),
                   across_signals ? "surrogates that swap trials with window need every signal's whole recording "
                                    "in half the memory_budget ("
                                  : "one window of one signal with all its bands needs more than half the "
                                    "memory_budget (",
                   half, " bytes); raise memory_budget");
  const int64_t windows_per_stretch = std::min(windows_fit, w.count);
  const CallScope call;
  const auto band_stage = binned_bands(rows, taps, n_bins, half, flags, signals_per_chunk, P, A, k);
  const Segments& seg = band_stage.seg;
  const BandOptions& o = band_stage.options;
  const auto options = rows.options();
  auto mi = at::empty({S, w.count, P, A}, options);
  // Every window's histograms are n_bins times its measure (an hour's 10-s
  // windows at 10 x 10 bands: 0.3 GB for 64 channels): kept only when asked.
  const auto sums = keep_dist ? at::empty({S, w.count, P, A, n_bins}, options) : at::Tensor();
  const auto counts = keep_dist ? at::empty({S, w.count, P, n_bins}, options.dtype(at::kLong)) : at::Tensor();
  auto surrogates = at::empty({S, w.count, K, P, A}, options);
  const auto window_shift = plan.shift.defined() ? plan.shift.unsqueeze(-1) : at::Tensor();  // (K, S, 1)
  // The windows' copies of the largest stretch, reused by every stretch: a
  // fresh pair each time would leave the allocator's freed blocks behind.
  const int64_t copy_rows = signals_per_chunk * windows_per_stretch;
  const auto bins_copies = at::empty({copy_rows, P, w.length}, options.dtype(at::kByte));
  const auto amplitude_copies = at::empty({copy_rows, A, w.length}, options);
  for (int64_t s0 = 0; s0 < S; s0 += signals_per_chunk) {
    const int64_t sc = std::min(signals_per_chunk, S - s0);
    const auto chunk = rows.narrow(0, s0, sc);
    // Rows whose transforms go whole are transformed once and their
    // stretches cut from that; longer rows go stretch by stretch.
    BandSignals whole;
    if (seg.core == 0) whole = filter_hilbert_range(chunk, taps.pha, taps.amp, 0, n, seg, k, o);
    for (int64_t w0 = 0; w0 < w.count; w0 += windows_per_stretch) {
      const int64_t wc = std::min(windows_per_stretch, w.count - w0);
      const TimeWindows part_windows{w.length, w.step, wc};
      const int64_t t0 = w0 * w.step, t1 = (w0 + wc - 1) * w.step + w.length;
      BandSignals band;
      if (seg.core == 0) {
        band.phase = whole.phase.narrow(2, t0, t1 - t0);
        band.amplitude = whole.amplitude.narrow(2, t0, t1 - t0);
      } else {
        band = filter_hilbert_range(chunk, taps.pha, taps.amp, t0, t1, seg, k, o);
      }
      Surrogates part;
      if (plan.shift.defined())
        part.shift = window_shift.narrow(1, s0, sc).expand({K, sc, wc}).reshape({K, sc * wc}).contiguous();
      if (across_signals) part.phase_index = window_plan({plan.phase_index, at::Tensor()}, part_windows).phase_index;
      const auto h = histogram_outputs(sc * wc, P, A, K, n_bins, options);
      const auto window_bins = window_rows(band.phase, part_windows, bins_copies);
      k.bin_histograms(window_bins, window_rows(band.amplitude, part_windows, amplitude_copies), n_bins, part, h, false,
                       measure, k.histogram_scratch(window_bins));
      auto place = [&](const at::Tensor& out, const at::Tensor& part_out) {
        auto shape = part_out.sizes().vec();
        shape[0] = wc;
        shape.insert(shape.begin(), sc);
        out.narrow(0, s0, sc).narrow(1, w0, wc).copy_(part_out.view(shape));
      };
      place(mi, h.mi);
      if (keep_dist) {
        place(sums, h.amp_sums);
        place(counts, h.counts);
      }
      place(surrogates, h.surrogates);
    }
  }
  auto rows_of = [&](const at::Tensor& t) {
    if (!t.defined()) return t;
    auto shape = t.sizes().vec();
    shape.erase(shape.begin());
    shape[0] = S * w.count;
    return t.view(shape);
  };
  return {rows_of(mi), rows_of(sums), rows_of(counts), rows_of(surrogates)};
}

HistogramTuple modulation_index_op(const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                   int64_t n_bins, int64_t memory_budget, const std::optional<at::Tensor>& phase_index,
                                   const std::optional<at::Tensor>& shift, const DeviceKernels& k) {
  const auto rows = as_signal_rows(x, "x");
  check_band_taps(pha_taps, amp_taps, x);
  check_n_bins(n_bins);
  check_surrogate_args(phase_index, shift, x, 1);
  GPAC_CHECK_VALUE(memory_budget >= 0, "memory_budget must be >= 0 bytes (0: the default of ", kDefaultMemoryBudget,
                   "), got ", memory_budget);
  DataChecks checks(x.device());
  checks.finite(pha_taps, "pha_taps");
  checks.finite(amp_taps, "amp_taps");
  RowFlags* flags = checks.finite_rows(rows, "x", x.sizes());
  checks.surrogate_values(phase_index, shift, rows.size(0), rows.size(1));
  const Surrogates plan{phase_index.value_or(at::Tensor()).contiguous(), shift.value_or(at::Tensor()).contiguous()};
  auto [mi, sums, counts, surrogates] = modulation_index_rows(rows, {pha_taps, amp_taps, {}, {}}, n_bins, memory_budget,
                                                              plan, k, flags, BinnedMeasure::kMI);
  checks.finish();
  const auto lead = x.sizes().slice(0, x.dim() - 1);
  return {with_lead(mi, lead, 2), with_lead(sums, lead, 3), with_lead(counts, lead, 2), with_lead(surrogates, lead, 3)};
}

}  // namespace gpac
