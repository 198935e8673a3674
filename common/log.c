/*
 * common/log.c: one formatted line per call, with a UTC timestamp, so that
 * concurrent threads never interleave within a line.
 */
#include "common/log.h"
#include "common/error.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *level_name(strata_log_level l)
{
    switch (l) {
    case STRATA_LOG_DEBUG:
        return "debug";
    case STRATA_LOG_INFO:
        return "info ";
    case STRATA_LOG_WARN:
        return "warn ";
    case STRATA_LOG_ERROR:
        return "error";
    default:
        return "?    ";
    }
}

void strata_log(const strata_logger *log, strata_log_level level, const char *sys, const char *fmt,
                ...)
{
    char line[1024], stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    size_t n;

    if (log == NULL || level < log->level || log->level >= STRATA_LOG_OFF) return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    n = (size_t)snprintf(line, sizeof line, "%s.%03ldZ %s %s: ", stamp, ts.tv_nsec / 1000000,
                         level_name(level), sys);
    if (n < sizeof line) {
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
    }
    fprintf(log->sink ? log->sink : stderr, "%s\n", line);
    fflush(log->sink ? log->sink : stderr);
}

int strata_log_level_parse(const char *s, strata_log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (strata_log_level)i;
            return STRATA_OK;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = STRATA_LOG_WARN;
        return STRATA_OK;
    }
    return STRATA_EINVAL;
}
