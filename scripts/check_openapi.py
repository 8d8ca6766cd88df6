#!/usr/bin/env python3
"""check_openapi.py — docs/openapi.yaml and the route table agree.

The route table is `routes[]` in server/api/routes.c: one {method, pattern,
role, handler} per endpoint.  This check reads it and the spec's `paths` and
fails on:

  - a route that is not in the spec with the same method and path;
  - a spec operation that is not a route, unless it is marked
    `x-driftd-status: planned` (agreed but not served yet);
  - a planned operation that HAS a route: it has landed, so the marker must go;
  - an operation whose `x-driftd-role` (none, ingest, read, admin) is not the
    route's role (DD_ROLE_NONE ... DD_ROLE_ADMIN), or is missing;
  - security that does not fit the role: a role `none` operation must say
    `security: []`, any other must need the `bearer` scheme (its own
    `security`, or the spec's top-level one) and document 401 and 403;
  - a handler (the route's function in server/api/*.c) that checks its query
    with answer_query_known(): the names it takes must be the operation's
    query parameters, no more and no fewer (a parameter marked planned that
    the handler takes must lose the marker);
  - a handler that checks its body with answer_body_format(): the media types
    it takes (ANSWER_JSON, ANSWER_NDJSON, ANSWER_CSV) must be the operation's
    request body types (planned ones aside, as for parameters).

Excepted: the static route `GET /*` (the dashboard's files, the last entry
of the table): OpenAPI cannot describe a catch-all path, and the spec says so
in `info.description`.  `HEAD` is served wherever `GET` is and is not listed.

Usage: check_openapi.py [ROOT] [--routes FILE] [--spec FILE]
       (defaults: ROOT = this repository, ROOT/server/api/routes.c,
       ROOT/docs/openapi.yaml; the handlers are the other .c files of the
       routes file's folder)
Output: one line per problem, the planned operations, and a summary line
"check_openapi: N problem(s) ..."; exit 0 when clean, 1 otherwise, 2 when a
file cannot be read.
"""
import argparse
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
ROLES = {"DD_ROLE_NONE": "none", "DD_ROLE_INGEST": "ingest", "DD_ROLE_READ": "read",
         "DD_ROLE_ADMIN": "admin"}
STATIC = ("GET", "/*")

TABLE = re.compile(r"static\s+const\s+struct\s+route\s+routes\s*\[\s*\]\s*=\s*\{(.*?)\n\};",
                   re.S)
ENTRY = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(\w+)\s*\}')


# a string or character literal (kept), or a comment (blanked, its line breaks kept)
C_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)


def strip_comments(c):
    return C_TOKEN.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'"
                       else re.sub(r"[^\n]", " ", m.group(0)), c)


def read_routes(path):
    """[(method, pattern, role name, line, handler)] of routes[] in routes.c."""
    with open(path, encoding="utf-8") as f:
        text = strip_comments(f.read())
    m = TABLE.search(text)
    if not m:
        raise ValueError("%s: no 'static const struct route routes[] = {...};'" % path)
    routes = []
    for e in ENTRY.finditer(m.group(1)):
        line = text.count("\n", 0, m.start(1) + e.start()) + 1
        role = ROLES.get(e.group(3))
        if role is None:
            raise ValueError("%s:%d: unknown role %s" % (path, line, e.group(3)))
        routes.append((e.group(1), e.group(2), role, line, e.group(4)))
    if not routes:
        raise ValueError("%s: routes[] has no entries" % path)
    return routes


MEDIA = {"ANSWER_JSON": "application/json", "ANSWER_NDJSON": "application/x-ndjson",
         "ANSWER_CSV": "text/csv"}


def resolve(spec, obj):
    """obj, or what its local $ref ('#/components/...') points at."""
    while isinstance(obj, dict) and "$ref" in obj:
        node = spec
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        obj = node
    return obj


def read_operations(path):
    """({(METHOD, path): operation}, top-level security) of the spec.  Each
    operation gets "_query": {name: planned?} (its own and its path's query
    parameters) and "_media": {type: planned?} (its request body)."""
    with open(path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise ValueError("%s: no 'paths' object" % path)
    ops = {}
    for p, item in spec["paths"].items():
        item = item or {}
        for method, op in item.items():
            if method in METHODS and isinstance(op, dict):
                op = dict(op)
                query = {}
                for prm in (item.get("parameters") or []) + (op.get("parameters") or []):
                    prm = resolve(spec, prm)
                    if isinstance(prm, dict) and prm.get("in") == "query":
                        query[prm.get("name")] = prm.get("x-driftd-status") == "planned"
                body = resolve(spec, op.get("requestBody")) or {}
                op["_query"] = query
                op["_media"] = {t: isinstance(m, dict) and m.get("x-driftd-status") == "planned"
                                for t, m in (body.get("content") or {}).items()}
                ops[(method.upper(), p)] = op
    return ops, spec.get("security")


def read_handlers(folder):
    """{function name: (file, line, body)} of the void f(struct http_req *r)
    functions in folder's .c files."""
    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".c"):
            continue
        full = os.path.join(folder, name)
        with open(full, encoding="utf-8") as f:
            text = strip_comments(f.read())
        for m in re.finditer(r"^void\s+(\w+)\s*\(\s*struct\s+http_req\s*\*\s*\w+\s*\)\s*\n\{"
                             r"(.*?)^\}", text, re.S | re.M):
            out[m.group(1)] = (full, text.count("\n", 0, m.start()) + 1, m.group(2))
    return out


def handler_query(body):
    """The query parameters a handler body takes through answer_query_known():
    a list, or None when it does not call it."""
    m = re.search(r"answer_query_known\s*\(\s*\w+\s*,\s*(\w+)\s*\)", body)
    if not m:
        return None
    if m.group(1) == "NULL":
        return []
    arr = re.search(r"\b%s\s*\[\s*\]\s*=\s*\{([^}]*)\}" % re.escape(m.group(1)), body)
    if not arr:
        return None  # a list defined elsewhere: not checked
    return re.findall(r'"([^"]*)"', arr.group(1))


def handler_media(body):
    """The media types a handler takes through answer_body_format(), or None."""
    m = re.search(r"answer_body_format\s*\(\s*\w+\s*,\s*([A-Z_|\s]+),", body)
    if not m:
        return None
    return [MEDIA.get(b.strip(), b.strip()) for b in m.group(1).split("|")]


def compare(where, what, code_names, spec_names, code_where):
    """Problems between the names a handler takes and the spec's {name: planned?}."""
    out = []
    for n in code_names:
        if n not in spec_names:
            out.append("%s: the handler (%s) takes %s '%s', which the spec does not list"
                       % (where, code_where, what, n))
        elif spec_names[n]:
            out.append("%s: %s '%s' is marked 'x-driftd-status: planned' but the handler "
                       "(%s) takes it: remove the marker" % (where, what, n, code_where))
    for n, planned in sorted(spec_names.items()):
        if n not in code_names and not planned:
            out.append("%s: %s '%s' is in the spec but the handler (%s) does not take it"
                       % (where, what, n, code_where))
    return out


def needs_bearer(security):
    return isinstance(security, list) and any(
        isinstance(s, dict) and "bearer" in s for s in security)


def check(routes_path, spec_path):
    problems, planned = [], []
    routes = read_routes(routes_path)
    ops, top_security = read_operations(spec_path)
    handlers = read_handlers(os.path.dirname(os.path.abspath(routes_path)))
    rel_routes = os.path.relpath(routes_path)
    rel_spec = os.path.relpath(spec_path)

    seen = set()
    for method, pattern, role, line, fn in routes:
        key = (method, pattern)
        if key in seen:
            problems.append("%s:%d: route %s %s is in the table twice"
                            % (rel_routes, line, method, pattern))
        seen.add(key)
        if key == STATIC:
            continue
        op = ops.get(key)
        if op is None:
            problems.append("%s:%d: route %s %s is not in %s"
                            % (rel_routes, line, method, pattern, rel_spec))
            continue
        where = "%s: %s %s" % (rel_spec, method, pattern)
        if op.get("x-driftd-status") == "planned":
            problems.append("%s is marked 'x-driftd-status: planned' but is a route "
                            "(%s:%d): remove the marker" % (where, rel_routes, line))
        doc_role = op.get("x-driftd-role")
        if doc_role != role:
            problems.append("%s: x-driftd-role is %s, the route's role is %s (%s:%d)"
                            % (where, doc_role if doc_role is not None else "missing", role,
                               rel_routes, line))
        problems.extend(security_problems(where, op, role, top_security))
        if fn in handlers:
            hfile, hline, body = handlers[fn]
            code_where = "%s() in %s:%d" % (fn, os.path.relpath(hfile), hline)
            names = handler_query(body)
            if names is not None:
                problems.extend(compare(where, "query parameter", names, op["_query"],
                                        code_where))
            types = handler_media(body)
            if types is not None:
                problems.extend(compare(where, "media type", types, op["_media"], code_where))

    for key, op in sorted(ops.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        method, p = key
        if key in seen:
            continue
        where = "%s: %s %s" % (rel_spec, method, p)
        if op.get("x-driftd-status") == "planned":
            planned.append("%s %s" % (method, p))
            role = op.get("x-driftd-role")
            if role not in ROLES.values():
                problems.append("%s: x-driftd-role must be one of none, ingest, read, admin"
                                % where)
            else:
                problems.extend(security_problems(where, op, role, top_security))
            continue
        problems.append("%s is not a route in %s (mark it 'x-driftd-status: planned' if it "
                        "is agreed but not served yet)" % (where, rel_routes))
    return problems, planned, len(routes), len(ops)


def security_problems(where, op, role, top_security):
    security = op.get("security", top_security)
    responses = op.get("responses") or {}
    out = []
    if role == "none":
        if security != []:
            out.append("%s: role none must say 'security: []'" % where)
        return out
    if not needs_bearer(security):
        out.append("%s: role %s must need the bearer scheme (security)" % (where, role))
    for code in ("401", "403"):
        if code not in responses and int(code) not in responses:
            out.append("%s: role %s must document %s" % (where, role, code))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", nargs="?", default=ROOT)
    ap.add_argument("--routes")
    ap.add_argument("--spec")
    a = ap.parse_args(argv)
    routes_path = a.routes or os.path.join(a.root, "server", "api", "routes.c")
    spec_path = a.spec or os.path.join(a.root, "docs", "openapi.yaml")
    try:
        problems, planned, n_routes, n_ops = check(routes_path, spec_path)
    except (OSError, ValueError, yaml.YAMLError) as e:
        print("check_openapi: %s" % e)
        return 2
    for p in problems:
        print(p)
    for p in planned:
        print("planned (no route yet): %s" % p)
    print("check_openapi: %d problem(s); %d routes (GET /* excepted), %d operations, "
          "%d planned" % (len(problems), n_routes, n_ops, len(planned)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
