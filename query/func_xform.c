/*
 * query/func_xform.c: what InfluxDB does to aggregate sequences after the
 * windows are reduced: fill() of empty GROUP BY time() windows, the
 * transforms (derivative, non_negative_derivative, difference,
 * non_negative_difference, moving_average, cumulative_sum, elapsed) and
 * integral(), each reproducing InfluxDB 1.6's iterator of the same name:
 *
 *   - fill walks the windows from the start's window to the end's window,
 *     emitting an input point when it is due and a filled point otherwise,
 *     and steps one interval after every emitted point (so several points in
 *     one window push the next expected window further, as in InfluxDB);
 *     with tz() the step follows the zone's offset changes;
 *   - transforms skip null points; derivative and difference ignore a point
 *     with the same time as the previous one; elapsed, moving_average and
 *     cumulative_sum do not;
 *   - integral uses the trapezium rule over the merged stream and
 *     interpolates at window boundaries.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"

/* ---- fill ------------------------------------------------------------------------------ */

static qry_val fill_number(const qry_plan *p, const qry_node *agg, qry_vt coltype)
{
    qry_val fv = p->fillv;
    if (p->fill == QRY_FILL_NULL && agg && agg->fn == QF_COUNT) return qry_val_i(0);
    if (coltype == QRY_V_INT) {
        if (fv.t == QRY_V_FLOAT) return qry_val_i((int64_t)fv.v.f);
        return fv;
    }
    if (coltype == QRY_V_UINT) {
        if (fv.t == QRY_V_FLOAT) return qry_val_u((uint64_t)fv.v.f);
        if (fv.t == QRY_V_INT) return qry_val_u((uint64_t)fv.v.i);
        return fv;
    }
    if (coltype == QRY_V_FLOAT) {
        if (fv.t == QRY_V_INT) return qry_val_f((double)fv.v.i);
        return fv;
    }
    return fv;
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* Linear interpolation as InfluxDB's linearFloat / linearInteger (times in intervals). */
static qry_val linear(int64_t wt, const qry_pt *prev, const qry_pt *next, int64_t interval)
{
    int64_t x = wt / interval, x0 = prev->t / interval, x1 = next->t / interval;
    if (prev->v.t == QRY_V_INT && next->v.t == QRY_V_INT) {
        double m = (double)(next->v.v.i - prev->v.v.i) / (double)(x1 - x0);
        double dx = (double)(x - x0);
        return qry_val_i((int64_t)(m * dx + (double)prev->v.v.i));
    }
    double y0 = prev->v.t == QRY_V_INT ? (double)prev->v.v.i : prev->v.v.f;
    double y1 = next->v.t == QRY_V_INT ? (double)next->v.v.i : next->v.v.f;
    double m = (y1 - y0) / (double)(x1 - x0);
    double dx = (double)(x - x0);
    return qry_val_f(m * dx + y0);
}

int qry__fill(const qry_plan *p, const qry_node *agg, int64_t tmin, int64_t tmax, qry_seq *seq,
              stg_type type)
{
    (void)type;
    if (p->interval == 0 || p->fill == QRY_FILL_NONE || seq->n == 0) return STRATA_OK;
    int asc = !p->desc;
    int64_t d = p->interval;
    int64_t s_start, s_end, e_start, e_end;
    qry__window(p, tmin, &s_start, &s_end);
    qry__window(p, tmax, &e_start, &e_end);
    int64_t start_t = asc ? s_start : e_start;
    int64_t end_t = asc ? e_start : s_start;
    if (tmin == QRY_MIN_TIME && !asc) end_t = QRY_MIN_TIME;

    qry_vt coltype = QRY_V_NULL;
    for (size_t i = 0; i < seq->n && coltype == QRY_V_NULL; i++)
        coltype = seq->p[i].v.t;
    if (coltype == QRY_V_NULL && agg) coltype = agg->fn == QF_COUNT ? QRY_V_INT : QRY_V_FLOAT;

    qry_seq out = {0};
    size_t i = 0;
    int64_t wt = start_t;
    if (wt == QRY_MIN_TIME) {
        int64_t ws, we;
        qry__window(p, seq->p[0].t, &ws, &we);
        wt = ws;
    }
    int64_t woff = p->tz ? qry__tz_offset_ns(p->tz, wt) : 0;
    int have_prev = 0;
    qry_pt prev;
    memset(&prev, 0, sizeof prev);
    for (;;) {
        const qry_pt *pt = i < seq->n ? &seq->p[i] : NULL;
        if (pt == NULL) {
            if (asc ? wt > end_t : (wt < end_t || end_t == QRY_MIN_TIME)) break;
        }
        qry_pt o;
        if (pt == NULL || (asc ? pt->t > wt : pt->t < wt)) {
            memset(&o, 0, sizeof o);
            o.t = wt;
            o.pt = wt;
            o.sidx = -1;
            switch (p->fill) {
            case QRY_FILL_LINEAR:
                if (have_prev && pt != NULL)
                    o.v = linear(wt, &prev, pt, d);
                else
                    o.v = qry_val_null();
                break;
            case QRY_FILL_NUMBER:
                o.v = fill_number(p, agg, coltype);
                break;
            case QRY_FILL_PREVIOUS:
                o.v = have_prev ? prev.v : qry_val_null();
                break;
            default:
                o.v = (agg && agg->fn == QF_COUNT) ? qry_val_i(0) : qry_val_null();
                break;
            }
        } else {
            o = *pt;
            prev = *pt;
            have_prev = prev.v.t != QRY_V_NULL;
            if (!have_prev) have_prev = 0;
            i++;
        }
        if (qry__seq_push(&out, &o) != STRATA_OK) {
            qry__seq_fini(&out);
            return STRATA_ENOMEM;
        }
        wt = asc ? wt + d : wt - d;
        if (p->tz) {
            int64_t off = qry__tz_offset_ns(p->tz, wt - 1);
            if (off != woff) {
                int64_t diff = woff - off;
                if (abs64(diff) < d) wt += diff;
                woff = off;
            }
        }
        if (out.n > (size_t)1 << 31) break;
    }
    qry__seq_fini(seq);
    *seq = out;
    return STRATA_OK;
}

/* ---- transforms ---------------------------------------------------------------------------- */

static double num(qry_val v)
{
    switch (v.t) {
    case QRY_V_FLOAT:
        return v.v.f;
    case QRY_V_INT:
        return (double)v.v.i;
    case QRY_V_UINT:
        return (double)v.v.u;
    default:
        return 0;
    }
}

static int push(qry_seq *out, int64_t t, qry_val v)
{
    qry_pt p = {t, v, t, -1};
    return qry__seq_push(out, &p);
}

int qry__xform(const qry_plan *p, const qry_node *n, const qry_seq *in, qry_seq *out)
{
    int asc = !p->desc;
    int have_curr = 0, have_prev = 0;
    qry_pt curr, prev;
    memset(&curr, 0, sizeof curr);
    memset(&prev, 0, sizeof prev);
    /* moving average */
    double *buf = NULL;
    size_t blen = 0, bpos = 0;
    double msum = 0;
    /* cumulative sum */
    int csum_init = 0;
    qry_val csum = qry_val_null();
    int rc = STRATA_OK;
    if (n->fn == QF_MOVING_AVERAGE) {
        buf = calloc((size_t)n->n, sizeof *buf);
        if (buf == NULL) return STRATA_ENOMEM;
    }
    for (size_t i = 0; i < in->n && rc == STRATA_OK; i++) {
        const qry_pt *pt = &in->p[i];
        if (pt->v.t == QRY_V_NULL) continue;
        switch (n->fn) {
        case QF_DERIVATIVE:
        case QF_NN_DERIVATIVE: {
            if (have_curr && curr.t == pt->t) break;
            prev = curr;
            have_prev = have_curr;
            curr = *pt;
            have_curr = 1;
            if (!have_prev) break;
            double diff = num(curr.v) - num(prev.v);
            int64_t elapsed = curr.t - prev.t;
            if (!asc) elapsed = -elapsed;
            double interval = (double)(n->unit_ns    ? n->unit_ns
                                       : p->interval ? p->interval
                                                     : 1000000000);
            double value = diff / ((double)elapsed / interval);
            if (n->fn == QF_NN_DERIVATIVE && diff < 0) break;
            rc = push(out, curr.t, qry_val_f(value));
            break;
        }
        case QF_DIFFERENCE:
        case QF_NN_DIFFERENCE: {
            if (have_curr && curr.t == pt->t) break;
            prev = curr;
            have_prev = have_curr;
            curr = *pt;
            have_curr = 1;
            if (!have_prev) break;
            qry_val v;
            if (curr.v.t == QRY_V_INT && prev.v.t == QRY_V_INT)
                v = qry_val_i((int64_t)((uint64_t)curr.v.v.i - (uint64_t)prev.v.v.i));
            else if (curr.v.t == QRY_V_UINT && prev.v.t == QRY_V_UINT)
                v = qry_val_u(curr.v.v.u - prev.v.v.u);
            else
                v = qry_val_f(num(curr.v) - num(prev.v));
            if (n->fn == QF_NN_DIFFERENCE) {
                int neg = v.t == QRY_V_INT    ? v.v.i < 0
                          : v.t == QRY_V_UINT ? curr.v.v.u < prev.v.v.u
                                              : v.v.f < 0;
                if (neg) break;
            }
            rc = push(out, curr.t, v);
            break;
        }
        case QF_ELAPSED: {
            prev = curr;
            have_prev = have_curr;
            curr = *pt;
            have_curr = 1;
            if (!have_prev) break;
            int64_t unit = n->unit_ns ? n->unit_ns : 1;
            rc = push(out, curr.t, qry_val_i((curr.t - prev.t) / unit));
            break;
        }
        case QF_MOVING_AVERAGE: {
            double x = num(pt->v);
            if (blen < (size_t)n->n) {
                buf[blen++] = x;
            } else {
                msum -= buf[bpos];
                buf[bpos] = x;
            }
            msum += x;
            bpos++;
            if (bpos >= (size_t)n->n) bpos = 0;
            if (blen == (size_t)n->n) rc = push(out, pt->t, qry_val_f(msum / (double)blen));
            break;
        }
        case QF_CUMULATIVE_SUM: {
            if (!csum_init) {
                csum = pt->v;
                csum_init = 1;
            } else if (csum.t == QRY_V_INT && pt->v.t == QRY_V_INT) {
                csum = qry_val_i((int64_t)((uint64_t)csum.v.i + (uint64_t)pt->v.v.i));
            } else if (csum.t == QRY_V_UINT && pt->v.t == QRY_V_UINT) {
                csum = qry_val_u(csum.v.u + pt->v.v.u);
            } else {
                csum = qry_val_f(num(csum) + num(pt->v));
            }
            rc = push(out, pt->t, csum);
            break;
        }
        default:
            break;
        }
    }
    free(buf);
    return rc;
}

/* ---- integral ------------------------------------------------------------------------------ */

int qry__integral(const qry_plan *p, const qry_node *n, const qry_pt *pts, size_t np, qry_seq *out)
{
    int asc = !p->desc;
    int have_prev = 0;
    int64_t prev_t = 0;
    double prev_v = 0, sum = 0;
    int64_t wstart = 0, wend = 0;
    double unit = (double)(n->unit_ns ? n->unit_ns : 1000000000);
    int rc = STRATA_OK;
    for (size_t i = 0; i < np && rc == STRATA_OK; i++) {
        int64_t t = pts[i].t;
        double v = num(pts[i].v);
        if (pts[i].v.t == QRY_V_NULL) continue;
        if (!have_prev) {
            have_prev = 1;
            prev_t = t;
            prev_v = v;
            if (p->interval) {
                int64_t s, e;
                qry__window(p, t, &s, &e);
                if (asc) {
                    wstart = s;
                    wend = e;
                } else {
                    wend = s;
                    wstart = e;
                }
            }
            continue;
        }
        if (prev_t == t) {
            prev_v = v;
            continue;
        }
        if (p->interval && (asc ? t >= wend : t <= wend)) {
            if (prev_t != wend) {
                double m = (v - prev_v) / (double)(t - prev_t);
                double value = m * (double)(wend - prev_t) + prev_v;
                double el = (double)(wend - prev_t) / unit;
                sum += 0.5 * (value + prev_v) * el;
                prev_v = value;
                prev_t = wend;
            }
            rc = push(out, wstart, qry_val_f(sum));
            int64_t s, e;
            qry__window(p, t, &s, &e);
            if (asc) {
                wstart = s;
                wend = e;
            } else {
                wend = s;
                wstart = e;
            }
            sum = 0;
        }
        double el = (double)(t - prev_t) / unit;
        sum += 0.5 * (v + prev_v) * el;
        prev_t = t;
        prev_v = v;
    }
    if (rc == STRATA_OK && have_prev && prev_t != wstart) rc = push(out, wstart, qry_val_f(sum));
    return rc;
}
