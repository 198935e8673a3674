/*
 * query/exec_cursor.c: reading storage for the executor.
 *
 * qry_fcur walks one column (field of a series) with the engine's iterator,
 * block by block, over the query's time range only. qry_srow joins the
 * columns of one series into rows the way InfluxDB's storage iterators do
 * for raw queries: a row exists at every time one of the selected ("driver")
 * fields has a value; other fields (those only in WHERE) are read at those
 * times; the series' residual condition filters rows.
 *
 * qry_gmerge merges several such streams in time order. Equal times from
 * different series come out in the order InfluxDB 1.6 produces: its sorted
 * merge iterator keeps the series iterators (in series key order) in a Go
 * container/heap whose comparison looks at time only, per shard; the heap
 * operations are reproduced exactly, including the restart at each 7-day
 * shard group boundary.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"

/* ---- one column ----------------------------------------------------------------- */

qry_val qry__slot_val(stg_type t, uint64_t v, const uint8_t *strbuf)
{
    switch (t) {
    case STG_FLOAT:
        return qry_val_f(stg_val_to_f64(v));
    case STG_INT:
        return qry_val_i((int64_t)v);
    case STG_UINT:
        return qry_val_u(v);
    case STG_BOOL:
        return qry_val_b(v != 0);
    case STG_STRING:
        return qry_val_s((const char *)strbuf + stg_val_str_off(v), stg_val_str_len(v));
    default:
        return qry_val_null();
    }
}

int qry__fcur_open(qry_ctx *c, qry_fcur *fc, uint32_t db, uint64_t series, uint32_t fid,
                   stg_type type, int64_t tmin, int64_t tmax, size_t max_pts)
{
    memset(fc, 0, sizeof *fc);
    fc->type = type;
    fc->db = db;
    fc->series = series;
    fc->fid = fid;
    fc->next_t = tmin;
    fc->tmax = tmax;
    fc->detached = max_pts > 0;
    fc->max_pts = max_pts;
    if (tmin > tmax) {
        fc->done = 1;
        return STRATA_OK;
    }
    if (fc->detached) return STRATA_OK;
    int64_t hi = tmax == INT64_MAX ? INT64_MAX : tmax + 1;
    int rc = stg_iter_open(c->e, db, series, fid, tmin, hi, &fc->it, c->err);
    if (rc != STRATA_OK) {
        fc->done = 1;
        return rc;
    }
    return STRATA_OK;
}

/* Detached: reopen after the last point, copy up to max_pts points, close. */
static int fill_detached(qry_ctx *c, qry_fcur *fc)
{
    int64_t hi = fc->tmax == INT64_MAX ? INT64_MAX : fc->tmax + 1;
    if (fc->next_t >= hi) {
        fc->done = 1;
        return STRATA_OK;
    }
    stg_iter *it;
    int rc = stg_iter_open(c->e, fc->db, fc->series, fc->fid, fc->next_t, hi, &it, c->err);
    if (rc != STRATA_OK) return rc;
    stg_block b;
    for (;;) {
        rc = stg_iter_next(it, 0, &b, c->err);
        if (rc <= 0) break;
        if (b.n > 0) break;
    }
    if (rc < 0) {
        stg_iter_close(it);
        return rc;
    }
    if (rc == 0) {
        stg_iter_close(it);
        fc->done = 1;
        return STRATA_OK;
    }
    size_t n = b.n < fc->max_pts ? b.n : fc->max_pts;
    if (n > fc->dcap) {
        int64_t *nt = realloc(fc->dts, n * sizeof *nt);
        uint64_t *nv = nt ? realloc(fc->dvals, n * sizeof *nv) : NULL;
        if (nt) fc->dts = nt;
        if (nv) fc->dvals = nv;
        if (nt == NULL || nv == NULL) {
            stg_iter_close(it);
            return qry__fail(c, STRATA_ENOMEM, "out of memory reading a column");
        }
        fc->dcap = n;
    }
    memcpy(fc->dts, b.ts, n * sizeof *fc->dts);
    memcpy(fc->dvals, b.vals, n * sizeof *fc->dvals);
    if (fc->type == STG_STRING) {
        size_t end = 0;
        for (size_t i = 0; i < n; i++) {
            size_t e = (size_t)stg_val_str_off(b.vals[i]) + stg_val_str_len(b.vals[i]);
            if (e > end) end = e;
        }
        if (end > fc->dstrcap) {
            uint8_t *ns = realloc(fc->dstr, end);
            if (ns == NULL) {
                stg_iter_close(it);
                return qry__fail(c, STRATA_ENOMEM, "out of memory reading a column");
            }
            fc->dstr = ns;
            fc->dstrcap = end;
        }
        if (end) memcpy(fc->dstr, b.strbuf, end);
    }
    stg_iter_close(it);
    fc->ts = fc->dts;
    fc->vals = fc->dvals;
    fc->strbuf = fc->dstr;
    fc->n = (uint32_t)n;
    fc->pos = 0;
    fc->valid = 1;
    fc->next_t = fc->dts[n - 1] + 1;
    c->points += n;
    return qry__check_budget(c);
}

int qry__fcur_fill(qry_ctx *c, qry_fcur *fc)
{
    if (fc->valid && fc->pos < fc->n) return STRATA_OK;
    fc->valid = 0;
    if (fc->detached) {
        if (fc->done) return STRATA_OK;
        return fill_detached(c, fc);
    }
    while (!fc->done) {
        int rc = stg_iter_next(fc->it, 0, &fc->b, c->err);
        if (rc < 0) return rc;
        if (rc == 0) {
            fc->done = 1;
            break;
        }
        if (fc->b.n == 0) continue;
        c->points += fc->b.n;
        if ((rc = qry__check_budget(c)) != STRATA_OK) return rc;
        fc->ts = fc->b.ts;
        fc->vals = fc->b.vals;
        fc->strbuf = fc->b.strbuf;
        fc->n = fc->b.n;
        fc->pos = 0;
        fc->valid = 1;
        return STRATA_OK;
    }
    return STRATA_OK;
}

void qry__fcur_close(qry_fcur *fc)
{
    if (fc->it) stg_iter_close(fc->it);
    fc->it = NULL;
    free(fc->dts);
    free(fc->dvals);
    free(fc->dstr);
    fc->dts = NULL;
    fc->dvals = NULL;
    fc->dstr = NULL;
    fc->dcap = fc->dstrcap = 0;
}

/* ---- rows of a series -------------------------------------------------------------- */

/*
 * Gate comparisons on raw slots, exactly as qry__binop() compares the
 * values: int with int and uint with uint as integers, any other numeric
 * pair as doubles (NaN: only != holds); anything else through qry__binop().
 */
enum { GATE_GENERIC = 0, GATE_INT, GATE_UINT, GATE_DOUBLE };

static inline int cmp_holds(qry_op op, int c)
{
    switch (op) {
    case QRY_OP_EQ:
        return c == 0;
    case QRY_OP_NEQ:
        return c != 0;
    case QRY_OP_LT:
        return c < 0;
    case QRY_OP_LTE:
        return c <= 0;
    case QRY_OP_GT:
        return c > 0;
    case QRY_OP_GTE:
        return c >= 0;
    default:
        return 0;
    }
}

static void gate_setup(qry_srow *r, stg_type t)
{
    const qry_val *l = &r->gate.lit;
    int lnum = l->t == QRY_V_INT || l->t == QRY_V_UINT || l->t == QRY_V_FLOAT;
    int fnum = t == STG_INT || t == STG_UINT || t == STG_FLOAT;
    r->gate_type = t;
    r->gate_mode = GATE_GENERIC;
    if (!lnum || !fnum) return;
    if (t == STG_INT && l->t == QRY_V_INT) {
        r->gate_mode = GATE_INT;
        r->gate_i = l->v.i;
    } else if (t == STG_UINT && l->t == QRY_V_UINT) {
        r->gate_mode = GATE_UINT;
        r->gate_u = l->v.u;
    } else {
        r->gate_mode = GATE_DOUBLE;
        r->gate_d = l->t == QRY_V_FLOAT ? l->v.f
                    : l->t == QRY_V_INT ? (double)l->v.i
                                        : (double)l->v.u;
    }
}

int qry__srow_open(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_series *s,
                   const uint8_t *drivers, int64_t tmin, int64_t tmax, size_t max_pts, qry_srow *r)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->nf = p->nfnames;
    size_t nf = r->nf ? r->nf : 1;
    r->cur = qry__alloc(c, nf * sizeof *r->cur);
    r->driver = qry__alloc(c, nf);
    r->open = qry__alloc(c, nf);
    r->vals = qry__alloc(c, nf * sizeof *r->vals);
    if (!r->cur || !r->driver || !r->open || !r->vals) return STRATA_ENOMEM;
    memset(r->cur, 0, nf * sizeof *r->cur);
    memset(r->open, 0, nf);
    int any = 0;
    for (size_t i = 0; i < r->nf; i++) {
        r->vals[i] = qry_val_null();
        r->driver[i] = (drivers ? drivers[i] : p->fdriver[i]) && mc->refs[i].kind == 1;
        if (mc->refs[i].kind != 1) continue;
        if (!r->driver[i] && s->filter == NULL)
            continue; /* only needed by a condition this series does not have */
        int rc = qry__fcur_open(c, &r->cur[i], p->db, s->id, mc->refs[i].fid, mc->refs[i].type,
                                tmin, tmax, max_pts);
        if (rc != STRATA_OK) return rc;
        r->open[i] = 1;
        if (r->driver[i]) any = 1;
    }
    if (!any) r->done = 1;
    if (s->filter && qry__cond_gate(p, mc->refs, s->filter, &r->gate) && r->open[r->gate.slot]) {
        r->has_gate = 1;
        gate_setup(r, mc->refs[r->gate.slot].type);
    }
    return STRATA_OK;
}

/* Does the gate's comparison hold for this slot of its field? (As qry__binop computes it.) */
static inline int gate_pass(const qry_srow *r, const qry_fcur *fc)
{
    const qry_cond_gate *g = &r->gate;
    uint64_t v = fc->vals[fc->pos];
    int c;
    switch (r->gate_mode) {
    case GATE_INT: {
        int64_t x = (int64_t)v, y = r->gate_i;
        if (g->lit_left)
            c = y < x ? -1 : y > x;
        else
            c = x < y ? -1 : x > y;
        return cmp_holds(g->op, c);
    }
    case GATE_UINT: {
        uint64_t x = v, y = r->gate_u;
        if (g->lit_left)
            c = y < x ? -1 : y > x;
        else
            c = x < y ? -1 : x > y;
        return cmp_holds(g->op, c);
    }
    case GATE_DOUBLE: {
        double x = r->gate_type == STG_FLOAT ? stg_val_to_f64(v)
                   : r->gate_type == STG_INT ? (double)(int64_t)v
                                             : (double)v;
        double y = r->gate_d;
        if (isnan(x) || isnan(y)) return g->op == QRY_OP_NEQ;
        if (g->lit_left)
            c = y < x ? -1 : y > x;
        else
            c = x < y ? -1 : x > y;
        return cmp_holds(g->op, c);
    }
    default: {
        qry_val fv = qry__fcur_val(fc);
        qry_val b = g->lit_left ? qry__binop(g->op, g->lit, fv) : qry__binop(g->op, fv, g->lit);
        return b.t == QRY_V_BOOL && b.v.b;
    }
    }
}

/*
 * Move the gate's cursor to its next point that passes the gate, and every
 * driver cursor to that time: no row before it can pass the filter.
 * Sets r->done when the gate field has no passing point left.
 */
static int gate_skip(qry_ctx *c, qry_srow *r)
{
    qry_fcur *gc = &r->cur[r->gate.slot];
    for (;;) {
        int rc = qry__fcur_fill(c, gc);
        if (rc != STRATA_OK) return rc;
        if (!gc->valid) {
            r->done = 1;
            return STRATA_OK;
        }
        while (gc->pos < gc->n && !gate_pass(r, gc))
            gc->pos++;
        if (gc->pos < gc->n) break;
    }
    int64_t tg = qry__fcur_time(gc);
    for (size_t i = 0; i < r->nf; i++) {
        if (!r->driver[i] || (int)i == r->gate.slot) continue;
        qry_fcur *fc = &r->cur[i];
        for (;;) {
            int rc = qry__fcur_fill(c, fc);
            if (rc != STRATA_OK) return rc;
            if (!fc->valid) break;
            if (fc->ts[fc->n - 1] < tg) {
                fc->pos = fc->n; /* the whole block is before tg */
                continue;
            }
            /* columns of a series mostly share their times: probe a few, then search */
            uint32_t lo = fc->pos, hi = fc->n;
            while (lo < hi && lo < fc->pos + 4 && fc->ts[lo] < tg)
                lo++;
            if (lo < hi && fc->ts[lo] < tg) {
                while (lo < hi) {
                    uint32_t mid = (lo + hi) / 2;
                    if (fc->ts[mid] < tg)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
            }
            fc->pos = lo;
            break;
        }
    }
    return STRATA_OK;
}

int qry__srow_next(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, qry_srow *r)
{
    r->has = 0;
    while (!r->done) {
        if (r->has_gate) {
            int rc = gate_skip(c, r);
            if (rc != STRATA_OK) return rc;
            if (r->done) return STRATA_OK;
        }
        int64_t t = INT64_MAX;
        int found = 0;
        for (size_t i = 0; i < r->nf; i++) {
            if (!r->driver[i]) continue;
            int rc = qry__fcur_fill(c, &r->cur[i]);
            if (rc != STRATA_OK) return rc;
            if (r->cur[i].valid) {
                int64_t ti = qry__fcur_time(&r->cur[i]);
                if (!found || ti < t) t = ti;
                found = 1;
            }
        }
        if (!found) {
            r->done = 1;
            return STRATA_OK;
        }
        for (size_t i = 0; i < r->nf; i++) {
            r->vals[i] = qry_val_null();
            if (!r->open[i]) continue;
            qry_fcur *fc = &r->cur[i];
            if (r->driver[i]) {
                if (fc->valid && qry__fcur_time(fc) == t) {
                    r->vals[i] = qry__fcur_val(fc);
                    fc->pos++;
                }
                continue;
            }
            /* a condition field: skip to t */
            for (;;) {
                int rc = qry__fcur_fill(c, fc);
                if (rc != STRATA_OK) return rc;
                if (!fc->valid || qry__fcur_time(fc) > t) break;
                if (qry__fcur_time(fc) == t) {
                    r->vals[i] = qry__fcur_val(fc);
                    fc->pos++;
                    break;
                }
                /* skip points before t within the block quickly */
                uint32_t lo = fc->pos, hi = fc->n;
                while (lo < hi) {
                    uint32_t mid = (lo + hi) / 2;
                    if (fc->ts[mid] < t)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                fc->pos = lo;
            }
        }
        r->t = t;
        if (r->s->filter && !qry__cond_eval_row(p, mc->refs, r->s->filter, r->vals, r->s, c->rm))
            continue;
        r->has = 1;
        return STRATA_OK;
    }
    return STRATA_OK;
}

void qry__srow_close(qry_srow *r)
{
    if (r->cur == NULL) return;
    for (size_t i = 0; i < r->nf; i++)
        if (r->open[i]) qry__fcur_close(&r->cur[i]);
    r->nf = 0;
}

/* ---- the Go-heap merge ----------------------------------------------------------------- */

#define SHARD_NS (7LL * 86400 * 1000000000LL)

int64_t qry__shard_start(int64_t t)
{
    /* Go truncates relative to January 1, year 1 (a Monday). */
    __int128 z = (__int128)62135596800LL * 1000000000LL;
    __int128 x = (__int128)t + z;
    __int128 r = x % SHARD_NS;
    if (r < 0) r += SHARD_NS;
    /* Near the bottom of the int64 range the week starts before INT64_MIN. */
    __int128 start = (__int128)t - r;
    return start < INT64_MIN ? INT64_MIN : (int64_t)start;
}

static int g_less(const qry_gmerge *g, size_t a, size_t b)
{
    int64_t ta = g->heap[a].t, tb = g->heap[b].t;
    if (ta != tb || g->tie == NULL) return g->desc ? ta > tb : ta < tb;
    int c = g->tie(g->ctx, g->heap[a].i, g->heap[b].i);
    return g->desc ? c > 0 : c < 0;
}

static void g_swap(qry_gmerge *g, size_t a, size_t b)
{
    qry_gmerge_ent t = g->heap[a];
    g->heap[a] = g->heap[b];
    g->heap[b] = t;
}

static void g_up(qry_gmerge *g, size_t j)
{
    while (j > 0) {
        size_t i = (j - 1) / 2;
        if (!g_less(g, j, i)) break;
        g_swap(g, i, j);
        j = i;
    }
}

static void g_down(qry_gmerge *g, size_t i0, size_t n)
{
    size_t i = i0;
    for (;;) {
        size_t j1 = 2 * i + 1;
        if (j1 >= n) break;
        size_t j = j1;
        if (j1 + 1 < n && g_less(g, j1 + 1, j1)) j = j1 + 1;
        if (!g_less(g, j, i)) break;
        g_swap(g, i, j);
        i = j;
    }
}

static int in_window(const qry_gmerge *g, int64_t t)
{
    return t >= g->win_lo && t < g->win_hi;
}

int qry__gmerge_init(qry_ctx *c, qry_gmerge *g, size_t n, int desc, void *ctx,
                     int (*advance)(void *, size_t), int64_t (*time)(void *, size_t))
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->desc = desc;
    g->ctx = ctx;
    g->advance = advance;
    g->time = time;
    g->pending = -1;
    g->heap = malloc((n ? n : 1) * sizeof *g->heap);
    g->has = malloc(n ? n : 1);
    if (g->heap == NULL || g->has == NULL) return qry__fail(c, STRATA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = advance(ctx, i);
        if (rc < 0) return rc;
        g->has[i] = rc > 0;
    }
    return STRATA_OK;
}

void qry__gmerge_fini(qry_gmerge *g)
{
    free(g->heap);
    free(g->has);
    g->heap = NULL;
    g->has = NULL;
}

int qry__gmerge_next(qry_ctx *c, qry_gmerge *g, long *which)
{
    (void)c;
    *which = -1;
    if (g->pending >= 0) {
        size_t i = (size_t)g->pending;
        g->pending = -1;
        int rc = g->advance(g->ctx, i);
        if (rc < 0) return rc;
        g->has[i] = rc > 0;
        if (g->has[i]) {
            int64_t t = g->time(g->ctx, i);
            if (in_window(g, t)) {
                g->heap[g->hn].t = t;
                g->heap[g->hn++].i = i;
                g_up(g, g->hn - 1);
            }
        }
    }
    if (g->hn == 0) {
        /* a new shard window: the one holding the next time of all streams */
        int found = 0;
        int64_t best = 0;
        for (size_t i = 0; i < g->n; i++) {
            if (!g->has[i]) continue;
            int64_t t = g->time(g->ctx, i);
            if (!found || (g->desc ? t > best : t < best)) best = t;
            found = 1;
        }
        if (!found) return STRATA_OK;
        g->win_lo = qry__shard_start(best);
        g->win_hi = g->win_lo > INT64_MAX - SHARD_NS ? INT64_MAX : g->win_lo + SHARD_NS;
        for (size_t i = 0; i < g->n; i++) {
            if (!g->has[i]) continue;
            int64_t t = g->time(g->ctx, i);
            if (!in_window(g, t)) continue;
            g->heap[g->hn].t = t;
            g->heap[g->hn++].i = i;
        }
        for (size_t i = g->hn / 2; i-- > 0;)
            g_down(g, i, g->hn);
    }
    /* heap.Pop */
    size_t last = g->hn - 1;
    g_swap(g, 0, last);
    g_down(g, 0, last);
    size_t it = g->heap[last].i;
    g->hn--;
    g->pending = (long)it;
    *which = (long)it;
    return STRATA_OK;
}
