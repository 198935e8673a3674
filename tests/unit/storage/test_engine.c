/*
 * Engine tests on real LMDB files and a real WAL in a temporary directory:
 * write and read back every type, last write wins, out-of-order points,
 * checkpoints and reopening, replay after a crash (a forked child killed
 * with SIGKILL), deletes, type conflicts, chunk statistics, a corrupted
 * chunk, concurrent readers, and a randomised model check (seed printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/engine.h"

#include "engine_testutil.h"

static void all_types_round_trip(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "test", &db, &err), STRATA_OK);
    for (int i = 0; i < 3000; i++) {
        int64_t ts = 1500000000 * SEC + i * 10 * SEC;
        char s[32];
        snprintf(s, sizeof s, "v%d", i % 7);
        put1(e, db, "m", "a", "f", STG_FLOAT, stg_val_from_f64(i * 0.25 - 100), NULL, ts);
        put1(e, db, "m", "a", "i", STG_INT, (uint64_t)(int64_t)(i - 1500), NULL, ts);
        put1(e, db, "m", "a", "u", STG_UINT, (uint64_t)i * 1000000007ull, NULL, ts);
        put1(e, db, "m", "a", "b", STG_BOOL, (uint64_t)(i % 3 == 0), NULL, ts);
        put1(e, db, "m", "a", "s", STG_STRING, 0, s, ts);
        if (i == 1500) assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    }
    static int64_t ts[4000];
    static uint64_t vals[4000];
    static char strs[4000][64];
    uint64_t sid = series_of(e, db, "m", "a");
    for (int round = 0; round < 2; round++) {
        const char *names[] = {"f", "i", "u", "b", "s"};
        for (int k = 0; k < 5; k++) {
            uint32_t fid = field_of(e, db, "m", names[k]);
            size_t n = read_all(e, db, sid, fid, INT64_MIN, INT64_MAX, ts, vals,
                                k == 4 ? strs : NULL, 4000);
            assert_int_equal(n, 3000);
            for (int i = 0; i < 3000; i++) {
                assert_int_equal(ts[i], 1500000000 * SEC + i * 10 * SEC);
                switch (k) {
                case 0:
                    assert_true(stg_val_to_f64(vals[i]) == i * 0.25 - 100);
                    break;
                case 1:
                    assert_int_equal((int64_t)vals[i], i - 1500);
                    break;
                case 2:
                    assert_int_equal(vals[i], (uint64_t)i * 1000000007ull);
                    break;
                case 3:
                    assert_int_equal(vals[i], (uint64_t)(i % 3 == 0));
                    break;
                case 4: {
                    char s[32];
                    snprintf(s, sizeof s, "v%d", i % 7);
                    assert_string_equal(strs[i], s);
                } break;
                }
            }
            /* A sub-range. */
            n = read_all(e, db, sid, fid, 1500000000 * SEC + 100 * SEC,
                         1500000000 * SEC + 200 * SEC, ts, vals, k == 4 ? strs : NULL, 4000);
            assert_int_equal(n, 10);
            assert_int_equal(ts[0], 1500000000 * SEC + 100 * SEC);
        }
        stg_engine_close(e);
        e = open_engine(0, 0);
        assert_int_equal(stg_db_lookup(e, "test", &db), STRATA_OK);
    }
    stg_engine_close(e);
}

static void last_write_wins_and_out_of_order(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    /* Descending timestamps, then overwrites, with checkpoints between. */
    for (int i = 99; i >= 0; i--)
        put1(e, db, "m", "h", "v", STG_INT, (uint64_t)i, NULL, i * SEC);
    assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    for (int i = 0; i < 100; i += 2)
        put1(e, db, "m", "h", "v", STG_INT, (uint64_t)(1000 + i), NULL, i * SEC);
    put1(e, db, "m", "h", "v", STG_INT, 5000, NULL, 99 * SEC); /* same ts as the newest */
    int64_t ts[200];
    uint64_t vals[200];
    uint64_t sid = series_of(e, db, "m", "h");
    uint32_t fid = field_of(e, db, "m", "v");
    for (int round = 0; round < 3; round++) {
        size_t n = read_all(e, db, sid, fid, INT64_MIN, INT64_MAX, ts, vals, NULL, 200);
        assert_int_equal(n, 100);
        for (int i = 0; i < 100; i++) {
            assert_int_equal(ts[i], i * SEC);
            uint64_t want = i == 99 ? 5000 : (i % 2 == 0 ? (uint64_t)(1000 + i) : (uint64_t)i);
            assert_int_equal(vals[i], want);
        }
        if (round == 0) {
            assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
        } else {
            stg_engine_close(e);
            e = open_engine(0, 0);
        }
    }
    stg_engine_close(e);
}

/* A child writes and acknowledges batches, then is killed; every acknowledged point survives. */
static void replay_after_kill(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        stg_options o;
        stg_engine *e;
        stg_options_default(&o);
        o.dir = tmpdir;
        o.map_bytes = (size_t)1 << 30;
        o.background = 0;
        if (stg_engine_open(&o, &e, NULL) != STRATA_OK) _exit(2);
        uint32_t db;
        stg_db_create(e, "crash", &db, NULL);
        for (int i = 0;; i++) {
            stg_batch *b;
            stg_write_result res;
            stg_tag tag = {"host", 4, "x", 1};
            stg_field_in f = {"v", 1, STG_FLOAT, stg_val_from_f64(i), NULL, 0};
            stg_point_in p = {"m", 1, &tag, 1, &f, 1, (int64_t)i * SEC};
            stg_batch_new(e, db, &b);
            stg_batch_add(b, &p, NULL);
            if (stg_batch_commit(b, &res, NULL) != STRATA_OK) _exit(3);
            stg_batch_free(b);
            if (write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
            if (i == 300) stg_engine_checkpoint(e, NULL);
        }
    }
    close(fds[1]);
    int last = -1, v;
    while (last < 2000 && read(fds[0], &v, sizeof v) == sizeof v)
        last = v;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    assert_true(last >= 2000);

    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    assert_int_equal(stg_db_lookup(e, "crash", &db), STRATA_OK);
    stg_engine_stats st;
    stg_engine_stats_get(e, &st);
    assert_true(st.replayed_records > 0);
    static int64_t ts[100000];
    static uint64_t vals[100000];
    size_t n = read_all(e, db, series_of(e, db, "m", "x"), field_of(e, db, "m", "v"), INT64_MIN,
                        INT64_MAX, ts, vals, NULL, 100000);
    assert_true(n >= (size_t)last + 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ts[i], (int64_t)i * SEC);
        assert_true(stg_val_to_f64(vals[i]) == (double)i);
    }
    stg_engine_close(e);
}

static void type_conflict_is_partial_write(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    put1(e, db, "cpu", "a", "value", STG_FLOAT, stg_val_from_f64(1.5), NULL, SEC);
    stg_batch *b;
    stg_write_result res;
    stg_tag tag = {"host", 4, "b", 1};
    stg_field_in bad = {"value", 5, STG_INT, 3, NULL, 0};
    stg_field_in good = {"value", 5, STG_FLOAT, stg_val_from_f64(2.5), NULL, 0};
    stg_point_in p1 = {"cpu", 3, &tag, 1, &bad, 1, 2 * SEC};
    stg_point_in p2 = {"cpu", 3, &tag, 1, &good, 1, 3 * SEC};
    assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
    assert_int_equal(stg_batch_add(b, &p1, &err), STRATA_OK);
    assert_int_equal(stg_batch_add(b, &p2, &err), STRATA_OK);
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
    assert_int_equal(res.points_written, 1);
    assert_int_equal(res.points_rejected, 1);
    assert_int_equal(res.first_code, STRATA_ETYPE);
    assert_string_equal(res.first_error, "field type conflict: input field \"value\" on "
                                         "measurement \"cpu\" is type integer, already exists "
                                         "as type float");
    stg_batch_free(b);
    int64_t ts[4];
    uint64_t vals[4];
    size_t n = read_all(e, db, series_of(e, db, "cpu", "b"), field_of(e, db, "cpu", "value"),
                        INT64_MIN, INT64_MAX, ts, vals, NULL, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ts[0], 3 * SEC);
    stg_engine_close(e);
}

/* A point that creates many fields at once (the field cache grows while it is resolved). */
static void many_new_fields_in_one_point(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    char names[40][8];
    stg_field_in f[40];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "f%02d", i);
        f[i] = (stg_field_in){names[i], 3, STG_INT, (uint64_t)(i * 11), NULL, 0};
    }
    stg_tag tag = {"host", 4, "a", 1};
    for (int round = 0; round < 2; round++) {
        stg_batch *b;
        stg_write_result res;
        stg_point_in p = {"wide", 4, &tag, 1, f, 40, (int64_t)(round + 1) * SEC};
        assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
        assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
        assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
        assert_int_equal(res.points_written, 1);
        stg_batch_free(b);
    }
    int64_t ts[4];
    uint64_t vals[4];
    uint64_t sid = series_of(e, db, "wide", "a");
    for (int i = 0; i < 40; i++) {
        size_t n = read_all(e, db, sid, field_of(e, db, "wide", names[i]), INT64_MIN, INT64_MAX, ts,
                            vals, NULL, 4);
        assert_int_equal(n, 2);
        assert_int_equal(vals[0], (uint64_t)(i * 11));
        assert_int_equal(vals[1], (uint64_t)(i * 11));
    }
    stg_engine_close(e);
}

/* The series id of measurement m with the tags given in canonical (sorted) order. */
static uint64_t series_tags(stg_engine *e, uint32_t db, const char *m, const stg_tag *t, uint32_t n)
{
    char key[256];
    size_t kn = stg_series_key_build(m, strlen(m), t, n, key, sizeof key);
    MDB_txn *txn;
    uint64_t id = 0;
    assert_int_equal(stg_engine_read_begin(e, &txn, NULL), STRATA_OK);
    assert_int_equal(stg_index_series_lookup(stg_engine_index(e), txn, db, key, kn, &id),
                     STRATA_OK);
    stg_engine_read_end(e, txn);
    return id;
}

/*
 * Points of one batch whose tag and field keys repeat, change order, repeat a key or
 * change one key of the same length: each point gets its own canonical series and the
 * last of equal keys wins, whatever the point before it had (batch_add remembers the
 * previous point's key order).
 */
static void keys_ordered_per_point_in_a_batch(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
#define TG(k, v) {k, (uint32_t)strlen(k), v, (uint32_t)strlen(v)}
#define FL(k, x)                                                                                   \
    {                                                                                              \
        k, (uint32_t)strlen(k), STG_FLOAT, stg_val_from_f64(x), NULL, 0                            \
    }
    stg_tag t_ba[] = {TG("b", "1"), TG("a", "2")};
    stg_tag t_baa[] = {TG("b", "1"), TG("a", "2"), TG("a", "3")};
    stg_tag t_ab[] = {TG("a", "2"), TG("b", "1")};
    stg_tag t_ac[] = {TG("a", "2"), TG("c", "1")};
    stg_tag t_bc[] = {TG("b", "1"), TG("c", "2")};
    stg_field_in f_xy1[] = {FL("x", 1), FL("y", 2)};
    stg_field_in f_xy2[] = {FL("x", 3), FL("y", 4)};
    stg_field_in f_xx[] = {FL("x", 5), FL("x", 6)};
    stg_field_in f_yx[] = {FL("y", 7), FL("x", 8)};
    stg_field_in f_xz[] = {FL("x", 9), FL("z", 10)};
    stg_point_in pts[] = {
        {"m", 1, t_ba, 2, f_xy1, 2, 1 * SEC}, {"m", 1, t_ba, 2, f_xy2, 2, 2 * SEC},
        {"m", 1, t_baa, 3, f_xx, 2, 3 * SEC}, {"m", 1, t_ab, 2, f_yx, 2, 4 * SEC},
        {"m", 1, t_ac, 2, f_xz, 2, 5 * SEC},  {"m", 1, t_ba, 2, f_xx, 2, 6 * SEC},
        {"m", 1, t_bc, 2, f_xz, 2, 7 * SEC},
    };
#undef TG
#undef FL
    stg_batch *b;
    stg_write_result res;
    assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++)
        assert_int_equal(stg_batch_add(b, &pts[i], &err), STRATA_OK);
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
    assert_int_equal(res.points_written, 7);
    stg_batch_free(b);

    stg_tag s12[] = {{"a", 1, "2", 1}, {"b", 1, "1", 1}};
    stg_tag s13[] = {{"a", 1, "3", 1}, {"b", 1, "1", 1}};
    stg_tag s21[] = {{"a", 1, "2", 1}, {"c", 1, "1", 1}};
    uint64_t ab = series_tags(e, db, "m", s12, 2), ab3 = series_tags(e, db, "m", s13, 2),
             ac = series_tags(e, db, "m", s21, 2);
    uint32_t fx = field_of(e, db, "m", "x"), fy = field_of(e, db, "m", "y"),
             fz = field_of(e, db, "m", "z");
    int64_t ts[8];
    uint64_t v[8];
    /* a=2,b=1: x at 1, 2, 4 and 6 s (the last x of the point: 8 at 4 s, 6 at 6 s) */
    assert_int_equal(read_all(e, db, ab, fx, INT64_MIN, INT64_MAX, ts, v, NULL, 8), 4);
    double want_x[] = {1, 3, 8, 6};
    int64_t want_t[] = {1 * SEC, 2 * SEC, 4 * SEC, 6 * SEC};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ts[i], want_t[i]);
        assert_true(stg_val_to_f64(v[i]) == want_x[i]);
    }
    assert_int_equal(read_all(e, db, ab, fy, INT64_MIN, INT64_MAX, ts, v, NULL, 8), 3);
    assert_true(stg_val_to_f64(v[2]) == 7);
    /* a=3,b=1 (the last a wins): x = 6 at 3 s */
    assert_int_equal(read_all(e, db, ab3, fx, INT64_MIN, INT64_MAX, ts, v, NULL, 8), 1);
    assert_int_equal(ts[0], 3 * SEC);
    assert_true(stg_val_to_f64(v[0]) == 6);
    /* a=2,c=1: x = 9 and z = 10 at 5 s */
    assert_int_equal(read_all(e, db, ac, fx, INT64_MIN, INT64_MAX, ts, v, NULL, 8), 1);
    assert_true(stg_val_to_f64(v[0]) == 9);
    assert_int_equal(read_all(e, db, ac, fz, INT64_MIN, INT64_MAX, ts, v, NULL, 8), 1);
    assert_true(stg_val_to_f64(v[0]) == 10);
    /* b=1,c=2 (after a point with keys b, a and one with x, x): x = 9 and z = 10 at 7 s */
    stg_tag s_bc[] = {{"b", 1, "1", 1}, {"c", 1, "2", 1}};
    uint64_t bc = series_tags(e, db, "m", s_bc, 2);
    assert_int_equal(read_all(e, db, bc, fx, INT64_MIN, INT64_MAX, ts, v, NULL, 8), 1);
    assert_int_equal(ts[0], 7 * SEC);
    assert_true(stg_val_to_f64(v[0]) == 9);
    assert_int_equal(read_all(e, db, bc, fz, INT64_MIN, INT64_MAX, ts, v, NULL, 8), 1);
    assert_true(stg_val_to_f64(v[0]) == 10);
    stg_engine_close(e);
}

/* A checkpoint of many columns encodes on several threads; every point reads back, also
 * after a reopen (the chunks came from the threads, not from memory). */
static void checkpoint_encodes_on_threads(void **state)
{
    (void)state;
    enum { HOSTS = 300, PTS = 700 };
    for (int round = 0; round < 2; round++) {
        stg_options o;
        strata_error err = {0};
        test_options(&o);
        o.encode_threads = 4;
        o.chunk_max_points = 256; /* heads sealed raw twice a column, encoded at the checkpoint */
        stg_engine *e = open_engine_with(&o);
        uint32_t db;
        if (round == 0) {
            assert_int_equal(stg_db_create(e, "enc", &db, &err), STRATA_OK);
            for (int t = 0; t < PTS; t++) {
                stg_batch *b;
                stg_write_result res;
                assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
                for (int h = 0; h < HOSTS; h++) {
                    char host[16];
                    snprintf(host, sizeof host, "h%03d", h);
                    stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
                    stg_field_in f[2] = {
                        {"i", 1, STG_INT, (uint64_t)(int64_t)(t * h - 5000), NULL, 0},
                        {"f", 1, STG_FLOAT, stg_val_from_f64(t * 0.5 + h), NULL, 0}};
                    stg_point_in p = {"m", 1, &tag, 1, f, 2, (int64_t)t * 10 * SEC};
                    assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
                }
                assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
                stg_batch_free(b);
            }
            assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
        } else {
            assert_int_equal(stg_db_lookup(e, "enc", &db), STRATA_OK);
        }
        static int64_t ts[PTS];
        static uint64_t v[PTS];
        uint32_t fi = field_of(e, db, "m", "i"), ff = field_of(e, db, "m", "f");
        for (int h = 0; h < HOSTS; h++) {
            char host[16];
            snprintf(host, sizeof host, "h%03d", h);
            uint64_t sid = series_of(e, db, "m", host);
            assert_int_equal(read_all(e, db, sid, fi, INT64_MIN, INT64_MAX, ts, v, NULL, PTS), PTS);
            for (int t = 0; t < PTS; t++)
                assert_int_equal((int64_t)v[t], (int64_t)(t * h - 5000));
            assert_int_equal(read_all(e, db, sid, ff, INT64_MIN, INT64_MAX, ts, v, NULL, PTS), PTS);
            for (int t = 0; t < PTS; t++) {
                assert_int_equal(ts[t], (int64_t)t * 10 * SEC);
                assert_true(stg_val_to_f64(v[t]) == t * 0.5 + h);
            }
        }
        stg_engine_stats st;
        stg_engine_stats_get(e, &st);
        if (round == 1) assert_int_equal(st.replayed_records, 0);
        stg_engine_close(e);
    }
}

/* "time" as a field is dropped (and the point with it if nothing is left); as a tag it refuses. */
static void time_field_and_tag(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    stg_batch *b;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
    stg_tag tt = {"time", 4, "x", 1};
    stg_field_in only_time = {"time", 4, STG_FLOAT, stg_val_from_f64(1), NULL, 0};
    stg_field_in both[2] = {{"time", 4, STG_FLOAT, stg_val_from_f64(1), NULL, 0},
                            {"a", 1, STG_FLOAT, stg_val_from_f64(2), NULL, 0}};
    stg_point_in p1 = {"cpu", 3, NULL, 0, &only_time, 1, 1000};
    stg_point_in p2 = {"cpu", 3, NULL, 0, both, 2, 1000};
    stg_point_in p3 = {"cpu", 3, &tt, 1, &both[1], 1, 1000};
    assert_int_equal(stg_batch_add(b, &p1, &err), STRATA_EINVAL);
    assert_string_equal(
        err.msg, "invalid field name: input field \"time\" on measurement \"cpu\" is invalid");
    assert_int_equal(stg_batch_add(b, &p3, &err), STRATA_EINVAL);
    assert_string_equal(err.msg,
                        "invalid tag key: input tag \"time\" on measurement \"cpu\" is invalid");
    assert_int_equal(stg_batch_add(b, &p2, &err), STRATA_OK);
    stg_write_result res;
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
    assert_int_equal(res.points_written, 1);
    stg_batch_free(b);
    MDB_txn *txn;
    uint32_t mid, fid;
    stg_type t;
    assert_int_equal(stg_engine_read_begin(e, &txn, &err), STRATA_OK);
    assert_int_equal(stg_index_meas_lookup(stg_engine_index(e), txn, db, "cpu", 3, &mid),
                     STRATA_OK);
    assert_int_equal(stg_index_field_lookup(stg_engine_index(e), txn, db, mid, "time", 4, &fid, &t),
                     STRATA_ENOTFOUND);
    stg_engine_read_end(e, txn);
    stg_engine_close(e);
}

/* A new field given two types within one batch refuses the whole batch, as InfluxDB does. */
static void conflict_inside_a_batch_refuses_it(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    stg_batch *b;
    stg_write_result res;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    stg_field_in fa = {"a", 1, STG_FLOAT, stg_val_from_f64(1), NULL, 0};
    stg_field_in fs = {"a", 1, STG_STRING, 0, "x", 1};
    stg_field_in both[2] = {fa, fs};
    stg_point_in p1 = {"cpu", 3, NULL, 0, &fa, 1, 1000};
    stg_point_in p2 = {"cpu", 3, NULL, 0, &fs, 1, 2000};
    stg_point_in p3 = {"cpu", 3, NULL, 0, both, 2, 3000};
    /* Two points. */
    assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
    assert_int_equal(stg_batch_add(b, &p1, &err), STRATA_OK);
    assert_int_equal(stg_batch_add(b, &p2, &err), STRATA_OK);
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_ETYPE);
    assert_string_equal(err.msg, "field type conflict");
    /* One point with the key twice. */
    assert_int_equal(stg_batch_add(b, &p3, &err), STRATA_OK);
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_ETYPE);
    /* Nothing was created: the field can now be a string. */
    assert_int_equal(stg_batch_add(b, &p2, &err), STRATA_OK);
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
    assert_int_equal(res.points_written, 1);
    /* Against a stored type it is a partial write instead. */
    assert_int_equal(stg_batch_add(b, &p1, &err), STRATA_OK);
    assert_int_equal(stg_batch_add(b, &p2, &err), STRATA_OK);
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
    assert_int_equal(res.points_written, 1);
    assert_int_equal(res.points_rejected, 1);
    stg_batch_free(b);
    stg_engine_close(e);
}

static void chunk_stats_without_decoding(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    double sum = 0, mn = 1e300, mx = -1e300;
    for (int i = 0; i < 5000; i++) {
        double v = (i * 37 % 1000) / 10.0;
        sum += v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        put1(e, db, "m", "h", "v", STG_FLOAT, stg_val_from_f64(v), NULL, (int64_t)i * SEC);
    }
    assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    stg_iter *it;
    stg_block b;
    double got_sum = 0, got_min = 1e300, got_max = -1e300;
    uint64_t count = 0, undecoded = 0;
    assert_int_equal(stg_iter_open(e, db, series_of(e, db, "m", "h"), field_of(e, db, "m", "v"),
                                   INT64_MIN, INT64_MAX, &it, &err),
                     STRATA_OK);
    assert_int_equal(stg_iter_type(it), STG_FLOAT);
    while (stg_iter_next(it, 1, &b, &err) == 1) {
        if (!b.decoded) {
            undecoded++;
            count += b.info.count;
            got_sum += stg_val_to_f64(b.info.sum);
            double a = stg_val_to_f64(b.info.min), z = stg_val_to_f64(b.info.max);
            got_min = a < got_min ? a : got_min;
            got_max = z > got_max ? z : got_max;
        } else {
            for (uint32_t i = 0; i < b.n; i++) {
                double v = stg_val_to_f64(b.vals[i]);
                count++;
                got_sum += v;
                got_min = v < got_min ? v : got_min;
                got_max = v > got_max ? v : got_max;
            }
        }
    }
    stg_iter_close(it);
    assert_int_equal(count, 5000);
    assert_true(undecoded > 0);
    assert_true(got_min == mn && got_max == mx);
    assert_true(got_sum > sum - 1e-6 && got_sum < sum + 1e-6);
    stg_engine_close(e);
}

static void deletes(void **state)
{
    (void)state;
    /* Partitions of 1000 s so that a range covers whole partitions. */
    stg_engine *e = open_engine(0, 1000 * SEC);
    uint32_t db, db2;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    assert_int_equal(stg_db_create(e, "other", &db2, &err), STRATA_OK);
    for (int i = 0; i < 5000; i++) {
        put1(e, db, "m", "a", "v", STG_FLOAT, stg_val_from_f64(i), NULL, (int64_t)i * SEC);
        put1(e, db, "m", "b", "v", STG_FLOAT, stg_val_from_f64(i), NULL, (int64_t)i * SEC);
        put1(e, db, "n", "a", "v", STG_FLOAT, stg_val_from_f64(i), NULL, (int64_t)i * SEC);
        if (i % 10 == 0)
            put1(e, db2, "m", "a", "v", STG_FLOAT, stg_val_from_f64(i), NULL, (int64_t)i * SEC);
    }
    static int64_t ts[6000];
    static uint64_t vals[6000];
    uint64_t sa = series_of(e, db, "m", "a"), sb = series_of(e, db, "m", "b");
    uint32_t fv = field_of(e, db, "m", "v");
    /* Range delete of all series: [500 s, 3000 s) crosses partitions 0..2. */
    assert_int_equal(stg_delete_range(e, db, NULL, 500 * SEC, 3000 * SEC, &err), STRATA_OK);
    size_t n = read_all(e, db, sa, fv, INT64_MIN, INT64_MAX, ts, vals, NULL, 6000);
    assert_int_equal(n, 2500);
    assert_int_equal(ts[499], 499 * SEC);
    assert_int_equal(ts[500], 3000 * SEC);
    /* One series only. */
    stg_idset one = {0};
    assert_int_equal(stg_idset_add(&one, sb), STRATA_OK);
    assert_int_equal(stg_delete_range(e, db, &one, 4000 * SEC, 4500 * SEC, &err), STRATA_OK);
    assert_int_equal(read_all(e, db, sb, fv, INT64_MIN, INT64_MAX, ts, vals, NULL, 6000), 2000);
    assert_int_equal(read_all(e, db, sa, fv, INT64_MIN, INT64_MAX, ts, vals, NULL, 6000), 2500);
    /* Writes after a delete still work, and survive reopen. */
    put1(e, db, "m", "a", "v", STG_FLOAT, stg_val_from_f64(-1), NULL, 1000 * SEC);
    stg_engine_close(e);
    e = open_engine(0, 1000 * SEC);
    n = read_all(e, db, sa, fv, INT64_MIN, INT64_MAX, ts, vals, NULL, 6000);
    assert_int_equal(n, 2501);
    /* Drop a series, a measurement, a database. */
    assert_int_equal(stg_series_drop(e, db, &one, &err), STRATA_OK);
    assert_int_equal(read_all(e, db, sb, fv, INT64_MIN, INT64_MAX, ts, vals, NULL, 6000), 0);
    stg_idset_fini(&one);
    assert_int_equal(stg_measurement_drop(e, db, "n", 1, &err), STRATA_OK);
    MDB_txn *txn;
    uint32_t mid;
    assert_int_equal(stg_engine_read_begin(e, &txn, &err), STRATA_OK);
    assert_int_equal(stg_index_meas_lookup(stg_engine_index(e), txn, db, "n", 1, &mid),
                     STRATA_ENOTFOUND);
    stg_engine_read_end(e, txn);
    assert_int_equal(stg_measurement_drop(e, db, "n", 1, &err), STRATA_ENOTFOUND);
    assert_int_equal(stg_db_drop(e, "db", &err), STRATA_OK);
    assert_int_equal(stg_db_lookup(e, "db", &db), STRATA_ENOTFOUND);
    /* The other database is untouched. */
    n = read_all(e, db2, series_of(e, db2, "m", "a"), field_of(e, db2, "m", "v"), INT64_MIN,
                 INT64_MAX, ts, vals, NULL, 6000);
    assert_int_equal(n, 500);
    stg_engine_close(e);
}

/* Flip a byte inside a stored chunk: reading it is an error naming the column. */
static void corrupted_chunk_is_reported(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    for (int i = 0; i < 100; i++)
        put1(e, db, "m", "h", "v", STG_FLOAT, stg_val_from_f64(i * 1.5), NULL, (int64_t)i * SEC);
    uint64_t sid = series_of(e, db, "m", "h");
    uint32_t fid = field_of(e, db, "m", "v");
    stg_engine_close(e);

    char path[600];
    snprintf(path, sizeof path, "%s/strata.mdb", tmpdir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, (size_t)1 << 30);
    assert_int_equal(mdb_env_open(env, path, 0, 0644), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "chunks", 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[v.mv_size / 2] ^= 0x10;
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_cursor_put(cur, &k, &nv, MDB_CURRENT), 0);
    mdb_cursor_close(cur);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(copy);

    e = open_engine(0, 0);
    stg_iter *it;
    stg_block b;
    assert_int_equal(stg_iter_open(e, db, sid, fid, INT64_MIN, INT64_MAX, &it, &err), STRATA_OK);
    int rc;
    while ((rc = stg_iter_next(it, 0, &b, &err)) == 1)
        ;
    assert_int_equal(rc, STRATA_ECORRUPT);
    assert_non_null(strstr(err.msg, "series"));
    assert_non_null(strstr(err.msg, "1970-01-01T00:00:00"));
    stg_iter_close(it);
    stg_engine_close(e);
}

/* A map too small for the data: writes fail cleanly, nothing acknowledged is lost. */
static void full_map_fails_cleanly(void **state)
{
    (void)state;
    stg_options o;
    strata_error err = {0};
    test_options(&o);
    o.map_bytes = (size_t)1 << 20;
    stg_engine *e = open_engine_with(&o);
    uint32_t db;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    int acked = 0, rc = STRATA_OK;
    for (int i = 0; i < 3000 && rc == STRATA_OK; i++) {
        stg_batch *b;
        stg_write_result res;
        assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
        for (int j = 0; j < 100; j++) {
            char host[16];
            snprintf(host, sizeof host, "h%d", j);
            stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
            /* Incompressible values: every point costs about 8 bytes. */
            uint64_t v = ((uint64_t)i * 100 + (uint64_t)j) * 0x9E3779B97F4A7C15ull;
            stg_field_in f = {"v", 1, STG_UINT, v, NULL, 0};
            stg_point_in p = {"m", 1, &tag, 1, &f, 1, (int64_t)i * SEC};
            assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
        }
        rc = stg_batch_commit(b, &res, &err);
        stg_batch_free(b);
        if (rc == STRATA_OK) acked = i + 1;
        if (rc == STRATA_OK && i % 10 == 9) rc = stg_engine_checkpoint(e, &err);
    }
    assert_int_equal(rc, STRATA_EFULL);
    assert_non_null(strstr(err.msg, "full"));
    /* Further writes are refused with the same clear error. */
    {
        stg_batch *b;
        stg_write_result res;
        stg_tag tag = {"host", 4, "h0", 2};
        stg_field_in f = {"v", 1, STG_UINT, 1, NULL, 0};
        stg_point_in p = {"m", 1, &tag, 1, &f, 1, 0};
        assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
        assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
        assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_EFULL);
        stg_batch_free(b);
    }
    stg_engine_close(e);
    /* A bigger map: every acknowledged point is there. */
    e = open_engine(0, 0);
    assert_int_equal(stg_db_lookup(e, "db", &db), STRATA_OK);
    assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    static int64_t ts[4000];
    static uint64_t vals[4000];
    for (int j = 0; j < 100; j += 33) {
        char host[16];
        snprintf(host, sizeof host, "h%d", j);
        size_t n = read_all(e, db, series_of(e, db, "m", host), field_of(e, db, "m", "v"),
                            INT64_MIN, INT64_MAX, ts, vals, NULL, 4000);
        assert_true(n >= (size_t)acked);
        for (int i = 0; i < acked; i++)
            assert_int_equal(vals[i], ((uint64_t)i * 100 + (uint64_t)j) * 0x9E3779B97F4A7C15ull);
    }
    stg_engine_close(e);
}

/* Two writers race on the same timestamps; the WAL replay must rebuild exactly what memory held. */
#define RACE_T 2000
typedef struct race_ctx {
    stg_engine *e;
    uint32_t db;
    int id;
} race_ctx;

static void *race_writer(void *arg)
{
    race_ctx *c = arg;
    unsigned seed = (unsigned)c->id * 7919u + 1;
    for (int round = 0; round < 20; round++) {
        stg_batch *b;
        stg_write_result res;
        if (stg_batch_new(c->e, c->db, &b) != STRATA_OK) return (void *)1;
        for (int i = 0; i < 100; i++) {
            int t = (int)(rand_r(&seed) % RACE_T);
            stg_tag tag = {"host", 4, "x", 1};
            stg_field_in f = {"v",  1, STG_INT, (uint64_t)(c->id * 1000000 + round * 1000 + i),
                              NULL, 0};
            stg_point_in p = {"m", 1, &tag, 1, &f, 1, (int64_t)t * SEC};
            stg_batch_add(b, &p, NULL);
        }
        int rc = stg_batch_commit(b, &res, NULL);
        stg_batch_free(b);
        if (rc != STRATA_OK) return (void *)1;
    }
    return NULL;
}

static void racing_writers_replay_to_the_same_state(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        stg_options o;
        stg_engine *e;
        stg_options_default(&o);
        o.dir = tmpdir;
        o.map_bytes = (size_t)1 << 30;
        o.background = 0;
        o.wal_sync = 0;
        if (stg_engine_open(&o, &e, NULL) != STRATA_OK) _exit(2);
        uint32_t db;
        stg_db_create(e, "race", &db, NULL);
        race_ctx rc[2] = {{e, db, 1}, {e, db, 2}};
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&th[i], NULL, race_writer, &rc[i]);
        void *r0, *r1;
        pthread_join(th[0], &r0);
        pthread_join(th[1], &r1);
        if (r0 || r1) _exit(3);
        static int64_t ts[RACE_T];
        static uint64_t vals[RACE_T];
        size_t n = read_all(e, db, series_of(e, db, "m", "x"), field_of(e, db, "m", "v"), INT64_MIN,
                            INT64_MAX, ts, vals, NULL, RACE_T);
        if (write(fds[1], &n, sizeof n) != sizeof n || write(fds[1], ts, n * sizeof *ts) < 0 ||
            write(fds[1], vals, n * sizeof *vals) < 0)
            _exit(4);
        close(fds[1]);
        kill(getpid(), SIGKILL); /* no checkpoint: the restart replays the WAL */
        _exit(5);
    }
    close(fds[1]);
    static int64_t want_ts[RACE_T], ts[RACE_T];
    static uint64_t want_vals[RACE_T], vals[RACE_T];
    size_t want_n = 0;
    FILE *f = fdopen(fds[0], "rb");
    assert_int_equal(fread(&want_n, sizeof want_n, 1, f), 1);
    assert_int_equal(fread(want_ts, sizeof *want_ts, want_n, f), want_n);
    assert_int_equal(fread(want_vals, sizeof *want_vals, want_n, f), want_n);
    fclose(f);
    int status;
    waitpid(pid, &status, 0);
    assert_true(want_n > 0);
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    assert_int_equal(stg_db_lookup(e, "race", &db), STRATA_OK);
    size_t n = read_all(e, db, series_of(e, db, "m", "x"), field_of(e, db, "m", "v"), INT64_MIN,
                        INT64_MAX, ts, vals, NULL, RACE_T);
    assert_int_equal(n, want_n);
    assert_memory_equal(ts, want_ts, n * sizeof *ts);
    assert_memory_equal(vals, want_vals, n * sizeof *vals);
    stg_engine_close(e);
}

/* Compaction keeps every point, reduces the chunks, and survives reopening. */
static void compaction_keeps_every_point(void **state)
{
    (void)state;
    stg_options o;
    stg_engine *e = NULL;
    strata_error err = {0};
    stg_options_default(&o);
    o.dir = tmpdir;
    o.wal_sync = 0;
    o.background = 0;
    o.chunk_max_points = 64; /* many small chunks */
    o.partition_ns = 2000 * SEC;
    o.map_bytes = (size_t)1 << 30;
    assert_int_equal(stg_engine_open(&o, &e, &err), STRATA_OK);
    uint32_t db;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    srand(7);
    print_message("compaction seed=7\n");
    static int64_t model[2][5000];
    for (int c = 0; c < 2; c++)
        for (int t = 0; t < 5000; t++)
            model[c][t] = INT64_MIN;
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 1500; i++) {
            int c = rand() % 2, t = round < 3 ? round * 1500 + i : rand() % 5000;
            if (t >= 5000) continue;
            int64_t v = rand() % 1000;
            put1(e, db, "m", c ? "b" : "a", c ? "s" : "v", c ? STG_STRING : STG_INT, (uint64_t)v,
                 c ? (v % 2 ? "odd" : "even \"q\"") : NULL, (int64_t)t * SEC);
            model[c][t] = c ? v % 2 : v;
        }
        assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    }
    static int64_t ts[6000];
    static uint64_t vals[6000];
    static char strs[6000][64];
    for (int pass = 0; pass < 3; pass++) {
        stg_compact_stats cs;
        if (pass < 2) {
            assert_int_equal(stg_engine_compact(e, 0, &cs, &err), STRATA_OK);
            if (pass == 0) assert_true(cs.chunks_after * 4 < cs.chunks_before);
        } else {
            stg_engine_close(e);
            o.chunk_max_points = 64;
            assert_int_equal(stg_engine_open(&o, &e, &err), STRATA_OK);
        }
        for (int c = 0; c < 2; c++) {
            size_t n = read_all(e, db, series_of(e, db, "m", c ? "b" : "a"),
                                field_of(e, db, "m", c ? "s" : "v"), INT64_MIN, INT64_MAX, ts, vals,
                                c ? strs : NULL, 6000);
            size_t k = 0;
            for (int t = 0; t < 5000; t++) {
                if (model[c][t] == INT64_MIN) continue;
                assert_true(k < n);
                assert_int_equal(ts[k], (int64_t)t * SEC);
                if (c)
                    assert_string_equal(strs[k], model[c][t] ? "odd" : "even \"q\"");
                else
                    assert_int_equal((int64_t)vals[k], model[c][t]);
                k++;
            }
            assert_int_equal(k, n);
        }
    }
    /* Writes after compaction land and read back. */
    put1(e, db, "m", "a", "v", STG_INT, 123456, NULL, 10 * SEC);
    size_t n = read_all(e, db, series_of(e, db, "m", "a"), field_of(e, db, "m", "v"), 10 * SEC,
                        11 * SEC, ts, vals, NULL, 10);
    assert_int_equal(n, 1);
    assert_int_equal(vals[0], 123456);
    stg_engine_close(e);
}

/* Readers on several threads while a writer writes and checkpoints. */
typedef struct rd_ctx {
    stg_engine *e;
    uint32_t db, fid;
    uint64_t sid;
    volatile int *stop;
    int errors, reads;
} rd_ctx;

static void *reader(void *arg)
{
    rd_ctx *c = arg;
    while (!__atomic_load_n(c->stop, __ATOMIC_ACQUIRE)) {
        stg_iter *it;
        stg_block b;
        strata_error err;
        int64_t last = INT64_MIN;
        if (stg_iter_open(c->e, c->db, c->sid, c->fid, INT64_MIN, INT64_MAX, &it, &err)) {
            c->errors++;
            continue;
        }
        int rc;
        size_t n = 0;
        while ((rc = stg_iter_next(it, 0, &b, &err)) == 1) {
            for (uint32_t i = 0; i < b.n; i++) {
                if (b.ts[i] <= last || stg_val_to_f64(b.vals[i]) != (double)(b.ts[i] / SEC))
                    c->errors++;
                last = b.ts[i];
                n++;
            }
        }
        /* Points are written in order, so what a reader sees is a prefix. */
        if (rc != 0 || (n > 0 && last != (int64_t)(n - 1) * SEC)) c->errors++;
        stg_iter_close(it);
        c->reads++;
    }
    return NULL;
}

static void concurrent_readers(void **state)
{
    (void)state;
    stg_engine *e = open_engine(1, 0);
    uint32_t db;
    strata_error err = {0};
    volatile int stop = 0;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    put1(e, db, "m", "h", "v", STG_FLOAT, stg_val_from_f64(0), NULL, 0);
    rd_ctx c[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        c[i] = (rd_ctx){e, db, field_of(e, db, "m", "v"), series_of(e, db, "m", "h"), &stop, 0, 0};
        pthread_create(&th[i], NULL, reader, &c[i]);
    }
    for (int i = 1; i < 20000; i++) {
        put1(e, db, "m", "h", "v", STG_FLOAT, stg_val_from_f64(i), NULL, (int64_t)i * SEC);
        if (i % 5000 == 0) assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
        if (i % 5000 == 2500) assert_int_equal(stg_engine_compact(e, 0, NULL, &err), STRATA_OK);
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    /* Join every reader before any assertion can leave this frame. */
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c[i].errors, 0);
        assert_true(c[i].reads > 0);
    }
    stg_engine_close(e);
}

/* Random writes, overwrites, late points, checkpoints, reopens and deletes against a model. */
#define MODEL_T 3000
#define MODEL_COLS 3
/* The string the model stores beside v: its length varies with v (1 to 40 bytes). */
static void model_str(int64_t v, char out[64])
{
    int reps = (int)((v < 0 ? -v : v) % 5);
    int l = snprintf(out, 64, "s%lld", (long long)v);
    for (int i = 0; i < reps && l < 40; i++)
        l += snprintf(out + l, (size_t)(64 - l), "-%lld", (long long)(v % 97));
}

static void random_model_seed(unsigned seed)
{
    print_message("random_model seed=%u (STRATA_SEED=%u to replay)\n", seed, seed);
    srand(seed);
    static int64_t model[MODEL_COLS][MODEL_T]; /* value, or INT64_MIN when absent */
    for (int c = 0; c < MODEL_COLS; c++)
        for (int t = 0; t < MODEL_T; t++)
            model[c][t] = INT64_MIN;
    const char *hosts[MODEL_COLS] = {"h0", "h1", "h2"};
    stg_engine *e = open_engine(0, 700 * SEC);
    uint32_t db;
    strata_error err = {0};
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    static int64_t ts[MODEL_T + 10];
    static uint64_t vals[MODEL_T + 10];
    for (int op = 0; op < 40; op++) {
        int kind = rand() % 10;
        if (kind < 7) {
            /* A batch of random points, some in order, some late, some rewritten. */
            stg_batch *b;
            stg_write_result res;
            assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
            int base = rand() % MODEL_T, n = 1 + rand() % 400;
            for (int i = 0; i < n; i++) {
                int c = rand() % MODEL_COLS;
                int t = rand() % 4 ? (base + i) % MODEL_T : rand() % MODEL_T;
                int64_t v = rand() % 100000 - 50000;
                stg_tag tag = {"host", 4, hosts[c], 2};
                char sv[64];
                model_str(v, sv);
                stg_field_in f[2] = {{"v", 1, STG_INT, (uint64_t)v, NULL, 0},
                                     {"s", 1, STG_STRING, 0, sv, (uint32_t)strlen(sv)}};
                stg_point_in p = {"m", 1, &tag, 1, f, 2, (int64_t)t * SEC};
                assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
                model[c][t] = v;
            }
            assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
            assert_int_equal(res.points_written, n);
            stg_batch_free(b);
        } else if (kind == 7) {
            assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
        } else if (kind == 8) {
            stg_engine_close(e);
            e = open_engine(0, 700 * SEC);
        } else {
            int a = rand() % MODEL_T, z = a + rand() % 1500;
            assert_int_equal(
                stg_delete_range(e, db, NULL, (int64_t)a * SEC, (int64_t)z * SEC, &err), STRATA_OK);
            for (int c = 0; c < MODEL_COLS; c++)
                for (int t = a; t < z && t < MODEL_T; t++)
                    model[c][t] = INT64_MIN;
        }
        /* Check every column over a random window. */
        for (int c = 0; c < MODEL_COLS; c++) {
            MDB_txn *txn;
            char key[16];
            stg_tag tag = {"host", 4, hosts[c], 2};
            size_t kl = stg_series_key_build("m", 1, &tag, 1, key, sizeof key);
            uint64_t sid;
            assert_int_equal(stg_engine_read_begin(e, &txn, &err), STRATA_OK);
            int rc = stg_index_series_lookup(stg_engine_index(e), txn, db, key, kl, &sid);
            stg_engine_read_end(e, txn);
            if (rc == STRATA_ENOTFOUND) continue;
            int a = rand() % MODEL_T, z = a + rand() % MODEL_T;
            size_t n = read_all(e, db, sid, field_of(e, db, "m", "v"), (int64_t)a * SEC,
                                (int64_t)z * SEC, ts, vals, NULL, MODEL_T + 10);
            size_t k = 0;
            for (int t = a; t < z && t < MODEL_T; t++) {
                if (model[c][t] == INT64_MIN) continue;
                if (k >= n) fail_msg("seed %u op %d col %d: missing t=%d", seed, op, c, t);
                if (ts[k] != (int64_t)t * SEC || (int64_t)vals[k] != model[c][t])
                    fail_msg("seed %u op %d col %d: at t=%d got (%lld, %lld) want %lld", seed, op,
                             c, t, (long long)(ts[k] / SEC), (long long)vals[k],
                             (long long)model[c][t]);
                k++;
            }
            assert_int_equal(k, n);
            /* The string field of the same points: merges of string chunks. */
            static char strs[MODEL_T + 10][64];
            n = read_all(e, db, sid, field_of(e, db, "m", "s"), (int64_t)a * SEC, (int64_t)z * SEC,
                         ts, vals, strs, MODEL_T + 10);
            k = 0;
            for (int t = a; t < z && t < MODEL_T; t++) {
                if (model[c][t] == INT64_MIN) continue;
                char want[64];
                model_str(model[c][t], want);
                if (k >= n || ts[k] != (int64_t)t * SEC || strcmp(strs[k], want) != 0)
                    fail_msg("seed %u op %d col %d: string at t=%d wrong", seed, op, c, t);
                k++;
            }
            assert_int_equal(k, n);
        }
    }
    stg_engine_close(e);
}

static void random_model(void **state)
{
    (void)state;
    const char *env = getenv("STRATA_SEED");
    if (env) {
        random_model_seed((unsigned)strtoul(env, NULL, 10));
        return;
    }
    for (unsigned seed = 1; seed <= 4; seed++) {
        random_model_seed(seed);
        strata_rm_tree(tmpdir);
        mkdir(tmpdir, 0700);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(all_types_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(last_write_wins_and_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(replay_after_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(type_conflict_is_partial_write, setup, teardown),
        cmocka_unit_test_setup_teardown(many_new_fields_in_one_point, setup, teardown),
        cmocka_unit_test_setup_teardown(keys_ordered_per_point_in_a_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(checkpoint_encodes_on_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(time_field_and_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(conflict_inside_a_batch_refuses_it, setup, teardown),
        cmocka_unit_test_setup_teardown(chunk_stats_without_decoding, setup, teardown),
        cmocka_unit_test_setup_teardown(deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupted_chunk_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(full_map_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(compaction_keeps_every_point, setup, teardown),
        cmocka_unit_test_setup_teardown(racing_writers_replay_to_the_same_state, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(random_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
