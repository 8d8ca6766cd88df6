"""Every command-line error names the bad value, what was expected and where
(the flag as the user typed it, the file and line), and exits 2
(docs/api.md "Command line").  No server needed: the commands fail before
they would start one."""
import os
import subprocess
import tempfile
import unittest

import dd_harness
from dd_harness import ServerTest


def run(*args, cwd=None):
    p = subprocess.run([dd_harness.DRIFTD, *args], capture_output=True, text=True, timeout=30,
                       cwd=cwd)
    return p.returncode, p.stderr.splitlines()[0] if p.stderr else ""


class Messages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dd-msg-")
        cls.ok = os.path.join(cls.dir, "ok.ndjson")
        with open(cls.ok, "w") as f:
            f.write('{"prediction": "a", "features": {"age": 3}}\n')
        cls.bad = os.path.join(cls.dir, "bad.ndjson")
        with open(cls.bad, "w") as f:
            f.write('{"prediction": "a"}\n{"confidence": 2}\n')

    def check(self, *args):
        return run("check", "--reference", self.ok, "--current", self.ok, *args)

    def test_check_flags(self):
        cases = [
            (("--alpha", "3"), "driftd: --alpha '3': expected a number in (0, 1)"),
            (("--format", "xml"), "driftd: --format 'xml': expected json, text or html"),
            (("--format-in", "tsv"), "driftd: --format-in 'tsv': expected auto, json or csv"),
            (("--seed", "-1"), "driftd: --seed '-1': expected a non-negative integer"),
            (("--mmd-sample", "5"), "driftd: --mmd-sample '5': expected an integer in 10..100000"),
            (("--model", "a/b"), "driftd: --model 'a/b': expected a name of [A-Za-z0-9._-]{1,128}"),
            (("--bogus-flag", "1"), "driftd: unknown option '--bogus-flag'"),
            (("--methods", "numeric=chi2"),
             "driftd: --methods 'numeric=chi2': chi2 does not apply to numeric signals "
             "(numeric takes ks, psi, wasserstein, jensen_shannon)"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                self.assertEqual(self.check(*args), (2, want))

    def test_check_files(self):
        rc, msg = run("check", "--reference", self.ok, "--current", self.bad)
        self.assertEqual((rc, msg), (2, f"driftd: {self.bad}: line 2: events[1].confidence: "
                                        "must be a number in [0,1]"))
        missing = os.path.join(self.dir, "nope.ndjson")
        rc, msg = run("check", "--reference", self.ok, "--current", missing)
        self.assertEqual((rc, msg), (2, f"driftd: cannot open '{missing}': No such file or directory"))

    def test_serve_flags(self):
        cases = [
            (("--eval-interval", "60"),
             "driftd: --eval-interval: invalid value '60': expected a duration such as 500ms, "
             "10s, 15m, 24h or 30d, from 1000 ms to 604800000 ms"),
            (("--listen", "18557"),
             "driftd: --listen: invalid value '18557': expected ADDRESS:PORT such as "
             "127.0.0.1:8080 or 0.0.0.0:8080"),
            (("--window", "5x"),
             "driftd: --window: invalid value '5x': expected a duration such as 15m or 24h, "
             "or last:N with N from 1 to 10000000"),
            (("--no-such-setting", "1"), "driftd: --no-such-setting: unknown setting 'no_such_setting'"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                rc, msg = run("serve", "--db", os.path.join(self.dir, "s.db"), *args, cwd=self.dir)
                self.assertEqual((rc, msg), (2, want))

    def test_keys_flags(self):
        db = os.path.join(self.dir, "k.db")
        self.assertEqual(run("keys", "create", "--role", "foo", "--db", db),
                         (2, "driftd: --role: 'foo' is not a role (expected ingest, read or admin)"))
        self.assertEqual(run("keys", "create", "--role", "read", "--expires", "3x", "--db", db),
                         (2, "driftd: --expires: '3x' is neither a duration (30d, 12h, 90m) nor "
                             "an RFC 3339 time (2027-01-31T00:00:00Z)"))


class HttpMessages(ServerTest):
    """A refused settings PUT names the member, the value as sent and what
    was expected."""

    def test_settings(self):
        st, _, _ = self.srv.post_events("m", [{"prediction": "a", "features": {"age": 3}}])
        self.assertEqual(st, 202)
        cases = [
            ({"alpha": 2}, "alpha: 2 is not a number in (0, 0.5]"),
            ({"window": 5}, "window: 5 is not a window: expected a duration such as 15m, 1h, "
                            "24h, or last:N"),
            ({"window": "5x"}, "window: '5x' is not a window: expected a duration such as 15m, "
                               "1h, 24h, or last:N"),
            ({"reference_size": 5}, "reference_size: 5 is not an integer from 20 to 1000000"),
            ({"methods": {"prediction": ["ks"]}},
             "methods.prediction: 'ks' is not a method for this signal (expected one of chi2, "
             "psi, jensen_shannon)"),
        ]
        for body, want in cases:
            with self.subTest(body=body):
                st, _, resp = self.srv.request("PUT", "/api/v1/models/m/settings", body)
                self.assertEqual(st, 400, resp)
                self.assertEqual(resp["error"]["message"], want)


if __name__ == "__main__":
    dd_harness.main()
