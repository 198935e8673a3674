/*
 * query/plan.c: compile a SELECT into a qry_plan, as InfluxDB 1.6's
 * query.Compile and RewriteFields do: resolve the FROM measurements (names,
 * regexes, "db"."rp"."m"), expand wildcards and regex fields against the
 * index's fields and tags, check the statement with InfluxDB's rules and
 * messages ("mixing aggregate and non-aggregate queries is not supported",
 * ...), name the columns (aliases, "mean_f", "f_1"), split the WHERE clause
 * into a time range and a residual condition, and read GROUP BY, fill(),
 * ORDER BY, LIMIT/SLIMIT and tz().
 *
 * Everything the plan holds lives in the statement arena.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/retention.h"
#include "query/duration.h"
#include "query/plan_int.h"

int qry__pl_fail(comp *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strata_error_setv(k->c->err, STRATA_EINVAL, fmt, ap);
    va_end(ap);
    return STRATA_EINVAL;
}

int qry__pl_grow(comp *k, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *n = qry__alloc(k->c, nc * elem);
    if (n == NULL) return STRATA_ENOMEM;
    if (*cap) memcpy(n, *arr, *cap * elem);
    *arr = n;
    *cap = nc;
    return STRATA_OK;
}

int qry__pl_str_eq(qry_str a, const char *b, size_t bl)
{
    return a.len == bl && memcmp(a.ptr, b, bl) == 0;
}

int qry__pl_str_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    if (r) return r;
    return al < bl ? -1 : al > bl;
}

/* ---- sources ---------------------------------------------------------------- */

int qry__resolve_db(qry_ctx *c, const qry_measurement *m, uint32_t *db, const char **name)
{
    const char *dbn = m && m->db.len ? m->db.ptr : c->db;
    if (dbn == NULL || dbn[0] == 0) return qry__fail(c, STRATA_EINVAL, "database name required");
    if (name) *name = dbn;
    /* FROM db.rp.m, else the request's rp parameter, else the default RP */
    char rp[STG_RP_NAME_MAX + 1] = "";
    if (m && m->rp.len) {
        if (m->rp.len > STG_RP_NAME_MAX)
            return qry__fail(c, STRATA_ENOTFOUND, "retention policy not found: %.*s",
                             (int)m->rp.len, m->rp.ptr);
        memcpy(rp, m->rp.ptr, m->rp.len);
        rp[m->rp.len] = 0;
    } else if (c->req && c->req->rp && c->req->rp[0]) {
        snprintf(rp, sizeof rp, "%s", c->req->rp);
    }
    stg_rp_info info;
    int rc = stg_rp_resolve(c->e, dbn, rp, &info, c->err);
    if (rc != STRATA_OK) return rc;
    *db = info.ns;
    return STRATA_OK;
}

typedef struct meas_collect {
    comp *k;
    qry_re *re;
    int rc;
} meas_collect;

static int add_src(comp *k, const char *name, size_t len, uint32_t mid)
{
    qry_plan *p = k->p;
    for (size_t i = 0; i < p->nsrcs; i++)
        if (p->srcs[i].mid == mid) return STRATA_OK;
    size_t cap = p->nsrcs;
    /* grow by one, arena-style (few sources) */
    qry_msrc *n = qry__alloc(k->c, (cap + 1) * sizeof *n);
    if (n == NULL) return STRATA_ENOMEM;
    if (cap) memcpy(n, p->srcs, cap * sizeof *n);
    n[cap].name = qry__strndup(k->c, name, len);
    if (n[cap].name == NULL) return STRATA_ENOMEM;
    n[cap].len = len;
    n[cap].mid = mid;
    p->srcs = n;
    p->nsrcs = cap + 1;
    return STRATA_OK;
}

static int meas_cb(void *ctx, const char *name, size_t len, uint32_t mid)
{
    meas_collect *mc = ctx;
    if (qry__re_match(mc->re, mc->k->c->rm, name, len)) {
        mc->rc = add_src(mc->k, name, len, mid);
        if (mc->rc != STRATA_OK) return 1;
    }
    return 0;
}

static int src_cmp(const void *a, const void *b)
{
    const qry_msrc *x = a, *y = b;
    return qry__pl_str_cmp(x->name, x->len, y->name, y->len);
}

static int resolve_sources(comp *k)
{
    qry_plan *p = k->p;
    const qry_select *s = k->s;
    int have_db = 0;
    for (uint32_t i = 0; i < s->nsources; i++) {
        const qry_source *src = &s->sources[i];
        if (src->kind != QRY_SRC_MEASUREMENT)
            return qry__fail(k->c, STRATA_EUNSUPPORTED,
                             "a subquery mixed with other sources is not supported by this "
                             "server");
        uint32_t db;
        int rc = qry__resolve_db(k->c, &src->m, &db, NULL);
        if (rc != STRATA_OK) return rc;
        if (have_db && db != p->db)
            return qry__fail(k->c, STRATA_EUNSUPPORTED,
                             "a SELECT reading more than one database is not supported");
        p->db = db;
        have_db = 1;
        stg_index *idx = stg_engine_index(k->c->e);
        if (src->m.has_regex) {
            meas_collect mc = {k, NULL, STRATA_OK};
            if ((rc = qry__re_compile(k->c, src->m.regex.ptr, src->m.regex.len, &mc.re)) != 0)
                return rc;
            rc = stg_index_meas_list(idx, k->txn, db, meas_cb, &mc);
            if (mc.rc != STRATA_OK) return qry__fail(k->c, mc.rc, "out of memory");
            if (rc < 0)
                return qry__fail(k->c, rc, "reading the measurements of the database failed");
        } else {
            uint32_t mid;
            rc = stg_index_meas_lookup(idx, k->txn, db, src->m.name.ptr, src->m.name.len, &mid);
            if (rc == STRATA_OK) {
                if ((rc = add_src(k, src->m.name.ptr, src->m.name.len, mid)) != STRATA_OK)
                    return qry__fail(k->c, rc, "out of memory");
            } else if (rc != STRATA_ENOTFOUND) {
                return qry__fail(k->c, rc, "reading measurement %.*s failed", (int)src->m.name.len,
                                 src->m.name.ptr);
            }
        }
    }
    if (p->nsrcs > 1) qsort(p->srcs, p->nsrcs, sizeof *p->srcs, src_cmp);
    return STRATA_OK;
}

/* ---- known fields and tags of the sources ---------------------------------------------- */

static int known_add(comp *k, const char *n, size_t l, int is_tag, stg_type t)
{
    for (size_t i = 0; i < k->nkn; i++)
        if (k->kn[i].is_tag == is_tag && qry__pl_str_eq(k->kn[i].name, n, l)) return 0;
    if (qry__pl_grow(k, (void **)&k->kn, &k->capkn, k->nkn + 1, sizeof *k->kn) != STRATA_OK)
        return 1;
    char *d = qry__strndup(k->c, n, l);
    if (d == NULL) return 1;
    k->kn[k->nkn].name.ptr = d;
    k->kn[k->nkn].name.len = l;
    k->kn[k->nkn].is_tag = is_tag;
    k->kn[k->nkn].type = t;
    k->nkn++;
    return 0;
}

static int field_cb(void *ctx, const char *f, size_t fl, uint32_t fid, stg_type t)
{
    (void)fid;
    return known_add(ctx, f, fl, 0, t);
}

static int tagkey_cb(void *ctx, const char *kk, size_t kl)
{
    comp *k = ctx;
    if (k->c->sub_outer && !k->c->sub_all_tags) {
        /* a subquery exposes only its GROUP BY tags to wildcards */
        const qry_select *in = k->c->sub_inner;
        int found = 0;
        for (uint32_t i = 0; in && i < in->ndims && !found; i++) {
            const qry_expr *d = in->dims[i];
            found = d->kind == QRY_EXPR_VARREF && qry__pl_str_eq(d->u.ref.name, kk, kl);
        }
        if (!found) return 0;
    }
    return known_add(ctx, kk, kl, 1, 0);
}

static int known_cmp(const void *a, const void *b)
{
    const known *x = a, *y = b;
    int r = qry__pl_str_cmp(x->name.ptr, x->name.len, y->name.ptr, y->name.len);
    if (r) return r;
    return x->is_tag - y->is_tag;
}

static int load_known(comp *k)
{
    stg_index *idx = stg_engine_index(k->c->e);
    for (size_t i = 0; i < k->p->nsrcs; i++) {
        int rc = stg_index_field_list(idx, k->txn, k->p->db, k->p->srcs[i].mid, field_cb, k);
        if (rc == STRATA_OK)
            rc = stg_index_tag_keys(idx, k->txn, k->p->db, k->p->srcs[i].mid, tagkey_cb, k);
        if (rc != STRATA_OK)
            return qry__fail(k->c, rc < 0 ? rc : STRATA_ENOMEM,
                             "reading the fields of measurement %s failed", k->p->srcs[i].name);
    }
    if (k->nkn > 1) qsort(k->kn, k->nkn, sizeof *k->kn, known_cmp);
    return STRATA_OK;
}

/* ---- expression helpers ---------------------------------------------------------------- */

qry_expr *qry__pl_mk_varref(comp *k, qry_str name, qry_vtype t)
{
    qry_expr *e = qry__alloc(k->c, sizeof *e);
    if (e == NULL) return NULL;
    memset(e, 0, sizeof *e);
    e->kind = QRY_EXPR_VARREF;
    e->depth = 1;
    e->u.ref.name = name;
    e->u.ref.type = t;
    return e;
}

static qry_expr *clone_call_with_arg0(comp *k, const qry_expr *call, qry_expr *arg0)
{
    qry_expr *e = qry__alloc(k->c, sizeof *e);
    if (e == NULL) return NULL;
    *e = *call;
    qry_expr **args = qry__alloc(k->c, call->u.call.nargs * sizeof *args);
    if (args == NULL) return NULL;
    memcpy(args, call->u.call.args, call->u.call.nargs * sizeof *args);
    args[0] = arg0;
    e->u.call.args = args;
    return e;
}

/* A copy of the call chain e (down its first arguments) with the innermost argument v. */
static qry_expr *clone_nested(comp *k, const qry_expr *e, qry_expr *v)
{
    const qry_expr *a0 = e->u.call.args[0];
    qry_expr *na0 = a0->kind == QRY_EXPR_CALL ? clone_nested(k, a0, v) : v;
    return na0 ? clone_call_with_arg0(k, e, na0) : NULL;
}

/* The field types a wildcard in a call to name expands to (bits 1 << stg_type), as RewriteFields.
 */
static unsigned wildcard_types(qry_str name)
{
    static const char *const any[] = {"count",   "first", "last",  "distinct",
                                      "elapsed", "mode",  "sample"};
    unsigned t = 1u << STG_FLOAT | 1u << STG_INT | 1u << STG_UINT;
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
        if (qry__pl_str_eq(name, any[i], strlen(any[i])))
            return t | 1u << STG_STRING | 1u << STG_BOOL;
    if (qry__pl_str_eq(name, "min", 3) || qry__pl_str_eq(name, "max", 3)) return t | 1u << STG_BOOL;
    if (qry__pl_str_eq(name, "holt_winters", 12) ||
        qry__pl_str_eq(name, "holt_winters_with_fit", 21))
        return t & ~(1u << STG_UINT);
    return t;
}

static int is_dim_tag(comp *k, qry_str name)
{
    const qry_select *s = k->s;
    for (uint32_t i = 0; i < s->ndims; i++) {
        const qry_expr *d = s->dims[i];
        if (d->kind == QRY_EXPR_WILDCARD) return 1;
        if (d->kind == QRY_EXPR_VARREF && d->u.ref.name.len == name.len &&
            memcmp(d->u.ref.name.ptr, name.ptr, name.len) == 0)
            return 1;
        if (d->kind == QRY_EXPR_REGEX) {
            qry_re *re;
            if (qry__re_compile(k->c, d->u.str.ptr, d->u.str.len, &re) == STRATA_OK &&
                qry__re_match(re, k->c->rm, name.ptr, name.len))
                return 1;
        }
    }
    return 0;
}

static int add_col(comp *k, const qry_expr *e, qry_str alias)
{
    if (qry__pl_grow(k, (void **)&k->cols, &k->capcols, k->ncols + 1, sizeof *k->cols) != STRATA_OK)
        return STRATA_ENOMEM;
    k->cols[k->ncols].expr = e;
    k->cols[k->ncols].alias = alias;
    k->cols[k->ncols].node = NULL;
    k->ncols++;
    return STRATA_OK;
}

/* Field.Name() of InfluxQL. */
/* ---- wildcard expansion (RewriteFields) -------------------------------------------- */

static int expand_fields(comp *k)
{
    const qry_select *s = k->s;
    for (uint32_t i = 0; i < s->nfields; i++) {
        const qry_field *f = &s->fields[i];
        const qry_expr *e = f->expr;
        if (e->kind == QRY_EXPR_WILDCARD || e->kind == QRY_EXPR_REGEX) {
            qry_re *re = NULL;
            if (e->kind == QRY_EXPR_REGEX &&
                qry__re_compile(k->c, e->u.str.ptr, e->u.str.len, &re) != STRATA_OK)
                return STRATA_EINVAL;
            int want_f = !(e->kind == QRY_EXPR_WILDCARD && e->u.wildcard == QRY_VT_TAG);
            int want_t = !(e->kind == QRY_EXPR_WILDCARD && e->u.wildcard == QRY_VT_FIELD);
            /* expanded before compiling, as RewriteFields does: plain references */
            k->has_aux = 1;
            for (size_t j = 0; j < k->nkn; j++) {
                const known *kn = &k->kn[j];
                if (kn->is_tag ? !want_t : !want_f) continue;
                if (kn->is_tag && is_dim_tag(k, kn->name)) continue;
                if (re && !qry__re_match(re, k->c->rm, kn->name.ptr, kn->name.len)) continue;
                qry_expr *v =
                    qry__pl_mk_varref(k, kn->name, kn->is_tag ? QRY_VT_TAG : QRY_VT_UNKNOWN);
                if (v == NULL || add_col(k, v, (qry_str){"", 0}) != STRATA_OK) return STRATA_ENOMEM;
            }
            continue;
        }
        if (e->kind == QRY_EXPR_CALL) {
            /* the innermost call along the first arguments (derivative(mean(*)) -> mean) */
            const qry_expr *in = e;
            while (in->u.call.nargs > 0 && in->u.call.args[0]->kind == QRY_EXPR_CALL)
                in = in->u.call.args[0];
            if (in->u.call.nargs == 0) goto plain;
            const qry_expr *a0 = in->u.call.args[0];
            if (a0->kind != QRY_EXPR_WILDCARD && a0->kind != QRY_EXPR_REGEX) goto plain;
            /* an unknown function is reported by the compiler (InfluxDB compiles first) */
            for (const qry_expr *x = e;; x = x->u.call.args[0]) {
                if (qry__pl_fn_lookup(x->u.call.name) == NULL) goto plain;
                if (x == in) break;
            }
            /* calls whose compilation refuses a wildcard (before any expansion) */
            if (qry__pl_str_eq(in->u.call.name, "distinct", 8))
                return qry__pl_fail(k, "expected field argument in distinct()");
            if (qry__pl_str_eq(in->u.call.name, "top", 3) ||
                qry__pl_str_eq(in->u.call.name, "bottom", 6)) {
                char lit[256];
                qry_expr_format(a0, QRY_FMT_INFLUX, lit, sizeof lit);
                return qry__pl_fail(k, "expected first argument to be a field in %.*s(), found %s",
                                    (int)in->u.call.name.len, in->u.call.name.ptr, lit);
            }
            if (a0->kind == QRY_EXPR_WILDCARD && a0->u.wildcard == QRY_VT_TAG)
                return qry__pl_fail(k, "unable to use tag wildcard in %.*s()",
                                    (int)in->u.call.name.len, in->u.call.name.ptr);
            qry_re *re = NULL;
            if (a0->kind == QRY_EXPR_REGEX &&
                qry__re_compile(k->c, a0->u.str.ptr, a0->u.str.len, &re) != STRATA_OK)
                return STRATA_EINVAL;
            unsigned types = wildcard_types(in->u.call.name);
            qry_buf nm = {0};
            if (f->alias.len)
                qry_buf_put(&nm, f->alias.ptr, f->alias.len);
            else
                qry_buf_put(&nm, e->u.call.name.ptr, e->u.call.name.len);
            for (size_t j = 0; j < k->nkn; j++) {
                const known *kn = &k->kn[j];
                if (kn->is_tag || !(types & (1u << kn->type))) continue;
                if (re && !qry__re_match(re, k->c->rm, kn->name.ptr, kn->name.len)) continue;
                qry_expr *v = qry__pl_mk_varref(k, kn->name, QRY_VT_UNKNOWN);
                qry_expr *call = v ? clone_nested(k, e, v) : NULL;
                char *al = qry__alloc(k->c, nm.n + 1 + kn->name.len + 1);
                if (call == NULL || al == NULL) {
                    qry_buf_fini(&nm);
                    return STRATA_ENOMEM;
                }
                memcpy(al, nm.p, nm.n);
                al[nm.n] = '_';
                memcpy(al + nm.n + 1, kn->name.ptr, kn->name.len);
                al[nm.n + 1 + kn->name.len] = 0;
                if (add_col(k, call, (qry_str){al, nm.n + 1 + kn->name.len}) != STRATA_OK) {
                    qry_buf_fini(&nm);
                    return STRATA_ENOMEM;
                }
            }
            qry_buf_fini(&nm);
            continue;
        }
    plain:
        if (add_col(k, e, f->alias) != STRATA_OK) return STRATA_ENOMEM;
    }
    return STRATA_OK;
}

/* ---- GROUP BY ---------------------------------------------------------------- */

/* (t - zero time) mod d, as Go's t.Sub(t.Truncate(d)) for times after year 1. */
static int64_t go_truncate_rem(int64_t t, int64_t d)
{
    __int128 z = (__int128)62135596800LL * 1000000000LL; /* year 1 -> 1970 */
    __int128 x = (__int128)t + z;
    __int128 r = x % d;
    if (r < 0) r += d;
    return (int64_t)r;
}

static int compile_dims(comp *k)
{
    const qry_select *s = k->s;
    qry_plan *p = k->p;
    for (uint32_t i = 0; i < s->ndims; i++) {
        const qry_expr *d = s->dims[i];
        while (d->kind == QRY_EXPR_PAREN)
            d = d->u.paren.expr;
        switch (d->kind) {
        case QRY_EXPR_VARREF:
            if (d->u.ref.name.len == 4 && strncasecmp(d->u.ref.name.ptr, "time", 4) == 0)
                return qry__pl_fail(k, "time() is a function and expects at least one argument");
            break;
        case QRY_EXPR_CALL: {
            if (!qry__pl_str_eq(d->u.call.name, "time", 4))
                return qry__pl_fail(k, "only time() calls allowed in dimensions");
            uint32_t na = d->u.call.nargs;
            if (na < 1 || na > 2)
                return qry__pl_fail(k, "time dimension expected 1 or 2 arguments");
            if (d->u.call.args[0]->kind != QRY_EXPR_DURATION)
                return qry__pl_fail(k, "time dimension must have duration argument");
            if (p->interval != 0) return qry__pl_fail(k, "multiple time dimensions not allowed");
            p->interval = d->u.call.args[0]->u.dur_ns;
            if (p->interval <= 0) return qry__pl_fail(k, "invalid group interval");
            if (na == 2) {
                const qry_expr *o = d->u.call.args[1];
                if (o->kind == QRY_EXPR_DURATION) {
                    p->offset = o->u.dur_ns % p->interval;
                } else if (o->kind == QRY_EXPR_CALL) {
                    if (!qry__pl_str_eq(o->u.call.name, "now", 3))
                        return qry__pl_fail(k, "time dimension offset function must be now()");
                    if (o->u.call.nargs != 0)
                        return qry__pl_fail(
                            k, "time dimension offset now() function requires no arguments");
                    p->offset = go_truncate_rem(k->c->now_ns, p->interval);
                } else if (o->kind == QRY_EXPR_STRING) {
                    /* InfluxDB 1.6 refuses time literals here */
                    char lit[256];
                    qry_expr_format(o, QRY_FMT_INFLUX, lit, sizeof lit);
                    return qry__pl_fail(k, "invalid time dimension offset: %s", lit);
                } else {
                    return qry__pl_fail(k, "time dimension offset must be duration or now()");
                }
            }
            continue;
        }
        case QRY_EXPR_WILDCARD:
            p->dim_star = 1;
            continue;
        case QRY_EXPR_REGEX: {
            qry_re *re;
            if (qry__re_compile(k->c, d->u.str.ptr, d->u.str.len, &re) != STRATA_OK)
                return STRATA_EINVAL;
            qry_re **nr = qry__alloc(k->c, (p->ndim_res + 1) * sizeof *nr);
            if (nr == NULL) return STRATA_ENOMEM;
            if (p->ndim_res) memcpy(nr, p->dim_res, p->ndim_res * sizeof *nr);
            nr[p->ndim_res++] = re;
            p->dim_res = nr;
            continue;
        }
        default:
            return qry__pl_fail(k, "only time and tag dimensions allowed");
        }
        /* a tag key (deduplicated, kept sorted) */
        qry_str nm = d->u.ref.name;
        int dup = 0;
        for (size_t j = 0; j < p->ndims; j++)
            if (p->dims[j].len == nm.len && memcmp(p->dims[j].ptr, nm.ptr, nm.len) == 0) dup = 1;
        if (dup) continue;
        qry_str *nd = qry__alloc(k->c, (p->ndims + 1) * sizeof *nd);
        if (nd == NULL) return STRATA_ENOMEM;
        size_t pos = 0;
        while (pos < p->ndims &&
               qry__pl_str_cmp(p->dims[pos].ptr, p->dims[pos].len, nm.ptr, nm.len) < 0)
            pos++;
        if (pos) memcpy(nd, p->dims, pos * sizeof *nd);
        nd[pos] = nm;
        if (p->ndims > pos) memcpy(nd + pos + 1, p->dims + pos, (p->ndims - pos) * sizeof *nd);
        p->dims = nd;
        p->ndims++;
    }
    return STRATA_OK;
}

/* ---- the compiler --------------------------------------------------------------- */

static int check_fill(comp *k)
{
    qry_plan *p = k->p;
    const qry_select *s = k->s;
    p->fill = s->fill;
    if (s->fill == QRY_FILL_NUMBER)
        p->fillv = s->fill_is_int ? qry_val_i(s->fill_i64) : qry_val_f(s->fill_f64);
    return STRATA_OK;
}

int qry__plan_select(qry_ctx *c, const qry_select *s, qry_plan *p)
{
    comp k;
    memset(&k, 0, sizeof k);
    memset(p, 0, sizeof *p);
    k.c = c;
    k.p = p;
    k.s = s;
    k.only_selectors = 1;
    p->sel = s;
    p->time_name = (qry_str){"time", 4};
    p->limit = s->limit;
    p->offset_rows = s->offset;
    p->slimit = s->slimit;
    p->soffset = s->soffset;
    for (uint32_t i = 0; i < s->nsort; i++)
        if (!s->sort[i].asc) p->desc = 1;
    int rc;

    if (s->target != NULL)
        return qry__fail(c, STRATA_EUNSUPPORTED, "SELECT ... INTO is not supported by this server");

    if (s->tz.len) {
        if ((rc = qry__tz_load(s->tz.ptr, s->tz.len, &p->tz, c->err)) != STRATA_OK) return rc;
        /* freed with the plan (qry__plan_free) */
    }

    /* WHERE: time range and the rest (InfluxDB does this first). */
    if ((rc = qry__cond_split(c, s->cond, p->tz, &p->tmin, &p->tmax, &p->cond)) != STRATA_OK)
        return rc;
    if ((rc = compile_dims(&k)) != STRATA_OK) return rc;
    check_fill(&k);
    if (c->sub.active) {
        /* a subquery inherits the outer time range, interval and fill(none) */
        if (c->sub.tmin > p->tmin) p->tmin = c->sub.tmin;
        if (c->sub.tmax < p->tmax) p->tmax = c->sub.tmax;
        if (p->interval == 0 && c->sub.interval && !s->is_raw) {
            p->interval = c->sub.interval;
            p->offset = c->sub.offset;
        }
        if (p->interval && p->fill == QRY_FILL_NULL) p->fill = QRY_FILL_NONE;
    }
    if (p->tmax == QRY_MAX_TIME && p->interval != 0) p->tmax = c->now_ns;

    if ((rc = stg_engine_read_begin(c->e, &k.txn, c->err)) != STRATA_OK) return rc;
    rc = resolve_sources(&k);
    if (rc == STRATA_OK) rc = load_known(&k);
    stg_engine_read_end(c->e, k.txn);
    if (rc != STRATA_OK) return rc;

    if ((rc = expand_fields(&k)) != STRATA_OK)
        return rc == STRATA_ENOMEM ? qry__fail(c, rc, "out of memory") : rc;

    /* compileFields: drop `time`, build the nodes. */
    size_t ncols = 0;
    qry_node **nodes = qry__alloc(c, (k.ncols * 2 + 1) * sizeof *nodes);
    qry_str *aliases = qry__alloc(c, (k.ncols * 2 + 1) * sizeof *aliases);
    const qry_expr **exprs = qry__alloc(c, (k.ncols * 2 + 1) * sizeof *exprs);
    if (!nodes || !aliases || !exprs) return STRATA_ENOMEM;
    for (size_t i = 0; i < k.ncols; i++) {
        const qry_expr *e = k.cols[i].expr;
        if (e->kind == QRY_EXPR_VARREF && qry__pl_str_eq(e->u.ref.name, "time", 4)) {
            if (k.cols[i].alias.len) p->time_name = k.cols[i].alias;
            continue;
        }
        e = qry__pl_fold(&k, e);
        if (qry__pl_only_literal(e))
            return qry__pl_fail(&k, "field must contain at least one variable");
        qry_node *n = qry__pl_build(&k, e, 1);
        if (n == NULL) return c->err->code ? c->err->code : STRATA_ENOMEM;
        nodes[ncols] = n;
        aliases[ncols] = k.cols[i].alias;
        exprs[ncols] = e;
        ncols++;
        if (n->kind == QN_AGG && (n->fn == QF_TOP || n->fn == QF_BOTTOM)) {
            /* the tag/field arguments become columns of their own */
            for (uint32_t j = 0; j < n->ntagargs; j++) {
                qry_expr *v = qry__pl_mk_varref(&k, n->tagargs[j], QRY_VT_UNKNOWN);
                qry_node *f = v ? qry__pl_build(&k, v, 0) : NULL;
                if (f == NULL) return STRATA_ENOMEM;
                nodes[ncols] = f;
                aliases[ncols] = (qry_str){"", 0};
                exprs[ncols] = v;
                ncols++;
            }
        }
    }

    /* validateFields: a wildcard counts as a field before it is expanded, so a
     * wildcard over measurements that do not exist is an empty answer. */
    if (ncols == 0 && k.has_aux && p->nsrcs == 0) return STRATA_OK;
    if (ncols == 0) return qry__pl_fail(&k, "at least 1 non-time field must be queried");
    if (k.ncalls > 1 && k.topbottom)
        return qry__pl_fail(&k, "selector function %s() cannot be combined with other functions",
                            k.topbottom);
    if (k.ncalls == 0) {
        if (p->interval != 0)
            return qry__pl_fail(&k, "GROUP BY requires at least one aggregate function");
    }
    if (k.has_distinct && (k.ncalls != 1 || k.has_aux))
        return qry__pl_fail(
            &k, "aggregate function distinct() cannot be combined with other functions or fields");
    if (k.has_aux && k.ncalls > 0) {
        if (!k.only_selectors)
            return qry__pl_fail(&k, "mixing aggregate and non-aggregate queries is not supported");
        if (k.ncalls > 1)
            return qry__pl_fail(
                &k, "mixing multiple selector functions with tags or fields is not supported");
    }

    p->ncols = ncols;
    p->cols = nodes;
    p->raw = k.ncalls == 0;
    p->aggs = k.aggs;
    p->naggs = k.naggs;
    p->has_aux = k.has_aux && k.ncalls > 0;
    p->distinct_only = k.has_distinct;
    if (k.ncalls == 1 && k.naggs == 1 && qry__fn_is_selector(k.aggs[0]->fn) && !p->has_xform)
        p->selector = 1;
    if (k.topbottom) p->top_bottom = 1;
    if ((rc = qry__pl_name_columns(&k, nodes, aliases, exprs, ncols)) != STRATA_OK)
        return qry__fail(c, rc, "out of memory");

    /* InfluxDB's auxiliary fields: the selected names, sorted */
    p->aux_order = qry__alloc(c, (p->nfnames ? p->nfnames : 1) * sizeof *p->aux_order);
    if (p->aux_order == NULL) return STRATA_ENOMEM;
    p->naux = 0;
    for (size_t i = 0; i < p->nfnames; i++) {
        if (!p->fdriver[i]) continue;
        size_t j = p->naux++;
        while (j > 0) {
            const qry_str *a = &p->fnames[p->aux_order[j - 1]], *b = &p->fnames[i];
            if (qry__pl_str_cmp(a->ptr, a->len, b->ptr, b->len) <= 0) break;
            p->aux_order[j] = p->aux_order[j - 1];
            j--;
        }
        p->aux_order[j] = (int)i;
    }
    return STRATA_OK;
}
