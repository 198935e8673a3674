/*
 * bench/gen/gen_time.c: RFC 3339 and Go duration parsing (see gen_time.h).
 * Calendar arithmetic uses the proleptic Gregorian "days from civil" method,
 * so no time zone database or libc time function is involved.
 */
#include "bench/gen/gen_time.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

#define GEN__NS_PER_S 1000000000LL

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t gen__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void gen__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Read exactly n digits at *p. @return 0 or -1. */
static int gen__digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int gen__leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int gen_parse_rfc3339(const char *s, int64_t *out_ns)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    int64_t frac = 0;

    if (gen__digits(&p, 4, &y) || *p++ != '-' || gen__digits(&p, 2, &mo) || *p++ != '-' ||
        gen__digits(&p, 2, &d))
        return STRATA_EINVAL;
    if (*p != 'T' && *p != 't' && *p != ' ') return STRATA_EINVAL;
    p++;
    if (gen__digits(&p, 2, &h) || *p++ != ':' || gen__digits(&p, 2, &mi) || *p++ != ':' ||
        gen__digits(&p, 2, &sec))
        return STRATA_EINVAL;
    if (*p == '.') {
        int nd = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (nd < 9) {
                frac = frac * 10 + (*p - '0');
                nd++;
            }
            p++;
        }
        if (nd == 0) return STRATA_EINVAL;
        for (; nd < 9; nd++)
            frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (gen__digits(&p, 2, &oh) || *p++ != ':' || gen__digits(&p, 2, &om)) return STRATA_EINVAL;
    } else {
        return STRATA_EINVAL;
    }
    if (*p != '\0') return STRATA_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59)
        return STRATA_EINVAL;
    if (d > mdays[mo - 1] + (mo == 2 && gen__leap(y))) return STRATA_EINVAL;
    /* int64 ns covers 1677-09-21 .. 2262-04-11; keep to whole years inside it. */
    if (y < 1678 || y > 2261) return STRATA_ERANGE;

    int64_t days = gen__days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec;
    secs -= (int64_t)sign * (oh * 3600 + om * 60);
    *out_ns = secs * GEN__NS_PER_S + frac;
    return STRATA_OK;
}

int gen_parse_duration(const char *s, int64_t *out_ns)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000},
        {"ms", 1000000},
        {"s", GEN__NS_PER_S},
        {"m", 60 * GEN__NS_PER_S},
        {"h", 3600 * GEN__NS_PER_S},
    };
    const char *p = s;
    int64_t total = 0;

    if (*p == '\0') return STRATA_EINVAL;
    if (strcmp(p, "0") == 0) {
        *out_ns = 0;
        return STRATA_OK;
    }
    while (*p) {
        int64_t ip = 0, fp = 0, fscale = 1;
        int any = 0;
        while (*p >= '0' && *p <= '9') {
            if (ip > (INT64_MAX - 9) / 10) return STRATA_ERANGE;
            ip = ip * 10 + (*p++ - '0');
            any = 1;
        }
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') {
                if (fscale < 1000000000000000000LL / 10) {
                    fp = fp * 10 + (*p - '0');
                    fscale *= 10;
                }
                p++;
                any = 1;
            }
        }
        if (!any) return STRATA_EINVAL;
        int64_t unit = 0;
        size_t ulen = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t l = strlen(units[i].name);
            /* Prefer the longest match: "ms" before "m", "ns" before nothing. */
            if (strncmp(p, units[i].name, l) == 0 && l > ulen) {
                unit = units[i].ns;
                ulen = l;
            }
        }
        if (ulen == 0) return STRATA_EINVAL;
        p += ulen;
        if (ip > INT64_MAX / unit) return STRATA_ERANGE;
        int64_t v = ip * unit;
        /* fraction: fp / fscale * unit, computed without overflow for these units. */
        v += (int64_t)((double)fp / (double)fscale * (double)unit);
        if (v > INT64_MAX - total) return STRATA_ERANGE;
        total += v;
    }
    *out_ns = total;
    return STRATA_OK;
}

size_t gen_fmt_rfc3339(char *dst, size_t cap, int64_t ns)
{
    int64_t secs = ns / GEN__NS_PER_S, frac = ns % GEN__NS_PER_S;
    if (frac < 0) {
        frac += GEN__NS_PER_S;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    gen__civil_from_days(days, &y, &m, &d);
    int n;
    if (frac)
        n = snprintf(dst, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (long long)frac);
    else
        n = snprintf(dst, cap, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return n < 0 ? 0 : (size_t)n;
}
