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

// The order of n keys as a stable sort gives it: LSD radix passes of 11 bits
// (each pass stable, so ties stay in index order), a pass skipped where every
// key has the same digit.
template <typename K>
struct RadixOrder {
  static constexpr int kBits = 11;
  std::vector<K> keys, keys_tmp;
  std::vector<uint32_t> index, index_tmp;
  std::vector<uint32_t> count;

  explicit RadixOrder(int64_t n) : keys(n), keys_tmp(n), index(n), index_tmp(n), count(size_t{1} << kBits) {}

  void sort() {
    const size_t n = keys.size();
    for (uint32_t i = 0; i < n; ++i) index[i] = i;
    for (int shift = 0; shift < static_cast<int>(8 * sizeof(K)); shift += kBits) {
      std::fill(count.begin(), count.end(), 0u);
      for (const K k : keys) ++count[(k >> shift) & ((K{1} << kBits) - 1)];
      if (count[(keys[0] >> shift) & ((K{1} << kBits) - 1)] == n) continue;
      uint32_t total = 0;
      for (auto& c : count) {
        const uint32_t here = c;
        c = total;
        total += here;
      }
      for (size_t i = 0; i < n; ++i) {
        const uint32_t to = count[(keys[i] >> shift) & ((K{1} << kBits) - 1)]++;
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
    RadixOrder<uint32_t> order(n);
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
