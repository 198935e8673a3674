/*
 * storage/wal.c: the write-ahead log's public API: open/close, append,
 * group-commit sync, rotation and truncation. Segment file helpers live in
 * wal_seg.c, the recovery scan in wal_recover.c; wal_int.h describes the
 * format and the locking.
 *
 * How a record travels: stg_wal_append() compresses (when it pays) and
 * hashes the payload outside the mutex, then under the mutex takes the next
 * LSN and copies header + payload into the active buffer. Whoever next holds
 * the I/O token (a syncer, an appender finding the buffer full, a rotation,
 * or an appender of a record too large to buffer) swaps the active buffer
 * out, drops the mutex, pwritev()s it at the segment's write offset and, for
 * a sync, fdatasyncs. Syncers that arrive while the token is held wait on the
 * condition variable; when it is released the first one still uncovered
 * becomes the next leader and its single write + fdatasync covers everything
 * appended meanwhile (group commit).
 *
 * Invariants: records reach the file in LSN order (LSNs are assigned under
 * the mutex in buffer order and only the token holder writes); every record
 * <= synced_lsn is durable; the current segment is always w->segs[nsegs-1]
 * and is never deleted by truncation.
 */
#include "storage/wal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lz4.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- small helpers ------------------------------------------------------ */

static int fail_code(int errnum)
{
    return errnum == ENOSPC || errnum == EDQUOT ? STRATA_EFULL : STRATA_EIO;
}

/* mu held: make the log failed (sticky) and report it. */
static int set_failed(stg_wal *w, int code, strata_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int set_failed(stg_wal *w, int code, strata_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->failmsg, sizeof w->failmsg, fmt, ap);
    va_end(ap);
    w->failed = code;
    strata_log(w->opt.log, STRATA_LOG_ERROR, "wal", "%s; the log refuses writes until reopened",
               w->failmsg);
    return strata_error_set(err, code, "%s", w->failmsg);
}

static int failed_err(stg_wal *w, strata_error *err)
{
    return strata_error_set(err, w->failed, "wal %s is failed and must be reopened: %s", w->dir,
                            w->failmsg);
}

/* fsync the directory that contains path (so that a new entry in it is durable). */
static void sync_parent(char *path)
{
    char *slash = strrchr(path, '/');
    int fd;
    if (slash == path)
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    else if (slash == NULL)
        fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    else {
        *slash = '\0';
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *slash = '/';
    }
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Create dir and its missing parents; with do_sync, make each new entry durable. */
static int mkdir_p(const char *dir, int do_sync, strata_error *err)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof path)
        return strata_error_set(err, STRATA_EINVAL, "wal directory path is empty or too long");
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0755) == 0) {
            if (do_sync) sync_parent(path);
        } else if (errno != EEXIST) {
            return strata_error_set(err, STRATA_EIO, "wal: cannot create directory %s: %s", path,
                                    strerror(errno));
        }
        path[i] = c;
    }
    return STRATA_OK;
}

static int buf_reserve(wal_buf *b, size_t n)
{
    if (n <= b->cap && b->p != NULL) return STRATA_OK;
    size_t cap = b->cap ? b->cap : 64 * 1024;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL) return STRATA_ENOMEM;
    b->p = p;
    b->cap = cap;
    return STRATA_OK;
}

/* Write every byte of iov at off. @return 0 or an errno value. */
static int pwritev_all(int fd, struct iovec *iov, int cnt, uint64_t off)
{
    while (cnt > 0 && iov->iov_len == 0) {
        iov++;
        cnt--;
    }
    while (cnt > 0) {
        ssize_t n = pwritev(fd, iov, cnt, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        off += (uint64_t)n;
        while (cnt > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return 0;
}

/* ---- compression scratch pool ------------------------------------------ */

static wal_buf scratch_get(stg_wal *w, size_t need)
{
    wal_buf b = {NULL, 0, 0};
    pthread_mutex_lock(&w->scratch_mu);
    if (w->nscratch > 0) b = w->scratch[--w->nscratch];
    pthread_mutex_unlock(&w->scratch_mu);
    if (b.cap < need) {
        uint8_t *p = realloc(b.p, need);
        if (p == NULL) {
            free(b.p);
            b.p = NULL;
            b.cap = 0;
            return b;
        }
        b.p = p;
        b.cap = need;
    }
    return b;
}

static void scratch_put(stg_wal *w, wal_buf b)
{
    if (b.p == NULL) return;
    if (b.cap <= WAL_SCRATCH_KEEP) {
        pthread_mutex_lock(&w->scratch_mu);
        if (w->nscratch < WAL_SCRATCH_SLOTS) {
            w->scratch[w->nscratch++] = b;
            b.p = NULL;
        }
        pthread_mutex_unlock(&w->scratch_mu);
    }
    free(b.p);
}

/* ---- the I/O token ------------------------------------------------------ */

static void io_release(stg_wal *w)
{
    w->io_busy = 0;
    pthread_cond_broadcast(&w->cv);
}

/*
 * mu and token held. Write the active buffer, then optionally one more
 * record (hdr + payload, already numbered) and fdatasync. Drops mu during
 * the I/O; appenders keep filling the (new) active buffer meanwhile.
 */
static int flush_io(stg_wal *w, const uint8_t *hdr, const void *pay, size_t pay_len, int do_sync,
                    strata_error *err)
{
    wal_buf t = w->active;
    struct iovec iov[3];
    uint64_t target = w->next_lsn - 1, off = w->seg_bytes, total;
    int fd = w->fd, cnt = 0, e = 0, synced = 0;
    const char *what = "write";

    w->active = w->spare;
    w->spare = t;
    iov[cnt].iov_base = w->spare.p;
    iov[cnt++].iov_len = w->spare.len;
    if (hdr != NULL) {
        iov[cnt].iov_base = (void *)hdr;
        iov[cnt++].iov_len = WAL_REC_HDR_BYTES;
        iov[cnt].iov_base = (void *)pay;
        iov[cnt++].iov_len = pay_len;
    }
    total = w->spare.len + (hdr != NULL ? WAL_REC_HDR_BYTES + pay_len : 0);

    pthread_mutex_unlock(&w->mu);
    if (total > 0) e = pwritev_all(fd, iov, cnt, off);
    if (e == 0 && do_sync) {
        what = "fdatasync";
        if (fdatasync(fd) != 0)
            e = errno;
        else
            synced = 1;
    }
    pthread_mutex_lock(&w->mu);

    w->spare.len = 0;
    if (e != 0) {
        char name[WAL_NAME_MAX];
        stg__wal_seg_name(name, w->seg_first);
        return set_failed(w, fail_code(e), err,
                          "wal %s/%s: %s of %" PRIu64 " bytes at offset %" PRIu64 ": %s", w->dir,
                          name, what, total, off, strerror(e));
    }
    if (total > 0) {
        wal_seg *cur = &w->segs[w->nsegs - 1];
        w->st.writes++;
        w->st.write_bytes += total;
        w->seg_bytes = off + total;
        if (cur->file_bytes < w->seg_bytes) cur->file_bytes = w->seg_bytes;
    }
    w->st.syncs += (uint64_t)synced;
    if ((synced || !w->opt.sync) && w->synced_lsn < target) w->synced_lsn = target;
    return STRATA_OK;
}

/*
 * mu and token held. Flush the current segment, trim its preallocated
 * tail, sync it, create the next segment and switch to it.
 */
static int rotate_io(stg_wal *w, uint64_t *next_out, strata_error *err)
{
    uint64_t new_first = w->next_lsn, end, old_bytes, new_bytes = 0;
    int rc, old_fd, new_fd = -1, trimmed = 0, sync_errno = 0;
    char name[WAL_NAME_MAX];

    if (new_first == w->seg_first) { /* no record in the current segment */
        if (next_out) *next_out = new_first;
        return STRATA_OK;
    }
    /* Reserve the list slot now: after the file exists, pushing must not fail. */
    if (w->nsegs == w->segs_cap) {
        if (stg__wal_segs_push(w, 0, 0) < 0)
            return strata_error_set(err, STRATA_ENOMEM, "wal %s: out of memory rotating", w->dir);
        w->nsegs--;
    }
    if ((rc = flush_io(w, NULL, NULL, 0, 0, err)) < 0) return rc;
    old_fd = w->fd;
    end = w->seg_bytes;
    old_bytes = w->segs[w->nsegs - 1].file_bytes;
    stg__wal_seg_name(name, w->seg_first);

    pthread_mutex_unlock(&w->mu);
    if (old_bytes > end) {
        if (ftruncate(old_fd, (off_t)end) == 0)
            trimmed = 1;
        else /* Harmless: zeros after the last record read as the end. */
            strata_log(w->opt.log, STRATA_LOG_WARN, "wal",
                       "%s/%s: cannot trim to %" PRIu64 " bytes: %s", w->dir, name, end,
                       strerror(errno));
    }
    if (w->opt.sync && fdatasync(old_fd) != 0)
        sync_errno = errno;
    else
        rc = stg__wal_seg_create(w, new_first, &new_fd, &new_bytes, err);
    pthread_mutex_lock(&w->mu);

    if (trimmed) w->segs[w->nsegs - 1].file_bytes = end;
    if (sync_errno != 0)
        return set_failed(w, fail_code(sync_errno), err, "wal %s/%s: fdatasync: %s", w->dir, name,
                          strerror(sync_errno));
    if (w->opt.sync) w->st.syncs++;
    if (w->synced_lsn < new_first - 1) w->synced_lsn = new_first - 1;
    if (rc < 0) {
        strata_log(w->opt.log, STRATA_LOG_ERROR, "wal", "%s; appends continue in %s",
                   err ? err->msg : "cannot start a new segment", name);
        return rc;
    }
    (void)stg__wal_segs_push(w, new_first, new_bytes); /* slot reserved above */
    close(old_fd);
    w->fd = new_fd;
    w->seg_first = new_first;
    w->seg_bytes = WAL_SEG_HDR_BYTES;
    w->seg_logical = WAL_SEG_HDR_BYTES + w->active.len;
    w->st.rotations++;
    if (next_out) *next_out = new_first;
    return STRATA_OK;
}

/* mu held: recover lazily when replay was not called. */
static int ensure_ready(stg_wal *w, strata_error *err)
{
    if (w->ready) return STRATA_OK;
    return stg__wal_recover(w, UINT64_MAX, NULL, NULL, NULL, err);
}

/* ---- public API ---------------------------------------------------------- */

int stg_wal_open(const char *dir, const stg_wal_options *opt, uint64_t start_lsn, stg_wal **out,
                 strata_error *err)
{
    stg_wal *w = NULL;
    int rc;

    if (dir == NULL || out == NULL)
        return strata_error_set(err, STRATA_EINVAL, "wal: NULL directory or result pointer");
    *out = NULL;
    if (opt != NULL && opt->segment_bytes != 0 && opt->segment_bytes < STG_WAL_SEGMENT_MIN)
        return strata_error_set(err, STRATA_EINVAL,
                                "wal %s: segment size %zu is below the minimum %zu", dir,
                                opt->segment_bytes, STG_WAL_SEGMENT_MIN);
    w = calloc(1, sizeof *w);
    if (w == NULL) return strata_error_set(err, STRATA_ENOMEM, "wal %s: out of memory", dir);
    w->fd = w->dirfd = w->lockfd = -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->trunc_mu, NULL);
    pthread_mutex_init(&w->scratch_mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (opt != NULL) {
        w->opt = *opt;
        w->opt.sync = opt->sync ? 1 : 0;
    } else {
        w->opt.sync = 1;
    }
    if (w->opt.segment_bytes == 0) w->opt.segment_bytes = (size_t)64 << 20;
    if (w->opt.compress_min_bytes == 0) w->opt.compress_min_bytes = 4096;
    w->prealloc_bytes =
        w->opt.segment_bytes < WAL_PREALLOC_MAX ? w->opt.segment_bytes : WAL_PREALLOC_MAX;
    w->start_lsn = start_lsn ? start_lsn : 1;
    w->dir = strdup(dir);
    if (w->dir == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "wal %s: out of memory", dir);
        goto fail;
    }
    if ((rc = mkdir_p(dir, w->opt.sync, err)) < 0) goto fail;
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        rc = strata_error_set(err, STRATA_EIO, "wal: cannot open directory %s: %s", dir,
                              strerror(errno));
        goto fail;
    }
    w->lockfd = openat(w->dirfd, WAL_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (w->lockfd < 0) {
        rc = strata_error_set(err, STRATA_EIO, "wal %s/%s: cannot open the lock file: %s", dir,
                              WAL_LOCK_NAME, strerror(errno));
        goto fail;
    }
    if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            rc = strata_error_set(err, STRATA_EBUSY,
                                  "wal %s is in use by another process or handle (%s is locked)",
                                  dir, WAL_LOCK_NAME);
        else
            rc = strata_error_set(err, STRATA_EIO, "wal %s/%s: flock: %s", dir, WAL_LOCK_NAME,
                                  strerror(errno));
        goto fail;
    }
    if ((rc = stg__wal_seg_list(w, err)) < 0) goto fail;
    *out = w;
    return STRATA_OK;
fail:
    stg_wal_close(w);
    return rc;
}

int stg_wal_replay(stg_wal *w, uint64_t from_lsn, stg_wal_replay_fn cb, void *ctx,
                   stg_wal_replay_stats *st, strata_error *err)
{
    int rc;
    if (w == NULL) return strata_error_set(err, STRATA_EINVAL, "wal: NULL log");
    pthread_mutex_lock(&w->trunc_mu);
    pthread_mutex_lock(&w->mu);
    if (w->mutated)
        rc = strata_error_set(err, STRATA_EINVAL,
                              "wal %s: replay must come before the first append or rotate", w->dir);
    else
        rc = stg__wal_recover(w, from_lsn, cb, ctx, st, err);
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_unlock(&w->trunc_mu);
    return rc;
}

int stg_wal_append(stg_wal *w, uint8_t type, const void *payload, size_t len, uint64_t *lsn,
                   strata_error *err)
{
    wal_buf sc = {NULL, 0, 0};
    const uint8_t *stored = payload;
    size_t stored_len = len, rec;
    uint8_t flags = 0, hdr[WAL_REC_HDR_BYTES];
    uint64_t phash, my_lsn = 0;
    int rc = STRATA_OK, rotated = 0;

    if (w == NULL || type == 0 || len > STG_WAL_PAYLOAD_MAX || (payload == NULL && len > 0))
        return strata_error_set(err, STRATA_EINVAL,
                                "wal: bad append (type %u must be 1..255, length %zu at most %zu)",
                                type, len, STG_WAL_PAYLOAD_MAX);
    if (len == 0) stored = hdr; /* any valid pointer: nothing is read */

    /* Compress and hash outside the mutex: concurrent appenders only share a memcpy. */
    if (w->opt.compress_min_bytes != SIZE_MAX && len >= w->opt.compress_min_bytes) {
        int bound = LZ4_compressBound((int)len);
        sc = scratch_get(w, 4 + (size_t)bound);
        if (sc.p != NULL) {
            int c = LZ4_compress_default(payload, (char *)sc.p + 4, (int)len, bound);
            if (c > 0 && 4 + (size_t)c < len - (len >> 4)) {
                wal_put_le32(sc.p, (uint32_t)len);
                stored = sc.p;
                stored_len = 4 + (size_t)c;
                flags = WAL_FLAG_LZ4;
            }
        } /* no memory for the scratch buffer: store uncompressed */
    }
    phash = XXH3_64bits(stored, stored_len);
    rec = WAL_REC_HDR_BYTES + stored_len;

    pthread_mutex_lock(&w->mu);
    if ((rc = ensure_ready(w, err)) < 0) goto out;
    for (;;) {
        if (w->failed) {
            rc = failed_err(w, err);
            goto out;
        }
        /*
         * Rotate first when this record would push a non-empty segment past
         * its size. At most once per append: other threads may buffer records
         * for the new segment while it is being created, and a large record
         * must not chase an empty segment forever.
         */
        if (!rotated && w->seg_first < w->next_lsn && w->seg_logical + rec > w->opt.segment_bytes) {
            if (w->io_busy) {
                pthread_cond_wait(&w->cv, &w->mu);
                continue;
            }
            w->io_busy = 1;
            w->mutated = 1;
            rc = rotate_io(w, NULL, err);
            io_release(w);
            if (rc < 0) goto out;
            rotated = 1;
            continue;
        }
        if (rec > WAL_BUF_LIMIT) {
            /* Too large to buffer: write it now, after what is buffered. */
            if (w->io_busy) {
                pthread_cond_wait(&w->cv, &w->mu);
                continue;
            }
            w->io_busy = 1;
            my_lsn = w->next_lsn++;
            w->mutated = 1;
            w->seg_logical += rec;
            stg__wal_rec_encode(hdr, type, flags, (uint32_t)stored_len, my_lsn, phash);
            rc = flush_io(w, hdr, stored, stored_len, 0, err);
            io_release(w);
            if (rc < 0) goto out; /* the LSN is spent; the log is failed */
            break;
        }
        if (w->active.len > 0 && w->active.len + rec > WAL_BUF_LIMIT) {
            if (w->io_busy) {
                pthread_cond_wait(&w->cv, &w->mu);
                continue;
            }
            w->io_busy = 1;
            rc = flush_io(w, NULL, NULL, 0, 0, err);
            io_release(w);
            if (rc < 0) goto out;
            continue;
        }
        if (buf_reserve(&w->active, w->active.len + rec) < 0) {
            rc = strata_error_set(err, STRATA_ENOMEM, "wal %s: out of memory buffering a record",
                                  w->dir);
            goto out;
        }
        my_lsn = w->next_lsn++;
        w->mutated = 1;
        stg__wal_rec_encode(w->active.p + w->active.len, type, flags, (uint32_t)stored_len, my_lsn,
                            phash);
        memcpy(w->active.p + w->active.len + WAL_REC_HDR_BYTES, stored, stored_len);
        w->active.len += rec;
        w->seg_logical += rec;
        break;
    }
    w->st.appends++;
    w->st.append_bytes += len;
    w->st.compressed += flags ? 1 : 0;
    if (lsn != NULL) *lsn = my_lsn;
out:
    pthread_mutex_unlock(&w->mu);
    scratch_put(w, sc);
    return rc;
}

int stg_wal_sync(stg_wal *w, uint64_t lsn, strata_error *err)
{
    int rc = STRATA_OK;
    if (w == NULL) return strata_error_set(err, STRATA_EINVAL, "wal: NULL log");
    pthread_mutex_lock(&w->mu);
    if ((rc = ensure_ready(w, err)) < 0) goto out;
    w->st.sync_calls++;
    if (lsn >= w->next_lsn) lsn = w->next_lsn - 1;
    while (w->synced_lsn < lsn) {
        if (w->failed) {
            rc = failed_err(w, err);
            break;
        }
        if (w->io_busy) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        w->io_busy = 1;
        rc = flush_io(w, NULL, NULL, 0, w->opt.sync, err);
        io_release(w);
        if (rc < 0) break;
    }
out:
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int stg_wal_rotate(stg_wal *w, uint64_t *next_lsn, strata_error *err)
{
    int rc;
    if (w == NULL) return strata_error_set(err, STRATA_EINVAL, "wal: NULL log");
    pthread_mutex_lock(&w->mu);
    if ((rc = ensure_ready(w, err)) < 0) goto out;
    while (w->io_busy)
        pthread_cond_wait(&w->cv, &w->mu);
    if (w->failed) {
        rc = failed_err(w, err);
        goto out;
    }
    w->io_busy = 1;
    w->mutated = 1;
    rc = rotate_io(w, next_lsn, err);
    io_release(w);
out:
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int stg_wal_truncate(stg_wal *w, uint64_t upto, strata_error *err)
{
    uint64_t *firsts = NULL;
    size_t k = 0, done = 0;
    char name[WAL_NAME_MAX];
    int rc;

    if (w == NULL) return strata_error_set(err, STRATA_EINVAL, "wal: NULL log");
    pthread_mutex_lock(&w->trunc_mu);
    pthread_mutex_lock(&w->mu);
    if ((rc = ensure_ready(w, err)) < 0) {
        pthread_mutex_unlock(&w->mu);
        goto out;
    }
    /* Segment i holds LSNs [first_i, first_{i+1}); the current one is never deleted. */
    while (k + 1 < w->nsegs && w->segs[k + 1].first_lsn <= upto)
        k++;
    if (k > 0 && (firsts = malloc(k * sizeof *firsts)) == NULL) {
        pthread_mutex_unlock(&w->mu);
        rc = strata_error_set(err, STRATA_ENOMEM, "wal %s: out of memory truncating", w->dir);
        goto out;
    }
    for (size_t i = 0; i < k; i++)
        firsts[i] = w->segs[i].first_lsn;
    pthread_mutex_unlock(&w->mu);

    for (; done < k; done++) {
        stg__wal_seg_name(name, firsts[done]);
        if (unlinkat(w->dirfd, name, 0) != 0 && errno != ENOENT) {
            rc = strata_error_set(err, STRATA_EIO, "wal %s/%s: unlink: %s", w->dir, name,
                                  strerror(errno));
            break;
        }
    }
    if (done > 0) {
        int drc = stg__wal_dir_sync(w, rc < 0 ? NULL : err);
        if (rc == STRATA_OK) rc = drc;
        /* Only truncate removes entries, and only from the front: indexes are stable. */
        pthread_mutex_lock(&w->mu);
        memmove(w->segs, w->segs + done, (w->nsegs - done) * sizeof *w->segs);
        w->nsegs -= done;
        pthread_mutex_unlock(&w->mu);
    }
out:
    pthread_mutex_unlock(&w->trunc_mu);
    free(firsts);
    return rc;
}

uint64_t stg_wal_next_lsn(stg_wal *w)
{
    uint64_t v = 0;
    if (w == NULL) return 0;
    pthread_mutex_lock(&w->mu);
    if (ensure_ready(w, NULL) == STRATA_OK) v = w->next_lsn;
    pthread_mutex_unlock(&w->mu);
    return v;
}

uint64_t stg_wal_disk_bytes(stg_wal *w)
{
    uint64_t v;
    if (w == NULL) return 0;
    pthread_mutex_lock(&w->mu);
    v = stg__wal_segs_bytes(w);
    pthread_mutex_unlock(&w->mu);
    return v;
}

void stg_wal_stat(stg_wal *w, stg_wal_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->st;
    out->next_lsn = w->ready ? w->next_lsn : 0;
    out->synced_lsn = w->ready ? w->synced_lsn : 0;
    out->disk_bytes = stg__wal_segs_bytes(w);
    out->segments = (uint32_t)w->nsegs;
    pthread_mutex_unlock(&w->mu);
}

void stg_wal_close(stg_wal *w)
{
    strata_error e;
    if (w == NULL) return;
    pthread_mutex_lock(&w->mu);
    while (w->io_busy) /* a caller broke the contract; do not write under it */
        pthread_cond_wait(&w->cv, &w->mu);
    if (w->ready && !w->failed && w->fd >= 0) {
        int dirty = w->active.len > 0 || w->synced_lsn < w->next_lsn - 1;
        w->io_busy = 1;
        if (dirty && flush_io(w, NULL, NULL, 0, w->opt.sync, &e) < 0) {
            strata_log(w->opt.log, STRATA_LOG_ERROR, "wal", "closing: %s", e.msg);
        } else {
            /* Trim the preallocated tail so the next start reads no zeros. */
            wal_seg *cur = &w->segs[w->nsegs - 1];
            if (cur->file_bytes > w->seg_bytes && ftruncate(w->fd, (off_t)w->seg_bytes) == 0) {
                cur->file_bytes = w->seg_bytes;
                if (w->opt.sync && fdatasync(w->fd) != 0)
                    strata_log(w->opt.log, STRATA_LOG_WARN, "wal",
                               "%s: fdatasync after trimming the current segment: %s", w->dir,
                               strerror(errno));
            }
        }
        w->io_busy = 0;
    }
    if (w->fd >= 0) close(w->fd);
    pthread_mutex_unlock(&w->mu);
    if (w->lockfd >= 0) close(w->lockfd); /* releases the flock */
    if (w->dirfd >= 0) close(w->dirfd);
    for (int i = 0; i < w->nscratch; i++)
        free(w->scratch[i].p);
    free(w->active.p);
    free(w->spare.p);
    free(w->segs);
    free(w->dir);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->scratch_mu);
    pthread_mutex_destroy(&w->trunc_mu);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
