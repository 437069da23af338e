"""Comodulogram figures (matplotlib, no display needed)."""
from __future__ import annotations

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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    mi = torch.as_tensor(mi).detach().cpu().double()
    if mi.dim() != 2:
        raise ValueError(f"mi must be (n_pha, n_amp) to plot; got shape {tuple(mi.shape)} (average trials first)")
    pha_c = pha_bands.double().mean(1).numpy()
    amp_c = amp_bands.double().mean(1).numpy()
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(pha_c, amp_c, mi.T.numpy(), shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=label)
    if pvalues is not None:
        significant = (torch.as_tensor(pvalues).detach().cpu().double() < alpha).double()
        if significant.shape != mi.shape:
            raise ValueError(f"pvalues must have mi's shape {tuple(mi.shape)}, got {tuple(significant.shape)}")
        if 0 < float(significant.sum()) < significant.numel():
            ax.contour(pha_c, amp_c, significant.T.numpy(), levels=[0.5], colors="white", linewidths=1.5)
    ax.set_xlabel("phase frequency (Hz)")
    ax.set_ylabel("amplitude frequency (Hz)")
    ax.set_title(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
