/*
 * storage/index.h: the series index and catalog of the storage engine.
 *
 * The index maps names to ids and tags to series, inside the engine's one
 * LMDB environment, in sub-databases named "idx.*" (byte layout in
 * storage/format/index.md). It knows:
 *   - databases: name <-> u32 id (allocated increasing from 1, never reused);
 *   - series: canonical key (storage/serieskey.h) <-> u64 id. The id is
 *     xxhash64(key, seed 0); when that id belongs to another key the next
 *     free id (id+1, id+2, ...) is taken, so two series never merge;
 *   - per measurement: a u32 id, its tag keys, the values of each tag key,
 *     its fields (u32 id and fixed type);
 *   - postings: (measurement, tag key, tag value) -> ids of the series
 *     carrying that tag, and measurement -> all its series.
 * Nothing is cached in RAM between calls: LMDB pages the data, so millions
 * of series cost address space, not heap. Bulk creation goes through
 * stg_index_series_ensure_batch().
 *
 * Transactions: every call takes an LMDB transaction from the caller and
 * never commits or aborts it. Calls documented "w" need a write transaction;
 * the others work in read or write transactions. Input errors are detected
 * before anything is written: after STRATA_EINVAL, STRATA_ENOTFOUND,
 * STRATA_EEXIST, STRATA_ETYPE, or STRATA_ECORRUPT from the conflict check of
 * stg_index_series_restore(), the transaction is unchanged and the caller
 * may go on with it (skip one bad point, commit the rest). After any other
 * failure (STRATA_EFULL, STRATA_ELIMIT, STRATA_ENOMEM, STRATA_EIO, corruption
 * found while writing) the transaction must be aborted.
 *
 * Pointers handed out (to callbacks, by stg_index_series_key(), ...) point
 * into LMDB pages: valid until the end of the transaction or its next write,
 * whichever comes first. Callbacks must not write to the index in the
 * transaction they are iterating. A callback returns 0 to continue; any
 * other value stops the iteration and is returned by the listing call.
 *
 * Threads: read calls are thread-safe (each thread with its own read
 * transaction). Write calls use scratch buffers inside stg_index and rely on
 * LMDB's single writer: they must not run concurrently with each other
 * (they cannot, unless the environment is opened with MDB_NOLOCK).
 */
#ifndef STRATA_STORAGE_INDEX_H
#define STRATA_STORAGE_INDEX_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "storage/idset.h"
#include "storage/serieskey.h"
#include "storage/types.h"

typedef struct stg_index stg_index;

/* Number of LMDB sub-databases the index opens (the engine's maxdbs must leave room). */
#define STG_INDEX_NDBI 8

/*
 * Open the index's sub-databases, creating them if missing, and check or
 * write the index format version.
 *
 * txn must be a write transaction; the caller commits it before using the
 * index in any other transaction (LMDB makes new database handles visible
 * to other transactions only after commit). If the caller aborts txn, it
 * must stg_index_close() the index and open it again.
 *
 * Ownership: *out is allocated here, freed by stg_index_close(). The
 *            environment must outlive it.
 * @return STRATA_OK; STRATA_EVERSION (stored index format unknown);
 *         STRATA_EFULL (no room for more sub-databases, see maxdbs, or map
 *         full); STRATA_EUNSUPPORTED (LMDB built with keys shorter than
 *         511 bytes); STRATA_ECORRUPT; STRATA_EIO; STRATA_ENOMEM; STRATA_EINVAL
 *         (read-only transaction).
 */
int stg_index_open(MDB_env *env, MDB_txn *txn, stg_index **out, strata_error *err);

/*
 * Free the index handle. idx may be NULL. The LMDB database handles are left
 * to the environment (closed by mdb_env_close()).
 */
void stg_index_close(stg_index *idx);

/*
 * Test hook: replace the hash used for series ids and for long names
 * (default: XXH64 with seed 0). fn NULL restores the default. Data written
 * with one hash can only be found with the same hash: use on fresh
 * environments only. Not thread-safe; call before any other use.
 */
void stg_index_set_hash_fn(stg_index *idx, uint64_t (*fn)(const void *key, size_t len));

/* ---------------------------------------------------------------- databases */

/*
 * (w) Create database name (len bytes, any bytes but not empty) and return
 * its new id in *db_id. If it exists, *db_id receives the existing id.
 * @return STRATA_OK; STRATA_EEXIST (exists, *db_id set); STRATA_EINVAL (empty
 *         name); STRATA_ELIMIT (2^32-1 databases were created);
 *         LMDB failures (STRATA_EFULL, STRATA_ECORRUPT, STRATA_EIO, ...).
 */
int stg_index_db_create(stg_index *idx, MDB_txn *w, const char *name, size_t len, uint32_t *db_id,
                        strata_error *err);

/* Find a database by name. @return STRATA_OK, STRATA_ENOTFOUND, LMDB failures. */
int stg_index_db_lookup(stg_index *idx, MDB_txn *txn, const char *name, size_t len,
                        uint32_t *db_id);

/*
 * Call fn for each database, sorted by name (bytewise).
 * @return STRATA_OK, fn's non-zero value, STRATA_ENOMEM, LMDB failures.
 */
int stg_index_db_list(stg_index *idx, MDB_txn *txn,
                      int (*fn)(void *ctx, const char *name, size_t len, uint32_t db_id),
                      void *ctx);

/*
 * (w) Remove database db_id and every index entry of it (series,
 * measurements, tags, fields, postings). The id is never given again. The
 * engine drops its own data (chunks) itself. Cost is linear in the
 * database's index size; see the limits in storage/format/index.md.
 * @return STRATA_OK, STRATA_ENOTFOUND, STRATA_EINVAL (db_id 0), LMDB failures.
 */
int stg_index_db_drop(stg_index *idx, MDB_txn *w, uint32_t db_id, strata_error *err);

/* ------------------------------------------------------------------ series */

/*
 * Find the series whose canonical key is key (built by
 * stg_series_key_build()). O(1) LMDB lookups, no scan.
 * @return STRATA_OK (*id set), STRATA_ENOTFOUND, LMDB failures.
 */
int stg_index_series_lookup(stg_index *idx, MDB_txn *txn, uint32_t db, const char *key, size_t len,
                            uint64_t *id);

/*
 * (w) Get or create the series of measurement meas with tags (sorted by key,
 * see stg_series_key_check()). Creating writes the series record, the
 * measurement, tag keys and postings; *created is 1 then, else 0.
 * No allocation once the index's scratch buffer has grown to the largest
 * key seen, except an LMDB cursor for names over 480 bytes and for series
 * displaced by an id collision.
 * @return STRATA_OK; STRATA_EINVAL (bad measurement or tags: message says
 *         which); STRATA_ENOTFOUND (no database db); STRATA_ELIMIT (2^32-1
 *         measurements or tag keys were created, or 65535 long names share
 *         a 480-byte prefix and hash); STRATA_ENOMEM; LMDB failures.
 */
int stg_index_series_ensure(stg_index *idx, MDB_txn *w, uint32_t db, const char *meas, size_t mlen,
                            const stg_tag *tags, size_t ntags, uint64_t *id, int *created,
                            strata_error *err);

/* One series of a batch for stg_index_series_ensure_batch(); all borrowed. */
typedef struct stg_series_in {
    const char *meas;
    size_t mlen;
    const stg_tag *tags; /* sorted by key, see stg_series_key_check() */
    size_t ntags;
} stg_series_in;

/*
 * (w) stg_index_series_ensure() for n series at once, for bulk writes:
 * ids[i] receives the id of in[i] and created[i] (created may be NULL) 1 if
 * this call created it. The results equal n calls in order (a series given
 * twice is created once, at its first position). Faster when many series
 * are new: lookups, inserts and postings run in key order, and measurement
 * and tag key ids are resolved once per batch.
 *
 * Every input is checked before anything is written: an invalid series
 * fails the whole batch with STRATA_EINVAL and a message naming its index
 * (check inputs with stg_series_key_check() first to skip bad ones).
 * Memory: scratch proportional to the batch, kept in idx for the next call.
 * @return as stg_index_series_ensure().
 */
int stg_index_series_ensure_batch(stg_index *idx, MDB_txn *w, uint32_t db, const stg_series_in *in,
                                  size_t n, uint64_t *ids, uint8_t *created, strata_error *err);

/*
 * (w) WAL replay: make sure the series with canonical key key exists with
 * exactly id, creating it with that id if missing.
 * @return STRATA_OK (exists or created); STRATA_ECORRUPT (id belongs to
 *         another key, or key already has another id); STRATA_EINVAL (key
 *         is not a canonical series key); STRATA_ENOTFOUND (no database
 *         db); STRATA_ELIMIT; STRATA_ENOMEM; LMDB failures.
 */
int stg_index_series_restore(stg_index *idx, MDB_txn *w, uint32_t db, const char *key, size_t len,
                             uint64_t id, strata_error *err);

/*
 * The canonical key of series id. *key points into an LMDB page (see the
 * lifetime rule at the top). @return STRATA_OK, STRATA_ENOTFOUND, LMDB failures.
 */
int stg_index_series_key(stg_index *idx, MDB_txn *txn, uint32_t db, uint64_t id, const char **key,
                         size_t *len);

/* The measurement id of series id. @return STRATA_OK, STRATA_ENOTFOUND, LMDB failures. */
int stg_index_series_mid(stg_index *idx, MDB_txn *txn, uint32_t db, uint64_t id, uint32_t *mid);

/*
 * (w) Delete series id and its postings. A tag value, tag key or
 * measurement left without series is removed too (a removed measurement
 * takes its fields with it). Ids are a function of the key, so creating the
 * same series again normally gives the same id: the engine must drop the
 * series' data in the same transaction.
 * @return STRATA_OK, STRATA_ENOTFOUND, STRATA_ECORRUPT (the record does not
 *         parse), STRATA_ENOMEM, LMDB failures.
 */
int stg_index_series_delete(stg_index *idx, MDB_txn *w, uint32_t db, uint64_t id,
                            strata_error *err);

/* Number of live series in database db (a stored counter); 0 if db is unknown. */
uint64_t stg_index_series_count(stg_index *idx, MDB_txn *txn, uint32_t db);

/* ------------------------------------------------------------ measurements */

/* Find a measurement by name. @return STRATA_OK, STRATA_ENOTFOUND, LMDB failures. */
int stg_index_meas_lookup(stg_index *idx, MDB_txn *txn, uint32_t db, const char *name, size_t len,
                          uint32_t *mid);

/*
 * The name of measurement mid; *name points into an LMDB page.
 * @return STRATA_OK, STRATA_ENOTFOUND, STRATA_ECORRUPT, LMDB failures.
 */
int stg_index_meas_name(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char **name,
                        size_t *len);

/*
 * Call fn for each measurement of db, sorted by name.
 * @return STRATA_OK, fn's non-zero value, STRATA_ENOMEM, LMDB failures.
 */
int stg_index_meas_list(stg_index *idx, MDB_txn *txn, uint32_t db,
                        int (*fn)(void *ctx, const char *name, size_t len, uint32_t mid),
                        void *ctx);

/*
 * Replace out's contents with the ids of all series of measurement mid
 * (empty if mid is unknown). Reads posting pages whole (MDB_GET_MULTIPLE).
 * @return STRATA_OK, STRATA_ENOMEM, STRATA_ECORRUPT, LMDB failures.
 */
int stg_index_meas_series(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, stg_idset *out);

/*
 * Replace out's contents with the ids of the series of measurement mid that
 * have tag k=v (empty if none).
 * @return STRATA_OK, STRATA_ENOMEM, STRATA_ECORRUPT, LMDB failures.
 */
int stg_index_tag_series(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char *k,
                         size_t kl, const char *v, size_t vl, stg_idset *out);

/*
 * Call fn for each tag key of measurement mid, sorted.
 * @return STRATA_OK, fn's non-zero value, STRATA_ENOMEM, LMDB failures.
 */
int stg_index_tag_keys(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid,
                       int (*fn)(void *ctx, const char *k, size_t kl), void *ctx);

/*
 * Call fn for each value of tag key k in measurement mid, sorted. Costs one
 * step per distinct value, not per series.
 * @return STRATA_OK, fn's non-zero value, STRATA_ENOMEM, STRATA_ECORRUPT,
 *         LMDB failures.
 */
int stg_index_tag_values(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char *k,
                         size_t kl, int (*fn)(void *ctx, const char *v, size_t vl), void *ctx);

/*
 * (w) Get or create field f of measurement mid with type t. Field ids are
 * allocated per measurement from 1. A field keeps its first type.
 * @return STRATA_OK (*fid set); STRATA_ETYPE (f exists with another type;
 *         message as InfluxDB's "field type conflict: input field "value" on
 *         measurement "cpu" is type integer, already exists as type float");
 *         STRATA_EINVAL (empty name, unknown type); STRATA_ENOTFOUND (no
 *         measurement mid); STRATA_ELIMIT; LMDB failures.
 */
int stg_index_field_ensure(stg_index *idx, MDB_txn *w, uint32_t db, uint32_t mid, const char *f,
                           size_t fl, stg_type t, uint32_t *fid, strata_error *err);

/* Find field f of mid. @return STRATA_OK (*fid, *t set), STRATA_ENOTFOUND, LMDB failures. */
int stg_index_field_lookup(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid, const char *f,
                           size_t fl, uint32_t *fid, stg_type *t);

/*
 * Call fn for each field of mid, sorted by name.
 * @return STRATA_OK, fn's non-zero value, STRATA_ENOMEM, STRATA_ECORRUPT,
 *         LMDB failures.
 */
int stg_index_field_list(stg_index *idx, MDB_txn *txn, uint32_t db, uint32_t mid,
                         int (*fn)(void *ctx, const char *f, size_t fl, uint32_t fid, stg_type t),
                         void *ctx);

/*
 * (w) Remove measurement mid with all its series, tags, fields and
 * postings. The ids of the removed series are added to dropped_series
 * (which may be NULL; it is normalised on return) so that the engine can
 * drop their data.
 * @return STRATA_OK, STRATA_ENOTFOUND, STRATA_ENOMEM, STRATA_ECORRUPT, LMDB
 *         failures.
 */
int stg_index_meas_drop(stg_index *idx, MDB_txn *w, uint32_t db, uint32_t mid,
                        stg_idset *dropped_series, strata_error *err);

#endif
