/*
 * query/plan_int.h: what the two halves of the SELECT compiler share, internal
 * to the query module: plan.c (sources, wildcard expansion, GROUP BY, the
 * driver) and plan_expr.c (function table, expression nodes, constant
 * folding, column names). The compilation state lives in the statement
 * arena and dies with the statement.
 */
#ifndef STRATA_QUERY_PLAN_INT_H
#define STRATA_QUERY_PLAN_INT_H

#include "query/exec_int.h"

typedef struct fn_def {
    const char *name;
    qry_fn fn;
    int kind; /* 0 aggregate, 1 selector, 2 transform, 3 math, 4 special */
} fn_def;

typedef struct col_def {
    const qry_expr *expr;
    qry_str alias;
    qry_node *node;
} col_def;

/* One name known in the sources: a field (with its type) or a tag key. */
typedef struct known {
    qry_str name;
    int is_tag;
    stg_type type;
} known;

typedef struct comp {
    qry_ctx *c;
    qry_plan *p;
    const qry_select *s;
    MDB_txn *txn;
    known *kn;
    size_t nkn, capkn;
    col_def *cols;
    size_t ncols, capcols;
    /* InfluxDB's compiledStatement flags */
    int has_aux, only_selectors, has_distinct;
    int ncalls;
    const char *topbottom;
    qry_node **aggs;
    size_t naggs, capaggs;
} comp;

/* plan.c */
int qry__pl_fail(comp *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qry__pl_grow(comp *k, void **arr, size_t *cap, size_t need, size_t elem);
int qry__pl_str_eq(qry_str a, const char *b, size_t bl);
int qry__pl_str_cmp(const char *a, size_t al, const char *b, size_t bl);
qry_expr *qry__pl_mk_varref(comp *k, qry_str name, qry_vtype t);

/* plan_expr.c */
/* The function named name, or NULL. */
const fn_def *qry__pl_fn_lookup(qry_str name);
/* 1 when a wildcard argument of fn expands to numeric fields only. */
int qry__pl_fn_numeric_only(qry_fn f);
/* The node of a field expression (InfluxDB's compileExpr checks); NULL with the error set. */
qry_node *qry__pl_build(comp *k, const qry_expr *e, int allow_wild);
/* e with constant arithmetic and math calls of constants folded (InfluxQL's Reduce). */
const qry_expr *qry__pl_fold(comp *k, const qry_expr *e);
/* 1 when e is a literal (after folding): "field must contain at least one variable". */
int qry__pl_only_literal(const qry_expr *e);
/* Column names as InfluxDB's ColumnNames(): aliases, then generated names made unique. */
int qry__pl_name_columns(comp *k, qry_node **nodes, qry_str *aliases, const qry_expr **exprs,
                         size_t n);

#endif
