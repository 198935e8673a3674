/*
 * storage/wal_seg.c: the write-ahead log's segment files and directory:
 * names, the segment header, listing, durable creation, quarantine of
 * corrupt files, preallocation, directory fsync.
 *
 * Invariants kept here: a segment file appears under its final name only
 * once its header is on disk (it is written as *.wal.tmp, fdatasync'd, then
 * renamed, then the directory is fsync'd); a file is never replaced by a
 * rename (quarantine picks a free *.corrupt[.N] name).
 */
#include "storage/wal_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

uint64_t stg__wal_rec_checksum(const uint8_t *hdr, uint64_t payload_hash)
{
    uint8_t tmp[24];
    memcpy(tmp, hdr, 16);
    wal_put_le64(tmp + 16, payload_hash);
    return XXH3_64bits(tmp, sizeof tmp);
}

void stg__wal_rec_encode(uint8_t *hdr, uint8_t type, uint8_t flags, uint32_t stored_len,
                         uint64_t lsn, uint64_t payload_hash)
{
    hdr[0] = type;
    hdr[1] = flags;
    wal_put_le16(hdr + 2, 0);
    wal_put_le32(hdr + 4, stored_len);
    wal_put_le64(hdr + 8, lsn);
    wal_put_le64(hdr + 16, stg__wal_rec_checksum(hdr, payload_hash));
}

void stg__wal_seg_name(char *name, uint64_t first_lsn)
{
    snprintf(name, WAL_NAME_MAX, "%020" PRIu64 ".wal", first_lsn);
}

int stg__wal_seg_parse_name(const char *name, uint64_t *first_lsn)
{
    uint64_t v = 0;
    for (int i = 0; i < WAL_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (strcmp(name + WAL_NAME_DIGITS, ".wal") != 0 || v == 0) return 0;
    *first_lsn = v;
    return 1;
}

void stg__wal_seg_hdr_encode(uint8_t *hdr, uint64_t first_lsn)
{
    memcpy(hdr, WAL_MAGIC, 8);
    wal_put_le32(hdr + 8, WAL_VERSION);
    wal_put_le32(hdr + 12, WAL_SEG_HDR_BYTES);
    wal_put_le64(hdr + 16, first_lsn);
    wal_put_le64(hdr + 24, XXH3_64bits(hdr, 24));
}

int stg__wal_seg_hdr_check(const uint8_t *hdr, uint64_t *first_lsn, uint32_t *version,
                           const char **why)
{
    if (memcmp(hdr, WAL_MAGIC, 8) != 0) {
        *why = "bad magic";
        return STRATA_ECORRUPT;
    }
    if (wal_get_le64(hdr + 24) != XXH3_64bits(hdr, 24)) {
        *why = "header checksum mismatch";
        return STRATA_ECORRUPT;
    }
    *version = wal_get_le32(hdr + 8);
    if (*version != WAL_VERSION) {
        *why = "unsupported version";
        return STRATA_EVERSION;
    }
    if (wal_get_le32(hdr + 12) != WAL_SEG_HDR_BYTES) {
        *why = "bad header size";
        return STRATA_ECORRUPT;
    }
    *first_lsn = wal_get_le64(hdr + 16);
    return STRATA_OK;
}

int stg__wal_segs_push(stg_wal *w, uint64_t first_lsn, uint64_t file_bytes)
{
    if (w->nsegs == w->segs_cap) {
        size_t cap = w->segs_cap ? w->segs_cap * 2 : 16;
        wal_seg *n = realloc(w->segs, cap * sizeof *n);
        if (n == NULL) return STRATA_ENOMEM;
        w->segs = n;
        w->segs_cap = cap;
    }
    w->segs[w->nsegs].first_lsn = first_lsn;
    w->segs[w->nsegs].file_bytes = file_bytes;
    w->nsegs++;
    return STRATA_OK;
}

uint64_t stg__wal_segs_bytes(const stg_wal *w)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < w->nsegs; i++)
        sum += w->segs[i].file_bytes;
    return sum;
}

static int seg_cmp(const void *a, const void *b)
{
    const wal_seg *x = a, *y = b;
    return x->first_lsn < y->first_lsn ? -1 : x->first_lsn > y->first_lsn;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int stg__wal_seg_list(stg_wal *w, strata_error *err)
{
    int dfd = dup(w->dirfd), rc = STRATA_OK;
    DIR *d;
    struct dirent *e;

    if (dfd < 0)
        return strata_error_set(err, STRATA_EIO, "wal %s: dup: %s", w->dir, strerror(errno));
    d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return strata_error_set(err, STRATA_EIO, "wal %s: opendir: %s", w->dir, strerror(errno));
    }
    rewinddir(d);
    w->nsegs = 0;
    while ((errno = 0, e = readdir(d)) != NULL) {
        uint64_t first;
        struct stat sb;
        if (stg__wal_seg_parse_name(e->d_name, &first)) {
            if (fstatat(w->dirfd, e->d_name, &sb, 0) != 0) {
                rc = strata_error_set(err, STRATA_EIO, "wal %s/%s: stat: %s", w->dir, e->d_name,
                                      strerror(errno));
                goto out;
            }
            if (!S_ISREG(sb.st_mode)) continue;
            if ((rc = stg__wal_segs_push(w, first, (uint64_t)sb.st_size)) < 0) {
                strata_error_set(err, rc, "wal %s: out of memory listing segments", w->dir);
                goto out;
            }
        } else if (ends_with(e->d_name, ".wal.tmp")) {
            /* An interrupted segment creation: never renamed, so never used. */
            if (unlinkat(w->dirfd, e->d_name, 0) != 0 && errno != ENOENT) {
                rc = strata_error_set(err, STRATA_EIO, "wal %s/%s: unlink: %s", w->dir, e->d_name,
                                      strerror(errno));
                goto out;
            }
            strata_log(w->opt.log, STRATA_LOG_INFO, "wal", "%s/%s: removed unfinished segment",
                       w->dir, e->d_name);
        }
    }
    if (errno != 0)
        rc = strata_error_set(err, STRATA_EIO, "wal %s: readdir: %s", w->dir, strerror(errno));
    else if (w->nsegs > 1)
        qsort(w->segs, w->nsegs, sizeof *w->segs, seg_cmp);
out:
    closedir(d);
    return rc;
}

int stg__wal_dir_sync(stg_wal *w, strata_error *err)
{
    if (!w->opt.sync) return STRATA_OK;
    if (fsync(w->dirfd) != 0)
        return strata_error_set(err, STRATA_EIO, "wal %s: fsync of the directory: %s", w->dir,
                                strerror(errno));
    return STRATA_OK;
}

void stg__wal_prealloc(stg_wal *w, int fd, uint64_t from, uint64_t *file_bytes)
{
    /*
     * Allocating the whole segment up front (mode 0: the size grows, the new
     * range reads as zeros) lets fdatasync skip most extent and size updates
     * (measured ~30% cheaper on ext4 than appending). Failure is harmless:
     * writes then extend the file as they go.
     */
    if (from >= w->prealloc_bytes) return;
    if (fallocate(fd, 0, (off_t)from, (off_t)(w->prealloc_bytes - from)) == 0) {
        if (*file_bytes < w->prealloc_bytes) *file_bytes = w->prealloc_bytes;
    } else if (errno == ENOSPC) {
        strata_log(w->opt.log, STRATA_LOG_WARN, "wal",
                   "%s: cannot preallocate %" PRIu64 " bytes for a segment: disk full", w->dir,
                   w->prealloc_bytes - from);
    }
}

int stg__wal_seg_create(stg_wal *w, uint64_t first_lsn, int *fd_out, uint64_t *file_bytes,
                        strata_error *err)
{
    char name[WAL_NAME_MAX], tmp[WAL_NAME_MAX + 8];
    uint8_t hdr[WAL_SEG_HDR_BYTES];
    int fd, rc;
    ssize_t n;

    stg__wal_seg_name(name, first_lsn);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    (void)unlinkat(w->dirfd, tmp, 0);
    fd = openat(w->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return strata_error_set(
            err, strata_code_from_errno(errno) == STRATA_EFULL ? STRATA_EFULL : STRATA_EIO,
            "wal %s/%s: create: %s", w->dir, tmp, strerror(errno));
    stg__wal_seg_hdr_encode(hdr, first_lsn);
    *file_bytes = WAL_SEG_HDR_BYTES;
    stg__wal_prealloc(w, fd, 0, file_bytes);
    do
        n = pwrite(fd, hdr, sizeof hdr, 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof hdr) {
        rc = strata_error_set(err, n < 0 && errno == ENOSPC ? STRATA_EFULL : STRATA_EIO,
                              "wal %s/%s: writing the segment header: %s", w->dir, tmp,
                              n < 0 ? strerror(errno) : "short write");
        goto fail;
    }
    if (w->opt.sync && fdatasync(fd) != 0) {
        rc = strata_error_set(err, STRATA_EIO, "wal %s/%s: fdatasync: %s", w->dir, tmp,
                              strerror(errno));
        goto fail;
    }
    /* A segment of that name would be a bug in the caller: never replace data. */
    if (faccessat(w->dirfd, name, F_OK, 0) == 0) {
        rc =
            strata_error_set(err, STRATA_EEXIST, "wal %s/%s: segment already exists", w->dir, name);
        goto fail;
    }
    if (renameat(w->dirfd, tmp, w->dirfd, name) != 0) {
        rc = strata_error_set(err, STRATA_EIO, "wal %s: rename %s to %s: %s", w->dir, tmp, name,
                              strerror(errno));
        goto fail;
    }
    if ((rc = stg__wal_dir_sync(w, err)) < 0) {
        /* The file is in place; whether the name is durable is unknown. Keep it. */
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return STRATA_OK;
fail:
    close(fd);
    (void)unlinkat(w->dirfd, tmp, 0);
    return rc;
}

int stg__wal_seg_quarantine(stg_wal *w, uint64_t first_lsn, char *newname, strata_error *err)
{
    char name[WAL_NAME_MAX];

    stg__wal_seg_name(name, first_lsn);
    for (int i = 0; i < 10000; i++) {
        if (i == 0)
            snprintf(newname, WAL_NAME_MAX, "%020" PRIu64 ".wal.corrupt", first_lsn);
        else
            snprintf(newname, WAL_NAME_MAX, "%020" PRIu64 ".wal.corrupt.%d", first_lsn, i);
        /* linkat fails with EEXIST instead of replacing: no file is ever lost. */
        if (linkat(w->dirfd, name, w->dirfd, newname, 0) == 0) {
            if (unlinkat(w->dirfd, name, 0) != 0)
                return strata_error_set(err, STRATA_EIO, "wal %s/%s: unlink after link: %s", w->dir,
                                        name, strerror(errno));
            return STRATA_OK;
        }
        if (errno == EEXIST) continue;
        if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP) {
            /* A filesystem without hard links: check, then rename. */
            if (faccessat(w->dirfd, newname, F_OK, 0) == 0) continue;
            if (renameat(w->dirfd, name, w->dirfd, newname) == 0) return STRATA_OK;
        }
        return strata_error_set(err, STRATA_EIO, "wal %s: rename %s to %s: %s", w->dir, name,
                                newname, strerror(errno));
    }
    return strata_error_set(err, STRATA_EIO, "wal %s/%s: no free *.corrupt name", w->dir, name);
}
