// The few device-specific primitives that the shared, ATen-composed op
// implementations (csrc/spectral.cpp, csrc/pipeline.cpp) call. Each device
// provides one table: ops/cpu (at::parallel_for loops) and kernels/ (CUDA).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <tuple>

namespace gpac {

struct DeviceKernels {
  // Writes the phase (TensorPAC-wrapped angle) and/or amplitude of re + i im
  // into `phase` / `amplitude` (either may be undefined). All four are
  // (A, B, n) views with unit stride along n; re and im share a dtype, the
  // outputs share theirs, and values are computed in re's precision.
  void (*write_polar)(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                      const at::Tensor& amplitude);

  // Phase-binned amplitude histograms and Tort's MI of contiguous phase
  // (S, P, n) and amplitude (S, A, n), already checked; the phase may be in a
  // wider dtype than the amplitude. Returns mi (S, P, A) and amp_sums
  // (S, P, A, n_bins) in the amplitude's dtype, counts (S, P, n_bins) int64.
  std::tuple<at::Tensor, at::Tensor, at::Tensor> (*mi_histograms)(const at::Tensor& phase,
                                                                  const at::Tensor& amplitude,
                                                                  int64_t n_bins);
};

const DeviceKernels& cpu_kernels();
const DeviceKernels& cuda_kernels();  // defined only in builds with the CUDA kernels

// The primitives themselves: ops/cpu/*.cpp and kernels/*.cu. The CUDA ones
// launch on the current stream of their tensors' device (the caller holds a
// CUDAGuard).
void write_polar_cpu(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                     const at::Tensor& amplitude);
std::tuple<at::Tensor, at::Tensor, at::Tensor> mi_histograms_cpu(const at::Tensor& phase,
                                                                 const at::Tensor& amplitude, int64_t n_bins);
void write_polar_cuda(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                      const at::Tensor& amplitude);
std::tuple<at::Tensor, at::Tensor, at::Tensor> mi_histograms_cuda(const at::Tensor& phase,
                                                                  const at::Tensor& amplitude, int64_t n_bins);

}  // namespace gpac
