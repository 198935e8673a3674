/*
 * Value formatting of the result writers against known answers from Go
 * (InfluxDB 1.6.7 is built with Go 1.19): encoding/json floats, strconv 'f'
 * floats for CSV, RFC 3339 times with trimmed nanoseconds, JSON string
 * escaping, time zones (TZif and POSIX rules), and whole documents from the
 * writer (compact, pretty, chunked, CSV).
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

#include "query/result_int.h"
#include "query/tz_int.h"

static void json_float(double v, const char *want)
{
    char buf[QRY_FMT_FLOAT_MAX];
    size_t n = qry__fmt_float_json(v, buf);
    assert_int_equal(n, strlen(buf));
    if (strcmp(buf, want) != 0) fail_msg("json float %.17g: got %s, want %s", v, buf, want);
}

static void plain_float(double v, const char *want)
{
    char buf[QRY_FMT_FLOAT_PLAIN_MAX];
    qry__fmt_float_plain(v, buf);
    if (strcmp(buf, want) != 0) fail_msg("plain float %.17g: got %s, want %s", v, buf, want);
}

static void floats_as_go_encoding_json(void **state)
{
    (void)state;
    json_float(0, "0");
    json_float(-0.0, "-0");
    json_float(1, "1");
    json_float(-3, "-3");
    json_float(1.5, "1.5");
    json_float(0.1, "0.1");
    json_float(0.1 + 0.2, "0.30000000000000004");
    json_float(1.0 / 3, "0.3333333333333333");
    json_float(100, "100");
    json_float(1e6, "1000000");
    json_float(123456789.125, "123456789.125");
    json_float(1e20, "100000000000000000000");
    json_float(1e21, "1e+21");
    json_float(2.5e22, "2.5e+22");
    json_float(0.000001, "0.000001");
    json_float(0.0000015, "0.0000015");
    json_float(1e-7, "1e-7");
    json_float(1.5e-7, "1.5e-7");
    json_float(1.234e-10, "1.234e-10");
    json_float(5e-324, "5e-324");
    json_float(1.7976931348623157e308, "1.7976931348623157e+308");
    json_float(9007199254740993.0, "9007199254740992");
    json_float(-20.73644135332772, "-20.73644135332772");
    json_float(3.1622776601683795, "3.1622776601683795");
}

static void floats_as_go_strconv_f(void **state)
{
    (void)state;
    plain_float(0, "0");
    plain_float(1.5, "1.5");
    plain_float(1e21, "1000000000000000000000");
    plain_float(1.5e-7, "0.00000015");
    plain_float(-0.25, "-0.25");
    plain_float(NAN, "NaN");
    plain_float(INFINITY, "+Inf");
}

static void times_rfc3339_trimmed(void **state)
{
    (void)state;
    char buf[QRY_FMT_TIME_MAX];
    qry__fmt_time(0, NULL, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    qry__fmt_time(1500000000, NULL, buf);
    assert_string_equal(buf, "1970-01-01T00:00:01.5Z");
    qry__fmt_time(-1, NULL, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999999Z");
    qry__fmt_time(1451606420500000000LL, NULL, buf);
    assert_string_equal(buf, "2016-01-01T00:00:20.5Z");
    qry__fmt_time(951782400123456789LL, NULL, buf); /* leap day 2000 */
    assert_string_equal(buf, "2000-02-29T00:00:00.123456789Z");
    qry__fmt_time(INT64_MAX - 1, NULL, buf);
    assert_string_equal(buf, "2262-04-11T23:47:16.854775806Z");
    qry__fmt_time(INT64_MIN + 2, NULL, buf);
    assert_string_equal(buf, "1677-09-21T00:12:43.145224194Z");
    qry__fmt_time(1000000007LL, NULL, buf);
    assert_string_equal(buf, "1970-01-01T00:00:01.000000007Z");
}

static void integers_decimal(void **state)
{
    (void)state;
    char buf[24];
    buf[qry__fmt_i64(INT64_MIN, buf)] = 0;
    assert_string_equal(buf, "-9223372036854775808");
    buf[qry__fmt_i64(INT64_MAX, buf)] = 0;
    assert_string_equal(buf, "9223372036854775807");
    buf[qry__fmt_i64(0, buf)] = 0;
    assert_string_equal(buf, "0");
    buf[qry__fmt_i64(-10, buf)] = 0;
    assert_string_equal(buf, "-10");
    buf[qry__fmt_u64(UINT64_MAX, buf)] = 0;
    assert_string_equal(buf, "18446744073709551615");
}

static void json_strings_escaped_as_go(void **state)
{
    (void)state;
    qry_buf b = {0};
    const char in[] = "a\"b\\c\n\r\t\x01<>&\xff\xe2\x80\xa8\xc3\xa9";
    qry__json_str(&b, in, sizeof in - 1);
    qry_buf_putc(&b, 0);
    assert_string_equal(
        b.p, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u003c\\u003e\\u0026\\ufffd\\u2028\xc3\xa9\"");
    qry_buf_fini(&b);
}

static void zones_follow_tzif_and_rules(void **state)
{
    (void)state;
    qry_tz *tz;
    strata_error err = {0};
    if (qry__tz_load("America/New_York", 16, &tz, &err) != STRATA_OK) {
        print_message("no zoneinfo (%s): skipped\n", err.msg);
        return;
    }
    /* 2016-01-01 EST, 2016-07-01 EDT, far future via the footer rule */
    assert_int_equal(qry__tz_offset(tz, 1451606400), -5 * 3600);
    assert_int_equal(qry__tz_offset(tz, 1467331200), -4 * 3600);
    assert_int_equal(qry__tz_offset(tz, 4102444800 + 180 * 86400), -4 * 3600); /* 2100-06 */
    assert_int_equal(qry__tz_offset(tz, 4102444800), -5 * 3600);               /* 2100-01 */
    /* the DST switch 2016-03-13 07:00 UTC */
    assert_int_equal(qry__tz_offset(tz, 1457852400 - 1), -5 * 3600);
    assert_int_equal(qry__tz_offset(tz, 1457852400), -4 * 3600);
    char buf[QRY_FMT_TIME_MAX];
    qry__fmt_time(1457852400LL * 1000000000, tz, buf);
    assert_string_equal(buf, "2016-03-13T03:00:00-04:00");
    qry__tz_free(tz);

    assert_int_equal(qry__tz_load("Australia/Sydney", 16, &tz, &err), STRATA_OK);
    assert_int_equal(qry__tz_offset(tz, 1451606400), 11 * 3600); /* January: AEDT */
    qry__tz_free(tz);

    assert_int_equal(qry__tz_load("UTC", 3, &tz, &err), STRATA_OK);
    assert_true(qry__tz_is_utc(tz));
    qry__tz_free(tz);

    assert_int_equal(qry__tz_load("No/Such_Zone", 12, &tz, &err), STRATA_ENOTFOUND);
    assert_string_equal(err.msg, "unable to find time zone No/Such_Zone");
    assert_int_equal(qry__tz_load("../etc/passwd", 13, &tz, &err), STRATA_ENOTFOUND);
}

/* ---- whole documents ---------------------------------------------------------------- */

typedef struct sink {
    char buf[8192];
    size_t n;
} sink;

static int sink_write(void *ctx, const void *p, size_t n)
{
    sink *s = ctx;
    if (s->n + n >= sizeof s->buf) return -1;
    memcpy(s->buf + s->n, p, n);
    s->n += n;
    s->buf[s->n] = 0;
    return 0;
}

static void one_series(qry_writer *w, int rows)
{
    const char *cols[] = {"time", "v"};
    size_t lens[] = {4, 1};
    qry_tagv tags[] = {{"host", "a", 4, 1}};
    assert_int_equal(qry_writer_series_begin(w, "cpu", 3, tags, 1, cols, lens, 2), STRATA_OK);
    for (int i = 0; i < rows; i++) {
        qry_val row[2] = {qry_val_time((int64_t)i * 1000000000), qry_val_f(i + 0.5)};
        assert_int_equal(qry_writer_row(w, row), STRATA_OK);
    }
    qry_writer_series_end(w);
}

static void writer_compact_and_errors(void **state)
{
    (void)state;
    sink s = {{0}, 0};
    qry_writer w;
    qry_writer_init(&w, QRY_WFMT_JSON, 0, 0, 0, 0, sink_write, &s);
    qry_writer_stmt_begin(&w, 0, QRY_STMT_MODE_SELECT, NULL);
    one_series(&w, 2);
    assert_int_equal(qry_writer_stmt_end(&w), STRATA_OK);
    qry_writer_stmt_begin(&w, 1, QRY_STMT_MODE_SELECT, NULL);
    one_series(&w, 1);
    qry_writer_stmt_error(&w, 1, "boom"); /* replaces what statement 1 wrote */
    assert_int_equal(qry_writer_finish(&w), STRATA_OK);
    qry_writer_fini(&w);
    assert_string_equal(
        s.buf, "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":"
               "\"a\"},\"columns\":[\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00Z\",0.5],"
               "[\"1970-01-01T00:00:01Z\",1.5]]}]},{\"statement_id\":1,\"error\":\"boom\"}]}\n");
}

static void writer_pretty(void **state)
{
    (void)state;
    sink s = {{0}, 0};
    qry_writer w;
    qry_writer_init(&w, QRY_WFMT_JSON, 1, 0, 0, 1000000000, sink_write, &s);
    qry_writer_stmt_begin(&w, 0, QRY_STMT_MODE_SELECT, NULL);
    one_series(&w, 1);
    qry_writer_stmt_end(&w);
    qry_writer_finish(&w);
    qry_writer_fini(&w);
    assert_string_equal(s.buf, "{\n"
                               "    \"results\": [\n"
                               "        {\n"
                               "            \"statement_id\": 0,\n"
                               "            \"series\": [\n"
                               "                {\n"
                               "                    \"name\": \"cpu\",\n"
                               "                    \"tags\": {\n"
                               "                        \"host\": \"a\"\n"
                               "                    },\n"
                               "                    \"columns\": [\n"
                               "                        \"time\",\n"
                               "                        \"v\"\n"
                               "                    ],\n"
                               "                    \"values\": [\n"
                               "                        [\n"
                               "                            0,\n"
                               "                            0.5\n"
                               "                        ]\n"
                               "                    ]\n"
                               "                }\n"
                               "            ]\n"
                               "        }\n"
                               "    ]\n"
                               "}\n");
}

static void writer_chunked_splits_with_partial(void **state)
{
    (void)state;
    sink s = {{0}, 0};
    qry_writer w;
    qry_writer_init(&w, QRY_WFMT_JSON, 0, 1, 2, 1, sink_write, &s);
    qry_writer_stmt_begin(&w, 0, QRY_STMT_MODE_SELECT, NULL);
    one_series(&w, 3);
    qry_writer_stmt_end(&w);
    qry_writer_finish(&w);
    qry_writer_fini(&w);
    assert_string_equal(s.buf,
                        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{"
                        "\"host\":\"a\"},\"columns\":[\"time\",\"v\"],\"values\":[[0,0.5],["
                        "1000000000,1.5]],\"partial\":true}],\"partial\":true}]}\n"
                        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{"
                        "\"host\":\"a\"},\"columns\":[\"time\",\"v\"],\"values\":[[2000000000,"
                        "2.5]]}]}]}\n");
}

static void writer_csv(void **state)
{
    (void)state;
    sink s = {{0}, 0};
    qry_writer w;
    qry_writer_init(&w, QRY_WFMT_CSV, 0, 0, 0, 0, sink_write, &s);
    qry_writer_stmt_begin(&w, 0, QRY_STMT_MODE_SELECT, NULL);
    one_series(&w, 2);
    qry_writer_stmt_end(&w);
    qry_writer_stmt_begin(&w, 1, QRY_STMT_MODE_SELECT, NULL);
    const char *cols[] = {"name"};
    size_t lens[] = {4};
    qry_writer_series_begin(&w, "databases", 9, NULL, 0, cols, lens, 1);
    qry_val v = qry_val_s("a,b", 3);
    qry_writer_row(&w, &v);
    qry_writer_series_end(&w);
    qry_writer_stmt_end(&w);
    qry_writer_finish(&w);
    qry_writer_fini(&w);
    assert_string_equal(s.buf, "name,tags,time,v\n"
                               "cpu,host=a,0,0.5\n"
                               "cpu,host=a,1000000000,1.5\n"
                               "\n"
                               "name,tags,name\n"
                               "databases,,\"a,b\"\n");
}

static void writer_request_error(void **state)
{
    (void)state;
    sink s = {{0}, 0};
    qry_writer w;
    qry_writer_init(&w, QRY_WFMT_JSON, 0, 0, 0, 0, sink_write, &s);
    qry_writer_request_error(&w, "missing required parameter \"q\"");
    qry_writer_finish(&w);
    qry_writer_fini(&w);
    assert_string_equal(s.buf, "{\"error\":\"missing required parameter \\\"q\\\"\"}\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floats_as_go_encoding_json),
        cmocka_unit_test(floats_as_go_strconv_f),
        cmocka_unit_test(times_rfc3339_trimmed),
        cmocka_unit_test(integers_decimal),
        cmocka_unit_test(json_strings_escaped_as_go),
        cmocka_unit_test(zones_follow_tzif_and_rules),
        cmocka_unit_test(writer_compact_and_errors),
        cmocka_unit_test(writer_pretty),
        cmocka_unit_test(writer_chunked_splits_with_partial),
        cmocka_unit_test(writer_csv),
        cmocka_unit_test(writer_request_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
