/*
 * tests/unit/storage/test_codec.c: the primitives under the chunk codecs
 * (storage/codec_int.h, storage/bits_int.h, storage/decimal_int.h), tested
 * directly: bit-packed blocks under every transform, exact cost accounting,
 * malformed blocks, the bit reader and writer, and the decimal detection
 * that the float codecs rely on. Fixed, printed seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/bits_int.h"
#include "storage/codec_int.h"
#include "storage/decimal_int.h"

#define SEED 0xc0dec5eed5ull

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Pack x under xf, check cost == size, unpack, compare; returns the size. */
static size_t pack_rt(const uint64_t *x, uint32_t n, int xf, int smin, uint64_t seed_prev)
{
    stg__xst seed = {seed_prev, 0};
    size_t cost[STG__X_COUNT];
    void *src = (void *)(uintptr_t)x;
    stg__pack_costs(stg__fill_u64, src, n, seed, 1u << xf, smin, cost);
    size_t cap = stg__pack_bound(n);
    assert_true(cost[xf] <= cap);
    uint8_t *buf = malloc(cap + 1);
    size_t w = stg__pack_write(stg__fill_u64, src, n, seed, xf, smin, buf, cap);
    assert_int_equal(w, cost[xf]);
    /* one byte less than needed is refused */
    if (w > 0)
        assert_int_equal(stg__pack_write(stg__fill_u64, src, n, seed, xf, smin, buf, w - 1),
                         SIZE_MAX);
    uint64_t *out = malloc((size_t)n * 8 + 8);
    uint8_t *exact = malloc(w ? w : 1); /* exact size: over-reads show under ASan */
    memcpy(exact, buf, w);
    const uint8_t *p = exact;
    assert_int_equal(stg__pack_read(&p, exact + w, n, seed, xf, out), STRATA_OK);
    assert_ptr_equal(p, exact + w);
    assert_memory_equal(out, x, (size_t)n * 8);
    /* every truncation is refused */
    for (size_t cut = 0; cut < w && n; cut += 1 + cut / 16) {
        p = exact;
        assert_int_equal(stg__pack_read(&p, exact + cut, n, seed, xf, out), STRATA_ECORRUPT);
    }
    free(buf);
    free(out);
    free(exact);
    return w;
}

static void pack_shapes(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint64_t *x = malloc(N * 8);
    for (int shape = 0; shape < 9; shape++) {
        for (uint32_t i = 0; i < N; i++) {
            switch (shape) {
            case 0:
                x[i] = rnd();
                break;
            case 1:
                x[i] = (i & 1) ? (uint64_t)INT64_MIN : (uint64_t)INT64_MAX;
                break;
            case 2:
                x[i] = (i & 1) ? UINT64_MAX : 0;
                break;
            case 3:
                x[i] = 42;
                break;
            case 4:
                x[i] = (i % 97 == 5) ? rnd() : 0;
                break;
            case 5:
                x[i] = rnd() >> (rnd() % 64);
                break;
            case 6:
                x[i] = (uint64_t)i * 1000003;
                break;
            case 7:
                x[i] = (uint64_t)(-(int64_t)i * 7);
                break;
            default:
                x[i] = (uint64_t)(int64_t)(rnd() % 201) - 100;
                break;
            }
        }
        for (int xf = 0; xf < STG__X_COUNT; xf++) {
            for (int smin = 0; smin <= 1; smin++) {
                pack_rt(x, N, xf, smin, 0);
                pack_rt(x, N, xf, smin, rnd());
            }
        }
    }
    /* every length around block boundaries */
    for (uint32_t n = 0; n <= 2 * STG__BLK + 3; n++) {
        for (uint32_t i = 0; i < n; i++)
            x[i] = rnd() >> (rnd() % 64);
        for (int xf = 0; xf < STG__X_COUNT; xf++)
            pack_rt(x, n, xf, xf & 1, 7);
    }
    free(x);
}

static void pack_exceptions_pay(void **state)
{
    (void)state;
    /* zeros with one 34-bit outlier per block: a few bytes, not 34 bits each */
    uint64_t x[STG__BLK];
    memset(x, 0, sizeof x);
    x[77] = 20000000000ull;
    size_t w = pack_rt(x, STG__BLK, STG__X_FOR, 0, 0);
    assert_true(w <= 10);
    /* constant block: two bytes */
    for (uint32_t i = 0; i < STG__BLK; i++)
        x[i] = 5;
    assert_int_equal(pack_rt(x, STG__BLK, STG__X_FOR, 0, 0), 2);
    /* 7-bit values, width 7: 112 bytes + header */
    for (uint32_t i = 0; i < STG__BLK; i++)
        x[i] = rnd() & 127;
    x[0] = 127;
    x[1] = 0;
    assert_int_equal(pack_rt(x, STG__BLK, STG__X_FOR, 0, 0), 2 + 112);
}

/* Hand-made malformed blocks. */
static void pack_malformed(void **state)
{
    (void)state;
    uint64_t out[STG__BLK];
    stg__xst seed = {0, 0};
    const uint8_t *p;
    /* width 65 */
    uint8_t b1[] = {65, 0};
    p = b1;
    assert_int_equal(stg__pack_read(&p, b1 + sizeof b1, 1, seed, 0, out), STRATA_ECORRUPT);
    /* exceptions with width 64 */
    uint8_t b2[20] = {0x80 | 64, 0, 1, 0, 1};
    p = b2;
    assert_int_equal(stg__pack_read(&p, b2 + sizeof b2, 1, seed, 0, out), STRATA_ECORRUPT);
    /* zero exceptions announced */
    uint8_t b3[] = {0x80 | 1, 0, 0, 0};
    p = b3;
    assert_int_equal(stg__pack_read(&p, b3 + sizeof b3, 2, seed, 0, out), STRATA_ECORRUPT);
    /* more exceptions than values */
    uint8_t b4[] = {0x80, 0, 3, 0, 1, 1, 1, 0, 1};
    p = b4;
    assert_int_equal(stg__pack_read(&p, b4 + sizeof b4, 2, seed, 0, out), STRATA_ECORRUPT);
    /* exception position past the block */
    uint8_t b5[] = {0x80, 0, 1, 2, 1};
    p = b5;
    assert_int_equal(stg__pack_read(&p, b5 + sizeof b5, 2, seed, 0, out), STRATA_ECORRUPT);
    /* over-long base varint */
    uint8_t b6[] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    p = b6;
    assert_int_equal(stg__pack_read(&p, b6 + sizeof b6, 1, seed, 0, out), STRATA_ECORRUPT);
    /* valid: width 0 with one exception */
    uint8_t b7[] = {0x80, 2, 1, 1, 5};
    p = b7;
    assert_int_equal(stg__pack_read(&p, b7 + sizeof b7, 2, seed, 0, out), STRATA_OK);
    assert_true(out[0] == 1 && out[1] == 6);
}

static void bits_roundtrip(void **state)
{
    (void)state;
    enum { N = 5000 };
    static uint64_t vals[N];
    static unsigned widths[N];
    static uint8_t buf[N * 9 + 16];
    stg__bitw w;
    stg__bitw_init(&w, buf, buf + sizeof buf);
    for (int i = 0; i < N; i++) {
        widths[i] = (unsigned)(rnd() % 65);
        vals[i] = rnd() & stg__mask(widths[i]);
        stg__bitw_put(&w, vals[i], widths[i]);
    }
    size_t used = stg__bitw_finish(&w, buf);
    assert_false(w.overflow);
    uint8_t *exact = malloc(used);
    memcpy(exact, buf, used);
    stg__bitr r;
    stg__bitr_init(&r, exact, exact + used);
    for (int i = 0; i < N; i++)
        assert_true(stg__bitr_get64(&r, widths[i]) == vals[i]);
    assert_false(r.bad);
    assert_int_equal(stg__bitr_used(&r, exact), used);
    /* reading past the end sets bad and yields zeros */
    assert_true(stg__bitr_get64(&r, 64) == 0);
    assert_true(r.bad);
    free(exact);
    /* overflow is detected, not written */
    uint8_t small[4];
    stg__bitw_init(&w, small, small + sizeof small);
    stg__bitw_put(&w, 1, 64);
    stg__bitw_finish(&w, small);
    assert_true(w.overflow);
}

static void decimal_detection(void **state)
{
    (void)state;
    int64_t m;
    assert_true(stg__dec_fits(stg__as_bits(23.45), 2, &m) && m == 2345);
    assert_false(stg__dec_fits(stg__as_bits(23.45), 1, NULL));
    assert_true(stg__dec_fits(stg__as_bits(23.45), 5, &m) && m == 2345000);
    assert_true(stg__dec_fits(stg__as_bits(-0.001), 3, &m) && m == -1);
    assert_true(stg__dec_fits(stg__as_bits(0.0), 0, &m) && m == 0);
    assert_false(stg__dec_fits(0x8000000000000000ull, 0, NULL)); /* -0.0 */
    assert_false(stg__dec_fits(0x7ff8000000000000ull, 0, NULL)); /* NaN */
    assert_false(stg__dec_fits(0x7ff0000000000000ull, 0, NULL)); /* +Inf */
    assert_false(stg__dec_fits(1, STG__DEC_EMAX, NULL));         /* denormal */
    assert_false(stg__dec_fits(stg__as_bits(1.0 / 3.0), STG__DEC_EMAX, NULL));
    assert_false(stg__dec_fits(stg__as_bits(18014398509481984.0), 0, NULL)); /* 2^54 */
    assert_true(stg__dec_fits(stg__as_bits(9007199254740992.0), 0, NULL));   /* 2^53 */

    /* What line protocol parsing produces for "-123.45" is exactly m / 100:
     * every two-decimal value in a wide range is detected at e = 2. */
    char txt[64];
    for (int64_t k = -200000; k <= 200000; k += 1 + (k > 5000 || k < -5000) * 13) {
        snprintf(txt, sizeof txt, "%s%" PRId64 ".%02" PRId64, k < 0 ? "-" : "",
                 (k < 0 ? -k : k) / 100, (k < 0 ? -k : k) % 100);
        double d = strtod(txt, NULL);
        if (k == 0) continue;
        assert_true(stg__dec_fits(stg__as_bits(d), 2, &m));
        assert_true(m == k);
        assert_true(stg__dec_value(m, 2) == stg__as_bits(d));
    }
    /* and with up to 6 decimals, random */
    for (int i = 0; i < 100000; i++) {
        unsigned e = (unsigned)(rnd() % 7);
        int64_t k = (int64_t)(rnd() % 2000000000) - 1000000000;
        snprintf(txt, sizeof txt, "%" PRId64 "e-%u", k, e);
        double d = strtod(txt, NULL);
        if (k == 0) continue;
        assert_true(stg__dec_fits(stg__as_bits(d), e, &m));
        assert_true(m == k);
    }
}

/* Every section decoder on garbage, with exact-size outputs (ASan checks). */
static void section_decoders_garbage(void **state)
{
    (void)state;
    size_t ok = 0;
    for (int it = 0; it < 200000; it++) {
        uint32_t n = 1 + (uint32_t)(rnd() % (it & 1 ? 300 : 5));
        size_t len = rnd() % 48;
        uint8_t *p = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) /* small bytes reach deeper */
            p[i] = (uint8_t)(rnd() % 4 ? rnd() % 8 : rnd());
        int64_t *ts = malloc((size_t)n * 8);
        uint64_t *v = malloc((size_t)n * 8);
        uint32_t str_bytes = (uint32_t)(rnd() % 32);
        uint8_t *sb = malloc(str_bytes ? str_bytes : 1);
        unsigned codec = 1 + (unsigned)(rnd() % 17);
        int rc;
        switch (rnd() % 6) {
        case 0:
            rc = stg__ts_decode(codec, p, len, -5, (int64_t)(rnd() % 1000), n, ts);
            break;
        case 1:
            rc = stg__f64_decode(codec, p, len, n, v);
            break;
        case 2:
            rc = stg__i64_decode(1, codec, p, len, rnd(), n, v);
            break;
        case 3:
            rc = stg__i64_decode(0, codec, p, len, rnd(), n, v);
            break;
        case 4:
            rc = stg__bool_decode(codec, p, len, (uint32_t)(rnd() % (n + 1)), n, v);
            break;
        default:
            rc = stg__str_decode(codec, p, len, n, str_bytes, v, sb);
            break;
        }
        assert_true(rc == STRATA_OK || rc == STRATA_ECORRUPT);
        ok += rc == STRATA_OK;
        free(p);
        free(ts);
        free(v);
        free(sb);
    }
    print_message("section garbage: %zu of 200000 decoded\n", ok);
}

int main(void)
{
    rng = SEED;
    print_message("test_codec seed 0x%llx\n", (unsigned long long)SEED);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pack_shapes),       cmocka_unit_test(pack_exceptions_pay),
        cmocka_unit_test(pack_malformed),    cmocka_unit_test(bits_roundtrip),
        cmocka_unit_test(decimal_detection), cmocka_unit_test(section_decoders_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
