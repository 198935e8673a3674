/*
 * common/error.c: formatting of strata_error messages and the code table.
 * Nothing here allocates, so it is safe to call on out-of-memory paths.
 */
#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int strata_error_setv(strata_error *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL) return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

int strata_error_set(strata_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strata_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int strata_error_prefix(strata_error *err, const char *fmt, ...)
{
    char head[STRATA_ERRMSG_MAX], old[STRATA_ERRMSG_MAX];
    va_list ap;

    if (err == NULL) return STRATA_EINTERNAL;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t hl = strnlen(head, sizeof head - 1), ol = strnlen(old, sizeof old - 1);
    if (hl > sizeof err->msg - 1) hl = sizeof err->msg - 1;
    if (ol > sizeof err->msg - 1 - hl) ol = sizeof err->msg - 1 - hl;
    memcpy(err->msg, head, hl);
    memcpy(err->msg + hl, old, ol);
    err->msg[hl + ol] = '\0';
    return err->code;
}

void strata_error_clear(strata_error *err)
{
    if (err == NULL) return;
    err->code = STRATA_OK;
    err->msg[0] = '\0';
}

const char *strata_strerror(int code)
{
    switch (code) {
    case STRATA_OK:
        return "success";
    case STRATA_EINVAL:
        return "invalid argument";
    case STRATA_ENOMEM:
        return "out of memory";
    case STRATA_EIO:
        return "input/output error";
    case STRATA_ECORRUPT:
        return "corrupt data";
    case STRATA_ENOTFOUND:
        return "not found";
    case STRATA_EEXIST:
        return "already exists";
    case STRATA_ETYPE:
        return "field type conflict";
    case STRATA_EFULL:
        return "storage full";
    case STRATA_ERANGE:
        return "value out of range";
    case STRATA_EBUSY:
        return "resource busy";
    case STRATA_EVERSION:
        return "unsupported format version";
    case STRATA_ECLOSED:
        return "closed";
    case STRATA_ELIMIT:
        return "limit exceeded";
    case STRATA_EPARSE:
        return "parse error";
    case STRATA_EAGAIN:
        return "try again";
    case STRATA_EUNSUPPORTED:
        return "not supported";
    case STRATA_EINTERNAL:
        return "internal error";
    default:
        return "unknown error";
    }
}

int strata_code_from_errno(int errnum)
{
    switch (errnum) {
    case 0:
        return STRATA_OK;
    case ENOMEM:
        return STRATA_ENOMEM;
    case ENOENT:
        return STRATA_ENOTFOUND;
    case EEXIST:
        return STRATA_EEXIST;
    case EINVAL:
        return STRATA_EINVAL;
    case ENOSPC:
        return STRATA_EFULL;
    case EBUSY:
    case EAGAIN:
        return STRATA_EBUSY;
    default:
        return STRATA_EIO;
    }
}
