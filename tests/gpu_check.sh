#!/usr/bin/env bash
# The GPU checks as one script for a lent GPU machine (H100/H200, no network),
# meant to end within ~8 minutes so that a rerun after a fix still fits a
# 15-minute lease: the library and the CUDA GoogleTest binary (carried in
# .carry/ when they load with this machine's torch, else built here: only
# those two targets), the CUDA tests (GoogleTest, test_cuda.py,
# test_cuda_launches.py, the CUDA cases of test_reliability.py), the GPU
# benchmark with its per-call kernel, copy and sync counts
# (benchmarks/gpu_profile.py), the surrogate kernels alone (and a baseline
# build's: benchmarks/bench_surrogate_kernel.py), compute-sanitizer memcheck,
# racecheck and synccheck over the GoogleTest binary and memcheck over
# test_cuda.py, then ncu on the surrogate kernels. Steps
# run in that order of importance and are skipped once the time budget
# (GPU_CHECK_BUDGET_S, default 480 s) would be exceeded. Logs, summary.txt
# and bench_gpu.json go to $OUT (default ./gpu_check_out).
#
# Offline needs, carried in .carry/ (tools/prepare_gpu_carry.sh makes them):
# libgpac_ops.so and test_ops_cuda built against the GPU machine's torch; the
# wheels of TensorPAC, mkl-include and nlohmann-json (for a fallback build and
# the CPU references); GoogleTest's sources where the machine has none; optionally
# baseline/libgpac_ops.so, an earlier commit's build, whose surrogate kernels
# are timed beside this one's.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_check_out}
PY=${PYTHON:-python3}
BUILD=${GPAC_BUILD_DIR:-$PWD/build-gpu}
DEADLINE=$((SECONDS + ${GPU_CHECK_BUDGET_S:-480}))
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
# torch's libraries and the CUDA libraries its wheel ships (cuFFT among them),
# for carried binaries whose run paths name this build machine's directories.
torch_lib=$($PY -c "import glob, os, torch; d = os.path.dirname(torch.__file__)
print(':'.join([os.path.join(d, 'lib')] + sorted(glob.glob(os.path.join(d, '..', 'nvidia', '*', 'lib')))))")
# The carried build, when it loads and registers the CUDA kernels with this torch.
LIB="" GTEST_BIN=""
if [ -f .carry/libgpac_ops.so ] && GPAC_LIBRARY=$PWD/.carry/libgpac_ops.so $PY -c "
import torch; torch.ops.load_library('.carry/libgpac_ops.so')
assert torch._C._dispatch_has_kernel_for_dispatch_key('gpac::pac', 'CUDA')" > "$OUT/carry.log" 2>&1; then
  LIB=$PWD/.carry/libgpac_ops.so
  [ -x .carry/test_ops_cuda ] && GTEST_BIN=$PWD/.carry/test_ops_cuda
  say "using the carried build (.carry/libgpac_ops.so)"
else
  say "no usable carried build (see carry.log): building libgpac_ops.so and test_ops_cuda here"
  opts=()
  [ -d .carry/googletest ] && opts=(-DGPAC_GTEST_SOURCE_DIR="$PWD/.carry/googletest")
  # Headers from the carried wheels: MKL's DFTI (the CPU's fused path), nlohmann/json (gpac_run).
  mkl_dir=$($PY -c "import sys, os; d = os.path.join(sys.prefix, 'include'); print(d if os.path.exists(os.path.join(d, 'mkl_dfti.h')) else '')")
  [ -n "$mkl_dir" ] && opts+=(-DGPAC_MKL_INCLUDE_DIR="$mkl_dir")
  json_dir=$($PY -c "import nlohmann_json; print(nlohmann_json.get_include())" 2>/dev/null)
  [ -n "$json_dir" ] && opts+=(-DNLOHMANN_JSON_INCLUDE_DIR="$json_dir")
  pybin=$(dirname "$(command -v "$PY")")
  CMAKE=cmake
  [ -x "$pybin/cmake" ] && CMAKE=$pybin/cmake
  torch_dir=$($PY -c "import os, torch; print(os.path.join(torch.utils.cmake_prefix_path, 'Torch'))")
  generator=()
  command -v ninja > /dev/null && generator=(-G Ninja)
  step configure 120 "$CMAKE" -S . -B "$BUILD" "${generator[@]}" -DTorch_DIR="$torch_dir" "${opts[@]}"
  step build 300 "$CMAKE" --build "$BUILD" --parallel --target gpac_ops test_ops_cuda
  LIB=$BUILD/libgpac_ops.so
  [ -x "$BUILD/tests/cpp/test_ops_cuda" ] && GTEST_BIN=$BUILD/tests/cpp/test_ops_cuda
fi
# The package straight from the source tree, with that library.
export GPAC_LIBRARY=$LIB PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH}
export LD_LIBRARY_PATH=$(dirname "$LIB"):$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
[ -n "$GTEST_BIN" ] && step gtest_cuda 90 "$GTEST_BIN"
step pytest_cuda 150 $PY -m pytest -q -rs -p no:cacheprovider tests/python/test_cuda_launches.py \
  tests/python/test_cuda.py tests/python/test_reliability.py -s
step bench 150 $PY benchmarks/bench_gpu.py ${GPU_BENCH_ARGS:---no-tensorpac} --out "$OUT/bench_gpu.json"
# The surrogate kernels alone, and those of the build named in .carry/baseline (A/B, same machine).
step bench_surrogates 60 $PY benchmarks/bench_surrogate_kernel.py --library "$LIB" --out "$OUT/bench_surrogates.json"
if [ -f .carry/baseline/libgpac_ops.so ]; then
  step bench_surrogates_baseline 60 $PY benchmarks/bench_surrogate_kernel.py --library "$PWD/.carry/baseline/libgpac_ops.so" \
    --out "$OUT/bench_surrogates_baseline.json"
fi
if [ -n "$GTEST_BIN" ]; then
  for tool in memcheck racecheck synccheck; do
    step "$tool" 90 compute-sanitizer --tool "$tool" --error-exitcode 1 "$GTEST_BIN"
  done
fi
step memcheck_pytest 120 compute-sanitizer --tool memcheck --error-exitcode 1 $PY -m pytest -q -x \
  -p no:cacheprovider tests/python/test_cuda.py
# Where the surrogate kernels' time goes (hardware counters: Firecracker machines only; the clocks
# left alone, as METHOD.md asks). Last, as the least needed.
command -v ncu > /dev/null && step ncu_surrogates 120 ncu --clock-control none \
  --kernel-name regex:"surrogate_walk|tile_prefix" --launch-count 2 --section SpeedOfLight \
  --section Occupancy --section LaunchStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
  --section WarpStateStats $PY benchmarks/bench_surrogate_kernel.py --library "$LIB" --runs 1 --no-profiler
say "== overall: $([ $status = 0 ] && echo ok || echo FAILED)"
exit $status
