/*
 * query/exec_regex.c: InfluxQL regexes (=~, !~, FROM /re/, field and GROUP BY
 * regexes) on PCRE2, made to behave like Go's RE2 package that InfluxDB uses.
 *
 * Differences handled: `$` matches only at the very end (DOLLAR_ENDONLY, as
 * Go without (?m)); invalid UTF-8 in the subject is matched, not refused
 * (MATCH_INVALID_UTF); Perl features RE2 lacks (lookaround, backreferences,
 * atomic groups, possessive quantifiers, recursion, conditionals) are
 * refused with Go's message, so that a query Go would reject is rejected
 * here too instead of silently matching differently. Matching is
 * unanchored search, as Go's MatchString.
 *
 * Compiled patterns are immutable and shareable across threads; each thread
 * matches with its own qry_rematch scratch.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/exec_int.h"

struct qry_re {
    pcre2_code *code;
    qry_re *next;
};

struct qry_rematch {
    pcre2_match_data *md;
};

qry_rematch *qry__rematch_new(void)
{
    qry_rematch *rm = calloc(1, sizeof *rm);
    if (rm == NULL) return NULL;
    rm->md = pcre2_match_data_create(1, NULL);
    if (rm->md == NULL) {
        free(rm);
        return NULL;
    }
    return rm;
}

void qry__rematch_free(qry_rematch *rm)
{
    if (rm == NULL) return;
    pcre2_match_data_free(rm->md);
    free(rm);
}

void qry__re_free_all(qry_re *list)
{
    while (list) {
        qry_re *n = list->next;
        pcre2_code_free(list->code);
        free(list);
        list = n;
    }
}

/* Refuse what Go's regexp/syntax refuses; @return NULL or the offending text. */
static int go_unsupported(const char *s, size_t n, char *what, size_t wcap, int *kind)
{
    int in_class = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < n) {
            char e = s[i + 1];
            if (!in_class &&
                ((e >= '1' && e <= '9') || e == 'g' || e == 'k' || e == 'K' || e == 'R' ||
                 e == 'X' || e == 'G' || e == 'Z' || e == 'h' || e == 'H' || e == 'V' || e == 'N' ||
                 e == 'E' || e == 'c' || e == 'o' || e == 'e')) {
                snprintf(what, wcap, "\\%c", e);
                *kind = 1;
                return 1;
            }
            if (e == 'Q') {
                /* \Q...\E literal text */
                size_t j = i + 2;
                while (j + 1 < n && !(s[j] == '\\' && s[j + 1] == 'E'))
                    j++;
                i = j + 1;
                continue;
            }
            i++;
            continue;
        }
        if (in_class) {
            if (ch == ']') in_class = 0;
            continue;
        }
        if (ch == '[') {
            in_class = 1;
            if (i + 1 < n && s[i + 1] == '^') i++;
            if (i + 1 < n && s[i + 1] == ']') i++;
            continue;
        }
        if (ch == '(' && i + 1 < n && s[i + 1] == '?') {
            if (i + 2 < n) {
                char x = s[i + 2];
                if (x == '=' || x == '!' || x == '>' || x == '#' || x == '|' || x == '(' ||
                    x == 'R' || x == '&' || (x >= '0' && x <= '9') || x == '+' ||
                    (x == '<' && i + 3 < n && (s[i + 3] == '=' || s[i + 3] == '!')) ||
                    (x == 'P' && i + 3 < n && (s[i + 3] == '>' || s[i + 3] == '='))) {
                    size_t k = (x == '<' || x == 'P') ? 4 : 3;
                    if (i + k > n) k = n - i;
                    snprintf(what, wcap, "%.*s", (int)k, s + i);
                    *kind = 0;
                    return 1;
                }
            }
        }
        if ((ch == '*' || ch == '+' || ch == '?' || ch == '}') && i + 1 < n && s[i + 1] == '+') {
            /* possessive: Go reports "invalid nested repetition operator" */
            snprintf(what, wcap, "%c+", ch);
            *kind = 2;
            return 1;
        }
    }
    return 0;
}

/*
 * Compile src as Go would accept it. On failure msg (cap bytes) gets Go's
 * "error parsing regexp: ..." text and NULL is returned.
 */
static pcre2_code *re_build(const char *src, size_t n, char *msg, size_t cap)
{
    char what[16];
    int kind = 0;
    if (go_unsupported(src, n, what, sizeof what, &kind)) {
        if (kind == 1)
            snprintf(msg, cap, "error parsing regexp: invalid escape sequence: `%s`", what);
        else if (kind == 2)
            snprintf(msg, cap, "error parsing regexp: invalid nested repetition operator: `%s`",
                     what);
        else
            snprintf(msg, cap, "error parsing regexp: invalid or unsupported Perl syntax: `%s`",
                     what);
        return NULL;
    }
    /* Go limits repeat counts to 1000 */
    for (size_t i = 0; i + 1 < n; i++) {
        if (src[i] == '\\') {
            i++;
            continue;
        }
        if (src[i] != '{' || !(src[i + 1] >= '0' && src[i + 1] <= '9')) continue;
        size_t j = i + 1;
        long a = 0, b = -1;
        while (j < n && src[j] >= '0' && src[j] <= '9' && a <= 100000)
            a = a * 10 + (src[j++] - '0');
        if (j < n && src[j] == ',') {
            j++;
            if (j < n && src[j] >= '0' && src[j] <= '9') {
                b = 0;
                while (j < n && src[j] >= '0' && src[j] <= '9' && b <= 100000)
                    b = b * 10 + (src[j++] - '0');
            }
        }
        if (j < n && src[j] == '}' && (a > 1000 || b > 1000)) {
            snprintf(msg, cap, "error parsing regexp: invalid repeat count: `%.*s`",
                     (int)(j + 1 - i), src + i);
            return NULL;
        }
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)src, n,
                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
    if (code != NULL) {
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* best effort */
        return code;
    }
    /* Go's messages for the common mistakes */
    switch (ec) {
    case 114: /* missing closing parenthesis */
        snprintf(msg, cap, "error parsing regexp: missing closing ): `%.*s`", (int)n, src);
        return NULL;
    case 122: /* unmatched closing parenthesis */
        snprintf(msg, cap, "error parsing regexp: unexpected ): `%.*s`", (int)n, src);
        return NULL;
    case 106: { /* missing terminating ] */
        const char *lb = memchr(src, '[', n);
        size_t off = lb ? (size_t)(lb - src) : 0;
        snprintf(msg, cap, "error parsing regexp: missing closing ]: `%.*s`", (int)(n - off),
                 src + off);
        return NULL;
    }
    case 109: /* quantifier does not follow a repeatable item */
        snprintf(msg, cap, "error parsing regexp: missing argument to repetition operator: `%c`",
                 eo > 0 && eo <= n ? src[eo - 1] : '*');
        return NULL;
    case 101: /* \ at end of pattern */
        snprintf(msg, cap, "error parsing regexp: trailing backslash at end of expression: ``");
        return NULL;
    default: {
        PCRE2_UCHAR m[160];
        pcre2_get_error_message(ec, m, sizeof m);
        snprintf(msg, cap, "error parsing regexp: %s: `%.*s`", (char *)m, (int)n, src);
        return NULL;
    }
    }
}

int qry__re_check(const char *src, size_t len, void *ctx, char *msg, size_t cap)
{
    (void)ctx;
    pcre2_code *code = re_build(src, len, msg, cap);
    if (code == NULL) return 1;
    pcre2_code_free(code);
    return 0;
}

int qry__re_compile(qry_ctx *c, const char *src, size_t n, qry_re **out)
{
    char msg[STRATA_ERRMSG_MAX];
    pcre2_code *code = re_build(src, n, msg, sizeof msg);
    if (code == NULL) return qry__fail(c, STRATA_EINVAL, "%s", msg);
    qry_re *re = calloc(1, sizeof *re);
    if (re == NULL) {
        pcre2_code_free(code);
        return qry__fail(c, STRATA_ENOMEM, "out of memory");
    }
    re->code = code;
    re->next = c->res;
    c->res = re;
    *out = re;
    return STRATA_OK;
}

int qry__re_match(const qry_re *re, qry_rematch *rm, const char *s, size_t n)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)(s ? s : ""), n, 0, 0, rm->md, NULL);
    return rc >= 0;
}
