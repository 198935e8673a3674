/*
 * net/http.c: HTTP/1.1 connections on the libuv loop, framed by
 * http_parser: accepting, reading, request headers and bodies (Content-
 * Length or chunked), Expect: 100-continue, keep-alive and pipelining
 * (served one at a time), writing responses, idle timeouts, and closing.
 * What a request means is decided in http_api.c.
 *
 * Back-pressure: a connection stops reading whenever it cannot use more
 * bytes: while it waits for a write slot (after the headers, before the
 * body), while its request is on a worker, and while its response is being
 * written. The kernel's socket buffers then fill and TCP flow control
 * slows the client down; the server never buffers more than one body per
 * admitted request.
 *
 * Invariant: parser callbacks never close the connection; they record what
 * to do, pause or fail the parser, and feed() acts when
 * http_parser_execute() returns.
 */
#include "net/http_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/clock.h"

/* Body buffers above this are freed after their request. */
#define BODY_KEEP_BYTES (1u << 20)

static const char continue_100[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void conn_close(net_http_conn *c);
static void conn_resume(net_http_conn *c);

static const char *status_text(int s)
{
    switch (s) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Request Entity Too Large";
    case 414:
        return "Request URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* ------------------------------------------------------------ life cycle */

static void conn_maybe_free(net_http_conn *c)
{
    if (!c->handle_closed || c->in_job || c->writes > 0) return;
    net_server *s = c->srv;
    net__link_del(&c->link);
    s->nconns--;
    atomic_fetch_sub(&s->m.open_http, 1);
    strata_arena_fini(&c->arena);
    net_buf_fini(&c->hdr);
    net_buf_fini(&c->body);
    net_buf_fini(&c->pending);
    net_buf_fini(&c->head);
    net_buf_fini(&c->resp.headers);
    net_buf_fini(&c->resp.body);
    free(c->hoff);
    free(c);
    net__maybe_finish(s);
}

static void on_close(uv_handle_t *h)
{
    net_http_conn *c = h->data;
    c->handle_closed = 1;
    conn_maybe_free(c);
}

static void release_gate(net_http_conn *c)
{
    if (c->gate == NET_GATE_WRITE) {
        net__gate_leave(&c->srv->writes);
        atomic_fetch_sub(&c->srv->m.writes_in_progress, 1);
    } else if (c->gate == NET_GATE_QUERY) {
        net__gate_leave(&c->srv->queries);
    }
    c->gate = NET_GATE_NONE;
}

static void conn_close(net_http_conn *c)
{
    if (c->closing) return;
    c->closing = 1;
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
    if (c->waiting) {
        net__gate_cancel(c->gate == NET_GATE_QUERY ? &c->srv->queries : &c->srv->writes,
                         &c->waiter);
        c->waiting = 0;
        c->gate = NET_GATE_NONE;
    }
    if (!c->in_job) release_gate(c);
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void start_reading(net_http_conn *c);

static void finish_message(net_http_conn *c)
{
    c->in_message = 0;
    c->message_done = 0;
    if (c->body.cap > BODY_KEEP_BYTES) net_buf_trim(&c->body, BODY_KEEP_BYTES);
    if (c->resp.body.cap > BODY_KEEP_BYTES) net_buf_trim(&c->resp.body, BODY_KEEP_BYTES);
}

/* ---------------------------------------------------------------- writing */

static void on_write(uv_write_t *req, int status)
{
    net_http_conn *c = req->data;
    c->writes--;
    if (c->closing) {
        conn_maybe_free(c);
        return;
    }
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (req == &c->creq) return; /* the 100 Continue; the request goes on */
    c->resp_inflight = 0;
    c->last_ms = net__now_ms(c->srv);
    if (c->close_after) {
        conn_close(c);
        return;
    }
    if (c->message_done) {
        finish_message(c);
        conn_resume(c);
    }
}

static void append_date(net_http_conn *c)
{
    net_server *s = c->srv;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != s->date_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s->date_sec = ts.tv_sec;
    }
    net_buf_printf(&c->head, "Date: %s\r\n", s->date);
}

void net__http_send(net_http_conn *c)
{
    net_server *s = c->srv;
    net_response *r = &c->resp;
    if (r->status == 0) {
        r->status = 500;
        net_response_error(r, 500, "the request was not answered");
    }
    if (r->close || s->stopping || !http_should_keep_alive(&c->parser)) c->close_after = 1;

    net_buf *h = &c->head;
    h->len = 0;
    int rc = net_buf_printf(h, "HTTP/1.%d %d %s\r\n", c->http_minor ? 1 : 0, r->status,
                            status_text(r->status));
    if (r->content_type) rc |= net_buf_printf(h, "Content-Type: %s\r\n", r->content_type);
    if (c->route != NET_R_NONE) {
        /* The headers InfluxDB's middleware puts on every API answer. */
        rc |= net_buf_printf(h,
                             "Request-Id: %s\r\nX-Influxdb-Build: OSS\r\nX-Influxdb-Version: %s\r\n"
                             "X-Request-Id: %s\r\nX-Strata-Version: %s\r\n",
                             c->request_id, NET_INFLUX_VERSION, c->request_id, NET_STRATA_VERSION);
    } else {
        rc |= net_buf_printf(h,
                             "X-Content-Type-Options: nosniff\r\n"
                             "X-Influxdb-Build: OSS\r\nX-Influxdb-Version: %s\r\n",
                             NET_INFLUX_VERSION);
    }
    rc |= net_buf_append(h, r->headers.p, r->headers.len);
    append_date(c);
    if (r->status >= 200 && r->status != 204 && r->status != 304)
        rc |= net_buf_printf(h, "Content-Length: %zu\r\n", r->body.len);
    if (c->close_after)
        rc |= net_buf_puts(h, "Connection: close\r\n");
    else if (c->http_minor == 0)
        rc |= net_buf_puts(h, "Connection: keep-alive\r\n");
    rc |= net_buf_append(h, "\r\n", 2);
    if (rc != STRATA_OK) {
        strata_log(s->log, STRATA_LOG_ERROR, "http", "out of memory answering %s", c->peer);
        conn_close(c);
        return;
    }

    uv_buf_t bufs[2] = {uv_buf_init(h->p, (unsigned)h->len), uv_buf_init(r->body.p, 0)};
    unsigned nbufs = 1;
    if (!c->is_head && r->status != 204 && r->body.len > 0) {
        bufs[1] = uv_buf_init(r->body.p, (unsigned)r->body.len);
        nbufs = 2;
    }
    net__metrics_http(&s->m, c->ep, r->status);
    if (s->log && s->log->level <= STRATA_LOG_DEBUG)
        strata_log(s->log, STRATA_LOG_DEBUG, "http", "%s %s %s %d %zu bytes %.3f ms", c->peer,
                   c->req.method ? c->req.method : "-", c->req.path ? c->req.path : "-", r->status,
                   r->body.len, (double)(strata_mono_ns() - c->t_start_ns) / 1e6);
    c->wreq.data = c;
    int urc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, nbufs, on_write);
    if (urc < 0) {
        conn_close(c);
        return;
    }
    c->writes++;
    c->resp_inflight = 1;
}

void net__http_send_continue(net_http_conn *c)
{
    uv_buf_t b = uv_buf_init((char *)continue_100, sizeof continue_100 - 1);
    c->creq.data = c;
    if (uv_write(&c->creq, (uv_stream_t *)&c->tcp, &b, 1, on_write) == 0) c->writes++;
}

/* ------------------------------------------------------------------- jobs */

static void on_job_done(net_job *j)
{
    net_http_conn *c = NET_CONTAINER_OF(j, net_http_conn, job);
    net_server *s = c->srv;
    c->in_job = 0;
    s->jobs_inflight--;
    release_gate(c);
    if (c->closing) {
        conn_maybe_free(c);
        net__maybe_finish(s);
        return;
    }
    net__http_send(c);
    net__maybe_finish(s);
}

void net__http_submit(net_http_conn *c, void (*work)(net_job *, net_worker *))
{
    c->job.work = work;
    c->job.done = on_job_done;
    c->in_job = 1;
    c->srv->jobs_inflight++;
    net__pool_submit(&c->srv->pool, &c->job);
}

void net__http_answer(net_http_conn *c)
{
    release_gate(c);
    net__http_send(c);
}

/* -------------------------------------------------------------- admission */

static void on_granted(net_waiter *w)
{
    net_http_conn *c = NET_CONTAINER_OF(w, net_http_conn, waiter);
    c->waiting = 0;
    if (c->gate == NET_GATE_WRITE) atomic_fetch_add(&c->srv->m.writes_in_progress, 1);
    if (c->expect_continue) net__http_send_continue(c);
    conn_resume(c);
}

int net__http_admit(net_http_conn *c, int kind)
{
    net_gate *g = kind == NET_GATE_QUERY ? &c->srv->queries : &c->srv->writes;
    c->gate = kind;
    c->waiter.granted = on_granted;
    if (net__gate_enter(g, &c->waiter)) {
        if (kind == NET_GATE_WRITE) atomic_fetch_add(&c->srv->m.writes_in_progress, 1);
        if (c->expect_continue) net__http_send_continue(c);
        return 1;
    }
    c->waiting = 1;
    atomic_fetch_add(&c->srv->m.read_pauses, 1);
    http_parser_pause(&c->parser, 1);
    return 0;
}

void net__http_early(net_http_conn *c)
{
    c->early = 1;
    c->discard = 1;
    int chunked = (c->parser.flags & F_CHUNKED) != 0;
    if (c->has_body && (c->expect_continue || chunked || c->parser.content_length > 65536)) {
        /* Do not make the client send (or us read) a body we will not use. */
        c->resp.close = 1;
        c->message_done = 0;
        http_parser_pause(&c->parser, 1);
        net__http_send(c);
    }
}

/* ---------------------------------------------------------- parser glue */

static int hdr_cap_exceeded(net_http_conn *c, size_t more)
{
    return c->hdr.len + more > c->srv->cfg->max_header_bytes;
}

/* Abort parsing with a response; feed() sends it and closes. */
static int abort_with(net_http_conn *c, int status, const char *msg)
{
    net_response_reset(&c->resp);
    net_response_error(&c->resp, status, "%s", msg);
    c->resp.close = 1;
    c->early = 1;
    return -1;
}

static int on_message_begin(http_parser *p)
{
    net_http_conn *c = p->data;
    strata_arena_reset(&c->arena);
    c->hdr.len = 0;
    c->url_len = 0;
    c->nh = 0;
    c->last_was_value = 0;
    c->headers_done = 0;
    c->route = NET_R_NONE;
    c->ep = NET_EP_OTHER;
    c->early = c->discard = c->expect_continue = c->has_body = c->gzip = c->is_head = 0;
    c->http_minor = 1; /* until the request line says otherwise */
    c->body.len = 0;
    c->db = NULL;
    c->db_id = 0;
    memset(&c->req, 0, sizeof c->req);
    c->req.arena = &c->arena;
    net_response_reset(&c->resp);
    c->in_message = 1;
    c->message_done = 0;
    c->t_start_ns = strata_mono_ns();
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    net_http_conn *c = p->data;
    if (hdr_cap_exceeded(c, len)) return abort_with(c, 414, "Request URI Too Long");
    if (net_buf_append(&c->hdr, at, len) != STRATA_OK) return abort_with(c, 500, "out of memory");
    c->url_len += len;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    net_http_conn *c = p->data;
    if (c->headers_done) return 0; /* a chunked trailer: ignored */
    if (hdr_cap_exceeded(c, len)) return abort_with(c, 431, "Request Header Fields Too Large");
    if (c->nh == 0 || c->last_was_value) {
        if (c->nh == c->hcap) {
            size_t ncap = c->hcap ? 2 * c->hcap : 16;
            net_hdr_off *n = realloc(c->hoff, ncap * sizeof *n);
            if (n == NULL) return abort_with(c, 500, "out of memory");
            c->hoff = n;
            c->hcap = ncap;
        }
        c->hoff[c->nh++] = (net_hdr_off){c->hdr.len, 0, 0, 0};
        c->last_was_value = 0;
    }
    if (net_buf_append(&c->hdr, at, len) != STRATA_OK) return abort_with(c, 500, "out of memory");
    c->hoff[c->nh - 1].name_len += len;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    net_http_conn *c = p->data;
    if (c->headers_done || c->nh == 0) return 0;
    if (hdr_cap_exceeded(c, len)) return abort_with(c, 431, "Request Header Fields Too Large");
    net_hdr_off *h = &c->hoff[c->nh - 1];
    if (!c->last_was_value) h->val_off = c->hdr.len;
    if (net_buf_append(&c->hdr, at, len) != STRATA_OK) return abort_with(c, 500, "out of memory");
    h->val_len += len;
    c->last_was_value = 1;
    return 0;
}

static void make_request_id(net_http_conn *c)
{
    net_server *s = c->srv;
    uint64_t t = (uint64_t)strata_now_ns() / 100, seq = ++s->req_seq;
    snprintf(c->request_id, sizeof c->request_id, "%08x-%04x-%04x-%04x-%012" PRIx64, (uint32_t)t,
             (uint32_t)(t >> 32) & 0xffff, 0x1000u | ((uint32_t)(t >> 48) & 0x0fff),
             0x8000u | (uint32_t)(seq & 0x3fff), (uint64_t)((seq >> 14) & 0xffffffffffffull));
}

/* Turn the offsets into the request handlers see (strings in the arena). */
static int build_request(net_http_conn *c)
{
    net_request *r = &c->req;
    strata_arena *a = &c->arena;
    struct http_parser_url u;

    r->method = http_method_str((enum http_method)c->parser.method);
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->hdr.p, c->url_len, 0, &u) != 0 || !(u.field_set & (1 << UF_PATH)))
        return STRATA_EINVAL;
    r->path =
        strata_arena_strndup(a, c->hdr.p + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    if (r->path == NULL) return STRATA_ENOMEM;
    if (u.field_set & (1 << UF_QUERY)) {
        int rc = net__params_parse(a, c->hdr.p + u.field_data[UF_QUERY].off,
                                   u.field_data[UF_QUERY].len, &r->params, &r->nparams);
        if (rc != STRATA_OK) return rc;
    }
    r->headers = strata_arena_alloc(a, (c->nh ? c->nh : 1) * sizeof *r->headers);
    if (r->headers == NULL) return STRATA_ENOMEM;
    for (size_t i = 0; i < c->nh; i++) {
        net_kv *kv = &r->headers[i];
        const net_hdr_off *h = &c->hoff[i];
        kv->key = strata_arena_strndup(a, c->hdr.p + h->name_off, h->name_len);
        kv->val = strata_arena_strndup(a, c->hdr.p + h->val_off, h->val_len);
        if (kv->key == NULL || kv->val == NULL) return STRATA_ENOMEM;
        kv->key_len = h->name_len;
        kv->val_len = h->val_len;
    }
    r->nheaders = c->nh;
    make_request_id(c);
    r->request_id = c->request_id;
    return STRATA_OK;
}

static int on_headers_complete(http_parser *p)
{
    net_http_conn *c = p->data;
    c->headers_done = 1;
    c->http_minor = p->http_major == 1 ? p->http_minor : 1;
    c->is_head = p->method == HTTP_HEAD;
    c->has_body =
        (p->flags & F_CHUNKED) || (p->content_length > 0 && p->content_length != ULLONG_MAX);
    int rc = build_request(c);
    if (rc == STRATA_EINVAL) return abort_with(c, 400, "bad request URL");
    if (rc != STRATA_OK) return abort_with(c, 500, "out of memory");
    const char *enc = net_request_header(&c->req, "Content-Encoding");
    c->gzip = enc != NULL && strcasecmp(enc, "gzip") == 0;
    const char *exp = net_request_header(&c->req, "Expect");
    c->expect_continue =
        exp != NULL && strcasecmp(exp, "100-continue") == 0 && c->has_body && c->http_minor == 1;
    net__http_route(c);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    net_http_conn *c = p->data;
    if (c->discard) return 0;
    size_t max = c->srv->cfg->max_body_bytes;
    if (max && c->body.len + len > max) return abort_with(c, 413, "Request Entity Too Large");
    if (at == c->body.p + c->body.len) {
        c->body.len += len; /* alloc_cb read it in place */
    } else {
        /* One allocation when the size is known. */
        if (c->body.len == 0 && p->content_length != ULLONG_MAX &&
            c->body.cap - c->body.len < len + p->content_length)
            net_buf_reserve(&c->body, len + p->content_length);
        if (net_buf_append(&c->body, at, len) != STRATA_OK)
            return abort_with(c, 500, "out of memory");
    }
    if (c->route == NET_R_WRITE || c->route == NET_R_WRITE_V2)
        atomic_fetch_add_explicit(&c->srv->m.bytes_received[NET_SRC_HTTP], len,
                                  memory_order_relaxed);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    net_http_conn *c = p->data;
    /* One request at a time: stop the parser here until the response is out. */
    http_parser_pause(p, 1);
    c->message_done = 1;
    c->req.body = c->body.p;
    c->req.body_len = c->body.len;
    if (c->early)
        net__http_send(c);
    else
        net__http_dispatch(c);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/*
 * Parse bytes. from_pending: data is c->pending itself. When the parser
 * pauses, the unparsed rest is kept in pending and reading stops.
 */
static void feed(net_http_conn *c, const char *data, size_t len, int from_pending)
{
    size_t n = http_parser_execute(&c->parser, &settings, data, len);
    if (c->closing) return;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_OK && n == len) {
        if (from_pending) c->pending.len = 0;
        return;
    }
    if (e == HPE_PAUSED) {
        if (from_pending) {
            net_buf_consume(&c->pending, n);
        } else if (n < len && net_buf_append(&c->pending, data + n, len - n) != STRATA_OK) {
            conn_close(c);
            return;
        }
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = 0;
        }
        return;
    }
    /* A protocol error, or a callback that refused the request. */
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
    if (c->resp_inflight || c->in_job) {
        c->close_after = 1; /* an answer is on its way; close after it */
        return;
    }
    if (!c->early) {
        if (!c->in_message && e == HPE_INVALID_EOF_STATE) {
            conn_close(c);
            return;
        }
        net_response_reset(&c->resp);
        c->resp.status = 400;
        c->resp.content_type = "text/plain; charset=utf-8";
        net_buf_puts(&c->resp.body, "400 Bad Request");
        c->route = NET_R_NONE;
        strata_log(c->srv->log, STRATA_LOG_DEBUG, "http", "%s: bad request: %s", c->peer,
                   http_errno_description(e));
    }
    c->resp.close = 1;
    c->message_done = 0;
    net__http_send(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    net_http_conn *c = st->data;
    if (nread == 0) return;
    if (nread < 0) {
        /* EOF or error. A client that half-closes after its request still
         * gets its answer: keep the connection while a job or write runs. */
        uv_read_stop(st);
        c->reading = 0;
        c->eof = 1;
        if (c->in_job || c->writes > 0 || c->waiting) {
            c->close_after = 1;
            return;
        }
        conn_close(c);
        return;
    }
    c->last_ms = net__now_ms(c->srv);
    feed(c, buf->base, (size_t)nread, 0);
}

/*
 * Where the next read goes. Inside a Content-Length body the bytes are read
 * straight into the body buffer, at most the bytes still expected (so a
 * read never runs into the next request); on_body then only counts them.
 * Everything else goes through the loop's shared buffer.
 */
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    net_http_conn *c = h->data;
    uint64_t left = c->parser.content_length;
    if (c->headers_done && c->in_message && !c->message_done && !c->discard && !c->early &&
        !(c->parser.flags & F_CHUNKED) && left != ULLONG_MAX && left >= 4096 &&
        net_buf_reserve(&c->body, (size_t)left) == STRATA_OK) {
        *buf =
            uv_buf_init(c->body.p + c->body.len, (unsigned)(left > (1u << 30) ? (1u << 30) : left));
        return;
    }
    net__alloc_cb(h, suggested, buf);
}

static void start_reading(net_http_conn *c)
{
    if (c->reading || c->closing) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read) == 0)
        c->reading = 1;
    else
        conn_close(c);
}

/* Go on after a pause: unpause, parse what is pending, then read again. */
static void conn_resume(net_http_conn *c)
{
    if (c->closing) return;
    http_parser_pause(&c->parser, 0);
    if (c->pending.len > 0) {
        feed(c, c->pending.p, c->pending.len, 1);
        if (c->closing || HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) return;
    }
    if (c->eof) {
        /* The client sent all it will send; an unfinished request cannot finish. */
        if (!c->in_job && c->writes == 0) conn_close(c);
        return;
    }
    start_reading(c);
}

/* ---------------------------------------------------------------- accept */

void net__http_on_connection(uv_stream_t *listener, int status)
{
    net_server *s = listener->data;
    if (status < 0) {
        strata_log(s->log, STRATA_LOG_WARN, "http", "accept failed: %s", uv_strerror(status));
        return;
    }
    net_http_conn *c = calloc(1, sizeof *c);
    if (c == NULL || uv_tcp_init(&s->loop, &c->tcp) != 0) {
        /* Cannot even accept: the connection stays in the backlog until memory is back. */
        free(c);
        strata_log(s->log, STRATA_LOG_ERROR, "http", "out of memory accepting a connection");
        return;
    }
    c->srv = s;
    c->tcp.data = c;
    net__link_add(&s->http_conns, &c->link);
    s->nconns++;
    atomic_fetch_add(&s->m.open_http, 1);
    strata_arena_init(&c->arena, 8192);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    atomic_fetch_add(&s->m.http_connections, 1);
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0)
        net__addr_format((struct sockaddr *)&ss, c->peer, sizeof c->peer);
    else
        snprintf(c->peer, sizeof c->peer, "?");
    if (s->nconns > s->cfg->max_connections || s->stopping) {
        atomic_fetch_add(&s->m.conns_refused, 1);
        uint64_t sup;
        if (net__ratelog_ok(&s->accept_log, net__now_ms(s), &sup))
            strata_log(s->log, STRATA_LOG_WARN, "http",
                       "refused %s: %u connections open (--max-connections); %llu more refused "
                       "since the last message",
                       c->peer, s->nconns - 1, (unsigned long long)sup);
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->http_minor = 1;
    c->last_ms = net__now_ms(s);
    start_reading(c);
}

/* --------------------------------------------------------------- shutdown */

void net__http_shutdown(net_server *s, int force)
{
    for (net_link *l = s->http_conns.next, *next; l != &s->http_conns; l = next) {
        next = l->next;
        net_http_conn *c = NET_CONTAINER_OF(l, net_http_conn, link);
        if (c->closing) continue;
        if (force || (!c->in_message && !c->in_job && c->writes == 0))
            conn_close(c);
        else
            c->close_after = 1;
    }
}

void net__http_tick(net_server *s, int64_t now_ms)
{
    int64_t idle = s->cfg->http_idle_timeout_ms;
    if (idle <= 0) return;
    for (net_link *l = s->http_conns.next, *next; l != &s->http_conns; l = next) {
        next = l->next;
        net_http_conn *c = NET_CONTAINER_OF(l, net_http_conn, link);
        if (c->closing || c->in_job || c->waiting || c->writes > 0) continue;
        if (now_ms - c->last_ms > idle) {
            strata_log(s->log, STRATA_LOG_DEBUG, "http", "%s: closing after %lld ms idle", c->peer,
                       (long long)idle);
            conn_close(c);
        }
    }
}
