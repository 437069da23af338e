"""The whole test suite: builds the C++ tests, runs pytest, then the C++ tests with CTest.

Exits non-zero when a test fails, or when either runner finds no tests.
Run with the Python of the environment gPAC is installed in:
    .venv/bin/python tests/run_all.py [extra pytest arguments]
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from cmake_build import configure_and_build, tool  # noqa: E402


def main() -> int:
    build = configure_and_build()
    # pytest first: it scripts the module that a C++ test then loads; it runs
    # the gpac_run program just built.
    env = dict(os.environ, GPAC_TORCHSCRIPT_DIR=str(build / "torchscript"), GPAC_RUN=str(build / "gpac_run"))
    print("== pytest", flush=True)
    # pytest exits 5 when it collects no tests: a failure here too.
    pytest = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests" / "python"), *sys.argv[1:]],
                            cwd=ROOT, env=env)
    print("== GoogleTest (CTest)", flush=True)
    ctest = subprocess.run([tool("ctest"), "--test-dir", str(build), "--output-on-failure", "--no-tests=error"],
                           env=env)
    print(f"== pytest exit {pytest.returncode}, CTest exit {ctest.returncode}", flush=True)
    return 0 if ctest.returncode == 0 and pytest.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
