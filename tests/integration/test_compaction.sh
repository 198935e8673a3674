#!/usr/bin/env bash
# Background compaction in a running server: with --compact-interval the
# engine merges chunks while writes and queries go on; every point written
# before, during and after stays readable with its value, and the log says
# that compaction ran.
. "$(dirname "$0")/lib.sh"
it_setup

start_server --db db --checkpoint-interval 100ms --compact-interval 1s
# 3 hosts x 4000 points, in 40 batches, each batch checkpointed into its own chunks.
for b in $(seq 0 39); do
    awk -v b="$b" 'BEGIN { for (i = 0; i < 100; i++) for (h = 0; h < 3; h++) {
        t = b * 100 + i; printf "m,host=h%d v=%d,s=\"x%d\" %.0f\n", h, t * 3 + h, t % 5, 1000000000 * (t + 1) } }' >"$T/b.lp"
    http POST "$H/write?db=db" --data-binary @"$T/b.lp"
    expect_eq "write batch $b" 204 "$STATUS"
    sleep 0.05
done
for _ in $(seq 1 100); do
    grep -q "background compaction:" "$T/server.log" && break
    sleep 0.1
done
grep -q "background compaction:" "$T/server.log" || fail "no background compaction in the log"
http GET "$H/query" --get --data-urlencode 'db=db' --data-urlencode 'q=SELECT count(v), sum(v) FROM m'
expect_eq "count and sum after compaction" \
    '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count","sum"],"values":[["1970-01-01T00:00:00Z",12000,71994000]]}]}]}' "$BODY"
http GET "$H/query" --get --data-urlencode 'db=db' --data-urlencode 'q=SELECT v, s FROM m WHERE host = '"'"'h2'"'"' AND time = 2000s'
expect_eq "one point after compaction" \
    '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v","s"],"values":[["1970-01-01T00:33:20Z",5999,"x4"]]}]}]}' "$BODY"
stop_server
echo "background compaction: ok"
