/*
 * storage/index_series.c: series records, their ids and their postings.
 *
 * Ids: a series' home slot is h = hash(key) (XXH64, seed 0). It gets h when
 * no record sits at h, else the first free id after h (h+1, h+2, ...,
 * wrapping at 2^64). Lookup never walks that probe sequence: a series whose
 * id differs from its hash is also listed in idx.sovf under (db, h), so a
 * lookup is one read of the home slot plus, when that is not the key, one
 * read of idx.sovf (normally absent). Deleting a series removes its record
 * and its idx.sovf entry; no other series' lookup depends on a slot being
 * occupied, so deletes never break anything (no tombstones needed) and the
 * same key recreated gets its home id back.
 *
 * Creating a series writes: the series record, the measurement (first
 * time), a tag key per new key, a long tag value record per new long value,
 * one posting per tag plus the measurement posting, and the db counter. All
 * input checks happen before the first write so that a rejected series
 * leaves the transaction usable.
 */
#include <stdlib.h>
#include <string.h>

#include "storage/index_int.h"

/* Does series record rec hold canonical key key? */
static int rec_is(const MDB_val *rec, const char *key, size_t len)
{
    return rec->mv_size == 4 + len && memcmp((const char *)rec->mv_data + 4, key, len) == 0;
}

/*
 * Find key (whose hash is h). *home_free (may be NULL) tells whether no
 * record sits at id h, so that creation can skip probing it again.
 * @return STRATA_OK (*id), STRATA_ENOTFOUND, errors.
 */
int stg__idx_series_find(stg_index *idx, MDB_txn *txn, uint32_t db, const char *key, size_t len,
                         uint64_t h, uint64_t *id, int *home_free, strata_error *err)
{
    uint8_t kb[12];
    MDB_val k = stg__val(kb, stg__key_series(kb, db, h)), v, d;
    MDB_cursor *cur = NULL;

    int rc = mdb_get(txn, idx->dbi_series, &k, &v);
    if (home_free != NULL) *home_free = rc == MDB_NOTFOUND;
    if (rc == 0 && rec_is(&v, key, len)) {
        *id = h;
        return STRATA_OK;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return stg__idx_err(rc, err, "looking up a series");

    /* Not at home: is it one of the series displaced from h? Normally there
     * are none, and a plain get says so without allocating a cursor. */
    rc = mdb_get(txn, idx->dbi_sovf, &k, &d);
    if (rc == MDB_NOTFOUND) return STRATA_ENOTFOUND;
    if (rc != 0) return stg__idx_err(rc, err, "looking up a series");
    rc = mdb_cursor_open(txn, idx->dbi_sovf, &cur);
    if (rc != 0) return stg__idx_err(rc, err, "looking up a series");
    rc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY);
    while (rc == 0) {
        if (d.mv_size != 8) {
            rc = strata_error_set(err, STRATA_ECORRUPT,
                                  "index: idx.sovf holds a %zu-byte id, expected 8", d.mv_size);
            goto done;
        }
        uint64_t x = strata_get_be64(d.mv_data);
        uint8_t xb[12];
        MDB_val xk = stg__val(xb, stg__key_series(xb, db, x));
        rc = mdb_get(txn, idx->dbi_series, &xk, &v);
        if (rc == 0 && rec_is(&v, key, len)) {
            *id = x;
            goto done;
        }
        if (rc != 0 && rc != MDB_NOTFOUND) break;
        rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT_DUP);
    }
    rc = rc == MDB_NOTFOUND ? STRATA_ENOTFOUND : stg__idx_err(rc, err, "looking up a series");
done:
    mdb_cursor_close(cur);
    return rc;
}

int stg_index_series_lookup(stg_index *idx, MDB_txn *txn, uint32_t db, const char *key, size_t len,
                            uint64_t *id)
{
    return stg__idx_series_find(idx, txn, db, key, len, idx->hash(key, len), id, NULL, NULL);
}

/* Does database db exist? Reads its series counter into *count. */
int stg__idx_db_check(stg_index *idx, MDB_txn *txn, uint32_t db, uint64_t *count, strata_error *err)
{
    uint8_t kb[8];
    MDB_val k = stg__val(kb, stg__key_db(kb, db, STG__KIND_COUNT)), v;
    int rc = db == 0 ? MDB_NOTFOUND : mdb_get(txn, idx->dbi_db, &k, &v);
    if (rc == MDB_NOTFOUND)
        return strata_error_set(err, STRATA_ENOTFOUND, "database id %u does not exist", db);
    if (rc != 0) return stg__idx_err(rc, err, "checking a database");
    if (v.mv_size != 8)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: series count of database %u is %zu bytes, expected 8", db,
                                v.mv_size);
    *count = strata_get_le64(v.mv_data);
    return STRATA_OK;
}

/* Get or create measurement meas of db. */
int stg__idx_meas_ensure(stg_index *idx, MDB_txn *w, uint32_t db, const char *meas, size_t mlen,
                         uint32_t *mid, strata_error *err)
{
    uint8_t key[STG__KEY_MAX], kb[16], vb[STG__MINFO_FIXED + STG__NAME_LONG];
    size_t klen;
    MDB_val rec, k, v;

    int rc = stg__idx_name_find(idx, w, idx->dbi_meas, key, stg__key_db(key, db, STG__KIND_MNAME),
                                meas, mlen, STG__HEAD_MEAS, &klen, &rec, err);
    if (rc == STRATA_OK) {
        *mid = strata_get_le32(rec.mv_data);
        return STRATA_OK;
    }
    if (rc != STRATA_ENOTFOUND) return rc;

    k = stg__val(kb, stg__key_db(kb, db, STG__KIND_NEXTMID));
    rc = mdb_get(w, idx->dbi_db, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? strata_error_set(err, STRATA_ECORRUPT,
                                                     "index: database %u has no measurement "
                                                     "counter",
                                                     db)
                                  : stg__idx_err(rc, err, "creating a measurement");
    if (v.mv_size != 4)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: measurement counter of database %u is %zu bytes", db,
                                v.mv_size);
    uint32_t m = strata_get_le32(v.mv_data);
    if (m == 0)
        return strata_error_set(err, STRATA_ELIMIT,
                                "database %u has used all 2^32-1 measurement ids", db);
    strata_put_le32(vb, m + 1);
    v = stg__val(vb, 4);
    rc = mdb_put(w, idx->dbi_db, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a measurement");

    strata_put_le32(vb, m);
    rc = stg__idx_name_put(w, idx->dbi_meas, key, klen, vb, STG__HEAD_MEAS, meas, mlen, err,
                           "creating a measurement");
    if (rc != 0) return rc;
    strata_put_le32(vb, 1);     /* next tag key id */
    strata_put_le32(vb + 4, 1); /* next field id */
    memcpy(vb + STG__MINFO_FIXED, key + 5, klen - 5);
    k = stg__val(kb, stg__key_minfo(kb, db, m));
    v = stg__val(vb, STG__MINFO_FIXED + klen - 5);
    rc = mdb_put(w, idx->dbi_meas, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a measurement");
    *mid = m;
    return STRATA_OK;
}

/* Get (or, when w is set, create) the id of tag key tk in measurement mid. */
int stg__idx_tagk_get(stg_index *idx, MDB_txn *txn, int create, uint32_t db, uint32_t mid,
                      const char *tk, size_t tkl, uint32_t *tkid, strata_error *err)
{
    uint8_t key[STG__KEY_MAX], kb[16], vb[STG__MINFO_FIXED + STG__NAME_LONG];
    size_t klen;
    MDB_val rec, k, v;

    int rc = stg__idx_name_find(idx, txn, idx->dbi_tagk, key, stg__key_dm(key, db, mid), tk, tkl,
                                STG__HEAD_TAGK, &klen, &rec, err);
    if (rc == STRATA_OK) *tkid = strata_get_le32(rec.mv_data);
    if (rc != STRATA_ENOTFOUND || !create) return rc;

    k = stg__val(kb, stg__key_minfo(kb, db, mid));
    rc = mdb_get(txn, idx->dbi_meas, &k, &v);
    if (rc != 0) return stg__idx_err(rc, err, "creating a tag key");
    if (v.mv_size < STG__MINFO_FIXED || v.mv_size > sizeof vb)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: record of measurement %u in database %u is %zu bytes", mid,
                                db, v.mv_size);
    memcpy(vb, v.mv_data, v.mv_size);
    uint32_t t = strata_get_le32(vb);
    if (t == 0)
        return strata_error_set(err, STRATA_ELIMIT,
                                "measurement %u has used all 2^32-1 tag key ids", mid);
    strata_put_le32(vb, t + 1);
    v.mv_data = vb;
    rc = mdb_put(txn, idx->dbi_meas, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "creating a tag key");
    strata_put_le32(vb, t);
    rc = stg__idx_name_put(txn, idx->dbi_tagk, key, klen, vb, STG__HEAD_TAGK, tk, tkl, err,
                           "creating a tag key");
    if (rc != 0) return rc;
    *tkid = t;
    return STRATA_OK;
}

/*
 * Build the postings key of tag value v under (db, mid, tkid) in key. A long
 * value's key comes from idx.tagv; with create set a missing long value
 * record is written.
 * @return STRATA_OK, STRATA_ENOTFOUND (long value unknown and !create), errors.
 */
int stg__idx_tagv_key(stg_index *idx, MDB_txn *txn, int create, uint32_t db, uint32_t mid,
                      uint32_t tkid, const char *val, size_t vl, uint8_t *key, size_t *klen,
                      strata_error *err)
{
    size_t plen = stg__key_dmt(key, db, mid, tkid);
    if (vl <= STG__NAME_INLINE) {
        memcpy(key + plen, val, vl);
        *klen = plen + vl;
        return STRATA_OK;
    }
    MDB_val rec;
    int rc = stg__idx_name_find(idx, txn, idx->dbi_tagv, key, plen, val, vl, STG__HEAD_TAGV, klen,
                                &rec, err);
    if (rc != STRATA_ENOTFOUND || !create) return rc;
    return stg__idx_name_put(txn, idx->dbi_tagv, key, *klen, NULL, 0, val, vl, err,
                             "creating a long tag value");
}

/*
 * Create the series whose record (u32 mid placeholder, key of klen bytes)
 * is in idx->kbuf, at id *id when fixed, else at the first free id from h
 * (h itself when home_free). count is the database's series count.
 */
static int series_create(stg_index *idx, MDB_txn *w, uint32_t db, const char *meas, size_t mlen,
                         const stg_tag *tags, size_t ntags, size_t klen, uint64_t h, int fixed,
                         int home_free, uint64_t count, uint64_t *id, strata_error *err)
{
    uint8_t kb[12], idb[8], pk[STG__KEY_MAX];
    MDB_val k, v;
    uint32_t mid = 0;
    uint64_t x = fixed ? *id : h;
    int rc;

    rc = stg__idx_meas_ensure(idx, w, db, meas, mlen, &mid, err);
    if (rc != 0) return rc;

    k = stg__val(kb, 12);
    for (;;) {
        stg__key_series(kb, db, x);
        if (fixed || (x == h && home_free)) break;
        rc = mdb_get(w, idx->dbi_series, &k, &v);
        if (rc == MDB_NOTFOUND) break;
        if (rc != 0) return stg__idx_err(rc, err, "allocating a series id");
        x++;
    }
    strata_put_le32(idx->kbuf, mid);
    v = stg__val(idx->kbuf, 4 + klen);
    rc = mdb_put(w, idx->dbi_series, &k, &v, 0);
    if (rc != 0) return stg__idx_err(rc, err, "writing a series record");

    strata_put_be64(idb, x);
    MDB_val d = stg__val(idb, 8);
    if (x != h) {
        k = stg__val(kb, stg__key_series(kb, db, h));
        rc = mdb_put(w, idx->dbi_sovf, &k, &d, 0);
        if (rc != 0) return stg__idx_err(rc, err, "writing a series probe entry");
    }
    k = stg__val(pk, stg__key_dm(pk, db, mid));
    rc = mdb_put(w, idx->dbi_postings, &k, &d, 0);
    if (rc != 0) return stg__idx_err(rc, err, "writing the measurement posting");
    for (size_t i = 0; i < ntags; i++) {
        uint32_t tkid;
        size_t pkl;
        rc = stg__idx_tagk_get(idx, w, 1, db, mid, tags[i].key, tags[i].key_len, &tkid, err);
        if (rc != 0) return rc;
        rc = stg__idx_tagv_key(idx, w, 1, db, mid, tkid, tags[i].val, tags[i].val_len, pk, &pkl,
                               err);
        if (rc != 0) return rc;
        k = stg__val(pk, pkl);
        rc = mdb_put(w, idx->dbi_postings, &k, &d, 0);
        if (rc != 0) return stg__idx_err(rc, err, "writing a tag posting");
    }
    strata_put_le64(idb, count + 1);
    k = stg__val(kb, stg__key_db(kb, db, STG__KIND_COUNT));
    d = stg__val(idb, 8);
    rc = mdb_put(w, idx->dbi_db, &k, &d, 0);
    if (rc != 0) return stg__idx_err(rc, err, "updating the series count");
    *id = x;
    return STRATA_OK;
}

int stg_index_series_ensure(stg_index *idx, MDB_txn *w, uint32_t db, const char *meas, size_t mlen,
                            const stg_tag *tags, size_t ntags, uint64_t *id, int *created,
                            strata_error *err)
{
    uint64_t count;
    int home_free, rc;

    *created = 0;
    if (idx->kcap < 256 && (rc = stg__idx_kbuf(idx, 256, err)) != 0) return rc;
    /* Build into the scratch buffer; rebuild once if it was too small. */
    size_t klen =
        stg_series_key_build(meas, mlen, tags, ntags, (char *)idx->kbuf + 4, idx->kcap - 4);
    if (klen == 0) return stg_series_key_check(meas, mlen, tags, ntags, err);
    if (klen > idx->kcap - 4) {
        if ((rc = stg__idx_kbuf(idx, 4 + klen, err)) != 0) return rc;
        stg_series_key_build(meas, mlen, tags, ntags, (char *)idx->kbuf + 4, klen);
    }
    const char *key = (const char *)idx->kbuf + 4;

    uint64_t h = idx->hash(key, klen);
    rc = stg__idx_series_find(idx, w, db, key, klen, h, id, &home_free, err);
    if (rc != STRATA_ENOTFOUND) return rc;
    rc = stg__idx_db_check(idx, w, db, &count, err);
    if (rc != 0) return rc;
    rc = series_create(idx, w, db, meas, mlen, tags, ntags, klen, h, 0, home_free, count, id, err);
    if (rc == 0) *created = 1;
    return rc;
}

/* Parse the key at idx->kbuf+4 into idx->pbuf / idx->tags, growing them. */
static int parse_scratch(stg_index *idx, size_t klen, const char **meas, size_t *mlen,
                         size_t *ntags)
{
    const char *key = (const char *)idx->kbuf + 4;
    if (idx->pcap < klen) {
        char *p = realloc(idx->pbuf, klen);
        if (p == NULL) return STRATA_ENOMEM;
        idx->pbuf = p;
        idx->pcap = klen;
    }
    for (;;) {
        int rc = stg_series_key_parse(key, klen, idx->pbuf, idx->pcap, meas, mlen, idx->tags,
                                      idx->tcap, ntags);
        if (rc != STRATA_ERANGE) return rc;
        stg_tag *t = realloc(idx->tags, *ntags * sizeof *t);
        if (t == NULL) return STRATA_ENOMEM;
        idx->tags = t;
        idx->tcap = *ntags;
    }
}

int stg_index_series_restore(stg_index *idx, MDB_txn *w, uint32_t db, const char *key, size_t len,
                             uint64_t id, strata_error *err)
{
    const char *meas;
    size_t mlen, ntags;
    uint64_t have;
    int show = (int)(len > 200 ? 200 : len);

    if (len == 0 || len > STG_SERIES_KEY_MAX)
        return strata_error_set(err, STRATA_EINVAL, "series key of %zu bytes is not valid", len);
    int rc = stg__idx_kbuf(idx, 4 + 2 * len, err);
    if (rc != 0) return rc;
    memcpy(idx->kbuf + 4, key, len);
    rc = parse_scratch(idx, len, &meas, &mlen, &ntags);
    if (rc == STRATA_ENOMEM)
        return strata_error_set(err, rc, "index: out of memory parsing a series key");
    /* Canonical means: rebuilding from the parts gives the same bytes. */
    char *again = (char *)idx->kbuf + 4 + len;
    if (rc != 0 || stg_series_key_build(meas, mlen, idx->tags, ntags, again, len) != len ||
        memcmp(again, key, len) != 0)
        return strata_error_set(err, STRATA_EINVAL, "\"%.*s\" is not a canonical series key", show,
                                key);

    uint64_t h = idx->hash(key, len);
    rc = stg__idx_series_find(idx, w, db, key, len, h, &have, NULL, err);
    if (rc == STRATA_OK) {
        if (have == id) return STRATA_OK;
        return strata_error_set(err, STRATA_ECORRUPT,
                                "series \"%.*s\" has id %llu in the index but %llu in the WAL",
                                show, key, (unsigned long long)have, (unsigned long long)id);
    }
    if (rc != STRATA_ENOTFOUND) return rc;
    uint64_t count;
    rc = stg__idx_db_check(idx, w, db, &count, err);
    if (rc != 0) return rc;
    uint8_t kb[12];
    MDB_val k = stg__val(kb, stg__key_series(kb, db, id)), v;
    rc = mdb_get(w, idx->dbi_series, &k, &v);
    if (rc == 0) {
        size_t ol = v.mv_size > 4 ? v.mv_size - 4 : 0;
        return strata_error_set(err, STRATA_ECORRUPT,
                                "series id %llu belongs to \"%.*s\" in the index but to \"%.*s\" "
                                "in the WAL",
                                (unsigned long long)id, (int)(ol > 200 ? 200 : ol),
                                (const char *)v.mv_data + 4, show, key);
    }
    if (rc != MDB_NOTFOUND) return stg__idx_err(rc, err, "restoring a series");
    return series_create(idx, w, db, meas, mlen, idx->tags, ntags, len, h, 1, 0, count, &id, err);
}

int stg_index_series_key(stg_index *idx, MDB_txn *txn, uint32_t db, uint64_t id, const char **key,
                         size_t *len)
{
    uint8_t kb[12];
    MDB_val k = stg__val(kb, stg__key_series(kb, db, id)), v;
    int rc = mdb_get(txn, idx->dbi_series, &k, &v);
    if (rc != 0) return stg__idx_err(rc, NULL, "reading a series key");
    if (v.mv_size <= 4) return STRATA_ECORRUPT;
    *key = (const char *)v.mv_data + 4;
    *len = v.mv_size - 4;
    return STRATA_OK;
}

int stg_index_series_mid(stg_index *idx, MDB_txn *txn, uint32_t db, uint64_t id, uint32_t *mid)
{
    uint8_t kb[12];
    MDB_val k = stg__val(kb, stg__key_series(kb, db, id)), v;
    int rc = mdb_get(txn, idx->dbi_series, &k, &v);
    if (rc != 0) return stg__idx_err(rc, NULL, "reading a series record");
    if (v.mv_size <= 4) return STRATA_ECORRUPT;
    *mid = strata_get_le32(v.mv_data);
    return STRATA_OK;
}

uint64_t stg_index_series_count(stg_index *idx, MDB_txn *txn, uint32_t db)
{
    uint8_t kb[8];
    MDB_val k = stg__val(kb, stg__key_db(kb, db, STG__KIND_COUNT)), v;
    if (db == 0 || mdb_get(txn, idx->dbi_db, &k, &v) != 0 || v.mv_size != 8) return 0;
    return strata_get_le64(v.mv_data);
}

/* Is there any key in postings starting with prefix? */
static int postings_any(stg_index *idx, MDB_txn *txn, const uint8_t *prefix, size_t plen, int *any,
                        strata_error *err)
{
    MDB_cursor *cur = NULL;
    MDB_val k = stg__val(prefix, plen), v;
    int rc = mdb_cursor_open(txn, idx->dbi_postings, &cur);
    if (rc != 0) return stg__idx_err(rc, err, "deleting a series");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return stg__idx_err(rc, err, "deleting a series");
    *any = rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0;
    return STRATA_OK;
}

int stg_index_series_delete(stg_index *idx, MDB_txn *w, uint32_t db, uint64_t id, strata_error *err)
{
    uint8_t kb[12], idb[8], pk[STG__KEY_MAX];
    MDB_val k = stg__val(kb, stg__key_series(kb, db, id)), v;
    const char *meas;
    size_t mlen, ntags, klen;
    int rc, any = 0;

    rc = mdb_get(w, idx->dbi_series, &k, &v);
    if (rc == MDB_NOTFOUND)
        return strata_error_set(err, STRATA_ENOTFOUND, "series %llu does not exist in database %u",
                                (unsigned long long)id, db);
    if (rc != 0) return stg__idx_err(rc, err, "deleting a series");
    if (v.mv_size <= 4)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: record of series %llu in database %u is %zu bytes",
                                (unsigned long long)id, db, v.mv_size);
    klen = v.mv_size - 4;
    rc = stg__idx_kbuf(idx, 4 + klen, err);
    if (rc != 0) return rc;
    memcpy(idx->kbuf, v.mv_data, v.mv_size); /* the page dies with our first write */
    uint32_t mid = strata_get_le32(idx->kbuf);
    const char *key = (const char *)idx->kbuf + 4;
    rc = parse_scratch(idx, klen, &meas, &mlen, &ntags);
    if (rc == STRATA_ENOMEM)
        return strata_error_set(err, rc, "index: out of memory parsing a series key");
    if (rc != 0)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: series %llu in database %u has a malformed key",
                                (unsigned long long)id, db);

    rc = mdb_del(w, idx->dbi_series, &k, NULL);
    if (rc != 0) return stg__idx_err(rc, err, "deleting a series");
    strata_put_be64(idb, id);
    MDB_val d = stg__val(idb, 8);
    uint64_t h = idx->hash(key, klen);
    if (h != id) {
        k = stg__val(kb, stg__key_series(kb, db, h));
        rc = mdb_del(w, idx->dbi_sovf, &k, &d);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return stg__idx_err(rc, err, "deleting a series probe entry");
    }
    k = stg__val(pk, stg__key_dm(pk, db, mid));
    rc = mdb_del(w, idx->dbi_postings, &k, &d);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return stg__idx_err(rc, err, "deleting the measurement posting");

    for (size_t i = 0; i < ntags; i++) {
        const stg_tag *t = &idx->tags[i];
        uint32_t tkid;
        size_t pkl;
        rc = stg__idx_tagk_get(idx, w, 0, db, mid, t->key, t->key_len, &tkid, err);
        if (rc == STRATA_ENOTFOUND) continue; /* nothing was posted under it */
        if (rc != 0) return rc;
        rc = stg__idx_tagv_key(idx, w, 0, db, mid, tkid, t->val, t->val_len, pk, &pkl, err);
        if (rc == STRATA_OK) {
            k = stg__val(pk, pkl);
            rc = mdb_del(w, idx->dbi_postings, &k, &d);
            if (rc != 0 && rc != MDB_NOTFOUND)
                return stg__idx_err(rc, err, "deleting a tag posting");
            /* The value goes when its posting list is empty (LMDB dropped the key). */
            MDB_val ek = stg__val(pk, pkl), ev;
            int exact = mdb_get(w, idx->dbi_postings, &ek, &ev);
            if (exact == 0) continue; /* the value has other series, so the tag key stays too */
            if (exact != MDB_NOTFOUND) return stg__idx_err(exact, err, "deleting a tag posting");
            if (t->val_len > STG__NAME_INLINE) {
                rc = mdb_del(w, idx->dbi_tagv, &k, NULL);
                if (rc != 0 && rc != MDB_NOTFOUND)
                    return stg__idx_err(rc, err, "deleting a long tag value");
            }
        } else if (rc != STRATA_ENOTFOUND)
            return rc;
        /* The value went: a tag key without values goes too. */
        rc = postings_any(idx, w, pk, stg__key_dmt(pk, db, mid, tkid), &any, err);
        if (rc != 0) return rc;
        if (!any) {
            uint8_t tk[STG__KEY_MAX];
            MDB_val rec;
            rc = stg__idx_name_find(idx, w, idx->dbi_tagk, tk, stg__key_dm(tk, db, mid), t->key,
                                    t->key_len, STG__HEAD_TAGK, &pkl, &rec, err);
            if (rc == STRATA_OK) {
                k = stg__val(tk, pkl);
                rc = mdb_del(w, idx->dbi_tagk, &k, NULL);
                if (rc != 0) return stg__idx_err(rc, err, "deleting a tag key");
            } else if (rc != STRATA_ENOTFOUND)
                return rc;
        }
    }

    /* A measurement without series goes, fields included. */
    k = stg__val(pk, stg__key_dm(pk, db, mid));
    rc = mdb_get(w, idx->dbi_postings, &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND) return stg__idx_err(rc, err, "deleting a series");
    if (rc == MDB_NOTFOUND) {
        rc = stg__idx_meas_remove(idx, w, db, mid, err);
        if (rc != 0) return rc;
    }
    return stg__idx_count_add(idx, w, db, -1, err);
}
