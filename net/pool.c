/*
 * net/pool.c: the worker threads. Why not uv_queue_work: libuv's pool is
 * process-wide and sized by an environment variable, and its threads have
 * no per-thread state; ours are sized by --workers and each keeps a
 * line-protocol parser, a storage batch, a zlib stream and scratch arrays
 * that are reused across jobs, so the write path does not allocate per
 * request.
 *
 * Jobs enter a FIFO under `mu`; a worker pops one, runs work(), appends it
 * to the done list and wakes the loop with uv_async_send(), whose callback
 * (net__pool_drain) runs the done() callbacks on the loop thread. Several
 * uv_async_send() calls may coalesce into one callback: drain takes the
 * whole list each time.
 */
#include "net/net_int.h"

#include <stdlib.h>
#include <string.h>

static void *worker_main(void *arg)
{
    net_worker *w = arg;
    net_pool *p = &w->srv->pool;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->head == NULL && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->head == NULL) break; /* stop, and nothing left to do */
        net_job *j = p->head;
        p->head = j->next;
        if (p->head == NULL) p->tail = NULL;
        pthread_mutex_unlock(&p->mu);

        j->work(j, w);

        pthread_mutex_lock(&p->mu);
        j->next = NULL;
        if (p->done_tail)
            p->done_tail->next = j;
        else
            p->done_head = j;
        p->done_tail = j;
        uv_async_send(p->wake);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int net__pool_start(net_pool *p, net_server *srv, uint32_t n, uv_async_t *wake, strata_error *err)
{
    memset(p, 0, sizeof *p);
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        return strata_error_set(err, STRATA_ENOMEM, "cannot create the worker pool's mutex");
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        return strata_error_set(err, STRATA_ENOMEM, "cannot create the worker pool's condition");
    }
    p->wake = wake; /* from here on, net__pool_stop() cleans up */
    p->workers = calloc(n, sizeof *p->workers);
    if (p->workers == NULL) {
        net__pool_stop(p);
        return strata_error_set(err, STRATA_ENOMEM, "out of memory for %u workers", n);
    }
    p->n = n;
    for (uint32_t i = 0; i < n; i++) {
        net_worker *w = &p->workers[i];
        w->srv = srv;
        w->index = i;
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            net__pool_stop(p);
            return strata_error_set(err, strata_code_from_errno(rc),
                                    "cannot start worker thread %u of %u: %s", i + 1, n,
                                    strerror(rc));
        }
        p->started++;
    }
    return STRATA_OK;
}

void net__pool_submit(net_pool *p, net_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void net__pool_drain(net_pool *p)
{
    pthread_mutex_lock(&p->mu);
    net_job *j = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    while (j != NULL) {
        net_job *next = j->next; /* done() may reuse j */
        j->done(j);
        j = next;
    }
}

void net__pool_stop(net_pool *p)
{
    if (p->wake == NULL) return; /* never started */
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; i < p->started; i++)
        pthread_join(p->workers[i].thread, NULL);
    for (uint32_t i = 0; p->workers && i < p->n; i++)
        net__ingest_worker_fini(&p->workers[i]);
    free(p->workers);
    p->workers = NULL;
    p->started = p->n = 0;
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    p->wake = NULL;
}
