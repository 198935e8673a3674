/*
 * tests/unit/storage/test_index_bulk.c: 200,000 series created in one write
 * transaction (half one call each, half through the batch API), the
 * environment closed and reopened, then every series looked up by key, its
 * key read back by id, and the counts and posting sizes checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include <cmocka.h>

#include "common/clock.h"
#include "index_testutil.h"

#define N 200000
#define BATCH 5000

typedef struct shape {
    char meas[8], host[16], id[16];
    stg_tag tags[3];
} shape;

static void make(shape *s, long i)
{
    snprintf(s->meas, sizeof s->meas, "m%ld", i % 4);
    snprintf(s->host, sizeof s->host, "host-%05ld", i % 20000);
    snprintf(s->id, sizeof s->id, "%ld", i);
    s->tags[0] = ttag("host", s->host);
    s->tags[1] = ttag("id", s->id);
    s->tags[2] = ttag("region", i % 2 ? "eu" : "us");
}

static void bulk_create_reopen_lookup(void **state)
{
    (void)state;
    tenv t = {0};
    assert_int_equal(tenv_open(&t), 0);
    strata_error err = {0};
    uint32_t db;
    MDB_txn *w = tenv_w(&t);
    assert_int_equal(stg_index_db_create(t.idx, w, "bulk", 4, &db, &err), 0);
    assert_int_equal(mdb_txn_commit(w), 0);

    static shape sh[BATCH];
    static stg_series_in in[BATCH];
    static uint64_t ids[BATCH];
    static uint8_t cr[BATCH];
    int64_t t0 = strata_mono_ns();
    w = tenv_w(&t);
    for (long i = 0; i < N / 2; i++) {
        shape s;
        make(&s, i);
        uint64_t id;
        int created;
        int rc = stg_index_series_ensure(t.idx, w, db, s.meas, strlen(s.meas), s.tags, 3, &id,
                                         &created, &err);
        if (rc != 0 || !created) fail_msg("series %ld: %d %s", i, rc, err.msg);
    }
    for (long i = N / 2; i < N; i += BATCH) {
        for (long j = 0; j < BATCH; j++) {
            make(&sh[j], i + j);
            in[j] = (stg_series_in){sh[j].meas, strlen(sh[j].meas), sh[j].tags, 3};
        }
        assert_int_equal(stg_index_series_ensure_batch(t.idx, w, db, in, BATCH, ids, cr, &err), 0);
        for (long j = 0; j < BATCH; j++)
            assert_int_equal(cr[j], 1);
    }
    assert_int_equal(stg_index_series_count(t.idx, w, db), N);
    assert_int_equal(mdb_txn_commit(w), 0);
    printf("created %d series in one transaction in %.2f s\n", N,
           (double)(strata_mono_ns() - t0) / 1e9);

    assert_int_equal(tenv_reopen(&t), 0);
    t0 = strata_mono_ns();
    MDB_txn *r = tenv_r(&t);
    char key[128];
    for (long i = 0; i < N; i++) {
        shape s;
        make(&s, i);
        size_t kl = stg_series_key_build(s.meas, strlen(s.meas), s.tags, 3, key, sizeof key);
        uint64_t id;
        if (stg_index_series_lookup(t.idx, r, db, key, kl, &id) != 0)
            fail_msg("series %ld (%.*s) not found after reopen", i, (int)kl, key);
        assert_true(id == XXH64(key, kl, 0));
        const char *k2;
        size_t k2l;
        assert_int_equal(stg_index_series_key(t.idx, r, db, id, &k2, &k2l), 0);
        assert_int_equal(k2l, kl);
        assert_memory_equal(k2, key, kl);
    }
    printf("looked up %d series in %.2f s\n", N, (double)(strata_mono_ns() - t0) / 1e9);
    assert_int_equal(stg_index_series_count(t.idx, r, db), N);
    stg_idset s;
    stg_idset_init(&s);
    uint32_t mid;
    assert_int_equal(stg_index_meas_lookup(t.idx, r, db, "m1", 2, &mid), 0);
    assert_int_equal(stg_index_meas_series(t.idx, r, db, mid, &s), 0);
    assert_int_equal(s.n, N / 4);
    assert_int_equal(stg_index_tag_series(t.idx, r, db, mid, "region", 6, "eu", 2, &s), 0);
    assert_int_equal(s.n, N / 4); /* m1 series all have odd i */
    assert_int_equal(stg_index_tag_series(t.idx, r, db, mid, "host", 4, "host-00001", 10, &s), 0);
    assert_int_equal(s.n, N / 20000);
    stg_idset_fini(&s);
    mdb_txn_abort(r);
    tenv_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bulk_create_reopen_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
