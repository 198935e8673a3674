/*
 * storage/iter.c: reading one column over a time range.
 *
 * At open, under the heads' read lock, the iterator copies what memory holds
 * of the column (the head, decoded; the out-of-order buffer, sorted; sealed
 * chunks not yet in LMDB, as blobs) and begins its LMDB read transaction.
 * Whatever a checkpoint moves out of memory after that point is already
 * committed, so it is in the transaction: nothing is missed. A chunk that is
 * both copied from memory and found in LMDB (the same key) is read once.
 *
 * Sources are then ordered by first timestamp and grouped into clusters of
 * sources whose time ranges overlap. A lone source is returned as it is (a
 * whole chunk may even be returned undecoded, for its header's statistics);
 * a cluster is decoded, merged by time and deduplicated, the source with the
 * higher sequence number winning a tie (the out-of-order buffer wins all).
 * Every source is sorted by time with unique times, so the merge is one
 * k-way pass over the decoded sources (a binary heap of their cursors).
 */
#include "storage/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

enum { SRC_BLOB = 1, SRC_POINTS = 2 };

typedef struct src {
    int kind;
    uint64_t seq;
    int64_t t_first, t_last;
    const uint8_t *blob; /* SRC_BLOB: LMDB page or it->mem */
    size_t len;
    size_t mem_off; /* SRC_BLOB copied from memory: offset in it->mem (fixed up later) */
    int in_mem;
    uint32_t off, n; /* SRC_POINTS: points [off, off+n) of it->p_* */
    size_t str_off;  /* SRC_POINTS: their string slots are relative to p_str + str_off */
} src;

struct stg_iter {
    stg_engine *e;
    MDB_dbi dbi; /* the chunk table when the transaction began */
    uint32_t db, field;
    uint64_t series;
    int64_t tmin, tmax;
    stg_type type;
    MDB_txn *txn;

    src *srcs;
    size_t nsrc, cap_src, pos, cur;

    uint8_t *mem; /* copied blobs */
    size_t mem_len, mem_cap;

    int64_t *p_ts; /* copied points */
    uint64_t *p_vals;
    size_t p_n, p_cap;
    uint8_t *p_str;
    size_t p_str_len, p_str_cap;

    int64_t *o_ts; /* output */
    uint64_t *o_vals;
    size_t o_cap;
    uint8_t *o_str;
    size_t o_str_cap;
    int64_t *m_ts; /* merge input: the cluster's sources, decoded one after another */
    uint64_t *m_vals;
    uint8_t *m_str; /* string bytes of m_vals (and of the merged block) */
    size_t m_cap, m_str_cap;
    struct mcur *mc; /* merge cursors (heap), one per source of a cluster */
    size_t mc_cap;
};

/* One source of a cluster being merged: its points [pos, end) of m_ts/m_vals. */
typedef struct mcur {
    size_t pos, end;
    uint64_t seq;
} mcur;

static int grow_bytes(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap) return STRATA_OK;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    uint8_t *np = realloc(*p, n);
    if (np == NULL) return STRATA_ENOMEM;
    *p = np;
    *cap = n;
    return STRATA_OK;
}

static src *src_add(stg_iter *it)
{
    if (it->nsrc == it->cap_src) {
        size_t n = it->cap_src ? it->cap_src * 2 : 16;
        src *ns = realloc(it->srcs, n * sizeof *ns);
        if (ns == NULL) return NULL;
        it->srcs = ns;
        it->cap_src = n;
    }
    src *s = &it->srcs[it->nsrc++];
    memset(s, 0, sizeof *s);
    return s;
}

static int points_reserve(stg_iter *it, size_t more)
{
    size_t need = it->p_n + more;
    if (need <= it->p_cap) return STRATA_OK;
    size_t n = it->p_cap ? it->p_cap : 256;
    while (n < need)
        n *= 2;
    int64_t *nt = realloc(it->p_ts, n * sizeof *nt);
    if (nt == NULL) return STRATA_ENOMEM;
    it->p_ts = nt;
    uint64_t *nv = realloc(it->p_vals, n * sizeof *nv);
    if (nv == NULL) return STRATA_ENOMEM;
    it->p_vals = nv;
    it->p_cap = n;
    return STRATA_OK;
}

static int out_reserve(stg_iter *it, size_t n)
{
    if (n <= it->o_cap) return STRATA_OK;
    size_t c = it->o_cap ? it->o_cap : 1024;
    while (c < n)
        c *= 2;
    int64_t *a = realloc(it->o_ts, c * sizeof *a);
    if (a) it->o_ts = a;
    uint64_t *b = realloc(it->o_vals, c * sizeof *b);
    if (b) it->o_vals = b;
    int64_t *mt = realloc(it->m_ts, c * sizeof *mt);
    if (mt) it->m_ts = mt;
    uint64_t *mv = realloc(it->m_vals, c * sizeof *mv);
    if (mv) it->m_vals = mv;
    if (!a || !b || !mt || !mv) return STRATA_ENOMEM;
    it->o_cap = c;
    return STRATA_OK;
}

/* Copy the head (decoded) into the points area. heads_rw is read-held. */
/* Decode a stream of n points (a head, or a head sealed raw) into the points buffer. */
static int copy_stream(stg_iter *it, stg_type type, const uint8_t *data, size_t len, uint32_t n,
                       size_t sb, uint64_t seq, int64_t t_first)
{
    size_t used = 0;
    if (points_reserve(it, n) != STRATA_OK ||
        grow_bytes(&it->p_str, &it->p_str_cap, it->p_str_len + sb + 1) != STRATA_OK)
        return STRATA_ENOMEM;
    int rc = stg_stream_decode(type, data, len, n, it->p_ts + it->p_n, it->p_vals + it->p_n,
                               it->p_str + it->p_str_len, sb + 1, &used);
    if (rc != STRATA_OK) return rc;
    src *s = src_add(it);
    if (s == NULL) return STRATA_ENOMEM;
    s->kind = SRC_POINTS;
    s->seq = seq;
    s->t_first = t_first;
    s->t_last = it->p_ts[it->p_n + n - 1];
    s->off = (uint32_t)it->p_n;
    s->n = n;
    s->str_off = it->p_str_len;
    it->p_n += n;
    it->p_str_len += used;
    return STRATA_OK;
}

static int copy_head(stg_iter *it, stg__column *c)
{
    uint32_t n = stg_stream_count(&c->head);
    if (n == 0 || c->head_first >= it->tmax || stg_stream_last_ts(&c->head) < it->tmin)
        return STRATA_OK;
    return copy_stream(it, (stg_type)c->type, stg_stream_data(&c->head), stg_stream_bytes(&c->head),
                       n, stg_stream_str_bytes(&c->head), c->head_seq, c->head_first);
}

static int cmp_ts_then_arrival(const void *a, const void *b, void *arg)
{
    const int64_t *ts = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (ts[x] != ts[y]) return ts[x] < ts[y] ? -1 : 1;
    return x < y ? -1 : (x > y);
}

/* Copy the out-of-order buffer, sorted, the last arrival of a timestamp kept. */
static int copy_ooo(stg_iter *it, stg__column *c)
{
    stg__ooo *o = c->ooo;
    if (o == NULL || o->n == 0) return STRATA_OK;
    uint32_t *idx = malloc(o->n * sizeof *idx), m = 0;
    if (idx == NULL) return STRATA_ENOMEM;
    for (uint32_t i = 0; i < o->n; i++)
        idx[i] = i;
    qsort_r(idx, o->n, sizeof *idx, cmp_ts_then_arrival, o->ts);
    for (uint32_t i = 0; i < o->n; i++) {
        if (i + 1 < o->n && o->ts[idx[i + 1]] == o->ts[idx[i]]) continue;
        if (o->ts[idx[i]] < it->tmin || o->ts[idx[i]] >= it->tmax) continue;
        idx[m++] = idx[i];
    }
    int rc = STRATA_ENOMEM;
    if (m == 0) {
        rc = STRATA_OK;
        goto done;
    }
    if (points_reserve(it, m) != STRATA_OK ||
        grow_bytes(&it->p_str, &it->p_str_cap, it->p_str_len + o->str_len + 1) != STRATA_OK)
        goto done;
    src *s = src_add(it);
    if (s == NULL) goto done;
    s->kind = SRC_POINTS;
    s->seq = UINT64_MAX;
    s->off = (uint32_t)it->p_n;
    s->n = m;
    s->str_off = it->p_str_len;
    size_t soff = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint64_t v = o->vals[idx[i]];
        if (c->type == STG_STRING) {
            uint32_t len = stg_val_str_len(v);
            memcpy(it->p_str + it->p_str_len + soff, o->str + stg_val_str_off(v), len);
            v = stg_val_str((uint32_t)soff, len);
            soff += len;
        }
        it->p_ts[it->p_n + i] = o->ts[idx[i]];
        it->p_vals[it->p_n + i] = v;
    }
    s->t_first = it->p_ts[it->p_n];
    s->t_last = it->p_ts[it->p_n + m - 1];
    it->p_n += m;
    it->p_str_len += soff;
    rc = STRATA_OK;
done:
    free(idx);
    return rc;
}

static int copy_sealed(stg_iter *it, stg__column *c)
{
    for (stg__sealed *s = c->sealed; s; s = s->next) {
        if (s->t_first >= it->tmax || s->t_last < it->tmin) continue;
        if (s->raw) {
            int rc = copy_stream(it, (stg_type)c->type, s->data, s->len, s->count, s->str_bytes,
                                 s->seq, s->t_first);
            if (rc != STRATA_OK) return rc;
            continue;
        }
        if (grow_bytes(&it->mem, &it->mem_cap, it->mem_len + s->len) != STRATA_OK)
            return STRATA_ENOMEM;
        src *x = src_add(it);
        if (x == NULL) return STRATA_ENOMEM;
        memcpy(it->mem + it->mem_len, s->data, s->len);
        x->kind = SRC_BLOB;
        x->in_mem = 1;
        x->mem_off = it->mem_len;
        x->len = s->len;
        x->seq = s->seq;
        x->t_first = s->t_first;
        x->t_last = s->t_last;
        it->mem_len += s->len;
    }
    return STRATA_OK;
}

/* Is (t_first, seq) a chunk that memory already gave us? */
static int have_in_memory(const stg_iter *it, size_t nmem, int64_t t_first, uint64_t seq)
{
    for (size_t i = 0; i < nmem; i++)
        if (it->srcs[i].seq == seq && it->srcs[i].t_first == t_first) return 1;
    return 0;
}

static int corrupt(stg_iter *it, int64_t t0, int64_t t1, strata_error *err)
{
    char a[48], b[48];
    return strata_error_prefix(err,
                               "chunk of series %016llx field %u (database %u) covering %s .. %s: ",
                               (unsigned long long)it->series, it->field, it->db,
                               stg__fmt_time(t0, a, sizeof a), stg__fmt_time(t1, b, sizeof b));
}

static int scan_lmdb(stg_iter *it, const uint32_t *parts, size_t nparts, size_t nmem,
                     strata_error *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(it->txn, it->dbi, &cur);
    if (rc) return stg__mdb_err(rc, err, "reading chunks");
    for (size_t pi = 0; pi < nparts; pi++) {
        uint8_t kb[STG__CKEY_LEN];
        stg__ckey k = {it->db, parts[pi], it->field, it->series, INT64_MIN, 0};
        stg__ckey_encode(&k, kb);
        MDB_val key = {STG__CKEY_LEN, kb}, val;
        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
        while (rc == 0) {
            if (key.mv_size != STG__CKEY_LEN || memcmp(key.mv_data, kb, 20) != 0) break;
            stg__ckey ck;
            stg__ckey_decode(key.mv_data, &ck);
            if (ck.t_first >= it->tmax) break;
            stg_chunk_info info;
            if (stg_chunk_info_peek(val.mv_data, val.mv_size, &info, err) != STRATA_OK) {
                mdb_cursor_close(cur);
                return corrupt(it, ck.t_first, ck.t_first, err);
            }
            if (info.t_last >= it->tmin && !have_in_memory(it, nmem, ck.t_first, ck.seq)) {
                src *s = src_add(it);
                if (s == NULL) {
                    mdb_cursor_close(cur);
                    return strata_error_set(err, STRATA_ENOMEM, "out of memory");
                }
                s->kind = SRC_BLOB;
                s->blob = val.mv_data;
                s->len = val.mv_size;
                s->seq = ck.seq;
                s->t_first = ck.t_first;
                s->t_last = info.t_last;
                if (it->type == 0) it->type = info.type;
            }
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
        }
        if (rc && rc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            return stg__mdb_err(rc, err, "reading chunks");
        }
    }
    mdb_cursor_close(cur);
    return STRATA_OK;
}

static int cmp_src(const void *a, const void *b)
{
    const src *x = a, *y = b;
    if (x->t_first != y->t_first) return x->t_first < y->t_first ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

int stg_iter_open(stg_engine *e, uint32_t db, uint64_t series, uint32_t field, int64_t t_min_ns,
                  int64_t t_max_ns, stg_iter **out, strata_error *err)
{
    stg_iter *it = calloc(1, sizeof *it);
    uint32_t *parts = NULL;
    size_t nparts = 0;
    int rc = STRATA_OK;

    *out = NULL;
    if (it == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    /* Points below a retention policy's watermark are expired even where
     * their chunk is still stored (storage/retention.h). */
    int64_t wm = stg__rp_watermark(e, db);
    if (t_min_ns < wm) t_min_ns = wm;
    it->e = e;
    it->db = db;
    it->series = series;
    it->field = field;
    it->tmin = t_min_ns;
    it->tmax = t_max_ns;
    if (t_min_ns >= t_max_ns) {
        *out = it;
        return STRATA_OK;
    }

    pthread_rwlock_rdlock(&e->heads_rw);
    stg__column *c = stg__colmap_get(&e->cols, db, series, field);
    if (c != NULL) {
        it->type = (stg_type)c->type;
        if ((rc = copy_head(it, c)) == STRATA_OK && (rc = copy_sealed(it, c)) == STRATA_OK)
            rc = copy_ooo(it, c);
    }
    const stg__partset *ps = stg__partset_get(e, db);
    if (rc == STRATA_OK && ps && ps->n) {
        uint32_t lo = stg__part_of(e, t_min_ns), hi = stg__part_of(e, t_max_ns - 1);
        parts = malloc(ps->n * sizeof *parts);
        if (parts == NULL) rc = STRATA_ENOMEM;
        for (size_t i = 0; parts && i < ps->n; i++)
            if (ps->parts[i] >= lo && ps->parts[i] <= hi) parts[nparts++] = ps->parts[i];
    }
    if (rc == STRATA_OK) {
        int mrc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &it->txn);
        if (mrc) rc = stg__mdb_err(mrc, err, "beginning a read transaction");
    }
    if (rc == STRATA_OK) {
        /* The chunk table in use as of this snapshot: a compaction may have
         * switched tables after the engine handle was read. */
        MDB_val k = {strlen(STG__META_TABLE), STG__META_TABLE}, v;
        int mrc = mdb_get(it->txn, e->dbi_meta, &k, &v);
        it->dbi = e->dbi_tables[mrc == 0 && v.mv_size == 8 && strata_get_le64(v.mv_data) == 1];
    }
    pthread_rwlock_unlock(&e->heads_rw);
    if (rc == STRATA_ENOMEM)
        strata_error_set(err, rc, "out of memory reading a column");
    else if (rc != STRATA_OK && err && err->code != rc)
        strata_error_set(err, rc, "cannot read the in-memory head of series %016llx field %u",
                         (unsigned long long)series, field);
    if (rc != STRATA_OK) goto fail;

    for (size_t i = 0; i < it->nsrc; i++)
        if (it->srcs[i].kind == SRC_BLOB && it->srcs[i].in_mem)
            it->srcs[i].blob = it->mem + it->srcs[i].mem_off;
    if ((rc = scan_lmdb(it, parts, nparts, it->nsrc, err)) != STRATA_OK) goto fail;
    if (it->nsrc > 1) qsort(it->srcs, it->nsrc, sizeof *it->srcs, cmp_src);
    free(parts);
    *out = it;
    return STRATA_OK;
fail:
    free(parts);
    stg_iter_close(it);
    return rc;
}

stg_type stg_iter_type(const stg_iter *it)
{
    return it->nsrc ? it->type : 0;
}

void stg_iter_close(stg_iter *it)
{
    if (it == NULL) return;
    if (it->txn) mdb_txn_abort(it->txn);
    free(it->srcs);
    free(it->mem);
    free(it->p_ts);
    free(it->p_vals);
    free(it->p_str);
    free(it->o_ts);
    free(it->o_vals);
    free(it->o_str);
    free(it->m_ts);
    free(it->m_vals);
    free(it->m_str);
    free(it->mc);
    free(it);
}

/* Decode a blob source into o_ts/o_vals/o_str. */
static int decode_blob(stg_iter *it, const src *s, stg_chunk_info *info, uint32_t *n,
                       strata_error *err)
{
    int rc = stg_chunk_info_read(s->blob, s->len, info, err);
    if (rc != STRATA_OK) return corrupt(it, s->t_first, s->t_last, err);
    if (out_reserve(it, info->count) != STRATA_OK ||
        grow_bytes(&it->o_str, &it->o_str_cap, (size_t)info->str_bytes + 1) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    rc = stg_chunk_decode(s->blob, s->len, it->o_ts, it->o_vals, it->o_str, it->o_str_cap, n, err);
    if (rc != STRATA_OK) return corrupt(it, s->t_first, s->t_last, err);
    return STRATA_OK;
}

static size_t lower_bound(const int64_t *ts, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Point b at ts/vals[0..n) trimmed to the iterator's range. */
static void set_points(stg_iter *it, stg_block *b, const int64_t *ts, const uint64_t *vals,
                       const uint8_t *str, size_t n)
{
    size_t a = lower_bound(ts, n, it->tmin), z = lower_bound(ts, n, it->tmax);
    memset(b, 0, sizeof *b);
    b->decoded = 1;
    b->n = (uint32_t)(z - a);
    b->ts = ts + a;
    b->vals = vals + a;
    b->strbuf = str;
}

/* Does cursor x come before y: earlier time, or the same time and a higher sequence? */
static int mcur_before(const stg_iter *it, const mcur *x, const mcur *y)
{
    int64_t tx = it->m_ts[x->pos], ty = it->m_ts[y->pos];
    return tx < ty || (tx == ty && x->seq > y->seq);
}

static void heap_down(const stg_iter *it, mcur *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && mcur_before(it, &h[l], &h[m])) m = l;
        if (l + 1 < n && mcur_before(it, &h[l + 1], &h[m])) m = l + 1;
        if (m == i) return;
        mcur t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/*
 * Copy the string bytes of vals[0..n) from str into m_str at *soff and
 * rewrite the slots to point there.
 */
static void rebase_strings(stg_iter *it, uint64_t *vals, size_t n, const uint8_t *str, size_t *soff)
{
    for (size_t j = 0; j < n; j++) {
        uint32_t len = stg_val_str_len(vals[j]);
        memcpy(it->m_str + *soff, str + stg_val_str_off(vals[j]), len);
        vals[j] = stg_val_str((uint32_t)*soff, len);
        *soff += len;
    }
}

/*
 * Decode srcs[from, to) one after another into m_ts/m_vals (strings into
 * m_str), each trimmed to [tmin, tmax), then merge them in one k-way pass
 * into o_ts/o_vals: on equal times the source with the highest sequence
 * wins and the others' points are dropped. Set b to the result.
 */
static int merge_cluster(stg_iter *it, size_t from, size_t to, stg_block *b, strata_error *err)
{
    size_t total = 0, str_total = 0, n = 0, soff = 0, k = 0;
    for (size_t i = from; i < to; i++) {
        const src *s = &it->srcs[i];
        if (s->kind == SRC_POINTS) {
            total += s->n;
            str_total += it->p_str_len;
        } else {
            stg_chunk_info info;
            if (stg_chunk_info_peek(s->blob, s->len, &info, err) != STRATA_OK)
                return corrupt(it, s->t_first, s->t_last, err);
            total += info.count;
            str_total += info.str_bytes;
        }
    }
    if (out_reserve(it, total) != STRATA_OK ||
        grow_bytes(&it->m_str, &it->m_str_cap, str_total + 1) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    if (to - from > it->mc_cap) {
        mcur *nc = realloc(it->mc, (to - from) * sizeof *nc);
        if (nc == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        it->mc = nc;
        it->mc_cap = to - from;
    }
    for (size_t i = from; i < to; i++) {
        const src *s = &it->srcs[i];
        int64_t *ts = it->m_ts + n;
        uint64_t *vals = it->m_vals + n;
        const uint8_t *str;
        uint32_t cnt;
        if (s->kind == SRC_POINTS) {
            memcpy(ts, it->p_ts + s->off, s->n * sizeof *ts);
            memcpy(vals, it->p_vals + s->off, s->n * sizeof *vals);
            str = it->p_str + s->str_off;
            cnt = s->n;
        } else {
            stg_chunk_info info;
            int rc = stg_chunk_info_peek(s->blob, s->len, &info, err);
            if (rc == STRATA_OK &&
                grow_bytes(&it->o_str, &it->o_str_cap, (size_t)info.str_bytes + 1) != STRATA_OK)
                return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            if (rc == STRATA_OK)
                rc = stg_chunk_decode(s->blob, s->len, ts, vals, it->o_str, it->o_str_cap, &cnt,
                                      err);
            if (rc != STRATA_OK) return corrupt(it, s->t_first, s->t_last, err);
            str = it->o_str;
        }
        /* Only the points in range take part (the merged block is trimmed anyway). */
        size_t a = lower_bound(ts, cnt, it->tmin), z = lower_bound(ts, cnt, it->tmax);
        if (a == z) continue;
        if (it->type == STG_STRING) rebase_strings(it, vals + a, z - a, str, &soff);
        it->mc[k++] = (mcur){n + a, n + z, s->seq};
        n += cnt;
    }
    /* Heapify, then pop the first (time, highest sequence) and skip that time everywhere. */
    mcur *h = it->mc;
    for (size_t i = k / 2; i-- > 0;)
        heap_down(it, h, k, i);
    size_t m = 0;
    while (k > 0) {
        int64_t t = it->m_ts[h[0].pos];
        it->o_ts[m] = t;
        it->o_vals[m] = it->m_vals[h[0].pos];
        m++;
        while (k > 0 && it->m_ts[h[0].pos] == t) {
            if (++h[0].pos == h[0].end) h[0] = h[--k];
            heap_down(it, h, k, 0);
        }
    }
    set_points(it, b, it->o_ts, it->o_vals, it->m_str, m);
    return STRATA_OK;
}

int stg_iter_next(stg_iter *it, int stats_ok, stg_block *b, strata_error *err)
{
    while (it->pos < it->nsrc) {
        size_t from = it->pos, to = from + 1;
        int64_t end = it->srcs[from].t_last;
        while (to < it->nsrc && it->srcs[to].t_first <= end) {
            if (it->srcs[to].t_last > end) end = it->srcs[to].t_last;
            to++;
        }
        it->pos = to;
        it->cur = from;
        const src *s = &it->srcs[from];
        int rc;
        if (to - from > 1) {
            rc = merge_cluster(it, from, to, b, err);
        } else if (s->kind == SRC_POINTS) {
            set_points(it, b, it->p_ts + s->off, it->p_vals + s->off, it->p_str + s->str_off, s->n);
            rc = STRATA_OK;
        } else if (stats_ok && s->t_first >= it->tmin && s->t_last < it->tmax) {
            memset(b, 0, sizeof *b);
            rc = stg_chunk_info_read(s->blob, s->len, &b->info, err);
            if (rc != STRATA_OK) return corrupt(it, s->t_first, s->t_last, err);
            b->n = b->info.count;
            return 1;
        } else {
            stg_chunk_info info;
            uint32_t n;
            rc = decode_blob(it, s, &info, &n, err);
            if (rc == STRATA_OK) set_points(it, b, it->o_ts, it->o_vals, it->o_str, n);
        }
        if (rc != STRATA_OK) return rc;
        if (b->n > 0) return 1;
    }
    return 0;
}

int stg_iter_decode(stg_iter *it, stg_block *b, strata_error *err)
{
    if (b->decoded) return 1;
    if (it->cur >= it->nsrc || it->srcs[it->cur].kind != SRC_BLOB)
        return strata_error_set(err, STRATA_EINVAL, "stg_iter_decode: no undecoded block");
    stg_chunk_info info;
    uint32_t n;
    int rc = decode_blob(it, &it->srcs[it->cur], &info, &n, err);
    if (rc != STRATA_OK) return rc;
    set_points(it, b, it->o_ts, it->o_vals, it->o_str, n);
    return 1;
}
