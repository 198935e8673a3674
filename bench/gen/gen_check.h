/*
 * bench/gen/gen_check.h: the generator's self-check (`strata-gen --check`).
 *
 * Why here and not in tests/unit: the unit test harness links only module
 * libraries, and bench/gen is not one; so the checks live with the generator
 * and tests/gen/check_gen.sh runs them (and loads the output into a real
 * InfluxDB 1.6.7 to compare counts).
 *
 * What is checked, on the run that the options describe:
 *  1. number formatting: known answers for integers and floats, and the fast
 *     float path against the slow exact one on random values, every output
 *     read back bit-exact;
 *  2. text against structured form: every text line equals the structured
 *     point formatted by gen_point_format(), and parsing the line gives back
 *     the same tags, field types and values;
 *  3. model invariants: timestamps on the epoch grid within [start, end),
 *     value ranges (cpu in [0,100], clamps), monotonic counters never
 *     decrease, constant fields stay constant, disk and mem identities;
 *  4. counts: produced lines and values equal gen_plan();
 *  5. determinism: a second run in odd-sized batches gives the same bytes,
 *     another seed gives different bytes, and devops's cpu lines equal
 *     cpu-only's (devops-float's equal cpu-float's); gauges show no more
 *     decimals than their field reports.
 * Memory grows with the scale (monotonic tracking for the first 4096 hosts);
 * time is a few times that of generating the run. Meant for small runs.
 */
#ifndef STRATA_BENCH_GEN_CHECK_H
#define STRATA_BENCH_GEN_CHECK_H

#include <stdio.h>

#include "bench/gen/gen.h"

/*
 * Run every check for the run o. Progress and the final counts go to report
 * as "key=value" lines (lines=, values=, bytes=, and per measurement). When
 * data is not NULL the text of the run is also written to it.
 *
 * @return STRATA_OK when every check passed; STRATA_EINTERNAL when one
 *         failed (err says which line and what); the codes of gen_open();
 *         STRATA_ENOMEM; STRATA_EIO when writing data failed.
 */
int gen_check_run(const gen_opts *o, FILE *report, FILE *data, strata_error *err);

#endif
