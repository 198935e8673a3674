/*
 * tests/unit/query/test_params.c: bound parameters ($name) replaced from the
 * caller's qry_params, with InfluxDB 1.6.7's behaviour for each value kind
 * (recorded by sending the same queries with a `params` JSON object).
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

static qry_param P(const char *name, qry_param_kind kind, const char *str)
{
    qry_param p = {name, strlen(name), kind, str, str ? strlen(str) : 0, 0, 0, 0};
    return p;
}

/* Parse q with the single parameter x; returns rc, formats into buf on success. */
static int with_x(qry_param x, const char *q, char *buf, size_t cap, strata_error *err)
{
    qry_params ps = {&x, 1};
    qry_query *out;
    strata_error_clear(err);
    int rc = qry_parse(q, strlen(q), &ps, NOW, &arena, &out, err);
    if (rc == STRATA_OK) qry_query_format(out, QRY_FMT_CANONICAL, buf, cap);
    strata_arena_reset(&arena);
    return rc;
}

static void expect_ok(qry_param x, const char *q, const char *want)
{
    char buf[512];
    strata_error err;
    int rc = with_x(x, q, buf, sizeof buf, &err);
    if (rc != STRATA_OK) printf("%s -> %s\n", q, err.msg);
    assert_int_equal(rc, STRATA_OK);
    assert_string_equal(buf, want);
}

static void expect_err(qry_param x, const char *q, const char *want)
{
    char buf[512];
    strata_error err;
    assert_int_equal(with_x(x, q, buf, sizeof buf, &err), STRATA_EPARSE);
    assert_string_equal(err.msg, want);
}

static void string_param(void **state)
{
    (void)state;
    qry_param x = P("x", QRY_PARAM_STRING, "a'b");
    expect_ok(x, "SELECT v FROM cpu WHERE a = $x", "SELECT v FROM cpu WHERE a = 'a\\'b'");
    x = P("x", QRY_PARAM_STRING, "a");
    expect_err(x, "SELECT v FROM $x",
               "error parsing query: found a, expected identifier at line 1, char 15");
    expect_err(x, "SELECT v FROM cpu WHERE a =~ $x",
               "error parsing query: found a, expected regex at line 1, char 30");
    expect_err(x, "SELECT v FROM cpu LIMIT $x",
               "error parsing query: found a, expected integer at line 1, char 25");
    /* A time literal in a parameter is still a time literal. */
    x = P("t", QRY_PARAM_STRING, "2023-11-14T22:13:20Z");
    qry_params ps = {&x, 1};
    qry_query *out;
    strata_error err;
    const char *q = "SELECT v FROM cpu WHERE time > $t";
    assert_int_equal(qry_parse(q, strlen(q), &ps, NOW, &arena, &out, &err), STRATA_OK);
    qry_expr *lit = out->stmts[0]->u.sel.select->cond->u.bin.rhs;
    assert_true(lit->has_time);
    assert_int_equal(lit->time_ns, NOW);
    strata_arena_reset(&arena);
}

static void identifier_and_regex_params(void **state)
{
    (void)state;
    qry_param x = P("x", QRY_PARAM_IDENT, "cpu load");
    expect_ok(x, "SELECT v FROM $x", "SELECT v FROM \"cpu load\"");
    expect_ok(x, "SELECT $x FROM m WHERE $x = 1",
              "SELECT \"cpu load\" FROM m WHERE \"cpu load\" = 1");
    x = P("x", QRY_PARAM_IDENT, "cpu");
    expect_err(x, "SELECT v FROM cpu WHERE a =~ $x",
               "error parsing query: found cpu, expected regex at line 1, char 30");
    x = P("x", QRY_PARAM_REGEX, "^c/d");
    expect_ok(x, "SELECT v FROM $x", "SELECT v FROM /^c\\/d/");
    expect_ok(x, "SELECT v FROM cpu WHERE a =~ $x", "SELECT v FROM cpu WHERE a =~ /^c\\/d/");
    expect_ok(x, "SELECT v FROM cpu WHERE a = $x", "SELECT v FROM cpu WHERE a = /^c\\/d/");
    expect_ok(x, "SELECT mean($x) FROM m", "SELECT mean(/^c\\/d/) FROM m");
    expect_err(x, "SELECT v FROM cpu LIMIT $x",
               "error parsing query: found ^c/d, expected integer at line 1, char 25");
}

static void number_params(void **state)
{
    (void)state;
    qry_param x = P("x", QRY_PARAM_NUMBER, NULL);
    x.f64 = 1.5;
    expect_ok(x, "SELECT v FROM cpu WHERE a = $x", "SELECT v FROM cpu WHERE a = 1.5");
    expect_err(x, "SELECT v FROM $x",
               "error parsing query: found 1.5, expected identifier at line 1, char 15");
    x.f64 = 3.0;
    expect_ok(x, "SELECT v FROM cpu WHERE a = $x", "SELECT v FROM cpu WHERE a = 3.0");
    expect_err(x, "SELECT v FROM cpu LIMIT $x",
               "error parsing query: found 3, expected integer at line 1, char 25");

    x = P("x", QRY_PARAM_INTEGER, NULL);
    x.i64 = 3;
    expect_ok(x, "SELECT v FROM cpu LIMIT $x", "SELECT v FROM cpu LIMIT 3");
    expect_ok(x, "SELECT v FROM cpu WHERE a = $x", "SELECT v FROM cpu WHERE a = 3");
    x.i64 = -5;
    expect_ok(x, "SELECT v FROM cpu WHERE a = $x", "SELECT v FROM cpu WHERE a = -5");
    expect_err(x, "SELECT v FROM cpu LIMIT $x",
               "error parsing query: LIMIT must be >= 0 at line 1, char 25");
    expect_err(x, "KILL QUERY $x",
               "error parsing query: strconv.ParseUint: parsing \"-5\": "
               "invalid syntax at line 1, char 12");

    x = P("x", QRY_PARAM_BOOL, NULL);
    x.b = 1;
    expect_ok(x, "SELECT v FROM cpu WHERE a = $x", "SELECT v FROM cpu WHERE a = true");
    expect_err(x, "SELECT v FROM $x",
               "error parsing query: found TRUE, expected identifier at line 1, char 15");
}

static void duration_params(void **state)
{
    (void)state;
    qry_param x = P("x", QRY_PARAM_DURATION, "1h");
    expect_ok(x, "SELECT v FROM cpu WHERE time > now() - $x",
              "SELECT v FROM cpu WHERE time > now() - 1h");
    expect_ok(x, "SELECT mean(v) FROM cpu GROUP BY time($x)",
              "SELECT mean(v) FROM cpu GROUP BY time(1h)");
    expect_err(x, "SELECT v FROM $x",
               "error parsing query: found 1h, expected identifier at line 1, char 15");
    x = P("x", QRY_PARAM_DURATION, "-90m");
    expect_ok(x, "SELECT v FROM cpu WHERE time > now() + $x",
              "SELECT v FROM cpu WHERE time > now() + -90m");
    x = P("x", QRY_PARAM_DURATION, "1x");
    expect_err(x, "SELECT v FROM cpu WHERE a = $x", "error parsing query: invalid duration");
}

static void unusable_and_missing(void **state)
{
    (void)state;
    qry_param x = P("x", QRY_PARAM_ERROR, "unable to bind parameter with type []interface {}");
    expect_err(x, "SELECT v FROM cpu WHERE a = $x",
               "error parsing query: missing parameter: unable to bind parameter with type "
               "[]interface {}");
    expect_err(x, "SELECT v FROM $x",
               "error parsing query: found unable to bind parameter with type []interface {}, "
               "expected identifier at line 1, char 15");
    x = P("y", QRY_PARAM_STRING, "a");
    expect_err(x, "SELECT v FROM cpu WHERE a = $x", "error parsing query: missing parameter: x");
    expect_err(x, "SELECT v FROM cpu WHERE a = $", "error parsing query: empty bound parameter");
    expect_ok(x, "SELECT v FROM cpu WHERE a = $\"y\"", "SELECT v FROM cpu WHERE a = 'a'");
}

static void several_params_and_names(void **state)
{
    (void)state;
    qry_param ps[3] = {P("host", QRY_PARAM_STRING, "web1"), P("m", QRY_PARAM_IDENT, "cpu"),
                       P("since", QRY_PARAM_DURATION, "15m")};
    qry_params set = {ps, 3};
    const char *q = "SELECT v FROM $m WHERE host = $host AND time > now() - $since";
    qry_query *out;
    strata_error err;
    assert_int_equal(qry_parse(q, strlen(q), &set, NOW, &arena, &out, &err), STRATA_OK);
    char buf[256];
    qry_query_format(out, QRY_FMT_CANONICAL, buf, sizeof buf);
    assert_string_equal(buf, "SELECT v FROM cpu WHERE host = 'web1' AND time > now() - 15m");
    int64_t t;
    qry_expr *c = out->stmts[0]->u.sel.select->cond;
    assert_int_equal(qry_expr_time_value(c->u.bin.rhs->u.bin.rhs, &t), STRATA_OK);
    assert_int_equal(t, NOW - 900 * SEC);
    /* Names are matched exactly; a parameter name may not be a prefix. */
    q = "SELECT v FROM cpu WHERE host = $hos";
    assert_int_equal(qry_parse(q, strlen(q), &set, NOW, &arena, &out, &err), STRATA_EPARSE);
    assert_string_equal(err.msg, "error parsing query: missing parameter: hos");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(string_param),         cmocka_unit_test(identifier_and_regex_params),
        cmocka_unit_test(number_params),        cmocka_unit_test(duration_params),
        cmocka_unit_test(unusable_and_missing), cmocka_unit_test(several_params_and_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
