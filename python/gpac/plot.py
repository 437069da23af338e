"""Comodulogram, preferred-phase and time x frequency figures (matplotlib, no display needed)."""
from __future__ import annotations

import math
from pathlib import Path

import torch


def plot_comodulogram(
    mi: torch.Tensor,
    pha_bands: torch.Tensor,
    amp_bands: torch.Tensor,
    path: str | Path,
    title: str = "Modulation Index (Tort)",
    label: str = "MI",
    pvalues: torch.Tensor | None = None,
    alpha: float = 0.05,
) -> Path:
    """Writes a comodulogram of ``mi`` (n_pha, n_amp) against band centres to ``path`` (PNG).

    ``label`` names the colour bar (the measure, or "z"); with ``pvalues`` (n_pha, n_amp), the
    cells with p < ``alpha`` are outlined, as TensorPAC's ``pacplot`` does.
    """
    mi = torch.as_tensor(mi).detach().cpu().double()
    if mi.dim() != 2:
        raise ValueError(f"mi must be (n_pha, n_amp) to plot; got shape {tuple(mi.shape)} (average trials first)")
    significant = _significant(pvalues, alpha, mi.shape, "mi")
    return _image(pha_bands.double().mean(1), amp_bands.double().mean(1), mi.T,
                  None if significant is None else significant.T, path, figsize=(6, 4.5), outline_width=1.5,
                  xlabel="phase frequency (Hz)", title=title, label=label)


def _significant(pvalues, alpha: float, shape, name: str):
    """pvalues < alpha as float64 (1 or 0), checked against the plotted values' shape; None without."""
    if pvalues is None:
        return None
    significant = (torch.as_tensor(pvalues).detach().cpu().double() < alpha).double()
    if significant.shape != shape:
        raise ValueError(f"pvalues must have {name}'s shape {tuple(shape)}, got {tuple(significant.shape)}")
    return significant


def _image(x, y, values, significant, path, *, figsize, outline_width: float, xlabel: str, title: str,
           label: str) -> Path:
    """values (len(y), len(x)) as an image against amplitude frequency y, with the regions where
    `significant` is 1 outlined (when some are and some are not), written to path (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x, y = torch.as_tensor(x).double().numpy(), torch.as_tensor(y).double().numpy()
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(x, y, values.numpy(), shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=label)
    if significant is not None and 0 < float(significant.sum()) < significant.numel():
        ax.contour(x, y, significant.numpy(), levels=[0.5], colors="white", linewidths=outline_width)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("amplitude frequency (Hz)")
    ax.set_title(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def plot_preferred_phase(
    amp_dist: torch.Tensor,
    phase_bin_centers: torch.Tensor,
    amp_bands: torch.Tensor,
    path: str | Path,
    title: str = "Preferred phase",
) -> Path:
    """Writes a polar image of the amplitude distribution over phase to ``path`` (PNG), as
    TensorPAC's ``PreferredPhase.polar``: angle = phase bin centre, radius = amplitude band centre,
    colour = the normalised mean amplitude ``amp_dist`` (n_amp, n_bins) of one phase band (average
    the signals first). Each amplitude band's circular-mean preferred phase is marked.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dist = torch.as_tensor(amp_dist).detach().cpu().double()
    centers = torch.as_tensor(phase_bin_centers).detach().cpu().double()
    amp_c = torch.as_tensor(amp_bands).double().mean(1)
    if dist.dim() != 2 or dist.shape != (amp_c.numel(), centers.numel()):
        raise ValueError(f"amp_dist must be (n_amp, n_bins) = ({amp_c.numel()}, {centers.numel()}) for one phase "
                         f"band; got shape {tuple(dist.shape)} (select a phase band and average the signals first)")
    # Bin edges around the circle and between the amplitude centres, for pcolormesh.
    width = 2 * math.pi / centers.numel()
    theta = torch.cat([centers - width / 2, centers[-1:] + width / 2]).numpy()
    mid = (amp_c[1:] + amp_c[:-1]) / 2 if amp_c.numel() > 1 else amp_c.new_empty(0)
    lo = amp_c[:1] - (mid[:1] - amp_c[:1]) if mid.numel() else amp_c[:1] * 0.9
    hi = amp_c[-1:] + (amp_c[-1:] - mid[-1:]) if mid.numel() else amp_c[-1:] * 1.1
    radius = torch.cat([lo, mid, hi]).numpy()
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(projection="polar")
    mesh = ax.pcolormesh(theta, radius, dist.numpy(), shading="flat", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="normalised mean amplitude", pad=0.1)
    from .pac import _circular_mean

    preferred = _circular_mean(dist, centers)
    ax.plot(preferred.numpy(), amp_c.numpy(), "w.", markersize=6, label="circular mean")
    ax.set_ylim(float(radius[0]), float(radius[-1]))
    ax.set_title(title)
    ax.set_xlabel("phase (degrees); radius: amplitude frequency (Hz)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def plot_time_frequency(
    values: torch.Tensor,
    times: torch.Tensor,
    amp_bands: torch.Tensor,
    path: str | Path,
    title: str = "Event-related PAC",
    label: str = "ERPAC",
    pvalues: torch.Tensor | None = None,
    alpha: float = 0.05,
) -> Path:
    """Writes a time x amplitude-frequency image for one phase band, ``values`` (n_amp, n_times)
    against ``times`` (s) and the amplitude bands' centres, to ``path`` (PNG): event-related PAC
    (:func:`gpac.erpac`, as TensorPAC's ``EventRelatedPac.pacplot``) or the time course of
    windowed PAC (``gpac.pac(..., window=)``, times its window centres). With ``pvalues``
    (n_amp, n_times), the regions with p < ``alpha`` are outlined.
    """
    values = torch.as_tensor(values).detach().cpu().double()
    if values.dim() != 2 or values.size(0) != len(amp_bands) or values.size(1) != len(times):
        raise ValueError(f"values must be (n_amp, n_times) = ({len(amp_bands)}, {len(times)}) to plot (one phase "
                         f"band, trials reduced); got shape {tuple(values.shape)}")
    return _image(times, amp_bands.double().mean(1), values, _significant(pvalues, alpha, values.shape, "values"),
                  path, figsize=(8, 4.5), outline_width=1.0, xlabel="time (s)", title=title, label=label)
