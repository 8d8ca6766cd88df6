"""dd_harness.py — start the real driftd binary on a free loopback port and talk
HTTP to it (standard library only).  Used by the integration tests."""
import http.client
import json
import os
import random
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
        if not any(a == "--threads" or a.startswith("--threads=") for a in self.args):
            # 256 connection threads unless a test asks for more (the flood does): ctest runs
            # two suites at once, and several 4,096-thread servers (ASan ones above all) can
            # run the machine out of threads
            cmd += ["--threads", "256"]
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
            # a server left behind keeps its threads (4,096 by default): kill it first
            self.proc.kill()
            self.proc.wait()
            self.log.close()
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

    def put_reference(self, model, version, events):
        return self.request("PUT", f"/api/v1/models/{model}/versions/{version}/reference",
                            {"events": events})

    def error_of(self, method, path, body=None):
        """(status, error code) of a request answered with an error."""
        st, _, resp = self.request(method, path, body)
        return st, resp["error"]["code"]

    def count(self, model):
        st, _, body = self.request("GET", f"/api/v1/models/{model}")
        return body["events"] if st == 200 else 0

    def keys(self, *args):
        out = subprocess.run([DRIFTD, "keys", *args, "--db", self.db], capture_output=True,
                             text=True, timeout=30)
        return out.returncode, out.stdout.strip(), out.stderr


SANITIZER_REPORTS = ("AddressSanitizer", "runtime error")


def finish(srv, bad=SANITIZER_REPORTS):
    """Stops srv with SIGTERM and removes its folder; raises AssertionError when it did not
    exit 0 or its log holds one of the strings in bad."""
    code = srv.stop()
    logs = srv.logs()
    srv.cleanup()
    if code != 0:
        raise AssertionError(f"driftd exited with {code} on SIGTERM:\n{logs}")
    for b in bad:
        if b in logs:
            raise AssertionError(f"{b} in driftd's log:\n{logs}")


def wait_until(get, done=bool, timeout=15, step=0.3):
    """get() every step seconds until done(its value) or timeout seconds have passed; the
    last value."""
    deadline = time.time() + timeout
    got = get()
    while not done(got) and time.time() < deadline:
        time.sleep(step)
        got = get()
    return got


def write_ndjson(path, evs):
    """Events as a file in the ingest format, one JSON object a line."""
    with open(path, "w") as f:
        for e in evs:
            f.write(json.dumps(e) + "\n")


def drawn_events(n, seed, draw, ts0=None):
    """n events, each draw(rnd) from one random.Random(seed); with ts0, event i has ts
    ts0 + i (epoch ms)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        e = draw(rnd)
        if ts0 is not None:
            e["ts"] = ts0 + i
        out.append(e)
    return out


def run_check(*args):
    """`driftd check ARGS`: (exit status, stdout, stderr)."""
    r = subprocess.run([DRIFTD, "check", *args], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


class CheckTest(unittest.TestCase):
    """`driftd check` against one reference: each test gets a temporary folder (self.dir)
    holding ref.ndjson (self.ref), the events of reference_events(); PREFIX names the
    folder."""
    PREFIX = "driftd-check-"

    def reference_events(self):
        raise NotImplementedError

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=self.PREFIX)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.ref = os.path.join(self.dir, "ref.ndjson")
        write_ndjson(self.ref, self.reference_events())

    def check(self, *args):
        """`driftd check --reference REF ARGS`: (exit status, stdout, stderr)."""
        return run_check("--reference", self.ref, *args)


class ServerTest(unittest.TestCase):
    """A test case with one fresh server per class (args in SERVER_ARGS, environment
    added in SERVER_ENV; what before_start() does to it, such as creating keys, before
    it starts); at the end it must exit 0 with none of BAD_LOG in its log."""
    SERVER_ARGS = ()
    SERVER_ENV = None
    BAD_LOG = SANITIZER_REPORTS

    @classmethod
    def before_start(cls, srv):
        pass

    @classmethod
    def setUpClass(cls):
        srv = Server(*cls.SERVER_ARGS, env=cls.SERVER_ENV)
        try:
            cls.before_start(srv)
            cls.srv = srv.start()
        except BaseException:
            srv.cleanup()  # tearDownClass does not run when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        finish(cls.srv, cls.BAD_LOG)


def main():
    """unittest.main(); after the binary, `--except A B ...` runs every test class of the
    script but A, B, ... (so a long script can be two ctest tests that run side by side,
    tests.cmake, without a class added later falling between them)."""
    if "--except" not in sys.argv:
        unittest.main(verbosity=2)
        return
    i = sys.argv.index("--except")
    skip = set(sys.argv[i + 1:])
    mod = sys.modules["__main__"]
    classes = {n: c for n, c in vars(mod).items() if isinstance(c, type)
               and issubclass(c, unittest.TestCase) and c.__module__ == "__main__"}
    unknown = skip - set(classes)
    if unknown:
        sys.exit(f"--except: no test class {', '.join(sorted(unknown))} in {sys.argv[0]}")
    load = unittest.defaultTestLoader.loadTestsFromTestCase
    suite = unittest.TestSuite(load(c) for n, c in classes.items() if n not in skip)
    if not suite.countTestCases():  # a split that runs nothing must not pass
        sys.exit(f"--except: no test left in {sys.argv[0]}")
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


# ---- raw-socket helpers (test_edge.py): speak HTTP/1.1 byte by byte -------------------

class RawResponse:
    """One HTTP answer read off a raw socket."""

    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers  # [(name, value)] in order, names as sent
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def closes(self):
        """True when the answer says Connection: close."""
        v = self.header("Connection")
        return v is not None and "close" in [t.strip().lower() for t in v.split(",")]

    def json(self):
        """The body as JSON, decoded strictly as UTF-8 (raises if it is not)."""
        return json.loads(self.body.decode("utf-8", "strict"))

    def __repr__(self):
        return (f"<{self.status} {self.reason} {self.headers} "
                f"{self.body[:300]!r}{'...' if len(self.body) > 300 else ''}>")


class RawConn:
    """A plain TCP connection to a Server: send any bytes, read answers.

    read_response() returns a RawResponse, or None when the server closed (or
    reset) the connection before a single byte of an answer; it raises
    socket.timeout when an answer does not come in time.  wait_closed()
    says what the server did next: 'closed' (recv returned b''), 'reset',
    'open' (nothing within the timeout) or 'data' (more bytes: see .extra)."""

    def __init__(self, port, timeout=10.0, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.extra = b""
        self.eof = False
        self.reset = False

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no answer in time")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_response(self, timeout=10.0, head_only_for=None):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                if not self.buf:
                    return None
                raise AssertionError(f"connection ended inside an answer's head: {self.buf[:500]!r}")
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise AssertionError(f"not an HTTP status line: {lines[0]!r}")
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        resp = RawResponse(version, status, reason, headers, b"")
        self.buf = rest
        if 100 <= status < 200 or status in (204, 304) or head_only_for == "HEAD":
            return resp
        cl = resp.header("Content-Length")
        te = resp.header("Transfer-Encoding")
        if te and "chunked" in te.lower():
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    if not self._fill(deadline):
                        raise AssertionError("connection ended inside a chunked answer")
                size_line, _, self.buf = self.buf.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    if not self._fill(deadline):
                        raise AssertionError("connection ended inside a chunk")
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
            resp.body = body
        elif cl is not None:
            n = int(cl)
            while len(self.buf) < n:
                if not self._fill(deadline):
                    raise AssertionError(f"connection ended after {len(self.buf)} of {n} body bytes")
            resp.body, self.buf = self.buf[:n], self.buf[n:]
        else:  # delimited by the close
            while self._fill(deadline):
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def wait_closed(self, timeout=2.0):
        if self.buf:
            self.extra = self.buf
            return "data"
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                self.extra = self.buf
                return "data"
        except socket.timeout:
            return "open"
        return "reset" if self.reset else "closed"


def raw_exchange(port, data, timeout=10.0, close_wait=2.0):
    """Sends data on a new connection, reads one answer and what follows it.
    Returns (RawResponse or None, 'closed'|'reset'|'open'|'data', extra bytes)."""
    with RawConn(port, timeout=timeout) as c:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer before it read everything
        resp = c.read_response(timeout)
        after = c.wait_closed(close_wait) if resp is not None else ("reset" if c.reset else "closed")
        return resp, after, c.extra


def rss_kb(pid):
    """VmRSS of a process in KiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
