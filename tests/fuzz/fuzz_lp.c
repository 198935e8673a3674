/*
 * tests/fuzz/fuzz_lp.c: libFuzzer target for the line-protocol parser.
 *
 * The first input byte picks the options (flags and precision) and a tiny
 * or default limit set; the rest is the request body. Every point the parser
 * returns is checked against the contract in lineproto/lp.h: every slice is
 * readable (ASan checks the reads), tags are sorted with unique keys and
 * non-empty values, there is at least one field, types are valid, floats are
 * finite, timestamps are in range; every error formats. Parsing the same
 * body twice must give the same results. Built with -fsanitize=fuzzer when
 * STRATA_FUZZ is on, and always linked into the corpus replay driver.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto/lp.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)

static uint64_t touch(lp_slice s)
{
    uint64_t h = s.len;
    for (uint32_t i = 0; i < s.len; i++)
        h = h * 31 + (unsigned char)s.p[i];
    return h;
}

static int key_cmp(lp_slice a, lp_slice b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.p, b.p, n);
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Parse the whole body; return a digest of everything returned. */
static uint64_t run(lp_parser *p, const char *body, size_t len)
{
    lp_point pt;
    uint64_t h = 0;
    char msg[64];
    int rc;
    lp_parser_reset(p, body, len, 1700000000123456789LL);
    while ((rc = lp_parser_next(p, &pt)) != 0) {
        CHECK(pt.line.len == 0 || pt.line.p != NULL);
        h = h * 1000003 + touch(pt.line) + pt.lineno;
        if (rc < 0) {
            const char *r = lp_parser_error(p);
            CHECK(r && r[0]);
            size_t need = lp_parser_format_error(p, &pt, msg, sizeof msg);
            CHECK(need >= strlen("unable to parse '"));
            CHECK(strlen(msg) <= sizeof msg - 1);
            h = h * 31 + need + (uint64_t)(-rc);
            continue;
        }
        CHECK(rc == 1);
        CHECK(pt.measurement.len > 0);
        CHECK(pt.nfields > 0);
        CHECK(pt.ts_ns >= LP_MIN_TS_NS && pt.ts_ns <= LP_MAX_TS_NS);
        h = h * 31 + touch(pt.measurement) + (uint64_t)pt.ts_ns;
        for (uint32_t i = 0; i < pt.ntags; i++) {
            CHECK(pt.tags[i].key.len > 0);
            CHECK(pt.tags[i].val.len > 0);
            if (i) CHECK(key_cmp(pt.tags[i - 1].key, pt.tags[i].key) < 0);
            h = h * 31 + touch(pt.tags[i].key) + touch(pt.tags[i].val);
        }
        for (uint32_t i = 0; i < pt.nfields; i++) {
            const lp_field *f = &pt.fields[i];
            h = h * 31 + touch(f->key) + (uint64_t)f->type;
            switch (f->type) {
            case LP_FLOAT:
                CHECK(isfinite(f->v.f));
                break;
            case LP_INT:
            case LP_UINT:
                h += f->v.u;
                break;
            case LP_BOOL:
                CHECK(f->v.b == 0 || f->v.b == 1);
                break;
            case LP_STRING:
                h += touch(f->v.s);
                break;
            default:
                CHECK(0);
            }
        }
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    lp_options opt;
    lp_options_init(&opt);
    uint8_t sel = data[0];
    opt.flags = sel & 3;
    opt.precision = (lp_precision)((sel >> 2) % 6);
    if (sel & 0x80) {
        opt.max_tags = 3;
        opt.max_fields = 4;
        opt.max_line_bytes = 64;
    }
    /* A private copy so that reads past the body are caught exactly. */
    size_t len = size - 1;
    char *body = malloc(len ? len : 1);
    if (!body) return 0;
    memcpy(body, data + 1, len);
    lp_parser *p = NULL;
    if (lp_parser_new(&opt, &p) == 0) {
        uint64_t a = run(p, body, len);
        uint64_t b = run(p, body, len);
        CHECK(a == b);
        lp_parser_free(p);
    }
    free(body);
    return 0;
}
