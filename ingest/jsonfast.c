/* jsonfast.c — see jsonfast.h.  A recursive-descent parser over a strict
 * subset of RFC 8259; every "no" is a fall back to cJSON, never an error. */
#include "ingest/jsonfast.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/utf8.h"

#define NUMBER_TOKEN_MAX 40 /* longer numbers go to cJSON (it copies at most 63) */

struct p {
    const char *s, *end;
    struct dd_arena *a;
};

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static void ws(struct p *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t'))
        p->s++;
}

static cJSON *node(struct p *p, int type)
{
    cJSON *n = dd_arena_alloc(p->a, sizeof *n);
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 if any of the n bytes is a backslash or below 0x20, else 2 if any is
 * 0x80 or above (non-ASCII text, to be checked as UTF-8), else 0; eight at
 * a time (embedding_b64 strings are kilobytes long). */
static int has_escape_or_control(const unsigned char *b, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t high = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, b + i, 8);
        uint64_t bs = x ^ (ones * '\\');
        /* a zero byte in bs (a backslash), or a byte < 0x20 in x */
        if (((bs - ones) & ~bs & highs) | ((x - ones * 0x20) & ~x & highs))
            return 1;
        high |= x;
    }
    for (; i < n; i++) {
        if (b[i] < 0x20 || b[i] == '\\')
            return 1;
        high |= b[i];
    }
    return high & highs ? 2 : 0;
}

/* A JSON string without escapes or control bytes, and valid UTF-8 (the
 * string rules of utf8.h: an invalid one goes to cJSON's path, where the
 * body check names it), NUL-terminated in the arena; NULL otherwise. */
static char *string(struct p *p)
{
    if (p->s >= p->end || *p->s != '"')
        return NULL;
    const char *start = p->s + 1;
    const char *q = memchr(start, '"', (size_t)(p->end - start));
    if (!q)
        return NULL;
    size_t n = (size_t)(q - start);
    int k = has_escape_or_control((const unsigned char *)start, n);
    if (k == 1 || (k == 2 && !dd_utf8_valid(start, n)))
        return NULL;
    p->s = q + 1;
    return dd_arena_strndup(p->a, start, n);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(struct p *p, double *out)
{
    const char *t = p->s;
    int neg = 0;
    uint64_t m = 0;
    int sig = 0, e10 = 0;
    if (t < p->end && *t == '-') {
        neg = 1;
        t++;
    }
    if (t >= p->end || !is_digit(*t))
        return -1;
    if (*t == '0') {
        t++;
    } else {
        while (t < p->end && is_digit(*t)) {
            if (sig < 19) {
                m = m * 10 + (uint64_t)(*t - '0');
                if (m)
                    sig++;
            } else {
                sig++;
                e10++;
            }
            t++;
        }
    }
    if (t < p->end && *t == '.') {
        t++;
        if (t >= p->end || !is_digit(*t))
            return -1;
        while (t < p->end && is_digit(*t)) {
            if (sig < 19) {
                m = m * 10 + (uint64_t)(*t - '0');
                if (m)
                    sig++;
                e10--;
            } else {
                sig++;
            }
            t++;
        }
    }
    if (t < p->end && (*t == 'e' || *t == 'E')) {
        t++;
        int eneg = 0, e = 0;
        if (t < p->end && (*t == '+' || *t == '-'))
            eneg = *t++ == '-';
        if (t >= p->end || !is_digit(*t))
            return -1;
        while (t < p->end && is_digit(*t)) {
            if (e < 100000)
                e = e * 10 + (*t - '0');
            t++;
        }
        e10 += eneg ? -e : e;
    }
    size_t len = (size_t)(t - p->s);
    if (sig <= 19 && m <= (1ull << 53) && e10 >= -22 && e10 <= 22) {
        double v = (double)m;
        v = e10 >= 0 ? v * pow10_exact[e10] : v / pow10_exact[-e10];
        *out = neg ? -v : v;
    } else {
        if (len > NUMBER_TOKEN_MAX)
            return -1;
        char tok[NUMBER_TOKEN_MAX + 1];
        memcpy(tok, p->s, len);
        tok[len] = '\0';
        *out = strtod(tok, NULL);
    }
    p->s = t;
    return 0;
}

static cJSON *value(struct p *p, int depth);

/* Appends child to parent's list (cJSON keeps first->prev = last). */
static void append(cJSON *parent, cJSON *child)
{
    if (!parent->child) {
        parent->child = child;
    } else {
        cJSON *last = parent->child->prev;
        last->next = child;
        child->prev = last;
    }
    parent->child->prev = child;
}

static cJSON *container(struct p *p, int depth, int object)
{
    if (depth >= DD_JSONFAST_DEPTH)
        return NULL;
    cJSON *n = node(p, object ? cJSON_Object : cJSON_Array);
    p->s++; /* '{' or '[' */
    ws(p);
    char close = object ? '}' : ']';
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return n;
    }
    for (;;) {
        char *key = NULL;
        if (object) {
            if (!(key = string(p)))
                return NULL;
            ws(p);
            if (p->s >= p->end || *p->s != ':')
                return NULL;
            p->s++;
            ws(p);
        }
        cJSON *v = value(p, depth + 1);
        if (!v)
            return NULL;
        v->string = key;
        append(n, v);
        ws(p);
        if (p->s >= p->end)
            return NULL;
        if (*p->s == ',') {
            p->s++;
            ws(p);
            continue;
        }
        if (*p->s != close)
            return NULL;
        p->s++;
        return n;
    }
}

static int literal(struct p *p, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return -1;
    p->s += n;
    return 0;
}

static cJSON *value(struct p *p, int depth)
{
    if (p->s >= p->end)
        return NULL;
    cJSON *n;
    switch (*p->s) {
    case '{':
        return container(p, depth, 1);
    case '[':
        return container(p, depth, 0);
    case '"': {
        char *s = string(p);
        if (!s)
            return NULL;
        n = node(p, cJSON_String);
        n->valuestring = s;
        return n;
    }
    case 't':
        return literal(p, "true") ? NULL : node(p, cJSON_True);
    case 'f':
        return literal(p, "false") ? NULL : node(p, cJSON_False);
    case 'n':
        return literal(p, "null") ? NULL : node(p, cJSON_NULL);
    default: {
        double d;
        if (number(p, &d) != 0)
            return NULL;
        n = node(p, cJSON_Number);
        n->valuedouble = d;
        /* cJSON's saturated int view, for completeness */
        n->valueint = d >= 2147483647.0    ? 2147483647
                      : d <= -2147483648.0 ? (-2147483647 - 1)
                                           : (int)d;
        return n;
    }
    }
}

cJSON *dd_jsonfast_parse(const char *s, size_t len, struct dd_arena *scratch)
{
    struct p p = {s, s + len, scratch};
    ws(&p);
    if (p.s >= p.end || (*p.s != '{' && *p.s != '['))
        return NULL;
    cJSON *root = value(&p, 0);
    if (!root)
        return NULL;
    ws(&p);
    return p.s == p.end ? root : NULL; /* trailing bytes: refused on the cJSON path */
}
