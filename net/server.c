/*
 * net/server.c: the server's life cycle (open, run, shutdown, close), the
 * loop-level plumbing every listener shares (read buffer, admission gates,
 * connection lists, rate-limited logs, the 1 s tick), and signals.
 *
 * Shutdown (SIGTERM, SIGINT, net_server_stop):
 *   1. close the listening sockets, stop receiving UDP;
 *   2. close idle connections; the others close after their current
 *      request (HTTP) or once their complete lines are stored (TCP);
 *   3. when no connection, job or UDP backlog is left, close the loop's
 *      own handles so uv_run() returns;
 *   4. net_server_close() joins the workers and closes the engine, which
 *      checkpoints.
 * After --shutdown-timeout (or a second signal) the remaining connections
 * are closed at once; jobs already on a worker still finish, so every
 * answered write is durable.
 */
#include "net/net_int.h"

#include "net/cq_sched.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ small */

void net__link_init(net_link *h)
{
    h->prev = h->next = h;
}

void net__link_add(net_link *h, net_link *l)
{
    l->next = h->next;
    l->prev = h;
    h->next->prev = l;
    h->next = l;
}

void net__link_del(net_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = l;
}

int net__ratelog_ok(net_ratelog *r, int64_t now_ms, uint64_t *suppressed)
{
    if (now_ms < r->next_ms) {
        r->suppressed++;
        return 0;
    }
    *suppressed = r->suppressed;
    r->suppressed = 0;
    r->next_ms = now_ms + 10000;
    return 1;
}

int net__gate_enter(net_gate *g, net_waiter *w)
{
    if (g->used < g->max && g->head == NULL) {
        g->used++;
        return 1;
    }
    w->next = NULL;
    w->queued = 1;
    if (g->tail)
        g->tail->next = w;
    else
        g->head = w;
    g->tail = w;
    return 0;
}

void net__gate_leave(net_gate *g)
{
    g->used--;
    while (g->used < g->max && g->head != NULL) {
        net_waiter *w = g->head;
        g->head = w->next;
        if (g->head == NULL) g->tail = NULL;
        w->queued = 0;
        w->next = NULL;
        g->used++;
        w->granted(w);
    }
}

void net__gate_cancel(net_gate *g, net_waiter *w)
{
    if (!w->queued) return;
    for (net_waiter **pp = &g->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            if (g->tail == w) g->tail = prev;
            break;
        }
    }
    w->queued = 0;
    w->next = NULL;
}

void net__alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    net_server *s = h->loop->data;
    (void)suggested;
    *buf = uv_buf_init(s->read_buf, sizeof s->read_buf);
}

int net__uv_err(int uvrc, strata_error *err, const char *fmt, ...)
{
    char what[STRATA_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int code;
    switch (uvrc) {
    case UV_ENOMEM:
        code = STRATA_ENOMEM;
        break;
    case UV_EINVAL:
        code = STRATA_EINVAL;
        break;
    case UV_EADDRINUSE:
    case UV_EADDRNOTAVAIL:
    case UV_EACCES:
    default:
        code = STRATA_EIO;
        break;
    }
    return strata_error_set(err, code, "%s: %s", what, uv_strerror(uvrc));
}

/* -------------------------------------------------------------- shutdown */

static void close_loop_handles(net_server *s)
{
    s->handles_closing = 1;
    uv_close((uv_handle_t *)&s->done_async, NULL);
    uv_close((uv_handle_t *)&s->stop_async, NULL);
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    uv_close((uv_handle_t *)&s->tick, NULL);
}

void net__maybe_finish(net_server *s)
{
    if (!s->stopping || s->handles_closing) return;
    if (s->nconns > 0 || s->jobs_inflight > 0 || net__udp_busy(s)) return;
    if ((s->http_on && !uv_is_closing((uv_handle_t *)&s->http_listener)) ||
        (s->tcp_on && !uv_is_closing((uv_handle_t *)&s->tcp_listener)))
        return;
    strata_log(s->log, STRATA_LOG_INFO, "server", "every connection and request is finished");
    close_loop_handles(s);
}

static void begin_shutdown(net_server *s, const char *why)
{
    if (s->stopping) {
        if (!s->forced) {
            s->forced = 1;
            strata_log(s->log, STRATA_LOG_WARN, "server",
                       "%s again: closing every connection now (requests already on a worker "
                       "still finish)",
                       why);
            net__http_shutdown(s, 1);
            net__tcp_shutdown(s, 1);
        }
        return;
    }
    s->stopping = 1;
    s->stop_deadline_ms = net__now_ms(s) + s->cfg->shutdown_timeout_ms;
    net__cq_shutdown(s); /* continuous queries: no new run, the current one stops early */
    strata_log(s->log, STRATA_LOG_INFO, "server",
               "%s: shutting down (no new connections; finishing %u requests in progress, "
               "%u connections open)",
               why, s->jobs_inflight, s->nconns);
    if (s->http_on) uv_close((uv_handle_t *)&s->http_listener, NULL);
    if (s->tcp_on) uv_close((uv_handle_t *)&s->tcp_listener, NULL);
    net__udp_shutdown(s);
    net__http_shutdown(s, 0);
    net__tcp_shutdown(s, 0);
    net__maybe_finish(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
    net_server *s = h->data;
    begin_shutdown(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_stop(uv_async_t *h)
{
    begin_shutdown(h->data, "stop requested");
}

static void on_done(uv_async_t *h)
{
    net_server *s = h->data;
    net__pool_drain(&s->pool);
}

static void on_tick(uv_timer_t *h)
{
    net_server *s = h->data;
    int64_t now = net__now_ms(s);
    net__http_tick(s, now);
    net__tcp_tick(s, now);
    if (s->stopping && !s->forced && now >= s->stop_deadline_ms) {
        s->forced = 1;
        strata_log(s->log, STRATA_LOG_WARN, "server",
                   "shutdown timeout (%lld ms): closing %u connections that are still busy",
                   (long long)s->cfg->shutdown_timeout_ms, s->nconns);
        net__http_shutdown(s, 1);
        net__tcp_shutdown(s, 1);
    }
    net__maybe_finish(s);
}

/* ------------------------------------------------------------------- open */

static int create_db(net_server *s, const char *name, uint32_t *id, strata_error *err)
{
    int rc = stg_db_create(s->eng, name, id, err);
    if (rc != STRATA_OK) return strata_error_prefix(err, "creating database \"%s\": ", name);
    return STRATA_OK;
}

static int listen_tcp(net_server *s, uv_tcp_t *h, const char *bind, const char *flag,
                      uv_connection_cb cb, int *port, strata_error *err)
{
    struct sockaddr_storage ss;
    int rc = net__addr_parse(bind, &ss, err);
    if (rc != STRATA_OK) return strata_error_prefix(err, "%s: ", flag);
    rc = uv_tcp_init(&s->loop, h);
    if (rc < 0) return net__uv_err(rc, err, "%s %s", flag, bind);
    h->data = s;
    rc = uv_tcp_bind(h, (struct sockaddr *)&ss, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)h, 511, cb);
    if (rc < 0) return net__uv_err(rc, err, "cannot listen on %s (%s)", bind, flag);
    int sl = sizeof ss;
    if (uv_tcp_getsockname(h, (struct sockaddr *)&ss, &sl) == 0)
        *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return STRATA_OK;
}

int net_server_open(const net_config *cfg, const strata_logger *log, net_server **out,
                    strata_error *err)
{
    int rc;
    net_server *s = calloc(1, sizeof *s);
    if (s == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    s->cfg = cfg;
    s->log = log;
    net__link_init(&s->http_conns);
    net__link_init(&s->tcp_conns);
    s->writes.max = cfg->max_concurrent_writes ? cfg->max_concurrent_writes : 1;
    s->queries.max = cfg->max_concurrent_queries ? cfg->max_concurrent_queries : 1;

    /* The loop and its own handles first, so that close() can always walk them. */
    if ((rc = uv_loop_init(&s->loop)) < 0) {
        free(s);
        return net__uv_err(rc, err, "starting the event loop");
    }
    s->loop.data = s;
    uv_async_init(&s->loop, &s->done_async, on_done);
    uv_async_init(&s->loop, &s->stop_async, on_stop);
    uv_signal_init(&s->loop, &s->sig_term);
    uv_signal_init(&s->loop, &s->sig_int);
    uv_timer_init(&s->loop, &s->tick);
    s->done_async.data = s->stop_async.data = s->sig_term.data = s->sig_int.data = s->tick.data = s;

    stg_options o;
    stg_options_default(&o);
    o.dir = cfg->data_dir;
    o.wal_sync = cfg->wal_sync;
    o.wal_compress = cfg->wal_compress;
    o.map_bytes = cfg->map_bytes;
    o.checkpoint_bytes = cfg->checkpoint_bytes;
    o.checkpoint_wal_bytes = cfg->checkpoint_wal_bytes;
    o.checkpoint_interval_ns = cfg->checkpoint_interval_ms * 1000000;
    o.compact_interval_ns = cfg->compact_interval_ms * 1000000;
    o.retention_check_ns = cfg->retention_check_ms > 0 ? cfg->retention_check_ms * 1000000 : -1;
    o.compact_rate_bytes = cfg->compact_rate_bytes;
    o.encode_threads = (int)cfg->encode_threads;
    o.compact_tail_bytes = cfg->compact_tail_bytes ? cfg->compact_tail_bytes : 1;
    o.log = log;
    if ((rc = stg_engine_open(&o, &s->eng, err)) != STRATA_OK) {
        strata_error_prefix(err, "opening data directory %s: ", cfg->data_dir);
        goto fail;
    }
    for (size_t i = 0; i < cfg->databases.n; i++)
        if ((rc = create_db(s, cfg->databases.v[i], NULL, err)) != STRATA_OK) goto fail;
    if (net__bind_enabled(cfg->tcp_bind) &&
        (rc = create_db(s, cfg->tcp_db, &s->tcp_db_id, err)) != STRATA_OK)
        goto fail;
    if (net__bind_enabled(cfg->udp_bind) &&
        (rc = create_db(s, cfg->udp_db, &s->udp_db_id, err)) != STRATA_OK)
        goto fail;

    if ((rc = net__pool_start(&s->pool, s, cfg->workers ? cfg->workers : 4, &s->done_async, err)) !=
        STRATA_OK)
        goto fail;
    if ((rc = net__cq_open(s, err)) != STRATA_OK) goto fail; /* continuous queries */

    if (net__bind_enabled(cfg->http_bind)) {
        rc = listen_tcp(s, &s->http_listener, cfg->http_bind, "--http-bind",
                        net__http_on_connection, &s->http_port, err);
        s->http_on = 1;
        if (rc != STRATA_OK) goto fail;
    }
    if (net__bind_enabled(cfg->tcp_bind)) {
        rc = listen_tcp(s, &s->tcp_listener, cfg->tcp_bind, "--tcp-bind", net__tcp_on_connection,
                        &s->tcp_port, err);
        s->tcp_on = 1;
        if (rc != STRATA_OK) goto fail;
    }
    if (net__bind_enabled(cfg->udp_bind)) {
        struct sockaddr_storage ss;
        if ((rc = net__addr_parse(cfg->udp_bind, &ss, err)) != STRATA_OK ||
            (rc = net__udp_open(s, (struct sockaddr *)&ss, err)) != STRATA_OK)
            goto fail;
    }
    *out = s;
    return STRATA_OK;
fail:
    net_server_close(s);
    return rc;
}

/* -------------------------------------------------------------------- run */

static void log_listeners(net_server *s)
{
    const net_config *c = s->cfg;
    strata_log(s->log, STRATA_LOG_INFO, "server",
               "stratad %s (InfluxDB %s HTTP API), data in %s, %u workers, wal-sync %s",
               NET_STRATA_VERSION, NET_INFLUX_VERSION, c->data_dir, s->pool.n,
               c->wal_sync ? "on" : "off");
    if (s->http_on)
        strata_log(s->log, STRATA_LOG_INFO, "server", "HTTP API listening on %s (port %d)",
                   c->http_bind, s->http_port);
    else
        strata_log(s->log, STRATA_LOG_INFO, "server", "HTTP API disabled (--http-bind off)");
    if (s->tcp_on)
        strata_log(s->log, STRATA_LOG_INFO, "server",
                   "TCP line protocol listening on %s (port %d) into database \"%s\", precision %s",
                   c->tcp_bind, s->tcp_port, c->tcp_db, net_precision_name(c->tcp_precision));
    if (s->udp)
        strata_log(s->log, STRATA_LOG_INFO, "server",
                   "UDP line protocol listening on %s (port %d) into database \"%s\", precision %s",
                   c->udp_bind, s->udp_port, c->udp_db, net_precision_name(c->udp_precision));
}

int net_server_run(net_server *s, strata_error *err)
{
    int rc = uv_signal_start(&s->sig_term, on_signal, SIGTERM);
    if (rc == 0) rc = uv_signal_start(&s->sig_int, on_signal, SIGINT);
    if (rc == 0) rc = uv_timer_start(&s->tick, on_tick, 1000, 1000);
    if (rc < 0) return net__uv_err(rc, err, "starting the event loop");
    log_listeners(s);
    rc = uv_run(&s->loop, UV_RUN_DEFAULT);
    (void)rc; /* non-zero only if handles are still active, which shutdown rules out */
    return STRATA_OK;
}

void net_server_stop(net_server *s)
{
    uv_async_send(&s->stop_async);
}

int net_server_port(net_server *s, char kind)
{
    switch (kind) {
    case 'h':
        return s->http_on ? s->http_port : 0;
    case 't':
        return s->tcp_on ? s->tcp_port : 0;
    case 'u':
        return s->udp ? s->udp_port : 0;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ close */

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

void net_server_close(net_server *s)
{
    if (s == NULL) return;
    /* Normally nothing is left; after a failed open, listeners may be. */
    net__pool_stop(&s->pool);
    uv_walk(&s->loop, close_any, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&s->loop) != 0)
        strata_log(s->log, STRATA_LOG_WARN, "server", "event loop closed with handles open");
    net__udp_free(s);
    net__cq_free(s); /* continuous queries: after the pool and the loop */
    if (s->eng != NULL) {
        strata_log(s->log, STRATA_LOG_INFO, "server", "closing the engine (checkpoint)");
        stg_engine_close(s->eng);
    }
    free(s);
}
