/* test_dashboard.js — the dashboard in a real browser (#12, "How it is shown").
 *
 *   node tests/e2e/test_dashboard.js DRIFTD WEB_ROOT ARTIFACTS_DIR
 *
 * Starts `driftd serve --demo` on a free loopback port (temporary database,
 * --eval-interval 1s), adds 48 one-event models so the overview holds 50,
 * and drives Debian's /usr/bin/chromium headless with playwright-core
 * (tests/e2e/node_modules; no browser download).  It checks:
 *   - the overview: a row per version, demo-classifier v2 reads drift while
 *     v1 reads ok, sparklines are Chart.js charts with points and pixels;
 *     the time to the first paint of the 50 rows is printed (not asserted:
 *     speed belongs in benchmarks; the figure goes in web/README.md);
 *   - the model page: the signals table puts drifting rows first, the history
 *     and reference-vs-current charts hold data and are not blank, performance
 *     is shown, and the window selector (last N = 50) changes what is drawn;
 *   - a 375-px viewport has no horizontal scroll (overview and model page);
 *   - with a key in the database the page asks for it once and then shows the
 *     models (its 401s are expected; nowhere else is a 4xx/5xx or a console
 *     error allowed);
 *   - no console errors, page errors or failed requests.
 * Screenshots go to ARTIFACTS_DIR (overview, model page, phone), paths printed.
 * Exit status 0 on success, 1 on a failed check (the message says which).
 */
'use strict';

const {spawn, execFileSync} = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const CHROMIUM = '/usr/bin/chromium';
const DEPS_HINT = 'run `bash scripts/deps.sh --test` (installs chromium and npm ci in tests/e2e)';

const [driftd, webRoot, artifacts] = process.argv.slice(2);
if (!driftd || !webRoot || !artifacts) {
    console.error('usage: node test_dashboard.js DRIFTD WEB_ROOT ARTIFACTS_DIR');
    process.exit(2);
}

let chromium;
try {
    ({chromium} = require(path.join(__dirname, 'node_modules', 'playwright-core')));
} catch (e) {
    console.error(`FAIL: playwright-core is not installed in tests/e2e/node_modules: ${DEPS_HINT}`);
    process.exit(1);
}
if (!fs.existsSync(CHROMIUM)) {
    console.error(`FAIL: ${CHROMIUM} is missing: ${DEPS_HINT}`);
    process.exit(1);
}
if (!fs.existsSync(path.join(webRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js'))) {
    console.error(`FAIL: ${webRoot}/node_modules/chart.js is missing: ${DEPS_HINT}`);
    process.exit(1);
}

const T0 = Date.now();
const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(1)} s`;

function check(cond, what) {
    if (!cond)
        throw new Error(`check failed: ${what}`);
    console.log(`ok - ${what} [${elapsed()}]`);
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const {port} = s.address();
            s.close(() => resolve(port));
        });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, what, timeoutMs) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
        try {
            last = await fn();
            if (last)
                return last;
        } catch (e) {
            last = e;
        }
        await sleep(200);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}

async function api(base, p, init) {
    const res = await fetch(base + p, init);
    const text = await res.text();
    if (!res.ok)
        throw new Error(`${init && init.method || 'GET'} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
}

/* Runs in the page: what a canvas's chart holds and how many of its pixels
 * were drawn (the canvas background is transparent). */
function canvasReport(sel) {
    const canvas = document.querySelector(sel);
    if (!canvas)
        return {found: false};
    const chart = window.Chart && window.Chart.getChart(canvas);
    const ctx = canvas.getContext('2d');
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < img.length; i += 4)
        if (img[i] > 0)
            drawn++;
    return {
        found: true,
        chart: !!chart,
        lengths: chart ? chart.data.datasets.map((d) => d.data.length) : [],
        data: chart ? JSON.stringify(chart.data.datasets.map((d) => d.data)) : '',
        from: Number(canvas.dataset.from),
        drawn,
        pixels: canvas.width * canvas.height,
    };
}

async function main() {
    fs.mkdirSync(artifacts, {recursive: true});
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'driftd-e2e-'));
    const db = path.join(tmp, 'driftd.db');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const log = fs.openSync(path.join(artifacts, 'driftd.log'), 'w');
    const server = spawn(driftd, ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--db', db,
                                  '--eval-interval', '1s', '--web-root', webRoot],
                         {stdio: ['ignore', log, log]});
    let exited = null;
    server.on('exit', (code, sig) => { exited = {code, sig}; });
    let browser;
    const problems = []; /* console errors, page errors, failed requests of the checked pages */
    try {
        /* chromium starts while the demo gets its first verdicts */
        const launching = chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true});
        launching.then((b) => { browser = b; }, () => {});
        await waitFor(async () => (await fetch(`${base}/readyz`)).ok, 'driftd /readyz', 15000);

        /* an alert rule on the drifting version: the overview's alert space and the history's markers */
        await api(base, '/api/v1/rules', {
            method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({id: 'e2e-v2-drift', model: 'demo-classifier', version: 'v2'}),
        });
        /* 48 more models, one event each: the overview holds 50 */
        await Promise.all(Array.from({length: 48}, (_, i) =>
            api(base, `/api/v1/models/load-${String(i).padStart(2, '0')}/events`, {
                method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({events: [{version: 'v1', prediction: 'a', confidence: 0.5}]}),
            })));
        console.log(`# 50 models [${elapsed()}]`);
        /* the demo's verdicts and some history before the browser looks */
        /* (generous: an ASan build on a loaded 2-core machine takes seconds per round) */
        await waitFor(async () => {
            const m = await api(base, '/api/v1/models/demo-classifier');
            const st = Object.fromEntries(m.versions.map((v) => [v.name, v.status]));
            const h = await api(base, '/api/v1/models/demo-classifier/drift/history?version=v2&signal=confidence&method=ks');
            if (st.v2 === 'drift' && h.points.length >= 3)
                return true;
            throw new Error(`v2 ${st.v2}, ${h.points.length} evaluations`);
        }, 'demo-classifier v2 drifting with 3 evaluations', 90000);
        console.log(`# demo-classifier v2 drifts [${elapsed()}]`);

        browser = await launching;
        const watch = (page, name, allow401) => {
            page.on('console', (m) => {
                if (m.type() === 'error' && !(allow401 && /status of 401/.test(m.text())))
                    problems.push(`${name}: console error: ${m.text()}`);
            });
            page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
            page.on('requestfailed', (r) => problems.push(`${name}: request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
            page.on('response', (r) => {
                if (r.status() >= 400 && !(allow401 && r.status() === 401))
                    problems.push(`${name}: ${r.status()} for ${r.url()}`);
            });
        };

        /* ---- overview at 1280x800 ---- */
        const ctx = await browser.newContext({viewport: {width: 1280, height: 800}});
        const page = await ctx.newPage();
        watch(page, 'desktop');
        const t0 = Date.now();
        await page.goto(`${base}/?refresh=2#/`);
        await page.waitForFunction(() => document.querySelectorAll('table.models tbody tr').length >= 51, null,
                                   {timeout: 15000});
        const firstPaint = Date.now() - t0;
        const mark = await page.evaluate(() => performance.getEntriesByName('driftd-overview-rows')[0].startTime);
        console.log(`# overview: first paint of ${await page.locator('table.models tbody tr').count()} rows ` +
                    `(50 models) ${Math.round(mark)} ms after navigation start (page's mark; ${firstPaint} ms ` +
                    `seen by the test, cold browser) [${elapsed()}]`);
        await page.waitForFunction(() => document.querySelector('main').dataset.loaded, null, {timeout: 20000});
        console.log(`# overview: every row's details and sparklines loaded ${Date.now() - t0} ms after navigation [${elapsed()}]`);
        const rowSel = (v) => `tr[data-model="demo-classifier"][data-version="${v}"]`;
        await page.waitForFunction(([a, b]) => {
            const v1 = document.querySelector(a);
            const v2 = document.querySelector(b);
            return v1 && v2 && v1.dataset.status === 'ok' && v2.dataset.status === 'drift';
        }, [rowSel('v1'), rowSel('v2')], {timeout: 20000});
        check(/drift/.test(await page.locator(`${rowSel('v2')} td.status`).innerText()),
              'overview: demo-classifier v2 reads drift');
        check(/ok/.test(await page.locator(`${rowSel('v1')} td.status`).innerText()),
              'overview: demo-classifier v1 reads ok');
        await page.waitForFunction((s) => Number((document.querySelector(s) || {dataset: {}}).dataset.points) > 0,
                                   `${rowSel('v2')} canvas`, {timeout: 15000});
        const spark = await page.evaluate(canvasReport, `${rowSel('v2')} canvas`);
        check(spark.chart && spark.lengths[0] >= 3, `overview: v2 sparkline is a chart with ${spark.lengths[0]} points`);
        check(spark.drawn > 50, `overview: v2 sparkline is not blank (${spark.drawn} pixels drawn)`);
        const strongest = await page.locator(`${rowSel('v2')} td.signal a`).innerText();
        check(strongest.length > 0, `overview: v2's strongest signal is named (${strongest})`);
        const rate = await page.locator(`${rowSel('v2')} td.num .rate`).innerText();
        check(/\/s|\/min/.test(rate), `overview: v2's event rate is shown (${rate.trim()})`);
        await page.reload();
        await page.waitForFunction(() => performance.getEntriesByName('driftd-overview-rows').length, null, {timeout: 15000});
        const warm = await page.evaluate(() => performance.getEntriesByName('driftd-overview-rows')[0].startTime);
        console.log(`# overview: first paint of the rows ${Math.round(warm)} ms after navigation start (reload, warm cache)`);
        await page.waitForFunction(() => document.querySelector('main').dataset.loaded, null, {timeout: 20000});
        await page.waitForSelector('section.alerts:not([hidden])', {timeout: 15000});
        const alertsText = await page.locator('section.alerts').innerText();
        check(/Firing alerts \(\d+\)/.test(alertsText) && /e2e-v2-drift on demo-classifier v2/.test(alertsText),
              'overview: the firing alert is on top');
        const shot1 = path.join(artifacts, 'overview.png');
        await page.screenshot({path: shot1, fullPage: true});

        /* ---- keyboard: Tab reaches the table's links with a visible focus, Enter follows them ---- */
        let focused = null;
        for (let i = 0; i < 10 && !(focused && focused.inTable); i++) {
            await page.keyboard.press('Tab');
            focused = await page.evaluate(() => {
                const a = document.activeElement;
                return {tag: a.tagName, href: a.getAttribute('href'), outline: getComputedStyle(a).outlineStyle,
                        inTable: !!a.closest('table.models')};
            });
        }
        check(focused.inTable && focused.tag === 'A' && focused.outline !== 'none',
              `keyboard: Tab reaches the table's first link (${focused.href}) with a visible outline (${focused.outline})`);
        await page.keyboard.press('Enter');
        await page.waitForFunction((h) => location.hash === h, focused.href, {timeout: 5000});
        check(true, 'keyboard: Enter opens the model page');
        await page.goBack();
        await page.waitForSelector(`${rowSel('v2')} td[data-label="Version"] a`, {timeout: 10000});

        /* ---- model page ---- */
        await page.click(`${rowSel('v2')} td[data-label="Version"] a`);
        await page.waitForFunction(() => location.hash.startsWith('#/model/demo-classifier') &&
                                         document.querySelector('#history-chart') &&
                                         Number(document.querySelector('#history-chart').dataset.points) >= 3, null,
                                   {timeout: 20000});
        check(await page.locator('main').getAttribute('data-status') === 'drift', 'model page: v2 status drift');
        const firstRow = page.locator('table.signals tbody tr').first();
        check(await firstRow.getAttribute('data-drift') === 'true', 'model page: a drifting signal comes first');
        const hist = await page.evaluate(canvasReport, '#history-chart');
        check(hist.chart && hist.lengths[0] >= 3, `model page: history has ${hist.lengths[0]} points`);
        check(hist.drawn > 500, `model page: history canvas not blank (${hist.drawn} pixels)`);
        await page.waitForFunction(() => window.Chart.getChart(document.querySelector('#distribution-chart')), null,
                                   {timeout: 10000});
        const dist = await page.evaluate(canvasReport, '#distribution-chart');
        check(dist.chart && dist.lengths.every((n) => n > 0), `model page: reference vs current datasets ${dist.lengths}`);
        check(dist.drawn > 500, `model page: distribution canvas not blank (${dist.drawn} pixels)`);
        check(await page.evaluate(() => window.Chart.getChart(document.querySelector('#history-chart')).data.datasets
                  .some((d) => d.label === 'alert fired' && d.data.length > 0)),
              'model page: the history marks when the alert fired');
        const acc = await page.locator('[data-accuracy]').getAttribute('data-accuracy');
        check(Number(acc) > 0 && Number(acc) <= 1, `model page: performance shows accuracy ${acc}`);
        check(Number(await page.locator('[data-ref-events]').getAttribute('data-ref-events')) === 1000,
              'model page: the reference has 1,000 events');
        const shot2 = path.join(artifacts, 'model.png');
        await page.screenshot({path: shot2, fullPage: true});

        /* the window selector changes what is drawn */
        const nBefore = await page.locator('#distribution-chart').getAttribute('data-n-cur');
        await page.selectOption('#window-select', 'last');
        await page.waitForFunction(() => /window=last%3A1000|window=last:1000/.test(location.hash), null, {timeout: 5000});
        await page.fill('#window-n', '50');
        await page.locator('#window-n').dispatchEvent('change');
        await page.waitForFunction(() => document.querySelector('#distribution-chart').dataset.nCur === '50', null,
                                   {timeout: 15000});
        const dist50 = await page.evaluate(canvasReport, '#distribution-chart');
        check(dist50.data !== dist.data, `window last:50: the reference-vs-current data changed (n_cur ${nBefore} -> 50)`);
        const hist50 = await page.evaluate(canvasReport, '#history-chart');
        check(hist50.from < hist.from - 3600000, 'window last:50: the history asks for 24 h instead of the 1 h window');
        const computed = await page.locator('.computed').innerText();
        check(/: 50 events/.test(computed), `window last:50: the report covers 50 events (${computed})`);
        await page.selectOption('#window-select', '15m');
        await page.waitForFunction(() => document.querySelector('#distribution-chart').dataset.nCur !== '50', null,
                                   {timeout: 15000});
        check(true, 'window 15m: the distribution is drawn again over the window');

        /* an empty state says what to do next */
        await page.goto(`${base}/?refresh=2#/model/load-00`);
        await page.waitForFunction(() => document.querySelector('main').dataset.loaded, null, {timeout: 15000});
        const guide = await page.locator('main .empty').innerText();
        check(/Not enough data to test|No reference yet/.test(guide) && /curl -X(POST|PUT)/.test(guide),
              `empty state of load-00: "${guide.split('\n')[0]}" with a curl to run`);

        /* ---- phone width ---- */
        const phone = await browser.newContext({viewport: {width: 375, height: 800}, deviceScaleFactor: 1, isMobile: true,
                                                hasTouch: true});
        const pp = await phone.newPage();
        watch(pp, 'phone');
        await pp.goto(`${base}/#/`);
        await pp.waitForFunction(() => document.querySelector('main').dataset.loaded, null, {timeout: 20000});
        const ov = await pp.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
        check(ov[0] <= ov[1], `phone overview: scrollWidth ${ov[0]} <= clientWidth ${ov[1]}`);
        const shot3 = path.join(artifacts, 'phone-overview.png');
        await pp.screenshot({path: shot3, fullPage: false});
        await pp.goto(`${base}/#/model/demo-classifier?version=v2`);
        await pp.waitForFunction(() => document.querySelector('main').dataset.loaded, null, {timeout: 20000});
        const mv = await pp.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
        check(mv[0] <= mv[1], `phone model page: scrollWidth ${mv[0]} <= clientWidth ${mv[1]}`);
        const shot4 = path.join(artifacts, 'phone-model.png');
        await pp.screenshot({path: shot4, fullPage: true});

        console.log(`screenshots:\n  ${[shot1, shot2, shot3, shot4].join('\n  ')}`);
        check(problems.length === 0,
              `no console errors or failed requests${problems.length ? `:\n  ${problems.join('\n  ')}` : ''}`);
        await ctx.close(); /* their refreshes would meet the 401s of the key below */
        await phone.close();

        /* ---- a key in the database: the page asks once, then shows the models ---- */
        const key = execFileSync(driftd, ['keys', 'create', '--role', 'read', '--db', db],
                                 {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
        await waitFor(async () => (await fetch(`${base}/api/v1/models`)).status === 401, 'the API to require a key', 5000);
        const kctx = await browser.newContext({viewport: {width: 1280, height: 800}});
        const kp = await kctx.newPage();
        watch(kp, 'key', true);
        await kp.goto(`${base}/#/`);
        await kp.waitForSelector('#key-dialog[open]', {timeout: 10000});
        check(true, 'keys: the page asks for a read key');
        await kp.fill('#key-input', key);
        await kp.press('#key-input', 'Enter');
        await kp.waitForFunction(() => document.querySelectorAll('table.models tbody tr').length >= 51, null, {timeout: 15000});
        check(await kp.evaluate(() => sessionStorage.getItem('driftd.key')) === key, 'keys: the key is kept in sessionStorage');
        await kp.goto(`${base}/#/model/demo-classifier?version=v1`);
        await kp.waitForFunction(() => document.querySelector('main').dataset.loaded, null, {timeout: 15000});
        check(!(await kp.locator('#key-dialog[open]').count()), 'keys: asked once (no prompt on the next page)');

        check(problems.length === 0, `no console errors or failed requests with the key${problems.length ?
              `:\n  ${problems.join('\n  ')}` : ''}`);

        /* ---- a failed refresh shows a notice and keeps the data (its failures are the point) ---- */
        await kp.goto(`${base}/?refresh=1#/`);
        await kp.waitForFunction(() => document.querySelector('main').dataset.loaded, null, {timeout: 15000});
        await kp.route('**/api/v1/**', (r) => r.abort('connectionrefused'));
        await kp.waitForSelector('#notice:not([hidden])', {timeout: 10000});
        const noticeText = await kp.locator('#notice').innerText();
        check(/Refresh failed at .*cannot reach driftd/.test(noticeText), `a failed refresh says so: "${noticeText.slice(0, 90)}…"`);
        check(await kp.locator('table.models tbody tr').count() >= 51, 'a failed refresh keeps the rows drawn');
        await kp.unroute('**/api/v1/**');
        await kp.waitForSelector('#notice', {state: 'hidden', timeout: 10000});
        check(true, 'the notice goes once a refresh succeeds again');
    } finally {
        if (browser)
            await browser.close();
        if (!exited) {
            server.kill('SIGTERM');
            await waitFor(() => exited, 'driftd to stop', 10000).catch(() => server.kill('SIGKILL'));
        }
        fs.rmSync(tmp, {recursive: true, force: true});
    }
    if (exited && exited.code !== 0)
        throw new Error(`driftd exited with ${exited.code} (${exited.sig || ''}); see ${artifacts}/driftd.log`);
}

main().then(() => console.log('PASS'), (e) => {
    console.error(`FAIL: ${e.message}`);
    process.exit(1);
});
