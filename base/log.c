/* log.c — logfmt lines of log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "timefmt.h"

static atomic_int min_level = DD_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void dd_log_set_level(enum dd_log_level min)
{
    atomic_store(&min_level, (int)min);
}

int dd_log_level_parse(const char *s, enum dd_log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum dd_log_level)i;
            return 0;
        }
    return DD_EINVAL;
}

void dd_log_quote(const char *s, char *out, size_t outsz)
{
    size_t j = 0;
    if (outsz < 3) {
        if (outsz)
            out[0] = '\0';
        return;
    }
    out[j++] = '"';
    for (; s && *s && j + 3 < outsz; s++) {
        char c = *s;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = c;
        } else if (c == '\n' || c == '\r') {
            out[j++] = '\\';
            out[j++] = 'n';
        } else {
            out[j++] = c;
        }
    }
    out[j++] = '"';
    out[j] = '\0';
}

void dd_log(enum dd_log_level level, const char *msg, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;
    char line[2048], ts[DD_TIME_STRLEN], qmsg[256];
    dd_time_format(dd_now_ms(), ts);
    dd_log_quote(msg, qmsg, sizeof qmsg);
    int n = snprintf(line, sizeof line, "ts=%s level=%s msg=%s", ts, names[level], qmsg);
    if (fmt && *fmt && n > 0 && (size_t)n < sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
