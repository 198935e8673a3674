/*
 * net/query_handler.c: GET and POST /query, handed to the InfluxQL engine
 * (query/api.h). This file only maps the HTTP request onto a qry_request
 * (parameters, the Accept header, the method) and the engine's streamed
 * answer onto the response buffer; everything InfluxQL is in query/.
 */
#include "net/query_handler.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/api.h"

static int sink(void *ctx, const void *buf, size_t len)
{
    return net_response_append(ctx, buf, len) == STRATA_OK ? 0 : -1;
}

static int is_true(const char *v)
{
    return v != NULL && strcasecmp(v, "true") == 0;
}

static int wants_csv(const net_request *req)
{
    const char *a = net_request_header(req, "Accept");
    return a != NULL && (strstr(a, "application/csv") != NULL || strstr(a, "text/csv") != NULL);
}

void net_query_handle(const net_query_ctx *ctx, const net_request *req, net_response *resp)
{
    qry_request r;
    qry_limits lim;
    strata_error err = {0};
    const char *content_type = "application/json";
    int status = 0;

    memset(&r, 0, sizeof r);
    memset(&lim, 0, sizeof lim);
    r.q = net_request_param(req, "q");
    r.q_len = r.q ? strlen(r.q) : 0;
    r.db = net_request_param(req, "db");
    r.rp = net_request_param(req, "rp");
    r.epoch = net_request_param(req, "epoch");
    r.pretty = is_true(net_request_param(req, "pretty"));
    r.chunked = is_true(net_request_param(req, "chunked"));
    const char *cs = net_request_param(req, "chunk_size");
    if (cs != NULL) {
        char *end;
        long long n = strtoll(cs, &end, 10);
        if (*cs != '\0' && *end == '\0' && n > 0) r.chunk_size = (size_t)n;
    }
    r.params_json = net_request_param(req, "params");
    r.params_len = r.params_json ? strlen(r.params_json) : 0;
    r.want_csv = wants_csv(req);
    r.read_only = strcmp(req->method, "GET") == 0;
    r.log = ctx->log;
    lim.threads = 1;
    lim.max_series = ctx->cfg->query_max_series;
    lim.max_points = ctx->cfg->query_max_points;
    lim.max_buckets = ctx->cfg->query_max_buckets;
    lim.timeout_ns = ctx->timeout_ns > 0 ? ctx->timeout_ns : ctx->cfg->query_timeout_ms * 1000000;

    qry_output out = {sink, resp};
    int rc = qry_api_execute(ctx->engine, &lim, &r, &out, &status, &content_type, &err);
    if (rc == STRATA_ENOMEM || (rc != STRATA_OK && status == 0)) {
        net_response_error(resp, 500, "%s", err.msg[0] ? err.msg : strata_strerror(rc));
        return;
    }
    resp->status = status ? status : 200;
    resp->content_type = content_type;
    if (status == 400 && err.msg[0]) net_response_header(resp, "X-Influxdb-Error", err.msg);
}
