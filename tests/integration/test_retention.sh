#!/usr/bin/env bash
# Retention in a running server: points of a policy are written over the
# last 48 hours; shortening the policy to 2 hours makes the background check
# expire every shard group that ended before now - 2h (1-hour groups), and
# nothing else: the count left equals the points at or after the cutoff the
# server logs, the cutoff is hour-aligned and between now - 3h and now - 2h,
# autogen keeps all its points, old writes to the policy are refused as
# InfluxDB refuses them, and all of it holds after a restart.
. "$(dirname "$0")/lib.sh"
it_setup

start_server --checkpoint-interval 100ms --retention-check-interval 200ms
q() { http POST "$H/query" --data-urlencode "db=db" --data-urlencode "q=$1"; }
q 'CREATE DATABASE db'
q 'CREATE RETENTION POLICY rp ON db DURATION 3d REPLICATION 1 SHARD DURATION 1h'
expect_eq "create rp" '{"results":[{"statement_id":0}]}' "$BODY"

now=$(date +%s)
start=$((now - 48 * 3600))
awk -v s="$start" 'BEGIN { for (i = 0; i <= 288; i++) for (h = 0; h < 2; h++)
    printf "m,host=h%d v=%d %d000000000\n", h, i, s + i * 600 }' >"$T/pts.lp"
http POST "$H/api/v2/write?bucket=db/rp&precision=ns" --data-binary "v2,host=x v=7 $((now * 1000000000))"
expect_eq "v2 write to db/rp" 204 "$STATUS"
http POST "$H/api/v2/write?bucket=db/nope" --data-binary "v2,host=x v=7"
expect_eq "v2 write to a missing policy" '500 {"error":"retention policy not found: nope"}' "$STATUS $BODY"
q 'SELECT v FROM rp.v2'
expect_eq "read back from rp" '{"results":[{"statement_id":0,"series":[{"name":"v2","columns":["time","v"],"values":[["'"$(date -u -d @"$now" +%Y-%m-%dT%H:%M:%SZ)"'",7]]}]}]}' "$BODY"
q 'SELECT v FROM autogen.v2'
expect_eq "not in autogen" '{"results":[{"statement_id":0}]}' "$BODY"
http POST "$H/write?db=db&rp=rp" --data-binary @"$T/pts.lp"
expect_eq "write to rp" "204 " "$STATUS $BODY"
http POST "$H/write?db=db" --data-binary @"$T/pts.lp"
expect_eq "write to autogen" 204 "$STATUS"
http POST "$H/write?db=db&rp=rp" --data-binary "m,host=old v=1 $(((now - 40 * 3600) * 1000000000))"
expect_eq "write of a series only in the past" 204 "$STATUS"
q 'SHOW TAG VALUES FROM m WITH KEY = host'
expect_eq "tag values before expiry" \
    '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["key","value"],"values":[["host","h0"],["host","h1"],["host","old"]]}]}]}' "$BODY"
q 'SELECT count(v) FROM rp.m WHERE host != '"'"'old'"'"''
expect_eq "all points in rp" \
    '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count"],"values":[["1970-01-01T00:00:00Z",578]]}]}]}' "$BODY"

# Creating the policy already moved its watermark (to 3 days back): wait for the
# line of the expiry that the shorter duration causes (cutoff within the last 3 h).
q 'ALTER RETENTION POLICY rp ON db DURATION 2h'
expect_eq "alter rp" '{"results":[{"statement_id":0}]}' "$BODY"
cutoff=0
for _ in $(seq 1 200); do
    line=$(grep 'retention policy "rp" of database .* expired' "$T/server.log" | tail -1)
    if [ -n "$line" ]; then
        cutoff_txt=$(echo "$line" | sed -E 's/.*points before ([0-9T:.-]+Z) expired.*/\1/')
        cutoff=$(date -u -d "${cutoff_txt%.*}Z" +%s) || fail "bad cutoff in the log: $line"
        [ "$cutoff" -ge $((now - 3 * 3600)) ] && break
    fi
    sleep 0.1
done
[ $((cutoff % 3600)) -eq 0 ] || fail "cutoff $cutoff_txt is not hour-aligned"
now2=$(date +%s)
[ "$cutoff" -ge $((now - 3 * 3600)) ] && [ "$cutoff" -le $((now2 - 2 * 3600)) ] ||
    fail "cutoff $cutoff_txt is not between now - 3h and now - 2h"
keep=$(awk -v s="$start" -v c="$cutoff" 'BEGIN { n = 0; for (i = 0; i <= 288; i++) if (s + i * 600 >= c) n += 2; print n }')
expected='{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count"],"values":[["1970-01-01T00:00:00Z",'$keep']]}]}]}'
q 'SELECT count(v) FROM rp.m'
expect_eq "points at or after the cutoff" "$expected" "$BODY"
tv='{"results":[{"statement_id":0,"series":[{"name":"m","columns":["key","value"],"values":[["host","h0"],["host","h1"]]}]}]}'
for _ in $(seq 1 100); do
    q 'SHOW TAG VALUES FROM m WITH KEY = host'
    [ "$BODY" == "$tv" ] && break
    sleep 0.1
done
expect_eq "the expired series left the index" "$tv" "$BODY"
q 'SELECT count(v) FROM autogen.m'
expect_eq "autogen untouched" \
    '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count"],"values":[["1970-01-01T00:00:00Z",578]]}]}]}' "$BODY"
http POST "$H/write?db=db&rp=rp" --data-binary "m,host=h0 v=1 $(((now - 5 * 3600) * 1000000000))"
expect_eq "old write refused" 400 "$STATUS"
expect_eq "old write message" '{"error":"partial write: points beyond retention policy dropped=1"}' "$BODY"

stop_server
start_server --retention-check-interval 0
q 'SELECT count(v) FROM rp.m'
expect_eq "after a restart" "$expected" "$BODY"
q 'SHOW RETENTION POLICIES'
expect_eq "policies after a restart" \
    '{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,true],["rp","2h0m0s","1h0m0s",1,false]]}]}]}' "$BODY"
stop_server
echo "retention: ok"
