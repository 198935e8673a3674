/*
 * lineproto/lp_num.c: number conversion for the line-protocol parser.
 *
 * Field values dominate parse time (a Telegraf or TSBS line carries ten or
 * more numbers), so floats take a hand-written fast path: when a plain
 * decimal has at most 19 significant digits, its mantissa is below 2^53 and
 * the power of ten is within +-22, both the mantissa and 10^|e| are exact
 * doubles and one IEEE multiply or divide gives the correctly rounded
 * result (Clinger's fast path). Everything else goes to strtod_l() in the C
 * locale, which is correctly rounded but slower; the grammar is checked
 * here first so strtod never sees anything Go's strconv.ParseFloat would
 * refuse.
 */
#include "lineproto/lp_int.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const double lp_pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * The C locale for strtod_l(). newlocale() is called once; the handle is
 * read-only afterwards, so sharing it between threads is safe. If it cannot
 * be created, strtod() is used, which is only wrong under a non-C LC_NUMERIC.
 */
static locale_t lp_c_locale;
static pthread_once_t lp_c_locale_once = PTHREAD_ONCE_INIT;

static void lp_c_locale_init(void)
{
    lp_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

int lp__f64_from_decimal(uint64_t m, int exp10, double *out)
{
    if (m == 0) {
        *out = 0.0;
        return 1;
    }
    if (m < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        *out = exp10 < 0 ? d / lp_pow10[-exp10] : d * lp_pow10[exp10];
        return 1;
    }
    return lp__eisel_lemire(m, exp10, out);
}

static int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Slow path: the token is known to be well formed; n may be large. */
static int parse_f64_slow(const char *s, size_t n, double *out)
{
    char small[128];
    char *tmp = small;
    int rc = LP__NUM_OK;

    if (n >= sizeof small) {
        tmp = malloc(n + 1);
        if (!tmp) {
            /* Out of memory on a >127-byte number: treat as unparsable. */
            return LP__NUM_SYNTAX;
        }
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    pthread_once(&lp_c_locale_once, lp_c_locale_init);
    char *end = NULL;
    double d = lp_c_locale ? strtod_l(tmp, &end, lp_c_locale) : strtod(tmp, &end);
    if (end != tmp + n)
        rc = LP__NUM_SYNTAX;
    else if (isinf(d))
        rc = LP__NUM_RANGE;
    else
        *out = d;
    if (tmp != small) free(tmp);
    return rc;
}

int lp__parse_f64(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0;

    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    uint64_t m = 0;
    int nd = 0;      /* significant digits kept in m */
    int dropped = 0; /* significant digits beyond 19 */
    int exp10 = 0;   /* value = m * 10^exp10 */
    int ndigits = 0; /* mantissa digits seen, for the grammar */
    for (; i < n && is_digit(s[i]); i++) {
        ndigits++;
        if (nd < 19) {
            if (m || s[i] != '0') {
                m = m * 10 + (uint64_t)(s[i] - '0');
                nd++;
            }
        } else {
            dropped = 1;
            exp10++;
        }
    }
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && is_digit(s[i]); i++) {
            ndigits++;
            if (nd < 19) {
                if (m || s[i] != '0') {
                    m = m * 10 + (uint64_t)(s[i] - '0');
                    nd++;
                }
                exp10--;
            } else {
                dropped = 1;
            }
        }
    }
    if (ndigits == 0) return LP__NUM_SYNTAX;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i >= n || !is_digit(s[i])) return LP__NUM_SYNTAX;
        int e = 0;
        for (; i < n && is_digit(s[i]); i++) {
            if (e < 100000) e = e * 10 + (s[i] - '0');
        }
        exp10 += eneg ? -e : e;
    }
    if (i != n) return LP__NUM_SYNTAX;
    if (m == 0 && !dropped) {
        *out = neg ? -0.0 : 0.0;
        return LP__NUM_OK;
    }
    if (!dropped && m < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        d = exp10 < 0 ? d / lp_pow10[-exp10] : d * lp_pow10[exp10];
        *out = neg ? -d : d;
        return LP__NUM_OK;
    }
    if (!dropped && m != 0 && exp10 > -100000 && exp10 < 100000) {
        double d;
        if (lp__eisel_lemire(m, exp10, &d)) {
            *out = neg ? -d : d;
            return LP__NUM_OK;
        }
    }
    return parse_f64_slow(s, n, out);
}

int lp__parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0) return LP__NUM_SYNTAX;
    uint64_t v = 0;
    int range = 0;
    size_t i = 0;
    /* Up to 19 digits cannot overflow; no checks needed. */
    for (size_t fast = n < 19 ? n : 19; i < fast; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) return LP__NUM_SYNTAX;
        v = v * 10 + d;
    }
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) return LP__NUM_SYNTAX;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v)) range = 1;
    }
    if (range) {
        /* Go reports a range error only once the whole string is digits. */
        return LP__NUM_RANGE;
    }
    *out = v;
    return LP__NUM_OK;
}

int lp__parse_i64(const char *s, size_t n, int64_t *out)
{
    int neg = 0;
    size_t i = 0;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    uint64_t u;
    int rc = lp__parse_u64(s + i, n - i, &u);
    if (rc != LP__NUM_OK) return rc;
    if (neg) {
        if (u > (uint64_t)INT64_MAX + 1) return LP__NUM_RANGE;
        *out = (int64_t)(0 - u);
    } else {
        if (u > (uint64_t)INT64_MAX) return LP__NUM_RANGE;
        *out = (int64_t)u;
    }
    return LP__NUM_OK;
}
