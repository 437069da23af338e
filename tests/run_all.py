"""The whole test suite: builds the C++ tests, runs them with CTest, then pytest.

Exits non-zero when a test fails, or when either runner finds no tests.
Run with the Python of the environment gPAC is installed in:
    .venv/bin/python tests/run_all.py [extra pytest arguments]
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from cmake_build import configure_and_build, tool  # noqa: E402


def main() -> int:
    build = configure_and_build()
    print("== GoogleTest (CTest)", flush=True)
    ctest = subprocess.run([tool("ctest"), "--test-dir", str(build), "--output-on-failure", "--no-tests=error"])
    print("== pytest", flush=True)
    # pytest exits 5 when it collects no tests: a failure here too.
    pytest = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests" / "python"), *sys.argv[1:]], cwd=ROOT)
    print(f"== CTest exit {ctest.returncode}, pytest exit {pytest.returncode}", flush=True)
    return 0 if ctest.returncode == 0 and pytest.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
