/*
 * storage/delete.c: deleting time ranges, series, measurements, databases.
 *
 * Deletes are rare and must be exact, so they take the simple road: with
 * writers paused, a checkpoint first makes everything in memory durable in
 * LMDB (and empties the WAL of it, so a replay cannot bring deleted points
 * back); the affected columns then drop their in-memory state; and one LMDB
 * transaction does the rest. Whole partitions inside a range are dropped
 * key by key without decoding, whole chunks likewise; only a chunk that
 * straddles an edge of the range is decoded, filtered and rewritten.
 */
#include "storage/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

typedef struct del_ctx {
    stg_engine *e;
    MDB_txn *txn;
    MDB_cursor *cur;
    int64_t tmin, tmax;
    int64_t *ts;
    uint64_t *vals;
    uint8_t *str, *out;
    size_t ts_cap, vals_cap, str_cap, out_cap;
    uint8_t *rewrites; /* (key, u32 len, blob) records to put after a walk */
    size_t rw_len, rw_cap;
    uint32_t *emptied; /* pairs db, part whose partitions became empty */
    size_t nemptied, cap_emptied;
    uint64_t chunks_deleted, chunks_rewritten;
    int whole_only; /* keep chunks that straddle an edge (retention) */
} del_ctx;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    void *np = realloc(*p, n * elem);
    if (np == NULL) return STRATA_ENOMEM;
    *p = np;
    *cap = n;
    return STRATA_OK;
}

/* Handle the chunk under the cursor: keep, delete, or rewrite without [tmin, tmax). */
static int chunk_cut(del_ctx *d, MDB_val *key, MDB_val *val, strata_error *err)
{
    stg__ckey ck;
    stg_chunk_info info;
    uint32_t n = 0, m = 0;
    size_t used = 0, soff = 0;
    int rc;

    stg__ckey_decode(key->mv_data, &ck);
    if (ck.t_first >= d->tmax) return STRATA_OK;
    rc = stg_chunk_info_read(val->mv_data, val->mv_size, &info, err);
    if (rc != STRATA_OK)
        return strata_error_prefix(err, "deleting from series %016llx field %u: ",
                                   (unsigned long long)ck.series, ck.field);
    if (info.t_last < d->tmin) return STRATA_OK;
    if (info.t_first >= d->tmin && info.t_last < d->tmax) {
        if ((rc = mdb_cursor_del(d->cur, 0))) return stg__mdb_err(rc, err, "deleting a chunk");
        d->chunks_deleted++;
        return STRATA_OK;
    }
    if (d->whole_only) return STRATA_OK;
    if (grow((void **)&d->ts, &d->ts_cap, info.count, sizeof *d->ts) != STRATA_OK ||
        grow((void **)&d->vals, &d->vals_cap, info.count, sizeof *d->vals) != STRATA_OK ||
        grow((void **)&d->str, &d->str_cap, (size_t)info.str_bytes + 1, 1) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    rc = stg_chunk_decode(val->mv_data, val->mv_size, d->ts, d->vals, d->str, d->str_cap, &n, err);
    if (rc != STRATA_OK) return rc;
    for (uint32_t i = 0; i < n; i++) {
        if (d->ts[i] >= d->tmin && d->ts[i] < d->tmax) continue;
        uint64_t v = d->vals[i];
        if (info.type == STG_STRING) {
            uint32_t len = stg_val_str_len(v);
            memmove(d->str + soff, d->str + stg_val_str_off(v), len);
            v = stg_val_str((uint32_t)soff, len);
            soff += len;
        }
        d->ts[m] = d->ts[i];
        d->vals[m] = v;
        m++;
    }
    if (m == 0) {
        if ((rc = mdb_cursor_del(d->cur, 0))) return stg__mdb_err(rc, err, "deleting a chunk");
        d->chunks_deleted++;
        return STRATA_OK;
    }
    size_t bound = stg_chunk_bound(info.type, m, soff);
    if (grow((void **)&d->out, &d->out_cap, bound, 1) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    rc = stg_chunk_encode(info.type, d->ts, d->vals, d->str, m, d->out, d->out_cap, &used, err);
    if (rc != STRATA_OK) return rc;
    /* Rewriting under a walking cursor is not reliable when the value changes
     * size, so the new chunk is put once the walk is over. */
    uint32_t len32 = (uint32_t)used;
    if (grow((void **)&d->rewrites, &d->rw_cap, d->rw_len + STG__CKEY_LEN + 4 + used, 1))
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    memcpy(d->rewrites + d->rw_len, key->mv_data, STG__CKEY_LEN);
    memcpy(d->rewrites + d->rw_len + STG__CKEY_LEN, &len32, 4);
    memcpy(d->rewrites + d->rw_len + STG__CKEY_LEN + 4, d->out, used);
    d->rw_len += STG__CKEY_LEN + 4 + used;
    d->chunks_rewritten++;
    return STRATA_OK;
}

static int put_rewrites(del_ctx *d, strata_error *err)
{
    size_t off = 0;
    while (off < d->rw_len) {
        uint32_t len;
        memcpy(&len, d->rewrites + off + STG__CKEY_LEN, 4);
        MDB_val k = {STG__CKEY_LEN, d->rewrites + off};
        MDB_val v = {len, d->rewrites + off + STG__CKEY_LEN + 4};
        int rc = mdb_put(d->txn, d->e->dbi_chunks, &k, &v, 0);
        if (rc) return stg__mdb_err(rc, err, "rewriting a chunk");
        off += STG__CKEY_LEN + 4 + len;
    }
    d->rw_len = 0;
    return STRATA_OK;
}

/* Walk every chunk whose key starts with prefix[0..plen), cutting or dropping it. */
static int walk_prefix(del_ctx *d, const uint8_t *prefix, size_t plen, int drop_all,
                       strata_error *err)
{
    uint8_t kb[STG__CKEY_LEN] = {0};
    memcpy(kb, prefix, plen);
    MDB_val key = {plen, kb}, val;
    int rc = mdb_cursor_get(d->cur, &key, &val, MDB_SET_RANGE);
    while (rc == 0) {
        if (key.mv_size != STG__CKEY_LEN || memcmp(key.mv_data, prefix, plen) != 0) break;
        if (drop_all) {
            if ((rc = mdb_cursor_del(d->cur, 0))) return stg__mdb_err(rc, err, "deleting a chunk");
            d->chunks_deleted++;
        } else if ((rc = chunk_cut(d, &key, &val, err)) != STRATA_OK) {
            return rc;
        }
        rc = mdb_cursor_get(d->cur, &key, &val, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND) return stg__mdb_err(rc, err, "walking chunks");
    return put_rewrites(d, err);
}

static int note_emptied(del_ctx *d, uint32_t db, uint32_t part)
{
    if (grow((void **)&d->emptied, &d->cap_emptied, 2 * (d->nemptied + 1), sizeof *d->emptied))
        return STRATA_ENOMEM;
    d->emptied[2 * d->nemptied] = db;
    d->emptied[2 * d->nemptied + 1] = part;
    d->nemptied++;
    return STRATA_OK;
}

/* Delete [tmin, tmax) of the series (NULL: all) of db in LMDB. */
static int lmdb_delete(del_ctx *d, uint32_t db, const stg_idset *series, const uint32_t *parts,
                       size_t nparts, strata_error *err)
{
    stg_engine *e = d->e;
    int rc;
    for (size_t pi = 0; pi < nparts; pi++) {
        uint32_t p = parts[pi];
        int64_t ps = stg__part_start(e, p), pe = stg__part_start(e, p + 1);
        uint8_t prefix[16];
        strata_put_be32(prefix, db);
        strata_put_be32(prefix + 4, p);
        if (series == NULL) {
            int whole = d->tmin <= ps && d->tmax >= pe;
            if ((rc = walk_prefix(d, prefix, 8, whole, err)) != STRATA_OK) return rc;
            if (whole) {
                uint8_t pk[9];
                pk[0] = 'p';
                memcpy(pk + 1, prefix, 8);
                MDB_val k = {9, pk};
                rc = mdb_del(d->txn, e->dbi_meta, &k, NULL);
                if (rc && rc != MDB_NOTFOUND) return stg__mdb_err(rc, err, "dropping a partition");
                if (note_emptied(d, db, p) != STRATA_OK)
                    return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            }
            continue;
        }
        for (size_t i = 0; i < series->n; i++) {
            strata_put_be64(prefix + 8, series->ids[i]);
            if ((rc = walk_prefix(d, prefix, 16, 0, err)) != STRATA_OK) return rc;
        }
    }
    return STRATA_OK;
}

static int in_set(const stg_idset *s, uint64_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->ids[lo] == id;
}

/* Drop the in-memory state of matching columns; with drop, remove the columns too. */
static int forget(stg_engine *e, uint32_t db, const stg_idset *series, int drop)
{
    stg__column **victims = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < e->cols.cap; i++) {
        stg__column *c = e->cols.slots[i];
        if (c == NULL || c->db != db || (series && !in_set(series, c->series))) continue;
        stg__column_forget(e, c);
        if (!drop) continue;
        if (grow((void **)&victims, &cap, n + 1, sizeof *victims) != STRATA_OK) {
            free(victims);
            return STRATA_ENOMEM;
        }
        victims[n++] = c;
    }
    for (size_t i = 0; i < n; i++) {
        stg__colmap_del(&e->cols, victims[i]);
        stg__column_free(victims[i]);
    }
    free(victims);
    return STRATA_OK;
}

/* The partitions of db that overlap [tmin, tmax), malloc'd into *out. */
static int parts_in_range(stg_engine *e, uint32_t db, int64_t tmin, int64_t tmax, uint32_t **out,
                          size_t *n, strata_error *err)
{
    uint32_t *parts = NULL;
    size_t np = 0;
    int oom = 0;
    pthread_rwlock_rdlock(&e->heads_rw);
    const stg__partset *ps = stg__partset_get(e, db);
    if (ps && ps->n) {
        uint32_t lo = stg__part_of(e, tmin),
                 hi = stg__part_of(e, tmax == INT64_MAX ? tmax : tmax - 1);
        parts = malloc(ps->n * sizeof *parts);
        oom = parts == NULL;
        for (size_t i = 0; parts && i < ps->n; i++)
            if (ps->parts[i] >= lo && ps->parts[i] <= hi) parts[np++] = ps->parts[i];
    }
    pthread_rwlock_unlock(&e->heads_rw);
    *out = parts;
    *n = np;
    return oom ? strata_error_set(err, STRATA_ENOMEM, "out of memory") : STRATA_OK;
}

enum del_kind { DEL_RANGE, DEL_SERIES, DEL_MEAS, DEL_DB, DEL_EXPIRED };

typedef struct mid_list {
    uint32_t *v;
    size_t n, cap;
} mid_list;

static int mid_cb(void *ctx, const char *name, size_t len, uint32_t mid)
{
    (void)name;
    (void)len;
    mid_list *l = ctx;
    if (grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) != STRATA_OK) return 1;
    l->v[l->n++] = mid;
    return 0;
}

/* Does series id of db hold a chunk with a point at or after wm? */
static int series_live(del_ctx *d, uint32_t db, uint64_t id, int64_t wm, const uint32_t *parts,
                       size_t nparts, strata_error *err)
{
    uint8_t prefix[16];
    strata_put_be32(prefix, db);
    strata_put_be64(prefix + 8, id);
    for (size_t pi = nparts; pi-- > 0;) { /* newest partitions first */
        strata_put_be32(prefix + 4, parts[pi]);
        MDB_val key = {sizeof prefix, prefix}, val;
        int rc = mdb_cursor_get(d->cur, &key, &val, MDB_SET_RANGE);
        while (rc == 0 && key.mv_size == STG__CKEY_LEN &&
               memcmp(key.mv_data, prefix, sizeof prefix) == 0) {
            stg_chunk_info info;
            if (stg_chunk_info_peek(val.mv_data, val.mv_size, &info, err) != STRATA_OK)
                return 1; /* unreadable: keep the series (verify reports the chunk) */
            if (info.t_last >= wm) return 1;
            rc = mdb_cursor_get(d->cur, &key, &val, MDB_NEXT);
        }
        if (rc && rc != MDB_NOTFOUND) return -stg__mdb_err(rc, err, "reading chunks");
    }
    return 0;
}

/* The series of db that hold no point at or after wm, into out. */
static int dead_series(del_ctx *d, uint32_t db, int64_t wm, const uint32_t *parts, size_t nparts,
                       stg_idset *out, strata_error *err)
{
    stg_engine *e = d->e;
    mid_list l = {0};
    stg_idset ids = {0};
    int rc = stg_index_meas_list(e->idx, d->txn, db, mid_cb, &l);
    if (rc > 0) rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
    for (size_t m = 0; m < l.n && rc == STRATA_OK; m++) {
        if ((rc = stg_index_meas_series(e->idx, d->txn, db, l.v[m], &ids)) != STRATA_OK) break;
        for (size_t i = 0; i < ids.n && rc == STRATA_OK; i++) {
            int live = series_live(d, db, ids.ids[i], wm, parts, nparts, err);
            if (live < 0)
                rc = -live;
            else if (!live && stg_idset_add(out, ids.ids[i]) != STRATA_OK)
                rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        }
    }
    stg_idset_fini(&ids);
    free(l.v);
    stg_idset_sort_unique(out);
    return rc;
}

typedef struct del_req {
    enum del_kind kind;
    uint32_t db;
    const stg_idset *series; /* DEL_RANGE (NULL = all), DEL_SERIES */
    int64_t tmin, tmax;
    const char *name; /* DEL_MEAS */
    size_t name_len;
} del_req;

static int run_delete(stg_engine *e, const del_req *r, strata_error *err)
{
    del_ctx d;
    stg_idset dropped = {0};
    const stg_idset *series = r->series;
    uint32_t *parts = NULL;
    size_t nparts = 0;
    int rc, mrc;

    memset(&d, 0, sizeof d);
    d.e = e;
    d.tmin = r->kind == DEL_RANGE ? r->tmin : INT64_MIN;
    d.tmax = r->kind == DEL_RANGE ? r->tmax : INT64_MAX;
    pthread_mutex_lock(&e->ckpt_mu);
    pthread_mutex_lock(&e->ingest_mu);
    rc = stg__checkpoint_locked(e, 1, err);
    if (rc != STRATA_OK) goto out;
    if ((mrc = mdb_txn_begin(e->env, NULL, 0, &d.txn))) {
        rc = stg__mdb_err(mrc, err, "beginning a delete");
        goto out;
    }
    if (r->kind == DEL_MEAS) {
        uint32_t mid;
        rc = stg_index_meas_lookup(e->idx, d.txn, r->db, r->name, r->name_len, &mid);
        if (rc == STRATA_ENOTFOUND) {
            strata_error_set(err, rc, "measurement not found: %.*s", (int)r->name_len, r->name);
            goto out;
        }
        if (rc == STRATA_OK) rc = stg_index_meas_drop(e->idx, d.txn, r->db, mid, &dropped, err);
        if (rc != STRATA_OK) goto out;
        series = &dropped;
    }
    if ((mrc = mdb_cursor_open(d.txn, e->dbi_chunks, &d.cur))) {
        rc = stg__mdb_err(mrc, err, "beginning a delete");
        goto out;
    }
    if ((rc = parts_in_range(e, r->db, d.tmin, d.tmax, &parts, &nparts, err)) != STRATA_OK)
        goto out;
    if (r->kind == DEL_EXPIRED) {
        /* Series whose every point is below the watermark go, with what is left of them. */
        if ((rc = dead_series(&d, r->db, r->tmin, parts, nparts, &dropped, err)) != STRATA_OK)
            goto out;
        series = &dropped;
    }
    if (series == NULL || series->n > 0) {
        rc = lmdb_delete(&d, r->db, r->kind == DEL_DB ? NULL : series, parts, nparts, err);
        if (rc != STRATA_OK) goto out;
    }
    if (r->kind == DEL_SERIES || r->kind == DEL_EXPIRED) {
        for (size_t i = 0; i < series->n && rc == STRATA_OK; i++) {
            rc = stg_index_series_delete(e->idx, d.txn, r->db, series->ids[i], err);
            if (rc == STRATA_ENOTFOUND) rc = STRATA_OK;
        }
    } else if (r->kind == DEL_DB) {
        rc = stg_index_db_drop(e->idx, d.txn, r->db, err);
        if (rc == STRATA_OK) rc = stg__catalog_drop_db(e, d.txn, r->db, err);
    }
    if (rc != STRATA_OK) goto out;
    mdb_cursor_close(d.cur);
    d.cur = NULL;
    mrc = mdb_txn_commit(d.txn);
    d.txn = NULL;
    if (mrc) {
        rc = stg__mdb_err(mrc, err, "committing a delete");
        goto out;
    }
    /* Committed: now memory may forget what the checkpoint made durable. */
    pthread_rwlock_wrlock(&e->heads_rw);
    rc = forget(e, r->db, r->kind == DEL_DB ? NULL : series, r->kind != DEL_RANGE);
    for (size_t i = 0; i < d.nemptied; i++)
        stg__partset_remove(e, d.emptied[2 * i], d.emptied[2 * i + 1]);
    pthread_rwlock_unlock(&e->heads_rw);
    if (r->kind != DEL_RANGE) stg__caches_clear(e);
    if (rc != STRATA_OK) strata_error_set(err, rc, "out of memory");
    if (r->kind == DEL_EXPIRED)
        strata_log(e->log, STRATA_LOG_INFO, "retention",
                   "namespace %u: %zu series without points left dropped from the index", r->db,
                   dropped.n);
    else
        strata_log(e->log, STRATA_LOG_INFO, "engine",
                   "delete in database %u: %llu chunks dropped, %llu rewritten", r->db,
                   (unsigned long long)d.chunks_deleted, (unsigned long long)d.chunks_rewritten);
out:
    if (d.cur) mdb_cursor_close(d.cur);
    if (d.txn) mdb_txn_abort(d.txn);
    pthread_mutex_unlock(&e->ingest_mu);
    pthread_mutex_unlock(&e->ckpt_mu);
    stg_idset_fini(&dropped);
    free(parts);
    free(d.ts);
    free(d.vals);
    free(d.str);
    free(d.out);
    free(d.rewrites);
    free(d.emptied);
    return rc;
}

int stg_delete_range(stg_engine *e, uint32_t db, const stg_idset *series, int64_t t_min_ns,
                     int64_t t_max_ns, strata_error *err)
{
    if (t_min_ns >= t_max_ns) return STRATA_OK;
    del_req r = {DEL_RANGE, db, series, t_min_ns, t_max_ns, NULL, 0};
    return run_delete(e, &r, err);
}

int stg_series_drop(stg_engine *e, uint32_t db, const stg_idset *series, strata_error *err)
{
    del_req r = {DEL_SERIES, db, series, INT64_MIN, INT64_MAX, NULL, 0};
    return run_delete(e, &r, err);
}

int stg_measurement_drop(stg_engine *e, uint32_t db, const char *name, size_t len,
                         strata_error *err)
{
    del_req r = {DEL_MEAS, db, NULL, INT64_MIN, INT64_MAX, name, len};
    return run_delete(e, &r, err);
}

int stg__ns_drop(stg_engine *e, uint32_t ns, strata_error *err)
{
    del_req r = {DEL_DB, ns, NULL, INT64_MIN, INT64_MAX, NULL, 0};
    return run_delete(e, &r, err);
}

int stg__series_expire(stg_engine *e, uint32_t ns, int64_t wm, strata_error *err)
{
    del_req r = {DEL_EXPIRED, ns, NULL, wm, INT64_MAX, NULL, 0};
    return run_delete(e, &r, err);
}

int stg__delete_whole(stg_engine *e, uint32_t ns, int64_t before_ns, uint64_t *chunks,
                      strata_error *err)
{
    del_ctx d;
    uint32_t *parts = NULL;
    size_t nparts = 0;
    int rc, mrc;

    memset(&d, 0, sizeof d);
    d.e = e;
    d.tmin = INT64_MIN;
    d.tmax = before_ns;
    d.whole_only = 1;
    *chunks = 0;
    /* No checkpoint first: what is still in memory or the WAL below the
     * watermark is invisible already and goes by a later call. */
    pthread_mutex_lock(&e->ckpt_mu);
    if ((rc = parts_in_range(e, ns, d.tmin, d.tmax, &parts, &nparts, err)) != STRATA_OK) goto out;
    if (nparts == 0) goto out;
    if ((mrc = mdb_txn_begin(e->env, NULL, 0, &d.txn)) ||
        (mrc = mdb_cursor_open(d.txn, e->dbi_chunks, &d.cur))) {
        rc = stg__mdb_err(mrc, err, "expiring chunks");
        goto out;
    }
    if ((rc = lmdb_delete(&d, ns, NULL, parts, nparts, err)) != STRATA_OK) goto out;
    mdb_cursor_close(d.cur);
    d.cur = NULL;
    mrc = mdb_txn_commit(d.txn);
    d.txn = NULL;
    if (mrc) {
        rc = stg__mdb_err(mrc, err, "expiring chunks");
        goto out;
    }
    pthread_rwlock_wrlock(&e->heads_rw);
    for (size_t i = 0; i < d.nemptied; i++)
        stg__partset_remove(e, d.emptied[2 * i], d.emptied[2 * i + 1]);
    pthread_rwlock_unlock(&e->heads_rw);
    *chunks = d.chunks_deleted;
out:
    if (d.cur) mdb_cursor_close(d.cur);
    if (d.txn) mdb_txn_abort(d.txn);
    pthread_mutex_unlock(&e->ckpt_mu);
    free(parts);
    free(d.emptied);
    return rc;
}

int stg_db_drop(stg_engine *e, const char *name, strata_error *err)
{
    uint32_t db;
    int rc = stg_db_lookup(e, name, &db);
    if (rc != STRATA_OK) return strata_error_set(err, rc, "database not found: %s", name);
    /* The database (and its catalog) first, then the namespaces of its other
     * retention policies: an interruption leaves only unnamed namespaces,
     * which nothing reaches (strata verify reports them). */
    uint32_t *extra = NULL;
    size_t n = 0;
    if ((rc = stg__rp_namespaces(e, db, &extra, &n, err)) != STRATA_OK) return rc;
    del_req r = {DEL_DB, db, NULL, INT64_MIN, INT64_MAX, NULL, 0};
    rc = run_delete(e, &r, err);
    for (size_t i = 0; i < n && rc == STRATA_OK; i++)
        if (extra[i] != db) rc = stg__ns_drop(e, extra[i], err);
    free(extra);
    return rc;
}
