/*
 * storage/column.c: the in-memory life of one column.
 *
 * A point goes to the head when it is newer than everything the head ever
 * took; otherwise (late, out of order, or a rewrite of the same timestamp)
 * it goes to the out-of-order buffer. Both are sealed into chunks: the head
 * when it is full or a point falls into a later time partition, the buffer
 * when it is full or at a checkpoint.
 *
 * Last write wins through sequence numbers: a head takes its sequence number
 * when it starts, an out-of-order chunk when it is sealed, and readers keep,
 * for equal timestamps, the point of the source with the highest number. A
 * head only ever holds timestamps newer than anything sealed before it
 * started, and the buffer only takes points older than (or equal to) the
 * head's newest, so a buffer sealed later correctly overrides the head.
 *
 * All functions here run with heads_rw held for writing.
 */
#include "storage/engine_int.h"

#include <stdlib.h>
#include <string.h>

#define PART_BIAS 0x80000000u

uint32_t stg__part_of(const stg_engine *e, int64_t ts)
{
    int64_t p = ts / e->opt.partition_ns;
    if (ts % e->opt.partition_ns < 0) p--;
    return (uint32_t)(p + (int64_t)PART_BIAS);
}

int64_t stg__part_start(const stg_engine *e, uint32_t part)
{
    __int128 s = (__int128)((int64_t)part - (int64_t)PART_BIAS) * e->opt.partition_ns;
    if (s < INT64_MIN) return INT64_MIN;
    if (s > INT64_MAX) return INT64_MAX;
    return (int64_t)s;
}

void stg__mark_dirty(stg_engine *e, stg__column *c)
{
    if (c->dirty_idx != UINT32_MAX) return;
    if (e->ndirty == e->dirty_cap) {
        size_t ncap = e->dirty_cap ? e->dirty_cap * 2 : 1024;
        stg__column **nd = realloc(e->dirty, ncap * sizeof *nd);
        if (nd == NULL) return; /* the column stays off the list: the checkpoint scans all */
        e->dirty = nd;
        e->dirty_cap = ncap;
    }
    c->dirty_idx = (uint32_t)e->ndirty;
    e->dirty[e->ndirty++] = c;
}

void stg__unmark_dirty(stg_engine *e, stg__column *c)
{
    uint32_t i = c->dirty_idx;
    if (i == UINT32_MAX) return;
    stg__column *last = e->dirty[--e->ndirty];
    e->dirty[i] = last;
    last->dirty_idx = i;
    c->dirty_idx = UINT32_MAX;
}

stg__column *stg__column_get_or_new(stg_engine *e, uint32_t db, uint64_t series, uint32_t field,
                                    stg_type type)
{
    stg__column *c = stg__colmap_get(&e->cols, db, series, field);
    if (c != NULL) return c;
    c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->db = db;
    c->series = series;
    c->field = field;
    c->type = (uint8_t)type;
    c->dirty_idx = UINT32_MAX;
    c->max_ts = INT64_MIN;
    stg_stream_init(&c->head, type);
    if (stg__colmap_put(&e->cols, c) != STRATA_OK) {
        stg_stream_fini(&c->head);
        free(c);
        return NULL;
    }
    return c;
}

static void ooo_free(stg__ooo *o)
{
    if (o == NULL) return;
    free(o->ts);
    free(o->vals);
    free(o->str);
    free(o);
}

void stg__column_free(stg__column *c)
{
    if (c == NULL) return;
    stg_stream_fini(&c->head);
    ooo_free(c->ooo);
    stg__sealed *s = c->sealed;
    while (s) {
        stg__sealed *n = s->next;
        free(s);
        s = n;
    }
    free(c);
}

void stg__column_forget(stg_engine *e, stg__column *c)
{
    e->heads_bytes -= stg_stream_bytes(&c->head);
    stg_stream_fini(&c->head);
    stg_stream_init(&c->head, (stg_type)c->type);
    ooo_free(c->ooo);
    c->ooo = NULL;
    stg__sealed *s = c->sealed;
    while (s) {
        stg__sealed *n = s->next;
        __atomic_fetch_sub(&e->pending_bytes, s->len, __ATOMIC_RELAXED);
        free(s);
        s = n;
    }
    c->sealed = NULL;
    c->head_dirty = 0;
    stg__unmark_dirty(e, c);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (np == NULL) return STRATA_ENOMEM;
    *p = np;
    *cap = ncap;
    return STRATA_OK;
}

/* Encode n sorted points into a new pending chunk of column c. */
static int seal_points(stg_engine *e, stg__column *c, uint32_t part, int64_t t_first, uint64_t seq,
                       const int64_t *ts, const uint64_t *vals, const uint8_t *str,
                       size_t str_bytes, uint32_t n, strata_error *err)
{
    size_t bound = stg_chunk_bound((stg_type)c->type, n, str_bytes), used = 0;
    int rc = grow((void **)&e->sc_out, &e->sc_out_cap, bound, 1);
    if (rc != STRATA_OK)
        return strata_error_set(err, rc, "out of memory sealing a chunk of %u points", n);
    rc =
        stg_chunk_encode((stg_type)c->type, ts, vals, str, n, e->sc_out, e->sc_out_cap, &used, err);
    if (rc != STRATA_OK) return rc;
    stg__sealed *s = malloc(sizeof *s + used);
    if (s == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory sealing a chunk");
    memcpy(s->data, e->sc_out, used);
    s->len = (uint32_t)used;
    s->t_first = t_first;
    s->t_last = ts[n - 1];
    s->seq = seq;
    s->part = part;
    s->count = n;
    s->str_bytes = (uint32_t)str_bytes;
    s->raw = 0;
    s->flushing = 0;
    s->next = c->sealed;
    c->sealed = s;
    __atomic_fetch_add(&e->pending_bytes, used, __ATOMIC_RELAXED);
    e->stats.chunks_sealed++;
    stg__mark_dirty(e, c);
    return STRATA_OK;
}

/*
 * Seal the head: move its stream as it is into a raw sealed entry (the
 * checkpoint encodes it, outside the locks writers wait on) and start a new
 * head.
 */
static int seal_head(stg_engine *e, stg__column *c, strata_error *err)
{
    uint32_t n = stg_stream_count(&c->head);
    if (n == 0) return STRATA_OK;
    size_t len = stg_stream_bytes(&c->head);
    stg__sealed *s = malloc(sizeof *s + len);
    if (s == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory sealing a head");
    memcpy(s->data, stg_stream_data(&c->head), len);
    s->len = (uint32_t)len;
    s->count = n;
    s->str_bytes = stg_stream_str_bytes(&c->head);
    s->raw = 1;
    s->t_first = c->head_first;
    s->t_last = stg_stream_last_ts(&c->head);
    s->seq = c->head_seq;
    s->part = c->part;
    s->flushing = 0;
    s->next = c->sealed;
    c->sealed = s;
    __atomic_fetch_add(&e->pending_bytes, len, __ATOMIC_RELAXED);
    e->stats.chunks_sealed++;
    stg__mark_dirty(e, c);
    e->heads_bytes -= len;
    stg_stream_fini(&c->head);
    stg_stream_init(&c->head, (stg_type)c->type);
    c->head_dirty = 0;
    return STRATA_OK;
}

static int ooo_add(stg_engine *e, stg__column *c, int64_t ts, uint64_t val, const uint8_t *str,
                   uint32_t slen, strata_error *err)
{
    stg__ooo *o = c->ooo;
    if (o == NULL) {
        o = c->ooo = calloc(1, sizeof *o);
        if (o == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    }
    if (o->n == o->cap) {
        uint32_t ncap = o->cap ? o->cap * 2 : 16;
        int64_t *nts = realloc(o->ts, ncap * sizeof *nts);
        if (nts == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        o->ts = nts;
        uint64_t *nv = realloc(o->vals, ncap * sizeof *nv);
        if (nv == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        o->vals = nv;
        o->cap = ncap;
    }
    if (c->type == STG_STRING) {
        size_t cap = o->str_cap;
        if (grow((void **)&o->str, &cap, (size_t)o->str_len + slen, 1) != STRATA_OK)
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        o->str_cap = (uint32_t)cap;
        if (slen) memcpy(o->str + o->str_len, str, slen);
        val = stg_val_str(o->str_len, slen);
        o->str_len += slen;
    }
    o->ts[o->n] = ts;
    o->vals[o->n] = val;
    o->n++;
    stg__mark_dirty(e, c);
    if (o->n >= e->opt.ooo_max_points || o->str_len > 8u * e->opt.head_max_bytes)
        return stg__column_seal_ooo(e, c, err);
    return STRATA_OK;
}

/* Sort order for the out-of-order buffer: time, then arrival. */
static int cmp_idx(const void *a, const void *b, void *arg)
{
    const int64_t *sort_ts = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (sort_ts[x] != sort_ts[y]) return sort_ts[x] < sort_ts[y] ? -1 : 1;
    return x < y ? -1 : (x > y);
}

int stg__column_seal_ooo(stg_engine *e, stg__column *c, strata_error *err)
{
    stg__ooo *o = c->ooo;
    uint32_t *idx = NULL, m = 0;
    int rc = STRATA_OK;

    if (o == NULL || o->n == 0) return STRATA_OK;
    idx = malloc(o->n * sizeof *idx);
    if (idx == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < o->n; i++)
        idx[i] = i;
    qsort_r(idx, o->n, sizeof *idx, cmp_idx, o->ts);
    /* Keep the last arrival of each timestamp. */
    for (uint32_t i = 0; i < o->n; i++) {
        if (i + 1 < o->n && o->ts[idx[i + 1]] == o->ts[idx[i]]) continue;
        idx[m++] = idx[i];
    }
    rc = grow((void **)&e->sc_str, &e->sc_str_cap, (size_t)o->str_len + 1, 1);
    if (rc != STRATA_OK) {
        strata_error_set(err, rc, "out of memory");
        goto done;
    }
    /* Cut into runs that stay inside one partition and one chunk. */
    for (uint32_t i = 0; i < m;) {
        uint32_t part = stg__part_of(e, o->ts[idx[i]]), n = 0;
        size_t soff = 0;
        while (i < m && n < e->opt.chunk_max_points && stg__part_of(e, o->ts[idx[i]]) == part) {
            uint64_t v = o->vals[idx[i]];
            if (c->type == STG_STRING) {
                uint32_t len = stg_val_str_len(v);
                memcpy(e->sc_str + soff, o->str + stg_val_str_off(v), len);
                v = stg_val_str((uint32_t)soff, len);
                soff += len;
            }
            e->sc_ts[n] = o->ts[idx[i]];
            e->sc_vals[n] = v;
            n++;
            i++;
        }
        rc = seal_points(e, c, part, e->sc_ts[0], e->next_seq++, e->sc_ts, e->sc_vals, e->sc_str,
                         soff, n, err);
        if (rc != STRATA_OK) goto done;
    }
    o->n = 0;
    o->str_len = 0;
done:
    free(idx);
    return rc;
}

int stg__column_append(stg_engine *e, stg__column *c, int64_t ts, uint64_t val, const uint8_t *str,
                       uint32_t slen, strata_error *err)
{
    uint32_t n = stg_stream_count(&c->head);
    int rc;

    if (ts <= c->max_ts) return ooo_add(e, c, ts, val, str, slen, err);
    if (n > 0 && stg__part_of(e, ts) != c->part) {
        rc = seal_head(e, c, err);
        if (rc != STRATA_OK) return rc;
        n = 0;
    }
    if (n == 0) {
        c->part = stg__part_of(e, ts);
        c->head_first = ts;
        c->head_seq = e->next_seq++;
    }
    size_t before = stg_stream_bytes(&c->head);
    rc = stg_stream_append(&c->head, ts, val, str, slen);
    if (rc == STRATA_ENOMEM) return strata_error_set(err, rc, "out of memory appending to a head");
    if (rc != STRATA_OK)
        return strata_error_set(err, rc, "a %s head cannot take this value",
                                stg_type_name((stg_type)c->type));
    e->heads_bytes += stg_stream_bytes(&c->head) - before;
    c->max_ts = ts;
    c->head_dirty = 1;
    stg__mark_dirty(e, c);
    if (n + 1 >= e->opt.chunk_max_points || stg_stream_bytes(&c->head) >= e->opt.head_max_bytes)
        return seal_head(e, c, err);
    return STRATA_OK;
}
