/*
 * storage/wal.h: the write-ahead log of the storage engine.
 *
 * Why it exists: points are acknowledged once they sit in the in-memory head
 * and in this log; LMDB only receives sealed chunks at checkpoints. A record
 * whose LSN was covered by a returned stg_wal_sync() survives kill -9 and
 * (with sync enabled) power loss. At start the engine replays the log from
 * the LSN after its last checkpoint, then appends after the last good record.
 *
 * Model: a directory of segment files named by the LSN of their first record
 * (20 decimal digits + ".wal", so that names sort in LSN order), plus a lock
 * file "wal.lock". Records carry a caller-chosen type (1..255), an LSN
 * (consecutive integers, assigned here), an XXH3-64 checksum over header and
 * payload, and optionally an LZ4-compressed payload (flagged per record,
 * chosen only when it saves space). The byte layout is in storage/FORMAT.md
 * ("Write-ahead log").
 *
 * Crash rules: a torn or corrupt tail (the first record that fails a check)
 * is cut away and reported (log line naming the file, the offset and the
 * bytes dropped; stg_wal_replay_stats.cut_bytes); later segment files are
 * renamed to *.corrupt, never deleted. Zero bytes after the last record
 * (preallocated space, or blocks a crash left unwritten) are the normal end
 * of the log and are not reported. A torn tail never prevents start-up; only
 * an I/O error, a full disk, missing memory or a segment written by a newer
 * format version do.
 *
 * Threads: after open, every function below may be called from any thread
 * concurrently, except stg_wal_replay() (before any append, see there) and
 * stg_wal_close() (once, after every other call has returned).
 *
 * Failure: a failed write(2), fdatasync(2) or ftruncate(2) on a segment makes
 * the log "failed": the kernel may have dropped the dirty pages, so durability
 * can no longer be promised. Every later append, sync and rotate returns the
 * same code; close the log and open it again (which recovers from the files).
 */
#ifndef STRATA_STORAGE_WAL_H
#define STRATA_STORAGE_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"

/* Largest payload accepted by stg_wal_append(), in bytes (256 MiB). */
#define STG_WAL_PAYLOAD_MAX ((size_t)256 << 20)

/* Smallest segment_bytes accepted by stg_wal_open(). */
#define STG_WAL_SEGMENT_MIN ((size_t)4096)

typedef struct stg_wal stg_wal;

typedef struct stg_wal_options {
    size_t segment_bytes;      /* rotate when a segment exceeds this; 0 = 64 MiB */
    int sync;                  /* 1 = fdatasync on stg_wal_sync (default); 0 = no fsync (tests,
                                  benchmarks); data still reaches the OS before sync returns */
    size_t compress_min_bytes; /* lz4-compress payloads at least this big when it pays;
                                  0 = 4096; SIZE_MAX = never */
    const strata_logger *log;  /* may be NULL; borrowed, must outlive the log */
} stg_wal_options;

typedef struct stg_wal_replay_stats {
    uint64_t records;   /* records passed to the callback (lsn >= from_lsn) */
    uint64_t bytes;     /* sum of their (decompressed) payload lengths */
    uint64_t first_lsn; /* LSN of the first record passed to the callback; 0 if none */
    uint64_t last_lsn;  /* LSN of the last record passed to the callback; 0 if none */
    uint64_t cut_bytes; /* bytes dropped: the torn/corrupt part of the cut segment (up to its
                           last non-zero byte) plus the size of each segment renamed *.corrupt */
    uint32_t segments;  /* segment files read (segments wholly below from_lsn are not read) */
} stg_wal_replay_stats;

/*
 * Counters since open, for tests, benchmarks and metrics. A snapshot taken
 * under the log's mutex: consistent with itself.
 */
typedef struct stg_wal_stats {
    uint64_t appends;      /* records appended */
    uint64_t append_bytes; /* payload bytes given to stg_wal_append() (before compression) */
    uint64_t compressed;   /* records stored LZ4-compressed */
    uint64_t write_bytes;  /* bytes written to segment files (headers included) */
    uint64_t writes;       /* pwritev(2) batches issued */
    uint64_t sync_calls;   /* stg_wal_sync() calls */
    uint64_t syncs;        /* fdatasync(2) calls on segments (group commit: < sync_calls) */
    uint64_t rotations;    /* segments started after open (explicit or by size) */
    uint64_t next_lsn;     /* LSN the next append gets (0 before the log is recovered) */
    uint64_t synced_lsn;   /* every record <= this is durable (reached the OS if sync = 0) */
    uint64_t disk_bytes;   /* as stg_wal_disk_bytes() */
    uint32_t segments;     /* segment files, the current one included */
} stg_wal_stats;

/*
 * Replay callback: one intact record. payload (decompressed) is valid only
 * during the call and is never NULL (len may be 0). Return 0 to continue;
 * any other value stops the replay and is returned by stg_wal_replay().
 * The callback runs under the log's mutex: it must not call this stg_wal.
 */
typedef int (*stg_wal_replay_fn)(void *ctx, uint64_t lsn, uint8_t type, const uint8_t *payload,
                                 size_t len);

/*
 * Open (creating the directory and its parents if needed) the log in dir and
 * lock it against other processes (flock on dir/wal.lock; a second open in
 * the same process is refused too). Does not read the segments: recovery
 * happens in stg_wal_replay(), or on the first append, sync, rotate,
 * truncate or stg_wal_next_lsn() when replay is not called.
 *
 * start_lsn: the next LSN will be at least this (0 is read as 1). The engine
 * passes the LSN of its last checkpoint + 1, because every segment may have
 * been truncated. When the log ends below start_lsn, recovery deletes the
 * old segments (they only hold records < start_lsn, which the caller
 * declared checkpointed) and starts a segment named start_lsn.
 *
 * opt may be NULL (defaults). Leftover *.wal.tmp files (an interrupted
 * segment creation) are removed.
 *
 * Ownership: *out is allocated here; free it with stg_wal_close().
 * Threads:   any thread; the returned log is thread-safe (see the top).
 *
 * @return STRATA_OK; STRATA_EINVAL (NULL dir/out, segment_bytes below
 *         STG_WAL_SEGMENT_MIN); STRATA_EIO (cannot create, open or list the
 *         directory or lock file); STRATA_ENOMEM; STRATA_EBUSY (another
 *         process or handle holds the log).
 */
int stg_wal_open(const char *dir, const stg_wal_options *opt, uint64_t start_lsn, stg_wal **out,
                 strata_error *err);

/*
 * Recover the log and replay, in LSN order, every intact record with
 * lsn >= from_lsn, calling cb for each (cb may be NULL: recovery only).
 * Segments whose records all lie below from_lsn are not read (start-up time
 * grows with the part of the log that is replayed). Memory: one read
 * buffer (1 MiB) plus buffers as large as the largest record, reused.
 *
 * A torn/corrupt tail is truncated away: the file is cut at the end of the
 * last good record and any later segment files are renamed to *.corrupt
 * (*.corrupt.N if that name exists). Each cut is logged at warn level with
 * the file, the offset, the bytes dropped and why, and counted in
 * st->cut_bytes. Scanned segments are fdatasync'd (when sync is on) before
 * this returns, so that records read from the page cache of a killed
 * process cannot be lost later under records appended now.
 *
 * Must be called before the first append or rotate (a later call returns
 * STRATA_EINVAL); calling it again before then re-reads the log. After it,
 * appends continue after the last good record. If cb stops the replay, the
 * log is left unrecovered: call replay again or let the first append
 * recover it.
 *
 * st may be NULL. Threads: holds the log's mutex for the whole replay.
 *
 * @return STRATA_OK; the callback's non-zero value; STRATA_EINVAL (after an
 *         append or rotate); STRATA_EIO (a read, rename, truncate or fsync
 *         failed: nothing is cut on a read error); STRATA_ENOMEM;
 *         STRATA_EVERSION (a segment with a valid header has a format version
 *         this build cannot read: it is left untouched); STRATA_EFULL (no
 *         space to start a segment).
 */
int stg_wal_replay(stg_wal *w, uint64_t from_lsn, stg_wal_replay_fn cb, void *ctx,
                   stg_wal_replay_stats *st, strata_error *err);

/*
 * Append one record. type is the caller's (1..255); payload (len bytes, up
 * to STG_WAL_PAYLOAD_MAX; may be NULL when len is 0) is copied or written
 * before return. Payloads of at least compress_min_bytes are stored LZ4-
 * compressed when that saves at least 1/16 of their size.
 *
 * Assigns the LSN (consecutive integers, one per record) into *lsn (lsn may
 * be NULL). Does NOT wait for durability: small records are buffered in
 * memory (up to 1 MiB) and written by the next stg_wal_sync(), rotation, or
 * the append that finds the buffer full; a record above 1 MiB is written
 * before return. Starts a new segment first when this record would push the
 * current non-empty one past segment_bytes; an append rotates at most once,
 * so a record larger than segment_bytes (or one that finds the fresh segment
 * already filled by concurrent appenders) goes into the new segment anyway
 * and the next append rotates again.
 *
 * Threads: thread-safe; concurrent appenders only share a memcpy under the
 *          mutex (compression and hashing happen outside it).
 *
 * @return STRATA_OK; STRATA_EINVAL (type 0, len too big, NULL payload with
 *         len > 0); STRATA_ENOMEM; STRATA_EIO or STRATA_EFULL (a write failed:
 *         the log is failed, see the top; or starting a new segment failed,
 *         in which case the record is not appended and the log stays usable);
 *         any code of stg_wal_replay() when this append had to recover the log.
 */
int stg_wal_append(stg_wal *w, uint8_t type, const void *payload, size_t len, uint64_t *lsn,
                   strata_error *err);

/*
 * Block until every record with LSN <= lsn is durable (written and
 * fdatasync'd; with sync = 0, written to the OS). An lsn at or beyond
 * stg_wal_next_lsn() means "everything appended so far" (UINT64_MAX is the
 * idiom). Group commit: one thread at a time writes the buffered records and
 * fdatasyncs; callers arriving meanwhile wait and are then covered by the
 * next single fdatasync; a caller whose LSN is already covered returns
 * without syncing.
 *
 * Threads: thread-safe.
 *
 * @return STRATA_OK; STRATA_EIO or STRATA_EFULL (write or fdatasync failed:
 *         the log is failed); any code of stg_wal_replay() when this call had
 *         to recover the log.
 */
int stg_wal_sync(stg_wal *w, uint64_t lsn, strata_error *err);

/*
 * Write and sync the current segment, trim its preallocated tail, and start
 * a new one; *next_lsn (may be NULL) = first LSN of the new segment, so that
 * every record < *next_lsn lives in older segments. When the current segment
 * holds no record yet, nothing changes and *next_lsn is its first LSN.
 *
 * Threads: thread-safe; appenders keep appending to memory meanwhile.
 *
 * @return STRATA_OK; STRATA_EINVAL (NULL w); STRATA_EIO or STRATA_EFULL
 *         (writing or syncing the old segment failed: the log is failed;
 *         creating the new one failed: appends continue in the old one);
 *         any code of stg_wal_replay() when this call had to recover the log.
 */
int stg_wal_rotate(stg_wal *w, uint64_t *next_lsn, strata_error *err);

/*
 * Delete every segment all of whose records have LSN < upto, never the
 * current segment, then fsync the directory. Because segments hold
 * consecutive LSNs, a segment qualifies when the next segment's first LSN is
 * <= upto. Call it with (checkpointed LSN + 1) after a checkpoint, usually
 * right after stg_wal_rotate().
 *
 * Threads: thread-safe; concurrent truncates are serialised; the files are
 *          unlinked outside the append mutex.
 *
 * @return STRATA_OK; STRATA_EINVAL (NULL w); STRATA_EIO (an unlink or the
 *         directory fsync failed; segments deleted before the failure stay
 *         deleted); any code of stg_wal_replay() when this call had to
 *         recover the log.
 */
int stg_wal_truncate(stg_wal *w, uint64_t upto, strata_error *err);

/*
 * The LSN the next append will get. Recovers the log first if that has not
 * happened yet (returns 0 if that recovery fails; the next append reports
 * the error). Thread-safe.
 */
uint64_t stg_wal_next_lsn(stg_wal *w);

/*
 * Total size of all segment files in bytes, preallocated space included (a
 * new segment is preallocated to min(segment_bytes, 64 MiB); rotation trims
 * the unused part). Does not recover. Thread-safe.
 */
uint64_t stg_wal_disk_bytes(stg_wal *w);

/* Copy the counters into *out. Thread-safe. w and out must not be NULL. */
void stg_wal_stat(stg_wal *w, stg_wal_stats *out);

/*
 * Write buffered records, fdatasync (if sync is enabled), trim the
 * preallocated tail of the current segment, release the lock and free w.
 * Errors are logged, not returned: call stg_wal_sync() first to learn them.
 * NULL is ok. No other call on w may be running or follow.
 */
void stg_wal_close(stg_wal *w);

#endif
