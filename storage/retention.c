/*
 * storage/retention.c: retention policies (storage/retention.h).
 *
 * The definitions are catalog records (storage/catalog.c); this file keeps
 * a small in-memory copy of what the hot paths need (per namespace: the
 * duration, the shard duration and the watermark) in e->rps under e->rp_mu,
 * reloaded whole after every change. Writers read it once per batch
 * (stg__rp_limits), iterators once per column (stg__rp_watermark).
 *
 * Record (kind STG_CAT_RP, name = the RP's name), 48 bytes, little-endian:
 *   u8 version (1), u8[3] zero, u32 replication, i64 duration_ns,
 *   i64 shard_ns, u32 namespace, u32 zero, u64 creation order,
 *   i64 expired_before_ns
 * Record (kind STG_CAT_RPDEF, name "default"): the default RP's name (may
 * be empty or name a dropped RP, as in InfluxDB).
 *
 * Internal namespaces are index databases named "\x01<db id>\x01<rp>" (with
 * "\x01<k>" appended when a namespace of that name was left over):
 * stg_db_create refuses control characters in names and stg_db_list skips
 * them, so users never see or reach them by name.
 */
#include "storage/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "storage/catalog.h"
#include "storage/engine_int.h"

#define REC_LEN 48
#define DAY_NS (86400LL * 1000000000LL)
/* Seconds from 0001-01-01 (Go's zero time) to the Unix epoch. */
#define GO_ZERO_TO_UNIX_S 62135596800LL

static const char DEFKEY[] = "default";

int64_t stg_rp_shard_normalise(int64_t shard_ns, int64_t duration_ns)
{
    if (shard_ns == 0) {
        if (duration_ns == 0 || duration_ns >= 180 * DAY_NS) return 7 * DAY_NS;
        if (duration_ns >= 2 * DAY_NS) return DAY_NS;
        return STG_RP_MIN_DURATION_NS;
    }
    if (shard_ns < STG_RP_MIN_DURATION_NS) return STG_RP_MIN_DURATION_NS;
    return shard_ns;
}

int64_t stg_rp_group_start(int64_t t, int64_t shard_ns)
{
    if (shard_ns <= 0) return t;
    __int128 abs = (__int128)t + (__int128)GO_ZERO_TO_UNIX_S * 1000000000;
    __int128 r = abs % shard_ns;
    if (r < 0) r += shard_ns;
    __int128 s = (__int128)t - r;
    return s < INT64_MIN ? INT64_MIN : (int64_t)s;
}

/* ---- records ---- */

typedef struct rp_rec {
    uint32_t replication, ns;
    int64_t duration_ns, shard_ns, expired_before_ns;
    uint64_t order;
} rp_rec;

static void rec_encode(const rp_rec *r, uint8_t *b)
{
    memset(b, 0, REC_LEN);
    b[0] = 1;
    strata_put_le32(b + 4, r->replication);
    strata_put_le64(b + 8, (uint64_t)r->duration_ns);
    strata_put_le64(b + 16, (uint64_t)r->shard_ns);
    strata_put_le32(b + 24, r->ns);
    strata_put_le64(b + 32, r->order);
    strata_put_le64(b + 40, (uint64_t)r->expired_before_ns);
}

static int rec_decode(const void *v, size_t len, rp_rec *r)
{
    const uint8_t *b = v;
    if (len != REC_LEN || b[0] != 1) return STRATA_ECORRUPT;
    r->replication = strata_get_le32(b + 4);
    r->duration_ns = (int64_t)strata_get_le64(b + 8);
    r->shard_ns = (int64_t)strata_get_le64(b + 16);
    r->ns = strata_get_le32(b + 24);
    r->order = strata_get_le64(b + 32);
    r->expired_before_ns = (int64_t)strata_get_le64(b + 40);
    return STRATA_OK;
}

/* All RPs of one database, read in one transaction. */
typedef struct rp_set {
    uint32_t db;
    int materialised; /* the catalog has records (else: implicit autogen) */
    char defname[STG_RP_NAME_MAX + 1];
    size_t n, cap;
    struct rp_ent {
        char name[STG_RP_NAME_MAX + 1];
        rp_rec r;
    } * v;
} rp_set;

static void set_fini(rp_set *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int set_push(rp_set *s, const char *name, size_t nl, const rp_rec *r)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4;
        struct rp_ent *nv = realloc(s->v, nc * sizeof *nv);
        if (nv == NULL) return STRATA_ENOMEM;
        s->v = nv;
        s->cap = nc;
    }
    struct rp_ent *en = &s->v[s->n++];
    if (nl > STG_RP_NAME_MAX) nl = STG_RP_NAME_MAX;
    memcpy(en->name, name, nl);
    en->name[nl] = 0;
    en->r = *r;
    return STRATA_OK;
}

static int ent_order_cmp(const void *a, const void *b)
{
    const struct rp_ent *x = a, *y = b;
    return x->r.order < y->r.order ? -1 : x->r.order > y->r.order;
}

/* Read the RPs of db (which must exist) inside txn. */
static int set_load(stg_engine *e, MDB_txn *txn, uint32_t db, rp_set *s, strata_error *err)
{
    memset(s, 0, sizeof *s);
    s->db = db;
    MDB_val v;
    int rc = stg__catalog_get_txn(e, txn, db, STG_CAT_RPDEF, DEFKEY, sizeof DEFKEY - 1, &v, err);
    if (rc == STRATA_ENOTFOUND) {
        /* A database from before retention policies: implicit autogen. */
        rp_rec r = {1, db, 0, 7 * DAY_NS, INT64_MIN, 1};
        strcpy(s->defname, "autogen");
        return set_push(s, "autogen", 7, &r);
    }
    if (rc != STRATA_OK) return rc;
    s->materialised = 1;
    size_t dl = v.mv_size > STG_RP_NAME_MAX ? STG_RP_NAME_MAX : v.mv_size;
    memcpy(s->defname, v.mv_data, dl);
    s->defname[dl] = 0;

    MDB_cursor *cur;
    uint8_t p[6] = {'C'};
    strata_put_be32(p + 1, db);
    p[5] = STG_CAT_RP;
    if ((rc = mdb_cursor_open(txn, e->dbi_meta, &cur))) return stg__mdb_err(rc, err, "reading RPs");
    MDB_val k = {sizeof p, p};
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    int ret = STRATA_OK;
    while (rc == 0 && k.mv_size > sizeof p && memcmp(k.mv_data, p, sizeof p) == 0) {
        rp_rec r;
        if (rec_decode(v.mv_data, v.mv_size, &r) != STRATA_OK) {
            ret = strata_error_set(err, STRATA_ECORRUPT,
                                   "catalog: bad retention policy record \"%.*s\" of database %u",
                                   (int)(k.mv_size - sizeof p), (const char *)k.mv_data + sizeof p,
                                   db);
            break;
        }
        if ((ret = set_push(s, (const char *)k.mv_data + sizeof p, k.mv_size - sizeof p, &r)))
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (ret != STRATA_OK)
        return ret == STRATA_ENOMEM ? strata_error_set(err, ret, "out of memory") : ret;
    if (rc && rc != MDB_NOTFOUND) return stg__mdb_err(rc, err, "reading RPs");
    if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, ent_order_cmp);
    return STRATA_OK;
}

static struct rp_ent *set_find(rp_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0) return &s->v[i];
    return NULL;
}

/* Write every record of the set (materialising an implicit autogen). */
static int set_store(stg_engine *e, MDB_txn *txn, const rp_set *s, strata_error *err)
{
    int rc = stg__catalog_put_txn(e, txn, s->db, STG_CAT_RPDEF, DEFKEY, sizeof DEFKEY - 1,
                                  s->defname, strlen(s->defname), err);
    for (size_t i = 0; i < s->n && rc == STRATA_OK; i++) {
        uint8_t b[REC_LEN];
        rec_encode(&s->v[i].r, b);
        rc = stg__catalog_put_txn(e, txn, s->db, STG_CAT_RP, s->v[i].name, strlen(s->v[i].name), b,
                                  REC_LEN, err);
    }
    return rc;
}

static void info_fill(const rp_set *s, const struct rp_ent *en, stg_rp_info *out)
{
    memset(out, 0, sizeof *out);
    strcpy(out->name, en->name);
    out->duration_ns = en->r.duration_ns;
    out->shard_ns = en->r.shard_ns;
    out->replication = en->r.replication;
    out->ns = en->r.ns;
    out->is_default = strcmp(s->defname, en->name) == 0;
    out->expired_before_ns = en->r.expired_before_ns;
}

/* ---- the in-memory copy ---- */

/* Rebuild e->rps from the catalog (all databases). */
int stg__rp_cache_load(stg_engine *e, MDB_txn *txn, strata_error *err)
{
    stg__rpcache *v = NULL;
    size_t n = 0, cap = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, e->dbi_meta, &cur);
    if (rc) return stg__mdb_err(rc, err, "reading RPs");
    MDB_val k = {1, "C"}, d;
    rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > 6 && ((const uint8_t *)k.mv_data)[0] == 'C') {
        rp_rec r;
        if (((const uint8_t *)k.mv_data)[5] == STG_CAT_RP &&
            rec_decode(d.mv_data, d.mv_size, &r) == STRATA_OK) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                stg__rpcache *nv = realloc(v, nc * sizeof *nv);
                if (nv == NULL) {
                    mdb_cursor_close(cur);
                    free(v);
                    return strata_error_set(err, STRATA_ENOMEM, "out of memory");
                }
                v = nv;
                cap = nc;
            }
            v[n].ns = r.ns;
            v[n].duration_ns = r.duration_ns;
            v[n].shard_ns = r.shard_ns;
            v[n].expired_before_ns = r.expired_before_ns;
            n++;
        }
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) {
        free(v);
        return stg__mdb_err(rc, err, "reading RPs");
    }
    pthread_mutex_lock(&e->rp_mu);
    free(e->rps);
    e->rps = v;
    e->nrps = n;
    pthread_mutex_unlock(&e->rp_mu);
    return STRATA_OK;
}

void stg__rp_limits(stg_engine *e, uint32_t ns, int64_t *duration_ns, int64_t *shard_ns)
{
    *duration_ns = 0;
    *shard_ns = 0;
    pthread_mutex_lock(&e->rp_mu);
    for (size_t i = 0; i < e->nrps; i++)
        if (e->rps[i].ns == ns) {
            *duration_ns = e->rps[i].duration_ns;
            *shard_ns = e->rps[i].shard_ns;
            break;
        }
    pthread_mutex_unlock(&e->rp_mu);
}

int64_t stg__rp_watermark(stg_engine *e, uint32_t ns)
{
    int64_t wm = INT64_MIN;
    pthread_mutex_lock(&e->rp_mu);
    for (size_t i = 0; i < e->nrps; i++)
        if (e->rps[i].ns == ns) {
            wm = e->rps[i].expired_before_ns;
            break;
        }
    pthread_mutex_unlock(&e->rp_mu);
    return wm;
}

/* ---- transactions around a database's set ---- */

static int begin_db(stg_engine *e, const char *db, MDB_txn **txn, uint32_t *id, strata_error *err)
{
    int rc = mdb_txn_begin(e->env, NULL, 0, txn);
    if (rc) return stg__mdb_err(rc, err, "retention policies");
    rc = (db == NULL || db[0] == 1) ? STRATA_ENOTFOUND
                                    : stg_index_db_lookup(e->idx, *txn, db, strlen(db), id);
    if (rc == STRATA_ENOTFOUND) rc = strata_error_set(err, rc, "database not found: %s", db);
    if (rc != STRATA_OK) {
        mdb_txn_abort(*txn);
        *txn = NULL;
    }
    return rc;
}

static int commit(stg_engine *e, MDB_txn *txn, strata_error *err)
{
    int rc = mdb_txn_commit(txn);
    if (rc) return stg__mdb_err(rc, err, "retention policies");
    MDB_txn *r;
    if ((rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &r)))
        return stg__mdb_err(rc, err, "retention policies");
    rc = stg__rp_cache_load(e, r, err);
    mdb_txn_abort(r);
    return rc;
}

static int check_name(const char *name, strata_error *err)
{
    if (name == NULL || name[0] == 0)
        return strata_error_set(err, STRATA_EINVAL, "retention policy name required");
    if (strlen(name) > STG_RP_NAME_MAX)
        return strata_error_set(err, STRATA_EINVAL, "retention policy name longer than %d bytes",
                                STG_RP_NAME_MAX);
    return STRATA_OK;
}

static int check_durations(int64_t dur, int64_t shard, strata_error *err)
{
    if (dur != 0 && dur < STG_RP_MIN_DURATION_NS)
        return strata_error_set(err, STRATA_EINVAL,
                                "retention policy duration must be at least 1h0m0s");
    if (dur > 0 && dur < shard)
        return strata_error_set(
            err, STRATA_EINVAL,
            "retention policy duration must be greater than the shard duration");
    return STRATA_OK;
}

/* Add an RP to the set; its namespace is the database's own id if that is free. */
static int add_rp(stg_engine *e, MDB_txn *txn, rp_set *s, const char *name, int64_t dur,
                  int64_t shard, uint32_t repl, strata_error *err)
{
    rp_rec r = {repl, 0, dur, shard, INT64_MIN, 1};
    int own_used = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].r.ns == s->db) own_used = 1;
        if (s->v[i].r.order >= r.order) r.order = s->v[i].r.order + 1;
    }
    if (!own_used) {
        r.ns = s->db;
    } else {
        /* A namespace of that name left over by an interrupted drop keeps its
         * data out of the new policy: take the next free suffix instead. */
        char iname[STG_RP_NAME_MAX + 48];
        int rc = STRATA_EEXIST;
        for (uint32_t k = 0; rc == STRATA_EEXIST && k < 1000; k++) {
            int l = k ? snprintf(iname, sizeof iname, "\x01%u\x01%s\x01%u", s->db, name, k)
                      : snprintf(iname, sizeof iname, "\x01%u\x01%s", s->db, name);
            rc = stg_index_db_create(e->idx, txn, iname, (size_t)l, &r.ns, err);
        }
        if (rc == STRATA_EEXIST)
            rc = strata_error_set(err, STRATA_ELIMIT, "too many left-over namespaces of policy %s",
                                  name);
        if (rc != STRATA_OK) return rc;
    }
    if (set_push(s, name, strlen(name), &r) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    return STRATA_OK;
}

int stg_db_create_with(stg_engine *e, const char *name, const stg_rp_spec *spec, uint32_t *db_id,
                       strata_error *err)
{
    MDB_txn *txn = NULL;
    rp_set s = {0};
    uint32_t id = 0;
    int rc, existed = 0;

    if (name == NULL || name[0] == 0)
        return strata_error_set(err, STRATA_EINVAL, "database name required");
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return strata_error_set(err, STRATA_EINVAL, "invalid name");
    const char *rpname = spec && spec->name && spec->name[0] ? spec->name : "autogen";
    int64_t dur = spec && spec->has_duration ? spec->duration_ns : 0;
    int64_t shard = stg_rp_shard_normalise(spec && spec->has_shard ? spec->shard_ns : 0, dur);
    uint32_t repl = spec && spec->has_replication ? (uint32_t)spec->replication : 1;
    if ((rc = check_name(rpname, err)) != STRATA_OK) return rc;
    if (spec && (rc = check_durations(dur, shard, err)) != STRATA_OK) return rc;

    if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)))
        return stg__mdb_err(rc, err, "creating a database");
    rc = stg_index_db_create(e->idx, txn, name, strlen(name), &id, err);
    if (rc == STRATA_EEXIST) {
        existed = 1;
        strata_error_clear(err);
        rc = STRATA_OK;
    }
    if (rc != STRATA_OK) goto fail;
    if (existed) {
        if (spec == NULL) goto done; /* nothing to change */
        if ((rc = set_load(e, txn, id, &s, err)) != STRATA_OK) goto fail;
        struct rp_ent *en = set_find(&s, rpname);
        if (s.n == 0) {
            if ((rc = add_rp(e, txn, &s, rpname, dur, shard, repl, err)) != STRATA_OK) goto fail;
            strcpy(s.defname, rpname);
        } else if (en == NULL || en->r.duration_ns != dur || en->r.shard_ns != shard ||
                   en->r.replication != repl || strcmp(s.defname, rpname) != 0) {
            rc = strata_error_set(err, STRATA_EEXIST,
                                  "retention policy conflicts with an existing policy");
            goto fail;
        } else {
            goto done;
        }
    } else {
        s.db = id;
        if ((rc = add_rp(e, txn, &s, rpname, dur, shard, repl, err)) != STRATA_OK) goto fail;
        strcpy(s.defname, rpname);
    }
    if ((rc = set_store(e, txn, &s, err)) != STRATA_OK) goto fail;
    rc = commit(e, txn, err);
    txn = NULL;
    if (rc != STRATA_OK) goto fail;
    if (db_id) *db_id = id;
    set_fini(&s);
    return STRATA_OK;
done:
    mdb_txn_abort(txn);
    if (db_id) *db_id = id;
    set_fini(&s);
    return STRATA_OK;
fail:
    if (txn) mdb_txn_abort(txn);
    set_fini(&s);
    return rc;
}

int stg_rp_create(stg_engine *e, const char *db, const stg_rp_spec *spec, int make_default,
                  strata_error *err)
{
    MDB_txn *txn = NULL;
    rp_set s = {0};
    uint32_t id;
    int rc = check_name(spec->name, err);
    if (rc != STRATA_OK) return rc;
    int64_t dur = spec->has_duration ? spec->duration_ns : 0;
    int64_t shard = stg_rp_shard_normalise(spec->has_shard ? spec->shard_ns : 0, dur);
    uint32_t repl = spec->has_replication ? (uint32_t)spec->replication : 1;
    if ((rc = check_durations(dur, shard, err)) != STRATA_OK) return rc;
    if ((rc = begin_db(e, db, &txn, &id, err)) != STRATA_OK) return rc;
    if ((rc = set_load(e, txn, id, &s, err)) != STRATA_OK) goto fail;
    struct rp_ent *en = set_find(&s, spec->name);
    if (en) {
        if (en->r.duration_ns != dur || en->r.shard_ns != shard || en->r.replication != repl)
            rc = strata_error_set(err, STRATA_EEXIST, "retention policy already exists");
        else if (make_default && strcmp(s.defname, spec->name) != 0)
            rc = strata_error_set(err, STRATA_EEXIST,
                                  "retention policy conflicts with an existing policy");
        goto fail; /* identical: nothing to do (rc is STRATA_OK) */
    }
    if ((rc = add_rp(e, txn, &s, spec->name, dur, shard, repl, err)) != STRATA_OK) goto fail;
    if (make_default) strcpy(s.defname, spec->name);
    if ((rc = set_store(e, txn, &s, err)) != STRATA_OK) goto fail;
    rc = commit(e, txn, err);
    set_fini(&s);
    return rc;
fail:
    if (txn) mdb_txn_abort(txn);
    set_fini(&s);
    return rc;
}

int stg_rp_alter(stg_engine *e, const char *db, const char *name, const stg_rp_spec *chg,
                 int make_default, strata_error *err)
{
    MDB_txn *txn = NULL;
    rp_set s = {0};
    uint32_t id;
    int rc = begin_db(e, db, &txn, &id, err);
    if (rc != STRATA_OK) return rc;
    if ((rc = set_load(e, txn, id, &s, err)) != STRATA_OK) goto fail;
    struct rp_ent *en = set_find(&s, name);
    if (en == NULL) {
        rc = strata_error_set(err, STRATA_ENOTFOUND, "retention policy not found: %s", name);
        goto fail;
    }
    if (chg->has_duration && chg->duration_ns != 0 && chg->duration_ns < STG_RP_MIN_DURATION_NS) {
        rc = strata_error_set(err, STRATA_EINVAL,
                              "retention policy duration must be at least 1h0m0s");
        goto fail;
    }
    int64_t dur = chg->has_duration ? chg->duration_ns : en->r.duration_ns;
    int64_t shard = chg->has_shard ? chg->shard_ns : en->r.shard_ns;
    if (dur > 0 && dur < shard) {
        rc = strata_error_set(err, STRATA_EINVAL,
                              "retention policy duration must be greater than the shard duration");
        goto fail;
    }
    en->r.duration_ns = dur;
    if (chg->has_replication) en->r.replication = (uint32_t)chg->replication;
    if (chg->has_shard) en->r.shard_ns = stg_rp_shard_normalise(chg->shard_ns, dur);
    if (make_default) strcpy(s.defname, name);
    if ((rc = set_store(e, txn, &s, err)) != STRATA_OK) goto fail;
    rc = commit(e, txn, err);
    set_fini(&s);
    return rc;
fail:
    if (txn) mdb_txn_abort(txn);
    set_fini(&s);
    return rc;
}

/* Drop every measurement of namespace ns (the database's own: it stays). */
static int truncate_ns(stg_engine *e, uint32_t ns, strata_error *err);

int stg_rp_drop(stg_engine *e, const char *db, const char *name, strata_error *err)
{
    MDB_txn *txn = NULL;
    rp_set s = {0};
    uint32_t id;
    int rc = begin_db(e, db, &txn, &id, err);
    if (rc == STRATA_ENOTFOUND) {
        strata_error_clear(err);
        return STRATA_OK;
    }
    if (rc != STRATA_OK) return rc;
    if ((rc = set_load(e, txn, id, &s, err)) != STRATA_OK) goto fail;
    struct rp_ent *en = set_find(&s, name);
    if (en == NULL) goto fail; /* rc is STRATA_OK: nothing to drop */
    uint32_t ns = en->r.ns;
    /* The records go first: from then on nothing writes or reads the namespace. */
    if (!s.materialised && (rc = set_store(e, txn, &s, err)) != STRATA_OK) goto fail;
    if ((rc = stg__catalog_del_txn(e, txn, id, STG_CAT_RP, name, strlen(name), err)) != STRATA_OK)
        goto fail;
    rc = commit(e, txn, err);
    txn = NULL;
    if (rc != STRATA_OK) goto fail;
    rc = ns == id ? truncate_ns(e, ns, err) : stg__ns_drop(e, ns, err);
    if (rc == STRATA_OK)
        strata_log(e->log, STRATA_LOG_INFO, "retention",
                   "dropped retention policy \"%s\" of database \"%s\" and its data", name, db);
fail:
    if (txn) mdb_txn_abort(txn);
    set_fini(&s);
    return rc;
}

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static int collect_meas(void *ctx, const char *name, size_t len, uint32_t mid)
{
    (void)mid;
    name_list *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, nc * sizeof *nv);
        if (nv == NULL) return 1;
        l->v = nv;
        l->cap = nc;
    }
    if ((l->v[l->n] = malloc(len + 1)) == NULL) return 1;
    memcpy(l->v[l->n], name, len);
    l->v[l->n][len] = 0;
    l->n++;
    return 0;
}

static int truncate_ns(stg_engine *e, uint32_t ns, strata_error *err)
{
    name_list l = {0};
    MDB_txn *txn;
    int rc = stg_engine_read_begin(e, &txn, err);
    if (rc != STRATA_OK) return rc;
    rc = stg_index_meas_list(e->idx, txn, ns, collect_meas, &l);
    stg_engine_read_end(e, txn);
    if (rc != STRATA_OK)
        rc = strata_error_set(err, rc < 0 ? rc : STRATA_ENOMEM, "listing measurements");
    for (size_t i = 0; i < l.n && rc == STRATA_OK; i++) {
        rc = stg_measurement_drop(e, ns, l.v[i], strlen(l.v[i]), err);
        if (rc == STRATA_ENOTFOUND) {
            strata_error_clear(err);
            rc = STRATA_OK;
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    return rc;
}

/* Read the RPs of database db (by name) in a read transaction of their own. */
static int load_by_name(stg_engine *e, const char *db, rp_set *s, strata_error *err)
{
    MDB_txn *txn;
    uint32_t id;
    memset(s, 0, sizeof *s);
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc) return stg__mdb_err(rc, err, "retention policies");
    rc = db[0] == 1 ? STRATA_ENOTFOUND : stg_index_db_lookup(e->idx, txn, db, strlen(db), &id);
    if (rc == STRATA_ENOTFOUND) rc = strata_error_set(err, rc, "database not found: %s", db);
    if (rc == STRATA_OK) rc = set_load(e, txn, id, s, err);
    mdb_txn_abort(txn);
    return rc;
}

int stg_rp_list(stg_engine *e, const char *db, int (*fn)(void *ctx, const stg_rp_info *rp),
                void *ctx, strata_error *err)
{
    rp_set s;
    int rc = load_by_name(e, db, &s, err);
    for (size_t i = 0; i < s.n && rc == STRATA_OK; i++) {
        stg_rp_info info;
        info_fill(&s, &s.v[i], &info);
        rc = fn(ctx, &info);
    }
    set_fini(&s);
    return rc;
}

int stg_rp_resolve(stg_engine *e, const char *db, const char *rp, stg_rp_info *out,
                   strata_error *err)
{
    rp_set s;
    int rc = load_by_name(e, db, &s, err);
    if (rc == STRATA_OK) {
        const char *want = rp && rp[0] ? rp : s.defname;
        struct rp_ent *en = set_find(&s, want);
        if (en == NULL)
            rc = strata_error_set(err, STRATA_ENOTFOUND, "retention policy not found: %s", want);
        else
            info_fill(&s, en, out);
    }
    set_fini(&s);
    return rc;
}

int stg__rp_namespaces(stg_engine *e, uint32_t db, uint32_t **out, size_t *n, strata_error *err)
{
    MDB_txn *txn;
    rp_set s = {0};
    *out = NULL;
    *n = 0;
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc) return stg__mdb_err(rc, err, "retention policies");
    rc = set_load(e, txn, db, &s, err);
    mdb_txn_abort(txn);
    if (rc == STRATA_OK && s.n) {
        if ((*out = malloc(s.n * sizeof **out)) == NULL)
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        for (size_t i = 0; *out && i < s.n; i++)
            (*out)[(*n)++] = s.v[i].r.ns;
    }
    set_fini(&s);
    return rc;
}

/* ---- expiry ---- */

typedef struct expiry {
    uint32_t db, ns;
    int64_t cutoff;
    char name[STG_RP_NAME_MAX + 1];
} expiry;

int stg_retention_enforce(stg_engine *e, int64_t now_ns, stg_retention_stats *st, strata_error *err)
{
    expiry *dues = NULL;
    size_t n = 0, cap = 0;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc, ret = STRATA_OK;
    stg_retention_stats local;
    if (st == NULL) st = &local;
    memset(st, 0, sizeof *st);

    /* Move the watermarks in one transaction. */
    if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn))) return stg__mdb_err(rc, err, "retention");
    if ((rc = mdb_cursor_open(txn, e->dbi_meta, &cur))) {
        ret = stg__mdb_err(rc, err, "retention");
        goto out;
    }
    MDB_val k = {1, "C"}, d;
    rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > 6 && ((const uint8_t *)k.mv_data)[0] == 'C') {
        rp_rec r;
        const uint8_t *kp = k.mv_data;
        if (kp[5] == STG_CAT_RP && rec_decode(d.mv_data, d.mv_size, &r) == STRATA_OK &&
            r.duration_ns > 0 && now_ns > INT64_MIN + r.duration_ns) {
            /* Shard groups whose end is before now - duration are gone. */
            int64_t cutoff = stg_rp_group_start(now_ns - r.duration_ns - 1, r.shard_ns);
            if (cutoff > r.expired_before_ns) {
                if (n == cap) {
                    size_t nc = cap ? cap * 2 : 8;
                    expiry *nt = realloc(dues, nc * sizeof *nt);
                    if (nt == NULL) {
                        ret = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                        goto out;
                    }
                    dues = nt;
                    cap = nc;
                }
                expiry *x = &dues[n++];
                x->db = strata_get_be32(kp + 1);
                x->ns = r.ns;
                x->cutoff = cutoff;
                size_t nl = k.mv_size - 6 > STG_RP_NAME_MAX ? STG_RP_NAME_MAX : k.mv_size - 6;
                memcpy(x->name, kp + 6, nl);
                x->name[nl] = 0;
            }
        }
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND) {
        ret = stg__mdb_err(rc, err, "retention");
        goto out;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    for (size_t i = 0; i < n; i++) {
        MDB_val v;
        rp_rec r;
        if ((ret = stg__catalog_get_txn(e, txn, dues[i].db, STG_CAT_RP, dues[i].name,
                                        strlen(dues[i].name), &v, err)) != STRATA_OK ||
            rec_decode(v.mv_data, v.mv_size, &r) != STRATA_OK)
            goto out;
        r.expired_before_ns = dues[i].cutoff;
        uint8_t b[REC_LEN];
        rec_encode(&r, b);
        if ((ret = stg__catalog_put_txn(e, txn, dues[i].db, STG_CAT_RP, dues[i].name,
                                        strlen(dues[i].name), b, REC_LEN, err)) != STRATA_OK)
            goto out;
    }
    if (n == 0) goto out;
    ret = commit(e, txn, err);
    txn = NULL;
    if (ret != STRATA_OK) goto out;
    st->moved = (uint32_t)n;

    /* Then delete whole chunks below them; readers already skip what is left. */
    for (size_t i = 0; i < n && ret == STRATA_OK; i++) {
        uint64_t dropped = 0;
        char when[40];
        ret = stg__delete_whole(e, dues[i].ns, dues[i].cutoff, &dropped, err);
        st->chunks_deleted += dropped;
        if (ret == STRATA_OK) ret = stg__series_expire(e, dues[i].ns, dues[i].cutoff, err);
        strata_log(e->log, STRATA_LOG_INFO, "retention",
                   "retention policy \"%s\" of database %u: points before %s expired, %llu "
                   "chunks deleted",
                   dues[i].name, dues[i].db, stg__fmt_time(dues[i].cutoff, when, sizeof when),
                   (unsigned long long)dropped);
    }
out:
    if (cur) mdb_cursor_close(cur);
    if (txn) mdb_txn_abort(txn);
    free(dues);
    return ret;
}

int stg__retention_due(stg_engine *e)
{
    if (e->opt.retention_check_ns < 0) return 0;
    return strata_mono_ns() - e->last_retention_mono_ns >= e->opt.retention_check_ns;
}

void stg__retention_run(stg_engine *e)
{
    strata_error err;
    e->last_retention_mono_ns = strata_mono_ns();
    if (stg_retention_enforce(e, strata_now_ns(), NULL, &err) != STRATA_OK)
        strata_log(e->log, STRATA_LOG_ERROR, "retention",
                   "expiring old data failed (retried at the next check): %s", err.msg);
}
