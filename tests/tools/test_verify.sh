#!/usr/bin/env bash
# strata verify: a clean directory passes (text and JSON); a flipped byte in a
# chunk (written with the LMDB API) and a series missing from a tag posting
# are found, named (database, series key, field or tag) and exit 1 (and
# export salvages around the bad chunk); flipped bytes anywhere in the LMDB
# file never crash verify or inspect; a missing directory and a bad command
# line give 1 and 2.
source "$(dirname "$0")/lib.sh"
tt_setup

"$TT" mkdata "$T/a" || fail "tt mkdata"
run 0 "$STRATA" verify --data-dir "$T/a"
expect_in "$T/out" "0 problems"
run 0 "$STRATA" verify --data-dir "$T/a" --json
"$TT" json "$T/out" || fail "verify --json is not JSON"
expect_in "$T/out" '"ok": true'
expect_in "$T/out" '"problems": 0'
cp -r "$T/a" "$T/pristine"

# A flipped byte in the middle of chunk 40 (key order).
"$TT" flip-chunk "$T/a" 40 >"$T/which" || fail "tt flip-chunk"
IFS=$'\t' read -r series field <"$T/which"
[ -n "$series" ] && [ -n "$field" ] || fail "flip-chunk named nothing"
run 1 "$STRATA" verify --data-dir "$T/a"
expect_in "$T/out" "problem [chunk]: database \"db\", series $series, field $field"
expect_in "$T/out" "checksum"
expect_in "$T/out" "1 problems"
grep -q 'T[0-9:.]*Z \.\. ' "$T/out" || fail "no RFC3339 time range in [$(cat "$T/out")]"
run 1 "$STRATA" verify --data-dir "$T/a" --json
"$TT" json "$T/out" || fail "verify --json with problems is not JSON"
expect_in "$T/out" '"kind": "chunk"'
expect_in "$T/out" "\"series\": \"$series\""
expect_in "$T/out" '"ok": false'
# inspect still reads the directory (it does not check checksums).
run 0 "$STRATA" inspect --data-dir "$T/a"
# export salvages: the damaged column is cut short and named, the rest is exported.
run 1 "$STRATA" export --data-dir "$T/a" --db db
expect_in "$T/err" "series $series, field $field: chunk of series"
expect_in "$T/err" "the rest of this column is skipped"
[ "$(wc -l <"$T/out")" -gt 1200 ] || fail "export did not salvage the other columns"

# A series missing from one of its tag postings.
rm -rf "$T/a" && cp -r "$T/pristine" "$T/a"
"$TT" drop-posting "$T/a" >"$T/which" || fail "tt drop-posting"
IFS=$'\t' read -r series tag <"$T/which"
run 1 "$STRATA" verify --data-dir "$T/a"
expect_in "$T/out" "problem [posting]: database \"db\", series $series, the series is missing from the posting of tag $tag"

# Random damage anywhere in the file: exit 0 or 1 with a message, never a crash.
for seed in 1 2 3 4 5 6 7 8; do
    rm -rf "$T/r" && cp -r "$T/pristine" "$T/r"
    "$TT" flip-bytes "$T/r/strata.mdb/data.mdb" "$seed" 20 >/dev/null || fail "flip-bytes"
    rc=0
    timeout 60 "$STRATA" verify --data-dir "$T/r" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" -le 1 ] || fail "verify exited with $rc on a damaged file (seed $seed): $(tail -3 "$T/err")"
    rc=0
    timeout 60 "$STRATA" inspect --data-dir "$T/r" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" -le 1 ] || fail "inspect exited with $rc on a damaged file (seed $seed)"
done

run 1 "$STRATA" verify --data-dir "$T/nosuch"
expect_in "$T/err" "nosuch"
run 2 "$STRATA" verify
run 2 "$STRATA" verify --data-dir "$T/a" --max-problems x
echo ok
