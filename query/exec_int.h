/*
 * query/exec_int.h: the InfluxQL executor's internal types, shared by the
 * planner (plan*.c), the executor (exec*.c), the functions (func*.c), the
 * meta statements (meta*.c) and the API (api.c).
 *
 * A statement runs with a qry_ctx: the engine, the limits, the writer and a
 * statement arena that holds everything the plan needs (freed at once when
 * the statement ends). A SELECT is compiled into a qry_plan: sources,
 * output columns as qry_node trees, the time range and the residual WHERE
 * condition, the GROUP BY dimensions, fill, limits. Execution then goes
 * measurement by measurement (sorted by name, as InfluxDB emits them), group
 * by group (the tag sets of the GROUP BY keys, sorted), and writes rows.
 *
 * Threads: a qry_ctx and its plan belong to one statement on one thread,
 * except that group execution may run on a second worker thread; the
 * worker gets its own qry_wctx (regex match data, scratch) and only reads
 * the plan.
 */
#ifndef STRATA_QUERY_EXEC_INT_H
#define STRATA_QUERY_EXEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/log.h"
#include "query/api.h"
#include "query/ast.h"
#include "query/result_int.h"
#include "query/tz_int.h"
#include "query/value_int.h"
#include "storage/engine.h"

/* InfluxDB's sentinel times (influxql.MinTime / MaxTime). */
#define QRY_MIN_TIME (INT64_MIN + 2)
#define QRY_MAX_TIME (INT64_MAX - 1)

/* ---- regexes (exec_regex.c) ------------------------------------------------- */

typedef struct qry_re qry_re;

/* Per-thread match scratch for qry__re_match(). */
typedef struct qry_rematch qry_rematch;

/* ---- statement context ------------------------------------------------------ */

/* What a subquery inherits from its outer query (exec_subquery.c). */
typedef struct qry_sub_inherit {
    int active;
    int64_t tmin, tmax;       /* intersected with the inner WHERE time range */
    int64_t interval, offset; /* taken when the inner query has functions but no interval */
} qry_sub_inherit;

/* A running request, listed by SHOW QUERIES (meta_queries.c). */
typedef struct qry_task qry_task;
/* Register a request that parsed (NULL when out of memory: it then runs unlisted). */
qry_task *qry__task_begin(const qry_query *q, const char *db);
void qry__task_end(qry_task *t);
/* Has KILL QUERY marked it? */
int qry__task_killed(const qry_task *t);

typedef struct qry_ctx {
    stg_engine *e;
    const qry_limits *lim;
    const qry_request *req;
    qry_writer *w;
    strata_arena *arena; /* statement memory */
    int64_t now_ns;
    int64_t deadline_mono;   /* 0: none */
    uint64_t points;         /* points read by this statement (this thread) */
    uint64_t points_limit;   /* 0: none */
    uint64_t *points_shared; /* with a worker thread: the statement's total, atomically */
    uint64_t points_reported;
    const char *db; /* request's default database ("" none) */
    qry_re *res;    /* compiled regexes to free at statement end */
    int stmt_id;
    qry_tz *stmt_tz;     /* the SELECT's zone, freed at statement end */
    qry_sub_inherit sub; /* set while running a subquery */
    /* set while running the outer query of a subquery: the tag keys it exposes (its GROUP BY
     * keys; all when sub_all_tags) for wildcard expansion */
    int sub_outer, sub_all_tags;
    const qry_select *sub_inner;
    qry_rematch *rm;   /* match scratch of the statement's thread */
    strata_error *err; /* statement error (InfluxDB text) */
    const strata_logger *log;
    qry_task *task; /* the request (KILL QUERY), or NULL */
} qry_ctx;

/* Set the statement error; @return code. */
int qry__fail(qry_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Check the deadline, the points budget and KILL QUERY. @return STRATA_OK or STRATA_ELIMIT. */
int qry__check_budget(qry_ctx *c);

/* Arena helpers; on failure set the error and return NULL. */
void *qry__alloc(qry_ctx *c, size_t n);
char *qry__strndup(qry_ctx *c, const char *s, size_t n);

/*
 * Compile src (InfluxQL regex source) with Go RE2-like semantics. The regex
 * is freed at statement end. @return STRATA_OK or STRATA_EINVAL (message as
 * Go's "error parsing regexp: ...").
 */
int qry__re_compile(qry_ctx *c, const char *src, size_t n, qry_re **out);
/*
 * qry_parse_opts.regex_check hook: 0 when Go would accept src, else 1 with
 * Go's message in msg. Thread-safe.
 */
int qry__re_check(const char *src, size_t len, void *ctx, char *msg, size_t cap);
/* 1 when re matches anywhere in s[0..n), else 0. rm: the thread's scratch. */
int qry__re_match(const qry_re *re, qry_rematch *rm, const char *s, size_t n);
qry_rematch *qry__rematch_new(void);
void qry__rematch_free(qry_rematch *rm);
void qry__re_free_all(qry_re *list);

/* ---- functions -------------------------------------------------------------- */

typedef enum qry_fn {
    QF_NONE = 0,
    /* aggregates and selectors */
    QF_COUNT,
    QF_SUM,
    QF_MEAN,
    QF_MIN,
    QF_MAX,
    QF_FIRST,
    QF_LAST,
    QF_SPREAD,
    QF_STDDEV,
    QF_MEDIAN,
    QF_MODE,
    QF_PERCENTILE,
    QF_DISTINCT,
    QF_COUNT_DISTINCT,
    QF_INTEGRAL,
    QF_SAMPLE,
    QF_TOP,
    QF_BOTTOM,
    /* transforms */
    QF_DERIVATIVE,
    QF_NN_DERIVATIVE,
    QF_DIFFERENCE,
    QF_NN_DIFFERENCE,
    QF_MOVING_AVERAGE,
    QF_CUMULATIVE_SUM,
    QF_ELAPSED,
    QF_HOLT_WINTERS,
    QF_HOLT_WINTERS_FIT,
    /* math */
    QF_ABS,
    QF_SIN,
    QF_COS,
    QF_TAN,
    QF_ASIN,
    QF_ACOS,
    QF_ATAN,
    QF_ATAN2,
    QF_EXP,
    QF_LOG,
    QF_LN,
    QF_LOG2,
    QF_LOG10,
    QF_SQRT,
    QF_POW,
    QF_FLOOR,
    QF_CEIL,
    QF_ROUND,
} qry_fn;

/* 1 for functions that keep the chosen point's time when alone (max, first, ...). */
int qry__fn_is_selector(qry_fn f);

/* ---- compiled expressions ------------------------------------------------------ */

typedef enum qry_nk {
    QN_LIT = 1, /* lit */
    QN_FIELD,   /* name: a field (slot) or a tag, resolved per measurement */
    QN_BIN,     /* op(args[0], args[1]) */
    QN_AGG,     /* fn over field slot `field` (or over args[0] for count(distinct)) */
    QN_XFORM,   /* fn over args[0] (a QN_AGG, or a QN_FIELD without GROUP BY time) */
    QN_MATH,    /* fn(args...) */
} qry_nk;

typedef struct qry_node qry_node;

struct qry_node {
    qry_nk kind;
    const qry_expr *src; /* the expression it was built from (messages) */
    qry_fn fn;
    qry_op op;
    qry_vtype cast; /* QN_FIELD: ::type */
    qry_str name;   /* QN_FIELD */
    int field;      /* QN_FIELD, QN_AGG: index in plan->fnames */
    int agg;        /* QN_AGG: index in plan->aggs */
    qry_node **args;
    uint32_t nargs;
    qry_val lit; /* QN_LIT */
    /* function parameters */
    int64_t n;        /* top/bottom/sample N, moving_average N, holt_winters N */
    int64_t season;   /* holt_winters S */
    double pct;       /* percentile */
    int64_t unit_ns;  /* derivative/elapsed/integral unit */
    qry_str *tagargs; /* top/bottom tag arguments */
    uint32_t ntagargs;
};

/* ---- plans ----------------------------------------------------------------- */

/* A measurement a SELECT reads. */
typedef struct qry_msrc {
    const char *name;
    size_t len;
    uint32_t mid;
} qry_msrc;

/* A referenced field of one measurement, resolved. */
typedef struct qry_fref {
    int kind;      /* 0 missing, 1 field, 2 tag */
    uint32_t fid;  /* field */
    stg_type type; /* field */
} qry_fref;

/* A regex of the residual condition, compiled. */
typedef struct qry_cond_re {
    const qry_expr *e;
    qry_re *re;
} qry_cond_re;

typedef struct qry_plan {
    const qry_select *sel;
    uint32_t db;
    qry_msrc *srcs;
    size_t nsrcs;

    /* referenced names (fields or tags), deduplicated; driver: used in the SELECT list */
    qry_str *fnames;
    uint8_t *fdriver;
    qry_vtype *fcast;
    size_t nfnames;
    int *aux_order; /* driver names sorted by name: InfluxDB's auxiliary field order */
    size_t naux;

    /* output columns (after "time") */
    size_t ncols;
    const char **colnames;
    size_t *collens;
    qry_node **cols;
    qry_str time_name; /* "time" or its alias */

    int raw;      /* no function calls: raw rows */
    int selector; /* one selector call alone: keep the point's time */
    int distinct_only;
    int top_bottom;  /* a top()/bottom() call: rows per selected point */
    qry_node **aggs; /* QN_AGG nodes */
    size_t naggs;
    int has_xform;
    int has_aux; /* fields/tags next to a single selector */

    int64_t tmin, tmax; /* inclusive bounds */
    int64_t interval, offset;
    qry_tz *tz;

    /* GROUP BY: tag keys (sorted), or all (*) / regex, expanded per measurement */
    qry_str *dims;
    size_t ndims;
    int dim_star;
    qry_re **dim_res;
    size_t ndim_res;

    const qry_expr *cond; /* residual WHERE (no time), or NULL */
    qry_cond_re *cond_res;
    size_t ncond_res;
    int cond_has_fields; /* the residual refers to fields */

    qry_fill fill;
    qry_val fillv;
    int64_t limit, offset_rows, slimit, soffset;
    int desc;
} qry_plan;

/*
 * Compile a SELECT (plan.c). @return STRATA_OK; STRATA_EINVAL with
 * InfluxDB's message for an invalid statement; STRATA_ENOTFOUND for an
 * unknown database; STRATA_ENOMEM.
 */
int qry__plan_select(qry_ctx *c, const qry_select *s, qry_plan *p);

/* The database a source names (its db or the default). @return STRATA_OK or ENOTFOUND. */
int qry__resolve_db(qry_ctx *c, const qry_measurement *m, uint32_t *db, const char **name);

/* ---- conditions (plan_cond.c) ----------------------------------------------------- */

/*
 * Split a WHERE condition into its time range (inclusive [*tmin, *tmax],
 * QRY_MIN_TIME/QRY_MAX_TIME when unbounded) and the rest (*rest, NULL when
 * nothing is left), as InfluxDB's ConditionExpr does. tz shifts time
 * literals without a zone. @return STRATA_OK or STRATA_EINVAL (message set).
 */
int qry__cond_split(qry_ctx *c, const qry_expr *cond, const qry_tz *tz, int64_t *tmin,
                    int64_t *tmax, const qry_expr **rest);

/* A series with its parsed tags (memory in the statement arena). */
typedef struct qry_series {
    uint64_t id;
    const char *key; /* canonical key (copy) */
    uint32_t klen;
    uint32_t ntags;
    stg_tag *tags;          /* sorted by key */
    const qry_expr *filter; /* residual condition with tags resolved, NULL when none */
    uint32_t group;         /* group index within its measurement */
} qry_series;

/* Value of tag k of s, or NULL (len 0) when absent. */
const char *qry__series_tag(const qry_series *s, const char *k, size_t kl, size_t *vl);

/*
 * The series of measurement mid that can satisfy cond (tags resolved through
 * the index postings), each with its tags and its residual filter. Series
 * whose tags make cond false are left out. *out is arena memory, sorted by
 * canonical key. tags_only: every name is a tag (SHOW statements).
 * @return STRATA_OK, STRATA_ENOMEM, STRATA_EINVAL (bad regex), STRATA_ELIMIT
 *         (max_series), LMDB failures.
 */
int qry__cond_series(qry_ctx *c, MDB_txn *txn, uint32_t db, uint32_t mid, const qry_expr *cond,
                     int tags_only, qry_series **out, size_t *n);

/*
 * Partially evaluate cond against the tags of s: tag comparisons become
 * true/false. *out is NULL (always true), the constant false node, or an
 * expression over fields. @return STRATA_OK or STRATA_ENOMEM.
 */
int qry__cond_bind_tags(qry_ctx *c, const qry_expr *cond, const qry_series *s, const qry_expr **out,
                        int *always_false);

/* Intern the residual condition's names and compile its regexes (for row evaluation). */
int qry__cond_prepare(qry_ctx *c, qry_plan *p);

/*
 * Evaluate a field condition on a row: vals[i] is the value of plan field i
 * (refs says which names are fields of the row's measurement); tags come
 * from s. @return 1 when the row passes.
 */
int qry__cond_eval_row(const qry_plan *p, const struct qry_fref *refs, const qry_expr *cond,
                       const qry_val *vals, const qry_series *s, qry_rematch *rm);

/*
 * A "gate" of a row condition: a conjunct `field op literal` (or `literal op
 * field`) that the whole condition needs to be true, so that a row can only
 * pass at a time where that field has a value v with
 * qry__binop(op, v, lit) (operands swapped when lit_left) true. Readers use
 * it to skip the points that fail it without building rows.
 */
typedef struct qry_cond_gate {
    int slot; /* plan field slot (a field of the measurement) */
    qry_op op;
    qry_val lit;
    int lit_left;
} qry_cond_gate;

/* Find a gate of cond (tags already bound). @return 1 (filled *g) or 0 (none). */
int qry__cond_gate(const qry_plan *p, const struct qry_fref *refs, const qry_expr *cond,
                   qry_cond_gate *g);

/* A group of series answered together (the tag set of the GROUP BY keys). */
typedef struct qry_group {
    const qry_msrc *m;
    qry_series **series; /* in key order */
    size_t nseries;
    qry_tagv *tags; /* group tags (dims) */
    size_t ntags;
} qry_group;

/* Per-measurement resolution of plan field names. */
typedef struct qry_mctx {
    const qry_msrc *m;
    qry_fref *refs; /* plan->nfnames */
} qry_mctx;

/* ---- expressions (func_math.c) ----------------------------------------------------- */

/* Evaluate op on two values as InfluxDB does (null in, null out). */
qry_val qry__binop(qry_op op, qry_val a, qry_val b);
/* Apply a math function; args[0..n). */
qry_val qry__math(qry_fn fn, const qry_val *args, uint32_t n);

/*
 * Evaluate a raw-row expression: fields from vals (plan field index), tags
 * from s.
 */
qry_val qry__eval_row(const qry_plan *p, const struct qry_fref *refs, const qry_node *n,
                      const qry_val *vals, const qry_series *s);

/* ---- cursors (exec_cursor.c) ------------------------------------------------------------ */

/*
 * One column (field of a series) over [tmin, tmax], decoded block by block.
 * Attached cursors hold their engine iterator (and its LMDB read
 * transaction) open; detached ones copy at most max_pts points of a block,
 * close the iterator and reopen it after the last point when they need more,
 * so that merges over thousands of series do not hold thousands of read
 * transactions (LMDB has a fixed number of reader slots).
 */
typedef struct qry_fcur {
    stg_iter *it;
    stg_block b;
    int detached;
    size_t max_pts;
    uint32_t db, fid;
    uint64_t series;
    int64_t next_t, tmax;
    int64_t *dts;
    uint64_t *dvals;
    uint8_t *dstr;
    size_t dcap, dstrcap;
    /* the current points */
    const int64_t *ts;
    const uint64_t *vals;
    const uint8_t *strbuf;
    uint32_t n, pos;
    int valid; /* pos < n */
    int done;
    stg_type type;
} qry_fcur;

/*
 * Open; a column that does not exist iterates nothing. tmax is inclusive.
 * max_pts 0: attached; else detached with at most max_pts points buffered.
 */
int qry__fcur_open(qry_ctx *c, qry_fcur *fc, uint32_t db, uint64_t series, uint32_t fid,
                   stg_type type, int64_t tmin, int64_t tmax, size_t max_pts);
/* Make the cursor valid or done. @return STRATA_OK or an error (message set). */
int qry__fcur_fill(qry_ctx *c, qry_fcur *fc);
void qry__fcur_close(qry_fcur *fc);
/* The value of a slot of a column of type t. */
qry_val qry__slot_val(stg_type t, uint64_t v, const uint8_t *strbuf);

static inline int64_t qry__fcur_time(const qry_fcur *fc)
{
    return fc->ts[fc->pos];
}

static inline qry_val qry__fcur_val(const qry_fcur *fc)
{
    return qry__slot_val(fc->type, fc->vals[fc->pos], fc->strbuf);
}

/*
 * Rows of one series: the union of the times of the driver fields, each row
 * holding every needed field's value at that time (null when absent), rows
 * failing the series' filter skipped.
 */
typedef struct qry_srow {
    const qry_series *s;
    size_t nf;       /* plan->nfnames */
    qry_fcur *cur;   /* [nf] */
    uint8_t *driver; /* [nf] 1: its times make rows */
    uint8_t *open;   /* [nf] 1: cursor opened (a field of the measurement) */
    qry_val *vals;   /* [nf] the current row */
    int64_t t;       /* the current row's time */
    int has;         /* a current row */
    int done;
    int has_gate; /* gate: rows before its field's next passing point are skipped */
    qry_cond_gate gate;
    int gate_mode; /* how to compare raw slots with the literal (exec_cursor.c) */
    stg_type gate_type;
    int64_t gate_i;
    uint64_t gate_u;
    double gate_d;
} qry_srow;

/*
 * Open the row cursor of series s. drivers: which plan fields make rows
 * (NULL: plan->fdriver). All fields of the measurement referenced by the
 * plan are read (conditions need them). Memory from the statement arena.
 */
int qry__srow_open(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_series *s,
                   const uint8_t *drivers, int64_t tmin, int64_t tmax, size_t max_pts, qry_srow *r);
/* Advance to the next row; r->has says whether there is one. */
int qry__srow_next(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, qry_srow *r);
void qry__srow_close(qry_srow *r);

/*
 * Merge of several time-ordered streams (one per series, in series key
 * order) with ties broken as InfluxDB's sorted merge iterator breaks them:
 * Go's container/heap over the streams, restarted at each 7-day shard group
 * boundary (InfluxDB merges per shard). desc: descending times.
 * advance(ctx, i) moves stream i to its next row (1: has one, 0: ended,
 * <0: error); time(ctx, i) is the time of its current row.
 */
typedef struct qry_gmerge_ent {
    int64_t t; /* the stream's current time (kept here: no pointer chasing while sifting) */
    size_t i;
} qry_gmerge_ent;

typedef struct qry_gmerge {
    size_t n;
    qry_gmerge_ent *heap;
    size_t hn;
    uint8_t *has;
    int desc;
    int64_t win_lo, win_hi; /* current shard window [lo, hi) */
    long pending;
    void *ctx;
    int (*advance)(void *ctx, size_t i);
    int64_t (*time)(void *ctx, size_t i);
    /* equal times: <0 when stream a's row sorts first (InfluxDB compares string auxiliary
     * values); NULL: no tie-break */
    int (*tie)(void *ctx, size_t a, size_t b);
} qry_gmerge;

/* Prime every stream (calls advance once each). */
int qry__gmerge_init(qry_ctx *c, qry_gmerge *g, size_t n, int desc, void *ctx,
                     int (*advance)(void *, size_t), int64_t (*time)(void *, size_t));
/* The stream holding the next row in *which (its row stays current until the next call), or
 * -1 at the end. @return STRATA_OK or an error. */
int qry__gmerge_next(qry_ctx *c, qry_gmerge *g, long *which);
void qry__gmerge_fini(qry_gmerge *g);

/* Start of InfluxDB's shard group (7 days, aligned as Go's Time.Truncate) holding t. */
int64_t qry__shard_start(int64_t t);

/* ---- per-statement execution ----------------------------------------------------------- */

int qry__exec_select(qry_ctx *c, const qry_select *s);
/* SELECT ... FROM (SELECT ...) (exec_subquery.c). */
int qry__exec_subquery(qry_ctx *c, const qry_select *outer);
/* SELECT ... INTO (exec_into.c): the whole statement, result included. */
int qry__exec_into(qry_ctx *c, const qry_stmt *st);

/*
 * A capture writer (exec_capture.c): run a SELECT with c->w = &cp->w and its
 * rows become points in the batch's database, flushed as they accumulate;
 * call qry__capture_flush() at the end.
 */
typedef struct qry_capture {
    qry_ctx *c;
    qry_writer w;
    stg_batch *b;
    int row_tags;       /* raw rows keep every tag of their series (subqueries) */
    int into;           /* SELECT INTO: a write per series chunk; refused points fail */
    const char *target; /* INTO: the measurement (NULL: each series' own name) */
    size_t target_len;
    const char *bad_rp; /* INTO: a retention policy that does not exist (fails on writing) */
    uint64_t rows;      /* points added */
    /* the current series */
    char *name;
    size_t nlen;
    stg_tag *tags;
    size_t ntags;
    char **cols;
    size_t *col_lens;
    size_t ncols;
    stg_field_in *fields;
    size_t in_chunk;
} qry_capture;

int qry__capture_begin(qry_ctx *c, qry_capture *cp, stg_engine *e, uint32_t db);
int qry__capture_flush(qry_capture *cp);
void qry__capture_end(qry_capture *cp);

int qry__raw_group(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_group *g);
int qry__agg_group(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_group *g);

/*
 * The aggregate executor in two halves, so that groups can be computed on a
 * worker thread (with its own qry_ctx: arena, match scratch, error) while
 * the statement's thread writes them in order: compute touches no writer.
 */
typedef struct qry_aggres {
    struct qry_seq *cols; /* plan->ncols sequences */
    size_t ncols;
    strata_arena sa; /* strings the sequences point to */
    int rc;
    strata_error err;
} qry_aggres;
int qry__agg_compute(qry_ctx *c, const qry_plan *p, const qry_mctx *mc, const qry_group *g,
                     qry_aggres *out);
int qry__agg_write(qry_ctx *c, const qry_plan *p, const qry_group *g, qry_aggres *res);
void qry__aggres_fini(qry_aggres *r);

/* Window of time t: [*start, *end) as InfluxDB's IteratorOptions.Window. */
void qry__window(const qry_plan *p, int64_t t, int64_t *start, int64_t *end);

/* ---- aggregation (exec_agg.c, func_agg.c, func_xform.c) --------------------------------- */

/* A point of an output sequence. */
typedef struct qry_pt {
    int64_t t; /* output time */
    qry_val v;
    int64_t pt;   /* the source point's time (selectors), for auxiliary lookups */
    int32_t sidx; /* the source point's series (index in the group), -1 none */
} qry_pt;

/* A time-ordered sequence of points of one column of one group. */
typedef struct qry_seq {
    qry_pt *p;
    size_t n, cap;
} qry_seq;

int qry__seq_push(qry_seq *s, const qry_pt *p);
void qry__seq_fini(qry_seq *s);

/* Per-window reducer state of one aggregate call. */
typedef struct qry_red {
    uint64_t n;
    double fsum;
    int64_t isum;
    uint64_t usum;
    double wmean, wm2; /* Welford, for stddev */
    int has;           /* a selected point (min, max, first, last) */
    int64_t t;
    qry_val v;
    int32_t sidx;
    char *sbuf; /* owned copy of a selected string */
    uint32_t scap;
    int has_mm; /* spread: min and max seen */
    qry_val mn, mx;
    qry_pt *pts; /* collected points (median, mode, percentile, distinct, top, ...) */
    uint32_t np, cap;
} qry_red;

/*
 * Feed one point of series sidx (value of the field's type) to r.
 * strings are copied when kept. @return STRATA_OK or STRATA_ENOMEM.
 */
int qry__red_add(const qry_node *n, qry_red *r, int64_t t, qry_val v, int32_t sidx,
                 strata_arena *sa);
/* Feed a whole chunk's statistics (count/sum/mean/min/max only, see qry__red_stats_ok). */
void qry__red_add_stats(const qry_node *n, qry_red *r, const stg_chunk_info *info);
/* 1 when the function can use chunk statistics (selector point times not needed). */
int qry__red_stats_ok(const qry_node *n, int need_point);
/*
 * Append the window's output points (time wstart unless the function keeps
 * point times) to out. @return STRATA_OK or STRATA_ENOMEM.
 */
int qry__red_emit(const qry_node *n, qry_red *r, stg_type type, int64_t wstart, int keep_time,
                  strata_arena *sa, qry_seq *out);
/* first()/last()'s preference of point (t, v) over the kept (pt, pv). */
int qry__first_last_better(qry_fn fn, int64_t t, qry_val v, int64_t pt, qry_val pv);
void qry__red_fini(qry_red *r);

/* 1 when fn's output points keep their source time (top, bottom, sample, selectors alone). */
int qry__fn_keeps_point_time(qry_fn fn);

/*
 * Fill the windows of an aggregate's sequence as InfluxDB's fill iterator:
 * from the window of the (extended) start to the window of the end, in the
 * plan's order. count() with fill(null) fills 0. seq is replaced.
 */
int qry__fill(qry_ctx *c, const qry_plan *p, const qry_node *agg, int64_t tmin, int64_t tmax,
              qry_seq *seq, stg_type type);

/* Transforms (derivative, difference, moving_average, cumulative_sum, elapsed, holt_winters)
 * over in. */
int qry__xform(const qry_plan *p, const qry_node *n, const qry_seq *in, qry_seq *out);
/* holt_winters[_with_fit](): n points (ts, vs) as aggregated, N = h, S = season (func_hw.c). */
int qry__holt_winters(const int64_t *ts, const double *vs, size_t n, int64_t h, int64_t season,
                      int with_fit, int64_t interval, qry_seq *out);

/*
 * integral() over a group's merged point stream (in order), with the
 * interval interpolation InfluxDB applies. pts[0..n). Output appended.
 */
int qry__integral(const qry_plan *p, const qry_node *n, const qry_pt *pts, size_t np, qry_seq *out);

/* ---- meta statements (meta*.c) ----------------------------------------------------------- */

int qry__exec_meta(qry_ctx *c, const qry_stmt *s);

/* ---- params (exec_params.c) ------------------------------------------------------ */

struct qry_params;
/*
 * Parse InfluxDB's params JSON object into *out (arena memory). On failure
 * err holds Go's decoder message (without the "error parsing query
 * parameters: " prefix). @return STRATA_OK, STRATA_EINVAL, STRATA_ENOMEM.
 */
int qry__params_parse(const char *json, size_t len, strata_arena *a, struct qry_params *out,
                      strata_error *err);

#endif
