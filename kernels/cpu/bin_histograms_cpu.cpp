// CPU histograms of gpac::mi_scatter and gpac::modulation_index: phase-binned
// amplitude sums reduced to Tort's MI, without any (samples x pairs) tensor.
//
// A phase changes bin rarely: at fs = 512 Hz a 10 Hz phase stays ~2.8 samples
// in each of 18 bins, a 2 Hz phase ~14, and the ratio grows with fs. So each
// phase row is read once as runs of equal bins (found eight samples at a
// time), and the amplitude sum over a run is a difference of two prefix sums:
// the work per (phase band, amplitude band) pair is its number of runs R, not
// its n samples, with no accumulator hit twice in a row. Amplitude bands are
// taken W = 8 at a time (the last group padded to an even width with zero
// rows), their prefix sums interleaved sample-major, so one run adds W sums
// with a few vector instructions; a group's prefix is built once per signal
// and serves every phase band and every surrogate. Surrogates read the
// amplitude from sample t + shift on, which moves a run's span (split where it
// wraps around n), and the runs of another signal's phase for swapped trials:
// no shifted copy.
//
// Precision: the prefix sums are float64 and restart every kTile samples, so a
// run's sum carries the rounding of at most kTile samples of amplitude, never
// of the whole recording; a bin sum then adds one rounded term per run where a
// per-sample float64 sum adds one per sample.
//
// Memory: the runs of every phase row (5 bytes a run, at most 5 per phase
// sample), and per thread (n + n / kTile + 1) W doubles of prefix and
// P n_bins W double accumulators.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <type_traits>
#include <vector>

#include "csrc/error_text.h"
#include "csrc/pac_math.h"
#include "csrc/device_kernels.h"
#include "kernels/cpu/parallel_grain.h"

namespace gpac {
namespace {

constexpr int kMaxWidth = 8;     // amplitude bands per task
constexpr int64_t kTile = 1024;  // prefix sums restart here (precision)

// Runs of equal bins of one row: run r covers [start[r], start[r + 1]) in bin[r].
struct Runs {
  std::vector<int32_t> start;
  std::vector<uint8_t> bin;
  int64_t count() const { return static_cast<int64_t>(bin.size()); }
};

// The runs of a row of n bytes, into scratch (n + 1 starts, n bins), then
// copied to their own size.
Runs find_runs(const uint8_t* b, int64_t n, std::vector<int32_t>& start, std::vector<uint8_t>& bin) {
  // Eight samples at a time: the bytes that differ from their predecessor are
  // the runs' starts, and most words of a slow phase have none.
  static_assert(std::endian::native == std::endian::little, "byte k of a word is sample k");
  int64_t r = 0;
  auto begin_run = [&](int64_t t) {
    start[++r] = static_cast<int32_t>(t);
    bin[r] = b[t];
  };
  start[0] = 0;
  bin[0] = b[0];
  int64_t t = 1;
  for (; t + 8 <= n; t += 8) {
    uint64_t cur, prev;
    std::memcpy(&cur, b + t, 8);
    std::memcpy(&prev, b + t - 1, 8);
    for (uint64_t diff = cur ^ prev; diff != 0;) {
      const int k = std::countr_zero(diff) / 8;
      begin_run(t + k);
      diff &= ~(uint64_t{0xff} << (8 * k));
    }
  }
  for (; t < n; ++t)
    if (b[t] != b[t - 1]) begin_run(t);
  start[r + 1] = static_cast<int32_t>(n);
  return {std::vector<int32_t>(start.begin(), start.begin() + r + 2),
          std::vector<uint8_t>(bin.begin(), bin.begin() + r + 1)};
}

// Tile-restarting prefix sums of W amplitude rows, interleaved: tile k holds
// kTile + 1 entries of W, entry o the sum of the tile's first o samples.
template <int W>
struct Prefix {
  std::vector<double> c;
  int64_t n;

  explicit Prefix(int64_t n_times) : c(((n_times + kTile - 1) / kTile * (kTile + 1) + 1) * W), n(n_times) {}

  // rows[q] for q < W; a null row counts as zeros (padding).
  template <typename T>
  void build(const T* const* rows) {
    for (int64_t t0 = 0; t0 < n; t0 += kTile) {
      double* out = c.data() + t0 / kTile * (kTile + 1) * W;
      double run[W];
      for (int q = 0; q < W; ++q) run[q] = out[q] = 0.0;
      const int64_t len = std::min(kTile, n - t0);
      for (int64_t o = 0; o < len; ++o) {
        out += W;
        for (int q = 0; q < W; ++q) out[q] = run[q] += rows[q] ? static_cast<double>(rows[q][t0 + o]) : 0.0;
      }
    }
  }

  // acc[q] += sum of amplitude row q over samples [u0, u1), 0 <= u0 <= u1 <= n.
  void add_span(int64_t u0, int64_t u1, double* acc) const {
    while (u0 < u1) {
      const int64_t tile = u0 / kTile, base = tile * kTile;
      const int64_t u_end = std::min(u1, base + kTile);
      const double* tc = c.data() + tile * (kTile + 1) * W;
      const double* hi = tc + (u_end - base) * W;
      const double* lo = tc + (u0 - base) * W;
      for (int q = 0; q < W; ++q) acc[q] += hi[q] - lo[q];
      u0 = u_end;
    }
  }

  // acc[bin][q] over the runs, the amplitude read from sample t + shift on
  // (circularly): a run [a, b) meets amplitude samples [a + shift, b + shift) mod n.
  void accumulate(const Runs& runs, int64_t shift, double* acc) const {
    const int32_t* start = runs.start.data();
    const uint8_t* bin = runs.bin.data();
    const int64_t count = runs.count();
    if (shift == 0) {
      for (int64_t r = 0; r < count; ++r) add_span(start[r], start[r + 1], acc + bin[r] * W);
      return;
    }
    for (int64_t r = 0; r < count; ++r) {
      double* h = acc + bin[r] * W;
      int64_t u0 = start[r] + shift, u1 = start[r + 1] + shift;
      if (u0 >= n) {
        u0 -= n;
        u1 -= n;
      }
      if (u1 <= n) {
        add_span(u0, u1, h);
      } else {
        add_span(u0, n, h);
        add_span(0, u1 - n, h);
      }
    }
  }
};

struct Outputs {
  const int64_t* counts;          // (S, P, n_bins)
  const std::vector<Runs>* runs;  // (S, P)
  int64_t S, P, A, K, n_bins;
  const int64_t* phase_index;
  const int64_t* shift;
  BinnedMeasure measure;
};

// Every histogram of amplitude bands [j0, j0 + width) of signal s, computed W
// (>= width) lanes wide: observed (MI and sums) and surrogates (MI).
template <int W, typename T>
void signal_band_group(const T* amp, int64_t n, int64_t s, int64_t j0, int width, const Outputs& o, T* mi, T* sums,
                       T* surr) {
  const T* rows[W];
  for (int q = 0; q < W; ++q) rows[q] = q < width ? amp + (s * o.A + j0 + q) * n : nullptr;
  Prefix<W> prefix(n);
  prefix.build(rows);
  std::vector<double> acc(o.n_bins * W);
  double h[256];  // n_bins <= 256
  auto histogram = [&](int q) {
    for (int64_t k = 0; k < o.n_bins; ++k) h[k] = acc[k * W + q];
    return h;
  };
  const auto& runs = *o.runs;
  for (int64_t i = 0; i < o.P; ++i) {
    const int64_t* cnt = o.counts + (s * o.P + i) * o.n_bins;
    std::fill(acc.begin(), acc.end(), 0.0);
    prefix.accumulate(runs[s * o.P + i], 0, acc.data());
    for (int q = 0; q < width; ++q) {
      const int64_t out = (s * o.P + i) * o.A + j0 + q;
      const double* hq = histogram(q);
      for (int64_t k = 0; k < o.n_bins; ++k) sums[out * o.n_bins + k] = static_cast<T>(hq[k]);
      mi[out] = static_cast<T>(binned_measure(o.measure, hq, cnt, o.n_bins));
    }
    for (int64_t k = 0; k < o.K; ++k) {
      const int64_t ps = o.phase_index ? o.phase_index[k * o.S + s] : s;
      const int64_t sh = o.shift ? o.shift[k * o.S + s] : 0;
      std::fill(acc.begin(), acc.end(), 0.0);
      prefix.accumulate(runs[ps * o.P + i], sh, acc.data());
      const int64_t* c = o.counts + (ps * o.P + i) * o.n_bins;
      for (int q = 0; q < width; ++q)
        surr[((s * o.K + k) * o.P + i) * o.A + j0 + q] =
            static_cast<T>(binned_measure(o.measure, histogram(q), c, o.n_bins));
    }
  }
}

}  // namespace

void bin_histograms_cpu(const at::Tensor& bins, const at::Tensor& amp, int64_t n_bins, const Surrogates& surrogates,
                        const HistogramOut& out, bool counts_given, BinnedMeasure measure) {
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

  // The runs and counts of every phase row, once.
  std::vector<Runs> runs(S * P);
  if (n > 0) {
    at::parallel_for(0, S * P, parallel_grain(S * P, S * P * n), [&](int64_t begin, int64_t end) {
      std::vector<int32_t> start(n + 1);
      std::vector<uint8_t> bin(n);
      for (int64_t row = begin; row < end; ++row) {
        runs[row] = find_runs(bins_p + row * n, n, start, bin);
        const auto& rr = runs[row];
        for (int64_t r = 0; r < rr.count(); ++r) counts_p[row * n_bins + rr.bin[r]] += rr.start[r + 1] - rr.start[r];
      }
    });
  }

  // Amplitude bands in groups of kMaxWidth, the last one padded to an even width.
  const int64_t n_groups = (A + kMaxWidth - 1) / kMaxWidth;
  const Outputs o{counts_p,
                  &runs,
                  S,
                  P,
                  A,
                  K,
                  n_bins,
                  surrogates.phase_index.defined() ? surrogates.phase_index.data_ptr<int64_t>() : nullptr,
                  surrogates.shift.defined() ? surrogates.shift.data_ptr<int64_t>() : nullptr,
                  measure};
  AT_DISPATCH_FLOATING_TYPES(amp.scalar_type(), "gpac_bin_histograms_cpu", [&] {
    const scalar_t* amp_p = amp.data_ptr<scalar_t>();
    const int64_t work = S * P * A * n * (K + 1);
    at::parallel_for(0, S * n_groups, parallel_grain(S * n_groups, work), [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t s = task / n_groups, j0 = task % n_groups * kMaxWidth;
        const int width = static_cast<int>(std::min<int64_t>(kMaxWidth, A - j0));
        auto run = [&](auto lanes) {
          signal_band_group<decltype(lanes)::value, scalar_t>(amp_p, n, s, j0, width, o, mi.data_ptr<scalar_t>(),
                                                              sums.data_ptr<scalar_t>(), surr.data_ptr<scalar_t>());
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
  write_back(out, h, counts_given);
}

}  // namespace gpac
