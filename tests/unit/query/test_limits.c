/*
 * tests/unit/query/test_limits.c: size and depth limits. Deep nesting and
 * long operator chains are refused with STRATA_ELIMIT instead of exhausting
 * the stack; realistic sizes (a Grafana multi-value variable expanding to
 * thousands of ORs, megabyte literals) parse and print.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "query/parser.h"

typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_add(sb *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static int parse(const sb *b, strata_arena *a, qry_query **q, strata_error *err)
{
    return qry_parse(b->p, b->len, NULL, 0, a, q, err);
}

static void nested_parentheses(void **state)
{
    (void)state;
    strata_arena a;
    strata_arena_init(&a, 0);
    qry_query *q;
    strata_error err;
    for (int depth = 990; depth <= 1010; depth += 20) {
        sb b = {0};
        sb_add(&b, "SELECT v FROM m WHERE ");
        for (int i = 0; i < depth; i++)
            sb_add(&b, "(");
        sb_add(&b, "a = 1");
        for (int i = 0; i < depth; i++)
            sb_add(&b, ")");
        int rc = parse(&b, &a, &q, &err);
        if (depth < 1000) {
            assert_int_equal(rc, STRATA_OK);
            size_t n = qry_stmt_format(q->stmts[0], NULL, 0);
            assert_int_equal(n, b.len);
        } else {
            assert_int_equal(rc, STRATA_ELIMIT);
            assert_string_equal(err.msg, "error parsing query: query nested too deeply (more "
                                         "than 1000 levels) at line 1, char 1023");
        }
        free(b.p);
        strata_arena_reset(&a);
    }
    /* Nested calls and subqueries count the same way. */
    sb b = {0};
    sb_add(&b, "SELECT ");
    for (int i = 0; i < 1200; i++)
        sb_add(&b, "f(");
    for (int i = 0; i < 1200; i++)
        sb_add(&b, ")");
    sb_add(&b, " FROM m");
    assert_int_equal(parse(&b, &a, &q, &err), STRATA_ELIMIT);
    b.len = 0;
    sb_add(&b, "SELECT v FROM ");
    for (int i = 0; i < 1200; i++)
        sb_add(&b, "(SELECT v FROM ");
    sb_add(&b, "m");
    for (int i = 0; i < 1200; i++)
        sb_add(&b, ")");
    assert_int_equal(parse(&b, &a, &q, &err), STRATA_ELIMIT);
    b.len = 0;
    sb_add(&b, "SELECT v FROM ");
    for (int i = 0; i < 100; i++)
        sb_add(&b, "(SELECT v FROM ");
    sb_add(&b, "m");
    for (int i = 0; i < 100; i++)
        sb_add(&b, ")");
    assert_int_equal(parse(&b, &a, &q, &err), STRATA_OK);
    free(b.p);
    strata_arena_fini(&a);
}

static void long_or_chains(void **state)
{
    (void)state;
    strata_arena a;
    strata_arena_init(&a, 0);
    qry_query *q;
    strata_error err;
    /* A Grafana multi-value variable over 3000 hosts. */
    sb b = {0};
    sb_add(&b, "SELECT mean(v) FROM cpu WHERE (");
    for (int i = 0; i < 3000; i++) {
        char t[48];
        snprintf(t, sizeof t, "%s\"host\" = 'h%d'", i ? " OR " : "", i);
        sb_add(&b, t);
    }
    sb_add(&b, ") AND time > now() - 1h GROUP BY time(1m)");
    assert_int_equal(parse(&b, &a, &q, &err), STRATA_OK);
    qry_expr *c = q->stmts[0]->u.sel.select->cond;
    assert_true(c->depth > 3000);
    assert_true(c->depth <= QRY_MAX_EXPR_DEPTH);
    size_t n = qry_stmt_format(q->stmts[0], NULL, 0);
    char *out = malloc(n + 1);
    assert_non_null(out);
    qry_stmt_format(q->stmts[0], out, n + 1);
    strata_arena b2;
    strata_arena_init(&b2, 0);
    qry_query *q2;
    assert_int_equal(qry_parse(out, n, NULL, 0, &b2, &q2, &err), STRATA_OK);
    assert_true(qry_stmt_equal(q->stmts[0], q2->stmts[0]));
    strata_arena_fini(&b2);
    free(out);
    strata_arena_reset(&a);

    /* Beyond the depth bound. */
    b.len = 0;
    sb_add(&b, "SELECT v FROM m WHERE a = 0");
    for (int i = 0; i < QRY_MAX_EXPR_DEPTH; i++)
        sb_add(&b, " OR a = 1");
    assert_int_equal(parse(&b, &a, &q, &err), STRATA_ELIMIT);
    assert_non_null(strstr(err.msg, "expression nested too deeply (more than 4000 levels)"));
    free(b.p);
    strata_arena_fini(&a);
}

static void large_literals(void **state)
{
    (void)state;
    strata_arena a;
    strata_arena_init(&a, 0);
    qry_query *q;
    strata_error err;
    sb b = {0};
    sb_add(&b, "SELECT v FROM m WHERE a = '");
    for (int i = 0; i < 1 << 16; i++)
        sb_add(&b, "0123456789abcdef");
    sb_add(&b, "'");
    assert_int_equal(parse(&b, &a, &q, &err), STRATA_OK);
    qry_expr *lit = q->stmts[0]->u.sel.select->cond->u.bin.rhs;
    assert_int_equal(lit->u.str.len, 16u << 16);
    strata_arena_reset(&a);
    /* Many statements. */
    b.len = 0;
    for (int i = 0; i < 5000; i++)
        sb_add(&b, "SHOW DATABASES;");
    assert_int_equal(parse(&b, &a, &q, &err), STRATA_OK);
    assert_int_equal(q->nstmts, 5000);
    free(b.p);
    strata_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_parentheses),
        cmocka_unit_test(long_or_chains),
        cmocka_unit_test(large_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
