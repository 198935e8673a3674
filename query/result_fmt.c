/*
 * query/result_fmt.c: value formatting shared by the result writers, chosen
 * to reproduce byte for byte what InfluxDB 1.6.7 (built with Go 1.19) sends:
 * Go's shortest round-trip float digits in encoding/json's and strconv's
 * layouts, RFC 3339 times with trimmed nanoseconds, and encoding/json's
 * string escaping (HTML characters, U+2028/9 and invalid UTF-8 included).
 *
 * Shortest digits: a double that round-trips at 15 significant digits has
 * exactly one 15-digit neighbour within half an ulp, so printing 15 digits
 * and trimming zeros gives the shortest form; otherwise 16 or 17 digits are
 * tried in turn. The buffer helpers (qry_buf) live here too.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "query/result_int.h"
#include "query/tz_int.h"

/* ---- qry_buf ------------------------------------------------------------ */

int qry_buf_reserve(qry_buf *b, size_t more)
{
    if (b->oom) return STRATA_ENOMEM;
    if (b->n + more <= b->cap) return STRATA_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = 1;
            return STRATA_ENOMEM;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return STRATA_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return STRATA_OK;
}

void qry_buf_put(qry_buf *b, const void *p, size_t n)
{
    if (n == 0 || qry_buf_reserve(b, n) != STRATA_OK) return;
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void qry_buf_putc(qry_buf *b, char c)
{
    if (b->n < b->cap && !b->oom) {
        b->p[b->n++] = c;
        return;
    }
    qry_buf_put(b, &c, 1);
}

void qry_buf_puts(qry_buf *b, const char *s)
{
    qry_buf_put(b, s, strlen(s));
}

void qry_buf_printf(qry_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        qry_buf_put(b, tmp, (size_t)n);
        return;
    }
    if (qry_buf_reserve(b, (size_t)n + 1) != STRATA_OK) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void qry_buf_fini(qry_buf *b)
{
    if (b == NULL) return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- floats -------------------------------------------------------------- */

/* Digits of |v| printed with prec significant digits; @return 1 if they round-trip. */
static int try_digits(double av, int prec, char *digits, int *nd, int *pointpos)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, av);
    if (strtod(tmp, NULL) != av) return 0;
    /* tmp is d.ddddde[+-]xx */
    int n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[n++] = *p;
    int e = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    *nd = n;
    *pointpos = e + 1;
    return 1;
}

/* Powers of ten exactly representable as doubles. */
static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11};

/*
 * Few decimals (12.5, 0.25, 99.125): the smallest k with m = round(v * 10^k)
 * and m / 10^k == v (IEEE division of exact operands is correctly rounded, so
 * the decimal m * 10^-k reads back as v) gives the shortest digits. m is kept
 * below 2^50 so that no other k-decimal neighbour can read back as v too.
 * @return 1 when found.
 */
/* The decimal digits of u (no terminator); returns their count. */
static int u64_dec(uint64_t u, char *out);

size_t qry__fmt_i64(int64_t v, char *buf)
{
    if (v < 0) {
        buf[0] = '-';
        return 1 + (size_t)u64_dec((uint64_t)0 - (uint64_t)v, buf + 1);
    }
    return (size_t)u64_dec((uint64_t)v, buf);
}

size_t qry__fmt_u64(uint64_t v, char *buf)
{
    return (size_t)u64_dec(v, buf);
}

static int u64_dec(uint64_t u, char *out)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int i = 0; i < n; i++)
        out[i] = t[n - 1 - i];
    return n;
}

static int few_decimals(double av, char *digits, int *nd, int *pointpos)
{
    if (!(av >= 1e-5 && av < 1e14)) return 0;
    for (int k = 1; k < (int)(sizeof p10 / sizeof p10[0]); k++) {
        double x = av * p10[k];
        if (x >= 1125899906842624.0) /* 2^50 */
            return 0;
        double m = floor(x + 0.5);
        if (m / p10[k] != av) continue;
        char tmp[24];
        int n = u64_dec((uint64_t)m, tmp);
        int lead = 0;
        while (lead < n - 1 && tmp[lead] == '0')
            lead++;
        int kk = n;
        while (kk > lead + 1 && tmp[kk - 1] == '0')
            kk--;
        memcpy(digits, tmp + lead, (size_t)(kk - lead));
        *nd = kk - lead;
        *pointpos = n - k - lead;
        return 1;
    }
    return 0;
}

void qry__float_digits(double v, char *digits, int *nd, int *pointpos)
{
    double av = fabs(v);
    /* Integers below 2^53 print exactly; this is the common case of metrics. */
    if (av < 9007199254740992.0 && av == floor(av) && av >= 1.0) {
        char tmp[24];
        int n = u64_dec((uint64_t)av, tmp);
        int k = n;
        while (k > 1 && tmp[k - 1] == '0')
            k--;
        memcpy(digits, tmp, (size_t)k);
        *nd = k;
        *pointpos = n;
        return;
    }
    if (few_decimals(av, digits, nd, pointpos)) return;
    if (av < 2.2250738585072014e-308) {
        /* subnormals have less precision than 15 digits: search upwards */
        for (int p = 1; p < 17; p++)
            if (try_digits(av, p, digits, nd, pointpos)) return;
        try_digits(av, 17, digits, nd, pointpos);
        return;
    }
    if (try_digits(av, 15, digits, nd, pointpos) || try_digits(av, 16, digits, nd, pointpos))
        return;
    try_digits(av, 17, digits, nd, pointpos);
}

/* Go's %e layout of the shortest digits: d[.ddd]e±XX (two exponent digits at least). */
static size_t fmt_exp(double v, const char *d, int nd, int pointpos, char *buf, int json_trim)
{
    size_t n = 0;
    if (v < 0) buf[n++] = '-';
    buf[n++] = d[0];
    if (nd > 1) {
        buf[n++] = '.';
        memcpy(buf + n, d + 1, (size_t)nd - 1);
        n += (size_t)nd - 1;
    }
    int e = pointpos - 1;
    buf[n++] = 'e';
    buf[n++] = e < 0 ? '-' : '+';
    if (e < 0) e = -e;
    char tmp[8];
    int k = snprintf(tmp, sizeof tmp, "%02d", e);
    if (json_trim && k == 2 && tmp[0] == '0' && buf[n - 1] == '-') {
        /* encoding/json cleans e-09 to e-9 (only negative exponents) */
        buf[n++] = tmp[1];
    } else {
        memcpy(buf + n, tmp, (size_t)k);
        n += (size_t)k;
    }
    buf[n] = 0;
    return n;
}

/* Go's %f layout of the shortest digits. */
static size_t fmt_plain(double v, const char *d, int nd, int pointpos, char *buf)
{
    size_t n = 0;
    if (v < 0) buf[n++] = '-';
    if (pointpos <= 0) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (int i = 0; i < -pointpos; i++)
            buf[n++] = '0';
        memcpy(buf + n, d, (size_t)nd);
        n += (size_t)nd;
    } else if (pointpos >= nd) {
        memcpy(buf + n, d, (size_t)nd);
        n += (size_t)nd;
        for (int i = nd; i < pointpos; i++)
            buf[n++] = '0';
    } else {
        memcpy(buf + n, d, (size_t)pointpos);
        n += (size_t)pointpos;
        buf[n++] = '.';
        memcpy(buf + n, d + pointpos, (size_t)(nd - pointpos));
        n += (size_t)(nd - pointpos);
    }
    buf[n] = 0;
    return n;
}

size_t qry__fmt_float_json(double v, char *buf)
{
    if (v == 0) {
        if (signbit(v)) {
            memcpy(buf, "-0", 3);
            return 2;
        }
        memcpy(buf, "0", 2);
        return 1;
    }
    char d[20];
    int nd, pp;
    qry__float_digits(v, d, &nd, &pp);
    double av = fabs(v);
    if (av < 1e-6 || av >= 1e21) return fmt_exp(v, d, nd, pp, buf, 1);
    return fmt_plain(v, d, nd, pp, buf);
}

size_t qry__fmt_float_plain(double v, char *buf)
{
    if (v == 0) {
        if (signbit(v)) {
            memcpy(buf, "-0", 3);
            return 2;
        }
        memcpy(buf, "0", 2);
        return 1;
    }
    if (isnan(v)) {
        memcpy(buf, "NaN", 4);
        return 3;
    }
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "+Inf" : "-Inf");
        return 4;
    }
    char d[20];
    int nd, pp;
    qry__float_digits(v, d, &nd, &pp);
    return fmt_plain(v, d, nd, pp, buf);
}

size_t qry__fmt_float_g(double v, char *buf)
{
    if (v == 0 || isnan(v) || isinf(v)) return qry__fmt_float_plain(v, buf);
    char d[20];
    int nd, pp;
    qry__float_digits(v, d, &nd, &pp);
    int e = pp - 1;
    /* %g with shortest precision: exponent form when e < -4 || e >= max(nd, 21)... Go uses
     * eprec = digs.nd; if eprec > digs.nd && digs.nd >= digs.dp { eprec = digs.nd };
     * if shortest { eprec = 6 }; exp := digs.dp - 1; if exp < -4 || exp >= eprec ... */
    int eprec = 6;
    if (nd > eprec) eprec = nd;
    if (e < -4 || e >= (eprec > 21 ? 21 : eprec)) return fmt_exp(v, d, nd, pp, buf, 0);
    return fmt_plain(v, d, nd, pp, buf);
}

/* ---- times --------------------------------------------------------------- */

/* Days since 1970-01-01 to civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

size_t qry__fmt_time(int64_t ns, const qry_tz *tz, char *buf)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    int32_t off = tz ? qry__tz_offset(tz, sec) : 0;
    int64_t ls = sec + off;
    int64_t days = ls / 86400, rem = ls % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    int n;
    if (y >= 0 && y <= 9999) {
        unsigned yy = (unsigned)y, hh = (unsigned)(rem / 3600), mi = (unsigned)(rem / 60 % 60),
                 ss = (unsigned)(rem % 60);
        char *o = buf;
        *o++ = (char)('0' + yy / 1000);
        *o++ = (char)('0' + yy / 100 % 10);
        *o++ = (char)('0' + yy / 10 % 10);
        *o++ = (char)('0' + yy % 10);
        unsigned parts[5] = {mo, d, hh, mi, ss};
        const char seps[5] = {'-', '-', 'T', ':', ':'};
        for (int i = 0; i < 5; i++) {
            *o++ = seps[i];
            *o++ = (char)('0' + parts[i] / 10);
            *o++ = (char)('0' + parts[i] % 10);
        }
        n = (int)(o - buf);
    } else {
        n = snprintf(buf, QRY_FMT_TIME_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, mo, d,
                     (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    }
    if (frac) {
        char f[12];
        for (int i = 8, x = (int)frac; i >= 0; i--, x /= 10)
            f[i] = (char)('0' + x % 10);
        int k = 9;
        while (k > 0 && f[k - 1] == '0')
            k--;
        buf[n++] = '.';
        memcpy(buf + n, f, (size_t)k);
        n += k;
    }
    if (off == 0) {
        buf[n++] = 'Z';
    } else {
        int a = off < 0 ? -off : off;
        n += snprintf(buf + n, 16, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    }
    buf[n] = 0;
    return (size_t)n;
}

/* ---- JSON strings ------------------------------------------------------- */

/* Decode one UTF-8 rune as Go does; @return its width, *r = 0xFFFD when invalid (width 1). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *r)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *r = ((c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        uint32_t v = ((c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        if (v >= 0x800 && !(v >= 0xD800 && v <= 0xDFFF)) {
            *r = v;
            return 3;
        }
    }
    if (c >= 0xF0 && c <= 0xF4 && n >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        uint32_t v = ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
                     ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        if (v >= 0x10000 && v <= 0x10FFFF) {
            *r = v;
            return 4;
        }
    }
    *r = 0xFFFD;
    return 1;
}

void qry__json_str(qry_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    if (qry_buf_reserve(b, n + 2) != STRATA_OK) return;
    qry_buf_putc(b, '"');
    size_t start = 0, i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                i++;
                continue;
            }
            qry_buf_put(b, s + start, i - start);
            switch (c) {
            case '"':
                qry_buf_put(b, "\\\"", 2);
                break;
            case '\\':
                qry_buf_put(b, "\\\\", 2);
                break;
            case '\n':
                qry_buf_put(b, "\\n", 2);
                break;
            case '\r':
                qry_buf_put(b, "\\r", 2);
                break;
            case '\t':
                qry_buf_put(b, "\\t", 2);
                break;
            default: {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                qry_buf_put(b, u, 6);
            }
            }
            start = ++i;
            continue;
        }
        uint32_t r;
        size_t w = utf8_decode(s + i, n - i, &r);
        if (r == 0xFFFD && w == 1) {
            qry_buf_put(b, s + start, i - start);
            qry_buf_put(b, "\\ufffd", 6);
            start = ++i;
            continue;
        }
        if (r == 0x2028 || r == 0x2029) {
            qry_buf_put(b, s + start, i - start);
            qry_buf_put(b, r == 0x2028 ? "\\u2028" : "\\u2029", 6);
            i += w;
            start = i;
            continue;
        }
        i += w;
    }
    qry_buf_put(b, s + start, n - start);
    qry_buf_putc(b, '"');
}
