/*
 * storage/codec_float.c: the value section of float chunks.
 *
 * Codecs (every one round-trips every bit pattern: NaN payloads, -0.0,
 * denormals, infinities):
 *
 *   CONST    8 bytes: the one value (bit pattern, little-endian).
 *   RAW      8 bytes per value, little-endian. The bound; rarely chosen.
 *   GORILLA  Facebook's Gorilla XOR coding (Pelkonen et al., VLDB 2015),
 *            bits LSB-first (storage/bits_int.h): the first value in 64
 *            bits, then per value the XOR x with the previous one:
 *              x == 0:  bit 0
 *              else     bit 1, then
 *                bit 0 + the bits of x inside the previous window (reuse),
 *                   when x's leading zeros >= the window's and its trailing
 *                   zeros >= the window's;
 *                bit 1 + 5 bits leading zeros (capped at 31) + 6 bits
 *                   (length - 1) + length bits of x >> trailing (new window).
 *   INT_FOR, INT_DELTA, INT_DFOR  the bit patterns as int64, packed as for
 *            integers (codec_integer.c): within one binade a value's bits
 *            move by its change in ulps, which for full-precision
 *            measurements costs fewer bits than Gorilla's XOR.
 *   DECIMAL  Values written with a few decimals (gauges like 23.45) are
 *            m / 10^e for an integer m. One e (0..18) is chosen per chunk
 *            such that (double)m / 10^e reproduces the value bit for bit,
 *            with |m| <= 2^53; the mantissas are then an integer sequence
 *            packed like integers. Layout:
 *              1 byte   e (bits 0-4, <= 18) | transform (bits 5-6, enum
 *                       stg__xform), bit 7 zero
 *              LEB128   nexc, the number of exceptions (values that are not
 *                       such decimals: NaN, infinities, -0.0, too many
 *                       digits)
 *              nexc x   (LEB128 gap, 8 bytes value bits LE): the position of
 *                       exception k is gap_0 for k = 0 and
 *                       pos_{k-1} + 1 + gap_k after that
 *              packed   the count mantissas, transformed and bit-packed
 *                       (codec_pack.c); an exception's slot repeats the
 *                       previous mantissa (0 at the start) so that it costs
 *                       nothing in a delta transform
 *            Decoding is (double)m / 10^e, which is exactly what the encoder
 *            verified, so the round trip is exact by construction. Division,
 *            not multiplication by 10^-e: 10^e is exact for e <= 22 and the
 *            quotient of two exact numbers is correctly rounded, which is
 *            also what strtod returned for the text "23.45".
 *
 *   DEC_RICE DECIMAL's header (transform bits zero) and exceptions, then the
 *            mantissas' zigzag deltas Golomb-Rice coded (codec_rice.c): on
 *            noisy gauges (Gaussian steps) about 0.7 bit a value below the
 *            packed blocks, which still win on uniform noise and counters.
 *            Costed after DECIMAL's transforms, kept when smaller.
 *
 * The encoder tries CONST, then DECIMAL (a detection pass that gives up
 * early on data that is not decimal), sizes GORILLA exactly unless a lower
 * bound or a sample shows it cannot win, costs the bit-pattern packings when
 * nothing got below 2 bytes a value, and keeps the smallest, RAW as the
 * ceiling. All sizes are exact, so the choice is the true minimum among the
 * candidates tried.
 */
#include "storage/codec_int.h"

#include <math.h>
#include <string.h>

#include "common/bytes.h"
#include "storage/bits_int.h"
#include "storage/chunk.h"
#include "storage/decimal_int.h"

#define DEC_EMAX STG__DEC_EMAX

size_t stg__f64_bound(uint32_t n)
{
    return (size_t)n * 8 + 8;
}

/* ---- Gorilla ---------------------------------------------------------- */

/* Exact size in bytes of the Gorilla encoding. */
static size_t gorilla_size(const uint64_t *v, uint32_t n)
{
    uint64_t bits = 64, prev = v[0];
    unsigned pl = 65, pt = 65; /* no window yet */
    for (uint32_t i = 1; i < n; i++) {
        uint64_t x = v[i] ^ prev;
        prev = v[i];
        if (!x) {
            bits += 1;
            continue;
        }
        unsigned lead = (unsigned)__builtin_clzll(x), trail = (unsigned)__builtin_ctzll(x);
        if (lead > 31) lead = 31;
        if (pl <= 64 && lead >= pl && trail >= pt) {
            bits += 2 + (64 - pl - pt);
        } else {
            bits += 2 + 5 + 6 + (64 - lead - trail);
            pl = lead;
            pt = trail;
        }
    }
    return (size_t)((bits + 7) / 8);
}

static size_t gorilla_write(const uint64_t *v, uint32_t n, uint8_t *out, size_t cap)
{
    stg__bitw w;
    stg__bitw_init(&w, out, out + cap);
    stg__bitw_put(&w, v[0], 64);
    uint64_t prev = v[0];
    unsigned pl = 65, pt = 65;
    for (uint32_t i = 1; i < n; i++) {
        uint64_t x = v[i] ^ prev;
        prev = v[i];
        if (!x) {
            stg__bitw_put(&w, 0, 1);
            continue;
        }
        unsigned lead = (unsigned)__builtin_clzll(x), trail = (unsigned)__builtin_ctzll(x);
        if (lead > 31) lead = 31;
        if (pl <= 64 && lead >= pl && trail >= pt) {
            stg__bitw_put(&w, 1, 2); /* bit 1 (non-zero), bit 0 (reuse) */
            stg__bitw_put(&w, x >> pt, 64 - pl - pt);
        } else {
            unsigned len = 64 - lead - trail;
            stg__bitw_put(&w, 3, 2);
            stg__bitw_put(&w, lead | ((len - 1) << 5), 11);
            stg__bitw_put(&w, x >> trail, len);
            pl = lead;
            pt = trail;
        }
    }
    size_t used = stg__bitw_finish(&w, out);
    return w.overflow ? SIZE_MAX : used;
}

static int gorilla_read(const uint8_t *p, size_t len, uint32_t n, uint64_t *v)
{
    stg__bitr r;
    stg__bitr_init(&r, p, p + len);
    uint64_t prev = stg__bitr_get64(&r, 64);
    v[0] = prev;
    unsigned pl = 0, pt = 0, have = 0;
    for (uint32_t i = 1; i < n; i++) {
        uint64_t c = stg__bitr_get(&r, 1);
        if (c) {
            uint64_t x;
            if (stg__bitr_get(&r, 1)) {
                unsigned hdr = (unsigned)stg__bitr_get(&r, 11);
                unsigned lead = hdr & 31, len = (hdr >> 5) + 1;
                if (lead + len > 64) return STRATA_ECORRUPT;
                pl = lead;
                pt = 64 - lead - len;
                have = 1;
            } else if (!have) {
                return STRATA_ECORRUPT;
            }
            x = stg__bitr_get64(&r, 64 - pl - pt) << pt;
            prev ^= x;
        }
        v[i] = prev;
        if (r.bad) return STRATA_ECORRUPT;
    }
    if (r.bad || stg__bitr_used(&r, p) != len) return STRATA_ECORRUPT;
    return STRATA_OK;
}

/* ---- DECIMAL ---------------------------------------------------------- */

/* Block source of mantissas; exceptions (bitmap) repeat the previous one. */
typedef struct dec_src {
    const uint64_t *v;
    const uint64_t *exc; /* bitmap, bit i set when value i is an exception */
    uint32_t nexc;
    unsigned e;
    int64_t last;
} dec_src;

static void dec_fill(void *ctx, uint32_t start, unsigned n, uint64_t *x)
{
    dec_src *s = ctx;
    if (!s->nexc) {
        for (unsigned i = 0; i < n; i++)
            x[i] = (uint64_t)stg__dec_guess(s->v[start + i], s->e);
        return;
    }
    if (start == 0) s->last = 0;
    int64_t last = s->last;
    for (unsigned i = 0; i < n; i++) {
        uint32_t j = start + i;
        if (s->exc[j >> 6] >> (j & 63) & 1)
            x[i] = (uint64_t)last;
        else
            x[i] = (uint64_t)(last = stg__dec_guess(s->v[j], s->e));
    }
    s->last = last;
}

typedef struct dec_plan {
    unsigned e;
    int xf;
    int rice; /* 1: DEC_RICE (Rice-coded deltas), xf unused */
    uint32_t nexc;
    size_t cost; /* whole section, SIZE_MAX when not applicable */
} dec_plan;

#define EXC_BIT(exc, i) ((exc)[(i) >> 6] >> ((i)&63) & 1)

/*
 * Find the exponent, mark the exceptions in exc (n bits, zeroed here) and
 * cost the transforms.
 *
 * One pass keeps a running exponent e and checks each value at e (one
 * division). A value that needs more decimals raises e at once when it needs
 * at most two more, or when enough values have asked for that many (two,
 * plus one per 64 seen); otherwise it is set aside as pending with the
 * exponent it needs. So one computed value with 16 digits (1/3) among
 * two-decimal readings stays an exception instead of making every mantissa
 * 14 digits longer. At the end the exponent is raised further only where
 * the pending values' exceptions would cost more (9 bytes each) than the
 * ~3.3 bits per value per extra digit. Gives up (cost SIZE_MAX) when values
 * that fit no exponent exceed an eighth of those seen.
 */
static void dec_plan_make(const uint64_t *v, uint32_t n, uint64_t *exc, dec_plan *dp)
{
    memset(dp, 0, sizeof *dp);
    dp->cost = SIZE_MAX;
    memset(exc, 0, ((size_t)n + 63) / 64 * 8);
    unsigned e = 0;
    uint32_t counts[DEC_EMAX + 2] = {0}; /* pending values by exponent needed; last: none */
    uint32_t changed = 0;                /* values before `changed` were checked at a smaller e */
    for (uint32_t i = 0; i < n; i++) {
        if (i && v[i] == v[i - 1] && !EXC_BIT(exc, i - 1)) continue;
        if (stg__dec_fits(v[i], e, NULL)) continue;
        unsigned f = e + 1;
        while (f <= DEC_EMAX && !stg__dec_fits(v[i], f, NULL))
            f++;
        if (f <= DEC_EMAX) {
            uint32_t asked = 1;
            for (unsigned l = e + 1; l <= f; l++)
                asked += counts[l];
            if (f <= e + 2 || asked >= 2 + (i >> 6)) {
                e = f;
                changed = i;
                continue;
            }
        }
        counts[f]++;
        exc[i >> 6] |= 1ull << (i & 63);
        if (counts[DEC_EMAX + 1] > 4 && counts[DEC_EMAX + 1] > (i >> 3)) return;
    }
    /* Raise e to the level that minimises digits + exceptions (in bits). */
    unsigned best_e = e;
    uint64_t above = 0, best_cost = UINT64_MAX;
    for (unsigned l = e + 1; l <= DEC_EMAX + 1; l++)
        above += counts[l];
    for (unsigned l = e; l <= DEC_EMAX; l++) {
        if (l > e) above -= counts[l];
        uint64_t c = (uint64_t)n * 10 * (l - e) / 3 + above * 72;
        if (c < best_cost) {
            best_cost = c;
            best_e = l;
        }
    }
    /* Re-check what an exponent change may have affected: values seen at a
     * smaller e (a mantissa past 2^53 no longer fits) and pending values (the
     * final e may now cover them). */
    uint32_t recheck_end = best_e > e ? n : changed;
    e = best_e;
    uint32_t nexc = 0;
    for (uint32_t i = 0; i < n; i++) {
        int was = (int)EXC_BIT(exc, i);
        if (i < recheck_end || was) {
            int fits = stg__dec_fits(v[i], e, NULL);
            if (fits && was)
                exc[i >> 6] &= ~(1ull << (i & 63));
            else if (!fits && !was)
                exc[i >> 6] |= 1ull << (i & 63);
            nexc += !fits;
        }
    }
    if (nexc == n) return;
    size_t exc_bytes = 0;
    uint32_t last = 0;
    int first = 1;
    for (uint32_t w = 0; w < (n + 63) / 64; w++) {
        uint64_t m = exc[w];
        while (m) {
            uint32_t pos = w * 64 + (uint32_t)__builtin_ctzll(m);
            m &= m - 1;
            exc_bytes += 8 + stg__varint_len(first ? pos : pos - last - 1);
            last = pos;
            first = 0;
        }
    }
    dec_src src = {v, exc, nexc, e, 0};
    size_t cost[STG__X_COUNT];
    stg__xst seed = {0, 0};
    /* Delta-of-delta is left out: decimal gauges are noisy, counters are
     * served by DFOR, and each candidate costs a pass. */
    unsigned xmask = (1u << STG__X_FOR) | (1u << STG__X_DZZ) | (1u << STG__X_DFOR);
    stg__pack_costs(dec_fill, &src, n, seed, xmask, 1, cost);
    int best = STG__X_FOR;
    for (int xf = 1; xf < STG__X_COUNT; xf++)
        if (cost[xf] < cost[best]) best = xf;
    /* Rice-coded deltas undercut the packed blocks on noisy walks (about
     * 0.7 bit a value on Gaussian steps); counters and constants stay with
     * DFOR/FOR, which Rice cannot beat below 1 bit a value. */
    size_t rice = SIZE_MAX;
    if (cost[best] > (size_t)n / 8 + 16) rice = stg__rice_cost(dec_fill, &src, n, 0);
    dp->e = e;
    dp->xf = best;
    dp->rice = rice < cost[best];
    dp->nexc = nexc;
    dp->cost = 1 + stg__varint_len(nexc) + exc_bytes + (dp->rice ? rice : cost[best]);
}

static size_t dec_write(const uint64_t *v, uint32_t n, const uint64_t *exc, const dec_plan *dp,
                        uint8_t *out, size_t cap)
{
    if (cap < dp->cost) return SIZE_MAX;
    uint8_t *p = out;
    *p++ = (uint8_t)(dp->rice ? dp->e : dp->e | ((unsigned)dp->xf << 5));
    p += strata_varint_put(p, dp->nexc);
    uint32_t last = 0;
    int first = 1;
    for (uint32_t w = 0; w < (n + 63) / 64; w++) {
        uint64_t m = exc[w];
        while (m) {
            uint32_t pos = w * 64 + (uint32_t)__builtin_ctzll(m);
            m &= m - 1;
            p += strata_varint_put(p, first ? pos : pos - last - 1);
            strata_put_le64(p, v[pos]);
            p += 8;
            last = pos;
            first = 0;
        }
    }
    dec_src src = {v, exc, dp->nexc, dp->e, 0};
    stg__xst seed = {0, 0};
    size_t w =
        dp->rice ? stg__rice_write(dec_fill, &src, n, 0, p, cap - (size_t)(p - out))
                 : stg__pack_write(dec_fill, &src, n, seed, dp->xf, 1, p, cap - (size_t)(p - out));
    if (w == SIZE_MAX) return SIZE_MAX;
    return (size_t)(p - out) + w;
}

/*
 * Mantissas to doubles in place: v[i] = (double)m / 10^e. The division is the
 * cost; SSE2 divides two doubles per instruction at the scalar rate, but has
 * no int64 -> double conversion, so mantissas within +-2^51 (all that valid
 * chunks of up to 15 digits hold) are converted by adding them to the bit
 * pattern of 1.5 * 2^52 and subtracting that number: exact in that range.
 */
typedef double v2df __attribute__((vector_size(16)));
typedef uint64_t v2du __attribute__((vector_size(16)));

static void dec_to_f64(uint64_t *v, uint32_t n, unsigned e)
{
    const double scale = stg__p10[e];
    uint64_t out_of_range = 0;
    for (uint32_t i = 0; i < n; i++)
        out_of_range |= (v[i] + (1ull << 51)) >> 52;
    uint32_t i = 0;
    if (!out_of_range) {
        const v2du magic_bits = {0x4338000000000000ull, 0x4338000000000000ull};
        const v2df magic = {6755399441055744.0, 6755399441055744.0}, sc = {scale, scale};
        for (; i + 2 <= n; i += 2) {
            v2du b;
            v2df d;
            memcpy(&b, v + i, 16);
            b += magic_bits;
            memcpy(&d, &b, 16);
            d = (d - magic) / sc;
            memcpy(v + i, &d, 16);
        }
    }
    for (; i < n; i++)
        v[i] = stg__as_bits((double)(int64_t)v[i] / scale);
}

static int dec_read(const uint8_t *p, size_t len, uint32_t n, int rice, uint64_t *v)
{
    const uint8_t *end = p + len;
    if (len < 2) return STRATA_ECORRUPT;
    unsigned e = p[0] & 31, xf = (p[0] >> 5) & 3;
    if (e > DEC_EMAX || (p[0] & 0x80) || (rice && xf)) return STRATA_ECORRUPT;
    p++;
    uint64_t nexc;
    size_t k = strata_varint_get(p, end, &nexc);
    if (!k || nexc > n) return STRATA_ECORRUPT;
    p += k;
    const uint8_t *excp = p;
    uint64_t pos = 0;
    for (uint64_t i = 0; i < nexc; i++) {
        uint64_t gap;
        k = strata_varint_get(p, end, &gap);
        if (!k || (size_t)(end - p) < k + 8) return STRATA_ECORRUPT;
        pos = i ? pos + 1 + gap : gap;
        if (gap >= n || pos >= n) return STRATA_ECORRUPT;
        p += k + 8;
    }
    stg__xst seed = {0, 0};
    int rc = rice ? stg__rice_read(&p, end, n, 0, v) : stg__pack_read(&p, end, n, seed, (int)xf, v);
    if (rc != STRATA_OK || p != end) return STRATA_ECORRUPT;
    dec_to_f64(v, n, e);
    pos = 0;
    for (uint64_t i = 0; i < nexc; i++) {
        uint64_t gap = 0;
        excp += strata_varint_get(excp, end, &gap);
        pos = i ? pos + 1 + gap : gap;
        v[pos] = strata_get_le64(excp);
        excp += 8;
    }
    return STRATA_OK;
}

/* ---- chooser ---------------------------------------------------------- */

int stg__f64_encode(const uint64_t *v, uint32_t n, uint8_t *out, size_t cap, size_t *used,
                    uint8_t *codec)
{
    *used = 0;
    uint32_t i = 1, repeats = 0;
    while (i < n && v[i] == v[0])
        i++;
    if (i == n) {
        if (cap < 8) return STRATA_EINVAL;
        strata_put_le64(out, v[0]);
        *used = 8;
        *codec = STG_CODEC_CONST;
        return STRATA_OK;
    }
    for (i = 1; i < n; i++)
        repeats += v[i] == v[i - 1];

    size_t raw = (size_t)n * 8, best = raw;
    *codec = STG_CODEC_F_RAW;

    uint64_t exc[STG_CHUNK_MAX_POINTS / 64];
    dec_plan dp;
    dec_plan_make(v, n, exc, &dp);
    if (dp.cost < best) {
        best = dp.cost;
        *codec = dp.rice ? STG_CODEC_F_DEC_RICE : STG_CODEC_F_DECIMAL;
    }
    /* Gorilla spends at least 1 bit on a repeat and 3 on anything else; on
     * long chunks, a sample of 256 values extrapolating to twice the best
     * also rules it out (it is rarely close to DECIMAL when both apply). */
    size_t gorilla_floor = (64 + repeats + 3 * (size_t)(n - 1 - repeats) + 7) / 8;
    if (gorilla_floor < best && n >= 512 && gorilla_size(v, 256) * (n / 256) > 2 * best)
        gorilla_floor = SIZE_MAX;
    if (gorilla_floor < best) {
        size_t g = gorilla_size(v, n);
        if (g < best) {
            best = g;
            *codec = STG_CODEC_F_GORILLA;
        }
    }
    /* Full-precision measurements: consecutive values of one binade differ
     * by an integer number of ulps, so the bit patterns' deltas, packed like
     * integers, undercut the XOR's random low bits. Tried only when nothing
     * got below 2 bytes a value. */
    int bits_xf = -1;
    if (best > (size_t)n * 2) {
        size_t cost[STG__X_COUNT];
        stg__xst seed = {0, 0};
        unsigned xmask = (1u << STG__X_FOR) | (1u << STG__X_DZZ) | (1u << STG__X_DFOR);
        stg__pack_costs(stg__fill_u64, (void *)(uintptr_t)v, n, seed, xmask, 1, cost);
        for (int xf = 0; xf < STG__X_COUNT; xf++) {
            if (cost[xf] < best) {
                best = cost[xf];
                bits_xf = xf;
            }
        }
        if (bits_xf >= 0) *codec = (uint8_t)stg__int_codec_of_xf(bits_xf);
    }

    size_t w;
    switch (*codec) {
    case STG_CODEC_F_DECIMAL:
    case STG_CODEC_F_DEC_RICE:
        w = dec_write(v, n, exc, &dp, out, cap);
        break;
    case STG_CODEC_F_GORILLA:
        w = cap < best ? SIZE_MAX : gorilla_write(v, n, out, cap);
        break;
    case STG_CODEC_INT_FOR:
    case STG_CODEC_INT_DELTA:
    case STG_CODEC_INT_DFOR:
        w = stg__pack_write(stg__fill_u64, (void *)(uintptr_t)v, n, (stg__xst){0, 0}, bits_xf, 1,
                            out, cap);
        break;
    default:
        if (cap < raw) {
            w = SIZE_MAX;
        } else {
            memcpy(out, v, raw);
            w = raw;
        }
        break;
    }
    if (w == SIZE_MAX) return STRATA_EINVAL;
    *used = w;
    return STRATA_OK;
}

int stg__f64_decode(unsigned codec, const uint8_t *p, size_t len, uint32_t n, uint64_t *v)
{
    if (n == 0) return STRATA_ECORRUPT;
    switch (codec) {
    case STG_CODEC_CONST:
        if (len != 8) return STRATA_ECORRUPT;
        uint64_t c = strata_get_le64(p);
        for (uint32_t i = 0; i < n; i++)
            v[i] = c;
        return STRATA_OK;
    case STG_CODEC_F_RAW:
        if (len != (size_t)n * 8) return STRATA_ECORRUPT;
        memcpy(v, p, len);
        return STRATA_OK;
    case STG_CODEC_F_GORILLA:
        return gorilla_read(p, len, n, v);
    case STG_CODEC_F_DECIMAL:
        return dec_read(p, len, n, 0, v);
    case STG_CODEC_F_DEC_RICE:
        return dec_read(p, len, n, 1, v);
    case STG_CODEC_INT_FOR:
    case STG_CODEC_INT_DELTA:
    case STG_CODEC_INT_DFOR:
        return stg__i64_decode(1, codec, p, len, 0, n, v);
    default:
        return STRATA_ECORRUPT;
    }
}
