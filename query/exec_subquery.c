/*
 * query/exec_subquery.c: SELECT ... FROM (SELECT ...), the forms dashboards
 * use (an aggregate over an inner aggregate or over inner arithmetic).
 *
 * The inner SELECT runs first with InfluxDB's inheritance rules: its time
 * range is intersected with the outer one, it takes the outer GROUP BY
 * time() interval when it has functions but no interval of its own, and its
 * fill(null) becomes fill(none). Its rows are written into a private,
 * throw-away storage engine in a temporary directory (name -> measurement,
 * GROUP BY tags -> tags, columns -> fields, nulls omitted), and the outer
 * SELECT then runs unchanged against that engine, so every feature of the
 * executor applies to subquery results too. Nested subqueries recurse.
 *
 * The temporary engine holds one statement's intermediate result; it is
 * removed when the statement ends. Its directory comes from
 * STRATA_QUERY_TMP, else TMPDIR, else /tmp.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "query/exec_int.h"

typedef struct capture {
    qry_ctx *c;
    qry_writer *w;
    stg_engine *e;
    stg_batch *b;
    /* the current series */
    char *name;
    size_t nlen;
    stg_tag *tags;
    size_t ntags;
    char **cols;
    size_t *col_lens;
    size_t ncols;
    stg_field_in *fields;
    int rc;
    uint64_t rows;
} capture;

static int cap_flush(capture *cp)
{
    if (stg_batch_count(cp->b) == 0) return STRATA_OK;
    stg_write_result res;
    int rc = stg_batch_commit(cp->b, &res, cp->c->err);
    return rc;
}

static int cap_series(void *ctx, const char *name, size_t nlen, const qry_tagv *tags, size_t ntags,
                      const char *const *cols, const size_t *col_lens, size_t ncols)
{
    capture *cp = ctx;
    qry_ctx *c = cp->c;
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
    return STRATA_OK;
}

static int cap_row(void *ctx, const qry_val *vals)
{
    capture *cp = ctx;
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
    const stg_tag *tags = cp->tags;
    uint32_t ntags = (uint32_t)cp->ntags;
    if (cp->w->cap_row_tags) {
        /* a raw row keeps every tag of its series */
        tags = cp->w->cap_row_tags;
        ntags = (uint32_t)cp->w->cap_row_ntags;
        cp->w->cap_row_tags = NULL;
    }
    stg_point_in p = {cp->name, (uint32_t)cp->nlen, tags, ntags, cp->fields, nf, vals[0].v.i};
    strata_error err;
    if (stg_batch_add(cp->b, &p, &err) != STRATA_OK)
        return STRATA_OK; /* a row the store refuses (e.g. an empty string key) is left out */
    cp->rows++;
    if (stg_batch_count(cp->b) >= 4096) return cap_flush(cp);
    return STRATA_OK;
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", path, de->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                rm_rf(p);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

int qry__exec_subquery(qry_ctx *c, const qry_select *outer)
{
    if (outer->nsources != 1)
        return qry__fail(c, STRATA_EUNSUPPORTED,
                         "a subquery mixed with other sources is not supported by this server");
    const qry_select *inner = outer->sources[0].sub;

    /* the outer time range and interval, handed down to the inner query */
    qry_sub_inherit inh;
    memset(&inh, 0, sizeof inh);
    inh.active = 1;
    const qry_expr *rest;
    int rc = qry__cond_split(c, outer->cond, NULL, &inh.tmin, &inh.tmax, &rest);
    if (rc != STRATA_OK) return rc;
    int64_t iv = 0, off = 0;
    const char *why;
    if (qry_select_group_by_time(outer, &iv, &off, &why) == STRATA_OK && iv > 0) {
        inh.interval = iv;
        inh.offset = off % iv;
        if (inh.tmax == QRY_MAX_TIME) inh.tmax = c->now_ns;
    }
    if (c->sub.active) {
        if (c->sub.tmin > inh.tmin) inh.tmin = c->sub.tmin;
        if (c->sub.tmax < inh.tmax) inh.tmax = c->sub.tmax;
        if (inh.interval == 0) {
            inh.interval = c->sub.interval;
            inh.offset = c->sub.offset;
        }
    }

    const char *base = getenv("STRATA_QUERY_TMP");
    if (base == NULL || base[0] == 0) base = getenv("TMPDIR");
    if (base == NULL || base[0] == 0) base = "/tmp";
    char dir[512];
    snprintf(dir, sizeof dir, "%s/strata-subquery-XXXXXX", base);
    if (mkdtemp(dir) == NULL)
        return qry__fail(c, STRATA_EIO, "cannot create a directory for a subquery under %s", base);

    stg_engine *te = NULL;
    stg_options o;
    stg_options_default(&o);
    o.dir = dir;
    o.wal_sync = 0;
    o.background = 0;
    o.map_bytes = (size_t)16 << 30;
    capture cp;
    memset(&cp, 0, sizeof cp);
    cp.c = c;
    uint32_t db;
    rc = stg_engine_open(&o, &te, c->err);
    if (rc == STRATA_OK) rc = stg_db_create(te, "subquery", &db, c->err);
    if (rc == STRATA_OK) rc = stg_batch_new(te, db, &cp.b);
    if (rc != STRATA_OK) goto done;
    cp.e = te;

    /* the inner query, captured into the private engine */
    {
        qry_writer cw;
        memset(&cw, 0, sizeof cw);
        cw.fmt = QRY_WFMT_CAPTURE;
        cw.cap_series = cap_series;
        cw.cap_row = cap_row;
        cw.cap_ctx = &cp;
        cp.w = &cw;
        qry_ctx ic = *c;
        ic.w = &cw;
        ic.sub = inh;
        ic.sub_outer = 0;
        ic.sub_inner = NULL;
        rc = qry__exec_select(&ic, inner);
        c->points = ic.points;
        c->res = ic.res;
        if (rc == STRATA_OK) rc = cap_flush(&cp);
        if (ic.stmt_tz) qry__tz_free(ic.stmt_tz);
    }
    if (rc != STRATA_OK) goto done;

    /* the outer query over it */
    {
        qry_select os = *outer;
        qry_source src;
        memset(&src, 0, sizeof src);
        src.kind = QRY_SRC_MEASUREMENT;
        src.m.has_regex = true;
        src.m.regex = (qry_str){".*", 2};
        src.m.name = (qry_str){"", 0};
        src.m.db = (qry_str){"", 0};
        src.m.rp = (qry_str){"", 0};
        os.sources = &src;
        os.nsources = 1;
        qry_ctx oc = *c;
        oc.e = te;
        oc.db = "subquery";
        memset(&oc.sub, 0, sizeof oc.sub);
        oc.sub_outer = 1;
        oc.sub_inner = inner;
        oc.sub_all_tags = 0;
        for (uint32_t i = 0; i < inner->ndims; i++)
            if (inner->dims[i]->kind == QRY_EXPR_WILDCARD || inner->dims[i]->kind == QRY_EXPR_REGEX)
                oc.sub_all_tags = 1;
        rc = qry__exec_select(&oc, &os);
        c->points = oc.points;
        c->res = oc.res;
        c->stmt_tz = oc.stmt_tz;
    }
done:
    stg_batch_free(cp.b);
    stg_engine_close(te);
    rm_rf(dir);
    return rc;
}
