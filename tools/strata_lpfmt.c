/*
 * tools/strata_lpfmt.c: writing line protocol that lineproto/lp.c reads back
 * to exactly the stored names and values (for `strata export`).
 *
 * The parser (like InfluxDB's) reads the three parts of a line by different
 * rules, so each part is escaped for the rule that reads it:
 *
 *   measurement, tag keys, tag values: a separator (',' ' ', and '=' in
 *     tags) is escaped when the byte before it is a backslash; unescaping
 *     turns "\X" into X for X in the part's set and keeps other backslashes.
 *     So every separator in a name gets a backslash, and a backslash before
 *     '=' or '"' in a measurement too. A trailing backslash cannot be
 *     written (it would escape the separator after it).
 *   field keys: the scan that finds the end of the fields lets a backslash
 *     skip the next byte. A name with an odd run of backslashes before a
 *     byte that needs escaping cannot be written (the run would swallow the
 *     escape), nor a trailing backslash.
 *   line splitting: a quoted '\n' does not end a line, and a backslash skips
 *     the next byte; a name with a newline, or with an odd run of
 *     backslashes before a space in the key (the split would think the
 *     fields began), cannot be written.
 *   string values: '"' and '\' are escaped; anything else, newlines
 *     included, is written as is inside the quotes.
 *
 * Floats are written with the fewest significant digits (15, 16 or 17) that
 * read back to the same bits, so an export of an import of an export is
 * byte-identical.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/strata_int.h"

int tl_buf_reserve(tl_buf *b, size_t more)
{
    if (b->len + more <= b->cap) return STRATA_OK;
    size_t n = b->cap ? b->cap : 65536;
    while (n < b->len + more)
        n *= 2;
    char *p = realloc(b->p, n);
    if (p == NULL) return STRATA_ENOMEM;
    b->p = p;
    b->cap = n;
    return STRATA_OK;
}

void tl_buf_fini(tl_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

size_t tl_fmt_f64(double v, char *buf)
{
    /*
     * A normal double whose shortest round-trip form has d <= 15 digits
     * prints as exactly that form with %.15g (the double's rounding interval
     * is narrower than half the 15-digit spacing), so 15 is tried first,
     * then 16 and 17 (17 always round-trips). A subnormal has fewer
     * significant bits, so its shortest form is searched from 1 digit up.
     */
    int n = 0;
    double a = v < 0 ? -v : v;
    for (int prec = a != 0 && a < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0) break;
    }
    return (size_t)n;
}

static int is_sep(int kind, char c)
{
    if (c == ',' || c == ' ') return 1;
    if (kind == TL_LP_TAG) return c == '=';
    if (kind == TL_LP_FIELDKEY) return c == '=' || c == '"';
    return 0;
}

/* Bytes the part's unescaping consumes after a backslash (lineproto's sets). */
static int in_unescape_set(int kind, char c)
{
    if (kind == TL_LP_TAG) return c == ',' || c == ' ' || c == '=';
    return c == ',' || c == ' ' || c == '=' || c == '"';
}

int tl_lp_name(tl_buf *b, int kind, const char *s, size_t len)
{
    if (len == 0 || s[len - 1] == '\\' || memchr(s, '\n', len)) return STRATA_EINVAL;
    /* Lines start after blanks, and '#' starts a comment. */
    if (kind == TL_LP_MEAS && (s[0] == '#' || s[0] == '\t' || s[0] == '\0')) return STRATA_EINVAL;
    /* The field block starts after blanks too. */
    if (kind == TL_LP_FIELDKEY && (s[0] == '\t' || s[0] == '\0')) return STRATA_EINVAL;
    size_t extra = 0, run = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int esc = is_sep(kind, c) || (run > 0 && in_unescape_set(kind, c));
        if (esc) {
            /* An odd run of backslashes before an escape pairs up wrongly in
             * the skip-the-next-byte scans (fields; the line split at ' '). */
            if (run % 2 == 1 && (kind == TL_LP_FIELDKEY || c == ' ')) return STRATA_EINVAL;
            extra++;
        }
        run = c == '\\' ? run + 1 : 0;
    }
    if (tl_buf_reserve(b, len + extra) != STRATA_OK) return STRATA_ENOMEM;
    char *o = b->p + b->len;
    size_t run2 = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_sep(kind, c) || (run2 > 0 && in_unescape_set(kind, c))) *o++ = '\\';
        *o++ = c;
        run2 = c == '\\' ? run2 + 1 : 0;
    }
    b->len = (size_t)(o - b->p);
    return STRATA_OK;
}

int tl_lp_string(tl_buf *b, const char *s, size_t len)
{
    size_t extra = 2;
    for (size_t i = 0; i < len; i++)
        extra += s[i] == '"' || s[i] == '\\';
    if (tl_buf_reserve(b, len + extra) != STRATA_OK) return STRATA_ENOMEM;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') *o++ = '\\';
        *o++ = s[i];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return STRATA_OK;
}
