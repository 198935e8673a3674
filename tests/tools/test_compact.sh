#!/usr/bin/env bash
# strata compact on a real data directory: data written in many small
# checkpoints, with late points and overwrites, is compacted; the chunk
# count drops, an export before and after is byte-identical, verify stays
# clean, and the directory still takes writes. A directory in use is refused.
source "$(dirname "$0")/lib.sh"
tt_setup

# Three loads of the same series: in order, then late points, then rewrites.
gen() { # from to step value-offset
    for ((t = $1; t < $2; t += $3)); do
        for h in 0 1 2; do
            printf 'cpu,host=h%d usage=%d.%02d,n=%di,s="v%d" %d\n' "$h" "$(((t + $4) % 100))" \
                "$((t % 100))" "$((t + h))" "$((t % 7))" "$((1500000000000000000 + t * 1000000000))"
        done
    done
}
gen 0 3000 1 0 >"$T/a.lp"
gen 1 3000 7 5 >"$T/b.lp"
gen 0 3000 11 9 >"$T/c.lp"
for f in a b c; do
    "$STRATA" import --data-dir "$T/d" --db db "$T/$f.lp" >/dev/null 2>&1 || fail "import $f"
done
"$STRATA" export --data-dir "$T/d" --db db >"$T/before.lp" 2>/dev/null || fail "export before"
out=$("$STRATA" compact --data-dir "$T/d" --json) || fail "compact"
before=$(sed 's/.*"chunks_before":\([0-9]*\).*/\1/' <<<"$out")
after=$(sed 's/.*"chunks_after":\([0-9]*\).*/\1/' <<<"$out")
[ "$after" -lt "$before" ] || fail "compaction did not reduce chunks: $out"
"$STRATA" export --data-dir "$T/d" --db db >"$T/after.lp" 2>/dev/null || fail "export after"
cmp -s "$T/before.lp" "$T/after.lp" || fail "export differs after compaction"
"$STRATA" verify --data-dir "$T/d" >"$T/verify.txt" 2>&1 || fail "verify after compaction: $(tail -3 "$T/verify.txt")"
# Compact twice: nothing changes in the data.
"$STRATA" compact --data-dir "$T/d" >/dev/null || fail "second compact"
"$STRATA" export --data-dir "$T/d" --db db >"$T/after2.lp" 2>/dev/null || fail "export 2"
cmp -s "$T/before.lp" "$T/after2.lp" || fail "export differs after a second compaction"
# Writes after compaction, including into compacted time ranges.
printf 'cpu,host=h0 usage=-1.5,n=-1i,s="late" 1500000000000000000\n' >"$T/late.lp"
"$STRATA" import --data-dir "$T/d" --db db "$T/late.lp" >/dev/null 2>&1 || fail "import late"
"$STRATA" export --data-dir "$T/d" --db db >"$T/late-export.lp" 2>/dev/null || fail "export late"
grep -q 'cpu,host=h0 n=-1i,s="late",usage=-1.5 1500000000000000000' "$T/late-export.lp" ||
    fail "the late write after compaction is missing"
# In use: refused.
start_server "$T/d"
"$STRATA" compact --data-dir "$T/d" >/dev/null 2>"$T/busy.txt" && fail "compact of a live directory succeeded"
grep -q "in use" "$T/busy.txt" || fail "no clear message for a live directory: $(cat "$T/busy.txt")"
echo "compact: $before -> $after chunks, exports identical"
