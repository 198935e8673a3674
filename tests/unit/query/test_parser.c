/*
 * tests/unit/query/test_parser.c: every statement form parses to the tree
 * we expect.
 *
 * Two kinds of checks: a table of statements with their canonical and
 * InfluxDB-style printed forms (each reviewed by hand; the InfluxDB style
 * was compared with what InfluxDB 1.6.7 echoes in SHOW CONTINUOUS QUERIES),
 * and direct inspection of the nodes for the shapes the executor relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "query/parser.h"

#define NOW INT64_C(1700000000000000000)
#define SEC INT64_C(1000000000)

static strata_arena arena;

static int setup(void **state)
{
    (void)state;
    strata_arena_init(&arena, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    strata_arena_fini(&arena);
    return 0;
}

static qry_query *parse_ok(const char *q)
{
    qry_query *out = NULL;
    strata_error err;
    strata_error_clear(&err);
    int rc = qry_parse(q, strlen(q), NULL, NOW, &arena, &out, &err);
    if (rc != STRATA_OK) printf("parse failed: %s\n  %s\n", q, err.msg);
    assert_int_equal(rc, STRATA_OK);
    assert_non_null(out);
    return out;
}

static qry_stmt *stmt1(const char *q)
{
    qry_query *out = parse_ok(q);
    assert_int_equal(out->nstmts, 1);
    return out->stmts[0];
}

static qry_select *select1(const char *q)
{
    qry_stmt *s = stmt1(q);
    assert_int_equal(s->kind, QRY_STMT_SELECT);
    return s->u.sel.select;
}

static bool str_is(qry_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0 && s.ptr[s.len] == '\0';
}

#define assert_str(s, want)                                                                        \
    do {                                                                                           \
        if (!str_is((s), (want)))                                                                  \
            printf("got \"%.*s\", want \"%s\"\n", (int)(s).len, (s).ptr, (want));                  \
        assert_true(str_is((s), (want)));                                                          \
    } while (0)

/* ---- printed forms ------------------------------------------------------- */

static const struct form {
    const char *in, *canonical, *influx;
} FORMS[] = {
    {"SELECT \"value\" FROM \"cpu\"", "SELECT value FROM cpu", "SELECT value FROM cpu"},
    {"select value, host from cpu", "SELECT value, host FROM cpu", "SELECT value, host FROM cpu"},
    {"SELECT * FROM cpu", "SELECT * FROM cpu", "SELECT * FROM cpu"},
    {"SELECT *::field, *::tag FROM cpu", "SELECT *::field, *::tag FROM cpu",
     "SELECT *::field, *::tag FROM cpu"},
    {"SELECT /^usage_/ FROM cpu", "SELECT /^usage_/ FROM cpu", "SELECT /^usage_/ FROM cpu"},
    {"SELECT value AS v, \"host\" AS \"the host\" FROM cpu",
     "SELECT value AS v, host AS \"the host\" FROM cpu",
     "SELECT value AS v, host AS \"the host\" FROM cpu"},
    {"SELECT a + b * c, (a + b) * c, a - b - c, a / b % c FROM m",
     "SELECT a + b * c, (a + b) * c, a - b - c, a / b % c FROM m",
     "SELECT a + b * c, (a + b) * c, a - b - c, a / b % c FROM m"},
    {"SELECT a & b | c ^ d FROM m", "SELECT a & b | c ^ d FROM m", "SELECT a & b | c ^ d FROM m"},
    {"SELECT -value, -(a + b), +a, - 5, -1.5, -10s FROM m",
     "SELECT -value, -(a + b), +a, -5, -1.5, -10s FROM m",
     "SELECT -1 * value, -1 * (a + b), 1 * a, -5, -1.500, -10s FROM m"},
    {"SELECT mean(\"value\") FROM cpu", "SELECT mean(value) FROM cpu",
     "SELECT mean(value) FROM cpu"},
    {"SELECT non_negative_derivative(mean(\"bytes\"), 1s) FROM net GROUP BY time(1m)",
     "SELECT non_negative_derivative(mean(bytes), 1s) FROM net GROUP BY time(1m)",
     "SELECT non_negative_derivative(mean(bytes), 1s) FROM net GROUP BY time(1m)"},
    {"SELECT COUNT(DISTINCT host) FROM m", "SELECT count(DISTINCT host) FROM m",
     "SELECT count(DISTINCT host) FROM m"},
    {"SELECT DISTINCT host FROM m", "SELECT DISTINCT host FROM m", "SELECT DISTINCT host FROM m"},
    {"SELECT f::float, g::integer, h::unsigned, i::string, j::boolean, k::field, l::tag FROM m",
     "SELECT f::float, g::integer, h::unsigned, i::string, j::boolean, k::field, l::tag FROM m",
     "SELECT f::float, g::integer, h::unsigned, i::string, j::boolean, k::field, l::tag FROM m"},
    {"SELECT mean(value) INTO cpu_1h FROM cpu GROUP BY time(1h)",
     "SELECT mean(value) INTO cpu_1h FROM cpu GROUP BY time(1h)",
     "SELECT mean(value) INTO cpu_1h FROM cpu GROUP BY time(1h)"},
    {"SELECT mean(value) INTO \"db\".\"rp\".\"m\" FROM cpu GROUP BY time(1h)",
     "SELECT mean(value) INTO db.rp.m FROM cpu GROUP BY time(1h)",
     "SELECT mean(value) INTO db.rp.m FROM cpu GROUP BY time(1h)"},
    {"SELECT mean(value) INTO db.rp.:MEASUREMENT FROM /.*/ GROUP BY time(1h)",
     "SELECT mean(value) INTO db.rp.:MEASUREMENT FROM /.*/ GROUP BY time(1h)",
     "SELECT mean(value) INTO db.rp.:MEASUREMENT FROM /.*/ GROUP BY time(1h)"},
    {"SELECT mean(value) INTO db..:MEASUREMENT FROM /.*/ GROUP BY time(1h)",
     "SELECT mean(value) INTO db..:MEASUREMENT FROM /.*/ GROUP BY time(1h)",
     "SELECT mean(value) INTO db..:MEASUREMENT FROM /.*/ GROUP BY time(1h)"},
    {"SELECT v FROM cpu, mem, /^disk/", "SELECT v FROM cpu, mem, /^disk/",
     "SELECT v FROM cpu, mem, /^disk/"},
    {"SELECT v FROM \"db\".\"rp\".\"m\", db..m, rp.m, db.rp./re/, db../re/, rp./re/",
     "SELECT v FROM db.rp.m, db..m, rp.m, db.rp./re/, db../re/, rp./re/",
     "SELECT v FROM db.rp.m, db..m, rp.m, db.rp./re/, db../re/, rp./re/"},
    {"SELECT v FROM (SELECT max(v) AS v FROM cpu GROUP BY host)",
     "SELECT v FROM (SELECT max(v) AS v FROM cpu GROUP BY host)",
     "SELECT v FROM (SELECT max(v) AS v FROM cpu GROUP BY host)"},
    {"SELECT v FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-02'",
     "SELECT v FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-02'",
     "SELECT v FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-02'"},
    {"SELECT v FROM cpu WHERE time > 1500000000s AND time < 1600000000000ms",
     "SELECT v FROM cpu WHERE time > 25000000m AND time < 1600000000s",
     "SELECT v FROM cpu WHERE time > 25000000m AND time < 1600000000s"},
    {"SELECT v FROM cpu WHERE time > now() - 1h30m AND time < now() + 5m",
     "SELECT v FROM cpu WHERE time > now() - 90m AND time < now() + 5m",
     "SELECT v FROM cpu WHERE time > now() - 90m AND time < now() + 5m"},
    {"SELECT v FROM cpu WHERE host = 'a' AND region != 'b' AND dc <> 'c' AND h =~ /x/ AND h !~ "
     "/y\\/z/",
     "SELECT v FROM cpu WHERE host = 'a' AND region != 'b' AND dc != 'c' AND h =~ /x/ AND h !~ "
     "/y\\/z/",
     "SELECT v FROM cpu WHERE host = 'a' AND region != 'b' AND dc != 'c' AND h =~ /x/ AND h !~ "
     "/y\\/z/"},
    {"SELECT v FROM cpu WHERE (a = 1 OR b = 2) AND c = 3",
     "SELECT v FROM cpu WHERE (a = 1 OR b = 2) AND c = 3",
     "SELECT v FROM cpu WHERE (a = 1 OR b = 2) AND c = 3"},
    {"SELECT v FROM cpu WHERE v > 1 AND v >= 2 AND v < 3 AND v <= 4.5",
     "SELECT v FROM cpu WHERE v > 1 AND v >= 2 AND v < 3 AND v <= 4.5",
     "SELECT v FROM cpu WHERE v > 1 AND v >= 2 AND v < 3 AND v <= 4.500"},
    {"SELECT v FROM cpu WHERE t = true AND f = FALSE",
     "SELECT v FROM cpu WHERE t = true AND f = false",
     "SELECT v FROM cpu WHERE t = true AND f = false"},
    {"SELECT mean(v) FROM cpu GROUP BY time(1m, -30s), host fill(none)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m, -30s), host fill(none)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m, -30s), host fill(none)"},
    {"SELECT mean(v) FROM cpu GROUP BY time(1m, now())",
     "SELECT mean(v) FROM cpu GROUP BY time(1m, now())",
     "SELECT mean(v) FROM cpu GROUP BY time(1m, now())"},
    {"SELECT mean(v) FROM cpu GROUP BY *", "SELECT mean(v) FROM cpu GROUP BY *",
     "SELECT mean(v) FROM cpu GROUP BY *"},
    {"SELECT mean(v) FROM cpu GROUP BY /^h/, dc", "SELECT mean(v) FROM cpu GROUP BY /^h/, dc",
     "SELECT mean(v) FROM cpu GROUP BY /^h/, dc"},
    {"SELECT mean(v) FROM cpu GROUP BY time(1m) fill(null)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m)", "SELECT mean(v) FROM cpu GROUP BY time(1m)"},
    {"SELECT mean(v) FROM cpu GROUP BY time(1m) fill(previous)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(previous)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(previous)"},
    {"SELECT mean(v) FROM cpu GROUP BY time(1m) fill(linear)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(linear)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(linear)"},
    {"SELECT mean(v) FROM cpu GROUP BY time(1m) fill(0)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(0)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(0)"},
    {"SELECT mean(v) FROM cpu GROUP BY time(1m) fill(-1.25)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(-1.25)",
     "SELECT mean(v) FROM cpu GROUP BY time(1m) fill(-1.25)"},
    {"SELECT v FROM cpu ORDER BY time DESC", "SELECT v FROM cpu ORDER BY time DESC",
     "SELECT v FROM cpu ORDER BY time DESC"},
    {"SELECT v FROM cpu ORDER BY time ASC", "SELECT v FROM cpu ORDER BY time ASC",
     "SELECT v FROM cpu ORDER BY time ASC"},
    {"SELECT v FROM cpu ORDER BY DESC", "SELECT v FROM cpu ORDER BY DESC",
     "SELECT v FROM cpu ORDER BY DESC"},
    {"SELECT v FROM cpu LIMIT 10 OFFSET 20 SLIMIT 3 SOFFSET 4",
     "SELECT v FROM cpu LIMIT 10 OFFSET 20 SLIMIT 3 SOFFSET 4",
     "SELECT v FROM cpu LIMIT 10 OFFSET 20 SLIMIT 3 SOFFSET 4"},
    {"SELECT v FROM cpu tz('Europe/Paris')", "SELECT v FROM cpu TZ('Europe/Paris')",
     "SELECT v FROM cpu TZ('Europe/Paris')"},
    {"SELECT mean(v) FROM cpu WHERE time > now() - 1d GROUP BY time(1h), host fill(0) ORDER BY "
     "time DESC LIMIT 5 OFFSET 1 SLIMIT 2 SOFFSET 1 tz('America/New_York')",
     "SELECT mean(v) FROM cpu WHERE time > now() - 1d GROUP BY time(1h), host fill(0) ORDER BY "
     "time DESC LIMIT 5 OFFSET 1 SLIMIT 2 SOFFSET 1 TZ('America/New_York')",
     "SELECT mean(v) FROM cpu WHERE time > now() - 1d GROUP BY time(1h), host fill(0) ORDER BY "
     "time DESC LIMIT 5 OFFSET 1 SLIMIT 2 SOFFSET 1 TZ('America/New_York')"},
    {"SELECT v FROM m; SELECT w FROM n", "SELECT v FROM m;\nSELECT w FROM n",
     "SELECT v FROM m;\nSELECT w FROM n"},
    {"SHOW DATABASES", "SHOW DATABASES", "SHOW DATABASES"},
    {"SHOW MEASUREMENTS", "SHOW MEASUREMENTS", "SHOW MEASUREMENTS"},
    {"SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /cpu/ WHERE host = 'a' ORDER BY time LIMIT 10 "
     "OFFSET 5",
     "SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /cpu/ WHERE host = 'a' ORDER BY time ASC LIMIT "
     "10 OFFSET 5",
     "SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /cpu/ WHERE host = 'a' ORDER BY time ASC LIMIT "
     "10 OFFSET 5"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT = cpu", "SHOW MEASUREMENTS WITH MEASUREMENT = cpu",
     "SHOW MEASUREMENTS WITH MEASUREMENT = cpu"},
    {"SHOW TAG KEYS", "SHOW TAG KEYS", "SHOW TAG KEYS"},
    {"SHOW TAG KEYS ON db FROM cpu WHERE a = 'b' LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4",
     "SHOW TAG KEYS ON db FROM cpu WHERE a = 'b' LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4",
     "SHOW TAG KEYS ON db FROM cpu WHERE a = 'b' LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4"},
    {"SHOW TAG VALUES WITH KEY = \"host\"", "SHOW TAG VALUES WITH KEY = host",
     "SHOW TAG VALUES WITH KEY = host"},
    {"SHOW TAG VALUES ON db FROM cpu, mem WITH KEY IN (\"a\", b) WHERE c = 'd' LIMIT 5 OFFSET 1",
     "SHOW TAG VALUES ON db FROM cpu, mem WITH KEY IN (a, b) WHERE c = 'd' LIMIT 5 OFFSET 1",
     "SHOW TAG VALUES ON db FROM cpu, mem WITH KEY IN (a, b) WHERE c = 'd' LIMIT 5 OFFSET 1"},
    {"SHOW TAG VALUES WITH KEY =~ /h/", "SHOW TAG VALUES WITH KEY =~ /h/",
     "SHOW TAG VALUES WITH KEY =~ /h/"},
    {"SHOW TAG VALUES WITH KEY != host", "SHOW TAG VALUES WITH KEY != host",
     "SHOW TAG VALUES WITH KEY != host"},
    {"SHOW TAG VALUES WITH KEY !~ /h/", "SHOW TAG VALUES WITH KEY !~ /h/",
     "SHOW TAG VALUES WITH KEY !~ /h/"},
    {"SHOW FIELD KEYS", "SHOW FIELD KEYS", "SHOW FIELD KEYS"},
    {"SHOW FIELD KEYS ON db FROM cpu", "SHOW FIELD KEYS ON db FROM cpu",
     "SHOW FIELD KEYS ON db FROM cpu"},
    {"SHOW SERIES", "SHOW SERIES", "SHOW SERIES"},
    {"SHOW SERIES ON db FROM cpu WHERE host = 'a' LIMIT 10 OFFSET 1",
     "SHOW SERIES ON db FROM cpu WHERE host = 'a' LIMIT 10 OFFSET 1",
     "SHOW SERIES ON db FROM cpu WHERE host = 'a' LIMIT 10 OFFSET 1"},
    {"SHOW RETENTION POLICIES", "SHOW RETENTION POLICIES", "SHOW RETENTION POLICIES"},
    {"SHOW RETENTION POLICIES ON db", "SHOW RETENTION POLICIES ON db",
     "SHOW RETENTION POLICIES ON db"},
    {"SHOW MEASUREMENT CARDINALITY", "SHOW MEASUREMENT CARDINALITY",
     "SHOW MEASUREMENT CARDINALITY"},
    {"SHOW MEASUREMENT EXACT CARDINALITY ON db FROM cpu WHERE a = 'b' GROUP BY c LIMIT 1 OFFSET 2",
     "SHOW MEASUREMENT EXACT CARDINALITY ON db FROM cpu WHERE a = 'b' GROUP BY c LIMIT 1 OFFSET 2",
     "SHOW MEASUREMENT EXACT CARDINALITY ON db FROM cpu WHERE a = 'b' GROUP BY c LIMIT 1 OFFSET 2"},
    {"SHOW SERIES CARDINALITY", "SHOW SERIES CARDINALITY", "SHOW SERIES CARDINALITY"},
    {"SHOW SERIES EXACT CARDINALITY ON db", "SHOW SERIES EXACT CARDINALITY ON db",
     "SHOW SERIES EXACT CARDINALITY ON db"},
    {"SHOW TAG KEY CARDINALITY", "SHOW TAG KEY CARDINALITY", "SHOW TAG KEY CARDINALITY"},
    {"SHOW TAG KEY EXACT CARDINALITY FROM cpu", "SHOW TAG KEY EXACT CARDINALITY FROM cpu",
     "SHOW TAG KEY EXACT CARDINALITY FROM cpu"},
    {"SHOW TAG VALUES CARDINALITY WITH KEY = host", "SHOW TAG VALUES CARDINALITY WITH KEY = host",
     "SHOW TAG VALUES CARDINALITY WITH KEY = host"},
    {"SHOW TAG VALUES EXACT CARDINALITY ON db FROM cpu WITH KEY IN (a, b)",
     "SHOW TAG VALUES EXACT CARDINALITY ON db FROM cpu WITH KEY IN (a, b)",
     "SHOW TAG VALUES EXACT CARDINALITY ON db FROM cpu WITH KEY IN (a, b)"},
    {"SHOW FIELD KEY CARDINALITY", "SHOW FIELD KEY CARDINALITY", "SHOW FIELD KEY CARDINALITY"},
    {"SHOW FIELD KEY EXACT CARDINALITY ON db", "SHOW FIELD KEY EXACT CARDINALITY ON db",
     "SHOW FIELD KEY EXACT CARDINALITY ON db"},
    {"SHOW CONTINUOUS QUERIES", "SHOW CONTINUOUS QUERIES", "SHOW CONTINUOUS QUERIES"},
    {"SHOW USERS", "SHOW USERS", "SHOW USERS"},
    {"SHOW GRANTS FOR bob", "SHOW GRANTS FOR bob", "SHOW GRANTS FOR bob"},
    {"SHOW QUERIES", "SHOW QUERIES", "SHOW QUERIES"},
    {"SHOW DIAGNOSTICS", "SHOW DIAGNOSTICS", "SHOW DIAGNOSTICS"},
    {"SHOW DIAGNOSTICS FOR 'build'", "SHOW DIAGNOSTICS FOR 'build'",
     "SHOW DIAGNOSTICS FOR 'build'"},
    {"SHOW STATS", "SHOW STATS", "SHOW STATS"},
    {"SHOW STATS FOR 'httpd'", "SHOW STATS FOR 'httpd'", "SHOW STATS FOR 'httpd'"},
    {"SHOW SHARDS", "SHOW SHARDS", "SHOW SHARDS"},
    {"SHOW SHARD GROUPS", "SHOW SHARD GROUPS", "SHOW SHARD GROUPS"},
    {"SHOW SUBSCRIPTIONS", "SHOW SUBSCRIPTIONS", "SHOW SUBSCRIPTIONS"},
    {"CREATE DATABASE db", "CREATE DATABASE db", "CREATE DATABASE db"},
    {"CREATE DATABASE \"my db\" WITH DURATION 3d REPLICATION 1 SHARD DURATION 1h NAME \"rp 1\"",
     "CREATE DATABASE \"my db\" WITH DURATION 3d REPLICATION 1 SHARD DURATION 1h NAME \"rp 1\"",
     "CREATE DATABASE \"my db\" WITH DURATION 3d REPLICATION 1 SHARD DURATION 1h NAME \"rp 1\""},
    {"CREATE DATABASE db WITH DURATION INF", "CREATE DATABASE db WITH DURATION 0s",
     "CREATE DATABASE db WITH DURATION 0s"},
    {"CREATE DATABASE db WITH SHARD DURATION 0s", "CREATE DATABASE db WITH SHARD DURATION 0s",
     "CREATE DATABASE db WITH"},
    {"CREATE DATABASE db WITH NAME rp", "CREATE DATABASE db WITH NAME rp",
     "CREATE DATABASE db WITH NAME rp"},
    {"DROP DATABASE db", "DROP DATABASE db", "DROP DATABASE db"},
    {"DROP MEASUREMENT cpu", "DROP MEASUREMENT cpu", "DROP MEASUREMENT cpu"},
    {"DROP SERIES FROM cpu WHERE host = 'a'", "DROP SERIES FROM cpu WHERE host = 'a'",
     "DROP SERIES FROM cpu WHERE host = 'a'"},
    {"DROP SERIES WHERE host = 'a'", "DROP SERIES WHERE host = 'a'",
     "DROP SERIES WHERE host = 'a'"},
    {"DROP SERIES FROM cpu", "DROP SERIES FROM cpu", "DROP SERIES FROM cpu"},
    {"DELETE FROM cpu WHERE time < '2020-01-01'", "DELETE FROM cpu WHERE time < '2020-01-01'",
     "DELETE FROM cpu WHERE time < '2020-01-01'"},
    {"DELETE WHERE time < now() - 30d", "DELETE WHERE time < now() - 30d",
     "DELETE WHERE time < now() - 30d"},
    {"DELETE FROM /c/", "DELETE FROM /c/", "DELETE FROM /c/"},
    {"DROP SHARD 42", "DROP SHARD 42", "DROP SHARD 42"},
    {"CREATE RETENTION POLICY rp ON db DURATION 1d REPLICATION 1",
     "CREATE RETENTION POLICY rp ON db DURATION 1d REPLICATION 1",
     "CREATE RETENTION POLICY rp ON db DURATION 1d REPLICATION 1"},
    {"CREATE RETENTION POLICY rp ON db DURATION INF REPLICATION 2 SHARD DURATION 1h DEFAULT",
     "CREATE RETENTION POLICY rp ON db DURATION 0s REPLICATION 2 SHARD DURATION 1h DEFAULT",
     "CREATE RETENTION POLICY rp ON db DURATION 0s REPLICATION 2 SHARD DURATION 1h DEFAULT"},
    {"ALTER RETENTION POLICY rp ON db DURATION 2d", "ALTER RETENTION POLICY rp ON db DURATION 2d",
     "ALTER RETENTION POLICY rp ON db DURATION 2d"},
    {"ALTER RETENTION POLICY rp ON db DEFAULT REPLICATION 3 SHARD DURATION 2h",
     "ALTER RETENTION POLICY rp ON db REPLICATION 3 SHARD DURATION 2h DEFAULT",
     "ALTER RETENTION POLICY rp ON db REPLICATION 3 SHARD DURATION 2h DEFAULT"},
    {"ALTER RETENTION POLICY default ON db DEFAULT",
     "ALTER RETENTION POLICY \"default\" ON db DEFAULT",
     "ALTER RETENTION POLICY \"default\" ON db DEFAULT"},
    {"DROP RETENTION POLICY rp ON db", "DROP RETENTION POLICY rp ON db",
     "DROP RETENTION POLICY rp ON db"},
    {"CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) INTO m1h FROM m GROUP BY time(1h) END",
     "CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) INTO m1h FROM m GROUP BY time(1h) END",
     "CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) INTO m1h FROM m GROUP BY time(1h) END"},
    {"CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 5m FOR 2h BEGIN SELECT mean(v) INTO m1h FROM "
     "m GROUP BY time(1h), * END",
     "CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 5m FOR 2h BEGIN SELECT mean(v) INTO m1h FROM "
     "m GROUP BY time(1h), * END",
     "CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 5m FOR 2h BEGIN SELECT mean(v) INTO m1h FROM "
     "m GROUP BY time(1h), * END"},
    {"CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 5m BEGIN SELECT v INTO x FROM m END",
     "CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 5m BEGIN SELECT v INTO x FROM m END",
     "CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 5m BEGIN SELECT v INTO x FROM m END"},
    {"DROP CONTINUOUS QUERY cq ON db", "DROP CONTINUOUS QUERY cq ON db",
     "DROP CONTINUOUS QUERY cq ON db"},
    {"EXPLAIN SELECT * FROM m", "EXPLAIN SELECT * FROM m", "EXPLAIN SELECT * FROM m"},
    {"EXPLAIN ANALYZE SELECT mean(v) FROM m GROUP BY time(1m)",
     "EXPLAIN ANALYZE SELECT mean(v) FROM m GROUP BY time(1m)",
     "EXPLAIN ANALYZE SELECT mean(v) FROM m GROUP BY time(1m)"},
    {"KILL QUERY 12", "KILL QUERY 12", "KILL QUERY 12"},
    {"KILL QUERY 12 ON \"host:8088\"", "KILL QUERY 12 ON \"host:8088\"",
     "KILL QUERY 12 ON \"host:8088\""},
    {"CREATE USER bob WITH PASSWORD 'secret'", "CREATE USER bob WITH PASSWORD 'secret'",
     "CREATE USER bob WITH PASSWORD [REDACTED]"},
    {"CREATE USER root WITH PASSWORD 'p\\'w' WITH ALL PRIVILEGES",
     "CREATE USER root WITH PASSWORD 'p\\'w' WITH ALL PRIVILEGES",
     "CREATE USER root WITH PASSWORD [REDACTED] WITH ALL PRIVILEGES"},
    {"DROP USER bob", "DROP USER bob", "DROP USER bob"},
    {"SET PASSWORD FOR bob = 'new'", "SET PASSWORD FOR bob = 'new'",
     "SET PASSWORD FOR bob = [REDACTED]"},
    {"GRANT READ ON db TO bob", "GRANT READ ON db TO bob", "GRANT READ ON db TO bob"},
    {"GRANT WRITE ON db TO bob", "GRANT WRITE ON db TO bob", "GRANT WRITE ON db TO bob"},
    {"GRANT ALL ON db TO bob", "GRANT ALL PRIVILEGES ON db TO bob",
     "GRANT ALL PRIVILEGES ON db TO bob"},
    {"GRANT ALL PRIVILEGES TO bob", "GRANT ALL PRIVILEGES TO bob", "GRANT ALL PRIVILEGES TO bob"},
    {"REVOKE READ ON db FROM bob", "REVOKE READ ON db FROM bob", "REVOKE READ ON db FROM bob"},
    {"REVOKE ALL FROM bob", "REVOKE ALL PRIVILEGES FROM bob", "REVOKE ALL PRIVILEGES FROM bob"},
    {"CREATE SUBSCRIPTION s ON db.rp DESTINATIONS ANY 'udp://a:1', 'udp://b:2'",
     "CREATE SUBSCRIPTION s ON db.rp DESTINATIONS ANY 'udp://a:1', 'udp://b:2'",
     "CREATE SUBSCRIPTION s ON db.rp DESTINATIONS ANY 'udp://a:1', 'udp://b:2'"},
    {"DROP SUBSCRIPTION s ON db.rp", "DROP SUBSCRIPTION s ON db.rp",
     "DROP SUBSCRIPTION s ON db.rp"},
    {"SELECT \"select\", \"a b\", \"a\\\"b\", \"a\\\\b\", \"\303\251\", \"\", _x, x_1 FROM "
     "\"from\"",
     "SELECT \"select\", \"a b\", \"a\\\"b\", \"a\\\\b\", \"\303\251\", \"\", _x, x_1 FROM "
     "\"from\"",
     "SELECT \"select\", \"a b\", \"a\\\"b\", \"a\\\\b\", \"\303\251\", \"\", _x, x_1 FROM "
     "\"from\""},
    {"SELECT 'it\\'s', 'a\\\\b', 'line\\nbreak', '\303\251' FROM m",
     "SELECT 'it\\'s', 'a\\\\b', 'line\\nbreak', '\303\251' FROM m",
     "SELECT 'it\\'s', 'a\\\\b', 'line\\nbreak', '\303\251' FROM m"},
    {"SELECT 9223372036854775807, -9223372036854775808, 9223372036854775808, 18446744073709551615 "
     "FROM m",
     "SELECT 9223372036854775807, -9223372036854775808, 9223372036854775808, 18446744073709551615 "
     "FROM m",
     "SELECT 9223372036854775807, -9223372036854775808, 9223372036854775808, 18446744073709551615 "
     "FROM m"},
    {"SELECT 0.1, 1.0, 100.5, .5, 5., 123456789.123456789, 0.000001 FROM m",
     "SELECT 0.1, 1.0, 100.5, 0.5, 5.0, 123456789.12345679, 0.000001 FROM m",
     "SELECT 0.100, 1.000, 100.500, 0.500, 5.000, 123456789.123, 0.000 FROM m"},
    {"SELECT 1w, 1d, 1h, 1m, 1s, 1ms, 1u, 1\302\265, 1ns, 1h30m, 90m, 1500ms FROM m",
     "SELECT 1w, 1d, 1h, 1m, 1s, 1ms, 1u, 1u, 1ns, 90m, 90m, 1500ms FROM m",
     "SELECT 1w, 1d, 1h, 1m, 1s, 1ms, 1u, 1u, 1ns, 90m, 90m, 1500ms FROM m"},
};

static void statement_forms(void **state)
{
    (void)state;
    char buf[2048];
    for (size_t i = 0; i < sizeof FORMS / sizeof FORMS[0]; i++) {
        qry_query *q = parse_ok(FORMS[i].in);
        size_t n = qry_query_format(q, QRY_FMT_CANONICAL, buf, sizeof buf);
        if (strcmp(buf, FORMS[i].canonical) != 0)
            printf("in:   %s\nwant: %s\ngot:  %s\n", FORMS[i].in, FORMS[i].canonical, buf);
        assert_string_equal(buf, FORMS[i].canonical);
        assert_int_equal(n, strlen(FORMS[i].canonical));
        qry_query_format(q, QRY_FMT_INFLUX, buf, sizeof buf);
        if (strcmp(buf, FORMS[i].influx) != 0)
            printf("in:   %s\nwant: %s\ngot:  %s\n", FORMS[i].in, FORMS[i].influx, buf);
        assert_string_equal(buf, FORMS[i].influx);
        strata_arena_reset(&arena);
    }
}

/* The formatter behaves like snprintf: truncates, terminates, reports the full length. */
static void format_truncates(void **state)
{
    (void)state;
    qry_stmt *s = stmt1("SELECT mean(value) FROM cpu WHERE host = 'a'");
    const char *full = "SELECT mean(value) FROM cpu WHERE host = 'a'";
    char buf[16];
    memset(buf, 'x', sizeof buf);
    size_t n = qry_stmt_format(s, buf, sizeof buf);
    assert_int_equal(n, strlen(full));
    assert_int_equal(buf[15], '\0');
    assert_memory_equal(buf, full, 15);
    assert_int_equal(qry_stmt_format(s, NULL, 0), strlen(full));
    char one[1] = {'x'};
    assert_int_equal(qry_stmt_format(s, one, 1), strlen(full));
    assert_int_equal(one[0], '\0');
}

/* ---- nodes --------------------------------------------------------------- */

static void select_fields_and_aliases(void **state)
{
    (void)state;
    qry_select *s = select1("SELECT mean(\"value\") AS m, \"host\", 2 * -v FROM cpu");
    assert_int_equal(s->nfields, 3);
    qry_expr *e = s->fields[0].expr;
    assert_int_equal(e->kind, QRY_EXPR_CALL);
    assert_str(e->u.call.name, "mean");
    assert_int_equal(e->u.call.nargs, 1);
    assert_int_equal(e->u.call.args[0]->kind, QRY_EXPR_VARREF);
    assert_str(e->u.call.args[0]->u.ref.name, "value");
    assert_str(s->fields[0].alias, "m");
    assert_int_equal(s->fields[0].pos.line, 1);
    assert_int_equal(s->fields[0].pos.col, 8);
    assert_int_equal(s->fields[0].pos.off, 7);
    assert_str(s->fields[1].expr->u.ref.name, "host");
    assert_int_equal(s->fields[1].alias.len, 0);
    /* 2 * -v: the unary minus is (-1 * v), kept as one operand. */
    e = s->fields[2].expr;
    assert_int_equal(e->kind, QRY_EXPR_BINARY);
    assert_int_equal(e->u.bin.op, QRY_OP_MUL);
    assert_int_equal(e->u.bin.lhs->u.i64, 2);
    qry_expr *u = e->u.bin.rhs;
    assert_int_equal(u->kind, QRY_EXPR_BINARY);
    assert_int_equal(u->u.bin.unary, '-');
    assert_int_equal(u->u.bin.lhs->u.i64, -1);
    assert_str(u->u.bin.rhs->u.ref.name, "v");
    assert_false(s->is_raw);
    assert_int_equal(s->nsources, 1);
    assert_int_equal(s->sources[0].kind, QRY_SRC_MEASUREMENT);
    assert_str(s->sources[0].m.name, "cpu");
    assert_int_equal(s->sources[0].m.db.len, 0);
    assert_false(s->sources[0].m.has_regex);
}

static void operator_precedence(void **state)
{
    (void)state;
    /* a + b * c - d  ==  (a + (b * c)) - d */
    qry_expr *e = select1("SELECT a + b * c - d FROM m")->fields[0].expr;
    assert_int_equal(e->u.bin.op, QRY_OP_SUB);
    assert_str(e->u.bin.rhs->u.ref.name, "d");
    qry_expr *l = e->u.bin.lhs;
    assert_int_equal(l->u.bin.op, QRY_OP_ADD);
    assert_int_equal(l->u.bin.rhs->u.bin.op, QRY_OP_MUL);
    /* a OR b AND c = 1  ==  a OR (b AND (c = 1)) */
    e = select1("SELECT v FROM m WHERE a OR b AND c = 1")->cond;
    assert_int_equal(e->u.bin.op, QRY_OP_OR);
    assert_int_equal(e->u.bin.rhs->u.bin.op, QRY_OP_AND);
    assert_int_equal(e->u.bin.rhs->u.bin.rhs->u.bin.op, QRY_OP_EQ);
    /* v | 2 * 3 and v + 4 & 2: & binds like *, | like + (checked against InfluxDB: 7 and 1) */
    e = select1("SELECT v | 2 * 3, v + 4 & 2 FROM m")->fields[0].expr;
    assert_int_equal(e->u.bin.op, QRY_OP_BITOR);
    assert_int_equal(e->u.bin.rhs->u.bin.op, QRY_OP_MUL);
    e = select1("SELECT v + 4 & 2 FROM m")->fields[0].expr;
    assert_int_equal(e->u.bin.op, QRY_OP_ADD);
    assert_int_equal(e->u.bin.rhs->u.bin.op, QRY_OP_BITAND);
    /* Parentheses are kept as nodes. */
    e = select1("SELECT (a + b) * c FROM m")->fields[0].expr;
    assert_int_equal(e->u.bin.lhs->kind, QRY_EXPR_PAREN);
    assert_int_equal(e->depth, 4);
}

static void literals(void **state)
{
    (void)state;
    qry_select *s = select1("SELECT v FROM m WHERE a = 'it\\'s' AND b = 1.5 AND c = -7 AND "
                            "d = true AND e = 18446744073709551615 AND f = -10s AND g =~ /x\\/y/");
    qry_expr *c = s->cond;
    qry_expr *lits[7];
    for (int i = 6; i >= 0; i--) {
        qry_expr *cmp = i > 0 ? c->u.bin.rhs : c;
        lits[i] = cmp->u.bin.rhs;
        if (i > 0) c = c->u.bin.lhs;
    }
    assert_int_equal(lits[0]->kind, QRY_EXPR_STRING);
    assert_str(lits[0]->u.str, "it's");
    assert_false(lits[0]->has_time);
    assert_int_equal(lits[1]->kind, QRY_EXPR_NUMBER);
    assert_true(lits[1]->u.f64 == 1.5);
    assert_int_equal(lits[2]->kind, QRY_EXPR_INTEGER);
    assert_int_equal(lits[2]->u.i64, -7);
    assert_int_equal(lits[3]->kind, QRY_EXPR_BOOL);
    assert_true(lits[3]->u.b);
    assert_int_equal(lits[4]->kind, QRY_EXPR_UNSIGNED);
    assert_true(lits[4]->u.u64 == UINT64_MAX);
    assert_int_equal(lits[5]->kind, QRY_EXPR_DURATION);
    assert_int_equal(lits[5]->u.dur_ns, -10 * SEC);
    assert_int_equal(lits[6]->kind, QRY_EXPR_REGEX);
    assert_str(lits[6]->u.str, "x/y");
}

static void time_conditions(void **state)
{
    (void)state;
    qry_select *s = select1("SELECT v FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND "
                            "time < '2020-01-01 01:00:00' AND time > now() - 6h");
    qry_expr *c = s->cond;
    qry_expr *a = c->u.bin.lhs->u.bin.lhs, *b = c->u.bin.lhs->u.bin.rhs, *n = c->u.bin.rhs;
    assert_true(qry_expr_is_time_ref(a->u.bin.lhs));
    assert_true(a->u.bin.rhs->has_time);
    assert_false(a->u.bin.rhs->time_local);
    assert_int_equal(a->u.bin.rhs->time_ns, INT64_C(1577836800) * SEC);
    assert_true(b->u.bin.rhs->has_time);
    assert_true(b->u.bin.rhs->time_local);
    assert_int_equal(b->u.bin.rhs->time_ns, INT64_C(1577840400) * SEC);
    qry_expr *now = n->u.bin.rhs->u.bin.lhs;
    assert_int_equal(now->kind, QRY_EXPR_CALL);
    assert_true(now->has_time);
    assert_int_equal(now->time_ns, NOW);
    int64_t t;
    assert_int_equal(qry_expr_time_value(n->u.bin.rhs, &t), STRATA_OK);
    assert_int_equal(t, NOW - 6 * 3600 * SEC);
    assert_int_equal(qry_expr_time_value(a->u.bin.rhs, &t), STRATA_OK);
    assert_int_equal(t, INT64_C(1577836800) * SEC);

    /* Epoch literals with units, as Grafana writes them. */
    s = select1("SELECT v FROM cpu WHERE time >= 1700000000000ms and time <= 1700003600000ms");
    assert_int_equal(qry_expr_time_value(s->cond->u.bin.lhs->u.bin.rhs, &t), STRATA_OK);
    assert_int_equal(t, INT64_C(1700000000000) * 1000000);
    assert_int_equal(qry_expr_time_value(s->cond->u.bin.rhs->u.bin.rhs, &t), STRATA_OK);
    assert_int_equal(t, INT64_C(1700003600000) * 1000000);
    assert_int_equal(s->cond->u.bin.op, QRY_OP_AND);
}

static void sources(void **state)
{
    (void)state;
    qry_select *s =
        select1("SELECT v FROM \"db\".\"rp\".\"m\", db..m2, rp.m3, /^c/, db.rp./re/, db../re2/, "
                "rp./re3/, (SELECT max(v) AS v FROM cpu GROUP BY host)");
    assert_int_equal(s->nsources, 8);
    qry_source *src = s->sources;
    assert_str(src[0].m.db, "db");
    assert_str(src[0].m.rp, "rp");
    assert_str(src[0].m.name, "m");
    assert_str(src[1].m.db, "db");
    assert_int_equal(src[1].m.rp.len, 0);
    assert_str(src[1].m.name, "m2");
    assert_int_equal(src[2].m.db.len, 0);
    assert_str(src[2].m.rp, "rp");
    assert_true(src[3].m.has_regex);
    assert_str(src[3].m.regex, "^c");
    assert_int_equal(src[3].m.name.len, 0);
    assert_str(src[4].m.db, "db");
    assert_str(src[4].m.rp, "rp");
    assert_str(src[4].m.regex, "re");
    assert_str(src[5].m.db, "db");
    assert_int_equal(src[5].m.rp.len, 0);
    assert_str(src[6].m.rp, "rp");
    assert_str(src[6].m.regex, "re3");
    assert_int_equal(src[7].kind, QRY_SRC_SUBQUERY);
    qry_select *sub = src[7].sub;
    assert_int_equal(sub->ndims, 1);
    assert_str(sub->dims[0]->u.ref.name, "host");
    assert_str(sub->fields[0].alias, "v");
}

static void into_targets(void **state)
{
    (void)state;
    qry_select *s = select1("SELECT mean(v) INTO \"db\".\"rp\".:MEASUREMENT FROM /.*/ GROUP BY "
                            "time(1h)");
    assert_non_null(s->target);
    assert_str(s->target->db, "db");
    assert_str(s->target->rp, "rp");
    assert_int_equal(s->target->name.len, 0);
    s = select1("SELECT mean(v) INTO rp.out FROM m");
    assert_str(s->target->rp, "rp");
    assert_str(s->target->name, "out");
    assert_null(select1("SELECT v FROM m")->target);
}

static void group_by_fill_order_limits(void **state)
{
    (void)state;
    qry_select *s = select1("SELECT mean(v) FROM cpu WHERE time > now() - 1h GROUP BY "
                            "time(10m, -30s), host, /^dc/ fill(-1.5) ORDER BY time DESC LIMIT 10 "
                            "OFFSET 2 SLIMIT 3 SOFFSET 4 tz('Europe/Paris')");
    assert_int_equal(s->ndims, 3);
    assert_int_equal(s->dims[0]->kind, QRY_EXPR_CALL);
    assert_int_equal(s->dims[1]->kind, QRY_EXPR_VARREF);
    assert_int_equal(s->dims[2]->kind, QRY_EXPR_REGEX);
    int64_t iv, off;
    const char *why = NULL;
    assert_int_equal(qry_select_group_by_time(s, &iv, &off, &why), STRATA_OK);
    assert_int_equal(iv, 600 * SEC);
    assert_int_equal(off, -30 * SEC);
    assert_int_equal(s->fill, QRY_FILL_NUMBER);
    assert_false(s->fill_is_int);
    assert_true(s->fill_f64 == -1.5);
    assert_int_equal(s->nsort, 1);
    assert_str(s->sort[0].name, "time");
    assert_false(s->sort[0].asc);
    assert_int_equal(s->limit, 10);
    assert_int_equal(s->offset, 2);
    assert_int_equal(s->slimit, 3);
    assert_int_equal(s->soffset, 4);
    assert_str(s->tz, "Europe/Paris");

    s = select1("SELECT mean(v) FROM cpu GROUP BY time(1m, now()) fill(7)");
    assert_int_equal(qry_select_group_by_time(s, &iv, &off, &why), STRATA_OK);
    assert_int_equal(iv, 60 * SEC);
    assert_int_equal(off, NOW);
    assert_true(s->fill_is_int);
    assert_int_equal(s->fill_i64, 7);

    static const struct {
        const char *q;
        qry_fill f;
    } fills[] = {{"fill(null)", QRY_FILL_NULL},
                 {"fill(none)", QRY_FILL_NONE},
                 {"fill(previous)", QRY_FILL_PREVIOUS},
                 {"fill(linear)", QRY_FILL_LINEAR},
                 {"", QRY_FILL_NULL}};
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        char q[128];
        snprintf(q, sizeof q, "SELECT mean(v) FROM m GROUP BY time(1m) %s", fills[i].q);
        assert_int_equal(select1(q)->fill, fills[i].f);
    }
    s = select1("SELECT v FROM m");
    assert_int_equal(qry_select_group_by_time(s, &iv, &off, &why), STRATA_OK);
    assert_int_equal(iv, 0);
    assert_true(s->is_raw);
    assert_int_equal(s->limit, 0);
}

static void wildcards_casts_distinct(void **state)
{
    (void)state;
    qry_select *s = select1("SELECT *, *::tag, count(*), a::integer, DISTINCT b, distinct(c), "
                            "mean(/^x/) FROM m");
    assert_int_equal(s->fields[0].expr->kind, QRY_EXPR_WILDCARD);
    assert_int_equal(s->fields[0].expr->u.wildcard, QRY_VT_UNKNOWN);
    assert_int_equal(s->fields[1].expr->u.wildcard, QRY_VT_TAG);
    assert_int_equal(s->fields[2].expr->u.call.args[0]->kind, QRY_EXPR_WILDCARD);
    assert_int_equal(s->fields[3].expr->u.ref.type, QRY_VT_INTEGER);
    assert_int_equal(s->fields[4].expr->kind, QRY_EXPR_DISTINCT);
    assert_str(s->fields[4].expr->u.str, "b");
    assert_int_equal(s->fields[5].expr->kind, QRY_EXPR_CALL);
    assert_str(s->fields[5].expr->u.call.name, "distinct");
    assert_int_equal(s->fields[6].expr->u.call.args[0]->kind, QRY_EXPR_REGEX);
    s = select1("SELECT /^usage/ FROM m");
    assert_int_equal(s->fields[0].expr->kind, QRY_EXPR_REGEX);
    assert_true(s->is_raw);
    /* Function names are lower-cased, identifiers keep their case. */
    s = select1("SELECT MEAN(Value) FROM Cpu");
    assert_str(s->fields[0].expr->u.call.name, "mean");
    assert_str(s->fields[0].expr->u.call.args[0]->u.ref.name, "Value");
    assert_str(s->sources[0].m.name, "Cpu");
}

static void show_statements(void **state)
{
    (void)state;
    qry_stmt *s = stmt1("SHOW TAG VALUES ON db FROM cpu WITH KEY IN (\"a\", b) WHERE c = 'd' "
                        "LIMIT 5 OFFSET 1");
    assert_int_equal(s->kind, QRY_STMT_SHOW_TAG_VALUES);
    assert_str(s->u.show.db, "db");
    assert_int_equal(s->u.show.nsources, 1);
    assert_int_equal(s->u.show.key_op, QRY_KEY_IN);
    assert_int_equal(s->u.show.nkeys, 2);
    assert_str(s->u.show.keys[0], "a");
    assert_str(s->u.show.keys[1], "b");
    assert_non_null(s->u.show.cond);
    assert_int_equal(s->u.show.limit, 5);
    assert_int_equal(s->u.show.offset, 1);

    s = stmt1("SHOW TAG VALUES WITH KEY =~ /h/");
    assert_int_equal(s->u.show.key_op, QRY_KEY_EQREGEX);
    assert_str(s->u.show.keys[0], "h");

    s = stmt1("SHOW MEASUREMENTS ON telegraf WITH MEASUREMENT =~ /cpu.*/ LIMIT 3");
    assert_int_equal(s->kind, QRY_STMT_SHOW_MEASUREMENTS);
    assert_true(s->u.show.with_measurement->has_regex);
    assert_str(s->u.show.with_measurement->regex, "cpu.*");
    assert_int_equal(s->u.show.limit, 3);

    s = stmt1("SHOW SERIES EXACT CARDINALITY ON db FROM cpu WHERE a = 'b' GROUP BY c");
    assert_int_equal(s->kind, QRY_STMT_SHOW_SERIES_CARDINALITY);
    assert_true(s->u.show.exact);
    assert_int_equal(s->u.show.ndims, 1);

    s = stmt1("SHOW TAG KEYS FROM cpu SLIMIT 2 SOFFSET 1");
    assert_int_equal(s->kind, QRY_STMT_SHOW_TAG_KEYS);
    assert_int_equal(s->u.show.slimit, 2);
    assert_int_equal(s->u.show.soffset, 1);

    s = stmt1("SHOW STATS FOR 'httpd'");
    assert_int_equal(s->kind, QRY_STMT_SHOW_STATS);
    assert_str(s->u.show.module, "httpd");

    static const struct {
        const char *q;
        qry_stmt_kind k;
    } kinds[] = {
        {"SHOW DATABASES", QRY_STMT_SHOW_DATABASES},
        {"SHOW FIELD KEYS", QRY_STMT_SHOW_FIELD_KEYS},
        {"SHOW SERIES", QRY_STMT_SHOW_SERIES},
        {"SHOW RETENTION POLICIES", QRY_STMT_SHOW_RETENTION_POLICIES},
        {"SHOW MEASUREMENT CARDINALITY", QRY_STMT_SHOW_MEASUREMENT_CARDINALITY},
        {"SHOW TAG KEY CARDINALITY", QRY_STMT_SHOW_TAG_KEY_CARDINALITY},
        {"SHOW TAG VALUES CARDINALITY WITH KEY = k", QRY_STMT_SHOW_TAG_VALUES_CARDINALITY},
        {"SHOW FIELD KEY CARDINALITY", QRY_STMT_SHOW_FIELD_KEY_CARDINALITY},
        {"SHOW CONTINUOUS QUERIES", QRY_STMT_SHOW_CONTINUOUS_QUERIES},
        {"SHOW USERS", QRY_STMT_SHOW_USERS},
        {"SHOW GRANTS FOR u", QRY_STMT_SHOW_GRANTS},
        {"SHOW QUERIES", QRY_STMT_SHOW_QUERIES},
        {"SHOW DIAGNOSTICS", QRY_STMT_SHOW_DIAGNOSTICS},
        {"SHOW SHARDS", QRY_STMT_SHOW_SHARDS},
        {"SHOW SHARD GROUPS", QRY_STMT_SHOW_SHARD_GROUPS},
        {"SHOW SUBSCRIPTIONS", QRY_STMT_SHOW_SUBSCRIPTIONS},
        {"show databases", QRY_STMT_SHOW_DATABASES},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        assert_int_equal(stmt1(kinds[i].q)->kind, kinds[i].k);
}

static void ddl_statements(void **state)
{
    (void)state;
    qry_stmt *s = stmt1("CREATE DATABASE \"db\" WITH DURATION 7d REPLICATION 2 SHARD DURATION "
                        "1d NAME week");
    assert_int_equal(s->kind, QRY_STMT_CREATE_DATABASE);
    assert_str(s->u.db.name, "db");
    assert_true(s->u.db.with);
    assert_true(s->u.db.has_duration);
    assert_int_equal(s->u.db.duration_ns, 7 * 86400 * SEC);
    assert_int_equal(s->u.db.replication, 2);
    assert_int_equal(s->u.db.shard_duration_ns, 86400 * SEC);
    assert_str(s->u.db.rp_name, "week");
    s = stmt1("CREATE DATABASE db");
    assert_false(s->u.db.with);

    s = stmt1("CREATE RETENTION POLICY rp ON db DURATION INF REPLICATION 3 SHARD DURATION 2h "
              "DEFAULT");
    assert_int_equal(s->kind, QRY_STMT_CREATE_RETENTION_POLICY);
    assert_int_equal(s->u.rp.duration_ns, 0);
    assert_int_equal(s->u.rp.replication, 3);
    assert_true(s->u.rp.has_shard_duration);
    assert_int_equal(s->u.rp.shard_duration_ns, 7200 * SEC);
    assert_true(s->u.rp.is_default);

    s = stmt1("ALTER RETENTION POLICY default ON db REPLICATION 2");
    assert_int_equal(s->kind, QRY_STMT_ALTER_RETENTION_POLICY);
    assert_str(s->u.rp.name, "default");
    assert_false(s->u.rp.has_duration);
    assert_true(s->u.rp.has_replication);
    assert_false(s->u.rp.is_default);

    s = stmt1("CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 5m FOR 2h BEGIN SELECT mean(v) "
              "INTO out FROM m GROUP BY time(1h) END");
    assert_int_equal(s->kind, QRY_STMT_CREATE_CONTINUOUS_QUERY);
    assert_str(s->u.cq.name, "cq");
    assert_str(s->u.cq.db, "db");
    assert_int_equal(s->u.cq.resample_every_ns, 300 * SEC);
    assert_int_equal(s->u.cq.resample_for_ns, 7200 * SEC);
    assert_str(s->u.cq.select->target->name, "out");

    s = stmt1("DROP SERIES FROM cpu WHERE host = 'a'");
    assert_int_equal(s->kind, QRY_STMT_DROP_SERIES);
    assert_int_equal(s->u.show.nsources, 1);
    assert_non_null(s->u.show.cond);
    s = stmt1("DELETE WHERE time < now() - 30d");
    assert_int_equal(s->kind, QRY_STMT_DELETE);
    assert_int_equal(s->u.show.nsources, 0);

    s = stmt1("DROP SHARD 18446744073709551615");
    assert_true(s->u.id == UINT64_MAX);
    s = stmt1("KILL QUERY 36 ON \"h1\"");
    assert_int_equal(s->u.kill.id, 36);
    assert_str(s->u.kill.host, "h1");
    s = stmt1("EXPLAIN ANALYZE SELECT * FROM m");
    assert_int_equal(s->kind, QRY_STMT_EXPLAIN);
    assert_true(s->u.sel.explain_analyze);

    s = stmt1("CREATE USER bob WITH PASSWORD 'p' WITH ALL PRIVILEGES");
    assert_str(s->u.user.password, "p");
    assert_true(s->u.user.admin);
    s = stmt1("GRANT ALL TO bob");
    assert_true(s->u.user.admin);
    assert_int_equal(s->u.user.priv, QRY_PRIV_ALL);
    s = stmt1("REVOKE WRITE ON db FROM bob");
    assert_int_equal(s->kind, QRY_STMT_REVOKE);
    assert_false(s->u.user.admin);
    assert_str(s->u.user.db, "db");
    s = stmt1("CREATE SUBSCRIPTION s ON db.rp DESTINATIONS ANY 'a', 'b'");
    assert_true(s->u.sub.any);
    assert_int_equal(s->u.sub.ndests, 2);
    assert_str(s->u.sub.dests[1], "b");
}

static void multiple_statements_and_empty(void **state)
{
    (void)state;
    qry_query *q = parse_ok("SELECT a FROM m;;; SHOW DATABASES ; ");
    assert_int_equal(q->nstmts, 2);
    assert_int_equal(q->now_ns, NOW);
    assert_int_equal(q->stmts[1]->kind, QRY_STMT_SHOW_DATABASES);
    assert_int_equal(q->stmts[1]->pos.col, 20);
    assert_int_equal(parse_ok("")->nstmts, 0);
    assert_int_equal(parse_ok(";")->nstmts, 0);
    assert_int_equal(parse_ok("-- nothing here\n/* or here */")->nstmts, 0);
    /* The text need not be NUL-terminated. */
    const char text[] = {'S', 'H', 'O', 'W', ' ', 'U', 'S', 'E', 'R', 'S', 'X'};
    qry_query *out;
    strata_error err;
    assert_int_equal(qry_parse(text, 10, NULL, NOW, &arena, &out, &err), STRATA_OK);
    assert_int_equal(out->stmts[0]->kind, QRY_STMT_SHOW_USERS);
}

static void parse_expression_alone(void **state)
{
    (void)state;
    qry_expr *e;
    strata_error err;
    const char *q = "time > now() - 1h AND host = 'a'";
    assert_int_equal(qry_parse_expr(q, strlen(q), NULL, NOW, &arena, &e, &err), STRATA_OK);
    assert_int_equal(e->u.bin.op, QRY_OP_AND);
    q = "a = 1 b";
    assert_int_equal(qry_parse_expr(q, strlen(q), NULL, NOW, &arena, &e, &err), STRATA_EPARSE);
    assert_string_equal(err.msg, "error parsing query: found b, expected EOF at line 1, char 7");
}

static void bad_arguments(void **state)
{
    (void)state;
    qry_query *q;
    strata_error err;
    assert_int_equal(qry_parse("x", 1, NULL, 0, NULL, &q, &err), STRATA_EINVAL);
    assert_int_equal(qry_parse("x", 1, NULL, 0, &arena, NULL, &err), STRATA_EINVAL);
    assert_int_equal(qry_parse(NULL, 1, NULL, 0, &arena, &q, NULL), STRATA_EINVAL);
    assert_int_equal(qry_parse(NULL, 0, NULL, 0, &arena, &q, NULL), STRATA_OK);
    assert_int_equal(q->nstmts, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statement_forms),
        cmocka_unit_test(format_truncates),
        cmocka_unit_test(select_fields_and_aliases),
        cmocka_unit_test(operator_precedence),
        cmocka_unit_test(literals),
        cmocka_unit_test(time_conditions),
        cmocka_unit_test(sources),
        cmocka_unit_test(into_targets),
        cmocka_unit_test(group_by_fill_order_limits),
        cmocka_unit_test(wildcards_casts_distinct),
        cmocka_unit_test(show_statements),
        cmocka_unit_test(ddl_statements),
        cmocka_unit_test(multiple_statements_and_empty),
        cmocka_unit_test(parse_expression_alone),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
