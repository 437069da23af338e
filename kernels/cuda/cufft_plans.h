// Batched 1-D double-precision real FFTs through cuFFT directly, with plans
// cached per device and shape (ATen's torch.fft on CUDA would add a copy of
// the input for C2R, a scaling pass and a plan lookup with its own locking per
// call: three launches and a host-side search for every transform of the
// pipeline). Work areas come from the caching allocator on the current stream.
#pragma once

#include <c10/util/complex.h>

#include <cstdint>

namespace gpac::cufft {

// `batch` real rows of length n (row r at in + r * in_dist) -> their spectra,
// n / 2 + 1 complex values each (row r at out + r * out_dist), unscaled, on the
// current stream of the current device.
void forward(const double* in, int64_t in_dist, c10::complex<double>* out, int64_t out_dist, int64_t n, int64_t batch);

// The inverse, unscaled (n times the inverse DFT): `batch` half spectra ->
// real rows of length n. cuFFT overwrites `in`.
void backward(c10::complex<double>* in, int64_t in_dist, double* out, int64_t out_dist, int64_t n, int64_t batch);

}  // namespace gpac::cufft
