"""Loads libgpac_ops.so, the operator library, into ``torch.ops.gpac``.

The same library serves C++ programs (link it with LibTorch). It is compiled
against one torch release; loading it into another would break the C++ ABI, so
the versions are compared first.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

LIBRARY_NAME = "libgpac_ops.so"


def library_path() -> Path:
    """Path of libgpac_ops.so: $GPAC_LIBRARY if set, else the one in the package."""
    override = os.environ.get("GPAC_LIBRARY")
    return Path(override) if override else Path(__file__).parent / "lib" / LIBRARY_NAME


def _release(version: str) -> tuple[int, int]:
    major, minor = version.split("+")[0].split(".")[:2]
    return int(major), int(minor)


def load() -> Path:
    path = library_path()
    if not path.exists():
        raise ImportError(
            f"gPAC's operator library is missing ({path}). Build and install it with "
            "`pip install -r requirements-build.txt && pip install --no-build-isolation .`"
        )
    try:
        from . import _build_info
    except ImportError:  # a library named by GPAC_LIBRARY, built outside setup.py
        _build_info = None
    if _build_info is not None and _release(_build_info.TORCH_VERSION) != _release(torch.__version__):
        raise ImportError(
            f"gPAC was compiled against torch {_build_info.TORCH_VERSION} but torch "
            f"{torch.__version__} is installed; its C++ ABI differs. Rebuild gPAC: "
            "`pip install --no-build-isolation --force-reinstall --no-deps .`"
        )
    torch.ops.load_library(str(path))
    _register_fake_kernels()
    return path


def _register_fake_kernels() -> None:
    """Shapes for FakeTensor of the ops the C++ Meta kernels cannot serve: surrogate_plan has no
    tensor input and two outputs, so FakeTensor neither dispatches it to Meta nor treats it as a
    factory."""

    @torch.library.register_fake("gpac::surrogate_plan")
    def _(n_perm, n_signals, n_times, method="block_swap", seed=0, rng="torch", independent=False, n_trials=1, *,
          device=None):
        return (torch.empty(n_perm, n_signals, dtype=torch.long, device=device),
                torch.empty(n_perm, n_signals, dtype=torch.long, device=device))
