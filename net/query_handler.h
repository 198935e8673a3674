/*
 * net/query_handler.h: the seam between the HTTP server and the InfluxQL
 * engine. GET|POST /query lands in net_query_handle(), on a worker thread
 * (or, for a plain SELECT, first on the event loop with a short deadline:
 * net/http_api.c), with the request's parameters (URL and form: q, db, epoch, pretty,
 * chunked, ...) and a response to fill.
 *
 * net/query_handler.c is a placeholder owned by the query engineer, who
 * replaces it; this interface is what the server calls.
 */
#ifndef STRATA_NET_QUERY_HANDLER_H
#define STRATA_NET_QUERY_HANDLER_H

#include "common/log.h"
#include "net/config.h"
#include "net/request.h"
#include "storage/engine.h"

/* What a query may use; all borrowed, valid for the call. */
typedef struct net_query_ctx {
    stg_engine *engine; /* thread-safe */
    const net_config *cfg;
    const strata_logger *log;
    int64_t timeout_ns; /* > 0: this deadline instead of cfg->query_timeout_ms */
} net_query_ctx;

/*
 * Answer one /query request into resp (status, content type, body). Runs on
 * a worker thread; several run at once (up to --max-concurrent-queries), on
 * different requests. May block. The event loop also calls it for a plain
 * SELECT with ctx->timeout_ns set to a short budget and runs the request
 * again on a worker when the budget ran out (the answer may then be the
 * budget's "query timeout reached"). Memory that
 * must live until the response is sent can come from req->arena.
 * A response left with status 0 is answered 500.
 */
void net_query_handle(const net_query_ctx *ctx, const net_request *req, net_response *resp);

#endif
