// CUDA: phase and amplitude of analytic signals (the last step of
// filter_hilbert / hilbert), one thread per sample, read once, written once.
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
  TORCH_INTERNAL_ASSERT(t.stride(2) == 1, "write_polar needs unit stride along time");
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
    if (amplitude.data) amplitude.at(a, b)[t] = static_cast<out_t>(hypot(x, y));
  }
}

}  // namespace

void write_polar_cuda(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                      const at::Tensor& amplitude) {
  const int64_t B = re.size(1), n = re.size(2), total = re.size(0) * B * n;
  if (total == 0) return;
  const auto out_type = (phase.defined() ? phase : amplitude).scalar_type();
  constexpr int threads = 256;
  const int64_t blocks = std::min<int64_t>((total + threads - 1) / threads, int64_t{1} << 20);
  auto stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(re.scalar_type(), "gpac_polar_cuda", [&] {
    using in_t = scalar_t;
    AT_DISPATCH_FLOATING_TYPES(out_type, "gpac_polar_cuda_out", [&] {
      polar_kernel<in_t, scalar_t><<<blocks, threads, 0, stream>>>(
          rows_of<const in_t>(re), rows_of<const in_t>(im), rows_of<scalar_t>(phase), rows_of<scalar_t>(amplitude), B,
          n, total);
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    });
  });
}

}  // namespace gpac
