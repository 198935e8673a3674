/*
 * tests/unit/query/test_grafana.c: the queries Grafana's InfluxDB data
 * source sends, after its macro expansion.
 *
 * Grafana's query editor builds, for example,
 *   SELECT mean("value") FROM "cpu" WHERE ("host" =~ /^server1$/) AND $timeFilter
 *   GROUP BY time($__interval), "host" fill(null)
 * and replaces $timeFilter with "time >= now() - 6h" for a relative range or
 * "time >= 1700000000000ms and time <= 1700003600000ms" for an absolute one,
 * and $__interval with a duration such as 10s. Template variables use SHOW
 * queries. Each must parse, print back in canonical form, and expose the
 * time range, interval and fill the executor needs.
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
#define MS INT64_C(1000000)

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
    qry_query *out;
    strata_error err;
    int rc = qry_parse(q, strlen(q), NULL, NOW, &arena, &out, &err);
    if (rc != STRATA_OK) printf("%s\n  -> %s\n", q, err.msg);
    assert_int_equal(rc, STRATA_OK);
    return out;
}

/*
 * Collect the bounds of `time <op> <constant>` terms joined by AND, the way
 * an executor reads a WHERE clause. min/max are inclusive.
 */
static void time_bounds(const qry_expr *e, int64_t *min, int64_t *max)
{
    while (e->kind == QRY_EXPR_PAREN)
        e = e->u.paren.expr;
    if (e->kind != QRY_EXPR_BINARY) return;
    if (e->u.bin.op == QRY_OP_AND) {
        time_bounds(e->u.bin.lhs, min, max);
        time_bounds(e->u.bin.rhs, min, max);
        return;
    }
    if (!qry_expr_is_time_ref(e->u.bin.lhs)) return;
    int64_t t;
    assert_int_equal(qry_expr_time_value(e->u.bin.rhs, &t), STRATA_OK);
    switch (e->u.bin.op) {
    case QRY_OP_GT:
        t++; /* fall through */
    case QRY_OP_GTE:
        if (t > *min) *min = t;
        break;
    case QRY_OP_LT:
        t--; /* fall through */
    case QRY_OP_LTE:
        if (t < *max) *max = t;
        break;
    default:
        break;
    }
}

static const struct gq {
    const char *q;
    const char *canonical;
    int64_t min, max, interval;
    qry_fill fill;
} QUERIES[] = {
    {"SELECT mean(\"value\") FROM \"cpu\" WHERE (\"host\" =~ /^server1$/) AND time >= now() - 6h "
     "GROUP BY time(10s), \"host\" fill(null)",
     "SELECT mean(value) FROM cpu WHERE (host =~ /^server1$/) AND time >= now() - 6h GROUP BY "
     "time(10s), host",
     NOW - 6 * 3600 * SEC, INT64_MAX, 10 * SEC, QRY_FILL_NULL},
    {"SELECT mean(\"value\") FROM \"cpu\" WHERE (\"host\" =~ /^server1$/) AND time >= "
     "1700000000000ms and time <= 1700003600000ms GROUP BY time(10s), \"host\" fill(null)",
     "SELECT mean(value) FROM cpu WHERE (host =~ /^server1$/) AND time >= 1700000000s AND time "
     "<= 1700003600s GROUP BY time(10s), host",
     1700000000000 * MS, 1700003600000 * MS, 10 * SEC, QRY_FILL_NULL},
    {"SELECT mean(\"usage_idle\") FROM \"autogen\".\"cpu\" WHERE (\"cpu\" = 'cpu-total') AND "
     "time >= now() - 1h and time <= now() GROUP BY time(2s) fill(none)",
     "SELECT mean(usage_idle) FROM autogen.cpu WHERE (cpu = 'cpu-total') AND time >= now() - 1h "
     "AND time <= now() GROUP BY time(2s) fill(none)",
     NOW - 3600 * SEC, NOW, 2 * SEC, QRY_FILL_NONE},
    {"SELECT non_negative_derivative(mean(\"bytes_recv\"), 1s) * 8 FROM \"net\" WHERE "
     "(\"host\" =~ /^(web1|web2|web3)$/ AND \"interface\" = 'eth0') AND time >= now() - 7d and "
     "time <= now() - 1d GROUP BY time(5m), \"host\" fill(previous)",
     "SELECT non_negative_derivative(mean(bytes_recv), 1s) * 8 FROM net WHERE (host =~ "
     "/^(web1|web2|web3)$/ AND interface = 'eth0') AND time >= now() - 1w AND time <= now() - 1d "
     "GROUP BY time(5m), host fill(previous)",
     NOW - 7 * 86400 * SEC, NOW - 86400 * SEC, 300 * SEC, QRY_FILL_PREVIOUS},
    {"SELECT max(\"value\") AS \"max_value\", min(\"value\") FROM \"telegraf\".\"autogen\"."
     "\"mem\" WHERE time >= 1700000000000ms and time <= 1700086400000ms GROUP BY time(200ms) "
     "fill(0)",
     "SELECT max(value) AS max_value, min(value) FROM telegraf.autogen.mem WHERE time >= "
     "1700000000s AND time <= 1700086400s GROUP BY time(200ms) fill(0)",
     1700000000000 * MS, 1700086400000 * MS, 200 * MS, QRY_FILL_NUMBER},
    {"SELECT \"value\" FROM \"autogen\".\"cpu\" WHERE time >= now() - 5m",
     "SELECT value FROM autogen.cpu WHERE time >= now() - 5m", NOW - 300 * SEC, INT64_MAX, 0,
     QRY_FILL_NULL},
    {"SELECT derivative(mean(\"value\"), 10s) FROM \"disk\" WHERE (\"path\" = '/' AND \"host\" "
     "=~ /^$/) AND time > now() - 30m GROUP BY time(1m) fill(linear)",
     "SELECT derivative(mean(value), 10s) FROM disk WHERE (path = '/' AND host =~ /^$/) AND time "
     "> now() - 30m GROUP BY time(1m) fill(linear)",
     NOW - 1800 * SEC + 1, INT64_MAX, 60 * SEC, QRY_FILL_LINEAR},
    {"SELECT count(\"status\") FROM \"http\" WHERE time >= '2023-11-14T22:13:20Z' and time <= "
     "'2023-11-14T23:13:20Z' GROUP BY time(1m)",
     "SELECT count(status) FROM http WHERE time >= '2023-11-14T22:13:20Z' AND time <= "
     "'2023-11-14T23:13:20Z' GROUP BY time(1m)",
     NOW, NOW + 3600 * SEC, 60 * SEC, QRY_FILL_NULL},
};

static void editor_queries(void **state)
{
    (void)state;
    char buf[1024];
    for (size_t i = 0; i < sizeof QUERIES / sizeof QUERIES[0]; i++) {
        const struct gq *g = &QUERIES[i];
        qry_query *q = parse_ok(g->q);
        assert_int_equal(q->nstmts, 1);
        qry_stmt *s = q->stmts[0];
        assert_int_equal(s->kind, QRY_STMT_SELECT);
        qry_stmt_format(s, buf, sizeof buf);
        if (strcmp(buf, g->canonical)) printf("want %s\ngot  %s\n", g->canonical, buf);
        assert_string_equal(buf, g->canonical);
        int64_t min = INT64_MIN, max = INT64_MAX, iv, off;
        time_bounds(s->u.sel.select->cond, &min, &max);
        assert_int_equal(min, g->min);
        assert_int_equal(max, g->max);
        assert_int_equal(qry_select_group_by_time(s->u.sel.select, &iv, &off, NULL), STRATA_OK);
        assert_int_equal(iv, g->interval);
        assert_int_equal(off, 0);
        assert_int_equal(s->u.sel.select->fill, g->fill);
        strata_arena_reset(&arena);
    }
}

/* Grafana sends all panel queries of a refresh in one request, separated by ';'. */
static void batched_queries(void **state)
{
    (void)state;
    qry_query *q = parse_ok("SELECT mean(\"value\") FROM \"cpu\" WHERE time >= now() - 6h GROUP "
                            "BY time(1m) fill(null);SELECT max(\"value\") FROM \"mem\" WHERE time "
                            ">= now() - 6h GROUP BY time(1m) fill(null)");
    assert_int_equal(q->nstmts, 2);
    assert_int_equal(q->stmts[1]->pos.line, 1);
    assert_int_equal(q->stmts[1]->pos.col, 87);
}

static void template_variable_queries(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        qry_stmt_kind kind;
        const char *canonical;
    } vars[] = {
        {"SHOW DATABASES", QRY_STMT_SHOW_DATABASES, "SHOW DATABASES"},
        {"SHOW MEASUREMENTS WITH MEASUREMENT =~ /cpu/ LIMIT 100", QRY_STMT_SHOW_MEASUREMENTS,
         "SHOW MEASUREMENTS WITH MEASUREMENT =~ /cpu/ LIMIT 100"},
        {"SHOW TAG KEYS FROM \"cpu\"", QRY_STMT_SHOW_TAG_KEYS, "SHOW TAG KEYS FROM cpu"},
        {"SHOW TAG VALUES WITH KEY = \"host\"", QRY_STMT_SHOW_TAG_VALUES,
         "SHOW TAG VALUES WITH KEY = host"},
        {"SHOW TAG VALUES FROM \"cpu\" WITH KEY = \"host\" WHERE \"region\" =~ /^us-west$/",
         QRY_STMT_SHOW_TAG_VALUES,
         "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region =~ /^us-west$/"},
        {"SHOW FIELD KEYS FROM \"autogen\".\"cpu\"", QRY_STMT_SHOW_FIELD_KEYS,
         "SHOW FIELD KEYS FROM autogen.cpu"},
        {"SHOW RETENTION POLICIES on \"telegraf\"", QRY_STMT_SHOW_RETENTION_POLICIES,
         "SHOW RETENTION POLICIES ON telegraf"},
        {"SHOW TAG VALUES WITH KEY IN (\"host\", \"region\") WHERE time > now() - 1h",
         QRY_STMT_SHOW_TAG_VALUES,
         "SHOW TAG VALUES WITH KEY IN (host, region) WHERE time > now() - 1h"},
    };
    char buf[512];
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        qry_query *q = parse_ok(vars[i].q);
        assert_int_equal(q->stmts[0]->kind, vars[i].kind);
        qry_stmt_format(q->stmts[0], buf, sizeof buf);
        assert_string_equal(buf, vars[i].canonical);
        strata_arena_reset(&arena);
    }
}

/* The raw $timeFilter / $__interval forms are bound parameters to InfluxDB. */
static void unexpanded_macros(void **state)
{
    (void)state;
    const char *q = "SELECT mean(\"value\") FROM \"cpu\" WHERE $timeFilter GROUP BY "
                    "time($__interval) fill(null)";
    qry_query *out;
    strata_error err;
    assert_int_equal(qry_parse(q, strlen(q), NULL, NOW, &arena, &out, &err), STRATA_EPARSE);
    assert_string_equal(err.msg, "error parsing query: missing parameter: timeFilter");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(editor_queries),
        cmocka_unit_test(batched_queries),
        cmocka_unit_test(template_variable_queries),
        cmocka_unit_test(unexpanded_macros),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
