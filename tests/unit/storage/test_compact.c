/*
 * tests/unit/storage/test_compact.c: compaction in slices with a rate limit
 * (storage/compact.c through stg_engine_compact_opts and the background job).
 *
 * Every test checks points against a model: compaction may change how
 * points are stored, never which points are read. Random tests print their
 * seed. The whole-table repack (stg_engine_compact) is also covered by
 * test_engine.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "storage/engine.h"
#include "storage/engine_int.h" /* repack_fills_leaf_pages reads the chunk table's page count */
#include "common/fs.h"

#define SEC 1000000000ll

static char tmpdir[512];

static int setup(void **state)
{
    const char *base = getenv("STRATA_TEST_TMP");
    if (base == NULL) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/compact-XXXXXX", base);
    assert_non_null(mkdtemp(tmpdir));
    *state = tmpdir;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    strata_rm_tree(tmpdir);
    return 0;
}

static void base_options(stg_options *o)
{
    stg_options_default(o);
    o->dir = tmpdir;
    o->wal_sync = 0;
    o->background = 0;
    o->chunk_max_points = 64; /* many small chunks */
    o->partition_ns = 2000 * SEC;
    o->map_bytes = (size_t)1 << 30;
}

static stg_engine *open_with(const stg_options *o)
{
    stg_engine *e = NULL;
    strata_error err = {0};
    if (stg_engine_open(o, &e, &err) != STRATA_OK) fail_msg("open: %s", err.msg);
    return e;
}

/* Write n points of one integer field of host h, one batch. */
static void put_n(stg_engine *e, uint32_t db, const char *host, const int64_t *ts,
                  const int64_t *vals, size_t n)
{
    stg_batch *b;
    stg_write_result res;
    strata_error err = {0};
    stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
    assert_int_equal(stg_batch_new(e, db, &b), STRATA_OK);
    for (size_t i = 0; i < n; i++) {
        stg_field_in f = {"v", 1, STG_INT, (uint64_t)vals[i], NULL, 0};
        stg_point_in p = {"m", 1, &tag, 1, &f, 1, ts[i]};
        assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
    }
    int rc = stg_batch_commit(b, &res, &err);
    if (rc != STRATA_OK) fail_msg("commit: %s", err.msg);
    assert_int_equal(res.points_rejected, 0);
    stg_batch_free(b);
}

static int lookup(stg_engine *e, uint32_t db, const char *host, uint64_t *sid, uint32_t *fid)
{
    char key[64];
    stg_tag tag = {"host", 4, host, (uint32_t)strlen(host)};
    size_t n = stg_series_key_build("m", 1, &tag, 1, key, sizeof key);
    MDB_txn *txn;
    uint32_t mid;
    stg_type t;
    int rc = stg_engine_read_begin(e, &txn, NULL);
    if (rc != STRATA_OK) return rc;
    rc = stg_index_series_lookup(stg_engine_index(e), txn, db, key, n, sid);
    if (rc == STRATA_OK) rc = stg_index_meas_lookup(stg_engine_index(e), txn, db, "m", 1, &mid);
    if (rc == STRATA_OK)
        rc = stg_index_field_lookup(stg_engine_index(e), txn, db, mid, "v", 1, fid, &t);
    stg_engine_read_end(e, txn);
    return rc;
}

/* Read host's column into ts/vals. @return the count, or -1 on an iterator error. */
static long read_col(stg_engine *e, uint32_t db, const char *host, int64_t *ts, int64_t *vals,
                     size_t cap)
{
    uint64_t sid;
    uint32_t fid;
    stg_iter *it;
    stg_block b;
    strata_error err = {0};
    size_t n = 0;
    int rc;
    if (lookup(e, db, host, &sid, &fid) != STRATA_OK) return 0;
    if (stg_iter_open(e, db, sid, fid, INT64_MIN, INT64_MAX, &it, &err) != STRATA_OK) return -1;
    while ((rc = stg_iter_next(it, 0, &b, &err)) == 1) {
        for (uint32_t i = 0; i < b.n && n < cap; i++) {
            ts[n] = b.ts[i];
            vals[n] = (int64_t)b.vals[i];
            n++;
        }
    }
    stg_iter_close(it);
    return rc == 0 ? (long)n : -1;
}

#define HOSTS 4
#define T_MAX 6000
static int64_t model[HOSTS][T_MAX]; /* INT64_MIN: no point */
static const char *host_name[HOSTS] = {"a", "b", "c", "d"};

static void check_model(stg_engine *e, uint32_t db)
{
    static int64_t ts[T_MAX + 1], vals[T_MAX + 1];
    for (int h = 0; h < HOSTS; h++) {
        long n = read_col(e, db, host_name[h], ts, vals, T_MAX + 1);
        assert_true(n >= 0);
        long k = 0;
        for (int t = 0; t < T_MAX; t++) {
            if (model[h][t] == INT64_MIN) continue;
            if (k >= n) fail_msg("host %s: point at %ds missing", host_name[h], t);
            if (ts[k] != (int64_t)t * SEC || vals[k] != model[h][t])
                fail_msg("host %s: expected %ds=%lld, read %llds=%lld", host_name[h], t,
                         (long long)model[h][t], (long long)(ts[k] / SEC), (long long)vals[k]);
            k++;
        }
        assert_int_equal(k, n);
    }
}

/* In-order runs, then random overwrites and late points, checkpointed into many chunks. */
static void fill_random(stg_engine *e, uint32_t db, unsigned seed, int rounds)
{
    strata_error err = {0};
    static int64_t ts[512], vals[512];
    srand(seed);
    print_message("compaction seed=%u\n", seed);
    for (int h = 0; h < HOSTS; h++)
        for (int t = 0; t < T_MAX; t++)
            model[h][t] = INT64_MIN;
    for (int round = 0; round < rounds; round++) {
        for (int h = 0; h < HOSTS; h++) {
            size_t n = 0;
            for (int i = 0; i < 500; i++) {
                int t = round < 3 ? round * 2000 + i * 4 + h % 4 : rand() % T_MAX;
                if (t >= T_MAX) continue;
                ts[n] = (int64_t)t * SEC;
                vals[n] = rand() % 100000 - 50000;
                model[h][t] = vals[n];
                n++;
            }
            put_n(e, db, host_name[h], ts, vals, n);
        }
        assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    }
}

/* Small slices: many transactions, every point kept; a second run writes nothing. */
static void slices_keep_every_point(void **state)
{
    (void)state;
    stg_options o;
    strata_error err = {0};
    base_options(&o);
    stg_engine *e = open_with(&o);
    uint32_t db;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    fill_random(e, db, 11, 7);
    check_model(e, db);

    stg_compact_opts co = {.slice_bytes = 2048};
    stg_compact_stats cs;
    assert_int_equal(stg_engine_compact_opts(e, &co, &cs, &err), STRATA_OK);
    print_message("slices=%llu chunks %llu -> %llu, read %llu written %llu\n",
                  (unsigned long long)cs.slices, (unsigned long long)cs.chunks_before,
                  (unsigned long long)cs.chunks_after, (unsigned long long)cs.bytes_before,
                  (unsigned long long)cs.bytes_written);
    assert_true(cs.slices > 3);
    assert_true(cs.chunks_after * 2 < cs.chunks_before);
    assert_true(cs.bytes_written > 0);
    check_model(e, db);

    /* Nothing left to merge: the second run reads and writes nothing. */
    assert_int_equal(stg_engine_compact_opts(e, &co, &cs, &err), STRATA_OK);
    assert_int_equal(cs.bytes_written, 0);
    assert_int_equal(cs.chunks_kept, cs.chunks_before);
    check_model(e, db);

    /* Overwrites after compaction win over the merged chunks, through another compaction
     * and through a reopen, a repack and a sliced run on the repacked table. */
    static int64_t ts[64], vals[64];
    for (int i = 0; i < 64; i++) {
        ts[i] = (int64_t)(i * 37) * SEC;
        vals[i] = 1000000 + i;
        model[1][i * 37] = vals[i];
    }
    put_n(e, db, host_name[1], ts, vals, 64);
    assert_int_equal(stg_engine_compact_opts(e, &co, &cs, &err), STRATA_OK);
    check_model(e, db);
    assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    assert_int_equal(stg_engine_compact_opts(e, &co, &cs, &err), STRATA_OK);
    check_model(e, db);
    stg_engine_close(e);
    e = open_with(&o);
    check_model(e, db);
    assert_int_equal(stg_engine_compact(e, 0, &cs, &err), STRATA_OK);
    check_model(e, db);
    assert_int_equal(stg_engine_compact_opts(e, &co, &cs, &err), STRATA_OK);
    check_model(e, db);
    stg_engine_close(e);
}

/* ---- concurrent writers, readers, checkpoints and sliced compactions ---- */

typedef struct conc {
    stg_engine *e;
    uint32_t db;
    volatile int stop;
    int errors, reads;
    int64_t written[HOSTS]; /* points written in order per host: t = 0 .. written-1 */
} conc;

/* Writes host h's points t = 0, 1, 2, ... with value 7t + h, in batches. */
static void *conc_writer(void *arg)
{
    conc *c = arg;
    static int64_t ts[HOSTS][50], vals[HOSTS][50];
    for (int b = 0; b < 100; b++) {
        for (int h = 0; h < HOSTS; h++) {
            for (int i = 0; i < 50; i++) {
                int64_t t = b * 50 + i;
                ts[h][i] = t * SEC;
                vals[h][i] = 7 * t + h;
            }
            put_n(c->e, c->db, host_name[h], ts[h], vals[h], 50);
            __atomic_store_n(&c->written[h], (b + 1) * 50, __ATOMIC_RELEASE);
        }
        /* Late points rewrite old times with the same values: overlapping chunks. */
        if (b % 10 == 9) {
            for (int i = 0; i < 50; i++) {
                int64_t t = (b - 9) * 50 + i * 7 % 500;
                ts[0][i] = t * SEC;
                vals[0][i] = 7 * t;
            }
            put_n(c->e, c->db, host_name[0], ts[0], vals[0], 50);
        }
        usleep(1000);
    }
    return NULL;
}

/* Checkpoints as the background thread would, but often. */
static void *conc_checkpointer(void *arg)
{
    conc *c = arg;
    strata_error err;
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        if (stg_engine_checkpoint(c->e, &err) != STRATA_OK)
            __atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
        usleep(3000);
    }
    return NULL;
}

/* What a reader sees of each host is a prefix of what was written, with its values. */
static void *conc_reader(void *arg)
{
    conc *c = arg;
    static __thread int64_t ts[T_MAX], vals[T_MAX];
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        for (int h = 0; h < HOSTS; h++) {
            int64_t before = __atomic_load_n(&c->written[h], __ATOMIC_ACQUIRE);
            long n = read_col(c->e, c->db, host_name[h], ts, vals, T_MAX);
            if (n < 0 || n < before) __atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
            for (long i = 0; i < n; i++)
                if (ts[i] != i * SEC || vals[i] != 7 * i + h) {
                    __atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
                    break;
                }
        }
        __atomic_fetch_add(&c->reads, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void concurrent_writes_reads_and_slices(void **state)
{
    (void)state;
    stg_options o;
    strata_error err = {0};
    base_options(&o);
    stg_engine *e = open_with(&o);
    static conc c;
    memset(&c, 0, sizeof c);
    c.e = e;
    assert_int_equal(stg_db_create(e, "db", &c.db, &err), STRATA_OK);
    pthread_t w, r[2], k;
    pthread_create(&w, NULL, conc_writer, &c);
    pthread_create(&k, NULL, conc_checkpointer, &c);
    for (int i = 0; i < 2; i++)
        pthread_create(&r[i], NULL, conc_reader, &c);
    int runs = 0, failed = 0;
    stg_compact_opts co = {.target_points = 256, .slice_bytes = 1024};
    stg_engine_stats es;
    for (;;) {
        int64_t done = __atomic_load_n(&c.written[HOSTS - 1], __ATOMIC_ACQUIRE);
        stg_compact_stats cs;
        if (stg_engine_compact_opts(e, &co, &cs, &err) != STRATA_OK) failed++;
        runs++;
        if (done == 5000) break;
        usleep(5000);
    }
    pthread_join(w, NULL);
    __atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        pthread_join(r[i], NULL);
    pthread_join(k, NULL);
    stg_engine_stats_get(e, &es);
    print_message("%d compactions, %d reads, %llu checkpoints\n", runs, c.reads,
                  (unsigned long long)es.checkpoints);
    assert_int_equal(failed, 0);
    assert_int_equal(c.errors, 0);
    assert_true(c.reads > 0);
    assert_true(es.checkpoints > 1);
    /* Everything, after a last checkpoint and compaction, and after a reopen. */
    for (int h = 0; h < HOSTS; h++)
        for (int t = 0; t < T_MAX; t++)
            model[h][t] = t < 5000 ? 7 * t + h : INT64_MIN;
    check_model(e, c.db);
    assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    assert_int_equal(stg_engine_compact_opts(e, &co, NULL, &err), STRATA_OK);
    check_model(e, c.db);
    stg_engine_close(e);
    e = open_with(&o);
    check_model(e, c.db);
    stg_engine_close(e);
}

/* The rate limit: total time at least the bytes read and written at the rate (lower bound). */
static void rate_limit_is_a_lower_bound(void **state)
{
    (void)state;
    stg_options o;
    strata_error err = {0};
    base_options(&o);
    o.partition_ns = 200 * SEC; /* 120 columns-partitions: many slices */
    stg_engine *e = open_with(&o);
    uint32_t db;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    fill_random(e, db, 5, 4);
    stg_compact_stats unl, lim;
    stg_compact_opts co = {.slice_bytes = 1024};
    /* First measure what a run costs without a limit on the same kind of data... */
    assert_int_equal(stg_engine_compact_opts(e, &co, &unl, &err), STRATA_OK);
    assert_true(unl.slices > 10);
    /* ...then write the same again (new chunks to merge) and run with a limit. */
    fill_random(e, db, 5, 4);
    uint64_t rate = (uint64_t)(unl.bytes_before + unl.bytes_written) * 2; /* ~0.5 s */
    co.rate_bytes = rate;
    assert_int_equal(stg_engine_compact_opts(e, &co, &lim, &err), STRATA_OK);
    double moved = (double)(lim.bytes_before + lim.bytes_written);
    double want_ns = moved * 1e9 / (double)rate;
    print_message("rate %llu B/s: %.0f bytes in %llu slices, %.3f s (%.3f s paused), "
                  "bound %.3f s; unlimited run %.3f s\n",
                  (unsigned long long)rate, moved, (unsigned long long)lim.slices,
                  (double)lim.elapsed_ns / 1e9, (double)lim.paused_ns / 1e9, want_ns / 1e9,
                  (double)unl.elapsed_ns / 1e9);
    assert_true(lim.slices > 10);
    assert_true(lim.paused_ns > 0);
    /* The last slice is not followed by a pause: allow it (and slack) off the bound. */
    assert_true((double)lim.elapsed_ns >= want_ns * 0.75);
    check_model(e, db);
    stg_engine_close(e);
}

/* A slow background compaction runs checkpoints between its slices and stops at close. */
static void background_pauses_checkpoint_and_stop(void **state)
{
    (void)state;
    stg_options o;
    strata_error err = {0};
    char logpath[600];
    snprintf(logpath, sizeof logpath, "%s.log", tmpdir);
    FILE *lf = fopen(logpath, "w+");
    assert_non_null(lf);
    strata_logger log = {lf, STRATA_LOG_INFO};
    base_options(&o);
    o.log = &log;
    o.background = 1;
    o.compact_interval_ns = 1000000; /* as soon as a checkpoint wrote something */
    o.compact_rate_bytes = 2048;     /* far slower than the data: minutes */
    o.compact_slice_bytes = 1024;
    o.checkpoint_interval_ns = 50 * 1000000;
    stg_engine *e = open_with(&o);
    uint32_t db;
    assert_int_equal(stg_db_create(e, "db", &db, &err), STRATA_OK);
    fill_random(e, db, 3, 4);
    /* Wait until the compaction is under way (it logs nothing before its end), then let
     * writes come in: the background thread must still checkpoint them. */
    usleep(600 * 1000);
    stg_engine_stats a, b;
    stg_engine_stats_get(e, &a);
    static int64_t ts[100], vals[100];
    for (int i = 0; i < 100; i++) {
        ts[i] = (int64_t)(T_MAX - 100 + i) * SEC;
        vals[i] = -i;
        model[2][T_MAX - 100 + i] = -i;
    }
    put_n(e, db, host_name[2], ts, vals, 100);
    int64_t until = strata_mono_ns() + 3 * SEC;
    do {
        usleep(20 * 1000);
        stg_engine_stats_get(e, &b);
    } while (b.checkpoints == a.checkpoints && strata_mono_ns() < until);
    assert_true(b.checkpoints > a.checkpoints);
    check_model(e, db);
    int64_t c0 = strata_mono_ns();
    stg_engine_close(e);
    double close_s = (double)(strata_mono_ns() - c0) / 1e9;
    print_message("close took %.3f s\n", close_s);
    assert_true(close_s < 5.0);
    fflush(lf);
    rewind(lf);
    char line[1024];
    int stopped = 0;
    while (fgets(line, sizeof line, lf))
        if (strstr(line, "compaction stopped at shutdown")) stopped = 1;
    fclose(lf);
    unlink(logpath);
    assert_true(stopped);
    /* What the stopped compaction did is consistent. */
    o.log = NULL;
    o.background = 0;
    e = open_with(&o);
    check_model(e, db);
    stg_engine_close(e);
}

/* LMDB's figures for the chunk table in use. */
static MDB_stat chunk_table_stat(stg_engine *e)
{
    MDB_txn *txn;
    MDB_stat ms;
    assert_int_equal(mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_stat(txn, e->dbi_chunks, &ms), 0);
    mdb_txn_abort(txn);
    return ms;
}

/* Hosts h000.. h<nh-1> hold exactly ts[0..np) with vals[h * np + i]. */
static void check_hosts(stg_engine *e, uint32_t db, int nh, int np, const int64_t *ts,
                        const int64_t *vals)
{
    int64_t *rts = malloc((size_t)(np + 1) * sizeof *rts),
            *rv = malloc((size_t)(np + 1) * sizeof *rv);
    assert_non_null(rts);
    assert_non_null(rv);
    for (int h = 0; h < nh; h++) {
        char host[16];
        snprintf(host, sizeof host, "h%03d", h);
        assert_int_equal(read_col(e, db, host, rts, rv, (size_t)np + 1), np);
        assert_memory_equal(rts, ts, (size_t)np * sizeof *ts);
        assert_memory_equal(rv, vals + (size_t)h * np, (size_t)np * sizeof *rv);
    }
    free(rts);
    free(rv);
}

/*
 * The repack appends chunks in key order and cuts each column so that its chunks fill
 * what is left of the leaf page: columns of about 1.5 KB (two to a page, 3/4 full, when
 * cut into whole columns) must come out at least 95 % full, every point kept.
 */
static void repack_fills_leaf_pages(void **state)
{
    (void)state;
    enum { NH = 300, NP = 1200 };
    stg_options o;
    base_options(&o);
    o.chunk_max_points = 0;
    stg_engine *e = open_with(&o);
    strata_error err = {0};
    uint32_t db;
    assert_int_equal(stg_db_create(e, "fill", &db, &err), STRATA_OK);
    static int64_t ts[NP], vals[NH][NP];
    unsigned seed = 7;
    for (int h = 0; h < NH; h++) {
        char host[16];
        snprintf(host, sizeof host, "h%03d", h);
        int64_t v = 0;
        for (int i = 0; i < NP; i++) {
            ts[i] = (int64_t)i * SEC;
            v += (int64_t)(rand_r(&seed) % 601) - 300; /* uniform steps: ~10 bits a point */
            vals[h][i] = v;
        }
        put_n(e, db, host, ts, vals[h], NP);
    }
    assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    stg_compact_stats st;
    assert_int_equal(stg_engine_compact(e, 0, &st, &err), STRATA_OK);

    MDB_stat ms = chunk_table_stat(e);
    assert_int_equal(ms.ms_entries, st.chunks_after);
    assert_int_equal(ms.ms_overflow_pages, 0);
    /* every node: 8 bytes of header, the key, the data rounded to even, a 2-byte slot */
    double nodes = (double)st.bytes_after + (double)st.chunks_after * (8 + STG__CKEY_LEN + 1 + 2);
    double fill = nodes / ((double)ms.ms_leaf_pages * (ms.ms_psize - 16));
    printf("repack: %llu chunks, %zu leaf pages, %.1f %% full\n",
           (unsigned long long)st.chunks_after, (size_t)ms.ms_leaf_pages, fill * 100);
    assert_true(fill >= 0.95);

    check_hosts(e, db, NH, NP, ts, &vals[0][0]);
    stg_engine_close(e);
}

static size_t leaf_pages(stg_engine *e)
{
    MDB_stat ms = chunk_table_stat(e);
    return ms.ms_leaf_pages + ms.ms_overflow_pages;
}

enum { GH = 150, GP = 3000, GROUNDS = 30 };
static int64_t g_ts[GP], g_vals[GH][GP];

/*
 * Columns of about 7 KB written over GROUNDS checkpoints (as a server writes them), into
 * partitions of partition_s seconds; then a compaction with co in a reopened engine (nothing
 * in memory: every column can be merged). Pages before and after in *before, *after.
 */
static void checkpointed_then_compacted(int64_t partition_s, const stg_compact_opts *co,
                                        size_t *before, size_t *after)
{
    stg_options o;
    base_options(&o);
    o.chunk_max_points = 0;
    o.partition_ns = partition_s * SEC;
    strata_rm_tree(tmpdir);
    mkdir(tmpdir, 0700);
    stg_engine *e = open_with(&o);
    strata_error err = {0};
    uint32_t db;
    assert_int_equal(stg_db_create(e, "grow", &db, &err), STRATA_OK);
    unsigned seed = 11;
    for (int i = 0; i < GP; i++)
        g_ts[i] = (int64_t)i * 10 * SEC;
    for (int h = 0; h < GH; h++) {
        int64_t v = 0;
        for (int i = 0; i < GP; i++) {
            v += (int64_t)(rand_r(&seed) % 400001) - 200000; /* ~19 bits a point */
            g_vals[h][i] = v;
        }
    }
    for (int r = 0; r < GROUNDS; r++) { /* a checkpoint every GP / GROUNDS points a column */
        size_t from = (size_t)r * GP / GROUNDS, n = (size_t)GP / GROUNDS;
        for (int h = 0; h < GH; h++) {
            char host[16];
            snprintf(host, sizeof host, "h%03d", h);
            put_n(e, db, host, g_ts + from, g_vals[h] + from, n);
        }
        assert_int_equal(stg_engine_checkpoint(e, &err), STRATA_OK);
    }
    stg_engine_close(e);
    e = open_with(&o);
    *before = leaf_pages(e);
    stg_compact_stats st;
    assert_int_equal(stg_engine_compact_opts(e, co, &st, &err), STRATA_OK);
    *after = leaf_pages(e);
    printf("in place (partitions of %lld s, tail up to %zu bytes): kept %llu, slices %llu, %llu -> "
           "%llu chunks, %zu -> "
           "%zu pages\n",
           (long long)partition_s, co->tail_bytes, (unsigned long long)st.chunks_kept,
           (unsigned long long)st.slices, (unsigned long long)st.chunks_before,
           (unsigned long long)st.chunks_after, *before, *after);
    assert_true(st.chunks_after > 0);
    check_hosts(e, db, GH, GP, g_ts, &g_vals[0][0]);
    stg_engine_close(e);
}

/*
 * In the middle of the table chunks are put back in ascending order, where LMDB keeps one
 * node fewer on a page than fit: compacting in place (no tail: tail_bytes 1) must not come
 * out on more pages than the checkpoints left (chunks cut to half a page took one page each).
 */
static void in_place_never_grows_pages(void **state)
{
    (void)state;
    stg_compact_opts co = {.tail_bytes = 1};
    size_t before, after;
    checkpointed_then_compacted(100000, &co, &before, &after);
    assert_true(after <= before);
}

/*
 * The newest partition ends the table: in place, it is deleted and appended again as one
 * slice, with chunks cut to fill pages, while the older partition is compacted in the
 * middle. With two partitions, the tail must take far fewer pages than without it.
 */
static void in_place_appends_the_tail(void **state)
{
    (void)state;
    stg_compact_opts middle = {.tail_bytes = 1}, tail = {0};
    size_t b1, without, b2, with;
    checkpointed_then_compacted(15000, &middle, &b1, &without);
    checkpointed_then_compacted(15000, &tail, &b2, &with);
    assert_int_equal(b1, b2);
    assert_true(with * 100 < without * 85);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(slices_keep_every_point, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_writes_reads_and_slices, setup, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_is_a_lower_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(background_pauses_checkpoint_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(repack_fills_leaf_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(in_place_never_grows_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(in_place_appends_the_tail, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
