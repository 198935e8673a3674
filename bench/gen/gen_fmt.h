/*
 * bench/gen/gen_fmt.h: number formatting for the generator's text output.
 *
 * Why: formatting numbers is most of the cost of producing line protocol,
 * and printf is both slow and locale-dependent. Integers are written with a
 * two-digit table; floats the way TSBS's InfluxDB serializer writes them
 * (Go's strconv.AppendFloat(v, 'f', -1, 64)): the shortest decimal that
 * reads back as the same double, in plain notation without an exponent
 * ("0", "100", "0.1", "33.333333333333336", "0.00001").
 *
 * The float formatter has an exact fast path (128-bit integer arithmetic) for
 * 1e-4 <= |x| < 1e15, which covers every float the generator emits, and a
 * slow exact path (printf + strtod) for everything else. gen_check.c compares
 * the two paths on random values.
 *
 * All functions write into caller buffers without a NUL and return the byte
 * count. They are pure and thread-safe.
 */
#ifndef STRATA_BENCH_GEN_FMT_H
#define STRATA_BENCH_GEN_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest output of gen_fmt_i64 / gen_fmt_u64. */
#define GEN_FMT_INT_MAX 20
/* Longest output of gen_fmt_f64 ("-0." + 323 zeros + 1 digit for the smallest subnormal). */
#define GEN_FMT_F64_MAX 352

size_t gen_fmt_u64(char *dst, uint64_t v);
size_t gen_fmt_i64(char *dst, int64_t v);

/* Shortest round-trip decimal of x in plain notation; "NaN", "+Inf", "-Inf" as Go. */
size_t gen_fmt_f64(char *dst, double x);

/* Same output as gen_fmt_f64, always by the slow path (reference for checks). */
size_t gen_fmt_f64_slow(char *dst, double x);

#endif
