/*
 * net/cq_sched.h: the server's continuous-query scheduler. A libuv timer on
 * the loop fires every --cq-run-interval (aligned on multiples of it, a few
 * milliseconds after the boundary, so that a CQ with GROUP BY time(1s)
 * computes each second soon after it ends); each firing hands one job to
 * the worker pool, which runs qry_cq_runner_tick() (query/cq.h): the CQs
 * that are due run there, never on the loop. A firing while the previous
 * job still runs is skipped. At shutdown the timer is closed and the runner
 * cancelled; the job in flight (counted in jobs_inflight, which shutdown
 * waits for) stops at its next statement boundary.
 *
 * All four functions run on the loop thread (net_server_open/close are on
 * it). Internal to the net module.
 */
#ifndef STRATA_NET_CQ_SCHED_H
#define STRATA_NET_CQ_SCHED_H

#include "common/error.h"

typedef struct net_server net_server;
typedef struct net_cq_sched net_cq_sched;

/*
 * Create the scheduler of s (s->cq) and start its timer, unless
 * --cq-enabled is off (then s->cq stays NULL and nothing runs).
 * Call after the pool has started. @return STRATA_OK, STRATA_ENOMEM.
 */
int net__cq_open(net_server *s, strata_error *err);

/* Shutdown begins: close the timer, cancel the runner. s->cq may be NULL. */
void net__cq_shutdown(net_server *s);

/* Free the scheduler after the pool stopped and the loop closed. s->cq may be NULL. */
void net__cq_free(net_server *s);

#endif
