/*
 * query/parser.c: the InfluxQL parser driver, token plumbing, error
 * messages, and every statement except SELECT (see parser_expr.c).
 *
 * The grammar follows InfluxDB 1.6. Where InfluxDB's behaviour is visible to
 * clients (which token an error names, the list of expected alternatives,
 * the reported position, which errors carry a position at all) this parser
 * reproduces it; the token ring and raw-rune peeking in parser_int.h exist
 * for that reason. Statement keyword dispatch uses the alternatives lists
 * InfluxDB prints, in its order.
 */
#include "query/parser.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/duration.h"
#include "query/parser_int.h"

/* ---- tokens ------------------------------------------------------------- */

void qry__p_init(qry_parser *p, const char *text, size_t len, const qry_params *params,
                 int64_t now_ns, strata_arena *arena, strata_error *err)
{
    memset(p, 0, sizeof *p);
    qry__lex_init(&p->lx, text, len, arena);
    p->params = params;
    p->now_ns = now_ns;
    p->arena = arena;
    p->err = err;
    for (int i = 0; i < 3; i++) {
        p->ring[i].tok = QRY_TOK_ILLEGAL;
        p->ring[i].lit = "";
    }
}

qry_str qry__p_str(qry_parser *p, const char *s, size_t len)
{
    qry_str r = {"", 0};
    if (len == 0) return r;
    char *c = strata_arena_strndup(p->arena, s, len);
    if (c == NULL) {
        qry__p_oom(p);
        return r;
    }
    r.ptr = c;
    r.len = len;
    return r;
}

static const qry_param *find_param(const qry_parser *p, const char *name, size_t len)
{
    if (p->params == NULL) return NULL;
    for (size_t i = 0; i < p->params->count; i++) {
        const qry_param *q = &p->params->items[i];
        if (q->name && q->name_len == len && memcmp(q->name, name, len) == 0) return q;
    }
    return NULL;
}

/* Replace a bound parameter by the token its value stands for. */
static qry_token substitute(qry_parser *p, qry_token t)
{
    if (t.tok != QRY_TOK_BOUNDPARAM || t.len < 2) return t;
    const qry_param *v = find_param(p, t.lit + 1, t.len - 1);
    if (v == NULL) return t;
    char num[400];
    qry_str s = {"", 0};
    switch (v->kind) {
    case QRY_PARAM_STRING:
        t.tok = QRY_TOK_STRING;
        s = qry__p_str(p, v->str ? v->str : "", v->str ? v->str_len : 0);
        break;
    case QRY_PARAM_IDENT:
        t.tok = QRY_TOK_IDENT;
        s = qry__p_str(p, v->str ? v->str : "", v->str ? v->str_len : 0);
        break;
    case QRY_PARAM_REGEX:
        t.tok = QRY_TOK_REGEX;
        s = qry__p_str(p, v->str ? v->str : "", v->str ? v->str_len : 0);
        break;
    case QRY_PARAM_DURATION:
        t.tok = QRY_TOK_DURATIONVAL;
        s = qry__p_str(p, v->str ? v->str : "", v->str ? v->str_len : 0);
        break;
    case QRY_PARAM_NUMBER: {
        t.tok = QRY_TOK_NUMBER;
        size_t n = qry__f64_text(v->f64, true, num, sizeof num);
        s = qry__p_str(p, num, n);
        break;
    }
    case QRY_PARAM_INTEGER: {
        t.tok = QRY_TOK_INTEGER;
        int n = snprintf(num, sizeof num, "%" PRId64, v->i64);
        s = qry__p_str(p, num, (size_t)n);
        break;
    }
    case QRY_PARAM_BOOL:
        t.tok = v->b ? QRY_TOK_TRUE : QRY_TOK_FALSE;
        break;
    case QRY_PARAM_ERROR:
    default:
        /* Stays a BOUNDPARAM whose text is the reason; reported where used. */
        s = qry__p_str(p, v->str ? v->str : "unable to bind parameter",
                       v->str ? v->str_len : strlen("unable to bind parameter"));
        break;
    }
    t.lit = s.ptr;
    t.len = s.len;
    return t;
}

static qry_token next_token(qry_parser *p, bool regex)
{
    if (p->tn > 0) {
        p->tn--;
        int k = p->ti - p->tn;
        return p->ring[k < 0 ? k + 3 : k];
    }
    qry_token t = regex ? qry__lex_scan_regex(&p->lx) : qry__lex_scan(&p->lx);
    if (p->lx.oom) qry__p_oom(p);
    t = substitute(p, t);
    p->ti = p->ti == 2 ? 0 : p->ti + 1;
    p->ring[p->ti] = t;
    return t;
}

qry_token qry__p_scan(qry_parser *p)
{
    return next_token(p, false);
}

qry_token qry__p_scan_regex(qry_parser *p)
{
    return next_token(p, true);
}

qry_token qry__p_scan_ws(qry_parser *p)
{
    for (;;) {
        qry_token t = next_token(p, false);
        if (t.tok != QRY_TOK_WS && t.tok != QRY_TOK_COMMENT) return t;
    }
}

void qry__p_unscan(qry_parser *p)
{
    /* The ring holds three tokens; stepping back further is not meaningful. */
    if (p->tn < 3) p->tn++;
}

int32_t qry__p_peek(qry_parser *p)
{
    return qry__lex_peek(&p->lx);
}

void qry__p_consume_ws(qry_parser *p)
{
    qry_token t = qry__p_scan(p);
    if (t.tok != QRY_TOK_WS) qry__p_unscan(p);
}

/* ---- errors and allocation ---------------------------------------------- */

const char *qry__tokstr(const qry_token *t)
{
    if (t->len > 0) return t->lit;
    return qry__tok_name(t->tok);
}

static int fail_v(qry_parser *p, int code, const char *fmt, va_list ap)
{
    if (p->rc != 0) return -1;
    p->rc = code;
    if (p->err) {
        char msg[STRATA_ERRMSG_MAX];
        vsnprintf(msg, sizeof msg, fmt, ap);
        strata_error_set(p->err, code, QRY_PARSE_ERR_PREFIX "%s", msg);
    }
    return -1;
}

static int fail(qry_parser *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(p, code, fmt, ap);
    va_end(ap);
    return -1;
}

int qry__p_expected(qry_parser *p, const qry_token *t, const char *expected)
{
    return fail(p, STRATA_EPARSE, "found %s, expected %s at line %d, char %d", qry__tokstr(t),
                expected, (int)t->pos.line + 1, (int)t->pos.col + 1);
}

int qry__p_errpos(qry_parser *p, qry_lpos pos, const char *fmt, ...)
{
    char msg[STRATA_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail(p, STRATA_EPARSE, "%s at line %d, char %d", msg, (int)pos.line + 1,
                (int)pos.col + 1);
}

int qry__p_limit(qry_parser *p, qry_lpos pos, const char *what, int limit)
{
    return fail(p, STRATA_ELIMIT, "%s nested too deeply (more than %d levels) at line %d, char %d",
                what, limit, (int)pos.line + 1, (int)pos.col + 1);
}

int qry__p_errmsg(qry_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(p, STRATA_EPARSE, fmt, ap);
    va_end(ap);
    return -1;
}

int qry__p_oom(qry_parser *p)
{
    /* Out of memory outranks any parse error it may have caused. */
    if (p->rc != STRATA_ENOMEM) {
        p->rc = STRATA_ENOMEM;
        strata_error_set(p->err, STRATA_ENOMEM, "parsing query: out of memory in the query arena");
    }
    return -1;
}

void *qry__p_alloc(qry_parser *p, size_t n)
{
    void *m = strata_arena_alloc(p->arena, n);
    if (m == NULL) {
        qry__p_oom(p);
        return NULL;
    }
    memset(m, 0, n);
    return m;
}

int qry__p_push(qry_parser *p, qry_vec *v, size_t elem, const void *x)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        void *ni = strata_arena_alloc(p->arena, (size_t)cap * elem);
        if (ni == NULL) return qry__p_oom(p);
        if (v->n) memcpy(ni, v->items, (size_t)v->n * elem);
        v->items = ni;
        v->cap = cap;
    }
    memcpy((char *)v->items + (size_t)v->n * elem, x, elem);
    v->n++;
    return 0;
}

qry_pos qry__p_pos(qry_lpos lp)
{
    qry_pos r = {(uint32_t)lp.line + 1, (uint32_t)lp.col + 1, lp.off};
    return r;
}

/* ---- small grammar pieces ------------------------------------------------ */

int qry__p_ident(qry_parser *p, qry_str *out)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_IDENT) return qry__p_expected(p, &t, "identifier");
    *out = qry__p_str(p, t.lit, t.len);
    return p->rc ? -1 : 0;
}

int qry__p_tokens(qry_parser *p, const qry_tok *toks, int n)
{
    for (int i = 0; i < n; i++) {
        qry_token t = qry__p_scan_ws(p);
        if (t.tok != toks[i]) return qry__p_expected(p, &t, qry__tok_name(toks[i]));
    }
    return 0;
}

static int p_one(qry_parser *p, qry_tok tok)
{
    return qry__p_tokens(p, &tok, 1);
}

/* True (and consumed) if the next token is tok; otherwise it stays. */
static bool p_accept(qry_parser *p, qry_tok tok)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == tok) return true;
    qry__p_unscan(p);
    return false;
}

static int p_string(qry_parser *p, qry_str *out)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_STRING) return qry__p_expected(p, &t, "string");
    *out = qry__p_str(p, t.lit, t.len);
    return p->rc ? -1 : 0;
}

/* Decimal digits (optionally signed) to int64 with strconv-like errors. */
static int dec_i64(const char *s, size_t len, int64_t *out, bool *range)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0, lim;

    *range = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len) return -1;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10) {
            *range = true;
            v = lim;
            for (; i < len; i++)
                if (s[i] < '0' || s[i] > '9') return -1;
            break;
        }
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return *range ? -1 : 0;
}

/* INTEGER in [min, max]: InfluxDB's ParseInt(min, max). */
static int p_int_range(qry_parser *p, int64_t min, int64_t max, int64_t *out)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_INTEGER) return qry__p_expected(p, &t, "integer");
    int64_t n;
    bool range;
    if (dec_i64(t.lit, t.len, &n, &range) != 0)
        return qry__p_errpos(p, t.pos, "strconv.Atoi: parsing \"%s\": %s", t.lit,
                             range ? "value out of range" : "invalid syntax");
    if (n < min || n > max)
        return qry__p_errpos(p, t.pos,
                             "invalid value %" PRId64 ": must be %" PRId64 " <= n <= %" PRId64, n,
                             min, max);
    *out = n;
    return 0;
}

static int p_uint64(qry_parser *p, uint64_t *out)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_INTEGER) return qry__p_expected(p, &t, "integer");
    uint64_t v = 0;
    bool bad = t.len == 0, range = false;
    for (size_t i = 0; i < t.len && !bad; i++) {
        if (t.lit[i] < '0' || t.lit[i] > '9') {
            bad = true;
            break;
        }
        unsigned d = (unsigned)(t.lit[i] - '0');
        if (!range && v > (UINT64_MAX - d) / 10) range = true;
        if (!range) v = v * 10 + d;
    }
    if (bad || range)
        return qry__p_errpos(p, t.pos, "strconv.ParseUint: parsing \"%s\": %s", t.lit,
                             bad ? "invalid syntax" : "value out of range");
    *out = v;
    return 0;
}

int qry__p_optional_int(qry_parser *p, qry_tok tok, int64_t *out)
{
    *out = 0;
    if (!p_accept(p, tok)) return 0;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_INTEGER) return qry__p_expected(p, &t, "integer");
    int64_t n;
    bool range;
    if (dec_i64(t.lit, t.len, &n, &range) != 0 && !range)
        n = 0; /* InfluxDB ignores the conversion error; an overflow saturates */
    if (n < 0) return qry__p_errpos(p, t.pos, "%s must be >= 0", qry__tok_name(tok));
    *out = n;
    return 0;
}

/* DURATIONVAL or INF (0): InfluxDB's ParseDuration for statements. */
int qry__p_duration(qry_parser *p, int64_t *out)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_DURATIONVAL && t.tok != QRY_TOK_INF)
        return qry__p_expected(p, &t, "duration");
    if (t.tok == QRY_TOK_INF) {
        *out = 0;
        return 0;
    }
    strata_error e;
    if (qry_duration_parse(t.lit, t.len, out, &e) != STRATA_OK)
        return qry__p_errpos(p, t.pos, "%s", e.msg);
    return 0;
}

/* SHARD was read: "DURATION <d>" where INF is refused. */
static int p_shard_duration(qry_parser *p, int64_t *out)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_DURATION) return qry__p_expected(p, &t, "DURATION");
    t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_INF)
        return qry__p_errpos(p, t.pos, "invalid duration INF for shard duration");
    qry__p_unscan(p);
    return qry__p_duration(p, out);
}

/* ---- statements ---------------------------------------------------------- */

static qry_stmt *new_stmt(qry_parser *p, qry_stmt_kind kind, qry_lpos pos)
{
    qry_stmt *s = qry__p_alloc(p, sizeof *s);
    if (s == NULL) return NULL;
    s->kind = kind;
    s->pos = qry__p_pos(pos);
    return s;
}

/* DROP SERIES / DELETE: [FROM sources] [WHERE cond], at least one. */
static int p_delete_like(qry_parser *p, qry_show *sh)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_FROM) {
        if (qry__p_sources(p, false, &sh->sources, &sh->nsources) != 0) return -1;
        const char *bad = NULL;
        for (uint32_t i = 0; i < sh->nsources; i++) {
            if (sh->sources[i].m.db.len) bad = "database not supported";
            if (sh->sources[i].m.rp.len) bad = "retention policy not supported";
        }
        if (bad) {
            qry_lpos zero = {0, 0, 0};
            return qry__p_errpos(p, zero, "%s", bad);
        }
    } else {
        qry__p_unscan(p);
    }
    if (qry__p_condition(p, &sh->cond) != 0) return -1;
    if (sh->cond == NULL && sh->nsources == 0) return qry__p_expected(p, &t, "FROM, WHERE");
    return 0;
}

/* [ON db] */
static int p_on_db(qry_parser *p, qry_str *db)
{
    if (p_accept(p, QRY_TOK_ON)) return qry__p_ident(p, db);
    return 0;
}

/* [FROM sources] without subqueries. */
static int p_from(qry_parser *p, qry_show *sh)
{
    if (p_accept(p, QRY_TOK_FROM)) return qry__p_sources(p, false, &sh->sources, &sh->nsources);
    return 0;
}

/* WITH KEY (= k | != k | IN (k, ...) | =~ /re/ | !~ /re/) */
static int p_tag_key_expr(qry_parser *p, qry_show *sh)
{
    static const qry_tok with_key[] = {QRY_TOK_WITH, QRY_TOK_KEY};
    if (qry__p_tokens(p, with_key, 2) != 0) return -1;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_IN) {
        qry_token lp = qry__p_scan_ws(p);
        if (lp.tok != QRY_TOK_LPAREN) return qry__p_expected(p, &lp, "(");
        qry_vec v = {0};
        for (;;) {
            qry_str k;
            if (qry__p_ident(p, &k) != 0 || qry__p_push(p, &v, sizeof k, &k) != 0) return -1;
            if (!p_accept(p, QRY_TOK_COMMA)) break;
        }
        qry_token rp = qry__p_scan_ws(p);
        if (rp.tok != QRY_TOK_RPAREN) return qry__p_expected(p, &rp, ")");
        sh->key_op = QRY_KEY_IN;
        sh->keys = v.items;
        sh->nkeys = v.n;
        return 0;
    }
    if (t.tok == QRY_TOK_EQ || t.tok == QRY_TOK_NEQ) {
        qry_str *k = qry__p_alloc(p, sizeof *k);
        if (k == NULL || qry__p_ident(p, k) != 0) return -1;
        sh->key_op = t.tok == QRY_TOK_EQ ? QRY_KEY_EQ : QRY_KEY_NEQ;
        sh->keys = k;
        sh->nkeys = 1;
        return 0;
    }
    if (t.tok == QRY_TOK_EQREGEX || t.tok == QRY_TOK_NEQREGEX) {
        qry_expr *re;
        if (qry__p_regex(p, &re) != 0) return -1;
        if (re == NULL) {
            qry_token n = qry__p_scan_ws(p);
            return qry__p_expected(p, &n, "regex");
        }
        qry_str *k = qry__p_alloc(p, sizeof *k);
        if (k == NULL) return -1;
        *k = re->u.str;
        sh->key_op = t.tok == QRY_TOK_EQREGEX ? QRY_KEY_EQREGEX : QRY_KEY_NEQREGEX;
        sh->keys = k;
        sh->nkeys = 1;
        return 0;
    }
    return qry__p_expected(p, &t, "IN, =, =~");
}

/* The tail shared by the CARDINALITY statements. */
static int p_cardinality_tail(qry_parser *p, qry_show *sh, bool tag_key)
{
    if (p_on_db(p, &sh->db) != 0 || p_from(p, sh) != 0) return -1;
    if (tag_key && p_tag_key_expr(p, sh) != 0) return -1;
    if (qry__p_condition(p, &sh->cond) != 0 || qry__p_dimensions(p, &sh->dims, &sh->ndims) != 0 ||
        qry__p_optional_int(p, QRY_TOK_LIMIT, &sh->limit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_OFFSET, &sh->offset) != 0)
        return -1;
    return 0;
}

/* SHOW TAG KEY / SHOW FIELD KEY were read: [EXACT] CARDINALITY ... */
static qry_stmt *p_key_cardinality(qry_parser *p, qry_stmt_kind kind, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, kind, pos);
    if (s == NULL) return NULL;
    const char *expected = "EXACT, CARDINALITY";
    if (p_accept(p, QRY_TOK_EXACT)) {
        s->u.show.exact = true;
        expected = "CARDINALITY";
    }
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_CARDINALITY) {
        qry__p_expected(p, &t, expected);
        return NULL;
    }
    return p_cardinality_tail(p, &s->u.show, false) ? NULL : s;
}

/* SHOW MEASUREMENT EXACT / SHOW MEASUREMENT CARDINALITY, SHOW TAG VALUES [EXACT] CARDINALITY. */
static qry_stmt *p_cardinality(qry_parser *p, qry_stmt_kind kind, bool exact, bool tag_key,
                               qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, kind, pos);
    if (s == NULL) return NULL;
    s->u.show.exact = exact;
    if (exact && p_one(p, QRY_TOK_CARDINALITY) != 0) return NULL;
    return p_cardinality_tail(p, &s->u.show, tag_key) ? NULL : s;
}

static qry_stmt *p_show_measurements(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_MEASUREMENTS, pos);
    if (s == NULL) return NULL;
    qry_show *sh = &s->u.show;
    if (p_on_db(p, &sh->db) != 0) return NULL;
    if (p_accept(p, QRY_TOK_WITH)) {
        if (p_one(p, QRY_TOK_MEASUREMENT) != 0) return NULL;
        qry_token t = qry__p_scan_ws(p);
        if (t.tok != QRY_TOK_EQ && t.tok != QRY_TOK_EQREGEX) {
            qry__p_expected(p, &t, "=, =~");
            return NULL;
        }
        qry_source src;
        if (qry__p_source(p, false, &src) != 0) return NULL;
        sh->with_measurement = qry__p_alloc(p, sizeof *sh->with_measurement);
        if (sh->with_measurement == NULL) return NULL;
        *sh->with_measurement = src.m;
    }
    if (qry__p_condition(p, &sh->cond) != 0 || qry__p_order_by(p, &sh->sort, &sh->nsort) != 0 ||
        qry__p_optional_int(p, QRY_TOK_LIMIT, &sh->limit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_OFFSET, &sh->offset) != 0)
        return NULL;
    return s;
}

static qry_stmt *p_show_series(qry_parser *p, qry_lpos pos)
{
    bool exact = p_accept(p, QRY_TOK_EXACT);
    if (p_accept(p, QRY_TOK_CARDINALITY)) {
        qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_SERIES_CARDINALITY, pos);
        if (s == NULL) return NULL;
        s->u.show.exact = exact;
        return p_cardinality_tail(p, &s->u.show, false) ? NULL : s;
    }
    qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_SERIES, pos);
    if (s == NULL) return NULL;
    qry_show *sh = &s->u.show;
    if (p_on_db(p, &sh->db) != 0 || p_from(p, sh) != 0 || qry__p_condition(p, &sh->cond) != 0 ||
        qry__p_order_by(p, &sh->sort, &sh->nsort) != 0 ||
        qry__p_optional_int(p, QRY_TOK_LIMIT, &sh->limit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_OFFSET, &sh->offset) != 0)
        return NULL;
    return s;
}

static qry_stmt *p_show_tag_keys(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_TAG_KEYS, pos);
    if (s == NULL) return NULL;
    qry_show *sh = &s->u.show;
    if (p_on_db(p, &sh->db) != 0 || p_from(p, sh) != 0 || qry__p_condition(p, &sh->cond) != 0 ||
        qry__p_order_by(p, &sh->sort, &sh->nsort) != 0 ||
        qry__p_optional_int(p, QRY_TOK_LIMIT, &sh->limit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_OFFSET, &sh->offset) != 0 ||
        qry__p_optional_int(p, QRY_TOK_SLIMIT, &sh->slimit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_SOFFSET, &sh->soffset) != 0)
        return NULL;
    return s;
}

static qry_stmt *p_show_tag_values(qry_parser *p, qry_lpos pos)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_EXACT)
        return p_cardinality(p, QRY_STMT_SHOW_TAG_VALUES_CARDINALITY, true, true, pos);
    if (t.tok == QRY_TOK_CARDINALITY)
        return p_cardinality(p, QRY_STMT_SHOW_TAG_VALUES_CARDINALITY, false, true, pos);
    qry__p_unscan(p);
    qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_TAG_VALUES, pos);
    if (s == NULL) return NULL;
    qry_show *sh = &s->u.show;
    if (p_on_db(p, &sh->db) != 0 || p_from(p, sh) != 0 || p_tag_key_expr(p, sh) != 0 ||
        qry__p_condition(p, &sh->cond) != 0 || qry__p_order_by(p, &sh->sort, &sh->nsort) != 0 ||
        qry__p_optional_int(p, QRY_TOK_LIMIT, &sh->limit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_OFFSET, &sh->offset) != 0)
        return NULL;
    return s;
}

static qry_stmt *p_show_field_keys(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_FIELD_KEYS, pos);
    if (s == NULL) return NULL;
    qry_show *sh = &s->u.show;
    if (p_on_db(p, &sh->db) != 0 || p_from(p, sh) != 0 ||
        qry__p_order_by(p, &sh->sort, &sh->nsort) != 0 ||
        qry__p_optional_int(p, QRY_TOK_LIMIT, &sh->limit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_OFFSET, &sh->offset) != 0)
        return NULL;
    return s;
}

/* SHOW STATS / SHOW DIAGNOSTICS [FOR 'module'] */
static qry_stmt *p_show_module(qry_parser *p, qry_stmt_kind kind, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, kind, pos);
    if (s == NULL) return NULL;
    if (p_accept(p, QRY_TOK_FOR) && p_string(p, &s->u.show.module) != 0) return NULL;
    return s;
}

static qry_stmt *p_show(qry_parser *p, qry_lpos pos)
{
    qry_token t = qry__p_scan_ws(p), t2;
    switch (t.tok) {
    case QRY_TOK_CONTINUOUS:
        if (p_one(p, QRY_TOK_QUERIES) != 0) return NULL;
        return new_stmt(p, QRY_STMT_SHOW_CONTINUOUS_QUERIES, pos);
    case QRY_TOK_DATABASES:
        return new_stmt(p, QRY_STMT_SHOW_DATABASES, pos);
    case QRY_TOK_DIAGNOSTICS:
        return p_show_module(p, QRY_STMT_SHOW_DIAGNOSTICS, pos);
    case QRY_TOK_FIELD:
        t2 = qry__p_scan_ws(p);
        if (t2.tok == QRY_TOK_KEY)
            return p_key_cardinality(p, QRY_STMT_SHOW_FIELD_KEY_CARDINALITY, pos);
        if (t2.tok == QRY_TOK_KEYS) return p_show_field_keys(p, pos);
        qry__p_expected(p, &t2, "KEY, KEYS");
        return NULL;
    case QRY_TOK_GRANTS: {
        if (p_one(p, QRY_TOK_FOR) != 0) return NULL;
        qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_GRANTS, pos);
        if (s == NULL || qry__p_ident(p, &s->u.user.name) != 0) return NULL;
        return s;
    }
    case QRY_TOK_MEASUREMENT:
        t2 = qry__p_scan_ws(p);
        if (t2.tok == QRY_TOK_EXACT)
            return p_cardinality(p, QRY_STMT_SHOW_MEASUREMENT_CARDINALITY, true, false, pos);
        if (t2.tok == QRY_TOK_CARDINALITY)
            return p_cardinality(p, QRY_STMT_SHOW_MEASUREMENT_CARDINALITY, false, false, pos);
        qry__p_expected(p, &t2, "EXACT, CARDINALITY");
        return NULL;
    case QRY_TOK_MEASUREMENTS:
        return p_show_measurements(p, pos);
    case QRY_TOK_QUERIES:
        return new_stmt(p, QRY_STMT_SHOW_QUERIES, pos);
    case QRY_TOK_RETENTION: {
        if (p_one(p, QRY_TOK_POLICIES) != 0) return NULL;
        qry_stmt *s = new_stmt(p, QRY_STMT_SHOW_RETENTION_POLICIES, pos);
        if (s == NULL || p_on_db(p, &s->u.show.db) != 0) return NULL;
        return s;
    }
    case QRY_TOK_SERIES:
        return p_show_series(p, pos);
    case QRY_TOK_SHARD:
        if (p_one(p, QRY_TOK_GROUPS) != 0) return NULL;
        return new_stmt(p, QRY_STMT_SHOW_SHARD_GROUPS, pos);
    case QRY_TOK_SHARDS:
        return new_stmt(p, QRY_STMT_SHOW_SHARDS, pos);
    case QRY_TOK_STATS:
        return p_show_module(p, QRY_STMT_SHOW_STATS, pos);
    case QRY_TOK_SUBSCRIPTIONS:
        return new_stmt(p, QRY_STMT_SHOW_SUBSCRIPTIONS, pos);
    case QRY_TOK_TAG:
        t2 = qry__p_scan_ws(p);
        if (t2.tok == QRY_TOK_KEY)
            return p_key_cardinality(p, QRY_STMT_SHOW_TAG_KEY_CARDINALITY, pos);
        if (t2.tok == QRY_TOK_KEYS) return p_show_tag_keys(p, pos);
        if (t2.tok == QRY_TOK_VALUES) return p_show_tag_values(p, pos);
        qry__p_expected(p, &t2, "KEY, KEYS, VALUES");
        return NULL;
    case QRY_TOK_USERS:
        return new_stmt(p, QRY_STMT_SHOW_USERS, pos);
    default:
        qry__p_expected(p, &t,
                        "CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, "
                        "MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, "
                        "SUBSCRIPTIONS, TAG, USERS");
        return NULL;
    }
}

/* RESAMPLE was read: [EVERY d] [FOR d], at least one. */
static int p_resample(qry_parser *p, int64_t *every, int64_t *for_ns)
{
    *every = *for_ns = 0;
    strata_error e;
    if (p_accept(p, QRY_TOK_EVERY)) {
        qry_token t = qry__p_scan_ws(p);
        if (t.tok != QRY_TOK_DURATIONVAL) return qry__p_expected(p, &t, "duration");
        if (qry_duration_parse(t.lit, t.len, every, &e) != STRATA_OK)
            return qry__p_errpos(p, t.pos, "%s", e.msg);
    }
    if (p_accept(p, QRY_TOK_FOR)) {
        qry_token t = qry__p_scan_ws(p);
        if (t.tok != QRY_TOK_DURATIONVAL) return qry__p_expected(p, &t, "duration");
        if (qry_duration_parse(t.lit, t.len, for_ns, &e) != STRATA_OK)
            return qry__p_errpos(p, t.pos, "%s", e.msg);
    }
    if (*every == 0 && *for_ns == 0) {
        qry_token t = qry__p_scan_ws(p);
        return qry__p_expected(p, &t, "EVERY, FOR");
    }
    return 0;
}

static qry_stmt *p_create_cq(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_CREATE_CONTINUOUS_QUERY, pos);
    if (s == NULL) return NULL;
    qry_cq_stmt *cq = &s->u.cq;
    if (qry__p_ident(p, &cq->name) != 0 || p_one(p, QRY_TOK_ON) != 0 ||
        qry__p_ident(p, &cq->db) != 0)
        return NULL;
    if (p_accept(p, QRY_TOK_RESAMPLE) &&
        p_resample(p, &cq->resample_every_ns, &cq->resample_for_ns) != 0)
        return NULL;
    static const qry_tok begin_select[] = {QRY_TOK_BEGIN, QRY_TOK_SELECT};
    if (qry__p_tokens(p, begin_select, 2) != 0) return NULL;
    cq->select = qry__p_select(p, QRY_TARGET_REQUIRED);
    if (cq->select == NULL) return NULL;

    /* An aggregate continuous query needs GROUP BY time(<non-zero>). */
    int64_t iv = 0;
    const char *why = NULL;
    int grc = qry__select_group_by_interval(cq->select, &iv, &why);
    if (!cq->select->is_raw && (iv == 0 || grc != 0)) {
        /* Like InfluxDB: step back over the whitespace and the last token and
         * name that token in the message. */
        qry__p_unscan(p);
        qry__p_unscan(p);
        qry_token t = qry__p_scan_ws(p);
        char expected[160];
        snprintf(expected, sizeof expected, "GROUP BY time(...)%s%s", why ? ", " : "",
                 why ? why : "");
        qry__p_expected(p, &t, expected);
        return NULL;
    }
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_END) {
        qry__p_expected(p, &t, "END");
        return NULL;
    }
    if (grc != 0) {
        qry__p_errmsg(p, "%s", why);
        return NULL;
    }
    if (cq->resample_for_ns != 0) {
        int64_t interval = iv;
        if (cq->resample_every_ns != 0 && cq->resample_every_ns > interval)
            interval = cq->resample_every_ns;
        if (interval > cq->resample_for_ns) {
            char a[QRY_DURATION_FMT_MAX], b[QRY_DURATION_FMT_MAX];
            qry_duration_format(interval, a);
            qry_duration_format(cq->resample_for_ns, b);
            qry__p_errmsg(p,
                          "FOR duration must be >= GROUP BY time duration: must be a minimum "
                          "of %s, got %s",
                          a, b);
            return NULL;
        }
    }
    return s;
}

static qry_stmt *p_create_database(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_CREATE_DATABASE, pos);
    if (s == NULL) return NULL;
    qry_db_stmt *db = &s->u.db;
    if (qry__p_ident(p, &db->name) != 0) return NULL;
    if (!p_accept(p, QRY_TOK_WITH)) return s;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_DURATION && t.tok != QRY_TOK_NAME && t.tok != QRY_TOK_REPLICATION &&
        t.tok != QRY_TOK_SHARD) {
        qry__p_expected(p, &t, "DURATION, NAME, REPLICATION, SHARD");
        return NULL;
    }
    qry__p_unscan(p);
    db->with = true;
    if (p_accept(p, QRY_TOK_DURATION)) {
        if (qry__p_duration(p, &db->duration_ns) != 0) return NULL;
        db->has_duration = true;
    }
    if (p_accept(p, QRY_TOK_REPLICATION)) {
        if (p_int_range(p, 1, INT32_MAX, &db->replication) != 0) return NULL;
        db->has_replication = true;
    }
    if (p_accept(p, QRY_TOK_SHARD)) {
        t = qry__p_scan_ws(p);
        if (t.tok != QRY_TOK_DURATION) {
            qry__p_expected(p, &t, "DURATION");
            return NULL;
        }
        if (qry__p_duration(p, &db->shard_duration_ns) != 0) return NULL;
        db->has_shard_duration = true;
    }
    if (p_accept(p, QRY_TOK_NAME) && qry__p_ident(p, &db->rp_name) != 0) return NULL;
    return s;
}

static qry_stmt *p_create_user(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_CREATE_USER, pos);
    if (s == NULL) return NULL;
    static const qry_tok with_password[] = {QRY_TOK_WITH, QRY_TOK_PASSWORD};
    static const qry_tok all_privileges[] = {QRY_TOK_ALL, QRY_TOK_PRIVILEGES};
    if (qry__p_ident(p, &s->u.user.name) != 0 || qry__p_tokens(p, with_password, 2) != 0 ||
        p_string(p, &s->u.user.password) != 0)
        return NULL;
    if (!p_accept(p, QRY_TOK_WITH)) return s;
    if (qry__p_tokens(p, all_privileges, 2) != 0) return NULL;
    s->u.user.admin = true;
    return s;
}

static qry_stmt *p_create_rp(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_CREATE_RETENTION_POLICY, pos);
    if (s == NULL) return NULL;
    qry_rp_stmt *rp = &s->u.rp;
    if (qry__p_ident(p, &rp->name) != 0 || p_one(p, QRY_TOK_ON) != 0 ||
        qry__p_ident(p, &rp->db) != 0 || p_one(p, QRY_TOK_DURATION) != 0 ||
        qry__p_duration(p, &rp->duration_ns) != 0 || p_one(p, QRY_TOK_REPLICATION) != 0 ||
        p_int_range(p, 1, INT32_MAX, &rp->replication) != 0)
        return NULL;
    rp->has_duration = rp->has_replication = true;
    if (p_accept(p, QRY_TOK_SHARD)) {
        if (p_shard_duration(p, &rp->shard_duration_ns) != 0) return NULL;
        rp->has_shard_duration = true;
    }
    rp->is_default = p_accept(p, QRY_TOK_DEFAULT);
    return s;
}

/* Name and database of a subscription: name ON db.rp (no space before the dot). */
static int p_sub_target(qry_parser *p, qry_sub_stmt *sub)
{
    if (qry__p_ident(p, &sub->name) != 0 || p_one(p, QRY_TOK_ON) != 0 ||
        qry__p_ident(p, &sub->db) != 0)
        return -1;
    qry_token t = qry__p_scan(p);
    if (t.tok != QRY_TOK_DOT) return qry__p_expected(p, &t, ".");
    return qry__p_ident(p, &sub->rp);
}

static qry_stmt *p_create_subscription(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_CREATE_SUBSCRIPTION, pos);
    if (s == NULL) return NULL;
    qry_sub_stmt *sub = &s->u.sub;
    if (p_sub_target(p, sub) != 0 || p_one(p, QRY_TOK_DESTINATIONS) != 0) return NULL;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_ALL && t.tok != QRY_TOK_ANY) {
        qry__p_expected(p, &t, "ALL, ANY");
        return NULL;
    }
    sub->any = t.tok == QRY_TOK_ANY;
    qry_vec v = {0};
    for (;;) {
        qry_str d;
        if (p_string(p, &d) != 0 || qry__p_push(p, &v, sizeof d, &d) != 0) return NULL;
        if (!p_accept(p, QRY_TOK_COMMA)) break;
    }
    sub->dests = v.items;
    sub->ndests = v.n;
    return s;
}

static qry_stmt *p_create(qry_parser *p, qry_lpos pos)
{
    qry_token t = qry__p_scan_ws(p);
    switch (t.tok) {
    case QRY_TOK_CONTINUOUS:
        if (p_one(p, QRY_TOK_QUERY) != 0) return NULL;
        return p_create_cq(p, pos);
    case QRY_TOK_DATABASE:
        return p_create_database(p, pos);
    case QRY_TOK_USER:
        return p_create_user(p, pos);
    case QRY_TOK_RETENTION:
        if (p_one(p, QRY_TOK_POLICY) != 0) return NULL;
        return p_create_rp(p, pos);
    case QRY_TOK_SUBSCRIPTION:
        return p_create_subscription(p, pos);
    default:
        qry__p_expected(p, &t, "CONTINUOUS, DATABASE, USER, RETENTION, SUBSCRIPTION");
        return NULL;
    }
}

/* name ON db, for DROP CONTINUOUS QUERY and DROP RETENTION POLICY. */
static int p_name_on_db(qry_parser *p, qry_str *name, qry_str *db)
{
    if (qry__p_ident(p, name) != 0 || p_one(p, QRY_TOK_ON) != 0 || qry__p_ident(p, db) != 0)
        return -1;
    return 0;
}

static qry_stmt *p_drop(qry_parser *p, qry_lpos pos)
{
    qry_token t = qry__p_scan_ws(p);
    qry_stmt *s = NULL;
    switch (t.tok) {
    case QRY_TOK_CONTINUOUS:
        if (p_one(p, QRY_TOK_QUERY) != 0) return NULL;
        s = new_stmt(p, QRY_STMT_DROP_CONTINUOUS_QUERY, pos);
        if (s == NULL || p_name_on_db(p, &s->u.cq.name, &s->u.cq.db) != 0) return NULL;
        return s;
    case QRY_TOK_DATABASE:
        s = new_stmt(p, QRY_STMT_DROP_DATABASE, pos);
        if (s == NULL || qry__p_ident(p, &s->u.db.name) != 0) return NULL;
        return s;
    case QRY_TOK_MEASUREMENT:
        s = new_stmt(p, QRY_STMT_DROP_MEASUREMENT, pos);
        if (s == NULL || qry__p_ident(p, &s->u.name) != 0) return NULL;
        return s;
    case QRY_TOK_RETENTION:
        if (p_one(p, QRY_TOK_POLICY) != 0) return NULL;
        s = new_stmt(p, QRY_STMT_DROP_RETENTION_POLICY, pos);
        if (s == NULL || p_name_on_db(p, &s->u.rp.name, &s->u.rp.db) != 0) return NULL;
        return s;
    case QRY_TOK_SERIES:
        s = new_stmt(p, QRY_STMT_DROP_SERIES, pos);
        if (s == NULL || p_delete_like(p, &s->u.show) != 0) return NULL;
        return s;
    case QRY_TOK_SHARD:
        s = new_stmt(p, QRY_STMT_DROP_SHARD, pos);
        if (s == NULL || p_uint64(p, &s->u.id) != 0) return NULL;
        return s;
    case QRY_TOK_SUBSCRIPTION:
        s = new_stmt(p, QRY_STMT_DROP_SUBSCRIPTION, pos);
        if (s == NULL || p_sub_target(p, &s->u.sub) != 0) return NULL;
        return s;
    case QRY_TOK_USER:
        s = new_stmt(p, QRY_STMT_DROP_USER, pos);
        if (s == NULL || qry__p_ident(p, &s->u.user.name) != 0) return NULL;
        return s;
    default:
        qry__p_expected(p, &t,
                        "CONTINUOUS, DATABASE, MEASUREMENT, RETENTION, SERIES, SHARD, "
                        "SUBSCRIPTION, USER");
        return NULL;
    }
}

static int p_privilege(qry_parser *p, qry_priv *out)
{
    qry_token t = qry__p_scan_ws(p);
    switch (t.tok) {
    case QRY_TOK_READ:
        *out = QRY_PRIV_READ;
        return 0;
    case QRY_TOK_WRITE:
        *out = QRY_PRIV_WRITE;
        return 0;
    case QRY_TOK_ALL:
        *out = QRY_PRIV_ALL;
        p_accept(p, QRY_TOK_PRIVILEGES);
        return 0;
    default:
        return qry__p_expected(p, &t, "READ, WRITE, ALL [PRIVILEGES]");
    }
}

/* GRANT priv ON db TO user | GRANT ALL [PRIVILEGES] TO user; REVOKE with FROM. */
static qry_stmt *p_grant_revoke(qry_parser *p, bool grant, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, grant ? QRY_STMT_GRANT : QRY_STMT_REVOKE, pos);
    if (s == NULL) return NULL;
    qry_user_stmt *u = &s->u.user;
    qry_tok to = grant ? QRY_TOK_TO : QRY_TOK_FROM;
    if (p_privilege(p, &u->priv) != 0) return NULL;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_ON) {
        if (qry__p_ident(p, &u->db) != 0) return NULL;
        qry_token t2 = qry__p_scan_ws(p);
        if (t2.tok != to) {
            qry__p_expected(p, &t2, qry__tok_name(to));
            return NULL;
        }
        return qry__p_ident(p, &u->name) ? NULL : s;
    }
    if (t.tok == to) {
        if (u->priv != QRY_PRIV_ALL) {
            qry__p_expected(p, &t, "ON");
            return NULL;
        }
        u->admin = true;
        return qry__p_ident(p, &u->name) ? NULL : s;
    }
    if (u->priv == QRY_PRIV_ALL)
        qry__p_expected(p, &t, grant ? "ON, TO" : "ON, FROM");
    else
        qry__p_expected(p, &t, "ON");
    return NULL;
}

static qry_stmt *p_alter_rp(qry_parser *p, qry_lpos pos)
{
    qry_stmt *s = new_stmt(p, QRY_STMT_ALTER_RETENTION_POLICY, pos);
    if (s == NULL) return NULL;
    qry_rp_stmt *rp = &s->u.rp;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_DEFAULT) {
        rp->name = qry__p_str(p, "default", 7);
    } else if (t.tok == QRY_TOK_IDENT) {
        rp->name = qry__p_str(p, t.lit, t.len);
    } else {
        qry__p_expected(p, &t, "identifier");
        return NULL;
    }
    if (p_one(p, QRY_TOK_ON) != 0 || qry__p_ident(p, &rp->db) != 0) return NULL;
    bool seen_dur = false, seen_rep = false, seen_shard = false, seen_def = false;
    for (;;) {
        t = qry__p_scan_ws(p);
        bool *seen = t.tok == QRY_TOK_DURATION      ? &seen_dur
                     : t.tok == QRY_TOK_REPLICATION ? &seen_rep
                     : t.tok == QRY_TOK_SHARD       ? &seen_shard
                     : t.tok == QRY_TOK_DEFAULT     ? &seen_def
                                                    : NULL;
        if (seen && *seen) {
            qry__p_errpos(p, t.pos, "found duplicate %s option", qry__tok_name(t.tok));
            return NULL;
        }
        switch (t.tok) {
        case QRY_TOK_DURATION:
            if (qry__p_duration(p, &rp->duration_ns) != 0) return NULL;
            rp->has_duration = true;
            break;
        case QRY_TOK_REPLICATION:
            if (p_int_range(p, 1, INT32_MAX, &rp->replication) != 0) return NULL;
            rp->has_replication = true;
            break;
        case QRY_TOK_SHARD:
            if (p_shard_duration(p, &rp->shard_duration_ns) != 0) return NULL;
            rp->has_shard_duration = true;
            break;
        case QRY_TOK_DEFAULT:
            rp->is_default = true;
            break;
        default:
            if (!(seen_dur || seen_rep || seen_shard || seen_def)) {
                qry__p_expected(p, &t, "DURATION, REPLICATION, SHARD, DEFAULT");
                return NULL;
            }
            qry__p_unscan(p);
            return s;
        }
        *seen = true;
    }
}

static qry_stmt *p_statement(qry_parser *p)
{
    qry_token t = qry__p_scan_ws(p), t2;
    qry_stmt *s;

    switch (t.tok) {
    case QRY_TOK_SELECT:
        s = new_stmt(p, QRY_STMT_SELECT, t.pos);
        if (s == NULL) return NULL;
        s->u.sel.select = qry__p_select(p, QRY_TARGET_NOT_REQUIRED);
        return s->u.sel.select ? s : NULL;
    case QRY_TOK_DELETE:
        s = new_stmt(p, QRY_STMT_DELETE, t.pos);
        if (s == NULL || p_delete_like(p, &s->u.show) != 0) return NULL;
        return s;
    case QRY_TOK_SHOW:
        return p_show(p, t.pos);
    case QRY_TOK_CREATE:
        return p_create(p, t.pos);
    case QRY_TOK_DROP:
        return p_drop(p, t.pos);
    case QRY_TOK_EXPLAIN:
        s = new_stmt(p, QRY_STMT_EXPLAIN, t.pos);
        if (s == NULL) return NULL;
        s->u.sel.explain_analyze = p_accept(p, QRY_TOK_ANALYZE);
        if (p_one(p, QRY_TOK_SELECT) != 0) return NULL;
        s->u.sel.select = qry__p_select(p, QRY_TARGET_NOT_REQUIRED);
        return s->u.sel.select ? s : NULL;
    case QRY_TOK_GRANT:
        return p_grant_revoke(p, true, t.pos);
    case QRY_TOK_REVOKE:
        return p_grant_revoke(p, false, t.pos);
    case QRY_TOK_ALTER:
        t2 = qry__p_scan_ws(p);
        if (t2.tok != QRY_TOK_RETENTION) {
            qry__p_expected(p, &t2, "RETENTION");
            return NULL;
        }
        if (p_one(p, QRY_TOK_POLICY) != 0) return NULL;
        return p_alter_rp(p, t.pos);
    case QRY_TOK_SET: {
        static const qry_tok password_for[] = {QRY_TOK_PASSWORD, QRY_TOK_FOR};
        if (qry__p_tokens(p, password_for, 2) != 0) return NULL;
        s = new_stmt(p, QRY_STMT_SET_PASSWORD, t.pos);
        if (s == NULL || qry__p_ident(p, &s->u.user.name) != 0) return NULL;
        t2 = qry__p_scan_ws(p);
        if (t2.tok != QRY_TOK_EQ) {
            qry__p_expected(p, &t2, "=");
            return NULL;
        }
        return p_string(p, &s->u.user.password) ? NULL : s;
    }
    case QRY_TOK_KILL:
        if (p_one(p, QRY_TOK_QUERY) != 0) return NULL;
        s = new_stmt(p, QRY_STMT_KILL_QUERY, t.pos);
        if (s == NULL || p_uint64(p, &s->u.kill.id) != 0) return NULL;
        if (p_accept(p, QRY_TOK_ON) && qry__p_ident(p, &s->u.kill.host) != 0) return NULL;
        return s;
    default:
        qry__p_expected(p, &t,
                        "SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, "
                        "ALTER, SET, KILL");
        return NULL;
    }
}

int qry_parse_ex(const char *text, size_t len, const qry_parse_opts *opts, strata_arena *arena,
                 qry_query **out, strata_error *err)
{
    static const qry_parse_opts none = {0};
    qry_parser p;
    qry_vec stmts = {0};
    bool semi = true;

    if (out) *out = NULL;
    if ((text == NULL && len > 0) || arena == NULL || out == NULL)
        return strata_error_set(err, STRATA_EINVAL, "qry_parse: text, arena and out are required");
    if (opts == NULL) opts = &none;
    qry__p_init(&p, text ? text : "", len, opts->params, opts->now_ns, arena, err);
    p.tz_exists = opts->tz_exists;
    p.tz_ctx = opts->tz_ctx;
    p.regex_check = opts->regex_check;
    p.regex_ctx = opts->regex_ctx;

    for (;;) {
        qry_token t = qry__p_scan_ws(&p);
        if (p.rc) goto fail;
        if (t.tok == QRY_TOK_EOF) break;
        if (t.tok == QRY_TOK_SEMICOLON) {
            semi = true;
            continue;
        }
        if (!semi) {
            qry__p_expected(&p, &t, ";");
            goto fail;
        }
        qry__p_unscan(&p);
        qry_stmt *s = p_statement(&p);
        if (s == NULL || p.rc) goto fail;
        if (qry__p_push(&p, &stmts, sizeof s, &s) != 0) goto fail;
        semi = false;
    }

    qry_query *q = qry__p_alloc(&p, sizeof *q);
    if (q == NULL) goto fail;
    q->stmts = stmts.items;
    q->nstmts = stmts.n;
    q->now_ns = opts->now_ns;
    *out = q;
    return STRATA_OK;

fail:
    if (p.rc == 0) /* a path returned failure without a message: a bug here */
        fail(&p, STRATA_EINTERNAL, "internal parser error");
    return p.rc;
}

int qry_parse(const char *text, size_t len, const qry_params *params, int64_t now_ns,
              strata_arena *arena, qry_query **out, strata_error *err)
{
    qry_parse_opts o = {.params = params, .now_ns = now_ns};
    return qry_parse_ex(text, len, &o, arena, out, err);
}

int qry_parse_expr(const char *text, size_t len, const qry_params *params, int64_t now_ns,
                   strata_arena *arena, qry_expr **out, strata_error *err)
{
    qry_parser p;

    if (out) *out = NULL;
    if ((text == NULL && len > 0) || arena == NULL || out == NULL)
        return strata_error_set(err, STRATA_EINVAL,
                                "qry_parse_expr: text, arena and out are required");
    qry__p_init(&p, text ? text : "", len, params, now_ns, arena, err);
    qry_expr *e = qry__p_expr(&p);
    if (e == NULL || p.rc) goto fail;
    qry_token t = qry__p_scan_ws(&p);
    if (t.tok != QRY_TOK_EOF) {
        qry__p_expected(&p, &t, "EOF");
        goto fail;
    }
    *out = e;
    return STRATA_OK;

fail:
    if (p.rc == 0) fail(&p, STRATA_EINTERNAL, "internal parser error");
    return p.rc;
}
