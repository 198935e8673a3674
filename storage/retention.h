/*
 * storage/retention.h: retention policies, as InfluxDB 1.x has them.
 *
 * Every database has zero or more retention policies (RPs); one of them is
 * the database's default. Each RP keeps its points apart from the others' in
 * a namespace of its own: a namespace is what the rest of the engine API
 * calls a database id (stg_batch_new, stg_iter_open, stg_delete_range, the
 * index functions). The RP created with the database ("autogen" unless
 * CREATE DATABASE ... WITH NAME says otherwise) uses the database's own id;
 * later RPs get an internal namespace, invisible to stg_db_list().
 *
 * An RP with a finite duration expires its data by whole shard groups, as
 * InfluxDB does: a shard group [start, start + shard duration) goes once its
 * end is older than now - duration; shard groups are aligned as Go's
 * time.Truncate aligns them. Expiry (stg_retention_enforce, run by the
 * engine's background thread every stg_options.retention_check_ns) moves
 * the RP's watermark: points older than it are invisible to every reader at
 * once, whole chunks and partitions below it are deleted without decoding,
 * and a chunk that straddles it is left alone until it is wholly expired,
 * so that no live chunk is ever rewritten. Writes of points that fall into
 * an expired shard group are dropped and counted (InfluxDB's "points beyond
 * retention policy").
 *
 * Definitions live in the engine's catalog (storage/catalog.h): kind
 * STG_CAT_RP, one record per RP (layout in storage/FORMAT.md), and one
 * STG_CAT_RPDEF record holding the default RP's name. A database created
 * before retention policies existed has no records; it behaves as if it had
 * "autogen" (infinite, 7-day shard groups, replication 1, default) on its
 * own id, and gets the records at the first change.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef STRATA_STORAGE_RETENTION_H
#define STRATA_STORAGE_RETENTION_H

#include <stdint.h>

#include "common/error.h"
#include "storage/engine.h"

#define STG_RP_NAME_MAX 255
#define STG_RP_MIN_DURATION_NS (3600LL * 1000000000LL) /* InfluxDB's minimum: 1h */

/* What a statement asks for; has_* say which fields were given. */
typedef struct stg_rp_spec {
    const char *name; /* NULL or "" = "autogen" (only for stg_db_create_with) */
    int has_duration, has_replication, has_shard;
    int64_t duration_ns; /* 0 = infinite */
    int64_t replication;
    int64_t shard_ns; /* 0 = chosen from the duration */
} stg_rp_spec;

/* A retention policy as stored. */
typedef struct stg_rp_info {
    char name[STG_RP_NAME_MAX + 1];
    int64_t duration_ns; /* 0 = infinite */
    int64_t shard_ns;    /* shard group duration, normalised */
    uint32_t replication;
    uint32_t ns; /* namespace: the id the write and read APIs take */
    int is_default;
    int64_t expired_before_ns; /* points before this are gone; INT64_MIN if none */
} stg_rp_info;

/*
 * InfluxDB's shard group duration for an RP of the given duration when none
 * is given (1h below 2 days, 1 day below 180 days, else and for infinite 7
 * days), and its normalisation of a given one (below 1h: that of 1h).
 */
int64_t stg_rp_shard_normalise(int64_t shard_ns, int64_t duration_ns);

/*
 * Start of the shard group of width shard_ns holding t (Go's
 * time.Truncate alignment: multiples of shard_ns since 0001-01-01 UTC).
 */
int64_t stg_rp_group_start(int64_t t, int64_t shard_ns);

/*
 * Create database name. With rp NULL: as stg_db_create (an "autogen"
 * default RP; an existing database is left alone). With rp: its RP becomes
 * the default of a new database; on an existing database the call succeeds
 * only if the same RP already exists and is the default (InfluxDB's rule).
 * *db_id may be NULL.
 * @return STRATA_OK; STRATA_EINVAL (bad name: empty or with control
 *         characters; duration below 1h; duration below the shard
 *         duration); STRATA_EEXIST ("retention policy conflicts with an
 *         existing policy"); LMDB failures.
 */
int stg_db_create_with(stg_engine *e, const char *name, const stg_rp_spec *rp, uint32_t *db_id,
                       strata_error *err);

/*
 * CREATE RETENTION POLICY: add rp to database db (rp->name required;
 * duration and replication required, shard optional).
 * @return STRATA_OK (also when an identical RP exists); STRATA_ENOTFOUND
 *         ("database not found: db"); STRATA_EINVAL (name, durations);
 *         STRATA_EEXIST ("retention policy already exists", or "... conflicts
 *         with an existing policy" when asked to become default and it is
 *         not); LMDB failures.
 */
int stg_rp_create(stg_engine *e, const char *db, const stg_rp_spec *rp, int make_default,
                  strata_error *err);

/*
 * ALTER RETENTION POLICY name ON db: change the fields chg says (has_*),
 * and make it the default if asked. A new shard duration applies to data
 * written from now on in InfluxDB; here it applies to expiry at once.
 * @return STRATA_OK; STRATA_ENOTFOUND (database, or "retention policy not
 *         found: name"); STRATA_EINVAL (durations); LMDB failures.
 */
int stg_rp_alter(stg_engine *e, const char *db, const char *name, const stg_rp_spec *chg,
                 int make_default, strata_error *err);

/*
 * DROP RETENTION POLICY: drop the RP and all its data. An unknown database
 * or RP is not an error (InfluxDB 1.6's behaviour). The database keeps the
 * name of its default RP even when that RP is dropped.
 * @return STRATA_OK; LMDB failures.
 */
int stg_rp_drop(stg_engine *e, const char *db, const char *name, strata_error *err);

/*
 * Call fn for each RP of database db in creation order; fn returns non-zero
 * to stop.
 * @return STRATA_OK; STRATA_ENOTFOUND ("database not found: db"); fn's
 *         value; LMDB failures.
 */
int stg_rp_list(stg_engine *e, const char *db, int (*fn)(void *ctx, const stg_rp_info *rp),
                void *ctx, strata_error *err);

/*
 * Find the RP that a write or a read of database db names: rp NULL or ""
 * means the database's default.
 * @return STRATA_OK (*out filled); STRATA_ENOTFOUND ("database not found:
 *         db" or "retention policy not found: rp"); LMDB failures.
 */
int stg_rp_resolve(stg_engine *e, const char *db, const char *rp, stg_rp_info *out,
                   strata_error *err);

/* What one expiry pass did. */
typedef struct stg_retention_stats {
    uint32_t moved;          /* policies whose watermark moved */
    uint64_t chunks_deleted; /* chunks wholly below a watermark, deleted */
} stg_retention_stats;

/*
 * Expire what every RP's duration says is gone as of now_ns: move the
 * watermarks, then delete whole chunks below them. st may be NULL.
 * @return STRATA_OK; LMDB failures (the watermarks that were moved stay).
 */
int stg_retention_enforce(stg_engine *e, int64_t now_ns, stg_retention_stats *st,
                          strata_error *err);

#endif
