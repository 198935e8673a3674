/*
 * storage/wal_recover.c: the recovery scan of the write-ahead log: replay of
 * intact records, detection and removal of a torn or corrupt tail, and
 * installation of the segment that appends continue in.
 *
 * Rules (see storage/wal.h for the contract):
 * - Segments are visited oldest first. A segment is skipped without being
 *   read when the next one starts at or below from_lsn (all its records are
 *   older than what the caller wants), so start-up reads only what it
 *   replays plus, at worst, the last segment.
 * - Inside a segment records must follow each other with consecutive LSNs
 *   starting at the header's first LSN; the first record that is short,
 *   malformed, out of sequence, fails its checksum or does not decompress
 *   ends the segment. If only zero bytes follow, that is the normal end
 *   (preallocated space); otherwise the segment is cut there (ftruncate) and
 *   every later segment is renamed *.corrupt: records after a hole cannot be
 *   trusted to be the ones acknowledged.
 * - A segment whose header is bad (or that does not start right after the
 *   previous one) is renamed *.corrupt with every later one; if the segment
 *   before it was skipped, it is then read to find where the log ends.
 * - A valid header of another format version stops recovery (EVERSION):
 *   that is a newer build's log, not corruption.
 * - Read errors stop recovery (EIO) without cutting anything.
 * Memory: one WAL_READ_BUF read buffer, plus one buffer for stored payloads
 * larger than it and one for decompressed payloads, each reused.
 */
#include "storage/wal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

typedef struct rcv {
    stg_wal *w;
    uint64_t from_lsn;
    stg_wal_replay_fn cb;
    void *ctx;
    stg_wal_replay_stats *st;
    strata_error *err;
    int cb_rc;     /* non-zero: the callback stopped the replay with this */
    uint8_t *rbuf; /* WAL_READ_BUF bytes */
    wal_buf big;   /* stored payloads larger than rbuf */
    wal_buf raw;   /* decompressed payloads */
} rcv;

/* A buffered forward reader over one segment file. */
typedef struct rd {
    int fd;
    uint64_t size, pos, buf_off;
    size_t buf_len;
    rcv *r;
    const char *name;
} rd;

typedef struct seg_scan {
    int fd;
    uint64_t size;
    int hdr_ok;        /* 0: the whole segment is bad */
    uint64_t end_off;  /* end of the last good record */
    uint64_t last_lsn; /* last good LSN; first - 1 when none */
    uint64_t dropped;  /* bytes dropped (0: clean end, possibly a zero tail) */
    char why[160];
} seg_scan;

static int buf_reserve(wal_buf *b, size_t n)
{
    if (n <= b->cap && b->p != NULL) return STRATA_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL) return STRATA_ENOMEM;
    b->p = p;
    b->cap = cap;
    return STRATA_OK;
}

/* Read n bytes at off. @return 0, 1 if the file ends first, STRATA_EIO. */
static int pread_full(rd *d, uint8_t *dst, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t got = pread(d->fd, dst, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            return strata_error_set(d->r->err, STRATA_EIO,
                                    "wal %s/%s: read at offset %" PRIu64 ": %s", d->r->w->dir,
                                    d->name, off, strerror(errno));
        if (got == 0) return 1;
        dst += got;
        off += (uint64_t)got;
        n -= (size_t)got;
    }
    return 0;
}

/*
 * Point *p at the next n bytes and advance. The pointer lives until the
 * next call. @return 0, 1 if fewer than n bytes remain, STRATA_EIO or
 * STRATA_ENOMEM.
 */
static int rd_get(rd *d, size_t n, const uint8_t **p)
{
    int rc;
    if (n > d->size - d->pos) return 1;
    if (n <= WAL_READ_BUF) {
        if (d->pos < d->buf_off || d->pos + n > d->buf_off + d->buf_len) {
            size_t want = WAL_READ_BUF;
            if (want > d->size - d->pos) want = (size_t)(d->size - d->pos);
            if ((rc = pread_full(d, d->r->rbuf, want, d->pos)) != 0) return rc;
            d->buf_off = d->pos;
            d->buf_len = want;
        }
        *p = d->r->rbuf + (d->pos - d->buf_off);
    } else {
        if (buf_reserve(&d->r->big, n) < 0)
            return strata_error_set(d->r->err, STRATA_ENOMEM,
                                    "wal %s/%s: no memory for a %zu-byte record", d->r->w->dir,
                                    d->name, n);
        if ((rc = pread_full(d, d->r->big.p, n, d->pos)) != 0) return rc;
        *p = d->r->big.p;
    }
    d->pos += n;
    return 0;
}

/* Offset after the last non-zero byte in [from, size), or from if none. */
static int data_end(rd *d, uint64_t from, uint64_t *end)
{
    uint64_t off = from;
    *end = from;
    while (off < d->size) {
        /*
         * Skip holes and unwritten (preallocated) extents without reading
         * them: after a crash the current segment ends in up to 64 MiB of
         * preallocated zeros. Filesystems without SEEK_DATA just read.
         */
        off_t data = lseek(d->fd, (off_t)off, SEEK_DATA);
        if (data < 0 && errno == ENXIO) break;
        if (data > (off_t)off) off = (uint64_t)data;
        if (off >= d->size) break;
        /* End chunks on aligned offsets, so that the next SEEK_DATA starts on a page
         * that this loop has not pulled into the page cache. */
        size_t n = WAL_READ_BUF - (size_t)(off % WAL_READ_BUF);
        if (n > d->size - off) n = (size_t)(d->size - off);
        int rc = pread_full(d, d->r->rbuf, n, off);
        if (rc < 0) return rc;
        if (rc == 1) break;
        for (size_t i = n; i > 0; i--) {
            if (d->r->rbuf[i - 1] != 0) {
                *end = off + i;
                break;
            }
        }
        off += n;
    }
    d->buf_len = 0; /* rbuf was overwritten */
    return STRATA_OK;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return 0;
    return 1;
}

/*
 * Read one segment: header, then records until the first bad one. Records
 * with lsn >= from_lsn go to the callback. s->fd stays open (O_RDWR) on
 * success. @return STRATA_OK (see s), STRATA_EIO, STRATA_ENOMEM,
 * STRATA_EVERSION, or 1 when the callback stopped (r->cb_rc).
 */
static int scan_segment(rcv *r, uint64_t name_lsn, uint64_t expected, seg_scan *s)
{
    stg_wal *w = r->w;
    char name[WAL_NAME_MAX];
    const uint8_t *h = NULL, *pl = NULL;
    struct stat sb;
    uint64_t first = 0, lsn_next, off;
    uint32_t version = 0;
    const char *why = NULL;
    int rc;
    rd d;

    memset(s, 0, sizeof *s);
    stg__wal_seg_name(name, name_lsn);
    s->fd = openat(w->dirfd, name, O_RDWR | O_CLOEXEC);
    if (s->fd < 0)
        return strata_error_set(r->err, STRATA_EIO, "wal %s/%s: open: %s", w->dir, name,
                                strerror(errno));
    if (fstat(s->fd, &sb) != 0)
        return strata_error_set(r->err, STRATA_EIO, "wal %s/%s: stat: %s", w->dir, name,
                                strerror(errno));
    s->size = (uint64_t)sb.st_size;
    r->st->segments++;
    memset(&d, 0, sizeof d);
    d.fd = s->fd;
    d.size = s->size;
    d.r = r;
    d.name = name;

    rc = rd_get(&d, WAL_SEG_HDR_BYTES, &h);
    if (rc < 0) return rc;
    if (rc == 1) {
        snprintf(s->why, sizeof s->why, "file is shorter than a segment header (%" PRIu64 " bytes)",
                 s->size);
        goto bad_header;
    }
    rc = stg__wal_seg_hdr_check(h, &first, &version, &why);
    if (rc == STRATA_EVERSION)
        return strata_error_set(r->err, STRATA_EVERSION,
                                "wal %s/%s: segment format version %" PRIu32
                                " is not supported by this build (it reads version %u); "
                                "use a newer build or move the directory away",
                                w->dir, name, version, WAL_VERSION);
    if (rc < 0) {
        snprintf(s->why, sizeof s->why, "bad segment header: %s", why);
        goto bad_header;
    }
    if (first != name_lsn) {
        snprintf(s->why, sizeof s->why, "header says first LSN %" PRIu64 ", name says %" PRIu64,
                 first, name_lsn);
        goto bad_header;
    }
    if (expected != 0 && first != expected) {
        snprintf(s->why, sizeof s->why,
                 "segment starts at LSN %" PRIu64 " but the previous segment ends at LSN %" PRIu64,
                 first, expected - 1);
        goto bad_header;
    }
    s->hdr_ok = 1;

    lsn_next = first;
    for (;;) {
        off = d.pos;
        rc = rd_get(&d, WAL_REC_HDR_BYTES, &h);
        if (rc < 0) return rc;
        if (rc == 1) {
            if (off == s->size) goto clean_end;
            snprintf(s->why, sizeof s->why, "truncated record header");
            goto bad_record;
        }
        if (all_zero(h, WAL_REC_HDR_BYTES)) {
            snprintf(s->why, sizeof s->why, "zero bytes where a record header should be");
            goto bad_record;
        }
        uint8_t type = h[0], flags = h[1];
        uint32_t slen = wal_get_le32(h + 4);
        uint64_t lsn = wal_get_le64(h + 8), sum = wal_get_le64(h + 16);
        uint8_t hcopy[16];
        memcpy(hcopy, h, 16); /* h dies with the next rd_get */
        if (type == 0 || (flags & ~WAL_FLAGS_KNOWN) != 0 || wal_get_le16(h + 2) != 0 ||
            slen > WAL_STORED_MAX || ((flags & WAL_FLAG_LZ4) && slen < 4)) {
            snprintf(s->why, sizeof s->why,
                     "malformed record header (type %u, flags 0x%02x, "
                     "length %" PRIu32 ")",
                     type, flags, slen);
            goto bad_record;
        }
        if (lsn != lsn_next) {
            snprintf(s->why, sizeof s->why,
                     "record has LSN %" PRIu64 " where %" PRIu64 " was expected", lsn, lsn_next);
            goto bad_record;
        }
        rc = rd_get(&d, slen, &pl);
        if (rc < 0) return rc;
        if (rc == 1) {
            snprintf(s->why, sizeof s->why,
                     "record LSN %" PRIu64 " of %" PRIu32
                     " bytes extends past the end of the file (torn write)",
                     lsn, slen);
            goto bad_record;
        }
        if (stg__wal_rec_checksum(hcopy, XXH3_64bits(pl, slen)) != sum) {
            snprintf(s->why, sizeof s->why, "checksum mismatch in record LSN %" PRIu64, lsn);
            goto bad_record;
        }
        const uint8_t *payload = pl;
        size_t len = slen;
        if (flags & WAL_FLAG_LZ4) {
            uint32_t raw_len = wal_get_le32(pl);
            int got = -1;
            if (raw_len <= STG_WAL_PAYLOAD_MAX) {
                if (buf_reserve(&r->raw, raw_len ? raw_len : 1) < 0)
                    return strata_error_set(r->err, STRATA_ENOMEM,
                                            "wal %s/%s: no memory to decompress a %" PRIu32
                                            "-byte record",
                                            w->dir, name, raw_len);
                got = LZ4_decompress_safe((const char *)pl + 4, (char *)r->raw.p, (int)(slen - 4),
                                          (int)raw_len);
            }
            if (got < 0 || (uint32_t)got != raw_len) {
                snprintf(s->why, sizeof s->why,
                         "record LSN %" PRIu64 " passes its checksum but does not decompress", lsn);
                goto bad_record;
            }
            payload = r->raw.p;
            len = raw_len;
        }
        if (lsn >= r->from_lsn) {
            if (r->cb != NULL) {
                int cb_rc = r->cb(r->ctx, lsn, type, payload, len);
                if (cb_rc != 0) {
                    r->cb_rc = cb_rc;
                    return 1;
                }
            }
            if (r->st->records == 0) r->st->first_lsn = lsn;
            r->st->records++;
            r->st->bytes += len;
            r->st->last_lsn = lsn;
        }
        lsn_next = lsn + 1;
    }

clean_end:
    s->end_off = d.pos;
    s->last_lsn = lsn_next - 1;
    return STRATA_OK;

bad_record:
    s->end_off = off;
    s->last_lsn = lsn_next - 1;
    uint64_t end;
    if ((rc = data_end(&d, off, &end)) < 0) return rc;
    s->dropped = end - off;
    return STRATA_OK;

bad_header:
    s->hdr_ok = 0;
    s->dropped = s->size;
    return STRATA_OK;
}

/* Rename segments [from, w->nsegs) to *.corrupt and drop them from the list. */
static int quarantine_from(rcv *r, size_t from, const char *reason)
{
    stg_wal *w = r->w;
    char name[WAL_NAME_MAX], newname[WAL_NAME_MAX];
    int rc;

    for (size_t i = w->nsegs; i-- > from;) {
        stg__wal_seg_name(name, w->segs[i].first_lsn);
        if ((rc = stg__wal_seg_quarantine(w, w->segs[i].first_lsn, newname, r->err)) < 0) return rc;
        r->st->cut_bytes += w->segs[i].file_bytes;
        strata_log(w->opt.log, STRATA_LOG_WARN, "wal",
                   "%s/%s: renamed to %s, dropping %" PRIu64 " bytes: %s", w->dir, name, newname,
                   w->segs[i].file_bytes, reason);
        w->nsegs = i;
    }
    return STRATA_OK;
}

/* Delete every listed segment (all hold records < start_lsn). */
static int drop_all(rcv *r)
{
    stg_wal *w = r->w;
    char name[WAL_NAME_MAX];
    while (w->nsegs > 0) {
        stg__wal_seg_name(name, w->segs[0].first_lsn);
        if (unlinkat(w->dirfd, name, 0) != 0 && errno != ENOENT)
            return strata_error_set(r->err, STRATA_EIO, "wal %s/%s: unlink: %s", w->dir, name,
                                    strerror(errno));
        memmove(w->segs, w->segs + 1, (w->nsegs - 1) * sizeof *w->segs);
        w->nsegs--;
    }
    return stg__wal_dir_sync(w, r->err);
}

static int sync_fd(rcv *r, int fd, uint64_t name_lsn)
{
    char name[WAL_NAME_MAX];
    if (!r->w->opt.sync || fdatasync(fd) == 0) return STRATA_OK;
    stg__wal_seg_name(name, name_lsn);
    return strata_error_set(r->err, STRATA_EIO, "wal %s/%s: fdatasync: %s", r->w->dir, name,
                            strerror(errno));
}

int stg__wal_recover(stg_wal *w, uint64_t from_lsn, stg_wal_replay_fn cb, void *ctx,
                     stg_wal_replay_stats *st, strata_error *err)
{
    stg_wal_replay_stats local;
    rcv r;
    seg_scan s;
    char name[WAL_NAME_MAX];
    int rc, cur_fd = -1, new_fd = -1;
    size_t i, cur_idx = SIZE_MAX;
    uint64_t expected = 0, cur_end = 0, cur_last = 0, next, file_bytes;

    if (st == NULL) st = &local;
    memset(st, 0, sizeof *st);
    memset(&r, 0, sizeof r);
    r.w = w;
    r.from_lsn = from_lsn;
    r.cb = cb;
    r.ctx = ctx;
    r.st = st;
    r.err = err;
    s.fd = -1;

    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    w->ready = 0;
    r.rbuf = malloc(WAL_READ_BUF);
    if (r.rbuf == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "wal %s: no memory for the read buffer", w->dir);
        goto fail;
    }
    if ((rc = stg__wal_seg_list(w, err)) < 0) goto fail;
    if (w->nsegs > 0 && from_lsn != UINT64_MAX && from_lsn < w->segs[0].first_lsn &&
        from_lsn >= w->start_lsn)
        strata_log(w->opt.log, STRATA_LOG_WARN, "wal",
                   "%s: replay asked from LSN %" PRIu64
                   " but the oldest segment starts at LSN %" PRIu64 ": records %" PRIu64
                   "..%" PRIu64 " are not in the log",
                   w->dir, from_lsn, w->segs[0].first_lsn, from_lsn, w->segs[0].first_lsn - 1);

    i = 0;
    while (i < w->nsegs) {
        if (i + 1 < w->nsegs && w->segs[i + 1].first_lsn <= from_lsn) {
            expected = 0; /* skipped: where it ends is not known */
            i++;
            continue;
        }
        rc = scan_segment(&r, w->segs[i].first_lsn, expected, &s);
        if (rc == 1) {
            rc = r.cb_rc;
            goto fail;
        }
        if (rc < 0) goto fail;
        stg__wal_seg_name(name, w->segs[i].first_lsn);
        if (!s.hdr_ok) {
            close(s.fd);
            s.fd = -1;
            if ((rc = quarantine_from(&r, i, s.why)) < 0) goto fail;
            if (i == 0 || cur_idx == i - 1) break;
            i--; /* the previous segment was skipped: read it to find the end */
            expected = 0;
            continue;
        }
        if (s.dropped > 0) {
            strata_log(w->opt.log, STRATA_LOG_WARN, "wal",
                       "%s/%s: cut torn or corrupt tail at offset %" PRIu64 ", dropping %" PRIu64
                       " bytes: %s; the log now ends at LSN %" PRIu64,
                       w->dir, name, s.end_off, s.dropped, s.why, s.last_lsn);
            st->cut_bytes += s.dropped;
            if (ftruncate(s.fd, (off_t)s.end_off) != 0) {
                rc = strata_error_set(err, STRATA_EIO, "wal %s/%s: truncate to %" PRIu64 ": %s",
                                      w->dir, name, s.end_off, strerror(errno));
                goto fail;
            }
            w->segs[i].file_bytes = s.end_off;
            if (i + 1 < w->nsegs &&
                (rc = quarantine_from(&r, i + 1, "it follows a cut segment")) < 0)
                goto fail;
        } else if (s.end_off < s.size) {
            strata_log(w->opt.log, STRATA_LOG_DEBUG, "wal",
                       "%s/%s: ends at offset %" PRIu64 " followed by zero bytes", w->dir, name,
                       s.end_off);
        }
        /* Records read from a killed process's page cache must be on disk
         * before anything is appended after them. */
        if ((rc = sync_fd(&r, s.fd, w->segs[i].first_lsn)) < 0) goto fail;
        if (cur_fd >= 0) close(cur_fd);
        cur_fd = s.fd;
        s.fd = -1;
        cur_idx = i;
        cur_end = s.end_off;
        cur_last = s.last_lsn;
        expected = s.last_lsn + 1;
        i++;
    }
    if ((rc = stg__wal_dir_sync(w, err)) < 0) goto fail;

    next = w->nsegs > 0 ? cur_last + 1 : (expected > 0 ? expected : 1);
    if (next < w->start_lsn) {
        if (w->nsegs > 0)
            strata_log(w->opt.log, STRATA_LOG_INFO, "wal",
                       "%s: log ends at LSN %" PRIu64 " below the start LSN %" PRIu64
                       " (checkpointed): deleting %zu old segment(s)",
                       w->dir, next - 1, w->start_lsn, w->nsegs);
        if (cur_fd >= 0) close(cur_fd);
        cur_fd = -1;
        if ((rc = drop_all(&r)) < 0) goto fail;
        next = w->start_lsn;
    }
    if (w->nsegs == 0) {
        if ((rc = stg__wal_seg_create(w, next, &new_fd, &file_bytes, err)) < 0) goto fail;
        if ((rc = stg__wal_segs_push(w, next, file_bytes)) < 0) {
            strata_error_set(err, rc, "wal %s: out of memory", w->dir);
            close(new_fd);
            goto fail;
        }
        cur_fd = new_fd;
        cur_end = WAL_SEG_HDR_BYTES;
    } else {
        wal_seg *cur = &w->segs[w->nsegs - 1];
        if (cur_idx != w->nsegs - 1) {
            rc = strata_error_set(err, STRATA_EINTERNAL,
                                  "wal %s: recovery lost the current "
                                  "segment",
                                  w->dir);
            goto fail;
        }
        stg__wal_prealloc(w, cur_fd, cur_end, &cur->file_bytes);
    }

    w->fd = cur_fd;
    w->seg_first = w->segs[w->nsegs - 1].first_lsn;
    w->seg_bytes = cur_end;
    w->seg_logical = cur_end;
    w->next_lsn = next;
    w->synced_lsn = next - 1;
    w->active.len = 0;
    w->ready = 1;
    free(r.rbuf);
    free(r.big.p);
    free(r.raw.p);
    return STRATA_OK;

fail:
    if (s.fd >= 0) close(s.fd);
    if (cur_fd >= 0) close(cur_fd);
    free(r.rbuf);
    free(r.big.p);
    free(r.raw.p);
    return rc;
}
