/*
 * storage/catalog.c: named per-database records in the `meta` table
 * (storage/catalog.h). Key: 'C' | db (u32 BE) | kind (1 byte) | name; the
 * prefix 'C' | db lets a database drop remove all its records with one
 * cursor walk (stg__catalog_drop_db, called inside the drop's transaction).
 */
#include "storage/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "storage/engine_int.h"

#define KEY_HEAD 6

static int key_make(uint8_t *buf, uint32_t db, int kind, const char *name, size_t len,
                    strata_error *err)
{
    if (len == 0 || len > STG_CAT_NAME_MAX)
        return strata_error_set(err, STRATA_EINVAL, "catalog: a record name of %zu bytes (1..%d)",
                                len, STG_CAT_NAME_MAX);
    buf[0] = 'C';
    strata_put_be32(buf + 1, db);
    buf[5] = (uint8_t)kind;
    memcpy(buf + KEY_HEAD, name, len);
    return STRATA_OK;
}

int stg__catalog_put_txn(stg_engine *e, MDB_txn *txn, uint32_t db, int kind, const char *name,
                         size_t name_len, const void *val, size_t vlen, strata_error *err)
{
    uint8_t kb[KEY_HEAD + STG_CAT_NAME_MAX];
    if (vlen > STG_CAT_VALUE_MAX)
        return strata_error_set(err, STRATA_EINVAL, "catalog: a record of %zu bytes (at most %u)",
                                vlen, STG_CAT_VALUE_MAX);
    int rc = key_make(kb, db, kind, name, name_len, err);
    if (rc != STRATA_OK) return rc;
    MDB_val k = {KEY_HEAD + name_len, kb}, v = {vlen, (void *)val};
    if ((rc = mdb_put(txn, e->dbi_meta, &k, &v, 0))) return stg__mdb_err(rc, err, "catalog write");
    return STRATA_OK;
}

int stg__catalog_get_txn(stg_engine *e, MDB_txn *txn, uint32_t db, int kind, const char *name,
                         size_t name_len, MDB_val *out, strata_error *err)
{
    uint8_t kb[KEY_HEAD + STG_CAT_NAME_MAX];
    int rc = key_make(kb, db, kind, name, name_len, err);
    if (rc != STRATA_OK) return rc;
    MDB_val k = {KEY_HEAD + name_len, kb};
    rc = mdb_get(txn, e->dbi_meta, &k, out);
    if (rc == MDB_NOTFOUND) return STRATA_ENOTFOUND;
    if (rc) return stg__mdb_err(rc, err, "catalog read");
    return STRATA_OK;
}

int stg__catalog_del_txn(stg_engine *e, MDB_txn *txn, uint32_t db, int kind, const char *name,
                         size_t name_len, strata_error *err)
{
    uint8_t kb[KEY_HEAD + STG_CAT_NAME_MAX];
    int rc = key_make(kb, db, kind, name, name_len, err);
    if (rc != STRATA_OK) return rc;
    MDB_val k = {KEY_HEAD + name_len, kb};
    rc = mdb_del(txn, e->dbi_meta, &k, NULL);
    if (rc == MDB_NOTFOUND) return STRATA_ENOTFOUND;
    if (rc) return stg__mdb_err(rc, err, "catalog delete");
    return STRATA_OK;
}

/* Walk the records whose key starts with prefix; drop them or call fn. */
static int walk(stg_engine *e, MDB_txn *txn, const uint8_t *prefix, size_t plen, int drop,
                int (*fn)(void *, const char *, size_t, const void *, size_t), void *ctx,
                strata_error *err)
{
    MDB_cursor *cur;
    MDB_val k = {plen, (void *)prefix}, v;
    int rc = mdb_cursor_open(txn, e->dbi_meta, &cur), ret = STRATA_OK;
    if (rc) return stg__mdb_err(rc, err, "catalog walk");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
        if (drop) {
            if ((rc = mdb_cursor_del(cur, 0))) break;
        } else if (k.mv_size > KEY_HEAD) {
            ret = fn(ctx, (const char *)k.mv_data + KEY_HEAD, k.mv_size - KEY_HEAD, v.mv_data,
                     v.mv_size);
            if (ret) break;
        }
        if (drop) {
            k.mv_size = plen;
            k.mv_data = (void *)prefix;
            rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        } else {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
    }
    mdb_cursor_close(cur);
    if (ret) return ret;
    if (rc && rc != MDB_NOTFOUND) return stg__mdb_err(rc, err, "catalog walk");
    return STRATA_OK;
}

int stg__catalog_drop_db(stg_engine *e, MDB_txn *txn, uint32_t db, strata_error *err)
{
    uint8_t p[5] = {'C'};
    strata_put_be32(p + 1, db);
    return walk(e, txn, p, sizeof p, 1, NULL, NULL, err);
}

int stg_catalog_put(stg_engine *e, uint32_t db, int kind, const char *name, size_t name_len,
                    const void *val, size_t vlen, strata_error *err)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(e->env, NULL, 0, &txn);
    if (rc) return stg__mdb_err(rc, err, "catalog write");
    rc = stg__catalog_put_txn(e, txn, db, kind, name, name_len, val, vlen, err);
    if (rc != STRATA_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    if ((rc = mdb_txn_commit(txn))) return stg__mdb_err(rc, err, "catalog write");
    return STRATA_OK;
}

int stg_catalog_get(stg_engine *e, uint32_t db, int kind, const char *name, size_t name_len,
                    void **val, size_t *vlen, strata_error *err)
{
    MDB_txn *txn;
    MDB_val v;
    *val = NULL;
    *vlen = 0;
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc) return stg__mdb_err(rc, err, "catalog read");
    rc = stg__catalog_get_txn(e, txn, db, kind, name, name_len, &v, err);
    if (rc == STRATA_OK && v.mv_size > 0) {
        if ((*val = malloc(v.mv_size)) == NULL)
            rc = strata_error_set(err, STRATA_ENOMEM, "catalog read: out of memory");
        else {
            memcpy(*val, v.mv_data, v.mv_size);
            *vlen = v.mv_size;
        }
    }
    mdb_txn_abort(txn);
    return rc;
}

int stg_catalog_del(stg_engine *e, uint32_t db, int kind, const char *name, size_t name_len,
                    strata_error *err)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(e->env, NULL, 0, &txn);
    if (rc) return stg__mdb_err(rc, err, "catalog delete");
    rc = stg__catalog_del_txn(e, txn, db, kind, name, name_len, err);
    if (rc != STRATA_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    if ((rc = mdb_txn_commit(txn))) return stg__mdb_err(rc, err, "catalog delete");
    return STRATA_OK;
}

int stg_catalog_list(stg_engine *e, uint32_t db, int kind,
                     int (*fn)(void *ctx, const char *name, size_t name_len, const void *val,
                               size_t vlen),
                     void *ctx, strata_error *err)
{
    MDB_txn *txn;
    uint8_t p[KEY_HEAD] = {'C'};
    strata_put_be32(p + 1, db);
    p[5] = (uint8_t)kind;
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc) return stg__mdb_err(rc, err, "catalog list");
    rc = walk(e, txn, p, sizeof p, 0, fn, ctx, err);
    mdb_txn_abort(txn);
    return rc;
}
