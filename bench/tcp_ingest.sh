#!/usr/bin/env bash
# bench/tcp_ingest.sh: ingest rate of stratad's raw TCP line-protocol listener:
# WRITERS connections stream their share of DATA.lp (split by lines); the
# clock stops when /metrics counts every line as stored. InfluxDB 1.6.7 has no
# TCP line-protocol listener, so its peer figure is its HTTP rate on the same
# file (bench/http_ingest.sh, same run when called with --peer).
#
#   bench/tcp_ingest.sh BUILD_DIR DATA.lp [WRITERS] [--peer]
set -uo pipefail
B=${1:?build dir}
DATA=${2:?data file}
WRITERS=${3:-2}
PEER=${4:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/tcpbench.XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HP=$(port)
TP=$(port)
lines=$(wc -l <"$DATA")
values=$(awk '{ n += gsub(/,/, ",", $2) + 1 } END { print n }' "$DATA")
split -n "l/$WRITERS" "$DATA" "$T/part."
"$B/tools/stratad" --data-dir "$T/data" --http-bind "127.0.0.1:$HP" --tcp-bind "127.0.0.1:$TP" \
    --tcp-db benchmark --log-level warn >"$T/stratad.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$HP/ping" && break; sleep 0.05; done
stored() {
    curl -s "http://127.0.0.1:$HP/metrics" |
        awk '/^strata_points_written_total\{source="tcp"\}/ { print $2 }'
}
t0=$(date +%s%N)
for f in "$T"/part.*; do
    (cat "$f" >"/dev/tcp/127.0.0.1/$TP") &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
while [ "$(stored)" != "$lines" ]; do sleep 0.02; done
t1=$(date +%s%N)
rss=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$PID/status")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
echo "stratad tcp writers=$WRITERS lines=$lines points/s=$(awk -v l="$lines" -v s="$secs" 'BEGIN { printf "%d", l / s }') values/s=$(awk -v v="$values" -v s="$secs" 'BEGIN { printf "%d", v / s }') peak_rss_mib=$rss"
kill "$PID"
wait "$PID"
PID=""
if [ "$PEER" = "--peer" ]; then
    bash "$SRC/bench/http_ingest.sh" "$B" "$DATA" "$WRITERS" 5000 1 | grep influxd
fi
