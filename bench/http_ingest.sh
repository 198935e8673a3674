#!/usr/bin/env bash
# bench/http_ingest.sh: end-to-end HTTP ingest rate of
# stratad and of InfluxDB 1.6.7 on the same line protocol: WRITERS
# concurrent keep-alive connections posting LINES-line batches to /write
# (it_load file), each server on a fresh data directory, RUNS times each.
# Not a ctest test (it takes a while and needs influxd); run it by hand:
#
#   bench/http_ingest.sh BUILD_DIR DATA.lp [WRITERS] [LINES] [RUNS] [gzip]
#
# DATA.lp comes from the generator, e.g.
#   BUILD_DIR/bench/gen/strata-gen --scale 100 --timestamp-end 2016-01-01T12:00:00Z --out DATA.lp
# Prints one line per run: server, points/s, values/s.
set -euo pipefail
B=${1:?build dir}
DATA=${2:?data file}
WRITERS=${3:-2}
LINES=${4:-5000}
RUNS=${5:-3}
GZ=${6:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/bench.XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ -f "$T/influx/influxd.pid" ] && bash "$SRC/bench/influxdb.sh" stop "$T/influx" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
port=$("$B/tests/integration/it_load" port)
# Field values in the file (the generator writes no spaces inside keys or values).
values=$(awk '{ n += gsub(/,/, ",", $2) + 1 } END { print n }' "$DATA")
lines=$(wc -l <"$DATA")
peak_rss() { # pid: peak resident set in MiB (VmHWM)
    awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null
}
run_load() { # name pid
    out=$("$B/tests/integration/it_load" file "$port" benchmark "$WRITERS" "$LINES" "$DATA" $GZ)
    pps=$(sed 's/.*points_per_sec=//' <<<"$out")
    echo "$1 writers=$WRITERS lines=$LINES ${GZ:-plain} points/s=$pps values/s=$((pps * values / lines)) peak_rss_mib=$(peak_rss "$2")"
}
for r in $(seq 1 "$RUNS"); do
    rm -rf "$T/sdata"
    "$B/tools/stratad" --data-dir "$T/sdata" --http-bind "127.0.0.1:$port" --db benchmark \
        --log-level warn >"$T/stratad.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/ping" && break; sleep 0.05; done
    run_load "stratad run $r" "$PID"
    kill "$PID"; wait "$PID"; PID=""
done
for r in $(seq 1 "$RUNS"); do
    rm -rf "$T/influx"; mkdir -p "$T/influx"
    STRATA_INFLUX_LOG_LEVEL=warn bash "$SRC/bench/influxdb.sh" start "$port" "$T/influx" >/dev/null
    curl -s -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE benchmark" >/dev/null
    run_load "influxd-1.6.7 run $r" "$(cat "$T/influx/influxd.pid")"
    bash "$SRC/bench/influxdb.sh" stop "$T/influx" >/dev/null
done
