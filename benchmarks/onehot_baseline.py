"""BASELINE, not gPAC: a re-implementation of the predecessor's pure-PyTorch GPU path.

The predecessor (a pure-PyTorch PAC package) computed PAC with dense tensor
algebra: band-pass by grouped ``conv1d`` (forward, then again on the flipped
signal, with copies along the way), the analytic signal by ``torch.fft`` with
the Hilbert multiplier, and the Modulation Index from a ``one_hot`` tensor of
every sample's phase bin broadcast against every amplitude band, i.e. a
(signals, n_pha, n_amp, n_bins, n_times) product summed over time, for all
pairs at once; surrogates were made by concatenating the two swapped blocks of
the amplitude for each permutation and recomputing that product. That product
is what ran out of memory (docs/benchmarks.md). This file
keeps that structure so that benchmarks compare against it; it uses gPAC's
filter taps so that both compute the same quantity. It is not used by gPAC.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import gpac  # noqa: F401  (loads torch.ops.gpac, whose fir_taps the baseline uses)


def _bandpass(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Zero-phase FIR by conv1d forward and backward: x (S, n) -> (S, B, n)."""
    n_bands, width = taps.shape
    if width % 2 == 0:  # conv1d with symmetric padding wants an odd kernel
        taps = F.pad(taps, (0, 1))
        width += 1
    kernels = taps.flip(-1).unsqueeze(1).to(x.dtype)  # conv1d correlates
    expanded = x.unsqueeze(1).expand(-1, n_bands, -1).clone()
    forward = F.conv1d(expanded, kernels, padding=width // 2, groups=n_bands)
    backward = F.conv1d(forward.flip(-1).clone(), kernels, padding=width // 2, groups=n_bands)
    return backward.flip(-1).clone()


def _analytic(x: torch.Tensor) -> torch.Tensor:
    n = x.size(-1)
    spectrum = torch.fft.fft(x, dim=-1)
    h = torch.zeros(n, dtype=x.dtype, device=x.device)
    h[0] = 1
    h[1:(n + 1) // 2] = 2
    if n % 2 == 0:
        h[n // 2] = 1
    return torch.fft.ifft(spectrum * h, dim=-1)


def _mi(one_hot: torch.Tensor, amplitude: torch.Tensor, n_bins: int) -> torch.Tensor:
    """All pairs at once: (S, P, 1, n_bins, n) * (S, 1, A, 1, n) -> (S, P, A, n_bins, n), summed over time."""
    weighted = one_hot.transpose(-1, -2).unsqueeze(2) * amplitude.unsqueeze(1).unsqueeze(3)
    amp_sum = weighted.sum(-1)
    counts = one_hot.sum(-2).unsqueeze(2)
    mean = amp_sum / counts.clamp(min=1)
    p = mean / mean.sum(-1, keepdim=True)
    return 1 + (p * torch.log(p.clamp(min=1e-30))).sum(-1) / math.log(n_bins)


def onehot_modulation_index(x: torch.Tensor, fs: float, pha_bands, amp_bands, n_bins: int = 18,
                            cuts=None) -> torch.Tensor:
    """MI (S, n_pha, n_amp) of x (S, n_times) the predecessor's way (one_hot, broadcast); with
    `cuts`, also the block-swap surrogates (S, n_perm, n_pha, n_amp) as it made them: a swapped
    copy of the amplitude per permutation (torch.cat of the two blocks), then the same broadcast."""
    n_times = x.size(-1)
    pha_taps = torch.ops.gpac.fir_taps(fs, pha_bands[:, 0].tolist(), pha_bands[:, 1].tolist(), n_times, 3,
                                       device=x.device)
    amp_taps = torch.ops.gpac.fir_taps(fs, amp_bands[:, 0].tolist(), amp_bands[:, 1].tolist(), n_times, 6,
                                       device=x.device)
    phase = torch.angle(_analytic(_bandpass(x, pha_taps)))  # (S, P, n)
    amplitude = torch.abs(_analytic(_bandpass(x, amp_taps)))  # (S, A, n)
    edges = torch.linspace(-math.pi, math.pi, n_bins + 1, device=x.device, dtype=phase.dtype)
    bins = torch.bucketize(phase.contiguous(), edges[1:-1])
    one_hot = F.one_hot(bins, n_bins).to(x.dtype)  # (S, P, n, n_bins)
    mi = _mi(one_hot, amplitude, n_bins)
    if cuts is None:
        return mi
    surrogates = [_mi(one_hot, torch.cat([amplitude[..., c:], amplitude[..., :c]], dim=-1), n_bins)
                  for c in cuts.tolist()]
    return mi, torch.stack(surrogates, dim=1)


__all__ = ["onehot_modulation_index"]
