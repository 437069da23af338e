"""What one call of a function costs on the GPU: its time (CUDA events), and besides its
arithmetic the CUDA kernels launched, memory copies, host synchronisations, and the kernels' own
time by name.

    from gpu_profile import cuda_times, profile_call
    profile_call(lambda: gpac.pac(x, 512.0, "lres", "lres"))
    cuda_times(lambda: gpac.pac(x, 512.0, "lres", "lres"), runs=20)  # seconds per call, CUDA events
    # {"kernels_per_call": ..., "memcpys_per_call": ..., "syncs_per_call": ..., "kernel_s": {name: s}}

Kernels and copies come from torch.profiler's CUDA activity (CUPTI: cuFFT's kernels are counted
as kernels); synchronisations are what torch.cuda.set_sync_debug_mode("warn") reports (copies to
or from pageable memory, .item(), explicit synchronize calls), one warning each.
"""
from __future__ import annotations

import warnings
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile


def cuda_times(fn, runs: int, warmup: int = 3) -> list:
    """Seconds of fn() over `runs`, each bracketed by CUDA events."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return times


def count_syncs(fn, calls: int = 3) -> float:
    """Host synchronisations per call, as torch's sync debug mode reports them."""
    fn()  # warm-up: plans and caches filled
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            for _ in range(calls):
                fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    torch.cuda.synchronize()
    syncs = [w for w in caught if "synchroniz" in str(w.message).lower()]
    return len(syncs) / calls


def profile_call(fn, calls: int = 3) -> dict:
    """Per call (after a warm-up call): kernels, memcpys, syncs and kernel seconds by name."""
    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    kernels, memcpys = 0, 0
    kernel_s: dict = defaultdict(float)
    for evt in prof.events():
        if evt.device_type != torch.autograd.DeviceType.CUDA:
            continue
        name = evt.name
        if name.startswith("Memcpy") or name.startswith("Memset"):
            memcpys += 1
        else:
            kernels += 1
            kernel_s[name] += evt.time_range.elapsed_us() / 1e6 / calls
    return {"kernels_per_call": kernels / calls, "memcpys_per_call": memcpys / calls,
            "syncs_per_call": count_syncs(fn, calls), "kernel_s": dict(kernel_s)}
