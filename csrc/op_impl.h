// The gpac ops as every device runs them: argument checks, then the shared
// ATen-composed implementation with the device's primitives. The device files
// (ops/register_cpu.cpp, ops/register_cuda.cpp) only bind these to
// their dispatch keys.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <tuple>

#include "csrc/data_checks.h"
#include "csrc/device_kernels.h"

namespace gpac {

// Memory for a modulation_index call when the caller gives none (0): half for a
// chunk's phase and amplitude, half for the transforms' temporaries.
constexpr int64_t kDefaultMemoryBudget = int64_t{512} << 20;

at::Tensor filter_op(const at::Tensor& x, const at::Tensor& taps);

std::tuple<at::Tensor, at::Tensor> hilbert_op(const at::Tensor& x, const DeviceKernels& k);

std::tuple<at::Tensor, at::Tensor> filter_hilbert_op(const at::Tensor& x, const at::Tensor& pha_taps,
                                                     const at::Tensor& amp_taps, const DeviceKernels& k);

// (mi, amp_sums, counts, surrogates), shaped like the caller's leading dims.
using HistogramTuple = std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor>;

HistogramTuple mi_scatter_op(const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins,
                             const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                             const DeviceKernels& k);

// The two filter banks of a pipeline call, and their design keys when gPAC
// designed them (csrc/tap_designs.h): band responses are then
// cached under the key, so that a CUDA call neither reads nor recomputes them.
struct TapSets {
  at::Tensor pha, amp;
  std::string pha_key, amp_key;
};

// The pipeline on checked arguments: rows (S, n) contiguous float32/float64,
// outputs (S, ...), the "mi" output and the surrogates reduced to `measure`
// (Tort's MI, or the heights ratio). `flags` (CUDA, optional) are set for
// NaN/Inf samples.
HistogramTuple modulation_index_rows(const at::Tensor& rows, const TapSets& taps, int64_t n_bins, int64_t memory_budget,
                                     const Surrogates& plan, const DeviceKernels& k, RowFlags* flags,
                                     BinnedMeasure measure);

// Analysis windows of the time axis (time-resolved PAC): `count` windows of
// `length` samples, starting every `step` samples from the first; length 0:
// none (the whole recording).
struct TimeWindows {
  int64_t length = 0, step = 0, count = 0;
  bool on() const { return length > 0; }
};

// Band signals (S, B, n) -> their windows as rows (S * count, B, length),
// window w of signal s at row s * count + w: a new tensor, or the first rows
// of `buffer` (rows >= S * count, B, length, of t's dtype).
at::Tensor window_rows(const at::Tensor& t, const TimeWindows& w, const at::Tensor& buffer = {});

// A signal-level surrogate plan (phase_index, shift (K, S); shifts < the
// window length) for the window rows: every window of signal s takes s's
// shift, and with swapped trials the same window of the signal whose phase it
// borrows.
Surrogates window_plan(const Surrogates& plan, const TimeWindows& w);

// modulation_index_rows per window: outputs (S * w.count, ...), window rows as
// window_rows orders them, from one band-pass and Hilbert pass over each
// signal (over stretches of consecutive windows when whole signals do not
// fit). `plan` is signal-level (window_plan's argument). The amplitude sums
// and counts come back only with keep_dist (undefined otherwise).
HistogramTuple windowed_histograms(const at::Tensor& rows, const TapSets& taps, int64_t n_bins, int64_t memory_budget,
                                   const TimeWindows& w, const Surrogates& plan, const DeviceKernels& k,
                                   RowFlags* flags, BinnedMeasure measure, bool keep_dist);

// The whole pipeline, x (..., n_times) -> (mi, amp_sums, counts, surrogates),
// in chunks of signals (then of bands, for signals too long to hold all bands
// at once) so that its working memory stays within memory_budget bytes (0: the
// default). A phase_index (swapped trials) keeps all signals in every chunk.
HistogramTuple modulation_index_op(const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                   int64_t n_bins, int64_t memory_budget, const std::optional<at::Tensor>& phase_index,
                                   const std::optional<at::Tensor>& shift, const DeviceKernels& k);

}  // namespace gpac
