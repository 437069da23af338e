// The CUDA DeviceKernels primitives (csrc/device_kernels.h). Both launch on
// the current stream of the tensors' device (the caller holds a CUDAGuard).
#pragma once

#include <ATen/core/Tensor.h>

#include <tuple>

namespace gpac {

void write_polar_cuda(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                      const at::Tensor& amplitude);

std::tuple<at::Tensor, at::Tensor, at::Tensor> mi_histograms_cuda(const at::Tensor& phase,
                                                                  const at::Tensor& amplitude, int64_t n_bins);

}  // namespace gpac
