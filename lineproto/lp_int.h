/*
 * lineproto/lp_int.h: helpers private to the line-protocol module (number
 * conversion). Not for other modules.
 */
#ifndef STRATA_LINEPROTO_LP_INT_H
#define STRATA_LINEPROTO_LP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Results of the number conversions, mirroring Go's strconv errors. */
enum {
    LP__NUM_OK = 0,
    LP__NUM_SYNTAX = -1, /* "invalid syntax" */
    LP__NUM_RANGE = -2,  /* "value out of range" */
};

/*
 * Convert a decimal float token the way Go's strconv.ParseFloat(s, 64) does
 * for the characters line protocol lets through ([0-9.eE+-]): the whole
 * token must be [-+]?(d+[.d*]|.d+)([eE][-+]?d+)?, the result is correctly
 * rounded, overflow to +-Inf is LP__NUM_RANGE, underflow gives 0 and is
 * fine. Plain decimals of up to 19 significant digits with a mantissa below
 * 2^53 and a power of ten within +-22 take an exact fast path; other decimals of at most 19
 * significant digits take the Eisel-Lemire algorithm (a 64x128-bit product with a table of powers
 * of ten, exact or it gives up); what remains (more digits, ambiguous halfway cases, subnormals,
 * overflow) goes through strtod in the C locale.
 */
int lp__parse_f64(const char *s, size_t n, double *out);

/* Range and table of the Eisel-Lemire step (lp_pow10.c, generated). */
#define LP__POW10_MIN (-348)
#define LP__POW10_MAX 347
extern const uint64_t lp__pow10_128[LP__POW10_MAX - LP__POW10_MIN + 1][2];

/*
 * The double nearest to m * 10^exp10 (m has at most 19 digits), correctly
 * rounded, by the exact fast path or Eisel-Lemire. @return 1 with *out set,
 * or 0 when neither can decide (then use lp__parse_f64 on the text).
 */
int lp__f64_from_decimal(uint64_t m, int exp10, double *out);

/*
 * Eisel-Lemire: the correctly rounded double nearest w * 10^q, or 0 when
 * this fast method cannot decide (then the caller uses strtod). w != 0.
 * The 128-bit table entry is rounded down, so the true product lies in
 * [w*M, w*M + w); when the bits below the 54-bit result are all ones that
 * error could carry into it, so a second, lower product refines it, and a
 * still ambiguous or exactly halfway result gives up.
 */
static inline int lp__eisel_lemire(uint64_t w, int q, double *out)
{
    if (q < LP__POW10_MIN || q > LP__POW10_MAX) return 0;
    const uint64_t *m = lp__pow10_128[q - LP__POW10_MIN];
    int lz = __builtin_clzll(w);
    w <<= lz;
    unsigned __int128 x = (unsigned __int128)w * m[0];
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    if ((hi & 0x1FF) == 0x1FF && lo + w < lo) {
        unsigned __int128 y = (unsigned __int128)w * m[1];
        uint64_t yhi = (uint64_t)(y >> 64), ylo = (uint64_t)y;
        uint64_t mlo = lo + yhi, mhi = hi + (mlo < lo);
        if ((mhi & 0x1FF) == 0x1FF && mlo + 1 == 0 && ylo + w < ylo) return 0;
        hi = mhi;
        lo = mlo;
    }
    uint64_t msb = hi >> 63;
    uint64_t mant = hi >> (msb + 9);
    int64_t exp2 = (int64_t)(((217706 * (int64_t)q) >> 16) + 64 + 1023) - lz - (int64_t)(1 ^ msb);
    if (lo == 0 && (hi & 0x1FF) == 0 && (mant & 3) == 1)
        return 0; /* exactly halfway: round-half-even needs the full value */
    mant += mant & 1;
    mant >>= 1;
    if (mant >> 53) {
        mant >>= 1;
        exp2++;
    }
    if (exp2 <= 0 || exp2 >= 0x7FF) return 0; /* subnormal or overflow: let strtod decide */
    uint64_t bits = ((uint64_t)exp2 << 52) | (mant & ((1ULL << 52) - 1));
    memcpy(out, &bits, sizeof *out);
    return 1;
}

/* Go's strconv.ParseInt(s, 10, 64): [-+]?digits, no other characters. */
int lp__parse_i64(const char *s, size_t n, int64_t *out);

/* Go's strconv.ParseUint(s, 10, 64): digits only. */
int lp__parse_u64(const char *s, size_t n, uint64_t *out);

#endif
