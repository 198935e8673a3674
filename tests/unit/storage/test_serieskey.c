/*
 * tests/unit/storage/test_serieskey.c: canonical series keys: InfluxDB's
 * escaping, sizing, rejection of inputs that cannot round-trip, parsing
 * back (including malformed keys), and a seeded random round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "storage/serieskey.h"

static stg_tag T(const char *k, const char *v)
{
    stg_tag t = {k, (uint32_t)strlen(k), v, (uint32_t)strlen(v)};
    return t;
}

static void expect_key(const char *meas, const stg_tag *tags, size_t n, const char *want)
{
    char buf[256];
    size_t len = stg_series_key_build(meas, strlen(meas), tags, n, buf, sizeof buf);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    assert_int_equal(stg_series_key_build(meas, strlen(meas), tags, n, NULL, 0), len);
}

static void builds_influxdb_keys(void **state)
{
    (void)state;
    expect_key("cpu", NULL, 0, "cpu");
    stg_tag t2[] = {T("host", "a"), T("region", "us-west")};
    expect_key("cpu", t2, 2, "cpu,host=a,region=us-west");
    /* Measurement: comma and space escaped, '=' not. */
    expect_key("my cpu,x=y", NULL, 0, "my\\ cpu\\,x=y");
    /* Tag keys and values: comma, equals, space escaped; backslash kept. */
    stg_tag t3[] = {T("a b=c,d", "v 1=2,3"), T("k\\x", "C:\\dir")};
    expect_key("m", t3, 2, "m,a\\ b\\=c\\,d=v\\ 1\\=2\\,3,k\\x=C:\\dir");
    /* A last tag value may end with a backslash; a tagless measurement too. */
    stg_tag t4[] = {T("path", "C:\\")};
    expect_key("m", t4, 1, "m,path=C:\\");
    expect_key("m\\", NULL, 0, "m\\");
    /* Bytewise order: "a" < "ab" < "b" < "ba". */
    stg_tag t5[] = {T("a", "1"), T("ab", "2"), T("b", "3"), T("ba", "4")};
    expect_key("m", t5, 4, "m,a=1,ab=2,b=3,ba=4");
}

static void short_buffer_gets_prefix(void **state)
{
    (void)state;
    stg_tag t[] = {T("h,ost", "a b"), T("z", "=")};
    char full[64], part[64];
    size_t len = stg_series_key_build("c pu", 4, t, 2, full, sizeof full);
    assert_true(len > 0);
    for (size_t cap = 0; cap < len; cap++) {
        memset(part, '#', sizeof part);
        assert_int_equal(stg_series_key_build("c pu", 4, t, 2, part, cap), len);
        assert_memory_equal(part, full, cap);
        assert_int_equal(part[cap], '#'); /* never past cap */
    }
}

static void expect_invalid(const char *meas, const stg_tag *tags, size_t n, const char *msg_part)
{
    strata_error err = {0};
    assert_int_equal(stg_series_key_build(meas, strlen(meas), tags, n, NULL, 0), 0);
    assert_int_equal(stg_series_key_check(meas, strlen(meas), tags, n, &err), STRATA_EINVAL);
    if (strstr(err.msg, msg_part) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg_part);
}

static void rejects_bad_input(void **state)
{
    (void)state;
    expect_invalid("", NULL, 0, "measurement name is empty");
    stg_tag unsorted[] = {T("b", "1"), T("a", "2")};
    expect_invalid("m", unsorted, 2, "not sorted");
    stg_tag prefix_unsorted[] = {T("ab", "1"), T("a", "2")};
    expect_invalid("m", prefix_unsorted, 2, "not sorted");
    stg_tag dup[] = {T("a", "1"), T("a", "2")};
    expect_invalid("m", dup, 2, "duplicate tag key \"a\"");
    stg_tag ek[] = {T("", "1")};
    expect_invalid("m", ek, 1, "tag key is empty");
    stg_tag ev[] = {T("a", "")};
    expect_invalid("m", ev, 1, "empty value");
    stg_tag one[] = {T("a", "1")};
    expect_invalid("m\\", one, 1, "ends with a backslash");
    stg_tag kb[] = {T("a\\", "1")};
    expect_invalid("m", kb, 1, "ends with a backslash");
    stg_tag vb[] = {T("a", "1\\"), T("b", "2")};
    expect_invalid("m", vb, 2, "ends with a backslash");

    static char big[STG_SERIES_KEY_MAX];
    memset(big, 'x', sizeof big);
    stg_tag huge[] = {{"k", 1, big, STG_SERIES_KEY_MAX - 10}};
    assert_true(stg_series_key_build("m", 1, huge, 1, NULL, 0) > 0);
    huge[0].val_len = STG_SERIES_KEY_MAX - 3; /* "m,k=" makes it 65536 */
    expect_invalid("m", huge, 1, "longer than 65535");
}

static void parses_back(void **state)
{
    (void)state;
    const char *key = "my\\ cpu\\,x=y,a\\ b\\=c\\,d=v\\ 1\\=2\\,3,k\\x=C:\\dir";
    char buf[128];
    const char *meas;
    size_t mlen, n;
    stg_tag tags[4];
    assert_int_equal(
        stg_series_key_parse(key, strlen(key), buf, sizeof buf, &meas, &mlen, tags, 4, &n),
        STRATA_OK);
    assert_int_equal(mlen, strlen("my cpu,x=y"));
    assert_memory_equal(meas, "my cpu,x=y", mlen);
    assert_int_equal(n, 2);
    assert_int_equal(tags[0].key_len, 7);
    assert_memory_equal(tags[0].key, "a b=c,d", 7);
    assert_int_equal(tags[0].val_len, 7);
    assert_memory_equal(tags[0].val, "v 1=2,3", 7);
    assert_int_equal(tags[1].key_len, 3);
    assert_memory_equal(tags[1].key, "k\\x", 3);
    assert_int_equal(tags[1].val_len, 6);
    assert_memory_equal(tags[1].val, "C:\\dir", 6);

    /* Too few tag slots: ERANGE with the count needed. */
    assert_int_equal(
        stg_series_key_parse(key, strlen(key), buf, sizeof buf, &meas, &mlen, tags, 1, &n),
        STRATA_ERANGE);
    assert_int_equal(n, 2);
    /* Buffer shorter than the key: ERANGE. */
    assert_int_equal(stg_series_key_parse(key, strlen(key), buf, 5, &meas, &mlen, tags, 4, &n),
                     STRATA_ERANGE);
    /* A tagless key. */
    assert_int_equal(stg_series_key_parse("cpu", 3, buf, sizeof buf, &meas, &mlen, tags, 0, &n),
                     STRATA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mlen, 3);
}

static void rejects_malformed_keys(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",    ",a=b",    "m,",      "m,a",     "m,=b",   "m,a=",       "m,a=b,",
        "m a", "m,a b=c", "m,a=b=c", "m,a=b c", "m,,a=b", "m,a=b,,c=d", "m\\ x y",
    };
    char buf[64];
    const char *meas;
    size_t mlen, n;
    stg_tag tags[4];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = stg_series_key_parse(bad[i], strlen(bad[i]), buf, sizeof buf, &meas, &mlen, tags,
                                      4, &n);
        if (rc != STRATA_EINVAL) fail_msg("key \"%s\" parsed with %d", bad[i], rc);
    }
}

/* Random parts over an alphabet heavy in special bytes; build, parse, compare. */
static void random_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 0x5eed0001;
    printf("random_round_trip seed=0x%llx\n", (unsigned long long)seed);
    static const char alpha[] = "ab,= \\xyz";
    uint64_t s = seed;
    char parts[9][12];
    size_t plen[9];
    char key[512], buf[512];
    int built = 0;
    for (int iter = 0; iter < 20000; iter++) {
        int ntags = (int)(s % 5);
        for (int p = 0; p < 1 + 2 * ntags; p++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            plen[p] = 1 + (s >> 33) % 6;
            for (size_t i = 0; i < plen[p]; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                parts[p][i] = alpha[(s >> 33) % (sizeof alpha - 1)];
            }
        }
        stg_tag tags[4];
        for (int t = 0; t < ntags; t++) {
            tags[t].key = parts[1 + 2 * t];
            tags[t].key_len = (uint32_t)plen[1 + 2 * t];
            tags[t].val = parts[2 + 2 * t];
            tags[t].val_len = (uint32_t)plen[2 + 2 * t];
        }
        /* Sort tags by key (insertion sort; duplicates make the input invalid). */
        for (int i = 1; i < ntags; i++)
            for (int j = i; j > 0; j--) {
                size_t n =
                    tags[j].key_len < tags[j - 1].key_len ? tags[j].key_len : tags[j - 1].key_len;
                int c = memcmp(tags[j - 1].key, tags[j].key, n);
                if (c > 0 || (c == 0 && tags[j - 1].key_len > tags[j].key_len)) {
                    stg_tag x = tags[j];
                    tags[j] = tags[j - 1];
                    tags[j - 1] = x;
                }
            }
        size_t len = stg_series_key_build(parts[0], plen[0], tags, (size_t)ntags, key, sizeof key);
        int ok = stg_series_key_check(parts[0], plen[0], tags, (size_t)ntags, NULL) == STRATA_OK;
        assert_int_equal(len > 0, ok);
        if (!ok) continue;
        built++;
        const char *meas;
        size_t mlen, n;
        stg_tag back[4];
        assert_int_equal(stg_series_key_parse(key, len, buf, sizeof buf, &meas, &mlen, back, 4, &n),
                         STRATA_OK);
        assert_int_equal(mlen, plen[0]);
        assert_memory_equal(meas, parts[0], mlen);
        assert_int_equal(n, (size_t)ntags);
        for (int t = 0; t < ntags; t++) {
            assert_int_equal(back[t].key_len, tags[t].key_len);
            assert_memory_equal(back[t].key, tags[t].key, tags[t].key_len);
            assert_int_equal(back[t].val_len, tags[t].val_len);
            assert_memory_equal(back[t].val, tags[t].val, tags[t].val_len);
        }
    }
    assert_true(built > 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_influxdb_keys),   cmocka_unit_test(short_buffer_gets_prefix),
        cmocka_unit_test(rejects_bad_input),      cmocka_unit_test(parses_back),
        cmocka_unit_test(rejects_malformed_keys), cmocka_unit_test(random_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
