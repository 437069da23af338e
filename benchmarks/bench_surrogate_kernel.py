"""The surrogate histogram kernels alone, on CUDA: ``torch.ops.gpac.mi_scatter`` with the surrogate
workload's shapes (16 signals x 24000 samples, 25 x 25 linear bands over 2-20 / 60-160 Hz at 512 Hz,
18 bins, 200 circular shifts), its phases and amplitudes made once by ``gpac::filter_hilbert``.

It loads a library directly (``--library``, default ``$GPAC_LIBRARY``) and calls only ops whose
schemas have not changed, so the same script times an older build beside the current one
(tests/gpu_check.sh runs it on .carry/baseline/libgpac_ops.so when that is there):

    python benchmarks/bench_surrogate_kernel.py --library build/libgpac_ops.so --out results.json

Reported: the call's median and minimum (CUDA events, after warm-up), the surrogate kernels' own
time per call (torch.profiler: kernels named ``surrogate``, ``tile_prefix`` or ``change_masks``) and
``updates_per_s`` = S x K x P x A x n over it, and the phases' runs of equal bins per sample (the
walk's cost grows with them).
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, write_results  # noqa: E402
from gpu_profile import cuda_times, profile_call  # noqa: E402

FS = 512.0


def linear_edges(lo: float, hi: float, n: int) -> tuple[list, list]:
    """n contiguous bands splitting [lo, hi] evenly: lower and upper edges."""
    step = (hi - lo) / n
    return [lo + k * step for k in range(n)], [lo + (k + 1) * step for k in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", default=os.environ.get("GPAC_LIBRARY"), help="libgpac_ops.so to time")
    parser.add_argument("--signals", type=int, default=16)
    parser.add_argument("--times", type=int, default=24000)
    parser.add_argument("--bands", type=int, default=25)
    parser.add_argument("--perms", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, help="JSON path")
    parser.add_argument("--no-profiler", action="store_true",
                        help="leave torch.profiler out (under ncu, which takes the same counters)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_surrogate_kernel.py needs a CUDA GPU")
    if not args.library:
        sys.exit("give --library or set GPAC_LIBRARY")
    torch.ops.load_library(args.library)
    S, n, B, K = args.signals, args.times, args.bands, args.perms

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(S, n, generator=gen, dtype=torch.float64).float().cuda()
    pha = torch.ops.gpac.fir_taps(FS, *linear_edges(2.0, 20.0, B), n, 3, device="cuda")
    amp = torch.ops.gpac.fir_taps(FS, *linear_edges(60.0, 160.0, B), n, 6, device="cuda")
    phase, amplitude = torch.ops.gpac.filter_hilbert(x, pha, amp)
    shift = torch.randint(0, n, (K, S), generator=gen).cuda()

    def call():
        return torch.ops.gpac.mi_scatter(phase, amplitude, 18, None, shift)

    times = cuda_times(call, args.runs)
    costs = {"kernel_s": {}, "kernels_per_call": None} if args.no_profiler else profile_call(call)
    surrogate_kernels = ("surrogate", "tile_prefix", "change_masks")
    kernel_s = sum(t for name, t in costs["kernel_s"].items() if any(s in name for s in surrogate_kernels))
    updates = S * K * B * B * n
    bins = torch.floor((phase.double() + math.pi) / (2 * math.pi / 18)).clamp(0, 17)
    runs_per_sample = ((bins[..., 1:] != bins[..., :-1]).sum().item() + bins[..., 0].numel()) / bins.numel()

    results = {
        "device": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "commit": os.environ.get("GPAC_COMMIT", git_commit()), "library": str(args.library),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "shape": {"signals": S, "times": n, "pha_bands": B, "amp_bands": B, "n_bins": 18, "perms": K,
                  "dtype": "float32"},
        "runs_per_sample": runs_per_sample,
        "median_s": statistics.median(times), "min_s": min(times),
        "surrogate_kernel_s": kernel_s or None, "updates_per_s": updates / kernel_s if kernel_s > 0 else None,
        "kernel_s": costs["kernel_s"], "kernels_per_call": costs["kernels_per_call"],
    }
    kernels = ("surrogate kernels not profiled" if args.no_profiler else
               f"surrogate kernels {kernel_s * 1e3:.2f} ms = {(results['updates_per_s'] or 0) / 1e12:.2f} T updates/s")
    print(f"mi_scatter with {K} surrogates: median {results['median_s'] * 1e3:.2f} ms (min "
          f"{results['min_s'] * 1e3:.2f}), {kernels}, {runs_per_sample:.3f} runs a sample", flush=True)
    if args.out:
        write_results(results, args.out, "")


if __name__ == "__main__":
    main()
