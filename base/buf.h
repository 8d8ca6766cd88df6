/* buf.h — a growable byte buffer, and the JSON writing helpers built on it.
 *
 * Every answer driftd writes (HTTP bodies, reports, metrics) is built in a
 * struct dd_buf.  The caller owns it: dd_buf_init() then dd_buf_release();
 * dd_buf_take() hands the bytes over ("you now own", NUL-terminated).
 * The data is always NUL-terminated after any append.  Not thread-safe: one
 * buffer, one thread.
 */
#ifndef DD_BUF_H
#define DD_BUF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct dd_buf {
    char *data;
    size_t len;
    size_t cap;
};

void dd_buf_init(struct dd_buf *b);
void dd_buf_release(struct dd_buf *b);
void dd_buf_reset(struct dd_buf *b); /* len = 0, keeps memory */
void dd_buf_reserve(struct dd_buf *b, size_t extra);
void dd_buf_append(struct dd_buf *b, const void *p, size_t n);
void dd_buf_puts(struct dd_buf *b, const char *s);
void dd_buf_putc(struct dd_buf *b, char c);
void dd_buf_printf(struct dd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dd_buf_vprintf(struct dd_buf *b, const char *fmt, va_list ap);
/* Hands the bytes to the caller (free() them); the buffer is empty after. */
char *dd_buf_take(struct dd_buf *b, size_t *len);

/* JSON pieces.  Strings are escaped per RFC 8259 and always come out as
 * valid UTF-8: each ill-formed byte sequence of s (its maximal subpart, as
 * Unicode 15 section 3.9 recommends) is written as U+FFFD, so an answer
 * that echoes bytes from a URL stays valid JSON.  Doubles that are not
 * finite are written as null (driftd never emits NaN). */
void dd_json_str(struct dd_buf *b, const char *s);
void dd_json_strn(struct dd_buf *b, const char *s, size_t n);
void dd_json_num(struct dd_buf *b, double v);
void dd_json_int(struct dd_buf *b, int64_t v);
/* "key": — with a leading comma unless *first is set (then clears it). */
void dd_json_key(struct dd_buf *b, const char *key, int *first);
/* Epoch milliseconds as an RFC 3339 UTC string in quotes, null for < 0. */
void dd_json_time(struct dd_buf *b, int64_t ms);
/* One object member: dd_json_key() then the value, so an object reads as one
 * line a member. */
void dd_json_kstr(struct dd_buf *b, int *first, const char *key, const char *s);
void dd_json_knum(struct dd_buf *b, int *first, const char *key, double v);
void dd_json_kint(struct dd_buf *b, int *first, const char *key, int64_t v);
void dd_json_kbool(struct dd_buf *b, int *first, const char *key, int v);
void dd_json_ktime(struct dd_buf *b, int *first, const char *key, int64_t ms);

/* The first byte of p..end that is not JSON whitespace (space, tab, CR, LF),
 * end if none: what may follow a JSON text is only that whitespace.  cJSON
 * stops after the first value and ignores the rest, so
 * `{"events":[...]}{"events":[...]}` would store the first batch and drop the
 * second unseen; the body parsers check the tail with this. */
const char *dd_json_skip_blank(const char *p, const char *end);

/* Numbers as text.  dd_double_text(): the shortest of %.15g, %.16g and
 * %.17g that reads back as v (3.7 -> "3.7", where %.17g writes
 * 3.7000000000000002) into t, its length as snprintf() answers it.
 * dd_text_double(): 1 and *out when s[0..n) is, whole, a finite number as
 * strtod() reads it (n > 0; "3x", "nan" and "inf" are not), else 0. */
int dd_double_text(double v, char *t, size_t size);
int dd_text_double(const char *s, size_t n, double *out);

/* The UTF-8 sequence at s[0..n), n >= 1, per RFC 3629 (no overlongs, no
 * surrogates, nothing above U+10FFFF): its length 1..4 when well formed,
 * otherwise minus the length of its maximal ill-formed subpart (-1..-3),
 * the bytes one U+FFFD stands for.  U+0000 counts as well formed here. */
int dd_utf8_seq(const unsigned char *s, size_t n);

#endif
