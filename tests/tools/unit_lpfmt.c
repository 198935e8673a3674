/*
 * tests/tools/unit_lpfmt.c: the line-protocol side of `strata export` and
 * `strata import` checked against the real parser (lineproto/lp.h):
 *   - floats: tl_fmt_f64 reads back to the same bits for edge values and
 *     random bit patterns, and is the shortest form for known cases;
 *   - names and strings: whatever tl_lp_name / tl_lp_string accept parses
 *     back to exactly the input, for hand-picked and random names (fixed,
 *     printed seed);
 *   - tl_lp_line_cut: cutting a body where it says gives the same points as
 *     parsing the body whole, for every prefix of random bodies with quotes,
 *     newlines and backslashes;
 *   - tl_time_parse on RFC3339 and nanoseconds.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lineproto/lp.h"
#include "tools/strata_int.h"

#define SEED 20261124u

static uint64_t rng_state = SEED;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Parse one line; returns 1 with *pt filled. */
static int parse1(lp_parser *p, const char *line, size_t len, lp_point *pt)
{
    lp_parser_reset(p, line, len, 0);
    return lp_parser_next(p, pt);
}

static void float_roundtrips(double v, lp_parser *p)
{
    char num[40], line[80];
    size_t n = tl_fmt_f64(v, num);
    int l = snprintf(line, sizeof line, "m f=%.*s 1", (int)n, num);
    lp_point pt;
    if (parse1(p, line, (size_t)l, &pt) != 1) fail_msg("line %s does not parse", line);
    assert_int_equal(pt.fields[0].type, LP_FLOAT);
    if (memcmp(&pt.fields[0].v.f, &v, 8) != 0)
        fail_msg("%.17g written as %s reads back as %.17g", v, num, pt.fields[0].v.f);
}

static void floats(void **state)
{
    (void)state;
    lp_parser *p;
    assert_int_equal(lp_parser_new(NULL, &p), STRATA_OK);
    static const double edge[] = {0.0,
                                  -0.0,
                                  1.0,
                                  -1.0,
                                  0.1,
                                  1e-300,
                                  5e-324,
                                  -5e-324,
                                  DBL_MIN,
                                  DBL_MAX,
                                  -DBL_MAX,
                                  1e21,
                                  1e22,
                                  1e23,
                                  123456789.123456789,
                                  0.30000000000000004,
                                  1e-7,
                                  1e-5,
                                  4503599627370497.0,
                                  9007199254740993.0,
                                  2.5e-310,
                                  1.5e300};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        float_roundtrips(edge[i], p);
    printf("floats: seed %u\n", SEED);
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rnd();
        double v;
        memcpy(&v, &bits, 8);
        if (!isfinite(v)) continue;
        float_roundtrips(v, p);
    }
    /* Shortest forms. */
    struct {
        double v;
        const char *s;
    } known[] = {{0.1, "0.1"}, {5e-324, "5e-324"}, {1e21, "1e+21"},
                 {-0.0, "-0"}, {100.0, "100"},     {0.30000000000000004, "0.30000000000000004"},
                 {2.5, "2.5"}, {1e-7, "1e-07"},    {123456789.123456789, "123456789.12345679"}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        char num[40];
        tl_fmt_f64(known[i].v, num);
        assert_string_equal(num, known[i].s);
    }
    lp_parser_free(p);
}

/* Build "<m>,<tk>=<tv> <fk>=<sv>,x=1i 5" from the parts; NULL when a part is refused. */
static int build_line(tl_buf *b, const char *m, size_t ml, const char *tk, size_t tkl,
                      const char *tv, size_t tvl, const char *fk, size_t fkl, const char *sv,
                      size_t svl)
{
    b->len = 0;
    if (tl_lp_name(b, TL_LP_MEAS, m, ml) != STRATA_OK) return 0;
    tl_buf_reserve(b, 1);
    b->p[b->len++] = ',';
    if (tl_lp_name(b, TL_LP_TAG, tk, tkl) != STRATA_OK) return 0;
    tl_buf_reserve(b, 1);
    b->p[b->len++] = '=';
    if (tl_lp_name(b, TL_LP_TAG, tv, tvl) != STRATA_OK) return 0;
    tl_buf_reserve(b, 1);
    b->p[b->len++] = ' ';
    if (tl_lp_name(b, TL_LP_FIELDKEY, fk, fkl) != STRATA_OK) return 0;
    tl_buf_reserve(b, 1);
    b->p[b->len++] = '=';
    assert_int_equal(tl_lp_string(b, sv, svl), STRATA_OK);
    tl_buf_reserve(b, 8);
    memcpy(b->p + b->len, ",x=1i 5\n", 8);
    b->len += 8;
    return 1;
}

static void check_line(lp_parser *p, const tl_buf *b, const char *m, size_t ml, const char *tk,
                       size_t tkl, const char *tv, size_t tvl, const char *fk, size_t fkl,
                       const char *sv, size_t svl)
{
    lp_point pt;
    int rc = parse1(p, b->p, b->len, &pt);
    if (rc != 1) fail_msg("line [%.*s] does not parse: %s", (int)b->len, b->p, lp_parser_error(p));
    int ok = pt.measurement.len == ml && memcmp(pt.measurement.p, m, ml) == 0 && pt.ntags == 1 &&
             pt.tags[0].key.len == tkl && memcmp(pt.tags[0].key.p, tk, tkl) == 0 &&
             pt.tags[0].val.len == tvl && memcmp(pt.tags[0].val.p, tv, tvl) == 0 &&
             pt.nfields == 2 && pt.fields[0].key.len == fkl &&
             memcmp(pt.fields[0].key.p, fk, fkl) == 0 && pt.fields[0].type == LP_STRING &&
             pt.fields[0].v.s.len == svl && memcmp(pt.fields[0].v.s.p, sv, svl) == 0 &&
             pt.fields[1].type == LP_INT && pt.ts_ns == 5;
    if (!ok) fail_msg("line [%.*s] parses to other names", (int)b->len, b->p);
    /* And nothing follows: the line ended where it should. */
    assert_int_equal(lp_parser_next(p, &pt), 0);
}

static void names(void **state)
{
    (void)state;
    lp_parser *p;
    tl_buf b = {0};
    assert_int_equal(lp_parser_new(NULL, &p), STRATA_OK);
    static const char *const tricky[] = {
        "plain",  "sp ace", "com,ma", "eq=ual", "quo\"te",           "back\\slash",
        "\\,",    "\\ x",   "\\=",    "\\\"",   "a\\\\,b",           "=lead",
        " lead",  ",lead",  "\"",     "x\\\\",  "\xc3\xa9t\xc3\xa9", "tab\tin",
        "\\\\ y", "a\\b\\c"};
    size_t n = sizeof tricky / sizeof tricky[0], accepted = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            const char *s = tricky[i], *t = tricky[j];
            if (!build_line(&b, s, strlen(s), t, strlen(t), s, strlen(s), t, strlen(t), s,
                            strlen(s)))
                continue;
            accepted++;
            check_line(p, &b, s, strlen(s), t, strlen(t), s, strlen(s), t, strlen(t), s, strlen(s));
        }
    assert_true(accepted > n * n / 2);

    /* Random names over the bytes that matter. */
    static const char alpha[] = {'a', 'b', ' ', ',', '=', '"', '\\', '\n', '#', '\t', 'z'};
    char parts[5][12];
    size_t lens[5];
    accepted = 0;
    printf("names: seed %u\n", SEED);
    for (int it = 0; it < 100000; it++) {
        for (int k = 0; k < 5; k++) {
            lens[k] = 1 + rnd() % 8;
            for (size_t c = 0; c < lens[k]; c++)
                parts[k][c] = alpha[rnd() % sizeof alpha];
        }
        if (!build_line(&b, parts[0], lens[0], parts[1], lens[1], parts[2], lens[2], parts[3],
                        lens[3], parts[4], lens[4]))
            continue;
        accepted++;
        check_line(p, &b, parts[0], lens[0], parts[1], lens[1], parts[2], lens[2], parts[3],
                   lens[3], parts[4], lens[4]);
    }
    printf("names: %zu of 100000 random lines representable and read back exactly\n", accepted);
    assert_true(accepted > 5000);

    /* Refused: what line protocol cannot carry. */
    b.len = 0;
    assert_int_equal(tl_lp_name(&b, TL_LP_MEAS, "#c", 2), STRATA_EINVAL);
    assert_int_equal(tl_lp_name(&b, TL_LP_TAG, "v\\", 2), STRATA_EINVAL);
    assert_int_equal(tl_lp_name(&b, TL_LP_FIELDKEY, "a\nb", 3), STRATA_EINVAL);
    assert_int_equal(tl_lp_name(&b, TL_LP_FIELDKEY, "a\\,b", 4), STRATA_EINVAL);
    assert_int_equal(b.len, 0);
    tl_buf_fini(&b);
    lp_parser_free(p);
}

/* Points of a body as text, one per line ("measurement|tags|fields|ts" or "ERR"). */
static void points_text(lp_parser *p, const char *body, size_t len, tl_buf *out)
{
    lp_point pt;
    int rc;
    lp_parser_reset(p, body, len, 7);
    while ((rc = lp_parser_next(p, &pt)) != 0) {
        char tmp[64];
        tl_buf_reserve(out, 4096 + pt.line.len);
        if (rc < 0) {
            out->len +=
                (size_t)sprintf(out->p + out->len, "ERR %.*s\n", (int)pt.line.len, pt.line.p);
            continue;
        }
        memcpy(out->p + out->len, pt.measurement.p, pt.measurement.len);
        out->len += pt.measurement.len;
        for (uint32_t i = 0; i < pt.nfields; i++) {
            out->p[out->len++] = '|';
            memcpy(out->p + out->len, pt.fields[i].key.p, pt.fields[i].key.len);
            out->len += pt.fields[i].key.len;
            if (pt.fields[i].type == LP_STRING) {
                out->p[out->len++] = '=';
                memcpy(out->p + out->len, pt.fields[i].v.s.p, pt.fields[i].v.s.len);
                out->len += pt.fields[i].v.s.len;
            }
        }
        int n = snprintf(tmp, sizeof tmp, "|%lld\n", (long long)pt.ts_ns);
        memcpy(out->p + out->len, tmp, (size_t)n);
        out->len += (size_t)n;
    }
}

static void line_cut(void **state)
{
    (void)state;
    lp_parser *p;
    tl_buf whole = {0}, split = {0};
    char body[256];
    assert_int_equal(lp_parser_new(NULL, &p), STRATA_OK);
    static const char *const pieces[] = {"m",    "m,t=v", " ",          "f=1",  "f=\"a", "b\"",
                                         "\n",   "\\",    "\\\n",       ",",    "=",     "\"",
                                         "g=2i", " 5",    "x y=\"\n\"", "\\\"", "\r\n"};
    size_t np = sizeof pieces / sizeof pieces[0];
    printf("line_cut: seed %u\n", SEED);
    for (int it = 0; it < 20000; it++) {
        size_t len = 0;
        int k = 1 + (int)(rnd() % 12);
        for (int i = 0; i < k; i++) {
            const char *s = pieces[rnd() % np];
            size_t l = strlen(s);
            if (len + l >= sizeof body) break;
            memcpy(body + len, s, l);
            len += l;
        }
        whole.len = 0;
        points_text(p, body, len, &whole);
        for (size_t avail = 0; avail <= len; avail++) {
            size_t cut = tl_lp_line_cut(body, avail);
            assert_true(cut <= avail);
            if (cut == 0) continue;
            assert_int_equal(body[cut - 1], '\n');
            split.len = 0;
            points_text(p, body, cut, &split);
            points_text(p, body + cut, len - cut, &split);
            if (split.len != whole.len || memcmp(split.p, whole.p, whole.len) != 0)
                fail_msg("body [%.*s] cut at %zu of %zu (of %zu read) parses differently", (int)len,
                         body, cut, len, avail);
        }
    }
    tl_buf_fini(&whole);
    tl_buf_fini(&split);
    lp_parser_free(p);
}

static void times(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(tl_time_parse("2016-01-01T00:00:00Z", &t), STRATA_OK);
    assert_int_equal(t, 1451606400000000000);
    assert_int_equal(tl_time_parse("2016-01-01", &t), STRATA_OK);
    assert_int_equal(t, 1451606400000000000);
    assert_int_equal(tl_time_parse("2016-01-01T01:00:00.5+01:00", &t), STRATA_OK);
    assert_int_equal(t, 1451606400500000000);
    assert_int_equal(tl_time_parse("1969-12-31T23:59:59.999999999Z", &t), STRATA_OK);
    assert_int_equal(t, -1);
    assert_int_equal(tl_time_parse("-5", &t), STRATA_OK);
    assert_int_equal(t, -5);
    assert_int_equal(tl_time_parse("1700000000000000000", &t), STRATA_OK);
    assert_int_equal(t, 1700000000000000000);
    assert_int_equal(tl_time_parse("2016-13-01T00:00:00Z", &t), STRATA_EINVAL);
    assert_int_equal(tl_time_parse("2016-01-01T00:00:00", &t), STRATA_EINVAL);
    assert_int_equal(tl_time_parse("yesterday", &t), STRATA_EINVAL);
    assert_int_equal(tl_time_parse("99999999999999999999", &t), STRATA_ERANGE);
    char buf[48];
    assert_string_equal(tl_time_fmt(-1, buf, sizeof buf), "1969-12-31T23:59:59.999999999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floats),
        cmocka_unit_test(names),
        cmocka_unit_test(line_cut),
        cmocka_unit_test(times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
