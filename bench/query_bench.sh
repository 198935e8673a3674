#!/usr/bin/env bash
# bench/query_bench.sh: TSBS devops queries (cpu-only data) against stratad and InfluxDB 1.6.7.
#
# What it does, in one run:
#   1. generates TSBS cpu-only data with bench/gen (strata-gen, seed 123, 10 s interval):
#      100 hosts x 1 day by default (--quick: 10 hosts x 2 h);
#   2. starts a Release stratad (its own temp data directory, a free loopback port) and a
#      private influxd (bench/influxdb.sh), loads the same file into both over HTTP /write
#      (tests/integration/it_load, one writer, 5,000-line batches in file order, so that each
#      series arrives in time order as from a collector: concurrent writers would interleave
#      batches and leave overlapping chunks that every read must merge until a compaction),
#      restarts stratad so that everything is checkpointed into LMDB, and waits until both
#      answer count(*) with every point;
#   3. generates the 13 TSBS devops query types with bench/query_bench.py (seeded; InfluxQL
#      exactly as TSBS's influx generator writes it), runs them through bench/query_driver
#      (one keep-alive HTTP connection per server, one request at a time, the servers
#      alternating, a warm-up of 2 queries per type), checks that both servers give the same
#      answer to every query, and prints median / p90 latency per type and the ratio
#      InfluxDB/Strata.
#
# Usage: bench/query_bench.sh [options]
#   --build DIR      Release build directory (default: build-rel; built if missing)
#   --quick          smoke run: 10 hosts x 2 h, 5 queries per type (well under a minute)
#   --scale N        hosts (default 100)
#   --hours H        hours of data from 2016-01-01T00:00:00Z (default 24)
#   --n N            queries per type (default 50)
#   --n-slow N       queries of the slow types: double-groupby-*, high-cpu-all, lastpoint
#                    (default 10)
#   --counts SPEC    per-type counts, e.g. "lastpoint=5,high-cpu-1=100" (overrides --n/--n-slow)
#   --seed S         query generator seed (default 321)
#   --out DIR        keep the answers, latencies and the table here (default: a temp dir,
#                    removed at the end)
#   --markdown FILE  also write the table (Markdown) to FILE
#   --only-strata    skip InfluxDB: latencies of stratad alone, no comparison
# Exit status: 0 when every answer matched, 1 on any mismatch or failure.
# Needs: influxd (Debian package influxdb 1.6.7), curl, python3. Servers started here are
# stopped by PID on exit.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$SRC/build-rel
SCALE=100
HOURS=24
N=50
NSLOW=10
COUNTS=""
SEED=321
OUT=""
MD=""
QUICK=0
ONLY_STRATA=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build) B=$2; shift ;;
    --quick) QUICK=1 ;;
    --scale) SCALE=$2; shift ;;
    --hours) HOURS=$2; shift ;;
    --n) N=$2; shift ;;
    --n-slow) NSLOW=$2; shift ;;
    --counts) COUNTS=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --out) OUT=$2; shift ;;
    --markdown) MD=$2; shift ;;
    --only-strata) ONLY_STRATA=1 ;;
    -h | --help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "query_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    SCALE=10
    HOURS=2
    N=5
    NSLOW=3
fi
DB=benchmark
START=2016-01-01T00:00:00Z
END=$(python3 -c "import datetime as d; print((d.datetime(2016,1,1)+d.timedelta(hours=$HOURS)).strftime('%Y-%m-%dT%H:%M:%SZ'))")

if [ ! -x "$B/tools/stratad" ] || [ ! -x "$B/bench/query_driver" ] || [ ! -x "$B/tests/integration/it_load" ]; then
    cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$B" -j2 --target stratad query_driver strata-gen it_load >/dev/null
fi
if [ "$ONLY_STRATA" = 0 ] && ! command -v "${STRATA_INFLUXD:-influxd}" >/dev/null; then
    echo "query_bench.sh: influxd not found (apt-get install influxdb), or use --only-strata" >&2
    exit 1
fi

T=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/qbench.XXXXXX")
SPID=""
cleanup() {
    if [ -n "$SPID" ]; then
        kill "$SPID" 2>/dev/null || true
        wait "$SPID" 2>/dev/null || true
    fi
    [ -f "$T/influx/influxd.pid" ] && bash "$SRC/bench/influxdb.sh" stop "$T/influx" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
[ -n "$OUT" ] || OUT=$T/out
rm -rf "$OUT"
mkdir -p "$OUT"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_ping() { # port
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "http://127.0.0.1:$1/ping" && return 0
        sleep 0.05
    done
    echo "query_bench.sh: no answer on port $1" >&2
    return 1
}
# Every field of cpu counted on PORT equals LINES (the data has 10 fields per line).
count_ok() { # port lines
    curl -s -G "http://127.0.0.1:$1/query" --data-urlencode "db=$DB" \
        --data-urlencode "q=SELECT count(*) FROM cpu" |
        python3 -c '
import json, sys
want = int(sys.argv[1])
try:
    s = json.load(sys.stdin)["results"][0]["series"][0]
    v = s["values"][0][1:]
    sys.exit(0 if len(v) == 10 and all(x == want for x in v) else 1)
except Exception:
    sys.exit(1)' "$2"
}
wait_count() { # name port lines
    for _ in $(seq 1 600); do
        count_ok "$2" "$3" && return 0
        sleep 0.5
    done
    echo "query_bench.sh: $1 does not count all $3 points after 5 minutes" >&2
    return 1
}

echo "== data: cpu-only, $SCALE hosts, $START .. $END, seed 123" >&2
"$B/bench/gen/strata-gen" --use-case cpu-only --scale "$SCALE" --timestamp-start "$START" \
    --timestamp-end "$END" --seed 123 --out "$T/data.lp"
LINES=$(wc -l <"$T/data.lp")

start_stratad() {
    "$B/tools/stratad" --data-dir "$T/strata" --http-bind "127.0.0.1:$SPORT" --tcp-bind off \
        --udp-bind off --db "$DB" --log-level warn >>"$T/stratad.log" 2>&1 &
    SPID=$!
    wait_ping "$SPORT"
}
SPORT=$(free_port)
start_stratad
echo "== loading $LINES lines into stratad (port $SPORT)" >&2
"$B/tests/integration/it_load" file "$SPORT" "$DB" 1 5000 "$T/data.lp" >&2
# A clean stop checkpoints everything into LMDB; queries then read chunks, not the WAL replay.
kill "$SPID"
wait "$SPID" || true
SPID=""
start_stratad
wait_count stratad "$SPORT" "$LINES"
SERVERS=(--server "strata=127.0.0.1:$SPORT")

if [ "$ONLY_STRATA" = 0 ]; then
    STRATA_INFLUX_LOG_LEVEL=warn bash "$SRC/bench/influxdb.sh" start auto "$T/influx" >/dev/null
    IPORT=$(cat "$T/influx/influxd.port")
    curl -s -XPOST "http://127.0.0.1:$IPORT/query" --data-urlencode "q=CREATE DATABASE $DB" >/dev/null
    echo "== loading $LINES lines into influxd 1.6.7 (port $IPORT)" >&2
    "$B/tests/integration/it_load" file "$IPORT" "$DB" 1 5000 "$T/data.lp" >&2
    wait_count influxd "$IPORT" "$LINES"
    SERVERS+=(--server "influxdb=127.0.0.1:$IPORT")
fi
rm -f "$T/data.lp"

if [ -z "$COUNTS" ]; then
    COUNTS="default=$N,double-groupby-1=$NSLOW,double-groupby-5=$NSLOW,double-groupby-all=$NSLOW,high-cpu-all=$NSLOW,lastpoint=$NSLOW"
else
    COUNTS="default=$N,double-groupby-1=$NSLOW,double-groupby-5=$NSLOW,double-groupby-all=$NSLOW,high-cpu-all=$NSLOW,lastpoint=$NSLOW,$COUNTS"
fi
python3 "$SRC/bench/query_bench.py" gen --scale "$SCALE" --start "$START" --end "$END" \
    --seed "$SEED" --counts "$COUNTS" --out "$OUT/queries.tsv"
echo "== running $(wc -l <"$OUT/queries.tsv") queries" >&2
"$B/bench/query_driver" "${SERVERS[@]}" --db "$DB" --queries "$OUT/queries.tsv" --out "$OUT"
if [ "$ONLY_STRATA" = 1 ]; then
    python3 - "$OUT/latency.tsv" <<'EOF'
import sys
lat = {}
for row in list(open(sys.argv[1]))[1:]:
    f = row.split("\t")
    lat.setdefault(f[1], []).append(float(f[4]))
for t, v in lat.items():
    v.sort()
    print("%-24s n=%3d median %9.3f ms  p90 %9.3f ms" % (t, len(v), v[len(v) // 2] / 1e3,
          v[min(len(v) - 1, int(len(v) * 0.9))] / 1e3))
EOF
    exit 0
fi
md_args=()
[ -n "$MD" ] && md_args=(--markdown "$MD")
python3 "$SRC/bench/query_bench.py" report --queries "$OUT/queries.tsv" --dir "$OUT" \
    --a strata --b influxdb "${md_args[@]}"
