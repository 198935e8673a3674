/*
 * tests/unit/storage/test_index.c: the index API on real LMDB files: the
 * databases catalog, series ensure/lookup/key round trips, restore with a
 * given id, fields and type conflicts, sorted tag key/value listings,
 * removal of emptied tags and measurements, long names, callbacks that
 * stop, and the map-full error message.
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

/* ------------------------------------------------------------ helpers */

typedef struct strlist {
    char items[64][1100];
    size_t lens[64];
    uint32_t ids[64];
    size_t n;
    int stop_at; /* return 7 when n reaches this (0: never) */
} strlist;

static int collect(strlist *l, const char *s, size_t len, uint32_t id)
{
    assert_true(l->n < 64 && len < 1100);
    memcpy(l->items[l->n], s, len);
    l->items[l->n][len] = '\0';
    l->lens[l->n] = len;
    l->ids[l->n] = id;
    l->n++;
    return (l->stop_at && (int)l->n == l->stop_at) ? 7 : 0;
}
static int cb_name_id(void *ctx, const char *s, size_t len, uint32_t id)
{
    return collect(ctx, s, len, id);
}
static int cb_name(void *ctx, const char *s, size_t len)
{
    return collect(ctx, s, len, 0);
}
static int cb_field(void *ctx, const char *s, size_t len, uint32_t fid, stg_type t)
{
    return collect(ctx, s, len, fid * 10 + (uint32_t)t);
}

static int setup(void **state)
{
    static tenv t;
    memset(&t, 0, sizeof t);
    if (tenv_open(&t) != 0) return -1;
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    tenv_close(*state);
    return 0;
}

static uint32_t mkdb(tenv *t, const char *name)
{
    MDB_txn *w = tenv_w(t);
    uint32_t id = 0;
    strata_error err = {0};
    assert_int_equal(stg_index_db_create(t->idx, w, name, strlen(name), &id, &err), STRATA_OK);
    assert_int_equal(mdb_txn_commit(w), 0);
    return id;
}

static uint64_t ensure(tenv *t, MDB_txn *w, uint32_t db, const char *meas, stg_tag *tags, size_t n,
                       int want_created)
{
    uint64_t id = 0;
    int created = -1;
    strata_error err = {0};
    int rc =
        stg_index_series_ensure(t->idx, w, db, meas, strlen(meas), tags, n, &id, &created, &err);
    if (rc != STRATA_OK) fail_msg("ensure: %d %s", rc, err.msg);
    assert_int_equal(created, want_created);
    return id;
}

/* -------------------------------------------------------------- tests */

static void db_catalog(void **state)
{
    tenv *t = *state;
    strata_error err = {0};
    uint32_t a = mkdb(t, "db1"), b = mkdb(t, "db0"), got = 0;
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);

    MDB_txn *w = tenv_w(t);
    assert_int_equal(stg_index_db_create(t->idx, w, "db1", 3, &got, &err), STRATA_EEXIST);
    assert_int_equal(got, 1);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(stg_index_db_create(t->idx, w, "", 0, &got, &err), STRATA_EINVAL);
    assert_int_equal(stg_index_db_drop(t->idx, w, 99, &err), STRATA_ENOTFOUND);
    assert_int_equal(stg_index_db_drop(t->idx, w, 0, &err), STRATA_EINVAL);
    /* A name longer than an LMDB key. */
    char longname[700];
    memset(longname, 'L', sizeof longname);
    uint32_t c = 0;
    assert_int_equal(stg_index_db_create(t->idx, w, longname, sizeof longname, &c, &err), 0);
    assert_int_equal(c, 3);
    assert_int_equal(mdb_txn_commit(w), 0);

    assert_int_equal(tenv_reopen(t), 0);
    MDB_txn *r = tenv_r(t);
    assert_int_equal(stg_index_db_lookup(t->idx, r, "db0", 3, &got), 0);
    assert_int_equal(got, 2);
    assert_int_equal(stg_index_db_lookup(t->idx, r, longname, sizeof longname, &got), 0);
    assert_int_equal(got, 3);
    assert_int_equal(stg_index_db_lookup(t->idx, r, longname, sizeof longname - 1, &got),
                     STRATA_ENOTFOUND);
    assert_int_equal(stg_index_db_lookup(t->idx, r, "nope", 4, &got), STRATA_ENOTFOUND);
    strlist l = {0};
    assert_int_equal(stg_index_db_list(t->idx, r, cb_name_id, &l), 0);
    assert_int_equal(l.n, 3);
    assert_memory_equal(l.items[0], longname, sizeof longname); /* "L..." sorts first */
    assert_int_equal(l.lens[0], sizeof longname);
    assert_int_equal(l.ids[0], 3);
    assert_string_equal(l.items[1], "db0");
    assert_int_equal(l.ids[1], 2);
    assert_string_equal(l.items[2], "db1");
    assert_int_equal(l.ids[2], 1);
    mdb_txn_abort(r);

    /* Drop, then create again: a new id, never the old one. */
    w = tenv_w(t);
    assert_int_equal(stg_index_db_drop(t->idx, w, 2, &err), 0);
    assert_int_equal(stg_index_db_lookup(t->idx, w, "db0", 3, &got), STRATA_ENOTFOUND);
    assert_int_equal(stg_index_db_create(t->idx, w, "db0", 3, &got, &err), 0);
    assert_int_equal(got, 4);
    assert_int_equal(stg_index_db_drop(t->idx, w, 3, &err), 0);
    l.n = 0;
    assert_int_equal(stg_index_db_list(t->idx, w, cb_name_id, &l), 0);
    assert_int_equal(l.n, 2);
    l.n = 0;
    l.stop_at = 1;
    assert_int_equal(stg_index_db_list(t->idx, w, cb_name_id, &l), 7);
    assert_int_equal(l.n, 1);
    assert_int_equal(mdb_txn_commit(w), 0);
}

static void series_round_trip(void **state)
{
    tenv *t = *state;
    uint32_t db = mkdb(t, "telegraf");
    MDB_txn *w = tenv_w(t);
    stg_tag tags[] = {ttag("host", "a"), ttag("region", "eu west")};
    const char *want = "cpu,host=a,region=eu\\ west";

    uint64_t id = ensure(t, w, db, "cpu", tags, 2, 1);
    assert_true(id == XXH64(want, strlen(want), 0));
    assert_true(ensure(t, w, db, "cpu", tags, 2, 0) == id);
    uint64_t id2 = ensure(t, w, db, "cpu", tags, 1, 1);
    assert_true(id2 != id);
    uint64_t id3 = ensure(t, w, db, "mem", NULL, 0, 1);
    assert_int_equal(stg_index_series_count(t->idx, w, db), 3);

    /* Rejected input writes nothing and leaves the transaction usable. */
    strata_error err = {0};
    uint64_t x;
    int created;
    stg_tag bad[] = {ttag("b", "1"), ttag("a", "2")};
    assert_int_equal(stg_index_series_ensure(t->idx, w, db, "cpu", 3, bad, 2, &x, &created, &err),
                     STRATA_EINVAL);
    assert_non_null(strstr(err.msg, "not sorted"));
    assert_int_equal(stg_index_series_ensure(t->idx, w, 77, "cpu", 3, tags, 2, &x, &created, &err),
                     STRATA_ENOTFOUND);
    assert_non_null(strstr(err.msg, "database id 77"));
    assert_int_equal(mdb_txn_commit(w), 0);

    assert_int_equal(tenv_reopen(t), 0);
    MDB_txn *r = tenv_r(t);
    assert_int_equal(stg_index_series_lookup(t->idx, r, db, want, strlen(want), &x), 0);
    assert_true(x == id);
    assert_int_equal(stg_index_series_lookup(t->idx, r, db, "cpu,host=a", 10, &x), 0);
    assert_true(x == id2);
    assert_int_equal(stg_index_series_lookup(t->idx, r, db, "mem", 3, &x), 0);
    assert_true(x == id3);
    assert_int_equal(stg_index_series_lookup(t->idx, r, db, "cpu,host=b", 10, &x),
                     STRATA_ENOTFOUND);
    assert_int_equal(stg_index_series_lookup(t->idx, r, db + 1, want, strlen(want), &x),
                     STRATA_ENOTFOUND);
    const char *k;
    size_t kl;
    assert_int_equal(stg_index_series_key(t->idx, r, db, id, &k, &kl), 0);
    assert_int_equal(kl, strlen(want));
    assert_memory_equal(k, want, kl);
    assert_int_equal(stg_index_series_key(t->idx, r, db, id ^ 1, &k, &kl), STRATA_ENOTFOUND);
    uint32_t mid, mid2, smid;
    assert_int_equal(stg_index_meas_lookup(t->idx, r, db, "cpu", 3, &mid), 0);
    assert_int_equal(stg_index_meas_lookup(t->idx, r, db, "mem", 3, &mid2), 0);
    assert_int_not_equal(mid, mid2);
    assert_int_equal(stg_index_series_mid(t->idx, r, db, id, &smid), 0);
    assert_int_equal(smid, mid);
    assert_int_equal(stg_index_meas_lookup(t->idx, r, db, "disk", 4, &mid2), STRATA_ENOTFOUND);
    assert_int_equal(stg_index_series_count(t->idx, r, db), 3);
    assert_int_equal(stg_index_series_count(t->idx, r, 999), 0);

    stg_idset s;
    stg_idset_init(&s);
    assert_int_equal(stg_index_meas_series(t->idx, r, db, mid, &s), 0);
    assert_int_equal(s.n, 2);
    assert_true(stg_idset_contains(&s, id) && stg_idset_contains(&s, id2));
    assert_int_equal(stg_index_tag_series(t->idx, r, db, mid, "region", 6, "eu west", 7, &s), 0);
    assert_int_equal(s.n, 1);
    assert_true(s.ids[0] == id);
    assert_int_equal(stg_index_tag_series(t->idx, r, db, mid, "region", 6, "nope", 4, &s), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(stg_index_tag_series(t->idx, r, db, mid, "nokey", 5, "a", 1, &s), 0);
    assert_int_equal(s.n, 0);
    stg_idset_fini(&s);
    mdb_txn_abort(r);
}

static void fields_and_conflicts(void **state)
{
    tenv *t = *state;
    uint32_t db = mkdb(t, "d");
    MDB_txn *w = tenv_w(t);
    strata_error err = {0};
    ensure(t, w, db, "cpu", NULL, 0, 1);
    ensure(t, w, db, "mem", NULL, 0, 1);
    uint32_t cpu, mem, fid;
    stg_type ty;
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, "cpu", 3, &cpu), 0);
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, "mem", 3, &mem), 0);

    assert_int_equal(stg_index_field_ensure(t->idx, w, db, cpu, "value", 5, STG_FLOAT, &fid, &err),
                     0);
    assert_int_equal(fid, 1);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, cpu, "count", 5, STG_INT, &fid, &err),
                     0);
    assert_int_equal(fid, 2);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, cpu, "value", 5, STG_FLOAT, &fid, &err),
                     0);
    assert_int_equal(fid, 1);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, cpu, "value", 5, STG_INT, &fid, &err),
                     STRATA_ETYPE);
    assert_string_equal(err.msg, "field type conflict: input field \"value\" on measurement "
                                 "\"cpu\" is type integer, already exists as type float");
    /* Field ids are per measurement. */
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, mem, "value", 5, STG_INT, &fid, &err),
                     0);
    assert_int_equal(fid, 1);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, 999, "x", 1, STG_INT, &fid, &err),
                     STRATA_ENOTFOUND);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, cpu, "", 0, STG_INT, &fid, &err),
                     STRATA_EINVAL);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, cpu, "x", 1, (stg_type)9, &fid, &err),
                     STRATA_EINVAL);
    char longf[600];
    memset(longf, 'f', sizeof longf);
    assert_int_equal(
        stg_index_field_ensure(t->idx, w, db, cpu, longf, sizeof longf, STG_STRING, &fid, &err), 0);
    assert_int_equal(fid, 3);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, cpu, "b", 1, STG_BOOL, &fid, &err), 0);
    assert_int_equal(fid, 4);
    assert_int_equal(mdb_txn_commit(w), 0);

    MDB_txn *r = tenv_r(t);
    assert_int_equal(stg_index_field_lookup(t->idx, r, db, cpu, "count", 5, &fid, &ty), 0);
    assert_int_equal(fid, 2);
    assert_int_equal(ty, STG_INT);
    assert_int_equal(stg_index_field_lookup(t->idx, r, db, cpu, longf, sizeof longf, &fid, &ty), 0);
    assert_int_equal(fid, 3);
    assert_int_equal(ty, STG_STRING);
    assert_int_equal(stg_index_field_lookup(t->idx, r, db, cpu, "nope", 4, &fid, &ty),
                     STRATA_ENOTFOUND);
    strlist l = {0};
    assert_int_equal(stg_index_field_list(t->idx, r, db, cpu, cb_field, &l), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.items[0], "b");
    assert_int_equal(l.ids[0], 4 * 10 + STG_BOOL);
    assert_string_equal(l.items[1], "count");
    assert_int_equal(l.ids[1], 2 * 10 + STG_INT);
    assert_int_equal(l.lens[2], sizeof longf);
    assert_int_equal(l.ids[2], 3 * 10 + STG_STRING);
    assert_string_equal(l.items[3], "value");
    assert_int_equal(l.ids[3], 1 * 10 + STG_FLOAT);
    mdb_txn_abort(r);
}

static void tag_listings_sorted(void **state)
{
    tenv *t = *state;
    uint32_t db = mkdb(t, "d");
    MDB_txn *w = tenv_w(t);
    /* Long values share a 480-byte prefix and differ after it, created out of order. */
    static char lv[3][600];
    for (int i = 0; i < 3; i++) {
        memset(lv[i], 'p', 599);
        lv[i][599] = '\0';
        lv[i][590] = (char)('c' - i); /* lv[0] > lv[1] > lv[2] */
    }
    const char *vals[] = {"zeta", lv[0], "alpha", lv[1], "p", "beta", lv[2], "q"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        stg_tag tg[] = {ttag("host", vals[i]), ttag("rack", i % 2 ? "r1" : "r2")};
        ensure(t, w, db, "cpu", tg, 2, 1);
    }
    stg_tag tg[] = {ttag("Zone", "z"), ttag("host", "alpha")};
    ensure(t, w, db, "cpu", tg, 2, 1);
    assert_int_equal(mdb_txn_commit(w), 0);

    MDB_txn *r = tenv_r(t);
    uint32_t mid;
    assert_int_equal(stg_index_meas_lookup(t->idx, r, db, "cpu", 3, &mid), 0);
    strlist l = {0};
    assert_int_equal(stg_index_tag_keys(t->idx, r, db, mid, cb_name, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0], "Zone");
    assert_string_equal(l.items[1], "host");
    assert_string_equal(l.items[2], "rack");
    l.n = 0;
    assert_int_equal(stg_index_tag_values(t->idx, r, db, mid, "host", 4, cb_name, &l), 0);
    const char *want[] = {"alpha", "beta", "p", lv[2], lv[1], lv[0], "q", "zeta"};
    assert_int_equal(l.n, 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(l.items[i], want[i]);
    l.n = 0;
    assert_int_equal(stg_index_tag_values(t->idx, r, db, mid, "nokey", 5, cb_name, &l), 0);
    assert_int_equal(l.n, 0);
    l.stop_at = 2;
    assert_int_equal(stg_index_tag_values(t->idx, r, db, mid, "host", 4, cb_name, &l), 7);
    assert_int_equal(l.n, 2);

    stg_idset s;
    stg_idset_init(&s);
    assert_int_equal(stg_index_tag_series(t->idx, r, db, mid, "host", 4, lv[1], 599, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(stg_index_tag_series(t->idx, r, db, mid, "host", 4, "alpha", 5, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(stg_index_tag_series(t->idx, r, db, mid, "rack", 4, "r1", 2, &s), 0);
    assert_int_equal(s.n, 4);
    stg_idset_fini(&s);
    mdb_txn_abort(r);
}

static void deletes_remove_empty_entries(void **state)
{
    tenv *t = *state;
    uint32_t db = mkdb(t, "d");
    strata_error err = {0};
    MDB_txn *w = tenv_w(t);
    static char lv[700];
    memset(lv, 'v', sizeof lv - 1);
    stg_tag a[] = {ttag("host", "a"), ttag("rack", "1")};
    stg_tag b[] = {ttag("host", "b"), ttag("long", lv)};
    uint64_t ia = ensure(t, w, db, "cpu", a, 2, 1);
    uint64_t ib = ensure(t, w, db, "cpu", b, 2, 1);
    uint32_t mid, fid;
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, "cpu", 3, &mid), 0);
    assert_int_equal(stg_index_field_ensure(t->idx, w, db, mid, "v", 1, STG_FLOAT, &fid, &err), 0);
    assert_int_equal(mdb_txn_commit(w), 0);

    w = tenv_w(t);
    assert_int_equal(stg_index_series_delete(t->idx, w, db, ib, &err), 0);
    assert_int_equal(stg_index_series_delete(t->idx, w, db, ib, &err), STRATA_ENOTFOUND);
    strlist l = {0};
    assert_int_equal(stg_index_tag_keys(t->idx, w, db, mid, cb_name, &l), 0);
    assert_int_equal(l.n, 2); /* "long" is gone */
    assert_string_equal(l.items[0], "host");
    assert_string_equal(l.items[1], "rack");
    l.n = 0;
    assert_int_equal(stg_index_tag_values(t->idx, w, db, mid, "host", 4, cb_name, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0], "a");
    assert_int_equal(stg_index_series_count(t->idx, w, db), 1);
    const char *k;
    size_t kl;
    assert_int_equal(stg_index_series_key(t->idx, w, db, ib, &k, &kl), STRATA_ENOTFOUND);

    /* Last series: the measurement and its fields go. */
    assert_int_equal(stg_index_series_delete(t->idx, w, db, ia, &err), 0);
    uint32_t m2;
    stg_type ty;
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, "cpu", 3, &m2), STRATA_ENOTFOUND);
    assert_int_equal(stg_index_field_lookup(t->idx, w, db, mid, "v", 1, &fid, &ty),
                     STRATA_ENOTFOUND);
    l.n = 0;
    assert_int_equal(stg_index_meas_list(t->idx, w, db, cb_name_id, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(stg_index_series_count(t->idx, w, db), 0);
    /* Recreating gives the same id (ids are the key's hash) and a new measurement id. */
    assert_true(ensure(t, w, db, "cpu", b, 2, 1) == ib);
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, "cpu", 3, &m2), 0);
    assert_int_not_equal(m2, mid);
    assert_int_equal(mdb_txn_commit(w), 0);
}

static void restore_with_given_id(void **state)
{
    tenv *t = *state;
    uint32_t db = mkdb(t, "d");
    strata_error err = {0};
    const char *key = "cpu,host=a\\ b";
    size_t kl = strlen(key);
    MDB_txn *w = tenv_w(t);
    assert_int_equal(stg_index_series_restore(t->idx, w, db, key, kl, 42, &err), 0);
    assert_int_equal(stg_index_series_restore(t->idx, w, db, key, kl, 42, &err), 0);
    assert_int_equal(stg_index_series_restore(t->idx, w, db, key, kl, 43, &err), STRATA_ECORRUPT);
    assert_non_null(strstr(err.msg, "id 42 in the index but 43 in the WAL"));
    assert_int_equal(stg_index_series_restore(t->idx, w, db, "cpu,host=c", 10, 42, &err),
                     STRATA_ECORRUPT);
    assert_non_null(strstr(err.msg, "belongs to"));
    assert_int_equal(stg_index_series_restore(t->idx, w, db, "cpu,b=1,a=2", 11, 7, &err),
                     STRATA_EINVAL);
    assert_int_equal(stg_index_series_restore(t->idx, w, db, "cpu,a", 5, 7, &err), STRATA_EINVAL);
    assert_int_equal(stg_index_series_restore(t->idx, w, 99, "cpu", 3, 7, &err), STRATA_ENOTFOUND);
    assert_int_equal(mdb_txn_commit(w), 0);

    assert_int_equal(tenv_reopen(t), 0);
    w = tenv_w(t);
    uint64_t id;
    assert_int_equal(stg_index_series_lookup(t->idx, w, db, key, kl, &id), 0);
    assert_true(id == 42);
    stg_tag tg[] = {ttag("host", "a b")};
    assert_true(ensure(t, w, db, "cpu", tg, 1, 0) == 42);
    uint32_t mid;
    stg_idset s;
    stg_idset_init(&s);
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, "cpu", 3, &mid), 0);
    assert_int_equal(stg_index_tag_series(t->idx, w, db, mid, "host", 4, "a b", 3, &s), 0);
    assert_int_equal(s.n, 1);
    assert_true(s.ids[0] == 42);
    /* Deleting it clears the out-of-place entry: recreating gets the hash id. */
    assert_int_equal(stg_index_series_delete(t->idx, w, db, 42, &err), 0);
    assert_int_equal(stg_index_series_lookup(t->idx, w, db, key, kl, &id), STRATA_ENOTFOUND);
    assert_true(ensure(t, w, db, "cpu", tg, 1, 1) == XXH64(key, kl, 0));
    stg_idset_fini(&s);
    assert_int_equal(mdb_txn_commit(w), 0);
}

static void long_measurement_names(void **state)
{
    tenv *t = *state;
    uint32_t db = mkdb(t, "d");
    static char m1[1000], m2[1000];
    memset(m1, 'm', 999);
    memcpy(m2, m1, sizeof m2);
    m2[998] = 'n';
    MDB_txn *w = tenv_w(t);
    uint64_t a = ensure(t, w, db, m1, NULL, 0, 1);
    uint64_t b = ensure(t, w, db, m2, NULL, 0, 1);
    assert_true(a != b);
    uint32_t ma, mb;
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, m1, 999, &ma), 0);
    assert_int_equal(stg_index_meas_lookup(t->idx, w, db, m2, 999, &mb), 0);
    assert_int_not_equal(ma, mb);
    const char *name;
    size_t nl;
    assert_int_equal(stg_index_meas_name(t->idx, w, db, mb, &name, &nl), 0);
    assert_int_equal(nl, 999);
    assert_memory_equal(name, m2, 999);
    ensure(t, w, db, "short", NULL, 0, 1);
    assert_int_equal(stg_index_meas_name(t->idx, w, db, 3, &name, &nl), 0);
    assert_int_equal(nl, 5);
    assert_memory_equal(name, "short", 5);
    strlist l = {0};
    assert_int_equal(stg_index_meas_list(t->idx, w, db, cb_name_id, &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.ids[0], ma);
    assert_int_equal(l.ids[1], mb);
    assert_string_equal(l.items[2], "short");
    assert_int_equal(mdb_txn_commit(w), 0);
}

/* A tiny map fills up: EFULL, with a message that says what to do. */
static void map_full_is_efull(void **state)
{
    (void)state;
    tenv t;
    memset(&t, 0, sizeof t);
    assert_int_equal(tenv_open(&t), 0);
    stg_index_close(t.idx);
    mdb_env_close(t.env);
    assert_int_equal(mdb_env_create(&t.env), 0);
    mdb_env_set_maxdbs(t.env, 32);
    assert_int_equal(mdb_env_set_mapsize(t.env, 256 * 1024), 0);
    assert_int_equal(mdb_env_open(t.env, t.dir, MDB_NOSYNC, 0644), 0);
    MDB_txn *w = tenv_w(&t);
    strata_error err = {0};
    assert_int_equal(stg_index_open(t.env, w, &t.idx, &err), 0);
    uint32_t db;
    assert_int_equal(stg_index_db_create(t.idx, w, "d", 1, &db, &err), 0);
    int rc = 0;
    char v[32];
    for (int i = 0; i < 100000 && rc == 0; i++) {
        snprintf(v, sizeof v, "host-%d", i);
        stg_tag tg[] = {ttag("host", v)};
        uint64_t id;
        int created;
        rc = stg_index_series_ensure(t.idx, w, db, "cpu", 3, tg, 1, &id, &created, &err);
    }
    assert_int_equal(rc, STRATA_EFULL);
    assert_non_null(strstr(err.msg, "map is full"));
    mdb_txn_abort(w);
    tenv_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(db_catalog, setup, teardown),
        cmocka_unit_test_setup_teardown(series_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(fields_and_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(tag_listings_sorted, setup, teardown),
        cmocka_unit_test_setup_teardown(deletes_remove_empty_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(restore_with_given_id, setup, teardown),
        cmocka_unit_test_setup_teardown(long_measurement_names, setup, teardown),
        cmocka_unit_test(map_full_is_efull),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
