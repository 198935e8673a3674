/*
 * tests/unit/query/test_cq.c: continuous queries (query/cq.h): the window
 * arithmetic against InfluxDB's documented schedules (basic syntax, RESAMPLE
 * EVERY, FOR, both, offsets, times before the epoch), qry_cq_exec() against
 * the same SELECT run by hand, and the runner over a real engine: first run,
 * steady runs, the catch-up after a restart (exactly the missed windows,
 * once), the catch-up limit, slicing, cancellation and dropped queries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "query/api.h"
#include "query/cq.h"
#include "query/parser.h"
#include "storage/catalog.h"
#include "storage/engine.h"
#include "common/fs.h"

#define SEC 1000000000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

/* ---- window arithmetic ---------------------------------------------------------------------- */

static void floor_rounds_towards_minus_infinity(void **state)
{
    (void)state;
    assert_int_equal(qry_cq_floor(0, SEC), 0);
    assert_int_equal(qry_cq_floor(SEC - 1, SEC), 0);
    assert_int_equal(qry_cq_floor(SEC, SEC), SEC);
    assert_int_equal(qry_cq_floor(-1, SEC), -SEC);
    assert_int_equal(qry_cq_floor(-SEC, SEC), -SEC);
    assert_int_equal(qry_cq_floor(-SEC - 1, SEC), -2 * SEC);
    assert_int_equal(qry_cq_floor(INT64_MIN, 7 * SEC), INT64_MIN); /* saturates */
    assert_int_equal(qry_cq_floor(INT64_MAX, 1), INT64_MAX);
    assert_int_equal(qry_cq_floor(12345, 0), 12345);
}

/* The timing of a CREATE CONTINUOUS QUERY text. */
static qry_cq_timing timing(const char *text)
{
    strata_arena a;
    strata_arena_init(&a, 0);
    qry_query *q = NULL;
    strata_error err = {0};
    if (qry_parse(text, strlen(text), NULL, 0, &a, &q, &err) != STRATA_OK)
        fail_msg("parse %s: %s", text, err.msg);
    qry_cq_timing t;
    if (qry_cq_timing_of(&q->stmts[0]->u.cq, &t, &err) != STRATA_OK)
        fail_msg("timing %s: %s", text, err.msg);
    strata_arena_fini(&a);
    return t;
}

#define CQ(resample, groupby)                                                                      \
    "CREATE CONTINUOUS QUERY c ON d " resample                                                     \
    " BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY " groupby " END"

/* A day at 00:00 UTC, far from the epoch (2020-01-01). */
#define DAY0 (1577836800LL * SEC)
#define AT(h, m) (DAY0 + (h)*HOUR + (m)*MIN)

static void expect_window(const qry_cq_timing *t, int has_run, int64_t last, int64_t now, int run,
                          int64_t new_last, int64_t start, int64_t end)
{
    qry_cq_window w;
    qry_cq_schedule(t, has_run, last, now, &w);
    assert_int_equal(w.run, run);
    if (!run) return;
    assert_int_equal(w.last_run, new_last);
    assert_int_equal(w.start, start);
    assert_int_equal(w.end, end);
}

static void timing_reads_interval_offset_and_resample(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("", "time(1h)"));
    assert_int_equal(t.interval_ns, HOUR);
    assert_int_equal(t.offset_ns, 0);
    assert_int_equal(t.every_ns, 0);
    assert_int_equal(t.for_ns, 0);
    t = timing(CQ("RESAMPLE EVERY 30m FOR 2h", "time(1h, 15m), host"));
    assert_int_equal(t.offset_ns, 15 * MIN);
    assert_int_equal(t.every_ns, 30 * MIN);
    assert_int_equal(t.for_ns, 2 * HOUR);
    /* InfluxDB: a duration offset modulo the interval, its sign kept */
    assert_int_equal(timing(CQ("", "time(1h, 75m)")).offset_ns, 15 * MIN);
    assert_int_equal(timing(CQ("", "time(1h, -15m)")).offset_ns, -15 * MIN);
    assert_int_equal(timing(CQ("", "time(1h, -75m)")).offset_ns, -15 * MIN);
    /* a time literal: its distance from the boundary before it */
    assert_int_equal(timing(CQ("", "time(1h, '2020-01-01T05:20:00Z')")).offset_ns, 20 * MIN);
    assert_int_equal(timing(CQ("", "time(1h, '1969-12-31T23:40:00Z')")).offset_ns, 40 * MIN);
}

/* Basic syntax (InfluxDB docs): GROUP BY time(1h) runs at each hour for the hour before. */
static void basic_schedule(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("", "time(1h)"));
    /* first run (created at 10:30): nothing to compute, the run time is remembered */
    expect_window(&t, 0, 0, AT(10, 30), 1, AT(10, 0), AT(10, 0), AT(10, 0));
    /* not due before 11:00 */
    expect_window(&t, 1, AT(10, 0), AT(10, 59), 0, 0, 0, 0);
    /* at 11:00 (the tick comes a little late): [10:00, 11:00) */
    expect_window(&t, 1, AT(10, 0), AT(11, 0) + 5000000, 1, AT(11, 0), AT(10, 0), AT(11, 0));
    /* a first run exactly on the boundary computes the hour before */
    expect_window(&t, 0, 0, AT(11, 0), 1, AT(11, 0), AT(10, 0), AT(11, 0));
    /* a run that comes 3 hours late computes every missed hour */
    expect_window(&t, 1, AT(10, 0), AT(13, 0) + 300, 1, AT(13, 0), AT(10, 0), AT(13, 0));
}

/* GROUP BY time(1h, 15m): runs at :15, windows [h:15, h+1:15). Negative offsets too. */
static void offsets(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("", "time(1h, 15m)"));
    expect_window(&t, 0, 0, AT(10, 30), 1, AT(10, 15), AT(10, 15), AT(10, 15));
    expect_window(&t, 1, AT(10, 15), AT(11, 0), 0, 0, 0, 0);
    expect_window(&t, 1, AT(10, 15), AT(11, 15), 1, AT(11, 15), AT(10, 15), AT(11, 15));
    t = timing(CQ("", "time(1h, -15m)"));
    expect_window(&t, 0, 0, AT(10, 30), 1, AT(9, 45), AT(9, 45), AT(9, 45));
    expect_window(&t, 1, AT(9, 45), AT(10, 45), 1, AT(10, 45), AT(9, 45), AT(10, 45));
}

/* RESAMPLE EVERY 30m, GROUP BY time(1h): at 8:00 [7:00, 8:00), at 8:30 [8:00, 9:00). */
static void resample_every(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("RESAMPLE EVERY 30m", "time(1h)"));
    expect_window(&t, 1, AT(7, 30), AT(8, 0), 1, AT(8, 0), AT(7, 0), AT(8, 0));
    expect_window(&t, 1, AT(8, 0), AT(8, 29), 0, 0, 0, 0);
    expect_window(&t, 1, AT(8, 0), AT(8, 30), 1, AT(8, 30), AT(8, 0), AT(9, 0));
    /* EVERY longer than the interval: FOR defaults to EVERY */
    t = timing(CQ("RESAMPLE EVERY 2h", "time(1h)"));
    expect_window(&t, 1, AT(8, 0), AT(10, 0), 1, AT(10, 0), AT(8, 0), AT(10, 0));
}

/* RESAMPLE FOR 1h, GROUP BY time(30m): at 8:00 [7:00, 8:00), at 8:30 [7:30, 8:30). */
static void resample_for(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("RESAMPLE FOR 1h", "time(30m)"));
    expect_window(&t, 1, AT(7, 30), AT(8, 0), 1, AT(8, 0), AT(7, 0), AT(8, 0));
    expect_window(&t, 1, AT(8, 0), AT(8, 30), 1, AT(8, 30), AT(7, 30), AT(8, 30));
}

/* RESAMPLE EVERY 1h FOR 90m, GROUP BY time(30m): at 8:00 [6:30, 8:00), at 9:00 [7:30, 9:00). */
static void resample_every_and_for(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("RESAMPLE EVERY 1h FOR 90m", "time(30m)"));
    expect_window(&t, 1, AT(7, 0), AT(8, 0), 1, AT(8, 0), AT(6, 30), AT(8, 0));
    expect_window(&t, 1, AT(8, 0), AT(8, 30), 0, 0, 0, 0);
    expect_window(&t, 1, AT(8, 0), AT(9, 0), 1, AT(9, 0), AT(7, 30), AT(9, 0));
}

/* Times before the epoch round down, not towards zero. */
static void negative_times(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("", "time(1h)"));
    expect_window(&t, 0, 0, -HOUR - 30 * MIN, 1, -2 * HOUR, -2 * HOUR, -2 * HOUR);
    expect_window(&t, 1, -2 * HOUR, -HOUR, 1, -HOUR, -2 * HOUR, -HOUR);
    expect_window(&t, 1, -HOUR, 1, 1, 0, -HOUR, 0);
    t = timing(CQ("", "time(1h, 15m)"));
    expect_window(&t, 1, -HOUR + 15 * MIN, 15 * MIN, 1, 15 * MIN, -HOUR + 15 * MIN, 15 * MIN);
}

static void extremes_saturate(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("", "time(1h)"));
    qry_cq_window w;
    qry_cq_schedule(&t, 1, INT64_MAX - 10, INT64_MAX, &w);
    assert_int_equal(w.run, 0); /* last + every overflows: not due, no wrap-around */
    qry_cq_schedule(&t, 0, 0, INT64_MIN, &w);
    assert_int_equal(w.run, 1);
    assert_true(w.end <= w.start || w.start == INT64_MIN);
    qry_cq_schedule(&t, 0, 0, INT64_MAX, &w);
    assert_true(w.start <= w.end);
}

static void catchup_floor(void **state)
{
    (void)state;
    qry_cq_timing t = timing(CQ("", "time(1s)"));
    int64_t now = 1000 * SEC + SEC / 2;
    assert_int_equal(qry_cq_catchup_floor(&t, now, 0), 1000 * SEC);
    assert_int_equal(qry_cq_catchup_floor(&t, now, 10 * SEC), 990 * SEC);
    assert_int_equal(qry_cq_catchup_floor(&t, now, 10 * SEC + 1), 990 * SEC); /* whole windows */
    t = timing(CQ("RESAMPLE FOR 1h", "time(30m)"));
    assert_int_equal(qry_cq_catchup_floor(&t, AT(8, 0), 0), AT(7, 0));
    assert_int_equal(qry_cq_catchup_floor(&t, AT(8, 0), HOUR), AT(6, 0));
}

/* ---- over an engine ------------------------------------------------------------------------- */

static char tmpdir[512];
static stg_engine *eng;

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("STRATA_TEST_TMP");
    if (base == NULL) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/qcq-XXXXXX", base);
    assert_non_null(mkdtemp(tmpdir));
    stg_options o;
    stg_options_default(&o);
    o.dir = tmpdir;
    o.wal_sync = 0;
    o.background = 0;
    o.map_bytes = (size_t)1 << 30;
    strata_error err = {0};
    if (stg_engine_open(&o, &eng, &err) != STRATA_OK) fail_msg("open: %s", err.msg);
    uint32_t id;
    assert_int_equal(stg_db_create(eng, "d", &id, &err), STRATA_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stg_engine_close(eng);
    eng = NULL;
    strata_rm_tree(tmpdir);
    return 0;
}

typedef struct body {
    char *p;
    size_t n, cap;
} body;

static int body_write(void *ctx, const void *p, size_t n)
{
    body *b = ctx;
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

/* The answer to q on database d (caller frees). */
static char *query(const char *q)
{
    body b = {NULL, 0, 0};
    qry_request r;
    memset(&r, 0, sizeof r);
    r.q = q;
    r.q_len = strlen(q);
    r.db = "d";
    r.epoch = "s";
    qry_output out = {body_write, &b};
    const char *ct;
    strata_error err = {0};
    int st = 0;
    assert_int_equal(qry_api_execute(eng, NULL, &r, &out, &st, &ct, &err), STRATA_OK);
    assert_int_equal(st, 200);
    return b.p ? b.p : strdup("");
}

static void run(const char *q)
{
    char *got = query(q);
    if (strstr(got, "\"error\"")) fail_msg("%s: %s", q, got);
    free(got);
}

/* Points m,host=a|b v=<i> at base + i*250ms, i in [0, n). */
static void load(int64_t base, int n)
{
    uint32_t id;
    assert_int_equal(stg_db_lookup(eng, "d", &id), STRATA_OK);
    stg_batch *b;
    assert_int_equal(stg_batch_new(eng, id, &b), STRATA_OK);
    strata_error err = {0};
    for (int i = 0; i < n; i++) {
        stg_tag t = {"host", 4, (i % 2) ? "b" : "a", 1};
        stg_field_in f;
        memset(&f, 0, sizeof f);
        f.key = "v";
        f.key_len = 1;
        f.type = STG_FLOAT;
        f.val = stg_val_from_f64((double)i);
        stg_point_in p = {"m", 1, &t, 1, &f, 1, base + i * (SEC / 4)};
        assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
    }
    stg_write_result res;
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
    stg_batch_free(b);
}

/* An answer without its series names, to compare the rows of two measurements. */
static void drop_names(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (strncmp(r, "\"name\":\"", 8) == 0) {
            const char *e = strchr(r + 8, '"');
            if (e) {
                r = e + 1;
                if (*r == ',') r++;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = 0;
}

/* SELECT of the CQ's output over [a, b) equals the CQ's SELECT run by hand over it. */
static void expect_same(const char *out_meas, int64_t a, int64_t b)
{
    char q1[512], q2[512];
    snprintf(q1, sizeof q1, "SELECT mv, n FROM %s WHERE time >= %lld AND time < %lld GROUP BY host",
             out_meas, (long long)a, (long long)b);
    snprintf(q2, sizeof q2,
             "SELECT mean(v) AS mv, count(v) AS n FROM m WHERE time >= %lld AND time < %lld "
             "GROUP BY time(1s), host fill(none)",
             (long long)a, (long long)b);
    char *got = query(q1), *want = query(q2);
    assert_non_null(strstr(want, "\"values\""));
    drop_names(got);
    drop_names(want);
    if (strcmp(got, want) != 0) fail_msg("CQ output differs\n got: %s\nwant: %s", got, want);
    free(got);
    free(want);
}

static int64_t count_rows(const char *meas)
{
    char q[256];
    snprintf(q, sizeof q, "SELECT count(n) FROM %s", meas);
    char *got = query(q);
    const char *p = strstr(got, "\"values\":[[0,");
    int64_t n = p ? strtoll(p + strlen("\"values\":[[0,"), NULL, 10) : 0;
    free(got);
    return n;
}

#define T0 (1600000000LL * SEC) /* a whole second */

static void exec_matches_hand_select_and_ignores_where_time(void **state)
{
    (void)state;
    load(T0, 40); /* 10 s of data */
    /* the WHERE time condition must be replaced, not intersected (it would select nothing) */
    const char *cq = "CREATE CONTINUOUS QUERY c ON d BEGIN SELECT mean(v) AS mv, count(v) AS n "
                     "INTO d.autogen.out FROM m WHERE time < 0 AND (host = 'a' OR host = 'b') "
                     "GROUP BY time(1s), host END";
    uint64_t written = 0;
    strata_error err = {0};
    assert_int_equal(
        qry_cq_exec(eng, "d", cq, strlen(cq), T0 + 2 * SEC, T0 + 5 * SEC, NULL, &written, &err),
        STRATA_OK);
    assert_int_equal(written, 6); /* 3 windows x 2 hosts */
    expect_same("out", T0 + 2 * SEC, T0 + 5 * SEC);
    assert_int_equal(count_rows("out"), 6); /* nothing outside the range */

    const char *raw = "CREATE CONTINUOUS QUERY r ON d BEGIN SELECT v INTO out2 FROM m GROUP BY "
                      "time(1s) END";
    assert_int_equal(qry_cq_exec(eng, "d", raw, strlen(raw), T0, T0 + SEC, NULL, &written, &err),
                     STRATA_EINVAL);
    assert_string_equal(err.msg, "continuous queries must be aggregate queries");
    assert_int_equal(
        qry_cq_exec(eng, "d", "SHOW DATABASES", 14, T0, T0 + SEC, NULL, &written, &err),
        STRATA_EINVAL);
    assert_int_equal(qry_cq_exec(eng, "d", "SELECT", 6, T0, T0 + SEC, NULL, &written, &err),
                     STRATA_EPARSE);
}

static qry_cq_runner *runner(int64_t max_catchup, uint32_t slice)
{
    qry_cq_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_catchup_ns = max_catchup;
    cfg.slice_windows = slice;
    cfg.run_level = STRATA_LOG_DEBUG;
    qry_cq_runner *r = NULL;
    strata_error err = {0};
    assert_int_equal(qry_cq_runner_new(eng, &cfg, &r, &err), STRATA_OK);
    return r;
}

static qry_cq_stats tick(qry_cq_runner *r, int64_t now)
{
    qry_cq_stats st;
    strata_error err = {0};
    int rc = qry_cq_runner_tick(r, now, &st, &err);
    if (rc != STRATA_OK) fail_msg("tick: %s", err.msg);
    return st;
}

#define CQ_OUT                                                                                     \
    "CREATE CONTINUOUS QUERY c ON d BEGIN SELECT mean(v) AS mv, count(v) AS n INTO out FROM m "    \
    "GROUP BY time(1s), host END"

static void runner_runs_due_windows_and_catches_up_after_restart(void **state)
{
    (void)state;
    load(T0, 4 * 60); /* one minute of data, 4 points a second */
    run(CQ_OUT);
    qry_cq_runner *r = runner(HOUR, 0);
    /* first run: nothing computed (InfluxDB), the run time remembered */
    qry_cq_stats st = tick(r, T0 + 500000000);
    assert_int_equal(st.runs, 0);
    assert_int_equal(count_rows("out"), 0);
    /* not due within the same second */
    st = tick(r, T0 + 900000000);
    assert_int_equal(st.runs, 0);
    /* each second computes the second before */
    for (int i = 1; i <= 3; i++) {
        st = tick(r, T0 + i * SEC + 5000000);
        assert_int_equal(st.runs, 1);
        assert_int_equal(st.written, 2);
    }
    assert_int_equal(count_rows("out"), 6);
    expect_same("out", T0, T0 + 3 * SEC);

    /* "restart": a new runner reads the last run from the catalog and computes [3s, 20s) */
    qry_cq_runner_free(r);
    r = runner(HOUR, 0);
    st = tick(r, T0 + 20 * SEC + 1000);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.written, 34);
    assert_int_equal(count_rows("out"), 40); /* every window once, none twice */
    expect_same("out", T0, T0 + 20 * SEC);
    /* and it goes on as usual */
    st = tick(r, T0 + 21 * SEC + 1000);
    assert_int_equal(st.written, 2);
    qry_cq_runner_free(r);

    /* a restart with a catch-up limit of 5 s after a 20 s gap: [36s, 41s) only */
    r = runner(5 * SEC, 0);
    st = tick(r, T0 + 41 * SEC + 1000);
    assert_int_equal(st.written, 10);
    assert_int_equal(count_rows("out"), 52);
    expect_same("out", T0 + 36 * SEC, T0 + 41 * SEC);
    char *got = query("SELECT count(n) FROM out WHERE time >= 1600000021000000000 AND time < "
                      "1600000036000000000");
    assert_null(strstr(got, "\"values\"")); /* the gap beyond the limit stays empty */
    free(got);
    qry_cq_runner_free(r);

    /* max-catchup 0 is InfluxDB: the first run after a restart computes nothing */
    r = runner(0, 0);
    st = tick(r, T0 + 50 * SEC + 1000);
    assert_int_equal(st.written, 0);
    st = tick(r, T0 + 51 * SEC + 1000);
    assert_int_equal(st.written, 2);
    expect_same("out", T0 + 50 * SEC, T0 + 51 * SEC);
    qry_cq_runner_free(r);
}

static void runner_slices_long_ranges_and_resumes(void **state)
{
    (void)state;
    load(T0, 4 * 30);
    run(CQ_OUT);
    qry_cq_runner *r = runner(HOUR, 0);
    tick(r, T0 + 1000);
    qry_cq_runner_free(r);
    /* a restart 25 s later computes 25 windows in slices of 4: same result as one statement */
    r = runner(HOUR, 4);
    qry_cq_stats st = tick(r, T0 + 25 * SEC + 1000);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.written, 50);
    expect_same("out", T0, T0 + 25 * SEC);
    qry_cq_runner_free(r);

    /* a run-in-progress record resumes after its last finished slice */
    uint32_t id;
    assert_int_equal(stg_db_lookup(eng, "d", &id), STRATA_OK);
    void *val = NULL;
    size_t vlen = 0;
    strata_error err = {0};
    assert_int_equal(stg_catalog_get(eng, id, STG_CAT_CQRUN, "c", 1, &val, &vlen, &err), STRATA_OK);
    assert_int_equal(vlen, 25);
    uint8_t *p = val;
    /* last run 25 s, resume at 27 s: the next run (at 29 s) computes [27 s, 29 s) only */
    int64_t resume = T0 + 27 * SEC;
    strata_put_be64s(p + 17, resume);
    assert_int_equal(stg_catalog_put(eng, id, STG_CAT_CQRUN, "c", 1, val, vlen, &err), STRATA_OK);
    free(val);
    r = runner(HOUR, 4);
    st = tick(r, T0 + 29 * SEC + 1000);
    assert_int_equal(st.written, 4);
    qry_cq_runner_free(r);
}

static void runner_cancel_and_drop(void **state)
{
    (void)state;
    load(T0, 40);
    run(CQ_OUT);
    qry_cq_runner *r = runner(HOUR, 0);
    tick(r, T0 + 1000);
    /* dropped: forgotten, nothing runs */
    run("DROP CONTINUOUS QUERY c ON d");
    qry_cq_stats st = tick(r, T0 + 5 * SEC);
    assert_int_equal(st.runs, 0);
    /* re-created under the same name: a new query, first run again */
    run(CQ_OUT);
    st = tick(r, T0 + 6 * SEC + 1000);
    assert_int_equal(st.runs, 0);
    st = tick(r, T0 + 7 * SEC + 1000);
    assert_int_equal(st.written, 2);
    qry_cq_runner_cancel(r);
    strata_error err = {0};
    assert_int_equal(qry_cq_runner_tick(r, T0 + 8 * SEC + 1000, &st, &err), STRATA_ECLOSED);
    qry_cq_runner_free(r);
}

static void failing_run_is_counted_and_not_retried(void **state)
{
    (void)state;
    load(T0, 40);
    /* a raw query is accepted by CREATE and fails when it runs, as in InfluxDB */
    run("CREATE CONTINUOUS QUERY raw ON d BEGIN SELECT v INTO out3 FROM m GROUP BY time(1s) END");
    qry_cq_runner *r = runner(HOUR, 0);
    tick(r, T0 + 1000);
    qry_cq_stats st = tick(r, T0 + SEC + 1000);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.failures, 1);
    st = tick(r, T0 + SEC + 2000);
    assert_int_equal(st.runs, 0);
    qry_cq_runner_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floor_rounds_towards_minus_infinity),
        cmocka_unit_test(timing_reads_interval_offset_and_resample),
        cmocka_unit_test(basic_schedule),
        cmocka_unit_test(offsets),
        cmocka_unit_test(resample_every),
        cmocka_unit_test(resample_for),
        cmocka_unit_test(resample_every_and_for),
        cmocka_unit_test(negative_times),
        cmocka_unit_test(extremes_saturate),
        cmocka_unit_test(catchup_floor),
        cmocka_unit_test_setup_teardown(exec_matches_hand_select_and_ignores_where_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(runner_runs_due_windows_and_catches_up_after_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(runner_slices_long_ranges_and_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(runner_cancel_and_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_run_is_counted_and_not_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
