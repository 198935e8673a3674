/*
 * storage/wal_int.h: internals of the write-ahead log shared by wal.c (the
 * append/sync/rotate path), wal_seg.c (segment files and the directory) and
 * wal_recover.c (the replay scanner). Not included outside storage/wal*.c.
 *
 * On-disk layout (storage/format/wal.md has it byte by byte):
 *   segment = 32-byte header | record* | zero bytes (preallocated, unused)
 *   header  = "STRATAWL" | u32 version | u32 header bytes (32) | u64 first
 *             LSN | u64 XXH3_64bits(bytes 0..23)
 *   record  = u8 type | u8 flags | u16 0 | u32 stored length | u64 LSN |
 *             u64 checksum | stored payload
 *   checksum = XXH3_64bits(bytes 0..15 of the record | LE64(XXH3_64bits(
 *             stored payload))), so that the payload is hashed outside the
 *             append mutex and only 24 bytes are hashed under it.
 *   compressed stored payload = u32 raw length | LZ4 block.
 * All integers are little-endian. Type 0 never occurs, so a zero header is
 * recognised as the end of the written part of a segment.
 *
 * Locking: mu guards every field marked (mu). The "I/O token" (io_busy) is
 * held by at most one thread, which alone may write to, sync, trim or
 * replace the current segment file; it releases mu during the I/O itself.
 * LSNs are assigned and records copied into the active buffer under mu, and
 * the token holder takes the whole active buffer atomically when it takes
 * the token, so the file receives records in LSN order.
 */
#ifndef STRATA_STORAGE_WAL_INT_H
#define STRATA_STORAGE_WAL_INT_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "storage/wal.h"

#define WAL_MAGIC "STRATAWL"
#define WAL_VERSION 1u
#define WAL_SEG_HDR_BYTES 32u
#define WAL_REC_HDR_BYTES 24u
#define WAL_FLAG_LZ4 0x01u
#define WAL_FLAGS_KNOWN WAL_FLAG_LZ4

/* Segment file names: 20 digits + ".wal". Room for ".corrupt.NNNN" too. */
#define WAL_NAME_DIGITS 20
#define WAL_NAME_MAX 64
#define WAL_LOCK_NAME "wal.lock"

/* Appends buffer up to this many bytes before the appender writes them. */
#define WAL_BUF_LIMIT ((size_t)1 << 20)
/* Read buffer of the recovery scanner. */
#define WAL_READ_BUF ((size_t)1 << 20)
/* New segments are preallocated to min(segment_bytes, this). */
#define WAL_PREALLOC_MAX ((uint64_t)64 << 20)
/* Compression scratch buffers kept for reuse (larger ones are freed). */
#define WAL_SCRATCH_SLOTS 8
#define WAL_SCRATCH_KEEP ((size_t)4 << 20)
/* Largest stored payload: compressed only when smaller than the raw one. */
#define WAL_STORED_MAX STG_WAL_PAYLOAD_MAX

_Static_assert(sizeof(WAL_MAGIC) - 1 == 8, "segment magic is 8 bytes");
_Static_assert(STG_WAL_PAYLOAD_MAX <= UINT32_MAX - WAL_REC_HDR_BYTES, "lengths fit in u32");

typedef struct wal_seg {
    uint64_t first_lsn;  /* from the file name */
    uint64_t file_bytes; /* st_size as last known */
} wal_seg;

typedef struct wal_buf {
    uint8_t *p;
    size_t len, cap;
} wal_buf;

struct stg_wal {
    /* Immutable after open. */
    char *dir;
    int dirfd, lockfd;
    stg_wal_options opt;
    uint64_t start_lsn;
    uint64_t prealloc_bytes;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast when the token is released */

    /* (mu) */
    int io_busy;                     /* the I/O token */
    int ready;                       /* recovered: fd is the current segment, next_lsn known */
    int mutated;                     /* an append or rotate happened: replay is no longer allowed */
    int failed;                      /* sticky error code of a failed write/sync, 0 if none */
    char failmsg[STRATA_ERRMSG_MAX]; /* what failed, repeated to later callers */
    uint64_t next_lsn;               /* LSN of the next append */
    uint64_t synced_lsn;             /* records <= this are durable */
    wal_buf active;                  /* records appended but not yet written */
    wal_buf spare;                   /* being written by the token holder; empty otherwise */
    int fd;                          /* current segment, -1 before recovery */
    uint64_t seg_first;              /* first LSN of the current segment */
    uint64_t seg_bytes;              /* bytes written to the current segment (write offset) */
    uint64_t seg_logical;            /* seg_bytes + bytes buffered for it: decides rotation */
    wal_seg *segs;                   /* every segment file, oldest first; the last is current */
    size_t nsegs, segs_cap;
    stg_wal_stats st; /* counters; next_lsn/synced/disk/segments filled on read */

    /* Truncations are serialised (they unlink outside mu). */
    pthread_mutex_t trunc_mu;

    /* Compression scratch buffers, a free stack under scratch_mu. */
    pthread_mutex_t scratch_mu;
    wal_buf scratch[WAL_SCRATCH_SLOTS];
    int nscratch;
};

/* Little-endian helpers, explicit so the format does not depend on the host. */
static inline void wal_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void wal_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wal_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t wal_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t wal_get_le32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t wal_get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Record checksum from bytes 0..15 of the header and the payload's hash. */
uint64_t stg__wal_rec_checksum(const uint8_t *hdr, uint64_t payload_hash);

/* Fill a 24-byte record header (checksum included). */
void stg__wal_rec_encode(uint8_t *hdr, uint8_t type, uint8_t flags, uint32_t stored_len,
                         uint64_t lsn, uint64_t payload_hash);

/* --- wal_seg.c: segment files and the directory ------------------------- */

/* "<20 digits>.wal" into name (WAL_NAME_MAX bytes). */
void stg__wal_seg_name(char *name, uint64_t first_lsn);

/* 1 and *first when name is exactly a segment name, else 0. */
int stg__wal_seg_parse_name(const char *name, uint64_t *first_lsn);

/* Encode the 32-byte segment header. */
void stg__wal_seg_hdr_encode(uint8_t *hdr, uint64_t first_lsn);

/*
 * Check a 32-byte segment header. @return STRATA_OK with *first_lsn,
 * STRATA_ECORRUPT (bad magic, size or checksum; *why says which),
 * STRATA_EVERSION (valid header of another version; *version set).
 */
int stg__wal_seg_hdr_check(const uint8_t *hdr, uint64_t *first_lsn, uint32_t *version,
                           const char **why);

/*
 * List the segments of w->dir into w->segs (sorted) and remove leftover
 * *.wal.tmp files. @return STRATA_OK, STRATA_EIO, STRATA_ENOMEM.
 */
int stg__wal_seg_list(stg_wal *w, strata_error *err);

/*
 * Create segment first_lsn durably: write a temporary file with the header,
 * preallocate it, fdatasync, rename into place, fsync the directory.
 * *fd_out is open O_RDWR; *file_bytes its size.
 * @return STRATA_OK, STRATA_EIO, STRATA_EFULL, STRATA_EEXIST.
 */
int stg__wal_seg_create(stg_wal *w, uint64_t first_lsn, int *fd_out, uint64_t *file_bytes,
                        strata_error *err);

/*
 * Rename segment first_lsn to "<name>.corrupt" (or ".corrupt.N" when taken),
 * never replacing a file. *newname receives the name used.
 * @return STRATA_OK, STRATA_EIO.
 */
int stg__wal_seg_quarantine(stg_wal *w, uint64_t first_lsn, char *newname, strata_error *err);

/* fsync the directory. @return STRATA_OK, STRATA_EIO. */
int stg__wal_dir_sync(stg_wal *w, strata_error *err);

/* Preallocate [from, w->prealloc_bytes) of fd; failures only make it unpreallocated. */
void stg__wal_prealloc(stg_wal *w, int fd, uint64_t from, uint64_t *file_bytes);

/* Add a segment at the end of w->segs. @return STRATA_OK, STRATA_ENOMEM. */
int stg__wal_segs_push(stg_wal *w, uint64_t first_lsn, uint64_t file_bytes);

/* Sum of w->segs[].file_bytes. */
uint64_t stg__wal_segs_bytes(const stg_wal *w);

/* --- wal_recover.c ------------------------------------------------------ */

/*
 * Scan the segments, replaying records >= from_lsn into cb, cut the tail,
 * install the current segment (w->fd, seg_*, next/written/synced LSN) and
 * set w->ready. Called with mu held and the token free.
 * @return as stg_wal_replay().
 */
int stg__wal_recover(stg_wal *w, uint64_t from_lsn, stg_wal_replay_fn cb, void *ctx,
                     stg_wal_replay_stats *st, strata_error *err);

#endif
