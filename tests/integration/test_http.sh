#!/usr/bin/env bash
# HTTP API: status codes, headers and bodies as InfluxDB sends them (1.6.7
# for /write and /query, 1.8 for /health, /api/v2/write, /ping?verbose),
# then SIGTERM (exit 0) and a check of every stored point.
source "$(dirname "$0")/lib.sh"
it_setup
start_server --db db --max-body-bytes 1000

# /ping: 204 with InfluxDB's headers; HEAD too; verbose answers 200 + JSON.
http GET "$H/ping"
expect_eq "ping status" 204 "$STATUS"
expect_match "ping version header" $'x-influxdb-version: [0-9.]+' "$HEADERS"
expect_match "ping build header" 'x-influxdb-build: oss' "$HEADERS"
expect_match "ping request id" 'request-id: [0-9a-f-]{36}' "$HEADERS"
expect_match "ping x-request-id" 'x-request-id: [0-9a-f-]{36}' "$HEADERS"
expect_match "ping date" 'date: [a-z]{3}, ' "$HEADERS"
expect_eq "ping body" "" "$BODY"
http HEAD "$H/ping" -I
expect_eq "HEAD ping" 204 "$STATUS"
http GET "$H/ping?verbose=true"
expect_eq "ping verbose status" 200 "$STATUS"
expect_match "ping verbose body" '^\{"version":"[0-9.]+"\}$' "$BODY"

# /health as InfluxDB 1.8.
http GET "$H/health"
expect_eq "health status" 200 "$STATUS"
expect_match "health content type" 'content-type: application/json' "$HEADERS"
expect_match "health body" '^\{"checks":\[\],"message":"ready for queries and writes","name":"influxdb","status":"pass","version":"[0-9.]+"\}$' "$BODY"

# Writes that succeed: plain, precision, gzip, chunked, v2 with db/rp and a token.
http POST "$H/write?db=db" --data-binary $'cpu,host=a value=1 1000000000\ncpu,host=b value=2.5 1000000000'
expect_eq "write status" 204 "$STATUS"
expect_match "write content type" 'content-type: application/json' "$HEADERS"
http POST "$H/write?db=db&precision=s" --data-binary 'cpu,host=a value=3 2'
expect_eq "write precision=s" 204 "$STATUS"
printf 'gz,host=a v=%di %d\n' 1 1 2 2 3 3 | gzip >"$T/body.gz"
http POST "$H/write?db=db" -H 'Content-Encoding: gzip' --data-binary @"$T/body.gz"
expect_eq "gzip write" 204 "$STATUS"
http POST "$H/write?db=db" -H 'Transfer-Encoding: chunked' --data-binary 'chunked s="x y" 5'
expect_eq "chunked write" 204 "$STATUS"
http POST "$H/api/v2/write?org=o&bucket=db/autogen&precision=ms" -H 'Authorization: Token u:p' --data-binary 'v2 ok=true 7'
expect_eq "v2 write" 204 "$STATUS"
http POST "$H/api/v2/write?org=o&bucket=db" --data-binary 'v2 n=7u 8'
expect_eq "v2 write, bucket without rp" 204 "$STATUS"

# Errors, byte for byte.
check_error() { # what status body
    expect_eq "$1 status" "$2" "$STATUS"
    expect_eq "$1 body" "$3" "$BODY"
    expect_match "$1 content type" 'content-type: application/json' "$HEADERS"
    expect_match "$1 x-influxdb-error" 'x-influxdb-error: ' "$HEADERS"
}
http POST "$H/write" --data-binary 'cpu v=1'
check_error "missing db" 400 '{"error":"database is required"}'
http POST "$H/write?db=nope" --data-binary 'cpu v=1'
check_error "unknown db" 404 '{"error":"database not found: \"nope\""}'
http POST "$H/write?db=db&precision=us" --data-binary 'cpu v=1'
check_error "bad precision" 400 '{"error":"invalid precision \"us\" (use n, u, ms, s, m or h)"}'
http POST "$H/write?db=db&consistency=most" --data-binary 'cpu v=1'
check_error "bad consistency" 400 '{"error":"invalid consistency level"}'
http POST "$H/write?db=db&rp=weekly" --data-binary 'cpu v=1'
check_error "unknown rp" 500 '{"error":"retention policy not found: weekly"}'
http POST "$H/write?db=db" --data-binary 'bad'
check_error "all lines bad" 400 "{\"error\":\"unable to parse 'bad': missing fields\"}"
http POST "$H/write?db=db" --data-binary $'cpu,host=c value=4 3000000000\nbad line\nanother'
check_error "partial write (parse)" 400 "{\"error\":\"partial write: unable to parse 'bad line': invalid field format\\nunable to parse 'another': missing fields dropped=0\"}"
http POST "$H/write?db=db" --data-binary $'cpu,host=d value=5i 4000000000\ncpu,host=d other=1 4000000000'
check_error "partial write (type conflict)" 400 '{"error":"partial write: field type conflict: input field \"value\" on measurement \"cpu\" is type integer, already exists as type float dropped=1"}'
http POST "$H/api/v2/write?org=o&bucket=/x" --data-binary 'cpu v=1'
check_error "v2 empty db" 404 '{"error":"bucket name \"/x\" is in db/rp form but has an empty database"}'
http POST "$H/api/v2/write?org=o&bucket=db&precision=h" --data-binary 'cpu v=1'
check_error "v2 bad precision" 400 '{"error":"invalid precision \"h\" (use ns, us, ms or s)"}'
http POST "$H/write?db=db" -H 'Content-Encoding: gzip' --data-binary 'this is not gzip'
check_error "bad gzip" 400 '{"error":"gzip: invalid header"}'

# 413 above --max-body-bytes: by Content-Length (with and without Expect) and chunked.
head -c 2000 /dev/zero | tr '\0' 'x' >"$T/big"
http POST "$H/write?db=db" --data-binary @"$T/big"
check_error "413 content-length" 413 '{"error":"Request Entity Too Large"}'
http POST "$H/write?db=db" -H 'Expect: 100-continue' --data-binary @"$T/big"
check_error "413 expect" 413 '{"error":"Request Entity Too Large"}'
http POST "$H/write?db=db" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big"
check_error "413 chunked" 413 '{"error":"Request Entity Too Large"}'

# Not InfluxDB JSON: unknown path and wrong method answer as Go's mux does.
http GET "$H/nothing"
expect_eq "unknown path" 404 "$STATUS"
expect_eq "unknown path body" "404 page not found" "$BODY"
http GET "$H/write?db=db"
expect_eq "GET /write" 405 "$STATUS"
expect_match "GET /write allow" 'allow: options, post' "$HEADERS"

# /query: the placeholder answers CREATE DATABASE and SHOW DATABASES exactly.
http POST "$H/query" --data-urlencode 'q=CREATE DATABASE second'
expect_eq "create db" 200 "$STATUS"
expect_eq "create db body" '{"results":[{"statement_id":0}]}' "$BODY"
http GET "$H/query" --get --data-urlencode 'q=SHOW DATABASES'
expect_eq "show dbs" 200 "$STATUS"
expect_eq "show dbs body" '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"],["second"]]}]}]}' "$BODY"
http POST "$H/query" --data-urlencode 'q=SELECT * FROM cpu'
expect_eq "select without a database" 200 "$STATUS"
expect_eq "select without a database body" '{"results":[{"statement_id":0,"error":"database name required"}]}' "$BODY"
http POST "$H/query"
check_error "query without q" 400 '{"error":"missing required parameter \"q\""}'
http POST "$H/write?db=second" --data-binary 'in_second v=1 1'
expect_eq "write to created db" 204 "$STATUS"

# Keep-alive and pipelining: three requests on one connection, in order.
conns_before=$(metric strata_http_connections_total)
out=$(curl -s -w '%{http_code}\n' -o /dev/null "$H/ping" --next -s -w '%{http_code}\n' \
      -o /dev/null "$H/ping" --next -s -w '%{http_code}\n' -o /dev/null \
      --data-binary 'ka v=1 1' "$H/write?db=db")
conns_after=$(metric strata_http_connections_total)
expect_eq "keep-alive statuses" $'204\n204\n204' "$out"
expect_eq "keep-alive: one connection for three requests (+1 for /metrics)" $((conns_before + 2)) "$conns_after"
req=$'POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\npipe1 v=1 1'
req+=$'POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\npipe2 v=1 1'
req+=$'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
exec 3<>"/dev/tcp/127.0.0.1/$HP"
printf '%s' "$req" >&3
pipelined=$(cat <&3 | tr -d '\r' | grep '^HTTP/1.1' | tr '\n' '|')
exec 3<&-
expect_eq "pipelined answers" "HTTP/1.1 204 No Content|HTTP/1.1 204 No Content|HTTP/1.1 204 No Content|" "$pipelined"

# Garbage instead of HTTP: 400 and the server lives on.
exec 3<>"/dev/tcp/127.0.0.1/$HP"
printf 'HELLO\r\n\r\n' >&3
garbage=$(head -1 <&3 | tr -d '\r')
exec 3<&-
expect_eq "garbage request" "HTTP/1.1 400 Bad Request" "$garbage"

# /metrics: Prometheus text with the counters of what happened above.
m=$(curl -s "$H/metrics")
expect_match "metrics help" '# TYPE strata_points_written_total counter' "$m"
expect_match "metrics http points" 'strata_points_written_total\{source="http"\} [1-9]' "$m"
expect_match "metrics bad lines" 'strata_lines_bad_total\{source="http"\} 3' "$m"
expect_match "metrics rejected" 'strata_points_rejected_total\{source="http"\} 1' "$m"
expect_match "metrics 413 count" 'strata_http_requests_total\{endpoint="write",code="413"\} 3' "$m"
expect_match "metrics histogram" 'strata_commit_duration_seconds_bucket\{le="\+Inf"\} [1-9]' "$m"
expect_match "metrics engine" 'strata_engine_wal_bytes [0-9]+' "$m"
expect_match "metrics open conns" 'strata_open_connections\{kind="http"\} [0-9]+' "$m"

stop_server
got=$(dump)
expected="db chunked s=\"x y\" 5
db cpu,host=a value=1 1000000000
db cpu,host=a value=3 2000000000
db cpu,host=b value=2.5 1000000000
db cpu,host=c value=4 3000000000
db cpu,host=d other=1 4000000000
db gz,host=a v=1i 1
db gz,host=a v=2i 2
db gz,host=a v=3i 3
db ka v=1 1
db pipe1 v=1 1
db pipe2 v=1 1
db v2 n=7u 8
db v2 ok=true 7000000
second in_second v=1 1"
expect_eq "stored points" "$expected" "$got"
echo "ok"
