/*
 * query/exec.c: the statement context helpers and the SELECT driver.
 *
 * A SELECT runs measurement by measurement in name order (reversed for
 * ORDER BY time DESC, as InfluxDB's cursor orders series by name and tags
 * in the query's direction). For each measurement: the plan's names are
 * resolved to its fields, its series are selected through the index
 * (plan_cond.c), grouped by the GROUP BY tag keys (GROUP BY * and /regex/
 * expanded against the measurement's tag keys), the groups sorted by their
 * tag values, SLIMIT/SOFFSET applied, and each group answered by the raw
 * or the aggregate executor.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "query/exec_int.h"

int qry__fail(qry_ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strata_error_setv(c->err, code, fmt, ap);
    va_end(ap);
    return code;
}

int qry__check_budget(qry_ctx *c)
{
    uint64_t total = c->points;
    if (c->points_shared) {
        uint64_t delta = c->points - c->points_reported;
        c->points_reported = c->points;
        total = __atomic_add_fetch(c->points_shared, delta, __ATOMIC_RELAXED);
    }
    if (c->points_limit && total > c->points_limit)
        return qry__fail(c, STRATA_ELIMIT,
                         "query read more than %llu points (max-points limit); narrow the time "
                         "range or the series",
                         (unsigned long long)c->points_limit);
    if (c->deadline_mono && strata_mono_ns() > c->deadline_mono)
        return qry__fail(c, STRATA_ELIMIT, "query timeout reached");
    return STRATA_OK;
}

void *qry__alloc(qry_ctx *c, size_t n)
{
    void *p = strata_arena_alloc(c->arena, n ? n : 1);
    if (p == NULL) qry__fail(c, STRATA_ENOMEM, "out of memory");
    return p;
}

char *qry__strndup(qry_ctx *c, const char *s, size_t n)
{
    char *p = strata_arena_strndup(c->arena, s ? s : "", s ? n : 0);
    if (p == NULL) qry__fail(c, STRATA_ENOMEM, "out of memory");
    return p;
}

/* ---- grouping ------------------------------------------------------------------------------ */

typedef struct gent {
    qry_series *s;
    const char **v; /* per dim */
    size_t *vl;
} gent;

typedef struct gsort {
    size_t nd;
} gsort;

static int gent_cmp(const void *a, const void *b, void *arg)
{
    const gent *x = a, *y = b;
    size_t nd = ((const gsort *)arg)->nd;
    for (size_t i = 0; i < nd; i++) {
        size_t n = x->vl[i] < y->vl[i] ? x->vl[i] : y->vl[i];
        int r = n ? memcmp(x->v[i], y->v[i], n) : 0;
        if (r) return r;
        if (x->vl[i] != y->vl[i]) return x->vl[i] < y->vl[i] ? -1 : 1;
    }
    /* same group: keep series key order */
    size_t n = x->s->klen < y->s->klen ? x->s->klen : y->s->klen;
    int r = memcmp(x->s->key, y->s->key, n);
    if (r) return r;
    return x->s->klen < y->s->klen ? -1 : x->s->klen > y->s->klen;
}

static int same_group(const gent *x, const gent *y, size_t nd)
{
    for (size_t i = 0; i < nd; i++)
        if (x->vl[i] != y->vl[i] || (x->vl[i] && memcmp(x->v[i], y->v[i], x->vl[i]) != 0)) return 0;
    return 1;
}

typedef struct keylist {
    qry_ctx *c;
    const qry_plan *p;
    qry_str *keys;
    size_t n, cap;
    int rc;
} keylist;

static int keylist_add(keylist *kl, const char *k, size_t n)
{
    for (size_t i = 0; i < kl->n; i++)
        if (kl->keys[i].len == n && memcmp(kl->keys[i].ptr, k, n) == 0) return STRATA_OK;
    if (kl->n == kl->cap) {
        size_t nc = kl->cap ? kl->cap * 2 : 8;
        qry_str *nk = qry__alloc(kl->c, nc * sizeof *nk);
        if (nk == NULL) return STRATA_ENOMEM;
        if (kl->n) memcpy(nk, kl->keys, kl->n * sizeof *nk);
        kl->keys = nk;
        kl->cap = nc;
    }
    char *d = qry__strndup(kl->c, k, n);
    if (d == NULL) return STRATA_ENOMEM;
    kl->keys[kl->n++] = (qry_str){d, n};
    return STRATA_OK;
}

static int tagkey_cb(void *ctx, const char *k, size_t n)
{
    keylist *kl = ctx;
    int want = kl->p->dim_star;
    for (size_t i = 0; !want && i < kl->p->ndim_res; i++)
        want = qry__re_match(kl->p->dim_res[i], kl->c->rm, k, n);
    if (want && keylist_add(kl, k, n) != STRATA_OK) {
        kl->rc = STRATA_ENOMEM;
        return 1;
    }
    return 0;
}

static int qstr_cmp(const void *a, const void *b)
{
    const qry_str *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->ptr, y->ptr, n);
    if (r) return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * The GROUP BY tag keys, sorted. GROUP BY * and /regex/ expand over the tag
 * keys of every source measurement, as InfluxDB's RewriteFields does: a
 * measurement without some key groups by it with an empty value.
 */
static int dims_of(qry_ctx *c, const qry_plan *p, qry_str **out, size_t *n)
{
    keylist kl = {c, p, NULL, 0, 0, STRATA_OK};
    for (size_t i = 0; i < p->ndims; i++)
        if (keylist_add(&kl, p->dims[i].ptr, p->dims[i].len) != STRATA_OK) return STRATA_ENOMEM;
    if (p->dim_star || p->ndim_res) {
        MDB_txn *txn;
        int rc = stg_engine_read_begin(c->e, &txn, c->err);
        if (rc != STRATA_OK) return rc;
        for (size_t i = 0; i < p->nsrcs && rc >= 0 && kl.rc == STRATA_OK; i++)
            rc = stg_index_tag_keys(stg_engine_index(c->e), txn, p->db, p->srcs[i].mid, tagkey_cb,
                                    &kl);
        stg_engine_read_end(c->e, txn);
        if (kl.rc != STRATA_OK) return kl.rc;
        if (rc < 0) return qry__fail(c, rc, "reading tag keys failed");
    }
    if (kl.n > 1) qsort(kl.keys, kl.n, sizeof *kl.keys, qstr_cmp);
    *out = kl.keys;
    *n = kl.n;
    return STRATA_OK;
}

/* ---- two threads over the groups of an aggregate query ------------------------------------------
 */

/*
 * The statement's thread computes and writes the even groups, a worker
 * computes the odd ones (at most WORKER_AHEAD ahead of the writing), and
 * every group is written in order by the statement's thread. The worker has
 * its own context (arena, regex scratch, error); the plan, the measurement's
 * field resolution and the groups are only read.
 */
#define WORKER_AHEAD 8

typedef struct par {
    qry_ctx wc;
    strata_arena warena;
    strata_error werr;
    const qry_plan *p;
    const qry_mctx *mc;
    qry_group *groups;
    size_t ng;
    qry_aggres *res;
    uint8_t *ready;
    size_t written; /* groups written so far */
    int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} par;

static void *par_worker(void *arg)
{
    par *w = arg;
    for (size_t k = 1; k < w->ng; k += 2) {
        pthread_mutex_lock(&w->mu);
        while (!w->stop && k > w->written + WORKER_AHEAD)
            pthread_cond_wait(&w->cv, &w->mu);
        int stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (stop) break;
        strata_error_clear(&w->werr);
        qry__agg_compute(&w->wc, w->p, w->mc, &w->groups[k], &w->res[k]);
        strata_arena_reset(&w->warena);
        pthread_mutex_lock(&w->mu);
        w->ready[k] = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

static int run_groups_parallel(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, qry_group *groups,
                               size_t ng)
{
    par w;
    memset(&w, 0, sizeof w);
    w.p = p;
    w.mc = mc;
    w.groups = groups;
    w.ng = ng;
    w.res = calloc(ng, sizeof *w.res);
    w.ready = calloc(ng, 1);
    uint64_t shared = c->points;
    c->points_shared = &shared;
    c->points_reported = c->points;
    w.wc = *c;
    strata_arena_init(&w.warena, 0);
    w.wc.arena = &w.warena;
    w.wc.err = &w.werr;
    w.wc.rm = qry__rematch_new();
    w.wc.res = NULL;
    w.wc.points = 0;
    w.wc.points_reported = 0;
    w.wc.w = NULL;
    int rc = STRATA_OK;
    pthread_t th;
    int started = 0;
    if (w.res == NULL || w.ready == NULL || w.wc.rm == NULL) {
        rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    started = pthread_create(&th, NULL, par_worker, &w) == 0;
    for (size_t k = 0; k < ng && rc == STRATA_OK; k++) {
        if (k % 2 == 0 || !started) {
            rc = qry__agg_compute(c, p, mc, &groups[k], &w.res[k]);
        } else {
            pthread_mutex_lock(&w.mu);
            while (!w.ready[k])
                pthread_cond_wait(&w.cv, &w.mu);
            pthread_mutex_unlock(&w.mu);
        }
        if (rc == STRATA_OK) rc = qry__agg_write(c, p, &groups[k], &w.res[k]);
        qry__aggres_fini(&w.res[k]);
        pthread_mutex_lock(&w.mu);
        w.written = k + 1;
        pthread_cond_broadcast(&w.cv);
        pthread_mutex_unlock(&w.mu);
    }
    if (started) {
        pthread_mutex_lock(&w.mu);
        w.stop = 1;
        pthread_cond_broadcast(&w.cv);
        pthread_mutex_unlock(&w.mu);
        pthread_join(th, NULL);
    }
    if (started || w.res) {
        pthread_mutex_destroy(&w.mu);
        pthread_cond_destroy(&w.cv);
    }
done:
    if (w.res)
        for (size_t k = 0; k < ng; k++)
            qry__aggres_fini(&w.res[k]);
    free(w.res);
    free(w.ready);
    qry__re_free_all(w.wc.res);
    qry__rematch_free(w.wc.rm);
    strata_arena_fini(&w.warena);
    c->points = shared > c->points ? shared : c->points;
    c->points_shared = NULL;
    return rc;
}

/* ---- the SELECT driver -------------------------------------------------------------------------
 */

static int resolve_refs(qry_ctx *c, const qry_plan *p, const qry_msrc *m, qry_mctx *mc)
{
    mc->m = m;
    mc->refs = qry__alloc(c, (p->nfnames ? p->nfnames : 1) * sizeof *mc->refs);
    if (mc->refs == NULL) return STRATA_ENOMEM;
    MDB_txn *txn;
    int rc = stg_engine_read_begin(c->e, &txn, c->err);
    if (rc != STRATA_OK) return rc;
    stg_index *idx = stg_engine_index(c->e);
    for (size_t i = 0; i < p->nfnames; i++) {
        qry_fref *r = &mc->refs[i];
        memset(r, 0, sizeof *r);
        if (p->fcast[i] == QRY_VT_TAG) {
            r->kind = 2;
            continue;
        }
        uint32_t fid;
        stg_type t;
        rc = stg_index_field_lookup(idx, txn, p->db, m->mid, p->fnames[i].ptr, p->fnames[i].len,
                                    &fid, &t);
        if (rc == STRATA_OK) {
            r->kind = 1;
            r->fid = fid;
            r->type = t;
        } else if (rc == STRATA_ENOTFOUND) {
            r->kind = p->fcast[i] == QRY_VT_FIELD ? 0 : 2;
        } else {
            stg_engine_read_end(c->e, txn);
            return qry__fail(c, rc, "reading the fields of %s failed", m->name);
        }
    }
    stg_engine_read_end(c->e, txn);
    return STRATA_OK;
}

/* ---- type checks InfluxDB makes once the field types are known ------------------------------- */

static const char *type_word(stg_type t)
{
    return t == STG_STRING ? "string" : t == STG_BOOL ? "boolean" : NULL;
}

/* May fn read a field of type t? (InfluxDB has no iterator for the others.) */
static int fn_accepts(qry_fn f, stg_type t)
{
    if (t != STG_STRING && t != STG_BOOL) return 1;
    switch (f) {
    case QF_COUNT:
    case QF_FIRST:
    case QF_LAST:
    case QF_MODE:
    case QF_DISTINCT:
    case QF_COUNT_DISTINCT:
    case QF_SAMPLE:
    case QF_ELAPSED:
        return 1;
    case QF_MIN:
    case QF_MAX:
        return t == STG_BOOL;
    default:
        return 0;
    }
}

static const char *fn_iter_word(qry_fn f)
{
    switch (f) {
    case QF_SUM:
        return "sum";
    case QF_MEAN:
        return "mean";
    case QF_MIN:
        return "min";
    case QF_MAX:
        return "max";
    case QF_SPREAD:
        return "spread";
    case QF_STDDEV:
        return "stddev";
    case QF_MEDIAN:
        return "median";
    case QF_PERCENTILE:
        return "percentile";
    case QF_INTEGRAL:
        return "integral";
    case QF_TOP:
        return "top";
    case QF_BOTTOM:
        return "bottom";
    case QF_DERIVATIVE:
    case QF_NN_DERIVATIVE:
        return "derivative";
    case QF_DIFFERENCE:
    case QF_NN_DIFFERENCE:
        return "difference";
    case QF_CUMULATIVE_SUM:
        return "cumulative sum";
    case QF_MOVING_AVERAGE:
        return "moving average";
    default:
        return "call";
    }
}

static const char *ref_type_name(const qry_fref *r)
{
    if (r->kind == 2) return "tag";
    if (r->kind != 1) return NULL;
    return stg_type_name(r->type);
}

static const char *lit_type_name(const qry_val *v)
{
    switch (v->t) {
    case QRY_V_FLOAT:
        return "float";
    case QRY_V_INT:
        return "integer";
    case QRY_V_UINT:
        return "unsigned";
    case QRY_V_STR:
        return "string";
    case QRY_V_BOOL:
        return "boolean";
    default:
        return NULL;
    }
}

/* "usage_user::float" or the literal's text. */
static void operand_text(const qry_node *n, const char *type, char *buf, size_t cap)
{
    char tmp[256];
    if (n->kind == QN_FIELD) {
        snprintf(buf, cap, "%.*s::%s", (int)n->name.len, n->name.ptr, type);
        return;
    }
    if (n->src)
        qry_expr_format(n->src, QRY_FMT_INFLUX, tmp, sizeof tmp);
    else
        tmp[0] = 0;
    snprintf(buf, cap, "%s", tmp);
}

static int check_types(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_node *n)
{
    for (uint32_t i = 0; i < n->nargs; i++) {
        int rc = check_types(c, p, mc, n->args[i]);
        if (rc != STRATA_OK) return rc;
    }
    if (n->kind == QN_AGG || (n->kind == QN_XFORM && n->nargs && n->args[0]->kind == QN_FIELD)) {
        int f = n->kind == QN_AGG ? n->field : n->args[0]->field;
        if (f >= 0 && mc->refs[f].kind == 1 && !fn_accepts(n->fn, mc->refs[f].type))
            return qry__fail(c, STRATA_EINVAL,
                             "unsupported %s iterator type: *query.%sInterruptIterator",
                             fn_iter_word(n->fn), type_word(mc->refs[f].type));
    }
    if (n->kind == QN_BIN && n->nargs == 2 &&
        (n->op == QRY_OP_ADD || n->op == QRY_OP_SUB || n->op == QRY_OP_MUL || n->op == QRY_OP_DIV ||
         n->op == QRY_OP_MOD)) {
        const qry_node *a = n->args[0], *b = n->args[1];
        const char *ta = a->kind == QN_FIELD ? ref_type_name(&mc->refs[a->field])
                         : a->kind == QN_LIT ? lit_type_name(&a->lit)
                                             : NULL;
        const char *tb = b->kind == QN_FIELD ? ref_type_name(&mc->refs[b->field])
                         : b->kind == QN_LIT ? lit_type_name(&b->lit)
                                             : NULL;
        if (ta && tb) {
            int na = strcmp(ta, "float") == 0 || strcmp(ta, "integer") == 0 ||
                     strcmp(ta, "unsigned") == 0;
            int nb = strcmp(tb, "float") == 0 || strcmp(tb, "integer") == 0 ||
                     strcmp(tb, "unsigned") == 0;
            if (!na || !nb) {
                char x[300], y[300];
                operand_text(a, ta, x, sizeof x);
                operand_text(b, tb, y, sizeof y);
                return qry__fail(c, STRATA_EINVAL,
                                 "type error: %s %s %s: incompatible types: %s and %s", x,
                                 qry_op_str(n->op), y, ta, tb);
            }
        }
    }
    return STRATA_OK;
}

/* Does the measurement hold any field this plan reads data from? */
static int relevant(const qry_plan *p, const qry_mctx *mc)
{
    if (p->raw) {
        for (size_t i = 0; i < p->nfnames; i++)
            if (p->fdriver[i] && mc->refs[i].kind == 1) return 1;
        return 0;
    }
    for (size_t i = 0; i < p->nfnames; i++)
        if (mc->refs[i].kind == 1) return 1;
    return 0;
}

static int run_measurement(qry_ctx *c, const qry_plan *p, const qry_msrc *m)
{
    qry_mctx mc;
    int rc = resolve_refs(c, p, m, &mc);
    if (rc != STRATA_OK) return rc;
    if (!relevant(p, &mc)) return STRATA_OK;
    for (size_t i = 0; i < p->ncols; i++)
        if ((rc = check_types(c, p, &mc, p->cols[i])) != STRATA_OK) return rc;
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    qry_series *ss = NULL;
    size_t ns = 0;
    rc = qry__cond_series(c, txn, p->db, m->mid, p->cond, 0, &ss, &ns);
    stg_engine_read_end(c->e, txn);
    if (rc != STRATA_OK) return rc;
    if (ns == 0) return STRATA_OK;
    qry_str *dims = NULL;
    size_t nd = 0;
    if ((rc = dims_of(c, p, &dims, &nd)) != STRATA_OK) return rc;

    gent *ge = qry__alloc(c, ns * sizeof *ge);
    if (ge == NULL) return STRATA_ENOMEM;
    for (size_t i = 0; i < ns; i++) {
        ge[i].s = &ss[i];
        ge[i].v = qry__alloc(c, (nd ? nd : 1) * sizeof *ge[i].v);
        ge[i].vl = qry__alloc(c, (nd ? nd : 1) * sizeof *ge[i].vl);
        if (!ge[i].v || !ge[i].vl) return STRATA_ENOMEM;
        for (size_t k = 0; k < nd; k++) {
            const char *v = qry__series_tag(&ss[i], dims[k].ptr, dims[k].len, &ge[i].vl[k]);
            ge[i].v[k] = v ? v : "";
            if (v == NULL) ge[i].vl[k] = 0;
        }
    }
    gsort gs = {nd};
    if (nd && ns > 1) qsort_r(ge, ns, sizeof *ge, gent_cmp, &gs);

    /* split into groups */
    size_t ngroups = 0;
    size_t *gstart = qry__alloc(c, (ns + 1) * sizeof *gstart);
    if (gstart == NULL) return STRATA_ENOMEM;
    for (size_t i = 0; i < ns; i++)
        if (i == 0 || !same_group(&ge[i], &ge[i - 1], nd)) gstart[ngroups++] = i;
    gstart[ngroups] = ns;

    /* SLIMIT / SOFFSET over the groups of this measurement */
    size_t g0 = 0, g1 = ngroups;
    if (p->soffset > 0) g0 = (size_t)p->soffset < ngroups ? (size_t)p->soffset : ngroups;
    if (p->slimit > 0 && g1 - g0 > (size_t)p->slimit) g1 = g0 + (size_t)p->slimit;
    qry_series **sp = qry__alloc(c, ns * sizeof *sp);
    size_t nsel = g1 > g0 ? g1 - g0 : 0;
    qry_group *groups = qry__alloc(c, (nsel ? nsel : 1) * sizeof *groups);
    qry_tagv *tv = qry__alloc(c, (nsel ? nsel : 1) * (nd ? nd : 1) * sizeof *tv);
    if (sp == NULL || groups == NULL || tv == NULL) return STRATA_ENOMEM;
    size_t total_series = 0;
    for (size_t k = g0; k < g1; k++) {
        size_t gi = p->desc ? g1 - 1 - (k - g0) : k;
        size_t a = gstart[gi], b = gstart[gi + 1];
        qry_group *g = &groups[k - g0];
        g->m = m;
        g->nseries = b - a;
        g->series = sp + a;
        /* series of a group in key order (the heap merge's order) */
        for (size_t i = a; i < b; i++)
            sp[i] = ge[i].s;
        qry_tagv *t = tv + (k - g0) * (nd ? nd : 1);
        for (size_t d = 0; d < nd; d++) {
            t[d].k = dims[d].ptr;
            t[d].kl = dims[d].len;
            t[d].v = ge[a].v[d];
            t[d].vl = ge[a].vl[d];
        }
        g->tags = t;
        g->ntags = nd;
        total_series += g->nseries;
    }
    if (!p->raw && c->lim && c->lim->threads >= 2 && nsel >= 4 && total_series >= 16 && c->w &&
        c->w->fmt != QRY_WFMT_CAPTURE)
        return run_groups_parallel(c, p, &mc, groups, nsel);
    for (size_t k = 0; k < nsel; k++) {
        rc = p->raw ? qry__raw_group(c, p, &mc, &groups[k]) : qry__agg_group(c, p, &mc, &groups[k]);
        if (rc != STRATA_OK) return rc;
    }
    return STRATA_OK;
}

int qry__exec_select(qry_ctx *c, const qry_select *s)
{
    for (uint32_t i = 0; i < s->nsources; i++)
        if (s->sources[i].kind == QRY_SRC_SUBQUERY) return qry__exec_subquery(c, s);
    qry_plan p;
    int rc = qry__plan_select(c, s, &p);
    if (rc == STRATA_OK) rc = qry__cond_prepare(c, &p);
    if (rc == STRATA_OK && p.interval && c->lim && c->lim->max_buckets && p.tmin != QRY_MIN_TIME &&
        p.tmin <= p.tmax) {
        /* InfluxDB's max-select-buckets: the windows of the whole time range */
        int64_t s0, e0, s1, e1;
        qry__window(&p, p.tmin, &s0, &e0);
        qry__window(&p, p.tmax, &s1, &e1);
        uint64_t buckets = (uint64_t)((__int128)(s1 - s0) / p.interval) + 1;
        if (buckets > c->lim->max_buckets)
            rc = qry__fail(c, STRATA_ELIMIT, "max-select-buckets limit exceeded: (%llu/%llu)",
                           (unsigned long long)buckets, (unsigned long long)c->lim->max_buckets);
    }
    if (rc == STRATA_OK) qry_writer_stmt_begin(c->w, c->stmt_id, QRY_STMT_MODE_SELECT, p.tz);
    if (rc == STRATA_OK && p.tmin <= p.tmax) {
        for (size_t i = 0; i < p.nsrcs && rc == STRATA_OK; i++) {
            size_t k = p.desc ? p.nsrcs - 1 - i : i;
            rc = run_measurement(c, &p, &p.srcs[k]);
        }
    }
    if (rc == STRATA_OK) rc = qry_writer_stmt_end(c->w);
    c->stmt_tz = p.tz; /* freed by the caller after the statement */
    return rc;
}
