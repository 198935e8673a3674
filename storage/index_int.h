/*
 * storage/index_int.h: internals shared by storage/index*.c. Not for use
 * outside the index (the layout it encodes is documented in
 * storage/format/index.md; keep the two in step).
 *
 * Key building blocks (all big-endian so LMDB's memcmp order is numeric):
 *   db   u32 database id, 0 for the catalog itself
 *   id   u64 series id
 *   mid  u32 measurement id, tkid u32 tag key id
 *   nk   "name key": a name of <= STG__NAME_INLINE bytes as is, or for a
 *        longer name its first STG__NAME_INLINE bytes, hash64(name) (8 bytes)
 *        and a u16 sequence number that tells apart long names with equal
 *        prefix and hash. Records under a long nk keep the full name, so
 *        lookups compare full names and never merge two names.
 * Values are little-endian.
 */
#ifndef STRATA_STORAGE_INDEX_INT_H
#define STRATA_STORAGE_INDEX_INT_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "common/error.h"
#include "storage/index.h"

/* Names up to this length are stored inside keys as is. */
#define STG__NAME_INLINE 480
/* Length of a long name key: prefix, hash, sequence. */
#define STG__NAME_LONG (STG__NAME_INLINE + 8 + 2)
/* Room for any key the index builds (the longest is 12 + STG__NAME_LONG = 502). */
#define STG__KEY_MAX 512
/* LMDB's default maximum key size, which every key above must fit. */
#define STG__LMDB_KEY_MIN 511

/* Index format version stored in idx.db under the catalog's 'V' record. */
#define STG__INDEX_VERSION 1
/* Hash algorithm id stored next to the version: 1 = XXH64, seed 0. */
#define STG__INDEX_HASH_XXH64 1

/* Record kinds in idx.db (the byte after the u32 db id). */
#define STG__KIND_VERSION 'V' /* db 0: format version */
#define STG__KIND_NEXTDB 'X'  /* db 0: next database id to allocate */
#define STG__KIND_NAME 'N'    /* db 0: database name -> id */
#define STG__KIND_COUNT 'C'   /* per db: live series count */
#define STG__KIND_NEXTMID 'M' /* per db: next measurement id */
#define STG__KIND_DBNK 'R'    /* per db: the database's name key (to find its 'N' record) */
/* Record kinds in idx.meas. */
#define STG__KIND_MNAME 'n' /* measurement name -> mid */
#define STG__KIND_MINFO 'i' /* mid -> counters and name key */

/* Heads of name-keyed records (bytes before the optional full name). */
#define STG__HEAD_DB 4    /* u32 db id */
#define STG__HEAD_MEAS 4  /* u32 mid */
#define STG__HEAD_TAGK 4  /* u32 tkid */
#define STG__HEAD_TAGV 0  /* nothing: the record is the full value */
#define STG__HEAD_FIELD 5 /* u32 fid, u8 type */
/* idx.meas 'i' record: u32 next tkid, u32 next fid, then the name key. */
#define STG__MINFO_FIXED 8

struct stg_index {
    MDB_env *env;
    MDB_dbi dbi_db;       /* idx.db: catalog and per-db counters */
    MDB_dbi dbi_series;   /* idx.series: db id -> mid, key */
    MDB_dbi dbi_sovf;     /* idx.sovf: db hash -> ids not equal to their hash (dupsort) */
    MDB_dbi dbi_postings; /* idx.postings: db mid [tkid vk] -> ids (dupsort, dupfixed) */
    MDB_dbi dbi_meas;     /* idx.meas: measurements */
    MDB_dbi dbi_tagk;     /* idx.tagk: db mid nk -> tkid */
    MDB_dbi dbi_tagv;     /* idx.tagv: long tag values, db mid tkid nk -> value */
    MDB_dbi dbi_field;    /* idx.field: db mid nk -> fid, type */
    uint64_t (*hash)(const void *key, size_t len);

    /* Write-path scratch (LMDB allows one writer, so one set suffices). */
    uint8_t *kbuf; /* series record being built: u32 mid then the key */
    size_t kcap;
    char *pbuf; /* unescaped parts of a parsed key */
    size_t pcap;
    stg_tag *tags; /* tags of a parsed key */
    size_t tcap;

    /* Batch scratch (index_batch.c), grown to the largest batch seen. */
    uint8_t *b_arena; /* series records: u32 mid then key, back to back */
    size_t b_arena_cap;
    void *b_ents; /* one entry per input series */
    size_t b_ents_cap;
    void *b_posts; /* one entry per posting to write */
    size_t b_posts_cap;
    uint8_t *b_pkeys; /* posting keys, back to back */
    size_t b_pkeys_cap;
    uint8_t *b_ids; /* big-endian ids of one posting key, for MDB_MULTIPLE */
    size_t b_ids_cap;
};

/* Translate an LMDB (or errno) code into a strata code, with a message
 * saying what the index was doing. rc 0 gives STRATA_OK. */
int stg__idx_err(int rc, strata_error *err, const char *what);

/* Grow idx->kbuf to n bytes. @return STRATA_OK or STRATA_ENOMEM. */
int stg__idx_kbuf(stg_index *idx, size_t n, strata_error *err);

/*
 * Find the record of name under key[0..plen) in dbi. head is the size of the
 * record's fixed part (a long name's record continues with the full name).
 * @return STRATA_OK: found, key[0..*klen) is its key and *rec its value;
 *         STRATA_ENOTFOUND: key[0..*klen) is where to insert it;
 *         STRATA_ELIMIT, STRATA_ECORRUPT, LMDB failures.
 */
int stg__idx_name_find(const stg_index *idx, MDB_txn *txn, MDB_dbi dbi, uint8_t *key, size_t plen,
                       const char *name, size_t nlen, size_t head, size_t *klen, MDB_val *rec,
                       strata_error *err);

/* Write a name record: head then, for a long name, the full name. */
int stg__idx_name_put(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t klen, const void *head,
                      size_t hlen, const char *name, size_t nlen, strata_error *err,
                      const char *what);

/*
 * Iterate the name-keyed records under prefix in dbi, in name order, calling
 * fn(ctx, name, len, rec). When fulldbi differs from dbi (tag values, whose
 * keys live in postings) a long name is read from fulldbi under the same
 * key with head 0, and keys are visited once each (MDB_NEXT_NODUP).
 * @return STRATA_OK, fn's non-zero value, STRATA_ENOMEM, STRATA_ECORRUPT,
 *         LMDB failures.
 */
typedef int (*stg__name_fn)(void *ctx, const char *name, size_t len, const MDB_val *rec);
int stg__idx_names_each(MDB_txn *txn, MDB_dbi dbi, MDB_dbi fulldbi, const uint8_t *prefix,
                        size_t plen, size_t head, stg__name_fn fn, void *ctx);

/* Delete every key starting with prefix (all duplicates of each key). */
int stg__idx_range_del(MDB_txn *txn, MDB_dbi dbi, int dupsort, const uint8_t *prefix, size_t plen,
                       strata_error *err);

/* Append the ids posted under key to out (ascending; out not normalised if
 * it had ids). NOTFOUND is not an error: nothing is appended. */
int stg__idx_postings_append(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t klen,
                             stg_idset *out);

/* Adjust the live series count of db by delta (db must exist). */
int stg__idx_count_add(stg_index *idx, MDB_txn *w, uint32_t db, int64_t delta, strata_error *err);

/* Series helpers shared by index_series.c and index_batch.c (see there). */
int stg__idx_series_find(stg_index *idx, MDB_txn *txn, uint32_t db, const char *key, size_t len,
                         uint64_t h, uint64_t *id, int *home_free, strata_error *err);
int stg__idx_db_check(stg_index *idx, MDB_txn *txn, uint32_t db, uint64_t *count,
                      strata_error *err);
int stg__idx_meas_ensure(stg_index *idx, MDB_txn *w, uint32_t db, const char *meas, size_t mlen,
                         uint32_t *mid, strata_error *err);
int stg__idx_tagk_get(stg_index *idx, MDB_txn *txn, int create, uint32_t db, uint32_t mid,
                      const char *tk, size_t tkl, uint32_t *tkid, strata_error *err);
int stg__idx_tagv_key(stg_index *idx, MDB_txn *txn, int create, uint32_t db, uint32_t mid,
                      uint32_t tkid, const char *val, size_t vl, uint8_t *key, size_t *klen,
                      strata_error *err);

/* Remove a measurement's records, tags, fields and postings (not its series records). */
int stg__idx_meas_remove(stg_index *idx, MDB_txn *w, uint32_t db, uint32_t mid, strata_error *err);

/* Key builders; each returns the key length. */
static inline size_t stg__key_db(uint8_t *k, uint32_t db, uint8_t kind)
{
    strata_put_be32(k, db);
    k[4] = kind;
    return 5;
}

static inline size_t stg__key_series(uint8_t *k, uint32_t db, uint64_t id)
{
    strata_put_be32(k, db);
    strata_put_be64(k + 4, id);
    return 12;
}

static inline size_t stg__key_dm(uint8_t *k, uint32_t db, uint32_t mid)
{
    strata_put_be32(k, db);
    strata_put_be32(k + 4, mid);
    return 8;
}

static inline size_t stg__key_dmt(uint8_t *k, uint32_t db, uint32_t mid, uint32_t tkid)
{
    strata_put_be32(k, db);
    strata_put_be32(k + 4, mid);
    strata_put_be32(k + 8, tkid);
    return 12;
}

static inline size_t stg__key_minfo(uint8_t *k, uint32_t db, uint32_t mid)
{
    strata_put_be32(k, db);
    k[4] = STG__KIND_MINFO;
    strata_put_be32(k + 5, mid);
    return 9;
}

static inline MDB_val stg__val(const void *p, size_t n)
{
    MDB_val v;
    v.mv_size = n;
    v.mv_data = (void *)p;
    return v;
}

#endif
