"""Configure and build the CMake project against the torch of this Python.

Shared by setup.py (which builds libgpac_ops.so for the package) and
tests/run_all.py (which builds the GoogleTest suite), so both use one build
directory and one configuration: the second build reuses the first's objects.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_dir() -> Path:
    return Path(os.environ.get("GPAC_BUILD_DIR", ROOT / "build"))


def tool(name: str) -> str:
    """A build tool from this Python's environment (the PyPI cmake/ninja), else from PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: pip install -r requirements-build.txt")
    return found


def configure_and_build(targets: list[str] | None = None, out: Path | None = None,
                        options: list[str] | None = None) -> Path:
    """Configure (if needed) and build `targets` (all when None) in `out` (default build_dir())
    with extra CMake `options` (-DNAME=VALUE; they win over the defaults); returns the build dir.

    Environment: GPAC_CUDA=AUTO|ON|OFF (default AUTO: CUDA kernels when nvcc is
    found), TORCH_CUDA_ARCH_LIST (default "9.0"), CMAKE_BUILD_PARALLEL_LEVEL.
    """
    import torch

    out = out or build_dir()
    cmd = [
        tool("cmake"), "-S", str(ROOT), "-B", str(out),
        # Explicit, so that a build dir configured for another torch follows this one.
        f"-DTorch_DIR={Path(torch.utils.cmake_prefix_path) / 'Torch'}",
        f"-DGPAC_CUDA={os.environ.get('GPAC_CUDA', 'AUTO')}",
    ]
    try:  # nlohmann/json headers for gpac_run, from the PyPI package
        import nlohmann_json

        cmd.append(f"-DNLOHMANN_JSON_INCLUDE_DIR={nlohmann_json.get_include()}")
    except ImportError:
        pass
    mkl_include = Path(sys.prefix) / "include"  # mkl_dfti.h from the PyPI mkl-include package
    if (mkl_include / "mkl_dfti.h").exists():
        cmd.append(f"-DGPAC_MKL_INCLUDE_DIR={mkl_include}")
    cmd += options or []
    if not (out / "CMakeCache.txt").exists():
        cmd += ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={tool('ninja')}"]
    subprocess.check_call(cmd)
    parallel = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
    build = [tool("cmake"), "--build", str(out), "--parallel", parallel]
    for target in targets or []:
        build += ["--target", target]
    subprocess.check_call(build)
    return out

