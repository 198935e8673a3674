/*
 * storage/index_meas.c: measurements, their tag keys and values, their
 * fields, posting reads and measurement drop.
 *
 * Tag values are not stored on their own: the distinct keys of idx.postings
 * under (db, mid, tkid) are the values of a tag key, so listing them is one
 * MDB_NEXT_NODUP step per value and they vanish with their last series.
 * Only values longer than the inline limit have a record (idx.tagv) that
 * keeps their full bytes.
 */
#include <string.h>

#include "storage/index_int.h"

int stg_index_meas_lookup(stg_index *idx, MDB_txn *txn, uint32_t db, const char *name, size_t len,
                          uint32_t *mid)
{
    uint8_t key[STG__KEY_MAX];
    size_t klen;
    MDB_val rec;
    if (len == 0) return STRATA_ENOTFOUND;
    int rc = stg__idx_name_find(idx, txn, idx->dbi_meas, key, stg__key_db(key, db, STG__KIND_MNAME),
                                name, len, STG__HEAD_MEAS, &klen, &rec, NULL);
    if (rc == STRATA_OK) *mid = strata_get_le32(rec.mv_data);
    return rc;
}

/* Read measurement mid's 'i' record. */
static int minfo_get(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, MDB_val *rec,
                     strata_error *err)
{
    uint8_t kb[16];
    MDB_val k = stg__val(kb, stg__key_minfo(kb, db, mid));
    int rc = mdb_get(txn, idx->dbi_meas, &k, rec);
    if (rc == MDB_NOTFOUND)
        return strata_error_set(err, STRATA_ENOTFOUND,
                                "measurement id %u does not exist in database %u", mid, db);
    if (rc != 0) return stg__idx_err(rc, err, "reading a measurement");
    if (rec->mv_size <= STG__MINFO_FIXED || rec->mv_size > STG__MINFO_FIXED + STG__NAME_LONG)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: record of measurement %u in database %u is %zu bytes", mid,
                                db, rec->mv_size);
    return STRATA_OK;
}

int stg_index_meas_name(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char **name,
                        size_t *len)
{
    MDB_val info, rec;
    int rc = minfo_get(idx, txn, db, mid, &info, NULL);
    if (rc != 0) return rc;
    const uint8_t *nk = (const uint8_t *)info.mv_data + STG__MINFO_FIXED;
    size_t nkl = info.mv_size - STG__MINFO_FIXED;
    if (nkl <= STG__NAME_INLINE) {
        *name = (const char *)nk;
        *len = nkl;
        return STRATA_OK;
    }
    uint8_t key[STG__KEY_MAX];
    size_t klen = stg__key_db(key, db, STG__KIND_MNAME);
    memcpy(key + klen, nk, nkl);
    MDB_val k = stg__val(key, klen + nkl);
    rc = mdb_get(txn, idx->dbi_meas, &k, &rec);
    if (rc == MDB_NOTFOUND || (rc == 0 && rec.mv_size <= STG__HEAD_MEAS + STG__NAME_INLINE))
        return STRATA_ECORRUPT;
    if (rc != 0) return stg__idx_err(rc, NULL, "reading a measurement name");
    *name = (const char *)rec.mv_data + STG__HEAD_MEAS;
    *len = rec.mv_size - STG__HEAD_MEAS;
    return STRATA_OK;
}

/* The caller's callback, whichever listing it is for. */
typedef struct list_ctx {
    union {
        int (*meas)(void *ctx, const char *name, size_t len, uint32_t mid);
        int (*name)(void *ctx, const char *name, size_t len);
        int (*field)(void *ctx, const char *f, size_t fl, uint32_t fid, stg_type t);
    } fn;
    void *ctx;
} list_ctx;

static int meas_list_one(void *ctx, const char *name, size_t len, const MDB_val *rec)
{
    list_ctx *c = ctx;
    return c->fn.meas(c->ctx, name, len, strata_get_le32(rec->mv_data));
}

int stg_index_meas_list(stg_index *idx, MDB_txn *txn, uint32_t db,
                        int (*fn)(void *ctx, const char *name, size_t len, uint32_t mid), void *ctx)
{
    uint8_t prefix[8];
    list_ctx c = {.fn.meas = fn, .ctx = ctx};
    return stg__idx_names_each(txn, idx->dbi_meas, idx->dbi_meas, prefix,
                               stg__key_db(prefix, db, STG__KIND_MNAME), STG__HEAD_MEAS,
                               meas_list_one, &c);
}

int stg_index_meas_series(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, stg_idset *out)
{
    uint8_t kb[8];
    stg_idset_clear(out);
    return stg__idx_postings_append(txn, idx->dbi_postings, kb, stg__key_dm(kb, db, mid), out);
}

/* Find the id of tag key k of mid (read only). */
static int tagk_find(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char *k,
                     size_t kl, uint32_t *tkid)
{
    uint8_t key[STG__KEY_MAX];
    size_t klen;
    MDB_val rec;
    if (kl == 0) return STRATA_ENOTFOUND;
    int rc = stg__idx_name_find(idx, txn, idx->dbi_tagk, key, stg__key_dm(key, db, mid), k, kl,
                                STG__HEAD_TAGK, &klen, &rec, NULL);
    if (rc == STRATA_OK) *tkid = strata_get_le32(rec.mv_data);
    return rc;
}

int stg_index_tag_series(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char *k,
                         size_t kl, const char *v, size_t vl, stg_idset *out)
{
    uint8_t key[STG__KEY_MAX];
    size_t klen;
    uint32_t tkid;
    MDB_val rec;

    stg_idset_clear(out);
    int rc = tagk_find(idx, txn, db, mid, k, kl, &tkid);
    if (rc == STRATA_ENOTFOUND || vl == 0) return STRATA_OK;
    if (rc != 0) return rc;
    klen = stg__key_dmt(key, db, mid, tkid);
    if (vl <= STG__NAME_INLINE) {
        memcpy(key + klen, v, vl);
        klen += vl;
    } else {
        rc = stg__idx_name_find(idx, txn, idx->dbi_tagv, key, klen, v, vl, STG__HEAD_TAGV, &klen,
                                &rec, NULL);
        if (rc == STRATA_ENOTFOUND) return STRATA_OK;
        if (rc != 0) return rc;
    }
    return stg__idx_postings_append(txn, idx->dbi_postings, key, klen, out);
}

static int name_only_one(void *ctx, const char *name, size_t len, const MDB_val *rec)
{
    list_ctx *c = ctx;
    (void)rec;
    return c->fn.name(c->ctx, name, len);
}

int stg_index_tag_keys(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid,
                       int (*fn)(void *ctx, const char *k, size_t kl), void *ctx)
{
    uint8_t prefix[8];
    list_ctx c = {.fn.name = fn, .ctx = ctx};
    return stg__idx_names_each(txn, idx->dbi_tagk, idx->dbi_tagk, prefix,
                               stg__key_dm(prefix, db, mid), STG__HEAD_TAGK, name_only_one, &c);
}

int stg_index_tag_values(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char *k,
                         size_t kl, int (*fn)(void *ctx, const char *v, size_t vl), void *ctx)
{
    uint8_t prefix[12];
    uint32_t tkid;
    list_ctx c = {.fn.name = fn, .ctx = ctx};
    int rc = tagk_find(idx, txn, db, mid, k, kl, &tkid);
    if (rc == STRATA_ENOTFOUND) return STRATA_OK;
    if (rc != 0) return rc;
    return stg__idx_names_each(txn, idx->dbi_postings, idx->dbi_tagv, prefix,
                               stg__key_dmt(prefix, db, mid, tkid), STG__HEAD_TAGV, name_only_one,
                               &c);
}

static int type_valid(stg_type t)
{
    return t >= STG_FLOAT && t <= STG_STRING;
}

int stg_index_field_lookup(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char *f,
                           size_t fl, uint32_t *fid, stg_type *t)
{
    uint8_t key[STG__KEY_MAX];
    size_t klen;
    MDB_val rec;
    if (fl == 0) return STRATA_ENOTFOUND;
    int rc = stg__idx_name_find(idx, txn, idx->dbi_field, key, stg__key_dm(key, db, mid), f, fl,
                                STG__HEAD_FIELD, &klen, &rec, NULL);
    if (rc == STRATA_OK) {
        *fid = strata_get_le32(rec.mv_data);
        *t = (stg_type)((const uint8_t *)rec.mv_data)[4];
    }
    return rc;
}

int stg_index_field_ensure(stg_index *idx, MDB_txn *w, uint32_t db, uint32_t mid, const char *f,
                           size_t fl, stg_type t, uint32_t *fid, strata_error *err)
{
    uint8_t key[STG__KEY_MAX], kb[16], vb[STG__MINFO_FIXED + STG__NAME_LONG];
    size_t klen;
    MDB_val rec, info;
    int show = (int)(fl > 200 ? 200 : fl);

    if (fl == 0) return strata_error_set(err, STRATA_EINVAL, "field name is empty");
    if (!type_valid(t))
        return strata_error_set(err, STRATA_EINVAL, "field \"%.*s\" has unknown type %d", show, f,
                                (int)t);
    int rc = stg__idx_name_find(idx, w, idx->dbi_field, key, stg__key_dm(key, db, mid), f, fl,
                                STG__HEAD_FIELD, &klen, &rec, err);
    if (rc == STRATA_OK) {
        stg_type have = (stg_type)((const uint8_t *)rec.mv_data)[4];
        if (have == t) {
            *fid = strata_get_le32(rec.mv_data);
            return STRATA_OK;
        }
        const char *mname = "?";
        size_t ml = 1;
        stg_index_meas_name(idx, w, db, mid, &mname, &ml);
        return strata_error_set(err, STRATA_ETYPE,
                                "field type conflict: input field \"%.*s\" on measurement \"%.*s\" "
                                "is type %s, already exists as type %s",
                                show, f, (int)(ml > 200 ? 200 : ml), mname, stg_type_name(t),
                                stg_type_name(have));
    }
    if (rc != STRATA_ENOTFOUND) return rc;

    rc = minfo_get(idx, w, db, mid, &info, err);
    if (rc != 0) return rc;
    memcpy(vb, info.mv_data, info.mv_size);
    uint32_t next = strata_get_le32(vb + 4);
    if (next == 0)
        return strata_error_set(err, STRATA_ELIMIT, "measurement %u has used all 2^32-1 field ids",
                                mid);
    strata_put_le32(vb + 4, next + 1);
    MDB_val k = stg__val(kb, stg__key_minfo(kb, db, mid)), v = stg__val(vb, info.mv_size);
    rc = mdb_put(w, idx->dbi_meas, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a field");
    uint8_t head[STG__HEAD_FIELD];
    strata_put_le32(head, next);
    head[4] = (uint8_t)t;
    rc = stg__idx_name_put(w, idx->dbi_field, key, klen, head, STG__HEAD_FIELD, f, fl, err,
                           "creating a field");
    if (rc != 0) return rc;
    *fid = next;
    return STRATA_OK;
}

static int field_list_one(void *ctx, const char *name, size_t len, const MDB_val *rec)
{
    list_ctx *c = ctx;
    if (rec->mv_size < STG__HEAD_FIELD) return STRATA_ECORRUPT;
    return c->fn.field(c->ctx, name, len, strata_get_le32(rec->mv_data),
                       (stg_type)((const uint8_t *)rec->mv_data)[4]);
}

int stg_index_field_list(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid,
                         int (*fn)(void *ctx, const char *f, size_t fl, uint32_t fid, stg_type t),
                         void *ctx)
{
    uint8_t prefix[8];
    list_ctx c = {.fn.field = fn, .ctx = ctx};
    return stg__idx_names_each(txn, idx->dbi_field, idx->dbi_field, prefix,
                               stg__key_dm(prefix, db, mid), STG__HEAD_FIELD, field_list_one, &c);
}

int stg__idx_meas_remove(stg_index *idx, MDB_txn *w, uint32_t db, uint32_t mid, strata_error *err)
{
    uint8_t key[STG__KEY_MAX], kb[16];
    MDB_val info;
    int rc = minfo_get(idx, w, db, mid, &info, err);
    if (rc != 0) return rc;
    size_t klen = stg__key_db(key, db, STG__KIND_MNAME);
    memcpy(key + klen, (const uint8_t *)info.mv_data + STG__MINFO_FIXED,
           info.mv_size - STG__MINFO_FIXED);
    klen += info.mv_size - STG__MINFO_FIXED;
    MDB_val k = stg__val(key, klen);
    rc = mdb_del(w, idx->dbi_meas, &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) return stg__idx_err(rc, err, "removing a measurement");
    k = stg__val(kb, stg__key_minfo(kb, db, mid));
    rc = mdb_del(w, idx->dbi_meas, &k, NULL);
    if (rc != 0) return stg__idx_err(rc, err, "removing a measurement");

    size_t plen = stg__key_dm(kb, db, mid);
    if ((rc = stg__idx_range_del(w, idx->dbi_field, 0, kb, plen, err)) != 0 ||
        (rc = stg__idx_range_del(w, idx->dbi_tagk, 0, kb, plen, err)) != 0 ||
        (rc = stg__idx_range_del(w, idx->dbi_tagv, 0, kb, plen, err)) != 0 ||
        (rc = stg__idx_range_del(w, idx->dbi_postings, 1, kb, plen, err)) != 0)
        return rc;
    return STRATA_OK;
}

int stg_index_meas_drop(stg_index *idx, MDB_txn *w, uint32_t db, uint32_t mid,
                        stg_idset *dropped_series, strata_error *err)
{
    stg_idset local;
    stg_idset *ids = dropped_series != NULL ? dropped_series : &local;
    MDB_cursor *cur = NULL;
    MDB_val info;
    uint8_t kb[16];
    size_t n0, ndel = 0;
    int rc;

    stg_idset_init(&local);
    rc = minfo_get(idx, w, db, mid, &info, err);
    if (rc != 0) return rc;
    n0 = ids->n;
    rc = stg__idx_postings_append(w, idx->dbi_postings, kb, stg__key_dm(kb, db, mid), ids);
    if (rc != 0) {
        if (rc == STRATA_ENOMEM)
            strata_error_set(err, rc, "index: out of memory listing the series of a measurement");
        goto fail;
    }
    rc = mdb_cursor_open(w, idx->dbi_series, &cur);
    if (rc != 0) {
        rc = stg__idx_err(rc, err, "dropping a measurement");
        goto fail;
    }
    for (size_t i = n0; i < ids->n; i++) {
        uint64_t id = ids->ids[i];
        uint8_t sk[12], idb[8];
        MDB_val k = stg__val(sk, stg__key_series(sk, db, id)), v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
        if (rc == MDB_NOTFOUND) continue;
        if (rc != 0 || v.mv_size <= 4) {
            rc = rc ? stg__idx_err(rc, err, "dropping a measurement")
                    : strata_error_set(err, STRATA_ECORRUPT,
                                       "index: record of series %llu is %zu bytes",
                                       (unsigned long long)id, v.mv_size);
            goto fail;
        }
        uint64_t h = idx->hash((const char *)v.mv_data + 4, v.mv_size - 4);
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "dropping a measurement");
            goto fail;
        }
        ndel++;
        if (h != id) {
            strata_put_be64(idb, id);
            MDB_val d = stg__val(idb, 8);
            k = stg__val(sk, stg__key_series(sk, db, h));
            rc = mdb_del(w, idx->dbi_sovf, &k, &d);
            if (rc != 0 && rc != MDB_NOTFOUND) {
                rc = stg__idx_err(rc, err, "dropping a measurement");
                goto fail;
            }
        }
    }
    mdb_cursor_close(cur);
    cur = NULL;
    rc = stg__idx_meas_remove(idx, w, db, mid, err);
    if (rc != 0) goto fail;
    rc = stg__idx_count_add(idx, w, db, -(int64_t)ndel, err);
    if (rc != 0) goto fail;
    stg_idset_sort_unique(ids);
fail:
    mdb_cursor_close(cur);
    stg_idset_fini(&local);
    return rc;
}
