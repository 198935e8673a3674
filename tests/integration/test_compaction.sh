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

# The rate limit: a bad value is refused; the environment variable sets it; a
# slow compaction (slices with pauses, checkpoints in between) keeps every point
# written before and during it, and an export before and after a restart is the same.
out=$("$STRATAD" --compact-rate lots 2>&1) && fail "--compact-rate lots was accepted"
[[ "$out" == *"--compact-rate: invalid value"* ]] || fail "message for --compact-rate lots: $out"
dump db >"$T/before.txt"
export STRATA_COMPACT_RATE=256KiB
start_server --checkpoint-interval 100ms --compact-interval 500ms
unset STRATA_COMPACT_RATE
for b in $(seq 40 59); do
    awk -v b="$b" 'BEGIN { for (i = 0; i < 100; i++) for (h = 0; h < 3; h++) {
        t = b * 100 + i; printf "m,host=h%d v=%d,s=\"x%d\" %.0f\n", h, t * 3 + h, t % 5, 1000000000 * (t + 1) } }' >"$T/b.lp"
    http POST "$H/write?db=db" --data-binary @"$T/b.lp"
    expect_eq "write batch $b during a limited compaction" 204 "$STATUS"
    sleep 0.05
done
for _ in $(seq 1 150); do
    grep -q "rate limit 0.2 MiB/s" "$T/server.log" && break
    sleep 0.1
done
grep -q "background compaction: .*rate limit 0.2 MiB/s" "$T/server.log" ||
    fail "no rate-limited background compaction in the log"
http GET "$H/query" --get --data-urlencode 'db=db' --data-urlencode 'q=SELECT count(v), sum(v) FROM m'
expect_eq "count and sum after a limited compaction" \
    '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count","sum"],"values":[["1970-01-01T00:00:00Z",18000,161991000]]}]}]}' "$BODY"
stop_server
dump db >"$T/after.txt"
missing=$(LC_ALL=C comm -23 "$T/before.txt" "$T/after.txt" | head -3)
[ -z "$missing" ] || fail "values written before the limited compaction changed: $missing"
expect_eq "values stored" "$(($(wc -l <"$T/before.txt") * 3 / 2))" "$(wc -l <"$T/after.txt")"
echo "background compaction: ok"
