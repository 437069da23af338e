// The Autograd kernels of the gpac ops, in C++ so that C++ programs and
// TorchScript modules loaded in C++ get the same gradients as Python (as
// torchvision's csrc/ops/autograd/ does). Each forward redispatches below
// autograd to the device kernel; each backward calls its gpac::*_backward op
// through the dispatcher, so that torch.compile traces it as an op.
// csrc/gradients.h says what is differentiated; the filter taps are design
// constants and get no gradient.
#include <torch/autograd.h>
#include <torch/library.h>

#include "csrc/gpac.h"
#include "csrc/pipeline.h"

namespace gpac {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using Four = std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor>;

// An undefined incoming grad (an output that did not reach the loss) as the
// backward ops take it: None.
std::optional<at::Tensor> grad_or_none(const at::Tensor& g) {
  return g.defined() ? std::optional<at::Tensor>(g) : std::nullopt;
}

at::Tensor filter_backward(const at::Tensor& grad, const at::Tensor& x, const at::Tensor& taps) {
  static const auto h =
      ops::detail::op<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&)>("gpac::filter_backward");
  return h.call(grad, x, taps);
}

at::Tensor hilbert_backward(const at::Tensor& grad_phase, const at::Tensor& grad_amplitude, const at::Tensor& x) {
  static const auto h = ops::detail::op<at::Tensor(const std::optional<at::Tensor>&, const std::optional<at::Tensor>&,
                                                   const at::Tensor&)>("gpac::hilbert_backward");
  return h.call(grad_or_none(grad_phase), grad_or_none(grad_amplitude), x);
}

at::Tensor filter_hilbert_backward(const at::Tensor& grad_phase, const at::Tensor& grad_amplitude, const at::Tensor& x,
                                   const at::Tensor& pha_taps, const at::Tensor& amp_taps) {
  static const auto h =
      ops::detail::op<at::Tensor(const std::optional<at::Tensor>&, const std::optional<at::Tensor>&, const at::Tensor&,
                                 const at::Tensor&, const at::Tensor&)>("gpac::filter_hilbert_backward");
  return h.call(grad_or_none(grad_phase), grad_or_none(grad_amplitude), x, pha_taps, amp_taps);
}

at::Tensor mi_scatter_backward(const at::Tensor& grad_mi, const at::Tensor& grad_amp_sums, const at::Tensor& phase,
                               const at::Tensor& amplitude, const at::Tensor& amp_sums, const at::Tensor& counts,
                               int64_t n_bins) {
  static const auto h =
      ops::detail::op<at::Tensor(const std::optional<at::Tensor>&, const std::optional<at::Tensor>&, const at::Tensor&,
                                 const at::Tensor&, const at::Tensor&, const at::Tensor&, int64_t)>(
          "gpac::mi_scatter_backward");
  return h.call(grad_or_none(grad_mi), grad_or_none(grad_amp_sums), phase, amplitude, amp_sums, counts, n_bins);
}

at::Tensor modulation_index_backward(const at::Tensor& grad_mi, const at::Tensor& grad_amp_sums, const at::Tensor& x,
                                     const at::Tensor& pha_taps, const at::Tensor& amp_taps, const at::Tensor& amp_sums,
                                     const at::Tensor& counts, int64_t n_bins) {
  static const auto h =
      ops::detail::op<at::Tensor(const std::optional<at::Tensor>&, const std::optional<at::Tensor>&, const at::Tensor&,
                                 const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&, int64_t)>(
          "gpac::modulation_index_backward");
  return h.call(grad_or_none(grad_mi), grad_or_none(grad_amp_sums), x, pha_taps, amp_taps, amp_sums, counts, n_bins);
}

variable_list as_list(const std::tuple<at::Tensor, at::Tensor>& t) { return {std::get<0>(t), std::get<1>(t)}; }
variable_list as_list(const Four& t) { return {std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)}; }

// Incoming grads stay undefined for outputs that did not reach the loss, so
// that each backward skips what it need not compute.
class Filter : public torch::autograd::Function<Filter> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& taps) {
    ctx->set_materialize_grads(false);
    ctx->save_for_backward({x, taps});
    at::AutoDispatchBelowADInplaceOrView below;
    return ops::filter(x, taps);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor()};
    const auto saved = ctx->get_saved_variables();
    return {filter_backward(grads[0], saved[0], saved[1]), at::Tensor()};
  }
};

class Hilbert : public torch::autograd::Function<Hilbert> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x) {
    ctx->set_materialize_grads(false);
    ctx->save_for_backward({x});
    at::AutoDispatchBelowADInplaceOrView below;
    return as_list(ops::hilbert(x));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (!grads[0].defined() && !grads[1].defined()) return {at::Tensor()};
    return {hilbert_backward(grads[0], grads[1], ctx->get_saved_variables()[0])};
  }
};

class FilterHilbert : public torch::autograd::Function<FilterHilbert> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& pha_taps,
                               const at::Tensor& amp_taps) {
    ctx->set_materialize_grads(false);
    ctx->save_for_backward({x, pha_taps, amp_taps});
    at::AutoDispatchBelowADInplaceOrView below;
    return as_list(ops::filter_hilbert(x, pha_taps, amp_taps));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (!grads[0].defined() && !grads[1].defined()) return {at::Tensor(), at::Tensor(), at::Tensor()};
    const auto saved = ctx->get_saved_variables();
    return {filter_hilbert_backward(grads[0], grads[1], saved[0], saved[1], saved[2]), at::Tensor(), at::Tensor()};
  }
};

// mi and amp_sums carry the amplitude's gradient; counts and surrogates none.
class MiScatter : public torch::autograd::Function<MiScatter> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& phase, const at::Tensor& amplitude,
                               int64_t n_bins, const std::optional<at::Tensor>& phase_index,
                               const std::optional<at::Tensor>& shift) {
    ctx->set_materialize_grads(false);
    variable_list out;
    {
      at::AutoDispatchBelowADInplaceOrView below;
      out = as_list(ops::mi_scatter(phase, amplitude, n_bins, phase_index, shift));
    }
    ctx->saved_data["n_bins"] = n_bins;
    ctx->save_for_backward({phase, amplitude, out[1], out[2]});
    ctx->mark_non_differentiable({out[2], out[3]});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list none(5);
    if (!grads[0].defined() && !grads[1].defined()) return none;
    const auto s = ctx->get_saved_variables();
    none[1] = mi_scatter_backward(grads[0], grads[1], s[0], s[1], s[2], s[3], ctx->saved_data["n_bins"].toInt());
    return none;
  }
};

class ModulationIndex : public torch::autograd::Function<ModulationIndex> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& pha_taps,
                               const at::Tensor& amp_taps, int64_t n_bins, int64_t memory_budget,
                               const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift) {
    ctx->set_materialize_grads(false);
    variable_list out;
    {
      at::AutoDispatchBelowADInplaceOrView below;
      out = as_list(ops::modulation_index(x, pha_taps, amp_taps, n_bins, memory_budget, phase_index, shift));
    }
    ctx->saved_data["n_bins"] = n_bins;
    ctx->save_for_backward({x, pha_taps, amp_taps, out[1], out[2]});
    ctx->mark_non_differentiable({out[2], out[3]});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list none(7);
    if (!grads[0].defined() && !grads[1].defined()) return none;
    const auto s = ctx->get_saved_variables();
    none[0] =
        modulation_index_backward(grads[0], grads[1], s[0], s[1], s[2], s[3], s[4], ctx->saved_data["n_bins"].toInt());
    return none;
  }
};

template <typename List>
std::tuple<at::Tensor, at::Tensor> pair(const List& v) {
  return {v[0], v[1]};
}

template <typename List>
Four four(const List& v) {
  return {v[0], v[1], v[2], v[3]};
}

}  // namespace

TORCH_LIBRARY_IMPL(gpac, Autograd, m) {
  m.impl("filter", [](const at::Tensor& x, const at::Tensor& taps) { return Filter::apply(x, taps); });
  m.impl("hilbert", [](const at::Tensor& x) { return pair(Hilbert::apply(x)); });
  m.impl("filter_hilbert", [](const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps) {
    return pair(FilterHilbert::apply(x, pha_taps, amp_taps));
  });
  m.impl("mi_scatter", [](const at::Tensor& phase, const at::Tensor& amplitude, int64_t n_bins,
                          const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift) {
    return four(MiScatter::apply(phase, amplitude, n_bins, phase_index, shift));
  });
  m.impl("modulation_index", [](const at::Tensor& x, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                int64_t n_bins, int64_t memory_budget, const std::optional<at::Tensor>& phase_index,
                                const std::optional<at::Tensor>& shift) {
    return four(ModulationIndex::apply(x, pha_taps, amp_taps, n_bins, memory_budget, phase_index, shift));
  });
  // gpac::pac has no backward of its own: when x needs a gradient it is
  // composed of the differentiable ops above (csrc/pipeline.h); otherwise the
  // device's fused pipeline runs.
  m.impl("pac", pac_kernel([](const at::Tensor& x, const PacOptions& o) {
           if (at::GradMode::is_enabled() && x.requires_grad()) return pac_differentiable(x, o);
           at::AutoDispatchBelowADInplaceOrView below;
           return ops::pac(x, o);
         }));
}

}  // namespace gpac
