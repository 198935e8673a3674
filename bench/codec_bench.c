/*
 * bench/codec_bench.c: size and speed of the chunk codecs (storage/chunk.h)
 * and of the stream head (storage/stream.h) on realistic column shapes.
 *
 * For each shape: the codecs the chooser picked, bytes per value of the whole
 * chunk (header and checksum included) and of the value section alone,
 * encode speed (stg_chunk_encode: statistics, every candidate codec, the
 * checksum) and decode speed (stg_chunk_decode: checksum, both sections), in
 * millions of points per second of CPU time on one core. valB/pt estimates
 * the value section alone (the chunk minus the same chunk with constant
 * values). Then the stream: bits per point, memory, append and decode speed.
 *
 * Usage: codec_bench [points_per_chunk (default 1000)] [seconds per measure (default 0.2)]
 * Build in Release (the default build type) for meaningful speeds.
 * Data comes from a fixed seed, so sizes are reproducible.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "storage/chunk.h"
#include "storage/stream.h"

#define SEED 0xbe4c4c0dec5ull
static uint64_t rng = SEED;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static double normal(void)
{
    double u = unit(), v = unit();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

typedef struct shape {
    const char *name;
    stg_type type;
    void (*gen)(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb);
} shape;

static void ts_regular(uint32_t n, int64_t *ts)
{
    for (uint32_t i = 0; i < n; i++)
        ts[i] = 1700000000000000000 + (int64_t)i * 10000000000;
}

static void g_gauge2(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    int64_t m = 5000;
    for (uint32_t i = 0; i < n; i++) {
        m += (int64_t)(rnd() % 201) - 100; /* steps of -1.00 .. +1.00 */
        v[i] = stg_val_from_f64((double)m / 100);
    }
}

/* TSBS devops cpu: clamped random walk in [0, 100], N(0, 1) steps, float64. */
static void g_cpu_full(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    double x = unit() * 100;
    for (uint32_t i = 0; i < n; i++) {
        x += normal();
        x = x < 0 ? 0 : x > 100 ? 100 : x;
        v[i] = stg_val_from_f64(x);
    }
}

/* The same walk as TSBS writes it in line protocol: whole numbers. */
static void g_cpu_int(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    double x = unit() * 100;
    for (uint32_t i = 0; i < n; i++) {
        x += normal();
        x = x < 0 ? 0 : x > 100 ? 100 : x;
        v[i] = stg_val_from_f64(floor(x));
    }
}

/* Telegraf-style cpu percentages: bounded noise with many decimals cut to 2. */
static void g_cpu_pct2(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    for (uint32_t i = 0; i < n; i++)
        v[i] = stg_val_from_f64((double)(int64_t)(rnd() % 2001 + 500) / 100);
}

static void g_counter(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    uint64_t c = 123456789012;
    for (uint32_t i = 0; i < n; i++)
        v[i] = c += rnd() % 10000; /* bytes sent */
}

static void g_counter_slow(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    uint64_t c = 1000;
    for (uint32_t i = 0; i < n; i++)
        v[i] = c += rnd() % 50; /* requests */
}

static void g_int_gauge(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    for (uint32_t i = 0; i < n; i++)
        v[i] = 8000000000ull + rnd() % 100000000; /* memory used, bytes */
}

static void g_ts_jitter_const(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    int64_t t = 1700000000000000000;
    for (uint32_t i = 0; i < n; i++) {
        t += 10000000000 + (int64_t)(rnd() % 2000001) - 1000000; /* +-1 ms */
        ts[i] = t;
        v[i] = 1;
    }
}

static void g_ts_gaps_const(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    int64_t t = 1700000000000000000;
    for (uint32_t i = 0; i < n; i++) {
        t += 10000000000 * (rnd() % 100 == 0 ? 2 : 1); /* 1% missed samples */
        ts[i] = t;
        v[i] = 1;
    }
}

static void g_bool_flag(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    uint64_t b = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (rnd() % 200 == 0) b ^= 1;
        v[i] = b;
    }
}

static void g_status(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    static const char *st[] = {"ok", "ok", "ok", "warning", "critical"};
    ts_regular(n, ts);
    uint32_t off = 0, cur = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (rnd() % 100 == 0) cur = (uint32_t)(rnd() % 5);
        uint32_t len = (uint32_t)strlen(st[cur]);
        memcpy(sb + off, st[cur], len);
        v[i] = stg_val_str(off, len);
        off += len;
    }
}

/* Worst cases for the chooser: nothing compresses, every candidate is tried. */
static void g_rand_f64(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    (void)sb;
    ts_regular(n, ts);
    for (uint32_t i = 0; i < n; i++)
        v[i] = rnd();
}

static void g_rand_str(uint32_t n, int64_t *ts, uint64_t *v, uint8_t *sb)
{
    ts_regular(n, ts);
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)(rnd() % 16);
        for (uint32_t k = 0; k < len; k++)
            sb[off + k] = (uint8_t)rnd();
        v[i] = stg_val_str(off, len);
        off += len;
    }
}

static const shape shapes[] = {
    {"gauge 2-decimal walk (+-1.00)", STG_FLOAT, g_gauge2},
    {"cpu usage TSBS float64 walk", STG_FLOAT, g_cpu_full},
    {"cpu usage TSBS whole numbers", STG_FLOAT, g_cpu_int},
    {"cpu pct 2-decimal noise", STG_FLOAT, g_cpu_pct2},
    {"counter int (bytes, +0..9999)", STG_INT, g_counter},
    {"counter uint (reqs, +0..49)", STG_UINT, g_counter_slow},
    {"gauge int (mem bytes noise)", STG_INT, g_int_gauge},
    {"ts jitter +-1ms, const value", STG_INT, g_ts_jitter_const},
    {"ts 10s with 1% gaps, const", STG_INT, g_ts_gaps_const},
    {"bool flag, rare flips", STG_BOOL, g_bool_flag},
    {"status strings", STG_STRING, g_status},
    {"worst: random float bits", STG_FLOAT, g_rand_f64},
    {"worst: random int64", STG_INT, g_rand_f64},
    {"worst: random strings 0-15 B", STG_STRING, g_rand_str},
};

static double secs = 0.2;

/*
 * The machine is shared: time on the thread's CPU clock (time spent
 * descheduled does not count) in TRIALS short runs and keep the fastest,
 * which is the least disturbed by other processes sharing the core's caches.
 */
static int64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

#define TRIALS 7
#define BATCH 16 /* chunk operations between clock reads */

typedef struct timer {
    int trial;
    long reps, best_reps;
    int64_t t0, best_ns;
} timer;

static void timer_start(timer *t)
{
    memset(t, 0, sizeof *t);
    t->t0 = cpu_ns();
}

/* Count reps (read the clock rarely: it is a system call); returns 0 when all
 * trials are done. */
static int timer_tick(timer *t, long reps)
{
    t->reps += reps;
    int64_t now = cpu_ns(), el = now - t->t0;
    if (el < (int64_t)(secs * 1e9 / TRIALS)) return 1;
    if (!t->best_ns || (double)t->reps / el > (double)t->best_reps / t->best_ns) {
        t->best_reps = t->reps;
        t->best_ns = el;
    }
    t->reps = 0;
    t->t0 = cpu_ns();
    return ++t->trial < TRIALS;
}

/* Points per second of the best trial, in millions. */
static double timer_rate(const timer *t, uint32_t n)
{
    return (double)t->best_reps * n / ((double)t->best_ns / 1e9) / 1e6;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000;
    if (argc > 2) secs = strtod(argv[2], NULL);
    if (n < 1 || n > STG_CHUNK_MAX_POINTS) {
        fprintf(stderr, "points per chunk must be 1..%u\n", STG_CHUNK_MAX_POINTS);
        return 2;
    }
    int64_t *ts = malloc((size_t)n * 8), *dts = malloc((size_t)n * 8);
    uint64_t *v = malloc((size_t)n * 8), *dv = malloc((size_t)n * 8);
    uint8_t *sb = malloc((size_t)n * 16), *dsb = malloc((size_t)n * 16);
    size_t cap = stg_chunk_bound(STG_STRING, n, (size_t)n * 16) + 16;
    uint8_t *blob = malloc(cap);
    if (!ts || !dts || !v || !dv || !sb || !dsb || !blob) return 1;

    printf("chunks of %u points; speeds in M points/s of thread CPU time, best of %d runs\n", n,
           TRIALS);
    printf("%-32s %-10s %-10s %8s %8s %9s %9s\n", "shape", "ts codec", "val codec", "B/pt",
           "valB/pt", "enc M/s", "dec M/s");
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const shape *sh = &shapes[k];
        rng = SEED + k; /* the same data in both tables and in every run */
        sh->gen(n, ts, v, sb);
        size_t used = 0;
        strata_error err;
        if (stg_chunk_encode(sh->type, ts, v, sb, n, blob, cap, &used, &err) != STRATA_OK) {
            fprintf(stderr, "encode %s: %s\n", sh->name, err.msg);
            return 1;
        }
        stg_chunk_info in;
        stg_chunk_info_read(blob, used, &in, NULL);
        /* the value section alone: re-encode with constant values */
        uint64_t *cv = calloc(n, 8);
        size_t used_c = 0;
        stg_chunk_encode(sh->type == STG_STRING ? STG_INT : sh->type, ts, cv, NULL, n, blob, cap,
                         &used_c, NULL);
        free(cv);
        stg_chunk_encode(sh->type, ts, v, sb, n, blob, cap, &used, NULL);

        timer tm;
        timer_start(&tm);
        do
            for (int r = 0; r < BATCH; r++)
                stg_chunk_encode(sh->type, ts, v, sb, n, blob, cap, &used, NULL);
        while (timer_tick(&tm, BATCH));
        double enc = timer_rate(&tm, n);

        uint32_t cnt;
        timer_start(&tm);
        do {
            for (int r = 0; r < BATCH; r++)
                if (stg_chunk_decode(blob, used, dts, dv, dsb, (size_t)n * 16, &cnt, &err) !=
                    STRATA_OK) {
                    fprintf(stderr, "decode %s: %s\n", sh->name, err.msg);
                    return 1;
                }
        } while (timer_tick(&tm, BATCH));
        double dec = timer_rate(&tm, n);
        if (memcmp(dts, ts, (size_t)n * 8) ||
            (sh->type != STG_STRING && memcmp(dv, v, (size_t)n * 8))) {
            fprintf(stderr, "round trip mismatch for %s\n", sh->name);
            return 1;
        }
        double valb = ((double)used - (double)used_c) / n;
        printf("%-32s %-10s %-10s %8.3f %8.3f %9.1f %9.1f\n", sh->name, stg_codec_name(in.ts_codec),
               stg_codec_name(in.val_codec), (double)used / n, valb < 0 ? 0 : valb, enc, dec);
    }

    printf("\nstream head (%u points): bits per point, append and decode M points/s\n", n);
    printf("%-32s %8s %9s %9s %9s\n", "shape", "bits/pt", "mem B", "app M/s", "dec M/s");
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const shape *sh = &shapes[k];
        rng = SEED + k;
        sh->gen(n, ts, v, sb);
        stg_stream s;
        timer tm;
        timer_start(&tm);
        do {
            stg_stream_init(&s, sh->type);
            for (uint32_t i = 0; i < n; i++)
                stg_stream_append(&s, ts[i], v[i], sb + stg_val_str_off(v[i]),
                                  stg_val_str_len(v[i]));
            stg_stream_fini(&s);
        } while (timer_tick(&tm, 1));
        double app = timer_rate(&tm, n);
        stg_stream_init(&s, sh->type);
        for (uint32_t i = 0; i < n; i++)
            stg_stream_append(&s, ts[i], v[i], sb + stg_val_str_off(v[i]), stg_val_str_len(v[i]));
        size_t bytes = stg_stream_bytes(&s), mem = sizeof s + stg_stream_alloc_bytes(&s);
        size_t su;
        timer_start(&tm);
        do {
            if (stg_stream_decode(sh->type, stg_stream_data(&s), bytes, n, dts, dv, dsb,
                                  (size_t)n * 16, &su) != STRATA_OK) {
                fprintf(stderr, "stream decode %s failed\n", sh->name);
                return 1;
            }
        } while (timer_tick(&tm, 1));
        double dec = timer_rate(&tm, n);
        printf("%-32s %8.2f %9zu %9.1f %9.1f\n", sh->name, 8.0 * bytes / n, mem, app, dec);
        stg_stream_fini(&s);
    }
    free(ts);
    free(dts);
    free(v);
    free(dv);
    free(sb);
    free(dsb);
    free(blob);
    return 0;
}
