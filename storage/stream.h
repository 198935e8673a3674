/*
 * storage/stream.h: the in-memory head of one column.
 *
 * Points are appended in strictly increasing time order and encoded as they
 * arrive into one growing bit buffer, so that an active column costs a few
 * bits per point plus this 48-byte struct:
 *   timestamps  delta-of-delta, zigzag, in an adaptive Rice-like code (1 bit
 *               per point when regular)
 *   floats      for values with few decimals (23.45) the zigzag delta of the
 *               decimal mantissa in the same kind of code (a repeat costs 1
 *               bit); otherwise 1 bit for a repeat or Gorilla XOR
 *   int, uint   zigzag delta in the adaptive code
 *   bool        1 bit
 *   string      the length in the adaptive code, then the bytes, byte-aligned
 * (storage/format/chunk.md, "Stream encoding", has the bit layout.) When the
 * head is sealed, the engine decodes it and writes a chunk (storage/chunk.h),
 * which compresses better because it sees all points at once.
 *
 * Snapshots: appending only ever sets bits after the last written bit (the
 * partial last byte's unused bits are zero until written), so a copy of
 * the first stg_stream_bytes() bytes taken together with stg_stream_count()
 * decodes to exactly those points, however many points are appended later.
 *
 * Threads: a stream is not synchronised; the caller serialises appends and
 * snapshot copies (one lock per head or one writer thread).
 */
#ifndef STRATA_STORAGE_STREAM_H
#define STRATA_STORAGE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "storage/types.h"

/* The fields are private to storage/stream.c. */
typedef struct stg_stream {
    uint8_t *buf;       /* owned; NULL until the first append */
    uint32_t nbits;     /* bits written */
    uint32_t count;     /* points appended */
    int64_t last_ts;    /* previous timestamp */
    int64_t last_delta; /* previous timestamp delta (wrapping) */
    uint64_t prev;      /* float: previous bits, or mantissa when dec is on;
                           int/uint: previous value; string: payload bytes */
    uint8_t type;       /* stg_type */
    uint8_t cap_class;  /* buffer size class (see stream.c), 0: no buffer */
    uint8_t ts_code;    /* adaptive code state of the timestamps */
    uint8_t val_code;   /* adaptive code state of the values */
    uint8_t dec;        /* float: 0x80 when prev is a mantissa, | exponent */
    uint8_t g_lead;     /* float: Gorilla window leading zeros, 0xff: none */
    uint8_t g_trail;    /* float: Gorilla window trailing zeros */
    uint8_t misses;     /* float: non-decimals in a row, or (decimal) values a digit shorter */
} stg_stream;

/* Prepare an empty stream of the given type. Allocates nothing. */
void stg_stream_init(stg_stream *s, stg_type type);

/* Free the buffer. s may be NULL. s is reusable after stg_stream_init(). */
void stg_stream_fini(stg_stream *s);

/*
 * Append one point; ts must be greater than the last appended ts. For
 * STG_STRING, str/slen give the bytes (copied; val ignored; slen up to
 * STG_STRING_MAX); for STG_BOOL val must be 0 or 1; for STG_FLOAT val is the
 * double's bit pattern (any pattern round-trips). May grow the buffer, which
 * invalidates pointers from stg_stream_data(). On error nothing was appended.
 *
 * @return STRATA_OK;
 *         STRATA_EINVAL: ts not after the last one, a bool not 0/1, a string
 *         longer than STG_STRING_MAX or NULL with slen > 0, an
 *         uninitialised type;
 *         STRATA_ENOMEM: growing the buffer failed;
 *         STRATA_EFULL: the stream holds 2^32 - 1 points or about 512 MiB.
 */
int stg_stream_append(stg_stream *s, int64_t ts, uint64_t val, const uint8_t *str, uint32_t slen);

/* Points appended so far. */
uint32_t stg_stream_count(const stg_stream *s);

/* Encoded bytes used, including the partial last byte (what a snapshot copies). */
size_t stg_stream_bytes(const stg_stream *s);

/* Bytes allocated for the buffer (for memory accounting; excludes the struct). */
size_t stg_stream_alloc_bytes(const stg_stream *s);

/*
 * The encoded bytes (stg_stream_bytes() of them; NULL when empty). Valid
 * until the next append or fini; copy them to keep a snapshot.
 */
const uint8_t *stg_stream_data(const stg_stream *s);

/* Timestamp of the last appended point; undefined if count == 0. */
int64_t stg_stream_last_ts(const stg_stream *s);

/* Total string payload bytes appended (to size strbuf), 0 for non-strings. */
uint32_t stg_stream_str_bytes(const stg_stream *s);

/*
 * Decode count points from an encoded stream (a copy of stg_stream_data()
 * and stg_stream_bytes() taken at any time, with the count taken then) into
 * ts and vals (count entries each) and, for strings, strbuf (strcap bytes;
 * the strings are laid out in order and *strused gets the bytes used; string
 * slots are (offset << 32) | len into strbuf). strbuf/strused may be NULL for
 * other types. len may exceed what count points use (a later, longer copy).
 * Hostile input gives STRATA_ECORRUPT, never an out-of-bounds access; the
 * outputs may then hold garbage. No allocation; thread-safe.
 *
 * @return STRATA_OK;
 *         STRATA_ECORRUPT: the bytes do not hold count points (truncated,
 *         garbage, decoded timestamps not increasing, strings past strcap);
 *         STRATA_EINVAL: bad type.
 */
int stg_stream_decode(stg_type type, const uint8_t *buf, size_t len, uint32_t count, int64_t *ts,
                      uint64_t *vals, uint8_t *strbuf, size_t strcap, size_t *strused);

#endif
