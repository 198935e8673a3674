/*
 * query/meta_queries.c: the running queries of this process, for SHOW
 * QUERIES and KILL QUERY, as InfluxDB 1.6 keeps them:
 *   - every request that parses gets the next query id (from 1) and is
 *     listed with its statements as InfluxQL joined by ";\n", the request's
 *     database, its age (truncated to the second, millisecond or
 *     microsecond, written as Go writes a duration) and "running" (or
 *     "killed");
 *   - the statement text is formatted only when SHOW QUERIES lists the
 *     request (under the registry's lock, from the parsed query, which the
 *     request keeps alive until qry__task_end()), not on every request;
 *   - KILL QUERY n marks query n: its statement fails with "query
 *     interrupted" at its next budget check; an unknown id is "no such
 *     query id: n". The ON host part is ignored (one server).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "query/meta_int.h"

struct qry_task {
    uint64_t qid;
    const qry_query *q; /* borrowed until qry__task_end(); formatted by SHOW QUERIES */
    const char *db;     /* borrowed likewise; never NULL */
    int64_t start_mono;
    int killed; /* atomic */
    struct qry_task *prev, *next;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static qry_task *g_head;
static uint64_t g_next_qid = 1;

qry_task *qry__task_begin(const qry_query *q, const char *db)
{
    qry_task *t = calloc(1, sizeof *t);
    if (t == NULL) return NULL;
    t->q = q;
    t->db = db ? db : "";
    t->start_mono = strata_mono_ns();
    pthread_mutex_lock(&g_mu);
    t->qid = g_next_qid++;
    t->next = g_head;
    if (g_head) g_head->prev = t;
    g_head = t;
    pthread_mutex_unlock(&g_mu);
    return t;
}

void qry__task_end(qry_task *t)
{
    if (t == NULL) return;
    pthread_mutex_lock(&g_mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        g_head = t->next;
    if (t->next) t->next->prev = t->prev;
    pthread_mutex_unlock(&g_mu);
    free(t);
}

int qry__task_killed(const qry_task *t)
{
    return t && __atomic_load_n(&t->killed, __ATOMIC_RELAXED);
}

size_t qry__go_duration(int64_t d, char *buf, size_t cap)
{
    if (d == 0) return (size_t)snprintf(buf, cap, "0s");
    if (d < 1000) return (size_t)snprintf(buf, cap, "%lldns", (long long)d);
    if (d < 1000000) {
        /* whole microseconds here (the caller truncates) */
        if (d % 1000 == 0)
            return (size_t)snprintf(buf, cap, "%lld\xc2\xb5s", (long long)(d / 1000));
        char f[8];
        snprintf(f, sizeof f, "%03lld", (long long)(d % 1000));
        for (int i = 2; i > 0 && f[i] == '0'; i--)
            f[i] = 0;
        return (size_t)snprintf(buf, cap, "%lld.%s\xc2\xb5s", (long long)(d / 1000), f);
    }
    if (d < 1000000000) {
        if (d % 1000000 == 0) return (size_t)snprintf(buf, cap, "%lldms", (long long)(d / 1000000));
        char f[8];
        snprintf(f, sizeof f, "%06lld", (long long)(d % 1000000));
        for (int i = 5; i > 0 && f[i] == '0'; i--)
            f[i] = 0;
        return (size_t)snprintf(buf, cap, "%lld.%sms", (long long)(d / 1000000), f);
    }
    int64_t s = d / 1000000000, frac = d % 1000000000;
    char fs[16] = "";
    if (frac) {
        snprintf(fs, sizeof fs, ".%09lld", (long long)frac);
        for (int i = 9; i > 1 && fs[i] == '0'; i--)
            fs[i] = 0;
    }
    int64_t h = s / 3600, m = s / 60 % 60, sec = s % 60;
    if (h)
        return (size_t)snprintf(buf, cap, "%lldh%lldm%lld%ss", (long long)h, (long long)m,
                                (long long)sec, fs);
    if (m) return (size_t)snprintf(buf, cap, "%lldm%lld%ss", (long long)m, (long long)sec, fs);
    return (size_t)snprintf(buf, cap, "%lld%ss", (long long)sec, fs);
}

typedef struct task_row {
    uint64_t qid;
    char *text, *db;
    int64_t age;
    int killed;
} task_row;

static int row_cmp(const void *a, const void *b)
{
    const task_row *x = a, *y = b;
    return x->qid < y->qid ? -1 : x->qid > y->qid;
}

int qry__show_queries(qry_ctx *c)
{
    int64_t now = strata_mono_ns();
    size_t n = 0, cap = 16;
    task_row *rows = malloc(cap * sizeof *rows);
    int rc = rows ? STRATA_OK : STRATA_ENOMEM;
    pthread_mutex_lock(&g_mu);
    for (qry_task *t = g_head; t && rc == STRATA_OK; t = t->next) {
        if (n == cap) {
            task_row *nr = realloc(rows, 2 * cap * sizeof *rows);
            if (nr == NULL) {
                rc = STRATA_ENOMEM;
                break;
            }
            rows = nr;
            cap *= 2;
        }
        task_row *r = &rows[n];
        r->qid = t->qid;
        /* Formatted here, under the lock that keeps t and its query alive. */
        size_t tn = qry_query_format(t->q, QRY_FMT_INFLUX, NULL, 0);
        r->text = qry__alloc(c, tn + 1);
        if (r->text != NULL) qry_query_format(t->q, QRY_FMT_INFLUX, r->text, tn + 1);
        r->db = qry__strndup(c, t->db, strlen(t->db));
        r->age = now - t->start_mono;
        r->killed = qry__task_killed(t);
        if (r->text == NULL || r->db == NULL) rc = STRATA_ENOMEM;
        n++;
    }
    pthread_mutex_unlock(&g_mu);
    if (rc != STRATA_OK) {
        free(rows);
        return qry__fail(c, STRATA_ENOMEM, "out of memory");
    }
    qsort(rows, n, sizeof *rows, row_cmp);
    static const char *const cols[] = {"qid", "query", "database", "duration", "status"};
    rc = qry__meta_series(c, "", 0, cols, 5);
    for (size_t i = 0; i < n && rc == STRATA_OK; i++) {
        int64_t d = rows[i].age < 0 ? 0 : rows[i].age;
        if (d >= 1000000000)
            d -= d % 1000000000;
        else if (d >= 1000000)
            d -= d % 1000000;
        else if (d >= 1000)
            d -= d % 1000;
        char dur[64];
        size_t dl = qry__go_duration(d, dur, sizeof dur);
        const char *st = rows[i].killed ? "killed" : "running";
        qry_val v[5] = {qry_val_i((int64_t)rows[i].qid),
                        qry_val_s(rows[i].text, strlen(rows[i].text)),
                        qry_val_s(rows[i].db, strlen(rows[i].db)), qry_val_s(dur, dl),
                        qry_val_s(st, strlen(st))};
        rc = qry__meta_row(c, v);
    }
    qry_writer_series_end(c->w);
    free(rows);
    return rc;
}

int qry__kill_query(qry_ctx *c, uint64_t qid)
{
    int found = 0;
    pthread_mutex_lock(&g_mu);
    for (qry_task *t = g_head; t; t = t->next)
        if (t->qid == qid) {
            __atomic_store_n(&t->killed, 1, __ATOMIC_RELAXED);
            found = 1;
            break;
        }
    pthread_mutex_unlock(&g_mu);
    if (!found)
        return qry__fail(c, STRATA_ENOTFOUND, "no such query id: %llu", (unsigned long long)qid);
    return STRATA_OK;
}
