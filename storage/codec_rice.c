/*
 * storage/codec_rice.c: zigzag deltas in Golomb-Rice blocks, the entropy
 * stage for random-walk sequences (decimal gauge mantissas).
 *
 * Why: the bit-packed blocks of codec_pack.c spend on every value of a block
 * the width of its largest one. For a random walk with Gaussian steps of
 * standard deviation s that is about log2(s) + 3 bits a value, against an
 * entropy of log2(s) + 2.05; a Rice code with its parameter k chosen per
 * block costs about log2(s) + 2.25, which on two-decimal gauges is an eighth
 * less than the packed blocks. It is a separate primitive rather than a
 * transform of the packer because its cost is not a width times a count.
 *
 * Layout: one bit stream, LSB-first (storage/bits_int.h), padded with zero
 * bits to a whole byte at the end. The n values are cut in blocks of STG__BLK
 * (128); the last block holds the rest. Per block:
 *   6 bits   k, 0..56
 *   per value u (u = zigzag(x[i] - x[i-1]) as int64, x[-1] = the seed):
 *     q = u >> k < 32:  q one bits, a zero bit, then the low k bits of u
 *     otherwise:        32 one bits (the escape), 6 bits (L - 1) where L is
 *                       the bit length of u (1..64), then the L bits of u
 * The escape bounds the unary part, so an outlier (a reset, the first value
 * of a sequence that starts far from the seed) costs at most 102 bits.
 *
 * The encoder evaluates the exact cost of a few k around the one the block's
 * mean suggests and keeps the cheapest (the lowest k on ties), so the written
 * size always equals the size stg__rice_cost() reported.
 *
 * Decoding never reads outside [p, end): the bit reader yields zeros and
 * flags `bad` past the end, k > 56, a zero-length escape, or an escape whose
 * value would fit the unary part are corrupt, and trailing bytes or nonzero
 * padding are rejected so that each section has one encoding.
 */
#include "storage/codec_int.h"

#include "common/bytes.h"
#include "storage/bits_int.h"

#define RICE_ESC 32u
#define RICE_KMAX 56u

/* Bits of u under parameter k. */
static inline uint64_t rice_bits(uint64_t u, unsigned k)
{
    uint64_t q = u >> k;
    return q < RICE_ESC ? q + 1 + k : RICE_ESC + 6 + stg__bitlen(u);
}

/* Zigzag deltas of the next block into u; advances *prev. */
static unsigned rice_block(stg__fill_fn fill, void *ctx, uint32_t start, uint32_t n, uint64_t *prev,
                           uint64_t *u)
{
    unsigned len = n - start < STG__BLK ? (unsigned)(n - start) : STG__BLK;
    uint64_t x[STG__BLK];
    fill(ctx, start, len, x);
    uint64_t p = *prev;
    for (unsigned i = 0; i < len; i++) {
        u[i] = strata_zigzag64((int64_t)(x[i] - p));
        p = x[i];
    }
    *prev = p;
    return len;
}

/* The cheapest k for the block and its cost in bits (k and the values). */
static unsigned rice_pick(const uint64_t *u, unsigned len, uint64_t *bits_out)
{
    /* Rice's rule of thumb: k near log2(mean), the mean leaving out the
     * largest value: the first delta of a sequence (from the seed) or a
     * reset would otherwise pull k far above what the other 127 need.
     * Values are capped at 2^56: 128 of them sum below 2^63. */
    uint64_t sum = 0, max = 0;
    for (unsigned i = 0; i < len; i++) {
        uint64_t v = u[i] > (1ull << 56) ? (1ull << 56) : u[i];
        sum += v;
        max = v > max ? v : max;
    }
    uint64_t mean = len > 1 ? (sum - max) / (len - 1) : sum;
    unsigned k0 = stg__bitlen(mean);
    unsigned lo = k0 > 3 ? k0 - 3 : 0, hi = k0 + 1 > RICE_KMAX ? RICE_KMAX : k0 + 1;
    unsigned best_k = lo;
    uint64_t best = UINT64_MAX;
    for (unsigned k = lo; k <= hi; k++) {
        uint64_t b = 6;
        for (unsigned i = 0; i < len; i++)
            b += rice_bits(u[i], k);
        if (b < best) {
            best = b;
            best_k = k;
        }
    }
    *bits_out = best;
    return best_k;
}

size_t stg__rice_bound(uint32_t n)
{
    return ((size_t)n * (RICE_ESC + 6 + 64) + (size_t)((n + STG__BLK - 1) / STG__BLK) * 6 + 7) / 8;
}

size_t stg__rice_cost(stg__fill_fn fill, void *ctx, uint32_t n, uint64_t seed)
{
    uint64_t u[STG__BLK], bits = 0, prev = seed;
    for (uint32_t s = 0; s < n;) {
        unsigned len = rice_block(fill, ctx, s, n, &prev, u);
        uint64_t b;
        rice_pick(u, len, &b);
        bits += b;
        s += len;
    }
    return (size_t)((bits + 7) / 8);
}

size_t stg__rice_write(stg__fill_fn fill, void *ctx, uint32_t n, uint64_t seed, uint8_t *out,
                       size_t cap)
{
    stg__bitw w;
    uint64_t u[STG__BLK], prev = seed;
    stg__bitw_init(&w, out, out + cap);
    for (uint32_t s = 0; s < n;) {
        unsigned len = rice_block(fill, ctx, s, n, &prev, u);
        uint64_t b;
        unsigned k = rice_pick(u, len, &b);
        stg__bitw_put(&w, k, 6);
        for (unsigned i = 0; i < len; i++) {
            uint64_t q = u[i] >> k;
            if (q < RICE_ESC) {
                /* q ones then a zero: the low q + 1 bits of 2^q - 1. */
                stg__bitw_put(&w, (1ull << q) - 1, (unsigned)q + 1);
                stg__bitw_put(&w, u[i] & stg__mask(k), k);
            } else {
                unsigned l = stg__bitlen(u[i]);
                stg__bitw_put(&w, (1ull << RICE_ESC) - 1, RICE_ESC);
                stg__bitw_put(&w, l - 1, 6);
                stg__bitw_put(&w, u[i], l);
            }
        }
        s += len;
    }
    size_t used = stg__bitw_finish(&w, out);
    return w.overflow ? SIZE_MAX : used;
}

/* Drop c bits the caller has checked are in the accumulator. */
static inline void rice_skip(stg__bitr *r, unsigned c)
{
    r->acc = c >= 64 ? 0 : r->acc >> c;
    r->n -= c;
}

int stg__rice_read(const uint8_t **pp, const uint8_t *end, uint32_t n, uint64_t seed, uint64_t *v)
{
    const uint8_t *p = *pp;
    stg__bitr r;
    stg__bitr_init(&r, p, end);
    uint64_t prev = seed;
    for (uint32_t s = 0; s < n;) {
        unsigned len = n - s < STG__BLK ? (unsigned)(n - s) : STG__BLK;
        unsigned k = (unsigned)stg__bitr_get(&r, 6);
        if (r.bad || k > RICE_KMAX) return STRATA_ECORRUPT;
        for (unsigned i = 0; i < len; i++) {
            if (r.n < RICE_ESC + 1) stg__bitr_refill(&r);
            /* Bits above r.n are zero or real stream bits; a run that reaches
             * past r.n means the terminator is missing (end of input). */
            uint64_t inv = ~r.acc;
            unsigned ones = inv ? (unsigned)__builtin_ctzll(inv) : 64u;
            uint64_t u;
            if (ones >= RICE_ESC) {
                if (r.n < RICE_ESC) return STRATA_ECORRUPT;
                rice_skip(&r, RICE_ESC);
                unsigned l = (unsigned)stg__bitr_get(&r, 6) + 1;
                u = stg__bitr_get64(&r, l);
                if (r.bad || stg__bitlen(u) != l || (u >> k) < RICE_ESC) return STRATA_ECORRUPT;
            } else {
                if (ones + 1 > r.n) return STRATA_ECORRUPT;
                rice_skip(&r, ones + 1);
                u = ((uint64_t)ones << k) | stg__bitr_get(&r, k);
                if (r.bad) return STRATA_ECORRUPT;
            }
            prev += (uint64_t)strata_unzigzag64(u);
            v[s + i] = prev;
        }
        s += len;
    }
    /* Whole bytes only, zero padding: the encoding of a sequence is unique. */
    size_t used = stg__bitr_used(&r, p);
    if (r.bad || used > (size_t)(end - p)) return STRATA_ECORRUPT;
    if (r.n % 8 && (r.acc & stg__mask(r.n % 8))) return STRATA_ECORRUPT;
    *pp = p + used;
    return STRATA_OK;
}
