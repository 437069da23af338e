// Phase-binned amplitude sums as differences of tile-restarting prefix sums:
// the arithmetic that the CPU and CUDA histogram kernels share, so that both
// add the same float64 terms in the same order and give the same bits
// (host/device inline code, no LibTorch dependency).
//
// An amplitude row is read as prefix sums that restart every kPrefixTile
// samples: entry o of tile m is the float64 sum of samples m kPrefixTile ..
// m kPrefixTile + o - 1, added one by one (entry 0 is 0). A histogram set
// reads the amplitude at time t from sample u(t) = (t + shift) mod n
// (surrogates; shift 0 for the observed histograms). Its terms, in time
// order, are hi - lo over the maximal stretches of time whose phase bin is
// constant and whose amplitude samples lie in one tile; each is added to its
// bin's sum as it comes. A term carries the rounding of at most kPrefixTile
// samples, and a bin's sum one rounded term per run of equal bins.
#pragma once

#include <cstdint>

#include "csrc/pac_math.h"

namespace gpac {

constexpr int64_t kPrefixTile = 1024;  // a power of two (tile starts are masked)

// The inclusive prefix of samples [u0, u1) of one amplitude row, u0 a tile
// start and u1 at most the tile's end: out[u * stride] = sum of row[u0 .. u].
template <typename T>
GPAC_HOST_DEVICE inline void tile_prefix(const T* row, int64_t u0, int64_t u1, double* out, int64_t stride) {
  double run = 0.0;
  for (int64_t u = u0; u < u1; ++u) {
    run += static_cast<double>(row[u]);
    out[u * stride] = run;
  }
}

// Bit b of word w of a phase row's change mask: whether the bin of sample
// t = 32 w + b differs from the bin of t - 1 (0 for t = 0 and past the row's
// n samples). The masks of a row serve every histogram set that walks it.
GPAC_HOST_DEVICE inline uint32_t change_word(const uint8_t* row, int64_t n, int64_t w) {
  uint32_t word = 0;
  const int64_t t0 = 32 * w;
  for (int b = 0; b < 32; ++b) {
    const int64_t t = t0 + b;
    if (t >= 1 && t < n && row[t] != row[t - 1]) word |= 1u << b;
  }
  return word;
}

// One histogram's walk through time, a chunk of samples at a time. A term
// ends at each cut: a time t in (0, n) whose bin differs from t - 1's, or
// whose amplitude sample u(t) starts a tile (u(t) = 0 after the wrap among
// them). The prefix entry that ends a term at t is the inclusive prefix at
// u(t - 1) (tile_prefix), hi(t), for every 0 <= t <= n: a term ending at t
// is hi(t) - lo, and the next starts from lo = hi(t), or from 0 where u(t)
// starts a tile.
struct PrefixWalk {
  int64_t n, shift, wrap;  // wrap: the time whose sample is u = 0 (n when shift is 0)
  double lo;
  uint32_t bin;  // the bin of the run in progress

  // A walk of a row of n samples read from `shift` (0 <= shift < n) on;
  // its first chunk sets where it starts.
  GPAC_HOST_DEVICE PrefixWalk(int64_t n_, int64_t shift_)
      : n(n_), shift(shift_), wrap(shift_ > 0 ? n_ - shift_ : n_), lo(0.0), bin(0) {}

  // u(t), the amplitude sample read at time t, for -1 <= t < n.
  GPAC_HOST_DEVICE int64_t sample(int64_t t) const {
    int64_t u = t + shift;
    if (u >= n) u -= n;
    return u < 0 ? u + n : u;
  }

  GPAC_HOST_DEVICE bool starts_tile(int64_t t) const {
    return (((t < wrap) ? t + shift : t - wrap) & (kPrefixTile - 1)) == 0;
  }

  // The first t > after whose sample starts a tile (n: none).
  GPAC_HOST_DEVICE int64_t tile_cut_after(int64_t after) const {
    if (after < wrap) {
      const int64_t c = ((after + shift) / kPrefixTile + 1) * kPrefixTile - shift;
      return c < wrap ? c : wrap;
    }
    const int64_t c = wrap + ((after - wrap) / kPrefixTile + 1) * kPrefixTile;
    return c < n ? c : n;
  }

  // Times [t0, t1) (t0 a multiple of 32; t1 = n for the row's last chunk,
  // t1 - t0 < 2^31): their change mask words at changes[(t - t0) / 32]
  // (change_word), their bins at b[t - t0]; hi(e) = hi(t0 + e) for
  // 0 <= e <= t1 - t0; acc[k] the sum of bin k. The last chunk adds the last
  // term too. Each cut costs a few steps whatever the run's length, and a
  // word without cuts one test; offsets within the chunk are 32-bit.
  template <typename Hi>
  GPAC_HOST_DEVICE void chunk(const uint32_t* changes, const uint8_t* b, int64_t t0, int64_t t1, const Hi& hi,
                              double* acc) {
    const int len = static_cast<int>(t1 - t0);
    if (t0 == 0) {
      bin = b[0];
      lo = starts_tile(0) ? 0.0 : hi(0);
    }
    // The next sample that starts a tile, absolute and as a chunk offset
    // (len: none in this chunk).
    int64_t forced = tile_cut_after(t0 > 0 ? t0 - 1 : 0);
    int next = forced - t0 < len ? static_cast<int>(forced - t0) : len;
    for (int o = 0; o < len; o += 32) {
      uint32_t mask = changes[o / 32];
      const int end = o + 32 < len ? o + 32 : len;
      // Tile starts in this word (rare) are cuts too, where lo restarts from 0;
      // the common loop below leaves that test out of every cut (a fifth of
      // a cut's instructions on the device, by the PTX).
      if (next < end) {
        uint32_t tiles = 0;
        for (; next < end; next = forced - t0 < len ? static_cast<int>(forced - t0) : len) {
          tiles |= 1u << (next - o);
          forced = tile_cut_after(forced);
        }
        for (mask |= tiles; mask != 0; mask &= mask - 1) {
          const int bit = lowest_bit(mask);
          const double h = hi(o + bit);
          acc[bin] += h - lo;
          lo = (tiles >> bit) & 1u ? 0.0 : h;
          bin = b[o + bit];
        }
        continue;
      }
      for (; mask != 0; mask &= mask - 1) {
        const int bit = lowest_bit(mask);
        const double h = hi(o + bit);
        acc[bin] += h - lo;
        lo = h;
        bin = b[o + bit];
      }
    }
    if (t1 == n) acc[bin] += hi(len) - lo;
  }

  GPAC_HOST_DEVICE static int lowest_bit(uint32_t mask) {
#if defined(__CUDA_ARCH__)
    return __ffs(static_cast<int>(mask)) - 1;
#else
    return __builtin_ctz(mask);
#endif
  }
};

}  // namespace gpac
