// Argument checks and output shapes shared by every backend of every gpac op
// (CPU, CUDA and Meta), so that each op rejects bad input with the same message
// wherever it runs. Shape helpers use SymInt so that the Meta kernels work under
// torch.compile with dynamic shapes.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/SymInt.h>

#include <optional>
#include <vector>

namespace gpac {

// Checks a signal tensor x of shape (..., n_times) and returns the floating
// dtype the op computes in: float32/float64 as given; integer and reduced
// precision floats are promoted to float32 (as torch.fft promotes integers);
// complex and bool are refused.
at::ScalarType signal_dtype(const at::Tensor& x, const char* name);

// The input as (n_signals, n_times), contiguous, in signal_dtype.
at::Tensor as_signal_rows(const at::Tensor& x, const char* name);

// Checks taps of shape (n_bands, n_taps) used with signals x: one row per band,
// shorter filters zero-padded at the end (trailing zeros leave the zero-phase
// response |B|^2 unchanged). filtfilt's odd extension needs n_taps - 1 < n_times.
// Complex taps are wavelets (csrc/spectral.h), of any length.
void check_taps(const at::Tensor& taps, const at::Tensor& x, const char* name);

// gpac::filter's taps: real.
void check_filter_taps(const at::Tensor& taps, const at::Tensor& x);

// check_taps of both, which must be of one kind: real taps or wavelets.
void check_band_taps(const at::Tensor& pha_taps, const at::Tensor& amp_taps, const at::Tensor& x);

// Checks 2 <= n_bins <= kMaxBins.
constexpr int64_t kMaxBins = 256;
void check_n_bins(int64_t n_bins);

// Checks phase (..., n_pha, n_times), amplitude (..., n_amp, n_times), n_bins.
void check_mi_args(const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins);

// Checks every band [low[i], high[i]] of a filter bank (named "<kind> <i>" in
// messages) and returns the widest tap count, max_i fir_order_i + 1.
int64_t check_fir_bands(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, int64_t n_times, int64_t cycle,
                        c10::string_view kind);

// Checks the optional surrogate plan (csrc/device_kernels.h): phase_index and
// shift of shape (n_perm, n_signals), int64, on `like`'s device, n_signals
// being the flattened leading dims of `like` (..., n_times) or, with
// bands_dim, of `like` (..., n_bands, n_times). Shapes only: meta-safe.
void check_surrogate_args(const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                          const at::Tensor& like, int64_t trailing_dims);

// The values: 0 <= phase_index < n_signals and 0 <= shift < n_times.
void check_surrogate_values(const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                            int64_t n_signals, int64_t n_times);

// (..., n_bands, n_times) for signals x of shape (..., n_times).
std::vector<c10::SymInt> banded_shape(const at::Tensor& x, const c10::SymInt& n_bands);

// Fails with the first non-finite element's position when x holds NaN or Inf,
// given in `shape` (the caller's shape of the same elements; default x's).
// Reads the data: call it from the device kernels, not from Meta kernels.
void check_finite(const at::Tensor& x, const char* name, at::IntArrayRef shape = {});

}  // namespace gpac
