/*
 * query/result.c: the result writers: InfluxDB's JSON (compact, pretty,
 * chunked) and CSV layouts, fed by statement, series and row events.
 *
 * Non-chunked JSON is one document. Results are flushed to the sink once the
 * next statement begins, so the last result can still be replaced: InfluxDB's
 * handler replaces a statement's result with a later error result of the same
 * statement id (that is how "not executed" hides the real error of a failed
 * statement that is not the last one).
 *
 * Chunked JSON writes one document per result. A SELECT's results are one
 * per series part; a result is closed lazily, when the next one begins or the
 * statement ends, because only then is it known whether "partial":true is due.
 *
 * Pretty output follows json.MarshalIndent(v, "", "    "): a newline and the
 * depth's indent before each element, "key": value, empty containers as {}.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "query/result_int.h"
#include "query/tz_int.h"

/* ---- JSON building with optional indentation ---------------------------------- */

static void j_indent(qry_writer *w)
{
    qry_buf_putc(&w->buf, '\n');
    for (int i = 0; i < w->depth; i++)
        qry_buf_put(&w->buf, "    ", 4);
}

/* Separator before an element of the current container. */
static void j_elem(qry_writer *w)
{
    if (w->depth == 0) return;
    if (!w->first[w->depth]) qry_buf_putc(&w->buf, ',');
    w->first[w->depth] = 0;
    if (w->pretty) j_indent(w);
}

static void j_open(qry_writer *w, char c)
{
    qry_buf_putc(&w->buf, c);
    if (w->depth < QRY_JSON_DEPTH_MAX - 1) w->depth++;
    w->first[w->depth] = 1;
}

static void j_close(qry_writer *w, char c)
{
    int empty = w->first[w->depth];
    w->depth--;
    if (w->pretty && !empty) j_indent(w);
    qry_buf_putc(&w->buf, c);
}

/* "key": (the value follows) */
static void j_key(qry_writer *w, const char *k)
{
    j_elem(w);
    qry_buf_putc(&w->buf, '"');
    qry_buf_puts(&w->buf, k);
    qry_buf_put(&w->buf, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
}

static void j_keyn(qry_writer *w, const char *k, size_t kl)
{
    j_elem(w);
    qry__json_str(&w->buf, k, kl);
    qry_buf_put(&w->buf, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
}

/* ---- sink ------------------------------------------------------------------ */

static int flush_upto(qry_writer *w, size_t n)
{
    if (w->buf.oom) return STRATA_ENOMEM;
    if (n == 0 || w->failed) return w->failed ? STRATA_EIO : STRATA_OK;
    if (w->write(w->wctx, w->buf.p, n) != 0) {
        w->failed = 1;
        return STRATA_EIO;
    }
    memmove(w->buf.p, w->buf.p + n, w->buf.n - n);
    w->buf.n -= n;
    if (w->stmt_start >= n)
        w->stmt_start -= n;
    else
        w->stmt_start = 0;
    return STRATA_OK;
}

size_t qry_writer_pending(const qry_writer *w)
{
    return w->buf.n;
}

void qry_writer_init(qry_writer *w, qry_wfmt fmt, int pretty, int chunked, size_t chunk_size,
                     int64_t epoch_div, int (*write)(void *, const void *, size_t), void *wctx)
{
    memset(w, 0, sizeof *w);
    w->fmt = fmt;
    w->pretty = fmt == QRY_WFMT_JSON && pretty;
    w->chunked = chunked;
    w->chunk_size = chunk_size ? chunk_size : 10000;
    w->epoch_div = epoch_div;
    w->write = write;
    w->wctx = wctx;
    w->csv_stmt = -1;
    w->stmt_id = -1;
}

void qry_writer_fini(qry_writer *w)
{
    if (w == NULL) return;
    qry_buf_fini(&w->buf);
    qry_buf_fini(&w->hdr);
    qry_buf_fini(&w->csv_cols);
    qry_buf_fini(&w->csv_pre);
    qry_buf_fini(&w->msgs);
}

/* ---- documents and results ----------------------------------------------- */

/* Begin a {"results":[ document. */
static void doc_open(qry_writer *w)
{
    w->depth = 0;
    j_open(w, '{');
    j_key(w, "results");
    j_open(w, '[');
}

static void doc_close(qry_writer *w)
{
    j_close(w, ']');
    j_close(w, '}');
    qry_buf_putc(&w->buf, '\n');
}

/* Begin a result object {"statement_id":N (inside the results array). */
static void result_open(qry_writer *w, int id)
{
    if (w->chunked)
        doc_open(w);
    else if (!w->doc_open) {
        doc_open(w);
        w->doc_open = 1;
    }
    w->stmt_start = w->buf.n;
    w->last_first = w->first[w->depth];
    j_elem(w);
    j_open(w, '{');
    j_key(w, "statement_id");
    qry_buf_printf(&w->buf, "%d", id);
    w->result_open = 1;
    w->result_has_series = 0;
    w->last_id = id;
}

static void result_close(qry_writer *w, int partial)
{
    if (!w->result_open) return;
    if (w->result_has_series) j_close(w, ']');
    if (w->msgs.n) {
        /* messages were encoded compactly; re-encode each for pretty output */
        j_key(w, "messages");
        j_open(w, '[');
        const char *p = w->msgs.p, *end = w->msgs.p + w->msgs.n;
        while (p < end) {
            size_t ll = strlen(p);
            const char *lv = p;
            p += ll + 1;
            size_t tl = strlen(p);
            const char *tx = p;
            p += tl + 1;
            j_elem(w);
            j_open(w, '{');
            j_key(w, "level");
            qry__json_str(&w->buf, lv, ll);
            j_key(w, "text");
            qry__json_str(&w->buf, tx, tl);
            j_close(w, '}');
        }
        j_close(w, ']');
        w->msgs.n = 0;
    }
    if (partial) {
        j_key(w, "partial");
        qry_buf_puts(&w->buf, "true");
    }
    j_close(w, '}');
    w->result_open = 0;
    if (w->chunked) doc_close(w);
}

/* ---- CSV ------------------------------------------------------------------ */

static int csv_needs_quotes(const char *s, size_t n)
{
    if (n == 0) return 0;
    if (n == 2 && s[0] == '\\' && s[1] == '.') return 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') return 1;
    /* Go checks the first rune with unicode.IsSpace. */
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n') return 1;
    if (c == 0xC2 && n >= 2 && ((unsigned char)s[1] == 0x85 || (unsigned char)s[1] == 0xA0))
        return 1;
    if (c == 0xE1 && n >= 3 && (unsigned char)s[1] == 0x9A && (unsigned char)s[2] == 0x80) return 1;
    if (c == 0xE2 && n >= 3 && (unsigned char)s[1] == 0x80 &&
        (((unsigned char)s[2] >= 0x80 && (unsigned char)s[2] <= 0x8A) ||
         (unsigned char)s[2] == 0xA8 || (unsigned char)s[2] == 0xA9 || (unsigned char)s[2] == 0xAF))
        return 1;
    if (c == 0xE2 && n >= 3 && (unsigned char)s[1] == 0x81 && (unsigned char)s[2] == 0x9F) return 1;
    if (c == 0xE3 && n >= 3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) return 1;
    return 0;
}

static void csv_field(qry_buf *b, const char *s, size_t n)
{
    if (!csv_needs_quotes(s, n)) {
        qry_buf_put(b, s, n);
        return;
    }
    qry_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            qry_buf_put(b, s + start, i + 1 - start);
            qry_buf_putc(b, '"');
            start = i + 1;
        } else if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
            /* Go's csv writer keeps \r\n as \r\n only with UseCRLF; otherwise \r is dropped
             * before \n. */
            qry_buf_put(b, s + start, i - start);
            start = i + 1;
        }
    }
    qry_buf_put(b, s + start, n - start);
    qry_buf_putc(b, '"');
}

/* Tag keys and values escaped as a series key (commas, spaces, equals). */
static void csv_tag_escaped(qry_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',' || s[i] == ' ' || s[i] == '=') qry_buf_putc(b, '\\');
        qry_buf_putc(b, s[i]);
    }
}

/* ---- sorting tags --------------------------------------------------------- */

static int tag_cmp(const void *a, const void *b)
{
    const qry_tagv *x = a, *y = b;
    size_t n = x->kl < y->kl ? x->kl : y->kl;
    int c = memcmp(x->k, y->k, n);
    if (c) return c;
    return x->kl < y->kl ? -1 : x->kl > y->kl;
}

/* ---- series header (kept to repeat it after a chunk split) ------------------ */

static int save_header(qry_writer *w, const char *name, size_t nlen, const qry_tagv *tags,
                       size_t ntags, const char *const *cols, const size_t *col_lens, size_t ncols)
{
    qry_buf *h = &w->hdr;
    h->n = 0;
    size_t need = nlen + 1 + (ntags + ncols) * 2 * sizeof(size_t);
    for (size_t i = 0; i < ntags; i++)
        need += tags[i].kl + tags[i].vl + 2;
    for (size_t i = 0; i < ncols; i++)
        need += col_lens[i] + 1;
    if (qry_buf_reserve(h, need + 64) != STRATA_OK) return STRATA_ENOMEM;
    /* layout: sizes then bytes */
    size_t *sz = (size_t *)(void *)h->p;
    size_t nsz = 1 + 2 * ntags + ncols;
    size_t off = ((nsz * sizeof(size_t)) + 15) & ~(size_t)15;
    h->n = off;
    sz[0] = nlen;
    qry_buf_put(h, name, nlen);
    qry_tagv *st = NULL;
    if (ntags) {
        st = malloc(ntags * sizeof *st);
        if (st == NULL) return STRATA_ENOMEM;
        memcpy(st, tags, ntags * sizeof *st);
        qsort(st, ntags, sizeof *st, tag_cmp);
    }
    for (size_t i = 0; i < ntags; i++) {
        sz = (size_t *)(void *)h->p;
        sz[1 + 2 * i] = st[i].kl;
        sz[2 + 2 * i] = st[i].vl;
        qry_buf_put(h, st[i].k, st[i].kl);
        qry_buf_put(h, st[i].v, st[i].vl);
    }
    free(st);
    for (size_t i = 0; i < ncols; i++) {
        sz = (size_t *)(void *)h->p;
        sz[1 + 2 * ntags + i] = col_lens[i];
        qry_buf_put(h, cols[i], col_lens[i]);
    }
    w->h_ntags = ntags;
    w->ncols = ncols;
    return h->oom ? STRATA_ENOMEM : STRATA_OK;
}

/* Write {"name":..,"tags":{..},"columns":[..],"values":[ from the saved header. */
static void json_series_open(qry_writer *w)
{
    const size_t *sz = (const size_t *)(const void *)w->hdr.p;
    size_t nsz = 1 + 2 * w->h_ntags + w->ncols;
    const char *p = w->hdr.p + (((nsz * sizeof(size_t)) + 15) & ~(size_t)15);
    j_elem(w);
    j_open(w, '{');
    if (sz[0]) {
        j_key(w, "name");
        qry__json_str(&w->buf, p, sz[0]);
    }
    p += sz[0];
    if (w->h_ntags) {
        j_key(w, "tags");
        j_open(w, '{');
        for (size_t i = 0; i < w->h_ntags; i++) {
            size_t kl = sz[1 + 2 * i], vl = sz[2 + 2 * i];
            j_keyn(w, p, kl);
            qry__json_str(&w->buf, p + kl, vl);
            p += kl + vl;
        }
        j_close(w, '}');
    }
    if (w->ncols) {
        j_key(w, "columns");
        j_open(w, '[');
        for (size_t i = 0; i < w->ncols; i++) {
            size_t cl = sz[1 + 2 * w->h_ntags + i];
            j_elem(w);
            qry__json_str(&w->buf, p, cl);
            p += cl;
        }
        j_close(w, ']');
    }
    w->values_open = 0;
}

static void json_series_close(qry_writer *w, int partial)
{
    if (w->values_open) j_close(w, ']');
    w->values_open = 0;
    if (partial) {
        j_key(w, "partial");
        qry_buf_puts(&w->buf, "true");
    }
    j_close(w, '}');
}

/* CSV: header line when the statement or the columns change; the row prefix. */
static void csv_series_open(qry_writer *w)
{
    const size_t *sz = (const size_t *)(const void *)w->hdr.p;
    size_t nsz = 1 + 2 * w->h_ntags + w->ncols;
    const char *base = w->hdr.p + (((nsz * sizeof(size_t)) + 15) & ~(size_t)15);
    const char *p = base + sz[0];
    for (size_t i = 0; i < w->h_ntags; i++)
        p += sz[1 + 2 * i] + sz[2 + 2 * i];
    const char *cols = p;
    size_t cols_len = 0;
    for (size_t i = 0; i < w->ncols; i++)
        cols_len += sz[1 + 2 * w->h_ntags + i];

    int same_cols = w->csv_stmt == w->stmt_id && w->csv_ncols == w->ncols &&
                    w->csv_cols.n == cols_len + w->ncols * sizeof(size_t);
    if (same_cols) {
        const size_t *old = (const size_t *)(const void *)w->csv_cols.p;
        const char *oc = w->csv_cols.p + w->ncols * sizeof(size_t);
        (void)oc;
        for (size_t i = 0; i < w->ncols && same_cols; i++)
            if (old[i] != sz[1 + 2 * w->h_ntags + i]) same_cols = 0;
        if (same_cols && memcmp(w->csv_cols.p + w->ncols * sizeof(size_t), cols, cols_len) != 0)
            same_cols = 0;
    }
    if (!same_cols) {
        if (w->csv_stmt >= 0) qry_buf_putc(&w->buf, '\n');
        w->csv_stmt = w->stmt_id;
        qry_buf_puts(&w->buf, "name,tags");
        const char *c = cols;
        w->csv_cols.n = 0;
        for (size_t i = 0; i < w->ncols; i++) {
            size_t cl = sz[1 + 2 * w->h_ntags + i];
            qry_buf_put(&w->csv_cols, &cl, sizeof cl);
        }
        qry_buf_put(&w->csv_cols, cols, cols_len);
        w->csv_ncols = w->ncols;
        for (size_t i = 0; i < w->ncols; i++) {
            size_t cl = sz[1 + 2 * w->h_ntags + i];
            qry_buf_putc(&w->buf, ',');
            csv_field(&w->buf, c, cl);
            c += cl;
        }
        qry_buf_putc(&w->buf, '\n');
    }
    /* prefix: name,tags, */
    qry_buf *pre = &w->csv_pre;
    pre->n = 0;
    csv_field(pre, base, sz[0]);
    qry_buf_putc(pre, ',');
    qry_buf tags = {0};
    p = base + sz[0];
    for (size_t i = 0; i < w->h_ntags; i++) {
        size_t kl = sz[1 + 2 * i], vl = sz[2 + 2 * i];
        if (i) qry_buf_putc(&tags, ',');
        csv_tag_escaped(&tags, p, kl);
        qry_buf_putc(&tags, '=');
        csv_tag_escaped(&tags, p + kl, vl);
        p += kl + vl;
    }
    csv_field(pre, tags.p, tags.n);
    qry_buf_fini(&tags);
}

/* ---- public events ------------------------------------------------------- */

void qry_writer_stmt_begin(qry_writer *w, int id, int mode, const qry_tz *tz)
{
    if (w->fmt == QRY_WFMT_CAPTURE) {
        w->in_stmt = 1;
        w->tz = tz;
        return;
    }
    /* Non-chunked JSON is handed over whole at the end: a non-finite float anywhere turns the
     * whole document into Go's encoder error, as in InfluxDB. */
    w->stmt_id = id;
    w->in_stmt = 1;
    w->stmt_is_select = mode;
    w->msgs.n = 0;
    w->stmt_has_series = 0;
    w->tz = tz;
    w->in_series = 0;
    if (w->fmt == QRY_WFMT_JSON && !w->chunked) result_open(w, id);
}

int qry_writer_series_begin(qry_writer *w, const char *name, size_t nlen, const qry_tagv *tags,
                            size_t ntags, const char *const *cols, const size_t *col_lens,
                            size_t ncols)
{
    if (w->fmt == QRY_WFMT_CAPTURE) {
        w->in_series = 1;
        w->ncols = ncols;
        return w->cap_series(w->cap_ctx, name, nlen, tags, ntags, cols, col_lens, ncols);
    }
    if (save_header(w, name, nlen, tags, ntags, cols, col_lens, ncols) != STRATA_OK)
        return STRATA_ENOMEM;
    w->in_series = 1;
    w->rows_in_part = 0;
    w->series_partial = 0;
    if (w->fmt == QRY_WFMT_CSV) {
        csv_series_open(w);
        w->stmt_has_series = 1;
        return w->buf.oom ? STRATA_ENOMEM : STRATA_OK;
    }
    if (w->chunked) {
        if (w->result_open && w->stmt_is_select) {
            result_close(w, w->stmt_is_select == QRY_STMT_MODE_SELECT);
            if (flush_upto(w, w->buf.n) != STRATA_OK)
                return w->buf.oom ? STRATA_ENOMEM : STRATA_EIO;
        }
        if (!w->result_open) result_open(w, w->stmt_id);
    }
    if (!w->result_has_series) {
        j_key(w, "series");
        j_open(w, '[');
        w->result_has_series = 1;
    }
    w->stmt_has_series = 1;
    json_series_open(w);
    return w->buf.oom ? STRATA_ENOMEM : STRATA_OK;
}

static void json_value(qry_writer *w, const qry_val *v, int col)
{
    char tmp[QRY_FMT_FLOAT_PLAIN_MAX];
    size_t n;
    switch (v->t) {
    case QRY_V_FLOAT:
        if (isnan(v->v.f)) {
            /* InfluxDB's emitter turns NaN into null */
            qry_buf_put(&w->buf, "null", 4);
            break;
        }
        if (isinf(v->v.f)) {
            /* Go's encoding/json refuses infinities: the whole document becomes the error */
            if (!w->nonfinite) {
                w->nonfinite = 1;
                snprintf(w->nonfinite_msg, sizeof w->nonfinite_msg, "json: unsupported value: %s",
                         v->v.f > 0 ? "+Inf" : "-Inf");
            }
            qry_buf_put(&w->buf, "null", 4);
            break;
        }
        n = qry__fmt_float_json(v->v.f, tmp);
        qry_buf_put(&w->buf, tmp, n);
        break;
    case QRY_V_INT:
        n = qry__fmt_i64(v->v.i, tmp);
        qry_buf_put(&w->buf, tmp, n);
        break;
    case QRY_V_UINT:
        n = qry__fmt_u64(v->v.u, tmp);
        qry_buf_put(&w->buf, tmp, n);
        break;
    case QRY_V_BOOL:
        qry_buf_puts(&w->buf, v->v.b ? "true" : "false");
        break;
    case QRY_V_STR:
        qry__json_str(&w->buf, v->v.s.p, v->v.s.n);
        break;
    case QRY_V_TIME:
        if (w->epoch_div && col == 0) {
            n = qry__fmt_i64(v->v.i / w->epoch_div, tmp);
            qry_buf_put(&w->buf, tmp, n);
        } else {
            tmp[0] = '"';
            n = qry__fmt_time(v->v.i, w->tz, tmp + 1);
            tmp[n + 1] = '"';
            qry_buf_put(&w->buf, tmp, n + 2);
        }
        break;
    default:
        qry_buf_put(&w->buf, "null", 4);
        break;
    }
}

static void csv_value(qry_writer *w, const qry_val *v, int col)
{
    char tmp[QRY_FMT_FLOAT_PLAIN_MAX];
    size_t n;
    switch (v->t) {
    case QRY_V_FLOAT:
        if (isnan(v->v.f)) break;
        n = qry__fmt_float_plain(v->v.f, tmp);
        qry_buf_put(&w->buf, tmp, n);
        break;
    case QRY_V_INT:
        n = qry__fmt_i64(v->v.i, tmp);
        qry_buf_put(&w->buf, tmp, n);
        break;
    case QRY_V_UINT:
        n = qry__fmt_u64(v->v.u, tmp);
        qry_buf_put(&w->buf, tmp, n);
        break;
    case QRY_V_BOOL:
        qry_buf_puts(&w->buf, v->v.b ? "true" : "false");
        break;
    case QRY_V_STR:
        csv_field(&w->buf, v->v.s.p, v->v.s.n);
        break;
    case QRY_V_TIME: {
        int64_t t = v->v.i;
        if (w->epoch_div && col == 0) t /= w->epoch_div;
        n = qry__fmt_i64(t, tmp);
        qry_buf_put(&w->buf, tmp, n);
        break;
    }
    default:
        break;
    }
}

int qry_writer_row(qry_writer *w, const qry_val *vals)
{
    if (w->fmt == QRY_WFMT_CAPTURE) return w->cap_row(w->cap_ctx, vals);
    if (w->fmt == QRY_WFMT_CSV) {
        qry_buf_put(&w->buf, w->csv_pre.p, w->csv_pre.n);
        for (size_t i = 0; i < w->ncols; i++) {
            qry_buf_putc(&w->buf, ',');
            csv_value(w, &vals[i], (int)i);
        }
        qry_buf_putc(&w->buf, '\n');
        w->rows_in_part++;
        return w->buf.oom ? STRATA_ENOMEM : STRATA_OK;
    }
    if (w->rows_in_part >= w->chunk_size) {
        if (w->chunked && w->stmt_is_select == QRY_STMT_MODE_SELECT) {
            json_series_close(w, 1);
            result_close(w, 1);
            if (flush_upto(w, w->buf.n) != STRATA_OK)
                return w->buf.oom ? STRATA_ENOMEM : STRATA_EIO;
            result_open(w, w->stmt_id);
            j_key(w, "series");
            j_open(w, '[');
            w->result_has_series = 1;
            json_series_open(w);
        } else if (w->stmt_is_select == QRY_STMT_MODE_SELECT) {
            w->series_partial = 1;
        }
        w->rows_in_part = 0;
    }
    if (!w->values_open) {
        j_key(w, "values");
        j_open(w, '[');
        w->values_open = 1;
    }
    j_elem(w);
    j_open(w, '[');
    for (size_t i = 0; i < w->ncols; i++) {
        j_elem(w);
        json_value(w, &vals[i], (int)i);
    }
    j_close(w, ']');
    w->rows_in_part++;
    return w->buf.oom ? STRATA_ENOMEM : STRATA_OK;
}

void qry_writer_stmt_message(qry_writer *w, const char *level, const char *text)
{
    if (w->fmt != QRY_WFMT_JSON) return;
    qry_buf_put(&w->msgs, level, strlen(level) + 1);
    qry_buf_put(&w->msgs, text, strlen(text) + 1);
}

void qry_writer_series_end(qry_writer *w)
{
    if (!w->in_series) return;
    w->in_series = 0;
    if (w->fmt == QRY_WFMT_CAPTURE) return;
    if (w->fmt == QRY_WFMT_JSON) json_series_close(w, w->series_partial);
}

int qry_writer_stmt_end(qry_writer *w)
{
    if (w->fmt == QRY_WFMT_CAPTURE) {
        w->in_stmt = 0;
        w->in_series = 0;
        return STRATA_OK;
    }
    if (!w->in_stmt) return STRATA_OK;
    if (w->in_series) qry_writer_series_end(w);
    w->in_stmt = 0;
    if (w->fmt == QRY_WFMT_CSV) return flush_upto(w, w->buf.n);
    if (w->chunked) {
        if (!w->result_open) result_open(w, w->stmt_id);
        result_close(w, 0);
        return flush_upto(w, w->buf.n);
    }
    result_close(w, 0);
    return w->buf.oom ? STRATA_ENOMEM : STRATA_OK;
}

int qry_writer_stmt_error(qry_writer *w, int id, const char *msg)
{
    if (w->fmt == QRY_WFMT_CSV) {
        /* InfluxDB's CSV writer skips results without series. */
        if (w->in_stmt) {
            w->in_stmt = 0;
            w->in_series = 0;
        }
        return flush_upto(w, w->buf.n);
    }
    if (w->chunked) {
        if (w->in_stmt && w->result_open) {
            /* an open result of this statement: close it as partial before the error */
            if (w->in_series) json_series_close(w, 0);
            result_close(w, 1);
        }
        w->in_stmt = 0;
        w->in_series = 0;
        result_open(w, id);
    } else {
        if (w->in_stmt || w->last_id == id) {
            /* Replace this statement's result. */
            w->buf.n = w->stmt_start;
            w->depth = 2;
            w->first[2] = (uint8_t)w->last_first;
            w->result_open = 0;
        }
        w->in_stmt = 0;
        w->in_series = 0;
        w->values_open = 0;
        result_open(w, id);
    }
    w->msgs.n = 0; /* an error result carries no messages */
    j_key(w, "error");
    qry__json_str(&w->buf, msg, strlen(msg));
    result_close(w, 0);
    if (w->chunked) return flush_upto(w, w->buf.n);
    return w->buf.oom ? STRATA_ENOMEM : STRATA_OK;
}

int qry_writer_request_error(qry_writer *w, const char *msg)
{
    w->buf.n = 0;
    w->depth = 0;
    w->doc_open = 0;
    w->result_open = 0;
    if (w->fmt == QRY_WFMT_CSV) {
        qry_buf_puts(&w->buf, "error\n");
        csv_field(&w->buf, msg, strlen(msg));
        qry_buf_putc(&w->buf, '\n');
    } else {
        j_open(w, '{');
        j_key(w, "error");
        qry__json_str(&w->buf, msg, strlen(msg));
        j_close(w, '}');
        qry_buf_putc(&w->buf, '\n');
    }
    w->finished = 1;
    return flush_upto(w, w->buf.n);
}

int qry_writer_finish(qry_writer *w)
{
    if (w->finished) return w->failed ? STRATA_EIO : STRATA_OK;
    w->finished = 1;
    if (w->fmt == QRY_WFMT_JSON && !w->chunked) {
        if (!w->doc_open) {
            /* no statement at all: "results" is omitted (omitempty) */
            w->depth = 0;
            j_open(w, '{');
            j_close(w, '}');
            qry_buf_putc(&w->buf, '\n');
        } else {
            doc_close(w);
        }
        if (w->nonfinite) {
            w->buf.n = 0;
            qry_buf_puts(&w->buf, w->nonfinite_msg);
            qry_buf_putc(&w->buf, '\n');
        }
    }
    int rc = flush_upto(w, w->buf.n);
    return w->buf.oom ? STRATA_ENOMEM : rc;
}
