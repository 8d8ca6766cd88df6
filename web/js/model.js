/* model.js — a model's page (#/model/NAME?version=V&window=W&signal=S&method=M).
 *
 * What it fetches on every refresh (docs/api.md):
 *   GET /api/v1/models/{m}                      versions for the selector
 *   GET /api/v1/models/{m}/settings             the settings in effect (window default)
 *   GET /api/v1/models/{m}/drift?version&window the latest results per signal
 *   GET /api/v1/models/{m}/distributions?...    reference vs current (charts.js)
 *   GET /api/v1/models/{m}/versions/{v}/reference  the reference's source and size
 *   GET /api/v1/alerts?model&version            alert markers on the history
 *   GET /api/v1/models/{m}/drift/history?...    the selected signal over time
 * The window selector changes the report, the distributions and the span of
 * the history (the window when it is a duration, else 24 h).  The selection
 * lives in the URL hash, so a view can be linked and the back button works.
 */
import {ApiError, getAllPages, getJSON, modelPath} from './api.js';
import {drawDistribution} from './charts.js';
import {durationMs, el, fmtAgo, fmtCount, fmtNum, fmtP, fmtPct, fmtRate, replaceKeepingFocus, sortSignalRows,
        statusBadge, timeEl, verdictBadge} from './format.js';
import {chartLib, chartReady, drawHistory} from './plots.js';

const WINDOWS = ['15m', '1h', '24h', '7d'];
const DEFAULT_LAST_N = 1000;
const DAY_MS = 86400000;
const HISTORY_PAGES = 12;

function curlBlock(text) {
    return el('pre', null, el('code', null, text));
}

export function mountModel(main, route, ctx) {
    const model = route.model;
    let params = route.params;
    let dead = false; /* set when another page took <main>: a late refresh must not draw into it */

    const title = el('h1', null, model);
    const headStatus = el('span', {class: 'head-status'});
    const controls = el('form', {class: 'controls', onsubmit: (e) => e.preventDefault()});
    const computed = el('p', {class: 'computed'});
    const guide = el('div', {class: 'empty', hidden: true});
    const signalsNote = el('p', {class: 'muted'});
    const signalsBody = el('tbody');
    const signalsTable = el('table', {class: 'signals'},
                            el('caption', {class: 'visually-hidden'}, 'Latest result of each signal and method'),
                            el('thead', null, el('tr', null,
                                                 ['Signal', 'Method', 'Statistic', 'p-value', 'Threshold / level', 'Verdict', 'n (ref / cur)']
                                                     .map((h) => el('th', {scope: 'col'}, h)))),
                            signalsBody);
    const histTitle = el('h2', {id: 'hist-title'}, 'History');
    const histCanvas = el('canvas', {id: 'history-chart', role: 'img', 'aria-labelledby': 'hist-title'});
    const histNote = el('p', {class: 'muted chart-note'});
    const distTitle = el('h2', {id: 'dist-title'}, 'Reference vs current');
    const distCanvas = el('canvas', {id: 'distribution-chart', role: 'img', 'aria-labelledby': 'dist-title'});
    const distNote = el('p', {class: 'muted chart-note'});
    const perfBox = el('section', {class: 'panel', 'aria-labelledby': 'perf-title'});
    const refBox = el('section', {class: 'panel', 'aria-labelledby': 'ref-title'});

    main.replaceChildren(
        el('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, el('a', {href: '#/'}, 'Overview'), ' › ', model),
        el('div', {class: 'title-row'}, title, headStatus),
        controls, computed, guide,
        el('section', {class: 'panel', 'aria-labelledby': 'signals-title'},
           el('h2', {id: 'signals-title'}, 'Signals'),
           signalsNote,
           el('div', {class: 'table-wrap'}, signalsTable)),
        el('div', {class: 'charts'},
           el('section', {class: 'panel chart-panel'}, histTitle, el('div', {class: 'chart-box'}, histCanvas), histNote),
           el('section', {class: 'panel chart-panel'}, distTitle, el('div', {class: 'chart-box'}, distCanvas), distNote)),
        perfBox, refBox);
    document.title = `driftd · ${model}`;

    const go = (changes) => {
        location.hash = ctx.modelHash(model, Object.assign({}, params, changes));
    };

    function renderControls(versions, version, window, settingsWindow) {
        const vSelect = el('select', {id: 'version-select', 'data-focus': 'version',
                                      onchange: (e) => go({version: e.target.value, signal: undefined, method: undefined})},
                           versions.map((v) => el('option', {value: v.name, selected: v.name === version},
                                                  `${v.name} (${(STATUS_WORD[v.status] || v.status)})`)));
        const isLast = window.startsWith('last:');
        const options = WINDOWS.slice();
        if (!isLast && !options.includes(window))
            options.push(window);
        if (settingsWindow && !settingsWindow.startsWith('last:') && !options.includes(settingsWindow))
            options.push(settingsWindow);
        const wSelect = el('select', {id: 'window-select', 'data-focus': 'window',
                                      onchange: (e) => go({window: e.target.value === 'last' ?
                                          `last:${nInput.value || DEFAULT_LAST_N}` : e.target.value})},
                           options.map((w) => el('option', {value: w, selected: w === window},
                                                 w === settingsWindow ? `${w} (model setting)` : w)),
                           el('option', {value: 'last', selected: isLast}, 'last N events'));
        const nInput = el('input', {id: 'window-n', type: 'number', min: 1, max: 10000000, step: 1, inputmode: 'numeric',
                                    'data-focus': 'n', value: isLast ? window.slice(5) : DEFAULT_LAST_N,
                                    disabled: !isLast, 'aria-label': 'N, the number of most recent events',
                                    onchange: (e) => {
                                        const n = Math.round(Number(e.target.value));
                                        if (n >= 1 && n <= 10000000)
                                            go({window: `last:${n}`});
                                    }});
        replaceKeepingFocus(controls,
                            el('label', {for: 'version-select'}, 'Version'), vSelect,
                            el('label', {for: 'window-select'}, 'Window'), wSelect, nInput);
    }

    function renderGuide(report, version) {
        const origin = location.origin;
        const base = `${origin}/api/v1/models/${encodeURIComponent(model)}`;
        const parts = [];
        if (report.status === 'no_reference') {
            parts.push(el('h2', null, 'No reference yet'),
                       el('p', null, `Drift compares the window with a reference. Version ${version} has none: set one from ` +
                                     'your training set (CSV or NDJSON events), or from a range of its own events:'),
                       curlBlock(`curl -XPUT -H 'Content-Type: text/csv' --data-binary @train.csv \\\n` +
                                 `  ${base}/versions/${version}/reference\n` +
                                 `curl -XPUT -H 'Content-Type: application/json' ${base}/versions/${version}/reference \\\n` +
                                 `  -d '{"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z"}'`),
                       el('p', null, 'Without one, the version\'s first events (the model\'s reference_size) become its reference.'));
        } else if (report.status === 'insufficient_data') {
            parts.push(el('h2', null, 'Not enough data to test'),
                       el('p', null, `The window holds ${fmtCount(report.window && report.window.events)} events; ` +
                                     'each signal needs at least 20 on both sides. Choose a wider window, or send events:'),
                       curlBlock(`curl -XPOST -H 'Content-Type: application/json' ${base}/events \\\n` +
                                 `  -d '{"events": [{"version": "${version}", "prediction": "cat", "confidence": 0.91}]}'`));
        }
        guide.replaceChildren(...parts);
        guide.hidden = parts.length === 0;
    }

    function renderSignals(rows, selected, version, window) {
        const sorted = sortSignalRows(rows);
        const trs = sorted.map((r) => {
            const isSel = r.signal === selected.signal && r.method === selected.method;
            const href = ctx.modelHash(model, {version: params.version, window: params.window, signal: r.signal, method: r.method});
            const level = r.kind === 'test' ? `${fmtNum(r.threshold)} / ${fmtP(r.level)}` : fmtNum(r.threshold);
            return el('tr', {class: isSel ? 'selected' : null, 'aria-current': isSel ? 'true' : null,
                             'data-signal': r.signal, 'data-method': r.method, 'data-drift': String(!!r.drift)},
                      el('th', {scope: 'row', 'data-label': 'Signal'},
                         el('a', {href, 'data-focus': `sig:${r.signal}:${r.method}`}, r.signal)),
                      el('td', {'data-label': 'Method'}, r.method, el('span', {class: 'muted'}, r.kind === 'test' ? ' test' : ' effect size')),
                      el('td', {'data-label': 'Statistic', class: 'num'}, r.status === 'insufficient_data' ? '—' : fmtNum(r.statistic)),
                      el('td', {'data-label': 'p-value', class: 'num'}, fmtP(r.p_value)),
                      el('td', {'data-label': 'Threshold / level', class: 'num'}, r.status === 'insufficient_data' ? '—' : level),
                      el('td', {'data-label': 'Verdict'}, verdictBadge(r)),
                      el('td', {'data-label': 'n (ref / cur)', class: 'num'}, `${fmtCount(r.n_ref)} / ${fmtCount(r.n_cur)}`));
        });
        if (trs.length === 0) {
            trs.push(el('tr', null, el('td', {colspan: 7, class: 'muted'},
                                          `No signals in window ${window} of version ${version}.`)));
        }
        replaceKeepingFocus(signalsBody, ...trs);
    }

    async function renderHistory(version, window, row, alerts) {
        histTitle.textContent = `History of ${row.signal} (${row.method})`;
        const span = durationMs(window);
        const to = Date.now();
        const from = to - (span && span >= 15 * 60000 ? span : DAY_MS);
        const {items, complete} = await getAllPages(modelPath(model, '/drift/history'),
                                                    {version, signal: row.signal, method: row.method,
                                                     from: new Date(from).toISOString(), limit: 1000},
                                                    'points', HISTORY_PAGES);
        if (chartLib())
            drawHistory(histCanvas, {points: items, row, alerts, from, to});
        histCanvas.dataset.points = String(items.length);
        histCanvas.dataset.from = String(from);
        const drifting = items.filter((p) => p.drift).length;
        const since = span && span >= 15 * 60000 ? `the last ${window}` : 'the last 24 h';
        histNote.textContent = items.length ?
            `${items.length} scheduled evaluations in ${since}, ${drifting} drifting (▲)` +
            `${complete ? '' : ' (the oldest only: too many points)'}; ` +
            `${(alerts || []).length ? 'alert markers: ▼ fired, ◆ resolved.' : 'no alerts for this version.'}` :
            `No scheduled evaluation of ${row.signal} (${row.method}) in ${since} yet: the evaluator stores one every eval_interval.`;
    }

    function renderDistribution(dist, signal) {
        const entry = dist && (dist.signals || []).find((s) => s.signal === signal);
        distTitle.textContent = `Reference vs current: ${signal}`;
        if (!entry) {
            const c = chartLib() && chartLib().getChart(distCanvas);
            if (c)
                c.destroy();
            distCanvas.hidden = true;
            distNote.textContent = dist ? `No distribution is drawn for ${signal} (it has no values of its own to compare: ` +
                                          'choose a feature, confidence, prediction or embedding).' :
                                          'The distributions could not be computed for this window.';
            return;
        }
        distCanvas.hidden = false;
        if (chartLib())
            drawDistribution(distCanvas, entry, {maintainAspectRatio: false});
        distCanvas.dataset.nCur = String(entry.n_cur);
        distNote.textContent = `reference ${fmtCount(entry.n_ref)} events, current ${fmtCount(entry.n_cur)} ` +
                               `(window ${dist.window ? fmtCount(dist.window.events) : '—'} events, computed ${fmtAgo(dist.computed_at)})`;
    }

    function renderPerformance(perf, version) {
        const kids = [el('h2', {id: 'perf-title'}, 'Performance')];
        if (!perf) {
            kids.push(el('p', null, 'No labels in this window. When ground truth arrives, post it by event id:'),
                      curlBlock(`curl -XPOST -H 'Content-Type: application/json' ${location.origin}/api/v1/models/` +
                                `${encodeURIComponent(model)}/labels \\\n  -d '{"labels": [{"id": "e-17", "label": "cat"}]}'`));
            replaceKeepingFocus(perfBox, ...kids);
            return;
        }
        const ref = perf.reference || {};
        const cur = perf.current || {};
        if (ref.regression || cur.regression) {
            kids.push(el('dl', {class: 'facts'},
                         el('dt', null, 'MAE (reference / current)'), el('dd', null, `${fmtNum(ref.mae)} / ${fmtNum(cur.mae)}`),
                         el('dt', null, 'RMSE (reference / current)'), el('dd', null, `${fmtNum(ref.rmse)} / ${fmtNum(cur.rmse)}`),
                         el('dt', null, 'labelled'), el('dd', null, `${fmtCount(ref.labeled)} / ${fmtCount(cur.labeled)}`)));
            replaceKeepingFocus(perfBox, ...kids);
            return;
        }
        const drop = typeof ref.accuracy === 'number' && typeof cur.accuracy === 'number' ? cur.accuracy - ref.accuracy : null;
        kids.push(el('p', {class: 'accuracy'},
                     'Accuracy ', el('strong', {'data-accuracy': cur.accuracy ?? ''}, fmtPct(cur.accuracy)),
                     ` in the window (${fmtCount(cur.labeled)} labelled) against ${fmtPct(ref.accuracy)} in the reference ` +
                     `(${fmtCount(ref.labeled)} labelled)`,
                     drop === null ? '' : `: ${drop < 0 ? '▼' : '▲'} ${fmtPct(Math.abs(drop))} points.`));
        const classes = Array.from(new Set([...Object.keys(ref.classes || {}), ...Object.keys(cur.classes || {})])).sort();
        const cell = (side, c, k) => fmtPct(side.classes && side.classes[c] ? side.classes[c][k] : null);
        const cnt = (side, c) => fmtCount(side.classes && side.classes[c] ? side.classes[c].support : 0);
        kids.push(el('div', {class: 'table-wrap'}, el('table', {class: 'perf'},
            el('caption', {class: 'visually-hidden'}, `Per-class precision and recall of ${version}`),
            el('thead', null, el('tr', null, ['Class', 'Precision ref', 'Precision cur', 'Recall ref', 'Recall cur', 'Support ref / cur']
                                                 .map((h) => el('th', {scope: 'col'}, h)))),
            el('tbody', null, classes.map((c) => el('tr', null,
                el('th', {scope: 'row', 'data-label': 'Class'}, c),
                el('td', {'data-label': 'Precision ref', class: 'num'}, cell(ref, c, 'precision')),
                el('td', {'data-label': 'Precision cur', class: 'num'}, cell(cur, c, 'precision')),
                el('td', {'data-label': 'Recall ref', class: 'num'}, cell(ref, c, 'recall')),
                el('td', {'data-label': 'Recall cur', class: 'num'}, cell(cur, c, 'recall')),
                el('td', {'data-label': 'Support ref / cur', class: 'num'}, `${cnt(ref, c)} / ${cnt(cur, c)}`)))))));
        replaceKeepingFocus(perfBox, ...kids);
    }

    function renderReference(ref, settings, report, versionObj) {
        const json = (o) => (o && Object.keys(o).length ? JSON.stringify(o) : 'built-in defaults (docs/statistics.md)');
        const refFacts = ref ? [
            el('dt', null, 'Source'), el('dd', null, ref.source === 'auto' ? `auto (the version's first events${ref.complete ? '' : ', still filling'})` :
                                                     ref.source === 'range' ? 'a range of its own events' : 'events sent with PUT'),
            el('dt', null, 'Size'), el('dd', {'data-ref-events': ref.events}, `${fmtCount(ref.events)} events`),
            el('dt', null, 'Events from'), el('dd', null, timeEl(ref.from), ' to ', timeEl(ref.to)),
            ref.set_at ? [el('dt', null, 'Set at'), el('dd', null, timeEl(ref.set_at))] : null,
        ] : [el('dt', null, 'Reference'), el('dd', null, 'none')];
        const s = settings || {};
        replaceKeepingFocus(refBox,
            el('h2', {id: 'ref-title'}, 'Reference and settings'),
            el('div', {class: 'facts-grid'},
               el('dl', {class: 'facts'}, refFacts,
                  el('dt', null, 'Version events'), el('dd', null, fmtCount(versionObj && versionObj.events)),
                  el('dt', null, 'Window evaluated'), el('dd', null,
                     report && report.window ? `${fmtCount(report.window.events)} events (${fmtRate(report.window, versionObj && versionObj.first_event)})` +
                                               (report.window.sampled ? `, a sample of ${fmtCount(report.window.sample)}` : '') : '—')),
               el('dl', {class: 'facts'},
                  el('dt', null, 'alpha'), el('dd', null, `${fmtNum(s.alpha)} (${report ? report.correction || 'holm' : 'holm'} correction)`),
                  el('dt', null, 'window'), el('dd', null, s.window || '—'),
                  el('dt', null, 'reference_size'), el('dd', null, fmtCount(s.reference_size)),
                  el('dt', null, 'methods'), el('dd', null, el('code', null, json(s.methods))),
                  el('dt', null, 'thresholds'), el('dd', null, el('code', null, json(s.thresholds))),
                  el('dt', null, 'types'), el('dd', null, el('code', null, s.types && Object.keys(s.types).length ?
                                                                   JSON.stringify(s.types) : 'guessed from the values')))));
    }

    function renderMissing(err) {
        main.replaceChildren(
            el('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, el('a', {href: '#/'}, 'Overview'), ' › ', model),
            el('div', {class: 'empty'}, el('h1', null, `No model ${model}`),
               el('p', null, err.message, '. '), el('p', null, el('a', {href: '#/'}, 'Back to the overview'))));
    }

    async function refresh() {
        let m;
        let settings;
        try {
            [m, settings] = await Promise.all([getJSON(modelPath(model)), getJSON(modelPath(model, '/settings'))]);
        } catch (e) {
            if (e instanceof ApiError && e.status === 404) {
                if (!dead)
                    renderMissing(e);
                return;
            }
            throw e;
        }
        const versions = (m.versions || []).slice();
        const latest = versions.filter((v) => v.last_event).sort((a, b) => Date.parse(b.last_event) - Date.parse(a.last_event))[0];
        const version = params.version || (latest || versions[0] || {}).name;
        const window = params.window || settings.window || '1h';
        headStatus.replaceChildren(statusBadge(m.status));
        if (!version) {
            renderControls([], '', window, settings.window);
            renderGuide({status: 'insufficient_data', window: {events: 0}}, 'v1');
            return;
        }
        const versionObj = versions.find((v) => v.name === version);
        renderControls(versions, version, window, settings.window);
        const [, report, dist, ref, alerts] = await Promise.all([
            chartReady().then(() => null), /* the charts below draw with it */
            getJSON(modelPath(model, '/drift'), {version, window}),
            getJSON(modelPath(model, '/distributions'), {version, window}).catch((e) => (e.status === 409 ? null : Promise.reject(e))),
            getJSON(modelPath(model, `/versions/${encodeURIComponent(version)}/reference`)).catch((e) => (e.status === 404 ? null : Promise.reject(e))),
            getJSON('/api/v1/alerts', {model, version, limit: 100}).then((b) => b.alerts),
        ]);
        if (dead)
            return;
        title.textContent = `${model} ${version}`;
        headStatus.replaceChildren(statusBadge(report.status));
        main.dataset.status = report.status;
        computed.replaceChildren('Computed at ', timeEl(report.computed_at), ` (${fmtAgo(report.computed_at)}) over `,
                                 report.window ? `${fmtTimeRange(report.window)}: ${fmtCount(report.window.events)} events` : 'the window',
                                 ` against ${fmtCount(report.reference && report.reference.events)} reference events.`);
        renderGuide(report, version);
        const rows = report.signals || [];
        const sorted = sortSignalRows(rows);
        let selected = rows.find((r) => r.signal === params.signal && (!params.method || r.method === params.method));
        if (selected && !params.method)
            selected = rows.find((r) => r.signal === params.signal && r.kind === 'test') || selected;
        selected = selected || sorted[0];
        signalsNote.textContent = `Drifting signals first. A test drifts when its p-value is at or below its level ` +
                                  `(alpha ${fmtNum(report.alpha)}, ${report.correction || 'holm'} correction across the tests); ` +
                                  'an effect size flags its row when its statistic is over its threshold, but does not decide the verdict.';
        renderSignals(rows, selected || {}, version, window);
        renderPerformance(report.performance, version);
        renderReference(ref, settings, report, versionObj);
        if (selected) {
            renderDistribution(dist, selected.signal);
            await renderHistory(version, window, selected, alerts);
        } else {
            histNote.textContent = 'Nothing to draw until a signal has been evaluated.';
            distNote.textContent = '';
        }
        if (!dead)
            main.dataset.loaded = String(Date.now());
    }

    return {
        refresh,
        update(r) {
            params = r.params;
        },
        destroy() {
            dead = true;
        },
    };
}

const STATUS_WORD = {drift: 'drift', ok: 'ok', insufficient_data: 'insufficient data', no_reference: 'no reference'};

function fmtTimeRange(w) {
    if (!w.from || !w.to)
        return 'the window';
    return `${new Date(w.from).toLocaleTimeString('en-GB', {hour12: false})}–${new Date(w.to).toLocaleTimeString('en-GB', {hour12: false})}`;
}
