/* drift.c — events -> signals -> report -> JSON (drift.h). */
#include "server/monitor/drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/embed.h"
#include "base/alloc.h"

#include "base/err.h"
#include "server/monitor/performance.h"
#include "server/monitor/reference.h"
#include "server/monitor/settings.h"
#include "server/monitor/signals.h"

int drift_evaluate(const struct ref_prepared *ref, const struct dd_batch *cur,
                   const struct dd_eval_options *o, const struct model_settings *ms,
                   struct dd_report *rep, char *err, size_t errlen)
{
    struct signal_set set;
    const struct dd_pca *ref_pca = ref->has_pca ? &ref->pca : NULL;
    int rc = signals_build_cur_typed(ref->sig, cur->events, cur->n, ms, &set, err, errlen);
    if (rc != 0) {
        signals_release(&set);
        return rc;
    }
    struct dd_eval_options opt = *o;
    opt.calibration = ref->calibration; /* NULL: Holm decides */
    opt.calibration_pending = !ref->calibration && ref->calibrating;
    if (ms)
        settings_to_eval(ms, &opt, set.inputs, set.n);
    for (size_t i = 0; ref_pca && i < set.n; i++)
        if (set.inputs[i].kind == DD_SIGNAL_EMBEDDING && set.inputs[i].dim == ref_pca->dim &&
            set.inputs[i].n_ref == ref_pca->n_ref)
            set.inputs[i].ref_pca = ref_pca;
    rc = dd_eval_run(set.inputs, set.n, &opt, rep);
    if (rc != 0)
        snprintf(err, errlen, "cannot evaluate: %s", dd_strerror(rc));
    else if (ref->n_events == 0)
        rep->status = "no_reference"; /* nothing to compare with, whatever the window holds */
    signals_release(&set);
    return rc;
}

const char *drift_status(const struct dd_report *rep)
{
    if (rep->status)
        return rep->status;
    return rep->drift ? "drift" : "ok";
}

void drift_report_json(const struct drift_meta *m, const struct dd_report *rep, struct dd_buf *out)
{
    int first = 1;
    dd_buf_putc(out, '{');
    dd_json_kstr(out, &first, "model", m->model);
    dd_json_kstr(out, &first, "version", m->version);
    dd_json_key(out, "window", &first);
    dd_buf_puts(out, "{\"from\":");
    dd_json_time(out, m->from_ms);
    dd_buf_puts(out, ",\"to\":");
    dd_json_time(out, m->to_ms);
    dd_buf_printf(out, ",\"events\":%zu", m->n_cur_total);
    if (m->n_excluded)
        dd_buf_printf(out, ",\"excluded_reference_events\":%zu", m->n_excluded);
    if (m->sampled)
        dd_buf_printf(out, ",\"sampled\":true,\"sample\":%zu", m->n_cur);
    dd_buf_putc(out, '}');
    dd_json_key(out, "reference", &first);
    dd_buf_printf(out, "{\"events\":%zu}", m->n_ref);
    if (m->computed_ms >= 0) {
        dd_json_ktime(out, &first, "computed_at", m->computed_ms);
    }
    static const struct dd_batch none;
    struct dd_buf cur_perf;
    dd_buf_init(&cur_perf);
    size_t cur_labeled = performance_json(m->cur ? m->cur : &none, &cur_perf);
    if (m->ref_performance || cur_labeled) {
        dd_json_key(out, "performance", &first);
        dd_buf_puts(out, "{\"reference\":");
        if (m->ref_performance)
            dd_buf_puts(out, m->ref_performance);
        else
            performance_json(&none, out);
        dd_buf_puts(out, ",\"current\":");
        dd_buf_append(out, cur_perf.data, cur_perf.len);
        dd_buf_putc(out, '}');
    }
    dd_buf_release(&cur_perf);
    dd_json_kstr(out, &first, "status", drift_status(rep));
    dd_buf_putc(out, ',');
    dd_report_json_members(rep, out);
    dd_buf_putc(out, '}');
}
