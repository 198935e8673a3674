/*
 * storage/codec_bool.c: the value section of bool chunks.
 *
 *   CONST  nothing: all false (header ntrue == 0) or all true (== count).
 *   BITS   ceil(count / 8) bytes, value i at bit i % 8 of byte i / 8; the
 *          unused high bits of the last byte are zero.
 *   RLE    1 byte: the first value (0 or 1); LEB128 nruns (1..count); then
 *          the nruns run lengths minus one, bit-packed (codec_pack.c, FOR).
 *          Runs alternate starting with the first value. Status flags that
 *          rarely flip cost a few bytes per chunk.
 *
 * The decoder checks that the number of true values matches the header's
 * ntrue, so aggregations on the statistics agree with the data.
 */
#include "storage/codec_int.h"

#include <string.h>

#include "common/bytes.h"
#include "storage/bits_int.h"
#include "storage/chunk.h"

size_t stg__bool_bound(uint32_t n)
{
    return ((size_t)n + 7) / 8;
}

/* Block source of run lengths minus one; keeps a cursor into the values. */
typedef struct run_src {
    const uint64_t *v;
    uint32_t n, pos;
} run_src;

static void run_fill(void *ctx, uint32_t start, unsigned cnt, uint64_t *x)
{
    run_src *s = ctx;
    if (start == 0) s->pos = 0;
    for (unsigned k = 0; k < cnt; k++) {
        uint32_t b = s->pos, e = b + 1;
        while (e < s->n && s->v[e] == s->v[b])
            e++;
        x[k] = e - b - 1;
        s->pos = e;
    }
}

int stg__bool_encode(const uint64_t *v, uint32_t n, uint32_t ntrue, uint8_t *out, size_t cap,
                     size_t *used, uint8_t *codec)
{
    *used = 0;
    if (ntrue == 0 || ntrue == n) {
        *codec = STG_CODEC_CONST;
        return STRATA_OK;
    }
    size_t bits = ((size_t)n + 7) / 8;
    uint32_t nruns = 1;
    for (uint32_t i = 1; i < n; i++)
        nruns += v[i] != v[i - 1];
    run_src rs = {v, n, 0};
    stg__xst seed = {0, 0};
    size_t cost[STG__X_COUNT];
    stg__pack_costs(run_fill, &rs, nruns, seed, 1u << STG__X_FOR, 0, cost);
    size_t rle = 1 + stg__varint_len(nruns) + cost[STG__X_FOR];
    if (rle < bits) {
        if (cap < rle) return STRATA_EINVAL;
        out[0] = (uint8_t)v[0];
        size_t h = 1 + strata_varint_put(out + 1, nruns);
        size_t w = stg__pack_write(run_fill, &rs, nruns, seed, STG__X_FOR, 0, out + h, cap - h);
        if (w == SIZE_MAX) return STRATA_EINVAL;
        *used = h + w;
        *codec = STG_CODEC_BOOL_RLE;
        return STRATA_OK;
    }
    if (cap < bits) return STRATA_EINVAL;
    memset(out, 0, bits);
    for (uint32_t i = 0; i < n; i++)
        out[i >> 3] |= (uint8_t)(v[i] << (i & 7));
    *used = bits;
    *codec = STG_CODEC_BOOL_BITS;
    return STRATA_OK;
}

int stg__bool_decode(unsigned codec, const uint8_t *p, size_t len, uint32_t ntrue, uint32_t n,
                     uint64_t *v)
{
    uint64_t ones = 0;
    switch (codec) {
    case STG_CODEC_CONST:
        if (len != 0 || (ntrue != 0 && ntrue != n)) return STRATA_ECORRUPT;
        for (uint32_t i = 0; i < n; i++)
            v[i] = ntrue ? 1 : 0;
        return STRATA_OK;
    case STG_CODEC_BOOL_BITS:
        if (len != ((size_t)n + 7) / 8 || (n & 7 && p[len - 1] >> (n & 7))) return STRATA_ECORRUPT;
        for (uint32_t i = 0; i < n; i++)
            ones += v[i] = (p[i >> 3] >> (i & 7)) & 1;
        return ones == ntrue ? STRATA_OK : STRATA_ECORRUPT;
    case STG_CODEC_BOOL_RLE: {
        const uint8_t *end = p + len;
        if (len < 2 || p[0] > 1) return STRATA_ECORRUPT;
        uint64_t bit = p[0], nruns;
        size_t k = strata_varint_get(p + 1, end, &nruns);
        if (!k || nruns == 0 || nruns > n) return STRATA_ECORRUPT;
        p += 1 + k;
        stg__xst seed = {0, 0};
        if (stg__pack_read(&p, end, (uint32_t)nruns, seed, STG__X_FOR, v) != STRATA_OK || p != end)
            return STRATA_ECORRUPT;
        /* Check the run lengths add up to n before expanding. */
        uint64_t total = 0;
        for (uint64_t r = 0; r < nruns; r++) {
            if (v[r] >= n) return STRATA_ECORRUPT;
            total += v[r] + 1;
            if ((r & 1) == (bit ? 0 : 1)) ones += v[r] + 1;
        }
        if (total != n || ones != ntrue) return STRATA_ECORRUPT;
        /* Expand in place from the back: run r is written at or after index
         * r (every earlier run is at least one long), so the lengths not yet
         * read are never overwritten. */
        uint32_t pos = n;
        for (uint64_t r = nruns; r-- > 0;) {
            uint32_t rl = (uint32_t)v[r] + 1;
            uint64_t b = (r & 1) ? !bit : bit;
            pos -= rl;
            for (uint32_t i = 0; i < rl; i++)
                v[pos + i] = b;
        }
        return STRATA_OK;
    }
    default:
        return STRATA_ECORRUPT;
    }
}
