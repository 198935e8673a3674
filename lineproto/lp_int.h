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
 * 2^53 and a power of ten within +-22 take an exact fast path; other decimals of at most 19
 * significant digits take the Eisel-Lemire algorithm (a 64x128-bit product with a table of powers
 * of ten, exact or it gives up); what remains (more digits, ambiguous halfway cases, subnormals,
 * overflow) goes through strtod in the C locale.
 */
int lp__parse_f64(const char *s, size_t n, double *out);

/* Range and table of the Eisel-Lemire step (lp_pow10.c, generated). */
#define LP__POW10_MIN (-348)
#define LP__POW10_MAX 347
extern const uint64_t lp__pow10_128[LP__POW10_MAX - LP__POW10_MIN + 1][2];

/*
 * The double nearest to m * 10^exp10 (m has at most 19 digits), correctly
 * rounded, by the exact fast path or Eisel-Lemire. @return 1 with *out set,
 * or 0 when neither can decide (then use lp__parse_f64 on the text).
 */
int lp__f64_from_decimal(uint64_t m, int exp10, double *out);

/* Go's strconv.ParseInt(s, 10, 64): [-+]?digits, no other characters. */
int lp__parse_i64(const char *s, size_t n, int64_t *out);

/* Go's strconv.ParseUint(s, 10, 64): digits only. */
int lp__parse_u64(const char *s, size_t n, uint64_t *out);

#endif
