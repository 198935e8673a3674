/*
 * tools/strata_colread.c: reading one column from LMDB chunks alone, for
 * `strata export` on a directory that a running server holds (the engine
 * cannot be opened then, so its iterator is out of reach).
 *
 * It follows the engine's read rule (storage/iter.c, storage/FORMAT.md):
 * chunks never cross a partition, so each partition of the column is read
 * on its own; within one, chunks come in key order (first timestamp, then
 * sequence number) and are grouped into clusters whose time ranges overlap.
 * A lone chunk is decoded as it is; a cluster is decoded, sorted by time and
 * deduplicated, the chunk with the higher sequence number winning an equal
 * timestamp. Points only in the server's memory and WAL are not seen.
 *
 * Every chunk's checksum is verified (stg_chunk_info_read / decode): a bad
 * chunk stops the column with STRATA_ECORRUPT naming it.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "tools/strata_int.h"

typedef struct cr_chunk {
    const uint8_t *blob; /* LMDB page: valid in the caller's transaction */
    size_t len;
    int64_t t_first, t_last;
    uint64_t seq;
} cr_chunk;

struct tl_colread {
    tl_store *s;
    MDB_txn *txn;
    uint32_t db, field;
    uint64_t series;
    int64_t tmin, tmax;
    const uint32_t *parts;
    size_t nparts, pi;
    uint64_t pns;
    stg_type type;

    cr_chunk *ch;
    size_t nch, cap_ch, ci;

    /* decoded cluster */
    int64_t *ts;
    uint64_t *vals, *seqs;
    uint32_t *idx;
    size_t cap_pts;
    uint8_t *str;
    size_t str_cap;
    /* output */
    int64_t *ots;
    uint64_t *ovals;
    uint8_t *ostr;
    size_t cap_out, ostr_cap;
};

int tl_colread_new(tl_colread **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? STRATA_OK : STRATA_ENOMEM;
}

void tl_colread_free(tl_colread *c)
{
    if (c == NULL) return;
    free(c->ch);
    free(c->ts);
    free(c->vals);
    free(c->seqs);
    free(c->idx);
    free(c->str);
    free(c->ots);
    free(c->ovals);
    free(c->ostr);
    free(c);
}

int tl_colread_open(tl_colread *c, tl_store *s, MDB_txn *txn, uint32_t db, uint64_t series,
                    uint32_t field, const uint32_t *parts, size_t nparts, uint64_t pns,
                    int64_t tmin, int64_t tmax, strata_error *err)
{
    (void)err;
    c->s = s;
    c->txn = txn;
    c->db = db;
    c->series = series;
    c->field = field;
    c->parts = parts;
    c->nparts = nparts;
    c->pi = 0;
    c->pns = pns;
    c->tmin = tmin;
    c->tmax = tmax;
    c->type = 0;
    c->nch = c->ci = 0;
    return STRATA_OK;
}

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

static int reserve_pts(tl_colread *c, size_t need)
{
    if (need <= c->cap_pts) return STRATA_OK;
    size_t n = c->cap_pts ? c->cap_pts : 1024;
    while (n < need)
        n *= 2;
    int64_t *a = realloc(c->ts, n * sizeof *a);
    if (a) c->ts = a;
    uint64_t *b = realloc(c->vals, n * sizeof *b);
    if (b) c->vals = b;
    uint64_t *d = realloc(c->seqs, n * sizeof *d);
    if (d) c->seqs = d;
    uint32_t *x = realloc(c->idx, n * sizeof *x);
    if (x) c->idx = x;
    int64_t *oa = realloc(c->ots, n * sizeof *oa);
    if (oa) c->ots = oa;
    uint64_t *ob = realloc(c->ovals, n * sizeof *ob);
    if (ob) c->ovals = ob;
    if (!a || !b || !d || !x || !oa || !ob) return STRATA_ENOMEM;
    c->cap_pts = n;
    return STRATA_OK;
}

static int corrupt(tl_colread *c, int64_t t_first, const strata_error *why, strata_error *err)
{
    char tb[48];
    return strata_error_set(err, STRATA_ECORRUPT,
                            "chunk of database id %u, series %016llx, field id %u starting at %s: "
                            "%s (run strata verify)",
                            c->db, (unsigned long long)c->series, c->field,
                            tl_time_fmt(t_first, tb, sizeof tb), why->msg);
}

/* Collect the chunks of the column in partition parts[pi] that overlap the range. */
static int load_partition(tl_colread *c, uint32_t part, strata_error *err)
{
    uint8_t pre[20];
    MDB_cursor *cur;
    int rc;

    c->nch = c->ci = 0;
    if (!c->s->has[TL_CHUNKS]) return STRATA_OK;
    strata_put_be32(pre, c->db);
    strata_put_be32(pre + 4, part);
    strata_put_be64(pre + 8, c->series);
    strata_put_be32(pre + 16, c->field);
    if ((rc = mdb_cursor_open(c->txn, c->s->dbi[TL_CHUNKS], &cur)))
        return tl_mdb_err(rc, err, "chunks");
    MDB_val k = {20, pre}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 20 || memcmp(k.mv_data, pre, 20) != 0) break;
        const uint8_t *kp = k.mv_data;
        int64_t t_first = k.mv_size == TL_CKEY_LEN ? strata_get_be64s(kp + 20) : 0;
        stg_chunk_info info;
        strata_error why;
        if (k.mv_size != TL_CKEY_LEN ||
            stg_chunk_info_peek(v.mv_data, v.mv_size, &info, &why) != STRATA_OK) {
            if (k.mv_size != TL_CKEY_LEN)
                strata_error_set(&why, STRATA_ECORRUPT, "key of %zu bytes", k.mv_size);
            mdb_cursor_close(cur);
            return corrupt(c, t_first, &why, err);
        }
        if (info.t_last < c->tmin || info.t_first >= c->tmax) continue;
        if (grow((void **)&c->ch, &c->cap_ch, c->nch + 1, sizeof *c->ch) != STRATA_OK) {
            mdb_cursor_close(cur);
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        }
        cr_chunk *ch = &c->ch[c->nch++];
        ch->blob = v.mv_data;
        ch->len = v.mv_size;
        ch->t_first = info.t_first;
        ch->t_last = info.t_last;
        ch->seq = strata_get_be64(kp + 28);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return tl_mdb_err(rc, err, "reading chunks");
    return STRATA_OK;
}

/* Order for dedup: time ascending, then the newest write (highest seq) first. */
static int cmp_pt(const void *a, const void *b, void *arg)
{
    const tl_colread *c = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (c->ts[x] != c->ts[y]) return c->ts[x] < c->ts[y] ? -1 : 1;
    if (c->seqs[x] != c->seqs[y]) return c->seqs[x] > c->seqs[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Decode chunks [from, to) into the cluster arrays; *n receives the points. */
static int decode_cluster(tl_colread *c, size_t from, size_t to, size_t *n, size_t *str_used,
                          strata_error *err)
{
    size_t pts = 0, sused = 0;
    for (size_t i = from; i < to; i++) {
        cr_chunk *ch = &c->ch[i];
        stg_chunk_info info;
        strata_error why;
        uint32_t got = 0;
        if (stg_chunk_info_read(ch->blob, ch->len, &info, &why) != STRATA_OK)
            return corrupt(c, ch->t_first, &why, err);
        if (c->type == 0) c->type = info.type;
        if (info.type != c->type) {
            strata_error_set(&why, STRATA_ECORRUPT, "type %s in a column of type %s",
                             stg_type_name(info.type), stg_type_name(c->type));
            return corrupt(c, ch->t_first, &why, err);
        }
        if (reserve_pts(c, pts + info.count) != STRATA_OK ||
            grow((void **)&c->str, &c->str_cap, sused + info.str_bytes + 1, 1) != STRATA_OK)
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        if (stg_chunk_decode(ch->blob, ch->len, c->ts + pts, c->vals + pts, c->str + sused,
                             info.str_bytes, &got, &why) != STRATA_OK)
            return corrupt(c, ch->t_first, &why, err);
        for (uint32_t k = 0; k < got; k++) {
            c->seqs[pts + k] = ch->seq;
            if (c->type == STG_STRING) {
                uint64_t v = c->vals[pts + k];
                c->vals[pts + k] =
                    stg_val_str((uint32_t)(stg_val_str_off(v) + sused), stg_val_str_len(v));
            }
        }
        pts += got;
        sused += info.str_bytes;
    }
    *n = pts;
    *str_used = sused;
    return STRATA_OK;
}

int tl_colread_next(tl_colread *c, const int64_t **ts, const uint64_t **vals, const uint8_t **str,
                    uint32_t *n, stg_type *type, strata_error *err)
{
    int rc;
    for (;;) {
        while (c->ci >= c->nch) {
            if (c->pi >= c->nparts) return 0;
            uint32_t part = c->parts[c->pi++];
            int64_t ps = tl_part_start(part, c->pns), pe = tl_part_start(part + 1, c->pns);
            if (part != UINT32_MAX && pe <= c->tmin) continue;
            if (ps >= c->tmax) continue;
            if ((rc = load_partition(c, part, err)) != STRATA_OK) return rc;
        }
        size_t from = c->ci, to = from + 1;
        int64_t last = c->ch[from].t_last;
        while (to < c->nch && c->ch[to].t_first <= last) {
            if (c->ch[to].t_last > last) last = c->ch[to].t_last;
            to++;
        }
        c->ci = to;
        size_t np = 0, sused = 0;
        if ((rc = decode_cluster(c, from, to, &np, &sused, err)) != STRATA_OK) return rc;
        for (size_t i = 0; i < np; i++)
            c->idx[i] = (uint32_t)i;
        if (to - from > 1) qsort_r(c->idx, np, sizeof *c->idx, cmp_pt, c);
        size_t m = 0;
        for (size_t i = 0; i < np; i++) {
            uint32_t x = c->idx[i];
            if (c->ts[x] < c->tmin || c->ts[x] >= c->tmax) continue;
            if (m > 0 && c->ots[m - 1] == c->ts[x]) continue; /* an older write */
            c->ots[m] = c->ts[x];
            c->ovals[m] = c->vals[x];
            m++;
        }
        if (m == 0) continue;
        *ts = c->ots;
        *vals = c->ovals;
        *str = c->str;
        *n = (uint32_t)m;
        *type = c->type;
        return 1;
    }
}
