/*
 * tools/strata_store.c: a read-only view of a data directory for the
 * operator tool, reading the raw records that storage/FORMAT.md describes.
 *
 * The environment is opened with MDB_RDONLY: LMDB then never writes the data
 * file and refuses write transactions, so inspect and verify can neither
 * change a stopped directory nor take a running server's writer lock. LMDB
 * readers of several processes share the reader table in lock.mdb, which is
 * how a server and this tool coexist. Every reader here validates sizes
 * before it reads a field: a damaged record is STRATA_ECORRUPT, not a read
 * out of bounds.
 *
 * Also here: the listing of WAL segment files (names and sizes only) and the
 * probe that tells whether a server holds the directory (its WAL lock).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/bytes.h"
#include "tools/strata_int.h"

const char *const tl_dbi_names[TL_NDBI] = {
    [TL_META] = "meta",          [TL_CHUNKS] = "chunk table", [TL_IDB] = "idx.db",
    [TL_ISERIES] = "idx.series", [TL_ISOVF] = "idx.sovf",     [TL_IPOSTINGS] = "idx.postings",
    [TL_IMEAS] = "idx.meas",     [TL_ITAGK] = "idx.tagk",     [TL_ITAGV] = "idx.tagv",
    [TL_IFIELD] = "idx.field",
};

const char *const tl_chunk_table_names[2] = {"chunks", "chunks.b"};

int tl_mdb_err(int rc, strata_error *err, const char *what)
{
    switch (rc) {
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
        return strata_error_set(err, STRATA_ECORRUPT, "%s: the LMDB file is corrupt (%s)", what,
                                mdb_strerror(rc));
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return strata_error_set(err, STRATA_EVERSION, "%s: not an LMDB file of this version (%s)",
                                what, mdb_strerror(rc));
    case MDB_NOTFOUND:
        return strata_error_set(err, STRATA_ENOTFOUND, "%s: not found", what);
    case MDB_READERS_FULL:
        return strata_error_set(err, STRATA_EBUSY, "%s: too many concurrent LMDB readers", what);
    case ENOMEM:
        return strata_error_set(err, STRATA_ENOMEM, "%s: out of memory", what);
    case ENOSPC:
        return strata_error_set(err, STRATA_EFULL, "%s: no space left on the device", what);
    default:
        return strata_error_set(err, STRATA_EIO, "%s: %s", what, mdb_strerror(rc));
    }
}

/* -------------------------------------------------------------- open */

int tl_store_open(tl_store *s, const char *dir, strata_error *err)
{
    char path[4200], file[4300];
    struct stat st;
    MDB_txn *txn = NULL;
    int rc;

    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/strata.mdb", dir);
    snprintf(file, sizeof file, "%s/data.mdb", path);
    if (stat(dir, &st) != 0)
        return strata_error_set(err, STRATA_ENOTFOUND, "data directory %s: %s", dir,
                                strerror(errno));
    if (stat(file, &st) != 0)
        return strata_error_set(err, STRATA_ENOTFOUND,
                                "%s is not a Strata data directory (no strata.mdb/data.mdb: %s)",
                                dir, strerror(errno));
    size_t map = 0;
    for (;;) {
        if ((rc = mdb_env_create(&s->env))) return tl_mdb_err(rc, err, "creating an LMDB handle");
        mdb_env_set_maxdbs(s->env, 32);
        mdb_env_set_maxreaders(s->env, 1022);
        if (map) mdb_env_set_mapsize(s->env, map);
        rc = mdb_env_open(s->env, path, MDB_RDONLY | MDB_NOTLS, 0644);
        if (rc == 0) break;
        mdb_env_close(s->env);
        s->env = NULL;
        /* Little address space (ulimit -v): map only what the file holds, with room. */
        if (rc == ENOMEM && map == 0) {
            map = (size_t)st.st_size + ((size_t)1 << 30);
            continue;
        }
        return tl_mdb_err(rc, err, path);
    }
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_bytes = info.me_mapsize;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) {
        rc = tl_mdb_err(rc, err, "beginning a read transaction");
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        rc = mdb_dbi_open(txn, tl_chunk_table_names[i], 0, &s->tables[i]);
        if (rc == MDB_NOTFOUND) continue;
        if (rc) {
            rc = tl_mdb_err(rc, err, tl_chunk_table_names[i]);
            goto fail;
        }
        s->has_table[i] = 1;
    }
    for (int i = 0; i < TL_NDBI; i++) {
        if (i == TL_CHUNKS) continue; /* resolved per transaction */
        unsigned flags = (i == TL_ISOVF || i == TL_IPOSTINGS) ? MDB_DUPSORT | MDB_DUPFIXED : 0;
        rc = mdb_dbi_open(txn, tl_dbi_names[i], flags, &s->dbi[i]);
        if (rc == MDB_NOTFOUND) continue;
        if (rc == MDB_INCOMPATIBLE) {
            rc =
                strata_error_set(err, STRATA_ECORRUPT,
                                 "sub-database %s has the wrong LMDB flags (not written by Strata)",
                                 tl_dbi_names[i]);
            goto fail;
        }
        if (rc) {
            rc = tl_mdb_err(rc, err, tl_dbi_names[i]);
            goto fail;
        }
        s->has[i] = 1;
    }
    /* Committing a read-only transaction keeps its database handles open. */
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) {
        rc = tl_mdb_err(rc, err, "opening the sub-databases");
        goto fail;
    }
    return STRATA_OK;
fail:
    if (txn) mdb_txn_abort(txn);
    tl_store_close(s);
    return rc;
}

void tl_store_close(tl_store *s)
{
    if (s->env) mdb_env_close(s->env);
    s->env = NULL;
}

int tl_store_read(tl_store *s, MDB_txn **txn, strata_error *err)
{
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc) return tl_mdb_err(rc, err, "beginning a read transaction");
    s->table = 0;
    s->table_bad = 0;
    if (s->has[TL_META]) {
        MDB_val k = {12, "chunks_table"}, v;
        rc = mdb_get(*txn, s->dbi[TL_META], &k, &v);
        if (rc == 0) {
            uint64_t t = v.mv_size == 8 ? strata_get_le64(v.mv_data) : 2;
            if (t > 1)
                s->table_bad = 1;
            else
                s->table = (unsigned)t;
        } else if (rc != MDB_NOTFOUND) {
            mdb_txn_abort(*txn);
            *txn = NULL;
            return tl_mdb_err(rc, err, "reading meta");
        }
    }
    s->has[TL_CHUNKS] = !s->table_bad && s->has_table[s->table];
    s->dbi[TL_CHUNKS] = s->tables[s->table];
    return STRATA_OK;
}

/* -------------------------------------------------------------- meta */

static int meta_u64(const MDB_val *v, uint64_t *out, int *bad)
{
    if (v->mv_size != 8) {
        *bad = 1;
        return 0;
    }
    *out = strata_get_le64(v->mv_data);
    return 1;
}

int tl_meta_read(tl_store *s, MDB_txn *txn, tl_meta *m, strata_error *err)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    size_t cap = 0;
    int rc;

    memset(m, 0, sizeof *m);
    if (!s->has[TL_META]) return STRATA_OK;
    if ((rc = mdb_cursor_open(txn, s->dbi[TL_META], &cur))) return tl_mdb_err(rc, err, "meta");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *kp = k.mv_data;
        if (k.mv_size == 6 && memcmp(kp, "format", 6) == 0)
            m->has_format = meta_u64(&v, &m->format, &m->bad_sizes);
        else if (k.mv_size == 3 && memcmp(kp, "seq", 3) == 0)
            m->has_seq = meta_u64(&v, &m->seq, &m->bad_sizes);
        else if (k.mv_size == 8 && memcmp(kp, "ckpt_lsn", 8) == 0)
            m->has_ckpt = meta_u64(&v, &m->ckpt_lsn, &m->bad_sizes);
        else if (k.mv_size == 12 && memcmp(kp, "partition_ns", 12) == 0)
            m->has_part = meta_u64(&v, &m->partition_ns, &m->bad_sizes);
        else if (k.mv_size == 12 && memcmp(kp, "chunks_table", 12) == 0)
            m->has_table = meta_u64(&v, &m->table, &m->bad_sizes);
        else if (k.mv_size == 9 && kp[0] == 'p') {
            if (m->nparts == cap) {
                size_t nc = cap ? cap * 2 : 64;
                uint32_t *np = realloc(m->parts, 2 * nc * sizeof *np);
                if (np == NULL) {
                    rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                    goto out;
                }
                m->parts = np;
                cap = nc;
            }
            m->parts[2 * m->nparts] = strata_get_be32((const uint8_t *)kp + 1);
            m->parts[2 * m->nparts + 1] = strata_get_be32((const uint8_t *)kp + 5);
            m->nparts++;
        } else if (k.mv_size > 6 && kp[0] == 'C') {
            m->catalog_records++; /* storage/catalog.c: retention policies, CQs */
        } else {
            m->unknown_keys++;
        }
    }
    rc = rc == MDB_NOTFOUND ? STRATA_OK : tl_mdb_err(rc, err, "reading meta");
out:
    mdb_cursor_close(cur);
    return rc;
}

void tl_meta_fini(tl_meta *m)
{
    free(m->parts);
    m->parts = NULL;
    m->nparts = 0;
}

uint32_t tl_part_of(int64_t t, uint64_t pns)
{
    int64_t p = t / (int64_t)pns;
    if (t % (int64_t)pns < 0) p--;
    return (uint32_t)(p + (int64_t)TL_PART_BIAS);
}

int64_t tl_part_start(uint32_t part, uint64_t pns)
{
    __int128 s = (__int128)((int64_t)part - (int64_t)TL_PART_BIAS) * (int64_t)pns;
    if (s < INT64_MIN) return INT64_MIN;
    if (s > INT64_MAX) return INT64_MAX;
    return (int64_t)s;
}

/* ------------------------------------------------------------ names */

int tl_nk_name(const uint8_t *nk, size_t nkl, const uint8_t *tail, size_t tail_len,
               const char **name, size_t *len)
{
    if (nkl == TL_NK_LONG_LEN) {
        if (tail_len <= TL_NK_SHORT_MAX || memcmp(tail, nk, TL_NK_SHORT_MAX) != 0)
            return STRATA_ECORRUPT;
        *name = (const char *)tail;
        *len = tail_len;
        return STRATA_OK;
    }
    if (nkl == 0 || nkl > TL_NK_SHORT_MAX) return STRATA_ECORRUPT;
    *name = (const char *)nk;
    *len = nkl;
    return STRATA_OK;
}

size_t tl_nk_short(const char *name, size_t len, uint8_t *out)
{
    memcpy(out, name, len);
    return len;
}

uint64_t tl_hash64(const void *p, size_t len)
{
    return XXH64(p, len, 0);
}

/* ---------------------------------------------------------- catalog */

static int cmp_dbent(const void *a, const void *b)
{
    const tl_dbent *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

void tl_dbents_free(tl_dbent *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].name);
    free(d);
}

int tl_db_list(tl_store *s, MDB_txn *txn, tl_dbent **out, size_t *n, strata_error *err)
{
    uint8_t pre[5] = {0, 0, 0, 0, 'N'};
    MDB_cursor *cur = NULL;
    tl_dbent *d = NULL;
    size_t nd = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!s->has[TL_IDB]) return STRATA_OK;
    if ((rc = mdb_cursor_open(txn, s->dbi[TL_IDB], &cur))) return tl_mdb_err(rc, err, "idx.db");
    MDB_val k = {5, pre}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 5 || memcmp(k.mv_data, pre, 5) != 0) break;
        const char *name;
        size_t len;
        if (v.mv_size < 4 ||
            tl_nk_name((const uint8_t *)k.mv_data + 5, k.mv_size - 5,
                       (const uint8_t *)v.mv_data + 4, v.mv_size - 4, &name, &len) != STRATA_OK) {
            rc = strata_error_set(err, STRATA_ECORRUPT,
                                  "idx.db: a database name record is damaged (%zu-byte key, "
                                  "%zu-byte value)",
                                  k.mv_size, v.mv_size);
            goto fail;
        }
        if (nd == cap) {
            size_t nc = cap ? cap * 2 : 16;
            tl_dbent *nn = realloc(d, nc * sizeof *nn);
            if (nn == NULL) goto nomem;
            d = nn;
            cap = nc;
        }
        d[nd].id = strata_get_le32(v.mv_data);
        d[nd].len = len;
        d[nd].name = malloc(len + 1);
        if (d[nd].name == NULL) goto nomem;
        memcpy(d[nd].name, name, len);
        d[nd].name[len] = '\0';
        nd++;
    }
    if (rc && rc != MDB_NOTFOUND) {
        rc = tl_mdb_err(rc, err, "reading idx.db");
        goto fail;
    }
    mdb_cursor_close(cur);
    if (nd > 1) qsort(d, nd, sizeof *d, cmp_dbent);
    *out = d;
    *n = nd;
    return STRATA_OK;
nomem:
    rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
fail:
    mdb_cursor_close(cur);
    tl_dbents_free(d, nd);
    return rc;
}

/*
 * Walk the records of dbi whose key starts with pre[0..plen) and call fn
 * with the name under nk (after the prefix) and the u32 id at the start of
 * the value (after `fixed` bytes of value, the full long name follows).
 */
static int walk_names(tl_store *s, MDB_txn *txn, int dbi, const uint8_t *pre, size_t plen,
                      size_t fixed, int (*fn)(void *, const char *, size_t, const uint8_t *),
                      void *ctx, strata_error *err)
{
    MDB_cursor *cur;
    int rc;
    if (!s->has[dbi]) return STRATA_OK;
    if ((rc = mdb_cursor_open(txn, s->dbi[dbi], &cur))) return tl_mdb_err(rc, err, "cursor");
    MDB_val k = {plen, (void *)pre}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= plen || memcmp(k.mv_data, pre, plen) != 0) break;
        const char *name;
        size_t len;
        if (v.mv_size < fixed || tl_nk_name((const uint8_t *)k.mv_data + plen, k.mv_size - plen,
                                            (const uint8_t *)v.mv_data + fixed, v.mv_size - fixed,
                                            &name, &len) != STRATA_OK) {
            mdb_cursor_close(cur);
            return strata_error_set(err, STRATA_ECORRUPT,
                                    "%s: a name record is damaged (%zu-byte key, %zu-byte value)",
                                    tl_dbi_names[dbi], k.mv_size, v.mv_size);
        }
        int r = fn(ctx, name, len, v.mv_data);
        if (r) {
            mdb_cursor_close(cur);
            return r;
        }
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? STRATA_OK : tl_mdb_err(rc, err, tl_dbi_names[dbi]);
}

typedef struct name_ctx {
    tl_name_fn nfn;
    tl_field_fn ffn;
    void *ctx;
} name_ctx;

static int name_cb(void *c, const char *name, size_t len, const uint8_t *val)
{
    name_ctx *nc = c;
    return nc->nfn(nc->ctx, name, len, strata_get_le32(val));
}

static int field_cb(void *c, const char *name, size_t len, const uint8_t *val)
{
    name_ctx *nc = c;
    return nc->ffn(nc->ctx, name, len, strata_get_le32(val), (stg_type)val[4]);
}

int tl_meas_list(tl_store *s, MDB_txn *txn, uint32_t db, tl_name_fn fn, void *ctx,
                 strata_error *err)
{
    uint8_t pre[5];
    strata_put_be32(pre, db);
    pre[4] = 'n';
    name_ctx nc = {fn, NULL, ctx};
    return walk_names(s, txn, TL_IMEAS, pre, 5, 4, name_cb, &nc, err);
}

int tl_tagk_list(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, tl_name_fn fn, void *ctx,
                 strata_error *err)
{
    uint8_t pre[8];
    strata_put_be32(pre, db);
    strata_put_be32(pre + 4, mid);
    name_ctx nc = {fn, NULL, ctx};
    return walk_names(s, txn, TL_ITAGK, pre, 8, 4, name_cb, &nc, err);
}

int tl_field_list(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, tl_field_fn fn, void *ctx,
                  strata_error *err)
{
    uint8_t pre[8];
    strata_put_be32(pre, db);
    strata_put_be32(pre + 4, mid);
    name_ctx nc = {NULL, fn, ctx};
    return walk_names(s, txn, TL_IFIELD, pre, 8, 5, field_cb, &nc, err);
}

int tl_tagv_count(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, uint32_t tkid, uint64_t *n,
                  strata_error *err)
{
    uint8_t pre[12];
    MDB_cursor *cur;
    int rc;
    *n = 0;
    if (!s->has[TL_IPOSTINGS]) return STRATA_OK;
    strata_put_be32(pre, db);
    strata_put_be32(pre + 4, mid);
    strata_put_be32(pre + 8, tkid);
    if ((rc = mdb_cursor_open(txn, s->dbi[TL_IPOSTINGS], &cur)))
        return tl_mdb_err(rc, err, "idx.postings");
    MDB_val k = {12, pre}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
        if (k.mv_size <= 12 || memcmp(k.mv_data, pre, 12) != 0) break;
        (*n)++;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? STRATA_OK : tl_mdb_err(rc, err, "idx.postings");
}

int tl_meas_series(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, stg_idset *out,
                   strata_error *err)
{
    uint8_t key[8];
    MDB_cursor *cur;
    int rc;
    stg_idset_clear(out);
    if (!s->has[TL_IPOSTINGS]) return STRATA_OK;
    strata_put_be32(key, db);
    strata_put_be32(key + 4, mid);
    if ((rc = mdb_cursor_open(txn, s->dbi[TL_IPOSTINGS], &cur)))
        return tl_mdb_err(rc, err, "idx.postings");
    MDB_val k = {8, key}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
    if (rc == 0) rc = mdb_cursor_get(cur, &k, &v, MDB_GET_MULTIPLE);
    while (rc == 0) {
        if (v.mv_size % 8 != 0) {
            mdb_cursor_close(cur);
            return strata_error_set(err, STRATA_ECORRUPT,
                                    "idx.postings: a posting list of db %u measurement %u holds "
                                    "%zu bytes, not a multiple of 8",
                                    db, mid, v.mv_size);
        }
        for (size_t i = 0; i < v.mv_size; i += 8) {
            if (stg_idset_add(out, strata_get_be64((const uint8_t *)v.mv_data + i)) != STRATA_OK) {
                mdb_cursor_close(cur);
                return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            }
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_MULTIPLE);
    }
    mdb_cursor_close(cur);
    stg_idset_sort_unique(out);
    return rc == MDB_NOTFOUND ? STRATA_OK : tl_mdb_err(rc, err, "idx.postings");
}

int tl_series_get(tl_store *s, MDB_txn *txn, uint32_t db, uint64_t id, uint32_t *mid,
                  const char **key, size_t *len, strata_error *err)
{
    uint8_t kb[12];
    if (!s->has[TL_ISERIES])
        return strata_error_set(err, STRATA_ENOTFOUND, "no idx.series sub-database");
    strata_put_be32(kb, db);
    strata_put_be64(kb + 4, id);
    MDB_val k = {12, kb}, v;
    int rc = mdb_get(txn, s->dbi[TL_ISERIES], &k, &v);
    if (rc == MDB_NOTFOUND)
        return strata_error_set(err, STRATA_ENOTFOUND, "series %016llx of database %u not found",
                                (unsigned long long)id, db);
    if (rc) return tl_mdb_err(rc, err, "idx.series");
    if (v.mv_size < 5)
        return strata_error_set(err, STRATA_ECORRUPT,
                                "idx.series: the record of series %016llx of database %u has "
                                "%zu bytes",
                                (unsigned long long)id, db, v.mv_size);
    *mid = strata_get_le32(v.mv_data);
    *key = (const char *)v.mv_data + 4;
    *len = v.mv_size - 4;
    return STRATA_OK;
}

/* --------------------------------------------------------------- WAL */

int tl_wal_segname(const char *name, uint64_t *lsn)
{
    if (strlen(name) != 24 || strcmp(name + 20, ".wal") != 0) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        if (v > (UINT64_MAX - (uint64_t)(name[i] - '0')) / 10) return 0;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *lsn = v;
    return 1;
}

static int cmp_seg(const void *a, const void *b)
{
    const tl_walseg *x = a, *y = b;
    return (x->first_lsn > y->first_lsn) - (x->first_lsn < y->first_lsn);
}

int tl_wal_list(const char *dir, tl_walinfo *w, strata_error *err)
{
    char path[4200], f[4500];
    size_t cap = 0;
    memset(w, 0, sizeof *w);
    snprintf(path, sizeof path, "%s/wal", dir);
    DIR *d = opendir(path);
    if (d == NULL) {
        if (errno == ENOENT) return STRATA_OK;
        return strata_error_set(err, STRATA_EIO, "listing %s: %s", path, strerror(errno));
    }
    w->dir_exists = 1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t lsn;
        if (strstr(de->d_name, ".wal.corrupt")) {
            w->ncorrupt++;
            continue;
        }
        if (!tl_wal_segname(de->d_name, &lsn)) continue;
        struct stat st;
        snprintf(f, sizeof f, "%s/%s", path, de->d_name);
        if (stat(f, &st) != 0) continue; /* deleted meanwhile by a checkpoint */
        if (w->nsegs == cap) {
            size_t nc = cap ? cap * 2 : 16;
            tl_walseg *ns = realloc(w->segs, nc * sizeof *ns);
            if (ns == NULL) {
                closedir(d);
                tl_walinfo_fini(w);
                return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            }
            w->segs = ns;
            cap = nc;
        }
        tl_walseg *sg = &w->segs[w->nsegs++];
        sg->first_lsn = lsn;
        memcpy(sg->name, de->d_name, 25); /* 24 characters and the NUL, checked above */
        sg->bytes = (uint64_t)st.st_size;
        sg->alloc_bytes = (uint64_t)st.st_blocks * 512;
        w->bytes += sg->bytes;
        w->alloc_bytes += sg->alloc_bytes;
    }
    closedir(d);
    if (w->nsegs > 1) qsort(w->segs, w->nsegs, sizeof *w->segs, cmp_seg);
    return STRATA_OK;
}

void tl_walinfo_fini(tl_walinfo *w)
{
    free(w->segs);
    memset(w, 0, sizeof *w);
}

int tl_dir_in_use(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/wal/wal.lock", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : STRATA_EIO;
    int in_use = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        in_use = errno == EWOULDBLOCK ? 1 : STRATA_EIO;
    else
        flock(fd, LOCK_UN);
    close(fd);
    return in_use;
}

/* ------------------------------------------------ retention policies */

void tl_rpcat_fini(tl_rpcat *c)
{
    for (size_t i = 0; i < c->ndbs; i++) {
        tl_rpdb *d = &c->dbs[i];
        for (size_t r = 0; r < d->nrps; r++)
            free(d->rps[r].name);
        free(d->rps);
        free(d->defname);
    }
    free(c->dbs);
    memset(c, 0, sizeof *c);
}

static char *dup_bytes(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL) return NULL;
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

/* The entry of db in c, appended if new (keys arrive sorted by db id). */
static tl_rpdb *rpcat_at(tl_rpcat *c, uint32_t db, size_t *cap)
{
    if (c->ndbs && c->dbs[c->ndbs - 1].db == db) return &c->dbs[c->ndbs - 1];
    if (c->ndbs == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        tl_rpdb *nd = realloc(c->dbs, nc * sizeof *nd);
        if (nd == NULL) return NULL;
        c->dbs = nd;
        *cap = nc;
    }
    tl_rpdb *d = &c->dbs[c->ndbs++];
    memset(d, 0, sizeof *d);
    d->db = db;
    return d;
}

static int cmp_rpent(const void *a, const void *b)
{
    const tl_rpent *x = a, *y = b;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

int tl_rpcat_read(tl_store *s, MDB_txn *txn, tl_rpcat *c, strata_error *err)
{
    MDB_cursor *cur = NULL;
    size_t cap = 0;
    int rc;

    memset(c, 0, sizeof *c);
    if (!s->has[TL_META]) return STRATA_OK;
    if ((rc = mdb_cursor_open(txn, s->dbi[TL_META], &cur))) return tl_mdb_err(rc, err, "meta");
    MDB_val k = {1, "C"}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *kp = k.mv_data;
        if (k.mv_size < 1 || kp[0] != 'C') break;
        if (k.mv_size <= 6 || (kp[5] != 'r' && kp[5] != 'd')) continue;
        uint32_t db = strata_get_be32(kp + 1);
        const char *name = (const char *)kp + 6;
        size_t nl = k.mv_size - 6;
        if (kp[5] == 'd' && !(nl == 7 && memcmp(name, "default", 7) == 0)) continue;
        tl_rpdb *d = rpcat_at(c, db, &cap);
        if (d == NULL) goto nomem;
        if (kp[5] == 'd') {
            free(d->defname);
            if ((d->defname = dup_bytes(v.mv_data, v.mv_size)) == NULL) goto nomem;
            d->deflen = v.mv_size;
            d->has_default = 1;
            continue;
        }
        tl_rpent *nr = realloc(d->rps, (d->nrps + 1) * sizeof *nr);
        if (nr == NULL) goto nomem;
        d->rps = nr;
        tl_rpent *e = &d->rps[d->nrps];
        memset(e, 0, sizeof *e);
        if ((e->name = dup_bytes(name, nl)) == NULL) goto nomem;
        d->nrps++;
        e->len = nl;
        e->db = db;
        const uint8_t *b = v.mv_data;
        if (v.mv_size != TL_RP_REC_LEN || b[0] != 1) {
            e->bad = 1;
            e->order = UINT64_MAX;
            continue;
        }
        e->replication = strata_get_le32(b + 4);
        e->duration_ns = (int64_t)strata_get_le64(b + 8);
        e->shard_ns = (int64_t)strata_get_le64(b + 16);
        e->ns = strata_get_le32(b + 24);
        e->order = strata_get_le64(b + 32);
        e->expired_before_ns = (int64_t)strata_get_le64(b + 40);
    }
    if (rc && rc != MDB_NOTFOUND) {
        rc = tl_mdb_err(rc, err, "reading the catalog records of meta");
        goto fail;
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; i < c->ndbs; i++) {
        tl_rpdb *d = &c->dbs[i];
        if (d->nrps > 1) qsort(d->rps, d->nrps, sizeof *d->rps, cmp_rpent);
        for (size_t r = 0; r < d->nrps; r++)
            d->rps[r].is_default = d->defname && !d->rps[r].bad && d->rps[r].len == d->deflen &&
                                   memcmp(d->rps[r].name, d->defname, d->deflen) == 0;
    }
    return STRATA_OK;
nomem:
    rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
fail:
    mdb_cursor_close(cur);
    tl_rpcat_fini(c);
    return rc;
}

const tl_rpdb *tl_rpcat_db(const tl_rpcat *c, uint32_t db)
{
    for (size_t i = 0; i < c->ndbs; i++)
        if (c->dbs[i].db == db) return &c->dbs[i];
    return NULL;
}

void tl_rpcat_effective(tl_rpcat *c, uint32_t db, const tl_rpent **v, size_t *n)
{
    const tl_rpdb *d = tl_rpcat_db(c, db);
    if (d && d->has_default) {
        *v = d->rps;
        *n = d->nrps;
        return;
    }
    /* A database from before retention policies (storage/retention.h). */
    tl_rpent *e = &c->implicit;
    memset(e, 0, sizeof *e);
    e->name = (char *)"autogen";
    e->len = 7;
    e->db = db;
    e->replication = 1;
    e->ns = db;
    e->shard_ns = 7 * 86400LL * 1000000000LL;
    e->expired_before_ns = INT64_MIN;
    e->order = 1;
    e->is_default = 1;
    e->implicit = 1;
    *v = e;
    *n = 1;
}

const tl_rpent *tl_rpcat_resolve(tl_rpcat *c, uint32_t db, const char *rp)
{
    const tl_rpent *v;
    size_t n;
    tl_rpcat_effective(c, db, &v, &n);
    for (size_t i = 0; i < n; i++) {
        if (v[i].bad) continue;
        if (rp && rp[0] ? strcmp(v[i].name, rp) == 0 && v[i].len == strlen(rp) : v[i].is_default)
            return &v[i];
    }
    return NULL;
}

int tl_ns_internal(const char *name, size_t len, uint32_t *db, const char **rp, size_t *rplen)
{
    if (len < 4 || name[0] != '\x01') return 0;
    uint64_t id = 0;
    size_t i = 1;
    while (i < len && name[i] >= '0' && name[i] <= '9' && id <= UINT32_MAX)
        id = id * 10 + (uint64_t)(name[i++] - '0');
    if (i == 1 || i >= len || name[i] != '\x01' || id > UINT32_MAX || i + 1 >= len) return 0;
    *db = (uint32_t)id;
    *rp = name + i + 1;
    *rplen = len - i - 1;
    /* "\x01<k>" after the policy's name marks a namespace made when one of
     * the same name was left over (storage/retention.c) */
    const char *sep = memchr(*rp, '\x01', *rplen);
    if (sep) *rplen = (size_t)(sep - *rp);
    return 1;
}
