#!/usr/bin/env bash
# bench/influx_size.sh: measure how many bytes InfluxDB 1.6.7 stores per value for a generated
# TSBS-style data set, after a full compaction.
#
# Why: Strata's storage efficiency is judged against InfluxDB's on the same data. This loads the
# output of strata-gen into a private influxd (bench/influxdb.sh) configured to snapshot its cache
# after 5 s and to fully compact a shard 10 s after its last write (data.cache-snapshot-write-
# cold-duration, data.compact-full-write-cold-duration), waits until every shard is a single TSM
# file and the WAL is empty, then reports the on-disk sizes.
#
# Usage: bench/influx_size.sh [strata-gen flags...]
#   e.g. bench/influx_size.sh --use-case cpu-only --scale 100 \
#            --timestamp-start 2016-01-01T00:00:00Z --timestamp-end 2016-01-02T00:00:00Z
#   STRATA_GEN: the generator (default build/bench/gen/strata-gen); STRATA_TEST_TMP: temp parent;
#   BATCH_LINES: lines per HTTP write (default 5000, as TSBS's default batch size).
# Output: key=value lines: values, text_bytes, tsm_bytes, index_bytes (shard dirs minus TSM),
# series_file_bytes (data/<db>/_series), wal_bytes, tsm_bytes_per_value, all_bytes_per_value.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
gen=${STRATA_GEN:-$root/build/bench/gen/strata-gen}
batch=${BATCH_LINES:-5000}
[[ -x "$gen" ]] || { echo "influx_size.sh: no strata-gen at $gen" >&2; exit 1; }

tmp=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/influx_size.XXXXXX")
dir=$tmp/influx
started=0
cleanup() {
    ((started)) && "$root/bench/influxdb.sh" stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT


"$gen" "$@" --out "$tmp/data.lp" --stats 2>"$tmp/gen.stats"
values=$(sed -n 's/.* values=\([0-9]*\).*/\1/p' "$tmp/gen.stats")
text_bytes=$(sed -n 's/.* bytes=\([0-9]*\).*/\1/p' "$tmp/gen.stats")
echo "generated: $(cat "$tmp/gen.stats")" >&2

STRATA_INFLUX_COLD=10s STRATA_INFLUX_SNAPSHOT_COLD=5s STRATA_INFLUX_LOG_LEVEL=warn \
    "$root/bench/influxdb.sh" start auto "$dir" >/dev/null
started=1
url=http://127.0.0.1:$(cat "$dir/influxd.port")
curl -sS -XPOST "$url/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null

t0=$(date +%s.%N)
split -l "$batch" "$tmp/data.lp" "$tmp/part."
rm -f "$tmp/data.lp"
# Two writers, as the machine has two cores.
ls "$tmp"/part.* | xargs -P 2 -I{} sh -c '
    code=$(curl -sS -o /dev/null -w "%{http_code}" -XPOST "'"$url"'/write?db=bench" --data-binary @{})
    [ "$code" = 204 ] || { echo "write of {} returned $code" >&2; exit 1; }
    rm -f {}'
t1=$(date +%s.%N)
echo "loaded in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >&2

# Wait for the full compaction: one .tsm per shard, no temp files, no WAL data, stable sizes.
shards() {
    find "$dir/data/bench" -mindepth 2 -maxdepth 2 -type d -regex '.*/[0-9]+$' -not -path '*/_series/*'
}
prev=
for ((i = 0; i < 180; i++)); do
    sleep 5
    done_=1
    for s in $(shards); do
        n=$(find "$s" -name '*.tsm' | wc -l)
        t=$(find "$s" -name '*.tmp' | wc -l)
        ((n == 1 && t == 0)) || done_=0
    done
    wal=$(find "$dir/wal" -name '*.wal' -size +0 | wc -l)
    ((wal == 0)) || done_=0
    cur=$(du -sb "$dir/data" | cut -f1)
    if ((done_)) && [[ "$cur" == "$prev" ]]; then break; fi
    prev=$cur
done
((done_)) || echo "influx_size.sh: warning: compaction not complete after 15 min" >&2

tsm=$(find "$dir/data/bench" -name '*.tsm' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
shard_all=0
for s in $(shards); do shard_all=$((shard_all + $(du -sb "$s" | cut -f1))); done
series=$(du -sb "$dir/data/bench/_series" 2>/dev/null | cut -f1 || echo 0)
wal=$(du -sb "$dir/wal" | cut -f1)
data_all=$(du -sb "$dir/data" | cut -f1)
echo "values=$values"
echo "text_bytes=$text_bytes"
echo "shards=$(shards | wc -l)"
echo "tsm_bytes=$tsm"
echo "index_bytes=$((shard_all - tsm))"
echo "series_file_bytes=${series:-0}"
echo "wal_bytes=$wal"
echo "data_dir_bytes=$data_all"
awk -v t="$tsm" -v a="$((data_all + wal))" -v v="$values" -v x="$text_bytes" 'BEGIN {
    printf "text_bytes_per_value=%.2f\n", x / v
    printf "tsm_bytes_per_value=%.3f\n", t / v
    printf "all_bytes_per_value=%.3f\n", a / v }'
