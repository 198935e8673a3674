/*
 * query/meta_cq.c: CREATE CONTINUOUS QUERY, DROP CONTINUOUS QUERY and SHOW
 * CONTINUOUS QUERIES, with InfluxDB 1.6.7's answers, over the engine's
 * catalog (records described in query/cq_int.h). The runner (query/cq.c)
 * reads what these statements write.
 *
 * CREATE normalizes the SELECT as InfluxDB's statement executor does: every
 * measurement (the INTO target first, then the sources, subqueries
 * included) gets a database (the request's db parameter, else the CQ's ON
 * database) that must exist ("database not found: x") and a retention
 * policy (the database's default); then every retention policy must exist
 * ("retention policy not found: db.rp"), then the ON database. The
 * normalized statement, printed as InfluxDB's String() does, is what SHOW
 * displays and what "already exists" compares: the same name with the same
 * text is accepted again, another text is "continuous query already
 * exists". DROP of an unknown query or database succeeds silently, as in
 * InfluxDB 1.6.7. Raw (non-aggregate) queries are accepted here and fail
 * when they run, as in InfluxDB.
 *
 * Creates are serialised by a process-wide mutex so that the check and the
 * write are one step; the catalog itself is thread-safe.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "query/cq_int.h"
#include "query/meta_int.h"
#include "storage/catalog.h"
#include "storage/retention.h"

static pthread_mutex_t cq_create_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- records -------------------------------------------------------------------------------- */

int qry__cq_rec_decode(const void *val, size_t vlen, qry_cq_rec *out)
{
    const uint8_t *p = val;
    if (vlen < QRY_CQ_REC_HEAD || p[0] != QRY_CQ_REC_VERSION) return STRATA_ECORRUPT;
    uint32_t n = strata_get_be32(p + 9);
    if (n > vlen - QRY_CQ_REC_HEAD) return STRATA_ECORRUPT;
    out->seq = strata_get_be64(p + 1);
    out->shown = (const char *)p + QRY_CQ_REC_HEAD;
    out->shown_len = n;
    out->text = out->shown + n;
    out->text_len = vlen - QRY_CQ_REC_HEAD - n;
    return STRATA_OK;
}

void qry__cqrun_rec_encode(const qry_cqrun_rec *r, uint8_t out[QRY_CQRUN_REC_SIZE])
{
    out[0] = QRY_CQ_REC_VERSION;
    strata_put_be64(out + 1, r->seq);
    strata_put_be64s(out + 9, r->last_run);
    strata_put_be64s(out + 17, r->resume);
}

int qry__cqrun_rec_decode(const void *val, size_t vlen, qry_cqrun_rec *out)
{
    const uint8_t *p = val;
    if (vlen != QRY_CQRUN_REC_SIZE || p[0] != QRY_CQ_REC_VERSION) return STRATA_ECORRUPT;
    out->seq = strata_get_be64(p + 1);
    out->last_run = strata_get_be64s(p + 9);
    out->resume = strata_get_be64s(p + 17);
    return STRATA_OK;
}

/* ---- normalization -------------------------------------------------------------------------- */

/* NUL-terminated arena copy of s, or NULL (error set). */
static char *cstr(qry_ctx *c, qry_str s)
{
    return qry__strndup(c, s.ptr, s.len);
}

static int db_exists(qry_ctx *c, qry_str name, uint32_t *id)
{
    char *n = cstr(c, name);
    if (n == NULL) return STRATA_ENOMEM;
    if (name.len == 0 || memchr(name.ptr, 0, name.len) || stg_db_lookup(c->e, n, id) != STRATA_OK)
        return qry__fail(c, STRATA_ENOTFOUND, "database not found: %s", n);
    return STRATA_OK;
}

/* Fill in the database and retention policy of m; the database must exist. */
static int norm_measurement(qry_ctx *c, qry_measurement *m, qry_str defdb)
{
    if (m->db.len == 0) m->db = defdb;
    if (m->db.len == 0) return qry__fail(c, STRATA_EINVAL, "database name required");
    uint32_t id;
    int rc = db_exists(c, m->db, &id);
    if (rc != STRATA_OK) return rc;
    if (m->rp.len == 0) {
        /* the database's default policy, by name (InfluxDB's NormalizeStatement) */
        stg_rp_info info;
        strata_error e2;
        char *n = cstr(c, m->db);
        if (n == NULL) return STRATA_ENOMEM;
        const char *def = "autogen";
        if (stg_rp_resolve(c->e, n, NULL, &info, &e2) == STRATA_OK) def = info.name;
        if ((m->rp.ptr = qry__strndup(c, def, strlen(def))) == NULL) return STRATA_ENOMEM;
        m->rp.len = strlen(def);
    }
    return STRATA_OK;
}

/*
 * A copy of s (arena memory) with every measurement normalized, in InfluxDB's
 * walk order: the target, then the sources (subqueries depth first).
 */
static int norm_select(qry_ctx *c, const qry_select *s, qry_str defdb, qry_select **out)
{
    qry_select *n = qry__alloc(c, sizeof *n);
    qry_source *srcs = qry__alloc(c, (s->nsources ? s->nsources : 1) * sizeof *srcs);
    if (n == NULL || srcs == NULL) return STRATA_ENOMEM;
    *n = *s;
    int rc;
    if (s->target) {
        qry_measurement *t = qry__alloc(c, sizeof *t);
        if (t == NULL) return STRATA_ENOMEM;
        *t = *s->target;
        if ((rc = norm_measurement(c, t, defdb)) != STRATA_OK) return rc;
        n->target = t;
    }
    n->sources = srcs;
    for (uint32_t i = 0; i < s->nsources; i++) {
        srcs[i] = s->sources[i];
        if (srcs[i].kind == QRY_SRC_SUBQUERY)
            rc = norm_select(c, s->sources[i].sub, defdb, &srcs[i].sub);
        else
            rc = norm_measurement(c, &srcs[i].m, defdb);
        if (rc != STRATA_OK) return rc;
    }
    *out = n;
    return STRATA_OK;
}

/* Does retention policy rp of database db exist (storage/retention.h)? */
static int rp_exists(qry_ctx *c, qry_str db, qry_str rp)
{
    stg_rp_info info;
    strata_error e2;
    char *n = cstr(c, db), *r = cstr(c, rp);
    return n && r && rp.len && stg_rp_resolve(c->e, n, r, &info, &e2) == STRATA_OK;
}

static int rp_missing(qry_ctx *c, const qry_measurement *m)
{
    return qry__fail(c, STRATA_ENOTFOUND, "retention policy not found: %.*s.%.*s", (int)m->db.len,
                     m->db.ptr, (int)m->rp.len, m->rp.ptr);
}

static int check_rps(qry_ctx *c, const qry_select *s)
{
    if (s->target && !rp_exists(c, s->target->db, s->target->rp)) return rp_missing(c, s->target);
    for (uint32_t i = 0; i < s->nsources; i++) {
        const qry_source *src = &s->sources[i];
        if (src->kind == QRY_SRC_SUBQUERY) {
            int rc = check_rps(c, src->sub);
            if (rc != STRATA_OK) return rc;
        } else if (!rp_exists(c, src->m.db, src->m.rp)) {
            return rp_missing(c, &src->m);
        }
    }
    return STRATA_OK;
}

/* The statement printed in mode (arena memory). */
static char *format_stmt(qry_ctx *c, const qry_stmt *s, qry_fmt_mode mode, size_t *len)
{
    size_t n = qry_stmt_format_mode(s, mode, NULL, 0);
    char *buf = qry__alloc(c, n + 1);
    if (buf == NULL) return NULL;
    qry_stmt_format_mode(s, mode, buf, n + 1);
    *len = n;
    return buf;
}

static void read_only_warning(qry_ctx *c, const char *text)
{
    if (!(c->req && c->req->read_only)) return;
    size_t n = strlen(text) + 100;
    char *buf = qry__alloc(c, n);
    if (buf == NULL) return;
    snprintf(buf, n,
             "deprecated use of '%s' in a read only context, please use a POST request instead",
             text);
    qry_writer_stmt_message(c->w, "warning", buf);
}

/* ---- CREATE --------------------------------------------------------------------------------- */

typedef struct seq_scan {
    uint64_t max;
} seq_scan;

static int seq_cb(void *ctx, const char *name, size_t name_len, const void *val, size_t vlen)
{
    (void)name;
    (void)name_len;
    seq_scan *sc = ctx;
    qry_cq_rec r;
    if (qry__cq_rec_decode(val, vlen, &r) == STRATA_OK && r.seq > sc->max) sc->max = r.seq;
    return 0;
}

static int store_cq(qry_ctx *c, uint32_t db, qry_str name, const char *shown, size_t shown_len,
                    const char *text, size_t text_len)
{
    void *old = NULL;
    size_t olen = 0;
    int rc = stg_catalog_get(c->e, db, STG_CAT_CQ, name.ptr, name.len, &old, &olen, c->err);
    if (rc == STRATA_OK) {
        qry_cq_rec r;
        int same = qry__cq_rec_decode(old, olen, &r) == STRATA_OK && r.shown_len == shown_len &&
                   memcmp(r.shown, shown, shown_len) == 0;
        free(old);
        return same ? STRATA_OK : qry__fail(c, STRATA_EEXIST, "continuous query already exists");
    }
    if (rc != STRATA_ENOTFOUND) return rc;
    seq_scan sc = {0};
    rc = stg_catalog_list(c->e, db, STG_CAT_CQ, seq_cb, &sc, c->err);
    if (rc != STRATA_OK) return rc;
    size_t vlen = QRY_CQ_REC_HEAD + shown_len + text_len;
    if (vlen > STG_CAT_VALUE_MAX || shown_len > UINT32_MAX)
        return qry__fail(c, STRATA_EINVAL, "continuous query too long");
    uint8_t *val = qry__alloc(c, vlen);
    if (val == NULL) return STRATA_ENOMEM;
    /* creation order, and never the seq of a dropped query of the same name: the runner tells
     * a re-created query from the old one by it */
    uint64_t seq = sc.max + 1, t = (uint64_t)strata_now_ns();
    if (t > seq) seq = t;
    val[0] = QRY_CQ_REC_VERSION;
    strata_put_be64(val + 1, seq);
    strata_put_be32(val + 9, (uint32_t)shown_len);
    memcpy(val + QRY_CQ_REC_HEAD, shown, shown_len);
    memcpy(val + QRY_CQ_REC_HEAD + shown_len, text, text_len);
    /* a run record left by an earlier query of that name must not apply to this one */
    rc = stg_catalog_del(c->e, db, STG_CAT_CQRUN, name.ptr, name.len, c->err);
    if (rc != STRATA_OK && rc != STRATA_ENOTFOUND) return rc;
    strata_error_clear(c->err);
    return stg_catalog_put(c->e, db, STG_CAT_CQ, name.ptr, name.len, val, vlen, c->err);
}

static int create_cq(qry_ctx *c, const qry_stmt *s)
{
    const qry_cq_stmt *cq = &s->u.cq;
    qry_str defdb = c->db && c->db[0] ? (qry_str){c->db, strlen(c->db)} : cq->db;
    qry_select *sel = NULL;
    int rc = norm_select(c, cq->select, defdb, &sel);
    if (rc != STRATA_OK) return rc;
    if ((rc = check_rps(c, sel)) != STRATA_OK) return rc;
    uint32_t db;
    if ((rc = db_exists(c, cq->db, &db)) != STRATA_OK) return rc;
    if (cq->name.len == 0 || cq->name.len > STG_CAT_NAME_MAX)
        return qry__fail(c, STRATA_EINVAL, "invalid continuous query name");

    qry_stmt ns = *s;
    ns.u.cq.select = sel;
    size_t shown_len, text_len;
    char *shown = format_stmt(c, &ns, QRY_FMT_INFLUX, &shown_len);
    char *text = format_stmt(c, &ns, QRY_FMT_CANONICAL, &text_len);
    if (shown == NULL || text == NULL) return STRATA_ENOMEM;

    qry_writer_stmt_begin(c->w, c->stmt_id, QRY_STMT_MODE_ONE, NULL);
    read_only_warning(c, shown);
    pthread_mutex_lock(&cq_create_mu);
    rc = store_cq(c, db, cq->name, shown, shown_len, text, text_len);
    pthread_mutex_unlock(&cq_create_mu);
    if (rc != STRATA_OK) return rc;
    return qry_writer_stmt_end(c->w);
}

/* ---- DROP ----------------------------------------------------------------------------------- */

static int drop_cq(qry_ctx *c, const qry_stmt *s)
{
    const qry_cq_stmt *cq = &s->u.cq;
    qry_writer_stmt_begin(c->w, c->stmt_id, QRY_STMT_MODE_ONE, NULL);
    if (c->req && c->req->read_only) {
        size_t n;
        char *text = format_stmt(c, s, QRY_FMT_INFLUX, &n);
        if (text == NULL) return STRATA_ENOMEM;
        read_only_warning(c, text);
    }
    char *dbn = cstr(c, cq->db);
    if (dbn == NULL) return STRATA_ENOMEM;
    uint32_t db;
    /* InfluxDB 1.6.7 answers success for an unknown database or query */
    if (cq->name.len && cq->name.len <= STG_CAT_NAME_MAX && !memchr(cq->db.ptr, 0, cq->db.len) &&
        stg_db_lookup(c->e, dbn, &db) == STRATA_OK) {
        pthread_mutex_lock(&cq_create_mu);
        int rc = stg_catalog_del(c->e, db, STG_CAT_CQ, cq->name.ptr, cq->name.len, c->err);
        if (rc == STRATA_OK || rc == STRATA_ENOTFOUND)
            rc = stg_catalog_del(c->e, db, STG_CAT_CQRUN, cq->name.ptr, cq->name.len, c->err);
        pthread_mutex_unlock(&cq_create_mu);
        if (rc != STRATA_OK && rc != STRATA_ENOTFOUND) return rc;
        strata_error_clear(c->err);
    }
    return qry_writer_stmt_end(c->w);
}

int qry__exec_cq_stmt(qry_ctx *c, const qry_stmt *s)
{
    switch (s->kind) {
    case QRY_STMT_CREATE_CONTINUOUS_QUERY:
        return create_cq(c, s);
    case QRY_STMT_DROP_CONTINUOUS_QUERY:
        return drop_cq(c, s);
    default:
        return qry__fail(c, STRATA_EINTERNAL, "not a continuous query statement");
    }
}

/* ---- SHOW ----------------------------------------------------------------------------------- */

typedef struct show_db {
    char *name;
    size_t len;
    uint32_t id;
} show_db;

typedef struct show_cq {
    uint64_t seq;
    char *name, *shown;
    size_t nlen, slen;
} show_cq;

typedef struct show_list {
    qry_ctx *c;
    show_db *dbs;
    show_cq *cqs;
    size_t n, cap;
} show_list;

static int grow(show_list *l, size_t elem, void **arr)
{
    if (l->n < l->cap) return 0;
    size_t nc = l->cap ? l->cap * 2 : 16;
    void *nv = qry__alloc(l->c, nc * elem);
    if (nv == NULL) return 1;
    if (l->n) memcpy(nv, *arr, l->n * elem);
    *arr = nv;
    l->cap = nc;
    return 0;
}

static int show_db_cb(void *ctx, const char *name, size_t len, uint32_t id)
{
    show_list *l = ctx;
    if (grow(l, sizeof *l->dbs, (void **)&l->dbs)) return 1;
    show_db *d = &l->dbs[l->n];
    if ((d->name = qry__strndup(l->c, name, len)) == NULL) return 1;
    d->len = len;
    d->id = id;
    l->n++;
    return 0;
}

static int show_cq_cb(void *ctx, const char *name, size_t name_len, const void *val, size_t vlen)
{
    show_list *l = ctx;
    qry_cq_rec r;
    if (qry__cq_rec_decode(val, vlen, &r) != STRATA_OK) return 0; /* unreadable: not listed */
    if (grow(l, sizeof *l->cqs, (void **)&l->cqs)) return 1;
    show_cq *q = &l->cqs[l->n];
    q->seq = r.seq;
    q->name = qry__strndup(l->c, name, name_len);
    q->shown = qry__strndup(l->c, r.shown, r.shown_len);
    if (q->name == NULL || q->shown == NULL) return 1;
    q->nlen = name_len;
    q->slen = r.shown_len;
    l->n++;
    return 0;
}

static int db_by_id(const void *a, const void *b)
{
    const show_db *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cq_by_seq(const void *a, const void *b)
{
    const show_cq *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int qry__show_cqs(qry_ctx *c)
{
    show_list dl = {c, NULL, NULL, 0, 0};
    int rc = stg_db_list(c->e, show_db_cb, &dl, c->err);
    if (rc > 0) return qry__fail(c, STRATA_ENOMEM, "out of memory");
    if (rc != STRATA_OK) return rc;
    /* InfluxDB lists databases in creation order */
    if (dl.n > 1) qsort(dl.dbs, dl.n, sizeof *dl.dbs, db_by_id);
    static const char *const cols[] = {"name", "query"};
    for (size_t i = 0; i < dl.n; i++) {
        show_list ql = {c, NULL, NULL, 0, 0};
        rc = stg_catalog_list(c->e, dl.dbs[i].id, STG_CAT_CQ, show_cq_cb, &ql, c->err);
        if (rc > 0) return qry__fail(c, STRATA_ENOMEM, "out of memory");
        if (rc != STRATA_OK) return rc;
        if (ql.n > 1) qsort(ql.cqs, ql.n, sizeof *ql.cqs, cq_by_seq);
        if ((rc = qry__meta_series(c, dl.dbs[i].name, dl.dbs[i].len, cols, 2)) != STRATA_OK)
            return rc;
        for (size_t k = 0; k < ql.n && rc == STRATA_OK; k++) {
            qry_val row[2] = {qry_val_s(ql.cqs[k].name, ql.cqs[k].nlen),
                              qry_val_s(ql.cqs[k].shown, ql.cqs[k].slen)};
            rc = qry__meta_row(c, row);
        }
        qry_writer_series_end(c->w);
        if (rc != STRATA_OK) return rc;
    }
    return STRATA_OK;
}
