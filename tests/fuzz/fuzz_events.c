/* fuzz_events.c — libFuzzer target for the event-batch parser/validator
 * (ingest/parse.c).  The first byte picks JSON or NDJSON; the rest is the
 * body.  Any accepted batch must be internally consistent, every string in
 * it valid UTF-8 without U+0000 (ingest/utf8.h), and the JSON fast path
 * (ingest/jsonfast.c) must give exactly what cJSON alone gives.  The same
 * bytes also go through the labels, settings and time-range parsers, and
 * through the JSON string writer, whose output must be valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "ingest/parse.h"
#include "ingest/utf8.h"
#include "parse_both.h"

/* A string of an accepted body: valid UTF-8, no 0x00 (NULL is fine). */
static void text_ok(const char *s, size_t n)
{
    if (s && (!dd_utf8_valid(s, n) || memchr(s, 0, n)))
        abort();
}
#define CSTR_OK(s) text_ok(s, (s) ? strlen(s) : 0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum dd_body_format fmt = (data[0] & 1) ? DD_BODY_NDJSON : DD_BODY_JSON;
    if (!parse_both_agree((const char *)data + 1, size - 1, fmt))
        abort();
    struct dd_batch b;
    struct dd_parse_error err = {0};
    int rc = dd_parse_events((const char *)data + 1, size - 1, fmt, &b, &err);
    if (rc == 0) {
        for (size_t i = 0; i < b.n; i++) {
            const struct dd_event *e = &b.events[i];
            if (!e->version || (b.dim && e->dim && e->dim != b.dim))
                abort();
            CSTR_OK(e->id);
            CSTR_OK(e->version);
            CSTR_OK(e->prediction);
            CSTR_OK(e->label);
            size_t pos = 0;
            struct dd_feature f;
            int r;
            while ((r = dd_features_next(e->features, e->features_len, &pos, &f)) == 1) {
                text_ok(f.name, f.name_len);
                if (f.is_string)
                    text_ok(f.str, f.str_len);
            }
            if (r != 0)
                abort();
        }
    } else if (!err.code || !err.message[0]) {
        abort();
    }
    dd_batch_release(&b);
    struct dd_labels l;
    if (dd_parse_labels((const char *)data + 1, size - 1, &l, &err) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            CSTR_OK(l.items[i].id);
            CSTR_OK(l.items[i].label);
        }
        dd_labels_release(&l);
    }
    static struct dd_settings_input in;
    if (dd_parse_settings((const char *)data + 1, size - 1, &in, &err) == 0) {
        CSTR_OK(in.window);
        for (int i = 0; i < in.n_methods; i++)
            CSTR_OK(in.methods[i].signal);
    }
    int64_t from, to;
    dd_parse_time_range((const char *)data + 1, size - 1, &from, &to, &err);
    /* whatever the bytes, the JSON writer's output is valid UTF-8 */
    struct dd_buf out;
    dd_buf_init(&out);
    dd_json_strn(&out, (const char *)data + 1, size - 1);
    dd_json_str(&out, err.message);
    if (!dd_utf8_valid(out.data, out.len) || memchr(out.data, 0, out.len))
        abort();
    dd_buf_release(&out);
    return 0;
}
