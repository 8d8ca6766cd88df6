/* err.c — messages and names for the codes of err.h. */
#include "err.h"

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
