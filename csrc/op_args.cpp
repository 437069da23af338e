#include "op_args.h"
#include "csrc/error_text.h"

#include "filter_design.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/core/SymBool.h>

#include <atomic>
#include <cmath>
#include <string>
#include <vector>

namespace gpac {
namespace {

void check_nonempty(const at::Tensor& x, const char* name, const char* layout) {
  GPAC_CHECK_VALUE(x.defined(), name, " is undefined; expected a tensor of shape ", layout);
  GPAC_CHECK_VALUE(x.dim() >= 1, name, " is a 0-dim tensor; expected shape ", layout);
  GPAC_SYM_CHECK_VALUE(x.sym_numel().sym_gt(0), name, " is empty (shape ", x.sym_sizes(), "); expected shape ", layout,
                       " with at least one element");
}

}  // namespace

at::ScalarType signal_dtype(const at::Tensor& x, const char* name) {
  check_nonempty(x, name, "(..., n_times)");
  const auto dt = x.scalar_type();
  GPAC_CHECK_TYPE(!at::isComplexType(dt), name, " is complex (", dt, "); expected real signals (float32 or float64)");
  GPAC_CHECK_TYPE(dt != at::kBool, name, " is a bool tensor; expected real signals (float32 or float64)");
  if (dt == at::kFloat || dt == at::kDouble) return dt;
  return at::kFloat;  // integers, float16 and bfloat16 are computed in float32
}

at::Tensor as_signal_rows(const at::Tensor& x, const char* name) {
  const auto dt = signal_dtype(x, name);
  return x.to(dt).reshape({-1, x.size(-1)}).contiguous();
}

void check_taps(const at::Tensor& taps, const at::Tensor& x, const char* name) {
  check_nonempty(taps, name, "(n_bands, n_taps)");
  GPAC_CHECK_VALUE(taps.dim() == 2, name, " must have shape (n_bands, n_taps), got ", taps.sym_sizes());
  GPAC_CHECK_TYPE(at::isFloatingType(taps.scalar_type()) || at::isComplexType(taps.scalar_type()), name,
                  " must be real FIR taps (float64 recommended) or complex wavelets, got ", taps.scalar_type());
  GPAC_CHECK_VALUE(taps.device() == x.device(), name, " is on ", taps.device(), " but the signals are on ", x.device(),
                   "; move both to one device");
  if (taps.is_complex()) return;  // convolved with zero padding: any length
  GPAC_SYM_CHECK_VALUE(taps.sym_size(1).sym_le(x.sym_size(-1) - 1), name, " has ", taps.sym_size(1),
                       " taps per band, but filtfilt's odd extension by n_taps - 1 samples needs "
                       "signals longer than that; got n_times = ",
                       x.sym_size(-1));
}

void check_filter_taps(const at::Tensor& taps, const at::Tensor& x) {
  check_taps(taps, x, "taps");
  GPAC_CHECK_TYPE(!taps.is_complex(), "gpac::filter takes real FIR taps, got ", taps.scalar_type(),
                  "; complex wavelets give phases and amplitudes through gpac::filter_hilbert");
}

void check_band_taps(const at::Tensor& pha_taps, const at::Tensor& amp_taps, const at::Tensor& x) {
  check_taps(pha_taps, x, "pha_taps");
  check_taps(amp_taps, x, "amp_taps");
  GPAC_CHECK_VALUE(pha_taps.is_complex() == amp_taps.is_complex(),
                   "pha_taps and amp_taps must both be real FIR taps or both complex wavelets, got ",
                   pha_taps.scalar_type(), " and ", amp_taps.scalar_type());
}

void check_n_bins(int64_t n_bins) {
  GPAC_CHECK_VALUE(n_bins >= 2 && n_bins <= kMaxBins, "n_bins must be >= 2 phase bins (and at most ", kMaxBins,
                   "), got ", n_bins);
}

void check_mi_args(const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins) {
  check_nonempty(phase, "phase", "(..., n_pha, n_times)");
  check_nonempty(amplitude, "amplitude", "(..., n_amp, n_times)");
  check_n_bins(n_bins);
  GPAC_CHECK_VALUE(phase.dim() >= 2 && amplitude.dim() == phase.dim(),
                   "phase and amplitude must have shapes (..., n_pha, n_times) and "
                   "(..., n_amp, n_times) with the same leading dims, got ",
                   phase.sym_sizes(), " and ", amplitude.sym_sizes());
  for (int64_t d = 0; d < phase.dim(); ++d) {
    if (d == phase.dim() - 2) continue;
    GPAC_SYM_CHECK_VALUE(phase.sym_size(d).sym_eq(amplitude.sym_size(d)), "phase and amplitude differ in dim ", d,
                         " (shapes ", phase.sym_sizes(), " and ", amplitude.sym_sizes(),
                         "); they must share leading dims and n_times");
  }
  for (const auto* t : {&phase, &amplitude}) {
    const char* name = t == &phase ? "phase" : "amplitude";
    GPAC_CHECK_TYPE(t->scalar_type() == at::kFloat || t->scalar_type() == at::kDouble, name,
                    " must be float32 or float64, got ", t->scalar_type());
  }
  GPAC_CHECK_TYPE(phase.scalar_type() == amplitude.scalar_type() || phase.scalar_type() == at::kDouble,
                  "phase and amplitude must share a dtype, or the phase be float64 (finer bins for float32 "
                  "amplitudes), got ",
                  phase.scalar_type(), " and ", amplitude.scalar_type());
  GPAC_CHECK_VALUE(phase.device() == amplitude.device(), "phase is on ", phase.device(), " but amplitude is on ",
                   amplitude.device());
}

int64_t check_fir_bands(double fs, at::ArrayRef<double> low, at::ArrayRef<double> high, int64_t n_times, int64_t cycle,
                        c10::string_view kind) {
  GPAC_CHECK_VALUE(!low.empty() && low.size() == high.size(), "a filter bank needs as many low (", low.size(),
                   ") as high (", high.size(), ") band edges, at least one");
  GPAC_CHECK_VALUE(n_times >= 1, "n_times must be >= 1, got ", n_times);
  int64_t width = 0;
  for (size_t i = 0; i < low.size(); ++i) {
    const std::string err =
        band_error(fs, low[i], high[i], n_times, cycle, std::string(kind) + " " + std::to_string(i));
    GPAC_CHECK_VALUE(err.empty(), err);
    width = std::max(width, fir_order(fs, n_times, low[i], cycle) + 1);
  }
  return width;
}

void check_surrogate_args(const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                          const at::Tensor& like, int64_t trailing_dims) {
  c10::SymInt n_signals = 1;
  for (int64_t d = 0; d < like.dim() - trailing_dims; ++d) n_signals = n_signals * like.sym_size(d);
  c10::SymInt n_perm = -1;
  for (const auto* t : {&phase_index, &shift}) {
    if (!t->has_value()) continue;
    const char* name = t == &phase_index ? "phase_index" : "shift";
    const auto& v = **t;
    GPAC_CHECK_VALUE(v.dim() == 2, name, " must have shape (n_perm, n_signals), got ", v.sym_sizes());
    GPAC_CHECK_TYPE(v.scalar_type() == at::kLong, name, " must be int64, got ", v.scalar_type());
    GPAC_CHECK_VALUE(v.device() == like.device(), name, " is on ", v.device(), " but the signals are on ",
                     like.device());
    GPAC_SYM_CHECK_VALUE(v.sym_size(1).sym_eq(n_signals), name, " has ", v.sym_size(1), " columns but there are ",
                         n_signals, " signals (the flattened leading dims)");
    if (n_perm == -1) n_perm = v.sym_size(0);
    GPAC_SYM_CHECK_VALUE(v.sym_size(0).sym_eq(n_perm),
                         "phase_index and shift must have the same number of "
                         "permutations (rows), got ",
                         phase_index->sym_size(0), " and ", shift->sym_size(0));
  }
}

void check_surrogate_values(const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                            int64_t n_signals, int64_t n_times) {
  if (phase_index && phase_index->numel() > 0) {
    GPAC_CHECK_VALUE(phase_index->min().item<int64_t>() >= 0 && phase_index->max().item<int64_t>() < n_signals,
                     "phase_index values must be signal indices in [0, ", n_signals, ")");
  }
  if (shift && shift->numel() > 0) {
    GPAC_CHECK_VALUE(shift->min().item<int64_t>() >= 0 && shift->max().item<int64_t>() < n_times,
                     "shift values must be sample offsets in [0, n_times = ", n_times, ")");
  }
}

std::vector<c10::SymInt> banded_shape(const at::Tensor& x, const c10::SymInt& n_bands) {
  auto sizes = x.sym_sizes().vec();
  sizes.insert(sizes.end() - 1, n_bands);
  return sizes;
}

namespace {

// Whether every element is finite: on the CPU one threaded pass that stops
// at nothing (no temporaries: isfinite().all() costs ~80 us on a small call),
// elsewhere ATen's reduction.
bool all_finite(const at::Tensor& x) {
  if (!x.is_cpu() || !x.is_contiguous()) return at::isfinite(x).all().item<bool>();
  std::atomic<bool> finite{true};
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gpac_all_finite", [&] {
    const scalar_t* p = x.data_ptr<scalar_t>();
    at::parallel_for(0, x.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
      bool ok = true;
      for (int64_t i = begin; i < end; ++i) ok &= std::isfinite(p[i]);  // no early exit: vectorises
      if (!ok) finite = false;
    });
  });
  return finite;
}

}  // namespace

void check_finite(const at::Tensor& x, const char* name, at::IntArrayRef shape) {
  if (!at::isFloatingType(x.scalar_type())) return;
  if (all_finite(x)) return;
  // Only on failure: find the first bad element, on the host.
  const auto host = x.cpu().contiguous();
  const auto bad = at::isfinite(host).logical_not_();
  const auto where = bad.nonzero().select(0, 0);
  int64_t flat = 0;
  for (int64_t d = 0; d < where.numel(); ++d) flat = flat * host.size(d) + where[d].item<int64_t>();
  const double v = host.view(-1)[flat].item<double>();
  // The position in the caller's shape (x may be its signals flattened to rows).
  const auto dims = shape.empty() ? host.sizes().vec() : shape.vec();
  std::vector<int64_t> index(dims.size());
  for (int64_t d = static_cast<int64_t>(dims.size()) - 1, rest = flat; d >= 0; --d) {
    index[d] = rest % dims[d];
    rest /= dims[d];
  }
  GPAC_CHECK_VALUE(false, name, " holds ", bad.sum().item<int64_t>(), " non-finite value(s); the first is ",
                   std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"), " at index ", c10::IntArrayRef(index),
                   " of shape ", c10::IntArrayRef(dims),
                   ". Remove or interpolate NaN/Inf samples before computing PAC (from Python, "
                   "nan='propagate' gives the signals holding them NaN results instead)");
}

}  // namespace gpac
