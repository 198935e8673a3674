/*
 * tests/unit/storage/test_index_postings.c: postings and listings against a
 * brute-force model on random data (fixed, printed seed). Series are
 * created one by one and in batches (with repeats inside and across
 * batches), some deleted, one measurement dropped, the environment
 * reopened, some series recreated; after each step every tag query, every
 * listing, the counts and every key<->id mapping are compared with the
 * model, and the long-value and probe sub-databases hold exactly what is
 * still needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include <cmocka.h>

#include "index_testutil.h"

#define NMEAS 3
#define NKEYS 5
#define NVALS 7 /* 0..4 short, 5 and 6 long with a common 480+ byte prefix */
#define NSER 3000

static const char *MEAS[NMEAS] = {"cpu", "disk", "mem"};
static const char *KEYS[NKEYS] = {"a", "b", "c", "dd", "e"};
static char VALS[NKEYS][NVALS][640];
static size_t VLEN[NKEYS][NVALS];

typedef struct mser {
    int meas;
    int val[NKEYS]; /* -1: tag absent */
    int live;
    uint64_t id;
} mser;

static mser S[NSER];

static void init_vals(void)
{
    for (int k = 0; k < NKEYS; k++)
        for (int v = 0; v < NVALS; v++) {
            if (v < 5) {
                VLEN[k][v] = (size_t)snprintf(VALS[k][v], sizeof VALS[k][v], "x%d%s", v,
                                              v == 2 ? " sp,ace=" : "");
            } else {
                memset(VALS[k][v], 'L', 600);
                VALS[k][v][590] = (char)('0' + k);
                VALS[k][v][595] = (char)('a' + (NVALS - v)); /* long 6 sorts before long 5 */
                VLEN[k][v] = 600;
            }
        }
}

/* Tags of series s into tags (sorted: KEYS is sorted). @return count. */
static size_t tags_of(const mser *s, stg_tag *tags)
{
    size_t n = 0;
    for (int k = 0; k < NKEYS; k++)
        if (s->val[k] >= 0) {
            tags[n].key = KEYS[k];
            tags[n].key_len = (uint32_t)strlen(KEYS[k]);
            tags[n].val = VALS[k][s->val[k]];
            tags[n].val_len = (uint32_t)VLEN[k][s->val[k]];
            n++;
        }
    return n;
}

static size_t key_of(const mser *s, char *buf, size_t cap)
{
    stg_tag tags[NKEYS];
    size_t n = tags_of(s, tags);
    return stg_series_key_build(MEAS[s->meas], strlen(MEAS[s->meas]), tags, n, buf, cap);
}

static int same_tuple(const mser *a, const mser *b)
{
    return a->meas == b->meas && memcmp(a->val, b->val, sizeof a->val) == 0;
}

static void gen(void)
{
    for (int i = 0; i < NSER; i++) {
    again:
        S[i].meas = (int)(trand() % NMEAS);
        for (int k = 0; k < NKEYS; k++) {
            uint64_t r = trand() % 100;
            S[i].val[k] = r < 45 ? -1 : r < 52 ? (int)(5 + trand() % 2) : (int)(trand() % 5);
        }
        for (int j = 0; j < i; j++)
            if (same_tuple(&S[i], &S[j])) goto again;
        S[i].live = 0;
        S[i].id = 0;
    }
}

static int u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void expect_ids(const stg_idset *got, uint64_t *want, size_t n, const char *what)
{
    qsort(want, n, sizeof *want, u64cmp);
    if (got->n != n) fail_msg("%s: %zu ids, model has %zu", what, got->n, n);
    for (size_t i = 0; i < n; i++)
        if (got->ids[i] != want[i]) fail_msg("%s: id %zu differs", what, i);
}

typedef struct names {
    const char *s[16];
    size_t len[16];
    size_t n;
} names;

static int collect_name(void *ctx, const char *s, size_t len)
{
    names *l = ctx;
    assert_true(l->n < 16);
    l->s[l->n] = s;
    l->len[l->n] = len;
    l->n++;
    return 0;
}

static int collect_meas(void *ctx, const char *s, size_t len, uint32_t mid)
{
    (void)mid;
    return collect_name(ctx, s, len);
}

static int bytes_cmp(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    /* Entries are "len:ptr" pairs packed as pointers to [size_t len][data]. */
    size_t xl = *(const size_t *)*x, yl = *(const size_t *)*y;
    const char *xd = *x + sizeof(size_t), *yd = *y + sizeof(size_t);
    int c = memcmp(xd, yd, xl < yl ? xl : yl);
    return c != 0 ? c : (xl > yl) - (xl < yl);
}

/* Check listing l equals the given strings in bytewise order. */
static void expect_sorted(const names *l, const char **want, const size_t *wl, size_t n,
                          const char *what)
{
    static char packed[16][sizeof(size_t) + 640];
    const char *ptrs[16];
    for (size_t i = 0; i < n; i++) {
        memcpy(packed[i], &wl[i], sizeof(size_t));
        memcpy(packed[i] + sizeof(size_t), want[i], wl[i]);
        ptrs[i] = packed[i];
    }
    qsort(ptrs, n, sizeof ptrs[0], bytes_cmp);
    if (l->n != n) fail_msg("%s: %zu names listed, model has %zu", what, l->n, n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        memcpy(&len, ptrs[i], sizeof len);
        if (l->len[i] != len || memcmp(l->s[i], ptrs[i] + sizeof(size_t), len) != 0)
            fail_msg("%s: name %zu differs", what, i);
    }
}

/* Entries of database db (keys starting with its big-endian id) in sub-database name. */
static size_t entries(MDB_txn *txn, const char *name, uint32_t db)
{
    MDB_dbi dbi;
    MDB_cursor *c;
    uint8_t p[4] = {(uint8_t)(db >> 24), (uint8_t)(db >> 16), (uint8_t)(db >> 8), (uint8_t)db};
    MDB_val k = {4, p}, v;
    size_t n = 0;
    assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= 4 && memcmp(k.mv_data, p, 4) == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        n++;
    mdb_cursor_close(c);
    return n;
}

static void verify(tenv *t, uint32_t db, const char *when)
{
    MDB_txn *r = tenv_r(t);
    static uint64_t want[NSER];
    stg_idset got;
    stg_idset_init(&got);
    size_t live = 0;
    char key[4096];

    names ml = {0};
    assert_int_equal(stg_index_meas_list(t->idx, r, db, collect_meas, &ml), 0);
    const char *wm[NMEAS];
    size_t wml[NMEAS], nwm = 0, long_live = 0;

    for (int m = 0; m < NMEAS; m++) {
        size_t n = 0;
        for (int i = 0; i < NSER; i++)
            if (S[i].live && S[i].meas == m) want[n++] = S[i].id;
        uint32_t mid;
        int rc = stg_index_meas_lookup(t->idx, r, db, MEAS[m], strlen(MEAS[m]), &mid);
        if (n == 0) {
            assert_int_equal(rc, STRATA_ENOTFOUND);
            continue;
        }
        assert_int_equal(rc, 0);
        wm[nwm] = MEAS[m];
        wml[nwm++] = strlen(MEAS[m]);
        live += n;
        assert_int_equal(stg_index_meas_series(t->idx, r, db, mid, &got), 0);
        expect_ids(&got, want, n, "meas_series");

        const char *wk[NKEYS];
        size_t wkl[NKEYS], nwk = 0;
        for (int k = 0; k < NKEYS; k++) {
            const char *wv[NVALS];
            size_t wvl[NVALS], nwv = 0;
            for (int v = 0; v < NVALS; v++) {
                n = 0;
                for (int i = 0; i < NSER; i++)
                    if (S[i].live && S[i].meas == m && S[i].val[k] == v) want[n++] = S[i].id;
                assert_int_equal(stg_index_tag_series(t->idx, r, db, mid, KEYS[k], strlen(KEYS[k]),
                                                      VALS[k][v], VLEN[k][v], &got),
                                 0);
                expect_ids(&got, want, n, "tag_series");
                if (n > 0) {
                    wv[nwv] = VALS[k][v];
                    wvl[nwv++] = VLEN[k][v];
                    long_live += v >= 5;
                }
            }
            names vl = {0};
            assert_int_equal(stg_index_tag_values(t->idx, r, db, mid, KEYS[k], strlen(KEYS[k]),
                                                  collect_name, &vl),
                             0);
            expect_sorted(&vl, wv, wvl, nwv, "tag_values");
            if (nwv > 0) {
                wk[nwk] = KEYS[k];
                wkl[nwk++] = strlen(KEYS[k]);
            }
        }
        names kl = {0};
        assert_int_equal(stg_index_tag_keys(t->idx, r, db, mid, collect_name, &kl), 0);
        expect_sorted(&kl, wk, wkl, nwk, "tag_keys");
    }
    expect_sorted(&ml, wm, wml, nwm, "meas_list");
    assert_int_equal(stg_index_series_count(t->idx, r, db), live);

    for (int i = 0; i < NSER; i++) {
        size_t kl = key_of(&S[i], key, sizeof key);
        uint64_t id;
        int rc = stg_index_series_lookup(t->idx, r, db, key, kl, &id);
        if (!S[i].live) {
            assert_int_equal(rc, STRATA_ENOTFOUND);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_true(id == S[i].id);
        const char *k2;
        size_t k2l;
        assert_int_equal(stg_index_series_key(t->idx, r, db, id, &k2, &k2l), 0);
        assert_int_equal(k2l, kl);
        assert_memory_equal(k2, key, kl);
    }
    /* Only live long values keep a record; no collisions means no probe entries. */
    assert_int_equal(entries(r, "idx.tagv", db), long_live);
    assert_int_equal(entries(r, "idx.sovf", db), 0);
    stg_idset_fini(&got);
    mdb_txn_abort(r);
    printf("  verified %s: %zu live series\n", when, live);
}

static void ensure_one(tenv *t, MDB_txn *w, uint32_t db, int i)
{
    stg_tag tags[NKEYS];
    size_t n = tags_of(&S[i], tags);
    uint64_t id;
    int created;
    strata_error err = {0};
    int rc = stg_index_series_ensure(t->idx, w, db, MEAS[S[i].meas], strlen(MEAS[S[i].meas]), tags,
                                     n, &id, &created, &err);
    if (rc != 0) fail_msg("ensure %d: %s", i, err.msg);
    assert_int_equal(created, !S[i].live);
    if (S[i].live) assert_true(id == S[i].id);
    S[i].live = 1;
    S[i].id = id;
}

/* Ensure series idx[0..n) in one batch call (repeats allowed). */
static void ensure_batch(tenv *t, MDB_txn *w, uint32_t db, const int *ix, size_t n)
{
    static stg_series_in in[512];
    static stg_tag tags[512][NKEYS];
    static uint64_t ids[512];
    static uint8_t cr[512];
    static int seen[NSER];
    strata_error err = {0};
    for (size_t j = 0; j < n; j++) {
        const mser *s = &S[ix[j]];
        in[j].meas = MEAS[s->meas];
        in[j].mlen = strlen(MEAS[s->meas]);
        in[j].tags = tags[j];
        in[j].ntags = tags_of(s, tags[j]);
    }
    int rc = stg_index_series_ensure_batch(t->idx, w, db, in, n, ids, cr, &err);
    if (rc != 0) fail_msg("batch: %s", err.msg);
    for (size_t j = 0; j < n; j++)
        seen[ix[j]] = 0;
    for (size_t j = 0; j < n; j++) {
        mser *s = &S[ix[j]];
        int first = !seen[ix[j]];
        seen[ix[j]] = 1;
        assert_int_equal(cr[j], first && !s->live ? 1 : 0);
        if (s->live || !first) assert_true(ids[j] == s->id);
        if (first && !s->live) {
            s->id = ids[j];
            /* Mark live only after all repeats in this batch are checked. */
        }
    }
    for (size_t j = 0; j < n; j++)
        S[ix[j]].live = 1;
}

static void model_round_trips(void **state)
{
    (void)state;
    uint64_t seed = 0xC0FFEE17;
    printf("model_round_trips seed=0x%llx\n", (unsigned long long)seed);
    trand_seed(seed);
    init_vals();
    gen();

    tenv t = {0};
    assert_int_equal(tenv_open(&t), 0);
    uint32_t db, other;
    MDB_txn *w = tenv_w(&t);
    assert_int_equal(stg_index_db_create(t.idx, w, "model", 5, &db, NULL), 0);
    assert_int_equal(stg_index_db_create(t.idx, w, "other", 5, &other, NULL), 0);
    /* A neighbouring database with the same series must not leak into queries. */
    for (int i = 0; i < NSER; i += 7) {
        stg_tag tags[NKEYS];
        size_t n = tags_of(&S[i], tags);
        uint64_t id;
        int created;
        assert_int_equal(stg_index_series_ensure(t.idx, w, other, MEAS[S[i].meas],
                                                 strlen(MEAS[S[i].meas]), tags, n, &id, &created,
                                                 NULL),
                         0);
    }

    /* 1. First half one by one, with repeats. */
    for (int i = 0; i < NSER / 2; i++) {
        ensure_one(&t, w, db, i);
        if (trand() % 4 == 0) ensure_one(&t, w, db, (int)(trand() % (uint64_t)(i + 1)));
    }
    /* 2. Second half in random-size batches mixing new, repeated and known series. */
    int ix[512];
    for (int i = NSER / 2; i < NSER;) {
        size_t n = 0, want = 1 + trand() % 300;
        while (n < want && i < NSER) {
            uint64_t r = trand() % 10;
            if (r < 7)
                ix[n++] = i++;
            else if (r < 9 && n > 0) {
                int again = ix[trand() % n];
                ix[n++] = again;
            } else
                ix[n++] = (int)(trand() % (uint64_t)i);
        }
        ensure_batch(&t, w, db, ix, n);
    }
    assert_int_equal(mdb_txn_commit(w), 0);
    for (int i = 0; i < NSER; i++) {
        char key[4096];
        size_t kl = key_of(&S[i], key, sizeof key);
        assert_true(S[i].id == XXH64(key, kl, 0)); /* no collisions in 64 bits here */
    }
    verify(&t, db, "after creation");

    /* 3. Delete about a third, drop one measurement. */
    w = tenv_w(&t);
    strata_error err = {0};
    for (int i = 0; i < NSER; i++)
        if (S[i].live && trand() % 3 == 0) {
            assert_int_equal(stg_index_series_delete(t.idx, w, db, S[i].id, &err), 0);
            S[i].live = 0;
        }
    /* Empty one long value (key "a", value 5) and one tag key ("e" in "mem") entirely,
     * so their records must go with the last series. */
    for (int i = 0; i < NSER; i++)
        if (S[i].live && (S[i].val[0] == 5 || (S[i].meas == 2 && S[i].val[4] >= 0))) {
            assert_int_equal(stg_index_series_delete(t.idx, w, db, S[i].id, &err), 0);
            S[i].live = 0;
        }
    uint32_t mid;
    assert_int_equal(stg_index_meas_lookup(t.idx, w, db, "disk", 4, &mid), 0);
    stg_idset dropped;
    stg_idset_init(&dropped);
    assert_int_equal(stg_idset_add(&dropped, 7), 0); /* results are added to what is there */
    assert_int_equal(stg_index_meas_drop(t.idx, w, db, mid, &dropped, &err), 0);
    static uint64_t want[NSER + 1];
    size_t nd = 0;
    want[nd++] = 7;
    for (int i = 0; i < NSER; i++)
        if (S[i].live && S[i].meas == 1) {
            want[nd++] = S[i].id;
            S[i].live = 0;
        }
    expect_ids(&dropped, want, nd, "meas_drop");
    assert_int_equal(stg_index_meas_drop(t.idx, w, db, mid, NULL, &err), STRATA_ENOTFOUND);
    assert_int_equal(mdb_txn_commit(w), 0);
    verify(&t, db, "after deletes");

    assert_int_equal(tenv_reopen(&t), 0);
    verify(&t, db, "after reopen");

    /* 4. Recreate some deleted series, single and batched: same ids as before. */
    w = tenv_w(&t);
    size_t n = 0;
    for (int i = 0; i < NSER; i++)
        if (!S[i].live && trand() % 2 == 0) {
            uint64_t old = S[i].id;
            if (n % 2 == 0) {
                ensure_one(&t, w, db, i);
            } else {
                ix[0] = i;
                ensure_batch(&t, w, db, ix, 1);
            }
            assert_true(S[i].id == old);
            n++;
        }
    assert_int_equal(mdb_txn_commit(w), 0);
    verify(&t, db, "after recreation");
    stg_idset_fini(&dropped);
    tenv_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
