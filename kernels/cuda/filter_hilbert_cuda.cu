// The fused filter + analytic-signal path on CUDA: the arithmetic of
// csrc/spectral.cpp (whose header says why it reproduces filtfilt and
// TensorPAC's hilbertm) in a fixed, short sequence of launches per block of
// (signal, band) rows, every band of both sets together, in float64:
//   1. extend_rows: cast, scipy's odd extension and zero padding to n_fft,
//      and the NaN/Inf flags of the signals (csrc/data_checks.h), in one pass;
//   2. cuFFT D2Z of the extended rows (once per signal for every band);
//   3. band_spectra: spectrum x |B|^2 / n_fft for each band row;
//   4. cuFFT Z2D on the extended grid: the band signals;
//   5. pad_rows: the n retained samples zero-padded to the 5-smooth length
//      (the tail zeroed in place where the extended row has room for it);
//   6. cuFFT D2Z of length n5;
//   7. hilbert_spectra: times -i / n5, DC and Nyquist dropped;
//   8. cuFFT Z2D of length n5: the imaginary part;
//   9. polar_rows: phase bins (and their counts per row), phases or
//      amplitudes written straight into the outputs.
// Nine launches and six transforms whatever the number of bands, against
// ~60 ATen and cuFFT launches for the composed path (which remains for
// GPAC_CUDA_FFT=aten and for the ops outside the pipeline). No host
// synchronisation: plans are cached (kernels/cuda/cufft_plans.h) and responses
// come from csrc/spectral.h's cache.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "csrc/data_checks.h"
#include "csrc/device_kernels.h"
#include "csrc/error_text.h"
#include "csrc/filter_design.h"
#include "csrc/pac_math.h"
#include "csrc/spectral.h"
#include "kernels/cuda/cufft_plans.h"

namespace gpac {
namespace {

using cdouble = c10::complex<double>;

constexpr int kThreads = 256;
constexpr int64_t kPolarChunk = 4096;  // samples of one row per polar_rows block

int64_t blocks_for(int64_t total) { return std::clamp<int64_t>((total + kThreads - 1) / kThreads, 1, 1 << 20); }

#define GPAC_GRID_STRIDE(idx, total)                                                             \
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < (total); \
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x)

// 1. Rows (S, n) of T -> (S, n_fft) float64: 2 x[0] - x[p - u] before the
// signal, x, 2 x[n-1] - x[n-2-i] after it, zeros to n_fft (as
// extended_spectra in kernels/cpu/filter_hilbert_cpu.cpp). Each signal sample is
// checked once, where it is copied.
template <typename T>
__global__ void extend_rows_kernel(const T* __restrict__ x, int64_t S, int64_t n, int64_t p, int64_t n_fft,
                                   double* __restrict__ ext, uint8_t* any_bad, uint8_t* bad_rows) {
  GPAC_GRID_STRIDE(idx, S * n_fft) {
    const int64_t s = idx / n_fft, u = idx % n_fft;
    const T* row = x + s * n;
    double v = 0.0;
    if (u < p) {
      v = 2 * static_cast<double>(row[0]) - static_cast<double>(row[p - u]);
    } else if (u < p + n) {
      v = static_cast<double>(row[u - p]);
      if (any_bad && !isfinite(v)) {
        *any_bad = 1;
        if (bad_rows) bad_rows[s] = 1;
      }
    } else if (u < 2 * p + n) {
      v = 2 * static_cast<double>(row[n - 1]) - static_cast<double>(row[n - 2 - (u - p - n)]);
    }
    ext[idx] = v;
  }
}

// 3. prod[r] = spec[signal of r] * (resp[band of r] / n_fft), rows r = (signal,
// band) of the block, bands [b0, b0 + bc) of the two sets laid end to end.
__global__ void band_spectra_kernel(const cdouble* __restrict__ spec, const double* __restrict__ resp0,
                                    const double* __restrict__ resp1, int64_t B0, int64_t b0, int64_t bc, int64_t rows,
                                    int64_t F, double scale, cdouble* __restrict__ prod) {
  GPAC_GRID_STRIDE(idx, rows * F) {
    const int64_t r = idx / F, f = idx % F;
    const int64_t g = b0 + r % bc;
    const double* resp = g < B0 ? resp0 + g * F : resp1 + (g - B0) * F;
    const double rs = resp[f] * scale;
    const cdouble z = spec[(r / bc) * F + f];
    prod[idx] = cdouble(z.real() * rs, z.imag() * rs);
  }
}

// 5. In place: zeros after the n retained samples of each band row, up to n5.
__global__ void zero_tails_kernel(double* __restrict__ filt, int64_t rows, int64_t n_fft, int64_t p, int64_t n,
                                  int64_t n5) {
  const int64_t tail = n5 - n;
  GPAC_GRID_STRIDE(idx, rows * tail) { filt[(idx / tail) * n_fft + p + n + idx % tail] = 0.0; }
}

// 5. Copied: the n retained samples of each row, then zeros, to rows of n5.
__global__ void pad_rows_kernel(const double* __restrict__ filt, int64_t rows, int64_t n_fft, int64_t p, int64_t n,
                                int64_t n5, double* __restrict__ out) {
  GPAC_GRID_STRIDE(idx, rows * n5) {
    const int64_t r = idx / n5, t = idx % n5;
    out[idx] = t < n ? filt[r * n_fft + p + t] : 0.0;
  }
}

// 7. In place, the first F5 = n5 / 2 + 1 bins of rows of stride F: z -> -i z /
// n5, DC and (even n5) Nyquist zeroed, as RowWorker::hilbert on the CPU.
__global__ void hilbert_spectra_kernel(cdouble* __restrict__ spec, int64_t rows, int64_t F, int64_t n5) {
  const int64_t F5 = n5 / 2 + 1;
  const double scale = 1.0 / static_cast<double>(n5);
  GPAC_GRID_STRIDE(idx, rows * F5) {
    const int64_t r = idx / F5, f = idx % F5;
    cdouble& z = spec[r * F + f];
    z = (f == 0 || (n5 % 2 == 0 && f == n5 / 2)) ? cdouble(0.0, 0.0) : cdouble(z.imag() * scale, -z.real() * scale);
  }
}

// Where polar_rows writes one set's rows.
struct SetOut {
  void* data;                  // (S, B, n) contiguous: uint8 bins, or T phases / amplitudes
  int64_t B;                   // bands in the set
  int64_t n_bins;              // > 0: bins
  bool phase;                  // phase (or bins) rather than amplitude
  bool out_double;             // phases / amplitudes in float64 (else float32)
  unsigned long long* counts;  // bins only, optional: counts[s * cs + b * cb + bin] += samples
  int64_t cs, cb;
};

// 9. Block (row of the block, chunk of kPolarChunk samples): the analytic
// signal re + i im of one band row -> its output; a bins row also counts its
// samples per bin in shared memory, one global atomic per bin and block.
__global__ void polar_rows_kernel(const double* __restrict__ re, int64_t re_stride, const double* __restrict__ im,
                                  int64_t n5, int64_t n, int64_t s0, int64_t b0, int64_t bc, SetOut set0, SetOut set1,
                                  int64_t chunks) {
  extern __shared__ unsigned int hist[];
  const int64_t r = blockIdx.x / chunks;
  const int64_t begin = (blockIdx.x % chunks) * kPolarChunk;
  const int64_t end = min(n, begin + kPolarChunk);
  const int64_t s = s0 + r / bc, g = b0 + r % bc;
  const bool first = g < set0.B;
  const SetOut& set = first ? set0 : set1;
  const int64_t b = first ? g : g - set0.B;
  const double* x = re + r * re_stride;
  const double* y = im + r * n5;
  const int64_t out_row = (s * set.B + b) * n;
  if (set.phase && set.n_bins > 0) {
    const PhaseBins<double> to_bin(set.n_bins);
    uint8_t* out = static_cast<uint8_t*>(set.data) + out_row;
    const bool count = set.counts != nullptr;
    if (count) {
      for (int64_t k = threadIdx.x; k < set.n_bins; k += blockDim.x) hist[k] = 0;
      __syncthreads();
    }
    // Every lane runs every iteration (blockDim.x is a multiple of 32), so the
    // full-warp match is well defined; lanes past the end carry no bin.
    constexpr unsigned int kNoBin = 0xffffffffu;
    for (int64_t base = begin; base < end; base += blockDim.x) {
      const int64_t t = base + threadIdx.x;
      unsigned int bin = kNoBin;
      if (t < end) {
        const double xr = x[t], yi = y[t];
        // NaN/Inf rows (flagged in step 1) get bin 0: defined, and their
        // results are discarded or marked NaN by the caller.
        bin = isfinite(xr) && isfinite(yi) ? static_cast<unsigned int>(to_bin(wrap_phase(atan2(yi, xr)))) : 0u;
        out[t] = static_cast<uint8_t>(bin);
      }
      if (count) {
        // Neighbouring samples mostly share a bin: one shared atomic per distinct bin and warp.
        const unsigned int peers = __match_any_sync(0xffffffffu, bin);
        if (bin != kNoBin && (threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&hist[bin], __popc(peers));
      }
    }
    if (count) {
      __syncthreads();
      unsigned long long* c = set.counts + s * set.cs + b * set.cb;
      for (int64_t k = threadIdx.x; k < set.n_bins; k += blockDim.x)
        if (hist[k]) atomicAdd(&c[k], static_cast<unsigned long long>(hist[k]));
    }
    return;
  }
  for (int64_t t = begin + threadIdx.x; t < end; t += blockDim.x) {
    const double xr = x[t], yi = y[t];
    const double v = set.phase ? wrap_phase(atan2(yi, xr)) : magnitude(xr, yi);
    if (set.out_double) {
      static_cast<double*>(set.data)[out_row + t] = v;
    } else {
      static_cast<float*>(set.data)[out_row + t] = static_cast<float>(v);
    }
  }
}

bool disabled_by_environment() {
  static const bool off = [] {
    const char* v = std::getenv("GPAC_CUDA_FFT");
    return v != nullptr && std::strcmp(v, "aten") == 0;
  }();
  return off;
}

}  // namespace

bool filter_hilbert_cuda(const at::Tensor& rows, const std::vector<BandJob>& jobs, int64_t block_bytes,
                         RowFlags* flags) {
  if (jobs.empty() || jobs.size() > 2 || disabled_by_environment()) return false;
  const int64_t S = rows.size(0), n = rows.size(1);
  int64_t p = 0, B = 0;
  for (const auto& job : jobs) {
    // The phase's cos and sin come from the composed path (csrc/spectral.cpp).
    if (job.out_sin.defined()) return false;
    TORCH_INTERNAL_ASSERT(job.out.is_contiguous(), "filter_hilbert_cuda writes contiguous outputs");
    p = std::max(p, job.taps.size(1) - 1);
    B += job.taps.size(0);
  }
  const int64_t n_fft = next_fast_len(n + 2 * p), n5 = next_fast_len(n);
  const int64_t F = n_fft / 2 + 1;
  // The Hilbert transform reads the band signal where the inverse transform
  // left it when the extended row has room for the zero padding and the
  // start stays 16-byte aligned; otherwise from a padded copy.
  const bool in_place = p + n5 <= n_fft && p % 2 == 0 && n_fft % 2 == 0;

  // Rows of (signal, band) per block, within block_bytes: per row the
  // product spectrum, the band signal, its Hilbert transform (and the padded
  // copy); per signal its extension and spectrum (counted as one more row).
  const int64_t row_bytes = F * 16 + n_fft * 8 + n5 * 8 + (in_place ? 0 : n5 * 8);
  const int64_t rows_fit = std::max<int64_t>(1, block_bytes / row_bytes);
  const int64_t bc = std::min(B, rows_fit);
  const int64_t sc = bc < B ? 1 : std::clamp<int64_t>(rows_fit / (B + 1), 1, S);

  const auto f64 = rows.options().dtype(at::kDouble);
  const auto c128 = rows.options().dtype(at::kComplexDouble);
  auto ext = at::empty({sc, n_fft}, f64);
  auto spec = at::empty({sc, F}, c128);
  auto prod = at::empty({sc * bc, F}, c128);
  auto filt = at::empty({sc * bc, n_fft}, f64);
  auto imag = at::empty({sc * bc, n5}, f64);
  at::Tensor padded = in_place ? at::Tensor() : at::empty({sc * bc, n5}, f64);

  std::vector<at::Tensor> responses;
  for (const auto& job : jobs)
    responses.push_back(power_response(job.taps, n_fft, at::kDouble, rows.device(), job.response_key));
  SetOut sets[2] = {};
  for (size_t k = 0; k < jobs.size(); ++k) {
    const auto& job = jobs[k];
    SetOut& o = sets[k];
    o.data = job.out.data_ptr();
    o.B = job.taps.size(0);
    o.n_bins = job.phase ? job.n_bins : 0;
    o.phase = job.phase;
    o.out_double = job.out.scalar_type() == at::kDouble;
    if (job.counts.defined()) {
      o.counts = reinterpret_cast<unsigned long long*>(job.counts.data_ptr<int64_t>());
      o.cs = job.counts.stride(0);
      o.cb = job.counts.stride(1);
    }
  }
  const int64_t B0 = sets[0].B;
  const double* resp0 = responses[0].data_ptr<double>();
  const double* resp1 = responses.size() > 1 ? responses[1].data_ptr<double>() : resp0;
  uint8_t* any_bad = flags ? flags->any.data_ptr<uint8_t>() : nullptr;
  uint8_t* bad_rows = flags && flags->rows.defined() ? flags->rows.data_ptr<uint8_t>() : nullptr;
  int64_t max_bins = 0;
  for (const auto& o : sets) max_bins = std::max(max_bins, o.n_bins);

  const auto stream = at::cuda::getCurrentCUDAStream();
  const int64_t chunks = (n + kPolarChunk - 1) / kPolarChunk;
  for (int64_t s0 = 0; s0 < S; s0 += sc) {
    const int64_t ns = std::min(sc, S - s0);
    AT_DISPATCH_FLOATING_TYPES(rows.scalar_type(), "gpac_extend_rows", [&] {
      extend_rows_kernel<scalar_t><<<blocks_for(ns * n_fft), kThreads, 0, stream>>>(
          rows.data_ptr<scalar_t>() + s0 * n, ns, n, p, n_fft, ext.data_ptr<double>(), any_bad,
          bad_rows ? bad_rows + s0 : nullptr);
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    });
    cufft::forward(ext.data_ptr<double>(), n_fft, spec.data_ptr<cdouble>(), F, n_fft, ns);
    for (int64_t b0 = 0; b0 < B; b0 += bc) {
      const int64_t nb = std::min(bc, B - b0), nr = ns * nb;
      band_spectra_kernel<<<blocks_for(nr * F), kThreads, 0, stream>>>(spec.data_ptr<cdouble>(), resp0, resp1, B0, b0,
                                                                       nb, nr, F, 1.0 / static_cast<double>(n_fft),
                                                                       prod.data_ptr<cdouble>());
      C10_CUDA_KERNEL_LAUNCH_CHECK();
      cufft::backward(prod.data_ptr<cdouble>(), F, filt.data_ptr<double>(), n_fft, n_fft, nr);
      const double* band = filt.data_ptr<double>() + p;
      int64_t band_stride = n_fft;
      if (in_place) {
        if (n5 > n) {
          zero_tails_kernel<<<blocks_for(nr * (n5 - n)), kThreads, 0, stream>>>(filt.data_ptr<double>(), nr, n_fft, p,
                                                                                n, n5);
          C10_CUDA_KERNEL_LAUNCH_CHECK();
        }
      } else {
        pad_rows_kernel<<<blocks_for(nr * n5), kThreads, 0, stream>>>(filt.data_ptr<double>(), nr, n_fft, p, n, n5,
                                                                      padded.data_ptr<double>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
        band = padded.data_ptr<double>();
        band_stride = n5;
      }
      cufft::forward(band, band_stride, prod.data_ptr<cdouble>(), F, n5, nr);
      hilbert_spectra_kernel<<<blocks_for(nr * (n5 / 2 + 1)), kThreads, 0, stream>>>(prod.data_ptr<cdouble>(), nr, F,
                                                                                     n5);
      C10_CUDA_KERNEL_LAUNCH_CHECK();
      cufft::backward(prod.data_ptr<cdouble>(), F, imag.data_ptr<double>(), n5, n5, nr);
      const int64_t grid = nr * chunks;
      GPAC_CHECK(grid <= INT32_MAX, "polar_rows would need ", grid, " blocks; use a smaller memory_budget");
      polar_rows_kernel<<<static_cast<unsigned int>(grid), kThreads, max_bins * sizeof(unsigned int), stream>>>(
          band, band_stride, imag.data_ptr<double>(), n5, n, s0, b0, nb, sets[0], sets[1], chunks);
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    }
  }
  return true;
}

}  // namespace gpac
