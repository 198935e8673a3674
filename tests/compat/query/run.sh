#!/usr/bin/env bash
# tests/compat/query/run.sh: the InfluxQL differential test. Starts a private
# InfluxDB 1.6.7 (bench/influxdb.sh), writes the generated data into it and into
# Strata (through qdriver), runs every request of queries/*.txt against both and
# compares the answers (compat.py). Exits 77 (skipped) when influxd is missing.
#
# Usage: run.sh QDRIVER WORKDIR [--verbose] [--keep]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
qdriver=$1
work=$2
shift 2
verbose=""
keep=0
for a in "$@"; do
    case "$a" in
    --verbose) verbose="--verbose" ;;
    --keep) keep=1 ;;
    esac
done
if ! command -v "${STRATA_INFLUXD:-influxd}" >/dev/null 2>&1; then
    echo "compat.query: influxd not found, skipped"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
python3 "$here/gen_data.py" "$work/data"
cat "$here"/queries/*.txt >"$work/requests.txt"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); print(p)')
export STRATA_INFLUX_RPC_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); print(p)')
stop() {
    "$root/bench/influxdb.sh" stop "$work/influx" >/dev/null 2>&1 || true
    if [ "$keep" = 0 ]; then rm -rf "$work/influx" "$work/strata"; fi
}
trap stop EXIT
"$root/bench/influxdb.sh" start "$port" "$work/influx" >/dev/null
url="http://127.0.0.1:$port"
python3 "$here/compat.py" write "$url" compat "$work/data/compat.lp"
python3 "$here/compat.py" write "$url" other "$work/data/other.lp"
python3 "$here/compat.py" query "$url" "$work/requests.txt" "$work/influx-out"
"$qdriver" "$work/strata" --load compat="$work/data/compat.lp" --load other="$work/data/other.lp" \
    --queries "$work/requests.txt" --out "$work/strata-out"
python3 "$here/compat.py" compare "$work/requests.txt" "$work/influx-out" "$work/strata-out" $verbose
