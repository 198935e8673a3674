#!/usr/bin/env bash
# Query limits from the configuration: a SELECT over more series than
# --query-max-series allows is answered with an error naming the limit, a
# query within the limits is answered normally, on the event loop or on a
# worker (--query-inline-us 0).
. "$(dirname "$0")/lib.sh"
it_setup

start_server --db db --query-max-series 2
http POST "$H/write?db=db" --data-binary $'m,host=a v=1 1000000000\nm,host=b v=2 1000000000\nm,host=c v=3 1000000000'
expect_eq "write" 204 "$STATUS"
http GET "$H/query" --get --data-urlencode 'db=db' --data-urlencode "q=SELECT v FROM m WHERE host = 'a'"
expect_eq "within the limit" '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[["1970-01-01T00:00:01Z",1]]}]}]}' "$BODY"
http GET "$H/query" --get --data-urlencode 'db=db' --data-urlencode 'q=SELECT v FROM m'
expect_eq "over the limit: status" 200 "$STATUS"
expect_match "over the limit: error" '"error":"[^"]*(series|max-series)[^"]*"' "$BODY"
stop_server

# The same answers with every query on a worker (--query-inline-us 0), and a bad value refused.
start_server --db db --query-max-series 2 --query-inline-us 0
http GET "$H/query" --get --data-urlencode 'db=db' --data-urlencode "q=SELECT v FROM m WHERE host = 'a'"
expect_eq "on a worker" '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[["1970-01-01T00:00:01Z",1]]}]}]}' "$BODY"
http GET "$H/query" --get --data-urlencode 'db=db' --data-urlencode 'q=SELECT v FROM m'
expect_match "over the limit on a worker" '"error":"[^"]*(series|max-series)[^"]*"' "$BODY"
stop_server
if "$STRATAD" --data-dir "$T/data" --query-inline-us fast >"$T/bad.log" 2>&1; then
    fail "--query-inline-us fast was accepted"
fi
grep -q "query-inline-us" "$T/bad.log" || fail "the refusal does not name the flag: $(cat "$T/bad.log")"
echo "query limits: ok"
