/* fuzz_events.c — libFuzzer target for the event-batch parser/validator
 * (ingest/parse.c).  The first byte picks JSON or NDJSON; the rest is the
 * body.  Any accepted batch must be internally consistent, and the JSON
 * fast path (ingest/jsonfast.c) must give exactly what cJSON alone gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "parse_both.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum dd_body_format fmt = (data[0] & 1) ? DD_BODY_NDJSON : DD_BODY_JSON;
    if (!parse_both_agree((const char *)data + 1, size - 1, fmt))
        abort();
    struct dd_batch b;
    struct dd_parse_error err;
    int rc = dd_parse_events((const char *)data + 1, size - 1, fmt, &b, &err);
    if (rc == 0) {
        for (size_t i = 0; i < b.n; i++) {
            const struct dd_event *e = &b.events[i];
            if (!e->version || (b.dim && e->dim && e->dim != b.dim))
                abort();
            size_t pos = 0;
            struct dd_feature f;
            int r;
            while ((r = dd_features_next(e->features, e->features_len, &pos, &f)) == 1)
                ;
            if (r != 0)
                abort();
        }
    } else if (!err.code || !err.message[0]) {
        abort();
    }
    dd_batch_release(&b);
    struct dd_labels l;
    if (dd_parse_labels((const char *)data + 1, size - 1, &l, &err) == 0)
        dd_labels_release(&l);
    return 0;
}
