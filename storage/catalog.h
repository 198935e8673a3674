/*
 * storage/catalog.h: small named records per database (retention policies,
 * continuous queries, their bookkeeping), kept in the engine's LMDB `meta`
 * table so that they live and die with the database and every backup carries
 * them.
 *
 * A record is addressed by (database id, kind, name); its value is an opaque
 * blob owned by the module that writes it (storage/retention.c for kind
 * STG_CAT_RP, the continuous-query scheduler for STG_CAT_CQ, ...). Dropping a
 * database drops its records. The catalog is for a few hundred records per
 * database, read rarely: every call is one LMDB transaction.
 *
 * Thread safety: every function may be called from any thread; writes are
 * serialised by LMDB's single writer.
 */
#ifndef STRATA_STORAGE_CATALOG_H
#define STRATA_STORAGE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "storage/engine.h"

/* Record kinds (one byte in the key). */
#define STG_CAT_RP 'r'    /* retention policy (storage/retention.c) */
#define STG_CAT_RPDEF 'd' /* the database's default retention policy's name */
#define STG_CAT_CQ 'q'    /* continuous query definition */
#define STG_CAT_CQRUN 'Q' /* continuous query scheduler state */

/* Longest record name and value accepted. */
#define STG_CAT_NAME_MAX 1024
#define STG_CAT_VALUE_MAX (1u << 20)

/*
 * Create or replace the record (db, kind, name) with val[0..vlen).
 * @return STRATA_OK; STRATA_EINVAL (empty or too long name, value too long);
 *         STRATA_ENOTFOUND (no database db); STRATA_EFULL, STRATA_EIO (LMDB).
 */
int stg_catalog_put(stg_engine *e, uint32_t db, int kind, const char *name, size_t name_len,
                    const void *val, size_t vlen, strata_error *err);

/*
 * Read the record (db, kind, name) into a malloc'd buffer: *val (caller
 * frees; NULL when vlen is 0) and *vlen.
 * @return STRATA_OK; STRATA_ENOTFOUND (no such record, err not set);
 *         STRATA_ENOMEM; STRATA_EIO.
 */
int stg_catalog_get(stg_engine *e, uint32_t db, int kind, const char *name, size_t name_len,
                    void **val, size_t *vlen, strata_error *err);

/*
 * Delete the record (db, kind, name).
 * @return STRATA_OK; STRATA_ENOTFOUND (no such record, err not set); STRATA_EIO.
 */
int stg_catalog_del(stg_engine *e, uint32_t db, int kind, const char *name, size_t name_len,
                    strata_error *err);

/*
 * Call fn for every record of (db, kind), sorted by name (bytewise). The
 * pointers passed to fn live until fn returns. fn returns non-zero to stop;
 * that value is returned.
 * @return STRATA_OK, fn's non-zero value, STRATA_EIO.
 */
int stg_catalog_list(stg_engine *e, uint32_t db, int kind,
                     int (*fn)(void *ctx, const char *name, size_t name_len, const void *val,
                               size_t vlen),
                     void *ctx, strata_error *err);

#endif
