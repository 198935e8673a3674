/*
 * query/value_int.h: the executor's dynamically typed value and its growable
 * byte buffer, internal to the query module.
 *
 * InfluxQL columns carry floats, integers, unsigned integers, booleans,
 * strings, times and nulls; one row of an answer is an array of qry_val.
 * Values are 24 bytes and never own memory: a string points into storage
 * blocks, the statement arena or a buffer whose lifetime the producer states.
 *
 * qry_buf is the byte buffer the result writers append to; it grows by
 * doubling and is freed with qry_buf_fini(). Not thread-safe.
 */
#ifndef STRATA_QUERY_VALUE_INT_H
#define STRATA_QUERY_VALUE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum qry_vt {
    QRY_V_NULL = 0,
    QRY_V_FLOAT,
    QRY_V_INT,
    QRY_V_UINT,
    QRY_V_BOOL,
    QRY_V_STR,
    QRY_V_TIME, /* i holds ns since the epoch; written as a time (column 0) */
} qry_vt;

typedef struct qry_val {
    uint8_t t; /* qry_vt */
    union {
        double f;
        int64_t i;
        uint64_t u;
        int b;
        struct {
            const char *p;
            uint32_t n;
        } s;
    } v;
} qry_val;

static inline qry_val qry_val_null(void)
{
    qry_val v;
    memset(&v, 0, sizeof v);
    return v;
}

static inline qry_val qry_val_f(double d)
{
    qry_val v;
    v.t = QRY_V_FLOAT;
    v.v.f = d;
    return v;
}

static inline qry_val qry_val_i(int64_t i)
{
    qry_val v;
    v.t = QRY_V_INT;
    v.v.i = i;
    return v;
}

static inline qry_val qry_val_u(uint64_t u)
{
    qry_val v;
    v.t = QRY_V_UINT;
    v.v.u = u;
    return v;
}

static inline qry_val qry_val_b(int b)
{
    qry_val v;
    v.t = QRY_V_BOOL;
    v.v.b = b != 0;
    return v;
}

static inline qry_val qry_val_s(const char *p, size_t n)
{
    qry_val v;
    v.t = QRY_V_STR;
    v.v.s.p = p;
    v.v.s.n = (uint32_t)n;
    return v;
}

static inline qry_val qry_val_time(int64_t ns)
{
    qry_val v;
    v.t = QRY_V_TIME;
    v.v.i = ns;
    return v;
}

/* A growable byte buffer. Zero-initialised is empty and valid. */
typedef struct qry_buf {
    char *p;
    size_t n, cap;
    int oom; /* set once an append failed; later appends do nothing */
} qry_buf;

/* Make room for more bytes. @return STRATA_OK or STRATA_ENOMEM (sets oom). */
int qry_buf_reserve(qry_buf *b, size_t more);
/* Append n bytes. Failures set b->oom (checked once at the end by callers). */
void qry_buf_put(qry_buf *b, const void *p, size_t n);
void qry_buf_putc(qry_buf *b, char c);
void qry_buf_puts(qry_buf *b, const char *s);
void qry_buf_printf(qry_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qry_buf_fini(qry_buf *b);

#endif
