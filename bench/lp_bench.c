/*
 * bench/lp_bench.c: line-protocol parser throughput.
 *
 * Generates TSBS cpu-only shaped lines (10 tags, 10 fields, a nanosecond
 * timestamp) with a fixed seed and parses the whole body repeatedly with
 * one parser on one core, printing MB/s and lines/s for the best pass.
 * Three value shapes, because float conversion dominates:
 *   short    floats with 1-4 decimals (58.13, 2.6224): what Telegraf
 *            and TSBS usually send; the exact fast path
 *   long     shortest round-trip text of random doubles (17 digits):
 *            the strtod fallback
 *   int      integer fields ("58i"), as TSBS's influx cpu-only output
 *
 * Usage: lp_bench [MiB per shape, default 64] [passes, default 5] [short|long|int]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lineproto/lp.h"

static uint64_t rng_state = 0x5eed1234abcdULL;

static uint64_t rng(void)
{
    /* xorshift64*: fixed seed, reproducible data. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *regions[] = {"us-east-1", "us-west-1", "eu-central-1", "ap-southeast-2"};
static const char *oses[] = {"Ubuntu16.10", "Ubuntu15.10", "Ubuntu16.04LTS"};
static const char *fields[] = {"usage_user",   "usage_system",    "usage_idle",    "usage_nice",
                               "usage_iowait", "usage_irq",       "usage_softirq", "usage_steal",
                               "usage_guest",  "usage_guest_nice"};

enum shape { SHORT, LONG, INT };

static size_t gen_line(char *out, size_t cap, enum shape shape, uint64_t i)
{
    int host = (int)(i % 4000);
    const char *region = regions[host % 4];
    int n = snprintf(out, cap,
                     "cpu,hostname=host_%d,region=%s,datacenter=%sa,rack=%d,os=%s,arch=x%d,"
                     "team=%s,service=%d,service_version=%d,service_environment=%s ",
                     host, region, region, host % 100, oses[host % 3], host % 2 ? 64 : 86,
                     host % 3 ? "SF" : "NYC", host % 20, host % 2, host % 3 ? "test" : "prod");
    for (int f = 0; f < 10; f++) {
        double v = (double)(rng() % 10000000) / 100000.0;
        if (shape == SHORT) {
            int dec = 1 + (int)(rng() % 4);
            n += snprintf(out + n, cap - (size_t)n, "%s%s=%.*f", f ? "," : "", fields[f], dec, v);
        } else if (shape == LONG) {
            double d = (double)rng() / 18446744073709551616.0 * 100.0;
            n += snprintf(out + n, cap - (size_t)n, "%s%s=%.17g", f ? "," : "", fields[f], d);
        } else {
            n += snprintf(out + n, cap - (size_t)n, "%s%s=%di", f ? "," : "", fields[f],
                          (int)(rng() % 100));
        }
    }
    n += snprintf(out + n, cap - (size_t)n, " %lld\n",
                  1451606400000000000LL + (long long)(i / 4000) * 10000000000LL);
    return (size_t)n;
}

static int bench(enum shape shape, const char *name, size_t bytes, int passes)
{
    char *body = malloc(bytes + 1024);
    if (!body) return 1;
    size_t len = 0;
    uint64_t lines = 0;
    while (len < bytes) {
        len += gen_line(body + len, bytes + 1024 - len, shape, lines);
        lines++;
    }

    lp_parser *p = NULL;
    if (lp_parser_new(NULL, &p) != 0) {
        free(body);
        return 1;
    }
    double best = 1e30;
    uint64_t check = 0;
    for (int pass = 0; pass < passes; pass++) {
        lp_point pt;
        uint64_t got = 0;
        int rc;
        double t0 = now_s();
        lp_parser_reset(p, body, len, 0);
        while ((rc = lp_parser_next(p, &pt)) != 0) {
            if (rc < 0) {
                fprintf(stderr, "lp_bench: unexpected error on line %llu: %s\n",
                        (unsigned long long)pt.lineno, lp_parser_error(p));
                lp_parser_free(p);
                free(body);
                return 1;
            }
            got++;
            check += pt.nfields + pt.ntags + (uint64_t)pt.fields[0].v.i;
        }
        double dt = now_s() - t0;
        if (got != lines) {
            fprintf(stderr, "lp_bench: parsed %llu of %llu lines\n", (unsigned long long)got,
                    (unsigned long long)lines);
            lp_parser_free(p);
            free(body);
            return 1;
        }
        if (dt < best) best = dt;
    }
    printf("%-6s %8.1f MB/s %12.0f lines/s  (%zu bytes, %llu lines, %d B/line, best of %d, "
           "check %llx)\n",
           name, (double)len / best / 1e6, (double)lines / best, len, (unsigned long long)lines,
           (int)(len / lines), passes, (unsigned long long)(check & 0xffff));
    lp_parser_free(p);
    free(body);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 64;
    int passes = argc > 2 ? atoi(argv[2]) : 5;
    if (mib == 0 || passes <= 0) {
        fprintf(stderr, "usage: lp_bench [MiB per shape] [passes] [short|long|int]\n");
        return 2;
    }
    printf("lp_bench: TSBS cpu-only shaped lines, 10 tags + 10 fields, one core\n");
    const char *only = argc > 3 ? argv[3] : NULL;
    int rc = 0;
    if (!only || !strcmp(only, "short")) rc |= bench(SHORT, "short", mib << 20, passes);
    if (!only || !strcmp(only, "long")) rc |= bench(LONG, "long", mib << 20, passes);
    if (!only || !strcmp(only, "int")) rc |= bench(INT, "int", mib << 20, passes);
    return rc;
}
