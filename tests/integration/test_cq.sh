#!/usr/bin/env bash
# tests/integration/test_cq.sh: continuous queries in a real stratad.
#  1. CREATE/SHOW/DROP CONTINUOUS QUERY answers over HTTP.
#  2. A CQ with GROUP BY time(1s), host runs on live writes; its output over the
#     completed windows equals the same SELECT run by hand.
#  3. Points are written for a period in the future, the server is stopped
#     before that period ends and restarted after it: the windows missed while
#     it was down are computed at start, each exactly once, and the output
#     still equals the hand SELECT.
#  4. With --cq-enabled off nothing runs; DROP stops a CQ.
# About 20 s of wall time (the CQ runs on the real clock).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
it_setup

q() { # q QUERY [extra curl args]: POST /query on db d, epoch ns
    local query=$1
    shift
    curl -s -XPOST "$H/query" --data-urlencode "db=d" --data-urlencode "epoch=ns" \
        --data-urlencode "q=$query" "$@"
}

now_ns() { date +%s%N; }
SEC=1000000000

# Rows of an answer, one per line, as "host time values..." (series tags first), sorted.
rows() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
out = []
for r in d["results"]:
    if "error" in r:
        print("ERROR " + r["error"]); sys.exit(0)
    for s in r.get("series", []):
        h = (s.get("tags") or {}).get("host", "")
        for v in s["values"]:
            out.append(" ".join([h] + [json.dumps(x) for x in v]))
for l in sorted(out):
    print(l)
'
}

# compare A B: the CQ output over [A, B) equals the hand SELECT; prints the row count.
# As in InfluxDB, count() gives 0 (not null) for an empty window of a group that has data
# elsewhere in a run's range, so the CQ also writes n=0 rows; they are left out here.
compare() {
    local a=$1 b=$2 got want
    got=$(q "SELECT mv, n FROM agg WHERE n > 0 AND time >= $a AND time < $b GROUP BY host" | rows)
    want=$(q "SELECT mean(v) AS mv, count(v) AS n FROM m WHERE time >= $a AND time < $b GROUP BY time(1s), host fill(none)" | rows)
    [ -n "$want" ] || fail "no data in [$a, $b)"
    [ "$got" == "$want" ] || fail "CQ output over [$a, $b) differs from the hand SELECT
--- got
$got
--- want
$want"
    echo "$got" | wc -l
}

start_server --wal-sync off

# ---- 1. statements
expect_eq "create db" '{"results":[{"statement_id":0}]}' "$(q 'CREATE DATABASE d')"
expect_eq "show empty" '{"results":[{"statement_id":0,"series":[{"name":"d","columns":["name","query"]}]}]}' \
    "$(q 'SHOW CONTINUOUS QUERIES')"
# RESAMPLE FOR 2s: each window is computed twice (a point committed late, on a loaded
# machine, is still counted), which also shows that recomputing replaces, not adds.
CQ='CREATE CONTINUOUS QUERY c ON d RESAMPLE FOR 2s BEGIN SELECT mean(v) AS mv, count(v) AS n INTO agg FROM m GROUP BY time(1s), host END'
expect_eq "create cq" '{"results":[{"statement_id":0}]}' "$(q "$CQ")"
expect_eq "create again, same text" '{"results":[{"statement_id":0}]}' "$(q "$CQ")"
expect_eq "create other text" '{"results":[{"statement_id":0,"error":"continuous query already exists"}]}' \
    "$(q 'CREATE CONTINUOUS QUERY c ON d BEGIN SELECT max(v) INTO agg FROM m GROUP BY time(1s) END')"
expect_eq "create on missing db" '{"results":[{"statement_id":0,"error":"database not found: nodb"}]}' \
    "$(q 'CREATE CONTINUOUS QUERY x ON nodb BEGIN SELECT max(v) INTO nodb.autogen.a FROM nodb.autogen.m GROUP BY time(1s) END')"
expect_eq "show" '{"results":[{"statement_id":0,"series":[{"name":"d","columns":["name","query"],"values":[["c","CREATE CONTINUOUS QUERY c ON d RESAMPLE FOR 2s BEGIN SELECT mean(v) AS mv, count(v) AS n INTO d.autogen.agg FROM d.autogen.m GROUP BY time(1s), host END"]]}]}]}' \
    "$(q 'SHOW CONTINUOUS QUERIES')"

# ---- 2. live writes for ~4 s; points are written early in their second (before 800 ms), so
# that each is stored before the CQ computes its window (5 ms after the second ends) or at
# the latest before it computes it again a second later.
first_ts=""
last_ts=0
end=$(($(now_ns) + 4 * SEC))
i=0
while :; do
    t=$(now_ns)
    [ "$t" -lt "$end" ] || break
    if [ $((t % SEC)) -lt 800000000 ]; then
        i=$((i + 1))
        curl -s -o /dev/null -w '%{http_code}' -XPOST "$H/write?db=d" \
            --data-binary "m,host=a v=$i $t
m,host=b v=$((i * 3)) $t" | grep -q 204 || fail "write failed"
        [ -n "$first_ts" ] || first_ts=$t
        last_ts=$t
    fi
    sleep 0.05
done
B=$(((last_ts / SEC + 1) * SEC))
# The last second's window is computed twice (RESAMPLE FOR 2s): wait for the second run
# (2 s after B, more on a loaded machine: poll up to 20 s for the run after it).
sleep 2.5
for _ in $(seq 1 70); do
    [ "$(grep -c 'info  cq: continuous query c on d: \[' "$T/server.log")" -gt 0 ] &&
        [ "$(($(now_ns) - B))" -gt $((3 * SEC)) ] &&
        q "SELECT n FROM agg WHERE time >= $((B - SEC))" | grep -q '"values"' && break
    sleep 0.25
done
# The first run only records its time (as InfluxDB): the first window computed is the
# one that starts after the second the CQ first ran in; compare from the first output row.
A=$(q 'SELECT n FROM agg WHERE n > 0 ORDER BY time ASC LIMIT 1' | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["series"][0]["values"][0][0])' || true)
[ -n "$A" ] || fail "no CQ output at all: $(q 'SELECT * FROM agg')" 
[ "$A" -ge $(((first_ts / SEC) * SEC)) ] || fail "CQ output before the first write"
[ "$A" -le $(((first_ts / SEC + 2) * SEC)) ] || fail "CQ did not compute the first full seconds (first output at $A, first write at $first_ts)"
n=$(compare "$A" "$B")
echo "live: $n rows over [$A, $B) equal the hand SELECT"
grep -q 'info  cq: continuous query c on d: \[' "$T/server.log" || fail "no log line per run"

# ---- 3. restart gap: points for the next 5 whole seconds, written now; the server stops
# before those seconds end and starts again after them.
G0=$((($(now_ns) / SEC + 2) * SEC))
body=""
for s in 0 1 2 3 4; do
    for k in 0 1 2; do
        ts=$((G0 + s * SEC + k * 250000000))
        body+="m,host=a v=$((100 + s * 10 + k)) $ts
m,host=b v=$((200 + s * 10 + k)) $ts
"
    done
done
http POST "$H/write?db=d" --data-binary "$body"
expect_eq "gap write" 204 "$STATUS"
stop_server
G1=$((G0 + 5 * SEC))
while [ "$(now_ns)" -lt $((G1 + SEC / 2)) ]; do sleep 0.2; done
start_server --wal-sync off
sleep 2
n=$(compare "$A" "$G1")
gap=$(q "SELECT count(n), sum(n) FROM agg WHERE time >= $G0 AND time < $G1 GROUP BY host" | rows)
expect_eq "each missed window once per host" "a $G0 5 15
b $G0 5 15" "$gap"
# exactly once overall: one output row per (second, host) that has data
total=$(q "SELECT count(n) FROM agg WHERE n > 0 AND time >= $A AND time < $G1" | rows)
expect_eq "no window twice" " $A $n" "$total"
grep -qE 'info  cq: continuous query c on d: \[.*\) [0-9]+ points written' "$T/server.log" ||
    fail "no log line for the catch-up run"
echo "restart: the 5 seconds missed while down computed once each; $n rows equal the hand SELECT"

# ---- 4. DROP stops the CQ; --cq-enabled off runs nothing
expect_eq "drop" '{"results":[{"statement_id":0}]}' "$(q 'DROP CONTINUOUS QUERY c ON d')"
expect_eq "drop missing" '{"results":[{"statement_id":0}]}' "$(q 'DROP CONTINUOUS QUERY c ON d')"
expect_eq "create c2" '{"results":[{"statement_id":0}]}' \
    "$(q 'CREATE CONTINUOUS QUERY c2 ON d BEGIN SELECT count(v) AS n INTO agg2 FROM m GROUP BY time(1s) END')"
stop_server
start_server --wal-sync off --cq-enabled off
t=$(now_ns)
curl -s -XPOST "$H/write?db=d" --data-binary "m,host=a v=1 $((t - SEC))" >/dev/null
sleep 2.2
expect_eq "nothing runs when disabled" '{"results":[{"statement_id":0}]}' \
    "$(q 'SELECT count(n) FROM agg2')"
grep -q "continuous queries disabled" "$T/server.log" || fail "no log line for --cq-enabled off"
stop_server
echo "PASS"
