/*
 * tests/unit/storage/test_stream.c: the in-memory column head
 * (storage/stream.h): append/decode round trips for every type, snapshot
 * prefixes taken mid-way, truncated and garbage input, argument checks and
 * memory per stream. Fixed, printed seed.
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

#include "storage/stream.h"

#define SEED 0x57ea3a5eedull

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct pts {
    stg_type type;
    uint32_t n;
    int64_t *ts;
    uint64_t *v;
    uint8_t *sb; /* strings: v[i] = off << 32 | len into sb */
    size_t sblen;
} pts;

static pts pts_new(stg_type type, uint32_t n)
{
    pts p = {type, n, calloc(n, 8), calloc(n, 8), NULL, 0};
    return p;
}

static void pts_free(pts *p)
{
    free(p->ts);
    free(p->v);
    free(p->sb);
}

static void append_all(stg_stream *s, const pts *p, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        const uint8_t *str = p->sb ? p->sb + stg_val_str_off(p->v[i]) : NULL;
        assert_int_equal(stg_stream_append(s, p->ts[i], p->v[i], str, stg_val_str_len(p->v[i])),
                         STRATA_OK);
    }
}

/* Decode count points of data/len and compare to p's first count points. */
static void check_decode(const pts *p, const uint8_t *data, size_t len, uint32_t count)
{
    int64_t *ts = malloc((size_t)count * 8 + 8);
    uint64_t *v = malloc((size_t)count * 8 + 8);
    size_t strcap = p->sblen + 1, used = 0;
    uint8_t *sb = malloc(strcap);
    assert_int_equal(stg_stream_decode(p->type, data, len, count, ts, v, sb, strcap, &used),
                     STRATA_OK);
    assert_memory_equal(ts, p->ts, (size_t)count * 8);
    if (p->type == STG_STRING) {
        size_t total = 0;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t l = stg_val_str_len(v[i]);
            assert_int_equal(l, stg_val_str_len(p->v[i]));
            if (l)
                assert_memory_equal(sb + stg_val_str_off(v[i]), p->sb + stg_val_str_off(p->v[i]),
                                    l);
            total += l;
        }
        assert_int_equal(used, total);
    } else {
        assert_memory_equal(v, p->v, (size_t)count * 8);
    }
    free(ts);
    free(v);
    free(sb);
}

/* Full round trip; returns bytes used. */
static size_t roundtrip(const pts *p)
{
    stg_stream s;
    stg_stream_init(&s, p->type);
    append_all(&s, p, 0, p->n);
    assert_int_equal(stg_stream_count(&s), p->n);
    assert_true(stg_stream_last_ts(&s) == p->ts[p->n - 1]);
    size_t bytes = stg_stream_bytes(&s);
    uint8_t *copy = malloc(bytes ? bytes : 1); /* exact size for ASan */
    memcpy(copy, stg_stream_data(&s), bytes);
    check_decode(p, copy, bytes, p->n);
    /* every truncation of the exact bytes misses bits of the last point */
    for (size_t cut = 0; cut < bytes; cut += 1 + cut / 64) {
        int64_t *ts = malloc((size_t)p->n * 8);
        uint64_t *v = malloc((size_t)p->n * 8);
        uint8_t *sb = malloc(p->sblen + 1);
        uint8_t *t = malloc(cut ? cut : 1);
        memcpy(t, copy, cut);
        assert_int_equal(stg_stream_decode(p->type, t, cut, p->n, ts, v, sb, p->sblen, NULL),
                         STRATA_ECORRUPT);
        free(t);
        free(ts);
        free(v);
        free(sb);
    }
    free(copy);
    stg_stream_fini(&s);
    return bytes;
}

static void ts_fill(pts *p, int64_t start, int64_t step)
{
    for (uint32_t i = 0; i < p->n; i++)
        p->ts[i] = start + (int64_t)i * step;
}

static void floats(void **state)
{
    (void)state;
    pts p = pts_new(STG_FLOAT, 2000);
    ts_fill(&p, 1700000000000000000, 10000000000);
    int64_t m = 2000;
    for (uint32_t i = 0; i < p.n; i++) {
        m += (int64_t)(rnd() % 201) - 100;
        p.v[i] = stg_val_from_f64((double)m / 100);
    }
    size_t b = roundtrip(&p);
    print_message("stream two-decimal walk: %.2f bits/point\n", 8.0 * b / p.n);
    assert_true(b * 8 < p.n * 12);

    /* a 16-digit value in a two-decimal stream costs only itself */
    m = 2000;
    for (uint32_t i = 0; i < p.n; i++) {
        m += (int64_t)(rnd() % 201) - 100;
        p.v[i] = stg_val_from_f64((double)m / 100);
    }
    p.v[100] = stg_val_from_f64(1.0 / 3.0);
    p.v[101] = 0x7ff8000000000000ull;
    p.v[1000] = stg_val_from_f64(12.3456789);
    b = roundtrip(&p);
    print_message("stream two-decimal walk with outliers: %.2f bits/point\n", 8.0 * b / p.n);
    assert_true(b * 8 < p.n * 12);

    /* full precision */
    double x = 50;
    for (uint32_t i = 0; i < p.n; i++) {
        x += (double)(rnd() >> 11) / 9007199254740992.0 - 0.5;
        p.v[i] = stg_val_from_f64(x);
    }
    b = roundtrip(&p);
    print_message("stream full-precision walk: %.2f bits/point\n", 8.0 * b / p.n);

    /* specials and mixtures: exponent changes, huge mantissa jumps, NaN, -0 */
    uint64_t sp[] = {0,
                     0x8000000000000000ull,
                     1,
                     0x7ff0000000000000ull,
                     0xfff0000000000000ull,
                     0x7ff8000000000000ull,
                     0x7ff0000000000001ull,
                     stg_val_from_f64(0.5),
                     stg_val_from_f64(23.45),
                     stg_val_from_f64(23.456789),
                     stg_val_from_f64(-1e15),
                     stg_val_from_f64(1e15),
                     stg_val_from_f64(1e-18),
                     stg_val_from_f64(1.0 / 3.0),
                     rnd()};
    size_t nsp = sizeof sp / sizeof sp[0];
    for (uint32_t i = 0; i < p.n; i++)
        p.v[i] = (rnd() % 3) ? sp[rnd() % nsp] : rnd();
    roundtrip(&p);
    for (uint32_t i = 0; i < p.n; i++)
        p.v[i] = sp[(i / 7) % nsp];
    roundtrip(&p);
    /* one point */
    p.n = 1;
    roundtrip(&p);
    pts_free(&p);
}

static void integers_and_time(void **state)
{
    (void)state;
    pts p = pts_new(STG_INT, 3000);
    int64_t t = INT64_MIN;
    for (uint32_t i = 0; i < p.n; i++) {
        uint64_t room = (uint64_t)INT64_MAX - (uint64_t)t;
        uint64_t step = 1 + rnd() % ((rnd() & 1) ? 5 : (room / (p.n - i) / 2 + 1));
        t = (int64_t)((uint64_t)t + step);
        p.ts[i] = i == 0 ? INT64_MIN : t;
        uint64_t pick = rnd() % 5;
        p.v[i] = pick == 0   ? (uint64_t)INT64_MIN
                 : pick == 1 ? (uint64_t)INT64_MAX
                 : pick == 2 ? rnd()
                             : (uint64_t)(int64_t)(rnd() % 100) - 50;
    }
    p.ts[p.n - 1] = INT64_MAX;
    roundtrip(&p);
    p.type = STG_UINT;
    roundtrip(&p);

    /* a counter at a regular interval */
    ts_fill(&p, -10000000000, 10000000000);
    uint64_t c = 1000000;
    for (uint32_t i = 0; i < p.n; i++)
        p.v[i] = c += rnd() % 1000;
    size_t b = roundtrip(&p);
    print_message("stream counter: %.2f bits/point\n", 8.0 * b / p.n);
    pts_free(&p);

    p = pts_new(STG_BOOL, 1000);
    ts_fill(&p, 5, 3);
    for (uint32_t i = 0; i < p.n; i++)
        p.v[i] = rnd() & 1;
    b = roundtrip(&p);
    assert_true(b <= (1000 * 2 + 64 + 16) / 8 + 1);
    pts_free(&p);
}

static void strings(void **state)
{
    (void)state;
    pts p = pts_new(STG_STRING, 500);
    ts_fill(&p, 0, 1);
    p.sb = malloc(500 * 40 + STG_STRING_MAX);
    for (uint32_t i = 0; i < p.n; i++) {
        uint32_t len = (uint32_t)(rnd() % 40);
        if (i == 250) len = STG_STRING_MAX;
        for (uint32_t k = 0; k < len; k++)
            p.sb[p.sblen + k] = (uint8_t)rnd();
        p.v[i] = stg_val_str((uint32_t)p.sblen, len);
        p.sblen += len;
    }
    roundtrip(&p);
    stg_stream s;
    stg_stream_init(&s, STG_STRING);
    append_all(&s, &p, 0, p.n);
    assert_int_equal(stg_stream_str_bytes(&s), p.sblen);
    /* a string buffer one byte short is corruption, not an overflow */
    int64_t *ts = malloc(p.n * 8);
    uint64_t *v = malloc(p.n * 8);
    uint8_t *sb = malloc(p.sblen);
    assert_int_equal(stg_stream_decode(STG_STRING, stg_stream_data(&s), stg_stream_bytes(&s), p.n,
                                       ts, v, sb, p.sblen - 1, NULL),
                     STRATA_ECORRUPT);
    free(ts);
    free(v);
    free(sb);
    stg_stream_fini(&s);
    /* all empty */
    for (uint32_t i = 0; i < p.n; i++)
        p.v[i] = 0;
    roundtrip(&p);
    pts_free(&p);
}

/* Snapshot at every count while the writer keeps appending. */
static void snapshots(void **state)
{
    (void)state;
    static const stg_type types[] = {STG_FLOAT, STG_INT, STG_UINT, STG_BOOL, STG_STRING};
    for (size_t k = 0; k < 5; k++) {
        pts p = pts_new(types[k], 400);
        int64_t t = -1000;
        p.sb = malloc(400 * 16);
        for (uint32_t i = 0; i < p.n; i++) {
            t += 1 + (int64_t)(rnd() % 3) * (int64_t)(rnd() % 1000000);
            p.ts[i] = t;
            if (types[k] == STG_FLOAT)
                p.v[i] =
                    (i % 50 < 25) ? stg_val_from_f64((double)(int64_t)(rnd() % 1000) / 10) : rnd();
            else if (types[k] == STG_BOOL)
                p.v[i] = rnd() & 1;
            else if (types[k] == STG_STRING) {
                uint32_t len = (uint32_t)(rnd() % 16);
                memset(p.sb + p.sblen, 'a' + (int)(i % 26), len);
                p.v[i] = stg_val_str((uint32_t)p.sblen, len);
                p.sblen += len;
            } else
                p.v[i] = rnd() >> (rnd() % 64);
        }
        stg_stream s;
        stg_stream_init(&s, types[k]);
        uint8_t *snap[401];
        size_t snaplen[401];
        for (uint32_t i = 0; i <= p.n; i++) {
            snaplen[i] = stg_stream_bytes(&s);
            snap[i] = malloc(snaplen[i] ? snaplen[i] : 1);
            if (snaplen[i]) memcpy(snap[i], stg_stream_data(&s), snaplen[i]);
            if (i < p.n) append_all(&s, &p, i, i + 1);
        }
        for (uint32_t i = 0; i <= p.n; i++) {
            check_decode(&p, snap[i], snaplen[i], i);
            /* the final, longer buffer with an earlier count decodes too */
            check_decode(&p, stg_stream_data(&s), stg_stream_bytes(&s), i);
            free(snap[i]);
        }
        stg_stream_fini(&s);
        pts_free(&p);
    }
}

static void garbage(void **state)
{
    (void)state;
    for (int it = 0; it < 20000; it++) {
        size_t len = rnd() % 100;
        uint8_t *b = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            b[i] = (uint8_t)rnd();
        uint32_t count = (uint32_t)(rnd() % 50);
        stg_type type = (stg_type)(1 + rnd() % 5);
        int64_t *ts = malloc(count * 8 + 1);
        uint64_t *v = malloc(count * 8 + 1);
        size_t strcap = rnd() % 64;
        uint8_t *sb = malloc(strcap + 1);
        int rc = stg_stream_decode(type, b, len, count, ts, v, sb, strcap, NULL);
        assert_true(rc == STRATA_OK || rc == STRATA_ECORRUPT);
        if (rc == STRATA_OK)
            for (uint32_t i = 1; i < count; i++)
                assert_true(ts[i] > ts[i - 1]);
        free(b);
        free(ts);
        free(v);
        free(sb);
    }
}

static void bad_appends(void **state)
{
    (void)state;
    stg_stream s;
    stg_stream_init(&s, STG_BOOL);
    assert_int_equal(stg_stream_count(&s), 0);
    assert_int_equal(stg_stream_bytes(&s), 0);
    assert_int_equal(stg_stream_append(&s, 10, 1, NULL, 0), STRATA_OK);
    size_t b = stg_stream_bytes(&s);
    assert_int_equal(stg_stream_append(&s, 10, 1, NULL, 0), STRATA_EINVAL);
    assert_int_equal(stg_stream_append(&s, 9, 1, NULL, 0), STRATA_EINVAL);
    assert_int_equal(stg_stream_append(&s, 11, 2, NULL, 0), STRATA_EINVAL);
    assert_int_equal(stg_stream_count(&s), 1);
    assert_int_equal(stg_stream_bytes(&s), b);
    assert_int_equal(stg_stream_str_bytes(&s), 0);
    stg_stream_fini(&s);
    stg_stream_fini(NULL);

    stg_stream_init(&s, STG_STRING);
    uint8_t big[STG_STRING_MAX + 1] = {0};
    assert_int_equal(stg_stream_append(&s, 1, 0, big, STG_STRING_MAX + 1), STRATA_EINVAL);
    assert_int_equal(stg_stream_append(&s, 1, 0, NULL, 3), STRATA_EINVAL);
    assert_int_equal(stg_stream_append(&s, 1, 0, big, STG_STRING_MAX), STRATA_OK);
    assert_int_equal(stg_stream_str_bytes(&s), STG_STRING_MAX);
    stg_stream_fini(&s);
    /* reusable after fini + init */
    stg_stream_init(&s, STG_INT);
    assert_int_equal(stg_stream_append(&s, -5, 3, NULL, 0), STRATA_OK);
    assert_int_equal(stg_stream_count(&s), 1);
    stg_stream_fini(&s);

    memset(&s, 0, sizeof s);
    assert_int_equal(stg_stream_append(&s, 1, 0, NULL, 0), STRATA_EINVAL);
    int64_t ts[1];
    uint64_t v[1];
    assert_int_equal(stg_stream_decode((stg_type)0, NULL, 0, 1, ts, v, NULL, 0, NULL),
                     STRATA_EINVAL);
    assert_int_equal(stg_stream_decode(STG_INT, NULL, 0, 0, ts, v, NULL, 0, NULL), STRATA_OK);
    assert_int_equal(stg_stream_decode(STG_INT, NULL, 0, 1, ts, v, NULL, 0, NULL), STRATA_ECORRUPT);
}

static void memory_per_stream(void **state)
{
    (void)state;
    stg_stream s;
    stg_stream_init(&s, STG_FLOAT);
    int64_t m = 2000;
    for (uint32_t i = 0; i < 1000; i++) {
        m += (int64_t)(rnd() % 201) - 100;
        assert_int_equal(stg_stream_append(&s, 1700000000000000000 + (int64_t)i * 10000000000,
                                           stg_val_from_f64((double)m / 100), NULL, 0),
                         STRATA_OK);
    }
    size_t total = sizeof s + stg_stream_alloc_bytes(&s);
    print_message("1000 regular two-decimal float points: struct %zu + buffer %zu (used %zu) = "
                  "%zu bytes\n",
                  sizeof s, stg_stream_alloc_bytes(&s), stg_stream_bytes(&s), total);
    assert_true(sizeof s <= 48);
    assert_true(total <= 2048);
    stg_stream_fini(&s);

    /* a constant gauge: a bit per timestamp and a bit per value */
    stg_stream_init(&s, STG_FLOAT);
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(
            stg_stream_append(&s, (int64_t)i * 10000000000, stg_val_from_f64(1.5), NULL, 0),
            STRATA_OK);
    print_message("1000 regular constant float points: buffer %zu (used %zu) bytes\n",
                  stg_stream_alloc_bytes(&s), stg_stream_bytes(&s));
    assert_true(stg_stream_bytes(&s) <= 17 + 9 + 250 + 2); /* first point, first delta */
    stg_stream_fini(&s);
}

int main(void)
{
    rng = SEED;
    print_message("test_stream seed 0x%llx\n", (unsigned long long)SEED);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floats),
        cmocka_unit_test(integers_and_time),
        cmocka_unit_test(strings),
        cmocka_unit_test(snapshots),
        cmocka_unit_test(garbage),
        cmocka_unit_test(bad_appends),
        cmocka_unit_test(memory_per_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
