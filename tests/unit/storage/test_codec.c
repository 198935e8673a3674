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

/* Rice-code x from seed, check cost == size, decode, compare; returns the size. */
static size_t rice_rt(const uint64_t *x, uint32_t n, uint64_t seed)
{
    void *src = (void *)(uintptr_t)x;
    size_t cost = stg__rice_cost(stg__fill_u64, src, n, seed);
    size_t cap = stg__rice_bound(n);
    assert_true(cost <= cap);
    uint8_t *buf = malloc(cap + 1);
    size_t w = stg__rice_write(stg__fill_u64, src, n, seed, buf, cap);
    assert_int_equal(w, cost);
    if (w > 0) assert_int_equal(stg__rice_write(stg__fill_u64, src, n, seed, buf, w - 1), SIZE_MAX);
    uint64_t *out = malloc((size_t)n * 8 + 8);
    uint8_t *exact = malloc(w ? w : 1); /* exact size: over-reads show under ASan */
    memcpy(exact, buf, w);
    const uint8_t *p = exact;
    assert_int_equal(stg__rice_read(&p, exact + w, n, seed, out), STRATA_OK);
    assert_ptr_equal(p, exact + w);
    assert_memory_equal(out, x, (size_t)n * 8);
    for (size_t cut = 0; cut < w && n; cut += 1 + cut / 16) {
        p = exact;
        assert_int_equal(stg__rice_read(&p, exact + cut, n, seed, out), STRATA_ECORRUPT);
    }
    free(buf);
    free(out);
    free(exact);
    return w;
}

/* Standard normal from the test's PRNG (Box-Muller without trig: polar form). */
static double gauss(void)
{
    for (;;) {
        double a = (double)(rnd() >> 11) / 4503599627370496.0 - 1.0;
        double b = (double)(rnd() >> 11) / 4503599627370496.0 - 1.0;
        double r = a * a + b * b;
        if (r > 0 && r < 1) {
            /* ln via the identity used by the generators: keep libm out */
            double l = 0, y = r;
            while (y < 0.5) {
                y *= 2;
                l -= 0.6931471805599453;
            }
            double t = (y - 1) / (y + 1), t2 = t * t, s = 0, pw = t;
            for (int k = 1; k < 40; k += 2) {
                s += pw / k;
                pw *= t2;
            }
            l += 2 * s;
            double f = -2 * l / r, q = f, g = 1; /* sqrt by Newton */
            for (int k = 0; k < 60; k++)
                g = 0.5 * (g + q / g);
            return a * g;
        }
    }
}

static void rice_shapes(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint64_t *x = malloc(N * 8);
    for (int shape = 0; shape < 9; shape++) {
        int64_t m = 5000;
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
            case 4: /* walk with a reset every 97 values */
                m = (i % 97 == 5) ? (int64_t)(rnd() >> 1) : m + (int64_t)(rnd() % 7) - 3;
                x[i] = (uint64_t)m;
                break;
            case 5:
                x[i] = rnd() >> (rnd() % 64);
                break;
            case 6:
                x[i] = (uint64_t)i * 1000003;
                break;
            case 7: /* Gaussian walk, sd 50 */
                m += (int64_t)(gauss() * 50);
                x[i] = (uint64_t)m;
                break;
            default: /* uniform steps of +-100 */
                m += (int64_t)(rnd() % 201) - 100;
                x[i] = (uint64_t)m;
                break;
            }
        }
        size_t sz = rice_rt(x, N, 0);
        rice_rt(x, N, rnd());
        if (shape == 7) {
            /* entropy of N(0, 50) steps: log2(50 * sqrt(2 pi e)) = 7.69 bits */
            print_message("rice: Gaussian walk sd 50: %.2f bits/value\n", 8.0 * (double)sz / N);
            assert_true(8.0 * (double)sz / N < 8.2);
        }
        if (shape == 3) assert_true(sz <= 8 + N / 8 + 8 * 2); /* k = 0: one bit a value */
    }
    for (uint32_t n = 0; n <= 2 * STG__BLK + 3; n++) {
        for (uint32_t i = 0; i < n; i++)
            x[i] = rnd() >> (rnd() % 64);
        rice_rt(x, n, 7);
    }
    free(x);
}

static void rice_malformed(void **state)
{
    (void)state;
    uint64_t out[300];
    const uint8_t *p;
    /* k = 57 is refused */
    uint8_t k57[2] = {57, 0};
    p = k57;
    assert_int_equal(stg__rice_read(&p, k57 + 2, 1, 0, out), STRATA_ECORRUPT);
    /* nonzero padding is refused: k = 0, value 0 ("0"), then a stray 1 bit */
    uint8_t pad[1] = {0x80};
    p = pad;
    assert_int_equal(stg__rice_read(&p, pad + 1, 1, 0, out), STRATA_ECORRUPT);
    pad[0] = 0;
    p = pad;
    assert_int_equal(stg__rice_read(&p, pad + 1, 1, 0, out), STRATA_OK);
    assert_true(out[0] == 0);
    /* an escape holding a value that fits the unary part is refused:
     * k = 0, 32 ones, L - 1 = 0, value bit 1 (u = 1 < 32) */
    uint8_t esc[6] = {0};
    uint64_t bits = 0; /* k (6 bits) = 0 */
    bits |= 0xffffffffull << 6;
    bits |= 0ull << 38; /* L - 1 = 0 */
    bits |= 1ull << 44; /* u = 1 */
    for (int i = 0; i < 6; i++)
        esc[i] = (uint8_t)(bits >> (8 * i));
    p = esc;
    assert_int_equal(stg__rice_read(&p, esc + 6, 1, 0, out), STRATA_ECORRUPT);
    /* garbage: never a crash, never an out-of-bounds read (ASan) */
    size_t ok = 0;
    for (int it = 0; it < 100000; it++) {
        uint32_t n = 1 + (uint32_t)(rnd() % 300);
        size_t len = rnd() % 64;
        uint8_t *g = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            g[i] = (uint8_t)(rnd() % 3 ? rnd() % 4 : rnd());
        p = g;
        int rc = stg__rice_read(&p, g + len, n, rnd(), out);
        assert_true(rc == STRATA_OK || rc == STRATA_ECORRUPT);
        if (rc == STRATA_OK) assert_true(p <= g + len);
        ok += rc == STRATA_OK;
        free(g);
    }
    print_message("rice garbage: %zu of 100000 decoded\n", ok);
}

/* The float section under every shape that may pick DEC_RICE, adversarial values included. */
static void f64_dec_rice_roundtrip(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint64_t *v = malloc(N * 8), *out = malloc(N * 8);
    size_t cap = stg__f64_bound(N);
    uint8_t *buf = malloc(cap);
    int rice_seen = 0;
    static const uint64_t odd[] = {
        0x7ff8000000000001ull, /* NaN with payload */
        0xfff0000000000000ull, /* -Inf */
        0x7ff0000000000000ull, /* +Inf */
        0x8000000000000000ull, /* -0.0 */
        0x7fefffffffffffffull, /* DBL_MAX */
        0x0000000000000001ull, /* smallest denormal */
    };
    for (int shape = 0; shape < 6; shape++) {
        double x = 20 + shape;
        for (uint32_t i = 0; i < N; i++) {
            x += gauss() * (shape < 3 ? 0.05 : 3.0);
            double r = (double)(int64_t)(x * 100 + (x >= 0 ? 0.5 : -0.5)) / 100;
            if (shape == 5) r = (double)(int64_t)(x * 10000 + 0.5) / 10000; /* 4 decimals */
            memcpy(&v[i], &r, 8);
            /* shapes 1 and 4: a few adversarial values among the decimals */
            if ((shape == 1 || shape == 4) && i % 101 == 7) v[i] = odd[(i / 101) % 6];
            if (shape == 2 && i == 0) v[i] = odd[(size_t)shape];
        }
        size_t used = 0;
        uint8_t codec = 0;
        assert_int_equal(stg__f64_encode(v, N, buf, cap, &used, &codec), STRATA_OK);
        rice_seen += codec == 18; /* STG_CODEC_F_DEC_RICE */
        uint8_t *exact = malloc(used);
        memcpy(exact, buf, used);
        assert_int_equal(stg__f64_decode(codec, exact, used, N, out), STRATA_OK);
        assert_memory_equal(out, v, (size_t)N * 8);
        for (size_t cut = 0; cut < used; cut += 1 + cut / 8)
            assert_int_not_equal(stg__f64_decode(codec, exact, cut, N, out), STRATA_OK);
        free(exact);
    }
    print_message("f64: %d of 6 Gaussian decimal walks chose f-dec-rice\n", rice_seen);
    assert_true(rice_seen >= 4);
    free(v);
    free(out);
    free(buf);
}

/* Integer sections: a Gaussian walk picks int-rice; extremes still round-trip. */
static void i64_rice_roundtrip(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint64_t *v = malloc(N * 8), *out = malloc(N * 8);
    size_t cap = stg__i64_bound(N);
    uint8_t *buf = malloc(cap);
    for (int shape = 0; shape < 4; shape++) {
        int64_t m = 50;
        for (uint32_t i = 0; i < N; i++) {
            m += (int64_t)(gauss() * (shape == 1 ? 1000.0 : 1.0));
            v[i] = (uint64_t)m;
            if (shape == 2 && i % 100 == 3) v[i] = (uint64_t)(i & 1 ? INT64_MIN : INT64_MAX);
            if (shape == 3) v[i] = (uint64_t)m + (1ull << 63); /* uint near the top */
        }
        uint64_t mn = v[0], mx = v[0];
        for (uint32_t i = 0; i < N; i++) {
            if (shape == 3 ? v[i] < mn : (int64_t)v[i] < (int64_t)mn) mn = v[i];
            if (shape == 3 ? v[i] > mx : (int64_t)v[i] > (int64_t)mx) mx = v[i];
        }
        size_t used = 0;
        uint8_t codec = 0;
        int sig = shape != 3;
        assert_int_equal(stg__i64_encode(sig, v, N, mn, mx, buf, cap, &used, &codec), STRATA_OK);
        if (shape == 0 || shape == 3) assert_int_equal(codec, 19); /* STG_CODEC_INT_RICE */
        uint8_t *exact = malloc(used ? used : 1);
        memcpy(exact, buf, used);
        assert_int_equal(stg__i64_decode(sig, codec, exact, used, mn, N, out), STRATA_OK);
        assert_memory_equal(out, v, (size_t)N * 8);
        for (size_t cut = 0; cut < used; cut += 1 + cut / 8)
            assert_int_not_equal(stg__i64_decode(sig, codec, exact, cut, mn, N, out), STRATA_OK);
        if (shape == 0)
            print_message("int walk sd 1: %s, %.2f bits/value\n", codec == 19 ? "int-rice" : "?",
                          8.0 * (double)used / N);
        free(exact);
    }
    free(v);
    free(out);
    free(buf);
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
        unsigned codec = 1 + (unsigned)(rnd() % 19);
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
        cmocka_unit_test(pack_shapes),
        cmocka_unit_test(pack_exceptions_pay),
        cmocka_unit_test(pack_malformed),
        cmocka_unit_test(bits_roundtrip),
        cmocka_unit_test(decimal_detection),
        cmocka_unit_test(section_decoders_garbage),
        cmocka_unit_test(rice_shapes),
        cmocka_unit_test(rice_malformed),
        cmocka_unit_test(f64_dec_rice_roundtrip),
        cmocka_unit_test(i64_rice_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
