"""SHA-256 digests of gPAC's CPU results on a fixed set of cases, to show that a
refactor leaves them bit-identical.

    python tools/result_digests.py --write before.json    # on the old commit
    python tools/result_digests.py --compare before.json  # on the new one: exit 1 on any difference

Cases cover the MI, z, p, surrogates (every draw), the other PAC methods, amplitude
distributions, float32/float64/int16 signals, several n_bins, memory budgets
that force band groups, windowed rows and stretches of time, nan='propagate',
and the low-level ops. Digests depend on the machine's FFT code paths (MKL
picks kernels per CPU), so compare runs made on one machine, at one thread
count or several (results do not depend on it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np
import torch

import gpac


def _digest(t: torch.Tensor) -> dict:
    t = t.detach().cpu().contiguous()
    return {"shape": list(t.shape), "dtype": str(t.dtype),
            "sha256": hashlib.sha256(t.numpy().tobytes()).hexdigest()}


def _signals(seed: int, shape, dtype) -> torch.Tensor:
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal(shape))
    return (x * 1000).to(dtype) if dtype == torch.int16 else x.to(dtype)


def cases():
    """(name, function returning {output name: tensor})."""
    fs = 512.0
    coupled = gpac.signals.coupled_signal(fs=fs, duration=8.0, n_signals=3, seed=1, dtype=torch.float64)

    def pac_case(x, **kw):
        def run():
            res = gpac.pac(x, fs, kw.pop("pha", "lres"), kw.pop("amp", "lres"), **kw)
            out = {"mi": res.mi}
            for name in ("z", "p", "surrogates", "amp_dist"):
                if getattr(res, name) is not None:
                    out[name] = getattr(res, name)
            return out
        return run

    yield "mi-f64", pac_case(_signals(0, (4, 2048), torch.float64))
    yield "mi-f32", pac_case(_signals(0, (4, 2048), torch.float32))
    yield "mi-int16", pac_case(_signals(0, (2, 1500), torch.int16))
    yield "mi-coupled-dist", pac_case(coupled, return_dist=True)
    yield "mi-nbins12", pac_case(_signals(2, (2, 3000), torch.float64), n_bins=12, return_dist=True)
    yield "mi-hres-f32", pac_case(_signals(3, (2, 4096), torch.float32), pha="hres", amp="hres")
    yield "block_swap-f64", pac_case(_signals(4, (3, 2048), torch.float64), n_perm=20, seed=3,
                                     return_surrogates=True)
    yield "block_swap-f32-tensorpac", pac_case(_signals(5, (2, 2048), torch.float32), n_perm=20, seed=7,
                                               rng="tensorpac", return_surrogates=True)
    yield "block_swap-independent", pac_case(_signals(6, (3, 2048), torch.float64), n_perm=10, seed=1,
                                             independent=True, return_surrogates=True)
    yield "block_swap-hres", pac_case(_signals(15, (2, 3000), torch.float64), pha="hres", amp="hres", n_perm=6,
                                      seed=8, return_surrogates=True)
    yield "swap_trials", pac_case(_signals(7, (2, 4, 1024), torch.float64), n_perm=12, seed=2,
                                  surrogate="swap_trials", return_surrogates=True)
    yield "time_lag-tensorpac", pac_case(_signals(8, (2, 2048), torch.float32), n_perm=10, seed=5,
                                         surrogate="time_lag", rng="tensorpac", return_surrogates=True)
    for norm in ("none", "subtract", "divide", "subtract_divide"):
        yield f"norm-{norm}", pac_case(_signals(9, (2, 2048), torch.float64), n_perm=8, seed=4, norm=norm)
    yield "budget-band-groups", pac_case(_signals(10, (3, 8192), torch.float32), pha="mres", amp="mres",
                                         memory_budget=1 << 20, n_perm=4, seed=1, return_dist=True)
    yield "budget-windows", pac_case(_signals(11, (1, 40000), torch.float64), memory_budget=4 << 20)
    yield "budget-stretches", pac_case(_signals(12, (1, 40000), torch.float32), memory_budget=64 << 10)
    # The sums methods and GC over several chunks of signals (40 signals of 30720 samples: more than
    # one chunk's band tensors), with surrogates of each draw, and windowed.
    for i, method in enumerate(("mvl", "ndpac", "ps", "gc")):
        for dtype in (torch.float32, torch.float64):
            yield f"{method}-{str(dtype)[6:]}-chunks", pac_case(_signals(20 + i, (40, 30720), dtype), method=method,
                                                                n_perm=3, seed=i, return_surrogates=True)
        yield f"{method}-swap_trials", pac_case(_signals(30 + i, (3, 4, 2048), torch.float64), method=method,
                                                n_perm=5, seed=i, surrogate="swap_trials", return_surrogates=True)
        yield f"{method}-windows", pac_case(_signals(40 + i, (2, 8192), torch.float32), method=method, window=4.0,
                                            step=2.0)
    bad = _signals(13, (3, 2048), torch.float64)
    bad[1, 100] = float("nan")
    yield "nan-propagate", pac_case(bad, nan="propagate", n_perm=6, seed=2, return_dist=True,
                                    return_surrogates=True)

    def ops_case():
        x = _signals(14, (2, 1024), torch.float64)
        pha_taps = torch.ops.gpac.fir_taps(fs, [4.0, 8.0], [8.0, 12.0], 1024, 3)
        amp_taps = torch.ops.gpac.fir_taps(fs, [60.0, 90.0], [80.0, 110.0], 1024, 6)
        phase, amplitude = torch.ops.gpac.filter_hilbert(x, pha_taps, amp_taps)
        hp, ha = torch.ops.gpac.hilbert(x)
        mi, sums, counts, surr = torch.ops.gpac.mi_scatter(phase, amplitude, 18, None,
                                                           torch.tensor([[3, 5], [100, 7]]))
        return {"taps": pha_taps, "filter": torch.ops.gpac.filter(x, amp_taps), "phase": phase,
                "amplitude": amplitude, "hilbert_phase": hp, "hilbert_amplitude": ha, "mi": mi, "sums": sums,
                "counts": counts, "surrogates": surr}

    yield "ops", ops_case


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", help="write the digests to this JSON file")
    group.add_argument("--compare", help="compare with the digests in this JSON file")
    args = parser.parse_args()
    digests = {name: {k: _digest(v) for k, v in fn().items()} for name, fn in cases()}
    if args.write:
        with open(args.write, "w") as f:
            json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "cases": digests}, f,
                      indent=1)
        print(f"{sum(len(v) for v in digests.values())} outputs of {len(digests)} cases written to {args.write}")
        return 0
    with open(args.compare) as f:
        before = json.load(f)["cases"]
    differ = [f"{case}/{k}" for case in sorted(set(before) | set(digests))
              for k in sorted(set(before.get(case, {})) | set(digests.get(case, {})))
              if before.get(case, {}).get(k) != digests.get(case, {}).get(k)]
    total = sum(len(v) for v in before.values())
    if differ:
        print(f"{len(differ)} of {total} outputs differ: " + ", ".join(differ))
        return 1
    print(f"all {total} outputs of {len(before)} cases bit-identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
