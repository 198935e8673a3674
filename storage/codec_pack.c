/*
 * storage/codec_pack.c: transformed, frame-of-reference, bit-packed blocks
 * with patched exceptions: the integer primitive under most section codecs.
 *
 * A sequence of n uint64 values (already transformed, see enum stg__xform)
 * is cut into blocks of STG__BLK (128) values; the last block holds the rest.
 * Each block is, byte by byte:
 *
 *   h        1 byte: bits 0-6 the bit width w (0..64); bit 7 set when the
 *            block has exceptions (never with w = 64)
 *   base     LEB128 of zigzag(base as int64): the block's frame of reference
 *   [nexc    1 byte, 1..block length: number of exceptions
 *    nexc x (pos 1 byte < block length, hi LEB128 >= 1)]   only if bit 7
 *   packed   ceil(len * w / 8) bytes: value i's low w bits at bit i * w,
 *            LSB-first (bit 0 of a byte first)
 *
 * Value i of the block is base + (low_i | hi_i << w) in wrapping uint64
 * arithmetic, where hi_i is the exception's hi (0 if i is not listed).
 *
 * The encoder picks the base as the block minimum (signed or unsigned order)
 * and then the width w minimising the block's exact byte size: values longer
 * than w bits become exceptions. So a block of zeros with one outlier (a
 * delta-of-delta after a missed sample) costs a few bytes, not 128 x 34 bits.
 * Costs are computed exactly, so the chooser in the section codecs compares
 * true sizes, and the written size equals the computed cost.
 *
 * Decoding never reads outside [p, end): a block whose packed bytes sit close
 * to the end is copied to a zero-padded stack buffer so that the fast path
 * can always load 8 bytes at a time.
 */
#include "storage/codec_int.h"

#include <string.h>

#include "common/bytes.h"
#include "storage/bits_int.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the codecs load and store little-endian words with memcpy: little-endian hosts only"
#endif

void stg__fill_u64(void *ctx, uint32_t start, unsigned n, uint64_t *x)
{
    memcpy(x, (const uint64_t *)ctx + start, (size_t)n * 8);
}

typedef struct blk_plan {
    uint64_t base;
    unsigned w, nexc;
    size_t cost;
} blk_plan;

/* Apply transform xf to the n values of x into u, advancing the state. */
static void xform_fwd(int xf, stg__xst *st, const uint64_t *x, uint64_t *u, unsigned n)
{
    uint64_t prev = st->prev, prevd = st->prevd;
    switch (xf) {
    case STG__X_FOR:
        memcpy(u, x, (size_t)n * 8);
        if (n) prev = x[n - 1];
        break;
    case STG__X_DZZ:
        for (unsigned i = 0; i < n; i++) {
            u[i] = strata_zigzag64((int64_t)(x[i] - prev));
            prev = x[i];
        }
        break;
    case STG__X_DFOR:
        for (unsigned i = 0; i < n; i++) {
            u[i] = x[i] - prev;
            prev = x[i];
        }
        break;
    default: /* STG__X_DDZZ */
        for (unsigned i = 0; i < n; i++) {
            uint64_t d = x[i] - prev;
            u[i] = strata_zigzag64((int64_t)(d - prevd));
            prevd = d;
            prev = x[i];
        }
        break;
    }
    st->prev = prev;
    st->prevd = prevd;
}

/* Undo transform xf in place over n values. */
static void xform_inv(int xf, stg__xst *st, uint64_t *u, unsigned n)
{
    uint64_t prev = st->prev, prevd = st->prevd;
    switch (xf) {
    case STG__X_FOR:
        if (n) prev = u[n - 1];
        break;
    case STG__X_DZZ:
        for (unsigned i = 0; i < n; i++) {
            prev += (uint64_t)strata_unzigzag64(u[i]);
            u[i] = prev;
        }
        break;
    case STG__X_DFOR:
        for (unsigned i = 0; i < n; i++) {
            prev += u[i];
            u[i] = prev;
        }
        break;
    default:
        for (unsigned i = 0; i < n; i++) {
            prevd += (uint64_t)strata_unzigzag64(u[i]);
            prev += prevd;
            u[i] = prev;
        }
        break;
    }
    st->prev = prev;
    st->prevd = prevd;
}

/* Choose base, width and exceptions for one block; returns the exact byte cost. */
static size_t blk_plan_make(const uint64_t *u, unsigned n, int signed_min, blk_plan *pl)
{
    uint64_t base;
    if (signed_min) {
        int64_t m = INT64_MAX;
        for (unsigned i = 0; i < n; i++)
            m = (int64_t)u[i] < m ? (int64_t)u[i] : m;
        base = (uint64_t)m;
    } else {
        uint64_t m = UINT64_MAX;
        for (unsigned i = 0; i < n; i++)
            m = u[i] < m ? u[i] : m;
        base = m;
    }
    uint64_t all = 0;
    for (unsigned i = 0; i < n; i++)
        all |= u[i] - base;
    unsigned maxlen = stg__bitlen(all);
    size_t fixed = 1 + stg__varint_len(strata_zigzag64((int64_t)base));

    pl->base = base;
    pl->w = maxlen;
    pl->nexc = 0;
    pl->cost = fixed + ((size_t)n * maxlen + 7) / 8;
    if (maxlen == 0) /* a constant block: nothing to pack */
        return pl->cost;

    /* Histogram of bit lengths; four interleaved copies avoid store-to-load
     * stalls when consecutive values fall in the same bucket. */
    uint32_t h4[4][65];
    memset(h4, 0, sizeof h4);
    unsigned i = 0;
    for (; i + 4 <= n; i += 4) {
        h4[0][stg__bitlen(u[i] - base)]++;
        h4[1][stg__bitlen(u[i + 1] - base)]++;
        h4[2][stg__bitlen(u[i + 2] - base)]++;
        h4[3][stg__bitlen(u[i + 3] - base)]++;
    }
    for (; i < n; i++)
        h4[0][stg__bitlen(u[i] - base)]++;
    unsigned lens[65], cnts[65], k = 0;
    for (unsigned l = 0; l <= maxlen; l++) {
        unsigned c = h4[0][l] + h4[1][l] + h4[2][l] + h4[3][l];
        if (c) {
            lens[k] = l;
            cnts[k++] = c;
        }
    }
    /* Try w = 0 and each present length below the longest: between two
     * present lengths the exception count does not change, and widening w
     * by 7 bits per value to shave one byte off an exception never pays in
     * practice, so this is the optimum up to that rounding. j = -1 stands
     * for w = 0. */
    for (int j = -1; j + 1 < (int)k; j++) {
        if (j < 0 && lens[0] == 0) continue; /* w = 0 comes up as lens[0] */
        unsigned w = j < 0 ? 0 : lens[j];
        size_t cost = fixed + ((size_t)n * w + 7) / 8 + 1;
        unsigned nexc = 0;
        for (unsigned q = 0; q < k; q++) {
            if (lens[q] > w) {
                nexc += cnts[q];
                cost += (size_t)cnts[q] * (1 + (lens[q] - w + 6) / 7);
            }
        }
        if (cost < pl->cost) {
            pl->cost = cost;
            pl->w = w;
            pl->nexc = nexc;
        }
    }
    return pl->cost;
}

/* Write one planned block. out has at least pl->cost bytes. */
static void blk_write(const uint64_t *u, unsigned n, const blk_plan *pl, uint8_t *out)
{
    uint8_t *p = out;
    unsigned w = pl->w;
    uint64_t base = pl->base;
    *p++ = (uint8_t)(w | (pl->nexc ? 0x80 : 0));
    p += strata_varint_put(p, strata_zigzag64((int64_t)base));
    if (pl->nexc) {
        *p++ = (uint8_t)pl->nexc;
        for (unsigned i = 0; i < n; i++) {
            uint64_t hi = (u[i] - base) >> w; /* w < 64 when there are exceptions */
            if (hi) {
                *p++ = (uint8_t)i;
                p += strata_varint_put(p, hi);
            }
        }
    }
    if (w == 0) return;
    /* Pack into a padded scratch so that whole 8-byte stores are safe. */
    uint8_t tmp[STG__BLK * 8 + 16];
    uint64_t mask = stg__mask(w), acc = 0;
    unsigned fill = 0;
    uint8_t *q = tmp;
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = (u[i] - base) & mask;
        acc |= v << fill;
        fill += w;
        if (fill >= 64) {
            stg__store64(q, acc);
            q += 8;
            fill -= 64;
            acc = fill ? v >> (w - fill) : 0;
        }
    }
    stg__store64(q, acc);
    memcpy(p, tmp, ((size_t)n * w + 7) / 8);
}

void stg__pack_costs(stg__fill_fn fill, void *ctx, uint32_t n, stg__xst seed, unsigned xmask,
                     int signed_min, size_t cost[STG__X_COUNT])
{
    stg__xst st[STG__X_COUNT];
    for (int xf = 0; xf < STG__X_COUNT; xf++) {
        st[xf] = seed;
        cost[xf] = (xmask >> xf) & 1 ? 0 : SIZE_MAX;
    }
    uint64_t x[STG__BLK], u[STG__BLK];
    blk_plan pl;
    for (uint32_t start = 0; start < n; start += STG__BLK) {
        unsigned bn = n - start < STG__BLK ? n - start : STG__BLK;
        fill(ctx, start, bn, x);
        for (int xf = 0; xf < STG__X_COUNT; xf++) {
            if (!((xmask >> xf) & 1)) continue;
            xform_fwd(xf, &st[xf], x, u, bn);
            int smin = (xf == STG__X_FOR || xf == STG__X_DFOR) ? signed_min : 0;
            cost[xf] += blk_plan_make(u, bn, smin, &pl);
        }
    }
}

size_t stg__pack_write(stg__fill_fn fill, void *ctx, uint32_t n, stg__xst seed, int xf,
                       int signed_min, uint8_t *out, size_t cap)
{
    uint64_t x[STG__BLK], u[STG__BLK];
    blk_plan pl;
    size_t used = 0;
    int smin = (xf == STG__X_FOR || xf == STG__X_DFOR) ? signed_min : 0;
    for (uint32_t start = 0; start < n; start += STG__BLK) {
        unsigned bn = n - start < STG__BLK ? n - start : STG__BLK;
        fill(ctx, start, bn, x);
        xform_fwd(xf, &seed, x, u, bn);
        size_t c = blk_plan_make(u, bn, smin, &pl);
        if (cap - used < c) return SIZE_MAX;
        blk_write(u, bn, &pl, out + used);
        used += c;
    }
    return used;
}

/* Unpack n w-bit values (w 1..64) from src, with avail readable bytes at src. */
static void unpack(const uint8_t *src, size_t avail, unsigned n, unsigned w, uint64_t base,
                   uint64_t *out)
{
    size_t nb = ((size_t)n * w + 7) / 8;
    uint8_t tmp[STG__BLK * 8 + 16];
    if (avail < nb + 16) {
        memcpy(tmp, src, nb);
        memset(tmp + nb, 0, 16);
        src = tmp;
    }
    uint64_t mask = stg__mask(w);
    if (w <= 56) {
        size_t bit = 0;
        for (unsigned i = 0; i < n; i++, bit += w)
            out[i] = base + ((stg__load64(src + (bit >> 3)) >> (bit & 7)) & mask);
    } else {
        size_t bit = 0;
        for (unsigned i = 0; i < n; i++, bit += w) {
            const uint8_t *q = src + (bit >> 3);
            unsigned s = bit & 7;
            uint64_t v = stg__load64(q) >> s;
            if (s) v |= (uint64_t)q[8] << (64 - s);
            out[i] = base + (v & mask);
        }
    }
}

int stg__pack_read(const uint8_t **pp, const uint8_t *end, uint32_t n, stg__xst seed, int xf,
                   uint64_t *out)
{
    const uint8_t *p = *pp;
    uint8_t epos[STG__BLK];
    uint64_t ehi[STG__BLK];
    for (uint32_t start = 0; start < n; start += STG__BLK) {
        unsigned bn = n - start < STG__BLK ? n - start : STG__BLK;
        if (p >= end) return STRATA_ECORRUPT;
        unsigned h = *p++, w = h & 0x7f, nexc = 0;
        if (w > 64) return STRATA_ECORRUPT;
        uint64_t zb;
        size_t k = strata_varint_get(p, end, &zb);
        if (!k) return STRATA_ECORRUPT;
        p += k;
        uint64_t base = (uint64_t)strata_unzigzag64(zb);
        if (h & 0x80) {
            if (w == 64 || p >= end) return STRATA_ECORRUPT;
            nexc = *p++;
            if (nexc == 0 || nexc > bn) return STRATA_ECORRUPT;
            for (unsigned e = 0; e < nexc; e++) {
                if (p >= end || *p >= bn) return STRATA_ECORRUPT;
                epos[e] = *p++;
                k = strata_varint_get(p, end, &ehi[e]);
                if (!k) return STRATA_ECORRUPT;
                p += k;
            }
        }
        uint64_t *o = out + start;
        size_t nb = ((size_t)bn * w + 7) / 8;
        if ((size_t)(end - p) < nb) return STRATA_ECORRUPT;
        if (w == 0) {
            for (unsigned i = 0; i < bn; i++)
                o[i] = base;
        } else {
            unpack(p, (size_t)(end - p), bn, w, base, o);
        }
        p += nb;
        for (unsigned e = 0; e < nexc; e++)
            o[epos[e]] += ehi[e] << w;
        xform_inv(xf, &seed, o, bn);
    }
    *pp = p;
    return STRATA_OK;
}
