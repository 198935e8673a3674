/*
 * tools/strata_int.h: the private interfaces of the `strata` operator tool.
 *
 * `strata` (tools/strata.c) is a thin dispatcher over subcommands, each in
 * its own file: inspect, verify, backup/restore, export, import. They share:
 *
 *   strata_cli.c     flags, help texts, exit codes, progress line, JSON writer,
 *                    time parsing and formatting, sizes
 *   strata_map.c     a hash map of 128-bit keys to u32 indices (series, columns)
 *   strata_store.c   a read-only view of a data directory's LMDB environment
 *                    (MDB_RDONLY, never a write transaction) and readers for the
 *                    raw records of storage/FORMAT.md; the WAL lock probe
 *   strata_colread.c one column read from LMDB chunks alone (merging overlapping
 *                    chunks, newest sequence number winning), for a directory a
 *                    running server holds
 *   strata_lpfmt.c   line-protocol output: escaping and shortest round-trip floats
 *
 * Why raw records: the index API (storage/index.h) can only be opened in a
 * write transaction, and inspect/verify must neither write to a stopped
 * directory nor take the writer lock of a running server. Export and import
 * use the engine's public API (storage/engine.h) whenever they can open the
 * directory.
 *
 * Exit codes of every subcommand: TL_EXIT_OK (0), TL_EXIT_FAIL (1: problems
 * found or the operation failed), TL_EXIT_USAGE (2: bad command line).
 *
 * Prefixes: tl_ for shared helpers, tl_cmd_ for subcommand entry points.
 * Nothing here is thread-safe unless said so; the tool is single-threaded
 * except for the WAL watcher of `strata backup` (strata_backup.c).
 */
#ifndef STRATA_TOOLS_STRATA_INT_H
#define STRATA_TOOLS_STRATA_INT_H

#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "storage/chunk.h"
#include "storage/idset.h"
#include "storage/types.h"

#define TL_EXIT_OK 0
#define TL_EXIT_FAIL 1
#define TL_EXIT_USAGE 2

/* ------------------------------------------------------------------ CLI */

/* One flag of a subcommand. arg NULL: a switch without value. */
typedef struct tl_flag {
    const char *name; /* without "--" */
    const char *arg;  /* metavariable, e.g. "DIR"; NULL for a switch */
    const char *help;
} tl_flag;

/* A subcommand's description, used for parsing and for --help. */
typedef struct tl_cmd {
    const char *name;     /* "inspect" */
    const char *synopsis; /* "--data-dir DIR [--json]" */
    const char *summary;  /* one line for `strata --help` */
    const char *about;    /* paragraphs for `strata NAME --help` */
    const tl_flag *flags;
    int nflags;
    int min_pos, max_pos; /* positional arguments allowed */
    const char *exits;    /* the exit codes paragraph */
    const char *examples;
} tl_cmd;

#define TL_MAX_FLAGS 16
#define TL_MAX_POS 4

typedef struct tl_args {
    const char *val[TL_MAX_FLAGS]; /* value of flag i; "" for a given switch */
    int set[TL_MAX_FLAGS];
    const char *pos[TL_MAX_POS];
    int npos;
    int help;
} tl_args;

/*
 * Parse argv (after the subcommand name) against cmd: "--flag VALUE",
 * "--flag=VALUE", switches, "--help"/"-h", positionals, "--" ends flags
 * ("-" alone is a positional: stdin).
 * @return STRATA_OK or STRATA_EINVAL (err names the bad argument).
 */
int tl_args_parse(const tl_cmd *cmd, int argc, char **argv, tl_args *a, strata_error *err);

/* Value of flag name (NULL if not given). */
const char *tl_arg(const tl_cmd *cmd, const tl_args *a, const char *name);
/* 1 if switch or flag name was given. */
int tl_arg_set(const tl_cmd *cmd, const tl_args *a, const char *name);

/* Print the subcommand's help to out. */
void tl_usage(FILE *out, const tl_cmd *cmd);

/* Print "strata NAME: msg (see strata NAME --help)" and return TL_EXIT_USAGE. */
int tl_usage_error(const tl_cmd *cmd, const char *msg);

/*
 * Parse a time: an integer (nanoseconds since the epoch, may be negative)
 * or RFC3339 ("2016-01-01T00:00:00Z", fractional seconds up to 9 digits,
 * "Z" or "+hh:mm"/"-hh:mm"; a date alone "2016-01-01" is midnight UTC).
 * @return STRATA_OK, STRATA_EINVAL, STRATA_ERANGE.
 */
int tl_time_parse(const char *s, int64_t *out);

/* RFC3339 with nanoseconds ("2016-01-01T00:00:00.000000000Z") into buf (>= 40). */
const char *tl_time_fmt(int64_t ns, char *buf, size_t cap);

/* "12.3 MiB" into buf. */
const char *tl_bytes_fmt(uint64_t n, char *buf, size_t cap);

/* ----------------------------------------------------------- progress */

/*
 * A progress line on stderr, only when stderr is a terminal: "\r<what>:
 * <done> of <total> <unit> (p%)", redrawn at most five times a second and
 * erased by tl_progress_end().
 */
typedef struct tl_progress {
    int tty;
    int shown;
    int64_t next_ns;
    const char *what;
} tl_progress;

void tl_progress_init(tl_progress *p, const char *what);
/* total 0: unknown. Cheap when nothing is drawn (a clock read every 4096 calls). */
void tl_progress_update(tl_progress *p, uint64_t done, uint64_t total, const char *unit);
void tl_progress_end(tl_progress *p);
/* Draw a fixed text now (a step whose progress cannot be measured), tty only. */
void tl_progress_note(tl_progress *p, const char *text);

/* --------------------------------------------------------------- JSON */

/*
 * A streaming JSON writer, indented by two spaces. Keys are given with
 * every value inside objects and are NULL inside arrays. Strings are
 * escaped (control bytes as \u00XX; invalid UTF-8 bytes as \u00XX of the
 * byte, so that any name comes out as valid JSON).
 */
typedef struct tl_json {
    FILE *f;
    int depth;
    unsigned char first[64];
} tl_json;

void tl_json_init(tl_json *j, FILE *f);
void tl_json_obj(tl_json *j, const char *key);
void tl_json_obj_end(tl_json *j);
void tl_json_arr(tl_json *j, const char *key);
void tl_json_arr_end(tl_json *j);
void tl_json_str(tl_json *j, const char *key, const char *s, size_t len);
void tl_json_cstr(tl_json *j, const char *key, const char *s);
void tl_json_u64(tl_json *j, const char *key, uint64_t v);
void tl_json_i64(tl_json *j, const char *key, int64_t v);
void tl_json_f64(tl_json *j, const char *key, double v); /* NaN, inf -> null */
void tl_json_bool(tl_json *j, const char *key, int v);
/* Closes the document with a newline. */
void tl_json_end(tl_json *j);

/* ---------------------------------------------------------------- map */

/*
 * Open-addressing hash map from a 128-bit key (a, b) to a u32 value
 * (an index into the caller's array). UINT32_MAX cannot be stored.
 */
typedef struct tl_map {
    uint64_t *ka, *kb;
    uint32_t *val;
    size_t cap, n;
} tl_map;

int tl_map_init(tl_map *m); /* STRATA_OK, STRATA_ENOMEM */
void tl_map_fini(tl_map *m);
/* The value of (a, b), or UINT32_MAX. */
uint32_t tl_map_get(const tl_map *m, uint64_t a, uint64_t b);
/*
 * Insert (a, b) -> v unless present. *existing (may be NULL) receives the
 * stored value (v when inserted). @return 1 inserted, 0 present, STRATA_ENOMEM.
 */
int tl_map_put(tl_map *m, uint64_t a, uint64_t b, uint32_t v, uint32_t *existing);

/* -------------------------------------------------------------- store */

/* The LMDB sub-databases of a data directory (storage/FORMAT.md). */
enum tl_dbi {
    TL_META,
    TL_CHUNKS, /* the chunk table meta's "chunks_table" names in the current transaction */
    TL_IDB,
    TL_ISERIES,
    TL_ISOVF,
    TL_IPOSTINGS,
    TL_IMEAS,
    TL_ITAGK,
    TL_ITAGV,
    TL_IFIELD,
    TL_NDBI
};
extern const char *const tl_dbi_names[TL_NDBI];

/* The two chunk tables: compaction writes the other one and switches (meta "chunks_table"). */
extern const char *const tl_chunk_table_names[2];

/* Format constants of storage/FORMAT.md that the tool checks. */
#define TL_ENGINE_FORMAT 1u
#define TL_INDEX_FORMAT 1u
#define TL_INDEX_HASH_XXH64 1u
#define TL_CKEY_LEN 36
#define TL_NK_SHORT_MAX 480
#define TL_NK_LONG_LEN 490
#define TL_PART_BIAS 2147483648u

typedef struct tl_meta {
    int has_format, has_seq, has_ckpt, has_part, has_table;
    uint64_t format, seq, ckpt_lsn, partition_ns;
    uint64_t table;  /* 0: "chunks", 1: "chunks.b" (absent: 0) */
    uint32_t *parts; /* pairs (db, part) of the 'p' keys, in key order */
    size_t nparts;
    uint64_t unknown_keys;    /* keys this build does not know */
    uint64_t catalog_records; /* 'C' keys: retention policies, continuous queries */
    int bad_sizes;            /* a known key with a value of the wrong size */
} tl_meta;

/*
 * A read-only view of DIR/strata.mdb: MDB_RDONLY environment, so LMDB never
 * writes to it and no write transaction can be begun; readers register in
 * lock.mdb as LMDB requires, which does not disturb a running server.
 */
typedef struct tl_store {
    char dir[4096];
    MDB_env *env;
    MDB_dbi dbi[TL_NDBI];
    int has[TL_NDBI];
    MDB_dbi tables[2]; /* "chunks", "chunks.b" */
    int has_table[2];
    unsigned table; /* current chunk table as of the last tl_store_read() */
    int table_bad;  /* meta's chunks_table is neither 0 nor 1 (or not 8 bytes) */
    size_t map_bytes;
} tl_store;

/*
 * Open DIR/strata.mdb read-only and the sub-databases that exist (s->has).
 * @return STRATA_OK; STRATA_ENOTFOUND (no DIR/strata.mdb/data.mdb: err says
 *         it is not a data directory); STRATA_EVERSION, STRATA_ECORRUPT,
 *         STRATA_EIO (LMDB refused the file).
 */
int tl_store_open(tl_store *s, const char *dir, strata_error *err);
void tl_store_close(tl_store *s);

/* Translate an LMDB code into a strata code with "what: reason". */
int tl_mdb_err(int rc, strata_error *err, const char *what);

/*
 * Begin a read transaction on s and point dbi[TL_CHUNKS] at the chunk table
 * that this transaction's meta names (a running server may switch tables
 * when it compacts). One transaction at a time per store.
 */
int tl_store_read(tl_store *s, MDB_txn **txn, strata_error *err);

/* Read every meta key (free with tl_meta_fini). @return STRATA_OK or LMDB errors. */
int tl_meta_read(tl_store *s, MDB_txn *txn, tl_meta *m, strata_error *err);
void tl_meta_fini(tl_meta *m);

/* Partition of timestamp t for partition length pns (as the engine computes it). */
uint32_t tl_part_of(int64_t t, uint64_t pns);
int64_t tl_part_start(uint32_t part, uint64_t pns);

/*
 * Decode the name of a record keyed by nk(name): nk points at the name key
 * bytes (nkl of them) and tail at the value bytes that follow the fixed
 * part of the value (the full name when the key is a long name key).
 * @return STRATA_OK or STRATA_ECORRUPT (a long key without its full name).
 */
int tl_nk_name(const uint8_t *nk, size_t nkl, const uint8_t *tail, size_t tail_len,
               const char **name, size_t *len);

/* Build nk(name) for a name of at most TL_NK_SHORT_MAX bytes into out. */
size_t tl_nk_short(const char *name, size_t len, uint8_t *out);

/* XXH64 seed 0, the index's hash. */
uint64_t tl_hash64(const void *p, size_t len);

/* Catalog entries read from the raw index, copied out of LMDB. */
typedef struct tl_dbent {
    uint32_t id;
    char *name;
    size_t len;
} tl_dbent;

/* Every database ('N' records), sorted by name. Free with tl_dbents_free. */
int tl_db_list(tl_store *s, MDB_txn *txn, tl_dbent **out, size_t *n, strata_error *err);
void tl_dbents_free(tl_dbent *d, size_t n);

/*
 * Retention policies, read from the raw catalog records of meta (key 'C' |
 * db u32 BE | kind | name; storage/retention.c's file comment has the 48-byte
 * RP record). A database's retention policy keeps its points in a
 * namespace: the database's own id for the RP created with the database,
 * else an internal index database named "\x01<db id>\x01<rp name>" that
 * tl_db_list lists like any other.
 */
#define TL_RP_REC_LEN 48

typedef struct tl_rpent {
    char *name; /* NUL-terminated copy */
    size_t len;
    uint32_t db;          /* the owning database */
    int bad;              /* the record does not decode (size or version); fields below 0 */
    uint32_t replication; /* as stored */
    uint32_t ns;          /* the namespace (index database id) holding its points */
    int64_t duration_ns;  /* 0: infinite */
    int64_t shard_ns;
    int64_t expired_before_ns; /* points before this are expired; INT64_MIN if none */
    uint64_t order;            /* creation order */
    int is_default;            /* named by the database's default record */
    int implicit;              /* not a record: the "autogen" of a database without records */
} tl_rpent;

/* The RP records of one database. */
typedef struct tl_rpdb {
    uint32_t db;
    int has_default; /* the 'd' "default" record exists: the engine uses these records */
    char *defname;   /* its value (may name no RP, as InfluxDB allows); NULL if absent */
    size_t deflen;
    tl_rpent *rps; /* in creation order (then by name) */
    size_t nrps;
} tl_rpdb;

/* Every database's RP records, sorted by database id. */
typedef struct tl_rpcat {
    tl_rpdb *dbs;
    size_t ndbs;
    tl_rpent implicit; /* scratch for tl_rpcat_effective */
} tl_rpcat;

/*
 * Read every RP and default-RP record of meta into c (copied out of LMDB;
 * free with tl_rpcat_fini). A record that does not decode is kept with
 * bad = 1 (verify reports it).
 * @return STRATA_OK, STRATA_ENOMEM, LMDB errors.
 */
int tl_rpcat_read(tl_store *s, MDB_txn *txn, tl_rpcat *c, strata_error *err);
void tl_rpcat_fini(tl_rpcat *c);
/* The records of database db, or NULL when it has none. */
const tl_rpdb *tl_rpcat_db(const tl_rpcat *c, uint32_t db);
/*
 * The RPs of db as the engine sees them: its records when it has a default
 * record, else one implicit "autogen" (infinite, 7-day shard groups,
 * default) on the database's own id, held in c->implicit (valid until the
 * next call). *n may be 0 (every RP dropped).
 */
void tl_rpcat_effective(tl_rpcat *c, uint32_t db, const tl_rpent **v, size_t *n);
/*
 * The RP of db named rp (NULL or "": the default), as the engine resolves
 * it. @return the entry (valid as tl_rpcat_effective's), or NULL.
 */
const tl_rpent *tl_rpcat_resolve(tl_rpcat *c, uint32_t db, const char *rp);
/*
 * 1 if name[0..len) is an internal namespace's name "\x01<db id>\x01<rp>"
 * (*db and *rp, *rplen pointing into name set), else 0.
 */
int tl_ns_internal(const char *name, size_t len, uint32_t *db, const char **rp, size_t *rplen);

/* Go's time.Duration.String() of ns ("168h0m0s", "1h30m0s", "0s") into buf (>= 40). */
const char *tl_go_duration(int64_t ns, char *buf, size_t cap);

/* Callbacks get pointers into LMDB pages: valid during the call only. */
typedef int (*tl_name_fn)(void *ctx, const char *name, size_t len, uint32_t id);
typedef int (*tl_field_fn)(void *ctx, const char *name, size_t len, uint32_t fid, stg_type t);

/* Measurements of db ('n' records), sorted by name. */
int tl_meas_list(tl_store *s, MDB_txn *txn, uint32_t db, tl_name_fn fn, void *ctx,
                 strata_error *err);
/* Tag keys of (db, mid) with their ids. */
int tl_tagk_list(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, tl_name_fn fn, void *ctx,
                 strata_error *err);
/* Fields of (db, mid). A record with a bad size gives STRATA_ECORRUPT. */
int tl_field_list(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, tl_field_fn fn, void *ctx,
                  strata_error *err);
/* Number of distinct values of tag key tkid (posting keys under db mid tkid). */
int tl_tagv_count(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, uint32_t tkid, uint64_t *n,
                  strata_error *err);
/* Ids of the series of (db, mid) from the measurement posting, into out (normalised). */
int tl_meas_series(tl_store *s, MDB_txn *txn, uint32_t db, uint32_t mid, stg_idset *out,
                   strata_error *err);
/*
 * The series record of (db, id): measurement id and canonical key (pointing
 * into an LMDB page). @return STRATA_OK, STRATA_ENOTFOUND, STRATA_ECORRUPT.
 */
int tl_series_get(tl_store *s, MDB_txn *txn, uint32_t db, uint64_t id, uint32_t *mid,
                  const char **key, size_t *len, strata_error *err);

/* ------------------------------------------------------------ WAL files */

/* One WAL segment file of a data directory. */
typedef struct tl_walseg {
    uint64_t first_lsn; /* from the name */
    char name[32];
    uint64_t bytes;       /* st_size */
    uint64_t alloc_bytes; /* st_blocks * 512 */
} tl_walseg;

typedef struct tl_walinfo {
    tl_walseg *segs; /* sorted by first LSN */
    size_t nsegs;
    size_t ncorrupt; /* *.wal.corrupt* files set aside by recovery */
    uint64_t bytes, alloc_bytes;
    int dir_exists;
} tl_walinfo;

/* List DIR/wal (nothing opened, only stat). Free with tl_walinfo_fini. */
int tl_wal_list(const char *dir, tl_walinfo *w, strata_error *err);
void tl_walinfo_fini(tl_walinfo *w);
/* 1 if name is a segment name ("%020llu.wal"), with *lsn set. */
int tl_wal_segname(const char *name, uint64_t *lsn);

/*
 * Whether a process holds DIR/wal/wal.lock (a running server). Takes and
 * drops a shared lock for a moment when nobody holds it.
 * @return 1 in use, 0 not in use (or no WAL directory), negative on error.
 */
int tl_dir_in_use(const char *dir);

/* ---------------------------------------------- column read from LMDB */

/*
 * One column (db, series, field) over [tmin, tmax) read from LMDB chunks
 * only, in time order, with overlapping chunks merged and the higher
 * sequence number winning equal timestamps (the engine's rule). Reads in
 * the caller's transaction; blocks stay valid until the next call.
 */
typedef struct tl_colread tl_colread;

int tl_colread_new(tl_colread **out);
void tl_colread_free(tl_colread *c);
/*
 * Start reading a column. parts: the database's partitions (sorted), pns the
 * partition length. @return STRATA_OK, STRATA_ENOMEM, LMDB errors.
 */
int tl_colread_open(tl_colread *c, tl_store *s, MDB_txn *txn, uint32_t db, uint64_t series,
                    uint32_t field, const uint32_t *parts, size_t nparts, uint64_t pns,
                    int64_t tmin, int64_t tmax, strata_error *err);
/*
 * Next block of decoded points: *n points in *ts / *vals (string slots into
 * *str). @return 1 (a block), 0 (end), STRATA_ECORRUPT (err names the chunk),
 * STRATA_ENOMEM.
 */
int tl_colread_next(tl_colread *c, const int64_t **ts, const uint64_t **vals, const uint8_t **str,
                    uint32_t *n, stg_type *type, strata_error *err);

/* ------------------------------------------------------ line protocol */

/* Growing output buffer. */
typedef struct tl_buf {
    char *p;
    size_t len, cap;
} tl_buf;

int tl_buf_reserve(tl_buf *b, size_t more); /* STRATA_OK, STRATA_ENOMEM */
void tl_buf_fini(tl_buf *b);

/*
 * Shortest decimal text that strtod() reads back to exactly v (finite v),
 * into buf (>= 32 bytes). @return its length.
 */
size_t tl_fmt_f64(double v, char *buf);

/* Escape sets of line protocol, as lineproto/lp.c unescapes them. */
enum { TL_LP_MEAS, TL_LP_TAG, TL_LP_FIELDKEY };

/*
 * Append name escaped for part `kind`. Returns STRATA_EINVAL (and appends
 * nothing) when no escaping can make the parser read the name back: a
 * newline, a trailing backslash, a measurement starting with '#' or a
 * blank, a field key with a backslash before an escaped byte.
 */
int tl_lp_name(tl_buf *b, int kind, const char *s, size_t len);
/* Append a string field value with quotes, escaping '"' and '\'. */
int tl_lp_string(tl_buf *b, const char *s, size_t len);

/*
 * Where the last complete line of b[0..len) ends (the index after its
 * '\n'), by the line-splitting rule lineproto applies to a whole body
 * (InfluxDB's scanLine: a quoted field value may hold newlines; a backslash
 * skips the next byte when two more bytes follow), applied as if more input
 * followed: bytes whose meaning depends on input not read yet end the
 * search. 0 when no line is complete. Parsing b[0..cut) and the rest as
 * two bodies gives the same lines as parsing them as one (strata_import.c).
 */
size_t tl_lp_line_cut(const char *b, size_t len);

/* ----------------------------------------------------------- commands */

extern const tl_cmd tl_inspect_cmd, tl_verify_cmd, tl_backup_cmd, tl_restore_cmd, tl_export_cmd,
    tl_import_cmd, tl_compact_cmd;

int tl_cmd_inspect(int argc, char **argv);
int tl_cmd_verify(int argc, char **argv);
int tl_cmd_backup(int argc, char **argv);
int tl_cmd_restore(int argc, char **argv);
int tl_cmd_export(int argc, char **argv);
int tl_cmd_import(int argc, char **argv);
int tl_cmd_compact(int argc, char **argv);

/* Options of a verify run, also used by restore. */
typedef struct tl_verify_opts {
    int json;
    uint64_t max_problems; /* problems printed in full; 0 = 1000 */
    int quiet;             /* only problems and the summary line */
} tl_verify_opts;

/*
 * Verify the data directory dir, printing to out. @return the number of
 * problems found (>= 0), or a negative code when verification could not run
 * (err says why).
 */
long tl_verify_run(const char *dir, const tl_verify_opts *o, FILE *out, strata_error *err);

/*
 * Install handlers that turn SIGSEGV/SIGBUS while reading a damaged LMDB
 * file into a message and exit status 1 instead of a crash report. LMDB
 * trusts its page structure; a file truncated or scribbled over can fault.
 */
void tl_guard_signals(const char *what);

#endif
