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
 * The encoder picks the base (0 for zigzag transforms, whose values sit near
 * zero; the block minimum in signed or unsigned order otherwise) and then the
 * width w minimising the block's exact byte size: values longer than w bits
 * become exceptions. So a block of zeros with one outlier (a
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

/*
 * Undo transform xf in place over n values. With check, also verify that
 * every value is greater (signed) than the one before, starting from
 * st->prev. @return 1 when check is set and that fails, else 0.
 */
static int xform_inv(int xf, stg__xst *st, uint64_t *u, unsigned n, int check)
{
    uint64_t prev = st->prev, prevd = st->prevd;
    int bad = 0; /* computed alongside the prefix sums, off their critical path */
    switch (xf) {
    case STG__X_FOR:
        for (unsigned i = 0; check && i < n; i++) {
            bad |= (int64_t)u[i] <= (int64_t)prev;
            prev = u[i];
        }
        if (n) prev = u[n - 1];
        break;
    case STG__X_DZZ:
        for (unsigned i = 0; i < n; i++) {
            uint64_t np = prev + (uint64_t)strata_unzigzag64(u[i]);
            bad |= (int64_t)np <= (int64_t)prev;
            u[i] = prev = np;
        }
        break;
    case STG__X_DFOR:
        for (unsigned i = 0; i < n; i++) {
            uint64_t np = prev + u[i];
            bad |= (int64_t)np <= (int64_t)prev;
            u[i] = prev = np;
        }
        break;
    default:
        for (unsigned i = 0; i < n; i++) {
            prevd += (uint64_t)strata_unzigzag64(u[i]);
            uint64_t np = prev + prevd;
            bad |= (int64_t)np <= (int64_t)prev;
            u[i] = prev = np;
        }
        break;
    }
    st->prev = prev;
    st->prevd = prevd;
    return check && bad;
}

/* How a block picks its base: zero (zigzag transforms, whose values are
 * near zero anyway, so the histogram needs one pass only), or the minimum in
 * unsigned or signed order. */
enum { BASE_ZERO, BASE_UMIN, BASE_SMIN };

static int base_mode(int xf, int signed_min)
{
    if (xf == STG__X_DZZ || xf == STG__X_DDZZ) return BASE_ZERO;
    return signed_min ? BASE_SMIN : BASE_UMIN;
}

/* ceil(d / 7): LEB128 bytes of an exception's high part of d bits. */
static const uint8_t hi_bytes[65] = {0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3,
                                     3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5,
                                     5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 8,
                                     8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 10};

/* Choose base, width and exceptions for one block; returns the exact byte cost. */
static size_t blk_plan_make(const uint64_t *u, unsigned n, int bm, blk_plan *pl)
{
    uint64_t base = 0;
    unsigned i;
    if (bm == BASE_UMIN) {
        uint64_t m0 = UINT64_MAX, m1 = UINT64_MAX, m2 = UINT64_MAX, m3 = UINT64_MAX;
        for (i = 0; i + 4 <= n; i += 4) {
            m0 = u[i] < m0 ? u[i] : m0;
            m1 = u[i + 1] < m1 ? u[i + 1] : m1;
            m2 = u[i + 2] < m2 ? u[i + 2] : m2;
            m3 = u[i + 3] < m3 ? u[i + 3] : m3;
        }
        for (; i < n; i++)
            m0 = u[i] < m0 ? u[i] : m0;
        m0 = m1 < m0 ? m1 : m0;
        m2 = m3 < m2 ? m3 : m2;
        base = m2 < m0 ? m2 : m0;
    } else if (bm == BASE_SMIN) {
        int64_t m0 = INT64_MAX, m1 = INT64_MAX, m2 = INT64_MAX, m3 = INT64_MAX;
        const int64_t *s = (const int64_t *)u;
        for (i = 0; i + 4 <= n; i += 4) {
            m0 = s[i] < m0 ? s[i] : m0;
            m1 = s[i + 1] < m1 ? s[i + 1] : m1;
            m2 = s[i + 2] < m2 ? s[i + 2] : m2;
            m3 = s[i + 3] < m3 ? s[i + 3] : m3;
        }
        for (; i < n; i++)
            m0 = s[i] < m0 ? s[i] : m0;
        m0 = m1 < m0 ? m1 : m0;
        m2 = m3 < m2 ? m3 : m2;
        base = (uint64_t)(m2 < m0 ? m2 : m0);
    }

    /* Histogram of bit lengths; four interleaved copies avoid store-to-load
     * stalls when consecutive values fall in the same bucket. Counts fit a
     * byte: at most 32 + 3 per copy. */
    uint8_t h4[4][72];
    memset(h4, 0, sizeof h4);
    for (i = 0; i + 4 <= n; i += 4) {
        h4[0][stg__bitlen(u[i] - base)]++;
        h4[1][stg__bitlen(u[i + 1] - base)]++;
        h4[2][stg__bitlen(u[i + 2] - base)]++;
        h4[3][stg__bitlen(u[i + 3] - base)]++;
    }
    for (; i < n; i++)
        h4[0][stg__bitlen(u[i] - base)]++;
    uint8_t hist[72];
    for (i = 0; i < 72; i++)
        hist[i] = (uint8_t)(h4[0][i] + h4[1][i] + h4[2][i] + h4[3][i]);
    unsigned lens[65], cnts[65], k = 0;
    for (unsigned w8 = 0; w8 < 72; w8 += 8) {
        uint64_t word;
        memcpy(&word, hist + w8, 8);
        while (word) {
            unsigned b = (unsigned)__builtin_ctzll(word) / 8;
            lens[k] = w8 + b;
            cnts[k++] = hist[w8 + b];
            word &= ~(0xffull << (8 * b));
        }
    }
    unsigned maxlen = lens[k - 1];
    size_t fixed = 1 + stg__varint_len(strata_zigzag64((int64_t)base));

    pl->base = base;
    pl->w = maxlen;
    pl->nexc = 0;
    pl->cost = fixed + ((size_t)n * maxlen + 7) / 8;
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
        for (unsigned q = (unsigned)(j + 1); q < k; q++) {
            nexc += cnts[q];
            cost += (size_t)cnts[q] * (1u + hi_bytes[lens[q] - w]);
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
            cost[xf] += blk_plan_make(u, bn, base_mode(xf, signed_min), &pl);
        }
    }
}

size_t stg__pack_write(stg__fill_fn fill, void *ctx, uint32_t n, stg__xst seed, int xf,
                       int signed_min, uint8_t *out, size_t cap)
{
    uint64_t x[STG__BLK], u[STG__BLK];
    blk_plan pl;
    size_t used = 0;
    int bm = base_mode(xf, signed_min);
    for (uint32_t start = 0; start < n; start += STG__BLK) {
        unsigned bn = n - start < STG__BLK ? n - start : STG__BLK;
        fill(ctx, start, bn, x);
        xform_fwd(xf, &seed, x, u, bn);
        size_t c = blk_plan_make(u, bn, bm, &pl);
        if (cap - used < c) return SIZE_MAX;
        blk_write(u, bn, &pl, out + used);
        used += c;
    }
    return used;
}

/*
 * Full blocks get a routine per width (1..56) so that every shift and offset
 * is a constant: eight values span exactly w bytes, so each group of eight
 * starts on a byte boundary. A load reads 8 bytes from a value's first byte;
 * the caller guarantees 16 readable bytes past the packed data.
 */
#define UNPACK_ONE(J) out[J] = base + ((stg__load64(src + ((J)*W) / 8) >> (((J)*W) % 8)) & mask)
#define UNPACK_DEF(W_)                                                                             \
    static void unpack128_##W_(const uint8_t *src, uint64_t base, uint64_t *out)                   \
    {                                                                                              \
        enum { W = W_ };                                                                           \
        const uint64_t mask = (1ull << W) - 1;                                                     \
        for (unsigned g = 0; g < STG__BLK / 8; g++, src += W, out += 8) {                          \
            UNPACK_ONE(0);                                                                         \
            UNPACK_ONE(1);                                                                         \
            UNPACK_ONE(2);                                                                         \
            UNPACK_ONE(3);                                                                         \
            UNPACK_ONE(4);                                                                         \
            UNPACK_ONE(5);                                                                         \
            UNPACK_ONE(6);                                                                         \
            UNPACK_ONE(7);                                                                         \
        }                                                                                          \
    }
/* clang-format off */
UNPACK_DEF(1) UNPACK_DEF(2) UNPACK_DEF(3) UNPACK_DEF(4) UNPACK_DEF(5) UNPACK_DEF(6)
UNPACK_DEF(7) UNPACK_DEF(8) UNPACK_DEF(9) UNPACK_DEF(10) UNPACK_DEF(11) UNPACK_DEF(12)
UNPACK_DEF(13) UNPACK_DEF(14) UNPACK_DEF(15) UNPACK_DEF(16) UNPACK_DEF(17) UNPACK_DEF(18)
UNPACK_DEF(19) UNPACK_DEF(20) UNPACK_DEF(21) UNPACK_DEF(22) UNPACK_DEF(23) UNPACK_DEF(24)
UNPACK_DEF(25) UNPACK_DEF(26) UNPACK_DEF(27) UNPACK_DEF(28) UNPACK_DEF(29) UNPACK_DEF(30)
UNPACK_DEF(31) UNPACK_DEF(32) UNPACK_DEF(33) UNPACK_DEF(34) UNPACK_DEF(35) UNPACK_DEF(36)
UNPACK_DEF(37) UNPACK_DEF(38) UNPACK_DEF(39) UNPACK_DEF(40) UNPACK_DEF(41) UNPACK_DEF(42)
UNPACK_DEF(43) UNPACK_DEF(44) UNPACK_DEF(45) UNPACK_DEF(46) UNPACK_DEF(47) UNPACK_DEF(48)
UNPACK_DEF(49) UNPACK_DEF(50) UNPACK_DEF(51) UNPACK_DEF(52) UNPACK_DEF(53) UNPACK_DEF(54)
UNPACK_DEF(55) UNPACK_DEF(56)

typedef void (*unpack128_fn)(const uint8_t *, uint64_t, uint64_t *);
static const unpack128_fn unpack128[57] = {
    NULL,         unpack128_1,  unpack128_2,  unpack128_3,  unpack128_4,  unpack128_5,
    unpack128_6,  unpack128_7,  unpack128_8,  unpack128_9,  unpack128_10, unpack128_11,
    unpack128_12, unpack128_13, unpack128_14, unpack128_15, unpack128_16, unpack128_17,
    unpack128_18, unpack128_19, unpack128_20, unpack128_21, unpack128_22, unpack128_23,
    unpack128_24, unpack128_25, unpack128_26, unpack128_27, unpack128_28, unpack128_29,
    unpack128_30, unpack128_31, unpack128_32, unpack128_33, unpack128_34, unpack128_35,
    unpack128_36, unpack128_37, unpack128_38, unpack128_39, unpack128_40, unpack128_41,
    unpack128_42, unpack128_43, unpack128_44, unpack128_45, unpack128_46, unpack128_47,
    unpack128_48, unpack128_49, unpack128_50, unpack128_51, unpack128_52, unpack128_53,
    unpack128_54, unpack128_55, unpack128_56,
};
/* clang-format on */

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
    if (n == STG__BLK && w <= 56) {
        unpack128[w](src, base, out);
        return;
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

static int pack_read(const uint8_t **pp, const uint8_t *end, uint32_t n, stg__xst seed, int xf,
                     uint64_t *out, int check)
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
        if (xform_inv(xf, &seed, o, bn, check)) return STRATA_ECORRUPT;
    }
    *pp = p;
    return STRATA_OK;
}

int stg__pack_read(const uint8_t **pp, const uint8_t *end, uint32_t n, stg__xst seed, int xf,
                   uint64_t *out)
{
    return pack_read(pp, end, n, seed, xf, out, 0);
}

int stg__pack_read_increasing(const uint8_t **pp, const uint8_t *end, uint32_t n, stg__xst seed,
                              int xf, uint64_t *out)
{
    return pack_read(pp, end, n, seed, xf, out, 1);
}
