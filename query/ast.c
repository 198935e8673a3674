/*
 * query/ast.c: print syntax trees back as InfluxQL text.
 *
 * Two styles share one walker (see qry_fmt_mode in ast.h). The InfluxDB
 * style reproduces the String() methods of InfluxDB 1.x, so continuous
 * queries echo as InfluxDB echoes them. The canonical style differs only
 * where that output would not parse back to the same tree: floats are
 * printed with all their digits, a unary sign prints as a sign, names that
 * need quotes get them everywhere, empty names print as "", and passwords
 * are printed instead of [REDACTED].
 *
 * Output goes through a bounded writer that counts the full length like
 * snprintf, so callers can size a buffer with a first call. Nothing here
 * allocates.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/ast.h"
#include "query/duration.h"
#include "query/lexer.h"
#include "query/parser_int.h"

typedef struct wr {
    char *buf;
    size_t cap, len;
    qry_fmt_mode mode;
} wr;

static void put(wr *w, const char *s, size_t n)
{
    if (w->cap > 0 && w->len < w->cap - 1) {
        size_t room = w->cap - 1 - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void puts_(wr *w, const char *s)
{
    put(w, s, strlen(s));
}

static void putf(wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(wr *w, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static size_t finish(wr *w)
{
    if (w->cap > 0) w->buf[w->len < w->cap ? w->len : w->cap - 1] = '\0';
    return w->len;
}

static bool canon(const wr *w)
{
    return w->mode == QRY_FMT_CANONICAL;
}

/* ---- quoting ------------------------------------------------------------- */

static void put_escaped(wr *w, const char *s, size_t len, char quote)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        if (s[i] == '\n')
            rep = "\\n";
        else if (s[i] == '\\')
            rep = "\\\\";
        else if (s[i] == quote)
            rep = quote == '"' ? "\\\"" : "\\'";
        if (rep) {
            put(w, s + from, i - from);
            puts_(w, rep);
            from = i + 1;
        }
    }
    put(w, s + from, len - from);
}

static void put_ident(wr *w, qry_str s)
{
    if (qry__ident_is_bare(s.ptr, s.len)) {
        put(w, s.ptr, s.len);
        return;
    }
    put(w, "\"", 1);
    put_escaped(w, s.ptr, s.len, '"');
    put(w, "\"", 1);
}

static void put_string(wr *w, qry_str s)
{
    put(w, "'", 1);
    put_escaped(w, s.ptr, s.len, '\'');
    put(w, "'", 1);
}

static void put_regex(wr *w, qry_str s)
{
    size_t from = 0;
    put(w, "/", 1);
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '/') {
            put(w, s.ptr + from, i - from);
            put(w, "\\/", 2);
            from = i + 1;
        }
    }
    put(w, s.ptr + from, s.len - from);
    put(w, "/", 1);
}

size_t qry__quote_ident_segments(const qry_str *segs, int n, char *buf, size_t cap)
{
    wr w = {buf, cap, 0, QRY_FMT_INFLUX};
    for (int i = 0; i < n; i++) {
        bool empty = segs[i].len == 0;
        bool quote = !qry__ident_is_bare(segs[i].ptr, segs[i].len) || (i < n - 1 && !empty) ||
                     ((i == 0 || i == n - 1) && empty);
        if (quote) put(&w, "\"", 1);
        put_escaped(&w, segs[i].ptr, segs[i].len, '"');
        if (quote) put(&w, "\"", 1);
        if (i < n - 1) put(&w, ".", 1);
    }
    return finish(&w);
}

/* ---- numbers ------------------------------------------------------------- */

/* Shortest decimal digits of a finite v != 0: digits without dot, decimal exponent
 * of the first digit. @return number of digits. */
static int shortest_digits(double v, char *digits, int *exp10)
{
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v || prec == 17) break;
    }
    /* tmp is [-]d[.ddd]e[+-]xx */
    const char *s = tmp;
    if (*s == '-') s++;
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') digits[n++] = *s;
    *exp10 = atoi(s + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    return n;
}

size_t qry__f64_text(double v, bool go_style, char *buf, size_t cap)
{
    wr w = {buf, cap, 0, QRY_FMT_CANONICAL};
    char d[24];
    int e;

    if (isnan(v)) {
        puts_(&w, "NaN");
        return finish(&w);
    }
    if (isinf(v)) {
        puts_(&w, v > 0 ? "+Inf" : "-Inf");
        return finish(&w);
    }
    if (signbit(v)) put(&w, "-", 1);
    if (v == 0) {
        puts_(&w, go_style ? "0" : "0.0");
        return finish(&w);
    }
    int n = shortest_digits(fabs(v), d, &e);
    if (e >= 0) {
        /* Integer part: digits 0..e, padded with zeros. */
        for (int i = 0; i <= e; i++)
            put(&w, i < n ? &d[i] : "0", 1);
        if (n > e + 1) {
            put(&w, ".", 1);
            put(&w, d + e + 1, (size_t)(n - e - 1));
        } else if (!go_style) {
            put(&w, ".0", 2);
        }
    } else {
        put(&w, "0.", 2);
        for (int i = 0; i < -e - 1; i++)
            put(&w, "0", 1);
        put(&w, d, (size_t)n);
    }
    return finish(&w);
}

/* Go's %v for a float64: shortest digits, exponent form below 1e-4 or from 1e6. */
static void put_go_g(wr *w, double v)
{
    char d[24];
    int e;
    if (isnan(v) || isinf(v) || v == 0) {
        char b[8];
        qry__f64_text(v, true, b, sizeof b);
        puts_(w, b);
        return;
    }
    if (signbit(v)) put(w, "-", 1);
    int n = shortest_digits(fabs(v), d, &e);
    if (e < -4 || e >= 6) {
        put(w, d, 1);
        if (n > 1) {
            put(w, ".", 1);
            put(w, d + 1, (size_t)(n - 1));
        }
        putf(w, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
        return;
    }
    char b[400];
    qry__f64_text(fabs(v), true, b, sizeof b);
    puts_(w, b);
}

static void put_f64(wr *w, double v)
{
    if (canon(w)) {
        char b[400];
        size_t n = qry__f64_text(v, false, b, sizeof b);
        put(w, b, n);
        return;
    }
    if (isnan(v) || isinf(v)) {
        char b[8];
        qry__f64_text(v, true, b, sizeof b);
        puts_(w, b);
        return;
    }
    char b[400];
    int n = snprintf(b, sizeof b, "%.3f", v);
    put(w, b, n > 0 && (size_t)n < sizeof b ? (size_t)n : 0);
}

static void put_duration(wr *w, int64_t ns)
{
    char b[QRY_DURATION_FMT_MAX];
    put(w, b, qry_duration_format(ns, b));
}

/* ---- expressions --------------------------------------------------------- */

const char *qry_op_str(qry_op op)
{
    switch (op) {
    case QRY_OP_ADD:
        return "+";
    case QRY_OP_SUB:
        return "-";
    case QRY_OP_MUL:
        return "*";
    case QRY_OP_DIV:
        return "/";
    case QRY_OP_MOD:
        return "%";
    case QRY_OP_BITAND:
        return "&";
    case QRY_OP_BITOR:
        return "|";
    case QRY_OP_BITXOR:
        return "^";
    case QRY_OP_AND:
        return "AND";
    case QRY_OP_OR:
        return "OR";
    case QRY_OP_EQ:
        return "=";
    case QRY_OP_NEQ:
        return "!=";
    case QRY_OP_EQREGEX:
        return "=~";
    case QRY_OP_NEQREGEX:
        return "!~";
    case QRY_OP_LT:
        return "<";
    case QRY_OP_LTE:
        return "<=";
    case QRY_OP_GT:
        return ">";
    case QRY_OP_GTE:
        return ">=";
    }
    return "";
}

static const char *vtype_str(qry_vtype t)
{
    switch (t) {
    case QRY_VT_FLOAT:
        return "float";
    case QRY_VT_INTEGER:
        return "integer";
    case QRY_VT_UNSIGNED:
        return "unsigned";
    case QRY_VT_STRING:
        return "string";
    case QRY_VT_BOOLEAN:
        return "boolean";
    case QRY_VT_FIELD:
        return "field";
    case QRY_VT_TAG:
        return "tag";
    default:
        return "unknown";
    }
}

static void put_expr(wr *w, const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_VARREF:
        put_ident(w, e->u.ref.name);
        if (e->u.ref.type != QRY_VT_UNKNOWN) {
            put(w, "::", 2);
            puts_(w, vtype_str(e->u.ref.type));
        }
        return;
    case QRY_EXPR_CALL:
        if (!canon(w) || qry__ident_is_bare(e->u.call.name.ptr, e->u.call.name.len) ||
            (e->u.call.name.len == 8 && memcmp(e->u.call.name.ptr, "distinct", 8) == 0))
            put(w, e->u.call.name.ptr, e->u.call.name.len);
        else
            put_ident(w, e->u.call.name);
        put(w, "(", 1);
        for (uint32_t i = 0; i < e->u.call.nargs; i++) {
            if (i) put(w, ", ", 2);
            put_expr(w, e->u.call.args[i]);
        }
        put(w, ")", 1);
        return;
    case QRY_EXPR_BINARY:
        if (e->u.bin.unary && canon(w)) {
            put(w, &e->u.bin.unary, 1);
            put_expr(w, e->u.bin.rhs);
            return;
        }
        put_expr(w, e->u.bin.lhs);
        put(w, " ", 1);
        puts_(w, qry_op_str(e->u.bin.op));
        put(w, " ", 1);
        put_expr(w, e->u.bin.rhs);
        return;
    case QRY_EXPR_PAREN:
        put(w, "(", 1);
        put_expr(w, e->u.paren.expr);
        put(w, ")", 1);
        return;
    case QRY_EXPR_INTEGER:
        putf(w, "%" PRId64, e->u.i64);
        return;
    case QRY_EXPR_UNSIGNED:
        putf(w, "%" PRIu64, e->u.u64);
        return;
    case QRY_EXPR_NUMBER:
        put_f64(w, e->u.f64);
        return;
    case QRY_EXPR_STRING:
        put_string(w, e->u.str);
        return;
    case QRY_EXPR_BOOL:
        puts_(w, e->u.b ? "true" : "false");
        return;
    case QRY_EXPR_DURATION:
        put_duration(w, e->u.dur_ns);
        return;
    case QRY_EXPR_REGEX:
        put_regex(w, e->u.str);
        return;
    case QRY_EXPR_WILDCARD:
        puts_(w, e->u.wildcard == QRY_VT_FIELD ? "*::field"
                 : e->u.wildcard == QRY_VT_TAG ? "*::tag"
                                               : "*");
        return;
    case QRY_EXPR_DISTINCT:
        puts_(w, "DISTINCT ");
        if (canon(w))
            put_ident(w, e->u.str);
        else
            put(w, e->u.str.ptr, e->u.str.len);
        return;
    }
}

/* ---- SELECT -------------------------------------------------------------- */

static void put_select(wr *w, const qry_select *s);

static void put_measurement(wr *w, const qry_measurement *m, bool target)
{
    if (m->db.len) {
        put_ident(w, m->db);
        put(w, ".", 1);
    }
    if (m->rp.len) put_ident(w, m->rp);
    if (m->db.len || m->rp.len) put(w, ".", 1);
    if (m->name.len)
        put_ident(w, m->name);
    else if (m->has_regex)
        put_regex(w, m->regex);
    else if (target) {
        if (canon(w) && !m->db.len && !m->rp.len) put(w, "\"\".", 3);
        puts_(w, ":MEASUREMENT");
    } else if (canon(w))
        put(w, "\"\"", 2);
}

static void put_sources(wr *w, const qry_source *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i) put(w, ", ", 2);
        if (src[i].kind == QRY_SRC_SUBQUERY) {
            put(w, "(", 1);
            put_select(w, src[i].sub);
            put(w, ")", 1);
        } else {
            put_measurement(w, &src[i].m, false);
        }
    }
}

static void put_exprs(wr *w, qry_expr *const *es, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i) put(w, ", ", 2);
        put_expr(w, es[i]);
    }
}

static void put_sort(wr *w, const qry_sort_field *f, uint32_t n)
{
    if (n == 0) return;
    puts_(w, " ORDER BY ");
    for (uint32_t i = 0; i < n; i++) {
        if (i) put(w, ", ", 2);
        if (f[i].name.len) {
            if (canon(w))
                put_ident(w, f[i].name);
            else
                put(w, f[i].name.ptr, f[i].name.len);
            put(w, " ", 1);
        }
        puts_(w, f[i].asc ? "ASC" : "DESC");
    }
}

static void put_where(wr *w, const qry_expr *cond)
{
    if (cond) {
        puts_(w, " WHERE ");
        put_expr(w, cond);
    }
}

static void put_group_by(wr *w, qry_expr *const *dims, uint32_t n)
{
    if (n) {
        puts_(w, " GROUP BY ");
        put_exprs(w, dims, n);
    }
}

static void put_limits(wr *w, int64_t limit, int64_t offset, int64_t slimit, int64_t soffset)
{
    if (limit > 0) putf(w, " LIMIT %" PRId64, limit);
    if (offset > 0) putf(w, " OFFSET %" PRId64, offset);
    if (slimit > 0) putf(w, " SLIMIT %" PRId64, slimit);
    if (soffset > 0) putf(w, " SOFFSET %" PRId64, soffset);
}

static void put_select(wr *w, const qry_select *s)
{
    puts_(w, "SELECT ");
    for (uint32_t i = 0; i < s->nfields; i++) {
        if (i) put(w, ", ", 2);
        put_expr(w, s->fields[i].expr);
        if (s->fields[i].alias.len) {
            puts_(w, " AS ");
            put_ident(w, s->fields[i].alias);
        }
    }
    if (s->target) {
        puts_(w, " INTO ");
        put_measurement(w, s->target, true);
    }
    if (s->nsources) {
        puts_(w, " FROM ");
        put_sources(w, s->sources, s->nsources);
    }
    put_where(w, s->cond);
    put_group_by(w, s->dims, s->ndims);
    switch (s->fill) {
    case QRY_FILL_NONE:
        puts_(w, " fill(none)");
        break;
    case QRY_FILL_PREVIOUS:
        puts_(w, " fill(previous)");
        break;
    case QRY_FILL_LINEAR:
        puts_(w, " fill(linear)");
        break;
    case QRY_FILL_NUMBER:
        puts_(w, " fill(");
        if (s->fill_is_int)
            putf(w, "%" PRId64, s->fill_i64);
        else if (canon(w))
            put_f64(w, s->fill_f64);
        else
            put_go_g(w, s->fill_f64);
        put(w, ")", 1);
        break;
    default:
        break;
    }
    put_sort(w, s->sort, s->nsort);
    put_limits(w, s->limit, s->offset, s->slimit, s->soffset);
    if (s->tz.len) {
        puts_(w, " TZ(");
        if (canon(w)) {
            put_string(w, s->tz);
        } else {
            put(w, "'", 1);
            put(w, s->tz.ptr, s->tz.len);
            put(w, "'", 1);
        }
        put(w, ")", 1);
    }
}

/* ---- statements ---------------------------------------------------------- */

static void put_on(wr *w, qry_str db)
{
    if (db.len) {
        puts_(w, " ON ");
        put_ident(w, db);
    }
}

static void put_from(wr *w, const qry_show *sh)
{
    if (sh->nsources) {
        puts_(w, " FROM ");
        put_sources(w, sh->sources, sh->nsources);
    }
}

static void put_with_key(wr *w, const qry_show *sh)
{
    static const char *const ops[] = {"", "=", "!=", "IN", "=~", "!~"};
    puts_(w, " WITH KEY ");
    puts_(w, ops[sh->key_op <= QRY_KEY_NEQREGEX ? sh->key_op : 0]);
    put(w, " ", 1);
    switch (sh->key_op) {
    case QRY_KEY_IN:
        put(w, "(", 1);
        for (uint32_t i = 0; i < sh->nkeys; i++) {
            if (i) put(w, ", ", 2);
            put_ident(w, sh->keys[i]);
        }
        put(w, ")", 1);
        break;
    case QRY_KEY_EQREGEX:
    case QRY_KEY_NEQREGEX:
        if (sh->nkeys) put_regex(w, sh->keys[0]);
        break;
    default:
        if (sh->nkeys) put_ident(w, sh->keys[0]);
        break;
    }
}

static void put_cardinality(wr *w, const char *what, const qry_show *sh, bool with_key)
{
    puts_(w, what);
    puts_(w, sh->exact ? " EXACT CARDINALITY" : " CARDINALITY");
    put_on(w, sh->db);
    put_from(w, sh);
    if (with_key) put_with_key(w, sh);
    put_where(w, sh->cond);
    put_group_by(w, sh->dims, sh->ndims);
    put_limits(w, sh->limit, sh->offset, 0, 0);
}

static void put_password(wr *w, qry_str pw)
{
    if (canon(w))
        put_string(w, pw);
    else
        puts_(w, "[REDACTED]");
}

static const char *priv_str(qry_priv p)
{
    switch (p) {
    case QRY_PRIV_READ:
        return "READ";
    case QRY_PRIV_WRITE:
        return "WRITE";
    case QRY_PRIV_ALL:
        return "ALL PRIVILEGES";
    default:
        return "NO PRIVILEGES";
    }
}

static void put_stmt(wr *w, const qry_stmt *s)
{
    const qry_show *sh = &s->u.show;
    switch (s->kind) {
    case QRY_STMT_SELECT:
        put_select(w, s->u.sel.select);
        return;
    case QRY_STMT_EXPLAIN:
        puts_(w, s->u.sel.explain_analyze ? "EXPLAIN ANALYZE " : "EXPLAIN ");
        put_select(w, s->u.sel.select);
        return;
    case QRY_STMT_DELETE:
    case QRY_STMT_DROP_SERIES:
        puts_(w, s->kind == QRY_STMT_DELETE ? "DELETE" : "DROP SERIES");
        put_from(w, sh);
        put_where(w, sh->cond);
        return;
    case QRY_STMT_SHOW_DATABASES:
        puts_(w, "SHOW DATABASES");
        return;
    case QRY_STMT_SHOW_MEASUREMENTS:
        puts_(w, "SHOW MEASUREMENTS");
        if (sh->db.len) {
            puts_(w, " ON ");
            if (canon(w))
                put_ident(w, sh->db);
            else
                put(w, sh->db.ptr, sh->db.len);
        }
        if (sh->with_measurement) {
            puts_(w, sh->with_measurement->has_regex ? " WITH MEASUREMENT =~ "
                                                     : " WITH MEASUREMENT = ");
            put_measurement(w, sh->with_measurement, false);
        }
        put_where(w, sh->cond);
        put_sort(w, sh->sort, sh->nsort);
        put_limits(w, sh->limit, sh->offset, 0, 0);
        return;
    case QRY_STMT_SHOW_TAG_KEYS:
        puts_(w, "SHOW TAG KEYS");
        put_on(w, sh->db);
        put_from(w, sh);
        put_where(w, sh->cond);
        put_sort(w, sh->sort, sh->nsort);
        put_limits(w, sh->limit, sh->offset, sh->slimit, sh->soffset);
        return;
    case QRY_STMT_SHOW_TAG_VALUES:
        puts_(w, "SHOW TAG VALUES");
        put_on(w, sh->db);
        put_from(w, sh);
        put_with_key(w, sh);
        put_where(w, sh->cond);
        put_sort(w, sh->sort, sh->nsort);
        put_limits(w, sh->limit, sh->offset, 0, 0);
        return;
    case QRY_STMT_SHOW_FIELD_KEYS:
        puts_(w, "SHOW FIELD KEYS");
        put_on(w, sh->db);
        put_from(w, sh);
        put_sort(w, sh->sort, sh->nsort);
        put_limits(w, sh->limit, sh->offset, 0, 0);
        return;
    case QRY_STMT_SHOW_SERIES:
        puts_(w, "SHOW SERIES");
        put_on(w, sh->db);
        put_from(w, sh);
        put_where(w, sh->cond);
        put_sort(w, sh->sort, sh->nsort);
        put_limits(w, sh->limit, sh->offset, 0, 0);
        return;
    case QRY_STMT_SHOW_MEASUREMENT_CARDINALITY:
        put_cardinality(w, "SHOW MEASUREMENT", sh, false);
        return;
    case QRY_STMT_SHOW_SERIES_CARDINALITY:
        put_cardinality(w, "SHOW SERIES", sh, false);
        return;
    case QRY_STMT_SHOW_TAG_KEY_CARDINALITY:
        put_cardinality(w, "SHOW TAG KEY", sh, false);
        return;
    case QRY_STMT_SHOW_TAG_VALUES_CARDINALITY:
        put_cardinality(w, "SHOW TAG VALUES", sh, true);
        return;
    case QRY_STMT_SHOW_FIELD_KEY_CARDINALITY:
        put_cardinality(w, "SHOW FIELD KEY", sh, false);
        return;
    case QRY_STMT_SHOW_RETENTION_POLICIES:
        puts_(w, "SHOW RETENTION POLICIES");
        put_on(w, sh->db);
        return;
    case QRY_STMT_SHOW_CONTINUOUS_QUERIES:
        puts_(w, "SHOW CONTINUOUS QUERIES");
        return;
    case QRY_STMT_SHOW_USERS:
        puts_(w, "SHOW USERS");
        return;
    case QRY_STMT_SHOW_GRANTS:
        puts_(w, "SHOW GRANTS FOR ");
        put_ident(w, s->u.user.name);
        return;
    case QRY_STMT_SHOW_QUERIES:
        puts_(w, "SHOW QUERIES");
        return;
    case QRY_STMT_SHOW_DIAGNOSTICS:
    case QRY_STMT_SHOW_STATS:
        puts_(w, s->kind == QRY_STMT_SHOW_STATS ? "SHOW STATS" : "SHOW DIAGNOSTICS");
        if (sh->module.len) {
            puts_(w, " FOR ");
            put_string(w, sh->module);
        }
        return;
    case QRY_STMT_SHOW_SHARDS:
        puts_(w, "SHOW SHARDS");
        return;
    case QRY_STMT_SHOW_SHARD_GROUPS:
        puts_(w, "SHOW SHARD GROUPS");
        return;
    case QRY_STMT_SHOW_SUBSCRIPTIONS:
        puts_(w, "SHOW SUBSCRIPTIONS");
        return;
    case QRY_STMT_CREATE_DATABASE: {
        const qry_db_stmt *d = &s->u.db;
        puts_(w, "CREATE DATABASE ");
        put_ident(w, d->name);
        if (d->with) {
            puts_(w, " WITH");
            if (d->has_duration) {
                puts_(w, " DURATION ");
                put_duration(w, d->duration_ns);
            }
            if (d->has_replication) putf(w, " REPLICATION %" PRId64, d->replication);
            if (d->has_shard_duration && (canon(w) || d->shard_duration_ns > 0)) {
                puts_(w, " SHARD DURATION ");
                put_duration(w, d->shard_duration_ns);
            }
            if (d->rp_name.len) {
                puts_(w, " NAME ");
                put_ident(w, d->rp_name);
            }
        }
        return;
    }
    case QRY_STMT_DROP_DATABASE:
        puts_(w, "DROP DATABASE ");
        put_ident(w, s->u.db.name);
        return;
    case QRY_STMT_DROP_MEASUREMENT:
        puts_(w, "DROP MEASUREMENT ");
        put_ident(w, s->u.name);
        return;
    case QRY_STMT_DROP_SHARD:
        putf(w, "DROP SHARD %" PRIu64, s->u.id);
        return;
    case QRY_STMT_CREATE_RETENTION_POLICY:
    case QRY_STMT_ALTER_RETENTION_POLICY: {
        const qry_rp_stmt *r = &s->u.rp;
        puts_(w, s->kind == QRY_STMT_CREATE_RETENTION_POLICY ? "CREATE RETENTION POLICY "
                                                             : "ALTER RETENTION POLICY ");
        put_ident(w, r->name);
        puts_(w, " ON ");
        put_ident(w, r->db);
        if (r->has_duration) {
            puts_(w, " DURATION ");
            put_duration(w, r->duration_ns);
        }
        if (r->has_replication) putf(w, " REPLICATION %" PRId64, r->replication);
        if (r->has_shard_duration &&
            (canon(w) || s->kind == QRY_STMT_ALTER_RETENTION_POLICY || r->shard_duration_ns > 0)) {
            puts_(w, " SHARD DURATION ");
            put_duration(w, r->shard_duration_ns);
        }
        if (r->is_default) puts_(w, " DEFAULT");
        return;
    }
    case QRY_STMT_DROP_RETENTION_POLICY:
        puts_(w, "DROP RETENTION POLICY ");
        put_ident(w, s->u.rp.name);
        puts_(w, " ON ");
        put_ident(w, s->u.rp.db);
        return;
    case QRY_STMT_CREATE_CONTINUOUS_QUERY: {
        const qry_cq_stmt *c = &s->u.cq;
        puts_(w, "CREATE CONTINUOUS QUERY ");
        put_ident(w, c->name);
        puts_(w, " ON ");
        put_ident(w, c->db);
        put(w, " ", 1);
        if (c->resample_every_ns > 0 || c->resample_for_ns > 0) {
            puts_(w, "RESAMPLE ");
            if (c->resample_every_ns > 0) {
                puts_(w, "EVERY ");
                put_duration(w, c->resample_every_ns);
                put(w, " ", 1);
            }
            if (c->resample_for_ns > 0) {
                puts_(w, "FOR ");
                put_duration(w, c->resample_for_ns);
                put(w, " ", 1);
            }
        }
        puts_(w, "BEGIN ");
        put_select(w, c->select);
        puts_(w, " END");
        return;
    }
    case QRY_STMT_DROP_CONTINUOUS_QUERY:
        puts_(w, "DROP CONTINUOUS QUERY ");
        put_ident(w, s->u.cq.name);
        puts_(w, " ON ");
        put_ident(w, s->u.cq.db);
        return;
    case QRY_STMT_KILL_QUERY:
        putf(w, "KILL QUERY %" PRIu64, s->u.kill.id);
        if (s->u.kill.host.len) {
            puts_(w, " ON ");
            put_ident(w, s->u.kill.host);
        }
        return;
    case QRY_STMT_CREATE_USER:
        puts_(w, "CREATE USER ");
        put_ident(w, s->u.user.name);
        puts_(w, " WITH PASSWORD ");
        put_password(w, s->u.user.password);
        if (s->u.user.admin) puts_(w, " WITH ALL PRIVILEGES");
        return;
    case QRY_STMT_DROP_USER:
        puts_(w, "DROP USER ");
        put_ident(w, s->u.user.name);
        return;
    case QRY_STMT_SET_PASSWORD:
        puts_(w, "SET PASSWORD FOR ");
        put_ident(w, s->u.user.name);
        puts_(w, " = ");
        put_password(w, s->u.user.password);
        return;
    case QRY_STMT_GRANT:
    case QRY_STMT_REVOKE: {
        const qry_user_stmt *u = &s->u.user;
        bool grant = s->kind == QRY_STMT_GRANT;
        puts_(w, grant ? "GRANT " : "REVOKE ");
        puts_(w, priv_str(u->priv));
        if (!u->admin) {
            puts_(w, " ON ");
            put_ident(w, u->db);
        }
        puts_(w, grant ? " TO " : " FROM ");
        put_ident(w, u->name);
        return;
    }
    case QRY_STMT_CREATE_SUBSCRIPTION:
    case QRY_STMT_DROP_SUBSCRIPTION: {
        const qry_sub_stmt *sub = &s->u.sub;
        bool create = s->kind == QRY_STMT_CREATE_SUBSCRIPTION;
        puts_(w, create ? "CREATE SUBSCRIPTION " : "DROP SUBSCRIPTION ");
        put_ident(w, sub->name);
        puts_(w, " ON ");
        put_ident(w, sub->db);
        put(w, ".", 1);
        put_ident(w, sub->rp);
        if (create) {
            puts_(w, sub->any ? " DESTINATIONS ANY " : " DESTINATIONS ALL ");
            for (uint32_t i = 0; i < sub->ndests; i++) {
                if (i) put(w, ", ", 2);
                put_string(w, sub->dests[i]);
            }
        }
        return;
    }
    }
}

/* ---- public entry points ------------------------------------------------- */

size_t qry_stmt_format_mode(const qry_stmt *s, qry_fmt_mode mode, char *buf, size_t cap)
{
    wr w = {buf, cap, 0, mode};
    put_stmt(&w, s);
    return finish(&w);
}

size_t qry_stmt_format(const qry_stmt *s, char *buf, size_t cap)
{
    return qry_stmt_format_mode(s, QRY_FMT_CANONICAL, buf, cap);
}

size_t qry_query_format(const qry_query *q, qry_fmt_mode mode, char *buf, size_t cap)
{
    wr w = {buf, cap, 0, mode};
    for (uint32_t i = 0; i < q->nstmts; i++) {
        if (i) put(&w, ";\n", 2);
        put_stmt(&w, q->stmts[i]);
    }
    return finish(&w);
}

size_t qry_expr_format(const qry_expr *e, qry_fmt_mode mode, char *buf, size_t cap)
{
    wr w = {buf, cap, 0, mode};
    put_expr(&w, e);
    return finish(&w);
}

size_t qry_select_format(const qry_select *s, qry_fmt_mode mode, char *buf, size_t cap)
{
    wr w = {buf, cap, 0, mode};
    put_select(&w, s);
    return finish(&w);
}
