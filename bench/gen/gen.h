/*
 * bench/gen/gen.h: a deterministic generator of TSBS-style metrics ("cpu-only"
 * and "devops" use cases, their older-TSBS float variants "cpu-float" and
 * "devops-float", and "gauges", decimal sensor readings), as InfluxDB line
 * protocol text or as structured points, for benchmarks and compatibility
 * tests.
 *
 * Why: Strata is measured against InfluxDB 1.6.7 on the data shape that the
 * Time Series Benchmark Suite (TSBS) uses, so that bytes per value, ingest
 * rate and query times are comparable with published figures. TSBS itself is
 * a Go program we do not ship; this is a C re-implementation of its data model
 * (tag sets, field names and types, value distributions), written from its
 * documentation and behaviour. The bytes it produces are not identical to
 * TSBS's (different PRNG) but have the same shape: same lines, same tag and
 * field names in the same order, same types ('i' integers, shortest
 * round-trip floats), same value ranges and walks.
 *
 * How it fits: bench/gen is a small library (strata_gen) plus the CLI
 * `strata-gen` (main.c). Other benchmarks link strata_gen and call
 * gen_next_text() to feed a parser, or gen_next_points() to feed the engine
 * directly without going through text.
 *
 * Data model (as TSBS):
 *  - scale hosts host_0 .. host_{scale-1}, each with 10 tags fixed at start:
 *    hostname, region, datacenter, rack, os, arch, team, service,
 *    service_version, service_environment.
 *  - epochs = (end - start) / interval; epoch k has timestamp start + k*interval.
 *  - order: for each epoch, for each measurement of the use case, for each
 *    host: one line. cpu-only has 1 measurement (cpu, 10 integer fields);
 *    devops has 9 (cpu, diskio, disk, kernel, mem, net, nginx, postgresl,
 *    redis; 101 fields per host and epoch; "postgresl" is TSBS's spelling).
 *  - epoch 0 shows each distribution's initial state; later epochs advance
 *    every distribution once (random walks with normal steps, clamped or
 *    monotonic).
 *  - cpu-float and devops-float are cpu-only and devops as TSBS generated them
 *    before its cpu fields became integers (TSBS's ToPointAllInt64): the 10
 *    cpu fields are the walks' full-precision float64 states (17 significant
 *    digits), everything else is unchanged. The integer cpu value is the
 *    float one truncated.
 *  - gauges is not TSBS: 1 measurement "gauges" of 10 float fields per host,
 *    random walks with steps of different sizes per field, each value
 *    rounded to a fixed number of decimals as a sensor would report it:
 *    temperature, humidity, load1, cpu_percent, mem_percent, disk_percent
 *    and fan_rpm with 2 decimals (percentages clamped to [0, 100]),
 *    power_watts with 3, pressure_hpa and energy_kwh (a counter) with 4.
 *    It measures storage of the common "two decimals" gauge.
 *
 * Determinism: each (host, measurement) pair has its own PRNG stream derived
 * from the seed, the host number and the measurement, so a host's data does
 * not depend on the scale, and the cpu lines of "devops" equal the lines of
 * "cpu-only" for the same seed, hosts and times. Output depends only on the
 * options, never on batch sizes or buffer capacities.
 *
 * Threads: a gen is used by one thread at a time; separate gens are
 * independent (no global mutable state).
 */
#ifndef STRATA_BENCH_GEN_H
#define STRATA_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Every text line fits in this many bytes; gen_next_text() needs at least this. */
#define GEN_LINE_MAX 4096
/* Most tags on one point (10 host tags + up to 2 measurement tags). */
#define GEN_MAX_TAGS 12
/* Most fields on one point (redis). */
#define GEN_MAX_FIELDS 31
/* Number of measurements known (devops uses the first 9; cpu-only GEN_M_CPU). */
#define GEN_N_MEAS 10

/* Measurement numbers, in the order devops emits them within an epoch. */
enum gen_meas {
    GEN_M_CPU = 0,
    GEN_M_DISKIO = 1,
    GEN_M_DISK = 2,
    GEN_M_KERNEL = 3,
    GEN_M_MEM = 4,
    GEN_M_NET = 5,
    GEN_M_NGINX = 6,
    GEN_M_POSTGRESQL = 7,
    GEN_M_REDIS = 8,
    GEN_M_GAUGES = 9, /* the gauges use case only */
};

typedef enum gen_use_case {
    GEN_USE_CPU_ONLY = 0,
    GEN_USE_DEVOPS = 1,
    GEN_USE_CPU_FLOAT = 2,    /* cpu-only with full-precision float cpu fields */
    GEN_USE_DEVOPS_FLOAT = 3, /* devops with full-precision float cpu fields */
    GEN_USE_GAUGES = 4,       /* decimal sensor gauges (see the data model) */
} gen_use_case;

typedef struct gen_opts {
    gen_use_case use_case;
    uint32_t scale;       /* hosts, 1 .. 10,000,000 */
    int64_t start_ns;     /* first timestamp, ns since the Unix epoch */
    int64_t end_ns;       /* exclusive end; epochs = (end_ns - start_ns) / interval_ns */
    int64_t interval_ns;  /* > 0 */
    uint64_t seed;        /* any value, 0 included */
    uint64_t limit_lines; /* stop after this many lines; 0 = no limit (TSBS --max-data-points) */
} gen_opts;

/* A string that is not NUL-terminated. */
typedef struct gen_str {
    const char *p;
    uint32_t len;
} gen_str;

typedef enum gen_ftype {
    GEN_FT_INT = 0,   /* written with an 'i' suffix */
    GEN_FT_FLOAT = 1, /* written as the shortest decimal that reads back exactly */
} gen_ftype;

typedef union gen_value {
    int64_t i;
    double f;
} gen_value;

/*
 * One generated point in structured form. Strings point into the generator
 * (tag values) or into static tables (names, keys): they stay valid until
 * gen_close(). Tags and fields are in the order the text form writes them.
 */
typedef struct gen_point {
    uint32_t meas; /* enum gen_meas */
    uint32_t host; /* 0 .. scale-1 */
    int64_t ts_ns;
    gen_str name; /* measurement name */
    uint32_t n_tags;
    gen_str tag_keys[GEN_MAX_TAGS];
    gen_str tag_vals[GEN_MAX_TAGS];
    uint32_t n_fields;
    const gen_str *field_keys;  /* n_fields entries, static */
    const uint8_t *field_types; /* n_fields gen_ftype values, static */
    gen_value values[GEN_MAX_FIELDS];
} gen_point;

/* Totals of a run (gen_plan) or of what was produced so far (gen_progress). */
typedef struct gen_counts {
    uint64_t epochs; /* epochs of the run (plan only) */
    uint64_t lines;
    uint64_t values; /* field values */
    uint64_t bytes;  /* text bytes (progress of gen_next_text only) */
    uint64_t lines_by_meas[GEN_N_MEAS];
    uint64_t values_by_meas[GEN_N_MEAS];
} gen_counts;

typedef struct gen gen;

/*
 * Fill o with TSBS's defaults: cpu-only, scale 1, 2016-01-01T00:00:00Z to
 * 2016-01-02T06:00:00Z, interval 10 s, seed 123, no limit.
 */
void gen_opts_default(gen_opts *o);

/*
 * Create a generator for o and draw every host's fixed tags and initial
 * states. Memory is about 2 KiB per host for devops, 450 bytes for cpu-only.
 *
 * Ownership: *out is allocated here; free it with gen_close().
 * Threads:   the new gen belongs to the calling thread until handed over.
 *
 * @return STRATA_OK;
 *         STRATA_EINVAL  bad use case, scale 0 or too large, interval <= 0;
 *         STRATA_ERANGE  end before start, or a timestamp that overflows int64;
 *         STRATA_ENOMEM.
 */
int gen_open(const gen_opts *o, gen **out, strata_error *err);

/* Free g. g may be NULL. */
void gen_close(gen *g);

/*
 * Write the next whole lines of line protocol into buf (each ends with '\n';
 * no NUL is added), as many as fit in cap bytes, and at most max_lines when
 * max_lines > 0. *used receives the bytes written.
 *
 * @return the number of lines written (0 when the run is finished), or
 *         STRATA_EINVAL when cap < GEN_LINE_MAX.
 */
int gen_next_text(gen *g, char *buf, size_t cap, uint32_t max_lines, size_t *used);

/*
 * Produce the next points in structured form, up to max, into pts. Text and
 * structured calls may be mixed on one gen; both advance the same cursor.
 * Values are exactly those the text form writes (floats read back bit-exact).
 *
 * Lifetime: strings inside pts stay valid until gen_close().
 * @return the number of points written (0 when the run is finished).
 */
int gen_next_points(gen *g, gen_point *pts, uint32_t max);

/*
 * Format one structured point as a line of line protocol (with '\n', no NUL)
 * into buf, escaping names and tags as line protocol requires. A general,
 * slower path, for tests and for callers that modify points; unmodified
 * points format to exactly the bytes gen_next_text() writes and always fit
 * in GEN_LINE_MAX.
 * @return bytes written, or STRATA_EFULL when the line does not fit in cap.
 */
int gen_point_format(const gen_point *p, char *buf, size_t cap);

/* Number of measurements a use case emits per host and epoch (9 for devops), 0 if unknown. */
uint32_t gen_use_case_meas(gen_use_case uc);

/* What the whole run produces (lines, values; bytes is 0): computed, not generated. */
void gen_plan(const gen *g, gen_counts *out);

/* What was produced so far by this gen. */
void gen_progress(const gen *g, gen_counts *out);

/* The options g was opened with. */
const gen_opts *gen_options(const gen *g);

/* Name of a measurement ("cpu", ..., "postgresl", "redis", "gauges"), or NULL if out of range. */
const char *gen_meas_name(uint32_t meas);

/*
 * Name of a use case ("cpu-only", "devops", "cpu-float", "devops-float",
 * "gauges"); parse back with gen_use_case_parse().
 */
const char *gen_use_case_name(gen_use_case uc);

/* @return STRATA_OK or STRATA_EINVAL for an unknown name. */
int gen_use_case_parse(const char *s, gen_use_case *out);

#endif
