/*
 * query/meta_show.c: SHOW MEASUREMENTS, SHOW TAG KEYS, SHOW TAG VALUES,
 * SHOW FIELD KEYS, SHOW SERIES and the cardinality statements, answered
 * from the series index the way InfluxDB 1.6.7 answers them:
 *   - a database that does not exist gives an empty result (no error);
 *   - WHERE takes tag comparisons only (time comparisons are ignored), and
 *     is resolved through the postings (plan_cond.c);
 *   - LIMIT/OFFSET apply to the measurement list (SHOW MEASUREMENTS), to the
 *     rows of each measurement (tag keys, tag values, field keys) or to the
 *     whole list (SHOW SERIES); SLIMIT/SOFFSET are ignored, as in 1.6;
 *   - measurements with nothing to show are left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/meta_int.h"
#include "storage/retention.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static int str_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    if (r) return r;
    return al < bl ? -1 : al > bl;
}

/*
 * Make room for one more element in an arena-backed array: *v holds *n of
 * elem bytes each, *cap of room; grown to double (first: the initial room).
 * The old block stays in the arena. @return 0, or 1 when out of memory.
 */
static int arena_grow(qry_ctx *c, void **v, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : first;
    void *nv = qry__alloc(c, nc * elem);
    if (nv == NULL) return 1;
    if (n) memcpy(nv, *v, n * elem);
    *v = nv;
    *cap = nc;
    return 0;
}

typedef struct mcoll {
    qry_ctx *c;
    qry_mref *v;
    size_t n, cap;
    qry_re *re;
    const char *name;
    size_t nlen;
    int err;
} mcoll;

static int mcoll_add(mcoll *m, const char *name, size_t len, uint32_t mid)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].mid == mid) return 0;
    if (arena_grow(m->c, (void **)&m->v, m->n, &m->cap, sizeof *m->v, 16)) return 1;
    char *d = qry__strndup(m->c, name, len);
    if (d == NULL) return 1;
    m->v[m->n++] = (qry_mref){d, len, mid};
    return 0;
}

static int mcoll_cb(void *ctx, const char *name, size_t len, uint32_t mid)
{
    mcoll *m = ctx;
    if (m->re && !qry__re_match(m->re, m->c->rm, name, len)) return 0;
    if (mcoll_add(m, name, len, mid)) {
        m->err = 1;
        return 1;
    }
    return 0;
}

static int mref_cmp(const void *a, const void *b)
{
    const qry_mref *x = a, *y = b;
    return str_cmp(x->name, x->len, y->name, y->len);
}

int qry__meta_measurements(qry_ctx *c, MDB_txn *txn, uint32_t db, const qry_source *sources,
                           uint32_t nsources, qry_mref **out, size_t *n)
{
    mcoll m;
    memset(&m, 0, sizeof m);
    m.c = c;
    stg_index *idx = stg_engine_index(c->e);
    int rc = STRATA_OK;
    if (nsources == 0) {
        rc = stg_index_meas_list(idx, txn, db, mcoll_cb, &m);
    } else {
        for (uint32_t i = 0; i < nsources && rc == STRATA_OK; i++) {
            const qry_measurement *ms = &sources[i].m;
            if (sources[i].kind != QRY_SRC_MEASUREMENT) continue;
            if (ms->has_regex) {
                if ((rc = qry__re_compile(c, ms->regex.ptr, ms->regex.len, &m.re)) != STRATA_OK)
                    return rc;
                rc = stg_index_meas_list(idx, txn, db, mcoll_cb, &m);
                m.re = NULL;
            } else {
                uint32_t mid;
                int lr = stg_index_meas_lookup(idx, txn, db, ms->name.ptr, ms->name.len, &mid);
                if (lr == STRATA_OK) {
                    if (mcoll_add(&m, ms->name.ptr, ms->name.len, mid)) m.err = 1;
                } else if (lr != STRATA_ENOTFOUND) {
                    rc = lr;
                }
            }
        }
    }
    if (m.err) return qry__fail(c, STRATA_ENOMEM, "out of memory");
    if (rc < 0) return qry__fail(c, rc, "reading the measurements failed");
    if (m.n > 1) qsort(m.v, m.n, sizeof *m.v, mref_cmp);
    *out = m.v;
    *n = m.n;
    return STRATA_OK;
}

static const qry_expr *unparen(const qry_expr *e)
{
    while (e && e->kind == QRY_EXPR_PAREN)
        e = e->u.paren.expr;
    return e;
}

int qry__meta_check_cond(qry_ctx *c, const qry_expr *e)
{
    e = unparen(e);
    if (e == NULL) return STRATA_OK;
    if (e->kind == QRY_EXPR_BOOL) return STRATA_OK;
    if (e->kind != QRY_EXPR_BINARY)
        return qry__fail(c, STRATA_EINVAL, "invalid tag comparison operator");
    switch (e->u.bin.op) {
    case QRY_OP_AND:
    case QRY_OP_OR: {
        int rc = qry__meta_check_cond(c, e->u.bin.lhs);
        return rc == STRATA_OK ? qry__meta_check_cond(c, e->u.bin.rhs) : rc;
    }
    case QRY_OP_EQ:
    case QRY_OP_NEQ:
    case QRY_OP_EQREGEX:
    case QRY_OP_NEQREGEX:
        return STRATA_OK;
    default:
        return qry__fail(c, STRATA_EINVAL, "invalid tag comparison operator");
    }
}

/*
 * Resolve a SHOW's database into the namespaces it reads. InfluxDB 1.6
 * answers SHOW MEASUREMENTS, TAG KEYS, TAG VALUES and SERIES from every
 * retention policy of the database (all = 1; a policy named in FROM is
 * ignored) and the statements it rewrites into SELECTs (field keys, the
 * exact and per-measurement cardinalities) from one: the one FROM names, or
 * the request's, or the default (all = 0). An unknown database is "nothing
 * to show" (*skip = 1), except that a missing name is an error.
 */
static int show_nss(qry_ctx *c, const qry_show *sh, int all, qry_nsset *out, int *skip)
{
    qry_measurement m;
    memset(&m, 0, sizeof m);
    m.db = sh->db;
    *skip = 0;
    out->n = 0;
    if (!all) {
        for (uint32_t i = 0; i < sh->nsources; i++)
            if (sh->sources[i].kind == QRY_SRC_MEASUREMENT && sh->sources[i].m.rp.len) {
                m.rp = sh->sources[i].m.rp;
                break;
            }
    }
    uint32_t ns;
    const char *dbn;
    int rc = qry__resolve_db(c, &m, &ns, &dbn);
    if (rc == STRATA_ENOTFOUND) {
        strata_error_clear(c->err);
        /* the database may exist with its default policy dropped */
        if (!all || stg_db_lookup(c->e, dbn, &ns) != STRATA_OK) {
            *skip = 1;
            return STRATA_OK;
        }
    } else if (rc != STRATA_OK) {
        return rc;
    }
    if (!all) {
        out->v[out->n++] = ns;
        return STRATA_OK;
    }
    rc = qry__meta_namespaces(c, dbn, out);
    if (rc == STRATA_ENOTFOUND) {
        strata_error_clear(c->err);
        *skip = 1;
        return STRATA_OK;
    }
    return rc;
}

/* The WHERE of a SHOW without its time comparisons, checked. */
static int show_cond(qry_ctx *c, const qry_show *sh, const qry_expr **cond)
{
    int64_t lo, hi;
    *cond = NULL;
    if (sh->cond == NULL) return STRATA_OK;
    int rc = qry__cond_split(c, sh->cond, NULL, &lo, &hi, cond);
    if (rc != STRATA_OK) return rc;
    return qry__meta_check_cond(c, *cond);
}

/* Series of a measurement matching cond (tags only). */
static int match_series(qry_ctx *c, MDB_txn *txn, uint32_t db, uint32_t mid, const qry_expr *cond,
                        qry_series **ss, size_t *ns)
{
    return qry__cond_series(c, txn, db, mid, cond, 1, ss, ns);
}

/* ---- shared sets ----------------------------------------------------------------------------- */

typedef struct strset {
    qry_ctx *c;
    qry_str *v;
    size_t n, cap;
    int err;
} strset;

static int strset_add(strset *s, const char *p, size_t n, int copy)
{
    if (arena_grow(s->c, (void **)&s->v, s->n, &s->cap, sizeof *s->v, 16)) return 1;
    const char *d = p;
    if (copy && (d = qry__strndup(s->c, p, n)) == NULL) return 1;
    s->v[s->n++] = (qry_str){d, n};
    return 0;
}

static int qs_cmp(const void *a, const void *b)
{
    const qry_str *x = a, *y = b;
    return str_cmp(x->ptr, x->len, y->ptr, y->len);
}

static void strset_sort_unique(strset *s)
{
    if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, qs_cmp);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (k == 0 || qs_cmp(&s->v[i], &s->v[k - 1]) != 0) s->v[k++] = s->v[i];
    s->n = k;
}

static int keys_cb(void *ctx, const char *k, size_t kl)
{
    strset *s = ctx;
    if (strset_add(s, k, kl, 1)) {
        s->err = 1;
        return 1;
    }
    return 0;
}

/* Tag keys of a measurement (of its series matching cond), sorted. */
static int tag_keys_of(qry_ctx *c, MDB_txn *txn, uint32_t db, uint32_t mid, const qry_expr *cond,
                       strset *out)
{
    memset(out, 0, sizeof *out);
    out->c = c;
    if (cond == NULL) {
        int rc = stg_index_tag_keys(stg_engine_index(c->e), txn, db, mid, keys_cb, out);
        if (out->err) return qry__fail(c, STRATA_ENOMEM, "out of memory");
        return rc < 0 ? qry__fail(c, rc, "reading tag keys failed") : STRATA_OK;
    }
    qry_series *ss;
    size_t ns;
    int rc = match_series(c, txn, db, mid, cond, &ss, &ns);
    if (rc != STRATA_OK) return rc;
    for (size_t i = 0; i < ns; i++)
        for (uint32_t k = 0; k < ss[i].ntags; k++)
            if (strset_add(out, ss[i].tags[k].key, ss[i].tags[k].key_len, 0))
                return qry__fail(c, STRATA_ENOMEM, "out of memory");
    strset_sort_unique(out);
    return STRATA_OK;
}

static void window(const qry_show *sh, size_t n, size_t *from, size_t *to)
{
    *from = sh->offset > 0 ? (size_t)sh->offset : 0;
    *to = n;
    if (*from > *to) *from = *to;
    if (sh->limit > 0 && *to - *from > (size_t)sh->limit) *to = *from + (size_t)sh->limit;
}

typedef struct kv {
    qry_str k, v;
} kv;

typedef struct kvset {
    qry_ctx *c;
    kv *v;
    size_t n, cap;
    qry_str key;
    int err;
} kvset;

static int kv_add(kvset *s, qry_str k, const char *v, size_t vl, int copy)
{
    if (arena_grow(s->c, (void **)&s->v, s->n, &s->cap, sizeof *s->v, 32)) return 1;
    const char *d = v;
    if (copy && (d = qry__strndup(s->c, v, vl)) == NULL) return 1;
    s->v[s->n].k = k;
    s->v[s->n].v = (qry_str){d, vl};
    s->n++;
    return 0;
}

static int vals_cb(void *ctx, const char *v, size_t vl)
{
    kvset *s = ctx;
    if (kv_add(s, s->key, v, vl, 1)) {
        s->err = 1;
        return 1;
    }
    return 0;
}

/* Does tag key k pass the WITH KEY selector? */
static int key_selected(qry_ctx *c, const qry_show *sh, qry_re *re, const char *k, size_t kl)
{
    switch (sh->key_op) {
    case QRY_KEY_EQ:
        return sh->nkeys && sh->keys[0].len == kl && memcmp(sh->keys[0].ptr, k, kl) == 0;
    case QRY_KEY_NEQ:
        return !(sh->nkeys && sh->keys[0].len == kl && memcmp(sh->keys[0].ptr, k, kl) == 0);
    case QRY_KEY_IN:
        for (uint32_t i = 0; i < sh->nkeys; i++)
            if (sh->keys[i].len == kl && memcmp(sh->keys[i].ptr, k, kl) == 0) return 1;
        return 0;
    case QRY_KEY_EQREGEX:
        return qry__re_match(re, c->rm, k, kl);
    case QRY_KEY_NEQREGEX:
        return !qry__re_match(re, c->rm, k, kl);
    default:
        return 1;
    }
}

/* (measurement, key, value) rows gathered over several namespaces. */
typedef struct row3 {
    qry_str m, k, v;
} row3;

typedef struct rows3 {
    qry_ctx *c;
    row3 *v;
    size_t n, cap;
} rows3;

static int rows3_add(rows3 *r, qry_str m, qry_str k, qry_str v)
{
    if (arena_grow(r->c, (void **)&r->v, r->n, &r->cap, sizeof *r->v, 32))
        return qry__fail(r->c, STRATA_ENOMEM, "out of memory");
    r->v[r->n++] = (row3){m, k, v};
    return STRATA_OK;
}

static int row3_cmp(const void *a, const void *b)
{
    const row3 *x = a, *y = b;
    int r = str_cmp(x->m.ptr, x->m.len, y->m.ptr, y->m.len);
    if (r == 0) r = str_cmp(x->k.ptr, x->k.len, y->k.ptr, y->k.len);
    return r ? r : str_cmp(x->v.ptr, x->v.len, y->v.ptr, y->v.len);
}

static void rows3_sort_unique(rows3 *r)
{
    if (r->n > 1) qsort(r->v, r->n, sizeof *r->v, row3_cmp);
    size_t u = 0;
    for (size_t i = 0; i < r->n; i++)
        if (u == 0 || row3_cmp(&r->v[i], &r->v[u - 1]) != 0) r->v[u++] = r->v[i];
    r->n = u;
}

/* Length of the run of rows of the same measurement starting at i. */
static size_t rows3_run(const rows3 *r, size_t i)
{
    size_t j = i + 1;
    while (j < r->n && r->v[j].m.len == r->v[i].m.len &&
           memcmp(r->v[j].m.ptr, r->v[i].m.ptr, r->v[i].m.len) == 0)
        j++;
    return j - i;
}

/*
 * Answer rows grouped by measurement, one series each: the rows (tag keys:
 * column "tagKey"; tag values: "key", "value") windowed by LIMIT/OFFSET, or
 * with cardinality their count (column "count").
 */
static int emit_groups(qry_ctx *c, const qry_show *sh, const rows3 *r, int cardinality, int values)
{
    static const char *const ccols[] = {"count"}, *const kcols[] = {"tagKey"},
                             *const vcols[] = {"key", "value"};
    int rc = STRATA_OK;
    for (size_t i = 0; i < r->n && rc == STRATA_OK;) {
        size_t run = rows3_run(r, i), from = 0, to = 0;
        const qry_str *m = &r->v[i].m;
        if (cardinality) {
            if ((rc = qry__meta_series(c, m->ptr, m->len, ccols, 1)) != STRATA_OK) break;
            qry_val v = qry_val_i((int64_t)run);
            rc = qry__meta_row(c, &v);
            qry_writer_series_end(c->w);
        } else {
            window(sh, run, &from, &to);
            if (from < to) {
                rc = qry__meta_series(c, m->ptr, m->len, values ? vcols : kcols, values ? 2 : 1);
                for (size_t k = i + from; k < i + to && rc == STRATA_OK; k++) {
                    qry_val row[2] = {qry_val_s(r->v[k].k.ptr, r->v[k].k.len),
                                      qry_val_s(r->v[k].v.ptr, r->v[k].v.len)};
                    rc = qry__meta_row(c, values ? row : &row[0]);
                }
                qry_writer_series_end(c->w);
            }
        }
        i += run;
    }
    return rc;
}

/* One series "name" of one column col: the sorted list, windowed by LIMIT/OFFSET. */
static int emit_list(qry_ctx *c, const qry_show *sh, const char *name, size_t nlen, const char *col,
                     const strset *l)
{
    size_t from, to;
    window(sh, l->n, &from, &to);
    if (from == to) return STRATA_OK;
    int rc = qry__meta_series(c, name, nlen, &col, 1);
    for (size_t i = from; i < to && rc == STRATA_OK; i++) {
        qry_val v = qry_val_s(l->v[i].ptr, l->v[i].len);
        rc = qry__meta_row(c, &v);
    }
    qry_writer_series_end(c->w);
    return rc;
}

/* One unnamed series of one column col holding n. */
static int emit_count(qry_ctx *c, const char *col, uint64_t n)
{
    int rc = qry__meta_series(c, "", 0, &col, 1);
    if (rc != STRATA_OK) return rc;
    qry_val v = qry_val_i((int64_t)n);
    rc = qry__meta_row(c, &v);
    qry_writer_series_end(c->w);
    return rc;
}

/* ---- SHOW MEASUREMENTS ----------------------------------------------------------------------- */

/* Names of the measurements of the statement (sources or WITH MEASUREMENT, and WHERE) in ns. */
static int meas_names(qry_ctx *c, const qry_show *sh, const qry_expr *cond, uint32_t ns, int with,
                      strset *out)
{
    MDB_txn *txn;
    int rc = stg_engine_read_begin(c->e, &txn, c->err);
    if (rc != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    qry_source src;
    memset(&src, 0, sizeof src);
    src.kind = QRY_SRC_MEASUREMENT;
    if (with && sh->with_measurement) {
        src.m = *sh->with_measurement;
        rc = qry__meta_measurements(c, txn, ns, &src, 1, &ms, &nm);
    } else {
        rc = qry__meta_measurements(c, txn, ns, with ? NULL : sh->sources, with ? 0 : sh->nsources,
                                    &ms, &nm);
    }
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        if (cond) {
            qry_series *ss;
            size_t n;
            rc = match_series(c, txn, ns, ms[i].mid, cond, &ss, &n);
            if (rc != STRATA_OK || n == 0) continue;
        }
        if (strset_add(out, ms[i].name, ms[i].len, 0))
            rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
    }
    stg_engine_read_end(c->e, txn);
    return rc;
}

int qry__show_measurements(qry_ctx *c, const qry_show *sh)
{
    qry_nsset nss;
    int skip;
    int rc = show_nss(c, sh, 1, &nss, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    strset names;
    memset(&names, 0, sizeof names);
    names.c = c;
    for (size_t i = 0; i < nss.n && rc == STRATA_OK; i++)
        rc = meas_names(c, sh, cond, nss.v[i], 1, &names);
    if (rc != STRATA_OK) return rc;
    strset_sort_unique(&names);
    return emit_list(c, sh, "measurements", 12, "name", &names);
}

int qry__show_measurement_cardinality(qry_ctx *c, const qry_show *sh)
{
    qry_nsset nss;
    int skip;
    int rc = show_nss(c, sh, !sh->exact, &nss, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    strset names;
    memset(&names, 0, sizeof names);
    names.c = c;
    for (size_t i = 0; i < nss.n && rc == STRATA_OK; i++)
        rc = meas_names(c, sh, cond, nss.v[i], 0, &names);
    if (rc != STRATA_OK) return rc;
    strset_sort_unique(&names);
    return emit_count(c, sh->exact ? "count" : "cardinality estimation", names.n);
}

/* ---- SHOW TAG KEYS --------------------------------------------------------------------------- */

/* (measurement, tag key) pairs of the statement's measurements in the namespaces. */
static int tag_key_rows(qry_ctx *c, const qry_show *sh, const qry_nsset *nss, const qry_expr *cond,
                        rows3 *out)
{
    int rc = STRATA_OK;
    for (size_t n = 0; n < nss->n && rc == STRATA_OK; n++) {
        MDB_txn *txn;
        if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
        qry_mref *ms = NULL;
        size_t nm = 0;
        rc = qry__meta_measurements(c, txn, nss->v[n], sh->sources, sh->nsources, &ms, &nm);
        for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
            strset ks;
            if ((rc = tag_keys_of(c, txn, nss->v[n], ms[i].mid, cond, &ks)) != STRATA_OK) break;
            for (size_t k = 0; k < ks.n && rc == STRATA_OK; k++)
                rc = rows3_add(out, (qry_str){ms[i].name, ms[i].len}, ks.v[k], (qry_str){"", 0});
        }
        stg_engine_read_end(c->e, txn);
    }
    rows3_sort_unique(out);
    return rc;
}

/* SHOW TAG KEYS (every policy) and SHOW TAG KEY CARDINALITY (one policy). */
static int show_tag_keys(qry_ctx *c, const qry_show *sh, int cardinality)
{
    qry_nsset nss;
    int skip;
    int rc = show_nss(c, sh, !cardinality, &nss, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    rows3 r = {c, NULL, 0, 0};
    if ((rc = tag_key_rows(c, sh, &nss, cond, &r)) != STRATA_OK) return rc;
    return emit_groups(c, sh, &r, cardinality, 0);
}

int qry__show_tag_keys(qry_ctx *c, const qry_show *sh)
{
    return show_tag_keys(c, sh, 0);
}

int qry__show_tag_key_cardinality(qry_ctx *c, const qry_show *sh)
{
    return show_tag_keys(c, sh, 1);
}

/* ---- SHOW TAG VALUES ------------------------------------------------------------------------- */

/* (measurement, key, value) rows of one namespace into out. */
static int tag_value_rows(qry_ctx *c, const qry_show *sh, uint32_t db, const qry_expr *cond,
                          qry_re *re, rows3 *out)
{
    MDB_txn *txn;
    int rc = stg_engine_read_begin(c->e, &txn, c->err);
    if (rc != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    stg_index *idx = stg_engine_index(c->e);
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        qry_str mname = {ms[i].name, ms[i].len};
        if (cond == NULL) {
            strset ks;
            if ((rc = tag_keys_of(c, txn, db, ms[i].mid, NULL, &ks)) != STRATA_OK) break;
            for (size_t k = 0; k < ks.n && rc == STRATA_OK; k++) {
                if (!key_selected(c, sh, re, ks.v[k].ptr, ks.v[k].len)) continue;
                kvset vals;
                memset(&vals, 0, sizeof vals);
                vals.c = c;
                vals.key = ks.v[k];
                rc = stg_index_tag_values(idx, txn, db, ms[i].mid, ks.v[k].ptr, ks.v[k].len,
                                          vals_cb, &vals);
                if (vals.err)
                    rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                else if (rc < 0)
                    rc = qry__fail(c, rc, "reading tag values failed");
                for (size_t v = 0; v < vals.n && rc == STRATA_OK; v++)
                    rc = rows3_add(out, mname, vals.v[v].k, vals.v[v].v);
            }
        } else {
            qry_series *ss;
            size_t ns;
            rc = match_series(c, txn, db, ms[i].mid, cond, &ss, &ns);
            for (size_t s = 0; rc == STRATA_OK && s < ns; s++)
                for (uint32_t k = 0; k < ss[s].ntags && rc == STRATA_OK; k++) {
                    const stg_tag *t = &ss[s].tags[k];
                    if (!key_selected(c, sh, re, t->key, t->key_len)) continue;
                    rc = rows3_add(out, mname, (qry_str){t->key, t->key_len},
                                   (qry_str){t->val, t->val_len});
                }
        }
    }
    stg_engine_read_end(c->e, txn);
    return rc;
}

int qry__show_tag_values(qry_ctx *c, const qry_show *sh, int cardinality)
{
    qry_nsset nss;
    int skip;
    int rc = show_nss(c, sh, !cardinality, &nss, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    qry_re *re = NULL;
    if ((sh->key_op == QRY_KEY_EQREGEX || sh->key_op == QRY_KEY_NEQREGEX) && sh->nkeys &&
        (rc = qry__re_compile(c, sh->keys[0].ptr, sh->keys[0].len, &re)) != STRATA_OK)
        return rc;
    rows3 r = {c, NULL, 0, 0};
    for (size_t n = 0; n < nss.n && rc == STRATA_OK; n++)
        rc = tag_value_rows(c, sh, nss.v[n], cond, re, &r);
    if (rc != STRATA_OK) return rc;
    rows3_sort_unique(&r);
    return emit_groups(c, sh, &r, cardinality, 1);
}

/* ---- SHOW FIELD KEYS ------------------------------------------------------------------------- */

typedef struct fl {
    qry_ctx *c;
    qry_val *rows; /* pairs */
    size_t n, cap;
    int err;
} fl;

static int fields_cb(void *ctx, const char *f, size_t flen, uint32_t fid, stg_type t)
{
    (void)fid;
    fl *l = ctx;
    /* rows are pairs (key, type): one element is two values */
    if (arena_grow(l->c, (void **)&l->rows, l->n, &l->cap, 2 * sizeof *l->rows, 16)) {
        l->err = 1;
        return 1;
    }
    char *d = qry__strndup(l->c, f, flen);
    if (d == NULL) {
        l->err = 1;
        return 1;
    }
    const char *tn = stg_type_name(t);
    l->rows[2 * l->n] = qry_val_s(d, flen);
    l->rows[2 * l->n + 1] = qry_val_s(tn, strlen(tn));
    l->n++;
    return 0;
}

int qry__show_field_keys(qry_ctx *c, const qry_show *sh, int cardinality)
{
    qry_nsset nss;
    int skip;
    int rc = show_nss(c, sh, 0, &nss, &skip);
    if (rc != STRATA_OK || skip) return rc;
    uint32_t db = nss.v[0];
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        fl l;
        memset(&l, 0, sizeof l);
        l.c = c;
        rc = stg_index_field_list(stg_engine_index(c->e), txn, db, ms[i].mid, fields_cb, &l);
        if (l.err) {
            rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
            break;
        }
        if (rc < 0) {
            rc = qry__fail(c, rc, "reading field keys failed");
            break;
        }
        if (cardinality) {
            if (l.n == 0) continue;
            static const char *const ccols[] = {"count"};
            if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, ccols, 1)) != STRATA_OK) break;
            qry_val v = qry_val_i((int64_t)l.n);
            rc = qry__meta_row(c, &v);
            qry_writer_series_end(c->w);
            continue;
        }
        size_t from, to;
        window(sh, l.n, &from, &to);
        if (from == to) continue;
        static const char *const cols[] = {"fieldKey", "fieldType"};
        if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, cols, 2)) != STRATA_OK) break;
        for (size_t k = from; k < to && rc == STRATA_OK; k++)
            rc = qry__meta_row(c, &l.rows[2 * k]);
        qry_writer_series_end(c->w);
    }
    stg_engine_read_end(c->e, txn);
    return rc;
}

/* ---- SHOW SERIES ----------------------------------------------------------------------------- */

/* Series keys of the statement in namespace db into keys (and per-measurement counts). */
static int series_keys(qry_ctx *c, const qry_show *sh, uint32_t db, const qry_expr *cond,
                       int per_meas, strset *keys)
{
    MDB_txn *txn;
    int rc = stg_engine_read_begin(c->e, &txn, c->err);
    if (rc != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        qry_series *ss;
        size_t ns;
        rc = match_series(c, txn, db, ms[i].mid, cond, &ss, &ns);
        if (rc != STRATA_OK) break;
        if (per_meas) {
            if (ns == 0) continue;
            static const char *const ccols[] = {"count"};
            if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, ccols, 1)) != STRATA_OK) break;
            qry_val v = qry_val_i((int64_t)ns);
            rc = qry__meta_row(c, &v);
            qry_writer_series_end(c->w);
            continue;
        }
        for (size_t s = 0; s < ns; s++)
            if (strset_add(keys, ss[s].key, ss[s].klen, 0)) {
                rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                break;
            }
    }
    stg_engine_read_end(c->e, txn);
    return rc;
}

/* Series in the namespaces that hold any: *only receives the one if there is one. */
static int namespaces_with_series(qry_ctx *c, const qry_nsset *nss, uint64_t *total, size_t *with,
                                  uint32_t *only)
{
    MDB_txn *txn;
    int rc = stg_engine_read_begin(c->e, &txn, c->err);
    if (rc != STRATA_OK) return rc;
    *total = 0;
    *with = 0;
    for (size_t i = 0; i < nss->n; i++) {
        uint64_t n = stg_index_series_count(stg_engine_index(c->e), txn, nss->v[i]);
        if (n == 0) continue;
        *total += n;
        (*with)++;
        *only = nss->v[i];
    }
    stg_engine_read_end(c->e, txn);
    return STRATA_OK;
}

int qry__show_series(qry_ctx *c, const qry_show *sh, int cardinality)
{
    qry_nsset nss;
    int skip;
    int estimate = cardinality && !sh->exact && sh->nsources == 0 && sh->cond == NULL;
    int rc = show_nss(c, sh, !cardinality || estimate, &nss, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    strset keys;
    memset(&keys, 0, sizeof keys);
    keys.c = c;
    if (estimate) {
        /* Distinct series over the policies: the stored counter when one holds them all. */
        uint64_t total;
        size_t with;
        uint32_t only = 0;
        if ((rc = namespaces_with_series(c, &nss, &total, &with, &only)) != STRATA_OK) return rc;
        for (size_t i = 0; with > 1 && i < nss.n && rc == STRATA_OK; i++)
            rc = series_keys(c, sh, nss.v[i], NULL, 0, &keys);
        if (rc != STRATA_OK) return rc;
        if (with > 1) {
            strset_sort_unique(&keys);
            total = keys.n;
        }
        return emit_count(c, "cardinality estimation", total);
    }
    for (size_t i = 0; i < nss.n && rc == STRATA_OK; i++)
        rc = series_keys(c, sh, nss.v[i], cond, cardinality, &keys);
    if (rc != STRATA_OK || cardinality) return rc;
    strset_sort_unique(&keys);
    return emit_list(c, sh, "", 0, "key", &keys);
}
