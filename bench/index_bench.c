/*
 * bench/index_bench.c: how fast the series index creates, finds and queries
 * series. Creates N series (default 1,000,000) in one write transaction
 * in a fresh LMDB environment, then times lookups, a tag query, batched
 * creation (one commit per 10,000 series) and drops.
 *
 * Series shape: 10 measurements; tags host (100,000 values), rack (1,000),
 * region (20) and a unique "id", the kind of cardinality a fleet of hosts
 * with per-process series produces.
 *
 * Usage: index_bench [N] [dir]   (dir defaults to a mkdtemp under /tmp;
 * the files are removed at the end). INDEX_BENCH_CREATE_ONLY=1 stops after
 * the one-transaction creation (for profiling it).
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "storage/index.h"

static int die(const char *what, int rc, const strata_error *err)
{
    fprintf(stderr, "%s failed: %d %s\n", what, rc, err != NULL ? err->msg : "");
    exit(1);
}

typedef struct shape {
    char meas[8], host[16], rack[16], region[8], id[24];
    stg_tag tags[4];
} shape;

static void make(shape *s, long i, long salt)
{
    snprintf(s->meas, sizeof s->meas, "m%ld", i % 10);
    snprintf(s->host, sizeof s->host, "host-%06ld", (i * 7919) % 100000);
    snprintf(s->id, sizeof s->id, "%ld", i + salt);
    snprintf(s->rack, sizeof s->rack, "rack-%03ld", i % 1000);
    snprintf(s->region, sizeof s->region, "r%02ld", i % 20);
    const char *k[4] = {"host", "id", "rack", "region"};
    const char *v[4] = {s->host, s->id, s->rack, s->region};
    for (int t = 0; t < 4; t++) {
        s->tags[t].key = k[t];
        s->tags[t].key_len = (uint32_t)strlen(k[t]);
        s->tags[t].val = v[t];
        s->tags[t].val_len = (uint32_t)strlen(v[t]);
    }
}

static double secs(int64_t t0)
{
    return (double)(strata_mono_ns() - t0) / 1e9;
}

/* CPU time of this process: on a shared machine it is steadier than wall time. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    char dir[512];
    if (argc > 2)
        snprintf(dir, sizeof dir, "%s", argv[2]);
    else {
        snprintf(dir, sizeof dir, "/tmp/strata-idxbench-XXXXXX");
        if (mkdtemp(dir) == NULL) return die("mkdtemp", -1, NULL);
    }
    MDB_env *env;
    MDB_txn *w, *r;
    stg_index *idx;
    strata_error err = {0};
    uint32_t db;
    uint64_t id;
    int created, rc;

    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, (size_t)16 << 30);
    if ((rc = mdb_env_open(env, dir, MDB_NOSYNC, 0644)) != 0) return die("mdb_env_open", rc, NULL);
    mdb_txn_begin(env, NULL, 0, &w);
    if ((rc = stg_index_open(env, w, &idx, &err)) != 0) return die("stg_index_open", rc, &err);
    if ((rc = stg_index_db_create(idx, w, "bench", 5, &db, &err)) != 0)
        return die("db_create", rc, &err);
    mdb_txn_commit(w);

    /* 1. Bulk creation in one transaction (inputs prepared beforehand). */
    shape *all_s = malloc((size_t)n * sizeof *all_s);
    if (all_s == NULL) return die("malloc", -1, NULL);
    for (long i = 0; i < n; i++)
        make(&all_s[i], i, 0);
    mdb_txn_begin(env, NULL, 0, &w);
    int64_t t0 = strata_mono_ns();
    double c0 = cpu_now();
    for (long i = 0; i < n; i++) {
        shape *p = &all_s[i];
        rc = stg_index_series_ensure(idx, w, db, p->meas, strlen(p->meas), p->tags, 4, &id,
                                     &created, &err);
        if (rc != 0 || !created) return die("ensure (create)", rc, &err);
    }
    double tc = secs(t0), cc = cpu_now() - c0;
    t0 = strata_mono_ns();
    if ((rc = mdb_txn_commit(w)) != 0) return die("commit", rc, NULL);
    double tcommit = secs(t0);
    printf("create %ld series in one txn, one call each: %.2f s wall, %.2f s cpu  (%.0f "
           "series/s wall, %.0f series/s cpu; commit %.2f s)\n",
           n, tc, cc, n / tc, n / cc, tcommit);
    /* 1b. The same shape through the batch API, 10,000 per call, one txn,
     * into a second database. */
    {
        uint32_t db2;
        long nbatch = 10000;
        stg_series_in *bin = malloc((size_t)nbatch * sizeof *bin);
        uint64_t *bids = malloc((size_t)nbatch * sizeof *bids);
        uint8_t *bcr = malloc((size_t)nbatch);
        if (bin == NULL || bids == NULL || bcr == NULL) return die("malloc", -1, NULL);
        mdb_txn_begin(env, NULL, 0, &w);
        stg_index_db_create(idx, w, "bench2", 6, &db2, &err);
        t0 = strata_mono_ns();
        c0 = cpu_now();
        for (long i = 0; i < n; i += nbatch) {
            long m = n - i < nbatch ? n - i : nbatch;
            for (long j = 0; j < m; j++) {
                shape *p = &all_s[i + j];
                bin[j].meas = p->meas;
                bin[j].mlen = strlen(p->meas);
                bin[j].tags = p->tags;
                bin[j].ntags = 4;
            }
            rc = stg_index_series_ensure_batch(idx, w, db2, bin, (size_t)m, bids, bcr, &err);
            if (rc != 0) return die("ensure_batch", rc, &err);
        }
        tc = secs(t0);
        cc = cpu_now() - c0;
        t0 = strata_mono_ns();
        if ((rc = mdb_txn_commit(w)) != 0) return die("commit", rc, NULL);
        tcommit = secs(t0);
        printf("create %ld series in one txn, batches of %ld: %.2f s wall, %.2f s cpu  (%.0f "
               "series/s wall, %.0f series/s cpu; commit %.2f s)\n",
               n, nbatch, tc, cc, n / tc, n / cc, tcommit);
        mdb_txn_begin(env, NULL, 0, &w);
        stg_index_db_drop(idx, w, db2, &err);
        mdb_txn_commit(w);
        free(bin);
        free(bids);
        free(bcr);
    }
    if (getenv("INDEX_BENCH_CREATE_ONLY") != NULL) goto out;

    /* 2. Ensure of existing series (the write path for known series). */
    mdb_txn_begin(env, NULL, 0, &w);
    t0 = strata_mono_ns();
    for (long i = 0; i < n; i++) {
        shape *p = &all_s[i];
        rc = stg_index_series_ensure(idx, w, db, p->meas, strlen(p->meas), p->tags, 4, &id,
                                     &created, &err);
        if (rc != 0 || created) return die("ensure (existing)", rc, &err);
    }
    double te = secs(t0);
    mdb_txn_abort(w);
    printf("ensure %ld existing series: %.2f s  (%.0f series/s)\n", n, te, n / te);

    /* 3. Lookups by key in a read transaction. */
    char key[256];
    mdb_txn_begin(env, NULL, MDB_RDONLY, &r);
    t0 = strata_mono_ns();
    for (long i = 0; i < n; i++) {
        shape *p = &all_s[i];
        size_t kl = stg_series_key_build(p->meas, strlen(p->meas), p->tags, 4, key, sizeof key);
        if ((rc = stg_index_series_lookup(idx, r, db, key, kl, &id)) != 0)
            return die("lookup", rc, NULL);
    }
    double tl = secs(t0);
    printf("lookup %ld series by key: %.2f s  (%.0f lookups/s)\n", n, tl, n / tl);

    /* 4. Tag queries. */
    uint32_t mid;
    stg_idset set, all;
    stg_idset_init(&set);
    stg_idset_init(&all);
    stg_index_meas_lookup(idx, r, db, "m0", 2, &mid);
    t0 = strata_mono_ns();
    stg_index_meas_series(idx, r, db, mid, &all);
    double tq1 = secs(t0);
    t0 = strata_mono_ns();
    stg_index_tag_series(idx, r, db, mid, "region", 6, "r00", 3, &set);
    double tq2 = secs(t0);
    size_t nset = set.n;
    t0 = strata_mono_ns();
    stg_idset_intersect(&set, &set, &all);
    double tq3 = secs(t0);
    printf("meas_series m0: %zu ids in %.1f ms; tag_series region=r00: %zu ids in %.1f ms; "
           "intersect %.1f ms\n",
           all.n, tq1 * 1e3, nset, tq2 * 1e3, tq3 * 1e3);
    t0 = strata_mono_ns();
    mdb_txn_abort(r);

    /* 5. Many transactions on top of the n existing series: commit every
     * `per` new series, one call each and through the batch API. Ids are
     * spread by the hash, so each commit rewrites every page it touched. */
    long nb = n / 4;
    long per_list[2] = {10000, 100000};
    for (int mode = 0; mode < 4; mode++) {
        long per = per_list[mode / 2];
        int batch = mode % 2;
        double tcm = 0, tcpu0 = cpu_now();
        stg_series_in *bin = malloc((size_t)per * sizeof *bin);
        uint64_t *bids = malloc((size_t)per * sizeof *bids);
        shape *bs = malloc((size_t)per * sizeof *bs);
        if (bin == NULL || bids == NULL || bs == NULL) return die("malloc", -1, NULL);
        long salt = n * (2 + mode);
        t0 = strata_mono_ns();
        for (long i = 0; i < nb;) {
            long m = nb - i < per ? nb - i : per;
            mdb_txn_begin(env, NULL, 0, &w);
            for (long j = 0; j < m; j++)
                make(&bs[j], i + j, salt);
            if (batch) {
                for (long j = 0; j < m; j++)
                    bin[j] = (stg_series_in){bs[j].meas, strlen(bs[j].meas), bs[j].tags, 4};
                rc = stg_index_series_ensure_batch(idx, w, db, bin, (size_t)m, bids, NULL, &err);
                if (rc != 0) return die("ensure_batch (txns)", rc, &err);
            } else {
                for (long j = 0; j < m; j++) {
                    rc = stg_index_series_ensure(idx, w, db, bs[j].meas, strlen(bs[j].meas),
                                                 bs[j].tags, 4, &id, &created, &err);
                    if (rc != 0 || !created) return die("ensure (txns)", rc, &err);
                }
            }
            int64_t tc0 = strata_mono_ns();
            if ((rc = mdb_txn_commit(w)) != 0) return die("commit", rc, NULL);
            tcm += secs(tc0);
            i += m;
        }
        double tb = secs(t0);
        printf("create %ld more series, commit every %ld, %s: %.2f s wall (commits %.2f s), "
               "%.2f s cpu  (%.0f series/s wall)\n",
               nb, per, batch ? "batch API" : "one call each", tb, tcm, cpu_now() - tcpu0, nb / tb);
        free(bin);
        free(bids);
        free(bs);
    }

    /* 6. Drops. */
    mdb_txn_begin(env, NULL, 0, &w);
    stg_idset_clear(&set);
    t0 = strata_mono_ns();
    if ((rc = stg_index_meas_drop(idx, w, db, mid, &set, &err)) != 0)
        return die("meas_drop", rc, &err);
    double td1 = secs(t0);
    mdb_txn_commit(w);
    printf("meas_drop m0: %zu series in %.2f s\n", set.n, td1);
    mdb_txn_begin(env, NULL, 0, &w);
    uint64_t left = stg_index_series_count(idx, w, db);
    t0 = strata_mono_ns();
    if ((rc = stg_index_db_drop(idx, w, db, &err)) != 0) return die("db_drop", rc, &err);
    double td2 = secs(t0);
    mdb_txn_commit(w);
    printf("db_drop: %llu series in %.2f s\n", (unsigned long long)left, td2);

    MDB_envinfo info;
    mdb_env_info(env, &info);
    MDB_stat st;
    mdb_env_stat(env, &st);
    printf("data file high-water: %.1f MiB\n",
           (double)info.me_last_pgno * st.ms_psize / (1024.0 * 1024.0));

    stg_idset_fini(&set);
    stg_idset_fini(&all);
out:
    free(all_s);
    stg_index_close(idx);
    mdb_env_close(env);
    if (argc <= 2) {
        char p[600];
        snprintf(p, sizeof p, "%s/data.mdb", dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/lock.mdb", dir);
        unlink(p);
        rmdir(dir);
    }
    return 0;
}
