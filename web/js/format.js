/* format.js — small helpers every page uses: building DOM nodes without
 * innerHTML (so no server string is ever read as markup), numbers, times,
 * the status badge, and the "strongest signal" of a drift report.
 */
import {PALETTE, formatNumber} from './charts.js';

export {PALETTE, formatNumber};

/* el('a', {href: '#/', class: 'x'}, 'text', child, ...): attributes whose
 * value is null/undefined/false are left out; children are nodes or text. */
export function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false)
            continue;
        if (k.startsWith('on') && typeof v === 'function')
            node.addEventListener(k.slice(2), v);
        else if (k === 'dataset')
            Object.assign(node.dataset, v);
        else
            node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
        if (c === null || c === undefined || c === false)
            continue;
        node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
}

/* Replaces container's children with nodes, giving focus back to the element
 * with the same data-focus key when focus was inside (a refresh must not
 * throw a keyboard user out of the table). */
export function replaceKeepingFocus(container, ...nodes) {
    const active = document.activeElement;
    const key = active && container.contains(active) ? active.dataset.focus : undefined;
    container.replaceChildren(...nodes);
    if (key) {
        const again = container.querySelector(`[data-focus="${CSS.escape(key)}"]`);
        if (again)
            again.focus({preventScroll: true});
    }
}

export function fmtNum(x) {
    if (x === null || x === undefined)
        return '—';
    return formatNumber(x);
}

export function fmtP(p) {
    if (p === null || p === undefined)
        return '—';
    if (p === 0)
        return '< 1e-300';
    return p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(3)));
}

export function fmtPct(x) {
    if (x === null || x === undefined)
        return '—';
    return `${Number((x * 100).toPrecision(3))}%`;
}

export function fmtCount(n) {
    return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

/* "14:03:12" today, "Nov 28 14:03" another day; the full time in the title. */
export function fmtTime(iso) {
    if (!iso)
        return '—';
    const d = new Date(iso);
    const now = new Date();
    if (d.toDateString() === now.toDateString())
        return d.toLocaleTimeString('en-GB', {hour12: false});
    return d.toLocaleString('en-GB', {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false});
}

export function fmtAgo(iso, nowMs = Date.now()) {
    if (!iso)
        return 'never';
    const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
    if (s < 90)
        return `${s} s ago`;
    if (s < 5400)
        return `${Math.round(s / 60)} min ago`;
    if (s < 172800)
        return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
}

export function timeEl(iso, text) {
    return el('time', {datetime: iso || undefined, title: iso || undefined}, text ?? fmtTime(iso));
}

/* Events per second, minute or hour over a report's window; the window
 * counts from the version's first event when that came later (a version
 * that started 10 s ago has 10 s of events in its 1 h window). */
export function fmtRate(window, firstEvent) {
    if (!window || !window.from || !window.to)
        return '—';
    const from = Math.max(Date.parse(window.from), firstEvent ? Date.parse(firstEvent) : 0);
    const secs = (Date.parse(window.to) - from) / 1000;
    if (!(secs > 0))
        return '—';
    const perS = window.events / secs;
    if (perS >= 1)
        return `${formatNumber(perS)}/s`;
    const perMin = perS * 60;
    return perMin >= 0.1 ? `${formatNumber(perMin)}/min` : `${formatNumber(perMin * 60)}/h`;
}

/* A status is never told by colour alone: each has a shape and words. */
export const STATUS = Object.freeze({
    drift: {icon: '▲', text: 'drift'},
    ok: {icon: '●', text: 'ok'},
    insufficient_data: {icon: '◌', text: 'insufficient data'},
    no_reference: {icon: '○', text: 'no reference'},
    firing: {icon: '▲', text: 'firing'},
    pending: {icon: '◆', text: 'pending'},
    resolved: {icon: '●', text: 'resolved'},
});

export function statusBadge(status) {
    const s = STATUS[status] || {icon: '?', text: status || 'unknown'};
    return el('span', {class: `badge st-${status || 'unknown'}`, 'data-status': status || 'unknown'},
              el('span', {'aria-hidden': 'true'}, s.icon), ` ${s.text}`);
}

/* A row's verdict: drift / ok / insufficient data, with shape and words. */
export function verdictBadge(row) {
    if (row.status === 'insufficient_data')
        return statusBadge('insufficient_data');
    return statusBadge(row.drift ? 'drift' : 'ok');
}

/* The signal that says most about a report's verdict: the test with the
 * smallest p-value (ties: the largest statistic over its threshold); with no
 * test that had data, the effect size furthest over its threshold. */
export function strongestSignal(report) {
    const rows = (report && report.signals) || [];
    const tests = rows.filter((r) => r.kind === 'test' && typeof r.p_value === 'number');
    const ratio = (r) => (typeof r.statistic === 'number' && r.threshold > 0 ? r.statistic / r.threshold : 0);
    if (tests.length) {
        return tests.reduce((best, r) => (r.p_value < best.p_value ||
                                          (r.p_value === best.p_value && ratio(r) > ratio(best)) ? r : best));
    }
    const effects = rows.filter((r) => r.kind === 'effect_size' && typeof r.statistic === 'number');
    return effects.length ? effects.reduce((best, r) => (ratio(r) > ratio(best) ? r : best)) : null;
}

/* Sorts a report's rows for the table: drifting signals first (a test that
 * drifts, then an effect size over its threshold), then ok, then
 * insufficient data; a signal's rows stay together, tests before effect sizes. */
export function sortSignalRows(rows) {
    const rank = new Map();
    const minP = new Map();
    for (const r of rows) {
        let k = 2;
        if (r.status === 'insufficient_data')
            k = 3;
        else if (r.drift && r.kind === 'test')
            k = 0;
        else if (r.drift)
            k = 1;
        rank.set(r.signal, Math.min(rank.get(r.signal) ?? 9, k));
        if (typeof r.p_value === 'number')
            minP.set(r.signal, Math.min(minP.get(r.signal) ?? 2, r.p_value));
    }
    return rows.slice().sort((a, b) =>
        rank.get(a.signal) - rank.get(b.signal) ||
        (minP.get(a.signal) ?? 2) - (minP.get(b.signal) ?? 2) ||
        a.signal.localeCompare(b.signal) ||
        (a.kind === 'test' ? 0 : 1) - (b.kind === 'test' ? 0 : 1) ||
        a.method.localeCompare(b.method));
}

/* The drift history's time range for a window setting: the window itself when
 * it is a duration of at least 15 minutes, else the last 24 hours. */
export function durationMs(text) {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(text || '');
    if (!m)
        return null;
    const unit = {ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000}[m[2]];
    return Number(m[1]) * unit;
}
