/*
 * lineproto/lp_int.h: helpers private to the line-protocol module (number
 * conversion). Not for other modules.
 */
#ifndef STRATA_LINEPROTO_LP_INT_H
#define STRATA_LINEPROTO_LP_INT_H

#include <stddef.h>
#include <stdint.h>

/* Results of the number conversions, mirroring Go's strconv errors. */
enum {
    LP__NUM_OK = 0,
    LP__NUM_SYNTAX = -1, /* "invalid syntax" */
    LP__NUM_RANGE = -2,  /* "value out of range" */
};

/*
 * Convert a decimal float token the way Go's strconv.ParseFloat(s, 64) does
 * for the characters line protocol lets through ([0-9.eE+-]): the whole
 * token must be [-+]?(d+[.d*]|.d+)([eE][-+]?d+)?, the result is correctly
 * rounded, overflow to +-Inf is LP__NUM_RANGE, underflow gives 0 and is
 * fine. Plain decimals of up to 19 significant digits with a mantissa below
 * 2^53 and a power of ten within +-22 take an exact fast path; the rest
 * go through strtod in the C locale.
 */
int lp__parse_f64(const char *s, size_t n, double *out);

/* Go's strconv.ParseInt(s, 10, 64): [-+]?digits, no other characters. */
int lp__parse_i64(const char *s, size_t n, int64_t *out);

/* Go's strconv.ParseUint(s, 10, 64): digits only. */
int lp__parse_u64(const char *s, size_t n, uint64_t *out);

#endif
