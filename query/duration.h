/*
 * query/duration.h: InfluxQL duration literals ("10s", "1h30m", "5µ", "2w")
 * to and from nanoseconds.
 *
 * A duration is one or more <digits><unit> groups, optionally preceded by
 * '-' (only bound parameters carry a sign; in query text the minus is an
 * operator). Units: ns, u or µ (microseconds), ms, s, m, h, d, w. The groups
 * are summed, so "1h30m" is 5400 s. The text form written by
 * qry_duration_format() uses the largest unit that divides the value ("90m",
 * "1w", "1500ms", "0s"), which parses back to the same value.
 *
 * Pure functions: thread-safe, no allocation.
 */
#ifndef STRATA_QUERY_DURATION_H
#define STRATA_QUERY_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Room for any qry_duration_format() output, NUL included. */
#define QRY_DURATION_FMT_MAX 24

/*
 * Parse s[0..len) as a duration.
 *
 * On failure err (optional) gets InfluxDB's text, without position:
 * "invalid duration", or "overflowed duration 3000000h: choose a smaller
 * duration or INF" when the value does not fit in int64 nanoseconds.
 *
 * @return STRATA_OK, STRATA_EINVAL (malformed), STRATA_ERANGE (overflow)
 */
int qry_duration_parse(const char *s, size_t len, int64_t *out_ns, strata_error *err);

/*
 * Write the canonical text of ns into buf (at least QRY_DURATION_FMT_MAX bytes).
 * @return the length written, excluding the NUL.
 */
size_t qry_duration_format(int64_t ns, char *buf);

#endif
