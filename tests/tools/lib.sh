# tests/tools/lib.sh: shared helpers of the `strata` tool tests. ctest sets
# STRATA (the tool), STRATAD (the server), TT (tests/tools/tt.c), STRATA_GEN
# (the generator, when benchmarks are built) and STRATA_TEST_TMP. Every test
# sources this file and calls tt_setup; the EXIT trap stops the server it
# started (by PID) and removes the temporary directory.
set -uo pipefail

: "${STRATA:?set STRATA to the strata binary}"
: "${STRATAD:?set STRATAD to the stratad binary}"
: "${TT:?set TT to the tools_tt helper}"

T=""        # temp dir
SRV_PID=""  # running stratad
H=""        # http://127.0.0.1:PORT

tt_cleanup() {
    if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
        kill -KILL "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
    fi
    [ -n "$T" ] && rm -rf "$T"
}

fail() {
    echo "FAIL: $*" >&2
    if [ -n "$T" ] && [ -f "$T/server.log" ]; then
        echo "--- server log (last 20 lines)" >&2
        tail -20 "$T/server.log" >&2
    fi
    exit 1
}

tt_setup() {
    local base="${STRATA_TEST_TMP:-/tmp}"
    mkdir -p "$base"
    T=$(mktemp -d "$base/tools.XXXXXX") || fail "mktemp"
    trap tt_cleanup EXIT
}

# start_server DIR [flags...]: stratad on a free loopback port; sets H.
start_server() {
    local dir=$1
    shift
    local port
    port=$("$TT" port) || fail "no free port"
    H="http://127.0.0.1:$port"
    "$STRATAD" --data-dir "$dir" --http-bind "127.0.0.1:$port" "$@" >>"$T/server.log" 2>&1 &
    SRV_PID=$!
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "$H/ping" && return 0
        kill -0 "$SRV_PID" 2>/dev/null || fail "stratad exited at start"
        sleep 0.05
    done
    fail "stratad did not answer /ping within 10 s"
}

stop_server() {
    kill -TERM "$SRV_PID" || fail "server not running"
    local rc=0
    wait "$SRV_PID" || rc=$?
    SRV_PID=""
    [ "$rc" -eq 0 ] || fail "stratad exited with status $rc after SIGTERM"
}

# run EXPECTED_STATUS CMD...: run, keep stdout in $T/out and stderr in $T/err.
run() {
    local want=$1
    shift
    local rc=0
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "--- stdout" >&2; head -30 "$T/out" >&2
        echo "--- stderr" >&2; head -30 "$T/err" >&2
        fail "$* exited with $rc, expected $want"
    fi
}

expect_eq() { # what expected actual
    [ "$2" == "$3" ] || fail "$1: expected [$2], got [$3]"
}

# expect_in FILE TEXT: the file contains the fixed string.
expect_in() {
    grep -qF -- "$2" "$1" || { echo "--- $1" >&2; head -40 "$1" >&2; fail "$1 lacks [$2]"; }
}
