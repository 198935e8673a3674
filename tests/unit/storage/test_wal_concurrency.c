/*
 * tests/unit/storage/test_wal_concurrency.c: the write-ahead log under
 * threads and crashes. Concurrent appenders, syncers and a rotating thread:
 * replay sees every record exactly once with the LSN it was given. Group
 * commit: with 8 threads doing append+sync, fewer fdatasyncs than appends.
 * Crash: a forked child appends and syncs from 4 threads and reports each
 * acknowledged LSN through a pipe; after SIGKILL every acknowledged record
 * replays intact.
 *
 * With STRATA_WAL_BENCH=1 in the environment, also prints append+sync
 * throughput with 1 and 8 threads, sync on (not an assertion).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "wal_test_util.h"

/* Payload of record (thread t, sequence q): 12-byte tag + bytes derived from it. */
static size_t tq_len(uint32_t t, uint64_t q)
{
    uint64_t s = ((uint64_t)t << 40) ^ q ^ 0x5eed;
    uint64_t r = wt_mix(&s);
    if (r % 97 == 0) return 12 + 1500000;                   /* larger than the append buffer */
    if (r % 13 == 0) return 12 + (size_t)(r >> 16) % 20000; /* some compress */
    return 12 + (size_t)(r >> 16) % 300;
}

static void tq_fill(uint8_t *p, size_t len, uint32_t t, uint64_t q)
{
    memcpy(p, &t, 4);
    memcpy(p + 4, &q, 8);
    wt_fill(p + 12, len - 12, ((uint64_t)t << 40) ^ q);
}

static int tq_check(const uint8_t *p, size_t len, uint32_t *t, uint64_t *q, uint8_t *scratch)
{
    if (len < 12) return 0;
    memcpy(t, p, 4);
    memcpy(q, p + 4, 8);
    if (len != tq_len(*t, *q)) return 0;
    tq_fill(scratch, len, *t, *q);
    return memcmp(scratch, p, len) == 0;
}

enum { MAXLEN = 12 + 1500000 };

/* ---- concurrent appenders, syncers and a rotator -------------------------------------- */

enum { NT = 8, PER_T = 300 };

typedef struct th_arg {
    stg_wal *w;
    uint32_t t;
    uint64_t lsn[PER_T];
    int rc;
} th_arg;

static void *appender(void *p)
{
    th_arg *a = p;
    uint8_t *buf = malloc(MAXLEN);
    strata_error err;
    for (uint64_t q = 0; q < PER_T && a->rc == 0; q++) {
        size_t len = tq_len(a->t, q);
        tq_fill(buf, len, a->t, q);
        a->rc = stg_wal_append(a->w, (uint8_t)(1 + a->t), buf, len, &a->lsn[q], &err);
        if (a->rc == 0 && q % 3 == 0) a->rc = stg_wal_sync(a->w, a->lsn[q], &err);
        if (a->rc != 0) fprintf(stderr, "thread %u: %s\n", a->t, err.msg);
    }
    if (a->rc == 0) a->rc = stg_wal_sync(a->w, a->lsn[PER_T - 1], &err);
    free(buf);
    return NULL;
}

typedef struct side_arg {
    stg_wal *w;
    atomic_int stop;
    int rc;
    uint64_t rotations;
} side_arg;

static void *rotator(void *p)
{
    side_arg *a = p;
    uint64_t next, last = 0;
    while (!atomic_load(&a->stop) && a->rc == 0) {
        a->rc = stg_wal_rotate(a->w, &next, NULL);
        if (a->rc == 0 && next < last) a->rc = -1000; /* the boundary never goes backwards */
        last = next;
        a->rotations++;
        if (a->rc == 0) a->rc = stg_wal_sync(a->w, UINT64_MAX, NULL);
        if (stg_wal_next_lsn(a->w) < next || stg_wal_disk_bytes(a->w) == 0) a->rc = -1001;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

typedef struct seen {
    uint64_t *lsn_of; /* [t * PER_T + q], 0 = not seen */
    uint64_t n, bad, dup, next_lsn;
    uint8_t *scratch;
} seen;

static int seen_cb(void *ctx, uint64_t lsn, uint8_t type, const uint8_t *payload, size_t len)
{
    seen *s = ctx;
    uint32_t t;
    uint64_t q;
    if (lsn != s->next_lsn || !tq_check(payload, len, &t, &q, s->scratch) || t >= NT ||
        q >= PER_T || type != 1 + t) {
        s->bad++;
    } else if (s->lsn_of[t * PER_T + q] != 0) {
        s->dup++;
    } else {
        s->lsn_of[t * PER_T + q] = lsn;
    }
    s->next_lsn = lsn + 1;
    s->n++;
    return 0;
}

static void concurrent_appenders_syncers_rotator(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal_options o;
    memset(&o, 0, sizeof o);
    o.segment_bytes = 256 * 1024;
    o.sync = 0;
    stg_wal *w = NULL;
    static th_arg args[NT];
    side_arg side = {0};
    pthread_t th[NT], rot;
    stg_wal_stats ws;

    assert_int_equal(stg_wal_open(dir, &o, 1, &w, NULL), STRATA_OK);
    assert_int_equal(stg_wal_replay(w, 1, NULL, NULL, NULL, NULL), STRATA_OK);
    side.w = w;
    assert_int_equal(pthread_create(&rot, NULL, rotator, &side), 0);
    for (uint32_t t = 0; t < NT; t++) {
        memset(&args[t], 0, sizeof args[t]);
        args[t].w = w;
        args[t].t = t;
        assert_int_equal(pthread_create(&th[t], NULL, appender, &args[t]), 0);
    }
    for (uint32_t t = 0; t < NT; t++)
        pthread_join(th[t], NULL);
    atomic_store(&side.stop, 1);
    pthread_join(rot, NULL);
    for (uint32_t t = 0; t < NT; t++)
        assert_int_equal(args[t].rc, 0);
    assert_int_equal(side.rc, 0);
    stg_wal_stat(w, &ws);
    assert_int_equal(ws.appends, NT * PER_T);
    assert_int_equal(ws.synced_lsn, NT * PER_T);
    printf("appends %" PRIu64 " writes %" PRIu64 " rotations %" PRIu64 " compressed %" PRIu64
           " segments %u\n",
           ws.appends, ws.writes, ws.rotations, ws.compressed, ws.segments);
    assert_true(ws.rotations > 0);
    assert_true(ws.compressed > 0);
    stg_wal_close(w);

    seen s = {0};
    s.lsn_of = calloc(NT * PER_T, sizeof *s.lsn_of);
    s.scratch = malloc(MAXLEN);
    s.next_lsn = 1;
    stg_wal_replay_stats st;
    assert_int_equal(stg_wal_open(dir, &o, 1, &w, NULL), STRATA_OK);
    assert_int_equal(stg_wal_replay(w, 1, seen_cb, &s, &st, NULL), STRATA_OK);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.dup, 0);
    assert_int_equal(s.n, NT * PER_T);
    assert_int_equal(st.cut_bytes, 0);
    for (uint32_t t = 0; t < NT; t++)
        for (uint64_t q = 0; q < PER_T; q++)
            assert_int_equal(s.lsn_of[t * PER_T + q], args[t].lsn[q]);
    stg_wal_close(w);
    free(s.lsn_of);
    free(s.scratch);
    wt_rm_rf(dir);
}

/* ---- group commit ---------------------------------------------------------------------- */

typedef struct gc_arg {
    stg_wal *w;
    int n;
    size_t len;
    int rc;
    atomic_int *stop; /* bench mode: run until *stop */
    int sync_every;   /* sync after every n-th append (0 or 1: every append) */
    uint64_t done;
} gc_arg;

static void *append_sync_loop(void *p)
{
    gc_arg *a = p;
    uint8_t *buf = malloc(a->len ? a->len : 1);
    uint64_t lsn;
    wt_fill(buf, a->len, 1); /* random: incompressible */
    for (int i = 0; (a->stop ? !atomic_load(a->stop) : i < a->n) && a->rc == 0; i++) {
        a->rc = stg_wal_append(a->w, 1, buf, a->len, &lsn, NULL);
        if (a->rc == 0 && (a->sync_every <= 1 || (i + 1) % a->sync_every == 0))
            a->rc = stg_wal_sync(a->w, lsn, NULL);
        a->done++;
    }
    if (a->rc == 0 && a->sync_every > 1) a->rc = stg_wal_sync(a->w, UINT64_MAX, NULL);
    free(buf);
    return NULL;
}

static void group_commit_groups(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal *w = NULL;
    gc_arg args[8];
    pthread_t th[8];
    stg_wal_stats ws;

    assert_int_equal(stg_wal_open(dir, NULL, 1, &w, NULL), STRATA_OK); /* sync on */
    for (int t = 0; t < 8; t++) {
        memset(&args[t], 0, sizeof args[t]);
        args[t].w = w;
        args[t].n = 100;
        args[t].len = 100;
        assert_int_equal(pthread_create(&th[t], NULL, append_sync_loop, &args[t]), 0);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].rc, 0);
    }
    stg_wal_stat(w, &ws);
    printf("8 threads x 100 append+sync: %" PRIu64 " appends, %" PRIu64 " sync calls, %" PRIu64
           " fdatasyncs\n",
           ws.appends, ws.sync_calls, ws.syncs);
    assert_int_equal(ws.appends, 800);
    assert_int_equal(ws.sync_calls, 800);
    assert_true(ws.syncs < ws.appends);
    assert_true(ws.syncs > 0);
    assert_int_equal(ws.synced_lsn, 800);
    stg_wal_close(w);
    wt_rm_rf(dir);
}

/* ---- a large record does not chase empty segments ------------------------------------ */

typedef struct big_arg {
    stg_wal *w;
    size_t len;
    int n, rc;
    atomic_int *stop;
} big_arg;

static void *big_appender(void *p)
{
    big_arg *a = p;
    uint8_t *buf = malloc(a->len);
    uint64_t lsn;
    wt_fill(buf, a->len, 3);
    for (int i = 0; (a->stop ? !atomic_load(a->stop) : i < a->n) && a->rc == 0; i++) {
        a->rc = stg_wal_append(a->w, 2, buf, a->len, &lsn, NULL);
        if (a->rc == 0) a->rc = stg_wal_sync(a->w, lsn, NULL);
    }
    free(buf);
    return NULL;
}

static void large_records_do_not_starve_rotation(void **state)
{
    (void)state;
    char *dir = wt_tmpdir();
    stg_wal_options o;
    memset(&o, 0, sizeof o);
    o.segment_bytes = 64 * 1024;
    o.sync = 1; /* slow rotations: the window in which small records sneak in */
    stg_wal *w = NULL;
    atomic_int stop = 0;
    big_arg small[3], big = {0};
    pthread_t ts[3], tb;
    stg_wal_stats ws;

    assert_int_equal(stg_wal_open(dir, &o, 1, &w, NULL), STRATA_OK);
    big.w = w;
    big.len = 100 * 1024; /* larger than a segment */
    big.n = 20;
    for (int i = 0; i < 3; i++) {
        memset(&small[i], 0, sizeof small[i]);
        small[i].w = w;
        small[i].len = 50;
        small[i].stop = &stop;
        assert_int_equal(pthread_create(&ts[i], NULL, big_appender, &small[i]), 0);
    }
    assert_int_equal(pthread_create(&tb, NULL, big_appender, &big), 0);
    pthread_join(tb, NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) {
        pthread_join(ts[i], NULL);
        assert_int_equal(small[i].rc, 0);
    }
    assert_int_equal(big.rc, 0);
    stg_wal_stat(w, &ws);
    /* Each large record costs at most two rotations, the small ones one per 64 KiB. */
    uint64_t bound = 2 * 20 + (ws.append_bytes - 20 * 100 * 1024) / (60 * 1024) + 2;
    printf("%" PRIu64 " appends, %" PRIu64 " rotations (bound %" PRIu64 ")\n", ws.appends,
           ws.rotations, bound);
    assert_true(ws.rotations <= bound);
    stg_wal_close(w);
    wt_rm_rf(dir);
}

/* ---- crash ----------------------------------------------------------------------------- */

typedef struct ack {
    uint64_t lsn, q;
    uint32_t t, pad;
} ack;

typedef struct child_arg {
    stg_wal *w;
    uint32_t t;
    int fd;
} child_arg;

static void *child_thread(void *p)
{
    child_arg *a = p;
    uint8_t *buf = malloc(MAXLEN);
    for (uint64_t q = 0; buf != NULL; q++) {
        size_t len = tq_len(a->t, q);
        ack k = {0, q, a->t, 0};
        tq_fill(buf, len, a->t, q);
        if (stg_wal_append(a->w, (uint8_t)(1 + a->t), buf, len, &k.lsn, NULL) != 0 ||
            stg_wal_sync(a->w, k.lsn, NULL) != 0)
            _exit(3);
        if (write(a->fd, &k, sizeof k) != (ssize_t)sizeof k) /* atomic: < PIPE_BUF */
            _exit(4);
    }
    _exit(5);
}

static void run_child(const char *dir, int fd)
{
    stg_wal *w = NULL;
    stg_wal_options o;
    child_arg a[4];
    pthread_t th[4];
    memset(&o, 0, sizeof o);
    o.segment_bytes = 1 << 20; /* rotations during the run */
    o.sync = 1;
    if (stg_wal_open(dir, &o, 1, &w, NULL) != 0 || stg_wal_replay(w, 1, NULL, NULL, NULL, NULL))
        _exit(2);
    for (uint32_t t = 0; t < 4; t++) {
        a[t].w = w;
        a[t].t = t;
        a[t].fd = fd;
        if (pthread_create(&th[t], NULL, child_thread, &a[t]) != 0) _exit(2);
    }
    pthread_join(th[0], NULL);
    _exit(6);
}

typedef struct crash_seen {
    ack *by_lsn; /* index lsn: what replay found */
    size_t cap;
    uint64_t n, bad, next_lsn;
    uint8_t *scratch;
} crash_seen;

static int crash_cb(void *ctx, uint64_t lsn, uint8_t type, const uint8_t *payload, size_t len)
{
    crash_seen *s = ctx;
    uint32_t t;
    uint64_t q;
    if (lsn != s->next_lsn || lsn >= s->cap || !tq_check(payload, len, &t, &q, s->scratch) ||
        type != 1 + t) {
        s->bad++;
    } else {
        s->by_lsn[lsn].lsn = lsn;
        s->by_lsn[lsn].t = t;
        s->by_lsn[lsn].q = q;
    }
    s->next_lsn = lsn + 1;
    s->n++;
    return 0;
}

static void crash_keeps_every_acknowledged_record(void **state)
{
    (void)state;
    static const int kill_after[] = {1, 100, 1000};
    for (int round = 0; round < 3; round++) {
        char *dir = wt_tmpdir();
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            run_child(dir, pfd[1]);
        }
        close(pfd[1]);

        /* Read acknowledgements until enough, then kill mid-flight and drain the rest. */
        size_t nack = 0, cap = 4096;
        ack *acks = malloc(cap * sizeof *acks);
        int killed = 0;
        for (;;) {
            ack k;
            ssize_t n = read(pfd[0], &k, sizeof k);
            if (n == 0) break;
            assert_int_equal(n, sizeof k);
            if (nack == cap) acks = realloc(acks, (cap *= 2) * sizeof *acks);
            acks[nack++] = k;
            if (!killed && nack >= (size_t)kill_after[round]) {
                assert_int_equal(kill(pid, SIGKILL), 0);
                killed = 1;
            }
        }
        close(pfd[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        crash_seen s = {0};
        s.cap = 1 << 20;
        s.by_lsn = calloc(s.cap, sizeof *s.by_lsn);
        s.scratch = malloc(MAXLEN);
        s.next_lsn = 1;
        stg_wal *w = NULL;
        stg_wal_replay_stats st;
        strata_error err;
        assert_int_equal(stg_wal_open(dir, NULL, 1, &w, &err), STRATA_OK);
        assert_int_equal(stg_wal_replay(w, 1, crash_cb, &s, &st, &err), STRATA_OK);
        printf("round %d: %zu acknowledged, %" PRIu64 " replayed, %" PRIu64 " bytes cut, %u "
               "segments\n",
               round, nack, s.n, st.cut_bytes, st.segments);
        assert_int_equal(s.bad, 0);
        assert_true(s.n >= nack);
        for (size_t i = 0; i < nack; i++) {
            assert_true(acks[i].lsn < s.cap);
            const ack *got = &s.by_lsn[acks[i].lsn];
            assert_int_equal(got->lsn, acks[i].lsn);
            assert_int_equal(got->t, acks[i].t);
            assert_int_equal(got->q, acks[i].q);
        }
        /* The log continues after the crash. */
        uint64_t lsn;
        assert_int_equal(stg_wal_append(w, 9, "after", 5, &lsn, &err), STRATA_OK);
        assert_int_equal(lsn, s.n + 1);
        stg_wal_close(w);
        free(s.by_lsn);
        free(s.scratch);
        free(acks);
        wt_rm_rf(dir);
    }
}

/* ---- optional throughput measurement ------------------------------------------------- */

static void bench_append_sync(void **state)
{
    (void)state;
    const char *on = getenv("STRATA_WAL_BENCH");
    if (on == NULL || on[0] != '1') {
        printf("set STRATA_WAL_BENCH=1 to measure append+sync throughput\n");
        return;
    }
    static const size_t lens[] = {100, 1024, 16384};
    static const int threads[] = {1, 8};
    static const int every[] = {1, 1000};
    for (int ei = 0; ei < 2; ei++)
        for (size_t li = 0; li < 3; li++) {
            for (int ti = 0; ti < 2; ti++) {
                char *dir = wt_tmpdir();
                stg_wal *w = NULL;
                gc_arg a[8];
                pthread_t th[8];
                atomic_int stop = 0;
                stg_wal_stats ws;
                struct timespec t0, t1, d = {1, 0};
                int nt = threads[ti];
                assert_int_equal(stg_wal_open(dir, NULL, 1, &w, NULL), STRATA_OK);
                clock_gettime(CLOCK_MONOTONIC, &t0);
                for (int t = 0; t < nt; t++) {
                    memset(&a[t], 0, sizeof a[t]);
                    a[t].w = w;
                    a[t].len = lens[li];
                    a[t].stop = &stop;
                    a[t].sync_every = every[ei];
                    assert_int_equal(pthread_create(&th[t], NULL, append_sync_loop, &a[t]), 0);
                }
                nanosleep(&d, NULL);
                atomic_store(&stop, 1);
                for (int t = 0; t < nt; t++)
                    pthread_join(th[t], NULL);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                stg_wal_stat(w, &ws);
                double sec =
                    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
                printf("bench: %d thread(s), %5zu-byte records, sync on, sync every %4d: %9.0f "
                       "records/s %7.2f MB/s (%" PRIu64 " appends, %" PRIu64
                       " fdatasyncs, %.1f records/fdatasync)\n",
                       nt, lens[li], every[ei], (double)ws.appends / sec,
                       (double)ws.append_bytes / sec / 1e6, ws.appends, ws.syncs,
                       ws.syncs ? (double)ws.appends / (double)ws.syncs : 0.0);
                stg_wal_close(w);
                wt_rm_rf(dir);
            }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_appenders_syncers_rotator),
        cmocka_unit_test(group_commit_groups),
        cmocka_unit_test(large_records_do_not_starve_rotation),
        cmocka_unit_test(crash_keeps_every_acknowledged_record),
        cmocka_unit_test(bench_append_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
