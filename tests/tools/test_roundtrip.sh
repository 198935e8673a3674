#!/usr/bin/env bash
# strata export / import: every type and edge value written back exactly, an
# export of an import byte-identical to the export imported (plain, gzip,
# stdin), selections by measurement and time, the LMDB-only export of a
# running server's directory equal to the engine's, import refused on a live
# directory, unrepresentable values reported with exit 1, usage errors exit 2.
source "$(dirname "$0")/lib.sh"
tt_setup

"$TT" mkdata "$T/a" || fail "tt mkdata"
run 0 "$STRATA" verify --data-dir "$T/a"

run 0 "$STRATA" export --data-dir "$T/a" --db db --out "$T/e1.lp"
expect_in "$T/err" "lines"
# Values exactly as written: spot checks of each type and escape.
expect_in "$T/e1.lp" 'types,host=a b=true,f=-0,i=-1i,s="plain",u=1u 1700000001000000000'
expect_in "$T/e1.lp" 'f=0.1,i=-9223372036854775808i,s="back\\slash",u=9223372036854775808u'
expect_in "$T/e1.lp" 'f=5e-324,i=-42i,s="new'
expect_in "$T/e1.lp" 'f=1.7976931348623157e+308,s="tab'
expect_in "$T/e1.lp" 'u=18446744073709551615u'
expect_in "$T/e1.lp" 's="with \"quotes\""'
expect_in "$T/e1.lp" 'types,host=a i=6i -9223372036854775806'
expect_in "$T/e1.lp" 'types,host=a i=0i -1000000000'
expect_in "$T/e1.lp" 'we\ ird\,meas,\=lead=\=x,a\b=c\d,k\ ey=v\,a\=l\ ue,q"t="quoted" back\slash=9u,f\ ield=1.5,fi\"eld="x",fi\,eld=7i,fi\=eld=true 1700000000000000000'
# Overwritten and late points: the newest write wins, each timestamp once.
expect_in "$T/e1.lp" 'many,dc=east,host=h03 load=1001,n=1i 1700000010000000000'
expect_in "$T/e1.lp" 'many,dc=east,host=h03 load=-3,n=-3i 1700000030000000000'
expect_in "$T/e1.lp" 'many,dc=east,host=h03 load=0.5 1700000000000000005'
expect_eq "h03 lines" 35 "$(grep -c '^many,dc=east,host=h03 ' "$T/e1.lp")"
expect_eq "lines" 1240 "$(grep -c ' [-0-9]*$' "$T/e1.lp")"

# Import into a new directory and export again: the same bytes.
run 0 "$STRATA" import --data-dir "$T/b" --db db "$T/e1.lp"
expect_in "$T/err" "1240 points written"
run 0 "$STRATA" export --data-dir "$T/b" --db db --out "$T/e2.lp"
cmp "$T/e1.lp" "$T/e2.lp" || fail "export of the import differs from the export"
run 0 "$STRATA" verify --data-dir "$T/b"

# gzip out, gzip in through stdin; the database is created by import.
run 0 "$STRATA" export --data-dir "$T/a" --db db --gzip --out "$T/e1.lp.gz"
gzip -dc "$T/e1.lp.gz" | cmp - "$T/e1.lp" || fail "gzip export differs"
"$STRATA" import --data-dir "$T/c" --db copy - <"$T/e1.lp.gz" 2>"$T/err" || fail "import from stdin"
run 0 "$STRATA" export --data-dir "$T/c" --db copy
cmp "$T/out" "$T/e1.lp" || fail "export of the gzip import differs"

# Selections.
run 0 "$STRATA" export --data-dir "$T/a" --db db --measurement types --start 0 --end 2
expect_eq "time range" "types,host=a i=2i 0
types,host=a i=3i 1" "$(cat "$T/out")"
run 0 "$STRATA" export --data-dir "$T/a" --db db --measurement many \
    --start 2023-11-14T22:13:20.000000001Z --end 1700000020000000000
expect_eq "rfc3339 range" 3 "$(grep -c h03 "$T/out")"
run 0 "$STRATA" export --data-dir "$T/a" --db other
expect_eq "other db" "m,host=a v=1i 1700000000000000000" "$(cat "$T/out")"
run 1 "$STRATA" export --data-dir "$T/a" --db nosuch
expect_in "$T/err" 'database "nosuch" does not exist'
run 1 "$STRATA" export --data-dir "$T/a" --db db --measurement nosuch

# A running server's directory: LMDB-only export equals the engine's; import refused.
cp -r "$T/a" "$T/live"
start_server "$T/live"
run 0 "$STRATA" export --data-dir "$T/live" --db db
expect_in "$T/err" "in use by a running server"
cmp "$T/out" "$T/e1.lp" || fail "export of a live directory differs"
run 1 "$STRATA" import --data-dir "$T/live" --db db "$T/e1.lp"
expect_in "$T/err" "in use by a running server"
expect_in "$T/err" "curl -XPOST"
stop_server

# What line protocol cannot carry: reported, skipped, exit 1; the rest exported.
"$TT" mkbad "$T/bad" || fail "tt mkbad"
run 1 "$STRATA" export --data-dir "$T/bad" --db db
expect_eq "good point" "m,host=a f=1 1000" "$(cat "$T/out")"
expect_in "$T/err" "NaN values cannot be written"
expect_in "$T/err" 'series m,host=ends\ cannot be written'
expect_in "$T/err" 'series #notacomment,host=a cannot be written'

# Bad lines on import: counted with their line numbers, the rest written, exit 1.
# The field f is stored first: a type conflict with a stored field refuses one
# point (a conflict between points of one batch refuses the batch, as InfluxDB).
printf 'm f=0 0\n' >"$T/pre.lp"
run 0 "$STRATA" import --data-dir "$T/d" --db db "$T/pre.lp"
printf 'm f=1 1\nm f= 2\nm f="a\nb" 3\nm f=2i 4\nm g=1 5\n' >"$T/mixed.lp"
run 1 "$STRATA" import --data-dir "$T/d" --db db "$T/mixed.lp"
expect_in "$T/err" "line 2: unable to parse 'm f= 2'"
expect_in "$T/err" "field type conflict"
expect_in "$T/err" "2 points written"

# Usage: exit 2; help: exit 0.
run 2 "$STRATA" export --db db
run 2 "$STRATA" export --data-dir "$T/a" --db db --start yesterday
run 2 "$STRATA" import --data-dir "$T/a" --db db
run 2 "$STRATA" nosuchcommand
run 0 "$STRATA" export --help
expect_in "$T/out" "Exit status:"
run 0 "$STRATA" --help
expect_in "$T/out" "restore"
echo ok
