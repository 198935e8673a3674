/*
 * tests/compat/query/qdriver.c: Strata's side of the InfluxQL differential
 * test. It opens a private engine in a fresh directory, loads line protocol
 * files into databases, runs a list of /query requests through
 * qry_api_execute() exactly as the HTTP server would, and writes each answer
 * (status, content type, body) to a file, so that compare.py can diff them
 * with InfluxDB 1.6.7's answers to the same requests.
 *
 * It carries a small line protocol reader of its own (the lineproto module
 * is not a dependency of the query tests): enough for the test data, which
 * run.sh also sends to InfluxDB unchanged.
 *
 * Usage:
 *   qdriver DIR [--load DB=FILE.lp]... --queries FILE --out OUTDIR [--now NS]
 * Query file: one request per line, "OPTIONS<TAB>QUERY" or just "QUERY";
 * OPTIONS are "&"-separated key=value: db, rp, epoch, pretty, chunked,
 * chunk_size, csv, method (GET/POST), params. Lines starting with '#' and
 * empty lines are skipped; requests are numbered from 1 in file order.
 * QDRIVER_THREADS in the environment sets qry_limits.threads (default 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/api.h"
#include "storage/engine.h"

/* ---- line protocol (enough for the test data) ----------------------------------------------- */

typedef struct lp_point {
    char meas[256];
    size_t mlen;
    stg_tag tags[32];
    char tagbuf[4096];
    size_t ntags;
    stg_field_in fields[32];
    char fieldbuf[16384];
    size_t nfields;
    int64_t ts;
} lp_point;

/* Read until an unescaped stop character; unescape \X for X in esc. */
static const char *lp_token(const char *p, const char *stops, const char *esc, char *out,
                            size_t cap, size_t *len)
{
    size_t n = 0;
    while (*p && !strchr(stops, *p)) {
        if (*p == '\\' && p[1] && strchr(esc, p[1])) {
            p++;
        }
        if (n + 1 < cap) out[n++] = *p;
        p++;
    }
    out[n] = 0;
    *len = n;
    return p;
}

static int lp_parse(const char *line, lp_point *pt)
{
    const char *p = line;
    memset(pt, 0, sizeof *pt);
    p = lp_token(p, ", ", ", ", pt->meas, sizeof pt->meas, &pt->mlen);
    char *tb = pt->tagbuf;
    while (*p == ',') {
        p++;
        size_t kl, vl;
        char *k = tb;
        p = lp_token(p, "=", ",= ", k, 512, &kl);
        tb += kl + 1;
        if (*p != '=') return -1;
        p++;
        char *v = tb;
        p = lp_token(p, ", ", ",= ", v, 512, &vl);
        tb += vl + 1;
        stg_tag *t = &pt->tags[pt->ntags++];
        t->key = k;
        t->key_len = (uint32_t)kl;
        t->val = v;
        t->val_len = (uint32_t)vl;
    }
    if (*p != ' ') return -1;
    p++;
    char *fb = pt->fieldbuf;
    for (;;) {
        size_t kl;
        char *k = fb;
        p = lp_token(p, "=", ",= ", k, 512, &kl);
        fb += kl + 1;
        if (*p != '=') return -1;
        p++;
        stg_field_in *f = &pt->fields[pt->nfields++];
        f->key = k;
        f->key_len = (uint32_t)kl;
        if (*p == '"') {
            p++;
            char *s = fb;
            size_t n = 0;
            while (*p && *p != '"') {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
                s[n++] = *p++;
            }
            if (*p != '"') return -1;
            p++;
            s[n] = 0;
            fb += n + 1;
            f->type = STG_STRING;
            f->str = s;
            f->str_len = (uint32_t)n;
        } else {
            char tok[128];
            size_t tl;
            p = lp_token(p, ", ", "", tok, sizeof tok, &tl);
            if (tl && tok[tl - 1] == 'i') {
                f->type = STG_INT;
                f->val = (uint64_t)strtoll(tok, NULL, 10);
            } else if (tl && tok[tl - 1] == 'u') {
                f->type = STG_UINT;
                f->val = strtoull(tok, NULL, 10);
            } else if (!strcmp(tok, "t") || !strcmp(tok, "T") || !strcmp(tok, "true") ||
                       !strcmp(tok, "True") || !strcmp(tok, "TRUE")) {
                f->type = STG_BOOL;
                f->val = 1;
            } else if (!strcmp(tok, "f") || !strcmp(tok, "F") || !strcmp(tok, "false") ||
                       !strcmp(tok, "False") || !strcmp(tok, "FALSE")) {
                f->type = STG_BOOL;
                f->val = 0;
            } else {
                f->type = STG_FLOAT;
                f->val = stg_val_from_f64(strtod(tok, NULL));
            }
        }
        if (*p == ',') {
            p++;
            continue;
        }
        break;
    }
    if (*p == ' ') {
        p++;
        pt->ts = strtoll(p, NULL, 10);
    } else {
        return -1; /* the test data always carries timestamps */
    }
    /* tags sorted by key for the engine is not required (stg_batch_add sorts) */
    return 0;
}

static int load(stg_engine *e, const char *db, const char *file)
{
    strata_error err = {0};
    uint32_t id;
    if (stg_db_create(e, db, &id, &err) != STRATA_OK && err.code != STRATA_EEXIST) {
        fprintf(stderr, "qdriver: create %s: %s\n", db, err.msg);
        return -1;
    }
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "qdriver: %s: %s\n", file, strerror(errno));
        return -1;
    }
    stg_batch *b;
    if (stg_batch_new(e, id, &b) != STRATA_OK) {
        fclose(f);
        return -1;
    }
    static char line[65536];
    static lp_point pt;
    size_t lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n == 0 || line[0] == '#') continue;
        if (lp_parse(line, &pt) != 0) {
            fprintf(stderr, "qdriver: %s:%zu: cannot parse\n", file, lineno);
            rc = -1;
            break;
        }
        stg_point_in in = {pt.meas,   (uint32_t)pt.mlen,    pt.tags, (uint32_t)pt.ntags,
                           pt.fields, (uint32_t)pt.nfields, pt.ts};
        if (stg_batch_add(b, &in, &err) != STRATA_OK) {
            fprintf(stderr, "qdriver: %s:%zu: %s\n", file, lineno, err.msg);
            continue;
        }
        if (stg_batch_count(b) >= 5000) {
            stg_write_result res;
            if (stg_batch_commit(b, &res, &err) != STRATA_OK) {
                fprintf(stderr, "qdriver: commit: %s\n", err.msg);
                rc = -1;
                break;
            }
        }
    }
    if (rc == 0 && stg_batch_count(b)) {
        stg_write_result res;
        if (stg_batch_commit(b, &res, &err) != STRATA_OK) {
            fprintf(stderr, "qdriver: commit: %s\n", err.msg);
            rc = -1;
        }
    }
    stg_batch_free(b);
    fclose(f);
    return rc;
}

/* ---- requests -----------------------------------------------------------------------------------
 */

typedef struct outbuf {
    char *p;
    size_t n, cap;
} outbuf;

static int out_write(void *ctx, const void *buf, size_t len)
{
    outbuf *o = ctx;
    if (o->n + len > o->cap) {
        size_t nc = o->cap ? o->cap : 4096;
        while (nc < o->n + len)
            nc *= 2;
        char *np = realloc(o->p, nc);
        if (np == NULL) return -1;
        o->p = np;
        o->cap = nc;
    }
    memcpy(o->p + o->n, buf, len);
    o->n += len;
    return 0;
}

static const char *opt(char *opts, const char *key, char *val, size_t cap)
{
    size_t kl = strlen(key);
    char *p = opts;
    while (p && *p) {
        char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = len - kl - 1;
            if (vl >= cap) vl = cap - 1;
            memcpy(val, p + kl + 1, vl);
            val[vl] = 0;
            return val;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: qdriver DIR [--load DB=FILE]... --queries FILE --out DIR\n");
        return 2;
    }
    const char *dir = argv[1], *queries = NULL, *outdir = NULL;
    int64_t now = 0;
    stg_options o;
    stg_options_default(&o);
    o.dir = dir;
    o.wal_sync = 0;
    o.background = 0;
    o.map_bytes = (size_t)4 << 30;
    stg_engine *e;
    strata_error err = {0};
    if (stg_engine_open(&o, &e, &err) != STRATA_OK) {
        fprintf(stderr, "qdriver: open %s: %s\n", dir, err.msg);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--load") && i + 1 < argc) {
            char spec[1024];
            snprintf(spec, sizeof spec, "%s", argv[++i]);
            char *eq = strchr(spec, '=');
            if (eq == NULL) return 2;
            *eq = 0;
            if (load(e, spec, eq + 1) != 0) return 1;
        } else if (!strcmp(argv[i], "--queries") && i + 1 < argc) {
            queries = argv[++i];
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            outdir = argv[++i];
        } else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
            now = strtoll(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--checkpoint")) {
            if (stg_engine_checkpoint(e, &err) != STRATA_OK)
                fprintf(stderr, "qdriver: checkpoint: %s\n", err.msg);
        }
    }
    if (queries == NULL || outdir == NULL) {
        stg_engine_close(e);
        return 0;
    }
    mkdir(outdir, 0755);
    FILE *qf = fopen(queries, "r");
    if (qf == NULL) {
        fprintf(stderr, "qdriver: %s: %s\n", queries, strerror(errno));
        return 1;
    }
    static char line[65536];
    int qno = 0;
    while (fgets(line, sizeof line, qf)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n == 0 || line[0] == '#') continue;
        qno++;
        char *tab = strchr(line, '\t');
        char *opts = "", *q = line;
        if (tab) {
            *tab = 0;
            opts = line;
            q = tab + 1;
        }
        char db[256], rp[64], epoch[16], tmp[64], params[4096], method[16];
        qry_request r;
        memset(&r, 0, sizeof r);
        r.q = q;
        r.q_len = strlen(q);
        r.db = opt(opts, "db", db, sizeof db);
        r.rp = opt(opts, "rp", rp, sizeof rp);
        r.epoch = opt(opts, "epoch", epoch, sizeof epoch);
        r.pretty = opt(opts, "pretty", tmp, sizeof tmp) && !strcmp(tmp, "true");
        r.chunked = opt(opts, "chunked", tmp, sizeof tmp) && !strcmp(tmp, "true");
        if (opt(opts, "chunk_size", tmp, sizeof tmp)) {
            long long cs = atoll(tmp);
            r.chunk_size = cs > 0 ? (size_t)cs : 0;
        }
        r.want_csv = opt(opts, "csv", tmp, sizeof tmp) != NULL;
        if (opt(opts, "params", params, sizeof params)) {
            r.params_json = params;
            r.params_len = strlen(params);
        }
        r.read_only = !(opt(opts, "method", method, sizeof method) && !strcmp(method, "POST"));
        r.now_ns = now;
        outbuf ob = {0};
        qry_output out = {out_write, &ob};
        int status = 0;
        const char *ctype = "";
        strata_error qerr = {0};
        qry_limits lim;
        memset(&lim, 0, sizeof lim);
        const char *th = getenv("QDRIVER_THREADS");
        lim.threads = th ? (uint32_t)atoi(th) : 1;
        int rc = qry_api_execute(e, &lim, &r, &out, &status, &ctype, &qerr);
        char path[1024];
        snprintf(path, sizeof path, "%s/%04d.out", outdir, qno);
        FILE *of = fopen(path, "w");
        if (of == NULL) return 1;
        fprintf(of, "%d %s\n", rc == STRATA_OK ? status : 500, ctype);
        if (ob.n) fwrite(ob.p, 1, ob.n, of);
        fclose(of);
        free(ob.p);
    }
    fclose(qf);
    stg_engine_close(e);
    return 0;
}
