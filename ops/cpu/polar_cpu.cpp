// CPU: phase and amplitude of analytic signals, threaded over rows.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>

#include "csrc/pac_math.h"
#include "csrc/device_kernels.h"

namespace gpac {
namespace {

// Row r of an (A, B, n) view with unit stride along n; null for an undefined tensor.
template <typename T>
T* row_ptr(const at::Tensor& t, int64_t r) {
  if (!t.defined()) return nullptr;
  const int64_t B = t.size(1);
  return t.data_ptr<T>() + (r / B) * t.stride(0) + (r % B) * t.stride(1);
}

}  // namespace

// The polar form is taken in re's precision and rounded to the outputs' dtype.
void write_polar_cpu(const at::Tensor& re, const at::Tensor& im, const at::Tensor& phase,
                     const at::Tensor& amplitude) {
  const int64_t n = re.size(2);
  const auto out_type = (phase.defined() ? phase : amplitude).scalar_type();
  AT_DISPATCH_FLOATING_TYPES(re.scalar_type(), "gpac_write_polar", [&] {
    using in_t = scalar_t;
    AT_DISPATCH_FLOATING_TYPES(out_type, "gpac_write_polar_out", [&] {
      at::parallel_for(0, re.size(0) * re.size(1), 1, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const in_t* x = row_ptr<in_t>(re, r);
          const in_t* y = row_ptr<in_t>(im, r);
          if (scalar_t* ph = row_ptr<scalar_t>(phase, r))
            for (int64_t t = 0; t < n; ++t) ph[t] = static_cast<scalar_t>(wrap_phase(std::atan2(y[t], x[t])));
          if (scalar_t* am = row_ptr<scalar_t>(amplitude, r))
            for (int64_t t = 0; t < n; ++t) am[t] = static_cast<scalar_t>(std::hypot(x[t], y[t]));
        }
      });
    });
  });
}

}  // namespace gpac
