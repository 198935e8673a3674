/*
 * Helpers shared by the engine's unit tests (test_engine.c, test_retention.c):
 * a fresh temporary directory per test, an engine on it, one-point writes,
 * series and field lookups, and reading a whole column back.
 */
#ifndef STRATA_TESTS_ENGINE_TESTUTIL_H
#define STRATA_TESTS_ENGINE_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "storage/engine.h"

#define SEC 1000000000ll

static char tmpdir[512];

static inline int setup(void **state)
{
    const char *base = getenv("STRATA_TEST_TMP");
    if (base == NULL) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/engine-XXXXXX", base);
    assert_non_null(mkdtemp(tmpdir));
    *state = tmpdir;
    return 0;
}

static inline int teardown(void **state)
{
    (void)state;
    strata_rm_tree(tmpdir);
    return 0;
}

/* The tests' options: the temporary directory, no fsync, a 1 GiB map, no background thread. */
static inline void test_options(stg_options *o)
{
    stg_options_default(o);
    o->dir = tmpdir;
    o->wal_sync = 0;
    o->background = 0;
    o->map_bytes = (size_t)1 << 30;
}

/* Open an engine with o; fails the test on an error. */
static inline stg_engine *open_engine_with(const stg_options *o)
{
    stg_engine *e = NULL;
    strata_error err = {0};
    int rc = stg_engine_open(o, &e, &err);
    if (rc != STRATA_OK) fail_msg("open: %s", err.msg);
    return e;
}

static inline stg_engine *open_engine(int background, int64_t partition_ns)
{
    stg_options o;
    test_options(&o);
    o.background = background;
    o.partition_ns = partition_ns;
    return open_engine_with(&o);
}

/* Write one point with one field. */
static inline void put1(stg_engine *e, uint32_t db, const char *meas, const char *host,
                        const char *field, stg_type t, uint64_t v, const char *s, int64_t ts)
{
    stg_batch *b;
    stg_write_result res;
    strata_error err = {0};
    stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
    stg_field_in f = {field, (uint32_t)strlen(field), t, v, s, s ? (uint32_t)strlen(s) : 0};
    stg_point_in p = {meas, (uint32_t)strlen(meas), &tag, 1, &f, 1, ts};
    assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
    assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
    int rc = stg_batch_commit(b, &res, &err);
    if (rc != STRATA_OK) fail_msg("commit: %s", err.msg);
    assert_int_equal(res.points_rejected, 0);
    stg_batch_free(b);
}

static inline uint64_t series_of(stg_engine *e, uint32_t db, const char *meas, const char *host)
{
    char key[256];
    stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
    size_t n = stg_series_key_build(meas, strlen(meas), &tag, 1, key, sizeof key);
    MDB_txn *txn;
    uint64_t id = 0;
    assert_int_equal(stg_engine_read_begin(e, &txn, NULL), STRATA_OK);
    assert_int_equal(stg_index_series_lookup(stg_engine_index(e), txn, db, key, n, &id), STRATA_OK);
    stg_engine_read_end(e, txn);
    return id;
}

static inline uint32_t field_of(stg_engine *e, uint32_t db, const char *meas, const char *field)
{
    MDB_txn *txn;
    uint32_t mid, fid;
    stg_type t;
    assert_int_equal(stg_engine_read_begin(e, &txn, NULL), STRATA_OK);
    assert_int_equal(stg_index_meas_lookup(stg_engine_index(e), txn, db, meas, strlen(meas), &mid),
                     STRATA_OK);
    assert_int_equal(
        stg_index_field_lookup(stg_engine_index(e), txn, db, mid, field, strlen(field), &fid, &t),
        STRATA_OK);
    stg_engine_read_end(e, txn);
    return fid;
}

/* Read a whole column into arrays (decoding every block). @return count. */
static inline size_t read_all(stg_engine *e, uint32_t db, uint64_t series, uint32_t field,
                              int64_t t0, int64_t t1, int64_t *ts, uint64_t *vals, char (*strs)[64],
                              size_t cap)
{
    stg_iter *it;
    stg_block b;
    strata_error err = {0};
    size_t n = 0;
    int rc;
    assert_int_equal(stg_iter_open(e, db, series, field, t0, t1, &it, &err), STRATA_OK);
    while ((rc = stg_iter_next(it, 0, &b, &err)) == 1) {
        assert_int_equal(b.decoded, 1);
        for (uint32_t i = 0; i < b.n; i++) {
            assert_true(n < cap);
            if (n > 0) assert_true(b.ts[i] > ts[n - 1]);
            ts[n] = b.ts[i];
            vals[n] = b.vals[i];
            if (strs) {
                uint32_t len = stg_val_str_len(b.vals[i]);
                assert_true(len < 64);
                memcpy(strs[n], b.strbuf + stg_val_str_off(b.vals[i]), len);
                strs[n][len] = '\0';
            }
            n++;
        }
    }
    if (rc != 0) fail_msg("iter: %s", err.msg);
    stg_iter_close(it);
    return n;
}

#endif
