/*
 * storage/index_db.c: the databases catalog. Names map to u32 ids allocated
 * from a counter that only grows, so a dropped database's id is never seen
 * again (stale references in the WAL or in chunks cannot resurrect data).
 * Every other index key starts with the database id, which is what makes
 * dropping a database a handful of range deletions.
 */
#include <string.h>

#include "storage/index_int.h"

int stg_index_db_lookup(stg_index *idx, MDB_txn *txn, const char *name, size_t len, uint32_t *db_id)
{
    uint8_t key[STG__KEY_MAX];
    size_t klen;
    MDB_val rec;
    if (len == 0) return STRATA_ENOTFOUND;
    int rc = stg__idx_name_find(idx, txn, idx->dbi_db, key, stg__key_db(key, 0, STG__KIND_NAME),
                                name, len, STG__HEAD_DB, &klen, &rec, NULL);
    if (rc == STRATA_OK) *db_id = strata_get_le32(rec.mv_data);
    return rc;
}

int stg_index_db_create(stg_index *idx, MDB_txn *w, const char *name, size_t len, uint32_t *db_id,
                        strata_error *err)
{
    uint8_t key[STG__KEY_MAX], kb[8], vb[8];
    size_t klen;
    MDB_val rec, k, v;
    uint32_t next = 1;

    if (len == 0) return strata_error_set(err, STRATA_EINVAL, "database name is empty");
    int rc = stg__idx_name_find(idx, w, idx->dbi_db, key, stg__key_db(key, 0, STG__KIND_NAME), name,
                                len, STG__HEAD_DB, &klen, &rec, err);
    if (rc == STRATA_OK) {
        *db_id = strata_get_le32(rec.mv_data);
        return strata_error_set(err, STRATA_EEXIST, "database \"%.*s\" already exists",
                                (int)(len > 200 ? 200 : len), name);
    }
    if (rc != STRATA_ENOTFOUND) return rc;

    k = stg__val(kb, stg__key_db(kb, 0, STG__KIND_NEXTDB));
    rc = mdb_get(w, idx->dbi_db, &k, &v);
    if (rc == 0 && v.mv_size == 4)
        next = strata_get_le32(v.mv_data);
    else if (rc == 0)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: next-database-id record is %zu bytes, expected 4",
                                v.mv_size);
    else if (rc != MDB_NOTFOUND)
        return stg__idx_err(rc, err, "allocating a database id");
    if (next == 0)
        return strata_error_set(err, STRATA_ELIMIT, "all 2^32-1 database ids have been used");

    /* Writes: the name record, the id's own records, the counter. */
    strata_put_le32(vb, next);
    rc = stg__idx_name_put(w, idx->dbi_db, key, klen, vb, STG__HEAD_DB, name, len, err,
                           "creating a database");
    if (rc != 0) return rc;
    v = stg__val(key + 5, klen - 5); /* the name key, to find the 'N' record on drop */
    k = stg__val(kb, stg__key_db(kb, next, STG__KIND_DBNK));
    rc = mdb_put(w, idx->dbi_db, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a database");
    memset(vb, 0, 8);
    k = stg__val(kb, stg__key_db(kb, next, STG__KIND_COUNT));
    v = stg__val(vb, 8);
    rc = mdb_put(w, idx->dbi_db, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a database");
    strata_put_le32(vb, 1);
    k = stg__val(kb, stg__key_db(kb, next, STG__KIND_NEXTMID));
    v = stg__val(vb, 4);
    rc = mdb_put(w, idx->dbi_db, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a database");
    strata_put_le32(vb, next + 1); /* wraps to 0 after the last id: "exhausted" */
    k = stg__val(kb, stg__key_db(kb, 0, STG__KIND_NEXTDB));
    rc = mdb_put(w, idx->dbi_db, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a database");
    *db_id = next;
    return STRATA_OK;
}

typedef struct db_list_ctx {
    int (*fn)(void *ctx, const char *name, size_t len, uint32_t db_id);
    void *ctx;
} db_list_ctx;

static int db_list_one(void *ctx, const char *name, size_t len, const MDB_val *rec)
{
    db_list_ctx *c = ctx;
    return c->fn(c->ctx, name, len, strata_get_le32(rec->mv_data));
}

int stg_index_db_list(stg_index *idx, MDB_txn *txn,
                      int (*fn)(void *ctx, const char *name, size_t len, uint32_t db_id), void *ctx)
{
    uint8_t prefix[8];
    db_list_ctx c = {fn, ctx};
    return stg__idx_names_each(txn, idx->dbi_db, idx->dbi_db, prefix,
                               stg__key_db(prefix, 0, STG__KIND_NAME), STG__HEAD_DB, db_list_one,
                               &c);
}

int stg_index_db_drop(stg_index *idx, MDB_txn *w, uint32_t db_id, strata_error *err)
{
    uint8_t key[STG__KEY_MAX], kb[8];
    MDB_val k, v;

    if (db_id == 0) return strata_error_set(err, STRATA_EINVAL, "database id 0 is reserved");
    k = stg__val(kb, stg__key_db(kb, db_id, STG__KIND_DBNK));
    int rc = mdb_get(w, idx->dbi_db, &k, &v);
    if (rc == MDB_NOTFOUND)
        return strata_error_set(err, STRATA_ENOTFOUND, "database id %u does not exist", db_id);
    if (rc != 0) return stg__idx_err(rc, err, "dropping a database");
    if (v.mv_size == 0 || v.mv_size > STG__NAME_LONG)
        return strata_error_set(err, STRATA_ECORRUPT, "index: name key of database %u is %zu bytes",
                                db_id, v.mv_size);
    size_t klen = stg__key_db(key, 0, STG__KIND_NAME);
    memcpy(key + klen, v.mv_data, v.mv_size);
    klen += v.mv_size;
    k = stg__val(key, klen);
    rc = mdb_del(w, idx->dbi_db, &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) return stg__idx_err(rc, err, "dropping a database");

    const struct {
        MDB_dbi dbi;
        int dupsort;
    } all[STG_INDEX_NDBI] = {
        {idx->dbi_db, 0},   {idx->dbi_series, 0}, {idx->dbi_sovf, 1}, {idx->dbi_postings, 1},
        {idx->dbi_meas, 0}, {idx->dbi_tagk, 0},   {idx->dbi_tagv, 0}, {idx->dbi_field, 0},
    };
    strata_put_be32(kb, db_id);
    for (int i = 0; i < STG_INDEX_NDBI; i++) {
        rc = stg__idx_range_del(w, all[i].dbi, all[i].dupsort, kb, 4, err);
        if (rc != 0) return rc;
    }
    return STRATA_OK;
}
