/*
 * common/clock.h: wall-clock and monotonic time in nanoseconds.
 */
#ifndef STRATA_COMMON_CLOCK_H
#define STRATA_COMMON_CLOCK_H

#include <stdint.h>

/* Wall-clock time since the Unix epoch, in nanoseconds (CLOCK_REALTIME). */
int64_t strata_now_ns(void);

/* Monotonic time in nanoseconds, for durations and deadlines. */
int64_t strata_mono_ns(void);

#endif
