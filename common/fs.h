/*
 * common/fs.h: file-system helpers shared by the modules and the tests.
 * Small on purpose: the engine's own files are handled where they live
 * (storage/wal.c, storage/engine.c); this is for temporary trees.
 */
#ifndef STRATA_COMMON_FS_H
#define STRATA_COMMON_FS_H

/*
 * Remove path and everything below it, without following symbolic links
 * (nftw, depth first). A path that does not exist is not an error.
 * @return 0, or -1 with errno set by the first failure (the rest of the tree
 *         is still attempted).
 */
int strata_rm_tree(const char *path);

#endif
