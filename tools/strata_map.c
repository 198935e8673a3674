/*
 * tools/strata_map.c: an open-addressing hash map from 128-bit keys to u32
 * indices, for the per-series and per-column tallies of inspect, verify and
 * export (millions of entries, so no per-entry allocation: three parallel
 * arrays, linear probing, load factor at most 1/2).
 */
#include <stdlib.h>
#include <string.h>

#include "tools/strata_int.h"

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 32);
}

static int alloc_tables(tl_map *m, size_t cap)
{
    m->ka = malloc(cap * sizeof *m->ka);
    m->kb = malloc(cap * sizeof *m->kb);
    m->val = malloc(cap * sizeof *m->val);
    if (!m->ka || !m->kb || !m->val) {
        free(m->ka);
        free(m->kb);
        free(m->val);
        m->ka = m->kb = NULL;
        m->val = NULL;
        return STRATA_ENOMEM;
    }
    memset(m->val, 0xff, cap * sizeof *m->val);
    m->cap = cap;
    return STRATA_OK;
}

int tl_map_init(tl_map *m)
{
    memset(m, 0, sizeof *m);
    return alloc_tables(m, 1024);
}

void tl_map_fini(tl_map *m)
{
    if (m == NULL) return;
    free(m->ka);
    free(m->kb);
    free(m->val);
    memset(m, 0, sizeof *m);
}

uint32_t tl_map_get(const tl_map *m, uint64_t a, uint64_t b)
{
    if (m->cap == 0) return UINT32_MAX;
    size_t mask = m->cap - 1, i = (size_t)mix(a, b) & mask;
    while (m->val[i] != UINT32_MAX) {
        if (m->ka[i] == a && m->kb[i] == b) return m->val[i];
        i = (i + 1) & mask;
    }
    return UINT32_MAX;
}

static void insert_raw(tl_map *m, uint64_t a, uint64_t b, uint32_t v)
{
    size_t mask = m->cap - 1, i = (size_t)mix(a, b) & mask;
    while (m->val[i] != UINT32_MAX)
        i = (i + 1) & mask;
    m->ka[i] = a;
    m->kb[i] = b;
    m->val[i] = v;
}

int tl_map_put(tl_map *m, uint64_t a, uint64_t b, uint32_t v, uint32_t *existing)
{
    uint32_t cur = tl_map_get(m, a, b);
    if (cur != UINT32_MAX) {
        if (existing) *existing = cur;
        return 0;
    }
    if ((m->n + 1) * 2 > m->cap) {
        tl_map old = *m;
        if (alloc_tables(m, old.cap * 2) != STRATA_OK) {
            *m = old;
            return STRATA_ENOMEM;
        }
        m->n = old.n;
        for (size_t i = 0; i < old.cap; i++)
            if (old.val[i] != UINT32_MAX) insert_raw(m, old.ka[i], old.kb[i], old.val[i]);
        free(old.ka);
        free(old.kb);
        free(old.val);
    }
    insert_raw(m, a, b, v);
    m->n++;
    if (existing) *existing = v;
    return 1;
}
