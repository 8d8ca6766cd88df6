"""test_static.py — the dashboard's static files (issue #12 part 1): GET and HEAD of files
under web_root with their Content-Type, ETag revalidation (304), Cache-Control, the one
alias into node_modules (/vendor/chart.umd.min.js), and nothing outside web_root reachable:
'..', encoded '..' and '/', backslashes, NUL, dotfiles, node_modules, symlinks out.

Each server gets its own temporary web_root (--web-root) with a secret file beside it."""
import os
import shutil
import tempfile
import time
import unittest

from dd_harness import SANITIZER_REPORTS, RawConn, Server, finish, main

SECRET = b"SECRET-beside-web-root"
CHART = b"/* chart.js stand-in */ window.Chart = function () {};\n"

FILES = {
    "index.html": b"<!doctype html><title>driftd</title><script src=/app.js></script>\n",
    "app.js": b"console.log('driftd');\n",
    "mod.mjs": b"export const x = 1;\n",
    "style.css": b"body { margin: 0 }\n",
    "data.json": b'{"ok": true}\n',
    "app.js.map": b'{"version": 3}\n',
    "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
    "favicon.ico": b"\x00\x00\x01\x00",
    "font.woff2": b"wOF2\x00\x01",
    "blob.bin": b"\x00\x01\x02",
    "sub/page.html": b"<p>sub</p>\n",
    ".env": b"TOKEN=" + SECRET,
    "sub/.hidden.js": SECRET,
    "node_modules/chart.js/dist/chart.umd.min.js": CHART,
    "node_modules/chart.js/dist/chart.umd.min.js.map": b'{"version": 3, "file": "chart"}\n',
    "node_modules/chart.js/package.json": b'{"name": "chart.js", "secret": "' + SECRET + b'"}',
}

TYPES = {
    "/": "text/html; charset=utf-8",
    "/app.js": "text/javascript; charset=utf-8",
    "/mod.mjs": "text/javascript; charset=utf-8",
    "/style.css": "text/css; charset=utf-8",
    "/data.json": "application/json; charset=utf-8",
    "/app.js.map": "application/json; charset=utf-8",
    "/logo.svg": "image/svg+xml; charset=utf-8",
    "/logo.png": "image/png",
    "/favicon.ico": "image/x-icon",
    "/font.woff2": "font/woff2",
    "/blob.bin": "application/octet-stream",
    "/sub/page.html": "text/html; charset=utf-8",
    "/vendor/chart.umd.min.js": "text/javascript; charset=utf-8",
    "/vendor/chart.umd.min.js.map": "application/json; charset=utf-8",
}


def make_root(with_chart=True):
    """A temporary folder holding web/ (the root) and secret.txt beside it."""
    top = tempfile.mkdtemp(prefix="driftd-web-")
    root = os.path.join(top, "web")
    for rel, data in FILES.items():
        if rel.startswith("node_modules/") and not with_chart:
            continue
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(top, "secret.txt"), "wb") as f:
        f.write(SECRET)
    os.makedirs(os.path.join(top, "outside"))
    with open(os.path.join(top, "outside", "x.js"), "wb") as f:
        f.write(SECRET)
    os.symlink(os.path.join(top, "secret.txt"), os.path.join(root, "escape.js"))
    os.symlink("../secret.txt", os.path.join(root, "sub", "rel-escape.txt"))
    os.symlink(os.path.join(top, "outside"), os.path.join(root, "linkdir"))
    os.symlink("app.js", os.path.join(root, "alias.js"))  # inside the root: served
    return top, root


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def raw_get(port, target, headers=b""):
    """One GET with the request target sent byte for byte (no client normalisation)."""
    with RawConn(port) as c:
        c.send(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers +
               b"\r\n")
        return c.read_response()


class Static(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.top, cls.root = make_root()
        cls.srv = Server("--web-root", cls.root).start()

    @classmethod
    def tearDownClass(cls):
        try:
            finish(cls.srv, SANITIZER_REPORTS + ("level=error",))
        finally:
            shutil.rmtree(cls.top, ignore_errors=True)

    def get(self, path, headers=None, method="GET"):
        c = self.srv.conn()
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def test_files_types_and_caching(self):
        for path, ctype in TYPES.items():
            st, h, body = self.get(path)
            self.assertEqual((st, h["content-type"]), (200, ctype), path)
            rel = {"/": "index.html"}.get(path, path.lstrip("/"))
            rel = rel.replace("vendor/", "node_modules/chart.js/dist/")
            self.assertEqual(body, FILES[rel], path)
            self.assertEqual(int(h["content-length"]), len(FILES[rel]), path)
            self.assertEqual(h["cache-control"], "no-cache", path)
            self.assertEqual(h["x-content-type-options"], "nosniff", path)
            self.assertRegex(h["etag"], r'^"[0-9a-f]+-[0-9a-f]+"$', path)
        # a symlink that stays inside the root is an ordinary file
        st, _, body = self.get("/alias.js")
        self.assertEqual((st, body), (200, FILES["app.js"]))
        # the query string is not part of the file name
        st, _, body = self.get("/app.js?v=3")
        self.assertEqual((st, body), (200, FILES["app.js"]))

    def test_etag_revalidation(self):
        st, h, _ = self.get("/style.css")
        etag = h["etag"]
        for inm in (etag, "W/" + etag, '"nope", ' + etag, "*"):
            st, h2, body = self.get("/style.css", {"If-None-Match": inm})
            self.assertEqual((st, body, h2["etag"], h2["cache-control"]),
                             (304, b"", etag, "no-cache"), inm)
            self.assertNotIn("content-length", h2)
        st, _, body = self.get("/style.css", {"If-None-Match": '"other-1"'})
        self.assertEqual((st, body), (200, FILES["style.css"]))
        # a HEAD revalidates the same way
        st, _, _ = self.get("/style.css", {"If-None-Match": etag}, method="HEAD")
        self.assertEqual(st, 304)
        # a changed file has a new ETag: the old one revalidates to 200 and the new bytes
        path = os.path.join(self.root, "data.json")
        _, h, _ = self.get("/data.json")
        old = h["etag"]
        time.sleep(0.01)
        with open(path, "wb") as f:
            f.write(b'{"ok": false}\n')
        self.addCleanup(write, path, FILES["data.json"])
        st, h, body = self.get("/data.json", {"If-None-Match": old})
        self.assertEqual((st, body), (200, b'{"ok": false}\n'))
        self.assertNotEqual(h["etag"], old)

    def test_head(self):
        st, h, body = self.get("/app.js", method="HEAD")
        self.assertEqual((st, body, int(h["content-length"])), (200, b"", len(FILES["app.js"])))
        self.assertIn("etag", h)
        st, _, _ = self.get("/missing.js", method="HEAD")
        self.assertEqual(st, 404)

    def test_nothing_outside_web_root(self):
        targets = [
            b"/../secret.txt", b"/sub/../../secret.txt", b"/%2e%2e/secret.txt",
            b"/%2E%2E/secret.txt", b"/.%2e/secret.txt", b"/sub/%2e%2e/%2e%2e/secret.txt",
            b"/..%2fsecret.txt", b"/%2e%2e%2fsecret.txt", b"/sub%2f..%2f..%2fsecret.txt",
            b"/..\\secret.txt", b"/%5c..%5csecret.txt", b"/sub/%00/../../secret.txt",
            b"/%01app.js", b"/./app.js", b"/sub/./page.html",
            b"/escape.js", b"/sub/rel-escape.txt", b"/linkdir/x.js",
            b"/.env", b"/%2eenv", b"/sub/.hidden.js", b"/node_modules/chart.js/package.json",
            b"/node_modules/chart.js/dist/chart.umd.min.js", b"/vendor/../node_modules/x",
            b"/vendor/package.json", b"/vendor/chart.js", b"/vendor/../../secret.txt",
            b"//secret.txt", b"/%252e%252e/secret.txt", b"/" + b"a/" * 400 + b"app.js",
            b"/etc/passwd", b"/%2fetc%2fpasswd",
        ]
        for t in targets:
            r = raw_get(self.srv.port, t)
            self.assertIsNotNone(r, t)
            self.assertIn(r.status, (400, 404), (t, r))
            self.assertNotIn(SECRET, r.body, t)
            self.assertIn(r.json()["error"]["code"], ("not_found", "invalid_query"), t)
        # CivetWeb decodes the target before driftd sees it: an encoded '/' is a '/', and
        # %00 ends the path; neither reaches more than a file inside the root
        for t, rel in ((b"/sub%2fpage.html", "sub/page.html"), (b"/app.js%00.png", "app.js")):
            r = raw_get(self.srv.port, t)
            self.assertEqual((r.status, r.body), (200, FILES[rel]), t)
        # traversal is 400 (a path no browser sends for a file), a link out of the root 404
        self.assertEqual(raw_get(self.srv.port, b"/%2e%2e/secret.txt").status, 400)
        self.assertEqual(raw_get(self.srv.port, b"/escape.js").status, 404)

    def test_unknown_paths_are_json_404(self):
        for path in ("/api/v1/nope", "/api", "/api/", "/missing.html", "/sub", "/sub/"):
            st, h, body = self.get(path)
            self.assertEqual(st, 404, path)
            self.assertTrue(h["content-type"].startswith("application/json"), path)
            self.assertIn(b'"not_found"', body, path)
        # /grafana/ is the datasource's: an unknown path there is its 404 or 405, never a file
        write(os.path.join(self.root, "grafana.html"), b"page")
        os.makedirs(os.path.join(self.root, "grafana"), exist_ok=True)
        write(os.path.join(self.root, "grafana", "nope"), SECRET)
        st, h, body = self.get("/grafana/nope")
        self.assertIn(st, (404, 405))
        self.assertTrue(h["content-type"].startswith("application/json"))
        self.assertNotIn(SECRET, body)
        # a known API path with another method is still 405, not a file
        st, _, _ = self.get("/api/v1/models", method="DELETE")
        self.assertEqual(st, 405)

    def test_large_file_streamed(self):
        data = os.urandom(3 << 20) + b"end"
        path = os.path.join(self.root, "big.bin")
        with open(path, "wb") as f:
            f.write(data)
        self.addCleanup(os.remove, path)
        for _ in range(2):  # the same keep-alive connection twice
            st, h, body = self.get("/big.bin")
            self.assertEqual((st, int(h["content-length"]), body == data), (200, len(data), True))


class NoChartJs(unittest.TestCase):
    def test_vendor_404_and_one_warning(self):
        top, root = make_root(with_chart=False)
        self.addCleanup(shutil.rmtree, top, True)
        srv = Server("--web-root", root).start()
        self.addCleanup(srv.cleanup)
        st, _, body = srv.request("GET", "/vendor/chart.umd.min.js")
        self.assertEqual((st, body["error"]["code"]), (404, "not_found"))
        st, _, _ = srv.request("GET", "/")
        self.assertEqual(st, 200)
        logs = srv.logs()
        self.assertEqual(logs.count("Chart.js is missing"), 1, logs)
        self.assertIn('fix="bash scripts/deps.sh"', logs)

    def test_missing_root_warns(self):
        top = tempfile.mkdtemp(prefix="driftd-web-")
        self.addCleanup(shutil.rmtree, top, True)
        srv = Server("--web-root", os.path.join(top, "none")).start()
        self.addCleanup(srv.cleanup)
        st, _, body = srv.request("GET", "/")
        self.assertEqual((st, body["error"]["code"]), (404, "not_found"))
        self.assertIn("web_root is not a folder", srv.logs())


if __name__ == "__main__":
    main()
