#!/usr/bin/env bash
# Installs dependencies, builds everything with warnings as errors, and runs every test:
# unit + integration + interop (ctest), the unit tests again under ASan+UBSan, and a short
# smoke run of every fuzz target. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/install-deps.sh

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"
jobs=$(nproc)
common=(-G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache -DSEALPOST_WERROR=ON)

echo "== build (RelWithDebInfo, hardened, -Werror)"
cmake -S . -B build/main "${common[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/main -j "$jobs"

echo "== clang-format (check)"
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

echo "== clang-tidy"
./scripts/tidy.sh build/main

echo "== tests"
ctest --test-dir build/main --output-on-failure -j "$jobs"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build/asan "${common[@]}" -DCMAKE_BUILD_TYPE=Debug -DSEALPOST_SANITIZE=ON \
    -DSEALPOST_BUILD_UI=OFF -DSEALPOST_BUILD_BENCH=OFF >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs" -L unit

echo "== fuzz targets (smoke run)"
cmake -S . -B build/fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALPOST_BUILD_FUZZ=ON \
    -DSEALPOST_BUILD_TESTS=OFF -DSEALPOST_BUILD_UI=OFF -DSEALPOST_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz -j "$jobs" --target fuzz-all
"$root/fuzz/run-smoke.sh" build/fuzz/fuzz "${FUZZ_SECONDS:-20}"

echo "== all tests passed"
