"""The OpenAPI route check (scripts/check_openapi.py) passes on a spec that
matches its route table and fails, naming the problem, on a route missing from
the spec, an operation that is no route, a stale `planned` marker, a wrong role
or security, and a handler whose query parameters or media types differ."""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, "scripts", "check_openapi.py")

ROUTES = """\
/* routes.c — a small table in the shape of server/api/routes.c */
static const struct route routes[] = {
    {"GET", "/healthz", DD_ROLE_NONE, h_healthz},
    {"POST", "/api/v1/models/{model}/events", DD_ROLE_INGEST, h_events_post},
    {"GET", "/api/v1/models/{model}/drift", DD_ROLE_READ, h_drift_get},
    /* last: the dashboard's static files (web/) */
    {"GET", "/*", DD_ROLE_NONE, h_static},
};
"""

HANDLERS = """\
void h_events_post(struct http_req *r)
{
    if (answer_body_format(r, ANSWER_JSON | ANSWER_NDJSON, &fmt) != 0)
        return;
}

void h_drift_get(struct http_req *r)
{
    static const char *const known[] = {"version", "window", NULL};
    if (answer_query_known(r, known) != 0)
        return;
}
"""

OK = {"200": {"description": "ok"}}
AUTH = {"200": {"description": "ok"}, "401": {"description": "no key"},
        "403": {"description": "no role"}}


def spec_text(ops):
    """A spec of ops: {(method, path): operation}."""
    import yaml
    paths = {}
    for (method, path), op in ops.items():
        paths.setdefault(path, {})[method] = op
    return yaml.safe_dump({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                           "security": [{"bearer": []}],
                           "components": {"parameters": {"Window": {
                               "name": "window", "in": "query", "schema": {"type": "string"}}}},
                           "paths": paths})


def good_ops():
    return {
        ("get", "/healthz"): {"x-driftd-role": "none", "security": [], "responses": OK},
        ("post", "/api/v1/models/{model}/events"): {
            "x-driftd-role": "ingest", "responses": AUTH,
            "requestBody": {"content": {"application/json": {}, "application/x-ndjson": {}}}},
        ("get", "/api/v1/models/{model}/drift"): {
            "x-driftd-role": "read", "responses": AUTH,
            "parameters": [{"name": "version", "in": "query"},
                           {"$ref": "#/components/parameters/Window"},
                           {"name": "from", "in": "query", "x-driftd-status": "planned"}]},
    }


def run(routes=ROUTES, handlers=HANDLERS, ops=None):
    """rc and output of the check on a tree of routes.c, h_x.c and the spec."""
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "server", "api"))
        os.makedirs(os.path.join(d, "docs"))
        with open(os.path.join(d, "server", "api", "routes.c"), "w") as f:
            f.write(routes)
        with open(os.path.join(d, "server", "api", "h_x.c"), "w") as f:
            f.write(handlers)
        with open(os.path.join(d, "docs", "openapi.yaml"), "w") as f:
            f.write(spec_text(good_ops() if ops is None else ops))
        p = subprocess.run([sys.executable, SCRIPT, d], capture_output=True, text=True, cwd=d)
        return p.returncode, p.stdout + p.stderr


class CheckOpenapi(unittest.TestCase):
    def assert_fails(self, *messages, **tree):
        rc, out = run(**tree)
        self.assertEqual(rc, 1, out)
        for m in messages:
            self.assertIn(m, out)
        return out

    def test_matching_spec_passes(self):
        rc, out = run()
        self.assertEqual(rc, 0, out)
        self.assertIn("check_openapi: 0 problem(s); 4 routes (GET /* excepted), 3 operations, "
                      "0 planned", out)

    def test_route_missing_from_spec_fails(self):
        ops = good_ops()
        del ops[("get", "/api/v1/models/{model}/drift")]
        self.assert_fails("server/api/routes.c:5: route GET /api/v1/models/{model}/drift is not "
                          "in docs/openapi.yaml", ops=ops)

    def test_operation_without_route_fails(self):
        ops = good_ops()
        ops[("delete", "/api/v1/models/{model}")] = {"x-driftd-role": "admin", "responses": AUTH}
        self.assert_fails("docs/openapi.yaml: DELETE /api/v1/models/{model} is not a route in "
                          "server/api/routes.c", ops=ops)

    def test_same_path_other_method_fails(self):
        """A route's path with another method in the spec is not that route."""
        ops = good_ops()
        ops[("put", "/api/v1/models/{model}/drift")] = ops.pop(("get", "/api/v1/models/{model}/drift"))
        self.assert_fails("route GET /api/v1/models/{model}/drift is not in",
                          "PUT /api/v1/models/{model}/drift is not a route", ops=ops)

    def test_planned_operation_without_route_passes(self):
        ops = good_ops()
        ops[("delete", "/api/v1/models/{model}")] = {
            "x-driftd-role": "admin", "x-driftd-status": "planned", "responses": AUTH}
        rc, out = run(ops=ops)
        self.assertEqual(rc, 0, out)
        self.assertIn("planned (no route yet): DELETE /api/v1/models/{model}", out)
        self.assertIn("1 planned", out)

    def test_planned_operation_with_route_fails(self):
        ops = good_ops()
        ops[("get", "/api/v1/models/{model}/drift")]["x-driftd-status"] = "planned"
        self.assert_fails("GET /api/v1/models/{model}/drift is marked 'x-driftd-status: planned' "
                          "but is a route (server/api/routes.c:5): remove the marker", ops=ops)

    def test_wrong_role_fails(self):
        ops = good_ops()
        ops[("get", "/api/v1/models/{model}/drift")]["x-driftd-role"] = "admin"
        self.assert_fails("GET /api/v1/models/{model}/drift: x-driftd-role is admin, the route's "
                          "role is read", ops=ops)

    def test_missing_role_fails(self):
        ops = good_ops()
        del ops[("post", "/api/v1/models/{model}/events")]["x-driftd-role"]
        self.assert_fails("POST /api/v1/models/{model}/events: x-driftd-role is missing, the "
                          "route's role is ingest", ops=ops)

    def test_security_must_fit_the_role(self):
        ops = good_ops()
        del ops[("get", "/healthz")]["security"]  # inherits bearer: wrong for role none
        ops[("get", "/api/v1/models/{model}/drift")]["security"] = []
        ops[("get", "/api/v1/models/{model}/drift")]["responses"] = OK
        self.assert_fails("GET /healthz: role none must say 'security: []'",
                          "GET /api/v1/models/{model}/drift: role read must need the bearer",
                          "GET /api/v1/models/{model}/drift: role read must document 401",
                          "GET /api/v1/models/{model}/drift: role read must document 403", ops=ops)

    # A handler changed (old -> new in HANDLERS) and what the checker must say.
    HANDLER_MISMATCHES = [
        ("query parameters must match the handler",
         '{"version", "window", NULL}', '{"version", "signal", NULL}',
         ["GET /api/v1/models/{model}/drift: the handler (h_drift_get() in ",
          "takes query parameter 'signal', which the spec does not list",
          "query parameter 'window' is in the spec but the handler"]),
        ("a planned parameter the handler takes fails",
         '{"version", "window", NULL}', '{"version", "window", "from", NULL}',
         ["query parameter 'from' is marked 'x-driftd-status: planned' but the "
          "handler (h_drift_get()"]),
        ("a handler without query parameters",
         "known) != 0", "NULL) != 0",
         ["query parameter 'version' is in the spec but the handler"]),
        ("media types must match the handler",
         "ANSWER_JSON | ANSWER_NDJSON", "ANSWER_JSON | ANSWER_CSV",
         ["POST /api/v1/models/{model}/events: the handler (h_events_post() in ",
          "takes media type 'text/csv', which the spec does not list",
          "media type 'application/x-ndjson' is in the spec but the handler"]),
    ]

    def test_handlers_must_match_the_spec(self):
        for name, old, new, want in self.HANDLER_MISMATCHES:
            with self.subTest(name):
                self.assert_fails(*want, handlers=HANDLERS.replace(old, new))

    def test_comment_in_the_table_is_not_a_route(self):
        routes = ROUTES.replace("/* last:", '/* {"GET", "/old", DD_ROLE_READ, h_old} last:')
        rc, out = run(routes=routes)
        self.assertEqual(rc, 0, out)

    def test_no_table_is_an_error(self):
        rc, out = run(routes="/* no table */\n")
        self.assertEqual(rc, 2, out)
        self.assertIn("no 'static const struct route routes[]", out)

    def test_the_real_spec_and_table_with_a_route_missing_each_way_fail(self):
        """The repository's own files, one route added to the table and one
        removed: the check names both."""
        with tempfile.TemporaryDirectory() as d:
            shutil.copytree(os.path.join(ROOT, "server", "api"), os.path.join(d, "server", "api"))
            os.makedirs(os.path.join(d, "docs"))
            shutil.copy(os.path.join(ROOT, "docs", "openapi.yaml"), os.path.join(d, "docs"))
            path = os.path.join(d, "server", "api", "routes.c")
            with open(path) as f:
                text = f.read()
            gone = '    {"GET", "/metrics", DD_ROLE_READ, h_metrics},\n'
            self.assertIn(gone, text)
            text = text.replace(gone, '    {"GET", "/api/v1/extra", DD_ROLE_READ, h_metrics},\n')
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([sys.executable, SCRIPT, d], capture_output=True, text=True, cwd=d)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("route GET /api/v1/extra is not in docs/openapi.yaml", p.stdout)
            self.assertIn("docs/openapi.yaml: GET /metrics is not a route in server/api/routes.c",
                          p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
