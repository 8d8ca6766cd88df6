/* performance.c — accuracy and per-class precision/recall of labeled events
 * (performance.h). */
#include "server/monitor/performance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

struct class_count {
    const char *name;
    size_t tp, predicted, actual;
};

/* A label as a number: the whole text, finite. */
static int label_number(const char *s, double *v)
{
    char *end;
    if (!s[0] || s[0] == ' ' || s[0] == '\t')
        return 0;
    *v = strtod(s, &end);
    return !*end && isfinite(*v);
}

/* A regression's block: MAE and RMSE over the events with a numeric
 * prediction and a label that reads as a number; the other labels are
 * counted, not used. */
static size_t regression_json(const struct dd_batch *batch, struct dd_buf *b)
{
    size_t labeled = 0, used = 0, not_numeric = 0;
    double abs_sum = 0, sq_sum = 0;
    for (size_t i = 0; i < batch->n; i++) {
        const struct dd_event *e = &batch->events[i];
        double y, yhat;
        if (!e->prediction || !e->label)
            continue;
        labeled++;
        if (e->has & DD_HAS_PREDICTION_NUM)
            yhat = e->prediction_num;
        else if (!label_number(e->prediction, &yhat))
            continue; /* a class among regression values: neither */
        if (!label_number(e->label, &y)) {
            not_numeric++;
            continue;
        }
        used++;
        abs_sum += fabs(yhat - y);
        sq_sum += (yhat - y) * (yhat - y);
    }
    dd_buf_printf(b, "{\"labeled\":%zu,\"regression\":true,\"used\":%zu,\"mae\":", labeled, used);
    if (used)
        dd_json_num(b, abs_sum / (double)used);
    else
        dd_buf_puts(b, "null");
    dd_buf_puts(b, ",\"rmse\":");
    if (used)
        dd_json_num(b, sqrt(sq_sum / (double)used));
    else
        dd_buf_puts(b, "null");
    dd_buf_printf(b, ",\"labels_not_numeric\":%zu}", not_numeric);
    return labeled;
}

size_t performance_json(const struct dd_batch *batch, struct dd_buf *b)
{
    for (size_t i = 0; i < batch->n; i++)
        if (batch->events[i].has & DD_HAS_PREDICTION_NUM)
            return regression_json(batch, b);

    struct class_count *cls = NULL;
    size_t n_cls = 0, labeled = 0, correct = 0;
    for (size_t i = 0; i < batch->n; i++) {
        const struct dd_event *e = &batch->events[i];
        if (!e->prediction || !e->label)
            continue;
        labeled++;
        correct += strcmp(e->prediction, e->label) == 0;
        const char *names[2] = {e->prediction, e->label};
        for (int w = 0; w < 2; w++) {
            size_t k = 0;
            while (k < n_cls && strcmp(cls[k].name, names[w]) != 0)
                k++;
            if (k == n_cls) {
                if (n_cls == PERFORMANCE_MAX_CLASSES)
                    continue;
                cls = dd_realloc(cls, (n_cls + 1) * sizeof *cls);
                cls[n_cls++] = (struct class_count){names[w], 0, 0, 0};
            }
            if (w == 0)
                cls[k].predicted++;
            else
                cls[k].actual++;
            if (w == 1 && !strcmp(e->prediction, e->label))
                cls[k].tp++;
        }
    }
    dd_buf_printf(b, "{\"labeled\":%zu,\"accuracy\":", labeled);
    if (labeled)
        dd_json_num(b, (double)correct / (double)labeled);
    else
        dd_buf_puts(b, "null");
    dd_buf_puts(b, ",\"classes\":{");
    for (size_t k = 0; k < n_cls; k++) {
        if (k)
            dd_buf_putc(b, ',');
        dd_json_str(b, cls[k].name);
        dd_buf_puts(b, ":{\"precision\":");
        if (cls[k].predicted)
            dd_json_num(b, (double)cls[k].tp / (double)cls[k].predicted);
        else
            dd_buf_puts(b, "null");
        dd_buf_puts(b, ",\"recall\":");
        if (cls[k].actual)
            dd_json_num(b, (double)cls[k].tp / (double)cls[k].actual);
        else
            dd_buf_puts(b, "null");
        dd_buf_printf(b, ",\"support\":%zu}", cls[k].actual);
    }
    dd_buf_puts(b, "}}");
    free(cls);
    return labeled;
}
