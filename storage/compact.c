/*
 * storage/compact.c: merging each column's chunks into full chunks, in
 * place, in bounded slices, at a limited rate.
 *
 * Checkpoints insert chunks in the middle of the key space, so LMDB pages
 * split half full, and heads are sealed early (by their size in memory), so
 * chunks are smaller than they could be. Compaction walks the chunk table in
 * key order and, per column (db | partition | series | field), merges its
 * small chunks into chunks of target_points, drops points overwritten by
 * later writes, re-encodes each chunk with its best encoding and cuts it so
 * that chunks fill leaf pages: in place into equal chunks, two or more to a
 * page (best_split); in the repack, where chunks are appended in key order,
 * each chunk is cut to fill what is left of the page being appended to
 * (fit_page), so that pages come out nearly full.
 *
 * Two forms. In place (the server's background job), the walk is cut into
 * slices of about slice_bytes of chunk data, always whole columns. Each
 * slice is one LMDB write transaction under ckpt_mu: the old chunks of every
 * column that changes are deleted and its new chunks put back in ascending
 * order; a column that stays as it is is not touched; if nothing changes,
 * nothing is written. A reader sees a column either as it was or as it is
 * after, never half of it, and checkpoints, deletes and the creation of new
 * series wait for one slice at most. Between slices the locks and the LMDB
 * writer are free, and the caller's pause function runs: it sleeps so that
 * the chunk bytes read and written stay under rate_bytes per second, and the
 * background thread uses the pause to run the checkpoints that fall due. A
 * failure aborts the current slice only; slices already committed stay, and
 * each of them kept every point. The walk resumes at the start of the column
 * where the last slice stopped, so a chunk that a checkpoint adds in between
 * to a column not yet done is seen with the rest of its column; chunks added
 * behind the walk wait for the next run.
 *
 * LMDB packs pages only when keys are appended at the end of a table (with
 * MDB_APPEND); keys put back in the middle split pages half full (measured:
 * 50-67 %, worse than the checkpoints left them). So in place, the middle of
 * the table only merges chunks that overlap (late and rewritten points); the
 * tail, the newest partition of the last database, where checkpoints add
 * nearly everything, is compacted last as one slice (up to tail_bytes):
 * every key from its start on is deleted and the chunks appended again, cut
 * to fill pages. A partition is compacted that way while it is the newest,
 * and keeps its full pages when the next one starts.
 *
 * Repack (stg_engine_compact, for a stopped store) is one slice over the
 * whole table that appends every chunk, in key order, to the other chunk
 * table with MDB_APPEND (every page full), drops the old table and switches
 * meta "chunks_table", in one transaction.
 *
 * What is safe to merge. Chunks of a column that overlap in time (a
 * cluster) are decided together. A cluster that reaches into the time range
 * still held in memory (a head, sealed chunks not yet written, late points)
 * is left as it is: the sequence numbers that decide which write wins must
 * stay as they are there. Ingest only adds to memory points with sequence
 * numbers above every chunk on disk, and only a checkpoint or a delete
 * (both under ckpt_mu, which a slice holds) moves points from memory to
 * disk, so the bound taken for a column when the slice reaches it holds
 * until the slice commits. Other clusters are merged, the newest write
 * winning each timestamp; a merged chunk takes the highest sequence number
 * of what it replaces, which is safe because merged runs overlap nothing
 * else on disk and every write to come gets a higher number.
 *
 * Work that would change nothing is skipped: a cluster of one full chunk
 * (at least 3/4 of the page share, or half the target points) is left in
 * place without being decoded, and a column whose new chunks come out
 * byte for byte equal to the old ones is not written, so compacting a
 * compacted table reads it and writes nothing.
 */
#include "storage/engine_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bytes.h"
#include "common/clock.h"

/* In place: the tail of the table is appended as one slice up to this many chunk bytes. */
#define TAIL_BYTES_DEFAULT ((size_t)32 << 20)
/* Chunk bytes read per slice when the caller gives 0. */
#define SLICE_BYTES_DEFAULT ((size_t)1 << 20)
/* Chunk bytes a slice holds before it writes mid-column: at least this, 4 slices. */
#define REC_MAX_MIN ((size_t)4 << 20)
/* A record of a chunk in the cluster and output buffers: key, u32 LE length, blob. */
#define REC_HDR (STG__CKEY_LEN + 4)

/* Decoded points with the sequence number of the chunk each came from. */
typedef struct pbuf {
    int64_t *ts;
    uint64_t *vals, *seq;
    uint32_t *idx;
    size_t n, cap;
    uint8_t *str;
    size_t str_len, str_cap;
} pbuf;

typedef struct compactor {
    stg_engine *e;
    MDB_txn *txn;
    MDB_dbi dbi;                    /* the table read (and written in place) */
    MDB_dbi dst;                    /* repack: the other table, written with MDB_APPEND */
    int repack;                     /* one transaction into the other table, then switch */
    int tail;                       /* in place, the slice that ends the table: appended */
    uint8_t end_key[STG__CKEY_LEN]; /* in place: the walk stops before this key (the tail) */
    int have_end;
    uint8_t last_key[STG__CKEY_LEN]; /* repack: the last key appended */
    int have_last;
    uint32_t target;
    size_t fit;       /* largest chunk that still shares a leaf page with another */
    size_t page;      /* usable bytes of a leaf page */
    size_t node_max;  /* largest chunk LMDB keeps in the leaf page (larger: overflow pages) */
    size_t page_used; /* repack and tail: bytes of the leaf page being appended to */
    size_t slice_bytes;
    stg_compact_stats *st;
    strata_error *err;

    /* the column being compacted */
    uint8_t prefix[20]; /* db | part | series | field */
    int have_prefix;
    int64_t col_tmin;           /* where its data in memory starts; INT64_MAX: none */
    int col_flushed;            /* the slice was written or dropped in the middle of the column */
    size_t col_keys0, col_rec0; /* nkeys and rec_len where the column began */

    /* the cluster being gathered: copies of its chunks as records */
    uint8_t *cl;
    size_t cl_len, cl_cap, cl_n;
    int64_t cl_tlast;
    int cl_keep; /* reaches into memory: leave it */
    int cl_full; /* one chunk that is full already: leave it */

    /* the slice since its last write: keys of every decided old chunk (all are deleted) and
     * records of every chunk to put back (old ones left as they were, and new ones) */
    uint8_t *keys;
    size_t nkeys, keys_cap;
    uint8_t *recs;
    size_t rec_len, rec_cap;
    size_t rec_max; /* write (or drop) mid-slice beyond this: one column may be large */
    int changed;    /* some column of the slice changed: the slice must be written */

    /* the column's merged old chunks and new chunks, to tell whether it changed */
    uint8_t *col_in; /* keys */
    size_t nin, in_cap;
    size_t *col_out; /* offsets of the new chunks in recs */
    size_t nout, out_cap;

    /* the run being merged */
    pbuf run;
    uint64_t run_seq;
    stg_type run_type;

    /* decode and encode scratch */
    pbuf dec;
    uint8_t *enc;
    size_t enc_cap;

    /* chunk bytes of the current slice */
    uint64_t slice_read, slice_written;
} compactor;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    void *np = realloc(*p, n * elem);
    if (np == NULL) return STRATA_ENOMEM;
    *p = np;
    *cap = n;
    return STRATA_OK;
}

static int pbuf_reserve(pbuf *b, size_t points, size_t str_bytes)
{
    size_t need = b->n + points;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < need)
            cap *= 2;
        int64_t *ts = realloc(b->ts, cap * sizeof *ts);
        if (ts) b->ts = ts;
        uint64_t *v = realloc(b->vals, cap * sizeof *v);
        if (v) b->vals = v;
        uint64_t *s = realloc(b->seq, cap * sizeof *s);
        if (s) b->seq = s;
        uint32_t *x = realloc(b->idx, cap * sizeof *x);
        if (x) b->idx = x;
        if (!ts || !v || !s || !x) return STRATA_ENOMEM;
        b->cap = cap;
    }
    return grow((void **)&b->str, &b->str_cap, b->str_len + str_bytes + 1, 1);
}

static void pbuf_free(pbuf *b)
{
    free(b->ts);
    free(b->vals);
    free(b->seq);
    free(b->idx);
    free(b->str);
}

/* Where the column's data in memory starts: its head, sealed chunks, late points. */
static int64_t mem_start(stg_engine *e, uint32_t db, uint64_t series, uint32_t field)
{
    int64_t t = INT64_MAX;
    pthread_rwlock_rdlock(&e->heads_rw);
    stg__column *col = stg__colmap_get(&e->cols, db, series, field);
    if (col != NULL) {
        if (stg_stream_count(&col->head) > 0) t = col->head_first;
        for (stg__sealed *s = col->sealed; s; s = s->next)
            t = s->t_first < t ? s->t_first : t;
        for (uint32_t j = 0; col->ooo && j < col->ooo->n; j++)
            t = col->ooo->ts[j] < t ? col->ooo->ts[j] : t;
    }
    pthread_rwlock_unlock(&e->heads_rw);
    return t;
}

/*
 * Bytes a chunk of len bytes takes in a leaf page: LMDB's node header (8), the
 * key and the data, rounded to even, and the node's slot (2). A chunk above
 * node_max lives on overflow pages and leaves its page number (8) in the leaf.
 */
static size_t leaf_bytes(const compactor *c, size_t len)
{
    if (len > c->node_max) len = 8;
    return ((8 + STG__CKEY_LEN + len + 1) & ~(size_t)1) + 2;
}

/* Repack and tail: follow how MDB_APPEND fills leaf pages: a node that does not fit what is left of
 * the last page starts a new one, and the full page keeps everything it had. */
static void page_add(compactor *c, size_t len)
{
    size_t b = leaf_bytes(c, len);
    if (c->page_used + b > c->page)
        c->page_used = b;
    else
        c->page_used += b;
}

/* Append a chunk to put back when the slice is written; fresh: a new chunk of the column. */
static int emit(compactor *c, const uint8_t *key, const void *blob, size_t len, uint32_t points,
                int fresh)
{
    if (grow((void **)&c->recs, &c->rec_cap, c->rec_len + REC_HDR + len, 1) != STRATA_OK ||
        (fresh && grow((void **)&c->col_out, &c->out_cap, c->nout + 1, sizeof *c->col_out)))
        return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
    if (fresh) {
        c->col_out[c->nout++] = c->rec_len;
        c->st->points += points;
    }
    if (c->repack || c->tail) page_add(c, len);
    memcpy(c->recs + c->rec_len, key, STG__CKEY_LEN);
    strata_put_le32(c->recs + c->rec_len + STG__CKEY_LEN, (uint32_t)len);
    memcpy(c->recs + c->rec_len + REC_HDR, blob, len);
    c->rec_len += REC_HDR + len;
    c->st->chunks_after++;
    c->st->bytes_after += len;
    return STRATA_OK;
}

/* Note an old chunk that the slice's write deletes (merged=1: merged into the run). */
static int note_old(compactor *c, const uint8_t *key, int merged)
{
    if (grow((void **)&c->keys, &c->keys_cap, (c->nkeys + 1) * STG__CKEY_LEN, 1) ||
        (merged && grow((void **)&c->col_in, &c->in_cap, (c->nin + 1) * STG__CKEY_LEN, 1)))
        return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
    memcpy(c->keys + c->nkeys++ * STG__CKEY_LEN, key, STG__CKEY_LEN);
    if (merged) memcpy(c->col_in + c->nin++ * STG__CKEY_LEN, key, STG__CKEY_LEN);
    return STRATA_OK;
}

/* Decode one chunk and append its points, tagged with seq, to b. */
static int decode_into(compactor *c, const uint8_t *key, const uint8_t *blob, size_t len, pbuf *b,
                       stg_type *type)
{
    stg_chunk_info info;
    stg__ckey k;
    uint32_t n = 0;
    stg__ckey_decode(key, &k);
    int rc = stg_chunk_info_read(blob, len, &info, c->err);
    if (rc == STRATA_OK) {
        c->dec.n = c->dec.str_len = 0;
        if (pbuf_reserve(&c->dec, info.count, info.str_bytes) != STRATA_OK ||
            pbuf_reserve(b, info.count, info.str_bytes) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        rc = stg_chunk_decode(blob, len, c->dec.ts, c->dec.vals, c->dec.str, c->dec.str_cap, &n,
                              c->err);
    }
    if (rc != STRATA_OK)
        return strata_error_prefix(c->err,
                                   "compaction stopped (slices done before are kept, this one was "
                                   "not changed): chunk of series %016llx field %u (database %u): ",
                                   (unsigned long long)k.series, k.field, k.db);
    *type = info.type;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = c->dec.vals[i];
        if (info.type == STG_STRING) {
            uint32_t sl = stg_val_str_len(v);
            memcpy(b->str + b->str_len, c->dec.str + stg_val_str_off(v), sl);
            v = stg_val_str((uint32_t)b->str_len, sl);
            b->str_len += sl;
        }
        b->ts[b->n] = c->dec.ts[i];
        b->vals[b->n] = v;
        b->seq[b->n] = k.seq;
        b->n++;
    }
    return STRATA_OK;
}

static int cmp_merge(const void *a, const void *b, void *arg)
{
    const pbuf *p = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (p->ts[x] != p->ts[y]) return p->ts[x] < p->ts[y] ? -1 : 1;
    if (p->seq[x] != p->seq[y]) return p->seq[x] > p->seq[y] ? -1 : 1; /* the newest write first */
    return x < y ? 1 : (x > y ? -1 : 0); /* same chunk: the later point */
}

/* Bytes a chunk of len bytes takes in a leaf page: the node header, its key, its slot. */
#define NODE_BYTES(len) ((len) + 8 + STG__CKEY_LEN + 2)

/* What one more chunk of a column costs in payload: its header and a codec restart. */
#define CHUNK_OVERHEAD 64

/*
 * Into how many chunks to cut bytes of encoded points so that their pages fill
 * best, in place: LMDB puts whole nodes on a page, so equal chunks of 1/2, 1/3,
 * 1/4... of a page pack it, while a big chunk and its small remainder leave a
 * hole that the next column's big chunk does not fit. Without MDB_APPEND,
 * LMDB splits a full page so that the old one keeps room for the node that
 * did not fit: ascending puts keep k - 1 of the k nodes a page holds (puts
 * before existing keys do worse: half). Used in place for the merged chunks
 * of overlapping clusters. Tries the smallest count that fits (each at most
 * fit) and a dozen more, each chunk costing CHUNK_OVERHEAD more payload, and
 * keeps the one that costs the fewest pages.
 */
static uint32_t best_split(size_t bytes, size_t fit, size_t page, size_t *slot)
{
    uint32_t lo = (uint32_t)((bytes + fit - 1) / fit), best = lo;
    *slot = fit;
    double best_pages = 1e300;
    for (uint32_t k = lo; k < lo + 12; k++) {
        /* chunks of equal points differ in size: plan with 1/16 to spare */
        size_t each = (bytes + (size_t)(k - lo) * CHUNK_OVERHEAD + k - 1) / k;
        size_t per_page = page / NODE_BYTES(each + each / 16);
        if (per_page == 0) continue;
        size_t kept = per_page > 1 ? per_page - 1 : 1;
        double pages = (double)k / (double)kept;
        if (pages < best_pages - 1e-9) {
            best_pages = pages;
            best = k;
            /* the most a chunk may take for per_page of them to share a page */
            *slot = page / per_page - NODE_BYTES(0);
            if (*slot > fit) *slot = fit;
        }
    }
    return best;
}

/* Encode the first n points of c->dec into c->enc. */
static int encode_prefix(compactor *c, uint32_t n, size_t *used)
{
    return stg_chunk_encode(c->run_type, c->dec.ts, c->dec.vals, c->dec.str, n, c->enc, c->enc_cap,
                            used, c->err);
}

/* The least room worth filling at the end of a leaf page; less is left empty. */
#define PIECE_MIN 384

/*
 * Repack and tail: choose how many of the first nmax points of c->dec make the chunk
 * that best fills what is left of the leaf page being appended to (a new page
 * when less than PIECE_MIN bytes are left), and encode them into c->enc. The
 * count is guessed from the bytes per point of the last try, a few tries at
 * most; the chunk keeps within 1/32 of the room or is the largest that fitted.
 */
static int fit_page(compactor *c, uint32_t nmax, uint32_t *n_out, size_t *used_out)
{
    size_t left = c->page - c->page_used;
    if (left < leaf_bytes(c, PIECE_MIN)) left = c->page;
    size_t room = left - leaf_bytes(c, 0);
    if (room > c->fit) room = c->fit;
    uint32_t n = nmax, lo = 0, hi = nmax + 1; /* lo fits, hi does not */
    size_t used = 0, lo_used = 0;
    int rc;
    for (int tries = 0; tries < 8; tries++) {
        if ((rc = encode_prefix(c, n, &used)) != STRATA_OK) return rc;
        if (used <= room) {
            lo = n;
            lo_used = used;
            if (n == nmax || used >= room - room / 32) break;
        } else {
            hi = n;
        }
        uint64_t g = (uint64_t)n * room / used;
        if (used > room) g = g * 63 / 64;
        if (g <= lo) g = lo + 1;
        if (g >= hi) g = hi - 1;
        if (g <= lo) break; /* no count left between one that fits and one that does not */
        n = (uint32_t)g;
    }
    while (lo == 0 && hi > 1) { /* nothing fitted in the tries: halve until something does */
        n = hi / 2;
        if ((rc = encode_prefix(c, n, &used)) != STRATA_OK) return rc;
        if (used <= room) {
            lo = n;
            lo_used = used;
        } else {
            hi = n;
        }
    }
    if (lo == 0) { /* one point larger than a page (a long string): it takes overflow pages */
        *n_out = 1;
        return encode_prefix(c, 1, used_out);
    }
    if (n != lo && (rc = encode_prefix(c, lo, &used)) != STRATA_OK) return rc;
    *n_out = lo;
    *used_out = lo_used;
    return STRATA_OK;
}

/*
 * Turn the run into new chunks of target points, the newest write of each
 * timestamp winning. Unless final, a last partial chunk stays in the run to
 * be completed by the next cluster (which overlaps nothing in it).
 */
static int flush_run(compactor *c, int final)
{
    pbuf *r = &c->run;
    size_t m = 0;
    int rc;

    if (r->n == 0) return STRATA_OK;
    for (size_t i = 0; i < r->n; i++)
        r->idx[i] = (uint32_t)i;
    qsort_r(r->idx, r->n, sizeof *r->idx, cmp_merge, r);
    for (size_t i = 0; i < r->n; i++) {
        uint32_t x = r->idx[i];
        if (m > 0 && r->ts[r->idx[m - 1]] == r->ts[x]) continue;
        r->idx[m++] = x;
    }
    size_t at = 0, block_end = 0; /* a block of points cut into equal chunks ends here */
    size_t block_slot = 0;        /* the most bytes one of its chunks may take */
    uint32_t block_n = 0;
    while (at < m && (final || m - at >= c->target || at < block_end)) {
        uint32_t n = (uint32_t)(m - at < c->target ? m - at : c->target);
        if (at < block_end) n = (uint32_t)(block_end - at < block_n ? block_end - at : block_n);
        c->dec.n = c->dec.str_len = 0;
        if (pbuf_reserve(&c->dec, n, r->str_len) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        for (uint32_t j = 0; j < n; j++) {
            uint32_t x = r->idx[at + j];
            uint64_t v = r->vals[x];
            if (c->run_type == STG_STRING) {
                uint32_t sl = stg_val_str_len(v);
                memcpy(c->dec.str + c->dec.str_len, r->str + stg_val_str_off(v), sl);
                v = stg_val_str((uint32_t)c->dec.str_len, sl);
                c->dec.str_len += sl;
            }
            c->dec.ts[j] = r->ts[x];
            c->dec.vals[j] = v;
        }
        size_t bound = stg_chunk_bound(c->run_type, n, c->dec.str_len), used = 0;
        if (grow((void **)&c->enc, &c->enc_cap, bound, 1) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        if (c->repack || c->tail) {
            /* Appended in key order: each chunk fills the rest of the leaf page. */
            if ((rc = fit_page(c, n, &n, &used)) != STRATA_OK) return rc;
        }
        while (!c->repack && !c->tail) {
            rc = encode_prefix(c, n, &used);
            if (rc != STRATA_OK) return rc;
            /* A chunk a little larger than half a page would take a whole
             * overflow page: cut the points into chunks that fill pages
             * (best_split), then shrink further if the codecs disagree. */
            if (n <= 64) break;
            if (at < block_end ? used <= block_slot : used <= c->fit) break;
            uint32_t n2;
            if (at >= block_end) {
                /* plan the block once, so that its chunks come out equal */
                uint32_t k = best_split(used, c->fit, c->page, &block_slot);
                block_end = at + n;
                n2 = block_n = (n + k - 1) / k;
            } else {
                /* a chunk of the block came out larger than its share of a page */
                n2 = (uint32_t)((uint64_t)n * block_slot / used * 31 / 32);
            }
            if (n2 >= n) n2 = (uint32_t)((uint64_t)n * c->fit / used * 15 / 16);
            n = n2 < 64 ? 64 : n2;
        }
        uint8_t key[STG__CKEY_LEN];
        memcpy(key, c->prefix, 20);
        strata_put_be64s(key + 20, c->dec.ts[0]);
        strata_put_be64(key + 28, c->run_seq);
        if ((rc = emit(c, key, c->enc, used, n, 1)) != STRATA_OK) return rc;
        at += n;
    }
    /* Keep the rest (already deduplicated) for the next cluster. */
    size_t keep = m - at, soff = 0;
    pbuf tmp = c->dec;
    tmp.n = tmp.str_len = 0;
    if (keep > 0) {
        if (pbuf_reserve(&c->dec, keep, r->str_len) != STRATA_OK)
            return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
        tmp = c->dec;
        for (size_t j = 0; j < keep; j++) {
            uint32_t x = r->idx[at + j];
            uint64_t v = r->vals[x];
            if (c->run_type == STG_STRING) {
                uint32_t sl = stg_val_str_len(v);
                memcpy(tmp.str + soff, r->str + stg_val_str_off(v), sl);
                v = stg_val_str((uint32_t)soff, sl);
                soff += sl;
            }
            tmp.ts[j] = r->ts[x];
            tmp.vals[j] = v;
            tmp.seq[j] = r->seq[x];
        }
    }
    memcpy(r->ts, tmp.ts, keep * sizeof *r->ts);
    memcpy(r->vals, tmp.vals, keep * sizeof *r->vals);
    memcpy(r->seq, tmp.seq, keep * sizeof *r->seq);
    if (soff) memcpy(r->str, tmp.str, soff);
    r->n = keep;
    r->str_len = soff;
    if (keep == 0) c->run_seq = 0;
    return STRATA_OK;
}

/* Decide the gathered cluster: leave it as it is or merge it into the run. */
static int end_cluster(compactor *c)
{
    size_t off = 0;
    int rc;
    if (c->cl_n == 0) return STRATA_OK;
    if (c->cl_keep || c->cl_full) {
        /* The run lies before it in time: finish the run's chunks first. */
        if ((rc = flush_run(c, 1)) != STRATA_OK) return rc;
        while (off < c->cl_len) {
            uint32_t len = strata_get_le32(c->cl + off + STG__CKEY_LEN);
            if ((rc = note_old(c, c->cl + off, 0)) != STRATA_OK ||
                (rc = emit(c, c->cl + off, c->cl + off + REC_HDR, len, 0, 0)) != STRATA_OK)
                return rc;
            c->st->chunks_kept++;
            off += REC_HDR + len;
        }
    } else {
        while (off < c->cl_len) {
            uint32_t len = strata_get_le32(c->cl + off + STG__CKEY_LEN);
            stg__ckey k;
            stg__ckey_decode(c->cl + off, &k);
            rc = decode_into(c, c->cl + off, c->cl + off + REC_HDR, len, &c->run, &c->run_type);
            if (rc != STRATA_OK) return rc;
            if (k.seq > c->run_seq) c->run_seq = k.seq;
            if ((rc = note_old(c, c->cl + off, 1)) != STRATA_OK) return rc;
            off += REC_HDR + len;
        }
        if (c->run.n >= c->target && (rc = flush_run(c, 0)) != STRATA_OK) return rc;
    }
    c->cl_len = c->cl_n = 0;
    c->cl_keep = c->cl_full = 0;
    return STRATA_OK;
}

/* Repack: append the slice's chunks to the other table (the old one is dropped at the end). */
static int append_slice(compactor *c)
{
    size_t off = 0;
    while (off < c->rec_len) {
        const uint8_t *key = c->recs + off;
        uint32_t len = strata_get_le32(c->recs + off + STG__CKEY_LEN);
        MDB_val k = {STG__CKEY_LEN, (void *)key}, v = {len, c->recs + off + REC_HDR};
        int append = !c->have_last || memcmp(key, c->last_key, STG__CKEY_LEN) > 0;
        int rc = mdb_put(c->txn, c->dst, &k, &v, append ? MDB_APPEND : 0);
        if (rc) return stg__mdb_err(rc, c->err, "compaction: writing a chunk");
        if (append) {
            memcpy(c->last_key, key, STG__CKEY_LEN);
            c->have_last = 1;
        }
        c->st->bytes_written += len;
        c->slice_written += len;
        off += REC_HDR + len;
    }
    c->nkeys = c->rec_len = 0;
    c->changed = 0;
    return STRATA_OK;
}

/*
 * Write the slice so far: delete every old chunk it decided, then put every
 * chunk back in ascending key order. In the middle of the table LMDB splits a
 * full page so that the old page keeps room for the node that did not fit
 * (best_split plans for it); the tail slice, which ends the table, appends
 * with MDB_APPEND instead, which keeps pages full.
 */
static int write_slice(compactor *c)
{
    int rc;
    if (c->repack) return append_slice(c);
    for (size_t i = 0; i < c->nkeys; i++) {
        MDB_val k = {STG__CKEY_LEN, c->keys + i * STG__CKEY_LEN};
        if ((rc = mdb_del(c->txn, c->dbi, &k, NULL)))
            return stg__mdb_err(rc, c->err, "compaction: deleting a chunk");
    }
    if (c->tail) {
        /* Every key from the tail's start on is gone: the slice's chunks end the table. */
        c->dst = c->dbi;
        c->have_last = 0;
        return append_slice(c);
    }
    size_t off = 0;
    while (off < c->rec_len) {
        uint32_t len = strata_get_le32(c->recs + off + STG__CKEY_LEN);
        MDB_val k = {STG__CKEY_LEN, c->recs + off}, v = {len, c->recs + off + REC_HDR};
        if ((rc = mdb_put(c->txn, c->dbi, &k, &v, 0)))
            return stg__mdb_err(rc, c->err, "compaction: writing a chunk");
        c->st->bytes_written += len;
        c->slice_written += len;
        off += REC_HDR + len;
    }
    c->nkeys = c->rec_len = 0;
    c->changed = 0;
    return STRATA_OK;
}

/* Forget the slice so far without writing it: nothing in it changed. */
static void drop_slice(compactor *c)
{
    c->nkeys = c->rec_len = 0;
}

/* Are the column's new chunks its merged old ones, byte for byte? */
static int unchanged(compactor *c)
{
    if (c->nin == 0 && c->nout == 0) return 1;
    if (c->col_flushed || c->nin != c->nout) return 0;
    for (size_t i = 0; i < c->nin; i++) {
        const uint8_t *key = c->col_in + i * STG__CKEY_LEN, *rec = c->recs + c->col_out[i];
        uint32_t len = strata_get_le32(rec + STG__CKEY_LEN);
        MDB_val k = {STG__CKEY_LEN, (void *)key}, v;
        if (memcmp(key, rec, STG__CKEY_LEN) != 0) return 0;
        if (mdb_get(c->txn, c->dbi, &k, &v) || v.mv_size != len ||
            memcmp(v.mv_data, rec + REC_HDR, len) != 0)
            return 0;
    }
    return 1;
}

/* The column is complete: decide its last cluster and finish its run. */
static int finish_col(compactor *c)
{
    int rc;
    if (!c->have_prefix) return STRATA_OK;
    if ((rc = end_cluster(c)) != STRATA_OK || (rc = flush_run(c, 1)) != STRATA_OK) return rc;
    if (unchanged(c)) {
        c->st->chunks_kept += c->nin;
        /* In the middle of the table, a column that stays as it is is not put back: putting
         * keys back there leaves pages half full. */
        if (!c->repack && !c->tail && !c->col_flushed) {
            c->nkeys = c->col_keys0;
            c->rec_len = c->col_rec0;
        }
    } else {
        c->changed = 1;
    }
    if (c->repack) c->changed = 1; /* every chunk moves to the other table */
    c->have_prefix = 0;
    c->col_flushed = 0;
    c->run_seq = 0;
    c->nin = c->nout = 0;
    return STRATA_OK;
}

/* Take the next chunk of the column, in key order. */
static int take(compactor *c, const MDB_val *key, const MDB_val *val)
{
    stg__ckey k;
    stg_chunk_info info;
    int rc;

    stg__ckey_decode(key->mv_data, &k);
    if (stg_chunk_info_peek(val->mv_data, val->mv_size, &info, c->err) != STRATA_OK)
        return strata_error_prefix(c->err,
                                   "compaction stopped (slices done before are kept, this one was "
                                   "not changed): chunk of series %016llx field %u (database %u): ",
                                   (unsigned long long)k.series, k.field, k.db);
    c->st->chunks_before++;
    c->st->bytes_before += val->mv_size;
    c->slice_read += val->mv_size;
    if (!c->have_prefix) {
        memcpy(c->prefix, key->mv_data, 20);
        c->have_prefix = 1;
        c->col_keys0 = c->nkeys;
        c->col_rec0 = c->rec_len;
        c->col_tmin = mem_start(c->e, k.db, k.series, k.field);
        c->cl_tlast = INT64_MIN;
    } else if (c->cl_n > 0 && k.t_first > c->cl_tlast) {
        if ((rc = end_cluster(c)) != STRATA_OK) return rc;
    }
    if (grow((void **)&c->cl, &c->cl_cap, c->cl_len + REC_HDR + val->mv_size, 1))
        return strata_error_set(c->err, STRATA_ENOMEM, "out of memory");
    memcpy(c->cl + c->cl_len, key->mv_data, STG__CKEY_LEN);
    strata_put_le32(c->cl + c->cl_len + STG__CKEY_LEN, (uint32_t)val->mv_size);
    memcpy(c->cl + c->cl_len + REC_HDR, val->mv_data, val->mv_size);
    c->cl_len += REC_HDR + val->mv_size;
    c->cl_n++;
    /* A chunk that overlaps no other is left as it is when it is full already, and always
     * in the middle of the table, where rewriting it would not pack pages (best_split):
     * there compaction only merges overlapping chunks. */
    c->cl_full = c->cl_n == 1 && (val->mv_size >= c->fit * 3 / 4 || info.count >= c->target / 2 ||
                                  (!c->repack && !c->tail));
    if (info.t_last > c->cl_tlast) c->cl_tlast = info.t_last;
    if (info.t_last >= c->col_tmin) c->cl_keep = 1;
    return STRATA_OK;
}

/*
 * One slice: from key next, whole columns until slice_bytes of chunks were
 * read, in one transaction (ckpt_mu held by the caller). On return next is
 * the first key of the following slice, or *at_end is set.
 */
static int slice(compactor *c, uint8_t next[STG__CKEY_LEN], int *at_end)
{
    stg_engine *e = c->e;
    MDB_cursor *cur = NULL;
    MDB_val key, val;
    uint8_t here[STG__CKEY_LEN];
    int rc = STRATA_OK, mrc;

    c->slice_read = c->slice_written = 0;
    /* The tail is read and encoded in a read-only transaction, so that LMDB's writer (which
     * new series need) is held only while it is written; ckpt_mu, held by the caller, keeps
     * checkpoints and deletes, the only other writers of chunks, out meanwhile. */
    if ((mrc = mdb_txn_begin(e->env, NULL, c->tail ? MDB_RDONLY : 0, &c->txn))) {
        rc = stg__mdb_err(mrc, c->err, "compaction: beginning a transaction");
        goto out;
    }
    c->dbi = e->dbi_chunks;
    if (c->repack) {
        c->dst = e->dbi_tables[1 - e->table];
        if ((mrc = mdb_drop(c->txn, c->dst, 0))) {
            rc = stg__mdb_err(mrc, c->err, "compaction: emptying the other chunk table");
            goto out;
        }
    }
    if ((mrc = mdb_cursor_open(c->txn, c->dbi, &cur))) {
        rc = stg__mdb_err(mrc, c->err, "compaction: opening the chunk table");
        goto out;
    }
    key = (MDB_val){STG__CKEY_LEN, next};
    mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    for (;;) {
        if (mrc == MDB_NOTFOUND) {
            if ((rc = finish_col(c)) != STRATA_OK) goto out;
            *at_end = 1;
            break;
        }
        if (mrc) {
            rc = stg__mdb_err(mrc, c->err, "compaction: reading chunks");
            goto out;
        }
        if (key.mv_size == STG__CKEY_LEN && c->have_end &&
            memcmp(key.mv_data, c->end_key, STG__CKEY_LEN) >= 0)
            mrc = MDB_NOTFOUND; /* the tail is compacted on its own */
        if (mrc == MDB_NOTFOUND) continue;
        if (key.mv_size != STG__CKEY_LEN) {
            rc = strata_error_set(c->err, STRATA_ECORRUPT,
                                  "compaction stopped (slices done before are kept): a chunk key "
                                  "of %zu bytes",
                                  key.mv_size);
            goto out;
        }
        if (c->have_prefix && memcmp(key.mv_data, c->prefix, 20) != 0) {
            if ((rc = finish_col(c)) != STRATA_OK) goto out;
            if (c->slice_read >= c->slice_bytes) {
                /* Resume at the start of this column, not at this key: a checkpoint
                 * between the slices may add a chunk of the column before it, and a
                 * column is only merged with every chunk it has in view. */
                memcpy(next, key.mv_data, 20);
                memset(next + 20, 0, STG__CKEY_LEN - 20);
                break;
            }
        }
        if (c->rec_len > c->rec_max) {
            /* A large column: write what the slice holds so far (or drop it if nothing
             * changed and the run holds no merged point), then find this key again. */
            memcpy(here, key.mv_data, STG__CKEY_LEN);
            if (c->repack || c->changed || c->run.n > 0 || c->nin > 0) {
                if ((rc = write_slice(c)) != STRATA_OK) goto out;
            } else {
                drop_slice(c);
            }
            c->col_flushed = 1;
            /* Not a key that was deleted or written: those all come before it. */
            key = (MDB_val){STG__CKEY_LEN, here};
            mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
            continue;
        }
        if ((rc = take(c, &key, &val)) != STRATA_OK) goto out;
        mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    cur = NULL;
    if (c->changed && c->tail) {
        mdb_txn_abort(c->txn);
        if ((mrc = mdb_txn_begin(e->env, NULL, 0, &c->txn))) {
            c->txn = NULL;
            rc = stg__mdb_err(mrc, c->err, "compaction: beginning the tail's transaction");
            goto out;
        }
    }
    if (c->changed) {
        if ((rc = write_slice(c)) != STRATA_OK) goto out;
    } else {
        drop_slice(c);
    }
    if (c->repack) {
        /* Switch tables: a reader's snapshot names the table it reads. */
        uint8_t tb[8];
        strata_put_le64(tb, 1 - e->table);
        MDB_val tk = {strlen(STG__META_TABLE), STG__META_TABLE}, tv = {8, tb};
        if ((mrc = mdb_drop(c->txn, c->dbi, 0)) ||
            (mrc = mdb_put(c->txn, e->dbi_meta, &tk, &tv, 0))) {
            rc = stg__mdb_err(mrc, c->err, "compaction: switching tables");
            goto out;
        }
    }
    mrc = mdb_txn_commit(c->txn);
    c->txn = NULL;
    if (mrc) {
        rc = stg__mdb_err(mrc, c->err, "compaction: committing a slice");
        goto out;
    }
    if (c->repack) {
        pthread_rwlock_wrlock(&e->heads_rw);
        e->table = 1 - e->table;
        e->dbi_chunks = e->dbi_tables[e->table];
        pthread_rwlock_unlock(&e->heads_rw);
    }
out:
    if (cur) mdb_cursor_close(cur);
    if (c->txn) mdb_txn_abort(c->txn);
    c->txn = NULL;
    if (rc != STRATA_OK) {
        /* The slice is undone: forget what it gathered. */
        c->have_prefix = c->changed = c->col_flushed = 0;
        c->cl_len = c->cl_n = c->nin = c->nout = c->nkeys = c->rec_len = 0;
        c->run.n = c->run.str_len = 0;
    }
    return rc;
}

/*
 * In place: where the newest partition of the last database starts, the range
 * that ends the chunk table, if its chunks take at most limit bytes (and it
 * holds any). That range can be deleted and appended again with MDB_APPEND,
 * which fills pages, where the middle of the table cannot (best_split).
 * @return 1 with *start set, 0 when there is no such tail, or a strata code.
 */
static int tail_start(stg_engine *e, size_t limit, uint8_t start[STG__CKEY_LEN], strata_error *err)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    size_t bytes = 0;
    int rc = 0, mrc;
    if ((mrc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn)) ||
        (mrc = mdb_cursor_open(txn, e->dbi_chunks, &cur)))
        goto mdb_fail;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (mrc == MDB_NOTFOUND || (mrc == 0 && k.mv_size != STG__CKEY_LEN)) goto out;
    if (mrc) goto mdb_fail;
    memset(start, 0, STG__CKEY_LEN);
    memcpy(start, k.mv_data, 8); /* db | partition */
    k = (MDB_val){STG__CKEY_LEN, start};
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && bytes <= limit;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        bytes += v.mv_size;
    if (mrc && mrc != MDB_NOTFOUND) goto mdb_fail;
    rc = bytes > 0 && bytes <= limit;
    goto out;
mdb_fail:
    rc = stg__mdb_err(mrc, err, "compaction: finding the table's tail");
out:
    if (cur) mdb_cursor_close(cur);
    if (txn) mdb_txn_abort(txn);
    return rc;
}

/* The pause of a caller that has nothing else to do: sleep. */
static int sleep_until(void *ctx, int64_t until_mono_ns)
{
    (void)ctx;
    for (int64_t now = strata_mono_ns(); now < until_mono_ns; now = strata_mono_ns()) {
        int64_t d = until_mono_ns - now;
        struct timespec ts = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
        nanosleep(&ts, NULL);
    }
    return 0;
}

int stg__compact_run(stg_engine *e, const stg_compact_opts *o, stg__compact_pause_fn pause,
                     void *pause_ctx, stg_compact_stats *st, strata_error *err)
{
    compactor c;
    stg_compact_stats local;
    uint8_t next[STG__CKEY_LEN];
    int at_end = 0, rc = STRATA_OK;
    int64_t t0 = strata_mono_ns();

    if (st == NULL) st = &local;
    memset(st, 0, sizeof *st);
    memset(&c, 0, sizeof c);
    memset(next, 0, sizeof next);
    c.e = e;
    c.st = st;
    c.err = err;
    c.target = o && o->target_points ? o->target_points : 8192;
    if (c.target > STG_CHUNK_MAX_POINTS) c.target = STG_CHUNK_MAX_POINTS;
    c.slice_bytes = o && o->slice_bytes ? o->slice_bytes : SLICE_BYTES_DEFAULT;
    c.rec_max = c.slice_bytes * 4 > REC_MAX_MIN ? c.slice_bytes * 4 : REC_MAX_MIN;
    c.repack = o && o->repack;
    if (c.repack) c.slice_bytes = SIZE_MAX; /* one transaction */
    uint64_t rate = o ? o->rate_bytes : 0;
    if (pause == NULL) pause = sleep_until;
    MDB_stat ms;
    mdb_env_stat(e->env, &ms);
    c.fit = (ms.ms_psize - 16) / 2 - STG__CKEY_LEN - 8 - 64;
    c.page = ms.ms_psize - 16;
    /* LMDB's limit for a node in a leaf page, less the node header and the key */
    c.node_max = (((ms.ms_psize - 16) / 2) & ~(size_t)1) - 2 - 8 - STG__CKEY_LEN;

    if (!c.repack) {
        size_t limit = o && o->tail_bytes ? o->tail_bytes : TAIL_BYTES_DEFAULT;
        int t = tail_start(e, limit, c.end_key, err);
        if (t < 0) rc = t;
        c.have_end = t == 1;
        at_end = t < 0;
    }
    while (!at_end) {
        int64_t s0 = strata_mono_ns();
        pthread_mutex_lock(&e->ckpt_mu);
        rc = slice(&c, next, &at_end);
        pthread_mutex_unlock(&e->ckpt_mu);
        if (rc != STRATA_OK) break;
        st->slices++;
        if (at_end && c.have_end) {
            /* The middle is done; now the tail, in one slice that ends the table. */
            memcpy(next, c.end_key, STG__CKEY_LEN);
            c.have_end = 0;
            c.tail = 1;
            c.slice_bytes = c.rec_max = SIZE_MAX;
            c.page_used = 0;
            at_end = 0;
        } else if (at_end) {
            break;
        }
        /* The slice may take no less than its bytes at the rate. */
        int64_t until = strata_mono_ns();
        if (rate > 0) {
            double ns = (double)(c.slice_read + c.slice_written) * 1e9 / (double)rate;
            if (s0 + ns > (double)until) until = s0 + (int64_t)ns;
        }
        int64_t p0 = strata_mono_ns();
        int stop = pause(pause_ctx, until);
        st->paused_ns += (uint64_t)(strata_mono_ns() - p0);
        if (stop) {
            rc = strata_error_set(err, STRATA_ECLOSED,
                                  "compaction stopped at shutdown after %llu slices (what they "
                                  "did is kept)",
                                  (unsigned long long)st->slices);
            break;
        }
    }
    st->elapsed_ns = (uint64_t)(strata_mono_ns() - t0);
    if (rc == STRATA_OK)
        strata_log(e->log, STRATA_LOG_INFO, "engine",
                   "compaction: %llu chunks (%llu bytes) -> %llu chunks (%llu bytes), %llu kept "
                   "as they were, %llu bytes written in %llu slices, %.1f s (%.1f s paused)",
                   (unsigned long long)st->chunks_before, (unsigned long long)st->bytes_before,
                   (unsigned long long)st->chunks_after, (unsigned long long)st->bytes_after,
                   (unsigned long long)st->chunks_kept, (unsigned long long)st->bytes_written,
                   (unsigned long long)st->slices, (double)st->elapsed_ns / 1e9,
                   (double)st->paused_ns / 1e9);
    free(c.cl);
    free(c.keys);
    free(c.recs);
    free(c.col_in);
    free(c.col_out);
    free(c.enc);
    pbuf_free(&c.run);
    pbuf_free(&c.dec);
    return rc;
}

int stg_engine_compact_opts(stg_engine *e, const stg_compact_opts *o, stg_compact_stats *st,
                            strata_error *err)
{
    return stg__compact_run(e, o, NULL, NULL, st, err);
}

int stg_engine_compact(stg_engine *e, uint32_t target_points, stg_compact_stats *st,
                       strata_error *err)
{
    stg_compact_opts o = {.target_points = target_points, .repack = 1};
    return stg__compact_run(e, &o, NULL, NULL, st, err);
}
