#!/usr/bin/env bash
# Configuration: --help documents every flag, --version, bad input exits 2
# with a message naming the source, and precedence flag > env > file > default.
source "$(dirname "$0")/lib.sh"
it_setup

help=$("$STRATAD" --help) || fail "--help exit status"
for f in config data-dir http-bind tcp-bind tcp-db udp-bind udp-db db auto-create-db \
         max-body-bytes log-level wal-sync version help max-concurrent-writes workers \
         udp-read-buffer shutdown-timeout; do
    grep -q -- "--$f" <<<"$help" || fail "--help does not document --$f"
done
grep -q "STRATA_HTTP_BIND" <<<"$help" || fail "--help does not name the env variables"
expect_match "--version" '^stratad [0-9]+\.[0-9]+\.[0-9]+' "$("$STRATAD" --version)"

bad() { # expected-message args...
    local msg=$1
    shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    expect_eq "exit status of: $*" 2 "$rc"
    [[ "$out" == *"$msg"* ]] || fail "message of [$*]: [$out] lacks [$msg]"
}
bad "unknown flag --nope" "$STRATAD" --nope
bad "--max-body-bytes: invalid value" "$STRATAD" --max-body-bytes lots
bad "--tcp-bind needs --tcp-db" "$STRATAD" --tcp-bind 127.0.0.1:1
bad "--http-bind: bad address" "$STRATAD" --http-bind nowhere
bad "STRATA_WAL_SYNC: invalid value" env STRATA_WAL_SYNC=maybe "$STRATAD"
printf '[http]\nbind = "127.0.0.1:1"\n[limits]\nmax-bogus = 3\n' >"$T/bad.toml"
bad "bad.toml:4: unknown key \"max-bogus\" in [limits]" "$STRATAD" --config "$T/bad.toml"
bad "cannot read config file" "$STRATAD" --config "$T/missing.toml"

# Precedence: the file sets the HTTP port and a database; the environment
# overrides the port; a flag overrides the environment.
p_file=$(free_port)
p_env=$(free_port)
p_flag=$(free_port)
cat >"$T/strata.toml" <<TOML
# comment
log-level = "debug"
[storage]
dir = "$T/data"
databases = ["fromfile", "other"]
wal-sync = false
[http]
bind = "127.0.0.1:$p_file"   # trailing comment
[limits]
max-body-bytes = "1KiB"
TOML
start_conf() { # env... -- args...
    env "$@" >>"$T/server.log" 2>&1 &
    SRV_PID=$!
}
wait_port() {
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "http://127.0.0.1:$1/ping" && return 0
        sleep 0.05
    done
    fail "nothing answers on port $1"
}
start_conf "$STRATAD" --config "$T/strata.toml"
wait_port "$p_file"
H="http://127.0.0.1:$p_file"
http GET "$H/query?q=SHOW+DATABASES"
expect_eq "databases from the file" '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["fromfile"],["other"]]}]}]}' "$BODY"
head -c 2000 /dev/zero | tr '\0' x >"$T/big"
http POST "$H/write?db=fromfile" --data-binary @"$T/big"
expect_eq "max-body-bytes from the file" 413 "$STATUS"
grep -q "wal-sync off" "$T/server.log" || fail "wal-sync from the file not applied"
stop_server

start_conf STRATA_CONFIG="$T/strata.toml" STRATA_HTTP_BIND="127.0.0.1:$p_env" \
    STRATA_DB="a,b" "$STRATAD"
wait_port "$p_env"
H="http://127.0.0.1:$p_env"
http GET "$H/query?q=SHOW+DATABASES"
# SHOW DATABASES lists databases in the order they were created, as InfluxDB does.
expect_eq "env list replaces the file's" '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["fromfile"],["other"],["a"],["b"]]}]}]}' "$BODY"
stop_server

start_conf STRATA_HTTP_BIND="127.0.0.1:$p_env" "$STRATAD" --config "$T/strata.toml" \
    --http-bind "127.0.0.1:$p_flag" --max-body-bytes 10MB --db c --db d --auto-create-db
wait_port "$p_flag"
H="http://127.0.0.1:$p_flag"
curl -s -o /dev/null "http://127.0.0.1:$p_env/ping" && fail "the env port answers although a flag overrides it"
http POST "$H/write?db=fromfile" --data-binary @"$T/big"
expect_eq "flag max-body-bytes wins" 400 "$STATUS"
http POST "$H/write?db=newdb" --data-binary 'x v=1 1'
expect_eq "auto-create-db" 204 "$STATUS"
http GET "$H/query?q=SHOW+DATABASES"
expect_eq "flag dbs + auto-created" '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["fromfile"],["other"],["a"],["b"],["c"],["d"],["newdb"]]}]}]}' "$BODY"
stop_server

# No arguments at all: defaults (./data, 127.0.0.1:8086), and it says where it listens.
# Skipped when something else holds port 8086.
mkdir "$T/cwd"
: >"$T/default.log"
(cd "$T/cwd" && exec "$STRATAD") >"$T/default.log" 2>&1 &
SRV_PID=$!
started=0
for _ in $(seq 1 200); do
    if grep -q "HTTP API listening on 127.0.0.1:8086" "$T/default.log"; then
        started=1
        break
    fi
    if ! kill -0 "$SRV_PID" 2>/dev/null; then
        wait "$SRV_PID" 2>/dev/null
        SRV_PID=""
        grep -q "address already in use" "$T/default.log" || fail "default start: $(cat "$T/default.log")"
        echo "port 8086 is busy: default-start check skipped"
        break
    fi
    sleep 0.05
done
if [ "$started" = 1 ]; then
    http GET "http://127.0.0.1:8086/ping"
    expect_eq "default start answers" 204 "$STATUS"
    stop_server
    [ -d "$T/cwd/data" ] || fail "default data dir ./data not created"
fi
echo "ok"
