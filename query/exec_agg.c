/*
 * query/exec_agg.c: SELECTs with functions, one group at a time.
 *
 * Each aggregate call (QN_AGG) reads its field from every series of the
 * group, one series after the other (one engine iterator open at a time),
 * and reduces the points into per-window states (func_agg.c): InfluxDB's
 * reducers do not depend on arrival order, so no merge is needed. Calls on
 * the same field over the same range share one pass over the data. Blocks
 * are reduced a window segment at a time; a whole undecoded chunk inside
 * one window feeds count/sum/mean (and min/max/spread when no point time is
 * needed) from its header statistics without decoding.
 *
 * Functions that depend on the merged order of the group's points
 * (integral, and transforms of raw fields without GROUP BY time) read the
 * group through the Go-heap merge (exec_cursor.c).
 *
 * Every column then becomes a time-ordered sequence: aggregates are filled
 * (fill()), transforms, arithmetic and math functions applied, fields next
 * to a single selector looked up at the selected point; the columns are
 * joined on time as InfluxDB's emitter joins them, and the rows written with
 * OFFSET/LIMIT.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"

/* ---- windows ------------------------------------------------------------------------------ */

void qry__window(const qry_plan *p, int64_t t, int64_t *start, int64_t *end)
{
    if (p->interval == 0) {
        *start = p->tmin;
        *end = p->tmax == INT64_MAX ? INT64_MAX : p->tmax + 1;
        return;
    }
    int64_t d = p->interval;
    t -= p->offset;
    int64_t zone = 0;
    if (p->tz) zone = qry__tz_offset_ns(p->tz, t);
    int64_t dt = (int64_t)(((__int128)t + zone) % d);
    if (dt < 0) dt += d;
    int64_t s;
    if ((__int128)QRY_MIN_TIME + dt >= t)
        s = QRY_MIN_TIME;
    else
        s = t - dt;
    if (p->tz) {
        int64_t so = qry__tz_offset_ns(p->tz, s);
        int64_t o = zone - so;
        if (o != 0 && (o < 0 ? -o : o) < d) s += o;
    }
    s += p->offset;
    int64_t e;
    int64_t dt2 = d - dt;
    if ((__int128)QRY_MAX_TIME - dt2 <= t)
        e = QRY_MAX_TIME;
    else
        e = t + dt2;
    e += p->offset;
    if (p->tz) {
        int64_t eo = qry__tz_offset_ns(p->tz, e);
        if (zone != eo) {
            int64_t o = zone - eo;
            if ((o < 0 ? -o : o) < d) e += o;
        }
    }
    *start = s;
    *end = e;
}

/* ---- a map from window start to window index ------------------------------------------------- */

typedef struct wmap {
    int64_t *keys;
    uint32_t *vals;
    uint8_t *used;
    size_t cap, n;
} wmap;

static uint64_t hash64(int64_t k)
{
    uint64_t x = (uint64_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static int wmap_grow(wmap *m)
{
    size_t nc = m->cap ? m->cap * 2 : 64;
    int64_t *k = calloc(nc, sizeof *k);
    uint32_t *v = calloc(nc, sizeof *v);
    uint8_t *u = calloc(nc, 1);
    if (!k || !v || !u) {
        free(k);
        free(v);
        free(u);
        return STRATA_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i]) continue;
        size_t j = hash64(m->keys[i]) & (nc - 1);
        while (u[j])
            j = (j + 1) & (nc - 1);
        u[j] = 1;
        k[j] = m->keys[i];
        v[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    free(m->used);
    m->keys = k;
    m->vals = v;
    m->used = u;
    m->cap = nc;
    return STRATA_OK;
}

/* Index of key, inserting newv when absent (*added = 1). */
static int wmap_get(wmap *m, int64_t key, uint32_t newv, uint32_t *out, int *added)
{
    if ((m->n + 1) * 2 > m->cap && wmap_grow(m) != STRATA_OK) return STRATA_ENOMEM;
    size_t j = hash64(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            *out = m->vals[j];
            *added = 0;
            return STRATA_OK;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->used[j] = 1;
    m->keys[j] = key;
    m->vals[j] = newv;
    m->n++;
    *out = newv;
    *added = 1;
    return STRATA_OK;
}

static void wmap_fini(wmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

/* ---- passes: the aggregate calls sharing a field and a range ------------------------------------
 */

typedef struct anode {
    qry_node *n;
    int per_series; /* first()/last() without GROUP BY time: one state per series */
    int tb_tags;    /* top/bottom with tag arguments: per-combo max/min first */
    qry_node inner; /* the max/min pseudo-call of tb_tags */
    qry_red *st;    /* [nw * stride] */
    size_t stride;
    qry_seq out;
    int done;
} anode;

typedef struct pass {
    int field;
    int64_t tmin, tmax;
    anode **an;
    size_t nan;
    int stats;
    wmap wm;
    int64_t *wst; /* window index -> start */
    size_t nw, capw;
} pass;

typedef struct aggctx {
    qry_ctx *c;
    const qry_plan *p;
    const qry_mctx *mc;
    const qry_group *g;
    anode *an;       /* one per plan agg */
    int64_t *ext;    /* per plan agg: extension of the start */
    uint32_t *combo; /* per series (top/bottom tags) */
    size_t ncombo;
    strata_arena sa;
    int need_point; /* a selected point's time or aux values matter */
} aggctx;

static int pass_window(aggctx *ax, pass *ps, int64_t ws, uint32_t *widx)
{
    int added;
    int rc = wmap_get(&ps->wm, ws, (uint32_t)ps->nw, widx, &added);
    if (rc != STRATA_OK) return qry__fail(ax->c, rc, "out of memory");
    if (!added) return STRATA_OK;
    if (ax->c->lim && ax->c->lim->max_buckets && ps->nw + 1 > ax->c->lim->max_buckets)
        return qry__fail(ax->c, STRATA_ELIMIT, "max-select-buckets limit exceeded: (%zu/%llu)",
                         ps->nw + 1, (unsigned long long)ax->c->lim->max_buckets);
    if (ps->nw == ps->capw) {
        size_t nc = ps->capw ? ps->capw * 2 : 16;
        int64_t *w = realloc(ps->wst, nc * sizeof *w);
        if (w == NULL) return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
        ps->wst = w;
        for (size_t i = 0; i < ps->nan; i++) {
            anode *a = ps->an[i];
            qry_red *st = realloc(a->st, nc * a->stride * sizeof *st);
            if (st == NULL) return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
            a->st = st;
        }
        ps->capw = nc;
    }
    ps->wst[ps->nw] = ws;
    for (size_t i = 0; i < ps->nan; i++) {
        anode *a = ps->an[i];
        memset(&a->st[ps->nw * a->stride], 0, a->stride * sizeof *a->st);
    }
    ps->nw++;
    return STRATA_OK;
}

static int feed(aggctx *ax, pass *ps, uint32_t widx, int64_t t, qry_val v, int32_t sidx)
{
    for (size_t i = 0; i < ps->nan; i++) {
        anode *a = ps->an[i];
        qry_red *r;
        const qry_node *n = a->n;
        if (a->tb_tags) {
            r = &a->st[widx * a->stride + ax->combo[sidx]];
            n = &a->inner;
        } else if (a->per_series) {
            r = &a->st[widx * a->stride + (size_t)sidx];
        } else {
            r = &a->st[widx * a->stride];
        }
        if (qry__red_add(n, r, t, v, sidx, &ax->sa) != STRATA_OK)
            return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
    }
    return STRATA_OK;
}

/* A segment of points of one window, for the common reducers in tight loops. */
static int feed_seg(aggctx *ax, pass *ps, uint32_t widx, const int64_t *ts, const uint64_t *vals,
                    const uint8_t *strbuf, size_t n, stg_type type, int32_t sidx)
{
    for (size_t i = 0; i < ps->nan; i++) {
        anode *a = ps->an[i];
        qry_red *r = &a->st[widx * a->stride];
        if (a->tb_tags || a->per_series) goto slow;
        switch (a->n->fn) {
        case QF_COUNT:
            r->n += n;
            continue;
        case QF_MEAN:
        case QF_SUM:
            if (type == STG_FLOAT) {
                double s = 0;
                for (size_t k = 0; k < n; k++)
                    s += stg_val_to_f64(vals[k]);
                r->fsum += s;
                r->n += n;
                continue;
            }
            if (type == STG_INT && a->n->fn == QF_SUM) {
                uint64_t s = 0;
                for (size_t k = 0; k < n; k++)
                    s += vals[k];
                r->isum = (int64_t)((uint64_t)r->isum + s);
                r->n += n;
                continue;
            }
            if (type == STG_INT) {
                double s = 0;
                for (size_t k = 0; k < n; k++)
                    s += (double)(int64_t)vals[k];
                r->fsum += s;
                r->n += n;
                continue;
            }
            goto slow;
        case QF_MIN:
        case QF_MAX:
        case QF_FIRST:
        case QF_LAST: {
            /* one candidate per segment (times increase within it), then the reducer's rule */
            size_t best = 0;
            if (a->n->fn == QF_LAST) {
                best = n - 1;
            } else if (a->n->fn != QF_FIRST) {
                int want_max = a->n->fn == QF_MAX;
                if (type == STG_FLOAT) {
                    double bv = stg_val_to_f64(vals[0]);
                    for (size_t k = 1; k < n; k++) {
                        double x = stg_val_to_f64(vals[k]);
                        if (want_max ? x > bv : x < bv) {
                            bv = x;
                            best = k;
                        }
                    }
                } else if (type == STG_INT) {
                    int64_t bv = (int64_t)vals[0];
                    for (size_t k = 1; k < n; k++) {
                        int64_t x = (int64_t)vals[k];
                        if (want_max ? x > bv : x < bv) {
                            bv = x;
                            best = k;
                        }
                    }
                } else if (type == STG_UINT || type == STG_BOOL) {
                    uint64_t bv = vals[0];
                    for (size_t k = 1; k < n; k++) {
                        uint64_t x = vals[k];
                        if (want_max ? x > bv : x < bv) {
                            bv = x;
                            best = k;
                        }
                    }
                } else {
                    goto slow;
                }
            }
            if (qry__red_add(a->n, r, ts[best], qry__slot_val(type, vals[best], strbuf), sidx,
                             &ax->sa) != STRATA_OK)
                return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
            r->n += n - 1;
            continue;
        }
        default:
            goto slow;
        }
    slow:
        for (size_t k = 0; k < n; k++) {
            qry_red *rr;
            const qry_node *nn = a->n;
            if (a->tb_tags) {
                rr = &a->st[widx * a->stride + ax->combo[sidx]];
                nn = &a->inner;
            } else if (a->per_series) {
                rr = &a->st[widx * a->stride + (size_t)sidx];
            } else {
                rr = r;
            }
            if (qry__red_add(nn, rr, ts[k], qry__slot_val(type, vals[k], strbuf), sidx, &ax->sa) !=
                STRATA_OK)
                return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
        }
    }
    return STRATA_OK;
}

static size_t lower_bound(const int64_t *ts, size_t lo, size_t hi, int64_t t)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int feed_block(aggctx *ax, pass *ps, const int64_t *ts, const uint64_t *vals,
                      const uint8_t *strbuf, size_t n, stg_type type, int32_t sidx)
{
    const qry_plan *p = ax->p;
    size_t i = 0;
    while (i < n) {
        int64_t ws, we;
        qry__window(p, ts[i], &ws, &we);
        size_t j = p->interval == 0 ? n : lower_bound(ts, i + 1, n, we);
        if (p->tz && p->interval) {
            /* zone windows are not uniform: check each point's window */
            j = i + 1;
            while (j < n) {
                int64_t s2, e2;
                qry__window(p, ts[j], &s2, &e2);
                if (s2 != ws) break;
                j++;
            }
        }
        uint32_t widx;
        int rc = pass_window(ax, ps, p->interval ? ws : 0, &widx);
        if (rc == STRATA_OK)
            rc = feed_seg(ax, ps, widx, ts + i, vals + i, strbuf, j - i, type, sidx);
        if (rc != STRATA_OK) return rc;
        i = j;
    }
    return STRATA_OK;
}

/* Read the field of one series for a pass. */
static int pass_series(aggctx *ax, pass *ps, size_t sidx)
{
    qry_ctx *c = ax->c;
    const qry_plan *p = ax->p;
    const qry_series *s = ax->g->series[sidx];
    const qry_fref *ref = &ax->mc->refs[ps->field];
    int rc;
    if (s->filter == NULL) {
        stg_iter *it;
        int64_t hi = ps->tmax == INT64_MAX ? INT64_MAX : ps->tmax + 1;
        if (ps->tmin >= hi) return STRATA_OK;
        rc = stg_iter_open(c->e, p->db, s->id, ref->fid, ps->tmin, hi, &it, c->err);
        if (rc != STRATA_OK) return rc;
        stg_block b;
        for (;;) {
            rc = stg_iter_next(it, ps->stats, &b, c->err);
            if (rc <= 0) break;
            c->points += b.n;
            if ((rc = qry__check_budget(c)) != STRATA_OK) break;
            if (!b.decoded) {
                int64_t ws1, we1, ws2, we2;
                qry__window(p, b.info.t_first, &ws1, &we1);
                qry__window(p, b.info.t_last, &ws2, &we2);
                if (ws1 == ws2) {
                    uint32_t widx;
                    if ((rc = pass_window(ax, ps, p->interval ? ws1 : 0, &widx)) != STRATA_OK)
                        break;
                    for (size_t i = 0; i < ps->nan; i++)
                        qry__red_add_stats(ps->an[i]->n, &ps->an[i]->st[widx * ps->an[i]->stride],
                                           &b.info);
                    continue;
                }
                rc = stg_iter_decode(it, &b, c->err);
                if (rc < 0) break;
            }
            rc = feed_block(ax, ps, b.ts, b.vals, b.strbuf, b.n, ref->type, (int32_t)sidx);
            if (rc != STRATA_OK) break;
        }
        stg_iter_close(it);
        return rc < 0 ? rc : STRATA_OK;
    }
    /* a field condition: rows of the series driven by this field */
    uint8_t *drv = qry__alloc(c, p->nfnames ? p->nfnames : 1);
    if (drv == NULL) return STRATA_ENOMEM;
    memset(drv, 0, p->nfnames);
    drv[ps->field] = 1;
    qry_srow r;
    rc = qry__srow_open(c, p, ax->mc, s, drv, ps->tmin, ps->tmax, 0, &r);
    for (; rc == STRATA_OK;) {
        rc = qry__srow_next(c, p, ax->mc, &r);
        if (rc != STRATA_OK || !r.has) break;
        int64_t ws, we;
        qry__window(p, r.t, &ws, &we);
        uint32_t widx;
        rc = pass_window(ax, ps, p->interval ? ws : 0, &widx);
        if (rc == STRATA_OK) rc = feed(ax, ps, widx, r.t, r.vals[ps->field], (int32_t)sidx);
    }
    qry__srow_close(&r);
    return rc;
}

static int wcmp(const void *a, const void *b, void *arg)
{
    const int64_t *w = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return w[x] < w[y] ? -1 : w[x] > w[y];
}

static int fillable(qry_fn f)
{
    switch (f) {
    case QF_DISTINCT:
    case QF_SAMPLE:
    case QF_TOP:
    case QF_BOTTOM:
    case QF_INTEGRAL:
        return 0;
    default:
        return 1;
    }
}

static void seq_reverse(qry_seq *s)
{
    for (size_t i = 0, j = s->n ? s->n - 1 : 0; i < j; i++, j--) {
        qry_pt t = s->p[i];
        s->p[i] = s->p[j];
        s->p[j] = t;
    }
}

/* Output time of a window without GROUP BY time: the query's start, or the epoch. */
static int64_t base_time(const qry_plan *p)
{
    return p->tmin == QRY_MIN_TIME ? 0 : p->tmin;
}

/*
 * first()/last() without GROUP BY time over several series, as InfluxDB 1.6
 * answers it: the series' own first (last) points go through a Go heap ordered
 * by time (series in key order for first, reversed for last) and only the two
 * points popped first are reduced. The time is always right; equal times
 * across three or more series are broken as InfluxDB breaks them.
 */
static int emit_first_last(aggctx *ax, anode *a, size_t w, stg_type type, int keep, int64_t wt)
{
    size_t ns = a->stride;
    size_t *h = malloc((ns ? ns : 1) * sizeof *h);
    if (h == NULL) return STRATA_ENOMEM;
    int first = a->n->fn == QF_FIRST;
    size_t n = 0;
    for (size_t k = 0; k < ns; k++) {
        size_t sidx = first ? k : ns - 1 - k;
        if (a->st[w * ns + sidx].has) h[n++] = sidx;
    }
    const qry_red *st = &a->st[w * ns];
#define FL_LESS(x, y) (first ? st[h[x]].t < st[h[y]].t : st[h[x]].t > st[h[y]].t)
    /* heap.Init */
    for (size_t i0 = n / 2; i0-- > 0;) {
        size_t i = i0;
        for (;;) {
            size_t j1 = 2 * i + 1;
            if (j1 >= n) break;
            size_t j = j1;
            if (j1 + 1 < n && FL_LESS(j1 + 1, j1)) j = j1 + 1;
            if (!FL_LESS(j, i)) break;
            size_t tmp = h[i];
            h[i] = h[j];
            h[j] = tmp;
            i = j;
        }
    }
    qry_red res;
    memset(&res, 0, sizeof res);
    int rc = STRATA_OK;
    for (int pop = 0; pop < 2 && n > 0 && rc == STRATA_OK; pop++) {
        size_t last = n - 1;
        size_t tmp = h[0];
        h[0] = h[last];
        h[last] = tmp;
        size_t i = 0;
        for (;;) {
            size_t j1 = 2 * i + 1;
            if (j1 >= last) break;
            size_t j = j1;
            if (j1 + 1 < last && FL_LESS(j1 + 1, j1)) j = j1 + 1;
            if (!FL_LESS(j, i)) break;
            tmp = h[i];
            h[i] = h[j];
            h[j] = tmp;
            i = j;
        }
        const qry_red *r = &st[h[last]];
        n--;
        rc = qry__red_add(a->n, &res, r->t, r->v, r->sidx, &ax->sa);
    }
#undef FL_LESS
    if (rc == STRATA_OK) rc = qry__red_emit(a->n, &res, type, wt, keep, &ax->sa, &a->out);
    qry__red_fini(&res);
    free(h);
    return rc;
}

static int pass_emit(aggctx *ax, pass *ps)
{
    const qry_plan *p = ax->p;
    stg_type type = ax->mc->refs[ps->field].type;
    uint32_t *ord = malloc((ps->nw ? ps->nw : 1) * sizeof *ord);
    if (ord == NULL) return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
    for (size_t i = 0; i < ps->nw; i++)
        ord[i] = (uint32_t)i;
    qsort_r(ord, ps->nw, sizeof *ord, wcmp, ps->wst);
    int rc = STRATA_OK;
    for (size_t k = 0; k < ps->nan && rc == STRATA_OK; k++) {
        anode *a = ps->an[k];
        int keep = qry__fn_keeps_point_time(a->n->fn) || (p->interval == 0 && p->selector);
        for (size_t i = 0; i < ps->nw && rc == STRATA_OK; i++) {
            uint32_t w = ord[i];
            int64_t wt = p->interval ? ps->wst[w] : base_time(p);
            if (a->tb_tags) {
                qry_red top;
                memset(&top, 0, sizeof top);
                for (size_t cmb = 0; cmb < a->stride && rc == STRATA_OK; cmb++) {
                    qry_red *r = &a->st[w * a->stride + cmb];
                    if (r->has) rc = qry__red_add(a->n, &top, r->t, r->v, r->sidx, &ax->sa);
                }
                if (rc == STRATA_OK)
                    rc = qry__red_emit(a->n, &top, type, wt, keep, &ax->sa, &a->out);
                qry__red_fini(&top);
            } else if (a->per_series) {
                rc = emit_first_last(ax, a, w, type, keep, wt);
            } else {
                rc = qry__red_emit(a->n, &a->st[w * a->stride], type, wt, keep, &ax->sa, &a->out);
            }
        }
        if (rc != STRATA_OK) break;
        if (p->desc) seq_reverse(&a->out);
        if (fillable(a->n->fn) && p->interval)
            rc = qry__fill(p, a->n, ps->tmin, ps->tmax, &a->out, type);
        a->done = 1;
    }
    free(ord);
    if (rc == STRATA_ENOMEM) return qry__fail(ax->c, rc, "out of memory");
    return rc;
}

static void pass_fini(pass *ps)
{
    for (size_t k = 0; k < ps->nan; k++) {
        anode *a = ps->an[k];
        if (a->st) {
            for (size_t i = 0; i < ps->nw * a->stride; i++)
                qry__red_fini(&a->st[i]);
            free(a->st);
            a->st = NULL;
        }
    }
    free(ps->an);
    free(ps->wst);
    wmap_fini(&ps->wm);
}

/* ---- merged raw streams (integral, raw transforms)
 * ------------------------------------------------ */

typedef struct mrg {
    aggctx *ax;
    qry_srow *rows;
} mrg;

static int mrg_adv(void *ctx, size_t i)
{
    mrg *m = ctx;
    int rc = qry__srow_next(m->ax->c, m->ax->p, m->ax->mc, &m->rows[i]);
    if (rc != STRATA_OK) return rc;
    return m->rows[i].has;
}

static int64_t mrg_time(void *ctx, size_t i)
{
    mrg *m = ctx;
    return m->rows[i].t;
}

/* The group's points of field slot `field` in merged order into out (strings copied). */
static int merged_stream(aggctx *ax, int field, int64_t tmin, int64_t tmax, qry_seq *out)
{
    qry_ctx *c = ax->c;
    const qry_plan *p = ax->p;
    const qry_group *g = ax->g;
    if (ax->mc->refs[field].kind != 1) return STRATA_OK;
    uint8_t *drv = qry__alloc(c, p->nfnames ? p->nfnames : 1);
    qry_srow *rows = qry__alloc(c, (g->nseries ? g->nseries : 1) * sizeof *rows);
    if (drv == NULL || rows == NULL) return STRATA_ENOMEM;
    memset(drv, 0, p->nfnames);
    drv[field] = 1;
    memset(rows, 0, (g->nseries ? g->nseries : 1) * sizeof *rows);
    size_t ncur = g->nseries * (p->nfnames ? p->nfnames : 1);
    size_t max_pts = ncur > 32 ? ((size_t)4 << 20) / ncur : 0;
    if (max_pts && max_pts < 64) max_pts = 64;
    int rc = STRATA_OK;
    qry_gmerge gm;
    memset(&gm, 0, sizeof gm);
    for (size_t i = 0; i < g->nseries && rc == STRATA_OK; i++)
        rc = qry__srow_open(c, p, ax->mc, g->series[i], drv, tmin, tmax, max_pts, &rows[i]);
    mrg m = {ax, rows};
    if (rc == STRATA_OK) rc = qry__gmerge_init(c, &gm, g->nseries, 0, &m, mrg_adv, mrg_time);
    while (rc == STRATA_OK) {
        long w;
        rc = qry__gmerge_next(c, &gm, &w);
        if (rc != STRATA_OK || w < 0) break;
        qry_val v = rows[w].vals[field];
        if (v.t == QRY_V_STR && v.v.s.n) {
            char *cp = strata_arena_strndup(&ax->sa, v.v.s.p, v.v.s.n);
            if (cp == NULL) {
                rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                break;
            }
            v.v.s.p = cp;
        }
        qry_pt pt = {rows[w].t, v, rows[w].t, (int32_t)w};
        if (qry__seq_push(out, &pt) != STRATA_OK) rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
    }
    qry__gmerge_fini(&gm);
    for (size_t i = 0; i < g->nseries; i++)
        qry__srow_close(&rows[i]);
    return rc;
}

/* ---- column sequences --------------------------------------------------------------------------
 */

/* Start extension of aggregates under transforms (InfluxDB reads earlier windows for them). */
static void mark_ext(const qry_plan *p, const qry_node *n, int64_t ext, int64_t *exts)
{
    switch (n->kind) {
    case QN_AGG:
        if (n->agg >= 0) exts[n->agg] = ext;
        return;
    case QN_XFORM: {
        int64_t e = ext;
        if (p->interval) {
            if (n->fn == QF_MOVING_AVERAGE)
                e += p->interval * (n->n - 1);
            else if (n->fn != QF_CUMULATIVE_SUM)
                e += p->interval;
        }
        if (n->nargs) mark_ext(p, n->args[0], e, exts);
        return;
    }
    default:
        for (uint32_t i = 0; i < n->nargs; i++)
            mark_ext(p, n->args[i], ext, exts);
    }
}

/* The range an aggregate reads: extended before the start (after the end when descending). */
static void agg_range(const qry_plan *p, int64_t ext, int64_t *tmin, int64_t *tmax)
{
    *tmin = p->tmin;
    *tmax = p->tmax;
    if (ext == 0) return;
    if (!p->desc) {
        if (*tmin != QRY_MIN_TIME) *tmin = *tmin - ext;
    } else if (*tmax != QRY_MAX_TIME && *tmax <= QRY_MAX_TIME - ext) {
        *tmax = *tmax + ext;
    }
}

static int run_aggs(aggctx *ax)
{
    const qry_plan *p = ax->p;
    qry_ctx *c = ax->c;
    int rc = STRATA_OK;
    uint8_t *used = calloc(p->naggs ? p->naggs : 1, 1);
    if (used == NULL) return qry__fail(c, STRATA_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->naggs && rc == STRATA_OK; i++) {
        if (used[i]) continue;
        const qry_node *n = p->aggs[i];
        int64_t tmin, tmax;
        agg_range(p, ax->ext[i], &tmin, &tmax);
        if (ax->mc->refs[n->field].kind != 1) {
            used[i] = 1;
            ax->an[i].done = 1;
            continue;
        }
        if (n->fn == QF_INTEGRAL) {
            used[i] = 1;
            qry_seq raw = {0};
            rc = merged_stream(ax, n->field, tmin, tmax, &raw);
            if (rc == STRATA_OK && p->desc) seq_reverse(&raw);
            if (rc == STRATA_OK && raw.n) {
                rc = qry__integral(p, n, raw.p, raw.n, &ax->an[i].out);
                if (rc == STRATA_OK && p->interval == 0)
                    for (size_t k = 0; k < ax->an[i].out.n; k++)
                        ax->an[i].out.p[k].t = ax->an[i].out.p[k].t; /* epoch 0, as InfluxDB */
            }
            qry__seq_fini(&raw);
            ax->an[i].done = 1;
            continue;
        }
        pass ps;
        memset(&ps, 0, sizeof ps);
        ps.field = n->field;
        ps.tmin = tmin;
        ps.tmax = tmax;
        ps.stats = 1;
        ps.an = malloc(p->naggs * sizeof *ps.an);
        if (ps.an == NULL) {
            rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
            break;
        }
        for (size_t j = i; j < p->naggs; j++) {
            const qry_node *m = p->aggs[j];
            int64_t tj, tj2;
            agg_range(p, ax->ext[j], &tj, &tj2);
            if (used[j] || m->field != n->field || tj != tmin || tj2 != tmax ||
                m->fn == QF_INTEGRAL)
                continue;
            used[j] = 1;
            anode *a = &ax->an[j];
            a->n = p->aggs[j];
            a->stride = 1;
            if ((m->fn == QF_FIRST || m->fn == QF_LAST) && p->interval == 0 && ax->g->nseries > 1) {
                a->per_series = 1;
                a->stride = ax->g->nseries;
            }
            if ((m->fn == QF_TOP || m->fn == QF_BOTTOM) && m->ntagargs) {
                a->tb_tags = 1;
                a->stride = ax->ncombo ? ax->ncombo : 1;
                memset(&a->inner, 0, sizeof a->inner);
                a->inner.kind = QN_AGG;
                a->inner.fn = m->fn == QF_TOP ? QF_MAX : QF_MIN;
            }
            if (!qry__red_stats_ok(m, ax->need_point) || a->tb_tags) ps.stats = 0;
            ps.an[ps.nan++] = a;
        }
        if (ps.stats && ax->mc->refs[n->field].type == STG_STRING) ps.stats = 0;
        for (size_t s = 0; s < ax->g->nseries && rc == STRATA_OK; s++)
            rc = pass_series(ax, &ps, s);
        if (rc == STRATA_OK) rc = pass_emit(ax, &ps);
        pass_fini(&ps);
    }
    free(used);
    return rc;
}

/* Combination ids of top/bottom tag arguments per series. */
typedef struct combo_key {
    size_t sidx;
    qry_buf key;
} combo_key;

static int ck_cmp(const void *a, const void *b)
{
    const combo_key *x = a, *y = b;
    size_t n = x->key.n < y->key.n ? x->key.n : y->key.n;
    int r = n ? memcmp(x->key.p, y->key.p, n) : 0;
    if (r) return r;
    return x->key.n < y->key.n ? -1 : x->key.n > y->key.n;
}

static int build_combos(aggctx *ax)
{
    const qry_plan *p = ax->p;
    const qry_node *tb = NULL;
    for (size_t i = 0; i < p->naggs; i++)
        if ((p->aggs[i]->fn == QF_TOP || p->aggs[i]->fn == QF_BOTTOM) && p->aggs[i]->ntagargs)
            tb = p->aggs[i];
    if (tb == NULL) return STRATA_OK;
    size_t ns = ax->g->nseries;
    combo_key *ck = calloc(ns ? ns : 1, sizeof *ck);
    ax->combo = qry__alloc(ax->c, (ns ? ns : 1) * sizeof *ax->combo);
    if (ck == NULL || ax->combo == NULL) {
        free(ck);
        return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < ns; i++) {
        ck[i].sidx = i;
        for (uint32_t k = 0; k < tb->ntagargs; k++) {
            size_t vl;
            const char *v =
                qry__series_tag(ax->g->series[i], tb->tagargs[k].ptr, tb->tagargs[k].len, &vl);
            qry_buf_put(&ck[i].key, v ? v : "", v ? vl : 0);
            qry_buf_putc(&ck[i].key, 0);
        }
    }
    qsort(ck, ns, sizeof *ck, ck_cmp);
    size_t id = 0;
    for (size_t i = 0; i < ns; i++) {
        if (i > 0 && ck_cmp(&ck[i], &ck[i - 1]) != 0) id++;
        ax->combo[ck[i].sidx] = (uint32_t)id;
    }
    ax->ncombo = ns ? id + 1 : 0;
    for (size_t i = 0; i < ns; i++)
        qry_buf_fini(&ck[i].key);
    free(ck);
    return STRATA_OK;
}

/* The value of field slot f of series s at time t (for fields next to a selector). */
static qry_val aux_lookup(aggctx *ax, const qry_node *fn, int32_t sidx, int64_t t)
{
    if (sidx < 0) return qry_val_null();
    const qry_series *s = ax->g->series[sidx];
    const qry_fref *r = &ax->mc->refs[fn->field];
    if (r->kind == 2) {
        size_t vl;
        const char *v = qry__series_tag(s, fn->name.ptr, fn->name.len, &vl);
        return v ? qry_val_s(v, vl) : qry_val_null();
    }
    if (r->kind != 1) return qry_val_null();
    qry_fcur fc;
    if (qry__fcur_open(ax->c, &fc, ax->p->db, s->id, r->fid, r->type, t, t, 0) != STRATA_OK)
        return qry_val_null();
    qry_val v = qry_val_null();
    if (qry__fcur_fill(ax->c, &fc) == STRATA_OK && fc.valid && qry__fcur_time(&fc) == t) {
        v = qry__fcur_val(&fc);
        if (v.t == QRY_V_STR && v.v.s.n) {
            char *cp = strata_arena_strndup(&ax->sa, v.v.s.p, v.v.s.n);
            v = cp ? qry_val_s(cp, v.v.s.n) : qry_val_null();
        }
    }
    qry__fcur_close(&fc);
    return v;
}

/* Join two sequences on time as InfluxDB's binary expression iterator. */
static int join_bin(const qry_plan *p, qry_op op, const qry_seq *a, const qry_seq *b, qry_seq *out)
{
    size_t i = 0, j = 0;
    int asc = !p->desc;
    while (i < a->n || j < b->n) {
        const qry_pt *x = i < a->n ? &a->p[i] : NULL;
        const qry_pt *y = j < b->n ? &b->p[j] : NULL;
        if (x && y) {
            if (asc ? x->t > y->t : x->t < y->t)
                x = NULL;
            else if (asc ? x->t < y->t : x->t > y->t)
                y = NULL;
        }
        if (x) i++;
        if (y) j++;
        int xn = x == NULL || x->v.t == QRY_V_NULL, yn = y == NULL || y->v.t == QRY_V_NULL;
        if ((xn || yn) && p->fill == QRY_FILL_NONE) continue;
        qry_pt o = x ? *x : *y;
        qry_val xv = x ? x->v : qry_val_null(), yv = y ? y->v : qry_val_null();
        if (p->fill == QRY_FILL_NUMBER) {
            if (xv.t == QRY_V_NULL) xv = p->fillv;
            if (yv.t == QRY_V_NULL) yv = p->fillv;
        }
        o.v = qry__binop(op, xv, yv);
        if (qry__seq_push(out, &o) != STRATA_OK) return STRATA_ENOMEM;
    }
    return STRATA_OK;
}

static int col_seq(aggctx *ax, const qry_node *n, const qry_seq *selector, qry_seq *out);

static int map_seq(aggctx *ax, const qry_node *n, const qry_seq *sel, qry_seq *out)
{
    /* binary with a literal side, or a math function of one non-literal argument */
    int lit_l = n->nargs > 0 && n->args[0]->kind == QN_LIT;
    int lit_r = n->nargs > 1 && n->args[1]->kind == QN_LIT;
    if (n->kind == QN_BIN && !lit_l && !lit_r) {
        qry_seq a = {0}, b = {0};
        int rc = col_seq(ax, n->args[0], sel, &a);
        if (rc == STRATA_OK) rc = col_seq(ax, n->args[1], sel, &b);
        if (rc == STRATA_OK && join_bin(ax->p, n->op, &a, &b, out) != STRATA_OK)
            rc = qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
        qry__seq_fini(&a);
        qry__seq_fini(&b);
        return rc;
    }
    if (n->kind == QN_MATH && n->nargs == 2 && !lit_l && !lit_r) {
        qry_seq a = {0}, b = {0};
        int rc = col_seq(ax, n->args[0], sel, &a);
        if (rc == STRATA_OK) rc = col_seq(ax, n->args[1], sel, &b);
        size_t i = 0, j = 0;
        while (rc == STRATA_OK && (i < a.n || j < b.n)) {
            const qry_pt *x = i < a.n ? &a.p[i] : NULL, *y = j < b.n ? &b.p[j] : NULL;
            if (x && y) {
                if (x->t > y->t)
                    x = NULL;
                else if (x->t < y->t)
                    y = NULL;
            }
            if (x) i++;
            if (y) j++;
            qry_val args[2] = {x ? x->v : qry_val_null(), y ? y->v : qry_val_null()};
            qry_pt o = x ? *x : *y;
            o.v = qry__math(n->fn, args, 2);
            if (qry__seq_push(out, &o) != STRATA_OK)
                rc = qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
        }
        qry__seq_fini(&a);
        qry__seq_fini(&b);
        return rc;
    }
    const qry_node *inner = lit_l && n->nargs > 1 ? n->args[1] : n->args[0];
    qry_seq a = {0};
    int rc = col_seq(ax, inner, sel, &a);
    for (size_t i = 0; rc == STRATA_OK && i < a.n; i++) {
        qry_pt o = a.p[i];
        if (o.v.t != QRY_V_NULL) {
            if (n->kind == QN_BIN)
                o.v = lit_l ? qry__binop(n->op, n->args[0]->lit, o.v)
                            : qry__binop(n->op, o.v, n->args[1]->lit);
            else {
                qry_val args[2] = {o.v, n->nargs > 1 ? n->args[1]->lit : qry_val_null()};
                if (lit_l && n->nargs > 1) {
                    args[0] = n->args[0]->lit;
                    args[1] = o.v;
                }
                o.v = qry__math(n->fn, args, n->nargs);
            }
        }
        if (qry__seq_push(out, &o) != STRATA_OK)
            rc = qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
    }
    qry__seq_fini(&a);
    return rc;
}

static int col_seq(aggctx *ax, const qry_node *n, const qry_seq *sel, qry_seq *out)
{
    switch (n->kind) {
    case QN_AGG: {
        const qry_seq *s = &ax->an[n->agg].out;
        for (size_t i = 0; i < s->n; i++)
            if (qry__seq_push(out, &s->p[i]) != STRATA_OK)
                return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
        return STRATA_OK;
    }
    case QN_XFORM: {
        qry_seq in = {0};
        int rc;
        if (n->args[0]->kind == QN_FIELD) {
            rc = merged_stream(ax, n->args[0]->field, ax->p->tmin, ax->p->tmax, &in);
            if (rc == STRATA_OK && ax->p->desc) seq_reverse(&in);
        } else {
            rc = col_seq(ax, n->args[0], sel, &in);
        }
        if (rc == STRATA_OK && qry__xform(ax->p, n, &in, out) != STRATA_OK)
            rc = qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
        qry__seq_fini(&in);
        return rc;
    }
    case QN_FIELD: {
        /* next to a selector: the value at the selected point */
        if (sel == NULL) return STRATA_OK;
        for (size_t i = 0; i < sel->n; i++) {
            qry_pt o = sel->p[i];
            o.v = aux_lookup(ax, n, o.sidx, o.pt);
            if (qry__seq_push(out, &o) != STRATA_OK)
                return qry__fail(ax->c, STRATA_ENOMEM, "out of memory");
        }
        return STRATA_OK;
    }
    case QN_BIN:
    case QN_MATH:
        return map_seq(ax, n, sel, out);
    case QN_LIT:
    default:
        return STRATA_OK;
    }
}

/* ---- joining the columns and writing -----------------------------------------------------------
 */

static int write_rows(qry_ctx *c, const qry_plan *p, const qry_group *g, qry_seq *cols)
{
    size_t nc = p->ncols;
    size_t *pos = calloc(nc ? nc : 1, sizeof *pos);
    qry_val *row = malloc((nc + 1) * sizeof *row);
    const char **names = malloc((nc + 1) * sizeof *names);
    size_t *lens = malloc((nc + 1) * sizeof *lens);
    int rc = STRATA_OK, begun = 0;
    int64_t skipped = 0, written = 0;
    if (!pos || !row || !names || !lens) {
        rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    names[0] = p->time_name.ptr;
    lens[0] = p->time_name.len;
    for (size_t i = 0; i < nc; i++) {
        names[i + 1] = p->colnames[i];
        lens[i + 1] = p->collens[i];
    }
    for (;;) {
        int found = 0;
        int64_t t = 0;
        for (size_t i = 0; i < nc; i++) {
            if (pos[i] >= cols[i].n) continue;
            int64_t ti = cols[i].p[pos[i]].t;
            if (!found || (p->desc ? ti > t : ti < t)) t = ti;
            found = 1;
        }
        if (!found) break;
        row[0] = qry_val_time(t);
        for (size_t i = 0; i < nc; i++) {
            if (pos[i] < cols[i].n && cols[i].p[pos[i]].t == t)
                row[i + 1] = cols[i].p[pos[i]++].v;
            else
                row[i + 1] = qry_val_null();
        }
        if (skipped < p->offset_rows) {
            skipped++;
            continue;
        }
        if (!begun) {
            rc = qry_writer_series_begin(c->w, g->m->name, g->m->len, g->tags, g->ntags, names,
                                         lens, nc + 1);
            if (rc != STRATA_OK) {
                rc = qry__fail(c, rc, "out of memory writing the answer");
                goto done;
            }
            begun = 1;
        }
        if ((rc = qry_writer_row(c->w, row)) != STRATA_OK) {
            rc = qry__fail(c, rc, "out of memory writing the answer");
            goto done;
        }
        written++;
        if (p->limit > 0 && written >= p->limit) break;
    }
done:
    if (begun) qry_writer_series_end(c->w);
    free(pos);
    free(row);
    free(names);
    free(lens);
    return rc;
}

int qry__agg_compute(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_group *g,
                     qry_aggres *out)
{
    aggctx ax;
    memset(&ax, 0, sizeof ax);
    memset(out, 0, sizeof *out);
    ax.c = c;
    ax.p = p;
    ax.mc = mc;
    ax.g = g;
    ax.need_point = p->selector || p->has_aux;
    strata_arena_init(&ax.sa, 0);
    qry_seq *cols = NULL;
    int rc = STRATA_OK;
    ax.an = calloc(p->naggs ? p->naggs : 1, sizeof *ax.an);
    ax.ext = calloc(p->naggs ? p->naggs : 1, sizeof *ax.ext);
    cols = calloc(p->ncols ? p->ncols : 1, sizeof *cols);
    if (!ax.an || !ax.ext || !cols) {
        rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < p->naggs; i++)
        ax.an[i].n = p->aggs[i];
    for (size_t i = 0; i < p->ncols; i++)
        mark_ext(p, p->cols[i], 0, ax.ext);
    if ((rc = build_combos(&ax)) != STRATA_OK) goto done;
    if ((rc = run_aggs(&ax)) != STRATA_OK) goto done;
    /* the selector's sequence, for fields next to it */
    const qry_seq *sel = NULL;
    if (p->naggs == 1) sel = &ax.an[0].out;
    for (size_t i = 0; i < p->ncols && rc == STRATA_OK; i++)
        rc = col_seq(&ax, p->cols[i], sel, &cols[i]);
done:
    if (ax.an)
        for (size_t i = 0; i < p->naggs; i++)
            qry__seq_fini(&ax.an[i].out);
    free(ax.an);
    free(ax.ext);
    out->cols = cols;
    out->ncols = cols ? p->ncols : 0;
    out->sa = ax.sa; /* strings of the sequences live here */
    out->rc = rc;
    if (rc != STRATA_OK && c->err) out->err = *c->err;
    return rc;
}

void qry__aggres_fini(qry_aggres *r)
{
    if (r == NULL) return;
    if (r->cols)
        for (size_t i = 0; i < r->ncols; i++)
            qry__seq_fini(&r->cols[i]);
    free(r->cols);
    strata_arena_fini(&r->sa);
    memset(r, 0, sizeof *r);
}

int qry__agg_write(qry_ctx *c, const qry_plan *p, const qry_group *g, qry_aggres *res)
{
    if (res->rc != STRATA_OK) {
        if (c->err && res->err.msg[0]) *c->err = res->err;
        return res->rc;
    }
    return write_rows(c, p, g, res->cols);
}

int qry__agg_group(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_group *g)
{
    qry_aggres res;
    int rc = qry__agg_compute(c, p, mc, g, &res);
    if (rc == STRATA_OK) rc = qry__agg_write(c, p, g, &res);
    qry__aggres_fini(&res);
    return rc;
}
