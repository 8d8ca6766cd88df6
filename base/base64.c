/* base64.c — table-driven RFC 4648 codec of base64.h. */
#include "base64.h"

#include <pthread.h>
#include <string.h>

#include "err.h"

static const char enc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 64 for '=', 255 for everything else: made
 * from enc[] once, so the two tables cannot disagree. */
static uint8_t dec[256];
static pthread_once_t dec_once = PTHREAD_ONCE_INIT;

static void dec_init(void)
{
    memset(dec, 255, sizeof dec);
    for (uint8_t i = 0; i < 64; i++)
        dec[(uint8_t)enc[i]] = i;
    dec['='] = 64;
}

int dd_base64_decode(const char *s, size_t n, uint8_t *out, size_t *out_len)
{
    if (n % 4)
        return DD_EINVAL;
    pthread_once(&dec_once, dec_init);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint8_t a = dec[(uint8_t)s[i]], b = dec[(uint8_t)s[i + 1]];
        uint8_t c = dec[(uint8_t)s[i + 2]], d = dec[(uint8_t)s[i + 3]];
        if ((a | b | c | d) < 64) {
            uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
            out[o++] = (uint8_t)(v >> 16);
            out[o++] = (uint8_t)(v >> 8);
            out[o++] = (uint8_t)v;
            continue;
        }
        /* padding only in the last quantum: "xx==" or "xxx=" */
        if (i + 4 != n || a >= 64 || b >= 64 || d != 64 || c == 255)
            return DD_EINVAL;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12;
        out[o++] = (uint8_t)(v >> 16);
        if (c != 64) {
            v |= (uint32_t)c << 6;
            out[o++] = (uint8_t)(v >> 8);
        }
    }
    *out_len = o;
    return 0;
}

void dd_base64_encode(const uint8_t *p, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = enc[v >> 18];
        out[o++] = enc[(v >> 12) & 63];
        out[o++] = enc[(v >> 6) & 63];
        out[o++] = enc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = enc[v >> 18];
        out[o++] = enc[(v >> 12) & 63];
        out[o++] = i + 1 < n ? enc[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
}
