/*
 * net/net_int.h: the net module's private types, shared by its files:
 *   server.c   life cycle, signals, shutdown, admission gates
 *   pool.c     worker threads and the job queue
 *   ingest.c   line protocol -> engine batches (runs on workers)
 *   http.c     HTTP/1.1 connections: framing, keep-alive, responses
 *   http_api.c routing and the InfluxDB endpoints
 *   tcp.c      raw TCP line-protocol listener
 *   udp.c      UDP line-protocol listener
 *   metrics.c  counters and the Prometheus text
 *   addr.c     ADDR:PORT parsing; config.c the configuration
 *
 * Threads: everything named in net_server is touched by the loop thread
 * only, except net_metrics (atomics, any thread), the engine (thread-safe)
 * and the pool's queues (its mutex). A job's data belongs to the worker
 * that runs it from net__pool_submit() until its done() callback, which
 * runs on the loop.
 */
#ifndef STRATA_NET_NET_INT_H
#define STRATA_NET_NET_INT_H

#include <http_parser.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>
#include <zlib.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/log.h"
#include "lineproto/lp.h"
#include "net/buf.h"
#include "net/config.h"
#include "net/net.h"
#include "net/request.h"
#include "storage/engine.h"

#define NET_CONTAINER_OF(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* Points per stg_batch_commit: a large body is committed in slices of this. */
#define NET_COMMIT_POINTS 20000u

/* Most bytes of bad-line messages kept for one HTTP answer. */
#define NET_HTTP_MSG_MAX (64u * 1024u)

/* Longest X-Influxdb-Error header value; the JSON body keeps the whole message. */
#define NET_ERROR_HEADER_MAX 8192u

/* Largest request head http_parser accepts (its compiled-in HTTP_MAX_HEADER_SIZE). */
#define NET_PARSER_HEADER_MAX (80u * 1024u)

/* Most bytes of bad-line messages kept for one TCP/UDP log line. */
#define NET_LOG_MSG_MAX 512u

/* Size of the loop's shared read buffer (one read at a time on the loop). */
#define NET_READ_BUF 65536u

/* ------------------------------------------------------------------ metrics */

enum net_src { NET_SRC_HTTP, NET_SRC_TCP, NET_SRC_UDP, NET_SRC_N };

enum net_ep {
    NET_EP_WRITE,
    NET_EP_WRITE_V2,
    NET_EP_QUERY,
    NET_EP_PING,
    NET_EP_HEALTH,
    NET_EP_METRICS,
    NET_EP_OTHER,
    NET_EP_N
};

/* The statuses counted by code; anything else is counted as "other". */
#define NET_STATUS_LIST 200, 204, 400, 401, 404, 405, 408, 413, 414, 431, 500, 503
enum { NET_ST_N = 13 };

/* Commit latency histogram bounds, in microseconds (+Inf is implied). */
#define NET_LAT_BOUNDS_US                                                                          \
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,     \
        5000000, 10000000
enum { NET_LAT_N = 15 };

typedef struct net_metrics {
    atomic_uint_fast64_t points_written[NET_SRC_N];
    atomic_uint_fast64_t points_rejected[NET_SRC_N];
    atomic_uint_fast64_t lines_bad[NET_SRC_N];
    atomic_uint_fast64_t bytes_received[NET_SRC_N];
    atomic_uint_fast64_t batches[NET_SRC_N]; /* ingest calls (requests, TCP/UDP slices) */
    atomic_uint_fast64_t http_requests[NET_EP_N][NET_ST_N + 1];
    atomic_uint_fast64_t udp_datagrams, udp_dropped, udp_dropped_bytes;
    atomic_uint_fast64_t tcp_connections, http_connections, conns_refused;
    atomic_int_fast64_t open_http, open_tcp;
    atomic_uint_fast64_t commit_lat[NET_LAT_N + 1];
    atomic_uint_fast64_t commit_count, commit_sum_us, commit_errors;
    atomic_uint_fast64_t read_pauses; /* times a connection waited for a write slot */
    atomic_int_fast64_t writes_in_progress;
} net_metrics;

void net__metrics_commit(net_metrics *m, int64_t dur_ns, int ok);
void net__metrics_http(net_metrics *m, int ep, int status);
/* Render the Prometheus text of m plus the engine's stats into out. */
int net__metrics_render(net_metrics *m, stg_engine *eng, net_buf *out);

/* -------------------------------------------------------------- jobs, pool */

typedef struct net_server net_server;
typedef struct net_worker net_worker;
typedef struct net_job net_job;

struct net_job {
    void (*work)(net_job *j, net_worker *w); /* on a worker thread */
    void (*done)(net_job *j);                /* on the loop thread, after work */
    net_job *next;
};

/* Per-thread state reused across jobs, so the hot path does not allocate. */
struct net_worker {
    net_server *srv;
    uint32_t index;
    pthread_t thread;
    lp_parser *lp;
    stg_batch *batch;
    stg_tag *tags;
    size_t tags_cap;
    stg_field_in *fields;
    size_t fields_cap;
    z_stream zs;
    int zs_ready;
    net_buf inflated;
    net_buf scratch; /* messages */
};

typedef struct net_pool {
    net_worker *workers;
    uint32_t n, started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    net_job *head, *tail;           /* waiting for a worker */
    net_job *done_head, *done_tail; /* finished, waiting for the loop */
    int stop;
    uv_async_t *wake; /* signalled when a job finishes */
} net_pool;

int net__pool_start(net_pool *p, net_server *srv, uint32_t n, uv_async_t *wake, strata_error *err);
/* Queue a job (loop thread). */
void net__pool_submit(net_pool *p, net_job *j);
/* Run the done() callbacks of finished jobs (loop thread, from the async). */
void net__pool_drain(net_pool *p);
/* Stop and join the threads after the queue is empty; free worker state. */
void net__pool_stop(net_pool *p);

/* ---------------------------------------------------------------- ingest */

typedef struct net_ingest_in {
    int src;        /* NET_SRC_* */
    const char *db; /* name, NUL-terminated */
    uint32_t db_id; /* 0: unknown at admission (created here if auto_create) */
    int auto_create;
    lp_precision prec;
    const char *body; /* borrowed for the call */
    size_t len;
    int gzip;            /* body is gzip (HTTP Content-Encoding) */
    int framed;          /* body is a series of [u32 length][datagram] (UDP) */
    size_t max_inflated; /* 0: no limit */
    size_t msg_cap;      /* most bytes of bad-line text to keep */
} net_ingest_in;

typedef struct net_ingest_out {
    int status; /* 204, or InfluxDB's status for the message in msg */
    uint64_t points_ok, points_rejected, lines_bad;
    uint64_t points_expired; /* older than the retention policy keeps (dropped) */
} net_ingest_out;

/*
 * Parse in->body, commit it, update the metrics. On a status other than 204
 * msg holds InfluxDB's error text ("partial write: ... dropped=N", ...).
 * Runs on a worker; uses w's reusable state.
 */
void net__ingest(net_worker *w, const net_ingest_in *in, net_ingest_out *out, net_buf *msg);

/* Free the ingest state of a worker. */
void net__ingest_worker_fini(net_worker *w);

/* --------------------------------------------------------------- admission */

typedef struct net_waiter net_waiter;
struct net_waiter {
    void (*granted)(net_waiter *w); /* called with the slot held */
    net_waiter *next;
    int queued;
};

/* A counting gate: at most max holders; the rest wait in FIFO order. */
typedef struct net_gate {
    uint32_t used, max;
    net_waiter *head, *tail;
} net_gate;

/* Take a slot now (1) or queue w to get one later (0). */
int net__gate_enter(net_gate *g, net_waiter *w);
/* Give a slot back; the next waiter gets it (its granted() runs now). */
void net__gate_leave(net_gate *g);
/* Remove w from the queue if it is there. */
void net__gate_cancel(net_gate *g, net_waiter *w);

/* ------------------------------------------------------------ connections */

typedef struct net_link {
    struct net_link *prev, *next;
} net_link;

void net__link_init(net_link *head);
void net__link_add(net_link *head, net_link *l);
void net__link_del(net_link *l);

/* At most one log line per period per limiter; the rest are counted. */
typedef struct net_ratelog {
    int64_t next_ms;
    uint64_t suppressed;
} net_ratelog;

/* @return 1 if a line may be logged now (then *suppressed says how many were skipped). */
int net__ratelog_ok(net_ratelog *r, int64_t now_ms, uint64_t *suppressed);

typedef struct net_udp net_udp;

struct net_server {
    uv_loop_t loop;
    const net_config *cfg;
    const strata_logger *log;
    stg_engine *eng;
    net_metrics m;
    net_pool pool;
    uv_async_t done_async;
    uv_async_t stop_async;
    uv_signal_t sig_term, sig_int;
    uv_timer_t tick;
    uv_tcp_t http_listener, tcp_listener;
    int http_on, tcp_on;
    int http_port, tcp_port, udp_port;
    net_udp *udp;
    struct net_cq_sched *cq; /* continuous queries (net/cq_sched.c), NULL when disabled */
    uint32_t tcp_db_id, udp_db_id;
    net_link http_conns, tcp_conns;
    uint32_t nconns;
    net_gate writes, queries;
    uint32_t jobs_inflight;
    int stopping, forced, handles_closing;
    int64_t stop_deadline_ms;
    uint64_t req_seq;
    int64_t date_sec;
    char date[40]; /* "Date: ..." value, refreshed once a second */
    net_ratelog tcp_log, tcp_long_log, udp_log, udp_drop_log, accept_log;
    char read_buf[NET_READ_BUF];
};

/* Milliseconds of the loop's clock. */
static inline int64_t net__now_ms(net_server *s)
{
    return (int64_t)uv_now(&s->loop);
}

/* Called whenever something that shutdown waits for has finished. */
void net__maybe_finish(net_server *s);
/* Shared read buffer for libuv's alloc callbacks (loop thread only). */
void net__alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

/* http.c */
void net__http_on_connection(uv_stream_t *listener, int status);
void net__http_shutdown(net_server *s, int force);
void net__http_tick(net_server *s, int64_t now_ms);
/* tcp.c */
void net__tcp_on_connection(uv_stream_t *listener, int status);
void net__tcp_shutdown(net_server *s, int force);
void net__tcp_tick(net_server *s, int64_t now_ms);
/* udp.c */
int net__udp_open(net_server *s, const struct sockaddr *addr, strata_error *err);
void net__udp_shutdown(net_server *s);
int net__udp_busy(net_server *s);
/* Free the listener's memory after its handle closed (or was never started). */
void net__udp_free(net_server *s);

/* addr.c: parse "host:port", ":port", "[v6]:port". */
int net__addr_parse(const char *s, struct sockaddr_storage *out, strata_error *err);
void net__addr_format(const struct sockaddr *sa, char *buf, size_t cap);

/* config.c helpers shared with tests */
int net__parse_size(const char *s, size_t *out);
int net__parse_duration_ms(const char *s, int64_t *out);
void net__env_name(const char *flag, char *buf, size_t cap);
int net__bind_enabled(const char *bind);

/* Translate a libuv error into a strata code with a message. */
int net__uv_err(int uvrc, strata_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
