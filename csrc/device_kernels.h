// The few device-specific primitives that the shared, ATen-composed op
// implementations (csrc/spectral.cpp, csrc/op_impl.cpp) call. Each device
// provides one table: kernels/cpu (at::parallel_for loops) and kernels/cuda.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "csrc/pac_math.h"

namespace gpac {

// Surrogates as index arithmetic (never shifted copies): surrogate k of signal
// s pairs the phase of signal phase_index[k][s] with the amplitude of signal s
// read from sample shift[k][s] on, circularly: a'(t) = a((t + shift) mod n).
// Both are (K, S) int64 on the signals' device; an undefined phase_index means
// each signal keeps its own phase; an undefined shift means no surrogates
// (K = 0) unless phase_index is given, in which case shifts are 0.
struct Surrogates {
  at::Tensor phase_index;
  at::Tensor shift;
  int64_t count() const { return shift.defined() ? shift.size(0) : (phase_index.defined() ? phase_index.size(0) : 0); }
};

// Where the histogram primitive writes: views of the caller's outputs, each
// of any strides. mi (S, P, A), amp_sums (S, P, A, n_bins) and surrogates
// (S, K, P, A) in the amplitude's dtype; counts (S, P, n_bins) int64, an
// input instead when the bins' counts are already there (counts_with_bins).
struct HistogramOut {
  at::Tensor mi, amp_sums, counts, surrogates;
};

// Where a histogram primitive writes `out`: each view itself where it is
// contiguous, else a contiguous buffer of its shape; the counts only when the
// primitive writes them (not counts_given: then undefined, for the device to
// fill as it reads them). write_back copies the buffers into `out`'s views.
HistogramOut writable(const HistogramOut& out, bool counts_given);
void write_back(const HistogramOut& out, const HistogramOut& written, bool counts_given);

// One set of bands for the fused filter + analytic-signal path: band-pass
// every signal through each row of taps (B, L) in `dtype`, take the analytic
// signal, and write into `out` (S, B, n) its phase (out's dtype), its phase
// bins (uint8, when n_bins > 0) or its amplitude.
struct BandJob {
  at::Tensor taps;
  at::ScalarType dtype;
  bool phase;      // phase (or bins) rather than amplitude
  int64_t n_bins;  // > 0: bins instead of phases
  at::Tensor out;
  // Non-empty: the taps' design key, under which their band responses are
  // cached (csrc/spectral.h power_response); else computed from the taps.
  std::string response_key;
  // Bins jobs on devices with counts_with_bins, optional: (S, B, n_bins)
  // int64 (any strides) that the bins' per-row counts are added into.
  at::Tensor counts;
  // Optional (S, B, n) like `out`. Phase jobs: `out` gets the cos and
  // out_sin the sin of the phase, re / |z| and im / |z| (1 and 0 where z = 0),
  // with no angle taken. Amplitude jobs: the envelope's own analytic signal
  // w (the envelope zero-padded to the 5-smooth length, as the band's), as
  // conj(w) / |w| in (out, out_sin): PS's carrier. Devices whose
  // filter_hilbert cannot write them return false for such jobs.
  at::Tensor out_sin;
};

struct RowFlags;  // csrc/data_checks.h

struct DeviceKernels {
  // Writes the phase (TensorPAC-wrapped angle) and/or amplitude of re + i im
  // into `phase` / `amplitude` (either may be undefined). All four are
  // (A, B, n) views with unit stride along n; re and im share a dtype, the
  // outputs share theirs, and values are computed in re's precision.
  void (*write_polar)(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase, const at::Tensor& amplitude);

  // Writes the phase bin (0 .. n_bins - 1, PhaseBins of re's dtype) of every
  // sample into `bins` (uint8): of the phase `re` itself when `im` is
  // undefined, else of the TensorPAC-wrapped angle of re + i im. re, im and
  // bins are (A, B, n) views with unit stride along n.
  void (*write_bins)(const at::Tensor& re, const at::Tensor& im, int64_t n_bins, const at::Tensor& bins);

  // Phase-binned amplitude histograms and their measure (Tort's MI, or the
  // heights ratio: csrc/pac_math.h) of contiguous phase bins
  // (S, P, n) uint8 and amplitude (S, A, n), and of their surrogates, into
  // `out`; the counts are read from out.counts when counts_given, else
  // written there. Arguments already checked (surrogate indices may still be
  // out of range on CUDA, where csrc/data_checks.h reports them after the
  // call: the kernels must not read outside the inputs then). The primitive's
  // scratch stays within scratch_bytes where it can (0: no limit; the CPU's
  // runs then go a few phase bands at a time, one at least).
  void (*bin_histograms)(const at::Tensor& bins, const at::Tensor& amplitude, int64_t n_bins,
                         const Surrogates& surrogates, const HistogramOut& out, bool counts_given,
                         BinnedMeasure measure, int64_t scratch_bytes);

  // Optional: the whole fused path (filter, analytic signal, polar form or
  // bins) for contiguous rows (S, n), with temporaries of about block_bytes;
  // sets `flags` (when given) for NaN/Inf samples. Returns false where it
  // cannot run (null, or unavailable at run time), and csrc/spectral.cpp then
  // composes ATen's batched FFTs with write_polar / write_bins instead.
  bool (*filter_hilbert)(const at::Tensor& rows, const std::vector<BandJob>& jobs, int64_t block_bytes,
                         RowFlags* flags);

  // Whether filter_hilbert fills BandJob::counts.
  bool counts_with_bins;

  // The scratch the pipelines plan for bin_histograms per phase-band sample
  // (and pass it as scratch_bytes: histogram_scratch).
  int64_t histogram_bytes_per_phase;
  int64_t histogram_scratch(const at::Tensor& bins) const { return bins.numel() * histogram_bytes_per_phase; }

  // The scratch bin_histograms takes per amplitude-band sample when it
  // computes surrogates (CUDA: their float64 prefix sums), which the
  // pipelines plan beside the amplitudes.
  int64_t surrogate_bytes_per_amplitude;

  // The most rows filter_hilbert works on at once (each with its own
  // buffers), which the band stage is planned for. A device's constant, not
  // the thread count of the moment: the windows of long rows, and so the
  // results, then do not depend on torch.set_num_threads.
  int64_t (*band_workers)();

  // Optional: TensorPAC's copnorm of contiguous rows (..., n) into `out`:
  // quantiles (n,) (ndtri((k + 1) / (n + 1)), ascending) written where each
  // rank sits, ranks as a stable argsort gives them. Null: ATen's argsort
  // and scatter (csrc/pac_methods.cpp copnorm).
  void (*copula_normalise)(const at::Tensor& rows, const at::Tensor& quantiles, const at::Tensor& out);
};

const DeviceKernels& cpu_kernels();
const DeviceKernels& cuda_kernels();  // defined only in builds with the CUDA kernels

// The primitives themselves: kernels/cpu/*.cpp and kernels/cuda/*.cu. The CUDA ones
// launch on the current stream of their tensors' device (the caller holds a
// CUDAGuard).
void write_polar_cpu(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase, const at::Tensor& amplitude);
void write_bins_cpu(const at::Tensor& re, const at::Tensor& im, int64_t n_bins, const at::Tensor& bins);
void bin_histograms_cpu(const at::Tensor& bins, const at::Tensor& amplitude, int64_t n_bins,
                        const Surrogates& surrogates, const HistogramOut& out, bool counts_given,
                        BinnedMeasure measure = BinnedMeasure::kMI, int64_t scratch_bytes = 0);
bool filter_hilbert_cpu(const at::Tensor& rows, const std::vector<BandJob>& jobs, int64_t block_bytes, RowFlags* flags);
int64_t band_workers_cpu();
void copula_normalise_cpu(const at::Tensor& rows, const at::Tensor& quantiles, const at::Tensor& out);
void write_polar_cuda(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase, const at::Tensor& amplitude);
void write_bins_cuda(const at::Tensor& re, const at::Tensor& im, int64_t n_bins, const at::Tensor& bins);
void bin_histograms_cuda(const at::Tensor& bins, const at::Tensor& amplitude, int64_t n_bins,
                         const Surrogates& surrogates, const HistogramOut& out, bool counts_given,
                         BinnedMeasure measure = BinnedMeasure::kMI, int64_t scratch_bytes = 0);
bool filter_hilbert_cuda(const at::Tensor& rows, const std::vector<BandJob>& jobs, int64_t block_bytes,
                         RowFlags* flags);

}  // namespace gpac
