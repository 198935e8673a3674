/*
 * common/arena.c: chained blocks; an allocation larger than the block size
 * gets a block of its own.
 */
#include "common/arena.h"

#include <stdlib.h>
#include <string.h>

struct strata_arena_block {
    strata_arena_block *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

void strata_arena_init(strata_arena *a, size_t block_bytes)
{
    a->head = NULL;
    a->block_bytes = block_bytes ? block_bytes : 65536;
    a->total_bytes = 0;
}

void strata_arena_fini(strata_arena *a)
{
    if (a == NULL) return;
    strata_arena_block *b = a->head;
    while (b) {
        strata_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->total_bytes = 0;
}

void strata_arena_reset(strata_arena *a)
{
    strata_arena_block *keep = NULL, *b = a->head;
    /* Keep the oldest block (the last in the chain): it has the default size. */
    while (b) {
        strata_arena_block *n = b->next;
        if (n == NULL)
            keep = b;
        else
            free(b);
        b = n;
    }
    a->head = keep;
    a->total_bytes = keep ? keep->cap : 0;
    if (keep) keep->used = 0;
}

void *strata_arena_alloc(strata_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    strata_arena_block *b = a->head;

    if (b == NULL || b->cap - b->used < need) {
        size_t cap = need > a->block_bytes ? need : a->block_bytes;
        strata_arena_block *nb = malloc(sizeof *nb + cap);
        if (nb == NULL) return NULL;
        nb->cap = cap;
        nb->used = 0;
        if (b != NULL && need > a->block_bytes) {
            /* An oversized block goes behind the current one so that the
             * current block keeps serving small allocations. */
            nb->next = b->next;
            b->next = nb;
            nb->used = need;
            a->total_bytes += cap;
            return nb->data;
        }
        nb->next = b;
        a->head = nb;
        a->total_bytes += cap;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
}

char *strata_arena_strndup(strata_arena *a, const char *s, size_t n)
{
    char *p = strata_arena_alloc(a, n + 1);
    if (p == NULL) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
