/*
 * tools/strata_import.c: `strata import`, line protocol from a file (plain
 * or gzip, or stdin) into a database of a stopped data directory, through
 * the engine's public write path (stg_batch_*), as the server would store
 * it.
 *
 * The input is read in blocks and handed to the parser (lineproto/lp.h) in
 * bodies that end after a complete line. Where a line ends is decided by
 * InfluxDB's rule, which lineproto applies to a whole body: a quoted field
 * value may hold newlines, and a backslash skips the next byte when two
 * more bytes follow. tl_lp_line_cut() applies the same rule to the bytes
 * read so far and stops at the first byte whose meaning depends on bytes
 * not read yet, so that cutting the input into bodies gives the same lines
 * as one body would.
 *
 * Points go into one retention policy's namespace (storage/retention.h),
 * resolved by the engine (stg_rp_resolve): the default RP unless --rp names
 * another one, which must exist. Points older than that RP keeps are
 * dropped by the engine and counted, as the server drops them.
 *
 * A server holds its directory through the WAL lock; import refuses to run
 * then (two writers cannot share a WAL) and says how to write through the
 * server instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "lineproto/lp.h"
#include "storage/engine.h"
#include "storage/retention.h"
#include "tools/strata_int.h"

static const tl_flag import_flags[] = {
    {"data-dir", "DIR", "the data directory (required; created if missing)"},
    {"db", "NAME", "the database to write into (required; created if missing)"},
    {"rp", "RP",
     "the retention policy to write into (must exist; default: the database's default)"},
    {"precision", "P", "timestamp unit of the input: ns (default), u, ms, s, m or h"},
    {"batch-size", "N", "points per engine batch (default 5000)"},
};

const tl_cmd tl_import_cmd = {
    .name = "import",
    .synopsis = "--data-dir DIR --db NAME [--rp RP] [--precision P] [--batch-size N] FILE",
    .summary = "load line protocol (plain or gzip, - for stdin) into a stopped directory",
    .about =
        "Parses InfluxDB line protocol from FILE (gzip-compressed or plain, detected by its\n"
        "first bytes; \"-\" reads stdin) and writes it into database NAME of the data directory\n"
        "in batches, through the same engine path as the server: type conflicts with stored\n"
        "fields are refused per point as the server refuses them. Lines without a timestamp get\n"
        "the time of the import. Bad lines are reported with their line number and skipped;\n"
        "the rest is written.\n"
        "\n"
        "Points go into the database's default retention policy, or into the one --rp names,\n"
        "which must exist (create it through the server: CREATE RETENTION POLICY). A database\n"
        "that does not exist is created with the default policy \"autogen\" (infinite), so\n"
        "with --rp only when that is the one named. Points older than the policy keeps are\n"
        "dropped and counted, as the server drops them (\"points beyond retention policy\").\n"
        "\n"
        "The directory must not be in use: a running server holds it (its WAL lock). Stop the\n"
        "server first, or send the file to the server's HTTP API instead:\n"
        "  curl -XPOST 'http://HOST:8086/write?db=NAME' --data-binary @FILE",
    .flags = import_flags,
    .nflags = 5,
    .min_pos = 1,
    .max_pos = 1,
    .exits = "  0  every line was written\n"
             "  1  some lines or points were refused or beyond the retention policy (see\n"
             "     stderr), no such retention policy, or the import failed\n"
             "     (nothing after the last committed batch was written)\n"
             "  2  bad command line",
    .examples = "  strata import --data-dir /var/lib/strata --db telegraf telegraf.lp.gz\n"
                "  strata import --data-dir /var/lib/strata --db telegraf --rp one_year year.lp\n"
                "  strata export --data-dir old --db db | strata import --data-dir new --db db -",
};

#define READ_BLOCK ((size_t)4 << 20)

size_t tl_lp_line_cut(const char *b, size_t len)
{
    size_t i = 0, cut = 0;
    while (i < len) {
        int quoted = 0, fields = 0;
        uint64_t equals = 0, commas = 0;
        size_t j = i;
        for (;;) {
            if (j >= len) return cut;
            char c = b[j];
            if (c == '\\') {
                if (j + 2 >= len) return cut; /* whether it skips depends on what follows */
                j += 2;
                continue;
            }
            if (c == ' ') fields = 1;
            if (fields) {
                if (!quoted && c == '=') {
                    equals++;
                    j++;
                    continue;
                }
                if (!quoted && c == ',') {
                    commas++;
                    j++;
                    continue;
                }
                if (c == '"' && equals > commas) {
                    quoted = !quoted;
                    j++;
                    continue;
                }
            }
            if (c == '\n' && !quoted) break;
            j++;
        }
        i = j + 1;
        cut = i;
    }
    return cut;
}

typedef struct importer {
    stg_engine *eng;
    uint32_t db;
    lp_parser *lp;
    stg_batch *batch;
    size_t batch_size;
    stg_tag *tags;
    size_t tags_cap;
    stg_field_in *fields;
    size_t fields_cap;
    uint64_t lineno_base; /* line number of the first line of the current body, minus 1 */
    uint64_t points, parse_errors, refused, expired, messages, bytes_in;
    tl_progress pr;
} importer;

static void report_line(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report_line(importer *im, const char *fmt, ...)
{
    va_list ap;
    if (im->messages++ >= 20) {
        if (im->messages == 21)
            fprintf(stderr, "strata import: (further errors are counted, not shown)\n");
        return;
    }
    tl_progress_end(&im->pr);
    fprintf(stderr, "strata import: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int commit(importer *im, strata_error *err)
{
    stg_write_result res;
    if (stg_batch_count(im->batch) == 0) return STRATA_OK;
    memset(&res, 0, sizeof res);
    int rc = stg_batch_commit(im->batch, &res, err);
    if (rc != STRATA_OK) return rc;
    im->points += res.points_written;
    im->expired += res.points_expired;
    if (res.points_rejected) {
        im->refused += res.points_rejected;
        report_line(im, "%llu points of a batch refused, the first: %s",
                    (unsigned long long)res.points_rejected, res.first_error);
    }
    return STRATA_OK;
}

/* Parse one body and batch its points. */
static int feed(importer *im, const char *body, size_t len, strata_error *err)
{
    lp_point pt;
    int rc;
    lp_parser_reset(im->lp, body, len, strata_now_ns());
    for (;;) {
        rc = lp_parser_next(im->lp, &pt);
        if (rc == 0) break;
        if (rc < 0) {
            if (rc == STRATA_ENOMEM) return strata_error_set(err, rc, "out of memory parsing");
            char msg[600];
            lp_parser_format_error(im->lp, &pt, msg, sizeof msg);
            im->parse_errors++;
            report_line(im, "line %llu: %s", (unsigned long long)(im->lineno_base + pt.lineno),
                        msg);
            continue;
        }
        if (pt.ntags > im->tags_cap) {
            stg_tag *nt = realloc(im->tags, pt.ntags * sizeof *nt);
            if (nt == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            im->tags = nt;
            im->tags_cap = pt.ntags;
        }
        if (pt.nfields > im->fields_cap) {
            stg_field_in *nf = realloc(im->fields, pt.nfields * sizeof *nf);
            if (nf == NULL) return strata_error_set(err, STRATA_ENOMEM, "out of memory");
            im->fields = nf;
            im->fields_cap = pt.nfields;
        }
        for (uint32_t i = 0; i < pt.ntags; i++) {
            im->tags[i].key = pt.tags[i].key.p;
            im->tags[i].key_len = pt.tags[i].key.len;
            im->tags[i].val = pt.tags[i].val.p;
            im->tags[i].val_len = pt.tags[i].val.len;
        }
        for (uint32_t i = 0; i < pt.nfields; i++) {
            const lp_field *lf = &pt.fields[i];
            stg_field_in *f = &im->fields[i];
            memset(f, 0, sizeof *f);
            f->key = lf->key.p;
            f->key_len = lf->key.len;
            f->type = (stg_type)lf->type;
            switch (lf->type) {
            case LP_FLOAT:
                f->val = stg_val_from_f64(lf->v.f);
                break;
            case LP_INT:
                f->val = (uint64_t)lf->v.i;
                break;
            case LP_UINT:
                f->val = lf->v.u;
                break;
            case LP_BOOL:
                f->val = (uint64_t)(lf->v.b != 0);
                break;
            case LP_STRING:
                f->str = lf->v.s.p;
                f->str_len = lf->v.s.len;
                break;
            }
        }
        stg_point_in p = {.meas = pt.measurement.p,
                          .meas_len = pt.measurement.len,
                          .tags = im->tags,
                          .ntags = pt.ntags,
                          .fields = im->fields,
                          .nfields = pt.nfields,
                          .ts_ns = pt.ts_ns};
        strata_error perr;
        rc = stg_batch_add(im->batch, &p, &perr);
        if (rc == STRATA_EINVAL) {
            im->refused++;
            report_line(im, "line %llu: %s", (unsigned long long)(im->lineno_base + pt.lineno),
                        perr.msg);
            continue;
        }
        if (rc != STRATA_OK) return strata_error_set(err, rc, "%s", perr.msg);
        if (stg_batch_count(im->batch) >= im->batch_size && (rc = commit(im, err)) != STRATA_OK)
            return rc;
    }
    /* Line numbers of the next body continue after this one's. */
    for (const char *q = body; (q = memchr(q, '\n', (size_t)(body + len - q))) != NULL; q++)
        im->lineno_base++;
    return STRATA_OK;
}

static int busy_msg(const char *dir)
{
    fprintf(stderr,
            "strata import: %s is in use by a running server (its WAL lock is held). Stop the "
            "server first, or write through its HTTP API instead:\n"
            "  curl -XPOST 'http://HOST:8086/write?db=NAME' --data-binary @FILE\n",
            dir);
    return TL_EXIT_FAIL;
}

int tl_cmd_import(int argc, char **argv)
{
    tl_args a;
    strata_error err;
    importer im;
    const tl_cmd *cmd = &tl_import_cmd;
    int status = TL_EXIT_FAIL, fd = -1, rc;
    gzFile gz = NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    strata_logger log = {.sink = stderr, .level = STRATA_LOG_WARN};

    strata_error_clear(&err);
    if (tl_args_parse(cmd, argc, argv, &a, &err) != STRATA_OK) return tl_usage_error(cmd, err.msg);
    if (a.help) {
        tl_usage(stdout, cmd);
        return TL_EXIT_OK;
    }
    const char *dir = tl_arg(cmd, &a, "data-dir"), *dbname = tl_arg(cmd, &a, "db");
    const char *file = a.pos[0], *rpname = tl_arg(cmd, &a, "rp");
    if (rpname && rpname[0] == '\0') return tl_usage_error(cmd, "--rp needs a name");
    if (dir == NULL) return tl_usage_error(cmd, "--data-dir is required");
    if (dbname == NULL || dbname[0] == '\0') return tl_usage_error(cmd, "--db is required");
    memset(&im, 0, sizeof im);
    im.batch_size = 5000;
    const char *bs = tl_arg(cmd, &a, "batch-size");
    if (bs) {
        char *end;
        unsigned long long n = strtoull(bs, &end, 10);
        if (*bs == '\0' || *end != '\0' || n == 0 || n > 10000000)
            return tl_usage_error(cmd, "--batch-size needs a number from 1 to 10000000");
        im.batch_size = (size_t)n;
    }
    lp_options lo;
    lp_options_init(&lo);
    const char *prec = tl_arg(cmd, &a, "precision");
    if (prec && lp_precision_parse(prec, strlen(prec), &lo.precision) != STRATA_OK)
        return tl_usage_error(cmd, "--precision must be ns, u, ms, s, m or h");

    if (tl_dir_in_use(dir) == 1) return busy_msg(dir);
    if (strcmp(file, "-") == 0) {
        fd = dup(STDIN_FILENO);
    } else {
        fd = open(file, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        fprintf(stderr, "strata import: cannot open %s: %s\n", file, strerror(errno));
        return TL_EXIT_FAIL;
    }
    gz = gzdopen(fd, "rb"); /* reads plain input as it is */
    if (gz == NULL) {
        close(fd);
        fprintf(stderr, "strata import: out of memory\n");
        return TL_EXIT_FAIL;
    }
    gzbuffer(gz, 1 << 18);
    struct stat ist;
    uint64_t total_mib = 0; /* for the progress line: plain regular files only */
    if (fstat(fd, &ist) == 0 && S_ISREG(ist.st_mode)) total_mib = (uint64_t)ist.st_size >> 20;

    if (lp_parser_new(&lo, &im.lp) != STRATA_OK) {
        strata_error_set(&err, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    stg_options o;
    stg_options_default(&o);
    o.dir = dir;
    o.background = 0;
    o.log = &log;
    rc = stg_engine_open(&o, &im.eng, &err);
    if (rc == STRATA_EBUSY) {
        status = busy_msg(dir);
        strata_error_clear(&err);
        goto done;
    }
    if (rc != STRATA_OK) goto done;
    uint32_t dbid;
    if (stg_db_lookup(im.eng, dbname, &dbid) == STRATA_ENOTFOUND) {
        /* A new database gets "autogen" only: another --rp cannot exist in it. */
        if (rpname && strcmp(rpname, "autogen") != 0) {
            strata_error_set(&err, STRATA_ENOTFOUND,
                             "database \"%s\" does not exist, so it has no retention policy "
                             "\"%s\"; create both through the server first (CREATE DATABASE, "
                             "CREATE RETENTION POLICY)",
                             dbname, rpname);
            goto done;
        }
        if (stg_db_create(im.eng, dbname, &dbid, &err) != STRATA_OK) goto done;
    }
    stg_rp_info rpi;
    if ((rc = stg_rp_resolve(im.eng, dbname, rpname, &rpi, &err)) != STRATA_OK) {
        if (rc == STRATA_ENOTFOUND && rpname)
            strata_error_set(&err, rc,
                             "retention policy \"%s\" does not exist in database \"%s\"; "
                             "create it through the server first (CREATE RETENTION POLICY)",
                             rpname, dbname);
        else if (rc == STRATA_ENOTFOUND)
            strata_error_set(&err, rc,
                             "database \"%s\" has no default retention policy (it was dropped); "
                             "name one with --rp",
                             dbname);
        goto done;
    }
    im.db = rpi.ns;
    if (stg_batch_new(im.eng, im.db, &im.batch) != STRATA_OK) {
        strata_error_set(&err, STRATA_ENOMEM, "out of memory");
        goto done;
    }
    tl_progress_init(&im.pr, "import");

    int eof = 0;
    size_t max_pending = (size_t)lo.max_line_bytes + READ_BLOCK;
    while (!eof) {
        if (cap - len < READ_BLOCK) {
            size_t nc = cap ? cap * 2 : 2 * READ_BLOCK;
            while (nc - len < READ_BLOCK)
                nc *= 2;
            char *nb = realloc(buf, nc);
            if (nb == NULL) {
                strata_error_set(&err, STRATA_ENOMEM, "out of memory");
                goto done;
            }
            buf = nb;
            cap = nc;
        }
        int n = gzread(gz, buf + len, (unsigned)READ_BLOCK);
        if (n < 0) {
            int zerr;
            const char *m = gzerror(gz, &zerr);
            strata_error_set(&err, STRATA_EIO, "reading %s: %s", file,
                             zerr == Z_ERRNO ? strerror(errno) : m);
            goto done;
        }
        if (n == 0) eof = 1;
        len += (size_t)n;
        im.bytes_in += (size_t)n;
        tl_progress_update(&im.pr, im.bytes_in >> 20, gzdirect(gz) ? total_mib : 0, "MiB read");
        size_t cut = eof ? len : tl_lp_line_cut(buf, len);
        /* A line that never ends (an open quote) is handed over whole once it is
         * longer than any line the parser accepts: the parser rejects it. */
        if (cut == 0 && len > max_pending) cut = len;
        if (cut == 0) continue;
        if ((rc = feed(&im, buf, cut, &err)) != STRATA_OK) goto done;
        memmove(buf, buf + cut, len - cut);
        len -= cut;
    }
    if (commit(&im, &err) != STRATA_OK) goto done;
    tl_progress_end(&im.pr);
    fprintf(stderr,
            "strata import: %llu points written to database %s, retention policy %s; %llu lines "
            "not parsed, %llu points refused",
            (unsigned long long)im.points, dbname, rpi.name, (unsigned long long)im.parse_errors,
            (unsigned long long)im.refused);
    if (im.expired)
        fprintf(stderr, ", %llu points beyond retention policy dropped",
                (unsigned long long)im.expired);
    fputc('\n', stderr);
    status = im.parse_errors || im.refused || im.expired ? TL_EXIT_FAIL : TL_EXIT_OK;
done:
    tl_progress_end(&im.pr);
    if (status == TL_EXIT_FAIL && err.msg[0]) {
        fprintf(stderr, "strata import: %s\n", err.msg);
        if (im.eng)
            fprintf(stderr, "strata import: %llu points were written before the failure\n",
                    (unsigned long long)im.points);
    }
    stg_batch_free(im.batch);
    if (im.eng) stg_engine_close(im.eng);
    lp_parser_free(im.lp);
    free(im.tags);
    free(im.fields);
    free(buf);
    if (gz) gzclose(gz);
    return status;
}
