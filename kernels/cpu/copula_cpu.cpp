// TensorPAC's copnorm on the CPU: each row's ranks from a stable radix sort
// of the values' order-preserving bits (ties keep their order, as a stable
// argsort keeps them), the quantiles written where each rank sits. The same
// ranks as at::argsort(stable=true), several times faster, each thread
// sorting its rows in its own buffers.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "csrc/device_kernels.h"
#include "kernels/cpu/parallel_grain.h"

namespace gpac {
namespace {

// Unsigned integers in the order of the floats (finite values; -0 as +0).
inline uint32_t order_bits(float v) {
  if (v == 0) v = 0;
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// The order of n 32-bit keys as a stable sort gives it: each key packed with
// its index in 64 bits (one scattered write a move, not two), three LSD radix
// passes of 11, 11 and 10 bits (each stable, so ties stay in index order),
// their digit counts from one read of the keys, a pass skipped where every
// key has the same digit. `items` ends sorted: key << 32 | index.
struct RadixOrder {
  static constexpr int kBits = 11, kPasses = 3;
  static constexpr uint32_t kMask = (1u << kBits) - 1;
  std::vector<uint32_t> keys, count;
  std::vector<uint64_t> items, items_tmp;

  explicit RadixOrder(int64_t n) : keys(n), count(kPasses << kBits), items(n), items_tmp(n) {}

  static uint32_t index_of(uint64_t item) { return static_cast<uint32_t>(item); }
  static uint32_t key_of(uint64_t item) { return static_cast<uint32_t>(item >> 32); }

  void sort() {
    const size_t n = keys.size();
    std::fill(count.begin(), count.end(), 0u);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t k = keys[i];
      ++count[k & kMask];
      ++count[(1u << kBits) + ((k >> kBits) & kMask)];
      ++count[(2u << kBits) + (k >> (2 * kBits))];
      items[i] = (static_cast<uint64_t>(k) << 32) | static_cast<uint32_t>(i);
    }
    for (int pass = 0; pass < kPasses; ++pass) {
      uint32_t* c = count.data() + (pass << kBits);
      const int shift = 32 + pass * kBits;
      if (c[(items[0] >> shift) & kMask] == n) continue;
      uint32_t total = 0;
      for (uint32_t d = 0; d <= kMask; ++d) {
        const uint32_t here = c[d];
        c[d] = total;
        total += here;
      }
      for (size_t i = 0; i < n; ++i) items_tmp[c[(items[i] >> shift) & kMask]++] = items[i];
      items.swap(items_tmp);
    }
  }
};

// Puts the run [first, last) of sorted items (equal float keys, in index
// order) in the stable order of the doubles behind them: rounding to float
// keeps the order of the doubles but may tie distinct ones.
void order_tied_doubles(const double* row, uint64_t* first, uint64_t* last) {
  // -0 and +0 compare equal here, as their keys do.
  std::stable_sort(first, last, [row](uint64_t a, uint64_t b) {
    return row[RadixOrder::index_of(a)] < row[RadixOrder::index_of(b)];
  });
}

// A row's ranks from 32-bit keys: float rows their own bits, float64 rows
// their values rounded to float (half the bytes and radix passes of 64-bit
// keys), whose rare ties are then ordered by the doubles.
template <typename T>
void normalise_rows(const T* x, const T* quantiles, T* out, int64_t rows, int64_t n) {
  at::parallel_for(0, rows, parallel_grain(rows, rows * n), [&](int64_t begin, int64_t end) {
    RadixOrder order(n);
    for (int64_t r = begin; r < end; ++r) {
      const T* row = x + r * n;
      for (int64_t t = 0; t < n; ++t) order.keys[t] = order_bits(static_cast<float>(row[t]));
      order.sort();
      uint64_t* items = order.items.data();  // after sort(), which swaps its buffers
      if constexpr (std::is_same_v<T, double>) {
        for (int64_t k = 0; k + 1 < n;) {
          int64_t e = k + 1;
          while (e < n && RadixOrder::key_of(items[e]) == RadixOrder::key_of(items[k])) ++e;
          if (e - k > 1) order_tied_doubles(row, items + k, items + e);
          k = e;
        }
      }
      T* dst = out + r * n;
      for (int64_t k = 0; k < n; ++k) dst[RadixOrder::index_of(items[k])] = quantiles[k];
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
