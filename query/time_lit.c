/*
 * query/time_lit.c: time literal parsing (see time_lit.h).
 *
 * A hand-written reader for the three layouts InfluxDB tries, following the
 * field rules of Go's time.Parse for those layouts (fixed two-digit month,
 * day, minute and second; one- or two-digit hour; optional fraction).
 * Calendar arithmetic uses the days-from-civil formula, valid for any
 * proleptic Gregorian date, and every multiplication into nanoseconds is
 * overflow-checked.
 */
#include "query/time_lit.h"

#include "common/error.h"

typedef struct cursor {
    const char *s;
    size_t len, i;
} cursor;

static bool digit_at(const cursor *c, size_t k)
{
    return c->i + k < c->len && c->s[c->i + k] >= '0' && c->s[c->i + k] <= '9';
}

/* Exactly n digits. */
static bool fixed(cursor *c, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (!digit_at(c, (size_t)k)) return false;
        v = v * 10 + (c->s[c->i + (size_t)k] - '0');
    }
    c->i += (size_t)n;
    *out = v;
    return true;
}

/* One or two digits. */
static bool loose2(cursor *c, int *out)
{
    if (!digit_at(c, 0)) return false;
    int v = c->s[c->i] - '0';
    c->i++;
    if (digit_at(c, 0)) {
        v = v * 10 + (c->s[c->i] - '0');
        c->i++;
    }
    *out = v;
    return true;
}

static bool lit(cursor *c, char ch)
{
    if (c->i < c->len && c->s[c->i] == ch) {
        c->i++;
        return true;
    }
    return false;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int m, int64_t y)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool date_prefix(cursor *c, int *y, int *mo, int *d)
{
    return fixed(c, 4, y) && lit(c, '-') && fixed(c, 2, mo) && lit(c, '-') && fixed(c, 2, d);
}

bool qry_time_looks_like(const char *s, size_t len)
{
    cursor c = {s, len, 0};
    int y, mo, d;
    if (!date_prefix(&c, &y, &mo, &d)) return false;
    return c.i == len || s[c.i] != '\n';
}

/* Seconds, then an optional ".digits" fraction (nine digits kept). */
static bool clock(cursor *c, int *h, int *mi, int *sec, int64_t *frac)
{
    if (!loose2(c, h) || !lit(c, ':') || !fixed(c, 2, mi) || !lit(c, ':') || !fixed(c, 2, sec))
        return false;
    *frac = 0;
    if (c->i + 1 < c->len && c->s[c->i] == '.' && digit_at(c, 1)) {
        c->i++;
        int n = 0;
        while (digit_at(c, 0)) {
            if (n < 9) {
                *frac = *frac * 10 + (c->s[c->i] - '0');
                n++;
            }
            c->i++;
        }
        for (; n < 9; n++)
            *frac *= 10;
    }
    return *h < 24 && *mi < 60 && *sec < 60;
}

static int assemble(int y, int mo, int d, int h, int mi, int sec, int64_t frac, int64_t zone_s,
                    int64_t *out_ns)
{
    if (mo < 1 || mo > 12 || d < 1 || d > days_in(mo, y)) return STRATA_EINVAL;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - zone_s;
    int64_t ns;
    if (__builtin_mul_overflow(secs, INT64_C(1000000000), &ns) ||
        __builtin_add_overflow(ns, frac, &ns))
        return STRATA_ERANGE;
    *out_ns = ns;
    return STRATA_OK;
}

int qry_time_parse(const char *s, size_t len, int64_t *out_ns, bool *local)
{
    cursor c = {s, len, 0};
    int y, mo, d, h, mi, sec;
    int64_t frac;
    bool dummy;

    if (local == NULL) local = &dummy;
    if (!date_prefix(&c, &y, &mo, &d)) return STRATA_EINVAL;
    if (c.i == len) {
        *local = true;
        return assemble(y, mo, d, 0, 0, 0, 0, 0, out_ns);
    }
    if (s[c.i] == '\n') return STRATA_EINVAL;

    /* "2006-01-02 15:04:05.999999" */
    cursor c1 = c;
    if (lit(&c1, ' ') && clock(&c1, &h, &mi, &sec, &frac) && c1.i == len) {
        *local = true;
        return assemble(y, mo, d, h, mi, sec, frac, 0, out_ns);
    }

    /* "2006-01-02T15:04:05.999999999Z07:00" */
    cursor c2 = c;
    if (!lit(&c2, 'T') || !clock(&c2, &h, &mi, &sec, &frac)) return STRATA_EINVAL;
    int64_t zone = 0;
    if (lit(&c2, 'Z')) {
        zone = 0;
    } else {
        if (c2.i >= len) return STRATA_EINVAL;
        char sign = s[c2.i++];
        int zh, zm;
        if ((sign != '+' && sign != '-') || !fixed(&c2, 2, &zh) || !lit(&c2, ':') ||
            !fixed(&c2, 2, &zm))
            return STRATA_EINVAL;
        zone = (int64_t)(zh * 60 + zm) * 60;
        if (sign == '-') zone = -zone;
    }
    if (c2.i != len) return STRATA_EINVAL;
    *local = false;
    return assemble(y, mo, d, h, mi, sec, frac, zone, out_ns);
}
