/*
 * query/parser_int.h: state and helpers shared by the parser's files
 * (parser.c: driver and statements; parser_expr.c: expressions, sources,
 * SELECT). Private to the query module.
 *
 * The parser reads tokens through a ring of the last three tokens so it can
 * step back (unscan) up to three times, and it may peek at the next raw rune
 * past the tokens it holds, exactly as InfluxDB's parser does; several error
 * positions depend on this. Bound parameters are substituted as tokens enter
 * the ring.
 *
 * Errors: the first failure wins. p->rc holds its code and p->err its
 * message; functions return -1 (or NULL) and callers unwind.
 */
#ifndef STRATA_QUERY_PARSER_INT_H
#define STRATA_QUERY_PARSER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "query/ast.h"
#include "query/lexer.h"
#include "query/parser.h"

/* Deepest recursion (parentheses, call arguments, subqueries) the parser follows. */
#define QRY_MAX_NEST 1000

typedef struct qry_parser {
    qry_lex lx;
    qry_token ring[3];
    int ti, tn;
    const qry_params *params;
    int64_t now_ns;
    strata_arena *arena;
    strata_error *err;
    int rc;
    int nest;
    bool (*tz_exists)(const char *name, void *ctx);
    void *tz_ctx;
    int (*regex_check)(const char *src, size_t len, void *ctx, char *msg, size_t cap);
    void *regex_ctx;
} qry_parser;

/* Growable array in the arena (old storage is abandoned on growth). */
typedef struct qry_vec {
    void *items;
    uint32_t n, cap;
} qry_vec;

/* ---- parser.c: tokens, errors, allocation ---- */
void qry__p_init(qry_parser *p, const char *text, size_t len, const qry_params *params,
                 int64_t now_ns, strata_arena *arena, strata_error *err);
qry_token qry__p_scan(qry_parser *p);
qry_token qry__p_scan_ws(qry_parser *p);
qry_token qry__p_scan_regex(qry_parser *p);
void qry__p_unscan(qry_parser *p);
int32_t qry__p_peek(qry_parser *p);
void qry__p_consume_ws(qry_parser *p);
const char *qry__tokstr(const qry_token *t);

int qry__p_expected(qry_parser *p, const qry_token *t, const char *expected);
int qry__p_errpos(qry_parser *p, qry_lpos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int qry__p_limit(qry_parser *p, qry_lpos pos, const char *what, int limit);
int qry__p_errmsg(qry_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qry__p_oom(qry_parser *p);
void *qry__p_alloc(qry_parser *p, size_t n);
int qry__p_push(qry_parser *p, qry_vec *v, size_t elem, const void *x);
qry_str qry__p_str(qry_parser *p, const char *s, size_t len);
qry_pos qry__p_pos(qry_lpos lp);

int qry__p_ident(qry_parser *p, qry_str *out);
int qry__p_tokens(qry_parser *p, const qry_tok *toks, int n);
int qry__p_optional_int(qry_parser *p, qry_tok t, int64_t *out);
int qry__p_duration(qry_parser *p, int64_t *out);

/* ---- parser_expr.c ---- */
qry_expr *qry__p_expr(qry_parser *p);
int qry__p_regex(qry_parser *p, qry_expr **out); /* *out NULL if no regex follows */
qry_select *qry__p_select(qry_parser *p, int target_req);
int qry__p_sources(qry_parser *p, bool subqueries, qry_source **out, uint32_t *n);
int qry__p_source(qry_parser *p, bool subqueries, qry_source *out);
int qry__p_condition(qry_parser *p, qry_expr **out);
int qry__p_dimensions(qry_parser *p, qry_expr ***out, uint32_t *n);
int qry__p_order_by(qry_parser *p, qry_sort_field **out, uint32_t *n);
int qry__p_segments(qry_parser *p, qry_str *segs, int *nseg);
int qry__select_group_by_interval(const qry_select *s, int64_t *iv, const char **why);

enum { QRY_TARGET_REQUIRED = 0, QRY_TARGET_NOT_REQUIRED, QRY_TARGET_SUBQUERY };

/* ---- ast.c: shared text helpers ---- */

/* Shortest text of v that reads back as v. go_style: InfluxDB's strconv 'f' -1
 * output ("3", "0.5"); otherwise always with a '.' ("3.0"). buf >= 400 bytes. */
size_t qry__f64_text(double v, bool go_style, char *buf, size_t cap);

/* InfluxDB's QuoteIdent for the segments of a dotted name into buf (snprintf-like). */
size_t qry__quote_ident_segments(const qry_str *segs, int n, char *buf, size_t cap);

#endif
