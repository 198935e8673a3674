/*
 * query/result_int.h: the result writers (JSON, pretty JSON, chunked JSON,
 * CSV) and the value formatting they share, internal to the query module.
 *
 * The executor describes an answer as events: a statement begins, series
 * begin (name, tags, columns), rows arrive, series end, the statement ends
 * or fails. The writer turns them into exactly the bytes InfluxDB 1.6.7's
 * HTTP handler writes:
 *
 *   - JSON: one document {"results":[...]} for the whole request, the
 *     results of one statement merged into one object; a series longer than
 *     the chunk size (10000 by default) carries "partial":true, as InfluxDB's
 *     merged chunks do. A statement error replaces what the statement wrote.
 *   - chunked JSON: one document per line per emitted result: a SELECT emits
 *     one result per series (split every chunk_size rows), every result but
 *     the statement's last marked "partial":true. Meta statements emit one
 *     result holding all their series.
 *   - pretty: Go's json.MarshalIndent with four spaces.
 *   - CSV: InfluxDB's csvFormatter: "name,tags,<columns>" headers, a blank
 *     line between statements and before a header change, times as integer
 *     nanoseconds (or the epoch unit), floats in Go's 'f' shortest form.
 *
 * Floats follow Go's encoding/json: shortest digits that round-trip, plain
 * decimal for 1e-6 <= |v| < 1e21, exponent form otherwise (1e-07 -> 1e-7).
 * Times are RFC 3339 with nanoseconds, trailing zeros trimmed, in UTC ("Z")
 * or in the statement's tz() zone.
 *
 * Output is buffered and handed to the sink at the end of each statement
 * (JSON) or each chunk (chunked), so a failing statement never leaves half a
 * result on the wire. One writer per request; not thread-safe.
 */
#ifndef STRATA_QUERY_RESULT_INT_H
#define STRATA_QUERY_RESULT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "query/value_int.h"

typedef struct qry_tz qry_tz;

/* ---- formatting -------------------------------------------------------- */

/* Room for any float formatted by qry__fmt_float_json(), NUL included. */
#define QRY_FMT_FLOAT_MAX 32
/* Room for qry__fmt_float_plain() (Go 'f' with -1 precision), NUL included. */
#define QRY_FMT_FLOAT_PLAIN_MAX 352
/* Room for an RFC 3339 time with nanoseconds and offset, NUL included. */
#define QRY_FMT_TIME_MAX 40

/*
 * Shortest decimal digits of a finite, non-zero |v|: digits[0..*nd) with the
 * decimal point after *pointpos digits (value = 0.d1d2... * 10^pointpos).
 * digits needs 18 bytes.
 */
void qry__float_digits(double v, char *digits, int *nd, int *pointpos);

/* v as Go's encoding/json writes a float64 (finite v). @return the length. */
size_t qry__fmt_float_json(double v, char *buf);

/* v as strconv.FormatFloat(v, 'f', -1, 64) (finite v). @return the length. */
size_t qry__fmt_float_plain(double v, char *buf);

/* v as strconv.FormatFloat(v, 'g', -1, 64), e.g. for messages. */
size_t qry__fmt_float_g(double v, char *buf);

/* Decimal integers (no terminator); @return the length (at most 20). */
size_t qry__fmt_i64(int64_t v, char *buf);
size_t qry__fmt_u64(uint64_t v, char *buf);

/*
 * ns as RFC 3339 with nanoseconds (trailing zeros trimmed) in the zone tz
 * (NULL: UTC, written "Z"). @return the length.
 */
size_t qry__fmt_time(int64_t ns, const qry_tz *tz, char *buf);

/* Append s[0..n) as a JSON string (quotes included), escaped as Go does. */
void qry__json_str(qry_buf *b, const char *s, size_t n);

/* ---- the writer -------------------------------------------------------- */

typedef enum qry_wfmt {
    QRY_WFMT_JSON = 0,
    QRY_WFMT_CSV = 1,
    QRY_WFMT_CAPTURE = 2, /* series and rows go to callbacks (subqueries) */
} qry_wfmt;

/* One tag of a series header; key and value borrowed for the call. */
typedef struct qry_tagv {
    const char *k, *v;
    size_t kl, vl;
} qry_tagv;

#define QRY_JSON_DEPTH_MAX 16

typedef struct qry_writer {
    /* configuration */
    qry_wfmt fmt;
    int pretty;
    int chunked;
    size_t chunk_size; /* rows per emitted part; InfluxDB's default is 10000 */
    int64_t epoch_div; /* 0: RFC 3339 strings; else integer time / epoch_div */
    int (*write)(void *ctx, const void *buf, size_t len);
    void *wctx;
    /* QRY_WFMT_CAPTURE */
    int (*cap_series)(void *ctx, const char *name, size_t nlen, const qry_tagv *tags, size_t ntags,
                      const char *const *cols, const size_t *col_lens, size_t ncols);
    int (*cap_row)(void *ctx, const qry_val *vals);
    void *cap_ctx;
    /* capture of raw rows: the tags of the row's own series (InfluxDB keeps them) */
    const void *cap_row_tags; /* const stg_tag * */
    size_t cap_row_ntags;

    /* state */
    qry_buf buf;
    int failed;   /* the sink failed: stop writing */
    int doc_open; /* JSON: "{"results":[" written (non-chunked) */
    int nresults; /* results written in the document */
    int stmt_id;
    int in_stmt;
    int stmt_is_select;    /* chunked: one result per series (QRY_STMT_MODE_*) */
    size_t stmt_start;     /* buf offset where this statement's result began */
    int stmt_has_series;   /* a series was begun in this statement */
    int result_open;       /* a result object is open, not yet closed */
    int result_has_series; /* "series":[ was written in the open result */
    int values_open;       /* "values":[ was written in the open series */
    int last_id;           /* statement id of the last result begun */
    int last_first;        /* first-element flag of the results array before it */
    int finished;
    const qry_tz *tz; /* zone for times of this statement */

    /* the current series */
    int in_series;
    size_t ncols;
    size_t rows_in_part; /* rows in the current part (chunk) */
    int series_partial;  /* non-chunked: the series exceeded chunk_size */
    qry_buf hdr;         /* the series header (sizes, then bytes), repeated after a split */
    size_t h_ntags;
    qry_buf csv_cols; /* CSV: NUL-separated column names of the last header */
    size_t csv_ncols;
    int csv_stmt;    /* CSV: statement id of the last header, -1 none */
    qry_buf csv_pre; /* CSV: "name,tags" of the current series, escaped */
    qry_buf msgs;    /* JSON: this statement's messages, already encoded */
    int nonfinite;   /* a NaN/Inf float met: Go's encoder would fail (see finish) */
    char nonfinite_msg[48];

    /* JSON pretty-printing state */
    int depth;
    uint8_t first[QRY_JSON_DEPTH_MAX]; /* no element written yet at this depth */
} qry_writer;

/* Prepare a writer (the sink is borrowed for the writer's life). */
void qry_writer_init(qry_writer *w, qry_wfmt fmt, int pretty, int chunked, size_t chunk_size,
                     int64_t epoch_div, int (*write)(void *, const void *, size_t), void *wctx);
void qry_writer_fini(qry_writer *w);

/* How a statement's series are grouped into results when chunked. */
enum {
    QRY_STMT_MODE_ONE = 0,    /* one result holding every series (most meta statements) */
    QRY_STMT_MODE_SELECT = 1, /* one result per series part, "partial" on all but the last */
    QRY_STMT_MODE_EACH = 2,   /* one result per series, no "partial" (SHOW TAG KEYS/VALUES) */
};

/*
 * Begin statement id. mode: QRY_STMT_MODE_*. tz: zone for its times (may be
 * NULL), borrowed until qry_writer_stmt_end().
 */
void qry_writer_stmt_begin(qry_writer *w, int id, int mode, const qry_tz *tz);

/* Begin a series. tags need not be sorted (they are written sorted by key). */
int qry_writer_series_begin(qry_writer *w, const char *name, size_t nlen, const qry_tagv *tags,
                            size_t ntags, const char *const *cols, const size_t *col_lens,
                            size_t ncols);

/* Append one row of ncols values (of the current series). */
int qry_writer_row(qry_writer *w, const qry_val *vals);

void qry_writer_series_end(qry_writer *w);

/* End the statement successfully; flushes buffered output to the sink. */
int qry_writer_stmt_end(qry_writer *w);

/*
 * Report an error result for statement id: {"statement_id":id,"error":msg}.
 * Non-chunked JSON replaces what the open statement wrote, or the last
 * result when it has the same id (as InfluxDB's handler merges results).
 * Chunked JSON writes it as one more document. CSV writes nothing (InfluxDB's
 * CSV writer skips results without series).
 */
int qry_writer_stmt_error(qry_writer *w, int id, const char *msg);

/*
 * Attach a message to the statement's result ("messages":[{"level":..,"text":..}]),
 * written when the result closes. JSON only.
 */
void qry_writer_stmt_message(qry_writer *w, const char *level, const char *text);

/* Whole-request error: {"error":msg} (CSV: "error" header and the message). */
int qry_writer_request_error(qry_writer *w, const char *msg);

/* Finish the document and flush. @return STRATA_OK, STRATA_EIO (sink), STRATA_ENOMEM */
int qry_writer_finish(qry_writer *w);

/* Bytes buffered and not yet handed to the sink. */
size_t qry_writer_pending(const qry_writer *w);

#endif
