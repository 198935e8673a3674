/*
 * query/exec_into.c: SELECT ... INTO [db.][rp.]measurement | :MEASUREMENT,
 * as InfluxDB 1.6 runs it.
 *
 * The target database (the request's when not named) must exist before
 * anything runs ("database not found: x"). The SELECT then runs as usual
 * with its rows captured as points (exec_capture.c): GROUP BY tags stay
 * tags, every other column (selected tags too) becomes a field, nulls are
 * left out; each series is written on its own (per 10000 rows), and a write
 * that refuses points ends the statement with InfluxDB's "partial write:
 * ... dropped=N" (what was written before stays). A retention policy other
 * than autogen fails on the first write ("retention policy not found").
 * The answer is one series "result" with columns time and written: epoch 0
 * and the number of points written. Over GET, InfluxDB adds its read-only
 * warning with the statement as normalized (default database and retention
 * policy filled in).
 */
#include <stdio.h>
#include <string.h>

#include "query/exec_int.h"
#include "query/meta_int.h"
#include "storage/retention.h"

/* The name of the default retention policy of database db (arena memory). */
static qry_str default_rp(qry_ctx *c, qry_str db)
{
    stg_rp_info info;
    strata_error err;
    char name[1024];
    if (db.len >= sizeof name) return (qry_str){"autogen", 7};
    memcpy(name, db.ptr, db.len);
    name[db.len] = 0;
    if (stg_rp_resolve(c->e, name, NULL, &info, &err) != STRATA_OK) return (qry_str){"autogen", 7};
    char *d = qry__strndup(c, info.name, strlen(info.name));
    return d ? (qry_str){d, strlen(d)} : (qry_str){"autogen", 7};
}

/* A copy of s with every source's database and retention policy filled in (arena memory). */
static qry_select *normalized(qry_ctx *c, const qry_select *s, qry_str db)
{
    qry_select *n = qry__alloc(c, sizeof *n);
    qry_source *srcs = qry__alloc(c, (s->nsources ? s->nsources : 1) * sizeof *srcs);
    if (n == NULL || srcs == NULL) return NULL;
    *n = *s;
    n->sources = srcs;
    for (uint32_t i = 0; i < s->nsources; i++) {
        srcs[i] = s->sources[i];
        if (srcs[i].kind == QRY_SRC_SUBQUERY) {
            if ((srcs[i].sub = normalized(c, s->sources[i].sub, db)) == NULL) return NULL;
            continue;
        }
        if (srcs[i].m.db.len == 0) srcs[i].m.db = db;
        if (srcs[i].m.rp.len == 0) srcs[i].m.rp = default_rp(c, srcs[i].m.db);
    }
    return n;
}

static void read_only_warning(qry_ctx *c, const qry_stmt *st, const char *dbn)
{
    const qry_select *s = st->u.sel.select;
    qry_str db = {c->db, strlen(c->db)};
    qry_select *n = normalized(c, s, db);
    qry_measurement *t = qry__alloc(c, sizeof *t);
    if (n == NULL || t == NULL) return;
    *t = *s->target;
    t->db = (qry_str){dbn, strlen(dbn)};
    if (t->rp.len == 0) t->rp = default_rp(c, t->db);
    n->target = t;
    qry_stmt ns = *st;
    ns.u.sel.select = n;
    char text[1024];
    char buf[1200];
    qry_stmt_format_mode(&ns, QRY_FMT_INFLUX, text, sizeof text);
    snprintf(buf, sizeof buf,
             "deprecated use of '%s' in a read only context, please use a POST request instead",
             text);
    qry_writer_stmt_message(c->w, "warning", buf);
}

int qry__exec_into(qry_ctx *c, const qry_stmt *st)
{
    const qry_select *s = st->u.sel.select;
    const qry_measurement *t = s->target;
    if (c->db[0] == 0 && t->db.len == 0)
        return qry__fail(c, STRATA_EINVAL, "database name required");
    const char *dbn = t->db.len ? qry__strndup(c, t->db.ptr, t->db.len) : c->db;
    if (dbn == NULL) return STRATA_ENOMEM;
    uint32_t db;
    if (stg_db_lookup(c->e, dbn, &db) != STRATA_OK)
        return qry__fail(c, STRATA_ENOTFOUND, "database not found: %s", dbn);
    /* The target's retention policy (or the default one); a missing one fails
     * only when there is something to write, as in InfluxDB. */
    char rpn[STG_RP_NAME_MAX + 1] = "";
    const char *bad_rp = NULL;
    stg_rp_info info;
    strata_error rerr;
    if (t->rp.len && t->rp.len <= STG_RP_NAME_MAX) {
        memcpy(rpn, t->rp.ptr, t->rp.len);
        rpn[t->rp.len] = 0;
    }
    if (t->rp.len > STG_RP_NAME_MAX || stg_rp_resolve(c->e, dbn, rpn, &info, &rerr) != STRATA_OK) {
        if ((bad_rp = qry__strndup(c, t->rp.ptr, t->rp.len)) == NULL) return STRATA_ENOMEM;
    } else {
        db = info.ns;
    }

    qry_capture cp;
    int rc = qry__capture_begin(c, &cp, c->e, db);
    if (rc != STRATA_OK) return rc;
    cp.into = 1;
    if (t->name.len) {
        cp.target = t->name.ptr;
        cp.target_len = t->name.len;
    }
    cp.bad_rp = bad_rp;
    qry_select sel = *s;
    sel.target = NULL;
    {
        qry_ctx ic = *c;
        ic.w = &cp.w;
        cp.c = &ic;
        rc = qry__exec_select(&ic, &sel);
        if (rc == STRATA_OK) rc = qry__capture_flush(&cp);
        cp.c = c;
        c->points = ic.points;
        c->res = ic.res;
        c->stmt_tz = ic.stmt_tz;
    }
    uint64_t written = cp.rows;
    qry__capture_end(&cp);
    if (rc != STRATA_OK) return rc;

    qry_writer_stmt_begin(c->w, c->stmt_id, QRY_STMT_MODE_ONE, NULL);
    if (c->req && c->req->read_only) read_only_warning(c, st, dbn);
    static const char *const cols[] = {"time", "written"};
    if ((rc = qry__meta_series(c, "result", 6, cols, 2)) != STRATA_OK) return rc;
    qry_val v[2] = {qry_val_time(0), qry_val_i((int64_t)written)};
    if ((rc = qry__meta_row(c, v)) != STRATA_OK) return rc;
    qry_writer_series_end(c->w);
    return qry_writer_stmt_end(c->w);
}
