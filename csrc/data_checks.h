// Checks of argument values (NaN/Inf samples, negative amplitudes, surrogate
// indices out of range) that do not stop a CUDA op with a host
// synchronisation while it runs. On the CPU each check runs where it is
// called, before any work, as it always has. On CUDA each check leaves a
// 0-dim uint8 flag on the device (set by an ATen reduction, or by the
// pipeline's first kernel for the signals themselves), and finish() reads all
// flags with one copy when the op ends; only when one is set are the tensors
// read on the host again, to say what was wrong and where. That read is the
// op's one synchronisation: outputs of a failing call are never returned.
#pragma once

#include <ATen/core/Tensor.h>

#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace gpac {

// What the spectral kernels fill for the signal rows (S, n) they read:
// `any` (0-dim uint8) is set when a sample is NaN or Inf, and `rows` (S,
// uint8, optional) marks each signal that holds one. Both are only ever set,
// never cleared, so windows of a row may report into the same flags.
struct RowFlags {
  at::Tensor any;
  at::Tensor rows;
};

class DataChecks {
 public:
  explicit DataChecks(const at::Device& device) : deferred_(device.is_cuda()) {}

  // Whether checks are deferred to finish() (CUDA) rather than run at once (CPU).
  bool deferred() const { return deferred_; }

  // t holds no NaN/Inf; positions in messages are given in `shape` (default t's).
  void finite(const at::Tensor& t, const char* name, at::IntArrayRef shape = {});

  // The signal rows (S, n) hold no NaN/Inf. On the CPU they are checked now
  // and the result is null; on CUDA the returned flags are for the kernels
  // that read the rows first (csrc/spectral.h), which then check them as
  // they go.
  RowFlags* finite_rows(const at::Tensor& rows, const char* name, at::IntArrayRef shape);

  // Amplitudes are envelopes: no negative values.
  void nonnegative(const at::Tensor& amplitude, const char* name);

  // 0 <= phase_index < n_signals and 0 <= shift < n_times.
  void surrogate_values(const std::optional<at::Tensor>& phase_index, const std::optional<at::Tensor>& shift,
                        int64_t n_signals, int64_t n_times);

  // CUDA: reads every flag at once and raises the first failed check's
  // message. Nothing to do on the CPU.
  void finish();

 private:
  struct Pending {
    at::Tensor flag;                // 0-dim uint8 on the device
    std::function<void()> explain;  // the host check: raises with the message
  };
  void defer(at::Tensor flag, std::function<void()> explain);

  bool deferred_;
  std::vector<Pending> pending_;
  std::deque<RowFlags> rows_;  // stable storage for the pointers finite_rows hands out
};

}  // namespace gpac
