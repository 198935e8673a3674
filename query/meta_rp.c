/*
 * query/meta_rp.c: the retention-policy statements. CREATE DATABASE (with
 * its optional WITH clause), CREATE / ALTER / DROP RETENTION POLICY and
 * SHOW RETENTION POLICIES map onto storage/retention.h, which holds
 * InfluxDB 1.6's rules and error texts; this file turns statements into
 * calls and answers into InfluxDB's result shape (durations in Go's
 * time.Duration.String() form, as "168h0m0s").
 */
#include <stdio.h>
#include <string.h>

#include "query/exec_int.h"
#include "query/meta_int.h"
#include "storage/retention.h"

#define NAME_CAP 1024

/* Copy a name into buf as a C string; 0 if it does not fit or holds a NUL. */
static int cname(qry_str s, char *buf, size_t cap)
{
    if (s.len >= cap || (s.len && memchr(s.ptr, 0, s.len))) return 0;
    if (s.len) memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    return 1;
}

int qry__create_database(qry_ctx *c, const qry_db_stmt *d)
{
    char name[NAME_CAP], rp[NAME_CAP];
    if (d->name.len == 0 || !cname(d->name, name, sizeof name))
        return qry__fail(c, STRATA_EINVAL, "invalid name");
    if (!d->with) return stg_db_create(c->e, name, NULL, c->err);
    stg_rp_spec spec = {0};
    if (!cname(d->rp_name, rp, sizeof rp)) return qry__fail(c, STRATA_EINVAL, "invalid name");
    spec.name = rp;
    spec.has_duration = d->has_duration;
    spec.duration_ns = d->duration_ns;
    spec.has_replication = d->has_replication;
    spec.replication = d->replication;
    spec.has_shard = d->has_shard_duration;
    spec.shard_ns = d->shard_duration_ns;
    return stg_db_create_with(c->e, name, &spec, NULL, c->err);
}

/* The database a retention-policy statement names. */
static int rp_names(qry_ctx *c, const qry_rp_stmt *r, char *db, char *rp)
{
    if (!cname(r->db, db, NAME_CAP) || !cname(r->name, rp, NAME_CAP))
        return qry__fail(c, STRATA_EINVAL, "invalid name");
    return STRATA_OK;
}

static void spec_of(const qry_rp_stmt *r, const char *name, stg_rp_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->name = name;
    spec->has_duration = r->has_duration;
    spec->duration_ns = r->duration_ns;
    spec->has_replication = r->has_replication;
    spec->replication = r->replication;
    spec->has_shard = r->has_shard_duration;
    spec->shard_ns = r->shard_duration_ns;
}

int qry__create_rp(qry_ctx *c, const qry_rp_stmt *r)
{
    char db[NAME_CAP], rp[NAME_CAP];
    int rc = rp_names(c, r, db, rp);
    if (rc != STRATA_OK) return rc;
    stg_rp_spec spec;
    spec_of(r, rp, &spec);
    return stg_rp_create(c->e, db, &spec, r->is_default, c->err);
}

int qry__alter_rp(qry_ctx *c, const qry_rp_stmt *r)
{
    char db[NAME_CAP], rp[NAME_CAP];
    int rc = rp_names(c, r, db, rp);
    if (rc != STRATA_OK) return rc;
    stg_rp_spec spec;
    spec_of(r, rp, &spec);
    return stg_rp_alter(c->e, db, rp, &spec, r->is_default, c->err);
}

int qry__drop_rp(qry_ctx *c, const qry_rp_stmt *r)
{
    char db[NAME_CAP], rp[NAME_CAP];
    int rc = rp_names(c, r, db, rp);
    if (rc != STRATA_OK) return rc;
    return stg_rp_drop(c->e, db, rp, c->err);
}

static int ns_add(void *ctx, const stg_rp_info *rp)
{
    qry_nsset *s = ctx;
    if (s->n == QRY_MAX_RPS) return 1;
    s->v[s->n++] = rp->ns;
    return 0;
}

int qry__meta_namespaces(qry_ctx *c, const char *db, qry_nsset *out)
{
    out->n = 0;
    int rc = stg_rp_list(c->e, db, ns_add, out, c->err);
    if (rc > 0)
        return qry__fail(c, STRATA_ELIMIT, "more than %d retention policies in database %s",
                         QRY_MAX_RPS, db);
    return rc;
}

static int rp_row(void *ctx, const stg_rp_info *rp)
{
    qry_ctx *c = ctx;
    char dur[48], shard[48];
    qry__go_duration(rp->duration_ns, dur, sizeof dur);
    qry__go_duration(rp->shard_ns, shard, sizeof shard);
    qry_val row[5] = {qry_val_s(rp->name, strlen(rp->name)), qry_val_s(dur, strlen(dur)),
                      qry_val_s(shard, strlen(shard)), qry_val_i(rp->replication),
                      qry_val_b(rp->is_default)};
    return qry__meta_row(c, row) != STRATA_OK;
}

int qry__show_rps(qry_ctx *c, const qry_show *sh)
{
    const char *name;
    char db[NAME_CAP];
    if (sh->db.len) {
        if (!cname(sh->db, db, sizeof db)) return qry__fail(c, STRATA_EINVAL, "invalid name");
        name = db;
    } else {
        name = c->db;
    }
    if (name == NULL || name[0] == 0) return qry__fail(c, STRATA_EINVAL, "database name required");
    static const char *const cols[] = {"name", "duration", "shardGroupDuration", "replicaN",
                                       "default"};
    /* The database must exist before the series starts. */
    uint32_t id;
    if (stg_db_lookup(c->e, name, &id) != STRATA_OK)
        return qry__fail(c, STRATA_ENOTFOUND, "database not found: %s", name);
    int rc;
    if ((rc = qry__meta_series(c, "", 0, cols, 5)) != STRATA_OK) return rc;
    rc = stg_rp_list(c->e, name, rp_row, c, c->err);
    if (rc > 0) rc = c->err && c->err->code ? c->err->code : STRATA_ENOMEM;
    qry_writer_series_end(c->w);
    return rc;
}
