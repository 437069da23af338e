// The CUDA kernels of every gpac op: the shared implementations
// (csrc/op_impl.h) with the CUDA primitives (csrc/device_kernels.h), each
// under a CUDAGuard for the input's device so that allocations and launches
// go to its current stream.
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include "csrc/gradients.h"
#include "csrc/op_impl.h"
#include "csrc/pipeline.h"
#include "csrc/device_kernels.h"

namespace gpac {

const DeviceKernels& cuda_kernels() {
  // The histograms' scratch (pair_histograms' per-chunk sums) scales with
  // pairs, not samples: planned per call in kernels/cuda/bin_histograms_cuda.cu;
  // the surrogates' float64 prefix sums take 8 bytes per amplitude sample
  // (their change masks, a bit per phase sample, are not planned).
  static const DeviceKernels kernels{&write_polar_cuda,
                                     &write_bins_cuda,
                                     &bin_histograms_cuda,
                                     &filter_hilbert_cuda,
                                     true,
                                     /*histogram_bytes_per_phase=*/0,
                                     /*surrogate_bytes_per_amplitude=*/sizeof(double),
                                     /*band_workers=*/[]() -> int64_t { return 1; },
                                     /*copula_normalise=*/nullptr};
  return kernels;
}

TORCH_LIBRARY_IMPL(gpac, CUDA, m) {
  m.impl("filter", [](const at::Tensor& x, const at::Tensor& taps) {
    const c10::cuda::CUDAGuard guard(x.device());
    return filter_op(x, taps);
  });
  m.impl("hilbert", [](const at::Tensor& x) {
    const c10::cuda::CUDAGuard guard(x.device());
    return hilbert_op(x, cuda_kernels());
  });
  m.impl("filter_hilbert", [](const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps) {
    const c10::cuda::CUDAGuard guard(x.device());
    return filter_hilbert_op(x, pha_taps, amp_taps, cuda_kernels());
  });
  m.impl("mi_scatter", [](const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins,
                          const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift) {
    const c10::cuda::CUDAGuard guard(phase.device());
    return mi_scatter_op(phase, amplitude, n_bins, phase_index, shift, cuda_kernels());
  });
  m.impl("modulation_index", [](const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                int64_t n_bins, int64_t memory_budget, const std::optional<at::Tensor>& phase_index,
                                const std::optional<at::Tensor>& shift) {
    const c10::cuda::CUDAGuard guard(x.device());
    return modulation_index_op(x, pha_taps, amp_taps, n_bins, memory_budget, phase_index, shift, cuda_kernels());
  });
  m.impl("pac", pac_kernel([](const at::Tensor& x, const PacOptions& o) {
           const c10::cuda::CUDAGuard guard(x.device());
           return pac_pipeline(x, o, cuda_kernels());
         }));
  m.impl("modulation_index_backward",
         [](const std::optional<at::Tensor>& grad_mi, const std::optional<at::Tensor>& grad_amp_sums,
            const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps, const at::Tensor& amp_sums,
            const at::Tensor& counts, int64_t n_bins) {
           const c10::cuda::CUDAGuard guard(x.device());
           return modulation_index_backward_op(grad_mi, grad_amp_sums, x, pha_taps, amp_taps, amp_sums, counts, n_bins,
                                               cuda_kernels());
         });
}

}  // namespace gpac
