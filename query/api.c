/*
 * query/api.c: qry_api_execute(), the /query request as InfluxDB 1.6.7's
 * HTTP handler runs it: trim and check q, bind params, parse (syntax errors,
 * unknown tz() zones and bad regexes are 400 answers, as InfluxDB's parser
 * reports them), then run the statements in order with a fresh arena each,
 * stopping at the first failure and reporting the rest as "not executed"
 * exactly as InfluxDB's executor and handler do.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "query/api.h"
#include "query/exec_int.h"
#include "query/parser.h"

typedef struct sink {
    qry_output *out;
} sink;

static int sink_write(void *ctx, const void *buf, size_t len)
{
    sink *s = ctx;
    return s->out->write(s->out->ctx, buf, len);
}

static int64_t epoch_divisor(const char *e)
{
    if (e == NULL || e[0] == 0) return 0;
    if (strcmp(e, "u") == 0 || strcmp(e, "µ") == 0) return 1000;
    if (strcmp(e, "ms") == 0) return 1000000;
    if (strcmp(e, "s") == 0) return 1000000000;
    if (strcmp(e, "m") == 0) return 60LL * 1000000000;
    if (strcmp(e, "h") == 0) return 3600LL * 1000000000;
    return 1;
}

/* Go's strings.TrimSpace for ASCII and the common Unicode spaces. */
static void trim(const char **s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t a = 0, b = *n;
    while (a < b && (isspace(p[a]) ||
                     (p[a] == 0xC2 && a + 1 < b && (p[a + 1] == 0x85 || p[a + 1] == 0xA0)))) {
        a += p[a] == 0xC2 ? 2 : 1;
    }
    while (b > a && isspace(p[b - 1]))
        b--;
    *s += a;
    *n = b - a;
}

/* ---- the request ---------------------------------------------------------------------------- */

static int request_error(qry_writer *w, int *http_status, strata_error *err, const char *msg)
{
    *http_status = 400;
    if (err && err->msg != msg) strata_error_set(err, STRATA_EINVAL, "%s", msg);
    return qry_writer_request_error(w, msg);
}

int qry_api_execute(stg_engine *e, const qry_limits *lim, const qry_request *r, qry_output *out,
                    int *http_status, const char **content_type, strata_error *err)
{
    if (e == NULL || r == NULL || out == NULL || out->write == NULL)
        return strata_error_set(err, STRATA_EINVAL, "qry_api_execute: missing argument");
    static const qry_limits nolim;
    if (lim == NULL) lim = &nolim;
    *content_type = r->want_csv ? "text/csv" : "application/json";
    *http_status = 200;
    sink sk = {out};
    qry_writer w;
    qry_writer_init(&w, r->want_csv ? QRY_WFMT_CSV : QRY_WFMT_JSON, r->pretty, r->chunked,
                    r->chunked && r->chunk_size ? r->chunk_size : 10000, epoch_divisor(r->epoch),
                    sink_write, &sk);
    strata_arena parse_arena, stmt_arena;
    strata_arena_init(&parse_arena, 0);
    strata_arena_init(&stmt_arena, 0);
    strata_error perr;
    strata_error_clear(&perr);
    qry_rematch *rm = NULL;
    int rc = STRATA_OK;

    const char *q = r->q ? r->q : "";
    size_t qn = r->q ? r->q_len : 0;
    trim(&q, &qn);
    if (qn == 0) {
        rc = request_error(&w, http_status, err, "missing required parameter \"q\"");
        goto done;
    }

    qry_params params = {NULL, 0};
    if (r->params_json && r->params_len) {
        if (qry__params_parse(r->params_json, r->params_len, &parse_arena, &params, &perr) !=
            STRATA_OK) {
            char msg[STRATA_ERRMSG_MAX + 40];
            /* JSON syntax errors carry InfluxDB's prefix; number conversion errors do not */
            snprintf(msg, sizeof msg, "%s%s",
                     strncmp(perr.msg, "error parsing json value", 24) == 0
                         ? ""
                         : "error parsing query parameters: ",
                     perr.msg);
            rc = request_error(&w, http_status, err, msg);
            goto done;
        }
    }
    int64_t now = r->now_ns ? r->now_ns : strata_now_ns();
    qry_query *query = NULL;
    qry_parse_opts po;
    memset(&po, 0, sizeof po);
    po.params = &params;
    po.now_ns = now;
    po.tz_exists = qry_tz_exists_system; /* unknown zones and bad regexes are parse errors */
    po.regex_check = qry__re_check;
    if (qry_parse_ex(q, qn, &po, &parse_arena, &query, &perr) != STRATA_OK) {
        rc = request_error(&w, http_status, err, perr.msg);
        goto done;
    }
    rm = qry__rematch_new();
    if (rm == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto done;
    }

    strata_error serr;
    qry_ctx c;
    memset(&c, 0, sizeof c);
    c.e = e;
    c.lim = lim;
    c.req = r;
    c.w = &w;
    c.arena = &stmt_arena;
    c.now_ns = now;
    c.db = r->db ? r->db : "";
    c.rm = rm;
    c.err = &serr;
    c.log = r->log;
    c.points_limit = lim->max_points;
    if (lim->timeout_ns > 0) c.deadline_mono = strata_mono_ns() + lim->timeout_ns;

    uint32_t i = 0;
    for (; i < query->nstmts; i++) {
        const qry_stmt *st = query->stmts[i];
        strata_arena_reset(&stmt_arena);
        strata_error_clear(&serr);
        c.stmt_id = (int)i;
        c.points = 0;
        c.stmt_tz = NULL;
        int src;
        if (st->kind == QRY_STMT_SELECT && st->u.sel.select->target)
            src = qry__exec_into(&c, st);
        else if (st->kind == QRY_STMT_SELECT)
            src = qry__exec_select(&c, st->u.sel.select);
        else
            src = qry__exec_meta(&c, st);
        qry__re_free_all(c.res);
        c.res = NULL;
        qry__tz_free(c.stmt_tz);
        c.stmt_tz = NULL;
        if (w.failed) {
            rc = strata_error_set(err, STRATA_EIO, "the client went away");
            goto done;
        }
        if (src != STRATA_OK) {
            const char *msg = serr.msg[0] ? serr.msg : strata_strerror(src);
            qry_writer_stmt_error(&w, (int)i, msg);
            break;
        }
    }
    /* After a failure InfluxDB sends one "not executed" result per remaining statement, all
     * with the failed statement's id (so, merged, the failed statement reads "not executed"
     * unless it was the last one). */
    for (uint32_t k = i; query->nstmts > 0 && k < query->nstmts - 1; k++)
        qry_writer_stmt_error(&w, (int)i, "not executed");
    rc = qry_writer_finish(&w);
    if (rc != STRATA_OK)
        strata_error_set(err, rc, rc == STRATA_ENOMEM ? "out of memory" : "the client went away");

done:
    if (rc == STRATA_OK && *http_status == 400) rc = STRATA_OK;
    qry__rematch_free(rm);
    qry_writer_fini(&w);
    strata_arena_fini(&parse_arena);
    strata_arena_fini(&stmt_arena);
    return rc;
}
