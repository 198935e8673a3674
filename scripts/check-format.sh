#!/usr/bin/env bash
# Fail when a C file tracked by git is not formatted as .clang-format says.
# ./test.sh runs this; fix with: clang-format -i FILE
set -uo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format not installed" >&2; exit 1; }
bad=0
for f in $(git ls-files '*.c' '*.h'); do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "check-format: $f is not formatted (clang-format -i $f)" >&2
        bad=1
    fi
done
exit $bad
