/*
 * storage/decimal_int.h: "is this double a short decimal?" for the DECIMAL
 * float codec (codec_float.c) and the float stream (stream.c).
 *
 * A double v is a decimal at exponent e (0..STG__DEC_EMAX) when some integer
 * m with |m| <= 2^53 gives (double)m / 10^e == v bit for bit. 10^e is exact
 * for e <= 22 and both operands are exact, so the division is correctly
 * rounded: the decoder's (double)m / 10^e reproduces v on any IEEE-754 host
 * with SSE2-style double arithmetic (no x87 excess precision). -0.0, NaN and
 * the infinities are never decimals. If v fits at e it fits at every larger
 * e until the mantissa passes 2^53.
 *
 * Internal to storage/.
 */
#ifndef STRATA_STORAGE_DECIMAL_INT_H
#define STRATA_STORAGE_DECIMAL_INT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define STG__DEC_EMAX 18

static const double stg__p10[STG__DEC_EMAX + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                   1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                   1e14, 1e15, 1e16, 1e17, 1e18};

static inline double stg__as_f64(uint64_t b)
{
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static inline uint64_t stg__as_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* Nearest integer to v * 10^e when |v * 10^e| <= 2^53, else 0. Not verified. */
static inline int64_t stg__dec_guess(uint64_t b, unsigned e)
{
    double x = stg__as_f64(b) * stg__p10[e];
    if (!(fabs(x) <= 9007199254740992.0)) /* 2^53; false for NaN too */
        return 0;
    return (int64_t)(x + (x < 0 ? -0.5 : 0.5));
}

/* The value with mantissa m at exponent e, as bits. */
static inline uint64_t stg__dec_value(int64_t m, unsigned e)
{
    return stg__as_bits((double)m / stg__p10[e]);
}

/* Is b a decimal at exponent e? On success *m (if not NULL) gets the mantissa. */
static inline int stg__dec_fits(uint64_t b, unsigned e, int64_t *m)
{
    double x = stg__as_f64(b) * stg__p10[e];
    if (!(fabs(x) <= 9007199254740992.0)) return 0;
    int64_t mm = (int64_t)(x + (x < 0 ? -0.5 : 0.5));
    if (stg__dec_value(mm, e) != b) return 0;
    if (m) *m = mm;
    return 1;
}

#endif
