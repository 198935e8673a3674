/*
 * net/query_handler.c: a placeholder /query that needs no InfluxQL engine.
 * It recognizes, with a tiny matcher, only
 *   CREATE DATABASE <name>     -> {"results":[{"statement_id":0}]}
 *   SHOW DATABASES             -> the "databases" series
 * (several of them separated by ';' too) and answers InfluxDB 1.6.7's exact
 * JSON; any other statement gets 400 {"error":"..."} saying it is not
 * supported yet. The query engineer replaces this file (same interface,
 * net/query_handler.h).
 */
#include "net/query_handler.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { ST_CREATE_DB = 1, ST_SHOW_DBS = 2 };

typedef struct stmt {
    int kind;
    char *name; /* CREATE DATABASE: the unquoted name (arena) */
    size_t name_len;
} stmt;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Match a keyword (case-insensitive) followed by a non-identifier character. */
static int keyword(const char **pp, const char *end, const char *kw)
{
    size_t n = strlen(kw);
    const char *p = skip_ws(*pp, end);
    if ((size_t)(end - p) < n || strncasecmp(p, kw, n) != 0) return 0;
    if (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '_')) return 0;
    *pp = p + n;
    return 1;
}

/* An InfluxQL identifier: bare [A-Za-z_][A-Za-z0-9_]* or "double quoted". */
static int ident(const char **pp, const char *end, strata_arena *a, char **out, size_t *len)
{
    const char *p = skip_ws(*pp, end);
    if (p < end && *p == '"') {
        char *buf = strata_arena_alloc(a, (size_t)(end - p));
        size_t n = 0;
        if (buf == NULL) return 0;
        for (p++; p < end && *p != '"'; p++) {
            if (*p == '\\' && p + 1 < end) p++;
            buf[n++] = *p;
        }
        if (p >= end || n == 0) return 0;
        buf[n] = '\0';
        *out = buf;
        *len = n;
        *pp = p + 1;
        return 1;
    }
    const char *s = p;
    if (p >= end || !(isalpha((unsigned char)*p) || *p == '_')) return 0;
    while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
        p++;
    *out = strata_arena_strndup(a, s, (size_t)(p - s));
    *len = (size_t)(p - s);
    *pp = p;
    return *out != NULL;
}

/* Parse q into at most cap statements. @return count, or -1 (not supported). */
static int parse(const char *q, strata_arena *a, stmt *out, int cap)
{
    const char *p = q, *end = q + strlen(q);
    int n = 0;
    for (;;) {
        p = skip_ws(p, end);
        if (p == end) return n;
        if (*p == ';') {
            p++;
            continue;
        }
        if (n == cap) return -1;
        const char *start = p;
        if (keyword(&p, end, "SHOW") && keyword(&p, end, "DATABASES")) {
            out[n++] = (stmt){ST_SHOW_DBS, NULL, 0};
        } else {
            p = start;
            stmt s = {ST_CREATE_DB, NULL, 0};
            if (!(keyword(&p, end, "CREATE") && keyword(&p, end, "DATABASE")) ||
                !ident(&p, end, a, &s.name, &s.name_len))
                return -1;
            out[n++] = s;
        }
        p = skip_ws(p, end);
        if (p != end && *p != ';') return -1;
    }
}

/* InfluxQL's QuoteIdent: bare when it can be, else "double quoted". */
static void quote_ident(net_buf *b, const char *s, size_t n)
{
    int bare = n > 0 && (isalpha((unsigned char)s[0]) || s[0] == '_');
    for (size_t i = 0; bare && i < n; i++)
        bare = isalnum((unsigned char)s[i]) || s[i] == '_';
    if (bare) {
        net_buf_append(b, s, n);
        return;
    }
    net_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') net_buf_append(b, "\\", 1);
        net_buf_append(b, &s[i], 1);
    }
    net_buf_append(b, "\"", 1);
}

typedef struct list_ctx {
    net_buf *b;
    int n;
} list_ctx;

static int list_one(void *ctx, const char *name, size_t len, uint32_t id)
{
    list_ctx *l = ctx;
    (void)id;
    net_buf_puts(l->b, l->n++ ? ",[\"" : ",\"values\":[[\"");
    net_buf_json_str(l->b, name, len);
    net_buf_puts(l->b, "\"]");
    return 0;
}

void net_query_handle(const net_query_ctx *ctx, const net_request *req, net_response *resp)
{
    enum { MAX_STMTS = 64 };
    stmt st[MAX_STMTS];
    strata_error err;
    const char *q = net_request_param(req, "q");

    if (q == NULL || q[0] == '\0') {
        net_response_error(resp, 400, "missing required parameter \"q\"");
        return;
    }
    int n = parse(q, req->arena, st, MAX_STMTS);
    if (n < 0) {
        net_response_error(resp, 400,
                           "statement not supported yet: this server answers only CREATE "
                           "DATABASE and SHOW DATABASES until its InfluxQL engine lands");
        return;
    }
    if (n == 0) {
        net_response_error(resp, 400,
                           "error parsing query: found EOF, expected SELECT, DELETE, "
                           "SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, "
                           "KILL at line 1, char %zu",
                           strlen(q) + 1);
        return;
    }
    net_buf *b = &resp->body;
    b->len = 0;
    net_buf_puts(b, "{\"results\":[");
    for (int i = 0; i < n; i++) {
        net_buf_printf(b, "%s{\"statement_id\":%d", i ? "," : "", i);
        if (st[i].kind == ST_CREATE_DB) {
            strata_error_clear(&err);
            int rc = stg_db_create(ctx->engine, st[i].name, NULL, &err);
            if (rc != STRATA_OK) {
                net_buf_puts(b, ",\"error\":\"");
                const char *m = err.msg[0] ? err.msg : strata_strerror(rc);
                net_buf_json_str(b, m, strlen(m));
                net_buf_puts(b, "\"");
            } else if (strcmp(req->method, "GET") == 0) {
                net_buf tmp = {0};
                net_buf_puts(&tmp, "deprecated use of 'CREATE DATABASE ");
                quote_ident(&tmp, st[i].name, st[i].name_len);
                net_buf_puts(&tmp, "' in a read only context, please use a POST request instead");
                net_buf_puts(b, ",\"messages\":[{\"level\":\"warning\",\"text\":\"");
                net_buf_json_str(b, tmp.p, tmp.len);
                net_buf_puts(b, "\"}]");
                net_buf_fini(&tmp);
            }
        } else {
            list_ctx l = {b, 0};
            net_buf_puts(b, ",\"series\":[{\"name\":\"databases\",\"columns\":[\"name\"]");
            strata_error_clear(&err);
            stg_db_list(ctx->engine, list_one, &l, &err);
            if (l.n) net_buf_puts(b, "]");
            net_buf_puts(b, "}]");
        }
        net_buf_puts(b, "}");
    }
    if (net_buf_puts(b, "]}\n") != STRATA_OK) {
        net_response_error(resp, 500, "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
}
