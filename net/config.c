/*
 * net/config.c: the option table and the three parsers (config file,
 * environment, command line) that fill a net_config from it.
 *
 * Each row of `opts` names an option once: its flag, its file section and
 * key, its type, where it lives in net_config, its default (as text, parsed
 * by the same code as user input), and its help. Sources are applied in
 * precedence order (default, file, env, flags), each overwriting what the
 * previous set; a list option (--db) is replaced by a higher source, and
 * accumulates within one source (several --db flags).
 */
#include "net/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "net/net_int.h"

typedef enum opt_type {
    T_STR,   /* char * */
    T_BOOL,  /* int; needs a value */
    T_FLAG,  /* int; "--flag" alone means true */
    T_SIZE,  /* size_t, with unit suffixes */
    T_U32,   /* uint32_t */
    T_DUR,   /* int64_t milliseconds, with a unit */
    T_LIST,  /* net_strlist */
    T_LEVEL, /* strata_log_level */
    T_PREC,  /* lp_precision */
} opt_type;

enum { SRC_DEFAULT = 0, SRC_FILE = 1, SRC_ENV = 2, SRC_FLAG = 3 };

typedef struct opt_def {
    const char *flag;    /* without the leading "--" */
    const char *section; /* "" for the top level of the file */
    const char *key;
    opt_type type;
    size_t off;
    const char *def; /* default, as text; NULL for an empty list */
    const char *arg; /* metavariable in --help */
    const char *help;
} opt_def;

#define OFF(f) offsetof(net_config, f)

static const opt_def opts[] = {
    {"log-level", "", "log-level", T_LEVEL, OFF(log_level), "info", "LEVEL",
     "log level: debug, info, warn, error or off"},
    {"shutdown-timeout", "", "shutdown-timeout", T_DUR, OFF(shutdown_timeout_ms), "30s", "DUR",
     "at SIGTERM/SIGINT, wait this long for clients to finish their requests, then close"},

    {"data-dir", "storage", "dir", T_STR, OFF(data_dir), "./data", "DIR",
     "data directory (created if missing)"},
    {"wal-sync", "storage", "wal-sync", T_BOOL, OFF(wal_sync), "on", "on|off",
     "fsync the WAL before acknowledging a write (off loses acknowledged writes on a crash)"},
    {"wal-compress", "storage", "wal-compress", T_BOOL, OFF(wal_compress), "off", "on|off",
     "lz4-compress large WAL records (a third of the WAL bytes, ~10% more CPU per write)"},
    {"map-size", "storage", "map-size", T_SIZE, OFF(map_bytes), "0", "BYTES",
     "most the store may hold (address space only); 0 = the engine's default (1 TiB)"},
    {"checkpoint-bytes", "storage", "checkpoint-bytes", T_SIZE, OFF(checkpoint_bytes), "0", "BYTES",
     "checkpoint when sealed, unflushed chunks exceed this; 0 = engine default (64 MiB)"},
    {"checkpoint-wal-bytes", "storage", "checkpoint-wal-bytes", T_SIZE, OFF(checkpoint_wal_bytes),
     "0", "BYTES", "checkpoint when the WAL exceeds this; 0 = engine default (256 MiB)"},
    {"checkpoint-interval", "storage", "checkpoint-interval", T_DUR, OFF(checkpoint_interval_ms),
     "0", "DUR", "checkpoint when the last one is older than this; 0 = engine default (5m)"},
    {"compact-interval", "storage", "compact-interval", T_DUR, OFF(compact_interval_ms), "1h",
     "DUR",
     "compact the chunk table this often in the background (merge and re-encode chunks, in "
     "slices at --compact-rate); "
     "0 = never (run strata compact on a stopped directory instead)"},
    {"retention-check-interval", "retention", "check-interval", T_DUR, OFF(retention_check_ms),
     "30m", "DUR",
     "expire the data retention policies no longer keep this often (InfluxDB's "
     "[retention] check-interval); 0 = never"},
    {"compact-rate", "storage", "compact-rate", T_SIZE, OFF(compact_rate_bytes), "32MiB", "BYTES",
     "background compaction reads and writes at most this many chunk bytes per second, "
     "pausing between slices (checkpoints run in the pauses); 0 = no limit"},
    {"compact-tail", "storage", "compact-tail", T_SIZE, OFF(compact_tail_bytes), "32MiB", "BYTES",
     "background compaction deletes and appends again the newest partition of the last "
     "database (the end of the chunk table) as one slice, packing its pages full, while its "
     "chunks take at most this much; above it, only overlapping chunks are merged there; "
     "0 = never"},
    {"encode-threads", "storage", "encode-threads", T_U32, OFF(encode_threads), "0", "N",
     "threads that encode a checkpoint's chunks (the checkpoint thread and helpers); "
     "0 = one per online CPU, at most 16"},
    {"db", "storage", "databases", T_LIST, OFF(databases), NULL, "NAME",
     "database to create at start (repeatable; env and file: a list)"},
    {"auto-create-db", "storage", "auto-create-db", T_FLAG, OFF(auto_create_db), "off", "",
     "create a database on its first write instead of answering 404"},

    {"http-bind", "http", "bind", T_STR, OFF(http_bind), "127.0.0.1:8086", "ADDR:PORT",
     "HTTP API address (\"off\" or \"\" disables it; \":8086\" is every interface)"},
    {"http-idle-timeout", "http", "idle-timeout", T_DUR, OFF(http_idle_timeout_ms), "3m", "DUR",
     "close an HTTP connection idle this long; 0 = never"},

    {"tcp-bind", "tcp", "bind", T_STR, OFF(tcp_bind), "", "ADDR:PORT",
     "raw TCP line-protocol listener address (off by default)"},
    {"tcp-db", "tcp", "database", T_STR, OFF(tcp_db), "", "NAME",
     "database of the TCP listener (created if missing; required with --tcp-bind)"},
    {"tcp-precision", "tcp", "precision", T_PREC, OFF(tcp_precision), "ns", "P",
     "timestamp unit of TCP lines: ns, u, ms, s, m or h"},
    {"tcp-max-line-bytes", "tcp", "max-line-bytes", T_SIZE, OFF(tcp_max_line_bytes), "1MiB",
     "BYTES", "a longer TCP line is dropped and counted as bad"},
    {"tcp-idle-timeout", "tcp", "idle-timeout", T_DUR, OFF(tcp_idle_timeout_ms), "0", "DUR",
     "close a TCP connection idle this long; 0 = never"},

    {"udp-bind", "udp", "bind", T_STR, OFF(udp_bind), "", "ADDR:PORT",
     "UDP line-protocol listener address (off by default)"},
    {"udp-db", "udp", "database", T_STR, OFF(udp_db), "", "NAME",
     "database of the UDP listener (created if missing; required with --udp-bind)"},
    {"udp-precision", "udp", "precision", T_PREC, OFF(udp_precision), "ns", "P",
     "timestamp unit of UDP lines: ns, u, ms, s, m or h"},
    {"udp-read-buffer", "udp", "read-buffer", T_SIZE, OFF(udp_read_buffer_bytes), "0", "BYTES",
     "socket receive buffer (SO_RCVBUF); 0 = the OS default"},
    {"udp-max-pending-bytes", "udp", "max-pending-bytes", T_SIZE, OFF(udp_max_pending_bytes),
     "8MiB", "BYTES", "datagrams held while the engine is busy; more are dropped and counted"},

    {"max-body-bytes", "limits", "max-body-bytes", T_SIZE, OFF(max_body_bytes), "25000000", "BYTES",
     "largest HTTP request body on the wire (413 above); 0 = no limit"},
    {"max-inflated-bytes", "limits", "max-inflated-bytes", T_SIZE, OFF(max_inflated_bytes),
     "256MiB", "BYTES", "largest gzip request body once inflated (413 above); 0 = no limit"},
    {"max-header-bytes", "limits", "max-header-bytes", T_SIZE, OFF(max_header_bytes), "64KiB",
     "BYTES", "largest HTTP request line plus headers (431 above)"},
    {"max-connections", "limits", "max-connections", T_U32, OFF(max_connections), "1024", "N",
     "open HTTP and TCP connections; more are accepted and closed at once"},
    {"max-concurrent-writes", "limits", "max-concurrent-writes", T_U32, OFF(max_concurrent_writes),
     "0", "N",
     "write requests being received or committed at once; others wait unread; 0 = 2 x workers"},
    {"query-max-series", "limits", "query-max-series", T_SIZE, OFF(query_max_series), "0", "N",
     "series one SELECT may read; more is an error naming the limit; 0 = no limit"},
    {"query-max-points", "limits", "query-max-points", T_SIZE, OFF(query_max_points), "0", "N",
     "points one statement may read from storage; 0 = no limit"},
    {"query-max-select-buckets", "limits", "query-max-select-buckets", T_SIZE,
     OFF(query_max_buckets), "0", "N",
     "GROUP BY time() windows one SELECT may produce (InfluxDB's max-select-buckets); 0 = no "
     "limit"},
    {"query-timeout", "limits", "query-timeout", T_DUR, OFF(query_timeout_ms), "0", "DUR",
     "wall-clock time a /query request may take; 0 = no limit"},
    {"query-inline-us", "limits", "query-inline-us", T_U32, OFF(query_inline_us), "250", "N",
     "answer a plain SELECT on the event loop when it finishes within N microseconds (one "
     "that takes longer is run again on a worker); 0 = always on a worker"},
    {"max-concurrent-queries", "limits", "max-concurrent-queries", T_U32,
     OFF(max_concurrent_queries), "0", "N", "queries running at once; 0 = workers"},
    {"workers", "limits", "workers", T_U32, OFF(workers), "0", "N",
     "worker threads that parse and commit; 0 = max(4, 2 x CPUs)"},

    /* continuous queries (net/cq_sched.c) */
    {"cq-enabled", "continuous_queries", "enabled", T_BOOL, OFF(cq_enabled), "on", "on|off",
     "run continuous queries (off: they are kept and listed but never run)"},
    {"cq-log-enabled", "continuous_queries", "log-enabled", T_BOOL, OFF(cq_log_enabled), "on",
     "on|off", "log each continuous query run at info level (off: at debug level)"},
    {"cq-run-interval", "continuous_queries", "run-interval", T_DUR, OFF(cq_run_interval_ms), "1s",
     "DUR", "how often to look for continuous queries that are due"},
    {"cq-max-catchup", "continuous_queries", "max-catchup", T_DUR, OFF(cq_max_catchup_ms), "24h",
     "DUR",
     "after a restart, compute the windows missed while the server was down, at most this far "
     "back; 0 = none (as InfluxDB)"},
};

#define NOPTS (sizeof opts / sizeof opts[0])
_Static_assert(sizeof opts / sizeof opts[0] <= sizeof(((net_config *)0)->set_by_),
               "net_config.set_by_ must have a slot per option");

/* ------------------------------------------------------------ value parsing */

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"on", "true", "yes", "1"}, *no[] = {"off", "false", "no", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) return *out = 1, STRATA_OK;
        if (strcasecmp(s, no[i]) == 0) return *out = 0, STRATA_OK;
    }
    return STRATA_EINVAL;
}

/* Unsigned decimal with an optional unit; mult gives the unit's value. */
static int parse_num_unit(const char *s, uint64_t *num, const char **unit)
{
    errno = 0;
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s)) return STRATA_EINVAL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE) return STRATA_ERANGE;
    while (isspace((unsigned char)*end))
        end++;
    *num = v;
    *unit = end;
    return STRATA_OK;
}

int net__parse_size(const char *s, size_t *out)
{
    static const struct {
        const char *u;
        uint64_t m;
    } units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1ull << 10},
        {"kib", 1ull << 10},
        {"kb", 1000ull},
        {"m", 1ull << 20},
        {"mib", 1ull << 20},
        {"mb", 1000000ull},
        {"g", 1ull << 30},
        {"gib", 1ull << 30},
        {"gb", 1000000000ull},
        {"t", 1ull << 40},
        {"tib", 1ull << 40},
        {"tb", 1000000000000ull},
    };
    uint64_t v;
    const char *u;
    int rc = parse_num_unit(s, &v, &u);
    if (rc != STRATA_OK) return rc;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(u, units[i].u) == 0) {
            if (v > SIZE_MAX / units[i].m) return STRATA_ERANGE;
            *out = (size_t)(v * units[i].m);
            return STRATA_OK;
        }
    }
    return STRATA_EINVAL;
}

int net__parse_duration_ms(const char *s, int64_t *out)
{
    static const struct {
        const char *u;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    uint64_t v;
    const char *u;
    int rc = parse_num_unit(s, &v, &u);
    if (rc != STRATA_OK) return rc;
    if (*u == '\0') return v == 0 ? (*out = 0, STRATA_OK) : STRATA_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(u, units[i].u) == 0) {
            if (v > (uint64_t)INT64_MAX / (uint64_t)units[i].ms) return STRATA_ERANGE;
            *out = (int64_t)v * units[i].ms;
            return STRATA_OK;
        }
    }
    return STRATA_EINVAL;
}

const char *net_precision_name(lp_precision p)
{
    switch (p) {
    case LP_PREC_NS:
        return "ns";
    case LP_PREC_US:
        return "u";
    case LP_PREC_MS:
        return "ms";
    case LP_PREC_S:
        return "s";
    case LP_PREC_M:
        return "m";
    case LP_PREC_H:
        return "h";
    }
    return "?";
}

static void list_clear(net_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int list_add(net_strlist *l, const char *s, size_t len)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (nv == NULL) return STRATA_ENOMEM;
    l->v = nv;
    char *c = strndup(s, len);
    if (c == NULL) return STRATA_ENOMEM;
    l->v[l->n++] = c;
    return STRATA_OK;
}

/* Where the error happened, for messages: "--x", "STRATA_X", "file:12 [s] k". */
typedef struct origin {
    int src;
    const char *file;
    int line;
} origin;

static void origin_name(const opt_def *o, const origin *at, char *buf, size_t cap)
{
    switch (at->src) {
    case SRC_FILE:
        snprintf(buf, cap, "%s:%d: %s%s%s", at->file, at->line, o->section,
                 o->section[0] ? "." : "", o->key);
        break;
    case SRC_ENV: {
        char env[64];
        net__env_name(o->flag, env, sizeof env);
        snprintf(buf, cap, "%s", env);
        break;
    }
    default:
        snprintf(buf, cap, "--%s", o->flag);
        break;
    }
}

void net__env_name(const char *flag, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "STRATA_");
    for (const char *p = flag; *p && n + 1 < cap; p++)
        buf[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    buf[n < cap ? n : cap - 1] = '\0';
}

/*
 * Set option o from text s (len bytes, not necessarily NUL-terminated) at
 * source at->src. A list is cleared when a higher source first touches it.
 */
static int opt_set(net_config *cfg, const opt_def *o, const char *s, size_t len, const origin *at,
                   strata_error *err)
{
    char where[300], val[512];
    size_t i = (size_t)(o - opts);
    void *field = (char *)cfg + o->off;
    int rc = STRATA_OK;

    if (o->type == T_LIST) {
        if (cfg->set_by_[i] < at->src) list_clear(field);
        cfg->set_by_[i] = (unsigned char)at->src;
        if (len == 0) return STRATA_OK; /* "" adds nothing: an empty list */
        if (list_add(field, s, len) != STRATA_OK)
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        return STRATA_OK;
    }
    cfg->set_by_[i] = (unsigned char)at->src;
    if (o->type == T_STR) {
        char *c = strndup(s, len);
        if (c == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        free(*(char **)field);
        *(char **)field = c;
        return STRATA_OK;
    }
    if (len >= sizeof val) {
        origin_name(o, at, where, sizeof where);
        return strata_error_set(err, STRATA_EINVAL, "%s: value is too long", where);
    }
    memcpy(val, s, len);
    val[len] = '\0';
    switch (o->type) {
    case T_BOOL:
    case T_FLAG:
        rc = parse_bool(val, field);
        break;
    case T_SIZE:
        rc = net__parse_size(val, field);
        break;
    case T_U32: {
        size_t v;
        rc = net__parse_size(val, &v);
        if (rc == STRATA_OK && v > UINT32_MAX) rc = STRATA_ERANGE;
        if (rc == STRATA_OK) *(uint32_t *)field = (uint32_t)v;
        break;
    }
    case T_DUR:
        rc = net__parse_duration_ms(val, field);
        break;
    case T_LEVEL:
        rc = strata_log_level_parse(val, field);
        break;
    case T_PREC:
        rc = lp_precision_parse(val, len, field);
        break;
    default:
        rc = STRATA_EINTERNAL;
        break;
    }
    if (rc != STRATA_OK) {
        static const char *want[] = {
            [T_BOOL] = "on or off",
            [T_FLAG] = "on or off",
            [T_SIZE] = "a size in bytes such as 25000000, 64KiB or 8MiB",
            [T_U32] = "a count",
            [T_DUR] = "a duration such as 500ms, 30s, 5m or 1h",
            [T_LEVEL] = "debug, info, warn, error or off",
            [T_PREC] = "ns, u, ms, s, m or h",
        };
        origin_name(o, at, where, sizeof where);
        return strata_error_set(err, STRATA_EINVAL, "%s: invalid value \"%s\" (want %s)", where,
                                val, want[o->type] ? want[o->type] : "?");
    }
    return STRATA_OK;
}

static const opt_def *opt_by_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].flag) == len && memcmp(opts[i].flag, name, len) == 0) return &opts[i];
    return NULL;
}

static const opt_def *opt_by_key(const char *section, const char *key, size_t klen)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strcmp(opts[i].section, section) == 0 && strlen(opts[i].key) == klen &&
            memcmp(opts[i].key, key, klen) == 0)
            return &opts[i];
    return NULL;
}

/* ------------------------------------------------------------------ defaults */

int net_config_init(net_config *cfg, strata_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    origin at = {SRC_DEFAULT, NULL, 0};
    for (size_t i = 0; i < NOPTS; i++) {
        if (opts[i].def == NULL) continue;
        int rc = opt_set(cfg, &opts[i], opts[i].def, strlen(opts[i].def), &at, err);
        if (rc != STRATA_OK) {
            net_config_fini(cfg);
            return rc;
        }
    }
    return STRATA_OK;
}

void net_config_fini(net_config *cfg)
{
    if (cfg == NULL) return;
    for (size_t i = 0; i < NOPTS; i++) {
        void *field = (char *)cfg + opts[i].off;
        if (opts[i].type == T_STR) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (opts[i].type == T_LIST) {
            list_clear(field);
        }
    }
    free(cfg->config_path);
    cfg->config_path = NULL;
}

/* --------------------------------------------------------------- config file */

/* Skip blanks. */
static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/*
 * Parse one TOML scalar at *pp into out (unescaped), advancing *pp past it.
 * Strings: "..." with \" \\ \n \t \r escapes, or '...' literal. Bare values
 * run to the next blank, ',' ']' or '#'.
 */
static int toml_scalar(const char **pp, char *out, size_t cap, size_t *outlen)
{
    const char *p = *pp;
    size_t n = 0;
    if (*p == '"' || *p == '\'') {
        char q = *p++;
        while (*p && *p != q) {
            char c = *p++;
            if (q == '"' && c == '\\') {
                switch (*p) {
                case 'n':
                    c = '\n';
                    break;
                case 't':
                    c = '\t';
                    break;
                case 'r':
                    c = '\r';
                    break;
                case '"':
                    c = '"';
                    break;
                case '\\':
                    c = '\\';
                    break;
                default:
                    return STRATA_EINVAL;
                }
                p++;
            }
            if (n + 1 >= cap) return STRATA_ELIMIT;
            out[n++] = c;
        }
        if (*p != q) return STRATA_EINVAL;
        p++;
    } else {
        while (*p && *p != ' ' && *p != '\t' && *p != ',' && *p != ']' && *p != '#') {
            if (n + 1 >= cap) return STRATA_ELIMIT;
            out[n++] = *p++;
        }
        if (n == 0) return STRATA_EINVAL;
    }
    out[n] = '\0';
    *outlen = n;
    *pp = p;
    return STRATA_OK;
}

static int file_line(net_config *cfg, char *line, char *section, size_t section_cap,
                     const origin *at, strata_error *err)
{
    char val[4096];
    size_t vlen;
    const char *p = skip_ws(line);

    if (*p == '\0' || *p == '#') return STRATA_OK;
    if (*p == '[') {
        const char *e = strchr(p, ']');
        if (e == NULL || (size_t)(e - p - 1) >= section_cap) goto syntax;
        memcpy(section, p + 1, (size_t)(e - p - 1));
        section[e - p - 1] = '\0';
        p = skip_ws(e + 1);
        if (*p != '\0' && *p != '#') goto syntax;
        for (size_t i = 0; i < NOPTS; i++)
            if (strcmp(opts[i].section, section) == 0) return STRATA_OK;
        return strata_error_set(err, STRATA_EINVAL, "%s:%d: unknown section [%s]", at->file,
                                at->line, section);
    }
    const char *k = p;
    while (*p && *p != '=' && *p != ' ' && *p != '\t')
        p++;
    size_t klen = (size_t)(p - k);
    if (*k == '"' || *k == '\'') /* quoted keys are not part of the subset */
        goto syntax;
    p = skip_ws(p);
    if (*p != '=' || klen == 0) goto syntax;
    p = skip_ws(p + 1);
    const opt_def *o = opt_by_key(section, k, klen);
    if (o == NULL)
        return strata_error_set(err, STRATA_EINVAL, "%s:%d: unknown key \"%.*s\" in %s%s%s",
                                at->file, at->line, (int)klen, k, section[0] ? "[" : "",
                                section[0] ? section : "the top level", section[0] ? "]" : "");
    int rc;
    if (*p == '[') {
        if (o->type != T_LIST) goto syntax;
        /* An explicit empty array clears the list too. */
        if ((rc = opt_set(cfg, o, "", 0, at, err)) != STRATA_OK) return rc;
        p = skip_ws(p + 1);
        while (*p != ']') {
            if (toml_scalar(&p, val, sizeof val, &vlen) != STRATA_OK) goto syntax;
            if ((rc = opt_set(cfg, o, val, vlen, at, err)) != STRATA_OK) return rc;
            p = skip_ws(p);
            if (*p == ',')
                p = skip_ws(p + 1);
            else if (*p != ']')
                goto syntax;
        }
        p++;
    } else {
        if (toml_scalar(&p, val, sizeof val, &vlen) != STRATA_OK) goto syntax;
        if (o->type == T_LIST) {
            /* A single string is a comma-separated list, as in the environment. */
            if ((rc = opt_set(cfg, o, "", 0, at, err)) != STRATA_OK) return rc;
            for (char *s = val, *c;; s = c + 1) {
                c = strchr(s, ',');
                size_t n = c ? (size_t)(c - s) : strlen(s);
                if (n && (rc = opt_set(cfg, o, s, n, at, err)) != STRATA_OK) return rc;
                if (c == NULL) break;
            }
        } else if ((rc = opt_set(cfg, o, val, vlen, at, err)) != STRATA_OK) {
            return rc;
        }
    }
    p = skip_ws(p);
    if (*p != '\0' && *p != '#') goto syntax;
    return STRATA_OK;
syntax:
    return strata_error_set(err, STRATA_EINVAL,
                            "%s:%d: cannot parse this line (the config file is a TOML subset: "
                            "[section], key = \"string\" | number | true | false | [\"a\", \"b\"])",
                            at->file, at->line);
}

static int load_file(net_config *cfg, const char *path, strata_error *err)
{
    char line[8192], section[64] = "";
    origin at = {SRC_FILE, path, 0};
    int rc = STRATA_OK;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return strata_error_set(err, STRATA_EIO, "cannot read config file %s: %s", path,
                                strerror(errno));
    while (fgets(line, sizeof line, f) != NULL) {
        at.line++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            rc = strata_error_set(err, STRATA_EINVAL, "%s:%d: line is too long", path, at.line);
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if ((rc = file_line(cfg, line, section, sizeof section, &at, err)) != STRATA_OK) break;
    }
    if (rc == STRATA_OK && ferror(f))
        rc = strata_error_set(err, STRATA_EIO, "reading config file %s failed", path);
    fclose(f);
    return rc;
}

/* ---------------------------------------------------------------- env, flags */

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

static int load_env(net_config *cfg, char **envp, strata_error *err)
{
    origin at = {SRC_ENV, NULL, 0};
    char name[64];
    for (size_t i = 0; i < NOPTS; i++) {
        net__env_name(opts[i].flag, name, sizeof name);
        const char *v = env_get(envp, name);
        if (v == NULL) continue;
        int rc;
        if (opts[i].type == T_LIST) {
            if ((rc = opt_set(cfg, &opts[i], "", 0, &at, err)) != STRATA_OK) return rc;
            for (const char *s = v, *c;; s = c + 1) {
                c = strchr(s, ',');
                size_t n = c ? (size_t)(c - s) : strlen(s);
                if (n && (rc = opt_set(cfg, &opts[i], s, n, &at, err)) != STRATA_OK) return rc;
                if (c == NULL) break;
            }
        } else if ((rc = opt_set(cfg, &opts[i], v, strlen(v), &at, err)) != STRATA_OK) {
            return rc;
        }
    }
    return STRATA_OK;
}

/* Walk argv: returns the value of --config if present (borrowed), or NULL. */
static int scan_meta_flags(net_config *cfg, int argc, char **argv, const char **config,
                           strata_error *err)
{
    *config = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cfg->show_help = 1;
            return STRATA_OK;
        }
        if (strcmp(a, "--version") == 0) {
            cfg->show_version = 1;
            return STRATA_OK;
        }
        if (strncmp(a, "--config=", 9) == 0) {
            *config = a + 9;
        } else if (strcmp(a, "--config") == 0) {
            if (i + 1 >= argc)
                return strata_error_set(err, STRATA_EINVAL, "--config: missing FILE");
            *config = argv[++i];
        } else if (strncmp(a, "--", 2) == 0 && strchr(a, '=') == NULL) {
            /* Skip the value of a flag that takes one, so "--db --config" is a db name. */
            const opt_def *o = opt_by_flag(a + 2, strlen(a + 2));
            if (o != NULL && o->type != T_FLAG) i++;
        }
    }
    return STRATA_OK;
}

static int load_flags(net_config *cfg, int argc, char **argv, strata_error *err)
{
    origin at = {SRC_FLAG, NULL, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return strata_error_set(err, STRATA_EINVAL,
                                    "unexpected argument \"%s\" (flags start with --; see --help)",
                                    a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        if (nlen == 6 && memcmp(name, "config", 6) == 0) {
            if (eq == NULL) i++;
            continue;
        }
        const opt_def *o = opt_by_flag(name, nlen);
        if (o == NULL)
            return strata_error_set(err, STRATA_EINVAL, "unknown flag --%.*s (see --help)",
                                    (int)nlen, name);
        const char *v;
        if (eq != NULL) {
            v = eq + 1;
        } else if (o->type == T_FLAG) {
            v = "on";
        } else {
            if (i + 1 >= argc)
                return strata_error_set(err, STRATA_EINVAL, "--%s: missing %s", o->flag, o->arg);
            v = argv[++i];
        }
        int rc = opt_set(cfg, o, v, strlen(v), &at, err);
        if (rc != STRATA_OK) return rc;
    }
    return STRATA_OK;
}

/* ------------------------------------------------------------------- checks */

static int bind_enabled(const char *b)
{
    return b != NULL && b[0] != '\0' && strcasecmp(b, "off") != 0;
}

int net__bind_enabled(const char *b)
{
    return bind_enabled(b);
}

static int check(net_config *cfg, strata_error *err)
{
    struct sockaddr_storage ss;
    const struct {
        const char *what, *bind, *db, *dbflag;
    } ls[] = {
        {"--http-bind", cfg->http_bind, NULL, NULL},
        {"--tcp-bind", cfg->tcp_bind, cfg->tcp_db, "--tcp-db"},
        {"--udp-bind", cfg->udp_bind, cfg->udp_db, "--udp-db"},
    };
    for (size_t i = 0; i < 3; i++) {
        if (!bind_enabled(ls[i].bind)) continue;
        int rc = net__addr_parse(ls[i].bind, &ss, err);
        if (rc != STRATA_OK) return strata_error_prefix(err, "%s: ", ls[i].what);
        if (ls[i].dbflag && (ls[i].db == NULL || ls[i].db[0] == '\0'))
            return strata_error_set(err, STRATA_EINVAL,
                                    "%s needs %s NAME (the database its lines go to)", ls[i].what,
                                    ls[i].dbflag);
    }
    if (cfg->data_dir == NULL || cfg->data_dir[0] == '\0')
        return strata_error_set(err, STRATA_EINVAL, "--data-dir must not be empty");
    if (cfg->max_header_bytes < 1024 || cfg->max_header_bytes > NET_PARSER_HEADER_MAX)
        return strata_error_set(err, STRATA_EINVAL,
                                "--max-header-bytes must be between 1KiB and %uKiB (the HTTP "
                                "parser's own limit)",
                                NET_PARSER_HEADER_MAX / 1024);
    if (cfg->tcp_max_line_bytes < 64 || cfg->tcp_max_line_bytes > LP_DEFAULT_MAX_LINE_BYTES)
        return strata_error_set(err, STRATA_EINVAL,
                                "--tcp-max-line-bytes must be between 64 and %u",
                                LP_DEFAULT_MAX_LINE_BYTES);
    if (cfg->workers > 1024)
        return strata_error_set(err, STRATA_EINVAL, "--workers must be at most 1024");
    if (cfg->encode_threads > 16)
        return strata_error_set(err, STRATA_EINVAL,
                                "--encode-threads must be at most 16 (0: one per CPU)");
    if (cfg->max_connections == 0)
        return strata_error_set(err, STRATA_EINVAL, "--max-connections must be at least 1");
    for (size_t i = 0; i < cfg->databases.n; i++)
        if (cfg->databases.v[i][0] == '\0')
            return strata_error_set(err, STRATA_EINVAL, "--db: empty database name");
    if (cfg->cq_enabled && cfg->cq_run_interval_ms <= 0) /* continuous queries */
        return strata_error_set(err, STRATA_EINVAL, "--cq-run-interval must be at least 1ms");
    return STRATA_OK;
}

void net_config_resolve(net_config *cfg)
{
    if (cfg->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->workers = n > 2 ? (uint32_t)(n > 256 ? 512 : 2 * n) : 4;
    }
    if (cfg->max_concurrent_writes == 0) cfg->max_concurrent_writes = 2 * cfg->workers;
    if (cfg->max_concurrent_queries == 0) cfg->max_concurrent_queries = cfg->workers;
}

int net_config_load(net_config *cfg, int argc, char **argv, char **envp, strata_error *err)
{
    const char *path = NULL;
    int rc = scan_meta_flags(cfg, argc, argv, &path, err);
    if (rc != STRATA_OK || cfg->show_help || cfg->show_version) return rc;
    if (path == NULL) path = env_get(envp, "STRATA_CONFIG");
    if (path != NULL && path[0] != '\0') {
        if ((cfg->config_path = strdup(path)) == NULL)
            return strata_error_set(err, STRATA_ENOMEM, "out of memory");
        if ((rc = load_file(cfg, path, err)) != STRATA_OK) return rc;
    }
    if ((rc = load_env(cfg, envp, err)) != STRATA_OK) return rc;
    if ((rc = load_flags(cfg, argc, argv, err)) != STRATA_OK) return rc;
    if ((rc = check(cfg, err)) != STRATA_OK) return rc;
    net_config_resolve(cfg);
    return STRATA_OK;
}

/* ---------------------------------------------------------------------- help */

void net_config_usage(FILE *out, const char *prog)
{
    char env[64];
    fprintf(out,
            "Usage: %s [--config FILE] [flags]\n"
            "\n"
            "stratad is the Strata server: it accepts InfluxDB 1.x line protocol over HTTP\n"
            "(/write, /api/v2/write), raw TCP and UDP, and stores it in the data directory.\n"
            "Every setting comes from, highest first: a flag, its environment variable, the\n"
            "config file, the default. Sizes take k/m/g, KiB/MiB/GiB or KB/MB/GB suffixes;\n"
            "durations take ms, s, m or h.\n"
            "\n"
            "  --config FILE\n      the config file (a TOML subset, see docs/configuration.md)\n"
            "      env STRATA_CONFIG, default none\n"
            "  --help\n      print this help and exit\n"
            "  --version\n      print the version and exit\n",
            prog);
    const char *last = NULL;
    for (size_t i = 0; i < NOPTS; i++) {
        const opt_def *o = &opts[i];
        if (last == NULL || strcmp(last, o->section) != 0) {
            if (o->section[0])
                fprintf(out, "\n[%s]\n", o->section);
            else
                fprintf(out, "\ngeneral\n");
            last = o->section;
        }
        net__env_name(o->flag, env, sizeof env);
        fprintf(out, "  --%s%s%s\n      %s\n      env %s, file %s%s%s%s, default %s\n", o->flag,
                o->arg[0] ? " " : "", o->arg, o->help, env, o->section[0] ? "[" : "", o->section,
                o->section[0] ? "] " : "", o->key,
                o->def == NULL ? "none" : (o->def[0] ? o->def : "\"\""));
    }
}
