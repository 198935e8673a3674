/*
 * bench/gen/gen.c: the TSBS-style generator (see gen.h for the data model).
 *
 * Layout. A measurement is described by a static spec: its field names and
 * types, its distributions (random walks driven by normal steps) and a
 * "derive" rule that turns distribution states into field values (mostly a
 * truncation to int64, as TSBS's ToPointAllInt64; disk and mem compute
 * several fields from one or three states; the float variants keep the
 * states, gauges round them to a field's decimals). A use case selects its
 * measurements and, per measurement, the spec (cpu-float and devops-float
 * swap in a float cpu spec that shares cpu's walks and PRNG stream). A host
 * has its 10 tags,
 * pre-rendered once as ",hostname=host_0,...,service_environment=test";
 * each (host, measurement) series has its own PRNG, its extra tags (serial,
 * path, interface, port/server) pre-rendered the same way, and its
 * distribution states in one array shared by all series.
 *
 * Hot path. Producing a line is: advance the series' distributions once
 * (except in epoch 0, which shows the initial states), derive its values,
 * then copy three pre-rendered tag strings, the field keys and the epoch's
 * timestamp text, formatting only the numbers. Nothing is allocated after
 * gen_open().
 *
 * Invariants: the cursor (epoch, measurement slot, host) only moves forward;
 * each series is advanced exactly once per epoch >= 1, immediately before
 * its line of that epoch is produced, so output does not depend on how the
 * caller slices the run into batches.
 */
#include "bench/gen/gen.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen/gen_fmt.h"
#include "bench/gen/gen_rng_int.h"

#define GEN__S(lit)                                                                                \
    {                                                                                              \
        lit, (uint32_t)(sizeof(lit) - 1)                                                           \
    }
#define GEN__N(a) (sizeof(a) / sizeof((a)[0]))
#define GEN__MAX_SCALE 10000000u
#define GEN__HOST_TAGS 10
#define GEN__TAGS_CAP 232
#define GEN__EXTRA_CAP 48
#define GEN__TERABYTE (1LL << 40)

/* ---- static model: host tags ------------------------------------------------ */

typedef struct gen__region {
    const char *name;
    const char *dcs[4];
    uint32_t n_dcs;
} gen__region;

static const gen__region gen__regions[] = {
    {"us-east-1", {"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"}, 4},
    {"us-west-1", {"us-west-1a", "us-west-1b"}, 2},
    {"us-west-2", {"us-west-2a", "us-west-2b", "us-west-2c"}, 3},
    {"eu-west-1", {"eu-west-1a", "eu-west-1b", "eu-west-1c"}, 3},
    {"eu-central-1", {"eu-central-1a", "eu-central-1b"}, 2},
    {"ap-southeast-1", {"ap-southeast-1a", "ap-southeast-1b"}, 2},
    {"ap-southeast-2", {"ap-southeast-2a", "ap-southeast-2b"}, 2},
    {"ap-northeast-1", {"ap-northeast-1a", "ap-northeast-1c"}, 2},
    {"sa-east-1", {"sa-east-1a", "sa-east-1b", "sa-east-1c"}, 3},
};
static const char *const gen__teams[] = {"SF", "NYC", "LON", "CHI"};
static const char *const gen__oses[] = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
static const char *const gen__arches[] = {"x64", "x86"};
static const char *const gen__envs[] = {"production", "staging", "test"};
static const char *const gen__fstypes[] = {"ext3", "ext4", "btrfs"};

static const gen_str gen__host_keys[GEN__HOST_TAGS] = {
    GEN__S("hostname"),
    GEN__S("region"),
    GEN__S("datacenter"),
    GEN__S("rack"),
    GEN__S("os"),
    GEN__S("arch"),
    GEN__S("team"),
    GEN__S("service"),
    GEN__S("service_version"),
    GEN__S("service_environment"),
};

/* ---- static model: measurements --------------------------------------------- */

enum { GEN__CLAMP, GEN__MONO, GEN__WALK }; /* walk kinds */
/* Initial state: init, U[0,1)*init, or lo + U[0,1)*(hi - lo). */
enum { GEN__INIT_CONST, GEN__INIT_UNIFORM, GEN__INIT_SPAN };
/* Derive rules; FLOAT: the states as they are; DEC: states rounded to decimals[i]. */
enum { GEN__DER_INT, GEN__DER_DISK, GEN__DER_MEM, GEN__DER_FLOAT, GEN__DER_DEC };
enum { GEN__LEAD_NONE, GEN__LEAD_K, GEN__LEAD_UPTIME };

/*
 * One distribution: each step adds mean + sd * N(0,1) (its absolute value
 * for MONO) and CLAMP keeps the state in [lo, hi]. With scale_k, sd, hi and
 * init are multiplied by the series constant k (mem: total bytes).
 */
typedef struct gen__dist {
    uint8_t walk;
    uint8_t init_kind;
    uint8_t scale_k;
    double mean, sd, lo, hi, init;
} gen__dist;

#define GEN__CLAMPD(m, s, l, h, i)                                                                 \
    {                                                                                              \
        GEN__CLAMP, GEN__INIT_CONST, 0, m, s, l, h, i                                              \
    }
#define GEN__MONOD(m)                                                                              \
    {                                                                                              \
        GEN__MONO, GEN__INIT_CONST, 0, m, 1, 0, 0, 0                                               \
    }
#define GEN__WALKD(m)                                                                              \
    {                                                                                              \
        GEN__WALK, GEN__INIT_CONST, 0, m, 1, 0, 0, 0                                               \
    }

typedef struct gen__spec {
    gen_str name;
    uint32_t n_fields;
    const gen_str *keys;
    const uint8_t *types;
    uint32_t n_dist;
    const gen__dist *dist;
    uint8_t derive;
    uint8_t lead;
    uint32_t n_tags; /* extra tags after the host tags */
    const gen_str *tag_keys;
    const uint8_t *decimals; /* GEN__DER_DEC: decimals per field; else NULL */
} gen__spec;

static const gen_str gen__cpu_keys[] = {
    GEN__S("usage_user"),       GEN__S("usage_system"), GEN__S("usage_idle"),
    GEN__S("usage_nice"),       GEN__S("usage_iowait"), GEN__S("usage_irq"),
    GEN__S("usage_softirq"),    GEN__S("usage_steal"),  GEN__S("usage_guest"),
    GEN__S("usage_guest_nice"),
};
static const gen__dist gen__cpu_dist[] = {
#define GEN__CPU                                                                                   \
    {                                                                                              \
        GEN__CLAMP, GEN__INIT_UNIFORM, 0, 0, 1, 0, 100, 100                                        \
    }
    GEN__CPU, GEN__CPU, GEN__CPU, GEN__CPU, GEN__CPU,
    GEN__CPU, GEN__CPU, GEN__CPU, GEN__CPU, GEN__CPU,
#undef GEN__CPU
};

static const gen_str gen__diskio_keys[] = {
    GEN__S("reads"),     GEN__S("writes"),     GEN__S("read_bytes"), GEN__S("write_bytes"),
    GEN__S("read_time"), GEN__S("write_time"), GEN__S("io_time"),
};
static const gen__dist gen__diskio_dist[] = {
    GEN__MONOD(50), GEN__MONOD(50), GEN__MONOD(100), GEN__MONOD(100),
    GEN__MONOD(5),  GEN__MONOD(5),  GEN__MONOD(5),
};
static const gen_str gen__diskio_tags[] = {GEN__S("serial")};

static const gen_str gen__disk_keys[] = {
    GEN__S("total"),        GEN__S("free"),        GEN__S("used"),        GEN__S("used_percent"),
    GEN__S("inodes_total"), GEN__S("inodes_free"), GEN__S("inodes_used"),
};
static const gen__dist gen__disk_dist[] = {
    GEN__CLAMPD(50, 1, 0, (double)GEN__TERABYTE, (double)(GEN__TERABYTE / 2)),
};
static const gen_str gen__disk_tags[] = {GEN__S("path"), GEN__S("fstype")};

static const gen_str gen__kernel_keys[] = {
    GEN__S("boot_time"),        GEN__S("interrupts"),    GEN__S("context_switches"),
    GEN__S("processes_forked"), GEN__S("disk_pages_in"), GEN__S("disk_pages_out"),
};
static const gen__dist gen__kernel_dist[] = {
    GEN__MONOD(5), GEN__MONOD(5), GEN__MONOD(5), GEN__MONOD(5), GEN__MONOD(5),
};

static const gen_str gen__mem_keys[] = {
    GEN__S("total"),
    GEN__S("available"),
    GEN__S("used"),
    GEN__S("free"),
    GEN__S("cached"),
    GEN__S("buffered"),
    GEN__S("used_percent"),
    GEN__S("available_percent"),
    GEN__S("buffered_percent"),
};
static const uint8_t gen__mem_types[] = {
    GEN_FT_INT, GEN_FT_INT,   GEN_FT_INT,   GEN_FT_INT,   GEN_FT_INT,
    GEN_FT_INT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT,
};
static const gen__dist gen__mem_dist[] = {
#define GEN__MEM                                                                                   \
    {                                                                                              \
        GEN__CLAMP, GEN__INIT_UNIFORM, 1, 0, 1.0 / 64, 0, 1, 1                                     \
    }
    GEN__MEM, GEN__MEM, GEN__MEM, /* used, cached, buffered */
#undef GEN__MEM
};

static const gen_str gen__net_keys[] = {
    GEN__S("bytes_sent"), GEN__S("bytes_recv"), GEN__S("packets_sent"), GEN__S("packets_recv"),
    GEN__S("err_in"),     GEN__S("err_out"),    GEN__S("drop_in"),      GEN__S("drop_out"),
};
static const gen__dist gen__net_dist[] = {
    GEN__MONOD(50), GEN__MONOD(50), GEN__MONOD(50), GEN__MONOD(50),
    GEN__MONOD(5),  GEN__MONOD(5),  GEN__MONOD(5),  GEN__MONOD(5),
};
static const gen_str gen__net_tags[] = {GEN__S("interface")};

static const gen_str gen__nginx_keys[] = {
    GEN__S("accepts"),  GEN__S("active"),  GEN__S("handled"), GEN__S("reading"),
    GEN__S("requests"), GEN__S("waiting"), GEN__S("writing"),
};
static const gen__dist gen__nginx_dist[] = {
    GEN__MONOD(5),
    GEN__CLAMPD(5, 1, 0, 100, 0),
    GEN__MONOD(5),
    GEN__CLAMPD(5, 1, 0, 100, 0),
    GEN__MONOD(5),
    GEN__CLAMPD(5, 1, 0, 100, 0),
    GEN__CLAMPD(5, 1, 0, 100, 0),
};
static const gen_str gen__port_server_tags[] = {GEN__S("port"), GEN__S("server")};

static const gen_str gen__pg_keys[] = {
    GEN__S("numbackends"),    GEN__S("xact_commit"),  GEN__S("xact_rollback"),
    GEN__S("blks_read"),      GEN__S("blks_hit"),     GEN__S("tup_returned"),
    GEN__S("tup_fetched"),    GEN__S("tup_inserted"), GEN__S("tup_updated"),
    GEN__S("tup_deleted"),    GEN__S("conflicts"),    GEN__S("temp_files"),
    GEN__S("temp_bytes"),     GEN__S("deadlocks"),    GEN__S("blk_read_time"),
    GEN__S("blk_write_time"),
};
static const gen__dist gen__pg_dist[] = {
#define GEN__PG GEN__CLAMPD(5, 1, 0, 1000, 0)
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__PG,
    GEN__CLAMPD(1024, 1, 0, 1024.0 * 1024 * 1024, 0),
    GEN__PG,
    GEN__PG,
    GEN__PG,
#undef GEN__PG
};

static const gen_str gen__redis_keys[] = {
    GEN__S("uptime_in_seconds"),
    GEN__S("total_connections_received"),
    GEN__S("expired_keys"),
    GEN__S("evicted_keys"),
    GEN__S("keyspace_hits"),
    GEN__S("keyspace_misses"),
    GEN__S("instantaneous_ops_per_sec"),
    GEN__S("instantaneous_input_kbps"),
    GEN__S("instantaneous_output_kbps"),
    GEN__S("connected_clients"),
    GEN__S("used_memory"),
    GEN__S("used_memory_rss"),
    GEN__S("used_memory_peak"),
    GEN__S("used_memory_lua"),
    GEN__S("rdb_changes_since_last_save"),
    GEN__S("sync_full"),
    GEN__S("sync_partial_ok"),
    GEN__S("sync_partial_err"),
    GEN__S("pubsub_channels"),
    GEN__S("pubsub_patterns"),
    GEN__S("latest_fork_usec"),
    GEN__S("connected_slaves"),
    GEN__S("master_repl_offset"),
    GEN__S("repl_backlog_active"),
    GEN__S("repl_backlog_size"),
    GEN__S("repl_backlog_histlen"),
    GEN__S("mem_fragmentation_ratio"),
    GEN__S("used_cpu_sys"),
    GEN__S("used_cpu_user"),
    GEN__S("used_cpu_sys_children"),
    GEN__S("used_cpu_user_children"),
};
#define GEN__16G (16.0 * 1024 * 1024 * 1024)
static const gen__dist gen__redis_dist[] = {
#define GEN__RL GEN__CLAMPD(5, 1, 0, 1000, 0)
    GEN__MONOD(5),
    GEN__MONOD(50),
    GEN__MONOD(50),
    GEN__MONOD(50),
    GEN__MONOD(50),
    GEN__WALKD(1),
    GEN__WALKD(1),
    GEN__WALKD(1),
    GEN__CLAMPD(50, 1, 0, 10000, 0),
    GEN__CLAMPD(50, 1, 0, GEN__16G, GEN__16G / 2),
    GEN__CLAMPD(50, 1, 0, GEN__16G, GEN__16G / 2),
    GEN__CLAMPD(50, 1, 0, GEN__16G, GEN__16G / 2),
    GEN__CLAMPD(50, 1, 0, GEN__16G, GEN__16G / 2),
    GEN__CLAMPD(50, 1, 0, 10000, 0),
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__CLAMPD(5, 1, 0, 100, 0),
    GEN__RL,
    GEN__RL,
    GEN__RL,
    GEN__RL,
#undef GEN__RL
};

/* All-integer type table, long enough for any measurement. */
static const uint8_t gen__all_int[GEN_MAX_FIELDS];
/* All-float type table, long enough for any measurement. */
static const uint8_t gen__all_float[GEN_MAX_FIELDS] = {
    GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT,
    GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT,
    GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT,
    GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT,
    GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT, GEN_FT_FLOAT,
    GEN_FT_FLOAT,
};

/*
 * gauges (not TSBS): sensor-like readings. Steps (sd) differ per field by
 * three orders of magnitude relative to the reporting resolution, from
 * disk_percent (sd 1 hundredth) to fan_rpm (sd 1500 hundredths), so that a
 * codec is measured on slow and on busy gauges alike. Initial states are
 * uniform over [lo, hi]; energy_kwh is a counter (steps |N(0.02, 0.005)|).
 */
static const gen_str gen__gauge_keys[] = {
    GEN__S("temperature"),  GEN__S("humidity"),     GEN__S("load1"),   GEN__S("cpu_percent"),
    GEN__S("mem_percent"),  GEN__S("disk_percent"), GEN__S("fan_rpm"), GEN__S("power_watts"),
    GEN__S("pressure_hpa"), GEN__S("energy_kwh"),
};
#define GEN__SPAND(s, l, h)                                                                        \
    {                                                                                              \
        GEN__CLAMP, GEN__INIT_SPAN, 0, 0, s, l, h, 0                                               \
    }
static const gen__dist gen__gauge_dist[] = {
    GEN__SPAND(0.05, 15, 95),    GEN__SPAND(0.2, 0, 100),
    GEN__SPAND(0.04, 0, 16),     GEN__SPAND(1.5, 0, 100),
    GEN__SPAND(0.1, 0, 100),     GEN__SPAND(0.01, 0, 100),
    GEN__SPAND(15, 600, 6000),   GEN__SPAND(2.5, 50, 2000),
    GEN__SPAND(0.02, 950, 1050), {GEN__MONO, GEN__INIT_SPAN, 0, 0.02, 0.005, 1000, 100000, 0},
};
#undef GEN__SPAND
static const uint8_t gen__gauge_decimals[] = {2, 2, 2, 2, 2, 2, 2, 3, 4, 4};

/* cpu as TSBS wrote it before ToPointAllInt64: the float states themselves. */
static const gen__spec gen__cpu_float_spec = {
    GEN__S("cpu"),
    GEN__N(gen__cpu_keys),
    gen__cpu_keys,
    gen__all_float,
    GEN__N(gen__cpu_dist),
    gen__cpu_dist,
    GEN__DER_FLOAT,
    GEN__LEAD_NONE,
    0,
    NULL,
    NULL,
};

static const gen__spec gen__specs[GEN_N_MEAS] = {
    [GEN_M_CPU] = {GEN__S("cpu"), GEN__N(gen__cpu_keys), gen__cpu_keys, gen__all_int,
                   GEN__N(gen__cpu_dist), gen__cpu_dist, GEN__DER_INT, GEN__LEAD_NONE, 0, NULL},
    [GEN_M_DISKIO] = {GEN__S("diskio"), GEN__N(gen__diskio_keys), gen__diskio_keys, gen__all_int,
                      GEN__N(gen__diskio_dist), gen__diskio_dist, GEN__DER_INT, GEN__LEAD_NONE, 1,
                      gen__diskio_tags},
    [GEN_M_DISK] = {GEN__S("disk"), GEN__N(gen__disk_keys), gen__disk_keys, gen__all_int,
                    GEN__N(gen__disk_dist), gen__disk_dist, GEN__DER_DISK, GEN__LEAD_NONE, 2,
                    gen__disk_tags},
    [GEN_M_KERNEL] = {GEN__S("kernel"), GEN__N(gen__kernel_keys), gen__kernel_keys, gen__all_int,
                      GEN__N(gen__kernel_dist), gen__kernel_dist, GEN__DER_INT, GEN__LEAD_K, 0,
                      NULL},
    [GEN_M_MEM] = {GEN__S("mem"), GEN__N(gen__mem_keys), gen__mem_keys, gen__mem_types,
                   GEN__N(gen__mem_dist), gen__mem_dist, GEN__DER_MEM, GEN__LEAD_NONE, 0, NULL},
    [GEN_M_NET] = {GEN__S("net"), GEN__N(gen__net_keys), gen__net_keys, gen__all_int,
                   GEN__N(gen__net_dist), gen__net_dist, GEN__DER_INT, GEN__LEAD_NONE, 1,
                   gen__net_tags},
    [GEN_M_NGINX] = {GEN__S("nginx"), GEN__N(gen__nginx_keys), gen__nginx_keys, gen__all_int,
                     GEN__N(gen__nginx_dist), gen__nginx_dist, GEN__DER_INT, GEN__LEAD_NONE, 2,
                     gen__port_server_tags},
    [GEN_M_POSTGRESQL] = {GEN__S("postgresl"), GEN__N(gen__pg_keys), gen__pg_keys, gen__all_int,
                          GEN__N(gen__pg_dist), gen__pg_dist, GEN__DER_INT, GEN__LEAD_NONE, 0,
                          NULL},
    [GEN_M_REDIS] = {GEN__S("redis"), GEN__N(gen__redis_keys), gen__redis_keys, gen__all_int,
                     GEN__N(gen__redis_dist), gen__redis_dist, GEN__DER_INT, GEN__LEAD_UPTIME, 2,
                     gen__port_server_tags},
    [GEN_M_GAUGES] = {GEN__S("gauges"), GEN__N(gen__gauge_keys), gen__gauge_keys, gen__all_float,
                      GEN__N(gen__gauge_dist), gen__gauge_dist, GEN__DER_DEC, GEN__LEAD_NONE, 0,
                      NULL, gen__gauge_decimals},
};

_Static_assert(GEN__N(gen__redis_keys) == GEN_MAX_FIELDS, "redis has the most fields");
_Static_assert(GEN__N(gen__redis_dist) + 1 == GEN__N(gen__redis_keys), "redis: uptime + walks");
_Static_assert(GEN__N(gen__kernel_dist) + 1 == GEN__N(gen__kernel_keys), "kernel: boot + walks");
_Static_assert(GEN__N(gen__cpu_dist) == GEN__N(gen__cpu_keys), "cpu");
_Static_assert(GEN__N(gen__diskio_dist) == GEN__N(gen__diskio_keys), "diskio");
_Static_assert(GEN__N(gen__net_dist) == GEN__N(gen__net_keys), "net");
_Static_assert(GEN__N(gen__nginx_dist) == GEN__N(gen__nginx_keys), "nginx");
_Static_assert(GEN__N(gen__pg_dist) == GEN__N(gen__pg_keys), "postgresl");
_Static_assert(GEN__N(gen__mem_types) == GEN__N(gen__mem_keys), "mem types");
_Static_assert(GEN__HOST_TAGS + 2 <= GEN_MAX_TAGS, "tags fit a point");
_Static_assert(GEN__N(gen__gauge_dist) == GEN__N(gen__gauge_keys), "gauges");
_Static_assert(GEN__N(gen__gauge_decimals) == GEN__N(gen__gauge_keys), "gauges decimals");

static const uint32_t gen__cpu_only_list[] = {GEN_M_CPU};
static const uint32_t gen__gauges_list[] = {GEN_M_GAUGES};
static const uint32_t gen__devops_list[] = {
    GEN_M_CPU, GEN_M_DISKIO, GEN_M_DISK,       GEN_M_KERNEL, GEN_M_MEM,
    GEN_M_NET, GEN_M_NGINX,  GEN_M_POSTGRESQL, GEN_M_REDIS,
};

/* ---- generator state -------------------------------------------------------- */

typedef struct gen__host {
    uint32_t tags_len;
    uint8_t tv_off[GEN__HOST_TAGS]; /* tag values inside tags[] */
    uint8_t tv_len[GEN__HOST_TAGS];
    char tags[GEN__TAGS_CAP]; /* ",hostname=host_0,region=...,service_environment=..." */
} gen__host;

typedef struct gen__series {
    gen__rng rng;
    int64_t k;       /* kernel boot_time, mem total bytes; else 0 */
    uint64_t st_off; /* first state in gen.states */
    uint8_t extra_len;
    uint8_t tv_off[2], tv_len[2];
    char extra[GEN__EXTRA_CAP]; /* ",serial=..." etc., or empty */
} gen__series;

struct gen {
    gen_opts o;
    const uint32_t *meas_list; /* measurements of the use case, in emit order */
    uint32_t n_meas;
    const gen__spec *spec[GEN_N_MEAS]; /* per measurement: gen__specs[m] or a variant */
    uint64_t epochs;
    uint64_t total_lines; /* min(limit, epochs * scale * n_meas) */

    gen__host *hosts;    /* scale */
    gen__series *series; /* scale * n_meas, host-major */
    double *states;      /* scale * dists_per_host */
    uint32_t dists_per_host;

    /* Field keys as written in text: "key=" for the first, ",key=" after. */
    gen_str ftext[GEN_N_MEAS][GEN_MAX_FIELDS];
    char ftext_buf[GEN_N_MEAS * GEN_MAX_FIELDS * 32];

    /* Cursor. */
    uint64_t epoch;
    uint32_t slot; /* index into meas_list */
    uint32_t host;
    int64_t ts_ns;
    char ts_text[32]; /* " <ts_ns>\n" */
    uint32_t ts_len;

    gen_counts done;
};

/* ---- small helpers ---------------------------------------------------------- */

/* Truncate toward zero like Go's int64(x), saturating instead of undefined. */
static inline int64_t gen__trunc(double x)
{
    if (x >= 9.2e18) return INT64_MAX;
    if (x <= -9.2e18) return INT64_MIN;
    return (int64_t)x;
}

/* An independent stream for (seed, host, id); id 0xff is the host's own stream. */
static void gen__stream(gen__rng *r, uint64_t seed, uint32_t host, uint32_t id)
{
    uint64_t z = gen__mix64(seed ^ 0x6a09e667f3bcc909ull);
    z = gen__mix64(z + ((uint64_t)host + 1) * 0x9e3779b97f4a7c15ull);
    z = gen__mix64(z ^ (((uint64_t)id + 1) * 0xd1b54a32d192ed03ull));
    gen__rng_seed(r, z);
}

/* Append ",key=value" to buf at *len and record the value's place. */
static void gen__tag_append(char *buf, uint32_t *len, const char *key, const char *val,
                            uint8_t *off, uint8_t *vlen)
{
    size_t kl = strlen(key), vl = strlen(val);
    char *p = buf + *len;
    *p++ = ',';
    memcpy(p, key, kl);
    p += kl;
    *p++ = '=';
    *off = (uint8_t)(p - buf);
    *vlen = (uint8_t)vl;
    memcpy(p, val, vl);
    *len += (uint32_t)(kl + vl + 2);
}

static void gen__set_ts(gen *g)
{
    g->ts_ns = g->o.start_ns + (int64_t)g->epoch * g->o.interval_ns;
    g->ts_text[0] = ' ';
    size_t n = 1 + gen_fmt_i64(g->ts_text + 1, g->ts_ns);
    g->ts_text[n++] = '\n';
    g->ts_len = (uint32_t)n;
}

/* ---- setup ------------------------------------------------------------------ */

static void gen__host_init(gen *g, uint32_t h)
{
    gen__host *ho = &g->hosts[h];
    gen__rng r;
    char num[4][24];

    gen__stream(&r, g->o.seed, h, 0xff);
    const gen__region *reg = &gen__regions[gen__rng_below(&r, GEN__N(gen__regions))];
    const char *dc = reg->dcs[gen__rng_below(&r, reg->n_dcs)];
    uint64_t rack = gen__rng_below(&r, 100);
    const char *arch = gen__arches[gen__rng_below(&r, GEN__N(gen__arches))];
    const char *os = gen__oses[gen__rng_below(&r, GEN__N(gen__oses))];
    uint64_t service = gen__rng_below(&r, 20);
    uint64_t service_version = gen__rng_below(&r, 2);
    const char *env = gen__envs[gen__rng_below(&r, GEN__N(gen__envs))];
    const char *team = gen__teams[gen__rng_below(&r, GEN__N(gen__teams))];

    snprintf(num[0], sizeof num[0], "host_%u", h);
    snprintf(num[1], sizeof num[1], "%u", (unsigned)rack);
    snprintf(num[2], sizeof num[2], "%u", (unsigned)service);
    snprintf(num[3], sizeof num[3], "%u", (unsigned)service_version);
    const char *vals[GEN__HOST_TAGS] = {num[0], reg->name, dc,     num[1], os,
                                        arch,   team,      num[2], num[3], env};
    ho->tags_len = 0;
    for (int i = 0; i < GEN__HOST_TAGS; i++)
        gen__tag_append(ho->tags, &ho->tags_len, gen__host_keys[i].p, vals[i], &ho->tv_off[i],
                        &ho->tv_len[i]);
}

static void gen__series_init(gen *g, uint32_t h, uint32_t slot, uint64_t st_off)
{
    uint32_t m = g->meas_list[slot];
    const gen__spec *sp = g->spec[m];
    gen__series *se = &g->series[(uint64_t)h * g->n_meas + slot];
    double *st = g->states + st_off;
    gen__rng *r = &se->rng;
    char a[24], b[24];

    gen__stream(r, g->o.seed, h, m);
    se->st_off = st_off;
    se->k = 0;
    if (m == GEN_M_KERNEL) {
        se->k = (int64_t)gen__rng_below(r, 240);
    } else if (m == GEN_M_MEM) {
        static const int64_t totals[] = {8LL << 30, 12LL << 30, 16LL << 30};
        se->k = totals[gen__rng_below(r, GEN__N(totals))];
    }
    for (uint32_t i = 0; i < sp->n_dist; i++) {
        const gen__dist *d = &sp->dist[i];
        double init = d->scale_k ? d->init * (double)se->k : d->init;
        if (d->init_kind == GEN__INIT_SPAN)
            st[i] = d->lo + gen__rng_unit(r) * (d->hi - d->lo);
        else
            st[i] = d->init_kind == GEN__INIT_UNIFORM ? gen__rng_unit(r) * init : init;
    }

    uint32_t len = 0;
    switch (m) {
    case GEN_M_DISKIO:
        snprintf(a, sizeof a, "%03u-%03u-%03u", (unsigned)gen__rng_below(r, 1000),
                 (unsigned)gen__rng_below(r, 1000), (unsigned)gen__rng_below(r, 1000));
        gen__tag_append(se->extra, &len, "serial", a, &se->tv_off[0], &se->tv_len[0]);
        break;
    case GEN_M_DISK:
        snprintf(a, sizeof a, "/dev/sda%u", (unsigned)gen__rng_below(r, 10));
        gen__tag_append(se->extra, &len, "path", a, &se->tv_off[0], &se->tv_len[0]);
        gen__tag_append(se->extra, &len, "fstype",
                        gen__fstypes[gen__rng_below(r, GEN__N(gen__fstypes))], &se->tv_off[1],
                        &se->tv_len[1]);
        break;
    case GEN_M_NET:
        snprintf(a, sizeof a, "eth%u", (unsigned)gen__rng_below(r, 4));
        gen__tag_append(se->extra, &len, "interface", a, &se->tv_off[0], &se->tv_len[0]);
        break;
    case GEN_M_NGINX:
    case GEN_M_REDIS:
        snprintf(b, sizeof b, "%s_%u", m == GEN_M_NGINX ? "nginx" : "redis",
                 (unsigned)gen__rng_below(r, 100000));
        snprintf(a, sizeof a, "%u", (unsigned)(gen__rng_below(r, 20000) + 1024));
        gen__tag_append(se->extra, &len, "port", a, &se->tv_off[0], &se->tv_len[0]);
        gen__tag_append(se->extra, &len, "server", b, &se->tv_off[1], &se->tv_len[1]);
        break;
    default:
        break;
    }
    se->extra_len = (uint8_t)len;
}

void gen_opts_default(gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->use_case = GEN_USE_CPU_ONLY;
    o->scale = 1;
    o->start_ns = 1451606400LL * 1000000000LL;            /* 2016-01-01T00:00:00Z */
    o->end_ns = o->start_ns + 30LL * 3600 * 1000000000LL; /* 2016-01-02T06:00:00Z */
    o->interval_ns = 10LL * 1000000000LL;
    o->seed = 123;
    o->limit_lines = 0;
}

int gen_open(const gen_opts *o, gen **out, strata_error *err)
{
    gen *g = NULL;
    int rc;

    *out = NULL;
    if (gen_use_case_meas(o->use_case) == 0)
        return strata_error_set(err, STRATA_EINVAL, "gen: unknown use case %d", (int)o->use_case);
    if (o->scale == 0 || o->scale > GEN__MAX_SCALE)
        return strata_error_set(err, STRATA_EINVAL, "gen: scale %u is outside 1..%u", o->scale,
                                GEN__MAX_SCALE);
    if (o->interval_ns <= 0)
        return strata_error_set(err, STRATA_EINVAL, "gen: log interval must be positive");
    if (o->end_ns < o->start_ns)
        return strata_error_set(err, STRATA_ERANGE, "gen: timestamp end is before start");
    if (o->start_ns < 0 && o->end_ns > INT64_MAX + o->start_ns)
        return strata_error_set(err, STRATA_ERANGE, "gen: time range overflows int64 ns");

    g = calloc(1, sizeof *g);
    if (!g) return strata_error_set(err, STRATA_ENOMEM, "gen: out of memory");
    g->o = *o;
    if (o->use_case == GEN_USE_CPU_ONLY || o->use_case == GEN_USE_CPU_FLOAT) {
        g->meas_list = gen__cpu_only_list;
        g->n_meas = GEN__N(gen__cpu_only_list);
    } else if (o->use_case == GEN_USE_GAUGES) {
        g->meas_list = gen__gauges_list;
        g->n_meas = GEN__N(gen__gauges_list);
    } else {
        g->meas_list = gen__devops_list;
        g->n_meas = GEN__N(gen__devops_list);
    }
    for (uint32_t m = 0; m < GEN_N_MEAS; m++)
        g->spec[m] = &gen__specs[m];
    if (o->use_case == GEN_USE_CPU_FLOAT || o->use_case == GEN_USE_DEVOPS_FLOAT)
        g->spec[GEN_M_CPU] = &gen__cpu_float_spec;
    g->epochs = (uint64_t)((o->end_ns - o->start_ns) / o->interval_ns);
    uint64_t per_epoch = (uint64_t)o->scale * g->n_meas, total;
    if (__builtin_mul_overflow(g->epochs, per_epoch, &total)) {
        rc = strata_error_set(err, STRATA_ERANGE, "gen: the run has more than 2^64 lines");
        goto fail;
    }
    g->total_lines = o->limit_lines && o->limit_lines < total ? o->limit_lines : total;

    for (uint32_t s = 0; s < g->n_meas; s++)
        g->dists_per_host += g->spec[g->meas_list[s]]->n_dist;
    g->hosts = calloc(o->scale, sizeof *g->hosts);
    g->series = calloc((size_t)o->scale * g->n_meas, sizeof *g->series);
    g->states = calloc((size_t)o->scale * g->dists_per_host, sizeof *g->states);
    if (!g->hosts || !g->series || !g->states) {
        rc = strata_error_set(err, STRATA_ENOMEM, "gen: out of memory for %u hosts", o->scale);
        goto fail;
    }

    /* Field key texts. */
    char *fp = g->ftext_buf;
    for (uint32_t m = 0; m < GEN_N_MEAS; m++) {
        const gen__spec *sp = &gen__specs[m];
        for (uint32_t i = 0; i < sp->n_fields; i++) {
            char *start = fp;
            if (i > 0) *fp++ = ',';
            memcpy(fp, sp->keys[i].p, sp->keys[i].len);
            fp += sp->keys[i].len;
            *fp++ = '=';
            g->ftext[m][i].p = start;
            g->ftext[m][i].len = (uint32_t)(fp - start);
        }
    }

    for (uint32_t h = 0; h < o->scale; h++) {
        gen__host_init(g, h);
        uint64_t off = (uint64_t)h * g->dists_per_host;
        for (uint32_t s = 0; s < g->n_meas; s++) {
            gen__series_init(g, h, s, off);
            off += g->spec[g->meas_list[s]]->n_dist;
        }
    }
    gen__set_ts(g);
    *out = g;
    return STRATA_OK;

fail:
    gen_close(g);
    return rc;
}

void gen_close(gen *g)
{
    if (!g) return;
    free(g->hosts);
    free(g->series);
    free(g->states);
    free(g);
}

/* ---- the hot path ----------------------------------------------------------- */

static void gen__tick(const gen__spec *sp, gen__series *se, double *st)
{
    gen__rng *r = &se->rng;
    for (uint32_t i = 0; i < sp->n_dist; i++) {
        const gen__dist *d = &sp->dist[i];
        double sd = d->scale_k ? d->sd * (double)se->k : d->sd;
        double step = d->mean + sd * gen__rng_normal(r);
        switch (d->walk) {
        case GEN__CLAMP: {
            double hi = d->scale_k ? d->hi * (double)se->k : d->hi;
            double v = st[i] + step;
            if (v > hi) v = hi;
            if (v < d->lo) v = d->lo;
            st[i] = v;
            break;
        }
        case GEN__MONO:
            st[i] += step < 0 ? -step : step;
            break;
        default:
            st[i] += step;
            break;
        }
    }
}

static void gen__derive(const gen *g, const gen__spec *sp, const gen__series *se, const double *st,
                        gen_value *v)
{
    switch (sp->derive) {
    case GEN__DER_DISK: {
        int64_t total = GEN__TERABYTE, free_b = gen__trunc(st[0]);
        int64_t used = total - free_b;
        v[0].i = total;
        v[1].i = free_b;
        v[2].i = used;
        v[3].i = gen__trunc(100.0 * ((double)used / (double)total));
        v[4].i = total / 4096;
        v[5].i = free_b / 4096;
        v[6].i = total / 4096 - free_b / 4096;
        break;
    }
    case GEN__DER_MEM: {
        int64_t total = se->k;
        int64_t used = gen__trunc(st[0]), cached = gen__trunc(st[1]);
        int64_t buffered = gen__trunc(st[2]);
        int64_t avail = total - used;
        v[0].i = total;
        v[1].i = avail;
        v[2].i = used;
        v[3].i = avail; /* TSBS reports "free" as available */
        v[4].i = cached;
        v[5].i = buffered;
        v[6].f = 100.0 * ((double)used / (double)total);
        v[7].f = 100.0 * ((double)avail / (double)total);
        v[8].f = 100.0 * (double)buffered / (double)total;
        break;
    }
    case GEN__DER_FLOAT:
        for (uint32_t i = 0; i < sp->n_dist; i++)
            v[i].f = st[i];
        break;
    case GEN__DER_DEC:
        /* round(x * 10^d) / 10^d: both operands exact, so the quotient is the
         * double nearest the decimal, which prints with at most d decimals. */
        for (uint32_t i = 0; i < sp->n_dist; i++) {
            static const double p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
            double p = p10[sp->decimals[i]];
            v[i].f = round(st[i] * p) / p;
        }
        break;
    default: {
        uint32_t n = 0;
        if (sp->lead == GEN__LEAD_K)
            v[n++].i = se->k;
        else if (sp->lead == GEN__LEAD_UPTIME)
            v[n++].i = (int64_t)g->epoch * g->o.interval_ns / 1000000000LL; /* <= end-start */
        for (uint32_t i = 0; i < sp->n_dist; i++)
            v[n++].i = gen__trunc(st[i]);
        break;
    }
    }
}

/* Advance and derive the series under the cursor. @return its measurement. */
static uint32_t gen__produce(gen *g, gen_value *v)
{
    uint32_t m = g->meas_list[g->slot];
    const gen__spec *sp = g->spec[m];
    gen__series *se = &g->series[(uint64_t)g->host * g->n_meas + g->slot];
    double *st = g->states + se->st_off;
    if (g->epoch > 0) gen__tick(sp, se, st);
    gen__derive(g, sp, se, st, v);
    return m;
}

static void gen__advance(gen *g, uint32_t m)
{
    g->done.lines++;
    g->done.values += g->spec[m]->n_fields;
    g->done.lines_by_meas[m]++;
    g->done.values_by_meas[m] += g->spec[m]->n_fields;
    if (++g->host < g->o.scale) return;
    g->host = 0;
    if (++g->slot < g->n_meas) return;
    g->slot = 0;
    g->epoch++;
    if (g->epoch < g->epochs) gen__set_ts(g);
}

int gen_next_text(gen *g, char *buf, size_t cap, uint32_t max_lines, size_t *used)
{
    *used = 0;
    if (cap < GEN_LINE_MAX) return STRATA_EINVAL;
    char *p = buf;
    const char *last = buf + cap - GEN_LINE_MAX; /* a line may start at or before here */
    uint32_t n = 0;
    gen_value v[GEN_MAX_FIELDS];

    while (g->done.lines < g->total_lines && p <= last && (max_lines == 0 || n < max_lines) &&
           n < (uint32_t)INT_MAX) {
        uint32_t m = gen__produce(g, v);
        const gen__spec *sp = g->spec[m];
        const gen__host *ho = &g->hosts[g->host];
        const gen__series *se = &g->series[(uint64_t)g->host * g->n_meas + g->slot];

        memcpy(p, sp->name.p, sp->name.len);
        p += sp->name.len;
        memcpy(p, ho->tags, ho->tags_len);
        p += ho->tags_len;
        memcpy(p, se->extra, se->extra_len);
        p += se->extra_len;
        *p++ = ' ';
        for (uint32_t i = 0; i < sp->n_fields; i++) {
            memcpy(p, g->ftext[m][i].p, g->ftext[m][i].len);
            p += g->ftext[m][i].len;
            if (sp->types[i] == GEN_FT_INT) {
                p += gen_fmt_i64(p, v[i].i);
                *p++ = 'i';
            } else {
                p += gen_fmt_f64(p, v[i].f);
            }
        }
        memcpy(p, g->ts_text, g->ts_len);
        p += g->ts_len;
        n++;
        gen__advance(g, m);
    }
    *used = (size_t)(p - buf);
    g->done.bytes += *used;
    return (int)n;
}

int gen_next_points(gen *g, gen_point *pts, uint32_t max)
{
    uint32_t n = 0;
    while (g->done.lines < g->total_lines && n < max && n < (uint32_t)INT_MAX) {
        gen_point *pt = &pts[n];
        uint32_t m = gen__produce(g, pt->values);
        const gen__spec *sp = g->spec[m];
        const gen__host *ho = &g->hosts[g->host];
        const gen__series *se = &g->series[(uint64_t)g->host * g->n_meas + g->slot];

        pt->meas = m;
        pt->host = g->host;
        pt->ts_ns = g->ts_ns;
        pt->name = sp->name;
        pt->n_tags = GEN__HOST_TAGS + sp->n_tags;
        for (uint32_t i = 0; i < GEN__HOST_TAGS; i++) {
            pt->tag_keys[i] = gen__host_keys[i];
            pt->tag_vals[i].p = ho->tags + ho->tv_off[i];
            pt->tag_vals[i].len = ho->tv_len[i];
        }
        for (uint32_t i = 0; i < sp->n_tags; i++) {
            pt->tag_keys[GEN__HOST_TAGS + i] = sp->tag_keys[i];
            pt->tag_vals[GEN__HOST_TAGS + i].p = se->extra + se->tv_off[i];
            pt->tag_vals[GEN__HOST_TAGS + i].len = se->tv_len[i];
        }
        pt->n_fields = sp->n_fields;
        pt->field_keys = sp->keys;
        pt->field_types = sp->types;
        n++;
        gen__advance(g, m);
    }
    return (int)n;
}

/* ---- general formatting, plan, names ---------------------------------------- */

/* Append s with backslashes before the characters in esc. @return new length or -1. */
static long gen__put_esc(char *buf, size_t cap, size_t n, const char *s, size_t len,
                         const char *esc)
{
    for (size_t i = 0; i < len; i++) {
        int need = strchr(esc, s[i]) != NULL && s[i] != '\0';
        if (n + 1 + (size_t)need > cap) return -1;
        if (need) buf[n++] = '\\';
        buf[n++] = s[i];
    }
    return (long)n;
}

int gen_point_format(const gen_point *p, char *buf, size_t cap)
{
    char num[GEN_FMT_F64_MAX + 1];
    long n = gen__put_esc(buf, cap, 0, p->name.p, p->name.len, ", ");
    if (n < 0) return STRATA_EFULL;
    for (uint32_t i = 0; i < p->n_tags; i++) {
        if ((size_t)n + 1 > cap) return STRATA_EFULL;
        buf[n++] = ',';
        n = gen__put_esc(buf, cap, (size_t)n, p->tag_keys[i].p, p->tag_keys[i].len, ",= ");
        if (n < 0 || (size_t)n + 1 > cap) return STRATA_EFULL;
        buf[n++] = '=';
        n = gen__put_esc(buf, cap, (size_t)n, p->tag_vals[i].p, p->tag_vals[i].len, ",= ");
        if (n < 0) return STRATA_EFULL;
    }
    for (uint32_t i = 0; i < p->n_fields; i++) {
        if ((size_t)n + 1 > cap) return STRATA_EFULL;
        buf[n++] = i == 0 ? ' ' : ',';
        n = gen__put_esc(buf, cap, (size_t)n, p->field_keys[i].p, p->field_keys[i].len, ",= ");
        if (n < 0) return STRATA_EFULL;
        size_t nl;
        if (p->field_types[i] == GEN_FT_INT) {
            nl = gen_fmt_i64(num, p->values[i].i);
            num[nl++] = 'i';
        } else {
            nl = gen_fmt_f64(num, p->values[i].f);
        }
        if ((size_t)n + 1 + nl > cap) return STRATA_EFULL;
        buf[n++] = '=';
        memcpy(buf + n, num, nl);
        n += (long)nl;
    }
    size_t tl = gen_fmt_i64(num, p->ts_ns);
    if ((size_t)n + tl + 2 > cap) return STRATA_EFULL;
    buf[n++] = ' ';
    memcpy(buf + n, num, tl);
    n += (long)tl;
    buf[n++] = '\n';
    return n > INT_MAX ? STRATA_EFULL : (int)n;
}

void gen_plan(const gen *g, gen_counts *out)
{
    memset(out, 0, sizeof *out);
    uint64_t per_epoch = (uint64_t)g->o.scale * g->n_meas;
    uint64_t full = g->total_lines / per_epoch, rem = g->total_lines % per_epoch;
    out->epochs = g->epochs;
    out->lines = g->total_lines;
    for (uint32_t s = 0; s < g->n_meas; s++) {
        uint32_t m = g->meas_list[s];
        uint64_t before = (uint64_t)s * g->o.scale;
        uint64_t extra = rem > before ? rem - before : 0;
        if (extra > g->o.scale) extra = g->o.scale;
        out->lines_by_meas[m] = full * g->o.scale + extra;
        out->values_by_meas[m] = out->lines_by_meas[m] * g->spec[m]->n_fields;
        out->values += out->values_by_meas[m];
    }
}

void gen_progress(const gen *g, gen_counts *out)
{
    *out = g->done;
    out->epochs = g->epoch;
}

const gen_opts *gen_options(const gen *g)
{
    return &g->o;
}

const char *gen_meas_name(uint32_t meas)
{
    return meas < GEN_N_MEAS ? gen__specs[meas].name.p : NULL;
}

const char *gen_use_case_name(gen_use_case uc)
{
    switch (uc) {
    case GEN_USE_CPU_ONLY:
        return "cpu-only";
    case GEN_USE_DEVOPS:
        return "devops";
    case GEN_USE_CPU_FLOAT:
        return "cpu-float";
    case GEN_USE_DEVOPS_FLOAT:
        return "devops-float";
    case GEN_USE_GAUGES:
        return "gauges";
    }
    return "unknown";
}

uint32_t gen_use_case_meas(gen_use_case uc)
{
    switch (uc) {
    case GEN_USE_CPU_ONLY:
    case GEN_USE_CPU_FLOAT:
    case GEN_USE_GAUGES:
        return 1;
    case GEN_USE_DEVOPS:
    case GEN_USE_DEVOPS_FLOAT:
        return (uint32_t)GEN__N(gen__devops_list);
    }
    return 0;
}

int gen_use_case_parse(const char *s, gen_use_case *out)
{
    if (strcmp(s, "cpu-only") == 0)
        *out = GEN_USE_CPU_ONLY;
    else if (strcmp(s, "devops") == 0)
        *out = GEN_USE_DEVOPS;
    else if (strcmp(s, "cpu-float") == 0)
        *out = GEN_USE_CPU_FLOAT;
    else if (strcmp(s, "devops-float") == 0)
        *out = GEN_USE_DEVOPS_FLOAT;
    else if (strcmp(s, "gauges") == 0)
        *out = GEN_USE_GAUGES;
    else
        return STRATA_EINVAL;
    return STRATA_OK;
}
