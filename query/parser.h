/*
 * query/parser.h: parse InfluxQL text (as sent to /query by Grafana, the
 * influx CLI and client libraries) into the tree of query/ast.h.
 *
 * The accepted language is InfluxDB 1.6's: SELECT (with INTO, subqueries,
 * GROUP BY time(), fill(), ORDER BY, LIMIT/OFFSET/SLIMIT/SOFFSET, tz()), the
 * SHOW statements, CREATE/DROP/ALTER for databases, retention policies,
 * continuous queries, users, privileges and subscriptions, DELETE, DROP
 * SERIES/MEASUREMENT/SHARD, EXPLAIN [ANALYZE], KILL QUERY, separated by ';'.
 * Syntax errors carry InfluxDB's wording and position, for example
 *   error parsing query: found FROM, expected identifier, string, number,
 *   bool at line 1, char 8
 * so that clients which match on the text keep working. Note that InfluxDB's
 * HTTP handler trims surrounding whitespace from the query before parsing;
 * positions of errors at the end of input depend on it, so callers serving
 * /query should trim the same way.
 *
 * Bound parameters: "$name" in the text is replaced by the value of the
 * parameter `name` from the caller's qry_params (InfluxDB's `params` JSON
 * object). The value's kind decides what token it stands for: a string
 * value is a string literal, {"identifier": "cpu"} an identifier, and so on.
 */
#ifndef STRATA_QUERY_PARSER_H
#define STRATA_QUERY_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "query/ast.h"

/* Prefix of every parse error message, as InfluxDB writes it. */
#define QRY_PARSE_ERR_PREFIX "error parsing query: "

/* What a bound parameter stands for (InfluxDB's JSON value or {"kind": value}). */
typedef enum qry_param_kind {
    QRY_PARAM_STRING = 1, /* JSON string or {"string": s}: a string literal (str) */
    QRY_PARAM_IDENT,      /* {"identifier": s}: an identifier (str) */
    QRY_PARAM_REGEX,      /* {"regex": s}: a regex (str is its source) */
    QRY_PARAM_NUMBER,     /* JSON number with a '.', {"number": x}: a float (f64) */
    QRY_PARAM_INTEGER,    /* JSON integer, {"integer": n}: an integer (i64) */
    QRY_PARAM_BOOL,       /* JSON true/false (b) */
    QRY_PARAM_DURATION,   /* {"duration": "1h"} (str); an integer duration is
                           * formatted with qry_duration_format() first */
    QRY_PARAM_ERROR,      /* a value that cannot be bound; str is the reason, reported
                           * if the parameter is used ("unable to bind parameter
                           * with type []interface {}") */
} qry_param_kind;

typedef struct qry_param {
    const char *name; /* without '$' */
    size_t name_len;
    qry_param_kind kind;
    const char *str; /* STRING, IDENT, REGEX, DURATION, ERROR */
    size_t str_len;
    double f64;
    int64_t i64;
    int b;
} qry_param;

/* A set of parameters; looked up by exact name. Borrowed for the parse. */
typedef struct qry_params {
    const qry_param *items;
    size_t count;
} qry_params;

/*
 * Parse `text` (len bytes, need not be NUL-terminated) into *out.
 *
 * params:  bound parameter values, or NULL for none.
 * now_ns:  the query's now(), in ns since the epoch; stored in the tree.
 * arena:   receives the whole tree (and, on failure, some garbage); the
 *          caller owns it and frees the tree by resetting or finishing it.
 * out:     set to the query on success (a query with zero statements when
 *          the text is empty, only comments or only ';').
 * err:     optional; on failure gets the message, prefixed with
 *          QRY_PARSE_ERR_PREFIX for syntax errors.
 *
 * Lifetime: the tree and all its strings live until the arena is reset.
 * Threads:  reentrant; no global state. One arena per thread.
 *
 * @return STRATA_OK; STRATA_EPARSE (syntax error, unknown parameter, bad
 *         literal); STRATA_ELIMIT (expression nested deeper than
 *         QRY_MAX_EXPR_DEPTH); STRATA_ENOMEM (arena allocation failed);
 *         STRATA_EINVAL (text, arena or out is NULL).
 */
int qry_parse(const char *text, size_t len, const qry_params *params, int64_t now_ns,
              strata_arena *arena, qry_query **out, strata_error *err);

/* Options of qry_parse_ex(). Zero-initialise and set what is needed. */
typedef struct qry_parse_opts {
    const qry_params *params; /* bound parameters, or NULL */
    int64_t now_ns;           /* the query's now(), ns since the epoch */
    /*
     * Optional zone check for tz('...'), run while parsing as InfluxDB does
     * (so an unknown zone is reported before any later syntax error):
     * "error parsing query: unable to find time zone <name>". Pass
     * qry_tz_exists_system for InfluxDB's behaviour; NULL skips the check
     * (qry_query_check_tz() can run it afterwards).
     */
    bool (*tz_exists)(const char *name, void *ctx);
    void *tz_ctx;
    /*
     * Optional regex check, run on each regex as it is parsed (InfluxDB
     * compiles regexes while parsing; here compiling is the executor's
     * job, this hook lets it happen at the same point). Return 0 if
     * src[0..len) is acceptable; otherwise write the reason into msg (cap
     * bytes, e.g. "error parsing regexp: missing closing ]: `[`") and return
     * nonzero: the parse fails with "error parsing query: <msg> at line L,
     * char C", the position of the regex. NULL: regexes are not checked.
     */
    int (*regex_check)(const char *src, size_t len, void *ctx, char *msg, size_t cap);
    void *regex_ctx;
} qry_parse_opts;

/*
 * qry_parse() with options. Same ownership, lifetime, thread-safety and
 * error returns; opts may be NULL (no parameters, now 0, no zone check).
 */
int qry_parse_ex(const char *text, size_t len, const qry_parse_opts *opts, strata_arena *arena,
                 qry_query **out, strata_error *err);

/*
 * Parse a single expression (e.g. a WHERE condition given alone), with the
 * same rules and error returns as qry_parse(); the whole text must be the
 * expression.
 */
int qry_parse_expr(const char *text, size_t len, const qry_params *params, int64_t now_ns,
                   strata_arena *arena, qry_expr **out, strata_error *err);

/*
 * InfluxDB rejects an unknown tz('...') zone while parsing; this check does
 * the same after qry_parse() for every SELECT of q (subqueries, EXPLAIN and
 * continuous queries included). exists(name, ctx) answers whether a zone
 * name is known; NULL means qry_tz_exists_system. On the first unknown
 * zone err gets "error parsing query: unable to find time zone <name>".
 * Threads: as thread-safe as exists.
 *
 * @return STRATA_OK or STRATA_EPARSE
 */
int qry_query_check_tz(const qry_query *q, bool (*exists)(const char *name, void *ctx), void *ctx,
                       strata_error *err);

/*
 * Default zone lookup, as Go's time.LoadLocation: "", "UTC" and "Local" are
 * known; otherwise a TZif file under /usr/share/zoneinfo (or the other
 * system zone directories) with that name. Names with ".." or a leading
 * slash are refused. Reads the file system; thread-safe; ctx unused.
 */
bool qry_tz_exists_system(const char *name, void *ctx);

#endif
