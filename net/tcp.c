/*
 * net/tcp.c: the raw TCP line-protocol listener (--tcp-bind, --tcp-db):
 * clients stream newline-separated lines and get no answer; what they send
 * goes to one configured database with one configured precision.
 *
 * Each connection keeps two buffers: `fill` receives bytes; when it holds
 * at least one complete line and no job of this connection is running,
 * every complete line moves to `work` and becomes one ingest job (with a
 * write slot, like an HTTP write), while the partial last line stays in
 * `fill` for the next read. So lines split across reads are joined, and a
 * connection has at most one batch in the engine at a time. While a job
 * runs, `fill` may grow up to its backlog limit, then reading stops until
 * the job is done (back-pressure). A line longer than --tcp-max-line-bytes
 * is dropped up to its newline and counted as bad; bad lines are counted
 * and logged (rate-limited), never fatal.
 *
 * Limit: a newline always ends a line here, also inside a quoted string
 * field (HTTP bodies are parsed whole, with InfluxDB's quote-aware split).
 */
#include "net/net_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct net_tcp_conn {
    uv_tcp_t tcp;
    net_server *srv;
    net_link link;
    net_waiter waiter;
    net_job job;
    net_buf fill, work, msg;
    size_t fill_lines_end; /* fill[0, fill_lines_end) is complete lines */
    net_ingest_out out;
    int reading, closing, handle_closed, in_job, waiting, eof, skipping;
    int64_t last_ms;
    char peer[64];
} net_tcp_conn;

/* Bytes kept beyond this are freed after a job. */
#define TCP_KEEP_BYTES (1u << 20)

static size_t backlog_max(const net_server *s)
{
    size_t m = 2 * s->cfg->tcp_max_line_bytes;
    return m < (4u << 20) ? (4u << 20) : m;
}

static void tcp_close(net_tcp_conn *c);
static void maybe_submit(net_tcp_conn *c);
static void start_reading(net_tcp_conn *c);

static void maybe_free(net_tcp_conn *c)
{
    if (!c->handle_closed || c->in_job) return;
    net_server *s = c->srv;
    net__link_del(&c->link);
    s->nconns--;
    atomic_fetch_sub(&s->m.open_tcp, 1);
    net_buf_fini(&c->fill);
    net_buf_fini(&c->work);
    net_buf_fini(&c->msg);
    free(c);
    net__maybe_finish(s);
}

static void on_close(uv_handle_t *h)
{
    net_tcp_conn *c = h->data;
    c->handle_closed = 1;
    maybe_free(c);
}

static void tcp_close(net_tcp_conn *c)
{
    if (c->closing) return;
    c->closing = 1;
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
    if (c->waiting) {
        net__gate_cancel(&c->srv->writes, &c->waiter);
        c->waiting = 0;
    }
    if (c->fill.len > c->fill_lines_end || c->fill_lines_end > 0)
        strata_log(c->srv->log, STRATA_LOG_DEBUG, "tcp", "%s: closed with %zu bytes unprocessed",
                   c->peer, c->fill.len);
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void log_outcome(net_tcp_conn *c)
{
    net_server *s = c->srv;
    const net_ingest_out *o = &c->out;
    if (o->status == 204) return;
    uint64_t sup;
    if (!net__ratelog_ok(&s->tcp_log, net__now_ms(s), &sup)) return;
    strata_log(s->log, o->status >= 500 || o->status == 404 ? STRATA_LOG_ERROR : STRATA_LOG_WARN,
               "tcp",
               "%s: %llu bad lines, %llu points refused, %llu stored (%llu similar messages "
               "suppressed): %.*s",
               c->peer, (unsigned long long)o->lines_bad, (unsigned long long)o->points_rejected,
               (unsigned long long)o->points_ok, (unsigned long long)sup,
               (int)(c->msg.len > 400 ? 400 : c->msg.len), c->msg.p ? c->msg.p : "");
}

static void job_work(net_job *j, net_worker *w)
{
    net_tcp_conn *c = NET_CONTAINER_OF(j, net_tcp_conn, job);
    const net_config *cfg = c->srv->cfg;
    net_ingest_in in = {
        .src = NET_SRC_TCP,
        .db = cfg->tcp_db,
        .db_id = c->srv->tcp_db_id,
        .prec = cfg->tcp_precision,
        .body = c->work.p,
        .len = c->work.len,
        .msg_cap = NET_LOG_MSG_MAX,
    };
    net__ingest(w, &in, &c->out, &c->msg);
}

static void job_done(net_job *j)
{
    net_tcp_conn *c = NET_CONTAINER_OF(j, net_tcp_conn, job);
    net_server *s = c->srv;
    c->in_job = 0;
    s->jobs_inflight--;
    net__gate_leave(&s->writes);
    atomic_fetch_sub(&s->m.writes_in_progress, 1);
    log_outcome(c);
    c->work.len = 0;
    if (c->work.cap > TCP_KEEP_BYTES) net_buf_trim(&c->work, TCP_KEEP_BYTES);
    if (c->closing) {
        maybe_free(c);
        return;
    }
    maybe_submit(c);
    if (!c->in_job && !c->waiting && c->eof) {
        tcp_close(c);
        return;
    }
    if (!c->eof && !c->reading && c->fill.len < backlog_max(s)) start_reading(c);
    net__maybe_finish(s);
}

/* Move the complete lines to `work` and start a job on them (slot held). */
static void submit(net_tcp_conn *c)
{
    net_server *s = c->srv;
    size_t n = c->fill_lines_end;
    net_buf_swap(&c->fill, &c->work);
    c->fill.len = 0;
    if (net_buf_append(&c->fill, c->work.p + n, c->work.len - n) != STRATA_OK) {
        strata_log(s->log, STRATA_LOG_ERROR, "tcp", "%s: out of memory", c->peer);
        c->work.len = n; /* the partial line is lost */
    }
    c->work.len = n;
    c->fill_lines_end = 0;
    c->in_job = 1;
    s->jobs_inflight++;
    atomic_fetch_add(&s->m.writes_in_progress, 1);
    c->job.work = job_work;
    c->job.done = job_done;
    net__pool_submit(&s->pool, &c->job);
}

static void on_granted(net_waiter *w)
{
    net_tcp_conn *c = NET_CONTAINER_OF(w, net_tcp_conn, waiter);
    c->waiting = 0;
    submit(c);
}

static void maybe_submit(net_tcp_conn *c)
{
    if (c->in_job || c->waiting || c->closing || c->fill_lines_end == 0) return;
    c->waiter.granted = on_granted;
    if (net__gate_enter(&c->srv->writes, &c->waiter)) {
        submit(c);
    } else {
        c->waiting = 1;
        atomic_fetch_add(&c->srv->m.read_pauses, 1);
    }
}

/* Count and log a line over --tcp-max-line-bytes (the caller drops it). */
static void too_long(net_tcp_conn *c)
{
    net_server *s = c->srv;
    atomic_fetch_add(&s->m.lines_bad[NET_SRC_TCP], 1);
    uint64_t sup;
    if (net__ratelog_ok(&s->tcp_long_log, net__now_ms(s), &sup))
        strata_log(s->log, STRATA_LOG_WARN, "tcp",
                   "%s: dropped a line longer than %zu bytes (--tcp-max-line-bytes); %llu similar "
                   "messages suppressed",
                   c->peer, s->cfg->tcp_max_line_bytes, (unsigned long long)sup);
}

static void take(net_tcp_conn *c, const char *data, size_t len)
{
    if (c->skipping) {
        const char *nl = memchr(data, '\n', len);
        if (nl == NULL) return;
        c->skipping = 0;
        len -= (size_t)(nl + 1 - data);
        data = nl + 1;
    }
    if (len == 0) return;
    size_t pos = c->fill.len;
    if (net_buf_append(&c->fill, data, len) != STRATA_OK) {
        strata_log(c->srv->log, STRATA_LOG_ERROR, "tcp", "%s: out of memory, closing", c->peer);
        tcp_close(c);
        return;
    }
    /* Find the complete lines among the new bytes; cut out those over the limit. */
    size_t max = c->srv->cfg->tcp_max_line_bytes, ls = c->fill_lines_end;
    char *nl;
    while ((nl = memchr(c->fill.p + pos, '\n', c->fill.len - pos)) != NULL) {
        size_t q = (size_t)(nl - c->fill.p);
        if (q - ls > max) {
            memmove(c->fill.p + ls, nl + 1, c->fill.len - q - 1);
            c->fill.len -= q + 1 - ls;
            too_long(c);
            pos = ls;
        } else {
            ls = pos = q + 1;
        }
    }
    c->fill_lines_end = ls;
    if (c->fill.len - ls > max) {
        c->fill.len = ls; /* the partial line is already too long: skip to its newline */
        c->skipping = 1;
        too_long(c);
    }
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    net_tcp_conn *c = st->data;
    net_server *s = c->srv;
    if (nread == 0) return;
    if (nread < 0) {
        uv_read_stop(st);
        c->reading = 0;
        c->eof = 1;
        if (nread != UV_EOF)
            strata_log(s->log, STRATA_LOG_DEBUG, "tcp", "%s: %s", c->peer, uv_strerror((int)nread));
        /* The last line may lack its newline: it is complete now. */
        if (!c->skipping && c->fill.len > c->fill_lines_end) {
            if (net_buf_append(&c->fill, "\n", 1) == STRATA_OK) c->fill_lines_end = c->fill.len;
        }
        maybe_submit(c);
        if (!c->in_job && !c->waiting) tcp_close(c);
        return;
    }
    c->last_ms = net__now_ms(s);
    atomic_fetch_add_explicit(&s->m.bytes_received[NET_SRC_TCP], (uint64_t)nread,
                              memory_order_relaxed);
    take(c, buf->base, (size_t)nread);
    if (c->closing) return;
    maybe_submit(c);
    if ((c->in_job || c->waiting) && c->fill.len >= backlog_max(s)) {
        uv_read_stop(st);
        c->reading = 0;
    }
}

static void start_reading(net_tcp_conn *c)
{
    if (c->reading || c->closing) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, net__alloc_cb, on_read) == 0)
        c->reading = 1;
    else
        tcp_close(c);
}

void net__tcp_on_connection(uv_stream_t *listener, int status)
{
    net_server *s = listener->data;
    if (status < 0) {
        strata_log(s->log, STRATA_LOG_WARN, "tcp", "accept failed: %s", uv_strerror(status));
        return;
    }
    net_tcp_conn *c = calloc(1, sizeof *c);
    if (c == NULL || uv_tcp_init(&s->loop, &c->tcp) != 0) {
        free(c);
        strata_log(s->log, STRATA_LOG_ERROR, "tcp", "out of memory accepting a connection");
        return;
    }
    c->srv = s;
    c->tcp.data = c;
    net__link_add(&s->tcp_conns, &c->link);
    s->nconns++;
    atomic_fetch_add(&s->m.open_tcp, 1);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        tcp_close(c);
        return;
    }
    atomic_fetch_add(&s->m.tcp_connections, 1);
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
            strata_log(s->log, STRATA_LOG_WARN, "tcp",
                       "refused %s: %u connections open (--max-connections); %llu more refused "
                       "since the last message",
                       c->peer, s->nconns - 1, (unsigned long long)sup);
        tcp_close(c);
        return;
    }
    c->last_ms = net__now_ms(s);
    strata_log(s->log, STRATA_LOG_DEBUG, "tcp", "%s: connected", c->peer);
    start_reading(c);
}

void net__tcp_shutdown(net_server *s, int force)
{
    for (net_link *l = s->tcp_conns.next, *next; l != &s->tcp_conns; l = next) {
        next = l->next;
        net_tcp_conn *c = NET_CONTAINER_OF(l, net_tcp_conn, link);
        if (c->closing) continue;
        if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
        c->eof = 1; /* complete lines are still stored; a partial last line is not */
        if (!force) maybe_submit(c);
        if (force || (!c->in_job && !c->waiting)) tcp_close(c);
    }
}

void net__tcp_tick(net_server *s, int64_t now_ms)
{
    int64_t idle = s->cfg->tcp_idle_timeout_ms;
    if (idle <= 0) return;
    for (net_link *l = s->tcp_conns.next, *next; l != &s->tcp_conns; l = next) {
        next = l->next;
        net_tcp_conn *c = NET_CONTAINER_OF(l, net_tcp_conn, link);
        if (!c->closing && !c->in_job && !c->waiting && now_ms - c->last_ms > idle) tcp_close(c);
    }
}
