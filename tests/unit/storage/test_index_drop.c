/*
 * tests/unit/storage/test_index_drop.c: measurement drop and database drop
 * remove every index entry they own and nothing else. Three databases hold
 * overlapping series (long names, long tag values, fields, and a forced id
 * collision so idx.sovf has entries); every idx.* sub-database is
 * fingerprinted per database id before and after each drop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include <cmocka.h>

#include "common/bytes.h"
#include "index_testutil.h"

static const char *SUBDBS[] = {"idx.db",   "idx.series", "idx.sovf", "idx.postings",
                               "idx.meas", "idx.tagk",   "idx.tagv", "idx.field"};
#define NSUB (sizeof SUBDBS / sizeof SUBDBS[0])

/* Count and content hash of the entries of database db in every sub-database. */
typedef struct print {
    size_t n[NSUB];
    uint64_t h[NSUB];
} print;

static print fingerprint(tenv *t, uint32_t db)
{
    print p;
    memset(&p, 0, sizeof p);
    MDB_txn *r = tenv_r(t);
    uint8_t pre[4] = {(uint8_t)(db >> 24), (uint8_t)(db >> 16), (uint8_t)(db >> 8), (uint8_t)db};
    for (size_t s = 0; s < NSUB; s++) {
        MDB_dbi dbi;
        MDB_cursor *c;
        MDB_val k = {4, pre}, v;
        assert_int_equal(mdb_dbi_open(r, SUBDBS[s], 0, &dbi), 0);
        assert_int_equal(mdb_cursor_open(r, dbi, &c), 0);
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
             rc == 0 && k.mv_size >= 4 && memcmp(k.mv_data, pre, 4) == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            p.n[s]++;
            p.h[s] = XXH64(k.mv_data, k.mv_size, p.h[s]);
            p.h[s] = XXH64(v.mv_data, v.mv_size, p.h[s]);
        }
        mdb_cursor_close(c);
    }
    mdb_txn_abort(r);
    return p;
}

static size_t total(const print *p)
{
    size_t n = 0;
    for (size_t s = 0; s < NSUB; s++)
        n += p->n[s];
    return n;
}

/* Make "cpu,host=h1" and "cpu,host=h3" collide, in every database. */
static uint64_t hook(const void *key, size_t len)
{
    if (len == 11 && memcmp(key, "cpu,host=h3", 11) == 0) return XXH64("cpu,host=h1", 11, 0);
    return XXH64(key, len, 0);
}

static char LONGV[700], LONGM[900];

static void fill(tenv *t, MDB_txn *w, uint32_t db)
{
    strata_error err = {0};
    char host[16];
    uint64_t id;
    int created;
    uint32_t mid, fid;
    for (int i = 1; i <= 40; i++) {
        snprintf(host, sizeof host, "h%d", i);
        stg_tag a[] = {ttag("host", host), ttag("path", i % 3 ? "/" : LONGV)};
        assert_int_equal(
            stg_index_series_ensure(t->idx, w, db, "cpu", 3, a, i % 2 ? 1 : 2, &id, &created, &err),
            0);
        stg_tag b[] = {ttag("dev", host)};
        assert_int_equal(
            stg_index_series_ensure(t->idx, w, db, "mem", 3, b, 1, &id, &created, &err), 0);
        assert_int_equal(
            stg_index_series_ensure(t->idx, w, db, LONGM, strlen(LONGM), b, 1, &id, &created, &err),
            0);
    }
    const char *ms[] = {"cpu", "mem", LONGM};
    for (int m = 0; m < 3; m++) {
        assert_int_equal(stg_index_meas_lookup(t->idx, w, db, ms[m], strlen(ms[m]), &mid), 0);
        assert_int_equal(
            stg_index_field_ensure(t->idx, w, db, mid, "value", 5, STG_FLOAT, &fid, &err), 0);
        assert_int_equal(
            stg_index_field_ensure(t->idx, w, db, mid, LONGV, strlen(LONGV), STG_INT, &fid, &err),
            0);
    }
}

static void drops_remove_exactly_their_entries(void **state)
{
    (void)state;
    memset(LONGV, 'v', sizeof LONGV - 1);
    memset(LONGM, 'm', sizeof LONGM - 1);
    tenv t = {0};
    assert_int_equal(tenv_open(&t), 0);
    stg_index_set_hash_fn(t.idx, hook);
    strata_error err = {0};
    uint32_t dbs[3];
    MDB_txn *w = tenv_w(&t);
    const char *names[3] = {"a", "b", "c"};
    for (int d = 0; d < 3; d++) {
        assert_int_equal(stg_index_db_create(t.idx, w, names[d], 1, &dbs[d], &err), 0);
        fill(&t, w, dbs[d]);
    }
    assert_int_equal(mdb_txn_commit(w), 0);

    print before[3];
    for (int d = 0; d < 3; d++) {
        before[d] = fingerprint(&t, dbs[d]);
        assert_true(before[d].n[2] == 1); /* the forced collision: h3 displaced by h1 */
        assert_true(before[d].n[6] > 0);  /* long tag values */
    }

    /* Measurement drop in b: cpu goes, mem and the long one stay. */
    w = tenv_w(&t);
    uint32_t cpu, mid;
    assert_int_equal(stg_index_meas_lookup(t.idx, w, dbs[1], "cpu", 3, &cpu), 0);
    uint64_t n0 = stg_index_series_count(t.idx, w, dbs[1]);
    stg_idset dropped;
    stg_idset_init(&dropped);
    assert_int_equal(stg_index_meas_drop(t.idx, w, dbs[1], cpu, &dropped, &err), 0);
    assert_int_equal(dropped.n, 40);
    assert_int_equal(stg_index_series_count(t.idx, w, dbs[1]), n0 - 40);
    for (size_t i = 0; i < dropped.n; i++) {
        const char *k;
        size_t kl;
        assert_int_equal(stg_index_series_key(t.idx, w, dbs[1], dropped.ids[i], &k, &kl),
                         STRATA_ENOTFOUND);
    }
    assert_int_equal(stg_index_meas_lookup(t.idx, w, dbs[1], "cpu", 3, &mid), STRATA_ENOTFOUND);
    assert_int_equal(stg_index_meas_lookup(t.idx, w, dbs[1], "mem", 3, &mid), 0);
    stg_idset s;
    stg_idset_init(&s);
    assert_int_equal(stg_index_tag_series(t.idx, w, dbs[1], mid, "dev", 3, "h7", 2, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(mdb_txn_commit(w), 0);

    print after = fingerprint(&t, dbs[1]);
    assert_int_equal(after.n[2], 0); /* its probe entries went with cpu */
    assert_int_equal(after.n[6], 0); /* and its long tag values */
    assert_int_equal(after.n[1], before[1].n[1] - 40);
    /* Nothing under (b, cpu) remains in the per-measurement sub-databases. */
    MDB_txn *r = tenv_r(&t);
    for (size_t sdb = 3; sdb < NSUB; sdb++) {
        if (sdb == 4) continue; /* idx.meas is keyed by name, checked through lookups above */
        MDB_dbi dbi;
        MDB_cursor *c;
        uint8_t pre[8];
        strata_put_be32(pre, dbs[1]);
        strata_put_be32(pre + 4, cpu);
        MDB_val k = {8, pre}, v;
        assert_int_equal(mdb_dbi_open(r, SUBDBS[sdb], 0, &dbi), 0);
        assert_int_equal(mdb_cursor_open(r, dbi, &c), 0);
        int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        assert_false(rc == 0 && k.mv_size >= 8 && memcmp(k.mv_data, pre, 8) == 0);
        mdb_cursor_close(c);
    }
    mdb_txn_abort(r);
    for (int d = 0; d < 3; d += 2) {
        print p = fingerprint(&t, dbs[d]);
        assert_memory_equal(&p, &before[d], sizeof p);
    }

    /* Database drop of a: nothing of a anywhere, b and c untouched. */
    print b_now = fingerprint(&t, dbs[1]);
    w = tenv_w(&t);
    assert_int_equal(stg_index_db_drop(t.idx, w, dbs[0], &err), 0);
    assert_int_equal(stg_index_db_drop(t.idx, w, dbs[0], &err), STRATA_ENOTFOUND);
    assert_int_equal(mdb_txn_commit(w), 0);
    print a_now = fingerprint(&t, dbs[0]);
    assert_int_equal(total(&a_now), 0);
    print p = fingerprint(&t, dbs[1]);
    assert_memory_equal(&p, &b_now, sizeof p);
    p = fingerprint(&t, dbs[2]);
    assert_memory_equal(&p, &before[2], sizeof p);
    r = tenv_r(&t);
    uint32_t got;
    assert_int_equal(stg_index_db_lookup(t.idx, r, "a", 1, &got), STRATA_ENOTFOUND);
    assert_int_equal(stg_index_db_lookup(t.idx, r, "c", 1, &got), 0);
    assert_int_equal(got, dbs[2]);
    assert_int_equal(stg_index_series_count(t.idx, r, dbs[0]), 0);
    uint64_t id;
    assert_int_equal(stg_index_series_lookup(t.idx, r, dbs[0], "cpu,host=h1", 11, &id),
                     STRATA_ENOTFOUND);
    assert_int_equal(stg_index_series_lookup(t.idx, r, dbs[2], "cpu,host=h1", 11, &id), 0);
    mdb_txn_abort(r);

    /* Everything can be dropped: the index is then back to its version record. */
    w = tenv_w(&t);
    assert_int_equal(stg_index_db_drop(t.idx, w, dbs[1], &err), 0);
    assert_int_equal(stg_index_db_drop(t.idx, w, dbs[2], &err), 0);
    assert_int_equal(mdb_txn_commit(w), 0);
    r = tenv_r(&t);
    for (size_t sdb = 0; sdb < NSUB; sdb++) {
        MDB_dbi dbi;
        MDB_stat st;
        assert_int_equal(mdb_dbi_open(r, SUBDBS[sdb], 0, &dbi), 0);
        assert_int_equal(mdb_stat(r, dbi, &st), 0);
        /* idx.db keeps the version and next-id records of the catalog. */
        assert_int_equal(st.ms_entries, sdb == 0 ? 2 : 0);
    }
    mdb_txn_abort(r);
    stg_idset_fini(&s);
    stg_idset_fini(&dropped);
    tenv_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drops_remove_exactly_their_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
