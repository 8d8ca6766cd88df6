/* utf8.h — the string rules of request bodies, checked on the raw JSON text.
 *
 * Every string of a body (values and member names alike) must be valid
 * UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) and
 * must not contain U+0000 (cJSON cuts a string at an embedded NUL, so
 * "n\u00001" and "n\u00002" would both become "n").  The check runs on the
 * text before cJSON parses it: in JSON, raw bytes >= 0x80 and escapes can
 * only sit inside strings (and a 0x00 byte nowhere), so one pass over the
 * bytes finds every bad string — raw invalid UTF-8, a raw 0x00 byte, a
 * \u0000 escape, and a \uD800-\uDFFF escape that is not half of a
 * surrogate pair.  Only when it finds one does dd_json_where() walk the
 * text again to name the field the problem is in; a problem in no string
 * means the text is not JSON (cJSON takes a 0x00 for white space, so the
 * caller must refuse such a text rather than look further).
 *
 * ingest/parse.c runs dd_text_scan() on every body cJSON parses; the fast
 * path (ingest/jsonfast.c) takes only bodies without escapes or control
 * bytes and checks its non-ASCII strings with dd_utf8_valid(), so both
 * paths accept exactly the same bodies.  Pure functions, thread-safe.
 */
#ifndef DD_UTF8_H
#define DD_UTF8_H
#include <stddef.h>

/* 1 when s[0..n) is valid UTF-8 (U+0000 included), 0 otherwise.  ASCII
 * goes eight bytes at a time. */
int dd_utf8_valid(const char *s, size_t n);

enum dd_text_kind {
    DD_TEXT_BAD_UTF8 = 1, /* an ill-formed UTF-8 sequence starts at offset */
    DD_TEXT_NUL,          /* a raw 0x00 byte */
    DD_TEXT_NUL_ESCAPE,   /* \u0000 */
    DD_TEXT_SURROGATE,    /* \uD800..\uDFFF that is not half of a pair */
};

struct dd_text_problem {
    enum dd_text_kind kind;
    size_t offset;      /* of the bad byte, or of the escape's backslash */
    unsigned char byte; /* DD_TEXT_BAD_UTF8: the first byte of the sequence */
    char escape[7];     /* the escapes: the six bytes as written */
};

/* 0 when the JSON text s[0..n) breaks none of the rules; 1 and *out
 * describing the first place that does.  Text that is not JSON may give
 * either answer (the parser rejects it anyway). */
int dd_text_scan(const char *s, size_t n, struct dd_text_problem *out);

/* Where offset off of the JSON text s[0..n) is. */
struct dd_json_where {
    int in_string;  /* 0: off is in no string (the text is not JSON) */
    int in_name;    /* off is in a member name: path is the object holding it */
    long item;      /* the index in the array under the root member named
                             * `list` ("events[3]..." -> 3), -1 if off is not in one */
    char path[128]; /* "events[3].features.country", "" for the root value;
                             * member names decoded, each cut to 60 bytes, "..."
                             * ending a path that did not fit */
};
void dd_json_where(const char *s, size_t n, size_t off, const char *list, struct dd_json_where *w);

/* The message for a problem, without the path: "is not valid UTF-8 (byte
 * 0xff at offset 12 of the body)", "contains U+0000 (\u0000), which is not
 * allowed", with "a member name " in front when in_name.  base is added to
 * the offsets shown (the text's offset in the body, for NDJSON lines). */
void dd_text_describe(const struct dd_text_problem *p, int in_name, size_t base, char *out,
                      size_t cap);

#endif
