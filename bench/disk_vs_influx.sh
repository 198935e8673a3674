#!/usr/bin/env bash
# bench/disk_vs_influx.sh: bytes per value on disk, InfluxDB 1.6.7 against Strata, on the same
# generated data in the same run, one row per use case.
#
# Why: issue 2's disk goal is relative ("at most a fifth of InfluxDB 1.6.7's bytes per value on
# the same data"), so both stores must see identical input: this runs bench/influx_size.sh (load
# into a private influxd, wait for the full compaction, sum the TSM files) and
# bench/engine_bench (load the same strata-gen data into a fresh engine, final checkpoint,
# compaction, then payload / chunk tree / LMDB pages in use) with the same use case, scale,
# hours and seed (both use the generator's default seed 123 and start 2016-01-01T00:00:00Z).
#
# Usage: bench/disk_vs_influx.sh [--scale N] [--hours H] [--use-cases "gauges devops ..."]
#   defaults: --scale 100 --hours 6 --use-cases "gauges cpu-float devops-float cpu-only devops"
#   BUILD: build directory with Release binaries (default build-rel under the repository root).
#   STRATA_TEST_TMP: parent of temporary directories (default /tmp).
# Output: progress on stderr; on stdout a Markdown table, one row per use case:
#   InfluxDB TSM bytes/value (the compacted .tsm files alone) and whole data+wal directory;
#   Strata chunk payload, chunk tree pages, LMDB pages in use (what the file needs once LMDB's
#   free pages are reused) after `strata compact`; ratio = InfluxDB TSM / Strata pages in use
#   (the goal is >= 5); and Strata's pages as a running server leaves them: checkpoints every
#   5 minutes of data, then its background compaction (engine_bench --checkpoint-data-s 300
#   --compact-mode inplace), with the ratio to InfluxDB's TSM.
# Exit status: 0 when every measurement ran (whatever the ratios), 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
build=${BUILD:-$root/build-rel}
scale=100
hours=6
use_cases="gauges cpu-float devops-float cpu-only devops"
while (($#)); do
    case $1 in
    --scale) scale=$2; shift 2 ;;
    --hours) hours=$2; shift 2 ;;
    --use-cases) use_cases=$2; shift 2 ;;
    *) echo "usage: $0 [--scale N] [--hours H] [--use-cases \"uc ...\"]" >&2; exit 2 ;;
    esac
done
[[ "$hours" =~ ^[0-9]+$ && "$scale" =~ ^[0-9]+$ ]] || { echo "scale and hours are integers" >&2; exit 2; }
gen=$build/bench/gen/strata-gen
eb=$build/bench/engine_bench
for b in "$gen" "$eb"; do
    [[ -x "$b" ]] || { echo "disk_vs_influx.sh: missing $b (cmake --build $build)" >&2; exit 1; }
done

start_s=1451606400 # 2016-01-01T00:00:00Z, the generator's and engine_bench's default start
end=$(date -u -d "@$((start_s + hours * 3600))" +%Y-%m-%dT%H:%M:%SZ)

kv() { sed -n "s/^$1=//p" "$2"; }
rows=()
for uc in $use_cases; do
    echo "== $uc: InfluxDB 1.6.7 (scale $scale, $hours h)" >&2
    out_i=$(mktemp)
    out_s=$(mktemp)
    out_r=$(mktemp)
    STRATA_GEN=$gen "$root/bench/influx_size.sh" --use-case "$uc" --scale "$scale" \
        --timestamp-start 2016-01-01T00:00:00Z --timestamp-end "$end" >"$out_i"
    echo "== $uc: Strata" >&2
    "$eb" --use-case "$uc" --scale "$scale" --hours "$hours" >"$out_s" 2>&1
    echo "== $uc: Strata as a running server (checkpoints every 5 min of data, background compaction)" >&2
    "$eb" --use-case "$uc" --scale "$scale" --hours "$hours" --checkpoint-data-s 300 \
        --compact-mode inplace >"$out_r" 2>&1
    values=$(kv values "$out_i")
    tsm=$(kv tsm_bytes_per_value "$out_i")
    all=$(kv all_bytes_per_value "$out_i")
    # "disk after compaction: N chunks, payload X bytes/value; chunk tree Y bytes/value;
    #  LMDB pages in use Z bytes/value (file ..."
    line=$(grep '^disk after compaction:' "$out_s")
    payload=$(sed -n 's/.*payload \([0-9.]*\) bytes\/value.*/\1/p' <<<"$line")
    tree=$(sed -n 's/.*chunk tree \([0-9.]*\) bytes\/value.*/\1/p' <<<"$line")
    pages=$(sed -n 's/.*pages in use \([0-9.]*\) bytes\/value.*/\1/p' <<<"$line")
    s_values=$(sed -n "s/^data: .*h at [^:]*: [0-9]* points, \([0-9]*\) values$/\1/p" "$out_s" | head -1)
    srv=$(grep '^disk after compaction:' "$out_r" |
        sed -n 's/.*pages in use \([0-9.]*\) bytes\/value.*/\1/p')
    rm -f "$out_i" "$out_s" "$out_r"
    if [[ -z "$tsm" || -z "$pages" || -z "$srv" ]]; then
        echo "disk_vs_influx.sh: $uc: a measurement failed" >&2
        exit 1
    fi
    [[ -z "$s_values" || "$s_values" == "$values" ]] ||
        echo "disk_vs_influx.sh: warning: $uc: InfluxDB got $values values, Strata $s_values" >&2
    ratio=$(awk -v a="$tsm" -v b="$pages" 'BEGIN { printf "%.2f", a / b }')
    sratio=$(awk -v a="$tsm" -v b="$srv" 'BEGIN { printf "%.2f", a / b }')
    rows+=("| $uc | $values | $tsm | $all | $payload | $tree | $pages | ${ratio}x | $srv | ${sratio}x |")
    echo "   $uc: InfluxDB TSM $tsm B/value, Strata pages in use $pages B/value (${ratio}x)" >&2
done

echo "| data ($scale hosts, $hours h) | values | InfluxDB TSM | InfluxDB data+wal dir | Strata payload | Strata chunk tree | Strata LMDB pages in use | InfluxDB TSM / Strata pages | Strata pages, running server | InfluxDB TSM / that |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do echo "$r"; done
