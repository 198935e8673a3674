/*
 * tests/unit/storage/test_wal.c: the write-ahead log's normal life: append
 * and replay round trips over every payload shape (empty, one byte, large
 * compressible and incompressible, larger than the append buffer), LSNs
 * across rotation and reopen, start_lsn after truncation, exact truncation,
 * the directory lock, argument checks and the replay contract. Recovery from
 * damage is in test_wal_recovery.c, threads and crashes in
 * test_wal_concurrency.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "wal_test_util.h"

static stg_wal_options opts(size_t seg, int sync)
{
    stg_wal_options o;
    memset(&o, 0, sizeof o);
    o.segment_bytes = seg;
    o.sync = sync;
    return o;
}

static stg_wal *open_ok(const char *dir, const stg_wal_options *o, uint64_t start)
{
    stg_wal *w = NULL;
    strata_error err;
    int rc = stg_wal_open(dir, o, start, &w, &err);
    if (rc != 0) fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, STRATA_OK);
    assert_non_null(w);
    return w;
}

/* Replay everything >= from into c (fresh) and return the stats. */
static stg_wal_replay_stats replay_all(stg_wal *w, uint64_t from, wt_coll *c)
{
    stg_wal_replay_stats st;
    strata_error err;
    int rc = stg_wal_replay(w, from, wt_collect, c, &st, &err);
    if (rc != 0) fprintf(stderr, "replay: %s\n", err.msg);
    assert_int_equal(rc, STRATA_OK);
    return st;
}

static void round_trip_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {
        0, 1, 2, 23, 24, 25, 100, 4095, 4096, 4097, 65536, 100000, 1 << 20, (1 << 20) + 1, 3 << 20};
    enum { N = sizeof sizes / sizeof sizes[0] };
    char *dir = wt_tmpdir();
    stg_wal_options o = opts(0, 1);
    stg_wal *w = open_ok(dir, &o, 1);
    wt_coll c = {0};
    stg_wal_stats ws;
    uint64_t lsn, expect = 1;

    assert_int_equal(stg_wal_replay(w, 1, wt_collect, &c, NULL, NULL), STRATA_OK);
    assert_int_equal(c.n, 0);
    /* Every size twice: once compressible (even key), once random (odd key). */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < N; i++) {
            size_t len = sizes[i];
            if (((expect + 0) % 2 == 0) != (pass == 0)) {
                /* Keep the parity of the key in step with the pass by padding with a 0-byte record.
                 */
                assert_int_equal(wt_append_lsn(w, 9, 0, 0, &lsn), STRATA_OK);
                expect++;
            }
            assert_int_equal(wt_append_lsn(w, (uint8_t)(1 + i), len, 0, &lsn), STRATA_OK);
            assert_int_equal(lsn, expect);
            expect++;
        }
    }
    assert_int_equal(stg_wal_sync(w, UINT64_MAX, NULL), STRATA_OK);
    stg_wal_stat(w, &ws);
    assert_true(ws.compressed > 0);
    assert_true(ws.compressed < ws.appends);
    assert_int_equal(ws.synced_lsn, expect - 1);
    stg_wal_close(w);

    w = open_ok(dir, &o, 1);
    stg_wal_replay_stats st = replay_all(w, 1, &c);
    assert_int_equal(c.n, expect - 1);
    assert_int_equal(st.records, expect - 1);
    assert_int_equal(st.first_lsn, 1);
    assert_int_equal(st.last_lsn, expect - 1);
    assert_int_equal(st.cut_bytes, 0);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.recs[i].lsn, i + 1);
        assert_true(c.recs[i].ok);
    }
    /* The sizes came back in order (skipping parity padding records of type 9). */
    size_t k = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (c.recs[i].type == 9 && c.recs[i].len == 0) continue;
        assert_int_equal(c.recs[i].len, sizes[k % N]);
        assert_int_equal(c.recs[i].type, 1 + k % N);
        k++;
    }
    assert_int_equal(k, 2 * N);
    assert_int_equal(stg_wal_next_lsn(w), expect);
    stg_wal_close(w);
    wt_coll_free(&c);
    wt_rm_rf(dir);
}

static void many_records_rotate_and_reopen(void **state)
{
    (void)state;
    const uint64_t seed = 20240601;
    char *dir = wt_tmpdir();
    stg_wal_options o = opts(64 * 1024, 0);
    stg_wal *w;
    wt_coll c = {0};
    uint64_t lsn = 0, segs[4096] = {0};
    stg_wal_stats ws;

    printf("seed %" PRIu64 "\n", seed);
    w = open_ok(dir, &o, 1);
    for (uint64_t i = 1; i <= 5000; i++) {
        assert_int_equal(
            wt_append_lsn(w, (uint8_t)(1 + i % 255), wt_len_for(i, seed, 2000), 0, &lsn),
            STRATA_OK);
        assert_int_equal(lsn, i);
        if (i % 700 == 0) assert_int_equal(stg_wal_sync(w, i, NULL), STRATA_OK);
    }
    stg_wal_stat(w, &ws);
    assert_true(ws.rotations > 5);
    stg_wal_close(w);

    /* Every segment is named by its first LSN and no segment exceeds the limit. */
    int n = wt_list_segs(dir, segs, 4096);
    assert_true(n > 5);
    assert_int_equal(segs[0], 1);
    for (int i = 0; i < n; i++)
        assert_true(wt_file_size(wt_seg_path(dir, segs[i])) <= 64 * 1024);

    w = open_ok(dir, &o, 1);
    stg_wal_replay_stats st = replay_all(w, 1, &c);
    assert_int_equal(c.n, 5000);
    assert_int_equal(st.segments, (uint32_t)n);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.recs[i].lsn, i + 1);
        assert_int_equal(c.recs[i].len, wt_len_for(i + 1, seed, 2000));
        assert_int_equal(c.recs[i].type, 1 + (i + 1) % 255);
        assert_true(c.recs[i].ok);
    }
    /* Records in segment k are exactly [segs[k], segs[k+1]). */
    assert_int_equal(stg_wal_next_lsn(w), 5001);
    for (uint64_t i = 5001; i <= 5100; i++) {
        assert_int_equal(wt_append_lsn(w, 3, wt_len_for(i, seed, 2000), 0, &lsn), STRATA_OK);
        assert_int_equal(lsn, i);
    }
    stg_wal_close(w);

    /* Replay from the middle reads only what it needs and starts at from_lsn. */
    w = open_ok(dir, &o, 1);
    wt_coll_free(&c);
    st = replay_all(w, 4000, &c);
    assert_int_equal(c.n, 1101);
    assert_int_equal(st.first_lsn, 4000);
    assert_int_equal(st.last_lsn, 5100);
    assert_true(st.segments < (uint32_t)n);
    for (size_t i = 0; i < c.n; i++)
        assert_true(c.recs[i].ok && c.recs[i].lsn == 4000 + i);
    stg_wal_close(w);
    wt_coll_free(&c);
    wt_rm_rf(dir);
}

static void explicit_rotation_and_truncate_exact(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal_options o = opts(0, 1);
    stg_wal *w = open_ok(dir, &o, 1);
    uint64_t lsn, next, segs[16];
    wt_coll c = {0};
    strata_error err;

    assert_int_equal(stg_wal_replay(w, 1, NULL, NULL, NULL, &err), STRATA_OK);
    /* An empty current segment does not rotate. */
    assert_int_equal(stg_wal_rotate(w, &next, &err), STRATA_OK);
    assert_int_equal(next, 1);
    for (int s = 0; s < 3; s++) {
        for (int i = 0; i < 5; i++)
            assert_int_equal(wt_append_lsn(w, 1, 10, 0, &lsn), STRATA_OK);
        assert_int_equal(stg_wal_rotate(w, &next, &err), STRATA_OK);
        assert_int_equal(next, lsn + 1);
    }
    /* Segments 1 (1..5), 6 (6..10), 11 (11..15), 16 (current, empty). */
    assert_int_equal(wt_list_segs(dir, segs, 16), 4);
    assert_int_equal(segs[0], 1);
    assert_int_equal(segs[1], 6);
    assert_int_equal(segs[2], 11);
    assert_int_equal(segs[3], 16);
    /* Rotation trimmed the preallocation of the old segments: 32 + 5 * (24 + 10). */
    assert_int_equal(wt_file_size(wt_seg_path(dir, 1)), 32 + 5 * 34);
    long long sum = 0;
    for (int i = 0; i < 4; i++)
        sum += wt_file_size(wt_seg_path(dir, segs[i]));
    assert_int_equal(stg_wal_disk_bytes(w), (uint64_t)sum);

    assert_int_equal(stg_wal_truncate(w, 5, &err), STRATA_OK); /* 5 still needed */
    assert_int_equal(wt_list_segs(dir, segs, 16), 4);
    assert_int_equal(stg_wal_truncate(w, 6, &err), STRATA_OK); /* 1..5 all < 6 */
    assert_int_equal(wt_list_segs(dir, segs, 16), 3);
    assert_int_equal(segs[0], 6);
    assert_int_equal(stg_wal_truncate(w, 10, &err), STRATA_OK);
    assert_int_equal(wt_list_segs(dir, segs, 16), 3);
    assert_int_equal(stg_wal_truncate(w, 11, &err), STRATA_OK);
    assert_int_equal(wt_list_segs(dir, segs, 16), 2);
    assert_int_equal(segs[0], 11);
    /* Everything below UINT64_MAX: all but the current segment. */
    assert_int_equal(wt_append_lsn(w, 1, 10, 0, &lsn), STRATA_OK);
    assert_int_equal(lsn, 16);
    assert_int_equal(stg_wal_truncate(w, UINT64_MAX, &err), STRATA_OK);
    assert_int_equal(wt_list_segs(dir, segs, 16), 1);
    assert_int_equal(segs[0], 16);
    assert_int_equal(stg_wal_sync(w, lsn, &err), STRATA_OK);
    stg_wal_close(w);

    w = open_ok(dir, &o, 1);
    replay_all(w, 16, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.recs[0].lsn, 16);
    assert_true(c.recs[0].ok);
    assert_int_equal(stg_wal_next_lsn(w), 17);
    stg_wal_close(w);
    wt_coll_free(&c);
    wt_rm_rf(dir);
}

static void start_lsn_honoured(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal_options o = opts(0, 0);
    stg_wal *w = open_ok(dir, &o, 1);
    uint64_t lsn, next, segs[8];
    wt_coll c = {0};

    for (int i = 0; i < 10; i++)
        assert_int_equal(wt_append_lsn(w, 1, 50, 0, &lsn), STRATA_OK);
    assert_int_equal(stg_wal_rotate(w, &next, NULL), STRATA_OK);
    assert_int_equal(next, 11);
    assert_int_equal(stg_wal_truncate(w, next, NULL), STRATA_OK);
    stg_wal_close(w);
    /* Every segment gone (the engine checkpointed 1..10, an operator cleaned up). */
    assert_int_equal(unlink(wt_seg_path(dir, 11)), 0);
    assert_int_equal(wt_list_segs(dir, segs, 8), 0);

    w = open_ok(dir, &o, 11);
    stg_wal_replay_stats st = replay_all(w, 11, &c);
    assert_int_equal(st.records, 0);
    assert_int_equal(stg_wal_next_lsn(w), 11);
    assert_int_equal(wt_append_lsn(w, 1, 50, 0, &lsn), STRATA_OK);
    assert_int_equal(lsn, 11);
    stg_wal_close(w);

    /* A start LSN beyond the log's end: old segments (all checkpointed) go away. */
    w = open_ok(dir, &o, 100);
    st = replay_all(w, 100, &c);
    assert_int_equal(st.records, 0);
    assert_int_equal(stg_wal_next_lsn(w), 100);
    assert_int_equal(wt_list_segs(dir, segs, 8), 1);
    assert_int_equal(segs[0], 100);
    assert_int_equal(wt_append_lsn(w, 1, 50, 0, &lsn), STRATA_OK);
    assert_int_equal(lsn, 100);
    stg_wal_close(w);

    /* A start LSN below the log's end changes nothing. */
    w = open_ok(dir, &o, 5);
    wt_coll_free(&c);
    replay_all(w, 1, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.recs[0].lsn, 100);
    assert_true(c.recs[0].ok);
    assert_int_equal(stg_wal_next_lsn(w), 101);
    stg_wal_close(w);

    /* A fresh directory (with missing parents) starts at start_lsn. */
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/a/b/wal", dir);
    w = open_ok(sub, &o, 42);
    assert_int_equal(stg_wal_next_lsn(w), 42);
    assert_int_equal(wt_append_lsn(w, 1, 5, 0, &lsn), STRATA_OK);
    assert_int_equal(lsn, 42);
    stg_wal_close(w);
    assert_true(wt_file_size(wt_seg_path(sub, 42)) > 0);
    wt_coll_free(&c);
    wt_rm_rf(dir);
}

static void second_open_is_busy(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal *w = open_ok(dir, NULL, 1), *w2 = NULL;
    strata_error err;

    assert_int_equal(stg_wal_open(dir, NULL, 1, &w2, &err), STRATA_EBUSY);
    assert_null(w2);
    assert_non_null(strstr(err.msg, "in use"));
    stg_wal_close(w);
    w2 = open_ok(dir, NULL, 1);
    stg_wal_close(w2);
    wt_rm_rf(dir);
}

static void bad_arguments(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal_options o = opts(100, 1);
    stg_wal *w = NULL;
    uint8_t b[4] = {1, 2, 3, 4};
    strata_error err;

    assert_int_equal(stg_wal_open(dir, &o, 1, &w, &err), STRATA_EINVAL);
    assert_null(w);
    assert_int_equal(stg_wal_open(NULL, NULL, 1, &w, &err), STRATA_EINVAL);
    w = open_ok(dir, NULL, 1);
    assert_int_equal(stg_wal_append(w, 0, b, 4, NULL, &err), STRATA_EINVAL);
    assert_int_equal(stg_wal_append(w, 1, NULL, 4, NULL, &err), STRATA_EINVAL);
    assert_int_equal(stg_wal_append(w, 1, b, STG_WAL_PAYLOAD_MAX + 1, NULL, &err), STRATA_EINVAL);
    assert_int_equal(stg_wal_append(w, 1, NULL, 0, NULL, &err), STRATA_OK);
    assert_int_equal(stg_wal_append(NULL, 1, b, 4, NULL, &err), STRATA_EINVAL);
    /* Replay after an append breaks the contract. */
    assert_int_equal(stg_wal_replay(w, 1, NULL, NULL, NULL, &err), STRATA_EINVAL);
    /* Sync of an LSN not yet assigned syncs what exists. */
    assert_int_equal(stg_wal_sync(w, 1000, &err), STRATA_OK);
    stg_wal_close(w);
    stg_wal_close(NULL);
    wt_rm_rf(dir);
}

static void callback_stops_replay_and_lazy_recovery(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal_options o = opts(4096, 0);
    stg_wal *w = open_ok(dir, &o, 1);
    wt_coll c = {0};
    uint64_t lsn;
    stg_wal_replay_stats st;

    for (int i = 0; i < 300; i++)
        assert_int_equal(wt_append_lsn(w, 7, 40, 0, &lsn), STRATA_OK);
    stg_wal_close(w);

    w = open_ok(dir, &o, 1);
    c.stop_at_lsn = 123;
    assert_int_equal(stg_wal_replay(w, 1, wt_collect, &c, &st, NULL), 42);
    assert_int_equal(c.n, 122);
    /* Replay again after a stop: allowed, starts over. */
    wt_coll_free(&c);
    st = replay_all(w, 1, &c);
    assert_int_equal(c.n, 300);
    /* And once more before any append (re-reads, no duplicate state). */
    wt_coll_free(&c);
    st = replay_all(w, 250, &c);
    assert_int_equal(c.n, 51);
    stg_wal_close(w);

    /* No replay at all: the first append recovers and continues the LSNs. */
    w = open_ok(dir, &o, 1);
    assert_int_equal(wt_append_lsn(w, 7, 40, 0, &lsn), STRATA_OK);
    assert_int_equal(lsn, 301);
    stg_wal_close(w);
    w = open_ok(dir, &o, 1);
    assert_int_equal(stg_wal_next_lsn(w), 302);
    stg_wal_close(w);
    wt_coll_free(&c);
    wt_rm_rf(dir);
}

static void never_compress_and_huge_record_segment(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal_options o = opts(STG_WAL_SEGMENT_MIN, 1);
    stg_wal *w;
    wt_coll c = {0};
    uint64_t lsn, segs[16];
    stg_wal_stats ws;

    o.compress_min_bytes = SIZE_MAX;
    w = open_ok(dir, &o, 1);
    assert_int_equal(wt_append_lsn(w, 1, 100, 0, &lsn), STRATA_OK);
    /* Larger than a segment: it gets a segment of its own. */
    assert_int_equal(wt_append_lsn(w, 2, 3 * STG_WAL_SEGMENT_MIN, 0, &lsn), STRATA_OK);
    assert_int_equal(wt_append_lsn(w, 3, 100, 0, &lsn), STRATA_OK);
    assert_int_equal(stg_wal_sync(w, lsn, NULL), STRATA_OK);
    stg_wal_stat(w, &ws);
    assert_int_equal(ws.compressed, 0);
    assert_int_equal(ws.segments, 3);
    stg_wal_close(w);
    assert_int_equal(wt_list_segs(dir, segs, 16), 3);
    assert_int_equal(segs[1], 2);
    assert_int_equal(segs[2], 3);

    w = open_ok(dir, &o, 1);
    replay_all(w, 1, &c);
    assert_int_equal(c.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(c.recs[i].ok);
    assert_int_equal(c.recs[1].len, 3 * STG_WAL_SEGMENT_MIN);
    stg_wal_close(w);
    wt_coll_free(&c);
    wt_rm_rf(dir);
}

/* The byte-exact example of storage/format/wal.md: the format cannot drift silently. */
static void known_answer_bytes(void **state)
{
    (void)state;
    static const uint8_t want[59] = {
        0x53, 0x54, 0x52, 0x41, 0x54, 0x41, 0x57, 0x4c, 0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0xe1, 0xac, 0xd4, 0x82, 0x4d,
        0xa4, 0xe5, 0x07, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xfc, 0xd1, 0x6e, 0x89, 0x02, 0xed, 0x58, 0x05, 0x61, 0x62, 0x63};
    char *dir = wt_tmpdir();
    stg_wal *w = open_ok(dir, NULL, 1);
    uint64_t lsn = 0;
    size_t len = 0;

    assert_int_equal(stg_wal_append(w, 7, "abc", 3, &lsn, NULL), STRATA_OK);
    assert_int_equal(lsn, 1);
    stg_wal_close(w);
    uint8_t *img = wt_read_file(wt_seg_path(dir, 1), &len);
    assert_non_null(img);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(img, want, sizeof want);
    free(img);
    wt_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_bytes),
        cmocka_unit_test(round_trip_sizes),
        cmocka_unit_test(many_records_rotate_and_reopen),
        cmocka_unit_test(explicit_rotation_and_truncate_exact),
        cmocka_unit_test(start_lsn_honoured),
        cmocka_unit_test(second_open_is_busy),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(callback_stops_replay_and_lazy_recovery),
        cmocka_unit_test(never_compress_and_huge_record_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
