/*
 * query/func_agg.c: the window reducers of InfluxQL's aggregate and selector
 * functions, with InfluxDB 1.6's results and tie rules:
 *   count            integer
 *   sum              the field's type (integer sums wrap)
 *   mean             float
 *   min, max         smallest/largest value; equal values: the earliest point
 *   first, last      earliest/latest point; equal times: the larger value
 *   spread           max - min, the field's type
 *   stddev           sample standard deviation; one point gives null
 *   median           float; the middle, or the mean of the two middle values
 *   mode             most frequent value, ties to the smaller, computed as
 *                    InfluxDB's sorted run scan (whose first element of each
 *                    run is not counted until the second)
 *   percentile       the value at index floor(n*p/100 + 0.5) - 1 by value
 *   distinct         the distinct values, ascending
 *   top, bottom      the N largest/smallest points (equal values: earlier
 *                    first), one per tag combination when tags are given
 *   sample           up to N points (a deterministic reservoir beyond N)
 * Points arrive series by series, not merged in time order, so every rule
 * here is independent of arrival order (as InfluxDB's are, since it also
 * reduces per shard and series before combining).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"

int qry__seq_push(qry_seq *s, const qry_pt *p)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        qry_pt *np = realloc(s->p, nc * sizeof *np);
        if (np == NULL) return STRATA_ENOMEM;
        s->p = np;
        s->cap = nc;
    }
    s->p[s->n++] = *p;
    return STRATA_OK;
}

void qry__seq_fini(qry_seq *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

void qry__red_fini(qry_red *r)
{
    free(r->sbuf);
    free(r->pts);
    memset(r, 0, sizeof *r);
}

int qry__fn_keeps_point_time(qry_fn fn)
{
    return fn == QF_TOP || fn == QF_BOTTOM || fn == QF_SAMPLE;
}

/* Compare two values of the same type: <0, 0, >0. */
static int vcmp(qry_val a, qry_val b)
{
    switch (a.t) {
    case QRY_V_FLOAT:
        return a.v.f < b.v.f ? -1 : a.v.f > b.v.f;
    case QRY_V_INT:
        return a.v.i < b.v.i ? -1 : a.v.i > b.v.i;
    case QRY_V_UINT:
        return a.v.u < b.v.u ? -1 : a.v.u > b.v.u;
    case QRY_V_BOOL:
        return a.v.b - b.v.b;
    case QRY_V_STR: {
        size_t n = a.v.s.n < b.v.s.n ? a.v.s.n : b.v.s.n;
        int c = memcmp(a.v.s.p, b.v.s.p, n);
        if (c) return c;
        return a.v.s.n < b.v.s.n ? -1 : a.v.s.n > b.v.s.n;
    }
    default:
        return 0;
    }
}

static double vnum(qry_val v)
{
    switch (v.t) {
    case QRY_V_FLOAT:
        return v.v.f;
    case QRY_V_INT:
        return (double)v.v.i;
    case QRY_V_UINT:
        return (double)v.v.u;
    case QRY_V_BOOL:
        return v.v.b;
    default:
        return 0;
    }
}

static int keep_sel(qry_red *r, int64_t t, qry_val v, int32_t sidx)
{
    if (v.t == QRY_V_STR) {
        if (v.v.s.n > r->scap) {
            char *nb = realloc(r->sbuf, v.v.s.n);
            if (nb == NULL) return STRATA_ENOMEM;
            r->sbuf = nb;
            r->scap = v.v.s.n;
        }
        if (v.v.s.n) memcpy(r->sbuf, v.v.s.p, v.v.s.n);
        v.v.s.p = r->sbuf;
    }
    r->has = 1;
    r->t = t;
    r->v = v;
    r->sidx = sidx;
    return STRATA_OK;
}

static int push_pt(qry_red *r, int64_t t, qry_val v, int32_t sidx, strata_arena *sa)
{
    if (r->np == r->cap) {
        uint32_t nc = r->cap ? r->cap * 2 : 8;
        qry_pt *np = realloc(r->pts, (size_t)nc * sizeof *np);
        if (np == NULL) return STRATA_ENOMEM;
        r->pts = np;
        r->cap = nc;
    }
    if (v.t == QRY_V_STR && v.v.s.n) {
        char *cp = strata_arena_strndup(sa, v.v.s.p, v.v.s.n);
        if (cp == NULL) return STRATA_ENOMEM;
        v.v.s.p = cp;
    }
    qry_pt *p = &r->pts[r->np++];
    p->t = t;
    p->v = v;
    p->pt = t;
    p->sidx = sidx;
    return STRATA_OK;
}

/* top: a better than b? (larger value; equal values: earlier time) */
static int tb_better(qry_fn fn, const qry_pt *a, const qry_pt *b)
{
    int c = vcmp(a->v, b->v);
    if (c != 0) return fn == QF_TOP ? c > 0 : c < 0;
    return a->pt < b->pt;
}

/* Keep the n best points in r->pts (unordered, n small). */
static int tb_add(const qry_node *n, qry_red *r, int64_t t, qry_val v, int32_t sidx,
                  strata_arena *sa)
{
    qry_pt cand = {t, v, t, sidx};
    if ((int64_t)r->np < n->n) return push_pt(r, t, v, sidx, sa);
    /* replace the worst if the candidate is better */
    uint32_t worst = 0;
    for (uint32_t i = 1; i < r->np; i++)
        if (tb_better(n->fn, &r->pts[worst], &r->pts[i])) worst = i;
    if (!tb_better(n->fn, &cand, &r->pts[worst])) return STRATA_OK;
    if (v.t == QRY_V_STR && v.v.s.n) {
        char *cp = strata_arena_strndup(sa, v.v.s.p, v.v.s.n);
        if (cp == NULL) return STRATA_ENOMEM;
        cand.v.v.s.p = cp;
    }
    r->pts[worst] = cand;
    return STRATA_OK;
}

/* A small deterministic generator for sample()'s reservoir. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int qry__first_last_better(qry_fn fn, int64_t t, qry_val v, int64_t pt, qry_val pv)
{
    if (t != pt) return fn == QF_FIRST ? t < pt : t > pt;
    if (v.t == QRY_V_BOOL) /* equal times: first() prefers false, last() true, as InfluxDB */
        return fn == QF_FIRST ? (!v.v.b && pv.v.b) : (v.v.b && !pv.v.b);
    return vcmp(v, pv) > 0;
}

int qry__red_add(const qry_node *n, qry_red *r, int64_t t, qry_val v, int32_t sidx,
                 strata_arena *sa)
{
    switch (n->fn) {
    case QF_COUNT:
        r->n++;
        return STRATA_OK;
    case QF_SUM:
        r->n++;
        if (v.t == QRY_V_FLOAT)
            r->fsum += v.v.f;
        else if (v.t == QRY_V_INT)
            r->isum = (int64_t)((uint64_t)r->isum + (uint64_t)v.v.i);
        else if (v.t == QRY_V_UINT)
            r->usum += v.v.u;
        return STRATA_OK;
    case QF_MEAN:
        r->n++;
        r->fsum += vnum(v);
        return STRATA_OK;
    case QF_STDDEV: {
        r->n++;
        double x = vnum(v);
        double d = x - r->wmean;
        r->wmean += d / (double)r->n;
        r->wm2 += d * (x - r->wmean);
        return STRATA_OK;
    }
    case QF_SPREAD:
        r->n++;
        if (!r->has_mm) {
            r->mn = r->mx = v;
            r->has_mm = 1;
        } else {
            if (vcmp(v, r->mn) < 0) r->mn = v;
            if (vcmp(v, r->mx) > 0) r->mx = v;
        }
        return STRATA_OK;
    case QF_MIN:
    case QF_MAX: {
        r->n++;
        if (!r->has) return keep_sel(r, t, v, sidx);
        int c = vcmp(v, r->v);
        if ((n->fn == QF_MIN ? c < 0 : c > 0) || (c == 0 && t < r->t))
            return keep_sel(r, t, v, sidx);
        return STRATA_OK;
    }
    case QF_FIRST:
    case QF_LAST: {
        r->n++;
        if (!r->has) return keep_sel(r, t, v, sidx);
        if (qry__first_last_better(n->fn, t, v, r->t, r->v)) return keep_sel(r, t, v, sidx);
        return STRATA_OK;
    }
    case QF_TOP:
    case QF_BOTTOM:
        r->n++;
        return tb_add(n, r, t, v, sidx, sa);
    case QF_SAMPLE: {
        r->n++;
        if ((int64_t)r->np < n->n) return push_pt(r, t, v, sidx, sa);
        uint64_t seed = r->n * 0x2545F4914F6CDD1Dull;
        uint64_t j = splitmix(&seed) % r->n;
        if (j < (uint64_t)n->n) {
            qry_pt p = {t, v, t, sidx};
            if (v.t == QRY_V_STR && v.v.s.n) {
                char *cp = strata_arena_strndup(sa, v.v.s.p, v.v.s.n);
                if (cp == NULL) return STRATA_ENOMEM;
                p.v.v.s.p = cp;
            }
            r->pts[j] = p;
        }
        return STRATA_OK;
    }
    default:
        r->n++;
        return push_pt(r, t, v, sidx, sa);
    }
}

int qry__red_stats_ok(const qry_node *n, int need_point)
{
    switch (n->fn) {
    case QF_COUNT:
    case QF_SUM:
    case QF_MEAN:
        return 1;
    case QF_MIN:
    case QF_MAX:
    case QF_SPREAD:
        return !need_point;
    default:
        return 0;
    }
}

static qry_val stat_val(stg_type t, uint64_t slot)
{
    switch (t) {
    case STG_FLOAT:
        return qry_val_f(stg_val_to_f64(slot));
    case STG_INT:
        return qry_val_i((int64_t)slot);
    case STG_UINT:
        return qry_val_u(slot);
    case STG_BOOL:
        return qry_val_b(slot != 0);
    default:
        return qry_val_null();
    }
}

void qry__red_add_stats(const qry_node *n, qry_red *r, const stg_chunk_info *in)
{
    switch (n->fn) {
    case QF_COUNT:
        r->n += in->count;
        break;
    case QF_SUM:
    case QF_MEAN:
        r->n += in->count;
        if (in->type == STG_FLOAT)
            r->fsum += stg_val_to_f64(in->sum);
        else if (in->type == STG_INT) {
            if (n->fn == QF_SUM)
                r->isum = (int64_t)((uint64_t)r->isum + in->sum);
            else
                r->fsum += (double)(int64_t)in->sum;
        } else if (in->type == STG_UINT) {
            if (n->fn == QF_SUM)
                r->usum += in->sum;
            else
                r->fsum += (double)in->sum;
        } else if (in->type == STG_BOOL)
            r->fsum += (double)in->sum;
        break;
    case QF_MIN:
    case QF_MAX: {
        r->n += in->count;
        qry_val v = stat_val(in->type, n->fn == QF_MIN ? in->min : in->max);
        if (!r->has) {
            keep_sel(r, in->t_first, v, -1);
        } else {
            int c = vcmp(v, r->v);
            if (n->fn == QF_MIN ? c < 0 : c > 0) keep_sel(r, in->t_first, v, -1);
        }
        break;
    }
    case QF_SPREAD: {
        r->n += in->count;
        qry_val mn = stat_val(in->type, in->min), mx = stat_val(in->type, in->max);
        if (!r->has_mm) {
            r->mn = mn;
            r->mx = mx;
            r->has_mm = 1;
        } else {
            if (vcmp(mn, r->mn) < 0) r->mn = mn;
            if (vcmp(mx, r->mx) > 0) r->mx = mx;
        }
        break;
    }
    default:
        break;
    }
}

/* ---- emitting ------------------------------------------------------------------------ */

static int cmp_by_value(const void *a, const void *b)
{
    const qry_pt *x = a, *y = b;
    return vcmp(x->v, y->v);
}

/* Rearrange a[0..n) so that a[k] holds the k-th smallest value (Hoare's selection). */
static void select_kth(qry_pt *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        qry_val pivot = a[lo + (hi - lo) / 2].v;
        size_t i = lo, j = hi;
        while (i <= j) {
            while (vcmp(a[i].v, pivot) < 0)
                i++;
            while (vcmp(a[j].v, pivot) > 0)
                j--;
            if (i <= j) {
                qry_pt t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

static int emit1(qry_seq *out, int64_t t, qry_val v, int64_t pt, int32_t sidx)
{
    qry_pt p = {t, v, pt, sidx};
    return qry__seq_push(out, &p);
}

static qry_val typed_zero(stg_type type)
{
    switch (type) {
    case STG_INT:
        return qry_val_i(0);
    case STG_UINT:
        return qry_val_u(0);
    default:
        return qry_val_f(0);
    }
}

static int cmp_time_then_pos(const void *a, const void *b)
{
    const qry_pt *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return 0;
}

static int cmp_tb(const void *a, const void *b, void *arg)
{
    const qry_node *tb_node = arg;
    const qry_pt *x = a, *y = b;
    if (x->pt != y->pt) return x->pt < y->pt ? -1 : 1;
    /* equal times: better first */
    if (tb_better(tb_node->fn, x, y)) return -1;
    if (tb_better(tb_node->fn, y, x)) return 1;
    return 0;
}

/* The first time each distinct value was seen, for InfluxDB's distinct() order. */
static int cmp_by_time_value(const void *a, const void *b)
{
    const qry_pt *x = a, *y = b;
    if (x->pt != y->pt) return x->pt < y->pt ? -1 : 1;
    return vcmp(x->v, y->v);
}

int qry__red_emit(const qry_node *n, qry_red *r, stg_type type, int64_t wstart, int keep_time,
                  strata_arena *sa, qry_seq *out)
{
    if (r->n == 0) return STRATA_OK;
    switch (n->fn) {
    case QF_COUNT:
        return emit1(out, wstart, qry_val_i((int64_t)r->n), wstart, -1);
    case QF_SUM:
        if (type == STG_INT) return emit1(out, wstart, qry_val_i(r->isum), wstart, -1);
        if (type == STG_UINT) return emit1(out, wstart, qry_val_u(r->usum), wstart, -1);
        return emit1(out, wstart, qry_val_f(r->fsum), wstart, -1);
    case QF_MEAN:
        return emit1(out, wstart, qry_val_f(r->fsum / (double)r->n), wstart, -1);
    case QF_STDDEV:
        if (r->n < 2) return emit1(out, wstart, qry_val_null(), wstart, -1);
        return emit1(out, wstart, qry_val_f(sqrt(r->wm2 / (double)(r->n - 1))), wstart, -1);
    case QF_SPREAD: {
        qry_val v;
        if (type == STG_INT)
            v = qry_val_i((int64_t)((uint64_t)r->mx.v.i - (uint64_t)r->mn.v.i));
        else if (type == STG_UINT)
            v = qry_val_u(r->mx.v.u - r->mn.v.u);
        else
            v = qry_val_f(vnum(r->mx) - vnum(r->mn));
        return emit1(out, wstart, v, wstart, -1);
    }
    case QF_MIN:
    case QF_MAX:
    case QF_FIRST:
    case QF_LAST: {
        qry_val v = r->v;
        if (v.t == QRY_V_STR && v.v.s.n) {
            char *cp = strata_arena_strndup(sa, v.v.s.p, v.v.s.n);
            if (cp == NULL) return STRATA_ENOMEM;
            v.v.s.p = cp;
        }
        return emit1(out, keep_time ? r->t : wstart, v, r->t, r->sidx);
    }
    case QF_MEDIAN: {
        if (r->np == 1) return emit1(out, wstart, qry_val_f(vnum(r->pts[0].v)), wstart, -1);
        uint32_t m = r->np / 2;
        select_kth(r->pts, r->np, m);
        double v;
        if (r->np % 2 == 0) {
            /* the largest of the lower half is the other middle value */
            uint32_t lo_i = 0;
            for (uint32_t i = 1; i < m; i++)
                if (vcmp(r->pts[i].v, r->pts[lo_i].v) > 0) lo_i = i;
            qry_val lo = r->pts[lo_i].v, hi = r->pts[m].v;
            if (lo.t == QRY_V_INT)
                v = (double)lo.v.i + (double)(hi.v.i - lo.v.i) / 2;
            else if (lo.t == QRY_V_UINT)
                v = (double)lo.v.u + (double)(hi.v.u - lo.v.u) / 2;
            else
                v = vnum(lo) + (vnum(hi) - vnum(lo)) / 2;
        } else {
            v = vnum(r->pts[m].v);
        }
        return emit1(out, wstart, qry_val_f(v), wstart, -1);
    }
    case QF_MODE: {
        if (r->np == 1) return emit1(out, wstart, r->pts[0].v, wstart, -1);
        qsort(r->pts, r->np, sizeof *r->pts, cmp_by_value);
        uint64_t most_freq = 0, curr_freq = 0;
        qry_val most = r->pts[0].v, curr = r->pts[0].v;
        for (uint32_t i = 0; i < r->np; i++) {
            qry_val v = r->pts[i].v;
            if (vcmp(curr, v) != 0) {
                curr_freq = 1;
                curr = v;
                continue;
            }
            curr_freq++;
            if (most_freq > curr_freq || (most_freq == curr_freq && vcmp(curr, most) > 0)) continue;
            most_freq = curr_freq;
            most = v;
        }
        return emit1(out, wstart, most, wstart, -1);
    }
    case QF_PERCENTILE: {
        long len = (long)r->np;
        long i = (long)floor((double)len * n->pct / 100.0 + 0.5) - 1;
        if (i < 0 || i >= len) return STRATA_OK;
        select_kth(r->pts, r->np, (size_t)i);
        return emit1(out, keep_time ? r->pts[i].pt : wstart, r->pts[i].v, r->pts[i].pt,
                     r->pts[i].sidx);
    }
    case QF_DISTINCT:
    case QF_COUNT_DISTINCT: {
        qsort(r->pts, r->np, sizeof *r->pts, cmp_by_value);
        /* keep each value once, with the earliest time it was seen */
        uint32_t nd = 0;
        for (uint32_t i = 0; i < r->np; i++) {
            if (nd > 0 && vcmp(r->pts[i].v, r->pts[nd - 1].v) == 0) {
                if (r->pts[i].pt < r->pts[nd - 1].pt) r->pts[nd - 1].pt = r->pts[i].pt;
                continue;
            }
            r->pts[nd++] = r->pts[i];
        }
        if (n->fn == QF_COUNT_DISTINCT)
            return emit1(out, wstart, qry_val_i((int64_t)nd), wstart, -1);
        /* InfluxDB emits distinct values ordered by when they first appeared */
        qsort(r->pts, nd, sizeof *r->pts, cmp_by_time_value);
        for (uint32_t i = 0; i < nd; i++) {
            int rc = emit1(out, wstart, r->pts[i].v, wstart, -1);
            if (rc != STRATA_OK) return rc;
        }
        return STRATA_OK;
    }
    case QF_TOP:
    case QF_BOTTOM: {
        qsort_r(r->pts, r->np, sizeof *r->pts, cmp_tb, (void *)n);
        for (uint32_t i = 0; i < r->np; i++) {
            qry_pt p = r->pts[i];
            p.t = keep_time ? p.pt : wstart;
            int rc = qry__seq_push(out, &p);
            if (rc != STRATA_OK) return rc;
        }
        return STRATA_OK;
    }
    case QF_SAMPLE: {
        for (uint32_t i = 0; i < r->np; i++)
            r->pts[i].t = r->pts[i].pt;
        qsort(r->pts, r->np, sizeof *r->pts, cmp_time_then_pos);
        for (uint32_t i = 0; i < r->np; i++) {
            qry_pt p = r->pts[i];
            p.t = keep_time ? p.pt : wstart;
            int rc = qry__seq_push(out, &p);
            if (rc != STRATA_OK) return rc;
        }
        return STRATA_OK;
    }
    default:
        (void)typed_zero;
        return STRATA_OK;
    }
}
