/* performance.c — accuracy and per-class precision/recall of labeled events
 * (performance.h). */
#include "server/monitor/performance.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

struct class_count {
    const char *name;
    size_t tp, predicted, actual;
};

size_t performance_json(const struct dd_batch *batch, struct dd_buf *b)
{
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
