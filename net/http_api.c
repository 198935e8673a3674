/*
 * net/http_api.c: what the server answers, following InfluxDB (1.6.7 for
 * the 1.x API, 1.8 for /health, /api/v2/write and /ping?verbose):
 *
 *   POST /write?db=&rp=&precision=&consistency=&u=&p=   line protocol
 *   POST /api/v2/write?bucket=db[/rp]&org=&precision=    line protocol
 *   GET|POST /query                                      net/query_handler.c
 *   GET|HEAD /ping                                       204 (200 + JSON with verbose)
 *   GET /health                                          200 JSON
 *   GET /metrics                                         Prometheus text
 *   OPTIONS on any of them                               200, empty
 *   anything else                                        404 "404 page not found"
 *
 * Checks that need no body happen when the headers are complete (on the
 * loop): missing or unknown database, precision, consistency, retention
 * policy, Content-Length over the limit. Then the request asks for a
 * slot (net__http_admit) and only then is its body read. Writes, queries
 * and /metrics run on workers; /ping and /health are answered on the loop,
 * and so is a /query that is one plain SELECT finishing within a short
 * budget (query_try_inline(); see http_int.h).
 *
 * Authentication is not implemented: u, p and Authorization are accepted
 * and ignored, as InfluxDB does with auth-enabled = false.
 */
#include "net/http_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "net/query_handler.h"
#include "storage/retention.h"

/* ------------------------------------------------------------- request API */

const char *net_request_param(const net_request *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nparams; i++)
        if (r->params[i].key_len == n && memcmp(r->params[i].key, name, n) == 0)
            return r->params[i].val;
    return NULL;
}

const char *net_request_header(const net_request *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nheaders; i++)
        if (r->headers[i].key_len == n && strncasecmp(r->headers[i].key, name, n) == 0)
            return r->headers[i].val;
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode %XX and '+' into dst (room for len + 1). @return the decoded length. */
static size_t url_decode(char *dst, const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            dst[n++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            dst[n++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            dst[n++] = s[i];
        }
    }
    dst[n] = '\0';
    return n;
}

int net__params_parse(strata_arena *a, const char *s, size_t len, net_kv **out, size_t *n)
{
    size_t cnt = 1;
    for (size_t i = 0; i < len; i++)
        cnt += s[i] == '&' || s[i] == ';';
    net_kv *kv = strata_arena_alloc(a, cnt * sizeof *kv);
    if (kv == NULL) return STRATA_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != '&' && s[j] != ';')
            j++;
        if (j > i) {
            const char *eq = memchr(s + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (s + i)) : j - i;
            size_t vlen = eq ? (size_t)(s + j - eq - 1) : 0;
            char *key = strata_arena_alloc(a, klen + 1), *val = strata_arena_alloc(a, vlen + 1);
            if (key == NULL || val == NULL) return STRATA_ENOMEM;
            kv[k].key = key;
            kv[k].key_len = url_decode(key, s + i, klen);
            kv[k].val = val;
            kv[k].val_len = eq ? url_decode(val, eq + 1, vlen) : (val[0] = '\0', 0);
            k++;
        }
        i = j + 1;
    }
    *out = kv;
    *n = k;
    return STRATA_OK;
}

/* ------------------------------------------------------------ response API */

int net_response_error_text(net_response *r, int status, const char *msg, size_t n)
{
    r->status = status;
    r->content_type = "application/json";
    r->body.len = 0;
    int rc = net_buf_puts(&r->headers, "X-Influxdb-Error: ");
    /* A header cannot hold a line break; Go writes it as a space. The header
     * is cut (the body is not): some clients refuse header lines over 64 KiB. */
    size_t hn = n > NET_ERROR_HEADER_MAX ? NET_ERROR_HEADER_MAX : n;
    for (size_t i = 0; rc == STRATA_OK && i < hn; i++) {
        char ch = msg[i] == '\n' || msg[i] == '\r' ? ' ' : msg[i];
        rc = net_buf_append(&r->headers, &ch, 1);
    }
    if (hn < n) rc |= net_buf_puts(&r->headers, "...");
    rc |= net_buf_puts(&r->headers, "\r\n");
    rc |= net_buf_puts(&r->body, "{\"error\":\"");
    rc |= net_buf_json_str(&r->body, msg, n);
    rc |= net_buf_puts(&r->body, "\"}\n");
    return rc == STRATA_OK ? STRATA_OK : STRATA_ENOMEM;
}

int net_response_error(net_response *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    return net_response_error_text(r, status, msg,
                                   (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

int net_response_header(net_response *r, const char *name, const char *value)
{
    return net_buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

int net_response_append(net_response *r, const void *data, size_t n)
{
    return net_buf_append(&r->body, data, n);
}

void net_response_reset(net_response *r)
{
    r->status = 0;
    r->content_type = NULL;
    r->headers.len = 0;
    r->body.len = 0;
    r->close = 0;
}

/* ------------------------------------------------------------------ routing */

static void not_found(net_http_conn *c)
{
    net_response *r = &c->resp;
    c->route = NET_R_NONE;
    r->status = 404;
    r->content_type = "text/plain; charset=utf-8";
    net_buf_puts(&r->body, "404 page not found\n");
}

static void bad_method(net_http_conn *c, const char *allow)
{
    net_response *r = &c->resp;
    c->route = NET_R_NONE;
    r->status = 405;
    r->content_type = "text/plain; charset=utf-8";
    net_response_header(r, "Allow", allow);
    net_buf_puts(&r->body, "Method Not Allowed\n");
    net__http_early(c);
}

static void early_error(net_http_conn *c, int status, const char *fmt, const char *arg)
{
    net_response_error(&c->resp, status, fmt, arg);
    net__http_early(c);
}

/* Go's %q for the database name in "database not found". */
static void db_not_found(net_http_conn *c, const char *db)
{
    net_buf q = {0};
    net_buf_puts(&q, "database not found: \"");
    for (const char *p = db; *p; p++) {
        if (*p == '"' || *p == '\\') net_buf_append(&q, "\\", 1);
        net_buf_append(&q, p, 1);
    }
    net_buf_puts(&q, "\"");
    net_response_error_text(&c->resp, 404, q.p ? q.p : "", q.len);
    net_buf_fini(&q);
    net__http_early(c);
}

/* Checks of /write and /api/v2/write that need no body. @return 0 if answered. */
static int write_params(net_http_conn *c, int v2)
{
    const net_request *r = &c->req;
    const char *db, *rp = NULL, *prec = net_request_param(r, "precision");
    char *dbbuf = NULL;

    if (!v2) {
        db = net_request_param(r, "db");
        rp = net_request_param(r, "rp");
        if (db == NULL || db[0] == '\0') {
            early_error(c, 400, "%s", "database is required");
            return 0;
        }
        const char *cons = net_request_param(r, "consistency");
        if (cons && cons[0] && strcmp(cons, "any") && strcmp(cons, "one") &&
            strcmp(cons, "quorum") && strcmp(cons, "all")) {
            early_error(c, 400, "%s", "invalid consistency level");
            return 0;
        }
        if (prec == NULL) prec = "";
        if (lp_precision_parse(prec, strlen(prec), &c->prec) != STRATA_OK) {
            early_error(c, 400, "invalid precision \"%s\" (use n, u, ms, s, m or h)", prec);
            return 0;
        }
    } else {
        /* InfluxDB 1.8: bucket is "db" or "db/rp". */
        const char *bucket = net_request_param(r, "bucket");
        if (bucket == NULL) bucket = "";
        const char *slash = strchr(bucket, '/');
        if (slash == NULL && bucket[0] == '\0') {
            early_error(c, 404,
                        "bucket name \"%s\" is missing a slash; not in "
                        "\"database/retention-policy\" format",
                        bucket);
            return 0;
        }
        if (slash == bucket) {
            early_error(c, 404, "bucket name \"%s\" is in db/rp form but has an empty database",
                        bucket);
            return 0;
        }
        if (slash != NULL) {
            dbbuf = strata_arena_strndup(&c->arena, bucket, (size_t)(slash - bucket));
            if (dbbuf == NULL) {
                early_error(c, 500, "%s", "out of memory");
                return 0;
            }
            db = dbbuf;
            rp = slash + 1;
        } else {
            db = bucket;
        }
        if (prec == NULL || prec[0] == '\0' || strcmp(prec, "ns") == 0)
            c->prec = LP_PREC_NS;
        else if (strcmp(prec, "us") == 0)
            c->prec = LP_PREC_US;
        else if (strcmp(prec, "ms") == 0)
            c->prec = LP_PREC_MS;
        else if (strcmp(prec, "s") == 0)
            c->prec = LP_PREC_S;
        else {
            early_error(c, 400, "invalid precision \"%s\" (use ns, us, ms or s)", prec);
            return 0;
        }
    }
    c->db = db;
    /* The namespace of the named retention policy, or of the default one. */
    stg_rp_info info;
    strata_error err;
    strata_error_clear(&err);
    int rc = stg_rp_resolve(c->srv->eng, db, rp, &info, &err);
    if (rc == STRATA_OK) {
        c->db_id = info.ns;
        return 1;
    }
    uint32_t id;
    if (rc == STRATA_ENOTFOUND && stg_db_lookup(c->srv->eng, db, &id) == STRATA_OK) {
        early_error(c, 500, "%s", err.msg); /* retention policy not found: ... */
        return 0;
    }
    if (rc == STRATA_ENOTFOUND && !c->srv->cfg->auto_create_db) {
        db_not_found(c, db);
        return 0;
    }
    if (rc == STRATA_ENOTFOUND && rp != NULL && rp[0] != '\0') {
        early_error(c, 500, "retention policy not found: %s", rp);
        return 0;
    }
    if (rc == STRATA_ENOTFOUND) {
        c->db_id = 0; /* the worker creates it */
        return 1;
    }
    early_error(c, 500, "looking up the database failed: %s", err.msg);
    return 0;
}

static int body_too_large(net_http_conn *c)
{
    size_t max = c->srv->cfg->max_body_bytes;
    uint64_t cl = c->parser.content_length;
    if (max == 0 || cl == ULLONG_MAX || cl <= max) return 0;
    net_response_error(&c->resp, 413, "%s", "Request Entity Too Large");
    c->resp.close = 1;
    net__http_early(c);
    return 1;
}

void net__http_route(net_http_conn *c)
{
    const char *path = c->req.path;
    int m = c->parser.method;
    int get = m == HTTP_GET, post = m == HTTP_POST, opt = m == HTTP_OPTIONS;

    if (strcmp(path, "/write") == 0) {
        c->ep = NET_EP_WRITE;
        c->route = post ? NET_R_WRITE : opt ? NET_R_OPTIONS : NET_R_NONE;
        if (c->route == NET_R_NONE) {
            bad_method(c, "OPTIONS, POST");
            return;
        }
    } else if (strcmp(path, "/api/v2/write") == 0) {
        c->ep = NET_EP_WRITE_V2;
        c->route = post ? NET_R_WRITE_V2 : opt ? NET_R_OPTIONS : NET_R_NONE;
        if (c->route == NET_R_NONE) {
            bad_method(c, "OPTIONS, POST");
            return;
        }
    } else if (strcmp(path, "/query") == 0) {
        c->ep = NET_EP_QUERY;
        c->route = (get || post) ? NET_R_QUERY : opt ? NET_R_OPTIONS : NET_R_NONE;
        if (c->route == NET_R_NONE) {
            bad_method(c, "GET, OPTIONS, POST");
            return;
        }
    } else if (strcmp(path, "/ping") == 0) {
        c->ep = NET_EP_PING;
        c->route = (get || m == HTTP_HEAD) ? NET_R_PING : opt ? NET_R_OPTIONS : NET_R_NONE;
        if (c->route == NET_R_NONE) {
            bad_method(c, "GET, HEAD, OPTIONS");
            return;
        }
    } else if (strcmp(path, "/health") == 0) {
        c->ep = NET_EP_HEALTH;
        c->route = get ? NET_R_HEALTH : opt ? NET_R_OPTIONS : NET_R_NONE;
        if (c->route == NET_R_NONE) {
            bad_method(c, "GET, OPTIONS");
            return;
        }
    } else if (strcmp(path, "/metrics") == 0) {
        c->ep = NET_EP_METRICS;
        c->route = get ? NET_R_METRICS : opt ? NET_R_OPTIONS : NET_R_NONE;
        if (c->route == NET_R_NONE) {
            bad_method(c, "GET, OPTIONS");
            return;
        }
    } else {
        c->ep = NET_EP_OTHER;
        not_found(c);
        net__http_early(c);
        return;
    }

    switch (c->route) {
    case NET_R_WRITE:
    case NET_R_WRITE_V2:
        if (!write_params(c, c->route == NET_R_WRITE_V2) || body_too_large(c)) return;
        net__http_admit(c, NET_GATE_WRITE);
        return;
    case NET_R_QUERY:
        if (body_too_large(c)) return;
        net__http_admit(c, NET_GATE_QUERY);
        return;
    default:
        /* /ping, /health, /metrics, OPTIONS: any body is read and dropped. */
        c->discard = 1;
        if (c->has_body && c->expect_continue) net__http_send_continue(c);
        return;
    }
}

/* ------------------------------------------------------------------- jobs */

static void write_work(net_job *j, net_worker *w)
{
    net_http_conn *c = NET_CONTAINER_OF(j, net_http_conn, job);
    const net_config *cfg = c->srv->cfg;
    net_ingest_in in = {
        .src = NET_SRC_HTTP,
        .db = c->db,
        .db_id = c->db_id,
        .auto_create = cfg->auto_create_db,
        .prec = c->prec,
        .body = c->body.p,
        .len = c->body.len,
        .gzip = c->gzip,
        .max_inflated = cfg->max_inflated_bytes,
        .msg_cap = NET_HTTP_MSG_MAX,
    };
    net__ingest(w, &in, &c->iout, &w->scratch);
    if (c->iout.status == 204) {
        c->resp.status = 204;
        c->resp.content_type = "application/json";
    } else if (net_response_error_text(&c->resp, c->iout.status, w->scratch.p ? w->scratch.p : "",
                                       w->scratch.len) != STRATA_OK) {
        c->resp.status = 500;
    }
    if (w->scratch.cap > NET_HTTP_MSG_MAX * 4) net_buf_trim(&w->scratch, NET_HTTP_MSG_MAX);
}

static void metrics_work(net_job *j, net_worker *w)
{
    net_http_conn *c = NET_CONTAINER_OF(j, net_http_conn, job);
    (void)w;
    if (net__metrics_render(&c->srv->m, c->srv->eng, &c->resp.body) != STRATA_OK) {
        net_response_error(&c->resp, 500, "%s", "out of memory rendering metrics");
        return;
    }
    c->resp.status = 200;
    c->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * A POST form body adds parameters that win over the URL's (Go's FormValue).
 * Once per request. @return STRATA_OK, or STRATA_ENOMEM with resp the 500.
 */
static int query_params(net_http_conn *c)
{
    net_request *r = &c->req;
    if (c->query_params_done) return STRATA_OK;
    c->query_params_done = 1;
    const char *ct = net_request_header(r, "Content-Type");
    if (c->parser.method == HTTP_POST && ct != NULL &&
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 && r->body_len > 0) {
        net_kv *form;
        size_t nform;
        if (net__params_parse(&c->arena, r->body, r->body_len, &form, &nform) != STRATA_OK) {
            net_response_error(&c->resp, 500, "%s", "out of memory");
            return STRATA_ENOMEM;
        }
        net_kv *all = strata_arena_alloc(&c->arena, (nform + r->nparams + 1) * sizeof *all);
        if (all == NULL) {
            net_response_error(&c->resp, 500, "%s", "out of memory");
            return STRATA_ENOMEM;
        }
        memcpy(all, form, nform * sizeof *all);
        if (r->nparams) memcpy(all + nform, r->params, r->nparams * sizeof *all);
        r->params = all;
        r->nparams += nform;
    }
    return STRATA_OK;
}

static void query_run(net_http_conn *c, int64_t timeout_ns)
{
    net_query_ctx ctx = {
        .engine = c->srv->eng, .cfg = c->srv->cfg, .log = c->srv->log, .timeout_ns = timeout_ns};
    net_query_handle(&ctx, &c->req, &c->resp);
}

static void query_work(net_job *j, net_worker *w)
{
    net_http_conn *c = NET_CONTAINER_OF(j, net_http_conn, job);
    (void)w;
    if (query_params(c) != STRATA_OK) return;
    query_run(c, 0);
}

static int is_ident(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

/*
 * Is q one SELECT that only reads? Lexical and conservative: it starts with
 * the keyword SELECT, holds no ';' (one statement) and no INTO anywhere
 * (even quoted: such a query just goes to a worker).
 */
static int read_only_select(const char *q)
{
    if (q == NULL || strlen(q) > NET_QUERY_INLINE_MAX_Q) return 0;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
        q++;
    if (strncasecmp(q, "select", 6) != 0 || is_ident(q[6])) return 0;
    for (const char *p = q; *p; p++) {
        if (*p == ';') return 0;
        if ((*p == 'i' || *p == 'I') && !is_ident(p[-1]) && strncasecmp(p, "into", 4) == 0 &&
            !is_ident(p[4]))
            return 0;
    }
    return 1;
}

/*
 * Answer a /query on the loop thread when it is a plain SELECT that finishes
 * within --query-inline-us (see http_int.h). @return 1 when resp holds the
 * answer, 0 when the request must go to a worker (resp untouched).
 */
static int query_try_inline(net_http_conn *c)
{
    net_server *s = c->srv;
    if (c->inline_skip > 0) {
        c->inline_skip--;
        return 0;
    }
    if (s->cfg->query_inline_us == 0) return 0;
    if (atomic_load_explicit(&s->m.writes_in_progress, memory_order_relaxed) > 0) return 0;
    if (query_params(c) != STRATA_OK) return 1; /* the 500 */
    if (!read_only_select(net_request_param(&c->req, "q"))) return 0;
    int64_t budget = (int64_t)s->cfg->query_inline_us * 1000,
            cfg_ns = s->cfg->query_timeout_ms * 1000000;
    int capped = cfg_ns <= 0 || budget < cfg_ns;
    int64_t t0 = strata_mono_ns();
    query_run(c, capped ? budget : cfg_ns);
    /* Within the budget the engine's deadline (set after t0) cannot have passed. */
    if (!capped || strata_mono_ns() - t0 <= budget) return 1;
    net_response_reset(&c->resp);
    c->inline_skip = NET_QUERY_INLINE_SKIP;
    return 0;
}

void net__http_dispatch(net_http_conn *c)
{
    net_response *r = &c->resp;
    switch (c->route) {
    case NET_R_PING: {
        const char *v = net_request_param(&c->req, "verbose");
        if (v != NULL && v[0] && strcmp(v, "0") != 0 && strcmp(v, "false") != 0) {
            r->status = 200;
            r->content_type = "application/json";
            net_buf_puts(&r->body, "{\"version\":\"" NET_INFLUX_VERSION "\"}");
        } else {
            r->status = 204;
            r->content_type = "application/json";
        }
        net__http_send(c);
        return;
    }
    case NET_R_HEALTH:
        r->status = 200;
        r->content_type = "application/json";
        net_buf_puts(&r->body,
                     "{\"checks\":[],\"message\":\"ready for queries and writes\","
                     "\"name\":\"influxdb\",\"status\":\"pass\",\"version\":\"" NET_INFLUX_VERSION
                     "\"}");
        net__http_send(c);
        return;
    case NET_R_OPTIONS:
        r->status = 200;
        net__http_send(c);
        return;
    case NET_R_WRITE:
    case NET_R_WRITE_V2:
        net__http_submit(c, write_work);
        return;
    case NET_R_QUERY:
        c->query_params_done = 0;
        if (query_try_inline(c)) {
            net__http_answer(c);
            return;
        }
        net__http_submit(c, query_work);
        return;
    case NET_R_METRICS:
        net__http_submit(c, metrics_work);
        return;
    default:
        not_found(c);
        net__http_send(c);
        return;
    }
}
