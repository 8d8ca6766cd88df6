/* report_html.c — the HTML report of `driftd check --format html` (report_html.h).
 *
 * Reading order: the escapes (text in HTML, JSON and JavaScript inside
 * <script>), the verdict header, the table, then the page: style, data,
 * Chart.js, and one module script of web/js/charts.js plus BOOT, which draws
 * one chart per signal of the distributions (drifting signals first) and
 * leaves them in window.driftdReport for whoever opens the page (the e2e test).
 */
#include "server/report_html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "server/monitor/distributions.h"
#include "server/report_assets.h"

/* ---- escapes ---- */

static void html_text(struct dd_buf *b, const char *s)
{
    /* the characters HTML text and attribute values must not hold as they are */
    static const char *const entity[128] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
    };
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 128 && entity[c])
            dd_buf_puts(b, entity[c]);
        else
            dd_buf_putc(b, *s);
    }
}

/* JSON inside <script type="application/json">: every '<' as \u003c (only
 * strings can hold one), so no "</script" or "<!--" ends or bends the element. */
static void script_json(struct dd_buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '<') {
            dd_buf_append(b, s + run, i - run);
            dd_buf_puts(b, "\\u003c");
            run = i + 1;
        }
    dd_buf_append(b, s + run, n - run);
}

/* JavaScript inside <script>: "</script" (any case) as "<\/script" and "<!--"
 * as "<\!--", which read the same in the strings, regular expressions and
 * comments where they can occur. */
static void script_js(struct dd_buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '<')
            continue;
        if (n - i >= 8 && s[i + 1] == '/' && !strncasecmp(s + i + 2, "script", 6)) {
            dd_buf_append(b, s + run, i - run);
            dd_buf_puts(b, "<\\/");
            run = i + 2;
        } else if (n - i >= 4 && !memcmp(s + i, "<!--", 4)) {
            dd_buf_append(b, s + run, i - run);
            dd_buf_puts(b, "<\\!");
            run = i + 2;
        }
    }
    dd_buf_append(b, s + run, n - run);
}

/* ---- numbers, as the text report writes them (analysis/eval.c) ---- */

/* v as "–" when NaN, in %.3e when below 1e-3 or from `big` on, else with
 * `decimals` decimals. */
static void put_dec(struct dd_buf *b, double v, double big, int decimals)
{
    if (isnan(v))
        dd_buf_puts(b, "–");
    else if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= big))
        dd_buf_printf(b, "%.3e", v);
    else
        dd_buf_printf(b, "%.*f", decimals, v);
}

static void put_num(struct dd_buf *b, double v)
{
    put_dec(b, v, 1e6, 4);
}

/* p-values and levels: five decimals, so that p and its level differ on screen */
static void put_p(struct dd_buf *b, double v)
{
    put_dec(b, v, INFINITY, 5);
}

/* ---- the verdict ---- */

static const char *verdict_title(const char *status)
{
    if (!strcmp(status, "drift"))
        return "DRIFT";
    if (!strcmp(status, "ok"))
        return "no drift";
    if (!strcmp(status, "no_reference"))
        return "no reference";
    return "insufficient data";
}

static void verdict_html(struct dd_buf *b, const struct report_html_in *in)
{
    const struct dd_report *r = in->rep;
    const char *status = drift_status(r);
    dd_buf_printf(b, "<p id=\"verdict\" class=\"verdict v-%s\" data-status=\"%s\">%s</p>\n", status,
                  status, verdict_title(status));
    dd_buf_puts(b, "<p class=\"why\">");
    if (!strcmp(status, "drift") || !strcmp(status, "ok"))
        dd_buf_printf(b,
                      "%s at alpha %g over %zu test%s: a test row drifts when its p-value is at "
                      "most its level; effect sizes flag only their own rows.",
                      r->correction ? r->correction : "holm", r->alpha, r->n_tests,
                      r->n_tests == 1 ? "" : "s");
    else if (!strcmp(status, "no_reference"))
        dd_buf_puts(b, "The reference has no events: nothing was tested.");
    else
        dd_buf_puts(b, "No test had enough rows on both sides: nothing was tested.");
    dd_buf_puts(b, "</p>\n<dl class=\"meta\">\n<dt>model</dt><dd>");
    html_text(b, in->meta->model);
    if (in->meta->version) {
        dd_buf_puts(b, "</dd>\n<dt>version</dt><dd>");
        html_text(b, in->meta->version);
    }
    dd_buf_puts(b, "</dd>\n<dt>reference</dt><dd><code>");
    html_text(b, in->ref_path);
    dd_buf_printf(b, "</code> (%zu events)</dd>\n<dt>current</dt><dd><code>", in->meta->n_ref);
    html_text(b, in->cur_path);
    dd_buf_printf(b, "</code> (%zu events)", in->meta->n_cur);
    if (in->meta->from_ms >= 0) {
        char from[DD_TIME_STRLEN], to[DD_TIME_STRLEN];
        dd_time_format(in->meta->from_ms, from);
        dd_time_format(in->meta->to_ms, to);
        dd_buf_printf(b, ", %s to %s", from, to);
    }
    dd_buf_puts(b, "</dd>\n</dl>\n");
}

/* ---- the table: one row per result, drifting rows first ---- */

static void row_html(struct dd_buf *b, const struct dd_result *x)
{
    int insufficient = x->status == DD_EINSUFFICIENT;
    const char *verdict = insufficient ? "insufficient_data" : x->drift ? "drift" : "ok";
    dd_buf_printf(b, "<tr class=\"r-%s\" data-verdict=\"%s\"><th scope=\"row\">", verdict, verdict);
    html_text(b, x->signal);
    dd_buf_puts(b, "</th><td>");
    html_text(b, x->method);
    dd_buf_puts(b, "</td><td>");
    html_text(b, x->kind ? x->kind : "effect_size");
    dd_buf_puts(b, "</td><td class=\"n\">");
    if (!insufficient)
        put_num(b, x->statistic);
    else
        dd_buf_puts(b, "–");
    dd_buf_puts(b, "</td><td class=\"n\">");
    if (!insufficient)
        put_p(b, x->p_value);
    else
        dd_buf_puts(b, "–");
    dd_buf_puts(b, "</td><td class=\"n\">");
    /* a test is judged at its Holm level, an effect size at its threshold */
    if (insufficient)
        dd_buf_puts(b, "–");
    else if (isnan(x->level))
        put_num(b, x->threshold);
    else
        put_p(b, x->level);
    dd_buf_printf(b,
                  "</td><td class=\"v\">%s</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                  "</tr>\n",
                  insufficient ? "insufficient data"
                  : x->drift   ? "DRIFT"
                               : "ok",
                  x->n_ref, x->n_cur);
}

static void table_html(struct dd_buf *b, const struct dd_report *r)
{
    dd_buf_puts(b, "<table id=\"results\">\n<thead><tr><th scope=\"col\">signal</th>"
                   "<th scope=\"col\">method</th><th scope=\"col\">kind</th>"
                   "<th scope=\"col\">statistic</th><th scope=\"col\">p-value</th>"
                   "<th scope=\"col\" title=\"a test's Holm level; an effect size's "
                   "threshold\">level</th><th scope=\"col\">verdict</th>"
                   "<th scope=\"col\">n ref</th><th scope=\"col\">n cur</th></tr></thead>\n"
                   "<tbody>\n");
    for (int pass = 1; pass >= 0; pass--)
        for (size_t i = 0; i < r->n_results; i++)
            if ((r->results[i].status != DD_EINSUFFICIENT && r->results[i].drift) == pass)
                row_html(b, &r->results[i]);
    dd_buf_puts(b, "</tbody>\n</table>\n");
}

/* ---- the page ---- */

static const char STYLE[] =
    ":root{--ref:#0072B2;--cur:#E69F00;--drift:#D55E00;--ok:#009E73;--muted:#555;"
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111}\n"
    "body{margin:0 auto;max-width:1200px;padding:1rem 1.25rem}\n"
    "h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}\n"
    ".verdict{display:inline-block;font-size:1.3rem;font-weight:700;padding:.25rem .8rem;"
    "border-radius:.3rem;border:2px solid;margin:.4rem 0}\n"
    ".v-drift{color:#fff;background:var(--drift);border-color:var(--drift)}\n"
    ".v-ok{color:#fff;background:var(--ok);border-color:var(--ok)}\n"
    ".v-insufficient_data,.v-no_reference{color:#111;background:#eee;border-color:#999}\n"
    ".why{color:var(--muted);margin:.2rem 0 .6rem}\n"
    ".meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:0}\n"
    ".meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
    "th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;white-space:nowrap}\n"
    "tbody th{font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.r-drift td.v{color:var(--drift);font-weight:700}tr.r-drift{background:#fdf0e6}\n"
    "tr.r-insufficient_data td.v{color:var(--muted)}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));"
    "gap:1rem}\n"
    "figure{margin:0;border:1px solid #ddd;border-radius:.3rem;padding:.5rem}\n"
    "figcaption{font-weight:600;margin-bottom:.3rem;overflow-wrap:anywhere}\n"
    /* Chart.js sizes a responsive chart to a relatively positioned parent of its own */
    ".chart{position:relative;height:340px}@media (max-width:600px){.chart{height:280px}}\n"
    "figcaption .tag{margin-left:.5rem;font-size:.8rem;color:#fff;background:var(--drift);"
    "border-radius:.2rem;padding:0 .35rem}\n"
    ".notice{border:1px solid #999;background:#f6f6f6;padding:.5rem}\n"
    "footer{color:var(--muted);font-size:.8rem;margin-top:2rem}\n";

/* Runs after web/js/charts.js in the same module script (its names are in
 * scope): one figure and chart per signal, drifting signals first. */
static const char BOOT[] =
    "\n/* ---- driftd check --format html: draw the charts ---- */\n"
    "{\n"
    "  const data = (id) => JSON.parse(document.getElementById(id).textContent);\n"
    "  const report = data('driftd-report');\n"
    "  const dist = data('driftd-distributions');\n"
    "  const box = document.getElementById('charts');\n"
    "  const charts = [];\n"
    "  const drifting = new Set((report.signals || []).filter((r) => r.drift)"
    ".map((r) => r.signal));\n"
    "  const subtitle = (s) => s.kind === 'numeric'\n"
    "    ? `shares of events on ${(s.edges || []).length - 1} shared bins`\n"
    "    : s.kind === 'categorical' ? 'class shares'\n"
    "    : `PCA of the reference: ${Math.round(100 * (s.explained || 0))}% of the variance`;\n"
    "  const notice = (el, text) => {\n"
    "    const p = document.createElement('p');\n"
    "    p.className = 'notice';\n"
    "    p.textContent = text;\n"
    "    el.append(p);\n"
    "  };\n"
    "  if (!dist || !Array.isArray(dist.signals) || dist.signals.length === 0) {\n"
    "    notice(box, dist && dist.error ? `No charts: ${dist.error}` : "
    "'No charts: the files have no signal to draw.');\n"
    "  } else {\n"
    "    const sigs = dist.signals.map((s, i) => [s, i]).sort((a, b) =>\n"
    "      (drifting.has(b[0].signal) - drifting.has(a[0].signal)) || a[1] - b[1]);\n"
    "    for (const [s] of sigs) {\n"
    "      const fig = document.createElement('figure');\n"
    "      fig.dataset.signal = s.signal;\n"
    "      const cap = document.createElement('figcaption');\n"
    "      cap.textContent = s.signal;\n"
    "      if (drifting.has(s.signal)) {\n"
    "        const tag = document.createElement('span');\n"
    "        tag.className = 'tag';\n"
    "        tag.textContent = 'drift';\n"
    "        cap.append(tag);\n"
    "      }\n"
    "      const canvas = document.createElement('canvas');\n"
    "      canvas.setAttribute('role', 'img');\n"
    "      canvas.setAttribute('aria-label', `${s.signal}: reference vs current (${s.kind})`);\n"
    "      const holder = document.createElement('div');\n"
    "      holder.className = 'chart';\n"
    "      holder.append(canvas);\n"
    "      fig.append(cap, holder);\n"
    "      box.append(fig);\n"
    "      try {\n"
    "        charts.push(drawDistribution(canvas, s, {title: subtitle(s), "
    "maintainAspectRatio: false}));\n"
    "      } catch (e) {\n"
    "        holder.remove();\n"
    "        notice(fig, `This chart could not be drawn: ${e.message}`);\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  window.driftdReport = {report, distributions: dist, charts};\n"
    "  document.body.dataset.charts = String(charts.length);\n"
    "}\n";

void report_html(const struct report_html_in *in, struct dd_buf *b)
{
    struct dd_buf json;
    dd_buf_init(&json);
    const char *status = drift_status(in->rep);

    dd_buf_puts(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   /* nothing is fetched: the page holds all it needs */
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
                   "<title>driftd check: ");
    dd_buf_puts(b, verdict_title(status));
    dd_buf_puts(b, " — ");
    html_text(b, in->meta->model);
    if (in->meta->version) {
        dd_buf_putc(b, ' ');
        html_text(b, in->meta->version);
    }
    dd_buf_printf(b,
                  "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n"
                  "<h1>driftd check: drift report</h1>\n",
                  STYLE);
    verdict_html(b, in);
    dd_buf_puts(b, "</header>\n<main>\n<section>\n<h2>Signals</h2>\n<div class=\"scroll\">\n");
    table_html(b, in->rep);
    dd_buf_puts(b, "</div>\n</section>\n<section>\n<h2>Reference vs current</h2>\n"
                   "<p class=\"why\">Numeric signals: shares of events on shared bins; "
                   "categorical: class shares; embeddings: the reference's first two principal "
                   "components. Reference in blue, current in orange.</p>\n"
                   "<noscript><p class=\"notice\">The charts need JavaScript.</p></noscript>\n"
                   "<div id=\"charts\" class=\"charts\"></div>\n</section>\n</main>\n"
                   "<footer>Written by <code>driftd check --format html</code>. Self-contained: "
                   "Chart.js 4 (MIT licence) and the data are in this file; the drift report "
                   "(<code>--format json</code>) is in the element <code>#driftd-report</code>."
                   "</footer>\n");

    dd_buf_puts(b, "<script type=\"application/json\" id=\"driftd-report\">");
    drift_report_json(in->meta, in->rep, &json);
    script_json(b, json.data, json.len);
    dd_buf_puts(b, "</script>\n<script type=\"application/json\" id=\"driftd-distributions\">");
    dd_buf_reset(&json);
    char err[256] = "";
    if (distributions_json_events(in->ref, in->cur, NULL, in->meta->model, in->meta->version, NULL,
                                  in->meta->computed_ms, &json, err, sizeof err) != 0) {
        dd_buf_reset(&json);
        dd_buf_puts(&json, "{\"error\":");
        dd_json_str(&json, err[0] ? err : "the distributions could not be computed");
        dd_buf_putc(&json, '}');
    }
    script_json(b, json.data, json.len);
    dd_buf_puts(b, "</script>\n<script>\n");
    script_js(b, report_asset_chartjs, report_asset_chartjs_len);
    dd_buf_puts(b, "\n</script>\n<script type=\"module\">\n");
    script_js(b, report_asset_charts, report_asset_charts_len);
    dd_buf_puts(b, BOOT);
    dd_buf_puts(b, "</script>\n</body>\n</html>\n");
    dd_buf_release(&json);
}
