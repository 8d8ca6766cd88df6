/* ref_report.h — the drift body of a prepared reference against a current
 * window, as GET .../drift writes it (model "m", version "v", no time range,
 * no computed_at).  Shared by fuzz_summary.c and
 * tests/unit/server/monitor/test_reference.c, which include it as
 * "tests/fuzz/ref_report.h" (like parse_both.h, one copy for both). */
#ifndef DD_TEST_REF_REPORT_H
#define DD_TEST_REF_REPORT_H
#include <stddef.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "ingest/parse.h"
#include "server/monitor/drift.h"
#include "server/monitor/reference.h"

/* Evaluates r against cur with options o and appends the drift body to
 * json; 0, or drift_evaluate()'s code with its message in err. */
static inline int ref_report_json(const struct ref_prepared *r, const struct dd_batch *cur,
                                  const struct dd_eval_options *o, struct dd_buf *json, char *err,
                                  size_t err_len)
{
    struct dd_report rep;
    int rc = drift_evaluate(r, cur, o, NULL, &rep, err, err_len);
    if (rc != 0)
        return rc;
    struct drift_meta m = {.model = "m",
                           .version = "v",
                           .from_ms = -1,
                           .to_ms = -1,
                           .n_cur_total = cur->n,
                           .n_cur = cur->n,
                           .n_ref = r->n_events,
                           .computed_ms = -1,
                           .ref_performance = r->performance,
                           .cur = cur};
    drift_report_json(&m, &rep, json);
    dd_report_release(&rep);
    return 0;
}

#endif
