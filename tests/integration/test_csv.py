"""CSV bodies against the real binary: a reference PUT as text/csv stores the
same reference as the same events sent as JSON, and a bad cell is refused
with its line and column, nothing stored (docs/api.md "CSV events")."""
import random
import unittest

import dd_harness
from dd_harness import ServerTest

CSV_TYPE = "text/csv"


def rows(n, seed):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        out.append({"id": f"e{i}", "prediction": rnd.choice(["cat", "dog"]),
                    "confidence": round(rnd.random(), 6), "age": round(rnd.gauss(40, 9), 3),
                    "city": rnd.choice(["Lyon", "Oslo, NO", 'The "Hague"'])})
    return out


def as_json(e, **extra):
    std = {k: e[k] for k in ("id", "prediction", "confidence")}
    return dict(std, features={k: e[k] for k in ("age", "city")}, **extra)


def as_csv(events, cols):
    def cell(v):
        s = "" if v is None else str(v)
        return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n') else s
    lines = [",".join(cols)] + [",".join(cell(e.get(c)) for c in cols) for e in events]
    return "\r\n".join(lines) + "\r\n"


class CsvReference(ServerTest):
    COLS = ["id", "prediction", "confidence", "age", "city"]

    def put(self, model, version, body, ctype):
        return self.srv.request("PUT", f"/api/v1/models/{model}/versions/{version}/reference",
                                body, ctype=ctype)

    def reference(self, model, version):
        st, _, body = self.srv.request("GET",
                                       f"/api/v1/models/{model}/versions/{version}/reference")
        self.assertEqual(st, 200, body)
        return body

    def test_csv_reference_equals_json_reference(self):
        evs = rows(300, 7)
        st, _, body = self.put("csvm", "v1", as_csv(evs, self.COLS), CSV_TYPE)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["events"], 300)
        st, _, body = self.put("jsonm", "v1", {"events": [as_json(e) for e in evs]},
                              "application/json")
        self.assertEqual(st, 200, body)
        a, b = self.reference("csvm", "v1"), self.reference("jsonm", "v1")
        for k in ("events", "source", "embedding_dim"):
            self.assertEqual(a.get(k), b.get(k), (k, a, b))
        # the same window drifts the same way against either reference
        cur = rows(300, 8)
        for m in ("csvm", "jsonm"):
            st, _, body = self.srv.post_events(m, [as_json(e, version="v1") for e in cur])
            self.assertEqual(st, 202, body)
        da = self.srv.request("GET", "/api/v1/models/csvm/drift?version=v1")[2]
        db = self.srv.request("GET", "/api/v1/models/jsonm/drift?version=v1")[2]
        sig = lambda d: sorted((s["signal"], s["method"], s.get("p_value")) for s in d["signals"])
        self.assertEqual(sig(da), sig(db))
        self.assertTrue(any(s[0] == "feature:city" for s in sig(da)), sig(da))

    def test_bad_cell_names_line_and_column(self):
        body = "prediction,confidence\ncat,0.5\ndog,1.5\n"
        st, _, resp = self.put("badm", "v1", body, CSV_TYPE)
        self.assertEqual(st, 400, resp)
        self.assertEqual(resp["error"]["code"], "invalid_event")
        self.assertEqual(resp["error"]["index"], 1)
        self.assertEqual(resp["error"]["message"],
                         "line 3, column 2 (confidence): 1.5 is not in [0, 1]")
        st, _, _ = self.srv.request("GET", "/api/v1/models/badm/versions/v1/reference")
        self.assertEqual(st, 404, "a refused CSV body stored a reference")

    def test_embedding_column_refused(self):
        st, _, resp = self.put("embm", "v1", "prediction,embedding\ncat,1\n", CSV_TYPE)
        self.assertEqual(st, 400, resp)
        self.assertIn("NDJSON", resp["error"]["message"])

    def test_csv_not_taken_by_ingest(self):
        st, _, resp = self.srv.request("POST", "/api/v1/models/m/events", "prediction\ncat\n",
                                       ctype=CSV_TYPE)
        self.assertEqual(st, 415, resp)
        self.assertEqual(resp["error"]["message"],
                         "Content-Type must be application/json or application/x-ndjson")


if __name__ == "__main__":
    dd_harness.main()
