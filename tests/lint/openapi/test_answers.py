"""The answers of a real driftd match docs/openapi.yaml: every operation that
has a route is called (successes and the usual errors), and each JSON answer
is validated against the schema the spec gives for its status and media type
(JSON Schema 2020-12, as OpenAPI 3.1 uses).  A status the operation does not
document fails too.

Usage: test_answers.py DRIFTD_BINARY   (ctest lint/openapi_answers)
"""
import base64
import os
import struct
import sys
import unittest

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import dd_harness  # noqa: E402  (reads the binary from argv[1])

with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
    SPEC = yaml.safe_load(f)


def resolve(obj):
    while isinstance(obj, dict) and "$ref" in obj:
        node = SPEC
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class Answers(dd_harness.ServerTest):
    checked = []

    def call(self, method, template, path, status, body=None, ctype="application/json"):
        """Sends the request, checks the status, and validates the answer's body
        against the spec's schema for (template, method, status)."""
        st, headers, resp = self.srv.request(method, path, body, ctype=ctype)
        self.assertEqual(st, status, resp)
        op = SPEC["paths"][template][method.lower()]
        responses = op["responses"]
        key = str(st) if str(st) in responses else "%dXX" % (st // 100)
        if key not in responses:
            key = "default"
        self.assertIn(key, responses, "%s %s answered %d, which the spec does not document"
                      % (method, template, st))
        answer = resolve(responses[key])
        media = headers.get("Content-Type", "").split(";")[0].strip()
        self.assertIn(media, answer.get("content", {}),
                      "%s %s %d answered %s" % (method, template, st, media))
        if media == "application/json":
            ref = answer["content"][media]["schema"]
            schema = dict(SPEC, **{"$ref": ref["$ref"]} if "$ref" in ref else {})
            if "$ref" not in ref:  # an inline schema: point at it
                where = responses[key]["$ref"] if "$ref" in responses[key] else pointer(
                    "paths", template, method.lower(), "responses", key)
                schema = dict(SPEC, **{"$ref": where + "/content/application~1json/schema"})
            try:
                jsonschema.Draft202012Validator(schema).validate(resp)
            except jsonschema.ValidationError as e:
                self.fail("%s %s %d: %s at %s\n%s" % (method, path, st, e.message,
                                                      list(e.absolute_path), resp))
        self.checked.append((method, template, st))
        return resp

    def test_every_answer_matches_the_spec(self):
        M = "/api/v1/models/{model}"
        emb = base64.b64encode(struct.pack("<4f", 0.1, 0.2, 0.3, 0.4)).decode()
        ev = [{"id": "e-%d" % i, "ts": 1764558000000 + i * 1000, "version": "v1",
               "prediction": "cat" if i % 3 else "dog", "confidence": 0.5 + (i % 40) / 100,
               "features": {"age": 20 + i % 50, "country": "de" if i % 2 else "fr"},
               "probabilities": [0.6, 0.4], "embedding_b64": emb, "latency_ms": 3.5,
               "label": "cat"} for i in range(60)]
        self.call("GET", "/healthz", "/healthz", 200)
        self.call("GET", "/readyz", "/readyz", 200)
        self.call("POST", M + "/events", "/api/v1/models/m/events", 202, {"events": ev})
        self.call("POST", M + "/events", "/api/v1/models/m/events", 400, {"events": [{"x": 1}]})
        self.call("POST", M + "/events", "/api/v1/models/m/events", 415, "x", ctype="text/plain")
        self.call("POST", M + "/labels", "/api/v1/models/m/labels", 200,
                  {"labels": [{"id": "e-1", "label": "dog"}, {"id": "nope", "label": "x"}]})
        self.call("POST", M + "/labels", "/api/v1/models/zz/labels", 404,
                  {"labels": [{"id": "e-1", "label": "dog"}]})
        self.call("PUT", M + "/versions/{version}/reference",
                  "/api/v1/models/m/versions/v1/reference", 200, {"events": ev[:40]})
        self.call("PUT", M + "/versions/{version}/reference",
                  "/api/v1/models/m/versions/v1/reference", 200,
                  "id,prediction,confidence,age\nr-1,cat,0.9,41\nr-2,dog,0.7,35\n",
                  ctype="text/csv")
        self.call("PUT", M + "/versions/{version}/reference",
                  "/api/v1/models/m/versions/v1/reference", 200,
                  {"from": 1764558000000, "to": 1764558100000})
        self.call("GET", M + "/versions/{version}/reference",
                  "/api/v1/models/m/versions/v1/reference", 200)
        self.call("GET", M + "/versions/{version}/reference",
                  "/api/v1/models/m/versions/v9/reference", 404)
        self.call("GET", "/api/v1/models", "/api/v1/models", 200)
        self.call("GET", M, "/api/v1/models/m", 200)
        self.call("GET", M, "/api/v1/models/zz", 404)
        self.call("GET", M, "/api/v1/models/a%20b", 400)
        self.call("GET", M + "/drift", "/api/v1/models/m/drift?version=v1&window=last:60", 200)
        self.call("GET", M + "/drift", "/api/v1/models/m/drift?window=bad", 400)
        self.call("GET", M + "/drift/history",
                  "/api/v1/models/m/drift/history?signal=confidence&method=ks", 200)
        self.call("GET", M + "/drift/history", "/api/v1/models/m/drift/history", 400)
        self.call("GET", M + "/distributions", "/api/v1/models/m/distributions?window=last:60",
                  200)
        self.call("GET", M + "/settings", "/api/v1/models/m/settings", 200)
        self.call("PUT", M + "/settings", "/api/v1/models/m/settings", 200,
                  {"window": "15m", "methods": {"confidence": ["ks", "psi"]},
                   "thresholds": {"psi": 0.3}})
        self.call("PUT", M + "/settings", "/api/v1/models/m/settings", 400, {"alpha": 7})
        # a regression model: numeric predictions and labels, a missing feature value
        reg = [{"id": "r-%d" % i, "version": "v1", "prediction": 1.5 + i % 7,
                "label": str(1 + i % 5), "features": {"x": None if i % 4 == 0 else i * 0.5}}
               for i in range(50)]
        self.call("POST", M + "/events", "/api/v1/models/reg/events", 202, {"events": reg})
        self.call("POST", M + "/labels", "/api/v1/models/reg/labels", 200,
                  '{"id": "r-1", "label": "2.5"}\n', ctype="application/x-ndjson")
        self.call("GET", M + "/drift", "/api/v1/models/reg/drift?window=last:20", 200)
        if "get" in SPEC["paths"][M + "/events"]:
            st, headers, text = self.srv.request("GET", "/api/v1/models/reg/events?version=v1")
            self.assertEqual(st, 200)
            self.assertEqual(headers.get("Content-Type", "").split(";")[0], "application/x-ndjson")
            self.assertIn("application/x-ndjson",
                          SPEC["paths"][M + "/events"]["get"]["responses"]["200"]["content"])
            self.call("GET", M + "/events", "/api/v1/models/reg/events?from=1", 400)
            self.call("GET", M + "/events", "/api/v1/models/none/events", 404)
        st, headers, text = self.srv.request("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertIn("text/plain", SPEC["paths"]["/metrics"]["get"]["responses"]["200"]["content"])
        self.assertIn("driftd_ingest_events_accepted_total 110\n", text)
        # the lifecycle operations, once they are routes (their planned marker is gone)
        paths = SPEC["paths"]
        if "x-driftd-status" not in paths.get(M + "/versions", {}).get("get", {"x": 1}):
            self.call("GET", M + "/versions", "/api/v1/models/m/versions?limit=1", 200)
            self.call("GET", M + "/versions/{version}", "/api/v1/models/m/versions/v1", 200)
        if "x-driftd-status" not in paths[M + "/events"].get("delete", {"x": 1}):
            self.call("DELETE", M + "/events",
                      "/api/v1/models/m/events?from=1764558000000&to=1764558010000", 200)
            self.call("DELETE", M + "/events", "/api/v1/models/m/events?from=1", 400)
        if "x-driftd-status" not in paths[M + "/versions/{version}/reference"].get("delete",
                                                                                  {"x": 1}):
            self.call("DELETE", M + "/versions/{version}/reference",
                      "/api/v1/models/m/versions/v1/reference", 200)
        if "x-driftd-status" not in paths[M + "/versions/{version}"].get("delete", {"x": 1}):
            self.call("DELETE", M + "/versions/{version}", "/api/v1/models/m/versions/v1", 200)
        if "x-driftd-status" not in paths[M].get("delete", {"x": 1}):
            self.call("DELETE", M, "/api/v1/models/m", 200)
            self.call("DELETE", M, "/api/v1/models/m", 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
