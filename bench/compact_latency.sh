#!/usr/bin/env bash
# bench/compact_latency.sh: write latency of stratad while background
# compaction runs, against the same run with compaction off.
#
#   bench/compact_latency.sh BUILD_DIR [SECONDS] [BATCHES_PER_S] [LINES] [MODES]
#
# For each mode, on a fresh data directory: preload one day of TSBS cpu-only
# data for 100 hosts (bench/gen/strata-gen, 8.64 M values, checkpointed into
# many small chunks), then send the next day's data at a steady rate
# (BATCHES_PER_S batches of LINES lines over one keep-alive connection,
# bench/compact_latency.c) for SECONDS, measuring each request from the time
# it was due. MODES (default "off on on-1MiB"):
#   off     --compact-interval 0
#   on      --compact-interval 3s with the default rate (32 MiB/s)
#   on-R    --compact-interval 3s --compact-rate R (e.g. on-1MiB, on-0 = no limit)
# Prints one line per mode (p50/p90/p99/p99.9/max ms, compaction runs and
# throughput from the server log) and the ratios to "off". Loopback only;
# stops every server it started. Takes about SECONDS + 15 s per mode.
set -euo pipefail
B=$(cd "${1:?build dir (Release recommended)}" && pwd)
SECS=${2:-30}
RATE=${3:-40}
LINES=${4:-500}
MODES=${5:-off on on-1MiB}
T=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/bench.XXXXXX")
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
GEN="$B/bench/gen/strata-gen"
"$GEN" --use-case cpu-only --scale 100 --timestamp-end 2016-01-02T00:00:00Z --out "$T/pre.lp"
"$GEN" --use-case cpu-only --scale 100 --timestamp-start 2016-01-02T00:00:00Z \
    --timestamp-end 2016-01-04T00:00:00Z --limit $((SECS * RATE * LINES + LINES)) --out "$T/steady.lp"
port=$("$B/tests/integration/it_load" port)
declare -A P99 P50 MAX
for mode in $MODES; do
    rm -rf "$T/data"
    args=(--compact-interval 0)
    case "$mode" in
    off) ;;
    on) args=(--compact-interval 3s) ;;
    on-*) args=(--compact-interval 3s --compact-rate "${mode#on-}") ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
    esac
    "$B/tools/stratad" --data-dir "$T/data" --http-bind "127.0.0.1:$port" --db bench \
        --checkpoint-interval 1s --log-level info "${args[@]}" >"$T/$mode.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/ping" && break; sleep 0.05; done
    "$B/tests/integration/it_load" file "$port" bench 2 5000 "$T/pre.lp" >/dev/null
    sleep 1.5 # a checkpoint: the preload is in LMDB, in small chunks, before the clock starts
    out=$("$B/bench/compact_latency" "$port" bench "$LINES" "$RATE" "$SECS" "$T/steady.lp")
    kill "$PID"; wait "$PID" || true; PID=""
    # Compaction runs finished during the steady phase, with their bytes and times.
    comp=$(awk '/background compaction: / {
            for (i = 1; i <= NF; i++) {
                if ($i == "read") r += $(i - 2)
                if ($i == "written") w += $(i - 2)
                if ($i == "in" && $(i + 2) == "s") s += $(i + 1)
            }
            n++ }
        END { if (s > 0) printf "runs=%d read_mib=%.1f written_mib=%.1f busy_s=%.1f mib_per_s=%.1f", n, r, w, s, (r + w) / s;
              else printf "runs=%d", n }' "$T/$mode.log")
    echo "$mode: $out $comp"
    P50[$mode]=$(sed 's/.*p50_ms=\([0-9.]*\).*/\1/' <<<"$out")
    P99[$mode]=$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$out")
    MAX[$mode]=$(sed 's/.*max_ms=\([0-9.]*\).*/\1/' <<<"$out")
done
if [ -n "${P99[off]:-}" ]; then
    for mode in $MODES; do
        [ "$mode" = off ] && continue
        awk -v m="$mode" -v a="${P50[$mode]}" -v b="${P50[off]}" -v c="${P99[$mode]}" \
            -v d="${P99[off]}" -v e="${MAX[$mode]}" -v f="${MAX[off]}" \
            'BEGIN { printf "%s / off: p50 %.2fx, p99 %.2fx, max %.2fx\n", m, a / b, c / d, e / f }'
    done
fi
