/* err.c — messages and names for the codes of err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

/* The table of err.h and success: code, name, message. */
struct err_row {
    int code;
    const char *name, *msg;
};
static const struct err_row errs[] = {
#define DD_ERR_ROW(name, code, msg) {code, #name, msg},
    DD_ERRNO_MAP(DD_ERR_ROW)
#undef DD_ERR_ROW
        {0, "OK", "ok"},
};

/* err's row, or NULL for a code not in the table. */
static const struct err_row *find_err(int err)
{
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i].code == err)
            return &errs[i];
    return NULL;
}

const char *dd_strerror(int err)
{
    const struct err_row *r = find_err(err);
    return r ? r->msg : "unknown error";
}

const char *dd_errname(int err)
{
    const struct err_row *r = find_err(err);
    return r ? r->name : "UNKNOWN";
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
