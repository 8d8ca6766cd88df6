/* api.js — the dashboard's one way to the JSON API (docs/api.md).
 *
 * getJSON(path, params) fetches with the read key when there is one and
 * answers the parsed body, or throws an ApiError (status, code, message from
 * the server's error body).  A 401 asks for a key once through the page's
 * <dialog id="key-dialog"> (several requests that get 401 together share one
 * prompt) and keeps it in sessionStorage: the browser session of this tab,
 * not localStorage, so a key never outlives the tab.  Requests run at most
 * MAX_PARALLEL at a time (what a browser opens to one host anyway), in the
 * order they were asked, so the overview's first rows come first.
 */

const KEY_STORAGE = 'driftd.key';
const MAX_PARALLEL = 6;

export class ApiError extends Error {
    constructor(status, code, message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}

export function storedKey() {
    try {
        return sessionStorage.getItem(KEY_STORAGE);
    } catch {
        return null;
    }
}

export function forgetKey() {
    try {
        sessionStorage.removeItem(KEY_STORAGE);
    } catch {
        /* storage disabled: nothing kept */
    }
}

let keyPrompt = null; /* the pending prompt's promise, shared by concurrent 401s */

function askKey(reason) {
    if (keyPrompt)
        return keyPrompt;
    const dialog = document.getElementById('key-dialog');
    const input = document.getElementById('key-input');
    document.getElementById('key-reason').textContent = reason;
    input.value = '';
    keyPrompt = new Promise((resolve) => {
        const done = () => {
            const key = input.value.trim();
            if (key) {
                try {
                    sessionStorage.setItem(KEY_STORAGE, key);
                } catch {
                    /* kept for nothing: the next 401 asks again */
                }
            }
            dialog.removeEventListener('close', done);
            keyPrompt = null;
            document.dispatchEvent(new CustomEvent('driftd-key'));
            resolve();
        };
        dialog.addEventListener('close', done);
        dialog.showModal();
        input.focus();
    });
    return keyPrompt;
}

const queue = [];
let running = 0;

function schedule(task) {
    return new Promise((resolve, reject) => {
        queue.push({task, resolve, reject});
        pump();
    });
}

function pump() {
    while (running < MAX_PARALLEL && queue.length) {
        const {task, resolve, reject} = queue.shift();
        running++;
        task().then(resolve, reject).finally(() => {
            running--;
            pump();
        });
    }
}

export function url(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {}))
        if (v !== undefined && v !== null && v !== '')
            q.set(k, String(v));
    const s = q.toString();
    return s ? `${path}?${s}` : path;
}

async function fetchOnce(target) {
    const headers = {Accept: 'application/json'};
    const key = storedKey();
    if (key)
        headers.Authorization = `Bearer ${key}`;
    let res;
    try {
        res = await fetch(target, {headers, cache: 'no-store'});
    } catch (e) {
        throw new ApiError(0, 'network', `cannot reach driftd (${e.message})`);
    }
    if (res.ok)
        return {res, key};
    let body = null;
    try {
        body = await res.json();
    } catch {
        /* not JSON: the status says it */
    }
    const err = body && body.error ? body.error : {};
    throw new ApiError(res.status, err.code || 'http', err.message || `${res.status} ${res.statusText}`);
}

/* The parsed JSON body of GET path?params.  A 401 asks for a key and tries
 * again (twice at most, then the 401 is thrown). */
export function getJSON(path, params) {
    const target = url(path, params);
    return schedule(async () => {
        for (let attempt = 0;; attempt++) {
            try {
                const {res} = await fetchOnce(target);
                return await res.json();
            } catch (e) {
                if (!(e instanceof ApiError) || e.status !== 401 || attempt >= 2)
                    throw e;
                const had = storedKey();
                await askKey(had ? 'The key was refused (unknown, revoked or expired). Enter another read key.'
                                 : 'This server requires an API key to read its data.');
            }
        }
    });
}

/* Every item of a paged list (docs/api.md, "Pages"): follows next_cursor up
 * to maxPages pages of `limit`; `member` names the list in each page. */
export async function getAllPages(path, params, member, maxPages = 20) {
    const items = [];
    let cursor;
    for (let page = 0; page < maxPages; page++) {
        const body = await getJSON(path, Object.assign({}, params, {cursor}));
        items.push(...(body[member] || []));
        cursor = body.next_cursor;
        if (!cursor)
            return {items, complete: true};
    }
    return {items, complete: false};
}

export function modelPath(model, rest = '') {
    return `/api/v1/models/${encodeURIComponent(model)}${rest}`;
}
