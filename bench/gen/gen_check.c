/*
 * bench/gen/gen_check.c: the generator's self-check (see gen_check.h for
 * what is checked and why it lives here).
 *
 * The checks are written against the observable output (field names, text,
 * counts), not against gen.c's internal tables, so that a mistake in a table
 * is caught rather than repeated: the ranges and monotonic fields below are
 * restated from the TSBS model.
 */
#include "bench/gen/gen_check.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen/gen_fmt.h"
#include "bench/gen/gen_rng_int.h"

#define GEN__CHK_BUF (1u << 20)
#define GEN__CHK_TRACK_HOSTS 4096u
#define GEN__CHK_PTS 64u
#define GEN__CHK_RANDOM 100000

enum { GEN__R_RANGE = 1, GEN__R_MONO = 2, GEN__R_CONST = 4, GEN__R_DEC = 8 };

typedef struct gen__rule {
    uint8_t flags;
    double lo, hi;
    uint8_t max_dec; /* GEN__R_DEC: most decimals the text may show */
} gen__rule;

/* Restated model: value ranges, counters that never decrease, constants. */
typedef struct gen__rule_def {
    const char *meas;
    const char *key; /* "*" = every field of meas */
    uint8_t flags;
    double lo, hi;
    uint8_t max_dec;
} gen__rule_def;

#define GEN__GIB (1024.0 * 1024 * 1024)
static const gen__rule_def gen__rule_defs[] = {
    {"cpu", "*", GEN__R_RANGE, 0, 100, 0},
    {"diskio", "*", GEN__R_MONO | GEN__R_RANGE, 0, 1e18, 0},
    {"disk", "total", GEN__R_CONST | GEN__R_RANGE, 1099511627776.0, 1099511627776.0, 0},
    {"disk", "inodes_total", GEN__R_CONST, 0, 0, 0},
    {"disk", "used_percent", GEN__R_RANGE, 0, 100, 0},
    {"disk", "free", GEN__R_RANGE, 0, 1099511627776.0, 0},
    {"kernel", "boot_time", GEN__R_CONST | GEN__R_RANGE, 0, 239, 0},
    {"kernel", "*", GEN__R_MONO | GEN__R_RANGE, 0, 1e18, 0},
    {"mem", "total", GEN__R_CONST | GEN__R_RANGE, 8 * GEN__GIB, 16 * GEN__GIB, 0},
    {"mem", "used_percent", GEN__R_RANGE, 0, 100, 0},
    {"mem", "available_percent", GEN__R_RANGE, 0, 100, 0},
    {"mem", "buffered_percent", GEN__R_RANGE, 0, 100, 0},
    {"mem", "*", GEN__R_RANGE, 0, 16 * GEN__GIB, 0},
    {"net", "*", GEN__R_MONO | GEN__R_RANGE, 0, 1e18, 0},
    {"nginx", "accepts", GEN__R_MONO, 0, 0, 0},
    {"nginx", "handled", GEN__R_MONO, 0, 0, 0},
    {"nginx", "requests", GEN__R_MONO, 0, 0, 0},
    {"nginx", "*", GEN__R_RANGE, 0, 100, 0},
    {"postgresl", "temp_bytes", GEN__R_RANGE, 0, GEN__GIB, 0},
    {"postgresl", "*", GEN__R_RANGE, 0, 1000, 0},
    {"redis", "uptime_in_seconds", GEN__R_MONO, 0, 0, 0},
    {"redis", "total_connections_received", GEN__R_MONO, 0, 0, 0},
    {"redis", "expired_keys", GEN__R_MONO, 0, 0, 0},
    {"redis", "evicted_keys", GEN__R_MONO, 0, 0, 0},
    {"redis", "keyspace_hits", GEN__R_MONO, 0, 0, 0},
    {"redis", "keyspace_misses", GEN__R_MONO, 0, 0, 0},
    {"redis", "instantaneous_ops_per_sec", 0, 0, 0, 0},
    {"redis", "instantaneous_input_kbps", 0, 0, 0, 0},
    {"redis", "instantaneous_output_kbps", 0, 0, 0, 0},
    {"redis", "connected_clients", GEN__R_RANGE, 0, 10000, 0},
    {"redis", "rdb_changes_since_last_save", GEN__R_RANGE, 0, 10000, 0},
    {"redis", "used_memory", GEN__R_RANGE, 0, 16 * GEN__GIB, 0},
    {"redis", "used_memory_rss", GEN__R_RANGE, 0, 16 * GEN__GIB, 0},
    {"redis", "used_memory_peak", GEN__R_RANGE, 0, 16 * GEN__GIB, 0},
    {"redis", "used_memory_lua", GEN__R_RANGE, 0, 16 * GEN__GIB, 0},
    {"redis", "mem_fragmentation_ratio", GEN__R_RANGE, 0, 100, 0},
    {"redis", "*", GEN__R_RANGE, 0, 1000, 0},
    {"gauges", "temperature", GEN__R_RANGE | GEN__R_DEC, 15, 95, 2},
    {"gauges", "load1", GEN__R_RANGE | GEN__R_DEC, 0, 16, 2},
    {"gauges", "fan_rpm", GEN__R_RANGE | GEN__R_DEC, 600, 6000, 2},
    {"gauges", "power_watts", GEN__R_RANGE | GEN__R_DEC, 50, 2000, 3},
    {"gauges", "pressure_hpa", GEN__R_RANGE | GEN__R_DEC, 950, 1050, 4},
    {"gauges", "energy_kwh", GEN__R_RANGE | GEN__R_DEC, 1000, 1e9, 4},
    {"gauges", "*", GEN__R_RANGE | GEN__R_DEC, 0, 100, 2},
};

typedef struct gen__chk {
    const gen_opts *o;
    FILE *report;
    strata_error *err;
    uint32_t n_meas;
    uint64_t line; /* lines checked so far */
    gen__rule rules[GEN_N_MEAS][GEN_MAX_FIELDS];
    uint8_t rules_ready[GEN_N_MEAS];
    int64_t *last; /* tracked hosts * GEN_N_MEAS * GEN_MAX_FIELDS */
    uint8_t *seen; /* tracked hosts * GEN_N_MEAS */
    uint32_t tracked;
} gen__chk;

static int gen__fail(gen__chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int gen__fail(gen__chk *c, const char *fmt, ...)
{
    char msg[STRATA_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->report) fprintf(c->report, "check: FAIL: line %" PRIu64 ": %s\n", c->line + 1, msg);
    return strata_error_set(c->err, STRATA_EINTERNAL, "check failed at line %" PRIu64 ": %s",
                            c->line + 1, msg);
}

static uint64_t gen__fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- 1. number formatting ---------------------------------------------------- */

static int gen__check_fmt(gen__chk *c)
{
    static const struct {
        int64_t v;
        const char *s;
    } ints[] = {
        {0, "0"},
        {9, "9"},
        {10, "10"},
        {99, "99"},
        {100, "100"},
        {-1, "-1"},
        {12345, "12345"},
        {1000000, "1000000"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
    };
    static const struct {
        double v;
        const char *s;
    } flts[] = {
        {0.0, "0"},
        {100.0, "100"},
        {0.1, "0.1"},
        {0.3, "0.3"},
        {1.5, "1.5"},
        {-2.5, "-2.5"},
        {100.0 / 3, "33.333333333333336"},
        {200.0 / 3, "66.66666666666667"},
        {1.0 / 3, "0.3333333333333333"},
        {1e-5, "0.00001"},
        {0.000123, "0.000123"},
        {123456.789, "123456.789"},
        {1e15, "1000000000000000"},
        {1e21, "1000000000000000000000"},
        {1152921504606846976.0, "1152921504606847000"},
        {99.99999999999999, "99.99999999999999"},
        {5.820766091346741e-09, "0.000000005820766091346741"},
    };
    char buf[GEN_FMT_F64_MAX + 1], ref[GEN_FMT_F64_MAX + 1];
    size_t n, nr;

    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        n = gen_fmt_i64(buf, ints[i].v);
        if (n != strlen(ints[i].s) || memcmp(buf, ints[i].s, n) != 0)
            return gen__fail(c, "int format of %s gave %.*s", ints[i].s, (int)n, buf);
    }
    for (size_t i = 0; i < sizeof flts / sizeof flts[0]; i++) {
        n = gen_fmt_f64(buf, flts[i].v);
        nr = gen_fmt_f64_slow(ref, flts[i].v);
        if (n != strlen(flts[i].s) || memcmp(buf, flts[i].s, n) != 0)
            return gen__fail(c, "float format of %s gave %.*s", flts[i].s, (int)n, buf);
        if (nr != n || memcmp(buf, ref, n) != 0)
            return gen__fail(c, "slow float format of %s gave %.*s", flts[i].s, (int)nr, ref);
    }
    /* -0, the smallest subnormal, and the non-finite values. */
    n = gen_fmt_f64(buf, -0.0);
    if (n != 2 || memcmp(buf, "-0", 2) != 0)
        return gen__fail(c, "float format of -0 gave %.*s", (int)n, buf);
    n = gen_fmt_f64(buf, 4.9406564584124654e-324);
    if (n != 326 || memcmp(buf, "0.000", 5) != 0 || buf[325] != '5')
        return gen__fail(c, "float format of the smallest subnormal is wrong (%zu bytes)", n);
    n = gen_fmt_f64(buf, NAN);
    if (n != 3 || memcmp(buf, "NaN", 3) != 0)
        return gen__fail(c, "float format of NaN gave %.*s", (int)n, buf);
    n = gen_fmt_f64(buf, -INFINITY);
    if (n != 4 || memcmp(buf, "-Inf", 4) != 0)
        return gen__fail(c, "float format of -Inf gave %.*s", (int)n, buf);

    /* Random values: ints against printf, floats fast against slow, all read back. */
    gen__rng r;
    const uint64_t seed = 0x5eed5eedull;
    gen__rng_seed(&r, seed);
    unsigned long mismatches_at_boundary = 0;
    for (int i = 0; i < GEN__CHK_RANDOM; i++) {
        int64_t iv = (int64_t)gen__rng_next(&r) >> (gen__rng_next(&r) % 64);
        n = gen_fmt_i64(buf, iv);
        nr = (size_t)snprintf(ref, sizeof ref, "%" PRId64, iv);
        if (n != nr || memcmp(buf, ref, n) != 0)
            return gen__fail(c, "int format of %s gave %.*s (seed %#" PRIx64 ")", ref, (int)n, buf,
                             seed);

        double x;
        switch (i % 4) {
        case 0:
            x = gen__rng_unit(&r) * 100.0;
            break;
        case 1:
            x = gen__rng_unit(&r);
            break;
        case 2: {
            uint64_t bits = gen__rng_next(&r);
            memcpy(&x, &bits, sizeof x);
            if (!isfinite(x)) x = 1.0;
            break;
        }
        default:
            x = ldexp(gen__rng_unit(&r) + 1.0, (int)(gen__rng_next(&r) % 80) - 20);
            break;
        }
        n = gen_fmt_f64(buf, x);
        nr = gen_fmt_f64_slow(ref, x);
        buf[n] = '\0';
        ref[nr] = '\0';
        if (strchr(buf, 'e') || strchr(buf, 'E'))
            return gen__fail(c, "float format used an exponent: %s", buf);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &x, sizeof x) != 0)
            return gen__fail(c, "float %s does not read back as %.17g (seed %#" PRIx64 ")", buf, x,
                             seed);
        if (n != nr || memcmp(buf, ref, n) != 0) {
            /* Allowed only at the smallest mantissa of a binade (see gen_fmt.c). */
            uint64_t bits;
            memcpy(&bits, &x, sizeof bits);
            if ((bits & ((1ull << 52) - 1)) != 0 || n > nr)
                return gen__fail(c, "float %.17g: fast %s, slow %s (seed %#" PRIx64 ")", x, buf,
                                 ref, seed);
            mismatches_at_boundary++;
        }
    }
    if (c->report)
        fprintf(c->report,
                "check: number formatting ok (%d random ints and floats, seed %#" PRIx64
                ", %lu fast/slow differences at binade boundaries)\n",
                GEN__CHK_RANDOM, seed, mismatches_at_boundary);
    return STRATA_OK;
}

/* ---- 2-4. text against structured form, invariants, counts ---------------- */

static int gen__str_eq(gen_str a, const char *p, size_t n)
{
    return a.len == n && memcmp(a.p, p, n) == 0;
}

static void gen__rules_build(gen__chk *c, const gen_point *pt)
{
    for (uint32_t i = 0; i < pt->n_fields; i++) {
        gen__rule *ru = &c->rules[pt->meas][i];
        memset(ru, 0, sizeof *ru);
        for (size_t d = 0; d < sizeof gen__rule_defs / sizeof gen__rule_defs[0]; d++) {
            const gen__rule_def *rd = &gen__rule_defs[d];
            if (!gen__str_eq(pt->name, rd->meas, strlen(rd->meas))) continue;
            if (strcmp(rd->key, "*") != 0 &&
                !gen__str_eq(pt->field_keys[i], rd->key, strlen(rd->key)))
                continue;
            ru->flags = rd->flags;
            ru->lo = rd->lo;
            ru->hi = rd->hi;
            ru->max_dec = rd->max_dec;
            break;
        }
    }
    c->rules_ready[pt->meas] = 1;
}

/* Parse one text line and compare it with pt. */
static int gen__check_parse(gen__chk *c, const char *line, size_t len, const gen_point *pt)
{
    const char *p = line, *end = line + len - 1; /* without '\n' */
    const char *sp1 = memchr(p, ' ', (size_t)(end - p));
    if (!sp1) return gen__fail(c, "no space after the series key");
    const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
    if (!sp2) return gen__fail(c, "no space before the timestamp");

    /* measurement,k=v,... */
    const char *q = memchr(p, ',', (size_t)(sp1 - p));
    if (!q || !gen__str_eq(pt->name, p, (size_t)(q - p)))
        return gen__fail(c, "measurement differs from the structured point");
    uint32_t nt = 0;
    while (q < sp1) {
        const char *k = q + 1;
        const char *eq = memchr(k, '=', (size_t)(sp1 - k));
        if (!eq) return gen__fail(c, "tag without '='");
        const char *v = eq + 1;
        const char *ve = memchr(v, ',', (size_t)(sp1 - v));
        if (!ve) ve = sp1;
        if (nt >= pt->n_tags || !gen__str_eq(pt->tag_keys[nt], k, (size_t)(eq - k)) ||
            !gen__str_eq(pt->tag_vals[nt], v, (size_t)(ve - v)))
            return gen__fail(c, "tag %u differs from the structured point", nt);
        nt++;
        q = ve;
    }
    if (nt != pt->n_tags) return gen__fail(c, "%u tags in text, %u in the point", nt, pt->n_tags);

    /* k=v,... */
    uint32_t nf = 0;
    q = sp1 + 1;
    while (q < sp2) {
        const char *eq = memchr(q, '=', (size_t)(sp2 - q));
        if (!eq) return gen__fail(c, "field without '='");
        const char *v = eq + 1;
        const char *ve = memchr(v, ',', (size_t)(sp2 - v));
        if (!ve) ve = sp2;
        char num[GEN_FMT_F64_MAX + 2];
        size_t vl = (size_t)(ve - v);
        if (nf >= pt->n_fields || !gen__str_eq(pt->field_keys[nf], q, (size_t)(eq - q)) ||
            vl == 0 || vl > GEN_FMT_F64_MAX)
            return gen__fail(c, "field %u differs from the structured point", nf);
        memcpy(num, v, vl);
        num[vl] = '\0';
        if (pt->field_types[nf] == GEN_FT_INT) {
            char *e;
            if (num[vl - 1] != 'i') return gen__fail(c, "integer field %u without 'i'", nf);
            num[vl - 1] = '\0';
            long long iv = strtoll(num, &e, 10);
            if (*e != '\0' || iv != pt->values[nf].i)
                return gen__fail(c, "integer field %u reads %s, point has %" PRId64, nf, num,
                                 pt->values[nf].i);
        } else {
            char *e;
            if (strpbrk(num, "ieE")) return gen__fail(c, "float field %u written as %s", nf, num);
            double fv = strtod(num, &e);
            if (*e != '\0' || memcmp(&fv, &pt->values[nf].f, sizeof fv) != 0)
                return gen__fail(c, "float field %u reads %s, point has %.17g", nf, num,
                                 pt->values[nf].f);
        }
        nf++;
        q = ve + (ve < sp2);
    }
    if (nf != pt->n_fields)
        return gen__fail(c, "%u fields in text, %u in the point", nf, pt->n_fields);

    char tsb[32];
    size_t tl = (size_t)(end - sp2 - 1);
    if (tl == 0 || tl >= sizeof tsb) return gen__fail(c, "bad timestamp");
    memcpy(tsb, sp2 + 1, tl);
    tsb[tl] = '\0';
    char *e;
    long long ts = strtoll(tsb, &e, 10);
    if (*e != '\0' || ts != pt->ts_ns)
        return gen__fail(c, "timestamp %s differs from the point's %" PRId64, tsb, pt->ts_ns);
    return STRATA_OK;
}

static int gen__check_model(gen__chk *c, const gen_point *pt)
{
    const gen_opts *o = c->o;
    uint64_t per_epoch = (uint64_t)o->scale * c->n_meas;
    uint64_t epoch = c->line / per_epoch;
    uint32_t host = (uint32_t)(c->line % o->scale);
    int64_t ts = o->start_ns + (int64_t)epoch * o->interval_ns;

    if (pt->host != host) return gen__fail(c, "host %u where host %u was due", pt->host, host);
    if (pt->ts_ns != ts || ts >= o->end_ns)
        return gen__fail(c, "timestamp %" PRId64 " is off the epoch grid (%" PRId64 ")", pt->ts_ns,
                         ts);
    if (pt->n_fields == 0 || pt->n_fields > GEN_MAX_FIELDS || pt->n_tags > GEN_MAX_TAGS)
        return gen__fail(c, "bad field or tag count");
    if (pt->tag_vals[0].len < 6 || memcmp(pt->tag_vals[0].p, "host_", 5) != 0)
        return gen__fail(c, "first tag is not the hostname");
    if (!c->rules_ready[pt->meas]) gen__rules_build(c, pt);

    for (uint32_t i = 0; i < pt->n_fields; i++) {
        const gen__rule *ru = &c->rules[pt->meas][i];
        double v = pt->field_types[i] == GEN_FT_INT ? (double)pt->values[i].i : pt->values[i].f;
        if ((ru->flags & GEN__R_MONO) && epoch == 0 && v != 0)
            return gen__fail(c, "counter %.*s does not start at 0", (int)pt->field_keys[i].len,
                             pt->field_keys[i].p);
        if ((ru->flags & GEN__R_RANGE) && !(v >= ru->lo && v <= ru->hi))
            return gen__fail(c, "%.*s.%.*s = %.17g outside [%g, %g]", (int)pt->name.len, pt->name.p,
                             (int)pt->field_keys[i].len, pt->field_keys[i].p, v, ru->lo, ru->hi);
        if ((ru->flags & GEN__R_DEC) && pt->field_types[i] == GEN_FT_FLOAT) {
            char num[GEN_FMT_F64_MAX + 1];
            size_t nl = gen_fmt_f64(num, v);
            const char *dot = memchr(num, '.', nl);
            if (memchr(num, 'e', nl) || (dot && (size_t)(num + nl - dot - 1) > ru->max_dec))
                return gen__fail(c, "%.*s = %.*s has more than %u decimals",
                                 (int)pt->field_keys[i].len, pt->field_keys[i].p, (int)nl, num,
                                 (unsigned)ru->max_dec);
        }
    }
    const gen_value *v = pt->values;
    if (pt->meas == GEN_M_DISK && (v[0].i != v[1].i + v[2].i || v[4].i != v[5].i + v[6].i))
        return gen__fail(c, "disk: total != free + used");
    if (pt->meas == GEN_M_MEM &&
        (v[1].i != v[0].i - v[2].i || v[3].i != v[1].i || fabs(v[6].f + v[7].f - 100.0) > 1e-9))
        return gen__fail(c, "mem: available, free and percentages disagree");
    if (pt->meas == GEN_M_REDIS && v[0].i != (int64_t)epoch * o->interval_ns / 1000000000LL)
        return gen__fail(c, "redis: uptime_in_seconds %" PRId64 " at epoch %" PRIu64, v[0].i,
                         epoch);

    if (pt->host < c->tracked) {
        size_t si = (size_t)pt->host * GEN_N_MEAS + pt->meas;
        int64_t *last = c->last + si * GEN_MAX_FIELDS;
        for (uint32_t i = 0; i < pt->n_fields; i++) {
            const gen__rule *ru = &c->rules[pt->meas][i];
            if (!c->seen[si] || pt->field_types[i] != GEN_FT_INT) continue;
            if ((ru->flags & GEN__R_MONO) && v[i].i < last[i])
                return gen__fail(c, "counter %.*s decreased", (int)pt->field_keys[i].len,
                                 pt->field_keys[i].p);
            if ((ru->flags & GEN__R_CONST) && v[i].i != last[i])
                return gen__fail(c, "constant %.*s changed", (int)pt->field_keys[i].len,
                                 pt->field_keys[i].p);
        }
        for (uint32_t i = 0; i < pt->n_fields; i++)
            last[i] = v[i].i;
        c->seen[si] = 1;
    }
    return STRATA_OK;
}

static int gen__write_all(FILE *f, const char *p, size_t n, strata_error *err)
{
    if (f && fwrite(p, 1, n, f) != n)
        return strata_error_set(err, STRATA_EIO, "check: writing the data failed");
    return STRATA_OK;
}

/* Generate the run as text in batches of changing size. @return its hash in *h. */
static int gen__hash_run(const gen_opts *o, int odd_batches, uint64_t *h, strata_error *err)
{
    gen *g = NULL;
    char *buf = malloc(GEN_LINE_MAX * 4);
    int rc = buf ? gen_open(o, &g, err) : STRATA_ENOMEM;
    uint32_t k = 0;
    *h = 0xcbf29ce484222325ull;
    while (rc == STRATA_OK) {
        size_t used;
        uint32_t max = odd_batches ? 1 + (k++ % 97) : 0;
        int n = gen_next_text(g, buf, GEN_LINE_MAX * 4, max, &used);
        if (n < 0) rc = n;
        if (n <= 0) break;
        *h = gen__fnv(*h, buf, used);
    }
    gen_close(g);
    free(buf);
    return rc;
}

int gen_check_run(const gen_opts *o, FILE *report, FILE *data, strata_error *err)
{
    gen__chk c;
    gen *ga = NULL, *gb = NULL, *gcpu = NULL;
    char *buf = NULL, *line_b = NULL, cpu_line[GEN_LINE_MAX];
    gen_point *pts = NULL;
    uint64_t hash_a = 0xcbf29ce484222325ull;
    int rc;

    memset(&c, 0, sizeof c);
    c.o = o;
    c.report = report;
    c.err = err;
    c.n_meas = gen_use_case_meas(o->use_case);
    if ((rc = gen__check_fmt(&c)) != STRATA_OK) goto fail;

    rc = gen_open(o, &ga, err);
    if (rc == STRATA_OK) rc = gen_open(o, &gb, err);
    if (rc == STRATA_OK && (o->use_case == GEN_USE_DEVOPS || o->use_case == GEN_USE_DEVOPS_FLOAT)) {
        gen_opts oc = *o;
        oc.use_case = o->use_case == GEN_USE_DEVOPS ? GEN_USE_CPU_ONLY : GEN_USE_CPU_FLOAT;
        oc.limit_lines = 0;
        rc = gen_open(&oc, &gcpu, err);
    }
    if (rc != STRATA_OK) goto fail;
    c.tracked = o->scale < GEN__CHK_TRACK_HOSTS ? o->scale : GEN__CHK_TRACK_HOSTS;
    buf = malloc(GEN__CHK_BUF);
    line_b = malloc(GEN_LINE_MAX);
    pts = malloc(GEN__CHK_PTS * sizeof *pts);
    c.last = calloc((size_t)c.tracked * GEN_N_MEAS * GEN_MAX_FIELDS, sizeof *c.last);
    c.seen = calloc((size_t)c.tracked * GEN_N_MEAS, 1);
    if (!buf || !line_b || !pts || !c.last || !c.seen) {
        rc = strata_error_set(err, STRATA_ENOMEM, "check: out of memory");
        goto fail;
    }

    uint32_t have = 0, next = 0;
    for (;;) {
        size_t used;
        int n = gen_next_text(ga, buf, GEN__CHK_BUF, 0, &used);
        if (n < 0) {
            rc = strata_error_set(err, n, "check: gen_next_text failed");
            goto fail;
        }
        if (n == 0) break;
        hash_a = gen__fnv(hash_a, buf, used);
        if ((rc = gen__write_all(data, buf, used, err)) != STRATA_OK) goto fail;
        const char *p = buf, *end = buf + used;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                rc = gen__fail(&c, "batch does not end with a newline");
                goto fail;
            }
            size_t len = (size_t)(nl - p) + 1;
            if (len > GEN_LINE_MAX) {
                rc = gen__fail(&c, "line of %zu bytes exceeds GEN_LINE_MAX", len);
                goto fail;
            }
            if (next == have) {
                int np = gen_next_points(gb, pts, GEN__CHK_PTS);
                if (np <= 0) {
                    rc = gen__fail(&c, "structured run ended before the text run");
                    goto fail;
                }
                have = (uint32_t)np;
                next = 0;
            }
            const gen_point *pt = &pts[next++];
            int fl = gen_point_format(pt, line_b, GEN_LINE_MAX);
            if (fl < 0 || (size_t)fl != len || memcmp(line_b, p, len) != 0) {
                rc =
                    gen__fail(&c, "text differs from the formatted structured point:\n  %.*s  %.*s",
                              (int)len, p, fl < 0 ? 0 : fl, line_b);
                goto fail;
            }
            if ((rc = gen__check_parse(&c, p, len, pt)) != STRATA_OK ||
                (rc = gen__check_model(&c, pt)) != STRATA_OK)
                goto fail;
            if (gcpu && pt->meas == GEN_M_CPU) {
                size_t cl;
                if (gen_next_text(gcpu, cpu_line, sizeof cpu_line, 1, &cl) != 1 || cl != len ||
                    memcmp(cpu_line, p, len) != 0) {
                    rc =
                        gen__fail(&c, "devops cpu line differs from the cpu-only (cpu-float) line");
                    goto fail;
                }
            }
            c.line++;
            p = nl + 1;
        }
    }
    if (next != have || gen_next_points(gb, pts, 1) != 0) {
        rc = gen__fail(&c, "structured run has more points than the text run");
        goto fail;
    }

    gen_counts plan, done;
    gen_plan(ga, &plan);
    gen_progress(ga, &done);
    if (done.lines != plan.lines || done.values != plan.values || done.lines != c.line ||
        memcmp(done.values_by_meas, plan.values_by_meas, sizeof plan.values_by_meas) != 0) {
        rc = gen__fail(
            &c, "produced %" PRIu64 " lines / %" PRIu64 " values, plan says %" PRIu64 " / %" PRIu64,
            done.lines, done.values, plan.lines, plan.values);
        goto fail;
    }
    if (report)
        fprintf(report, "check: %" PRIu64 " lines match their structured points and the model\n",
                c.line);

    uint64_t h;
    if ((rc = gen__hash_run(o, 1, &h, err)) != STRATA_OK) goto fail;
    if (h != hash_a) {
        rc = gen__fail(&c, "a second run in odd batch sizes gave different bytes");
        goto fail;
    }
    if (c.line > 0) {
        gen_opts o2 = *o;
        o2.seed = o->seed + 1;
        if ((rc = gen__hash_run(&o2, 0, &h, err)) != STRATA_OK) goto fail;
        if (h == hash_a) {
            rc = gen__fail(&c, "seed %" PRIu64 " gave the same bytes as seed %" PRIu64, o2.seed,
                           o->seed);
            goto fail;
        }
    }
    if (report) {
        fprintf(report, "check: deterministic (hash %016" PRIx64 "), batch-size independent%s\n",
                hash_a, gcpu ? ", devops cpu == cpu-only" : "");
        fprintf(report, "use_case=%s scale=%u epochs=%" PRIu64 " seed=%" PRIu64 "\n",
                gen_use_case_name(o->use_case), o->scale, plan.epochs, o->seed);
        fprintf(report, "lines=%" PRIu64 " values=%" PRIu64 " bytes=%" PRIu64 "\n", done.lines,
                done.values, done.bytes);
        for (uint32_t m = 0; m < GEN_N_MEAS; m++)
            if (done.lines_by_meas[m])
                fprintf(report, "measurement=%s lines=%" PRIu64 " values=%" PRIu64 "\n",
                        gen_meas_name(m), done.lines_by_meas[m], done.values_by_meas[m]);
        fprintf(report, "check: OK\n");
    }
    rc = STRATA_OK;

fail:
    gen_close(ga);
    gen_close(gb);
    gen_close(gcpu);
    free(buf);
    free(line_b);
    free(pts);
    free(c.last);
    free(c.seen);
    return rc;
}
