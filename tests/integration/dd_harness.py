"""dd_harness.py — start the real driftd binary on a free loopback port and talk
HTTP to it (standard library only).  Used by the integration tests."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

DRIFTD = os.environ.get("DRIFTD_BIN") or (sys.argv.pop(1) if len(sys.argv) > 1 else "build/driftd")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """One driftd process with its own database folder."""

    def __init__(self, *args, db_dir=None, env=None, port=None):
        self.dir = db_dir or tempfile.mkdtemp(prefix="driftd-it-")
        self.db = os.path.join(self.dir, "driftd.db")
        self.port = port or free_port()
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.log_path = os.path.join(self.dir, "driftd.log")
        self.proc = None

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        cmd = [DRIFTD, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", self.db] + self.args
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, env=self.env)
        if wait:
            deadline = time.time() + 20
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    self.log.close()
                    raise RuntimeError(f"driftd exited with {self.proc.returncode}:\n{self.logs()}")
                try:
                    if self.request("GET", "/readyz")[0] == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            raise RuntimeError("driftd did not become ready:\n" + self.logs())
        return self

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-6000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method, path, body=None, ctype="application/json", key=None, conn=None,
                headers=None):
        h = dict(headers or {})
        if body is not None and ctype:
            h["Content-Type"] = ctype
        if key:
            h["Authorization"] = f"Bearer {key}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = data.decode(errors="replace")
            return r.status, dict(r.getheaders()), parsed
        finally:
            if own:
                c.close()

    def post_events(self, model, events, key=None, conn=None):
        return self.request("POST", f"/api/v1/models/{model}/events", {"events": events},
                            key=key, conn=conn)

    def count(self, model):
        st, _, body = self.request("GET", f"/api/v1/models/{model}")
        return body["events"] if st == 200 else 0

    def keys(self, *args):
        out = subprocess.run([DRIFTD, "keys", *args, "--db", self.db], capture_output=True,
                             text=True, timeout=30)
        return out.returncode, out.stdout.strip(), out.stderr


class ServerTest(unittest.TestCase):
    """A test case with one fresh server per class (args in SERVER_ARGS)."""
    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        srv = Server(*cls.SERVER_ARGS)
        try:
            cls.srv = srv.start()
        except BaseException:
            srv.cleanup()  # tearDownClass does not run when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        logs = cls.srv.logs()
        cls.srv.cleanup()
        if code != 0:
            raise AssertionError(f"driftd exited with {code} on SIGTERM:\n{logs}")
        if "AddressSanitizer" in logs or "runtime error" in logs:
            raise AssertionError("sanitizer report in driftd's log:\n" + logs)


def main():
    unittest.main(verbosity=2)
