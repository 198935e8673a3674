/*
 * tests/unit/storage/test_index_collide.c: series id collisions forced
 * through the hash hook. With every key hashing alike, ids are taken from
 * the probe sequence h, h+1, ...; series stay distinct, survive deletes in
 * the middle of the chain (and of the home slot), come back after reopen,
 * and the batch path agrees. A hook that makes two chosen keys collide
 * checks both creation orders and that no stale probe entry is left.
 * Long names (> 480 bytes) share the hook, so their equal-prefix-and-hash
 * path runs here too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include <cmocka.h>

#include "index_testutil.h"

#define H 0x1234500000000000ull

static uint64_t const_hash(const void *key, size_t len)
{
    (void)key;
    (void)len;
    return H;
}

/* Keys A and B collide: B hashes like A. */
static const char *KEY_A = "cpu,host=a";
static const char *KEY_B = "cpu,host=b";
static uint64_t pair_hash(const void *key, size_t len)
{
    if (len == strlen(KEY_B) && memcmp(key, KEY_B, len) == 0) return XXH64(KEY_A, strlen(KEY_A), 0);
    return XXH64(key, len, 0);
}

/* Entries in a sub-database (opened by name, as the index names them). */
static size_t entries(tenv *t, const char *name)
{
    MDB_txn *r = tenv_r(t);
    MDB_dbi dbi;
    MDB_stat st;
    assert_int_equal(mdb_dbi_open(r, name, 0, &dbi), 0);
    assert_int_equal(mdb_stat(r, dbi, &st), 0);
    mdb_txn_abort(r);
    return st.ms_entries;
}

static uint32_t mkdb(tenv *t)
{
    MDB_txn *w = tenv_w(t);
    uint32_t db;
    assert_int_equal(stg_index_db_create(t->idx, w, "d", 1, &db, NULL), 0);
    assert_int_equal(mdb_txn_commit(w), 0);
    return db;
}

static uint64_t ensure_host(tenv *t, MDB_txn *w, uint32_t db, const char *host, int want_created)
{
    stg_tag tg[] = {ttag("host", host)};
    uint64_t id;
    int created;
    strata_error err = {0};
    int rc = stg_index_series_ensure(t->idx, w, db, "cpu", 3, tg, 1, &id, &created, &err);
    if (rc != 0) fail_msg("ensure %s: %s", host, err.msg);
    assert_int_equal(created, want_created);
    return id;
}

static void lookup_host(tenv *t, MDB_txn *txn, uint32_t db, const char *host, int want_rc,
                        uint64_t want_id)
{
    char key[64];
    uint64_t id = 0;
    snprintf(key, sizeof key, "cpu,host=%s", host);
    assert_int_equal(stg_index_series_lookup(t->idx, txn, db, key, strlen(key), &id), want_rc);
    if (want_rc == 0 && id != want_id)
        fail_msg("%s: id %llx, want %llx", key, (unsigned long long)id,
                 (unsigned long long)want_id);
}

static void all_keys_collide(void **state)
{
    (void)state;
    tenv t = {0};
    assert_int_equal(tenv_open(&t), 0);
    stg_index_set_hash_fn(t.idx, const_hash);
    uint32_t db = mkdb(&t);
    strata_error err = {0};
    char host[16];
    enum { N = 50 };

    MDB_txn *w = tenv_w(&t);
    for (int i = 0; i < N; i++) {
        snprintf(host, sizeof host, "h%02d", i);
        assert_true(ensure_host(&t, w, db, host, 1) == H + (uint64_t)i);
    }
    for (int i = 0; i < N; i++) {
        snprintf(host, sizeof host, "h%02d", i);
        assert_true(ensure_host(&t, w, db, host, 0) == H + (uint64_t)i);
    }
    /* Delete the middle of the chain, then the home slot. */
    assert_int_equal(stg_index_series_delete(t.idx, w, db, H + 25, &err), 0);
    assert_int_equal(stg_index_series_delete(t.idx, w, db, H, &err), 0);
    assert_int_equal(mdb_txn_commit(w), 0);

    assert_int_equal(tenv_reopen(&t), 0);
    stg_index_set_hash_fn(t.idx, const_hash);
    MDB_txn *r = tenv_r(&t);
    for (int i = 0; i < N; i++) {
        snprintf(host, sizeof host, "h%02d", i);
        lookup_host(&t, r, db, host, i == 0 || i == 25 ? STRATA_ENOTFOUND : 0, H + (uint64_t)i);
    }
    assert_int_equal(stg_index_series_count(t.idx, r, db), N - 2);
    uint32_t mid;
    stg_idset s;
    stg_idset_init(&s);
    assert_int_equal(stg_index_meas_lookup(t.idx, r, db, "cpu", 3, &mid), 0);
    assert_int_equal(stg_index_tag_series(t.idx, r, db, mid, "host", 4, "h30", 3, &s), 0);
    assert_int_equal(s.n, 1);
    assert_true(s.ids[0] == H + 30);
    mdb_txn_abort(r);

    /* New series fill the freed slots in probe order; old ones are unaffected. */
    w = tenv_w(&t);
    assert_true(ensure_host(&t, w, db, "new1", 1) == H);
    assert_true(ensure_host(&t, w, db, "h25", 1) == H + 25);
    assert_true(ensure_host(&t, w, db, "new2", 1) == H + N);
    for (int i = 1; i < N; i++) {
        snprintf(host, sizeof host, "h%02d", i);
        lookup_host(&t, w, db, host, 0, H + (uint64_t)i);
    }

    /* The batch path agrees, duplicates included. */
    stg_series_in in[6];
    stg_tag tg[6][1];
    const char *hosts[6] = {"b1", "h10", "b2", "b1", "new1", "b3"};
    for (int i = 0; i < 6; i++) {
        tg[i][0] = ttag("host", hosts[i]);
        in[i] = (stg_series_in){"cpu", 3, tg[i], 1};
    }
    uint64_t ids[6];
    uint8_t cr[6];
    assert_int_equal(stg_index_series_ensure_batch(t.idx, w, db, in, 6, ids, cr, &err), 0);
    assert_true(ids[1] == H + 10 && cr[1] == 0);
    assert_true(ids[4] == H && cr[4] == 0);
    assert_true(ids[0] == ids[3] && cr[0] == 1 && cr[3] == 0);
    assert_true(cr[2] == 1 && cr[5] == 1);
    /* Three new ids, each past the previously taken ones, all distinct. */
    assert_true(ids[0] >= H + N + 1 && ids[2] >= H + N + 1 && ids[5] >= H + N + 1);
    assert_true(ids[0] != ids[2] && ids[2] != ids[5] && ids[0] != ids[5]);
    lookup_host(&t, w, db, "b2", 0, ids[2]);
    lookup_host(&t, w, db, "b3", 0, ids[5]);
    assert_int_equal(stg_index_series_count(t.idx, w, db), N + 1 + 3);
    /* Every series except the home one has a probe entry. */
    assert_int_equal(mdb_txn_commit(w), 0);
    assert_int_equal(entries(&t, "idx.sovf"), N + 3);
    stg_idset_fini(&s);
    tenv_close(&t);
}

typedef struct vals4 {
    char v[4][600];
    int n;
} vals4;

static int collect4(void *ctx, const char *v, size_t vl)
{
    vals4 *g = ctx;
    assert_true(g->n < 4 && vl == 599);
    memcpy(g->v[g->n++], v, vl);
    return 0;
}

static void long_names_collide(void **state)
{
    (void)state;
    tenv t = {0};
    assert_int_equal(tenv_open(&t), 0);
    stg_index_set_hash_fn(t.idx, const_hash);
    uint32_t db = mkdb(&t);
    strata_error err = {0};
    static char meas[3][700], val[4][600];
    for (int i = 0; i < 3; i++) {
        memset(meas[i], 'm', 699);
        meas[i][699] = '\0';
        meas[i][650] = (char)('a' + i);
    }
    for (int i = 0; i < 4; i++) {
        memset(val[i], 'v', 599);
        val[i][599] = '\0';
        val[i][500] = (char)('d' - i); /* val[3] < val[2] < val[1] < val[0] */
    }
    MDB_txn *w = tenv_w(&t);
    uint64_t ids[3][4];
    for (int m = 0; m < 3; m++)
        for (int v = 0; v < 4; v++) {
            stg_tag tg[] = {ttag("k", val[v])};
            int created;
            assert_int_equal(stg_index_series_ensure(t.idx, w, db, meas[m], 699, tg, 1, &ids[m][v],
                                                     &created, &err),
                             0);
            assert_int_equal(created, 1);
        }
    uint32_t mids[3];
    for (int m = 0; m < 3; m++)
        assert_int_equal(stg_index_meas_lookup(t.idx, w, db, meas[m], 699, &mids[m]), 0);
    assert_int_not_equal(mids[0], mids[1]);
    assert_int_not_equal(mids[1], mids[2]);
    /* Delete the first long value (sequence 0) of measurement 1; the others still resolve. */
    assert_int_equal(stg_index_series_delete(t.idx, w, db, ids[1][0], &err), 0);
    stg_idset s;
    stg_idset_init(&s);
    for (int m = 0; m < 3; m++)
        for (int v = 0; v < 4; v++) {
            assert_int_equal(stg_index_tag_series(t.idx, w, db, mids[m], "k", 1, val[v], 599, &s),
                             0);
            if (m == 1 && v == 0) {
                assert_int_equal(s.n, 0);
            } else {
                assert_int_equal(s.n, 1);
                assert_true(s.ids[0] == ids[m][v]);
            }
        }
    /* A new long value in measurement 1 takes a fresh sequence number, not the freed one. */
    static char v5[600];
    memcpy(v5, val[0], sizeof v5);
    v5[550] = 'z';
    stg_tag tg[] = {ttag("k", v5)};
    uint64_t id5;
    int created;
    assert_int_equal(
        stg_index_series_ensure(t.idx, w, db, meas[1], 699, tg, 1, &id5, &created, &err), 0);
    assert_int_equal(mdb_txn_commit(w), 0);
    assert_int_equal(entries(&t, "idx.tagv"), 3 * 4);

    assert_int_equal(tenv_reopen(&t), 0);
    stg_index_set_hash_fn(t.idx, const_hash);
    MDB_txn *r = tenv_r(&t);
    assert_int_equal(stg_index_tag_series(t.idx, r, db, mids[1], "k", 1, v5, 599, &s), 0);
    assert_int_equal(s.n, 1);
    assert_true(s.ids[0] == id5);
    /* Listing is sorted by full value even though keys order by hash and sequence. */
    vals4 got = {0};
    assert_int_equal(stg_index_tag_values(t.idx, r, db, mids[0], "k", 1, collect4, &got), 0);
    assert_int_equal(got.n, 4);
    for (int i = 0; i < 4; i++)
        assert_memory_equal(got.v[i], val[3 - i], 599);
    mdb_txn_abort(r);
    stg_idset_fini(&s);
    tenv_close(&t);
}

static void two_keys_collide(void **state)
{
    (void)state;
    uint64_t ha = XXH64(KEY_A, strlen(KEY_A), 0);
    for (int order = 0; order < 2; order++) {
        tenv t = {0};
        assert_int_equal(tenv_open(&t), 0);
        stg_index_set_hash_fn(t.idx, pair_hash);
        uint32_t db = mkdb(&t);
        strata_error err = {0};
        MDB_txn *w = tenv_w(&t);
        uint64_t a, b;
        if (order == 0) {
            a = ensure_host(&t, w, db, "a", 1);
            b = ensure_host(&t, w, db, "b", 1);
            assert_true(a == ha && b == ha + 1);
        } else {
            b = ensure_host(&t, w, db, "b", 1);
            a = ensure_host(&t, w, db, "a", 1);
            assert_true(b == ha && a == ha + 1);
        }
        assert_int_equal(mdb_txn_commit(w), 0);
        assert_int_equal(entries(&t, "idx.sovf"), 1);

        w = tenv_w(&t);
        lookup_host(&t, w, db, "a", 0, a);
        lookup_host(&t, w, db, "b", 0, b);
        /* Restore must see the collision: A's id may not go to B and vice versa. */
        assert_int_equal(stg_index_series_restore(t.idx, w, db, KEY_B, strlen(KEY_B), a, &err),
                         STRATA_ECORRUPT);
        assert_int_equal(stg_index_series_restore(t.idx, w, db, KEY_B, strlen(KEY_B), b, &err), 0);
        /* Delete the one at home: the displaced one is still found. */
        uint64_t home = order == 0 ? a : b, away = order == 0 ? b : a;
        assert_int_equal(stg_index_series_delete(t.idx, w, db, home, &err), 0);
        lookup_host(&t, w, db, order == 0 ? "b" : "a", 0, away);
        lookup_host(&t, w, db, order == 0 ? "a" : "b", STRATA_ENOTFOUND, 0);
        /* Recreating the deleted one takes the free home slot. */
        assert_true(ensure_host(&t, w, db, order == 0 ? "a" : "b", 1) == home);
        /* Delete the displaced one: its probe entry goes with it. */
        assert_int_equal(stg_index_series_delete(t.idx, w, db, away, &err), 0);
        assert_int_equal(mdb_txn_commit(w), 0);
        assert_int_equal(entries(&t, "idx.sovf"), 0);
        tenv_close(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_keys_collide),
        cmocka_unit_test(long_names_collide),
        cmocka_unit_test(two_keys_collide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
