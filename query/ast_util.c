/*
 * query/ast_util.c: questions asked of a finished tree: structural equality
 * (for tests and the fuzz round trip), constant time folding for WHERE time
 * bounds, and the GROUP BY time() interval.
 *
 * Recursion follows the tree; the parser bounds its depth by
 * QRY_MAX_EXPR_DEPTH, so the stack use is bounded too.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "query/ast.h"
#include "query/parser_int.h"

/* ---- equality ------------------------------------------------------------ */

static bool str_eq(qry_str a, qry_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool f64_eq(double a, double b)
{
    /* Bit equality: -0.0 and 0.0 differ, NaN equals the same NaN. */
    return memcmp(&a, &b, sizeof a) == 0;
}

bool qry_expr_equal(const qry_expr *a, const qry_expr *b)
{
    if (a == NULL || b == NULL) return a == b;
    if (a->kind != b->kind || a->has_time != b->has_time) return false;
    if (a->has_time && (a->time_ns != b->time_ns || a->time_local != b->time_local)) return false;
    switch (a->kind) {
    case QRY_EXPR_VARREF:
        return str_eq(a->u.ref.name, b->u.ref.name) && a->u.ref.type == b->u.ref.type;
    case QRY_EXPR_CALL:
        if (!str_eq(a->u.call.name, b->u.call.name) || a->u.call.nargs != b->u.call.nargs)
            return false;
        for (uint32_t i = 0; i < a->u.call.nargs; i++)
            if (!qry_expr_equal(a->u.call.args[i], b->u.call.args[i])) return false;
        return true;
    case QRY_EXPR_BINARY:
        return a->u.bin.op == b->u.bin.op && a->u.bin.unary == b->u.bin.unary &&
               qry_expr_equal(a->u.bin.lhs, b->u.bin.lhs) &&
               qry_expr_equal(a->u.bin.rhs, b->u.bin.rhs);
    case QRY_EXPR_PAREN:
        return qry_expr_equal(a->u.paren.expr, b->u.paren.expr);
    case QRY_EXPR_INTEGER:
        return a->u.i64 == b->u.i64;
    case QRY_EXPR_UNSIGNED:
        return a->u.u64 == b->u.u64;
    case QRY_EXPR_NUMBER:
        return f64_eq(a->u.f64, b->u.f64);
    case QRY_EXPR_BOOL:
        return a->u.b == b->u.b;
    case QRY_EXPR_DURATION:
        return a->u.dur_ns == b->u.dur_ns;
    case QRY_EXPR_STRING:
    case QRY_EXPR_REGEX:
    case QRY_EXPR_DISTINCT:
        return str_eq(a->u.str, b->u.str);
    case QRY_EXPR_WILDCARD:
        return a->u.wildcard == b->u.wildcard;
    }
    return false;
}

static bool exprs_eq(qry_expr *const *a, qry_expr *const *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!qry_expr_equal(a[i], b[i])) return false;
    return true;
}

static bool meas_eq(const qry_measurement *a, const qry_measurement *b)
{
    if (a == NULL || b == NULL) return a == b;
    return str_eq(a->db, b->db) && str_eq(a->rp, b->rp) && str_eq(a->name, b->name) &&
           a->has_regex == b->has_regex && (!a->has_regex || str_eq(a->regex, b->regex));
}

static bool select_eq(const qry_select *a, const qry_select *b);

static bool sources_eq(const qry_source *a, const qry_source *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (a[i].kind != b[i].kind) return false;
        if (a[i].kind == QRY_SRC_SUBQUERY ? !select_eq(a[i].sub, b[i].sub)
                                          : !meas_eq(&a[i].m, &b[i].m))
            return false;
    }
    return true;
}

static bool sort_eq(const qry_sort_field *a, const qry_sort_field *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!str_eq(a[i].name, b[i].name) || a[i].asc != b[i].asc) return false;
    return true;
}

static bool select_eq(const qry_select *a, const qry_select *b)
{
    if (a == NULL || b == NULL) return a == b;
    if (a->nfields != b->nfields || a->nsources != b->nsources || a->ndims != b->ndims ||
        a->nsort != b->nsort || a->fill != b->fill || a->limit != b->limit ||
        a->offset != b->offset || a->slimit != b->slimit || a->soffset != b->soffset ||
        a->is_raw != b->is_raw || !str_eq(a->tz, b->tz))
        return false;
    if (a->fill == QRY_FILL_NUMBER &&
        (a->fill_is_int != b->fill_is_int ||
         (a->fill_is_int ? a->fill_i64 != b->fill_i64 : !f64_eq(a->fill_f64, b->fill_f64))))
        return false;
    for (uint32_t i = 0; i < a->nfields; i++)
        if (!qry_expr_equal(a->fields[i].expr, b->fields[i].expr) ||
            !str_eq(a->fields[i].alias, b->fields[i].alias))
            return false;
    return meas_eq(a->target, b->target) && sources_eq(a->sources, b->sources, a->nsources) &&
           qry_expr_equal(a->cond, b->cond) && exprs_eq(a->dims, b->dims, a->ndims) &&
           sort_eq(a->sort, b->sort, a->nsort);
}

static bool show_eq(const qry_show *a, const qry_show *b)
{
    if (!str_eq(a->db, b->db) || a->exact != b->exact || a->nsources != b->nsources ||
        a->key_op != b->key_op || a->nkeys != b->nkeys || a->ndims != b->ndims ||
        a->nsort != b->nsort || a->limit != b->limit || a->offset != b->offset ||
        a->slimit != b->slimit || a->soffset != b->soffset || !str_eq(a->module, b->module))
        return false;
    for (uint32_t i = 0; i < a->nkeys; i++)
        if (!str_eq(a->keys[i], b->keys[i])) return false;
    return sources_eq(a->sources, b->sources, a->nsources) &&
           meas_eq(a->with_measurement, b->with_measurement) && qry_expr_equal(a->cond, b->cond) &&
           exprs_eq(a->dims, b->dims, a->ndims) && sort_eq(a->sort, b->sort, a->nsort);
}

bool qry_stmt_equal(const qry_stmt *a, const qry_stmt *b)
{
    if (a == NULL || b == NULL) return a == b;
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case QRY_STMT_SELECT:
    case QRY_STMT_EXPLAIN:
        return a->u.sel.explain_analyze == b->u.sel.explain_analyze &&
               select_eq(a->u.sel.select, b->u.sel.select);
    case QRY_STMT_CREATE_DATABASE:
    case QRY_STMT_DROP_DATABASE: {
        const qry_db_stmt *x = &a->u.db, *y = &b->u.db;
        return str_eq(x->name, y->name) && x->with == y->with &&
               x->has_duration == y->has_duration && x->has_replication == y->has_replication &&
               x->has_shard_duration == y->has_shard_duration && x->duration_ns == y->duration_ns &&
               x->replication == y->replication && x->shard_duration_ns == y->shard_duration_ns &&
               str_eq(x->rp_name, y->rp_name);
    }
    case QRY_STMT_DROP_MEASUREMENT:
        return str_eq(a->u.name, b->u.name);
    case QRY_STMT_DROP_SHARD:
        return a->u.id == b->u.id;
    case QRY_STMT_CREATE_RETENTION_POLICY:
    case QRY_STMT_ALTER_RETENTION_POLICY:
    case QRY_STMT_DROP_RETENTION_POLICY: {
        const qry_rp_stmt *x = &a->u.rp, *y = &b->u.rp;
        return str_eq(x->name, y->name) && str_eq(x->db, y->db) &&
               x->has_duration == y->has_duration && x->has_replication == y->has_replication &&
               x->has_shard_duration == y->has_shard_duration && x->duration_ns == y->duration_ns &&
               x->replication == y->replication && x->shard_duration_ns == y->shard_duration_ns &&
               x->is_default == y->is_default;
    }
    case QRY_STMT_CREATE_CONTINUOUS_QUERY:
    case QRY_STMT_DROP_CONTINUOUS_QUERY: {
        const qry_cq_stmt *x = &a->u.cq, *y = &b->u.cq;
        return str_eq(x->name, y->name) && str_eq(x->db, y->db) &&
               x->resample_every_ns == y->resample_every_ns &&
               x->resample_for_ns == y->resample_for_ns && select_eq(x->select, y->select);
    }
    case QRY_STMT_KILL_QUERY:
        return a->u.kill.id == b->u.kill.id && str_eq(a->u.kill.host, b->u.kill.host);
    case QRY_STMT_CREATE_USER:
    case QRY_STMT_DROP_USER:
    case QRY_STMT_SET_PASSWORD:
    case QRY_STMT_GRANT:
    case QRY_STMT_REVOKE:
    case QRY_STMT_SHOW_GRANTS: {
        const qry_user_stmt *x = &a->u.user, *y = &b->u.user;
        return str_eq(x->name, y->name) && str_eq(x->password, y->password) &&
               x->admin == y->admin && x->priv == y->priv && str_eq(x->db, y->db);
    }
    case QRY_STMT_CREATE_SUBSCRIPTION:
    case QRY_STMT_DROP_SUBSCRIPTION: {
        const qry_sub_stmt *x = &a->u.sub, *y = &b->u.sub;
        if (!str_eq(x->name, y->name) || !str_eq(x->db, y->db) || !str_eq(x->rp, y->rp) ||
            x->any != y->any || x->ndests != y->ndests)
            return false;
        for (uint32_t i = 0; i < x->ndests; i++)
            if (!str_eq(x->dests[i], y->dests[i])) return false;
        return true;
    }
    default:
        return show_eq(&a->u.show, &b->u.show);
    }
}

/* ---- time ---------------------------------------------------------------- */

bool qry_expr_is_time_ref(const qry_expr *e)
{
    return e && e->kind == QRY_EXPR_VARREF && e->u.ref.type == QRY_VT_UNKNOWN &&
           e->u.ref.name.len == 4 && strncasecmp(e->u.ref.name.ptr, "time", 4) == 0;
}

/* A plain offset: duration or integer nanoseconds. */
static bool offset_value(const qry_expr *e, int64_t *out)
{
    while (e->kind == QRY_EXPR_PAREN)
        e = e->u.paren.expr;
    if (e->kind == QRY_EXPR_DURATION) {
        *out = e->u.dur_ns;
        return true;
    }
    if (e->kind == QRY_EXPR_INTEGER) {
        *out = e->u.i64;
        return true;
    }
    return false;
}

int qry_expr_time_value(const qry_expr *e, int64_t *out_ns)
{
    if (e == NULL) return STRATA_EINVAL;
    switch (e->kind) {
    case QRY_EXPR_PAREN:
        return qry_expr_time_value(e->u.paren.expr, out_ns);
    case QRY_EXPR_CALL:
    case QRY_EXPR_STRING:
        if (!e->has_time) return STRATA_EINVAL;
        *out_ns = e->time_ns;
        return STRATA_OK;
    case QRY_EXPR_INTEGER:
        *out_ns = e->u.i64;
        return STRATA_OK;
    case QRY_EXPR_UNSIGNED:
        return STRATA_ERANGE;
    case QRY_EXPR_DURATION:
        *out_ns = e->u.dur_ns;
        return STRATA_OK;
    case QRY_EXPR_NUMBER:
        if (!(e->u.f64 >= -9223372036854775808.0 && e->u.f64 < 9223372036854775808.0))
            return STRATA_ERANGE;
        *out_ns = (int64_t)e->u.f64;
        return STRATA_OK;
    case QRY_EXPR_BINARY: {
        if (e->u.bin.unary || (e->u.bin.op != QRY_OP_ADD && e->u.bin.op != QRY_OP_SUB))
            return STRATA_EINVAL;
        int64_t base, off;
        int rc;
        if (offset_value(e->u.bin.rhs, &off)) {
            if ((rc = qry_expr_time_value(e->u.bin.lhs, &base)) != STRATA_OK) return rc;
        } else if (e->u.bin.op == QRY_OP_ADD && offset_value(e->u.bin.lhs, &off)) {
            if ((rc = qry_expr_time_value(e->u.bin.rhs, &base)) != STRATA_OK) return rc;
        } else {
            return STRATA_EINVAL;
        }
        bool ovf = e->u.bin.op == QRY_OP_ADD ? __builtin_add_overflow(base, off, out_ns)
                                             : __builtin_sub_overflow(base, off, out_ns);
        return ovf ? STRATA_ERANGE : STRATA_OK;
    }
    default:
        return STRATA_EINVAL;
    }
}

int qry_select_group_by_time(const qry_select *s, int64_t *interval_ns, int64_t *offset_ns,
                             const char **why)
{
    const char *dummy;
    if (why == NULL) why = &dummy;
    *interval_ns = *offset_ns = 0;
    if (qry__select_group_by_interval(s, interval_ns, why) != 0) return STRATA_EINVAL;
    for (uint32_t i = 0; i < s->ndims; i++) {
        const qry_expr *d = s->dims[i];
        if (d->kind != QRY_EXPR_CALL || d->u.call.name.len != 4 ||
            memcmp(d->u.call.name.ptr, "time", 4) != 0)
            continue;
        if (d->u.call.nargs == 2) {
            const qry_expr *o = d->u.call.args[1];
            if (o->kind == QRY_EXPR_DURATION) {
                *offset_ns = o->u.dur_ns;
            } else if (o->has_time) {
                *offset_ns = o->time_ns;
            } else {
                *why = "invalid time dimension offset";
                return STRATA_EINVAL;
            }
        }
        break;
    }
    return STRATA_OK;
}

/* ---- time zones ---------------------------------------------------------- */

bool qry_tz_exists_system(const char *name, void *ctx)
{
    static const char *const dirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
                                       "/usr/lib/locale/TZ/"};
    (void)ctx;
    if (name[0] == '\0' || strcmp(name, "UTC") == 0 || strcmp(name, "Local") == 0) return true;
    if (name[0] == '/' || name[0] == '\\' || strstr(name, "..") != NULL) return false;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[512];
        int n = snprintf(path, sizeof path, "%s%s", dirs[i], name);
        if (n < 0 || (size_t)n >= sizeof path) return false;
        FILE *f = fopen(path, "rb");
        if (f == NULL) continue;
        char magic[4];
        size_t got = fread(magic, 1, sizeof magic, f);
        fclose(f);
        if (got == 4 && memcmp(magic, "TZif", 4) == 0) return true;
    }
    return false;
}

typedef struct tz_check {
    bool (*exists)(const char *name, void *ctx);
    void *ctx;
    strata_error *err;
} tz_check;

static int check_select_tz(const tz_check *c, const qry_select *s)
{
    if (s == NULL) return STRATA_OK;
    for (uint32_t i = 0; i < s->nsources; i++)
        if (s->sources[i].kind == QRY_SRC_SUBQUERY) {
            int rc = check_select_tz(c, s->sources[i].sub);
            if (rc != STRATA_OK) return rc;
        }
    if (s->tz.len && (strlen(s->tz.ptr) != s->tz.len || !c->exists(s->tz.ptr, c->ctx)))
        return strata_error_set(c->err, STRATA_EPARSE,
                                QRY_PARSE_ERR_PREFIX "unable to find time zone %s", s->tz.ptr);
    return STRATA_OK;
}

int qry_query_check_tz(const qry_query *q, bool (*exists)(const char *name, void *ctx), void *ctx,
                       strata_error *err)
{
    tz_check c = {exists ? exists : qry_tz_exists_system, ctx, err};
    for (uint32_t i = 0; i < q->nstmts; i++) {
        const qry_stmt *s = q->stmts[i];
        const qry_select *sel = NULL;
        if (s->kind == QRY_STMT_SELECT || s->kind == QRY_STMT_EXPLAIN)
            sel = s->u.sel.select;
        else if (s->kind == QRY_STMT_CREATE_CONTINUOUS_QUERY)
            sel = s->u.cq.select;
        int rc = check_select_tz(&c, sel);
        if (rc != STRATA_OK) return rc;
    }
    return STRATA_OK;
}
