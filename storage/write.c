/*
 * storage/write.c: the write path. A batch copies points as they come
 * (stg_batch_add needs no lock), then stg_batch_commit, under ingest_mu:
 *   1. resolves each point's series and fields through the writer caches,
 *      falling back to the LMDB index and creating what is new in one write
 *      transaction per batch (committed, and synced, before the WAL record
 *      that refers to the new ids is written);
 *   2. refuses points whose field types conflict (a partial write);
 *   3. encodes the accepted points as one WAL record of resolved ids;
 *   4. appends the record to the WAL;
 * then, under apply_mu (taken before ingest_mu is let go, so that batches
 * reach the heads in WAL order while the next batch goes through 1-4),
 *   5. applies the record to the heads (the same code that replays the WAL
 *      at start);
 * and then, outside any lock, waits for the WAL to be durable, sharing the
 * fsync with concurrent batches (group commit).
 *
 * WAL write record, type 2 (storage/FORMAT.md): varint db, then per point
 *   u64 series, varint zigzag(ts - previous ts), varint nfields, then per
 *   field varint (field id << 3 | type) and the value: 8 bytes for a float,
 *   a zigzag varint for an integer, a varint for an unsigned, one byte for a
 *   boolean, varint length and bytes for a string. About a third of the
 *   fixed-width type 1 (still replayed) on integer data.
 */
#include "storage/engine_int.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "storage/retention.h"

/*
 * The keys of the last point's tags (or fields) and the order order_unique()
 * gave them: consecutive points of a batch nearly always share their keys,
 * and then their order, which costs one comparison a key instead of a sort.
 */
typedef struct key_memo {
    uint8_t *keys; /* per key: u32 length, the bytes, and for fields the type */
    size_t len, cap;
    uint32_t n, m; /* keys of the point, indices kept; n = UINT32_MAX: empty */
    uint32_t *order;
    size_t order_cap;
} key_memo;

struct stg_batch {
    stg_engine *e;
    uint32_t db;
    size_t npoints;
    uint8_t *buf; /* points in the raw form described in batch_add */
    size_t len, cap;
    uint32_t *order; /* scratch for sorting tags and fields */
    size_t order_cap;
    key_memo tag_memo, field_memo;
    stg_tag *tags; /* scratch for commit */
    size_t tags_cap;
    uint8_t *rec; /* the WAL record being built: resolved ids and values */
    size_t rec_len, rec_cap;
    int64_t rec_prev_ts; /* timestamps of a record are coded as deltas */
    int64_t min_ts;      /* oldest timestamp added (retention check) */
    int64_t *groups;     /* shard groups that points inside retention fall in */
    size_t ngroups, groups_cap;
};

int stg_batch_new(stg_engine *e, uint32_t db_id, stg_batch **out)
{
    stg_batch *b = calloc(1, sizeof *b);
    if (b == NULL) return STRATA_ENOMEM;
    b->e = e;
    b->db = db_id;
    b->min_ts = INT64_MAX;
    b->tag_memo.n = b->field_memo.n = UINT32_MAX;
    *out = b;
    return STRATA_OK;
}

void stg_batch_free(stg_batch *b)
{
    if (b == NULL) return;
    free(b->buf);
    free(b->order);
    free(b->tag_memo.keys);
    free(b->tag_memo.order);
    free(b->field_memo.keys);
    free(b->field_memo.order);
    free(b->tags);
    free(b->rec);
    free(b->groups);
    free(b);
}

void stg_batch_reset(stg_batch *b, uint32_t db_id)
{
    b->db = db_id;
    b->len = 0;
    b->npoints = 0;
    b->min_ts = INT64_MAX;
}

size_t stg_batch_count(const stg_batch *b)
{
    return b->npoints;
}

static int reserve(uint8_t **buf, size_t *cap, size_t len, size_t more)
{
    if (len + more <= *cap) return STRATA_OK;
    size_t ncap = *cap ? *cap : 4096;
    while (ncap < len + more)
        ncap *= 2;
    uint8_t *nb = realloc(*buf, ncap);
    if (nb == NULL) return STRATA_ENOMEM;
    *buf = nb;
    *cap = ncap;
    return STRATA_OK;
}

static void put_u32(uint8_t **p, uint32_t v)
{
    memcpy(*p, &v, 4);
    *p += 4;
}

static void put_bytes(uint8_t **p, const void *s, uint32_t n)
{
    put_u32(p, n);
    if (n) memcpy(*p, s, n);
    *p += n;
}

static uint32_t get_u32(const uint8_t **p)
{
    uint32_t v;
    memcpy(&v, *p, 4);
    *p += 4;
    return v;
}

static int keycmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al < bl ? -1 : al > bl);
}

typedef struct sort_ctx {
    const stg_point_in *p;
    int fields;
} sort_ctx;

/* Key order, then input order, so that "the last one wins" is the last of a run. */
static int cmp_order(const void *a, const void *b, void *arg)
{
    const sort_ctx *sc = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c;
    if (sc->fields)
        c = keycmp(sc->p->fields[x].key, sc->p->fields[x].key_len, sc->p->fields[y].key,
                   sc->p->fields[y].key_len);
    else
        c = keycmp(sc->p->tags[x].key, sc->p->tags[x].key_len, sc->p->tags[y].key,
                   sc->p->tags[y].key_len);
    return c ? c : (x < y ? -1 : (x > y));
}

static const char *order_key(const stg_point_in *p, int fields, uint32_t i, uint32_t *len)
{
    *len = fields ? p->fields[i].key_len : p->tags[i].key_len;
    return fields ? p->fields[i].key : p->tags[i].key;
}

/*
 * Put into order the indices of the tags (fields: 1) of p that survive, the
 * last of equal keys winning. Tags come out sorted by key (the canonical
 * order); fields keep their input order. Input that is already in order (the
 * usual case: line protocol parsers sort tags) costs one pass.
 * @return the number of indices kept.
 */
static uint32_t order_unique(const stg_point_in *p, uint32_t n, int fields, uint32_t *order)
{
    sort_ctx sc = {p, fields};
    uint32_t m = 0, la, lb;
    int sorted = 1;

    for (uint32_t i = 0; i < n; i++) {
        order[i] = i;
        if (i > 0 && sorted) {
            const char *ka = order_key(p, fields, i - 1, &la), *kb = order_key(p, fields, i, &lb);
            sorted = keycmp(ka, la, kb, lb) < 0;
        }
    }
    if (sorted) return n;
    if (fields && n <= 32) {
        /* Few fields: drop each one that a later one repeats, keep the order.
         * Keys are compared by hash first: fields are many and rarely repeat. */
        uint64_t hs[32];
        for (uint32_t i = 0; i < n; i++)
            hs[i] = XXH3_64bits(p->fields[i].key, p->fields[i].key_len);
        for (uint32_t i = 0; i < n; i++) {
            const char *ka = order_key(p, 1, i, &la);
            uint32_t j = i + 1;
            for (; j < n; j++) {
                if (hs[j] != hs[i]) continue;
                const char *kb = order_key(p, 1, j, &lb);
                /* A repeat of another type stays: the commit refuses the conflict. */
                if (la == lb && memcmp(ka, kb, la) == 0 && p->fields[i].type == p->fields[j].type)
                    break;
            }
            if (j == n) order[m++] = i;
        }
        return m;
    }
    if (n <= 24) {
        /* Insertion sort: tag sets are small, and this allocates nothing. */
        for (uint32_t i = 1; i < n; i++) {
            uint32_t x = order[i], j = i;
            while (j > 0 && cmp_order(&order[j - 1], &x, &sc) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = x;
        }
    } else {
        qsort_r(order, n, sizeof *order, cmp_order, &sc);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i + 1 < n) {
            const char *ka = order_key(p, fields, order[i], &la);
            const char *kb = order_key(p, fields, order[i + 1], &lb);
            if (keycmp(ka, la, kb, lb) == 0 &&
                (!fields || p->fields[order[i]].type == p->fields[order[i + 1]].type))
                continue;
        }
        order[m++] = order[i];
    }
    return m;
}

/* True when the n tag (fields: 1) keys of p are those remembered in km. */
static int memo_match(const key_memo *km, const stg_point_in *p, uint32_t n, int fields)
{
    if (km->n != n) return 0;
    const uint8_t *q = km->keys;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l, ql;
        const char *k = order_key(p, fields, i, &l);
        memcpy(&ql, q, 4);
        if (ql != l || memcmp(q + 4, k, l) != 0) return 0;
        q += 4 + l;
        if (fields && *q++ != (uint8_t)p->fields[i].type) return 0;
    }
    return 1;
}

/* Remember the keys of p and their order; without memory, remember nothing. */
static void memo_store(key_memo *km, const stg_point_in *p, uint32_t n, int fields,
                       const uint32_t *order, uint32_t m)
{
    size_t need = 0;
    km->n = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l;
        order_key(p, fields, i, &l);
        need += 4 + (size_t)l + (fields ? 1 : 0);
    }
    if (reserve(&km->keys, &km->cap, 0, need) != STRATA_OK) return;
    if (m > km->order_cap) {
        uint32_t *no = realloc(km->order, (size_t)m * sizeof *no);
        if (no == NULL) return;
        km->order = no;
        km->order_cap = m;
    }
    uint8_t *w = km->keys;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l;
        const char *k = order_key(p, fields, i, &l);
        memcpy(w, &l, 4);
        memcpy(w + 4, k, l);
        w += 4 + l;
        if (fields) *w++ = (uint8_t)p->fields[i].type;
    }
    km->len = need;
    if (m) memcpy(km->order, order, (size_t)m * sizeof *order);
    km->m = m;
    km->n = n;
}

/* order_unique() through the memo of the previous point's keys. */
static uint32_t order_memo(key_memo *km, const stg_point_in *p, uint32_t n, int fields,
                           uint32_t *order)
{
    if (memo_match(km, p, n, fields)) {
        if (km->m) memcpy(order, km->order, (size_t)km->m * sizeof *order);
        return km->m;
    }
    uint32_t m = order_unique(p, n, fields, order);
    memo_store(km, p, n, fields, order, m);
    return m;
}

/*
 * Raw point layout in the batch buffer (native byte order, unaligned):
 *   u32 meas_len, meas, u32 ntags, {u32 klen, key, u32 vlen, val} sorted,
 *   u32 nfields, {u32 klen, key, u8 type, u64 val | u32 slen, bytes} sorted,
 *   i64 ts
 */
int stg_batch_add(stg_batch *b, const stg_point_in *p, strata_error *err)
{
    size_t need = 4 + p->meas_len + 4 + 4 + 8;
    uint32_t nt, nf, *tord, *ford;

    if (p->meas_len == 0) return strata_error_set(err, STRATA_EINVAL, "missing measurement name");
    if (p->nfields == 0)
        return strata_error_set(err, STRATA_EINVAL, "point of measurement \"%.*s\" has no fields",
                                (int)p->meas_len, p->meas);
    size_t norder = (size_t)p->ntags + p->nfields;
    if (norder > b->order_cap) {
        uint32_t *no = realloc(b->order, norder * sizeof *no);
        if (no == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        b->order = no;
        b->order_cap = norder;
    }
    tord = b->order;
    ford = b->order + p->ntags;
    nt = order_memo(&b->tag_memo, p, p->ntags, 0, tord);
    nf = order_memo(&b->field_memo, p, p->nfields, 1, ford);
    /* "time" names the timestamp in InfluxQL: as InfluxDB does, a field of
     * that name is dropped (the point too if nothing else is left) and a tag
     * of that name refuses the point. */
    uint32_t kept_f = 0;
    for (uint32_t i = 0; i < nf; i++) {
        const stg_field_in *f = &p->fields[ford[i]];
        if (f->key_len == 4 && memcmp(f->key, "time", 4) == 0) continue;
        ford[kept_f++] = ford[i];
    }
    if (kept_f == 0)
        return strata_error_set(err, STRATA_EINVAL,
                                "invalid field name: input field \"time\" on measurement "
                                "\"%.*s\" is invalid",
                                (int)p->meas_len, p->meas);
    nf = kept_f;
    for (uint32_t i = 0; i < nt; i++) {
        const stg_tag *t = &p->tags[tord[i]];
        if (t->key_len == 4 && memcmp(t->key, "time", 4) == 0)
            return strata_error_set(err, STRATA_EINVAL,
                                    "invalid tag key: input tag \"time\" on measurement "
                                    "\"%.*s\" is invalid",
                                    (int)p->meas_len, p->meas);
        if (t->key_len == 0)
            return strata_error_set(err, STRATA_EINVAL, "empty tag key in measurement \"%.*s\"",
                                    (int)p->meas_len, p->meas);
        need += 8 + t->key_len + t->val_len;
    }
    for (uint32_t i = 0; i < nf; i++) {
        const stg_field_in *f = &p->fields[ford[i]];
        if (f->key_len == 0)
            return strata_error_set(err, STRATA_EINVAL, "empty field key in measurement \"%.*s\"",
                                    (int)p->meas_len, p->meas);
        if (f->type < STG_FLOAT || f->type > STG_STRING)
            return strata_error_set(err, STRATA_EINVAL, "field \"%.*s\": unknown type %d",
                                    (int)f->key_len, f->key, (int)f->type);
        if (f->type == STG_STRING && f->str_len > STG_STRING_MAX)
            return strata_error_set(err, STRATA_EINVAL,
                                    "field \"%.*s\": string of %u bytes is longer than %u",
                                    (int)f->key_len, f->key, f->str_len, STG_STRING_MAX);
        need += 4 + f->key_len + 1 + (f->type == STG_STRING ? 4 + f->str_len : 8);
    }
    if (reserve(&b->buf, &b->cap, b->len, need) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    uint8_t *w = b->buf + b->len;
    put_bytes(&w, p->meas, p->meas_len);
    uint8_t *ntp = w;
    w += 4;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < nt; i++) {
        const stg_tag *t = &p->tags[tord[i]];
        if (t->val_len == 0) continue; /* a tag with an empty value is no tag, as in InfluxDB */
        put_bytes(&w, t->key, t->key_len);
        put_bytes(&w, t->val, t->val_len);
        kept++;
    }
    memcpy(ntp, &kept, 4);
    put_u32(&w, nf);
    for (uint32_t i = 0; i < nf; i++) {
        const stg_field_in *f = &p->fields[ford[i]];
        put_bytes(&w, f->key, f->key_len);
        *w++ = (uint8_t)f->type;
        if (f->type == STG_STRING) {
            put_bytes(&w, f->str, f->str_len);
        } else {
            uint64_t v = f->val;
            if (f->type == STG_BOOL) v = v != 0;
            memcpy(w, &v, 8);
            w += 8;
        }
    }
    memcpy(w, &p->ts_ns, 8);
    w += 8;
    b->len = (size_t)(w - b->buf);
    b->npoints++;
    if (p->ts_ns < b->min_ts) b->min_ts = p->ts_ns;
    return STRATA_OK;
}

/* ---- caches ---- */

static void meas_free(void *p)
{
    stg__meas *m = p;
    for (uint32_t i = 0; i < m->nfields; i++)
        free(m->fields[i].name);
    free(m->fields);
    free(m->name);
    free(m);
}

void stg__caches_clear(stg_engine *e)
{
    stg__strmap_clear(&e->series, free);
    stg__strmap_clear(&e->meas, meas_free);
}

typedef struct name_key {
    uint32_t db;
    const char *s;
    uint32_t len;
} name_key;

static int series_eq(const void *item, const void *ctx)
{
    const stg__series *s = item;
    const name_key *k = ctx;
    return s->db == k->db && s->key_len == k->len && memcmp(s->key, k->s, k->len) == 0;
}

static int meas_eq(const void *item, const void *ctx)
{
    const stg__meas *m = item;
    const name_key *k = ctx;
    return m->db == k->db && m->name_len == k->len && memcmp(m->name, k->s, k->len) == 0;
}

static uint64_t name_hash(uint32_t db, const char *s, size_t len)
{
    return XXH3_64bits_withSeed(s, len, db);
}

static int meas_field_add(stg__meas *m, const char *name, size_t len, uint32_t id, stg_type t,
                          uint64_t created_in)
{
    if (m->nfields == m->cap) {
        uint32_t ncap = m->cap ? m->cap * 2 : 8;
        stg__mfield *nf = realloc(m->fields, ncap * sizeof *nf);
        if (nf == NULL) return STRATA_ENOMEM;
        m->fields = nf;
        m->cap = ncap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) return STRATA_ENOMEM;
    memcpy(copy, name, len);
    copy[len] = '\0';
    m->fields[m->nfields++] = (stg__mfield){copy, (uint32_t)len, id, t, created_in};
    return STRATA_OK;
}

static int load_field_cb(void *ctx, const char *f, size_t fl, uint32_t fid, stg_type t)
{
    return meas_field_add(ctx, f, fl, fid, t, 0) == STRATA_OK ? 0 : STRATA_ENOMEM;
}

/* The cached measurement, loading it from the index (txn) on a miss. */
static stg__meas *meas_get(stg_engine *e, MDB_txn *txn, uint32_t db, const char *name, uint32_t len,
                           strata_error *err)
{
    name_key k = {db, name, len};
    uint64_t h = name_hash(db, name, len);
    stg__meas *m = stg__strmap_get(&e->meas, h, meas_eq, &k);
    if (m != NULL) return m;
    uint32_t mid;
    int rc = stg_index_meas_lookup(e->idx, txn, db, name, len, &mid);
    if (rc != STRATA_OK) {
        strata_error_set(err, rc, "measurement \"%.*s\" missing from the index after its series",
                         (int)len, name);
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL || (m->name = malloc(len + 1)) == NULL) {
        free(m);
        strata_error_set(err, STRATA_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(m->name, name, len);
    m->name[len] = '\0';
    m->name_len = len;
    m->db = db;
    m->id = mid;
    rc = stg_index_field_list(e->idx, txn, db, mid, load_field_cb, m);
    if (rc != STRATA_OK || stg__strmap_put(&e->meas, h, m) != STRATA_OK) {
        meas_free(m);
        strata_error_set(err, rc ? rc : STRATA_ENOMEM, "loading fields of \"%.*s\" failed",
                         (int)len, name);
        return NULL;
    }
    return m;
}

/* ---- commit ---- */

typedef struct resolver {
    stg_engine *e;
    uint32_t db;
    MDB_txn *rtxn, *wtxn;
} resolver;

static int resolver_txn(resolver *r, int write, MDB_txn **out, strata_error *err)
{
    int rc;
    if (r->wtxn) {
        *out = r->wtxn;
        return STRATA_OK;
    }
    if (!write) {
        if (r->rtxn == NULL) {
            rc = mdb_txn_begin(r->e->env, NULL, MDB_RDONLY, &r->rtxn);
            if (rc) return stg__mdb_err(rc, err, "beginning a read transaction");
        }
        *out = r->rtxn;
        return STRATA_OK;
    }
    if (r->rtxn) {
        mdb_txn_abort(r->rtxn);
        r->rtxn = NULL;
    }
    rc = mdb_txn_begin(r->e->env, NULL, 0, &r->wtxn);
    if (rc) return stg__mdb_err(rc, err, "beginning a write transaction");
    *out = r->wtxn;
    return STRATA_OK;
}

static void resolver_end(resolver *r)
{
    if (r->rtxn) mdb_txn_abort(r->rtxn);
    if (r->wtxn) mdb_txn_abort(r->wtxn);
    r->rtxn = r->wtxn = NULL;
}

/* Parsed view of one raw point. */
typedef struct raw_point {
    const uint8_t *ident; /* measurement and tags in raw form: the series' identity */
    size_t ident_len;
    const char *meas;
    uint32_t meas_len, ntags, nfields;
    const uint8_t *fields; /* start of the field list */
    int64_t ts;
    const uint8_t *end;
} raw_point;

static const uint8_t *raw_parse(stg_batch *b, const uint8_t *p, raw_point *rp)
{
    rp->ident = p;
    rp->meas_len = get_u32(&p);
    rp->meas = (const char *)p;
    p += rp->meas_len;
    rp->ntags = get_u32(&p);
    if (rp->ntags > b->tags_cap) {
        stg_tag *nt = realloc(b->tags, rp->ntags * sizeof *nt);
        if (nt == NULL) return NULL;
        b->tags = nt;
        b->tags_cap = rp->ntags;
    }
    for (uint32_t i = 0; i < rp->ntags; i++) {
        b->tags[i].key_len = get_u32(&p);
        b->tags[i].key = (const char *)p;
        p += b->tags[i].key_len;
        b->tags[i].val_len = get_u32(&p);
        b->tags[i].val = (const char *)p;
        p += b->tags[i].val_len;
    }
    rp->ident_len = (size_t)(p - rp->ident);
    rp->nfields = get_u32(&p);
    rp->fields = p;
    for (uint32_t i = 0; i < rp->nfields; i++) {
        uint32_t kl = get_u32(&p);
        p += kl;
        uint8_t t = *p++;
        if (t == STG_STRING)
            p += get_u32(&p);
        else
            p += 8;
    }
    memcpy(&rp->ts, p, 8);
    p += 8;
    rp->end = p;
    return p;
}

/*
 * The series of a raw point. The writer cache is keyed by the point's raw
 * measurement and tags (already in canonical order), so that a known series
 * costs one hash and one compare; the canonical key is built only on a miss.
 * @return STRATA_OK (*out set), STRATA_EINVAL (the point is refused: its key
 *         is invalid, err says why), or a fatal code.
 */
static int series_resolve(stg_batch *b, resolver *r, const raw_point *rp, stg__series **out,
                          strata_error *err)
{
    stg_engine *e = b->e;
    name_key k = {b->db, (const char *)rp->ident, (uint32_t)rp->ident_len};
    uint64_t h = name_hash(b->db, k.s, k.len);
    stg__series *s = stg__strmap_get(&e->series, h, series_eq, &k);
    if (s != NULL) {
        *out = s;
        return STRATA_OK;
    }

    size_t klen =
        stg_series_key_build(rp->meas, rp->meas_len, b->tags, rp->ntags, e->keybuf, e->keybuf_cap);
    if (klen == 0)
        return stg_series_key_check(rp->meas, rp->meas_len, b->tags, rp->ntags, err) == STRATA_OK
                   ? strata_error_set(err, STRATA_EINVAL, "invalid series key")
                   : STRATA_EINVAL;
    if (klen > e->keybuf_cap) {
        char *nk = realloc(e->keybuf, klen + 256);
        if (nk == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        e->keybuf = nk;
        e->keybuf_cap = klen + 256;
        stg_series_key_build(rp->meas, rp->meas_len, b->tags, rp->ntags, e->keybuf, e->keybuf_cap);
    }

    MDB_txn *txn = NULL;
    uint64_t id;
    int rc = resolver_txn(r, 0, &txn, err), created = 0;
    if (rc != STRATA_OK) return rc;
    rc = stg_index_series_lookup(e->idx, txn, b->db, e->keybuf, klen, &id);
    if (rc == STRATA_ENOTFOUND) {
        rc = resolver_txn(r, 1, &txn, err);
        if (rc != STRATA_OK) return rc;
        rc = stg_index_series_ensure(e->idx, txn, b->db, rp->meas, rp->meas_len, b->tags, rp->ntags,
                                     &id, &created, err);
    }
    if (rc != STRATA_OK) {
        if (err && err->code != rc)
            strata_error_set(err, rc, "series lookup failed: %s", strata_strerror(rc));
        return rc == STRATA_EINVAL ? STRATA_EINTERNAL : rc;
    }
    stg__meas *m = meas_get(e, txn, b->db, rp->meas, rp->meas_len, err);
    if (m == NULL) return err ? err->code : STRATA_EIO;
    s = malloc(sizeof *s + rp->ident_len);
    if (s == NULL || stg__strmap_put(&e->series, h, s) != STRATA_OK) {
        free(s);
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    }
    s->hash = h;
    s->id = id;
    s->db = b->db;
    s->key_len = (uint32_t)rp->ident_len;
    s->meas = m;
    memcpy(s->key, rp->ident, rp->ident_len);
    *out = s;
    return STRATA_OK;
}

/*
 * Find or create a field of m. *hint is where to look first (the point's
 * previous field plus one: points of a measurement usually list their fields
 * in the same order), updated on a hit. @return the field, NULL on error
 * (err set).
 */
static stg__mfield *field_resolve(stg_engine *e, resolver *r, stg__meas *m, const char *key,
                                  uint32_t klen, stg_type type, uint32_t *hint, strata_error *err)
{
    uint32_t h = *hint;
    if (h < m->nfields && m->fields[h].len == klen && memcmp(m->fields[h].name, key, klen) == 0) {
        *hint = h + 1;
        return &m->fields[h];
    }
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].len == klen && memcmp(m->fields[i].name, key, klen) == 0) {
            *hint = i + 1;
            return &m->fields[i];
        }
    MDB_txn *txn = NULL;
    uint32_t fid;
    int rc = resolver_txn(r, 1, &txn, err);
    if (rc != STRATA_OK) return NULL;
    rc = stg_index_field_ensure(e->idx, txn, m->db, m->id, key, klen, type, &fid, err);
    if (rc != STRATA_OK) return NULL;
    if (meas_field_add(m, key, klen, fid, type, e->commit_gen) != STRATA_OK) {
        strata_error_set(err, STRATA_ENOMEM, "out of memory");
        return NULL;
    }
    *hint = m->nfields;
    return &m->fields[m->nfields - 1];
}

static void refuse(stg_write_result *res, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(stg_write_result *res, int code, const char *fmt, ...)
{
    res->points_rejected++;
    if (res->first_code != STRATA_OK) return;
    va_list ap;
    va_start(ap, fmt);
    strata_error tmp;
    strata_error_setv(&tmp, code, fmt, ap);
    va_end(ap);
    res->first_code = code;
    memcpy(res->first_error, tmp.msg, sizeof res->first_error);
}

/* Encode one accepted point into the WAL record buffer (type 2). */
static int encode_point(stg_batch *b, const stg__series *s, const raw_point *rp,
                        const uint32_t *fids)
{
    const uint8_t *p = rp->fields;
    /* Per field at most 5 bytes of id and type and 10 of value, or a string's
     * 5 bytes of length: bounded by the raw form plus 16 bytes a field. */
    size_t need = 8 + 2 * STRATA_VARINT_MAX + (size_t)(rp->end - rp->fields) + 16 * rp->nfields;
    if (reserve(&b->rec, &b->rec_cap, b->rec_len, need) != STRATA_OK) return STRATA_ENOMEM;
    uint8_t *w = b->rec + b->rec_len;
    memcpy(w, &s->id, 8);
    w += 8;
    w += strata_varint_put(w,
                           strata_zigzag64((int64_t)((uint64_t)rp->ts - (uint64_t)b->rec_prev_ts)));
    b->rec_prev_ts = rp->ts;
    w += strata_varint_put(w, rp->nfields);
    for (uint32_t i = 0; i < rp->nfields; i++) {
        uint32_t kl = get_u32(&p);
        p += kl;
        uint8_t t = *p++;
        w += strata_varint_put(w, (uint64_t)fids[i] << 3 | t);
        if (t == STG_STRING) {
            uint32_t sl = get_u32(&p);
            w += strata_varint_put(w, sl);
            memcpy(w, p, sl);
            w += sl;
            p += sl;
            continue;
        }
        uint64_t v;
        memcpy(&v, p, 8);
        p += 8;
        switch (t) {
        case STG_INT:
            w += strata_varint_put(w, strata_zigzag64((int64_t)v));
            break;
        case STG_UINT:
            w += strata_varint_put(w, v);
            break;
        case STG_BOOL:
            *w++ = v != 0;
            break;
        default:
            memcpy(w, &v, 8);
            w += 8;
            break;
        }
    }
    b->rec_len = (size_t)(w - b->rec);
    return STRATA_OK;
}

/* Start a type-2 record for database DB in the batch's record buffer. */
static int record_start(stg_batch *b)
{
    b->rec_len = 0;
    b->rec_prev_ts = 0;
    if (reserve(&b->rec, &b->rec_cap, 0, STRATA_VARINT_MAX) != STRATA_OK) return STRATA_ENOMEM;
    b->rec_len = strata_varint_put(b->rec, b->db);
    return STRATA_OK;
}

/* One field value of a write record, parsed. */
typedef struct apply_val {
    stg__column *col;
    uint64_t val;
    const uint8_t *str;
    uint32_t slen, fid;
    uint8_t type;
} apply_val;

/* Fields are applied in windows: look up and prefetch every column of the
 * window first, then append, so that the cache misses of thousands of heads
 * overlap instead of queueing one behind the other. */
#define APPLY_WINDOW 32

/* A write record being read: type 1 (fixed width) or 2 (varints). */
typedef struct rec_reader {
    const uint8_t *p, *end;
    int v2;
    int64_t ts; /* the current point's timestamp (type 2: the base of the next delta) */
} rec_reader;

static int rd_varint(rec_reader *r, uint64_t *v)
{
    size_t n = strata_varint_get(r->p, r->end, v);
    r->p += n;
    return n ? 0 : -1;
}

/* Read a point's series, timestamp and field count. @return 0, or -1 when malformed. */
static int rd_point(rec_reader *r, uint64_t *series, uint32_t *nf)
{
    if (r->end - r->p < (r->v2 ? 10 : 20)) return -1;
    memcpy(series, r->p, 8);
    r->p += 8;
    if (!r->v2) {
        memcpy(&r->ts, r->p, 8);
        memcpy(nf, r->p + 8, 4);
        r->p += 12;
        return 0;
    }
    uint64_t d, n;
    if (rd_varint(r, &d) || rd_varint(r, &n) || n > UINT32_MAX) return -1;
    r->ts = (int64_t)((uint64_t)r->ts + (uint64_t)strata_unzigzag64(d));
    *nf = (uint32_t)n;
    return 0;
}

/* Read one field value into V (col not set). @return 0, or -1 when malformed. */
static int rd_field(rec_reader *r, apply_val *v)
{
    v->slen = 0;
    v->val = 0;
    v->str = NULL;
    if (!r->v2) {
        if (r->end - r->p < 5) return -1;
        memcpy(&v->fid, r->p, 4);
        v->type = r->p[4];
        r->p += 5;
        if (v->type == STG_STRING) {
            if (r->end - r->p < 4) return -1;
            memcpy(&v->slen, r->p, 4);
            if ((size_t)(r->end - r->p) - 4 < v->slen || v->slen > STG_STRING_MAX) return -1;
            v->str = r->p + 4;
            r->p += 4 + v->slen;
            return 0;
        }
        if (v->type < STG_FLOAT || v->type > STG_BOOL || r->end - r->p < 8) return -1;
        memcpy(&v->val, r->p, 8);
        r->p += 8;
        return v->type == STG_BOOL && v->val > 1 ? -1 : 0;
    }
    uint64_t tag, x;
    if (rd_varint(r, &tag) || (tag >> 3) > UINT32_MAX) return -1;
    v->fid = (uint32_t)(tag >> 3);
    v->type = (uint8_t)(tag & 7);
    switch (v->type) {
    case STG_FLOAT:
        if (r->end - r->p < 8) return -1;
        memcpy(&v->val, r->p, 8);
        r->p += 8;
        return 0;
    case STG_INT:
        if (rd_varint(r, &x)) return -1;
        v->val = (uint64_t)strata_unzigzag64(x);
        return 0;
    case STG_UINT:
        return rd_varint(r, &v->val);
    case STG_BOOL:
        if (r->p >= r->end || *r->p > 1) return -1;
        v->val = *r->p++;
        return 0;
    case STG_STRING:
        if (rd_varint(r, &x) || x > (uint64_t)(r->end - r->p) || x > STG_STRING_MAX) return -1;
        v->slen = (uint32_t)x;
        v->str = r->p;
        r->p += x;
        return 0;
    default:
        return -1;
    }
}

int stg__write_record_check(uint8_t type, const uint8_t *rec, size_t len, uint64_t *points,
                            uint64_t *values)
{
    rec_reader r = {rec, rec + len, type == STG__REC_WRITE2, 0};
    uint64_t d, np = 0, nv = 0;
    apply_val v;
    if (type != STG__REC_WRITE && type != STG__REC_WRITE2) return STRATA_ECORRUPT;
    if (r.v2 ? rd_varint(&r, &d) || d > UINT32_MAX : len < 4) return STRATA_ECORRUPT;
    if (!r.v2) r.p += 4;
    while (r.p < r.end) {
        uint64_t series;
        uint32_t nf;
        if (rd_point(&r, &series, &nf)) return STRATA_ECORRUPT;
        for (uint32_t i = 0; i < nf; i++)
            if (rd_field(&r, &v)) return STRATA_ECORRUPT;
        np++;
        nv += nf;
    }
    if (points) *points = np;
    if (values) *values = nv;
    return STRATA_OK;
}

int stg__apply_write(stg_engine *e, uint8_t type, const uint8_t *rec, size_t len, strata_error *err)
{
    rec_reader r = {rec, rec + len, type == STG__REC_WRITE2, 0};
    uint32_t db;
    uint64_t values = 0, points = 0;
    apply_val w[APPLY_WINDOW];

    if (r.v2) {
        uint64_t d;
        if (rd_varint(&r, &d) || d > UINT32_MAX) goto corrupt;
        db = (uint32_t)d;
    } else {
        if (len < 4)
            return strata_error_set(err, STRATA_ECORRUPT, "write record of %zu bytes is too short",
                                    len);
        db = get_u32(&r.p);
    }
    while (r.p < r.end) {
        uint64_t series;
        uint32_t nf;
        if (rd_point(&r, &series, &nf)) goto corrupt;
        for (uint32_t done = 0; done < nf;) {
            uint32_t n = nf - done < APPLY_WINDOW ? nf - done : APPLY_WINDOW;
            /* Three passes over the window so that its cache misses overlap: the map's
             * slots, then the columns they point to, then the lookups themselves. */
            size_t slot[APPLY_WINDOW];
            for (uint32_t i = 0; i < n; i++) {
                if (rd_field(&r, &w[i])) goto corrupt;
                slot[i] = stg__colmap_slot(&e->cols, db, series, w[i].fid);
                __builtin_prefetch(&e->cols.slots[slot[i]]);
            }
            for (uint32_t i = 0; i < n; i++) {
                const stg__column *c = e->cols.slots[slot[i]];
                if (c) __builtin_prefetch(c);
            }
            for (uint32_t i = 0; i < n; i++) {
                apply_val *v = &w[i];
                v->col = stg__colmap_get_at(&e->cols, slot[i], db, series, v->fid);
                if (v->col == NULL) {
                    v->col = stg__column_get_or_new(e, db, series, v->fid, (stg_type)v->type);
                    if (v->col == NULL)
                        return strata_error_set(err, STRATA_ENOMEM,
                                                "out of memory creating a column");
                    /* the map may have grown: the slots of the rest are stale */
                    for (uint32_t j = i + 1; j < n; j++)
                        slot[j] = stg__colmap_slot(&e->cols, db, series, w[j].fid);
                }
            }
            for (uint32_t i = 0; i < n; i++) {
                const uint8_t *h = stg_stream_data(&w[i].col->head);
                if (h) __builtin_prefetch(h + stg_stream_bytes(&w[i].col->head), 1);
            }
            for (uint32_t i = 0; i < n; i++) {
                apply_val *v = &w[i];
                if (v->col->type != v->type) {
                    strata_log(e->log, STRATA_LOG_WARN, "engine",
                               "skipping a %s value for series %016llx field %u stored as %s",
                               stg_type_name((stg_type)v->type), (unsigned long long)series, v->fid,
                               stg_type_name((stg_type)v->col->type));
                    continue;
                }
                int rc = stg__column_append(e, v->col, r.ts, v->val, v->str, v->slen, err);
                if (rc != STRATA_OK) return rc;
                values++;
            }
            done += n;
        }
        points++;
    }
    e->stats.points_written += points;
    e->stats.values_written += values;
    return STRATA_OK;
corrupt:
    return strata_error_set(err, STRATA_ECORRUPT, "write record is malformed at byte %zu",
                            (size_t)(r.p - rec));
}

static void wait_for_room(stg_engine *e)
{
    if (!e->thread_started) return;
    pthread_mutex_lock(&e->stats_mu);
    int waited = 0;
    while (!e->stopping &&
           __atomic_load_n(&e->pending_bytes, __ATOMIC_RELAXED) > 2 * e->opt.checkpoint_bytes &&
           waited < 10) {
        pthread_cond_signal(&e->wake);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&e->drained, &e->stats_mu, &ts);
        waited++;
    }
    pthread_mutex_unlock(&e->stats_mu);
}

/*
 * InfluxDB drops a point older than now - duration of its retention policy,
 * unless a point of the same batch inside the duration opened the same
 * shard group. Returns the oldest timestamp kept without that rescue
 * (INT64_MIN when nothing can be dropped) and fills b->groups.
 */
static int64_t retention_limit(stg_batch *b, int64_t *shard_ns)
{
    int64_t dur;
    stg__rp_limits(b->e, b->db, &dur, shard_ns);
    b->ngroups = 0;
    if (dur <= 0) return INT64_MIN;
    int64_t lim = strata_now_ns() - dur;
    if (b->min_ts >= lim) return INT64_MIN;
    raw_point rp;
    for (const uint8_t *p = b->buf, *end = b->buf + b->len; p < end; p = rp.end) {
        if (raw_parse(b, p, &rp) == NULL) return INT64_MIN; /* out of memory: keep all */
        if (rp.ts < lim) continue;
        int64_t g = stg_rp_group_start(rp.ts, *shard_ns);
        size_t i = 0;
        while (i < b->ngroups && b->groups[i] != g)
            i++;
        if (i < b->ngroups) continue;
        if (b->ngroups == b->groups_cap) {
            size_t nc = b->groups_cap ? b->groups_cap * 2 : 8;
            int64_t *ng = realloc(b->groups, nc * sizeof *ng);
            if (ng == NULL) return INT64_MIN;
            b->groups = ng;
            b->groups_cap = nc;
        }
        b->groups[b->ngroups++] = g;
    }
    return lim;
}

static int in_open_group(const stg_batch *b, int64_t ts, int64_t shard_ns)
{
    int64_t g = stg_rp_group_start(ts, shard_ns);
    for (size_t i = 0; i < b->ngroups; i++)
        if (b->groups[i] == g) return 1;
    return 0;
}

int stg_batch_commit(stg_batch *b, stg_write_result *res, strata_error *err)
{
    stg_engine *e = b->e;
    resolver r = {e, b->db, NULL, NULL};
    uint32_t *fields = NULL; /* field ids of the point (ids, not pointers: the cache may grow) */
    size_t fields_cap = 0;
    uint64_t lsn = 0;
    int rc = STRATA_OK, have = 0;

    strata_error local;
    if (err == NULL) err = &local;
    memset(res, 0, sizeof *res);
    if (b->npoints == 0) return STRATA_OK;
    if (__atomic_load_n(&e->full, __ATOMIC_RELAXED)) {
        b->len = 0;
        b->npoints = 0;
        b->min_ts = INT64_MAX;
        return strata_error_set(err, STRATA_EFULL,
                                "the store is full: the last checkpoint could not write to LMDB "
                                "(map size used up or disk full); writes are refused until "
                                "space is freed or the map size is raised");
    }
    int64_t shard_ns, keep_from = retention_limit(b, &shard_ns);
    wait_for_room(e);
    pthread_mutex_lock(&e->ingest_mu);
    e->commit_gen++;
    if (record_start(b) != STRATA_OK) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto fail;
    }

    const uint8_t *p = b->buf, *end = b->buf + b->len;
    while (p < end) {
        raw_point rp;
        if (raw_parse(b, p, &rp) == NULL) {
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
            goto fail;
        }
        p = rp.end;
        if (rp.ts < keep_from && !in_open_group(b, rp.ts, shard_ns)) {
            res->points_expired++;
            continue;
        }
        stg__series *s = NULL;
        rc = series_resolve(b, &r, &rp, &s, err);
        if (rc == STRATA_EINVAL) {
            refuse(res, rc, "%s", err ? err->msg : "invalid series key");
            rc = STRATA_OK;
            continue;
        }
        if (rc != STRATA_OK) goto fail;
        if (rp.nfields > fields_cap) {
            uint32_t *nf = realloc(fields, rp.nfields * sizeof *nf);
            if (nf == NULL) {
                rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                goto fail;
            }
            fields = nf;
            fields_cap = rp.nfields;
        }
        const uint8_t *fp = rp.fields;
        int ok = 1;
        uint32_t hint = 0;
        for (uint32_t i = 0; i < rp.nfields && ok; i++) {
            uint32_t kl = get_u32(&fp);
            const char *key = (const char *)fp;
            fp += kl;
            uint8_t t = *fp++;
            if (t == STG_STRING)
                fp += get_u32(&fp);
            else
                fp += 8;
            stg__mfield *f = field_resolve(e, &r, s->meas, key, kl, (stg_type)t, &hint, err);
            if (f == NULL) {
                rc = err ? err->code : STRATA_EIO;
                goto fail;
            }
            if (f->type != t && f->created_in == e->commit_gen) {
                /* Two points of this batch give a new field two types: as
                 * InfluxDB does, the whole batch is refused. */
                rc = strata_error_set(err, STRATA_ETYPE, "field type conflict");
                goto fail;
            }
            if (f->type != t) {
                refuse(res, STRATA_ETYPE,
                       "field type conflict: input field \"%.*s\" on measurement \"%.*s\" is "
                       "type %s, already exists as type %s",
                       (int)kl, key, (int)rp.meas_len, rp.meas, stg_type_name((stg_type)t),
                       stg_type_name(f->type));
                ok = 0;
            }
            fields[i] = f->id;
        }
        if (!ok) continue;
        if (encode_point(b, s, &rp, fields) != STRATA_OK) {
            rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
            goto fail;
        }
        res->points_written++;
        have = 1;
    }
    if (r.wtxn) {
        int mrc = mdb_txn_commit(r.wtxn);
        r.wtxn = NULL;
        if (mrc) {
            rc = stg__mdb_err(mrc, err, "committing new series and fields");
            goto fail;
        }
    }
    resolver_end(&r);
    if (have) {
        rc = stg_wal_append(e->wal, STG__REC_WRITE2, b->rec, b->rec_len, &lsn, err);
        if (rc != STRATA_OK) goto fail;
        /*
         * Hand over: take apply_mu before letting the next batch in, so that
         * batches reach the heads in WAL order, while the next one resolves
         * and logs as this one applies (two cores, two stages).
         */
        pthread_mutex_lock(&e->apply_mu);
        pthread_mutex_unlock(&e->ingest_mu);
        pthread_rwlock_wrlock(&e->heads_rw);
        rc = stg__apply_write(e, STG__REC_WRITE2, b->rec, b->rec_len, err);
        e->stats.points_rejected += res->points_rejected;
        pthread_rwlock_unlock(&e->heads_rw);
        pthread_mutex_unlock(&e->apply_mu);
        if (rc != STRATA_OK) {
            /* Logged but not applied: only memory ran out; the WAL has it. */
            free(fields);
            b->len = 0;
            b->npoints = 0;
            b->min_ts = INT64_MAX;
            return rc;
        }
    } else {
        pthread_mutex_unlock(&e->ingest_mu);
    }
    free(fields);
    b->len = 0;
    b->npoints = 0;
    b->min_ts = INT64_MAX;
    if (have) return stg_wal_sync(e->wal, lsn, err);
    return STRATA_OK;
fail:
    resolver_end(&r);
    /* The caches may name series or fields whose creation was rolled back. */
    stg__caches_clear(e);
    pthread_mutex_unlock(&e->ingest_mu);
    free(fields);
    b->len = 0;
    b->npoints = 0;
    b->min_ts = INT64_MAX;
    res->points_written = 0;
    return rc;
}
