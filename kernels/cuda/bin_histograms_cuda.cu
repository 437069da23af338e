// CUDA histograms of gpac::mi_scatter and gpac::modulation_index: phase-binned
// amplitude sums reduced to Tort's MI, with no (samples x pairs) tensor.
//
// Layout, chosen by counting bytes and updates. For S signals of n samples, P
// phase and A amplitude bands, the work is S P A n histogram updates (large,
// 16 x 30720 at 10 x 10 bands: 49 M; at 50 x 50: 1.2 G) over S (P + A) n
// inputs. The bins come from write_bins (kernels/cuda/polar_bins_cuda.cu): one byte per
// (signal, phase band, sample), computed once (S P n bytes: 4x less than float
// phases, 8x less than the pipeline's float64 phases). Then:
//  1. bin_counts: the samples per bin of each phase row (warp-aggregated
//     shared-memory atomics, one global atomic per bin and block).
//  2. pair_histograms: a block owns a group of (phase band, amplitude band)
//     pairs of one signal over one time chunk, one thread per pair with its
//     own n_bins float64 accumulators in shared memory: no atomics and no
//     conflicts between threads while accumulating, whatever the phase does
//     (slowly varying phases would serialise shared atomics). Each time tile
//     of the group's bins and amplitudes is staged in shared memory once, so
//     global memory reads each bin byte ceil(A / group amplitude bands) times
//     and each amplitude sample ceil(P / group phase bands) times: at 10 x 10
//     bands one group holds every pair and each input byte is read once
//     (S (P + 4A) n = 9.8 MB for large float32); at 50 x 50, 2 x 5 groups.
//     Per update: two shared loads and a register add; one shared
//     read-modify-write per run of equal bins. Each
//     block writes its chunk's sums to its own slot of a float64 workspace
//     (S P A chunks n_bins), so no float atomics and no run-to-run variation.
//  3. finalize: per pair, the chunks' sums added in chunk order, then Tort's
//     MI (csrc/pac_math.h, the same code as the CPU), sums in the output dtype.
//  4. The surrogates (when asked), in three kernels whose float64 arithmetic
//     is csrc/prefix_runs.h's, the CPU's (kernels/cpu/bin_histograms_cpu.cpp):
//     the same terms added in the same order, so the same histogram bits.
//     tile_prefix writes each amplitude row's tile-restarting prefix sums,
//     sample-major (S, n, A) float64, and change_masks each phase row's
//     change mask (a bit a sample: the bin differs from the previous one),
//     once for every surrogate; then surrogate_walk has one block per
//     (signal, surrogate, phase group, amplitude group): warp w walks phase
//     band i0 + w of the surrogate's phase signal through time, lane q holds
//     amplitude band j0 + q. All lanes of a warp share the row and the shift,
//     so they take the same set bits of the mask (32 samples a word) without
//     diverging, and each run costs a lane one prefix load, a subtraction and
//     one shared read-modify-write, whatever its length: S K P A n updates
//     (16 signals x 24000 samples x 25 x 25 bands x 200 surrogates is 48 G)
//     take about S K P (n / 32 + runs) warp steps (0.39 runs a sample at
//     those bands). Each chunk of WalkGrid::chunk samples stages the prefix
//     entries the block's lanes read (at the shifted, circular samples) and
//     the phase bands' bins and mask words in shared memory; the MI is
//     reduced in the block: no workspace, whatever the number of surrogates.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>

#include <c10/cuda/CUDAMacros.h>

#include <algorithm>
#include <climits>
#include <mutex>

#include "csrc/error_text.h"
#include "csrc/device_kernels.h"
#include "csrc/pac_math.h"
#include "csrc/prefix_runs.h"

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 700
#error "gPAC's CUDA kernels need compute capability 7.0 or newer (__match_any_sync)"
#endif

namespace gpac {
namespace {

constexpr int kTile = 128;                // samples staged per tile
constexpr int kBinStride = kTile + 4;     // byte rows of the bin tile, padded off the 128-byte bank period
constexpr int kMaxPairsPerBlock = 256;    // threads per pair_histograms block
constexpr int kMaxAmpPerGroup = 32;       // a warp spans the amplitude bands of one phase band
constexpr int64_t kAccBytes = 96 * 1024;  // shared accumulators per block
constexpr int64_t kWalkChunk = 256;       // samples per staged chunk of a surrogate walk, where it fits (x 32)

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks of `threads` for a grid-stride loop over `items`: one item a
// thread, at most 4096 blocks.
int64_t stride_blocks(int64_t items, int threads) { return std::min<int64_t>(ceil_div(items, threads), 4096); }

__global__ void bin_counts_kernel(const uint8_t* __restrict__ bins, unsigned long long* __restrict__ counts, int64_t n,
                                  int64_t n_bins, int64_t chunks_per_row, int64_t chunk) {
  extern __shared__ unsigned int hist[];
  const int64_t row = blockIdx.x / chunks_per_row;
  const int64_t begin = (blockIdx.x % chunks_per_row) * chunk;
  const int64_t end = begin + chunk < n ? begin + chunk : n;
  for (int64_t k = threadIdx.x; k < n_bins; k += blockDim.x) hist[k] = 0;
  __syncthreads();
  // Every lane of a warp runs every iteration (blockDim.x is a multiple of 32),
  // so the full-warp match below is well defined; lanes past the end carry a
  // bin no sample has.
  constexpr unsigned int kNoBin = 0xffffffffu;
  for (int64_t base = begin; base < end; base += blockDim.x) {
    const int64_t t = base + threadIdx.x;
    const unsigned int b = t < end ? static_cast<unsigned int>(bins[row * n + t]) : kNoBin;
    // Neighbouring samples mostly share a bin: one atomic per distinct bin per warp.
    const unsigned int peers = __match_any_sync(0xffffffffu, b);
    if (b != kNoBin && (threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&hist[b], __popc(peers));
  }
  __syncthreads();
  for (int64_t k = threadIdx.x; k < n_bins; k += blockDim.x)
    if (hist[k]) atomicAdd(&counts[row * n_bins + k], static_cast<unsigned long long>(hist[k]));
}

struct PairGrid {
  int64_t S, P, A, n, n_bins, acc_stride;  // acc_stride: n_bins rounded up to odd (banks)
  int64_t pg, ag, n_pg, n_ag;              // bands per group and groups, phase and amplitude
  int64_t chunk, n_chunks;                 // samples per block and blocks per row
};

// One block's view of its pairs: shared-memory accumulators and tiles, and
// which phase/amplitude bands and which thread it is.
template <typename T>
struct PairBlock {
  double* acc;        // [pairs][acc_stride]
  T* amp_tile;        // [ag][kTile + 1]
  uint8_t* bin_tile;  // [pg][kBinStride]
  int64_t i0, j0, pg, ag, pi, aj;
  bool active;
  double* my;  // this thread's n_bins accumulators

  __device__ PairBlock(double* smem, const PairGrid& g, int64_t ip, int64_t ja) {
    acc = smem;
    amp_tile = reinterpret_cast<T*>(acc + g.pg * g.ag * g.acc_stride);
    bin_tile = reinterpret_cast<uint8_t*>(amp_tile + g.ag * (kTile + 1));
    i0 = ip * g.pg;
    j0 = ja * g.ag;
    pg = min(g.pg, g.P - i0);
    ag = min(g.ag, g.A - j0);
    pi = threadIdx.x / g.ag;
    aj = threadIdx.x % g.ag;
    active = pi < pg && aj < ag;
    my = acc + threadIdx.x * g.acc_stride;
    for (int64_t k = 0; k < g.n_bins; ++k) my[k] = 0.0;
  }

  // Accumulates samples [t0, t1) of signal s's phase bins and amplitudes.
  __device__ void accumulate(const uint8_t* __restrict__ bins, const T* __restrict__ amp, const PairGrid& g, int64_t s,
                             int64_t t0, int64_t t1) {
    for (int64_t tile = t0; tile < t1; tile += kTile) {
      const int64_t len = min(static_cast<int64_t>(kTile), t1 - tile);
      __syncthreads();  // the previous tile is consumed
      for (int64_t e = threadIdx.x; e < pg * kTile; e += blockDim.x) {
        const int64_t r = e / kTile, t = e % kTile;
        if (t < len) bin_tile[r * kBinStride + t] = bins[(s * g.P + i0 + r) * g.n + tile + t];
      }
      for (int64_t e = threadIdx.x; e < ag * kTile; e += blockDim.x) {
        const int64_t r = e / kTile, t = e % kTile;
        if (t < len) amp_tile[r * (kTile + 1) + t] = amp[(s * g.A + j0 + r) * g.n + tile + t];
      }
      __syncthreads();
      if (active) {
        const uint8_t* b = bin_tile + pi * kBinStride;
        const T* a = amp_tile + aj * (kTile + 1);
        // A phase stays in a bin for runs of samples (~3 at 10 Hz and fs = 512 Hz,
        // more for slower phases or faster sampling): each run is summed in a
        // register and meets shared memory once, not once per sample. The
        // lanes of a warp that share a phase band branch together.
        int cur = b[0];
        double run = 0.0;
        for (int64_t t = 0; t < len; ++t) {
          const int bt = b[t];
          if (bt != cur) {
            my[cur] += run;
            run = 0.0;
            cur = bt;
          }
          run += static_cast<double>(a[t]);
        }
        my[cur] += run;
      }
    }
  }
};

// A block index whose fastest coordinates are the amplitude group, then the
// phase group: those two and the index of what the block covers above them.
struct BandGroups {
  int64_t ip, ja, outer;
};
template <typename Grid>  // PairGrid or WalkGrid
__device__ BandGroups band_groups(int64_t block, const Grid& g) {
  const int64_t ja = block % g.n_ag;
  block /= g.n_ag;
  return {block % g.n_pg, ja, block / g.n_pg};
}

// The observed histograms: block (signal, phase group, amplitude group, time
// chunk); each writes its chunk's sums to its own workspace slot.
template <typename T>
__global__ void pair_histograms_kernel(const uint8_t* __restrict__ bins, const T* __restrict__ amp,
                                       double* __restrict__ work, PairGrid g) {
  extern __shared__ double smem[];
  const int64_t c = blockIdx.x % g.n_chunks;
  const auto [ip, ja, s] = band_groups(blockIdx.x / g.n_chunks, g);
  PairBlock<T> pb(smem, g, ip, ja);
  const int64_t t0 = c * g.chunk;
  pb.accumulate(bins, amp, g, s, t0, min(t0 + g.chunk, g.n));
  if (pb.active) {  // this chunk's slot: every element written, no atomics
    double* out = work + ((((s * g.P) + pb.i0 + pb.pi) * g.A + pb.j0 + pb.aj) * g.n_chunks + c) * g.n_bins;
    for (int64_t k = 0; k < g.n_bins; ++k) out[k] = pb.my[k];
  }
}

// Each amplitude row's tile-restarting prefix (csrc/prefix_runs.h), written
// sample-major: prefix[(s n + u) A + j]. One thread per (signal, tile,
// amplitude band), band fastest, so a warp's stores are contiguous.
template <typename T>
__global__ void tile_prefix_kernel(const T* __restrict__ amp, double* __restrict__ prefix, int64_t S, int64_t A,
                                   int64_t n) {
  const int64_t tiles = (n + kPrefixTile - 1) / kPrefixTile;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < S * tiles * A;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t j = idx % A, m = idx / A % tiles, s = idx / A / tiles;
    const int64_t u0 = m * kPrefixTile;
    tile_prefix(amp + (s * A + j) * n, u0, min(n, u0 + kPrefixTile), prefix + s * n * A + j, A);
  }
}

// Each phase row's change mask (csrc/prefix_runs.h change_word): one thread
// per 32-sample word.
__global__ void change_masks_kernel(const uint8_t* __restrict__ bins, uint32_t* __restrict__ masks, int64_t rows,
                                    int64_t n, int64_t words) {
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < rows * words;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x)
    masks[idx] = change_word(bins + idx / words * n, n, idx % words);
}

struct WalkGrid {
  int64_t S, P, A, n, n_bins, acc_stride;  // acc_stride: n_bins rounded up to odd (banks)
  int64_t chunk;                           // samples staged at a time (a multiple of 32)
  int64_t pg, n_pg;                        // phase bands per block (a warp each) and groups
  int64_t ag, n_ag;                        // amplitude bands per warp (its lanes) and groups
};

// The surrogates: block (signal, surrogate, phase group, amplitude group);
// warp w walks phase band i0 + w of the surrogate's phase signal, lane q
// sums amplitude band j0 + q, over the whole time range, a staged chunk at a
// time (csrc/prefix_runs.h PrefixWalk), and reduces its histogram to the MI.
// Up to 32 warps a block: at most 64 registers a thread.
template <typename T>
__global__ void __launch_bounds__(1024)
    surrogate_walk_kernel(const uint8_t* __restrict__ bins, const uint32_t* __restrict__ masks,
                          const double* __restrict__ prefix, const unsigned long long* __restrict__ counts,
                          const int64_t* __restrict__ phase_index, const int64_t* __restrict__ shift,
                          T* __restrict__ surrogates, int64_t K, WalkGrid g, BinnedMeasure measure) {
  extern __shared__ double smem[];
  double* pre = smem;                                                              // [chunk + 1][32]: hi(t0 + e) at e
  double* acc = pre + (g.chunk + 1) * 32;                                          // [pg][32][acc_stride]
  uint8_t* row_bins = reinterpret_cast<uint8_t*>(acc + g.pg * 32 * g.acc_stride);  // [pg][chunk]
  uint32_t* row_masks = reinterpret_cast<uint32_t*>(row_bins + g.pg * g.chunk);    // [pg][chunk / 32]
  const auto [ip, ja, outer] = band_groups(blockIdx.x, g);
  const int64_t k = outer % K, s = outer / K;
  // Entries out of range make the op fail after the call (csrc/data_checks.h);
  // until then they read signal s, unshifted, rather than outside the inputs.
  int64_t ps = phase_index ? phase_index[k * g.S + s] : s;
  int64_t sh = shift ? shift[k * g.S + s] : 0;
  if (ps < 0 || ps >= g.S) ps = s;
  if (sh < 0 || sh >= g.n) sh = 0;
  const int64_t i0 = ip * g.pg, j0 = ja * g.ag;
  const int64_t pg = min(g.pg, g.P - i0), ag = min(g.ag, g.A - j0);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const bool walking = warp < pg;  // every lane of a walking warp walks (lanes past ag on zeros)
  double* my = acc + threadIdx.x * g.acc_stride;
  for (int64_t b = 0; b < g.n_bins; ++b) my[b] = 0.0;
  const double* pfx = prefix + s * g.n * g.A + j0;
  const double* lane_pre = pre + lane;
  PrefixWalk walk(g.n, sh);
  const int warps = blockDim.x / 32;
  const int64_t words = (g.n + 31) / 32;
  const int64_t band = walking ? ps * g.P + i0 + warp : 0;  // the warp's phase row
  const uint8_t* row = bins + band * g.n;
  const uint32_t* row_mask = masks + band * words;
  uint8_t* staged = row_bins + warp * g.chunk;
  uint32_t* staged_mask = row_masks + warp * (g.chunk / 32);
  for (int64_t t0 = 0; t0 < g.n; t0 += g.chunk) {
    const int len = static_cast<int>(min(g.chunk, g.n - t0));
    __syncthreads();  // the previous chunk is consumed
    // Entry e, lane q: hi(t0 + e), the prefix at u(t0 + e - 1) of band j0 + q.
    for (int e = warp; e <= len; e += warps)
      pre[e * 32 + lane] = lane < ag ? pfx[walk.sample(t0 + e - 1) * g.A + lane] : 0.0;
    if (walking) {  // each warp its own band's bins and change mask words
      for (int t = lane; t < len; t += 32) staged[t] = row[t0 + t];
      for (int q = lane; q < (len + 31) / 32; q += 32) staged_mask[q] = row_mask[t0 / 32 + q];
    }
    __syncthreads();
    if (walking)
      walk.chunk(
          staged_mask, staged, t0, t0 + len, [&](int e) { return lane_pre[e * 32]; }, my);
  }
  if (walking && lane < ag) {
    const int64_t i = i0 + warp, j = j0 + lane;
    surrogates[((s * K + k) * g.P + i) * g.A + j] =
        static_cast<T>(binned_measure(measure, my, counts + (ps * g.P + i) * g.n_bins, g.n_bins));
  }
}

template <typename T>
__global__ void finalize_kernel(double* __restrict__ work, const unsigned long long* __restrict__ counts,
                                T* __restrict__ mi, T* __restrict__ sums, int64_t pairs, int64_t A, int64_t n_bins,
                                int64_t n_chunks, BinnedMeasure measure) {
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < pairs;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double* h = work + idx * n_chunks * n_bins;  // chunk 0's slot receives the total
    for (int64_t c = 1; c < n_chunks; ++c)
      for (int64_t k = 0; k < n_bins; ++k) h[k] += h[c * n_bins + k];
    mi[idx] = static_cast<T>(binned_measure(measure, h, counts + (idx / A) * n_bins, n_bins));
    for (int64_t k = 0; k < n_bins; ++k) sums[idx * n_bins + k] = static_cast<T>(h[k]);
  }
}

// The largest dynamic shared memory a block may use, set once per device and
// kernel: the limit is global to the kernel, so setting it per call to each
// call's own size would race between host threads.
template <auto kernel>
void allow_opt_in_shared_memory(int device, int bytes) {
  static std::once_flag once[C10_COMPILE_TIME_MAX_GPUS];  // one per kernel and device
  std::call_once(once[device], [&] {
    C10_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  });
}

int grid_size(int64_t blocks, const char* kernel) {
  GPAC_CHECK(blocks >= 1 && blocks <= INT_MAX, kernel, " would need ", blocks,
             " blocks; split the input (a smaller memory_budget)");
  return static_cast<int>(blocks);
}

// Splits `total` items into the fewest groups of at most `cap`, evenly.
void split(int64_t total, int64_t cap, int64_t& per_group, int64_t& groups) {
  groups = ceil_div(total, std::max<int64_t>(1, cap));
  per_group = ceil_div(total, groups);
}

}  // namespace

void bin_histograms_cuda(const at::Tensor& bins, const at::Tensor& amp, int64_t n_bins, const Surrogates& surrogates,
                         const HistogramOut& out, bool counts_given, BinnedMeasure measure,
                         int64_t /*scratch_bytes: the scratch scales with pairs, planned below*/) {
  const int64_t S = bins.size(0), P = bins.size(1), A = amp.size(1), n = bins.size(2);
  const int64_t K = surrogates.count();
  auto h = writable(out, counts_given);
  if (counts_given) h.counts = out.counts.contiguous();
  const auto &mi = h.mi, &sums = h.amp_sums, &counts = h.counts, &surr = h.surrogates;
  auto* counts_u64 = reinterpret_cast<unsigned long long*>(counts.data_ptr<int64_t>());

  const auto stream = at::cuda::getCurrentCUDAStream();
  const auto* props = at::cuda::getCurrentDeviceProperties();
  const int64_t target_blocks = 4 * static_cast<int64_t>(props->multiProcessorCount);
  constexpr int threads = 256;

  // 1. counts, unless the bins' kernel counted them.
  if (!counts_given) {
    counts.zero_();
    const int64_t chunks_per_row = std::clamp<int64_t>(ceil_div(target_blocks, S * P), 1, ceil_div(n, threads));
    const int64_t chunk = ceil_div(n, chunks_per_row);
    bin_counts_kernel<<<grid_size(S * P * chunks_per_row, "bin_counts"), threads, n_bins * sizeof(unsigned int),
                        stream>>>(bins.data_ptr<uint8_t>(), counts_u64, n, n_bins, chunks_per_row, chunk);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }

  // 2. and 3., in the amplitude's dtype.
  AT_DISPATCH_FLOATING_TYPES(amp.scalar_type(), "gpac_mi_histograms_cuda", [&] {
    PairGrid g{S, P, A, n, n_bins, n_bins | 1, 0, 0, 0, 0, 0, 0};
    const int64_t pairs_per_block =
        std::clamp<int64_t>(kAccBytes / (g.acc_stride * static_cast<int64_t>(sizeof(double))), 1, kMaxPairsPerBlock);
    split(A, std::min<int64_t>(kMaxAmpPerGroup, pairs_per_block), g.ag, g.n_ag);
    split(P, std::max<int64_t>(1, pairs_per_block / g.ag), g.pg, g.n_pg);
    const int64_t base_blocks = S * g.n_pg * g.n_ag;
    g.n_chunks = std::clamp<int64_t>(ceil_div(target_blocks, base_blocks), 1, ceil_div(n, kTile));
    g.chunk = ceil_div(ceil_div(n, g.n_chunks), kTile) * kTile;
    g.n_chunks = ceil_div(n, g.chunk);
    const int pair_threads = static_cast<int>(g.pg * g.ag);
    const size_t smem =
        g.pg * g.ag * g.acc_stride * sizeof(double) + g.ag * (kTile + 1) * sizeof(scalar_t) + g.pg * kBinStride;
    GPAC_CHECK(smem <= props->sharedMemPerBlockOptin, "mi_scatter needs ", smem,
               " bytes of shared memory per block; this GPU offers ", props->sharedMemPerBlockOptin);
    allow_opt_in_shared_memory<pair_histograms_kernel<scalar_t>>(amp.get_device(),
                                                                 static_cast<int>(props->sharedMemPerBlockOptin));
    auto work = at::empty({S, P, A, g.n_chunks, n_bins}, amp.options().dtype(at::kDouble));
    pair_histograms_kernel<scalar_t>
        <<<grid_size(base_blocks * g.n_chunks, "pair_histograms"), pair_threads, smem, stream>>>(
            bins.data_ptr<uint8_t>(), amp.data_ptr<scalar_t>(), work.data_ptr<double>(), g);
    C10_CUDA_KERNEL_LAUNCH_CHECK();

    const int64_t pairs = S * P * A;
    finalize_kernel<scalar_t><<<stride_blocks(pairs, threads), threads, 0, stream>>>(
        work.data_ptr<double>(), counts_u64, mi.data_ptr<scalar_t>(), sums.data_ptr<scalar_t>(), pairs, A, n_bins,
        g.n_chunks, measure);
    C10_CUDA_KERNEL_LAUNCH_CHECK();

    if (K > 0 && n > 0) {  // the surrogates, each over the whole time range
      auto prefix = at::empty({S, n, A}, amp.options().dtype(at::kDouble));
      const int64_t prefix_threads = S * ceil_div(n, kPrefixTile) * A;
      tile_prefix_kernel<scalar_t><<<stride_blocks(prefix_threads, threads), threads, 0, stream>>>(
          amp.data_ptr<scalar_t>(), prefix.data_ptr<double>(), S, A, n);
      C10_CUDA_KERNEL_LAUNCH_CHECK();

      const int64_t words = ceil_div(n, 32);
      auto masks = at::empty({S * P * words}, amp.options().dtype(at::kInt));
      change_masks_kernel<<<stride_blocks(S * P * words, threads), threads, 0, stream>>>(
          bins.data_ptr<uint8_t>(), reinterpret_cast<uint32_t*>(masks.data_ptr<int32_t>()), S * P, n, words);
      C10_CUDA_KERNEL_LAUNCH_CHECK();

      WalkGrid w{S, P, A, n, n_bins, n_bins | 1, kWalkChunk, 0, 0, 0, 0};
      split(A, 32, w.ag, w.n_ag);
      // Shared memory: the staged prefix entries, then per warp its lanes'
      // accumulators, its band's bins and its mask words. Shorter chunks
      // where one warp would not fit (many bins, or less shared memory).
      const int64_t optin = static_cast<int64_t>(props->sharedMemPerBlockOptin);
      auto fixed = [](int64_t chunk) { return (chunk + 1) * 32 * static_cast<int64_t>(sizeof(double)); };
      auto per_warp = [&](int64_t chunk) {
        return 32 * w.acc_stride * static_cast<int64_t>(sizeof(double)) + chunk + chunk / 32 * 4;
      };
      while (w.chunk > 32 && fixed(w.chunk) + per_warp(w.chunk) > optin) w.chunk /= 2;
      const int64_t warps_fit = (optin - fixed(w.chunk)) / per_warp(w.chunk);
      GPAC_CHECK(warps_fit >= 1, "surrogates with ", n_bins, " phase bins need ", fixed(w.chunk) + per_warp(w.chunk),
                 " bytes of shared memory per block; this GPU offers ", optin, " (use fewer bins)");
      split(P, std::min<int64_t>(32, warps_fit), w.pg, w.n_pg);
      const size_t walk_smem = fixed(w.chunk) + w.pg * per_warp(w.chunk);
      allow_opt_in_shared_memory<surrogate_walk_kernel<scalar_t>>(amp.get_device(),
                                                                  static_cast<int>(props->sharedMemPerBlockOptin));
      const int64_t* phase_index =
          surrogates.phase_index.defined() ? surrogates.phase_index.data_ptr<int64_t>() : nullptr;
      const int64_t* shift = surrogates.shift.defined() ? surrogates.shift.data_ptr<int64_t>() : nullptr;
      surrogate_walk_kernel<scalar_t>
          <<<grid_size(S * K * w.n_pg * w.n_ag, "surrogate_walk"), static_cast<int>(32 * w.pg), walk_smem, stream>>>(
              bins.data_ptr<uint8_t>(), reinterpret_cast<const uint32_t*>(masks.data_ptr<int32_t>()),
              prefix.data_ptr<double>(), counts_u64, phase_index, shift, surr.data_ptr<scalar_t>(), K, w, measure);
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    }
  });
  write_back(out, h, counts_given);
}

}  // namespace gpac
