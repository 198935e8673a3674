/*
 * common/fs.c: strata_rm_tree (common/fs.h) over POSIX nftw(): no fixed-size
 * path buffers, no recursion of our own, symbolic links removed, not followed.
 */
#define _XOPEN_SOURCE 700
#include "common/fs.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

/* Depth first, so directories come after their contents. A failure is not
 * returned (nftw would stop); the caller checks that the root is gone. */
static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

int strata_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) return -1;
    return lstat(path, &st) == 0 ? (errno = ENOTEMPTY, -1) : 0;
}
