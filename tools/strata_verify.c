/*
 * tools/strata_verify.c: `strata verify`, a full consistency check of a data
 * directory against storage/FORMAT.md, reporting every problem precisely
 * (database, series key, field, time range) and exiting 1 if there is one.
 *
 * It reads LMDB only, read-only, in one snapshot (strata_store.c), in
 * passes:
 *   1. meta: the four keys, their sizes, the format version, the partition
 *      length; the index version record and every sub-database;
 *   2. catalog: database name/id records both ways, measurement records both
 *      ways, field records (ids, types), tag keys; retention policies: each
 *      RP record decodes and names a namespace that exists and belongs to its
 *      database, no two share one, and every internal namespace
 *      ("\x01<db id>\x01<rp>", storage/retention.c) is named by a record;
 *   3. series: every record parses as a canonical key of its measurement,
 *      sits in its measurement posting and in one tag posting per tag, has
 *      its idx.sovf entry when displaced, and the per-database counter
 *      matches;
 *   4. postings: no posting names a missing series or one of another
 *      measurement;
 *   5. chunks: checksum and full decode of every chunk, key against header
 *      (first timestamp, partition), sequence number below meta's, series
 *      and field known with the chunk's type;
 *   6. partitions: every partition holding chunks is listed in meta;
 *   7. WAL (only when no server holds it): segment headers, and that the log
 *      reaches back to the checkpoint position.
 * Internal namespaces are checked like databases; findings in one name the
 * database and the retention policy, not the internal name.
 * Nothing read from the file is trusted: sizes are checked before fields
 * are read, and LMDB faults on a damaged file end the run with a message
 * (tl_guard_signals) rather than a crash report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/bytes.h"
#include "storage/serieskey.h"
#include "tools/strata_int.h"

static const tl_flag verify_flags[] = {
    {"data-dir", "DIR", "the data directory (required); a running server's directory is fine"},
    {"json", NULL, "write the findings and the summary as one JSON document on stdout"},
    {"max-problems", "N", "print at most N findings in full (default 1000); all are counted"},
};

const tl_cmd tl_verify_cmd = {
    .name = "verify",
    .synopsis = "--data-dir DIR [--json] [--max-problems N]",
    .summary = "check every chunk, index record and meta key; exit 1 on any problem",
    .about =
        "Checks a data directory against its on-disk format: the meta keys and format\n"
        "versions; every chunk's checksum and full decode; that each chunk key agrees with the\n"
        "chunk header (first timestamp, time partition) and names a series and field that exist\n"
        "with the chunk's type; that every series record is a canonical series key of its\n"
        "measurement with all its postings (measurement and each tag) and no posting names a\n"
        "missing series; that the partitions listed in meta are those that hold chunks; and,\n"
        "when no server holds the directory, the WAL segment headers.\n"
        "\n"
        "Each problem is one line naming the database, the series key, the field and the time\n"
        "range (RFC3339) concerned. Warnings (such as a listed partition without chunks) do not\n"
        "change the exit status.\n"
        "\n"
        "Retention policies: a policy record that is damaged, names a namespace that does not\n"
        "exist or belongs to another database, or shares its namespace with another policy, is\n"
        "a problem (its points cannot be written or read as intended); so are policy records of\n"
        "a database without its default-policy record (the engine ignores them). The namespace\n"
        "of a policy that no record names (left by an interrupted DROP RETENTION POLICY or DROP\n"
        "DATABASE: unreachable data that a new policy of the same name would take over) and\n"
        "policy records of a database that does not exist are warnings.\n"
        "\n"
        "Only LMDB is read, read-only, in one snapshot: verify works on\n"
        "the directory of a running server without disturbing it (its read transaction keeps\n"
        "old pages from being reused while it runs, so the file may grow meanwhile).",
    .flags = verify_flags,
    .nflags = 3,
    .min_pos = 0,
    .max_pos = 0,
    .exits = "  0  no problem found\n"
             "  1  problems found, or the directory could not be read\n"
             "  2  bad command line",
    .examples = "  strata verify --data-dir /var/lib/strata\n"
                "  strata verify --data-dir /var/lib/strata --json > verify.json",
};

/* ------------------------------------------------------------- state */

typedef struct vf_field {
    uint32_t fid;
    stg_type type;
    char *name;
} vf_field;

typedef struct vf_meas {
    uint32_t db, mid, next_tkid, next_fid;
    char *name;
    size_t len;
    vf_field *fields; /* sorted by fid */
    size_t nfields, cap;
    int has_posting;
} vf_meas;

typedef struct vf {
    tl_store st;
    MDB_txn *txn;
    tl_meta meta;
    const tl_verify_opts *o;
    FILE *out;
    tl_json j;
    uint64_t problems, warnings, printed, max_print;

    tl_dbent *dbs;
    size_t ndbs;
    vf_meas *ms;
    size_t nms, cap_ms;
    tl_map meas;   /* (db, mid) -> index into ms */
    tl_map series; /* (db, id) -> index into ms */
    tl_map parts;  /* (db, part) -> 1: partitions holding chunks */

    uint64_t n_series, n_postings, n_chunks, n_values, n_tables;
    uint64_t n_rps, n_internal; /* RP records of existing databases; internal namespaces */

    /* scratch */
    char *kbuf;
    size_t kbuf_cap;
    stg_tag *tags;
    size_t tags_cap;
    int64_t *ts;
    uint64_t *vals;
    uint8_t *str;
    size_t str_cap;
    uint8_t *pbuf; /* posting keys */
    size_t pbuf_cap;
} vf;

/* ---------------------------------------------------------- findings */

typedef struct vf_where {
    const char *db;   /* database (or internal namespace) name or NULL */
    const char *rp;   /* retention policy name or NULL */
    const char *meas; /* measurement name or NULL (when no series is named) */
    size_t meas_len;
    const char *series; /* series key or NULL */
    size_t series_len;
    const char *field; /* field name or NULL */
    stg_type type;     /* 0: none */
    int has_time;
    int64_t t0, t1;
} vf_where;

static void finding(vf *v, int is_problem, const char *kind, const vf_where *w, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
static const char *db_name(vf *v, uint32_t id, char *buf, size_t cap);

static void finding(vf *v, int is_problem, const char *kind, const vf_where *w, const char *fmt,
                    ...)
{
    char msg[1024], t0[48], t1[48];
    va_list ap;
    if (is_problem)
        v->problems++;
    else
        v->warnings++;
    if (v->printed >= v->max_print) return;
    v->printed++;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w && w->has_time) {
        tl_time_fmt(w->t0, t0, sizeof t0);
        tl_time_fmt(w->t1, t1, sizeof t1);
    }
    /* An internal namespace is named by its database and retention policy. */
    const char *dbn = w ? w->db : NULL, *rp = w ? w->rp : NULL;
    size_t rplen = rp ? strlen(rp) : 0;
    char ob[32];
    uint32_t owner;
    if (dbn && tl_ns_internal(dbn, strlen(dbn), &owner, &rp, &rplen))
        dbn = db_name(v, owner, ob, sizeof ob);
    if (v->o->json) {
        tl_json *j = &v->j;
        tl_json_obj(j, NULL);
        tl_json_cstr(j, "severity", is_problem ? "problem" : "warning");
        tl_json_cstr(j, "kind", kind);
        if (dbn) tl_json_cstr(j, "database", dbn);
        if (rp) tl_json_str(j, "retention_policy", rp, rplen);
        if (w && w->meas) tl_json_str(j, "measurement", w->meas, w->meas_len);
        if (w && w->series) tl_json_str(j, "series", w->series, w->series_len);
        if (w && w->field) tl_json_cstr(j, "field", w->field);
        if (w && w->type) tl_json_cstr(j, "type", stg_type_name(w->type));
        if (w && w->has_time) {
            tl_json_cstr(j, "start", t0);
            tl_json_cstr(j, "end", t1);
        }
        tl_json_cstr(j, "message", msg);
        tl_json_obj_end(j);
        return;
    }
    fprintf(v->out, "%s [%s]:", is_problem ? "problem" : "warning", kind);
    if (dbn) fprintf(v->out, " database \"%s\",", dbn);
    if (rp) fprintf(v->out, " retention policy \"%.*s\",", (int)rplen, rp);
    if (w && w->meas) fprintf(v->out, " measurement %.*s,", (int)w->meas_len, w->meas);
    if (w && w->series) fprintf(v->out, " series %.*s,", (int)w->series_len, w->series);
    if (w && w->field) {
        fprintf(v->out, " field %s", w->field);
        if (w->type) fprintf(v->out, " (%s)", stg_type_name(w->type));
        fputc(',', v->out);
    }
    if (w && w->has_time) fprintf(v->out, " %s .. %s,", t0, t1);
    fprintf(v->out, " %s\n", msg);
}

static const char *db_name(vf *v, uint32_t id, char *buf, size_t cap)
{
    for (size_t i = 0; i < v->ndbs; i++)
        if (v->dbs[i].id == id) return v->dbs[i].name;
    snprintf(buf, cap, "id %u (unknown)", id);
    return buf;
}

static int db_known(vf *v, uint32_t id)
{
    for (size_t i = 0; i < v->ndbs; i++)
        if (v->dbs[i].id == id) return 1;
    return 0;
}

static vf_field *field_find(vf_meas *m, uint32_t fid)
{
    size_t lo = 0, hi = m->nfields;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->fields[mid].fid < fid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->nfields && m->fields[lo].fid == fid ? &m->fields[lo] : NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    void *np = realloc(*p, n * elem);
    if (np == NULL) return STRATA_ENOMEM;
    *p = np;
    *cap = n;
    return STRATA_OK;
}

/* ---------------------------------------------------------- 1. meta */

static void check_meta(vf *v)
{
    static const char *const kind = "meta";
    tl_meta *m = &v->meta;
    for (int i = 0; i < TL_NDBI; i++)
        if (!v->st.has[i] && i != TL_CHUNKS)
            finding(v, 1, kind, NULL, "the LMDB sub-database %s is missing", tl_dbi_names[i]);
    if (v->st.table_bad)
        finding(v, 1, kind, NULL, "meta key \"chunks_table\" is neither 0 nor 1");
    else if (!v->st.has_table[v->st.table])
        finding(v, 1, kind, NULL, "the chunk table %s that meta names is missing",
                tl_chunk_table_names[v->st.table]);
    unsigned other = 1 - v->st.table;
    MDB_stat os;
    if (!v->st.table_bad && v->st.has_table[other] &&
        mdb_stat(v->txn, v->st.tables[other], &os) == 0 && os.ms_entries > 0)
        finding(v, 0, kind, NULL,
                "the inactive chunk table %s holds %llu entries; the engine ignores them",
                tl_chunk_table_names[other], (unsigned long long)os.ms_entries);
    if (!v->st.has[TL_META]) return;
    if (!m->has_format)
        finding(v, 1, kind, NULL, "meta key \"format\" is missing");
    else if (m->format != TL_ENGINE_FORMAT)
        finding(v, 1, kind, NULL, "format version %llu, this build reads version %u",
                (unsigned long long)m->format, TL_ENGINE_FORMAT);
    if (!m->has_seq) finding(v, 1, kind, NULL, "meta key \"seq\" is missing");
    if (!m->has_ckpt) finding(v, 1, kind, NULL, "meta key \"ckpt_lsn\" is missing");
    if (!m->has_part)
        finding(v, 1, kind, NULL, "meta key \"partition_ns\" is missing");
    else if (m->partition_ns == 0 || m->partition_ns > (uint64_t)INT64_MAX)
        finding(v, 1, kind, NULL, "partition length %llu ns is invalid",
                (unsigned long long)m->partition_ns);
    if (m->bad_sizes) finding(v, 1, kind, NULL, "a meta value does not have 8 bytes");
    if (m->unknown_keys)
        finding(v, 1, kind, NULL, "%llu meta keys this build does not know",
                (unsigned long long)m->unknown_keys);

    if (v->st.has[TL_IDB]) {
        uint8_t vk[5] = {0, 0, 0, 0, 'V'};
        MDB_val k = {5, vk}, d;
        int rc = mdb_get(v->txn, v->st.dbi[TL_IDB], &k, &d);
        if (rc != 0)
            finding(v, 1, "index", NULL, "the index version record (idx.db V) is missing");
        else if (d.mv_size != 8)
            finding(v, 1, "index", NULL, "the index version record has %zu bytes, not 8",
                    d.mv_size);
        else if (strata_get_le32(d.mv_data) != TL_INDEX_FORMAT ||
                 strata_get_le32((const uint8_t *)d.mv_data + 4) != TL_INDEX_HASH_XXH64)
            finding(v, 1, "index", NULL,
                    "index format %u with hash %u; this build reads format %u with hash %u",
                    strata_get_le32(d.mv_data), strata_get_le32((const uint8_t *)d.mv_data + 4),
                    TL_INDEX_FORMAT, TL_INDEX_HASH_XXH64);
    }
}

/* -------------------------------------------------------- 2. catalog */

static int meas_cb(void *c, const char *name, size_t len, uint32_t mid)
{
    vf *v = ((void **)c)[0];
    uint32_t db = *(uint32_t *)((void **)c)[1];
    if (grow((void **)&v->ms, &v->cap_ms, v->nms + 1, sizeof *v->ms) != STRATA_OK)
        return STRATA_ENOMEM;
    vf_meas *m = &v->ms[v->nms];
    memset(m, 0, sizeof *m);
    m->db = db;
    m->mid = mid;
    m->name = malloc(len + 1);
    if (m->name == NULL) return STRATA_ENOMEM;
    memcpy(m->name, name, len);
    m->name[len] = '\0';
    m->len = len;
    int r = tl_map_put(&v->meas, db, mid, (uint32_t)v->nms, NULL);
    if (r < 0) return r;
    v->nms++;
    if (r == 0) {
        vf_where w = {.db = db_name(v, db, (char[32]){0}, 32)};
        finding(v, 1, "measurement", &w, "two measurement names have id %u (second: \"%s\")", mid,
                m->name);
    }
    return 0;
}

static int field_cb(void *c, const char *name, size_t len, uint32_t fid, stg_type t)
{
    vf *v = ((void **)c)[0];
    vf_meas *m = ((void **)c)[1];
    if (grow((void **)&m->fields, &m->cap, m->nfields + 1, sizeof *m->fields) != STRATA_OK)
        return STRATA_ENOMEM;
    vf_field *f = &m->fields[m->nfields];
    f->fid = fid;
    f->type = t;
    f->name = malloc(len + 1);
    if (f->name == NULL) return STRATA_ENOMEM;
    memcpy(f->name, name, len);
    f->name[len] = '\0';
    m->nfields++;
    char dbb[32];
    vf_where w = {.db = db_name(v, m->db, dbb, sizeof dbb),
                  .meas = m->name,
                  .meas_len = m->len,
                  .field = f->name};
    if (t < STG_FLOAT || t > STG_STRING)
        finding(v, 1, "field", &w, "unknown field type %d", (int)t);
    if (fid == 0 || (m->next_fid != 0 && fid >= m->next_fid))
        finding(v, 1, "field", &w, "field id %u is not below the measurement's next id %u", fid,
                m->next_fid);
    return 0;
}

static int cmp_vfield(const void *a, const void *b)
{
    const vf_field *x = a, *y = b;
    return (x->fid > y->fid) - (x->fid < y->fid);
}

typedef struct tagk_ctx {
    vf *v;
    vf_meas *m;
} tagk_ctx;

static int tagk_cb(void *c, const char *name, size_t len, uint32_t tkid)
{
    tagk_ctx *t = c;
    if (tkid == 0 || (t->m->next_tkid != 0 && tkid >= t->m->next_tkid)) {
        char dbb[32];
        vf_where w = {.db = db_name(t->v, t->m->db, dbb, sizeof dbb),
                      .meas = t->m->name,
                      .meas_len = t->m->len};
        finding(t->v, 1, "tag-key", &w, "tag key \"%.*s\" has id %u, not below the next id %u",
                (int)len, name, tkid, t->m->next_tkid);
    }
    return 0;
}

static int check_catalog(vf *v, strata_error *err)
{
    int rc;
    if ((rc = tl_db_list(&v->st, v->txn, &v->dbs, &v->ndbs, err)) != STRATA_OK) return rc;
    uint32_t max_id = 0;
    for (size_t i = 0; i < v->ndbs; i++) {
        tl_dbent *d = &v->dbs[i];
        vf_where w = {.db = d->name};
        if (d->id > max_id) max_id = d->id;
        for (size_t k = 0; k < i; k++)
            if (v->dbs[k].id == d->id)
                finding(v, 1, "database", &w, "database \"%s\" has the same id %u", v->dbs[k].name,
                        d->id);
        if (d->id == 0) finding(v, 1, "database", &w, "database id 0 is reserved");
        uint8_t rk[5];
        strata_put_be32(rk, d->id);
        rk[4] = 'R';
        MDB_val k = {5, rk}, val;
        rc = mdb_get(v->txn, v->st.dbi[TL_IDB], &k, &val);
        if (rc == MDB_NOTFOUND)
            finding(v, 1, "database", &w, "the id -> name record of database id %u is missing",
                    d->id);
        else if (rc)
            return tl_mdb_err(rc, err, "idx.db");
        else if ((val.mv_size != d->len || memcmp(val.mv_data, d->name, d->len) != 0) &&
                 !(d->len > TL_NK_SHORT_MAX && val.mv_size == TL_NK_LONG_LEN &&
                   memcmp(val.mv_data, d->name, TL_NK_SHORT_MAX) == 0))
            finding(v, 1, "database", &w, "the id -> name record of database id %u names \"%.*s\"",
                    d->id, (int)(val.mv_size > 100 ? 100 : val.mv_size), (const char *)val.mv_data);
    }
    if (v->st.has[TL_IDB]) {
        uint8_t xk[5] = {0, 0, 0, 0, 'X'};
        MDB_val k = {5, xk}, val;
        if (mdb_get(v->txn, v->st.dbi[TL_IDB], &k, &val) == 0) {
            if (val.mv_size != 4)
                finding(v, 1, "database", NULL, "the next database id record has %zu bytes",
                        val.mv_size);
            else if (strata_get_le32(val.mv_data) != 0 && strata_get_le32(val.mv_data) <= max_id)
                finding(v, 1, "database", NULL,
                        "the next database id %u is not above the largest id %u",
                        strata_get_le32(val.mv_data), max_id);
        } else if (v->ndbs > 0) {
            finding(v, 1, "database", NULL, "the next database id record (idx.db X) is missing");
        }
    }

    for (size_t i = 0; i < v->ndbs; i++) {
        uint32_t db = v->dbs[i].id;
        size_t first = v->nms;
        void *ctx[2] = {v, &db};
        if ((rc = tl_meas_list(&v->st, v->txn, db, meas_cb, ctx, err)) != STRATA_OK) {
            if (rc != STRATA_ECORRUPT) return rc;
            vf_where w = {.db = v->dbs[i].name};
            finding(v, 1, "measurement", &w, "%s", err->msg);
            strata_error_clear(err);
        }
        for (size_t mi = first; mi < v->nms; mi++) {
            vf_meas *m = &v->ms[mi];
            vf_where w = {.db = v->dbs[i].name, .meas = m->name, .meas_len = m->len};
            uint8_t ik[9];
            strata_put_be32(ik, db);
            ik[4] = 'i';
            strata_put_be32(ik + 5, m->mid);
            MDB_val k = {9, ik}, val;
            rc = mdb_get(v->txn, v->st.dbi[TL_IMEAS], &k, &val);
            if (rc == MDB_NOTFOUND) {
                finding(v, 1, "measurement", &w, "the record of measurement id %u is missing",
                        m->mid);
            } else if (rc) {
                return tl_mdb_err(rc, err, "idx.meas");
            } else if (val.mv_size < 9) {
                finding(v, 1, "measurement", &w, "the record of measurement id %u has %zu bytes",
                        m->mid, val.mv_size);
            } else {
                m->next_tkid = strata_get_le32(val.mv_data);
                m->next_fid = strata_get_le32((const uint8_t *)val.mv_data + 4);
                const uint8_t *nk = (const uint8_t *)val.mv_data + 8;
                size_t nkl = val.mv_size - 8;
                int same = m->len <= TL_NK_SHORT_MAX
                               ? nkl == m->len && memcmp(nk, m->name, m->len) == 0
                               : nkl == TL_NK_LONG_LEN && memcmp(nk, m->name, TL_NK_SHORT_MAX) == 0;
                if (!same)
                    finding(v, 1, "measurement", &w,
                            "the record of measurement id %u holds another name", m->mid);
            }
            /* The measurement posting must exist (a measurement lives while it has series). */
            uint8_t pk[8];
            strata_put_be32(pk, db);
            strata_put_be32(pk + 4, m->mid);
            MDB_val pkv = {8, pk}, pd;
            rc = v->st.has[TL_IPOSTINGS] ? mdb_get(v->txn, v->st.dbi[TL_IPOSTINGS], &pkv, &pd)
                                         : MDB_NOTFOUND;
            if (rc == 0)
                m->has_posting = 1;
            else if (rc == MDB_NOTFOUND)
                finding(v, 1, "posting", &w, "measurement id %u has no series posting list",
                        m->mid);
            else
                return tl_mdb_err(rc, err, "idx.postings");
            void *fctx[2] = {v, m};
            if ((rc = tl_field_list(&v->st, v->txn, db, m->mid, field_cb, fctx, err)) !=
                STRATA_OK) {
                if (rc != STRATA_ECORRUPT) return rc;
                finding(v, 1, "field", &w, "%s", err->msg);
                strata_error_clear(err);
            }
            if (m->nfields > 1) qsort(m->fields, m->nfields, sizeof *m->fields, cmp_vfield);
            for (size_t f = 1; f < m->nfields; f++)
                if (m->fields[f].fid == m->fields[f - 1].fid)
                    finding(v, 1, "field", &w, "fields \"%s\" and \"%s\" share id %u",
                            m->fields[f - 1].name, m->fields[f].name, m->fields[f].fid);
            tagk_ctx tc = {v, m};
            if ((rc = tl_tagk_list(&v->st, v->txn, db, m->mid, tagk_cb, &tc, err)) != STRATA_OK) {
                if (rc != STRATA_ECORRUPT) return rc;
                finding(v, 1, "tag-key", &w, "%s", err->msg);
                strata_error_clear(err);
            }
        }
    }
    return STRATA_OK;
}

/* --------------------------------------------- 2b. retention policies */

static const tl_dbent *dbent_by_id(vf *v, uint32_t id)
{
    for (size_t i = 0; i < v->ndbs; i++)
        if (v->dbs[i].id == id) return &v->dbs[i];
    return NULL;
}

static int is_internal(const tl_dbent *d)
{
    uint32_t owner;
    const char *rp;
    size_t rplen;
    return tl_ns_internal(d->name, d->len, &owner, &rp, &rplen);
}

/* The index's series counter of namespace id (0 when absent). */
static uint64_t ns_series(vf *v, uint32_t id)
{
    uint8_t ck[5];
    strata_put_be32(ck, id);
    ck[4] = 'C';
    MDB_val k = {5, ck}, val;
    if (v->st.has[TL_IDB] && mdb_get(v->txn, v->st.dbi[TL_IDB], &k, &val) == 0 && val.mv_size == 8)
        return strata_get_le64(val.mv_data);
    return 0;
}

static int check_rps(vf *v, strata_error *err)
{
    static const char *const kind = "retention-policy";
    tl_rpcat cat;
    int rc = tl_rpcat_read(&v->st, v->txn, &cat, err);
    if (rc != STRATA_OK) return rc;
    for (size_t c = 0; c < cat.ndbs; c++) {
        const tl_rpdb *rd = &cat.dbs[c];
        const tl_dbent *owner = dbent_by_id(v, rd->db);
        char idb[32];
        if (owner == NULL || is_internal(owner)) {
            snprintf(idb, sizeof idb, "id %u (unknown)", rd->db);
            vf_where w = {.db = idb};
            finding(v, 0, kind, &w,
                    "%zu retention policy records of a database that does not exist (left over "
                    "from an interrupted DROP DATABASE)",
                    rd->nrps + (rd->has_default ? 1 : 0));
            continue;
        }
        v->n_rps += rd->nrps;
        if (!rd->has_default && rd->nrps)
            finding(v, 1, kind, &(vf_where){.db = owner->name},
                    "%zu retention policy records but no default-policy record: the engine "
                    "ignores them and uses an implicit \"autogen\" on the database's own id",
                    rd->nrps);
        for (size_t r = 0; r < rd->nrps; r++) {
            const tl_rpent *e = &rd->rps[r];
            vf_where w = {.db = owner->name, .rp = e->name};
            if (e->bad) {
                finding(v, 1, kind, &w,
                        "the retention policy record is damaged (not %d bytes of version 1)",
                        TL_RP_REC_LEN);
                continue;
            }
            const tl_dbent *ns = dbent_by_id(v, e->ns);
            uint32_t nsowner = 0;
            const char *nsrp = NULL;
            size_t nsrplen = 0;
            if (ns == NULL) {
                finding(v, 1, kind, &w,
                        "its points are kept in namespace id %u, which does not exist: they "
                        "can be neither written nor read (DROP RETENTION POLICY and CREATE it "
                        "again)",
                        e->ns);
            } else if (e->ns != rd->db) {
                if (!tl_ns_internal(ns->name, ns->len, &nsowner, &nsrp, &nsrplen) ||
                    nsowner != rd->db)
                    finding(v, 1, kind, &w,
                            "its namespace id %u is not one of this database's: it belongs to "
                            "%s",
                            e->ns,
                            is_internal(ns) ? "another database's retention policy"
                                            : "another database");
                else if (nsrplen != e->len || memcmp(nsrp, e->name, e->len) != 0)
                    finding(v, 0, kind, &w,
                            "its namespace id %u was made for retention policy \"%.*s\"", e->ns,
                            (int)nsrplen, nsrp);
            }
            for (size_t k = 0; k < r; k++)
                if (!rd->rps[k].bad && rd->rps[k].ns == e->ns)
                    finding(v, 1, kind, &w,
                            "shares namespace id %u with retention policy \"%s\": their points "
                            "are mixed",
                            e->ns, rd->rps[k].name);
        }
    }
    /* Every internal namespace must be some retention policy's. */
    for (size_t i = 0; i < v->ndbs; i++) {
        const tl_dbent *d = &v->dbs[i];
        uint32_t owner;
        const char *rp;
        size_t rplen;
        if (!tl_ns_internal(d->name, d->len, &owner, &rp, &rplen)) continue;
        v->n_internal++;
        const tl_rpdb *rd = tl_rpcat_db(&cat, owner);
        int named = 0;
        for (size_t r = 0; rd && r < rd->nrps; r++)
            named |= !rd->rps[r].bad && rd->rps[r].ns == d->id;
        if (named) continue;
        const tl_dbent *od = dbent_by_id(v, owner);
        char ob[32];
        snprintf(ob, sizeof ob, "id %u (unknown)", owner);
        vf_where w = {.db = od && !is_internal(od) ? od->name : ob};
        char rpb[256];
        size_t l = rplen < sizeof rpb - 1 ? rplen : sizeof rpb - 1;
        memcpy(rpb, rp, l);
        rpb[l] = '\0';
        w.rp = rpb;
        finding(v, 0, kind, &w,
                "namespace id %u (%llu series) is named by no retention policy record: left "
                "over from an interrupted DROP RETENTION POLICY or DROP DATABASE; its data "
                "are unreachable, and CREATE RETENTION POLICY \"%s\" would take them over",
                d->id, (unsigned long long)ns_series(v, d->id), rpb);
    }
    tl_rpcat_fini(&cat);
    return STRATA_OK;
}

/* --------------------------------------------------------- 3. series */

/* Find the record whose key is prefix ‖ nk(name) in dbi; *val gets its value. */
static int find_nk(vf *v, int dbi, const uint8_t *pre, size_t plen, const char *name, size_t len,
                   size_t fixed, MDB_val *key_out, MDB_val *val)
{
    if (grow((void **)&v->pbuf, &v->pbuf_cap, plen + TL_NK_LONG_LEN, 1) != STRATA_OK)
        return STRATA_ENOMEM;
    memcpy(v->pbuf, pre, plen);
    if (len <= TL_NK_SHORT_MAX) {
        memcpy(v->pbuf + plen, name, len);
        MDB_val k = {plen + len, v->pbuf};
        int rc = mdb_get(v->txn, v->st.dbi[dbi], &k, val);
        if (rc == 0 && key_out) *key_out = k;
        return rc;
    }
    memcpy(v->pbuf + plen, name, TL_NK_SHORT_MAX);
    strata_put_be64(v->pbuf + plen + TL_NK_SHORT_MAX, tl_hash64(name, len));
    size_t glen = plen + TL_NK_SHORT_MAX + 8;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(v->txn, v->st.dbi[dbi], &cur);
    if (rc) return rc;
    MDB_val k = {glen, v->pbuf};
    for (rc = mdb_cursor_get(cur, &k, val, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, val, MDB_NEXT_NODUP)) {
        if (k.mv_size != plen + TL_NK_LONG_LEN || memcmp(k.mv_data, v->pbuf, glen) != 0) {
            rc = MDB_NOTFOUND;
            break;
        }
        if (val->mv_size == fixed + len &&
            memcmp((const uint8_t *)val->mv_data + fixed, name, len) == 0) {
            if (key_out) *key_out = k;
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

/* 1 if the dup-sorted dbi holds id (8 bytes BE) under key. */
static int dup_has(vf *v, int dbi, const MDB_val *key, uint64_t id, int *found)
{
    MDB_cursor *cur;
    uint8_t ib[8];
    strata_put_be64(ib, id);
    int rc = mdb_cursor_open(v->txn, v->st.dbi[dbi], &cur);
    if (rc) return rc;
    MDB_val k = *key, d = {8, ib};
    rc = mdb_cursor_get(cur, &k, &d, MDB_GET_BOTH);
    mdb_cursor_close(cur);
    *found = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int check_one_series(vf *v, uint32_t db, uint64_t id, const uint8_t *val, size_t vlen,
                            strata_error *err)
{
    char dbb[32];
    const char *dbn = db_name(v, db, dbb, sizeof dbb);
    vf_where w = {.db = dbn};
    int rc;

    if (vlen < 5) {
        finding(v, 1, "series", &w, "the record of series id %016llx has %zu bytes",
                (unsigned long long)id, vlen);
        return STRATA_OK;
    }
    uint32_t mid = strata_get_le32(val);
    const char *key = (const char *)val + 4;
    size_t klen = vlen - 4;
    w.series = key;
    w.series_len = klen;
    if (!db_known(v, db)) finding(v, 1, "series", &w, "the series belongs to no known database");
    uint32_t mi = tl_map_get(&v->meas, db, mid);
    if (tl_map_put(&v->series, db, id, mi, NULL) < 0)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    if (mi == UINT32_MAX) {
        finding(v, 1, "series", &w, "measurement id %u of the series does not exist", mid);
        return STRATA_OK;
    }
    vf_meas *m = &v->ms[mi];

    /* The key must parse back and be canonical. */
    if (grow((void **)&v->kbuf, &v->kbuf_cap, klen * 2 + 1, 1) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    const char *meas;
    size_t mlen, ntags = 0;
    rc = stg_series_key_parse(key, klen, v->kbuf, klen, &meas, &mlen, v->tags, v->tags_cap, &ntags);
    if (rc == STRATA_ERANGE && ntags > v->tags_cap) {
        if (grow((void **)&v->tags, &v->tags_cap, ntags, sizeof *v->tags) != STRATA_OK)
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        rc = stg_series_key_parse(key, klen, v->kbuf, klen, &meas, &mlen, v->tags, v->tags_cap,
                                  &ntags);
    }
    if (rc != STRATA_OK) {
        finding(v, 1, "series", &w, "the series key does not parse");
        return STRATA_OK;
    }
    size_t blen = stg_series_key_build(meas, mlen, v->tags, ntags, v->kbuf + klen, klen + 1);
    if (blen != klen || memcmp(v->kbuf + klen, key, klen) != 0) {
        finding(v, 1, "series", &w, "the series key is not canonical (tags unsorted or bad)");
        return STRATA_OK;
    }
    if (mlen != m->len || memcmp(meas, m->name, mlen) != 0)
        finding(v, 1, "series", &w, "the series key's measurement is not \"%s\" (id %u)", m->name,
                mid);

    /* Measurement posting. */
    uint8_t pk[12];
    strata_put_be32(pk, db);
    strata_put_be32(pk + 4, mid);
    MDB_val pkv = {8, pk};
    int found = 0;
    if ((rc = dup_has(v, TL_IPOSTINGS, &pkv, id, &found))) return tl_mdb_err(rc, err, "postings");
    if (!found) finding(v, 1, "posting", &w, "the series is missing from its measurement posting");

    /* One posting per tag. */
    for (size_t t = 0; t < ntags; t++) {
        const stg_tag *tg = &v->tags[t];
        MDB_val tv, tkey;
        rc = find_nk(v, TL_ITAGK, pk, 8, tg->key, tg->key_len, 4, NULL, &tv);
        if (rc == MDB_NOTFOUND) {
            finding(v, 1, "tag-key", &w, "tag key \"%.*s\" is not a tag key of the measurement",
                    (int)tg->key_len, tg->key);
            continue;
        }
        if (rc) return tl_mdb_err(rc, err, "idx.tagk");
        if (tv.mv_size < 4) {
            finding(v, 1, "tag-key", &w, "the record of tag key \"%.*s\" has %zu bytes",
                    (int)tg->key_len, tg->key, tv.mv_size);
            continue;
        }
        uint32_t tkid = strata_get_le32(tv.mv_data);
        strata_put_be32(pk + 8, tkid);
        if (tg->val_len <= TL_NK_SHORT_MAX) {
            if (grow((void **)&v->pbuf, &v->pbuf_cap, 12 + tg->val_len, 1) != STRATA_OK)
                return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            memcpy(v->pbuf, pk, 12);
            memcpy(v->pbuf + 12, tg->val, tg->val_len);
            tkey.mv_data = v->pbuf;
            tkey.mv_size = 12 + tg->val_len;
        } else {
            /* A long value's full text is in idx.tagv under the posting's key. */
            MDB_val dummy;
            rc = find_nk(v, TL_ITAGV, pk, 12, tg->val, tg->val_len, 0, &tkey, &dummy);
            if (rc == MDB_NOTFOUND) {
                finding(v, 1, "posting", &w,
                        "the long value of tag \"%.*s\" has no idx.tagv record (so no posting)",
                        (int)tg->key_len, tg->key);
                continue;
            }
            if (rc) return tl_mdb_err(rc, err, "idx.tagv");
        }
        if ((rc = dup_has(v, TL_IPOSTINGS, &tkey, id, &found)))
            return tl_mdb_err(rc, err, "postings");
        if (!found)
            finding(v, 1, "posting", &w, "the series is missing from the posting of tag %.*s=%.*s",
                    (int)tg->key_len, tg->key, (int)(tg->val_len > 200 ? 200 : tg->val_len),
                    tg->val);
    }

    /* A series whose id is not its hash is listed in idx.sovf under the hash. */
    uint64_t h = tl_hash64(key, klen);
    if (h != id) {
        uint8_t sk[12];
        strata_put_be32(sk, db);
        strata_put_be64(sk + 4, h);
        MDB_val skv = {12, sk};
        if ((rc = dup_has(v, TL_ISOVF, &skv, id, &found))) return tl_mdb_err(rc, err, "idx.sovf");
        if (!found)
            finding(v, 1, "series", &w,
                    "the series has id %016llx, not its hash %016llx, and no idx.sovf entry "
                    "(lookups by key cannot find it)",
                    (unsigned long long)id, (unsigned long long)h);
    }
    return STRATA_OK;
}

static int check_series(vf *v, strata_error *err)
{
    MDB_cursor *cur;
    MDB_val k, d;
    MDB_stat ms;
    tl_progress pr;
    uint32_t cur_db = UINT32_MAX;
    int rc;

    if (!v->st.has[TL_ISERIES] || !v->st.has[TL_IPOSTINGS] || !v->st.has[TL_ITAGK] ||
        !v->st.has[TL_ISOVF] || !v->st.has[TL_ITAGV])
        return STRATA_OK;
    mdb_stat(v->txn, v->st.dbi[TL_ISERIES], &ms);
    if ((rc = mdb_cursor_open(v->txn, v->st.dbi[TL_ISERIES], &cur)))
        return tl_mdb_err(rc, err, "idx.series");
    tl_progress_init(&pr, "verify: series");
    /* Counts per database, compared with the stored counters. */
    uint64_t *cnt = calloc(v->ndbs + 1, sizeof *cnt);
    if (cnt == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto out;
    }
    size_t cur_i = v->ndbs;
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        tl_progress_update(&pr, ++v->n_series, ms.ms_entries, "series");
        if (k.mv_size != 12) {
            finding(v, 1, "series", NULL, "an idx.series key has %zu bytes, not 12", k.mv_size);
            continue;
        }
        uint32_t db = strata_get_be32(k.mv_data);
        uint64_t id = strata_get_be64((const uint8_t *)k.mv_data + 4);
        if (db != cur_db) {
            cur_db = db;
            for (cur_i = 0; cur_i < v->ndbs && v->dbs[cur_i].id != db; cur_i++)
                ;
        }
        cnt[cur_i]++;
        if ((rc = check_one_series(v, db, id, d.mv_data, d.mv_size, err)) != STRATA_OK) goto out;
    }
    if (rc != MDB_NOTFOUND) {
        rc = tl_mdb_err(rc, err, "reading idx.series");
        goto out;
    }
    rc = STRATA_OK;
    for (size_t i = 0; i < v->ndbs; i++) {
        uint64_t stored = 0;
        uint8_t ck[5];
        strata_put_be32(ck, v->dbs[i].id);
        ck[4] = 'C';
        MDB_val kk = {5, ck}, vv;
        int r = mdb_get(v->txn, v->st.dbi[TL_IDB], &kk, &vv);
        if (r == 0 && vv.mv_size == 8) stored = strata_get_le64(vv.mv_data);
        if (stored != cnt[i]) {
            vf_where w = {.db = v->dbs[i].name};
            finding(v, 1, "database", &w, "the series counter says %llu, idx.series holds %llu",
                    (unsigned long long)stored, (unsigned long long)cnt[i]);
        }
    }
out:
    tl_progress_end(&pr);
    free(cnt);
    mdb_cursor_close(cur);
    return rc;
}

/* ------------------------------------------------------- 4. postings */

static int check_postings(vf *v, strata_error *err)
{
    MDB_cursor *cur;
    MDB_val k, d;
    MDB_stat ms;
    tl_progress pr;
    int rc;

    if (!v->st.has[TL_IPOSTINGS] || !v->st.has[TL_ISERIES]) return STRATA_OK;
    mdb_stat(v->txn, v->st.dbi[TL_IPOSTINGS], &ms);
    if ((rc = mdb_cursor_open(v->txn, v->st.dbi[TL_IPOSTINGS], &cur)))
        return tl_mdb_err(rc, err, "idx.postings");
    tl_progress_init(&pr, "verify: postings");
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        tl_progress_update(&pr, ++v->n_postings, ms.ms_entries, "postings");
        char dbb[32];
        if (k.mv_size < 8 || (k.mv_size > 8 && k.mv_size <= 12) || d.mv_size != 8) {
            finding(v, 1, "posting", NULL, "a posting has a %zu-byte key and a %zu-byte id",
                    k.mv_size, d.mv_size);
            continue;
        }
        uint32_t db = strata_get_be32(k.mv_data), mid = strata_get_be32((uint8_t *)k.mv_data + 4);
        uint64_t id = strata_get_be64(d.mv_data);
        uint32_t mi = tl_map_get(&v->series, db, id);
        vf_where w = {.db = db_name(v, db, dbb, sizeof dbb)};
        uint32_t own = tl_map_get(&v->meas, db, mid);
        if (own != UINT32_MAX) {
            w.meas = v->ms[own].name;
            w.meas_len = v->ms[own].len;
        }
        if (mi == UINT32_MAX) {
            /* Not in the map: no series record (the map holds every record's id). */
            uint8_t sk[12];
            strata_put_be32(sk, db);
            strata_put_be64(sk + 4, id);
            MDB_val skv = {12, sk}, sv;
            if (mdb_get(v->txn, v->st.dbi[TL_ISERIES], &skv, &sv) != 0)
                finding(v, 1, "posting", &w,
                        "a %s posting of measurement id %u names series id %016llx, which does "
                        "not exist",
                        k.mv_size == 8 ? "measurement" : "tag", mid, (unsigned long long)id);
            continue;
        }
        if (own == UINT32_MAX || mi != own)
            finding(v, 1, "posting", &w,
                    "a posting of measurement id %u names series id %016llx of another "
                    "measurement",
                    mid, (unsigned long long)id);
    }
    rc = rc == MDB_NOTFOUND ? STRATA_OK : tl_mdb_err(rc, err, "reading idx.postings");
    tl_progress_end(&pr);
    mdb_cursor_close(cur);
    return rc;
}

/* --------------------------------------------------------- 5. chunks */

static void chunk_where(vf *v, uint32_t db, uint64_t sid, uint32_t fid, vf_where *w, char *dbb,
                        char *fb)
{
    memset(w, 0, sizeof *w);
    w->db = db_name(v, db, dbb, 32);
    uint32_t mid;
    const char *key;
    size_t klen;
    if (tl_series_get(&v->st, v->txn, db, sid, &mid, &key, &klen, NULL) == STRATA_OK) {
        w->series = key;
        w->series_len = klen;
    } else {
        snprintf(fb + 64, 64, "id %016llx", (unsigned long long)sid);
        w->series = fb + 64;
        w->series_len = strlen(fb + 64);
    }
    uint32_t mi = tl_map_get(&v->series, db, sid);
    vf_field *f = mi == UINT32_MAX ? NULL : field_find(&v->ms[mi], fid);
    if (f) {
        w->field = f->name;
        w->type = f->type;
    } else {
        snprintf(fb, 64, "id %u", fid);
        w->field = fb;
    }
}

static int check_chunk(vf *v, const MDB_val *k, const MDB_val *d, strata_error *err)
{
    char dbb[32], fb[128];
    vf_where w;
    const uint8_t *kp = k->mv_data;
    stg_chunk_info info;
    strata_error why;

    if (k->mv_size != TL_CKEY_LEN) {
        finding(v, 1, "chunk", NULL, "a chunk key has %zu bytes, not %d", k->mv_size, TL_CKEY_LEN);
        return STRATA_OK;
    }
    uint32_t db = strata_get_be32(kp), part = strata_get_be32(kp + 4);
    uint64_t sid = strata_get_be64(kp + 8);
    uint32_t fid = strata_get_be32(kp + 16);
    int64_t t_first = strata_get_be64s(kp + 20);
    uint64_t seq = strata_get_be64(kp + 28);
    if (tl_map_put(&v->parts, db, part, 1, NULL) < 0)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");

    int rc = stg_chunk_info_read(d->mv_data, d->mv_size, &info, &why);
    if (rc != STRATA_OK) {
        chunk_where(v, db, sid, fid, &w, dbb, fb);
        w.has_time = 1;
        w.t0 = w.t1 = t_first;
        finding(v, 1, "chunk", &w, "seq %llu, %zu bytes: %s", (unsigned long long)seq, d->mv_size,
                why.msg);
        return STRATA_OK;
    }
    v->n_values += info.count;
    int bad = 0;
    uint32_t mi = tl_map_get(&v->series, db, sid);
    vf_field *f = mi == UINT32_MAX ? NULL : field_find(&v->ms[mi], fid);
#define CHUNK_PROBLEM(...)                                                                         \
    do {                                                                                           \
        if (!bad) {                                                                                \
            chunk_where(v, db, sid, fid, &w, dbb, fb);                                             \
            w.has_time = 1;                                                                        \
            w.t0 = info.t_first;                                                                   \
            w.t1 = info.t_last;                                                                    \
        }                                                                                          \
        bad = 1;                                                                                   \
        finding(v, 1, "chunk", &w, __VA_ARGS__);                                                   \
    } while (0)
    if (!db_known(v, db)) CHUNK_PROBLEM("the chunk belongs to no known database");
    if (mi == UINT32_MAX)
        CHUNK_PROBLEM("the chunk's series does not exist in the index");
    else if (f == NULL)
        CHUNK_PROBLEM("field id %u does not exist in the series' measurement", fid);
    else if (f->type != info.type)
        CHUNK_PROBLEM("the chunk holds %s values, the field is %s", stg_type_name(info.type),
                      stg_type_name(f->type));
    if (info.t_first != t_first)
        CHUNK_PROBLEM("the key says the chunk starts at %lld, its header at %lld",
                      (long long)t_first, (long long)info.t_first);
    if (v->meta.has_part && v->meta.partition_ns > 0 && v->meta.partition_ns <= INT64_MAX) {
        uint32_t p0 = tl_part_of(info.t_first, v->meta.partition_ns);
        uint32_t p1 = tl_part_of(info.t_last, v->meta.partition_ns);
        if (p0 != part)
            CHUNK_PROBLEM("the key puts the chunk in partition %u, its first timestamp is in %u",
                          part, p0);
        else if (p1 != part)
            CHUNK_PROBLEM("the chunk crosses from partition %u into %u", p0, p1);
    }
    if (v->meta.has_seq && seq >= v->meta.seq)
        CHUNK_PROBLEM("sequence number %llu is not below meta's next sequence number %llu",
                      (unsigned long long)seq, (unsigned long long)v->meta.seq);

    /* Full decode. */
    if (info.type == STG_STRING &&
        grow((void **)&v->str, &v->str_cap, (size_t)info.str_bytes + 1, 1) != STRATA_OK) {
        CHUNK_PROBLEM("the chunk claims %u bytes of strings, more than can be allocated",
                      info.str_bytes);
        return STRATA_OK;
    }
    uint32_t got = 0;
    rc = stg_chunk_decode(d->mv_data, d->mv_size, v->ts, v->vals, v->str,
                          info.type == STG_STRING ? v->str_cap : 0, &got, &why);
    if (rc != STRATA_OK)
        CHUNK_PROBLEM("seq %llu does not decode: %s", (unsigned long long)seq, why.msg);
    else if (got != info.count)
        CHUNK_PROBLEM("decoded %u points, the header says %u", got, info.count);
#undef CHUNK_PROBLEM
    return STRATA_OK;
}

static int check_chunks(vf *v, strata_error *err)
{
    MDB_cursor *cur;
    MDB_val k, d;
    MDB_stat ms;
    tl_progress pr;
    int rc;

    if (!v->st.has[TL_CHUNKS]) return STRATA_OK;
    v->ts = malloc(STG_CHUNK_MAX_POINTS * sizeof *v->ts);
    v->vals = malloc(STG_CHUNK_MAX_POINTS * sizeof *v->vals);
    if (v->ts == NULL || v->vals == NULL)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    mdb_stat(v->txn, v->st.dbi[TL_CHUNKS], &ms);
    if ((rc = mdb_cursor_open(v->txn, v->st.dbi[TL_CHUNKS], &cur)))
        return tl_mdb_err(rc, err, "chunks");
    tl_progress_init(&pr, "verify: chunks");
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        tl_progress_update(&pr, ++v->n_chunks, ms.ms_entries, "chunks");
        if ((rc = check_chunk(v, &k, &d, err)) != STRATA_OK) goto out;
    }
    rc = rc == MDB_NOTFOUND ? STRATA_OK : tl_mdb_err(rc, err, "reading chunks");
out:
    tl_progress_end(&pr);
    mdb_cursor_close(cur);
    return rc;
}

/* ----------------------------------------------------- 6. partitions */

static void check_partitions(vf *v)
{
    char dbb[32];
    tl_map listed;
    if (tl_map_init(&listed) != STRATA_OK) return;
    uint64_t pns = v->meta.partition_ns;
    int pns_ok = v->meta.has_part && pns > 0 && pns <= INT64_MAX;
    for (size_t i = 0; i < v->meta.nparts; i++) {
        uint32_t db = v->meta.parts[2 * i], part = v->meta.parts[2 * i + 1];
        tl_map_put(&listed, db, part, 1, NULL);
        vf_where w = {.db = db_name(v, db, dbb, sizeof dbb)};
        if (pns_ok) {
            w.has_time = 1;
            w.t0 = tl_part_start(part, pns);
            w.t1 = tl_part_start(part + 1, pns) - 1;
        }
        if (!db_known(v, db))
            finding(v, 1, "partition", &w,
                    "meta lists partition %u of a database that does not "
                    "exist",
                    part);
        else if (tl_map_get(&v->parts, db, part) == UINT32_MAX)
            finding(v, 0, "partition", &w, "meta lists partition %u, which holds no chunk", part);
    }
    for (size_t i = 0; i < v->parts.cap; i++) {
        if (v->parts.val[i] == UINT32_MAX) continue;
        uint32_t db = (uint32_t)v->parts.ka[i], part = (uint32_t)v->parts.kb[i];
        if (tl_map_get(&listed, db, part) != UINT32_MAX) continue;
        vf_where w = {.db = db_name(v, db, dbb, sizeof dbb)};
        if (pns_ok) {
            w.has_time = 1;
            w.t0 = tl_part_start(part, pns);
            w.t1 = tl_part_start(part + 1, pns) - 1;
        }
        finding(v, 1, "partition", &w,
                "partition %u holds chunks but is not listed in meta (retention and drops would "
                "miss it)",
                part);
    }
    tl_map_fini(&listed);
}

/* ------------------------------------------------------------ 7. WAL */

static void check_wal(vf *v, int in_use, strata_error *err)
{
    tl_walinfo w;
    char path[4500];
    if (in_use == 1) {
        finding(v, 0, "wal", NULL,
                "a running server holds the WAL: its segments were not checked, and points "
                "since its last checkpoint are not in LMDB yet");
        return;
    }
    if (tl_wal_list(v->st.dir, &w, err) != STRATA_OK) {
        finding(v, 1, "wal", NULL, "%s", err->msg);
        strata_error_clear(err);
        return;
    }
    if (w.ncorrupt)
        finding(v, 0, "wal", NULL,
                "%zu WAL files were set aside by recovery as *.corrupt (kept for inspection)",
                w.ncorrupt);
    for (size_t i = 0; i < w.nsegs; i++) {
        uint8_t h[32];
        snprintf(path, sizeof path, "%s/wal/%s", v->st.dir, w.segs[i].name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? pread(fd, h, sizeof h, 0) : -1;
        if (fd >= 0) close(fd);
        if (n != (ssize_t)sizeof h) {
            /* The newest segment may be empty only while it is created. */
            finding(v, 1, "wal", NULL, "segment %s: header unreadable (%s)", w.segs[i].name,
                    n < 0 ? strerror(errno) : "file too short");
            continue;
        }
        if (memcmp(h, "STRATAWL", 8) != 0)
            finding(v, 1, "wal", NULL, "segment %s: bad magic", w.segs[i].name);
        else if (strata_get_le64(h + 24) != XXH3_64bits(h, 24))
            finding(v, 1, "wal", NULL, "segment %s: header checksum mismatch", w.segs[i].name);
        else if (strata_get_le32(h + 8) != 1)
            finding(v, 1, "wal", NULL, "segment %s: format version %u, this build reads 1",
                    w.segs[i].name, strata_get_le32(h + 8));
        else if (strata_get_le32(h + 12) != 32 || strata_get_le64(h + 16) != w.segs[i].first_lsn)
            finding(v, 1, "wal", NULL, "segment %s: header size or first LSN do not match its name",
                    w.segs[i].name);
    }
    if (w.nsegs > 0 && v->meta.has_ckpt && w.segs[0].first_lsn > v->meta.ckpt_lsn)
        finding(v, 0, "wal", NULL,
                "the oldest WAL segment starts at LSN %llu but the last checkpoint is at %llu: "
                "records %llu..%llu are missing, if any were written",
                (unsigned long long)w.segs[0].first_lsn, (unsigned long long)v->meta.ckpt_lsn,
                (unsigned long long)v->meta.ckpt_lsn,
                (unsigned long long)(w.segs[0].first_lsn - 1));
    tl_walinfo_fini(&w);
}

/* ------------------------------------------------------------- driver */

static void vf_fini(vf *v)
{
    for (size_t i = 0; i < v->nms; i++) {
        for (size_t f = 0; f < v->ms[i].nfields; f++)
            free(v->ms[i].fields[f].name);
        free(v->ms[i].fields);
        free(v->ms[i].name);
    }
    free(v->ms);
    tl_dbents_free(v->dbs, v->ndbs);
    tl_map_fini(&v->meas);
    tl_map_fini(&v->series);
    tl_map_fini(&v->parts);
    tl_meta_fini(&v->meta);
    free(v->kbuf);
    free(v->tags);
    free(v->ts);
    free(v->vals);
    free(v->str);
    free(v->pbuf);
    if (v->txn) mdb_txn_abort(v->txn);
    tl_store_close(&v->st);
}

long tl_verify_run(const char *dir, const tl_verify_opts *o, FILE *out, strata_error *err)
{
    vf v;
    int rc;
    long result;

    memset(&v, 0, sizeof v);
    v.o = o;
    v.out = out;
    v.max_print = o->max_problems ? o->max_problems : 1000;
    if (tl_map_init(&v.meas) || tl_map_init(&v.series) || tl_map_init(&v.parts) ||
        grow((void **)&v.tags, &v.tags_cap, 64, sizeof *v.tags)) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = tl_store_open(&v.st, dir, err)) != STRATA_OK) goto fail;
    if ((rc = tl_store_read(&v.st, &v.txn, err)) != STRATA_OK) goto fail;
    if ((rc = tl_meta_read(&v.st, v.txn, &v.meta, err)) != STRATA_OK) goto fail;
    int in_use = tl_dir_in_use(dir);
    if (o->json) {
        tl_json_init(&v.j, out);
        tl_json_obj(&v.j, NULL);
        tl_json_cstr(&v.j, "data_dir", dir);
        tl_json_bool(&v.j, "in_use", in_use == 1);
        tl_json_arr(&v.j, "findings");
    }
    check_meta(&v);
    if ((rc = check_catalog(&v, err)) != STRATA_OK) goto fail;
    if ((rc = check_rps(&v, err)) != STRATA_OK) goto fail;
    if ((rc = check_series(&v, err)) != STRATA_OK) goto fail;
    if ((rc = check_postings(&v, err)) != STRATA_OK) goto fail;
    if ((rc = check_chunks(&v, err)) != STRATA_OK) goto fail;
    check_partitions(&v);
    check_wal(&v, in_use, err);

    uint64_t hidden = v.problems + v.warnings - v.printed;
    if (o->json) {
        tl_json_arr_end(&v.j);
        tl_json_obj(&v.j, "checked");
        tl_json_u64(&v.j, "databases", v.ndbs - v.n_internal);
        tl_json_u64(&v.j, "retention_policy_records", v.n_rps);
        tl_json_u64(&v.j, "retention_policy_namespaces", v.n_internal);
        tl_json_u64(&v.j, "measurements", v.nms);
        tl_json_u64(&v.j, "series", v.n_series);
        tl_json_u64(&v.j, "posting_entries", v.n_postings);
        tl_json_u64(&v.j, "chunks", v.n_chunks);
        tl_json_u64(&v.j, "values", v.n_values);
        tl_json_obj_end(&v.j);
        tl_json_u64(&v.j, "problems", v.problems);
        tl_json_u64(&v.j, "warnings", v.warnings);
        tl_json_u64(&v.j, "not_shown", hidden);
        tl_json_bool(&v.j, "ok", v.problems == 0);
        tl_json_obj_end(&v.j);
        tl_json_end(&v.j);
    } else {
        if (hidden)
            fprintf(out, "(%llu more findings not shown; see --max-problems)\n",
                    (unsigned long long)hidden);
        fprintf(
            out,
            "verify %s: %zu databases (%llu retention policy records, %llu internal namespaces), "
            "%zu measurements, %llu series, %llu posting entries, %llu chunks (%llu values): "
            "%llu problems, %llu warnings\n",
            dir, v.ndbs - (size_t)v.n_internal, (unsigned long long)v.n_rps,
            (unsigned long long)v.n_internal, v.nms, (unsigned long long)v.n_series,
            (unsigned long long)v.n_postings, (unsigned long long)v.n_chunks,
            (unsigned long long)v.n_values, (unsigned long long)v.problems,
            (unsigned long long)v.warnings);
    }
    result = (long)v.problems;
    vf_fini(&v);
    return result;
fail:
    vf_fini(&v);
    return rc;
}

int tl_cmd_verify(int argc, char **argv)
{
    tl_args a;
    strata_error err;
    tl_verify_opts o;

    strata_error_clear(&err);
    if (tl_args_parse(&tl_verify_cmd, argc, argv, &a, &err) != STRATA_OK)
        return tl_usage_error(&tl_verify_cmd, err.msg);
    if (a.help) {
        tl_usage(stdout, &tl_verify_cmd);
        return TL_EXIT_OK;
    }
    const char *dir = tl_arg(&tl_verify_cmd, &a, "data-dir");
    if (dir == NULL) return tl_usage_error(&tl_verify_cmd, "--data-dir is required");
    memset(&o, 0, sizeof o);
    o.json = tl_arg_set(&tl_verify_cmd, &a, "json");
    const char *mp = tl_arg(&tl_verify_cmd, &a, "max-problems");
    if (mp) {
        char *end;
        unsigned long long n = strtoull(mp, &end, 10);
        if (*mp == '\0' || *end != '\0' || n == 0)
            return tl_usage_error(&tl_verify_cmd, "--max-problems needs a positive number");
        o.max_problems = n;
    }
    tl_guard_signals("verify");
    long n = tl_verify_run(dir, &o, stdout, &err);
    fflush(stdout);
    if (n < 0) {
        fprintf(stderr, "strata verify: %s\n", err.msg);
        return TL_EXIT_FAIL;
    }
    return n > 0 ? TL_EXIT_FAIL : TL_EXIT_OK;
}
