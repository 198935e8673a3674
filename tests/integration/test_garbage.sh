#!/usr/bin/env bash
# Hostile input: many connections of mutated HTTP requests (seeded, the
# seed is printed), garbage on the TCP listener, odd UDP datagrams. The
# server must keep serving, keep its counters consistent (no slot leaked)
# and still shut down cleanly (exit 0; under ASan no leak and no error).
source "$(dirname "$0")/lib.sh"
it_setup
TP=$(free_port)
UP=$(free_port)
start_server --db db --tcp-bind "127.0.0.1:$TP" --tcp-db db --udp-bind "127.0.0.1:$UP" \
    --udp-db db --max-body-bytes 4096 --http-idle-timeout 2s --max-concurrent-writes 2
seed=${IT_FUZZ_SEED:-20261124}
"$IT_LOAD" fuzz "$HP" "$seed" 6 || fail "fuzz client (seed $seed)"

head -c 200000 /dev/urandom >"$T/noise"
"$IT_LOAD" tcp "$TP" "$T/noise" "$seed" || fail "tcp noise"
printf '\n\n\n' >"$T/nl"
: >"$T/empty"
head -c 1400 /dev/urandom >"$T/dgram"
"$IT_LOAD" udp "$UP" "$T/nl" "$T/empty" "$T/dgram" || fail "udp noise"
sleep 0.3

http GET "$H/ping"
expect_eq "still serving" 204 "$STATUS"
http POST "$H/write?db=db" --data-binary 'after v=1 1'
expect_eq "still writing" 204 "$STATUS"
expect_eq "no write slot leaked" 0 "$(metric strata_writes_in_progress)"
stop_server
dump db | grep -q '^db after v=1 1$' || fail "the write after the noise is not stored"
echo "ok"
