"""gPAC: phase-amplitude coupling as fused LibTorch operators, reproducing TensorPAC.

Ops (``torch.ops.gpac``): ``fir_taps``, ``filter``, ``hilbert``,
``filter_hilbert`` and ``mi_scatter``. Python API: :func:`modulation_index`,
:class:`PAC`, :func:`fir_taps` and the band helpers.
"""
from ._library import load as _load_library

_load_library()

from .bands import PRESETS, as_bands, linear_bands, preset_bands  # noqa: E402
from . import signals  # noqa: E402
from .pac import PAC, fir_taps, modulation_index  # noqa: E402

__version__ = "0.1.0"
__all__ = ["PAC", "PRESETS", "as_bands", "fir_taps", "linear_bands", "modulation_index", "preset_bands", "signals"]
