/*
 * tools/strata_export.c: `strata export`, a database (or one measurement,
 * or a time range of it) as line protocol that `strata import` and any
 * InfluxDB 1.x client read back to exactly the stored values.
 *
 * Output order is deterministic so that an export of an import of an export
 * is byte-identical: measurements by name, series by canonical key, points
 * by time, one line per series and timestamp with the fields that have a
 * value then, sorted by name; timestamps in nanoseconds; floats in the
 * shortest form that reads back to the same bits (strata_lpfmt.c).
 *
 * Two ways to read. When no server holds the directory, the engine is
 * opened (stg_engine_open: the WAL is replayed, so every acknowledged point
 * is exported; closing checkpoints, as a server's shutdown does) and read
 * through its public API: the index for names, stg_iter for columns. When a
 * server holds it (its WAL lock; stg_engine_open then says STRATA_EBUSY),
 * LMDB is read read-only instead (strata_store.c, strata_colread.c), which
 * sees everything up to the server's last checkpoint; stderr says so.
 *
 * One export reads one retention policy's namespace (storage/retention.h):
 * the engine resolves it (stg_rp_resolve); the LMDB-only path reads the
 * catalog records itself (tl_rpcat_resolve) and starts reading at the RP's
 * expiry watermark, which the engine's iterators apply on their own.
 *
 * Values line protocol cannot carry (NaN and infinite floats, timestamps
 * outside InfluxDB's range, names with a newline or a trailing backslash)
 * are skipped with a message, and the run exits 1; so is the rest of a
 * column from a damaged chunk on, the other columns going on (salvage).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/log.h"
#include "lineproto/lp.h"
#include "storage/engine.h"
#include "storage/retention.h"
#include "storage/serieskey.h"
#include "tools/strata_int.h"

static const tl_flag export_flags[] = {
    {"data-dir", "DIR", "the data directory (required)"},
    {"db", "NAME", "the database to export (required)"},
    {"rp", "RP", "the retention policy to export (default: the database's default one)"},
    {"measurement", "NAME", "export only this measurement"},
    {"start", "TIME", "first timestamp to export, RFC3339 or nanoseconds (inclusive)"},
    {"end", "TIME", "end of the range, RFC3339 or nanoseconds (exclusive)"},
    {"out", "FILE", "write to FILE (created or truncated) instead of stdout"},
    {"gzip", NULL, "compress the output with gzip"},
};

const tl_cmd tl_export_cmd = {
    .name = "export",
    .synopsis = "--data-dir DIR --db NAME [--rp RP] [--measurement M] [--start T] [--end T] "
                "[--out FILE] [--gzip]",
    .summary = "write a database's retention policy as line protocol (every type exact)",
    .about =
        "Writes the points of a database as InfluxDB line protocol with nanosecond timestamps,\n"
        "one line per series and timestamp, measurements and series sorted, fields sorted by\n"
        "name. Every value is written back exactly: floats in their shortest round-trip form,\n"
        "integers with 'i', unsigned integers with 'u', booleans, strings, tags and names\n"
        "escaped as line protocol requires. `strata import` of the output and a new export\n"
        "give the same bytes.\n"
        "\n"
        "Each retention policy of a database keeps its own points: one export writes one of\n"
        "them, the one --rp names or else the database's default (as influx_inspect export\n"
        "-retention). Points its retention has already expired are not written, even while\n"
        "the chunks holding them wait to be deleted. The output names no retention policy;\n"
        "give the same --rp to `strata import` (or rp= to /write) to load it back there.\n"
        "\n"
        "On a stopped directory the engine is opened as the server would open it (the WAL is\n"
        "replayed, so every acknowledged point is included; closing writes a checkpoint). On\n"
        "the directory of a running server, LMDB is read read-only instead: points the server\n"
        "has not checkpointed yet (at most its checkpoint interval, default 5 minutes) are\n"
        "only in its WAL and are not exported; a note on stderr says so.\n"
        "\n"
        "Values line protocol cannot carry (NaN or infinite floats, timestamps outside\n"
        "InfluxDB's range, names with a newline or ending in a backslash) are skipped, each\n"
        "reported on stderr, and the exit status is 1. So is the rest of a column from a\n"
        "damaged chunk on (the other columns are still exported: export salvages).",
    .flags = export_flags,
    .nflags = 8,
    .min_pos = 0,
    .max_pos = 0,
    .exits = "  0  every point of the selection was written\n"
             "  1  failure (also: no such database or retention policy), or some values could not "
             "be written as line protocol (see stderr)\n"
             "  2  bad command line",
    .examples =
        "  strata export --data-dir /var/lib/strata --db telegraf --gzip --out telegraf.lp.gz\n"
        "  strata export --data-dir /var/lib/strata --db telegraf --rp one_year > year.lp\n"
        "  strata export --data-dir /var/lib/strata --db telegraf --measurement cpu \\\n"
        "      --start 2016-01-01T00:00:00Z --end 2016-01-02T00:00:00Z > cpu.lp",
};

/* ---------------------------------------------------------- output */

typedef struct ex_out {
    FILE *f;
    gzFile gz;
    int fd; /* -1: stdout */
    tl_buf buf;
    int failed;
    const char *path;
} ex_out;

static int out_flush(ex_out *o, strata_error *err)
{
    if (o->failed) return STRATA_EIO;
    if (o->buf.len == 0) return STRATA_OK;
    if (o->gz) {
        if (gzwrite(o->gz, o->buf.p, (unsigned)o->buf.len) != (int)o->buf.len) {
            int zerr;
            o->failed = 1;
            return strata_error_set(err, STRATA_EIO, "writing %s: %s", o->path,
                                    gzerror(o->gz, &zerr));
        }
    } else if (fwrite(o->buf.p, 1, o->buf.len, o->f) != o->buf.len) {
        o->failed = 1;
        return strata_error_set(err, STRATA_EIO, "writing %s: %s", o->path, strerror(errno));
    }
    o->buf.len = 0;
    return STRATA_OK;
}

/* ---------------------------------------------------------- catalog */

typedef struct ex_field {
    char *name;
    size_t len;
    uint32_t fid;
    stg_type type;
    char *esc; /* escaped key, NULL when line protocol cannot carry it */
    size_t esc_len;
} ex_field;

typedef struct ex_series {
    uint64_t id;
    size_t off, len; /* canonical key in the arena */
} ex_series;

typedef struct ex_meas {
    char *name;
    size_t len;
    uint32_t mid;
} ex_meas;

typedef struct exporter {
    const char *dir;
    stg_engine *eng; /* engine path */
    tl_store st;     /* LMDB-only path */
    int live;
    uint32_t db; /* the namespace of the retention policy exported */
    int64_t tmin, tmax;
    ex_out out;
    lp_parser *lp;

    ex_meas *meas;
    size_t nmeas, cap_meas;
    ex_field *fields;
    size_t nfields, cap_fields;
    ex_series *series;
    size_t nseries, cap_series;
    char *keys;
    size_t keys_len, keys_cap;

    /* per-measurement LMDB-only state */
    uint32_t *parts;
    size_t nparts;
    uint64_t pns;
    tl_colread **crs;
    size_t ncrs;

    /* per-series scratch */
    stg_iter **its;
    struct ex_src *srcs;
    size_t cap_srcs;
    char *kbuf;
    size_t kbuf_cap;
    stg_tag *tags;
    size_t tags_cap;
    tl_buf prefix;

    uint64_t lines, values, skipped, skipped_series, damaged, messages;
    tl_progress pr;
} exporter;

typedef struct ex_src {
    const ex_field *f;
    stg_iter *it;
    tl_colread *cr;
    const int64_t *ts;
    const uint64_t *vals;
    const uint8_t *str;
    uint32_t n, pos;
    int done;
    int warned;
} ex_src;

static void note(exporter *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(exporter *x, const char *fmt, ...)
{
    va_list ap;
    if (x->messages++ >= 50) {
        if (x->messages == 51)
            fprintf(stderr, "strata export: (further messages suppressed; see the summary)\n");
        return;
    }
    tl_progress_end(&x->pr);
    fprintf(stderr, "strata export: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int meas_cb(void *c, const char *name, size_t len, uint32_t mid)
{
    exporter *x = c;
    if (x->nmeas == x->cap_meas) {
        size_t nc = x->cap_meas ? x->cap_meas * 2 : 16;
        ex_meas *nm = realloc(x->meas, nc * sizeof *nm);
        if (nm == NULL) return STRATA_ENOMEM;
        x->meas = nm;
        x->cap_meas = nc;
    }
    ex_meas *m = &x->meas[x->nmeas];
    m->name = malloc(len + 1);
    if (m->name == NULL) return STRATA_ENOMEM;
    memcpy(m->name, name, len);
    m->name[len] = '\0';
    m->len = len;
    m->mid = mid;
    x->nmeas++;
    return 0;
}

static int field_cb(void *c, const char *name, size_t len, uint32_t fid, stg_type t)
{
    exporter *x = c;
    if (x->nfields == x->cap_fields) {
        size_t nc = x->cap_fields ? x->cap_fields * 2 : 16;
        ex_field *nf = realloc(x->fields, nc * sizeof *nf);
        if (nf == NULL) return STRATA_ENOMEM;
        x->fields = nf;
        x->cap_fields = nc;
    }
    ex_field *f = &x->fields[x->nfields];
    memset(f, 0, sizeof *f);
    f->name = malloc(len + 1);
    if (f->name == NULL) return STRATA_ENOMEM;
    memcpy(f->name, name, len);
    f->name[len] = '\0';
    f->len = len;
    f->fid = fid;
    f->type = t;
    x->nfields++;
    return 0;
}

static int add_series(exporter *x, uint64_t id, const char *key, size_t len)
{
    if (x->nseries == x->cap_series) {
        size_t nc = x->cap_series ? x->cap_series * 2 : 1024;
        ex_series *ns = realloc(x->series, nc * sizeof *ns);
        if (ns == NULL) return STRATA_ENOMEM;
        x->series = ns;
        x->cap_series = nc;
    }
    if (x->keys_len + len > x->keys_cap) {
        size_t nc = x->keys_cap ? x->keys_cap : 65536;
        while (nc < x->keys_len + len)
            nc *= 2;
        char *nk = realloc(x->keys, nc);
        if (nk == NULL) return STRATA_ENOMEM;
        x->keys = nk;
        x->keys_cap = nc;
    }
    memcpy(x->keys + x->keys_len, key, len);
    x->series[x->nseries].id = id;
    x->series[x->nseries].off = x->keys_len;
    x->series[x->nseries].len = len;
    x->keys_len += len;
    x->nseries++;
    return STRATA_OK;
}

static void clear_fields(exporter *x)
{
    for (size_t i = 0; i < x->nfields; i++) {
        free(x->fields[i].name);
        free(x->fields[i].esc);
    }
    x->nfields = 0;
}

static int cmp_field(const void *a, const void *b)
{
    const ex_field *p = a, *q = b;
    size_t n = p->len < q->len ? p->len : q->len;
    int c = memcmp(p->name, q->name, n);
    return c ? c : (p->len > q->len) - (p->len < q->len);
}

static int cmp_series(const void *a, const void *b, void *arg)
{
    const exporter *x = arg;
    const ex_series *p = a, *q = b;
    size_t n = p->len < q->len ? p->len : q->len;
    int c = memcmp(x->keys + p->off, x->keys + q->off, n);
    return c ? c : (p->len > q->len) - (p->len < q->len);
}

/* Load the fields and series of one measurement into x (sorted). */
static int load_meas(exporter *x, const ex_meas *m, strata_error *err)
{
    MDB_txn *txn = NULL;
    stg_idset ids;
    int rc;

    clear_fields(x);
    x->nseries = 0;
    x->keys_len = 0;
    stg_idset_init(&ids);
    if (x->eng) {
        stg_index *idx = stg_engine_index(x->eng);
        if ((rc = stg_engine_read_begin(x->eng, &txn, err)) != STRATA_OK) goto out;
        rc = stg_index_field_list(idx, txn, x->db, m->mid, field_cb, x);
        if (rc == STRATA_OK) rc = stg_index_meas_series(idx, txn, x->db, m->mid, &ids);
        for (size_t i = 0; rc == STRATA_OK && i < ids.n; i++) {
            const char *key;
            size_t len;
            rc = stg_index_series_key(idx, txn, x->db, ids.ids[i], &key, &len);
            if (rc == STRATA_OK) rc = add_series(x, ids.ids[i], key, len);
        }
        if (rc != STRATA_OK && err->msg[0] == '\0')
            strata_error_set(err, rc, "reading the index of measurement %s: %s", m->name,
                             strata_strerror(rc));
    } else {
        if ((rc = tl_store_read(&x->st, &txn, err)) != STRATA_OK) goto out;
        tl_meta meta;
        if ((rc = tl_meta_read(&x->st, txn, &meta, err)) != STRATA_OK) goto out;
        /* This database's partitions, sorted (meta keys are in key order). */
        free(x->parts);
        x->parts = malloc((meta.nparts ? meta.nparts : 1) * sizeof *x->parts);
        x->nparts = 0;
        x->pns = meta.partition_ns;
        for (size_t i = 0; x->parts && i < meta.nparts; i++)
            if (meta.parts[2 * i] == x->db) x->parts[x->nparts++] = meta.parts[2 * i + 1];
        tl_meta_fini(&meta);
        if (x->parts == NULL) {
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
            goto out;
        }
        if (x->pns == 0 || x->pns > INT64_MAX) {
            rc = strata_error_set(err, STRATA_ECORRUPT, "meta: no valid partition length");
            goto out;
        }
        rc = tl_field_list(&x->st, txn, x->db, m->mid, field_cb, x, err);
        if (rc == STRATA_OK) rc = tl_meas_series(&x->st, txn, x->db, m->mid, &ids, err);
        for (size_t i = 0; rc == STRATA_OK && i < ids.n; i++) {
            uint32_t mid;
            const char *key;
            size_t len;
            rc = tl_series_get(&x->st, txn, x->db, ids.ids[i], &mid, &key, &len, err);
            if (rc == STRATA_OK) rc = add_series(x, ids.ids[i], key, len);
        }
    }
    if (rc == STRATA_ENOMEM) strata_error_set(err, rc, "out of memory");
    if (rc != STRATA_OK) goto out;
    if (x->nfields > 1) qsort(x->fields, x->nfields, sizeof *x->fields, cmp_field);
    if (x->nseries > 1) qsort_r(x->series, x->nseries, sizeof *x->series, cmp_series, x);

    /* Escape each field key once, and check that the parser reads it back. */
    for (size_t i = 0; i < x->nfields; i++) {
        ex_field *f = &x->fields[i];
        tl_buf b = {0};
        int r = tl_lp_name(&b, TL_LP_FIELDKEY, f->name, f->len);
        if (r == STRATA_ENOMEM) {
            tl_buf_fini(&b);
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
            goto out;
        }
        if (r == STRATA_OK) {
            /* "m <key>=1 0": the key must come back as the field's name. */
            tl_buf t = {0};
            int ok = tl_buf_reserve(&t, b.len + 8) == STRATA_OK;
            if (ok) {
                memcpy(t.p, "m ", 2);
                memcpy(t.p + 2, b.p, b.len);
                memcpy(t.p + 2 + b.len, "=1 0", 4);
                t.len = b.len + 6;
                lp_point pt;
                lp_parser_reset(x->lp, t.p, t.len, 0);
                ok = lp_parser_next(x->lp, &pt) == 1 && pt.nfields == 1 &&
                     pt.fields[0].key.len == f->len &&
                     memcmp(pt.fields[0].key.p, f->name, f->len) == 0;
            }
            tl_buf_fini(&t);
            if (ok) {
                f->esc = b.p;
                f->esc_len = b.len;
                continue;
            }
        }
        tl_buf_fini(&b);
        note(x,
             "measurement %s: field \"%s\" cannot be written as line protocol; its values are "
             "skipped",
             m->name, f->name);
    }
out:
    if (txn) {
        if (x->eng)
            stg_engine_read_end(x->eng, txn);
        else
            mdb_txn_abort(txn);
    }
    stg_idset_fini(&ids);
    return rc;
}

/* ----------------------------------------------------------- series */

/*
 * The escaped "measurement,tags" of a series into x->prefix, checked by
 * parsing it back. @return STRATA_OK, STRATA_EINVAL (not representable),
 * STRATA_ENOMEM.
 */
static int series_prefix(exporter *x, const char *key, size_t klen)
{
    const char *meas;
    size_t mlen, ntags = 0;
    if (klen + 1 > x->kbuf_cap) {
        char *nb = realloc(x->kbuf, klen + 1);
        if (nb == NULL) return STRATA_ENOMEM;
        x->kbuf = nb;
        x->kbuf_cap = klen + 1;
    }
    int rc = stg_series_key_parse(key, klen, x->kbuf, x->kbuf_cap, &meas, &mlen, x->tags,
                                  x->tags_cap, &ntags);
    if (rc == STRATA_ERANGE && ntags > x->tags_cap) {
        stg_tag *nt = realloc(x->tags, ntags * sizeof *nt);
        if (nt == NULL) return STRATA_ENOMEM;
        x->tags = nt;
        x->tags_cap = ntags;
        rc = stg_series_key_parse(key, klen, x->kbuf, x->kbuf_cap, &meas, &mlen, x->tags,
                                  x->tags_cap, &ntags);
    }
    if (rc != STRATA_OK) return STRATA_EINVAL;
    x->prefix.len = 0;
    if ((rc = tl_lp_name(&x->prefix, TL_LP_MEAS, meas, mlen)) != STRATA_OK) return rc;
    for (size_t i = 0; i < ntags; i++) {
        if (tl_buf_reserve(&x->prefix, 1) != STRATA_OK) return STRATA_ENOMEM;
        x->prefix.p[x->prefix.len++] = ',';
        if ((rc = tl_lp_name(&x->prefix, TL_LP_TAG, x->tags[i].key, x->tags[i].key_len)) ||
            tl_buf_reserve(&x->prefix, 1) != STRATA_OK)
            return rc ? rc : STRATA_ENOMEM;
        x->prefix.p[x->prefix.len++] = '=';
        if ((rc = tl_lp_name(&x->prefix, TL_LP_TAG, x->tags[i].val, x->tags[i].val_len))) return rc;
    }
    /* Parse "<prefix> x=1 0" and compare measurement and tags. */
    size_t plen = x->prefix.len;
    if (tl_buf_reserve(&x->prefix, 8) != STRATA_OK) return STRATA_ENOMEM;
    memcpy(x->prefix.p + plen, " x=1 0", 6);
    lp_point pt;
    lp_parser_reset(x->lp, x->prefix.p, plen + 6, 0);
    int ok = lp_parser_next(x->lp, &pt) == 1 && pt.measurement.len == mlen &&
             memcmp(pt.measurement.p, meas, mlen) == 0 && pt.ntags == ntags;
    for (size_t i = 0; ok && i < ntags; i++)
        ok = pt.tags[i].key.len == x->tags[i].key_len &&
             memcmp(pt.tags[i].key.p, x->tags[i].key, x->tags[i].key_len) == 0 &&
             pt.tags[i].val.len == x->tags[i].val_len &&
             memcmp(pt.tags[i].val.p, x->tags[i].val, x->tags[i].val_len) == 0;
    x->prefix.len = plen;
    return ok ? STRATA_OK : STRATA_EINVAL;
}

static int src_fill(exporter *x, ex_src *s, strata_error *err)
{
    while (!s->done && s->pos >= s->n) {
        int rc;
        s->pos = 0;
        if (s->it) {
            stg_block b;
            rc = stg_iter_next(s->it, 0, &b, err);
            if (rc == 1) {
                s->ts = b.ts;
                s->vals = b.vals;
                s->str = b.strbuf;
                s->n = b.n;
                if (!b.decoded) return strata_error_set(err, STRATA_EINTERNAL, "undecoded block");
            }
        } else {
            stg_type t;
            rc = tl_colread_next(s->cr, &s->ts, &s->vals, &s->str, &s->n, &t, err);
            if (rc == 1 && t != s->f->type)
                return strata_error_set(err, STRATA_ECORRUPT,
                                        "field %s holds %s chunks but is of type %s (run strata "
                                        "verify)",
                                        s->f->name, stg_type_name(t), stg_type_name(s->f->type));
        }
        if (rc < 0) return rc;
        if (rc == 0) {
            s->done = 1;
            s->n = 0;
        }
    }
    (void)x;
    return STRATA_OK;
}

/* Append one value of s at its position to the line. @return 1 written, 0 skipped. */
static int put_value(exporter *x, ex_src *s, const char *key, size_t klen)
{
    tl_buf *b = &x->out.buf;
    uint64_t v = s->vals[s->pos];
    char num[40];
    size_t nl = 0;
    switch (s->f->type) {
    case STG_FLOAT: {
        double d = stg_val_to_f64(v);
        if (d != d || d - d != 0) {
            x->skipped++;
            if (!s->warned++)
                note(x,
                     "series %.*s, field %s: %s values cannot be written as line protocol; "
                     "skipped",
                     (int)klen, key, s->f->name, d != d ? "NaN" : "infinite");
            return 0;
        }
        nl = tl_fmt_f64(d, num);
        break;
    }
    case STG_INT:
        nl = (size_t)snprintf(num, sizeof num, "%lldi", (long long)(int64_t)v);
        break;
    case STG_UINT:
        nl = (size_t)snprintf(num, sizeof num, "%lluu", (unsigned long long)v);
        break;
    case STG_BOOL:
        nl = (size_t)snprintf(num, sizeof num, "%s", v ? "true" : "false");
        break;
    case STG_STRING:
        if (tl_buf_reserve(b, s->f->esc_len + 2) != STRATA_OK) return STRATA_ENOMEM;
        b->p[b->len++] = '=';
        return tl_lp_string(b, (const char *)s->str + stg_val_str_off(v), stg_val_str_len(v)) ==
                       STRATA_OK
                   ? 1
                   : STRATA_ENOMEM;
    default:
        return 0;
    }
    if (tl_buf_reserve(b, nl + 1) != STRATA_OK) return STRATA_ENOMEM;
    b->p[b->len++] = '=';
    memcpy(b->p + b->len, num, nl);
    b->len += nl;
    return 1;
}

static int export_series(exporter *x, const ex_meas *m, const ex_series *se, strata_error *err)
{
    const char *key = x->keys + se->off;
    MDB_txn *txn = NULL;
    size_t nsrc = 0;
    int rc = series_prefix(x, key, se->len);
    if (rc == STRATA_ENOMEM) return strata_error_set(err, rc, "out of memory");
    if (rc != STRATA_OK) {
        x->skipped_series++;
        note(x,
             "series %.*s cannot be written as line protocol (a name with a newline, a "
             "leading '#' or blank, or a trailing backslash); skipped",
             (int)se->len, key);
        return STRATA_OK;
    }
    if (x->nfields > x->cap_srcs) {
        ex_src *ns = realloc(x->srcs, x->nfields * sizeof *ns);
        if (ns == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        x->srcs = ns;
        x->cap_srcs = x->nfields;
    }
    if (!x->eng) {
        if (x->nfields > x->ncrs) {
            tl_colread **nc = realloc(x->crs, x->nfields * sizeof *nc);
            if (nc == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            x->crs = nc;
            for (; x->ncrs < x->nfields; x->ncrs++)
                if (tl_colread_new(&x->crs[x->ncrs]) != STRATA_OK)
                    return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        }
        if ((rc = tl_store_read(&x->st, &txn, err)) != STRATA_OK) return rc;
    }
    for (size_t i = 0; i < x->nfields; i++) {
        ex_field *f = &x->fields[i];
        if (f->esc == NULL) continue;
        ex_src *s = &x->srcs[nsrc];
        memset(s, 0, sizeof *s);
        s->f = f;
        if (x->eng) {
            rc = stg_iter_open(x->eng, x->db, se->id, f->fid, x->tmin, x->tmax, &s->it, err);
        } else {
            s->cr = x->crs[nsrc];
            rc = tl_colread_open(s->cr, &x->st, txn, x->db, se->id, f->fid, x->parts, x->nparts,
                                 x->pns, x->tmin, x->tmax, err);
        }
        if (rc != STRATA_OK) goto out;
        nsrc++;
    }
    for (;;) {
        int64_t t = INT64_MAX;
        int any = 0;
        for (size_t i = 0; i < nsrc; i++) {
            ex_src *s = &x->srcs[i];
            if ((rc = src_fill(x, s, err)) == STRATA_ECORRUPT) {
                /* Salvage: the rest of this column is lost, the others go on. */
                note(x, "series %.*s, field %s: %s; the rest of this column is skipped",
                     (int)se->len, key, s->f->name, err->msg);
                strata_error_clear(err);
                x->damaged++;
                s->done = 1;
                s->n = 0;
                rc = STRATA_OK;
            }
            if (rc != STRATA_OK) goto out;
            if (s->done) continue;
            if (!any || s->ts[s->pos] < t) t = s->ts[s->pos];
            any = 1;
        }
        if (!any) break;
        int ts_ok = t >= LP_MIN_TS_NS && t <= LP_MAX_TS_NS;
        if (!ts_ok) {
            char tb[48];
            x->skipped++;
            note(x, "series %.*s: the point at %s is outside line protocol's time range; skipped",
                 (int)se->len, key, tl_time_fmt(t, tb, sizeof tb));
        }
        tl_buf *b = &x->out.buf;
        size_t line_start = b->len;
        int nvals = 0;
        if (tl_buf_reserve(b, x->prefix.len + 1) != STRATA_OK) {
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(b->p + b->len, x->prefix.p, x->prefix.len);
        b->len += x->prefix.len;
        for (size_t i = 0; i < nsrc; i++) {
            ex_src *s = &x->srcs[i];
            if (s->done || s->ts[s->pos] != t) continue;
            if (ts_ok) {
                size_t mark = b->len;
                if (tl_buf_reserve(b, s->f->esc_len + 1) != STRATA_OK) {
                    rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                    goto out;
                }
                b->p[b->len++] = nvals ? ',' : ' ';
                memcpy(b->p + b->len, s->f->esc, s->f->esc_len);
                b->len += s->f->esc_len;
                int w = put_value(x, s, key, se->len);
                if (w < 0) {
                    rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                    goto out;
                }
                if (w == 0)
                    b->len = mark;
                else
                    nvals++;
            }
            s->pos++;
        }
        if (nvals == 0) {
            b->len = line_start;
            continue;
        }
        char tsb[32];
        int tl = snprintf(tsb, sizeof tsb, " %lld\n", (long long)t);
        if (tl_buf_reserve(b, (size_t)tl) != STRATA_OK) {
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(b->p + b->len, tsb, (size_t)tl);
        b->len += (size_t)tl;
        x->lines++;
        x->values += (uint64_t)nvals;
        if (b->len >= ((size_t)1 << 20) && (rc = out_flush(&x->out, err)) != STRATA_OK) goto out;
    }
    rc = STRATA_OK;
out:
    for (size_t i = 0; i < nsrc; i++)
        stg_iter_close(x->srcs[i].it);
    if (txn) mdb_txn_abort(txn);
    (void)m;
    return rc;
}

/* ------------------------------------------------------------ driver */

/* Resolve database name and retention policy rp (NULL: the default) to x->db. */
static int find_db(exporter *x, const char *name, const char *rp, strata_error *err)
{
    if (x->eng) {
        stg_rp_info info;
        uint32_t id;
        int rc = stg_db_lookup(x->eng, name, &id);
        if (rc == STRATA_ENOTFOUND)
            return strata_error_set(err, rc, "database \"%s\" does not exist in %s", name, x->dir);
        if (rc != STRATA_OK) return strata_error_set(err, rc, "looking up database \"%s\"", name);
        rc = stg_rp_resolve(x->eng, name, rp, &info, err);
        if (rc == STRATA_ENOTFOUND && rp)
            return strata_error_set(
                err, rc, "retention policy \"%s\" does not exist in database \"%s\"", rp, name);
        if (rc == STRATA_ENOTFOUND)
            return strata_error_set(err, rc,
                                    "database \"%s\" has no default retention policy (it was "
                                    "dropped); name one with --rp",
                                    name);
        if (rc != STRATA_OK) return rc;
        x->db = info.ns;
        return STRATA_OK;
    }
    MDB_txn *txn;
    tl_dbent *d = NULL;
    size_t n = 0;
    tl_rpcat cat;
    uint32_t id = 0;
    int found = 0;
    memset(&cat, 0, sizeof cat);
    int rc = tl_store_read(&x->st, &txn, err);
    if (rc != STRATA_OK) return rc;
    rc = tl_db_list(&x->st, txn, &d, &n, err);
    if (rc == STRATA_OK) rc = tl_rpcat_read(&x->st, txn, &cat, err);
    mdb_txn_abort(txn);
    if (rc != STRATA_OK) goto out;
    for (size_t i = 0; i < n; i++)
        if (d[i].len == strlen(name) && memcmp(d[i].name, name, d[i].len) == 0 &&
            name[0] != '\x01') {
            id = d[i].id;
            found = 1;
        }
    if (!found) {
        rc = strata_error_set(err, STRATA_ENOTFOUND, "database \"%s\" does not exist in %s", name,
                              x->dir);
        goto out;
    }
    const tl_rpent *r = tl_rpcat_resolve(&cat, id, rp);
    if (r == NULL) {
        if (rp)
            rc = strata_error_set(err, STRATA_ENOTFOUND,
                                  "retention policy \"%s\" does not exist in database \"%s\"", rp,
                                  name);
        else
            rc = strata_error_set(err, STRATA_ENOTFOUND,
                                  "database \"%s\" has no default retention policy (it was "
                                  "dropped); name one with --rp",
                                  name);
        goto out;
    }
    x->db = r->ns;
    /* The engine's iterators hide expired points; reading raw chunks, skip them here. */
    if (r->expired_before_ns > x->tmin) x->tmin = r->expired_before_ns;
out:
    tl_rpcat_fini(&cat);
    tl_dbents_free(d, n);
    return rc;
}

static int list_meas(exporter *x, strata_error *err)
{
    MDB_txn *txn;
    int rc;
    if (x->eng) {
        if ((rc = stg_engine_read_begin(x->eng, &txn, err)) != STRATA_OK) return rc;
        rc = stg_index_meas_list(stg_engine_index(x->eng), txn, x->db, meas_cb, x);
        stg_engine_read_end(x->eng, txn);
        if (rc != STRATA_OK) strata_error_set(err, rc, "listing measurements");
        return rc;
    }
    if ((rc = tl_store_read(&x->st, &txn, err)) != STRATA_OK) return rc;
    rc = tl_meas_list(&x->st, txn, x->db, meas_cb, x, err);
    mdb_txn_abort(txn);
    if (rc == STRATA_ENOMEM) strata_error_set(err, rc, "out of memory");
    return rc;
}

static int open_out(exporter *x, const char *path, int gzip, strata_error *err)
{
    ex_out *o = &x->out;
    o->fd = -1;
    o->path = path ? path : "stdout";
    if (path && strcmp(path, "-") != 0) {
        o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o->fd < 0)
            return strata_error_set(err, STRATA_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    int fd = o->fd >= 0 ? o->fd : STDOUT_FILENO;
    if (gzip) {
        int dfd = dup(fd);
        o->gz = dfd >= 0 ? gzdopen(dfd, "wb6") : NULL;
        if (o->gz == NULL) {
            if (dfd >= 0) close(dfd);
            return strata_error_set(err, STRATA_ENOMEM, "cannot start gzip output");
        }
        gzbuffer(o->gz, 1 << 17);
    } else {
        o->f = o->fd >= 0 ? fdopen(o->fd, "w") : stdout;
        if (o->f == NULL)
            return strata_error_set(err, STRATA_EIO, "cannot write %s: %s", o->path,
                                    strerror(errno));
        if (o->fd >= 0) o->fd = -2; /* owned by f now */
    }
    return STRATA_OK;
}

static int close_out(exporter *x, strata_error *err)
{
    ex_out *o = &x->out;
    int rc = out_flush(o, err);
    if (o->gz) {
        int zrc = gzclose(o->gz);
        o->gz = NULL;
        if (zrc != Z_OK && rc == STRATA_OK)
            rc = strata_error_set(err, STRATA_EIO, "finishing the gzip stream of %s failed",
                                  o->path);
    }
    if (o->f) {
        if (fflush(o->f) != 0 && rc == STRATA_OK)
            rc = strata_error_set(err, STRATA_EIO, "writing %s: %s", o->path, strerror(errno));
        if (o->f != stdout && fclose(o->f) != 0 && rc == STRATA_OK)
            rc = strata_error_set(err, STRATA_EIO, "closing %s: %s", o->path, strerror(errno));
        o->f = NULL;
    }
    if (o->fd >= 0) {
        if (close(o->fd) != 0 && rc == STRATA_OK)
            rc = strata_error_set(err, STRATA_EIO, "closing %s: %s", o->path, strerror(errno));
        o->fd = -1;
    }
    return rc;
}

int tl_cmd_export(int argc, char **argv)
{
    tl_args a;
    strata_error err;
    exporter x;
    int status = TL_EXIT_FAIL, rc;
    const tl_cmd *cmd = &tl_export_cmd;
    strata_logger log = {.sink = stderr, .level = STRATA_LOG_WARN};

    strata_error_clear(&err);
    if (tl_args_parse(cmd, argc, argv, &a, &err) != STRATA_OK) return tl_usage_error(cmd, err.msg);
    if (a.help) {
        tl_usage(stdout, cmd);
        return TL_EXIT_OK;
    }
    memset(&x, 0, sizeof x);
    x.dir = tl_arg(cmd, &a, "data-dir");
    const char *dbname = tl_arg(cmd, &a, "db"), *only = tl_arg(cmd, &a, "measurement");
    const char *rpname = tl_arg(cmd, &a, "rp");
    if (x.dir == NULL) return tl_usage_error(cmd, "--data-dir is required");
    if (dbname == NULL) return tl_usage_error(cmd, "--db is required");
    if (rpname && rpname[0] == '\0') return tl_usage_error(cmd, "--rp needs a name");
    x.tmin = INT64_MIN;
    x.tmax = INT64_MAX;
    const char *ts = tl_arg(cmd, &a, "start"), *te = tl_arg(cmd, &a, "end");
    if (ts && tl_time_parse(ts, &x.tmin) != STRATA_OK)
        return tl_usage_error(cmd, "--start needs RFC3339 (2016-01-01T00:00:00Z) or nanoseconds");
    if (te && tl_time_parse(te, &x.tmax) != STRATA_OK)
        return tl_usage_error(cmd, "--end needs RFC3339 (2016-01-01T00:00:00Z) or nanoseconds");
    if (x.tmin >= x.tmax) return tl_usage_error(cmd, "--start must be before --end");

    char probe[4200];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/strata.mdb/data.mdb", x.dir);
    if (stat(probe, &st) != 0) {
        fprintf(stderr, "strata export: %s is not a Strata data directory (no strata.mdb)\n",
                x.dir);
        return TL_EXIT_FAIL;
    }
    lp_options lo;
    lp_options_init(&lo);
    if (lp_parser_new(&lo, &x.lp) != STRATA_OK) {
        strata_error_set(&err, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    tl_progress_init(&x.pr, "export");

    /* Open the engine unless a server holds the directory. */
    int in_use = tl_dir_in_use(x.dir);
    if (in_use == 0) {
        stg_options o;
        stg_options_default(&o);
        o.dir = x.dir;
        o.background = 0;
        o.log = &log;
        rc = stg_engine_open(&o, &x.eng, &err);
        if (rc == STRATA_EBUSY)
            in_use = 1;
        else if (rc != STRATA_OK)
            goto done;
    }
    if (in_use) {
        strata_error_clear(&err);
        x.live = 1;
        tl_guard_signals("export");
        if (tl_store_open(&x.st, x.dir, &err) != STRATA_OK) goto done;
        fprintf(stderr,
                "strata export: %s is in use by a running server: reading its checkpointed "
                "data from LMDB; points written since its last checkpoint are only in its WAL "
                "and are not exported\n",
                x.dir);
    }
    if (find_db(&x, dbname, rpname, &err) != STRATA_OK) goto done;
    if (list_meas(&x, &err) != STRATA_OK) goto done;
    if (open_out(&x, tl_arg(cmd, &a, "out"), tl_arg_set(cmd, &a, "gzip"), &err) != STRATA_OK)
        goto done;
    int found = only == NULL;
    for (size_t i = 0; i < x.nmeas; i++) {
        ex_meas *m = &x.meas[i];
        if (only && (strlen(only) != m->len || memcmp(only, m->name, m->len) != 0)) continue;
        found = 1;
        if (x.tmin >= x.tmax) continue; /* the whole range has expired */
        if (load_meas(&x, m, &err) != STRATA_OK) goto done;
        x.pr.what = m->name;
        for (size_t s = 0; s < x.nseries; s++) {
            tl_progress_update(&x.pr, s, x.nseries, "series");
            if (export_series(&x, m, &x.series[s], &err) != STRATA_OK) goto done;
        }
    }
    tl_progress_end(&x.pr);
    if (!found) {
        strata_error_set(&err, STRATA_ENOTFOUND, "measurement \"%s\" does not exist in database %s",
                         only, dbname);
        goto done;
    }
    if (close_out(&x, &err) != STRATA_OK) goto done;
    fprintf(stderr, "strata export: %llu lines, %llu values", (unsigned long long)x.lines,
            (unsigned long long)x.values);
    if (x.skipped || x.skipped_series)
        fprintf(stderr, "; %llu values and %llu series could not be written as line protocol",
                (unsigned long long)x.skipped, (unsigned long long)x.skipped_series);
    if (x.damaged)
        fprintf(stderr, "; %llu columns were cut short by damaged chunks (run strata verify)",
                (unsigned long long)x.damaged);
    fputc('\n', stderr);
    status = x.skipped || x.skipped_series || x.damaged ? TL_EXIT_FAIL : TL_EXIT_OK;
done:
    tl_progress_end(&x.pr);
    if (status == TL_EXIT_FAIL && err.msg[0]) fprintf(stderr, "strata export: %s\n", err.msg);
    strata_error clerr;
    if (x.out.f || x.out.gz || x.out.fd >= 0) close_out(&x, &clerr);
    tl_buf_fini(&x.out.buf);
    clear_fields(&x);
    free(x.fields);
    for (size_t i = 0; i < x.nmeas; i++)
        free(x.meas[i].name);
    free(x.meas);
    free(x.series);
    free(x.keys);
    free(x.parts);
    for (size_t i = 0; i < x.ncrs; i++)
        tl_colread_free(x.crs[i]);
    free(x.crs);
    free(x.srcs);
    free(x.kbuf);
    free(x.tags);
    tl_buf_fini(&x.prefix);
    lp_parser_free(x.lp);
    if (x.eng) stg_engine_close(x.eng);
    tl_store_close(&x.st);
    return status;
}
