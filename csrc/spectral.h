// Band-pass filtering (filtfilt-exact) and TensorPAC's analytic signal, composed
// from ATen's FFTs (pocketfft/MKL on the CPU, cuFFT on CUDA) and the device
// primitives DeviceKernels::write_polar / write_bins. Inputs are unchecked: the op entries
// (csrc/op_impl.cpp) check them first.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <tuple>

#include "csrc/data_checks.h"
#include "csrc/device_kernels.h"
#include "csrc/lru_cache.h"

namespace gpac {

// Temporaries of one block of (signals x bands) when no budget is given.
constexpr int64_t kDefaultBlockBytes = int64_t{128} << 20;
// At most this per block on the CPU (csrc/spectral.cpp says why).
constexpr int64_t kCpuBlockBytes = int64_t{32} << 20;
// The largest band tensor of a chunk of signals on the CPU (the sums methods,
// the MI's whole-signal chunks): half of glibc's largest mmap threshold.
// Larger blocks are fresh mappings on every call, whose pages all fault on
// first touch; the next chunks write into the first chunk's tensors
// (BandOptions::into).
constexpr int64_t kCpuChunkTensorBytes = int64_t{16} << 20;

// Phases are computed in float64 whatever the signal dtype, then rounded: a
// float32 phase error (~3e-7 rad) moves a few samples per million across bin
// edges, which shifts a weakly coupled pair's MI by up to a few percent.
constexpr auto kPhaseDtype = at::kDouble;

// scipy's odd extension of the last dim by p samples on each side.
at::Tensor odd_extend(const at::Tensor& x, int64_t p);

// |B(f)|^2 of each row of taps on the rfft grid of length n_fft, in dtype, on
// `device`, cached: under `key` when given (the design key of the bank the
// taps are rows of, csrc/tap_designs.h; a view of some of its rows is told
// apart by its storage offset), else under the bytes of CPU taps; responses of device taps
// without a key are computed afresh (reading their bytes would need a sync).
at::Tensor power_response(const at::Tensor& taps, int64_t n_fft, at::ScalarType dtype, const at::Device& device,
                          const std::string& key = {});

// What the process keeps of the band responses (power_response,
// wavelet_response) between calls, in all.
constexpr size_t kResponseCacheBytes = size_t{32} << 20;
// power_response transforms this many bands at a time (one more at the end).
constexpr int64_t kResponseBandsPerBatch = 2;

// What one pipeline call keeps across its windows and chunks of signals, and
// releases when it ends: the band responses computed on its thread, whatever
// their size (the process-wide cache may be too small for a long row's
// windows), and the device's per-thread FFT workers (the CPU's row buffers and
// MKL descriptors, kernels/cpu/filter_hilbert_cpu.cpp). The outermost scope on
// a thread is the call's; window_stage_bytes plans what it holds.
class CallScope {
 public:
  CallScope();
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // The running call's scope on this thread, or null.
  static CallScope* current();

  LruCache<at::Tensor>& responses() { return *responses_; }
  // The device kernels' state for the call, created by them on first use.
  std::shared_ptr<void> device_state;
  // Whether the call has opened a parallel region (CPU: its threads are awake).
  bool threads_woken = false;

 private:
  std::unique_ptr<LruCache<at::Tensor>> responses_;
  bool outermost_ = false;
};

// The responses of complex taps (wavelets) as two real filters, re(w) and
// im(w): (B, 2, n_fft / 2 + 1) in complex(dtype), cached as power_response.
at::Tensor wavelet_response(const at::Tensor& wavelets, int64_t n_fft, at::ScalarType dtype, const at::Device& device,
                            const std::string& key = {});

// Imaginary part of TensorPAC's analytic signal of each row (..., n): the
// Hilbert transform over the next 5-smooth length, cut back to n. As a linear
// map it is antisymmetric: its adjoint is minus itself.
at::Tensor hilbert_imag(const at::Tensor& rows);

// (re, im) / |re + i im|: the cos and sin of the angle without taking it, (1, 0)
// where re + i im = 0 (TensorPAC's angle(0) = 0).
std::tuple<at::Tensor, at::Tensor> unit_phasor(const at::Tensor& re, const at::Tensor& im);

// PS's carrier e^(-i phase) of each envelope row's own analytic signal w
// (hilbert_imag's padding): conj(w) / |w| as (real, imaginary) parts.
std::tuple<at::Tensor, at::Tensor> envelope_phasor(const at::Tensor& envelope);

// Band-passed rows: rows (S, n) contiguous float32/float64, taps (B, L) ->
// (S, B, n) in the rows' dtype.
at::Tensor filter_rows(const at::Tensor& rows, const at::Tensor& taps, int64_t block_bytes);

// Rows (S, n) convolved with complex taps (B, L) as TensorPAC's morlet does
// (numpy.convolve(x, w)[(L - 1) // 2 :][:n], zero padding): the real and
// imaginary parts, (S, B, n) each in the rows' dtype.
std::tuple<at::Tensor, at::Tensor> wavelet_rows(const at::Tensor& rows, const at::Tensor& wavelets,
                                                int64_t block_bytes);

// Phase and amplitude of each row's analytic signal: (S, n) each.
std::tuple<at::Tensor, at::Tensor> hilbert_rows(const at::Tensor& rows, int64_t block_bytes, const DeviceKernels& k);

struct BandSignals;

// How filter_hilbert_rows computes and what it reports.
struct BandOptions {
  int64_t block_bytes = kDefaultBlockBytes;  // temporaries per block of (signals x bands)
  at::ScalarType phase_dtype = kPhaseDtype;  // phases' output dtype (n_bins == 0)
  int64_t n_bins = 0;                        // > 0: phase bins (uint8) instead of phases
  std::string pha_key, amp_key;              // design keys of the tap sets (power_response's cache)
  RowFlags* flags = nullptr;                 // set for NaN/Inf samples of the rows (csrc/data_checks.h)
  at::Tensor counts;                         // bins: (S, P, n_bins) int64 to add the counts into, if the device can
  bool phasor = false;                       // phases as their cos and sin, in the rows' dtype (n_bins == 0)
  bool envelope_phasor = false;              // amplitudes as conj(z) / |z| of the envelope's analytic signal z (PS)
  // Contiguous tensors to write the outputs into where defined (each of the
  // shape and dtype it would be returned with), so that a caller looping over
  // chunks of signals reuses its pages instead of faulting fresh ones in.
  const BandSignals* into = nullptr;
};

// What filter_hilbert_rows returns: either tensor undefined when its taps are.
struct BandSignals {
  at::Tensor phase;         // (S, P, n): phases in o.phase_dtype, or bins
  at::Tensor amplitude;     // (S, A, n) in the rows' dtype
  bool counted = false;     // the bins' counts were added into o.counts
  at::Tensor phase_sin;     // with o.phasor: the phase's sin, and `phase` its cos
  at::Tensor amplitude_im;  // with o.envelope_phasor: the imaginary part, and `amplitude` the real
};

// The first `signals` signals of each defined tensor of b: a later (maybe
// smaller) chunk's share of the first chunk's bands, for BandOptions::into.
BandSignals first_signals(const BandSignals& b, int64_t signals);

// The fused path: phase of each phase band (or, when n_bins > 0, its phase
// bins as uint8, from the float64 analytic signal) and amplitude of each
// amplitude band, from one forward FFT per signal. Either tap set may be
// undefined. Complex taps (both sets, or the one given) are wavelets: their
// convolution (wavelet_rows) is the complex band signal, with no Hilbert
// transform.
BandSignals filter_hilbert_rows(const at::Tensor& rows, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                const DeviceKernels& k, const BandOptions& o = {});

// What the band stage (filter_hilbert_rows on a window of rows) holds at
// once: `signals` rows transformed together into pha_bands phase bands and
// amp_bands amplitude bands, written with pha_out_bytes and amp_out_bytes a
// sample (1 for bins), amplitude rows transformed with amp_fft_bytes a value
// (phase rows in float64), on `workers` threads.
struct WindowStage {
  int64_t signals = 1, pha_bands = 0, amp_bands = 0;
  int64_t pha_out_bytes = 8, amp_out_bytes = 8, amp_fft_bytes = 8;
  int64_t workers = 1;
};

// Bytes the band stage holds for windows of `length` samples: the signals'
// copies and spectra, the responses on the window's grid, the outputs, and
// each worker's row buffers and FFT descriptors.
int64_t window_stage_bytes(int64_t length, int64_t max_taps, const WindowStage& w);

// Long rows go through the FFTs in overlapping windows (overlap-save): the
// core [c0, c1) of each window [c0 - margin, c1 + margin), clipped to the row,
// is kept. The band-pass is exact on every core sample (filtfilt's response
// reaches `order` samples either way and margin >= 2 x the longest order; at
// the row's own ends the window ends there too, with the same odd extension).
// TensorPAC's analytic signal is an FFT over the whole row, not local: per
// window it differs from the whole-row one by O(1 / margin) (README, "Long
// recordings"). core == 0: rows go whole. Between windows on the CPU, the
// heap may keep up to `stage_bytes` (the band stage's budget) of freed memory
// for the next window; more goes back to the system (csrc/host_memory.h).
struct Segments {
  int64_t core = 0, margin = 0, stage_bytes = 0;
};

// Windows of the longest length whose band stage (window_stage_bytes) fits
// in `budget` bytes, at least 32 x the longest order; margins of an eighth of
// that (at least 2 x the longest order). Whole rows when they fit.
Segments plan_segments(int64_t n_times, int64_t max_taps, const WindowStage& w, int64_t budget);

// Band-passed rows (as filter_rows) computed window by window.
at::Tensor filter_rows_segmented(const at::Tensor& rows, const at::Tensor& taps, const Segments& seg,
                                 int64_t block_bytes);

// filter_hilbert_rows for samples [t0, t1) of the rows, window by window
// (whole rows when seg.core == 0; counts only then).
BandSignals filter_hilbert_range(const at::Tensor& rows, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                 int64_t t0, int64_t t1, const Segments& seg, const DeviceKernels& k,
                                 const BandOptions& o = {});

}  // namespace gpac
