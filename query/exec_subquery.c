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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "query/exec_int.h"

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
    qry_capture cp;
    memset(&cp, 0, sizeof cp);
    uint32_t db;
    rc = stg_engine_open(&o, &te, c->err);
    if (rc == STRATA_OK) rc = stg_db_create(te, "subquery", &db, c->err);
    if (rc == STRATA_OK) rc = qry__capture_begin(c, &cp, te, db);
    if (rc != STRATA_OK) goto done;
    cp.row_tags = 1;

    /* the inner query, captured into the private engine */
    {
        qry_ctx ic = *c;
        ic.w = &cp.w;
        ic.sub = inh;
        ic.sub_outer = 0;
        ic.sub_inner = NULL;
        cp.c = &ic;
        rc = qry__exec_select(&ic, inner);
        if (rc == STRATA_OK) rc = qry__capture_flush(&cp);
        cp.c = c;
        c->points = ic.points;
        c->res = ic.res;
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
    qry__capture_end(&cp);
    stg_engine_close(te);
    strata_rm_tree(dir);
    return rc;
}
