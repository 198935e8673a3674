/*
 * net/cq_sched.c: the continuous-query scheduler of stratad (see
 * net/cq_sched.h): a timer on the loop, a job on the worker pool, the
 * runner of query/cq.h doing the work.
 */
#include "net/cq_sched.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "net/net_int.h"
#include "query/cq.h"

/* Delay after each run-interval boundary, so that the window just ended is complete. */
#define CQ_TICK_LAG_MS 5

struct net_cq_sched {
    net_server *srv;
    uv_timer_t timer;
    int timer_open;
    net_job job;
    int in_flight; /* a job is queued or running (loop thread) */
    qry_cq_runner *runner;
    qry_limits lim;
};

/* Milliseconds from now until the next run-interval boundary of the wall clock, plus the lag. */
static uint64_t next_delay_ms(const net_cq_sched *q)
{
    int64_t iv = q->srv->cfg->cq_run_interval_ms;
    int64_t now_ms = strata_now_ns() / 1000000;
    int64_t rem = now_ms % iv;
    if (rem < 0) rem += iv;
    return (uint64_t)(iv - rem + CQ_TICK_LAG_MS);
}

static void cq_work(net_job *j, net_worker *w)
{
    (void)w;
    net_cq_sched *q = NET_CONTAINER_OF(j, net_cq_sched, job);
    strata_error err;
    strata_error_clear(&err);
    int rc = qry_cq_runner_tick(q->runner, strata_now_ns(), NULL, &err);
    if (rc != STRATA_OK && rc != STRATA_ECLOSED)
        strata_log(q->srv->log, STRATA_LOG_WARN, "cq", "continuous queries not run: %s",
                   err.msg[0] ? err.msg : strata_strerror(rc));
}

static void cq_done(net_job *j)
{
    net_cq_sched *q = NET_CONTAINER_OF(j, net_cq_sched, job);
    net_server *s = q->srv;
    q->in_flight = 0;
    s->jobs_inflight--;
    net__maybe_finish(s);
}

static void on_timer(uv_timer_t *h)
{
    net_cq_sched *q = h->data;
    net_server *s = q->srv;
    if (!s->stopping) uv_timer_start(&q->timer, on_timer, next_delay_ms(q), 0);
    if (q->in_flight || s->stopping) return;
    q->in_flight = 1;
    s->jobs_inflight++;
    q->job.work = cq_work;
    q->job.done = cq_done;
    net__pool_submit(&s->pool, &q->job);
}

int net__cq_open(net_server *s, strata_error *err)
{
    const net_config *cfg = s->cfg;
    if (!cfg->cq_enabled) {
        strata_log(s->log, STRATA_LOG_INFO, "cq", "continuous queries disabled (--cq-enabled off)");
        return STRATA_OK;
    }
    net_cq_sched *q = calloc(1, sizeof *q);
    if (q == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    q->srv = s;
    q->lim.threads = 1;
    q->lim.max_series = cfg->query_max_series;
    q->lim.max_points = cfg->query_max_points;
    q->lim.max_buckets = cfg->query_max_buckets;
    q->lim.timeout_ns = cfg->query_timeout_ms * 1000000;
    qry_cq_config rc_cfg;
    memset(&rc_cfg, 0, sizeof rc_cfg);
    rc_cfg.max_catchup_ns = cfg->cq_max_catchup_ms * 1000000;
    /* a catch-up slice must fit in max-select-buckets */
    if (cfg->query_max_buckets > 0 && cfg->query_max_buckets < 10000)
        rc_cfg.slice_windows = (uint32_t)cfg->query_max_buckets;
    rc_cfg.lim = &q->lim;
    rc_cfg.log = s->log;
    rc_cfg.run_level = cfg->cq_log_enabled ? STRATA_LOG_INFO : STRATA_LOG_DEBUG;
    int rc = qry_cq_runner_new(s->eng, &rc_cfg, &q->runner, err);
    if (rc != STRATA_OK) {
        free(q);
        return rc;
    }
    uv_timer_init(&s->loop, &q->timer);
    q->timer.data = q;
    q->timer_open = 1;
    s->cq = q;
    uv_timer_start(&q->timer, on_timer, next_delay_ms(q), 0);
    strata_log(s->log, STRATA_LOG_INFO, "cq",
               "continuous queries: checked every %lld ms, catch-up after a restart up to %lld s",
               (long long)cfg->cq_run_interval_ms, (long long)(cfg->cq_max_catchup_ms / 1000));
    return STRATA_OK;
}

void net__cq_shutdown(net_server *s)
{
    net_cq_sched *q = s->cq;
    if (q == NULL) return;
    qry_cq_runner_cancel(q->runner);
    if (q->timer_open && !uv_is_closing((uv_handle_t *)&q->timer))
        uv_close((uv_handle_t *)&q->timer, NULL);
}

void net__cq_free(net_server *s)
{
    net_cq_sched *q = s->cq;
    if (q == NULL) return;
    qry_cq_runner_free(q->runner);
    free(q);
    s->cq = NULL;
}
