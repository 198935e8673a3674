/*
 * query/meta.c: the statements that are not SELECT: SHOW DATABASES,
 * CREATE/DROP DATABASE, SHOW RETENTION POLICIES (one built-in "autogen"
 * policy), SHOW MEASUREMENTS, SHOW TAG KEYS, SHOW TAG VALUES, SHOW FIELD
 * KEYS, SHOW SERIES, the cardinality statements, SHOW CONTINUOUS QUERIES
 * and SHOW USERS (always empty), and the deletes (meta_delete.c). Each
 * answers with InfluxDB 1.6.7's series names, columns, order and errors.
 * CREATE/DROP CONTINUOUS QUERY are handed to meta_cq.c. Statements Strata
 * does not implement (users, retention policies other than autogen,
 * subscriptions, shards)
 * answer an InfluxDB-shaped error saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"
#include "query/meta_int.h"
#include "query/cq_int.h" /* continuous queries (meta_cq.c) */

/* ---- helpers --------------------------------------------------------------------------- */

int qry__meta_series(qry_ctx *c, const char *name, size_t nlen, const char *const *cols,
                     size_t ncols)
{
    size_t lens[8];
    for (size_t i = 0; i < ncols && i < 8; i++)
        lens[i] = strlen(cols[i]);
    int rc = qry_writer_series_begin(c->w, name, nlen, NULL, 0, cols, lens, ncols);
    return rc == STRATA_OK ? STRATA_OK : qry__fail(c, rc, "out of memory writing the answer");
}

int qry__meta_row(qry_ctx *c, const qry_val *vals)
{
    int rc = qry_writer_row(c->w, vals);
    return rc == STRATA_OK ? STRATA_OK : qry__fail(c, rc, "out of memory writing the answer");
}

/* The database of a SHOW statement: ON db or the request's. */
int qry__meta_db(qry_ctx *c, const qry_show *sh, uint32_t *db, const char **name)
{
    qry_measurement m;
    memset(&m, 0, sizeof m);
    m.db = sh->db;
    return qry__resolve_db(c, &m, db, name);
}

/* ---- databases ------------------------------------------------------------------------------ */

typedef struct dbent {
    char *name;
    size_t len;
    uint32_t id;
} dbent;

typedef struct dblist {
    dbent *v;
    size_t n, cap;
    qry_ctx *c;
} dblist;

static int db_cb(void *ctx, const char *name, size_t len, uint32_t id)
{
    dblist *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        dbent *nv = qry__alloc(l->c, nc * sizeof *nv);
        if (nv == NULL) return 1;
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n].name = qry__strndup(l->c, name, len);
    if (l->v[l->n].name == NULL) return 1;
    l->v[l->n].len = len;
    l->v[l->n].id = id;
    l->n++;
    return 0;
}

static int dbent_cmp(const void *a, const void *b)
{
    const dbent *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Databases in creation order (InfluxDB keeps them in the order they were created). */
static int list_dbs(qry_ctx *c, dblist *l)
{
    memset(l, 0, sizeof *l);
    l->c = c;
    int rc = stg_db_list(c->e, db_cb, l, c->err);
    if (rc < 0) return rc;
    if (rc > 0) return STRATA_ENOMEM;
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, dbent_cmp);
    return STRATA_OK;
}

static int show_databases(qry_ctx *c)
{
    dblist l;
    int rc = list_dbs(c, &l);
    if (rc != STRATA_OK) return rc;
    static const char *const cols[] = {"name"};
    if ((rc = qry__meta_series(c, "databases", 9, cols, 1)) != STRATA_OK) return rc;
    for (size_t i = 0; i < l.n && rc == STRATA_OK; i++) {
        qry_val v = qry_val_s(l.v[i].name, l.v[i].len);
        rc = qry__meta_row(c, &v);
    }
    qry_writer_series_end(c->w);
    return rc;
}

static int drop_database(qry_ctx *c, qry_str n)
{
    char name[1024];
    if (n.len >= sizeof name) return STRATA_OK;
    memcpy(name, n.ptr, n.len);
    name[n.len] = 0;
    int rc = stg_db_drop(c->e, name, c->err);
    if (rc == STRATA_ENOTFOUND) {
        strata_error_clear(c->err);
        rc = STRATA_OK;
    }
    return rc;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int is_write_stmt(qry_stmt_kind k)
{
    switch (k) {
    case QRY_STMT_SELECT:
    case QRY_STMT_EXPLAIN:
    case QRY_STMT_DELETE: /* InfluxDB 1.6 does not warn for DELETE over GET */
        return 0;
    default:
        return !(k >= QRY_STMT_SHOW_DATABASES && k <= QRY_STMT_SHOW_SUBSCRIPTIONS);
    }
}

static int unsupported(qry_ctx *c, const char *what)
{
    return qry__fail(c, STRATA_EUNSUPPORTED, "%s is not supported by this server", what);
}

int qry__exec_meta(qry_ctx *c, const qry_stmt *s)
{
    int rc;
    /* ---- continuous queries (meta_cq.c): they write their own result ---- */
    if (s->kind == QRY_STMT_CREATE_CONTINUOUS_QUERY || s->kind == QRY_STMT_DROP_CONTINUOUS_QUERY)
        return qry__exec_cq_stmt(c, s);
    /* ---- end of continuous queries ---- */
    int mode = QRY_STMT_MODE_ONE;
    switch (s->kind) {
    case QRY_STMT_SHOW_TAG_KEYS:
    case QRY_STMT_SHOW_TAG_VALUES:
        mode = QRY_STMT_MODE_EACH;
        break;
    case QRY_STMT_SHOW_FIELD_KEYS:
    case QRY_STMT_SHOW_TAG_KEY_CARDINALITY:
    case QRY_STMT_SHOW_FIELD_KEY_CARDINALITY:
    case QRY_STMT_SHOW_TAG_VALUES_CARDINALITY:
        mode = QRY_STMT_MODE_SELECT;
        break;
    case QRY_STMT_SHOW_SERIES_CARDINALITY:
        if (s->u.show.exact || s->u.show.nsources || s->u.show.cond) mode = QRY_STMT_MODE_SELECT;
        break;
    default:
        break;
    }
    qry_writer_stmt_begin(c->w, c->stmt_id, mode, NULL);
    if (c->req && c->req->read_only && is_write_stmt(s->kind)) {
        char text[1024];
        char buf[1200];
        qry_stmt_format_mode(s, QRY_FMT_INFLUX, text, sizeof text);
        snprintf(buf, sizeof buf,
                 "deprecated use of '%s' in a read only context, please use a POST request "
                 "instead",
                 text);
        qry_writer_stmt_message(c->w, "warning", buf);
    }
    switch (s->kind) {
    case QRY_STMT_SHOW_DATABASES:
        rc = show_databases(c);
        break;
    case QRY_STMT_CREATE_DATABASE:
        rc = qry__create_database(c, &s->u.db);
        break;
    case QRY_STMT_DROP_DATABASE:
        rc = drop_database(c, s->u.db.name);
        break;
    case QRY_STMT_SHOW_RETENTION_POLICIES:
        rc = qry__show_rps(c, &s->u.show);
        break;
    case QRY_STMT_SHOW_MEASUREMENTS:
        rc = qry__show_measurements(c, &s->u.show);
        break;
    case QRY_STMT_SHOW_TAG_KEYS:
        rc = qry__show_tag_keys(c, &s->u.show);
        break;
    case QRY_STMT_SHOW_TAG_VALUES:
        rc = qry__show_tag_values(c, &s->u.show, 0);
        break;
    case QRY_STMT_SHOW_FIELD_KEYS:
        rc = qry__show_field_keys(c, &s->u.show, 0);
        break;
    case QRY_STMT_SHOW_SERIES:
        rc = qry__show_series(c, &s->u.show, 0);
        break;
    case QRY_STMT_SHOW_SERIES_CARDINALITY:
        rc = qry__show_series(c, &s->u.show, 1);
        break;
    case QRY_STMT_SHOW_MEASUREMENT_CARDINALITY:
        rc = qry__show_measurement_cardinality(c, &s->u.show);
        break;
    case QRY_STMT_SHOW_TAG_VALUES_CARDINALITY:
        rc = qry__show_tag_values(c, &s->u.show, 1);
        break;
    case QRY_STMT_SHOW_TAG_KEY_CARDINALITY:
        rc = qry__show_tag_key_cardinality(c, &s->u.show);
        break;
    case QRY_STMT_SHOW_FIELD_KEY_CARDINALITY:
        rc = qry__show_field_keys(c, &s->u.show, 1);
        break;
    case QRY_STMT_SHOW_CONTINUOUS_QUERIES:
        rc = qry__show_cqs(c); /* continuous queries (meta_cq.c) */
        break;
    case QRY_STMT_SHOW_USERS: {
        static const char *const cols[] = {"user", "admin"};
        rc = qry__meta_series(c, "", 0, cols, 2);
        qry_writer_series_end(c->w);
        break;
    }
    case QRY_STMT_SHOW_SUBSCRIPTIONS:
        rc = STRATA_OK;
        break;
    case QRY_STMT_SHOW_GRANTS:
        rc = qry__fail(c, STRATA_ENOTFOUND, "user not found");
        break;
    case QRY_STMT_DROP_MEASUREMENT:
        rc = qry__drop_measurement(c, s->u.name);
        break;
    case QRY_STMT_DROP_SERIES:
        rc = qry__drop_series(c, &s->u.show);
        break;
    case QRY_STMT_DELETE:
        rc = qry__delete(c, &s->u.show);
        break;
    case QRY_STMT_EXPLAIN:
        rc = unsupported(c, "EXPLAIN");
        break;
    case QRY_STMT_SHOW_QUERIES:
        rc = qry__show_queries(c);
        break;
    case QRY_STMT_SHOW_DIAGNOSTICS:
        rc = unsupported(c, "SHOW DIAGNOSTICS");
        break;
    case QRY_STMT_SHOW_STATS:
        rc = unsupported(c, "SHOW STATS");
        break;
    case QRY_STMT_SHOW_SHARDS:
        rc = unsupported(c, "SHOW SHARDS");
        break;
    case QRY_STMT_SHOW_SHARD_GROUPS:
        rc = unsupported(c, "SHOW SHARD GROUPS");
        break;
    case QRY_STMT_DROP_SHARD:
        rc = unsupported(c, "DROP SHARD");
        break;
    case QRY_STMT_CREATE_RETENTION_POLICY:
        rc = qry__create_rp(c, &s->u.rp);
        break;
    case QRY_STMT_ALTER_RETENTION_POLICY:
        rc = qry__alter_rp(c, &s->u.rp);
        break;
    case QRY_STMT_DROP_RETENTION_POLICY:
        rc = qry__drop_rp(c, &s->u.rp);
        break;
    case QRY_STMT_KILL_QUERY:
        rc = qry__kill_query(c, s->u.kill.id);
        break;
    case QRY_STMT_CREATE_USER:
    case QRY_STMT_DROP_USER:
    case QRY_STMT_SET_PASSWORD:
    case QRY_STMT_GRANT:
    case QRY_STMT_REVOKE:
        rc = unsupported(c, "user management");
        break;
    case QRY_STMT_CREATE_SUBSCRIPTION:
    case QRY_STMT_DROP_SUBSCRIPTION:
        rc = unsupported(c, "subscriptions");
        break;
    default:
        rc = unsupported(c, "this statement");
        break;
    }
    if (rc == STRATA_OK) rc = qry_writer_stmt_end(c->w);
    return rc;
}
