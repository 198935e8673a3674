/*
 * The engine's WAL write records across a crash: a child process writes
 * points of every type with edge values (type-2 varint records, as the write
 * path logs them), appends a fixed-width type-1 record (the format earlier
 * builds wrote, which a WAL left by them still holds) and a malformed record,
 * then is killed with SIGKILL. The reopened engine must replay every point of
 * both formats and skip only the malformed record. And the replay checkpoints
 * on the way when its sealed chunks reach checkpoint_bytes, also across a
 * crash in the middle of such a replay. White-box: the records are
 * appended through the engine's own log (storage/engine_int.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/engine.h"
#include "storage/engine_int.h"

#include "engine_testutil.h"

/* Edge values per type, written at timestamps TS[i] (decreasing, negative, huge gaps). */
static const int64_t TS[] = {5 * SEC, -7 * SEC, INT64_MAX - 1, INT64_MIN + 1, 0, 6 * SEC};
#define NV (sizeof TS / sizeof TS[0])
static const int64_t IV[NV] = {INT64_MIN, INT64_MAX, -1, 0, 1, 300};
static const uint64_t UV[NV] = {UINT64_MAX, 0, 127, 128, 1ull << 63, 16384};
static const char *SV[NV] = {"", "x", "a string with spaces", "\xe2\x82\xac", "q", "last"};

static uint64_t fv(size_t i)
{
    static const double d[NV] = {-0.0, INFINITY, -INFINITY, 1e308, 4.9e-324, 2.5};
    if (i == 0) return 0x7ff8dead0000beefull; /* a NaN with a payload: bits kept */
    return stg_val_from_f64(d[i]);
}

/* One batch with five points (one per type) at each timestamp, in TS order. */
static int write_all(stg_engine *e, uint32_t db)
{
    stg_batch *b;
    stg_write_result res;
    stg_tag tag = {"host", 4, "h", 1};
    if (stg_batch_new(e, db, &b) != STRATA_OK) return -1;
    for (size_t i = 0; i < NV; i++) {
        stg_field_in f[5] = {
            {"f", 1, STG_FLOAT, fv(i), NULL, 0},
            {"i", 1, STG_INT, (uint64_t)IV[i], NULL, 0},
            {"u", 1, STG_UINT, UV[i], NULL, 0},
            {"b", 1, STG_BOOL, i & 1, NULL, 0},
            {"s", 1, STG_STRING, 0, SV[i], (uint32_t)strlen(SV[i])},
        };
        stg_point_in p = {"m", 1, &tag, 1, f, 5, TS[i]};
        if (stg_batch_add(b, &p, NULL) != STRATA_OK) return -1;
    }
    int rc = stg_batch_commit(b, &res, NULL);
    stg_batch_free(b);
    return rc == STRATA_OK && res.points_written == NV ? 0 : -1;
}

/* A type-1 record: u32 db, u64 series, i64 ts, u32 nfields, (u32 fid, u8 type, u64 value). */
static size_t type1_record(uint8_t *out, uint32_t db, uint64_t series, uint32_t fid_f,
                           uint32_t fid_i, int64_t ts)
{
    uint8_t *w = out;
    uint32_t nf = 2;
    double d = 42.5;
    int64_t iv = -123456789;
    memcpy(w, &db, 4), w += 4;
    memcpy(w, &series, 8), w += 8;
    memcpy(w, &ts, 8), w += 8;
    memcpy(w, &nf, 4), w += 4;
    memcpy(w, &fid_f, 4), w += 4;
    *w++ = STG_FLOAT;
    memcpy(w, &d, 8), w += 8;
    memcpy(w, &fid_i, 4), w += 4;
    *w++ = STG_INT;
    memcpy(w, &iv, 8), w += 8;
    return (size_t)(w - out);
}

static void child(void)
{
    stg_options o;
    stg_engine *e;
    test_options(&o);
    o.wal_sync = 1; /* acknowledged as a server acknowledges */
    if (stg_engine_open(&o, &e, NULL) != STRATA_OK) _exit(2);
    uint32_t db;
    if (stg_db_create(e, "recs", &db, NULL) != STRATA_OK) _exit(3);
    if (write_all(e, db) != 0) _exit(4);
    uint8_t rec[64];
    size_t n = type1_record(rec, db, series_of(e, db, "m", "h"), field_of(e, db, "m", "f"),
                            field_of(e, db, "m", "i"), 9 * SEC);
    if (stg_wal_append(e->wal, STG__REC_WRITE, rec, n, NULL, NULL) != STRATA_OK) _exit(5);
    /* Malformed: a type-2 record whose field tag names type 7. */
    uint8_t bad[] = {(uint8_t)db, 1, 2, 3, 4, 5, 6, 7, 8, 2, 1, 7 << 0 | 1 << 3};
    if (stg_wal_append(e->wal, STG__REC_WRITE2, bad, sizeof bad, NULL, NULL) != STRATA_OK) _exit(6);
    /* And a last good point after it, which must still be replayed. */
    put1(e, db, "m", "h", "f", STG_FLOAT, stg_val_from_f64(7.0), NULL, 10 * SEC);
    if (stg_wal_sync(e->wal, UINT64_MAX, NULL) != STRATA_OK) _exit(7);
    kill(getpid(), SIGKILL); /* no checkpoint: the restart replays the WAL */
    _exit(8);
}

/* Index of TS sorted ascending. */
static void sorted_order(size_t *ord)
{
    for (size_t i = 0; i < NV; i++)
        ord[i] = i;
    for (size_t i = 1; i < NV; i++)
        for (size_t j = i; j > 0 && TS[ord[j - 1]] > TS[ord[j]]; j--) {
            size_t t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
}

static void both_record_formats_replay(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) child();
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    assert_int_equal(stg_db_lookup(e, "recs", &db), STRATA_OK);
    stg_engine_stats st;
    stg_engine_stats_get(e, &st);
    assert_true(st.replayed_records >= 3);
    uint64_t s = series_of(e, db, "m", "h");
    size_t ord[NV];
    sorted_order(ord);
    int64_t ts[16];
    uint64_t v[16];
    static char strs[16][64];

    /* Floats: the six of type 2, 42.5 at 9 s (type 1), 7.0 at 10 s (after the bad record). */
    size_t n = read_all(e, db, s, field_of(e, db, "m", "f"), INT64_MIN, INT64_MAX, ts, v, NULL, 16);
    assert_int_equal(n, NV + 2);
    size_t k = 0;
    for (size_t j = 0; j < NV; j++) {
        size_t i = ord[j];
        if (TS[i] > 9 * SEC) break;
        assert_int_equal(ts[k], TS[i]);
        assert_int_equal(v[k], fv(i));
        k++;
    }
    assert_int_equal(ts[k], 9 * SEC);
    assert_true(stg_val_to_f64(v[k]) == 42.5);
    assert_int_equal(ts[k + 1], 10 * SEC);
    assert_true(stg_val_to_f64(v[k + 1]) == 7.0);
    assert_int_equal(ts[n - 1], INT64_MAX - 1);

    /* Integers: six of type 2 and -123456789 at 9 s. */
    n = read_all(e, db, s, field_of(e, db, "m", "i"), INT64_MIN, INT64_MAX, ts, v, NULL, 16);
    assert_int_equal(n, NV + 1);
    for (size_t j = 0, k2 = 0; j < NV; j++, k2++) {
        size_t i = ord[j];
        if (TS[i] > 9 * SEC && ts[k2] == 9 * SEC) {
            assert_int_equal((int64_t)v[k2], -123456789);
            k2++;
        }
        assert_int_equal(ts[k2], TS[i]);
        assert_int_equal((int64_t)v[k2], IV[i]);
    }

    n = read_all(e, db, s, field_of(e, db, "m", "u"), INT64_MIN, INT64_MAX, ts, v, NULL, 16);
    assert_int_equal(n, NV);
    for (size_t j = 0; j < NV; j++) {
        assert_int_equal(ts[j], TS[ord[j]]);
        assert_int_equal(v[j], UV[ord[j]]);
    }
    n = read_all(e, db, s, field_of(e, db, "m", "b"), INT64_MIN, INT64_MAX, ts, v, NULL, 16);
    assert_int_equal(n, NV);
    for (size_t j = 0; j < NV; j++)
        assert_int_equal(v[j], ord[j] & 1);
    n = read_all(e, db, s, field_of(e, db, "m", "s"), INT64_MIN, INT64_MAX, ts, v, strs, 16);
    assert_int_equal(n, NV);
    for (size_t j = 0; j < NV; j++)
        assert_string_equal(strs[j], SV[ord[j]]);
    stg_engine_close(e);
}

/* The varint record is what makes the WAL small: integer points cost a few bytes a value. */
static void type2_records_are_compact(void **state)
{
    (void)state;
    stg_engine *e = open_engine(0, 0);
    uint32_t db;
    assert_int_equal(stg_db_create(e, "c", &db, NULL), STRATA_OK);
    stg_batch *b;
    stg_write_result res;
    stg_tag tag = {"host", 4, "h", 1};
    assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
    for (int i = 0; i < 1000; i++) {
        stg_field_in f[4] = {{"a", 1, STG_INT, (uint64_t)(i % 100), NULL, 0},
                             {"b", 1, STG_INT, 5, NULL, 0},
                             {"c", 1, STG_UINT, 7, NULL, 0},
                             {"d", 1, STG_BOOL, 1, NULL, 0}};
        stg_point_in p = {"m", 1, &tag, 1, f, 4, 1500000000 * SEC + i * 10 * SEC};
        assert_int_equal(stg_batch_add(b, &p, NULL), STRATA_OK);
    }
    stg_wal_stats ws0, ws1;
    stg_wal_stat(e->wal, &ws0);
    assert_int_equal(stg_batch_commit(b, &res, NULL), STRATA_OK);
    stg_wal_stat(e->wal, &ws1);
    stg_batch_free(b);
    /* Per point: 8 series + 5 time delta + 1 count + 4 x (1 tag + 1 value) = 22 bytes; type 1
     * took 20 + 4 x 13 = 72. */
    uint64_t bytes = ws1.append_bytes - ws0.append_bytes;
    assert_true(bytes < 1000 * 24 + 64);
    assert_true(bytes > 1000 * 18);
    stg_engine_close(e);
}

/* Options for the replay tests: small chunks and a small checkpoint budget. */
static stg_engine *open_small(void)
{
    stg_options o;
    test_options(&o);
    o.chunk_max_points = 128;
    o.checkpoint_bytes = 64 << 10;
    return open_engine_with(&o);
}

enum { RH = 200, RP = 3000 };

static double rv(int h, int t)
{
    return (double)((h * 7919 + t * 104729) % 100000) / 100.0;
}

/* Check every point of the replay test; a duplicate or a missing point fails. */
static void check_replayed(stg_engine *e)
{
    uint32_t db;
    assert_int_equal(stg_db_lookup(e, "rep", &db), STRATA_OK);
    static int64_t ts[RP + 1];
    static uint64_t v[RP + 1];
    uint32_t fid = field_of(e, db, "m", "f");
    for (int h = 0; h < RH; h++) {
        char host[16];
        snprintf(host, sizeof host, "h%03d", h);
        size_t n = read_all(e, db, series_of(e, db, "m", host), fid, INT64_MIN, INT64_MAX, ts, v,
                            NULL, RP + 1);
        assert_int_equal(n, RP);
        for (int t = 0; t < RP; t++) {
            assert_int_equal(ts[t], (int64_t)t * SEC);
            assert_true(stg_val_to_f64(v[t]) == rv(h, t));
        }
    }
}

/*
 * The replay at open checkpoints whenever the sealed chunks reach checkpoint_bytes, so that
 * its memory stays bounded however long the WAL; a crash in the middle of such a replay
 * (after some of those checkpoints) loses and doubles nothing at the next open.
 */
static void replay_checkpoints_bound_memory(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        stg_engine *e = open_small();
        uint32_t db;
        if (stg_db_create(e, "rep", &db, NULL) != STRATA_OK) _exit(2);
        for (int t = 0; t < RP; t += 100) {
            stg_batch *b;
            stg_write_result res;
            if (stg_batch_new(e, db, &b) != STRATA_OK) _exit(3);
            for (int h = 0; h < RH; h++)
                for (int k = t; k < t + 100; k++) {
                    char host[16];
                    snprintf(host, sizeof host, "h%03d", h);
                    stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
                    stg_field_in f = {"f", 1, STG_FLOAT, stg_val_from_f64(rv(h, k)), NULL, 0};
                    stg_point_in p = {"m", 1, &tag, 1, &f, 1, (int64_t)k * SEC};
                    if (stg_batch_add(b, &p, NULL) != STRATA_OK) _exit(4);
                }
            if (stg_batch_commit(b, &res, NULL) != STRATA_OK) _exit(5);
            stg_batch_free(b);
        }
        if (stg_wal_sync(e->wal, UINT64_MAX, NULL) != STRATA_OK) _exit(6);
        kill(getpid(), SIGKILL); /* everything is in the WAL, nothing in LMDB */
        _exit(7);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));

    /* A replay that checkpoints on the way, killed right after the open. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        stg_engine *e = open_small();
        stg_engine_stats st;
        stg_engine_stats_get(e, &st);
        if (st.replay_checkpoints < 3) _exit(2);
        kill(getpid(), SIGKILL);
        _exit(3);
    }
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    /* And the open after it: replays only what the last of those checkpoints left. */
    stg_engine *e = open_small();
    stg_engine_stats st;
    stg_engine_stats_get(e, &st);
    printf("replay: %llu records, %llu checkpoints on the way, %llu bytes pending after\n",
           (unsigned long long)st.replayed_records, (unsigned long long)st.replay_checkpoints,
           (unsigned long long)st.pending_bytes);
    assert_true(st.pending_bytes < 2 * (64 << 10));
    check_replayed(e);
    stg_engine_close(e);
    e = open_small(); /* and after a clean close */
    check_replayed(e);
    stg_engine_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(both_record_formats_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(type2_records_are_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(replay_checkpoints_bound_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
