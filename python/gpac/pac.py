"""Phase-amplitude coupling: Tort's Modulation Index with TensorPAC's conventions.

The pipeline: ``gpac::fir_taps`` designs the band-pass filters (TensorPAC's
``fir_order`` + ``fir1``); ``gpac::modulation_index`` then runs, over chunks of
signals (and of bands) that fit a memory budget, ``gpac::filter_hilbert``
(filtfilt-exact band-pass and TensorPAC's padded Hilbert transform, from one
forward FFT per signal) and ``gpac::mi_scatter`` (phase bins, binned amplitude
sums, MI).

Differences from TensorPAC, on purpose: the per-bin sample counts are counted
per signal and per phase band (Tort's definition), while TensorPAC divides by
counts pooled over every phase band and trial of a call. The two agree when one
phase band and one trial are passed per call. An empty phase bin adds nothing
(0 log 0 = 0) and a signal whose amplitude is identically zero has MI = 0.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .bands import BandsLike, resolve_bands


def fir_taps(fs: float, band: Sequence[float], n_times: int, cycle: int = 3) -> torch.Tensor:
    """Band-pass taps exactly as TensorPAC designs them, float64, shape (order + 1,).

    Equals ``tensorpac.spectral.fir1(fir_order(fs, n_times, band[0], cycle),
    np.array(band) / (fs / 2))[0]``: a least-squares FIR (MATLAB ``fir1``
    emulated through ``firls``) of order ``cycle * (fs // band[0])``, clipped to
    ``(n_times - 1) // 3`` for short signals, Hamming-windowed, with unit gain at
    the band centre.
    """
    if len(band) != 2:
        raise ValueError(f"band must be [low, high] in Hz, got {band!r}")
    return torch.ops.gpac.fir_taps(float(fs), [float(band[0])], [float(band[1])], int(n_times), int(cycle))[0]


def _mi_pipeline(
    x: torch.Tensor,
    fs: float,
    pha_low: List[float],
    pha_high: List[float],
    amp_low: List[float],
    amp_high: List[float],
    n_bins: int,
    pha_cycle: int,
    amp_cycle: int,
    memory_budget: int,
) -> torch.Tensor:
    """MI of signals x (..., n_times) -> (..., n_pha, n_amp). TorchScript-compatible."""
    # Checked before the filter design, which needs n_times.
    if x.dim() == 0:
        raise ValueError("x is a 0-dim tensor; expected signals of shape (..., n_times)")
    if x.numel() == 0:
        raise ValueError(f"x is empty (shape {list(x.shape)}); expected signals of shape (..., n_times)")
    n_times = x.size(-1)
    pha_taps = torch.ops.gpac.fir_taps(fs, pha_low, pha_high, n_times, pha_cycle, "phase band", device=x.device)
    amp_taps = torch.ops.gpac.fir_taps(fs, amp_low, amp_high, n_times, amp_cycle, "amplitude band", device=x.device)
    mi, _, _ = torch.ops.gpac.modulation_index(x, pha_taps, amp_taps, n_bins, memory_budget)
    return mi


def _as_signals(x) -> torch.Tensor:
    """Tensors pass as they are; arrays and nested lists keep NumPy's dtype (float64 for floats)."""
    if isinstance(x, torch.Tensor):
        return x
    arr = np.asarray(x)
    if any(stride < 0 for stride in arr.strides):  # reversed views: torch needs a copy
        arr = arr.copy()
    return torch.from_numpy(arr)


def _cycles(cycle: Sequence[int]) -> Tuple[int, int]:
    if len(cycle) != 2 or any(int(c) != c for c in cycle):
        raise ValueError(f"cycle must be two integers (phase, amplitude), got {cycle!r}")
    return int(cycle[0]), int(cycle[1])


def _budget(memory_budget: int | None) -> int:
    return 0 if memory_budget is None else int(memory_budget)  # 0: the op's default


def _edges(bands: torch.Tensor) -> Tuple[List[float], List[float]]:
    return bands[:, 0].tolist(), bands[:, 1].tolist()


def modulation_index(
    x,
    fs: float,
    pha_bands: BandsLike,
    amp_bands: BandsLike,
    n_bins: int = 18,
    cycle: Sequence[int] = (3, 6),
    memory_budget: int | None = None,
) -> torch.Tensor:
    """Tort's Modulation Index of every (phase band, amplitude band) pair.

    Parameters
    ----------
    x : tensor or array, shape (..., n_times)
        Real signals, float32 or float64 (integer recordings are computed in
        float32), on any device the ops support.
    fs : float
        Sampling frequency in Hz.
    pha_bands, amp_bands : (n, 2) tensor, ``[[low, high], ...]``, or preset
        Bands in Hz, or TensorPAC's presets ``'lres'``, ``'mres'``, ``'hres'``.
    n_bins : int
        Number of phase bins (18, as TensorPAC).
    cycle : (int, int)
        Filter lengths in cycles of each band's low edge, for phase and
        amplitude bands (TensorPAC's (3, 6)).
    memory_budget : int, optional
        Bytes of working memory (phases, amplitudes, transforms) on x's
        device; inputs that need more are processed in chunks of signals,
        then of bands. Default 512 MiB. The result does not depend on it.

    Returns
    -------
    mi : tensor, shape (..., n_pha, n_amp)
        In x's dtype, on x's device. TensorPAC's ``Pac(idpac=(2, 0, 0))`` gives
        the same values, transposed to (n_amp, n_pha), when called with one
        phase band and one trial at a time (see the module notes).
    """
    x = _as_signals(x)
    pha = resolve_bands(pha_bands, None, None, "phase", x.device)
    amp = resolve_bands(amp_bands, None, None, "amplitude", x.device)
    pha_cycle, amp_cycle = _cycles(cycle)
    return _mi_pipeline(x, float(fs), *_edges(pha), *_edges(amp), int(n_bins), pha_cycle, amp_cycle,
                        _budget(memory_budget))


class PAC(nn.Module):
    """Phase-amplitude coupling (Tort's MI) as a module; scriptable with ``torch.jit.script``.

    Bands are either explicit (``pha_bands`` / ``amp_bands``: ``[[low, high], ...]``
    in Hz, an (n, 2) tensor, or a TensorPAC preset 'lres' / 'mres' / 'hres') or
    linear ranges as the predecessor offered (``pha_range_hz=(2, 20),
    pha_n_bands=10``: centres ``linspace(2, 20, 10)``, widths as TensorPAC).

    ``forward(x)`` takes signals (..., n_times) and returns ``{"mi": (..., n_pha, n_amp)}``.
    ``memory_budget`` bounds the working memory as in :func:`modulation_index`.
    """

    def __init__(
        self,
        fs: float,
        pha_bands: BandsLike | None = None,
        amp_bands: BandsLike | None = None,
        n_bins: int = 18,
        cycle: Sequence[int] = (3, 6),
        *,
        pha_range_hz: Sequence[float] = (2.0, 20.0),
        pha_n_bands: int = 10,
        amp_range_hz: Sequence[float] = (60.0, 160.0),
        amp_n_bands: int = 10,
        memory_budget: int | None = None,
    ):
        super().__init__()
        pha = resolve_bands(pha_bands, pha_range_hz, pha_n_bands, "phase")
        amp = resolve_bands(amp_bands, amp_range_hz, amp_n_bands, "amplitude")
        self.fs = float(fs)
        self.n_bins = int(n_bins)
        self.memory_budget = _budget(memory_budget)
        self.pha_cycle, self.amp_cycle = _cycles(cycle)
        self.pha_low, self.pha_high = _edges(pha)
        self.amp_low, self.amp_high = _edges(amp)
        # The ops' own checks, on shapes only (meta device), for a clear error at
        # construction: the taps are designed at forward time, for the signal length.
        n = 1 << 30
        meta = torch.device("meta")
        pha_taps = torch.ops.gpac.fir_taps(self.fs, self.pha_low, self.pha_high, n, self.pha_cycle, "phase band",
                                           device=meta)
        amp_taps = torch.ops.gpac.fir_taps(self.fs, self.amp_low, self.amp_high, n, self.amp_cycle, "amplitude band",
                                           device=meta)
        torch.ops.gpac.modulation_index(torch.empty(1, n, device=meta), pha_taps, amp_taps, self.n_bins,
                                        self.memory_budget)
        self.register_buffer("pha_bands_hz", pha, persistent=False)
        self.register_buffer("amp_bands_hz", amp, persistent=False)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        mi = _mi_pipeline(
            x, self.fs, self.pha_low, self.pha_high, self.amp_low, self.amp_high,
            self.n_bins, self.pha_cycle, self.amp_cycle, self.memory_budget,
        )
        return {"mi": mi}

    def extra_repr(self) -> str:
        return f"fs={self.fs}, n_pha={len(self.pha_low)}, n_amp={len(self.amp_low)}, n_bins={self.n_bins}"
