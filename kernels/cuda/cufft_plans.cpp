#include "kernels/cuda/cufft_plans.h"

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <cufft.h>

#include <list>
#include <memory>
#include <mutex>

#include "csrc/error_text.h"

namespace gpac::cufft {
namespace {

void check(cufftResult status, const char* what) {
  GPAC_CHECK(status == CUFFT_SUCCESS, "cuFFT ", what, " failed with status ", static_cast<int>(status),
             " (see cufftResult in cufft.h)");
}

struct Key {
  int device;
  cufftType type;
  int64_t n, batch, in_dist, out_dist;
  bool operator==(const Key&) const = default;
};

// One plan, used by one host thread at a time: the stream and work area are
// set per execution, and cuFFT keeps both in the plan.
struct Plan {
  cufftHandle handle = 0;
  size_t work_bytes = 0;
  std::mutex use;

  explicit Plan(const Key& k) {
    check(cufftCreate(&handle), "plan creation");
    check(cufftSetAutoAllocation(handle, 0), "work-area setting");
    long long n = k.n, in_embed = k.in_dist, out_embed = k.out_dist;
    const cufftResult made = cufftMakePlanMany64(handle, 1, &n, &in_embed, 1, k.in_dist, &out_embed, 1, k.out_dist,
                                                 k.type, k.batch, &work_bytes);
    if (made != CUFFT_SUCCESS) cufftDestroy(handle);
    check(made, "plan making");
  }
  ~Plan() { cufftDestroy(handle); }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
};

// The most recently used plans first; a pipeline call needs at most a few
// shapes (full blocks and the last one, of three lengths), so a small cache
// serves repeated calls without re-planning. Evicted plans live on while an
// execution holds them.
std::shared_ptr<Plan> plan_for(const Key& key) {
  constexpr size_t kMaxPlans = 64;
  static std::mutex mutex;
  static std::list<std::pair<Key, std::shared_ptr<Plan>>> plans;
  const std::lock_guard<std::mutex> lock(mutex);
  for (auto it = plans.begin(); it != plans.end(); ++it) {
    if (it->first == key) {
      plans.splice(plans.begin(), plans, it);
      return it->second;
    }
  }
  plans.emplace_front(key, std::make_shared<Plan>(key));
  if (plans.size() > kMaxPlans) plans.pop_back();
  return plans.front().second;
}

template <typename Exec>
void execute(cufftType type, int64_t n, int64_t batch, int64_t in_dist, int64_t out_dist, Exec&& exec) {
  if (batch == 0) return;
  const int device = c10::cuda::current_device();
  const auto plan = plan_for({device, type, n, batch, in_dist, out_dist});
  const std::lock_guard<std::mutex> lock(plan->use);
  check(cufftSetStream(plan->handle, at::cuda::getCurrentCUDAStream()), "stream setting");
  // Freed at the end of this scope: the caching allocator hands the block to
  // later allocations on this stream only, which run after this transform.
  at::Tensor work;
  if (plan->work_bytes > 0) {
    work = at::empty({static_cast<int64_t>(plan->work_bytes)},
                     at::TensorOptions().dtype(at::kByte).device(at::kCUDA, device));
    check(cufftSetWorkArea(plan->handle, work.data_ptr()), "work-area setting");
  }
  check(exec(plan->handle), "execution");
}

}  // namespace

void forward(const double* in, int64_t in_dist, c10::complex<double>* out, int64_t out_dist, int64_t n, int64_t batch) {
  execute(CUFFT_D2Z, n, batch, in_dist, out_dist, [&](cufftHandle h) {
    return cufftExecD2Z(h, const_cast<double*>(in), reinterpret_cast<cufftDoubleComplex*>(out));
  });
}

void backward(c10::complex<double>* in, int64_t in_dist, double* out, int64_t out_dist, int64_t n, int64_t batch) {
  execute(CUFFT_Z2D, n, batch, in_dist, out_dist,
          [&](cufftHandle h) { return cufftExecZ2D(h, reinterpret_cast<cufftDoubleComplex*>(in), out); });
}

}  // namespace gpac::cufft
