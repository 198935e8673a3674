/*
 * tests/fuzz/fuzz_chunk.c: libFuzzer target for the decoders of stored data:
 * column chunks (stg_chunk_info_read, stg_chunk_decode) and head streams
 * (stg_stream_decode). Chunks come from disk and streams from memory copies,
 * so neither may crash or read out of bounds on any input.
 *
 * Input: byte 0 selects the decoder (even: chunk; odd: stream of type
 * 1 + (byte0 / 2) % 5 with a count from bytes 1-2); the rest is the blob.
 * A chunk that decodes is re-encoded and must decode to the same points.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/chunk.h"
#include "storage/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_chunk(const uint8_t *blob, size_t len)
{
    stg_chunk_info info;
    if (stg_chunk_info_read(blob, len, &info, NULL) != STRATA_OK) return;
    if (info.count == 0 || info.count > STG_CHUNK_MAX_POINTS) abort();
    int64_t *ts = malloc(info.count * sizeof *ts), *ts2 = malloc(info.count * sizeof *ts2);
    uint64_t *vals = malloc(info.count * sizeof *vals), *vals2 = malloc(info.count * sizeof *vals2);
    uint8_t *str = malloc((size_t)info.str_bytes + 1), *str2 = malloc((size_t)info.str_bytes + 1);
    size_t bound = stg_chunk_bound(info.type, info.count, info.str_bytes), used = 0;
    uint8_t *out = malloc(bound);
    uint32_t n = 0, n2 = 0;
    if (stg_chunk_decode(blob, len, ts, vals, str, (size_t)info.str_bytes + 1, &n, NULL) ==
        STRATA_OK) {
        if (n != info.count) abort();
        /* What decodes must encode and decode back to the same points. */
        if (stg_chunk_encode(info.type, ts, vals, str, n, out, bound, &used, NULL) != STRATA_OK)
            abort();
        if (stg_chunk_decode(out, used, ts2, vals2, str2, (size_t)info.str_bytes + 1, &n2, NULL) !=
                STRATA_OK ||
            n2 != n || memcmp(ts, ts2, n * sizeof *ts) != 0)
            abort();
        for (uint32_t i = 0; i < n; i++) {
            if (info.type != STG_STRING) {
                if (vals[i] != vals2[i]) abort();
            } else if (stg_val_str_len(vals[i]) != stg_val_str_len(vals2[i]) ||
                       memcmp(str + stg_val_str_off(vals[i]), str2 + stg_val_str_off(vals2[i]),
                              stg_val_str_len(vals[i])) != 0) {
                abort();
            }
        }
    }
    free(ts);
    free(ts2);
    free(vals);
    free(vals2);
    free(str);
    free(str2);
    free(out);
}

static void check_stream(stg_type type, uint32_t count, const uint8_t *buf, size_t len)
{
    int64_t *ts = malloc((count + 1) * sizeof *ts);
    uint64_t *vals = malloc((count + 1) * sizeof *vals);
    size_t cap = len + 1, used = 0;
    uint8_t *str = malloc(cap);
    stg_stream_decode(type, buf, len, count, ts, vals, str, cap, &used);
    if (used > cap) abort();
    free(ts);
    free(vals);
    free(str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if ((data[0] & 1) == 0) {
        /* Copy so that ASan sees reads past the exact end of the blob. */
        uint8_t *blob = malloc(size - 1 ? size - 1 : 1);
        memcpy(blob, data + 1, size - 1);
        check_chunk(blob, size - 1);
        free(blob);
        return 0;
    }
    if (size < 3) return 0;
    stg_type type = (stg_type)(1 + (data[0] / 2) % 5);
    uint32_t count = (uint32_t)data[1] | (uint32_t)data[2] << 8;
    uint8_t *buf = malloc(size - 3 ? size - 3 : 1);
    memcpy(buf, data + 3, size - 3);
    check_stream(type, count, buf, size - 3);
    free(buf);
    return 0;
}
