/* drift.c — events -> signals -> report -> JSON (drift.h). */
#include "server/drift.h"

#include <stdio.h>

#include "base/err.h"
#include "server/settings.h"
#include "server/signals.h"

int drift_evaluate(const struct dd_batch *ref, const struct dd_batch *cur,
                   const struct dd_eval_options *o, const struct model_settings *ms,
                   struct dd_report *rep, char *err, size_t errlen)
{
    struct signal_set set;
    int rc = signals_build(ref->events, ref->n, cur->events, cur->n, &set, err, errlen);
    if (rc != 0)
        return rc;
    struct dd_eval_options opt = *o;
    if (ms)
        settings_to_eval(ms, &opt, set.inputs, set.n);
    rc = dd_eval_run(set.inputs, set.n, &opt, rep);
    if (rc != 0)
        snprintf(err, errlen, "cannot evaluate: %s", dd_strerror(rc));
    signals_release(&set);
    return rc;
}

void drift_report_json(const struct drift_meta *m, const struct dd_report *rep,
                       struct dd_buf *out)
{
    int first = 1;
    dd_buf_putc(out, '{');
    dd_json_key(out, "model", &first);
    dd_json_str(out, m->model);
    dd_json_key(out, "version", &first);
    dd_json_str(out, m->version);
    dd_json_key(out, "window", &first);
    dd_buf_puts(out, "{\"from\":");
    dd_json_time(out, m->from_ms);
    dd_buf_puts(out, ",\"to\":");
    dd_json_time(out, m->to_ms);
    dd_buf_printf(out, ",\"events\":%zu", m->n_cur_total);
    if (m->sampled)
        dd_buf_printf(out, ",\"sampled\":true,\"sample\":%zu", m->n_cur);
    dd_buf_putc(out, '}');
    dd_json_key(out, "reference", &first);
    dd_buf_printf(out, "{\"events\":%zu}", m->n_ref);
    if (m->computed_ms >= 0) {
        dd_json_key(out, "computed_at", &first);
        dd_json_time(out, m->computed_ms);
    }
    dd_buf_putc(out, ',');
    dd_report_json_members(rep, out);
    dd_buf_putc(out, '}');
}
