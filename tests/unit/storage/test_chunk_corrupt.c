/*
 * tests/unit/storage/test_chunk_corrupt.c: corrupt and hostile chunks.
 *
 * A corpus of valid chunks covering every codec is built first. Then:
 * every byte flipped and every truncation must give STRATA_ECORRUPT from
 * both stg_chunk_info_read() and stg_chunk_decode(); and mutated chunks
 * whose checksum was recomputed (what an attacker or a bug upstream of the
 * checksum could produce) must decode to OK or an error, never crash or
 * touch memory outside the exact-size output arrays (run under the
 * sanitizer build to check the latter). Fixed, printed seed.
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

#include <xxhash.h>

#include "common/bytes.h"
#include "storage/chunk.h"

#define SEED 0xc0441de5eedull
#define NPTS 300

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct blob {
    uint8_t *b;
    size_t len;
    unsigned ts_codec, val_codec;
} blob;

#define MAXBLOBS 40
static blob corpus[MAXBLOBS];
static size_t ncorpus;
/* codecs seen in the corpus, to check coverage */
static unsigned seen[32];

static void add(stg_type type, const int64_t *ts, const uint64_t *v, const uint8_t *sb, uint32_t n)
{
    size_t str = 0;
    if (type == STG_STRING)
        for (uint32_t i = 0; i < n; i++)
            str += stg_val_str_len(v[i]);
    size_t cap = stg_chunk_bound(type, n, str), used;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    assert_int_equal(stg_chunk_encode(type, ts, v, sb, n, b, cap, &used, NULL), STRATA_OK);
    stg_chunk_info in;
    assert_int_equal(stg_chunk_info_read(b, used, &in, NULL), STRATA_OK);
    assert_true(ncorpus < MAXBLOBS);
    corpus[ncorpus++] = (blob){b, used, in.ts_codec, in.val_codec};
    seen[in.ts_codec]++;
    seen[in.val_codec]++;
}

static int build_corpus(void **state)
{
    (void)state;
    static int64_t ts[NPTS], ts2[NPTS], ts3[NPTS];
    static uint64_t v[NPTS];
    static uint8_t sb[NPTS * 64];
    rng = SEED;
    for (uint32_t i = 0; i < NPTS; i++) {
        ts[i] = 1700000000000000000 + (int64_t)i * 10000000000;
        ts2[i] = -1000000 + (int64_t)i * 1000 + (int64_t)i * (i - 1) / 2; /* drifting rate */
        ts3[i] = (int64_t)i * 1000000 + (int64_t)(rnd() % 1000);
    }
    /* floats */
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = stg_val_from_f64(12.5);
    add(STG_FLOAT, ts, v, NULL, NPTS);
    int64_t m = 2000;
    for (uint32_t i = 0; i < NPTS; i++) {
        m += (int64_t)(rnd() % 201) - 100;
        v[i] = stg_val_from_f64((double)m / 100);
    }
    v[7] = 0x7ff8000000000123ull;
    add(STG_FLOAT, ts2, v, NULL, NPTS);
    double x = 1;
    for (uint32_t i = 0; i < NPTS; i++) {
        x *= 1.0001;
        v[i] = stg_val_from_f64(x);
    }
    add(STG_FLOAT, ts3, v, NULL, NPTS);
    for (uint32_t i = 0; i < NPTS; i++) /* Gorilla: only exponent bits change */
        v[i] = stg_val_from_f64(ldexp(1.0 / 3.0, (int)(rnd() % 16) - 8));
    add(STG_FLOAT, ts2, v, NULL, NPTS);
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = rnd();
    add(STG_FLOAT, ts, v, NULL, NPTS);
    add(STG_FLOAT, ts, v, NULL, 1);
    /* ints */
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = 5;
    add(STG_INT, ts, v, NULL, NPTS);
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = (uint64_t)(int64_t)(rnd() % 1000) - 500;
    add(STG_INT, ts2, v, NULL, NPTS);
    m = 0;
    for (uint32_t i = 0; i < NPTS; i++) {
        m += (int64_t)(rnd() % 101) - 50;
        v[i] = (uint64_t)m;
    }
    add(STG_INT, ts3, v, NULL, NPTS);
    m = 1000;
    for (uint32_t i = 0; i < NPTS; i++) {
        m += (int64_t)(rnd() % 30) + 100;
        v[i] = (uint64_t)m;
    }
    add(STG_UINT, ts, v, NULL, NPTS);
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = (uint64_t)i * i * 5;
    add(STG_UINT, ts2, v, NULL, NPTS);
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = rnd() >> (rnd() % 64);
    add(STG_INT, ts3, v, NULL, NPTS);
    v[0] = (uint64_t)INT64_MIN;
    v[1] = (uint64_t)INT64_MAX;
    add(STG_INT, ts, v, NULL, 2);
    /* bools */
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = 1;
    add(STG_BOOL, ts, v, NULL, NPTS);
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = rnd() & 1;
    add(STG_BOOL, ts2, v, NULL, NPTS);
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = (i / 40) & 1;
    add(STG_BOOL, ts3, v, NULL, NPTS);
    /* strings */
    static const char *words[] = {"ok", "warn", "", "critical"};
    size_t off = 0;
    for (uint32_t i = 0; i < NPTS; i++) {
        const char *w = words[(i / 30) % 4];
        memcpy(sb + off, w, strlen(w));
        v[i] = stg_val_str((uint32_t)off, (uint32_t)strlen(w));
        off += strlen(w);
    }
    add(STG_STRING, ts, v, sb, NPTS);
    off = 0;
    for (uint32_t i = 0; i < NPTS; i++) {
        int len = snprintf((char *)sb + off, 64, "GET /api/item/%u HTTP/1.1 200", i * 13);
        v[i] = stg_val_str((uint32_t)off, (uint32_t)len);
        off += (size_t)len;
    }
    add(STG_STRING, ts2, v, sb, NPTS);
    for (size_t k = 0; k < NPTS * 8; k++)
        sb[k] = (uint8_t)rnd();
    for (uint32_t i = 0; i < NPTS; i++)
        v[i] = stg_val_str((uint32_t)(i * 8), (uint32_t)(rnd() % 9));
    add(STG_STRING, ts3, v, sb, NPTS);

    for (unsigned c = STG_CODEC_TS_REGULAR; c <= STG_CODEC_STR_DICT; c++)
        if (!seen[c]) fail_msg("corpus misses codec %s", stg_codec_name(c));
    print_message("corrupt corpus: %zu chunks, seed 0x%llx\n", ncorpus, (unsigned long long)SEED);
    return 0;
}

static int free_corpus(void **state)
{
    (void)state;
    for (size_t k = 0; k < ncorpus; k++)
        free(corpus[k].b);
    return 0;
}

/* Decode with exact-size outputs sized from the header; returns the code. */
static int decode_exact(const uint8_t *b, size_t len)
{
    stg_chunk_info in;
    int rc = stg_chunk_info_peek(b, len, &in, NULL);
    if (rc != STRATA_OK) return rc;
    int64_t *ts = malloc((size_t)in.count * 8);
    uint64_t *v = malloc((size_t)in.count * 8);
    uint8_t *sb = malloc(in.str_bytes ? in.str_bytes : 1);
    assert_true(ts && v && sb);
    uint32_t n;
    strata_error err;
    rc = stg_chunk_decode(b, len, ts, v, sb, in.str_bytes, &n, &err);
    if (rc == STRATA_OK) {
        assert_int_equal(n, in.count);
        assert_true(ts[0] == in.t_first && ts[n - 1] == in.t_last);
        for (uint32_t i = 1; i < n; i++)
            assert_true(ts[i] > ts[i - 1]);
        if (in.type == STG_STRING)
            for (uint32_t i = 0; i < n; i++)
                assert_true((uint64_t)stg_val_str_off(v[i]) + stg_val_str_len(v[i]) <=
                            in.str_bytes);
        if (in.type == STG_BOOL)
            for (uint32_t i = 0; i < n; i++)
                assert_true(v[i] <= 1);
    } else {
        assert_true(err.msg[0] != 0);
    }
    free(ts);
    free(v);
    free(sb);
    return rc;
}

static void flipped_bytes(void **state)
{
    (void)state;
    static const uint8_t masks[] = {0x01, 0x10, 0x80, 0xff};
    for (size_t k = 0; k < ncorpus; k++) {
        blob *c = &corpus[k];
        uint8_t *b = malloc(c->len);
        for (size_t i = 0; i < c->len; i++) {
            for (size_t f = 0; f < sizeof masks; f++) {
                memcpy(b, c->b, c->len);
                b[i] ^= masks[f];
                stg_chunk_info in;
                strata_error err;
                int64_t ts[NPTS];
                uint64_t v[NPTS];
                uint8_t sb[NPTS * 64];
                uint32_t n;
                assert_int_equal(stg_chunk_info_read(b, c->len, &in, &err), STRATA_ECORRUPT);
                assert_int_equal(stg_chunk_decode(b, c->len, ts, v, sb, sizeof sb, &n, &err),
                                 STRATA_ECORRUPT);
            }
        }
        free(b);
    }
}

static void truncations(void **state)
{
    (void)state;
    for (size_t k = 0; k < ncorpus; k++) {
        blob *c = &corpus[k];
        for (size_t cut = 0; cut < c->len; cut++) {
            uint8_t *b = malloc(cut ? cut : 1); /* exact size: ASan sees over-reads */
            memcpy(b, c->b, cut);
            stg_chunk_info in;
            int64_t ts[NPTS];
            uint64_t v[NPTS];
            uint8_t sb[NPTS * 64];
            uint32_t n;
            assert_int_equal(stg_chunk_info_read(b, cut, &in, NULL), STRATA_ECORRUPT);
            assert_int_equal(stg_chunk_decode(b, cut, ts, v, sb, sizeof sb, &n, NULL),
                             STRATA_ECORRUPT);
            free(b);
        }
        /* one trailing byte too many */
        uint8_t *b = malloc(c->len + 1);
        memcpy(b, c->b, c->len);
        b[c->len] = 0;
        stg_chunk_info in;
        assert_int_equal(stg_chunk_info_read(b, c->len + 1, &in, NULL), STRATA_ECORRUPT);
        free(b);
    }
    stg_chunk_info in;
    assert_int_equal(stg_chunk_info_read(NULL, 0, &in, NULL), STRATA_ECORRUPT);
}

static void reseal(uint8_t *b, size_t len)
{
    strata_put_le64(b + len - 8, XXH3_64bits(b, len - 8));
}

/* Mutations behind a recomputed checksum: errors are fine, crashes are not. */
static void hostile_valid_checksum(void **state)
{
    (void)state;
    size_t ok = 0, bad = 0;
    for (size_t k = 0; k < ncorpus; k++) {
        blob *c = &corpus[k];
        uint8_t *b = malloc(c->len);
        for (int it = 0; it < 3000; it++) {
            memcpy(b, c->b, c->len);
            int muts = 1 + (int)(rnd() % 4);
            for (int q = 0; q < muts; q++) {
                size_t i = rnd() % (c->len - 8);
                switch (rnd() % 4) {
                case 0:
                    b[i] = (uint8_t)rnd();
                    break;
                case 1:
                    b[i]++;
                    break;
                case 2:
                    b[i]--;
                    break;
                default:
                    b[i] ^= (uint8_t)(1u << (rnd() % 8));
                    break;
                }
            }
            if (b[1] != STG_CHUNK_VERSION) b[1] = STG_CHUNK_VERSION;
            reseal(b, c->len);
            int rc = decode_exact(b, c->len);
            assert_true(rc == STRATA_OK || rc == STRATA_ECORRUPT);
            rc == STRATA_OK ? ok++ : bad++;
        }
        /* every shorter prefix, resealed */
        for (size_t cut = 8; cut < c->len; cut++) {
            uint8_t *t = malloc(cut);
            memcpy(t, c->b, cut - 8);
            reseal(t, cut);
            assert_int_equal(decode_exact(t, cut), STRATA_ECORRUPT);
            free(t);
        }
        free(b);
    }
    print_message("hostile mutations: %zu decoded, %zu rejected\n", ok, bad);
    assert_true(bad > 0);
}

/* Random garbage behind a valid magic, version and checksum. */
static void hostile_garbage(void **state)
{
    (void)state;
    for (int it = 0; it < 20000; it++) {
        size_t len = 16 + rnd() % 200;
        uint8_t *b = malloc(len);
        for (size_t i = 0; i < len; i++)
            b[i] = (uint8_t)rnd();
        b[0] = 0xC7;
        b[1] = STG_CHUNK_VERSION;
        b[2] = (uint8_t)(1 + rnd() % 5);
        if (rnd() & 1) b[5] = (uint8_t)(1 + rnd() % 100); /* small count: get further */
        reseal(b, len);
        int rc = decode_exact(b, len);
        assert_true(rc == STRATA_OK || rc == STRATA_ECORRUPT);
        free(b);
    }
}

static void version_and_peek(void **state)
{
    (void)state;
    blob *c = &corpus[1];
    uint8_t *b = malloc(c->len);
    memcpy(b, c->b, c->len);
    b[1] = STG_CHUNK_VERSION + 1;
    reseal(b, c->len);
    stg_chunk_info in;
    strata_error err;
    int64_t ts[NPTS];
    uint64_t v[NPTS];
    uint32_t n;
    assert_int_equal(stg_chunk_info_read(b, c->len, &in, &err), STRATA_EVERSION);
    assert_non_null(strstr(err.msg, "version"));
    assert_int_equal(stg_chunk_info_peek(b, c->len, &in, &err), STRATA_EVERSION);
    assert_int_equal(stg_chunk_decode(b, c->len, ts, v, NULL, 0, &n, &err), STRATA_EVERSION);

    /* peek skips the checksum: a flipped value byte passes peek, not read */
    memcpy(b, c->b, c->len);
    b[c->len - 9] ^= 0x40;
    assert_int_equal(stg_chunk_info_peek(b, c->len, &in, &err), STRATA_OK);
    assert_int_equal(stg_chunk_info_read(b, c->len, &in, &err), STRATA_ECORRUPT);
    assert_non_null(strstr(err.msg, "checksum"));

    /* bad magic */
    memcpy(b, c->b, c->len);
    b[0] = 0;
    reseal(b, c->len);
    assert_int_equal(stg_chunk_info_read(b, c->len, &in, &err), STRATA_ECORRUPT);
    assert_non_null(strstr(err.msg, "magic"));
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flipped_bytes),          cmocka_unit_test(truncations),
        cmocka_unit_test(hostile_valid_checksum), cmocka_unit_test(hostile_garbage),
        cmocka_unit_test(version_and_peek),
    };
    return cmocka_run_group_tests(tests, build_corpus, free_corpus);
}
