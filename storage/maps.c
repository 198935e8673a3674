/*
 * storage/maps.c: the engine's in-memory hash maps. Open addressing with
 * linear probing and backward-shift deletion, so that there are no
 * tombstones and a lookup stops at the first empty slot.
 *   colmap: (db, series, field) -> column, read by readers and writers
 *   strmap: 64-bit hash -> item, with a caller equality test (series by
 *           canonical key, measurements by name)
 */
#include "storage/engine_int.h"

#include <stdlib.h>

static uint64_t col_hash(uint32_t db, uint64_t series, uint32_t field)
{
    uint64_t h = series ^ ((uint64_t)db << 32 | field) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h;
}

int stg__colmap_init(stg__colmap *m)
{
    m->cap = 1024;
    m->n = 0;
    m->slots = calloc(m->cap, sizeof *m->slots);
    return m->slots ? STRATA_OK : STRATA_ENOMEM;
}

void stg__colmap_fini(stg__colmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}

stg__column *stg__colmap_get(const stg__colmap *m, uint32_t db, uint64_t series, uint32_t field)
{
    return stg__colmap_get_at(m, stg__colmap_slot(m, db, series, field), db, series, field);
}

size_t stg__colmap_slot(const stg__colmap *m, uint32_t db, uint64_t series, uint32_t field)
{
    return col_hash(db, series, field) & (m->cap - 1);
}

stg__column *stg__colmap_get_at(const stg__colmap *m, size_t slot, uint32_t db, uint64_t series,
                                uint32_t field)
{
    size_t mask = m->cap - 1, i = slot & mask;
    for (;;) {
        stg__column *c = m->slots[i];
        if (c == NULL) return NULL;
        if (c->series == series && c->field == field && c->db == db) return c;
        i = (i + 1) & mask;
    }
}

static void colmap_insert(stg__column **slots, size_t cap, stg__column *c)
{
    size_t mask = cap - 1, i = col_hash(c->db, c->series, c->field) & mask;
    while (slots[i] != NULL)
        i = (i + 1) & mask;
    slots[i] = c;
}

int stg__colmap_put(stg__colmap *m, stg__column *c)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap * 2;
        stg__column **ns = calloc(ncap, sizeof *ns);
        if (ns == NULL) return STRATA_ENOMEM;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i]) colmap_insert(ns, ncap, m->slots[i]);
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    colmap_insert(m->slots, m->cap, c);
    m->n++;
    return STRATA_OK;
}

void stg__colmap_del(stg__colmap *m, const stg__column *c)
{
    size_t mask = m->cap - 1, i = col_hash(c->db, c->series, c->field) & mask;
    while (m->slots[i] != c) {
        if (m->slots[i] == NULL) return;
        i = (i + 1) & mask;
    }
    /* Backward shift: move later members of the probe run into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j] != NULL; j = (j + 1) & mask) {
        stg__column *x = m->slots[j];
        size_t home = col_hash(x->db, x->series, x->field) & mask;
        /* x may move to the hole if its home is not within (hole, j]. */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = x;
            hole = j;
        }
    }
    m->slots[hole] = NULL;
    m->n--;
}

int stg__strmap_init(stg__strmap *m)
{
    m->cap = 256;
    m->n = 0;
    m->slots = calloc(m->cap, sizeof *m->slots);
    m->hashes = calloc(m->cap, sizeof *m->hashes);
    if (m->slots == NULL || m->hashes == NULL) {
        free(m->slots);
        free(m->hashes);
        m->slots = NULL;
        m->hashes = NULL;
        return STRATA_ENOMEM;
    }
    return STRATA_OK;
}

void stg__strmap_clear(stg__strmap *m, void (*free_fn)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i] && free_fn) free_fn(m->slots[i]);
        m->slots[i] = NULL;
    }
    m->n = 0;
}

void stg__strmap_fini(stg__strmap *m, void (*free_fn)(void *))
{
    if (m->slots) stg__strmap_clear(m, free_fn);
    free(m->slots);
    free(m->hashes);
    m->slots = NULL;
    m->hashes = NULL;
    m->cap = m->n = 0;
}

void *stg__strmap_get(const stg__strmap *m, uint64_t hash,
                      int (*eq)(const void *item, const void *ctx), const void *ctx)
{
    size_t mask = m->cap - 1, i = hash & mask;
    while (m->slots[i] != NULL) {
        if (m->hashes[i] == hash && eq(m->slots[i], ctx)) return m->slots[i];
        i = (i + 1) & mask;
    }
    return NULL;
}

static void strmap_insert(void **slots, uint64_t *hashes, size_t cap, uint64_t hash, void *item)
{
    size_t mask = cap - 1, i = hash & mask;
    while (slots[i] != NULL)
        i = (i + 1) & mask;
    slots[i] = item;
    hashes[i] = hash;
}

int stg__strmap_put(stg__strmap *m, uint64_t hash, void *item)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap * 2;
        void **ns = calloc(ncap, sizeof *ns);
        uint64_t *nh = calloc(ncap, sizeof *nh);
        if (ns == NULL || nh == NULL) {
            free(ns);
            free(nh);
            return STRATA_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i]) strmap_insert(ns, nh, ncap, m->hashes[i], m->slots[i]);
        free(m->slots);
        free(m->hashes);
        m->slots = ns;
        m->hashes = nh;
        m->cap = ncap;
    }
    strmap_insert(m->slots, m->hashes, m->cap, hash, item);
    m->n++;
    return STRATA_OK;
}
