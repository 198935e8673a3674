/*
 * common/error.h: the project's one table of error codes and the error
 * struct that carries an operator-readable message.
 *
 * Every Strata function that can fail returns int: STRATA_OK (0) on success
 * or one of the negative codes below. Counting functions return a count >= 0
 * or a negative code. Library codes (LMDB, libuv, errno) are translated into
 * this table in one place per module. A function that fails may also fill a
 * caller-owned strata_error with a message naming what failed and where; the
 * error path never allocates.
 */
#ifndef STRATA_COMMON_ERROR_H
#define STRATA_COMMON_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum strata_code {
    STRATA_OK = 0,
    STRATA_EINVAL = -1,        /* bad argument or bad input from a user */
    STRATA_ENOMEM = -2,        /* allocation failed */
    STRATA_EIO = -3,           /* read, write, fsync or open failed */
    STRATA_ECORRUPT = -4,      /* stored data failed a checksum or a sanity check */
    STRATA_ENOTFOUND = -5,     /* no such database, series, field, key */
    STRATA_EEXIST = -6,        /* already exists */
    STRATA_ETYPE = -7,         /* field type conflicts with the stored type */
    STRATA_EFULL = -8,         /* storage map or a configured limit is full */
    STRATA_ERANGE = -9,        /* number or timestamp out of range */
    STRATA_EBUSY = -10,        /* resource in use (locked data directory, ...) */
    STRATA_EVERSION = -11,     /* on-disk format version not supported */
    STRATA_ECLOSED = -12,      /* object already closed or shutting down */
    STRATA_ELIMIT = -13,       /* a configured query or request limit exceeded */
    STRATA_EPARSE = -14,       /* syntax error in a statement or line */
    STRATA_EAGAIN = -15,       /* need more input / try again */
    STRATA_EUNSUPPORTED = -16, /* valid request that Strata does not support */
    STRATA_EINTERNAL = -17,    /* a bug: an invariant did not hold */
};

/* Longest message kept in a strata_error, including the terminating NUL. */
#define STRATA_ERRMSG_MAX 512

/*
 * Caller-owned error report. code mirrors the return value; msg is a
 * NUL-terminated sentence an operator can act on ("" when none was set).
 */
typedef struct strata_error {
    int code;
    char msg[STRATA_ERRMSG_MAX];
} strata_error;

/*
 * Record an error. err may be NULL, in which case nothing is written.
 * The message is formatted with printf rules and truncated to fit.
 *
 * @return code, so that callers can write `return strata_error_set(...)`.
 */
int strata_error_set(strata_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same as strata_error_set() with a va_list. */
int strata_error_setv(strata_error *err, int code, const char *fmt, va_list ap);

/*
 * Prefix an existing message with context ("opening /data: " + msg). Does
 * nothing if err is NULL. @return err->code (or STRATA_EINTERNAL if NULL).
 */
int strata_error_prefix(strata_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset err to STRATA_OK with an empty message. err may be NULL. */
void strata_error_clear(strata_error *err);

/* Static, human-readable name of a code ("corrupt data"); never NULL. */
const char *strata_strerror(int code);

/* Map an errno value to a strata code (ENOMEM -> STRATA_ENOMEM, ... -> EIO). */
int strata_code_from_errno(int errnum);

#endif
