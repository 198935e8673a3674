/*
 * storage/engine.c: opening and closing a data directory, the catalog of
 * databases, the partition sets, and the translation of LMDB errors.
 *
 * Open order matters: the WAL is opened first because its lock file tells a
 * second process that the directory is in use; then LMDB (format version,
 * next sequence number, checkpoint LSN, partitions); then the WAL is
 * replayed into the heads from the last checkpoint on; then the background
 * checkpoint thread starts.
 */
#include "storage/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "storage/retention.h"

#define DEFAULT_MAP_BYTES ((size_t)1 << 40)

void stg_options_default(stg_options *o)
{
    memset(o, 0, sizeof *o);
    o->wal_sync = 1;
    o->background = 1;
    o->compact_rate_bytes = STG_COMPACT_RATE_DEFAULT;
}

int stg__mdb_err(int rc, strata_error *err, const char *what)
{
    switch (rc) {
    case MDB_MAP_FULL:
        return strata_error_set(err, STRATA_EFULL,
                                "%s: the store is full (the LMDB map size is used up); "
                                "raise the map size option and restart",
                                what);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
        return strata_error_set(err, STRATA_ECORRUPT, "%s: the LMDB file is corrupt (%s)", what,
                                mdb_strerror(rc));
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return strata_error_set(err, STRATA_EVERSION, "%s: not an LMDB file of this version (%s)",
                                what, mdb_strerror(rc));
    case MDB_NOTFOUND:
        return strata_error_set(err, STRATA_ENOTFOUND, "%s: not found", what);
    case MDB_READERS_FULL:
        return strata_error_set(err, STRATA_EBUSY, "%s: too many concurrent readers", what);
    case ENOMEM:
        return strata_error_set(err, STRATA_ENOMEM, "%s: out of memory", what);
    case ENOSPC:
        return strata_error_set(err, STRATA_EFULL, "%s: no space left on the device", what);
    default:
        return strata_error_set(err, STRATA_EIO, "%s: %s", what, mdb_strerror(rc));
    }
}

const char *stg__fmt_time(int64_t ns, char *buf, size_t cap)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, cap, "%lld", (long long)ns);
        return buf;
    }
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%09lldZ", day, (long long)frac);
    return buf;
}

void stg__ckey_encode(const stg__ckey *k, uint8_t out[STG__CKEY_LEN])
{
    strata_put_be32(out, k->db);
    strata_put_be32(out + 4, k->part);
    strata_put_be64(out + 8, k->series);
    strata_put_be32(out + 16, k->field);
    strata_put_be64s(out + 20, k->t_first);
    strata_put_be64(out + 28, k->seq);
}

void stg__ckey_decode(const uint8_t in[STG__CKEY_LEN], stg__ckey *k)
{
    k->db = strata_get_be32(in);
    k->part = strata_get_be32(in + 4);
    k->series = strata_get_be64(in + 8);
    k->field = strata_get_be32(in + 16);
    k->t_first = strata_get_be64s(in + 20);
    k->seq = strata_get_be64(in + 28);
}

/* ---- partition sets ---- */

const stg__partset *stg__partset_get(const stg_engine *e, uint32_t db)
{
    for (size_t i = 0; i < e->nparts; i++)
        if (e->parts[i].db == db) return &e->parts[i];
    return NULL;
}

int stg__partset_add(stg_engine *e, uint32_t db, uint32_t part)
{
    stg__partset *ps = (stg__partset *)stg__partset_get(e, db);
    if (ps == NULL) {
        stg__partset *np = realloc(e->parts, (e->nparts + 1) * sizeof *np);
        if (np == NULL) return STRATA_ENOMEM;
        e->parts = np;
        ps = &e->parts[e->nparts++];
        memset(ps, 0, sizeof *ps);
        ps->db = db;
    }
    size_t lo = 0, hi = ps->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ps->parts[mid] < part)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ps->n && ps->parts[lo] == part) return STRATA_OK;
    if (ps->n == ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 8;
        uint32_t *n = realloc(ps->parts, ncap * sizeof *n);
        if (n == NULL) return STRATA_ENOMEM;
        ps->parts = n;
        ps->cap = ncap;
    }
    memmove(ps->parts + lo + 1, ps->parts + lo, (ps->n - lo) * sizeof *ps->parts);
    ps->parts[lo] = part;
    ps->n++;
    return STRATA_OK;
}

void stg__partset_remove(stg_engine *e, uint32_t db, uint32_t part)
{
    stg__partset *ps = (stg__partset *)stg__partset_get(e, db);
    if (ps == NULL) return;
    for (size_t i = 0; i < ps->n; i++) {
        if (ps->parts[i] == part) {
            memmove(ps->parts + i, ps->parts + i + 1, (ps->n - i - 1) * sizeof *ps->parts);
            ps->n--;
            return;
        }
    }
}

/* ---- meta ---- */

static int meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *out)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc) return rc;
    if (v.mv_size != 8) return MDB_CORRUPTED;
    *out = strata_get_le64(v.mv_data);
    return 0;
}

static int meta_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t val)
{
    uint8_t b[8];
    strata_put_le64(b, val);
    MDB_val k = {strlen(key), (void *)key}, v = {8, b};
    return mdb_put(txn, dbi, &k, &v, 0);
}

static int load_meta(stg_engine *e, MDB_txn *txn, uint64_t *ckpt_lsn, strata_error *err)
{
    uint64_t v;
    int rc = meta_get_u64(txn, e->dbi_meta, STG__META_FORMAT, &v);
    if (rc == MDB_NOTFOUND) {
        /* A new store. */
        uint64_t part = e->opt.partition_ns ? (uint64_t)e->opt.partition_ns
                                            : (uint64_t)7 * 86400 * 1000000000ll;
        if ((rc = meta_put_u64(txn, e->dbi_meta, STG__META_FORMAT, STG__FORMAT_VERSION)) ||
            (rc = meta_put_u64(txn, e->dbi_meta, STG__META_SEQ, 1)) ||
            (rc = meta_put_u64(txn, e->dbi_meta, STG__META_CKPT_LSN, 1)) ||
            (rc = meta_put_u64(txn, e->dbi_meta, STG__META_PARTITION, part)))
            return stg__mdb_err(rc, err, "initialising the store");
        v = STG__FORMAT_VERSION;
    } else if (rc) {
        return stg__mdb_err(rc, err, "reading the format version");
    }
    if (v != STG__FORMAT_VERSION)
        return strata_error_set(err, STRATA_EVERSION,
                                "data directory %s has format version %llu; this build reads "
                                "version %u only",
                                e->dir, (unsigned long long)v, STG__FORMAT_VERSION);
    uint64_t seq, lsn, part;
    if ((rc = meta_get_u64(txn, e->dbi_meta, STG__META_SEQ, &seq)) ||
        (rc = meta_get_u64(txn, e->dbi_meta, STG__META_CKPT_LSN, &lsn)) ||
        (rc = meta_get_u64(txn, e->dbi_meta, STG__META_PARTITION, &part)))
        return stg__mdb_err(rc, err, "reading the store's meta data");
    if (part == 0 || part > (uint64_t)INT64_MAX)
        return strata_error_set(err, STRATA_ECORRUPT, "meta: bad partition duration %llu",
                                (unsigned long long)part);
    e->next_seq = seq;
    e->opt.partition_ns = (int64_t)part;
    *ckpt_lsn = lsn;

    /* Partitions: meta keys "p" + db(be32) + part(be32). */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, e->dbi_meta, &cur)))
        return stg__mdb_err(rc, err, "reading partitions");
    MDB_val k = {1, "p"}, d;
    rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size == 9 && ((const char *)k.mv_data)[0] == 'p') {
        const uint8_t *kp = k.mv_data;
        if (stg__partset_add(e, strata_get_be32(kp + 1), strata_get_be32(kp + 5)) != STRATA_OK) {
            mdb_cursor_close(cur);
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        }
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return stg__mdb_err(rc, err, "reading partitions");
    return STRATA_OK;
}

/* ---- open / close ---- */

static int mkdir_p(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
    return -1;
}

static int replay_cb(void *ctx, uint64_t lsn, uint8_t type, const uint8_t *payload, size_t len)
{
    stg_engine *e = ctx;
    strata_error err;
    if (type != STG__REC_WRITE && type != STG__REC_WRITE2) {
        strata_log(e->log, STRATA_LOG_WARN, "engine",
                   "WAL record %llu has unknown type %u; skipped", (unsigned long long)lsn, type);
        return 0;
    }
    int rc = stg__apply_write(e, type, payload, len, &err);
    /* Replay memory stays within what a running engine holds: once the sealed chunks reach
     * checkpoint_bytes, write them out (the WAL stays; the next open starts after lsn). */
    if (rc == STRATA_OK &&
        __atomic_load_n(&e->pending_bytes, __ATOMIC_RELAXED) >= e->opt.checkpoint_bytes) {
        strata_error cerr;
        if (stg__checkpoint_replay(e, lsn + 1, &cerr) != STRATA_OK)
            strata_log(e->log, STRATA_LOG_WARN, "engine",
                       "checkpoint during the WAL replay failed (the replay goes on in memory): %s",
                       cerr.msg);
        else
            strata_log(e->log, STRATA_LOG_INFO, "engine",
                       "checkpoint during the WAL replay after record %llu (memory bound)",
                       (unsigned long long)lsn);
    }
    if (rc == STRATA_ECORRUPT) {
        strata_log(e->log, STRATA_LOG_ERROR, "engine", "WAL record %llu skipped: %s",
                   (unsigned long long)lsn, err.msg);
        return 0;
    }
    if (rc != STRATA_OK)
        strata_log(e->log, STRATA_LOG_ERROR, "engine", "WAL replay stopped at record %llu: %s",
                   (unsigned long long)lsn, err.msg);
    return rc;
}

static int open_env(stg_engine *e, strata_error *err)
{
    char path[4096];
    size_t map = e->opt.map_bytes ? e->opt.map_bytes : DEFAULT_MAP_BYTES;
    int rc;

    snprintf(path, sizeof path, "%s/strata.mdb", e->dir);
    if (mkdir_p(path) != 0)
        return strata_error_set(err, strata_code_from_errno(errno), "creating %s: %s", path,
                                strerror(errno));
    for (;;) {
        if ((rc = mdb_env_create(&e->env)))
            return stg__mdb_err(rc, err, "creating the LMDB environment");
        mdb_env_set_maxdbs(e->env, 32);
        mdb_env_set_maxreaders(e->env, 1022);
        mdb_env_set_mapsize(e->env, map);
        rc = mdb_env_open(e->env, path, MDB_NOTLS | (e->opt.wal_sync ? 0 : MDB_NOSYNC), 0644);
        if (rc == 0) break;
        mdb_env_close(e->env);
        e->env = NULL;
        /* Little address space (ulimit -v): try a smaller map before giving up. */
        if (rc == ENOMEM && map > ((size_t)1 << 30) && e->opt.map_bytes == 0) {
            map /= 2;
            continue;
        }
        return stg__mdb_err(rc, err, path);
    }
    e->stats.map_bytes = map;
    return STRATA_OK;
}

int stg_engine_open(const stg_options *opts, stg_engine **out, strata_error *err)
{
    stg_engine *e = NULL;
    MDB_txn *txn = NULL;
    uint64_t ckpt_lsn = 1;
    char path[4096];
    int rc;

    *out = NULL;
    if (opts == NULL || opts->dir == NULL || opts->dir[0] == '\0')
        return strata_error_set(err, STRATA_EINVAL, "no data directory given");
    e = calloc(1, sizeof *e);
    if (e == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    e->opt = *opts;
    e->log = opts->log;
    if (!e->opt.chunk_max_points) e->opt.chunk_max_points = 1024;
    if (e->opt.chunk_max_points > STG_CHUNK_MAX_POINTS)
        e->opt.chunk_max_points = STG_CHUNK_MAX_POINTS;
    if (!e->opt.head_max_bytes) e->opt.head_max_bytes = 896;
    if (!e->opt.ooo_max_points) e->opt.ooo_max_points = 512;
    if (e->opt.ooo_max_points > e->opt.chunk_max_points)
        e->opt.ooo_max_points = e->opt.chunk_max_points;
    if (!e->opt.checkpoint_bytes) e->opt.checkpoint_bytes = (size_t)64 << 20;
    if (!e->opt.checkpoint_wal_bytes) e->opt.checkpoint_wal_bytes = (size_t)256 << 20;
    if (!e->opt.checkpoint_interval_ns) e->opt.checkpoint_interval_ns = (int64_t)300 * 1000000000;
    if (!e->opt.retention_check_ns) e->opt.retention_check_ns = (int64_t)1800 * 1000000000;
    e->dir = strdup(opts->dir);
    pthread_mutex_init(&e->ckpt_mu, NULL);
    pthread_mutex_init(&e->ingest_mu, NULL);
    pthread_mutex_init(&e->apply_mu, NULL);
    pthread_mutex_init(&e->stats_mu, NULL);
    pthread_mutex_init(&e->rp_mu, NULL);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&e->heads_rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_cond_init(&e->wake, NULL);
    pthread_cond_init(&e->drained, NULL);
    size_t scratch = e->opt.chunk_max_points;
    e->sc_ts = malloc(scratch * sizeof *e->sc_ts);
    e->sc_vals = malloc(scratch * sizeof *e->sc_vals);
    if (e->dir == NULL || e->sc_ts == NULL || e->sc_vals == NULL ||
        stg__colmap_init(&e->cols) != STRATA_OK || stg__strmap_init(&e->series) != STRATA_OK ||
        stg__strmap_init(&e->meas) != STRATA_OK) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto fail;
    }
    if (mkdir_p(e->dir) != 0) {
        rc = strata_error_set(err, strata_code_from_errno(errno), "creating data directory %s: %s",
                              e->dir, strerror(errno));
        goto fail;
    }

    /* The WAL first: its lock keeps a second process out. */
    stg_wal_options wo = {0};
    wo.sync = e->opt.wal_sync;
    wo.compress_min_bytes = e->opt.wal_compress ? 0 : SIZE_MAX;
    wo.log = e->log;
    snprintf(path, sizeof path, "%s/wal", e->dir);
    if ((rc = open_env(e, err)) != STRATA_OK) goto fail;
    if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn))) {
        rc = stg__mdb_err(rc, err, "opening the store");
        goto fail;
    }
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &e->dbi_meta)) ||
        (rc = mdb_dbi_open(txn, "chunks", MDB_CREATE, &e->dbi_tables[0])) ||
        (rc = mdb_dbi_open(txn, "chunks.b", MDB_CREATE, &e->dbi_tables[1]))) {
        rc = stg__mdb_err(rc, err, "opening the store's tables");
        goto fail;
    }
    if ((rc = load_meta(e, txn, &ckpt_lsn, err)) != STRATA_OK) goto fail;
    {
        uint64_t table = 0;
        int mrc = meta_get_u64(txn, e->dbi_meta, STG__META_TABLE, &table);
        if (mrc && mrc != MDB_NOTFOUND) {
            rc = stg__mdb_err(mrc, err, "reading the chunk table");
            goto fail;
        }
        if (table > 1) {
            rc = strata_error_set(err, STRATA_ECORRUPT, "meta: bad chunk table %llu",
                                  (unsigned long long)table);
            goto fail;
        }
        e->table = (unsigned)table;
        e->dbi_chunks = e->dbi_tables[e->table];
    }
    if ((rc = stg_index_open(e->env, txn, &e->idx, err)) != STRATA_OK) goto fail;
    if ((rc = stg__rp_cache_load(e, txn, err)) != STRATA_OK) goto fail;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) {
        rc = stg__mdb_err(rc, err, "initialising the store");
        goto fail;
    }
    if ((rc = stg_wal_open(path, &wo, ckpt_lsn, &e->wal, err)) != STRATA_OK) goto fail;

    stg_wal_replay_stats rs;
    memset(&rs, 0, sizeof rs);
    pthread_rwlock_wrlock(&e->heads_rw);
    rc = stg_wal_replay(e->wal, ckpt_lsn, replay_cb, e, &rs, err);
    pthread_rwlock_unlock(&e->heads_rw);
    if (rc != STRATA_OK) goto fail;
    e->stats.replayed_records = rs.records;
    e->stats.replay_cut_bytes = rs.cut_bytes;
    if (rs.records || rs.cut_bytes)
        strata_log(e->log, STRATA_LOG_INFO, "engine",
                   "replayed %llu WAL records (%llu bytes) from %u segments%s",
                   (unsigned long long)rs.records, (unsigned long long)rs.bytes, rs.segments,
                   rs.cut_bytes ? "; a damaged tail was cut (see above)" : "");
    e->last_ckpt_mono_ns = strata_mono_ns();
    e->last_compact_mono_ns = e->last_ckpt_mono_ns;
    e->last_retention_mono_ns = e->last_ckpt_mono_ns;
    if (e->opt.background) {
        if (pthread_create(&e->thread, NULL, stg__bg_main, e) != 0) {
            rc = strata_error_set(err, STRATA_ENOMEM, "cannot start the checkpoint thread");
            goto fail;
        }
        e->thread_started = 1;
    }
    *out = e;
    return STRATA_OK;
fail:
    if (txn) mdb_txn_abort(txn);
    e->opt.background = 0;
    e->stopping = 2; /* close without a checkpoint */
    stg_engine_close(e);
    return rc;
}

void stg_engine_close(stg_engine *e)
{
    strata_error err;
    if (e == NULL) return;
    if (e->thread_started) {
        pthread_mutex_lock(&e->stats_mu);
        e->stopping = 1;
        pthread_cond_broadcast(&e->wake);
        pthread_mutex_unlock(&e->stats_mu);
        pthread_join(e->thread, NULL);
    }
    if (e->stopping != 2 && e->env && e->wal) {
        pthread_mutex_lock(&e->ckpt_mu);
        if (stg__checkpoint_locked(e, 0, &err) != STRATA_OK)
            strata_log(e->log, STRATA_LOG_ERROR, "engine",
                       "final checkpoint failed (the WAL keeps the data): %s", err.msg);
        pthread_mutex_unlock(&e->ckpt_mu);
    }
    stg_wal_close(e->wal);
    if (e->cols.slots) {
        for (size_t i = 0; i < e->cols.cap; i++)
            stg__column_free(e->cols.slots[i]);
        stg__colmap_fini(&e->cols);
    }
    if (e->series.slots) stg__caches_clear(e);
    stg__strmap_fini(&e->series, NULL);
    stg__strmap_fini(&e->meas, NULL);
    stg_index_close(e->idx);
    if (e->env) mdb_env_close(e->env);
    for (size_t i = 0; i < e->nparts; i++)
        free(e->parts[i].parts);
    free(e->parts);
    free(e->dirty);
    free(e->keybuf);
    free(e->sc_ts);
    free(e->sc_vals);
    free(e->sc_str);
    free(e->sc_out);
    pthread_mutex_destroy(&e->ckpt_mu);
    pthread_mutex_destroy(&e->ingest_mu);
    pthread_mutex_destroy(&e->apply_mu);
    pthread_mutex_destroy(&e->stats_mu);
    pthread_mutex_destroy(&e->rp_mu);
    free(e->rps);
    pthread_rwlock_destroy(&e->heads_rw);
    pthread_cond_destroy(&e->wake);
    pthread_cond_destroy(&e->drained);
    free(e->dir);
    free(e);
}

void stg_engine_stats_get(stg_engine *e, stg_engine_stats *st)
{
    pthread_rwlock_rdlock(&e->heads_rw);
    *st = e->stats;
    st->columns = e->cols.n;
    st->heads_bytes = e->heads_bytes;
    st->pending_bytes = __atomic_load_n(&e->pending_bytes, __ATOMIC_RELAXED);
    pthread_rwlock_unlock(&e->heads_rw);
    pthread_mutex_lock(&e->ingest_mu);
    st->series_cached = e->series.n;
    pthread_mutex_unlock(&e->ingest_mu);
    st->wal_bytes = stg_wal_disk_bytes(e->wal);
}

stg_index *stg_engine_index(stg_engine *e)
{
    return e->idx;
}

int stg_engine_read_begin(stg_engine *e, MDB_txn **txn, strata_error *err)
{
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, txn);
    return rc ? stg__mdb_err(rc, err, "beginning a read transaction") : STRATA_OK;
}

void stg_engine_read_end(stg_engine *e, MDB_txn *txn)
{
    (void)e;
    if (txn) mdb_txn_abort(txn);
}

/* ---- databases ---- */

int stg_db_create(stg_engine *e, const char *name, uint32_t *db_id, strata_error *err)
{
    return stg_db_create_with(e, name, NULL, db_id, err);
}

int stg_db_lookup(stg_engine *e, const char *name, uint32_t *db_id)
{
    MDB_txn *txn;
    if (name[0] == 1) return STRATA_ENOTFOUND; /* internal namespaces have no public name */
    if (mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn)) return STRATA_EIO;
    int rc = stg_index_db_lookup(e->idx, txn, name, strlen(name), db_id);
    mdb_txn_abort(txn);
    return rc;
}

typedef struct db_filter {
    int (*fn)(void *ctx, const char *name, size_t len, uint32_t id);
    void *ctx;
} db_filter;

/* Hide the internal namespaces of retention policies (storage/retention.c). */
static int db_visible(void *ctx, const char *name, size_t len, uint32_t id)
{
    db_filter *f = ctx;
    if (len > 0 && name[0] == 1) return 0;
    return f->fn(f->ctx, name, len, id);
}

int stg_db_list(stg_engine *e, int (*fn)(void *ctx, const char *name, size_t len, uint32_t id),
                void *ctx, strata_error *err)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc) return stg__mdb_err(rc, err, "listing databases");
    db_filter f = {fn, ctx};
    rc = stg_index_db_list(e->idx, txn, db_visible, &f);
    mdb_txn_abort(txn);
    return rc;
}
