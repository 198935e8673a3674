#!/usr/bin/env bash
# The tool and retention policies: a database with two RPs holding different
# points (set up through a real stratad: CREATE RETENTION POLICY, /write?rp=)
# exports per RP exactly that RP's points (engine path and LMDB-only path of
# a running server), imports into an RP round-trip byte for byte, inspect
# shows both RPs (text and JSON), verify is clean and finds a damaged RP
# record or an orphaned namespace, backup + restore keep both RPs and their
# data, and points below an RP's expiry watermark are never exported.
source "$(dirname "$0")/lib.sh"
tt_setup

q() { # q STATEMENT: an InfluxQL statement through the running server
    curl -s -XPOST "$H/query" --data-urlencode "q=$1" >"$T/q" || fail "query $1"
    grep -q '"error"' "$T/q" && fail "query $1: $(cat "$T/q")"
    return 0
}
write() { # write RP BODY
    local code
    code=$(curl -s -o "$T/w" -w '%{http_code}' -XPOST "$H/write?db=rpdb&rp=$1" --data-binary "$2")
    expect_eq "write into $1" 204 "$code"
}

cat >"$T/exp_autogen" <<'EOF'
m,h=a v=1i 1700000000000000000
m,h=a v=2i 1700000001000000000
m,h=b v=3i 1700000000000000000
EOF
cat >"$T/exp_two" <<'EOF'
m,h=a v=100i 1700000000000000000
n,h=c f=1.5 1700000002000000000
n,h=c f=2.5 1700000003000000000
EOF

start_server "$T/s" --checkpoint-interval 100ms
q "CREATE DATABASE rpdb"
q "CREATE RETENTION POLICY two ON rpdb DURATION 1000w REPLICATION 1 SHARD DURATION 1d"
write autogen "$(cat "$T/exp_autogen")"
write two "$(cat "$T/exp_two")"
sleep 0.5 # a checkpoint: the LMDB-only export reads what is checkpointed

# A running server's directory: the LMDB-only path resolves the RP itself.
run 0 "$STRATA" export --data-dir "$T/s" --db rpdb --rp two
expect_in "$T/err" "in use by a running server"
cmp "$T/out" "$T/exp_two" || fail "live export of rp two differs"
run 0 "$STRATA" export --data-dir "$T/s" --db rpdb
cmp "$T/out" "$T/exp_autogen" || fail "live export of the default rp differs"
run 1 "$STRATA" export --data-dir "$T/s" --db rpdb --rp nosuch
expect_in "$T/err" 'retention policy "nosuch" does not exist in database "rpdb"'
run 0 "$STRATA" backup --data-dir "$T/s" "$T/bk"
stop_server

# Stopped: the engine path.
run 0 "$STRATA" export --data-dir "$T/s" --db rpdb --rp two --out "$T/e_two"
cmp "$T/e_two" "$T/exp_two" || fail "export of rp two differs"
run 0 "$STRATA" export --data-dir "$T/s" --db rpdb --rp autogen --out "$T/e_autogen"
cmp "$T/e_autogen" "$T/exp_autogen" || fail "export of rp autogen differs"
run 0 "$STRATA" export --data-dir "$T/s" --db rpdb
cmp "$T/out" "$T/exp_autogen" || fail "export without --rp is not the default rp"
run 1 "$STRATA" export --data-dir "$T/s" --db rpdb --rp nosuch
expect_in "$T/err" 'retention policy "nosuch" does not exist in database "rpdb"'
run 2 "$STRATA" export --data-dir "$T/s" --db rpdb --rp ""

# inspect: the database once, with both RPs and their own figures.
run 0 "$STRATA" inspect --data-dir "$T/s"
expect_in "$T/out" "database rpdb (id 1)"
expect_in "$T/out" "default retention policy autogen"
expect_in "$T/out" "retention policy two (namespace"
expect_in "$T/out" "168000h0m0s"
grep -q $'\x01' "$T/out" && fail "inspect prints an internal namespace name"
expect_eq "databases listed" 1 "$(grep -c '^database ' "$T/out")"
run 0 "$STRATA" inspect --data-dir "$T/s" --json
"$TT" json "$T/out" || fail "inspect --json is not JSON"
expect_in "$T/out" '"default_retention_policy": "autogen"'
expect_in "$T/out" '"retention_policies": ['
expect_in "$T/out" '"name": "two"'
expect_in "$T/out" '"duration": "168000h0m0s"'
expect_in "$T/out" '"shard_duration": "24h0m0s"'
expect_in "$T/out" '"unreferenced_namespaces": []'
expect_eq "database objects" 1 "$(grep -c '"default_retention_policy"' "$T/out")"
expect_eq "rp objects" 2 "$(grep -c '"namespace_exists": true' "$T/out")"
grep -q '\\u0001' "$T/out" && fail "inspect --json lists an internal namespace as a database"
# Each RP's own values: 3 in autogen, 3 in two; 6 over both.
expect_in "$T/out" '"values": 6,'
run 0 "$STRATA" verify --data-dir "$T/s"
expect_in "$T/out" "0 problems, 0 warnings"
expect_in "$T/out" "1 databases (2 retention policy records, 1 internal namespaces)"

# Import into an RP: the RP must exist; a round trip is byte-identical.
run 1 "$STRATA" import --data-dir "$T/i" --db rpdb --rp two "$T/e_two"
expect_in "$T/err" 'database "rpdb" does not exist, so it has no retention policy "two"'
start_server "$T/i"
q "CREATE DATABASE rpdb"
q "CREATE RETENTION POLICY two ON rpdb DURATION 1000w REPLICATION 1 SHARD DURATION 1d"
stop_server
run 1 "$STRATA" import --data-dir "$T/i" --db rpdb --rp nosuch "$T/e_two"
expect_in "$T/err" 'retention policy "nosuch" does not exist in database "rpdb"'
run 0 "$STRATA" import --data-dir "$T/i" --db rpdb --rp two "$T/e_two"
expect_in "$T/err" "3 points written to database rpdb, retention policy two"
run 0 "$STRATA" import --data-dir "$T/i" --db rpdb "$T/e_autogen"
expect_in "$T/err" "retention policy autogen"
run 0 "$STRATA" export --data-dir "$T/i" --db rpdb --rp two
cmp "$T/out" "$T/e_two" || fail "export of the import into rp two differs"
run 0 "$STRATA" export --data-dir "$T/i" --db rpdb --rp autogen
cmp "$T/out" "$T/e_autogen" || fail "export of the import into autogen differs"
run 0 "$STRATA" verify --data-dir "$T/i"
expect_in "$T/out" "0 problems, 0 warnings"
# --rp autogen into a new database: created, as without --rp.
run 0 "$STRATA" import --data-dir "$T/i" --db fresh --rp autogen "$T/e_autogen"
run 0 "$STRATA" export --data-dir "$T/i" --db fresh
cmp "$T/out" "$T/e_autogen" || fail "import into a new database's autogen"

# Backup (taken from the running server) + restore: both RPs, their data.
run 0 "$STRATA" restore "$T/bk" --data-dir "$T/r"
expect_in "$T/out" "0 problems"
run 0 "$STRATA" verify --data-dir "$T/r"
expect_in "$T/out" "0 problems, 0 warnings"
expect_in "$T/out" "2 retention policy records, 1 internal namespaces"
run 0 "$STRATA" export --data-dir "$T/r" --db rpdb --rp two
cmp "$T/out" "$T/exp_two" || fail "restored rp two differs"
run 0 "$STRATA" export --data-dir "$T/r" --db rpdb --rp autogen
cmp "$T/out" "$T/exp_autogen" || fail "restored autogen differs"
run 0 "$STRATA" inspect --data-dir "$T/r" --json
expect_in "$T/out" '"name": "two"'
expect_in "$T/out" '"duration": "168000h0m0s"'

# The expiry watermark: points below it are never exported, by either path.
cp -r "$T/r" "$T/wm"
"$TT" rp-set "$T/wm" rpdb two expired 1700000002500000000 || fail "tt rp-set expired"
run 0 "$STRATA" export --data-dir "$T/wm" --db rpdb --rp two
expect_eq "engine export above the watermark" "n,h=c f=2.5 1700000003000000000" "$(cat "$T/out")"
run 0 "$STRATA" inspect --data-dir "$T/wm" --json
expect_in "$T/out" '"expired_before": "2023-11-14T22:13:22.500000000Z"'
start_server "$T/wm"
run 0 "$STRATA" export --data-dir "$T/wm" --db rpdb --rp two
expect_in "$T/err" "in use by a running server"
expect_eq "LMDB-only export above the watermark" "n,h=c f=2.5 1700000003000000000" "$(cat "$T/out")"
run 0 "$STRATA" export --data-dir "$T/wm" --db rpdb --rp two --end 1700000002000000000
expect_eq "a range wholly expired" "" "$(cat "$T/out")"
stop_server

# verify: an RP record naming a missing namespace is a problem; an internal
# namespace no record names is a warning.
cp -r "$T/r" "$T/bad1"
"$TT" rp-set "$T/bad1" rpdb two ns 999 || fail "tt rp-set ns"
run 1 "$STRATA" verify --data-dir "$T/bad1"
expect_in "$T/out" 'problem [retention-policy]: database "rpdb", retention policy "two", its points are kept in namespace id 999, which does not exist'
expect_in "$T/out" 'warning [retention-policy]: database "rpdb", retention policy "two", namespace id'
run 0 "$STRATA" inspect --data-dir "$T/bad1" --json
expect_in "$T/out" '"namespace_exists": false'
cp -r "$T/r" "$T/bad2"
"$TT" rp-set "$T/bad2" rpdb two delete || fail "tt rp-set delete"
run 0 "$STRATA" verify --data-dir "$T/bad2" --json
expect_in "$T/out" '"severity": "warning"'
expect_in "$T/out" '"retention_policy": "two"'
expect_in "$T/out" '"problems": 0'
run 0 "$STRATA" inspect --data-dir "$T/bad2"
expect_in "$T/out" 'left over from retention policy "two"'
echo ok
