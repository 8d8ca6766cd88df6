/* plots.js — the dashboard's time-series charts (Chart.js 4, the global
 * `Chart` from /vendor/chart.umd.min.js): the overview's 24-hour sparkline
 * and the model page's history of a signal (statistic, p-value, threshold,
 * alert markers).  The reference-vs-current charts are charts.js's, shared
 * with `driftd check --format html`.
 *
 * Both take points of GET .../drift/history ({t, statistic, p_value,
 * drift}).  A drifting point is a vermillion triangle, an ok one a small blue
 * circle: shape and colour, never colour alone.  Each call draws into the
 * canvas again, updating the chart already there in place (no flicker, no
 * animation), so the live refresh keeps the page still.
 */
import {PALETTE, formatNumber} from './charts.js';

export function chartLib() {
    return globalThis.Chart;
}

const CHART_WAIT_MS = 15000;
let ready = null;

/* Resolves to Chart.js once index.html's async <script id="chartjs"> ran,
 * or to null when it failed to load (the pages then show tables only). */
export function chartReady() {
    if (!ready) {
        ready = new Promise((resolve) => {
            if (globalThis.Chart)
                return resolve(globalThis.Chart);
            const script = document.getElementById('chartjs');
            if (!script)
                return resolve(null);
            script.addEventListener('load', () => resolve(globalThis.Chart || null));
            script.addEventListener('error', () => resolve(null));
            setTimeout(() => resolve(globalThis.Chart || null), CHART_WAIT_MS);
        });
    }
    return ready;
}

/* Draws config on canvas: updates the chart already there when it has the
 * same type, else replaces it.  Answers the chart. */
function draw(canvas, config) {
    const C = chartLib();
    const old = C.getChart(canvas);
    if (old && old.config.type === config.type) {
        old.data = config.data;
        old.options = config.options;
        old.update('none');
        return old;
    }
    if (old)
        old.destroy();
    return new C(canvas, config);
}

const P_FLOOR = 1e-300; /* a p-value of 0 (underflow) drawn at the bottom of the log axis */

function shortTime(ms, spanMs) {
    const d = new Date(ms);
    if (spanMs < 1800000)
        return d.toLocaleTimeString('en-GB', {hour12: false});
    if (spanMs > 2 * 86400000)
        return d.toLocaleString('en-GB', {month: 'short', day: 'numeric', hour: '2-digit', hour12: false});
    return d.toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit', hour12: false});
}

function pointStyles(points) {
    return {
        pointStyle: points.map((p) => (p.drift ? 'triangle' : 'circle')),
        pointRadius: points.map((p) => (p.drift ? 4 : 2)),
        pointBackgroundColor: points.map((p) => (p.drift ? PALETTE.vermillion : PALETTE.reference)),
        pointBorderColor: points.map((p) => (p.drift ? PALETTE.vermillion : PALETTE.reference)),
    };
}

/* The overview's sparkline: the statistic of one signal and method over time. */
export function drawSparkline(canvas, points, label) {
    const data = points.map((p) => ({x: Date.parse(p.t), y: p.statistic}));
    const styles = pointStyles(points);
    return draw(canvas, {
        type: 'line',
        data: {
            datasets: [Object.assign({
                label,
                data,
                borderColor: PALETTE.reference,
                borderWidth: 1.5,
                tension: 0,
                spanGaps: true,
            }, styles, {pointRadius: points.map((p) => (p.drift ? (points.length > 40 ? 1.5 : 2.5) : 0))})],
        },
        options: {
            animation: false,
            responsive: false,
            events: [],
            parsing: false,
            plugins: {legend: {display: false}, tooltip: {enabled: false}, title: {display: false}},
            scales: {x: {type: 'linear', display: false}, y: {display: false, grace: '10%'}},
            layout: {padding: 3},
        },
    });
}

/* Dashed vertical lines at the alert markers' times (datasets flagged
 * `alertLine`), so a marker reads across both axes. */
const alertLines = {
    id: 'driftdAlertLines',
    afterDatasetsDraw(chart) {
        const {ctx, chartArea, scales} = chart;
        ctx.save();
        ctx.setLineDash([4, 3]);
        ctx.lineWidth = 1;
        for (const ds of chart.data.datasets) {
            if (!ds.alertLine)
                continue;
            ctx.strokeStyle = ds.borderColor;
            for (const pt of ds.data) {
                const x = scales.x.getPixelForValue(pt.x);
                if (x < chartArea.left || x > chartArea.right)
                    continue;
                ctx.beginPath();
                ctx.moveTo(x, chartArea.top);
                ctx.lineTo(x, chartArea.bottom);
                ctx.stroke();
            }
        }
        ctx.restore();
    },
};

/* A log axis over p-values spans up to 300 decades: label at most about 6
 * of them, at round exponents. */
function pTick(v, i, ticks) {
    const e = Math.log10(v);
    if (!Number.isInteger(Math.round(e * 1000) / 1000))
        return '';
    const lo = Math.log10(ticks[0].value);
    const hi = Math.log10(ticks[ticks.length - 1].value);
    const decades = Math.max(1, Math.round(Math.abs(hi - lo)));
    const nice = [1, 2, 5, 10, 20, 25, 50, 100];
    const step = nice.find((k) => decades / k <= 6) || 100;
    const r = Math.round(e);
    return r % step === 0 ? (r === 0 ? '1' : `1e${r}`) : '';
}

/* The history's legend: the statistic as its ok point (a blue circle) and
 * one more entry for the drifting rounds (vermillion triangles). */
function historyLegend(chart) {
    const items = chartLib().defaults.plugins.legend.labels.generateLabels(chart);
    if (items.length) {
        Object.assign(items[0], {pointStyle: 'circle', fillStyle: PALETTE.reference, strokeStyle: PALETTE.reference});
        items.splice(1, 0, {text: 'drifting round', pointStyle: 'triangle', fillStyle: PALETTE.vermillion,
                            strokeStyle: PALETTE.vermillion, lineWidth: 1, hidden: false, datasetIndex: 0});
    }
    return items;
}

/* The model page's history of one signal and method.
 *   points      history points, oldest first
 *   row         the signal's latest row of the report (kind, threshold)
 *   alerts      the version's alerts (started_at, resolved_at, rule)
 *   from, to    the time range shown (ms) */
export function drawHistory(canvas, {points, row, alerts, from, to, title}) {
    const xs = points.map((p) => Date.parse(p.t));
    const isTest = row && row.kind === 'test';
    /* the axis starts at the first point when the data covers less than the
     * range asked for (a server up for 10 minutes, asked for 24 h) */
    if (xs.length && xs[0] > from)
        from = Math.max(from, xs[0] - Math.max(30000, (to - xs[0]) * 0.05));
    const span = to - from;
    const datasets = [Object.assign({
        label: `statistic (${row ? row.method : ''})`,
        data: points.map((p, i) => ({x: xs[i], y: p.statistic})),
        yAxisID: 'y',
        borderColor: PALETTE.reference,
        backgroundColor: PALETTE.reference,
        borderWidth: 2,
        tension: 0,
    }, pointStyles(points))];
    if (isTest) {
        datasets.push({
            label: 'p-value',
            data: points.map((p, i) => ({x: xs[i], y: p.p_value === null ? null : Math.max(p.p_value, P_FLOOR)})),
            yAxisID: 'p',
            borderColor: PALETTE.current,
            backgroundColor: PALETTE.current,
            borderDash: [6, 3],
            borderWidth: 2,
            pointStyle: 'rect',
            pointRadius: 2,
            tension: 0,
        });
    }
    if (row && typeof row.threshold === 'number') {
        datasets.push({
            label: isTest ? `alpha ${formatNumber(row.threshold)} (p-value)` : `threshold ${formatNumber(row.threshold)}`,
            data: [{x: from, y: row.threshold}, {x: to, y: row.threshold}],
            yAxisID: isTest ? 'p' : 'y',
            borderColor: PALETTE.black,
            backgroundColor: PALETTE.black,
            borderDash: [2, 2],
            borderWidth: 1.5,
            pointRadius: 0,
            pointStyle: 'line',
        });
    }
    const stats = points.map((p) => p.statistic).filter((v) => typeof v === 'number');
    const top = stats.length ? Math.max(...stats) : 1;
    const marks = (key) => (alerts || []).filter((a) => a[key])
        .map((a) => ({x: Date.parse(a[key]), y: top, rule: a.rule}))
        .filter((p) => p.x >= from && p.x <= to);
    const fired = marks('started_at');
    const resolved = marks('resolved_at');
    if (fired.length) {
        datasets.push({label: 'alert fired', data: fired, yAxisID: 'y', showLine: false, alertLine: true,
                       pointStyle: 'triangle', pointRadius: 7, rotation: 180,
                       borderColor: PALETTE.vermillion, backgroundColor: PALETTE.vermillion});
    }
    if (resolved.length) {
        datasets.push({label: 'alert resolved', data: resolved, yAxisID: 'y', showLine: false, alertLine: true,
                       pointStyle: 'rectRot', pointRadius: 6,
                       borderColor: PALETTE.bluishGreen, backgroundColor: PALETTE.bluishGreen});
    }
    const scales = {
        x: {
            type: 'linear', min: from, max: to,
            title: {display: true, text: 'time'},
            ticks: {maxTicksLimit: 8, callback: (v) => shortTime(v, span)},
            grid: {color: PALETTE.grid},
        },
        y: {position: 'left', title: {display: true, text: 'statistic'}, grace: '10%', grid: {color: PALETTE.grid}},
    };
    if (isTest) {
        scales.p = {
            type: 'logarithmic', position: 'right', max: 1,
            title: {display: true, text: 'p-value (log)'},
            grid: {drawOnChartArea: false, drawTicks: false},
            ticks: {autoSkip: false, callback: pTick, padding: 4},
        };
    }
    return draw(canvas, {
        type: 'line',
        data: {datasets},
        options: {
            animation: false,
            responsive: true,
            maintainAspectRatio: false,
            parsing: false,
            normalized: true,
            interaction: {mode: 'nearest', intersect: false},
            plugins: {
                title: {display: !!title, text: title},
                legend: {position: 'top', labels: {usePointStyle: true, generateLabels: historyLegend}},
                tooltip: {
                    callbacks: {
                        title: (items) => (items.length ? new Date(items[0].parsed.x).toLocaleString('en-GB') : ''),
                        label: (ctx) => {
                            const raw = ctx.raw || {};
                            if (raw.rule)
                                return `${ctx.dataset.label}: rule ${raw.rule}`;
                            return `${ctx.dataset.label}: ${formatNumber(ctx.parsed.y)}`;
                        },
                    },
                },
            },
            scales,
        },
        plugins: [alertLines],
    });
}

/* True when the canvas has a chart whose datasets hold data (used by the
 * pages to tell "drawn" from "empty"). */
export function hasData(canvas) {
    const c = chartLib() && chartLib().getChart(canvas);
    return !!c && c.data.datasets.some((d) => d.data.length > 0);
}
