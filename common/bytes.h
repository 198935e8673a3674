/*
 * common/bytes.h: byte-order, varint and zigzag helpers shared by the
 * on-disk formats. Keys are big-endian so that LMDB's memcmp order is
 * numeric order; values are little-endian (the machine's order, cheap).
 * Signed integers in keys are stored with the sign bit flipped so that
 * negative numbers sort first.
 */
#ifndef STRATA_COMMON_BYTES_H
#define STRATA_COMMON_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void strata_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t strata_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void strata_put_be64(uint8_t *p, uint64_t v)
{
    strata_put_be32(p, (uint32_t)(v >> 32));
    strata_put_be32(p + 4, (uint32_t)v);
}

static inline uint64_t strata_get_be64(const uint8_t *p)
{
    return ((uint64_t)strata_get_be32(p) << 32) | strata_get_be32(p + 4);
}

/* Signed 64-bit in sortable big-endian form (sign bit flipped). */
static inline void strata_put_be64s(uint8_t *p, int64_t v)
{
    strata_put_be64(p, (uint64_t)v ^ 0x8000000000000000ull);
}

static inline int64_t strata_get_be64s(const uint8_t *p)
{
    return (int64_t)(strata_get_be64(p) ^ 0x8000000000000000ull);
}

static inline void strata_put_le32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static inline uint32_t strata_get_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline void strata_put_le64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static inline uint64_t strata_get_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t strata_zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t strata_unzigzag64(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Longest LEB128 encoding of a uint64_t. */
#define STRATA_VARINT_MAX 10

/* Write v as LEB128 at p (room for STRATA_VARINT_MAX). @return bytes written. */
static inline size_t strata_varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/*
 * Read a LEB128 value from [p, end). @return bytes consumed, or 0 when the
 * input is truncated or longer than 10 bytes (corrupt).
 */
static inline size_t strata_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < STRATA_VARINT_MAX && p + i < end; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i == 9 && p[i] > 1) return 0;
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

#endif
