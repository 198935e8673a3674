/*
 * storage/codec_ts.c: the timestamp section of a chunk.
 *
 * t_first and t_last live in the chunk header, so the section only has to
 * carry what they do not imply:
 *
 *   TS_REGULAR  nothing: every delta is (t_last - t_first) / (count - 1).
 *               Also used for one-point chunks. Collectors that sample on a
 *               fixed interval with aligned timestamps land here.
 *   TS_DELTA    the count - 1 deltas t[i] - t[i-1] as uint64, bit-packed in
 *               frame-of-reference blocks (codec_pack.c, transform DFOR with
 *               unsigned base, seeded with t_first). Best for jittered
 *               timestamps: deltas cluster around the interval.
 *   TS_DOD      the count - 1 zigzag delta-of-deltas (transform DDZZ seeded
 *               with t_first and a previous delta of 0, so the first value is
 *               the first delta itself), bit-packed. Best for regular series
 *               with gaps: mostly-zero blocks with the gaps as exceptions.
 *
 * All arithmetic wraps modulo 2^64, so any strictly increasing int64 series
 * round-trips, including deltas above INT64_MAX. The decoder checks that its
 * output is strictly increasing and ends at t_last, so later binary searches
 * can trust the order even on hostile input.
 */
#include "storage/codec_int.h"

#include "storage/chunk.h"

size_t stg__ts_bound(uint32_t n)
{
    return n > 1 ? stg__pack_bound(n - 1) : 0;
}

int stg__ts_encode(const int64_t *ts, uint32_t n, uint8_t *out, size_t cap, size_t *used,
                   uint8_t *codec)
{
    *used = 0;
    *codec = STG_CODEC_TS_REGULAR;
    if (n <= 1) return STRATA_OK;
    uint64_t d = (uint64_t)ts[1] - (uint64_t)ts[0];
    uint32_t i = 2;
    while (i < n && (uint64_t)ts[i] - (uint64_t)ts[i - 1] == d)
        i++;
    if (i == n) return STRATA_OK;

    stg__xst seed = {(uint64_t)ts[0], 0};
    size_t cost[STG__X_COUNT];
    void *src = (void *)(uintptr_t)(ts + 1); /* int64_t and uint64_t may alias */
    stg__pack_costs(stg__fill_u64, src, n - 1, seed, (1u << STG__X_DFOR) | (1u << STG__X_DDZZ), 0,
                    cost);
    int xf = cost[STG__X_DDZZ] < cost[STG__X_DFOR] ? STG__X_DDZZ : STG__X_DFOR;
    size_t w = stg__pack_write(stg__fill_u64, src, n - 1, seed, xf, 0, out, cap);
    if (w == SIZE_MAX) return STRATA_EINVAL;
    *used = w;
    *codec = xf == STG__X_DDZZ ? STG_CODEC_TS_DOD : STG_CODEC_TS_DELTA;
    return STRATA_OK;
}

int stg__ts_decode(unsigned codec, const uint8_t *p, size_t len, int64_t t_first, int64_t t_last,
                   uint32_t n, int64_t *ts)
{
    if (n == 0) return STRATA_ECORRUPT;
    ts[0] = t_first;
    if (codec == STG_CODEC_TS_REGULAR) {
        if (len != 0) return STRATA_ECORRUPT;
        uint64_t span = (uint64_t)t_last - (uint64_t)t_first;
        if (n == 1) return span == 0 ? STRATA_OK : STRATA_ECORRUPT;
        uint64_t d = span / (n - 1);
        if (d == 0 || d * (n - 1) != span) return STRATA_ECORRUPT;
        /* The header check t_first <= t_last (signed) makes every step
         * below increasing without wrapping. */
        if (t_last < t_first) return STRATA_ECORRUPT;
        uint64_t t = (uint64_t)t_first;
        for (uint32_t i = 1; i < n; i++) {
            t += d;
            ts[i] = (int64_t)t;
        }
        return STRATA_OK;
    }
    int xf;
    if (codec == STG_CODEC_TS_DELTA)
        xf = STG__X_DFOR;
    else if (codec == STG_CODEC_TS_DOD)
        xf = STG__X_DDZZ;
    else
        return STRATA_ECORRUPT;
    if (n == 1) return STRATA_ECORRUPT; /* the encoder writes REGULAR for one point */
    const uint8_t *q = p, *end = p + len;
    stg__xst seed = {(uint64_t)t_first, 0};
    int rc = stg__pack_read_increasing(&q, end, n - 1, seed, xf, (uint64_t *)(ts + 1));
    if (rc != STRATA_OK || q != end || ts[n - 1] != t_last) return STRATA_ECORRUPT;
    return STRATA_OK;
}
