/*
 * lineproto/lp.h: the InfluxDB 1.x line-protocol parser.
 *
 * Why it exists: the HTTP/UDP write paths of the server and the `strata
 * import` tool all turn line protocol into points. This module does only
 * that, links only strata_common (no storage, no libuv), and is the one
 * place that knows the grammar.
 *
 * How it works: a caller hands a whole request body to lp_parser_reset()
 * and pulls points with lp_parser_next() until it returns 0. Parsing is
 * streaming and zero-copy: every slice in a point points into the caller's
 * body, except names and strings that contained a backslash escape, which
 * are unescaped into a scratch buffer owned by the parser. No memory is
 * allocated per line: the parser keeps tag, field and scratch arrays that
 * grow to the largest line seen and are then reused.
 *
 * Compatibility: acceptance, rejection and the error text follow InfluxDB
 * 1.6.7 (models/points.go) byte for byte, including its odd corners (the
 * two escape rules, quote-aware line splitting, "abc"def strings); the
 * cases recorded against a real 1.6.7 are in tests/compat/lp/cases.txt.
 * Deliberate differences are listed in docs/compatibility.md; two of them
 * are switchable with lp_options.flags (unsigned integers, CRLF).
 *
 * Tags are returned unescaped and sorted by key (bytewise, shorter first on
 * a common prefix); a repeated tag key rejects the line ("duplicate tags").
 * Fields are returned in line order; a repeated field key is returned twice
 * (InfluxDB keeps the last value; the storage layer decides).
 *
 * Thread safety: a parser is used by one thread at a time; separate parsers
 * are independent. The module has no global mutable state.
 */
#ifndef STRATA_LINEPROTO_LP_H
#define STRATA_LINEPROTO_LP_H

#include <stddef.h>
#include <stdint.h>

/* Field value types, numerically equal to storage's stg_type on purpose. */
typedef enum lp_type {
    LP_FLOAT = 1,
    LP_INT = 2,
    LP_UINT = 3,
    LP_BOOL = 4,
    LP_STRING = 5,
} lp_type;

/* Timestamp unit of a request (InfluxDB's `precision=` query parameter). */
typedef enum lp_precision {
    LP_PREC_NS = 0, /* "", "n", "ns" */
    LP_PREC_US,     /* "u" (InfluxDB 1.x does not know "us") */
    LP_PREC_MS,     /* "ms" */
    LP_PREC_S,      /* "s" */
    LP_PREC_M,      /* "m" */
    LP_PREC_H,      /* "h" */
} lp_precision;

/* lp_options.flags bits. */
enum {
    /* Accept unsigned integers ("12u"), as InfluxDB 2.x and later 1.x builds
     * with uint support do. Off: "invalid number", as stock 1.6.7 and 1.8. */
    LP_ACCEPT_UINT = 1u << 0,
    /* Drop one '\r' right before a line's '\n' (or at the end of the body).
     * Off: the '\r' is part of the line and usually rejects it, as 1.x. */
    LP_ACCEPT_CRLF = 1u << 1,
    LP_FLAGS_DEFAULT = LP_ACCEPT_UINT | LP_ACCEPT_CRLF,
};

/* Defaults set by lp_options_init(). InfluxDB has no count limits (only the
 * 65535-byte series key), so the defaults are generous. */
#define LP_DEFAULT_MAX_TAGS 4096u
#define LP_DEFAULT_MAX_FIELDS 16384u
#define LP_DEFAULT_MAX_LINE_BYTES (64u * 1024u * 1024u)

/* InfluxDB's largest series key (measurement + tags), and key + field. */
#define LP_MAX_KEY_BYTES 65535u

/* Smallest and largest timestamps InfluxDB accepts (two values are reserved). */
#define LP_MIN_TS_NS (INT64_MIN + 2)
#define LP_MAX_TS_NS (INT64_MAX - 1)

typedef struct lp_options {
    lp_precision precision;  /* unit of timestamps in the body */
    uint32_t flags;          /* LP_ACCEPT_* bits */
    uint32_t max_tags;       /* more tags in one line: the line is rejected */
    uint32_t max_fields;     /* more fields in one line: the line is rejected */
    uint32_t max_line_bytes; /* a longer line is rejected (and skipped) */
} lp_options;

/* A byte range. Not NUL-terminated. */
typedef struct lp_slice {
    const char *p;
    uint32_t len;
} lp_slice;

typedef struct lp_tag {
    lp_slice key, val;
} lp_tag;

typedef struct lp_field {
    lp_slice key;
    lp_type type;
    union {
        double f;   /* LP_FLOAT: finite, may be -0.0 */
        int64_t i;  /* LP_INT */
        uint64_t u; /* LP_UINT */
        int b;      /* LP_BOOL: 0 or 1 */
        lp_slice s; /* LP_STRING: unescaped, may contain any byte */
    } v;
} lp_field;

typedef struct lp_point {
    lp_slice measurement; /* unescaped, never empty */
    lp_tag *tags;         /* sorted by key, keys unique, values never empty */
    uint32_t ntags;
    lp_field *fields; /* line order; at least one */
    uint32_t nfields;
    int64_t ts_ns;   /* in [LP_MIN_TS_NS, LP_MAX_TS_NS] */
    int has_ts;      /* 1: the line had a timestamp; 0: the default was used */
    lp_slice line;   /* the raw line as InfluxDB quotes it in errors */
    uint64_t lineno; /* 1-based line number (counting '\n') where the line starts */
} lp_point;

typedef struct lp_parser lp_parser;

/* Fill *opt with the defaults: nanoseconds, LP_FLAGS_DEFAULT, default limits. */
void lp_options_init(lp_options *opt);

/*
 * Map a `precision=` value to lp_precision: "", "n", "ns" -> NS, "u" -> US,
 * "ms", "s", "m", "h". s need not be NUL-terminated.
 * Note: InfluxDB 1.6.7 silently treats any other value (also "us") as
 * nanoseconds; 1.8 answers 400 `invalid precision "us" (use n, u, ms, s, m
 * or h)`. The caller picks; this function only reports.
 *
 * @return STRATA_OK, or STRATA_EINVAL for any other string (*out untouched)
 */
int lp_precision_parse(const char *s, size_t len, lp_precision *out);

/*
 * Create a parser. opt may be NULL for the defaults; it is copied.
 * Limits of 0 mean the default.
 *
 * Ownership: *out is allocated here; free it with lp_parser_free().
 * @return STRATA_OK, STRATA_EINVAL (bad precision), STRATA_ENOMEM
 */
int lp_parser_new(const lp_options *opt, lp_parser **out);

/* Free a parser and its arrays. p may be NULL. Invalidates every point. */
void lp_parser_free(lp_parser *p);

/*
 * Start parsing a new body. buf is borrowed: it must stay unchanged and
 * alive while points from it are used. default_ts_ns is the time given to
 * lines without a timestamp (InfluxDB uses the server's clock, one value per
 * request); it is truncated to the precision as InfluxDB does.
 */
void lp_parser_reset(lp_parser *p, const char *buf, size_t len, int64_t default_ts_ns);

/* Change the precision of timestamps (and the truncation of the default
 * time) for the lines parsed after this call; set it before
 * lp_parser_reset() to cover a whole body. An invalid value is ignored. */
void lp_parser_set_precision(lp_parser *p, lp_precision prec);

/*
 * Parse up to the next point. Blank lines and comments are skipped.
 *
 * Returns 1 with *pt filled; 0 at the end of the body; or a negative code
 * when the next line is bad: then pt->line and pt->lineno name that line,
 * lp_parser_error() gives InfluxDB's reason, the line is consumed, and the
 * caller may call again to go on with the next line (a partial write).
 *
 * Lifetime: *pt and every slice in it stay valid until the next call to
 * lp_parser_next(), lp_parser_reset() or lp_parser_free() on p, and while
 * the body is alive.
 *
 * @return 1, 0, STRATA_EPARSE (bad line), STRATA_ELIMIT (a line over
 *         max_tags, max_fields or max_line_bytes), STRATA_ENOMEM (growing
 *         an array failed; the line is skipped)
 */
int lp_parser_next(lp_parser *p, lp_point *pt);

/*
 * The reason for the last negative lp_parser_next(), as InfluxDB words it
 * ("missing fields", "invalid number", "duplicate tags", ...). Owned by p,
 * valid until the next call on p. "" when there was no error.
 */
const char *lp_parser_error(const lp_parser *p);

/*
 * Write InfluxDB's message for the last bad line, "unable to parse
 * '<line>': <reason>", into dst (NUL-terminated, truncated to cap; dst may
 * be NULL when cap is 0). pt is the point that failing lp_parser_next()
 * filled. The line is copied byte for byte (it may hold NUL or invalid
 * UTF-8; InfluxDB's JSON answer shows invalid UTF-8 as U+FFFD).
 * InfluxDB's HTTP answer joins these with '\n' for every bad line of a body
 * and, when some lines were good, wraps them as "partial write: <joined>
 * dropped=0".
 *
 * @return the full length of the message without the NUL (like snprintf)
 */
size_t lp_parser_format_error(const lp_parser *p, const lp_point *pt, char *dst, size_t cap);

#endif
