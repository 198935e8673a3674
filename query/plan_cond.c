/*
 * query/plan_cond.c: the WHERE clause of a SELECT.
 *
 * First the time range is taken out, as InfluxDB's influxql.ConditionExpr
 * does: every `time <op> <value>` comparison anywhere under AND/OR narrows
 * one inclusive range (InfluxDB intersects even across OR), and the rest of
 * the condition is kept.
 *
 * The rest selects series. Tag comparisons (=, !=, =~, !~ against a string
 * or regex) are answered by the index postings: AND intersects, OR unites,
 * != and !~ subtract from the measurement's series, and a missing tag reads
 * as the empty string, as in InfluxDB. Anything about fields makes a subtree
 * "all series" (a superset). Each candidate series is then evaluated with
 * its tags known and fields unknown (three-valued): false drops it, true
 * needs no row filter, unknown keeps the whole condition as its row filter,
 * evaluated per row with the row's field values.
 *
 * A name is a field when the measurement has such a field (unless ::tag),
 * else a tag, as InfluxDB decides.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/exec_int.h"
#include "query/time_lit.h"

/* ---- time range ------------------------------------------------------------------ */

static const char *go_type_name(const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_STRING:
        return "*influxql.StringLiteral";
    case QRY_EXPR_BOOL:
        return "*influxql.BooleanLiteral";
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
    case QRY_EXPR_UNSIGNED:
        return "*influxql.UnsignedLiteral";
    default:
        return "*influxql.Wildcard";
    }
}

/* Local wall time to UTC in zone tz. */
static int64_t local_to_utc(const qry_tz *tz, int64_t t)
{
    int64_t off = qry__tz_offset_ns(tz, t);
    int64_t off2 = qry__tz_offset_ns(tz, t - off);
    return t - off2;
}

static int time_value(const qry_expr *e, const qry_tz *tz, int64_t *out)
{
    while (e->kind == QRY_EXPR_PAREN)
        e = e->u.paren.expr;
    if (e->kind == QRY_EXPR_STRING && e->has_time) {
        *out = (e->time_local && tz) ? local_to_utc(tz, e->time_ns) : e->time_ns;
        return STRATA_OK;
    }
    if (e->kind == QRY_EXPR_BINARY && !e->u.bin.unary &&
        (e->u.bin.op == QRY_OP_ADD || e->u.bin.op == QRY_OP_SUB)) {
        /* fold with the zone applied to the literal inside */
        const qry_expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
        int64_t a, b;
        int rc;
        if ((rc = time_value(l, tz, &a)) != STRATA_OK) return qry_expr_time_value(e, out);
        if ((rc = time_value(r, tz, &b)) != STRATA_OK) return qry_expr_time_value(e, out);
        int ovf = e->u.bin.op == QRY_OP_ADD ? __builtin_add_overflow(a, b, out)
                                            : __builtin_sub_overflow(a, b, out);
        return ovf ? STRATA_ERANGE : STRATA_OK;
    }
    return qry_expr_time_value(e, out);
}

static int time_range(qry_ctx *c, qry_op op, const qry_expr *rhs, const qry_tz *tz, int64_t *lo,
                      int64_t *hi)
{
    int64_t v;
    int rc = time_value(rhs, tz, &v);
    if (rc != STRATA_OK) {
        const qry_expr *x = rhs;
        while (x->kind == QRY_EXPR_PAREN)
            x = x->u.paren.expr;
        if (x->kind == QRY_EXPR_STRING && qry_time_looks_like(x->u.str.ptr, x->u.str.len))
            return qry__fail(c, STRATA_EINVAL, "invalid timestamp string: %.*s", (int)x->u.str.len,
                             x->u.str.ptr);
        if (rc == STRATA_ERANGE) return qry__fail(c, STRATA_EINVAL, "time overflows time literal");
        return qry__fail(c, STRATA_EINVAL, "invalid operation: time and %s are not compatible",
                         go_type_name(x));
    }
    if (v > QRY_MAX_TIME) return qry__fail(c, STRATA_EINVAL, "time overflows time literal");
    if (v < QRY_MIN_TIME + 1) return qry__fail(c, STRATA_EINVAL, "time underflows time literal");
    switch (op) {
    case QRY_OP_GT:
        *lo = v + 1;
        break;
    case QRY_OP_GTE:
        *lo = v;
        break;
    case QRY_OP_LT:
        *hi = v - 1;
        break;
    case QRY_OP_LTE:
        *hi = v;
        break;
    case QRY_OP_EQ:
        *lo = *hi = v;
        break;
    default:
        return qry__fail(c, STRATA_EINVAL, "invalid time comparison operator: %s", qry_op_str(op));
    }
    return STRATA_OK;
}

/* Go's zero time.Time: "unset" bounds are tracked with these flags. */
typedef struct trange {
    int has_lo, has_hi;
    int64_t lo, hi;
} trange;

static void tr_intersect(trange *a, const trange *b)
{
    if (b->has_lo && (!a->has_lo || b->lo > a->lo)) {
        a->lo = b->lo;
        a->has_lo = 1;
    }
    if (b->has_hi && (!a->has_hi || b->hi < a->hi)) {
        a->hi = b->hi;
        a->has_hi = 1;
    }
}

static int split(qry_ctx *c, const qry_expr *e, const qry_tz *tz, trange *tr, const qry_expr **rest)
{
    *rest = NULL;
    memset(tr, 0, sizeof *tr);
    if (e == NULL) return STRATA_OK;
    switch (e->kind) {
    case QRY_EXPR_BINARY: {
        qry_op op = e->u.bin.op;
        if (op == QRY_OP_AND || op == QRY_OP_OR) {
            trange lt, rt;
            const qry_expr *le, *re;
            int rc = split(c, e->u.bin.lhs, tz, &lt, &le);
            if (rc == STRATA_OK) rc = split(c, e->u.bin.rhs, tz, &rt, &re);
            if (rc != STRATA_OK) return rc;
            *tr = lt;
            tr_intersect(tr, &rt);
            if (re == NULL) {
                *rest = le;
            } else if (le == NULL) {
                *rest = re;
            } else if (le == e->u.bin.lhs && re == e->u.bin.rhs) {
                *rest = e;
            } else {
                qry_expr *n = qry__alloc(c, sizeof *n);
                if (n == NULL) return STRATA_ENOMEM;
                *n = *e;
                n->u.bin.lhs = (qry_expr *)le;
                n->u.bin.rhs = (qry_expr *)re;
                *rest = n;
            }
            return STRATA_OK;
        }
        const qry_expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
        int64_t lo = 0, hi = 0;
        int64_t *plo = &lo, *phi = &hi;
        if (qry_expr_is_time_ref(l) || (l->kind == QRY_EXPR_VARREF && l->u.ref.name.len == 4 &&
                                        strncasecmp(l->u.ref.name.ptr, "time", 4) == 0)) {
            lo = QRY_MIN_TIME - 1;
            hi = QRY_MIN_TIME - 1;
            int rc = time_range(c, op, r, tz, plo, phi);
            if (rc != STRATA_OK) return rc;
        } else if (r->kind == QRY_EXPR_VARREF && r->u.ref.name.len == 4 &&
                   strncasecmp(r->u.ref.name.ptr, "time", 4) == 0) {
            switch (op) {
            case QRY_OP_GT:
                op = QRY_OP_LT;
                break;
            case QRY_OP_LT:
                op = QRY_OP_GT;
                break;
            case QRY_OP_GTE:
                op = QRY_OP_LTE;
                break;
            case QRY_OP_LTE:
                op = QRY_OP_GTE;
                break;
            default:
                break;
            }
            lo = QRY_MIN_TIME - 1;
            hi = QRY_MIN_TIME - 1;
            int rc = time_range(c, op, l, tz, plo, phi);
            if (rc != STRATA_OK) return rc;
        } else {
            *rest = e;
            return STRATA_OK;
        }
        if (lo != QRY_MIN_TIME - 1) {
            tr->has_lo = 1;
            tr->lo = lo;
        }
        if (hi != QRY_MIN_TIME - 1) {
            tr->has_hi = 1;
            tr->hi = hi;
        }
        return STRATA_OK;
    }
    case QRY_EXPR_PAREN: {
        const qry_expr *in;
        int rc = split(c, e->u.paren.expr, tz, tr, &in);
        if (rc != STRATA_OK) return rc;
        if (in == NULL)
            *rest = NULL;
        else if (in == e->u.paren.expr)
            *rest = e;
        else {
            qry_expr *n = qry__alloc(c, sizeof *n);
            if (n == NULL) return STRATA_ENOMEM;
            *n = *e;
            n->u.paren.expr = (qry_expr *)in;
            *rest = n;
        }
        return STRATA_OK;
    }
    case QRY_EXPR_BOOL:
        *rest = e;
        return STRATA_OK;
    default: {
        char buf[256];
        qry_expr_format(e, QRY_FMT_INFLUX, buf, sizeof buf);
        return qry__fail(c, STRATA_EINVAL, "invalid condition expression: %s", buf);
    }
    }
}

int qry__cond_split(qry_ctx *c, const qry_expr *cond, const qry_tz *tz, int64_t *tmin,
                    int64_t *tmax, const qry_expr **rest)
{
    trange tr;
    int rc = split(c, cond, tz, &tr, rest);
    if (rc != STRATA_OK) return rc;
    *tmin = tr.has_lo ? tr.lo : QRY_MIN_TIME;
    *tmax = tr.has_hi ? tr.hi : QRY_MAX_TIME;
    return STRATA_OK;
}

/* ---- series ----------------------------------------------------------------------- */

const char *qry__series_tag(const qry_series *s, const char *k, size_t kl, size_t *vl)
{
    size_t lo = 0, hi = s->ntags;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const stg_tag *t = &s->tags[mid];
        size_t n = t->key_len < kl ? t->key_len : kl;
        int r = memcmp(t->key, k, n);
        if (r == 0) r = t->key_len < kl ? -1 : t->key_len > kl;
        if (r == 0) {
            *vl = t->val_len;
            return t->val;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *vl = 0;
    return NULL;
}

/* The measurement's fields, for "is this name a field?". */
typedef struct fieldset {
    qry_str *names;
    size_t n, cap;
    qry_ctx *c;
} fieldset;

static int fs_cb(void *ctx, const char *f, size_t fl, uint32_t fid, stg_type t)
{
    (void)fid;
    (void)t;
    fieldset *fs = ctx;
    if (fs->n == fs->cap) {
        size_t nc = fs->cap ? fs->cap * 2 : 16;
        qry_str *nn = qry__alloc(fs->c, nc * sizeof *nn);
        if (nn == NULL) return 1;
        if (fs->n) memcpy(nn, fs->names, fs->n * sizeof *nn);
        fs->names = nn;
        fs->cap = nc;
    }
    char *d = qry__strndup(fs->c, f, fl);
    if (d == NULL) return 1;
    fs->names[fs->n++] = (qry_str){d, fl};
    return 0;
}

static int fs_has(const fieldset *fs, qry_str n)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->names[i].len == n.len && memcmp(fs->names[i].ptr, n.ptr, n.len) == 0) return 1;
    return 0;
}

typedef struct cond_env {
    qry_ctx *c;
    MDB_txn *txn;
    stg_index *idx;
    uint32_t db, mid;
    fieldset fs;
    stg_idset all;
    int all_loaded;
} cond_env;

static int load_all(cond_env *ce)
{
    if (ce->all_loaded) return STRATA_OK;
    int rc = stg_index_meas_series(ce->idx, ce->txn, ce->db, ce->mid, &ce->all);
    if (rc != STRATA_OK) return qry__fail(ce->c, rc, "reading the series of a measurement failed");
    ce->all_loaded = 1;
    return STRATA_OK;
}

static const qry_expr *unparen(const qry_expr *e)
{
    while (e && e->kind == QRY_EXPR_PAREN)
        e = e->u.paren.expr;
    return e;
}

/* Is this a tag comparison (name op literal)? Fills *key, *lit, *op (normalised to name on the
 * left). */
static int tag_cmp_parts(const cond_env *ce, const qry_expr *e, qry_str *key, const qry_expr **lit,
                         qry_op *op)
{
    if (e->kind != QRY_EXPR_BINARY) return 0;
    qry_op o = e->u.bin.op;
    if (o != QRY_OP_EQ && o != QRY_OP_NEQ && o != QRY_OP_EQREGEX && o != QRY_OP_NEQREGEX) return 0;
    const qry_expr *l = unparen(e->u.bin.lhs), *r = unparen(e->u.bin.rhs);
    const qry_expr *ref = NULL, *val = NULL;
    if (l->kind == QRY_EXPR_VARREF && (r->kind == QRY_EXPR_STRING || r->kind == QRY_EXPR_REGEX)) {
        ref = l;
        val = r;
    } else if (r->kind == QRY_EXPR_VARREF &&
               (l->kind == QRY_EXPR_STRING || l->kind == QRY_EXPR_REGEX)) {
        ref = r;
        val = l;
    } else {
        return 0;
    }
    if (ref->u.ref.type == QRY_VT_FIELD) return 0;
    if (ref->u.ref.type != QRY_VT_TAG && fs_has(&ce->fs, ref->u.ref.name)) return 0;
    if ((o == QRY_OP_EQREGEX || o == QRY_OP_NEQREGEX) != (val->kind == QRY_EXPR_REGEX)) return 0;
    *key = ref->u.ref.name;
    *lit = val;
    *op = o;
    return 1;
}

typedef struct tv_collect {
    cond_env *ce;
    qry_str key;
    qry_re *re;
    stg_idset *acc, tmp;
    int rc;
} tv_collect;

static int tv_cb(void *ctx, const char *v, size_t vl)
{
    tv_collect *tc = ctx;
    if (!qry__re_match(tc->re, tc->ce->c->rm, v, vl)) return 0;
    int rc = stg_index_tag_series(tc->ce->idx, tc->ce->txn, tc->ce->db, tc->ce->mid, tc->key.ptr,
                                  tc->key.len, v, vl, &tc->tmp);
    if (rc == STRATA_OK) rc = stg_idset_union(tc->acc, tc->acc, &tc->tmp);
    if (rc != STRATA_OK) {
        tc->rc = rc;
        return 1;
    }
    return 0;
}

typedef struct any_collect {
    cond_env *ce;
    qry_str key;
    stg_idset *acc, tmp;
    int rc;
} any_collect;

static int any_cb(void *ctx, const char *v, size_t vl)
{
    any_collect *ac = ctx;
    int rc = stg_index_tag_series(ac->ce->idx, ac->ce->txn, ac->ce->db, ac->ce->mid, ac->key.ptr,
                                  ac->key.len, v, vl, &ac->tmp);
    if (rc == STRATA_OK) rc = stg_idset_union(ac->acc, ac->acc, &ac->tmp);
    if (rc != STRATA_OK) {
        ac->rc = rc;
        return 1;
    }
    return 0;
}

/* Series that have tag key (any value). */
static int with_key(cond_env *ce, qry_str key, stg_idset *out)
{
    any_collect ac = {ce, key, out, {0}, STRATA_OK};
    stg_idset_clear(out);
    int rc = stg_index_tag_values(ce->idx, ce->txn, ce->db, ce->mid, key.ptr, key.len, any_cb, &ac);
    stg_idset_fini(&ac.tmp);
    if (ac.rc != STRATA_OK) rc = ac.rc;
    return rc < 0 ? rc : STRATA_OK;
}

/*
 * Candidate series of e into out (a superset of the matching series).
 */
static int cand(cond_env *ce, const qry_expr *e, stg_idset *out)
{
    e = unparen(e);
    int rc;
    if (e->kind == QRY_EXPR_BOOL) {
        if (!e->u.b) {
            stg_idset_clear(out);
            return STRATA_OK;
        }
    } else if (e->kind == QRY_EXPR_BINARY &&
               (e->u.bin.op == QRY_OP_AND || e->u.bin.op == QRY_OP_OR)) {
        stg_idset r = {0};
        rc = cand(ce, e->u.bin.lhs, out);
        if (rc == STRATA_OK) rc = cand(ce, e->u.bin.rhs, &r);
        if (rc == STRATA_OK)
            rc = e->u.bin.op == QRY_OP_AND ? stg_idset_intersect(out, out, &r)
                                           : stg_idset_union(out, out, &r);
        stg_idset_fini(&r);
        return rc == STRATA_OK ? STRATA_OK : qry__fail(ce->c, rc, "out of memory");
    } else {
        qry_str key;
        const qry_expr *lit;
        qry_op op;
        if (tag_cmp_parts(ce, e, &key, &lit, &op)) {
            stg_idset hit = {0}, tmp = {0};
            int empty_matches = 0;
            rc = STRATA_OK;
            if (lit->kind == QRY_EXPR_STRING) {
                if (lit->u.str.len)
                    rc = stg_index_tag_series(ce->idx, ce->txn, ce->db, ce->mid, key.ptr, key.len,
                                              lit->u.str.ptr, lit->u.str.len, &hit);
                empty_matches = lit->u.str.len == 0;
            } else {
                tv_collect tc = {ce, key, NULL, &hit, {0}, STRATA_OK};
                rc = qry__re_compile(ce->c, lit->u.str.ptr, lit->u.str.len, &tc.re);
                if (rc != STRATA_OK) return rc;
                rc = stg_index_tag_values(ce->idx, ce->txn, ce->db, ce->mid, key.ptr, key.len,
                                          tv_cb, &tc);
                stg_idset_fini(&tc.tmp);
                if (tc.rc != STRATA_OK) rc = tc.rc;
                empty_matches = qry__re_match(tc.re, ce->c->rm, "", 0);
            }
            if (rc >= 0 && empty_matches) {
                /* series without the key compare as "" */
                rc = load_all(ce);
                if (rc == STRATA_OK) rc = with_key(ce, key, &tmp);
                if (rc == STRATA_OK) rc = stg_idset_difference(&tmp, &ce->all, &tmp);
                if (rc == STRATA_OK) rc = stg_idset_union(&hit, &hit, &tmp);
            }
            if (rc >= 0 && (op == QRY_OP_NEQ || op == QRY_OP_NEQREGEX)) {
                rc = load_all(ce);
                if (rc == STRATA_OK) rc = stg_idset_difference(&hit, &ce->all, &hit);
            }
            stg_idset_fini(&tmp);
            if (rc < 0) {
                stg_idset_fini(&hit);
                return ce->c->err->code ? rc : qry__fail(ce->c, rc, "reading tag postings failed");
            }
            stg_idset_fini(out);
            *out = hit;
            return STRATA_OK;
        }
    }
    /* anything else: all series */
    rc = load_all(ce);
    if (rc != STRATA_OK) return rc;
    stg_idset_clear(out);
    rc = stg_idset_union(out, out, &ce->all);
    return rc == STRATA_OK ? STRATA_OK : qry__fail(ce->c, rc, "out of memory");
}

/* ---- three-valued evaluation with tags known --------------------------------------------- */

enum { T_FALSE = 0, T_TRUE = 1, T_UNKNOWN = 2 };

static int eval3(cond_env *ce, const qry_expr *e, const qry_series *s)
{
    e = unparen(e);
    if (e->kind == QRY_EXPR_BOOL) return e->u.b ? T_TRUE : T_FALSE;
    if (e->kind == QRY_EXPR_BINARY && (e->u.bin.op == QRY_OP_AND || e->u.bin.op == QRY_OP_OR)) {
        int a = eval3(ce, e->u.bin.lhs, s);
        if (e->u.bin.op == QRY_OP_AND && a == T_FALSE) return T_FALSE;
        if (e->u.bin.op == QRY_OP_OR && a == T_TRUE) return T_TRUE;
        int b = eval3(ce, e->u.bin.rhs, s);
        if (e->u.bin.op == QRY_OP_AND) {
            if (b == T_FALSE) return T_FALSE;
            return (a == T_TRUE && b == T_TRUE) ? T_TRUE : T_UNKNOWN;
        }
        if (b == T_TRUE) return T_TRUE;
        return (a == T_FALSE && b == T_FALSE) ? T_FALSE : T_UNKNOWN;
    }
    qry_str key;
    const qry_expr *lit;
    qry_op op;
    if (tag_cmp_parts(ce, e, &key, &lit, &op)) {
        size_t vl;
        const char *v = qry__series_tag(s, key.ptr, key.len, &vl);
        if (v == NULL) v = "";
        int m;
        if (lit->kind == QRY_EXPR_STRING) {
            m = vl == lit->u.str.len && memcmp(v, lit->u.str.ptr, vl) == 0;
        } else {
            qry_re *re;
            if (qry__re_compile(ce->c, lit->u.str.ptr, lit->u.str.len, &re) != STRATA_OK)
                return T_FALSE;
            m = qry__re_match(re, ce->c->rm, v, vl);
        }
        if (op == QRY_OP_NEQ || op == QRY_OP_NEQREGEX) m = !m;
        return m ? T_TRUE : T_FALSE;
    }
    return T_UNKNOWN;
}

/* ---- listing the series -------------------------------------------------------------- */

static int series_cmp(const void *a, const void *b)
{
    const qry_series *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int r = memcmp(x->key, y->key, n);
    if (r) return r;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

int qry__cond_series(qry_ctx *c, MDB_txn *txn, uint32_t db, uint32_t mid, const qry_expr *cond,
                     int tags_only, qry_series **out, size_t *n)
{
    cond_env ce;
    memset(&ce, 0, sizeof ce);
    ce.c = c;
    ce.txn = txn;
    ce.idx = stg_engine_index(c->e);
    ce.db = db;
    ce.mid = mid;
    ce.fs.c = c;
    stg_idset ids = {0};
    qry_series *ss = NULL;
    size_t ns = 0;
    stg_tag *tbuf = NULL;
    int rc = tags_only ? STRATA_OK : stg_index_field_list(ce.idx, txn, db, mid, fs_cb, &ce.fs);
    if (rc != STRATA_OK) {
        rc =
            qry__fail(c, rc < 0 ? rc : STRATA_ENOMEM, "reading the fields of a measurement failed");
        goto done;
    }
    if (cond == NULL) {
        rc = stg_index_meas_series(ce.idx, txn, db, mid, &ids);
        if (rc != STRATA_OK) {
            rc = qry__fail(c, rc, "reading the series of a measurement failed");
            goto done;
        }
    } else if ((rc = cand(&ce, cond, &ids)) != STRATA_OK) {
        goto done;
    }
    if (c->lim && c->lim->max_series && ids.n > c->lim->max_series) {
        rc = qry__fail(c, STRATA_ELIMIT, "max-select-series limit exceeded: (%zu/%llu)", ids.n,
                       (unsigned long long)c->lim->max_series);
        goto done;
    }
    ss = qry__alloc(c, (ids.n ? ids.n : 1) * sizeof *ss);
    if (ss == NULL) {
        rc = STRATA_ENOMEM;
        goto done;
    }
    size_t tcap = 64;
    tbuf = malloc(tcap * sizeof *tbuf);
    if (tbuf == NULL) {
        rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ids.n; i++) {
        const char *key;
        size_t klen;
        rc = stg_index_series_key(ce.idx, txn, db, ids.ids[i], &key, &klen);
        if (rc == STRATA_ENOTFOUND) continue;
        if (rc != STRATA_OK) {
            rc = qry__fail(c, rc, "reading a series key failed");
            goto done;
        }
        qry_series *s = &ss[ns];
        memset(s, 0, sizeof *s);
        s->id = ids.ids[i];
        char *kc = qry__alloc(c, klen * 2 + 1);
        if (kc == NULL) {
            rc = STRATA_ENOMEM;
            goto done;
        }
        memcpy(kc, key, klen);
        s->key = kc;
        s->klen = (uint32_t)klen;
        const char *mname;
        size_t mlen, nt;
        rc = stg_series_key_parse(kc, klen, kc + klen, klen + 1, &mname, &mlen, tbuf, tcap, &nt);
        if (rc == STRATA_ERANGE && nt > tcap) {
            free(tbuf);
            tcap = nt;
            tbuf = malloc(tcap * sizeof *tbuf);
            if (tbuf == NULL) {
                rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                goto done;
            }
            rc =
                stg_series_key_parse(kc, klen, kc + klen, klen + 1, &mname, &mlen, tbuf, tcap, &nt);
        }
        if (rc != STRATA_OK) {
            rc = qry__fail(c, STRATA_ECORRUPT, "series %016llx has a malformed key",
                           (unsigned long long)s->id);
            goto done;
        }
        s->ntags = (uint32_t)nt;
        s->tags = qry__alloc(c, (nt ? nt : 1) * sizeof *s->tags);
        if (s->tags == NULL) {
            rc = STRATA_ENOMEM;
            goto done;
        }
        memcpy(s->tags, tbuf, nt * sizeof *s->tags);
        if (cond) {
            int v = eval3(&ce, cond, s);
            if (c->err->code) return c->err->code;
            if (v == T_FALSE) continue;
            s->filter = v == T_TRUE ? NULL : cond;
        }
        ns++;
    }
    if (ns > 1) qsort(ss, ns, sizeof *ss, series_cmp);
    *out = ss;
    *n = ns;
    rc = STRATA_OK;
done:
    free(tbuf);
    stg_idset_fini(&ids);
    stg_idset_fini(&ce.all);
    if (rc == STRATA_ENOMEM && !c->err->code) qry__fail(c, rc, "out of memory");
    return rc;
}

/* ---- row evaluation ---------------------------------------------------------------- */

static int plan_slot(const qry_plan *p, const qry_expr *ref)
{
    for (size_t i = 0; i < p->nfnames; i++)
        if (p->fnames[i].len == ref->u.ref.name.len &&
            memcmp(p->fnames[i].ptr, ref->u.ref.name.ptr, ref->u.ref.name.len) == 0 &&
            (p->fcast[i] == ref->u.ref.type || ref->u.ref.type == QRY_VT_UNKNOWN))
            return (int)i;
    return -1;
}

static qry_val eval_expr(const qry_plan *p, const qry_fref *refs, const qry_expr *e,
                         const qry_val *vals, const qry_series *s, qry_rematch *rm);

static int cmp_match(const qry_plan *p, const qry_expr *rx, qry_val v, qry_rematch *rm)
{
    if (v.t != QRY_V_STR) return -1;
    for (size_t i = 0; i < p->ncond_res; i++)
        if (p->cond_res[i].e == rx) return qry__re_match(p->cond_res[i].re, rm, v.v.s.p, v.v.s.n);
    return -1;
}

static qry_val eval_expr(const qry_plan *p, const qry_fref *refs, const qry_expr *e,
                         const qry_val *vals, const qry_series *s, qry_rematch *rm)
{
    e = unparen(e);
    switch (e->kind) {
    case QRY_EXPR_VARREF: {
        int slot = plan_slot(p, e);
        if (slot >= 0 && vals && vals[slot].t != QRY_V_NULL) return vals[slot];
        if (e->u.ref.type == QRY_VT_FIELD) return qry_val_null();
        if (slot >= 0 && refs && refs[slot].kind == 1) return qry_val_null();
        size_t vl;
        const char *v = s ? qry__series_tag(s, e->u.ref.name.ptr, e->u.ref.name.len, &vl) : NULL;
        if (v == NULL) return qry_val_s("", 0);
        return qry_val_s(v, vl);
    }
    case QRY_EXPR_INTEGER:
        return qry_val_i(e->u.i64);
    case QRY_EXPR_UNSIGNED:
        return qry_val_u(e->u.u64);
    case QRY_EXPR_NUMBER:
        return qry_val_f(e->u.f64);
    case QRY_EXPR_STRING:
        return qry_val_s(e->u.str.ptr, e->u.str.len);
    case QRY_EXPR_BOOL:
        return qry_val_b(e->u.b);
    case QRY_EXPR_DURATION:
        return qry_val_i(e->u.dur_ns);
    case QRY_EXPR_BINARY: {
        qry_op op = e->u.bin.op;
        if (op == QRY_OP_AND || op == QRY_OP_OR) {
            qry_val a = eval_expr(p, refs, e->u.bin.lhs, vals, s, rm);
            int ab = a.t == QRY_V_BOOL && a.v.b;
            if (op == QRY_OP_AND && !ab) return qry_val_b(0);
            if (op == QRY_OP_OR && ab) return qry_val_b(1);
            qry_val b = eval_expr(p, refs, e->u.bin.rhs, vals, s, rm);
            return qry_val_b(b.t == QRY_V_BOOL && b.v.b);
        }
        if (op == QRY_OP_EQREGEX || op == QRY_OP_NEQREGEX) {
            const qry_expr *rx = unparen(e->u.bin.rhs);
            const qry_expr *lx = e->u.bin.lhs;
            if (rx->kind != QRY_EXPR_REGEX) {
                rx = unparen(e->u.bin.lhs);
                lx = e->u.bin.rhs;
            }
            qry_val v = eval_expr(p, refs, lx, vals, s, rm);
            int m = cmp_match(p, rx, v, rm);
            if (m < 0) return qry_val_b(0);
            return qry_val_b(op == QRY_OP_EQREGEX ? m : !m);
        }
        qry_val a = eval_expr(p, refs, e->u.bin.lhs, vals, s, rm);
        qry_val b = eval_expr(p, refs, e->u.bin.rhs, vals, s, rm);
        return qry__binop(op, a, b);
    }
    case QRY_EXPR_CALL: {
        /* math functions in conditions */
        qry_val args[2];
        uint32_t n = e->u.call.nargs > 2 ? 2 : e->u.call.nargs;
        for (uint32_t i = 0; i < n; i++)
            args[i] = eval_expr(p, refs, e->u.call.args[i], vals, s, rm);
        qry_fn fn = QF_NONE;
        static const struct {
            const char *n;
            qry_fn f;
        } mt[] = {{"abs", QF_ABS},     {"sin", QF_SIN},    {"cos", QF_COS},   {"tan", QF_TAN},
                  {"asin", QF_ASIN},   {"acos", QF_ACOS},  {"atan", QF_ATAN}, {"atan2", QF_ATAN2},
                  {"exp", QF_EXP},     {"log", QF_LOG},    {"ln", QF_LN},     {"log2", QF_LOG2},
                  {"log10", QF_LOG10}, {"sqrt", QF_SQRT},  {"pow", QF_POW},   {"floor", QF_FLOOR},
                  {"ceil", QF_CEIL},   {"round", QF_ROUND}};
        for (size_t i = 0; i < sizeof mt / sizeof mt[0]; i++)
            if (strlen(mt[i].n) == e->u.call.name.len &&
                memcmp(mt[i].n, e->u.call.name.ptr, e->u.call.name.len) == 0)
                fn = mt[i].f;
        if (fn == QF_NONE) return qry_val_null();
        return qry__math(fn, args, n);
    }
    default:
        return qry_val_null();
    }
}

int qry__cond_eval_row(const qry_plan *p, const qry_fref *refs, const qry_expr *cond,
                       const qry_val *vals, const qry_series *s, qry_rematch *rm)
{
    qry_val v = eval_expr(p, refs, cond, vals, s, rm);
    return v.t == QRY_V_BOOL && v.v.b;
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
        return 1;
    default:
        return 0;
    }
}

int qry__cond_gate(const qry_plan *p, const qry_fref *refs, const qry_expr *cond, qry_cond_gate *g)
{
    const qry_expr *e = unparen(cond);
    if (e == NULL || e->kind != QRY_EXPR_BINARY) return 0;
    qry_op op = e->u.bin.op;
    if (op == QRY_OP_AND)
        return qry__cond_gate(p, refs, e->u.bin.lhs, g) || qry__cond_gate(p, refs, e->u.bin.rhs, g);
    if (op != QRY_OP_EQ && op != QRY_OP_NEQ && op != QRY_OP_LT && op != QRY_OP_LTE &&
        op != QRY_OP_GT && op != QRY_OP_GTE)
        return 0;
    const qry_expr *l = unparen(e->u.bin.lhs), *r = unparen(e->u.bin.rhs);
    int lit_left;
    if (l->kind == QRY_EXPR_VARREF && is_literal(r))
        lit_left = 0;
    else if (r->kind == QRY_EXPR_VARREF && is_literal(l))
        lit_left = 1;
    else
        return 0;
    const qry_expr *ref = lit_left ? r : l;
    int slot = plan_slot(p, ref);
    /* Only a field of the measurement: a missing value then makes the comparison null. */
    if (slot < 0 || refs == NULL || refs[slot].kind != 1) return 0;
    g->slot = slot;
    g->op = op;
    g->lit = eval_expr(p, refs, lit_left ? l : r, NULL, NULL, NULL);
    g->lit_left = lit_left;
    return 1;
}

/* ---- preparing a residual condition for row evaluation ------------------------------ */

static int prep_walk(qry_ctx *c, qry_plan *p, const qry_expr *e)
{
    e = unparen(e);
    if (e == NULL) return STRATA_OK;
    switch (e->kind) {
    case QRY_EXPR_BINARY: {
        int rc = prep_walk(c, p, e->u.bin.lhs);
        return rc == STRATA_OK ? prep_walk(c, p, e->u.bin.rhs) : rc;
    }
    case QRY_EXPR_CALL:
        for (uint32_t i = 0; i < e->u.call.nargs; i++) {
            int rc = prep_walk(c, p, e->u.call.args[i]);
            if (rc != STRATA_OK) return rc;
        }
        return STRATA_OK;
    case QRY_EXPR_REGEX: {
        qry_re *re;
        int rc = qry__re_compile(c, e->u.str.ptr, e->u.str.len, &re);
        if (rc != STRATA_OK) return rc;
        qry_cond_re *n = qry__alloc(c, (p->ncond_res + 1) * sizeof *n);
        if (n == NULL) return STRATA_ENOMEM;
        if (p->ncond_res) memcpy(n, p->cond_res, p->ncond_res * sizeof *n);
        n[p->ncond_res].e = e;
        n[p->ncond_res].re = re;
        p->cond_res = n;
        p->ncond_res++;
        return STRATA_OK;
    }
    case QRY_EXPR_VARREF: {
        if (plan_slot(p, e) >= 0) return STRATA_OK;
        size_t n = p->nfnames;
        qry_str *fn = qry__alloc(c, (n + 1) * sizeof *fn);
        uint8_t *fd = qry__alloc(c, n + 1);
        qry_vtype *fc = qry__alloc(c, (n + 1) * sizeof *fc);
        if (!fn || !fd || !fc) return STRATA_ENOMEM;
        if (n) {
            memcpy(fn, p->fnames, n * sizeof *fn);
            memcpy(fd, p->fdriver, n);
            memcpy(fc, p->fcast, n * sizeof *fc);
        }
        fn[n] = e->u.ref.name;
        fd[n] = 0;
        fc[n] = e->u.ref.type;
        p->fnames = fn;
        p->fdriver = fd;
        p->fcast = fc;
        p->nfnames = n + 1;
        return STRATA_OK;
    }
    default:
        return STRATA_OK;
    }
}

int qry__cond_prepare(qry_ctx *c, qry_plan *p)
{
    return prep_walk(c, p, p->cond);
}
