/*
 * tools/strata_backup.c: `strata backup` (a consistent copy of a data
 * directory, also while a server writes to it) and `strata restore` (a
 * backup into a new directory, replayed and verified).
 *
 * A backup is LMDB's compacting copy (mdb_env_copy2 with MDB_CP_COMPACT: one
 * read transaction, so one consistent snapshot, written without free pages)
 * plus every WAL segment holding records from that snapshot's checkpoint
 * position (meta "ckpt_lsn") on. Replaying those records into the copy at
 * restore gives every point acknowledged before the copy ended.
 *
 * The race: while the copy runs, the server may checkpoint and delete the
 * segments that hold records the snapshot still needs. So the segments are
 * opened before the copy starts and, by a watcher thread, as soon as they
 * appear during it; an open file survives its unlink. Afterwards the backup
 * checks that the kept segments cover the snapshot's position without a gap
 * (reading record headers only: each segment must end where the next one
 * begins) and starts over if one was missed (at most three attempts).
 *
 * The backup directory has the layout of a data directory (strata.mdb/,
 * wal/) plus backup.json, a manifest with each file's size and XXH3-64
 * hash that restore checks before it copies anything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
        "while a server is writing to DIR. The copy is LMDB's compacting snapshot of one\n"
        "moment plus the write-ahead log segments holding every record from that snapshot's\n"
        "checkpoint on: restoring it gives every point acknowledged before the backup ended.\n"
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

/* ---------------------------------------------------- pinned segments */

typedef struct pin {
    uint64_t first_lsn;
    char name[32];
    int fd;
} pin;

typedef struct pinset {
    pthread_mutex_t mu;
    pin *p;
    size_t n, cap;
    char waldir[4200];
    int stop;
    int failed; /* out of memory or descriptors: the backup cannot be proven complete */
} pinset;

/* Open every segment of the WAL directory not pinned yet. Called with mu held. */
static void pin_scan(pinset *ps)
{
    DIR *d = opendir(ps->waldir);
    if (d == NULL) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t lsn;
        if (!tl_wal_segname(de->d_name, &lsn)) continue;
        int have = 0;
        for (size_t i = 0; i < ps->n && !have; i++)
            have = ps->p[i].first_lsn == lsn;
        if (have) continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT) ps->failed = 1; /* ENOENT: deleted meanwhile, fine */
            continue;
        }
        if (ps->n == ps->cap) {
            size_t nc = ps->cap ? ps->cap * 2 : 16;
            pin *np = realloc(ps->p, nc * sizeof *np);
            if (np == NULL) {
                close(fd);
                ps->failed = 1;
                continue;
            }
            ps->p = np;
            ps->cap = nc;
        }
        pin *p = &ps->p[ps->n++];
        p->first_lsn = lsn;
        memcpy(p->name, de->d_name, 25);
        p->fd = fd;
    }
    closedir(d);
}

static void *watcher(void *arg)
{
    pinset *ps = arg;
    for (;;) {
        pthread_mutex_lock(&ps->mu);
        int stop = ps->stop;
        if (!stop) pin_scan(ps);
        pthread_mutex_unlock(&ps->mu);
        if (stop) return NULL;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void pins_close(pinset *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        close(ps->p[i].fd);
    free(ps->p);
    ps->p = NULL;
    ps->n = ps->cap = 0;
}

static int cmp_pin(const void *a, const void *b)
{
    const pin *x = a, *y = b;
    return (x->first_lsn > y->first_lsn) - (x->first_lsn < y->first_lsn);
}

/*
 * The LSN after the last whole record of a segment (record headers only; a
 * torn tail ends it). 0 with a bad segment header.
 */
static uint64_t seg_end_lsn(int fd, uint64_t first, uint64_t size)
{
    uint8_t h[32];
    if (size < 32 || pread(fd, h, 32, 0) != 32 || memcmp(h, "STRATAWL", 8) != 0 ||
        strata_get_le64(h + 24) != XXH3_64bits(h, 24) || strata_get_le64(h + 16) != first)
        return 0;
    uint64_t off = 32, next = first;
    while (off + 24 <= size) {
        uint8_t r[24];
        if (pread(fd, r, 24, (off_t)off) != 24) break;
        uint32_t slen = strata_get_le32(r + 4);
        if (r[0] == 0 || strata_get_le64(r + 8) != next || slen > (256u << 20) ||
            off + 24 + slen > size)
            break;
        off += 24 + (uint64_t)slen;
        next++;
    }
    return next;
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
        fprintf(o, "%s\n    {\"path\": \"%s\", \"bytes\": %llu, \"xxh3\": \"%s\"}",
                i ? "," : "", f[i].rel, (unsigned long long)f[i].bytes, hx);
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

/* Remove what a failed attempt left in dest (only the names a backup writes). */
static void clean_dest(const char *dest)
{
    char p[4400];
    DIR *d;
    snprintf(p, sizeof p, "%s/wal", dest);
    if ((d = opendir(p)) != NULL) {
        struct dirent *de;
        uint64_t lsn;
        while ((de = readdir(d)) != NULL)
            if (tl_wal_segname(de->d_name, &lsn)) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
    }
    snprintf(p, sizeof p, "%s/strata.mdb/data.mdb", dest);
    unlink(p);
    snprintf(p, sizeof p, "%s/strata.mdb/lock.mdb", dest);
    unlink(p);
    snprintf(p, sizeof p, "%s/backup.json", dest);
    unlink(p);
}

/*
 * One attempt. @return STRATA_OK, STRATA_EAGAIN (a needed segment was deleted
 * before it could be pinned: try again), or a failure.
 */
static int backup_once(tl_store *src, const char *dir, const char *dest, strata_error *err)
{
    pinset ps;
    pthread_t th;
    int th_started = 0, rc;
    char mdbdir[4300], waldir[4300], path[4400];
    bk_file *files = NULL;
    size_t nfiles = 0;
    tl_store copy;
    memset(&copy, 0, sizeof copy);
    memset(&ps, 0, sizeof ps);
    pthread_mutex_init(&ps.mu, NULL);
    snprintf(ps.waldir, sizeof ps.waldir, "%s/wal", dir);

    if ((rc = mkdir_in(dest, "strata.mdb", mdbdir, sizeof mdbdir, err)) != STRATA_OK ||
        (rc = mkdir_in(dest, "wal", waldir, sizeof waldir, err)) != STRATA_OK)
        goto out;
    /* Pin what exists, then keep pinning while LMDB is copied. */
    pthread_mutex_lock(&ps.mu);
    pin_scan(&ps);
    pthread_mutex_unlock(&ps.mu);
    if (pthread_create(&th, NULL, watcher, &ps) != 0) {
        rc = strata_error_set(err, STRATA_ENOMEM, "cannot start the WAL watcher thread");
        goto out;
    }
    th_started = 1;
    int mrc = mdb_env_copy2(src->env, mdbdir, MDB_CP_COMPACT);
    pthread_mutex_lock(&ps.mu);
    ps.stop = 1;
    pin_scan(&ps);
    pthread_mutex_unlock(&ps.mu);
    pthread_join(th, NULL);
    th_started = 0;
    if (mrc) {
        rc = tl_mdb_err(mrc, err, "copying LMDB");
        goto out;
    }
    if (ps.failed) {
        rc = strata_error_set(err, STRATA_EIO,
                              "could not keep every WAL segment open (out of memory or file "
                              "descriptors)");
        goto out;
    }

    /* The snapshot's checkpoint position decides which records are needed. */
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

    if (ps.n > 1) qsort(ps.p, ps.n, sizeof *ps.p, cmp_pin);
    size_t first = 0;
    while (first + 1 < ps.n && ps.p[first + 1].first_lsn <= ckpt)
        first++;
    if (ps.n > 0 && ps.p[first].first_lsn > ckpt) {
        /* Records [ckpt, first_lsn) existed in a segment deleted before it was pinned,
         * unless none were ever written (a log that starts at the checkpoint). */
        if (ps.p[first].first_lsn > ckpt + 1) {
            rc = strata_error_set(err, STRATA_EAGAIN, "WAL records from %llu were deleted",
                                  (unsigned long long)ckpt);
            goto out;
        }
    }
    files = calloc(ps.n + 1, sizeof *files);
    if (files == NULL) {
        rc = strata_error_set(err, STRATA_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t wal_bytes = 0, last_lsn = 0;
    for (size_t i = first; i < ps.n; i++) {
        struct stat st;
        if (fstat(ps.p[i].fd, &st) != 0) {
            rc = strata_error_set(err, STRATA_EIO, "stat of WAL segment %s: %s", ps.p[i].name,
                                  strerror(errno));
            goto out;
        }
        uint64_t size = (uint64_t)st.st_size;
        uint64_t end = seg_end_lsn(ps.p[i].fd, ps.p[i].first_lsn, size);
        if (i + 1 < ps.n && end != ps.p[i + 1].first_lsn) {
            /* A segment between these two was created and deleted while unpinned. */
            rc = strata_error_set(err, STRATA_EAGAIN,
                                  "WAL segment %s ends at LSN %llu but the next kept one starts "
                                  "at %llu",
                                  ps.p[i].name, (unsigned long long)end,
                                  (unsigned long long)ps.p[i + 1].first_lsn);
            goto out;
        }
        if (end > 0) last_lsn = end - 1;
        bk_file *f = &files[nfiles++];
        snprintf(f->rel, sizeof f->rel, "wal/%s", ps.p[i].name);
        snprintf(path, sizeof path, "%s/%s", dest, f->rel);
        if ((rc = copy_fd(ps.p[i].fd, size, path, &f->hash, err)) != STRATA_OK) goto out;
        f->bytes = size;
        wal_bytes += size;
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
    fprintf(stderr,
            "strata backup: %s -> %s: LMDB snapshot %s (checkpoint at WAL position %llu), %zu WAL "
            "segments (%s)%s%llu\n",
            dir, dest, tl_bytes_fmt(mf->bytes, b1, sizeof b1), (unsigned long long)ckpt,
            nfiles - 1, tl_bytes_fmt(wal_bytes, b2, sizeof b2),
            nfiles > 1 ? " up to record " : "", nfiles > 1 ? (unsigned long long)last_lsn : 0ull);
    rc = STRATA_OK;
out:
    if (th_started) {
        pthread_mutex_lock(&ps.mu);
        ps.stop = 1;
        pthread_mutex_unlock(&ps.mu);
        pthread_join(th, NULL);
    }
    tl_store_close(&copy);
    pins_close(&ps);
    pthread_mutex_destroy(&ps.mu);
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
    for (int attempt = 1; attempt <= 3; attempt++) {
        rc = backup_once(&src, dir, dest, &err);
        if (rc != STRATA_EAGAIN) break;
        fprintf(stderr, "strata backup: %s; starting over (attempt %d of 3)\n", err.msg,
                attempt + 1);
        clean_dest(dest);
    }
    if (rc == STRATA_EAGAIN)
        strata_error_prefix(&err, "the server deleted WAL segments faster than they could be "
                                  "kept: ");
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

    strata_error_clear(&err);
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
        if (sscanf(p, "{\"path\": \"%63[^\"]\", \"bytes\": %llu, \"xxh3\": \"%16[0-9a-f]\"}",
                   f.rel, &bytes, hx) != 3) {
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
    for (size_t i = 0; i < nfiles; i++) {
        uint64_t size, hash;
        snprintf(path, sizeof path, "%s/%s", src, files[i].rel);
        if (hash_file(path, &size, &hash, &err) != STRATA_OK) goto done;
        if (size != files[i].bytes || hash != files[i].hash) {
            strata_error_set(&err, STRATA_ECORRUPT,
                             "backup file %s is damaged: %llu bytes with hash %016llx, the "
                             "manifest says %llu bytes with hash %016llx",
                             path, (unsigned long long)size, (unsigned long long)hash,
                             (unsigned long long)files[i].bytes,
                             (unsigned long long)files[i].hash);
            goto done;
        }
    }
    if (prepare_dest(dir, &err) != STRATA_OK) goto done;
    char sub[4300];
    if (mkdir_in(dir, "strata.mdb", sub, sizeof sub, &err) != STRATA_OK ||
        mkdir_in(dir, "wal", sub, sizeof sub, &err) != STRATA_OK)
        goto done;
    for (size_t i = 0; i < nfiles; i++) {
        uint64_t hash;
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
    fprintf(stderr,
            "strata restore: %zu files copied into %s; %llu WAL records replayed%s\n", nfiles,
            dir, (unsigned long long)es.replayed_records,
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
    if (status != TL_EXIT_OK) fprintf(stderr, "strata restore: %s\n", err.msg);
    if (mf) fclose(mf);
    free(files);
    return status;
}
