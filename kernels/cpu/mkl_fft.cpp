#include "kernels/cpu/mkl_fft.h"
#include "csrc/error_text.h"

#include <c10/util/Exception.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#if defined(GPAC_WITH_MKL_FFT)
#include <mkl_dfti.h>
// Weak: resolved from libtorch_cpu when its MKL exports them, null otherwise.
#pragma weak DftiCreateDescriptor_s_1d
#pragma weak DftiCreateDescriptor_d_1d
#pragma weak DftiSetValue
#pragma weak DftiCommitDescriptor
#pragma weak DftiComputeForward
#pragma weak DftiComputeBackward
#pragma weak DftiFreeDescriptor
#pragma weak DftiErrorMessage
#endif

namespace gpac::mkl_fft {

#if defined(GPAC_WITH_MKL_FFT)
namespace {

bool symbols_present() {
  return DftiCreateDescriptor_s_1d != nullptr && DftiCreateDescriptor_d_1d != nullptr && DftiSetValue != nullptr &&
         DftiCommitDescriptor != nullptr && DftiComputeForward != nullptr && DftiComputeBackward != nullptr &&
         DftiFreeDescriptor != nullptr && DftiErrorMessage != nullptr;
}

void check(MKL_LONG status, const char* what) {
  GPAC_CHECK(status == DFTI_NO_ERROR, "MKL FFT: ", what, " failed: ", DftiErrorMessage(status));
}

// A committed real descriptor, unscaled both ways.
struct Plan {
  DFTI_DESCRIPTOR_HANDLE handle = nullptr;
  int64_t n = 0;
  bool is_double = false;
  bool backward = false;

  Plan(int64_t length, bool dbl, bool bwd) : n(length), is_double(dbl), backward(bwd) {
    check(dbl ? DftiCreateDescriptor_d_1d(&handle, DFTI_REAL, static_cast<MKL_LONG>(n))
              : DftiCreateDescriptor_s_1d(&handle, DFTI_REAL, static_cast<MKL_LONG>(n)),
          "DftiCreateDescriptor");
    check(DftiSetValue(handle, DFTI_PLACEMENT, DFTI_NOT_INPLACE), "DFTI_PLACEMENT");
    check(DftiSetValue(handle, DFTI_CONJUGATE_EVEN_STORAGE, DFTI_COMPLEX_COMPLEX), "DFTI_CONJUGATE_EVEN_STORAGE");
    check(DftiSetValue(handle, DFTI_THREAD_LIMIT, 1), "DFTI_THREAD_LIMIT");
    check(DftiCommitDescriptor(handle), "DftiCommitDescriptor");
  }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan() {
    if (handle) DftiFreeDescriptor(&handle);
  }
};

// This thread's descriptors, most recently used last; a pipeline call needs
// at most 8 (two lengths, two precisions, two directions). The thread keeps
// at most kCachedPlanBytes of them (a descriptor holds about 32 bytes a
// sample in float64, 16 in float32, mostly twiddles): longer transforms, the
// windows of long recordings, get descriptors that live only as long as the
// row worker that made them (planned with the window: csrc/spectral.cpp
// window_stage_bytes); committing one costs little next to the rows it serves.
constexpr size_t kPlansPerThread = 16;
constexpr int64_t kCachedPlanBytes = int64_t{8} << 20;

int64_t plan_bytes(int64_t n, bool dbl) { return n * (dbl ? 32 : 16); }

std::shared_ptr<Plan> plan(int64_t n, bool dbl, bool bwd) {
  if (plan_bytes(n, dbl) > kCachedPlanBytes / 4) return std::make_shared<Plan>(n, dbl, bwd);
  thread_local std::vector<std::shared_ptr<Plan>> plans;
  for (size_t i = 0; i < plans.size(); ++i) {
    if (plans[i]->n == n && plans[i]->is_double == dbl && plans[i]->backward == bwd) {
      if (i + 1 != plans.size()) std::swap(plans[i], plans.back());  // keep it last (recent)
      return plans.back();
    }
  }
  plans.push_back(std::make_shared<Plan>(n, dbl, bwd));
  int64_t held = 0;
  for (const auto& p : plans) held += plan_bytes(p->n, p->is_double);
  while (plans.size() > kPlansPerThread || held > kCachedPlanBytes) {
    held -= plan_bytes(plans.front()->n, plans.front()->is_double);
    plans.erase(plans.begin());
  }
  return plans.back();
}

}  // namespace

bool available() {
  static const bool present = symbols_present();
  if (!present) return false;
  const char* choice = std::getenv("GPAC_CPU_FFT");  // read per call, so tests can compare both paths
  return choice == nullptr || std::strcmp(choice, "aten") != 0;
}

template <typename T>
RealTransform<T>::RealTransform(int64_t n)
    : forward_plan_(plan(n, std::is_same_v<T, double>, false)),
      backward_plan_(plan(n, std::is_same_v<T, double>, true)) {}

template <typename T>
void RealTransform<T>::forward(const T* in, std::complex<T>* out) const {
  check(DftiComputeForward(static_cast<Plan*>(forward_plan_.get())->handle, const_cast<T*>(in), out),
        "forward transform");
}

template <typename T>
void RealTransform<T>::backward(const std::complex<T>* in, T* out) const {
  check(DftiComputeBackward(static_cast<Plan*>(backward_plan_.get())->handle, const_cast<std::complex<T>*>(in), out),
        "backward transform");
}

#else  // built without mkl_dfti.h

bool available() { return false; }

template <typename T>
RealTransform<T>::RealTransform(int64_t) {
  GPAC_CHECK(false, "gPAC was built without MKL FFTs (mkl_dfti.h not found)");
}
template <typename T>
void RealTransform<T>::forward(const T*, std::complex<T>*) const {}
template <typename T>
void RealTransform<T>::backward(const std::complex<T>*, T*) const {}

#endif

template class RealTransform<float>;
template class RealTransform<double>;

}  // namespace gpac::mkl_fft
