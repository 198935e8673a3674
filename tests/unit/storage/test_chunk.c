/*
 * tests/unit/storage/test_chunk.c: chunk round trips for every type and
 * codec on realistic and adversarial data, statistics, argument checks.
 * Corruption and hostile-input tests are in test_chunk_corrupt.c.
 *
 * Random data comes from a fixed, printed seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/chunk.h"

#define SEED 0x5eed2026c0dec001ull

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* Uniform integer in [lo, hi]. */
static int64_t range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

typedef struct col {
    stg_type type;
    uint32_t n;
    int64_t *ts;
    uint64_t *v;
    uint8_t *sb; /* string bytes */
    size_t sblen;
} col;

static col col_new(stg_type type, uint32_t n)
{
    col c = {type, n, calloc(n, 8), calloc(n, 8), NULL, 0};
    assert_non_null(c.ts);
    assert_non_null(c.v);
    return c;
}

static void col_free(col *c)
{
    free(c->ts);
    free(c->v);
    free(c->sb);
}

static void ts_regular(col *c, int64_t start, int64_t step)
{
    for (uint32_t i = 0; i < c->n; i++)
        c->ts[i] = start + (int64_t)i * step;
}

/* Independent statistics, to check the header. */
static void expect_stats(const col *c, uint64_t *mn, uint64_t *mx, uint64_t *sum)
{
    *mn = *mx = *sum = 0;
    if (c->type == STG_FLOAT) {
        double lo = 0, hi = 0, s = 0;
        int any = 0;
        for (uint32_t i = 0; i < c->n; i++) {
            double d;
            memcpy(&d, &c->v[i], 8);
            if (d != d) continue;
            s += d;
            if (!any) {
                lo = hi = d;
                any = 1;
            } else {
                lo = d < lo ? d : lo;
                hi = d > hi ? d : hi;
            }
        }
        if (!any) {
            *mn = *mx = 0x7ff8000000000000ull;
        } else {
            *mn = stg_val_from_f64(lo);
            *mx = stg_val_from_f64(hi);
        }
        *sum = stg_val_from_f64(s);
    } else if (c->type == STG_INT) {
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (uint32_t i = 0; i < c->n; i++) {
            int64_t x = (int64_t)c->v[i];
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            *sum += c->v[i];
        }
        *mn = (uint64_t)lo;
        *mx = (uint64_t)hi;
    } else if (c->type == STG_UINT) {
        uint64_t lo = UINT64_MAX, hi = 0;
        for (uint32_t i = 0; i < c->n; i++) {
            lo = c->v[i] < lo ? c->v[i] : lo;
            hi = c->v[i] > hi ? c->v[i] : hi;
            *sum += c->v[i];
        }
        *mn = lo;
        *mx = hi;
    } else if (c->type == STG_BOOL) {
        for (uint32_t i = 0; i < c->n; i++)
            *sum += c->v[i];
        *mn = *sum == c->n;
        *mx = *sum > 0;
    }
}

/*
 * Encode, check the info, decode, compare. expect_ts / expect_val: codec id
 * the chooser must pick, or 0 for any. Returns the blob size.
 */
static size_t roundtrip(const col *c, unsigned expect_ts, unsigned expect_val)
{
    size_t str_total = 0;
    if (c->type == STG_STRING)
        for (uint32_t i = 0; i < c->n; i++)
            str_total += stg_val_str_len(c->v[i]);
    size_t cap = stg_chunk_bound(c->type, c->n, str_total);
    uint8_t *blob = malloc(cap);
    assert_non_null(blob);
    size_t used = 0;
    strata_error err;
    int rc = stg_chunk_encode(c->type, c->ts, c->v, c->sb, c->n, blob, cap, &used, &err);
    if (rc != STRATA_OK) print_error("encode: %s\n", err.msg);
    assert_int_equal(rc, STRATA_OK);
    assert_true(used <= cap);

    stg_chunk_info in;
    rc = stg_chunk_info_read(blob, used, &in, &err);
    if (rc != STRATA_OK) print_error("info: %s\n", err.msg);
    assert_int_equal(rc, STRATA_OK);
    assert_int_equal(in.type, c->type);
    assert_int_equal(in.count, c->n);
    assert_true(in.t_first == c->ts[0]);
    assert_true(in.t_last == c->ts[c->n - 1]);
    assert_int_equal(in.blob_bytes, used);
    assert_int_equal(in.str_bytes, str_total);
    if (expect_ts && in.ts_codec != expect_ts)
        fail_msg("ts codec %s, expected %s", stg_codec_name(in.ts_codec),
                 stg_codec_name(expect_ts));
    if (expect_val && in.val_codec != expect_val)
        fail_msg("value codec %s (%zu bytes for %u points), expected %s",
                 stg_codec_name(in.val_codec), used, c->n, stg_codec_name(expect_val));
    uint64_t mn, mx, sum;
    expect_stats(c, &mn, &mx, &sum);
    if (c->type != STG_STRING) {
        assert_true(in.min == mn);
        assert_true(in.max == mx);
        assert_true(in.sum == sum);
    } else {
        assert_true(in.min == 0 && in.max == 0 && in.sum == 0);
    }
    stg_chunk_info peek;
    assert_int_equal(stg_chunk_info_peek(blob, used, &peek, &err), STRATA_OK);
    assert_memory_equal(&peek, &in, sizeof in);

    int64_t *ts = malloc((size_t)in.count * 8);
    uint64_t *v = malloc((size_t)in.count * 8);
    uint8_t *sb = malloc(in.str_bytes + 1);
    uint32_t n = 0;
    rc = stg_chunk_decode(blob, used, ts, v, sb, in.str_bytes, &n, &err);
    if (rc != STRATA_OK) print_error("decode: %s\n", err.msg);
    assert_int_equal(rc, STRATA_OK);
    assert_int_equal(n, c->n);
    assert_memory_equal(ts, c->ts, (size_t)n * 8);
    if (c->type == STG_STRING) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = stg_val_str_len(v[i]), off = stg_val_str_off(v[i]);
            assert_int_equal(len, stg_val_str_len(c->v[i]));
            assert_true((size_t)off + len <= in.str_bytes);
            if (len) assert_memory_equal(sb + off, c->sb + stg_val_str_off(c->v[i]), len);
        }
    } else {
        assert_memory_equal(v, c->v, (size_t)n * 8);
    }
    free(ts);
    free(v);
    free(sb);
    free(blob);
    return used;
}

/* ---- timestamps ------------------------------------------------------- */

static void ts_codecs(void **state)
{
    (void)state;
    col c = col_new(STG_INT, 1000);
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = 7;

    ts_regular(&c, 1700000000000000000, 10000000000);
    size_t sz = roundtrip(&c, STG_CODEC_TS_REGULAR, STG_CODEC_CONST);
    assert_true(sz < 40);

    /* regular with a few gaps: delta-of-delta */
    for (uint32_t i = 0; i < c.n; i++)
        c.ts[i] = 1700000000000000000 + (int64_t)(i + (i > 300) + 3 * (i > 700)) * 10000000000;
    roundtrip(&c, STG_CODEC_TS_DOD, 0);

    /* jitter of up to 1 ms around a 10 s interval: deltas */
    int64_t t = -5000000000000;
    for (uint32_t i = 0; i < c.n; i++) {
        t += 10000000000 + range(-1000000, 1000000);
        c.ts[i] = t;
    }
    sz = roundtrip(&c, STG_CODEC_TS_DELTA, 0);
    assert_true(sz < 1000 * 3); /* 21-bit jitter */
    col_free(&c);
}

static void ts_extremes(void **state)
{
    (void)state;
    col c = col_new(STG_FLOAT, 3);
    /* the whole int64 range in two steps, each delta above INT64_MAX */
    c.ts[0] = INT64_MIN;
    c.ts[1] = 0;
    c.ts[2] = INT64_MAX;
    c.n = 3;
    roundtrip(&c, 0, 0);
    c.ts[1] = -1; /* not regular: span 2^64 - 1 */
    roundtrip(&c, 0, 0);
    c.n = 2;
    c.ts[0] = INT64_MIN;
    c.ts[1] = INT64_MAX;
    roundtrip(&c, STG_CODEC_TS_REGULAR, 0);
    c.ts[0] = INT64_MAX - 1;
    c.ts[1] = INT64_MAX;
    roundtrip(&c, STG_CODEC_TS_REGULAR, 0);
    c.n = 1;
    c.ts[0] = INT64_MIN;
    roundtrip(&c, STG_CODEC_TS_REGULAR, STG_CODEC_CONST);
    c.ts[0] = INT64_MAX;
    roundtrip(&c, STG_CODEC_TS_REGULAR, 0);
    col_free(&c);

    /* random increasing timestamps with huge and tiny deltas, negative too */
    c = col_new(STG_UINT, 5000);
    int64_t t = INT64_MIN + 1;
    for (uint32_t i = 0; i < c.n; i++) {
        uint64_t room = (uint64_t)INT64_MAX - (uint64_t)t;
        uint64_t left = c.n - i;
        uint64_t step = 1 + rnd() % ((rnd() & 1) ? 3 : (room / left / 2 + 1));
        t = (int64_t)((uint64_t)t + step);
        c.ts[i] = t;
        c.v[i] = rnd();
    }
    roundtrip(&c, 0, 0);
    col_free(&c);
}

/* ---- floats ----------------------------------------------------------- */

static void float_decimal_walk(void **state)
{
    (void)state;
    col c = col_new(STG_FLOAT, 1000);
    ts_regular(&c, 1700000000000000000, 10000000000);
    int64_t m = 5000; /* 50.00 */
    for (uint32_t i = 0; i < c.n; i++) {
        m += range(-100, 100);
        c.v[i] = stg_val_from_f64((double)m / 100);
    }
    size_t sz = roundtrip(&c, STG_CODEC_TS_REGULAR, STG_CODEC_F_DECIMAL);
    double bpv = (double)sz / c.n;
    print_message("two-decimal walk: %zu bytes for %u points, %.3f bytes/value\n", sz, c.n, bpv);
    assert_true(bpv < 1.3);

    /* negative values, one decimal, a constant stretch */
    m = -3;
    for (uint32_t i = 0; i < c.n; i++) {
        if (i < 400 || i > 600) m += range(-20, 20);
        c.v[i] = stg_val_from_f64((double)m / 10);
    }
    roundtrip(&c, 0, STG_CODEC_F_DEC_RICE); /* uniform +-20 steps, 200 repeats */

    /* integers stored as floats, bounded noise: FOR wins over deltas */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = stg_val_from_f64((double)range(0, 100));
    sz = roundtrip(&c, 0, STG_CODEC_F_DECIMAL);
    assert_true(sz < c.n);

    /* mantissas beyond 2^51 (16 digits): the decoder's exact slow path */
    m = 2500000000000000; /* one decimal: the value's ulp is still below 0.1 */
    for (uint32_t i = 0; i < c.n; i++) {
        m += range(-100, 100);
        c.v[i] = stg_val_from_f64((double)m / 10);
    }
    roundtrip(&c, 0, STG_CODEC_F_DECIMAL);
    m = -2251799813685000; /* around -2^51 */
    for (uint32_t i = 0; i < c.n; i++) {
        m += range(-100, 100);
        c.v[i] = stg_val_from_f64((double)m / 1000);
    }
    roundtrip(&c, 0, STG_CODEC_F_DECIMAL);

    /* a few computed values with 16 digits among two-decimal readings stay
     * exceptions instead of lengthening every mantissa */
    m = 2000;
    for (uint32_t i = 0; i < c.n; i++) {
        m += range(-100, 100);
        c.v[i] = stg_val_from_f64((double)m / 100);
    }
    c.v[0] = stg_val_from_f64(100.0 / 3.0);
    c.v[1] = stg_val_from_f64(200.0 / 3.0);
    c.v[500] = stg_val_from_f64(1.0 / 7.0);
    sz = roundtrip(&c, 0, STG_CODEC_F_DECIMAL);
    assert_true(sz < c.n * 13 / 10);

    /* six decimals everywhere (coordinates): the exponent follows */
    m = 52520008;
    for (uint32_t i = 0; i < c.n; i++) {
        m += range(-1000, 1000);
        c.v[i] = stg_val_from_f64((double)m / 1000000);
    }
    sz = roundtrip(&c, 0, STG_CODEC_F_DECIMAL);
    assert_true(sz < c.n * 2);
    /* half one decimal, half four: four it is */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = stg_val_from_f64((i & 1) ? (double)range(0, 99999) / 10000
                                          : (double)range(0, 999) / 10);
    sz = roundtrip(&c, 0, STG_CODEC_F_DECIMAL);
    assert_true(sz < c.n * 3);

    /* decimals with exceptions: -0.0, NaN payloads, infinities, denormals */
    m = 100;
    for (uint32_t i = 0; i < c.n; i++) {
        m += range(-50, 50);
        c.v[i] = stg_val_from_f64((double)m / 1000);
    }
    c.v[10] = 0x8000000000000000ull; /* -0.0 */
    c.v[20] = 0x7ff0000000000001ull; /* signalling NaN payload */
    c.v[30] = 0xfff8000000000abcull; /* negative quiet NaN payload */
    c.v[40] = stg_val_from_f64(INFINITY);
    c.v[41] = stg_val_from_f64(-INFINITY);
    c.v[50] = 1; /* smallest denormal */
    c.v[999] = stg_val_from_f64(1.0 / 3.0);
    roundtrip(&c, 0, STG_CODEC_F_DECIMAL);
    col_free(&c);
}

static void float_other_codecs(void **state)
{
    (void)state;
    col c = col_new(STG_FLOAT, 1000);
    ts_regular(&c, 0, 1);

    /* full-precision random walk (TSBS-like): Gorilla */
    double x = 50;
    for (uint32_t i = 0; i < c.n; i++) {
        x += unit() - 0.5;
        c.v[i] = stg_val_from_f64(x);
    }
    size_t sz = roundtrip(&c, 0, STG_CODEC_INT_DELTA); /* bit patterns, delta */
    print_message("full-precision walk: %.3f bytes/value\n", (double)sz / c.n);
    assert_true(sz < c.n * 7);

    /* the same with specials sprinkled in */
    c.v[3] = 0x7ff8000000000abcull;
    c.v[500] = 0x8000000000000000ull;
    c.v[501] = stg_val_from_f64(INFINITY);
    c.v[999] = 1;
    roundtrip(&c, 0, 0);

    /* one mantissa in many binades: the XOR touches only exponent bits */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = stg_val_from_f64(ldexp(1.0 / 3.0, (int)range(-8, 8)));
    sz = roundtrip(&c, 0, STG_CODEC_F_GORILLA);
    assert_true(sz < c.n * 2);

    /* random bit patterns: raw */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = rnd();
    roundtrip(&c, 0, STG_CODEC_F_RAW);

    /* constant, including a constant NaN payload and -0.0 */
    uint64_t consts[] = {stg_val_from_f64(21.5), 0x7ff4000000000001ull, 0x8000000000000000ull,
                         stg_val_from_f64(-INFINITY)};
    for (size_t k = 0; k < sizeof consts / sizeof consts[0]; k++) {
        for (uint32_t i = 0; i < c.n; i++)
            c.v[i] = consts[k];
        sz = roundtrip(&c, STG_CODEC_TS_REGULAR, STG_CODEC_CONST);
        assert_true(sz < 60);
    }

    /* special values everywhere: still exact */
    uint64_t specials[] = {0,
                           0x8000000000000000ull,
                           1,
                           0x800fffffffffffffull,
                           0x7ff0000000000000ull,
                           0xfff0000000000000ull,
                           0x7ff8000000000000ull,
                           0x7ff0000000000001ull,
                           0xffffffffffffffffull,
                           stg_val_from_f64(1e308),
                           stg_val_from_f64(-1e-308),
                           stg_val_from_f64(0.1),
                           stg_val_from_f64(9007199254740993.0)};
    size_t ns = sizeof specials / sizeof specials[0];
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = specials[rnd() % ns];
    roundtrip(&c, 0, 0);

    /* all NaN: statistics are the canonical NaN, sum 0 */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = 0x7ff8000000000000ull | (rnd() & 0xffff);
    roundtrip(&c, 0, 0);
    col_free(&c);
}

static void float_stats_ignore_nan(void **state)
{
    (void)state;
    col c = col_new(STG_FLOAT, 4);
    ts_regular(&c, 0, 1);
    c.v[0] = 0x7ff8000000000001ull;
    c.v[1] = stg_val_from_f64(2.5);
    c.v[2] = stg_val_from_f64(-1.25);
    c.v[3] = 0x7ff8000000000000ull;
    size_t cap = stg_chunk_bound(STG_FLOAT, 4, 0), used;
    uint8_t *blob = malloc(cap);
    assert_int_equal(stg_chunk_encode(STG_FLOAT, c.ts, c.v, NULL, 4, blob, cap, &used, NULL),
                     STRATA_OK);
    stg_chunk_info in;
    assert_int_equal(stg_chunk_info_read(blob, used, &in, NULL), STRATA_OK);
    assert_true(stg_val_to_f64(in.min) == -1.25);
    assert_true(stg_val_to_f64(in.max) == 2.5);
    assert_true(stg_val_to_f64(in.sum) == 1.25);
    free(blob);
    col_free(&c);
}

/* ---- integers --------------------------------------------------------- */

static void int_codecs(void **state)
{
    (void)state;
    col c = col_new(STG_INT, 2000);
    ts_regular(&c, 1700000000000000000, 10000000000);

    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = (uint64_t)-42;
    roundtrip(&c, 0, STG_CODEC_CONST);

    /* bounded noise around a large offset: FOR */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = (uint64_t)(int64_t)(-1000000 + range(0, 1000));
    roundtrip(&c, 0, STG_CODEC_INT_FOR);

    /* random walk with steps of both signs: zigzag deltas (Rice-coded) */
    int64_t x = 0;
    for (uint32_t i = 0; i < c.n; i++) {
        x += range(-300, 300);
        c.v[i] = (uint64_t)x;
    }
    roundtrip(&c, 0, STG_CODEC_INT_RICE); /* Rice edges out packed deltas here */

    /* monotonic counter: deltas against the block minimum */
    x = 123456789012;
    for (uint32_t i = 0; i < c.n; i++) {
        x += range(1000, 1100);
        c.v[i] = (uint64_t)x;
    }
    size_t sz = roundtrip(&c, 0, STG_CODEC_INT_DFOR);
    print_message("counter: %.3f bytes/value\n", (double)sz / c.n);

    /* steadily accelerating counter: delta-of-delta */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = (uint64_t)((int64_t)i * i * 3 + 17);
    roundtrip(&c, 0, STG_CODEC_INT_DOD);

    /* magnitudes spread over the whole range: varints */
    for (uint32_t i = 0; i < c.n; i++) {
        unsigned bits = (unsigned)(rnd() % 63);
        c.v[i] = (uint64_t)((int64_t)(rnd() >> (63 - bits)) * ((rnd() & 1) ? 1 : -1));
    }
    roundtrip(&c, 0, STG_CODEC_INT_VARINT);

    /* extremes */
    for (uint32_t i = 0; i < c.n; i++) {
        uint64_t pick = rnd() % 4;
        c.v[i] = pick == 0   ? (uint64_t)INT64_MIN
                 : pick == 1 ? (uint64_t)INT64_MAX
                 : pick == 2 ? 0
                             : rnd();
    }
    roundtrip(&c, 0, 0);
    c.type = STG_UINT;
    roundtrip(&c, 0, 0);
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = (i & 1) ? UINT64_MAX : 0;
    roundtrip(&c, 0, 0);
    c.type = STG_INT;
    roundtrip(&c, 0, 0);
    /* a counter with a reset */
    x = 0;
    for (uint32_t i = 0; i < c.n; i++) {
        x = i == 1000 ? 0 : x + range(0, 50);
        c.v[i] = (uint64_t)x;
    }
    c.type = STG_UINT;
    roundtrip(&c, 0, 0);
    col_free(&c);

    /* one point of each */
    c = col_new(STG_INT, 1);
    c.ts[0] = -1;
    c.v[0] = (uint64_t)INT64_MIN;
    roundtrip(&c, STG_CODEC_TS_REGULAR, STG_CODEC_CONST);
    c.type = STG_UINT;
    c.v[0] = UINT64_MAX;
    roundtrip(&c, STG_CODEC_TS_REGULAR, STG_CODEC_CONST);
    col_free(&c);
}

/* ---- bools ------------------------------------------------------------ */

static void bool_codecs(void **state)
{
    (void)state;
    col c = col_new(STG_BOOL, 1000);
    ts_regular(&c, 0, 1000);
    roundtrip(&c, 0, STG_CODEC_CONST); /* all false */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = 1;
    roundtrip(&c, 0, STG_CODEC_CONST);
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = rnd() & 1;
    roundtrip(&c, 0, STG_CODEC_BOOL_BITS);
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = (i / 97) & 1;
    size_t sz = roundtrip(&c, 0, STG_CODEC_BOOL_RLE);
    assert_true(sz < 60);
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = i & 1; /* alternating: runs of one, packed at width 0 */
    roundtrip(&c, 0, STG_CODEC_BOOL_RLE);
    for (uint32_t n = 1; n <= 17; n++) {
        c.n = n;
        for (uint32_t i = 0; i < n; i++)
            c.v[i] = rnd() & 1;
        roundtrip(&c, 0, 0);
    }
    col_free(&c);
}

/* ---- strings ---------------------------------------------------------- */

/* Append a string to c->sb and set slot i. */
static void put_str(col *c, uint32_t i, const void *s, size_t len)
{
    c->sb = realloc(c->sb, c->sblen + len + 1);
    assert_non_null(c->sb);
    memcpy(c->sb + c->sblen, s, len);
    c->v[i] = stg_val_str((uint32_t)c->sblen, (uint32_t)len);
    c->sblen += len;
}

static void string_codecs(void **state)
{
    (void)state;
    static const char *status[] = {"ok", "degraded", "down", "", "maintenance"};
    col c = col_new(STG_STRING, 3000);
    ts_regular(&c, 1700000000000000000, 10000000000);

    /* status strings in runs, including empty: dictionary */
    for (uint32_t i = 0; i < c.n; i++) {
        const char *s = status[(i / 50) % 5];
        put_str(&c, i, s, strlen(s));
    }
    size_t sz = roundtrip(&c, 0, STG_CODEC_STR_DICT);
    print_message("status strings: %.3f bytes/value\n", (double)sz / c.n);
    assert_true(sz < c.n / 4);

    /* the same status strings sharing bytes: slots overlap in the input */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = c.v[i % 300];
    roundtrip(&c, 0, STG_CODEC_STR_DICT);

    /* repetitive log lines with distinct ids (> 256 distinct): LZ4 */
    free(c.sb);
    c.sb = NULL;
    c.sblen = 0;
    for (uint32_t i = 0; i < c.n; i++) {
        char line[128];
        int len = snprintf(line, sizeof line,
                           "{\"request\":%u,\"status\":\"%s\",\"path\":\"/api/v1/write\"}", i * 7,
                           status[i % 3]);
        put_str(&c, i, line, (size_t)len);
    }
    roundtrip(&c, 0, STG_CODEC_STR_LZ4);

    /* the same, non-contiguous: slots in reverse order of the bytes */
    for (uint32_t i = 0; i < c.n / 2; i++) {
        uint64_t t = c.v[i];
        c.v[i] = c.v[c.n - 1 - i];
        c.v[c.n - 1 - i] = t;
    }
    roundtrip(&c, 0, STG_CODEC_STR_LZ4);

    /* random bytes, random lengths 0..40: plain */
    free(c.sb);
    c.sb = NULL;
    c.sblen = 0;
    for (uint32_t i = 0; i < c.n; i++) {
        uint8_t b[40];
        size_t len = rnd() % 41;
        for (size_t k = 0; k < len; k++)
            b[k] = (uint8_t)rnd();
        put_str(&c, i, b, len);
    }
    roundtrip(&c, 0, STG_CODEC_STR_PLAIN);

    /* all empty: zero string bytes */
    for (uint32_t i = 0; i < c.n; i++)
        c.v[i] = stg_val_str(0, 0);
    assert_true(roundtrip(&c, 0, STG_CODEC_STR_PLAIN) < 100);

    /* one point, empty and not */
    c.n = 1;
    roundtrip(&c, STG_CODEC_TS_REGULAR, 0);
    put_str(&c, 0, "x", 1);
    roundtrip(&c, STG_CODEC_TS_REGULAR, 0);

    /* a long string of 65535 bytes among short ones */
    c.n = 10;
    uint8_t *big = malloc(STG_STRING_MAX);
    for (size_t k = 0; k < STG_STRING_MAX; k++)
        big[k] = (uint8_t)(k * 31 + (k >> 9));
    for (uint32_t i = 0; i < c.n; i++)
        put_str(&c, i, i == 4 ? big : (const uint8_t *)"abc", i == 4 ? STG_STRING_MAX : 3);
    roundtrip(&c, 0, 0);
    free(big);
    col_free(&c);
}

/* ---- sizes ------------------------------------------------------------ */

static void maximal_chunks(void **state)
{
    (void)state;
    static const stg_type types[] = {STG_FLOAT, STG_INT, STG_UINT, STG_BOOL, STG_STRING};
    for (size_t k = 0; k < 5; k++) {
        col c = col_new(types[k], STG_CHUNK_MAX_POINTS);
        int64_t t = -1000;
        for (uint32_t i = 0; i < c.n; i++) {
            t += 1 + (int64_t)(rnd() % 3);
            c.ts[i] = t;
            c.v[i] = types[k] == STG_BOOL ? rnd() & 1 : rnd() >> (rnd() % 64);
        }
        if (types[k] == STG_STRING) {
            c.sb = malloc(64);
            c.sblen = 64;
            for (int b = 0; b < 64; b++)
                c.sb[b] = (uint8_t)('a' + b % 26);
            for (uint32_t i = 0; i < c.n; i++) {
                uint32_t off = (uint32_t)(rnd() % 64);
                c.v[i] = stg_val_str(off, (uint32_t)(rnd() % (65 - off)));
            }
        }
        roundtrip(&c, 0, 0);
        /* the worst case stays within the bound */
        for (uint32_t i = 0; i < c.n; i++) {
            c.ts[i] = (int64_t)(i * (uint64_t)140737488355327) - INT64_MAX;
            if (types[k] != STG_STRING) c.v[i] = types[k] == STG_BOOL ? rnd() & 1 : rnd();
        }
        roundtrip(&c, 0, 0);
        col_free(&c);
    }
}

static void small_chunks_all_sizes(void **state)
{
    (void)state;
    /* every length up to a few blocks, odd shapes: exercises partial blocks */
    for (uint32_t n = 1; n <= 300; n += (n < 140 ? 1 : 7)) {
        col c = col_new(STG_INT, n);
        for (uint32_t i = 0; i < n; i++) {
            c.ts[i] = (int64_t)i * 1000 + (i % 7 == 3 ? 5 : 0);
            c.v[i] = (uint64_t)(int64_t)range(-5, 5) + (i == n / 2 ? 1ull << 40 : 0);
        }
        roundtrip(&c, 0, 0);
        c.type = STG_FLOAT;
        for (uint32_t i = 0; i < n; i++)
            c.v[i] = stg_val_from_f64((double)range(-500, 500) / 100);
        roundtrip(&c, 0, 0);
        col_free(&c);
    }
}

/* ---- arguments -------------------------------------------------------- */

static void bad_arguments(void **state)
{
    (void)state;
    int64_t ts[3] = {1, 2, 2};
    uint64_t v[3] = {0, 1, 2};
    uint8_t out[512];
    size_t used;
    strata_error err;
    assert_int_equal(stg_chunk_encode(STG_INT, ts, v, NULL, 0, out, sizeof out, &used, &err),
                     STRATA_EINVAL);
    assert_int_equal(stg_chunk_encode(STG_INT, ts, v, NULL, 3, out, sizeof out, &used, &err),
                     STRATA_EINVAL);
    assert_non_null(strstr(err.msg, "not after"));
    ts[2] = 3;
    assert_int_equal(stg_chunk_encode(STG_BOOL, ts, v, NULL, 3, out, sizeof out, &used, &err),
                     STRATA_EINVAL);
    assert_int_equal(stg_chunk_encode((stg_type)9, ts, v, NULL, 3, out, sizeof out, &used, &err),
                     STRATA_EINVAL);
    assert_int_equal(
        stg_chunk_encode(STG_INT, ts, v, NULL, STG_CHUNK_MAX_POINTS + 1, out, 1, &used, &err),
        STRATA_EINVAL);
    assert_int_equal(stg_chunk_encode(STG_INT, ts, v, NULL, 3, out, 10, &used, &err),
                     STRATA_EINVAL);
    assert_int_equal(stg_chunk_encode(STG_INT, ts, v, NULL, 3, out, sizeof out, &used, &err),
                     STRATA_OK);

    /* string buffer too small for decode */
    uint64_t sv[3] = {stg_val_str(0, 2), stg_val_str(2, 1), stg_val_str(0, 3)};
    assert_int_equal(stg_chunk_encode(STG_STRING, ts, sv, (const uint8_t *)"abc", 3, out,
                                      sizeof out, &used, &err),
                     STRATA_OK);
    int64_t dts[3];
    uint64_t dv[3];
    uint8_t sb[6];
    uint32_t n;
    assert_int_equal(stg_chunk_decode(out, used, dts, dv, sb, 5, &n, &err), STRATA_EINVAL);
    assert_int_equal(stg_chunk_decode(out, used, dts, dv, sb, 6, &n, &err), STRATA_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(sb + stg_val_str_off(dv[2]), "abc", 3);
}

static void codec_names(void **state)
{
    (void)state;
    assert_string_equal(stg_codec_name(STG_CODEC_F_DECIMAL), "f-decimal");
    assert_string_equal(stg_codec_name(STG_CODEC_TS_REGULAR), "ts-regular");
    assert_string_equal(stg_codec_name(0), "?");
    assert_string_equal(stg_codec_name(200), "?");
}

int main(void)
{
    rng = SEED;
    print_message("test_chunk seed 0x%016llx\n", (unsigned long long)SEED);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ts_codecs),
        cmocka_unit_test(ts_extremes),
        cmocka_unit_test(float_decimal_walk),
        cmocka_unit_test(float_other_codecs),
        cmocka_unit_test(float_stats_ignore_nan),
        cmocka_unit_test(int_codecs),
        cmocka_unit_test(bool_codecs),
        cmocka_unit_test(string_codecs),
        cmocka_unit_test(maximal_chunks),
        cmocka_unit_test(small_chunks_all_sizes),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(codec_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
