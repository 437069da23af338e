"""Configure and build the CMake project against the torch of this Python.

Shared by setup.py (which builds libgpac_ops.so for the package) and
tests/run_all.py (which builds the GoogleTest suite), so both use one build
directory and one configuration: the second build reuses the first's objects.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_dir() -> Path:
    return Path(os.environ.get("GPAC_BUILD_DIR", ROOT / "build"))


def configure_and_build(targets: list[str] | None = None) -> Path:
    """Configure (if needed) and build `targets` (all when None); returns the build dir.

    Environment: GPAC_CUDA=AUTO|ON|OFF (default AUTO: CUDA kernels when nvcc is
    found), TORCH_CUDA_ARCH_LIST (default "9.0"), CMAKE_BUILD_PARALLEL_LEVEL.
    """
    import torch

    out = build_dir()
    cmd = [
        "cmake", "-S", str(ROOT), "-B", str(out),
        f"-DCMAKE_PREFIX_PATH={torch.utils.cmake_prefix_path}",
        f"-DPython3_EXECUTABLE={sys.executable}",
        f"-DGPAC_CUDA={os.environ.get('GPAC_CUDA', 'AUTO')}",
    ]
    if not (out / "CMakeCache.txt").exists():
        cmd += ["-G", "Ninja"] if _has_ninja() else []
    subprocess.check_call(cmd)
    build = ["cmake", "--build", str(out), "--parallel", os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))]
    for target in targets or []:
        build += ["--target", target]
    subprocess.check_call(build)
    return out


def _has_ninja() -> bool:
    try:
        subprocess.run(["ninja", "--version"], check=True, capture_output=True)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False
