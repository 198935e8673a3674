/*
 * common/arena.h: a bump allocator for memory that dies together (one
 * request, one query, one parse). Allocation is a pointer bump inside a
 * block; blocks are chained and freed at once by strata_arena_reset() or
 * strata_arena_fini(). Not thread-safe: one arena per thread or request.
 */
#ifndef STRATA_COMMON_ARENA_H
#define STRATA_COMMON_ARENA_H

#include <stddef.h>

typedef struct strata_arena_block strata_arena_block;

typedef struct strata_arena {
    strata_arena_block *head; /* current block, newest first */
    size_t block_bytes;       /* default size of a new block */
    size_t total_bytes;       /* bytes held in all blocks */
} strata_arena;

/* Prepare an empty arena whose blocks are at least block_bytes (0: 64 KiB). */
void strata_arena_init(strata_arena *a, size_t block_bytes);

/* Free every block. a may be NULL. The arena may be reused after init. */
void strata_arena_fini(strata_arena *a);

/*
 * Forget every allocation but keep the first block for reuse, so a loop
 * that resets its arena per request does not call malloc once warmed up.
 */
void strata_arena_reset(strata_arena *a);

/*
 * Allocate n bytes aligned to 16. The memory lives until reset or fini.
 * @return the memory, or NULL when malloc fails.
 */
void *strata_arena_alloc(strata_arena *a, size_t n);

/* Copy n bytes into the arena and NUL-terminate. @return the copy or NULL. */
char *strata_arena_strndup(strata_arena *a, const char *s, size_t n);

#endif
