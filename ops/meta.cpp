// Meta (fake) kernels: output shapes and dtypes without data, so that
// torch.compile, torch.export and FakeTensor propagate shapes through gpac ops.
// (fir_taps, which has no tensor input, handles device=meta itself.)
// They run the same argument checks as the device kernels (csrc/op_args.h),
// except the data checks (NaN/Inf), which need values.
#include <ATen/ATen.h>
#include <torch/library.h>

#include "csrc/error_text.h"
#include "csrc/op_args.h"
#include "csrc/pipeline.h"

namespace gpac {
namespace {

at::Tensor banded_like(const at::Tensor& x, const c10::SymInt& n_bands) {
  return at::empty_symint(banded_shape(x, n_bands), x.options().dtype(signal_dtype(x, "x")));
}

at::Tensor filter_meta(const at::Tensor& x, const at::Tensor& taps) {
  signal_dtype(x, "x");
  check_filter_taps(taps, x);
  return banded_like(x, taps.sym_size(0));
}

std::tuple<at::Tensor, at::Tensor> hilbert_meta(const at::Tensor& x) {
  const auto opts = x.options().dtype(signal_dtype(x, "x"));
  return {at::empty_symint(x.sym_sizes(), opts), at::empty_symint(x.sym_sizes(), opts)};
}

std::tuple<at::Tensor, at::Tensor> filter_hilbert_meta(const at::Tensor& x, const at::Tensor& pha_taps,
                                                       const at::Tensor& amp_taps) {
  signal_dtype(x, "x");
  check_band_taps(pha_taps, amp_taps, x);
  return {banded_like(x, pha_taps.sym_size(0)), banded_like(x, amp_taps.sym_size(0))};
}

// mi (..., P, A), amp_sums (..., P, A, n_bins), counts (..., P, n_bins),
// surrogates (..., K, P, A).
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> histograms_like(c10::SymIntArrayRef lead,
                                                                           const c10::SymInt& P, const c10::SymInt& A,
                                                                           int64_t n_bins,
                                                                           const std::optional<at::Tensor>& phase_index,
                                                                           const std::optional<at::Tensor>& shift,
                                                                           const at::TensorOptions& options) {
  auto shape = [&](std::vector<c10::SymInt> tail) {
    auto s = lead.vec();
    s.insert(s.end(), tail.begin(), tail.end());
    return s;
  };
  const c10::SymInt K = shift ? shift->sym_size(0) : (phase_index ? phase_index->sym_size(0) : c10::SymInt(0));
  return {at::empty_symint(shape({P, A}), options), at::empty_symint(shape({P, A, n_bins}), options),
          at::empty_symint(shape({P, n_bins}), options.dtype(at::kLong)), at::empty_symint(shape({K, P, A}), options)};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> mi_scatter_meta(const at::Tensor& phase,
                                                                           const at::Tensor& amplitude, int64_t n_bins,
                                                                           const std::optional<at::Tensor>& phase_index,
                                                                           const std::optional<at::Tensor>& shift) {
  check_mi_args(phase, amplitude, n_bins);
  check_surrogate_args(phase_index, shift, phase, 2);
  return histograms_like(phase.sym_sizes().slice(0, phase.dim() - 2), phase.sym_size(-2), amplitude.sym_size(-2),
                         n_bins, phase_index, shift, amplitude.options());
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> modulation_index_meta(
    const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps, int64_t n_bins, int64_t memory_budget,
    const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift) {
  const auto dtype = signal_dtype(x, "x");
  check_band_taps(pha_taps, amp_taps, x);
  check_n_bins(n_bins);
  check_surrogate_args(phase_index, shift, x, 1);
  GPAC_CHECK_VALUE(memory_budget >= 0, "memory_budget must be >= 0 bytes, got ", memory_budget);
  return histograms_like(x.sym_sizes().slice(0, x.dim() - 1), pha_taps.sym_size(0), amp_taps.sym_size(0), n_bins,
                         phase_index, shift, x.options().dtype(dtype));
}

// A backward pass's result: the grad of `like` (the signals or the amplitude).
at::Tensor grad_like(const at::Tensor& like) {
  return at::empty_symint(like.sym_sizes(), like.options().dtype(signal_dtype(like, "x")));
}

}  // namespace

TORCH_LIBRARY_IMPL(gpac, Meta, m) {
  m.impl("filter_backward", [](const at::Tensor&, const at::Tensor& x, const at::Tensor&) { return grad_like(x); });
  m.impl("hilbert_backward", [](const std::optional<at::Tensor>&, const std::optional<at::Tensor>&,
                                const at::Tensor& x) { return grad_like(x); });
  m.impl("filter_hilbert_backward",
         [](const std::optional<at::Tensor>&, const std::optional<at::Tensor>&, const at::Tensor& x, const at::Tensor&,
            const at::Tensor&) { return grad_like(x); });
  m.impl("mi_scatter_backward", [](const std::optional<at::Tensor>&, const std::optional<at::Tensor>&,
                                   const at::Tensor&, const at::Tensor& amplitude, const at::Tensor&, const at::Tensor&,
                                   int64_t) { return grad_like(amplitude); });
  m.impl("modulation_index_backward",
         [](const std::optional<at::Tensor>&, const std::optional<at::Tensor>&, const at::Tensor& x, const at::Tensor&,
            const at::Tensor&, const at::Tensor&, const at::Tensor&, int64_t) { return grad_like(x); });
  m.impl("filter", &filter_meta);
  m.impl("hilbert", &hilbert_meta);
  m.impl("filter_hilbert", &filter_hilbert_meta);
  m.impl("mi_scatter", &mi_scatter_meta);
  m.impl("modulation_index", &modulation_index_meta);
  m.impl("pac", pac_kernel(&pac_shapes));
}

}  // namespace gpac
