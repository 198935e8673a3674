/*
 * net/config.h: the server's configuration, and how it is assembled from
 * four sources: built-in defaults < a config file < environment variables <
 * command-line flags (the later source wins, option by option).
 *
 * Every option has one name, used three ways:
 *   flag      --http-bind 127.0.0.1:8086   (also --http-bind=127.0.0.1:8086)
 *   env       STRATA_HTTP_BIND=127.0.0.1:8086
 *   file      [http] bind = "127.0.0.1:8086"  (section and key in the table
 *             of net/config.c and in docs/configuration.md)
 * The file is a TOML subset: comments (#), [section] headers, key = value
 * with values as "strings", 'strings', integers, true/false, and arrays of
 * strings on one line. Sizes accept suffixes (k, m, g, KiB, MiB, GiB, KB,
 * MB, GB); durations need a unit (ms, s, m, h) unless 0.
 *
 * The table of options is the single source of truth: the --help text,
 * the parsers and the environment names all come from it.
 *
 * Thread safety: a net_config is built on one thread and only read
 * afterwards; readers may share it.
 */
#ifndef STRATA_NET_CONFIG_H
#define STRATA_NET_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"
#include "lineproto/lp.h"

/* The Strata release, reported by --version and in X-Strata-Version. */
#define NET_STRATA_VERSION "0.1.0"

/* The InfluxDB version whose HTTP API the server speaks (X-Influxdb-Version). */
#define NET_INFLUX_VERSION "1.8.10"

/* A list of strings (databases to create). Owned by the config. */
typedef struct net_strlist {
    char **v;
    size_t n;
} net_strlist;

typedef struct net_config {
    /* top level */
    strata_log_level log_level;
    int64_t shutdown_timeout_ms; /* force-close connections after this at shutdown */

    /* [storage] */
    char *data_dir;
    int wal_sync;
    int wal_compress;
    size_t map_bytes;               /* 0: the engine's default */
    size_t checkpoint_bytes;        /* 0: the engine's default */
    size_t checkpoint_wal_bytes;    /* 0: the engine's default */
    int64_t checkpoint_interval_ms; /* 0: the engine's default */
    int64_t compact_interval_ms;    /* 0: no background compaction */
    int64_t retention_check_ms;     /* 0: never expire retention policies' data */
    size_t compact_rate_bytes;      /* chunk bytes/s of background compaction; 0: no limit */
    size_t compact_tail_bytes;      /* the newest partition compacted as one slice up to this */
    uint32_t encode_threads;        /* threads encoding a checkpoint's chunks; 0: one per CPU */
    net_strlist databases;          /* created at start */
    int auto_create_db;             /* create a database on first write instead of 404 */

    /* [http] */
    char *http_bind;              /* "" or "off": no HTTP listener */
    int64_t http_idle_timeout_ms; /* 0: never */

    /* [tcp] */
    char *tcp_bind; /* "" or "off": no TCP listener */
    char *tcp_db;
    lp_precision tcp_precision;
    size_t tcp_max_line_bytes;
    int64_t tcp_idle_timeout_ms; /* 0: never */

    /* [udp] */
    char *udp_bind; /* "" or "off": no UDP listener */
    char *udp_db;
    lp_precision udp_precision;
    size_t udp_read_buffer_bytes; /* SO_RCVBUF; 0: the OS default */
    size_t udp_max_pending_bytes; /* datagrams held while the engine is busy */

    /* [limits] */
    size_t max_body_bytes;           /* request body on the wire; 0: no limit */
    size_t max_inflated_bytes;       /* a gzip body once inflated; 0: no limit */
    size_t max_header_bytes;         /* request line and headers */
    uint32_t max_connections;        /* HTTP and TCP connections together */
    uint32_t max_concurrent_writes;  /* 0: 2 x workers */
    uint32_t max_concurrent_queries; /* 0: workers */
    uint32_t query_inline_us;        /* SELECTs answered on the loop within this; 0: never */
    size_t query_max_series;         /* 0: no limit */
    size_t query_max_points;         /* 0: no limit */
    size_t query_max_buckets;        /* 0: no limit */
    int64_t query_timeout_ms;        /* 0: no limit */
    uint32_t workers;                /* worker threads; 0: max(4, 2 x CPUs) */

    /* [continuous_queries] (net/cq_sched.c) */
    int cq_enabled;             /* run continuous queries */
    int cq_log_enabled;         /* a log line per run at info (else debug) */
    int64_t cq_run_interval_ms; /* how often due queries are looked for */
    int64_t cq_max_catchup_ms;  /* windows missed while down, at most this far back; 0: none */

    /* Set by net_config_load() when --help / --version was given. */
    int show_help, show_version;
    char *config_path; /* the file that was read, or NULL */

    unsigned char set_by_[64]; /* private: which source set each option last */
} net_config;

/* Fill cfg with the built-in defaults (the strings are allocated). @return STRATA_OK, STRATA_ENOMEM
 */
int net_config_init(net_config *cfg, strata_error *err);

/* Free what cfg owns. cfg may be NULL. */
void net_config_fini(net_config *cfg);

/*
 * Build the configuration from defaults, the config file (--config FILE or
 * STRATA_CONFIG), the environment (envp, NULL-terminated "NAME=value"
 * strings; may be NULL) and argv. cfg must have been net_config_init()'ed.
 * --help and --version set cfg->show_help / show_version and stop parsing.
 * After the sources are applied the whole configuration is checked (a TCP
 * or UDP listener needs a database, addresses parse, ...).
 *
 * @return STRATA_OK; STRATA_EINVAL (unknown flag or key, bad value, missing
 *         value; err names the source, e.g. "strata.toml:12: ..." or
 *         "--max-body-bytes: ..."); STRATA_EIO (the config file cannot be
 *         read); STRATA_ENOMEM
 */
int net_config_load(net_config *cfg, int argc, char **argv, char **envp, strata_error *err);

/* Resolve the 0 ("automatic") values of workers and the concurrency limits. */
void net_config_resolve(net_config *cfg);

/* Print the --help text (every flag, its env variable, file key and default). */
void net_config_usage(FILE *out, const char *prog);

/* Name of a precision as written in the configuration ("ns", "u", ...). */
const char *net_precision_name(lp_precision p);

#endif
