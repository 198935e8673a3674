/*
 * net/http_int.h: one HTTP/1.1 connection, shared by http.c (sockets,
 * framing with http_parser, keep-alive, writing responses) and http_api.c
 * (routing, parameter checks, the endpoint handlers).
 *
 * A connection serves one request at a time. When a request is complete
 * the parser is paused and reading stops; bytes that arrived after it
 * (pipelining) wait in `pending` until the response has been written.
 * States, in order, for a request that goes to a worker:
 *   reading headers -> (admission: may wait in a gate, unread) -> reading
 *   body -> in_job (worker owns req/resp/body) -> writing response -> next
 * The connection is freed only when its handle is closed, no job holds it
 * and no write is in flight.
 */
#ifndef STRATA_NET_HTTP_INT_H
#define STRATA_NET_HTTP_INT_H

#include "net/net_int.h"

enum net_route {
    NET_R_NONE = 0,
    NET_R_WRITE,
    NET_R_WRITE_V2,
    NET_R_QUERY,
    NET_R_PING,
    NET_R_HEALTH,
    NET_R_METRICS,
    NET_R_OPTIONS,
};

/*
 * Queries on the event loop. A /query whose text is one plain SELECT (no
 * INTO, no ';': it only reads, so running it twice is harmless) runs first
 * on the loop thread with the engine's deadline set to --query-inline-us;
 * when it takes longer its answer is dropped and it runs again on a worker,
 * and the connection's next NET_QUERY_INLINE_SKIP queries go straight to a
 * worker. A small query thus costs no thread handoff (two wake-ups, about
 * 30-40 us on the benchmark machine), and the loop is held at most about
 * the budget by a query (plus the time to the engine's next deadline check).
 * Not while an HTTP write is in progress (a query could then wait on the
 * engine's head lock behind a commit, holding the loop).
 */
#define NET_QUERY_INLINE_SKIP 16
#define NET_QUERY_INLINE_MAX_Q 4096u /* longer texts go to a worker */

enum net_gate_kind { NET_GATE_NONE = 0, NET_GATE_WRITE, NET_GATE_QUERY };

typedef struct net_hdr_off {
    size_t name_off, name_len, val_off, val_len;
} net_hdr_off;

typedef struct net_http_conn {
    uv_tcp_t tcp;
    net_server *srv;
    net_link link;
    http_parser parser;
    net_waiter waiter;
    net_job job;
    uv_write_t wreq, creq; /* the response; a "100 Continue" */
    int writes;            /* uv_write()s in flight */
    int resp_inflight;     /* wreq is in flight */
    int eof;               /* the client closed its side */
    int reading, closing, handle_closed, close_after;
    int in_job, waiting, gate;
    int in_message, message_done;
    int64_t last_ms;
    char peer[64];

    /* The request being received. */
    strata_arena arena;
    net_buf hdr; /* the URL, then header names and values */
    size_t url_len;
    net_hdr_off *hoff;
    size_t nh, hcap;
    int last_was_value, headers_done;
    int route, ep;
    int early;   /* resp was decided before the body (an error) */
    int discard; /* drop body bytes */
    int expect_continue, has_body, gzip, is_head, http_minor;
    net_buf body;
    net_buf pending; /* read but not parsed yet */
    net_buf head;    /* response status line and headers */
    net_request req;
    net_response resp;
    char request_id[40];
    int64_t t_start_ns;

    /* /write parameters, checked on the loop. */
    const char *db; /* in arena */
    uint32_t db_id; /* 0: create on first write (auto-create) */
    lp_precision prec;
    net_ingest_out iout;

    /* /query: POST form parameters merged into req; loop attempts left to skip. */
    int query_params_done;
    int inline_skip;
} net_http_conn;

/* http_api.c: route and check a request whose headers are complete. */
void net__http_route(net_http_conn *c);
/* http_api.c: the request is complete: answer it or start its job. */
void net__http_dispatch(net_http_conn *c);

/* http.c: the services http_api.c uses. */
void net__http_send(net_http_conn *c);          /* write c->resp */
void net__http_send_continue(net_http_conn *c); /* "100 Continue" */
void net__http_submit(net_http_conn *c, void (*work)(net_job *, net_worker *));
/* Answered on the loop (no job): release the admission slot and send c->resp. */
void net__http_answer(net_http_conn *c);
/* Decide the response now (before the body) and, when the body is big or
 * the client waits for 100-continue, send it at once and close. */
void net__http_early(net_http_conn *c);
/* Ask for a slot of gate kind; 0 means the connection now waits, unread. */
int net__http_admit(net_http_conn *c, int kind);

/* Parse an x-www-form-urlencoded string into arena-allocated pairs. */
int net__params_parse(strata_arena *a, const char *s, size_t len, net_kv **out, size_t *n);

#endif
