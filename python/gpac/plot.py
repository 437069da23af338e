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
) -> Path:
    """Writes a comodulogram of ``mi`` (n_pha, n_amp) against band centres to ``path`` (PNG)."""
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
    fig.colorbar(mesh, ax=ax, label="MI")
    ax.set_xlabel("phase frequency (Hz)")
    ax.set_ylabel("amplitude frequency (Hz)")
    ax.set_title(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
