/*
 * storage/index_batch.c: creating many series in one call
 * (stg_index_series_ensure_batch), the bulk path of the series index.
 *
 * One series at a time costs about fifteen B-tree searches from the root,
 * at random places (ids are hashes). A batch instead:
 *   1. builds and hashes every key, sorts them by hash (duplicates end up
 *      adjacent and are folded into their first occurrence);
 *   2. looks each up, then inserts the new records in id order through one
 *      cursor, so consecutive inserts land on the same or the next page;
 *   3. resolves measurement and tag key ids through small per-call caches
 *      (safe: they die with the call, so an aborted transaction cannot
 *      leave stale ids behind);
 *   4. gathers every (posting key, id), sorts them and writes each posting
 *      key once with all its new ids (MDB_MULTIPLE).
 * The result is the same index content as calling stg_index_series_ensure()
 * for each input in order; tests compare both paths against one model.
 */
#include <stdlib.h>
#include <string.h>

#include "storage/index_int.h"

typedef struct bent {
    uint64_t h, id;
    size_t off;    /* series record in b_arena: u32 mid then key */
    uint32_t klen; /* key length */
    uint32_t in;   /* index of the input */
    int state;     /* BENT_* */
} bent;

enum { BENT_NEW = 0, BENT_EXISTS = 1, BENT_DUP = 2 };

typedef struct bpost {
    size_t koff; /* key in b_pkeys */
    uint32_t klen;
    uint64_t id;
} bpost;

#define MEAS_CACHE 16
#define TAGK_CACHE 64

typedef struct bcache {
    struct {
        const char *name;
        size_t len;
        uint32_t mid;
    } meas[MEAS_CACHE];
    size_t nmeas, meas_next;
    struct {
        uint32_t mid, tkid;
        const char *key;
        size_t len;
    } tagk[TAGK_CACHE];
    size_t ntagk, tagk_next;
} bcache;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (q == NULL) return STRATA_ENOMEM;
    *p = q;
    *cap = c;
    return STRATA_OK;
}

static int bent_cmp(const void *a, const void *b, void *arena)
{
    const bent *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    if (x->klen != y->klen) return x->klen < y->klen ? -1 : 1;
    int c = memcmp((uint8_t *)arena + x->off + 4, (uint8_t *)arena + y->off + 4, x->klen);
    if (c != 0) return c;
    return (x->in > y->in) - (x->in < y->in);
}

static int bpost_cmp(const void *a, const void *b, void *keys)
{
    const bpost *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp((uint8_t *)keys + x->koff, (uint8_t *)keys + y->koff, n);
    if (c != 0) return c;
    if (x->klen != y->klen) return x->klen < y->klen ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cached_meas(stg_index *idx, MDB_txn *w, uint32_t db, bcache *c, const char *m, size_t ml,
                       uint32_t *mid, strata_error *err)
{
    for (size_t i = 0; i < c->nmeas; i++)
        if (c->meas[i].len == ml && memcmp(c->meas[i].name, m, ml) == 0) {
            *mid = c->meas[i].mid;
            return STRATA_OK;
        }
    int rc = stg__idx_meas_ensure(idx, w, db, m, ml, mid, err);
    if (rc != 0) return rc;
    size_t slot = c->nmeas < MEAS_CACHE ? c->nmeas++ : (c->meas_next++ % MEAS_CACHE);
    c->meas[slot].name = m;
    c->meas[slot].len = ml;
    c->meas[slot].mid = *mid;
    return STRATA_OK;
}

static int cached_tagk(stg_index *idx, MDB_txn *w, uint32_t db, bcache *c, uint32_t mid,
                       const char *k, size_t kl, uint32_t *tkid, strata_error *err)
{
    for (size_t i = 0; i < c->ntagk; i++)
        if (c->tagk[i].mid == mid && c->tagk[i].len == kl && memcmp(c->tagk[i].key, k, kl) == 0) {
            *tkid = c->tagk[i].tkid;
            return STRATA_OK;
        }
    int rc = stg__idx_tagk_get(idx, w, 1, db, mid, k, kl, tkid, err);
    if (rc != 0) return rc;
    size_t slot = c->ntagk < TAGK_CACHE ? c->ntagk++ : (c->tagk_next++ % TAGK_CACHE);
    c->tagk[slot].mid = mid;
    c->tagk[slot].key = k;
    c->tagk[slot].len = kl;
    c->tagk[slot].tkid = *tkid;
    return STRATA_OK;
}

/* Queue posting (key, id), copying the key into b_pkeys. */
static int post_add(stg_index *idx, size_t *np, size_t *kused, const uint8_t *key, size_t klen,
                    uint64_t id)
{
    if (grow(&idx->b_posts, &idx->b_posts_cap, *np + 1, sizeof(bpost)) != 0 ||
        grow((void **)&idx->b_pkeys, &idx->b_pkeys_cap, *kused + klen, 1) != 0)
        return STRATA_ENOMEM;
    bpost *p = (bpost *)idx->b_posts + (*np)++;
    memcpy(idx->b_pkeys + *kused, key, klen);
    p->koff = *kused;
    p->klen = (uint32_t)klen;
    p->id = id;
    *kused += klen;
    return STRATA_OK;
}

int stg_index_series_ensure_batch(stg_index *idx, MDB_txn *w, uint32_t db, const stg_series_in *in,
                                  size_t n, uint64_t *ids, uint8_t *created, strata_error *err)
{
    MDB_cursor *cur = NULL;
    bcache *cache = NULL;
    size_t total = 0, nnew = 0, np = 0, kused = 0;
    uint64_t count = 0;
    int rc;

    if (n == 0) return STRATA_OK;
    if (n > UINT32_MAX)
        return strata_error_set(err, STRATA_EINVAL, "batch of %zu series is too large", n);
    /* 1. Check every input and size the arena; nothing is written before this passes. */
    for (size_t i = 0; i < n; i++) {
        size_t len = stg_series_key_build(in[i].meas, in[i].mlen, in[i].tags, in[i].ntags, NULL, 0);
        if (len == 0) {
            stg_series_key_check(in[i].meas, in[i].mlen, in[i].tags, in[i].ntags, err);
            strata_error_prefix(err, "series %zu of the batch: ", i);
            return STRATA_EINVAL;
        }
        total += 4 + len;
    }
    if (grow((void **)&idx->b_arena, &idx->b_arena_cap, total, 1) != 0 ||
        grow(&idx->b_ents, &idx->b_ents_cap, n, sizeof(bent)) != 0)
        return strata_error_set(err, STRATA_ENOMEM, "index: out of memory for a batch of %zu", n);
    bent *ents = idx->b_ents;
    uint8_t *arena = idx->b_arena;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        bent *e = &ents[i];
        size_t len = stg_series_key_build(in[i].meas, in[i].mlen, in[i].tags, in[i].ntags,
                                          (char *)arena + off + 4, total - off - 4);
        e->off = off;
        e->klen = (uint32_t)len;
        e->in = (uint32_t)i;
        e->h = idx->hash(arena + off + 4, len);
        e->state = BENT_NEW;
        off += 4 + len;
    }
    qsort_r(ents, n, sizeof *ents, bent_cmp, arena);

    /* 2. Look up; fold duplicates into their first occurrence. The home
     * slots are probed in ascending order with one cursor (SET_RANGE stays
     * on the current page when it can); only a miss there consults the
     * displaced series (idx.sovf, normally empty). */
    rc = mdb_cursor_open(w, idx->dbi_series, &cur);
    if (rc != 0) return stg__idx_err(rc, err, "looking up series");
    for (size_t i = 0; i < n; i++) {
        bent *e = &ents[i];
        const char *key = (const char *)arena + e->off + 4;
        if (i > 0 && ents[i - 1].h == e->h && ents[i - 1].klen == e->klen &&
            memcmp(arena + ents[i - 1].off + 4, key, e->klen) == 0) {
            e->state = BENT_DUP;
            continue;
        }
        uint8_t kb[12];
        MDB_val k = stg__val(kb, stg__key_series(kb, db, e->h)), v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            rc = stg__idx_err(rc, err, "looking up series");
            goto fail;
        }
        if (rc == 0 && k.mv_size == 12 && memcmp(k.mv_data, kb, 12) == 0 &&
            v.mv_size == 4 + (size_t)e->klen && memcmp((char *)v.mv_data + 4, key, e->klen) == 0) {
            e->id = e->h;
            e->state = BENT_EXISTS;
            continue;
        }
        rc = stg__idx_series_find(idx, w, db, key, e->klen, e->h, &e->id, NULL, err);
        if (rc == STRATA_OK)
            e->state = BENT_EXISTS;
        else if (rc == STRATA_ENOTFOUND)
            nnew++;
        else
            goto fail;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    if (nnew > 0) {
        rc = stg__idx_db_check(idx, w, db, &count, err);
        if (rc != 0) return rc;
        cache = calloc(1, sizeof *cache);
        if (cache == NULL)
            return strata_error_set(err, STRATA_ENOMEM, "index: out of memory for a batch");
        rc = mdb_cursor_open(w, idx->dbi_series, &cur);
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "creating series");
            goto fail;
        }
    }

    /* 3. Insert new records in id order, probing past taken ids. */
    for (size_t i = 0; i < n && nnew > 0; i++) {
        bent *e = &ents[i];
        if (e->state != BENT_NEW) continue;
        const stg_series_in *s = &in[e->in];
        uint32_t mid;
        rc = cached_meas(idx, w, db, cache, s->meas, s->mlen, &mid, err);
        if (rc != 0) goto fail;
        strata_put_le32(arena + e->off, mid);
        uint8_t kb[12];
        uint64_t x = e->h;
        for (;;) {
            MDB_val k = stg__val(kb, stg__key_series(kb, db, x));
            MDB_val v = stg__val(arena + e->off, 4 + e->klen);
            rc = mdb_cursor_put(cur, &k, &v, MDB_NOOVERWRITE);
            if (rc != MDB_KEYEXIST) break;
            x++;
        }
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "writing a series record");
            goto fail;
        }
        e->id = x;
        if (x != e->h) {
            uint8_t idb[8];
            strata_put_be64(idb, x);
            MDB_val k = stg__val(kb, stg__key_series(kb, db, e->h)), d = stg__val(idb, 8);
            rc = mdb_put(w, idx->dbi_sovf, &k, &d, 0);
            if (rc != 0) {
                rc = stg__idx_err(rc, err, "writing a series probe entry");
                goto fail;
            }
        }

        /* Queue its postings. */
        uint8_t pk[STG__KEY_MAX];
        size_t pkl;
        if ((rc = post_add(idx, &np, &kused, pk, stg__key_dm(pk, db, mid), x)) != 0) goto nomem;
        for (size_t t = 0; t < s->ntags; t++) {
            uint32_t tkid;
            rc =
                cached_tagk(idx, w, db, cache, mid, s->tags[t].key, s->tags[t].key_len, &tkid, err);
            if (rc != 0) goto fail;
            rc = stg__idx_tagv_key(idx, w, 1, db, mid, tkid, s->tags[t].val, s->tags[t].val_len, pk,
                                   &pkl, err);
            if (rc != 0) goto fail;
            if ((rc = post_add(idx, &np, &kused, pk, pkl, x)) != 0) goto nomem;
        }
    }
    mdb_cursor_close(cur);
    cur = NULL;

    /* 4. Write postings in key order, each key once with all its ids. */
    if (np > 0) {
        bpost *posts = idx->b_posts;
        qsort_r(posts, np, sizeof *posts, bpost_cmp, idx->b_pkeys);
        rc = mdb_cursor_open(w, idx->dbi_postings, &cur);
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "writing postings");
            goto fail;
        }
        for (size_t i = 0; i < np;) {
            size_t j = i + 1;
            while (j < np && posts[j].klen == posts[i].klen &&
                   memcmp(idx->b_pkeys + posts[j].koff, idx->b_pkeys + posts[i].koff,
                          posts[i].klen) == 0)
                j++;
            if (grow((void **)&idx->b_ids, &idx->b_ids_cap, 8 * (j - i), 1) != 0) goto nomem;
            for (size_t q = i; q < j; q++)
                strata_put_be64(idx->b_ids + 8 * (q - i), posts[q].id);
            MDB_val k = stg__val(idx->b_pkeys + posts[i].koff, posts[i].klen);
            MDB_val d[2] = {stg__val(idx->b_ids, 8), stg__val(NULL, j - i)};
            rc = mdb_cursor_put(cur, &k, d, MDB_MULTIPLE);
            if (rc != 0) {
                rc = stg__idx_err(rc, err, "writing postings");
                goto fail;
            }
            if (d[1].mv_size != j - i) {
                rc =
                    strata_error_set(err, STRATA_EINTERNAL,
                                     "index: LMDB stored %zu of %zu postings", d[1].mv_size, j - i);
                goto fail;
            }
            i = j;
        }
        mdb_cursor_close(cur);
        cur = NULL;
    }

    if (nnew > 0) {
        uint8_t kb[8], vb[8];
        strata_put_le64(vb, count + nnew);
        MDB_val k = stg__val(kb, stg__key_db(kb, db, STG__KIND_COUNT)), v = stg__val(vb, 8);
        rc = mdb_put(w, idx->dbi_db, &k, &v, 0);
        if (rc != 0) {
            rc = stg__idx_err(rc, err, "updating the series count");
            goto fail;
        }
    }

    /* 5. Results, in input order. Sorted order put first occurrences first. */
    for (size_t i = 0; i < n; i++) {
        bent *e = &ents[i];
        if (e->state == BENT_DUP) e->id = ents[i - 1].id;
        ids[e->in] = e->id;
        if (created != NULL) created[e->in] = e->state == BENT_NEW;
    }
    free(cache);
    return STRATA_OK;

nomem:
    rc = strata_error_set(err, STRATA_ENOMEM, "index: out of memory for the postings of a batch");
fail:
    mdb_cursor_close(cur);
    free(cache);
    return rc;
}
