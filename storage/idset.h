/*
 * storage/idset.h: sorted sets of 64-bit series ids, the currency of tag
 * queries. The index fills them from posting lists (already sorted), the
 * query layer combines them: WHERE a='x' AND b='y' is an intersection, OR a
 * union, != a difference.
 *
 * An idset is a growable array kept sorted and without duplicates, except
 * transiently after stg_idset_add() (which appends) until
 * stg_idset_sort_unique(). The caller owns the struct and its memory; the
 * functions are not thread-safe on one set, independent sets are
 * independent.
 */
#ifndef STRATA_STORAGE_IDSET_H
#define STRATA_STORAGE_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct stg_idset {
    uint64_t *ids; /* ids[0..n), ascending and unique when normalised */
    size_t n, cap;
} stg_idset;

/* Make s an empty set holding no memory. */
void stg_idset_init(stg_idset *s);

/* Free s's memory and leave it empty (reusable). s may be NULL. */
void stg_idset_fini(stg_idset *s);

/* Empty s, keeping its memory. */
void stg_idset_clear(stg_idset *s);

/*
 * Make room for at least n ids in total. May move s->ids.
 * @return STRATA_OK or STRATA_ENOMEM (s unchanged).
 */
int stg_idset_reserve(stg_idset *s, size_t n);

/*
 * Append id. Appending in ascending order keeps the set normalised;
 * otherwise call stg_idset_sort_unique() before using the set as a set.
 * Amortised O(1). May move s->ids.
 * @return STRATA_OK or STRATA_ENOMEM (s unchanged).
 */
int stg_idset_add(stg_idset *s, uint64_t id);

/* Sort s ascending and drop duplicates. O(n log n); O(n) if already sorted. */
void stg_idset_sort_unique(stg_idset *s);

/* @return 1 if id is in the (normalised) set s, else 0. O(log n). */
int stg_idset_contains(const stg_idset *s, uint64_t id);

/*
 * out = a AND b, a OR b, a AND NOT b. a and b must be normalised; out is
 * normalised. out may be the same set as a or b (its old contents are read
 * before being replaced). When one input is much smaller than the other the
 * intersection and difference search instead of merging.
 * @return STRATA_OK or STRATA_ENOMEM (out unchanged).
 */
int stg_idset_intersect(stg_idset *out, const stg_idset *a, const stg_idset *b);
int stg_idset_union(stg_idset *out, const stg_idset *a, const stg_idset *b);
int stg_idset_difference(stg_idset *out, const stg_idset *a, const stg_idset *b);

#endif
