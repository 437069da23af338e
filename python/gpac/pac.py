"""Phase-amplitude coupling: Tort's Modulation Index with TensorPAC's conventions,
and its surrogate statistics.

The pipeline: ``gpac::fir_taps`` designs the band-pass filters (TensorPAC's
``fir_order`` + ``fir1``); ``gpac::modulation_index`` then runs, over chunks of
signals (and of bands) that fit a memory budget, ``gpac::filter_hilbert``
(filtfilt-exact band-pass and TensorPAC's padded Hilbert transform, from one
forward FFT per signal) and ``gpac::mi_scatter`` (phase bins, binned amplitude
sums, MI, and the surrogates' MI as index arithmetic: no shifted copy of any
amplitude is made). ``gpac::surrogate_plan`` draws which cut, lag or trial
permutation each surrogate uses, once per call, on the host.

Differences from TensorPAC, on purpose: the per-bin sample counts are counted
per signal and per phase band (Tort's definition), while TensorPAC divides by
counts pooled over every phase band and trial of a call. The two agree when one
phase band and one trial are passed per call. An empty phase bin adds nothing
(0 log 0 = 0) and a signal whose amplitude is identically zero has MI = 0.
TensorPAC's p-values are max-statistics over the trial-averaged MI; gPAC's are
per cell, (1 + #{surrogate >= observed}) / (1 + n_perm).
"""
from __future__ import annotations

import functools
import math
import sys
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .bands import BandsLike, resolve_bands

#: Normalisations of the MI by its surrogates, as TensorPAC's idpac[2] numbers them.
NORMS = {"none": 0, "subtract": 1, "divide": 2, "subtract_divide": 3, "zscore": 4}
#: Surrogate methods, as TensorPAC's idpac[1] numbers them.
SURROGATES = {"swap_trials": 1, "block_swap": 2, "time_lag": 3}


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


def phase_bin_centers(n_bins: int = 18) -> torch.Tensor:
    """Centres (float64, radians) of the phase bins the MI uses: edges
    ``linspace(-pi - eps, pi + eps, n_bins + 1)`` with eps = 2 * float64 epsilon
    (phases are binned in float64 whatever the signal dtype)."""
    return _bin_centers(int(n_bins)).clone()


@functools.lru_cache(maxsize=16)
def _bin_centers(n_bins: int) -> torch.Tensor:
    eps = 2 * float(np.finfo(np.float64).eps)
    edges = np.linspace(-np.pi - eps, np.pi + eps, n_bins + 1)
    return torch.from_numpy((edges[:-1] + edges[1:]) / 2)


# --- the scriptable core (used by pac(), modulation_index() and PAC) --------


def _check_signals(x: torch.Tensor) -> None:
    # Checked before the filter design, which needs n_times.
    if x.dim() == 0:
        raise ValueError("x is a 0-dim tensor; expected signals of shape (..., n_times)")
    if x.numel() == 0:
        raise ValueError(f"x is empty (shape {list(x.shape)}); expected signals of shape (..., n_times)")


def _plan(x: torch.Tensor, n_perm: int, surrogate: str, seed: int, rng: str, independent: bool,
          window: int = 0) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
    """(phase_index or None, shift) for n_perm surrogates of x's signals, the whole call's plan
    that chunks of it (gpac.distributed, the progress bar) take their parts of. With a window
    (samples), the shifts are within it, as gpac::pac draws them."""
    n_trials = 1
    if surrogate == "swap_trials":
        if x.dim() < 2:
            raise ValueError("surrogate='swap_trials' needs a trial axis: x of shape (..., n_trials, n_times)")
        n_trials = x.size(-2)
    phase_index, shift = torch.ops.gpac.surrogate_plan(n_perm, x.numel() // x.size(-1), window or x.size(-1),
                                                       surrogate, seed, rng, independent, n_trials, device=x.device)
    if surrogate == "swap_trials":
        return phase_index, shift
    return None, shift


def _plan_part(phase_index: Optional[torch.Tensor], shift: torch.Tensor, surrogates: slice, signals: slice,
               device: torch.device) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
    """The given surrogates of the given signals (whole trial sets) of a plan from _plan, on
    `device`, phase indices made relative to the first of those signals."""
    part = shift[surrogates, signals].contiguous().to(device)
    if phase_index is None:
        return None, part
    return (phase_index[surrogates, signals] - signals.start).contiguous().to(device), part


def _draw_seed() -> int:
    return int(torch.randint(0, 2147483647, [1]).item())


class _Options(NamedTuple):
    """Every option of one call, as gpac::pac's schema (and C++'s PacOptions) orders them, plus
    what the Python layer keeps (whether to return the surrogates). seed None: drawn per call."""

    fs: float
    pha_low: List[float]
    pha_high: List[float]
    amp_low: List[float]
    amp_high: List[float]
    n_bins: int
    pha_cycle: int
    amp_cycle: int
    memory_budget: int
    n_perm: int
    surrogate: str
    norm: int
    seed: Optional[int]
    rng: str
    independent: bool
    return_surrogates: bool
    return_dist: bool
    nan: str
    method: str
    ndpac_p: Optional[float]
    dcomplex: str
    width: float
    window: int
    step: int


def _outputs(x: torch.Tensor, o: _Options, plan_phase_index: Optional[torch.Tensor] = None,
             plan_shift: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """Everything one call computes, by name: mi, and z, p, surrogates, amp_dist as asked. The
    surrogate plan is drawn from o.seed unless given (plan_shift; gpac.distributed passes each
    shard its columns of the whole dataset's plan). One gpac::pac call, which is differentiable
    with respect to x (its C++ Autograd kernel composes the differentiable ops)."""
    _check_signals(x)
    seed = o.seed
    if seed is None and o.n_perm > 0:
        seed = _draw_seed()
    mi, z, p, surrogates, amp_dist = torch.ops.gpac.pac(
        x, o.fs, o.pha_low, o.pha_high, o.amp_low, o.amp_high, o.n_bins, o.pha_cycle, o.amp_cycle, o.memory_budget,
        o.n_perm, o.surrogate, o.norm, 0 if seed is None else seed, o.rng, o.independent, o.return_dist, o.nan,
        plan_phase_index, plan_shift, o.method, o.ndpac_p, o.dcomplex, o.width, o.window, o.step)
    out: Dict[str, torch.Tensor] = {"mi": mi}
    if o.n_perm > 0:
        out["z"], out["p"] = z, p
        if o.return_surrogates:
            out["surrogates"] = surrogates
    if o.return_dist:
        out["amp_dist"] = amp_dist
    return out


# --- argument handling -------------------------------------------------------


def _mne_data(x) -> Optional[Tuple[np.ndarray, float]]:
    """(data, sfreq) of an MNE-Python Raw or Epochs object, else None. Raw gives
    (n_channels, n_times); Epochs (n_channels, n_epochs, n_times), so that the
    epochs are the trial axis (-2) that surrogate='swap_trials' permutes."""
    module = type(x).__module__ or ""
    if not module.startswith("mne") or not hasattr(x, "get_data") or not hasattr(x, "info"):
        return None
    data = np.asarray(x.get_data())
    if data.ndim == 3:  # Epochs: (n_epochs, n_channels, n_times)
        data = data.transpose(1, 0, 2)
    return data, float(x.info["sfreq"])


def _as_signals(x) -> torch.Tensor:
    """Tensors pass as they are; arrays and nested lists keep NumPy's dtype (float64 for floats)."""
    if isinstance(x, torch.Tensor):
        return x
    arr = np.asarray(x)
    if any(stride < 0 for stride in arr.strides):  # reversed views: torch needs a copy
        arr = arr.copy()
    with warnings.catch_warnings():  # read-only arrays (memory-mapped .npy): gPAC never writes to its input
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(arr)


def _signals_and_fs(x, fs: Optional[float]) -> Tuple[torch.Tensor, float]:
    """The signals as a tensor and the sampling frequency, taken from an MNE object when x is one."""
    mne = _mne_data(x)
    if mne is not None:
        data, sfreq = mne
        if fs is not None and float(fs) != sfreq:
            raise ValueError(f"fs={fs} Hz differs from the MNE object's sampling frequency {sfreq} Hz; omit fs")
        return torch.from_numpy(np.ascontiguousarray(data)), sfreq
    if fs is None:
        raise ValueError("fs (the sampling frequency in Hz) is required unless x is an MNE Raw or Epochs object")
    return _as_signals(x), float(fs)


def _decomposition(dcomplex: str, width: float) -> Tuple[str, float]:
    """dcomplex and width checked (the op checks them too; this names the Python arguments)."""
    if dcomplex not in ("hilbert", "wavelet"):
        raise ValueError(f"dcomplex must be 'hilbert' (FIR band-pass and analytic signal) or 'wavelet' (Morlet), "
                         f"got {dcomplex!r}")
    if not (isinstance(width, (int, float)) and math.isfinite(width) and width > 0):
        raise ValueError(f"width (the Morlet wavelet's number of cycles) must be a positive number, got {width!r}")
    return dcomplex, float(width)


def _windows(window: Optional[float], step: Optional[float], fs: float) -> Tuple[int, int]:
    """(window, step) in samples from seconds; (0, 0) without a window. The op checks them against
    the recording and the bands."""
    if window is None:
        if step is not None:
            raise ValueError(f"step={step!r} needs a window (seconds): pass window= as well")
        return 0, 0
    for name, value in (("window", window), ("step", step)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    # Half a sample rounds up, as gpac_run's std::llround rounds these positive counts (Python's round()
    # would round to even).
    length = math.floor(window * fs + 0.5)
    stride = math.floor((window if step is None else step) * fs + 0.5)
    if stride < 1:
        raise ValueError(f"step={step!r} s is shorter than one sample at fs={fs:g} Hz")
    return length, stride


def _window_centers(window: int, step: int, n_times: int, fs: float) -> Optional[torch.Tensor]:
    """Each window's centre in seconds from the first sample (sample i at i / fs)."""
    if window == 0:
        return None
    starts = torch.arange(0, n_times - window + 1, step, dtype=torch.float64)
    return (starts + (window - 1) / 2) / fs


def _cycles(cycle: Sequence[int]) -> Tuple[int, int]:
    if len(cycle) != 2 or any(int(c) != c for c in cycle):
        raise ValueError(f"cycle must be two integers (phase, amplitude), got {cycle!r}")
    return int(cycle[0]), int(cycle[1])


def _budget(memory_budget: int | None) -> int:
    return 0 if memory_budget is None else int(memory_budget)  # 0: the op's default


def _edges(bands: torch.Tensor) -> Tuple[List[float], List[float]]:
    return bands[:, 0].tolist(), bands[:, 1].tolist()


@functools.lru_cache(maxsize=64)
def _preset_edges(name: str, kind: str) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
    low, high = _edges(resolve_bands(name, None, None, kind))
    return tuple(low), tuple(high)


def _band_edges(bands: BandsLike, kind: str, device: torch.device) -> Tuple[List[float], List[float]]:
    """(low, high) edge lists of a band specification for signals on `device`; presets are
    parsed once per process."""
    if isinstance(bands, str):
        low, high = _preset_edges(bands, kind)
        return list(low), list(high)
    return _edges(resolve_bands(bands, None, None, kind, device))


def _bands_key(bands: BandsLike) -> Optional[Tuple]:
    """A hashable stand-in for a band specification: the preset's name, or the values of a
    CPU tensor, an array or nested lists (with their shape); None for anything else (a tensor
    on an accelerator: reading it would wait for the device)."""
    if isinstance(bands, str):
        return ("preset", bands)
    if isinstance(bands, torch.Tensor):
        if bands.device.type != "cpu" or bands.is_complex():
            return None
        return ("values", tuple(bands.shape), tuple(bands.detach().reshape(-1).tolist()))
    if isinstance(bands, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(bands, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        return ("values", arr.shape, tuple(arr.reshape(-1).tolist()))
    return None


# The checked options of recent call signatures (everything but x and the seed), so that a
# loop of calls with the same arguments checks and parses them once. Bounded: cleared when full.
_CALL_OPTIONS: Dict[Tuple, "_Options"] = {}
_CALL_OPTIONS_MAX = 256


def _surrogate_name(surrogate) -> str:
    names = {v: k for k, v in SURROGATES.items()}
    if surrogate in SURROGATES:
        return surrogate
    if isinstance(surrogate, int) and surrogate in names:
        return names[surrogate]
    raise ValueError(f"surrogate must be one of {sorted(SURROGATES)} (or TensorPAC's 1, 2, 3), got {surrogate!r}")


def _norm_id(norm) -> int:
    if norm is None:
        return 0
    if isinstance(norm, str) and norm in NORMS:
        return NORMS[norm]
    if isinstance(norm, int) and norm in NORMS.values():
        return norm
    raise ValueError(f"norm must be one of {sorted(NORMS)} (or TensorPAC's 0-4), got {norm!r}")


METHODS = {"mvl": 1, "mi": 2, "hr": 3, "ndpac": 4, "ps": 5, "gc": 6}  # TensorPAC's idpac[0]


def _benjamini_hochberg(pvalues: torch.Tensor, alpha: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """MNE's fdr_correction (method 'indep') along the last axis: (corrected, significant)."""
    n = pvalues.size(-1)
    ordered, order = pvalues.sort(dim=-1, stable=True)
    ecdf = torch.arange(1, n + 1, dtype=pvalues.dtype, device=pvalues.device) / n
    below = ordered < ecdf * alpha
    # every hypothesis up to the largest rank below its line is rejected
    rank = torch.arange(n, device=pvalues.device).expand_as(below)
    last = torch.where(below, rank, torch.full_like(rank, -1)).amax(-1, keepdim=True)
    reject = (rank < last) | below
    raw = ordered / ecdf
    corrected = raw.flip(-1).cummin(-1).values.flip(-1).clamp_max(1.0)
    # back to the cells' order: scattered to where each sorted value came from (no second sort)
    def unsorted(t):
        return torch.empty_like(t).scatter_(-1, order, t)

    return unsorted(corrected), unsorted(reject)


def _check_mcp(mcp: str, p: float) -> None:
    if mcp not in ("maxstat", "fdr", "bonferroni"):
        raise ValueError(f"mcp must be 'maxstat', 'fdr' or 'bonferroni', got {mcp!r}")
    if not (isinstance(p, (int, float)) and 0 < p < 1):
        raise ValueError(f"p (the significance level) must be in (0, 1), got {p!r}")


def _corrected(pvalues: torch.Tensor, mcp: str, p: float, cell_dims: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """MNE's bonferroni_correction or fdr_correction over the last cell_dims dims:
    (corrected, significant at p)."""
    cells = pvalues.flatten(-cell_dims)
    if mcp == "bonferroni":
        corrected = (cells * cells.size(-1)).clamp_max(1.0)
        significant = corrected < p
    else:
        corrected, significant = _benjamini_hochberg(cells, p)
    return corrected.view(pvalues.shape), significant.view(pvalues.shape)


def _surrogate_pvalues(counts: torch.Tensor, n_perm: int, mcp: str, p: float, cell_dims: int) -> torch.Tensor:
    """TensorPAC's _infer_pvalues from counts of surrogates reaching each cell's value (for
    'maxstat', of surrogates whose maximum over the cells does): p = count / n_perm, at least
    1 / n_perm, corrected over the last cell_dims dims; cells not significant at p set to 1."""
    pvalues = counts.double() / n_perm
    if mcp == "maxstat":
        return pvalues.masked_fill(pvalues >= p, 1.0).clamp_min(1.0 / n_perm)
    corrected, significant = _corrected(pvalues.clamp_min(1.0 / n_perm), mcp, p, cell_dims)
    return corrected.masked_fill(~significant, 1.0)


def _method_name(method) -> str:
    if isinstance(method, str) and method in METHODS:
        return method
    if isinstance(method, int) and not isinstance(method, bool):
        for name, idpac in METHODS.items():
            if idpac == method:
                return name
    raise ValueError(f"method must be one of {sorted(METHODS)} (or TensorPAC's idpac[0] 1 to 6), got {method!r}")


def _stat_options(n_perm: int, surrogate, norm, rng: str) -> Tuple[str, int]:
    name, norm_id = _surrogate_name(surrogate), _norm_id(norm)
    if rng not in ("torch", "tensorpac"):
        raise ValueError(f"rng must be 'torch' or 'tensorpac', got {rng!r}")
    if int(n_perm) < 0:
        raise ValueError(f"n_perm must be >= 0, got {n_perm}")
    if norm_id == 4 and int(n_perm) == 1:
        raise ValueError("norm='zscore' needs n_perm >= 2 surrogates for a standard deviation")
    return name, norm_id


# --- the functional API ------------------------------------------------------


def _circular_mean(amp_dist: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """The angle of sum_k amp_dist_k exp(i centre_k) over the last dim."""
    return torch.atan2((amp_dist * centers.sin()).sum(-1), (amp_dist * centers.cos()).sum(-1))


class PreferredPhase(NamedTuple):
    """Preferred phase (radians, (..., n_pha, n_amp)) of each pair."""

    peak: torch.Tensor  #: centre of the phase bin with the largest mean amplitude
    circular_mean: torch.Tensor  #: angle of sum_k amp_dist_k exp(i centre_k)


@dataclass
class PACResult:
    """What :func:`pac` returns. Arrays keep the input's leading dims.

    Attributes
    ----------
    mi : (..., n_pha, n_amp)
        The coupling measure of ``method``: Tort's Modulation Index by default
        (also reachable as ``pac``, whatever the method).
    z : (..., n_pha, n_amp) or None
        The measure normalised by its surrogates (``norm``; a z-score by default).
    p : (..., n_pha, n_amp) or None
        (1 + #{surrogate >= observed}) / (1 + n_perm), per cell.
    surrogates : (..., n_perm, n_pha, n_amp) or None
        The surrogates' measure, when ``return_surrogates``.
    amp_dist : (..., n_pha, n_amp, n_bins) or None
        Mean amplitude per phase bin, normalised to sum 1, when ``return_dist``.
    phase_bin_centers : (n_bins,)
        Centres of the phase bins, radians.
    method : str
        The coupling measure (see :func:`pac`).
    window_centers : (n_windows,) or None
        With ``window``: each window's centre in seconds from the first sample; every array
        then has an n_windows axis before (n_pha, n_amp), and the surrogates (..., n_windows,
        n_perm, n_pha, n_amp).
    """

    mi: torch.Tensor
    z: Optional[torch.Tensor]
    p: Optional[torch.Tensor]
    surrogates: Optional[torch.Tensor]
    amp_dist: Optional[torch.Tensor]
    phase_bin_centers: torch.Tensor
    method: str = "mi"
    window_centers: Optional[torch.Tensor] = None
    #: every surrogate, kept (even without return_surrogates) for pvalues_corrected
    all_surrogates: Optional[torch.Tensor] = field(default=None, repr=False)

    def pvalues_corrected(self, mcp: str = "maxstat", p: float = 0.05) -> torch.Tensor:
        """P-values corrected for multiple comparisons over the (n_pha, n_amp) cells, as
        TensorPAC's ``Pac.infer_pvalues(p, mcp)``.

        The measure and its surrogates are first averaged over the trials: axis -3 of ``mi``
        (the last leading dim of the signals; a single signal is its own average), as
        TensorPAC averages its epochs. With windows, each window's cells are corrected on their
        own, the trials (axis -4) averaged. Each surrogate is compared with the observed value
        ``>=``; the smallest p is 1 / n_perm.

        Parameters
        ----------
        mcp : {'maxstat', 'fdr', 'bonferroni'}
            'maxstat': the share of surrogates whose largest value over the cells reaches the
            cell's. 'fdr': Benjamini-Hochberg over the cells (MNE's ``fdr_correction``).
            'bonferroni': times the number of cells, at most 1.
        p : float
            Significance level in (0, 1): p-values of cells that are not significant at it are
            set to 1, as TensorPAC does.

        Returns
        -------
        (..., n_pha, n_amp) float64 tensor, the signals' leading dims without the trial axis.
        """
        if self.all_surrogates is None:
            raise ValueError("corrected p-values need surrogates: call pac(..., n_perm=200) (TensorPAC's default)")
        _check_mcp(mcp, p)
        effect, perm = self.mi.double(), self.all_surrogates.double()
        windowed = int(self.window_centers is not None)  # then each window is corrected on its own
        if effect.dim() >= 3 + windowed:
            effect, perm = effect.mean(-3 - windowed), perm.mean(-4 - windowed)
        if mcp == "maxstat":
            largest = perm.flatten(-2).amax(-1)[..., None, None]  # (..., n_perm, 1, 1)
            counts = (effect.unsqueeze(-3) <= largest).sum(-3)
        else:
            counts = (effect.unsqueeze(-3) <= perm).sum(-3)
        return _surrogate_pvalues(counts, perm.size(-3), mcp, p, 2)

    @property
    def pac(self) -> torch.Tensor:
        """The coupling measure of ``method`` (the same tensor as ``mi``)."""
        return self.mi

    def preferred_phase(self) -> PreferredPhase:
        """TensorPAC's PreferredPhase from ``amp_dist``: the peak bin's centre and the circular mean."""
        if self.amp_dist is None:
            raise ValueError("the preferred phase needs the amplitude distribution: call pac(..., return_dist=True)")
        centers = self.phase_bin_centers.to(self.amp_dist.device, self.amp_dist.dtype)
        peak = centers[self.amp_dist.argmax(-1)]
        return PreferredPhase(peak, _circular_mean(self.amp_dist, centers))


def _check_nan(nan: str) -> None:
    if nan not in ("raise", "propagate"):
        raise ValueError(f"nan must be 'raise' or 'propagate', got '{nan}'")


def _outputs_by_signal_chunks(x: torch.Tensor, o: _Options) -> Dict[str, torch.Tensor]:
    """_outputs with a progress bar (tqdm) over the signals: about 20 calls of gpac::pac on
    chunks of them, each with its columns of the whole call's surrogate plan, so that every
    signal is filtered once and the result is the whole call's. With swapped trials a chunk
    holds whole trial sets (the trials whose phases a surrogate exchanges)."""
    from tqdm.auto import tqdm

    if o.nan == "raise" and not bool(torch.isfinite(x).all()):
        return _outputs(x, o)  # raises, naming the sample's position in x
    phase_index, shift = _plan(x, o.n_perm, o.surrogate, o.seed, o.rng, o.independent, o.window)
    rows = x.reshape(-1, x.size(-1))
    group = x.size(-2) if o.surrogate == "swap_trials" else 1
    step = max(1, math.ceil(rows.size(0) / group / 20)) * group
    parts: List[Dict[str, torch.Tensor]] = []
    with tqdm(total=rows.size(0), unit="signal", desc="gpac.pac") as bar:
        for s0 in range(0, rows.size(0), step):
            cols = slice(s0, min(rows.size(0), s0 + step))
            parts.append(_outputs(rows[cols], o, *_plan_part(phase_index, shift, slice(None), cols, x.device)))
            bar.update(cols.stop - cols.start)
    lead = list(x.shape[:-1])
    return {name: torch.cat([part[name] for part in parts]).view(lead + list(parts[0][name].shape[1:]))
            for name in parts[0]}


def _show_progress(progress: Optional[bool], updates: float, device: torch.device) -> bool:
    """Whether to draw a progress bar: as asked, else for calls estimated above ~2 s on a terminal."""
    if progress is not None:
        return bool(progress)
    rate = 2e10 if device.type == "cuda" else 4e8  # histogram updates per second, roughly
    return updates / rate > 2.0 and sys.stderr.isatty()


def _call_options(fs: float, pha_bands, amp_bands, n_bins, n_perm, surrogate, norm, rng, independent, return_dist,
                  cycle, memory_budget, nan, method, ndpac_p, dcomplex, width, window, step,
                  device: torch.device) -> _Options:
    """pac()'s arguments checked and converted to gpac::pac's options (seed None), from the cache
    when the same ones were checked before."""
    try:
        key = (fs, _bands_key(pha_bands), _bands_key(amp_bands), n_bins, n_perm, surrogate, norm, rng, independent,
               return_dist, tuple(cycle), memory_budget, nan, method, ndpac_p, dcomplex, width, window, step,
               device.type)
        hash(key)
    except TypeError:  # an argument that is not hashable: checked without the cache
        key = None
    if key is not None and key[1] is not None and key[2] is not None:
        hit = _CALL_OPTIONS.get(key)
        if hit is not None:
            return hit
    else:
        key = None
    surrogate_name, norm_id = _stat_options(n_perm, surrogate, norm, rng)
    measure = _method_name(method)
    _check_nan(nan)
    pha_low, pha_high = _band_edges(pha_bands, "phase", device)
    amp_low, amp_high = _band_edges(amp_bands, "amplitude", device)
    pha_cycle, amp_cycle = _cycles(cycle)
    dcomplex, width = _decomposition(dcomplex, width)
    window_samples, step_samples = _windows(window, step, fs)
    options = _Options(fs, pha_low, pha_high, amp_low, amp_high, int(n_bins), pha_cycle, amp_cycle,
                       _budget(memory_budget), int(n_perm), surrogate_name, norm_id, None, rng, bool(independent),
                       True, bool(return_dist), nan, measure, None if ndpac_p is None else float(ndpac_p), dcomplex,
                       width, window_samples, step_samples)
    if key is not None:
        if len(_CALL_OPTIONS) >= _CALL_OPTIONS_MAX:
            _CALL_OPTIONS.clear()
        _CALL_OPTIONS[key] = options
    return options


def pac(
    x,
    fs: Optional[float],
    pha_bands: BandsLike,
    amp_bands: BandsLike,
    *,
    n_bins: int = 18,
    n_perm: int = 0,
    surrogate="block_swap",
    norm="zscore",
    seed: Optional[int] = None,
    rng: str = "torch",
    independent: bool = False,
    return_surrogates: bool = False,
    return_dist: bool = False,
    cycle: Sequence[int] = (3, 6),
    memory_budget: Optional[int] = None,
    progress: Optional[bool] = None,
    nan: str = "raise",
    method: str = "mi",
    ndpac_p: Optional[float] = 0.05,
    dcomplex: str = "hilbert",
    width: float = 7.0,
    window: Optional[float] = None,
    step: Optional[float] = None,
) -> PACResult:
    """Phase-amplitude coupling (Tort's MI by default, or TensorPAC's other measures) with
    surrogate statistics: z-scores and p-values.

    Parameters
    ----------
    x, fs, pha_bands, amp_bands, n_bins, cycle, memory_budget
        As :func:`modulation_index` (x may be an MNE Raw or Epochs object).
    n_perm : int
        Number of surrogates (0: the MI alone). TensorPAC uses 200.
    surrogate : {'block_swap', 'swap_trials', 'time_lag'} or TensorPAC's 2, 1, 3
        'block_swap' (default, Bahramisharif 2013): the amplitude cut at one
        random sample and its two blocks swapped, i.e. circularly shifted; the
        same cut for every signal of the call unless ``independent``.
        'swap_trials' (Tort 2010): the phase of each trial paired with the
        amplitude of another, by one random permutation of the trials (axis -2
        of x) per surrogate, the same for every channel. 'time_lag' (Canolty
        2006): the phase circularly shifted by a random lag.
    norm : {'zscore', 'subtract', 'divide', 'subtract_divide', 'none'} or 4, 1, 2, 3, 0
        How ``z`` normalises the MI by its surrogates (TensorPAC's idpac[2]);
        z-score uses the population standard deviation.
    seed : int, optional
        Seed of the surrogates' draw; the same seed gives the same surrogates on
        every device. None draws one from torch's global generator.
    rng : {'torch', 'tensorpac'}
        'torch': ``torch.Generator().manual_seed(seed)``. 'tensorpac': TensorPAC's
        own draw, surrogate k from ``numpy.random.RandomState(seed + k)``, so
        that ``Pac(idpac=(2, 2, 4)).filterfit(..., random_state=seed)`` is
        reproduced.
    independent : bool
        Draw a cut (or lag) per signal instead of one per surrogate.
    return_surrogates, return_dist : bool
        Also return the surrogates' MI and the amplitude distributions.
    progress : bool, optional
        A progress bar (tqdm) over the signals, advanced as each of about 20
        chunks of them is done (every signal is filtered once, and the result is
        the same as without the bar); by default only for calls with surrogates
        estimated to take more than ~2 s, and only on a terminal.
    nan : {'raise', 'propagate'}
        What a NaN or Inf sample does. 'raise' (default): a ValueError naming
        its position. 'propagate': every output of a signal holding one (its
        MI, z, p, surrogates, distributions) is NaN; the other signals are
        computed as usual; with 'swap_trials', so is every surrogate that
        borrows such a trial's phase, with the z and p it enters.

    method : {'mi', 'mvl', 'hr', 'ndpac', 'ps', 'gc'} or TensorPAC's idpac[0] 2, 1, 3, 4, 5, 6
        The coupling measure, as TensorPAC defines it (``Pac(idpac=(k, ., .))``):
        'mi' Tort's Modulation Index; 'hr' the heights ratio (max - min) / max
        of the mean amplitude over the phase bins that hold samples; 'mvl' Canolty's mean vector length
        |sum_t amp e^(i phase)| / n_times; 'ndpac' Ozkurt's normalised direct
        PAC (the amplitude z-scored over time with the sample standard
        deviation, then as MVL, set to 0 where |sum|^2 <= 2 n_times
        erfinv(1 - ndpac_p)^2); 'ps' phase synchrony, |sum_t e^(-i phase of
        the amplitude envelope) e^(i phase)| / n_times, the envelope's phase
        from its analytic signal zero-padded to a 5-smooth length (as
        TensorPAC's ``Pac.fit``; its ``filterfit`` takes that phase twice); 'gc'
        Ince's Gaussian-copula PAC, the mutual information in bits between the
        phase's (cos, sin) and the amplitude, each copula-normalised along time
        (``ndtri(rank / (n + 1))``), without demeaning or bias correction.
        z, p and the surrogates are of the chosen measure; ``return_dist``
        needs 'mi' or 'hr'. The methods that bin no phases hold whole signals (whole trial
        sets with 'swap_trials') in ``memory_budget``.
    ndpac_p : float or None
        ndPAC's threshold p-value, in (0, 1] (TensorPAC's ``fit(p=...)``);
        None or 1: no threshold.
    dcomplex : {'hilbert', 'wavelet'}
        How the phases and amplitudes are extracted, as TensorPAC's
        ``dcomplex``: 'hilbert' (default) band-passes with TensorPAC's FIR
        filters (``cycle``) then takes the analytic signal; 'wavelet' convolves
        with TensorPAC's Morlet wavelets (``spectral.morlet``) of ``width``
        cycles at each band's centre (low + high) / 2, zero-padded at the
        recording's ends, and ignores ``cycle``.
    width : float
        The Morlet wavelets' width in cycles (TensorPAC's 7; it truncates
        non-integer widths to int, gPAC does not).
    window, step : float, optional
        Time-resolved PAC: the measure of every window of ``window`` seconds,
        starting every ``step`` seconds (default: ``window``, no overlap) from
        the first sample, as ``(..., n_windows, n_pha, n_amp)`` with the
        centres in ``window_centers``. The band-pass and analytic signal run
        once over the whole recording (each window's samples are cut from it,
        so a window away from the recording's ends sees no edge effect); z, p
        and surrogates are per window, each surrogate's amplitude shifted within
        the window (every window of a signal takes that signal's cut or
        permutation). The window must fit the recording and hold one period of
        the slowest phase band's low edge. No gradient.

    Returns
    -------
    PACResult
    """
    x, fs = _signals_and_fs(x, fs)
    _check_signals(x)
    options = _call_options(float(fs), pha_bands, amp_bands, n_bins, n_perm, surrogate, norm, rng, independent,
                            return_dist, cycle, memory_budget, nan, method, ndpac_p, dcomplex, width, window, step,
                            x.device)
    n_perm, measure = options.n_perm, options.method
    window_samples, step_samples = options.window, options.step
    if seed is None and n_perm > 0:
        seed = _draw_seed()
    if seed is not None:
        options = options._replace(seed=seed)

    updates = float(x.numel()) * len(options.pha_low) * len(options.amp_low) * (n_perm + 1)
    if n_perm == 0 or not _show_progress(progress, updates, x.device):
        out = _outputs(x, options)
    else:
        out = _outputs_by_signal_chunks(x, options)
    surrogates = out.get("surrogates")
    return PACResult(
        mi=out["mi"], z=out.get("z"), p=out.get("p"),
        surrogates=surrogates if return_surrogates and n_perm > 0 else None,
        amp_dist=out.get("amp_dist"), phase_bin_centers=phase_bin_centers(n_bins), method=measure,
        window_centers=_window_centers(window_samples, step_samples, x.size(-1), float(fs)),
        all_surrogates=surrogates if n_perm > 0 else None,
    )


def modulation_index(
    x,
    fs: Optional[float],
    pha_bands: BandsLike,
    amp_bands: BandsLike,
    n_bins: int = 18,
    cycle: Sequence[int] = (3, 6),
    memory_budget: int | None = None,
    nan: str = "raise",
    dcomplex: str = "hilbert",
    width: float = 7.0,
) -> torch.Tensor:
    """Tort's Modulation Index of every (phase band, amplitude band) pair.

    Parameters
    ----------
    x : tensor, array or MNE-Python Raw / Epochs, shape (..., n_times)
        Real signals, float32 or float64 (integer recordings are computed in
        float32), on any device the ops support. Raw gives (n_channels,
        n_times), Epochs (n_channels, n_epochs, n_times).
    fs : float or None
        Sampling frequency in Hz; None takes it from an MNE object.
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
        then of bands. Default 512 MiB. The result does not depend on it,
        except for rows too long for it (README, "Long recordings").
    nan : {'raise', 'propagate'}
        As :func:`pac`: NaN or Inf samples raise a ValueError, or make that
        signal's MI NaN.
    dcomplex, width
        As :func:`pac`: FIR band-pass and analytic signal, or Morlet wavelets.

    Returns
    -------
    mi : tensor, shape (..., n_pha, n_amp)
        In x's dtype, on x's device. TensorPAC's ``Pac(idpac=(2, 0, 0))`` gives
        the same values, transposed to (n_amp, n_pha), when called with one
        phase band and one trial at a time (see the module notes).
    """
    # pac()'s arguments and its one op call, without the result it builds around the MI
    # (bin centres, window centres): a small call's time is mostly such fixed costs.
    x, fs = _signals_and_fs(x, fs)
    _check_signals(x)
    options = _call_options(float(fs), pha_bands, amp_bands, n_bins, 0, "block_swap", "zscore", "torch", False, False,
                            cycle, memory_budget, nan, "mi", 0.05, dcomplex, width, None, None, x.device)
    return _outputs(x, options)["mi"]


class PAC(nn.Module):
    """Phase-amplitude coupling (Tort's MI, with surrogate statistics) as a module;
    scriptable with ``torch.jit.script``.

    Bands are either explicit (``pha_bands`` / ``amp_bands``: ``[[low, high], ...]``
    in Hz, an (n, 2) tensor, or a TensorPAC preset 'lres' / 'mres' / 'hres') or
    linear ranges as the predecessor offered (``pha_range_hz=(2, 20),
    pha_n_bands=10``: centres ``linspace(2, 20, 10)``, widths as TensorPAC).
    ``memory_budget`` and the surrogate options (``n_perm``, ``surrogate``,
    ``norm``, ``seed``, ``rng``, ``independent``, ``return_surrogates``,
    ``return_dist``), the measure (``method``, ``ndpac_p``), the decomposition
    (``dcomplex``, ``width``) and time-resolved PAC (``window``, ``step``, in
    seconds) are those of :func:`pac`; with a seed, every call draws the same
    surrogates.

    ``forward(x)`` takes signals (..., n_times) and returns a dict: ``"mi"``
    (..., n_pha, n_amp), and with ``n_perm > 0`` ``"z"`` and ``"p"``, plus
    ``"surrogates"`` and ``"amp_dist"`` when asked. With ``window``, every array
    has an n_windows axis before (n_pha, n_amp) and ``"window_centers"``
    (n_windows,) gives each window's centre in seconds from the first sample.
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
        n_perm: int = 0,
        surrogate="block_swap",
        norm="zscore",
        seed: Optional[int] = None,
        rng: str = "torch",
        independent: bool = False,
        return_surrogates: bool = False,
        return_dist: bool = False,
        method: str = "mi",
        ndpac_p: Optional[float] = 0.05,
        dcomplex: str = "hilbert",
        width: float = 7.0,
        window: Optional[float] = None,
        step: Optional[float] = None,
    ):
        super().__init__()
        pha = resolve_bands(pha_bands, pha_range_hz, pha_n_bands, "phase")
        amp = resolve_bands(amp_bands, amp_range_hz, amp_n_bands, "amplitude")
        self.surrogate, self.norm = _stat_options(n_perm, surrogate, norm, rng)
        self.fs = float(fs)
        self.n_bins = int(n_bins)
        self.memory_budget = _budget(memory_budget)
        self.pha_cycle, self.amp_cycle = _cycles(cycle)
        self.pha_low, self.pha_high = _edges(pha)
        self.amp_low, self.amp_high = _edges(amp)
        self.n_perm = int(n_perm)
        self.seed: Optional[int] = None if seed is None else int(seed)
        self.rng = rng
        self.independent = bool(independent)
        self.return_surrogates = bool(return_surrogates)
        self.return_dist = bool(return_dist)
        self.method = _method_name(method)
        self.ndpac_p: Optional[float] = None if ndpac_p is None else float(ndpac_p)
        self.dcomplex, self.width = _decomposition(dcomplex, width)
        self.window, self.step = _windows(window, step, self.fs)  # samples; 0, 0 without
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
        torch.ops.gpac.pac(torch.empty(1, n, device=meta), self.fs, self.pha_low, self.pha_high, self.amp_low,
                           self.amp_high, self.n_bins, return_dist=self.return_dist, method=self.method,
                           ndpac_p=self.ndpac_p, dcomplex=self.dcomplex, width=self.width, window=self.window,
                           step=self.step)
        if self.dcomplex == "wavelet":
            for low, high, kind in ((self.pha_low, self.pha_high, "phase band"),
                                    (self.amp_low, self.amp_high, "amplitude band")):
                torch.ops.gpac.morlet_wavelets(self.fs, low, high, self.width, kind, device=meta)
        self.register_buffer("pha_bands_hz", pha, persistent=False)
        self.register_buffer("amp_bands_hz", amp, persistent=False)
        self.register_buffer("phase_bin_centers", phase_bin_centers(self.n_bins), persistent=False)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out = _outputs(x, _Options(self.fs, self.pha_low, self.pha_high, self.amp_low, self.amp_high, self.n_bins,
                                   self.pha_cycle, self.amp_cycle, self.memory_budget, self.n_perm, self.surrogate,
                                   self.norm, self.seed, self.rng, self.independent, self.return_surrogates,
                                   self.return_dist, "raise", self.method, self.ndpac_p, self.dcomplex,
                                   self.width, self.window, self.step))
        centers = _window_centers(self.window, self.step, x.size(-1), self.fs)
        if centers is not None:
            out["window_centers"] = centers
        return out

    def extra_repr(self) -> str:
        stats = f", n_perm={self.n_perm}, surrogate={self.surrogate!r}" if self.n_perm else ""
        stats += f", method={self.method!r}" if self.method != "mi" else ""
        stats += f", dcomplex='wavelet', width={self.width}" if self.dcomplex == "wavelet" else ""
        stats += f", window={self.window / self.fs:g} s, step={self.step / self.fs:g} s" if self.window else ""
        return f"fs={self.fs}, n_pha={len(self.pha_low)}, n_amp={len(self.amp_low)}, n_bins={self.n_bins}{stats}"
