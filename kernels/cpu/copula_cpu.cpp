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

// The order of n 32-bit keys as a stable sort gives it: three LSD radix
// passes of 11, 11 and 10 bits (each stable, so ties stay in index order),
// their digit counts from one read of the keys, a pass skipped where every
// key has the same digit.
struct RadixOrder {
  static constexpr int kBits = 11, kPasses = 3;
  static constexpr uint32_t kMask = (1u << kBits) - 1;
  std::vector<uint32_t> keys, keys_tmp, index, index_tmp, count;

  explicit RadixOrder(int64_t n) : keys(n), keys_tmp(n), index(n), index_tmp(n), count(kPasses << kBits) {}

  void sort() {
    const size_t n = keys.size();
    std::fill(count.begin(), count.end(), 0u);
    for (const uint32_t k : keys) {
      ++count[k & kMask];
      ++count[(1u << kBits) + ((k >> kBits) & kMask)];
      ++count[(2u << kBits) + (k >> (2 * kBits))];
    }
    for (uint32_t i = 0; i < n; ++i) index[i] = i;
    for (int pass = 0; pass < kPasses; ++pass) {
      uint32_t* c = count.data() + (pass << kBits);
      const int shift = pass * kBits;
      if (c[(keys[0] >> shift) & kMask] == n) continue;
      uint32_t total = 0;
      for (uint32_t d = 0; d <= kMask; ++d) {
        const uint32_t here = c[d];
        c[d] = total;
        total += here;
      }
      for (size_t i = 0; i < n; ++i) {
        const uint32_t to = c[(keys[i] >> shift) & kMask]++;
        keys_tmp[to] = keys[i];
        index_tmp[to] = index[i];
      }
      keys.swap(keys_tmp);
      index.swap(index_tmp);
    }
  }
};

// Puts the run [first, last) of `index` (equal float keys, in index order)
// in the stable order of the doubles behind them: rounding to float keeps
// the order of the doubles but may tie distinct ones.
void order_tied_doubles(const double* row, uint32_t* first, uint32_t* last) {
  // -0 and +0 compare equal here, as their keys do.
  std::stable_sort(first, last, [row](uint32_t a, uint32_t b) { return row[a] < row[b]; });
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
      if constexpr (std::is_same_v<T, double>) {
        for (int64_t k = 0; k + 1 < n;) {
          int64_t e = k + 1;
          while (e < n && order.keys[e] == order.keys[k]) ++e;
          if (e - k > 1) order_tied_doubles(row, order.index.data() + k, order.index.data() + e);
          k = e;
        }
      }
      T* dst = out + r * n;
      for (int64_t k = 0; k < n; ++k) dst[order.index[k]] = quantiles[k];
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
