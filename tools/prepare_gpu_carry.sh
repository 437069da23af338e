#!/usr/bin/env bash
# Prepares .carry/ for tests/gpu_check.sh on a lent GPU machine (no network,
# minutes that count): libgpac_ops.so and the CUDA GoogleTest binary built
# here against the GPU machine's torch (TORCH_VERSION, default 2.11.0, in its
# own venv .venv-gpu), and the wheels the checks install there offline.
#
#     bash tools/prepare_gpu_carry.sh          # then: run tests/gpu_check.sh with carry [".carry"]
#
# BASELINE=<commit> also builds that commit's libgpac_ops.so (in a temporary
# worktree) into .carry/baseline/, for gpu_check.sh's A/B of the surrogate
# kernels.
#
# PY_VERSION (default 3.12) is the GPU machine's Python, for the wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=${TORCH_VERSION:-2.11.0}
PY_VERSION=${PY_VERSION:-3.12}
VENV=.venv-gpu
BUILD=build-gpu-carry
mkdir -p .carry
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "torch==$TORCH_VERSION" setuptools wheel "cmake>=3.26" ninja numpy nlohmann-json mkl-include
fi
torch_dir=$("$VENV/bin/python" -c "import os, torch; print(os.path.join(torch.utils.cmake_prefix_path, 'Torch'))")
json_dir=$("$VENV/bin/python" -c "import nlohmann_json; print(nlohmann_json.get_include())")
"$VENV/bin/cmake" -S . -B "$BUILD" -G Ninja -DGPAC_CUDA=ON -DTorch_DIR="$torch_dir" \
  -DGPAC_MKL_INCLUDE_DIR="$PWD/$VENV/include" -DNLOHMANN_JSON_INCLUDE_DIR="$json_dir"
"$VENV/bin/cmake" --build "$BUILD" --parallel --target gpac_ops test_ops_cuda
cp "$BUILD/libgpac_ops.so" "$BUILD/tests/cpp/test_ops_cuda" .carry/
if [ -n "${BASELINE:-}" ]; then
  wt=$(mktemp -d)
  git worktree add --detach "$wt" "$BASELINE"
  "$VENV/bin/cmake" -S "$wt" -B "$wt/build" -G Ninja -DGPAC_CUDA=ON -DTorch_DIR="$torch_dir" \
    -DGPAC_MKL_INCLUDE_DIR="$PWD/$VENV/include" -DNLOHMANN_JSON_INCLUDE_DIR="$json_dir"
  "$VENV/bin/cmake" --build "$wt/build" --parallel --target gpac_ops
  mkdir -p .carry/baseline
  cp "$wt/build/libgpac_ops.so" .carry/baseline/
  git worktree remove --force "$wt"
fi
"$VENV/bin/pip" download -q --no-deps --only-binary=:all: --python-version "$PY_VERSION" -d .carry \
  tensorpac==0.6.5 mkl-include nlohmann-json
echo "carry ready: $(ls .carry | tr '\n' ' ')"
