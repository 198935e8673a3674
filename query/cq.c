/*
 * query/cq.c: continuous queries at run time: InfluxDB's window arithmetic,
 * one window of one CQ as a SELECT INTO, and the runner that decides which
 * CQs are due and remembers their runs (see query/cq.h for the contract and
 * query/cq_int.h for the catalog records).
 *
 * Time alignment: InfluxDB truncates with Go's Time.Truncate, whose origin
 * is 0001-01-01; its GROUP BY windows start at multiples of the interval
 * from the Unix epoch. The two agree for every interval that divides a day
 * (1s, 1m, 5m, 1h, 1d, ...). Strata aligns everything on the epoch, so a CQ
 * with an interval such as 7m or 1w computes whole GROUP BY windows where
 * InfluxDB would compute partial ones.
 *
 * Restart: the runner records each CQ's last run in the catalog
 * (STG_CAT_CQRUN). After a restart the first run starts from that record,
 * so InfluxDB's own rule (the range begins at the missed run) fills the
 * windows that passed while the server was down, bounded by
 * max_catchup_ns. A long range runs in slices of slice_windows windows,
 * with the end of each finished slice recorded, so that a restart during a
 * catch-up resumes it. Recomputing a window writes the same series and
 * times again, which replaces the earlier values: never double counting.
 */
#include "query/cq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "query/cq_int.h"
#include "query/parser.h"
#include "storage/catalog.h"

/* ---- window arithmetic ---------------------------------------------------------------------- */

static int64_t clamp128(__int128 v)
{
    if (v > INT64_MAX) return INT64_MAX;
    if (v < INT64_MIN) return INT64_MIN;
    return (int64_t)v;
}

static __int128 floor128(__int128 t, int64_t d)
{
    __int128 r = t % d;
    if (r < 0) r += d;
    return t - r;
}

int64_t qry_cq_floor(int64_t t, int64_t d)
{
    if (d <= 0) return t;
    return clamp128(floor128(t, d));
}

int qry_cq_timing_of(const qry_cq_stmt *cq, qry_cq_timing *out, strata_error *err)
{
    memset(out, 0, sizeof *out);
    const char *why = NULL;
    int64_t iv = 0, off = 0;
    if (cq->select == NULL || qry_select_group_by_time(cq->select, &iv, &off, &why) != STRATA_OK ||
        iv <= 0)
        return strata_error_set(err, STRATA_EINVAL,
                                "continuous query without a GROUP BY time() "
                                "interval%s%s",
                                why ? ": " : "", why ? why : "");
    /* InfluxDB's GroupByOffset(): a duration modulo the interval (Go's %, the sign is kept);
     * an absolute time (time literal, now()) its distance from the boundary before it. */
    const qry_expr *oe = NULL;
    for (uint32_t i = 0; i < cq->select->ndims; i++) {
        const qry_expr *d = cq->select->dims[i];
        if (d->kind == QRY_EXPR_CALL && d->u.call.nargs == 2 && d->u.call.name.len == 4 &&
            memcmp(d->u.call.name.ptr, "time", 4) == 0)
            oe = d->u.call.args[1];
    }
    if (oe && oe->kind == QRY_EXPR_DURATION)
        off = off % iv;
    else
        off = (int64_t)(off - floor128(off, iv));
    out->interval_ns = iv;
    out->offset_ns = off;
    out->every_ns = cq->resample_every_ns > 0 ? cq->resample_every_ns : 0;
    out->for_ns = cq->resample_for_ns > 0 ? cq->resample_for_ns : 0;
    return STRATA_OK;
}

void qry_cq_schedule(const qry_cq_timing *t, int has_run, int64_t last_run, int64_t now,
                     qry_cq_window *out)
{
    memset(out, 0, sizeof *out);
    int64_t iv = t->interval_ns > 0 ? t->interval_ns : 1;
    __int128 off = t->offset_ns;
    int64_t every = t->every_ns > 0 ? t->every_ns : iv;
    __int128 next = now;
    if (has_run) {
        next = (__int128)last_run + every;
        if (next > now) return;
    }
    out->run = 1;
    out->last_run = clamp128(floor128((__int128)now - off, every) + off);
    int64_t for_ns = t->for_ns > 0 ? t->for_ns : (iv < every ? every : iv);
    int64_t every_eff = iv < every ? iv : every;
    out->start = clamp128(floor128(next + iv - for_ns - off - 1, iv) + off);
    out->end = clamp128(floor128((__int128)now + iv - every_eff - off, iv) + off);
}

int64_t qry_cq_catchup_floor(const qry_cq_timing *t, int64_t now, int64_t max_catchup_ns)
{
    qry_cq_window w;
    qry_cq_schedule(t, 0, 0, now, &w);
    int64_t iv = t->interval_ns > 0 ? t->interval_ns : 1;
    __int128 back = max_catchup_ns > 0 ? (max_catchup_ns / iv) * (__int128)iv : 0;
    return clamp128((__int128)w.start - back);
}

/* ---- one window ----------------------------------------------------------------------------- */

static qry_expr *new_expr(qry_ctx *c, qry_expr_kind k)
{
    qry_expr *e = qry__alloc(c, sizeof *e);
    if (e == NULL) return NULL;
    memset(e, 0, sizeof *e);
    e->kind = k;
    e->depth = 1;
    return e;
}

static qry_expr *new_bin(qry_ctx *c, qry_op op, const qry_expr *l, const qry_expr *r)
{
    qry_expr *e = new_expr(c, QRY_EXPR_BINARY);
    if (e == NULL) return NULL;
    e->u.bin.op = op;
    e->u.bin.lhs = (qry_expr *)l;
    e->u.bin.rhs = (qry_expr *)r;
    e->depth = (l->depth > r->depth ? l->depth : r->depth) + 1;
    return e;
}

/*
 * cond without its time comparisons, as InfluxDB's rewriteWithoutTimeDimensions
 * (a comparison with `time` becomes true, then true is folded away). *out NULL:
 * nothing is left (always true). @return STRATA_OK or STRATA_ENOMEM.
 */
static int strip_time(qry_ctx *c, const qry_expr *e, const qry_expr **out)
{
    *out = e;
    if (e->kind == QRY_EXPR_PAREN) {
        const qry_expr *in;
        if (strip_time(c, e->u.paren.expr, &in) != STRATA_OK) return STRATA_ENOMEM;
        if (in == NULL || in == e->u.paren.expr) {
            *out = in ? e : NULL;
            return STRATA_OK;
        }
        qry_expr *p = new_expr(c, QRY_EXPR_PAREN);
        if (p == NULL) return STRATA_ENOMEM;
        p->u.paren.expr = (qry_expr *)in;
        p->depth = in->depth + 1;
        *out = p;
        return STRATA_OK;
    }
    if (e->kind != QRY_EXPR_BINARY) return STRATA_OK;
    qry_op op = e->u.bin.op;
    if (op != QRY_OP_AND && op != QRY_OP_OR) {
        if (qry_expr_is_time_ref(e->u.bin.lhs) || qry_expr_is_time_ref(e->u.bin.rhs)) *out = NULL;
        return STRATA_OK;
    }
    const qry_expr *l, *r;
    if (strip_time(c, e->u.bin.lhs, &l) != STRATA_OK ||
        strip_time(c, e->u.bin.rhs, &r) != STRATA_OK)
        return STRATA_ENOMEM;
    if (op == QRY_OP_OR && (l == NULL || r == NULL)) {
        *out = NULL; /* true OR x */
        return STRATA_OK;
    }
    if (l == NULL || r == NULL) {
        *out = l ? l : r; /* true AND x */
        return STRATA_OK;
    }
    if (l == e->u.bin.lhs && r == e->u.bin.rhs) return STRATA_OK;
    *out = new_bin(c, op, l, r);
    return *out ? STRATA_OK : STRATA_ENOMEM;
}

/* cond with its time range replaced by [start, end). */
static int set_time_range(qry_ctx *c, const qry_expr *cond, int64_t start, int64_t end,
                          const qry_expr **out)
{
    const qry_expr *rest = NULL;
    if (cond && strip_time(c, cond, &rest) != STRATA_OK) return STRATA_ENOMEM;
    qry_expr *t1 = new_expr(c, QRY_EXPR_VARREF), *t2 = new_expr(c, QRY_EXPR_VARREF);
    qry_expr *v1 = new_expr(c, QRY_EXPR_INTEGER), *v2 = new_expr(c, QRY_EXPR_INTEGER);
    if (!t1 || !t2 || !v1 || !v2) return STRATA_ENOMEM;
    t1->u.ref.name = t2->u.ref.name = (qry_str){"time", 4};
    v1->u.i64 = start;
    v2->u.i64 = end;
    qry_expr *ge = new_bin(c, QRY_OP_GTE, t1, v1), *lt = new_bin(c, QRY_OP_LT, t2, v2);
    if (!ge || !lt) return STRATA_ENOMEM;
    qry_expr *range = new_bin(c, QRY_OP_AND, ge, lt);
    if (range == NULL) return STRATA_ENOMEM;
    *out = rest ? new_bin(c, QRY_OP_AND, rest, range) : range;
    return *out ? STRATA_OK : STRATA_ENOMEM;
}

/* Capture of the SELECT INTO's answer: the "written" column. */
typedef struct written_cap {
    uint64_t n;
} written_cap;

static int wc_series(void *ctx, const char *name, size_t nlen, const qry_tagv *tags, size_t ntags,
                     const char *const *cols, const size_t *col_lens, size_t ncols)
{
    (void)ctx, (void)name, (void)nlen, (void)tags, (void)ntags, (void)cols, (void)col_lens;
    (void)ncols;
    return STRATA_OK;
}

static int wc_row(void *ctx, const qry_val *vals)
{
    written_cap *w = ctx;
    if (vals[1].t == QRY_V_INT && vals[1].v.i > 0) w->n = (uint64_t)vals[1].v.i;
    return STRATA_OK;
}

int qry_cq_exec(stg_engine *e, const char *db, const char *text, size_t len, int64_t start,
                int64_t end, const qry_limits *lim, uint64_t *written, strata_error *err)
{
    static const qry_limits nolim;
    if (lim == NULL) lim = &nolim;
    *written = 0;
    strata_arena arena;
    strata_arena_init(&arena, 0);
    qry_rematch *rm = NULL;
    qry_query *q = NULL;
    qry_parse_opts po;
    memset(&po, 0, sizeof po);
    po.now_ns = end;
    int rc = qry_parse_ex(text, len, &po, &arena, &q, err);
    if (rc != STRATA_OK) goto done;
    if (q->nstmts != 1 || q->stmts[0]->kind != QRY_STMT_CREATE_CONTINUOUS_QUERY ||
        q->stmts[0]->u.cq.select == NULL || q->stmts[0]->u.cq.select->target == NULL) {
        rc = strata_error_set(err, STRATA_EINVAL, "query isn't a valid continuous query");
        goto done;
    }
    const qry_select *src = q->stmts[0]->u.cq.select;
    if (src->is_raw) {
        rc = strata_error_set(err, STRATA_EINVAL, "continuous queries must be aggregate queries");
        goto done;
    }
    if ((rm = qry__rematch_new()) == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto done;
    }

    written_cap wc = {0};
    qry_writer w;
    memset(&w, 0, sizeof w);
    w.fmt = QRY_WFMT_CAPTURE;
    w.cap_series = wc_series;
    w.cap_row = wc_row;
    w.cap_ctx = &wc;
    qry_request req;
    memset(&req, 0, sizeof req);
    req.db = db;
    req.now_ns = end;
    qry_ctx c;
    memset(&c, 0, sizeof c);
    c.e = e;
    c.lim = lim;
    c.req = &req;
    c.w = &w;
    c.arena = &arena;
    c.now_ns = end;
    c.db = db;
    c.rm = rm;
    c.err = err;
    c.points_limit = lim->max_points;
    if (lim->timeout_ns > 0) c.deadline_mono = strata_mono_ns() + lim->timeout_ns;

    qry_select sel = *src;
    if ((rc = set_time_range(&c, src->cond, start, end, (const qry_expr **)&sel.cond)) !=
        STRATA_OK) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    qry_stmt st;
    memset(&st, 0, sizeof st);
    st.kind = QRY_STMT_SELECT;
    st.u.sel.select = &sel;
    rc = qry__exec_into(&c, &st);
    qry__re_free_all(c.res);
    qry__tz_free(c.stmt_tz);
    if (rc == STRATA_OK) *written = wc.n;
    if (rc != STRATA_OK && err && err->msg[0] == 0)
        strata_error_set(err, rc, "%s", strata_strerror(rc));
done:
    qry__rematch_free(rm);
    strata_arena_fini(&arena);
    return rc;
}

/* ---- the runner ----------------------------------------------------------------------------- */

/* What the runner remembers of one CQ. */
typedef struct cq_state {
    uint32_t db;
    char *name;
    size_t nlen;
    uint64_t seq;
    char *text; /* the definition the timing was read from */
    int has_run;
    int restored; /* has_run/last_run come from the catalog: the next run may catch up */
    int64_t last_run;
    int64_t resume; /* INT64_MIN or the end of the last finished slice of the run */
    int bad;        /* the definition does not parse: warned once, skipped */
    qry_cq_timing timing;
    int seen; /* in this tick's listing */
} cq_state;

struct qry_cq_runner {
    stg_engine *e;
    qry_cq_config cfg;
    pthread_mutex_t mu;
    atomic_int cancelled;
    cq_state *v;
    size_t n, cap;
};

int qry_cq_runner_new(stg_engine *e, const qry_cq_config *cfg, qry_cq_runner **out,
                      strata_error *err)
{
    qry_cq_runner *r = calloc(1, sizeof *r);
    if (r == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    r->e = e;
    r->cfg = *cfg;
    if (r->cfg.slice_windows == 0) r->cfg.slice_windows = 10000;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return strata_error_set(err, STRATA_ENOMEM, "cannot create the CQ runner's mutex");
    }
    atomic_init(&r->cancelled, 0);
    *out = r;
    return STRATA_OK;
}

void qry_cq_runner_free(qry_cq_runner *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].name);
        free(r->v[i].text);
    }
    free(r->v);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void qry_cq_runner_cancel(qry_cq_runner *r)
{
    atomic_store(&r->cancelled, 1);
}

/* A CQ of this tick's listing. */
typedef struct cq_item {
    char *name;
    size_t nlen;
    uint64_t seq;
    char *text;
    size_t tlen;
} cq_item;

typedef struct cq_items {
    cq_item *v;
    size_t n, cap;
    int oom;
} cq_items;

static int items_cb(void *ctx, const char *name, size_t name_len, const void *val, size_t vlen)
{
    cq_items *l = ctx;
    qry_cq_rec rec;
    if (qry__cq_rec_decode(val, vlen, &rec) != STRATA_OK) return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        cq_item *nv = realloc(l->v, nc * sizeof *nv);
        if (nv == NULL) return l->oom = 1;
        l->v = nv;
        l->cap = nc;
    }
    cq_item *it = &l->v[l->n];
    it->name = malloc(name_len + 1);
    it->text = malloc(rec.text_len + 1);
    if (it->name == NULL || it->text == NULL) {
        free(it->name);
        free(it->text);
        return l->oom = 1;
    }
    memcpy(it->name, name, name_len);
    it->name[name_len] = 0;
    memcpy(it->text, rec.text, rec.text_len);
    it->text[rec.text_len] = 0;
    it->nlen = name_len;
    it->tlen = rec.text_len;
    it->seq = rec.seq;
    l->n++;
    return 0;
}

static void items_free(cq_items *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].text);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int item_by_seq(const void *a, const void *b)
{
    const cq_item *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct db_ent {
    char *name;
    uint32_t id;
} db_ent;

typedef struct db_list {
    db_ent *v;
    size_t n, cap;
    int oom;
} db_list;

static int dbs_cb(void *ctx, const char *name, size_t len, uint32_t id)
{
    db_list *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        db_ent *nv = realloc(l->v, nc * sizeof *nv);
        if (nv == NULL) return l->oom = 1;
        l->v = nv;
        l->cap = nc;
    }
    if ((l->v[l->n].name = malloc(len + 1)) == NULL) return l->oom = 1;
    memcpy(l->v[l->n].name, name, len);
    l->v[l->n].name[len] = 0;
    l->v[l->n].id = id;
    l->n++;
    return 0;
}

static int db_by_id(const void *a, const void *b)
{
    const db_ent *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The state of CQ (db, name), created when new or when seq changed (dropped and re-created). */
static cq_state *state_of(qry_cq_runner *r, const db_ent *dbe, const cq_item *it)
{
    uint32_t db = dbe->id;
    cq_state *s = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].db == db && r->v[i].nlen == it->nlen &&
            memcmp(r->v[i].name, it->name, it->nlen) == 0)
            s = &r->v[i];
    if (s != NULL && s->seq == it->seq && strcmp(s->text, it->text) == 0) return s;
    if (s == NULL) {
        if (r->n == r->cap) {
            size_t nc = r->cap ? r->cap * 2 : 8;
            cq_state *nv = realloc(r->v, nc * sizeof *nv);
            if (nv == NULL) return NULL;
            r->v = nv;
            r->cap = nc;
        }
        char *name = malloc(it->nlen + 1);
        if (name == NULL) return NULL;
        memcpy(name, it->name, it->nlen + 1);
        s = &r->v[r->n++];
        memset(s, 0, sizeof *s); /* text NULL: filled below */
        s->name = name;
        s->nlen = it->nlen;
        s->db = db;
    }
    char *text = malloc(it->tlen + 1);
    if (text == NULL) return NULL;
    memcpy(text, it->text, it->tlen + 1);
    free(s->text);
    char *name = s->name;
    size_t nlen = s->nlen;
    memset(s, 0, sizeof *s);
    s->name = name;
    s->nlen = nlen;
    s->text = text;
    s->db = db;
    s->seq = it->seq;
    s->resume = INT64_MIN;

    /* the definition's timing */
    strata_arena a;
    strata_arena_init(&a, 0);
    qry_query *q = NULL;
    strata_error perr;
    if (qry_parse(it->text, it->tlen, NULL, 0, &a, &q, &perr) != STRATA_OK || q->nstmts != 1 ||
        q->stmts[0]->kind != QRY_STMT_CREATE_CONTINUOUS_QUERY ||
        qry_cq_timing_of(&q->stmts[0]->u.cq, &s->timing, &perr) != STRATA_OK) {
        s->bad = 1;
        strata_log(r->cfg.log, STRATA_LOG_WARN, "cq",
                   "continuous query %s on %s cannot be run: %s (drop and re-create it)", s->name,
                   dbe->name, perr.msg);
    }
    strata_arena_fini(&a);

    /* the last run recorded by an earlier process */
    void *val = NULL;
    size_t vlen = 0;
    qry_cqrun_rec rec;
    if (stg_catalog_get(r->e, db, STG_CAT_CQRUN, it->name, it->nlen, &val, &vlen, NULL) ==
            STRATA_OK &&
        qry__cqrun_rec_decode(val, vlen, &rec) == STRATA_OK && rec.seq == it->seq) {
        s->has_run = 1;
        s->restored = 1;
        s->last_run = rec.last_run;
        s->resume = rec.resume;
    }
    free(val);
    return s;
}

static void save_state(qry_cq_runner *r, const cq_state *s, int64_t last_run, int64_t resume)
{
    qry_cqrun_rec rec = {s->seq, last_run, resume};
    uint8_t buf[QRY_CQRUN_REC_SIZE];
    qry__cqrun_rec_encode(&rec, buf);
    strata_error err;
    if (stg_catalog_put(r->e, s->db, STG_CAT_CQRUN, s->name, s->nlen, buf, sizeof buf, &err) !=
        STRATA_OK)
        strata_log(r->cfg.log, STRATA_LOG_WARN, "cq",
                   "continuous query %s: cannot record its last run (%s); after a restart its "
                   "windows may be computed again",
                   s->name, err.msg);
}

static void fmt_time(int64_t ns, char *buf)
{
    size_t n = qry__fmt_time(ns, NULL, buf);
    buf[n] = 0;
}

/* Run one CQ if due. @return STRATA_OK or STRATA_ECLOSED (cancelled). */
static int run_one(qry_cq_runner *r, const db_ent *db, cq_state *s, const cq_item *it, int64_t now,
                   qry_cq_stats *st)
{
    if (s->bad) return STRATA_OK;
    qry_cq_window w;
    qry_cq_schedule(&s->timing, s->has_run, s->last_run, now, &w);
    if (!w.run) return STRATA_OK;
    int64_t start = w.start, end = w.end;
    if (s->restored) {
        int64_t lo = qry_cq_catchup_floor(&s->timing, now, r->cfg.max_catchup_ns);
        if (start < lo) {
            char a[QRY_FMT_TIME_MAX], b[QRY_FMT_TIME_MAX];
            fmt_time(start, a);
            fmt_time(lo, b);
            strata_log(r->cfg.log, STRATA_LOG_WARN, "cq",
                       "continuous query %s on %s: windows from %s to %s were missed and are "
                       "beyond the catch-up limit (cq max-catchup): not computed",
                       s->name, db->name, a, b);
            start = lo;
        }
        if (s->resume != INT64_MIN && s->resume > start && s->resume < end) start = s->resume;
    }
    if (end <= start) {
        s->has_run = 1;
        s->restored = 0;
        s->last_run = w.last_run;
        s->resume = INT64_MIN;
        save_state(r, s, s->last_run, INT64_MIN);
        return STRATA_OK;
    }

    int64_t t0 = strata_mono_ns();
    uint64_t written = 0;
    int rc = STRATA_OK;
    strata_error err;
    strata_error_clear(&err);
    __int128 slice = (__int128)r->cfg.slice_windows * s->timing.interval_ns;
    for (int64_t a = start; a < end;) {
        if (atomic_load(&r->cancelled)) return STRATA_ECLOSED; /* not recorded: redone later */
        int64_t b = (__int128)end - a > slice ? (int64_t)(a + slice) : end;
        uint64_t n = 0;
        rc = qry_cq_exec(r->e, db->name, it->text, it->tlen, a, b, r->cfg.lim, &n, &err);
        written += n;
        if (rc != STRATA_OK) break;
        if (b < end) save_state(r, s, s->last_run, b); /* a restart resumes here */
        a = b;
    }
    int64_t dur = strata_mono_ns() - t0;
    char a[QRY_FMT_TIME_MAX], b[QRY_FMT_TIME_MAX];
    fmt_time(start, a);
    fmt_time(end, b);
    st->runs++;
    st->written += written;
    if (rc != STRATA_OK) {
        st->failures++;
        strata_log(r->cfg.log, STRATA_LOG_WARN, "cq",
                   "continuous query %s on %s failed for [%s, %s) after %.3f ms (%llu points "
                   "written): %s",
                   s->name, db->name, a, b, dur / 1e6, (unsigned long long)written, err.msg);
    } else {
        strata_log(r->cfg.log, r->cfg.run_level, "cq",
                   "continuous query %s on %s: [%s, %s) %llu points written in %.3f ms", s->name,
                   db->name, a, b, (unsigned long long)written, dur / 1e6);
    }
    /* as InfluxDB: a failed run is not retried (its windows come again only through FOR) */
    s->has_run = 1;
    s->restored = 0;
    s->last_run = w.last_run;
    s->resume = INT64_MIN;
    save_state(r, s, s->last_run, INT64_MIN);
    return STRATA_OK;
}

int qry_cq_runner_tick(qry_cq_runner *r, int64_t now_ns, qry_cq_stats *st, strata_error *err)
{
    qry_cq_stats dummy;
    if (st == NULL) st = &dummy;
    memset(st, 0, sizeof *st);
    if (atomic_load(&r->cancelled))
        return strata_error_set(err, STRATA_ECLOSED, "continuous queries are stopping");
    pthread_mutex_lock(&r->mu);
    db_list dbs = {0};
    int rc = stg_db_list(r->e, dbs_cb, &dbs, err);
    if (rc == STRATA_OK && dbs.oom) rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
    if (rc != STRATA_OK) goto done;
    if (dbs.n > 1) qsort(dbs.v, dbs.n, sizeof *dbs.v, db_by_id);
    for (size_t i = 0; i < r->n; i++)
        r->v[i].seen = 0;
    for (size_t i = 0; i < dbs.n && rc == STRATA_OK; i++) {
        cq_items items = {0};
        rc = stg_catalog_list(r->e, dbs.v[i].id, STG_CAT_CQ, items_cb, &items, err);
        if (rc == STRATA_OK && items.oom)
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        if (rc == STRATA_OK && items.n > 1) qsort(items.v, items.n, sizeof *items.v, item_by_seq);
        for (size_t k = 0; k < items.n && rc == STRATA_OK; k++) {
            cq_state *s = state_of(r, &dbs.v[i], &items.v[k]);
            if (s == NULL) {
                rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                break;
            }
            s->seen = 1;
            rc = run_one(r, &dbs.v[i], s, &items.v[k], now_ns, st);
            if (rc == STRATA_ECLOSED) strata_error_set(err, rc, "continuous queries are stopping");
        }
        items_free(&items);
    }
    if (rc == STRATA_OK) {
        /* forget dropped queries (and those of dropped databases) */
        size_t k = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (r->v[i].seen) {
                r->v[k++] = r->v[i];
            } else {
                free(r->v[i].name);
                free(r->v[i].text);
            }
        }
        r->n = k;
    }
done:
    for (size_t i = 0; i < dbs.n; i++)
        free(dbs.v[i].name);
    free(dbs.v);
    pthread_mutex_unlock(&r->mu);
    return rc;
}
