/*
 * query/cq_int.h: continuous queries inside the query module: the catalog
 * records shared by the statements (meta_cq.c) and the runner (cq.c), and
 * the statements' entry points called by the meta dispatch (meta.c).
 *
 * Catalog records (storage/catalog.h), name = the CQ's name:
 *   STG_CAT_CQ     u8 version (1) | u64 seq (big-endian) | u32 n (big-endian)
 *                  | n bytes: the statement as InfluxDB's String() prints it
 *                    (SHOW CONTINUOUS QUERIES, the "already exists" check)
 *                  | rest: the same statement in canonical InfluxQL (what runs:
 *                    InfluxDB's String() rounds float literals to 3 decimals)
 *                  seq orders a database's CQs by creation, as InfluxDB lists them:
 *                  max(the database's highest seq + 1, the creation time in ns).
 *   STG_CAT_CQRUN  u8 version (1) | u64 seq of the CQ it belongs to | i64 last run
 *                  | i64 resume (end of the last finished slice of the run in
 *                    progress, INT64_MIN when none) — all big-endian.
 *                  A record whose seq differs from the CQ's is stale (ignored).
 */
#ifndef STRATA_QUERY_CQ_INT_H
#define STRATA_QUERY_CQ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "query/exec_int.h"

#define QRY_CQ_REC_VERSION 1
#define QRY_CQ_REC_HEAD 13    /* version, seq, n */
#define QRY_CQRUN_REC_SIZE 25 /* version, seq, last run, resume */

/* A decoded STG_CAT_CQ record; pointers into the record's bytes. */
typedef struct qry_cq_rec {
    uint64_t seq;
    const char *shown; /* InfluxDB String() form */
    size_t shown_len;
    const char *text; /* canonical form */
    size_t text_len;
} qry_cq_rec;

/* @return STRATA_OK or STRATA_ECORRUPT. */
int qry__cq_rec_decode(const void *val, size_t vlen, qry_cq_rec *out);

/* A decoded STG_CAT_CQRUN record. */
typedef struct qry_cqrun_rec {
    uint64_t seq;
    int64_t last_run;
    int64_t resume;
} qry_cqrun_rec;

void qry__cqrun_rec_encode(const qry_cqrun_rec *r, uint8_t out[QRY_CQRUN_REC_SIZE]);
/* @return STRATA_OK or STRATA_ECORRUPT. */
int qry__cqrun_rec_decode(const void *val, size_t vlen, qry_cqrun_rec *out);

/*
 * CREATE / DROP CONTINUOUS QUERY: the whole statement (its result begun and
 * ended here, with InfluxDB's read-only warning over GET).
 */
int qry__exec_cq_stmt(qry_ctx *c, const qry_stmt *s);

/* SHOW CONTINUOUS QUERIES, inside the statement begun by the meta dispatch. */
int qry__show_cqs(qry_ctx *c);

#endif
