/*
 * storage/engine_int.h: the engine's private structures, shared by the
 * files that implement storage/engine.h (engine.c, column.c, maps.c,
 * write.c, checkpoint.c, iter.c, delete.c). Not for use outside storage/.
 *
 * Locking, from outermost to innermost:
 *   ckpt_mu   one checkpoint or delete at a time
 *   ingest_mu writers resolve and log one batch at a time; the checkpoint
 *             holds it while it collects the in-memory state
 *   apply_mu  a writer takes it before leaving ingest_mu and applies its
 *             batch to the heads under it, so batches reach the heads in WAL
 *             order while the next batch is resolved; the checkpoint takes
 *             it after ingest_mu to wait for a batch still being applied
 *   heads_rw  write-locked while columns change (apply, collect, release);
 *             read-locked by readers while they copy one column's state
 *   stats_mu  counters
 * LMDB serialises write transactions itself; read transactions are free.
 */
#ifndef STRATA_STORAGE_ENGINE_INT_H
#define STRATA_STORAGE_ENGINE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "storage/engine.h"
#include "storage/stream.h"
#include "storage/wal.h"

/* WAL record types of the engine. */
#define STG__REC_WRITE 1  /* fixed-width write record (replayed, no longer written) */
#define STG__REC_WRITE2 2 /* varint write record */

/* LMDB meta keys. */
#define STG__META_FORMAT "format"
#define STG__META_SEQ "seq"
#define STG__META_CKPT_LSN "ckpt_lsn"
#define STG__META_PARTITION "partition_ns"
#define STG__META_TABLE "chunks_table"
#define STG__FORMAT_VERSION 1u

/* Chunk key: db(4) part(4) series(8) field(4) t_first(8, sortable) seq(8), big-endian. */
#define STG__CKEY_LEN 36

typedef struct stg__ckey {
    uint32_t db, part, field;
    uint64_t series;
    int64_t t_first;
    uint64_t seq;
} stg__ckey;

void stg__ckey_encode(const stg__ckey *k, uint8_t out[STG__CKEY_LEN]);
void stg__ckey_decode(const uint8_t in[STG__CKEY_LEN], stg__ckey *k);

/*
 * A sealed chunk that is not in LMDB yet (or is being written there). A full
 * head is sealed raw: its stream bytes are moved here as they are (no
 * decoding, no chunk encoding on the write path) and the checkpoint encodes
 * them into a chunk; readers decode the stream as they decode a head.
 */
typedef struct stg__sealed {
    struct stg__sealed *next;
    int64_t t_first, t_last;
    uint64_t seq;
    uint32_t part;
    uint32_t len;
    uint32_t count;     /* points (raw: needed to decode the stream) */
    uint32_t str_bytes; /* raw: string payload bytes of the stream */
    uint8_t raw;        /* 1: data is a head stream (storage/stream.h); 0: a chunk */
    int flushing;       /* taken by a running checkpoint */
    uint8_t data[];
} stg__sealed;

/* Points that arrived out of order, kept unsorted until sealed. */
typedef struct stg__ooo {
    uint32_t n, cap;
    int64_t *ts;
    uint64_t *vals; /* strings: (offset << 32) | len into str */
    uint8_t *str;
    uint32_t str_len, str_cap;
} stg__ooo;

/* One column (series, field) with its in-memory state. */
typedef struct stg__column {
    uint64_t series;
    uint32_t db, field;
    uint8_t type;
    uint8_t head_dirty; /* head changed since the last checkpoint copied it */
    uint32_t dirty_idx; /* position in engine->dirty, UINT32_MAX if not listed */
    uint32_t part;      /* partition of the head */
    int64_t head_first; /* first timestamp of the head (its chunk key) */
    uint64_t head_seq;  /* sequence number of the head (its chunk key) */
    int64_t max_ts;     /* newest timestamp the head ever took */
    stg_stream head;
    stg__ooo *ooo;
    stg__sealed *sealed; /* newest first */
} stg__column;

/* Open-addressing hash map of columns by (db, series, field). */
typedef struct stg__colmap {
    stg__column **slots;
    size_t cap, n; /* cap is a power of two */
} stg__colmap;

int stg__colmap_init(stg__colmap *m);
void stg__colmap_fini(stg__colmap *m); /* frees the map, not the columns */
stg__column *stg__colmap_get(const stg__colmap *m, uint32_t db, uint64_t series, uint32_t field);
/* The home slot of a key, and the lookup from it: stg__colmap_get() in two steps, so that a
 * caller can prefetch m->slots[slot] (and the column it points to) for many keys first. */
size_t stg__colmap_slot(const stg__colmap *m, uint32_t db, uint64_t series, uint32_t field);
stg__column *stg__colmap_get_at(const stg__colmap *m, size_t slot, uint32_t db, uint64_t series,
                                uint32_t field);
int stg__colmap_put(stg__colmap *m, stg__column *c); /* STRATA_ENOMEM */
void stg__colmap_del(stg__colmap *m, const stg__column *c);

/* A measurement's field as cached by writers. */
typedef struct stg__mfield {
    char *name;
    uint32_t len, id;
    stg_type type;
    uint64_t created_in; /* the commit that created the field (0: known before) */
} stg__mfield;

typedef struct stg__meas {
    uint32_t db, id, name_len;
    char *name;
    stg__mfield *fields;
    uint32_t nfields, cap;
} stg__meas;

/* Cached series: canonical key -> id, for writers. */
typedef struct stg__series {
    uint64_t hash, id;
    uint32_t db, key_len;
    stg__meas *meas;
    char key[];
} stg__series;

/* Generic string-keyed map used for series and measurements. */
typedef struct stg__strmap {
    void **slots;
    uint64_t *hashes;
    size_t cap, n;
} stg__strmap;

/* What hot paths need of a retention policy (storage/retention.c). */
typedef struct stg__rpcache {
    uint32_t ns;
    int64_t duration_ns, shard_ns, expired_before_ns;
} stg__rpcache;

typedef struct stg__partset {
    uint32_t db;
    uint32_t *parts; /* sorted */
    size_t n, cap;
} stg__partset;

struct stg_engine {
    stg_options opt;
    char *dir;
    const strata_logger *log;

    MDB_env *env;
    MDB_dbi dbi_meta;
    MDB_dbi dbi_chunks;    /* the chunk table in use (meta "chunks_table"; fixed once open) */
    MDB_dbi dbi_tables[2]; /* "chunks" and "chunks.b" (older versions compacted into the other) */
    unsigned table;        /* index of dbi_chunks in dbi_tables */
    stg_index *idx;
    stg_wal *wal;

    pthread_mutex_t ckpt_mu, ingest_mu, apply_mu, stats_mu;
    pthread_rwlock_t heads_rw;

    /* in-memory state (heads_rw + ingest_mu) */
    stg__colmap cols;
    stg__column **dirty;
    size_t ndirty, dirty_cap;
    uint64_t next_seq;
    uint64_t heads_bytes, pending_bytes;

    /* writer caches (ingest_mu) */
    stg__strmap series;
    stg__strmap meas;
    uint64_t commit_gen; /* numbers commits, for fields created by the current one */
    char *keybuf;
    size_t keybuf_cap;

    /* scratch for sealing (heads_rw write side) */
    int64_t *sc_ts;
    uint64_t *sc_vals;
    uint8_t *sc_str, *sc_out;
    size_t sc_str_cap, sc_out_cap;

    /* partitions that hold chunks, per database (heads_rw) */
    stg__partset *parts;
    size_t nparts;

    /* retention policies by namespace (rp_mu) */
    pthread_mutex_t rp_mu;
    stg__rpcache *rps;
    size_t nrps;
    int64_t last_retention_mono_ns;

    /* background checkpoints */
    pthread_t thread;
    int thread_started, stopping;
    int full; /* the last checkpoint failed with STRATA_EFULL: writes are refused (atomic) */
    pthread_cond_t wake, drained;
    int64_t last_ckpt_mono_ns;
    int64_t last_compact_mono_ns;
    uint64_t ckpts_at_compact; /* checkpoints done when the last compaction ran */

    stg_engine_stats stats; /* stats_mu */
};

/* ---- retention.c ---- */
/* Reload the in-memory copy of every RP (at open and after each change). */
int stg__rp_cache_load(stg_engine *e, MDB_txn *txn, strata_error *err);
/* Duration and shard duration of the RP writing to namespace ns (0, 0: none). */
void stg__rp_limits(stg_engine *e, uint32_t ns, int64_t *duration_ns, int64_t *shard_ns);
/* Points of namespace ns before this are expired (INT64_MIN: none). */
int64_t stg__rp_watermark(stg_engine *e, uint32_t ns);
/* Background expiry: is it time (stg_options.retention_check_ns), and run it. */
int stg__retention_due(stg_engine *e);
void stg__retention_run(stg_engine *e);
/* Namespaces of database db's RPs, malloc'd into *out (caller frees). */
int stg__rp_namespaces(stg_engine *e, uint32_t db, uint32_t **out, size_t *n, strata_error *err);

/* ---- delete.c ---- */
/* Drop namespace ns: its chunks, its index, its catalog records. */
int stg__ns_drop(stg_engine *e, uint32_t ns, strata_error *err);
/* Drop the series of ns left without a point at or after wm (index and chunks). */
int stg__series_expire(stg_engine *e, uint32_t ns, int64_t wm, strata_error *err);
/* Delete the chunks of ns wholly before before_ns, without decoding any. */
int stg__delete_whole(stg_engine *e, uint32_t ns, int64_t before_ns, uint64_t *chunks,
                      strata_error *err);

/* ---- catalog.c (inside the caller's write or read transaction) ---- */
int stg__catalog_put_txn(stg_engine *e, MDB_txn *txn, uint32_t db, int kind, const char *name,
                         size_t name_len, const void *val, size_t vlen, strata_error *err);
/* *out points into LMDB's page: valid until txn ends or writes. STRATA_ENOTFOUND: none. */
int stg__catalog_get_txn(stg_engine *e, MDB_txn *txn, uint32_t db, int kind, const char *name,
                         size_t name_len, MDB_val *out, strata_error *err);
int stg__catalog_del_txn(stg_engine *e, MDB_txn *txn, uint32_t db, int kind, const char *name,
                         size_t name_len, strata_error *err);
/* Delete every catalog record of database db. */
int stg__catalog_drop_db(stg_engine *e, MDB_txn *txn, uint32_t db, strata_error *err);

/* ---- column.c ---- */
uint32_t stg__part_of(const stg_engine *e, int64_t ts);
int64_t stg__part_start(const stg_engine *e, uint32_t part);
stg__column *stg__column_get_or_new(stg_engine *e, uint32_t db, uint64_t series, uint32_t field,
                                    stg_type type);
/* Route one point to the head or the out-of-order buffer; seals as needed. */
int stg__column_append(stg_engine *e, stg__column *c, int64_t ts, uint64_t val, const uint8_t *str,
                       uint32_t slen, strata_error *err);
/* Seal the out-of-order buffer into pending chunks (no-op when empty). */
int stg__column_seal_ooo(stg_engine *e, stg__column *c, strata_error *err);
/* Drop every in-memory point of the column (after a checkpoint made them durable). */
void stg__column_forget(stg_engine *e, stg__column *c);
void stg__column_free(stg__column *c);
void stg__mark_dirty(stg_engine *e, stg__column *c);
void stg__unmark_dirty(stg_engine *e, stg__column *c);

/* ---- maps.c ---- */
int stg__strmap_init(stg__strmap *m);
void stg__strmap_fini(stg__strmap *m, void (*free_fn)(void *));
void *stg__strmap_get(const stg__strmap *m, uint64_t hash,
                      int (*eq)(const void *item, const void *ctx), const void *ctx);
int stg__strmap_put(stg__strmap *m, uint64_t hash, void *item);
void stg__strmap_clear(stg__strmap *m, void (*free_fn)(void *));

/* ---- write.c ---- */
/*
 * Apply one WAL write record of TYPE (STG__REC_WRITE or STG__REC_WRITE2) to
 * the heads (heads_rw held for writing). @return STRATA_ECORRUPT for a
 * malformed record (points before the fault are applied), STRATA_ENOMEM.
 */
int stg__apply_write(stg_engine *e, uint8_t type, const uint8_t *rec, size_t len,
                     strata_error *err);

/*
 * Parse a WAL write record of TYPE without applying it: the same reader as
 * stg__apply_write(). points and values (may be NULL) get its counts.
 * @return STRATA_OK, or STRATA_ECORRUPT when it is malformed (or TYPE is not
 *         a write record).
 */
int stg__write_record_check(uint8_t type, const uint8_t *rec, size_t len, uint64_t *points,
                            uint64_t *values);
void stg__caches_clear(stg_engine *e);

/* ---- checkpoint.c ---- */
/* Checkpoint with ckpt_mu held by the caller, and ingest_mu too if ingest_held. */
int stg__checkpoint_locked(stg_engine *e, int ingest_held, strata_error *err);
/*
 * A checkpoint in the middle of the WAL replay at open (the replay holds
 * heads_rw and the WAL's mutex; nothing else runs): writes what the heads
 * hold, records next_lsn as the first LSN the next open replays, and leaves
 * the WAL as it is. Bounds replay memory by checkpoint_bytes.
 * @return STRATA_OK or the checkpoint's error (the heads keep the data).
 */
int stg__checkpoint_replay(stg_engine *e, uint64_t next_lsn, strata_error *err);
void *stg__bg_main(void *arg);

/* ---- compact.c ---- */
/* Called between two slices; sleeps until until_mono_ns (or does other work
 * meanwhile); returns non-zero to stop the compaction. */
typedef int (*stg__compact_pause_fn)(void *ctx, int64_t until_mono_ns);
/* stg_engine_compact_opts() with the caller's pause (NULL: sleep). Stopped by
 * the pause: STRATA_ECLOSED, the slices done are kept. */
int stg__compact_run(stg_engine *e, const stg_compact_opts *o, stg__compact_pause_fn pause,
                     void *pause_ctx, stg_compact_stats *st, strata_error *err);

/* ---- engine.c ---- */
int stg__mdb_err(int rc, strata_error *err, const char *what);
int stg__partset_add(stg_engine *e, uint32_t db, uint32_t part);
const stg__partset *stg__partset_get(const stg_engine *e, uint32_t db);
void stg__partset_remove(stg_engine *e, uint32_t db, uint32_t part);
/* Format a nanosecond timestamp as RFC3339 into buf (>= 40 bytes). */
const char *stg__fmt_time(int64_t ns, char *buf, size_t cap);

#endif
