"""`driftd check --format html` (#12 item 7): the page holds the verdict, one table row
per result of the JSON report, the JSON report itself and the distributions the
charts draw, loads nothing from outside (no src/href to a URL, no external script
or stylesheet), keeps hostile names inert, and exits as --format json does.
No server: `driftd check` runs on two files.  The browser side (charts drawn from
file:// with the network off) is tests/e2e/test_report.js (ctest e2e/report)."""
import html
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

import dd_harness

EVIL = "x</script><img src=https://evil.example/p.png>"


def events(n, shift, seed, evil=False):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        feats = {"age": rnd.gauss(40 + 20 * shift, 10),
                 "country": rnd.choice(["de", "fr", "it"] if not shift else ["de", "us", "us"])}
        if evil and i % 3 == 0:
            feats["country"] = EVIL
        out.append({"ts": 1764547200000 + i * 1000, "version": "v2",
                    "confidence": min(1.0, max(0.0, rnd.gauss(0.8 - shift, 0.08))),
                    "prediction": rnd.choice(["cat", "dog"]),
                    "features": feats,
                    "embedding": [rnd.gauss(2 + shift * (k % 3), 1) for k in range(6)]})
    return out


def script_json(page, element_id):
    """The JSON inside <script type="application/json" id=element_id>."""
    m = re.search(r'<script type="application/json" id="%s">(.*?)</script>' % element_id,
                  page, re.S)
    if not m:
        raise AssertionError(f"no #{element_id} in the page")
    return json.loads(m.group(1))


def table_rows(page):
    """(signal, method, verdict attribute) of each row of the results table, in order."""
    body = re.search(r'<table id="results">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = re.findall(r'<tr class="r-[a-z_]+" data-verdict="([a-z_]+)"><th scope="row">(.*?)'
                      r'</th><td>(.*?)</td>', body)
    return [(html.unescape(s), html.unescape(m), v) for v, s, m in rows]


class ReportHtml(unittest.TestCase):
    def has(self, needle, page):
        """assertIn without printing all 260 kB of the page."""
        self.assertTrue(needle in page, f"{needle!r} is not in the page")

    def lacks(self, needle, page):
        self.assertFalse(needle in page, f"{needle!r} is in the page")

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="driftd-report-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, evs):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            for e in evs:
                f.write(json.dumps(e) + "\n")
        return p

    def check(self, ref, cur, fmt, *extra):
        r = subprocess.run([dd_harness.DRIFTD, "check", "--reference", ref, "--current", cur,
                            "--format", fmt, *extra], capture_output=True, text=True, timeout=120)
        return r.returncode, r.stdout, r.stderr

    def both(self, ref, cur, *extra):
        """The HTML page and the JSON report of the same check; their exit codes agree."""
        code, page, err = self.check(ref, cur, "html", *extra)
        jcode, out, _ = self.check(ref, cur, "json", *extra)
        self.assertEqual(code, jcode, err)
        return code, page, json.loads(out)

    def assert_rows_match(self, page, rep):
        rows = table_rows(page)
        want = [(r["signal"], r["method"],
                 "insufficient_data" if r.get("status") == "insufficient_data"
                 else "drift" if r["drift"] else "ok") for r in rep["signals"]]
        self.assertEqual(len(rows), len(want), rows)
        self.assertEqual(sorted(rows), sorted(want))
        # drifting rows first, the others in the report's order
        verdicts = [v for _, _, v in rows]
        self.assertEqual(verdicts, sorted(verdicts, key=lambda v: v != "drift"))

    def assert_self_contained(self, page):
        # the markup outside the four <script> elements: no attribute may name a URL
        markup = re.sub(r"(?s)(<script[^>]*>).*?</script>", r"\1</script>", page)
        urls = re.findall(r'\b(?:src|href|action|data|poster)\s*=\s*["\']?\s*([^"\'\s>]*)',
                          markup, re.I)
        self.assertEqual(urls, [], "the page must load nothing by URL")
        tags = re.findall(r"(?i)<(?:link|iframe|img|object|embed|base)\b[^>]*>", markup)
        self.assertEqual(tags, [])
        style = re.search(r"(?s)<style>(.*?)</style>", page).group(1)
        self.assertEqual(re.findall(r"(?i)url\(|@import", style), [])
        self.has("default-src 'none'", page)  # CSP: no fetch at all
        # the script elements: the two JSON blocks, Chart.js, the charts module
        self.assertEqual(re.findall(r"<script[^>]*>", page),
                         ['<script type="application/json" id="driftd-report">',
                          '<script type="application/json" id="driftd-distributions">',
                          "<script>", '<script type="module">'])
        self.assertEqual(page.count("</script"), 4)
        self.has("Chart.js v4.5.1", page)
        self.has("export function drawDistribution", page)

    def test_drift_page_has_verdict_rows_and_data(self):
        ref = self.write("ref.ndjson", events(300, 0, 1))
        cur = self.write("cur.ndjson", events(300, 0.5, 2))
        code, page, rep = self.both(ref, cur, "--model", "fraud")
        self.assertEqual(code, 1)
        self.assertEqual(rep["status"], "drift")
        self.has('id="verdict" class="verdict v-drift" data-status="drift">DRIFT</p>', page)
        self.has("<title>driftd check: DRIFT — fraud v2</title>", page)
        self.has("(300 events)", page)
        self.assert_rows_match(page, rep)
        self.assertIn("drift", [v for _, _, v in table_rows(page)])
        # the report inlined is exactly what --format json prints
        self.assertEqual(script_json(page, "driftd-report"), rep)
        dist = script_json(page, "driftd-distributions")
        self.assertEqual((dist["model"], dist["version"]), ("fraud", "v2"))
        self.assertEqual((dist["reference"]["events"], dist["window"]["events"]), (300, 300))
        by = {s["signal"]: s for s in dist["signals"]}
        self.assertEqual({r["signal"] for r in rep["signals"]}, set(by))
        age = by["feature:age"]
        self.assertEqual((age["kind"], len(age["edges"]), sum(age["reference"]),
                          sum(age["current"])), ("numeric", 21, 300, 300))
        country = by["feature:country"]
        self.assertEqual(country["kind"], "categorical")
        self.assertIn("us", country["categories"])
        self.assertAlmostEqual(sum(country["current"]), 1.0, places=6)
        emb = by["embedding"]
        self.assertEqual((emb["kind"], len(emb["reference"]), len(emb["current"])),
                         ("embedding", 300, 300))
        self.assert_self_contained(page)

    def status_page(self, cur_events, code, status, verdict):
        """The page of a check of cur_events against a quiet reference: it exits code with
        status, the page's verdict says verdict, its rows match the report and it loads
        nothing from outside."""
        ref = self.write("ref.ndjson", events(300, 0, 1))
        cur = self.write("cur.ndjson", cur_events)
        got, page, rep = self.both(ref, cur)
        self.assertEqual((got, rep["status"]), (code, status))
        self.has(f'data-status="{status}">{verdict}</p>', page)
        self.assert_rows_match(page, rep)
        self.assert_self_contained(page)
        return page

    def test_quiet_page_says_no_drift(self):
        page = self.status_page(events(300, 0, 3), 0, "ok", "no drift")
        self.lacks('data-verdict="drift"', page)

    def test_nothing_tested_exits_3_with_a_page(self):
        # fewer than min_samples
        page = self.status_page(events(5, 0.5, 2), 3, "insufficient_data", "insufficient data")
        self.has("nothing was tested", page)

    def test_bad_input_exits_2_without_a_page(self):
        ref = self.write("ref.ndjson", events(30, 0, 1))
        bad = os.path.join(self.dir, "bad.ndjson")
        with open(bad, "w") as f:
            f.write('{"confidence": 2}\n')
        code, page, err = self.check(ref, bad, "html")
        self.assertEqual((code, page), (2, ""))
        self.assertIn("bad.ndjson: line 1", err)
        code, _, err = self.check(ref, bad, "pdf")
        self.assertEqual(code, 2)
        self.assertIn("--format 'pdf': expected json, text or html", err)

    def test_hostile_strings_stay_inert(self):
        # a category value and a file name full of markup: escaped in the table,
        # \u003c inside the JSON, never raw
        ref = self.write("ref.ndjson", events(100, 0, 1, evil=True))
        cur = self.write("c<b>&'\".ndjson", events(100, 0.5, 2, evil=True))
        code, page, rep = self.both(ref, cur)
        self.assertEqual(code, 1)
        self.lacks(EVIL, page)
        self.lacks("<b>", page)
        self.has("c&lt;b&gt;&amp;&#39;&quot;.ndjson</code>", page)
        dist = script_json(page, "driftd-distributions")
        country = next(s for s in dist["signals"] if s["signal"] == "feature:country")
        self.assertIn(EVIL, country["categories"])
        self.assertEqual(script_json(page, "driftd-report"), rep)
        self.assert_rows_match(page, rep)
        self.assert_self_contained(page)


if __name__ == "__main__":
    dd_harness.main()
