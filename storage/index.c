/*
 * storage/index.c: opening the index and the helpers every index file uses:
 * LMDB error translation (the one place LMDB codes become strata codes),
 * name keys for names of any length, ordered listing of names, range
 * deletion and posting reads.
 *
 * The catalog is in index_db.c, series in index_series.c, measurements,
 * tags and fields in index_meas.c. The byte layout is in
 * storage/format/index.md.
 */
#include "storage/index_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static uint64_t default_hash(const void *key, size_t len)
{
    return XXH64(key, len, 0);
}

int stg__idx_err(int rc, strata_error *err, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS:
        return STRATA_OK;
    case MDB_NOTFOUND:
        return strata_error_set(err, STRATA_ENOTFOUND, "index: not found while %s", what);
    case MDB_KEYEXIST:
        return strata_error_set(err, STRATA_EEXIST, "index: key exists while %s", what);
    case MDB_MAP_FULL:
        return strata_error_set(err, STRATA_EFULL,
                                "index: the LMDB map is full while %s; raise the storage map "
                                "size and restart",
                                what);
    case MDB_TXN_FULL:
        return strata_error_set(err, STRATA_EFULL,
                                "index: the transaction has too many dirty pages while %s; "
                                "write or delete in smaller transactions",
                                what);
    case MDB_DBS_FULL:
        return strata_error_set(err, STRATA_EFULL,
                                "index: the LMDB environment has no room for more named "
                                "databases while %s; the index needs %d (raise maxdbs)",
                                what, STG_INDEX_NDBI);
    case MDB_READERS_FULL:
        return strata_error_set(err, STRATA_EBUSY,
                                "index: all LMDB reader slots are in use while %s; raise "
                                "maxreaders or close idle readers",
                                what);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: LMDB found a corrupt page while %s (%s); restore the "
                                "data directory from a backup",
                                what, mdb_strerror(rc));
    case MDB_PANIC:
        return strata_error_set(err, STRATA_EIO,
                                "index: LMDB hit a fatal error while %s; close and reopen the "
                                "environment",
                                what);
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return strata_error_set(err, STRATA_EVERSION,
                                "index: the data file is not a usable LMDB file while %s (%s)",
                                what, mdb_strerror(rc));
    case MDB_INCOMPATIBLE:
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: a sub-database has unexpected flags while %s; the file "
                                "was not written by this version of Strata",
                                what);
    case MDB_MAP_RESIZED:
        return strata_error_set(err, STRATA_EBUSY,
                                "index: another process grew the map while %s; reopen the "
                                "environment",
                                what);
    case MDB_BAD_TXN:
        return strata_error_set(err, STRATA_EINTERNAL,
                                "index: the transaction cannot be used any more (an earlier "
                                "operation failed) while %s; abort it",
                                what);
    case MDB_BAD_VALSIZE:
    case MDB_BAD_DBI:
    case MDB_BAD_RSLOT:
        return strata_error_set(err, STRATA_EINTERNAL, "index: LMDB rejected a call while %s: %s",
                                what, mdb_strerror(rc));
    case EACCES:
        return strata_error_set(err, STRATA_EINVAL,
                                "index: write attempted in a read-only transaction while %s", what);
    case ENOMEM:
        return strata_error_set(err, STRATA_ENOMEM, "index: out of memory while %s", what);
    default:
        if (rc > 0)
            return strata_error_set(err, strata_code_from_errno(rc), "index: %s while %s",
                                    strerror(rc), what);
        return strata_error_set(err, STRATA_EIO, "index: LMDB error while %s: %s", what,
                                mdb_strerror(rc));
    }
}

int stg__idx_kbuf(stg_index *idx, size_t n, strata_error *err)
{
    if (n <= idx->kcap) return STRATA_OK;
    size_t cap = idx->kcap ? idx->kcap : 256;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(idx->kbuf, cap);
    if (p == NULL)
        return strata_error_set(err, STRATA_ENOMEM, "index: out of memory for a %zu-byte key", n);
    idx->kbuf = p;
    idx->kcap = cap;
    return STRATA_OK;
}

int stg_index_open(MDB_env *env, MDB_txn *txn, stg_index **out, strata_error *err)
{
    static const struct {
        const char *name;
        unsigned flags;
        size_t off;
    } dbs[STG_INDEX_NDBI] = {
        {"idx.db", 0, offsetof(stg_index, dbi_db)},
        {"idx.series", 0, offsetof(stg_index, dbi_series)},
        {"idx.sovf", MDB_DUPSORT | MDB_DUPFIXED, offsetof(stg_index, dbi_sovf)},
        {"idx.postings", MDB_DUPSORT | MDB_DUPFIXED, offsetof(stg_index, dbi_postings)},
        {"idx.meas", 0, offsetof(stg_index, dbi_meas)},
        {"idx.tagk", 0, offsetof(stg_index, dbi_tagk)},
        {"idx.tagv", 0, offsetof(stg_index, dbi_tagv)},
        {"idx.field", 0, offsetof(stg_index, dbi_field)},
    };
    stg_index *idx = NULL;
    int rc;

    *out = NULL;
    if (mdb_env_get_maxkeysize(env) < STG__LMDB_KEY_MIN)
        return strata_error_set(err, STRATA_EUNSUPPORTED,
                                "index: LMDB was built with a %d-byte key limit; the index needs "
                                "%d",
                                mdb_env_get_maxkeysize(env), STG__LMDB_KEY_MIN);
    idx = calloc(1, sizeof *idx);
    if (idx == NULL)
        return strata_error_set(err, STRATA_ENOMEM, "index: out of memory opening the index");
    idx->env = env;
    idx->hash = default_hash;
    for (int i = 0; i < STG_INDEX_NDBI; i++) {
        MDB_dbi *dbi = (MDB_dbi *)((char *)idx + dbs[i].off);
        rc = mdb_dbi_open(txn, dbs[i].name, dbs[i].flags | MDB_CREATE, dbi);
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "opening the index sub-databases");
            strata_error_prefix(err, "%s: ", dbs[i].name);
            goto fail;
        }
        unsigned got = 0;
        rc = mdb_dbi_flags(txn, *dbi, &got);
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "opening the index sub-databases");
            goto fail;
        }
        if ((got & (MDB_DUPSORT | MDB_DUPFIXED)) != dbs[i].flags) {
            rc = strata_error_set(err, STRATA_ECORRUPT,
                                  "index: sub-database %s has flags 0x%x, expected 0x%x; the "
                                  "file was not written by this version of Strata",
                                  dbs[i].name, got, dbs[i].flags);
            goto fail;
        }
    }

    /* Version record: written on first open, checked afterwards. */
    uint8_t kb[8];
    MDB_val k = stg__val(kb, stg__key_db(kb, 0, STG__KIND_VERSION)), v;
    rc = mdb_get(txn, idx->dbi_db, &k, &v);
    if (rc == MDB_NOTFOUND) {
        uint8_t vb[8];
        strata_put_le32(vb, STG__INDEX_VERSION);
        strata_put_le32(vb + 4, STG__INDEX_HASH_XXH64);
        v = stg__val(vb, sizeof vb);
        rc = mdb_put(txn, idx->dbi_db, &k, &v, 0);
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "writing the index version");
            goto fail;
        }
    } else if (rc != 0) {
        rc = stg__idx_err(rc, err, "reading the index version");
        goto fail;
    } else if (v.mv_size < 8) {
        rc =
            strata_error_set(err, STRATA_ECORRUPT,
                             "index: version record in idx.db is %zu bytes, expected 8", v.mv_size);
        goto fail;
    } else {
        uint32_t ver = strata_get_le32(v.mv_data), hash = strata_get_le32((uint8_t *)v.mv_data + 4);
        if (ver != STG__INDEX_VERSION || hash != STG__INDEX_HASH_XXH64) {
            rc = strata_error_set(err, STRATA_EVERSION,
                                  "index: stored index format is version %u with hash %u; this "
                                  "build reads version %u with hash %u",
                                  ver, hash, STG__INDEX_VERSION, STG__INDEX_HASH_XXH64);
            goto fail;
        }
    }
    *out = idx;
    return STRATA_OK;

fail:
    stg_index_close(idx);
    return rc;
}

void stg_index_close(stg_index *idx)
{
    if (idx == NULL) return;
    free(idx->kbuf);
    free(idx->pbuf);
    free(idx->tags);
    free(idx->b_arena);
    free(idx->b_ents);
    free(idx->b_posts);
    free(idx->b_pkeys);
    free(idx->b_ids);
    free(idx);
}

void stg_index_set_hash_fn(stg_index *idx, uint64_t (*fn)(const void *key, size_t len))
{
    idx->hash = fn != NULL ? fn : default_hash;
}

int stg__idx_name_find(const stg_index *idx, MDB_txn *txn, MDB_dbi dbi, uint8_t *key, size_t plen,
                       const char *name, size_t nlen, size_t head, size_t *klen, MDB_val *rec,
                       strata_error *err)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc;

    if (nlen <= STG__NAME_INLINE) {
        memcpy(key + plen, name, nlen);
        *klen = plen + nlen;
        k = stg__val(key, *klen);
        rc = mdb_get(txn, dbi, &k, rec);
        if (rc == MDB_NOTFOUND) return STRATA_ENOTFOUND;
        if (rc == 0 && rec->mv_size < head)
            return strata_error_set(err, STRATA_ECORRUPT,
                                    "index: a name record is %zu bytes, shorter than its %zu-byte "
                                    "head",
                                    rec->mv_size, head);
        return stg__idx_err(rc, err, "looking up a name");
    }

    /* Long name: scan the (normally one-entry) group with this prefix and hash. */
    size_t glen = plen + STG__NAME_INLINE + 8;
    unsigned next_seq = 0;
    memcpy(key + plen, name, STG__NAME_INLINE);
    strata_put_be64(key + plen + STG__NAME_INLINE, idx->hash(name, nlen));
    rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) return stg__idx_err(rc, err, "looking up a long name");
    k = stg__val(key, glen);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size == glen + 2 && memcmp(k.mv_data, key, glen) == 0) {
        if (v.mv_size < head) {
            rc = strata_error_set(err, STRATA_ECORRUPT,
                                  "index: a long-name record is %zu bytes, shorter than its "
                                  "%zu-byte head",
                                  v.mv_size, head);
            goto done;
        }
        unsigned seq =
            (unsigned)((uint8_t *)k.mv_data)[glen] << 8 | ((uint8_t *)k.mv_data)[glen + 1];
        if (v.mv_size - head == nlen && memcmp((char *)v.mv_data + head, name, nlen) == 0) {
            key[glen] = (uint8_t)(seq >> 8);
            key[glen + 1] = (uint8_t)seq;
            *klen = glen + 2;
            *rec = v;
            rc = STRATA_OK;
            goto done;
        }
        if (seq >= next_seq) next_seq = seq + 1;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        rc = stg__idx_err(rc, err, "looking up a long name");
        goto done;
    }
    if (next_seq > 0xffff) {
        rc = strata_error_set(err, STRATA_ELIMIT,
                              "index: 65536 different long names share their first %d bytes and "
                              "hash",
                              STG__NAME_INLINE);
        goto done;
    }
    key[glen] = (uint8_t)(next_seq >> 8);
    key[glen + 1] = (uint8_t)next_seq;
    *klen = glen + 2;
    rc = STRATA_ENOTFOUND;
done:
    mdb_cursor_close(cur);
    return rc;
}

int stg__idx_name_put(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t klen, const void *head,
                      size_t hlen, const char *name, size_t nlen, strata_error *err,
                      const char *what)
{
    size_t full = nlen > STG__NAME_INLINE ? nlen : 0;
    MDB_val k = stg__val(key, klen), v = stg__val(NULL, hlen + full);
    int rc = mdb_put(txn, dbi, &k, &v, MDB_RESERVE);
    if (rc != 0) return stg__idx_err(rc, err, what);
    if (hlen > 0) memcpy(v.mv_data, head, hlen);
    if (full > 0) memcpy((char *)v.mv_data + hlen, name, full);
    return STRATA_OK;
}

/* A long name waiting for its group (same 480-byte prefix) to be sorted. */
typedef struct name_ent {
    const char *name;
    size_t len;
    MDB_val rec;
} name_ent;

static int name_ent_cmp(const void *a, const void *b)
{
    const name_ent *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    if (c != 0) return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int group_flush(name_ent *g, size_t n, stg__name_fn fn, void *ctx)
{
    qsort(g, n, sizeof *g, name_ent_cmp);
    for (size_t i = 0; i < n; i++) {
        int rc = fn(ctx, g[i].name, g[i].len, &g[i].rec);
        if (rc != 0) return rc;
    }
    return 0;
}

int stg__idx_names_each(MDB_txn *txn, MDB_dbi dbi, MDB_dbi fulldbi, const uint8_t *prefix,
                        size_t plen, size_t head, stg__name_fn fn, void *ctx)
{
    MDB_cursor *cur = NULL;
    name_ent *group = NULL;
    size_t ng = 0, gcap = 0;
    const uint8_t *gprefix = NULL; /* the group's 480 name bytes, in an LMDB page */
    int nodup = fulldbi != dbi;
    MDB_val k = stg__val(prefix, plen), v;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) return stg__idx_err(rc, NULL, "listing names");

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0;
         rc = mdb_cursor_get(cur, &k, &v, nodup ? MDB_NEXT_NODUP : MDB_NEXT)) {
        const uint8_t *nk = (const uint8_t *)k.mv_data + plen;
        size_t nl = k.mv_size - plen;
        if (nl <= STG__NAME_INLINE) {
            if (v.mv_size < head) {
                rc = STRATA_ECORRUPT;
                goto done;
            }
            if (ng > 0) {
                rc = group_flush(group, ng, fn, ctx);
                ng = 0;
                if (rc != 0) goto done;
            }
            rc = fn(ctx, (const char *)nk, nl, &v);
            if (rc != 0) goto done;
            continue;
        }
        if (nl != STG__NAME_LONG) {
            rc = STRATA_ECORRUPT;
            goto done;
        }
        MDB_val full = v;
        size_t fhead = head;
        if (nodup) {
            MDB_val fk = k;
            fhead = 0;
            rc = mdb_get(txn, fulldbi, &fk, &full);
            if (rc != 0) {
                rc = rc == MDB_NOTFOUND ? STRATA_ECORRUPT : stg__idx_err(rc, NULL, "listing names");
                goto done;
            }
        }
        if (full.mv_size < fhead || full.mv_size - fhead <= STG__NAME_INLINE) {
            rc = STRATA_ECORRUPT;
            goto done;
        }
        if (ng > 0 && memcmp(gprefix, nk, STG__NAME_INLINE) != 0) {
            rc = group_flush(group, ng, fn, ctx);
            ng = 0;
            if (rc != 0) goto done;
        }
        if (ng == gcap) {
            size_t cap = gcap ? gcap * 2 : 8;
            name_ent *p = realloc(group, cap * sizeof *p);
            if (p == NULL) {
                rc = STRATA_ENOMEM;
                goto done;
            }
            group = p;
            gcap = cap;
        }
        gprefix = nk;
        group[ng].name = (const char *)full.mv_data + fhead;
        group[ng].len = full.mv_size - fhead;
        group[ng].rec = v;
        ng++;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        rc = stg__idx_err(rc, NULL, "listing names");
        goto done;
    }
    rc = ng > 0 ? group_flush(group, ng, fn, ctx) : 0;
done:
    free(group);
    mdb_cursor_close(cur);
    return rc;
}

int stg__idx_range_del(MDB_txn *txn, MDB_dbi dbi, int dupsort, const uint8_t *prefix, size_t plen,
                       strata_error *err)
{
    MDB_cursor *cur = NULL;
    MDB_val k = stg__val(prefix, plen), v;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) return stg__idx_err(rc, err, "deleting a key range");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
        rc = mdb_cursor_del(cur, dupsort ? MDB_NODUPDATA : 0);
        if (rc != 0) break;
        /* After a delete LMDB leaves the cursor on the following item and its
         * next NEXT/NEXT_NODUP returns that item rather than skipping it. */
        rc = mdb_cursor_get(cur, &k, &v, dupsort ? MDB_NEXT_NODUP : MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) rc = 0;
    return stg__idx_err(rc, err, "deleting a key range");
}

int stg__idx_postings_append(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t klen,
                             stg_idset *out)
{
    MDB_cursor *cur = NULL;
    MDB_val k = stg__val(key, klen), v;
    size_t count = 0;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) return stg__idx_err(rc, NULL, "reading postings");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        goto done;
    }
    if (rc != 0) goto done;
    rc = mdb_cursor_count(cur, &count);
    if (rc != 0) goto done;
    if (stg_idset_reserve(out, out->n + count) != STRATA_OK) {
        rc = ENOMEM;
        goto done;
    }
    /* GET_MULTIPLE returns the first page of ids; for a key with a single id
     * LMDB has no duplicate page and leaves v as MDB_SET_KEY returned it. */
    rc = mdb_cursor_get(cur, &k, &v, MDB_GET_MULTIPLE);
    while (rc == 0) {
        if (v.mv_size % 8 != 0) {
            mdb_cursor_close(cur);
            return STRATA_ECORRUPT;
        }
        size_t n = v.mv_size / 8;
        if (stg_idset_reserve(out, out->n + n) != STRATA_OK) {
            rc = ENOMEM;
            goto done;
        }
        const uint8_t *p = v.mv_data;
        for (size_t i = 0; i < n; i++)
            out->ids[out->n++] = strata_get_be64(p + 8 * i);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_MULTIPLE);
    }
    if (rc == MDB_NOTFOUND) rc = 0;
done:
    mdb_cursor_close(cur);
    return stg__idx_err(rc, NULL, "reading postings");
}

int stg__idx_count_add(stg_index *idx, MDB_txn *w, uint32_t db, int64_t delta, strata_error *err)
{
    uint8_t kb[8], vb[8];
    MDB_val k = stg__val(kb, stg__key_db(kb, db, STG__KIND_COUNT)), v;
    int rc = mdb_get(w, idx->dbi_db, &k, &v);
    if (rc != 0) return stg__idx_err(rc, err, "updating the series count");
    if (v.mv_size != 8)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "index: series count of database %u is %zu bytes, expected 8", db,
                                v.mv_size);
    uint64_t n = strata_get_le64(v.mv_data);
    n = (delta < 0 && (uint64_t)-delta > n) ? 0 : n + (uint64_t)delta;
    strata_put_le64(vb, n);
    v = stg__val(vb, 8);
    return stg__idx_err(mdb_put(w, idx->dbi_db, &k, &v, 0), err, "updating the series count");
}
