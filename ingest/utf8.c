/* utf8.c — the string rules of request bodies (utf8.h): one pass over the
 * raw text, eight bytes at a time while they are ASCII without a backslash
 * or a 0x00; then, only for a body that breaks a rule, a walk that names
 * the field. */
#include "ingest/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"

static const uint64_t ONES = 0x0101010101010101ull, HIGHS = 0x8080808080808080ull;

int dd_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        for (; i + 8 <= n; i += 8) {
            uint64_t x;
            memcpy(&x, u + i, 8);
            if (x & HIGHS)
                break;
        }
        while (i < n && u[i] < 0x80)
            i++;
        if (i == n)
            break;
        int k = dd_utf8_seq(u + i, n - i);
        if (k < 0)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

static int hex4(const unsigned char *p, size_t avail, unsigned *out)
{
    if (avail < 4)
        return 0;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = p[k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

static int found(struct dd_text_problem *out, enum dd_text_kind kind, const unsigned char *u,
                 size_t at)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->offset = at;
    out->byte = u[at];
    if (kind == DD_TEXT_NUL_ESCAPE || kind == DD_TEXT_SURROGATE)
        memcpy(out->escape, u + at, 6);
    return 1;
}

int dd_text_scan(const char *s, size_t n, struct dd_text_problem *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t end = n;
        if (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, u + i, 8);
            uint64_t bs = x ^ (ONES * '\\');
            /* any byte >= 0x80, 0x00 or '\\' (exact as a yes/no) */
            if (!((x | ((x - ONES) & ~x) | ((bs - ONES) & ~bs)) & HIGHS)) {
                i += 8;
                continue;
            }
            end = i + 8;
        }
        while (i < end) { /* a sequence or an escape may run past end: fine */
            unsigned c = u[i];
            if (c == 0)
                return found(out, DD_TEXT_NUL, u, i);
            if (c >= 0x80) {
                int k = dd_utf8_seq(u + i, n - i);
                if (k < 0)
                    return found(out, DD_TEXT_BAD_UTF8, u, i);
                i += (size_t)k;
            } else if (c != '\\') {
                i++;
            } else if (i + 1 < n && u[i + 1] == 'u') {
                unsigned cp, lo;
                if (!hex4(u + i + 2, n - i - 2, &cp)) {
                    i += 2; /* not JSON: the parser's to reject */
                    continue;
                }
                if (cp == 0)
                    return found(out, DD_TEXT_NUL_ESCAPE, u, i);
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (n - i >= 12 && u[i + 6] == '\\' && u[i + 7] == 'u' &&
                        hex4(u + i + 8, n - i - 8, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
                        i += 12;
                        continue;
                    }
                    return found(out, DD_TEXT_SURROGATE, u, i);
                }
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return found(out, DD_TEXT_SURROGATE, u, i);
                i += 6;
            } else {
                /* \" \\ \n ...: skip both, so "\\u0000" is a backslash and
                 * "u0000"; a 0x00 or non-ASCII byte after it is checked */
                i += i + 1 < n && u[i + 1] > 0 && u[i + 1] < 0x80 ? 2 : 1;
            }
        }
    }
    return 0;
}

/* ---- naming the field: a walk over the text up to the offset ---- */

#define WHERE_DEPTH 1000 /* cJSON's nesting limit */
#define NAME_SHOWN 60    /* bytes of one member name in a path */

struct frame {
    int object;
    long index;  /* arrays: the element the walk is in */
    size_t base; /* path length of the container itself */
};

struct path {
    char *p;
    size_t cap; /* of p, room for "..." kept */
    size_t len; /* as if p were endless */
};

static void path_put(struct path *pa, const char *s, size_t k)
{
    for (size_t j = 0; j < k; j++, pa->len++)
        if (pa->len < pa->cap - 4)
            pa->p[pa->len] = s[j];
}

static void path_cut(struct path *pa, size_t len)
{
    pa->len = len;
}

static void path_index(struct path *pa, long i)
{
    char t[24];
    int k = snprintf(t, sizeof t, "[%ld]", i);
    path_put(pa, t, (size_t)k);
}

/* Appends one UTF-8 encoded code point. */
static size_t utf8_encode(unsigned cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The member name s[a..b) (between its quotes) decoded as cJSON decodes it,
 * at most NAME_SHOWN bytes and whole characters, appended to the path.
 * Names before the offset keep the rules, so every escape here is sound. */
static void path_name(struct path *pa, const unsigned char *s, size_t a, size_t b)
{
    char out[NAME_SHOWN + 4];
    size_t o = 0;
    for (size_t i = a; i < b;) {
        char t[4] = {(char)s[i]};
        size_t k = 1, used = 1;
        if (s[i] != '\\') {
            int q = dd_utf8_seq(s + i, b - i);
            used = k = q > 0 ? (size_t)q : 1;
            memcpy(t, s + i, k);
        } else if (i + 1 < b && s[i + 1] == 'u') {
            unsigned cp = 0, lo;
            hex4(s + i + 2, b - i - 2, &cp);
            used = 6;
            if (cp >= 0xd800 && cp <= 0xdbff && b - i >= 12 && s[i + 6] == '\\' &&
                s[i + 7] == 'u' && hex4(s + i + 8, 4, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                used = 12;
            }
            k = utf8_encode(cp, t);
        } else if (i + 1 < b) {
            const char *from = "bfnrt", *to = "\b\f\n\r\t";
            const char *m = strchr(from, s[i + 1]);
            t[0] = m && s[i + 1] ? to[m - from] : (char)s[i + 1];
            used = 2;
        }
        if (o + k > NAME_SHOWN)
            break;
        memcpy(out + o, t, k);
        o += k;
        i += used;
    }
    if (pa->len > 0)
        path_put(pa, ".", 1);
    path_put(pa, out, o);
}

/* The index of the closing quote of the string opening at s[i], or n. */
static size_t string_end(const unsigned char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i;
    }
    return n;
}

void dd_json_where(const char *text, size_t n, size_t off, const char *list,
                   struct dd_json_where *w)
{
    const unsigned char *s = (const unsigned char *)text;
    memset(w, 0, sizeof *w);
    w->item = -1;
    struct path pa = {w->path, sizeof w->path, 0};
    struct frame *fr = dd_malloc(WHERE_DEPTH * sizeof *fr);
    int depth = 0, expect_name = 0, root_done = 0, top_is_list = 0;
    size_t i = 0;
    while (i < n && i <= off) {
        unsigned c = s[i];
        if (c == '"') {
            if (depth == 0 && root_done)
                break;
            size_t j = string_end(s, n, i);
            int is_name = depth > 0 && fr[depth - 1].object && expect_name;
            if (is_name)
                path_cut(&pa, fr[depth - 1].base);
            if (off <= j) {
                w->in_string = 1;
                w->in_name = is_name;
                if (top_is_list && depth >= 2 && !fr[1].object)
                    w->item = fr[1].index;
                break;
            }
            if (is_name) {
                path_name(&pa, s, i + 1, j);
                if (depth == 1)
                    top_is_list = list && pa.len == strlen(list) && !memcmp(pa.p, list, pa.len);
                expect_name = 0;
            }
            if (depth == 0)
                root_done = 1;
            i = j + 1;
            continue;
        }
        if (i == off)
            break; /* off is in no string */
        if (c == '{' || c == '[') {
            if (depth == WHERE_DEPTH || (depth == 0 && root_done))
                break;
            fr[depth].object = c == '{';
            fr[depth].index = 0;
            fr[depth].base = pa.len;
            depth++;
            if (c == '[')
                path_index(&pa, 0);
            expect_name = c == '{';
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break;
            depth--;
            path_cut(&pa, fr[depth].base);
            expect_name = 0;
            if (depth == 0)
                root_done = 1;
        } else if (c == ',' && depth > 0) {
            struct frame *f = &fr[depth - 1];
            if (f->object) {
                expect_name = 1;
            } else {
                f->index++;
                path_cut(&pa, f->base);
                path_index(&pa, f->index);
            }
        }
        i++;
    }
    free(fr);
    if (!w->in_string) {
        w->path[0] = '\0';
        return;
    }
    if (pa.len <= pa.cap - 4) {
        w->path[pa.len] = '\0';
    } else { /* cut: end on a whole character, then "..." */
        size_t k = 0, lim = pa.cap - 4;
        for (int q; k < lim && (q = dd_utf8_seq((unsigned char *)w->path + k, lim - k)) > 0;)
            k += (size_t)q;
        memcpy(w->path + k, "...", 4);
    }
}

void dd_text_describe(const struct dd_text_problem *p, int in_name, size_t base, char *out,
                      size_t cap)
{
    const char *who = in_name ? "a member name " : "";
    size_t at = base + p->offset;
    switch (p->kind) {
    case DD_TEXT_BAD_UTF8:
        snprintf(out, cap, "%sis not valid UTF-8 (byte 0x%02x at offset %zu of the body)", who,
                 p->byte, at);
        break;
    case DD_TEXT_NUL:
        snprintf(out, cap,
                 "%scontains U+0000 (byte 0x00 at offset %zu of the body), which is not allowed",
                 who, at);
        break;
    case DD_TEXT_NUL_ESCAPE:
        snprintf(out, cap, "%scontains U+0000 (%s), which is not allowed", who, p->escape);
        break;
    case DD_TEXT_SURROGATE:
        snprintf(out, cap,
                 "%scontains a lone UTF-16 surrogate (%s at offset %zu of the body), which is "
                 "not allowed",
                 who, p->escape, at);
        break;
    }
}
