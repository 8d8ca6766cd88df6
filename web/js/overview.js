/* overview.js — the overview (#/): firing alerts on top, then one row per
 * model version with its status, events and rate, last event, the latest
 * verdict's strongest signal and a 24-hour sparkline of that signal.
 *
 * Data flow, progressive so that the first paint does not wait for the
 * slow parts (measured in tests/e2e/test_dashboard.js with 50 models):
 *   1. GET /api/v1/models (every page) and GET /api/v1/alerts?state=firing:
 *      the rows are drawn at once, with the model's status, its last event
 *      and "…" where details are still on their way;
 *   2. per model GET /api/v1/models/{m}: each version's status, events, last
 *      event (the row is complete but for the signal and the sparkline);
 *   3. per version GET .../drift?version=V (the stored report: rate and
 *      strongest signal), then GET .../drift/history of that signal and
 *      method over the last 24 h: the sparkline.
 * Requests go through api.js's queue (6 at a time), so rows fill top-down.
 */
import {getAllPages, getJSON, modelPath, storedKey} from './api.js';
import {el, fmtAgo, fmtCount, fmtNum, fmtP, fmtRate, replaceKeepingFocus, statusBadge, strongestSignal, timeEl} from './format.js';
import {chartLib, chartReady, drawSparkline} from './plots.js';

const DAY_MS = 86400000;
const HISTORY_PAGES = 10; /* 10,000 points: 24 h at an eval_interval of 9 s */

export function mountOverview(main, route, ctx) {
    const alertsBox = el('section', {class: 'alerts', 'aria-labelledby': 'alerts-title', hidden: true});
    const summary = el('p', {class: 'summary'});
    const tbody = el('tbody');
    const table = el('table', {class: 'models'},
                     el('caption', {class: 'visually-hidden'}, 'Models and versions'),
                     el('thead', null, el('tr', null,
                                          el('th', {scope: 'col'}, 'Model'),
                                          el('th', {scope: 'col'}, 'Version'),
                                          el('th', {scope: 'col'}, 'Status'),
                                          el('th', {scope: 'col'}, 'Events'),
                                          el('th', {scope: 'col'}, 'Last event'),
                                          el('th', {scope: 'col'}, 'Strongest signal'),
                                          el('th', {scope: 'col'}, 'Last 24 h'))),
                     tbody);
    const empty = el('div', {class: 'empty', hidden: true});
    main.replaceChildren(alertsBox, el('h1', null, 'Models'), summary, el('div', {class: 'table-wrap'}, table), empty);
    document.title = 'driftd · overview';

    const rows = new Map(); /* "model\0version" -> row state */
    let dead = false; /* set when another page took <main>: a late refresh must not mark it */

    function rowFor(model, version) {
        const key = `${model}\u0000${version}`;
        let r = rows.get(key);
        if (r)
            return r;
        const cells = {
            model: el('td', {'data-label': 'Model'},
                      el('a', {href: ctx.modelHash(model), 'data-focus': `m:${model}`}, model)),
            version: el('td', {'data-label': 'Version'},
                        el('a', {href: ctx.modelHash(model, {version}), 'data-focus': `v:${key}`}, version)),
            status: el('td', {'data-label': 'Status', class: 'status'}, '…'),
            events: el('td', {'data-label': 'Events', class: 'num'}, '…'),
            last: el('td', {'data-label': 'Last event'}, '…'),
            signal: el('td', {'data-label': 'Strongest signal', class: 'signal'}, '…'),
            spark: el('td', {'data-label': 'Last 24 h', class: 'spark'}),
        };
        const canvas = el('canvas', {width: 140, height: 34, role: 'img', 'aria-label': 'no drift history yet'});
        cells.spark.append(canvas);
        const tr = el('tr', {'data-model': model, 'data-version': version}, Object.values(cells));
        r = {key, model, version, tr, cells, canvas};
        rows.set(key, r);
        return r;
    }

    function renderAlerts(alerts) {
        if (!alerts || alerts.length === 0) {
            alertsBox.hidden = true;
            alertsBox.replaceChildren();
            return;
        }
        const items = alerts.map((a) => el('li', {class: 'alert'},
                                           statusBadge('firing'), ' ',
                                           el('strong', null, a.rule), ' on ',
                                           el('a', {href: ctx.modelHash(a.model, {version: a.version || undefined}),
                                                    'data-focus': `a:${a.id}`},
                                              a.version ? `${a.model} ${a.version}` : a.model),
                                           ` · value ${fmtNum(a.value)} · since `, timeEl(a.started_at),
                                           ` (${fmtAgo(a.started_at)})`));
        replaceKeepingFocus(alertsBox,
                            el('h2', {id: 'alerts-title'}, `Firing alerts (${alerts.length})`),
                            el('ul', null, items));
        alertsBox.hidden = false;
    }

    function renderEmpty() {
        const origin = location.origin;
        const auth = storedKey() ? ' -H "Authorization: Bearer $DRIFTD_INGEST_KEY"' : '';
        empty.replaceChildren(
            el('h2', null, 'No models yet'),
            el('p', null, 'A model appears with its first event. Send one:'),
            el('pre', null, el('code', null,
                               `curl -XPOST -H 'Content-Type: application/json'${auth} \\\n` +
                               `  ${origin}/api/v1/models/my-model/events \\\n` +
                               `  -d '{"events": [{"version": "v1", "prediction": "cat", "confidence": 0.91}]}'`)),
            el('p', null, 'Its first 1,000 events become its reference; to compare with a training set instead, ',
               el('code', null, 'PUT /api/v1/models/my-model/versions/v1/reference'), ' (docs/api.md). ',
               'Or start the server with ', el('code', null, '--demo'), ' to see drifting and quiet models.'));
        empty.hidden = false;
    }

    /* Step 2: a model's versions. */
    async function loadModel(name) {
        const m = await getJSON(modelPath(name));
        for (const v of m.versions || []) {
            const r = rows.get(`${name}\u0000${v.name}`);
            if (!r)
                continue;
            r.cells.status.replaceChildren(statusBadge(v.status));
            r.tr.dataset.status = v.status;
            r.cells.events.replaceChildren(fmtCount(v.events), r.rate ? el('span', {class: 'rate'}, ` · ${r.rate}`) : '');
            r.cells.last.replaceChildren(timeEl(v.last_event, fmtAgo(v.last_event)));
            r.events = v.events;
            r.firstEvent = v.first_event;
        }
        await Promise.all((m.versions || []).filter((v) => v.events > 0)
                              .map((v) => loadVersion(rows.get(`${name}\u0000${v.name}`))));
    }

    /* Step 3: the stored report and the sparkline of its strongest signal. */
    async function loadVersion(r) {
        if (!r)
            return;
        const report = await getJSON(modelPath(r.model, '/drift'), {version: r.version});
        r.rate = fmtRate(report.window, r.firstEvent);
        r.cells.events.replaceChildren(fmtCount(r.events), el('span', {class: 'rate'}, ` · ${r.rate}`));
        const s = strongestSignal(report);
        if (!s) {
            const why = report.status === 'no_reference' ? 'no reference yet' : 'nothing tested yet';
            r.cells.signal.replaceChildren(el('span', {class: 'muted'}, why));
            return;
        }
        const link = el('a', {href: ctx.modelHash(r.model, {version: r.version, signal: s.signal, method: s.method}),
                              'data-focus': `s:${r.key}`}, s.signal);
        const detail = s.kind === 'test' ? `${s.method}, p ${fmtP(s.p_value)}` : `${s.method} ${fmtNum(s.statistic)}`;
        r.cells.signal.replaceChildren(link, el('span', {class: 'muted'}, ` ${detail}`));
        r.cells.signal.title = `verdict computed at ${new Date(report.computed_at).toLocaleString('en-GB')}`;
        if (!(await chartReady()))
            return;
        const now = Date.now();
        const {items} = await getAllPages(modelPath(r.model, '/drift/history'),
                                          {version: r.version, signal: s.signal, method: s.method,
                                           from: new Date(now - DAY_MS).toISOString(), limit: 1000},
                                          'points', HISTORY_PAGES);
        drawSparkline(r.canvas, items, `${s.signal} ${s.method}`);
        const drifting = items.filter((p) => p.drift).length;
        r.canvas.setAttribute('aria-label', `${s.signal} (${s.method}) statistic over the last 24 h: ` +
                                            `${items.length} evaluations, ${drifting} drifting`);
        r.canvas.dataset.points = String(items.length);
    }

    async function refresh() {
        const [models, alerts] = await Promise.allSettled([
            getAllPages('/api/v1/models', {limit: 1000}, 'models'),
            getJSON('/api/v1/alerts', {state: 'firing', limit: 100}),
        ]);
        if (alerts.status === 'fulfilled')
            renderAlerts(alerts.value.alerts);
        if (models.status === 'rejected')
            throw models.reason;
        if (dead)
            return;
        const list = models.value.items;
        /* Step 1: every row, in name order, at once. */
        const seen = new Set();
        const order = [];
        for (const m of list) {
            for (const v of m.versions || []) {
                const r = rowFor(m.name, v);
                seen.add(r.key);
                order.push(r.tr);
                if (r.cells.status.textContent === '…' && m.versions.length === 1)
                    r.cells.status.replaceChildren(statusBadge(m.status));
            }
        }
        for (const [key, r] of rows) {
            if (!seen.has(key)) {
                const c = chartLib() && chartLib().getChart(r.canvas);
                if (c)
                    c.destroy();
                rows.delete(key);
            }
        }
        const active = document.activeElement;
        tbody.replaceChildren(...order);
        if (active && active.isConnected === false) {
            /* a row that left took focus with it: nothing to give it back to */
        } else if (active && tbody.contains(active)) {
            active.focus({preventScroll: true});
        }
        const versions = order.length;
        summary.textContent = list.length ?
            `${list.length} model${list.length === 1 ? '' : 's'}, ${versions} version${versions === 1 ? '' : 's'}; ` +
            `${list.filter((m) => m.status === 'drift').length} drifting.` : '';
        table.hidden = list.length === 0;
        if (list.length === 0)
            renderEmpty();
        else
            empty.hidden = true;
        main.dataset.rows = String(versions);
        if (!performance.getEntriesByName('driftd-overview-rows').length)
            performance.mark('driftd-overview-rows'); /* the first paint of the rows, for the browser test */

        /* Steps 2 and 3, in the background of the first paint. */
        const results = await Promise.allSettled(list.map((m) => loadModel(m.name)));
        if (alerts.status === 'rejected')
            throw alerts.reason;
        const failed = results.filter((x) => x.status === 'rejected');
        if (failed.length) {
            const e = failed[0].reason;
            e.message = `${failed.length} of ${list.length} models could not be read (${e.message})`;
            throw e;
        }
        if (!dead)
            main.dataset.loaded = String(Date.now());
    }

    return {
        refresh,
        update() {},
        destroy() {
            dead = true;
        },
    };
}
