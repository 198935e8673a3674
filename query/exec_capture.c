/*
 * query/exec_capture.c: a SELECT's result rows written back as points, for
 * subqueries (into a private engine) and SELECT ... INTO (into a database).
 *
 * Each result series becomes points of one measurement (its own name, or the
 * INTO target): its GROUP BY tags become tags (empty values dropped), every
 * column but time a field of the value's type, null values omitted, rows
 * without any value left out, as InfluxDB 1.6 converts rows to points.
 */
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"

/* Rows per write of SELECT INTO: InfluxDB writes each emitted row chunk (10000 values). */
#define INTO_CHUNK 10000
/* Rows per write of a subquery capture. */
#define SUB_CHUNK 4096

int qry__capture_flush(qry_capture *cp)
{
    if (stg_batch_count(cp->b) == 0) return STRATA_OK;
    qry_ctx *c = cp->c;
    if (cp->bad_rp)
        return qry__fail(c, STRATA_ENOTFOUND, "retention policy not found: %s", cp->bad_rp);
    stg_write_result res;
    memset(&res, 0, sizeof res);
    int rc = stg_batch_commit(cp->b, &res, c->err);
    if (rc != STRATA_OK) return rc;
    if (cp->into && res.points_rejected)
        return qry__fail(c, STRATA_ETYPE, "partial write: %s dropped=%llu", res.first_error,
                         (unsigned long long)res.points_rejected);
    if (cp->into && res.points_expired)
        return qry__fail(c, STRATA_EINVAL,
                         "partial write: points beyond retention policy dropped=%llu",
                         (unsigned long long)res.points_expired);
    return STRATA_OK;
}

static int cap_series(void *ctx, const char *name, size_t nlen, const qry_tagv *tags, size_t ntags,
                      const char *const *cols, const size_t *col_lens, size_t ncols)
{
    qry_capture *cp = ctx;
    qry_ctx *c = cp->c;
    if (cp->into) {
        /* InfluxDB writes each series (row) of the result on its own */
        int rc = qry__capture_flush(cp);
        if (rc != STRATA_OK) return rc;
    }
    if (cp->target) {
        name = cp->target;
        nlen = cp->target_len;
    }
    cp->name = qry__strndup(c, name, nlen);
    cp->nlen = nlen;
    cp->tags = qry__alloc(c, (ntags ? ntags : 1) * sizeof *cp->tags);
    cp->cols = qry__alloc(c, (ncols ? ncols : 1) * sizeof *cp->cols);
    cp->col_lens = qry__alloc(c, (ncols ? ncols : 1) * sizeof *cp->col_lens);
    cp->fields = qry__alloc(c, (ncols ? ncols : 1) * sizeof *cp->fields);
    if (!cp->name || !cp->tags || !cp->cols || !cp->col_lens || !cp->fields) return STRATA_ENOMEM;
    cp->ntags = 0;
    for (size_t i = 0; i < ntags; i++) {
        if (tags[i].vl == 0) continue; /* an empty tag value is no tag at all */
        stg_tag *t = &cp->tags[cp->ntags++];
        t->key = qry__strndup(c, tags[i].k, tags[i].kl);
        t->key_len = (uint32_t)tags[i].kl;
        t->val = qry__strndup(c, tags[i].v, tags[i].vl);
        t->val_len = (uint32_t)tags[i].vl;
        if (!t->key || !t->val) return STRATA_ENOMEM;
    }
    for (size_t i = 0; i < ncols; i++) {
        cp->cols[i] = qry__strndup(c, cols[i], col_lens[i]);
        if (cp->cols[i] == NULL) return STRATA_ENOMEM;
        cp->col_lens[i] = col_lens[i];
    }
    cp->ncols = ncols;
    cp->in_chunk = 0;
    return STRATA_OK;
}

static int cap_row(void *ctx, const qry_val *vals)
{
    qry_capture *cp = ctx;
    const stg_tag *tags = cp->tags;
    uint32_t ntags = (uint32_t)cp->ntags;
    if (cp->w.cap_row_tags) {
        /* a raw row of a subquery keeps every tag of its series */
        if (cp->row_tags) {
            tags = cp->w.cap_row_tags;
            ntags = (uint32_t)cp->w.cap_row_ntags;
        }
        cp->w.cap_row_tags = NULL;
    }
    if (cp->into && cp->in_chunk >= INTO_CHUNK) {
        int rc = qry__capture_flush(cp);
        if (rc != STRATA_OK) return rc;
        cp->in_chunk = 0;
    }
    cp->in_chunk++;
    uint32_t nf = 0;
    for (size_t i = 1; i < cp->ncols; i++) {
        const qry_val *v = &vals[i];
        stg_field_in *f = &cp->fields[nf];
        memset(f, 0, sizeof *f);
        f->key = cp->cols[i];
        f->key_len = (uint32_t)cp->col_lens[i];
        switch (v->t) {
        case QRY_V_FLOAT:
            f->type = STG_FLOAT;
            f->val = stg_val_from_f64(v->v.f);
            break;
        case QRY_V_INT:
            f->type = STG_INT;
            f->val = (uint64_t)v->v.i;
            break;
        case QRY_V_UINT:
            f->type = STG_UINT;
            f->val = v->v.u;
            break;
        case QRY_V_BOOL:
            f->type = STG_BOOL;
            f->val = (uint64_t)v->v.b;
            break;
        case QRY_V_STR:
            f->type = STG_STRING;
            f->str = v->v.s.p;
            f->str_len = v->v.s.n;
            break;
        default:
            continue;
        }
        if (f->key_len == 0 || (f->key_len == 4 && memcmp(f->key, "time", 4) == 0)) continue;
        nf++;
    }
    if (nf == 0) return STRATA_OK;
    stg_point_in p = {cp->name, (uint32_t)cp->nlen, tags, ntags, cp->fields, nf, vals[0].v.i};
    strata_error err;
    if (stg_batch_add(cp->b, &p, &err) != STRATA_OK)
        return STRATA_OK; /* a point the store refuses (e.g. an empty key) is left out */
    cp->rows++;
    if (!cp->into && stg_batch_count(cp->b) >= SUB_CHUNK) return qry__capture_flush(cp);
    return STRATA_OK;
}

int qry__capture_begin(qry_ctx *c, qry_capture *cp, stg_engine *e, uint32_t db)
{
    memset(cp, 0, sizeof *cp);
    cp->c = c;
    cp->w.fmt = QRY_WFMT_CAPTURE;
    cp->w.cap_series = cap_series;
    cp->w.cap_row = cap_row;
    cp->w.cap_ctx = cp;
    if (stg_batch_new(e, db, &cp->b) != STRATA_OK)
        return qry__fail(c, STRATA_ENOMEM, "out of memory");
    return STRATA_OK;
}

void qry__capture_end(qry_capture *cp)
{
    stg_batch_free(cp->b);
    cp->b = NULL;
}
