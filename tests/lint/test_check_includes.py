"""The include checker (scripts/check_includes.py) passes on the tree and fails on
a deliberately added back-edge and on a cycle."""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "check_includes.py")


def run(root):
    p = subprocess.run([sys.executable, SCRIPT, root], capture_output=True, text=True)
    return p.returncode, p.stdout


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


class CheckIncludes(unittest.TestCase):
    def assert_fails(self, files, *messages):
        """A tree of just files ({path: text}) fails the check, naming messages."""
        with tempfile.TemporaryDirectory() as d:
            for path, text in files.items():
                write(d, path, text)
            rc, out = run(d)
            self.assertEqual(rc, 1, out)
            for m in messages:
                self.assertIn(m, out)

    def test_tree_is_clean(self):
        rc, out = run(ROOT)
        self.assertEqual(rc, 0, out)
        self.assertIn("0 problem(s)", out)

    def test_back_edge_fails(self):
        self.assert_fails({"base/log.h": '#include "server/store/store.h"\n',
                           "server/store/store.h": '#include "base/log.h"\n'},
                          "base/log.h:1: includes server/store/store.h (server/store), "
                          "which base/ may not depend on")

    def test_wrong_room_fails(self):
        self.assert_fails({"server/monitor/evaluator.c": '#include "server/api/api.h"\n',
                           "server/api/api.h": "\n"},
                          "server/monitor/evaluator.c:1: includes server/api/api.h")

    def test_cycle_in_one_room_fails(self):
        self.assert_fails({"server/monitor/a.h": '#include "server/monitor/b.h"\n',
                           "server/monitor/b.c": '#include "server/monitor/a.h"\n',
                           "server/monitor/b.h": "\n"},
                          "include cycle: server/monitor/a <-> server/monitor/b")

    def test_the_tree_with_a_back_edge_fails(self):
        """The real tree plus one wrong include: the checker names it."""
        with tempfile.TemporaryDirectory() as d:
            for top in ("base", "ingest", "analysis", "server"):
                subprocess.run(["cp", "-r", os.path.join(ROOT, top), d], check=True)
            with open(os.path.join(d, "server/store/writer.c"), "a") as f:
                f.write('#include "server/monitor/evaluator.h"\n')
            rc, out = run(d)
            self.assertEqual(rc, 1, out)
            self.assertIn("server/store/writer.c:", out)
            self.assertIn("which server/store/ may not depend on", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
