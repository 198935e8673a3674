/*
 * query/exec_raw.c: raw SELECTs (no function call): the rows of one group's
 * series merged in time order, each output column evaluated on its row
 * (fields, tags, arithmetic, math functions), OFFSET and LIMIT applied per
 * group, as InfluxDB 1.6 emits them.
 *
 * Ascending order streams: one row per series in memory. ORDER BY time DESC
 * reads each series forwards and keeps its rows (only the last OFFSET+LIMIT
 * when there is a LIMIT) to merge them backwards, since InfluxDB merges
 * descending series streams and the order of equal times depends on it.
 */
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"
#include "storage/chunk.h"

typedef struct raw_ctx {
    qry_ctx *c;
    const qry_plan *p;
    const qry_mctx *mc;
    qry_srow *rows;
} raw_ctx;

static int adv_srow(void *ctx, size_t i)
{
    raw_ctx *rc = ctx;
    int r = qry__srow_next(rc->c, rc->p, rc->mc, &rc->rows[i]);
    if (r != STRATA_OK) return r;
    return rc->rows[i].has;
}

static int64_t time_srow(void *ctx, size_t i)
{
    raw_ctx *rc = ctx;
    return rc->rows[i].t;
}

/* The auxiliary value of name slot k of a row: a field value or a tag ("" when missing). */
static qry_val aux_val(const qry_plan *p, const qry_mctx *mc, const qry_series *s,
                       const qry_val *vals, int k)
{
    if (mc->refs[k].kind == 1) return vals[k];
    size_t vl;
    const char *v = qry__series_tag(s, p->fnames[k].ptr, p->fnames[k].len, &vl);
    return v ? qry_val_s(v, vl) : qry_val_s("", 0);
}

/*
 * InfluxDB's sorted merge breaks equal times with the auxiliary values (the
 * selected names sorted): the first pair of strings that differ decides; a
 * non-string value ends the comparison (equal).
 */
static int aux_tie(const qry_plan *p, const qry_mctx *mc, const qry_series *sa, const qry_val *va,
                   const qry_series *sb, const qry_val *vb)
{
    for (size_t i = 0; i < p->naux; i++) {
        int k = p->aux_order[i];
        qry_val x = aux_val(p, mc, sa, va, k), y = aux_val(p, mc, sb, vb, k);
        if (x.t != QRY_V_STR || y.t != QRY_V_STR) return 0;
        size_t n = x.v.s.n < y.v.s.n ? x.v.s.n : y.v.s.n;
        int c = n ? memcmp(x.v.s.p, y.v.s.p, n) : 0;
        if (c == 0) c = x.v.s.n < y.v.s.n ? -1 : x.v.s.n > y.v.s.n;
        if (c) return c;
    }
    return 0;
}

/* Whether aux_tie() can ever decide: not when the first name compared is a non-string field. */
static int tie_matters(const qry_plan *p, const qry_mctx *mc)
{
    if (p->naux == 0) return 0;
    const qry_fref *r = &mc->refs[p->aux_order[0]];
    return !(r->kind == 1 && r->type != STG_STRING);
}

static int tie_srow(void *ctx, size_t a, size_t b)
{
    raw_ctx *rc = ctx;
    return aux_tie(rc->p, rc->mc, rc->rows[a].s, rc->rows[a].vals, rc->rows[b].s, rc->rows[b].vals);
}

/* Write the group's series header before its first row. */
typedef struct emitter {
    qry_ctx *c;
    const qry_plan *p;
    const qry_group *g;
    int begun;
    int64_t skipped, written;
    qry_val *out;
} emitter;

static int emit_begin(emitter *em)
{
    const qry_plan *p = em->p;
    size_t n = p->ncols + 1;
    const char **cols = qry__alloc(em->c, n * sizeof *cols);
    size_t *lens = qry__alloc(em->c, n * sizeof *lens);
    if (!cols || !lens) return STRATA_ENOMEM;
    cols[0] = p->time_name.ptr;
    lens[0] = p->time_name.len;
    for (size_t i = 0; i < p->ncols; i++) {
        cols[i + 1] = p->colnames[i];
        lens[i + 1] = p->collens[i];
    }
    em->begun = 1;
    return qry_writer_series_begin(em->c->w, em->g->m->name, em->g->m->len, em->g->tags,
                                   em->g->ntags, cols, lens, n);
}

/* @return 1 when the LIMIT is reached (stop), 0 to go on, <0 error. */
static int emit_row(emitter *em, const qry_val *row)
{
    const qry_plan *p = em->p;
    if (em->skipped < p->offset_rows) {
        em->skipped++;
        return 0;
    }
    if (!em->begun) {
        int rc = emit_begin(em);
        if (rc != STRATA_OK) return rc;
    }
    int rc = qry_writer_row(em->c->w, row);
    if (rc != STRATA_OK) return qry__fail(em->c, rc, "out of memory writing the answer");
    em->written++;
    if (p->limit > 0 && em->written >= p->limit) return 1;
    return 0;
}

static void eval_out(const qry_plan *p, const qry_mctx *mc, const qry_srow *r, qry_val *out)
{
    out[0] = qry_val_time(r->t);
    for (size_t i = 0; i < p->ncols; i++)
        out[i + 1] = qry__eval_row(p, mc->refs, p->cols[i], r->vals, r->s);
}

/* ---- descending: per-series row stores ------------------------------------------------ */

typedef struct rstore {
    int64_t *t;
    qry_val *v; /* ncols+1 per row */
    size_t n, cap, head, keep;
    long cur; /* reading position (counts down) */
} rstore;

typedef struct desc_ctx {
    rstore *st;
    size_t width, nout; /* row: nout output values, then the auxiliary values */
} desc_ctx;

static int store_row(qry_ctx *c, rstore *s, size_t width, const qry_val *row, strata_arena *sa)
{
    size_t slot;
    if (s->keep && s->n == s->keep) {
        slot = s->head;
        s->head = (s->head + 1) % s->keep;
    } else {
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 64;
            if (s->keep && nc > s->keep) nc = s->keep;
            int64_t *nt = realloc(s->t, nc * sizeof *nt);
            if (nt == NULL) return qry__fail(c, STRATA_ENOMEM, "out of memory");
            s->t = nt;
            qry_val *nv = realloc(s->v, nc * width * sizeof *nv);
            if (nv == NULL) return qry__fail(c, STRATA_ENOMEM, "out of memory");
            s->v = nv;
            s->cap = nc;
        }
        slot = s->n++;
    }
    s->t[slot] = row[0].v.i;
    qry_val *dst = &s->v[slot * width];
    for (size_t i = 0; i < width; i++) {
        dst[i] = row[i];
        if (row[i].t == QRY_V_STR && row[i].v.s.n) {
            char *cp = strata_arena_strndup(sa, row[i].v.s.p, row[i].v.s.n);
            if (cp == NULL) return qry__fail(c, STRATA_ENOMEM, "out of memory");
            dst[i].v.s.p = cp;
        }
    }
    return STRATA_OK;
}

/* Physical index of the k-th oldest row. */
static size_t phys(const rstore *s, size_t k)
{
    if (s->keep && s->n == s->keep) return (s->head + k) % s->keep;
    return k;
}

static int adv_desc(void *ctx, size_t i)
{
    desc_ctx *d = ctx;
    rstore *s = &d->st[i];
    s->cur--;
    return s->cur >= 0;
}

static int64_t time_desc(void *ctx, size_t i)
{
    desc_ctx *d = ctx;
    rstore *s = &d->st[i];
    return s->t[phys(s, (size_t)s->cur)];
}

static int tie_desc(void *ctx, size_t a, size_t b)
{
    desc_ctx *d = ctx;
    rstore *x = &d->st[a], *y = &d->st[b];
    const qry_val *va = &x->v[phys(x, (size_t)x->cur) * d->width + d->nout];
    const qry_val *vb = &y->v[phys(y, (size_t)y->cur) * d->width + d->nout];
    for (size_t i = 0; i < d->width - d->nout; i++) {
        if (va[i].t != QRY_V_STR || vb[i].t != QRY_V_STR) return 0;
        size_t n = va[i].v.s.n < vb[i].v.s.n ? va[i].v.s.n : vb[i].v.s.n;
        int cmp = n ? memcmp(va[i].v.s.p, vb[i].v.s.p, n) : 0;
        if (cmp == 0) cmp = va[i].v.s.n < vb[i].v.s.n ? -1 : va[i].v.s.n > vb[i].v.s.n;
        if (cmp) return cmp;
    }
    return 0;
}

/* What column_tail_start() remembers of a block. */
typedef struct tail_blk {
    int64_t first, last;
    uint32_t n;
    int regular;  /* an undecoded chunk with evenly spaced times (computable) */
    size_t ts_at; /* decoded: where its times are in the copy, else SIZE_MAX */
} tail_blk;

/*
 * The last `keep` times of one column within [tmin, tmax]: *start is raised
 * to the keep-th largest time, or left alone when the column has fewer
 * points. One pass reads the column's blocks with chunk statistics allowed:
 * whole chunks come back undecoded with their count and first and last
 * times, and a chunk whose times are evenly spaced (the regular timestamp
 * codec) gives any of its times without decoding; the times of decoded
 * blocks (heads, edges of the range) are copied. Only when the time sits in
 * an undecoded irregular chunk is the column read again from that chunk on.
 */
static int column_tail_start(qry_ctx *c, uint32_t db, uint64_t series, uint32_t fid, size_t keep,
                             int64_t tmin, int64_t tmax, int64_t *start)
{
    int64_t hi = tmax == INT64_MAX ? INT64_MAX : tmax + 1;
    stg_iter *it = NULL;
    tail_blk *blk = NULL;
    int64_t *tsc = NULL, *ring = NULL;
    size_t nb = 0, cap = 0, nts = 0, tscap = 0;
    int rc = stg_iter_open(c->e, db, series, fid, tmin, hi, &it, c->err);
    if (rc != STRATA_OK) goto done;
    stg_block b;
    while ((rc = stg_iter_next(it, 1, &b, c->err)) > 0) {
        if (b.n == 0) continue;
        if (nb == cap) {
            size_t nc = cap ? cap * 2 : 16;
            tail_blk *nbk = realloc(blk, nc * sizeof *nbk);
            if (nbk == NULL) {
                rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                goto done;
            }
            blk = nbk;
            cap = nc;
        }
        tail_blk *t = &blk[nb++];
        t->n = b.n;
        t->ts_at = SIZE_MAX;
        t->regular = 0;
        if (b.decoded) {
            t->first = b.ts[0];
            t->last = b.ts[b.n - 1];
            if (nts + b.n > tscap) {
                size_t nc = tscap ? tscap * 2 : 1024;
                while (nc < nts + b.n)
                    nc *= 2;
                int64_t *nt = realloc(tsc, nc * sizeof *nt);
                if (nt == NULL) {
                    rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                    goto done;
                }
                tsc = nt;
                tscap = nc;
            }
            memcpy(tsc + nts, b.ts, b.n * sizeof *tsc);
            t->ts_at = nts;
            nts += b.n;
            c->points += b.n;
        } else {
            t->first = b.info.t_first;
            t->last = b.info.t_last;
            uint64_t span = (uint64_t)t->last - (uint64_t)t->first;
            t->regular = b.info.ts_codec == STG_CODEC_TS_REGULAR && b.n >= 2 &&
                         t->last > t->first && span % (b.n - 1) == 0;
        }
    }
    stg_iter_close(it);
    it = NULL;
    if (rc < 0) goto done;
    rc = STRATA_OK;
    /* the block holding the keep-th last point, and that point's index in it */
    size_t sum = 0, j = nb;
    while (j > 0 && sum < keep)
        sum += blk[--j].n;
    if (sum < keep) goto done; /* fewer than keep points: no bound from this column */
    size_t idx = sum - keep;
    const tail_blk *t = &blk[j];
    int64_t at;
    if (t->ts_at != SIZE_MAX) {
        at = tsc[t->ts_at + idx];
    } else if (t->regular) {
        uint64_t d = ((uint64_t)t->last - (uint64_t)t->first) / (t->n - 1);
        at = (int64_t)((uint64_t)t->first + d * idx);
    } else {
        /* decode from that chunk on, keeping the last keep times */
        ring = malloc(keep * sizeof *ring);
        if (ring == NULL) {
            rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
            goto done;
        }
        rc = stg_iter_open(c->e, db, series, fid, t->first, hi, &it, c->err);
        if (rc != STRATA_OK) goto done;
        size_t seen = 0;
        while ((rc = stg_iter_next(it, 0, &b, c->err)) > 0) {
            c->points += b.n;
            for (uint32_t k = 0; k < b.n; k++)
                ring[seen++ % keep] = b.ts[k];
        }
        if (rc < 0) goto done;
        rc = STRATA_OK;
        if (seen < keep) goto done;
        at = ring[seen % keep];
    }
    if (at > *start) *start = at;
done:
    stg_iter_close(it);
    free(blk);
    free(tsc);
    free(ring);
    return rc;
}

/*
 * With ORDER BY time DESC LIMIT n, a series only contributes its last
 * OFFSET+LIMIT rows. A row exists at each time one driver field has a value,
 * so when some driver column has k >= keep points in [t, tmax], the last keep
 * rows all lie in [t, tmax]: t from any one driver column is a safe lower
 * bound that saves reading the rest of the series. The first column that
 * has keep points gives it (columns of a series mostly share their times, so
 * more columns would rarely raise it). Not for series with a row filter
 * (rows may be dropped).
 */
static int desc_tmin(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_series *s,
                     size_t keep, int64_t *tmin)
{
    if (keep == 0 || s->filter != NULL || p->tmin > p->tmax) return STRATA_OK;
    int64_t start = p->tmin;
    for (size_t i = 0; i < p->nfnames; i++) {
        if (!p->fdriver[i] || mc->refs[i].kind != 1) continue;
        int rc = column_tail_start(c, p->db, s->id, mc->refs[i].fid, keep, start, p->tmax, &start);
        if (rc != STRATA_OK) return rc;
        if (start > p->tmin) break;
    }
    *tmin = start;
    return qry__check_budget(c);
}

static int raw_desc(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_group *g,
                    qry_srow *rows, emitter *em)
{
    size_t nout = p->ncols + 1;
    size_t width = nout + p->naux;
    rstore *st = calloc(g->nseries ? g->nseries : 1, sizeof *st);
    qry_val *row = malloc(width * sizeof *row);
    strata_arena sa;
    strata_arena_init(&sa, 0);
    qry_gmerge gm;
    memset(&gm, 0, sizeof gm);
    int rc = STRATA_OK;
    if (st == NULL || row == NULL) {
        rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    size_t keep = p->limit > 0 ? (size_t)(p->limit + p->offset_rows) : 0;
    /* InfluxDB reverses the series of a tag set when ordering by descending time */
    for (size_t i = 0; i < g->nseries; i++) {
        rstore *sti = &st[g->nseries - 1 - i];
        sti->keep = keep;
        int64_t tmin = p->tmin;
        if ((rc = desc_tmin(c, p, mc, g->series[i], keep, &tmin)) != STRATA_OK) goto done;
        rc = qry__srow_open(c, p, mc, g->series[i], NULL, tmin, p->tmax, 0, &rows[i]);
        if (rc != STRATA_OK) goto done;
        for (;;) {
            if ((rc = qry__srow_next(c, p, mc, &rows[i])) != STRATA_OK) goto done;
            if (!rows[i].has) break;
            eval_out(p, mc, &rows[i], row);
            for (size_t k = 0; k < p->naux; k++)
                row[nout + k] = aux_val(p, mc, rows[i].s, rows[i].vals, p->aux_order[k]);
            if ((rc = store_row(c, sti, width, row, &sa)) != STRATA_OK) goto done;
        }
        sti->cur = (long)sti->n;
        qry__srow_close(&rows[i]);
    }
    desc_ctx dc = {st, width, nout};
    if ((rc = qry__gmerge_init(c, &gm, g->nseries, 1, &dc, adv_desc, time_desc)) != STRATA_OK)
        goto done;
    gm.tie = tie_matters(p, mc) ? tie_desc : NULL;
    for (;;) {
        long w;
        if ((rc = qry__gmerge_next(c, &gm, &w)) != STRATA_OK) goto done;
        if (w < 0) break;
        rstore *s = &st[w];
        int r = emit_row(em, &s->v[phys(s, (size_t)s->cur) * width]);
        if (r < 0) {
            rc = r;
            goto done;
        }
        if (r > 0) break;
    }
done:
    qry__gmerge_fini(&gm);
    if (st)
        for (size_t i = 0; i < g->nseries; i++) {
            free(st[i].t);
            free(st[i].v);
        }
    free(st);
    free(row);
    strata_arena_fini(&sa);
    return rc;
}

int qry__raw_group(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_group *g)
{
    qry_srow *rows = qry__alloc(c, (g->nseries ? g->nseries : 1) * sizeof *rows);
    qry_val *out = qry__alloc(c, (p->ncols + 1) * sizeof *out);
    if (rows == NULL || out == NULL) return STRATA_ENOMEM;
    memset(rows, 0, (g->nseries ? g->nseries : 1) * sizeof *rows);
    emitter em = {c, p, g, 0, 0, 0, out};
    qry_gmerge gm;
    memset(&gm, 0, sizeof gm);
    int rc = STRATA_OK;
    /* Few columns: keep their iterators open; many: detached cursors with a bounded buffer. */
    size_t ncur = g->nseries * (p->nfnames ? p->nfnames : 1);
    size_t max_pts = 0;
    if (ncur > 32) {
        max_pts = ((size_t)4 << 20) / ncur;
        if (max_pts < 64) max_pts = 64;
    }
    if (p->desc) {
        rc = raw_desc(c, p, mc, g, rows, &em);
        goto done;
    }
    for (size_t i = 0; i < g->nseries; i++) {
        rc = qry__srow_open(c, p, mc, g->series[i], NULL, p->tmin, p->tmax, max_pts, &rows[i]);
        if (rc != STRATA_OK) goto done;
    }
    raw_ctx rx = {c, p, mc, rows};
    if ((rc = qry__gmerge_init(c, &gm, g->nseries, 0, &rx, adv_srow, time_srow)) != STRATA_OK)
        goto done;
    gm.tie = tie_matters(p, mc) ? tie_srow : NULL;
    for (;;) {
        long w;
        if ((rc = qry__gmerge_next(c, &gm, &w)) != STRATA_OK) goto done;
        if (w < 0) break;
        eval_out(p, mc, &rows[w], out);
        if (c->w->fmt == QRY_WFMT_CAPTURE) {
            c->w->cap_row_tags = rows[w].s->tags;
            c->w->cap_row_ntags = rows[w].s->ntags;
        }
        int r = emit_row(&em, out);
        if (r < 0) {
            rc = r;
            goto done;
        }
        if (r > 0) break;
    }
done:
    qry__gmerge_fini(&gm);
    for (size_t i = 0; i < g->nseries; i++)
        qry__srow_close(&rows[i]);
    if (em.begun) qry_writer_series_end(c->w);
    return rc;
}
