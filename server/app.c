/* app.c — what a running server holds (app.h). */
#include "server/app.h"

void app_fill_api(struct app *app)
{
    app->api = (struct api){.mon = &app->mon,
                            .store = app->mon.store,
                            .writer = app->mon.writer,
                            .refcache = app->mon.refcache,
                            .evaluator = app->evaluator,
                            .auth = app->auth,
                            .delivery = app->delivery,
                            .body_limit = app->cfg.body_limit,
                            .started_ms = app->started_ms,
                            .web_root = app->cfg.web_root,
                            .grafana_cors_origin = app->cfg.grafana_cors_origin};
}
