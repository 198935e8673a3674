/*
 * storage/engine.h: the storage engine's public API.
 *
 * An engine is one data directory:
 *   DIR/strata.mdb/   one LMDB environment: series index, catalog, sealed chunks
 *   DIR/wal/          the write-ahead log (storage/wal.h)
 *
 * The write path never inserts single points into LMDB. A batch of points is
 * resolved to series and field ids (creating them in the index when new),
 * written to the WAL as one record, applied to the in-memory heads of its
 * columns, and acknowledged once the WAL is durable (group commit). Heads
 * are encoded as they grow (storage/stream.h) and sealed into chunks
 * (storage/chunk.h) when full. A checkpoint writes every sealed chunk and
 * every open head to LMDB in one transaction, in key order, and then drops
 * the WAL segments it made redundant. A background thread checkpoints on
 * size and age; stg_engine_close() checkpoints too.
 *
 * Reads see points in time order, merged from LMDB chunks, sealed chunks not
 * yet checkpointed, the head and the out-of-order buffer, with the last
 * write winning for equal timestamps. Readers never block ingest for longer
 * than it takes to copy one column's in-memory state.
 *
 * Thread safety: every function may be called from any thread, concurrently,
 * unless its comment says otherwise. Batches and iterators belong to one
 * thread at a time.
 */
#ifndef STRATA_STORAGE_ENGINE_H
#define STRATA_STORAGE_ENGINE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "storage/chunk.h"
#include "storage/index.h"
#include "storage/types.h"

typedef struct stg_engine stg_engine;

typedef struct stg_options {
    const char *dir;             /* data directory (created if missing); required */
    size_t map_bytes;            /* LMDB map size, the most the store may hold; 0 = 1 TiB.
                                    Only address space: the file grows with the data */
    uint32_t chunk_max_points;   /* seal a head at this many points; 0 = 1024 */
    uint32_t head_max_bytes;     /* seal a head whose encoding exceeds this; 0 = 896 */
    uint32_t ooo_max_points;     /* seal an out-of-order buffer at this many points; 0 = 512 */
    size_t checkpoint_bytes;     /* checkpoint when sealed, unflushed chunks exceed; 0 = 64 MiB */
    size_t checkpoint_wal_bytes; /* ... or when the WAL exceeds this; 0 = 256 MiB */
    int64_t checkpoint_interval_ns; /* ... or when the last one is older; 0 = 5 min */
    int64_t partition_ns;           /* time partition of new databases; 0 = 7 days */
    int64_t compact_interval_ns;    /* background compaction this often; 0 = never */
    int wal_sync;                   /* 1 = fsync the WAL and LMDB (stg_options_default sets it);
                                       0 = no fsync at all: for tests and benchmarks only */
    int background;                 /* 1 = run the checkpoint thread */
    int wal_compress;               /* 1 = lz4 large WAL records: about a third of the WAL
                                       bytes for ~10% more CPU per write; 0 (default) = raw */
    const strata_logger *log;       /* may be NULL */
    int64_t retention_check_ns;     /* expire retention policies this often; 0 = 30 min,
                                       negative = never (storage/retention.h) */
    /* Background compaction (compact_interval_ns) reads and writes at most this many bytes of
     * chunk data per second, pausing between slices; 0 = no limit. stg_options_default sets
     * STG_COMPACT_RATE_DEFAULT. */
    uint64_t compact_rate_bytes;
    size_t compact_slice_bytes; /* chunk bytes one compaction transaction reads; 0 = 1 MiB */
    size_t compact_tail_bytes;  /* the tail appended as one slice up to this; 0 = 32 MiB,
                                   1 = never (stg_compact_opts.tail_bytes) */
    /* Threads that encode a checkpoint's chunks, the checkpointing thread included; 0 = one
     * per online CPU. At most STG_ENCODE_THREADS_MAX. */
    int encode_threads;
} stg_options;

/* Most threads a checkpoint encodes on (stg_options.encode_threads). */
#define STG_ENCODE_THREADS_MAX 16

/* Default compaction rate of the background job (stg_options_default). */
#define STG_COMPACT_RATE_DEFAULT ((uint64_t)32 << 20)

/* Fill opts with the defaults (wal_sync = 1, background = 1, dir = NULL). */
void stg_options_default(stg_options *opts);

/*
 * Open (or create) the data directory, check the format version, replay the
 * WAL into memory and start the background thread.
 *
 * Ownership: *out is the caller's; close it with stg_engine_close().
 * @return STRATA_OK, STRATA_EINVAL (no dir), STRATA_EIO, STRATA_ENOMEM,
 *         STRATA_EBUSY (another process has the directory open),
 *         STRATA_EVERSION (written by an incompatible version),
 *         STRATA_ECORRUPT (the LMDB file is damaged).
 */
int stg_engine_open(const stg_options *opts, stg_engine **out, strata_error *err);

/* Checkpoint, stop the background thread, close everything. e may be NULL. */
void stg_engine_close(stg_engine *e);

/*
 * Write every sealed chunk and open head to LMDB and drop the WAL segments
 * that became redundant. Ingest goes on meanwhile (it pauses only while the
 * in-memory state is collected).
 * @return STRATA_OK, STRATA_EIO, STRATA_EFULL, STRATA_ENOMEM
 */
int stg_engine_checkpoint(stg_engine *e, strata_error *err);

/* What a compaction did. Bytes are chunk payload bytes. */
typedef struct stg_compact_stats {
    uint64_t chunks_before, chunks_after, chunks_kept; /* kept: left as they were */
    uint64_t bytes_before, bytes_after;                /* of every chunk the walk met */
    uint64_t points;                                   /* points in the chunks written */
    uint64_t bytes_written; /* chunk bytes written (bytes_before are the bytes read) */
    uint64_t slices;        /* transactions committed */
    uint64_t elapsed_ns;    /* wall time of the whole compaction */
    uint64_t paused_ns;     /* of which spent between slices (rate limit, checkpoints) */
} stg_compact_stats;

/* How to compact. Zero fields take the defaults. */
typedef struct stg_compact_opts {
    uint32_t target_points; /* points per merged chunk before page fitting; 0 = 8192 */
    uint64_t rate_bytes;    /* chunk bytes read + written per second at most; 0 = no limit */
    size_t slice_bytes;     /* chunk bytes read per transaction (whole columns); 0 = 1 MiB */
    int repack;        /* 1 = rewrite the whole table into the other chunk table with MDB_APPEND in
                          one transaction and switch (full LMDB pages, for a stopped store: blocks
                          checkpoints, deletes and new series throughout, needs room for a second
                          copy; rate_bytes and slice_bytes are ignored); 0 = in place, in slices */
    size_t tail_bytes; /* in place: the newest partition of the last database, which ends the
                          table, is compacted as one slice appended with MDB_APPEND (full
                          pages) when its chunks take at most this; 0 = 32 MiB */
} stg_compact_opts;

/*
 * Compact the chunk table: merge each column's chunks into chunks of
 * target_points, drop overwritten points, re-encode, and cut chunks so that
 * they fill LMDB leaf pages (in place: equal chunks, two or more to a page;
 * repack: each chunk fills what is left of the page it is appended to). Chunks overlapping data
 * still in memory, and (in place) chunks that are full already, are left as they are.
 *
 * In place (repack = 0), the table is walked in slices of about slice_bytes
 * of chunk data, whole columns each, one LMDB write transaction per slice
 * that deletes the slice's chunks and puts them back merged: a reader sees
 * each column either before or after, and checkpoints, deletes and the
 * creation of new series wait for one slice at most. A slice in which
 * nothing would change is not written. Between slices this function sleeps
 * so that the chunk bytes read and written stay under rate_bytes per second
 * (the last slice is not followed by a pause). Ingest and reads go on
 * throughout. LMDB pages end up about as full as after random inserts
 * (LMDB packs pages only when it appends at the end of a table).
 *
 * With repack = 1, the whole table is written into the other chunk table
 * with MDB_APPEND in one transaction that then switches tables: every page
 * full, but checkpoints, deletes and new series wait for the whole run and
 * the store needs room for a second copy of the chunks. For a stopped
 * store (strata compact).
 *
 * Threads: any thread; one compaction at a time per engine is the caller's
 *          business (the background job is one).
 * st may be NULL; it is filled also on failure (what was done until then).
 * @return STRATA_OK, STRATA_EFULL, STRATA_EIO, STRATA_ENOMEM,
 *         STRATA_ECORRUPT (a bad chunk: the slices before it are compacted,
 *         its own slice is unchanged; the message names the chunk)
 */
int stg_engine_compact_opts(stg_engine *e, const stg_compact_opts *o, stg_compact_stats *st,
                            strata_error *err);

/* stg_engine_compact_opts() with repack = 1 (the whole table, one transaction, no rate limit). */
int stg_engine_compact(stg_engine *e, uint32_t target_points, stg_compact_stats *st,
                       strata_error *err);

/* Counters for /metrics and tests; a consistent-enough snapshot. */
typedef struct stg_engine_stats {
    uint64_t points_written, values_written, points_rejected;
    uint64_t columns, series_cached;
    uint64_t heads_bytes, pending_bytes; /* in-memory encoded heads / sealed, unflushed */
    uint64_t chunks_sealed, checkpoints, checkpoint_ns_last;
    uint64_t wal_bytes, map_bytes;
    uint64_t replayed_records, replay_cut_bytes;
    uint64_t replay_checkpoints; /* checkpoints made during the WAL replay at open (memory bound) */
} stg_engine_stats;
void stg_engine_stats_get(stg_engine *e, stg_engine_stats *st);

/* ---- Databases ---------------------------------------------------------- */

/*
 * Create a database (no error if it exists) with its default retention
 * policy "autogen" (storage/retention.h has the other forms). *db_id may be
 * NULL. @return STRATA_OK, STRATA_EINVAL (empty name or control
 * characters in it), LMDB failures.
 */
int stg_db_create(stg_engine *e, const char *name, uint32_t *db_id, strata_error *err);
/*
 * The id of a database: the namespace of its first retention policy
 * (stg_rp_resolve gives the namespace a write or read should use).
 * @return STRATA_OK or STRATA_ENOTFOUND.
 */
int stg_db_lookup(stg_engine *e, const char *name, uint32_t *db_id);
/* Call fn for every database, sorted by name; fn returns non-zero to stop. */
int stg_db_list(stg_engine *e, int (*fn)(void *ctx, const char *name, size_t len, uint32_t id),
                void *ctx, strata_error *err);
/* Drop a database and all its data. @return STRATA_OK, STRATA_ENOTFOUND, STRATA_EIO... */
int stg_db_drop(stg_engine *e, const char *name, strata_error *err);

/* ---- Writes -------------------------------------------------------------- */

typedef struct stg_field_in {
    const char *key;
    uint32_t key_len;
    stg_type type;
    uint64_t val;    /* value slot (storage/types.h); ignored for strings */
    const char *str; /* string value bytes (STG_STRING) */
    uint32_t str_len;
} stg_field_in;

typedef struct stg_point_in {
    const char *meas;
    uint32_t meas_len;
    const stg_tag *tags; /* any order; duplicate keys: the last one wins */
    uint32_t ntags;
    const stg_field_in *fields; /* duplicate keys: the last one wins */
    uint32_t nfields;
    int64_t ts_ns;
} stg_point_in;

/* A batch of points for one database, filled by one thread. */
typedef struct stg_batch stg_batch;

/* Outcome of a committed batch. */
typedef struct stg_write_result {
    uint64_t points_written;
    uint64_t points_rejected;            /* refused (type conflict, bad name, ...) */
    uint64_t points_expired;             /* dropped: older than their retention policy keeps
                                            (not counted in points_rejected) */
    int first_code;                      /* code of the first refusal, STRATA_OK if none */
    char first_error[STRATA_ERRMSG_MAX]; /* InfluxDB-style text of the first refusal */
} stg_write_result;

/* New empty batch for database db_id. @return STRATA_OK, STRATA_ENOMEM */
int stg_batch_new(stg_engine *e, uint32_t db_id, stg_batch **out);
/* Free a batch (committed or not). b may be NULL. */
void stg_batch_free(stg_batch *b);
/* Forget the points of a batch so it can be reused for db_id. */
void stg_batch_reset(stg_batch *b, uint32_t db_id);
/*
 * Copy one point into the batch (nothing of p is kept). Checks what can be
 * checked without the index (names, string length, field count).
 * @return STRATA_OK, STRATA_EINVAL (the point is refused: err says why; the
 *         batch is still usable), STRATA_ENOMEM
 */
int stg_batch_add(stg_batch *b, const stg_point_in *p, strata_error *err);
/* Number of points added and not yet committed. */
size_t stg_batch_count(const stg_batch *b);
/*
 * Resolve, log, apply and make durable every point of the batch. Points
 * whose fields conflict with stored types are refused and counted in res
 * (a partial write); the others are stored. Returns once the WAL holds the
 * batch on stable storage. The batch is empty afterwards.
 * @return STRATA_OK (see res for refusals), STRATA_EIO, STRATA_EFULL,
 *         STRATA_ENOMEM, STRATA_ENOTFOUND (the database was dropped)
 */
int stg_batch_commit(stg_batch *b, stg_write_result *res, strata_error *err);

/* ---- Index access for readers ------------------------------------------ */

/* The engine's index (for stg_index_* calls with a read transaction). */
stg_index *stg_engine_index(stg_engine *e);

/*
 * Begin a read-only LMDB transaction for index lookups. It sees every series
 * and field created before the call. End it with stg_engine_read_end().
 * @return STRATA_OK, STRATA_EIO
 */
int stg_engine_read_begin(stg_engine *e, MDB_txn **txn, strata_error *err);
void stg_engine_read_end(stg_engine *e, MDB_txn *txn);

/* ---- Column reads ------------------------------------------------------- */

/* Most points a block holds. */
#define STG_BLOCK_MAX STG_CHUNK_MAX_POINTS

typedef struct stg_block {
    int decoded; /* 1: ts/vals hold n points; 0: only info (a whole chunk) */
    uint32_t n;
    const int64_t *ts;     /* n timestamps, increasing */
    const uint64_t *vals;  /* n value slots */
    const uint8_t *strbuf; /* string bytes that STG_STRING slots point into */
    stg_chunk_info info;   /* for decoded == 0: the chunk's count, times, min, max, sum */
} stg_block;

typedef struct stg_iter stg_iter;

/*
 * Iterate one column over t_min_ns <= t < t_max_ns, in time order, with the
 * last write winning for equal timestamps. Chunks that miss the range are
 * never decoded.
 *
 * Ownership: *out is the caller's; free it with stg_iter_close().
 * Lifetime:  holds an LMDB read transaction until closed: keep it short.
 * @return STRATA_OK (also for a column with no data: it iterates nothing),
 *         STRATA_ENOMEM, STRATA_EIO
 */
int stg_iter_open(stg_engine *e, uint32_t db, uint64_t series, uint32_t field, int64_t t_min_ns,
                  int64_t t_max_ns, stg_iter **out, strata_error *err);

/*
 * Next block. With stats_ok, a chunk that lies wholly inside the range and
 * overlaps no other data comes back undecoded (decoded == 0, info filled) so
 * that aggregations can use its header; call stg_iter_decode() to get its
 * points after all. Blocks stay valid until the next call.
 * @return 1 (a block), 0 (end), STRATA_ECORRUPT (the message names the
 *         column and time range of the bad chunk), STRATA_ENOMEM
 */
int stg_iter_next(stg_iter *it, int stats_ok, stg_block *b, strata_error *err);

/* Decode the undecoded block last returned. @return as stg_iter_next(). */
int stg_iter_decode(stg_iter *it, stg_block *b, strata_error *err);

/* The column's type, or 0 when the column holds nothing. */
stg_type stg_iter_type(const stg_iter *it);

void stg_iter_close(stg_iter *it);

/* ---- Deletes ------------------------------------------------------------ */

/*
 * Delete the points with t_min_ns <= t < t_max_ns of the given series (all
 * series of the database when series == NULL). Whole chunks and whole time
 * partitions inside the range are dropped without decoding.
 * @return STRATA_OK, STRATA_EIO, STRATA_ENOMEM, STRATA_EFULL
 */
int stg_delete_range(stg_engine *e, uint32_t db, const stg_idset *series, int64_t t_min_ns,
                     int64_t t_max_ns, strata_error *err);

/* Delete series entirely: their data and their index entries. */
int stg_series_drop(stg_engine *e, uint32_t db, const stg_idset *series, strata_error *err);

/* Drop a measurement: its series, their data, its fields. STRATA_ENOTFOUND if none. */
int stg_measurement_drop(stg_engine *e, uint32_t db, const char *name, size_t len,
                         strata_error *err);

#endif
