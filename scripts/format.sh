#!/usr/bin/env bash
# Rewrites every tracked C++ file with .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cpp' '*.h' | xargs clang-format -i
