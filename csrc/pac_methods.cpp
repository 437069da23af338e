#include "csrc/pac_methods.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "csrc/error_text.h"
#include "csrc/gpac.h"
#include "csrc/op_args.h"
#include "csrc/op_impl.h"
#include "csrc/spectral.h"

namespace gpac {
namespace {

// Scratch for one batch of surrogates' gathered amplitudes.
constexpr int64_t kSurrogateBatchBytes = int64_t{64} << 20;

// Where each surrogate of `ks` (kb, S) reads sample t of a signal's rows
// shifted circularly by ks[k, s]: (ks + t) mod n, (kb, S, 1, n).
at::Tensor shift_index(const at::Tensor& ks, int64_t n) {
  return (ks.unsqueeze(-1) + at::arange(n, ks.options())).remainder_(n).unsqueeze(2);
}

// amplitude (S, A, n) read at `index` (shift_index) -> (kb, S, A, n).
at::Tensor shifted(const at::Tensor& amplitude, const at::Tensor& index) {
  const int64_t S = amplitude.size(0), A = amplitude.size(1), n = amplitude.size(2), kb = index.size(0);
  return amplitude.unsqueeze(0).expand({kb, S, A, n}).gather(3, index.expand({kb, S, A, n}));
}

// The amplitude factor of the sums, as its real and imaginary parts: real
// (MVL, ndPAC, GC: im undefined) or complex (PS's e^(-i phase of the
// envelope)). Parts, not one complex tensor: the kernels write them apart,
// and interleaving them (at::complex) cost PS more than its products.
struct Carrier {
  at::Tensor re, im;
};

// sum_t c[.., j, t] (cos + i sin)[.., i, t] as (.., P, A): two real products
// for a real c, four for a complex one.
at::Tensor sums_of(const at::Tensor& cos, const at::Tensor& sin, const Carrier& c) {
  const auto re = c.re.transpose(-1, -2);
  if (!c.im.defined()) return at::complex(at::matmul(cos, re), at::matmul(sin, re));
  const auto im = c.im.transpose(-1, -2);
  return at::complex(at::matmul(cos, re) - at::matmul(sin, im), at::matmul(cos, im) + at::matmul(sin, re));
}

// phase_amp_sums on checked arguments, with the phase factor given as its
// real and imaginary parts: sums of carrier[j] (cos + i sin)[i], where cos
// and sin (..., P, n) may be any real rows (GC passes copula-normalised ones).
std::tuple<at::Tensor, at::Tensor> sums_with_surrogates(const at::Tensor& cos_rows, const at::Tensor& sin_rows,
                                                        const Carrier& carrier,
                                                        const std::optional<at::Tensor>& phase_index,
                                                        const std::optional<at::Tensor>& shift) {
  const auto lead = cos_rows.sym_sizes().slice(0, cos_rows.dim() - 2);
  const auto P = cos_rows.sym_size(-2), A = carrier.re.sym_size(-2), n = cos_rows.sym_size(-1);
  auto rows3 = [&](const at::Tensor& t) { return t.defined() ? t.reshape_symint({-1, t.sym_size(-2), n}) : t; };
  const Carrier amp{rows3(carrier.re), rows3(carrier.im)};
  const auto cos = rows3(cos_rows), sin = rows3(sin_rows);
  auto shape = [&](std::initializer_list<c10::SymInt> tail) {
    auto s = lead.vec();
    s.insert(s.end(), tail);
    return s;
  };
  const auto sums = sums_of(cos, sin, amp).view_symint(shape({P, A}));
  const auto& plan = shift ? shift : phase_index;
  if (!plan) {
    const auto none = at::empty_symint(shape({0, P, A}), sums.options());
    return {sums, none};
  }
  const int64_t K = plan->size(0), S = plan->size(1), nn = amp.re.size(2), nA = amp.re.size(1);
  // A batch's gathered parts and their int64 indices.
  const int64_t per_k = std::max<int64_t>(1, S * nA * nn * amp.re.element_size() * (amp.im.defined() ? 3 : 2));
  const int64_t batch = std::clamp<int64_t>(kSurrogateBatchBytes / per_k, 1, K);
  std::vector<at::Tensor> parts;
  for (int64_t k0 = 0; k0 < K; k0 += batch) {
    const int64_t kb = std::min(batch, K - k0);
    auto c = cos.unsqueeze(0), s = sin.unsqueeze(0);
    if (phase_index) {
      const auto index = phase_index->narrow(0, k0, kb).reshape({-1});
      c = cos.index_select(0, index).view({kb, S, cos.size(1), nn});
      s = sin.index_select(0, index).view({kb, S, sin.size(1), nn});
    }
    // One index for the carrier's real and imaginary parts (PS).
    const auto shift_at = shift ? shift_index(shift->narrow(0, k0, kb), nn) : at::Tensor();
    auto moved = [&](const at::Tensor& t) {
      if (!t.defined()) return t;
      return shift ? shifted(t, shift_at) : t.unsqueeze(0);
    };
    parts.push_back(sums_of(c, s, {moved(amp.re), moved(amp.im)}).expand({kb, S, cos.size(1), nA}));
  }
  // (K, S, P, A) -> (..., K, P, A)
  const auto surrogates = at::cat(parts, 0).permute({1, 0, 2, 3}).reshape_symint(shape({K, P, A}));
  return {sums, surrogates};
}

// sums_with_surrogates of real phases, in the amplitude's real precision.
std::tuple<at::Tensor, at::Tensor> phase_sums(const at::Tensor& phase, const at::Tensor& amplitude,
                                              const std::optional<at::Tensor>& phase_index,
                                              const std::optional<at::Tensor>& shift) {
  const auto pha = phase.to(at::toRealValueType(amplitude.scalar_type()));
  const Carrier carrier =
      amplitude.is_complex() ? Carrier{at::real(amplitude), at::imag(amplitude)} : Carrier{amplitude, {}};
  return sums_with_surrogates(pha.cos(), pha.sin(), carrier, phase_index, shift);
}

// The inverse error function on the host (ndPAC's threshold): Winitzki's
// approximation, then Newton steps on erf to double precision.
double erfinv(double y) {
  const double a = 0.147, pi = 3.141592653589793238462643383279502884;
  const double ln = std::log((1 - y) * (1 + y)), t = 2 / (pi * a) + ln / 2;
  double x = std::copysign(std::sqrt(std::sqrt(t * t - ln / a) - t), y);
  for (int i = 0; i < 4; ++i) x -= (std::erf(x) - y) / (2 / std::sqrt(pi) * std::exp(-x * x));
  return x;
}

}  // namespace

at::Tensor copnorm_values(int64_t n, const at::TensorOptions& options) {
  return at::special_ndtri((at::arange(n, options) + 1) / static_cast<double>(n + 1));
}

namespace {

// TensorPAC's copnorm along the last dim: ndtri((rank + 1) / (n + 1)), ranks from a
// stable sort (ties keep their order). Every row is a permutation of the same
// n values, so they are computed once and scattered to where each rank sits.
// Written into `out` (x itself: each row is read before it is written), or
// a fresh tensor where out is undefined.
at::Tensor copnorm_to(const at::Tensor& x, const at::Tensor& values, at::Tensor out) {
  // The CPU's own sort where there is data to read (not FakeTensor, not Meta).
  if (x.is_cpu() && !x.key_set().has(c10::DispatchKey::Python) && !x.requires_grad() &&
      cpu_kernels().copula_normalise) {
    const auto rows = x.contiguous();
    if (!out.defined()) out = at::empty_like(rows);
    cpu_kernels().copula_normalise(rows, values.contiguous(), out);
    return out;
  }
  // The overload taking `stable` first, spelled out: x.sort(true, -1) would
  // pick sort(dim, descending).
  const auto order = x.argsort(/*stable=*/true, /*dim=*/-1, /*descending=*/false);
  if (!out.defined()) out = at::empty_like(x);
  return out.scatter_(-1, order, values.expand_as(order));
}

}  // namespace

at::Tensor copnorm(const at::Tensor& x, const at::Tensor& values) { return copnorm_to(x, values, {}); }

at::Tensor row_dots(const at::Tensor& a, const at::Tensor& b) {
  return at::matmul(a.unsqueeze(-2), b.unsqueeze(-1)).squeeze(-1).squeeze(-1);
}

at::Tensor& copnorm_(at::Tensor& x, const at::Tensor& values) {
  TORCH_INTERNAL_ASSERT(x.is_contiguous(), "copnorm_ normalises contiguous rows in place");
  copnorm_to(x, values, x);
  return x;
}

// Gaussian-copula MI in bits (tensorpac/gcmi.py nd_mi_gg, no demeaning, no
// bias correction) between the phase's copula-normalised (cos, sin) and the
// copula-normalised amplitude, from their sums of products: cross = sum cos a +
// i sum sin a; uu, vv, uv the phase's (broadcastable to cross); aa the
// amplitude's. det(C_xy) = det(C_x) (aa - c' C_x^-1 c), so the MI is
// -log(1 - c' C_x^-1 c / aa) / (2 ln 2); the 1 / (n - 1) cancels.
at::Tensor gaussian_copula_mi(const at::Tensor& cross, const at::Tensor& uu, const at::Tensor& vv, const at::Tensor& uv,
                              const at::Tensor& aa) {
  const auto cu = at::real(cross), cv = at::imag(cross);
  const auto det = uu * vv - uv * uv;
  const auto explained = (vv * cu * cu - 2 * uv * cu * cv + uu * cv * cv) / (det * aa);
  // With few samples (event-related PAC across a handful of trials) the
  // copula-normalised cos and sin can share their ranks (or reverse them):
  // u = +-v, one variable, whose covariance with itself is singular (0 / 0
  // above); the MI is then u's alone. Rounding leaves det a few ulps from 0.
  // An amplitude with the ranks of u or v explains all of it: the MI is
  // infinite, which rounding could push past 1 (NaN) unless clamped.
  const double eps = cross.scalar_type() == at::kComplexFloat ? 1.1920929e-7 : 2.220446049250313e-16;
  const auto alone = cu * cu / (uu * aa);
  const auto share = at::where(det <= uu * vv * (64 * eps), alone, explained).clamp_max(1.0);
  return at::log1p(-share) * (-0.5 / std::log(2.0));
}

bool is_sum_method(const std::string& method) {
  return method == "mvl" || method == "ndpac" || method == "ps" || method == "gc";
}

void check_method(const std::string& method, std::optional<double> ndpac_p) {
  GPAC_CHECK_VALUE(method == "mi" || method == "hr" || is_sum_method(method),
                   "method must be 'mi' (Tort's Modulation Index), 'hr' (heights ratio), 'mvl' (Canolty's mean "
                   "vector length), 'ndpac' "
                   "(Ozkurt's normalised direct PAC), 'ps' (phase synchrony) or 'gc' (Gaussian-copula PAC), got '",
                   method, "'");
  GPAC_CHECK_VALUE(!ndpac_p || (*ndpac_p > 0 && *ndpac_p <= 1),
                   "ndpac_p (ndPAC's threshold p-value) must be in (0, 1], or None for no threshold; got ",
                   ndpac_p.value_or(0));
}

std::tuple<at::Tensor, at::Tensor> phase_amp_sums(const at::Tensor& phase, const at::Tensor& amplitude,
                                                  const std::optional<at::Tensor>& phase_index,
                                                  const std::optional<at::Tensor>& shift) {
  GPAC_CHECK_VALUE(phase.dim() >= 2 && amplitude.dim() >= 2,
                   "phase_amp_sums takes phase (..., n_pha, n_times) and amplitude (..., n_amp, n_times); got shapes ",
                   phase.sym_sizes(), " and ", amplitude.sym_sizes());
  GPAC_CHECK_TYPE(at::isFloatingType(phase.scalar_type()), "phase must be a real floating tensor, got ",
                  phase.scalar_type());
  GPAC_CHECK_TYPE(at::isFloatingType(amplitude.scalar_type()) || at::isComplexType(amplitude.scalar_type()),
                  "amplitude must be a floating or complex tensor, got ", amplitude.scalar_type());
  GPAC_CHECK_VALUE(phase.device() == amplitude.device(), "phase is on ", phase.device(), " but amplitude is on ",
                   amplitude.device(), "; move both to one device");
  GPAC_CHECK_VALUE(
      phase.dim() == amplitude.dim() &&
          phase.sym_sizes().slice(0, phase.dim() - 2) == amplitude.sym_sizes().slice(0, amplitude.dim() - 2) &&
          phase.sym_size(-1) == amplitude.sym_size(-1),
      "phase and amplitude must share their leading dims and n_times: got shapes ", phase.sym_sizes(), " and ",
      amplitude.sym_sizes());
  check_surrogate_args(phase_index, shift, phase, 2);
  // The phase indices are read once (a synchronisation on CUDA) unless
  // FakeTensor is tracing, whose data cannot be read; shifts are taken modulo
  // n_times, so every value is valid.
  if (phase_index && !phase.key_set().has(c10::DispatchKey::Python))
    check_surrogate_values(phase_index, std::nullopt, phase_index->size(1), phase.size(-1));
  return phase_sums(phase, amplitude, phase_index, shift);
}

std::tuple<at::Tensor, at::Tensor> sum_method_rows(const at::Tensor& rows, const at::Tensor& pha_taps,
                                                   const at::Tensor& amp_taps, const Surrogates& plan,
                                                   const SumMethodOptions& o) {
  const int64_t S = rows.size(0), n = rows.size(1), P = pha_taps.size(0), A = amp_taps.size(0);
  const int64_t budget = o.memory_budget > 0 ? o.memory_budget : kDefaultMemoryBudget;
  // A signal's bands, their cos and sin, its complex amplitude factor and the
  // filter's FFT temporaries, roughly.
  const auto& w = o.window;
  const int64_t copies = w.on() ? (w.length + w.step - 1) / w.step : 0;
  const int64_t per_signal = n * (P + A) * (3 * rows.element_size() + 32) * (1 + copies);
  const int64_t m = w.on() ? w.length : n;  // samples per measured row
  const int64_t group = std::max<int64_t>(1, o.trial_group);
  GPAC_CHECK_VALUE(group * per_signal <= budget, "method '", o.method, "' needs whole signals in memory: ", group,
                   " signal(s) of ", n, " samples with ", P, " + ", A, " bands take about ", group * per_signal,
                   " bytes, more than the memory_budget (", budget,
                   " bytes); raise memory_budget, or use method 'mi', which windows long signals");
  // Chunks of signals within the budget and, on the CPU, small enough that
  // each of their band tensors (cos, sin, amplitude, their copulas) stays
  // under kCpuChunkTensorBytes: glibc hands larger blocks out as fresh mappings,
  // whose every page faults on first touch, call after call (float64 MVL at
  // 16 x 30720 samples: 145-150 ms in chunks of 15 signals, 106-114 ms of 7).
  // The CUDA caching allocator keeps its blocks: there, fewer launches win.
  const int64_t tensor_per_signal = std::max<int64_t>(1, n * std::max(P, A) * rows.element_size() * (1 + copies));
  const int64_t signals_fit =
      rows.is_cpu() ? std::min(budget / per_signal, std::max<int64_t>(1, kCpuChunkTensorBytes / tensor_per_signal))
                    : budget / per_signal;
  const int64_t chunk = std::max<int64_t>(1, signals_fit / group) * group;
  const bool fused = o.kernels && rows.is_cpu() && !rows.requires_grad();
  const int64_t K = plan.count();
  const double threshold =
      o.method == "ndpac" && o.ndpac_p && *o.ndpac_p < 1 ? 2.0 * m * std::pow(erfinv(1.0 - *o.ndpac_p), 2) : -1.0;
  // What the method makes of the sums: |sum| / n, with ndPAC's threshold on |sum|^2.
  auto measure = [&](const at::Tensor& sums) {
    const auto magnitude = sums.abs();
    auto value = magnitude / static_cast<double>(m);
    if (threshold >= 0) value = value.masked_fill(magnitude.square() <= threshold, 0.0);
    return value;
  };
  std::vector<at::Tensor> values, surrogates;
  // The first chunk's band tensors, written again by the next chunks: their
  // pages stay mapped (fresh ones cost a page fault each, a fifth of GC's time).
  BandSignals buffers;
  for (int64_t s0 = 0; s0 < S; s0 += chunk) {
    const int64_t sc = std::min(chunk, S - s0);
    // The phase enters through its cos and sin only.
    at::Tensor cos, sin, amplitude, envelope_im;  // envelope_im: PS's carrier's imaginary part, from the kernel
    const auto chunk = rows.narrow(0, s0, sc);
    if (fused) {
      BandOptions bo;
      bo.phasor = true;
      // PS's carrier, e^(-i phase of the envelope), straight from the kernel.
      bo.envelope_phasor = o.method == "ps" && !w.on();
      const auto into = first_signals(buffers, sc);
      if (buffers.phase.defined()) bo.into = &into;
      const auto band = filter_hilbert_rows(chunk, pha_taps, amp_taps, *o.kernels, bo);
      if (s0 == 0 && sc < S) buffers = band;
      cos = band.phase;
      sin = band.phase_sin;
      amplitude = band.amplitude;
      if (bo.envelope_phasor) envelope_im = band.amplitude_im;
    } else {
      at::Tensor phase;
      std::tie(phase, amplitude) = ops::filter_hilbert(chunk, pha_taps, amp_taps);
      const auto pha = phase.to(at::toRealValueType(amplitude.scalar_type()));
      cos = pha.cos();
      sin = pha.sin();
    }
    Surrogates part{plan.phase_index.defined() ? plan.phase_index.narrow(1, s0, sc) - s0 : at::Tensor(),
                    plan.shift.defined() ? plan.shift.narrow(1, s0, sc) : at::Tensor()};
    if (w.on()) {
      cos = window_rows(cos, w);
      sin = window_rows(sin, w);
      amplitude = window_rows(amplitude, w);
      part = window_plan(part, w);
    }
    const int64_t rows_c = cos.size(0);
    std::optional<at::Tensor> index, lag;
    if (part.phase_index.defined()) index = part.phase_index;
    if (part.shift.defined()) lag = part.shift;
    // Statistics of the phase rows t (rows, P) as each surrogate sees them:
    // those of the signal whose phase it borrows, (rows, K, P), else its own
    // (rows, 1, P), broadcast over the surrogates.
    auto borrowed = [&](const at::Tensor& t) {
      return index ? t.index_select(0, index->flatten()).view({K, rows_c, P}).transpose(0, 1) : t.unsqueeze(1);
    };
    if (o.method == "gc") {
      // Copula-normalised along time, so the amplitude's circular shifts and
      // the borrowed phases keep their normalisation: only the cross sums change.
      // Every copula-normalised row is a permutation of the same values: one
      // set serves u, v and a, and one sum of squares (TensorPAC sums each
      // row's, in its order: the same to rounding).
      // The fused path's band tensors are its own (contiguous, windows aside):
      // normalised in place.
      const auto quantiles = copnorm_values(cos.size(-1), cos.options());
      auto normalised = [&](at::Tensor& t) {
        return fused && t.is_contiguous() ? copnorm_(t, quantiles) : copnorm(t, quantiles);
      };
      const auto u = normalised(cos), v = normalised(sin), a = normalised(amplitude);
      const auto squares = quantiles.square().sum();  // 0-dim
      const auto uv = row_dots(u, v);                 // (sc, P)
      const auto uu = squares.expand_as(uv), vv = uu;
      const auto aa = squares.expand({rows_c, 1, a.size(-2)});  // (sc, 1, A)
      auto [cross, surrogate_cross] = sums_with_surrogates(u, v, {a, {}}, index, lag);
      values.push_back(gaussian_copula_mi(cross, uu.unsqueeze(-1), vv.unsqueeze(-1), uv.unsqueeze(-1), aa));
      if (K == 0) {
        surrogates.push_back(at::real(surrogate_cross));
        continue;
      }
      auto stats = [&](const at::Tensor& t) { return borrowed(t).unsqueeze(-1); };  // (sc, K or 1, P, 1)
      surrogates.push_back(gaussian_copula_mi(surrogate_cross, stats(uu), stats(vv), stats(uv), aa.unsqueeze(1)));
      continue;
    }
    Carrier carrier{amplitude, envelope_im};
    if (o.method == "ps" && !envelope_im.defined()) {
      // e^(-i phase of the amplitude envelope), its analytic signal zero-padded
      // to a 5-smooth length as TensorPAC's hilbertm (per window with
      // windows), unless the kernel gave it (envelope_im).
      if (fused) {
        const auto [re_part, im_part] = envelope_phasor(amplitude);  // no angle taken
        carrier = {re_part, im_part};
      } else {
        const auto envelope_phase = std::get<0>(ops::hilbert(amplitude));
        carrier = {envelope_phase.cos(), envelope_phase.sin().neg_()};
      }
    }
    auto [sums, surrogate_sums] = sums_with_surrogates(cos, sin, carrier, index, lag);
    if (o.method == "ndpac") {
      // TensorPAC z-scores the amplitude (sample standard deviation, ddof 1)
      // before the sums, which are linear in it: sum z e^(i phase) =
      // (sum a e^(i phase) - mean sum e^(i phase)) / std, without a z-scored
      // copy. Shifts leave an amplitude's mean and std as they are; borrowed
      // phases bring their own sum.
      const auto [sd, mean] = at::std_mean(amplitude, {-1}, /*unbiased=*/true, /*keepdim=*/false);  // (rows, A)
      const auto phasor_sum = at::complex(cos.sum(-1), sin.sum(-1));                                // (rows, P)
      // t (rows, [K,] P, A) from the sums over phases `phasors` (rows, [K or 1,] P).
      auto z = [&](const at::Tensor& t, const at::Tensor& phasors) {
        std::vector<int64_t> per_amp(t.dim(), 1);
        per_amp.front() = rows_c;
        per_amp.back() = A;
        return (t - phasors.unsqueeze(-1) * mean.view(per_amp)) / sd.view(per_amp);
      };
      sums = z(sums, phasor_sum);
      if (K > 0) surrogate_sums = z(surrogate_sums, borrowed(phasor_sum));
    }
    values.push_back(measure(sums));
    surrogates.push_back(K > 0 ? measure(surrogate_sums) : surrogate_sums);
  }
  return {at::cat(values, 0), at::cat(surrogates, 0)};
}

}  // namespace gpac
