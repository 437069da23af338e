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

inline uint64_t order_bits(double v) {
  if (v == 0) v = 0;
  uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
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

template <typename T>
void normalise_rows(const T* x, const T* quantiles, T* out, int64_t rows, int64_t n) {
  at::parallel_for(0, rows, parallel_grain(rows, rows * n), [&](int64_t begin, int64_t end) {
    RadixOrder<decltype(order_bits(T{}))> order(n);
    for (int64_t r = begin; r < end; ++r) {
      const T* row = x + r * n;
      for (int64_t t = 0; t < n; ++t) order.keys[t] = order_bits(row[t]);
      order.sort();
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
