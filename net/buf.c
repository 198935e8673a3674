/*
 * net/buf.c: net_buf, see net/buf.h. Growth doubles (from 4 KiB) so that
 * appends are amortized O(1).
 */
#include "net/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int net_buf_reserve(net_buf *b, size_t more)
{
    if (more <= b->cap - b->len) return STRATA_OK;
    if (more > SIZE_MAX / 2 - b->len) return STRATA_ENOMEM;
    size_t need = b->len + more, ncap = b->cap ? b->cap : 4096;
    while (ncap < need)
        ncap *= 2;
    char *np = realloc(b->p, ncap);
    if (np == NULL) return STRATA_ENOMEM;
    b->p = np;
    b->cap = ncap;
    return STRATA_OK;
}

int net_buf_append(net_buf *b, const void *data, size_t n)
{
    if (n == 0) return STRATA_OK;
    if (net_buf_reserve(b, n) != STRATA_OK) return STRATA_ENOMEM;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return STRATA_OK;
}

int net_buf_puts(net_buf *b, const char *s)
{
    return net_buf_append(b, s, strlen(s));
}

int net_buf_vprintf(net_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0) return STRATA_EINVAL;
    if ((size_t)n < sizeof small) return net_buf_append(b, small, (size_t)n);
    if (net_buf_reserve(b, (size_t)n + 1) != STRATA_OK) return STRATA_ENOMEM;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return STRATA_OK;
}

int net_buf_printf(net_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = net_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int net_buf_insert(net_buf *b, size_t at, const void *data, size_t n)
{
    if (net_buf_reserve(b, n) != STRATA_OK) return STRATA_ENOMEM;
    memmove(b->p + at + n, b->p + at, b->len - at);
    memcpy(b->p + at, data, n);
    b->len += n;
    return STRATA_OK;
}

int net_buf_json_str(net_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX. */
    if (n > SIZE_MAX / 6 || net_buf_reserve(b, n * 6) != STRATA_OK) return STRATA_ENOMEM;
    char *w = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            *w++ = '\\';
            *w++ = '"';
            break;
        case '\\':
            *w++ = '\\';
            *w++ = '\\';
            break;
        case '\n':
            *w++ = '\\';
            *w++ = 'n';
            break;
        case '\r':
            *w++ = '\\';
            *w++ = 'r';
            break;
        case '\t':
            *w++ = '\\';
            *w++ = 't';
            break;
        default:
            /* Go's encoder also escapes <, > and & in HTML-safe mode. */
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                *w++ = '\\';
                *w++ = 'u';
                *w++ = '0';
                *w++ = '0';
                *w++ = hex[c >> 4];
                *w++ = hex[c & 15];
            } else {
                *w++ = (char)c;
            }
        }
    }
    b->len = (size_t)(w - b->p);
    return STRATA_OK;
}

void net_buf_consume(net_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void net_buf_trim(net_buf *b, size_t keep_bytes)
{
    b->len = 0;
    if (b->cap > keep_bytes) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
    }
}

void net_buf_fini(net_buf *b)
{
    if (b == NULL) return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void net_buf_swap(net_buf *a, net_buf *b)
{
    net_buf t = *a;
    *a = *b;
    *b = t;
}
