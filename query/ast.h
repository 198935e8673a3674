/*
 * query/ast.h: the InfluxQL syntax tree built by qry_parse() (parser.h) and
 * consumed by the planner and executor.
 *
 * Everything in a tree lives in the strata_arena passed to qry_parse(): the
 * nodes, arrays and strings. Nothing is freed individually; the tree dies
 * with the arena (strata_arena_reset/fini). Trees are immutable after parse
 * and may be read from several threads.
 *
 * Conventions:
 *   - Strings are qry_str: ptr is NUL-terminated arena memory (never NULL in
 *     a built tree, "" when empty), len is the byte length (strings from
 *     bound parameters may contain NUL bytes). An empty database, retention
 *     policy or alias means "not given", as in InfluxDB.
 *   - Arrays are pointer + count (uint32_t).
 *   - Durations are int64 nanoseconds. Limits and offsets are 0 when absent.
 *   - Regexes are kept as source text (after InfluxQL unescaping of "\/");
 *     compiling them (PCRE2) is the executor's job.
 *   - Identifiers keep their case; function names are lower-cased.
 *   - Time: a string literal that parses as a time literal carries its value
 *     (expr.has_time, expr.time_ns); a now() call carries the `now` the
 *     caller gave to qry_parse(). qry_expr_time_value() folds constant time
 *     expressions such as now() - 6h or '2020-01-01T00:00:00Z' + 1h.
 *   - Positions are 1-based line and char (runes) as in InfluxDB messages,
 *     plus the byte offset in the query text.
 *   - Expression trees are at most QRY_MAX_EXPR_DEPTH deep, so recursive
 *     walkers need no further guard.
 *
 * The formatter (qry_stmt_format and friends) prints a tree back as
 * InfluxQL text, either canonical (parse(format(t)) gives t back) or in
 * InfluxDB's own String() style, which SHOW CONTINUOUS QUERIES displays.
 */
#ifndef STRATA_QUERY_AST_H
#define STRATA_QUERY_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest expression tree the parser builds (long AND/OR chains count). */
#define QRY_MAX_EXPR_DEPTH 4000

typedef struct qry_str {
    const char *ptr;
    size_t len;
} qry_str;

typedef struct qry_pos {
    uint32_t line; /* 1-based */
    uint32_t col;  /* 1-based, in runes */
    uint32_t off;  /* byte offset from the start of the query text */
} qry_pos;

/* ---- expressions -------------------------------------------------------- */

typedef enum qry_expr_kind {
    QRY_EXPR_VARREF = 1, /* field or tag reference: ref */
    QRY_EXPR_CALL,       /* function call: call */
    QRY_EXPR_BINARY,     /* binary operation: bin */
    QRY_EXPR_PAREN,      /* parenthesised expression: paren */
    QRY_EXPR_INTEGER,    /* i64 */
    QRY_EXPR_UNSIGNED,   /* u64, only for integers above INT64_MAX */
    QRY_EXPR_NUMBER,     /* f64 */
    QRY_EXPR_STRING,     /* str (time literal value in has_time/time_ns) */
    QRY_EXPR_BOOL,       /* b */
    QRY_EXPR_DURATION,   /* dur_ns */
    QRY_EXPR_REGEX,      /* regex source: str */
    QRY_EXPR_WILDCARD,   /* *, *::field, *::tag: wildcard */
    QRY_EXPR_DISTINCT,   /* DISTINCT ident (not the distinct() call): str */
} qry_expr_kind;

typedef enum qry_op {
    QRY_OP_ADD = 1,  /* + */
    QRY_OP_SUB,      /* - */
    QRY_OP_MUL,      /* * */
    QRY_OP_DIV,      /* / */
    QRY_OP_MOD,      /* % */
    QRY_OP_BITAND,   /* & */
    QRY_OP_BITOR,    /* | */
    QRY_OP_BITXOR,   /* ^ */
    QRY_OP_AND,      /* AND */
    QRY_OP_OR,       /* OR */
    QRY_OP_EQ,       /* = */
    QRY_OP_NEQ,      /* != and <> */
    QRY_OP_EQREGEX,  /* =~ (rhs is a QRY_EXPR_REGEX) */
    QRY_OP_NEQREGEX, /* !~ (rhs is a QRY_EXPR_REGEX) */
    QRY_OP_LT,       /* < */
    QRY_OP_LTE,      /* <= */
    QRY_OP_GT,       /* > */
    QRY_OP_GTE,      /* >= */
} qry_op;

/* Data type casts (a::float) and wildcard kinds (*::tag). */
typedef enum qry_vtype {
    QRY_VT_UNKNOWN = 0, /* no cast */
    QRY_VT_FLOAT,
    QRY_VT_INTEGER,
    QRY_VT_UNSIGNED,
    QRY_VT_STRING,
    QRY_VT_BOOLEAN,
    QRY_VT_FIELD, /* ::field, any field type */
    QRY_VT_TAG,   /* ::tag */
} qry_vtype;

typedef struct qry_expr qry_expr;

struct qry_expr {
    qry_expr_kind kind;
    qry_pos pos;
    uint32_t depth; /* 1 for a leaf */
    /*
     * For QRY_EXPR_STRING that reads as a time literal, and for a now()
     * call: the time in ns since the epoch. time_local: the literal had no
     * zone (read as UTC; tz() may shift it).
     */
    bool has_time;
    bool time_local;
    int64_t time_ns;
    union {
        /* VARREF. name: segments joined with '.' as written ("a"."b" -> a.b). */
        struct {
            qry_str name;
            qry_vtype type;
        } ref;
        /* CALL. name lower-cased; args may be NULL when nargs == 0. */
        struct {
            qry_str name;
            qry_expr **args;
            uint32_t nargs;
        } call;
        /*
         * BINARY. unary is 0 for a real binary operation, or '-' / '+' when
         * the node comes from a unary sign on a non-literal (-x is parsed as
         * -1 * x, +x as 1 * x, like InfluxDB).
         */
        struct {
            qry_op op;
            qry_expr *lhs, *rhs;
            char unary;
        } bin;
        struct {
            qry_expr *expr;
        } paren;
        int64_t i64;
        uint64_t u64;
        double f64;
        bool b;
        int64_t dur_ns;
        qry_str str;        /* STRING, REGEX, DISTINCT */
        qry_vtype wildcard; /* UNKNOWN, FIELD or TAG */
    } u;
};

/* ---- sources and SELECT ------------------------------------------------- */

/* A measurement reference: [db.][rp.]name or [db.][rp.]/regex/. */
typedef struct qry_measurement {
    qry_str db;    /* "" if not given */
    qry_str rp;    /* "" if not given */
    qry_str name;  /* "" when regex is used (or INTO ...:MEASUREMENT) */
    qry_str regex; /* source text, valid when has_regex */
    bool has_regex;
    qry_pos pos;
} qry_measurement;

typedef struct qry_select qry_select;

typedef enum qry_source_kind {
    QRY_SRC_MEASUREMENT = 1,
    QRY_SRC_SUBQUERY,
} qry_source_kind;

typedef struct qry_source {
    qry_source_kind kind;
    qry_measurement m; /* QRY_SRC_MEASUREMENT */
    qry_select *sub;   /* QRY_SRC_SUBQUERY */
} qry_source;

typedef struct qry_field {
    qry_expr *expr;
    qry_str alias; /* "" if no AS */
    qry_pos pos;
} qry_field;

typedef enum qry_fill {
    QRY_FILL_NULL = 0, /* default, also fill(null) */
    QRY_FILL_NONE,
    QRY_FILL_NUMBER, /* fill(<number>): fill_is_int ? fill_i64 : fill_f64 */
    QRY_FILL_PREVIOUS,
    QRY_FILL_LINEAR,
} qry_fill;

/* ORDER BY item: name is "time" or "" (ORDER BY DESC). */
typedef struct qry_sort_field {
    qry_str name;
    bool asc;
} qry_sort_field;

struct qry_select {
    qry_field *fields;
    uint32_t nfields;
    qry_measurement *target; /* INTO, NULL if none; name "" means :MEASUREMENT */
    qry_source *sources;
    uint32_t nsources;
    qry_expr *cond;  /* WHERE, NULL if none */
    qry_expr **dims; /* GROUP BY items: time(...) calls, var refs, *, /regex/ */
    uint32_t ndims;
    qry_fill fill;
    bool fill_is_int;
    int64_t fill_i64;
    double fill_f64;
    qry_sort_field *sort;
    uint32_t nsort;
    int64_t limit, offset, slimit, soffset;
    qry_str tz;  /* tz('...') zone name, "" if none (not validated here) */
    bool is_raw; /* no function call anywhere in the fields */
};

/* ---- statements --------------------------------------------------------- */

typedef enum qry_stmt_kind {
    QRY_STMT_SELECT = 1,  /* select */
    QRY_STMT_EXPLAIN,     /* select, explain_analyze */
    QRY_STMT_DELETE,      /* show: sources, cond */
    QRY_STMT_DROP_SERIES, /* show: sources, cond */
    QRY_STMT_SHOW_DATABASES,
    QRY_STMT_SHOW_MEASUREMENTS, /* show: db, with_measurement, cond, sort, limit, offset */
    QRY_STMT_SHOW_TAG_KEYS,     /* show: db, sources, cond, sort, limit..soffset */
    QRY_STMT_SHOW_TAG_VALUES,   /* show: db, sources, key_*, cond, sort, limit, offset */
    QRY_STMT_SHOW_FIELD_KEYS,   /* show: db, sources, sort, limit, offset */
    QRY_STMT_SHOW_SERIES,       /* show: db, sources, cond, sort, limit, offset */
    QRY_STMT_SHOW_MEASUREMENT_CARDINALITY, /* show: exact, db, sources, cond, dims, limit, offset */
    QRY_STMT_SHOW_SERIES_CARDINALITY,      /* same */
    QRY_STMT_SHOW_TAG_KEY_CARDINALITY,     /* same */
    QRY_STMT_SHOW_TAG_VALUES_CARDINALITY,  /* same plus key_* */
    QRY_STMT_SHOW_FIELD_KEY_CARDINALITY,   /* same */
    QRY_STMT_SHOW_RETENTION_POLICIES,      /* show.db */
    QRY_STMT_SHOW_CONTINUOUS_QUERIES,
    QRY_STMT_SHOW_USERS,
    QRY_STMT_SHOW_GRANTS, /* user.name */
    QRY_STMT_SHOW_QUERIES,
    QRY_STMT_SHOW_DIAGNOSTICS, /* show.module */
    QRY_STMT_SHOW_STATS,       /* show.module */
    QRY_STMT_SHOW_SHARDS,
    QRY_STMT_SHOW_SHARD_GROUPS,
    QRY_STMT_SHOW_SUBSCRIPTIONS,
    QRY_STMT_CREATE_DATABASE,         /* db */
    QRY_STMT_DROP_DATABASE,           /* db.name */
    QRY_STMT_DROP_MEASUREMENT,        /* name */
    QRY_STMT_DROP_SHARD,              /* id */
    QRY_STMT_CREATE_RETENTION_POLICY, /* rp */
    QRY_STMT_ALTER_RETENTION_POLICY,  /* rp (has_* say which options were given) */
    QRY_STMT_DROP_RETENTION_POLICY,   /* rp.name, rp.db */
    QRY_STMT_CREATE_CONTINUOUS_QUERY, /* cq */
    QRY_STMT_DROP_CONTINUOUS_QUERY,   /* cq.name, cq.db */
    QRY_STMT_KILL_QUERY,              /* id, host */
    QRY_STMT_CREATE_USER,             /* user */
    QRY_STMT_DROP_USER,               /* user.name */
    QRY_STMT_SET_PASSWORD,            /* user.name, user.password */
    QRY_STMT_GRANT,                   /* user.name, user.priv, user.db or user.admin */
    QRY_STMT_REVOKE,                  /* same */
    QRY_STMT_CREATE_SUBSCRIPTION,     /* sub */
    QRY_STMT_DROP_SUBSCRIPTION,       /* sub.name, sub.db, sub.rp */
} qry_stmt_kind;

/* Tag key selector of SHOW TAG VALUES: WITH KEY = k | != k | IN (a, b) | =~ /re/ | !~ /re/. */
typedef enum qry_key_op {
    QRY_KEY_NONE = 0,
    QRY_KEY_EQ,
    QRY_KEY_NEQ,
    QRY_KEY_IN,
    QRY_KEY_EQREGEX,
    QRY_KEY_NEQREGEX,
} qry_key_op;

/* The SHOW family, DELETE and DROP SERIES: fields unused by a kind stay zero. */
typedef struct qry_show {
    qry_str db;          /* ON db */
    bool exact;          /* ... EXACT CARDINALITY */
    qry_source *sources; /* FROM (measurements only) */
    uint32_t nsources;
    /* SHOW MEASUREMENTS WITH MEASUREMENT = m | =~ /re/ (op follows has_regex). */
    qry_measurement *with_measurement;
    qry_key_op key_op;
    qry_str *keys; /* EQ/NEQ: 1 key; IN: nkeys; EQREGEX/NEQREGEX: 1 regex source */
    uint32_t nkeys;
    qry_expr *cond;
    qry_expr **dims;
    uint32_t ndims;
    qry_sort_field *sort;
    uint32_t nsort;
    int64_t limit, offset, slimit, soffset;
    qry_str module; /* SHOW STATS / DIAGNOSTICS FOR 'module' */
} qry_show;

/* CREATE DATABASE name [WITH [DURATION d] [REPLICATION n] [SHARD DURATION d] [NAME rp]]. */
typedef struct qry_db_stmt {
    qry_str name;
    bool with; /* a WITH clause was given (create a retention policy) */
    bool has_duration, has_replication, has_shard_duration;
    int64_t duration_ns; /* 0 = INF */
    int64_t replication;
    int64_t shard_duration_ns;
    qry_str rp_name; /* "" if no NAME */
} qry_db_stmt;

/* CREATE / ALTER / DROP RETENTION POLICY. */
typedef struct qry_rp_stmt {
    qry_str name;
    qry_str db;
    bool has_duration, has_replication,
        has_shard_duration; /* CREATE: duration, replication always */
    int64_t duration_ns;    /* 0 = INF */
    int64_t replication;
    int64_t shard_duration_ns;
    bool is_default;
} qry_rp_stmt;

/* CREATE / DROP CONTINUOUS QUERY. */
typedef struct qry_cq_stmt {
    qry_str name;
    qry_str db;
    int64_t resample_every_ns; /* 0 if not given */
    int64_t resample_for_ns;   /* 0 if not given */
    qry_select *select;        /* CREATE only; has a target */
} qry_cq_stmt;

typedef enum qry_priv {
    QRY_PRIV_NONE = 0,
    QRY_PRIV_READ,
    QRY_PRIV_WRITE,
    QRY_PRIV_ALL,
} qry_priv;

/* Users and privileges. */
typedef struct qry_user_stmt {
    qry_str name;
    qry_str password; /* CREATE USER, SET PASSWORD */
    bool admin;       /* CREATE USER ... WITH ALL PRIVILEGES; GRANT/REVOKE ALL [PRIVILEGES]
                       * TO/FROM user (the admin form, no database) */
    qry_priv priv;    /* GRANT / REVOKE */
    qry_str db;       /* GRANT / REVOKE ... ON db */
} qry_user_stmt;

/* CREATE / DROP SUBSCRIPTION name ON db.rp DESTINATIONS ALL|ANY 'h1', 'h2'. */
typedef struct qry_sub_stmt {
    qry_str name, db, rp;
    bool any; /* ANY (else ALL) */
    qry_str *dests;
    uint32_t ndests;
} qry_sub_stmt;

typedef struct qry_stmt {
    qry_stmt_kind kind;
    qry_pos pos; /* of the first keyword */
    union {
        struct {
            qry_select *select;
            bool explain_analyze;
        } sel;
        qry_show show;
        qry_db_stmt db;
        qry_rp_stmt rp;
        qry_cq_stmt cq;
        qry_user_stmt user;
        qry_sub_stmt sub;
        struct {
            uint64_t id;
            qry_str host; /* KILL QUERY id ON host */
        } kill;
        qry_str name; /* DROP MEASUREMENT */
        uint64_t id;  /* DROP SHARD */
    } u;
} qry_stmt;

/* A parsed query: statements in text order. */
typedef struct qry_query {
    qry_stmt **stmts;
    uint32_t nstmts;
    int64_t now_ns; /* the `now` given to qry_parse() */
} qry_query;

/* ---- formatting --------------------------------------------------------- */

typedef enum qry_fmt_mode {
    /*
     * Canonical InfluxQL: numbers print exactly, -x prints as "-x", names
     * are quoted where needed, passwords are printed. Reparsing the text
     * gives an equal tree (qry_stmt_equal) for any tree parsed from text
     * without bound parameters (a parameter can put a regex or a string
     * with a carriage return where no literal can be written).
     */
    QRY_FMT_CANONICAL = 0,
    /*
     * InfluxDB 1.x String() style, as SHOW CONTINUOUS QUERIES shows stored
     * queries: floats with three decimals, -x as "-1 * x", TZ('...'),
     * passwords as [REDACTED]. Use it for echoing and for logs; it does not
     * always parse back to the same tree.
     */
    QRY_FMT_INFLUX = 1,
} qry_fmt_mode;

/*
 * Print a statement as InfluxQL. Like snprintf: writes at most cap-1 bytes
 * and a NUL when cap > 0, and returns the length the full text needs (so a
 * return value >= cap means truncation; call again with a bigger buffer).
 * buf may be NULL when cap is 0. Thread-safe; no allocation.
 */
size_t qry_stmt_format(const qry_stmt *s, char *buf, size_t cap);
size_t qry_stmt_format_mode(const qry_stmt *s, qry_fmt_mode mode, char *buf, size_t cap);

/* Same for a whole query: statements joined by ";\n". */
size_t qry_query_format(const qry_query *q, qry_fmt_mode mode, char *buf, size_t cap);

/* Same for one expression, and for a SELECT statement. */
size_t qry_expr_format(const qry_expr *e, qry_fmt_mode mode, char *buf, size_t cap);
size_t qry_select_format(const qry_select *s, qry_fmt_mode mode, char *buf, size_t cap);

/* Text of an operator ("+", "AND", "=~"); "" for an unknown value. */
const char *qry_op_str(qry_op op);

/* ---- tree helpers ------------------------------------------------------- */

/*
 * Structural equality of two trees, ignoring source positions and depth.
 * Used by tests and the fuzz round-trip check. Thread-safe.
 */
bool qry_stmt_equal(const qry_stmt *a, const qry_stmt *b);
bool qry_expr_equal(const qry_expr *a, const qry_expr *b);

/* True if e is a reference to the time column (`time`, any case, no cast). */
bool qry_expr_is_time_ref(const qry_expr *e);

/*
 * Evaluate a constant time expression to ns since the epoch, as InfluxDB
 * reads the right side of `time <op> ...`:
 *   now()                      the query's now (e->time_ns)
 *   'RFC3339' / 'YYYY-MM-DD'   the time literal (e->time_ns)
 *   integer, unsigned          ns since the epoch
 *   duration                   its length since the epoch (1500000000s)
 *   number                     ns since the epoch, truncated
 *   a + d, a - d, d + a        with a a time expression above, d a duration
 *                              or integer, also nested and parenthesised
 * @return STRATA_OK; STRATA_EINVAL when e is not such an expression (or is
 *         a string that is not a valid time); STRATA_ERANGE on overflow.
 */
int qry_expr_time_value(const qry_expr *e, int64_t *out_ns);

/*
 * The GROUP BY time(...) of a SELECT: *interval_ns, and *offset_ns as
 * written (a duration such as -15m, or for time(1h, now()) / a time literal
 * the absolute time in ns). The executor aligns windows on the offset
 * modulo the interval. Both are 0 when there is no time() dimension.
 * why (optional) receives a static message when time() has a bad shape:
 * "time dimension expected 1 or 2 arguments", "time dimension must have
 * duration argument" or "invalid time dimension offset".
 * @return STRATA_OK or STRATA_EINVAL
 */
int qry_select_group_by_time(const qry_select *s, int64_t *interval_ns, int64_t *offset_ns,
                             const char **why);

#endif
