/*
 * query/time_lit.h: InfluxQL time literals (the strings compared with
 * `time`) to nanoseconds since the Unix epoch.
 *
 * InfluxDB treats a string as a time literal when it starts with a date
 * "YYYY-MM-DD". Accepted forms, as InfluxDB 1.6 accepts them:
 *   "2006-01-02"                        midnight of that day
 *   "2006-01-02 15:04:05[.fraction]"    no zone
 *   "2006-01-02T15:04:05[.fraction]Z"   RFC 3339, or with "+07:00"/"-07:00"
 * The hour may have one or two digits; a fraction may have any number of
 * digits, beyond nine they are ignored. Days are checked against the month.
 * Forms without a zone are read as UTC and reported as `local`, so that an
 * executor honouring tz('...') can shift them by the zone's offset.
 *
 * Pure functions: thread-safe, no allocation.
 */
#ifndef STRATA_QUERY_TIME_LIT_H
#define STRATA_QUERY_TIME_LIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * True if s[0..len) looks like a time literal (starts with YYYY-MM-DD and,
 * for the date-and-time form, has something other than a newline after it).
 * Such a string that then fails qry_time_parse() is an invalid timestamp.
 */
bool qry_time_looks_like(const char *s, size_t len);

/*
 * Parse a time literal. *out_ns receives nanoseconds since the epoch (UTC);
 * *local (optional) is set when the text had no zone.
 *
 * @return STRATA_OK, STRATA_EINVAL (not a valid time literal),
 *         STRATA_ERANGE (valid but outside 1677-09-21 .. 2262-04-11)
 */
int qry_time_parse(const char *s, size_t len, int64_t *out_ns, bool *local);

#endif
