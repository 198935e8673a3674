/*
 * query/plan_expr.c: the expression half of the SELECT compiler: the function
 * table, the qry_node trees of output columns (with InfluxDB's compileExpr
 * checks and messages: argument counts and kinds, nesting rules, top/bottom
 * limits), constant folding as InfluxQL's Reduce, and the column names of
 * ColumnNames() (aliases first, then "mean", "f_i", "max_1"...).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/duration.h"
#include "query/plan_int.h"

/* ---- function table ------------------------------------------------------- */

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

const fn_def *qry__pl_fn_lookup(qry_str name)
{
    for (size_t i = 0; i < sizeof fn_table / sizeof fn_table[0]; i++)
        if (strlen(fn_table[i].name) == name.len &&
            memcmp(fn_table[i].name, name.ptr, name.len) == 0)
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
int qry__pl_fn_numeric_only(qry_fn f)
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
                        if (before && b->p[before - 1] != '\x01') qry_buf_putc(b, '\x01');
                        qry_buf_put(b, tmp.p, tmp.n);
                    }
                    qry_buf_fini(&tmp);
                } else {
                    if (before && b->p[before - 1] != '\x01') qry_buf_putc(b, '\x01');
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

/* ---- nodes ------------------------------------------------------------------ */

static qry_node *new_node(comp *k, qry_nk kind)
{
    qry_node *n = qry__alloc(k->c, sizeof *n);
    if (n == NULL) return NULL;
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
            if (driver) p->fdriver[i] = 1;
            return (int)i;
        }
    size_t n = p->nfnames;
    qry_str *fn = qry__alloc(k->c, (n + 1) * sizeof *fn);
    uint8_t *fd = qry__alloc(k->c, n + 1);
    qry_vtype *fc = qry__alloc(k->c, (n + 1) * sizeof *fc);
    if (!fn || !fd || !fc) return -1;
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
    if (qry__pl_grow(k, (void **)&k->aggs, &k->capaggs, k->naggs + 1, sizeof *k->aggs) != STRATA_OK)
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

/* compileSymbol: the argument of an aggregate must be a field reference. */
static qry_node *agg_symbol(comp *k, const char *name, const qry_expr *arg, qry_node *n)
{
    if (arg->kind == QRY_EXPR_WILDCARD || arg->kind == QRY_EXPR_REGEX) {
        qry__pl_fail(k, "unsupported expression with %s: %s()",
                     arg->kind == QRY_EXPR_WILDCARD ? "wildcard" : "regex field", name);
        return NULL;
    }
    if (arg->kind != QRY_EXPR_VARREF) {
        qry__pl_fail(k, "expected field argument in %s()", name);
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
        qry__pl_fail(k, "expected field argument in distinct()");
        return NULL;
    }
    if (!nested) k->has_distinct = 1;
    k->only_selectors = 0;
    qry_node *n = new_node(k, QN_AGG);
    if (n == NULL) return NULL;
    n->fn = fn;
    n->field = field_slot(k, arg->u.ref.name, arg->u.ref.type, 0);
    if (n->field < 0 || add_agg(k, n) != STRATA_OK) return NULL;
    return n;
}

static int duration_arg(comp *k, const char *name, const qry_expr *a, int64_t *out,
                        const char *kind_msg)
{
    if (a->kind != QRY_EXPR_DURATION) {
        if (kind_msg) return qry__pl_fail(k, "%s", kind_msg);
        return qry__pl_fail(k, "second argument to %s must be a duration, got %s", name,
                            go_type(a));
    }
    if (a->u.dur_ns <= 0) {
        char d[QRY_DURATION_FMT_MAX];
        qry_duration_format(a->u.dur_ns, d);
        return qry__pl_fail(k, "duration argument must be positive, got %s", d);
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
    const fn_def *fd = qry__pl_fn_lookup(nm);
    k->ncalls++;
    if (fd == NULL) {
        if (strcmp(name, "holt_winters") == 0 || strcmp(name, "holt_winters_with_fit") == 0) {
            qry__fail(k->c, STRATA_EUNSUPPORTED, "%s() is not supported by this server", name);
            return NULL;
        }
        qry__pl_fail(k, "undefined function %s()", name);
        return NULL;
    }
    qry_node *n = new_node(k, QN_AGG);
    if (n == NULL) return NULL;
    n->fn = fd->fn;
    switch (fd->kind) {
    case 0:
    case 1:
        if (fd->kind == 0) k->only_selectors = 0;
        if (na != 1) {
            qry__pl_fail(k, "invalid number of arguments for %s, expected 1, got %u", name, na);
            return NULL;
        }
        if (fd->fn == QF_COUNT) {
            const qry_expr *x = a[0];
            if (x->kind == QRY_EXPR_CALL && qry__pl_str_eq(x->u.call.name, "distinct", 8)) {
                if (x->u.call.nargs == 0) {
                    qry__pl_fail(k, "distinct function requires at least one argument");
                    return NULL;
                }
                if (x->u.call.nargs != 1) {
                    qry__pl_fail(k, "distinct function can only have one argument");
                    return NULL;
                }
                return build_distinct(k, x->u.call.args[0], 1, QF_COUNT_DISTINCT);
            }
            if (x->kind == QRY_EXPR_DISTINCT) {
                qry_expr *v = qry__pl_mk_varref(k, x->u.str, QRY_VT_UNKNOWN);
                return v ? build_distinct(k, v, 1, QF_COUNT_DISTINCT) : NULL;
            }
        }
        return agg_symbol(k, name, a[0], n);
    case 2: { /* transforms */
        k->only_selectors = 0;
        n->kind = QN_XFORM;
        if (n->fn == QF_DERIVATIVE || n->fn == QF_NN_DERIVATIVE || n->fn == QF_ELAPSED) {
            if (na < 1 || na > 2) {
                qry__pl_fail(k,
                             "invalid number of arguments for %s, expected at least 1 but no more "
                             "than 2, got %u",
                             name, na);
                return NULL;
            }
            n->unit_ns = 0; /* derivative: the GROUP BY interval or 1s; elapsed: 1ns */
            if (na == 2 && duration_arg(k, name, a[1], &n->unit_ns, NULL) != STRATA_OK) return NULL;
        } else if (n->fn == QF_MOVING_AVERAGE) {
            if (na != 2) {
                qry__pl_fail(
                    k, "invalid number of arguments for moving_average, expected 2, got %u", na);
                return NULL;
            }
            if (a[1]->kind != QRY_EXPR_INTEGER) {
                qry__pl_fail(k, "second argument for moving_average must be an integer, got %s",
                             go_type(a[1]));
                return NULL;
            }
            if (a[1]->u.i64 <= 1) {
                qry__pl_fail(k, "moving_average window must be greater than 1, got %lld",
                             (long long)a[1]->u.i64);
                return NULL;
            }
            n->n = a[1]->u.i64;
        } else {
            if (na != 1) {
                qry__pl_fail(k, "invalid number of arguments for %s, expected 1, got %u", name, na);
                return NULL;
            }
        }
        const qry_expr *x = a[0];
        if (x->kind == QRY_EXPR_CALL || x->kind == QRY_EXPR_DISTINCT) {
            if (k->p->interval == 0) {
                qry__pl_fail(k, "%s aggregate requires a GROUP BY interval", name);
                return NULL;
            }
            qry_node *in;
            if (x->kind == QRY_EXPR_DISTINCT) {
                qry_expr *v = qry__pl_mk_varref(k, x->u.str, QRY_VT_UNKNOWN);
                in = v ? build_distinct(k, v, 1, QF_DISTINCT) : NULL;
            } else if (qry__pl_str_eq(x->u.call.name, "distinct", 8)) {
                k->ncalls++;
                if (x->u.call.nargs != 1) {
                    qry__pl_fail(k, x->u.call.nargs
                                        ? "distinct function can only have one argument"
                                        : "distinct function requires at least one argument");
                    return NULL;
                }
                in = build_distinct(k, x->u.call.args[0], 1, QF_DISTINCT);
            } else {
                in = qry__pl_build(k, x, 0);
            }
            if (in == NULL) return NULL;
            if (in->kind != QN_AGG && in->kind != QN_XFORM) {
                qry__pl_fail(k, "expected field argument in %s()", name);
                return NULL;
            }
            n->args = qry__alloc(k->c, sizeof *n->args);
            if (n->args == NULL) return NULL;
            n->args[0] = in;
            n->nargs = 1;
            k->p->has_xform = 1;
            return n;
        }
        if (k->p->interval != 0) {
            qry__pl_fail(k, "aggregate function required inside the call to %s", name);
            return NULL;
        }
        if (x->kind == QRY_EXPR_WILDCARD || x->kind == QRY_EXPR_REGEX) {
            qry__pl_fail(k, "unsupported expression with %s: %s()",
                         x->kind == QRY_EXPR_WILDCARD ? "wildcard" : "regex field", name);
            return NULL;
        }
        if (x->kind != QRY_EXPR_VARREF) {
            qry__pl_fail(k, "expected field argument in %s()", name);
            return NULL;
        }
        qry_node *f = new_node(k, QN_FIELD);
        if (f == NULL) return NULL;
        f->name = x->u.ref.name;
        f->cast = x->u.ref.type;
        f->field = field_slot(k, x->u.ref.name, x->u.ref.type, 0);
        n->args = qry__alloc(k->c, sizeof *n->args);
        if (n->args == NULL || f->field < 0) return NULL;
        n->args[0] = f;
        n->nargs = 1;
        k->p->has_xform = 1;
        return n;
    }
    case 3: { /* math */
        n->kind = QN_MATH;
        uint32_t want = (n->fn == QF_ATAN2 || n->fn == QF_POW || n->fn == QF_LOG) ? 2 : 1;
        if (na != want) {
            qry__pl_fail(k, "invalid number of arguments for %s, expected %u, got %u", name, want,
                         na);
            return NULL;
        }
        k->ncalls--; /* math functions are not aggregate calls */
        n->args = qry__alloc(k->c, na * sizeof *n->args);
        if (n->args == NULL) return NULL;
        n->nargs = na;
        for (uint32_t i = 0; i < na; i++) {
            n->args[i] = qry__pl_build(k, a[i], 0);
            if (n->args[i] == NULL) return NULL;
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
            qry__pl_fail(k, "invalid number of arguments for percentile, expected 2, got %u", na);
            return NULL;
        }
        if (a[1]->kind == QRY_EXPR_INTEGER)
            n->pct = (double)a[1]->u.i64;
        else if (a[1]->kind == QRY_EXPR_NUMBER)
            n->pct = a[1]->u.f64;
        else {
            qry__pl_fail(k, "expected float argument in percentile()");
            return NULL;
        }
        return agg_symbol(k, name, a[0], n);
    case QF_SAMPLE:
        if (na != 2) {
            qry__pl_fail(k, "invalid number of arguments for sample, expected 2, got %u", na);
            return NULL;
        }
        if (a[1]->kind != QRY_EXPR_INTEGER) {
            qry__pl_fail(k, "expected integer argument in sample()");
            return NULL;
        }
        if (a[1]->u.i64 <= 0) {
            qry__pl_fail(k, "sample window must be greater than 1, got %lld",
                         (long long)a[1]->u.i64);
            return NULL;
        }
        n->n = a[1]->u.i64;
        return agg_symbol(k, name, a[0], n);
    case QF_DISTINCT:
        if (na == 0) {
            qry__pl_fail(k, "distinct function requires at least one argument");
            return NULL;
        }
        if (na != 1) {
            qry__pl_fail(k, "distinct function can only have one argument");
            return NULL;
        }
        return build_distinct(k, a[0], 0, QF_DISTINCT);
    case QF_INTEGRAL:
        k->only_selectors = 0;
        if (na < 1 || na > 2) {
            qry__pl_fail(k,
                         "invalid number of arguments for integral, expected at least 1 but no "
                         "more than 2, got %u",
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
            qry__pl_fail(k, "selector function %s() cannot be combined with other functions",
                         k->topbottom);
            return NULL;
        }
        if (na < 2) {
            qry__pl_fail(k, "invalid number of arguments for %s, expected at least 2, got %u", name,
                         na);
            return NULL;
        }
        const qry_expr *lim = a[na - 1];
        char buf[128];
        if (lim->kind != QRY_EXPR_INTEGER) {
            fmt_expr(lim, buf, sizeof buf);
            qry__pl_fail(k, "expected integer as last argument in %s(), found %s", name, buf);
            return NULL;
        }
        if (lim->u.i64 <= 0) {
            qry__pl_fail(k, "limit (%lld) in %s function must be at least 1", (long long)lim->u.i64,
                         name);
            return NULL;
        }
        if (k->s->limit > 0 && lim->u.i64 > k->s->limit) {
            qry__pl_fail(k,
                         "limit (%lld) in %s function can not be larger than the LIMIT (%lld) in "
                         "the select statement",
                         (long long)lim->u.i64, name, (long long)k->s->limit);
            return NULL;
        }
        if (a[0]->kind != QRY_EXPR_VARREF) {
            fmt_expr(a[0], buf, sizeof buf);
            qry__pl_fail(k, "expected first argument to be a field in %s(), found %s", name, buf);
            return NULL;
        }
        n->n = lim->u.i64;
        if (na > 2) {
            n->ntagargs = na - 2;
            n->tagargs = qry__alloc(k->c, n->ntagargs * sizeof *n->tagargs);
            if (n->tagargs == NULL) return NULL;
            for (uint32_t i = 1; i < na - 1; i++) {
                if (a[i]->kind != QRY_EXPR_VARREF) {
                    fmt_expr(a[i], buf, sizeof buf);
                    qry__pl_fail(k, "only fields or tags are allowed in %s(), found %s", name, buf);
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
    qry__pl_fail(k, "undefined function %s()", name);
    return NULL;
}

static qry_node *build1(comp *k, const qry_expr *e, int allow_wild);

qry_node *qry__pl_build(comp *k, const qry_expr *e, int allow_wild)
{
    qry_node *n = build1(k, e, allow_wild);
    if (n && n->src == NULL) n->src = e;
    return n;
}

static qry_node *build1(comp *k, const qry_expr *e, int allow_wild)
{
    qry_node *n;
    switch (e->kind) {
    case QRY_EXPR_VARREF:
        k->has_aux = 1;
        n = new_node(k, QN_FIELD);
        if (n == NULL) return NULL;
        n->name = e->u.ref.name;
        n->cast = e->u.ref.type;
        n->field = field_slot(k, e->u.ref.name, e->u.ref.type, 1);
        return n->field < 0 ? NULL : n;
    case QRY_EXPR_WILDCARD:
        qry__pl_fail(k, allow_wild ? "unimplemented"
                                   : "unable to use wildcard in a binary expression");
        return NULL;
    case QRY_EXPR_REGEX:
        qry__pl_fail(k,
                     allow_wild ? "unimplemented" : "unable to use regex in a binary expression");
        return NULL;
    case QRY_EXPR_CALL:
        return build_call(k, e);
    case QRY_EXPR_DISTINCT: {
        k->ncalls++;
        qry_expr *v = qry__pl_mk_varref(k, e->u.str, QRY_VT_UNKNOWN);
        return v ? build_distinct(k, v, 0, QF_DISTINCT) : NULL;
    }
    case QRY_EXPR_PAREN:
        return qry__pl_build(k, e->u.paren.expr, allow_wild);
    case QRY_EXPR_BINARY: {
        const qry_expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
        if (is_literal(l) && is_literal(r)) {
            qry__pl_fail(k, "cannot perform a binary expression on two literals");
            return NULL;
        }
        n = new_node(k, QN_BIN);
        if (n == NULL) return NULL;
        n->op = e->u.bin.op;
        n->args = qry__alloc(k->c, 2 * sizeof *n->args);
        if (n->args == NULL) return NULL;
        n->nargs = 2;
        n->args[0] = qry__pl_build(k, l, 0);
        if (n->args[0] == NULL) return NULL;
        n->args[1] = qry__pl_build(k, r, 0);
        return n->args[1] ? n : NULL;
    }
    case QRY_EXPR_INTEGER:
    case QRY_EXPR_UNSIGNED:
    case QRY_EXPR_NUMBER:
    case QRY_EXPR_STRING:
    case QRY_EXPR_BOOL:
    case QRY_EXPR_DURATION:
        n = new_node(k, QN_LIT);
        if (n == NULL) return NULL;
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
    qry__pl_fail(k, "unimplemented");
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
    if (n == NULL) return like;
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
const qry_expr *qry__pl_fold(comp *k, const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_PAREN: {
        const qry_expr *in = qry__pl_fold(k, e->u.paren.expr);
        if (in->kind != QRY_EXPR_PAREN && in->kind != QRY_EXPR_BINARY &&
            in->kind != QRY_EXPR_CALL && in->kind != QRY_EXPR_VARREF)
            return in;
        if (in == e->u.paren.expr) return e;
        qry_expr *n = qry__alloc(k->c, sizeof *n);
        if (n == NULL) return e;
        *n = *e;
        n->u.paren.expr = (qry_expr *)in;
        return n;
    }
    case QRY_EXPR_BINARY: {
        const qry_expr *l = qry__pl_fold(k, e->u.bin.lhs), *r = qry__pl_fold(k, e->u.bin.rhs);
        if (num_lit(l) && num_lit(r)) {
            qry_val v = qry__binop(e->u.bin.op, lit_val(l), lit_val(r));
            if (v.t != QRY_V_NULL) return val_lit(k, e, v);
        }
        if (l == e->u.bin.lhs && r == e->u.bin.rhs) return e;
        qry_expr *n = qry__alloc(k->c, sizeof *n);
        if (n == NULL) return e;
        *n = *e;
        n->u.bin.lhs = (qry_expr *)l;
        n->u.bin.rhs = (qry_expr *)r;
        return n;
    }
    case QRY_EXPR_CALL: {
        const fn_def *fd = qry__pl_fn_lookup(e->u.call.name);
        if (fd == NULL || fd->kind != 3 || e->u.call.nargs == 0 || e->u.call.nargs > 2) return e;
        qry_expr **args = qry__alloc(k->c, e->u.call.nargs * sizeof *args);
        if (args == NULL) return e;
        int all = 1, changed = 0;
        qry_val av[2] = {qry_val_null(), qry_val_null()};
        uint32_t na = e->u.call.nargs;
        for (uint32_t i = 0; i < na && i < 2; i++) {
            args[i] = (qry_expr *)qry__pl_fold(k, e->u.call.args[i]);
            changed |= args[i] != e->u.call.args[i];
            if (num_lit(args[i]))
                av[i] = lit_val(args[i]);
            else
                all = 0;
        }
        uint32_t want = (fd->fn == QF_ATAN2 || fd->fn == QF_POW || fd->fn == QF_LOG) ? 2 : 1;
        if (all && e->u.call.nargs == want) {
            qry_val v = qry__math(fd->fn, av, e->u.call.nargs);
            if (v.t != QRY_V_NULL) return val_lit(k, e, v);
        }
        if (!changed) return e;
        qry_expr *n = qry__alloc(k->c, sizeof *n);
        if (n == NULL) return e;
        *n = *e;
        n->u.call.args = args;
        return n;
    }
    default:
        return e;
    }
}

/* A field made only of a literal: InfluxDB's "field must contain at least one variable". */
int qry__pl_only_literal(const qry_expr *e)
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
        if (t[i].n == n && memcmp(t[i].s, s, n) == 0) return &t[i];
    return NULL;
}

int qry__pl_name_columns(comp *k, qry_node **nodes, qry_str *aliases, const qry_expr **exprs,
                         size_t n)
{
    qry_plan *p = k->p;
    p->colnames = qry__alloc(k->c, (n + 1) * sizeof *p->colnames);
    p->collens = qry__alloc(k->c, (n + 1) * sizeof *p->collens);
    name_ent *tab = qry__alloc(k->c, (2 * n + 1) * sizeof *tab);
    if (!p->colnames || !p->collens || !tab) return STRATA_ENOMEM;
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
        if (p->colnames[i]) continue;
        qry_buf b = {0};
        expr_name(exprs[i], &b);
        for (size_t j = 0; j < b.n; j++)
            if (b.p[j] == '\x01') b.p[j] = '_';
        char *nm = qry__strndup(k->c, b.p ? b.p : "", b.n);
        size_t nl = b.n;
        qry_buf_fini(&b);
        if (nm == NULL) return STRATA_ENOMEM;
        name_ent *e = names_find(tab, nt, nm, nl);
        if (e) {
            int count = e->count;
            for (;;) {
                char tmp[512];
                int tl = snprintf(tmp, sizeof tmp, "%s_%d", nm, count);
                if (!names_find(tab, nt, tmp, (size_t)tl)) {
                    e->count = count + 1;
                    nm = qry__strndup(k->c, tmp, (size_t)tl);
                    if (nm == NULL) return STRATA_ENOMEM;
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
