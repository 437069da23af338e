// Band designs with TensorPAC's exact conventions (tensorpac/spectral.py):
// the FIR band-pass (fir_order, fir1, firls) and the Morlet wavelet (morlet).
// Pure C++ in float64, no LibTorch dependency, so the
// design can be tested and reused by any C++ program.
#pragma once

#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace gpac {

// TensorPAC's fir_order: cycle * (fs // low) samples, clipped to
// (n_times - 1) // 3 when the signal is shorter than three filter lengths.
// `fs // low` follows Python's float floor division exactly.
int64_t fir_order(double fs, int64_t n_times, double low, int64_t cycle);

// TensorPAC's fir1(order, [low, high] / (fs / 2)): least-squares FIR of
// order + 1 taps (MATLAB fir1 emulated through firls, zero-width transitions,
// unit weights), times a symmetric Hamming window, scaled to unit gain at the
// band centre. Handles odd (type I) and even (type II) tap counts.
std::vector<double> fir1(int64_t order, double low, double high, double fs);

// One band's taps as TensorPAC designs them for a signal of n_times samples:
// fir1(fir_order(fs, n_times, low, cycle), low, high, fs).
std::vector<double> bandpass_taps(double fs, double low, double high, int64_t n_times, int64_t cycle);

// Describes why (fs, [low, high], n_times, cycle) cannot be designed, or returns
// "" when it can. `what` names the band in the message ("phase band 3").
// Rules: fs > 0; 0 < low < high < fs / 2; cycle >= 1; and the signal holds at
// least one period of the band's low edge (n_times >= fs / low), without which
// the band cannot be resolved and the filter order collapses.
std::string band_error(double fs, double low, double high, int64_t n_times, int64_t cycle, const std::string& what);

// The band rules every design shares, or "" when they hold: fs > 0 and
// 0 < low < high < fs / 2 (`what` names the band, as in band_error).
std::string band_edges_error(double fs, double low, double high, const std::string& what);

// TensorPAC's spectral.morlet wavelet for centre frequency f (Hz) at sampling
// rate fs: st = width / (2 pi f), t = numpy.arange(-width st / 2, width st / 2,
// 1 / fs) (NumPy's length and fill rule), m(t) = exp(-t^2 / (2 st^2))
// exp(i 2 pi f t) / sqrt(st sqrt(pi)).
std::vector<std::complex<double>> morlet_wavelet(double fs, double f, double width);

// The length of morlet_wavelet(fs, f, width), without building it.
int64_t morlet_length(double fs, double f, double width);

// The next length >= n whose only prime factors are 2, 3 and 5 (the old
// scipy.fftpack.next_fast_len that TensorPAC's Hilbert padding uses).
int64_t next_fast_len(int64_t n);

}  // namespace gpac
