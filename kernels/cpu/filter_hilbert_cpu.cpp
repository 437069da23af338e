// The fused filter + analytic-signal path on the CPU, row by row.
//
// The same arithmetic as csrc/spectral.cpp (whose header explains why it
// reproduces filtfilt and TensorPAC's hilbertm), but each (signal, band) row
// goes through all its steps in per-thread buffers that stay in the caches:
// spectrum x |B|^2, inverse transform on the extended grid, the n retained
// samples zero-padded to the 5-smooth length, forward transform, times -i
// (DC and Nyquist dropped), inverse transform, then the phase bins or the
// amplitude written straight into the output. No (signals x bands) temporary
// exists, and every transform reuses this thread's committed MKL descriptor
// (kernels/cpu/mkl_fft.h). The signals' spectra, then the rows, are handed out
// dynamically to the threads in one parallel region.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <complex>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "csrc/device_kernels.h"
#include "csrc/filter_design.h"
#include "csrc/spectral.h"
#include "kernels/cpu/cpu_clones.h"
#include "kernels/cpu/mkl_fft.h"
#include "kernels/cpu/parallel_grain.h"
#include "kernels/cpu/polar_rows.h"

namespace gpac {
namespace {

// The rows' element loops, compiled for AVX2 too (kernels/cpu/cpu_clones.h)
// on complex arrays read as their (re, im) pairs: the same IEEE operations
// in every clone.

// out[f] = x[f] (r[f] scale): a spectrum through a power response, with the
// inverse transform's scale.
template <typename T>
GPAC_CPU_CLONES void scaled_product(const std::complex<T>* x, const T* r, T scale, int64_t F, std::complex<T>* out) {
  const T* xv = reinterpret_cast<const T*>(x);
  T* ov = reinterpret_cast<T*>(out);
  for (int64_t f = 0; f < F; ++f) {
    const T s = r[f] * scale;
    ov[2 * f] = xv[2 * f] * s;
    ov[2 * f + 1] = xv[2 * f + 1] * s;
  }
}

// z[f] = -i z[f] scale, in place.
template <typename T>
GPAC_CPU_CLONES void times_minus_i(T scale, int64_t F, std::complex<T>* z) {
  T* v = reinterpret_cast<T*>(z);
  for (int64_t f = 0; f < F; ++f) {
    const T re = v[2 * f], im = v[2 * f + 1];
    v[2 * f] = im * scale;
    v[2 * f + 1] = -re * scale;
  }
}

struct Grid {
  int64_t n, p, n_fft, n5;
  bool operator==(const Grid&) const = default;
};

// One thread's buffers and transforms for rows computed in precision T.
template <typename T>
struct RowWorker {
  Grid g;
  mkl_fft::RealTransform<T> extended, padded;
  std::vector<std::complex<T>> spec, spec5;
  std::vector<T> filtered, buf5, imag;

  explicit RowWorker(const Grid& grid)
      : g(grid),
        extended(grid.n_fft),
        padded(grid.n5),
        spec(grid.n_fft / 2 + 1),
        spec5(grid.n5 / 2 + 1),
        filtered(grid.n_fft),
        buf5(grid.n5),
        imag(grid.n5) {}

  // The band signal (its n retained samples) of a signal's extended spectrum
  // x through the power response r; the inverse transform's 1 / n_fft rides
  // on the product instead of a pass of its own.
  T* band(const std::complex<T>* x, const T* r) {
    scaled_product(x, r, T(1) / static_cast<T>(g.n_fft), static_cast<int64_t>(spec.size()), spec.data());
    extended.backward(spec.data(), filtered.data());
    return filtered.data() + g.p;
  }

  // The imaginary part of TensorPAC's analytic signal of the band signal y
  // (n samples, as band() returned it): y zero-padded to n5 samples, in place
  // when the extended grid has the room, then padded_imag.
  const T* hilbert(T* y) {
    const T* in = y;
    if (g.p + g.n5 <= g.n_fft) {
      std::fill(y + g.n, y + g.n5, T(0));  // past the retained samples: the extension, no longer needed
    } else {
      std::copy(y, y + g.n, buf5.begin());
      std::fill(buf5.begin() + g.n, buf5.end(), T(0));
      in = buf5.data();
    }
    return padded_imag(in);
  }

  // The Hilbert transform of n5 samples (zero-padded already): transformed,
  // times -i / n5 (the inverse's scale), DC and Nyquist dropped, transformed
  // back into `imag`.
  const T* padded_imag(const T* in) {
    padded.forward(in, spec5.data());
    times_minus_i(T(1) / static_cast<T>(g.n5), static_cast<int64_t>(spec5.size()), spec5.data());
    spec5.front() = 0;
    if (g.n5 % 2 == 0) spec5.back() = 0;
    padded.backward(spec5.data(), imag.data());
    return imag.data();
  }

  // PS's carrier: the envelope a = |y + i h| and the imaginary part of its
  // own analytic signal (a zero-padded to n5, as hilbert() pads y), written
  // as conj(a + i ha) / |a + i ha| into re and im (1 and 0 where it is 0).
  template <typename Out>
  void envelope_phasor(const T* y, const T* h, Out* re, Out* im) {
    T* a = buf5.data();
    for (int64_t t = 0; t < g.n; ++t) a[t] = magnitude(y[t], h[t]);
    std::fill(buf5.begin() + g.n, buf5.end(), T(0));
    phasor_row(a, padded_imag(a), g.n, re, im);
    for (int64_t t = 0; t < g.n; ++t) im[t] = -im[t];
  }
};

// One thread's row workers. A call (CallScope) keeps each thread's for all
// its windows and chunks of signals: a long row's descriptors are committed
// once per call, not per window. Outside a call they last one invocation.
// Rows of up to kKeptGridSamples samples on the extended grid take this
// OS thread's kept slot instead, which outlives the call: a small call would
// otherwise allocate and zero its buffers (two workers, about 40 n_fft bytes)
// on every call.
struct WorkerSlot {
  std::optional<RowWorker<double>> w64;
  std::optional<RowWorker<float>> w32;

  template <typename T>
  RowWorker<T>& get(const Grid& g) {
    auto& w = [&]() -> std::optional<RowWorker<T>>& {
      if constexpr (std::is_same_v<T, double>)
        return w64;
      else
        return w32;
    }();
    if (!w || !(w->g == g)) {
      w.reset();  // the old grid's buffers and descriptors go first
      w.emplace(g);
    }
    return *w;
  }
};

// The largest extended grid whose workers a thread keeps between calls: at
// most about 40 x 16384 bytes (0.6 MiB) in float64 and half that in float32
// per thread, next to the MKL descriptors it keeps anyway (kernels/cpu/mkl_fft.cpp).
constexpr int64_t kKeptGridSamples = 16384;

// This OS thread's kept slot (thread_local: concurrent calls from other
// threads, and their parallel regions, each have their own).
WorkerSlot& kept_slot() {
  thread_local WorkerSlot slot;
  return slot;
}

// The slots of every thread of the pool, by at::get_thread_num().
struct WorkerSlots {
  std::vector<WorkerSlot> slots;
  WorkerSlot& mine() { return slots[at::get_thread_num()]; }
};

// The running call's slots, or `local`'s for this invocation alone.
WorkerSlots& worker_slots(std::shared_ptr<WorkerSlots>& local) {
  std::shared_ptr<WorkerSlots> slots;
  if (auto* call = CallScope::current()) {
    if (!call->device_state) call->device_state = std::make_shared<WorkerSlots>();
    slots = std::static_pointer_cast<WorkerSlots>(call->device_state);
  } else {
    if (!local) local = std::make_shared<WorkerSlots>();
    slots = local;
  }
  if (static_cast<int64_t>(slots->slots.size()) < at::get_num_threads()) slots->slots.resize(at::get_num_threads());
  return *slots;  // held by the call, or by `local`
}

// Writes row `row` of job's output (contiguous (S, B, n)) from the band signal
// y and its Hilbert transform h.
template <typename T>
void write_row(const BandJob& job, int64_t row, const T* y, const T* h, int64_t n, RowWorker<T>& worker) {
  if (job.phase && job.n_bins > 0) {
    bins_row(y, h, n, PhaseBins<T>(job.n_bins), job.out.data_ptr<uint8_t>() + row * n);
    return;
  }
  AT_DISPATCH_FLOATING_TYPES(job.out.scalar_type(), "gpac_filter_hilbert_cpu_out", [&] {
    scalar_t* out = job.out.data_ptr<scalar_t>() + row * n;
    if (job.phase && job.out_sin.defined()) {
      phasor_row(y, h, n, out, job.out_sin.data_ptr<scalar_t>() + row * n);
    } else if (job.out_sin.defined()) {
      worker.envelope_phasor(y, h, out, job.out_sin.data_ptr<scalar_t>() + row * n);
    } else if (job.phase) {
      phase_row(y, h, n, out);
    } else {
      amplitude_row(y, h, n, out);
    }
  });
}

// The spectrum (n_fft / 2 + 1 bins) of one signal x (n samples of type In,
// each converted to T first, as Tensor.to converts them) odd-extended by p
// samples each side and zero-padded to n_fft, in precision T, built in the
// worker's extended-grid buffer and transform.
template <typename T, typename In>
void extended_spectrum(const In* x, const Grid& g, RowWorker<T>& worker, std::complex<T>* out) {
  const int64_t n = g.n, p = g.p;
  T* ext = worker.filtered.data();
  std::copy(x, x + n, ext + p);
  const T* y = ext + p;
  // scipy's odd extension: 2 x[0] - x[p .. 1], x, 2 x[n-1] - x[n-2 .. n-1-p].
  for (int64_t i = 0; i < p; ++i) ext[i] = 2 * y[0] - y[p - i];
  for (int64_t i = 0; i < p; ++i) ext[p + n + i] = 2 * y[n - 1] - y[n - 2 - i];
  std::fill(ext + p + n + p, ext + g.n_fft, T(0));
  worker.extended.forward(ext, out);
}

}  // namespace

int64_t band_workers_cpu() {
  // The cores, whatever torch.set_num_threads says (more threads than cores
  // work on this many rows at once).
  static const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  return cores;
}

bool filter_hilbert_cpu(const at::Tensor& rows, const std::vector<BandJob>& jobs, int64_t /*block_bytes*/,
                        RowFlags* /*flags*/) {
  // Row by row in per-thread buffers: no blocks. The rows were checked for
  // NaN/Inf before (csrc/data_checks.h checks at once on the CPU).
  if (!mkl_fft::available() || jobs.empty()) return false;
  const int64_t S = rows.size(0), n = rows.size(1);
  int64_t p = 0;
  auto fft_dtype = rows.scalar_type();
  for (const auto& job : jobs) {
    p = std::max(p, job.taps.size(1) - 1);
    fft_dtype = at::promote_types(fft_dtype, job.dtype);
  }
  const Grid g{n, p, next_fast_len(n + 2 * p), next_fast_len(n)};

  // The signals' spectra, once, in the widest precision, each converted for
  // the jobs computed in another; every job's responses in its own.
  const bool kept = g.n_fft <= kKeptGridSamples;
  std::shared_ptr<WorkerSlots> local;
  WorkerSlots* workers = kept ? nullptr : &worker_slots(local);
  const int64_t F = g.n_fft / 2 + 1;
  const at::Tensor src = rows.contiguous();  // float32 signals with float64 transforms: converted per signal
  const auto spectra = at::empty({S, F}, rows.options().dtype(c10::toComplexType(fft_dtype)));
  std::vector<at::Tensor> job_spectra, responses;
  for (const auto& job : jobs) {
    TORCH_INTERNAL_ASSERT(job.out.is_contiguous(), "filter_hilbert_cpu writes contiguous outputs");
    job_spectra.push_back(
        job.dtype == fft_dtype ? spectra : at::empty({S, F}, spectra.options().dtype(c10::toComplexType(job.dtype))));
    responses.push_back(power_response(job.taps, g.n_fft, job.dtype, rows.device(), job.response_key).contiguous());
  }
  // Signal s's spectrum, and its conversions (float64 spectra rounded to
  // float32, as Tensor.to rounds them).
  auto signal_spectrum = [&](WorkerSlot& slot, int64_t s) {
    if (fft_dtype == at::kDouble) {
      auto* out = reinterpret_cast<std::complex<double>*>(spectra.data_ptr()) + s * F;
      if (src.scalar_type() == at::kDouble) {
        extended_spectrum(src.data_ptr<double>() + s * n, g, slot.get<double>(g), out);
      } else {
        extended_spectrum(src.data_ptr<float>() + s * n, g, slot.get<double>(g), out);
      }
      for (size_t j = 0; j < jobs.size(); ++j) {
        if (jobs[j].dtype == fft_dtype) continue;
        auto* to = reinterpret_cast<std::complex<float>*>(job_spectra[j].data_ptr()) + s * F;
        for (int64_t f = 0; f < F; ++f)
          to[f] = std::complex<float>(static_cast<float>(out[f].real()), static_cast<float>(out[f].imag()));
      }
    } else {
      extended_spectrum(src.data_ptr<float>() + s * n, g, slot.get<float>(g),
                        reinterpret_cast<std::complex<float>*>(spectra.data_ptr()) + s * F);
    }
  };

  // Every signal's spectrum, then every (job, signal, band) row, handed out
  // one at a time in one parallel region (a second region would wake the
  // threads twice); a row waits for its signal's spectrum, begun before it.
  std::vector<int64_t> job_start{0};
  for (const auto& job : jobs) job_start.push_back(job_start.back() + S * job.taps.size(0));
  const int64_t total = job_start.back();
  std::unique_ptr<std::atomic<bool>[]> ready(new std::atomic<bool>[S]);
  for (int64_t s = 0; s < S; ++s) ready[s].store(false, std::memory_order_relaxed);
  std::atomic<int64_t> next{0};
  // Each thread takes tasks until none is left; small calls use only the calling thread.
  const int64_t threads =
      worth_threads(total * g.n_fft) ? std::min<int64_t>(at::get_num_threads(), band_workers_cpu()) : 1;
  at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
    try {
      auto& slot = kept ? kept_slot() : workers->mine();
      for (int64_t claim = next++; claim < S + total; claim = next++) {
        if (claim < S) {
          signal_spectrum(slot, claim);
          ready[claim].store(true, std::memory_order_release);
          continue;
        }
        const int64_t task = claim - S;
        const size_t j = std::upper_bound(job_start.begin(), job_start.end(), task) - job_start.begin() - 1;
        const auto& job = jobs[j];
        const int64_t B = job.taps.size(0), s = (task - job_start[j]) / B, b = (task - job_start[j]) % B;
        while (!ready[s].load(std::memory_order_acquire)) std::this_thread::yield();
        auto run = [&](auto& worker, auto zero) {
          using T = decltype(zero);
          const auto* x = reinterpret_cast<const std::complex<T>*>(job_spectra[j].data_ptr()) + s * F;
          T* y = worker.band(x, responses[j].data_ptr<T>() + b * F);
          write_row(job, s * B + b, y, worker.hilbert(y), n, worker);
        };
        if (job.dtype == at::kDouble) {
          run(slot.get<double>(g), 0.0);
        } else {
          run(slot.get<float>(g), 0.0f);
        }
      }
    } catch (...) {
      // A task that threw (an allocation, an MKL error) would leave the rows of its signal
      // waiting forever: release them, so that the region ends and at::parallel_for rethrows.
      for (int64_t s = 0; s < S; ++s) ready[s].store(true, std::memory_order_release);
      throw;
    }
  });
  return true;
}

}  // namespace gpac
