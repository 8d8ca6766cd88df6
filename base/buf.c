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

void dd_json_strn(struct dd_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    dd_buf_reserve(b, n + 2);
    dd_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': dd_buf_append(b, "\\\"", 2); break;
        case '\\': dd_buf_append(b, "\\\\", 2); break;
        case '\n': dd_buf_append(b, "\\n", 2); break;
        case '\r': dd_buf_append(b, "\\r", 2); break;
        case '\t': dd_buf_append(b, "\\t", 2); break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                dd_buf_append(b, e, 6);
            } else {
                dd_buf_putc(b, (char)c);
            }
        }
    }
    dd_buf_putc(b, '"');
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
    if (v == (double)(int64_t)v && fabs(v) < 1e15)
        dd_buf_printf(b, "%lld", (long long)v);
    else {
        /* shortest of %.15g/%.16g/%.17g that reads back as the same double */
        char t[32];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(t, sizeof t, "%.*g", prec, v);
            if (strtod(t, NULL) == v)
                break;
        }
        dd_buf_puts(b, t);
    }
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
