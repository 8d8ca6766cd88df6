/* charts.js — "reference vs current" charts, shared by the dashboard's model page and
 * the HTML report of `driftd check --format html`.
 *
 * Input: one entry of the "signals" array of GET /api/v1/models/{model}/distributions
 * (docs/api.md; built by server/monitor/distributions.c):
 *   numeric      {signal, kind:"numeric", n_ref, n_cur, edges[21], reference[20], current[20]}
 *                (counts per bin, both sides on the same bins)
 *   categorical  {signal, kind:"categorical", n_ref, n_cur, categories[], reference[], current[]}
 *                (shares in [0, 1]; the last category may be "(other)")
 *   embedding    {signal, kind:"embedding", n_ref, n_cur, explained, reference[[x, y]...],
 *                 current[[x, y]...]} (points on the reference's first two principal components)
 *
 * Drawn with the global `Chart` (Chart.js 4 UMD: the dashboard loads /vendor/chart.umd.min.js
 * with a classic script element, the HTML report inlines it), or opts.Chart.
 *
 * Exported API:
 *   PALETTE                        the Okabe–Ito colours (colour-blind safe): reference
 *                                  (blue #0072B2), current (orange #E69F00), and more named
 *                                  colours for other series; pages use these too.
 *   SERIES                         {reference, current}: label, colour, point style of each side.
 *   drawDistribution(canvas, signalDist, opts) -> Chart
 *                                  destroys any chart already on canvas, then draws the signal:
 *                                  numeric -> histogram of reference and current shares on the
 *                                  shared bins; categorical -> side-by-side class shares;
 *                                  embedding -> 2-D PCA scatter.  opts (all optional):
 *                                    Chart      the Chart.js constructor (default globalThis.Chart)
 *                                    title      chart title (default: the signal's name)
 *                                    counts     numeric: plot counts instead of shares
 *                                    animation  Chart.js animation option (default false)
 *                                    maintainAspectRatio (default true; false to fill a sized box)
 *   distributionConfig(signalDist, opts) -> Chart.js config object (pure: no canvas, no Chart),
 *                                  what drawDistribution draws; for tests and custom drawing.
 *   binLabels(edges) -> string[]   "lo – hi" label of each bin of a numeric signal.
 *   formatNumber(x) -> string      a short, readable number (4 significant digits).
 *   destroyChart(canvas)           destroys the chart drawn on canvas, if any.
 *
 * Every chart has a legend, axis titles and no animation; an empty side is drawn as an empty
 * dataset, and a signal with no data at all says so in its title.
 */

export const PALETTE = Object.freeze({
    reference: '#0072B2', /* Okabe–Ito blue */
    current: '#E69F00', /* Okabe–Ito orange */
    vermillion: '#D55E00',
    skyBlue: '#56B4E9',
    bluishGreen: '#009E73',
    yellow: '#F0E442',
    reddishPurple: '#CC79A7',
    black: '#000000',
    grid: 'rgba(0, 0, 0, 0.1)',
});

export const SERIES = Object.freeze({
    reference: Object.freeze({label: 'reference', color: PALETTE.reference, pointStyle: 'circle'}),
    current: Object.freeze({label: 'current', color: PALETTE.current, pointStyle: 'triangle'}),
});

/* "#rrggbb" with an alpha, as rgba(). */
function withAlpha(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function formatNumber(x) {
    if (typeof x !== 'number' || !Number.isFinite(x))
        return String(x);
    if (x === 0)
        return '0';
    const a = Math.abs(x);
    if (a >= 1e6 || a < 1e-3)
        return x.toExponential(2);
    return String(Number(x.toPrecision(4)));
}

/* A share in [0, 1] as a percentage with 3 significant digits: "40%", "12.3%", "0.5%". */
function formatShare(x) {
    return `${Number((x * 100).toPrecision(3))}%`;
}

export function binLabels(edges) {
    const out = [];
    for (let i = 0; i + 1 < (edges || []).length; i++)
        out.push(`${formatNumber(edges[i])} – ${formatNumber(edges[i + 1])}`);
    return out;
}

function sideTitle(side, n) {
    return `${SERIES[side].label} (n=${n ?? 0})`;
}

function barDataset(side, data, n) {
    const s = SERIES[side];
    return {
        label: sideTitle(side, n),
        data,
        backgroundColor: withAlpha(s.color, 0.75),
        borderColor: s.color,
        borderWidth: 1,
    };
}

function baseOptions(title, opts) {
    return {
        animation: opts.animation ?? false,
        responsive: true,
        maintainAspectRatio: opts.maintainAspectRatio ?? true,
        plugins: {
            title: {display: true, text: title},
            legend: {display: true, position: 'top', labels: {usePointStyle: true}},
        },
    };
}

function axis(title, extra) {
    return Object.assign({title: {display: true, text: title}, grid: {color: PALETTE.grid}}, extra);
}

function numericConfig(d, opts) {
    const counts = !!opts.counts;
    const scale = (arr, n) => (arr || []).map((c) => (counts ? c : n > 0 ? c / n : 0));
    const labels = binLabels(d.edges);
    const o = baseOptions(opts.title ?? d.signal, opts);
    o.scales = {
        x: axis(d.signal, {ticks: {maxRotation: 60, autoSkip: true}}),
        y: axis(counts ? 'events' : 'share of events', {
            beginAtZero: true,
            ticks: counts ? {} : {callback: (v) => formatShare(v)},
        }),
    };
    o.plugins.tooltip = {
        callbacks: {
            label: (ctx) => {
                const side = ctx.datasetIndex === 0 ? 'reference' : 'current';
                const raw = (d[side] || [])[ctx.dataIndex] ?? 0;
                return counts ? `${side}: ${raw}` : `${side}: ${formatShare(ctx.parsed.y)} (${raw})`;
            },
        },
    };
    return {
        type: 'bar',
        data: {
            labels,
            datasets: [
                Object.assign(barDataset('reference', scale(d.reference, d.n_ref), d.n_ref),
                              {categoryPercentage: 0.9, barPercentage: 1.0}),
                Object.assign(barDataset('current', scale(d.current, d.n_cur), d.n_cur),
                              {categoryPercentage: 0.9, barPercentage: 1.0}),
            ],
        },
        options: o,
    };
}

function categoricalConfig(d, opts) {
    const o = baseOptions(opts.title ?? d.signal, opts);
    o.scales = {
        x: axis(d.signal, {ticks: {maxRotation: 60, autoSkip: false}}),
        y: axis('share of events', {beginAtZero: true, ticks: {callback: (v) => formatShare(v)}}),
    };
    o.plugins.tooltip = {
        callbacks: {label: (ctx) => `${ctx.datasetIndex === 0 ? 'reference' : 'current'}: ${formatShare(ctx.parsed.y)}`},
    };
    return {
        type: 'bar',
        data: {
            labels: (d.categories || []).map(String),
            datasets: [
                barDataset('reference', (d.reference || []).slice(), d.n_ref),
                barDataset('current', (d.current || []).slice(), d.n_cur),
            ],
        },
        options: o,
    };
}

function embeddingConfig(d, opts) {
    const pts = (arr) => (arr || []).map((p) => ({x: p[0], y: p[1]}));
    const explained = typeof d.explained === 'number' ? ` (PCA, ${formatShare(d.explained)} of the variance)` : '';
    const o = baseOptions(opts.title ?? `${d.signal}${explained}`, opts);
    o.scales = {x: axis('PC1', {type: 'linear', grace: '5%'}), y: axis('PC2', {type: 'linear', grace: '5%'})};
    o.plugins.tooltip = {
        callbacks: {label: (ctx) => `${ctx.datasetIndex === 0 ? 'reference' : 'current'}: (${formatNumber(ctx.parsed.x)}, ${formatNumber(ctx.parsed.y)})`},
    };
    const ds = (side, data, n) => {
        const s = SERIES[side];
        return {
            label: sideTitle(side, n),
            data,
            pointStyle: s.pointStyle,
            pointRadius: 3,
            pointHoverRadius: 5,
            backgroundColor: withAlpha(s.color, 0.55),
            borderColor: s.color,
            borderWidth: 1,
        };
    };
    return {
        type: 'scatter',
        data: {datasets: [ds('reference', pts(d.reference), d.n_ref), ds('current', pts(d.current), d.n_cur)]},
        options: o,
    };
}

export function distributionConfig(signalDist, opts = {}) {
    const d = signalDist || {};
    let cfg;
    if (d.kind === 'numeric')
        cfg = numericConfig(d, opts);
    else if (d.kind === 'categorical')
        cfg = categoricalConfig(d, opts);
    else if (d.kind === 'embedding')
        cfg = embeddingConfig(d, opts);
    else
        throw new Error(`charts.js: unknown signal kind '${d.kind}'`);
    const empty = cfg.data.datasets.every((x) => x.data.length === 0);
    if (empty || (!(d.n_ref > 0) && !(d.n_cur > 0)))
        cfg.options.plugins.title.text += ' — no data';
    return cfg;
}

export function destroyChart(canvas, ChartCtor) {
    const C = ChartCtor || globalThis.Chart;
    const old = C && C.getChart ? C.getChart(canvas) : undefined;
    if (old)
        old.destroy();
}

export function drawDistribution(canvas, signalDist, opts = {}) {
    const C = opts.Chart || globalThis.Chart;
    if (!C)
        throw new Error('charts.js: Chart.js is not loaded (the global Chart is missing)');
    destroyChart(canvas, C);
    return new C(canvas, distributionConfig(signalDist, opts));
}
