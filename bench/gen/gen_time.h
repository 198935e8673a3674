/*
 * bench/gen/gen_time.h: the time syntaxes of the generator's command line,
 * as TSBS accepts them: RFC 3339 timestamps ("2016-01-01T00:00:00Z",
 * "2016-01-01T01:00:00.5+01:00") and Go durations ("10s", "1m30s", "250ms").
 * Pure functions, thread-safe.
 */
#ifndef STRATA_BENCH_GEN_TIME_H
#define STRATA_BENCH_GEN_TIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse an RFC 3339 timestamp into ns since the Unix epoch (UTC). Years
 * 1678..2261 (the int64 nanosecond range). Up to 9 fractional digits.
 * @return STRATA_OK, STRATA_EINVAL (syntax), STRATA_ERANGE (out of range).
 */
int gen_parse_rfc3339(const char *s, int64_t *out_ns);

/*
 * Parse a Go duration: one or more <number><unit> with unit ns, us, µs, ms,
 * s, m, h; the number may have a fraction ("1.5h"). Sign not allowed.
 * @return STRATA_OK, STRATA_EINVAL (syntax), STRATA_ERANGE (overflow).
 */
int gen_parse_duration(const char *s, int64_t *out_ns);

/* Format ns since the epoch as "YYYY-MM-DDTHH:MM:SS[.fffffffff]Z" (NUL-terminated; cap >= 32). */
size_t gen_fmt_rfc3339(char *dst, size_t cap, int64_t ns);

#endif
