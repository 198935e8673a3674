/*
 * query/duration.c: duration literal parsing and formatting (see duration.h).
 *
 * InfluxDB lets an overflowing product wrap around and only rejects a sum
 * that ends up negative; here any overflow of int64 nanoseconds is rejected
 * with InfluxDB's overflow message, which is the same answer for every
 * realistic input and never silently yields a wrapped value.
 */
#include "query/duration.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#define NS_US INT64_C(1000)
#define NS_MS INT64_C(1000000)
#define NS_S INT64_C(1000000000)
#define NS_M (60 * NS_S)
#define NS_H (60 * NS_M)
#define NS_D (24 * NS_H)
#define NS_W (7 * NS_D)

static int invalid(strata_error *err)
{
    return strata_error_set(err, STRATA_EINVAL, "invalid duration");
}

int qry_duration_parse(const char *s, size_t len, int64_t *out_ns, strata_error *err)
{
    const unsigned char *a = (const unsigned char *)s;
    size_t i = 0;
    bool neg = false;
    int64_t d = 0;

    if (len < 2) return invalid(err);
    if (a[0] == '-') {
        neg = true;
        i++;
    }
    while (i < len) {
        size_t start = i;
        int64_t n = 0;
        bool too_big = false;
        while (i < len && a[i] >= '0' && a[i] <= '9') {
            if (!too_big && (__builtin_mul_overflow(n, 10, &n) ||
                             __builtin_add_overflow(n, (int64_t)(a[i] - '0'), &n)))
                too_big = true;
            i++;
        }
        if (i >= len || i == start || too_big) return invalid(err);

        int64_t unit;
        const char *uname;
        size_t ulen = 1;
        switch (a[i]) {
        case 'n':
            if (i + 1 < len && a[i + 1] == 's') {
                unit = 1;
                uname = "ns";
                ulen = 2;
                break;
            }
            return invalid(err);
        case 'u':
            unit = NS_US;
            uname = "u";
            break;
        case 0xC2: /* U+00B5 MICRO SIGN is C2 B5 in UTF-8 */
            if (i + 1 < len && a[i + 1] == 0xB5) {
                unit = NS_US;
                uname = "\xC2\xB5";
                ulen = 2;
                break;
            }
            return invalid(err);
        case 'm':
            if (i + 1 < len && a[i + 1] == 's') {
                unit = NS_MS;
                uname = "ms";
                ulen = 2;
            } else {
                unit = NS_M;
                uname = "m";
            }
            break;
        case 's':
            unit = NS_S;
            uname = "s";
            break;
        case 'h':
            unit = NS_H;
            uname = "h";
            break;
        case 'd':
            unit = NS_D;
            uname = "d";
            break;
        case 'w':
            unit = NS_W;
            uname = "w";
            break;
        default:
            return invalid(err);
        }
        int64_t part;
        if (__builtin_mul_overflow(n, unit, &part) || __builtin_add_overflow(d, part, &d))
            return strata_error_set(
                err, STRATA_ERANGE,
                "overflowed duration %" PRId64 "%s: choose a smaller duration or INF", n, uname);
        i += ulen;
    }
    *out_ns = neg ? -d : d;
    return STRATA_OK;
}

size_t qry_duration_format(int64_t ns, char *buf)
{
    static const struct {
        int64_t unit;
        const char *name;
    } units[] = {{NS_W, "w"}, {NS_D, "d"},   {NS_H, "h"}, {NS_M, "m"},
                 {NS_S, "s"}, {NS_MS, "ms"}, {NS_US, "u"}};
    int n;

    if (ns == 0) {
        n = snprintf(buf, QRY_DURATION_FMT_MAX, "0s");
        return (size_t)n;
    }
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        if (ns % units[k].unit == 0) {
            n = snprintf(buf, QRY_DURATION_FMT_MAX, "%" PRId64 "%s", ns / units[k].unit,
                         units[k].name);
            return (size_t)n;
        }
    }
    n = snprintf(buf, QRY_DURATION_FMT_MAX, "%" PRId64 "ns", ns);
    return (size_t)n;
}
