/*
 * query/exec_params.c: the /query "params" JSON object into qry_params, with
 * the error messages Go's encoding/json decoder gives InfluxDB ("invalid
 * character 'b' looking for beginning of object key string", "unexpected
 * EOF", "json: cannot unmarshal array into Go value of type
 * map[string]interface {}"), since clients may show them.
 *
 * Values: a JSON string is a string literal; a number with a '.' a float,
 * other numbers integers (InfluxDB converts json.Number that way); true and
 * false booleans; an object with one key "identifier", "regex", "string",
 * "number", "integer" or "duration" the corresponding literal; anything else
 * cannot be bound (an error only if the query uses it). Like Go's Decoder,
 * text after the first value is ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"
#include "query/parser.h"

typedef struct jp {
    const char *s;
    size_t n, i;
    strata_arena *a;
    strata_error *err;
} jp;

/* Go's quoteChar for error messages. */
static void quote_char(unsigned char c, char *out, size_t cap)
{
    if (c == '\'') {
        snprintf(out, cap, "'\\''");
    } else if (c == '"') {
        snprintf(out, cap, "'\"'");
    } else if (c == '\n') {
        snprintf(out, cap, "'\\n'");
    } else if (c == '\r') {
        snprintf(out, cap, "'\\r'");
    } else if (c == '\t') {
        snprintf(out, cap, "'\\t'");
    } else if (c == '\\') {
        snprintf(out, cap, "'\\\\'");
    } else if (c < 0x20 || c == 0x7f) {
        snprintf(out, cap, "'\\x%02x'", c);
    } else if (c >= 0x80) {
        snprintf(out, cap, "'\\u00%02x'", c);
    } else {
        snprintf(out, cap, "'%c'", c);
    }
}

static int bad_char(jp *p, const char *ctx)
{
    if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
    char q[16];
    quote_char((unsigned char)p->s[p->i], q, sizeof q);
    return strata_error_set(p->err, STRATA_EINVAL, "invalid character %s %s", q, ctx);
}

static void ws(jp *p)
{
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

typedef enum jkind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jval {
    jkind k;
    int b;
    const char *s; /* string (unescaped, arena) or number text */
    size_t sl;
    /* objects: the first key and its value (one-key objects matter) */
    int nkeys;
    const char *key;
    size_t kl;
    struct jval *kv;
} jval;

static int parse_value(jp *p, jval *v, int depth);

static void put_utf8(char *o, size_t *n, uint32_t r)
{
    if (r < 0x80) {
        o[(*n)++] = (char)r;
    } else if (r < 0x800) {
        o[(*n)++] = (char)(0xC0 | (r >> 6));
        o[(*n)++] = (char)(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
        o[(*n)++] = (char)(0xE0 | (r >> 12));
        o[(*n)++] = (char)(0x80 | ((r >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (r & 0x3F));
    } else {
        o[(*n)++] = (char)(0xF0 | (r >> 18));
        o[(*n)++] = (char)(0x80 | ((r >> 12) & 0x3F));
        o[(*n)++] = (char)(0x80 | ((r >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (r & 0x3F));
    }
}

static int hex4(jp *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
        char c = p->s[p->i];
        int d = isdigit((unsigned char)c) ? c - '0'
                : (c >= 'a' && c <= 'f')  ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')  ? c - 'A' + 10
                                          : -1;
        if (d < 0) return bad_char(p, "in \\u hexadecimal character escape");
        v = v * 16 + (uint32_t)d;
        p->i++;
    }
    *out = v;
    return STRATA_OK;
}

static int parse_string(jp *p, const char **out, size_t *len)
{
    p->i++; /* opening quote */
    char *o = strata_arena_alloc(p->a, (p->n - p->i) * 2 + 4);
    if (o == NULL) return strata_error_set(p->err, STRATA_ENOMEM, "out of memory");
    size_t n = 0;
    for (;;) {
        if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20) return bad_char(p, "in string literal");
        if (c != '\\') {
            o[n++] = (char)c;
            p->i++;
            continue;
        }
        p->i++;
        if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
        char e = p->s[p->i];
        switch (e) {
        case '"':
        case '\\':
        case '/':
            o[n++] = e;
            p->i++;
            break;
        case 'b':
            o[n++] = '\b';
            p->i++;
            break;
        case 'f':
            o[n++] = '\f';
            p->i++;
            break;
        case 'n':
            o[n++] = '\n';
            p->i++;
            break;
        case 'r':
            o[n++] = '\r';
            p->i++;
            break;
        case 't':
            o[n++] = '\t';
            p->i++;
            break;
        case 'u': {
            p->i++;
            uint32_t r;
            int rc = hex4(p, &r);
            if (rc != STRATA_OK) return rc;
            if (r >= 0xD800 && r < 0xDC00 && p->i + 6 <= p->n && p->s[p->i] == '\\' &&
                p->s[p->i + 1] == 'u') {
                size_t save = p->i;
                p->i += 2;
                uint32_t r2;
                if (hex4(p, &r2) == STRATA_OK && r2 >= 0xDC00 && r2 < 0xE000) {
                    r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                } else {
                    p->i = save;
                    r = 0xFFFD;
                }
            } else if (r >= 0xD800 && r < 0xE000) {
                r = 0xFFFD;
            }
            put_utf8(o, &n, r);
            break;
        }
        default:
            return bad_char(p, "in string escape code");
        }
    }
    o[n] = 0;
    *out = o;
    *len = n;
    return STRATA_OK;
}

static int parse_number(jp *p, jval *v)
{
    size_t st = p->i;
    if (p->s[p->i] == '-') {
        p->i++;
        if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
        if (!isdigit((unsigned char)p->s[p->i])) return bad_char(p, "in numeric literal");
    }
    if (p->s[p->i] == '0') {
        p->i++;
    } else {
        while (p->i < p->n && isdigit((unsigned char)p->s[p->i]))
            p->i++;
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
        if (!isdigit((unsigned char)p->s[p->i]))
            return bad_char(p, "after decimal point in numeric literal");
        while (p->i < p->n && isdigit((unsigned char)p->s[p->i]))
            p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
        if (!isdigit((unsigned char)p->s[p->i]))
            return bad_char(p, "in exponent of numeric literal");
        while (p->i < p->n && isdigit((unsigned char)p->s[p->i]))
            p->i++;
    }
    v->k = J_NUM;
    v->s = strata_arena_strndup(p->a, p->s + st, p->i - st);
    v->sl = p->i - st;
    return v->s ? STRATA_OK : strata_error_set(p->err, STRATA_ENOMEM, "out of memory");
}

static int parse_lit(jp *p, const char *word, const char *name)
{
    size_t l = strlen(word);
    for (size_t k = 0; k < l; k++) {
        if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
        if (p->s[p->i] != word[k]) {
            char ctx[64];
            snprintf(ctx, sizeof ctx, "in literal %s (expecting '%c')", name, word[k]);
            return bad_char(p, ctx);
        }
        p->i++;
    }
    return STRATA_OK;
}

static int parse_value(jp *p, jval *v, int depth)
{
    memset(v, 0, sizeof *v);
    ws(p);
    if (p->i >= p->n)
        return strata_error_set(p->err, STRATA_EINVAL, depth ? "unexpected EOF" : "EOF");
    if (depth > 10000) return strata_error_set(p->err, STRATA_EINVAL, "exceeded max depth");
    char c = p->s[p->i];
    if (c == '"') {
        v->k = J_STR;
        return parse_string(p, &v->s, &v->sl);
    }
    if (c == '-' || isdigit((unsigned char)c)) return parse_number(p, v);
    if (c == 't') {
        v->k = J_BOOL;
        v->b = 1;
        p->i++;
        return parse_lit(p, "rue", "true");
    }
    if (c == 'f') {
        v->k = J_BOOL;
        p->i++;
        return parse_lit(p, "alse", "false");
    }
    if (c == 'n') {
        v->k = J_NULL;
        p->i++;
        return parse_lit(p, "ull", "null");
    }
    if (c == '[') {
        v->k = J_ARR;
        p->i++;
        ws(p);
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            return STRATA_OK;
        }
        for (;;) {
            jval e;
            int rc = parse_value(p, &e, depth + 1);
            if (rc != STRATA_OK) return rc;
            ws(p);
            if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] == ']') {
                p->i++;
                return STRATA_OK;
            }
            return bad_char(p, "after array element");
        }
    }
    if (c == '{') {
        v->k = J_OBJ;
        p->i++;
        ws(p);
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            return STRATA_OK;
        }
        for (;;) {
            ws(p);
            if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
            if (p->s[p->i] != '"') return bad_char(p, "looking for beginning of object key string");
            const char *k;
            size_t kl;
            int rc = parse_string(p, &k, &kl);
            if (rc != STRATA_OK) return rc;
            ws(p);
            if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
            if (p->s[p->i] != ':') return bad_char(p, "after object key");
            p->i++;
            jval *e = strata_arena_alloc(p->a, sizeof *e);
            if (e == NULL) return strata_error_set(p->err, STRATA_ENOMEM, "out of memory");
            if ((rc = parse_value(p, e, depth + 1)) != STRATA_OK) return rc;
            v->nkeys++;
            /* a later duplicate key replaces the value, as in a Go map */
            if (v->nkeys == 1 || (kl == v->kl && memcmp(k, v->key, kl) == 0)) {
                v->key = k;
                v->kl = kl;
                v->kv = e;
            }
            ws(p);
            if (p->i >= p->n) return strata_error_set(p->err, STRATA_EINVAL, "unexpected EOF");
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] == '}') {
                p->i++;
                return STRATA_OK;
            }
            return bad_char(p, "after object key:value pair");
        }
    }
    return bad_char(p, "looking for beginning of value");
}

static const char *jtype_name(jkind k)
{
    switch (k) {
    case J_BOOL:
        return "bool";
    case J_NUM:
        return "number";
    case J_STR:
        return "string";
    case J_ARR:
        return "array";
    default:
        return "object";
    }
}

static void set_error(qry_param *q, const char *why)
{
    q->kind = QRY_PARAM_ERROR;
    q->str = why;
    q->str_len = strlen(why);
}

/* A json.Number as InfluxDB converts it: with '.' a float, else an int64. */
static int number_value(const jval *v, qry_param *q, strata_error *err)
{
    if (memchr(v->s, '.', v->sl)) {
        q->kind = QRY_PARAM_NUMBER;
        q->f64 = strtod(v->s, NULL);
        return STRATA_OK;
    }
    int syntax = memchr(v->s, 'e', v->sl) || memchr(v->s, 'E', v->sl);
    errno = 0;
    long long x = syntax ? 0 : strtoll(v->s, NULL, 10);
    if (syntax || errno == ERANGE)
        return strata_error_set(err, STRATA_EINVAL,
                                "error parsing json value: strconv.ParseInt: parsing \"%s\": %s",
                                v->s, syntax ? "invalid syntax" : "value out of range");
    q->kind = QRY_PARAM_INTEGER;
    q->i64 = x;
    return STRATA_OK;
}

static void bind_object(const jval *v, qry_param *q)
{
    if (v->nkeys != 1) {
        set_error(q, "unable to bind parameter with type map[string]interface {}");
        return;
    }
    const jval *x = v->kv;
    const char *k = v->key;
    if (strcmp(k, "identifier") == 0 && x->k == J_STR) {
        q->kind = QRY_PARAM_IDENT;
    } else if (strcmp(k, "regex") == 0 && x->k == J_STR) {
        q->kind = QRY_PARAM_REGEX;
    } else if (strcmp(k, "string") == 0 && x->k == J_STR) {
        q->kind = QRY_PARAM_STRING;
    } else if (strcmp(k, "duration") == 0 && x->k == J_STR) {
        q->kind = QRY_PARAM_DURATION;
    } else if ((strcmp(k, "number") == 0 || strcmp(k, "integer") == 0) && x->k == J_NUM) {
        if (strcmp(k, "number") == 0) {
            q->kind = QRY_PARAM_NUMBER;
            q->f64 = strtod(x->s, NULL);
        } else {
            q->kind = QRY_PARAM_INTEGER;
            q->i64 = strtoll(x->s, NULL, 10);
        }
        return;
    } else {
        set_error(q, "unable to bind parameter with type map[string]interface {}");
        return;
    }
    q->str = x->s;
    q->str_len = x->sl;
}

int qry__params_parse(const char *json, size_t len, strata_arena *a, qry_params *out,
                      strata_error *err)
{
    jp p = {json, len, 0, a, err};
    jval top;
    out->items = NULL;
    out->count = 0;
    int rc = parse_value(&p, &top, 0);
    if (rc != STRATA_OK) return rc;
    if (top.k == J_NULL) return STRATA_OK;
    if (top.k != J_OBJ)
        return strata_error_set(err, STRATA_EINVAL,
                                "json: cannot unmarshal %s into Go value of type "
                                "map[string]interface {}",
                                jtype_name(top.k));
    /* re-walk the object to collect every key (the parser kept one) */
    p.i = 0;
    ws(&p);
    p.i++; /* { */
    size_t cap = 8, n = 0;
    qry_param *items = strata_arena_alloc(a, cap * sizeof *items);
    if (items == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    for (;;) {
        ws(&p);
        if (p.s[p.i] == '}') break;
        const char *k;
        size_t kl;
        parse_string(&p, &k, &kl);
        ws(&p);
        p.i++; /* : */
        jval v;
        parse_value(&p, &v, 1);
        qry_param q;
        memset(&q, 0, sizeof q);
        q.name = k;
        q.name_len = kl;
        switch (v.k) {
        case J_STR:
            q.kind = QRY_PARAM_STRING;
            q.str = v.s;
            q.str_len = v.sl;
            break;
        case J_NUM:
            if ((rc = number_value(&v, &q, err)) != STRATA_OK) return rc;
            break;
        case J_BOOL:
            q.kind = QRY_PARAM_BOOL;
            q.b = v.b;
            break;
        case J_ARR:
            set_error(&q, "unable to bind parameter with type []interface {}");
            break;
        case J_OBJ:
            bind_object(&v, &q);
            break;
        default:
            set_error(&q, "unable to bind parameter with type <nil>");
            break;
        }
        /* a duplicate key replaces the earlier one */
        size_t slot = n;
        for (size_t i = 0; i < n; i++)
            if (items[i].name_len == kl && memcmp(items[i].name, k, kl) == 0) slot = i;
        if (slot == n) {
            if (n == cap) {
                qry_param *ni = strata_arena_alloc(a, cap * 2 * sizeof *ni);
                if (ni == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
                memcpy(ni, items, n * sizeof *ni);
                items = ni;
                cap *= 2;
            }
            n++;
        }
        items[slot] = q;
        ws(&p);
        if (p.s[p.i] == ',') p.i++;
    }
    out->items = items;
    out->count = n;
    return STRATA_OK;
}
