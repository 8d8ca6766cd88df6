/* fixture_signals.h — what the tests of server/monitor/signals.c share
 * (test_signals.c, test_types.c): events from NDJSON text, and a signal by
 * name.  Static functions: each test includes it once. */
#ifndef DD_FIXTURE_SIGNALS_H
#define DD_FIXTURE_SIGNALS_H

#include <stdio.h>
#include <string.h>

#include "ingest/parse.h"
#include "server/monitor/signals.h"
#include "check.h"

/* The events of ndjson into b (a parse error fails the case). */
static void load(const char *ndjson, struct dd_batch *b)
{
    struct dd_parse_error pe;
    int rc = dd_parse_events(ndjson, strlen(ndjson), DD_BODY_NDJSON, b, &pe);
    if (rc)
        fprintf(stderr, "parse: %s\n", pe.message);
    CHECK_EQ_INT(rc, 0);
}

/* The signal of s named `name`, NULL when there is none. */
static const struct dd_signal_input *find(const struct signal_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->inputs[i].name, name))
            return &s->inputs[i];
    return NULL;
}

#endif
