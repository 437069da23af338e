#!/usr/bin/env bash
# Fuzzes gpac_run's hostile inputs with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer (clang from Debian's packages: apt-get install clang):
# the .npy reader (fuzz_npy) and the JSON configuration parser (fuzz_config).
#
#     bash tests/fuzz/run_fuzz.sh [SECONDS_EACH]      # default 600
#
# Each target starts from, and adds what it finds to, tests/fuzz/corpus/<name>/,
# which CI replays through the sanitizer build (tests/cpp/test_fuzz_corpus.cpp).
# Builds against the torch of $PYTHON (default .venv/bin/python) into build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-600}
PY=${PYTHON:-.venv/bin/python}
CXX=${FUZZ_CXX:-clang++}
OUT=build-fuzz
mkdir -p "$OUT"
torch=$($PY -c "import os, torch; print(os.path.dirname(torch.__file__))")
json=$($PY -c "import nlohmann_json; print(nlohmann_json.get_include())")
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I. -isystem "$torch/include" -isystem "$torch/include/torch/csrc/api/include" -isystem "$json"
       -D_GLIBCXX_USE_CXX11_ABI=1)
libs=(-L"$torch/lib" -Wl,-rpath,"$torch/lib" -ltorch_cpu -lc10)
$CXX "${flags[@]}" tests/fuzz/fuzz_npy.cpp tools/gpac_run/npy.cpp "${libs[@]}" -o "$OUT/fuzz_npy"
$CXX "${flags[@]}" tests/fuzz/fuzz_config.cpp tools/gpac_run/run_config.cpp csrc/bands.cpp tools/gpac_run/npy.cpp "${libs[@]}" \
  -o "$OUT/fuzz_config"
build_only=${FUZZ_BUILD_ONLY:-0}
[ "$build_only" = 1 ] && exit 0
for name in npy config; do
  mkdir -p "$OUT/found-$name"
  # New inputs go to build-fuzz/found-<name>; `-merge` then keeps in the committed corpus only
  # those that add coverage.
  ASAN_OPTIONS=detect_leaks=0 "$OUT/fuzz_$name" -max_total_time="$SECONDS_EACH" -max_len=4096 \
    -rss_limit_mb=4096 -print_final_stats=1 "$OUT/found-$name" "tests/fuzz/corpus/$name" \
    2>&1 | tail -n 25 | tee "$OUT/fuzz_$name.log"
  ASAN_OPTIONS=detect_leaks=0 "$OUT/fuzz_$name" -merge=1 "tests/fuzz/corpus/$name" "$OUT/found-$name" \
    > "$OUT/merge_$name.log" 2>&1
done
