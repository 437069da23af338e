// CUDA: phase and amplitude, or phase bins, of analytic signals (the last step
// of filter_hilbert / hilbert and of the pipeline), one thread per sample, read
// once, written once.
#include <ATen/Dispatch.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "csrc/pac_math.h"
#include "csrc/device_kernels.h"

namespace gpac {
namespace {

// An (A, B, n) view with unit stride along n.
template <typename T>
struct Rows {
  T* data;
  int64_t stride0, stride1;
  __device__ T* at(int64_t a, int64_t b) const { return data + a * stride0 + b * stride1; }
};

template <typename T>
Rows<T> rows_of(const at::Tensor& t) {
  if (!t.defined()) return {nullptr, 0, 0};
  TORCH_INTERNAL_ASSERT(t.stride(2) == 1, "gpac: rows need unit stride along time");
  return {t.data_ptr<std::remove_const_t<T>>(), t.stride(0), t.stride(1)};
}

template <typename in_t, typename out_t>
__global__ void polar_kernel(Rows<const in_t> re, Rows<const in_t> im, Rows<out_t> phase, Rows<out_t> amplitude,
                             int64_t B, int64_t n, int64_t total) {
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = idx / n, t = idx % n, a = row / B, b = row % B;
    const in_t x = re.at(a, b)[t], y = im.at(a, b)[t];
    if (phase.data) phase.at(a, b)[t] = static_cast<out_t>(wrap_phase(atan2(y, x)));
    if (amplitude.data) amplitude.at(a, b)[t] = static_cast<out_t>(magnitude(x, y));
  }
}

// The bin of the phase re (im null) or of the wrapped angle of re + i im.
template <typename T>
__global__ void bins_kernel(Rows<const T> re, Rows<const T> im, Rows<uint8_t> bins, int64_t n_bins, int64_t B,
                            int64_t n, int64_t total) {
  const PhaseBins<T> to_bin(n_bins);
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = idx / n, t = idx % n, a = row / B, b = row % B;
    const T x = re.at(a, b)[t];
    const T phase = im.data ? wrap_phase(atan2(im.at(a, b)[t], x)) : x;
    bins.at(a, b)[t] = static_cast<uint8_t>(to_bin(phase));
  }
}

constexpr int kThreads = 256;

int64_t blocks_for(int64_t total) { return std::min<int64_t>((total + kThreads - 1) / kThreads, int64_t{1} << 20); }

}  // namespace

void write_polar_cuda(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                      const at::Tensor& amplitude) {
  const int64_t B = re.size(1), n = re.size(2), total = re.size(0) * B * n;
  if (total == 0) return;
  const auto out_type = (phase.defined() ? phase : amplitude).scalar_type();
  const int64_t blocks = blocks_for(total);
  auto stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(re.scalar_type(), "gpac_polar_cuda", [&] {
    using in_t = scalar_t;
    AT_DISPATCH_FLOATING_TYPES(out_type, "gpac_polar_cuda_out", [&] {
      polar_kernel<in_t, scalar_t><<<blocks, kThreads, 0, stream>>>(rows_of<const in_t>(re), rows_of<const in_t>(im),
                                                                    rows_of<scalar_t>(phase),
                                                                    rows_of<scalar_t>(amplitude), B, n, total);
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    });
  });
}

void write_bins_cuda(const at::Tensor& re, const at::Tensor& im, int64_t n_bins, const at::Tensor& bins) {
  const int64_t B = re.size(1), n = re.size(2), total = re.size(0) * B * n;
  if (total == 0) return;
  auto stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(re.scalar_type(), "gpac_bins_cuda", [&] {
    bins_kernel<scalar_t><<<blocks_for(total), kThreads, 0, stream>>>(
        rows_of<const scalar_t>(re), rows_of<const scalar_t>(im), rows_of<uint8_t>(bins), n_bins, B, n, total);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
}

}  // namespace gpac
