/* log.h — structured log lines (logfmt), one line per event, to stderr.
 *
 *   ts=2026-11-22T10:00:00.000Z level=info msg="request" rid=4f2a status=202 ...
 *
 * dd_log(level, msg, fmt, ...) writes ts, level and msg, then the caller's
 * already-formatted "key=value ..." tail.  Quote values with dd_log_quote()
 * when they may hold spaces.  Thread-safe: each line is written with one
 * write(2) call, so lines from different threads never interleave.
 */
#ifndef DD_LOG_H
#define DD_LOG_H
#include <stddef.h>

enum dd_log_level { DD_LOG_DEBUG, DD_LOG_INFO, DD_LOG_WARN, DD_LOG_ERROR };

void dd_log_set_level(enum dd_log_level min);
/* Parses "debug|info|warn|error"; 0 or DD_EINVAL. */
int dd_log_level_parse(const char *s, enum dd_log_level *out);
void dd_log(enum dd_log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies s into out as a quoted logfmt value (escapes " \ and newlines,
 * truncates to fit). */
void dd_log_quote(const char *s, char *out, size_t outsz);

#define dd_info(msg, ...) dd_log(DD_LOG_INFO, msg, __VA_ARGS__)
#define dd_warn(msg, ...) dd_log(DD_LOG_WARN, msg, __VA_ARGS__)
#define dd_error(msg, ...) dd_log(DD_LOG_ERROR, msg, __VA_ARGS__)
#define dd_debug(msg, ...) dd_log(DD_LOG_DEBUG, msg, __VA_ARGS__)

#endif
