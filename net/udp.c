/*
 * net/udp.c: the UDP line-protocol listener (--udp-bind, --udp-db). A
 * datagram holds one or more whole lines, as with InfluxDB's UDP service.
 *
 * Datagrams are appended to `fill` as [u32 length][bytes] records; when no
 * job of the listener is running, the whole of `fill` becomes one ingest
 * job (the parser restarts at each record, so a datagram never runs into
 * the next one). While a job runs, datagrams queue up to
 * --udp-max-pending-bytes; beyond that they are dropped, counted and
 * logged (rate-limited): UDP has no back-pressure, so the alternative
 * would be unbounded memory. Drops inside the kernel (a full SO_RCVBUF,
 * see --udp-read-buffer) are not visible here; see /proc/net/snmp.
 */
#include "net/net_int.h"

#include <stdlib.h>
#include <string.h>

struct net_udp {
    uv_udp_t udp;
    net_server *srv;
    net_waiter waiter;
    net_job job;
    net_buf fill, work, msg;
    net_ingest_out out;
    int in_job, waiting, closing, handle_closed;
};

#define UDP_KEEP_BYTES (1u << 20)

static void maybe_submit(net_udp *u);

static void on_close(uv_handle_t *h)
{
    net_udp *u = h->data;
    u->handle_closed = 1;
    net__maybe_finish(u->srv);
}

static void log_outcome(net_udp *u)
{
    net_server *s = u->srv;
    const net_ingest_out *o = &u->out;
    uint64_t sup;
    if (o->status == 204 || !net__ratelog_ok(&s->udp_log, net__now_ms(s), &sup)) return;
    strata_log(s->log, o->status >= 500 || o->status == 404 ? STRATA_LOG_ERROR : STRATA_LOG_WARN,
               "udp",
               "%llu bad lines, %llu points refused, %llu stored (%llu similar messages "
               "suppressed): %.*s",
               (unsigned long long)o->lines_bad, (unsigned long long)o->points_rejected,
               (unsigned long long)o->points_ok, (unsigned long long)sup,
               (int)(u->msg.len > 400 ? 400 : u->msg.len), u->msg.p ? u->msg.p : "");
}

static void job_work(net_job *j, net_worker *w)
{
    net_udp *u = NET_CONTAINER_OF(j, net_udp, job);
    const net_config *cfg = u->srv->cfg;
    net_ingest_in in = {
        .src = NET_SRC_UDP,
        .db = cfg->udp_db,
        .db_id = u->srv->udp_db_id,
        .prec = cfg->udp_precision,
        .body = u->work.p,
        .len = u->work.len,
        .framed = 1,
        .msg_cap = NET_LOG_MSG_MAX,
    };
    net__ingest(w, &in, &u->out, &u->msg);
}

static void close_if_done(net_udp *u)
{
    if (u->closing && !u->in_job && !u->waiting && u->fill.len == 0 &&
        !uv_is_closing((uv_handle_t *)&u->udp))
        uv_close((uv_handle_t *)&u->udp, on_close);
}

static void job_done(net_job *j)
{
    net_udp *u = NET_CONTAINER_OF(j, net_udp, job);
    net_server *s = u->srv;
    u->in_job = 0;
    s->jobs_inflight--;
    net__gate_leave(&s->writes);
    atomic_fetch_sub(&s->m.writes_in_progress, 1);
    log_outcome(u);
    u->work.len = 0;
    if (u->work.cap > UDP_KEEP_BYTES) net_buf_trim(&u->work, UDP_KEEP_BYTES);
    maybe_submit(u);
    close_if_done(u);
    net__maybe_finish(s);
}

static void submit(net_udp *u)
{
    net_server *s = u->srv;
    net_buf_swap(&u->fill, &u->work);
    u->fill.len = 0;
    u->in_job = 1;
    s->jobs_inflight++;
    atomic_fetch_add(&s->m.writes_in_progress, 1);
    u->job.work = job_work;
    u->job.done = job_done;
    net__pool_submit(&s->pool, &u->job);
}

static void on_granted(net_waiter *w)
{
    net_udp *u = NET_CONTAINER_OF(w, net_udp, waiter);
    u->waiting = 0;
    submit(u);
}

static void maybe_submit(net_udp *u)
{
    if (u->in_job || u->waiting || u->fill.len == 0) return;
    u->waiter.granted = on_granted;
    if (net__gate_enter(&u->srv->writes, &u->waiter))
        submit(u);
    else
        u->waiting = 1;
}

static void drop(net_udp *u, size_t n, const char *why)
{
    net_server *s = u->srv;
    atomic_fetch_add(&s->m.udp_dropped, 1);
    atomic_fetch_add(&s->m.udp_dropped_bytes, n);
    uint64_t sup;
    if (net__ratelog_ok(&s->udp_drop_log, net__now_ms(s), &sup))
        strata_log(s->log, STRATA_LOG_WARN, "udp",
                   "dropped a datagram of %zu bytes: %s (%llu similar messages suppressed)", n, why,
                   (unsigned long long)sup);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
    net_udp *u = h->data;
    net_server *s = u->srv;
    if (nread == 0 && addr == NULL) return; /* nothing more to read now */
    if (nread < 0) {
        strata_log(s->log, STRATA_LOG_WARN, "udp", "receive failed: %s", uv_strerror((int)nread));
        return;
    }
    atomic_fetch_add(&s->m.udp_datagrams, 1);
    atomic_fetch_add_explicit(&s->m.bytes_received[NET_SRC_UDP], (uint64_t)nread,
                              memory_order_relaxed);
    if (flags & UV_UDP_PARTIAL) {
        drop(u, (size_t)nread, "larger than the 64 KiB receive buffer");
        return;
    }
    if (nread == 0) return;
    if (u->fill.len + 4 + (size_t)nread > s->cfg->udp_max_pending_bytes) {
        drop(u, (size_t)nread,
             "the backlog is full (--udp-max-pending-bytes), the engine is behind");
        return;
    }
    uint32_t n = (uint32_t)nread;
    if (net_buf_reserve(&u->fill, 4 + (size_t)nread) != STRATA_OK) {
        drop(u, (size_t)nread, "out of memory");
        return;
    }
    net_buf_append(&u->fill, &n, 4);
    net_buf_append(&u->fill, buf->base, (size_t)nread);
    maybe_submit(u);
}

int net__udp_open(net_server *s, const struct sockaddr *addr, strata_error *err)
{
    char name[80];
    net__addr_format(addr, name, sizeof name);
    net_udp *u = calloc(1, sizeof *u);
    if (u == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    u->srv = s;
    int rc = uv_udp_init(&s->loop, &u->udp);
    if (rc < 0) {
        free(u);
        return net__uv_err(rc, err, "UDP listener on %s", name);
    }
    u->udp.data = u;
    s->udp = u;
    rc = uv_udp_bind(&u->udp, addr, 0);
    if (rc < 0) return net__uv_err(rc, err, "cannot bind UDP %s (--udp-bind)", name);
    if (s->cfg->udp_read_buffer_bytes > 0) {
        int v = s->cfg->udp_read_buffer_bytes > INT32_MAX ? INT32_MAX
                                                          : (int)s->cfg->udp_read_buffer_bytes;
        rc = uv_recv_buffer_size((uv_handle_t *)&u->udp, &v);
        if (rc < 0)
            strata_log(s->log, STRATA_LOG_WARN, "udp", "cannot set SO_RCVBUF to %zu: %s",
                       s->cfg->udp_read_buffer_bytes, uv_strerror(rc));
        v = 0;
        if (uv_recv_buffer_size((uv_handle_t *)&u->udp, &v) == 0 &&
            (size_t)v < s->cfg->udp_read_buffer_bytes)
            strata_log(s->log, STRATA_LOG_WARN, "udp",
                       "SO_RCVBUF is %d bytes, less than the %zu asked (raise "
                       "net.core.rmem_max)",
                       v, s->cfg->udp_read_buffer_bytes);
    }
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_udp_getsockname(&u->udp, (struct sockaddr *)&ss, &sl) == 0)
        s->udp_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    rc = uv_udp_recv_start(&u->udp, net__alloc_cb, on_recv);
    if (rc < 0) return net__uv_err(rc, err, "cannot receive on UDP %s", name);
    return STRATA_OK;
}

void net__udp_shutdown(net_server *s)
{
    net_udp *u = s->udp;
    if (u == NULL || u->closing) return;
    u->closing = 1;
    uv_udp_recv_stop(&u->udp);
    maybe_submit(u);
    close_if_done(u);
}

int net__udp_busy(net_server *s)
{
    net_udp *u = s->udp;
    return u != NULL && !u->handle_closed;
}

void net__udp_free(net_server *s)
{
    net_udp *u = s->udp;
    if (u == NULL) return;
    net_buf_fini(&u->fill);
    net_buf_fini(&u->work);
    net_buf_fini(&u->msg);
    free(u);
    s->udp = NULL;
}
