/*
 * storage/chunk.c: chunk header, statistics, checksum, and the dispatch to
 * the section codecs (storage/codec_*.c).
 *
 * Layout (storage/format/chunk.md has it byte by byte):
 *
 *   magic 0xC7 | version | type | ts_codec | val_codec
 *   LEB128 count | LEB128 zigzag(t_first) | LEB128 (t_last - t_first)
 *   statistics, by type (float: min, max, sum as 8-byte LE bit patterns;
 *     int: zigzag min, max - min, zigzag sum; uint: min, max - min, sum;
 *     bool: ntrue; string: str_bytes; all LEB128)
 *   LEB128 ts_len | LEB128 val_len
 *   timestamp section (ts_len bytes) | value section (val_len bytes)
 *   XXH3_64bits of every byte before it, 8 bytes LE
 *
 * The checksum sits at a fixed place (the last 8 bytes) so that it can be
 * verified before anything else is parsed: a flipped version byte reads as
 * corruption, not as a future format. The header is parsed explicitly with
 * bounds checks; no struct is mapped onto the bytes.
 *
 * Encoding writes both sections at a fixed offset (HDR_MAX) into the output,
 * builds the header once their lengths are known, then slides the sections
 * down behind it: one pass per section and no scratch buffer.
 */
#include "storage/chunk.h"

#include <math.h>
#include <string.h>

#include <xxhash.h>

#include "common/bytes.h"
#include "storage/bits_int.h"
#include "storage/codec_int.h"

#define CHUNK_MAGIC 0xC7
#define HDR_FIXED 5
#define HDR_MAX 96 /* 5 fixed + 3 count + 2 x 10 time + 30 stats + 2 x 10 lengths = 78 */
#define CSUM_BYTES 8
#define CANON_NAN 0x7ff8000000000000ull

_Static_assert(HDR_MAX >= HDR_FIXED + 3 + 20 + 30 + 20, "HDR_MAX below the longest header");
_Static_assert(sizeof(double) == 8 && sizeof(uint64_t) == 8, "8-byte value slots");

const char *stg_codec_name(unsigned id)
{
    static const char *const names[] = {
        [STG_CODEC_TS_REGULAR] = "ts-regular", [STG_CODEC_TS_DELTA] = "ts-delta",
        [STG_CODEC_TS_DOD] = "ts-dod",         [STG_CODEC_CONST] = "const",
        [STG_CODEC_INT_FOR] = "int-for",       [STG_CODEC_INT_DELTA] = "int-delta",
        [STG_CODEC_INT_DFOR] = "int-dfor",     [STG_CODEC_INT_DOD] = "int-dod",
        [STG_CODEC_INT_VARINT] = "int-varint", [STG_CODEC_F_GORILLA] = "f-gorilla",
        [STG_CODEC_F_DECIMAL] = "f-decimal",   [STG_CODEC_F_RAW] = "f-raw",
        [STG_CODEC_BOOL_BITS] = "bool-bits",   [STG_CODEC_BOOL_RLE] = "bool-rle",
        [STG_CODEC_STR_PLAIN] = "str-plain",   [STG_CODEC_STR_LZ4] = "str-lz4",
        [STG_CODEC_STR_DICT] = "str-dict",     [STG_CODEC_F_DEC_RICE] = "f-dec-rice",
        [STG_CODEC_INT_RICE] = "int-rice",
    };
    if (id >= sizeof names / sizeof names[0] || !names[id]) return "?";
    return names[id];
}

static int type_ok(int t)
{
    return t >= STG_FLOAT && t <= STG_STRING;
}

static int ts_codec_ok(unsigned c)
{
    return c >= STG_CODEC_TS_REGULAR && c <= STG_CODEC_TS_DOD;
}

static int val_codec_ok(stg_type t, unsigned c)
{
    switch (t) {
    case STG_FLOAT:
        return c == STG_CODEC_CONST || (c >= STG_CODEC_F_GORILLA && c <= STG_CODEC_F_RAW) ||
               c == STG_CODEC_INT_FOR || c == STG_CODEC_INT_DELTA || c == STG_CODEC_INT_DFOR ||
               c == STG_CODEC_F_DEC_RICE;
    case STG_INT:
    case STG_UINT:
        return (c >= STG_CODEC_CONST && c <= STG_CODEC_INT_VARINT) || c == STG_CODEC_INT_RICE;
    case STG_BOOL:
        return c == STG_CODEC_CONST || c == STG_CODEC_BOOL_BITS || c == STG_CODEC_BOOL_RLE;
    case STG_STRING:
        return c >= STG_CODEC_STR_PLAIN && c <= STG_CODEC_STR_DICT;
    }
    return 0;
}

static size_t val_bound(stg_type type, uint32_t count, size_t str_bytes)
{
    switch (type) {
    case STG_FLOAT:
        return stg__f64_bound(count);
    case STG_INT:
    case STG_UINT:
        return stg__i64_bound(count);
    case STG_BOOL:
        return stg__bool_bound(count);
    case STG_STRING:
        return stg__str_bound(count, str_bytes);
    }
    return 0;
}

size_t stg_chunk_bound(stg_type type, uint32_t count, size_t str_bytes)
{
    return HDR_MAX + stg__ts_bound(count) + val_bound(type, count, str_bytes) + CSUM_BYTES;
}

/* ---- statistics -------------------------------------------------------- */

static void stats_f64(const uint64_t *v, uint32_t n, stg_chunk_info *in)
{
    double mn = 0, mx = 0, sum = 0;
    int any = 0;
    for (uint32_t i = 0; i < n; i++) {
        double d = stg_val_to_f64(v[i]);
        if (isnan(d)) continue;
        sum += d;
        if (!any) {
            mn = mx = d;
            any = 1;
        } else {
            if (d < mn) mn = d;
            if (d > mx) mx = d;
        }
    }
    in->min = any ? stg_val_from_f64(mn) : CANON_NAN;
    in->max = any ? stg_val_from_f64(mx) : CANON_NAN;
    in->sum = stg_val_from_f64(sum);
}

static void stats_i64(const uint64_t *v, uint32_t n, int is_signed, stg_chunk_info *in)
{
    uint64_t sum = 0, mn = v[0], mx = v[0];
    if (is_signed) {
        for (uint32_t i = 0; i < n; i++) {
            sum += v[i];
            mn = (int64_t)v[i] < (int64_t)mn ? v[i] : mn;
            mx = (int64_t)v[i] > (int64_t)mx ? v[i] : mx;
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            sum += v[i];
            mn = v[i] < mn ? v[i] : mn;
            mx = v[i] > mx ? v[i] : mx;
        }
    }
    in->min = mn;
    in->max = mx;
    in->sum = sum;
}

/* ---- header ------------------------------------------------------------ */

/* Write the header for info and the section lengths into h. @return its length. */
static size_t hdr_write(uint8_t *h, const stg_chunk_info *in, size_t tsl, size_t vl)
{
    uint8_t *p = h;
    *p++ = CHUNK_MAGIC;
    *p++ = STG_CHUNK_VERSION;
    *p++ = (uint8_t)in->type;
    *p++ = in->ts_codec;
    *p++ = in->val_codec;
    p += strata_varint_put(p, in->count);
    p += strata_varint_put(p, strata_zigzag64(in->t_first));
    p += strata_varint_put(p, (uint64_t)in->t_last - (uint64_t)in->t_first);
    switch (in->type) {
    case STG_FLOAT:
        strata_put_le64(p, in->min);
        strata_put_le64(p + 8, in->max);
        strata_put_le64(p + 16, in->sum);
        p += 24;
        break;
    case STG_INT:
        p += strata_varint_put(p, strata_zigzag64((int64_t)in->min));
        p += strata_varint_put(p, in->max - in->min);
        p += strata_varint_put(p, strata_zigzag64((int64_t)in->sum));
        break;
    case STG_UINT:
        p += strata_varint_put(p, in->min);
        p += strata_varint_put(p, in->max - in->min);
        p += strata_varint_put(p, in->sum);
        break;
    case STG_BOOL:
        p += strata_varint_put(p, in->sum);
        break;
    case STG_STRING:
        p += strata_varint_put(p, in->str_bytes);
        break;
    }
    p += strata_varint_put(p, tsl);
    p += strata_varint_put(p, vl);
    return (size_t)(p - h);
}

#define CORRUPT(...) strata_error_set(err, STRATA_ECORRUPT, "corrupt chunk: " __VA_ARGS__)

/* Read one LEB128 or fail with a message naming the field. */
#define GETV(var, what)                                                                            \
    do {                                                                                           \
        size_t k_ = strata_varint_get(p, end, &(var));                                             \
        if (!k_)                                                                                   \
            return CORRUPT("%s at byte %zu is truncated or malformed", what, (size_t)(p - blob));  \
        p += k_;                                                                                   \
    } while (0)

/*
 * Parse and validate the header of a len-byte blob (checksum not verified).
 * *hl receives the header length, *tsl and *vl the section lengths.
 */
static int hdr_parse(const uint8_t *blob, size_t len, stg_chunk_info *in, size_t *hl, size_t *tsl,
                     size_t *vl, strata_error *err)
{
    if (len < HDR_FIXED + 3 + CSUM_BYTES)
        return CORRUPT("%zu bytes is shorter than any chunk", len);
    if (blob[0] != CHUNK_MAGIC)
        return CORRUPT("magic byte is 0x%02x, expected 0x%02x", blob[0], CHUNK_MAGIC);
    if (blob[1] != STG_CHUNK_VERSION)
        return strata_error_set(err, STRATA_EVERSION,
                                "chunk format version %u is not supported (this build reads %u)",
                                blob[1], STG_CHUNK_VERSION);
    memset(in, 0, sizeof *in);
    if (!type_ok(blob[2])) return CORRUPT("unknown type %u", blob[2]);
    in->type = (stg_type)blob[2];
    in->ts_codec = blob[3];
    in->val_codec = blob[4];
    if (!ts_codec_ok(in->ts_codec)) return CORRUPT("unknown timestamp codec %u", in->ts_codec);
    if (!val_codec_ok(in->type, in->val_codec))
        return CORRUPT("codec %u is not a %s value codec", in->val_codec, stg_type_name(in->type));

    const uint8_t *p = blob + HDR_FIXED, *end = blob + len - CSUM_BYTES;
    uint64_t count, zt, span, a, b, c, ts_len, val_len;
    GETV(count, "count");
    if (count == 0 || count > STG_CHUNK_MAX_POINTS)
        return CORRUPT("count %llu outside 1..%u", (unsigned long long)count, STG_CHUNK_MAX_POINTS);
    GETV(zt, "t_first");
    GETV(span, "time span");
    in->count = (uint32_t)count;
    in->t_first = strata_unzigzag64(zt);
    /* Strictly increasing timestamps: at least 1 ns per step, no wrap. */
    if (span < count - 1 || span > (uint64_t)INT64_MAX - (uint64_t)in->t_first)
        return CORRUPT("time span %llu impossible for %llu points from %lld",
                       (unsigned long long)span, (unsigned long long)count, (long long)in->t_first);
    in->t_last = (int64_t)((uint64_t)in->t_first + span);

    switch (in->type) {
    case STG_FLOAT:
        if (end - p < 24)
            return CORRUPT("float statistics truncated at byte %zu", (size_t)(p - blob));
        in->min = strata_get_le64(p);
        in->max = strata_get_le64(p + 8);
        in->sum = strata_get_le64(p + 16);
        p += 24;
        break;
    case STG_INT:
        GETV(a, "min");
        GETV(b, "max - min");
        GETV(c, "sum");
        in->min = (uint64_t)strata_unzigzag64(a);
        if (b > (uint64_t)INT64_MAX - in->min)
            return CORRUPT("max - min %llu overflows int64", (unsigned long long)b);
        in->max = in->min + b;
        in->sum = (uint64_t)strata_unzigzag64(c);
        break;
    case STG_UINT:
        GETV(a, "min");
        GETV(b, "max - min");
        GETV(c, "sum");
        if (b > UINT64_MAX - a)
            return CORRUPT("max - min %llu overflows uint64", (unsigned long long)b);
        in->min = a;
        in->max = a + b;
        in->sum = c;
        break;
    case STG_BOOL:
        GETV(a, "true count");
        if (a > count)
            return CORRUPT("%llu true values in %llu points", (unsigned long long)a,
                           (unsigned long long)count);
        in->sum = a;
        in->min = a == count;
        in->max = a > 0;
        break;
    case STG_STRING:
        GETV(a, "string bytes");
        if (a > UINT32_MAX)
            return CORRUPT("string bytes %llu above 32 bits", (unsigned long long)a);
        in->str_bytes = (uint32_t)a;
        break;
    }
    GETV(ts_len, "timestamp section length");
    GETV(val_len, "value section length");
    size_t room = (size_t)(end - p);
    if (ts_len > room || val_len != room - ts_len)
        return CORRUPT("sections of %llu + %llu bytes do not fill the %zu bytes after the header",
                       (unsigned long long)ts_len, (unsigned long long)val_len, room);
    if (len > UINT32_MAX) return CORRUPT("%zu bytes is larger than any chunk", len);
    in->blob_bytes = (uint32_t)len;
    *hl = (size_t)(p - blob);
    *tsl = (size_t)ts_len;
    *vl = (size_t)val_len;
    return STRATA_OK;
}

static int csum_check(const uint8_t *blob, size_t len, strata_error *err)
{
    if (len < HDR_FIXED + 3 + CSUM_BYTES)
        return CORRUPT("%zu bytes is shorter than any chunk", len);
    uint64_t want = strata_get_le64(blob + len - CSUM_BYTES);
    uint64_t got = XXH3_64bits(blob, len - CSUM_BYTES);
    if (want != got)
        return CORRUPT("checksum mismatch over %zu bytes (stored %016llx, computed %016llx)", len,
                       (unsigned long long)want, (unsigned long long)got);
    return STRATA_OK;
}

int stg_chunk_info_peek(const uint8_t *blob, size_t len, stg_chunk_info *info, strata_error *err)
{
    size_t hl, tsl, vl;
    if (!blob) return CORRUPT("no data");
    return hdr_parse(blob, len, info, &hl, &tsl, &vl, err);
}

int stg_chunk_info_read(const uint8_t *blob, size_t len, stg_chunk_info *info, strata_error *err)
{
    if (!blob) return CORRUPT("no data");
    int rc = csum_check(blob, len, err);
    if (rc != STRATA_OK) return rc;
    return stg_chunk_info_peek(blob, len, info, err);
}

/* ---- encode / decode --------------------------------------------------- */

int stg_chunk_encode(stg_type type, const int64_t *ts, const uint64_t *vals, const uint8_t *strbuf,
                     uint32_t count, uint8_t *out, size_t cap, size_t *used, strata_error *err)
{
    stg_chunk_info in;
    memset(&in, 0, sizeof in);
    *used = 0;
    if (!type_ok(type))
        return strata_error_set(err, STRATA_EINVAL, "chunk encode: unknown type %d", (int)type);
    if (count == 0 || count > STG_CHUNK_MAX_POINTS)
        return strata_error_set(err, STRATA_EINVAL, "chunk encode: count %u outside 1..%u", count,
                                STG_CHUNK_MAX_POINTS);
    for (uint32_t i = 1; i < count; i++)
        if (ts[i] <= ts[i - 1])
            return strata_error_set(err, STRATA_EINVAL,
                                    "chunk encode: timestamp %u (%lld) is not after the previous "
                                    "one (%lld)",
                                    i, (long long)ts[i], (long long)ts[i - 1]);
    in.type = type;
    in.count = count;
    in.t_first = ts[0];
    in.t_last = ts[count - 1];

    uint64_t str_total = 0;
    switch (type) {
    case STG_FLOAT:
        stats_f64(vals, count, &in);
        break;
    case STG_INT:
        stats_i64(vals, count, 1, &in);
        break;
    case STG_UINT:
        stats_i64(vals, count, 0, &in);
        break;
    case STG_BOOL:
        for (uint32_t i = 0; i < count; i++) {
            if (vals[i] > 1)
                return strata_error_set(err, STRATA_EINVAL,
                                        "chunk encode: bool value %u is %llu, not 0 or 1", i,
                                        (unsigned long long)vals[i]);
            in.sum += vals[i];
        }
        in.min = in.sum == count;
        in.max = in.sum > 0;
        break;
    case STG_STRING:
        for (uint32_t i = 0; i < count; i++)
            str_total += stg_val_str_len(vals[i]);
        if (str_total > UINT32_MAX)
            return strata_error_set(err, STRATA_EINVAL,
                                    "chunk encode: %llu string bytes exceed a chunk's 4 GiB",
                                    (unsigned long long)str_total);
        if (str_total && !strbuf)
            return strata_error_set(err, STRATA_EINVAL, "chunk encode: no string buffer");
        in.str_bytes = (uint32_t)str_total;
        break;
    }

    size_t bound = stg_chunk_bound(type, count, str_total);
    if (cap < bound)
        return strata_error_set(err, STRATA_EINVAL,
                                "chunk encode: output buffer of %zu bytes is below "
                                "stg_chunk_bound() = %zu",
                                cap, bound);
    size_t tsl = 0, vl = 0;
    uint8_t *sec = out + HDR_MAX;
    size_t room = cap - HDR_MAX - CSUM_BYTES;
    int rc = stg__ts_encode(ts, count, sec, room, &tsl, &in.ts_codec);
    if (rc == STRATA_OK) {
        uint8_t *vs = sec + tsl;
        room -= tsl;
        switch (type) {
        case STG_FLOAT:
            rc = stg__f64_encode(vals, count, vs, room, &vl, &in.val_codec);
            break;
        case STG_INT:
        case STG_UINT:
            rc = stg__i64_encode(type == STG_INT, vals, count, in.min, in.max, vs, room, &vl,
                                 &in.val_codec);
            break;
        case STG_BOOL:
            rc = stg__bool_encode(vals, count, (uint32_t)in.sum, vs, room, &vl, &in.val_codec);
            break;
        case STG_STRING:
            rc = stg__str_encode(vals, strbuf, count, in.str_bytes, vs, room, &vl, &in.val_codec);
            break;
        }
    }
    if (rc == STRATA_ENOMEM)
        return strata_error_set(err, rc, "chunk encode: out of memory for the string LZ4 trial");
    if (rc != STRATA_OK)
        return strata_error_set(err, STRATA_EINTERNAL,
                                "chunk encode: a section overflowed its bound (%s, %u points)",
                                stg_type_name(type), count);

    uint8_t hdr[HDR_MAX];
    size_t hl = hdr_write(hdr, &in, tsl, vl);
    memmove(out + hl, sec, tsl + vl);
    memcpy(out, hdr, hl);
    size_t total = hl + tsl + vl;
    strata_put_le64(out + total, XXH3_64bits(out, total));
    *used = total + CSUM_BYTES;
    return STRATA_OK;
}

int stg_chunk_decode(const uint8_t *blob, size_t len, int64_t *ts, uint64_t *vals, uint8_t *strbuf,
                     size_t strcap, uint32_t *count, strata_error *err)
{
    stg_chunk_info in;
    size_t hl, tsl, vl;
    *count = 0;
    if (!blob) return CORRUPT("no data");
    int rc = csum_check(blob, len, err);
    if (rc != STRATA_OK) return rc;
    rc = hdr_parse(blob, len, &in, &hl, &tsl, &vl, err);
    if (rc != STRATA_OK) return rc;
    if (in.type == STG_STRING && (strcap < in.str_bytes || (in.str_bytes && !strbuf)))
        return strata_error_set(err, STRATA_EINVAL,
                                "chunk decode: string buffer of %zu bytes, chunk needs %u", strcap,
                                in.str_bytes);
    const uint8_t *tsp = blob + hl, *vp = tsp + tsl;
    if (stg__ts_decode(in.ts_codec, tsp, tsl, in.t_first, in.t_last, in.count, ts) != STRATA_OK)
        return CORRUPT("timestamp section (%s, %zu bytes) does not decode to %u increasing "
                       "timestamps",
                       stg_codec_name(in.ts_codec), tsl, in.count);
    switch (in.type) {
    case STG_FLOAT:
        rc = stg__f64_decode(in.val_codec, vp, vl, in.count, vals);
        break;
    case STG_INT:
    case STG_UINT:
        rc = stg__i64_decode(in.type == STG_INT, in.val_codec, vp, vl, in.min, in.count, vals);
        break;
    case STG_BOOL:
        rc = stg__bool_decode(in.val_codec, vp, vl, (uint32_t)in.sum, in.count, vals);
        break;
    case STG_STRING:
        rc = stg__str_decode(in.val_codec, vp, vl, in.count, in.str_bytes, vals, strbuf);
        break;
    }
    if (rc != STRATA_OK)
        return CORRUPT("value section (%s, %zu bytes) does not decode to %u %s values",
                       stg_codec_name(in.val_codec), vl, in.count, stg_type_name(in.type));
    *count = in.count;
    return STRATA_OK;
}
