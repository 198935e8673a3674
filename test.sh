#!/usr/bin/env bash
# One command to test Strata: install what is missing (InfluxDB 1.6.7 included,
# for the compatibility tests), then build and run the whole test suite twice:
# in a Debug build and in an AddressSanitizer + UndefinedBehaviorSanitizer build.
#   ./test.sh            both builds
#   ./test.sh --quick    the Debug build only
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh --peer
echo "== format"
scripts/check-format.sh
jobs=$(nproc)
builds=(debug san)
[ "${1:-}" = "--quick" ] && builds=(debug)
for b in "${builds[@]}"; do
  case $b in
    debug) flags=(-DCMAKE_BUILD_TYPE=Debug) ;;
    san)   flags=(-DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=ON) ;;
  esac
  echo "== build-$b"
  cmake -S . -B "build-$b" "${flags[@]}" >/dev/null
  cmake --build "build-$b" -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "build-$b" --output-on-failure -j"$jobs" --timeout 900
done
echo "== all tests passed"
