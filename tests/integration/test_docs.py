"""The docs cannot rot: every shell example of README.md and docs/*.md runs
against a real server, and every answer they show is checked.

- A ```sh block is run by bash, in document order, one shared scratch folder
  and one fresh server per document (the README's examples build on each
  other: post events, then look at them).  `driftd` is the binary under test;
  the address 127.0.0.1:8080 of the examples becomes the test server's, and
  a key id (`key_` and hex) the id of the key the last `driftd keys create`
  printed.
  Files the examples name (train.ndjson, canary.ndjson, ...) are made by
  make_fixtures() first.
- A line `# -> STATUS JSON` or `# -> JSON` after a command: the command's
  output (curl prints the body; add -w for the status) must contain that
  JSON as a subset (objects: every shown member, recursively; "..." matches
  any value).  `# -> exit N` checks the exit status of the command before it.
  Any other command must not fail with a usage error (exit 2) or an unknown
  command (127).
- A block whose info string is `sh norun` is not run (the README's two
  commands: they are the test suite and a server that runs until Ctrl-C);
  the test lists them so that the set stays small and deliberate.
- Every ```json block must be valid JSON (documents show answers as JSON
  blocks; "...", a bare ... and {...} stand for values left out), and every plain block of answers
  (`STATUS {...}` lines) must hold valid JSON after its status.
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import dd_harness
from dd_harness import Server

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(ROOT, "docs"))
                              if f.endswith(".md"))
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.S | re.M)
ALLOWED_NORUN = 2  # the README's two commands


def blocks(doc):
    text = open(os.path.join(ROOT, doc), encoding="utf-8").read()
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield m.group(1).strip(), m.group(2), line


def make_fixtures(folder):
    """The files the README's `driftd check` examples read."""
    rnd = random.Random(11)

    def write(name, shift):
        with open(os.path.join(folder, name), "w") as f:
            for i in range(400):
                ev = {"id": f"{name}-{i}", "prediction": rnd.choice(["cat", "dog"]),
                      "confidence": min(1.0, max(0.0, rnd.gauss(0.8 - shift, 0.1))),
                      "features": {"age": rnd.gauss(40 + 30 * shift, 8)},
                      "embedding": [rnd.gauss(shift, 1) for _ in range(4)]}
                f.write(json.dumps(ev) + "\n")

    write("train.ndjson", 0.0)
    write("canary.ndjson", 0.3)


def elided(text):
    """JSON as the docs write it: `{...}` and a bare `...` elide a value."""
    text = text.replace("{...}", '"..."')
    return re.sub(r'(?<!")\.\.\.(?!")', '"..."', text)


def subset(shown, got):
    if shown == "...":
        return True
    if isinstance(shown, dict):
        return isinstance(got, dict) and all(k in got and subset(v, got[k])
                                             for k, v in shown.items())
    if isinstance(shown, list):
        return isinstance(got, list) and len(shown) <= len(got) and all(
            subset(a, b) for a, b in zip(shown, got))
    return shown == got


def split_commands(code):
    """(command text, [expectations]) in order; a command continues over
    lines ending in a backslash or inside an open quote."""
    out, cur = [], []
    for line in code.splitlines():
        m = re.match(r"^\s*# -> (.*)$", line)
        if m and not cur:
            if out:
                out[-1][1].append(m.group(1).strip())
            continue
        cur.append(line)
        text = "\n".join(cur)
        if line.endswith("\\") or text.count("'") % 2 == 1:
            continue
        if text.strip() and not text.strip().startswith("#"):
            out.append((text, []))
        cur = []
    return out


class Docs(unittest.TestCase):
    def test_json_blocks_parse(self):
        bad = []
        for doc in DOCS:
            for info, code, line in blocks(doc):
                if info == "json":
                    try:
                        json.loads(elided(code))
                    except ValueError as e:
                        bad.append(f"{doc}:{line}: {e}")
                elif info == "":
                    for l in code.splitlines():
                        m = re.match(r"^(\d{3})\s+(\{.*\})\s*(\(.*\))?\s*$", l)
                        if m:
                            try:
                                json.loads(elided(m.group(2)))
                            except ValueError as e:
                                bad.append(f"{doc}:{line}: {l!r}: {e}")
        self.assertEqual(bad, [])

    def test_norun_blocks_are_few(self):
        norun = [(doc, line) for doc in DOCS for info, _, line in blocks(doc)
                 if info.startswith("sh") and "norun" in info.split()[1:]]
        self.assertLessEqual(len(norun), ALLOWED_NORUN, norun)

    def test_shell_examples_run(self):
        ran = 0
        for doc in DOCS:
            sh = [(code, line) for info, code, line in blocks(doc) if info == "sh"]
            if not sh:
                continue
            with self.subTest(doc=doc):
                ran += self.run_doc(doc, sh)
        self.assertGreater(ran, 3, "no shell examples found: the extraction is broken")

    def run_doc(self, doc, sh):
        folder = tempfile.mkdtemp(prefix="dd-docs-")
        srv = Server(db_dir=folder)
        srv.start()
        ran = 0
        try:
            make_fixtures(folder)
            bindir = os.path.join(folder, "bin")
            os.mkdir(bindir)
            os.symlink(dd_harness.DRIFTD, os.path.join(bindir, "driftd"))
            env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"],
                       DRIFTD_DB=srv.db)
            key_id = None  # the id of the last key an example created
            for code, line in sh:
                for cmd, expects in split_commands(code):
                    if key_id:  # examples name a key id as `key_` + hex
                        cmd = re.sub(r"\bkey_[0-9a-f]{6,}\b", key_id, cmd)
                    cmd = cmd.replace("127.0.0.1:8080", f"127.0.0.1:{srv.port}")
                    cmd = cmd.replace("localhost:8080", f"127.0.0.1:{srv.port}")
                    p = subprocess.run(["bash", "-c", cmd], cwd=folder, env=env,
                                       capture_output=True, text=True, timeout=60)
                    ran += 1
                    m = re.search(r"\bkey_[0-9a-f]{6,}\b", p.stdout + p.stderr)
                    key_id = m.group(0) if m and "keys create" in cmd else key_id
                    where = f"{doc}:{line}: {cmd.strip()[:80]!r}\nstdout={p.stdout[:600]}\n" \
                            f"stderr={p.stderr[:600]}"
                    self.assertNotIn(p.returncode, (2, 126, 127), where)
                    for e in expects:
                        self.check(e, p, where)
        finally:
            srv.stop()
            srv.cleanup()
            shutil.rmtree(folder, ignore_errors=True)
        return ran

    def check(self, expect, p, where):
        m = re.match(r"^exit (\d+)$", expect)
        if m:
            self.assertEqual(p.returncode, int(m.group(1)), where)
            return
        m = re.match(r"^(?:(\d{3})\s+)?(\{.*\})$", expect)
        self.assertTrue(m, f"{where}\nunreadable expectation {expect!r}")
        shown = json.loads(m.group(2))
        out = p.stdout.strip()
        if m.group(1):
            self.assertTrue(out.endswith(m.group(1)), f"{where}\nno status {m.group(1)} "
                            "at the end of the output (curl -w '%{http_code}')")
            out = out[: -3].strip()
        self.assertTrue(subset(shown, json.loads(out)), f"{where}\nshown {shown}")


if __name__ == "__main__":
    dd_harness.main()
