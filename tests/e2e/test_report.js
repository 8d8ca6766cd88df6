// test_report.js — e2e/report: the HTML report of `driftd check --format html` (#12 item 7)
// opened from a file by headless Debian chromium with the network disabled.
//
// Writes a drifting pair of event files (numeric, categorical and embedding signals),
// runs `driftd check --format html` (exit 1: drift), opens the page from file:// with
// every non-file request aborted and the context offline, and asserts: the verdict and
// one table row per result, one Chart.js chart per signal of the inlined distributions
// with non-empty datasets and a canvas that is not blank, no console error, no page
// error, no request that is not file://, and no horizontal scroll at 375 px.
// Screenshots go to ARTIFACTS (report-1280.png, report-375.png).
//
// usage: node tests/e2e/test_report.js DRIFTD ARTIFACTS
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync} = require('child_process');
const {pathToFileURL} = require('url');

const CHROMIUM = process.env.DRIFTD_CHROMIUM || '/usr/bin/chromium';
const [driftd, artifacts] = process.argv.slice(2);

function fail(msg) {
    console.error(`e2e/report: ${msg}`);
    process.exit(1);
}

if (!driftd || !artifacts)
    fail('usage: node tests/e2e/test_report.js DRIFTD ARTIFACTS');
let chromium;
try {
    ({chromium} = require(path.join(__dirname, 'node_modules', 'playwright-core')));
} catch (e) {
    fail(`playwright-core is not installed in tests/e2e/node_modules: run \`bash scripts/deps.sh --test\` (${e.message})`);
}
if (!fs.existsSync(CHROMIUM))
    fail(`${CHROMIUM} is missing: run \`bash scripts/deps.sh --test\` (it installs Debian's chromium)`);

/* A deterministic generator (mulberry32) and a normal draw, so the files are the same every run. */
function rng(seed) {
    let a = seed >>> 0;
    const u = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    u.gauss = (mu, sd) => mu + sd * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    u.pick = (xs) => xs[Math.floor(u() * xs.length)];
    return u;
}

function events(n, shift, seed) {
    const r = rng(seed);
    const lines = [];
    for (let i = 0; i < n; i++) {
        lines.push(JSON.stringify({
            ts: 1764547200000 + i * 1000,
            version: 'v2',
            confidence: Math.min(1, Math.max(0, r.gauss(0.8 - shift * 0.3, 0.08))),
            prediction: r.pick(shift ? ['cat', 'dog', 'dog', 'bird'] : ['cat', 'dog']),
            features: {
                age: r.gauss(40 + 20 * shift, 10),
                country: r.pick(shift ? ['de', 'us', 'us', 'fr'] : ['de', 'fr', 'it']),
            },
            embedding: Array.from({length: 8}, (_, k) => r.gauss(2 + shift * (k % 3), 1)),
        }));
    }
    return lines.join('\n') + '\n';
}

async function main() {
    fs.mkdirSync(artifacts, {recursive: true});
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftd-e2e-report-'));
    const ref = path.join(dir, 'reference.ndjson');
    const cur = path.join(dir, 'current.ndjson');
    fs.writeFileSync(ref, events(400, 0, 1));
    fs.writeFileSync(cur, events(400, 1, 2));
    const run = spawnSync(driftd, ['check', '--reference', ref, '--current', cur, '--format', 'html',
                                   '--model', 'fraud'], {maxBuffer: 64 << 20});
    if (run.status !== 1)
        fail(`driftd check exited ${run.status}, expected 1 (drift): ${run.stderr}`);
    const page = path.resolve(artifacts, 'report.html');
    fs.writeFileSync(page, run.stdout);

    const problems = [];
    const browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox']});
    try {
        const context = await browser.newContext({viewport: {width: 1280, height: 800}});
        await context.setOffline(true);
        await context.route('**', (r) => {
            if (r.request().url().startsWith('file:'))
                return r.continue();
            problems.push(`a request left the file: ${r.request().url()}`);
            return r.abort();
        });
        const tab = await context.newPage();
        tab.on('console', (m) => {
            if (m.type() === 'error' || m.type() === 'warning')
                problems.push(`console ${m.type()}: ${m.text()}`);
        });
        tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        tab.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
        await tab.goto(pathToFileURL(page).href);
        await tab.waitForFunction(() => document.body.dataset.charts !== undefined, null, {timeout: 15000});

        const got = await tab.evaluate(() => {
            const r = window.driftdReport;
            const blank = (canvas) => {
                const {width, height} = canvas;
                const px = canvas.getContext('2d').getImageData(0, 0, width, height).data;
                let inked = 0;
                for (let i = 3; i < px.length; i += 4)
                    if (px[i] !== 0)
                        inked++;
                return inked;
            };
            return {
                verdict: document.getElementById('verdict').textContent,
                status: document.getElementById('verdict').dataset.status,
                rows: document.querySelectorAll('#results tbody tr').length,
                driftRows: document.querySelectorAll('#results tbody tr[data-verdict="drift"]').length,
                reportRows: r.report.signals.length,
                reportDrift: r.report.signals.filter((s) => s.drift).length,
                signals: r.distributions.signals.map((s) => s.signal),
                figures: [...document.querySelectorAll('#charts figure')].map((f) => f.dataset.signal),
                notices: [...document.querySelectorAll('.notice')].map((n) => n.textContent),
                charts: r.charts.map((c) => ({
                    signal: c.canvas.closest('figure').dataset.signal,
                    type: c.config.type,
                    datasets: c.data.datasets.map((d) => d.data.length),
                    colors: c.data.datasets.map((d) => d.borderColor),
                    inked: blank(c.canvas),
                    pixels: c.canvas.width * c.canvas.height,
                    size: [c.canvas.clientWidth, c.canvas.clientHeight],
                })),
            };
        });
        const expect = (ok, what) => { if (!ok) problems.push(what); };
        expect(got.verdict === 'DRIFT' && got.status === 'drift', `verdict '${got.verdict}' (${got.status}), expected DRIFT`);
        expect(got.rows === got.reportRows && got.rows > 0, `${got.rows} table rows for ${got.reportRows} results`);
        expect(got.driftRows === got.reportDrift && got.driftRows > 0, `${got.driftRows} drifting rows for ${got.reportDrift}`);
        expect(got.notices.length === 0, `notices shown: ${got.notices.join(' | ')}`);
        expect(got.charts.length === got.signals.length && got.charts.length >= 5,
               `${got.charts.length} charts for ${got.signals.length} signals`);
        expect([...got.figures].sort().join() === [...got.signals].sort().join(), `figures ${got.figures} for signals ${got.signals}`);
        const kinds = new Set(got.charts.map((c) => c.type));
        expect(kinds.has('bar') && kinds.has('scatter'), `chart types ${[...kinds]}`);
        for (const c of got.charts) {
            expect(c.datasets.length === 2 && c.datasets.every((n) => n > 0), `${c.signal}: dataset sizes ${c.datasets}`);
            expect(c.colors[0] === '#0072B2' && c.colors[1] === '#E69F00', `${c.signal}: colours ${c.colors}`);
            expect(c.size[0] >= 400 && c.size[1] >= 250, `${c.signal}: chart drawn ${c.size[0]}x${c.size[1]} px at 1280 px`);
            // axes, legend, title and bars or points: far more than a blank canvas's 0
            expect(c.inked > c.pixels * 0.02, `${c.signal}: canvas looks blank (${c.inked} of ${c.pixels} pixels drawn)`);
        }
        await tab.screenshot({path: path.join(artifacts, 'report-1280.png'), fullPage: true});

        await tab.setViewportSize({width: 375, height: 800});
        await tab.waitForTimeout(300); /* Chart.js resizes on the next frame */
        const scroll = await tab.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        expect(scroll[0] <= scroll[1], `horizontal scroll at 375 px: scrollWidth ${scroll[0]} > ${scroll[1]}`);
        await tab.screenshot({path: path.join(artifacts, 'report-375.png'), fullPage: true});
        console.log(`e2e/report: ${got.rows} rows, ${got.charts.length} charts (${got.charts.map((c) => `${c.signal}:${c.type}`).join(', ')}), ` +
                    `screenshots in ${artifacts}`);
    } finally {
        await browser.close();
        fs.rmSync(dir, {recursive: true, force: true});
    }
    if (problems.length)
        fail(problems.join('\n'));
}

main().catch((e) => fail(e.stack || String(e)));
