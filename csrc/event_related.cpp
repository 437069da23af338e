#include "csrc/event_related.h"

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <vector>

#include "csrc/error_text.h"
#include "csrc/pac_methods.h"

namespace gpac {
namespace {

void check_args(const at::Tensor& phase, const at::Tensor& amplitude, c10::string_view method, int64_t smooth,
                const std::optional<at::Tensor>& trial_order) {
  GPAC_CHECK_VALUE(method == "circular" || method == "gc",
                   "method must be 'circular' (Voytek's circular-linear correlation) or 'gc' (Gaussian-copula MI), "
                   "got '",
                   std::string(method), "'");
  GPAC_CHECK_VALUE(phase.dim() >= 3 && amplitude.dim() >= 3,
                   "event_related_pac takes phase (..., n_trials, n_pha, n_times) and amplitude (..., n_trials, "
                   "n_amp, n_times); got shapes ",
                   phase.sym_sizes(), " and ", amplitude.sym_sizes());
  GPAC_CHECK_TYPE(at::isFloatingType(phase.scalar_type()) && at::isFloatingType(amplitude.scalar_type()),
                  "phase and amplitude must be real floating tensors, got ", phase.scalar_type(), " and ",
                  amplitude.scalar_type());
  GPAC_CHECK_VALUE(phase.device() == amplitude.device(), "phase is on ", phase.device(), " but amplitude is on ",
                   amplitude.device(), "; move both to one device");
  const int64_t d = phase.dim();
  GPAC_CHECK_VALUE(amplitude.dim() == d && phase.sym_sizes().slice(0, d - 2) == amplitude.sym_sizes().slice(0, d - 2) &&
                       phase.sym_size(-1) == amplitude.sym_size(-1),
                   "phase and amplitude must share their leading dims, n_trials and n_times: got shapes ",
                   phase.sym_sizes(), " and ", amplitude.sym_sizes());
  const int64_t n_trials = phase.size(-3), n = phase.size(-1);
  GPAC_CHECK_VALUE(n_trials >= 2,
                   "event-related PAC correlates across trials and needs at least 2 (the signals' axis -2), "
                   "got ",
                   n_trials);
  GPAC_CHECK_VALUE(smooth >= 0, "smooth (half a window, in samples) must be >= 0, got ", smooth);
  GPAC_CHECK_VALUE(smooth == 0 || method == "gc",
                   "smooth (TensorPAC's temporal smoothing) applies to method 'gc' only; "
                   "method '",
                   std::string(method), "' takes no smooth, got ", smooth);
  GPAC_CHECK_VALUE(2 * smooth < n, "smooth must be < n_times / 2 (a window of 2 * smooth + 1 samples); got smooth ",
                   smooth, " for ", n, " time points");
  if (!trial_order) return;
  const auto& order = *trial_order;
  GPAC_CHECK_VALUE(order.dim() == 2 && order.size(1) == n_trials && order.scalar_type() == at::kLong,
                   "trial_order must be (n_perm, n_trials) int64, one permutation of the ", n_trials,
                   " trials per row; got shape ", order.sizes(), " and dtype ", order.scalar_type());
  GPAC_CHECK_VALUE(order.device() == phase.device(), "trial_order is on ", order.device(), " but phase is on ",
                   phase.device());
  // Read once (a synchronisation on CUDA) unless there is no data to read
  // (FakeTensor, Meta).
  if (order.is_meta() || order.key_set().has(c10::DispatchKey::Python)) return;
  const auto sorted = std::get<0>(order.sort(-1));
  GPAC_CHECK_VALUE(sorted.equal(at::arange(n_trials, order.options()).expand_as(sorted)),
                   "every row of trial_order must be a permutation of 0 .. ", n_trials - 1);
}

// Sums over the windows [k - h, k + h] of the time dim (-3) of t (..., n, X, Y):
// (..., n - 2h, X, Y).
at::Tensor window_sums(const at::Tensor& t, int64_t h) { return h == 0 ? t : t.unfold(-3, 2 * h + 1, 1).sum(-1); }

// The mean over the windows covering each time point of per-window values
// m (..., n - 2h, P, A) -> (..., n, P, A).
at::Tensor spread_windows(const at::Tensor& m, int64_t h) {
  if (h == 0) return m;
  auto pad_shape = m.sizes().vec();
  pad_shape[m.dim() - 3] = 2 * h;
  const auto pad = at::zeros(pad_shape, m.options());
  const auto totals = window_sums(at::cat({pad, m, pad}, -3), h);
  const auto covered = at::ones({m.size(-3), 1, 1}, m.options());
  const auto zeros = at::zeros({2 * h, 1, 1}, m.options());
  return totals / window_sums(at::cat({zeros, covered, zeros}, 0), h);
}

// (..., T, X, n) -> trials last, (..., n, X, T), contiguous.
at::Tensor trial_rows(const at::Tensor& t) { return t.transpose(-3, -1).contiguous(); }

// (..., T, X, n) -> (..., n, T, X), contiguous.
at::Tensor trial_columns(const at::Tensor& t) { return t.movedim(-1, -3).contiguous(); }

}  // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> event_related_pac(
    const at::Tensor& phase, const at::Tensor& amplitude, c10::string_view method, int64_t smooth,
    const std::optional<at::Tensor>& trial_order) {
  check_args(phase, amplitude, method, smooth, trial_order);
  const int64_t n_trials = phase.size(-3);
  // Trials last: phase rows (..., n, P, T), amplitude columns (..., n, T, A),
  // one transposing copy each, so that the sums over trials of the phase's
  // cos and sin with the amplitude are batched matrix products over time.
  const auto ph = trial_rows(phase.to(amplitude.scalar_type()));
  std::function<at::Tensor(const at::Tensor&)> measure;  // amplitude columns -> (..., n, P, A)
  at::Tensor columns;
  if (method == "circular") {
    // Centred in place where the tensor is this function's own (cos, sin, the
    // amplitude's transposed copy), norms without product tensors: each is
    // as large as the input.
    auto centred = [](at::Tensor t, int64_t dim) { return t.sub_(t.mean(dim, true)); };
    const auto c = centred(ph.cos(), -1), s = centred(ph.sin(), -1);
    columns = trial_columns(amplitude);
    columns = columns.is_alias_of(amplitude) ? columns - columns.mean(-2, true) : centred(columns, -2);
    const auto nc = at::linalg_vector_norm(c, 2, -1, true),
               ns = at::linalg_vector_norm(s, 2, -1, true);        // (..., n, P, 1)
    const auto na = at::linalg_vector_norm(columns, 2, -2, true);  // (..., n, 1, A)
    const auto rcs = row_dots(c, s).unsqueeze(-1) / (nc * ns);
    measure = [c, s, nc, ns, na, rcs](const at::Tensor& a) {
      const auto rxc = at::matmul(c, a) / (nc * na), rxs = at::matmul(s, a) / (ns * na);
      return ((rxc.square() + rxs.square() - 2 * rxc * rxs * rcs) / (1 - rcs.square())).sqrt();
    };
  } else {
    // Copula-normalised across trials, in the trials-last layout the ranks need.
    // Normalised in place where the tensor is this function's own (cos, sin,
    // the amplitude's transposed copy): each is as large as the input.
    const auto quantiles = copnorm_values(n_trials, ph.options());  // every row's, phase and amplitude alike
    auto cos = ph.cos(), sin = ph.sin(), amp_rows = trial_rows(amplitude);
    const auto u = copnorm_(cos, quantiles), v = copnorm_(sin, quantiles);
    columns = (amp_rows.is_alias_of(amplitude) ? copnorm(amp_rows, quantiles) : copnorm_(amp_rows, quantiles))
                  .transpose(-1, -2)
                  .contiguous();
    // The phase's and the amplitude's own sums do not change with the trial
    // order. Every normalised row is a permutation of the quantiles: one sum
    // of squares serves them all (TensorPAC sums each row's: the same to
    // rounding).
    const auto squares = quantiles.square().sum();  // 0-dim
    auto column_shape = u.sizes().vec();
    column_shape.back() = 1;
    const auto uu = window_sums(squares.expand(column_shape), smooth), vv = uu;
    const auto uv = window_sums(row_dots(u, v).unsqueeze(-1), smooth);
    auto row_shape = columns.sizes().vec();
    row_shape[row_shape.size() - 2] = 1;
    const auto aa = window_sums(squares.expand(row_shape), smooth);
    measure = [u, v, uu, vv, uv, aa, smooth](const at::Tensor& a) {
      const auto cross = at::complex(window_sums(at::matmul(u, a), smooth), window_sums(at::matmul(v, a), smooth));
      return spread_windows(gaussian_copula_mi(cross, uu, vv, uv, aa), smooth);
    };
  }
  // (..., n, P, A) -> (..., P, A, n)
  auto cells = [](const at::Tensor& t) { return t.movedim(-3, -1).contiguous(); };
  const auto value = measure(columns);
  const auto erpac = cells(value);
  const auto p = method == "circular" ? (erpac.square() * (-0.5 * static_cast<double>(n_trials))).exp()
                                      : at::empty({0}, erpac.options());
  if (!trial_order) {
    auto lead = erpac.sizes().vec();
    lead.resize(lead.size() - 3);
    lead.push_back(0);
    return {erpac, p, at::empty({0}, erpac.options().dtype(at::kLong)), at::empty(lead, erpac.options())};
  }
  // Surrogate k pairs phase trial order[k, t] with amplitude trial t: the
  // amplitude read in the inverse order gives the same sums.
  const auto inverse = trial_order->argsort(/*stable=*/false, /*dim=*/-1, /*descending=*/false);
  auto exceed = at::zeros(value.sizes(), erpac.options().dtype(at::kLong));
  std::vector<at::Tensor> maxima;
  for (int64_t k = 0; k < inverse.size(0); ++k) {
    const auto surrogate = measure(columns.index_select(-2, inverse[k]));
    exceed += surrogate >= value;
    maxima.push_back(surrogate.amax({-3, -2, -1}));
  }
  return {erpac, p, cells(exceed), at::stack(maxima, -1)};
}

}  // namespace gpac
