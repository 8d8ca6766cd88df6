/* err.c — messages and names for the codes of err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

const char *dd_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
#define DD_ERR_MSG(name, code, msg)                                                                \
    case code:                                                                                     \
        return msg;
        DD_ERRNO_MAP(DD_ERR_MSG)
#undef DD_ERR_MSG
    }
    return "unknown error";
}

const char *dd_errname(int err)
{
    switch (err) {
    case 0:
        return "OK";
#define DD_ERR_NAME(name, code, msg)                                                               \
    case code:                                                                                     \
        return #name;
        DD_ERRNO_MAP(DD_ERR_NAME)
#undef DD_ERR_NAME
    }
    return "UNKNOWN";
}

int dd_einval(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return DD_EINVAL;
}
