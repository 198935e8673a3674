/*
 * storage/codec_int.h: the section codecs behind storage/chunk.c.
 *
 * Most codecs reduce to one primitive: an integer sequence, transformed
 * (kept as is, delta, or delta-of-delta, with or without zigzag), cut in
 * blocks of STG__BLK values, each block bit-packed against its own base
 * (frame of reference) with patched exceptions (codec_pack.c). Timestamps
 * (codec_ts.c), integers (codec_integer.c), decimal floats (codec_float.c),
 * bool run lengths (codec_bool.c) and string lengths and dictionary indices
 * (codec_str.c) all use it, so there is one fast decoder to make fast and to
 * harden against hostile input.
 *
 * Encoders write into caller buffers and report STRATA_EINVAL when the room
 * given is too small (the chunk layer sizes it with the bounds below, so that
 * means a bug or a caller that ignored stg_chunk_bound()). Decoders read
 * exactly one section [p, p + len), return STRATA_ECORRUPT on anything
 * inconsistent and never touch memory outside the section and the output
 * arrays.
 *
 * Internal to storage/.
 */
#ifndef STRATA_STORAGE_CODEC_INT_H
#define STRATA_STORAGE_CODEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Values per packed block. The position of an exception is stored in a byte. */
#define STG__BLK 128u

/* Transforms applied to an integer sequence before packing. */
enum stg__xform {
    STG__X_FOR = 0,  /* values as they are */
    STG__X_DZZ = 1,  /* zigzag(x[i] - x[i-1]) */
    STG__X_DFOR = 2, /* x[i] - x[i-1], frame of reference takes the sign */
    STG__X_DDZZ = 3, /* zigzag of the delta-of-delta */
    STG__X_COUNT = 4,
};

/* Running state of a transform: the previous value and previous delta. */
typedef struct stg__xst {
    uint64_t prev, prevd;
} stg__xst;

/*
 * A block source: writes the n sequence values starting at index start into
 * x. Lets the packer read slots as they are or compute them (decimal
 * mantissas, run lengths) a block at a time, with no scratch array for the
 * whole sequence. The packer calls it for consecutive blocks from start 0,
 * so a source may keep a cursor in ctx (and reset it when start is 0).
 */
typedef void (*stg__fill_fn)(void *ctx, uint32_t start, unsigned n, uint64_t *x);

/* Fill from a plain uint64_t array (ctx is the array). */
void stg__fill_u64(void *ctx, uint32_t start, unsigned n, uint64_t *x);

/* Largest packed size of n values under any transform. */
static inline size_t stg__pack_bound(uint32_t n)
{
    return (size_t)n * 8 + (size_t)((n + STG__BLK - 1) / STG__BLK) * 11;
}

/*
 * Exact packed sizes of the n-value sequence under every transform whose bit
 * is set in xmask (1u << STG__X_...), written to cost[xf]; the others are set
 * to SIZE_MAX. signed_min chooses how the frame-of-reference transforms
 * (FOR, DFOR) pick their base: signed minimum (int64 data) or unsigned.
 */
void stg__pack_costs(stg__fill_fn fill, void *ctx, uint32_t n, stg__xst seed, unsigned xmask,
                     int signed_min, size_t cost[STG__X_COUNT]);

/* Pack the sequence. @return bytes written (== its cost), or SIZE_MAX if cap is too small. */
size_t stg__pack_write(stg__fill_fn fill, void *ctx, uint32_t n, stg__xst seed, int xf,
                       int signed_min, uint8_t *out, size_t cap);

/*
 * Unpack n values and undo the transform, from *pp (advanced past the blocks)
 * without reading at or past end. @return STRATA_OK or STRATA_ECORRUPT.
 */
int stg__pack_read(const uint8_t **pp, const uint8_t *end, uint32_t n, stg__xst seed, int xf,
                   uint64_t *out);

/* Same, and also STRATA_ECORRUPT unless the values, read as int64, strictly
 * increase from seed.prev on (timestamps). */
int stg__pack_read_increasing(const uint8_t **pp, const uint8_t *end, uint32_t n, stg__xst seed,
                              int xf, uint64_t *out);

/*
 * Golomb-Rice blocks of zigzag deltas (codec_rice.c): x[i] - x[i-1] with
 * x[-1] = seed, one Rice parameter per block of STG__BLK values.
 * stg__rice_cost() is the exact size stg__rice_write() produces.
 */
size_t stg__rice_bound(uint32_t n);
size_t stg__rice_cost(stg__fill_fn fill, void *ctx, uint32_t n, uint64_t seed);
/* @return bytes written, or SIZE_MAX if cap is too small. */
size_t stg__rice_write(stg__fill_fn fill, void *ctx, uint32_t n, uint64_t seed, uint8_t *out,
                       size_t cap);
/*
 * Decode n values into out from *pp (advanced past the stream, which ends at
 * a byte boundary with zero padding) without reading at or past end.
 * @return STRATA_OK or STRATA_ECORRUPT.
 */
int stg__rice_read(const uint8_t **pp, const uint8_t *end, uint32_t n, uint64_t seed,
                   uint64_t *out);

/* Timestamp section. ts strictly increasing, n >= 1. *codec gets the chosen id. */
size_t stg__ts_bound(uint32_t n);
int stg__ts_encode(const int64_t *ts, uint32_t n, uint8_t *out, size_t cap, size_t *used,
                   uint8_t *codec);
/* Checks that the result is strictly increasing from t_first to t_last. */
int stg__ts_decode(unsigned codec, const uint8_t *p, size_t len, int64_t t_first, int64_t t_last,
                   uint32_t n, int64_t *ts);

/* Float values (double bits). */
size_t stg__f64_bound(uint32_t n);
int stg__f64_encode(const uint64_t *v, uint32_t n, uint8_t *out, size_t cap, size_t *used,
                    uint8_t *codec);
int stg__f64_decode(unsigned codec, const uint8_t *p, size_t len, uint32_t n, uint64_t *v);

/*
 * Integer values, signed (int64 slots) or not. min and max are the statistics
 * (signed or unsigned order); CONST stores nothing and decodes to min.
 */
size_t stg__i64_bound(uint32_t n);
/* The INT_* codec id for a packing transform. */
unsigned stg__int_codec_of_xf(int xf);
int stg__i64_encode(int is_signed, const uint64_t *v, uint32_t n, uint64_t min, uint64_t max,
                    uint8_t *out, size_t cap, size_t *used, uint8_t *codec);
int stg__i64_decode(int is_signed, unsigned codec, const uint8_t *p, size_t len, uint64_t min,
                    uint32_t n, uint64_t *v);

/* Bool values (0/1 slots); ntrue is the count of 1s (CONST decodes from it). */
size_t stg__bool_bound(uint32_t n);
int stg__bool_encode(const uint64_t *v, uint32_t n, uint32_t ntrue, uint8_t *out, size_t cap,
                     size_t *used, uint8_t *codec);
int stg__bool_decode(unsigned codec, const uint8_t *p, size_t len, uint32_t ntrue, uint32_t n,
                     uint64_t *v);

/*
 * String values: slots (off << 32 | len) into strbuf; str_bytes is the sum of
 * the lengths. Decoding writes at most str_bytes bytes into strbuf (strcap
 * must be >= str_bytes, checked by the caller) and sets slots into it.
 * Encoding may return STRATA_ENOMEM (scratch for the LZ4 trial).
 */
size_t stg__str_bound(uint32_t n, size_t str_bytes);
int stg__str_encode(const uint64_t *v, const uint8_t *strbuf, uint32_t n, uint32_t str_bytes,
                    uint8_t *out, size_t cap, size_t *used, uint8_t *codec);
int stg__str_decode(unsigned codec, const uint8_t *p, size_t len, uint32_t n, uint32_t str_bytes,
                    uint64_t *v, uint8_t *strbuf);

#endif
