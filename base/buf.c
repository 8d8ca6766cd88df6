/* buf.c — growable buffer and JSON writer of buf.h. */
#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "timefmt.h"

void dd_buf_init(struct dd_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void dd_buf_release(struct dd_buf *b)
{
    if (!b)
        return;
    free(b->data);
    dd_buf_init(b);
}

void dd_buf_reset(struct dd_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dd_buf_reserve(struct dd_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = dd_realloc(b->data, cap);
    b->cap = cap;
}

void dd_buf_append(struct dd_buf *b, const void *p, size_t n)
{
    dd_buf_reserve(b, n);
    if (n) /* p may be NULL for nothing */
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void dd_buf_puts(struct dd_buf *b, const char *s)
{
    dd_buf_append(b, s, strlen(s));
}

void dd_buf_putc(struct dd_buf *b, char c)
{
    dd_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void dd_buf_vprintf(struct dd_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    dd_buf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n >= 0 && (size_t)n >= b->cap - b->len) {
        dd_buf_reserve(b, (size_t)n);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    if (n > 0)
        b->len += (size_t)n;
}

void dd_buf_printf(struct dd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dd_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *dd_buf_take(struct dd_buf *b, size_t *len)
{
    if (!b->data)
        dd_buf_reserve(b, 0), b->data[0] = '\0';
    char *p = b->data;
    if (len)
        *len = b->len;
    dd_buf_init(b);
    return p;
}

int dd_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int len;
    unsigned lo = 0x80, hi = 0xbf; /* range of the second byte (RFC 3629 table) */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates D800..DFFF */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return -1; /* a continuation byte, C0, C1 or F5..FF */
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n || s[i] < lo || s[i] > hi)
            return -i;
        lo = 0x80;
        hi = 0xbf;
    }
    return len;
}

/* How many bytes from s on can be copied as they are: printable ASCII other
 * than '"' and '\\'.  Eight at a time, as reports are mostly that. */
static size_t json_plain_run(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
        /* any byte >= 0x80, < 0x20, '"' or '\\' (exact as a yes/no) */
        if ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs)
            break;
    }
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* The characters JSON escapes with a backslash and one letter; every other
 * one that json_plain_run() stops at is written as \u00XX. */
static const char json_short[128] = {
    ['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};

void dd_json_strn(struct dd_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    dd_buf_reserve(b, n + 2);
    dd_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = json_plain_run(u + i, n - i);
        if (run) {
            dd_buf_append(b, u + i, run);
            i += run;
            if (i == n)
                break;
        }
        unsigned char c = u[i];
        if (c >= 0x80) {
            int k = dd_utf8_seq(u + i, n - i);
            if (k > 0) {
                dd_buf_append(b, u + i, (size_t)k);
                i += (size_t)k;
            } else {
                dd_buf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD */
                i += (size_t)-k;
            }
            continue;
        }
        if (c < sizeof json_short && json_short[c]) {
            char e[2] = {'\\', json_short[c]};
            dd_buf_append(b, e, 2);
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            dd_buf_append(b, e, 6);
        }
        i++;
    }
    dd_buf_putc(b, '"');
}

const char *dd_json_skip_blank(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

void dd_json_str(struct dd_buf *b, const char *s)
{
    if (!s) {
        dd_buf_append(b, "null", 4);
        return;
    }
    dd_json_strn(b, s, strlen(s));
}

void dd_json_num(struct dd_buf *b, double v)
{
    if (!isfinite(v)) {
        dd_buf_append(b, "null", 4);
        return;
    }
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) /* range first: the cast is UB past 2^63 */
        dd_buf_printf(b, "%lld", (long long)v);
    else {
        char t[32];
        dd_double_text(v, t, sizeof t);
        dd_buf_puts(b, t);
    }
}

int dd_double_text(double v, char *t, size_t size)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(t, size, "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    return n;
}

int dd_text_double(const char *s, size_t n, double *out)
{
    if (n == 0)
        return 0;
    char small[64];
    char *t = n < sizeof small ? small : dd_malloc(n + 1);
    memcpy(t, s, n);
    t[n] = 0;
    char *end;
    double d = strtod(t, &end);
    int ok = end == t + n && isfinite(d);
    if (t != small)
        free(t);
    if (ok)
        *out = d;
    return ok;
}

void dd_json_int(struct dd_buf *b, int64_t v)
{
    dd_buf_printf(b, "%lld", (long long)v);
}

void dd_json_key(struct dd_buf *b, const char *key, int *first)
{
    if (first && *first)
        *first = 0;
    else
        dd_buf_putc(b, ',');
    dd_json_str(b, key);
    dd_buf_putc(b, ':');
}

void dd_json_kstr(struct dd_buf *b, int *first, const char *key, const char *s)
{
    dd_json_key(b, key, first);
    dd_json_str(b, s);
}

void dd_json_knum(struct dd_buf *b, int *first, const char *key, double v)
{
    dd_json_key(b, key, first);
    dd_json_num(b, v);
}

void dd_json_kint(struct dd_buf *b, int *first, const char *key, int64_t v)
{
    dd_json_key(b, key, first);
    dd_json_int(b, v);
}

void dd_json_kbool(struct dd_buf *b, int *first, const char *key, int v)
{
    dd_json_key(b, key, first);
    dd_buf_puts(b, v ? "true" : "false");
}

void dd_json_ktime(struct dd_buf *b, int *first, const char *key, int64_t ms)
{
    dd_json_key(b, key, first);
    dd_json_time(b, ms);
}

void dd_json_time(struct dd_buf *b, int64_t ms)
{
    if (ms < 0) {
        dd_buf_append(b, "null", 4);
        return;
    }
    char t[DD_TIME_STRLEN];
    dd_time_format(ms, t);
    dd_buf_putc(b, '"');
    dd_buf_puts(b, t);
    dd_buf_putc(b, '"');
}
