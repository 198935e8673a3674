/*
 * Catalog tests on a real engine in a temporary directory: put, get, replace,
 * list in name order per (database, kind), delete, persistence across a
 * reopen, and removal of a database's records when the database is dropped.
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

#include "common/fs.h"
#include "storage/catalog.h"
#include "storage/engine.h"

static char tmpdir[512];

static int setup(void **state)
{
    const char *base = getenv("STRATA_TEST_TMP");
    if (base == NULL) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/catalog-XXXXXX", base);
    assert_non_null(mkdtemp(tmpdir));
    *state = tmpdir;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return strata_rm_tree(tmpdir) == 0 ? 0 : -1;
}

static stg_engine *open_engine(void)
{
    stg_options o;
    stg_engine *e = NULL;
    strata_error err = {0};
    stg_options_default(&o);
    o.dir = tmpdir;
    o.wal_sync = 0;
    o.background = 0;
    o.map_bytes = (size_t)1 << 28;
    if (stg_engine_open(&o, &e, &err) != STRATA_OK) fail_msg("open: %s", err.msg);
    return e;
}

typedef struct seen {
    char names[8][32];
    char vals[8][32];
    int n;
} seen;

static int collect(void *ctx, const char *name, size_t nl, const void *val, size_t vl)
{
    seen *s = ctx;
    if (s->n == 8) return 1;
    snprintf(s->names[s->n], 32, "%.*s", (int)nl, name);
    snprintf(s->vals[s->n], 32, "%.*s", (int)vl, (const char *)val);
    s->n++;
    return 0;
}

static void put(stg_engine *e, uint32_t db, int kind, const char *name, const char *val)
{
    strata_error err = {0};
    int rc = stg_catalog_put(e, db, kind, name, strlen(name), val, strlen(val), &err);
    if (rc != STRATA_OK) fail_msg("put %s: %s", name, err.msg);
}

static void test_put_get_list_del(void **state)
{
    (void)state;
    stg_engine *e = open_engine();
    strata_error err = {0};
    uint32_t a, b;
    assert_int_equal(stg_db_create(e, "a", &a, &err), STRATA_OK);
    assert_int_equal(stg_db_create(e, "b", &b, &err), STRATA_OK);
    put(e, a, 'T', "zeta", "1");
    put(e, a, 'T', "alpha", "2");
    put(e, a, 'U', "alpha", "cq");
    put(e, b, 'T', "other", "3");
    put(e, a, 'T', "zeta", "replaced");

    seen s = {0};
    assert_int_equal(stg_catalog_list(e, a, 'T', collect, &s, &err), STRATA_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "alpha");
    assert_string_equal(s.vals[0], "2");
    assert_string_equal(s.names[1], "zeta");
    assert_string_equal(s.vals[1], "replaced");

    void *v;
    size_t vl;
    assert_int_equal(stg_catalog_get(e, a, 'U', "alpha", 5, &v, &vl, &err), STRATA_OK);
    assert_int_equal(vl, 2);
    assert_memory_equal(v, "cq", 2);
    free(v);
    assert_int_equal(stg_catalog_get(e, a, 'U', "zeta", 4, &v, &vl, &err), STRATA_ENOTFOUND);
    assert_null(v);
    assert_int_equal(stg_catalog_del(e, a, 'T', "alpha", 5, &err), STRATA_OK);
    assert_int_equal(stg_catalog_del(e, a, 'T', "alpha", 5, &err), STRATA_ENOTFOUND);
    assert_int_equal(stg_catalog_put(e, a, 'T', "", 0, "x", 1, &err), STRATA_EINVAL);

    /* Reopen: records persist; dropping "a" drops its records only. */
    stg_engine_close(e);
    e = open_engine();
    memset(&s, 0, sizeof s);
    assert_int_equal(stg_catalog_list(e, a, 'T', collect, &s, &err), STRATA_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "zeta");
    assert_int_equal(stg_db_drop(e, "a", &err), STRATA_OK);
    memset(&s, 0, sizeof s);
    assert_int_equal(stg_catalog_list(e, a, 'T', collect, &s, &err), STRATA_OK);
    assert_int_equal(stg_catalog_list(e, a, 'U', collect, &s, &err), STRATA_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(stg_catalog_list(e, b, 'T', collect, &s, &err), STRATA_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.vals[0], "3");
    stg_engine_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_list_del, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
