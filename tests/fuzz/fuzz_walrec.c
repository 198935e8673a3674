/*
 * tests/fuzz/fuzz_walrec.c: libFuzzer target for the engine's WAL write
 * records (storage/write.c), the payloads replayed at every start. A record
 * passed its checksum but may still be anything an older or broken build
 * wrote: neither the parser nor the replay may crash or read out of bounds.
 *
 * Input: byte 0 bit 0 selects the record type (0: type 2, varints; 1: type
 * 1, fixed width); the rest is the record. The pure parse
 * (stg__write_record_check) and the replay into a real engine
 * (stg__apply_write, in a temporary directory) must agree: malformed for
 * one is malformed for the other, and a good record applies as many points
 * as the parse counted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "storage/engine.h"
#include "storage/engine_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static stg_engine *eng;
static char dir[64];
static unsigned runs;

/* A fresh engine every 256 inputs, so that the columns the inputs create do not pile up. */
static stg_engine *engine(void)
{
    if (eng && runs++ % 256 != 0) return eng;
    if (eng) {
        eng->stopping = 2; /* close without a checkpoint: nothing here is worth keeping */
        stg_engine_close(eng);
        eng = NULL;
        strata_rm_tree(dir);
    }
    snprintf(dir, sizeof dir, "/tmp/strata-fuzz-walrec-XXXXXX");
    if (mkdtemp(dir) == NULL) abort();
    stg_options o;
    stg_options_default(&o);
    o.dir = dir;
    o.wal_sync = 0;
    o.background = 0;
    o.map_bytes = (size_t)256 << 20;
    if (stg_engine_open(&o, &eng, NULL) != STRATA_OK) abort();
    return eng;
}

static void cleanup(void)
{
    if (eng) {
        eng->stopping = 2;
        stg_engine_close(eng);
        strata_rm_tree(dir);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static int registered;
    if (!registered) {
        atexit(cleanup);
        registered = 1;
    }
    uint8_t type = data[0] & 1 ? STG__REC_WRITE : STG__REC_WRITE2;
    const uint8_t *rec = data + 1;
    size_t len = size - 1;
    uint64_t points = 0, values = 0;
    int ok = stg__write_record_check(type, rec, len, &points, &values) == STRATA_OK;

    stg_engine *e = engine();
    stg_engine_stats before, after;
    stg_engine_stats_get(e, &before);
    pthread_rwlock_wrlock(&e->heads_rw);
    int rc = stg__apply_write(e, type, rec, len, NULL);
    pthread_rwlock_unlock(&e->heads_rw);
    stg_engine_stats_get(e, &after);
    if (rc == STRATA_ENOMEM) return 0;
    if (ok != (rc == STRATA_OK)) abort();
    if (ok && after.points_written - before.points_written != points) abort();
    if (ok && after.values_written - before.values_written > values) abort();
    return 0;
}
