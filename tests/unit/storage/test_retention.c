/*
 * Retention policies on a real engine in a temporary directory: the
 * catalog rules (InfluxDB's defaults, conflicts, errors), namespaces kept
 * apart, shard-group alignment, expiry by watermark with whole-chunk
 * deletes (also across a reopen), the "points beyond retention policy"
 * rule for writes, and dropping a policy or a database with its data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "common/clock.h"
#include "storage/catalog.h"
#include "storage/retention.h"

#include "engine_testutil.h"

#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)

static void fvalue(uint64_t *slot, double v)
{
    memcpy(slot, &v, 8);
}

typedef struct rps {
    stg_rp_info v[8];
    int n;
} rps;

static int rp_cb(void *ctx, const stg_rp_info *rp)
{
    rps *r = ctx;
    if (r->n < 8) r->v[r->n++] = *rp;
    return 0;
}

static rps list(stg_engine *e, const char *db)
{
    rps r = {0};
    strata_error err = {0};
    int rc = stg_rp_list(e, db, rp_cb, &r, &err);
    if (rc != STRATA_OK) fail_msg("list: %s", err.msg);
    return r;
}

static void catalog_rules(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    strata_error err = {0};
    uint32_t db;
    assert_int_equal(stg_db_create(e, "d", &db, &err), STRATA_OK);
    rps r = list(e, "d");
    assert_int_equal(r.n, 1);
    assert_string_equal(r.v[0].name, "autogen");
    assert_int_equal(r.v[0].duration_ns, 0);
    assert_int_equal(r.v[0].shard_ns, 7 * DAY);
    assert_int_equal(r.v[0].replication, 1);
    assert_true(r.v[0].is_default);
    assert_int_equal(r.v[0].ns, db);

    /* Shard durations InfluxDB picks, and its checks. */
    stg_rp_spec s = {"short", 1, 1, 0, HOUR, 1, 0};
    assert_int_equal(stg_rp_create(e, "d", &s, 0, &err), STRATA_OK);
    stg_rp_spec w = {"week", 1, 1, 0, 7 * DAY, 1, 0};
    assert_int_equal(stg_rp_create(e, "d", &w, 1, &err), STRATA_OK);
    stg_rp_spec low = {"low", 1, 1, 0, HOUR / 2, 1, 0};
    assert_int_equal(stg_rp_create(e, "d", &low, 0, &err), STRATA_EINVAL);
    assert_string_equal(err.msg, "retention policy duration must be at least 1h0m0s");
    stg_rp_spec wide = {"wide", 1, 1, 1, 2 * HOUR, 1, 3 * HOUR};
    assert_int_equal(stg_rp_create(e, "d", &wide, 0, &err), STRATA_EINVAL);
    s.duration_ns = 2 * HOUR;
    assert_int_equal(stg_rp_create(e, "d", &s, 0, &err), STRATA_EEXIST);
    assert_string_equal(err.msg, "retention policy already exists");
    assert_int_equal(stg_rp_create(e, "nodb", &w, 0, &err), STRATA_ENOTFOUND);
    assert_string_equal(err.msg, "database not found: nodb");

    r = list(e, "d");
    assert_int_equal(r.n, 3);
    assert_string_equal(r.v[1].name, "short");
    assert_int_equal(r.v[1].shard_ns, HOUR);
    assert_string_equal(r.v[2].name, "week");
    assert_int_equal(r.v[2].shard_ns, DAY);
    assert_true(r.v[2].is_default && !r.v[0].is_default);
    assert_int_not_equal(r.v[1].ns, db);
    assert_int_not_equal(r.v[1].ns, r.v[2].ns);

    stg_rp_info info;
    assert_int_equal(stg_rp_resolve(e, "d", NULL, &info, &err), STRATA_OK);
    assert_string_equal(info.name, "week");
    assert_int_equal(stg_rp_resolve(e, "d", "nope", &info, &err), STRATA_ENOTFOUND);
    assert_string_equal(err.msg, "retention policy not found: nope");

    stg_rp_spec chg = {NULL, 1, 0, 0, 3 * DAY, 0, 0};
    assert_int_equal(stg_rp_alter(e, "d", "week", &chg, 0, &err), STRATA_OK);
    chg.duration_ns = 2 * HOUR; /* shorter than its 1-day shard groups */
    assert_int_equal(stg_rp_alter(e, "d", "week", &chg, 0, &err), STRATA_EINVAL);

    /* Persisted; internal namespaces are not databases. */
    stg_engine_close(e);
    e = open_engine(0, 0);
    r = list(e, "d");
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[2].duration_ns, 3 * DAY);
    uint32_t id;
    char internal[32];
    snprintf(internal, sizeof internal, "\x01%u\x01short", db);
    assert_int_equal(stg_db_lookup(e, internal, &id), STRATA_ENOTFOUND);
    assert_int_equal(stg_db_create(e, "bad\x01name", &id, &err), STRATA_EINVAL);
    stg_engine_close(e);
}

static void group_alignment(void **state)
{
    (void)state;
    /* 7-day groups start on Mondays (Go's zero time is a Monday): 1970-01-01
     * was a Thursday, so the group holding the epoch starts 3 days before. */
    assert_int_equal(stg_rp_group_start(0, 7 * DAY), -3 * DAY);
    assert_int_equal(stg_rp_group_start(4 * DAY, 7 * DAY), 4 * DAY);
    assert_int_equal(stg_rp_group_start(4 * DAY - 1, 7 * DAY), -3 * DAY);
    assert_int_equal(stg_rp_group_start(HOUR + 5, HOUR), HOUR);
    assert_int_equal(stg_rp_group_start(-1, DAY), -DAY);
    assert_int_equal(stg_rp_shard_normalise(0, 0), 7 * DAY);
    assert_int_equal(stg_rp_shard_normalise(0, 180 * DAY), 7 * DAY);
    assert_int_equal(stg_rp_shard_normalise(0, 2 * DAY), DAY);
    assert_int_equal(stg_rp_shard_normalise(0, HOUR), HOUR);
    assert_int_equal(stg_rp_shard_normalise(60 * SEC, 0), HOUR);
}

/* Write n points of one column at t0, t0 + step, ... in batches of 50. */
static void put_run(stg_engine *e, uint32_t ns, const char *host, int64_t t0, int64_t step, int n)
{
    stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
    strata_error err = {0};
    stg_batch *b;
    stg_write_result res;
    assert_int_equal(stg_batch_new(e, ns, &b), STRATA_OK);
    for (int i = 0; i < n; i++) {
        stg_field_in f = {"v", 1, STG_FLOAT, 0, NULL, 0};
        fvalue(&f.val, i);
        stg_point_in p = {"m", 1, &tag, 1, &f, 1, t0 + i * step};
        assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
        if ((i + 1) % 50 == 0 || i == n - 1) {
            if (stg_batch_commit(b, &res, &err) != STRATA_OK) fail_msg("commit: %s", err.msg);
            assert_int_equal(res.points_expired, 0);
        }
    }
    stg_batch_free(b);
}

static size_t count_from(stg_engine *e, uint32_t ns, const char *host, int64_t *first)
{
    static int64_t ts[4096];
    static uint64_t vals[4096];
    size_t n = read_all(e, ns, series_of(e, ns, "m", host), field_of(e, ns, "m", "v"), INT64_MIN,
                        INT64_MAX, ts, vals, NULL, 4096);
    *first = n ? ts[0] : INT64_MAX;
    return n;
}

static void expiry_by_watermark(void **state)
{
    (void)state;
    stg_options o;
    strata_error err = {0};
    test_options(&o);
    o.chunk_max_points = 16; /* many chunks, so that whole ones go */
    stg_engine *e = open_engine_with(&o);
    uint32_t db;
    assert_int_equal(stg_db_create(e, "d", &db, &err), STRATA_OK);
    stg_rp_spec s = {"two", 1, 1, 1, 2 * HOUR, 1, HOUR};
    assert_int_equal(stg_rp_create(e, "d", &s, 0, &err), STRATA_OK);
    stg_rp_info rp;
    assert_int_equal(stg_rp_resolve(e, "d", "two", &rp, &err), STRATA_OK);

    /* 110 minutes of points, one a minute, in the policy and in autogen. */
    int64_t now = strata_now_ns() / SEC * SEC;
    int64_t t0 = now - 110 * 60 * SEC;
    put_run(e, rp.ns, "a", t0, 60 * SEC, 111);
    put_run(e, db, "a", t0, 60 * SEC, 111);
    assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);

    /* Nothing of it is due yet (the watermark moves to an older boundary). */
    stg_retention_stats st;
    int64_t first;
    assert_int_equal(stg_retention_enforce(e, now, &st, &err), STRATA_OK);
    assert_int_equal(st.chunks_deleted, 0);
    assert_int_equal(count_from(e, rp.ns, "a", &first), 111);

    /* 90 minutes later: groups ending before now + 90m - 2h are gone. */
    int64_t later = now + 90 * 60 * SEC;
    int64_t cutoff = stg_rp_group_start(later - 2 * HOUR - 1, HOUR);
    int64_t expect = 0;
    for (int i = 0; i < 111; i++)
        expect += t0 + i * 60 * SEC >= cutoff;
    assert_true(expect > 0 && expect < 111);
    assert_int_equal(stg_retention_enforce(e, later, &st, &err), STRATA_OK);
    assert_int_equal(st.moved, 1);
    assert_true(st.chunks_deleted > 0); /* deleted, not only hidden */
    assert_int_equal(count_from(e, rp.ns, "a", &first), (size_t)expect);
    assert_true(first >= cutoff);
    assert_int_equal(count_from(e, db, "a", &first), 111); /* autogen keeps everything */
    assert_int_equal(stg_rp_resolve(e, "d", "two", &rp, &err), STRATA_OK);
    assert_int_equal(rp.expired_before_ns, cutoff);
    assert_int_equal(stg_retention_enforce(e, later, &st, &err), STRATA_OK);
    assert_int_equal(st.moved, 0); /* idempotent */

    /* The watermark and the deletes survive a reopen. */
    stg_engine_close(e);
    assert_int_equal(stg_engine_open(&o, &e, &err), STRATA_OK);
    assert_int_equal(count_from(e, rp.ns, "a", &first), (size_t)expect);
    /* Far later: everything of the policy is gone, and it still takes writes. */
    assert_int_equal(stg_retention_enforce(e, now + DAY, &st, &err), STRATA_OK);
    assert_true(st.chunks_deleted > 0);
    /* ... and its series left without points leave the index, as in InfluxDB. */
    MDB_txn *txn;
    uint64_t gone;
    char key[64];
    stg_tag tag = {"host", 4, "a", 1};
    size_t kl = stg_series_key_build("m", 1, &tag, 1, key, sizeof key);
    assert_int_equal(stg_engine_read_begin(e, &txn, NULL), STRATA_OK);
    assert_int_equal(stg_index_series_lookup(stg_engine_index(e), txn, rp.ns, key, kl, &gone),
                     STRATA_ENOTFOUND);
    assert_int_equal(stg_index_series_count(stg_engine_index(e), txn, rp.ns), 0);
    assert_int_equal(stg_index_series_count(stg_engine_index(e), txn, db), 1);
    stg_engine_read_end(e, txn);
    stg_engine_close(e);
}

static void commit_one_batch(stg_engine *e, uint32_t ns, const int64_t *ts, int n,
                             stg_write_result *res)
{
    stg_tag tag = {"host", 4, "w", 1};
    strata_error err = {0};
    stg_batch *b;
    assert_int_equal(stg_batch_new(e, ns, &b), STRATA_OK);
    for (int i = 0; i < n; i++) {
        stg_field_in f = {"v", 1, STG_FLOAT, 0, NULL, 0};
        fvalue(&f.val, i);
        stg_point_in p = {"m", 1, &tag, 1, &f, 1, ts[i]};
        assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
    }
    if (stg_batch_commit(b, res, &err) != STRATA_OK) fail_msg("commit: %s", err.msg);
    stg_batch_free(b);
}

static void writes_beyond_retention(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    strata_error err = {0};
    uint32_t db;
    assert_int_equal(stg_db_create(e, "d", &db, &err), STRATA_OK);
    stg_rp_spec s = {"hour", 1, 1, 0, HOUR, 1, 0};
    assert_int_equal(stg_rp_create(e, "d", &s, 0, &err), STRATA_OK);
    stg_rp_info rp;
    assert_int_equal(stg_rp_resolve(e, "d", "hour", &rp, &err), STRATA_OK);

    /* Stay 5 s away from a group boundary of now - 1h. */
    int64_t lim, g;
    for (;;) {
        lim = strata_now_ns() - HOUR;
        g = stg_rp_group_start(lim, HOUR);
        if (lim - g > 5 * SEC && g + HOUR - lim > 5 * SEC) break;
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
    stg_write_result res;
    /* A point in an expired group alone: dropped. */
    int64_t a[] = {g - 60 * SEC};
    commit_one_batch(e, rp.ns, a, 1, &res);
    assert_int_equal(res.points_expired, 1);
    assert_int_equal(res.points_written, 0);
    /* An old point whose group a point inside the duration opens: kept. */
    int64_t b[] = {g + SEC, lim + 3 * SEC};
    commit_one_batch(e, rp.ns, b, 2, &res);
    assert_int_equal(res.points_expired, 0);
    assert_int_equal(res.points_written, 2);
    /* The same old point with a point of a later group only: dropped. */
    int64_t c[] = {g + 2 * SEC, strata_now_ns()};
    commit_one_batch(e, rp.ns, c, 2, &res);
    assert_int_equal(res.points_expired, 1);
    assert_int_equal(res.points_written, 1);
    /* autogen keeps everything. */
    commit_one_batch(e, db, a, 1, &res);
    assert_int_equal(res.points_expired, 0);
    int64_t first;
    assert_int_equal(count_from(e, db, "w", &first), 1);
    stg_engine_close(e);
}

static int count_meas(void *ctx, const char *name, size_t len, uint32_t mid)
{
    (void)name;
    (void)len;
    (void)mid;
    (*(int *)ctx)++;
    return 0;
}

static int measurements(stg_engine *e, uint32_t ns)
{
    MDB_txn *txn;
    int n = 0;
    assert_int_equal(stg_engine_read_begin(e, &txn, NULL), STRATA_OK);
    stg_index_meas_list(stg_engine_index(e), txn, ns, count_meas, &n);
    stg_engine_read_end(e, txn);
    return n;
}

static int count_dbs(void *ctx, const char *name, size_t len, uint32_t id)
{
    (void)name;
    (void)len;
    (void)id;
    (*(int *)ctx)++;
    return 0;
}

static void drops(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    strata_error err = {0};
    uint32_t db;
    assert_int_equal(stg_db_create(e, "d", &db, &err), STRATA_OK);
    stg_rp_spec s = {"other", 1, 1, 0, 0, 1, 0};
    assert_int_equal(stg_rp_create(e, "d", &s, 0, &err), STRATA_OK);
    stg_rp_info rp;
    assert_int_equal(stg_rp_resolve(e, "d", "other", &rp, &err), STRATA_OK);
    int64_t now = strata_now_ns();
    put_run(e, rp.ns, "a", now - 100 * SEC, SEC, 100);
    put_run(e, db, "a", now - 100 * SEC, SEC, 100);
    int ndb = 0;
    assert_int_equal(stg_db_list(e, count_dbs, &ndb, &err), STRATA_OK);
    assert_int_equal(ndb, 1);

    /* Dropping the other policy takes its data; autogen keeps its own. */
    assert_int_equal(stg_rp_drop(e, "d", "other", &err), STRATA_OK);
    assert_int_equal(measurements(e, rp.ns), 0);
    int64_t first;
    assert_int_equal(count_from(e, db, "a", &first), 100);
    assert_int_equal(stg_rp_drop(e, "d", "other", &err), STRATA_OK); /* again: fine */

    /* Dropping autogen (the database's own namespace) empties it, the database stays. */
    assert_int_equal(stg_rp_drop(e, "d", "autogen", &err), STRATA_OK);
    assert_int_equal(measurements(e, db), 0);
    uint32_t id;
    assert_int_equal(stg_db_lookup(e, "d", &id), STRATA_OK);
    assert_int_equal(stg_rp_resolve(e, "d", NULL, &rp, &err), STRATA_ENOTFOUND);
    assert_string_equal(err.msg, "retention policy not found: autogen");

    /* A recreated policy starts empty; dropping the database takes everything. */
    assert_int_equal(stg_rp_create(e, "d", &s, 1, &err), STRATA_OK);
    assert_int_equal(stg_rp_resolve(e, "d", NULL, &rp, &err), STRATA_OK);
    assert_int_equal(measurements(e, rp.ns), 0);
    put_run(e, rp.ns, "b", now - 10 * SEC, SEC, 10);
    assert_int_equal(stg_db_drop(e, "d", &err), STRATA_OK);
    assert_int_equal(measurements(e, rp.ns), 0);
    assert_int_equal(stg_db_create(e, "d", &db, &err), STRATA_OK);
    rps r = list(e, "d");
    assert_int_equal(r.n, 1);
    assert_string_equal(r.v[0].name, "autogen");
    stg_engine_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(catalog_rules, setup, teardown),
        cmocka_unit_test(group_alignment),
        cmocka_unit_test_setup_teardown(expiry_by_watermark, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_beyond_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(drops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
