#!/usr/bin/env bash
# Clean shutdown: SIGTERM exits 0, the data is there after a restart, and
# writes in progress at SIGTERM are finished (every acknowledged batch is
# stored) before the engine closes.
source "$(dirname "$0")/lib.sh"
it_setup

start_server --db db
http POST "$H/write?db=db" --data-binary $'m,t=a v=1 1\nm,t=b v=2 2'
expect_eq "first write" 204 "$STATUS"
stop_server
grep -q "stopped cleanly" "$T/server.log" || fail "no clean stop in the log"

start_server
http POST "$H/write?db=db" --data-binary 'm,t=a v=3 3'
expect_eq "write after restart (db persisted)" 204 "$STATUS"
stop_server
expect_eq "points after restart" $'db m,t=a v=1 1\ndb m,t=a v=3 3\ndb m,t=b v=2 2' "$(dump db)"

# SIGTERM during concurrent ingest.
start_server --db load
"$IT_LOAD" gen "$HP" load 3 100000 500 "$T/ack" &
load_pid=$!
sleep 1
stop_server
wait "$load_pid"
[ "$(wc -l <"$T/ack")" -gt 0 ] || fail "no batch acknowledged before SIGTERM"
dump load >"$T/dump"
check_batches "$T/ack" 500 "$T/dump"
echo "ok"
