/*
 * query/api.h: InfluxQL over InfluxDB's v1 HTTP API: the one call the
 * server's /query handler makes.
 *
 * qry_api_execute() takes the request's parameters (q, db, rp, epoch,
 * pretty, chunked, chunk_size, params, the Accept header's CSV choice),
 * parses the query, runs its statements in order against the storage engine
 * and streams the answer through a caller-provided sink, byte for byte as
 * InfluxDB 1.6.7 answers:
 *   - HTTP 200 once the query parses; per-statement results and errors
 *     ({"statement_id":N,"error":"..."}) inside the body; execution stops at
 *     the first failing statement (later ones are "not executed", as
 *     InfluxDB reports them);
 *   - HTTP 400 with {"error":"..."} for a missing q, a syntax error, bad
 *     params JSON or an unknown tz(); the message is also in err->msg for
 *     the X-Influxdb-Error header.
 *
 * SELECT runs over the engine's series index (postings, never a scan of all
 * series) and column iterators restricted to the query's time range; chunk
 * statistics answer count/sum/mean/min/max when a whole chunk falls into one
 * GROUP BY time() window. Memory is bounded by the answer plus per-series
 * state; qry_limits caps series, scanned points, windows and wall time.
 *
 * Threads: qry_api_execute() is reentrant; any number may run at once on
 * different threads over one engine.
 */
#ifndef STRATA_QUERY_API_H
#define STRATA_QUERY_API_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "storage/engine.h"

/* Query limits; zero means "no limit" for every field. */
typedef struct qry_limits {
    uint64_t max_series;  /* series one SELECT may read (after the WHERE tag filter) */
    uint64_t max_points;  /* points one statement may read from storage */
    uint64_t max_buckets; /* GROUP BY time() windows one SELECT may produce
                             (InfluxDB's max-select-buckets) */
    int64_t timeout_ns;   /* wall-clock budget of one request */
    uint32_t threads;     /* worker threads one SELECT may use (1 or 2; 0 = 1) */
} qry_limits;

/* One /query request. Strings are borrowed for the call; NULL means absent. */
typedef struct qry_request {
    const char *q; /* the query text (the "q" parameter) */
    size_t q_len;
    const char *db;          /* default database ("db") */
    const char *rp;          /* default retention policy ("rp") */
    const char *epoch;       /* "ns", "u", "ms", "s", "m", "h"; other non-empty values mean ns */
    int pretty;              /* "pretty=true" */
    int chunked;             /* "chunked=true" */
    size_t chunk_size;       /* "chunk_size" when it parsed as an integer > 0; else 0 (10000) */
    const char *params_json; /* "params" (a JSON object), or NULL */
    size_t params_len;
    int want_csv;             /* the Accept header asks for application/csv or text/csv */
    int read_only;            /* a GET request: write statements run with InfluxDB's warning */
    int64_t now_ns;           /* the query's now(); 0 = read the clock */
    const strata_logger *log; /* may be NULL */
} qry_request;

/*
 * Where the answer goes. write() receives the body in pieces, in order;
 * it returns 0, or non-zero to abort the request (the client went away).
 * The first call happens after *http_status and *content_type are final.
 */
typedef struct qry_output {
    int (*write)(void *ctx, const void *buf, size_t len);
    void *ctx;
} qry_output;

/*
 * Run one /query request.
 *
 * e:            the engine (thread-safe; borrowed).
 * lim:          limits, or NULL for none.
 * r:            the request.
 * out:          the body sink.
 * http_status:  receives 200 or 400 (set before the first write).
 * content_type: receives a static string: "application/json" or "text/csv".
 * err:          optional; for 400 answers holds the message sent in
 *               {"error":...} (for the X-Influxdb-Error header).
 *
 * Statement failures are part of a 200 answer and are not returned here.
 * @return STRATA_OK (the answer was written, whatever its status);
 *         STRATA_EIO (out->write failed: the answer is incomplete);
 *         STRATA_ENOMEM (memory ran out outside a statement: nothing or
 *         part of the body was written; answer 500);
 *         STRATA_EINVAL (e, r or out is NULL).
 */
int qry_api_execute(stg_engine *e, const qry_limits *lim, const qry_request *r, qry_output *out,
                    int *http_status, const char **content_type, strata_error *err);

#endif
