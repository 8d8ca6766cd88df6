/* parse_both.h — parses a body with ingest/jsonfast.c's fast path on (as
 * dd_parse_events() does) and off (dd_parse_options.no_fast_path) and says
 * whether the two results are identical: same status, same error (code,
 * index, message), same events byte for byte.  No global state: both
 * parses may run on any thread.  Used by the fuzz target and by
 * tests/unit/ingest/test_jsonfast.c. */
#ifndef DD_PARSE_BOTH_H
#define DD_PARSE_BOTH_H
#include <string.h>

#include "event_eq.h"
#include "ingest/parse.h"

/* 1 when both paths agree, 0 otherwise. */
static int parse_both_agree(const char *s, size_t n, enum dd_body_format fmt)
{
    struct dd_batch fast, slow;
    struct dd_parse_error ef, es;
    memset(&ef, 0, sizeof ef);
    memset(&es, 0, sizeof es);
    const struct dd_parse_options cjson_only = {.no_fast_path = 1};
    int rf = dd_parse_events(s, n, fmt, &fast, &ef);
    int rs = dd_parse_events_with(s, n, fmt, &cjson_only, &slow, &es);
    int same = rf == rs;
    if (same && rf != 0)
        same =
            ee_str_eq(ef.code, es.code) && ef.index == es.index && !strcmp(ef.message, es.message);
    if (same && rf == 0) {
        same = fast.n == slow.n && fast.dim == slow.dim;
        for (size_t i = 0; same && i < fast.n; i++)
            same = event_eq(&fast.events[i], &slow.events[i]);
    }
    if (rf == 0)
        dd_batch_release(&fast);
    if (rs == 0)
        dd_batch_release(&slow);
    return same;
}

#endif
