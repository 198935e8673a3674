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

#include "query/duration.h"
#include "query/exec_int.h"

/* ---- function table ------------------------------------------------------- */

typedef struct fn_def {
    const char *name;
    qry_fn fn;
    int kind; /* 0 aggregate, 1 selector, 2 transform, 3 math, 4 special */
} fn_def;

static const fn_def fn_table[] = {
    {"count", QF_COUNT, 0},
    {"sum", QF_SUM, 0},
    {"mean", QF_MEAN, 0},
    {"median", QF_MEDIAN, 0},
    {"mode", QF_MODE, 0},
    {"stddev", QF_STDDEV, 0},
    {"spread", QF_SPREAD, 0},
    {"min", QF_MIN, 1},
    {"max", QF_MAX, 1},
    {"first", QF_FIRST, 1},
    {"last", QF_LAST, 1},
    {"percentile", QF_PERCENTILE, 4},
    {"sample", QF_SAMPLE, 4},
    {"distinct", QF_DISTINCT, 4},
    {"top", QF_TOP, 4},
    {"bottom", QF_BOTTOM, 4},
    {"integral", QF_INTEGRAL, 4},
    {"derivative", QF_DERIVATIVE, 2},
    {"non_negative_derivative", QF_NN_DERIVATIVE, 2},
    {"difference", QF_DIFFERENCE, 2},
    {"non_negative_difference", QF_NN_DIFFERENCE, 2},
    {"moving_average", QF_MOVING_AVERAGE, 2},
    {"cumulative_sum", QF_CUMULATIVE_SUM, 2},
    {"elapsed", QF_ELAPSED, 2},
    {"abs", QF_ABS, 3},
    {"sin", QF_SIN, 3},
    {"cos", QF_COS, 3},
    {"tan", QF_TAN, 3},
    {"asin", QF_ASIN, 3},
    {"acos", QF_ACOS, 3},
    {"atan", QF_ATAN, 3},
    {"atan2", QF_ATAN2, 3},
    {"exp", QF_EXP, 3},
    {"log", QF_LOG, 3},
    {"ln", QF_LN, 3},
    {"log2", QF_LOG2, 3},
    {"log10", QF_LOG10, 3},
    {"sqrt", QF_SQRT, 3},
    {"pow", QF_POW, 3},
    {"floor", QF_FLOOR, 3},
    {"ceil", QF_CEIL, 3},
    {"round", QF_ROUND, 3},
};

static const fn_def *fn_lookup(qry_str name)
{
    for (size_t i = 0; i < sizeof fn_table / sizeof fn_table[0]; i++)
        if (strlen(fn_table[i].name) == name.len && memcmp(fn_table[i].name, name.ptr, name.len) == 0)
            return &fn_table[i];
    return NULL;
}

int qry__fn_is_selector(qry_fn f)
{
    switch (f) {
    case QF_MIN:
    case QF_MAX:
    case QF_FIRST:
    case QF_LAST:
    case QF_PERCENTILE:
    case QF_SAMPLE:
    case QF_TOP:
    case QF_BOTTOM:
        return 1;
    default:
        return 0;
    }
}

/* Functions a wildcard argument expands to only numeric fields for. */
static int fn_numeric_only(qry_fn f)
{
    switch (f) {
    case QF_COUNT:
    case QF_FIRST:
    case QF_LAST:
    case QF_DISTINCT:
    case QF_MODE:
    case QF_SAMPLE:
    case QF_ELAPSED:
        return 0;
    default:
        return 1;
    }
}

/* ---- statement state during compilation ------------------------------------------- */

typedef struct col_def {
    const qry_expr *expr;
    qry_str alias;
    qry_node *node;
} col_def;

/* One name known in the sources: a field (with its type) or a tag key. */
typedef struct known {
    qry_str name;
    int is_tag;
    stg_type type;
} known;

typedef struct comp {
    qry_ctx *c;
    qry_plan *p;
    const qry_select *s;
    MDB_txn *txn;
    known *kn;
    size_t nkn, capkn;
    col_def *cols;
    size_t ncols, capcols;
    /* InfluxDB's compiledStatement flags */
    int has_aux, only_selectors, has_distinct;
    int ncalls;
    const char *topbottom;
    qry_node **aggs;
    size_t naggs, capaggs;
} comp;

static int fail(comp *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(comp *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strata_error_setv(k->c->err, STRATA_EINVAL, fmt, ap);
    va_end(ap);
    return STRATA_EINVAL;
}

static int grow(comp *k, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return STRATA_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *n = qry__alloc(k->c, nc * elem);
    if (n == NULL)
        return STRATA_ENOMEM;
    if (*cap)
        memcpy(n, *arr, *cap * elem);
    *arr = n;
    *cap = nc;
    return STRATA_OK;
}

static int str_eq(qry_str a, const char *b, size_t bl)
{
    return a.len == bl && memcmp(a.ptr, b, bl) == 0;
}

static int str_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    if (r)
        return r;
    return al < bl ? -1 : al > bl;
}

/* ---- sources ---------------------------------------------------------------- */

int qry__resolve_db(qry_ctx *c, const qry_measurement *m, uint32_t *db, const char **name)
{
    const char *dbn = m && m->db.len ? m->db.ptr : c->db;
    if (dbn == NULL || dbn[0] == 0)
        return qry__fail(c, STRATA_EINVAL, "database name required");
    if (name)
        *name = dbn;
    if (stg_db_lookup(c->e, dbn, db) != STRATA_OK)
        return qry__fail(c, STRATA_ENOTFOUND, "database not found: %s", dbn);
    /* the only retention policy is autogen: FROM db.rp.m, or the request's rp parameter */
    qry_str rp = m && m->rp.len ? m->rp : (qry_str){"", 0};
    if (rp.len == 0 && c->req && c->req->rp && c->req->rp[0])
        rp = (qry_str){c->req->rp, strlen(c->req->rp)};
    if (rp.len && !(rp.len == 7 && memcmp(rp.ptr, "autogen", 7) == 0))
        return qry__fail(c, STRATA_ENOTFOUND, "retention policy not found: %.*s", (int)rp.len,
                         rp.ptr);
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
        if (p->srcs[i].mid == mid)
            return STRATA_OK;
    size_t cap = p->nsrcs;
    /* grow by one, arena-style (few sources) */
    qry_msrc *n = qry__alloc(k->c, (cap + 1) * sizeof *n);
    if (n == NULL)
        return STRATA_ENOMEM;
    if (cap)
        memcpy(n, p->srcs, cap * sizeof *n);
    n[cap].name = qry__strndup(k->c, name, len);
    if (n[cap].name == NULL)
        return STRATA_ENOMEM;
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
        if (mc->rc != STRATA_OK)
            return 1;
    }
    return 0;
}

static int src_cmp(const void *a, const void *b)
{
    const qry_msrc *x = a, *y = b;
    return str_cmp(x->name, x->len, y->name, y->len);
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
        if (rc != STRATA_OK)
            return rc;
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
            if (mc.rc != STRATA_OK)
                return qry__fail(k->c, mc.rc, "out of memory");
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
    if (p->nsrcs > 1)
        qsort(p->srcs, p->nsrcs, sizeof *p->srcs, src_cmp);
    return STRATA_OK;
}

/* ---- known fields and tags of the sources ---------------------------------------------- */

static int known_add(comp *k, const char *n, size_t l, int is_tag, stg_type t)
{
    for (size_t i = 0; i < k->nkn; i++)
        if (k->kn[i].is_tag == is_tag && str_eq(k->kn[i].name, n, l))
            return 0;
    if (grow(k, (void **)&k->kn, &k->capkn, k->nkn + 1, sizeof *k->kn) != STRATA_OK)
        return 1;
    char *d = qry__strndup(k->c, n, l);
    if (d == NULL)
        return 1;
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
            found = d->kind == QRY_EXPR_VARREF && str_eq(d->u.ref.name, kk, kl);
        }
        if (!found)
            return 0;
    }
    return known_add(ctx, kk, kl, 1, 0);
}

static int known_cmp(const void *a, const void *b)
{
    const known *x = a, *y = b;
    int r = str_cmp(x->name.ptr, x->name.len, y->name.ptr, y->name.len);
    if (r)
        return r;
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
    if (k->nkn > 1)
        qsort(k->kn, k->nkn, sizeof *k->kn, known_cmp);
    return STRATA_OK;
}

/* ---- expression helpers ---------------------------------------------------------------- */

static qry_expr *mk_varref(comp *k, qry_str name, qry_vtype t)
{
    qry_expr *e = qry__alloc(k->c, sizeof *e);
    if (e == NULL)
        return NULL;
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
    if (e == NULL)
        return NULL;
    *e = *call;
    qry_expr **args = qry__alloc(k->c, call->u.call.nargs * sizeof *args);
    if (args == NULL)
        return NULL;
    memcpy(args, call->u.call.args, call->u.call.nargs * sizeof *args);
    args[0] = arg0;
    e->u.call.args = args;
    return e;
}

static int is_dim_tag(comp *k, qry_str name)
{
    const qry_select *s = k->s;
    for (uint32_t i = 0; i < s->ndims; i++) {
        const qry_expr *d = s->dims[i];
        if (d->kind == QRY_EXPR_WILDCARD)
            return 1;
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
    if (grow(k, (void **)&k->cols, &k->capcols, k->ncols + 1, sizeof *k->cols) != STRATA_OK)
        return STRATA_ENOMEM;
    k->cols[k->ncols].expr = e;
    k->cols[k->ncols].alias = alias;
    k->cols[k->ncols].node = NULL;
    k->ncols++;
    return STRATA_OK;
}

/* Field.Name() of InfluxQL. */
static void expr_name(const qry_expr *e, qry_buf *b)
{
    switch (e->kind) {
    case QRY_EXPR_CALL:
        qry_buf_put(b, e->u.call.name.ptr, e->u.call.name.len);
        break;
    case QRY_EXPR_VARREF:
        qry_buf_put(b, e->u.ref.name.ptr, e->u.ref.name.len);
        break;
    case QRY_EXPR_PAREN:
        expr_name(e->u.paren.expr, b);
        break;
    case QRY_EXPR_DISTINCT:
        qry_buf_puts(b, "distinct");
        break;
    case QRY_EXPR_BINARY: {
        /* BinaryExprName: var refs and call names in walk order, joined by "_" */
        const qry_expr *st[2] = {e->u.bin.lhs, e->u.bin.rhs};
        for (int i = 0; i < 2; i++) {
            const qry_expr *x = st[i];
            while (x->kind == QRY_EXPR_PAREN)
                x = x->u.paren.expr;
            if (x->kind == QRY_EXPR_VARREF || x->kind == QRY_EXPR_CALL ||
                x->kind == QRY_EXPR_BINARY || x->kind == QRY_EXPR_DISTINCT) {
                size_t before = b->n;
                if (x->kind == QRY_EXPR_BINARY) {
                    qry_buf tmp = {0};
                    expr_name(x, &tmp);
                    if (tmp.n) {
                        if (before && b->p[before - 1] != '\x01')
                            qry_buf_putc(b, '\x01');
                        qry_buf_put(b, tmp.p, tmp.n);
                    }
                    qry_buf_fini(&tmp);
                } else {
                    if (before && b->p[before - 1] != '\x01')
                        qry_buf_putc(b, '\x01');
                    expr_name(x, b);
                }
            }
        }
        break;
    }
    default:
        break;
    }
}

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
                if (kn->is_tag ? !want_t : !want_f)
                    continue;
                if (kn->is_tag && is_dim_tag(k, kn->name))
                    continue;
                if (re && !qry__re_match(re, k->c->rm, kn->name.ptr, kn->name.len))
                    continue;
                qry_expr *v = mk_varref(k, kn->name, kn->is_tag ? QRY_VT_TAG : QRY_VT_UNKNOWN);
                if (v == NULL || add_col(k, v, (qry_str){"", 0}) != STRATA_OK)
                    return STRATA_ENOMEM;
            }
            continue;
        }
        if (e->kind == QRY_EXPR_CALL && e->u.call.nargs >= 1 &&
            (e->u.call.args[0]->kind == QRY_EXPR_WILDCARD ||
             e->u.call.args[0]->kind == QRY_EXPR_REGEX)) {
            const qry_expr *a0 = e->u.call.args[0];
            const fn_def *fd = fn_lookup(e->u.call.name);
            if (fd == NULL || fd->kind == 3)
                goto plain; /* reported by the checks below */
            qry_re *re = NULL;
            if (a0->kind == QRY_EXPR_REGEX &&
                qry__re_compile(k->c, a0->u.str.ptr, a0->u.str.len, &re) != STRATA_OK)
                return STRATA_EINVAL;
            qry_buf nm = {0};
            if (f->alias.len)
                qry_buf_put(&nm, f->alias.ptr, f->alias.len);
            else
                qry_buf_put(&nm, e->u.call.name.ptr, e->u.call.name.len);
            for (size_t j = 0; j < k->nkn; j++) {
                const known *kn = &k->kn[j];
                if (kn->is_tag)
                    continue;
                if (fn_numeric_only(fd->fn) && kn->type != STG_FLOAT && kn->type != STG_INT &&
                    kn->type != STG_UINT)
                    continue;
                if (re && !qry__re_match(re, k->c->rm, kn->name.ptr, kn->name.len))
                    continue;
                qry_expr *v = mk_varref(k, kn->name, QRY_VT_UNKNOWN);
                qry_expr *call = v ? clone_call_with_arg0(k, e, v) : NULL;
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
            /* wildcards count as selector-breaking, as InfluxDB's compileSymbol does */
            continue;
        }
    plain:
        if (add_col(k, e, f->alias) != STRATA_OK)
            return STRATA_ENOMEM;
    }
    return STRATA_OK;
}

/* ---- nodes ------------------------------------------------------------------ */

static qry_node *new_node(comp *k, qry_nk kind)
{
    qry_node *n = qry__alloc(k->c, sizeof *n);
    if (n == NULL)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->field = -1;
    n->agg = -1;
    return n;
}

/* Index of name in plan->fnames (added when new). */
static int field_slot(comp *k, qry_str name, qry_vtype cast, int driver)
{
    qry_plan *p = k->p;
    for (size_t i = 0; i < p->nfnames; i++)
        if (p->fnames[i].len == name.len && memcmp(p->fnames[i].ptr, name.ptr, name.len) == 0 &&
            p->fcast[i] == cast) {
            if (driver)
                p->fdriver[i] = 1;
            return (int)i;
        }
    size_t n = p->nfnames;
    qry_str *fn = qry__alloc(k->c, (n + 1) * sizeof *fn);
    uint8_t *fd = qry__alloc(k->c, n + 1);
    qry_vtype *fc = qry__alloc(k->c, (n + 1) * sizeof *fc);
    if (!fn || !fd || !fc)
        return -1;
    if (n) {
        memcpy(fn, p->fnames, n * sizeof *fn);
        memcpy(fd, p->fdriver, n);
        memcpy(fc, p->fcast, n * sizeof *fc);
    }
    fn[n] = name;
    fd[n] = (uint8_t)driver;
    fc[n] = cast;
    p->fnames = fn;
    p->fdriver = fd;
    p->fcast = fc;
    p->nfnames = n + 1;
    return (int)n;
}

static int add_agg(comp *k, qry_node *n)
{
    if (grow(k, (void **)&k->aggs, &k->capaggs, k->naggs + 1, sizeof *k->aggs) != STRATA_OK)
        return STRATA_ENOMEM;
    n->agg = (int)k->naggs;
    k->aggs[k->naggs++] = n;
    return STRATA_OK;
}

static int is_literal(const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_INTEGER:
    case QRY_EXPR_UNSIGNED:
    case QRY_EXPR_NUMBER:
    case QRY_EXPR_STRING:
    case QRY_EXPR_BOOL:
    case QRY_EXPR_DURATION:
    case QRY_EXPR_REGEX:
        return 1;
    default:
        return 0;
    }
}

static void fmt_expr(const qry_expr *e, char *buf, size_t cap)
{
    qry_expr_format(e, QRY_FMT_INFLUX, buf, cap);
}

/* Go's %T of an InfluxQL literal node, for messages. */
static const char *go_type(const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_INTEGER:
        return "*influxql.IntegerLiteral";
    case QRY_EXPR_UNSIGNED:
        return "*influxql.UnsignedLiteral";
    case QRY_EXPR_NUMBER:
        return "*influxql.NumberLiteral";
    case QRY_EXPR_STRING:
        return "*influxql.StringLiteral";
    case QRY_EXPR_BOOL:
        return "*influxql.BooleanLiteral";
    case QRY_EXPR_DURATION:
        return "*influxql.DurationLiteral";
    case QRY_EXPR_REGEX:
        return "*influxql.RegexLiteral";
    case QRY_EXPR_VARREF:
        return "*influxql.VarRef";
    case QRY_EXPR_CALL:
        return "*influxql.Call";
    case QRY_EXPR_BINARY:
        return "*influxql.BinaryExpr";
    case QRY_EXPR_PAREN:
        return "*influxql.ParenExpr";
    case QRY_EXPR_WILDCARD:
        return "*influxql.Wildcard";
    case QRY_EXPR_DISTINCT:
        return "*influxql.Distinct";
    }
    return "?";
}

static qry_node *build(comp *k, const qry_expr *e, int allow_wild);

/* compileSymbol: the argument of an aggregate must be a field reference. */
static qry_node *agg_symbol(comp *k, const char *name, const qry_expr *arg, qry_node *n)
{
    if (arg->kind == QRY_EXPR_WILDCARD || arg->kind == QRY_EXPR_REGEX) {
        fail(k, "unsupported expression with %s: %s()",
             arg->kind == QRY_EXPR_WILDCARD ? "wildcard" : "regex field", name);
        return NULL;
    }
    if (arg->kind != QRY_EXPR_VARREF) {
        fail(k, "expected field argument in %s()", name);
        return NULL;
    }
    n->field = field_slot(k, arg->u.ref.name, arg->u.ref.type, 0);
    if (n->field < 0 || add_agg(k, n) != STRATA_OK) {
        qry__fail(k->c, STRATA_ENOMEM, "out of memory");
        return NULL;
    }
    return n;
}

static qry_node *build_distinct(comp *k, const qry_expr *arg, int nested, qry_fn fn)
{
    if (arg->kind != QRY_EXPR_VARREF) {
        fail(k, "expected field argument in distinct()");
        return NULL;
    }
    if (!nested)
        k->has_distinct = 1;
    k->only_selectors = 0;
    qry_node *n = new_node(k, QN_AGG);
    if (n == NULL)
        return NULL;
    n->fn = fn;
    n->field = field_slot(k, arg->u.ref.name, arg->u.ref.type, 0);
    if (n->field < 0 || add_agg(k, n) != STRATA_OK)
        return NULL;
    return n;
}

static int duration_arg(comp *k, const char *name, const qry_expr *a, int64_t *out,
                        const char *kind_msg)
{
    if (a->kind != QRY_EXPR_DURATION) {
        if (kind_msg)
            return fail(k, "%s", kind_msg);
        return fail(k, "second argument to %s must be a duration, got %s", name, go_type(a));
    }
    if (a->u.dur_ns <= 0) {
        char d[QRY_DURATION_FMT_MAX];
        qry_duration_format(a->u.dur_ns, d);
        return fail(k, "duration argument must be positive, got %s", d);
    }
    *out = a->u.dur_ns;
    return STRATA_OK;
}

static qry_node *build_call(comp *k, const qry_expr *e)
{
    qry_str nm = e->u.call.name;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)nm.len, nm.ptr);
    uint32_t na = e->u.call.nargs;
    qry_expr **a = e->u.call.args;
    const fn_def *fd = fn_lookup(nm);
    k->ncalls++;
    if (fd == NULL) {
        if (strcmp(name, "holt_winters") == 0 || strcmp(name, "holt_winters_with_fit") == 0) {
            qry__fail(k->c, STRATA_EUNSUPPORTED, "%s() is not supported by this server", name);
            return NULL;
        }
        fail(k, "undefined function %s()", name);
        return NULL;
    }
    qry_node *n = new_node(k, QN_AGG);
    if (n == NULL)
        return NULL;
    n->fn = fd->fn;
    switch (fd->kind) {
    case 0:
    case 1:
        if (fd->kind == 0)
            k->only_selectors = 0;
        if (na != 1) {
            fail(k, "invalid number of arguments for %s, expected 1, got %u", name, na);
            return NULL;
        }
        if (fd->fn == QF_COUNT) {
            const qry_expr *x = a[0];
            if (x->kind == QRY_EXPR_CALL && str_eq(x->u.call.name, "distinct", 8)) {
                if (x->u.call.nargs == 0) {
                    fail(k, "distinct function requires at least one argument");
                    return NULL;
                }
                if (x->u.call.nargs != 1) {
                    fail(k, "distinct function can only have one argument");
                    return NULL;
                }
                return build_distinct(k, x->u.call.args[0], 1, QF_COUNT_DISTINCT);
            }
            if (x->kind == QRY_EXPR_DISTINCT) {
                qry_expr *v = mk_varref(k, x->u.str, QRY_VT_UNKNOWN);
                return v ? build_distinct(k, v, 1, QF_COUNT_DISTINCT) : NULL;
            }
        }
        return agg_symbol(k, name, a[0], n);
    case 2: { /* transforms */
        k->only_selectors = 0;
        n->kind = QN_XFORM;
        if (n->fn == QF_DERIVATIVE || n->fn == QF_NN_DERIVATIVE || n->fn == QF_ELAPSED) {
            if (na < 1 || na > 2) {
                fail(k, "invalid number of arguments for %s, expected at least 1 but no more than 2, got %u",
                     name, na);
                return NULL;
            }
            n->unit_ns = 0; /* derivative: the GROUP BY interval or 1s; elapsed: 1ns */
            if (na == 2 && duration_arg(k, name, a[1], &n->unit_ns, NULL) != STRATA_OK)
                return NULL;
        } else if (n->fn == QF_MOVING_AVERAGE) {
            if (na != 2) {
                fail(k, "invalid number of arguments for moving_average, expected 2, got %u", na);
                return NULL;
            }
            if (a[1]->kind != QRY_EXPR_INTEGER) {
                fail(k, "second argument for moving_average must be an integer, got %s",
                     go_type(a[1]));
                return NULL;
            }
            if (a[1]->u.i64 <= 1) {
                fail(k, "moving_average window must be greater than 1, got %lld",
                     (long long)a[1]->u.i64);
                return NULL;
            }
            n->n = a[1]->u.i64;
        } else {
            if (na != 1) {
                fail(k, "invalid number of arguments for %s, expected 1, got %u", name, na);
                return NULL;
            }
        }
        const qry_expr *x = a[0];
        if (x->kind == QRY_EXPR_CALL || x->kind == QRY_EXPR_DISTINCT) {
            if (k->p->interval == 0) {
                fail(k, "%s aggregate requires a GROUP BY interval", name);
                return NULL;
            }
            qry_node *in;
            if (x->kind == QRY_EXPR_DISTINCT) {
                qry_expr *v = mk_varref(k, x->u.str, QRY_VT_UNKNOWN);
                in = v ? build_distinct(k, v, 1, QF_DISTINCT) : NULL;
            } else if (str_eq(x->u.call.name, "distinct", 8)) {
                k->ncalls++;
                if (x->u.call.nargs != 1) {
                    fail(k, x->u.call.nargs ? "distinct function can only have one argument"
                                            : "distinct function requires at least one argument");
                    return NULL;
                }
                in = build_distinct(k, x->u.call.args[0], 1, QF_DISTINCT);
            } else {
                in = build(k, x, 0);
            }
            if (in == NULL)
                return NULL;
            if (in->kind != QN_AGG && in->kind != QN_XFORM) {
                fail(k, "expected field argument in %s()", name);
                return NULL;
            }
            n->args = qry__alloc(k->c, sizeof *n->args);
            if (n->args == NULL)
                return NULL;
            n->args[0] = in;
            n->nargs = 1;
            k->p->has_xform = 1;
            return n;
        }
        if (k->p->interval != 0) {
            fail(k, "aggregate function required inside the call to %s", name);
            return NULL;
        }
        if (x->kind == QRY_EXPR_WILDCARD || x->kind == QRY_EXPR_REGEX) {
            fail(k, "unsupported expression with %s: %s()",
                 x->kind == QRY_EXPR_WILDCARD ? "wildcard" : "regex field", name);
            return NULL;
        }
        if (x->kind != QRY_EXPR_VARREF) {
            fail(k, "expected field argument in %s()", name);
            return NULL;
        }
        qry_node *f = new_node(k, QN_FIELD);
        if (f == NULL)
            return NULL;
        f->name = x->u.ref.name;
        f->cast = x->u.ref.type;
        f->field = field_slot(k, x->u.ref.name, x->u.ref.type, 0);
        n->args = qry__alloc(k->c, sizeof *n->args);
        if (n->args == NULL || f->field < 0)
            return NULL;
        n->args[0] = f;
        n->nargs = 1;
        k->p->has_xform = 1;
        return n;
    }
    case 3: { /* math */
        n->kind = QN_MATH;
        uint32_t want = (n->fn == QF_ATAN2 || n->fn == QF_POW || n->fn == QF_LOG) ? 2 : 1;
        if (na != want) {
            fail(k, "invalid number of arguments for %s, expected %u, got %u", name, want, na);
            return NULL;
        }
        k->ncalls--; /* math functions are not aggregate calls */
        n->args = qry__alloc(k->c, na * sizeof *n->args);
        if (n->args == NULL)
            return NULL;
        n->nargs = na;
        for (uint32_t i = 0; i < na; i++) {
            n->args[i] = build(k, a[i], 0);
            if (n->args[i] == NULL)
                return NULL;
        }
        return n;
    }
    default:
        break;
    }
    /* special aggregates */
    switch (n->fn) {
    case QF_PERCENTILE:
        if (na != 2) {
            fail(k, "invalid number of arguments for percentile, expected 2, got %u", na);
            return NULL;
        }
        if (a[1]->kind == QRY_EXPR_INTEGER)
            n->pct = (double)a[1]->u.i64;
        else if (a[1]->kind == QRY_EXPR_NUMBER)
            n->pct = a[1]->u.f64;
        else {
            fail(k, "expected float argument in percentile()");
            return NULL;
        }
        return agg_symbol(k, name, a[0], n);
    case QF_SAMPLE:
        if (na != 2) {
            fail(k, "invalid number of arguments for sample, expected 2, got %u", na);
            return NULL;
        }
        if (a[1]->kind != QRY_EXPR_INTEGER) {
            fail(k, "expected integer argument in sample()");
            return NULL;
        }
        if (a[1]->u.i64 <= 0) {
            fail(k, "sample window must be greater than 1, got %lld", (long long)a[1]->u.i64);
            return NULL;
        }
        n->n = a[1]->u.i64;
        return agg_symbol(k, name, a[0], n);
    case QF_DISTINCT:
        if (na == 0) {
            fail(k, "distinct function requires at least one argument");
            return NULL;
        }
        if (na != 1) {
            fail(k, "distinct function can only have one argument");
            return NULL;
        }
        return build_distinct(k, a[0], 0, QF_DISTINCT);
    case QF_INTEGRAL:
        k->only_selectors = 0;
        if (na < 1 || na > 2) {
            fail(k, "invalid number of arguments for integral, expected at least 1 but no more than 2, got %u",
                 na);
            return NULL;
        }
        n->unit_ns = 1000000000;
        if (na == 2 &&
            duration_arg(k, name, a[1], &n->unit_ns, "second argument must be a duration") != 0)
            return NULL;
        return agg_symbol(k, name, a[0], n);
    case QF_TOP:
    case QF_BOTTOM: {
        if (k->topbottom) {
            fail(k, "selector function %s() cannot be combined with other functions", k->topbottom);
            return NULL;
        }
        if (na < 2) {
            fail(k, "invalid number of arguments for %s, expected at least 2, got %u", name, na);
            return NULL;
        }
        const qry_expr *lim = a[na - 1];
        char buf[128];
        if (lim->kind != QRY_EXPR_INTEGER) {
            fmt_expr(lim, buf, sizeof buf);
            fail(k, "expected integer as last argument in %s(), found %s", name, buf);
            return NULL;
        }
        if (lim->u.i64 <= 0) {
            fail(k, "limit (%lld) in %s function must be at least 1", (long long)lim->u.i64, name);
            return NULL;
        }
        if (k->s->limit > 0 && lim->u.i64 > k->s->limit) {
            fail(k, "limit (%lld) in %s function can not be larger than the LIMIT (%lld) in the select statement",
                 (long long)lim->u.i64, name, (long long)k->s->limit);
            return NULL;
        }
        if (a[0]->kind != QRY_EXPR_VARREF) {
            fmt_expr(a[0], buf, sizeof buf);
            fail(k, "expected first argument to be a field in %s(), found %s", name, buf);
            return NULL;
        }
        n->n = lim->u.i64;
        if (na > 2) {
            n->ntagargs = na - 2;
            n->tagargs = qry__alloc(k->c, n->ntagargs * sizeof *n->tagargs);
            if (n->tagargs == NULL)
                return NULL;
            for (uint32_t i = 1; i < na - 1; i++) {
                if (a[i]->kind != QRY_EXPR_VARREF) {
                    fmt_expr(a[i], buf, sizeof buf);
                    fail(k, "only fields or tags are allowed in %s(), found %s", name, buf);
                    return NULL;
                }
                n->tagargs[i - 1] = a[i]->u.ref.name;
            }
        }
        k->topbottom = fd->name;
        return agg_symbol(k, name, a[0], n);
    }
    default:
        break;
    }
    fail(k, "undefined function %s()", name);
    return NULL;
}

static qry_node *build1(comp *k, const qry_expr *e, int allow_wild);

static qry_node *build(comp *k, const qry_expr *e, int allow_wild)
{
    qry_node *n = build1(k, e, allow_wild);
    if (n && n->src == NULL)
        n->src = e;
    return n;
}

static qry_node *build1(comp *k, const qry_expr *e, int allow_wild)
{
    qry_node *n;
    switch (e->kind) {
    case QRY_EXPR_VARREF:
        k->has_aux = 1;
        n = new_node(k, QN_FIELD);
        if (n == NULL)
            return NULL;
        n->name = e->u.ref.name;
        n->cast = e->u.ref.type;
        n->field = field_slot(k, e->u.ref.name, e->u.ref.type, 1);
        return n->field < 0 ? NULL : n;
    case QRY_EXPR_WILDCARD:
        fail(k, allow_wild ? "unimplemented" : "unable to use wildcard in a binary expression");
        return NULL;
    case QRY_EXPR_REGEX:
        fail(k, allow_wild ? "unimplemented" : "unable to use regex in a binary expression");
        return NULL;
    case QRY_EXPR_CALL:
        return build_call(k, e);
    case QRY_EXPR_DISTINCT: {
        k->ncalls++;
        qry_expr *v = mk_varref(k, e->u.str, QRY_VT_UNKNOWN);
        return v ? build_distinct(k, v, 0, QF_DISTINCT) : NULL;
    }
    case QRY_EXPR_PAREN:
        return build(k, e->u.paren.expr, allow_wild);
    case QRY_EXPR_BINARY: {
        const qry_expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
        if (is_literal(l) && is_literal(r)) {
            fail(k, "cannot perform a binary expression on two literals");
            return NULL;
        }
        n = new_node(k, QN_BIN);
        if (n == NULL)
            return NULL;
        n->op = e->u.bin.op;
        n->args = qry__alloc(k->c, 2 * sizeof *n->args);
        if (n->args == NULL)
            return NULL;
        n->nargs = 2;
        n->args[0] = build(k, l, 0);
        if (n->args[0] == NULL)
            return NULL;
        n->args[1] = build(k, r, 0);
        return n->args[1] ? n : NULL;
    }
    case QRY_EXPR_INTEGER:
    case QRY_EXPR_UNSIGNED:
    case QRY_EXPR_NUMBER:
    case QRY_EXPR_STRING:
    case QRY_EXPR_BOOL:
    case QRY_EXPR_DURATION:
        n = new_node(k, QN_LIT);
        if (n == NULL)
            return NULL;
        switch (e->kind) {
        case QRY_EXPR_INTEGER:
            n->lit = qry_val_i(e->u.i64);
            break;
        case QRY_EXPR_UNSIGNED:
            n->lit = qry_val_u(e->u.u64);
            break;
        case QRY_EXPR_NUMBER:
            n->lit = qry_val_f(e->u.f64);
            break;
        case QRY_EXPR_STRING:
            n->lit = qry_val_s(e->u.str.ptr, e->u.str.len);
            break;
        case QRY_EXPR_BOOL:
            n->lit = qry_val_b(e->u.b);
            break;
        default:
            n->lit = qry_val_i(e->u.dur_ns);
            break;
        }
        return n;
    }
    fail(k, "unimplemented");
    return NULL;
}

/* ---- constant folding (InfluxQL's Reduce) -------------------------------------------------- */

static int num_lit(const qry_expr *e)
{
    return e->kind == QRY_EXPR_INTEGER || e->kind == QRY_EXPR_NUMBER ||
           e->kind == QRY_EXPR_UNSIGNED;
}

static qry_val lit_val(const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_INTEGER:
        return qry_val_i(e->u.i64);
    case QRY_EXPR_UNSIGNED:
        return qry_val_u(e->u.u64);
    default:
        return qry_val_f(e->u.f64);
    }
}

static const qry_expr *val_lit(comp *k, const qry_expr *like, qry_val v)
{
    qry_expr *n = qry__alloc(k->c, sizeof *n);
    if (n == NULL)
        return like;
    memset(n, 0, sizeof *n);
    n->pos = like->pos;
    n->depth = 1;
    switch (v.t) {
    case QRY_V_INT:
        n->kind = QRY_EXPR_INTEGER;
        n->u.i64 = v.v.i;
        break;
    case QRY_V_UINT:
        n->kind = QRY_EXPR_UNSIGNED;
        n->u.u64 = v.v.u;
        break;
    case QRY_V_BOOL:
        n->kind = QRY_EXPR_BOOL;
        n->u.b = v.v.b;
        break;
    case QRY_V_FLOAT:
        n->kind = QRY_EXPR_NUMBER;
        n->u.f64 = v.v.f;
        break;
    default:
        return like;
    }
    return n;
}

/* Fold constant arithmetic and math calls of constants, as InfluxQL reduces fields. */
static const qry_expr *fold(comp *k, const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_PAREN: {
        const qry_expr *in = fold(k, e->u.paren.expr);
        if (in->kind != QRY_EXPR_PAREN && in->kind != QRY_EXPR_BINARY &&
            in->kind != QRY_EXPR_CALL && in->kind != QRY_EXPR_VARREF)
            return in;
        if (in == e->u.paren.expr)
            return e;
        qry_expr *n = qry__alloc(k->c, sizeof *n);
        if (n == NULL)
            return e;
        *n = *e;
        n->u.paren.expr = (qry_expr *)in;
        return n;
    }
    case QRY_EXPR_BINARY: {
        const qry_expr *l = fold(k, e->u.bin.lhs), *r = fold(k, e->u.bin.rhs);
        if (num_lit(l) && num_lit(r)) {
            qry_val v = qry__binop(e->u.bin.op, lit_val(l), lit_val(r));
            if (v.t != QRY_V_NULL)
                return val_lit(k, e, v);
        }
        if (l == e->u.bin.lhs && r == e->u.bin.rhs)
            return e;
        qry_expr *n = qry__alloc(k->c, sizeof *n);
        if (n == NULL)
            return e;
        *n = *e;
        n->u.bin.lhs = (qry_expr *)l;
        n->u.bin.rhs = (qry_expr *)r;
        return n;
    }
    case QRY_EXPR_CALL: {
        const fn_def *fd = fn_lookup(e->u.call.name);
        if (fd == NULL || fd->kind != 3 || e->u.call.nargs == 0 || e->u.call.nargs > 2)
            return e;
        qry_expr **args = qry__alloc(k->c, e->u.call.nargs * sizeof *args);
        if (args == NULL)
            return e;
        int all = 1, changed = 0;
        qry_val av[2] = {qry_val_null(), qry_val_null()};
        uint32_t na = e->u.call.nargs;
        for (uint32_t i = 0; i < na && i < 2; i++) {
            args[i] = (qry_expr *)fold(k, e->u.call.args[i]);
            changed |= args[i] != e->u.call.args[i];
            if (num_lit(args[i]))
                av[i] = lit_val(args[i]);
            else
                all = 0;
        }
        uint32_t want = (fd->fn == QF_ATAN2 || fd->fn == QF_POW || fd->fn == QF_LOG) ? 2 : 1;
        if (all && e->u.call.nargs == want) {
            qry_val v = qry__math(fd->fn, av, e->u.call.nargs);
            if (v.t != QRY_V_NULL)
                return val_lit(k, e, v);
        }
        if (!changed)
            return e;
        qry_expr *n = qry__alloc(k->c, sizeof *n);
        if (n == NULL)
            return e;
        *n = *e;
        n->u.call.args = args;
        return n;
    }
    default:
        return e;
    }
}

/* A field made only of a literal: InfluxDB's "field must contain at least one variable". */
static int only_literal(const qry_expr *e)
{
    while (e->kind == QRY_EXPR_PAREN)
        e = e->u.paren.expr;
    return is_literal(e);
}

/* ---- column names (ColumnNames) -------------------------------------------------- */

typedef struct name_ent {
    const char *s;
    size_t n;
    int count;
} name_ent;

static name_ent *names_find(name_ent *t, size_t nt, const char *s, size_t n)
{
    for (size_t i = 0; i < nt; i++)
        if (t[i].n == n && memcmp(t[i].s, s, n) == 0)
            return &t[i];
    return NULL;
}

static int name_columns(comp *k, qry_node **nodes, qry_str *aliases, const qry_expr **exprs,
                        size_t n)
{
    qry_plan *p = k->p;
    p->colnames = qry__alloc(k->c, (n + 1) * sizeof *p->colnames);
    p->collens = qry__alloc(k->c, (n + 1) * sizeof *p->collens);
    name_ent *tab = qry__alloc(k->c, (2 * n + 1) * sizeof *tab);
    if (!p->colnames || !p->collens || !tab)
        return STRATA_ENOMEM;
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        p->colnames[i] = NULL;
        if (aliases[i].len) {
            p->colnames[i] = aliases[i].ptr;
            p->collens[i] = aliases[i].len;
            name_ent *e = names_find(tab, nt, aliases[i].ptr, aliases[i].len);
            if (e)
                e->count = 1;
            else
                tab[nt++] = (name_ent){aliases[i].ptr, aliases[i].len, 1};
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (p->colnames[i])
            continue;
        qry_buf b = {0};
        expr_name(exprs[i], &b);
        for (size_t j = 0; j < b.n; j++)
            if (b.p[j] == '\x01')
                b.p[j] = '_';
        char *nm = qry__strndup(k->c, b.p ? b.p : "", b.n);
        size_t nl = b.n;
        qry_buf_fini(&b);
        if (nm == NULL)
            return STRATA_ENOMEM;
        name_ent *e = names_find(tab, nt, nm, nl);
        if (e) {
            int count = e->count;
            for (;;) {
                char tmp[512];
                int tl = snprintf(tmp, sizeof tmp, "%s_%d", nm, count);
                if (!names_find(tab, nt, tmp, (size_t)tl)) {
                    e->count = count + 1;
                    nm = qry__strndup(k->c, tmp, (size_t)tl);
                    if (nm == NULL)
                        return STRATA_ENOMEM;
                    nl = (size_t)tl;
                    break;
                }
                count++;
            }
        }
        e = names_find(tab, nt, nm, nl);
        if (e)
            e->count++;
        else
            tab[nt++] = (name_ent){nm, nl, 1};
        p->colnames[i] = nm;
        p->collens[i] = nl;
    }
    (void)nodes;
    return STRATA_OK;
}

/* ---- GROUP BY ---------------------------------------------------------------- */

/* (t - zero time) mod d, as Go's t.Sub(t.Truncate(d)) for times after year 1. */
static int64_t go_truncate_rem(int64_t t, int64_t d)
{
    __int128 z = (__int128)62135596800LL * 1000000000LL; /* year 1 -> 1970 */
    __int128 x = (__int128)t + z;
    __int128 r = x % d;
    if (r < 0)
        r += d;
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
                return fail(k, "time() is a function and expects at least one argument");
            break;
        case QRY_EXPR_CALL: {
            if (!str_eq(d->u.call.name, "time", 4))
                return fail(k, "only time() calls allowed in dimensions");
            uint32_t na = d->u.call.nargs;
            if (na < 1 || na > 2)
                return fail(k, "time dimension expected 1 or 2 arguments");
            if (d->u.call.args[0]->kind != QRY_EXPR_DURATION)
                return fail(k, "time dimension must have duration argument");
            if (p->interval != 0)
                return fail(k, "multiple time dimensions not allowed");
            p->interval = d->u.call.args[0]->u.dur_ns;
            if (p->interval <= 0)
                return fail(k, "invalid group interval");
            if (na == 2) {
                const qry_expr *o = d->u.call.args[1];
                if (o->kind == QRY_EXPR_DURATION) {
                    p->offset = o->u.dur_ns % p->interval;
                } else if (o->kind == QRY_EXPR_CALL) {
                    if (!str_eq(o->u.call.name, "now", 3))
                        return fail(k, "time dimension offset function must be now()");
                    if (o->u.call.nargs != 0)
                        return fail(k, "time dimension offset now() function requires no arguments");
                    p->offset = go_truncate_rem(k->c->now_ns, p->interval);
                } else if (o->kind == QRY_EXPR_STRING) {
                    /* InfluxDB 1.6 refuses time literals here */
                    char lit[256];
                    qry_expr_format(o, QRY_FMT_INFLUX, lit, sizeof lit);
                    return fail(k, "invalid time dimension offset: %s", lit);
                } else {
                    return fail(k, "time dimension offset must be duration or now()");
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
            if (nr == NULL)
                return STRATA_ENOMEM;
            if (p->ndim_res)
                memcpy(nr, p->dim_res, p->ndim_res * sizeof *nr);
            nr[p->ndim_res++] = re;
            p->dim_res = nr;
            continue;
        }
        default:
            return fail(k, "only time and tag dimensions allowed");
        }
        /* a tag key (deduplicated, kept sorted) */
        qry_str nm = d->u.ref.name;
        int dup = 0;
        for (size_t j = 0; j < p->ndims; j++)
            if (p->dims[j].len == nm.len && memcmp(p->dims[j].ptr, nm.ptr, nm.len) == 0)
                dup = 1;
        if (dup)
            continue;
        qry_str *nd = qry__alloc(k->c, (p->ndims + 1) * sizeof *nd);
        if (nd == NULL)
            return STRATA_ENOMEM;
        size_t pos = 0;
        while (pos < p->ndims && str_cmp(p->dims[pos].ptr, p->dims[pos].len, nm.ptr, nm.len) < 0)
            pos++;
        if (pos)
            memcpy(nd, p->dims, pos * sizeof *nd);
        nd[pos] = nm;
        if (p->ndims > pos)
            memcpy(nd + pos + 1, p->dims + pos, (p->ndims - pos) * sizeof *nd);
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
        if (!s->sort[i].asc)
            p->desc = 1;
    int rc;

    if (s->target != NULL)
        return qry__fail(c, STRATA_EUNSUPPORTED, "SELECT ... INTO is not supported by this server");

    if (s->tz.len) {
        if ((rc = qry__tz_load(s->tz.ptr, s->tz.len, &p->tz, c->err)) != STRATA_OK)
            return rc;
        /* freed with the plan (qry__plan_free) */
    }

    /* WHERE: time range and the rest (InfluxDB does this first). */
    if ((rc = qry__cond_split(c, s->cond, p->tz, &p->tmin, &p->tmax, &p->cond)) != STRATA_OK)
        return rc;
    if ((rc = compile_dims(&k)) != STRATA_OK)
        return rc;
    check_fill(&k);
    if (c->sub.active) {
        /* a subquery inherits the outer time range, interval and fill(none) */
        if (c->sub.tmin > p->tmin)
            p->tmin = c->sub.tmin;
        if (c->sub.tmax < p->tmax)
            p->tmax = c->sub.tmax;
        if (p->interval == 0 && c->sub.interval && !s->is_raw) {
            p->interval = c->sub.interval;
            p->offset = c->sub.offset;
        }
        if (p->interval && p->fill == QRY_FILL_NULL)
            p->fill = QRY_FILL_NONE;
    }
    if (p->tmax == QRY_MAX_TIME && p->interval != 0)
        p->tmax = c->now_ns;

    if ((rc = stg_engine_read_begin(c->e, &k.txn, c->err)) != STRATA_OK)
        return rc;
    rc = resolve_sources(&k);
    if (rc == STRATA_OK)
        rc = load_known(&k);
    stg_engine_read_end(c->e, k.txn);
    if (rc != STRATA_OK)
        return rc;

    if ((rc = expand_fields(&k)) != STRATA_OK)
        return rc == STRATA_ENOMEM ? qry__fail(c, rc, "out of memory") : rc;

    /* compileFields: drop `time`, build the nodes. */
    size_t ncols = 0;
    qry_node **nodes = qry__alloc(c, (k.ncols * 2 + 1) * sizeof *nodes);
    qry_str *aliases = qry__alloc(c, (k.ncols * 2 + 1) * sizeof *aliases);
    const qry_expr **exprs = qry__alloc(c, (k.ncols * 2 + 1) * sizeof *exprs);
    if (!nodes || !aliases || !exprs)
        return STRATA_ENOMEM;
    for (size_t i = 0; i < k.ncols; i++) {
        const qry_expr *e = k.cols[i].expr;
        if (e->kind == QRY_EXPR_VARREF && str_eq(e->u.ref.name, "time", 4)) {
            if (k.cols[i].alias.len)
                p->time_name = k.cols[i].alias;
            continue;
        }
        e = fold(&k, e);
        if (only_literal(e))
            return fail(&k, "field must contain at least one variable");
        qry_node *n = build(&k, e, 1);
        if (n == NULL)
            return c->err->code ? c->err->code : STRATA_ENOMEM;
        nodes[ncols] = n;
        aliases[ncols] = k.cols[i].alias;
        exprs[ncols] = e;
        ncols++;
        if (n->kind == QN_AGG && (n->fn == QF_TOP || n->fn == QF_BOTTOM)) {
            /* the tag/field arguments become columns of their own */
            for (uint32_t j = 0; j < n->ntagargs; j++) {
                qry_expr *v = mk_varref(&k, n->tagargs[j], QRY_VT_UNKNOWN);
                qry_node *f = v ? build(&k, v, 0) : NULL;
                if (f == NULL)
                    return STRATA_ENOMEM;
                nodes[ncols] = f;
                aliases[ncols] = (qry_str){"", 0};
                exprs[ncols] = v;
                ncols++;
            }
        }
    }

    /* validateFields */
    if (ncols == 0)
        return fail(&k, "at least 1 non-time field must be queried");
    if (k.ncalls > 1 && k.topbottom)
        return fail(&k, "selector function %s() cannot be combined with other functions",
                    k.topbottom);
    if (k.ncalls == 0) {
        if (p->interval != 0)
            return fail(&k, "GROUP BY requires at least one aggregate function");
    }
    if (k.has_distinct && (k.ncalls != 1 || k.has_aux))
        return fail(&k, "aggregate function distinct() cannot be combined with other functions or fields");
    if (k.has_aux && k.ncalls > 0) {
        if (!k.only_selectors)
            return fail(&k, "mixing aggregate and non-aggregate queries is not supported");
        if (k.ncalls > 1)
            return fail(&k, "mixing multiple selector functions with tags or fields is not supported");
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
    if (k.topbottom)
        p->top_bottom = 1;
    if ((rc = name_columns(&k, nodes, aliases, exprs, ncols)) != STRATA_OK)
        return qry__fail(c, rc, "out of memory");

    /* InfluxDB's auxiliary fields: the selected names, sorted */
    p->aux_order = qry__alloc(c, (p->nfnames ? p->nfnames : 1) * sizeof *p->aux_order);
    if (p->aux_order == NULL)
        return STRATA_ENOMEM;
    p->naux = 0;
    for (size_t i = 0; i < p->nfnames; i++) {
        if (!p->fdriver[i])
            continue;
        size_t j = p->naux++;
        while (j > 0) {
            const qry_str *a = &p->fnames[p->aux_order[j - 1]], *b = &p->fnames[i];
            if (str_cmp(a->ptr, a->len, b->ptr, b->len) <= 0)
                break;
            p->aux_order[j] = p->aux_order[j - 1];
            j--;
        }
        p->aux_order[j] = (int)i;
    }
    return STRATA_OK;
}
