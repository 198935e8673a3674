/*
 * tests/fuzz/fuzz_influxql.c: fuzz the InfluxQL parser and formatter.
 *
 * Each input is parsed twice. With a fixed set of bound parameters, parsing,
 * both printers and the tree helpers must run cleanly (no crash, leak or
 * out-of-bounds access). Without parameters, an accepted input must also
 * round-trip: every statement prints in canonical form, that text parses
 * again to an equal tree, and printing that tree gives the same text. (A
 * regex parameter may stand where no regex literal can be written, as in
 * "$r = 1", so trees built with parameters have no text form in general.)
 * A violated property aborts, which libFuzzer reports.
 *
 * Built two ways (see influxql.cmake): with -fsanitize=fuzzer as the libFuzzer
 * target fuzz_influxql (STRATA_LIBFUZZER defined), and as the standalone
 * fuzz_replay_influxql, whose main() runs every file of the given files or
 * directories once; ctest runs it over the committed corpus as
 * fuzz-replay.influxql.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/parser.h"

#define NOW INT64_C(1700000000000000000)

static const qry_param PARAMS[] = {
    {"s", 1, QRY_PARAM_STRING, "web'1", 5, 0, 0, 0},
    {"i", 1, QRY_PARAM_IDENT, "cpu load", 8, 0, 0, 0},
    {"r", 1, QRY_PARAM_REGEX, "^a/b$", 5, 0, 0, 0},
    {"d", 1, QRY_PARAM_DURATION, "1h30m", 5, 0, 0, 0},
    {"n", 1, QRY_PARAM_NUMBER, NULL, 0, 2.5, 0, 0},
    {"k", 1, QRY_PARAM_INTEGER, NULL, 0, 0, -7, 0},
    {"b", 1, QRY_PARAM_BOOL, NULL, 0, 0, 0, 1},
    {"e", 1, QRY_PARAM_ERROR, "unable to bind parameter", 24, 0, 0, 0},
    {"t", 1, QRY_PARAM_STRING, "2023-11-14T22:13:20Z", 20, 0, 0, 0},
};

static void check(int ok, const char *what, const char *text, size_t len)
{
    if (ok) return;
    fprintf(stderr, "fuzz_influxql: %s\ninput: %.*s\n", what, (int)len, text);
    abort();
}

static bool no_zone(const char *name, void *ctx)
{
    (void)ctx;
    return name[0] == 'U';
}

static void walk_times(const qry_expr *e)
{
    int64_t t;
    if (e == NULL) return;
    (void)qry_expr_time_value(e, &t);
    (void)qry_expr_is_time_ref(e);
    if (e->kind == QRY_EXPR_BINARY) {
        walk_times(e->u.bin.lhs);
        walk_times(e->u.bin.rhs);
    } else if (e->kind == QRY_EXPR_PAREN) {
        walk_times(e->u.paren.expr);
    }
}

static void exercise_helpers(const qry_query *q)
{
    strata_error err;
    (void)qry_query_check_tz(q, no_zone, NULL, &err);
    for (uint32_t i = 0; i < q->nstmts; i++) {
        const qry_stmt *s = q->stmts[i];
        const qry_select *sel = NULL;
        if (s->kind == QRY_STMT_SELECT || s->kind == QRY_STMT_EXPLAIN)
            sel = s->u.sel.select;
        else if (s->kind == QRY_STMT_CREATE_CONTINUOUS_QUERY)
            sel = s->u.cq.select;
        if (sel) {
            int64_t iv, off;
            (void)qry_select_group_by_time(sel, &iv, &off, NULL);
            walk_times(sel->cond);
        } else {
            walk_times(s->u.show.cond);
        }
    }
}

static char *format_all(const qry_query *q, qry_fmt_mode mode, const char *text, size_t size)
{
    size_t n = qry_query_format(q, mode, NULL, 0);
    char *s = malloc(n + 1);
    check(s != NULL, "out of memory", text, size);
    check(qry_query_format(q, mode, s, n + 1) == n, "length changed", text, size);
    return s;
}

static bool zone_not_x(const char *name, void *ctx)
{
    (void)ctx;
    return strcmp(name, "X") != 0;
}

static int regex_no_tilde(const char *src, size_t len, void *ctx, char *msg, size_t cap)
{
    (void)ctx;
    if (memchr(src, '~', len) == NULL) return 0;
    snprintf(msg, cap, "error parsing regexp: no tilde: `%.*s`", (int)len, src);
    return -1;
}

/* Parse with parameters and hooks: everything must run cleanly. */
static void with_params(const char *text, size_t size)
{
    strata_arena a;
    qry_params params = {PARAMS, sizeof PARAMS / sizeof PARAMS[0]};
    qry_query *q;
    strata_error err;

    /* Exercise the option hooks too: refuse a zone named "X" and regexes with '~'. */
    qry_parse_opts o = {
        .params = &params, .now_ns = NOW, .tz_exists = zone_not_x, .regex_check = regex_no_tilde};
    strata_arena_init(&a, 4096);
    int rc = qry_parse_ex(text, size, &o, &a, &q, &err);
    if (rc != STRATA_OK) {
        check(rc == STRATA_EPARSE || rc == STRATA_ELIMIT, "unexpected error code", text, size);
        check(err.code == rc && strlen(err.msg) > 0, "error without message", text, size);
    } else {
        free(format_all(q, QRY_FMT_CANONICAL, text, size));
        free(format_all(q, QRY_FMT_INFLUX, text, size));
        exercise_helpers(q);
    }
    strata_arena_fini(&a);
}

/* Parse without parameters: an accepted input must round-trip. */
static void round_trip(const char *text, size_t size)
{
    strata_arena a1, a2;
    qry_query *q1, *q2;
    strata_error err;
    char *s1 = NULL, *s2 = NULL;

    strata_arena_init(&a1, 4096);
    strata_arena_init(&a2, 4096);
    int rc = qry_parse(text, size, NULL, NOW, &a1, &q1, &err);
    if (rc != STRATA_OK) {
        check(rc == STRATA_EPARSE || rc == STRATA_ELIMIT, "unexpected error code", text, size);
        goto out;
    }
    s1 = format_all(q1, QRY_FMT_CANONICAL, text, size);
    size_t n1 = strlen(s1);
    rc = qry_parse(s1, n1, NULL, NOW, &a2, &q2, &err);
    if (rc != STRATA_OK) fprintf(stderr, "canonical: %s\nerror: %s\n", s1, err.msg);
    check(rc == STRATA_OK, "canonical text does not parse", text, size);
    check(q1->nstmts == q2->nstmts, "statement count changed", text, size);
    for (uint32_t i = 0; i < q1->nstmts; i++) {
        if (!qry_stmt_equal(q1->stmts[i], q2->stmts[i])) fprintf(stderr, "canonical: %s\n", s1);
        check(qry_stmt_equal(q1->stmts[i], q2->stmts[i]), "tree changed after round trip", text,
              size);
    }
    s2 = format_all(q2, QRY_FMT_CANONICAL, text, size);
    check(strcmp(s1, s2) == 0, "canonical text not stable", text, size);
out:
    free(s1);
    free(s2);
    strata_arena_fini(&a1);
    strata_arena_fini(&a2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    with_params((const char *)data, size);
    round_trip((const char *)data, size);
    return 0;
}

#ifndef STRATA_LIBFUZZER
/* ---- standalone replay ------------------------------------------------------ */

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fclose(f);
            return -1;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap) break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int replay_path(const char *path, int *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        perror(path);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (replay_path(sub, count) != 0) rc = -1;
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int count = 0, rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i], &count) != 0) rc = 1;
    printf("replayed %d inputs\n", count);
    if (count == 0) rc = 1;
    return rc;
}
#endif
