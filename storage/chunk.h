/*
 * storage/chunk.h: the immutable, compressed column chunk.
 *
 * A chunk holds 1..STG_CHUNK_MAX_POINTS points of one column (one field of
 * one series) in strictly increasing time order: a compact versioned header
 * with the point count, the time range and the value statistics (so that
 * range pruning and min/max/sum/count need no decoding), then a timestamp
 * section and a value section, each compressed by the codec that came out
 * smallest for this chunk, then an XXH3-64 checksum of everything before it.
 * The byte layout is in storage/format/chunk.md (merged into
 * storage/FORMAT.md).
 *
 * Everything here works on caller buffers: decoding never allocates;
 * encoding allocates only scratch for string chunks. All functions are
 * reentrant and thread-safe (no shared state). A chunk is decoded whole:
 * callers that want one point still decode the chunk (they are small, and
 * decoding runs at hundreds of millions of points per second).
 */
#ifndef STRATA_STORAGE_CHUNK_H
#define STRATA_STORAGE_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "storage/types.h"

/* Most points in one chunk. */
#define STG_CHUNK_MAX_POINTS 65536u

/* Format version written by this code; stg_chunk_info_read() accepts only it. */
#define STG_CHUNK_VERSION 1

/*
 * Codec ids as stored in the header (stg_chunk_info.ts_codec / val_codec).
 * Stored on disk: never renumber, only append.
 */
enum stg_codec {
    STG_CODEC_TS_REGULAR = 1,  /* constant delta; derived from t_first, t_last, count */
    STG_CODEC_TS_DELTA = 2,    /* deltas, frame-of-reference bit-packed blocks */
    STG_CODEC_TS_DOD = 3,      /* zigzag delta-of-delta, bit-packed blocks */
    STG_CODEC_CONST = 4,       /* every value equal (float: 8 bytes; others: header) */
    STG_CODEC_INT_FOR = 5,     /* values (floats: bit patterns), frame-of-reference blocks */
    STG_CODEC_INT_DELTA = 6,   /* zigzag deltas (floats: of the bit patterns), packed blocks */
    STG_CODEC_INT_DFOR = 7,    /* deltas, frame-of-reference blocks (counters; floats too) */
    STG_CODEC_INT_DOD = 8,     /* zigzag delta-of-delta, bit-packed blocks */
    STG_CODEC_INT_VARINT = 9,  /* zigzag (int) or plain (uint) LEB128 varints */
    STG_CODEC_F_GORILLA = 10,  /* Gorilla XOR */
    STG_CODEC_F_DECIMAL = 11,  /* m / 10^e with integer m, m transformed and bit-packed */
    STG_CODEC_F_RAW = 12,      /* 8 bytes per value */
    STG_CODEC_BOOL_BITS = 13,  /* one bit per value */
    STG_CODEC_BOOL_RLE = 14,   /* run lengths, bit-packed */
    STG_CODEC_STR_PLAIN = 15,  /* lengths bit-packed, then the bytes */
    STG_CODEC_STR_LZ4 = 16,    /* lengths bit-packed, then LZ4 of the bytes */
    STG_CODEC_STR_DICT = 17,   /* up to 256 distinct strings and bit-packed indices */
    STG_CODEC_F_DEC_RICE = 18, /* m / 10^e as F_DECIMAL, m's deltas Rice-coded */
    STG_CODEC_INT_RICE = 19,   /* zigzag deltas, Golomb-Rice coded (int, uint) */
};

/* Static name of a codec id ("ts-regular", "f-decimal", ...); "?" if unknown. */
const char *stg_codec_name(unsigned id);

typedef struct stg_chunk_info {
    stg_type type;
    uint32_t count;          /* points in the chunk, >= 1 */
    int64_t t_first, t_last; /* first and last timestamp (ns) */
    uint64_t min, max;       /* value slots; float bits, int64, uint64, bool 0/1; 0 for strings */
    uint64_t sum;            /* float: double bits of the sum; int: int64 wrapping sum; uint: uint64
                                wrapping sum; bool: number of true values; string: 0 */
    uint32_t str_bytes;      /* total decoded string payload bytes (strings), else 0 */
    uint8_t ts_codec, val_codec; /* ids (enum stg_codec), for inspection */
    uint32_t blob_bytes;         /* whole encoded chunk */
} stg_chunk_info;

/*
 * Worst-case encoded size for count points of type with str_bytes of string
 * payload (the sum of the string lengths; 0 for other types). A buffer of this
 * size always suffices for stg_chunk_encode(). Pure function.
 */
size_t stg_chunk_bound(stg_type type, uint32_t count, size_t str_bytes);

/*
 * Encode count points into one chunk.
 *
 * ts must be strictly increasing (any int64 values, negative and extreme ones
 * included). vals are 8-byte slots as storage/types.h defines; bools must be 0
 * or 1; for STG_STRING each slot is (offset << 32) | len into strbuf, which
 * the caller guarantees to cover every slot (slots may share or reorder
 * bytes; the lengths must add up to less than 2^32).
 * For each of the two sections the smallest candidate codec is chosen; the
 * statistics are computed here. Float statistics ignore NaN: min and max are
 * over the non-NaN values by `<` (the first of equal values wins, so -0.0 and
 * 0.0 keep their first sign), sum is the left-to-right double sum of the
 * non-NaN values; a chunk of only NaN has min = max = 0x7ff8000000000000
 * (quiet NaN) and sum = 0.0.
 *
 * out: cap bytes, at least stg_chunk_bound(type, count, sum of the string
 * lengths); the chunk is usually far smaller (*used gets its size). Inputs
 * are only read; nothing is retained after the call. Strings allocate
 * scratch for their dictionary and LZ4 trials (freed before returning).
 *
 * @return STRATA_OK;
 *         STRATA_EINVAL: bad type, count 0 or above STG_CHUNK_MAX_POINTS, ts
 *         not strictly increasing, a bool slot not 0/1, string lengths adding
 *         up to 2^32 or more, strbuf NULL with string bytes, cap below the
 *         bound;
 *         STRATA_ENOMEM: string scratch;
 *         STRATA_EINTERNAL: a section outgrew its bound (a bug).
 */
int stg_chunk_encode(stg_type type, const int64_t *ts, const uint64_t *vals, const uint8_t *strbuf,
                     uint32_t count, uint8_t *out, size_t cap, size_t *used, strata_error *err);

/*
 * Validate the header and the checksum of the whole blob (exactly len bytes:
 * trailing bytes are corruption), fill *info. Never reads out of bounds.
 * @return STRATA_OK, STRATA_ECORRUPT (message says what is wrong),
 *         STRATA_EVERSION (a checksum-valid chunk of another format version).
 */
int stg_chunk_info_read(const uint8_t *blob, size_t len, stg_chunk_info *info, strata_error *err);

/*
 * Same as stg_chunk_info_read() without verifying the checksum (for callers
 * that verified it already). The header is still fully validated.
 * @return STRATA_OK, STRATA_ECORRUPT, STRATA_EVERSION.
 */
int stg_chunk_info_peek(const uint8_t *blob, size_t len, stg_chunk_info *info, strata_error *err);

/*
 * Decode the whole chunk (verifies the checksum). ts and vals must hold
 * info.count entries (read the info first); strbuf must hold info.str_bytes
 * bytes (strcap says how many it holds; may be NULL/0 for non-strings).
 * String slots point into strbuf; slots of equal strings may share bytes.
 * *count receives the number of points. Corrupt input (any byte flipped,
 * truncated, hostile) gives STRATA_ECORRUPT, never a crash or an out-of-bounds
 * access; the output arrays may then hold garbage. A hostile blob with a
 * valid checksum may still carry statistics that do not match its values;
 * timestamps are always checked to be strictly increasing from t_first to
 * t_last. No allocation.
 *
 * @return STRATA_OK, STRATA_ECORRUPT, STRATA_EVERSION,
 *         STRATA_EINVAL (strcap smaller than the chunk's str_bytes).
 */
int stg_chunk_decode(const uint8_t *blob, size_t len, int64_t *ts, uint64_t *vals, uint8_t *strbuf,
                     size_t strcap, uint32_t *count, strata_error *err);

#endif
