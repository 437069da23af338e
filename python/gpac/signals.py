"""Synthetic signals with known phase-amplitude coupling."""
from __future__ import annotations

import math

import torch


def coupled_signal(
    fs: float = 512.0,
    duration: float = 10.0,
    pha_hz: float = 6.0,
    amp_hz: float = 80.0,
    coupling: float = 0.9,
    noise: float = 0.5,
    n_signals: int = 1,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Signals whose ``amp_hz`` oscillation is amplitude-modulated by the phase of a ``pha_hz`` rhythm.

    x(t) = sin(2 pi f_p t + phi) + 0.4 (1 + c cos(2 pi f_p t + phi)) sin(2 pi f_a t) / 2 + noise,
    with a random phase offset phi per signal and white Gaussian noise of
    standard deviation ``noise``; c = ``coupling`` in [0, 1] (0: no coupling).

    Returns a tensor of shape (n_signals, round(fs * duration)).
    """
    if not 0.0 <= coupling <= 1.0:
        raise ValueError(f"coupling must be in [0, 1], got {coupling}")
    if not (fs > 2 * max(pha_hz, amp_hz)):
        raise ValueError(f"fs {fs} Hz must exceed twice the highest frequency {max(pha_hz, amp_hz)} Hz")
    gen = torch.Generator().manual_seed(seed)
    n_times = int(round(fs * duration))
    t = torch.arange(n_times, dtype=torch.float64) / fs
    offset = 2 * math.pi * torch.rand(n_signals, 1, generator=gen, dtype=torch.float64)
    slow = 2 * math.pi * pha_hz * t + offset
    envelope = 0.4 * (1 + coupling * torch.cos(slow)) / 2
    x = torch.sin(slow) + envelope * torch.sin(2 * math.pi * amp_hz * t)
    x = x + noise * torch.randn(n_signals, n_times, generator=gen, dtype=torch.float64)
    return x.to(dtype)
