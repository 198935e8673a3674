/*
 * tests/unit/lineproto/test_num.c: number conversion of the line-protocol
 * parser. Floats must be bit-identical to strtod (correct rounding) on both
 * the fast and the slow path; the grammar must match Go's strconv.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lineproto/lp_int.h"

static uint64_t seed = 0x1234567887654321ULL;

static uint64_t rnd(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 2685821657736338717ULL;
}

static void check_float(const char *s)
{
    double got = 0;
    int rc = lp__parse_f64(s, strlen(s), &got);
    double want = strtod(s, NULL);
    if (isinf(want)) {
        assert_int_equal(rc, LP__NUM_RANGE);
        return;
    }
    if (rc != LP__NUM_OK) fail_msg("'%s' rejected", s);
    if (memcmp(&got, &want, sizeof got) != 0) fail_msg("'%s': got %a want %a", s, got, want);
}

static void floats_match_strtod(void **state)
{
    (void)state;
    printf("seed %llx\n", (unsigned long long)seed);
    static const char *fixed[] = {
        "0",
        "-0",
        "1",
        "1.",
        ".5",
        "-.5",
        "0.1",
        "0.3",
        "1e22",
        "1e23",
        "9007199254740993",
        "9007199254740992",
        "123456789012345678",
        "1234567890123456789",
        "12345678901234567890",
        "1.7976931348623157e308",
        "4.9e-324",
        "2.4703282292062327e-324",
        "1e-400",
        "1e400",
        "2.2250738585072011e-308",
        "0.000001",
        "1.5E-3",
        "1e+3",
        "00012",
        "-00.5",
        "3.141592653589793238462643383279",
        "0.1000000000000000055511151231257827",
        "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_float(fixed[i]);
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, 8);
        if (!isfinite(d)) continue;
        switch (i % 5) {
        case 0:
            snprintf(buf, sizeof buf, "%.17g", d);
            break;
        case 1:
            snprintf(buf, sizeof buf, "%.15g", d);
            break;
        case 2:
            snprintf(buf, sizeof buf, "%.*f", (int)(rnd() % 8),
                     (double)(rnd() % 100000000) / 1000.0);
            break;
        case 3:
            snprintf(buf, sizeof buf, "%llu.%llu", (unsigned long long)(rnd() % 100000000000ULL),
                     (unsigned long long)(rnd() % 10000000000ULL));
            break;
        default:
            snprintf(buf, sizeof buf, "%.3e", d);
            break;
        }
        check_float(buf);
    }
}

/* Mantissas of up to 19 digits over the whole exponent range: exercises the
 * Eisel-Lemire path, its give-up cases (halfway, subnormal, overflow) and
 * the direct decimal entry point. */
static void long_mantissas_match_strtod(void **state)
{
    (void)state;
    char buf[64];
    for (int i = 0; i < 300000; i++) {
        int digits = 1 + (int)(rnd() % 19);
        uint64_t m = rnd();
        uint64_t lim = 1;
        for (int k = 0; k < digits; k++)
            lim *= 10;
        m %= lim;
        int e = (int)(rnd() % 700) - 360;
        snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)m, e);
        check_float(buf);
        double want = strtod(buf, NULL), got;
        if (m && !isinf(want) && lp__f64_from_decimal(m, e, &got))
            assert_memory_equal(&got, &want, sizeof got);
    }
    /* Halfway between two doubles: 2^53 + 1 and friends. */
    check_float("9007199254740993");
    check_float("9007199254740995");
    check_float("18014398509481987");
    check_float("1.00000000000000011102230246251565404236316680908203125");
    check_float("1.000000000000000111022302462515654042363166809082031251");
}

static void float_grammar_is_go(void **state)
{
    (void)state;
    static const char *bad[] = {"",    "-",    ".",   "-.",    "1e",    "1e+",
                                "e5",  ".e5",  "-e5", "1e5e5", "1e5.5", "1.2.3",
                                "1-2", "0x10", "inf", "nan",   "1_0",   "1e 5"};
    double d;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (lp__parse_f64(bad[i], strlen(bad[i]), &d) != LP__NUM_SYNTAX)
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(lp__parse_f64("1e309", 5, &d), LP__NUM_RANGE);
    assert_int_equal(lp__parse_f64("-1e309", 6, &d), LP__NUM_RANGE);
    assert_int_equal(lp__parse_f64("1e-5000", 7, &d), LP__NUM_OK);
    assert_true(d == 0);
    assert_int_equal(lp__parse_f64("-0", 2, &d), LP__NUM_OK);
    assert_true(signbit(d));
}

static void integers_check_range(void **state)
{
    (void)state;
    int64_t i;
    uint64_t u;
    assert_int_equal(lp__parse_i64("9223372036854775807", 19, &i), LP__NUM_OK);
    assert_true(i == INT64_MAX);
    assert_int_equal(lp__parse_i64("-9223372036854775808", 20, &i), LP__NUM_OK);
    assert_true(i == INT64_MIN);
    assert_int_equal(lp__parse_i64("9223372036854775808", 19, &i), LP__NUM_RANGE);
    assert_int_equal(lp__parse_i64("-9223372036854775809", 20, &i), LP__NUM_RANGE);
    assert_int_equal(lp__parse_i64("99999999999999999999999", 23, &i), LP__NUM_RANGE);
    assert_int_equal(lp__parse_i64("-", 1, &i), LP__NUM_SYNTAX);
    assert_int_equal(lp__parse_i64("", 0, &i), LP__NUM_SYNTAX);
    assert_int_equal(lp__parse_i64("1a", 2, &i), LP__NUM_SYNTAX);
    assert_int_equal(lp__parse_i64("-0", 2, &i), LP__NUM_OK);
    assert_true(i == 0);
    assert_int_equal(lp__parse_u64("18446744073709551615", 20, &u), LP__NUM_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(lp__parse_u64("18446744073709551616", 20, &u), LP__NUM_RANGE);
    assert_int_equal(lp__parse_u64("-1", 2, &u), LP__NUM_SYNTAX);
    assert_int_equal(lp__parse_u64("000000000000000000000000001", 27, &u), LP__NUM_OK);
    assert_true(u == 1);
    char buf[32];
    for (int k = 0; k < 100000; k++) {
        int64_t v = (int64_t)rnd();
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        assert_int_equal(lp__parse_i64(buf, strlen(buf), &i), LP__NUM_OK);
        assert_true(i == v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floats_match_strtod),
        cmocka_unit_test(long_mantissas_match_strtod),
        cmocka_unit_test(float_grammar_is_go),
        cmocka_unit_test(integers_check_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
