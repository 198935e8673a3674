/*
 * tools/strata_inspect.c: `strata inspect`, a report of what a data
 * directory holds and what it costs: databases, measurements, series, tag
 * cardinality, fields and their types, columns, chunks per column, bytes
 * per value, codec usage, the largest series, LMDB table sizes, the WAL.
 *
 * It reads LMDB only, through the read-only store (strata_store.c), in one
 * read transaction: on a live server's directory it sees the last
 * checkpoint, never writes, and never touches the WAL files beyond listing
 * them. One pass over the chunk table reads every chunk header (no
 * checksums, no decoding: that is verify's job); per-series and per-column
 * tallies live in hash maps so that millions of series cost memory, not
 * lookups.
 *
 * Figures are gathered per namespace (index database): a database's own id
 * and the internal namespaces of its other retention policies
 * (storage/retention.h). The report groups them by database and retention
 * policy, read from the raw catalog records (tl_rpcat_read); internal
 * namespaces never appear as databases, and one that no RP record names is
 * reported apart as left over.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bytes.h"
#include "tools/strata_int.h"

static const tl_flag inspect_flags[] = {
    {"data-dir", "DIR", "the data directory (required); a running server's directory is fine"},
    {"json", NULL, "write the report as one JSON document on stdout"},
    {"top", "N", "list the N largest series of each database (default 10; 0: none)"},
};

const tl_cmd tl_inspect_cmd = {
    .name = "inspect",
    .synopsis = "--data-dir DIR [--json] [--top N]",
    .summary = "report databases, series, fields, chunks, codecs and sizes",
    .about =
        "Reports what a data directory holds: its databases with their retention policies\n"
        "(duration, shard group duration, replication, default, expiry watermark), and per\n"
        "retention policy its measurements, series, the number of values of each tag key\n"
        "(cardinality), fields with their types, columns (one field of one series), chunks per\n"
        "column, bytes per stored value per measurement and per field, the codecs the chunks\n"
        "use, the largest series; the size of every LMDB table (index and chunks) and of the\n"
        "write-ahead log.\n"
        "\n"
        "Only LMDB is read, read-only, in one snapshot: inspect works on a stopped directory and\n"
        "on the directory of a running server without disturbing it. Points written since the\n"
        "server's last checkpoint are still only in its WAL and memory and are not counted.\n"
        "Chunk figures count stored values: a point rewritten later is counted in both chunks\n"
        "until compaction.",
    .flags = inspect_flags,
    .nflags = 3,
    .min_pos = 0,
    .max_pos = 0,
    .exits = "  0  the report was written\n"
             "  1  the directory could not be read (not a data directory, damaged LMDB file)\n"
             "  2  bad command line",
    .examples = "  strata inspect --data-dir /var/lib/strata\n"
                "  strata inspect --data-dir /var/lib/strata --json | jq '.databases[].series'\n"
                "  strata inspect --data-dir /var/lib/strata --json |\n"
                "      jq '.databases[].retention_policies[] | {name, duration, values}'",
};

/* ------------------------------------------------------------- model */

#define NBUCKETS 34

typedef struct in_field {
    char *name;
    size_t len;
    uint32_t fid;
    stg_type type;
    uint64_t columns, chunks, points, bytes;
} in_field;

typedef struct in_tagk {
    char *name;
    size_t len;
    uint32_t tkid;
    uint64_t values;
} in_tagk;

typedef struct in_meas {
    char *name;
    size_t len;
    uint32_t mid;
    uint64_t series, series_with_data, chunks, points, bytes;
    in_field *fields; /* sorted by fid while scanning, by name for output */
    size_t nfields;
    in_tagk *tagks;
    size_t ntagks;
} in_meas;

typedef struct in_db {
    tl_dbent ent;
    int internal;   /* the namespace of a retention policy (not a database) */
    int referenced; /* internal, and an RP record names it */
    uint32_t owner; /* internal: the database id in its name */
    const char *rp; /* internal: the RP name in its name (points into ent.name) */
    size_t rplen;
    uint64_t series; /* the index's counter */
    in_meas *meas;   /* sorted by name */
    size_t nmeas;
    uint64_t chunks, points, bytes, columns, series_with_data, orphan_chunks, orphan_bytes;
    uint64_t nparts;
    uint32_t part_min, part_max;
    int64_t t_min, t_max;
    uint64_t ts_codec[32][2];     /* chunks, points */
    uint64_t val_codec[6][32][2]; /* by type */
    uint64_t pts_hist[NBUCKETS], col_hist[NBUCKETS];
    uint64_t pts_min, pts_max, col_min, col_max;
} in_db;

typedef struct in_series {
    uint32_t dbi, mi; /* indices into dbs and dbs[dbi].meas; mi UINT32_MAX: unknown */
    uint64_t id;
    uint64_t chunks, points, bytes;
} in_series;

typedef struct in_col {
    uint32_t si; /* series index */
    uint32_t fid;
    uint32_t fi; /* field index in its measurement, UINT32_MAX: unknown */
    uint64_t chunks;
} in_col;

typedef struct inspect {
    tl_store st;
    MDB_txn *txn;
    tl_meta meta;
    tl_rpcat rpcat;
    in_db *dbs;
    size_t ndbs;
    in_series *series;
    size_t nseries, cap_series;
    in_col *cols;
    size_t ncols, cap_cols;
    tl_map smap, cmap, mmap; /* (db, id) -> series; (db|fid, series) -> col; (db, mid) -> meas */
    uint64_t unknown_db_chunks, bad_chunks;
    int top;
} inspect;

static int bucket(uint64_t v)
{
    int b = 0;
    while (v > 1 && b < NBUCKETS - 1) {
        v >>= 1;
        b++;
    }
    return b;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ------------------------------------------------------------ catalog */

typedef struct grow_ctx {
    inspect *in;
    in_db *db;
    in_meas *m;
    size_t cap;
} grow_ctx;

static int meas_cb(void *c, const char *name, size_t len, uint32_t mid)
{
    grow_ctx *g = c;
    in_db *d = g->db;
    if (d->nmeas == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        in_meas *nm = realloc(d->meas, nc * sizeof *nm);
        if (nm == NULL) return STRATA_ENOMEM;
        d->meas = nm;
        g->cap = nc;
    }
    in_meas *m = &d->meas[d->nmeas];
    memset(m, 0, sizeof *m);
    m->name = dupn(name, len);
    if (m->name == NULL) return STRATA_ENOMEM;
    m->len = len;
    m->mid = mid;
    d->nmeas++;
    return 0;
}

static int field_cb(void *c, const char *name, size_t len, uint32_t fid, stg_type t)
{
    grow_ctx *g = c;
    in_meas *m = g->m;
    if (m->nfields == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        in_field *nf = realloc(m->fields, nc * sizeof *nf);
        if (nf == NULL) return STRATA_ENOMEM;
        m->fields = nf;
        g->cap = nc;
    }
    in_field *f = &m->fields[m->nfields];
    memset(f, 0, sizeof *f);
    f->name = dupn(name, len);
    if (f->name == NULL) return STRATA_ENOMEM;
    f->len = len;
    f->fid = fid;
    f->type = t;
    m->nfields++;
    return 0;
}

static int tagk_cb(void *c, const char *name, size_t len, uint32_t tkid)
{
    grow_ctx *g = c;
    in_meas *m = g->m;
    if (m->ntagks == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        in_tagk *nt = realloc(m->tagks, nc * sizeof *nt);
        if (nt == NULL) return STRATA_ENOMEM;
        m->tagks = nt;
        g->cap = nc;
    }
    in_tagk *t = &m->tagks[m->ntagks];
    memset(t, 0, sizeof *t);
    t->name = dupn(name, len);
    if (t->name == NULL) return STRATA_ENOMEM;
    t->len = len;
    t->tkid = tkid;
    m->ntagks++;
    return 0;
}

static int cmp_field_fid(const void *a, const void *b)
{
    const in_field *x = a, *y = b;
    return (x->fid > y->fid) - (x->fid < y->fid);
}

static int posting_count(inspect *in, uint32_t db, uint32_t mid, uint64_t *n, strata_error *err)
{
    uint8_t key[8];
    MDB_cursor *cur;
    size_t cnt = 0;
    int rc;
    *n = 0;
    if (!in->st.has[TL_IPOSTINGS]) return STRATA_OK;
    strata_put_be32(key, db);
    strata_put_be32(key + 4, mid);
    if ((rc = mdb_cursor_open(in->txn, in->st.dbi[TL_IPOSTINGS], &cur)))
        return tl_mdb_err(rc, err, "idx.postings");
    MDB_val k = {8, key}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
    if (rc == 0) rc = mdb_cursor_count(cur, &cnt);
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return tl_mdb_err(rc, err, "idx.postings");
    *n = cnt;
    return STRATA_OK;
}

static int load_catalog(inspect *in, strata_error *err)
{
    tl_dbent *ents;
    size_t n;
    int rc = tl_db_list(&in->st, in->txn, &ents, &n, err);
    if (rc != STRATA_OK) return rc;
    in->dbs = calloc(n ? n : 1, sizeof *in->dbs);
    if (in->dbs == NULL) {
        tl_dbents_free(ents, n);
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        in->dbs[i].ent = ents[i];
    free(ents); /* the names moved into dbs */
    in->ndbs = n;
    if ((rc = tl_rpcat_read(&in->st, in->txn, &in->rpcat, err)) != STRATA_OK) return rc;
    for (size_t i = 0; i < n; i++) {
        in_db *d = &in->dbs[i];
        d->internal = tl_ns_internal(d->ent.name, d->ent.len, &d->owner, &d->rp, &d->rplen);
        for (size_t c = 0; d->internal && c < in->rpcat.ndbs; c++) {
            const tl_rpdb *rd = &in->rpcat.dbs[c];
            for (size_t r = 0; rd->db == d->owner && r < rd->nrps; r++)
                if (!rd->rps[r].bad && rd->rps[r].ns == d->ent.id) d->referenced = 1;
        }
        d->t_min = INT64_MAX;
        d->t_max = INT64_MIN;
        d->part_min = UINT32_MAX;
        d->pts_min = d->col_min = UINT64_MAX;
        uint8_t ck[5];
        strata_put_be32(ck, d->ent.id);
        ck[4] = 'C';
        MDB_val k = {5, ck}, v;
        if (in->st.has[TL_IDB] && mdb_get(in->txn, in->st.dbi[TL_IDB], &k, &v) == 0 &&
            v.mv_size == 8)
            d->series = strata_get_le64(v.mv_data);
        grow_ctx g = {in, d, NULL, 0};
        if ((rc = tl_meas_list(&in->st, in->txn, d->ent.id, meas_cb, &g, err)) != STRATA_OK)
            goto fail;
        for (size_t m = 0; m < d->nmeas; m++) {
            in_meas *me = &d->meas[m];
            if (tl_map_put(&in->mmap, d->ent.id, me->mid, (uint32_t)m, NULL) < 0) goto nomem;
            grow_ctx gf = {in, d, me, 0};
            if ((rc = tl_field_list(&in->st, in->txn, d->ent.id, me->mid, field_cb, &gf, err)) !=
                STRATA_OK)
                goto fail;
            if (me->nfields > 1) qsort(me->fields, me->nfields, sizeof *me->fields, cmp_field_fid);
            grow_ctx gt = {in, d, me, 0};
            if ((rc = tl_tagk_list(&in->st, in->txn, d->ent.id, me->mid, tagk_cb, &gt, err)) !=
                STRATA_OK)
                goto fail;
            for (size_t t = 0; t < me->ntagks; t++)
                if ((rc = tl_tagv_count(&in->st, in->txn, d->ent.id, me->mid, me->tagks[t].tkid,
                                        &me->tagks[t].values, err)) != STRATA_OK)
                    goto fail;
            if ((rc = posting_count(in, d->ent.id, me->mid, &me->series, err)) != STRATA_OK)
                goto fail;
        }
    }
    return STRATA_OK;
nomem:
    rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
fail:
    if (rc == STRATA_ENOMEM && err && err->msg[0] == '\0')
        strata_error_set(err, STRATA_ENOMEM, "out of memory");
    return rc;
}

/* ------------------------------------------------------------- scan */

static in_db *db_by_id(inspect *in, uint32_t id, size_t *last)
{
    if (*last < in->ndbs && in->dbs[*last].ent.id == id) return &in->dbs[*last];
    for (size_t i = 0; i < in->ndbs; i++)
        if (in->dbs[i].ent.id == id) {
            *last = i;
            return &in->dbs[i];
        }
    return NULL;
}

static in_field *field_by_fid(in_meas *m, uint32_t fid, uint32_t *fi)
{
    size_t lo = 0, hi = m->nfields;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->fields[mid].fid < fid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->nfields && m->fields[lo].fid == fid) {
        *fi = (uint32_t)lo;
        return &m->fields[lo];
    }
    *fi = UINT32_MAX;
    return NULL;
}

static int series_get(inspect *in, size_t dbi, uint64_t id, uint32_t *out, strata_error *err)
{
    in_db *d = &in->dbs[dbi];
    uint32_t si = tl_map_get(&in->smap, d->ent.id, id);
    if (si != UINT32_MAX) {
        *out = si;
        return STRATA_OK;
    }
    if (in->nseries == in->cap_series) {
        size_t nc = in->cap_series ? in->cap_series * 2 : 1024;
        in_series *ns = realloc(in->series, nc * sizeof *ns);
        if (ns == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        in->series = ns;
        in->cap_series = nc;
    }
    in_series *s = &in->series[in->nseries];
    memset(s, 0, sizeof *s);
    s->dbi = (uint32_t)dbi;
    s->id = id;
    s->mi = UINT32_MAX;
    uint32_t mid;
    const char *key;
    size_t klen;
    strata_error e2;
    if (tl_series_get(&in->st, in->txn, d->ent.id, id, &mid, &key, &klen, &e2) == STRATA_OK)
        s->mi = tl_map_get(&in->mmap, d->ent.id, mid);
    if (tl_map_put(&in->smap, d->ent.id, id, (uint32_t)in->nseries, NULL) < 0)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    *out = (uint32_t)in->nseries++;
    return STRATA_OK;
}

static int col_get(inspect *in, uint32_t db, uint32_t si, uint32_t fid, uint32_t fi, in_col **out,
                   strata_error *err)
{
    uint64_t a = ((uint64_t)db << 32) | fid, b = in->series[si].id;
    uint32_t ci = tl_map_get(&in->cmap, a, b);
    if (ci == UINT32_MAX) {
        if (in->ncols == in->cap_cols) {
            size_t nc = in->cap_cols ? in->cap_cols * 2 : 1024;
            in_col *n = realloc(in->cols, nc * sizeof *n);
            if (n == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            in->cols = n;
            in->cap_cols = nc;
        }
        ci = (uint32_t)in->ncols++;
        in_col *c = &in->cols[ci];
        c->si = si;
        c->fid = fid;
        c->fi = fi;
        c->chunks = 0;
        if (tl_map_put(&in->cmap, a, b, ci, NULL) < 0)
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    }
    *out = &in->cols[ci];
    return STRATA_OK;
}

static int scan_chunks(inspect *in, strata_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    MDB_stat ms;
    tl_progress pr;
    uint64_t done = 0;
    size_t last_db = 0;
    uint32_t last_part_db = UINT32_MAX, last_part = UINT32_MAX;
    int rc;

    if (!in->st.has[TL_CHUNKS]) return STRATA_OK;
    mdb_stat(in->txn, in->st.dbi[TL_CHUNKS], &ms);
    if ((rc = mdb_cursor_open(in->txn, in->st.dbi[TL_CHUNKS], &cur)))
        return tl_mdb_err(rc, err, "chunks");
    tl_progress_init(&pr, "inspect");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        tl_progress_update(&pr, ++done, ms.ms_entries, "chunks");
        stg_chunk_info info;
        if (k.mv_size != TL_CKEY_LEN ||
            stg_chunk_info_peek(v.mv_data, v.mv_size, &info, NULL) != STRATA_OK) {
            in->bad_chunks++;
            continue;
        }
        const uint8_t *kp = k.mv_data;
        uint32_t dbid = strata_get_be32(kp), part = strata_get_be32(kp + 4);
        uint64_t sid = strata_get_be64(kp + 8);
        uint32_t fid = strata_get_be32(kp + 16);
        in_db *d = db_by_id(in, dbid, &last_db);
        if (d == NULL) {
            in->unknown_db_chunks++;
            continue;
        }
        d->chunks++;
        d->points += info.count;
        d->bytes += v.mv_size;
        if (info.t_first < d->t_min) d->t_min = info.t_first;
        if (info.t_last > d->t_max) d->t_max = info.t_last;
        if (dbid != last_part_db || part != last_part) {
            /* Chunks are sorted by db | partition: a new pair is a new partition. */
            d->nparts++;
            last_part_db = dbid;
            last_part = part;
        }
        if (part < d->part_min) d->part_min = part;
        if (part > d->part_max) d->part_max = part;
        if (info.ts_codec < 32) {
            d->ts_codec[info.ts_codec][0]++;
            d->ts_codec[info.ts_codec][1] += info.count;
        }
        if (info.type >= 1 && info.type <= 5 && info.val_codec < 32) {
            d->val_codec[info.type][info.val_codec][0]++;
            d->val_codec[info.type][info.val_codec][1] += info.count;
        }
        d->pts_hist[bucket(info.count)]++;
        if (info.count < d->pts_min) d->pts_min = info.count;
        if (info.count > d->pts_max) d->pts_max = info.count;

        uint32_t si = 0;
        if ((rc = series_get(in, (size_t)(d - in->dbs), sid, &si, err)) != STRATA_OK) goto out;
        in_series *s = &in->series[si];
        s->chunks++;
        s->points += info.count;
        s->bytes += v.mv_size;
        in_meas *m = s->mi == UINT32_MAX ? NULL : &d->meas[s->mi];
        uint32_t fi = UINT32_MAX;
        in_field *f = m ? field_by_fid(m, fid, &fi) : NULL;
        if (f == NULL) {
            d->orphan_chunks++;
            d->orphan_bytes += v.mv_size;
            continue;
        }
        m->chunks++;
        m->points += info.count;
        m->bytes += v.mv_size;
        f->chunks++;
        f->points += info.count;
        f->bytes += v.mv_size;
        in_col *c = NULL;
        if ((rc = col_get(in, dbid, si, fid, fi, &c, err)) != STRATA_OK) goto out;
        c->chunks++;
    }
    rc = rc == MDB_NOTFOUND ? STRATA_OK : tl_mdb_err(rc, err, "reading chunks");
out:
    tl_progress_end(&pr);
    mdb_cursor_close(cur);
    return rc;
}

static void tally(inspect *in)
{
    for (size_t i = 0; i < in->nseries; i++) {
        in_series *s = &in->series[i];
        in_db *d = &in->dbs[s->dbi];
        d->series_with_data++;
        if (s->mi != UINT32_MAX) d->meas[s->mi].series_with_data++;
    }
    for (size_t i = 0; i < in->ncols; i++) {
        in_col *c = &in->cols[i];
        in_series *s = &in->series[c->si];
        in_db *d = &in->dbs[s->dbi];
        d->columns++;
        d->col_hist[bucket(c->chunks)]++;
        if (c->chunks < d->col_min) d->col_min = c->chunks;
        if (c->chunks > d->col_max) d->col_max = c->chunks;
        if (s->mi != UINT32_MAX && c->fi != UINT32_MAX) d->meas[s->mi].fields[c->fi].columns++;
    }
}

/* ------------------------------------------------------------ output */

static double per_value(uint64_t bytes, uint64_t points)
{
    return points ? (double)bytes / (double)points : 0.0;
}

static int cmp_field_name(const void *a, const void *b)
{
    const in_field *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Indices of the db's top series by bytes. */
static size_t top_series(inspect *in, size_t dbi, uint32_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < in->nseries; i++) {
        in_series *s = &in->series[i];
        if (s->dbi != dbi) continue;
        /* Insertion into a small sorted array: max is small. */
        size_t pos = n;
        while (pos > 0 && in->series[out[pos - 1]].bytes < s->bytes)
            pos--;
        if (pos >= max) continue;
        size_t end = n < max ? n : max - 1;
        memmove(out + pos + 1, out + pos, (end - pos) * sizeof *out);
        out[pos] = (uint32_t)i;
        if (n < max) n++;
    }
    return n;
}

typedef struct tbl_stat {
    const char *name;
    MDB_stat st;
    int present, active_chunks, is_index, is_chunks;
} tbl_stat;

#define NTBL (TL_NDBI + 1)

/* The LMDB tables: meta, both chunk tables (one active), the index tables. */
static void tables_stat(inspect *in, tbl_stat *t)
{
    int n = 0;
    for (int i = 0; i < TL_NDBI; i++) {
        if (i == TL_CHUNKS) {
            for (int c = 0; c < 2; c++) {
                tbl_stat *x = &t[n++];
                memset(x, 0, sizeof *x);
                x->name = tl_chunk_table_names[c];
                x->is_chunks = 1;
                x->active_chunks = (unsigned)c == in->st.table && !in->st.table_bad;
                x->present =
                    in->st.has_table[c] && mdb_stat(in->txn, in->st.tables[c], &x->st) == 0;
            }
            continue;
        }
        tbl_stat *x = &t[n++];
        memset(x, 0, sizeof *x);
        x->name = tl_dbi_names[i];
        x->is_index = i >= TL_IDB;
        x->present = in->st.has[i] && mdb_stat(in->txn, in->st.dbi[i], &x->st) == 0;
    }
}

static uint64_t tbl_bytes(const MDB_stat *s)
{
    return (uint64_t)(s->ms_branch_pages + s->ms_leaf_pages + s->ms_overflow_pages) * s->ms_psize;
}

static uint64_t free_pages(inspect *in)
{
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t n = 0;
    if (mdb_cursor_open(in->txn, 0, &cur) != 0) return 0;
    while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
        if (v.mv_size >= sizeof(size_t)) n += *(const size_t *)v.mv_data;
    mdb_cursor_close(cur);
    return n;
}

static const char *const hist_unit = "chunks";

static void text_hist(FILE *o, const char *title, const uint64_t *h, uint64_t mn, uint64_t mx,
                      uint64_t total, uint64_t sum)
{
    if (total == 0) return;
    fprintf(o, "    %s: min %llu, mean %.1f, max %llu\n", title, (unsigned long long)mn,
            (double)sum / (double)total, (unsigned long long)mx);
    for (int b = 0; b < NBUCKETS; b++) {
        if (h[b] == 0) continue;
        uint64_t lo = b == 0 ? 1 : (uint64_t)1 << b, hi = ((uint64_t)1 << (b + 1)) - 1;
        char range[64];
        if (lo == hi || b == 0)
            snprintf(range, sizeof range, "%llu", (unsigned long long)lo);
        else
            snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)lo,
                     (unsigned long long)hi);
        fprintf(o, "      %-14s %12llu  %5.1f%%\n", range, (unsigned long long)h[b],
                100.0 * (double)h[b] / (double)total);
    }
}

static void json_hist(tl_json *j, const char *key, const uint64_t *h, uint64_t mn, uint64_t mx,
                      uint64_t total, uint64_t sum, const char *what)
{
    tl_json_obj(j, key);
    tl_json_u64(j, "min", total ? mn : 0);
    tl_json_u64(j, "max", total ? mx : 0);
    tl_json_f64(j, "mean", total ? (double)sum / (double)total : 0.0);
    tl_json_arr(j, "histogram");
    for (int b = 0; b < NBUCKETS; b++) {
        if (h[b] == 0) continue;
        tl_json_obj(j, NULL);
        tl_json_u64(j, "from", b == 0 ? 1 : (uint64_t)1 << b);
        tl_json_u64(j, "to", b == 0 ? 1 : ((uint64_t)1 << (b + 1)) - 1);
        tl_json_u64(j, what, h[b]);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_obj_end(j);
}

/* The figures of namespace dbs[di] (a database or a retention policy) as JSON keys. */
static void json_ns(inspect *in, tl_json *j, size_t di)
{
    in_db *d = &in->dbs[di];
    char t1[48], t2[48];
    tl_json_u64(j, "series", d->series);
    tl_json_u64(j, "series_with_chunks", d->series_with_data);
    tl_json_u64(j, "measurements", d->nmeas);
    tl_json_u64(j, "columns", d->columns);
    tl_json_u64(j, "chunks", d->chunks);
    tl_json_u64(j, "values", d->points);
    tl_json_u64(j, "chunk_bytes", d->bytes);
    tl_json_f64(j, "bytes_per_value", per_value(d->bytes, d->points));
    tl_json_u64(j, "orphan_chunks", d->orphan_chunks);
    tl_json_obj(j, "time");
    if (d->chunks) {
        tl_json_cstr(j, "first", tl_time_fmt(d->t_min, t1, sizeof t1));
        tl_json_cstr(j, "last", tl_time_fmt(d->t_max, t2, sizeof t2));
    }
    tl_json_obj_end(j);
    tl_json_obj(j, "partitions");
    tl_json_u64(j, "count", d->nparts);
    if (d->chunks) {
        tl_json_cstr(j, "first_start",
                     tl_time_fmt(tl_part_start(d->part_min, in->meta.partition_ns), t1, sizeof t1));
        tl_json_cstr(j, "last_start",
                     tl_time_fmt(tl_part_start(d->part_max, in->meta.partition_ns), t2, sizeof t2));
    }
    tl_json_obj_end(j);
    json_hist(j, "chunks_per_column", d->col_hist, d->col_min, d->col_max, d->columns,
              d->chunks - d->orphan_chunks, "columns");
    json_hist(j, "values_per_chunk", d->pts_hist, d->pts_min, d->pts_max, d->chunks, d->points,
              hist_unit);
    tl_json_obj(j, "codecs");
    tl_json_arr(j, "timestamps");
    for (int c = 0; c < 32; c++) {
        if (!d->ts_codec[c][0]) continue;
        tl_json_obj(j, NULL);
        tl_json_cstr(j, "codec", stg_codec_name((unsigned)c));
        tl_json_u64(j, "chunks", d->ts_codec[c][0]);
        tl_json_u64(j, "values", d->ts_codec[c][1]);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_arr(j, "values");
    for (int t = 1; t <= 5; t++)
        for (int c = 0; c < 32; c++) {
            if (!d->val_codec[t][c][0]) continue;
            tl_json_obj(j, NULL);
            tl_json_cstr(j, "type", stg_type_name((stg_type)t));
            tl_json_cstr(j, "codec", stg_codec_name((unsigned)c));
            tl_json_u64(j, "chunks", d->val_codec[t][c][0]);
            tl_json_u64(j, "values", d->val_codec[t][c][1]);
            tl_json_obj_end(j);
        }
    tl_json_arr_end(j);
    tl_json_obj_end(j);
    tl_json_arr(j, "measurements");
    for (size_t mi = 0; mi < d->nmeas; mi++) {
        in_meas *m = &d->meas[mi];
        tl_json_obj(j, NULL);
        tl_json_str(j, "name", m->name, m->len);
        tl_json_u64(j, "series", m->series);
        tl_json_u64(j, "series_with_chunks", m->series_with_data);
        tl_json_u64(j, "chunks", m->chunks);
        tl_json_u64(j, "values", m->points);
        tl_json_u64(j, "chunk_bytes", m->bytes);
        tl_json_f64(j, "bytes_per_value", per_value(m->bytes, m->points));
        tl_json_arr(j, "tag_keys");
        for (size_t t = 0; t < m->ntagks; t++) {
            tl_json_obj(j, NULL);
            tl_json_str(j, "key", m->tagks[t].name, m->tagks[t].len);
            tl_json_u64(j, "values", m->tagks[t].values);
            tl_json_obj_end(j);
        }
        tl_json_arr_end(j);
        tl_json_arr(j, "fields");
        for (size_t f = 0; f < m->nfields; f++) {
            in_field *fl = &m->fields[f];
            tl_json_obj(j, NULL);
            tl_json_str(j, "name", fl->name, fl->len);
            tl_json_cstr(j, "type", stg_type_name(fl->type));
            tl_json_u64(j, "columns", fl->columns);
            tl_json_u64(j, "chunks", fl->chunks);
            tl_json_u64(j, "values", fl->points);
            tl_json_u64(j, "chunk_bytes", fl->bytes);
            tl_json_f64(j, "bytes_per_value", per_value(fl->bytes, fl->points));
            tl_json_obj_end(j);
        }
        tl_json_arr_end(j);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_arr(j, "largest_series");
    if (in->top > 0) {
        uint32_t *top = malloc((size_t)in->top * sizeof *top);
        size_t nt = top ? top_series(in, di, top, (size_t)in->top) : 0;
        for (size_t t = 0; t < nt; t++) {
            in_series *s = &in->series[top[t]];
            uint32_t mid;
            const char *key = "";
            size_t klen = 0;
            tl_json_obj(j, NULL);
            if (tl_series_get(&in->st, in->txn, d->ent.id, s->id, &mid, &key, &klen, NULL) ==
                STRATA_OK)
                tl_json_str(j, "key", key, klen);
            else
                tl_json_cstr(j, "key", "");
            tl_json_u64(j, "id", s->id);
            tl_json_u64(j, "chunks", s->chunks);
            tl_json_u64(j, "values", s->points);
            tl_json_u64(j, "chunk_bytes", s->bytes);
            tl_json_obj_end(j);
        }
        free(top);
    }
    tl_json_arr_end(j);
}

/* The figures of namespace dbs[di] as text lines indented by two blanks. */
static void text_ns(inspect *in, FILE *o, size_t di)
{
    in_db *d = &in->dbs[di];
    char b1[32], t1[48], t2[48];
    fprintf(o, "  %llu series (%llu with chunks), %zu measurements, %llu columns\n",
            (unsigned long long)d->series, (unsigned long long)d->series_with_data, d->nmeas,
            (unsigned long long)d->columns);
    fprintf(o, "  %llu chunks, %llu values, %s, %.2f bytes/value\n", (unsigned long long)d->chunks,
            (unsigned long long)d->points, tl_bytes_fmt(d->bytes, b1, sizeof b1),
            per_value(d->bytes, d->points));
    if (d->chunks)
        fprintf(o, "  time %s .. %s in %llu partitions\n", tl_time_fmt(d->t_min, t1, sizeof t1),
                tl_time_fmt(d->t_max, t2, sizeof t2), (unsigned long long)d->nparts);
    if (d->orphan_chunks)
        fprintf(o, "  %llu chunks (%s) of unknown series or fields (run strata verify)\n",
                (unsigned long long)d->orphan_chunks, tl_bytes_fmt(d->orphan_bytes, b1, sizeof b1));
    text_hist(o, "chunks per column", d->col_hist, d->col_min, d->col_max, d->columns,
              d->chunks - d->orphan_chunks);
    text_hist(o, "values per chunk", d->pts_hist, d->pts_min, d->pts_max, d->chunks, d->points);
    if (d->chunks) {
        fprintf(o, "    codecs (chunks, share of values):\n");
        for (int c = 0; c < 32; c++)
            if (d->ts_codec[c][0])
                fprintf(o, "      %-9s %-12s %10llu  %5.1f%%\n", "time",
                        stg_codec_name((unsigned)c), (unsigned long long)d->ts_codec[c][0],
                        100.0 * (double)d->ts_codec[c][1] / (double)d->points);
        for (int t = 1; t <= 5; t++)
            for (int c = 0; c < 32; c++)
                if (d->val_codec[t][c][0])
                    fprintf(o, "      %-9s %-12s %10llu  %5.1f%%\n", stg_type_name((stg_type)t),
                            stg_codec_name((unsigned)c), (unsigned long long)d->val_codec[t][c][0],
                            100.0 * (double)d->val_codec[t][c][1] / (double)d->points);
    }
    for (size_t mi = 0; mi < d->nmeas; mi++) {
        in_meas *m = &d->meas[mi];
        fprintf(o,
                "  measurement %s: %llu series, %llu chunks, %llu values, %s, "
                "%.2f bytes/value\n",
                m->name, (unsigned long long)m->series, (unsigned long long)m->chunks,
                (unsigned long long)m->points, tl_bytes_fmt(m->bytes, b1, sizeof b1),
                per_value(m->bytes, m->points));
        if (m->ntagks) {
            fprintf(o, "    tag keys (distinct values):");
            for (size_t t = 0; t < m->ntagks; t++)
                fprintf(o, "%s %s %llu", t ? "," : "", m->tagks[t].name,
                        (unsigned long long)m->tagks[t].values);
            fputc('\n', o);
        }
        fprintf(o, "    %-24s %-9s %9s %10s %12s %10s %9s\n", "field", "type", "columns", "chunks",
                "values", "bytes", "B/value");
        for (size_t f = 0; f < m->nfields; f++) {
            in_field *fl = &m->fields[f];
            fprintf(o, "    %-24s %-9s %9llu %10llu %12llu %10s %9.2f\n", fl->name,
                    stg_type_name(fl->type), (unsigned long long)fl->columns,
                    (unsigned long long)fl->chunks, (unsigned long long)fl->points,
                    tl_bytes_fmt(fl->bytes, b1, sizeof b1), per_value(fl->bytes, fl->points));
        }
    }
    if (in->top > 0 && d->series_with_data) {
        uint32_t *top = malloc((size_t)in->top * sizeof *top);
        size_t nt = top ? top_series(in, di, top, (size_t)in->top) : 0;
        fprintf(o, "  largest series:\n");
        for (size_t t = 0; t < nt; t++) {
            in_series *s = &in->series[top[t]];
            uint32_t mid;
            const char *key = "?";
            size_t klen = 1;
            tl_series_get(&in->st, in->txn, d->ent.id, s->id, &mid, &key, &klen, NULL);
            fprintf(o, "    %10s %8llu chunks %12llu values  %.*s\n",
                    tl_bytes_fmt(s->bytes, b1, sizeof b1), (unsigned long long)s->chunks,
                    (unsigned long long)s->points, (int)klen, key);
        }
        free(top);
    }
}

/* Index into dbs of namespace id, or SIZE_MAX. */
static size_t ns_index(const inspect *in, uint32_t id)
{
    for (size_t i = 0; i < in->ndbs; i++)
        if (in->dbs[i].ent.id == id) return i;
    return SIZE_MAX;
}

/* The name of database dbs[di]'s default retention policy (may name a dropped one). */
static void default_rp(inspect *in, size_t di, const char **name, size_t *len)
{
    const tl_rpdb *rd = tl_rpcat_db(&in->rpcat, in->dbs[di].ent.id);
    if (rd && rd->has_default) {
        *name = rd->defname;
        *len = rd->deflen;
    } else {
        *name = "autogen";
        *len = 7;
    }
}

/* The retention policies of database dbs[di], each with the figures of its namespace. */
static void json_rps(inspect *in, tl_json *j, size_t di)
{
    const tl_rpent *v;
    size_t n;
    const char *dn;
    size_t dl;
    char b[48];
    uint64_t series = 0, chunks = 0, values = 0, bytes = 0;

    default_rp(in, di, &dn, &dl);
    tl_json_str(j, "default_retention_policy", dn, dl);
    tl_rpcat_effective(&in->rpcat, in->dbs[di].ent.id, &v, &n);
    for (size_t i = 0; i < n; i++) {
        size_t ni = v[i].bad ? SIZE_MAX : ns_index(in, v[i].ns);
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            dup |= !v[k].bad && v[k].ns == v[i].ns;
        if (ni == SIZE_MAX || dup) continue;
        series += in->dbs[ni].series;
        chunks += in->dbs[ni].chunks;
        values += in->dbs[ni].points;
        bytes += in->dbs[ni].bytes;
    }
    tl_json_obj(j, "all_retention_policies");
    tl_json_u64(j, "series", series);
    tl_json_u64(j, "chunks", chunks);
    tl_json_u64(j, "values", values);
    tl_json_u64(j, "chunk_bytes", bytes);
    tl_json_obj_end(j);
    tl_json_arr(j, "retention_policies");
    for (size_t i = 0; i < n; i++) {
        const tl_rpent *r = &v[i];
        tl_json_obj(j, NULL);
        tl_json_str(j, "name", r->name, r->len);
        if (r->bad) {
            tl_json_bool(j, "damaged", 1);
            tl_json_obj_end(j);
            continue;
        }
        tl_json_bool(j, "default", r->is_default);
        tl_json_cstr(j, "duration", tl_go_duration(r->duration_ns, b, sizeof b));
        tl_json_i64(j, "duration_ns", r->duration_ns);
        tl_json_cstr(j, "shard_duration", tl_go_duration(r->shard_ns, b, sizeof b));
        tl_json_i64(j, "shard_duration_ns", r->shard_ns);
        tl_json_u64(j, "replication", r->replication);
        tl_json_bool(j, "implicit", r->implicit);
        if (r->expired_before_ns != INT64_MIN)
            tl_json_cstr(j, "expired_before", tl_time_fmt(r->expired_before_ns, b, sizeof b));
        tl_json_u64(j, "namespace", r->ns);
        size_t ni = ns_index(in, r->ns);
        tl_json_bool(j, "namespace_exists", ni != SIZE_MAX);
        if (ni != SIZE_MAX) json_ns(in, j, ni);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
}

static void text_rps(inspect *in, FILE *o, size_t di)
{
    const tl_rpent *v;
    size_t n;
    const char *dn;
    size_t dl;
    char b1[48], b2[48], t1[48];

    default_rp(in, di, &dn, &dl);
    tl_rpcat_effective(&in->rpcat, in->dbs[di].ent.id, &v, &n);
    fprintf(o, "  default retention policy %.*s%s\n", (int)dl, dn,
            tl_rpcat_resolve(&in->rpcat, in->dbs[di].ent.id, NULL) ? "" : " (dropped)");
    fprintf(o, "  %-20s %-9s %12s %12s %11s %9s  %s\n", "retention policy", "default", "duration",
            "shard group", "replication", "namespace", "expired before");
    for (size_t i = 0; i < n; i++) {
        const tl_rpent *r = &v[i];
        if (r->bad) {
            fprintf(o, "  %-20s (damaged record: run strata verify)\n", r->name);
            continue;
        }
        fprintf(o, "  %-20s %-9s %12s %12s %11u %9u  %s\n", r->name, r->is_default ? "yes" : "",
                tl_go_duration(r->duration_ns, b1, sizeof b1),
                tl_go_duration(r->shard_ns, b2, sizeof b2), r->replication, r->ns,
                r->expired_before_ns == INT64_MIN
                    ? "-"
                    : tl_time_fmt(r->expired_before_ns, t1, sizeof t1));
    }
    for (size_t i = 0; i < n; i++) {
        const tl_rpent *r = &v[i];
        if (r->bad) continue;
        size_t ni = ns_index(in, r->ns);
        fprintf(o, "\n  retention policy %s (namespace %u)%s\n", r->name, r->ns,
                ni == SIZE_MAX ? ": the namespace does not exist (run strata verify)" : "");
        if (ni != SIZE_MAX) text_ns(in, o, ni);
    }
}

static void report(inspect *in, int json, int in_use, const tl_walinfo *w, FILE *o)
{
    MDB_envinfo ei;
    MDB_stat est, fst, mst;
    struct stat fs;
    char path[4200], b1[32], b2[32], t1[48];
    tbl_stat tbl[NTBL];
    uint64_t idx_bytes = 0, chunk_bytes = 0;

    mdb_env_info(in->st.env, &ei);
    mdb_env_stat(in->st.env, &est);
    mdb_stat(in->txn, 0, &fst);
    mdb_stat(in->txn, 1, &mst);
    snprintf(path, sizeof path, "%s/strata.mdb/data.mdb", in->st.dir);
    uint64_t file_bytes = stat(path, &fs) == 0 ? (uint64_t)fs.st_size : 0;
    uint64_t used = (uint64_t)(ei.me_last_pgno + 1) * est.ms_psize;
    uint64_t nfree = free_pages(in);
    tables_stat(in, tbl);
    for (int i = 0; i < NTBL; i++) {
        if (!tbl[i].present) continue;
        if (tbl[i].is_index)
            idx_bytes += tbl_bytes(&tbl[i].st);
        else if (tbl[i].is_chunks)
            chunk_bytes += tbl_bytes(&tbl[i].st);
    }

    if (json) {
        tl_json j;
        tl_json_init(&j, o);
        tl_json_obj(&j, NULL);
        tl_json_cstr(&j, "data_dir", in->st.dir);
        tl_json_bool(&j, "in_use", in_use == 1);
        tl_json_obj(&j, "format");
        tl_json_u64(&j, "engine", in->meta.format);
        tl_json_u64(&j, "partition_ns", in->meta.partition_ns);
        tl_json_u64(&j, "checkpoint_lsn", in->meta.ckpt_lsn);
        tl_json_u64(&j, "next_seq", in->meta.seq);
        tl_json_cstr(&j, "chunk_table", tl_chunk_table_names[in->st.table]);
        tl_json_obj_end(&j);
        tl_json_obj(&j, "lmdb");
        tl_json_u64(&j, "file_bytes", file_bytes);
        tl_json_u64(&j, "used_bytes", used);
        tl_json_u64(&j, "map_bytes", ei.me_mapsize);
        tl_json_u64(&j, "page_bytes", est.ms_psize);
        tl_json_u64(&j, "free_pages", nfree);
        tl_json_u64(&j, "readers", ei.me_numreaders);
        tl_json_u64(&j, "index_bytes", idx_bytes);
        tl_json_u64(&j, "chunk_table_bytes", chunk_bytes);
        tl_json_arr(&j, "tables");
        for (int i = 0; i < NTBL; i++) {
            if (!tbl[i].present) continue;
            tl_json_obj(&j, NULL);
            tl_json_cstr(&j, "name", tbl[i].name);
            if (tbl[i].is_chunks) tl_json_bool(&j, "active", tbl[i].active_chunks);
            tl_json_u64(&j, "entries", tbl[i].st.ms_entries);
            tl_json_u64(&j, "depth", tbl[i].st.ms_depth);
            tl_json_u64(&j, "branch_pages", tbl[i].st.ms_branch_pages);
            tl_json_u64(&j, "leaf_pages", tbl[i].st.ms_leaf_pages);
            tl_json_u64(&j, "overflow_pages", tbl[i].st.ms_overflow_pages);
            tl_json_u64(&j, "bytes", tbl_bytes(&tbl[i].st));
            tl_json_obj_end(&j);
        }
        tl_json_arr_end(&j);
        tl_json_obj_end(&j);
        tl_json_obj(&j, "wal");
        tl_json_u64(&j, "segments", w->nsegs);
        tl_json_u64(&j, "bytes", w->bytes);
        tl_json_u64(&j, "allocated_bytes", w->alloc_bytes);
        tl_json_u64(&j, "first_lsn", w->nsegs ? w->segs[0].first_lsn : 0);
        tl_json_u64(&j, "newest_segment_lsn", w->nsegs ? w->segs[w->nsegs - 1].first_lsn : 0);
        tl_json_u64(&j, "corrupt_files", w->ncorrupt);
        tl_json_obj_end(&j);
        tl_json_u64(&j, "unreadable_chunks", in->bad_chunks);
        tl_json_u64(&j, "chunks_of_unknown_databases", in->unknown_db_chunks);
        tl_json_arr(&j, "databases");
        for (size_t di = 0; di < in->ndbs; di++) {
            in_db *d = &in->dbs[di];
            if (d->internal) continue;
            tl_json_obj(&j, NULL);
            tl_json_str(&j, "name", d->ent.name, d->ent.len);
            tl_json_u64(&j, "id", d->ent.id);
            json_ns(in, &j, di);
            json_rps(in, &j, di);
            tl_json_obj_end(&j);
        }
        tl_json_arr_end(&j);
        tl_json_arr(&j, "unreferenced_namespaces");
        for (size_t di = 0; di < in->ndbs; di++) {
            in_db *d = &in->dbs[di];
            if (!d->internal || d->referenced) continue;
            tl_json_obj(&j, NULL);
            tl_json_str(&j, "name", d->ent.name, d->ent.len);
            tl_json_u64(&j, "id", d->ent.id);
            tl_json_u64(&j, "database_id", d->owner);
            tl_json_str(&j, "retention_policy", d->rp, d->rplen);
            json_ns(in, &j, di);
            tl_json_obj_end(&j);
        }
        tl_json_arr_end(&j);
        tl_json_obj_end(&j);
        tl_json_end(&j);
        return;
    }

    fprintf(o, "data directory  %s%s\n", in->st.dir,
            in_use == 1 ? "  (in use by a running server: figures as of its last checkpoint)" : "");
    fprintf(o, "format          engine %llu, partitions of %.6g days (%llu ns)\n",
            (unsigned long long)in->meta.format, (double)in->meta.partition_ns / 86400e9,
            (unsigned long long)in->meta.partition_ns);
    fprintf(o, "checkpoint      WAL position %llu, next chunk sequence number %llu\n",
            (unsigned long long)in->meta.ckpt_lsn, (unsigned long long)in->meta.seq);
    fprintf(o,
            "LMDB            file %s, used %s, map %s, page %u bytes, %llu free pages, "
            "%u readers\n",
            tl_bytes_fmt(file_bytes, b1, sizeof b1), tl_bytes_fmt(used, b2, sizeof b2),
            tl_bytes_fmt(ei.me_mapsize, t1, sizeof t1), est.ms_psize, (unsigned long long)nfree,
            ei.me_numreaders);
    fprintf(o, "                index %s, chunk table %s\n", tl_bytes_fmt(idx_bytes, b1, sizeof b1),
            tl_bytes_fmt(chunk_bytes, b2, sizeof b2));
    fprintf(o, "  %-14s %12s %5s %9s %11s %9s %12s\n", "table", "entries", "depth", "branch",
            "leaf", "overflow", "bytes");
    for (int i = 0; i < NTBL; i++) {
        if (!tbl[i].present) {
            fprintf(o, "  %-14s missing\n", tbl[i].name);
            continue;
        }
        fprintf(o, "  %-14s %12llu %5u %9llu %11llu %9llu %12s%s\n", tbl[i].name,
                (unsigned long long)tbl[i].st.ms_entries, tbl[i].st.ms_depth,
                (unsigned long long)tbl[i].st.ms_branch_pages,
                (unsigned long long)tbl[i].st.ms_leaf_pages,
                (unsigned long long)tbl[i].st.ms_overflow_pages,
                tl_bytes_fmt(tbl_bytes(&tbl[i].st), b1, sizeof b1),
                tbl[i].active_chunks ? "  (active)" : "");
    }
    if (w->nsegs)
        fprintf(o, "WAL             %zu segments, %s (%s allocated), LSNs from %llu%s\n", w->nsegs,
                tl_bytes_fmt(w->bytes, b1, sizeof b1), tl_bytes_fmt(w->alloc_bytes, b2, sizeof b2),
                (unsigned long long)w->segs[0].first_lsn,
                w->ncorrupt ? "; files set aside as *.corrupt are present" : "");
    else
        fprintf(o, "WAL             %s\n", w->dir_exists ? "no segments" : "no wal directory");
    if (in->bad_chunks || in->unknown_db_chunks)
        fprintf(o,
                "warning         %llu chunks unreadable, %llu of unknown databases "
                "(run strata verify)\n",
                (unsigned long long)in->bad_chunks, (unsigned long long)in->unknown_db_chunks);

    for (size_t di = 0; di < in->ndbs; di++) {
        in_db *d = &in->dbs[di];
        if (d->internal) continue;
        fprintf(o, "\ndatabase %s (id %u)\n", d->ent.name, d->ent.id);
        text_rps(in, o, di);
    }
    for (size_t di = 0; di < in->ndbs; di++) {
        in_db *d = &in->dbs[di];
        if (!d->internal || d->referenced) continue;
        fprintf(o,
                "\nnamespace id %u: left over from retention policy \"%.*s\" of database id %u, "
                "which no retention policy record names (run strata verify)\n",
                d->ent.id, (int)d->rplen, d->rp, d->owner);
        text_ns(in, o, di);
    }
}

static void inspect_fini(inspect *in)
{
    for (size_t i = 0; i < in->ndbs; i++) {
        in_db *d = &in->dbs[i];
        for (size_t m = 0; m < d->nmeas; m++) {
            in_meas *me = &d->meas[m];
            for (size_t f = 0; f < me->nfields; f++)
                free(me->fields[f].name);
            for (size_t t = 0; t < me->ntagks; t++)
                free(me->tagks[t].name);
            free(me->fields);
            free(me->tagks);
            free(me->name);
        }
        free(d->meas);
        free(d->ent.name);
    }
    free(in->dbs);
    free(in->series);
    free(in->cols);
    tl_map_fini(&in->smap);
    tl_map_fini(&in->cmap);
    tl_map_fini(&in->mmap);
    tl_meta_fini(&in->meta);
    tl_rpcat_fini(&in->rpcat);
    if (in->txn) mdb_txn_abort(in->txn);
    tl_store_close(&in->st);
}

int tl_cmd_inspect(int argc, char **argv)
{
    tl_args a;
    strata_error err;
    inspect in;
    tl_walinfo w;
    int status = TL_EXIT_FAIL;

    strata_error_clear(&err);
    if (tl_args_parse(&tl_inspect_cmd, argc, argv, &a, &err) != STRATA_OK)
        return tl_usage_error(&tl_inspect_cmd, err.msg);
    if (a.help) {
        tl_usage(stdout, &tl_inspect_cmd);
        return TL_EXIT_OK;
    }
    const char *dir = tl_arg(&tl_inspect_cmd, &a, "data-dir");
    if (dir == NULL) return tl_usage_error(&tl_inspect_cmd, "--data-dir is required");
    int top = 10;
    const char *ts = tl_arg(&tl_inspect_cmd, &a, "top");
    if (ts) {
        char *end;
        long v = strtol(ts, &end, 10);
        if (*ts == '\0' || *end != '\0' || v < 0 || v > 100000)
            return tl_usage_error(&tl_inspect_cmd, "--top needs a number from 0 to 100000");
        top = (int)v;
    }
    tl_guard_signals("inspect");
    memset(&in, 0, sizeof in);
    memset(&w, 0, sizeof w);
    in.top = top;
    if (tl_map_init(&in.smap) || tl_map_init(&in.cmap) || tl_map_init(&in.mmap)) {
        strata_error_set(&err, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    if (tl_store_open(&in.st, dir, &err) != STRATA_OK) goto done;
    if (tl_store_read(&in.st, &in.txn, &err) != STRATA_OK) goto done;
    if (tl_meta_read(&in.st, in.txn, &in.meta, &err) != STRATA_OK) goto done;
    if (!in.meta.has_format || in.meta.format != TL_ENGINE_FORMAT || !in.meta.has_part ||
        in.meta.partition_ns == 0) {
        strata_error_set(&err, STRATA_EVERSION,
                         "%s: meta has no readable format %u record or partition length; run "
                         "strata verify",
                         dir, TL_ENGINE_FORMAT);
        goto done;
    }
    if (load_catalog(&in, &err) != STRATA_OK) goto done;
    if (scan_chunks(&in, &err) != STRATA_OK) goto done;
    tally(&in);
    for (size_t i = 0; i < in.ndbs; i++)
        for (size_t m = 0; m < in.dbs[i].nmeas; m++) {
            in_meas *me = &in.dbs[i].meas[m];
            if (me->nfields > 1) qsort(me->fields, me->nfields, sizeof *me->fields, cmp_field_name);
        }
    if (tl_wal_list(dir, &w, &err) != STRATA_OK) goto done;
    report(&in, tl_arg_set(&tl_inspect_cmd, &a, "json"), tl_dir_in_use(dir), &w, stdout);
    if (fflush(stdout) != 0) {
        strata_error_set(&err, STRATA_EIO, "writing the report failed");
        goto done;
    }
    status = TL_EXIT_OK;
done:
    if (status != TL_EXIT_OK) fprintf(stderr, "strata inspect: %s\n", err.msg);
    tl_walinfo_fini(&w);
    inspect_fini(&in);
    return status;
}
