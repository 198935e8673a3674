/*
 * storage/codec_integer.c: the value section of int (int64) and unsigned
 * (uint64) chunks.
 *
 *   CONST      nothing: every value is the header's min (== max).
 *   INT_FOR    the values, bit-packed against each block's minimum (signed
 *              order for int, unsigned for uint): bounded noisy gauges.
 *   INT_DELTA  zigzag deltas, bit-packed: random walks, deltas of both signs.
 *   INT_DFOR   deltas bit-packed against the block's minimum delta, no
 *              zigzag: monotonic counters save the sign bit.
 *   INT_DOD    zigzag delta-of-deltas: counters growing at a steady rate.
 *   INT_VARINT LEB128 per value (zigzag for int), for what packs badly.
 *   INT_RICE   zigzag deltas Golomb-Rice coded (codec_rice.c): random walks
 *              with Gaussian steps (TSBS's cpu fields), about 0.7 bit a
 *              value below INT_DELTA's packed blocks.
 *
 * The packed forms are codec_pack.c blocks over the transformed sequence,
 * seeded with 0 (so the first delta is the first value: one exception).
 * Every candidate is costed exactly in one pass over the data and the
 * smallest is written.
 */
#include "storage/codec_int.h"

#include "common/bytes.h"
#include "storage/bits_int.h"
#include "storage/chunk.h"

unsigned stg__int_codec_of_xf(int xf)
{
    static const unsigned codec_of_xf[STG__X_COUNT] = {
        [STG__X_FOR] = STG_CODEC_INT_FOR,
        [STG__X_DZZ] = STG_CODEC_INT_DELTA,
        [STG__X_DFOR] = STG_CODEC_INT_DFOR,
        [STG__X_DDZZ] = STG_CODEC_INT_DOD,
    };
    return codec_of_xf[xf];
}

size_t stg__i64_bound(uint32_t n)
{
    return stg__pack_bound(n);
}

int stg__i64_encode(int is_signed, const uint64_t *v, uint32_t n, uint64_t min, uint64_t max,
                    uint8_t *out, size_t cap, size_t *used, uint8_t *codec)
{
    *used = 0;
    if (min == max) {
        *codec = STG_CODEC_CONST;
        return STRATA_OK;
    }
    size_t cost[STG__X_COUNT];
    stg__xst seed = {0, 0};
    void *src = (void *)(uintptr_t)v;
    stg__pack_costs(stg__fill_u64, src, n, seed, 0xf, is_signed, cost);
    int best = STG__X_FOR;
    for (int xf = 1; xf < STG__X_COUNT; xf++)
        if (cost[xf] < cost[best]) best = xf;
    size_t vcost = 0;
    for (uint32_t i = 0; i < n; i++)
        vcost += stg__varint_len(is_signed ? strata_zigzag64((int64_t)v[i]) : v[i]);

    /* Rice is costed only when the deltas are the best packing so far: it
     * codes the same deltas, and wins on their bell-shaped distribution. */
    size_t rcost = SIZE_MAX;
    if (best == STG__X_DZZ || best == STG__X_DFOR) rcost = stg__rice_cost(stg__fill_u64, src, n, 0);
    if (rcost < cost[best] && rcost <= vcost) {
        size_t w = stg__rice_write(stg__fill_u64, src, n, 0, out, cap);
        if (w == SIZE_MAX) return STRATA_EINVAL;
        *used = w;
        *codec = STG_CODEC_INT_RICE;
        return STRATA_OK;
    }
    if (vcost < cost[best]) {
        if (cap < vcost) return STRATA_EINVAL;
        uint8_t *p = out;
        for (uint32_t i = 0; i < n; i++)
            p += strata_varint_put(p, is_signed ? strata_zigzag64((int64_t)v[i]) : v[i]);
        *used = vcost;
        *codec = STG_CODEC_INT_VARINT;
        return STRATA_OK;
    }
    size_t w = stg__pack_write(stg__fill_u64, src, n, seed, best, is_signed, out, cap);
    if (w == SIZE_MAX) return STRATA_EINVAL;
    *used = w;
    *codec = (uint8_t)stg__int_codec_of_xf(best);
    return STRATA_OK;
}

int stg__i64_decode(int is_signed, unsigned codec, const uint8_t *p, size_t len, uint64_t min,
                    uint32_t n, uint64_t *v)
{
    const uint8_t *end = p + len;
    stg__xst seed = {0, 0};
    int xf;
    switch (codec) {
    case STG_CODEC_CONST:
        if (len != 0) return STRATA_ECORRUPT;
        for (uint32_t i = 0; i < n; i++)
            v[i] = min;
        return STRATA_OK;
    case STG_CODEC_INT_VARINT:
        for (uint32_t i = 0; i < n; i++) {
            uint64_t x;
            size_t k = strata_varint_get(p, end, &x);
            if (!k) return STRATA_ECORRUPT;
            p += k;
            v[i] = is_signed ? (uint64_t)strata_unzigzag64(x) : x;
        }
        return p == end ? STRATA_OK : STRATA_ECORRUPT;
    case STG_CODEC_INT_FOR:
        xf = STG__X_FOR;
        break;
    case STG_CODEC_INT_DELTA:
        xf = STG__X_DZZ;
        break;
    case STG_CODEC_INT_DFOR:
        xf = STG__X_DFOR;
        break;
    case STG_CODEC_INT_DOD:
        xf = STG__X_DDZZ;
        break;
    case STG_CODEC_INT_RICE:
        if (stg__rice_read(&p, end, n, 0, v) != STRATA_OK || p != end) return STRATA_ECORRUPT;
        return STRATA_OK;
    default:
        return STRATA_ECORRUPT;
    }
    if (stg__pack_read(&p, end, n, seed, xf, v) != STRATA_OK || p != end) return STRATA_ECORRUPT;
    return STRATA_OK;
}
