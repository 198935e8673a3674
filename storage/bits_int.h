/*
 * storage/bits_int.h: little-endian bit writer and bounds-checked bit reader
 * shared by the codecs (Gorilla floats in chunks) and the in-memory stream.
 *
 * Bits are LSB-first: the first bit written is bit 0 of byte 0, and a value
 * of n bits occupies the next n bit positions with its least significant bit
 * first. This lets the reader refill a 64-bit accumulator with one unaligned
 * little-endian load.
 *
 * The writer writes into a caller buffer [p, end) and records an overflow
 * instead of writing past the end. The reader never reads outside [p, end):
 * asking for bits past the end yields zeros and sets `bad`, which decoders
 * check and turn into STRATA_ECORRUPT.
 *
 * Internal to storage/: not included from other modules.
 */
#ifndef STRATA_STORAGE_BITS_INT_H
#define STRATA_STORAGE_BITS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t stg__load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v; /* little-endian hosts only; see the static check in chunk.c */
}

static inline void stg__store64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Mask of the low n bits, n in 0..64. */
static inline uint64_t stg__mask(unsigned n)
{
    return n >= 64 ? ~0ull : ((1ull << n) - 1);
}

/* Number of significant bits of v (0 for 0). */
static inline unsigned stg__bitlen(uint64_t v)
{
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* Bytes of the LEB128 encoding of v. */
static inline unsigned stg__varint_len(uint64_t v)
{
    unsigned b = stg__bitlen(v);
    return b ? (b + 6) / 7 : 1;
}

typedef struct stg__bitw {
    uint8_t *p, *end; /* next byte to write, end of the caller buffer */
    uint64_t acc;     /* pending bits, the low `n` are valid */
    unsigned n;       /* 0..63 */
    int overflow;     /* set when a write would have passed `end` */
} stg__bitw;

static inline void stg__bitw_init(stg__bitw *w, uint8_t *p, uint8_t *end)
{
    w->p = p;
    w->end = end;
    w->acc = 0;
    w->n = 0;
    w->overflow = 0;
}

/* Append the low nb bits of v (nb 0..64; bits of v above nb must be zero). */
static inline void stg__bitw_put(stg__bitw *w, uint64_t v, unsigned nb)
{
    w->acc |= v << w->n; /* n < 64 always */
    if (w->n + nb < 64) {
        w->n += nb;
        return;
    }
    if (!w->overflow && w->end - w->p >= 8) {
        stg__store64(w->p, w->acc);
        w->p += 8;
    } else {
        w->overflow = 1; /* the caller discards the output */
    }
    unsigned rest = w->n + nb - 64;
    w->acc = w->n ? v >> (64 - w->n) : 0;
    w->n = rest;
}

/* Flush the partial last byte(s). @return bytes written since init (meaningless on overflow). */
static inline size_t stg__bitw_finish(stg__bitw *w, uint8_t *start)
{
    unsigned nbytes = (w->n + 7) / 8;
    if (!w->overflow && (size_t)(w->end - w->p) >= nbytes) {
        for (unsigned i = 0; i < nbytes; i++)
            w->p[i] = (uint8_t)(w->acc >> (8 * i));
        w->p += nbytes;
    } else {
        w->overflow = 1;
    }
    w->n = 0;
    w->acc = 0;
    return (size_t)(w->p - start);
}

typedef struct stg__bitr {
    const uint8_t *p, *end; /* next byte to load, end of readable input */
    uint64_t acc;           /* the low `n` bits are the next stream bits */
    unsigned n;
    int bad; /* set when a read ran past the end */
} stg__bitr;

static inline void stg__bitr_init(stg__bitr *r, const uint8_t *p, const uint8_t *end)
{
    r->p = p;
    r->end = end;
    r->acc = 0;
    r->n = 0;
    r->bad = 0;
}

/* Top up the accumulator to at least 56 bits when input remains. */
static inline void stg__bitr_refill(stg__bitr *r)
{
    if (r->end - r->p >= 8) {
        /* Load 8 bytes; keep whole bytes only. Bits above n that come from a
         * partially consumed byte are real stream bits, loaded again later at
         * the same position, so OR-ing them twice is harmless. */
        r->acc |= stg__load64(r->p) << r->n;
        r->p += (63 - r->n) >> 3;
        r->n |= 56;
    } else {
        while (r->n <= 56 && r->p < r->end) {
            r->acc |= (uint64_t)*r->p++ << r->n;
            r->n += 8;
        }
    }
}

/* Read nb bits, nb 0..56. Past the end: returns 0 and sets r->bad. */
static inline uint64_t stg__bitr_get(stg__bitr *r, unsigned nb)
{
    if (r->n < nb) {
        stg__bitr_refill(r);
        if (r->n < nb) {
            r->bad = 1;
            r->n = 0;
            r->acc = 0;
            return 0;
        }
    }
    uint64_t v = r->acc & stg__mask(nb);
    r->acc >>= nb;
    r->n -= nb;
    return v;
}

/* Read nb bits, nb 0..64. */
static inline uint64_t stg__bitr_get64(stg__bitr *r, unsigned nb)
{
    if (nb <= 56) return stg__bitr_get(r, nb);
    uint64_t lo = stg__bitr_get(r, 32);
    return lo | (stg__bitr_get(r, nb - 32) << 32);
}

/* Bytes of input touched so far (consumed bits rounded up). */
static inline size_t stg__bitr_used(const stg__bitr *r, const uint8_t *start)
{
    size_t bits = (size_t)(r->p - start) * 8 - r->n;
    return (bits + 7) / 8;
}

#endif
