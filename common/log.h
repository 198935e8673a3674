/*
 * common/log.h: leveled log lines for operators.
 *
 * A log line is one line on the sink (stderr by default):
 *   2026-11-24T10:00:00.123Z warn  wal: cut torn tail of 000012.wal at offset 4096
 * The sink and the level are a strata_logger value owned by the caller (the
 * server's main, a tool's main, a test). Libraries receive a logger pointer
 * and may be given NULL, in which case they log nothing.
 */
#ifndef STRATA_COMMON_LOG_H
#define STRATA_COMMON_LOG_H

#include <stdio.h>

typedef enum strata_log_level {
    STRATA_LOG_DEBUG = 0,
    STRATA_LOG_INFO = 1,
    STRATA_LOG_WARN = 2,
    STRATA_LOG_ERROR = 3,
    STRATA_LOG_OFF = 4,
} strata_log_level;

typedef struct strata_logger {
    FILE *sink;             /* borrowed; NULL means stderr */
    strata_log_level level; /* lines below this level are dropped */
} strata_logger;

/*
 * Write one line at `level` from subsystem `sys` ("wal", "engine", ...).
 * log may be NULL (nothing is written). Thread-safe: one fprintf per line.
 */
void strata_log(const strata_logger *log, strata_log_level level, const char *sys, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/* Parse "debug", "info", "warn", "error", "off". @return STRATA_OK or STRATA_EINVAL. */
int strata_log_level_parse(const char *s, strata_log_level *out);

#endif
