/*
 * bench/gen/main.c: `strata-gen`, the command line over the generator in
 * gen.h. Flags follow tsbs_generate_data's names so that commands carry
 * over: --use-case, --scale, --timestamp-start, --timestamp-end,
 * --log-interval, --seed, --format, plus --out, --limit, --check, --stats.
 * Flags may be written --flag=value, --flag value, or with one dash.
 *
 * Exit status: 0 success, 1 failure (I/O, check failed), 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/gen/gen.h"
#include "bench/gen/gen_check.h"
#include "bench/gen/gen_time.h"
#include "common/clock.h"

#define MAIN_BUF_BYTES (4u << 20)

static void usage(FILE *f)
{
    fputs("usage: strata-gen [flags]\n"
          "Generate TSBS-style metrics as InfluxDB line protocol (deterministic per seed).\n"
          "\n"
          "  --use-case NAME         cpu-only (default), devops, cpu-float, devops-float\n"
          "                          (cpu fields as full-precision floats, as older TSBS),\n"
          "                          or gauges (decimal sensor readings, not TSBS)\n"
          "  --scale N               number of hosts (default 1)\n"
          "  --timestamp-start T     RFC 3339 (default 2016-01-01T00:00:00Z)\n"
          "  --timestamp-end T       RFC 3339, exclusive (default 2016-01-02T06:00:00Z)\n"
          "  --log-interval D        Go duration between epochs (default 10s)\n"
          "  --seed N                PRNG seed (default 123)\n"
          "  --limit N               stop after N lines (alias --max-data-points; 0 = all)\n"
          "  --format influx         output format (only influx)\n"
          "  --out FILE              write to FILE instead of stdout\n"
          "  --check                 run the self-checks on this run and print its counts\n"
          "                          (lines=, values=, bytes=) on stdout; data goes to --out\n"
          "                          only when --out is given\n"
          "  --stats                 print lines, values, bytes and MB/s on stderr at the end\n"
          "  --help                  this text\n"
          "\n"
          "Lines per run = epochs * scale * measurements, epochs = (end - start) / interval;\n"
          "cpu-only has 1 measurement of 10 fields, devops 9 measurements of 101 fields,\n"
          "gauges 1 measurement of 10 fields.\n",
          f);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *e;
    if (!*s || *s == '-') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || *e) return -1;
    *out = v;
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Match --name or -name, with "=value" or the next argument. */
static int flag_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    if (a[0] != '-') return 0;
    a += a[1] == '-' ? 2 : 1;
    size_t nl = strlen(name);
    if (strncmp(a, name, nl) != 0) return 0;
    if (a[nl] == '=') {
        *val = a + nl + 1;
        return 1;
    }
    if (a[nl] != '\0') return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "strata-gen: --%s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

static int flag_bool(char **argv, int i, const char *name)
{
    const char *a = argv[i];
    if (a[0] != '-') return 0;
    a += a[1] == '-' ? 2 : 1;
    return strcmp(a, name) == 0;
}

int main(int argc, char **argv)
{
    gen_opts o;
    const char *out_path = NULL, *val;
    int check = 0, stats = 0, r;
    strata_error err;

    strata_error_clear(&err);
    gen_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        if (flag_bool(argv, i, "help") || flag_bool(argv, i, "h")) {
            usage(stdout);
            return 0;
        } else if (flag_bool(argv, i, "check")) {
            check = 1;
        } else if (flag_bool(argv, i, "stats")) {
            stats = 1;
        } else if ((r = flag_value(argc, argv, &i, "use-case", &val)) != 0) {
            if (r < 0) return 2;
            if (gen_use_case_parse(val, &o.use_case) != STRATA_OK) {
                fprintf(
                    stderr,
                    "strata-gen: unknown use case '%s' (cpu-only, devops, cpu-float, devops-float, "
                    "gauges)\n",
                    val);
                return 2;
            }
        } else if ((r = flag_value(argc, argv, &i, "scale", &val)) != 0) {
            uint64_t v;
            if (r < 0) return 2;
            if (parse_u64(val, &v) || v == 0 || v > UINT32_MAX) {
                fprintf(stderr, "strata-gen: --scale needs a positive integer\n");
                return 2;
            }
            o.scale = (uint32_t)v;
        } else if ((r = flag_value(argc, argv, &i, "timestamp-start", &val)) != 0) {
            if (r < 0) return 2;
            if (gen_parse_rfc3339(val, &o.start_ns) != STRATA_OK) {
                fprintf(stderr, "strata-gen: --timestamp-start needs RFC 3339, e.g. "
                                "2016-01-01T00:00:00Z\n");
                return 2;
            }
        } else if ((r = flag_value(argc, argv, &i, "timestamp-end", &val)) != 0) {
            if (r < 0) return 2;
            if (gen_parse_rfc3339(val, &o.end_ns) != STRATA_OK) {
                fprintf(stderr, "strata-gen: --timestamp-end needs RFC 3339, e.g. "
                                "2016-01-02T00:00:00Z\n");
                return 2;
            }
        } else if ((r = flag_value(argc, argv, &i, "log-interval", &val)) != 0) {
            if (r < 0) return 2;
            if (gen_parse_duration(val, &o.interval_ns) != STRATA_OK || o.interval_ns <= 0) {
                fprintf(stderr, "strata-gen: --log-interval needs a positive duration, e.g. 10s\n");
                return 2;
            }
        } else if ((r = flag_value(argc, argv, &i, "seed", &val)) != 0) {
            if (r < 0) return 2;
            if (parse_u64(val, &o.seed)) {
                fprintf(stderr, "strata-gen: --seed needs an unsigned integer\n");
                return 2;
            }
        } else if ((r = flag_value(argc, argv, &i, "limit", &val)) != 0 ||
                   (r = flag_value(argc, argv, &i, "max-data-points", &val)) != 0) {
            if (r < 0) return 2;
            if (parse_u64(val, &o.limit_lines)) {
                fprintf(stderr, "strata-gen: --limit needs an unsigned integer\n");
                return 2;
            }
        } else if ((r = flag_value(argc, argv, &i, "format", &val)) != 0) {
            if (r < 0) return 2;
            if (strcmp(val, "influx") != 0) {
                fprintf(stderr, "strata-gen: only --format influx is supported\n");
                return 2;
            }
        } else if ((r = flag_value(argc, argv, &i, "out", &val)) != 0) {
            if (r < 0) return 2;
            out_path = val;
        } else {
            fprintf(stderr, "strata-gen: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }

    if (check) {
        FILE *data = NULL;
        if (out_path && !(data = fopen(out_path, "w"))) {
            fprintf(stderr, "strata-gen: cannot open %s: %s\n", out_path, strerror(errno));
            return 1;
        }
        int rc = gen_check_run(&o, stdout, data, &err);
        if (data && fclose(data) != 0 && rc == STRATA_OK)
            rc = strata_error_set(&err, STRATA_EIO, "closing %s failed", out_path);
        if (rc != STRATA_OK) {
            fprintf(stderr, "strata-gen: %s\n", err.msg[0] ? err.msg : strata_strerror(rc));
            return 1;
        }
        return 0;
    }

    int fd = 1, status = 1;
    gen *g = NULL;
    char *buf = NULL;
    if (out_path && (fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
        fprintf(stderr, "strata-gen: cannot open %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    int rc = gen_open(&o, &g, &err);
    if (rc != STRATA_OK) {
        fprintf(stderr, "strata-gen: %s\n", err.msg);
        goto done;
    }
    buf = malloc(MAIN_BUF_BYTES);
    if (!buf) {
        fprintf(stderr, "strata-gen: out of memory\n");
        goto done;
    }
    int64_t t0 = strata_mono_ns();
    for (;;) {
        size_t used;
        int n = gen_next_text(g, buf, MAIN_BUF_BYTES, 0, &used);
        if (n <= 0) break;
        if (write_all(fd, buf, used) != 0) {
            fprintf(stderr, "strata-gen: write failed: %s\n", strerror(errno));
            goto done;
        }
    }
    if (stats) {
        gen_counts c;
        gen_progress(g, &c);
        double secs = (double)(strata_mono_ns() - t0) / 1e9;
        fprintf(stderr,
                "lines=%" PRIu64 " values=%" PRIu64 " bytes=%" PRIu64 " seconds=%.3f MB/s=%.1f\n",
                c.lines, c.values, c.bytes, secs, secs > 0 ? (double)c.bytes / secs / 1e6 : 0.0);
    }
    status = 0;
done:
    if (fd != 1 && close(fd) != 0 && status == 0) {
        fprintf(stderr, "strata-gen: closing %s failed: %s\n", out_path, strerror(errno));
        status = 1;
    }
    free(buf);
    gen_close(g);
    return status;
}
