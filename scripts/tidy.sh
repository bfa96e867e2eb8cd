#!/usr/bin/env bash
# clang-tidy (checks in .clang-tidy, warnings are errors) over the product sources.
# Usage: scripts/tidy.sh BUILD_DIR   (a configured build directory with compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/main}
mapfile -t files < <(git ls-files 'core/*.cpp' 'app/*.cpp' 'ui/*.cpp' 'server/*.cpp')
echo "clang-tidy: ${#files[@]} files"
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
