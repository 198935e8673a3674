/*
 * storage/checkpoint.c: moving the in-memory state into LMDB.
 *
 * A checkpoint, with ingest paused only while it collects:
 *   1. rotates the WAL: every record before the new segment is in memory;
 *   2. seals each dirty column's out-of-order buffer, takes its sealed
 *      chunks (marked "flushing", they stay readable in memory) and copies
 *      its head if the head changed since the last checkpoint;
 * then, with ingest running again:
 *   3. encodes the head copies and the heads sealed raw into chunks, the
 *      copies under the heads' own keys (the next checkpoint or the seal of
 *      the head overwrites them), on several threads (encode_threads);
 *   4. writes everything in key order in one LMDB transaction, together with
 *      the next sequence number, the WAL position and new partitions;
 *   5. drops the flushed chunks from memory (readers that copied them before
 *      see them in LMDB from now on) and deletes the redundant WAL segments.
 * A failure before the commit changes nothing: the WAL still has the data
 * and the chunks stay pending for the next attempt.
 */
#include "storage/engine_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/clock.h"

typedef struct ckpt_job {
    uint8_t key[STG__CKEY_LEN];
    stg__column *col;
    stg__sealed *sealed; /* a pending chunk, or NULL for a head copy */
    uint8_t *blob;       /* head copy: the stream, then the encoded chunk (owned) */
    size_t len;
    uint32_t count, str_bytes;
    uint8_t type;
} ckpt_job;

typedef struct ckpt {
    ckpt_job *jobs;
    size_t n, cap;
    uint32_t *new_parts; /* pairs db, part */
    size_t nnew, cap_new;
} ckpt;

static ckpt_job *job_add(ckpt *ck)
{
    if (ck->n == ck->cap) {
        size_t ncap = ck->cap ? ck->cap * 2 : 1024;
        ckpt_job *nj = realloc(ck->jobs, ncap * sizeof *nj);
        if (nj == NULL) return NULL;
        ck->jobs = nj;
        ck->cap = ncap;
    }
    ckpt_job *j = &ck->jobs[ck->n++];
    memset(j, 0, sizeof *j);
    return j;
}

static int note_part(stg_engine *e, ckpt *ck, uint32_t db, uint32_t part)
{
    const stg__partset *ps = stg__partset_get(e, db);
    if (ps) {
        size_t lo = 0, hi = ps->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (ps->parts[mid] < part)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < ps->n && ps->parts[lo] == part) return STRATA_OK;
    }
    for (size_t i = 0; i < ck->nnew; i++)
        if (ck->new_parts[2 * i] == db && ck->new_parts[2 * i + 1] == part) return STRATA_OK;
    if (ck->nnew == ck->cap_new) {
        size_t ncap = ck->cap_new ? ck->cap_new * 2 : 16;
        uint32_t *np = realloc(ck->new_parts, 2 * ncap * sizeof *np);
        if (np == NULL) return STRATA_ENOMEM;
        ck->new_parts = np;
        ck->cap_new = ncap;
    }
    ck->new_parts[2 * ck->nnew] = db;
    ck->new_parts[2 * ck->nnew + 1] = part;
    ck->nnew++;
    return STRATA_OK;
}

/* Step 2, with ingest_mu and heads_rw (write) held. */
static int collect(stg_engine *e, ckpt *ck, strata_error *err)
{
    int rc;
    while (e->ndirty > 0) {
        stg__column *c = e->dirty[e->ndirty - 1];
        if ((rc = stg__column_seal_ooo(e, c, err)) != STRATA_OK) return rc;
        uint32_t n = stg_stream_count(&c->head);
        if (c->head_dirty && n > 0) {
            ckpt_job *j = job_add(ck);
            if (j == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            stg__ckey k = {c->db, c->part, c->field, c->series, c->head_first, c->head_seq};
            stg__ckey_encode(&k, j->key);
            j->col = c;
            j->len = stg_stream_bytes(&c->head);
            j->blob = malloc(j->len ? j->len : 1);
            if (j->blob == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            memcpy(j->blob, stg_stream_data(&c->head), j->len);
            j->count = n;
            j->str_bytes = stg_stream_str_bytes(&c->head);
            j->type = c->type;
            c->head_dirty = 0;
            if ((rc = note_part(e, ck, c->db, c->part)) != STRATA_OK)
                return strata_error_set(err, rc, "out of memory");
        }
        for (stg__sealed *s = c->sealed; s; s = s->next) {
            if (s->flushing) continue;
            ckpt_job *j = job_add(ck);
            if (j == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            stg__ckey k = {c->db, s->part, c->field, c->series, s->t_first, s->seq};
            stg__ckey_encode(&k, j->key);
            j->col = c;
            j->sealed = s;
            s->flushing = 1;
            if (s->raw) {
                /* A head sealed raw: encoded in step 3 like a head copy, read in
                 * place (nothing frees or changes a sealed entry while a
                 * checkpoint holds ckpt_mu and the entry is flushing). */
                j->len = s->len;
                j->blob = NULL;
                j->count = s->count;
                j->str_bytes = s->str_bytes;
                j->type = c->type;
            }
            if ((rc = note_part(e, ck, c->db, s->part)) != STRATA_OK)
                return strata_error_set(err, rc, "out of memory");
        }
        stg__unmark_dirty(e, c);
    }
    return STRATA_OK;
}

/* Undo step 2 after a failed write: chunks go back to pending, heads to dirty. */
static void uncollect(stg_engine *e, ckpt *ck)
{
    for (size_t i = 0; i < ck->n; i++) {
        ckpt_job *j = &ck->jobs[i];
        if (j->sealed)
            j->sealed->flushing = 0;
        else
            j->col->head_dirty = 1;
        stg__mark_dirty(e, j->col);
    }
}

/* Step 3: turn a head copy into a chunk. */
static int encode_head(ckpt_job *j, int64_t **ts, uint64_t **vals, size_t *cap, strata_error *err)
{
    uint8_t *str = NULL, *out = NULL;
    size_t str_used = 0, used = 0;
    int rc;

    if (j->count > *cap) {
        int64_t *nt = realloc(*ts, j->count * sizeof *nt);
        if (nt) *ts = nt;
        uint64_t *nv = realloc(*vals, j->count * sizeof *nv);
        if (nv) *vals = nv;
        if (nt == NULL || nv == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        *cap = j->count;
    }
    str = malloc((size_t)j->str_bytes + 1);
    size_t bound = stg_chunk_bound((stg_type)j->type, j->count, j->str_bytes);
    out = malloc(bound);
    if (str == NULL || out == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    const uint8_t *src = j->blob ? j->blob : j->sealed->data;
    rc = stg_stream_decode((stg_type)j->type, src, j->len, j->count, *ts, *vals, str,
                           (size_t)j->str_bytes + 1, &str_used);
    if (rc != STRATA_OK) {
        strata_error_set(err, rc, "a head copy does not decode");
        goto done;
    }
    rc = stg_chunk_encode((stg_type)j->type, *ts, *vals, str, j->count, out, bound, &used, err);
    if (rc != STRATA_OK) goto done;
    free(j->blob);
    j->blob = out;
    j->len = used;
    out = NULL;
done:
    free(str);
    free(out);
    return rc;
}

/* Step 3 shared by the encoding threads: each takes the next job until none is left. */
typedef struct enc_pool {
    ckpt *ck;
    size_t next; /* atomic: the next job to take */
    int failed;  /* atomic: a job failed, the others stop */
    pthread_mutex_t mu;
    int rc; /* the first failure, under mu */
    strata_error err;
} enc_pool;

static void *encode_worker(void *arg)
{
    enc_pool *pool = arg;
    int64_t *ts = NULL;
    uint64_t *vals = NULL;
    size_t cap = 0;
    for (;;) {
        size_t i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED);
        if (i >= pool->ck->n || __atomic_load_n(&pool->failed, __ATOMIC_RELAXED)) break;
        ckpt_job *j = &pool->ck->jobs[i];
        if (j->sealed != NULL && !j->sealed->raw) continue; /* encoded when it was sealed */
        strata_error err;
        int rc = encode_head(j, &ts, &vals, &cap, &err);
        if (rc != STRATA_OK) {
            pthread_mutex_lock(&pool->mu);
            if (pool->rc == STRATA_OK) {
                pool->rc = rc;
                pool->err = err;
            }
            pthread_mutex_unlock(&pool->mu);
            __atomic_store_n(&pool->failed, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    free(ts);
    free(vals);
    return NULL;
}

/* Threads for step 3: the option, or one per online CPU; never more than a thread per 64 jobs. */
static unsigned encode_threads(const stg_engine *e, size_t jobs)
{
    long n = e->opt.encode_threads;
    if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n > STG_ENCODE_THREADS_MAX) n = STG_ENCODE_THREADS_MAX;
    if ((size_t)n > jobs / 64) n = (long)(jobs / 64);
    return n < 1 ? 1 : (unsigned)n;
}

/* Step 3: encode every head copy and raw-sealed head, on this thread and helpers. */
static int encode_all(stg_engine *e, ckpt *ck, strata_error *err)
{
    enc_pool pool = {.ck = ck, .rc = STRATA_OK};
    pthread_t th[STG_ENCODE_THREADS_MAX];
    unsigned want = encode_threads(e, ck->n), started = 0;
    pthread_mutex_init(&pool.mu, NULL);
    /* A helper that cannot be started leaves its share to the others. */
    while (started + 1 < want && pthread_create(&th[started], NULL, encode_worker, &pool) == 0)
        started++;
    encode_worker(&pool);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&pool.mu);
    if (pool.rc != STRATA_OK && err) *err = pool.err;
    return pool.rc;
}

static int cmp_job(const void *a, const void *b)
{
    return memcmp(((const ckpt_job *)a)->key, ((const ckpt_job *)b)->key, STG__CKEY_LEN);
}

static int put_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t v)
{
    uint8_t b[8];
    strata_put_le64(b, v);
    MDB_val k = {strlen(key), (void *)key}, d = {8, b};
    return mdb_put(txn, dbi, &k, &d, 0);
}

/* Step 4. */
static int write_all(stg_engine *e, ckpt *ck, uint64_t seq, uint64_t lsn, strata_error *err)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = mdb_txn_begin(e->env, NULL, 0, &txn);
    if (rc) return stg__mdb_err(rc, err, "checkpoint: beginning the transaction");
    if ((rc = mdb_cursor_open(txn, e->dbi_chunks, &cur))) goto mdb_fail;
    for (size_t i = 0; i < ck->n; i++) {
        ckpt_job *j = &ck->jobs[i];
        MDB_val k = {STG__CKEY_LEN, j->key};
        MDB_val d = j->sealed && !j->sealed->raw ? (MDB_val){j->sealed->len, j->sealed->data}
                                                 : (MDB_val){j->len, j->blob};
        if ((rc = mdb_cursor_put(cur, &k, &d, 0))) goto mdb_fail;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    for (size_t i = 0; i < ck->nnew; i++) {
        uint8_t pk[9];
        pk[0] = 'p';
        strata_put_be32(pk + 1, ck->new_parts[2 * i]);
        strata_put_be32(pk + 5, ck->new_parts[2 * i + 1]);
        MDB_val k = {9, pk}, d = {0, ""};
        if ((rc = mdb_put(txn, e->dbi_meta, &k, &d, 0))) goto mdb_fail;
    }
    if ((rc = put_u64(txn, e->dbi_meta, STG__META_SEQ, seq)) ||
        (rc = put_u64(txn, e->dbi_meta, STG__META_CKPT_LSN, lsn)))
        goto mdb_fail;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) goto mdb_fail;
    return STRATA_OK;
mdb_fail:
    if (cur) mdb_cursor_close(cur);
    if (txn) mdb_txn_abort(txn);
    return stg__mdb_err(rc, err, "checkpoint: writing chunks");
}

/*
 * A checkpoint. replay_lsn = 0: a normal one (ingest_held: the caller holds
 * ingest_mu). replay_lsn > 0: one in the middle of the WAL replay at open,
 * where the replaying thread holds heads_rw and nothing else runs: every
 * record below replay_lsn is in the heads, the WAL (whose mutex the replay
 * holds) is neither rotated nor truncated, and the next open replays from
 * replay_lsn on.
 */
static int checkpoint_run(stg_engine *e, int ingest_held, uint64_t replay_lsn, strata_error *err)
{
    ckpt ck = {0};
    int64_t t0 = strata_mono_ns();
    uint64_t lsn = replay_lsn, seq;
    int rc = STRATA_OK, replay = replay_lsn > 0;

    if (!replay) {
        if (!ingest_held) pthread_mutex_lock(&e->ingest_mu);
        /* A batch logged before we took ingest_mu may still be on its way to the heads. */
        pthread_mutex_lock(&e->apply_mu);
        pthread_rwlock_wrlock(&e->heads_rw);
        rc = stg_wal_rotate(e->wal, &lsn, err);
    }
    if (rc == STRATA_OK) rc = collect(e, &ck, err);
    seq = e->next_seq;
    if (rc != STRATA_OK) uncollect(e, &ck);
    if (!replay) {
        pthread_rwlock_unlock(&e->heads_rw);
        pthread_mutex_unlock(&e->apply_mu);
        if (!ingest_held) pthread_mutex_unlock(&e->ingest_mu);
    }
    if (rc != STRATA_OK) goto done;

    rc = encode_all(e, &ck, err);
    if (rc == STRATA_OK) {
        if (ck.n > 0) qsort(ck.jobs, ck.n, sizeof *ck.jobs, cmp_job);
        rc = write_all(e, &ck, seq, lsn, err);
    }

    if (!replay) pthread_rwlock_wrlock(&e->heads_rw);
    if (rc != STRATA_OK) {
        uncollect(e, &ck);
    } else {
        for (size_t i = 0; i < ck.nnew; i++)
            stg__partset_add(e, ck.new_parts[2 * i], ck.new_parts[2 * i + 1]);
        for (size_t i = 0; i < ck.n; i++) {
            stg__sealed *s = ck.jobs[i].sealed, **pp;
            if (s == NULL) continue;
            for (pp = &ck.jobs[i].col->sealed; *pp && *pp != s; pp = &(*pp)->next)
                ;
            if (*pp) {
                *pp = s->next;
                __atomic_fetch_sub(&e->pending_bytes, s->len, __ATOMIC_RELAXED);
                free(s);
            }
        }
        __atomic_fetch_add(&e->stats.checkpoints, 1, __ATOMIC_RELAXED);
        e->stats.checkpoint_ns_last = (uint64_t)(strata_mono_ns() - t0);
    }
    if (!replay) pthread_rwlock_unlock(&e->heads_rw);
    if (rc == STRATA_OK && !replay) {
        __atomic_store_n(&e->last_ckpt_mono_ns, strata_mono_ns(), __ATOMIC_RELAXED);
        rc = stg_wal_truncate(e->wal, lsn, err);
        strata_log(e->log, STRATA_LOG_DEBUG, "engine", "checkpoint: %zu chunks in %.1f ms", ck.n,
                   (double)(strata_mono_ns() - t0) / 1e6);
    }
done:
    for (size_t i = 0; i < ck.n; i++)
        free(ck.jobs[i].blob);
    free(ck.jobs);
    free(ck.new_parts);
    return rc;
}

int stg__checkpoint_locked(stg_engine *e, int ingest_held, strata_error *err)
{
    return checkpoint_run(e, ingest_held, 0, err);
}

int stg__checkpoint_replay(stg_engine *e, uint64_t next_lsn, strata_error *err)
{
    if (next_lsn == 0)
        return strata_error_set(err, STRATA_EINVAL, "checkpoint during replay: LSN 0");
    int rc = checkpoint_run(e, 0, next_lsn, err);
    if (rc == STRATA_OK) e->stats.replay_checkpoints++;
    return rc;
}

int stg_engine_checkpoint(stg_engine *e, strata_error *err)
{
    pthread_mutex_lock(&e->ckpt_mu);
    int rc = stg__checkpoint_locked(e, 0, err);
    pthread_mutex_unlock(&e->ckpt_mu);
    /* A full store refuses writes until a checkpoint gets through again, so
     * that the WAL and memory do not grow without bound behind it. */
    __atomic_store_n(&e->full, rc == STRATA_EFULL, __ATOMIC_RELAXED);
    pthread_mutex_lock(&e->stats_mu);
    pthread_cond_broadcast(&e->drained);
    pthread_mutex_unlock(&e->stats_mu);
    return rc;
}

static int due(stg_engine *e)
{
    if (__atomic_load_n(&e->pending_bytes, __ATOMIC_RELAXED) >= e->opt.checkpoint_bytes) return 1;
    if (stg_wal_disk_bytes(e->wal) >= e->opt.checkpoint_wal_bytes) return 1;
    return strata_mono_ns() - __atomic_load_n(&e->last_ckpt_mono_ns, __ATOMIC_RELAXED) >=
           e->opt.checkpoint_interval_ns;
}

/* Background compaction: on its interval, and only when checkpoints wrote something since. */
static int compact_due(stg_engine *e)
{
    if (e->opt.compact_interval_ns <= 0) return 0;
    if (strata_mono_ns() - e->last_compact_mono_ns < e->opt.compact_interval_ns) return 0;
    return __atomic_load_n(&e->stats.checkpoints, __ATOMIC_RELAXED) != e->ckpts_at_compact;
}

/* Between two slices of a background compaction: the thread is the checkpoint thread. */
typedef struct bg_pace {
    stg_engine *e;
    int failed; /* a checkpoint failed during this pause: the next pause tries again */
} bg_pace;

/*
 * Sleep until until_mono_ns, running the checkpoints that fall due meanwhile
 * (writers waiting for room signal e->wake); non-zero when the engine stops.
 */
static int bg_pause(void *arg, int64_t until_mono_ns)
{
    bg_pace *p = arg;
    stg_engine *e = p->e;
    int failed = 0;

    pthread_mutex_lock(&e->stats_mu);
    while (!e->stopping) {
        if (!failed && due(e)) {
            pthread_mutex_unlock(&e->stats_mu);
            strata_error err;
            if (stg_engine_checkpoint(e, &err) != STRATA_OK) {
                failed = 1;
                if (p->failed++ < 5 || p->failed % 100 == 0)
                    strata_log(e->log, STRATA_LOG_ERROR, "engine",
                               "checkpoint during compaction failed (data stays in the WAL): %s",
                               err.msg);
                __atomic_store_n(&e->last_ckpt_mono_ns, strata_mono_ns(), __ATOMIC_RELAXED);
            }
            pthread_mutex_lock(&e->stats_mu);
            continue;
        }
        int64_t now = strata_mono_ns();
        if (now >= until_mono_ns) break;
        int64_t d = until_mono_ns - now < 200000000 ? until_mono_ns - now : 200000000;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(d / 1000000000);
        ts.tv_nsec += (long)(d % 1000000000);
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&e->wake, &e->stats_mu, &ts);
    }
    int stop = e->stopping;
    pthread_mutex_unlock(&e->stats_mu);
    return stop;
}

static void run_compaction(stg_engine *e)
{
    stg_compact_stats cs;
    strata_error err;
    bg_pace pace = {e, 0};
    stg_compact_opts o = {.rate_bytes = e->opt.compact_rate_bytes,
                          .slice_bytes = e->opt.compact_slice_bytes,
                          .tail_bytes = e->opt.compact_tail_bytes};
    /* Checkpoints run between slices: what they write from now on is for the next run. */
    e->ckpts_at_compact = __atomic_load_n(&e->stats.checkpoints, __ATOMIC_RELAXED);
    int rc = stg__compact_run(e, &o, bg_pause, &pace, &cs, &err);
    e->last_compact_mono_ns = strata_mono_ns();
    if (rc == STRATA_ECLOSED)
        strata_log(e->log, STRATA_LOG_INFO, "engine", "background %s", err.msg);
    else if (rc != STRATA_OK)
        strata_log(e->log, STRATA_LOG_ERROR, "engine",
                   "background compaction failed (no point was lost; it runs again at its next "
                   "interval): %s",
                   err.msg);
    else
        strata_log(e->log, STRATA_LOG_INFO, "engine",
                   "background compaction: %llu -> %llu chunks, %.1f MiB read and %.1f MiB "
                   "written in %.1f s (%llu slices, %.1f s paused; rate limit %.1f MiB/s)",
                   (unsigned long long)cs.chunks_before, (unsigned long long)cs.chunks_after,
                   (double)cs.bytes_before / 1048576.0, (double)cs.bytes_written / 1048576.0,
                   (double)cs.elapsed_ns / 1e9, (unsigned long long)cs.slices,
                   (double)cs.paused_ns / 1e9, (double)o.rate_bytes / 1048576.0);
}

void *stg__bg_main(void *arg)
{
    stg_engine *e = arg;
    int failures = 0;

    pthread_mutex_lock(&e->stats_mu);
    while (!e->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&e->wake, &e->stats_mu, &ts);
        if (!e->stopping && compact_due(e)) {
            pthread_mutex_unlock(&e->stats_mu);
            run_compaction(e);
            pthread_mutex_lock(&e->stats_mu);
            continue;
        }
        if (!e->stopping && stg__retention_due(e)) {
            pthread_mutex_unlock(&e->stats_mu);
            stg__retention_run(e);
            pthread_mutex_lock(&e->stats_mu);
            continue;
        }
        if (e->stopping || !due(e)) continue;
        pthread_mutex_unlock(&e->stats_mu);
        strata_error err;
        int rc = stg_engine_checkpoint(e, &err);
        if (rc != STRATA_OK) {
            /* Log the first failures and then one in a hundred. */
            if (failures++ < 5 || failures % 100 == 0)
                strata_log(e->log, STRATA_LOG_ERROR, "engine",
                           "checkpoint failed (%d times so far; data stays in the WAL): %s",
                           failures, err.msg);
            __atomic_store_n(&e->last_ckpt_mono_ns, strata_mono_ns(), __ATOMIC_RELAXED);
        } else {
            failures = 0;
        }
        pthread_mutex_lock(&e->stats_mu);
    }
    pthread_mutex_unlock(&e->stats_mu);
    return NULL;
}
