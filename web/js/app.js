/* app.js — the dashboard's entry point: hash routing, the live refresh and
 * the notice shown when a refresh fails.
 *
 * Routes:  #/                                  overview.js (every model and version)
 *          #/model/NAME?version=V&window=W&signal=S&method=M   model.js
 * A page is mounted into <main> by mount(main, route, ctx) and answers
 * {refresh(), update(route)}.  refresh() fetches and draws; it throws when
 * something could not be fetched, and app.js then shows a notice above the
 * page, leaving the last data drawn.  It runs again every REFRESH_S seconds
 * (`?refresh=N` in the page URL changes it: the browser test uses 2) while the
 * tab is visible, and at once when the tab comes back.
 */
import {forgetKey, storedKey} from './api.js';
import {el} from './format.js';
import {mountModel} from './model.js';
import {mountOverview} from './overview.js';
import {chartReady} from './plots.js';

const REFRESH_S = Math.max(1, Number(new URLSearchParams(location.search).get('refresh')) || 15);

const main = document.getElementById('main');
const live = document.getElementById('live');
const notice = document.getElementById('notice');
const forget = document.getElementById('forget-key');

let page = null; /* {kind, model, refresh, update} of the page shown */
let timer = null;
let lastOk = null;
let running = null;

export function parseRoute(hash) {
    const h = (hash || '').replace(/^#/, '') || '/';
    const [path, query] = h.split('?');
    const params = Object.fromEntries(new URLSearchParams(query || ''));
    const m = /^\/model\/([^/]+)$/.exec(path);
    if (m)
        return {kind: 'model', model: decodeURIComponent(m[1]), params};
    return {kind: 'overview', params};
}

export function modelHash(model, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {}))
        if (v !== undefined && v !== null && v !== '')
            q.set(k, v);
    const s = q.toString();
    return `#/model/${encodeURIComponent(model)}${s ? `?${s}` : ''}`;
}

function showNotice(err) {
    const at = new Date().toLocaleTimeString('en-GB', {hour12: false});
    const since = lastOk ? ` The data shown is from ${lastOk}.` : '';
    notice.replaceChildren(
        el('strong', null, `Refresh failed at ${at}: `), err.message || String(err), '.', since,
        ` Trying again in ${REFRESH_S} s. `,
        el('button', {type: 'button', class: 'link', onclick: () => refreshNow()}, 'Retry now'));
    notice.hidden = false;
}

function setLive() {
    live.textContent = lastOk ? `Updated ${lastOk} · every ${REFRESH_S} s` : '';
    forget.hidden = !storedKey();
}

async function refreshNow() {
    clearTimeout(timer);
    if (running)
        return running;
    const shown = page;
    running = (async () => {
        try {
            await shown.refresh();
            if (shown === page) {
                lastOk = new Date().toLocaleTimeString('en-GB', {hour12: false});
                notice.hidden = true;
                notice.replaceChildren();
            }
        } catch (e) {
            if (shown === page)
                showNotice(e);
            if (!(e && e.status)) /* not an answer of the API: a bug worth the console */
                console.warn('driftd: refresh failed', e);
        } finally {
            setLive();
            running = null;
            timer = setTimeout(tick, REFRESH_S * 1000);
        }
    })();
    return running;
}

function tick() {
    if (document.hidden)
        return; /* visibilitychange refreshes when the tab is shown again */
    refreshNow();
}

async function route() {
    const r = parseRoute(location.hash);
    if (page && page.kind === r.kind && page.model === r.model) {
        page.update(r);
    } else {
        if (page && page.destroy)
            page.destroy();
        for (const k of Object.keys(main.dataset)) /* the last page's marks (the browser test waits on them) */
            delete main.dataset[k];
        const ctx = {modelHash, refresh: refreshNow};
        const mounted = r.kind === 'model' ? mountModel(main, r, ctx) : mountOverview(main, r, ctx);
        page = Object.assign({kind: r.kind, model: r.model}, mounted);
        notice.hidden = true;
        document.getElementById('nav-overview').setAttribute('aria-current', r.kind === 'overview' ? 'page' : 'false');
    }
    if (running)
        await running;
    return refreshNow();
}

window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => {
    if (!document.hidden)
        refreshNow();
});
document.addEventListener('driftd-key', setLive);
forget.addEventListener('click', () => {
    forgetKey();
    location.reload();
});

chartReady().then((C) => {
    if (!C) {
        notice.before(el('div', {class: 'notice', role: 'alert'},
                         'Chart.js did not load (/vendor/chart.umd.min.js): the tables are shown without charts. ',
                         'Run ', el('code', null, 'bash scripts/deps.sh'), ' (npm ci in web/) and restart driftd.'));
    }
});
route();
