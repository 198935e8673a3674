/*
 * net/ingest.c: the write path shared by HTTP, TCP and UDP, run on a worker
 * thread: resolve the database, inflate a gzip body, parse line protocol,
 * fill the worker's stg_batch and commit it (the commit returns once the
 * WAL is durable, so an HTTP 204 sent afterwards means "on disk").
 *
 * The answer follows InfluxDB 1.x (services/httpd/handler.go, tsdb
 * PartialWriteError):
 *   - every line bad                  400 "unable to parse '<l>': <why>\n..."
 *   - points refused by the engine    400 "partial write: <first reason> dropped=N"
 *   - some lines bad, others stored   400 "partial write: <bad lines> dropped=0"
 *     (InfluxDB reports dropped=0 for parse failures; we keep its text)
 *   - unknown database                404 database not found: "<db>"
 *   - engine failure                  500 <message>
 *   - otherwise                       204
 *
 * Nothing is allocated per point: the parser, the batch, the tag/field
 * arrays, the zlib stream and the inflate buffer belong to the worker and
 * only grow to the largest request seen (the inflate buffer is trimmed
 * after unusually large bodies).
 */
#include "net/net_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "storage/retention.h"

/* Keep at most this much inflate buffer between requests. */
#define INFLATE_KEEP_BYTES (8u << 20)

/* Append Go's %q rendering of s (used in InfluxDB's messages). */
static int go_quote(net_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = net_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; rc == STRATA_OK && *p; p++) {
        char e[4] = {'\\', 0, 0, 0};
        switch (*p) {
        case '"':
            e[1] = '"';
            rc = net_buf_append(b, e, 2);
            break;
        case '\\':
            e[1] = '\\';
            rc = net_buf_append(b, e, 2);
            break;
        case '\n':
            e[1] = 'n';
            rc = net_buf_append(b, e, 2);
            break;
        case '\t':
            e[1] = 't';
            rc = net_buf_append(b, e, 2);
            break;
        case '\r':
            e[1] = 'r';
            rc = net_buf_append(b, e, 2);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                char x[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
                rc = net_buf_append(b, x, 4);
            } else {
                rc = net_buf_append(b, p, 1);
            }
        }
    }
    return rc == STRATA_OK ? net_buf_append(b, "\"", 1) : rc;
}

static void set_msg(net_ingest_out *out, net_buf *msg, int status, const char *text)
{
    out->status = status;
    msg->len = 0;
    net_buf_puts(msg, text);
}

static void db_not_found(net_ingest_out *out, net_buf *msg, const char *db)
{
    out->status = 404;
    msg->len = 0;
    net_buf_puts(msg, "database not found: ");
    go_quote(msg, db);
}

/* ------------------------------------------------------------------- gzip */

/*
 * Inflate in->body into w->inflated. Error texts are Go's (compress/gzip),
 * which InfluxDB passes through with status 400.
 * @return STRATA_OK, or an error with out/msg set.
 */
static int inflate_body(net_worker *w, const net_ingest_in *in, net_ingest_out *out, net_buf *msg)
{
    const unsigned char *src = (const unsigned char *)in->body;
    net_buf *dst = &w->inflated;
    size_t limit = in->max_inflated ? in->max_inflated : SIZE_MAX - 1;

    dst->len = 0;
    if (in->len == 0) {
        set_msg(out, msg, 400, "EOF");
        return STRATA_EINVAL;
    }
    if (in->len < 10) {
        set_msg(out, msg, 400, "unexpected EOF");
        return STRATA_EINVAL;
    }
    if (src[0] != 0x1f || src[1] != 0x8b) {
        set_msg(out, msg, 400, "gzip: invalid header");
        return STRATA_EINVAL;
    }
    if (!w->zs_ready) {
        memset(&w->zs, 0, sizeof w->zs);
        if (inflateInit2(&w->zs, 16 + MAX_WBITS) != Z_OK) {
            set_msg(out, msg, 500, "out of memory starting a gzip decoder");
            return STRATA_ENOMEM;
        }
        w->zs_ready = 1;
    } else {
        inflateReset(&w->zs);
    }
    z_stream *zs = &w->zs;
    zs->next_in = (Bytef *)src;
    zs->avail_in = (uInt)(in->len > UINT32_MAX ? UINT32_MAX : in->len);
    size_t in_left = in->len - zs->avail_in; /* beyond 4 GiB: fed in pieces */
    for (;;) {
        size_t room = dst->cap - dst->len;
        if (room < 16384) {
            size_t want = dst->len < (1u << 16) ? (1u << 16) : dst->len;
            if (net_buf_reserve(dst, want) != STRATA_OK) {
                set_msg(out, msg, 500, "out of memory inflating a gzip body");
                return STRATA_ENOMEM;
            }
            room = dst->cap - dst->len;
        }
        if (room > limit + 1 - dst->len) room = limit + 1 - dst->len;
        if (room > UINT32_MAX) room = UINT32_MAX;
        zs->next_out = (Bytef *)dst->p + dst->len;
        zs->avail_out = (uInt)room;
        int zrc = inflate(zs, Z_NO_FLUSH);
        dst->len += room - zs->avail_out;
        if (dst->len > limit) {
            set_msg(out, msg, 413, "Request Entity Too Large");
            return STRATA_ELIMIT;
        }
        if (zs->avail_in == 0 && in_left > 0) {
            size_t n = in_left > UINT32_MAX ? UINT32_MAX : in_left;
            zs->avail_in = (uInt)n;
            in_left -= n;
        }
        if (zrc == Z_STREAM_END) {
            if (zs->avail_in == 0 && in_left == 0) return STRATA_OK;
            /* Go's reader goes on with the next gzip member. */
            if (zs->avail_in >= 2 && (zs->next_in[0] != 0x1f || zs->next_in[1] != 0x8b)) {
                set_msg(out, msg, 400, "gzip: invalid header");
                return STRATA_EINVAL;
            }
            inflateReset(zs);
            continue;
        }
        if (zrc == Z_OK) continue;
        if (zrc == Z_BUF_ERROR && zs->avail_in == 0) {
            set_msg(out, msg, 400, "unexpected EOF");
            return STRATA_EINVAL;
        }
        if (zrc == Z_BUF_ERROR) continue; /* no room was left: the loop grows dst */
        if (zrc == Z_DATA_ERROR) {
            if (zs->msg && strstr(zs->msg, "check") != NULL) {
                set_msg(out, msg, 400, "gzip: invalid checksum");
            } else {
                out->status = 400;
                msg->len = 0;
                net_buf_printf(msg, "flate: corrupt input before offset %lu",
                               (unsigned long)zs->total_in);
            }
            return STRATA_EINVAL;
        }
        set_msg(out, msg, 500, "out of memory inflating a gzip body");
        return STRATA_ENOMEM;
    }
}

/* ------------------------------------------------------------------ points */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return STRATA_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, ncap * elem);
    if (n == NULL) return STRATA_ENOMEM;
    *arr = n;
    *cap = ncap;
    return STRATA_OK;
}

/* Copy one parsed point into the batch. @return as stg_batch_add(). */
static int add_point(net_worker *w, const lp_point *pt, strata_error *err)
{
    if (grow((void **)&w->tags, &w->tags_cap, pt->ntags, sizeof *w->tags) != STRATA_OK ||
        grow((void **)&w->fields, &w->fields_cap, pt->nfields, sizeof *w->fields) != STRATA_OK)
        return strata_error_set(err, STRATA_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < pt->ntags; i++) {
        stg_tag *t = &w->tags[i];
        t->key = pt->tags[i].key.p;
        t->key_len = pt->tags[i].key.len;
        t->val = pt->tags[i].val.p;
        t->val_len = pt->tags[i].val.len;
    }
    for (uint32_t i = 0; i < pt->nfields; i++) {
        const lp_field *lf = &pt->fields[i];
        stg_field_in *f = &w->fields[i];
        f->key = lf->key.p;
        f->key_len = lf->key.len;
        f->type = (stg_type)lf->type;
        f->str = NULL;
        f->str_len = 0;
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
            f->val = lf->v.b ? 1 : 0;
            break;
        case LP_STRING:
            f->val = 0;
            f->str = lf->v.s.p;
            f->str_len = lf->v.s.len;
            break;
        }
    }
    stg_point_in p = {
        .meas = pt->measurement.p,
        .meas_len = pt->measurement.len,
        .tags = w->tags,
        .ntags = pt->ntags,
        .fields = w->fields,
        .nfields = pt->nfields,
        .ts_ns = pt->ts_ns,
    };
    return stg_batch_add(w->batch, &p, err);
}

typedef struct ingest_state {
    net_worker *w;
    const net_ingest_in *in;
    net_ingest_out *out;
    net_buf *msg;
    uint64_t added;   /* points accepted by stg_batch_add */
    uint64_t omitted; /* bad lines whose message did not fit */
    int have_reject;
    char reject[STRATA_ERRMSG_MAX]; /* the first refusal's text */
    int fatal;
} ingest_state;

static void note_reject(ingest_state *st, const char *why)
{
    if (st->have_reject) return;
    st->have_reject = 1;
    snprintf(st->reject, sizeof st->reject, "%s", why);
}

/* Keep InfluxDB's message for a bad line, up to in->msg_cap bytes in all. */
static void note_bad_line(ingest_state *st, const lp_point *pt)
{
    net_buf *msg = st->msg;
    size_t cap = st->in->msg_cap;
    size_t sep = msg->len ? 1 : 0;
    if (cap == 0 || msg->len + sep + 16 > cap) {
        st->omitted++;
        return;
    }
    size_t room = cap - msg->len - sep;
    if (net_buf_reserve(msg, sep + room + 1) != STRATA_OK) {
        st->omitted++;
        return;
    }
    size_t n = lp_parser_format_error(st->w->lp, pt, msg->p + msg->len + sep, room + 1);
    if (n > room && sep) { /* only the first message may be cut short */
        st->omitted++;
        return;
    }
    if (sep) msg->p[msg->len] = '\n';
    msg->len += sep + (n > room ? room : n);
}

static int commit(ingest_state *st)
{
    net_server *s = st->w->srv;
    stg_write_result res;
    strata_error err;
    memset(&res, 0, sizeof res);
    strata_error_clear(&err);
    int64_t t0 = strata_mono_ns();
    int rc = stg_batch_commit(st->w->batch, &res, &err);
    net__metrics_commit(&s->m, strata_mono_ns() - t0, rc == STRATA_OK);
    if (rc != STRATA_OK) {
        st->fatal = 1;
        if (rc == STRATA_ENOTFOUND) {
            db_not_found(st->out, st->msg, st->in->db);
        } else if (rc == STRATA_ETYPE) {
            /* Points of this request gave a new field two types: InfluxDB
             * refuses the whole request with a bare "field type conflict". */
            set_msg(st->out, st->msg, 400, err.msg);
        } else {
            set_msg(st->out, st->msg, 500, err.msg[0] ? err.msg : strata_strerror(rc));
            strata_log(s->log, STRATA_LOG_ERROR, "write", "commit to database \"%s\" failed: %s",
                       st->in->db, err.msg[0] ? err.msg : strata_strerror(rc));
        }
        return rc;
    }
    st->out->points_ok += res.points_written;
    st->out->points_rejected += res.points_rejected;
    st->out->points_expired += res.points_expired;
    if (res.points_rejected) note_reject(st, res.first_error);
    return STRATA_OK;
}

/* Parse one body (or one datagram) into the batch, committing full slices. */
static int parse_segment(ingest_state *st, const char *buf, size_t len, int64_t now_ns)
{
    net_worker *w = st->w;
    lp_point pt;
    strata_error err;
    lp_parser_reset(w->lp, buf, len, now_ns);
    for (;;) {
        int rc = lp_parser_next(w->lp, &pt);
        if (rc == 0) return STRATA_OK;
        if (rc < 0) {
            st->out->lines_bad++;
            note_bad_line(st, &pt);
            continue;
        }
        strata_error_clear(&err);
        rc = add_point(w, &pt, &err);
        if (rc == STRATA_EINVAL) {
            st->out->points_rejected++;
            note_reject(st, err.msg);
            continue;
        }
        if (rc != STRATA_OK) {
            st->fatal = 1;
            set_msg(st->out, st->msg, 500, err.msg[0] ? err.msg : strata_strerror(rc));
            return rc;
        }
        st->added++;
        if (stg_batch_count(w->batch) >= NET_COMMIT_POINTS && (rc = commit(st)) != STRATA_OK)
            return rc;
    }
}

static int worker_ready(net_worker *w, uint32_t db, net_ingest_out *out, net_buf *msg)
{
    if (w->lp == NULL) {
        lp_options opt;
        lp_options_init(&opt);
        if (lp_parser_new(&opt, &w->lp) != STRATA_OK) {
            set_msg(out, msg, 500, "out of memory creating a line-protocol parser");
            return STRATA_ENOMEM;
        }
    }
    if (w->batch == NULL) {
        if (stg_batch_new(w->srv->eng, db, &w->batch) != STRATA_OK) {
            set_msg(out, msg, 500, "out of memory creating a write batch");
            return STRATA_ENOMEM;
        }
    } else {
        stg_batch_reset(w->batch, db);
    }
    return STRATA_OK;
}

static int resolve_db(net_worker *w, const net_ingest_in *in, uint32_t *db, net_ingest_out *out,
                      net_buf *msg)
{
    net_server *s = w->srv;
    strata_error err;
    strata_error_clear(&err);
    *db = in->db_id;
    if (*db != 0) return STRATA_OK;
    /* The default retention policy (TCP and UDP name only a database). */
    stg_rp_info rp;
    int rc = stg_rp_resolve(s->eng, in->db, NULL, &rp, &err);
    if (rc == STRATA_OK) {
        *db = rp.ns;
        return STRATA_OK;
    }
    if (rc == STRATA_ENOTFOUND && stg_db_lookup(s->eng, in->db, db) == STRATA_OK) {
        set_msg(out, msg, 500, err.msg); /* "retention policy not found: ..." */
        return rc;
    }
    if (rc != STRATA_ENOTFOUND) {
        set_msg(out, msg, 500, strata_strerror(rc));
        return rc;
    }
    if (!in->auto_create) {
        db_not_found(out, msg, in->db);
        return rc;
    }
    rc = stg_db_create(s->eng, in->db, db, &err);
    if (rc != STRATA_OK) {
        set_msg(out, msg, rc == STRATA_EINVAL ? 400 : 500,
                err.msg[0] ? err.msg : strata_strerror(rc));
        return rc;
    }
    strata_log(s->log, STRATA_LOG_INFO, "write", "created database \"%s\" on its first write",
               in->db);
    return STRATA_OK;
}

void net__ingest(net_worker *w, const net_ingest_in *in, net_ingest_out *out, net_buf *msg)
{
    net_server *s = w->srv;
    ingest_state st = {.w = w, .in = in, .out = out, .msg = msg};
    const char *body = in->body;
    size_t len = in->len;
    uint32_t db;

    memset(out, 0, sizeof *out);
    out->status = 204;
    msg->len = 0;
    atomic_fetch_add_explicit(&s->m.batches[in->src], 1, memory_order_relaxed);

    if (resolve_db(w, in, &db, out, msg) != STRATA_OK) return;
    if (in->gzip) {
        if (inflate_body(w, in, out, msg) != STRATA_OK) goto done;
        body = w->inflated.p;
        len = w->inflated.len;
    }
    if (worker_ready(w, db, out, msg) != STRATA_OK) goto done;
    lp_parser_set_precision(w->lp, in->prec);

    /* InfluxDB gives every line without a timestamp the same time: the request's. */
    int64_t now_ns = strata_now_ns();
    int rc = STRATA_OK;
    if (!in->framed) {
        rc = parse_segment(&st, body, len, now_ns);
    } else {
        size_t off = 0;
        while (rc == STRATA_OK && off + 4 <= len) {
            uint32_t n;
            memcpy(&n, body + off, 4);
            off += 4;
            if (n > len - off) break; /* cannot happen: udp.c frames them */
            rc = parse_segment(&st, body + off, n, now_ns);
            off += n;
        }
    }
    if (rc == STRATA_OK && stg_batch_count(w->batch) > 0) rc = commit(&st);
    if (st.fatal) goto done;

    if (st.have_reject) {
        /* Engine refusals win over parse errors, as in InfluxDB. */
        msg->len = 0;
        net_buf_printf(msg, "partial write: %s dropped=%llu", st.reject,
                       (unsigned long long)out->points_rejected);
        out->status = 400;
    } else if (out->points_expired > 0) {
        msg->len = 0;
        net_buf_printf(msg, "partial write: points beyond retention policy dropped=%llu",
                       (unsigned long long)out->points_expired);
        out->status = 400;
    } else if (out->lines_bad > 0) {
        if (st.omitted)
            net_buf_printf(msg, "%s(%llu more bad lines not shown)", msg->len ? "\n" : "",
                           (unsigned long long)st.omitted);
        if (st.added > 0) {
            net_buf_insert(msg, 0, "partial write: ", 15);
            net_buf_puts(msg, " dropped=0");
        }
        out->status = 400;
    }
done:
    if (w->inflated.cap > INFLATE_KEEP_BYTES) net_buf_trim(&w->inflated, INFLATE_KEEP_BYTES);
    if (w->batch != NULL && stg_batch_count(w->batch) > 0)
        stg_batch_reset(w->batch, db); /* after an error: forget what was not committed */
    atomic_fetch_add_explicit(&s->m.points_written[in->src], out->points_ok, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->m.points_rejected[in->src], out->points_rejected,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&s->m.lines_bad[in->src], out->lines_bad, memory_order_relaxed);
}

void net__ingest_worker_fini(net_worker *w)
{
    lp_parser_free(w->lp);
    w->lp = NULL;
    stg_batch_free(w->batch);
    w->batch = NULL;
    free(w->tags);
    free(w->fields);
    w->tags = NULL;
    w->fields = NULL;
    w->tags_cap = w->fields_cap = 0;
    if (w->zs_ready) inflateEnd(&w->zs);
    w->zs_ready = 0;
    net_buf_fini(&w->inflated);
    net_buf_fini(&w->scratch);
}
