/*
 * tools/strata_backup.c: `strata backup` (a consistent copy of a data
 * directory, also while a server writes to it) and `strata restore` (a
 * backup into a new directory, replayed and verified).
 *
 * A backup is the write-ahead log as it stands, then LMDB's compacting copy
 * (mdb_env_copy2 with MDB_CP_COMPACT: one read transaction, so one snapshot,
 * written without free pages). Restoring replays the copied WAL records from
 * the snapshot's checkpoint position (meta "ckpt_lsn") on.
 *
 * Why the WAL first. A WAL record names series and fields by id only; the
 * engine commits new series and fields to LMDB before it appends the record
 * that uses them. So every record appended before the snapshot began names
 * series the snapshot holds, while a record appended later may name a
 * series the snapshot lacks (replaying it would make chunks of an unknown
 * series). Copying the WAL first keeps only the former. Every record
 * acknowledged before the backup began was synced to its segment file
 * before the copy read it, so it is in the backup. Each segment is copied
 * up to its last whole record, checked against the record checksum (a
 * record being written meanwhile is left out); a segment the server deletes
 * after a checkpoint stays readable through the open file, and one deleted
 * before it was opened held only records below a checkpoint the snapshot
 * already includes. Segments wholly below the snapshot's position are
 * dropped from the backup afterwards.
 *
 * The backup directory has the layout of a data directory (strata.mdb/,
 * wal/) plus backup.json, a manifest with each file's size and XXH3-64
 * hash that restore checks before it copies anything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/log.h"
#include "storage/engine.h"
#include "tools/strata_int.h"

static const tl_flag backup_flags[] = {
    {"data-dir", "DIR", "the data directory to back up (required); may be in use by a server"},
};

const tl_cmd tl_backup_cmd = {
    .name = "backup",
    .synopsis = "--data-dir DIR DEST",
    .summary = "consistent hot backup: compacted LMDB snapshot plus the WAL after it",
    .about =
        "Copies the data directory DIR into DEST (which must not exist or be empty), also\n"
        "while a server is writing to DIR. The copy is the write-ahead log as it stands, then\n"
        "LMDB's compacting snapshot; restoring it replays the log records the snapshot does\n"
        "not hold, and so gives every point acknowledged before the backup began (and those\n"
        "acknowledged while it copied the log).\n"
        "DEST gets the layout of a data directory and a manifest, backup.json, with the size\n"
        "and XXH3-64 hash of every file; `strata restore` checks them.\n"
        "\n"
        "LMDB is read in one read transaction for the duration of the copy; on a live server\n"
        "that keeps old pages from being reused meanwhile, so its file may grow.",
    .flags = backup_flags,
    .nflags = 1,
    .min_pos = 1,
    .max_pos = 1,
    .exits = "  0  the backup is complete\n"
             "  1  the backup failed (DEST is left incomplete; remove it)\n"
             "  2  bad command line",
    .examples = "  strata backup --data-dir /var/lib/strata /backups/strata-$(date +%F)",
};

static const tl_flag restore_flags[] = {
    {"data-dir", "NEWDIR", "the directory to restore into (required; must not exist or be empty)"},
};

const tl_cmd tl_restore_cmd = {
    .name = "restore",
    .synopsis = "SRC --data-dir NEWDIR",
    .summary = "restore a backup into a new directory, replay its WAL and verify it",
    .about =
        "Checks every file of the backup SRC against its manifest (size and XXH3-64 hash),\n"
        "copies the backup into NEWDIR (which must not exist or be empty), opens it with the\n"
        "engine once so that the WAL records in the backup are replayed and checkpointed, and\n"
        "runs `strata verify` on the result. Start a server on NEWDIR afterwards.",
    .flags = restore_flags,
    .nflags = 1,
    .min_pos = 1,
    .max_pos = 1,
    .exits = "  0  restored, and verify found no problem\n"
             "  1  the backup is damaged, the restore failed, or verify found problems\n"
             "  2  bad command line",
    .examples = "  strata restore /backups/strata-2026-11-24 --data-dir /var/lib/strata-restored",
};

/* ------------------------------------------------------------ helpers */

/* 0 if dir does not exist or is an empty directory (created then), else an error. */
static int prepare_dest(const char *dir, strata_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return strata_error_set(err, STRATA_EIO, "%s: %s", dir, strerror(errno));
        if (mkdir(dir, 0755) != 0)
            return strata_error_set(err, STRATA_EIO, "cannot create %s: %s", dir, strerror(errno));
        return STRATA_OK;
    }
    if (!S_ISDIR(st.st_mode))
        return strata_error_set(err, STRATA_EEXIST, "%s exists and is not a directory", dir);
    DIR *d = opendir(dir);
    if (d == NULL) return strata_error_set(err, STRATA_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) empty = 0;
    closedir(d);
    if (!empty)
        return strata_error_set(err, STRATA_EEXIST,
                                "%s is not empty: give a new or empty directory", dir);
    return STRATA_OK;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int mkdir_in(const char *dir, const char *sub, char *out, size_t cap, strata_error *err)
{
    snprintf(out, cap, "%s/%s", dir, sub);
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return strata_error_set(err, STRATA_EIO, "cannot create %s: %s", out, strerror(errno));
    return STRATA_OK;
}

/*
 * Copy bytes [0, size) of fd into a new file path, leaving holes where the
 * source has whole zero blocks (preallocated WAL space), fsync it, and hash
 * what was copied. @return STRATA_OK or STRATA_EIO.
 */
static int copy_fd(int fd, uint64_t size, const char *path, uint64_t *hash, strata_error *err)
{
    enum { BLK = 1 << 16 };
    static const uint8_t zeros[BLK];
    uint8_t *buf = malloc(BLK);
    XXH3_state_t *hs = XXH3_createState();
    int out = -1, rc = STRATA_OK;
    if (buf == NULL || hs == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto out;
    }
    XXH3_64bits_reset(hs);
    out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = strata_error_set(err, STRATA_EIO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    for (uint64_t off = 0; off < size;) {
        size_t want = size - off < BLK ? (size_t)(size - off) : BLK;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            rc = strata_error_set(err, STRATA_EIO, "reading the source of %s: %s", path,
                                  n < 0 ? strerror(errno) : "file shrank");
            goto out;
        }
        XXH3_64bits_update(hs, buf, (size_t)n);
        if ((size_t)n == BLK && memcmp(buf, zeros, BLK) == 0) {
            off += (uint64_t)n; /* a hole */
            continue;
        }
        for (ssize_t w = 0; w < n;) {
            ssize_t k = pwrite(out, buf + w, (size_t)(n - w), (off_t)(off + (uint64_t)w));
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                rc = strata_error_set(err, STRATA_EIO, "writing %s: %s", path, strerror(errno));
                goto out;
            }
            w += k;
        }
        off += (uint64_t)n;
    }
    if (ftruncate(out, (off_t)size) != 0 || fsync(out) != 0) {
        rc = strata_error_set(err, STRATA_EIO, "writing %s: %s", path, strerror(errno));
        goto out;
    }
    *hash = XXH3_64bits_digest(hs);
out:
    if (out >= 0) close(out);
    if (hs) XXH3_freeState(hs);
    free(buf);
    return rc;
}

static int hash_file(const char *path, uint64_t *size, uint64_t *hash, strata_error *err)
{
    uint8_t *buf = malloc(1 << 16);
    XXH3_state_t *hs = XXH3_createState();
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = STRATA_OK;
    if (fd < 0) {
        rc = strata_error_set(err, STRATA_EIO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (buf == NULL || hs == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto out;
    }
    XXH3_64bits_reset(hs);
    *size = 0;
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 16);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = strata_error_set(err, STRATA_EIO, "reading %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) break;
        XXH3_64bits_update(hs, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    *hash = XXH3_64bits_digest(hs);
out:
    if (fd >= 0) close(fd);
    if (hs) XXH3_freeState(hs);
    free(buf);
    return rc;
}

/* ------------------------------------------------------- WAL copy */

typedef struct seg {
    uint64_t first_lsn, end_lsn; /* records [first_lsn, end_lsn) copied */
    uint64_t bytes, hash;
    char name[32];
} seg;

/*
 * Copy the whole records of segment fd (first LSN first) into path: the
 * header, then records while each is complete and its checksum matches
 * (storage/FORMAT.md, "Record"). *end_lsn gets the LSN after the last one
 * copied, *damaged 1 when the copy stopped at a bad record that is not the
 * end of the data written so far.
 */
static int copy_segment(int fd, uint64_t first, const char *path, seg *sg, int *damaged,
                        strata_error *err)
{
    uint8_t h[32], *buf = NULL;
    size_t cap = 0;
    int out = -1, rc = STRATA_OK;
    struct stat st;
    XXH3_state_t *hs = XXH3_createState();

    *damaged = 0;
    if (hs == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    XXH3_64bits_reset(hs);
    if (fstat(fd, &st) != 0 || pread(fd, h, 32, 0) != 32 || memcmp(h, "STRATAWL", 8) != 0 ||
        strata_get_le64(h + 24) != XXH3_64bits(h, 24) || strata_get_le64(h + 16) != first) {
        rc = strata_error_set(err, STRATA_ECORRUPT, "WAL segment %s: bad header", sg->name);
        goto out;
    }
    out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0 || write(out, h, 32) != 32) {
        rc = strata_error_set(err, STRATA_EIO, "writing %s: %s", path, strerror(errno));
        goto out;
    }
    XXH3_64bits_update(hs, h, 32);
    uint64_t off = 32, next = first, size = (uint64_t)st.st_size;
    for (;;) {
        uint8_t r[24];
        if (off + 24 > size || pread(fd, r, 24, (off_t)off) != 24) break;
        uint32_t slen = strata_get_le32(r + 4);
        static const uint8_t zero[24];
        if (memcmp(r, zero, 24) == 0) break; /* the end of what was written */
        if (r[0] == 0 || strata_get_le64(r + 8) != next || slen > (256u << 20) ||
            off + 24 + slen > size) {
            *damaged = 1;
            break;
        }
        if (slen + 24 > cap) {
            uint8_t *nb = realloc(buf, slen + 24);
            if (nb == NULL) {
                rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                goto out;
            }
            buf = nb;
            cap = slen + 24;
        }
        memcpy(buf, r, 24);
        if (pread(fd, buf + 24, slen, (off_t)(off + 24)) != (ssize_t)slen) {
            *damaged = 1;
            break;
        }
        uint8_t t[24];
        memcpy(t, r, 16);
        strata_put_le64(t + 16, XXH3_64bits(buf + 24, slen));
        if (XXH3_64bits(t, 24) != strata_get_le64(r + 16)) {
            *damaged = 1; /* or still being written: the caller decides */
            break;
        }
        for (size_t w = 0; w < slen + 24;) {
            ssize_t k = write(out, buf + w, slen + 24 - w);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                rc = strata_error_set(err, STRATA_EIO, "writing %s: %s", path, strerror(errno));
                goto out;
            }
            w += (size_t)k;
        }
        XXH3_64bits_update(hs, buf, slen + 24);
        off += 24 + (uint64_t)slen;
        next++;
    }
    if (fsync(out) != 0) {
        rc = strata_error_set(err, STRATA_EIO, "syncing %s: %s", path, strerror(errno));
        goto out;
    }
    sg->first_lsn = first;
    sg->end_lsn = next;
    sg->bytes = off;
    sg->hash = XXH3_64bits_digest(hs);
out:
    if (out >= 0) close(out);
    XXH3_freeState(hs);
    free(buf);
    return rc;
}

static int cmp_seg(const void *a, const void *b)
{
    const seg *x = a, *y = b;
    return (x->first_lsn > y->first_lsn) - (x->first_lsn < y->first_lsn);
}

/* ------------------------------------------------------------- backup */

typedef struct bk_file {
    char rel[64];
    uint64_t bytes, hash;
} bk_file;

static int write_manifest(const char *dest, const char *src, uint64_t ckpt, const bk_file *f,
                          size_t n, strata_error *err)
{
    char path[4300], tmp[4300], tb[48];
    snprintf(path, sizeof path, "%s/backup.json", dest);
    snprintf(tmp, sizeof tmp, "%s/backup.json.tmp", dest);
    FILE *o = fopen(tmp, "w");
    if (o == NULL) return strata_error_set(err, STRATA_EIO, "cannot create %s", tmp);
    tl_json j;
    tl_json_init(&j, o);
    tl_json_obj(&j, NULL);
    tl_json_u64(&j, "strata_backup", 1);
    tl_json_cstr(&j, "source", src);
    tl_json_cstr(&j, "created", tl_time_fmt(strata_now_ns(), tb, sizeof tb));
    tl_json_u64(&j, "checkpoint_lsn", ckpt);
    tl_json_arr(&j, "files");
    for (size_t i = 0; i < n; i++) {
        char hx[20];
        snprintf(hx, sizeof hx, "%016llx", (unsigned long long)f[i].hash);
        /* One file per line: restore reads this back with sscanf. */
        fprintf(o, "%s\n    {\"path\": \"%s\", \"bytes\": %llu, \"xxh3\": \"%s\"}", i ? "," : "",
                f[i].rel, (unsigned long long)f[i].bytes, hx);
        j.first[j.depth] = 0;
    }
    tl_json_arr_end(&j);
    tl_json_obj_end(&j);
    tl_json_end(&j);
    int bad = fflush(o) != 0 || fsync(fileno(o)) != 0;
    if (fclose(o) != 0) bad = 1;
    if (bad || rename(tmp, path) != 0)
        return strata_error_set(err, STRATA_EIO, "writing %s: %s", path, strerror(errno));
    return STRATA_OK;
}

static int backup_run(tl_store *src, const char *dir, const char *dest, strata_error *err)
{
    int rc;
    char mdbdir[4300], waldir[4300], srcwal[4300], path[4400];
    bk_file *files = NULL;
    seg *segs = NULL;
    size_t nsegs = 0, cap = 0, nfiles = 0;
    tl_store copy;
    DIR *d = NULL;
    tl_progress pr;
    memset(&copy, 0, sizeof copy);
    tl_progress_init(&pr, "backup");

    if ((rc = mkdir_in(dest, "strata.mdb", mdbdir, sizeof mdbdir, err)) != STRATA_OK ||
        (rc = mkdir_in(dest, "wal", waldir, sizeof waldir, err)) != STRATA_OK)
        goto out;

    /* 1. The WAL as it stands: the segments listed now, each up to its last whole record. */
    snprintf(srcwal, sizeof srcwal, "%s/wal", dir);
    d = opendir(srcwal);
    if (d == NULL && errno != ENOENT) {
        rc = strata_error_set(err, STRATA_EIO, "listing %s: %s", srcwal, strerror(errno));
        goto out;
    }
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        uint64_t lsn;
        if (!tl_wal_segname(de->d_name, &lsn)) continue;
        if (nsegs == cap) {
            size_t nc = cap ? cap * 2 : 16;
            seg *ns = realloc(segs, nc * sizeof *ns);
            if (ns == NULL) {
                rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
                goto out;
            }
            segs = ns;
            cap = nc;
        }
        memset(&segs[nsegs], 0, sizeof *segs);
        segs[nsegs].first_lsn = lsn;
        memcpy(segs[nsegs].name, de->d_name, 25);
        nsegs++;
    }
    if (nsegs > 1) qsort(segs, nsegs, sizeof *segs, cmp_seg);
    size_t copied = 0;
    tl_progress_init(&pr, "backup");
    for (size_t i = 0; i < nsegs; i++) {
        tl_progress_update(&pr, i, nsegs, "WAL segments copied");
        int fd = openat(dirfd(d), segs[i].name, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            /* Deleted by a checkpoint since the listing: it and every older segment
             * hold only records below a checkpoint already committed, which the
             * snapshot (taken later) includes. Drop what was copied of them. */
            for (size_t k = 0; k < copied; k++) {
                snprintf(path, sizeof path, "%s/%s", waldir, segs[k].name);
                unlink(path);
            }
            copied = 0;
            continue;
        }
        if (fd < 0) {
            rc = strata_error_set(err, STRATA_EIO, "opening WAL segment %s: %s", segs[i].name,
                                  strerror(errno));
            goto out;
        }
        int damaged;
        snprintf(path, sizeof path, "%s/%s", waldir, segs[i].name);
        rc = copy_segment(fd, segs[i].first_lsn, path, &segs[i], &damaged, err);
        close(fd);
        if (rc != STRATA_OK) goto out;
        if (copied > 0 && segs[i].first_lsn != segs[copied - 1].end_lsn) {
            rc = strata_error_set(err, STRATA_ECORRUPT,
                                  "WAL segment %s starts at LSN %llu, but the one before it "
                                  "ends at %llu",
                                  segs[i].name, (unsigned long long)segs[i].first_lsn,
                                  (unsigned long long)segs[copied - 1].end_lsn);
            goto out;
        }
        segs[copied++] = segs[i];
        if (damaged && i + 1 < nsegs) {
            /* Not the newest segment: a damaged record, not one being written. */
            fprintf(stderr,
                    "strata backup: warning: WAL segment %s has a damaged record at LSN %llu; "
                    "the backup's log ends there\n",
                    segs[i].name, (unsigned long long)segs[i].end_lsn);
            break;
        }
    }
    nsegs = copied;

    /* 2. The LMDB snapshot. */
    char note[128], nb[32];
    struct stat mst;
    snprintf(path, sizeof path, "%s/strata.mdb/data.mdb", dir);
    snprintf(note, sizeof note, "copying LMDB (the file holds %s)",
             tl_bytes_fmt(stat(path, &mst) == 0 ? (uint64_t)mst.st_size : 0, nb, sizeof nb));
    tl_progress_note(&pr, note);
    int mrc = mdb_env_copy2(src->env, mdbdir, MDB_CP_COMPACT);
    if (mrc) {
        rc = tl_mdb_err(mrc, err, "copying LMDB");
        goto out;
    }
    MDB_txn *txn = NULL;
    tl_meta meta;
    if ((rc = tl_store_open(&copy, dest, err)) != STRATA_OK) goto out;
    if ((rc = tl_store_read(&copy, &txn, err)) != STRATA_OK) goto out;
    rc = tl_meta_read(&copy, txn, &meta, err);
    mdb_txn_abort(txn);
    tl_store_close(&copy);
    if (rc != STRATA_OK) goto out;
    uint64_t ckpt = meta.ckpt_lsn;
    int has_ckpt = meta.has_ckpt;
    tl_meta_fini(&meta);
    if (!has_ckpt) {
        rc = strata_error_set(err, STRATA_ECORRUPT, "%s: meta has no checkpoint position", dir);
        goto out;
    }
    snprintf(path, sizeof path, "%s/lock.mdb", mdbdir);
    unlink(path); /* our reader table, not part of the backup */
    tl_progress_note(&pr, "hashing the copy");

    /* 3. Keep the segments holding records from the snapshot's position on. */
    files = calloc(nsegs + 1, sizeof *files);
    if (files == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t wal_bytes = 0, replay = 0;
    for (size_t i = 0; i < nsegs; i++) {
        snprintf(path, sizeof path, "%s/%s", waldir, segs[i].name);
        if (segs[i].end_lsn <= ckpt && i + 1 < nsegs) {
            unlink(path);
            continue;
        }
        /* The segments listed before the snapshot reach back to its position. */
        if (nfiles == 0 && segs[i].first_lsn > ckpt && segs[i].end_lsn > segs[i].first_lsn) {
            rc = strata_error_set(err, STRATA_EINTERNAL,
                                  "the WAL starts at LSN %llu, after the snapshot's checkpoint "
                                  "position %llu",
                                  (unsigned long long)segs[i].first_lsn, (unsigned long long)ckpt);
            goto out;
        }
        bk_file *f = &files[nfiles++];
        snprintf(f->rel, sizeof f->rel, "wal/%s", segs[i].name);
        f->bytes = segs[i].bytes;
        f->hash = segs[i].hash;
        wal_bytes += segs[i].bytes;
        uint64_t from = segs[i].first_lsn > ckpt ? segs[i].first_lsn : ckpt;
        if (segs[i].end_lsn > from) replay += segs[i].end_lsn - from;
    }
    bk_file *mf = &files[nfiles++];
    snprintf(mf->rel, sizeof mf->rel, "strata.mdb/data.mdb");
    snprintf(path, sizeof path, "%s/%s", dest, mf->rel);
    if ((rc = hash_file(path, &mf->bytes, &mf->hash, err)) != STRATA_OK) goto out;
    if (fsync_path(path) != 0 || fsync_path(mdbdir) != 0 || fsync_path(waldir) != 0) {
        rc = strata_error_set(err, STRATA_EIO, "syncing %s: %s", dest, strerror(errno));
        goto out;
    }
    if ((rc = write_manifest(dest, dir, ckpt, files, nfiles, err)) != STRATA_OK) goto out;
    if (fsync_path(dest) != 0) {
        rc = strata_error_set(err, STRATA_EIO, "syncing %s: %s", dest, strerror(errno));
        goto out;
    }
    char b1[32], b2[32];
    tl_progress_end(&pr);
    fprintf(stderr,
            "strata backup: %s -> %s: LMDB snapshot %s (checkpoint at WAL position %llu), %zu WAL "
            "segments (%s) with %llu records to replay after it\n",
            dir, dest, tl_bytes_fmt(mf->bytes, b1, sizeof b1), (unsigned long long)ckpt, nfiles - 1,
            tl_bytes_fmt(wal_bytes, b2, sizeof b2), (unsigned long long)replay);
    rc = STRATA_OK;
out:
    tl_progress_end(&pr);
    if (d) closedir(d);
    tl_store_close(&copy);
    free(segs);
    free(files);
    return rc;
}

int tl_cmd_backup(int argc, char **argv)
{
    tl_args a;
    strata_error err;
    tl_store src;
    const tl_cmd *cmd = &tl_backup_cmd;
    int status = TL_EXIT_FAIL, rc = STRATA_OK;

    strata_error_clear(&err);
    memset(&src, 0, sizeof src);
    if (tl_args_parse(cmd, argc, argv, &a, &err) != STRATA_OK) return tl_usage_error(cmd, err.msg);
    if (a.help) {
        tl_usage(stdout, cmd);
        return TL_EXIT_OK;
    }
    const char *dir = tl_arg(cmd, &a, "data-dir"), *dest = a.pos[0];
    if (dir == NULL) return tl_usage_error(cmd, "--data-dir is required");
    tl_guard_signals("backup");
    if (tl_store_open(&src, dir, &err) != STRATA_OK) goto done;
    if (prepare_dest(dest, &err) != STRATA_OK) goto done;
    rc = backup_run(&src, dir, dest, &err);
    if (rc == STRATA_OK) status = TL_EXIT_OK;
done:
    if (status != TL_EXIT_OK) fprintf(stderr, "strata backup: %s\n", err.msg);
    tl_store_close(&src);
    return status;
}

/* ------------------------------------------------------------ restore */

int tl_cmd_restore(int argc, char **argv)
{
    tl_args a;
    strata_error err;
    const tl_cmd *cmd = &tl_restore_cmd;
    int status = TL_EXIT_FAIL;
    bk_file *files = NULL;
    size_t nfiles = 0, cap = 0;
    char path[4400], line[8192];
    FILE *mf = NULL;
    strata_logger log = {.sink = stderr, .level = STRATA_LOG_WARN};
    tl_progress pr;

    strata_error_clear(&err);
    tl_progress_init(&pr, "restore");
    if (tl_args_parse(cmd, argc, argv, &a, &err) != STRATA_OK) return tl_usage_error(cmd, err.msg);
    if (a.help) {
        tl_usage(stdout, cmd);
        return TL_EXIT_OK;
    }
    const char *src = a.pos[0], *dir = tl_arg(cmd, &a, "data-dir");
    if (dir == NULL) return tl_usage_error(cmd, "--data-dir is required");

    /* The manifest: one file per line. */
    snprintf(path, sizeof path, "%s/backup.json", src);
    mf = fopen(path, "r");
    if (mf == NULL) {
        strata_error_set(&err, STRATA_ENOTFOUND, "%s is not a strata backup (no backup.json: %s)",
                         src, strerror(errno));
        goto done;
    }
    int is_backup = 0;
    while (fgets(line, sizeof line, mf)) {
        if (strstr(line, "\"strata_backup\": 1")) is_backup = 1;
        const char *p = strstr(line, "{\"path\": \"");
        if (p == NULL) continue;
        bk_file f;
        char hx[20];
        unsigned long long bytes;
        if (sscanf(p, "{\"path\": \"%63[^\"]\", \"bytes\": %llu, \"xxh3\": \"%16[0-9a-f]\"}", f.rel,
                   &bytes, hx) != 3) {
            strata_error_set(&err, STRATA_ECORRUPT, "%s: unreadable line: %s", path, line);
            goto done;
        }
        uint64_t lsn;
        if (strcmp(f.rel, "strata.mdb/data.mdb") != 0 &&
            !(strncmp(f.rel, "wal/", 4) == 0 && tl_wal_segname(f.rel + 4, &lsn))) {
            strata_error_set(&err, STRATA_ECORRUPT, "%s: unexpected file %s", path, f.rel);
            goto done;
        }
        f.bytes = bytes;
        f.hash = strtoull(hx, NULL, 16);
        if (nfiles == cap) {
            size_t nc = cap ? cap * 2 : 16;
            bk_file *nf = realloc(files, nc * sizeof *nf);
            if (nf == NULL) {
                strata_error_set(&err, STRATA_ENOMEM, "out of memory");
                goto done;
            }
            files = nf;
            cap = nc;
        }
        files[nfiles++] = f;
    }
    fclose(mf);
    mf = NULL;
    int has_mdb = 0;
    for (size_t i = 0; i < nfiles; i++)
        has_mdb |= strcmp(files[i].rel, "strata.mdb/data.mdb") == 0;
    if (!is_backup || !has_mdb) {
        strata_error_set(&err, STRATA_ECORRUPT, "%s is not a complete strata backup manifest",
                         path);
        goto done;
    }
    /* Check every file before copying anything. */
    tl_progress_note(&pr, "checking the backup's files");
    for (size_t i = 0; i < nfiles; i++) {
        uint64_t size, hash;
        snprintf(path, sizeof path, "%s/%s", src, files[i].rel);
        if (hash_file(path, &size, &hash, &err) != STRATA_OK) goto done;
        if (size != files[i].bytes || hash != files[i].hash) {
            strata_error_set(&err, STRATA_ECORRUPT,
                             "backup file %s is damaged: %llu bytes with hash %016llx, the "
                             "manifest says %llu bytes with hash %016llx",
                             path, (unsigned long long)size, (unsigned long long)hash,
                             (unsigned long long)files[i].bytes, (unsigned long long)files[i].hash);
            goto done;
        }
    }
    if (prepare_dest(dir, &err) != STRATA_OK) goto done;
    char sub[4300];
    if (mkdir_in(dir, "strata.mdb", sub, sizeof sub, &err) != STRATA_OK ||
        mkdir_in(dir, "wal", sub, sizeof sub, &err) != STRATA_OK)
        goto done;
    tl_progress_note(&pr, "copying");
    for (size_t i = 0; i < nfiles; i++) {
        uint64_t hash = 0;
        snprintf(path, sizeof path, "%s/%s", src, files[i].rel);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            strata_error_set(&err, STRATA_EIO, "cannot open %s: %s", path, strerror(errno));
            goto done;
        }
        char to[4400];
        snprintf(to, sizeof to, "%s/%s", dir, files[i].rel);
        int rc = copy_fd(fd, files[i].bytes, to, &hash, &err);
        close(fd);
        if (rc != STRATA_OK) goto done;
        if (hash != files[i].hash) {
            strata_error_set(&err, STRATA_EIO, "%s changed while it was copied", path);
            goto done;
        }
    }
    snprintf(path, sizeof path, "%s/strata.mdb", dir);
    snprintf(sub, sizeof sub, "%s/wal", dir);
    if (fsync_path(path) != 0 || fsync_path(sub) != 0 || fsync_path(dir) != 0) {
        strata_error_set(&err, STRATA_EIO, "syncing %s: %s", dir, strerror(errno));
        goto done;
    }

    /* Replay the backup's WAL into the copy (and checkpoint it) as a server start would. */
    tl_progress_note(&pr, "replaying the WAL");
    stg_options o;
    stg_engine *e = NULL;
    stg_options_default(&o);
    o.dir = dir;
    o.background = 0;
    o.log = &log;
    if (stg_engine_open(&o, &e, &err) != STRATA_OK) {
        strata_error_prefix(&err, "opening the restored directory: ");
        goto done;
    }
    stg_engine_stats es;
    stg_engine_stats_get(e, &es);
    if (stg_engine_checkpoint(e, &err) != STRATA_OK) {
        stg_engine_close(e);
        strata_error_prefix(&err, "checkpointing the restored directory: ");
        goto done;
    }
    stg_engine_close(e);
    fprintf(stderr, "strata restore: %zu files copied into %s; %llu WAL records replayed%s\n",
            nfiles, dir, (unsigned long long)es.replayed_records,
            es.replay_cut_bytes ? " (a torn last record, written while the backup ran, was cut)"
                                : "");

    tl_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    tl_guard_signals("restore (verify)");
    long n = tl_verify_run(dir, &vo, stdout, &err);
    fflush(stdout);
    if (n < 0) goto done;
    if (n > 0) {
        strata_error_set(&err, STRATA_ECORRUPT, "verify found %ld problems in %s", n, dir);
        goto done;
    }
    status = TL_EXIT_OK;
done:
    tl_progress_end(&pr);
    if (status != TL_EXIT_OK) fprintf(stderr, "strata restore: %s\n", err.msg);
    if (mf) fclose(mf);
    free(files);
    return status;
}
