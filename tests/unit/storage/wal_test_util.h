/*
 * tests/unit/storage/wal_test_util.h: helpers shared by the write-ahead log
 * tests (test_wal*.c): a fresh temporary directory per test, recursive
 * removal, deterministic payloads derived from an LSN, a replay collector
 * that checks every payload byte, and small file helpers for corrupting
 * segments. Header-only so each test binary stays a single .c file.
 */
#ifndef STRATA_TESTS_WAL_TEST_UTIL_H
#define STRATA_TESTS_WAL_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/wal.h"

/* splitmix64: the deterministic generator of every test payload. */
static inline uint64_t wt_mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/*
 * Fill buf with len bytes determined by key: even keys give compressible
 * text-like bytes, odd keys random bytes.
 */
static inline void wt_fill(uint8_t *buf, size_t len, uint64_t key)
{
    uint64_t s = key * 0x2545f4914f6cdd1dull + 7;
    if (key % 2 == 0) {
        static const char words[] =
            "cpu,host=server01,region=us-west value=0.64 1434055562000000000\n";
        size_t off = (size_t)(wt_mix(&s) % (sizeof words - 1));
        for (size_t i = 0; i < len; i++) {
            buf[i] = (uint8_t)words[(off + i) % (sizeof words - 1)];
            if (i % 97 == 0) buf[i] = (uint8_t)('0' + wt_mix(&s) % 10);
        }
    } else {
        for (size_t i = 0; i < len; i += 8) {
            uint64_t v = wt_mix(&s);
            size_t n = len - i < 8 ? len - i : 8;
            memcpy(buf + i, &v, n);
        }
    }
}

/* Payload length used for a given LSN in tests that derive everything from it. */
static inline size_t wt_len_for(uint64_t lsn, uint64_t seed, size_t max)
{
    uint64_t s = lsn ^ (seed << 20);
    uint64_t r = wt_mix(&s);
    switch (r % 8) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return (size_t)(r >> 8) % (max + 1);
    default:
        return (size_t)(r >> 8) % (max / 8 + 1);
    }
}

/* A fresh directory under $STRATA_TEST_TMP (or /tmp). Caller frees. */
static inline char *wt_tmpdir(void)
{
    const char *base = getenv("STRATA_TEST_TMP");
    char *path;
    if (base == NULL || base[0] == '\0') base = "/tmp";
    (void)mkdir(base, 0755);
    path = malloc(strlen(base) + 32);
    if (path == NULL) return NULL;
    sprintf(path, "%s/walXXXXXX", base);
    if (mkdtemp(path) == NULL) {
        free(path);
        return NULL;
    }
    return path;
}

static inline int wt_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static inline void wt_rm_rf(char *dir)
{
    if (dir == NULL) return;
    nftw(dir, wt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* Path of the segment whose first LSN is first, in dir. Static buffer. */
static inline const char *wt_seg_path(const char *dir, uint64_t first)
{
    static char path[4096];
    if (snprintf(path, sizeof path, "%s/%020" PRIu64 ".wal", dir, first) >= (int)sizeof path)
        path[0] = '\0';
    return path;
}

/* Number of directory entries whose name ends with suffix. */
static inline int wt_count_suffix(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    size_t m = strlen(suffix);
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l >= m && strcmp(e->d_name + l - m, suffix) == 0) n++;
    }
    closedir(d);
    return n;
}

/* Sorted first LSNs of the *.wal segments in dir into out (up to max). @return count. */
static inline int wt_list_segs(const char *dir, uint64_t *out, int max)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l == 24 && strcmp(e->d_name + 20, ".wal") == 0 && n < max)
            out[n++] = strtoull(e->d_name, NULL, 10);
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            uint64_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

static inline long long wt_file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Read a whole file into a malloc'd buffer. */
static inline uint8_t *wt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    long n;
    *len = 0;
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(n > 0 ? (size_t)n : 1);
    if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static inline int wt_write_file(const char *path, const uint8_t *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    size_t w = fwrite(p, 1, len, f);
    fclose(f);
    return w == len ? 0 : -1;
}

/*
 * Replay collector. Records every (lsn, type, len) and checks the payload
 * against wt_fill(key) where the key is the LSN (check_fill) or remembers
 * a copy-free hash otherwise.
 */
typedef struct wt_rec {
    uint64_t lsn;
    uint8_t type;
    size_t len;
    int ok; /* payload matched wt_fill(lsn-derived key) */
} wt_rec;

typedef struct wt_coll {
    wt_rec *recs;
    size_t n, cap;
    uint64_t key_seed; /* key = lsn + key_seed for wt_fill */
    uint8_t *scratch;
    size_t scratch_cap;
    int stop_at_lsn; /* return 42 when reaching this LSN (0: never) */
} wt_coll;

static inline int wt_collect(void *ctx, uint64_t lsn, uint8_t type, const uint8_t *payload,
                             size_t len)
{
    wt_coll *c = ctx;
    if (c->stop_at_lsn != 0 && lsn == (uint64_t)c->stop_at_lsn) return 42;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->recs = realloc(c->recs, c->cap * sizeof *c->recs);
        if (c->recs == NULL) return -1;
    }
    if (len > c->scratch_cap) {
        c->scratch = realloc(c->scratch, len);
        c->scratch_cap = len;
    }
    if (payload == NULL) return -2;
    wt_fill(c->scratch, len, lsn + c->key_seed);
    c->recs[c->n].lsn = lsn;
    c->recs[c->n].type = type;
    c->recs[c->n].len = len;
    c->recs[c->n].ok = len == 0 || memcmp(c->scratch, payload, len) == 0;
    c->n++;
    return 0;
}

static inline void wt_coll_free(wt_coll *c)
{
    free(c->recs);
    free(c->scratch);
    memset(c, 0, sizeof *c);
}

/* Append one record whose payload is wt_fill(len, expected lsn + key_seed). */
static inline int wt_append_lsn(stg_wal *w, uint8_t type, size_t len, uint64_t key_seed,
                                uint64_t *lsn_out)
{
    static uint8_t *buf;
    static size_t cap;
    uint64_t next = stg_wal_next_lsn(w);
    strata_error err;
    if (len > cap) {
        buf = realloc(buf, len);
        cap = len;
    }
    wt_fill(buf, len, next + key_seed);
    int rc = stg_wal_append(w, type, buf, len, lsn_out, &err);
    if (rc == 0 && lsn_out && *lsn_out != next) return -1000; /* single-threaded callers only */
    if (rc != 0) fprintf(stderr, "append: %s\n", err.msg);
    return rc;
}

#endif
