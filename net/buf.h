/*
 * net/buf.h: a growable byte buffer, the one container of the net module.
 * Request bodies, responses, TCP and UDP backlogs are net_bufs that are
 * kept by their connection or worker and reused, so that steady traffic
 * does not call malloc per request; net_buf_trim() gives back memory after
 * an unusually large request.
 *
 * A net_buf belongs to one thread at a time (the loop, or the worker that
 * runs a job holding it). Growing it moves p: pointers into it die.
 */
#ifndef STRATA_NET_BUF_H
#define STRATA_NET_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct net_buf {
    char *p; /* NULL until the first byte; len bytes used of cap */
    size_t len;
    size_t cap;
} net_buf;

/* Make room for `more` bytes after len (may move p). @return STRATA_OK, STRATA_ENOMEM */
int net_buf_reserve(net_buf *b, size_t more);

/* Append n bytes. @return STRATA_OK, STRATA_ENOMEM */
int net_buf_append(net_buf *b, const void *data, size_t n);

/* Append a NUL-terminated string. @return STRATA_OK, STRATA_ENOMEM */
int net_buf_puts(net_buf *b, const char *s);

/* Append printf output (not NUL-counted in len). @return STRATA_OK, STRATA_ENOMEM */
int net_buf_printf(net_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int net_buf_vprintf(net_buf *b, const char *fmt, va_list ap);

/* Insert n bytes at offset at (<= len). @return STRATA_OK, STRATA_ENOMEM */
int net_buf_insert(net_buf *b, size_t at, const void *data, size_t n);

/* Append s as the inside of a JSON string (quotes not included). @return as append */
int net_buf_json_str(net_buf *b, const char *s, size_t n);

/* Drop the first n bytes (n <= len), keeping the rest at the front. */
void net_buf_consume(net_buf *b, size_t n);

/* Empty the buffer; free its memory if cap exceeds keep_bytes. */
void net_buf_trim(net_buf *b, size_t keep_bytes);

/* Free the memory. b may be NULL. */
void net_buf_fini(net_buf *b);

/* Exchange two buffers' contents. */
void net_buf_swap(net_buf *a, net_buf *b);

#endif
