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

/* ---- helpers ------------------------------------------------------------------------------- */

static int str_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    if (r) return r;
    return al < bl ? -1 : al > bl;
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
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        qry_mref *nv = qry__alloc(m->c, nc * sizeof *nv);
        if (nv == NULL) return 1;
        if (m->n) memcpy(nv, m->v, m->n * sizeof *nv);
        m->v = nv;
        m->cap = nc;
    }
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
 * Resolve a SHOW's database; an unknown database is "nothing to show"
 * (*skip = 1), except that a missing name is an error.
 */
static int show_db(qry_ctx *c, const qry_show *sh, uint32_t *db, int *skip)
{
    *skip = 0;
    int rc = qry__meta_db(c, sh, db, NULL);
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

/* ---- SHOW MEASUREMENTS
 * --------------------------------------------------------------------------- */

int qry__show_measurements(qry_ctx *c, const qry_show *sh)
{
    uint32_t db;
    int skip;
    int rc = show_db(c, sh, &db, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    qry_source src;
    memset(&src, 0, sizeof src);
    src.kind = QRY_SRC_MEASUREMENT;
    if (sh->with_measurement) {
        src.m = *sh->with_measurement;
        rc = qry__meta_measurements(c, txn, db, &src, 1, &ms, &nm);
    } else {
        rc = qry__meta_measurements(c, txn, db, NULL, 0, &ms, &nm);
    }
    size_t nkeep = 0;
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        if (cond) {
            qry_series *ss;
            size_t ns;
            rc = match_series(c, txn, db, ms[i].mid, cond, &ss, &ns);
            if (rc != STRATA_OK || ns == 0) continue;
        }
        ms[nkeep++] = ms[i];
    }
    stg_engine_read_end(c->e, txn);
    if (rc != STRATA_OK) return rc;
    size_t from = sh->offset > 0 ? (size_t)sh->offset : 0;
    size_t to = nkeep;
    if (from > to) from = to;
    if (sh->limit > 0 && to - from > (size_t)sh->limit) to = from + (size_t)sh->limit;
    if (from == to) return STRATA_OK;
    static const char *const cols[] = {"name"};
    if ((rc = qry__meta_series(c, "measurements", 12, cols, 1)) != STRATA_OK) return rc;
    for (size_t i = from; i < to && rc == STRATA_OK; i++) {
        qry_val v = qry_val_s(ms[i].name, ms[i].len);
        rc = qry__meta_row(c, &v);
    }
    qry_writer_series_end(c->w);
    return rc;
}

int qry__show_measurement_cardinality(qry_ctx *c, const qry_show *sh)
{
    uint32_t db;
    int skip;
    int rc = show_db(c, sh, &db, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0, n = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        if (cond) {
            qry_series *ss;
            size_t ns;
            rc = match_series(c, txn, db, ms[i].mid, cond, &ss, &ns);
            if (rc != STRATA_OK || ns == 0) continue;
        }
        n++;
    }
    stg_engine_read_end(c->e, txn);
    if (rc != STRATA_OK) return rc;
    const char *col = sh->exact ? "count" : "cardinality estimation";
    if ((rc = qry__meta_series(c, "", 0, &col, 1)) != STRATA_OK) return rc;
    qry_val v = qry_val_i((int64_t)n);
    rc = qry__meta_row(c, &v);
    qry_writer_series_end(c->w);
    return rc;
}

/* ---- SHOW TAG KEYS ------------------------------------------------------------------------------
 */

typedef struct strset {
    qry_ctx *c;
    qry_str *v;
    size_t n, cap;
    int err;
} strset;

static int strset_add(strset *s, const char *p, size_t n, int copy)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        qry_str *nv = qry__alloc(s->c, nc * sizeof *nv);
        if (nv == NULL) return 1;
        if (s->n) memcpy(nv, s->v, s->n * sizeof *nv);
        s->v = nv;
        s->cap = nc;
    }
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

int qry__show_tag_keys(qry_ctx *c, const qry_show *sh)
{
    uint32_t db;
    int skip;
    int rc = show_db(c, sh, &db, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    static const char *const cols[] = {"tagKey"};
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        strset ks;
        if ((rc = tag_keys_of(c, txn, db, ms[i].mid, cond, &ks)) != STRATA_OK) break;
        size_t from, to;
        window(sh, ks.n, &from, &to);
        if (from == to) continue;
        if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, cols, 1)) != STRATA_OK) break;
        for (size_t k = from; k < to && rc == STRATA_OK; k++) {
            qry_val v = qry_val_s(ks.v[k].ptr, ks.v[k].len);
            rc = qry__meta_row(c, &v);
        }
        qry_writer_series_end(c->w);
    }
    stg_engine_read_end(c->e, txn);
    return rc;
}

int qry__show_tag_key_cardinality(qry_ctx *c, const qry_show *sh)
{
    uint32_t db;
    int skip;
    int rc = show_db(c, sh, &db, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    static const char *const cols[] = {"count"};
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        strset ks;
        if ((rc = tag_keys_of(c, txn, db, ms[i].mid, cond, &ks)) != STRATA_OK) break;
        if (ks.n == 0) continue;
        if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, cols, 1)) != STRATA_OK) break;
        qry_val v = qry_val_i((int64_t)ks.n);
        rc = qry__meta_row(c, &v);
        qry_writer_series_end(c->w);
    }
    stg_engine_read_end(c->e, txn);
    return rc;
}

/* ---- SHOW TAG VALUES
 * ------------------------------------------------------------------------------ */

typedef struct kv {
    qry_str k, v;
} kv;

static int kv_cmp(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    int r = str_cmp(x->k.ptr, x->k.len, y->k.ptr, y->k.len);
    return r ? r : str_cmp(x->v.ptr, x->v.len, y->v.ptr, y->v.len);
}

typedef struct kvset {
    qry_ctx *c;
    kv *v;
    size_t n, cap;
    qry_str key;
    int err;
} kvset;

static int kv_add(kvset *s, qry_str k, const char *v, size_t vl, int copy)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 32;
        kv *nv = qry__alloc(s->c, nc * sizeof *nv);
        if (nv == NULL) return 1;
        if (s->n) memcpy(nv, s->v, s->n * sizeof *nv);
        s->v = nv;
        s->cap = nc;
    }
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

int qry__show_tag_values(qry_ctx *c, const qry_show *sh, int cardinality)
{
    uint32_t db;
    int skip;
    int rc = show_db(c, sh, &db, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    qry_re *re = NULL;
    if ((sh->key_op == QRY_KEY_EQREGEX || sh->key_op == QRY_KEY_NEQREGEX) && sh->nkeys &&
        (rc = qry__re_compile(c, sh->keys[0].ptr, sh->keys[0].len, &re)) != STRATA_OK)
        return rc;
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    qry_mref *ms = NULL;
    size_t nm = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    stg_index *idx = stg_engine_index(c->e);
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        strset ks;
        if ((rc = tag_keys_of(c, txn, db, ms[i].mid, NULL, &ks)) != STRATA_OK) break;
        kvset out;
        memset(&out, 0, sizeof out);
        out.c = c;
        if (cond == NULL) {
            for (size_t k = 0; k < ks.n && rc == STRATA_OK; k++) {
                if (!key_selected(c, sh, re, ks.v[k].ptr, ks.v[k].len)) continue;
                out.key = ks.v[k];
                rc = stg_index_tag_values(idx, txn, db, ms[i].mid, ks.v[k].ptr, ks.v[k].len,
                                          vals_cb, &out);
                if (out.err)
                    rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                else if (rc < 0)
                    rc = qry__fail(c, rc, "reading tag values failed");
            }
        } else {
            qry_series *ss;
            size_t ns;
            rc = match_series(c, txn, db, ms[i].mid, cond, &ss, &ns);
            for (size_t s = 0; rc == STRATA_OK && s < ns; s++)
                for (uint32_t k = 0; k < ss[s].ntags; k++) {
                    const stg_tag *t = &ss[s].tags[k];
                    if (!key_selected(c, sh, re, t->key, t->key_len)) continue;
                    if (kv_add(&out, (qry_str){t->key, t->key_len}, t->val, t->val_len, 0)) {
                        rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                        break;
                    }
                }
            if (out.n > 1) qsort(out.v, out.n, sizeof *out.v, kv_cmp);
            size_t u = 0;
            for (size_t k = 0; k < out.n; k++)
                if (u == 0 || kv_cmp(&out.v[k], &out.v[u - 1]) != 0) out.v[u++] = out.v[k];
            out.n = u;
        }
        if (rc != STRATA_OK) break;
        if (cardinality) {
            if (out.n == 0) continue;
            static const char *const ccols[] = {"count"};
            if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, ccols, 1)) != STRATA_OK) break;
            qry_val v = qry_val_i((int64_t)out.n);
            rc = qry__meta_row(c, &v);
            qry_writer_series_end(c->w);
            continue;
        }
        size_t from, to;
        window(sh, out.n, &from, &to);
        if (from == to) continue;
        static const char *const cols[] = {"key", "value"};
        if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, cols, 2)) != STRATA_OK) break;
        for (size_t k = from; k < to && rc == STRATA_OK; k++) {
            qry_val row[2] = {qry_val_s(out.v[k].k.ptr, out.v[k].k.len),
                              qry_val_s(out.v[k].v.ptr, out.v[k].v.len)};
            rc = qry__meta_row(c, row);
        }
        qry_writer_series_end(c->w);
    }
    stg_engine_read_end(c->e, txn);
    return rc;
}

/* ---- SHOW FIELD KEYS ----------------------------------------------------------------------------
 */

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
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        qry_val *nv = qry__alloc(l->c, nc * 2 * sizeof *nv);
        if (nv == NULL) {
            l->err = 1;
            return 1;
        }
        if (l->n) memcpy(nv, l->rows, l->n * 2 * sizeof *nv);
        l->rows = nv;
        l->cap = nc;
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
    uint32_t db;
    int skip;
    int rc = show_db(c, sh, &db, &skip);
    if (rc != STRATA_OK || skip) return rc;
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

/* ---- SHOW SERIES ------------------------------------------------------------------------------
 */

int qry__show_series(qry_ctx *c, const qry_show *sh, int cardinality)
{
    uint32_t db;
    int skip;
    int rc = show_db(c, sh, &db, &skip);
    if (rc != STRATA_OK || skip) return rc;
    const qry_expr *cond;
    if ((rc = show_cond(c, sh, &cond)) != STRATA_OK) return rc;
    MDB_txn *txn;
    if ((rc = stg_engine_read_begin(c->e, &txn, c->err)) != STRATA_OK) return rc;
    if (cardinality && !sh->exact && sh->nsources == 0 && cond == NULL) {
        uint64_t n = stg_index_series_count(stg_engine_index(c->e), txn, db);
        stg_engine_read_end(c->e, txn);
        static const char *const ecols[] = {"cardinality estimation"};
        if ((rc = qry__meta_series(c, "", 0, ecols, 1)) != STRATA_OK) return rc;
        qry_val v = qry_val_i((int64_t)n);
        rc = qry__meta_row(c, &v);
        qry_writer_series_end(c->w);
        return rc;
    }
    qry_mref *ms = NULL;
    size_t nm = 0;
    rc = qry__meta_measurements(c, txn, db, sh->sources, sh->nsources, &ms, &nm);
    strset keys;
    memset(&keys, 0, sizeof keys);
    keys.c = c;
    for (size_t i = 0; rc == STRATA_OK && i < nm; i++) {
        qry_series *ss;
        size_t ns;
        rc = match_series(c, txn, db, ms[i].mid, cond, &ss, &ns);
        if (rc != STRATA_OK) break;
        if (cardinality) {
            if (ns == 0) continue;
            static const char *const ccols[] = {"count"};
            if ((rc = qry__meta_series(c, ms[i].name, ms[i].len, ccols, 1)) != STRATA_OK) break;
            qry_val v = qry_val_i((int64_t)ns);
            rc = qry__meta_row(c, &v);
            qry_writer_series_end(c->w);
            continue;
        }
        for (size_t s = 0; s < ns; s++)
            if (strset_add(&keys, ss[s].key, ss[s].klen, 0)) {
                rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
                break;
            }
    }
    stg_engine_read_end(c->e, txn);
    if (rc != STRATA_OK || cardinality) return rc;
    if (keys.n > 1) qsort(keys.v, keys.n, sizeof *keys.v, qs_cmp);
    size_t from, to;
    window(sh, keys.n, &from, &to);
    if (from == to) return STRATA_OK;
    static const char *const cols[] = {"key"};
    if ((rc = qry__meta_series(c, "", 0, cols, 1)) != STRATA_OK) return rc;
    for (size_t k = from; k < to && rc == STRATA_OK; k++) {
        qry_val v = qry_val_s(keys.v[k].ptr, keys.v[k].len);
        rc = qry__meta_row(c, &v);
    }
    qry_writer_series_end(c->w);
    return rc;
}
