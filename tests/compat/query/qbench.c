/*
 * tests/compat/query/qbench.c: a quick throughput check of the executor
 * (not a test): writes S series x N points of one float field (10 s apart)
 * into a fresh engine, checkpoints, then times typical dashboard queries
 * through qry_api_execute() and prints points per second.
 *
 * Usage: qbench DIR [SERIES [POINTS [THREADS]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "query/api.h"
#include "storage/engine.h"

typedef struct sink {
    size_t n;
} sink;

static int sink_write(void *ctx, const void *p, size_t n)
{
    (void)p;
    ((sink *)ctx)->n += n;
    return 0;
}

static void run(stg_engine *e, const qry_limits *lim, const char *q, uint64_t points)
{
    qry_request r;
    memset(&r, 0, sizeof r);
    r.q = q;
    r.q_len = strlen(q);
    r.db = "bench";
    r.epoch = "ms";
    sink s = {0};
    qry_output out = {sink_write, &s};
    int st;
    const char *ct;
    strata_error err = {0};
    int64_t t0 = strata_mono_ns();
    int rc = qry_api_execute(e, lim, &r, &out, &st, &ct, &err);
    int64_t dt = strata_mono_ns() - t0;
    printf("%8.1f ms  %7.1f Mpts/s  %8zu bytes  rc=%d  %s\n", dt / 1e6,
           dt ? points / (dt / 1e9) / 1e6 : 0.0, s.n, rc, q);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: qbench DIR [SERIES [POINTS [THREADS]]]\n");
        return 2;
    }
    int nseries = argc > 2 ? atoi(argv[2]) : 100;
    int npoints = argc > 3 ? atoi(argv[3]) : 100000;
    int threads = argc > 4 ? atoi(argv[4]) : 1;
    stg_options o;
    stg_options_default(&o);
    o.dir = argv[1];
    o.wal_sync = 0;
    o.background = 0;
    o.map_bytes = (size_t)64 << 30;
    stg_engine *e;
    strata_error err = {0};
    if (stg_engine_open(&o, &e, &err) != STRATA_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    uint32_t db;
    stg_db_create(e, "bench", &db, &err);
    int64_t t0 = 1451606400LL * 1000000000;
    stg_batch *b;
    stg_batch_new(e, db, &b);
    int64_t w0 = strata_mono_ns();
    uint64_t seed = 42;
    for (int i = 0; i < npoints; i++) {
        for (int s = 0; s < nseries; s++) {
            char host[32];
            int hl = snprintf(host, sizeof host, "h%04d", s);
            stg_tag tags[2] = {{"host", 4, host, (uint32_t)hl},
                               {"region", 6, s % 2 ? "eu" : "us", 2}};
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            double v = (double)((seed >> 33) % 10000) / 100.0;
            stg_field_in f = {"value", 5, STG_FLOAT, stg_val_from_f64(v), NULL, 0};
            stg_point_in p = {"cpu", 3, tags, 2, &f, 1, t0 + (int64_t)i * 10000000000LL};
            stg_batch_add(b, &p, &err);
            if (stg_batch_count(b) >= 10000) {
                stg_write_result res;
                stg_batch_commit(b, &res, &err);
            }
        }
    }
    stg_write_result res;
    stg_batch_commit(b, &res, &err);
    stg_batch_free(b);
    stg_engine_checkpoint(e, &err);
    uint64_t total = (uint64_t)nseries * (uint64_t)npoints;
    printf("wrote %llu points in %.1f s\n", (unsigned long long)total,
           (strata_mono_ns() - w0) / 1e9);
    qry_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.threads = (uint32_t)threads;
    char q[512];
    int64_t end = t0 + (int64_t)npoints * 10000000000LL;
    snprintf(q, sizeof q, "SELECT count(value) FROM cpu");
    run(e, &lim, q, total);
    snprintf(q, sizeof q,
             "SELECT mean(value) FROM cpu WHERE time >= %lld AND time < %lld GROUP BY time(1h)",
             (long long)t0, (long long)end);
    run(e, &lim, q, total);
    snprintf(q, sizeof q,
             "SELECT mean(value), max(value) FROM cpu WHERE time >= %lld AND time < %lld GROUP BY "
             "time(1h), host",
             (long long)t0, (long long)end);
    run(e, &lim, q, total);
    snprintf(q, sizeof q,
             "SELECT mean(value) FROM cpu WHERE time >= %lld AND time < %lld GROUP BY time(1m)",
             (long long)t0, (long long)(t0 + 86400LL * 1000000000));
    run(e, &lim, q, (uint64_t)nseries * 8640);
    snprintf(q, sizeof q,
             "SELECT percentile(value, 95) FROM cpu WHERE time >= %lld AND time < %lld GROUP BY "
             "time(1h)",
             (long long)t0, (long long)(t0 + 86400LL * 1000000000));
    run(e, &lim, q, (uint64_t)nseries * 8640);
    snprintf(q, sizeof q, "SELECT value FROM cpu WHERE host = 'h0001'");
    run(e, &lim, q, (uint64_t)npoints);
    snprintf(q, sizeof q, "SELECT value FROM cpu WHERE time >= %lld AND time < %lld", (long long)t0,
             (long long)(t0 + 3600LL * 1000000000));
    run(e, &lim, q, (uint64_t)nseries * 360);
    snprintf(q, sizeof q,
             "SELECT non_negative_derivative(mean(value), 1s) FROM cpu WHERE time >= %lld AND "
             "time < %lld GROUP BY time(5m), host",
             (long long)t0, (long long)(t0 + 86400LL * 1000000000));
    run(e, &lim, q, (uint64_t)nseries * 8640);
    run(e, &lim, "SHOW TAG VALUES WITH KEY = host", 0);
    stg_engine_close(e);
    return 0;
}
