/*
 * storage/idset.c: sorted id sets (see storage/idset.h).
 *
 * Set operations merge when the inputs have similar sizes and gallop
 * (exponential then binary search in the larger input) when one is more than
 * GALLOP_RATIO times smaller, so that "host='a' AND region=~/.*\/" over a
 * huge and a tiny posting list costs the tiny one's size times a log.
 */
#include "storage/idset.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define GALLOP_RATIO 32

void stg_idset_init(stg_idset *s)
{
    s->ids = NULL;
    s->n = s->cap = 0;
}

void stg_idset_fini(stg_idset *s)
{
    if (s == NULL) return;
    free(s->ids);
    stg_idset_init(s);
}

void stg_idset_clear(stg_idset *s)
{
    s->n = 0;
}

int stg_idset_reserve(stg_idset *s, size_t n)
{
    if (n <= s->cap) return STRATA_OK;
    size_t cap = s->cap ? s->cap : 16;
    while (cap < n)
        cap = cap > SIZE_MAX / 2 ? n : cap * 2;
    if (cap > SIZE_MAX / sizeof(uint64_t)) return STRATA_ENOMEM;
    uint64_t *p = realloc(s->ids, cap * sizeof(uint64_t));
    if (p == NULL) return STRATA_ENOMEM;
    s->ids = p;
    s->cap = cap;
    return STRATA_OK;
}

int stg_idset_add(stg_idset *s, uint64_t id)
{
    if (s->n == s->cap) {
        int rc = stg_idset_reserve(s, s->n + 1);
        if (rc != STRATA_OK) return rc;
    }
    s->ids[s->n++] = id;
    return STRATA_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void stg_idset_sort_unique(stg_idset *s)
{
    int sorted = 1;
    for (size_t i = 1; i < s->n && sorted; i++)
        sorted = s->ids[i - 1] <= s->ids[i];
    if (!sorted) qsort(s->ids, s->n, sizeof(uint64_t), cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++)
        if (w == 0 || s->ids[w - 1] != s->ids[i]) s->ids[w++] = s->ids[i];
    s->n = w;
}

/* First index i in [lo, n) with v[i] >= x (n if none), galloping from lo. */
static size_t lower_bound_from(const uint64_t *v, size_t n, size_t lo, uint64_t x)
{
    size_t step = 1, hi = lo;
    while (hi < n && v[hi] < x) {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    if (hi > n) hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int stg_idset_contains(const stg_idset *s, uint64_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->ids[lo] == id;
}

/*
 * Get a buffer of room ids for the result: out's own when out aliases no
 * input (grown if needed), else a fresh one. *fresh tells which.
 */
static uint64_t *result_buf(stg_idset *out, const stg_idset *a, const stg_idset *b, size_t room,
                            int *fresh)
{
    if (room == 0) room = 1;
    *fresh = (out == a || out == b);
    if (!*fresh) return stg_idset_reserve(out, room) == STRATA_OK ? out->ids : NULL;
    return malloc(room * sizeof(uint64_t));
}

static void result_set(stg_idset *out, uint64_t *buf, size_t n, size_t room, int fresh)
{
    if (fresh) {
        free(out->ids);
        out->ids = buf;
        out->cap = room ? room : 1;
    }
    out->n = n;
}

int stg_idset_intersect(stg_idset *out, const stg_idset *a, const stg_idset *b)
{
    if (a->n > b->n) {
        const stg_idset *t = a;
        a = b;
        b = t;
    }
    size_t room = a->n, n = 0;
    int fresh;
    uint64_t *r = result_buf(out, a, b, room, &fresh);
    if (r == NULL) return STRATA_ENOMEM;
    if (a->n * GALLOP_RATIO < b->n) {
        size_t j = 0;
        for (size_t i = 0; i < a->n && j < b->n; i++) {
            j = lower_bound_from(b->ids, b->n, j, a->ids[i]);
            if (j < b->n && b->ids[j] == a->ids[i]) r[n++] = a->ids[i];
        }
    } else {
        size_t i = 0, j = 0;
        while (i < a->n && j < b->n) {
            if (a->ids[i] < b->ids[j])
                i++;
            else if (a->ids[i] > b->ids[j])
                j++;
            else {
                r[n++] = a->ids[i];
                i++;
                j++;
            }
        }
    }
    result_set(out, r, n, room, fresh);
    return STRATA_OK;
}

int stg_idset_union(stg_idset *out, const stg_idset *a, const stg_idset *b)
{
    size_t room = a->n + b->n, n = 0, i = 0, j = 0;
    int fresh;
    uint64_t *r = result_buf(out, a, b, room, &fresh);
    if (r == NULL) return STRATA_ENOMEM;
    while (i < a->n && j < b->n) {
        if (a->ids[i] < b->ids[j])
            r[n++] = a->ids[i++];
        else if (a->ids[i] > b->ids[j])
            r[n++] = b->ids[j++];
        else {
            r[n++] = a->ids[i++];
            j++;
        }
    }
    while (i < a->n)
        r[n++] = a->ids[i++];
    while (j < b->n)
        r[n++] = b->ids[j++];
    result_set(out, r, n, room, fresh);
    return STRATA_OK;
}

int stg_idset_difference(stg_idset *out, const stg_idset *a, const stg_idset *b)
{
    size_t room = a->n, n = 0;
    int fresh;
    uint64_t *r = result_buf(out, a, b, room, &fresh);
    if (r == NULL) return STRATA_ENOMEM;
    if (a->n * GALLOP_RATIO < b->n) {
        size_t j = 0;
        for (size_t i = 0; i < a->n; i++) {
            j = lower_bound_from(b->ids, b->n, j, a->ids[i]);
            if (j >= b->n || b->ids[j] != a->ids[i]) r[n++] = a->ids[i];
        }
    } else {
        size_t i = 0, j = 0;
        while (i < a->n) {
            if (j >= b->n || a->ids[i] < b->ids[j])
                r[n++] = a->ids[i++];
            else if (a->ids[i] > b->ids[j])
                j++;
            else {
                i++;
                j++;
            }
        }
    }
    result_set(out, r, n, room, fresh);
    return STRATA_OK;
}
