/*
 * tests/unit/lineproto/test_lp.c: the parser API: zero-copy slices,
 * unescaping into scratch, tag order and duplicates, limits, error recovery
 * and line numbers, precision and default time, error formatting, and a
 * seeded random round trip (serialize random points with escaping, parse,
 * compare).
 */
#include <math.h>
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

static int slice_eq(lp_slice s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static int inside(const char *p, const char *body, size_t len)
{
    return p >= body && p <= body + len;
}

static lp_parser *new_parser(uint32_t flags, lp_precision prec)
{
    lp_options o;
    lp_options_init(&o);
    o.flags = flags;
    o.precision = prec;
    lp_parser *p = NULL;
    assert_int_equal(lp_parser_new(&o, &p), STRATA_OK);
    return p;
}

static void slices_point_into_the_body(void **state)
{
    (void)state;
    const char *body = "cpu,host=a,region=west usage=1.5,n=3i,ok=true,s=\"x y\" 1000\n";
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    lp_point pt;
    lp_parser_reset(p, body, strlen(body), 0);
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_ptr_equal(pt.measurement.p, body);
    assert_true(slice_eq(pt.measurement, "cpu"));
    assert_int_equal(pt.ntags, 2);
    assert_true(slice_eq(pt.tags[0].key, "host") && slice_eq(pt.tags[0].val, "a"));
    assert_true(slice_eq(pt.tags[1].key, "region") && slice_eq(pt.tags[1].val, "west"));
    for (uint32_t i = 0; i < pt.ntags; i++)
        assert_true(inside(pt.tags[i].key.p, body, strlen(body)));
    assert_int_equal(pt.nfields, 4);
    assert_int_equal(pt.fields[0].type, LP_FLOAT);
    assert_true(pt.fields[0].v.f == 1.5);
    assert_int_equal(pt.fields[1].type, LP_INT);
    assert_int_equal(pt.fields[1].v.i, 3);
    assert_int_equal(pt.fields[2].type, LP_BOOL);
    assert_int_equal(pt.fields[2].v.b, 1);
    assert_int_equal(pt.fields[3].type, LP_STRING);
    assert_true(slice_eq(pt.fields[3].v.s, "x y"));
    assert_true(inside(pt.fields[3].v.s.p, body, strlen(body)));
    assert_int_equal(pt.ts_ns, 1000);
    assert_int_equal(pt.has_ts, 1);
    assert_int_equal(pt.lineno, 1);
    assert_true(slice_eq(pt.line, "cpu,host=a,region=west usage=1.5,n=3i,ok=true,s=\"x y\" 1000"));
    assert_int_equal(lp_parser_next(p, &pt), 0);
    assert_int_equal(lp_parser_next(p, &pt), 0);
    lp_parser_free(p);
}

static void escapes_are_removed_into_scratch(void **state)
{
    (void)state;
    const char *body = "c\\ p\\,u,k\\,x=v\\ y\\=z f\\=g=\"a\\\"b\\\\c\",h=1i 5";
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    lp_point pt;
    lp_parser_reset(p, body, strlen(body), 0);
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_true(slice_eq(pt.measurement, "c p,u"));
    assert_false(inside(pt.measurement.p, body, strlen(body)));
    assert_int_equal(pt.ntags, 1);
    assert_true(slice_eq(pt.tags[0].key, "k,x"));
    assert_true(slice_eq(pt.tags[0].val, "v y=z"));
    assert_int_equal(pt.nfields, 2);
    assert_true(slice_eq(pt.fields[0].key, "f=g"));
    assert_true(slice_eq(pt.fields[0].v.s, "a\"b\\c"));
    assert_true(slice_eq(pt.fields[1].key, "h"));
    assert_int_equal(pt.fields[1].v.i, 1);
    lp_parser_free(p);
}

static uint64_t seed = 0xfeedfacecafebeefULL;
static uint64_t rnd(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 2685821657736338717ULL;
}

static void tags_come_sorted_and_duplicates_are_rejected(void **state)
{
    (void)state;
    printf("seed %llx\n", (unsigned long long)seed);
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    char line[8192];
    for (int round = 0; round < 200; round++) {
        int nt = 1 + (int)(rnd() % 100);
        int order[100];
        for (int i = 0; i < nt; i++)
            order[i] = i;
        for (int i = nt - 1; i > 0; i--) {
            int j = (int)(rnd() % (uint64_t)(i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int dup = round % 3 == 0 && nt > 1;
        size_t n = (size_t)snprintf(line, sizeof line, "m");
        for (int i = 0; i < nt; i++) {
            int k = dup && i == nt - 1 ? order[0] : order[i];
            n += (size_t)snprintf(line + n, sizeof line - n, ",k%03d=v%d", k, k);
        }
        n += (size_t)snprintf(line + n, sizeof line - n, " f=1");
        lp_point pt;
        lp_parser_reset(p, line, n, 0);
        int rc = lp_parser_next(p, &pt);
        if (dup) {
            assert_int_equal(rc, STRATA_EPARSE);
            assert_string_equal(lp_parser_error(p), "duplicate tags");
            continue;
        }
        assert_int_equal(rc, 1);
        assert_int_equal(pt.ntags, nt);
        for (int i = 0; i < nt; i++) {
            char want[16];
            snprintf(want, sizeof want, "k%03d", i);
            assert_true(slice_eq(pt.tags[i].key, want));
            snprintf(want, sizeof want, "v%d", i);
            assert_true(slice_eq(pt.tags[i].val, want));
        }
    }
    /* Bytewise order, a prefix sorts first. */
    const char *body = "m,b=1,B=2,ab=3,a=4 f=1";
    lp_point pt;
    lp_parser_reset(p, body, strlen(body), 0);
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_true(slice_eq(pt.tags[0].key, "B") && slice_eq(pt.tags[1].key, "a") &&
                slice_eq(pt.tags[2].key, "ab") && slice_eq(pt.tags[3].key, "b"));
    lp_parser_free(p);
}

static void limits_reject_the_line_and_parsing_goes_on(void **state)
{
    (void)state;
    lp_options o;
    lp_options_init(&o);
    o.max_tags = 2;
    o.max_fields = 2;
    o.max_line_bytes = 40;
    lp_parser *p = NULL;
    assert_int_equal(lp_parser_new(&o, &p), STRATA_OK);
    const char *body = "m,a=1,b=2,c=3 f=1\n"
                       "m a=1,b=2,c=3\n"
                       "m,a=1,b=2 f=1,g=2 1\n"
                       "m f=\"0123456789012345678901234567890123456789\"\n"
                       "m f=2 2\n";
    lp_point pt;
    lp_parser_reset(p, body, strlen(body), 0);
    assert_int_equal(lp_parser_next(p, &pt), STRATA_ELIMIT);
    assert_int_equal(pt.lineno, 1);
    assert_non_null(strstr(lp_parser_error(p), "max-tags 2"));
    assert_int_equal(lp_parser_next(p, &pt), STRATA_ELIMIT);
    assert_int_equal(pt.lineno, 2);
    assert_non_null(strstr(lp_parser_error(p), "max-fields 2"));
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_int_equal(pt.ts_ns, 1);
    assert_int_equal(lp_parser_next(p, &pt), STRATA_ELIMIT);
    assert_int_equal(pt.lineno, 4);
    assert_non_null(strstr(lp_parser_error(p), "line too long"));
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_int_equal(pt.ts_ns, 2);
    assert_int_equal(lp_parser_next(p, &pt), 0);
    lp_parser_free(p);
}

static void bad_lines_are_reported_and_skipped(void **state)
{
    (void)state;
    const char *body = "# comment\n"
                       "\n"
                       "cpu v=1 1\n"
                       "bad\n"
                       "cpu s=\"two\nlines\" 2\n"
                       "   cpu,x v= 3\n"
                       "cpu v=4 4";
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    lp_point pt;
    char msg[128];
    lp_parser_reset(p, body, strlen(body), 0);
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_int_equal(pt.lineno, 3);
    assert_int_equal(lp_parser_next(p, &pt), STRATA_EPARSE);
    assert_int_equal(pt.lineno, 4);
    assert_string_equal(lp_parser_error(p), "missing fields");
    lp_parser_format_error(p, &pt, msg, sizeof msg);
    assert_string_equal(msg, "unable to parse 'bad': missing fields");
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_int_equal(pt.lineno, 5);
    assert_true(slice_eq(pt.fields[0].v.s, "two\nlines"));
    assert_int_equal(lp_parser_next(p, &pt), STRATA_EPARSE);
    assert_int_equal(pt.lineno, 7);
    lp_parser_format_error(p, &pt, msg, sizeof msg);
    assert_string_equal(msg, "unable to parse 'cpu,x v= 3': missing tag value");
    assert_int_equal(lp_parser_next(p, &pt), 1);
    assert_int_equal(pt.lineno, 8);
    assert_int_equal(pt.ts_ns, 4);
    assert_int_equal(lp_parser_next(p, &pt), 0);
    lp_parser_free(p);
}

static void error_text_is_truncated_safely(void **state)
{
    (void)state;
    const char *body = "a-rather-long-measurement-name-without-fields";
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    lp_point pt;
    lp_parser_reset(p, body, strlen(body), 0);
    assert_int_equal(lp_parser_next(p, &pt), STRATA_EPARSE);
    char small[10];
    size_t need = lp_parser_format_error(p, &pt, small, sizeof small);
    assert_int_equal(need,
                     strlen("unable to parse '") + strlen(body) + strlen("': missing fields"));
    assert_string_equal(small, "unable to");
    assert_int_equal(lp_parser_format_error(p, &pt, NULL, 0), need);
    lp_parser_free(p);
}

static void precision_scales_and_truncates(void **state)
{
    (void)state;
    lp_precision prec;
    assert_int_equal(lp_precision_parse("", 0, &prec), STRATA_OK);
    assert_int_equal(prec, LP_PREC_NS);
    assert_int_equal(lp_precision_parse("ns", 2, &prec), STRATA_OK);
    assert_int_equal(prec, LP_PREC_NS);
    assert_int_equal(lp_precision_parse("u", 1, &prec), STRATA_OK);
    assert_int_equal(prec, LP_PREC_US);
    assert_int_equal(lp_precision_parse("h", 1, &prec), STRATA_OK);
    assert_int_equal(prec, LP_PREC_H);
    assert_int_equal(lp_precision_parse("us", 2, &prec), STRATA_EINVAL);
    assert_int_equal(lp_precision_parse("mss", 2, &prec), STRATA_OK); /* length given: "ms" */
    assert_int_equal(prec, LP_PREC_MS);

    static const struct {
        lp_precision prec;
        int64_t ts, want, now_want;
    } t[] = {
        {LP_PREC_NS, 1500, 1500, 1700000000123456789LL},
        {LP_PREC_US, 1500, 1500000, 1700000000123456000LL},
        {LP_PREC_MS, -2, -2000000, 1700000000123000000LL},
        {LP_PREC_S, 1500, 1500000000000LL, 1700000000000000000LL},
        {LP_PREC_M, 2, 120000000000LL, 1699999980000000000LL},
        {LP_PREC_H, 1, 3600000000000LL, 1699999200000000000LL},
    };
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char body[64];
        int n = snprintf(body, sizeof body, "m v=1 %lld\nm v=2", (long long)t[i].ts);
        lp_parser_set_precision(p, t[i].prec);
        lp_parser_reset(p, body, (size_t)n, 1700000000123456789LL);
        lp_point pt;
        assert_int_equal(lp_parser_next(p, &pt), 1);
        assert_true(pt.ts_ns == t[i].want);
        assert_int_equal(lp_parser_next(p, &pt), 1);
        assert_int_equal(pt.has_ts, 0);
        assert_true(pt.ts_ns == t[i].now_want);
    }
    lp_parser_set_precision(p, LP_PREC_S);
    const char *over = "m v=1 9223372037";
    lp_parser_reset(p, over, strlen(over), 0);
    lp_point pt;
    assert_int_equal(lp_parser_next(p, &pt), STRATA_EPARSE);
    assert_string_equal(lp_parser_error(p),
                        "time outside range -9223372036854775806 - 9223372036854775806");
    lp_parser_free(p);
}

/* Regression (found by fuzzing): a string field's end was recorded through a
 * pointer into the field array, which later fields could move. */
static void strings_survive_field_array_growth(void **state)
{
    (void)state;
    char body[4096];
    size_t n = (size_t)snprintf(body, sizeof body, "m s=\"first\"");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, ",f%d=%di", i, i);
    n += (size_t)snprintf(body + n, sizeof body - n, ",t=\"last\" 9");
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    for (int pass = 0; pass < 2; pass++) {
        lp_point pt;
        lp_parser_reset(p, body, n, 0);
        assert_int_equal(lp_parser_next(p, &pt), 1);
        assert_int_equal(pt.nfields, 202);
        assert_true(slice_eq(pt.fields[0].v.s, "first"));
        assert_int_equal(pt.fields[100].v.i, 99);
        assert_true(slice_eq(pt.fields[201].v.s, "last"));
    }
    lp_parser_free(p);
}

/* The tag order cache must give the same result as sorting, never
 * reference an earlier body, and never hide a duplicate key. */
static void tag_order_cache_is_invisible(void **state)
{
    (void)state;
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    static const char *const lines[] = {
        "m,z=1,a=2,m=3 f=1", "m,z=4,a=5,m=6 f=1",  "m,a=7,z=8,m=9 f=1",    "m,z=1,a=2,z=3 f=1",
        "m,z=1,a=2,m=3 f=1", "m,z=1,a=2,mm=3 f=1", "m,z\\ =1,a=2,m=3 f=1", "m,z =1,a=2,m=3 f=1",
    };
    static const char *const want[] = {
        "a=2,m=3,z=1", "a=5,m=6,z=4",  "a=7,m=9,z=8",  "duplicate tags",
        "a=2,m=3,z=1", "a=2,mm=3,z=1", "a=2,m=3,z =1", "missing tag value",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        /* Each body in its own allocation, freed before the next one. */
        size_t n = strlen(lines[i]);
        char *body = malloc(n);
        assert_non_null(body);
        memcpy(body, lines[i], n);
        lp_point pt;
        lp_parser_reset(p, body, n, 0);
        int rc = lp_parser_next(p, &pt);
        char got[128] = "";
        if (rc == 1) {
            size_t o = 0;
            for (uint32_t t = 0; t < pt.ntags; t++)
                o += (size_t)snprintf(got + o, sizeof got - o, "%s%.*s=%.*s", t ? "," : "",
                                      (int)pt.tags[t].key.len, pt.tags[t].key.p,
                                      (int)pt.tags[t].val.len, pt.tags[t].val.p);
        } else {
            snprintf(got, sizeof got, "%s", lp_parser_error(p));
        }
        if (strcmp(got, want[i]) != 0)
            fail_msg("line %zu '%s': got '%s' want '%s'", i, lines[i], got, want[i]);
        free(body);
    }
    lp_parser_free(p);
}

/* Decimal shapes at the edges of the fast paths: zero with a long fraction,
 * more than 19 digits, 8-digit runs cut by the line end. */
static void float_fast_path_edges(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double want;
    } t[] = {
        {"0.000000000000000000000000001", 1e-27},
        {"0.0000000000000000000000000", 0.0},
        {"-0.0000000000000000000000000000", -0.0},
        {"12345678901234567890", 12345678901234567890.0},
        {"1234567890123456789.5", 1234567890123456789.5},
        {"12345678", 12345678.0},
        {"0.12345678", 0.12345678},
        {"99999999.99999999", 99999999.99999999},
        {"58.13", 58.13},
        {"-7.0", -7.0},
        {".00000001", 1e-8},
    };
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (int at_end = 0; at_end < 2; at_end++) {
            char body[128];
            int n = snprintf(body, sizeof body, at_end ? "m v=%s" : "m v=%s,w=1 5", t[i].text);
            lp_point pt;
            lp_parser_reset(p, body, (size_t)n, 0);
            assert_int_equal(lp_parser_next(p, &pt), 1);
            assert_int_equal(pt.fields[0].type, LP_FLOAT);
            if (memcmp(&pt.fields[0].v.f, &t[i].want, sizeof(double)) != 0)
                fail_msg("%s: got %a want %a", t[i].text, pt.fields[0].v.f, t[i].want);
        }
    }
    lp_parser_free(p);
}

static void empty_input_is_the_end(void **state)
{
    (void)state;
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    lp_point pt;
    lp_parser_reset(p, NULL, 0, 0);
    assert_int_equal(lp_parser_next(p, &pt), 0);
    lp_parser_reset(p, "\n\n \t\n#x", 7, 0);
    assert_int_equal(lp_parser_next(p, &pt), 0);
    assert_string_equal(lp_parser_error(p), "");
    lp_parser_free(NULL);
    lp_options o;
    lp_options_init(&o);
    o.precision = (lp_precision)42;
    lp_parser *q = NULL;
    assert_int_equal(lp_parser_new(&o, &q), STRATA_EINVAL);
    lp_parser_free(p);
}

/* ---- random round trip -------------------------------------------- */

typedef struct rt_field {
    char key[24];
    int type;
    double f;
    int64_t i;
    uint64_t u;
    int b;
    char s[40];
    size_t slen;
} rt_field;

static const char name_chars[] = "abcXYZ09_-.,= \"\xc3\xa9";

static void rand_name(char *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = name_chars[rnd() % (sizeof name_chars - 1)];
    out[len] = '\0';
    if (out[0] == '#' || out[0] == ' ') out[0] = 'x';
}

/* Escape with a backslash every byte of set. */
static size_t put_escaped(char *dst, const char *src, size_t n, const char *set)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr(set, src[i])) dst[o++] = '\\';
        dst[o++] = src[i];
    }
    return o;
}

static void random_points_round_trip(void **state)
{
    (void)state;
    printf("seed %llx\n", (unsigned long long)seed);
    lp_parser *p = new_parser(LP_FLAGS_DEFAULT, LP_PREC_NS);
    char *line = malloc(1 << 16);
    assert_non_null(line);
    for (int round = 0; round < 20000; round++) {
        char meas[16];
        rand_name(meas, 1 + rnd() % 10);
        int nt = (int)(rnd() % 6), nf = 1 + (int)(rnd() % 6);
        char tk[6][20], tv[6][20];
        rt_field f[6];
        size_t n = put_escaped(line, meas, strlen(meas), ", =\"");
        for (int i = 0; i < nt; i++) {
            rand_name(tk[i], 1 + rnd() % 8);
            size_t kl = strlen(tk[i]); /* a digit suffix keeps keys unique */
            tk[i][kl] = (char)('0' + i);
            tk[i][kl + 1] = '\0';
            rand_name(tv[i], 1 + rnd() % 10);
            line[n++] = ',';
            n += put_escaped(line + n, tk[i], strlen(tk[i]), ", =");
            line[n++] = '=';
            n += put_escaped(line + n, tv[i], strlen(tv[i]), ", =");
        }
        line[n++] = ' ';
        for (int i = 0; i < nf; i++) {
            rt_field *x = &f[i];
            rand_name(x->key, 1 + rnd() % 8);
            if (i) line[n++] = ',';
            n += put_escaped(line + n, x->key, strlen(x->key), ", =");
            line[n++] = '=';
            x->type = 1 + (int)(rnd() % 5);
            switch (x->type) {
            case LP_FLOAT: {
                uint64_t bits = rnd();
                memcpy(&x->f, &bits, 8);
                if (!isfinite(x->f)) x->f = (double)(int64_t)bits / 1024.0;
                n += (size_t)sprintf(line + n, (rnd() & 1) ? "%.17g" : "%.3f", x->f);
                x->f = strtod(strrchr(line, '=') + 1, NULL);
                break;
            }
            case LP_INT:
                x->i = (int64_t)rnd();
                n += (size_t)sprintf(line + n, "%lldi", (long long)x->i);
                break;
            case LP_UINT:
                x->u = rnd();
                n += (size_t)sprintf(line + n, "%lluu", (unsigned long long)x->u);
                break;
            case LP_BOOL: {
                static const char *const bt[] = {"t", "T", "true",  "True",  "TRUE",
                                                 "f", "F", "false", "False", "FALSE"};
                int k = (int)(rnd() % 10);
                x->b = k < 5;
                n += (size_t)sprintf(line + n, "%s", bt[k]);
                break;
            }
            default:
                x->slen = rnd() % 30;
                for (size_t k = 0; k < x->slen; k++)
                    x->s[k] = (char)(1 + rnd() % 255);
                line[n++] = '"';
                n += put_escaped(line + n, x->s, x->slen, "\"\\");
                line[n++] = '"';
            }
        }
        int has_ts = (int)(rnd() % 2);
        int64_t ts = (int64_t)(rnd() >> 1) - (INT64_MAX / 2);
        if (has_ts) n += (size_t)sprintf(line + n, " %lld", (long long)ts);
        line[n++] = (rnd() & 1) ? '\n' : ' ';

        lp_point pt;
        lp_parser_reset(p, line, n, 77);
        int rc = lp_parser_next(p, &pt);
        if (rc != 1)
            fail_msg("round %d: rc %d (%s) for: %.*s", round, rc, lp_parser_error(p), (int)n, line);
        assert_true(slice_eq(pt.measurement, meas));
        assert_int_equal(pt.ntags, nt);
        for (int i = 0; i < nt; i++) {
            int found = 0;
            for (uint32_t k = 0; k < pt.ntags; k++) {
                if (slice_eq(pt.tags[k].key, tk[i])) {
                    assert_true(slice_eq(pt.tags[k].val, tv[i]));
                    found = 1;
                }
            }
            assert_true(found);
        }
        assert_int_equal(pt.nfields, nf);
        for (int i = 0; i < nf; i++) {
            const lp_field *g = &pt.fields[i];
            if (!slice_eq(g->key, f[i].key))
                fail_msg("round %d field %d key '%.*s' want '%s'", round, i, (int)g->key.len,
                         g->key.p, f[i].key);
            assert_int_equal(g->type, f[i].type);
            switch (g->type) {
            case LP_FLOAT:
                assert_true(g->v.f == f[i].f);
                break;
            case LP_INT:
                assert_true(g->v.i == f[i].i);
                break;
            case LP_UINT:
                assert_true(g->v.u == f[i].u);
                break;
            case LP_BOOL:
                assert_int_equal(g->v.b, f[i].b);
                break;
            default:
                assert_int_equal(g->v.s.len, f[i].slen);
                assert_memory_equal(g->v.s.p, f[i].s, f[i].slen);
            }
        }
        assert_true(pt.ts_ns == (has_ts ? ts : 77));
        assert_int_equal(lp_parser_next(p, &pt), 0);
    }
    free(line);
    lp_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slices_point_into_the_body),
        cmocka_unit_test(escapes_are_removed_into_scratch),
        cmocka_unit_test(tags_come_sorted_and_duplicates_are_rejected),
        cmocka_unit_test(limits_reject_the_line_and_parsing_goes_on),
        cmocka_unit_test(bad_lines_are_reported_and_skipped),
        cmocka_unit_test(error_text_is_truncated_safely),
        cmocka_unit_test(precision_scales_and_truncates),
        cmocka_unit_test(strings_survive_field_array_growth),
        cmocka_unit_test(tag_order_cache_is_invisible),
        cmocka_unit_test(float_fast_path_edges),
        cmocka_unit_test(empty_input_is_the_end),
        cmocka_unit_test(random_points_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
