/*
 * The executor against a real engine in a temporary directory: points are
 * written through stg_batch_*, queries run through qry_api_execute() and the
 * answers compared as text with what InfluxDB 1.6.7 sends (the expected
 * strings were taken from a real InfluxDB on the same data). Also: request
 * errors and their status codes, limits, and a randomised check (fixed,
 * printed seed) that GROUP BY time() aggregates answered from chunk
 * statistics equal a direct computation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "query/api.h"
#include "query/exec_int.h"
#include "query/parser.h"
#include "storage/engine.h"
#include "common/fs.h"

#define SEC 1000000000LL

static char tmpdir[512];
static stg_engine *eng;

static stg_engine *open_engine(uint32_t chunk_points)
{
    stg_options o;
    stg_options_default(&o);
    o.dir = tmpdir;
    o.wal_sync = 0;
    o.background = 0;
    o.map_bytes = (size_t)1 << 30;
    o.chunk_max_points = chunk_points;
    stg_engine *e = NULL;
    strata_error err = {0};
    if (stg_engine_open(&o, &e, &err) != STRATA_OK) fail_msg("open: %s", err.msg);
    return e;
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("STRATA_TEST_TMP");
    if (base == NULL) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/qexec-XXXXXX", base);
    assert_non_null(mkdtemp(tmpdir));
    eng = open_engine(64);
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

/* Write one point: measurement, "k=v,k=v" tags, one float or int field. */
static void put(const char *db, const char *meas, const char *tags, const char *field, int is_int,
                double v, int64_t ts)
{
    uint32_t id;
    strata_error err = {0};
    if (stg_db_lookup(eng, db, &id) != STRATA_OK)
        assert_int_equal(stg_db_create(eng, db, &id, &err), STRATA_OK);
    stg_tag t[4];
    char tb[256];
    size_t nt = 0;
    snprintf(tb, sizeof tb, "%s", tags);
    for (char *p = tb; *p && nt < 4;) {
        char *eq = strchr(p, '=');
        char *comma = strchr(p, ',');
        *eq = 0;
        if (comma) *comma = 0;
        t[nt].key = p;
        t[nt].key_len = (uint32_t)strlen(p);
        t[nt].val = eq + 1;
        t[nt].val_len = (uint32_t)strlen(eq + 1);
        nt++;
        if (!comma) break;
        p = comma + 1;
    }
    stg_field_in f = {field,
                      (uint32_t)strlen(field),
                      is_int ? STG_INT : STG_FLOAT,
                      is_int ? (uint64_t)(int64_t)v : stg_val_from_f64(v),
                      NULL,
                      0};
    stg_point_in p = {meas, (uint32_t)strlen(meas), t, (uint32_t)nt, &f, 1, ts};
    stg_batch *b;
    assert_int_equal(stg_batch_new(eng, id, &b), STRATA_OK);
    assert_int_equal(stg_batch_add(b, &p, &err), STRATA_OK);
    stg_write_result res;
    assert_int_equal(stg_batch_commit(b, &res, &err), STRATA_OK);
    stg_batch_free(b);
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

/* Run q on db; *status gets the HTTP status. The caller frees the result. */
static char *query_opts(const char *db, const char *q, int *status, const qry_limits *lim,
                        const char *epoch, int chunked, size_t chunk_size)
{
    body b = {NULL, 0, 0};
    qry_request r;
    memset(&r, 0, sizeof r);
    r.q = q;
    r.q_len = strlen(q);
    r.db = db;
    r.epoch = epoch;
    r.chunked = chunked;
    r.chunk_size = chunk_size;
    r.now_ns = 1500000000LL * SEC;
    qry_output out = {body_write, &b};
    const char *ct;
    strata_error err = {0};
    int st = 0;
    assert_int_equal(qry_api_execute(eng, lim, &r, &out, &st, &ct, &err), STRATA_OK);
    if (status) *status = st;
    return b.p ? b.p : strdup("");
}

static void expect(const char *db, const char *q, const char *want)
{
    int st;
    char *got = query_opts(db, q, &st, NULL, NULL, 0, 0);
    if (strcmp(got, want) != 0) fail_msg("query: %s\n got: %s\nwant: %s", q, got, want);
    free(got);
}

static void load_small(void)
{
    put("db", "cpu", "host=a,region=us", "value", 0, 1.5, 1451606400 * SEC);
    put("db", "cpu", "host=b,region=eu", "value", 0, 2.25, 1451606410 * SEC);
    put("db", "cpu", "host=a,region=us", "value", 0, 3, 1451606420 * SEC + 500000000);
    put("db", "mem", "host=a", "free", 1, 10, 1451606400 * SEC);
}

static void raw_and_aggregates_match_influxdb(void **state)
{
    (void)state;
    load_small();
    expect("db", "select * from cpu",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
           "\"host\",\"region\",\"value\"],\"values\":[[\"2016-01-01T00:00:00Z\",\"a\",\"us\",1.5],"
           "[\"2016-01-01T00:00:10Z\",\"b\",\"eu\",2.25],[\"2016-01-01T00:00:20.5Z\",\"a\",\"us\","
           "3]]}]}]}\n");
    expect("db", "select mean(value) from cpu",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
           "\"mean\"],\"values\":[[\"1970-01-01T00:00:00Z\",2.25]]}]}]}\n");
    expect("db", "select max(value) from cpu",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
           "\"max\"],\"values\":[[\"2016-01-01T00:00:20.5Z\",3]]}]}]}\n");
    expect(
        "db", "select count(value) from cpu group by host",
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":\"a\""
        "},\"columns\":[\"time\",\"count\"],\"values\":[[\"1970-01-01T00:00:00Z\",2]]},{\"name\":"
        "\"cpu\",\"tags\":{\"host\":\"b\"},\"columns\":[\"time\",\"count\"],\"values\":[[\"1970-"
        "01-01T00:00:00Z\",1]]}]}]}\n");
    expect("db",
           "select count(value) from cpu where time >= '2016-01-01T00:00:00Z' and time < "
           "'2016-01-01T00:00:40Z' group by time(10s)",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
           "\"count\"],\"values\":[[\"2016-01-01T00:00:00Z\",1],[\"2016-01-01T00:00:10Z\",1],[\"20"
           "16-01-01T00:00:20Z\",1],[\"2016-01-01T00:00:30Z\",0]]}]}]}\n");
    expect("db", "select value from cpu where host = 'b' or value > 2.9",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
           "\"value\"],\"values\":[[\"2016-01-01T00:00:10Z\",2.25],[\"2016-01-01T00:00:20.5Z\",3]"
           "]}]}]}\n");
    expect("db", "select value from nosuch", "{\"results\":[{\"statement_id\":0}]}\n");
}

static void meta_statements(void **state)
{
    (void)state;
    load_small();
    expect(NULL, "show databases",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"databases\",\"columns\":[\""
           "name\"],\"values\":[[\"db\"]]}]}]}\n");
    expect("db", "show measurements",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"measurements\",\"columns\":"
           "[\"name\"],\"values\":[[\"cpu\"],[\"mem\"]]}]}]}\n");
    expect("db", "show tag values from cpu with key = host",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"key\","
           "\"value\"],\"values\":[[\"host\",\"a\"],[\"host\",\"b\"]]}]}]}\n");
    expect(
        "db", "show field keys",
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"fieldKe"
        "y\",\"fieldType\"],\"values\":[[\"value\",\"float\"]]},{\"name\":\"mem\",\"columns\":[\""
        "fieldKey\",\"fieldType\"],\"values\":[[\"free\",\"integer\"]]}]}]}\n");
    expect(
        "db", "show retention policies",
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":[\"name\",\"duration\",\"sh"
        "ardGroupDuration\",\"replicaN\",\"default\"],\"values\":[[\"autogen\",\"0s\",\"168h0m0s\""
        ",1,true]]}]}]}\n");
    expect("db", "delete from cpu where host = 'a'", "{\"results\":[{\"statement_id\":0}]}\n");
    expect("db", "select count(value) from cpu",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
           "\"count\"],\"values\":[[\"1970-01-01T00:00:00Z\",1]]}]}]}\n");
    expect("db", "drop measurement mem; show measurements",
           "{\"results\":[{\"statement_id\":0},{\"statement_id\":1,\"series\":[{\"name\":\"measure"
           "ments\",\"columns\":[\"name\"],\"values\":[[\"cpu\"]]}]}]}\n");
}

static void select_into_writes_points(void **state)
{
    (void)state;
    load_small();
    put("db2", "x", "k=v", "value", 1, 7, 0);
    expect("db", "select mean(value) into db2.autogen.cpu_mean from cpu group by host",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"result\",\"columns\":"
           "[\"time\",\"written\"],\"values\":[[\"1970-01-01T00:00:00Z\",2]]}]}]}\n");
    expect("db2", "select * from cpu_mean group by *",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu_mean\",\"tags\":{"
           "\"host\":\"a\"},\"columns\":[\"time\",\"mean\"],\"values\":[[\"1970-01-01T00:00:"
           "00Z\",2.25]]},{\"name\":\"cpu_mean\",\"tags\":{\"host\":\"b\"},\"columns\":[\"tim"
           "e\",\"mean\"],\"values\":[[\"1970-01-01T00:00:00Z\",2.25]]}]}]}\n");
    /* raw rows: selected tags become fields, :MEASUREMENT keeps the source name */
    expect("db", "select host, value into db2.autogen.:MEASUREMENT from cpu",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"result\",\"columns\":"
           "[\"time\",\"written\"],\"values\":[[\"1970-01-01T00:00:00Z\",3]]}]}]}\n");
    expect("db2", "show field keys from cpu",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"f"
           "ieldKey\",\"fieldType\"],\"values\":[[\"host\",\"string\"],[\"value\",\"float\"]"
           "]}]}]}\n");
    expect("db", "select value into nodb.autogen.x from cpu",
           "{\"results\":[{\"statement_id\":0,\"error\":\"database not found: nodb\"}]}\n");
    expect("db", "select value into db.rp2.x from cpu",
           "{\"results\":[{\"statement_id\":0,\"error\":\"retention policy not found: rp2\"}]"
           "}\n");
    /* a type conflict ends the statement with InfluxDB's partial write error */
    expect("db", "select value into db2.autogen.x from cpu group by host",
           "{\"results\":[{\"statement_id\":0,\"error\":\"partial write: field type conflict:"
           " input field \\\"value\\\" on measurement \\\"x\\\" is type float, already exists "
           "as type integer dropped=2\"}]}\n");
}

static void holt_winters_matches_influxdb(void **state)
{
    (void)state;
    /* InfluxDB 1.6.7's answer for the same two points */
    put("hw", "mem", "host=a", "used", 1, 1, 10);
    put("hw", "mem", "host=a,zone=z", "used", 1, 5, 30);
    expect("hw",
           "SELECT holt_winters_with_fit(mean(used), 2, 0) FROM mem WHERE time < 100 GROUP BY "
           "time(10ns)",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":[\"t"
           "ime\",\"holt_winters_with_fit\"],\"values\":[[\"1970-01-01T00:00:00.00000001Z\",1],"
           "[\"1970-01-01T00:00:00.00000002Z\",2.6685198688499794],[\"1970-01-01T00:00:00.0000000"
           "3Z\",4.999984257230447],[\"1970-01-01T00:00:00.00000004Z\",8.052683400542069],[\"197"
           "0-01-01T00:00:00.00000005Z\",11.7734639580817]]}]}]}\n");
    expect("hw", "SELECT holt_winters(mean(used), 2, -1) FROM mem GROUP BY time(10ns)",
           "{\"results\":[{\"statement_id\":0,\"error\":\"third arg to holt_winters cannot be "
           "negative, got -1\"}]}\n");
}

static void show_and_kill_queries(void **state)
{
    (void)state;
    load_small();
    /* a request that is running: registered as the executor registers each request */
    strata_arena a;
    strata_arena_init(&a, 0);
    qry_query *q;
    strata_error err = {0};
    const char *text = "select  value from cpu where time > 0";
    assert_int_equal(qry_parse(text, strlen(text), NULL, 0, &a, &q, &err), STRATA_OK);
    qry_task *t = qry__task_begin(q, "db");
    assert_non_null(t);
    int st;
    char *got = query_opts("db", "SHOW QUERIES", &st, NULL, NULL, 0, 0);
    assert_non_null(strstr(got,
                           "{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":[\"qid"
                           "\",\"query\",\"database\",\"duration\",\"status\"],\"values\":[["));
    assert_non_null(strstr(got, ",\"SELECT value FROM cpu WHERE time \\u003e 0\",\"db\",\""));
    assert_non_null(strstr(got, ",\"SHOW QUERIES\",\"db\",\""));
    assert_non_null(strstr(got, "\",\"running\"]"));
    /* its id is the one before the SHOW QUERIES request's */
    char *p = strstr(got, "\"values\":[[");
    unsigned long long qid = strtoull(p + 11, NULL, 10);
    free(got);
    char kill[64];
    snprintf(kill, sizeof kill, "KILL QUERY %llu", qid);
    expect("db", kill, "{\"results\":[{\"statement_id\":0}]}\n");
    assert_true(qry__task_killed(t));
    got = query_opts("db", "SHOW QUERIES", &st, NULL, NULL, 0, 0);
    assert_non_null(strstr(got, "\",\"killed\"]"));
    free(got);
    qry__task_end(t);
    expect("db", "KILL QUERY 123456789",
           "{\"results\":[{\"statement_id\":0,\"error\":\"no such query id: 123456789\"}]}\n");
    strata_arena_fini(&a);
}

static void errors_and_statuses(void **state)
{
    (void)state;
    load_small();
    int st;
    char *b = query_opts("db", "   ", &st, NULL, NULL, 0, 0);
    assert_int_equal(st, 400);
    assert_string_equal(b, "{\"error\":\"missing required parameter \\\"q\\\"\"}\n");
    free(b);
    b = query_opts("db", "selec", &st, NULL, NULL, 0, 0);
    assert_int_equal(st, 400);
    assert_string_equal(b, "{\"error\":\"error parsing query: found selec, expected SELECT, "
                           "DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL "
                           "at line 1, char 1\"}\n");
    free(b);
    b = query_opts("db", "select value from cpu where host =~ /(?=a)/", &st, NULL, NULL, 0, 0);
    assert_int_equal(st, 400);
    assert_string_equal(b, "{\"error\":\"error parsing query: error parsing regexp: invalid or "
                           "unsupported Perl syntax: `(?=` at line 1, char 36\"}\n");
    free(b);
    expect("nosuch", "select value from cpu",
           "{\"results\":[{\"statement_id\":0,\"error\":\"database not found: nosuch\"}]}\n");
    expect("db", "select value from cpu limit 1; select nosuch(value) from cpu; show databases",
           "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
           "\"value\"],\"values\":[[\"2016-01-01T00:00:00Z\",1.5]]}]},{\"statement_id\":1,\"error\""
           ":\"not executed\"}]}\n");
    expect("db", "select mean(value), value from cpu",
           "{\"results\":[{\"statement_id\":0,\"error\":\"mixing aggregate and non-aggregate "
           "queries is not supported\"}]}\n");
}

static void limits_are_enforced(void **state)
{
    (void)state;
    load_small();
    qry_limits lim = {0};
    lim.max_series = 1;
    int st;
    char *b = query_opts("db", "select value from cpu", &st, &lim, NULL, 0, 0);
    assert_int_equal(st, 200);
    assert_string_equal(b, "{\"results\":[{\"statement_id\":0,\"error\":\"max-select-series limit "
                           "exceeded: (2/1)\"}]}\n");
    free(b);
    memset(&lim, 0, sizeof lim);
    lim.max_buckets = 3;
    b = query_opts("db",
                   "select count(value) from cpu where time >= '2016-01-01T00:00:00Z' and time < "
                   "'2016-01-01T00:01:00Z' group by time(1s)",
                   &st, &lim, NULL, 0, 0);
    assert_non_null(strstr(b, "max-select-buckets limit exceeded"));
    free(b);
    memset(&lim, 0, sizeof lim);
    lim.max_points = 1;
    b = query_opts("db", "select value from cpu", &st, &lim, NULL, 0, 0);
    assert_non_null(strstr(b, "max-points limit"));
    free(b);
}

/* ---- random data: statistics path against a direct computation ------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state >> 11;
}

static double json_number_after(const char *s, const char *key, int idx)
{
    /* values are [["time",v],...]: return v of row idx */
    const char *p = strstr(s, key);
    assert_non_null(p);
    for (int i = 0; i <= idx; i++) {
        p = strstr(p, "[\"");
        assert_non_null(p);
        p++;
    }
    p = strchr(p, ',');
    assert_non_null(p);
    return strtod(p + 1, NULL);
}

static void chunk_statistics_match_direct_computation(void **state)
{
    (void)state;
    uint64_t seed = 20261124;
    print_message("seed %llu\n", (unsigned long long)seed);
    rng_state = seed;
    enum { N = 3000, W = 7 };
    int64_t t0 = 1451606400 * SEC, step = 10 * SEC;
    static double vals[N];
    double sum[W] = {0}, mn[W], mx[W];
    int64_t cnt[W] = {0};
    for (int w = 0; w < W; w++) {
        mn[w] = INFINITY;
        mx[w] = -INFINITY;
    }
    int64_t width = (int64_t)N * step / W;
    width = (width / SEC + 1) * SEC;
    for (int i = 0; i < N; i++) {
        vals[i] = (double)(rnd() % 100000) / 100.0;
        put("r", "m", "host=x", "v", 0, vals[i], t0 + i * step);
        int w = (int)((i * step) / width);
        sum[w] += vals[i];
        cnt[w]++;
        if (vals[i] < mn[w]) mn[w] = vals[i];
        if (vals[i] > mx[w]) mx[w] = vals[i];
    }
    strata_error err = {0};
    assert_int_equal(stg_engine_checkpoint(eng, &err), STRATA_OK);
    char q[512];
    snprintf(q, sizeof q,
             "select count(v), sum(v), min(v), max(v), mean(v) from m where time >= %lld and time "
             "< %lld group by time(%llds, %llds)",
             (long long)t0, (long long)(t0 + W * width), (long long)(width / SEC),
             (long long)((t0 / SEC) % (width / SEC)));
    int st;
    char *b = query_opts("r", q, &st, NULL, NULL, 0, 0);
    for (int w = 0; w < W; w++) {
        /* row w: [time, count, sum, min, max, mean] */
        const char *p = strstr(b, "\"values\":[");
        assert_non_null(p);
        for (int i = 0; i <= w; i++)
            p = strstr(p + 1, "[\"");
        double got[5];
        const char *c = strchr(p, ',');
        for (int k = 0; k < 5; k++) {
            got[k] = strtod(c + 1, (char **)&c);
        }
        assert_int_equal((int64_t)got[0], cnt[w]);
        assert_true(fabs(got[1] - sum[w]) <= 1e-9 * fabs(sum[w]));
        assert_true(got[2] == mn[w]);
        assert_true(got[3] == mx[w]);
        assert_true(fabs(got[4] - sum[w] / (double)cnt[w]) <= 1e-9 * fabs(sum[w]));
    }
    (void)json_number_after;
    free(b);
}

static void two_threads_give_the_same_answer(void **state)
{
    (void)state;
    for (int h = 0; h < 12; h++) {
        char tags[32];
        snprintf(tags, sizeof tags, "host=h%02d", h);
        for (int i = 0; i < 50; i++)
            put("t", "m", tags, "v", 0, h * 100 + i, 1451606400 * SEC + i * 60 * SEC);
    }
    const char *q = "select mean(v), max(v), count(v) from m where time >= '2016-01-01T00:00:00Z' "
                    "and time < '2016-01-01T01:00:00Z' group by time(10m), host";
    qry_limits one = {0}, two = {0};
    one.threads = 1;
    two.threads = 2;
    int st;
    char *a = query_opts("t", q, &st, &one, NULL, 0, 0);
    char *b = query_opts("t", q, &st, &two, NULL, 0, 0);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\"host\":\"h11\""));
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(raw_and_aggregates_match_influxdb, setup, teardown),
        cmocka_unit_test_setup_teardown(meta_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(select_into_writes_points, setup, teardown),
        cmocka_unit_test_setup_teardown(holt_winters_matches_influxdb, setup, teardown),
        cmocka_unit_test_setup_teardown(show_and_kill_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_and_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_are_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(chunk_statistics_match_direct_computation, setup, teardown),
        cmocka_unit_test_setup_teardown(two_threads_give_the_same_answer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
