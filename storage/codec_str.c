/*
 * storage/codec_str.c: the value section of string chunks.
 *
 * The header carries str_bytes, the sum of the string lengths.
 *
 * "seq" below is a packed integer sequence: 1 byte transform (0 = FOR, the
 * values; 1 = DZZ, zigzag deltas, for runs) then codec_pack.c blocks.
 *
 *   STR_PLAIN  the count lengths as a seq, then the str_bytes bytes of the
 *              strings one after the other.
 *   STR_LZ4    the lengths as above, then one LZ4 block (liblz4's block
 *              format) that decompresses to exactly those str_bytes bytes.
 *   STR_DICT   LEB128 ndict (1..256), the ndict entry lengths as a seq, the
 *              entry bytes one after the other, then the count entry indices
 *              (0..ndict-1) as a seq. For status strings and other small
 *              vocabularies: long runs of one value cost a few bytes per 128
 *              points.
 *
 * All candidates are sized (LZ4 by compressing into a buffer that must come
 * out smaller than the best so far) and the smallest is written. Decoded
 * slots point into the caller's strbuf: for PLAIN and LZ4 the strings are
 * laid out in order; for DICT each entry is written once and slots of equal
 * strings share it (so fewer than str_bytes bytes are used).
 */
#include "storage/codec_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <xxhash.h>

#include "common/bytes.h"
#include "storage/bits_int.h"
#include "storage/chunk.h"
#include "storage/types.h"

#define DICT_MAX 256
#define DICT_SLOTS 1024 /* open addressing, load <= 1/4 */

size_t stg__str_bound(uint32_t n, size_t str_bytes)
{
    return stg__pack_bound(n) + str_bytes + 16;
}

static void len_fill(void *ctx, uint32_t start, unsigned n, uint64_t *x)
{
    const uint64_t *v = (const uint64_t *)ctx + start;
    for (unsigned i = 0; i < n; i++)
        x[i] = stg_val_str_len(v[i]);
}

static void u32_fill(void *ctx, uint32_t start, unsigned n, uint64_t *x)
{
    const uint32_t *v = (const uint32_t *)ctx + start;
    for (unsigned i = 0; i < n; i++)
        x[i] = v[i];
}

static void u8_fill(void *ctx, uint32_t start, unsigned n, uint64_t *x)
{
    const uint8_t *v = (const uint8_t *)ctx + start;
    for (unsigned i = 0; i < n; i++)
        x[i] = v[i];
}

/*
 * A packed integer sequence preceded by one byte naming its transform: FOR
 * for lengths and indices that vary freely, DZZ (zigzag deltas) when they
 * come in runs, where nearly every delta is zero.
 */
static size_t seq_cost(stg__fill_fn fill, void *ctx, uint32_t n, int *xf)
{
    size_t cost[STG__X_COUNT];
    stg__xst seed = {0, 0};
    stg__pack_costs(fill, ctx, n, seed, (1u << STG__X_FOR) | (1u << STG__X_DZZ), 0, cost);
    *xf = cost[STG__X_DZZ] < cost[STG__X_FOR] ? STG__X_DZZ : STG__X_FOR;
    return 1 + cost[*xf];
}

static size_t seq_write(stg__fill_fn fill, void *ctx, uint32_t n, int xf, uint8_t *out, size_t cap)
{
    stg__xst seed = {0, 0};
    if (cap < 1) return SIZE_MAX;
    out[0] = (uint8_t)xf;
    size_t w = stg__pack_write(fill, ctx, n, seed, xf, 0, out + 1, cap - 1);
    return w == SIZE_MAX ? SIZE_MAX : w + 1;
}

static int seq_read(const uint8_t **pp, const uint8_t *end, uint32_t n, uint64_t *out)
{
    stg__xst seed = {0, 0};
    if (*pp >= end || (**pp != STG__X_FOR && **pp != STG__X_DZZ)) return STRATA_ECORRUPT;
    int xf = *(*pp)++;
    return stg__pack_read(pp, end, n, seed, xf, out);
}

typedef struct dict {
    uint32_t n;
    uint32_t off[DICT_MAX], len[DICT_MAX];
    uint64_t hash[DICT_MAX];
    uint16_t slot[DICT_SLOTS]; /* entry + 1, 0 when free */
} dict;

/* Map every string to a dictionary entry. @return 0, or -1 past DICT_MAX entries. */
static int dict_build(const uint64_t *v, const uint8_t *sb, uint32_t n, dict *d, uint8_t *idx)
{
    d->n = 0;
    memset(d->slot, 0, sizeof d->slot);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = stg_val_str_off(v[i]), len = stg_val_str_len(v[i]);
        const uint8_t *s = sb + off;
        if (i) { /* runs of one value are the common case: no hashing */
            uint32_t pl = stg_val_str_len(v[i - 1]);
            if (pl == len &&
                (v[i] == v[i - 1] || !memcmp(sb + stg_val_str_off(v[i - 1]), s, len))) {
                idx[i] = idx[i - 1];
                continue;
            }
        }
        uint64_t h = XXH3_64bits(s, len);
        unsigned k = (unsigned)h & (DICT_SLOTS - 1);
        for (;;) {
            unsigned e = d->slot[k];
            if (!e) {
                if (d->n == DICT_MAX) return -1;
                e = d->n++;
                d->off[e] = off;
                d->len[e] = len;
                d->hash[e] = h;
                d->slot[k] = (uint16_t)(e + 1);
                idx[i] = (uint8_t)e;
                break;
            }
            e--;
            if (d->hash[e] == h && d->len[e] == len && !memcmp(sb + d->off[e], s, len)) {
                idx[i] = (uint8_t)e;
                break;
            }
            k = (k + 1) & (DICT_SLOTS - 1);
        }
    }
    return 0;
}

int stg__str_encode(const uint64_t *v, const uint8_t *strbuf, uint32_t n, uint32_t str_bytes,
                    uint8_t *out, size_t cap, size_t *used, uint8_t *codec)
{
    int rc = STRATA_OK;
    uint8_t *idx = NULL, *scratch = NULL;
    dict *d = NULL;
    void *vsrc = (void *)(uintptr_t)v;
    *used = 0;

    int lens_xf, dlens_xf = 0, idx_xf = 0;
    size_t cl = seq_cost(len_fill, vsrc, n, &lens_xf);
    size_t best = cl + str_bytes, dict_cost = SIZE_MAX, lz4_len = 0;
    int choice = STG_CODEC_STR_PLAIN;

    if (n >= 2) {
        idx = malloc(n);
        d = malloc(sizeof *d);
        if (!idx || !d) {
            rc = STRATA_ENOMEM;
            goto fail;
        }
        if (dict_build(v, strbuf, n, d, idx) == 0) {
            size_t dbytes = 0;
            for (uint32_t e = 0; e < d->n; e++)
                dbytes += d->len[e];
            dict_cost = stg__varint_len(d->n) + seq_cost(u32_fill, d->len, d->n, &dlens_xf) +
                        dbytes + seq_cost(u8_fill, idx, n, &idx_xf);
            if (dict_cost < best) {
                best = dict_cost;
                choice = STG_CODEC_STR_DICT;
            }
        }
    }

    /* LZ4 of the concatenated bytes, kept only if it beats the best so far. */
    if (str_bytes >= 64 && str_bytes <= INT_MAX && best > cl + 16) {
        const uint8_t *src = NULL;
        uint32_t off0 = stg_val_str_off(v[0]), pos = off0;
        int contiguous = 1;
        for (uint32_t i = 0; i < n && contiguous; i++) {
            contiguous = stg_val_str_off(v[i]) == pos;
            pos += stg_val_str_len(v[i]);
        }
        size_t room = best - cl - 1;
        scratch = malloc(room + (contiguous ? 0 : str_bytes));
        if (!scratch) {
            rc = STRATA_ENOMEM;
            goto fail;
        }
        if (contiguous) {
            src = strbuf + off0;
        } else {
            uint8_t *q = scratch + room;
            for (uint32_t i = 0; i < n; i++) {
                memcpy(q, strbuf + stg_val_str_off(v[i]), stg_val_str_len(v[i]));
                q += stg_val_str_len(v[i]);
            }
            src = scratch + room;
        }
        int r = LZ4_compress_default((const char *)src, (char *)scratch, (int)str_bytes,
                                     room > INT_MAX ? INT_MAX : (int)room);
        if (r > 0 && cl + (size_t)r < best) {
            lz4_len = (size_t)r;
            best = cl + lz4_len;
            choice = STG_CODEC_STR_LZ4;
        }
    }

    if (cap < best) {
        rc = STRATA_EINVAL;
        goto fail;
    }
    size_t w;
    if (choice == STG_CODEC_STR_DICT) {
        /* Sizes were computed exactly and cap >= best: the writes fit. */
        uint8_t *p = out;
        p += strata_varint_put(p, d->n);
        w = seq_write(u32_fill, d->len, d->n, dlens_xf, p, cap - (size_t)(p - out));
        if (w == SIZE_MAX) {
            rc = STRATA_EINVAL;
            goto fail;
        }
        p += w;
        for (uint32_t e = 0; e < d->n; e++) {
            if (d->len[e]) memcpy(p, strbuf + d->off[e], d->len[e]);
            p += d->len[e];
        }
        w = seq_write(u8_fill, idx, n, idx_xf, p, cap - (size_t)(p - out));
        if (w == SIZE_MAX) {
            rc = STRATA_EINVAL;
            goto fail;
        }
    } else {
        w = seq_write(len_fill, vsrc, n, lens_xf, out, cap);
        if (w == SIZE_MAX) {
            rc = STRATA_EINVAL;
            goto fail;
        }
        uint8_t *p = out + w;
        if (choice == STG_CODEC_STR_LZ4) {
            memcpy(p, scratch, lz4_len);
        } else {
            for (uint32_t i = 0; i < n; i++) {
                uint32_t len = stg_val_str_len(v[i]);
                if (len) memcpy(p, strbuf + stg_val_str_off(v[i]), len);
                p += len;
            }
        }
    }
    *used = best;
    *codec = (uint8_t)choice;
fail:
    free(idx);
    free(d);
    free(scratch);
    return rc;
}

/* Read n packed lengths into v, check they add up to str_bytes. */
static int lens_read(const uint8_t **pp, const uint8_t *end, uint32_t n, uint32_t str_bytes,
                     uint64_t *v)
{
    if (seq_read(pp, end, n, v) != STRATA_OK) return STRATA_ECORRUPT;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (v[i] > UINT32_MAX) return STRATA_ECORRUPT;
        total += v[i];
    }
    return total == str_bytes ? STRATA_OK : STRATA_ECORRUPT;
}

/* Turn lengths into slots of strings laid out in order from offset 0. */
static void lens_to_slots(uint32_t n, uint64_t *v)
{
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)v[i];
        v[i] = stg_val_str(off, len);
        off += len;
    }
}

int stg__str_decode(unsigned codec, const uint8_t *p, size_t len, uint32_t n, uint32_t str_bytes,
                    uint64_t *v, uint8_t *strbuf)
{
    const uint8_t *end = p + len;
    switch (codec) {
    case STG_CODEC_STR_PLAIN:
        if (lens_read(&p, end, n, str_bytes, v) != STRATA_OK || (size_t)(end - p) != str_bytes)
            return STRATA_ECORRUPT;
        if (str_bytes) memcpy(strbuf, p, str_bytes);
        lens_to_slots(n, v);
        return STRATA_OK;
    case STG_CODEC_STR_LZ4: {
        if (lens_read(&p, end, n, str_bytes, v) != STRATA_OK || str_bytes == 0 ||
            str_bytes > INT_MAX || end - p > INT_MAX || end == p)
            return STRATA_ECORRUPT;
        int r =
            LZ4_decompress_safe((const char *)p, (char *)strbuf, (int)(end - p), (int)str_bytes);
        if (r < 0 || (uint32_t)r != str_bytes) return STRATA_ECORRUPT;
        lens_to_slots(n, v);
        return STRATA_OK;
    }
    case STG_CODEC_STR_DICT: {
        uint64_t nd, dl[DICT_MAX];
        uint32_t doff[DICT_MAX];
        size_t k = strata_varint_get(p, end, &nd);
        if (!k || nd == 0 || nd > DICT_MAX || nd > n) return STRATA_ECORRUPT;
        p += k;
        if (seq_read(&p, end, (uint32_t)nd, dl) != STRATA_OK) return STRATA_ECORRUPT;
        uint64_t dsum = 0;
        for (uint32_t e = 0; e < nd; e++) {
            if (dl[e] > str_bytes) return STRATA_ECORRUPT;
            doff[e] = (uint32_t)dsum;
            dsum += dl[e];
        }
        if (dsum > str_bytes || dsum > (uint64_t)(end - p)) return STRATA_ECORRUPT;
        if (dsum) memcpy(strbuf, p, dsum);
        p += dsum;
        if (seq_read(&p, end, n, v) != STRATA_OK || p != end) return STRATA_ECORRUPT;
        uint64_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (v[i] >= nd) return STRATA_ECORRUPT;
            total += dl[v[i]];
            v[i] = stg_val_str(doff[v[i]], (uint32_t)dl[v[i]]);
        }
        return total == str_bytes ? STRATA_OK : STRATA_ECORRUPT;
    }
    default:
        return STRATA_ECORRUPT;
    }
}
