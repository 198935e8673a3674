/*
 * storage/stream.c: incremental bit-level encoding of a column's head.
 *
 * Bit layout (LSB-first, storage/bits_int.h), per point: the timestamp, then
 * the value.
 *
 * Adaptive code for an unsigned number u ("code(u)"), with a state byte per
 * code (k, 0..63, in bits 0-5 and a run counter in bits 6-7, both 0 at the
 * start); b is the bit length of u (0 for u = 0):
 *   b <= k:  0 + k bits of u
 *   b > k:   1 + 6 bits (b - 1) + the low b - 1 bits of u (its top bit is
 *            implied)
 * then the state moves: if b > k, k grows by 1 (up to 63); if b < k four
 * times in a row, k shrinks by 1. So k settles at the usual size of the
 * values: a step of -1.00 .. +1.00 on a two-decimal gauge costs ~9 bits, a
 * regular timestamp 1 bit, and an outlier only its own escape.
 *
 * Timestamp: the first point's in 64 bits; then code(zigzag(dod)) with
 * dod = (t - t_prev) - delta_prev, delta_prev starting at 0 (wrapping).
 *
 * Float (state: the previous value; whether it is a decimal m / 10^e, see
 * storage/decimal_int.h, and then m and e; the Gorilla window):
 *   first value:  64 bits, then DEC
 *   while the previous value is a decimal at e:
 *     code(zigzag(m - m_prev)) for a value (double)m / 10^e at the same e (a
 *                 repeat is a zero delta), where the escape with b = 64
 *                 (1 + 6 one bits, never a real mantissa delta, which has
 *                 at most 55 bits) means instead:
 *     1 111111 0 GORILLA DEC, or
 *     1 111111 1 + 5 bits e' + code(zigzag(m - m'_prev)) (RESCALE): the
 *                 code moves to the smaller exponent e', at which m'_prev is
 *                 the previous value's rounded mantissa. The writer does this
 *                 after 32 values in a row that all fit at e - 1, so one value
 *                 with many digits does not lengthen every later mantissa.
 *   otherwise:
 *     0           same bits as the previous value
 *     1 GORILLA DEC
 *   GORILLA:  0 + the XOR with the previous value, its bits inside the current
 *                 window (requires one), or
 *             1 + 5 bits leading zeros (<= 31) + 6 bits (length - 1) +
 *                 length bits (new window)
 *   DEC:      0: the value is not treated as a decimal, or
 *             1 + 5 bits e (<= 18): it is (double)m / 10^e with m its rounded
 *                 mantissa; the next value is coded as a decimal
 * Int, uint: the first value in 64 bits, then code(zigzag(v - v_prev)).
 * Bool: 1 bit.
 * String: code(len), zero bits up to the next byte boundary, len bytes.
 *
 * A two-decimal gauge moving by up to 1.00 costs ~10 bits per point in all
 * (Gorilla spends ~45 on such data).
 *
 * Memory: the buffer grows through size classes 32, 40, 48, 56, 64, 80, ...
 * (four per doubling, so at most a fifth is slack); the class index lives in
 * the struct so that the struct stays at 48 bytes. Every byte past the last
 * written bit is kept zero, so a write is an OR of at most 9 bytes, and a
 * copy of the used prefix is a consistent snapshot.
 */
#include "storage/stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"
#include "storage/bits_int.h"
#include "storage/decimal_int.h"

_Static_assert(sizeof(stg_stream) <= 48, "stg_stream must stay small: one per active column");

#define DEC_ON 0x80       /* in s->dec: prev holds a mantissa at exponent dec & 31 */
#define NO_WINDOW 0xff    /* in s->g_lead */
#define TS_MAX_BITS 70    /* code() of a 64-bit number */
#define FLOAT_MAX_BITS 90 /* escape 7 + 1 + Gorilla 1 + 11 + 64 + DEC 6 */
#define GORILLA_ESCAPE 63 /* b - 1 of an escape that leaves the decimal code */
#define POINT_MAX_BITS (TS_MAX_BITS + FLOAT_MAX_BITS)
#define MAX_BITS 0xfffff000u /* about 512 MiB */

/* Buffer size of class k: 0, then 32, 40, 48, 56, 64, 80, ... (four steps per doubling). */
static size_t class_size(unsigned k)
{
    if (!k) return 0;
    size_t b = (size_t)32 << ((k - 1) >> 2);
    return b + b / 4 * ((k - 1) & 3);
}

void stg_stream_init(stg_stream *s, stg_type type)
{
    memset(s, 0, sizeof *s);
    s->type = (uint8_t)type;
    s->g_lead = NO_WINDOW;
}

void stg_stream_fini(stg_stream *s)
{
    if (!s) return;
    free(s->buf);
    s->buf = NULL;
    s->cap_class = 0;
    s->nbits = 0;
    s->count = 0;
}

uint32_t stg_stream_count(const stg_stream *s)
{
    return s->count;
}

size_t stg_stream_bytes(const stg_stream *s)
{
    return ((size_t)s->nbits + 7) / 8;
}

size_t stg_stream_alloc_bytes(const stg_stream *s)
{
    return class_size(s->cap_class);
}

const uint8_t *stg_stream_data(const stg_stream *s)
{
    return s->buf;
}

int64_t stg_stream_last_ts(const stg_stream *s)
{
    return s->last_ts;
}

uint32_t stg_stream_str_bytes(const stg_stream *s)
{
    return s->type == STG_STRING ? (uint32_t)s->prev : 0;
}

/* Make room for `need` bytes; the new tail is zeroed. */
static int grow(stg_stream *s, size_t need)
{
    size_t have = class_size(s->cap_class);
    if (need <= have) return STRATA_OK;
    unsigned k = s->cap_class;
    while (class_size(k) < need)
        k++;
    size_t sz = class_size(k);
    uint8_t *nb = realloc(s->buf, sz);
    if (!nb) return STRATA_ENOMEM;
    memset(nb + have, 0, sz - have);
    s->buf = nb;
    s->cap_class = (uint8_t)k;
    return STRATA_OK;
}

/* Append the low nb bits of v (no bits above nb), nb <= 64. Room is ensured. */
static inline void put(stg_stream *s, uint64_t v, unsigned nb)
{
    uint8_t *p = s->buf + (s->nbits >> 3);
    unsigned off = s->nbits & 7;
    stg__store64(p, stg__load64(p) | (v << off));
    if (off + nb > 64) p[8] |= (uint8_t)(v >> (64 - off));
    s->nbits += nb;
}

/* Move an adaptive code state after a value of bit length b. Branch-free:
 * on noisy data the comparisons are coin flips. */
static inline uint8_t code_next(uint8_t st, unsigned b)
{
    unsigned k = st & 63, run = st >> 6;
    unsigned up = (b > k) & (k < 63), down = b < k;
    run = (run + 1) * down;     /* counts b < k in a row */
    unsigned shrink = run >> 2; /* the fourth one */
    k = k + up - shrink;
    return (uint8_t)(k | (run & 3) << 6);
}

static inline void put_code(stg_stream *s, uint8_t *st, uint64_t u)
{
    unsigned k = *st & 63, b = stg__bitlen(u);
    if (b <= k) {
        put(s, u << 1, k + 1);
    } else {
        put(s, 1 | (uint64_t)(b - 1) << 1, 7);
        put(s, u & stg__mask(b - 1), b - 1);
    }
    *st = code_next(*st, b);
}

/* After a value written in full or by Gorilla: decide the decimal state. */
/* Mantissas above this are not worth the decimal code: a value with 15 or
 * more significant digits is a full-precision measurement, whose mantissa
 * deltas cost as much as Gorilla's XOR while every point would pay a search. */
#define DEC_STREAM_MAX_M (1ll << 46)

static void float_dec_state(stg_stream *s, uint64_t v)
{
    int64_t m;
    /* The smallest exponent, not the current one upwards: after a value with
     * 16 digits (1/3), the next two-decimal reading must get back to e = 2.
     * Data that is not decimal would pay a search per point: after 16 misses
     * in a row, look only every 64 points. */
    double mag = fabs(stg__as_f64(v));
    if (s->misses < 16 || (s->count & 63) == 0) {
        for (unsigned f = 0; f <= STG__DEC_EMAX; f++) {
            if (!(mag * stg__p10[f] <= (double)DEC_STREAM_MAX_M)) break; /* NaN too */
            if (stg__dec_fits(v, f, &m)) {
                put(s, 1 | f << 1, 6);
                s->dec = (uint8_t)(DEC_ON | f);
                s->prev = (uint64_t)m;
                s->misses = 0;
                return;
            }
        }
    }
    put(s, 0, 1);
    s->dec = 0;
    s->prev = v;
    if (s->misses < 255) s->misses++;
}

static void put_gorilla(stg_stream *s, uint64_t x)
{
    unsigned lead = (unsigned)__builtin_clzll(x), trail = (unsigned)__builtin_ctzll(x);
    if (lead > 31) lead = 31;
    if (s->g_lead != NO_WINDOW && lead >= s->g_lead && trail >= s->g_trail) {
        put(s, 0, 1);
        put(s, x >> s->g_trail, 64 - s->g_lead - s->g_trail);
    } else {
        unsigned len = 64 - lead - trail;
        put(s, 1 | lead << 1 | (len - 1) << 6, 12);
        put(s, x >> trail, len);
        s->g_lead = (uint8_t)lead;
        s->g_trail = (uint8_t)trail;
    }
}

/* After this many values in a row that would also fit one digit shorter,
 * the decimal code switches down (see RESCALE). */
#define RESCALE_AFTER 32

static void put_float(stg_stream *s, uint64_t v)
{
    if (s->count == 0) {
        put(s, v, 64);
        float_dec_state(s, v);
        return;
    }
    uint64_t pv;
    if (s->dec & DEC_ON) {
        unsigned e = s->dec & 31;
        int64_t m;
        pv = stg__dec_value((int64_t)s->prev, e);
        if (v == pv) {
            put_code(s, &s->val_code, 0);
            return;
        }
        if (stg__dec_fits(v, e, &m)) {
            /* In decimal mode `misses` counts values in a row that also fit
             * at e - 1; after RESCALE_AFTER, switch to the smallest exponent
             * that both the previous and this value fit (RESCALE). */
            int64_t mf = 0;
            unsigned f = e;
            if (e > 0 && stg__dec_fits(v, e - 1, NULL)) {
                if (++s->misses >= RESCALE_AFTER)
                    for (f = 0; f < e; f++)
                        if (stg__dec_fits(v, f, &mf) && stg__dec_fits(pv, f, NULL)) break;
            } else {
                s->misses = 0;
            }
            if (f < e) {
                int64_t mp = stg__dec_guess(pv, f);
                put(s, 1 | GORILLA_ESCAPE << 1 | 1u << 7 | f << 8, 13);
                put_code(s, &s->val_code, strata_zigzag64((int64_t)((uint64_t)mf - (uint64_t)mp)));
                s->dec = (uint8_t)(DEC_ON | f);
                s->prev = (uint64_t)mf;
                s->misses = 0;
                return;
            }
            put_code(s, &s->val_code, strata_zigzag64((int64_t)((uint64_t)m - s->prev)));
            s->prev = (uint64_t)m;
            return;
        }
        put(s, 1 | GORILLA_ESCAPE << 1, 8); /* escape, then 0: Gorilla */
    } else {
        pv = s->prev;
        if (v == pv) {
            put(s, 0, 1);
            return;
        }
        put(s, 1, 1);
    }
    put_gorilla(s, v ^ pv);
    float_dec_state(s, v);
}

int stg_stream_append(stg_stream *s, int64_t ts, uint64_t val, const uint8_t *str, uint32_t slen)
{
    if (s->type < STG_FLOAT || s->type > STG_STRING) return STRATA_EINVAL;
    if (s->count && ts <= s->last_ts) return STRATA_EINVAL;
    if (s->type == STG_BOOL && val > 1) return STRATA_EINVAL;
    if (s->type == STG_STRING && (slen > STG_STRING_MAX || (slen && !str))) return STRATA_EINVAL;
    if (s->count == UINT32_MAX) return STRATA_EFULL;
    uint64_t max_bits = POINT_MAX_BITS;
    if (s->type == STG_STRING) max_bits = TS_MAX_BITS + TS_MAX_BITS + 7 + (uint64_t)slen * 8;
    if ((uint64_t)s->nbits + max_bits > MAX_BITS) return STRATA_EFULL;
    int rc = grow(s, (size_t)((s->nbits + max_bits) >> 3) + 10);
    if (rc != STRATA_OK) return rc;

    if (s->count == 0) {
        put(s, (uint64_t)ts, 64);
        s->last_delta = 0;
    } else {
        uint64_t d = (uint64_t)ts - (uint64_t)s->last_ts;
        put_code(s, &s->ts_code, strata_zigzag64((int64_t)(d - (uint64_t)s->last_delta)));
        s->last_delta = (int64_t)d;
    }
    s->last_ts = ts;

    switch (s->type) {
    case STG_FLOAT:
        put_float(s, val);
        break;
    case STG_INT:
    case STG_UINT:
        if (s->count == 0)
            put(s, val, 64);
        else
            put_code(s, &s->val_code, strata_zigzag64((int64_t)(val - s->prev)));
        s->prev = val;
        break;
    case STG_BOOL:
        put(s, val, 1);
        break;
    case STG_STRING:
        put_code(s, &s->val_code, slen);
        s->nbits = (s->nbits + 7) & ~7u;
        if (slen) memcpy(s->buf + (s->nbits >> 3), str, slen);
        s->nbits += slen * 8;
        s->prev += slen;
        break;
    }
    s->count++;
    return STRATA_OK;
}

/* ---- decoding ---------------------------------------------------------- */

/* Read code(u); *esc (if not NULL) is set for the float escape instead. */
static inline __attribute__((always_inline)) uint64_t get_code(stg__bitr *r, uint8_t *st, int *esc)
{
    unsigned k = *st & 63;
    if (r->n < 7) stg__bitr_refill(r);
    if (!(r->acc & 1)) {
        uint64_t u = stg__bitr_get64(r, k + 1) >> 1;
        *st = code_next(*st, stg__bitlen(u));
        return u;
    }
    unsigned b = (unsigned)(stg__bitr_get(r, 7) >> 1) + 1;
    if (esc && b - 1 == GORILLA_ESCAPE) {
        *esc = 1;
        return 0;
    }
    uint64_t u = stg__bitr_get64(r, b - 1) | 1ull << (b - 1);
    *st = code_next(*st, b);
    return u;
}

/* Bit position of the reader from start. */
static inline size_t bitr_pos(const stg__bitr *r, const uint8_t *start)
{
    return (size_t)(r->p - start) * 8 - r->n;
}

int stg_stream_decode(stg_type type, const uint8_t *buf, size_t len, uint32_t count, int64_t *ts,
                      uint64_t *vals, uint8_t *strbuf, size_t strcap, size_t *strused)
{
    if (type < STG_FLOAT || type > STG_STRING) return STRATA_EINVAL;
    if (strused) *strused = 0;
    if (count == 0) return STRATA_OK;
    if (!buf) return STRATA_ECORRUPT;
    stg__bitr r;
    stg__bitr_init(&r, buf, buf + len);
    uint64_t t = 0, d = 0, prev = 0, m = 0;
    unsigned e = 0, on = 0, gl = 0, gt = 0, have_win = 0;
    uint8_t ts_code = 0, val_code = 0;
    size_t sused = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (i == 0) {
            t = stg__bitr_get64(&r, 64);
        } else {
            uint64_t nd = d + (uint64_t)strata_unzigzag64(get_code(&r, &ts_code, NULL));
            uint64_t nt = t + nd;
            if ((int64_t)nt <= (int64_t)t) return STRATA_ECORRUPT;
            t = nt;
            d = nd;
        }
        ts[i] = (int64_t)t;

        uint64_t v = 0;
        int full = 0; /* value written in full or by Gorilla: DEC follows */
        switch (type) {
        case STG_FLOAT:
            if (i == 0) {
                v = stg__bitr_get64(&r, 64);
                full = 1;
            } else if (on) {
                uint64_t zz = get_code(&r, &val_code, &full);
                if (full && stg__bitr_get(&r, 1)) { /* RESCALE */
                    full = 0;
                    e = (unsigned)stg__bitr_get(&r, 5);
                    if (e > STG__DEC_EMAX) return STRATA_ECORRUPT;
                    m = (uint64_t)stg__dec_guess(prev, e);
                    zz = get_code(&r, &val_code, NULL);
                }
                if (!full) {
                    m += (uint64_t)strata_unzigzag64(zz);
                    v = stg__dec_value((int64_t)m, e);
                }
            } else if (stg__bitr_get(&r, 1)) {
                full = 1;
            } else {
                v = prev;
            }
            if (full && i > 0) {
                if (stg__bitr_get(&r, 1)) {
                    unsigned h = (unsigned)stg__bitr_get(&r, 11);
                    unsigned lead = h & 31, l = (h >> 5) + 1;
                    if (lead + l > 64) return STRATA_ECORRUPT;
                    gl = lead;
                    gt = 64 - lead - l;
                    have_win = 1;
                } else if (!have_win) {
                    return STRATA_ECORRUPT;
                }
                v = prev ^ (stg__bitr_get64(&r, 64 - gl - gt) << gt);
            }
            if (full) {
                if (stg__bitr_get(&r, 1)) {
                    e = (unsigned)stg__bitr_get(&r, 5);
                    if (e > STG__DEC_EMAX) return STRATA_ECORRUPT;
                    m = (uint64_t)stg__dec_guess(v, e);
                    on = 1;
                } else {
                    on = 0;
                }
            }
            prev = v;
            break;
        case STG_INT:
        case STG_UINT:
            v = i == 0 ? stg__bitr_get64(&r, 64)
                       : prev + (uint64_t)strata_unzigzag64(get_code(&r, &val_code, NULL));
            prev = v;
            break;
        case STG_BOOL:
            v = stg__bitr_get(&r, 1);
            break;
        case STG_STRING: {
            uint64_t sl = get_code(&r, &val_code, NULL);
            if (r.bad) return STRATA_ECORRUPT;
            size_t byte = (bitr_pos(&r, buf) + 7) / 8;
            if (sl > STG_STRING_MAX || sl > len - byte || sl > strcap - sused)
                return STRATA_ECORRUPT;
            if (sl) memcpy(strbuf + sused, buf + byte, sl);
            v = stg_val_str((uint32_t)sused, (uint32_t)sl);
            sused += sl;
            stg__bitr_init(&r, buf + byte + sl, buf + len);
            break;
        }
        }
        vals[i] = v;
        if (r.bad) return STRATA_ECORRUPT;
    }
    if (strused) *strused = sused;
    return STRATA_OK;
}
