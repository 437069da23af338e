// The CPU kernels of every gpac op: the shared implementations (csrc/op_impl.h)
// with the CPU's primitives (csrc/device_kernels.h).
#include <torch/library.h>

#include "csrc/gradients.h"
#include "csrc/op_impl.h"
#include "csrc/pipeline.h"
#include "csrc/device_kernels.h"

namespace gpac {

const DeviceKernels& cpu_kernels() {
  // Counts come from the histograms' runs (5 bytes a run, about 0.1 to 0.7
  // runs a sample: the pipelines plan 2 bytes a sample, and the runs go in
  // passes of phase bands within that); the prefix sums are one tile per thread.
  static const DeviceKernels kernels{&write_polar_cpu,
                                     &write_bins_cpu,
                                     &bin_histograms_cpu,
                                     &filter_hilbert_cpu,
                                     /*counts_with_bins=*/false,
                                     /*histogram_bytes_per_phase=*/2,
                                     /*surrogate_bytes_per_amplitude=*/0,
                                     &band_workers_cpu,
                                     &copula_normalise_cpu};
  return kernels;
}

TORCH_LIBRARY_IMPL(gpac, CPU, m) {
  m.impl("filter", &filter_op);
  m.impl("hilbert", [](const at::Tensor& x) { return hilbert_op(x, cpu_kernels()); });
  m.impl("filter_hilbert", [](const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps) {
    return filter_hilbert_op(x, pha_taps, amp_taps, cpu_kernels());
  });
  m.impl("mi_scatter", [](const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins,
                          const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift) {
    return mi_scatter_op(phase, amplitude, n_bins, phase_index, shift, cpu_kernels());
  });
  m.impl("modulation_index", [](const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                int64_t n_bins, int64_t memory_budget, const std::optional<at::Tensor>& phase_index,
                                const std::optional<at::Tensor>& shift) {
    return modulation_index_op(x, pha_taps, amp_taps, n_bins, memory_budget, phase_index, shift, cpu_kernels());
  });
  m.impl("pac", pac_kernel([](const at::Tensor& x, const PacOptions& o) { return pac_pipeline(x, o, cpu_kernels()); }));
  m.impl("modulation_index_backward",
         [](const std::optional<at::Tensor>& grad_mi, const std::optional<at::Tensor>& grad_amp_sums,
            const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps, const at::Tensor& amp_sums,
            const at::Tensor& counts, int64_t n_bins) {
           return modulation_index_backward_op(grad_mi, grad_amp_sums, x, pha_taps, amp_taps, amp_sums, counts, n_bins,
                                               cpu_kernels());
         });
}

}  // namespace gpac
