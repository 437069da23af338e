// TensorPAC's copnorm on the CPU: each row's ranks from a stable radix sort
// (ties keep their order, as a stable argsort keeps them), the quantiles
// written where each rank sits. The same ranks as at::argsort(stable=true),
// several times faster, each thread sorting its rows in its own buffers.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "csrc/device_kernels.h"
#include "kernels/cpu/parallel_grain.h"

namespace gpac {
namespace {

// The smallest and largest of n >= 1 values (NaN aside, unless first), four
// lanes at a time.
template <typename T>
std::pair<T, T> row_range(const T* row, int64_t n) {
  T lo[4] = {row[0], row[0], row[0], row[0]}, hi[4] = {row[0], row[0], row[0], row[0]};
  int64_t t = 0;
  for (; t + 4 <= n; t += 4) {
    for (int j = 0; j < 4; ++j) {
      lo[j] = row[t + j] < lo[j] ? row[t + j] : lo[j];
      hi[j] = row[t + j] > hi[j] ? row[t + j] : hi[j];
    }
  }
  for (; t < n; ++t) {
    lo[0] = row[t] < lo[0] ? row[t] : lo[0];
    hi[0] = row[t] > hi[0] ? row[t] : hi[0];
  }
  return {std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3])),
          std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]))};
}

// The stable order of a row by coarse keys: each value's 22-bit key is a
// non-decreasing function of it (its place on a linear grid from the row's
// minimum to its maximum), so sorting by key, then each run of equal keys by
// value, orders the row. Two stable LSD radix passes of 11 bits move 32-bit
// indices (ties stay in index order), their digit counts from one read of
// the keys; the runs, a few values long on a grid of 4M points, are put in
// order by insertion (std::stable_sort past 32, where an outlier or a few
// repeated values crowd one key). One pass fewer than a float's 32 bits take.
struct RadixOrder {
  static constexpr int kBits = 11;
  static constexpr uint32_t kMask = (1u << kBits) - 1, kTop = (1u << (2 * kBits)) - 1;
  std::vector<uint32_t> count, keys, order, first_pass;

  explicit RadixOrder(int64_t n) : count(2 << kBits), keys(n), order(n), first_pass(n) {}

  // Leaves `order` holding the row's indices in stable ascending order.
  template <typename T>
  void sort(const T* row, int64_t n) {
    // The grid. An infinite or NaN end makes scale 0 or the keys NaN, which
    // take kTop: the run sort alone then orders what shares a key.
    const auto [lo, hi] = row_range(row, n);
    const double span = static_cast<double>(hi) - static_cast<double>(lo);
    const double scale = std::isfinite(span) && span > 0 ? kTop / span : 0.0;
    std::fill(count.begin(), count.end(), 0u);
    uint32_t* low = count.data();
    uint32_t* high = count.data() + (1u << kBits);
    for (int64_t t = 0; t < n; ++t) {
      // (v - lo) * scale rounds monotonically: v <= w gives key(v) <= key(w).
      // NaN (never below kTop) takes the top key.
      const double d = (static_cast<double>(row[t]) - static_cast<double>(lo)) * scale;
      const uint32_t k = d < kTop ? static_cast<uint32_t>(d) : kTop;
      keys[t] = k;
      ++low[k & kMask];
      ++high[k >> kBits];
    }
    for (uint32_t* c : {low, high}) {
      uint32_t total = 0;
      for (uint32_t d = 0; d <= kMask; ++d) {
        const uint32_t here = c[d];
        c[d] = total;
        total += here;
      }
    }
    for (int64_t t = 0; t < n; ++t) first_pass[low[keys[t] & kMask]++] = static_cast<uint32_t>(t);
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t t = first_pass[i];
      order[high[keys[t] >> kBits]++] = t;
    }
    // Each run of equal keys by value; equal values keep their index order
    // (-0 and +0 compare equal), and NaN goes after every number, as a stable
    // argsort orders them (a strict weak order, which std::stable_sort needs).
    uint32_t* o = order.data();
    auto before = [row](uint32_t a, uint32_t b) {
      return row[a] < row[b] || (std::isnan(row[b]) && !std::isnan(row[a]));
    };
    for (int64_t k = 0; k + 1 < n;) {
      const uint32_t key = keys[o[k]];
      int64_t e = k + 1;
      while (e < n && keys[o[e]] == key) ++e;
      if (e - k > 32) {
        std::stable_sort(o + k, o + e, before);
      } else {
        for (int64_t i = k + 1; i < e; ++i) {
          const uint32_t item = o[i];
          int64_t j = i;
          for (; j > k && before(item, o[j - 1]); --j) o[j] = o[j - 1];
          o[j] = item;
        }
      }
      k = e;
    }
  }
};

template <typename T>
void normalise_rows(const T* x, const T* quantiles, T* out, int64_t rows, int64_t n) {
  at::parallel_for(0, rows, parallel_grain(rows, rows * n), [&](int64_t begin, int64_t end) {
    RadixOrder order(n);
    for (int64_t r = begin; r < end; ++r) {
      order.sort(x + r * n, n);
      // The whole row is read before any of it is written: out may be x.
      T* dst = out + r * n;
      const uint32_t* o = order.order.data();
      for (int64_t k = 0; k < n; ++k) dst[o[k]] = quantiles[k];
    }
  });
}

}  // namespace

void copula_normalise_cpu(const at::Tensor& rows, const at::Tensor& quantiles, const at::Tensor& out) {
  TORCH_INTERNAL_ASSERT(rows.is_contiguous() && out.is_contiguous() && quantiles.is_contiguous(),
                        "copula_normalise_cpu takes contiguous rows");
  const int64_t n = rows.size(-1);
  TORCH_INTERNAL_ASSERT(n < (int64_t{1} << 32), "copula_normalise_cpu packs indices in 32 bits");
  AT_DISPATCH_FLOATING_TYPES(rows.scalar_type(), "gpac_copula_normalise_cpu", [&] {
    normalise_rows(rows.data_ptr<scalar_t>(), quantiles.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(),
                   rows.numel() / std::max<int64_t>(1, n), n);
  });
}

}  // namespace gpac
