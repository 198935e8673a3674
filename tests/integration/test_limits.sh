#!/usr/bin/env bash
# Limits and back-pressure: with one write slot, concurrent writers all
# succeed by waiting (unread) for it; Expect: 100-continue bodies go through
# once admitted; --max-connections refuses extra connections; idle and
# half-finished connections are closed after --http-idle-timeout; big
# headers get 431; HTTP/1.0 is answered and closed.
source "$(dirname "$0")/lib.sh"
it_setup
start_server --db db --workers 1 --max-concurrent-writes 1 --max-connections 8 \
    --http-idle-timeout 1s --max-header-bytes 2KiB --max-body-bytes 64MiB

# 4 writers x 30 batches x 2000 lines through one slot.
"$IT_LOAD" gen "$HP" db 4 30 2000 "$T/ack" || fail "load"
expect_eq "every batch acknowledged" 120 "$(wc -l <"$T/ack")"
waits=$(metric strata_write_waits_total)
[ "$waits" -gt 0 ] || fail "no writer ever waited for the single write slot"
echo "writers waited for a slot $waits times"
expect_eq "slots released" 0 "$(metric strata_writes_in_progress)"

# A 3 MB body: curl sends Expect: 100-continue and waits for it.
for i in $(seq 1 100000); do echo "big,i=$((i % 10)) v=${i}i $i"; done >"$T/big.lp"
out=$(curl -sv -o /dev/null -w '%{http_code}' --data-binary @"$T/big.lp" "$H/write?db=db" 2>"$T/curl.err")
expect_eq "big write" 204 "$out"
grep -q "HTTP/1.1 100 Continue" "$T/curl.err" || fail "no 100 Continue before the big body"

# Headers over --max-header-bytes.
http GET "$H/ping" -H "X-Big: $(head -c 3000 /dev/zero | tr '\0' a)"
expect_eq "431" 431 "$STATUS"

# HTTP/1.0: answered, then closed.
out=$(curl -s -0 -o /dev/null -w '%{http_code}' --data-binary 'h10 v=1 1' "$H/write?db=db")
expect_eq "HTTP/1.0 write" 204 "$out"

# Idle connections (one silent, one stuck in its headers) are closed after 1 s.
exec 3<>"/dev/tcp/127.0.0.1/$HP"
exec 4<>"/dev/tcp/127.0.0.1/$HP"
printf 'POST /write?db=db HTTP/1.1\r\nHost: x\r\n' >&4
sleep 0.3
open_before=$(metric 'strata_open_connections{kind="http"}')
sleep 2.5
open_after=$(metric 'strata_open_connections{kind="http"}')
[ "$open_before" -ge 3 ] || fail "expected the 2 idle connections open at first, saw $open_before"
expect_eq "idle connections closed (only /metrics' own is open)" 1 "$open_after"
exec 3<&- 4<&-

# --max-connections 8: the 9th and later are closed at once and counted.
for i in $(seq 5 16); do eval "exec $i<>/dev/tcp/127.0.0.1/$HP"; done
sleep 0.3
for i in $(seq 5 16); do eval "exec $i<&-"; done
refused=$(metric strata_connections_refused_total)
[ "$refused" -ge 4 ] || fail "expected at least 4 refused connections, saw $refused"
grep -q "max-connections" "$T/server.log" || fail "refusals not logged"
http GET "$H/ping"
expect_eq "server still serves" 204 "$STATUS"

stop_server
expect_eq "points stored (240000 + 100000 + 1)" 340001 "$(dump db | wc -l)"
echo "ok"
