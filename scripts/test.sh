#!/usr/bin/env bash
# Installs the dependencies, builds (with ASan and UBSan) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh debug
cd build-debug
ctest --output-on-failure --parallel 2 --timeout 600
