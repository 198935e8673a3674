/*
 * query/cq.h: continuous queries (CREATE CONTINUOUS QUERY ... BEGIN SELECT
 * ... INTO ... GROUP BY time(...) END) as InfluxDB 1.x schedules and runs
 * them, plus what Strata adds: the last run is persisted, so that windows
 * missed while the server was down are computed at the next start.
 *
 * Three parts:
 *   - the window arithmetic (qry_cq_schedule): pure functions, InfluxDB's
 *     services/continuous_querier rules: a CQ runs at every RESAMPLE EVERY
 *     boundary (default: the GROUP BY interval), aligned on the GROUP BY
 *     offset, and computes the windows [now - FOR, now) truncated to the
 *     interval (FOR defaults to the interval, or to EVERY when EVERY is
 *     longer);
 *   - the runner (qry_cq_runner): reads the definitions from the engine's
 *     catalog (storage/catalog.h, kind STG_CAT_CQ, written by CREATE
 *     CONTINUOUS QUERY in query/meta_cq.c), keeps each CQ's last run in
 *     memory and in the catalog (kind STG_CAT_CQRUN), and runs the due ones
 *     as SELECT ... INTO over their window through the same code as a
 *     /query SELECT INTO (query/exec_into.c);
 *   - qry_cq_exec(): one window of one CQ, for the runner and for tests.
 *
 * The scheduler that calls qry_cq_runner_tick() periodically lives in the
 * server (net/cq_sched.c); nothing here owns a thread or a timer.
 */
#ifndef STRATA_QUERY_CQ_H
#define STRATA_QUERY_CQ_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "query/api.h"
#include "query/ast.h"
#include "storage/engine.h"

/* ---- window arithmetic ---------------------------------------------------------------------- */

/* When a continuous query runs, from its statement. */
typedef struct qry_cq_timing {
    int64_t interval_ns; /* GROUP BY time() interval, > 0 */
    int64_t offset_ns;   /* GROUP BY offset, in (-interval, interval), as InfluxDB's
                            GroupByOffset(): a duration modulo the interval (sign kept), a time
                            literal's distance from the interval boundary before it */
    int64_t every_ns;    /* RESAMPLE EVERY, 0 when not given */
    int64_t for_ns;      /* RESAMPLE FOR, 0 when not given */
} qry_cq_timing;

/* One scheduling decision of qry_cq_schedule(). */
typedef struct qry_cq_window {
    int run;          /* 1: the CQ is due now; remember last_run */
    int64_t last_run; /* when run: the run time to remember (now aligned down on EVERY) */
    int64_t start;    /* when run: the time range to compute, [start, end); nothing to */
    int64_t end;      /* compute when end <= start */
} qry_cq_window;

/*
 * t rounded down to a multiple of d (d > 0), towards minus infinity, with
 * the epoch as origin. Saturates at INT64_MIN. Thread-safe, pure.
 */
int64_t qry_cq_floor(int64_t t, int64_t d);

/*
 * The timing of a CREATE CONTINUOUS QUERY statement.
 * @return STRATA_OK; STRATA_EINVAL (no GROUP BY time() interval, or a bad
 *         offset: err says so).
 */
int qry_cq_timing_of(const qry_cq_stmt *cq, qry_cq_timing *out, strata_error *err);

/*
 * InfluxDB's decision at time now for a CQ that last ran at last_run
 * (has_run 0: never ran in this process, which InfluxDB treats as due now):
 *   due       when !has_run or last_run + EVERY <= now, with next = now
 *             when !has_run, else last_run + EVERY;
 *   last_run  floor(now - offset, EVERY) + offset;
 *   start     floor(next + interval - FOR - offset - 1, interval) + offset;
 *   end       floor(now + interval - min(EVERY, interval) - offset, interval) + offset;
 * where EVERY defaults to the interval, FOR to the interval (to EVERY when
 * EVERY is longer). Because start derives from the missed run time `next`,
 * a run that comes late covers every window since the previous run.
 * Pure, thread-safe; arithmetic saturates instead of overflowing.
 */
void qry_cq_schedule(const qry_cq_timing *t, int has_run, int64_t last_run, int64_t now,
                     qry_cq_window *out);

/*
 * The earliest start Strata computes in the first run after a restart:
 * the start a first-ever run at now would use, moved back by max_catchup_ns
 * rounded down to whole intervals. max_catchup_ns 0 gives InfluxDB's
 * behaviour (nothing missed while down is computed). Pure, thread-safe.
 */
int64_t qry_cq_catchup_floor(const qry_cq_timing *t, int64_t now, int64_t max_catchup_ns);

/* ---- one window ----------------------------------------------------------------------------- */

/*
 * Run the continuous query `text` (a CREATE CONTINUOUS QUERY statement as
 * stored by CREATE, canonical InfluxQL) of database db over [start, end):
 * its SELECT with every time condition of its WHERE replaced by
 * time >= start AND time < end (as InfluxDB's SetTimeRange), executed as a
 * SELECT INTO with db as the default database. *written receives the
 * number of points written (0 after a failure, although what was written
 * before it stays). lim may be NULL (no limits).
 *
 * Threads: any thread; several at once on one engine.
 * @return STRATA_OK; STRATA_EPARSE (text does not parse); STRATA_EINVAL (text is
 *         not a CREATE CONTINUOUS QUERY,
 *         a raw (non-aggregate) query: "continuous queries must be aggregate
 *         queries", or the SELECT fails to plan); STRATA_ENOTFOUND
 *         (database or retention policy not found); STRATA_ETYPE (partial
 *         write); STRATA_ELIMIT; STRATA_ENOMEM; STRATA_EIO; err holds
 *         InfluxDB's message.
 */
int qry_cq_exec(stg_engine *e, const char *db, const char *text, size_t len, int64_t start,
                int64_t end, const qry_limits *lim, uint64_t *written, strata_error *err);

/* ---- the runner ----------------------------------------------------------------------------- */

typedef struct qry_cq_runner qry_cq_runner;

typedef struct qry_cq_config {
    /* After a restart, compute the windows missed while down, at most this far back before
     * the window a first run computes; 0: none (InfluxDB 1.x). */
    int64_t max_catchup_ns;
    /* Most GROUP BY windows one executed statement covers; a longer range (a catch-up) runs
     * as several statements, its progress saved after each. 0: 10000. */
    uint32_t slice_windows;
    const qry_limits *lim;      /* limits of each statement; NULL: none. Borrowed. */
    const strata_logger *log;   /* NULL: no log lines. Borrowed. */
    strata_log_level run_level; /* level of the line logged per run (failures: warn) */
} qry_cq_config;

/* What one qry_cq_runner_tick() did. */
typedef struct qry_cq_stats {
    uint32_t runs;     /* CQ runs that computed a non-empty range */
    uint32_t failures; /* runs that failed (logged at warn) */
    uint64_t written;  /* points written */
} qry_cq_stats;

/*
 * A runner over engine e. cfg is copied; its pointers are borrowed and
 * must outlive the runner.
 * Ownership: *out is the caller's; free with qry_cq_runner_free().
 * @return STRATA_OK, STRATA_ENOMEM
 */
int qry_cq_runner_new(stg_engine *e, const qry_cq_config *cfg, qry_cq_runner **out,
                      strata_error *err);

/* Free r (NULL allowed). No tick may be running. */
void qry_cq_runner_free(qry_cq_runner *r);

/*
 * Run every continuous query of every database that is due at now_ns
 * (wall clock, ns since the epoch), in database then creation order, and
 * record each run's time in the catalog. A failing run is logged and
 * counted, and its windows are not retried (as in InfluxDB); a run
 * interrupted by qry_cq_runner_cancel() is not recorded, so it is redone
 * at the next start. st may be NULL.
 *
 * Threads: one tick at a time per runner (calls are serialised by a
 * mutex); it blocks for as long as the runs take.
 * @return STRATA_OK; STRATA_ECLOSED (cancelled); STRATA_ENOMEM, STRATA_EIO
 *         (the catalog could not be read; err says why).
 */
int qry_cq_runner_tick(qry_cq_runner *r, int64_t now_ns, qry_cq_stats *st, strata_error *err);

/*
 * Make the running tick (if any) and every later one stop at the next
 * statement boundary. Thread-safe, lock-free.
 */
void qry_cq_runner_cancel(qry_cq_runner *r);

#endif
