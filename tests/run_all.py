"""The whole test suite: the style checks (ruff, clang-format: .clang-format), builds the C++
tests, runs pytest, then the C++ tests with CTest, then
the C++ tests again built with AddressSanitizer and UndefinedBehaviorSanitizer (in their own build
dir, <build>-sanitize, CUDA sources left out: compute-sanitizer covers those on a GPU).

Exits non-zero when a test fails, or when a runner finds no tests.
Run with the Python of the environment gPAC is installed in:
    .venv/bin/python tests/run_all.py [extra pytest arguments]
GPAC_SANITIZE_TESTS=0 skips the sanitizer build (it says so); CI always runs it.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from cmake_build import build_dir, configure_and_build, tool  # noqa: E402

# Reports abort the test. Leak checking is off: LibTorch keeps process-lifetime
# allocations (registries, thread pools). Container-overflow checks are off:
# std::vectors cross between this instrumented code and uninstrumented LibTorch.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:detect_container_overflow=0:abort_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def sanitized_ctest(env: dict) -> int:
    if os.environ.get("GPAC_SANITIZE_TESTS", "1") == "0":
        print("== sanitizers: SKIPPED (GPAC_SANITIZE_TESTS=0)", flush=True)
        return 0
    print("== GoogleTest (CTest) under AddressSanitizer + UndefinedBehaviorSanitizer", flush=True)
    out = Path(str(build_dir()) + "-sanitize")
    configure_and_build(out=out, options=["-DGPAC_SANITIZE=address,undefined", "-DGPAC_CUDA=OFF"])
    env = dict(env, GPAC_RUN=str(out / "gpac_run"), **SANITIZER_ENV)
    return subprocess.run([tool("ctest"), "--test-dir", str(out), "--output-on-failure", "--no-tests=error"],
                          env=env).returncode


def style_checks() -> int:
    """ruff over the Python (pyproject.toml's [tool.ruff]) and clang-format over the C++ and CUDA
    sources (.clang-format), both from the test extras; non-zero on any finding."""
    print("== style: ruff, clang-format", flush=True)
    bindir = Path(sys.executable).parent
    python_dirs = [str(ROOT / d) for d in ("python", "tests", "benchmarks", "tools")]
    ruff = subprocess.run([str(bindir / "ruff"), "check", *python_dirs]).returncode
    sources = sorted(str(p) for d in ("csrc", "ops", "kernels", "tools", "tests")
                     for p in (ROOT / d).rglob("*") if p.suffix in (".cpp", ".h", ".cu"))
    fmt = subprocess.run([str(bindir / "clang-format"), "--dry-run", "-Werror", *sources]).returncode
    if fmt:
        print("clang-format: run `.venv/bin/clang-format -i` on the files above", flush=True)
    return ruff or fmt


def main() -> int:
    style = style_checks()
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
    sanitized = sanitized_ctest(env)
    print(f"== style exit {style}, pytest exit {pytest.returncode}, CTest exit {ctest.returncode}, "
          f"sanitized CTest exit {sanitized}", flush=True)
    return 0 if style == 0 and ctest.returncode == 0 and pytest.returncode == 0 and sanitized == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
