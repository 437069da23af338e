"""Event-related PAC: the coupling across trials at each time point (TensorPAC's
``EventRelatedPac``).

The signals of every trial go through the same filter and Hilbert stage as :func:`gpac.pac`
(``gpac::filter_hilbert``, one forward FFT per trial); ``gpac::event_related_pac`` then
reduces across trials at each time point, with the surrogates' trial permutations applied
as index arithmetic, keeping only what the p-values need.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch

from .bands import BandsLike
from .pac import (_band_edges, _budget, _check_mcp, _check_signals, _corrected, _cycles, _decomposition, _draw_seed,
                  _signals_and_fs, _surrogate_pvalues)

#: Event-related PAC measures (TensorPAC's EventRelatedPac.fit(method=...)).
ERPAC_METHODS = ("circular", "gc")
# What one trial set costs while it is reduced, per sample of each band: its
# phase and amplitude, their cos, sin or copula-normalised copies, the FFT's temporaries.
_BYTES_PER_BAND_SAMPLE = 64


@dataclass
class ERPACResult:
    """What :func:`erpac` returns. Arrays keep the leading dims of x before its trial axis.

    Attributes
    ----------
    erpac : (..., n_pha, n_amp, n_times)
        The coupling across trials at each time point: Voytek's circular-linear correlation
        ('circular') or the Gaussian-copula MI in bits ('gc').
    p : (..., n_pha, n_amp, n_times) or None
        The p-values corrected by ``mcp`` over the (n_pha, n_amp, n_times) cells of each
        leading index (see :func:`erpac`); None for 'gc' without surrogates.
    p_uncorrected : (..., n_pha, n_amp, n_times) or None
        Before the correction: the chi-square p-value of the circular correlation, or the share
        of surrogates reaching each cell's value (at least 1 / n_perm).
    times : (n_times,)
        The time of each sample in seconds from the first.
    method : str
        'circular' or 'gc'.
    """

    erpac: torch.Tensor
    p: Optional[torch.Tensor]
    p_uncorrected: Optional[torch.Tensor]
    times: torch.Tensor
    method: str


def _trial_order(n_perm: int, n_trials: int, seed: int, device: torch.device) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    orders = [torch.randperm(n_trials, generator=generator) for _ in range(n_perm)]
    return torch.stack(orders).to(device)


def erpac(
    x,
    fs: Optional[float],
    pha_bands: BandsLike,
    amp_bands: BandsLike,
    *,
    method: str = "circular",
    smooth: Optional[int] = None,
    n_perm: int = 0,
    mcp: str = "fdr",
    p: float = 0.05,
    seed: Optional[int] = None,
    trial_order: Optional[torch.Tensor] = None,
    cycle: Sequence[int] = (3, 6),
    dcomplex: str = "hilbert",
    width: float = 7.0,
    memory_budget: Optional[int] = None,
) -> ERPACResult:
    """Event-related phase-amplitude coupling, as TensorPAC's ``EventRelatedPac.filterfit``.

    Parameters
    ----------
    x : tensor or array (..., n_trials, n_times), or an MNE Epochs object
        Trials of each signal (channel) on axis -2; the coupling is computed across them.
    fs : float or None
        Sampling frequency in Hz (None for an MNE object).
    pha_bands, amp_bands
        As :func:`gpac.pac` (a preset name, [low, high] pairs or TensorPAC's (start, stop,
        width, step)).
    method : {'circular', 'gc'}
        'circular': Voytek 2013's circular-linear correlation between the amplitude and the
        phase's (cos, sin) across trials, with its chi-square (2 dof) p-value
        exp(-n_trials rho^2 / 2). 'gc': Ince 2017's Gaussian-copula mutual information in bits
        between the phase's (cos, sin) and the amplitude, each copula-normalised across trials.
    smooth : int, optional
        'gc' only: half a window in samples. The MI of the samples pooled over every window
        [k - smooth, k + smooth], then at each time point the mean over the windows covering
        it (TensorPAC's smoothing). Needs 2 * smooth < n_times.
    n_perm : int
        Surrogates: the phase of each trial paired with the amplitude of another, one random
        permutation of the trials per surrogate (TensorPAC's swap_erpac_trials). With n_perm > 0
        the p-values come from them, for either method: the share of surrogates reaching the
        observed value (at least 1 / n_perm), corrected by ``mcp``.
    mcp : {'fdr', 'bonferroni', 'maxstat'}
        The correction over the cells. Without surrogates (circular only): MNE's
        ``fdr_correction`` or ``bonferroni_correction`` of the chi-square p-values, as TensorPAC
        returns them (not thresholded). With surrogates, TensorPAC's ``_infer_pvalues``: cells
        not significant at ``p`` are set to 1; 'maxstat' compares each cell with every
        surrogate's maximum over the cells. (TensorPAC's 'gc' ignores its ``mcp`` and always
        uses maxstat: pass ``mcp='maxstat'`` to reproduce it.)
    p : float
        Significance level in (0, 1).
    seed : int, optional
        Seed of the trial permutations (``torch.Generator().manual_seed(seed)``); None draws one.
    trial_order : (n_perm, n_trials) int64 tensor, optional
        The surrogates' trial permutations, instead of drawing them (surrogate k pairs the
        phase of trial ``trial_order[k, t]`` with the amplitude of trial t); n_perm must then be
        0 or its number of rows.
    cycle, dcomplex, width, memory_budget
        As :func:`gpac.pac`. The budget bounds the signals reduced at once (whole trial sets).

    Returns
    -------
    ERPACResult
    """
    x, fs = _signals_and_fs(x, fs)
    _check_signals(x)
    if method not in ERPAC_METHODS:
        raise ValueError(f"method must be 'circular' (Voytek's circular-linear correlation) or 'gc' "
                         f"(Gaussian-copula MI), got {method!r}")
    if x.dim() < 2 or x.size(-2) < 2:
        raise ValueError(f"event-related PAC correlates across trials: x must be (..., n_trials, n_times) with "
                         f"n_trials >= 2, got shape {list(x.shape)}")
    if smooth is not None and method != "gc":
        raise ValueError(f"smooth (TensorPAC's temporal smoothing) applies to method 'gc' only; method {method!r} "
                         f"takes none, got smooth={smooth!r}")
    smooth = 0 if smooth is None else int(smooth)
    _check_mcp(mcp, p)
    n_trials, n_times = x.size(-2), x.size(-1)
    n_perm = int(n_perm)
    if n_perm < 0:
        raise ValueError(f"n_perm must be >= 0, got {n_perm}")
    if trial_order is not None:
        if n_perm not in (0, trial_order.size(0)):
            raise ValueError(f"trial_order has {trial_order.size(0)} rows but n_perm is {n_perm}; pass n_perm=0 or "
                             f"the plan's rows")
        n_perm = trial_order.size(0)
        trial_order = trial_order.to(x.device)
    elif n_perm > 0:
        trial_order = _trial_order(n_perm, n_trials, _draw_seed() if seed is None else int(seed), x.device)
    if n_perm == 0 and method == "gc":
        corrected_needs = None
    elif n_perm == 0 and mcp == "maxstat":
        raise ValueError("mcp='maxstat' compares with the surrogates' maxima: it needs n_perm > 0")
    else:
        corrected_needs = mcp
    pha_low, pha_high = _band_edges(pha_bands, "phase", x.device)
    amp_low, amp_high = _band_edges(amp_bands, "amplitude", x.device)
    pha_cycle, amp_cycle = _cycles(cycle)
    dcomplex, width = _decomposition(dcomplex, width)
    ops = torch.ops.gpac
    if dcomplex == "wavelet":
        pha_taps = ops.morlet_wavelets(float(fs), pha_low, pha_high, width, "phase band", device=x.device)
        amp_taps = ops.morlet_wavelets(float(fs), amp_low, amp_high, width, "amplitude band", device=x.device)
    else:
        pha_taps = ops.fir_taps(float(fs), pha_low, pha_high, n_times, pha_cycle, "phase band", device=x.device)
        amp_taps = ops.fir_taps(float(fs), amp_low, amp_high, n_times, amp_cycle, "amplitude band", device=x.device)

    lead = x.shape[:-2]
    sets = x.reshape(-1, n_trials, n_times)
    per_set = n_trials * n_times * (len(pha_low) + len(amp_low)) * _BYTES_PER_BAND_SAMPLE
    budget = _budget(memory_budget) or (512 << 20)
    chunk = max(1, budget // per_set)
    parts = []
    for start in range(0, sets.size(0), chunk):
        phase, amplitude = ops.filter_hilbert(sets[start:start + chunk], pha_taps, amp_taps)
        parts.append(ops.event_related_pac(phase, amplitude, method, smooth, trial_order))
    value, chi2_p, exceed, surrogate_max = (torch.cat([part[i] for part in parts]) for i in range(4))
    cells = (len(pha_low), len(amp_low), n_times)
    value = value.view(*lead, *cells)
    p_raw = corrected = None
    if n_perm > 0:
        over_max = (value.unsqueeze(-1) <= surrogate_max.view(*lead, 1, 1, 1, n_perm)).sum(-1)
        counts = over_max if mcp == "maxstat" else exceed.view(*lead, *cells)
        p_raw = (exceed.view(*lead, *cells).double() / n_perm).clamp_min(1.0 / n_perm)
        corrected = _surrogate_pvalues(counts, n_perm, mcp, p, 3)
    elif corrected_needs is not None:
        p_raw = chi2_p.view(*lead, *cells)
        corrected = _corrected(p_raw, mcp, p, 3)[0]
    times = torch.arange(n_times, dtype=torch.float64) / float(fs)
    return ERPACResult(value, corrected, p_raw, times, method)
