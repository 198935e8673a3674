/*
 * tests/unit/lineproto/test_compat.c: replay the recorded InfluxDB 1.6.7
 * cases (tests/compat/lp/cases.txt) and Strata's deliberate differences
 * (tests/compat/lp/strata-differences.txt) through the parser.
 *
 * For each case the body is parsed as InfluxDB's HTTP handler would: bad
 * lines become "unable to parse '<line>': <reason>" joined by '\n'; with no
 * good line the answer is 400 with that text, with some good lines it is 400
 * "partial write: <text> dropped=0", else 204. Status and error text must
 * match exactly. Then the good points, merged per series and timestamp as
 * the database merges them (last value wins), must equal the stored points.
 * Cases flagged "storage" are answered by the storage layer and skipped.
 *
 * The case files are found next to this source (via __FILE__), or in the
 * directory named by STRATA_LP_CASES_DIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "lineproto/lp.h"

#define DEFAULT_TS 1700000000123456789LL

/* A growable byte string. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_adds(buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_addf(buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_add(b, tmp, (size_t)n);
}

/* Set while replaying a case whose difference is expected: no report. */
static int stdout_quiet;

__attribute__((format(printf, 1, 2))) static void report(const char *fmt, ...)
{
    if (stdout_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

/* Undo the case-file escapes of one value into out. */
static void unesc(const char *s, size_t n, buf *out)
{
    out->len = 0;
    buf_add(out, "", 0);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 1 >= n) {
            buf_add(out, &c, 1);
            continue;
        }
        char e = s[++i];
        if (e == 'n')
            c = '\n';
        else if (e == 't')
            c = '\t';
        else if (e == 'r')
            c = '\r';
        else if (e == 'x' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        } else if (e == '*') {
            char *end;
            long cnt = strtol(s + i + 1, &end, 10);
            assert_true(*end == '*');
            char rep = end[1];
            for (long k = 0; k < cnt; k++)
                buf_add(out, &rep, 1);
            i = (size_t)(end + 1 - s);
            continue;
        } else {
            c = e;
        }
        buf_add(out, &c, 1);
    }
}

/* Split a record line into at most 4 TAB-separated, unescaped parts. */
static int split(const char *line, size_t n, buf parts[4])
{
    int np = 0;
    size_t s = 0;
    for (size_t i = 0; i <= n && np < 4; i++) {
        if (i == n || (line[i] == '\t' && np < 3)) {
            unesc(line + s, i - s, &parts[np++]);
            s = i + 1;
        }
    }
    return np;
}

/* ------------------------------------------------------------------ */
/* Canonical point text, shared by expected and parsed points:         */
/*   measurement \x1f (tag key \x1e value)* \x1f ts \x1f               */
/*   (field key \x1e type \x1e value \x1d)* sorted by key              */

typedef struct cfield {
    buf key;
    buf text; /* "type\x1evalue" */
} cfield;

typedef struct cpoint {
    buf series; /* measurement and tags and ts: the merge key */
    cfield *f;
    size_t nf;
} cpoint;

typedef struct cset {
    cpoint *p;
    size_t n;
} cset;

static void cfield_set(cpoint *pt, const char *k, size_t kl, const char *text, size_t tl)
{
    for (size_t i = 0; i < pt->nf; i++) {
        if (pt->f[i].key.len == kl && memcmp(pt->f[i].key.p, k, kl) == 0) {
            pt->f[i].text.len = 0;
            buf_add(&pt->f[i].text, text, tl);
            return;
        }
    }
    pt->f = realloc(pt->f, (pt->nf + 1) * sizeof *pt->f);
    assert_non_null(pt->f);
    memset(&pt->f[pt->nf], 0, sizeof pt->f[0]);
    buf_add(&pt->f[pt->nf].key, k, kl);
    buf_add(&pt->f[pt->nf].text, text, tl);
    pt->nf++;
}

static cpoint *cset_get(cset *s, const buf *series)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->p[i].series.len == series->len &&
            memcmp(s->p[i].series.p, series->p, series->len) == 0)
            return &s->p[i];
    }
    s->p = realloc(s->p, (s->n + 1) * sizeof *s->p);
    assert_non_null(s->p);
    memset(&s->p[s->n], 0, sizeof s->p[0]);
    buf_add(&s->p[s->n].series, series->p, series->len);
    return &s->p[s->n++];
}

static void cset_free(cset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < s->p[i].nf; j++) {
            free(s->p[i].f[j].key.p);
            free(s->p[i].f[j].text.p);
        }
        free(s->p[i].f);
        free(s->p[i].series.p);
    }
    free(s->p);
    s->p = NULL;
    s->n = 0;
}

static int cmp_field(const void *a, const void *b)
{
    const cfield *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.p, y->key.p, n);
    return c ? c : (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

/* The whole canonical text of every point, sorted, joined by '\n'. */
static int cmp_buf(const void *a, const void *b)
{
    const buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void cset_render(cset *s, buf *out)
{
    buf *lines = calloc(s->n ? s->n : 1, sizeof *lines);
    assert_non_null(lines);
    for (size_t i = 0; i < s->n; i++) {
        qsort(s->p[i].f, s->p[i].nf, sizeof *s->p[i].f, cmp_field);
        buf_add(&lines[i], s->p[i].series.p, s->p[i].series.len);
        for (size_t j = 0; j < s->p[i].nf; j++) {
            buf_add(&lines[i], s->p[i].f[j].key.p, s->p[i].f[j].key.len);
            buf_adds(&lines[i], "=");
            buf_add(&lines[i], s->p[i].f[j].text.p, s->p[i].f[j].text.len);
            buf_adds(&lines[i], ";");
        }
    }
    qsort(lines, s->n, sizeof *lines, cmp_buf);
    out->len = 0;
    buf_add(out, "", 0);
    for (size_t i = 0; i < s->n; i++) {
        buf_add(out, lines[i].p, lines[i].len);
        buf_adds(out, "\n");
        free(lines[i].p);
    }
    free(lines);
}

static void float_text(buf *t, double d)
{
    if (d == 0) d = 0; /* InfluxDB's JSON reports -0 as 0 */
    buf_addf(t, "float:%a", d);
}

/* ------------------------------------------------------------------ */

typedef struct lp_case {
    buf name, precision, body, error, flags;
    int has_precision;
    int status;
    cset expect;
    int line; /* in the file, for messages */
} lp_case;

static int64_t truncate_ts(int64_t t, lp_precision prec)
{
    static const int64_t mult[] = {1, 1000, 1000000, 1000000000, 60000000000LL, 3600000000000LL};
    int64_t d = mult[prec];
    int64_t r = t % d;
    if (r < 0) r += d;
    return t - r;
}

static lp_precision case_precision(const lp_case *c)
{
    lp_precision prec = LP_PREC_NS;
    if (c->has_precision &&
        lp_precision_parse(c->precision.p, c->precision.len, &prec) != STRATA_OK)
        prec = LP_PREC_NS; /* 1.6.7 treats unknown precisions as nanoseconds */
    return prec;
}

/* Run one case; returns 0 when it matched, else prints why and returns 1. */
static int run_case(lp_case *c, uint32_t flags, int verbose)
{
    lp_options opt;
    lp_options_init(&opt);
    opt.flags = flags;
    opt.precision = case_precision(c);
    lp_parser *p = NULL;
    assert_int_equal(lp_parser_new(&opt, &p), STRATA_OK);
    lp_parser_reset(p, c->body.p, c->body.len, DEFAULT_TS);

    buf errs = {0}, tmp = {0}, got = {0}, want = {0};
    cset parsed = {0};
    size_t ngood = 0, nbad = 0;
    lp_point pt;
    int rc;
    char small[256];
    while ((rc = lp_parser_next(p, &pt)) != 0) {
        if (rc < 0) {
            size_t need = lp_parser_format_error(p, &pt, small, sizeof small);
            if (nbad++) buf_adds(&errs, "\n");
            if (need < sizeof small) {
                buf_add(&errs, small, need);
            } else {
                char *big = malloc(need + 1);
                assert_non_null(big);
                lp_parser_format_error(p, &pt, big, need + 1);
                buf_add(&errs, big, need);
                free(big);
            }
            continue;
        }
        ngood++;
        assert_true(pt.nfields > 0);
        assert_true(pt.measurement.len > 0);
        tmp.len = 0;
        buf_add(&tmp, pt.measurement.p, pt.measurement.len);
        buf_adds(&tmp, "\x1f");
        for (uint32_t i = 0; i < pt.ntags; i++) {
            if (i)
                assert_true(memcmp(pt.tags[i - 1].key.p, pt.tags[i].key.p,
                                   pt.tags[i - 1].key.len < pt.tags[i].key.len
                                       ? pt.tags[i - 1].key.len
                                       : pt.tags[i].key.len) <= 0);
            buf_add(&tmp, pt.tags[i].key.p, pt.tags[i].key.len);
            buf_adds(&tmp, "\x1e");
            buf_add(&tmp, pt.tags[i].val.p, pt.tags[i].val.len);
            buf_adds(&tmp, "\x1e");
        }
        buf_addf(&tmp, "\x1f%lld\x1f", (long long)pt.ts_ns);
        cpoint *cp = cset_get(&parsed, &tmp);
        for (uint32_t i = 0; i < pt.nfields; i++) {
            const lp_field *f = &pt.fields[i];
            buf t = {0};
            switch (f->type) {
            case LP_FLOAT:
                float_text(&t, f->v.f);
                break;
            case LP_INT:
                buf_addf(&t, "integer:%lld", (long long)f->v.i);
                break;
            case LP_UINT:
                buf_addf(&t, "unsigned:%llu", (unsigned long long)f->v.u);
                break;
            case LP_BOOL:
                buf_addf(&t, "boolean:%s", f->v.b ? "true" : "false");
                break;
            case LP_STRING:
                buf_adds(&t, "string:");
                buf_add(&t, f->v.s.p, f->v.s.len);
                break;
            default:
                fail_msg("bad type %d", f->type);
            }
            cfield_set(cp, f->key.p, f->key.len, t.p, t.len);
            free(t.p);
        }
    }
    lp_parser_free(p);

    int status = 204;
    buf answer = {0};
    buf_add(&answer, "", 0);
    if (nbad && !ngood) {
        status = 400;
        buf_add(&answer, errs.p, errs.len);
    } else if (nbad) {
        status = 400;
        buf_adds(&answer, "partial write: ");
        buf_add(&answer, errs.p, errs.len);
        buf_adds(&answer, " dropped=0");
    }

    int bad = 0;
    if (!verbose) stdout_quiet = 1;
    if (status != c->status) {
        report("case %s (line %d): status %d, want %d\n", c->name.p, c->line, status, c->status);
        bad = 1;
    }
    if (answer.len != c->error.len || memcmp(answer.p, c->error.p, answer.len) != 0) {
        report("case %s (line %d): error\n  got  '%.300s'\n  want '%.300s'\n", c->name.p, c->line,
               answer.p, c->error.p ? c->error.p : "");
        bad = 1;
    }
    if (!strstr(c->flags.p ? c->flags.p : "", "status-only")) {
        cset_render(&parsed, &got);
        cset_render(&c->expect, &want);
        if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0) {
            report("case %s (line %d): points\n  got  %.400s\n  want %.400s\n", c->name.p, c->line,
                   got.p, want.p);
            bad = 1;
        }
    }
    stdout_quiet = 0;
    cset_free(&parsed);
    free(errs.p);
    free(tmp.p);
    free(got.p);
    free(want.p);
    free(answer.p);
    return bad;
}

static void case_clear(lp_case *c)
{
    free(c->name.p);
    free(c->precision.p);
    free(c->body.p);
    free(c->error.p);
    free(c->flags.p);
    cset_free(&c->expect);
    memset(c, 0, sizeof *c);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    buf b = {0};
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_add(&b, tmp, n);
    fclose(f);
    *len = b.len;
    return b.p ? b.p : calloc(1, 1);
}

static void case_path(char *out, size_t cap, const char *file)
{
    const char *dir = getenv("STRATA_LP_CASES_DIR");
    if (dir) {
        snprintf(out, cap, "%s/%s", dir, file);
        return;
    }
    /* __FILE__ is tests/unit/lineproto/test_compat.c */
    char src[4096];
    snprintf(src, sizeof src, "%s", __FILE__);
    char *cut = strstr(src, "tests/unit/lineproto/");
    if (cut)
        *cut = '\0';
    else
        snprintf(src, sizeof src, "./");
    /* Checked: a truncated path would name the wrong file. */
    int n = snprintf(out, cap, "%.2048stests/compat/lp/%.512s", src, file);
    if (n < 0 || (size_t)n >= cap) out[0] = '\0';
}

/* Replay every case of one file; returns the number of cases run. */
static int run_file(const char *file, uint32_t flags, const char *const *allowed, int *failures)
{
    char path[4096];
    case_path(path, sizeof path, file);
    size_t len;
    char *text = read_file(path, &len);
    if (!text) fail_msg("cannot read %s (set STRATA_LP_CASES_DIR)", path);

    lp_case c = {0};
    cpoint *cur = NULL;
    buf parts[4] = {{0}};
    buf series = {0};
    buf pending_ts = {0};
    int ncases = 0, lineno = 0, in_case = 0;
    size_t pos = 0;
    while (pos < len) {
        char *nl = memchr(text + pos, '\n', len - pos);
        size_t e = nl ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t n = e - pos;
        pos = e + 1;
        lineno++;
        if (n == 0 || line[0] == '#') continue;
        int np = split(line, n, parts);
        const char *kw = parts[0].p;
        if (!strcmp(kw, "case")) {
            case_clear(&c);
            buf_add(&c.name, parts[1].p, parts[1].len);
            buf_add(&c.error, "", 0);
            buf_add(&c.flags, "", 0);
            c.line = lineno;
            in_case = 1;
            cur = NULL;
        } else if (!strcmp(kw, "precision")) {
            buf_add(&c.precision, parts[1].p, parts[1].len);
            c.has_precision = 1;
        } else if (!strcmp(kw, "flags")) {
            buf_add(&c.flags, parts[1].p, parts[1].len);
        } else if (!strcmp(kw, "body")) {
            buf_add(&c.body, np > 1 ? parts[1].p : "", np > 1 ? parts[1].len : 0);
        } else if (!strcmp(kw, "status")) {
            c.status = atoi(parts[1].p);
        } else if (!strcmp(kw, "error")) {
            c.error.len = 0;
            buf_add(&c.error, parts[1].p, parts[1].len);
        } else if (!strcmp(kw, "point") || !strcmp(kw, "tag") || !strcmp(kw, "field")) {
            if (!strcmp(kw, "point")) {
                /* The series text is complete once the tags are read; keep
                 * measurement and ts and build it on the first field. */
                series.len = 0;
                buf_add(&series, parts[2].p, parts[2].len);
                buf_adds(&series, "\x1f");
                pending_ts.len = 0;
                if (!strcmp(parts[1].p, "now"))
                    buf_addf(&pending_ts, "%lld",
                             (long long)truncate_ts(DEFAULT_TS, case_precision(&c)));
                else
                    buf_add(&pending_ts, parts[1].p, parts[1].len);
                cur = NULL;
            } else if (!strcmp(kw, "tag")) {
                buf_add(&series, parts[1].p, parts[1].len);
                buf_adds(&series, "\x1e");
                buf_add(&series, parts[2].p, parts[2].len);
                buf_adds(&series, "\x1e");
            } else {
                if (!cur) {
                    buf_adds(&series, "\x1f");
                    buf_add(&series, pending_ts.p, pending_ts.len);
                    buf_adds(&series, "\x1f");
                    cur = cset_get(&c.expect, &series);
                }
                buf t = {0};
                const char *type = parts[2].p;
                if (!strcmp(type, "float")) {
                    float_text(&t, strtod(parts[3].p, NULL));
                } else {
                    buf_adds(&t, type);
                    buf_adds(&t, ":");
                    buf_add(&t, parts[3].p, parts[3].len);
                }
                cfield_set(cur, parts[1].p, parts[1].len, t.p, t.len);
                free(t.p);
            }
        } else if (!strcmp(kw, "end")) {
            assert_true(in_case);
            if (!strstr(c.flags.p, "storage")) {
                ncases++;
                int expected_diff = 0;
                for (int k = 0; allowed && allowed[k]; k++) {
                    if (!strncmp(c.name.p, allowed[k], strlen(allowed[k]))) expected_diff = 1;
                }
                int bad = run_case(&c, flags, !expected_diff);
                if (expected_diff) bad = 0;
                *failures += bad;
            }
            in_case = 0;
        } else {
            fail_msg("%s:%d: unknown record '%s'", path, lineno, kw);
        }
    }
    case_clear(&c);
    for (int i = 0; i < 4; i++)
        free(parts[i].p);
    free(series.p);
    free(pending_ts.p);
    free(text);
    return ncases;
}

static void influxdb_167_cases(void **state)
{
    (void)state;
    int failures = 0;
    int n = run_file("cases.txt", 0, NULL, &failures);
    printf("cases.txt: %d parser cases, %d failed\n", n, failures);
    assert_true(n >= 300);
    assert_int_equal(failures, 0);
}

static void strata_difference_cases(void **state)
{
    (void)state;
    int failures = 0;
    int n = run_file("strata-differences.txt", LP_FLAGS_DEFAULT, NULL, &failures);
    printf("strata-differences.txt: %d cases, %d failed\n", n, failures);
    assert_true(n >= 20);
    assert_int_equal(failures, 0);
}

/* With the default flags, every recorded 1.6.7 case answers as 1.6.7 did,
 * except the CRLF and unsigned cases (listed in strata-differences.txt). */
static void default_flags_keep_other_cases(void **state)
{
    (void)state;
    static const char *const allowed[] = {"crlf-", "uint-", "partial-crlf", NULL};
    int failures = 0;
    int n = run_file("cases.txt", LP_FLAGS_DEFAULT, allowed, &failures);
    printf("cases.txt with default flags: %d cases, %d unexpected differences\n", n, failures);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(influxdb_167_cases),
        cmocka_unit_test(strata_difference_cases),
        cmocka_unit_test(default_flags_keep_other_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
