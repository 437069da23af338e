"""Frequency bands: explicit lists, linear ranges and TensorPAC's presets.

Every helper returns a float64 tensor of shape (n_bands, 2) holding [low, high]
in Hz, on the CPU. Band widths follow TensorPAC (Bahramisharif et al. 2013), as
the predecessor's range parameters did: a phase band centred on f spans
[f - f/4, f + f/4] and an amplitude band [f - f/8, f + f/8].
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import torch

#: TensorPAC's resolution presets: number of bands over 2-20 Hz (phase) and
#: 60-160 Hz (amplitude) (csrc/bands.cpp makes them).
PRESETS = {"lres": 10, "mres": 30, "hres": 50, "demon": 70, "hulk": 100}
PRESET_RANGES = {"phase": (2.0, 20.0), "amplitude": (60.0, 160.0)}

BandsLike = Union[str, torch.Tensor, np.ndarray, Sequence[Sequence[float]], Sequence[float]]


def _check_kind(kind: str) -> None:
    if kind not in PRESET_RANGES:
        raise ValueError(f"kind must be 'phase' or 'amplitude', got {kind!r}")


def linear_bands(range_hz: Sequence[float], n_bands: int, kind: str) -> torch.Tensor:
    """Bands centred on ``numpy.linspace(range_hz[0], range_hz[1], n_bands)``.

    ``linear_bands((2, 20), 10, "phase")`` equals TensorPAC's ``'lres'`` phase
    vector: centres 2, 4, ..., 20 Hz, bands [f - f/4, f + f/4].
    """
    if len(range_hz) != 2:
        raise ValueError(f"{kind} range_hz must be (low, high), got {tuple(range_hz)}")
    return torch.ops.gpac.linear_bands(float(range_hz[0]), float(range_hz[1]), int(n_bands), kind)


def preset_bands(name: str, kind: str) -> torch.Tensor:
    """TensorPAC's ``pac_vec`` presets: 'lres' (10), 'mres' (30), 'hres' (50), 'demon' (70), 'hulk' (100)."""
    return torch.ops.gpac.preset_bands(name, kind)


def as_bands(bands: BandsLike, kind: str, device: torch.device | None = None) -> torch.Tensor:
    """Normalises a band specification to a float64 CPU tensor (n_bands, 2).

    Accepts a preset name, a single ``[low, high]`` pair, or ``[[low, high], ...]``
    as nested lists, a NumPy array or a tensor. A tensor on the CPU serves a
    signal on any device; one on another accelerator than the signal
    (``device``) is refused.
    """
    _check_kind(kind)
    if isinstance(bands, str):
        return preset_bands(bands, kind)
    if isinstance(bands, torch.Tensor):
        # Band edges in Hz are host-side parameters: a CPU tensor serves signals
        # on any device, but a tensor on another accelerator than the signal's
        # is most likely a mix-up, so it is refused rather than copied.
        if device is not None and bands.device.type != "cpu" and bands.device != torch.device(device):
            raise ValueError(
                f"{kind} bands are on {bands.device} but the signal is on {device}; "
                "pass bands on the CPU (or as a list), or on the signal's device"
            )
        if bands.is_complex():
            raise ValueError(f"{kind} bands must be real frequencies in Hz, got a complex tensor")
        out = bands.detach().to("cpu", torch.float64)
    else:
        try:
            out = torch.as_tensor(np.asarray(bands, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{kind} bands must be [[low, high], ...] in Hz, got {bands!r}") from err
    if out.dim() == 1 and out.numel() == 2:
        out = out.unsqueeze(0)
    if out.dim() != 2 or out.size(1) != 2 or out.size(0) == 0:
        raise ValueError(
            f"{kind} bands must have shape (n_bands, 2) as [[low, high], ...] in Hz, got shape {tuple(out.shape)}"
        )
    return out.contiguous()


def resolve_bands(
    bands: BandsLike | None,
    range_hz: Sequence[float] | None,
    n_bands: int | None,
    kind: str,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Explicit bands when given, else a linear range (the predecessor's parameters)."""
    if bands is not None:
        return as_bands(bands, kind, device)
    if range_hz is None or n_bands is None:
        raise ValueError(f"give {kind} bands, or both a {kind} range_hz and n_bands")
    return linear_bands(range_hz, n_bands, kind)
