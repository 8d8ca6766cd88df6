/* h_ops.c — /healthz, /readyz and /metrics (the dashboard's files: h_static.c). */
#include <stdio.h>
#include <string.h>

#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/monitor/delivery.h"
#include "server/monitor/evaluator.h"
#include "server/api/metrics.h"
#include "server/store/store.h"
#include "server/store/writer.h"

void h_healthz(struct http_req *r)
{
    http_reply(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

void h_readyz(struct http_req *r)
{
    static const char full[] =
        "storage full: the disk holding the database has no space left, writes are refused\n";
    if (writer_storage_full(api_of(r)->writer)) {
        http_reply(r, 503, "text/plain; charset=utf-8", full, sizeof full - 1);
        return;
    }
    int64_t n;
    /* migrations ran before the listener opened; this proves a reader works */
    if (store_r_event_count(api_of(r)->store, &n) != 0) {
        http_reply(r, 503, "text/plain; charset=utf-8", "database unavailable\n", 21);
        return;
    }
    http_reply(r, 200, "text/plain; charset=utf-8", "ready\n", 6);
}

void h_metrics(struct http_req *r)
{
    struct writer_stats ws;
    writer_get_stats(api_of(r)->writer, &ws);
    struct dd_buf b;
    dd_buf_init(&b);
    metrics_render(&b, &ws);
    evaluator_render_metrics(api_of(r)->evaluator, &b);
    delivery_render_metrics(api_of(r)->delivery, &b);
    http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    dd_buf_release(&b);
}
