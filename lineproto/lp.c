/*
 * lineproto/lp.c: the line-protocol grammar (see lp.h for the contract).
 *
 * The structure mirrors InfluxDB 1.6.7's models/points.go closely, because
 * compatibility means reproducing its exact acceptance and error order:
 *
 *   split      a body into lines; a '\n' inside a quoted field value does
 *              not end a line, and a backslash skips the next byte;
 *   key        measurement and tags, where a byte is escaped when the byte
 *              before it is a backslash ("prev-byte" rule);
 *   fields     scanned once to validate (a backslash skips the next byte),
 *              then split into key/value pairs by a second rule (first '='
 *              not preceded by a backslash; values end at an unquoted ',').
 *              InfluxDB really does both; they disagree only when the
 *              field block holds a backslash or an odd '=' layout, so the
 *              second split runs only then and the common line is parsed
 *              in one pass;
 *   timestamp  optional integer, scaled by the precision, range-checked.
 *
 * Invariants: every index stays inside [0, n) of the current line; nothing
 * is allocated per line once the tag, field and scratch arrays have grown
 * to the largest line seen (rare exceptions: an error reason longer than
 * the error buffer, and a float literal of more than 127 bytes); a bad line
 * never stops the parser.
 */
#include "lineproto/lp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "lineproto/lp_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Byte classes for the scanning loops. */
enum {
    C_COMMA = 1,
    C_SPACE = 2,
    C_EQ = 4,
    C_BSL = 8,
    C_QUOTE = 16,
};

static const unsigned char lp_cls[256] = {
    [','] = C_COMMA, [' '] = C_SPACE, ['='] = C_EQ, ['\\'] = C_BSL, ['"'] = C_QUOTE,
};

/* Escape sets of the unescaping rules (InfluxDB's pkg/escape and models). */
enum {
    ESC_TAG,    /* tag keys and values: , space = */
    ESC_NAME,   /* measurement and field keys: , " space = */
    ESC_STRING, /* string field values: \ " */
};

#define LP_TIME_RANGE_ERR "time outside range -9223372036854775806 - 9223372036854775806"
#define LP_MIN_SCRATCH 4096u
#define LP_TAG_CACHE_MAX 64u
#define LP_TAG_CACHE_BYTES 2048u
#define LP_MIN_ERRBUF 256u

struct lp_parser {
    lp_options opt;
    const char *buf;
    size_t len;
    size_t pos;
    uint64_t lineno;     /* number of the line starting at pos */
    int64_t default_raw; /* as given to reset */
    int64_t default_ts;  /* truncated to the precision */

    lp_tag *tags;
    uint32_t tags_cap;
    lp_field *fields;
    uint32_t fields_cap;

    char *scratch; /* unescaped names and strings of the current line */
    size_t scratch_cap;
    size_t scratch_used;

    /* Tag order cache: the previous good line's tag keys (copied, in line
     * order) and the permutation that sorted them. Telegraf and TSBS repeat
     * one key order per measurement, so most lines reuse the order instead
     * of sorting. tc_n == 0: empty. */
    uint32_t tc_n;
    uint16_t tc_perm[LP_TAG_CACHE_MAX];
    uint16_t tc_len[LP_TAG_CACHE_MAX];
    char tc_keys[LP_TAG_CACHE_BYTES];
    lp_tag tc_tmp[LP_TAG_CACHE_MAX];

    const char *reason; /* static text or errbuf */
    char *errbuf;
    size_t errbuf_cap;
};

/* ------------------------------------------------------------------ */
/* Options, lifetime                                                   */

void lp_options_init(lp_options *opt)
{
    opt->precision = LP_PREC_NS;
    opt->flags = LP_FLAGS_DEFAULT;
    opt->max_tags = LP_DEFAULT_MAX_TAGS;
    opt->max_fields = LP_DEFAULT_MAX_FIELDS;
    opt->max_line_bytes = LP_DEFAULT_MAX_LINE_BYTES;
}

int lp_precision_parse(const char *s, size_t len, lp_precision *out)
{
    static const struct {
        const char *name;
        lp_precision prec;
    } names[] = {
        {"", LP_PREC_NS},   {"n", LP_PREC_NS}, {"ns", LP_PREC_NS}, {"u", LP_PREC_US},
        {"ms", LP_PREC_MS}, {"s", LP_PREC_S},  {"m", LP_PREC_M},   {"h", LP_PREC_H},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == len && memcmp(names[i].name, s, len) == 0) {
            *out = names[i].prec;
            return STRATA_OK;
        }
    }
    return STRATA_EINVAL;
}

static int64_t prec_mult(lp_precision prec)
{
    switch (prec) {
    case LP_PREC_US:
        return 1000;
    case LP_PREC_MS:
        return 1000000;
    case LP_PREC_S:
        return 1000000000;
    case LP_PREC_M:
        return 60LL * 1000000000;
    case LP_PREC_H:
        return 3600LL * 1000000000;
    default:
        return 1;
    }
}

int lp_parser_new(const lp_options *opt, lp_parser **out)
{
    lp_parser *p = calloc(1, sizeof *p);
    if (!p) return STRATA_ENOMEM;
    if (opt)
        p->opt = *opt;
    else
        lp_options_init(&p->opt);
    if ((unsigned)p->opt.precision > LP_PREC_H) {
        free(p);
        return STRATA_EINVAL;
    }
    if (!p->opt.max_tags) p->opt.max_tags = LP_DEFAULT_MAX_TAGS;
    if (!p->opt.max_fields) p->opt.max_fields = LP_DEFAULT_MAX_FIELDS;
    if (!p->opt.max_line_bytes) p->opt.max_line_bytes = LP_DEFAULT_MAX_LINE_BYTES;
    p->tags_cap = p->opt.max_tags < 32 ? p->opt.max_tags : 32;
    p->fields_cap = p->opt.max_fields < 32 ? p->opt.max_fields : 32;
    p->tags = malloc(p->tags_cap * sizeof *p->tags);
    p->fields = malloc(p->fields_cap * sizeof *p->fields);
    p->errbuf_cap = LP_MIN_ERRBUF;
    p->errbuf = malloc(p->errbuf_cap);
    if (!p->tags || !p->fields || !p->errbuf) {
        lp_parser_free(p);
        return STRATA_ENOMEM;
    }
    p->reason = "";
    *out = p;
    return STRATA_OK;
}

void lp_parser_free(lp_parser *p)
{
    if (!p) return;
    free(p->tags);
    free(p->fields);
    free(p->scratch);
    free(p->errbuf);
    free(p);
}

/* Go's Time.Truncate for times after year 1: floor to a multiple of d. */
static int64_t truncate_ts(int64_t t, int64_t d)
{
    if (d <= 1) return t;
    int64_t r = t % d;
    if (r < 0) r += d;
    return t - r;
}

void lp_parser_reset(lp_parser *p, const char *buf, size_t len, int64_t default_ts_ns)
{
    p->buf = buf;
    p->len = buf ? len : 0;
    p->pos = 0;
    p->lineno = 1;
    p->default_raw = default_ts_ns;
    p->default_ts = truncate_ts(default_ts_ns, prec_mult(p->opt.precision));
    p->reason = "";
}

void lp_parser_set_precision(lp_parser *p, lp_precision prec)
{
    if ((unsigned)prec <= LP_PREC_H) {
        p->opt.precision = prec;
        p->default_ts = truncate_ts(p->default_raw, prec_mult(prec));
    }
}

const char *lp_parser_error(const lp_parser *p)
{
    return p->reason;
}

size_t lp_parser_format_error(const lp_parser *p, const lp_point *pt, char *dst, size_t cap)
{
    /* Copied by hand: the line may hold NUL bytes, which printf would stop at. */
    static const char head[] = "unable to parse '", mid[] = "': ";
    const char *parts[4] = {head, pt->line.p ? pt->line.p : "", mid, p->reason};
    size_t lens[4] = {sizeof head - 1, pt->line.p ? pt->line.len : 0, sizeof mid - 1,
                      strlen(p->reason)};
    size_t total = 0;
    for (int k = 0; k < 4; k++) {
        if (cap && total < cap - 1) {
            size_t room = cap - 1 - total;
            memcpy(dst + total, parts[k], lens[k] < room ? lens[k] : room);
        }
        total += lens[k];
    }
    if (cap) dst[total < cap - 1 ? total : cap - 1] = '\0';
    return total;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static int fail(lp_parser *p, int code, const char *reason)
{
    p->reason = reason;
    return code;
}

/* Formatted reason; grows errbuf on this (rare) path so long numbers are
 * quoted whole, as InfluxDB does. */
__attribute__((format(printf, 3, 4))) static int failf(lp_parser *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->errbuf, p->errbuf_cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= p->errbuf_cap) {
        char *nb = realloc(p->errbuf, (size_t)n + 1);
        if (nb) {
            p->errbuf = nb;
            p->errbuf_cap = (size_t)n + 1;
            va_start(ap, fmt);
            vsnprintf(p->errbuf, p->errbuf_cap, fmt, ap);
            va_end(ap);
        }
    }
    p->reason = n < 0 ? "invalid line" : p->errbuf;
    return code;
}

/* ------------------------------------------------------------------ */
/* Growable arrays                                                     */

static int grow_tags(lp_parser *p)
{
    if (p->tags_cap >= p->opt.max_tags)
        return failf(p, STRATA_ELIMIT, "too many tags: more than max-tags %u", p->opt.max_tags);
    uint32_t cap = p->tags_cap * 2 > p->opt.max_tags ? p->opt.max_tags : p->tags_cap * 2;
    lp_tag *t = realloc(p->tags, cap * sizeof *t);
    if (!t) return fail(p, STRATA_ENOMEM, "out of memory for tags");
    p->tags = t;
    p->tags_cap = cap;
    return STRATA_OK;
}

static int grow_fields(lp_parser *p)
{
    if (p->fields_cap >= p->opt.max_fields)
        return failf(p, STRATA_ELIMIT, "too many fields: more than max-fields %u",
                     p->opt.max_fields);
    uint32_t cap = p->fields_cap * 2 > p->opt.max_fields ? p->opt.max_fields : p->fields_cap * 2;
    lp_field *f = realloc(p->fields, cap * sizeof *f);
    if (!f) return fail(p, STRATA_ENOMEM, "out of memory for fields");
    p->fields = f;
    p->fields_cap = cap;
    return STRATA_OK;
}

static int ensure_scratch(lp_parser *p, size_t n)
{
    if (p->scratch_cap >= n) return STRATA_OK;
    size_t cap = p->scratch_cap ? p->scratch_cap : LP_MIN_SCRATCH;
    while (cap < n)
        cap *= 2;
    char *s = realloc(p->scratch, cap);
    if (!s) return fail(p, STRATA_ENOMEM, "out of memory for unescaping");
    p->scratch = s;
    p->scratch_cap = cap;
    return STRATA_OK;
}

/* ------------------------------------------------------------------ */
/* Unescaping                                                          */

static int in_esc_set(int set, char c)
{
    switch (set) {
    case ESC_TAG:
        return c == ',' || c == ' ' || c == '=';
    case ESC_NAME:
        return c == ',' || c == ' ' || c == '=' || c == '"';
    default:
        return c == '\\' || c == '"';
    }
}

/*
 * Slice of src with set's escapes removed: src itself when it holds no
 * backslash, else a copy in scratch (which has room for the whole line, and
 * the unescaped text of a line is never longer than the line).
 */
static lp_slice unescape(lp_parser *p, const char *src, size_t n, int set)
{
    lp_slice out = {src, (uint32_t)n};
    if (!memchr(src, '\\', n)) return out;
    char *d = p->scratch + p->scratch_used;
    size_t k = 0, o = 0;
    while (k < n) {
        if (src[k] == '\\' && k + 1 < n && in_esc_set(set, src[k + 1])) {
            d[o++] = src[k + 1];
            k += 2;
        } else {
            d[o++] = src[k++];
        }
    }
    p->scratch_used += o;
    out.p = d;
    out.len = (uint32_t)o;
    return out;
}

/* ------------------------------------------------------------------ */
/* Line splitting                                                      */

/*
 * InfluxDB's scanLine: from pos, the end of the line (index of the ending
 * '\n', or len). A backslash skips the next byte when two more bytes follow;
 * after the first space, '"' toggles quoting once a field's '=' was seen,
 * and a quoted '\n' does not end the line.
 */
static size_t scan_line_exact(const char *buf, size_t len, size_t i)
{
    int quoted = 0, fields = 0;
    uint64_t equals = 0, commas = 0;
    while (i < len) {
        char c = buf[i];
        if (c == '\\' && i + 2 < len) {
            i += 2;
            continue;
        }
        if (c == ' ') fields = 1;
        if (fields) {
            if (!quoted && c == '=') {
                i++;
                equals++;
                continue;
            } else if (!quoted && c == ',') {
                i++;
                commas++;
                continue;
            } else if (c == '"' && equals > commas) {
                i++;
                quoted = !quoted;
                continue;
            }
        }
        if (c == '\n' && !quoted) break;
        i++;
    }
    return i;
}

/*
 * Index of the first byte at or after i that is one of , space = \ " (every
 * byte the scanning loops stop at), or n. Sixteen bytes at a time where the
 * machine has SSE2; names and values are mostly short, so the win is in
 * skipping the per-byte table lookups.
 */
static inline __attribute__((always_inline)) size_t find_special(const char *b, size_t n, size_t i)
{
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), space = _mm_set1_epi8(' '), eq = _mm_set1_epi8('='),
                  bsl = _mm_set1_epi8('\\'), quote = _mm_set1_epi8('"');
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i m =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, space)),
                         _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, eq), _mm_cmpeq_epi8(v, bsl)),
                                      _mm_cmpeq_epi8(v, quote)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i < n && !lp_cls[(unsigned char)b[i]])
        i++;
    return i;
}

/*
 * End of the line starting at i if it holds no '"' and no backslash: the
 * index of its '\n' (or len). Sets *special and returns early at the first
 * '"' or backslash, after which the exact, quote-aware split must be used.
 */
static inline size_t find_line_end(const char *b, size_t len, size_t i, int *special)
{
    *special = 0;
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n'), bsl = _mm_set1_epi8('\\'), quote = _mm_set1_epi8('"');
    while (i + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, nl),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, bsl), _mm_cmpeq_epi8(v, quote)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
            i += (size_t)__builtin_ctz(mask);
            *special = b[i] != '\n';
            return i;
        }
        i += 16;
    }
#endif
    for (; i < len; i++) {
        if (b[i] == '\n') return i;
        if (b[i] == '"' || b[i] == '\\') {
            *special = 1;
            return i;
        }
    }
    return len;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\0';
}

static size_t skip_ws(const char *b, size_t n, size_t i)
{
    while (i < n && is_ws(b[i]))
        i++;
    return i;
}

/*
 * First index >= i of a byte in mask that is not escaped, or n. A byte is
 * escaped when the byte before it is a backslash, even an escaped one
 * (InfluxDB's rule for measurements and tags). b[i-1] must not be a
 * backslash that escapes b[i]. Sets *bsl when a backslash was passed.
 */
static inline __attribute__((always_inline)) size_t scan_unesc(const char *b, size_t n, size_t i,
                                                               unsigned mask, int *bsl)
{
    while (i < n) {
        i = find_special(b, n, i);
        if (i >= n) break;
        unsigned c = lp_cls[(unsigned char)b[i]];
        if (!(c & (mask | C_BSL))) {
            i++;
            continue;
        }
        if (c & C_BSL) {
            *bsl = 1;
            i++;
            while (i < n && b[i] == '\\')
                i++;
            i++; /* the escaped byte */
            continue;
        }
        return i;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Tags                                                                */

static inline int tag_cmp(const lp_tag *a, const lp_tag *b)
{
    /* Keys are never empty; most differ in their first byte. */
    unsigned char x = (unsigned char)a->key.p[0], y = (unsigned char)b->key.p[0];
    if (x != y) return x < y ? -1 : 1;
    uint32_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = memcmp(a->key.p, b->key.p, n);
    if (c) return c;
    return a->key.len < b->key.len ? -1 : a->key.len > b->key.len;
}

static void sift_down(lp_tag *t, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && tag_cmp(&t[child], &t[child + 1]) < 0) child++;
        if (tag_cmp(&t[root], &t[child]) >= 0) return;
        lp_tag tmp = t[root];
        t[root] = t[child];
        t[child] = tmp;
        root = child;
    }
}

/* Sort tags by key without allocating: insertion sort for the usual short
 * sets, heapsort for long ones so hostile lines stay O(n log n). */
static void sort_tags(lp_tag *t, size_t n)
{
    size_t i;
    for (i = 1; i < n; i++) {
        if (tag_cmp(&t[i - 1], &t[i]) > 0) break;
    }
    if (i >= n) return;
    if (n <= 24) {
        for (i = 1; i < n; i++) {
            lp_tag x = t[i];
            size_t j = i;
            while (j > 0 && tag_cmp(&t[j - 1], &x) > 0) {
                t[j] = t[j - 1];
                j--;
            }
            t[j] = x;
        }
        return;
    }
    for (i = n / 2; i-- > 0;)
        sift_down(t, i, n);
    for (i = n; i-- > 1;) {
        lp_tag tmp = t[0];
        t[0] = t[i];
        t[i] = tmp;
        sift_down(t, 0, i);
    }
}

/* Put the tags, sorted, in tc_tmp if their keys equal the cached ones. */
static int tags_from_cache(lp_parser *p, uint32_t nt)
{
    if (nt != p->tc_n) return 0;
    size_t off = 0;
    for (uint32_t t = 0; t < nt; t++) {
        uint32_t len = p->tags[t].key.len;
        if (len != p->tc_len[t] || memcmp(p->tags[t].key.p, p->tc_keys + off, len) != 0) return 0;
        off += len;
    }
    /* The sorted set goes to tc_tmp, which the point then uses. */
    for (uint32_t t = 0; t < nt; t++)
        p->tc_tmp[t] = p->tags[p->tc_perm[t]];
    return 1;
}

/*
 * Sort the tags, reject duplicate keys, and remember the order for the
 * next line when the key set is small enough to cache.
 */
static int sort_and_cache_tags(lp_parser *p, uint32_t nt)
{
    size_t bytes = 0;
    int cache = nt <= LP_TAG_CACHE_MAX;
    for (uint32_t t = 0; cache && t < nt; t++)
        bytes += p->tags[t].key.len;
    cache = cache && bytes <= LP_TAG_CACHE_BYTES;
    p->tc_n = 0;
    if (cache) memcpy(p->tc_tmp, p->tags, nt * sizeof *p->tags);
    sort_tags(p->tags, nt);
    for (uint32_t t = 1; t < nt; t++) {
        if (tag_cmp(&p->tags[t - 1], &p->tags[t]) == 0)
            return fail(p, STRATA_EPARSE, "duplicate tags");
    }
    if (!cache) return STRATA_OK;
    size_t off = 0;
    for (uint32_t t = 0; t < nt; t++) {
        memcpy(p->tc_keys + off, p->tc_tmp[t].key.p, p->tc_tmp[t].key.len);
        p->tc_len[t] = (uint16_t)p->tc_tmp[t].key.len;
        off += p->tc_tmp[t].key.len;
        /* Keys are unique now, so their addresses identify them. */
        for (uint32_t j = 0; j < nt; j++) {
            if (p->tags[j].key.p == p->tc_tmp[t].key.p) p->tc_perm[j] = (uint16_t)t;
        }
    }
    p->tc_n = nt;
    return STRATA_OK;
}

/* ------------------------------------------------------------------ */
/* Field values                                                        */

static const double lp_pow10d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint64_t lp_pow10u[9] = {1,      10,      100,      1000,     10000,
                                      100000, 1000000, 10000000, 100000000};

/*
 * How many of the 8 bytes at s are leading decimal digits, with their value
 * in *val: eight bytes at a time instead of one (SWAR). Runs shorter than
 * four digits report 0 and are left to the byte loop. The caller
 * guarantees 8 readable bytes. Little-endian machines only; others
 * report 0 and take the byte loop.
 */
static inline unsigned swar_digits(const char *s, uint64_t *val)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, s, 8);
    uint64_t a = v ^ 0x3030303030303030ULL; /* digits become 0..9 */
    /* High bit of each byte that is not 0..9, without carries between bytes. */
    uint64_t bad =
        (((a & 0x7F7F7F7F7F7F7F7FULL) + 0x7676767676767676ULL) | a) & 0x8080808080808080ULL;
    unsigned n = bad ? (unsigned)__builtin_ctzll(bad) >> 3 : 8;
    if (n == 0) return 0;
    a <<= 8 * (8 - n); /* the n digits to the top, zeros (leading) below */
    a = (a * 10 + (a >> 8)) & 0x00FF00FF00FF00FFULL;
    a = (a * 100 + (a >> 16)) & 0x0000FFFF0000FFFFULL;
    a = (a * 10000 + (a >> 32)) & 0xFFFFFFFFULL;
    *val = a;
    return n;
#else
    (void)s;
    *val = 0;
    return 0;
#endif
}

/*
 * Append the decimal digits at b[k..] to *m while *nd < 19 (so *m cannot
 * overflow): eight at a time where possible. @return the index after them.
 */
static inline size_t digit_run(const char *b, size_t n, size_t k, uint64_t *m, int *nd)
{
    while (k + 8 <= n && *nd + 8 <= 19) {
        uint64_t v;
        unsigned c = swar_digits(b + k, &v);
        if (c) {
            *m = *m * lp_pow10u[c] + v;
            *nd += (int)c;
            k += c;
        }
        if (c < 8) return k;
    }
    while (k < n && *nd < 19) {
        unsigned d = (unsigned char)b[k] - '0';
        if (d > 9) break;
        *m = *m * 10 + d;
        ++*nd;
        k++;
    }
    return k;
}

static int is_numeric_start(char c)
{
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'N' || c == 'n';
}

/*
 * InfluxDB's scanNumber from b[i] (the byte after '='), plus the
 * conversion of the value into f. *end gets the index of the ',' or ' '
 * (or n) that ends the number.
 */
static int scan_number(lp_parser *p, const char *b, size_t n, size_t i, size_t *end, lp_field *f)
{
    size_t start = i;
    int isint = 0, isuint = 0, decimal = 0, sci = 0;

    /* Fast path for the usual shapes, [-]d+[.d*] or [-]d+i, converted while
     * scanned: at most 19 digits, ended by ',', ' ' or the line end. Any
     * other shape falls through to the general scan below. */
    {
        size_t k = i;
        int neg = b[k] == '-';
        k += (size_t)neg;
        uint64_t m = 0;
        int nd = 0, frac = 0, dot = 0;
        k = digit_run(b, n, k, &m, &nd);
        if (k < n && b[k] == '.') {
            int before = nd;
            dot = 1;
            k = digit_run(b, n, k + 1, &m, &nd);
            frac = nd - before;
        }
        if (nd > 0) {
            int term = k >= n || b[k] == ',' || b[k] == ' ';
            double d;
            if (term && m < (1ull << 53) && frac <= 22) {
                /* Exact: both operands are exact doubles (Clinger). */
                d = (double)m / lp_pow10d[frac];
                f->type = LP_FLOAT;
                f->v.f = neg ? -d : d;
                *end = k;
                return STRATA_OK;
            }
            if (term && m != 0 && lp__eisel_lemire(m, -frac, &d)) {
                f->type = LP_FLOAT;
                f->v.f = neg ? -d : d;
                *end = k;
                return STRATA_OK;
            }
            if (term && lp__f64_from_decimal(m, -frac, &d)) {
                f->type = LP_FLOAT;
                f->v.f = neg ? -d : d;
                *end = k;
                return STRATA_OK;
            }
            if (!dot && k < n && b[k] == 'i' &&
                (k + 1 >= n || b[k + 1] == ',' || b[k + 1] == ' ') && nd < 19) {
                f->type = LP_INT;
                f->v.i = neg ? -(int64_t)m : (int64_t)m;
                *end = k + 1;
                return STRATA_OK;
            }
        }
    }

    if (b[i] == '-') {
        i++;
        if (i == n) return fail(p, STRATA_EPARSE, "invalid number");
    }
    for (; i < n; i++) {
        char c = b[i];
        if (c >= '0' && c <= '9') continue;
        if (c == ',' || c == ' ') break;
        if (c == 'i' && i > start && !(isint || isuint)) {
            isint = 1;
            continue;
        }
        if (c == 'u' && i > start && !(isint || isuint)) {
            isuint = 1;
            continue;
        }
        if (c == '.') {
            if (decimal) return fail(p, STRATA_EPARSE, "invalid number");
            decimal = 1;
            continue;
        }
        if (i > start && (c == 'e' || c == 'E')) {
            sci = 1;
            continue;
        }
        if ((c == '+' || c == '-') && (b[i - 1] == 'e' || b[i - 1] == 'E')) continue;
        return fail(p, STRATA_EPARSE, "invalid number");
    }
    *end = i;
    if ((isint || isuint) && (decimal || sci)) return fail(p, STRATA_EPARSE, "invalid number");
    size_t digits = (i - start) - (size_t)isint - (size_t)decimal - (b[start] == '-');
    if (digits == 0) return fail(p, STRATA_EPARSE, "invalid number");
    const char *tok = b + start;
    size_t len = i - start;
    if (isint) {
        if (b[i - 1] != 'i') return fail(p, STRATA_EPARSE, "invalid number");
        f->type = LP_INT;
        if (lp__parse_i64(tok, len - 1, &f->v.i) != LP__NUM_OK)
            return failf(p, STRATA_EPARSE,
                         "unable to parse integer %.*s: strconv.ParseInt: parsing \"%.*s\": "
                         "value out of range",
                         (int)(len - 1), tok, (int)(len - 1), tok);
        return STRATA_OK;
    }
    if (isuint) {
        if (!(p->opt.flags & LP_ACCEPT_UINT) || b[i - 1] != 'u' || b[start] == '-')
            return fail(p, STRATA_EPARSE, "invalid number");
        f->type = LP_UINT;
        if (lp__parse_u64(tok, len - 1, &f->v.u) != LP__NUM_OK)
            return failf(p, STRATA_EPARSE,
                         "unable to parse unsigned %.*s: strconv.ParseUint: parsing \"%.*s\": "
                         "value out of range",
                         (int)(len - 1), tok, (int)(len - 1), tok);
        return STRATA_OK;
    }
    f->type = LP_FLOAT;
    if (lp__parse_f64(tok, len, &f->v.f) != LP__NUM_OK)
        return fail(p, STRATA_EPARSE, "invalid float");
    return STRATA_OK;
}

/* InfluxDB's scanBoolean from b[i]; *end as for scan_number. */
static int scan_boolean(lp_parser *p, const char *b, size_t n, size_t i, size_t *end, lp_field *f)
{
    size_t start = i;
    char c0 = b[i];
    if (c0 != 't' && c0 != 'f' && c0 != 'T' && c0 != 'F')
        return fail(p, STRATA_EPARSE, "invalid boolean");
    for (i++; i < n && b[i] != ',' && b[i] != ' '; i++)
        ;
    *end = i;
    size_t len = i - start;
    const char *s = b + start;
    f->type = LP_BOOL;
    f->v.b = c0 == 't' || c0 == 'T';
    if (len == 1) return STRATA_OK;
    int ok = 0;
    if (len == 4)
        ok = memcmp(s, "true", 4) == 0 || memcmp(s, "TRUE", 4) == 0 || memcmp(s, "True", 4) == 0;
    else if (len == 5)
        ok = memcmp(s, "false", 5) == 0 || memcmp(s, "FALSE", 5) == 0 || memcmp(s, "False", 5) == 0;
    return ok ? STRATA_OK : fail(p, STRATA_EPARSE, "invalid boolean");
}

/*
 * Type and convert a field value the way InfluxDB's field iterator does
 * (used after the second split, when the block held a backslash or an odd
 * layout). InfluxDB would fail the whole request with 500 here; we reject
 * the line instead.
 */
static int convert_value(lp_parser *p, const char *v, size_t n, lp_field *f)
{
    if (n == 0) return fail(p, STRATA_EPARSE, "invalid field format");
    char c = v[0];
    if (c == '"') {
        if (n < 2) return fail(p, STRATA_EPARSE, "unbalanced quotes");
        f->type = LP_STRING;
        f->v.s = unescape(p, v + 1, n - 2, ESC_STRING);
        return STRATA_OK;
    }
    if (strchr("0123456789-.nNiIu", c)) {
        char last = v[n - 1];
        if (last == 'i') {
            f->type = LP_INT;
            if (lp__parse_i64(v, n - 1, &f->v.i) == LP__NUM_OK) return STRATA_OK;
            return failf(p, STRATA_EPARSE, "unable to parse integer value \"%.*s\"", (int)(n - 1),
                         v);
        }
        if (last == 'u' && (p->opt.flags & LP_ACCEPT_UINT)) {
            f->type = LP_UINT;
            if (lp__parse_u64(v, n - 1, &f->v.u) == LP__NUM_OK) return STRATA_OK;
            return failf(p, STRATA_EPARSE, "unable to parse unsigned value \"%.*s\"", (int)(n - 1),
                         v);
        }
        f->type = LP_FLOAT;
        if (lp__parse_f64(v, n, &f->v.f) == LP__NUM_OK) return STRATA_OK;
        return failf(p, STRATA_EPARSE, "unable to parse floating point value \"%.*s\"", (int)n, v);
    }
    /* Go's strconv.ParseBool. */
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const fl[] = {"0", "f", "F", "FALSE", "false", "False"};
    f->type = LP_BOOL;
    for (size_t k = 0; k < 6; k++) {
        if (strlen(t[k]) == n && memcmp(t[k], v, n) == 0) {
            f->v.b = 1;
            return STRATA_OK;
        }
        if (strlen(fl[k]) == n && memcmp(fl[k], v, n) == 0) {
            f->v.b = 0;
            return STRATA_OK;
        }
    }
    return failf(p, STRATA_EPARSE, "unable to parse bool value \"%.*s\"", (int)n, v);
}

/*
 * The second split of a field block [fs, fe) (InfluxDB's walkFields and
 * field iterator): keys end at the first '=' not preceded by a backslash,
 * values at a ',' outside quotes (only \" and \\ escape there). First a
 * validating walk (key length, "invalid value"), as InfluxDB does it before
 * anything else, then the extraction.
 */
static int split_fields_exact(lp_parser *p, const char *b, size_t fs, size_t fe, size_t key_len,
                              uint32_t *nfields)
{
    for (int pass = 0; pass < 2; pass++) {
        uint32_t nf = 0;
        size_t j = fs;
        while (j < fe) {
            size_t k = j;
            while (k < fe && !(b[k] == '=' && (k == j || b[k - 1] != '\\')))
                k++;
            if (k + 2 > fe)
                return failf(p, STRATA_EPARSE, "invalid value: field-key=%.*s", (int)(k - j),
                             b + j);
            if (key_len + 4 + (k - j) > LP_MAX_KEY_BYTES)
                return failf(p, STRATA_EPARSE, "max key length exceeded: %zu > %u",
                             key_len + 4 + (k - j), LP_MAX_KEY_BYTES);
            size_t v = k + 1, m = v;
            int quoted = 0;
            while (m < fe) {
                if (b[m] == '\\' && m + 1 < fe && (b[m + 1] == '"' || b[m + 1] == '\\')) {
                    m += 2;
                    continue;
                }
                if (b[m] == '"') {
                    quoted = !quoted;
                    m++;
                    continue;
                }
                if (b[m] == ',' && !quoted) break;
                m++;
            }
            if (pass == 1) {
                if (nf >= p->fields_cap) {
                    int rc = grow_fields(p);
                    if (rc) return rc;
                }
                lp_field *f = &p->fields[nf];
                f->key = unescape(p, b + j, k - j, ESC_NAME);
                int rc = convert_value(p, b + v, m - v, f);
                if (rc) return rc;
            }
            nf++;
            j = m < fe ? m + 1 : m;
        }
        *nfields = nf;
    }
    return STRATA_OK;
}

/* ------------------------------------------------------------------ */
/* One line                                                            */

/* Parse the line b[0..n) (leading whitespace already skipped, n > 0). */
static int parse_line(lp_parser *p, const char *b, size_t n, lp_point *pt)
{
    int bsl = 0;
    size_t i;

    /* Measurement. */
    if (b[0] == ',') return fail(p, STRATA_EPARSE, "missing measurement");
    i = scan_unesc(b, n, 0, C_COMMA | C_SPACE, &bsl);
    if (i >= n) return fail(p, STRATA_EPARSE, "missing fields");
    size_t meas_end = i;
    int meas_bsl = bsl;

    /* Tags. */
    uint32_t nt = 0;
    int tags_bsl = 0;
    if (b[i] == ',') {
        i++;
        for (;;) {
            size_t ks = i;
            if (i >= n || b[i] == ' ' || b[i] == ',' || b[i] == '=')
                return fail(p, STRATA_EPARSE, "missing tag key");
            i = scan_unesc(b, n, i, C_COMMA | C_SPACE | C_EQ, &tags_bsl);
            if (i >= n || b[i] != '=') return fail(p, STRATA_EPARSE, "missing tag value");
            size_t ke = i++;
            size_t vs = i;
            if (i >= n || b[i] == ',' || b[i] == ' ')
                return fail(p, STRATA_EPARSE, "missing tag value");
            if (b[i] == '=') i++; /* a leading '=' is part of the value */
            i = scan_unesc(b, n, i, C_COMMA | C_SPACE | C_EQ, &tags_bsl);
            if (i >= n) return fail(p, STRATA_EPARSE, "missing fields");
            if (b[i] == '=') return fail(p, STRATA_EPARSE, "invalid tag format");
            if (nt >= p->tags_cap) {
                int rc = grow_tags(p);
                if (rc) return rc;
            }
            p->tags[nt].key.p = b + ks;
            p->tags[nt].key.len = (uint32_t)(ke - ks);
            p->tags[nt].val.p = b + vs;
            p->tags[nt].val.len = (uint32_t)(i - vs);
            nt++;
            if (b[i] == ' ') break;
            i++;
        }
    }
    size_t key_len = i; /* measurement and tags, as written */

    if (tags_bsl) {
        for (uint32_t t = 0; t < nt; t++) {
            p->tags[t].key = unescape(p, p->tags[t].key.p, p->tags[t].key.len, ESC_TAG);
            p->tags[t].val = unescape(p, p->tags[t].val.p, p->tags[t].val.len, ESC_TAG);
        }
    }
    lp_tag *tags = p->tags;
    if (nt > 1 && tags_from_cache(p, nt)) {
        tags = p->tc_tmp;
    } else if (nt > 1) {
        int rc = sort_and_cache_tags(p, nt);
        if (rc) return rc;
    }
    if (key_len > LP_MAX_KEY_BYTES)
        return failf(p, STRATA_EPARSE, "max key length exceeded: %zu > %u", key_len,
                     LP_MAX_KEY_BYTES);

    /* Fields, first scan (InfluxDB's scanFields), recording each field. */
    size_t fs = skip_ws(b, n, i);
    uint64_t equals = 0, commas = 0;
    int quoted = 0, fields_bsl = 0, messy = 0, seg_eq = 0;
    uint32_t nf = 0;
    size_t seg_start = fs, val_start = 0;
    uint32_t pending = UINT32_MAX; /* index of a string field whose end is not known
                                    * yet (an index: the array may move) */
    i = fs;
    for (;;) {
        i = find_special(b, n, i);
        if (i >= n) break;
        char c = b[i];
        if (c == '\\' && i + 1 < n) {
            fields_bsl = 1;
            i += 2;
            continue;
        }
        if (c == '"' && equals > commas) {
            quoted = !quoted;
            i++;
            continue;
        }
        if (c == '=' && !quoted) {
            equals++;
            if (i >= 2 && (b[i - 1] == ' ' || b[i - 1] == ',') && b[i - 2] != '\\')
                return fail(p, STRATA_EPARSE, "missing field key");
            if (i + 1 >= n) return fail(p, STRATA_EPARSE, "missing field value");
            if (b[i + 1] == ',' || b[i + 1] == ' ')
                return fail(p, STRATA_EPARSE, "missing field value");
            if (seg_eq++) messy = 1;
            if (nf >= p->fields_cap) {
                int rc = grow_fields(p);
                if (rc) return rc;
            }
            lp_field *f = &p->fields[nf++];
            f->key.p = b + seg_start;
            f->key.len = (uint32_t)(i - seg_start);
            val_start = i + 1;
            if (is_numeric_start(b[i + 1])) {
                if (b[i + 1] == 'N' || b[i + 1] == 'n')
                    return fail(p, STRATA_EPARSE, "invalid number");
                int rc = scan_number(p, b, n, i + 1, &i, f);
                if (rc) return rc;
            } else if (b[i + 1] != '"') {
                int rc = scan_boolean(p, b, n, i + 1, &i, f);
                if (rc) return rc;
            } else {
                f->type = LP_STRING; /* its span is set when the field ends */
                f->v.s.p = b + val_start;
                f->v.s.len = 0;
                pending = nf - 1;
                i++;
                continue;
            }
            /* The value ended at ',', ' ' or the line end; take a ',' here
             * so the loop above mostly meets '=' (fewer mispredictions). */
            if (i < n && b[i] == ',' && pending == UINT32_MAX) {
                commas++;
                seg_eq = 0;
                seg_start = ++i;
            }
            continue;
        }
        if (!quoted && (c == ',' || c == ' ')) {
            if (pending != UINT32_MAX) {
                p->fields[pending].v.s.len = (uint32_t)(i - val_start);
                pending = UINT32_MAX;
            }
            if (c == ' ') break;
            commas++;
            if (!seg_eq) messy = 1;
            seg_eq = 0;
            seg_start = i + 1;
        }
        i++;
    }
    size_t fe = i < n ? i : n;
    if (quoted) return fail(p, STRATA_EPARSE, "unbalanced quotes");
    if (equals == 0 || commas != equals - 1) return fail(p, STRATA_EPARSE, "invalid field format");
    if (pending != UINT32_MAX) p->fields[pending].v.s.len = (uint32_t)(fe - val_start);

    if (fields_bsl || messy) {
        int rc = split_fields_exact(p, b, fs, fe, key_len, &nf);
        if (rc) return rc;
    } else {
        for (uint32_t k = 0; k < nf; k++) {
            lp_field *f = &p->fields[k];
            if (key_len + 4 + f->key.len > LP_MAX_KEY_BYTES)
                return failf(p, STRATA_EPARSE, "max key length exceeded: %zu > %u",
                             key_len + 4 + f->key.len, LP_MAX_KEY_BYTES);
            if (f->type == LP_STRING) {
                /* The value runs to the field's end; InfluxDB drops its
                 * first and last byte, whatever they are ("abc"def). */
                f->v.s.p += 1;
                f->v.s.len -= 2;
            }
        }
    }

    /* Timestamp (InfluxDB's scanTime), converted while scanned when it has
     * at most 19 digits (those cannot overflow a uint64). */
    size_t ts = skip_ws(b, n, fe);
    i = ts;
    int tneg = i < n && b[i] == '-';
    uint64_t tv = 0;
    i += (size_t)tneg;
    for (unsigned c; i + 8 <= n && i - ts + 8 <= 19 + (size_t)tneg;) {
        uint64_t v;
        if (!(c = swar_digits(b + i, &v))) break;
        tv = tv * lp_pow10u[c] + v;
        i += c;
        if (c < 8) break;
    }
    while (i < n && b[i] != '\n' && b[i] != ' ') {
        unsigned d = (unsigned char)b[i] - '0';
        if (d > 9) return fail(p, STRATA_EPARSE, "bad timestamp");
        tv = tv * 10 + d;
        i++;
    }
    size_t tdigits = i - ts - (size_t)tneg;
    int64_t t;
    if (i == ts) {
        t = p->default_ts;
        pt->has_ts = 0;
    } else {
        int rc;
        if (tdigits > 0 && tdigits <= 19) {
            rc = LP__NUM_OK;
            if (tneg)
                t = tv > (uint64_t)INT64_MAX + 1 ? (rc = LP__NUM_RANGE, 0) : (int64_t)(0 - tv);
            else
                t = tv > (uint64_t)INT64_MAX ? (rc = LP__NUM_RANGE, 0) : (int64_t)tv;
        } else {
            rc = lp__parse_i64(b + ts, i - ts, &t);
        }
        if (rc != LP__NUM_OK)
            return failf(p, STRATA_EPARSE, "strconv.ParseInt: parsing \"%.*s\": %s", (int)(i - ts),
                         b + ts, rc == LP__NUM_RANGE ? "value out of range" : "invalid syntax");
        int64_t mult = prec_mult(p->opt.precision);
        if (mult != 1 && t != 0 && t != 1) {
            int64_t r;
            if (t == LP_MIN_TS_NS || __builtin_mul_overflow(t, mult, &r))
                return fail(p, STRATA_EPARSE, LP_TIME_RANGE_ERR);
            t = r;
        } else {
            t *= mult;
        }
        if (t < LP_MIN_TS_NS || t > LP_MAX_TS_NS) return fail(p, STRATA_EPARSE, LP_TIME_RANGE_ERR);
        for (; i < n; i++) {
            if (b[i] != ' ') return fail(p, STRATA_EPARSE, "point is invalid");
        }
        pt->has_ts = 1;
    }

    pt->measurement =
        meas_bsl ? unescape(p, b, meas_end, ESC_NAME) : (lp_slice){b, (uint32_t)meas_end};
    pt->tags = tags;
    pt->ntags = nt;
    pt->fields = p->fields;
    pt->nfields = nf;
    pt->ts_ns = t;
    return 1;
}

int lp_parser_next(lp_parser *p, lp_point *pt)
{
    const char *buf = p->buf;
    size_t len = p->len;

    p->reason = "";
    while (p->pos < len) {
        size_t s = p->pos;
        int special;
        size_t e = find_line_end(buf, len, s, &special);
        uint64_t lineno = p->lineno;
        if (special) {
            e = scan_line_exact(buf, len, s);
            for (const char *q = buf + s; (q = memchr(q, '\n', (size_t)(buf + e - q))); q++)
                p->lineno++;
        }
        p->lineno++;
        p->pos = e + 1;
        /* A quoted value left open runs to the end of the body; InfluxDB
         * then drops the body's final '\n' from the line. */
        if (special && e == len && e > s && buf[e - 1] == '\n') e--;

        if ((p->opt.flags & LP_ACCEPT_CRLF) && e > s && buf[e - 1] == '\r') e--;
        size_t start = skip_ws(buf, e, s);
        if (start >= e || buf[start] == '#') continue;

        const char *b = buf + start;
        size_t n = e - start;
        pt->line.p = b;
        pt->line.len = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
        pt->lineno = lineno;
        int rc;
        p->scratch_used = 0;
        if (n > p->opt.max_line_bytes)
            rc = failf(p, STRATA_ELIMIT, "line too long: %zu bytes > max-line-bytes %u", n,
                       p->opt.max_line_bytes);
        else if (special && (rc = ensure_scratch(p, n)) != STRATA_OK)
            ;
        else
            rc = parse_line(p, b, n, pt);
        if (rc < 0) {
            /* Only line and lineno mean something after an error. */
            memset(pt, 0, sizeof *pt);
            pt->line.p = b;
            pt->line.len = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
            pt->lineno = lineno;
        }
        return rc;
    }
    return 0;
}
