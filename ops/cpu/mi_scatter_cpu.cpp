// CPU histograms of gpac::mi_scatter and gpac::modulation_index: phase-binned
// amplitude sums reduced to Tort's MI, without any (samples x pairs) tensor.
//
// A phase changes bin rarely: at fs = 512 Hz a 10 Hz phase stays ~2.8 samples
// in each of 18 bins, a 2 Hz phase ~14, and the ratio grows with fs. So each
// phase row is read as runs of equal bins, and the amplitude sum over a run is
// a difference of two prefix sums: the work per (phase band, amplitude band)
// pair is its number of runs R, not its n samples, with no accumulator hit
// twice in a row. Amplitude bands are taken W <= 8 at a time, their prefix
// sums interleaved (sample-major), so one run adds W sums with a few vector
// instructions; the W-band prefix is built once per signal and serves every
// phase band and every surrogate. Surrogates read the amplitude from sample
// t + shift on, which moves a run's span (split where it wraps around n), and
// the runs of another signal's phase for swapped trials: no shifted copy.
//
// Precision: the prefix sums are float64 and restart every kTile samples, so a
// run's sum carries the rounding of at most kTile samples of amplitude, never
// of the whole recording; a bin sum then adds one rounded term per run where a
// per-sample float64 sum adds one per sample.
//
// Memory per thread: (n + n / kTile + 1) W doubles of prefix, n + 1 run
// starts and n run bins, P n_bins W double accumulators.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "csrc/pac_math.h"
#include "csrc/device_kernels.h"

namespace gpac {
namespace {

constexpr int kMaxWidth = 8;     // amplitude bands per task
constexpr int64_t kTile = 1024;  // prefix sums restart here (precision)

// Runs of equal bins of one row: run r covers [start[r], start[r + 1]) in bin[r].
struct Runs {
  std::vector<int64_t> start;
  std::vector<uint8_t> bin;
  int64_t count = 0;

  explicit Runs(int64_t n) : start(n + 1), bin(n) {}

  void find(const uint8_t* b, int64_t n) {
    // Eight samples at a time: the bytes that differ from their predecessor
    // are the runs' starts, and most words of a slow phase have none.
    static_assert(std::endian::native == std::endian::little, "byte k of a word is sample k");
    int64_t r = 0;
    start[0] = 0;
    auto begin_run = [&](int64_t t) {
      start[++r] = t;
      bin[r] = b[t];
    };
    if (n > 0) bin[0] = b[0];
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
    count = n > 0 ? r + 1 : 0;
    start[count] = n;
  }
};

// Tile-restarting prefix sums of W amplitude rows, interleaved: tile k holds
// kTile + 1 entries of W, entry o the sum of the tile's first o samples.
template <int W>
struct Prefix {
  std::vector<double> c;
  int64_t n;

  explicit Prefix(int64_t n_times) : c(((n_times + kTile - 1) / kTile * (kTile + 1) + 1) * W), n(n_times) {}

  template <typename T>
  void build(const T* const* amp) {
    for (int64_t t0 = 0; t0 < n; t0 += kTile) {
      double* out = c.data() + t0 / kTile * (kTile + 1) * W;
      double run[W];
      for (int q = 0; q < W; ++q) run[q] = out[q] = 0.0;
      const int64_t len = std::min(kTile, n - t0);
      for (int64_t o = 0; o < len; ++o) {
        out += W;
        for (int q = 0; q < W; ++q) out[q] = run[q] += static_cast<double>(amp[q][t0 + o]);
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
    for (int64_t r = 0; r < runs.count; ++r) {
      double* h = acc + runs.bin[r] * W;
      int64_t u0 = runs.start[r] + shift, u1 = runs.start[r + 1] + shift;
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
  const int64_t* counts;  // (S, P, n_bins)
  int64_t S, P, A, K, n_bins;
  const int64_t* phase_index;
  const int64_t* shift;
};

// Every histogram of amplitude bands [j0, j0 + W) of signal s: observed
// (MI and sums) and surrogates (MI).
template <int W, typename T>
void signal_band_group(const uint8_t* bins, const T* amp, int64_t n, int64_t s, int64_t j0, const Outputs& o,
                       T* mi, T* sums, T* surr) {
  const T* rows[W];
  for (int q = 0; q < W; ++q) rows[q] = amp + (s * o.A + j0 + q) * n;
  Prefix<W> prefix(n);
  prefix.build(rows);
  Runs own(n), other(n);
  std::vector<double> acc(o.n_bins * W);
  double h[256];  // n_bins <= 256
  auto histogram = [&](int q) {
    for (int64_t k = 0; k < o.n_bins; ++k) h[k] = acc[k * W + q];
    return h;
  };
  for (int64_t i = 0; i < o.P; ++i) {
    own.find(bins + (s * o.P + i) * n, n);
    const int64_t* cnt = o.counts + (s * o.P + i) * o.n_bins;
    std::fill(acc.begin(), acc.end(), 0.0);
    prefix.accumulate(own, 0, acc.data());
    for (int q = 0; q < W; ++q) {
      const int64_t out = (s * o.P + i) * o.A + j0 + q;
      const double* hq = histogram(q);
      for (int64_t k = 0; k < o.n_bins; ++k) sums[out * o.n_bins + k] = static_cast<T>(hq[k]);
      mi[out] = static_cast<T>(tort_mi(hq, cnt, o.n_bins));
    }
    for (int64_t k = 0; k < o.K; ++k) {
      const int64_t ps = o.phase_index ? o.phase_index[k * o.S + s] : s;
      const int64_t sh = o.shift ? o.shift[k * o.S + s] : 0;
      const Runs* runs = &own;
      if (ps != s) {  // another signal's phase (swapped trials)
        other.find(bins + (ps * o.P + i) * n, n);
        runs = &other;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      prefix.accumulate(*runs, sh, acc.data());
      const int64_t* c = o.counts + (ps * o.P + i) * o.n_bins;
      for (int q = 0; q < W; ++q)
        surr[((s * o.K + k) * o.P + i) * o.A + j0 + q] = static_cast<T>(tort_mi(histogram(q), c, o.n_bins));
    }
  }
}

template <typename T>
void signal_band_group(int width, const uint8_t* bins, const T* amp, int64_t n, int64_t s, int64_t j0,
                       const Outputs& o, T* mi, T* sums, T* surr) {
  switch (width) {
    case 8: return signal_band_group<8>(bins, amp, n, s, j0, o, mi, sums, surr);
    case 7: return signal_band_group<7>(bins, amp, n, s, j0, o, mi, sums, surr);
    case 6: return signal_band_group<6>(bins, amp, n, s, j0, o, mi, sums, surr);
    case 5: return signal_band_group<5>(bins, amp, n, s, j0, o, mi, sums, surr);
    case 4: return signal_band_group<4>(bins, amp, n, s, j0, o, mi, sums, surr);
    case 3: return signal_band_group<3>(bins, amp, n, s, j0, o, mi, sums, surr);
    case 2: return signal_band_group<2>(bins, amp, n, s, j0, o, mi, sums, surr);
    default: return signal_band_group<1>(bins, amp, n, s, j0, o, mi, sums, surr);
  }
}

}  // namespace

Histograms bin_histograms_cpu(const at::Tensor& bins, const at::Tensor& amp, int64_t n_bins,
                              const Surrogates& surrogates) {
  const int64_t S = bins.size(0), P = bins.size(1), A = amp.size(1), n = bins.size(2);
  const int64_t K = surrogates.count();
  auto mi = at::empty({S, P, A}, amp.options());
  auto sums = at::empty({S, P, A, n_bins}, amp.options());
  auto counts = at::zeros({S, P, n_bins}, amp.options().dtype(at::kLong));
  auto surr = at::empty({S, K, P, A}, amp.options());
  const uint8_t* bins_p = bins.data_ptr<uint8_t>();
  int64_t* counts_p = counts.data_ptr<int64_t>();
  at::parallel_for(0, S * P, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row)
      for (int64_t t = 0; t < n; ++t) ++counts_p[row * n_bins + bins_p[row * n + t]];
  });

  // Amplitude bands in groups of at most kMaxWidth, as even as possible (10 = 5 + 5).
  const int64_t n_groups = (A + kMaxWidth - 1) / kMaxWidth;
  std::vector<int64_t> group_start(n_groups + 1);
  for (int64_t g = 0; g <= n_groups; ++g) group_start[g] = g * A / n_groups;
  const Outputs o{counts_p, S, P, A, K, n_bins,
                  surrogates.phase_index.defined() ? surrogates.phase_index.data_ptr<int64_t>() : nullptr,
                  surrogates.shift.defined() ? surrogates.shift.data_ptr<int64_t>() : nullptr};
  AT_DISPATCH_FLOATING_TYPES(amp.scalar_type(), "gpac_bin_histograms_cpu", [&] {
    const scalar_t* amp_p = amp.data_ptr<scalar_t>();
    at::parallel_for(0, S * n_groups, 1, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t s = task / n_groups, g = task % n_groups;
        const int64_t j0 = group_start[g];
        signal_band_group<scalar_t>(static_cast<int>(group_start[g + 1] - j0), bins_p, amp_p, n, s, j0, o,
                                    mi.data_ptr<scalar_t>(), sums.data_ptr<scalar_t>(), surr.data_ptr<scalar_t>());
      }
    });
  });
  return {mi, sums, counts, surr};
}

}  // namespace gpac
