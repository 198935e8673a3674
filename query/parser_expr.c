/*
 * query/parser_expr.c: expressions, measurement references and the SELECT
 * statement with all its clauses.
 *
 * Binary expressions are built by precedence insertion: each new operator
 * walks down the right spine of the tree built so far while the spine's
 * operators bind looser, and takes the operand it stops at as its left
 * side. Along that spine precedence strictly increases, so the walk is at
 * most five nodes long; left-leaning chains (a OR b OR c ...) grow without
 * recursion and are bounded by QRY_MAX_EXPR_DEPTH instead.
 *
 * A unary sign on a literal folds into it (-5, -1.5, -10s); on anything
 * else it becomes (±1 * x) with bin.unary set, which is what InfluxDB does
 * and lets the formatter print it back as -x.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/duration.h"
#include "query/parser_int.h"
#include "query/time_lit.h"

/* ---- nodes --------------------------------------------------------------- */

static qry_expr *new_expr(qry_parser *p, qry_expr_kind kind, qry_lpos pos)
{
    qry_expr *e = qry__p_alloc(p, sizeof *e);
    if (e == NULL) return NULL;
    e->kind = kind;
    e->pos = qry__p_pos(pos);
    e->depth = 1;
    return e;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* Check a freshly built composite node against the depth bound. */
static qry_expr *depth_ok(qry_parser *p, qry_expr *e, qry_lpos pos)
{
    if (e && e->depth > QRY_MAX_EXPR_DEPTH) {
        qry__p_limit(p, pos, "expression", QRY_MAX_EXPR_DEPTH);
        return NULL;
    }
    return e;
}

static qry_op op_from_tok(qry_tok t)
{
    switch (t) {
    case QRY_TOK_ADD:
        return QRY_OP_ADD;
    case QRY_TOK_SUB:
        return QRY_OP_SUB;
    case QRY_TOK_MUL:
        return QRY_OP_MUL;
    case QRY_TOK_DIV:
        return QRY_OP_DIV;
    case QRY_TOK_MOD:
        return QRY_OP_MOD;
    case QRY_TOK_BITWISE_AND:
        return QRY_OP_BITAND;
    case QRY_TOK_BITWISE_OR:
        return QRY_OP_BITOR;
    case QRY_TOK_BITWISE_XOR:
        return QRY_OP_BITXOR;
    case QRY_TOK_AND:
        return QRY_OP_AND;
    case QRY_TOK_OR:
        return QRY_OP_OR;
    case QRY_TOK_EQ:
        return QRY_OP_EQ;
    case QRY_TOK_NEQ:
        return QRY_OP_NEQ;
    case QRY_TOK_EQREGEX:
        return QRY_OP_EQREGEX;
    case QRY_TOK_NEQREGEX:
        return QRY_OP_NEQREGEX;
    case QRY_TOK_LT:
        return QRY_OP_LT;
    case QRY_TOK_LTE:
        return QRY_OP_LTE;
    case QRY_TOK_GT:
        return QRY_OP_GT;
    default:
        return QRY_OP_GTE;
    }
}

static int op_prec(qry_op op)
{
    switch (op) {
    case QRY_OP_OR:
        return 1;
    case QRY_OP_AND:
        return 2;
    case QRY_OP_EQ:
    case QRY_OP_NEQ:
    case QRY_OP_EQREGEX:
    case QRY_OP_NEQREGEX:
    case QRY_OP_LT:
    case QRY_OP_LTE:
    case QRY_OP_GT:
    case QRY_OP_GTE:
        return 3;
    case QRY_OP_ADD:
    case QRY_OP_SUB:
    case QRY_OP_BITOR:
    case QRY_OP_BITXOR:
        return 4;
    default:
        return 5;
    }
}

static void fix_depth(qry_expr *e)
{
    e->depth = 1 + max_u32(e->u.bin.lhs->depth, e->u.bin.rhs->depth);
}

/* ---- regex --------------------------------------------------------------- */

/* A regex literal node, checked by the caller's hook if there is one. */
static qry_expr *new_regex(qry_parser *p, const qry_token *t)
{
    if (p->regex_check) {
        char msg[STRATA_ERRMSG_MAX] = "";
        if (p->regex_check(t->lit, t->len, p->regex_ctx, msg, sizeof msg) != 0) {
            msg[sizeof msg - 1] = '\0';
            qry__p_errpos(p, t->pos, "%s", msg[0] ? msg : "invalid regular expression");
            return NULL;
        }
    }
    qry_expr *e = new_expr(p, QRY_EXPR_REGEX, t->pos);
    if (e) e->u.str = qry__p_str(p, t->lit, t->len);
    return e;
}

int qry__p_regex(qry_parser *p, qry_expr **out)
{
    *out = NULL;
    int32_t ch = qry__p_peek(p);
    if (ch == ' ' || ch == '\t' || ch == '\n') qry__p_consume_ws(p);
    ch = qry__p_peek(p);
    if (ch == '$') {
        /* A bound parameter may stand for a regex. */
        qry_token t = qry__p_scan(p);
        qry__p_unscan(p);
        if (t.tok != QRY_TOK_REGEX) return p->rc ? -1 : 0;
    } else if (ch != '/') {
        return 0;
    }
    qry_token t = qry__p_scan_regex(p);
    if (t.tok == QRY_TOK_BADESCAPE) return qry__p_errpos(p, t.pos, "bad escape: %s", t.lit);
    if (t.tok == QRY_TOK_BADREGEX) return qry__p_errpos(p, t.pos, "bad regex: %s", t.lit);
    if (t.tok != QRY_TOK_REGEX) return qry__p_expected(p, &t, "regex");
    qry_expr *e = new_regex(p, &t);
    if (e == NULL) return -1;
    *out = e;
    return p->rc ? -1 : 0;
}

/* ---- identifiers --------------------------------------------------------- */

/*
 * Dotted identifier: "db"."rp"."m", db..m, rp.m; stops before "./regex/"
 * and ".:" (both consumed up to the dot). segs has room for 3.
 */
int qry__p_segments(qry_parser *p, qry_str *segs, int *nseg)
{
    qry_vec v = {0};
    qry_str s;
    qry_lpos zero = {0, 0, 0};

    if (qry__p_ident(p, &s) != 0 || qry__p_push(p, &v, sizeof s, &s) != 0) return -1;
    for (;;) {
        qry_token t = qry__p_scan(p);
        if (t.tok != QRY_TOK_DOT) {
            qry__p_unscan(p);
            break;
        }
        int32_t ch = qry__p_peek(p);
        if (ch == '/' || ch == ':') break;
        if (ch == '.') {
            qry_str empty = {"", 0};
            if (qry__p_push(p, &v, sizeof empty, &empty) != 0) return -1;
            continue;
        }
        if (qry__p_ident(p, &s) != 0 || qry__p_push(p, &v, sizeof s, &s) != 0) return -1;
    }
    if (v.n > 3) {
        char buf[STRATA_ERRMSG_MAX];
        qry__quote_ident_segments(v.items, (int)v.n, buf, sizeof buf);
        return qry__p_errpos(p, zero, "too many segments in %s", buf);
    }
    memcpy(segs, v.items, v.n * sizeof(qry_str));
    *nseg = (int)v.n;
    return 0;
}

static qry_expr *p_varref(qry_parser *p, qry_lpos pos)
{
    qry_str segs[3];
    int n;
    if (qry__p_segments(p, segs, &n) != 0) return NULL;
    qry_expr *e = new_expr(p, QRY_EXPR_VARREF, pos);
    if (e == NULL) return NULL;
    if (n == 1) {
        e->u.ref.name = segs[0];
    } else {
        size_t len = 0;
        for (int i = 0; i < n; i++)
            len += segs[i].len + (i ? 1 : 0);
        char *b = qry__p_alloc(p, len + 1);
        if (b == NULL) return NULL;
        size_t o = 0;
        for (int i = 0; i < n; i++) {
            if (i) b[o++] = '.';
            memcpy(b + o, segs[i].ptr, segs[i].len);
            o += segs[i].len;
        }
        e->u.ref.name.ptr = b;
        e->u.ref.name.len = len;
    }

    qry_token t = qry__p_scan(p);
    if (t.tok != QRY_TOK_DOUBLECOLON) {
        qry__p_unscan(p);
        return e;
    }
    t = qry__p_scan(p);
    if (t.tok == QRY_TOK_IDENT) {
        static const struct {
            const char *name;
            qry_vtype t;
        } types[] = {{"float", QRY_VT_FLOAT},
                     {"integer", QRY_VT_INTEGER},
                     {"unsigned", QRY_VT_UNSIGNED},
                     {"string", QRY_VT_STRING},
                     {"boolean", QRY_VT_BOOLEAN}};
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            if (t.len == strlen(types[i].name) && strncasecmp(t.lit, types[i].name, t.len) == 0) {
                e->u.ref.type = types[i].t;
                return e;
            }
        }
        qry__p_expected(p, &t, "float, integer, unsigned, string, boolean, field, tag");
        return NULL;
    }
    if (t.tok == QRY_TOK_FIELD) {
        e->u.ref.type = QRY_VT_FIELD;
        return e;
    }
    if (t.tok == QRY_TOK_TAG) {
        e->u.ref.type = QRY_VT_TAG;
        return e;
    }
    qry__p_expected(p, &t, "float, integer, string, boolean, field, tag");
    return NULL;
}

/* ---- calls and unary expressions ----------------------------------------- */

static qry_expr *p_unary(qry_parser *p);

/* name( was read. */
static qry_expr *p_call(qry_parser *p, const char *name, size_t nlen, qry_lpos pos)
{
    qry_vec args = {0};
    qry_expr *a;

    if (++p->nest > QRY_MAX_NEST) {
        qry__p_limit(p, pos, "query", QRY_MAX_NEST);
        return NULL;
    }
    qry_expr *e = new_expr(p, QRY_EXPR_CALL, pos);
    if (e == NULL) return NULL;
    char *lname = qry__p_alloc(p, nlen + 1);
    if (lname == NULL) return NULL;
    for (size_t i = 0; i < nlen; i++) {
        char c = name[i];
        lname[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
    }
    e->u.call.name.ptr = lname;
    e->u.call.name.len = nlen;

    if (qry__p_regex(p, &a) != 0) return NULL;
    if (a == NULL) {
        qry_token t = qry__p_scan(p);
        if (t.tok == QRY_TOK_RPAREN) goto done;
        qry__p_unscan(p);
        if ((a = qry__p_expr(p)) == NULL) return NULL;
    }
    if (qry__p_push(p, &args, sizeof a, &a) != 0) return NULL;
    for (;;) {
        qry_token t = qry__p_scan_ws(p);
        if (t.tok != QRY_TOK_COMMA) {
            qry__p_unscan(p);
            break;
        }
        if (qry__p_regex(p, &a) != 0) return NULL;
        if (a == NULL && (a = qry__p_expr(p)) == NULL) return NULL;
        if (qry__p_push(p, &args, sizeof a, &a) != 0) return NULL;
    }
    qry_token t = qry__p_scan(p);
    if (t.tok != QRY_TOK_RPAREN) {
        qry__p_expected(p, &t, ")");
        return NULL;
    }
done:
    p->nest--;
    e->u.call.args = args.items;
    e->u.call.nargs = args.n;
    for (uint32_t i = 0; i < args.n; i++)
        e->depth = max_u32(e->depth, 1 + e->u.call.args[i]->depth);
    if (args.n == 0 && nlen == 3 && memcmp(lname, "now", 3) == 0) {
        e->has_time = true;
        e->time_ns = p->now_ns;
    }
    return depth_ok(p, e, pos);
}

static qry_expr *p_number(qry_parser *p, const qry_token *t)
{
    qry_expr *e = new_expr(p, QRY_EXPR_NUMBER, t->pos);
    if (e == NULL) return NULL;
    char *end;
    errno = 0;
    double v = strtod(t->lit, &end);
    if (t->len == 0 || end != t->lit + t->len || (errno == ERANGE && isinf(v))) {
        qry__p_errpos(p, t->pos, "unable to parse number");
        return NULL;
    }
    e->u.f64 = v;
    return e;
}

static qry_expr *p_integer(qry_parser *p, const qry_token *t)
{
    int64_t iv = 0;
    uint64_t uv = 0;
    bool neg = false, ovf_i = false, ovf_u = false, bad = t->len == 0;
    size_t i = 0;

    if (t->len > 0 && (t->lit[0] == '-' || t->lit[0] == '+')) {
        neg = t->lit[0] == '-';
        i = 1;
        bad = t->len == 1;
    }
    for (; i < t->len && !bad; i++) {
        if (t->lit[i] < '0' || t->lit[i] > '9') {
            bad = true;
            break;
        }
        unsigned d = (unsigned)(t->lit[i] - '0');
        if (!ovf_u && uv > (UINT64_MAX - d) / 10) ovf_u = true;
        if (!ovf_u) uv = uv * 10 + d;
    }
    if (!bad && !ovf_u) {
        uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        ovf_i = uv > lim;
        iv = neg ? (int64_t)(0 - uv) : (int64_t)uv;
    }
    if (bad || (ovf_i && neg) || (!neg && ovf_u)) {
        qry__p_errpos(p, t->pos, "unable to parse integer");
        return NULL;
    }
    qry_expr *e;
    if (!ovf_i) {
        e = new_expr(p, QRY_EXPR_INTEGER, t->pos);
        if (e) e->u.i64 = iv;
    } else {
        /* Above INT64_MAX: an unsigned literal, as in InfluxDB. */
        e = new_expr(p, QRY_EXPR_UNSIGNED, t->pos);
        if (e) e->u.u64 = uv;
    }
    return e;
}

static qry_expr *p_string_lit(qry_parser *p, const qry_token *t)
{
    qry_expr *e = new_expr(p, QRY_EXPR_STRING, t->pos);
    if (e == NULL) return NULL;
    e->u.str = qry__p_str(p, t->lit, t->len);
    int64_t ns;
    bool local;
    if (qry_time_parse(t->lit, t->len, &ns, &local) == STRATA_OK) {
        e->has_time = true;
        e->time_local = local;
        e->time_ns = ns;
    }
    return e;
}

/* + or - was read at pos. */
static qry_expr *p_signed(qry_parser *p, bool minus, qry_lpos pos)
{
    qry_token t0 = qry__p_scan_ws(p);
    switch (t0.tok) {
    case QRY_TOK_NUMBER:
    case QRY_TOK_INTEGER:
    case QRY_TOK_DURATIONVAL:
    case QRY_TOK_LPAREN:
    case QRY_TOK_IDENT:
        break;
    default:
        qry__p_expected(p, &t0, "identifier, number, duration, (");
        return NULL;
    }
    qry__p_unscan(p);
    qry_expr *x = p_unary(p);
    if (x == NULL) return NULL;
    switch (x->kind) {
    case QRY_EXPR_NUMBER:
        if (minus) x->u.f64 = -x->u.f64;
        return x;
    case QRY_EXPR_INTEGER:
        if (minus) x->u.i64 = -x->u.i64;
        return x;
    case QRY_EXPR_UNSIGNED:
        if (!minus) return x;
        if (x->u.u64 == (uint64_t)INT64_MAX + 1) {
            x->kind = QRY_EXPR_INTEGER;
            x->u.i64 = INT64_MIN;
            return x;
        }
        qry__p_errmsg(p, "constant -%llu underflows int64", (unsigned long long)x->u.u64);
        return NULL;
    case QRY_EXPR_DURATION:
        if (minus) x->u.dur_ns = -x->u.dur_ns;
        return x;
    default: {
        /* Variable, call or parenthesised expression: (±1 * x). */
        qry_expr *one = new_expr(p, QRY_EXPR_INTEGER, pos);
        qry_expr *b = new_expr(p, QRY_EXPR_BINARY, pos);
        if (one == NULL || b == NULL) return NULL;
        one->u.i64 = minus ? -1 : 1;
        b->u.bin.op = QRY_OP_MUL;
        b->u.bin.lhs = one;
        b->u.bin.rhs = x;
        b->u.bin.unary = minus ? '-' : '+';
        fix_depth(b);
        return depth_ok(p, b, pos);
    }
    }
}

static qry_expr *p_unary(qry_parser *p)
{
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_LPAREN) {
        if (++p->nest > QRY_MAX_NEST) {
            qry__p_limit(p, t.pos, "query", QRY_MAX_NEST);
            return NULL;
        }
        qry_expr *in = qry__p_expr(p);
        if (in == NULL) return NULL;
        qry_token r = qry__p_scan_ws(p);
        if (r.tok != QRY_TOK_RPAREN) {
            qry__p_expected(p, &r, ")");
            return NULL;
        }
        p->nest--;
        qry_expr *e = new_expr(p, QRY_EXPR_PAREN, t.pos);
        if (e == NULL) return NULL;
        e->u.paren.expr = in;
        e->depth = in->depth + 1;
        return depth_ok(p, e, t.pos);
    }
    qry__p_unscan(p);

    t = qry__p_scan_ws(p);
    qry_expr *e;
    switch (t.tok) {
    case QRY_TOK_IDENT: {
        qry_token t0 = qry__p_scan(p);
        if (t0.tok == QRY_TOK_LPAREN) return p_call(p, t.lit, t.len, t.pos);
        qry__p_unscan(p);
        qry__p_unscan(p);
        return p_varref(p, t.pos);
    }
    case QRY_TOK_DISTINCT: {
        qry_token t0 = qry__p_scan(p);
        if (t0.tok == QRY_TOK_LPAREN) return p_call(p, "distinct", 8, t.pos);
        if (t0.tok == QRY_TOK_WS) {
            qry_token t1 = qry__p_scan_ws(p);
            if (t1.tok != QRY_TOK_IDENT) {
                qry__p_expected(p, &t1, "identifier");
                return NULL;
            }
            e = new_expr(p, QRY_EXPR_DISTINCT, t.pos);
            if (e) e->u.str = qry__p_str(p, t1.lit, t1.len);
            return e;
        }
        qry__p_expected(p, &t0, "(, identifier");
        return NULL;
    }
    case QRY_TOK_STRING:
        return p_string_lit(p, &t);
    case QRY_TOK_NUMBER:
        return p_number(p, &t);
    case QRY_TOK_INTEGER:
        return p_integer(p, &t);
    case QRY_TOK_TRUE:
    case QRY_TOK_FALSE:
        e = new_expr(p, QRY_EXPR_BOOL, t.pos);
        if (e) e->u.b = t.tok == QRY_TOK_TRUE;
        return e;
    case QRY_TOK_DURATIONVAL: {
        int64_t ns;
        strata_error derr;
        if (qry_duration_parse(t.lit, t.len, &ns, &derr) != STRATA_OK) {
            qry__p_errmsg(p, "%s", derr.msg);
            return NULL;
        }
        e = new_expr(p, QRY_EXPR_DURATION, t.pos);
        if (e) e->u.dur_ns = ns;
        return e;
    }
    case QRY_TOK_MUL: {
        e = new_expr(p, QRY_EXPR_WILDCARD, t.pos);
        if (e == NULL) return NULL;
        qry_token t0 = qry__p_scan(p);
        if (t0.tok != QRY_TOK_DOUBLECOLON) {
            qry__p_unscan(p);
            return e;
        }
        qry_token t1 = qry__p_scan(p);
        if (t1.tok == QRY_TOK_FIELD) {
            e->u.wildcard = QRY_VT_FIELD;
        } else if (t1.tok == QRY_TOK_TAG) {
            e->u.wildcard = QRY_VT_TAG;
        } else {
            qry__p_expected(p, &t1, "field, tag");
            return NULL;
        }
        return e;
    }
    case QRY_TOK_REGEX:
        /* Only a bound parameter yields a REGEX token here. */
        return new_regex(p, &t);
    case QRY_TOK_BOUNDPARAM: {
        const char *k = t.lit;
        size_t kl = t.len;
        if (kl > 0 && k[0] == '$') {
            k++;
            kl--;
        }
        if (kl == 0) {
            qry__p_errmsg(p, "empty bound parameter");
            return NULL;
        }
        qry__p_errmsg(p, "missing parameter: %.*s", (int)kl, k);
        return NULL;
    }
    case QRY_TOK_ADD:
    case QRY_TOK_SUB:
        return p_signed(p, t.tok == QRY_TOK_SUB, t.pos);
    default:
        qry__p_expected(p, &t, "identifier, string, number, bool");
        return NULL;
    }
}

qry_expr *qry__p_expr(qry_parser *p)
{
    qry_expr *root = p_unary(p);
    if (root == NULL) return NULL;
    for (;;) {
        qry_token opt = qry__p_scan_ws(p);
        if (!qry__tok_is_operator(opt.tok)) {
            qry__p_unscan(p);
            return p->rc ? NULL : root;
        }
        qry_op op = op_from_tok(opt.tok);
        qry_expr *rhs;
        if (op == QRY_OP_EQREGEX || op == QRY_OP_NEQREGEX) {
            if (qry__p_regex(p, &rhs) != 0) return NULL;
            if (rhs == NULL) {
                qry_token t = qry__p_scan_ws(p);
                qry__p_expected(p, &t, "regex");
                return NULL;
            }
        } else if ((rhs = p_unary(p)) == NULL) {
            return NULL;
        }

        /* Walk the right spine while it binds looser than op. */
        qry_expr **slot = &root;
        qry_expr *path[8];
        int np = 0;
        while ((*slot)->kind == QRY_EXPR_BINARY && op_prec((*slot)->u.bin.op) < op_prec(op) &&
               np < 8) {
            path[np++] = *slot;
            slot = &(*slot)->u.bin.rhs;
        }
        qry_expr *b = new_expr(p, QRY_EXPR_BINARY, opt.pos);
        if (b == NULL) return NULL;
        b->pos = (*slot)->pos;
        b->u.bin.op = op;
        b->u.bin.lhs = *slot;
        b->u.bin.rhs = rhs;
        fix_depth(b);
        *slot = b;
        while (np > 0)
            fix_depth(path[--np]);
        if (depth_ok(p, root, opt.pos) == NULL) return NULL;
    }
}

/* ---- SELECT -------------------------------------------------------------- */

static bool is_condition_op(qry_op op)
{
    switch (op) {
    case QRY_OP_EQ:
    case QRY_OP_NEQ:
    case QRY_OP_EQREGEX:
    case QRY_OP_NEQREGEX:
    case QRY_OP_LT:
    case QRY_OP_LTE:
    case QRY_OP_GT:
    case QRY_OP_GTE:
    case QRY_OP_AND:
    case QRY_OP_OR:
        return true;
    default:
        return false;
    }
}

/* The last comparison or logical operator met in a pre-order walk that does
 * not descend below such an operator (InfluxDB's validateField). */
static void find_condition_op(const qry_expr *e, const qry_expr **bad)
{
    switch (e->kind) {
    case QRY_EXPR_BINARY:
        if (is_condition_op(e->u.bin.op)) {
            *bad = e;
            return;
        }
        find_condition_op(e->u.bin.lhs, bad);
        find_condition_op(e->u.bin.rhs, bad);
        return;
    case QRY_EXPR_PAREN:
        find_condition_op(e->u.paren.expr, bad);
        return;
    case QRY_EXPR_CALL:
        for (uint32_t i = 0; i < e->u.call.nargs; i++)
            find_condition_op(e->u.call.args[i], bad);
        return;
    default:
        return;
    }
}

static bool has_call(const qry_expr *e)
{
    switch (e->kind) {
    case QRY_EXPR_CALL:
        return true;
    case QRY_EXPR_BINARY:
        return has_call(e->u.bin.lhs) || has_call(e->u.bin.rhs);
    case QRY_EXPR_PAREN:
        return has_call(e->u.paren.expr);
    default:
        return false;
    }
}

static int p_field(qry_parser *p, qry_field *f)
{
    qry_expr *re;

    memset(f, 0, sizeof *f);
    if (qry__p_regex(p, &re) != 0) return -1;
    if (re) {
        f->expr = re;
        f->pos = re->pos;
    } else {
        qry_token t = qry__p_scan_ws(p);
        qry__p_unscan(p);
        f->pos = qry__p_pos(t.pos);
        if ((f->expr = qry__p_expr(p)) == NULL) return -1;
        const qry_expr *bad = NULL;
        find_condition_op(f->expr, &bad);
        if (bad)
            return qry__p_errmsg(p,
                                 "invalid operator %s in SELECT clause at line %d, char %d; "
                                 "operator is intended for WHERE clause",
                                 qry_op_str(bad->u.bin.op), (int)t.pos.line + 1,
                                 (int)t.pos.col + 1);
    }
    qry_token t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_AS) {
        if (qry__p_ident(p, &f->alias) != 0) return -1;
    } else {
        qry__p_unscan(p);
    }
    qry__p_consume_ws(p);
    return p->rc ? -1 : 0;
}

static int p_target(qry_parser *p, int tr, qry_measurement **out)
{
    *out = NULL;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_INTO) {
        if (tr == QRY_TARGET_REQUIRED) return qry__p_expected(p, &t, "INTO");
        qry__p_unscan(p);
        return 0;
    }
    qry_token first = qry__p_scan_ws(p);
    qry__p_unscan(p);
    qry_str segs[3];
    int n;
    if (qry__p_segments(p, segs, &n) != 0) return -1;
    if (n < 3 && qry__p_peek(p) == ':') {
        static const qry_tok colon_measurement[] = {QRY_TOK_COLON, QRY_TOK_MEASUREMENT};
        if (qry__p_tokens(p, colon_measurement, 2) != 0) return -1;
        segs[n].ptr = "";
        segs[n].len = 0;
        n++;
    }
    qry_measurement *m = qry__p_alloc(p, sizeof *m);
    if (m == NULL) return -1;
    m->db.ptr = m->rp.ptr = m->name.ptr = m->regex.ptr = "";
    m->pos = qry__p_pos(first.pos);
    if (n == 1) {
        m->name = segs[0];
    } else if (n == 2) {
        m->rp = segs[0];
        m->name = segs[1];
    } else {
        m->db = segs[0];
        m->rp = segs[1];
        m->name = segs[2];
    }
    *out = m;
    return 0;
}

int qry__p_source(qry_parser *p, bool subqueries, qry_source *out)
{
    qry_expr *re;

    memset(out, 0, sizeof *out);
    out->kind = QRY_SRC_MEASUREMENT;
    qry_measurement *m = &out->m;
    m->db.ptr = m->rp.ptr = m->name.ptr = m->regex.ptr = "";

    if (qry__p_regex(p, &re) != 0) return -1;
    if (re) {
        m->regex = re->u.str;
        m->has_regex = true;
        m->pos = re->pos;
        return 0;
    }
    if (subqueries) {
        qry_token t = qry__p_scan_ws(p);
        if (t.tok == QRY_TOK_LPAREN) {
            if (++p->nest > QRY_MAX_NEST) return qry__p_limit(p, t.pos, "query", QRY_MAX_NEST);
            static const qry_tok sel[] = {QRY_TOK_SELECT};
            static const qry_tok rparen[] = {QRY_TOK_RPAREN};
            if (qry__p_tokens(p, sel, 1) != 0) return -1;
            qry_select *s = qry__p_select(p, QRY_TARGET_SUBQUERY);
            if (s == NULL || qry__p_tokens(p, rparen, 1) != 0) return -1;
            p->nest--;
            out->kind = QRY_SRC_SUBQUERY;
            out->sub = s;
            m->pos = qry__p_pos(t.pos);
            return 0;
        }
        qry__p_unscan(p);
    }

    qry_token first = qry__p_scan_ws(p);
    qry__p_unscan(p);
    m->pos = qry__p_pos(first.pos);
    qry_str segs[3];
    int n;
    if (qry__p_segments(p, segs, &n) != 0) return -1;
    if (n == 3) {
        m->db = segs[0];
        m->rp = segs[1];
        m->name = segs[2];
        return 0;
    }
    if (qry__p_regex(p, &re) != 0) return -1;
    if (re) {
        m->regex = re->u.str;
        m->has_regex = true;
        if (n == 1) {
            m->rp = segs[0];
        } else {
            m->db = segs[0];
            m->rp = segs[1];
        }
    } else if (n == 1) {
        m->name = segs[0];
    } else {
        m->rp = segs[0];
        m->name = segs[1];
    }
    return 0;
}

int qry__p_sources(qry_parser *p, bool subqueries, qry_source **out, uint32_t *n)
{
    qry_vec v = {0};
    for (;;) {
        qry_source s;
        if (qry__p_source(p, subqueries, &s) != 0 || qry__p_push(p, &v, sizeof s, &s) != 0)
            return -1;
        qry_token t = qry__p_scan_ws(p);
        if (t.tok != QRY_TOK_COMMA) {
            qry__p_unscan(p);
            break;
        }
    }
    *out = v.items;
    *n = v.n;
    return 0;
}

int qry__p_condition(qry_parser *p, qry_expr **out)
{
    *out = NULL;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_WHERE) {
        qry__p_unscan(p);
        return 0;
    }
    *out = qry__p_expr(p);
    return *out ? 0 : -1;
}

int qry__p_dimensions(qry_parser *p, qry_expr ***out, uint32_t *n)
{
    qry_vec v = {0};

    *out = NULL;
    *n = 0;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_GROUP) {
        qry__p_unscan(p);
        return 0;
    }
    t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_BY) return qry__p_expected(p, &t, "BY");
    for (;;) {
        qry_expr *d;
        if (qry__p_regex(p, &d) != 0) return -1;
        if (d == NULL) {
            if ((d = qry__p_expr(p)) == NULL) return -1;
            qry__p_consume_ws(p);
        }
        if (qry__p_push(p, &v, sizeof d, &d) != 0) return -1;
        t = qry__p_scan(p);
        if (t.tok != QRY_TOK_COMMA) {
            qry__p_unscan(p);
            break;
        }
    }
    *out = v.items;
    *n = v.n;
    return 0;
}

/* True if the next token is the identifier `word` (any case); it stays unread. */
static bool next_is_word(qry_parser *p, const char *word)
{
    qry_token t = qry__p_scan_ws(p);
    qry__p_unscan(p);
    return t.tok == QRY_TOK_IDENT && t.len == strlen(word) && strncasecmp(t.lit, word, t.len) == 0;
}

static int p_fill(qry_parser *p, qry_select *s)
{
    if (!next_is_word(p, "fill")) return 0;
    qry_expr *e = qry__p_expr(p);
    if (e == NULL) return -1;
    if (e->kind != QRY_EXPR_CALL) return qry__p_errmsg(p, "fill must be a function call");
    if (e->u.call.nargs != 1)
        return qry__p_errmsg(p, "fill requires an argument, e.g.: 0, null, none, previous, "
                                "linear");
    const qry_expr *a = e->u.call.args[0];
    if (a->kind == QRY_EXPR_VARREF && a->u.ref.type == QRY_VT_UNKNOWN) {
        static const struct {
            const char *name;
            qry_fill f;
        } opts[] = {{"null", QRY_FILL_NULL},
                    {"none", QRY_FILL_NONE},
                    {"previous", QRY_FILL_PREVIOUS},
                    {"linear", QRY_FILL_LINEAR}};
        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
            if (a->u.ref.name.len == strlen(opts[i].name) &&
                memcmp(a->u.ref.name.ptr, opts[i].name, a->u.ref.name.len) == 0) {
                s->fill = opts[i].f;
                return 0;
            }
        }
    }
    if (a->kind == QRY_EXPR_INTEGER) {
        s->fill = QRY_FILL_NUMBER;
        s->fill_is_int = true;
        s->fill_i64 = a->u.i64;
        return 0;
    }
    if (a->kind == QRY_EXPR_NUMBER) {
        s->fill = QRY_FILL_NUMBER;
        s->fill_f64 = a->u.f64;
        return 0;
    }
    return qry__p_errmsg(p, "expected number argument in fill()");
}

static int p_sort_field(qry_parser *p, qry_sort_field *f)
{
    if (qry__p_ident(p, &f->name) != 0) return -1;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_ASC && t.tok != QRY_TOK_DESC) {
        qry__p_unscan(p);
        f->asc = true;
    } else {
        f->asc = t.tok == QRY_TOK_ASC;
    }
    return 0;
}

int qry__p_order_by(qry_parser *p, qry_sort_field **out, uint32_t *n)
{
    qry_vec v = {0};
    qry_sort_field f = {{"", 0}, true};

    *out = NULL;
    *n = 0;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_ORDER) {
        qry__p_unscan(p);
        return 0;
    }
    t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_BY) return qry__p_expected(p, &t, "BY");
    t = qry__p_scan_ws(p);
    if (t.tok == QRY_TOK_ASC || t.tok == QRY_TOK_DESC) {
        f.asc = t.tok == QRY_TOK_ASC;
    } else if (t.tok == QRY_TOK_IDENT) {
        qry__p_unscan(p);
        if (p_sort_field(p, &f) != 0) return -1;
        if (!(t.len == 4 && memcmp(t.lit, "time", 4) == 0))
            return qry__p_errmsg(p, "only ORDER BY time supported at this time");
    } else {
        return qry__p_expected(p, &t, "identifier, ASC, DESC");
    }
    if (qry__p_push(p, &v, sizeof f, &f) != 0) return -1;
    for (;;) {
        t = qry__p_scan_ws(p);
        if (t.tok != QRY_TOK_COMMA) {
            qry__p_unscan(p);
            break;
        }
        if (p_sort_field(p, &f) != 0 || qry__p_push(p, &v, sizeof f, &f) != 0) return -1;
    }
    if (v.n > 1) return qry__p_errmsg(p, "only ORDER BY time supported at this time");
    *out = v.items;
    *n = v.n;
    return 0;
}

static int p_location(qry_parser *p, qry_select *s)
{
    if (!next_is_word(p, "tz")) return 0;
    qry_expr *e = qry__p_expr(p);
    if (e == NULL) return -1;
    if (e->kind != QRY_EXPR_CALL) return qry__p_errmsg(p, "tz must be a function call");
    if (e->u.call.nargs != 1) return qry__p_errmsg(p, "tz requires exactly one argument");
    if (e->u.call.args[0]->kind != QRY_EXPR_STRING)
        return qry__p_errmsg(p, "expected string argument in tz()");
    s->tz = e->u.call.args[0]->u.str;
    if (p->tz_exists && (strlen(s->tz.ptr) != s->tz.len || !p->tz_exists(s->tz.ptr, p->tz_ctx)))
        return qry__p_errmsg(p, "unable to find time zone %s", s->tz.ptr);
    return 0;
}

qry_select *qry__p_select(qry_parser *p, int target_req)
{
    qry_select *s = qry__p_alloc(p, sizeof *s);
    qry_vec fields = {0};

    if (s == NULL) return NULL;
    s->tz.ptr = "";
    for (;;) {
        qry_field f;
        if (p_field(p, &f) != 0 || qry__p_push(p, &fields, sizeof f, &f) != 0) return NULL;
        qry_token t = qry__p_scan(p);
        if (t.tok != QRY_TOK_COMMA) {
            qry__p_unscan(p);
            break;
        }
    }
    s->fields = fields.items;
    s->nfields = fields.n;

    if (p_target(p, target_req, &s->target) != 0) return NULL;
    qry_token t = qry__p_scan_ws(p);
    if (t.tok != QRY_TOK_FROM) {
        qry__p_expected(p, &t, "FROM");
        return NULL;
    }
    if (qry__p_sources(p, true, &s->sources, &s->nsources) != 0 ||
        qry__p_condition(p, &s->cond) != 0 || qry__p_dimensions(p, &s->dims, &s->ndims) != 0 ||
        p_fill(p, s) != 0 || qry__p_order_by(p, &s->sort, &s->nsort) != 0 ||
        qry__p_optional_int(p, QRY_TOK_LIMIT, &s->limit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_OFFSET, &s->offset) != 0 ||
        qry__p_optional_int(p, QRY_TOK_SLIMIT, &s->slimit) != 0 ||
        qry__p_optional_int(p, QRY_TOK_SOFFSET, &s->soffset) != 0 || p_location(p, s) != 0)
        return NULL;

    s->is_raw = true;
    for (uint32_t i = 0; i < s->nfields; i++)
        if (has_call(s->fields[i].expr)) s->is_raw = false;
    return p->rc ? NULL : s;
}

int qry__select_group_by_interval(const qry_select *s, int64_t *iv, const char **why)
{
    *iv = 0;
    *why = NULL;
    for (uint32_t i = 0; i < s->ndims; i++) {
        const qry_expr *d = s->dims[i];
        if (d->kind != QRY_EXPR_CALL || d->u.call.name.len != 4 ||
            memcmp(d->u.call.name.ptr, "time", 4) != 0)
            continue;
        if (d->u.call.nargs < 1 || d->u.call.nargs > 2) {
            *why = "time dimension expected 1 or 2 arguments";
            return -1;
        }
        if (d->u.call.args[0]->kind != QRY_EXPR_DURATION) {
            *why = "time dimension must have duration argument";
            return -1;
        }
        *iv = d->u.call.args[0]->u.dur_ns;
        return 0;
    }
    return 0;
}
