// The CPU's DeviceKernels primitives (csrc/device_kernels.h).
#pragma once

#include <ATen/core/Tensor.h>

#include <tuple>

namespace gpac {

void write_polar_cpu(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                     const at::Tensor& amplitude);

std::tuple<at::Tensor, at::Tensor, at::Tensor> mi_histograms_cpu(const at::Tensor& phase,
                                                                 const at::Tensor& amplitude, int64_t n_bins);

}  // namespace gpac
