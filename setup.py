"""pip install . builds libgpac_ops.so with CMake and ships it inside the package.

Build against the torch already in the environment (ABI must match):
    pip install -r requirements-build.txt
    pip install --no-build-isolation .
Supported torch: 2.11 to 2.15 (CUDA 13 wheels; CPU-only wheels build the CPU
kernels). The CUDA kernels are compiled when nvcc is found (GPAC_CUDA=AUTO|ON|OFF)
for TORCH_CUDA_ARCH_LIST (default "9.0"); a toolkit whose CUDA major differs
from torch's stops the build with a clear message.
"""
import json
import shutil
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))

TORCH_RANGE = ">=2.11,<2.16"


class CMakeBuild(build_ext):
    """Builds the CMake target gpac_ops and places it at gpac/lib/libgpac_ops.so."""

    def get_ext_filename(self, ext_name):
        # The library is a plain shared object loaded by torch.ops.load_library,
        # not a Python extension module: its file name carries no ABI tag. Naming
        # it here makes setuptools' declared output the file that is written, which
        # editable installs (pip install -e) map into the source tree.
        return str(Path(*ext_name.split("."))) + ".so"

    def build_extension(self, ext):
        import torch
        from cmake_build import configure_and_build

        out = configure_and_build(["gpac_ops"])
        target = Path(self.get_ext_fullpath(ext.name))
        package_dir = target.parent.parent
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(out / "libgpac_ops.so", target)
        built = json.loads((out / "gpac_build.json").read_text())
        self.build_record = package_dir / "_build_info.py"
        self.build_record.write_text(
            '"""Written by setup.py: the torch this build of gPAC was compiled against."""\n'
            f"TORCH_VERSION = {torch.__version__!r}\n"
            f"TORCH_CUDA = {torch.version.cuda!r}\n"
            f"WITH_CUDA_KERNELS = {built['cuda_kernels']!r}\n"
            f"WITH_MKL_FFT = {built['mkl_fft']!r}\n"
        )

    def copy_extensions_to_source(self):
        # pip install -e copies the library into the source tree's gpac/lib, which
        # git does not hold (ignored, like the build record beside it): make it,
        # and copy the record too, so that the editable package finds both.
        source = ROOT / "python" / "gpac"
        (source / "lib").mkdir(exist_ok=True)
        super().copy_extensions_to_source()
        shutil.copy2(self.build_record, source / "_build_info.py")


setup(
    ext_modules=[Extension("gpac.lib.libgpac_ops", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
