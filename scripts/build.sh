#!/usr/bin/env bash
# Builds tandem: scripts/build.sh [release|debug]. release -> build/, debug (ASan+UBSan) -> build-debug/.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release) dir=build; type=Release ;;
  debug) dir=build-debug; type=Debug ;;
  *) echo "usage: $0 [release|debug]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" >/dev/null
cmake --build "$dir" --parallel "$(nproc)"
