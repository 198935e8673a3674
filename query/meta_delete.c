/*
 * query/meta_delete.c: DROP MEASUREMENT, DROP SERIES and DELETE, through the
 * engine's delete API. The series to act on are found with the same tag
 * condition machinery as SELECT (postings, never a scan), restricted to tag
 * comparisons as InfluxDB restricts them:
 *   DROP SERIES [FROM m, /re/] [WHERE tags]   removes series and their data;
 *                                             time in WHERE is refused
 *   DELETE [FROM ...] [WHERE time and tags]   removes the points in the time
 *                                             range of the matching series
 *   DROP MEASUREMENT m                        removes the measurement
 * A measurement or database that does not exist is not an error. As in
 * InfluxDB, each acts on every retention policy of the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/meta_int.h"
#include "storage/retention.h"

/*
 * The namespaces of every retention policy of the statement's database
 * (dbname empty: the request's). An unknown database gives none.
 */
static int namespaces(qry_ctx *c, qry_str dbname, qry_nsset *l)
{
    char name[1024];
    const char *db = c->db;
    l->n = 0;
    if (dbname.len) {
        if (dbname.len >= sizeof name) return STRATA_OK;
        memcpy(name, dbname.ptr, dbname.len);
        name[dbname.len] = 0;
        db = name;
    }
    if (db == NULL || db[0] == 0) return qry__fail(c, STRATA_EINVAL, "database name required");
    int rc = qry__meta_namespaces(c, db, l);
    if (rc == STRATA_ENOTFOUND) {
        strata_error_clear(c->err);
        return STRATA_OK;
    }
    return rc;
}

int qry__drop_measurement(qry_ctx *c, qry_str name)
{
    qry_nsset l;
    int rc = namespaces(c, (qry_str){NULL, 0}, &l);
    for (size_t i = 0; i < l.n && rc == STRATA_OK; i++) {
        rc = stg_measurement_drop(c->e, l.v[i], name.ptr, name.len, c->err);
        if (rc == STRATA_ENOTFOUND) {
            strata_error_clear(c->err);
            rc = STRATA_OK;
        }
    }
    return rc;
}

/* Does e mention time? */
static int has_time(const qry_expr *e)
{
    if (e == NULL) return 0;
    switch (e->kind) {
    case QRY_EXPR_VARREF:
        return e->u.ref.name.len == 4 && strncasecmp(e->u.ref.name.ptr, "time", 4) == 0;
    case QRY_EXPR_PAREN:
        return has_time(e->u.paren.expr);
    case QRY_EXPR_BINARY:
        return has_time(e->u.bin.lhs) || has_time(e->u.bin.rhs);
    default:
        return 0;
    }
}

/* Collect the ids of the series of the statement's measurements matching cond. */
static int collect(qry_ctx *c, uint32_t db, const qry_show *sh, const qry_expr *cond,
                   stg_idset *ids)
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
        rc = qry__cond_series(c, txn, db, ms[i].mid, cond, 1, &ss, &ns);
        for (size_t s = 0; rc == STRATA_OK && s < ns; s++)
            if (stg_idset_add(ids, ss[s].id) != STRATA_OK)
                rc = qry__fail(c, STRATA_ENOMEM, "out of memory");
    }
    stg_engine_read_end(c->e, txn);
    stg_idset_sort_unique(ids);
    return rc;
}

int qry__drop_series(qry_ctx *c, const qry_show *sh)
{
    if (has_time(sh->cond))
        return qry__fail(c, STRATA_EINVAL, "DROP SERIES doesn't support time in WHERE clause");
    int rc = qry__meta_check_cond(c, sh->cond);
    if (rc != STRATA_OK) return rc;
    qry_nsset l;
    rc = namespaces(c, sh->db, &l);
    for (size_t i = 0; i < l.n && rc == STRATA_OK; i++) {
        stg_idset ids;
        stg_idset_init(&ids);
        rc = collect(c, l.v[i], sh, sh->cond, &ids);
        if (rc == STRATA_OK && ids.n) rc = stg_series_drop(c->e, l.v[i], &ids, c->err);
        stg_idset_fini(&ids);
    }
    return rc;
}

int qry__delete(qry_ctx *c, const qry_show *sh)
{
    int64_t lo, hi;
    const qry_expr *rest;
    int rc = qry__cond_split(c, sh->cond, NULL, &lo, &hi, &rest);
    if (rc != STRATA_OK) return rc;
    if ((rc = qry__meta_check_cond(c, rest)) != STRATA_OK) return rc;
    int64_t end = hi == INT64_MAX ? INT64_MAX : hi + 1;
    if (lo >= end) return STRATA_OK;
    qry_nsset l;
    rc = namespaces(c, sh->db, &l);
    for (size_t i = 0; i < l.n && rc == STRATA_OK; i++) {
        if (sh->nsources == 0 && rest == NULL) {
            rc = stg_delete_range(c->e, l.v[i], NULL, lo, end, c->err);
            continue;
        }
        stg_idset ids;
        stg_idset_init(&ids);
        rc = collect(c, l.v[i], sh, rest, &ids);
        if (rc == STRATA_OK && ids.n) rc = stg_delete_range(c->e, l.v[i], &ids, lo, end, c->err);
        stg_idset_fini(&ids);
    }
    return rc;
}
