"""PAC over torch.distributed: a dataset's signals sharded across the ranks that ``torchrun``
started (NCCL on GPUs, Gloo on CPUs), each rank running gPAC's ops on its device, results
gathered on rank 0 or written per rank as ``.npy`` shards with a JSON index.

Every rank draws the surrogate plan of the whole dataset from the one seed (cheap: n_perm x
n_signals integers) and uses its own columns of it, so that MI, z and p do not depend on the
number of ranks: 1, 2 or 4 ranks give the results of one ``gpac.pac`` call on all the signals.

    torchrun --nproc-per-node 4 -m gpac compute recording.npy --fs 1000 --n-perm 200

or, in a script started by torchrun::

    import gpac.distributed as gd
    gd.init()                                   # NCCL with one GPU per rank, else Gloo
    res = gd.pac(numpy.load("cohort.npy", mmap_mode="r"), 1000.0, "lres", "lres", n_perm=200, seed=0)
    if gd.rank() == 0:
        print(res.mi.shape)                     # rank 0 holds the whole result; the others None

A rank that fails (bad input in its shard, out of memory) makes every rank raise that rank's
error, after a collective that all of them reach: the job fails instead of hanging. Collectives
time out after ``timeout`` seconds (init()).
"""
from __future__ import annotations

import atexit
import datetime
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.distributed as dist

from .bands import BandsLike, resolve_bands
from .pac import (PACResult, _as_signals, _budget, _check_nan, _check_signals, _cycles, _decomposition, _edges,
                  _method_name, _Options, _outputs, _plan, _plan_part, _stat_options, _window_centers, _windows,
                  phase_bin_centers)

__all__ = ["init", "rank", "world_size", "shard_range", "pac", "load_shards"]

OUTPUTS = ("mi", "z", "p", "surrogates", "amp_dist")


def init(backend: Optional[str] = None, timeout: float = 600.0) -> None:
    """Joins the process group torchrun describes (its MASTER_ADDR/PORT, RANK, WORLD_SIZE
    variables): NCCL when CUDA is available (rank i on GPU LOCAL_RANK), else Gloo. Collectives
    give up after ``timeout`` seconds. Does nothing when the group exists already."""
    if dist.is_initialized():
        return
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout))
    # A group left alive at interpreter exit can abort the process ("terminate called without an
    # active exception" from Gloo's threads), failing a job that had succeeded.
    atexit.register(_destroy)


def _destroy() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def _device() -> torch.device:
    if dist.is_initialized() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def shard_range(n_units: int, n_ranks: int, r: int) -> Tuple[int, int]:
    """Units [start, stop) of rank r when n_units are split into n_ranks contiguous, balanced
    shards (some may be empty)."""
    return n_units * r // n_ranks, n_units * (r + 1) // n_ranks


def _all_ok(error: Optional[BaseException]) -> None:
    """Every rank reaches this collective; if any rank failed, all raise its error."""
    errors: List[Optional[Tuple[str, str]]] = [None] * world_size()
    mine = None if error is None else (type(error).__name__, str(error))
    if dist.is_initialized():
        dist.all_gather_object(errors, mine)
    else:
        errors = [mine]
    for r, err in enumerate(errors):
        if err is not None:
            if error is not None and r == rank():
                raise error
            kind = ValueError if err[0] == "ValueError" else RuntimeError
            raise kind(f"rank {r} failed: {err[0]}: {err[1]}")


def pac(
    x,
    fs: float,
    pha_bands: BandsLike,
    amp_bands: BandsLike,
    *,
    n_perm: int = 0,
    surrogate="block_swap",
    norm="zscore",
    seed: Optional[int] = None,
    rng: str = "torch",
    independent: bool = False,
    n_bins: int = 18,
    cycle: Sequence[int] = (3, 6),
    memory_budget: Optional[int] = None,
    nan: str = "raise",
    return_surrogates: bool = False,
    return_dist: bool = False,
    out_dir: Optional[str] = None,
    split: str = "auto",
    method: str = "mi",
    ndpac_p: Optional[float] = 0.05,
    dcomplex: str = "hilbert",
    width: float = 7.0,
    window: Optional[float] = None,
    step: Optional[float] = None,
) -> Optional[PACResult]:
    """:func:`gpac.pac` over the ranks of the process group (or alone without one).

    ``x`` (..., n_times) is the whole dataset on every rank, best a memory-mapped array
    (``numpy.load(path, mmap_mode='r')``): each rank reads only its shard of signals (with
    ``surrogate='swap_trials'``, of channels: all trials of a channel stay together) and moves it to
    its device. Options are those of :func:`gpac.pac`; ``seed=None`` draws one on rank 0 and shares
    it. Returns the whole :class:`gpac.PACResult` on rank 0 and None on the others; with
    ``out_dir``, each rank writes its shard as ``rank<r>.<name>.npy`` and rank 0 an ``index.json``
    (read back with :func:`load_shards`), and every rank returns None.

    ``split``: 'signals' (shards of signals), 'surrogates' (every rank computes every signal with
    its block of the surrogates; rank 0 computes z and p from all of them: for one huge recording)
    or 'auto' (surrogates when there are fewer signals than ranks, else signals).
    """
    x = _as_signals(x) if not isinstance(x, torch.Tensor) else x
    _check_signals(x)
    surrogate_name, norm_id = _stat_options(n_perm, surrogate, norm, rng)
    measure = _method_name(method)
    dcomplex, width = _decomposition(dcomplex, width)
    window_samples, step_samples = _windows(window, step, float(fs))
    _check_nan(nan)
    n_perm = int(n_perm)
    if seed is None and n_perm > 0:
        drawn = [int(torch.randint(0, 2147483647, [1]).item()) if rank() == 0 else 0]
        if dist.is_initialized():
            dist.broadcast_object_list(drawn, src=0)
        seed = drawn[0]
    lead, n_times = list(x.shape[:-1]), x.shape[-1]
    flat = x.reshape(-1, n_times)
    n_signals = flat.shape[0]
    unit = x.shape[-2] if surrogate_name == "swap_trials" and n_perm > 0 and x.dim() >= 2 else 1
    if split == "auto":
        split = "surrogates" if n_perm > 0 and n_signals // unit < world_size() else "signals"
    if split not in ("signals", "surrogates"):
        raise ValueError(f"split must be 'auto', 'signals' or 'surrogates', got {split!r}")
    if split == "surrogates" and out_dir is not None:
        raise ValueError("out_dir writes shards of signals; use split='signals' with it")
    if split == "signals":
        start, stop = (u * unit for u in shard_range(n_signals // unit, world_size(), rank()))
        k0, k1 = 0, n_perm
    else:  # every rank: all signals, its block of surrogates; z and p on rank 0 from all of them
        start, stop = 0, n_signals
        k0, k1 = shard_range(n_perm, world_size(), rank())

    result: Dict[str, torch.Tensor] = {}
    error: Optional[BaseException] = None
    try:
        pha = resolve_bands(pha_bands, None, None, "phase", torch.device("cpu"))
        amp = resolve_bands(amp_bands, None, None, "amplitude", torch.device("cpu"))
        pha_cycle, amp_cycle = _cycles(cycle)
        if stop > start and (split == "signals" or k1 > k0 or rank() == 0):
            shard = flat[start:stop].to(_device())
            if unit > 1:
                shard = shard.reshape(-1, unit, n_times)
            phase_index, shift = None, None
            if n_perm > 0:
                # The whole dataset's plan, then this rank's part of it: independent of the ranks.
                phase_index, shift = _plan_part(*_plan(x, n_perm, surrogate_name, int(seed), rng, independent,
                                                       window_samples),
                                                slice(k0, k1), slice(start, stop), shard.device)
            n_mine = k1 - k0
            options = _Options(float(fs), *_edges(pha), *_edges(amp), int(n_bins), pha_cycle, amp_cycle,
                               _budget(memory_budget), n_mine, surrogate_name, norm_id, seed, rng, bool(independent),
                               return_surrogates or split == "surrogates", bool(return_dist), nan, measure,
                               None if ndpac_p is None else float(ndpac_p), dcomplex, width, window_samples,
                               step_samples)
            out = _outputs(shard, options, phase_index, shift)
            if split == "surrogates":
                out.pop("z", None)
                out.pop("p", None)
            for name, t in out.items():
                result[name] = t.reshape(stop - start, *t.shape[(2 if unit > 1 else 1):]).cpu()
    except Exception as err:  # reported to every rank below, so that none waits for it
        error = err
    _all_ok(error)

    if out_dir is not None:
        _write_shard(Path(out_dir), result, start, stop, lead, n_perm)
        return None
    gathered: List[Optional[Dict[str, torch.Tensor]]] = [None] * world_size()
    if dist.is_initialized():
        dist.gather_object(result, gathered if rank() == 0 else None, dst=0)
    else:
        gathered = [result]
    if rank() != 0:
        return None
    if split == "surrogates":
        res = _assemble_surrogates([g for g in gathered if g], lead, n_bins, norm_id, n_perm, return_surrogates)
    else:
        res = _assemble([g for g in gathered if g], lead, n_bins)
    res.method = measure
    res.window_centers = _window_centers(window_samples, step_samples, n_times, float(fs))
    return res


def _assemble_surrogates(parts: List[Dict[str, torch.Tensor]], lead: List[int], n_bins: int, norm_id: int,
                         n_perm: int, return_surrogates: bool) -> PACResult:
    """Rank 0's MI and distributions, every rank's block of surrogates in rank order, then z and p."""
    first = parts[0]
    mi = first["mi"]
    if n_perm > 0:
        surrogates = torch.cat([p["surrogates"] for p in parts if "surrogates" in p], dim=-3)
        z, p = torch.ops.gpac.surrogate_stats(mi, surrogates, norm_id)
        # As gpac::pac marks them (nan='propagate'): z and p are NaN where a surrogate is.
        bad = surrogates.isnan().any(-3)
        first = dict(first, z=z.masked_fill(bad, float("nan")), p=p.masked_fill(bad, float("nan")),
                     surrogates=surrogates)
    if not return_surrogates:
        first.pop("surrogates", None)
    return _assemble([first], lead, n_bins)


def _assemble(parts: List[Dict[str, torch.Tensor]], lead: List[int], n_bins: int) -> PACResult:
    joined = {name: torch.cat([p[name] for p in parts]) for name in parts[0]} if parts else {}
    full = {name: t.reshape(*lead, *t.shape[1:]) for name, t in joined.items()}
    return PACResult(mi=full["mi"], z=full.get("z"), p=full.get("p"), surrogates=full.get("surrogates"),
                     amp_dist=full.get("amp_dist"), phase_bin_centers=phase_bin_centers(n_bins))


def _write_shard(out: Path, result: Dict[str, torch.Tensor], start: int, stop: int, lead: List[int],
                 n_perm: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, t in result.items():
        files[name] = f"rank{rank()}.{name}.npy"
        np.save(out / files[name], t.numpy())
    shards: List[Optional[dict]] = [None] * world_size()
    mine = {"rank": rank(), "signals": [start, stop], "files": files}
    if dist.is_initialized():
        dist.all_gather_object(shards, mine)
    else:
        shards = [mine]
    if rank() == 0:
        index = {"leading_shape": lead, "n_perm": n_perm, "signal_axis": "the leading dims flattened, C order",
                 "shards": shards}
        (out / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    if dist.is_initialized():
        dist.barrier()


def load_shards(out_dir, n_bins: int = 18) -> PACResult:
    """The whole result from the shards and index.json that :func:`pac` wrote with ``out_dir``."""
    out = Path(out_dir)
    index = json.loads((out / "index.json").read_text())
    parts = [{name: torch.from_numpy(np.load(out / f)) for name, f in s["files"].items()}
             for s in sorted(index["shards"], key=lambda s: s["signals"][0]) if s["files"]]
    return _assemble(parts, index["leading_shape"], n_bins)
