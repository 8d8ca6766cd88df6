/* h_receiver_test.c — POST /api/v1/receivers/{id}/test (admin, docs/api.md):
 * sends a test notification to a stored receiver now, through the delivery
 * worker's timeouts (delivery_test()), and answers what the receiver said.
 * The test is not an outbox row: nothing is retried or recorded. */
#include "base/buf.h"
#include "base/err.h"
#include "server/api/answer.h"
#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/monitor/delivery.h"

void h_receiver_test(struct http_req *r)
{
    if (answer_query_known(r, NULL) != 0)
        return;
    struct api *a = api_of(r);
    if (!a->delivery) {
        answer_error(r, DD_ESHUTDOWN, "the delivery worker is not running");
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    char err[300] = "";
    int rc = delivery_test(a->delivery, r->params[0], &b, err, sizeof err);
    if (rc != 0)
        answer_error(r, rc, "%s", err);
    else
        http_reply_json(r, 200, &b);
    dd_buf_release(&b);
}
