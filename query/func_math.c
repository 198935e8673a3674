/*
 * query/func_math.c: arithmetic, comparisons and math functions on values,
 * with InfluxDB 1.6's type rules: integer op integer stays integer except
 * division (always float, and 0 when dividing by zero); mixing integer and
 * float gives float; integer modulo by zero is 0; a null operand gives null;
 * floor/ceil/round/abs of an integer return it unchanged (abs included, as
 * InfluxDB 1.6 does); NaN results read as null when written.
 */
#include <math.h>
#include <string.h>

#include "query/exec_int.h"

static int num(qry_val v, double *d)
{
    switch (v.t) {
    case QRY_V_FLOAT:
        *d = v.v.f;
        return 1;
    case QRY_V_INT:
        *d = (double)v.v.i;
        return 1;
    case QRY_V_UINT:
        *d = (double)v.v.u;
        return 1;
    default:
        return 0;
    }
}

static qry_val cmp_result(qry_op op, int c)
{
    switch (op) {
    case QRY_OP_EQ:
        return qry_val_b(c == 0);
    case QRY_OP_NEQ:
        return qry_val_b(c != 0);
    case QRY_OP_LT:
        return qry_val_b(c < 0);
    case QRY_OP_LTE:
        return qry_val_b(c <= 0);
    case QRY_OP_GT:
        return qry_val_b(c > 0);
    case QRY_OP_GTE:
        return qry_val_b(c >= 0);
    default:
        return qry_val_null();
    }
}

static int is_cmp(qry_op op)
{
    return op == QRY_OP_EQ || op == QRY_OP_NEQ || op == QRY_OP_LT || op == QRY_OP_LTE ||
           op == QRY_OP_GT || op == QRY_OP_GTE;
}

qry_val qry__binop(qry_op op, qry_val a, qry_val b)
{
    if (a.t == QRY_V_NULL || b.t == QRY_V_NULL) return qry_val_null();
    if (a.t == QRY_V_INT && b.t == QRY_V_INT) {
        int64_t x = a.v.i, y = b.v.i;
        switch (op) {
        case QRY_OP_ADD:
            return qry_val_i((int64_t)((uint64_t)x + (uint64_t)y));
        case QRY_OP_SUB:
            return qry_val_i((int64_t)((uint64_t)x - (uint64_t)y));
        case QRY_OP_MUL:
            return qry_val_i((int64_t)((uint64_t)x * (uint64_t)y));
        case QRY_OP_DIV:
            return qry_val_f(y == 0 ? 0.0 : (double)x / (double)y);
        case QRY_OP_MOD:
            if (y == 0) return qry_val_i(0);
            if (y == -1) return qry_val_i(0);
            return qry_val_i(x % y);
        case QRY_OP_BITAND:
            return qry_val_i(x & y);
        case QRY_OP_BITOR:
            return qry_val_i(x | y);
        case QRY_OP_BITXOR:
            return qry_val_i(x ^ y);
        default:
            if (is_cmp(op)) return cmp_result(op, x < y ? -1 : x > y);
            return qry_val_null();
        }
    }
    if (a.t == QRY_V_UINT && b.t == QRY_V_UINT) {
        uint64_t x = a.v.u, y = b.v.u;
        switch (op) {
        case QRY_OP_ADD:
            return qry_val_u(x + y);
        case QRY_OP_SUB:
            return qry_val_u(x - y);
        case QRY_OP_MUL:
            return qry_val_u(x * y);
        case QRY_OP_DIV:
            return qry_val_f(y == 0 ? 0.0 : (double)x / (double)y);
        case QRY_OP_MOD:
            return qry_val_u(y == 0 ? 0 : x % y);
        case QRY_OP_BITAND:
            return qry_val_u(x & y);
        case QRY_OP_BITOR:
            return qry_val_u(x | y);
        case QRY_OP_BITXOR:
            return qry_val_u(x ^ y);
        default:
            if (is_cmp(op)) return cmp_result(op, x < y ? -1 : x > y);
            return qry_val_null();
        }
    }
    double x, y;
    if (num(a, &x) && num(b, &y)) {
        switch (op) {
        case QRY_OP_ADD:
            return qry_val_f(x + y);
        case QRY_OP_SUB:
            return qry_val_f(x - y);
        case QRY_OP_MUL:
            return qry_val_f(x * y);
        case QRY_OP_DIV:
            return qry_val_f(y == 0 ? 0.0 : x / y);
        case QRY_OP_MOD:
            return qry_val_f(fmod(x, y));
        default:
            if (is_cmp(op)) {
                if (isnan(x) || isnan(y)) return qry_val_b(op == QRY_OP_NEQ);
                return cmp_result(op, x < y ? -1 : x > y);
            }
            return qry_val_null();
        }
    }
    if (a.t == QRY_V_STR && b.t == QRY_V_STR) {
        if (!is_cmp(op)) return qry_val_null();
        size_t n = a.v.s.n < b.v.s.n ? a.v.s.n : b.v.s.n;
        int c = memcmp(a.v.s.p, b.v.s.p, n);
        if (c == 0) c = a.v.s.n < b.v.s.n ? -1 : a.v.s.n > b.v.s.n;
        return cmp_result(op, c);
    }
    if (a.t == QRY_V_BOOL && b.t == QRY_V_BOOL) {
        switch (op) {
        case QRY_OP_EQ:
            return qry_val_b(a.v.b == b.v.b);
        case QRY_OP_NEQ:
            return qry_val_b(a.v.b != b.v.b);
        case QRY_OP_BITAND:
            return qry_val_b(a.v.b && b.v.b);
        case QRY_OP_BITOR:
            return qry_val_b(a.v.b || b.v.b);
        case QRY_OP_BITXOR:
            return qry_val_b(a.v.b != b.v.b);
        default:
            return qry_val_null();
        }
    }
    return qry_val_null();
}

qry_val qry__math(qry_fn fn, const qry_val *args, uint32_t n)
{
    if (n == 0 || args[0].t == QRY_V_NULL) return qry_val_null();
    qry_val a = args[0];
    double x;
    switch (fn) {
    case QF_ABS:
        if (a.t == QRY_V_FLOAT) return qry_val_f(fabs(a.v.f));
        if (a.t == QRY_V_INT || a.t == QRY_V_UINT)
            return a; /* InfluxDB 1.6 returns integers unchanged */
        return qry_val_null();
    case QF_FLOOR:
    case QF_CEIL:
    case QF_ROUND:
        if (a.t == QRY_V_FLOAT)
            return qry_val_f(fn == QF_FLOOR  ? floor(a.v.f)
                             : fn == QF_CEIL ? ceil(a.v.f)
                                             : round(a.v.f));
        if (a.t == QRY_V_INT || a.t == QRY_V_UINT) return a;
        return qry_val_null();
    default:
        break;
    }
    if (!num(a, &x)) return qry_val_null();
    if (n == 2) {
        double y;
        if (args[1].t == QRY_V_NULL || !num(args[1], &y)) return qry_val_null();
        switch (fn) {
        case QF_ATAN2:
            return qry_val_f(atan2(x, y));
        case QF_POW:
            return qry_val_f(pow(x, y));
        case QF_LOG:
            return qry_val_f(log(x) / log(y));
        default:
            return qry_val_null();
        }
    }
    switch (fn) {
    case QF_SIN:
        return qry_val_f(sin(x));
    case QF_COS:
        return qry_val_f(cos(x));
    case QF_TAN:
        return qry_val_f(tan(x));
    case QF_ASIN:
        return qry_val_f(asin(x));
    case QF_ACOS:
        return qry_val_f(acos(x));
    case QF_ATAN:
        return qry_val_f(atan(x));
    case QF_EXP:
        return qry_val_f(exp(x));
    case QF_LN:
        return qry_val_f(log(x));
    case QF_LOG2:
        return qry_val_f(log2(x));
    case QF_LOG10:
        return qry_val_f(log10(x));
    case QF_SQRT:
        return qry_val_f(sqrt(x));
    default:
        return qry_val_null();
    }
}

/* Cast a field value as var::type does (a value of another type reads as null). */
static qry_val cast_val(qry_val v, qry_vtype t)
{
    switch (t) {
    case QRY_VT_FLOAT:
        if (v.t == QRY_V_INT) return qry_val_f((double)v.v.i);
        if (v.t == QRY_V_UINT) return qry_val_f((double)v.v.u);
        return v.t == QRY_V_FLOAT ? v : qry_val_null();
    case QRY_VT_INTEGER:
        if (v.t == QRY_V_FLOAT) return qry_val_i((int64_t)v.v.f);
        if (v.t == QRY_V_UINT) return qry_val_i((int64_t)v.v.u);
        return v.t == QRY_V_INT ? v : qry_val_null();
    case QRY_VT_UNSIGNED:
        if (v.t == QRY_V_FLOAT) return qry_val_u((uint64_t)v.v.f);
        if (v.t == QRY_V_INT) return qry_val_u((uint64_t)v.v.i);
        return v.t == QRY_V_UINT ? v : qry_val_null();
    case QRY_VT_STRING:
        return v.t == QRY_V_STR ? v : qry_val_null();
    case QRY_VT_BOOLEAN:
        return v.t == QRY_V_BOOL ? v : qry_val_null();
    default:
        return v;
    }
}

qry_val qry__eval_row(const qry_plan *p, const qry_fref *refs, const qry_node *n,
                      const qry_val *vals, const qry_series *s)
{
    switch (n->kind) {
    case QN_LIT:
        return n->lit;
    case QN_FIELD: {
        const qry_fref *r = &refs[n->field];
        if (r->kind == 1) return cast_val(vals[n->field], n->cast);
        if (r->kind == 2 && s) {
            if (n->cast != QRY_VT_UNKNOWN && n->cast != QRY_VT_TAG && n->cast != QRY_VT_STRING)
                return qry_val_null();
            size_t vl;
            const char *v = qry__series_tag(s, n->name.ptr, n->name.len, &vl);
            return v ? qry_val_s(v, vl) : qry_val_null();
        }
        return qry_val_null();
    }
    case QN_BIN: {
        qry_val a = qry__eval_row(p, refs, n->args[0], vals, s);
        qry_val b = qry__eval_row(p, refs, n->args[1], vals, s);
        return qry__binop(n->op, a, b);
    }
    case QN_MATH: {
        qry_val a[2];
        for (uint32_t i = 0; i < n->nargs && i < 2; i++)
            a[i] = qry__eval_row(p, refs, n->args[i], vals, s);
        return qry__math(n->fn, a, n->nargs);
    }
    default:
        return qry_val_null();
    }
}
