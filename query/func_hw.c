/*
 * query/func_hw.c: holt_winters() and holt_winters_with_fit(), computed as
 * InfluxDB 1.6 does, down to the last bit where it matters:
 *
 *   - the aggregated points are placed on the GROUP BY interval grid
 *     (times rounded to the nearest multiple, later points of one slot
 *     dropped, empty slots NaN);
 *   - initial level, trend and seasonal factors come from the first
 *     season(s); then, for each of the 16 starting points of a grid over
 *     alpha, beta, gamma, phi in {0.3, 0.7}, a Nelder-Mead simplex search
 *     (at most 1000 iterations, tolerance 1e-4, unit scale, started from a
 *     regular simplex) minimizes the sum of squared errors of the damped
 *     multiplicative model over every parameter (level, trend and seasonal
 *     factors included), and the best fit forecasts N more points;
 *   - the model's recursion feeds its own forecast back (not the observed
 *     value), the objective clamps the smoothing parameters of the point it
 *     evaluates to [0, 1] and writes the updated seasonal factors into it,
 *     and powers are computed as Go's math.Pow does (repeated squaring):
 *     InfluxDB's results depend on all of this, so it is kept.
 *
 * Output times: with_fit, the first point's time plus i intervals for every
 * fitted and forecast value; else the last point's time plus 1..N
 * intervals. NaN values are left out.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"

/* Go's math.Pow(x, y) for an integer y >= 1 (repeated squaring on the mantissa). */
static double go_pow_int(double x, int64_t y)
{
    if (x == 1) return 1;
    if (y == 1) return x;
    if (isnan(x)) return NAN;
    if (x == 0) return (signbit(x) && (y & 1)) ? x : 0.0;
    if (isinf(x)) return (x < 0 && (y & 1)) ? -INFINITY : INFINITY;
    double a1 = 1.0;
    long ae = 0;
    int xe_i;
    double x1 = frexp(x, &xe_i);
    long xe = xe_i;
    for (int64_t i = y; i != 0; i >>= 1) {
        if (xe < -(1L << 12) || (1L << 12) < xe) {
            ae += xe;
            break;
        }
        if (i & 1) {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe *= 2;
        if (x1 < .5) {
            x1 += x1;
            xe--;
        }
    }
    if (ae > 1 << 20) ae = 1 << 20;
    if (ae < -(1 << 20)) ae = -(1 << 20);
    return ldexp(a1, (int)ae);
}

typedef struct hw {
    double *y;
    size_t ny;
    int seasonal;
    int m;
    double *fc; /* forecast scratch, ny + h */
} hw;

static void constrain(double *x)
{
    for (int i = 0; i < 4; i++) {
        if (x[i] > 1) x[i] = 1;
        if (x[i] < 0) x[i] = 0;
    }
}

/* The model's values for the ny observed slots and h more, into w->fc; params mutated. */
static void forecast(hw *w, size_t h, double *params)
{
    constrain(params);
    double yT = w->y[0];
    double phi = params[3];
    double phiH = phi;
    double lT = params[4];
    double bT = params[5];
    double sT = 0.0;
    double *seasonals = NULL;
    long m = 0, so = 0;
    if (w->seasonal) {
        seasonals = params + 6;
        m = w->m;
        if (m == 1) seasonals[0] = 1;
        so = m - 1;
    }
    double *fc = w->fc;
    fc[0] = yT;
    size_t l = w->ny;
    double stm = 1.0, stmh = 1.0;
    double alpha = params[0], beta = params[1], gamma = params[2];
    for (size_t t = 1; t < l + h; t++) {
        if (w->seasonal) {
            long hm = (long)t % m;
            stm = seasonals[((long)t - m + so) % m];
            stmh = seasonals[((long)t - m + hm + so) % m];
        }
        double lTp = lT, bTp = bT;
        double nl = alpha * (yT / stm) + (1 - alpha) * (lTp + phi * bTp);
        double nb = beta * (nl - lTp) + (1 - beta) * phi * bTp;
        double ns = gamma * (yT / (lTp + phi * bTp)) + (1 - gamma) * stm;
        double ny = (nl + phiH * nb) * stmh;
        yT = ny;
        lT = nl;
        bT = nb;
        sT = ns;
        phiH += go_pow_int(phi, (int64_t)t);
        if (w->seasonal) {
            seasonals[((long)t + so) % m] = sT;
            so++;
        }
        fc[t] = yT;
    }
}

static double sse(hw *w, double *params)
{
    double s = 0.0;
    forecast(w, 0, params);
    for (size_t i = 0; i < w->ny; i++) {
        if (isnan(w->y[i])) continue;
        if (isnan(w->fc[i])) return INFINITY;
        double diff = w->fc[i] - w->y[i];
        s += diff * diff;
    }
    return s;
}

/*
 * Nelder-Mead as InfluxDB's neldermead package (after M. F. Hutt): minimize
 * sse from start: the minimum into *min, the best parameters (as they were
 * before their final evaluation) into best. @return STRATA_OK, STRATA_ENOMEM
 */
static int optimize(hw *w, const double *start, size_t n, double epsilon, double scale,
                    double *best, double *min)
{
    double *mem = malloc(((n + 1) * n + (n + 1) + 4 * n) * sizeof *mem);
    if (mem == NULL) return STRATA_ENOMEM;
    double *vv = mem;             /* (n+1) x n vertices */
    double *f = vv + (n + 1) * n; /* n+1 values */
    double *vr = f + (n + 1);     /* reflection */
    double *ve = vr + n;          /* expansion */
    double *vc = ve + n;          /* contraction */
    double *vm = vc + n;          /* centroid */
#define V(i) (vv + (size_t)(i)*n)
    const double alpha = 1.0, beta = 0.5, gamma = 2.0;
    double dn = (double)n;
    double pn = scale * (sqrt((double)(n + 1)) - 1 + dn) / (dn * sqrt(2));
    double qn = scale * (sqrt((double)(n + 1)) - 1) / (dn * sqrt(2));
    for (size_t i = 0; i < n; i++)
        V(0)[i] = start[i];
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 0; j < n; j++)
            V(i)[j] = (i - 1 == j ? pn : qn) + start[j];
    for (size_t j = 0; j <= n; j++)
        f[j] = sse(w, V(j));

    for (int itr = 1; itr <= 1000; itr++) {
        size_t vg = 0, vs = 0;
        for (size_t i = 0; i <= n; i++) {
            if (f[i] > f[vg]) vg = i;
            if (f[i] < f[vs]) vs = i;
        }
        size_t vh = vs;
        for (size_t i = 0; i <= n; i++)
            if (f[i] > f[vh] && f[i] < f[vg]) vh = i;
        for (size_t i = 0; i < n; i++) {
            double cent = 0.0;
            for (size_t mm = 0; mm <= n; mm++)
                if (mm != vg) cent += V(mm)[i];
            vm[i] = cent / dn;
        }
        for (size_t i = 0; i < n; i++)
            vr[i] = vm[i] + alpha * (vm[i] - V(vg)[i]);
        double fr = sse(w, vr);
        if (fr < f[vh] && fr >= f[vs]) {
            memcpy(V(vg), vr, n * sizeof *vr);
            f[vg] = fr;
        }
        if (fr < f[vs]) {
            for (size_t i = 0; i < n; i++)
                ve[i] = vm[i] + gamma * (vr[i] - vm[i]);
            double fe = sse(w, ve);
            if (fe < fr) {
                memcpy(V(vg), ve, n * sizeof *ve);
                f[vg] = fe;
            } else {
                memcpy(V(vg), vr, n * sizeof *vr);
                f[vg] = fr;
            }
        }
        if (fr >= f[vh]) {
            if (fr < f[vg] && fr >= f[vh]) {
                for (size_t i = 0; i < n; i++)
                    vc[i] = vm[i] + beta * (vr[i] - vm[i]);
            } else {
                for (size_t i = 0; i < n; i++)
                    vc[i] = vm[i] - beta * (vm[i] - V(vg)[i]);
            }
            double fc = sse(w, vc);
            if (fc < f[vg]) {
                memcpy(V(vg), vc, n * sizeof *vc);
                f[vg] = fc;
            } else {
                for (size_t row = 0; row <= n; row++)
                    if (row != vs)
                        for (size_t i = 0; i < n; i++)
                            V(row)[i] = V(vs)[i] + (V(row)[i] - V(vs)[i]) / 2.0;
                f[vg] = sse(w, V(vg));
                f[vh] = sse(w, V(vh));
            }
        }
        double fsum = 0.0;
        for (size_t i = 0; i <= n; i++)
            fsum += f[i];
        double favg = fsum / (double)(n + 1);
        double s = 0.0;
        for (size_t i = 0; i <= n; i++)
            s += go_pow_int(f[i] - favg, 2) / dn;
        s = sqrt(s);
        if (s < epsilon) break;
    }
    size_t vs = 0;
    for (size_t i = 0; i <= n; i++)
        if (f[i] < f[vs]) vs = i;
    memcpy(best, V(vs), n * sizeof *best);
    *min = sse(w, V(vs));
#undef V
    free(mem);
    return STRATA_OK;
}

static int64_t round_time(int64_t t, int64_t interval)
{
    int64_t rem = t % interval;
    if (rem > interval / 2) return (t / interval + 1) * interval;
    return (t / interval) * interval;
}

int qry__holt_winters(const int64_t *ts, const double *vs, size_t n, int64_t h, int64_t season,
                      int with_fit, int64_t interval, qry_seq *out)
{
    int seasonal = season >= 2;
    if (n < 2 || (seasonal && n < (size_t)season) || h <= 0 || interval <= 0) return STRATA_OK;
    int64_t start = round_time(ts[0], interval), stop = round_time(ts[n - 1], interval);
    if ((stop - start) / interval <= 0) return STRATA_OK;
    size_t cap = (size_t)((stop - start) / interval) + 1;
    hw w;
    memset(&w, 0, sizeof w);
    w.seasonal = seasonal;
    w.m = (int)season;
    w.y = malloc(cap * sizeof *w.y);
    if (w.y == NULL) return STRATA_ENOMEM;
    w.y[w.ny++] = vs[0];
    int64_t t = start;
    for (size_t i = 1; i < n; i++) {
        int64_t r = round_time(ts[i], interval);
        if (r <= t) continue; /* a later value of the same slot */
        t += interval;
        while (r != t && w.ny < cap) {
            w.y[w.ny++] = NAN;
            t += interval;
        }
        if (w.ny < cap) w.y[w.ny++] = vs[i];
    }
    int m = w.m;
    if (seasonal && w.ny < (size_t)m) {
        free(w.y); /* (InfluxDB would fail here) */
        return STRATA_OK;
    }
    /* starting guesses */
    double l0 = 0.0, b0 = 0.0;
    if (seasonal) {
        for (int i = 0; i < m; i++)
            if (!isnan(w.y[i])) l0 += (1 / (double)m) * w.y[i];
        for (int i = 0; i < m && (size_t)(m + i) < w.ny; i++)
            if (!isnan(w.y[i]) && !isnan(w.y[m + i]))
                b0 += 1 / (double)(m * m) * (w.y[m + i] - w.y[i]);
    } else {
        l0 += 0.5 * w.y[0];
        if (!isnan(w.y[1])) b0 = 0.5 * (w.y[1] - w.y[0]);
    }
    size_t ns = seasonal ? (size_t)m : 0;
    size_t np = 6 + ns;
    double *params = malloc(np * sizeof *params);
    double *cand = malloc(np * sizeof *cand);
    double *best = malloc(np * sizeof *best);
    w.fc = malloc((w.ny + (size_t)h) * sizeof *w.fc);
    int rc = STRATA_OK;
    if (!params || !cand || !best || !w.fc) {
        rc = STRATA_ENOMEM;
        goto done;
    }
    memset(params, 0, np * sizeof *params);
    params[4] = l0;
    params[5] = b0;
    for (size_t i = 0; i < ns; i++)
        params[6 + i] = isnan(w.y[i]) ? 0 : w.y[i] / l0;
    double min_sse = INFINITY;
    int have_best = 0;
    for (double a = 0.3; a < 1.0; a += 0.4)
        for (double b = 0.3; b < 1.0; b += 0.4)
            for (double g = 0.3; g < 1.0; g += 0.4)
                for (double ph = 0.3; ph < 1.0; ph += 0.4) {
                    params[0] = a;
                    params[1] = b;
                    params[2] = g;
                    params[3] = ph;
                    double s;
                    if ((rc = optimize(&w, params, np, 1.0e-4, 1, cand, &s)) != STRATA_OK)
                        goto done;
                    if (s < min_sse || !have_best) {
                        min_sse = s;
                        memcpy(best, cand, np * sizeof *best);
                        have_best = 1;
                    }
                }
    forecast(&w, (size_t)h, best);
    size_t total = w.ny + (size_t)h;
    for (size_t i = with_fit ? 0 : w.ny; i < total && rc == STRATA_OK; i++) {
        double v = w.fc[i];
        if (isnan(v)) continue;
        int64_t at = with_fit ? ts[0] + interval * (int64_t)i
                              : ts[n - 1] + interval * (int64_t)(i - w.ny + 1);
        qry_pt p = {at, qry_val_f(v), at, -1};
        rc = qry__seq_push(out, &p);
    }
done:
    free(w.y);
    free(w.fc);
    free(params);
    free(cand);
    free(best);
    return rc;
}
