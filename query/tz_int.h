/*
 * query/tz_int.h: time zones for tz('...') clauses, internal to the query
 * module.
 *
 * A zone is read from the system's TZif files (/usr/share/zoneinfo) the way
 * Go's time.LoadLocation reads them (InfluxDB resolves tz() with it): the
 * 64-bit transition table, the first standard zone before the first
 * transition, and the POSIX TZ rule of the file's footer after the last
 * transition. "UTC" and "" are UTC, "Local" is /etc/localtime.
 *
 * A loaded zone is immutable: offsets may be looked up from any thread.
 */
#ifndef STRATA_QUERY_TZ_INT_H
#define STRATA_QUERY_TZ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct qry_tz qry_tz;

/*
 * Load zone name (len bytes). *out is the caller's, freed with
 * qry__tz_free(). For UTC *out is still a valid zone (offset 0).
 * @return STRATA_OK, STRATA_ENOTFOUND (no such zone: err has InfluxDB's
 *         "unable to find time zone X"), STRATA_ECORRUPT (unreadable file),
 *         STRATA_ENOMEM
 */
int qry__tz_load(const char *name, size_t len, qry_tz **out, strata_error *err);

void qry__tz_free(qry_tz *tz);

/* Offset from UTC in seconds at the instant unix_sec (UTC). */
int32_t qry__tz_offset(const qry_tz *tz, int64_t unix_sec);

/* Same for an instant in nanoseconds; the offset returned in nanoseconds. */
int64_t qry__tz_offset_ns(const qry_tz *tz, int64_t ns);

/* 1 when the zone is UTC (offset always 0). */
int qry__tz_is_utc(const qry_tz *tz);

#endif
