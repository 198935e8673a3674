/*
 * tests/integration/it_dump.c: print every point stored in a data
 * directory, for the integration tests to compare with what they sent
 * (until /query can answer SELECT). Opens the engine as the server does
 * (which replays the WAL), walks databases -> measurements -> series ->
 * fields through the index, iterates each column and prints one line per
 * value in a line-protocol shape:
 *
 *   <db> <series key> <field>=<value> <ts_ns>
 *
 * Floats print in the shortest form that reads back exactly, integers with
 * "i", unsigned with "u", strings quoted with \" and \\ escaped. Output is
 * in index order, not sorted: pipe it through sort(1) to compare.
 *
 * Usage: it_dump DATADIR [DB]     exit 0, or 1 with a message on stderr.
 * Run it only while no server uses the directory (the engine locks it).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/engine.h"
#include "storage/index.h"

typedef struct col {
    uint32_t db;
    uint64_t series;
    uint32_t field;
    char *prefix; /* "<db> <series key> <field>=" */
} col;

typedef struct walk {
    stg_engine *e;
    stg_index *idx;
    MDB_txn *txn;
    const char *only_db;
    uint32_t db;
    const char *dbname;
    size_t dblen;
    uint32_t mid;
    uint64_t series;
    const char *skey;
    size_t sklen;
    col *cols;
    size_t ncols, cap;
    int rc;
} walk;

static int add_col(walk *w, uint32_t fid, const char *f, size_t fl)
{
    if (w->ncols == w->cap) {
        size_t ncap = w->cap ? 2 * w->cap : 256;
        col *n = realloc(w->cols, ncap * sizeof *n);
        if (n == NULL) return -1;
        w->cols = n;
        w->cap = ncap;
    }
    size_t len = w->dblen + w->sklen + fl + 4;
    char *p = malloc(len);
    if (p == NULL) return -1;
    snprintf(p, len, "%.*s %.*s %.*s=", (int)w->dblen, w->dbname, (int)w->sklen, w->skey, (int)fl,
             f);
    w->cols[w->ncols++] = (col){w->db, w->series, fid, p};
    return 0;
}

static int on_field(void *ctx, const char *f, size_t fl, uint32_t fid, stg_type t)
{
    (void)t;
    return add_col(ctx, fid, f, fl);
}

static int on_meas(void *ctx, const char *name, size_t len, uint32_t mid)
{
    walk *w = ctx;
    stg_idset ids;
    (void)name;
    (void)len;
    stg_idset_init(&ids);
    int rc = stg_index_meas_series(w->idx, w->txn, w->db, mid, &ids);
    for (size_t i = 0; rc == 0 && i < ids.n; i++) {
        w->series = ids.ids[i];
        rc = stg_index_series_key(w->idx, w->txn, w->db, w->series, &w->skey, &w->sklen);
        if (rc == 0) rc = stg_index_field_list(w->idx, w->txn, w->db, mid, on_field, w);
    }
    stg_idset_fini(&ids);
    if (rc)
        fprintf(stderr, "it_dump: walking measurement %.*s: %s\n", (int)len, name,
                strata_strerror(rc));
    return rc;
}

static int on_db(void *ctx, const char *name, size_t len, uint32_t id)
{
    walk *w = ctx;
    if (w->only_db && (strlen(w->only_db) != len || memcmp(w->only_db, name, len) != 0)) return 0;
    w->db = id;
    w->dbname = name;
    w->dblen = len;
    return stg_index_meas_list(w->idx, w->txn, id, on_meas, w);
}

static void print_value(stg_type t, uint64_t v, const uint8_t *strbuf)
{
    switch (t) {
    case STG_FLOAT: {
        double d = stg_val_to_f64(v);
        char buf[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d) break;
        }
        fputs(buf, stdout);
        break;
    }
    case STG_INT:
        printf("%" PRId64 "i", (int64_t)v);
        break;
    case STG_UINT:
        printf("%" PRIu64 "u", v);
        break;
    case STG_BOOL:
        fputs(v ? "true" : "false", stdout);
        break;
    case STG_STRING: {
        const uint8_t *s = strbuf + stg_val_str_off(v);
        putchar('"');
        for (uint32_t i = 0; i < stg_val_str_len(v); i++) {
            if (s[i] == '"' || s[i] == '\\') putchar('\\');
            putchar(s[i]);
        }
        putchar('"');
        break;
    }
    default:
        fputs("?", stdout);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: it_dump DATADIR [DB]\n");
        return 2;
    }
    stg_options o;
    strata_error err;
    stg_engine *e = NULL;
    walk w;
    int status = 1;
    memset(&w, 0, sizeof w);
    stg_options_default(&o);
    o.dir = argv[1];
    o.background = 0;
    o.wal_sync = 0;
    if (stg_engine_open(&o, &e, &err) != STRATA_OK) {
        fprintf(stderr, "it_dump: opening %s: %s\n", argv[1], err.msg);
        return 1;
    }
    w.e = e;
    w.idx = stg_engine_index(e);
    w.only_db = argc == 3 ? argv[2] : NULL;
    if (stg_engine_read_begin(e, &w.txn, &err) != STRATA_OK) {
        fprintf(stderr, "it_dump: %s\n", err.msg);
        goto done;
    }
    int rc = stg_index_db_list(w.idx, w.txn, on_db, &w);
    stg_engine_read_end(e, w.txn);
    if (rc != 0) {
        fprintf(stderr, "it_dump: walking the index: %s\n", strata_strerror(rc));
        goto done;
    }
    for (size_t i = 0; i < w.ncols; i++) {
        col *c = &w.cols[i];
        stg_iter *it;
        stg_block b;
        if (stg_iter_open(e, c->db, c->series, c->field, INT64_MIN, INT64_MAX, &it, &err) !=
            STRATA_OK) {
            fprintf(stderr, "it_dump: %s\n", err.msg);
            goto done;
        }
        while ((rc = stg_iter_next(it, 0, &b, &err)) == 1) {
            stg_type t = stg_iter_type(it);
            for (uint32_t k = 0; k < b.n; k++) {
                fputs(c->prefix, stdout);
                print_value(t, b.vals[k], b.strbuf);
                printf(" %" PRId64 "\n", b.ts[k]);
            }
        }
        stg_iter_close(it);
        if (rc < 0) {
            fprintf(stderr, "it_dump: %s\n", err.msg);
            goto done;
        }
    }
    status = 0;
done:
    for (size_t i = 0; i < w.ncols; i++)
        free(w.cols[i].prefix);
    free(w.cols);
    stg_engine_close(e);
    return status;
}
