// CPU histograms of gpac::mi_scatter and gpac::modulation_index: phase-binned
// amplitude sums reduced to Tort's MI, without any (samples x pairs) tensor.
//
// A phase changes bin rarely: at fs = 512 Hz a 10 Hz phase stays ~2.8 samples
// in each of 18 bins, a 2 Hz phase ~14, and the ratio grows with fs. So each
// phase row is read once as runs of equal bins (found sixteen samples at a
// time), and the amplitude sum over a run is a difference of two prefix sums:
// the work per (phase band, amplitude band) pair is its number of runs R, not
// its n samples. Amplitude bands are taken W = 8 at a time (the last group
// padded to an even width with zero rows), their prefix sums interleaved
// sample-major, so one run adds W sums with a few vector instructions.
// Surrogates read the amplitude from sample t + shift on, which moves a run's
// span (split where it wraps around n), and the runs of another signal's
// phase for swapped trials: no shifted copy.
//
// The prefix is built one tile of kPrefixTile samples at a time, and each tile
// serves every phase row's runs that meet it before the next is built
// (GroupPass): the tile stays in the cache, shared by the P phase rows, and
// the scratch does not grow with the recording. Each histogram set (the
// observed one, each surrogate) makes its own pass over the tiles; the sets
// of a group are shared out over the threads in blocks.
//
// Precision: the prefix sums are float64 and restart every kPrefixTile
// samples, so a run's sum carries the rounding of at most kPrefixTile samples
// of amplitude, never of the whole recording; a bin sum then adds one rounded
// term per run where a per-sample float64 sum adds one per sample. These are
// csrc/prefix_runs.h's terms, added in its order: the CUDA surrogates give the
// same histogram bits.
//
// Memory: the runs of the phase bands of one pass (5 bytes a run; the bands
// go in passes whose runs fit scratch_bytes, one band at least), and per
// thread (kPrefixTile + 1) W doubles of prefix and P n_bins W double accumulators.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <memory>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csrc/error_text.h"
#include "csrc/device_kernels.h"
#include "csrc/pac_math.h"
#include "csrc/prefix_runs.h"
#include "kernels/cpu/cpu_clones.h"
#include "kernels/cpu/parallel_grain.h"

namespace gpac {
namespace {

constexpr int kMaxWidth = 8;          // amplitude bands per task
constexpr int64_t kSetsPerTask = 16;  // histogram sets (observed, surrogates) per task

// Runs of equal bins of one row: run r covers [start[r], start[r + 1]) in bin[r].
struct Runs {
  std::vector<int32_t> start;
  std::vector<uint8_t> bin;
  int64_t count() const { return static_cast<int64_t>(bin.size()); }
};

#if defined(__SSE2__)
// Byte k all ones where byte k of b equals byte k - 1, for k < 16.
inline __m128i equal_to_previous(const uint8_t* b) {
  return _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)),
                        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b - 1)));
}
#endif

// Bit k set where byte k of b differs from byte k - 1, for k < 16.
inline uint32_t change_mask(const uint8_t* b) {
#if defined(__SSE2__)
  return ~static_cast<uint32_t>(_mm_movemask_epi8(equal_to_previous(b))) & 0xffffu;
#else
  uint32_t mask = 0;
  for (int k = 0; k < 16; ++k) mask |= static_cast<uint32_t>(b[k] != b[k - 1]) << k;
  return mask;
#endif
}

// f(t) for each run start t >= 1 of a row of n bytes, in order: sixteen
// bytes compared at a time, then the set bits of their mask.
template <typename F>
void for_each_run_start(const uint8_t* b, int64_t n, F&& f) {
  int64_t t = 1;
  for (; t + 16 <= n; t += 16)
    for (uint32_t mask = change_mask(b + t); mask != 0; mask &= mask - 1) f(t + std::countr_zero(mask));
  for (; t < n; ++t)
    if (b[t] != b[t - 1]) f(t);
}

// The number of runs of a row of n >= 1 bytes: one plus the neighbours that
// differ, counted as 16 - the equal ones, which SSE2 tallies bytewise (255
// steps at most between the byte lanes' sums).
int64_t count_runs(const uint8_t* b, int64_t n) {
  int64_t count = 1, t = 1;
#if defined(__SSE2__)
  while (t + 16 <= n) {
    const int64_t steps = std::min<int64_t>(255, (n - t) / 16);
    __m128i equal = _mm_setzero_si128();
    for (int64_t k = 0; k < steps; ++k, t += 16)
      equal = _mm_sub_epi8(equal, equal_to_previous(b + t));        // each equal byte: -(-1)
    const __m128i sums = _mm_sad_epu8(equal, _mm_setzero_si128());  // two 64-bit lane sums
    // Each 64-bit lane sum is at most 8 x 255: its low 32 bits hold it.
    count += 16 * steps - _mm_cvtsi128_si32(sums) - _mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
  }
#endif
  for (; t < n; ++t) count += b[t] != b[t - 1];
  return count;
}

// The `count` runs of a row of n >= 1 bytes (count_runs), in their own size,
// each run's length added to its bin's sample count (counts[b]).
Runs find_runs(const uint8_t* b, int64_t n, int64_t count, int64_t* counts) {
  Runs runs;
  runs.start.resize(count + 1);
  runs.bin.resize(count);
  int64_t r = 0;
  runs.start[0] = 0;
  runs.bin[0] = b[0];
  for_each_run_start(b, n, [&](int64_t t) {
    TORCH_INTERNAL_ASSERT_DEBUG_ONLY(r + 1 < count, "more runs than count_runs found (", count, ")");
    counts[runs.bin[r]] += t - runs.start[r];
    runs.start[++r] = static_cast<int32_t>(t);
    runs.bin[r] = b[t];
  });
  TORCH_INTERNAL_ASSERT_DEBUG_ONLY(r + 1 == count, "fewer runs than count_runs found (", count, ")");
  counts[runs.bin[r]] += n - runs.start[r];
  runs.start[count] = static_cast<int32_t>(n);
  return runs;
}

constexpr int64_t kRunBytes = sizeof(int32_t) + sizeof(uint8_t);

struct Outputs {
  const int64_t* counts;          // (S, P, n_bins)
  const std::vector<Runs>* runs;  // (S, P): those of phase bands [i0, i1)
  int64_t S, P, A, K, n_bins;
  int64_t i0, i1;  // the phase bands of this pass
  const int64_t* phase_index;
  const int64_t* shift;
  BinnedMeasure measure;
};

// The tile-restarting prefix of W amplitude rows over samples [t0, t0 + len):
// out[o * W + q] is the sum of rows[q]'s first o samples of the tile (a null
// row counts as zeros).
template <int W, typename T>
GPAC_CPU_CLONES void build_tile(const T* const* rows, int64_t t0, int64_t len, double* out) {
  double run[W];
  for (int q = 0; q < W; ++q) run[q] = out[q] = 0.0;
  for (int64_t o = 0; o < len; ++o) {
    out += W;
    for (int q = 0; q < W; ++q) out[q] = run[q] += rows[q] ? static_cast<double>(rows[q][t0 + o]) : 0.0;
  }
}

// W doubles of a tile entry or a histogram bin, as vectors of 4 (then 2):
// a run's W sums are a few vector subtractions and additions, the same IEEE
// operations lane by lane as scalar code, whatever the vector width.
template <int W>
struct Lanes {
  using v4 = double __attribute__((vector_size(32), aligned(8)));
  using v2 = double __attribute__((vector_size(16), aligned(8)));
  static constexpr int k4 = W / 4, k2 = W % 4 / 2;
  static_assert(W % 2 == 0, "groups are padded to an even width");
  v4 a[k4 > 0 ? k4 : 1];
  v2 b[k2 > 0 ? k2 : 1];

  static Lanes load(const double* p) {
    Lanes l;
    for (int v = 0; v < k4; ++v) l.a[v] = *reinterpret_cast<const v4*>(p + 4 * v);
    for (int v = 0; v < k2; ++v) l.b[v] = *reinterpret_cast<const v2*>(p + 4 * k4 + 2 * v);
    return l;
  }
  // h += hi - *this, lane by lane.
  void add_difference(const Lanes& hi, double* h) const {
    for (int v = 0; v < k4; ++v) *reinterpret_cast<v4*>(h + 4 * v) += hi.a[v] - a[v];
    for (int v = 0; v < k2; ++v) *reinterpret_cast<v2*>(h + 4 * k4 + 2 * v) += hi.b[v] - b[v];
  }
};

// Adds to a phase row's histogram acc (n_bins x W) its runs' amplitude over
// times [t0, t1), from run r on, amplitude sample t at entry t + off of the
// tile; returns the run to go on from (one that goes on past t1 is added up
// to t1 and returned). A run's end is the next one's start: loaded once.
template <int W>
GPAC_CPU_CLONES int64_t add_runs(const int32_t* start, const uint8_t* bin, int64_t r, int64_t count, int64_t t0,
                                 int64_t t1, int64_t off, const double* tile, double* acc) {
  if (r == count) return r;
  auto lo = Lanes<W>::load(tile + (std::max<int64_t>(start[r], t0) + off) * W);
  for (; r < count && start[r + 1] <= t1; ++r) {
    const auto hi = Lanes<W>::load(tile + (start[r + 1] + off) * W);
    lo.add_difference(hi, acc + bin[r] * W);
    lo = hi;
  }
  if (r < count && start[r] < t1) lo.add_difference(Lanes<W>::load(tile + (t1 + off) * W), acc + bin[r] * W);
  return r;
}

// One thread's pass over the histograms of W amplitude rows (a group), one
// histogram set (observed, or one surrogate) at a time. The amplitude is read
// as tile-restarting prefix sums, one tile of kPrefixTile samples at a time (W
// lanes interleaved, entry o the sum of the tile's first o samples), and each
// tile serves every phase row's runs that meet it before the next is built:
// the tile stays in the cache, and no prefix of a whole row is ever held.
// A surrogate reads the amplitude from sample t + shift on, so it visits the
// tiles from the one holding `shift` round to it again: the runs in time
// order, each cut where a tile (or the row) ends. Every bin's terms are thus
// the same, added in the same order, as a whole-row prefix read run by run.
template <int W>
class GroupPass {
 public:
  GroupPass(int64_t n, int64_t P, int64_t n_bins)
      : n_(n),
        P_(P),
        n_bins_(n_bins),
        tile_(new double[(std::min(n, kPrefixTile) + 1) * W]),
        acc_(new double[P * n_bins * W]),
        cursor_(P) {}

  // The histograms acc(i) (n_bins x W, lane-interleaved) of every phase row i
  // of `runs` (P rows) against the amplitude rows[q] (null: zeros) read from
  // sample t + shift on.
  template <typename T>
  void run(const T* const* rows, const Runs* runs, int64_t shift) {
    std::fill(acc_.get(), acc_.get() + P_ * n_bins_ * W, 0.0);
    for (int64_t i = 0; i < P_; ++i) cursor_[i] = 0;
    built_ = -1;
    // The amplitude samples [shift, n) meet times [0, n - shift), then
    // [0, shift) meet [n - shift, n).
    segments(rows, runs, shift, n_, -shift);
    segments(rows, runs, 0, shift, n_ - shift);
  }

  const double* acc(int64_t i) const { return acc_.get() + i * n_bins_ * W; }

 private:
  // Amplitude samples [u0, u1), time t = u + d, tile by tile.
  template <typename T>
  void segments(const T* const* rows, const Runs* runs, int64_t u0, int64_t u1, int64_t d) {
    while (u0 < u1) {
      const int64_t tile = u0 / kPrefixTile, base = tile * kPrefixTile;
      const int64_t u_end = std::min(u1, base + kPrefixTile);
      build(rows, tile);
      for (int64_t i = 0; i < P_; ++i) rows_of_tile(runs[i], i, u0 + d, u_end + d, -d - base);
      u0 = u_end;
    }
  }

  // The prefix of tile `tile`, unless it is the one built last.
  template <typename T>
  void build(const T* const* rows, int64_t tile) {
    if (tile == built_) return;
    built_ = tile;
    build_tile<W>(rows, tile * kPrefixTile, std::min(kPrefixTile, n_ - tile * kPrefixTile), tile_.get());
  }

  void rows_of_tile(const Runs& runs, int64_t i, int64_t t0, int64_t t1, int64_t off) {
    cursor_[i] = add_runs<W>(runs.start.data(), runs.bin.data(), cursor_[i], runs.count(), t0, t1, off, tile_.get(),
                             acc_.get() + i * n_bins_ * W);
  }

  int64_t n_, P_, n_bins_;
  std::unique_ptr<double[]> tile_, acc_;
  std::vector<int64_t> cursor_;
  int64_t built_ = -1;
};

// Histograms [k0, k1) of amplitude bands [j0, j0 + width) of signal s,
// computed W (>= width) lanes wide: histogram set 0 is the observed one (MI
// and sums), set k + 1 surrogate k (its measure).
template <int W, typename T>
void signal_band_group(const T* amp, int64_t n, int64_t s, int64_t j0, int width, int64_t k0, int64_t k1,
                       const Outputs& o, T* mi, T* sums, T* surr) {
  const T* rows[W];
  for (int q = 0; q < W; ++q) rows[q] = q < width ? amp + (s * o.A + j0 + q) * n : nullptr;
  GroupPass<W> pass(n, o.i1 - o.i0, o.n_bins);
  double h[256];  // n_bins <= 256
  auto histogram = [&](const double* acc, int q) {
    for (int64_t b = 0; b < o.n_bins; ++b) h[b] = acc[b * W + q];
    return h;
  };
  const auto& runs = *o.runs;
  for (int64_t set = k0; set < k1; ++set) {
    if (set == 0) {
      pass.run(rows, &runs[s * o.P + o.i0], 0);
      for (int64_t i = o.i0; i < o.i1; ++i) {
        const int64_t* cnt = o.counts + (s * o.P + i) * o.n_bins;
        for (int q = 0; q < width; ++q) {
          const int64_t out = (s * o.P + i) * o.A + j0 + q;
          const double* hq = histogram(pass.acc(i - o.i0), q);
          for (int64_t b = 0; b < o.n_bins; ++b) sums[out * o.n_bins + b] = static_cast<T>(hq[b]);
          mi[out] = static_cast<T>(binned_measure(o.measure, hq, cnt, o.n_bins));
        }
      }
      continue;
    }
    const int64_t k = set - 1;
    const int64_t ps = o.phase_index ? o.phase_index[k * o.S + s] : s;
    const int64_t sh = o.shift ? o.shift[k * o.S + s] : 0;
    pass.run(rows, &runs[ps * o.P + o.i0], sh);
    for (int64_t i = o.i0; i < o.i1; ++i) {
      const int64_t* c = o.counts + (ps * o.P + i) * o.n_bins;
      for (int q = 0; q < width; ++q)
        surr[((s * o.K + k) * o.P + i) * o.A + j0 + q] =
            static_cast<T>(binned_measure(o.measure, histogram(pass.acc(i - o.i0), q), c, o.n_bins));
    }
  }
}

}  // namespace

void bin_histograms_cpu(const at::Tensor& bins, const at::Tensor& amp, int64_t n_bins, const Surrogates& surrogates,
                        const HistogramOut& out, bool counts_given, BinnedMeasure measure, int64_t scratch_bytes) {
  const int64_t S = bins.size(0), P = bins.size(1), A = amp.size(1), n = bins.size(2);
  GPAC_CHECK_VALUE(n < INT32_MAX, "mi_scatter on the CPU takes signals of at most ", INT32_MAX - 1, " samples; got ", n,
                   " (split the time axis and add the histograms)");
  const int64_t K = surrogates.count();
  // The counts come from the runs either way (this device never counts with
  // the bins): given ones are recomputed into scratch.
  auto h = writable(out, counts_given);
  if (counts_given) h.counts = at::empty(out.counts.sizes(), out.counts.options());
  h.counts.zero_();
  const auto &mi = h.mi, &sums = h.amp_sums, &counts = h.counts, &surr = h.surrogates;
  const uint8_t* bins_p = bins.data_ptr<uint8_t>();
  int64_t* counts_p = counts.data_ptr<int64_t>();
  if (n == 0) {
    write_back(out, h, counts_given);
    return;
  }

  // How many runs each phase row has; then the phase bands in passes whose
  // runs (of every signal: swapped trials borrow other signals' phases) fit
  // scratch_bytes, one band at least.
  std::vector<int64_t> n_runs(S * P);
  at::parallel_for(0, S * P, parallel_grain(S * P, S * P * n / 4), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) n_runs[row] = count_runs(bins_p + row * n, n);
  });
  auto band_bytes = [&](int64_t i) {
    int64_t bytes = 0;
    for (int64_t s = 0; s < S; ++s) bytes += (n_runs[s * P + i] + 1) * kRunBytes;
    return bytes;
  };

  // Amplitude bands in groups of kMaxWidth, the last one padded to an even
  // width; each group's histogram sets (the observed one, then the
  // surrogates) in blocks, so that a few signals with many surrogates still
  // give every thread work. Each histogram is one thread's, summed in one
  // order: the results do not depend on the thread count or the passes.
  const int64_t n_groups = (A + kMaxWidth - 1) / kMaxWidth;
  const int64_t n_sets = K + 1, set_block = std::max<int64_t>(1, kSetsPerTask);
  const int64_t n_blocks = (n_sets + set_block - 1) / set_block;
  std::vector<Runs> runs(S * P);
  for (int64_t i0 = 0; i0 < P;) {
    int64_t i1 = i0 + 1, held = band_bytes(i0);
    for (; i1 < P; ++i1) {
      const int64_t more = band_bytes(i1);
      if (scratch_bytes > 0 && held + more > scratch_bytes) break;
      held += more;
    }
    at::parallel_for(0, S * (i1 - i0), parallel_grain(S * (i1 - i0), S * (i1 - i0) * n / 4),
                     [&](int64_t begin, int64_t end) {
                       for (int64_t task = begin; task < end; ++task) {
                         const int64_t row = task / (i1 - i0) * P + i0 + task % (i1 - i0);
                         runs[row] = find_runs(bins_p + row * n, n, n_runs[row], counts_p + row * n_bins);
                       }
                     });
    const Outputs o{counts_p,
                    &runs,
                    S,
                    P,
                    A,
                    K,
                    n_bins,
                    i0,
                    i1,
                    surrogates.phase_index.defined() ? surrogates.phase_index.data_ptr<int64_t>() : nullptr,
                    surrogates.shift.defined() ? surrogates.shift.data_ptr<int64_t>() : nullptr,
                    measure};
    AT_DISPATCH_FLOATING_TYPES(amp.scalar_type(), "gpac_bin_histograms_cpu", [&] {
      const scalar_t* amp_p = amp.data_ptr<scalar_t>();
      const int64_t tasks = S * n_groups * n_blocks;
      // Work as parallel_grain counts it: each pass builds the group's prefix
      // (n samples) and adds two prefix entries a run, for every set.
      int64_t pass = 0;
      for (int64_t s = 0; s < S; ++s) {
        pass += n;
        for (int64_t i = i0; i < i1; ++i) pass += 2 * n_runs[s * P + i];
      }
      const int64_t work = pass * n_groups * n_sets * 2 / 5;
      at::parallel_for(0, tasks, parallel_grain(tasks, work), [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t s = task / (n_groups * n_blocks), j0 = task / n_blocks % n_groups * kMaxWidth;
          const int64_t k0 = task % n_blocks * set_block, k1 = std::min(n_sets, k0 + set_block);
          const int width = static_cast<int>(std::min<int64_t>(kMaxWidth, A - j0));
          auto run = [&](auto lanes) {
            signal_band_group<decltype(lanes)::value, scalar_t>(amp_p, n, s, j0, width, k0, k1, o,
                                                                mi.data_ptr<scalar_t>(), sums.data_ptr<scalar_t>(),
                                                                surr.data_ptr<scalar_t>());
          };
          switch ((width + 1) / 2 * 2) {
            case 2:
              run(std::integral_constant<int, 2>());
              break;
            case 4:
              run(std::integral_constant<int, 4>());
              break;
            case 6:
              run(std::integral_constant<int, 6>());
              break;
            default:
              run(std::integral_constant<int, 8>());
              break;
          }
        }
      });
    });
    for (int64_t s = 0; s < S; ++s)
      for (int64_t i = i0; i < i1; ++i) runs[s * P + i] = Runs{};
    i0 = i1;
  }
  write_back(out, h, counts_given);
}

}  // namespace gpac
