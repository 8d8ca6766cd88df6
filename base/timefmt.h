/* timefmt.h — time values as driftd sees them: int64 Unix epoch milliseconds.
 *
 * docs/api.md accepts RFC 3339 strings or epoch-ms integers and returns RFC 3339
 * UTC with milliseconds ("2026-11-22T10:00:00.000Z").  Durations ("15m",
 * "1h", "500ms", "7d") are parsed here too.  Thread-safe.
 */
#ifndef DD_TIMEFMT_H
#define DD_TIMEFMT_H
#include <stddef.h>
#include <stdint.h>

#define DD_TIME_STRLEN 32 /* enough for "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* Wall-clock now, epoch ms. */
int64_t dd_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t dd_mono_ns(void);

/* Parses RFC 3339 ("2026-11-22T10:00:00Z", fractional seconds and numeric
 * offsets allowed; 't'/'T'/' ' as separator).  0 or DD_EINVAL. */
int dd_time_parse(const char *s, size_t n, int64_t *out_ms);
/* Writes the UTC RFC 3339 form with milliseconds into out[DD_TIME_STRLEN]. */
void dd_time_format(int64_t ms, char *out);
/* Parses "<int><unit>" with unit ms, s, m, h, d (e.g. "15m"); > 0 only. */
int dd_duration_parse(const char *s, int64_t *out_ms);

#endif
