/*
 * tests/unit/storage/index_testutil.h: shared set-up for the index tests: a
 * fresh LMDB environment in a mkdtemp directory (under $STRATA_TEST_TMP or
 * /tmp) opened the way the engine opens it (maxdbs 32), the index opened
 * in it, and removal of it all at the end. Header-only so each test binary
 * stays one file plus this.
 */
#ifndef STRATA_TESTS_INDEX_TESTUTIL_H
#define STRATA_TESTS_INDEX_TESTUTIL_H

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/index.h"

typedef struct tenv {
    char dir[512];
    MDB_env *env;
    stg_index *idx;
} tenv;

static inline int tenv_env_open(tenv *t)
{
    if (mdb_env_create(&t->env) != 0) return -1;
    mdb_env_set_maxdbs(t->env, 32);
    mdb_env_set_mapsize(t->env, (size_t)2 << 30);
    if (mdb_env_open(t->env, t->dir, MDB_NOSYNC, 0644) != 0) return -1;
    MDB_txn *w;
    strata_error err = {0};
    if (mdb_txn_begin(t->env, NULL, 0, &w) != 0) return -1;
    if (stg_index_open(t->env, w, &t->idx, &err) != STRATA_OK) {
        fprintf(stderr, "stg_index_open: %s\n", err.msg);
        mdb_txn_abort(w);
        return -1;
    }
    return mdb_txn_commit(w) == 0 ? 0 : -1;
}

/* Create the directory and open env + index. @return 0 or -1. */
static inline int tenv_open(tenv *t)
{
    const char *base = getenv("STRATA_TEST_TMP");
    if (base == NULL || base[0] == '\0') base = "/tmp";
    mkdir(base, 0755); /* may exist */
    snprintf(t->dir, sizeof t->dir, "%s/strata-idx-XXXXXX", base);
    if (mkdtemp(t->dir) == NULL) return -1;
    return tenv_env_open(t);
}

/* Close and reopen env + index on the same files (tests persistence). */
static inline int tenv_reopen(tenv *t)
{
    stg_index_close(t->idx);
    mdb_env_close(t->env);
    t->idx = NULL;
    t->env = NULL;
    return tenv_env_open(t);
}

static inline void tenv_close(tenv *t)
{
    char p[600];
    stg_index_close(t->idx);
    if (t->env != NULL) mdb_env_close(t->env);
    snprintf(p, sizeof p, "%s/data.mdb", t->dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", t->dir);
    unlink(p);
    rmdir(t->dir);
}

static inline MDB_txn *tenv_w(tenv *t)
{
    MDB_txn *w = NULL;
    if (mdb_txn_begin(t->env, NULL, 0, &w) != 0) return NULL;
    return w;
}

static inline MDB_txn *tenv_r(tenv *t)
{
    MDB_txn *r = NULL;
    if (mdb_txn_begin(t->env, NULL, MDB_RDONLY, &r) != 0) return NULL;
    return r;
}

/* Deterministic PRNG (splitmix64) for tests with a printed seed. */
static inline uint64_t *trand_state(void)
{
    static uint64_t state;
    return &state;
}

static inline void trand_seed(uint64_t seed)
{
    *trand_state() = seed;
}

static inline uint64_t trand(void)
{
    uint64_t z = (*trand_state() += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline stg_tag ttag(const char *k, const char *v)
{
    stg_tag t = {k, (uint32_t)strlen(k), v, (uint32_t)strlen(v)};
    return t;
}

#endif
