/* err.h — driftd's one table of error codes.
 *
 * Fallible functions return int: 0 on success or a negative DD_E* code.
 * dd_strerror() gives the message, dd_errname() the stable name.  The table
 * is an X-macro so that code, name and message never drift apart (libuv's
 * UV_ERRNO_MAP).  Thread-safe: everything here is read-only.
 */
#ifndef DD_ERR_H
#define DD_ERR_H
#include <stddef.h>

#define DD_ERRNO_MAP(X)                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(IO, -3, "input/output error")                                                                \
    X(NOTFOUND, -4, "not found")                                                                   \
    X(CONFLICT, -5, "conflict")                                                                    \
    X(TOOBIG, -6, "too large")                                                                     \
    X(OVERLOAD, -7, "overloaded")                                                                  \
    X(INSUFFICIENT, -8, "insufficient data")                                                       \
    X(DIM, -9, "dimension mismatch")                                                               \
    X(SCHEMA, -10, "unsupported database schema")                                                  \
    X(NUMERIC, -11, "numerical failure")                                                           \
    X(SHUTDOWN, -12, "shutting down")                                                              \
    X(INTERNAL, -13, "internal error")                                                             \
    X(FULL, -14, "storage is full")

enum dd_err {
#define DD_ERR_ENUM(name, code, msg) DD_E##name = (code),
    DD_ERRNO_MAP(DD_ERR_ENUM)
#undef DD_ERR_ENUM
};

/* Writes a printf-style message into err[errlen] (nothing when err is NULL
 * or errlen 0) and returns DD_EINVAL: the refusal of a parser whose
 * messages name what they refuse ("targets[1].payload.model: ..."). */
int dd_einval(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Message for a code ("unknown error" for anything not in the table). */
const char *dd_strerror(int err);
/* Stable upper-case name without prefix, e.g. "NOMEM". */
const char *dd_errname(int err);

#endif
