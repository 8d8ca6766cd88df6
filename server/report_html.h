/* report_html.h — `driftd check --format html`: the drift report as one
 * self-contained HTML page, the artifact a CI job keeps next to the exit code.
 *
 * The page holds the verdict, one table row per result (signal, method, kind,
 * statistic, p-value, the level it was judged at, verdict, rows per side;
 * drifting rows first) and, per signal, the "reference vs current" chart of
 * the dashboard's model page: web/js/charts.js drawn with Chart.js, both
 * inlined from the binary (report_assets.h), with the data inlined as JSON:
 * the drift endpoint's body (<script id="driftd-report">, what --format json
 * prints) and the distributions endpoint's body (<script
 * id="driftd-distributions">, server/monitor/distributions.c over the two
 * files' events).  No URL is loaded: it opens from a file with no server and
 * no network, and its Content-Security-Policy forbids any fetch.
 *
 * Threading: none of its own; one call, one thread.
 */
#ifndef DD_REPORT_HTML_H
#define DD_REPORT_HTML_H

#include "analysis/eval.h"
#include "base/buf.h"
#include "ingest/event.h"
#include "server/monitor/drift.h"
#include "server/monitor/reference.h"

/* What the page shows; everything borrowed for the call. */
struct report_html_in {
    const struct drift_meta *meta;   /* as for the JSON body (drift.h) */
    const struct dd_report *rep;     /* the evaluation */
    const struct ref_prepared *ref;  /* the reference, for the distributions */
    const struct dd_batch *cur;      /* the current events, for the distributions */
    const char *ref_path, *cur_path; /* shown as given on the command line */
};

/* Appends the page to out.  A distributions failure (it cannot happen after
 * a successful drift_evaluate() of the same inputs) leaves the charts out
 * with a notice saying why; the verdict and the table are always there. */
void report_html(const struct report_html_in *in, struct dd_buf *out);

#endif
