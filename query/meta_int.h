/*
 * query/meta_int.h: the meta statements' internal entry points (meta.c,
 * meta_show.c, meta_delete.c), internal to the query module. Each writes
 * its series through the statement's writer (c->w, inside an open
 * statement) and returns STRATA_OK or an error with c->err set to the
 * message InfluxDB would send.
 */
#ifndef STRATA_QUERY_META_INT_H
#define STRATA_QUERY_META_INT_H

#include "query/exec_int.h"

int qry__meta_series(qry_ctx *c, const char *name, size_t nlen, const char *const *cols,
                     size_t ncols);
int qry__meta_row(qry_ctx *c, const qry_val *vals);
int qry__meta_db(qry_ctx *c, const qry_show *sh, uint32_t *db, const char **name);

int qry__show_measurements(qry_ctx *c, const qry_show *sh);
int qry__show_tag_keys(qry_ctx *c, const qry_show *sh);
int qry__show_tag_values(qry_ctx *c, const qry_show *sh, int cardinality);
int qry__show_field_keys(qry_ctx *c, const qry_show *sh, int cardinality);
int qry__show_series(qry_ctx *c, const qry_show *sh, int cardinality);
int qry__show_measurement_cardinality(qry_ctx *c, const qry_show *sh);
int qry__show_tag_key_cardinality(qry_ctx *c, const qry_show *sh);

int qry__show_queries(qry_ctx *c);
int qry__kill_query(qry_ctx *c, uint64_t qid);

int qry__drop_measurement(qry_ctx *c, qry_str name);
int qry__drop_series(qry_ctx *c, const qry_show *sh);
int qry__delete(qry_ctx *c, const qry_show *sh);

/* A measurement of a SHOW or DELETE: name (arena copy) and id. */
typedef struct qry_mref {
    const char *name;
    size_t len;
    uint32_t mid;
} qry_mref;

/*
 * The measurements of database db named by sources (names and regexes),
 * or all of them when nsources is 0; sorted by name, unique. Arena memory.
 */
int qry__meta_measurements(qry_ctx *c, MDB_txn *txn, uint32_t db, const qry_source *sources,
                           uint32_t nsources, qry_mref **out, size_t *n);

/*
 * Check a SHOW/DELETE condition: only tag comparisons (=, !=, =~, !~) under
 * AND/OR (time comparisons are taken out first). @return STRATA_OK or
 * STRATA_EINVAL ("invalid tag comparison operator").
 */
int qry__meta_check_cond(qry_ctx *c, const qry_expr *cond);

/* ---- meta_rp.c: retention policies ---- */
#define QRY_MAX_RPS 64
/* Namespaces (storage/retention.h) of a database's retention policies. */
typedef struct qry_nsset {
    uint32_t v[QRY_MAX_RPS];
    size_t n;
} qry_nsset;
/*
 * The namespaces of every retention policy of database db (a C string), in
 * creation order. @return STRATA_OK; STRATA_ENOTFOUND (no such database,
 * c->err says so); STRATA_ELIMIT (more than QRY_MAX_RPS policies); LMDB
 * failures.
 */
int qry__meta_namespaces(qry_ctx *c, const char *db, qry_nsset *out);
/* Go's time.Duration.String() of d >= 0 into buf; returns the length (meta_queries.c). */
size_t qry__go_duration(int64_t d, char *buf, size_t cap);
int qry__create_database(qry_ctx *c, const qry_db_stmt *d);
int qry__create_rp(qry_ctx *c, const qry_rp_stmt *r);
int qry__alter_rp(qry_ctx *c, const qry_rp_stmt *r);
int qry__drop_rp(qry_ctx *c, const qry_rp_stmt *r);
int qry__show_rps(qry_ctx *c, const qry_show *sh);

#endif
