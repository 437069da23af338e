// Filtering and analytic signal shared by every device.
//
// Why filtering by FFT reproduces scipy.signal.filtfilt(b, 1, x, padlen=order)
// exactly: with padlen = len(b) - 1 = p, every retained output sample
// out[t] = sum_{j,k} b[j] b[k] xo[t + k - j] reads the odd-extended signal xo
// only inside [-p, n - 1 + p], so the steady-state initial conditions of both
// passes never reach it. filtfilt is then a zero-phase filter with response
// |B(f)|^2 applied to xo, which a circular FFT convolution of length
// N >= n + 2p computes without wrap-around. An extension by P >= p samples
// gives the same retained samples, so one extension by the largest order and
// one forward FFT per signal serve every band, whatever its order.
//
// The analytic signal then follows TensorPAC's hilbertm exactly: the band
// signal's n samples zero-padded to the next 5-smooth length N5, transformed,
// cut back. Its real part is the band signal itself; its imaginary part is the
// inverse real FFT of -i F on the positive frequencies (DC and Nyquist dropped).
//
// Work per signal and band: one forward real FFT of the extended signal
// (shared by all bands), one inverse of length N, then the Hilbert pair
// (forward and inverse of length N5). Temporaries are bounded by processing
// blocks of signals x bands.
#include "csrc/spectral.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "csrc/device_copy.h"
#include "csrc/filter_design.h"
#include "csrc/host_memory.h"
#include "csrc/lru_cache.h"

namespace gpac {

at::Tensor odd_extend(const at::Tensor& x, int64_t p) {
  if (p == 0) return x;
  const int64_t n = x.size(-1);
  auto left = 2 * x.narrow(-1, 0, 1) - x.narrow(-1, 1, p).flip(-1);
  auto right = 2 * x.narrow(-1, n - 1, 1) - x.narrow(-1, n - 1 - p, p).flip(-1);
  return at::cat({left, x, right}, -1);
}

namespace {

// The call running on this thread.
thread_local CallScope* running_call = nullptr;

// The responses of a bank on the rfft grid of length n_fft, in dtype, on
// `device`, from `compute`. The same bands come back call after call, so
// responses are cached: on the device they are used on (a CUDA call then
// neither recomputes them nor copies them), under the design key or the CPU
// taps' bytes; the process keeps at most kResponseCacheBytes of them, and the
// running call (CallScope) keeps the larger ones of long rows' windows.
template <typename Compute>
at::Tensor cached_response(const char* kind, const at::Tensor& taps, int64_t n_fft, at::ScalarType dtype,
                           const at::Device& device, const std::string& key, Compute&& compute) {
  if (key.empty() && !taps.is_cpu()) return compute();
  static LruCache<at::Tensor> responses(64, kResponseCacheBytes);
  std::string k(kind);
  k += key.empty() ? "bytes" : "design";
  // A design key names a whole bank; the pipeline passes groups of its bands
  // as views, told apart by where they start in the bank's storage.
  const int64_t head[] = {taps.size(0),
                          taps.size(1),
                          taps.storage_offset(),
                          n_fft,
                          static_cast<int64_t>(dtype),
                          static_cast<int64_t>(device.type()),
                          device.index()};
  append_key(k, head, 7);
  if (key.empty()) {
    const auto t =
        (taps.is_complex() ? at::stack({at::real(taps), at::imag(taps)}) : taps).to(at::kDouble).contiguous();
    append_key(k, t.data_ptr<double>(), t.numel());
  } else {
    k += key;
  }
  auto* call = CallScope::current();
  if (call)
    if (auto hit = call->responses().get(k)) return *hit;
  auto response = responses.get(k);
  if (!response) {
    response = compute();
    responses.put(k, *response, response->nbytes());
  }
  if (call) call->responses().put(std::move(k), *response, response->nbytes());
  return *response;
}

}  // namespace

CallScope::CallScope() {
  if (running_call) return;  // within a call already: that one keeps everything
  responses_ = std::make_unique<LruCache<at::Tensor>>(64, SIZE_MAX);
  running_call = this;
  outermost_ = true;
}

CallScope::~CallScope() {
  if (outermost_) running_call = nullptr;
}

CallScope* CallScope::current() { return running_call; }

// |B(f)|^2 = re^2 + im^2 in float64 (then cast), so that float32 runs lose
// nothing in the design; a few bands at a time, so that their complex
// spectra are the only temporaries. Always batches of two rows or more (a
// single band goes with a copy of itself): MKL transforms a lone row
// otherwise, to roundings that even depend on OMP_NUM_THREADS at start-up.
at::Tensor power_response(const at::Tensor& taps, int64_t n_fft, at::ScalarType dtype, const at::Device& device,
                          const std::string& key) {
  return cached_response("power", taps, n_fft, dtype, device, key, [&] {
    auto t = taps.to(at::kDouble);
    const int64_t B = t.size(0);
    if (B == 1) t = t.expand({2, t.size(1)});
    auto out = at::empty({t.size(0), n_fft / 2 + 1}, t.options().dtype(dtype));
    for (int64_t b0 = 0; b0 < t.size(0);) {
      const int64_t rest = t.size(0) - b0;
      const int64_t count = rest <= kResponseBandsPerBatch + 1 ? rest : kResponseBandsPerBatch;
      const auto spectrum = at::fft_rfft(t.narrow(0, b0, count), n_fft);
      out.narrow(0, b0, count).copy_(at::real(spectrum).square() + at::imag(spectrum).square());
      b0 += count;
    }
    return to_device(out.narrow(0, 0, B).contiguous(), device);
  });
}

// A complex row w filters real signals as two real filters, re(w) and im(w):
// the rfft of each, (B, 2, n_fft / 2 + 1).
at::Tensor wavelet_response(const at::Tensor& wavelets, int64_t n_fft, at::ScalarType dtype, const at::Device& device,
                            const std::string& key) {
  return cached_response("wavelet", wavelets, n_fft, dtype, device, key, [&] {
    const auto parts = at::stack({at::real(wavelets), at::imag(wavelets)}, 1).to(at::kDouble);
    return to_device(at::fft_rfft(parts, n_fft).to(c10::toComplexType(dtype)).contiguous(), device);
  });
}

// Imaginary part of TensorPAC's analytic signal of each row (..., n).
at::Tensor hilbert_imag(const at::Tensor& rows) {
  const int64_t n = rows.size(-1);
  const int64_t n5 = next_fast_len(n);
  auto spec = at::fft_rfft(rows, n5).mul_(c10::complex<double>(0.0, -1.0));
  spec.select(-1, 0).zero_();
  if (n5 % 2 == 0) spec.select(-1, n5 / 2).zero_();
  return at::fft_irfft(spec, n5).narrow(-1, 0, n);
}

std::tuple<at::Tensor, at::Tensor> unit_phasor(const at::Tensor& re, const at::Tensor& im) {
  const auto r = at::hypot(re, im);
  const auto some = r > 0;
  return {at::where(some, re / r, at::ones_like(r)), at::where(some, im / r, at::zeros_like(r))};
}

std::tuple<at::Tensor, at::Tensor> envelope_phasor(const at::Tensor& envelope) {
  auto [c, s] = unit_phasor(envelope, hilbert_imag(envelope));
  return {c, s.neg_()};
}

namespace {

// A bank of band-pass filters (or complex wavelets) and the dtype its band
// signals are computed in.
struct BandSet {
  at::Tensor taps;
  at::ScalarType dtype;
  std::string key;  // design key, for the response cache
};

// A block of band signals: (signals, bands, n) real parts; for wavelets also
// the imaginary parts (else undefined).
using BlockFn =
    std::function<void(size_t set, int64_t s0, int64_t b0, const at::Tensor& block, const at::Tensor& imag)>;

// Band-passes the rows (S, n) through every band set and hands each block of
// filtered signals, (signals, bands, n) starting at signal s0 and band b0 of
// set `set`, in that set's dtype, to `emit`. One extension and one forward
// FFT per signal serve all sets; `bytes_per_row` is what `emit` allocates per
// filtered row. The sets are all real taps (filtfilt: odd extension by the
// longest order, response |B|^2) or all complex wavelets (numpy.convolve:
// zero padding, each set cut at (L - 1) // 2 of its own width L).
void for_each_band_block(const at::Tensor& rows, const std::vector<BandSet>& sets, int64_t bytes_per_row,
                         int64_t block_bytes, const BlockFn& emit) {
  const int64_t S = rows.size(0), n = rows.size(1);
  const bool wavelets = sets.front().taps.is_complex();
  int64_t width = 0, n_bands = 0;
  auto fft_dtype = rows.scalar_type();
  for (const auto& set : sets) {
    TORCH_INTERNAL_ASSERT(set.taps.is_complex() == wavelets, "real taps and wavelets in one call");
    width = std::max(width, set.taps.size(1));
    n_bands += set.taps.size(0);
    fft_dtype = at::promote_types(fft_dtype, set.dtype);
  }
  const int64_t p = wavelets ? 0 : width - 1;  // extension on each side
  const int64_t n_fft = next_fast_len(wavelets ? n + width - 1 : n + 2 * p);
  const int64_t parts = wavelets ? 2 : 1;  // real filters per band
  const int64_t elem = at::elementSize(fft_dtype);
  // On the CPU, temporaries over glibc's largest mmap threshold (32 MiB) are
  // mapped and page-faulted afresh on every call; smaller ones are reused.
  if (rows.is_cpu()) block_bytes = std::min(block_bytes, kCpuBlockBytes);
  // Spectrum product (complex), inverse transform, and the caller's share.
  const int64_t row_bytes = parts * ((n_fft / 2 + 1) * 2 * elem + n_fft * elem) + bytes_per_row;
  const int64_t bands_per_block = std::max<int64_t>(1, block_bytes / row_bytes);
  const int64_t signals_per_block = std::max<int64_t>(1, block_bytes / (row_bytes * std::max<int64_t>(1, n_bands)));

  std::vector<at::Tensor> responses;
  for (const auto& set : sets)
    responses.push_back(wavelets ? wavelet_response(set.taps, n_fft, set.dtype, rows.device(), set.key)
                                 : power_response(set.taps, n_fft, set.dtype, rows.device(), set.key));

  for (int64_t s0 = 0; s0 < S; s0 += signals_per_block) {
    const int64_t sc = std::min(signals_per_block, S - s0);
    const auto chunk = rows.narrow(0, s0, sc).to(fft_dtype);
    const auto spectrum = at::fft_rfft(wavelets ? chunk : odd_extend(chunk, p), n_fft).unsqueeze(1);
    for (size_t k = 0; k < sets.size(); ++k) {
      const auto& resp = responses[k];
      const auto spec = spectrum.to(c10::toComplexType(sets[k].dtype));
      for (int64_t b0 = 0; b0 < resp.size(0); b0 += bands_per_block) {
        const int64_t bc = std::min(bands_per_block, resp.size(0) - b0);
        if (wavelets) {
          const int64_t cut = (sets[k].taps.size(1) - 1) / 2;
          const auto filtered = at::fft_irfft(spec.unsqueeze(2) * resp.narrow(0, b0, bc), n_fft).narrow(-1, cut, n);
          emit(k, s0, b0, filtered.select(2, 0), filtered.select(2, 1));
        } else {
          const auto filtered = at::fft_irfft(spec * resp.narrow(0, b0, bc), n_fft);
          emit(k, s0, b0, filtered.narrow(-1, p, n), at::Tensor());
        }
      }
    }
  }
}

}  // namespace

int64_t window_stage_bytes(int64_t length, int64_t max_taps, const WindowStage& w) {
  const int64_t n_fft = next_fast_len(length + 2 * std::max<int64_t>(0, max_taps - 1));
  const int64_t n5 = next_fast_len(length);
  const int64_t F = n_fft / 2 + 1, F5 = n5 / 2 + 1;
  const bool float_amplitude = w.amp_bands > 0 && w.amp_fft_bytes < 8;
  // Each signal: its window copied out of the row, the copy in float64, its
  // extended spectrum (complex float64, and complex float32 for float32
  // amplitude rows).
  const int64_t signals = w.signals * (length * 16 + F * 16 + (float_amplitude ? F * 8 : 0));
  // The responses on this grid (kept for the call: CallScope), and the
  // spectra of the few bands power_response computes at a time.
  const int64_t responses =
      w.pha_bands * F * 8 + w.amp_bands * F * w.amp_fft_bytes + (kResponseBandsPerBatch + 1) * F * 40;
  const int64_t outputs = w.signals * length * (w.pha_bands * w.pha_out_bytes + w.amp_bands * w.amp_out_bytes);
  // Each worker's row buffers (kernels/cpu/filter_hilbert_cpu.cpp RowWorker,
  // which also extends and transforms the signals) and its MKL descriptors,
  // forward and backward on both grids (measured: up to 57 bytes a sample for
  // a float64 pair, 28 for a float32 one).
  auto worker = [&](int64_t e) { return (2 * F + 2 * F5 + n_fft + 2 * n5) * e + 8 * e * (n_fft + n5); };
  const int64_t per_worker = worker(8) + (float_amplitude ? worker(4) : 0);
  return signals + responses + outputs + std::max<int64_t>(1, w.workers) * per_worker;
}

at::Tensor filter_rows(const at::Tensor& rows, const at::Tensor& taps, int64_t block_bytes) {
  const int64_t n = rows.size(1);
  auto out = at::empty({rows.size(0), taps.size(0), n}, rows.options());
  for_each_band_block(rows, {{taps, rows.scalar_type(), {}}}, 0, block_bytes,
                      [&](size_t, int64_t s0, int64_t b0, const at::Tensor& blk, const at::Tensor&) {
                        out.narrow(0, s0, blk.size(0)).narrow(1, b0, blk.size(1)).copy_(blk);
                      });
  return out;
}

std::tuple<at::Tensor, at::Tensor> wavelet_rows(const at::Tensor& rows, const at::Tensor& wavelets,
                                                int64_t block_bytes) {
  const int64_t n = rows.size(1);
  auto re = at::empty({rows.size(0), wavelets.size(0), n}, rows.options());
  auto im = at::empty_like(re);
  for_each_band_block(rows, {{wavelets, rows.scalar_type(), {}}}, 0, block_bytes,
                      [&](size_t, int64_t s0, int64_t b0, const at::Tensor& blk, const at::Tensor& imag) {
                        re.narrow(0, s0, blk.size(0)).narrow(1, b0, blk.size(1)).copy_(blk);
                        im.narrow(0, s0, blk.size(0)).narrow(1, b0, blk.size(1)).copy_(imag);
                      });
  return {re, im};
}

std::tuple<at::Tensor, at::Tensor> hilbert_rows(const at::Tensor& rows, int64_t block_bytes, const DeviceKernels& k) {
  auto phase = at::empty_like(rows);
  auto amplitude = at::empty_like(rows);
  const int64_t n = rows.size(1);
  const int64_t row_bytes = 4 * next_fast_len(n) * at::elementSize(kPhaseDtype);
  const int64_t rows_per_block = std::max<int64_t>(1, block_bytes / row_bytes);
  for (int64_t r0 = 0; r0 < rows.size(0); r0 += rows_per_block) {
    const int64_t rc = std::min(rows_per_block, rows.size(0) - r0);
    const auto re = rows.narrow(0, r0, rc).unsqueeze(1).to(kPhaseDtype);
    k.write_polar(re, hilbert_imag(re), phase.narrow(0, r0, rc).unsqueeze(1), amplitude.narrow(0, r0, rc).unsqueeze(1));
  }
  return {phase, amplitude};
}

namespace {

// NaN/Inf flags of the rows from ATen reductions, where no fused kernel set them.
void flag_nonfinite(const at::Tensor& rows, RowFlags& flags) {
  const auto bad = at::isfinite(rows).logical_not_().any(1);
  if (flags.rows.defined()) flags.rows.logical_or_(bad);
  flags.any.logical_or_(bad.any());
}

}  // namespace

BandSignals first_signals(const BandSignals& b, int64_t signals) {
  auto first = [&](const at::Tensor& t) { return t.defined() ? t.narrow(0, 0, signals) : t; };
  return {first(b.phase), first(b.amplitude), false, first(b.phase_sin), first(b.amplitude_im)};
}

BandSignals filter_hilbert_rows(const at::Tensor& rows, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                const DeviceKernels& k, const BandOptions& o) {
  const int64_t S = rows.size(0), n = rows.size(1);
  std::vector<BandJob> jobs;  // phase (or bins) of the phase bands, amplitude of the amplitude bands
  for (const bool phase : {true, false}) {
    const auto& taps = phase ? pha_taps : amp_taps;
    if (!taps.defined()) continue;
    // Phases in float64 for the bins (csrc/op_impl.cpp says why); their cos
    // and sin need no angle, and are computed in the rows' precision.
    const bool phasor = phase && o.phasor;
    const auto out_dtype = phase && !phasor ? (o.n_bins > 0 ? at::kByte : o.phase_dtype) : rows.scalar_type();
    const auto shape = std::vector<int64_t>{S, taps.size(0), n};
    // The caller's buffer where it gave one (BandOptions::into says why), else a fresh tensor.
    auto output = [&](const at::Tensor& given, at::ScalarType dtype) {
      if (!given.defined()) return at::empty(shape, rows.options().dtype(dtype));
      TORCH_INTERNAL_ASSERT(given.sizes() == at::IntArrayRef(shape) && given.scalar_type() == dtype &&
                                given.is_contiguous() && given.device() == rows.device(),
                            "filter_hilbert_rows: an output buffer of the wrong shape, dtype or device");
      return given;
    };
    const BandSignals none;
    const BandSignals& into = o.into ? *o.into : none;
    jobs.push_back({taps, phase && !phasor ? kPhaseDtype : rows.scalar_type(), phase, phase ? o.n_bins : 0,
                    output(phase ? into.phase : into.amplitude, out_dtype), phase ? o.pha_key : o.amp_key,
                    phase && o.n_bins > 0 && k.counts_with_bins ? o.counts : at::Tensor(),
                    phasor || (!phase && o.envelope_phasor)
                        ? output(phase ? into.phase_sin : into.amplitude_im, rows.scalar_type())
                        : at::Tensor()});
  }
  // Wavelets give the complex band signal directly: no Hilbert transform,
  // and none of the fused kernels (FIR only).
  const bool wavelets = jobs.front().taps.is_complex();
  const bool fused = !wavelets && k.filter_hilbert && k.filter_hilbert(rows, jobs, o.block_bytes, o.flags);
  if (!fused) {
    if (o.flags) flag_nonfinite(rows, *o.flags);
    std::vector<BandSet> sets;
    for (const auto& job : jobs) sets.push_back({job.taps, job.dtype, job.response_key});
    const int64_t hilbert_bytes = wavelets ? 0 : 4 * next_fast_len(n) * at::elementSize(kPhaseDtype);
    for_each_band_block(rows, sets, hilbert_bytes, o.block_bytes,
                        [&](size_t set, int64_t s0, int64_t b0, const at::Tensor& blk, const at::Tensor& imag) {
                          const auto& job = jobs[set];
                          const auto dst = job.out.narrow(0, s0, blk.size(0)).narrow(1, b0, blk.size(1));
                          const auto im = imag.defined() ? imag : hilbert_imag(blk);
                          if (job.out_sin.defined()) {
                            // cos and sin of the phase, or PS's carrier of the envelope
                            auto [re_part, im_part] =
                                job.phase ? unit_phasor(blk, im) : envelope_phasor(at::hypot(blk, im));
                            dst.copy_(re_part);
                            job.out_sin.narrow(0, s0, blk.size(0)).narrow(1, b0, blk.size(1)).copy_(im_part);
                          } else if (!job.phase) {
                            k.write_polar(blk, im, at::Tensor(), dst);
                          } else if (job.n_bins > 0) {
                            k.write_bins(blk, im, job.n_bins, dst);
                          } else {
                            k.write_polar(blk, im, dst, at::Tensor());
                          }
                        });
  }
  BandSignals out;
  for (const auto& job : jobs) {
    (job.phase ? out.phase : out.amplitude) = job.out;
    (job.phase ? out.phase_sin : out.amplitude_im) = job.out_sin;
    if (job.counts.defined()) out.counted = fused;
  }
  return out;
}

namespace {

// Calls f(window, c0, c1, w0) for the cores [c0, c1) tiling [t0, t1), each
// window rows[:, w0 : w1] made contiguous.
template <typename F>
void for_each_window(const at::Tensor& rows, int64_t t0, int64_t t1, const Segments& seg, F&& f) {
  // Cores on one grid from sample 0 whatever [t0, t1) is, so that a sample
  // comes out of the same window (the same numbers) in a range as in the
  // whole row: stretches of a row (windowed_histograms) then agree exactly.
  const int64_t n = rows.size(1);
  for (int64_t g0 = t0 / seg.core * seg.core; g0 < t1; g0 += seg.core) {
    const int64_t g1 = std::min(g0 + seg.core, n);
    const int64_t w0 = std::max<int64_t>(0, g0 - seg.margin), w1 = std::min(n, g1 + seg.margin);
    f(rows.narrow(1, w0, w1 - w0).contiguous(), std::max(g0, t0), std::min(g1, t1), w0);
    if (rows.is_cpu()) release_freed_host_memory(seg.stage_bytes);
  }
}

}  // namespace

Segments plan_segments(int64_t n_times, int64_t max_taps, const WindowStage& w, int64_t budget) {
  if (window_stage_bytes(n_times, max_taps, w) <= budget) return {};
  // The bytes grow about linearly with the window: scale, then shrink past
  // the 5-smooth lengths' steps.
  const int64_t order = std::max<int64_t>(1, max_taps - 1);
  const double per_sample = static_cast<double>(window_stage_bytes(n_times, max_taps, w)) / n_times;
  int64_t window = static_cast<int64_t>(budget / per_sample);
  while (window > 32 * order && window_stage_bytes(window, max_taps, w) > budget) window -= window / 16 + 1;
  window = std::max<int64_t>(window, 32 * order);
  if (n_times <= window) return {};
  const int64_t margin = std::max<int64_t>(2 * order, window / 8);
  return {window - 2 * margin, margin, budget};
}

at::Tensor filter_rows_segmented(const at::Tensor& rows, const at::Tensor& taps, const Segments& seg,
                                 int64_t block_bytes) {
  if (seg.core == 0) return filter_rows(rows, taps, block_bytes);
  auto out = at::empty({rows.size(0), taps.size(0), rows.size(1)}, rows.options());
  for_each_window(rows, 0, rows.size(1), seg, [&](const at::Tensor& window, int64_t c0, int64_t c1, int64_t w0) {
    out.narrow(2, c0, c1 - c0).copy_(filter_rows(window, taps, block_bytes).narrow(2, c0 - w0, c1 - c0));
  });
  return out;
}

BandSignals filter_hilbert_range(const at::Tensor& rows, const at::Tensor& pha_taps, const at::Tensor& amp_taps,
                                 int64_t t0, int64_t t1, const Segments& seg, const DeviceKernels& k,
                                 const BandOptions& o) {
  if (seg.core == 0) {
    auto band = filter_hilbert_rows(rows, pha_taps, amp_taps, k, o);
    if (t0 == 0 && t1 == rows.size(1)) return band;
    TORCH_INTERNAL_ASSERT(!band.counted, "counts are for whole rows");
    auto cut = [&](const at::Tensor& t) { return t.defined() ? t.narrow(2, t0, t1 - t0).contiguous() : t; };
    return {cut(band.phase), cut(band.amplitude), false, cut(band.phase_sin), cut(band.amplitude_im)};
  }
  BandOptions window_options = o;
  window_options.counts = at::Tensor();  // windows overlap: the caller counts the bins
  window_options.into = nullptr;         // each window's bands are cut into `out`
  BandSignals out;
  for_each_window(rows, t0, t1, seg, [&](const at::Tensor& window, int64_t c0, int64_t c1, int64_t w0) {
    const auto band = filter_hilbert_rows(window, pha_taps, amp_taps, k, window_options);
    auto keep = [&](at::Tensor& dst, const at::Tensor& part) {
      if (!part.defined()) return;
      if (!dst.defined()) dst = at::empty({part.size(0), part.size(1), t1 - t0}, part.options());
      dst.narrow(2, c0 - t0, c1 - c0).copy_(part.narrow(2, c0 - w0, c1 - c0));
    };
    keep(out.phase, band.phase);
    keep(out.amplitude, band.amplitude);
    keep(out.phase_sin, band.phase_sin);
    keep(out.amplitude_im, band.amplitude_im);
  });
  return out;
}

}  // namespace gpac
