/*
 * tests/unit/storage/test_wal_recovery.c: the write-ahead log survives
 * damage. A tail torn at every byte of the last record, a flipped byte in
 * every field of a record, a zeroed hole, corruption in a middle segment,
 * garbage and empty segment files, a missing middle segment, a segment of a
 * newer version and leftover temporary files: replay returns every record
 * before the damage, cuts and reports the rest (log line with file, offset
 * and bytes), never refuses to start, and appends after it are readable on
 * the next open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/resource.h>
#include <xxhash.h>

#include "wal_test_util.h"

static stg_wal_options opts(size_t seg)
{
    stg_wal_options o;
    memset(&o, 0, sizeof o);
    o.segment_bytes = seg;
    o.sync = 0; /* durability is not under test here; keeps hundreds of reopens fast */
    return o;
}

/* A logger writing to a temporary file so tests can read what was reported. */
typedef struct cap_log {
    strata_logger lg;
    char text[16384];
} cap_log;

static void cap_open(cap_log *c)
{
    memset(c, 0, sizeof *c);
    c->lg.sink = tmpfile();
    c->lg.level = STRATA_LOG_INFO;
    assert_non_null(c->lg.sink);
}

/* Read what was logged so far into c->text and start over. */
static const char *cap_take(cap_log *c)
{
    long n = ftell(c->lg.sink);
    if (n > (long)sizeof c->text - 1) n = (long)sizeof c->text - 1;
    rewind(c->lg.sink);
    size_t got = fread(c->text, 1, (size_t)n, c->lg.sink);
    c->text[got] = '\0';
    rewind(c->lg.sink);
    assert_int_equal(ftruncate(fileno(c->lg.sink), 0), 0);
    return c->text;
}

static void cap_close(cap_log *c)
{
    fclose(c->lg.sink);
}

static stg_wal *open_ok(const char *dir, const stg_wal_options *o, uint64_t start)
{
    stg_wal *w = NULL;
    strata_error err;
    int rc = stg_wal_open(dir, o, start, &w, &err);
    if (rc != 0) fprintf(stderr, "open: %s\n", err.msg);
    assert_int_equal(rc, STRATA_OK);
    return w;
}

static stg_wal_replay_stats replay_ok(stg_wal *w, uint64_t from, wt_coll *c)
{
    stg_wal_replay_stats st;
    strata_error err;
    int rc = stg_wal_replay(w, from, wt_collect, c, &st, &err);
    if (rc != 0) fprintf(stderr, "replay: %s\n", err.msg);
    assert_int_equal(rc, STRATA_OK);
    return st;
}

/* Append n records with payload lengths len(lsn); returns the next LSN. */
static uint64_t fill_log(stg_wal *w, uint64_t n, size_t len)
{
    uint64_t lsn = 0;
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(wt_append_lsn(w, (uint8_t)(1 + i % 200), len, 0, &lsn), STRATA_OK);
    assert_int_equal(stg_wal_sync(w, UINT64_MAX, NULL), STRATA_OK);
    return lsn + 1;
}

/* Expected cut: from start to the last non-zero byte of image[start, end). */
static uint64_t nonzero_span(const uint8_t *image, size_t start, size_t end)
{
    for (size_t i = end; i > start; i--)
        if (image[i - 1] != 0) return i - start;
    return 0;
}

/* After damage: replay sees exactly 1..good, cut as expected; append; reopen sees good+1. */
static void check_recovers(const char *dir, const stg_wal_options *o, uint64_t good,
                           uint64_t want_cut, cap_log *cl, const char *must_log)
{
    wt_coll c = {0};
    stg_wal *w = open_ok(dir, o, 1);
    stg_wal_replay_stats st = replay_ok(w, 1, &c);
    const char *logged = cap_take(cl);
    uint64_t lsn;

    assert_int_equal(c.n, good);
    for (size_t i = 0; i < c.n; i++)
        assert_true(c.recs[i].lsn == i + 1 && c.recs[i].ok);
    if (st.cut_bytes != want_cut)
        fprintf(stderr, "cut_bytes %" PRIu64 " want %" PRIu64 "; log: %s\n", st.cut_bytes, want_cut,
                logged);
    assert_int_equal(st.cut_bytes, want_cut);
    if (want_cut > 0) {
        assert_non_null(strstr(logged, "warn"));
        if (must_log != NULL && strstr(logged, must_log) == NULL) {
            fprintf(stderr, "log lacks \"%s\": %s\n", must_log, logged);
            fail();
        }
    } else {
        assert_null(strstr(logged, "cut"));
    }
    assert_int_equal(stg_wal_next_lsn(w), good + 1);
    assert_int_equal(wt_append_lsn(w, 77, 33, 0, &lsn), STRATA_OK);
    assert_int_equal(lsn, good + 1);
    assert_int_equal(stg_wal_sync(w, lsn, NULL), STRATA_OK);
    stg_wal_close(w);

    wt_coll_free(&c);
    w = open_ok(dir, o, 1);
    st = replay_ok(w, 1, &c);
    assert_int_equal(st.cut_bytes, 0);
    assert_int_equal(c.n, good + 1);
    for (size_t i = 0; i < c.n; i++)
        assert_true(c.recs[i].lsn == i + 1 && c.recs[i].ok);
    assert_int_equal(c.recs[good].type, 77);
    stg_wal_close(w);
    (void)cap_take(cl);
    wt_coll_free(&c);
}

/*
 * Build a one-segment log of n records whose last record has last_len bytes;
 * return the segment image and the offset where the last record starts.
 */
static uint8_t *golden(const char *dir, const stg_wal_options *o, uint64_t n, size_t last_len,
                       size_t *img_len, size_t *last_start)
{
    stg_wal *w = open_ok(dir, o, 1);
    uint64_t lsn;
    fill_log(w, n - 1, 100);
    stg_wal_close(w); /* trims the preallocation: size = end of data */
    *last_start = (size_t)wt_file_size(wt_seg_path(dir, 1));
    w = open_ok(dir, o, 1);
    assert_int_equal(wt_append_lsn(w, 5, last_len, 0, &lsn), STRATA_OK);
    assert_int_equal(lsn, n);
    stg_wal_close(w);
    uint8_t *img = wt_read_file(wt_seg_path(dir, 1), img_len);
    assert_non_null(img);
    assert_true(*img_len > *last_start);
    return img;
}

static void torn_tail_at_every_offset(void **state)
{
    (void)state;
    /* Last record: odd LSN 21 -> 300 random bytes; even LSN 22 -> 6000 compressible bytes,
     * stored LZ4-compressed. */
    static const struct {
        uint64_t n;
        size_t len;
    } cases[] = {{21, 300}, {22, 6000}};
    cap_log cl;
    cap_open(&cl);
    stg_wal_options o = opts(1 << 20);
    o.log = &cl.lg;

    for (size_t ci = 0; ci < 2; ci++) {
        char *dir = wt_tmpdir();
        size_t len = 0, start = 0;
        uint8_t *img = golden(dir, &o, cases[ci].n, cases[ci].len, &len, &start);
        char where[64];
        snprintf(where, sizeof where, "%020d.wal: cut torn or corrupt tail at offset %zu", 1,
                 start);
        printf("case %zu: last record [%zu, %zu)\n", ci, start, len);
        if (ci == 1) /* compressed: header + u32 + LZ4 block, well below 6000 */
            assert_true(len - start < 24 + 4 + 3000);
        for (size_t k = start; k < len; k++) {
            /* Torn by truncation. */
            assert_int_equal(wt_write_file(wt_seg_path(dir, 1), img, k), 0);
            check_recovers(dir, &o, cases[ci].n - 1, nonzero_span(img, start, k), &cl, where);
            /* Torn with zeros after it (a preallocated or unwritten tail). */
            uint8_t *z = calloc(1, len + 8192);
            memcpy(z, img, k);
            assert_int_equal(wt_write_file(wt_seg_path(dir, 1), z, len + 8192), 0);
            check_recovers(dir, &o, cases[ci].n - 1, nonzero_span(img, start, k), &cl, where);
            free(z);
        }
        free(img);
        wt_rm_rf(dir);
    }
    cap_close(&cl);
}

static void flipped_byte_cuts_there(void **state)
{
    (void)state;
    /* Offsets inside record 15: type, flags, reserved, length, LSN, checksum, payload. */
    static const size_t at[] = {0, 1, 2, 4, 7, 8, 15, 16, 23, 24, 70, 123};
    cap_log cl;
    cap_open(&cl);
    stg_wal_options o = opts(0);
    o.log = &cl.lg;
    char *dir = wt_tmpdir();
    stg_wal *w = open_ok(dir, &o, 1);
    fill_log(w, 30, 100); /* key = lsn; odd lsn: random, even: compressible but < 4096 */
    stg_wal_close(w);
    size_t len = 0;
    uint8_t *img = wt_read_file(wt_seg_path(dir, 1), &len);
    assert_int_equal(len, 32 + 30 * 124);
    size_t start = 32 + 14 * 124;
    char where[64];
    snprintf(where, sizeof where, "offset %zu, dropping %zu bytes", start, len - start);

    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            img[start + at[i]] ^= (uint8_t)(1u << bit);
            assert_int_equal(wt_write_file(wt_seg_path(dir, 1), img, len), 0);
            img[start + at[i]] ^= (uint8_t)(1u << bit);
            check_recovers(dir, &o, 14, len - start, &cl, where);
        }
    }
    /* The cut left the file ending at the damage (plus the one record appended after). */
    assert_int_equal(wt_file_size(wt_seg_path(dir, 1)), (long long)start + 24 + 33);
    assert_int_equal(wt_count_suffix(dir, ".corrupt"), 0);
    free(img);
    wt_rm_rf(dir);
    cap_close(&cl);
}

static void zero_tail_is_clean_and_zero_hole_is_cut(void **state)
{
    (void)state;
    cap_log cl;
    cap_open(&cl);
    stg_wal_options o = opts(0);
    o.log = &cl.lg;
    char *dir = wt_tmpdir();
    stg_wal *w = open_ok(dir, &o, 1);
    fill_log(w, 20, 100);
    stg_wal_close(w);
    size_t len = 0;
    uint8_t *img = wt_read_file(wt_seg_path(dir, 1), &len);

    /* 100 KiB of zeros after the last record: the normal end, nothing reported. */
    uint8_t *z = calloc(1, len + 100000);
    memcpy(z, img, len);
    assert_int_equal(wt_write_file(wt_seg_path(dir, 1), z, len + 100000), 0);
    check_recovers(dir, &o, 20, 0, &cl, NULL);

    /* Record 5 zeroed, later records intact: a hole, so everything from 5 is cut. */
    memcpy(z, img, len);
    size_t start = 32 + 4 * 124;
    memset(z + start, 0, 124);
    assert_int_equal(wt_write_file(wt_seg_path(dir, 1), z, len), 0);
    check_recovers(dir, &o, 4, len - start, &cl, "zero bytes where a record header should be");
    free(z);
    free(img);
    wt_rm_rf(dir);
    cap_close(&cl);
}

static void corrupt_middle_segment_quarantines_later_ones(void **state)
{
    (void)state;
    cap_log cl;
    cap_open(&cl);
    stg_wal_options o = opts(4096);
    o.log = &cl.lg;
    char *dir = wt_tmpdir();
    stg_wal *w = open_ok(dir, &o, 1);
    uint64_t segs[64];
    fill_log(w, 200, 100);
    stg_wal_close(w);
    int n = wt_list_segs(dir, segs, 64);
    assert_true(n >= 5);

    /* Flip a payload byte of the third record of the third segment. */
    char path[4096];
    snprintf(path, sizeof path, "%s", wt_seg_path(dir, segs[2]));
    size_t len = 0;
    uint8_t *img = wt_read_file(path, &len);
    size_t start = 32 + 2 * 124;
    img[start + 50] ^= 0x10;
    assert_int_equal(wt_write_file(path, img, len), 0);
    uint64_t later = 0;
    for (int i = 3; i < n; i++)
        later += (uint64_t)wt_file_size(wt_seg_path(dir, segs[i]));

    uint64_t good = segs[2] + 1; /* records before the damaged one */
    check_recovers(dir, &o, good, (len - start) + later, &cl, "checksum mismatch");
    assert_int_equal(wt_count_suffix(dir, ".corrupt"), n - 3);
    free(img);
    wt_rm_rf(dir);
    cap_close(&cl);
}

static void garbage_segment_files(void **state)
{
    (void)state;
    cap_log cl;
    cap_open(&cl);
    stg_wal_options o = opts(4096);
    o.log = &cl.lg;
    uint8_t junk[5000];
    wt_fill(junk, sizeof junk, 1); /* odd key: random bytes */

    /* (a) The only segment is garbage: start empty at start_lsn, keep the garbage aside. */
    char *dir = wt_tmpdir();
    assert_int_equal(wt_write_file(wt_seg_path(dir, 1), junk, sizeof junk), 0);
    check_recovers(dir, &o, 0, sizeof junk, &cl, "bad segment header: bad magic");
    assert_int_equal(wt_count_suffix(dir, ".wal.corrupt"), 1);
    /* The same name damaged again never overwrites the first quarantined copy. */
    stg_wal *w = open_ok(dir, &o, 1);
    stg_wal_close(w);
    assert_int_equal(wt_write_file(wt_seg_path(dir, 1), junk, 10), 0);
    check_recovers(dir, &o, 0, 10, &cl, ".corrupt.1");
    assert_int_equal(wt_count_suffix(dir, ".corrupt"), 1);
    assert_int_equal(wt_count_suffix(dir, ".corrupt.1"), 1);
    wt_rm_rf(dir);

    /* (b) A garbage segment after a good log. */
    dir = wt_tmpdir();
    w = open_ok(dir, &o, 1);
    uint64_t next = fill_log(w, 50, 100);
    stg_wal_close(w);
    assert_int_equal(wt_write_file(wt_seg_path(dir, next), junk, sizeof junk), 0);
    check_recovers(dir, &o, 50, sizeof junk, &cl, "renamed to");
    wt_rm_rf(dir);

    /* (c) Same, but replay starts past the log: the skipped segment before the garbage is
     * read to find the end, and nothing is replayed. */
    dir = wt_tmpdir();
    w = open_ok(dir, &o, 1);
    next = fill_log(w, 100, 100);
    stg_wal_close(w);
    assert_int_equal(wt_write_file(wt_seg_path(dir, next), junk, sizeof junk), 0);
    {
        wt_coll c = {0};
        w = open_ok(dir, &o, 1);
        stg_wal_replay_stats st = replay_ok(w, 1000, &c);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.cut_bytes, sizeof junk);
        assert_int_equal(stg_wal_next_lsn(w), next);
        stg_wal_close(w);
        (void)cap_take(&cl);
        wt_coll_free(&c);
    }
    wt_rm_rf(dir);

    /* (d) An empty file and a file shorter than a header, as the newest segments. */
    dir = wt_tmpdir();
    w = open_ok(dir, &o, 1);
    next = fill_log(w, 10, 100);
    stg_wal_close(w);
    assert_int_equal(wt_write_file(wt_seg_path(dir, next), junk, 0), 0);
    check_recovers(dir, &o, 10, 0, &cl, NULL);
    assert_int_equal(wt_count_suffix(dir, ".corrupt"), 1);
    assert_int_equal(wt_write_file(wt_seg_path(dir, next + 1), junk, 31), 0);
    check_recovers(dir, &o, 11, 31, &cl, "shorter than a segment header");
    wt_rm_rf(dir);
    cap_close(&cl);
}

static void missing_middle_segment(void **state)
{
    (void)state;
    cap_log cl;
    cap_open(&cl);
    stg_wal_options o = opts(0);
    o.log = &cl.lg;
    char *dir = wt_tmpdir();
    stg_wal *w = open_ok(dir, &o, 1);
    uint64_t next;
    fill_log(w, 5, 10);
    assert_int_equal(stg_wal_rotate(w, &next, NULL), STRATA_OK);
    assert_int_equal(next, 6);
    fill_log(w, 5, 10);
    assert_int_equal(stg_wal_rotate(w, &next, NULL), STRATA_OK);
    fill_log(w, 5, 10);
    stg_wal_close(w);
    long long third = wt_file_size(wt_seg_path(dir, 11));
    assert_int_equal(unlink(wt_seg_path(dir, 6)), 0);
    check_recovers(dir, &o, 5, (uint64_t)third, &cl, "previous segment ends at LSN 5");
    wt_rm_rf(dir);
    cap_close(&cl);
}

static void newer_version_is_refused_untouched(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal *w = NULL;
    strata_error err;
    uint8_t seg[32 + 64] = "STRATAWL";
    seg[8] = 2; /* version 2, little-endian */
    seg[12] = 32;
    seg[16] = 1; /* first LSN 1 */
    uint64_t h = XXH3_64bits(seg, 24);
    for (int i = 0; i < 8; i++)
        seg[24 + i] = (uint8_t)(h >> (8 * i));
    memset(seg + 32, 0xab, 64);
    assert_int_equal(wt_write_file(wt_seg_path(dir, 1), seg, sizeof seg), 0);

    assert_int_equal(stg_wal_open(dir, NULL, 1, &w, &err), STRATA_OK);
    assert_int_equal(stg_wal_replay(w, 1, NULL, NULL, NULL, &err), STRATA_EVERSION);
    assert_non_null(strstr(err.msg, "version 2"));
    assert_int_equal(stg_wal_append(w, 1, "x", 1, NULL, &err), STRATA_EVERSION);
    stg_wal_close(w);
    size_t len = 0;
    uint8_t *img = wt_read_file(wt_seg_path(dir, 1), &len);
    assert_int_equal(len, sizeof seg);
    assert_memory_equal(img, seg, sizeof seg);
    assert_int_equal(wt_count_suffix(dir, ".corrupt"), 0);
    free(img);
    wt_rm_rf(dir);
}

static void leftover_tmp_file_is_removed(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/%020d.wal.tmp", dir, 7);
    assert_int_equal(wt_write_file(path, (const uint8_t *)"half", 4), 0);
    stg_wal *w = open_ok(dir, NULL, 1);
    assert_int_equal(wt_file_size(path), -1);
    stg_wal_close(w);
    wt_rm_rf(dir);
}

/*
 * A write that fails (here: RLIMIT_FSIZE cuts a write short, then refuses
 * the rest with EFBIG) makes the log failed: the sync reports it, later
 * appends and syncs repeat it, and a reopen recovers every record that was
 * synced before, cutting the torn one.
 */
static void failed_write_is_sticky_and_recoverable(void **state)
{
    (void)state;
    cap_log cl;
    cap_open(&cl);
    stg_wal_options o = opts(1 << 20);
    o.sync = 1;
    o.log = &cl.lg;
    char *dir = wt_tmpdir();
    stg_wal *w = open_ok(dir, &o, 1);
    struct rlimit old, lim;
    strata_error err;
    uint64_t lsn = 0, synced = 0;
    int rc = 0;

    assert_int_equal(stg_wal_replay(w, 1, NULL, NULL, NULL, NULL), STRATA_OK);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 64 * 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (int i = 0; i < 200 && rc == 0; i++) {
        rc = wt_append_lsn(w, 1, 1000, 0, &lsn);
        if (rc == 0) rc = stg_wal_sync(w, lsn, &err);
        if (rc == 0) synced = lsn;
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, STRATA_EIO);
    assert_true(synced > 30 && synced < 70);
    assert_non_null(strstr(cap_take(&cl), "refuses writes until reopened"));
    /* Sticky, even though writes would work again now. */
    assert_int_equal(stg_wal_append(w, 1, "x", 1, NULL, &err), STRATA_EIO);
    assert_non_null(strstr(err.msg, "must be reopened"));
    assert_int_equal(stg_wal_sync(w, UINT64_MAX, &err), STRATA_EIO);
    assert_int_equal(stg_wal_rotate(w, NULL, &err), STRATA_EIO);
    stg_wal_close(w);

    /* The record being written when the limit hit is torn (zeros of the preallocation after
     * its first bytes): cut from where it starts. */
    uint64_t torn_start = 32 + synced * (24 + 1000);
    check_recovers(dir, &o, synced, 64 * 1024 - torn_start, &cl, "checksum mismatch");
    wt_rm_rf(dir);
    cap_close(&cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(torn_tail_at_every_offset),
        cmocka_unit_test(flipped_byte_cuts_there),
        cmocka_unit_test(zero_tail_is_clean_and_zero_hole_is_cut),
        cmocka_unit_test(corrupt_middle_segment_quarantines_later_ones),
        cmocka_unit_test(garbage_segment_files),
        cmocka_unit_test(missing_middle_segment),
        cmocka_unit_test(newer_version_is_refused_untouched),
        cmocka_unit_test(leftover_tmp_file_is_removed),
        cmocka_unit_test(failed_write_is_sticky_and_recoverable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
