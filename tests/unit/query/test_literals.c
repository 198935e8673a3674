/*
 * tests/unit/query/test_literals.c: duration literals, time literals,
 * constant time folding and the exact printing of floats.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "query/duration.h"
#include "query/parser.h"
#include "query/parser_int.h"
#include "query/time_lit.h"

#define NS_S INT64_C(1000000000)

static int64_t dur(const char *s, int want_rc, const char *want_msg)
{
    int64_t v = -1;
    strata_error err;
    strata_error_clear(&err);
    int rc = qry_duration_parse(s, strlen(s), &v, &err);
    if (rc != want_rc) printf("duration \"%s\": rc %d, want %d (%s)\n", s, rc, want_rc, err.msg);
    assert_int_equal(rc, want_rc);
    if (want_msg) assert_string_equal(err.msg, want_msg);
    return v;
}

static void duration_parse(void **state)
{
    (void)state;
    assert_int_equal(dur("1ns", STRATA_OK, NULL), 1);
    assert_int_equal(dur("1u", STRATA_OK, NULL), 1000);
    assert_int_equal(dur("1\xc2\xb5", STRATA_OK, NULL), 1000);
    assert_int_equal(dur("1ms", STRATA_OK, NULL), 1000000);
    assert_int_equal(dur("1s", STRATA_OK, NULL), NS_S);
    assert_int_equal(dur("1m", STRATA_OK, NULL), 60 * NS_S);
    assert_int_equal(dur("1h", STRATA_OK, NULL), 3600 * NS_S);
    assert_int_equal(dur("1d", STRATA_OK, NULL), 86400 * NS_S);
    assert_int_equal(dur("1w", STRATA_OK, NULL), 7 * 86400 * NS_S);
    assert_int_equal(dur("1h30m", STRATA_OK, NULL), 5400 * NS_S);
    assert_int_equal(dur("1w1d1h1m1s1ms1u1ns", STRATA_OK, NULL),
                     ((((8 * 24 + 1) * 60 + 1) * 60 + 1) * NS_S) + 1001001);
    assert_int_equal(dur("-90m", STRATA_OK, NULL), -5400 * NS_S);
    assert_int_equal(dur("007s", STRATA_OK, NULL), 7 * NS_S);
    assert_int_equal(dur("2562047h", STRATA_OK, NULL), INT64_C(2562047) * 3600 * NS_S);
    assert_int_equal(dur("9223372036854775807ns", STRATA_OK, NULL), INT64_MAX);

    static const char *const bad[] = {"",   "1",   "s",    "1x",    "1us", "1ms5",
                                      "1n", "1h1", "5msx", "1\xc2", "-",   "99999999999999999999s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        dur(bad[i], STRATA_EINVAL, "invalid duration");
    dur("2562048h", STRATA_ERANGE,
        "overflowed duration 2562048h: choose a smaller duration or INF");
    dur("9223372036854775807ns1ns", STRATA_ERANGE,
        "overflowed duration 1ns: choose a smaller duration or INF");
}

static void duration_format(void **state)
{
    (void)state;
    static const struct {
        int64_t ns;
        const char *s;
    } cases[] = {{0, "0s"},
                 {1, "1ns"},
                 {1000, "1u"},
                 {1500, "1500ns"},
                 {2000000, "2ms"},
                 {1500000000, "1500ms"},
                 {90 * NS_S, "90s"},
                 {5400 * NS_S, "90m"},
                 {86400 * NS_S, "1d"},
                 {14 * 86400 * NS_S, "2w"},
                 {-3600 * NS_S, "-1h"},
                 {INT64_MAX, "9223372036854775807ns"},
                 {-INT64_MAX, "-9223372036854775807ns"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[QRY_DURATION_FMT_MAX];
        size_t n = qry_duration_format(cases[i].ns, buf);
        assert_string_equal(buf, cases[i].s);
        assert_int_equal(n, strlen(cases[i].s));
        int64_t back;
        assert_int_equal(qry_duration_parse(buf, n, &back, NULL), STRATA_OK);
        assert_int_equal(back, cases[i].ns);
    }
}

static void time_literals(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        int64_t ns;
        bool local;
    } cases[] = {
        {"1970-01-01T00:00:00Z", STRATA_OK, 0, false},
        {"2023-11-14T22:13:20Z", STRATA_OK, INT64_C(1700000000) * NS_S, false},
        {"2023-11-14T22:13:20.123456789Z", STRATA_OK, INT64_C(1700000000123456789), false},
        {"2023-11-14T22:13:20.1234567891234Z", STRATA_OK, INT64_C(1700000000123456789), false},
        {"2023-11-14T22:13:20.5Z", STRATA_OK, INT64_C(1700000000500000000), false},
        {"2023-11-14T23:13:20+01:00", STRATA_OK, INT64_C(1700000000) * NS_S, false},
        {"2023-11-14T20:43:20-01:30", STRATA_OK, INT64_C(1700000000) * NS_S, false},
        {"2023-11-14T2:13:20Z", STRATA_OK, INT64_C(1699928000) * NS_S, false},
        {"2023-11-14 22:13:20", STRATA_OK, INT64_C(1700000000) * NS_S, true},
        {"2023-11-14 22:13:20.25", STRATA_OK, INT64_C(1700000000250000000), true},
        {"2023-11-14", STRATA_OK, INT64_C(1699920000) * NS_S, true},
        {"2024-02-29", STRATA_OK, INT64_C(1709164800) * NS_S, true},
        {"1969-12-31T23:59:59Z", STRATA_OK, -NS_S, false},
        {"1677-09-21T00:12:44Z", STRATA_OK, INT64_C(-9223372036) * NS_S, false},
        {"2262-04-11T23:47:16Z", STRATA_OK, INT64_C(9223372036) * NS_S, false},
        {"2023-02-29", STRATA_EINVAL, 0, false},
        {"2023-13-01", STRATA_EINVAL, 0, false},
        {"2023-11-14T24:00:00Z", STRATA_EINVAL, 0, false},
        {"2023-11-14T22:60:00Z", STRATA_EINVAL, 0, false},
        {"2023-11-14T22:13:20", STRATA_EINVAL, 0, false},
        {"2023-11-14 22:13:20Z", STRATA_EINVAL, 0, false},
        {"2023-11-14T22:13:20+0100", STRATA_EINVAL, 0, false},
        {"2023-11-14T22:13Z", STRATA_EINVAL, 0, false},
        {"2023-1-14", STRATA_EINVAL, 0, false},
        {"20231114", STRATA_EINVAL, 0, false},
        {"yesterday", STRATA_EINVAL, 0, false},
        {"2023-11-14\nx", STRATA_EINVAL, 0, false},
        {"2500-01-01T00:00:00Z", STRATA_ERANGE, 0, false},
        {"1600-01-01", STRATA_ERANGE, 0, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ns = 0;
        bool local = !cases[i].local;
        int rc = qry_time_parse(cases[i].s, strlen(cases[i].s), &ns, &local);
        if (rc != cases[i].rc) printf("time \"%s\": rc %d want %d\n", cases[i].s, rc, cases[i].rc);
        assert_int_equal(rc, cases[i].rc);
        if (rc == STRATA_OK) {
            assert_int_equal(ns, cases[i].ns);
            assert_int_equal(local, cases[i].local);
        }
    }
    assert_true(qry_time_looks_like("2023-11-14 garbage", 18));
    assert_false(qry_time_looks_like("2023-11-14\ngarbage", 18));
    assert_false(qry_time_looks_like("host-1", 6));
}

static int64_t fold(const char *expr, int want_rc)
{
    strata_arena a;
    strata_arena_init(&a, 0);
    qry_expr *e;
    strata_error err;
    assert_int_equal(
        qry_parse_expr(expr, strlen(expr), NULL, INT64_C(1700000000) * NS_S, &a, &e, &err),
        STRATA_OK);
    int64_t t = 0;
    int rc = qry_expr_time_value(e, &t);
    if (rc != want_rc) printf("fold \"%s\": rc %d want %d\n", expr, rc, want_rc);
    assert_int_equal(rc, want_rc);
    strata_arena_fini(&a);
    return t;
}

static void time_folding(void **state)
{
    (void)state;
    const int64_t now = INT64_C(1700000000) * NS_S;
    assert_int_equal(fold("now()", STRATA_OK), now);
    assert_int_equal(fold("now() - 6h", STRATA_OK), now - 6 * 3600 * NS_S);
    assert_int_equal(fold("now() + 10s - 5s", STRATA_OK), now + 5 * NS_S);
    assert_int_equal(fold("(now() - 1h)", STRATA_OK), now - 3600 * NS_S);
    assert_int_equal(fold("1h + now()", STRATA_OK), now + 3600 * NS_S);
    assert_int_equal(fold("'2023-11-14T22:13:20Z' + 1h", STRATA_OK), now + 3600 * NS_S);
    assert_int_equal(fold("1500000000s", STRATA_OK), INT64_C(1500000000) * NS_S);
    assert_int_equal(fold("1700000000000ms", STRATA_OK), now);
    assert_int_equal(fold("1700000000000000000", STRATA_OK), now);
    assert_int_equal(fold("1.5", STRATA_OK), 1);
    assert_int_equal(fold("now() - 1000", STRATA_OK), now - 1000);
    fold("'not a time'", STRATA_EINVAL);
    fold("host", STRATA_EINVAL);
    fold("mean(v)", STRATA_EINVAL);
    fold("now() * 2", STRATA_EINVAL);
    fold("-now()", STRATA_EINVAL);
    fold("now() - now()", STRATA_EINVAL);
    fold("18446744073709551615", STRATA_ERANGE);
    fold("'2262-04-11T23:47:16Z' + 1w", STRATA_ERANGE);
}

static void float_text(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *go, *canon;
    } cases[] = {{0.0, "0", "0.0"},
                 {-0.0, "-0", "-0.0"},
                 {1.0, "1", "1.0"},
                 {1.5, "1.5", "1.5"},
                 {-2.25, "-2.25", "-2.25"},
                 {0.1, "0.1", "0.1"},
                 {100.0, "100", "100.0"},
                 {1e21, "1000000000000000000000", "1000000000000000000000.0"},
                 {1e-7, "0.0000001", "0.0000001"},
                 {0.30000000000000004, "0.30000000000000004", "0.30000000000000004"},
                 {123456789.123456789, "123456789.12345679", "123456789.12345679"}};
    char buf[400];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qry__f64_text(cases[i].v, true, buf, sizeof buf);
        assert_string_equal(buf, cases[i].go);
        qry__f64_text(cases[i].v, false, buf, sizeof buf);
        assert_string_equal(buf, cases[i].canon);
    }
    /* Every printed value reads back exactly (seeded sweep over bit patterns). */
    uint64_t s = 12345;
    printf("float sweep seed %llu\n", (unsigned long long)s);
    for (int i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v;
        uint64_t bits = s;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v)) continue;
        qry__f64_text(v, false, buf, sizeof buf);
        assert_non_null(strchr(buf, '.'));
        assert_null(strchr(buf, 'e'));
        double back = strtod(buf, NULL);
        assert_memory_equal(&back, &v, sizeof v);
    }
    qry__f64_text(DBL_MAX, false, buf, sizeof buf);
    assert_int_equal(strlen(buf), 311);
    qry__f64_text(4.9406564584124654e-324, false, buf, sizeof buf);
    assert_int_equal(strtod(buf, NULL), 4.9406564584124654e-324);
    qry__f64_text(NAN, true, buf, sizeof buf);
    assert_string_equal(buf, "NaN");
    qry__f64_text(-INFINITY, true, buf, sizeof buf);
    assert_string_equal(buf, "-Inf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duration_parse), cmocka_unit_test(duration_format),
        cmocka_unit_test(time_literals),  cmocka_unit_test(time_folding),
        cmocka_unit_test(float_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
