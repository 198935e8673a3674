/*
 * tools/strata_compact.c: `strata compact`, the offline face of the engine's
 * compaction (stg_engine_compact, storage/compact.c): open a stopped data
 * directory (replaying its WAL), checkpoint, merge and re-encode every
 * column's chunks into full chunks on packed LMDB pages, and report chunks
 * and bytes before and after. A running server compacts its own directory;
 * this command refuses a directory in use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/engine.h"
#include "tools/strata_int.h"

static const tl_flag compact_flags[] = {
    {"data-dir", "DIR", "the data directory (must not be in use by a server)"},
    {"chunk-points", "N", "points per merged chunk before page fitting (default 8192)"},
    {"json", NULL, "write the report as JSON on stdout"},
};

const tl_cmd tl_compact_cmd = {
    .name = "compact",
    .synopsis = "--data-dir DIR [--chunk-points N] [--json]",
    .summary = "merge and re-encode chunks, pack LMDB pages; report before and after",
    .about =
        "Opens the data directory as the server does (replaying its WAL), writes everything\n"
        "in memory to LMDB, then rewrites the chunk table: the chunks of each column are\n"
        "merged into full chunks in time order, points overwritten by later writes are\n"
        "dropped, each chunk is re-encoded with its best encoding, and the table is written in\n"
        "key order so that LMDB fills its pages. No point is lost or changed: an export before\n"
        "and after is identical. It needs free disk space for a second copy of the chunks;\n"
        "the space of the old copy is reused by LMDB for later data.\n"
        "\n"
        "The directory must not be in use by a running server.",
    .flags = compact_flags,
    .nflags = 3,
    .min_pos = 0,
    .max_pos = 0,
    .exits = "  0  compacted\n"
             "  1  the directory is in use, damaged (nothing was changed), or out of space\n"
             "  2  bad command line",
    .examples = "  strata compact --data-dir /var/lib/strata\n"
                "  strata compact --data-dir /var/lib/strata --json",
};

int tl_cmd_compact(int argc, char **argv)
{
    tl_args a;
    strata_error err;
    const tl_cmd *cmd = &tl_compact_cmd;
    stg_engine *e = NULL;
    stg_compact_stats cs;
    strata_logger log = {.sink = stderr, .level = STRATA_LOG_WARN};
    uint32_t points = 0;
    int rc;

    strata_error_clear(&err);
    if (tl_args_parse(cmd, argc, argv, &a, &err) != STRATA_OK) return tl_usage_error(cmd, err.msg);
    if (a.help) {
        tl_usage(stdout, cmd);
        return TL_EXIT_OK;
    }
    const char *dir = tl_arg(cmd, &a, "data-dir"), *cp = tl_arg(cmd, &a, "chunk-points");
    if (dir == NULL) return tl_usage_error(cmd, "--data-dir is required");
    if (cp) {
        char *end;
        unsigned long n = strtoul(cp, &end, 10);
        if (*cp == '\0' || *end != '\0' || n < 64 || n > STG_CHUNK_MAX_POINTS)
            return tl_usage_error(cmd, "--chunk-points needs a number from 64 to 65536");
        points = (uint32_t)n;
    }
    if (tl_dir_in_use(dir) == 1) {
        fprintf(stderr, "strata compact: %s is in use by a running server; stop it first\n", dir);
        return TL_EXIT_FAIL;
    }
    stg_options o;
    stg_options_default(&o);
    o.dir = dir;
    o.background = 0;
    o.log = &log;
    rc = stg_engine_open(&o, &e, &err);
    if (rc == STRATA_OK) rc = stg_engine_checkpoint(e, &err);
    if (rc == STRATA_OK) rc = stg_engine_compact(e, points, &cs, &err);
    stg_engine_close(e);
    if (rc != STRATA_OK) {
        fprintf(stderr, "strata compact: %s\n", err.msg[0] ? err.msg : strata_strerror(rc));
        return TL_EXIT_FAIL;
    }
    if (tl_arg(cmd, &a, "json")) {
        printf("{\"chunks_before\":%llu,\"chunks_after\":%llu,\"chunks_kept\":%llu,"
               "\"bytes_before\":%llu,\"bytes_after\":%llu}\n",
               (unsigned long long)cs.chunks_before, (unsigned long long)cs.chunks_after,
               (unsigned long long)cs.chunks_kept, (unsigned long long)cs.bytes_before,
               (unsigned long long)cs.bytes_after);
    } else {
        printf("chunks: %llu -> %llu (%llu kept as they were)\n"
               "chunk bytes: %llu -> %llu\n",
               (unsigned long long)cs.chunks_before, (unsigned long long)cs.chunks_after,
               (unsigned long long)cs.chunks_kept, (unsigned long long)cs.bytes_before,
               (unsigned long long)cs.bytes_after);
    }
    return TL_EXIT_OK;
}
