#!/usr/bin/env bash
# strata backup while a real stratad is being written to over HTTP (with
# checkpoints every 100 ms, so WAL segments are rotated and deleted while the
# backup runs), then strata restore into new directories: each restore
# verifies clean and holds every batch acknowledged before its backup began,
# completely. A damaged backup and non-empty targets are refused.
source "$(dirname "$0")/lib.sh"
tt_setup

start_server "$T/data" --db load --checkpoint-interval 100ms --checkpoint-wal-bytes 16KiB

# The writer: batch b is 200 lines load,b=<b> v=<i>i,f=<i>.25 at 1700<b:07><i:08>;
# "b" goes into $T/ack when the server answers 204.
writer() {
    local b=1
    while [ ! -e "$T/stop" ]; do
        awk -v b="$b" 'BEGIN { for (i = 0; i < 200; i++)
            printf "load,b=%d v=%di,f=%d.25 1700%07d%08d\n", b, i, i, b, i }' >"$T/batch"
        code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$H/write?db=load" \
            --data-binary @"$T/batch") || true
        [ "$code" = 204 ] && echo "$b" >>"$T/ack"
        b=$((b + 1))
    done
}
writer &
writer_pid=$!

wait_acks() { # N: until N batches are acknowledged
    for _ in $(seq 1 600); do
        [ -f "$T/ack" ] && [ "$(wc -l <"$T/ack")" -ge "$1" ] && return 0
        sleep 0.05
    done
    fail "fewer than $1 batches acknowledged in 30 s"
}

# check_restore RESTORED_DIR ACKED_BEFORE: every acknowledged batch complete.
check_restore() {
    run 0 "$STRATA" export --data-dir "$1" --db load --out "$T/exp"
    awk -F'[,= ]' '{ n[$3]++ } END { for (b in n) print b, n[b] }' "$T/exp" | sort -n >"$T/counts"
    awk 'NR == FNR { c[$1] = $2; next }
         { if (c[$1] != 200) { printf "batch %s acknowledged before the backup: %d of 200 points\n", $1, c[$1]; bad = 1 } }
         END { exit bad }' "$T/counts" "$2" || fail "acknowledged points missing from $1"
    awk '$2 != 200 { printf "batch %s is partial: %d points\n", $1, $2; bad = 1 } END { exit bad }' \
        "$T/counts" || fail "a partial batch in $1"
    echo "$1: $(wc -l <"$2") batches acknowledged before the backup, $(wc -l <"$T/counts") restored"
}

for round in 1 2; do
    wait_acks $((round * 15))
    cp "$T/ack" "$T/ack_before$round"
    run 0 "$STRATA" backup --data-dir "$T/data" "$T/bk$round"
    expect_in "$T/err" "LMDB snapshot"
    [ -f "$T/bk$round/backup.json" ] || fail "no manifest"
    "$TT" json "$T/bk$round/backup.json" || fail "backup.json is not JSON"
done
touch "$T/stop"
wait "$writer_pid"
kill -0 "$SRV_PID" || fail "the server died during the backups"
stop_server

for round in 1 2; do
    run 0 "$STRATA" restore "$T/bk$round" --data-dir "$T/r$round"
    expect_in "$T/out" "0 problems"
    check_restore "$T/r$round" "$T/ack_before$round"
done
run 0 "$STRATA" verify --data-dir "$T/data"

# A backup of a stopped directory restores to the same export.
run 0 "$STRATA" backup --data-dir "$T/data" "$T/bk3"
run 0 "$STRATA" restore "$T/bk3" --data-dir "$T/r3"
run 0 "$STRATA" export --data-dir "$T/data" --db load --out "$T/e_data"
run 0 "$STRATA" export --data-dir "$T/r3" --db load --out "$T/e_r3"
cmp "$T/e_data" "$T/e_r3" || fail "restore of a stopped directory differs"

# Refusals.
cp -r "$T/bk3" "$T/bkbad"
"$TT" flip-bytes "$T/bkbad/strata.mdb/data.mdb" 7 1 >/dev/null
run 1 "$STRATA" restore "$T/bkbad" --data-dir "$T/r4"
expect_in "$T/err" "is damaged"
[ ! -e "$T/r4/strata.mdb" ] || fail "a damaged backup was copied"
run 1 "$STRATA" restore "$T/bk3" --data-dir "$T/r3"
expect_in "$T/err" "not empty"
run 1 "$STRATA" backup --data-dir "$T/data" "$T/bk3"
expect_in "$T/err" "not empty"
run 1 "$STRATA" restore "$T/data" --data-dir "$T/r5"
expect_in "$T/err" "not a strata backup"
run 2 "$STRATA" backup --data-dir "$T/data"
run 2 "$STRATA" restore "$T/bk3"
echo ok
