/*
 * bench/gen/gen_fmt.c: integer and shortest-float formatting (see gen_fmt.h).
 *
 * Shortest float, fast path. A finite double is x = m * 2^e. Scaled by 4,
 * x = 4m / 2^s with s = 2 - e; the doubles next to x are 4m +- 4, so every
 * real in (4m - 2, 4m + 2) / 2^s reads back as x (the lower half-gap is
 * only 1 when m is the smallest mantissa of its binade; both ends count
 * when m is even, as round-half-even parsing picks the even mantissa). For
 * q = 0, 1, 2, ... fractional digits we look for an integer k with k / 10^q
 * in that interval, using exact 128-bit products (4m + 2 < 2^55 and
 * 10^q <= 10^21 < 2^70). The first q that has one gives the fewest digits;
 * among its candidates we take the one nearest x (ties to even), which is
 * what Go's shortest formatting produces. For 1e-4 <= x < 1e15 the answer
 * has at most 17 significant digits, so q <= 21 and k < 10^18 fits 64 bits.
 *
 * Slow path: the fewest printf("%.*e") digits that strtod reads back as x.
 * Both paths agree except possibly at the smallest mantissa of a binade,
 * where the slow path may give one more digit; both read back exactly.
 */
#include "bench/gen/gen_fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char gen__digits2[201] = "00010203040506070809"
                                      "10111213141516171819"
                                      "20212223242526272829"
                                      "30313233343536373839"
                                      "40414243444546474849"
                                      "50515253545556575859"
                                      "60616263646566676869"
                                      "70717273747576777879"
                                      "80818283848586878889"
                                      "90919293949596979899";

size_t gen_fmt_u64(char *dst, uint64_t v)
{
    char tmp[GEN_FMT_INT_MAX];
    char *p = tmp + sizeof tmp;

    if (v < 10) {
        dst[0] = (char)('0' + v);
        return 1;
    }
    if (v < 100) {
        memcpy(dst, gen__digits2 + 2 * v, 2);
        return 2;
    }
    while (v >= 100) {
        uint64_t r = v % 100;
        v /= 100;
        p -= 2;
        memcpy(p, gen__digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, gen__digits2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(dst, p, n);
    return n;
}

size_t gen_fmt_i64(char *dst, int64_t v)
{
    if (v >= 0) return gen_fmt_u64(dst, (uint64_t)v);
    dst[0] = '-';
    /* Negate in unsigned arithmetic so that INT64_MIN works. */
    return 1 + gen_fmt_u64(dst + 1, (uint64_t)0 - (uint64_t)v);
}

/* Write the decimal k / 10^q in plain notation. */
static size_t gen__fmt_scaled(char *dst, uint64_t k, int q)
{
    char digits[GEN_FMT_INT_MAX];
    size_t nd = gen_fmt_u64(digits, k);
    size_t n = 0;

    if (q == 0) {
        memcpy(dst, digits, nd);
        return nd;
    }
    if (nd > (size_t)q) {
        size_t ip = nd - (size_t)q;
        memcpy(dst, digits, ip);
        n = ip;
        dst[n++] = '.';
        memcpy(dst + n, digits + ip, (size_t)q);
        return n + (size_t)q;
    }
    dst[n++] = '0';
    dst[n++] = '.';
    for (size_t z = nd; z < (size_t)q; z++)
        dst[n++] = '0';
    memcpy(dst + n, digits, nd);
    return n + nd;
}

typedef unsigned __int128 gen__u128;

/* @return bytes written, or 0 when x is outside the fast path's range. */
static size_t gen__fmt_f64_fast(char *dst, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int bexp = (int)((bits >> 52) & 0x7ff);
    uint64_t frac = bits & ((1ull << 52) - 1);

    if (bexp == 0 || bexp == 0x7ff) return 0; /* zero, subnormal, inf, nan: slow path */
    uint64_t m = frac | (1ull << 52);
    int e = bexp - 1075;
    int s = 2 - e;
    if (s < 5 || s > 70) return 0; /* |x| >= 2^50 or |x| < 2^-16: not needed here */

    int lower_boundary = frac == 0 && bexp > 1;
    int incl = (m & 1) == 0;
    gen__u128 v = (gen__u128)m << 2;
    gen__u128 lo = v - (lower_boundary ? 1 : 2);
    gen__u128 hi = v + 2;
    gen__u128 half = (gen__u128)1 << (s - 1);
    gen__u128 pw = 1;

    for (int q = 0; q <= 21; q++, pw *= 10) {
        gen__u128 L = lo * pw, H = hi * pw;
        gen__u128 klo = L >> s, khi = H >> s;
        if ((klo << s) != L || !incl) klo++;
        if ((khi << s) == H && !incl) khi--;
        if (klo > khi) continue;
        gen__u128 V = v * pw;
        gen__u128 k = V >> s;
        gen__u128 r = V - (k << s);
        if (r > half || (r == half && (k & 1))) k++;
        if (k < klo) k = klo;
        if (k > khi) k = khi;
        if (k >> 63) return 0;
        return gen__fmt_scaled(dst, (uint64_t)k, q);
    }
    return 0;
}

size_t gen_fmt_f64_slow(char *dst, double x)
{
    char buf[64];
    size_t n = 0;

    if (isnan(x)) {
        memcpy(dst, "NaN", 3);
        return 3;
    }
    if (isinf(x)) {
        memcpy(dst, x > 0 ? "+Inf" : "-Inf", 4);
        return 4;
    }
    if (signbit(x)) {
        dst[n++] = '-';
        x = -x;
    }
    if (x == 0) {
        dst[n++] = '0';
        return n;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        if (strtod(buf, NULL) != x && p < 17) continue;
        /* buf is d[.ddd]e[+-]XX: collect the digits and the exponent. */
        char digits[24];
        size_t nd = 0;
        const char *c = buf;
        for (; *c && *c != 'e'; c++)
            if (*c >= '0' && *c <= '9') digits[nd++] = *c;
        int exp10 = atoi(c + 1);
        while (nd > 1 && digits[nd - 1] == '0')
            nd--;
        /* The value is 0.d1d2... * 10^(exp10 + 1). */
        long point = (long)exp10 + 1;
        if (point <= 0) {
            dst[n++] = '0';
            dst[n++] = '.';
            for (long z = 0; z < -point; z++)
                dst[n++] = '0';
            memcpy(dst + n, digits, nd);
            return n + nd;
        }
        if ((size_t)point >= nd) {
            memcpy(dst + n, digits, nd);
            n += nd;
            for (size_t z = nd; z < (size_t)point; z++)
                dst[n++] = '0';
            return n;
        }
        memcpy(dst + n, digits, (size_t)point);
        n += (size_t)point;
        dst[n++] = '.';
        memcpy(dst + n, digits + point, nd - (size_t)point);
        return n + nd - (size_t)point;
    }
    return n; /* not reached: 17 digits always read back */
}

size_t gen_fmt_f64(char *dst, double x)
{
    if (x > 0) {
        size_t n = gen__fmt_f64_fast(dst, x);
        if (n) return n;
    } else if (x < 0) {
        size_t n = gen__fmt_f64_fast(dst + 1, -x);
        if (n) {
            dst[0] = '-';
            return n + 1;
        }
    } else if (x == 0 && !signbit(x)) {
        dst[0] = '0';
        return 1;
    }
    return gen_fmt_f64_slow(dst, x);
}
