/*
 * query/exec_tz.c: TZif zone files and POSIX TZ rules, for tz('...').
 *
 * Read as Go 1.19's time package reads them, because InfluxDB aligns
 * GROUP BY time() windows and prints times with Go's zone data: version 2+
 * files use their 64-bit section; instants before the first transition use
 * the first standard-time zone; instants at or after the last transition
 * follow the footer's POSIX TZ rule when there is one (else the last zone).
 * Every input byte is bounds-checked: a damaged file is STRATA_ECORRUPT.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "query/tz_int.h"

typedef struct tz_type {
    int32_t off;
    uint8_t isdst;
} tz_type;

typedef struct tz_rule {
    int kind; /* 'J' Julian 1..365 no leap; 'N' 0..365; 'M' month.week.day */
    int day, week, mon;
    int32_t time; /* seconds after local midnight */
} tz_rule;

struct qry_tz {
    int utc;
    size_t ntx;
    int64_t *tx_when;
    uint8_t *tx_type;
    size_t ntypes;
    tz_type *types;
    int first_type;
    /* footer rule */
    int has_rule;
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    tz_rule start, end;
};

void qry__tz_free(qry_tz *tz)
{
    if (tz == NULL) return;
    free(tz->tx_when);
    free(tz->tx_type);
    free(tz->types);
    free(tz);
}

int qry__tz_is_utc(const qry_tz *tz)
{
    return tz == NULL || tz->utc;
}

/* ---- POSIX TZ strings ---------------------------------------------------- */

static const char *tz_name(const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p == '>' ? p + 1 : NULL;
    }
    const char *s = p;
    while (isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds. */
static const char *tz_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if (!isdigit((unsigned char)*p)) return NULL;
    int32_t v[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        int n = 0;
        if (!isdigit((unsigned char)*p)) return NULL;
        while (isdigit((unsigned char)*p) && n < 3) {
            v[i] = v[i] * 10 + (*p++ - '0');
            n++;
        }
        if (*p != ':') break;
        p++;
    }
    *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    return p;
}

static const char *tz_num(const char *p, int *out)
{
    if (!isdigit((unsigned char)*p)) return NULL;
    int v = 0;
    while (isdigit((unsigned char)*p) && v < 100000)
        v = v * 10 + (*p++ - '0');
    *out = v;
    return p;
}

static const char *tz_rule_parse(const char *p, tz_rule *r)
{
    if (*p == 'J') {
        r->kind = 'J';
        if ((p = tz_num(p + 1, &r->day)) == NULL || r->day < 1 || r->day > 365) return NULL;
    } else if (*p == 'M') {
        r->kind = 'M';
        if ((p = tz_num(p + 1, &r->mon)) == NULL || *p++ != '.' ||
            (p = tz_num(p, &r->week)) == NULL || *p++ != '.' || (p = tz_num(p, &r->day)) == NULL)
            return NULL;
        if (r->mon < 1 || r->mon > 12 || r->week < 1 || r->week > 5 || r->day > 6) return NULL;
    } else {
        r->kind = 'N';
        if ((p = tz_num(p, &r->day)) == NULL || r->day > 365) return NULL;
    }
    r->time = 7200;
    if (*p == '/') {
        if ((p = tz_hms(p + 1, &r->time)) == NULL) return NULL;
    }
    return p;
}

static int tz_footer_parse(qry_tz *tz, const char *s)
{
    const char *p = tz_name(s);
    int32_t off;
    if (p == NULL || (p = tz_hms(p, &off)) == NULL) return -1;
    tz->std_off = -off;
    if (*p == 0) {
        tz->has_rule = 1;
        tz->has_dst = 0;
        return 0;
    }
    if ((p = tz_name(p)) == NULL) return -1;
    tz->dst_off = tz->std_off + 3600;
    if (*p != ',' && *p != 0) {
        if ((p = tz_hms(p, &off)) == NULL) return -1;
        tz->dst_off = -off;
    }
    if (*p == 0) {
        /* No rule: Go falls back to the US default rule ",M3.2.0,M11.1.0". */
        p = ",M3.2.0,M11.1.0";
    }
    if (*p++ != ',' || (p = tz_rule_parse(p, &tz->start)) == NULL || *p++ != ',' ||
        (p = tz_rule_parse(p, &tz->end)) == NULL || *p != 0)
        return -1;
    tz->has_rule = 1;
    tz->has_dst = 1;
    return 0;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Seconds from the start of year y (local) to the rule's instant (local). */
static int64_t rule_secs(const tz_rule *r, int64_t y)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day;
    if (r->kind == 'J') {
        day = r->day - 1;
        if (is_leap(y) && r->day >= 60) day++;
    } else if (r->kind == 'N') {
        day = r->day;
    } else {
        int64_t first = days_from_civil(y, (unsigned)r->mon, 1);
        int64_t jan1 = days_from_civil(y, 1, 1);
        int wd = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday (4) */
        int d = r->day - wd;
        if (d < 0) d += 7;
        d += (r->week - 1) * 7;
        int ml = mdays[r->mon - 1] + (r->mon == 2 && is_leap(y));
        while (d >= ml)
            d -= 7;
        day = first - jan1 + d;
    }
    return day * 86400 + r->time;
}

static int32_t rule_offset(const qry_tz *tz, int64_t sec)
{
    if (!tz->has_dst) return tz->std_off;
    /* The year in standard local time. */
    int64_t ls = sec + tz->std_off;
    int64_t days = ls / 86400 - (ls % 86400 < 0);
    /* civil year of days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    int64_t ystart = days_from_civil(y, 1, 1) * 86400; /* local midnight Jan 1 as if UTC */
    int64_t start = ystart + rule_secs(&tz->start, y) - tz->std_off;
    int64_t end = ystart + rule_secs(&tz->end, y) - tz->dst_off;
    if (start < end) return (sec >= start && sec < end) ? tz->dst_off : tz->std_off;
    return (sec >= end && sec < start) ? tz->std_off : tz->dst_off;
}

int32_t qry__tz_offset(const qry_tz *tz, int64_t sec)
{
    if (tz == NULL || tz->utc) return 0;
    if (tz->ntx == 0 || sec < tz->tx_when[0]) {
        if (tz->ntx == 0 && tz->has_rule) return rule_offset(tz, sec);
        return tz->ntypes ? tz->types[tz->first_type].off : 0;
    }
    size_t lo = 0, hi = tz->ntx; /* last tx with when <= sec */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (tz->tx_when[mid] <= sec)
            lo = mid;
        else
            hi = mid;
    }
    if (lo == tz->ntx - 1 && tz->has_rule) return rule_offset(tz, sec);
    return tz->types[tz->tx_type[lo]].off;
}

int64_t qry__tz_offset_ns(const qry_tz *tz, int64_t ns)
{
    int64_t sec = ns / 1000000000 - (ns % 1000000000 < 0);
    return (int64_t)qry__tz_offset(tz, sec) * 1000000000;
}

/* ---- TZif ------------------------------------------------------------------ */

static int corrupt(strata_error *err, const char *name)
{
    return strata_error_set(err, STRATA_ECORRUPT, "unable to read time zone file for %s", name);
}

static int tzif_parse(qry_tz *tz, const uint8_t *p, size_t n, const char *name, strata_error *err)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0) return corrupt(err, name);
    int version = p[4] ? p[4] - '0' : 1;
    size_t tsz = 4;
    for (int pass = 0; pass < 2; pass++) {
        if (n < 44 || memcmp(p, "TZif", 4) != 0) return corrupt(err, name);
        uint32_t isutc = strata_get_be32(p + 20), isstd = strata_get_be32(p + 24),
                 leap = strata_get_be32(p + 28), timecnt = strata_get_be32(p + 32),
                 typecnt = strata_get_be32(p + 36), charcnt = strata_get_be32(p + 40);
        uint64_t need = (uint64_t)timecnt * tsz + timecnt + (uint64_t)typecnt * 6 + charcnt +
                        (uint64_t)leap * (tsz + 4) + isstd + isutc;
        if (typecnt == 0 || typecnt > 256 || 44 + need > n) return corrupt(err, name);
        if (pass == 0 && version >= 2) {
            p += 44 + need;
            n -= 44 + need;
            tsz = 8;
            continue;
        }
        const uint8_t *q = p + 44;
        tz->ntx = timecnt;
        tz->tx_when = malloc((timecnt ? timecnt : 1) * sizeof *tz->tx_when);
        tz->tx_type = malloc(timecnt ? timecnt : 1);
        tz->types = malloc(typecnt * sizeof *tz->types);
        if (!tz->tx_when || !tz->tx_type || !tz->types)
            return strata_error_set(err, STRATA_ENOMEM, "out of memory loading a time zone");
        for (uint32_t i = 0; i < timecnt; i++, q += tsz)
            tz->tx_when[i] =
                tsz == 8 ? (int64_t)strata_get_be64(q) : (int64_t)(int32_t)strata_get_be32(q);
        for (uint32_t i = 0; i < timecnt; i++, q++) {
            if (*q >= typecnt) return corrupt(err, name);
            tz->tx_type[i] = *q;
        }
        tz->ntypes = typecnt;
        for (uint32_t i = 0; i < typecnt; i++, q += 6) {
            tz->types[i].off = (int32_t)strata_get_be32(q);
            tz->types[i].isdst = q[4];
        }
        /* Go's lookupFirstZone. */
        int used0 = 0;
        for (uint32_t i = 0; i < timecnt; i++)
            if (tz->tx_type[i] == 0) used0 = 1;
        tz->first_type = 0;
        if (used0) {
            int found = 0;
            if (timecnt > 0 && tz->types[tz->tx_type[0]].isdst) {
                for (int zi = (int)tz->tx_type[0] - 1; zi >= 0; zi--)
                    if (!tz->types[zi].isdst) {
                        tz->first_type = zi;
                        found = 1;
                        break;
                    }
            }
            if (!found) {
                for (uint32_t zi = 0; zi < typecnt; zi++)
                    if (!tz->types[zi].isdst) {
                        tz->first_type = (int)zi;
                        found = 1;
                        break;
                    }
            }
        }
        size_t used = 44 + need;
        if (version >= 2 && n > used + 1 && p[used] == '\n') {
            const char *f = (const char *)p + used + 1;
            size_t fl = n - used - 1;
            const char *nl = memchr(f, '\n', fl);
            if (nl && nl > f && (size_t)(nl - f) < 128) {
                char rule[128];
                memcpy(rule, f, (size_t)(nl - f));
                rule[nl - f] = 0;
                if (tz_footer_parse(tz, rule) != 0) tz->has_rule = 0;
            }
        }
        return STRATA_OK;
    }
    return corrupt(err, name);
}

int qry__tz_load(const char *name, size_t len, qry_tz **out, strata_error *err)
{
    static const char *const dirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
                                       "/usr/lib/locale/TZ/"};
    *out = NULL;
    qry_tz *tz = calloc(1, sizeof *tz);
    if (tz == NULL)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory loading a time zone");
    char nm[256];
    if (len >= sizeof nm) len = sizeof nm - 1;
    memcpy(nm, name, len);
    nm[len] = 0;
    if (len == 0 || strcmp(nm, "UTC") == 0) {
        tz->utc = 1;
        *out = tz;
        return STRATA_OK;
    }
    FILE *f = NULL;
    if (strcmp(nm, "Local") == 0) {
        f = fopen("/etc/localtime", "rb");
        if (f == NULL) {
            tz->utc = 1;
            *out = tz;
            return STRATA_OK;
        }
    } else if (strstr(nm, "..") == NULL && nm[0] != '/') {
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && f == NULL; i++) {
            char path[512];
            snprintf(path, sizeof path, "%s%s", dirs[i], nm);
            f = fopen(path, "rb");
        }
    }
    if (f == NULL) {
        free(tz);
        return strata_error_set(err, STRATA_ENOTFOUND, "unable to find time zone %s", nm);
    }
    uint8_t *data = NULL;
    size_t n = 0, cap = 0;
    int rc = STRATA_OK;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (1u << 22)) {
                rc = corrupt(err, nm);
                break;
            }
            uint8_t *d = realloc(data, cap);
            if (d == NULL) {
                rc = strata_error_set(err, STRATA_ENOMEM, "out of memory loading a time zone");
                break;
            }
            data = d;
        }
        size_t k = fread(data + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    fclose(f);
    if (rc == STRATA_OK) rc = tzif_parse(tz, data, n, nm, err);
    free(data);
    if (rc != STRATA_OK) {
        qry__tz_free(tz);
        return rc;
    }
    *out = tz;
    return STRATA_OK;
}
