/* report_assets.h — the files `driftd check --format html` inlines, carried
 * in the binary: report_assets.c is generated at build time by
 * server/embed_gen.c (server/CMakeLists.txt) from
 *   web/node_modules/chart.js/dist/chart.umd.min.js  (Chart.js, by npm ci in scripts/deps.sh)
 *   web/js/charts.js                                 (the dashboard's charts, an ES module)
 * Each array holds the file's bytes followed by a NUL; _len excludes it.
 * Read-only: any thread.
 */
#ifndef DD_REPORT_ASSETS_H
#define DD_REPORT_ASSETS_H
#include <stddef.h>

extern const char report_asset_chartjs[];
extern const size_t report_asset_chartjs_len;
extern const char report_asset_charts[];
extern const size_t report_asset_charts_len;

#endif
