"""gPAC: phase-amplitude coupling as fused LibTorch operators, reproducing TensorPAC.

Ops (``torch.ops.gpac``): ``fir_taps``, ``filter``, ``hilbert``,
``filter_hilbert``, ``mi_scatter``, ``modulation_index`` (the pipeline) and
``surrogate_plan``. Python API: :func:`modulation_index`,
:func:`pac` (with surrogates, z-scores and p-values), :func:`erpac` (event-related PAC across
trials), :class:`PAC`, :func:`fir_taps` and
the band helpers.
"""
from ._library import load as _load_library

_load_library()

from .bands import PRESETS, as_bands, linear_bands, preset_bands  # noqa: E402
from . import signals  # noqa: E402
from .erpac import ERPACResult, erpac  # noqa: E402
from .pac import NORMS, PAC, SURROGATES, PACResult, fir_taps, modulation_index, pac, phase_bin_centers  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "ERPACResult", "NORMS", "PAC", "PACResult", "PRESETS", "SURROGATES", "as_bands", "erpac", "fir_taps",
    "linear_bands", "modulation_index", "pac", "phase_bin_centers", "preset_bands", "signals",
]
