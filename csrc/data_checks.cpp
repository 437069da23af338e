#include "csrc/data_checks.h"

#include <ATen/ATen.h>

#include <utility>

#include "csrc/error_text.h"
#include "csrc/op_args.h"

namespace gpac {

void DataChecks::defer(at::Tensor flag, std::function<void()> explain) {
  pending_.push_back({std::move(flag), std::move(explain)});
}

void DataChecks::finite(const at::Tensor& t, const char* name, at::IntArrayRef shape) {
  if (!deferred_) return check_finite(t, name, shape);
  if (!at::isFloatingType(t.scalar_type())) return;
  defer(at::isfinite(t).logical_not_().any().to(at::kByte),
        [t, name, dims = shape.vec()] { check_finite(t, name, dims); });
}

RowFlags* DataChecks::finite_rows(const at::Tensor& rows, const char* name, at::IntArrayRef shape) {
  if (!deferred_) {
    check_finite(rows, name, shape);
    return nullptr;
  }
  rows_.push_back({at::zeros({}, rows.options().dtype(at::kByte)), at::Tensor()});
  defer(rows_.back().any, [rows, name, dims = shape.vec()] { check_finite(rows, name, dims); });
  return &rows_.back();
}

void DataChecks::nonnegative(const at::Tensor& amplitude, const char* name) {
  auto explain = [name] { GPAC_CHECK_VALUE(false, name, " holds negative values; expected envelopes |z| >= 0"); };
  if (!deferred_) {
    if (amplitude.lt(0).any().item<bool>()) explain();
    return;
  }
  defer(amplitude.lt(0).any().to(at::kByte), explain);
}

void DataChecks::surrogate_values(const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                                  int64_t n_signals, int64_t n_times) {
  if (!deferred_) return check_surrogate_values(phase_index, shift, n_signals, n_times);
  auto outside = [](const std::optional<at::Tensor>& t, int64_t end) {
    return t && t->numel() > 0 ? std::optional<at::Tensor>(t->lt(0).logical_or_(t->ge(end)).any()) : std::nullopt;
  };
  auto bad_index = outside(phase_index, n_signals);
  auto bad_shift = outside(shift, n_times);
  if (!bad_index && !bad_shift) return;
  const auto flag = bad_index && bad_shift ? bad_index->logical_or(*bad_shift) : (bad_index ? *bad_index : *bad_shift);
  defer(flag.to(at::kByte),
        [phase_index, shift, n_signals, n_times] { check_surrogate_values(phase_index, shift, n_signals, n_times); });
}

void DataChecks::finish() {
  if (pending_.empty()) return;
  std::vector<at::Tensor> flags;
  for (const auto& p : pending_) flags.push_back(p.flag);
  // The op's one host synchronisation (see the header).
  const auto host = at::stack(flags).cpu();
  const uint8_t* set = host.data_ptr<uint8_t>();
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (!set[i]) continue;
    pending_[i].explain();
    GPAC_CHECK(false, "a data check failed on the device but not on the host (check ", i, " of ", pending_.size(),
               "); please report this with the inputs");
  }
  pending_.clear();
}

}  // namespace gpac
