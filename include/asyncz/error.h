/* Error codes. Every fallible function returns 0 on success or one of these negative codes.
 * Codes never change meaning once released; new ones are appended. */
#ifndef ASYNCZ_ERROR_H
#define ASYNCZ_ERROR_H

#include "asyncz/common.h"

ASYNCZ_BEGIN_DECLS

/* X(NAME, value, description) */
#define ASYNCZ_ERRNO_MAP(X)                                                                                  \
    X(EINVAL, -1, "invalid argument")                                                                        \
    X(ENOMEM, -2, "out of memory")                                                                           \
    X(ENOTFOUND, -3, "not found")                                                                            \
    X(EEXISTS, -4, "already exists")                                                                         \
    X(EPARSE, -5, "parse error")                                                                             \
    X(EZONE, -6, "unknown time zone")                                                                        \
    X(ETZDATA, -7, "malformed time zone data")                                                               \
    X(ERANGE, -8, "value out of range")                                                                      \
    X(ESEARCH, -9, "search limit reached without a match")                                                   \
    X(EIO, -10, "input/output error")                                                                        \
    X(ESTATE, -11, "operation not allowed in the current state")                                             \
    X(ESTORE, -12, "store error")                                                                            \
    X(ECRYPTO, -13, "encryption or authentication failure")                                                  \
    X(ETOOBIG, -14, "value exceeds its size limit")                                                          \
    X(EUNSUPPORTED, -15, "not supported")

typedef enum asyncz_error {
    ASYNCZ_OK = 0,
#define ASYNCZ_ERR_ENUM_(name, value, text) ASYNCZ_##name = (value),
    ASYNCZ_ERRNO_MAP(ASYNCZ_ERR_ENUM_)
#undef ASYNCZ_ERR_ENUM_
} asyncz_error;

/* A human-readable description of an error code ("unknown error" for codes not in the table).
 * Returns static storage; never NULL. */
ASYNCZ_API const char *asyncz_strerror(int code);

/* The symbolic name of an error code, such as "ASYNCZ_EINVAL" ("ASYNCZ_OK" for 0, "ASYNCZ_UNKNOWN" for
 * codes not in the table). Returns static storage; never NULL. */
ASYNCZ_API const char *asyncz_err_name(int code);

ASYNCZ_END_DECLS

#endif
