# tests/integration/lib.sh: shared helpers for the integration tests, which
# run the real stratad on loopback ports with a temporary data directory and
# talk to it with curl, bash and the it_load / it_dump helpers.
#
# ctest sets STRATAD, IT_LOAD, IT_DUMP (binaries) and STRATA_TEST_TMP.
# Every test sources this file, calls it_setup, and leaves through fail or
# the EXIT trap, which stops the server it started (by PID) and removes the
# temporary directory.
set -uo pipefail

: "${STRATAD:?set STRATAD to the stratad binary}"
: "${IT_LOAD:?set IT_LOAD}"
: "${IT_DUMP:?set IT_DUMP}"

T=""         # temp dir
SRV_PID=""   # running stratad
HP=""        # its HTTP port
H=""         # http://127.0.0.1:$HP

it_cleanup() {
    if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
        kill -KILL "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
    fi
    [ -n "$T" ] && rm -rf "$T"
}

fail() {
    echo "FAIL: $*" >&2
    if [ -n "$T" ] && [ -f "$T/server.log" ]; then
        echo "--- server log (last 40 lines)" >&2
        tail -40 "$T/server.log" >&2
    fi
    exit 1
}

it_setup() {
    local base="${STRATA_TEST_TMP:-/tmp}"
    mkdir -p "$base"
    T=$(mktemp -d "$base/it.XXXXXX") || fail "mktemp"
    trap it_cleanup EXIT
}

free_port() { "$IT_LOAD" port || fail "no free port"; }

# start_server [extra stratad flags...]: start on a fresh HTTP port, wait for /ping. A port taken
# between the pick and the bind (tests run in parallel) is replaced by another one.
start_server() {
    local try
    for try in 1 2 3 4 5; do
        HP=$(free_port)
        H="http://127.0.0.1:$HP"
        local mark
        mark=$(wc -c <"$T/server.log" 2>/dev/null || echo 0)
        "$STRATAD" --data-dir "$T/data" --http-bind "127.0.0.1:$HP" "$@" >>"$T/server.log" 2>&1 &
        SRV_PID=$!
        for _ in $(seq 1 200); do
            if curl -s -o /dev/null "$H/ping"; then
                return 0
            fi
            if ! kill -0 "$SRV_PID" 2>/dev/null; then
                wait "$SRV_PID" 2>/dev/null
                tail -c +"$((mark + 1))" "$T/server.log" | grep -q "127.0.0.1:$HP (--http-bind): address already in use" ||
                    fail "stratad exited at start"
                echo "port $HP was taken meanwhile; trying another" >&2
                continue 2
            fi
            sleep 0.05
        done
        fail "stratad did not answer /ping within 10 s"
    done
    fail "stratad could not bind a free HTTP port in 5 tries"
}

# stop_server: SIGTERM, wait, demand exit status 0.
stop_server() {
    kill -TERM "$SRV_PID" || fail "server not running"
    local rc=0
    wait "$SRV_PID" || rc=$?
    SRV_PID=""
    [ "$rc" -eq 0 ] || fail "stratad exited with status $rc after SIGTERM"
}

# kill9_server: no shutdown at all.
kill9_server() {
    kill -KILL "$SRV_PID"
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=""
}

# dump [db]: every stored point, sorted (the server must be stopped).
dump() { "$IT_DUMP" "$T/data" "$@" | LC_ALL=C sort || fail "it_dump failed"; }

expect_eq() { # what expected actual
    [ "$2" == "$3" ] || fail "$1: expected [$2], got [$3]"
}

expect_match() { # what regex actual
    [[ "$3" =~ $2 ]] || fail "$1: [$3] does not match /$2/"
}

# http METHOD URL [curl args...]: sets STATUS, BODY, HEADERS (lowercase names).
http() {
    local m=$1 u=$2
    shift 2
    local out
    out=$(curl -s -X "$m" -D "$T/h" -o "$T/b" -w '%{http_code}' "$u" "$@") || true
    STATUS=$out
    BODY=$(cat "$T/b")
    HEADERS=$(tr -d '\r' <"$T/h" | tr 'A-Z' 'a-z')
}

# metric NAME_WITH_LABELS: value from /metrics.
metric() {
    curl -s "$H/metrics" | grep -F "$1 " | grep -v '^#' | head -1 | awk '{print $2}'
}

# check_batches ACKFILE LINES DUMPFILE: every batch acknowledged with 204 is
# stored completely, every batch stored at all is complete (a batch is one
# commit), and no point is stored twice. Prints a summary.
check_batches() {
    local ack=$1 lines=$2 dumpf=$3
    local dups
    dups=$(sort "$dumpf" | uniq -d | head -3)
    [ -z "$dups" ] || fail "points stored twice: $dups"
    awk -v lines="$lines" '
        FNR == NR { acked[$1 " " $2] = 1; nack++; next }
        $2 ~ /^load,/ {
            split($2, kv, /[,=]/)       # load b B w W
            n[kv[5] " " kv[3]]++
        }
        END {
            for (k in acked) if (n[k] != lines) { printf "acked batch %s has %d of %d points\n", k, n[k], lines; bad = 1 }
            for (k in n) { if (n[k] != lines) { printf "batch %s is partial: %d of %d points\n", k, n[k], lines; bad = 1 }; stored++ }
            printf "batches: %d acknowledged, %d stored\n", nack, stored
            exit bad
        }' "$ack" "$dumpf" || fail "batch check failed"
}
