/*
 * bench/engine_bench.c: in-process write benchmark of the storage engine on
 * TSBS-style data (bench/gen), with the baseline measured in the same run.
 *
 * Reports: values per second written (batches of --batch points, committed
 * through the WAL like the server does, and the same run without the
 * generator's own time), bytes per stored value once sealed (chunk payload
 * alone and the whole LMDB file), the series index's size, in-memory bytes
 * per active column, peak RSS; and, as the baseline, the raw line-protocol
 * text and lz4 of it, in bytes per value.
 *
 *   build/bench/engine_bench --use-case cpu-only --scale 100 --hours 24
 */
#include <lmdb.h>
#include <inttypes.h>
#include <pthread.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/gen/gen.h"
#include "common/clock.h"
#include "storage/engine.h"

typedef struct bench_opts {
    gen_opts g;
    const char *dir;
    uint32_t batch;
    int sync, keep, pregen, write_only, reopen;
    uint32_t chunk_points, head_bytes, compact_points, threads;
    int encode_threads;   /* stg_options.encode_threads */
    uint32_t ckpt_every;  /* writer 0 checkpoints after this many of its points; 0: never */
    int64_t ckpt_data_ns; /* ... or each time its points' time crosses a multiple of this */
    int inplace;          /* compact in place (the server's background form), not repack */
} bench_opts;

/* CPU seconds used by the whole process so far (all threads). */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* Anonymous resident memory of the process in bytes (/proc/self/status RssAnon): the heap,
 * without the LMDB map's file pages. 0 when unknown. */
static uint64_t rss_anon(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kb = 0;
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %" SCNu64 " kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: engine_bench [--use-case cpu-only|devops] [--scale HOSTS] [--hours H]\n"
            "                    [--batch POINTS] [--sync 0|1] [--dir DIR] [--keep]\n"
            "                    [--chunk-points N] [--head-bytes N] [--compact-points N]\n"
            "                    [--threads N]  (writer threads, each taking every Nth host;\n"
            "                    default one per online CPU, at most 8)\n"
            "                    [--checkpoint-every N] (writer 0 checkpoints after every N of\n"
            "                    its points, as a server's periodic checkpoints; 0: none)\n"
            "                    [--checkpoint-data-s S] (writer 0 checkpoints each time the\n"
            "                    data's time crosses a multiple of S seconds: a server\n"
            "                    checkpointing every S s while the data arrives in real time)\n"
            "                    [--compact-mode repack|inplace] (repack, default: strata\n"
            "                    compact; inplace: the server's background compaction)\n"
            "                    [--encode-threads N] (threads encoding a checkpoint; 0,\n"
            "                    default: one per online CPU)\n"
            "                    [--write-only] (stop after the writes: for profiling)\n"
            "                    [--reopen 0|1] (1, default: close and reopen the engine\n"
            "                    before compacting, as strata compact on a stopped directory;\n"
            "                    0: compact live, chunks of heads still in memory are kept)\n"
            "                    [--pregen 0|1] (1, default: generate all points in memory\n"
            "                    first and time the writes alone; 0: each thread generates)\n"
            "Writes generated TSBS-style data into a fresh engine in DIR (default: a temp dir)\n"
            "and prints values/s, bytes per value on disk, memory, and the lz4 baseline.\n");
}

static int parse(int argc, char **argv, bench_opts *o)
{
    gen_opts_default(&o->g);
    o->g.scale = 100;
    o->g.end_ns = o->g.start_ns + 24ll * 3600 * 1000000000;
    o->dir = NULL;
    o->batch = 5000;
    o->sync = 1;
    o->keep = 0;
    o->pregen = 1;
    o->reopen = 1;
    o->chunk_points = 0;
    o->head_bytes = 0;
    o->compact_points = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (uint32_t)ncpu;
    o->encode_threads = 0;
    o->ckpt_every = 0;
    o->ckpt_data_ns = 0;
    o->inplace = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--use-case") && v) {
            if (gen_use_case_parse(v, &o->g.use_case) != STRATA_OK) return -1;
            i++;
        } else if (!strcmp(a, "--scale") && v) {
            o->g.scale = (uint32_t)atoi(v);
            i++;
        } else if (!strcmp(a, "--hours") && v) {
            o->g.end_ns = o->g.start_ns + (int64_t)(atof(v) * 3600e9);
            i++;
        } else if (!strcmp(a, "--batch") && v) {
            o->batch = (uint32_t)atoi(v);
            i++;
        } else if (!strcmp(a, "--sync") && v) {
            o->sync = atoi(v);
            i++;
        } else if (!strcmp(a, "--chunk-points") && v) {
            o->chunk_points = (uint32_t)atoi(v);
            i++;
        } else if (!strcmp(a, "--checkpoint-data-s") && v) {
            o->ckpt_data_ns = (int64_t)(atof(v) * 1e9);
            i++;
        } else if (!strcmp(a, "--checkpoint-every") && v) {
            o->ckpt_every = (uint32_t)atoi(v);
            i++;
        } else if (!strcmp(a, "--compact-mode") && v) {
            if (strcmp(v, "repack") && strcmp(v, "inplace")) return -1;
            o->inplace = !strcmp(v, "inplace");
            i++;
        } else if (!strcmp(a, "--encode-threads") && v) {
            o->encode_threads = atoi(v);
            i++;
        } else if (!strcmp(a, "--threads") && v) {
            o->threads = (uint32_t)atoi(v);
            i++;
        } else if (!strcmp(a, "--compact-points") && v) {
            o->compact_points = (uint32_t)atoi(v);
            i++;
        } else if (!strcmp(a, "--head-bytes") && v) {
            o->head_bytes = (uint32_t)atoi(v);
            i++;
        } else if (!strcmp(a, "--dir") && v) {
            o->dir = v;
            i++;
        } else if (!strcmp(a, "--pregen") && v) {
            o->pregen = atoi(v) != 0;
            i++;
        } else if (!strcmp(a, "--reopen") && v) {
            o->reopen = atoi(v) != 0;
            i++;
        } else if (!strcmp(a, "--write-only")) {
            o->write_only = 1;
        } else if (!strcmp(a, "--keep")) {
            o->keep = 1;
        } else {
            return -1;
        }
    }
    return o->batch && o->threads >= 1 && o->threads <= 8 ? 0 : -1;
}

/* Seconds to generate the structured points alone (subtracted from the write time). */
static double time_generation(const gen_opts *go, gen_point *pts, uint32_t batch)
{
    gen *g;
    if (gen_open(go, &g, NULL) != STRATA_OK) return 0;
    int64_t t0 = strata_mono_ns();
    while (gen_next_points(g, pts, batch) > 0)
        ;
    int64_t t1 = strata_mono_ns();
    gen_close(g);
    return (double)(t1 - t0) / 1e9;
}

/* The baseline: raw text and lz4 of it, compressed in 1 MiB blocks. */
static void baseline(const gen_opts *go, uint64_t *raw, uint64_t *lz4)
{
    gen *g;
    size_t cap = 1 << 20, used;
    char *buf = malloc(cap), *out = malloc(LZ4_compressBound((int)cap));
    *raw = *lz4 = 0;
    if (buf == NULL || out == NULL || gen_open(go, &g, NULL) != STRATA_OK) {
        free(buf);
        free(out);
        return;
    }
    while (gen_next_text(g, buf, cap, 0, &used) > 0) {
        *raw += used;
        *lz4 += (uint64_t)LZ4_compress_default(buf, out, (int)used, LZ4_compressBound((int)cap));
    }
    gen_close(g);
    free(buf);
    free(out);
}

typedef struct disk_use {
    uint64_t chunk_payload, chunks, file_bytes, index_pages, chunk_pages, used_pages;
    unsigned page;
} disk_use;

static int measure_disk(const char *dir, disk_use *u)
{
    char path[4096];
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    MDB_stat st;
    struct stat fs;

    memset(u, 0, sizeof *u);
    snprintf(path, sizeof path, "%s/strata.mdb/data.mdb", dir);
    if (stat(path, &fs) == 0) u->file_bytes = (uint64_t)fs.st_blocks * 512;
    snprintf(path, sizeof path, "%s/strata.mdb", dir);
    if (mdb_env_create(&env)) return -1;
    mdb_env_set_maxdbs(env, 32);
    if (mdb_env_open(env, path, MDB_RDONLY, 0644) || mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) {
        mdb_env_close(env);
        return -1;
    }
    /* Both chunk tables (compaction alternates them; one is empty). */
    const char *tables[] = {"chunks", "chunks.b"};
    for (int t = 0; t < 2; t++) {
        if (mdb_dbi_open(txn, tables[t], 0, &dbi) != 0 || mdb_cursor_open(txn, dbi, &cur) != 0)
            continue;
        int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        while (rc == 0) {
            u->chunk_payload += v.mv_size;
            u->chunks++;
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(cur);
        mdb_stat(txn, dbi, &st);
        u->chunk_pages += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
        u->page = st.ms_psize;
    }
    /* Pages in use: the file's pages minus those on LMDB's free list (dbi 0). */
    MDB_envinfo ei;
    mdb_env_info(env, &ei);
    uint64_t free_pages = 0;
    if (mdb_cursor_open(txn, 0, &cur) == 0) {
        int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        while (rc == 0) {
            if (v.mv_size >= sizeof(size_t)) free_pages += *(const size_t *)v.mv_data;
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(cur);
    }
    u->used_pages = (uint64_t)ei.me_last_pgno + 1 - free_pages;
    const char *idx[] = {"idx.db",   "idx.series", "idx.sovf",  "idx.postings",
                         "idx.meas", "idx.tagk",   "idx.field", "idx.tagv"};
    for (size_t i = 0; i < sizeof idx / sizeof *idx; i++) {
        if (mdb_dbi_open(txn, idx[i], 0, &dbi) == 0 && mdb_stat(txn, dbi, &st) == 0)
            u->index_pages += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
}

static void to_input(const gen_point *gp, stg_point_in *p, stg_tag *tags, stg_field_in *fields)
{
    for (uint32_t t = 0; t < gp->n_tags; t++)
        tags[t] = (stg_tag){gp->tag_keys[t].p, gp->tag_keys[t].len, gp->tag_vals[t].p,
                            gp->tag_vals[t].len};
    for (uint32_t f = 0; f < gp->n_fields; f++) {
        int is_int = gp->field_types[f] == GEN_FT_INT;
        fields[f] =
            (stg_field_in){gp->field_keys[f].p,
                           gp->field_keys[f].len,
                           is_int ? STG_INT : STG_FLOAT,
                           is_int ? (uint64_t)gp->values[f].i : stg_val_from_f64(gp->values[f].f),
                           NULL,
                           0};
    }
    *p =
        (stg_point_in){gp->name.p, gp->name.len, tags, gp->n_tags, fields, gp->n_fields, gp->ts_ns};
}

/* One writer thread: its own generator, keeping the hosts with host % threads == k. */
typedef struct writer {
    const bench_opts *o;
    stg_engine *e;
    uint32_t db, k;
    uint64_t values, points;
    int failed;
    strata_error err;
    /* --pregen: this writer's points, converted before the clock starts */
    stg_point_in *pre;
    stg_tag *pre_tags;
    stg_field_in *pre_fields;
    size_t npre;
    int64_t ckpt_slot; /* --checkpoint-data-s: the data-time slot of the last point */
    int ckpt_slot_set;
} writer;

/* Add one point to the batch; commit a full batch. @return 0, or -1 (w->err set). */
static int write_point(writer *w, stg_batch *b, const gen_point *gp)
{
    stg_tag tags[GEN_MAX_TAGS];
    stg_field_in fields[GEN_MAX_FIELDS];
    stg_point_in p;
    to_input(gp, &p, tags, fields);
    if (stg_batch_add(b, &p, &w->err) != STRATA_OK) return -1;
    w->values += gp->n_fields;
    w->points++;
    if (stg_batch_count(b) >= w->o->batch / w->o->threads) {
        stg_write_result res;
        if (stg_batch_commit(b, &res, &w->err) != STRATA_OK || res.points_rejected) return -1;
    }
    return 0;
}

/* --checkpoint-every / --checkpoint-data-s: is a checkpoint due after the point at ts? */
static int checkpoint_due(writer *w, int64_t ts)
{
    if (w->o->ckpt_every && w->points % w->o->ckpt_every == 0) return 1;
    if (w->o->ckpt_data_ns <= 0) return 0;
    int64_t slot = ts / w->o->ckpt_data_ns;
    if (w->ckpt_slot_set && slot == w->ckpt_slot) return 0;
    int due = w->ckpt_slot_set;
    w->ckpt_slot = slot;
    w->ckpt_slot_set = 1;
    return due;
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    gen *g = NULL;
    stg_batch *b = NULL;
    gen_point *pts = NULL;
    int n;
    if (stg_batch_new(w->e, w->db, &b) != STRATA_OK) {
        w->failed = 1;
        goto done;
    }
    if (w->pre) {
        for (size_t i = 0; i < w->npre; i++) {
            if (stg_batch_add(b, &w->pre[i], &w->err) != STRATA_OK) {
                w->failed = 1;
                goto done;
            }
            w->values += w->pre[i].nfields;
            w->points++;
            if (w->k == 0 && checkpoint_due(w, w->pre[i].ts_ns) &&
                stg_engine_checkpoint(w->e, &w->err) != STRATA_OK) {
                w->failed = 1;
                goto done;
            }
            if (stg_batch_count(b) >= w->o->batch / w->o->threads) {
                stg_write_result res;
                if (stg_batch_commit(b, &res, &w->err) != STRATA_OK || res.points_rejected) {
                    w->failed = 1;
                    goto done;
                }
            }
        }
    } else {
        if ((pts = malloc(w->o->batch * sizeof *pts)) == NULL ||
            gen_open(&w->o->g, &g, &w->err) != STRATA_OK) {
            w->failed = 1;
            goto done;
        }
        while ((n = gen_next_points(g, pts, w->o->batch)) > 0)
            for (int i = 0; i < n; i++)
                if (pts[i].host % w->o->threads == w->k && write_point(w, b, &pts[i]) != 0) {
                    w->failed = 1;
                    goto done;
                }
    }
    stg_write_result res;
    if (stg_batch_commit(b, &res, &w->err) != STRATA_OK) w->failed = 1;
done:
    stg_batch_free(b);
    gen_close(g);
    free(pts);
    return NULL;
}

/* --pregen: every point of the run in memory (the generator stays open: tags point into it). */
static gen_point *pregenerate(const gen_opts *go, gen **gp, size_t *n)
{
    size_t cap = 1 << 16, len = 0;
    gen_point *v = malloc(cap * sizeof *v);
    if (v == NULL || gen_open(go, gp, NULL) != STRATA_OK) {
        free(v);
        return NULL;
    }
    int got;
    for (;;) {
        if (len + 4096 > cap) {
            gen_point *nv = realloc(v, 2 * cap * sizeof *nv);
            if (nv == NULL) {
                free(v);
                return NULL;
            }
            v = nv;
            cap *= 2;
        }
        if ((got = gen_next_points(*gp, v + len, 4096)) <= 0) break;
        len += (size_t)got;
    }
    *n = len;
    return v;
}

/* --pregen: writer k's points as the engine takes them (tag and key strings stay the generator's).
 */
static int prepare(writer *w, const gen_point *all, size_t n, uint32_t threads)
{
    size_t np = 0, nt = 0, nf = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].host % threads == w->k) {
            np++;
            nt += all[i].n_tags;
            nf += all[i].n_fields;
        }
    w->pre = malloc((np ? np : 1) * sizeof *w->pre);
    w->pre_tags = malloc((nt ? nt : 1) * sizeof *w->pre_tags);
    w->pre_fields = malloc((nf ? nf : 1) * sizeof *w->pre_fields);
    if (w->pre == NULL || w->pre_tags == NULL || w->pre_fields == NULL) return -1;
    size_t at_t = 0, at_f = 0;
    w->npre = 0;
    for (size_t i = 0; i < n; i++) {
        if (all[i].host % threads != w->k) continue;
        to_input(&all[i], &w->pre[w->npre], w->pre_tags + at_t, w->pre_fields + at_f);
        at_t += all[i].n_tags;
        at_f += all[i].n_fields;
        w->npre++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts o;
    char tmp[] = "/tmp/strata-bench-XXXXXX";
    strata_error err = {0};
    stg_engine *e = NULL;
    uint32_t db;

    if (parse(argc, argv, &o) != 0) {
        usage();
        return 2;
    }
    if (o.dir == NULL && (o.dir = mkdtemp(tmp)) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    gen_point *pts = malloc(o.batch * sizeof *pts);
    if (pts == NULL) return 1;
    double gen_s = o.pregen ? 0 : time_generation(&o.g, pts, o.batch);
    gen *pre_g = NULL;
    size_t npre = 0;
    gen_point *pre = NULL;
    if (o.pregen && (pre = pregenerate(&o.g, &pre_g, &npre)) == NULL) {
        fprintf(stderr, "engine_bench: out of memory generating the input (try --pregen 0)\n");
        return 1;
    }

    stg_options so;
    stg_options_default(&so);
    so.dir = o.dir;
    so.wal_sync = o.sync;
    so.chunk_max_points = o.chunk_points;
    so.head_max_bytes = o.head_bytes;
    so.encode_threads = o.encode_threads;
    if (stg_engine_open(&so, &e, &err) != STRATA_OK ||
        stg_db_create(e, "bench", &db, &err) != STRATA_OK) {
        fprintf(stderr, "engine_bench: %s\n", err.msg);
        return 1;
    }
    uint64_t values = 0, points = 0;
    writer w[8];
    pthread_t th[8];
    for (uint32_t k = 0; k < o.threads; k++) {
        w[k] = (writer){.o = &o, .e = e, .db = db, .k = k};
        if (pre && prepare(&w[k], pre, npre, o.threads) != 0) {
            fprintf(stderr, "engine_bench: out of memory preparing the input (try --pregen 0)\n");
            return 1;
        }
    }
    uint64_t anon0 = rss_anon();
    int64_t t0 = strata_mono_ns();
    double c0 = cpu_seconds();
    for (uint32_t k = 0; k < o.threads; k++) {
        pthread_create(&th[k], NULL, writer_main, &w[k]);
    }
    for (uint32_t k = 0; k < o.threads; k++) {
        pthread_join(th[k], NULL);
        if (w[k].failed) {
            fprintf(stderr, "engine_bench: writer %u: %s\n", k, w[k].err.msg);
            return 1;
        }
        values += w[k].values;
        points += w[k].points;
    }
    int64_t t1 = strata_mono_ns();
    double c1 = cpu_seconds();
    uint64_t anon1 = rss_anon();
    free(pre);
    gen_close(pre_g);
    for (uint32_t k = 0; k < o.threads; k++) {
        free(w[k].pre);
        free(w[k].pre_tags);
        free(w[k].pre_fields);
    }
    stg_engine_stats st;
    stg_engine_stats_get(e, &st);
    if (o.write_only) {
        printf("write: %.2f s, %.2f M values/s, %.2f M values per CPU-second\n",
               (double)(t1 - t0) / 1e9, (double)values / ((double)(t1 - t0) / 1e9) / 1e6,
               (double)values / (c1 - c0) / 1e6);
        stg_engine_close(e);
        free(pts);
        return 0;
    }
    int64_t t2 = strata_mono_ns();
    if (stg_engine_checkpoint(e, &err) != STRATA_OK) {
        fprintf(stderr, "engine_bench: checkpoint: %s\n", err.msg);
        return 1;
    }
    int64_t t2c = strata_mono_ns();
    disk_use du0;
    int have_du0 = 0;
    if (o.reopen) {
        stg_engine_close(e);
        e = NULL;
        have_du0 = measure_disk(o.dir, &du0) == 0;
        if (stg_engine_open(&so, &e, &err) != STRATA_OK) {
            fprintf(stderr, "engine_bench: reopen: %s\n", err.msg);
            return 1;
        }
    }
    int64_t t3 = strata_mono_ns();
    stg_compact_stats cs;
    stg_compact_opts co = {.target_points = o.compact_points, .repack = !o.inplace};
    if (stg_engine_compact_opts(e, &co, &cs, &err) != STRATA_OK) {
        fprintf(stderr, "engine_bench: compact: %s\n", err.msg);
        return 1;
    }
    int64_t t4 = strata_mono_ns();
    stg_engine_close(e);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    disk_use du;
    measure_disk(o.dir, &du);
    uint64_t raw, lz4;
    baseline(&o.g, &raw, &lz4);

    double write_s = (double)(t1 - t0) / 1e9, engine_s = write_s - gen_s;
    printf("data: %s, %u hosts, %.1f h at %llds: %llu points, %llu values\n",
           gen_use_case_name(o.g.use_case), o.g.scale, (double)(o.g.end_ns - o.g.start_ns) / 3600e9,
           (long long)(o.g.interval_ns / 1000000000), (unsigned long long)points,
           (unsigned long long)values);
    if (o.pregen)
        printf("write (wal_sync=%d, batches of %u points, %u threads, input generated "
               "beforehand): %.2f s, %.2f M values/s\n",
               o.sync, o.batch, o.threads, write_s, (double)values / write_s / 1e6);
    else
        printf("write (wal_sync=%d, batches of %u points, %u threads): %.2f s, %.2f M values/s "
               "(engine alone, generator time %.2f s removed: %.2f M values/s)\n",
               o.sync, o.batch, o.threads, write_s, (double)values / write_s / 1e6, gen_s,
               engine_s > 0 ? (double)values / engine_s / 1e6 : 0.0);
    printf("write CPU time (all threads%s): %.2f s, %.2f M values per CPU-second\n",
           o.pregen ? "" : ", generator included", c1 - c0, (double)values / (c1 - c0) / 1e6);
    double done_s = write_s + (double)(t2c - t2) / 1e9;
    printf("writes + final checkpoint (every value durable and encoded into LMDB): %.2f s, "
           "%.2f M values/s\n",
           done_s, (double)values / done_s / 1e6);
    printf("final checkpoint: %.2f s (%.2f s with the reopen); compaction %.2f s: %llu chunks "
           "(%.3f B/value) -> %llu "
           "chunks (%.3f B/value)\n",
           (double)(t2c - t2) / 1e9, (double)(t3 - t2) / 1e9, (double)(t4 - t3) / 1e9,
           (unsigned long long)cs.chunks_before, (double)cs.bytes_before / (double)values,
           (unsigned long long)cs.chunks_after, (double)cs.bytes_after / (double)values);
    printf("memory: peak RSS %.1f MiB; %llu columns, heads %.0f bytes/column before the final "
           "checkpoint\n",
           ru.ru_maxrss / 1024.0, (unsigned long long)st.columns,
           st.columns ? (double)st.heads_bytes / (double)st.columns : 0.0);
    /* What the writes added to the heap, less the chunks waiting for a checkpoint (a budget
     * of the whole engine, checkpoint_bytes, not of a column), per column. */
    double grown = anon1 > anon0 ? (double)(anon1 - anon0) : 0.0;
    double per_col = grown > (double)st.pending_bytes ? grown - (double)st.pending_bytes : 0.0;
    printf("memory per column: the writes added %.1f MiB of heap (RssAnon), %.1f MiB of it "
           "sealed chunks waiting for a checkpoint; the rest is %.0f bytes per column\n",
           grown / 1048576.0, (double)st.pending_bytes / 1048576.0,
           st.columns ? per_col / (double)st.columns : 0.0);
    if (have_du0)
        printf("disk before compaction (as checkpoints leave it): %llu chunks, payload %.3f "
               "bytes/value; chunk tree %.3f bytes/value; LMDB pages in use %.3f bytes/value\n",
               (unsigned long long)du0.chunks, (double)du0.chunk_payload / (double)values,
               (double)du0.chunk_pages * du0.page / (double)values,
               (double)du0.used_pages * du0.page / (double)values);
    printf("disk after compaction: %llu chunks, payload %.3f bytes/value; chunk tree %.3f "
           "bytes/value; LMDB pages in use %.3f bytes/value (file %.3f, the rest is free pages "
           "LMDB reuses); index %.1f KiB\n",
           (unsigned long long)du.chunks, (double)du.chunk_payload / (double)values,
           (double)du.chunk_pages * du.page / (double)values,
           (double)du.used_pages * du.page / (double)values, (double)du.file_bytes / (double)values,
           (double)du.index_pages * du.page / 1024.0);
    printf("baseline: line protocol %.2f bytes/value, lz4 of it %.3f bytes/value "
           "(Strata payload is %.1fx smaller than lz4)\n",
           (double)raw / (double)values, (double)lz4 / (double)values,
           du.chunk_payload ? (double)lz4 / (double)du.chunk_payload : 0.0);
    if (!o.keep && o.dir == tmp) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", o.dir);
        if (system(cmd) != 0) fprintf(stderr, "engine_bench: could not remove %s\n", o.dir);
    }
    free(pts);
    return 0;
}
