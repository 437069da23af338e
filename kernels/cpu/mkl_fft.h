// One-dimensional real FFTs on the CPU through the MKL that the x86-64 torch
// wheels carry inside libtorch_cpu (its DFTI entry points are exported).
//
// Why not at::fft_*: ATen commits a new MKL descriptor on every call, ~0.6 ms
// for a 30k-point transform, so it only pays off on large batches, whose
// temporaries then leave the caches. Here each thread keeps its committed
// descriptors, so a transform of one row costs what the transform costs, and
// the pipeline can run filter, Hilbert transform and binning row by row in
// the caches (kernels/cpu/filter_hilbert_cpu.cpp).
//
// The DFTI symbols are referenced weakly: with a torch that has no MKL (or a
// build without mkl_dfti.h, from the PyPI mkl-include package) available()
// is false and the callers use ATen's FFTs instead.
#pragma once

#include <complex>
#include <cstdint>
#include <memory>

namespace gpac::mkl_fft {

// Whether the MKL transforms can run: built with mkl_dfti.h, the DFTI entry
// points present at run time, and not switched off with GPAC_CPU_FFT=aten.
bool available();

// A real transform of length n in precision T (float or double), out of
// place, single-threaded (callers run one per thread): forward r2c gives the
// n / 2 + 1 non-negative frequencies, backward c2r takes them (the imaginary
// parts of the DC and Nyquist terms are ignored, as numpy's irfft does) and
// does not scale: it returns n times numpy's irfft, and callers fold the 1 / n
// into a pass they make anyway. Descriptors are cached per thread (a few lengths).
template <typename T>
class RealTransform {
 public:
  explicit RealTransform(int64_t n);
  void forward(const T* in, std::complex<T>* out) const;
  void backward(const std::complex<T>* in, T* out) const;

 private:
  std::shared_ptr<void> forward_plan_, backward_plan_;  // committed descriptors, shared with the cache
};

}  // namespace gpac::mkl_fft
