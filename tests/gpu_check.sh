#!/usr/bin/env bash
# The GPU checks as one script for a lent GPU machine (H100/H200, no network):
# build the library and C++ tests against that machine's torch with CMake, run
# the CUDA tests (GoogleTest and pytest), the GPU benchmark, compute-sanitizer
# (memcheck, racecheck), then the whole pytest suite. Steps run in that order
# of importance and are skipped once the time budget (GPU_CHECK_BUDGET_S,
# default 540 s) would be exceeded. Logs, summary.txt and bench_gpu.json go to
# $OUT (default ./gpu_check_out).
#
# Offline needs, carried in .carry/: the wheels of TensorPAC, mkl-include and
# nlohmann-json (pip download tensorpac==0.6.5 mkl-include nlohmann-json
# --no-deps --only-binary=:all: --python-version 3.12 -d .carry) and, where the
# machine has no GoogleTest, its sources (cp -r /usr/src/googletest .carry/).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_check_out}
PY=${PYTHON:-python3}
BUILD=${GPAC_BUILD_DIR:-$PWD/build-gpu}
DEADLINE=$((SECONDS + ${GPU_CHECK_BUDGET_S:-540}))
mkdir -p "$OUT"
status=0
say() { echo "$*" | tee -a "$OUT/summary.txt"; }
step() {  # step NAME TIMEOUT_S CMD...
  local name=$1 limit=$2; shift 2
  if (( SECONDS + limit > DEADLINE )); then say "== $name: SKIPPED (time budget)"; return; fi
  local t0=$SECONDS
  say "== $name: $*"
  if timeout "$limit" "$@" > "$OUT/$name.log" 2>&1; then say "   ok ($((SECONDS - t0)) s)"
  else say "   FAILED (exit $?, $((SECONDS - t0)) s), see $name.log"; status=1; fi
  tail -n 12 "$OUT/$name.log"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee -a "$OUT/summary.txt"
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU')" 2>&1 | tee -a "$OUT/summary.txt"
# Pass the commit sent: GPAC_COMMIT=<sha> bash tests/gpu_check.sh (the machine's .git, if any, may be stale)
say "commit ${GPAC_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo "unknown (set GPAC_COMMIT)")}"
ls .carry/*.whl > /dev/null 2>&1 && step deps 120 $PY -m pip install --no-index --no-deps .carry/*.whl
gtest=()
[ -d .carry/googletest ] && gtest=(-DGPAC_GTEST_SOURCE_DIR="$PWD/.carry/googletest")
# Headers from the carried wheels: MKL's DFTI (the CPU's fused path), nlohmann/json (gpac_run).
mkl_dir=$($PY -c "import sys, os; d = os.path.join(sys.prefix, 'include'); print(d if os.path.exists(os.path.join(d, 'mkl_dfti.h')) else '')")
[ -n "$mkl_dir" ] && gtest+=(-DGPAC_MKL_INCLUDE_DIR="$mkl_dir")
json_dir=$($PY -c "import nlohmann_json; print(nlohmann_json.get_include())" 2>/dev/null)
[ -n "$json_dir" ] && gtest+=(-DNLOHMANN_JSON_INCLUDE_DIR="$json_dir")
# CMake and CTest from the Python environment when it has them (PyPI's cmake).
pybin=$(dirname "$(command -v "$PY")")
CMAKE=cmake; CTEST=ctest
[ -x "$pybin/cmake" ] && CMAKE=$pybin/cmake && CTEST=$pybin/ctest
say "$($CMAKE --version | head -n 1)"
torch_dir=$($PY -c "import os, torch; print(os.path.join(torch.utils.cmake_prefix_path, 'Torch'))")
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
step configure 120 "$CMAKE" -S . -B "$BUILD" "${generator[@]}" -DTorch_DIR="$torch_dir" "${gtest[@]}"
step build 300 "$CMAKE" --build "$BUILD" --parallel
# The package straight from the source tree, with the library just built.
export GPAC_LIBRARY=$BUILD/libgpac_ops.so PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH}
step ctest 90 "$CTEST" --test-dir "$BUILD" --output-on-failure
step pytest_cuda 180 $PY -m pytest -q -rs tests/python/test_cuda.py tests/python/test_reliability.py tests/python/test_properties.py
[ -f .carry/repro.py ] && step nan_on_cuda 60 $PY .carry/repro.py
if [ -x "$BUILD/tests/cpp/test_ops_cuda" ]; then
  # The budget test runs many small chunks: over 120 s under memcheck/racecheck on an H200 (62 s
  # under synccheck), so it gets steps of its own, last.
  quick=--gtest_filter=-OpsCuda.PipelineOpMatchesCpuUnderABudget
  step memcheck 90 compute-sanitizer --tool memcheck --error-exitcode 1 "$BUILD/tests/cpp/test_ops_cuda" $quick
  step racecheck 90 compute-sanitizer --tool racecheck --error-exitcode 1 "$BUILD/tests/cpp/test_ops_cuda" $quick
  step synccheck 90 compute-sanitizer --tool synccheck --error-exitcode 1 "$BUILD/tests/cpp/test_ops_cuda"
fi
step bench 200 $PY benchmarks/bench_gpu.py ${GPU_BENCH_ARGS:---no-tensorpac} --out "$OUT/bench_gpu.json"
step pytest_all 240 $PY -m pytest -q -rs -x tests/python
if [ -x "$BUILD/tests/cpp/test_ops_cuda" ]; then
  budget=--gtest_filter=OpsCuda.PipelineOpMatchesCpuUnderABudget
  step memcheck_budget 400 compute-sanitizer --tool memcheck --error-exitcode 1 "$BUILD/tests/cpp/test_ops_cuda" $budget
  step racecheck_budget 400 compute-sanitizer --tool racecheck --error-exitcode 1 "$BUILD/tests/cpp/test_ops_cuda" $budget
fi
say "== overall: $([ $status = 0 ] && echo ok || echo FAILED)"
exit $status
