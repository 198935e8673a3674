#!/usr/bin/env bash
# tests/compat/query/run.sh: the InfluxQL differential test. Starts a private
# InfluxDB 1.6.7 (bench/influxdb.sh), writes the generated data into it and into
# Strata (through qdriver), runs every request of queries/*.txt against both and
# compares the answers (compat.py). Exits 77 (skipped) when influxd is missing.
#
# Usage: run.sh QDRIVER WORKDIR [--verbose] [--keep] [--stratad BIN] [--requests FILE]
# With --stratad the Strata side is a real stratad on a free loopback port (the
# same requests over HTTP) instead of the in-process driver. --requests replaces
# queries/*.txt; a request with the option "write" is a POST /write (see compat.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
qdriver=$1
work=$2
shift 2
verbose=""
keep=0
stratad=""
requests=""
while [ $# -gt 0 ]; do
    case "$1" in
    --verbose) verbose="--verbose" ;;
    --keep) keep=1 ;;
    --stratad)
        stratad=$2
        shift
        ;;
    --requests)
        requests=$2
        shift
        ;;
    esac
    shift
done
if ! command -v "${STRATA_INFLUXD:-influxd}" >/dev/null 2>&1; then
    echo "compat.query: influxd not found, skipped"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
python3 "$here/gen_data.py" "$work/data"
if [ -n "$requests" ]; then
    cp "$requests" "$work/requests.txt"
else
    cat "$here"/queries/*.txt >"$work/requests.txt"
fi

spid=""
stop() {
    if [ -n "$spid" ]; then
        kill "$spid" 2>/dev/null || true
        wait "$spid" 2>/dev/null || true
    fi
    "$root/bench/influxdb.sh" stop "$work/influx" >/dev/null 2>&1 || true
    if [ "$keep" = 0 ]; then rm -rf "$work/influx" "$work/strata"; fi
}
trap stop EXIT
"$root/bench/influxdb.sh" start auto "$work/influx" >/dev/null
url="http://127.0.0.1:$(cat "$work/influx/influxd.port")"
python3 "$here/compat.py" write "$url" compat "$work/data/compat.lp"
python3 "$here/compat.py" write "$url" other "$work/data/other.lp"
python3 "$here/compat.py" query "$url" "$work/requests.txt" "$work/influx-out"
if [ -n "$stratad" ]; then
    sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); print(p)')
    "$stratad" --data-dir "$work/strata" --http-bind "127.0.0.1:$sport" --tcp-bind off \
        --udp-bind off --wal-sync off >"$work/stratad.log" 2>&1 &
    spid=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$sport/ping" && break
        sleep 0.1
    done
    surl="http://127.0.0.1:$sport"
    python3 "$here/compat.py" write "$surl" compat "$work/data/compat.lp"
    python3 "$here/compat.py" write "$surl" other "$work/data/other.lp"
    python3 "$here/compat.py" query "$surl" "$work/requests.txt" "$work/strata-out"
else
    "$qdriver" "$work/strata" --load compat="$work/data/compat.lp" --load other="$work/data/other.lp" \
        --queries "$work/requests.txt" --out "$work/strata-out"
fi
python3 "$here/compat.py" compare "$work/requests.txt" "$work/influx-out" "$work/strata-out" $verbose
