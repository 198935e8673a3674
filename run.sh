#!/usr/bin/env bash
# One command to try Strata: install what is missing, build a Release binary,
# and start stratad on its embedded defaults (data in ./data, HTTP on
# 127.0.0.1:8086). Extra arguments go to stratad (see: build/tools/stratad --help).
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATA_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target stratad
exec build/tools/stratad "$@"
