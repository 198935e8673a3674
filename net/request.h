/*
 * net/request.h: what an HTTP handler sees: a parsed request and a response
 * to fill. This is the seam between the HTTP layer (net/http.c, which owns
 * sockets, parsing, keep-alive and the wire format) and the handlers that
 * run on worker threads (writes, /metrics, /query in net/query_handler.c).
 *
 * A handler runs on a worker thread with the request and response of one
 * connection; the loop does not touch either until the handler returns.
 * The response is buffered whole and sent by the loop afterwards with
 * Content-Length (no streaming).
 */
#ifndef STRATA_NET_REQUEST_H
#define STRATA_NET_REQUEST_H

#include <stddef.h>

#include "common/arena.h"
#include "net/buf.h"

/* A name and value, both NUL-terminated (len excludes the NUL). */
typedef struct net_kv {
    const char *key, *val;
    size_t key_len, val_len;
} net_kv;

typedef struct net_request {
    const char *method;     /* "GET", "POST", ... */
    const char *path;       /* URL path, as sent (not decoded), NUL-terminated */
    const char *request_id; /* the Request-Id sent back, NUL-terminated */
    net_kv *params;         /* URL query parameters, then (POST with a form body)
                               form parameters; decoded */
    size_t nparams;
    net_kv *headers; /* in arrival order; names as sent */
    size_t nheaders;
    const char *body; /* the raw request body (not inflated), may be NULL */
    size_t body_len;
    strata_arena *arena; /* per-request memory: lives until the response is sent */
} net_request;

/*
 * The decoded value of parameter name, or NULL. When a form body and the
 * URL both have it, the form's value wins (as Go's Request.FormValue).
 * Lifetime: the request's.
 */
const char *net_request_param(const net_request *r, const char *name);

/* The value of header name (case-insensitive), or NULL. Lifetime: the request's. */
const char *net_request_header(const net_request *r, const char *name);

typedef struct net_response {
    int status;               /* HTTP status; 0 means "not answered" (500) */
    const char *content_type; /* static string, or NULL for none */
    net_buf headers;          /* extra "Name: value\r\n" lines */
    net_buf body;
    int close; /* close the connection after this response */
} net_response;

/*
 * Answer with InfluxDB's error shape: status, Content-Type application/json,
 * header X-Influxdb-Error: <message> and body {"error":"<message>"}\n.
 * Replaces any body written so far.
 * @return STRATA_OK, STRATA_ENOMEM
 */
int net_response_error(net_response *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same with a message of n bytes taken as is. */
int net_response_error_text(net_response *r, int status, const char *msg, size_t n);

/* Add a header line. name and value must not contain CR or LF. */
int net_response_header(net_response *r, const char *name, const char *value);

/* Append to the body. @return STRATA_OK, STRATA_ENOMEM */
int net_response_append(net_response *r, const void *data, size_t n);

/* Reset to "not answered", keeping the buffers' memory. */
void net_response_reset(net_response *r);

#endif
