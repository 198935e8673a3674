/*
 * storage/compact.c: rewriting the chunk table into full chunks on packed
 * pages.
 *
 * Checkpoints insert chunks in the middle of the key space, so LMDB pages
 * split half full, and heads are sealed early (by their size in memory), so
 * chunks are smaller than they could be. Compaction reads the current chunk
 * table in key order and writes the other one (tables "chunks" and
 * "chunks.b" alternate) in the same order, which lets LMDB fill every page;
 * along the way it merges the chunks of each column into chunks of
 * target_points, drops points overwritten by later writes and re-encodes
 * each chunk with its best encoding. One transaction switches the tables, so
 * a reader sees either the old table or the new one.
 *
 * What is safe to merge. Chunks of a column that overlap in time (a
 * cluster) are decided together. A cluster that reaches into the time range
 * still held in memory (a head, sealed chunks not yet written, late points)
 * is copied unchanged: the sequence numbers that decide which write wins
 * must stay as they are there. Other clusters are merged, the newest write
 * winning each timestamp; a merged chunk takes the highest sequence number
 * of what it replaces, which is safe because merged runs overlap nothing
 * else on disk and every write to come gets a higher number.
 *
 * Ingest goes on during a compaction (into memory and the WAL); checkpoints,
 * deletes and the creation of new series wait for it (the LMDB write lock).
 */
#include "storage/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

/* Where the in-memory data of one column starts. */
typedef struct mem_bound {
    uint32_t db, field;
    uint64_t series;
    int64_t tmin;
} mem_bound;

/* Decoded points with the sequence number of the chunk each came from. */
typedef struct pbuf {
    int64_t *ts;
    uint64_t *vals, *seq;
    uint32_t *idx;
    size_t n, cap;
    uint8_t *str;
    size_t str_len, str_cap;
} pbuf;

typedef struct compactor {
    stg_engine *e;
    MDB_txn *txn;
    MDB_dbi dst;
    uint32_t target;
    size_t fit; /* largest chunk that still shares a leaf page with another */
    mem_bound *mem;
    size_t nmem;
    stg_compact_stats *st;
    strata_error *err;
    uint8_t last_key[STG__CKEY_LEN];
    int have_last;

    /* the cluster being gathered: copies of its chunks as key(36) u32 len blob */
    uint8_t *cl;
    size_t cl_len, cl_cap;
    int64_t cl_tlast;
    int cl_keep;
    uint8_t prefix[20]; /* db | part | series | field of the cluster and the run */
    int have_prefix;
    int64_t col_tmin;

    /* the run being merged */
    pbuf run;
    uint64_t run_seq;
    stg_type run_type;

    /* decode and encode scratch */
    pbuf dec;
    uint8_t *out;
    size_t out_cap;
} compactor;

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

static int pbuf_reserve(pbuf *b, size_t points, size_t str_bytes)
{
    size_t need = b->n + points;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < need)
            cap *= 2;
        int64_t *ts = realloc(b->ts, cap * sizeof *ts);
        if (ts) b->ts = ts;
        uint64_t *v = realloc(b->vals, cap * sizeof *v);
        if (v) b->vals = v;
        uint64_t *s = realloc(b->seq, cap * sizeof *s);
        if (s) b->seq = s;
        uint32_t *x = realloc(b->idx, cap * sizeof *x);
        if (x) b->idx = x;
        if (!ts || !v || !s || !x) return STRATA_ENOMEM;
        b->cap = cap;
    }
    return grow((void **)&b->str, &b->str_cap, b->str_len + str_bytes + 1, 1);
}

static void pbuf_free(pbuf *b)
{
    free(b->ts);
    free(b->vals);
    free(b->seq);
    free(b->idx);
    free(b->str);
}

static int cmp_bound(const void *a, const void *b)
{
    const mem_bound *x = a, *y = b;
    if (x->db != y->db) return x->db < y->db ? -1 : 1;
    if (x->series != y->series) return x->series < y->series ? -1 : 1;
    return x->field < y->field ? -1 : (x->field > y->field);
}

static int64_t bound_of(const compactor *c, uint32_t db, uint64_t series, uint32_t field)
{
    mem_bound k = {db, field, series, 0};
    const mem_bound *m = c->nmem ? bsearch(&k, c->mem, c->nmem, sizeof *c->mem, cmp_bound) : NULL;
    return m ? m->tmin : INT64_MAX;
}

/* Where memory starts, per column (heads_rw read-held). */
static int snapshot_bounds(compactor *c)
{
    stg_engine *e = c->e;
    size_t cap = 0;
    for (size_t i = 0; i < e->cols.cap; i++) {
        stg__column *col = e->cols.slots[i];
        if (col == NULL) continue;
        int64_t t = INT64_MAX;
        if (stg_stream_count(&col->head) > 0) t = col->head_first;
        for (stg__sealed *s = col->sealed; s; s = s->next)
            t = s->t_first < t ? s->t_first : t;
        for (uint32_t j = 0; col->ooo && j < col->ooo->n; j++)
            t = col->ooo->ts[j] < t ? col->ooo->ts[j] : t;
        if (t == INT64_MAX) continue;
        if (grow((void **)&c->mem, &cap, c->nmem + 1, sizeof *c->mem) != STRATA_OK)
            return STRATA_ENOMEM;
        c->mem[c->nmem++] = (mem_bound){col->db, col->field, col->series, t};
    }
    if (c->nmem > 1) qsort(c->mem, c->nmem, sizeof *c->mem, cmp_bound);
    return STRATA_OK;
}

/* Write one chunk into the new table; keys come in ascending order. */
static int put_chunk(compactor *c, const uint8_t *key, const void *blob, size_t len)
{
    MDB_val k = {STG__CKEY_LEN, (void *)key}, v = {len, (void *)blob};
    int append = !c->have_last || memcmp(key, c->last_key, STG__CKEY_LEN) > 0;
    int rc = mdb_put(c->txn, c->dst, &k, &v, append ? MDB_APPEND : 0);
    if (rc) return stg__mdb_err(rc, c->err, "compaction: writing a chunk");
    if (append) {
        memcpy(c->last_key, key, STG__CKEY_LEN);
        c->have_last = 1;
    }
    c->st->chunks_after++;
    c->st->bytes_after += len;
    return STRATA_OK;
}

/* Decode one chunk and append its points, tagged with seq, to b. */
static int decode_into(compactor *c, const uint8_t *key, const uint8_t *blob, size_t len, pbuf *b,
                       stg_type *type)
{
    stg_chunk_info info;
    stg__ckey k;
    uint32_t n = 0;
    stg__ckey_decode(key, &k);
    int rc = stg_chunk_info_read(blob, len, &info, c->err);
    if (rc == STRATA_OK) {
        c->dec.n = c->dec.str_len = 0;
        if (pbuf_reserve(&c->dec, info.count, info.str_bytes) != STRATA_OK ||
            pbuf_reserve(b, info.count, info.str_bytes) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        rc = stg_chunk_decode(blob, len, c->dec.ts, c->dec.vals, c->dec.str, c->dec.str_cap, &n,
                              c->err);
    }
    if (rc != STRATA_OK)
        return strata_error_prefix(c->err,
                                   "compaction stopped, nothing changed: chunk of series %016llx "
                                   "field %u (database %u): ",
                                   (unsigned long long)k.series, k.field, k.db);
    *type = info.type;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = c->dec.vals[i];
        if (info.type == STG_STRING) {
            uint32_t sl = stg_val_str_len(v);
            memcpy(b->str + b->str_len, c->dec.str + stg_val_str_off(v), sl);
            v = stg_val_str((uint32_t)b->str_len, sl);
            b->str_len += sl;
        }
        b->ts[b->n] = c->dec.ts[i];
        b->vals[b->n] = v;
        b->seq[b->n] = k.seq;
        b->n++;
    }
    return STRATA_OK;
}

static int cmp_merge(const void *a, const void *b, void *arg)
{
    const pbuf *p = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (p->ts[x] != p->ts[y]) return p->ts[x] < p->ts[y] ? -1 : 1;
    if (p->seq[x] != p->seq[y]) return p->seq[x] > p->seq[y] ? -1 : 1; /* the newest write first */
    return x < y ? 1 : (x > y ? -1 : 0); /* same chunk: the later point */
}

/*
 * Write the run as chunks of target points, the newest write of each
 * timestamp winning. Unless final, a last partial chunk stays in the run to
 * be completed by the next cluster (which overlaps nothing in it).
 */
static int flush_run(compactor *c, int final)
{
    pbuf *r = &c->run;
    size_t m = 0;
    int rc;

    if (r->n == 0) return STRATA_OK;
    for (size_t i = 0; i < r->n; i++)
        r->idx[i] = (uint32_t)i;
    qsort_r(r->idx, r->n, sizeof *r->idx, cmp_merge, r);
    for (size_t i = 0; i < r->n; i++) {
        uint32_t x = r->idx[i];
        if (m > 0 && r->ts[r->idx[m - 1]] == r->ts[x]) continue;
        r->idx[m++] = x;
    }
    size_t at = 0;
    while (at < m && (final || m - at >= c->target)) {
        uint32_t n = (uint32_t)(m - at < c->target ? m - at : c->target);
        c->dec.n = c->dec.str_len = 0;
        if (pbuf_reserve(&c->dec, n, r->str_len) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        for (uint32_t j = 0; j < n; j++) {
            uint32_t x = r->idx[at + j];
            uint64_t v = r->vals[x];
            if (c->run_type == STG_STRING) {
                uint32_t sl = stg_val_str_len(v);
                memcpy(c->dec.str + c->dec.str_len, r->str + stg_val_str_off(v), sl);
                v = stg_val_str((uint32_t)c->dec.str_len, sl);
                c->dec.str_len += sl;
            }
            c->dec.ts[j] = r->ts[x];
            c->dec.vals[j] = v;
        }
        size_t bound = stg_chunk_bound(c->run_type, n, c->dec.str_len), used = 0;
        if (grow((void **)&c->out, &c->out_cap, bound, 1) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        for (;;) {
            rc = stg_chunk_encode(c->run_type, c->dec.ts, c->dec.vals, c->dec.str, n, c->out,
                                  c->out_cap, &used, c->err);
            if (rc != STRATA_OK) return rc;
            /* A chunk a little larger than half a page would take a whole
             * overflow page: cut it so that two chunks fill a leaf page. */
            if (used <= c->fit || n <= 64) break;
            uint32_t n2 = (uint32_t)((uint64_t)n * c->fit / used * 15 / 16);
            n = n2 < 64 ? 64 : n2;
        }
        uint8_t key[STG__CKEY_LEN];
        memcpy(key, c->prefix, 20);
        strata_put_be64s(key + 20, c->dec.ts[0]);
        strata_put_be64(key + 28, c->run_seq);
        if ((rc = put_chunk(c, key, c->out, used)) != STRATA_OK) return rc;
        c->st->points += n;
        at += n;
    }
    /* Keep the rest (already deduplicated) for the next cluster. */
    size_t keep = m - at, soff = 0;
    pbuf tmp = c->dec;
    tmp.n = tmp.str_len = 0;
    if (keep > 0) {
        if (pbuf_reserve(&c->dec, keep, r->str_len) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        tmp = c->dec;
        for (size_t j = 0; j < keep; j++) {
            uint32_t x = r->idx[at + j];
            uint64_t v = r->vals[x];
            if (c->run_type == STG_STRING) {
                uint32_t sl = stg_val_str_len(v);
                memcpy(tmp.str + soff, r->str + stg_val_str_off(v), sl);
                v = stg_val_str((uint32_t)soff, sl);
                soff += sl;
            }
            tmp.ts[j] = r->ts[x];
            tmp.vals[j] = v;
            tmp.seq[j] = r->seq[x];
        }
    }
    memcpy(r->ts, tmp.ts, keep * sizeof *r->ts);
    memcpy(r->vals, tmp.vals, keep * sizeof *r->vals);
    memcpy(r->seq, tmp.seq, keep * sizeof *r->seq);
    if (soff) memcpy(r->str, tmp.str, soff);
    r->n = keep;
    r->str_len = soff;
    if (keep == 0) c->run_seq = 0;
    return STRATA_OK;
}

/* Decide the gathered cluster: copy it unchanged or merge it into the run. */
static int end_cluster(compactor *c)
{
    size_t off = 0;
    int rc;
    if (c->cl_len == 0) return STRATA_OK;
    if (c->cl_keep) {
        /* The run comes first in key order: write it out whole. */
        if ((rc = flush_run(c, 1)) != STRATA_OK) return rc;
        while (off < c->cl_len) {
            uint32_t len = strata_get_le32(c->cl + off + STG__CKEY_LEN);
            if ((rc = put_chunk(c, c->cl + off, c->cl + off + STG__CKEY_LEN + 4, len))) return rc;
            c->st->chunks_kept++;
            off += STG__CKEY_LEN + 4 + len;
        }
    } else {
        while (off < c->cl_len) {
            uint32_t len = strata_get_le32(c->cl + off + STG__CKEY_LEN);
            stg__ckey k;
            stg__ckey_decode(c->cl + off, &k);
            rc = decode_into(c, c->cl + off, c->cl + off + STG__CKEY_LEN + 4, len, &c->run,
                             &c->run_type);
            if (rc != STRATA_OK) return rc;
            if (k.seq > c->run_seq) c->run_seq = k.seq;
            off += STG__CKEY_LEN + 4 + len;
        }
        if (c->run.n >= c->target && (rc = flush_run(c, 0)) != STRATA_OK) return rc;
    }
    c->cl_len = 0;
    c->cl_keep = 0;
    return STRATA_OK;
}

/* Take one chunk of the old table, in key order. */
static int take(compactor *c, const MDB_val *key, const MDB_val *val)
{
    stg__ckey k;
    stg_chunk_info info;
    int rc;

    if (key->mv_size != STG__CKEY_LEN)
        return strata_error_set(c->err, STRATA_ECORRUPT,
                                "compaction stopped, nothing changed: a chunk key of %zu bytes",
                                key->mv_size);
    stg__ckey_decode(key->mv_data, &k);
    if (stg_chunk_info_peek(val->mv_data, val->mv_size, &info, c->err) != STRATA_OK)
        return strata_error_prefix(c->err,
                                   "compaction stopped, nothing changed: chunk of series %016llx "
                                   "field %u: ",
                                   (unsigned long long)k.series, k.field);
    c->st->chunks_before++;
    c->st->bytes_before += val->mv_size;
    int same_col = c->have_prefix && memcmp(key->mv_data, c->prefix, 20) == 0;
    if (!same_col || k.t_first > c->cl_tlast) {
        if ((rc = end_cluster(c)) != STRATA_OK) return rc;
    }
    if (!same_col) {
        /* A new column (or partition): finish the run of the previous one. */
        if ((rc = flush_run(c, 1)) != STRATA_OK) return rc;
        memcpy(c->prefix, key->mv_data, 20);
        c->have_prefix = 1;
        c->col_tmin = bound_of(c, k.db, k.series, k.field);
        c->cl_tlast = INT64_MIN;
    }
    if (grow((void **)&c->cl, &c->cl_cap, c->cl_len + STG__CKEY_LEN + 4 + val->mv_size, 1))
        return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
    memcpy(c->cl + c->cl_len, key->mv_data, STG__CKEY_LEN);
    strata_put_le32(c->cl + c->cl_len + STG__CKEY_LEN, (uint32_t)val->mv_size);
    memcpy(c->cl + c->cl_len + STG__CKEY_LEN + 4, val->mv_data, val->mv_size);
    c->cl_len += STG__CKEY_LEN + 4 + val->mv_size;
    if (info.t_last > c->cl_tlast) c->cl_tlast = info.t_last;
    if (info.t_last >= c->col_tmin) c->cl_keep = 1;
    return STRATA_OK;
}

int stg_engine_compact(stg_engine *e, uint32_t target_points, stg_compact_stats *st,
                       strata_error *err)
{
    compactor c;
    MDB_cursor *cur = NULL;
    MDB_val key, val;
    stg_compact_stats local;
    int rc, mrc;

    if (st == NULL) st = &local;
    memset(st, 0, sizeof *st);
    memset(&c, 0, sizeof c);
    c.e = e;
    c.st = st;
    c.err = err;
    c.target = target_points ? target_points : 8192;
    if (c.target > STG_CHUNK_MAX_POINTS) c.target = STG_CHUNK_MAX_POINTS;

    pthread_mutex_lock(&e->ckpt_mu);
    pthread_rwlock_rdlock(&e->heads_rw);
    rc = snapshot_bounds(&c);
    pthread_rwlock_unlock(&e->heads_rw);
    if (rc != STRATA_OK) {
        strata_error_set(err, rc, "out of memory");
        goto out;
    }
    if ((mrc = mdb_txn_begin(e->env, NULL, 0, &c.txn))) {
        rc = stg__mdb_err(mrc, err, "compaction: beginning the transaction");
        goto out;
    }
    MDB_stat ms;
    mdb_env_stat(e->env, &ms);
    c.fit = (ms.ms_psize - 16) / 2 - STG__CKEY_LEN - 8 - 64;
    MDB_dbi src = e->dbi_chunks;
    c.dst = e->dbi_tables[1 - e->table];
    if ((mrc = mdb_drop(c.txn, c.dst, 0)) || (mrc = mdb_cursor_open(c.txn, src, &cur))) {
        rc = stg__mdb_err(mrc, err, "compaction: opening the tables");
        goto out;
    }
    mrc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (mrc == 0) {
        if ((rc = take(&c, &key, &val)) != STRATA_OK) goto out;
        mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    if (mrc != MDB_NOTFOUND) {
        rc = stg__mdb_err(mrc, err, "compaction: reading chunks");
        goto out;
    }
    if ((rc = end_cluster(&c)) != STRATA_OK || (rc = flush_run(&c, 1)) != STRATA_OK) goto out;
    mdb_cursor_close(cur);
    cur = NULL;
    uint8_t tb[8];
    strata_put_le64(tb, 1 - e->table);
    MDB_val tk = {strlen(STG__META_TABLE), STG__META_TABLE}, tv = {8, tb};
    if ((mrc = mdb_drop(c.txn, src, 0)) || (mrc = mdb_put(c.txn, e->dbi_meta, &tk, &tv, 0))) {
        rc = stg__mdb_err(mrc, err, "compaction: switching tables");
        goto out;
    }
    mrc = mdb_txn_commit(c.txn);
    c.txn = NULL;
    if (mrc) {
        rc = stg__mdb_err(mrc, err, "compaction: committing");
        goto out;
    }
    pthread_rwlock_wrlock(&e->heads_rw);
    e->table = 1 - e->table;
    e->dbi_chunks = e->dbi_tables[e->table];
    pthread_rwlock_unlock(&e->heads_rw);
    strata_log(e->log, STRATA_LOG_INFO, "engine",
               "compaction: %llu chunks (%llu bytes) -> %llu chunks (%llu bytes), %llu kept "
               "as they were",
               (unsigned long long)st->chunks_before, (unsigned long long)st->bytes_before,
               (unsigned long long)st->chunks_after, (unsigned long long)st->bytes_after,
               (unsigned long long)st->chunks_kept);
    rc = STRATA_OK;
out:
    if (cur) mdb_cursor_close(cur);
    if (c.txn) mdb_txn_abort(c.txn);
    pthread_mutex_unlock(&e->ckpt_mu);
    free(c.mem);
    free(c.cl);
    free(c.out);
    pbuf_free(&c.run);
    pbuf_free(&c.dec);
    return rc;
}
