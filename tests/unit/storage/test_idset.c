/*
 * tests/unit/storage/test_idset.c: id set operations against a brute-force
 * model (a bitmap over a small universe, ids spread over the whole u64
 * range by a fixed map), at balanced and very unequal sizes so both the
 * merge and the galloping paths run, with the output aliasing an input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "storage/idset.h"

#define U 4096 /* model universe */

static uint64_t seed_state;
static uint64_t rnd(void)
{
    uint64_t z = (seed_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Universe element i -> id, strictly increasing, spanning the u64 range. */
static uint64_t id_of(size_t i)
{
    return (uint64_t)i * (UINT64_MAX / U);
}

static void fill(stg_idset *s, unsigned char *bits, size_t n)
{
    stg_idset_clear(s);
    memset(bits, 0, U);
    for (size_t i = 0; i < n; i++) {
        size_t e = rnd() % U;
        bits[e] = 1;
        assert_int_equal(stg_idset_add(s, id_of(e)), 0); /* unsorted, with duplicates */
    }
    stg_idset_sort_unique(s);
}

static void expect_set(const stg_idset *s, const unsigned char *bits)
{
    size_t k = 0;
    for (size_t i = 0; i < U; i++) {
        if (!bits[i]) continue;
        assert_true(k < s->n);
        assert_true(s->ids[k] == id_of(i));
        k++;
    }
    assert_int_equal(k, s->n);
}

static void ops_match_model(void **state)
{
    (void)state;
    uint64_t seed = 0x1d5e7;
    printf("ops_match_model seed=0x%llx\n", (unsigned long long)seed);
    seed_state = seed;
    static unsigned char ba[U], bb[U], want[U];
    static const size_t sizes[][2] = {{0, 0},       {0, 50},   {50, 0},   {1, 1},     {200, 200},
                                      {3000, 3000}, {5, 4000}, {4000, 5}, {60, 3500}, {1, 4000}};
    stg_idset a, b, out;
    stg_idset_init(&a);
    stg_idset_init(&b);
    stg_idset_init(&out);
    for (int round = 0; round < 20; round++) {
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            fill(&a, ba, sizes[z][0]);
            fill(&b, bb, sizes[z][1]);
            expect_set(&a, ba);
            for (int op = 0; op < 3; op++) {
                for (size_t i = 0; i < U; i++)
                    want[i] = op == 0   ? (ba[i] && bb[i])
                              : op == 1 ? (ba[i] || bb[i])
                                        : (ba[i] && !bb[i]);
                int (*f)(stg_idset *, const stg_idset *, const stg_idset *) =
                    op == 0   ? stg_idset_intersect
                    : op == 1 ? stg_idset_union
                              : stg_idset_difference;
                assert_int_equal(f(&out, &a, &b), 0);
                expect_set(&out, want);
                /* Aliased output: out = a op b written into a's copy, then b's. */
                stg_idset ca, cb;
                stg_idset_init(&ca);
                stg_idset_init(&cb);
                assert_int_equal(stg_idset_union(&ca, &a, &ca), 0); /* copy a */
                assert_int_equal(stg_idset_union(&cb, &cb, &b), 0); /* copy b */
                assert_int_equal(f(&ca, &ca, &b), 0);
                expect_set(&ca, want);
                assert_int_equal(f(&cb, &a, &cb), 0);
                expect_set(&cb, want);
                stg_idset_fini(&ca);
                stg_idset_fini(&cb);
            }
            for (size_t i = 0; i < U; i += 7)
                assert_int_equal(stg_idset_contains(&a, id_of(i)), ba[i]);
            assert_int_equal(stg_idset_contains(&a, 1), 0);
        }
    }
    stg_idset_fini(&a);
    stg_idset_fini(&b);
    stg_idset_fini(&out);
    stg_idset_fini(NULL);
}

static void sort_unique_and_extremes(void **state)
{
    (void)state;
    stg_idset s;
    stg_idset_init(&s);
    uint64_t in[] = {UINT64_MAX, 0, 5, 5, UINT64_MAX, 0, 3};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_int_equal(stg_idset_add(&s, in[i]), 0);
    stg_idset_sort_unique(&s);
    assert_int_equal(s.n, 4);
    assert_true(s.ids[0] == 0 && s.ids[1] == 3 && s.ids[2] == 5 && s.ids[3] == UINT64_MAX);
    assert_true(stg_idset_contains(&s, UINT64_MAX));
    assert_true(stg_idset_contains(&s, 0));
    assert_false(stg_idset_contains(&s, 4));
    stg_idset_clear(&s);
    assert_int_equal(s.n, 0);
    assert_false(stg_idset_contains(&s, 0));
    stg_idset_fini(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ops_match_model),
        cmocka_unit_test(sort_unique_and_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
