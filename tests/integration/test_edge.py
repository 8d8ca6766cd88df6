"""Hostile clients against the real binary, over raw sockets: request smuggling and
framing (RFC 9112 §6.3), slow and idle clients and a 2,000-connection flood, bodies over
the limit, invalid UTF-8 in strings, a graceful stop under load, and smaller items
(WWW-Authenticate, empty batches, dot names, directories under web/, --help).

Every check asserts real values: the status line, the error code of the JSON body, the
headers, that the server closed the connection (recv returned b'') and, where a request
was smuggled behind another, that the stored event count did not move.

DRIFTD_TEST_SLOW=1 (set for the ASan run) relaxes the flood's latency bound from 1 s
to 3 s; nothing else changes."""
import errno
import heapq
import http.client
import json
import os
import random
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import dd_harness
from dd_harness import RawConn, Server, ServerTest, free_port, raw_exchange, rss_kb

SLOW = os.environ.get("DRIFTD_TEST_SLOW", "") not in ("", "0")
HOST = b"Host: 127.0.0.1\r\n"
CLOSE_WAIT = 1.5    # after a complete answer, how long a "close" may take
ANSWER_WAIT = 5.0   # how long an answer may take on an idle server


def note(msg):
    """Numbers and observations for the report (stderr, next to unittest's lines)."""
    sys.stderr.write(f"    [edge] {msg}\n")
    sys.stderr.flush()


def events_json(n, prefix="e", pred="x"):
    return json.dumps({"events": [{"id": f"{prefix}{i}", "prediction": pred}
                                  for i in range(n)]}).encode()


def post_request(model, body, extra=b"", version=b"HTTP/1.1"):
    """A complete, well-framed POST of body to model's events."""
    return (b"POST /api/v1/models/%s/events %s\r\n" % (model.encode(), version) + HOST +
            b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body) + extra +
            b"\r\n" + body)


def smuggled(model):
    """The request hidden behind another: it would store one event in model."""
    return post_request(model, b'{"events":[{"prediction":"smuggled"}]}')


def outer_head(model, headers):
    """The head of a POST to model's events with the given raw header lines."""
    return (b"POST /api/v1/models/%s/events HTTP/1.1\r\n" % model.encode() + HOST +
            b"Content-Type: application/json\r\n" + b"".join(h + b"\r\n" for h in headers) +
            b"\r\n")


def chunked(data, size=7):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


class EdgeTest(ServerTest):
    """ServerTest plus one-line verdicts that list every way an answer is wrong."""

    _n = 0

    def fresh(self, stem):
        EdgeTest._n += 1
        return f"{stem}-{os.getpid()}-{EdgeTest._n}"

    def problems_of(self, resp, after, extra, status, code, close):
        statuses = status if isinstance(status, tuple) else (status,)
        codes = code if isinstance(code, tuple) else (code,)
        p = []
        if resp is None:
            p.append(f"no answer within {ANSWER_WAIT:g} s (connection still open)"
                     if after == "open" else
                     "connection %s without an answer" % ("reset" if after == "reset" else "closed"))
            return p
        if resp.status not in statuses:
            p.append(f"status {resp.status} {resp.reason!r} (want {'/'.join(map(str, statuses))})")
        try:
            body = resp.json()
            err = body.get("error") if isinstance(body, dict) else None
            if not isinstance(err, dict) or not isinstance(err.get("message"), str):
                p.append(f"body is not {{\"error\": {{\"code\", \"message\"}}}}: {resp.body[:200]!r}")
            elif code is not None and err.get("code") not in codes:
                p.append(f"code {err.get('code')!r} (want {'/'.join(codes)})")
        except ValueError:
            p.append(f"body is not UTF-8 JSON: {resp.body[:200]!r} "
                     f"(Content-Type {resp.header('Content-Type')!r})")
        if close:
            if not resp.closes():
                p.append(f"no 'Connection: close' (Connection: {resp.header('Connection')!r})")
            if after == "open":
                p.append("connection left open after the answer")
            elif after == "reset":
                p.append("connection reset (RST) instead of closed after the answer")
        if after == "data":  # one request, two answers: the framing lost step
            p.append(f"another answer followed on the connection: {extra[:150]!r}")
        return p

    def verdict(self, ctx, resp, after, extra, status, code, close=True, smuggle_model=None,
                stored_before=0):
        p = self.problems_of(resp, after, extra, status, code, close)
        if smuggle_model is not None:
            n = self.srv.count(smuggle_model)
            if n != stored_before:
                p.append(f"the smuggled request ran: model {smuggle_model!r} has {n} events "
                         f"(was {stored_before})")
        if p:
            self.fail(f"{ctx}: " + "; ".join(p) + f"  | answer: {resp!r}")

    def exchange(self, data, **kw):
        kw.setdefault("timeout", ANSWER_WAIT)
        kw.setdefault("close_wait", CLOSE_WAIT)
        try:
            return raw_exchange(self.srv.port, data, **kw)
        except socket.timeout:
            return None, "open", b""


# ---------------------------------------------------------------------------------------
# 1. Request smuggling and framing
# ---------------------------------------------------------------------------------------
class Framing(EdgeTest):

    def smuggle_case(self, ctx, head_lines, body, status=400, code="invalid_request",
                     outer=None):
        """Sends head + body + a smuggled POST; checks the answer, the close, and that
        neither the outer request nor the smuggled one stored anything."""
        m = self.fresh("smug")
        outer = outer or self.fresh("outer")
        tail = smuggled(m)
        # a line given as a function gets the length of the body and the smuggled request
        lines = [ln(len(body) + len(tail)) if callable(ln) else ln for ln in head_lines]
        resp, after, extra = self.exchange(outer_head(outer, lines) + body + tail)
        self.verdict(ctx, resp, after, extra, status, code, smuggle_model=m)
        self.assertEqual(self.srv.count(outer), 0, f"{ctx}: the outer request stored events")

    def test_cl_and_te_chunked(self):
        end = b"0\r\n\r\n"
        for name, lines in [
            ("CL covers the chunked end", [b"Content-Length: 5", b"Transfer-Encoding: chunked"]),
            ("TE first", [b"Transfer-Encoding: chunked", b"Content-Length: 5"]),
            ("CL covers everything", [lambda n: b"Content-Length: %d" % n,
                                      b"Transfer-Encoding: chunked"]),
        ]:
            with self.subTest(name):
                self.smuggle_case(f"CL + TE chunked ({name})", lines, end)

    def test_two_content_lengths(self):
        with self.subTest("different"):
            self.smuggle_case("two Content-Length (5, all)",
                              [b"Content-Length: 5", lambda n: b"Content-Length: %d" % n],
                              b"xxxxx")
        with self.subTest("equal"):
            self.smuggle_case("two Content-Length (5, 5)",
                              [b"Content-Length: 5", b"Content-Length: 5"], b"xxxxx")
        with self.subTest("one header, list '5, 5'"):
            self.smuggle_case("Content-Length: 5, 5", [b"Content-Length: 5, 5"], b"xxxxx")

    def test_bad_content_length_values(self):
        # value -> how many bytes a lenient parser (strtol) would take as the body: that
        # many pad bytes come first, then the smuggled request
        for value, lenient in [(b"+5", 5), (b"12abc", 12), (b"-1", 0), (b"", 0),
                               (b"0x10", 0), (b"1 2", 1), (b"9" * 25, 0)]:
            with self.subTest(value=value):
                self.smuggle_case(f"Content-Length: {value.decode()!r}",
                                  [b"Content-Length: " + value], b"x" * lenient)

    def test_unknown_transfer_coding(self):
        with self.subTest("gzip"):
            self.smuggle_case("Transfer-Encoding: gzip", [b"Transfer-Encoding: gzip"], b"",
                              status=501, code="not_implemented")
        with self.subTest("gzip, chunked"):
            self.smuggle_case("Transfer-Encoding: gzip, chunked",
                              [b"Transfer-Encoding: gzip, chunked"], b"0\r\n\r\n",
                              status=501, code="not_implemented")

    def test_two_transfer_encoding_headers(self):
        with self.subTest("chunked twice"):
            self.smuggle_case("two Transfer-Encoding: chunked headers",
                              [b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"],
                              b"0\r\n\r\n")
        with self.subTest("gzip then chunked"):
            # the contract says two headers -> 400; as one list they name gzip (501):
            # either refusal is accepted here, but it must refuse and close
            self.smuggle_case("Transfer-Encoding: gzip + Transfer-Encoding: chunked",
                              [b"Transfer-Encoding: gzip", b"Transfer-Encoding: chunked"],
                              b"0\r\n\r\n", status=(400, 501),
                              code=("invalid_request", "not_implemented"))

    def test_chunked_accepted(self):
        m = self.fresh("chunked")
        body = events_json(5)
        head = outer_head(m, [b"Transfer-Encoding: chunked"])
        with RawConn(self.srv.port, timeout=ANSWER_WAIT) as c:
            c.send(head + chunked(body))
            resp = c.read_response(ANSWER_WAIT)
            self.assertIsNotNone(resp, "chunked POST: connection closed without an answer")
            self.assertEqual(resp.status, 202, resp)
            self.assertEqual(resp.json(), {"accepted": 5, "duplicates": 0})
            # the connection is still in step: the next request on it is answered
            c.send(b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n")
            nxt = c.read_response(ANSWER_WAIT)
            self.assertIsNotNone(nxt, "keep-alive after a chunked body: no answer")
            self.assertEqual((nxt.status, nxt.body), (200, b"ok\n"), nxt)
        self.assertEqual(self.srv.count(m), 5)

    def headers_case(self, n_lines):
        """A POST with n_lines header lines in all, Content-Length the last of them;
        its body is a whole smuggled request."""
        m, outer = self.fresh("smug"), self.fresh("outer")
        body = smuggled(m)
        fixed = [b"Host: 127.0.0.1", b"Content-Type: application/json"]
        fill = [b"X-Fill-%d: %d" % (i, i) for i in range(n_lines - len(fixed) - 1)]
        lines = fixed + fill + [b"Content-Length: %d" % len(body)]
        assert len(lines) == n_lines
        data = (b"POST /api/v1/models/%s/events HTTP/1.1\r\n" % outer.encode() +
                b"".join(ln + b"\r\n" for ln in lines) + b"\r\n" + body)
        return m, outer, self.exchange(data)

    def test_64_or_more_header_lines(self):
        for n in (64, 65, 100):
            with self.subTest(lines=n):
                m, outer, (resp, after, extra) = self.headers_case(n)
                self.verdict(f"{n} header lines", resp, after, extra, 431, "headers_too_large",
                             smuggle_model=m)
                self.assertEqual(self.srv.count(outer), 0)

    def test_63_header_lines_ok(self):
        m = self.fresh("h63")
        body = events_json(1)
        fixed = [b"Host: 127.0.0.1", b"Content-Type: application/json"]
        fill = [b"X-Fill-%d: %d" % (i, i) for i in range(63 - len(fixed) - 1)]
        lines = fixed + fill + [b"Content-Length: %d" % len(body)]
        data = (b"POST /api/v1/models/%s/events HTTP/1.1\r\n" % m.encode() +
                b"".join(ln + b"\r\n" for ln in lines) + b"\r\n" + body)
        resp, after, extra = self.exchange(data, close_wait=0.2)
        self.assertIsNotNone(resp, "63 header lines: connection closed without an answer")
        self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.srv.count(m), 1)

    def test_head_over_16k(self):
        big = b"X-Big: " + b"a" * (17 * 1024)
        resp, after, extra = self.exchange(b"GET /healthz HTTP/1.1\r\n" + HOST + big +
                                           b"\r\n\r\n")
        self.verdict("a 17 KiB head", resp, after, extra, 431, "headers_too_large")
        # with a body holding a smuggled request, Content-Length after the big header
        m = self.fresh("smug")
        body = smuggled(m)
        resp, after, extra = self.exchange(
            outer_head(self.fresh("outer"), [big, b"Content-Length: %d" % len(body)]) + body)
        self.verdict("a 17 KiB head before Content-Length", resp, after, extra, 431,
                     "headers_too_large", smuggle_model=m)

    def test_head_of_15k_ok(self):
        resp, _, _ = self.exchange(b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-Big: " +
                                   b"a" * (15 * 1024) + b"\r\n\r\n", close_wait=0.2)
        self.assertIsNotNone(resp, "a 15 KiB head: connection closed without an answer")
        self.assertEqual((resp.status, resp.body), (200, b"ok\n"), resp)

    def test_host_header(self):
        with self.subTest("HTTP/1.1 without Host"):
            resp, after, extra = self.exchange(b"GET /healthz HTTP/1.1\r\n\r\n")
            self.verdict("HTTP/1.1 without Host", resp, after, extra, 400, "invalid_request")
        with self.subTest("HTTP/1.1 without Host, smuggled body"):
            m = self.fresh("smug")
            body = events_json(1)
            resp, after, extra = self.exchange(post_request(m, body).replace(HOST, b""))
            self.verdict("POST HTTP/1.1 without Host", resp, after, extra, 400,
                         "invalid_request", smuggle_model=m)
        with self.subTest("HTTP/1.0 without Host"):
            resp, _, _ = self.exchange(b"GET /healthz HTTP/1.0\r\n\r\n", close_wait=0.2)
            self.assertIsNotNone(resp, "HTTP/1.0 without Host: closed without an answer")
            self.assertEqual((resp.status, resp.body), (200, b"ok\n"), resp)
        with self.subTest("two Host headers"):
            resp, after, extra = self.exchange(b"GET /healthz HTTP/1.1\r\n" + HOST +
                                               b"Host: example.com\r\n\r\n")
            # the contract names the status only: 400 with a JSON error body
            self.verdict("two Host headers", resp, after, extra, 400, None, close=False)

    def test_unknown_http_versions(self):
        for v in (b"HTTP/2.0", b"HTTP/1.2", b"HTTP/3"):
            with self.subTest(version=v):
                resp, after, extra = self.exchange(b"GET /healthz " + v + b"\r\n" + HOST +
                                                   b"\r\n")
                self.verdict(f"version {v.decode()}", resp, after, extra, 505,
                             "http_version_not_supported")

    def test_garbage_request_line(self):
        resp, after, extra = self.exchange(b"HELLO\r\n\r\n")
        self.verdict("request line 'HELLO'", resp, after, extra, 400, None)

    def test_empty_lines_before_request_line(self):
        """Beyond the contract's list, found while writing it: RFC 9112 §2.2 says a
        server SHOULD ignore at least one empty line before a request line.  Whether it
        ignores them or refuses, one request gets one answer and its body never runs
        as a request (with two or more CRLFs first, the body was read from the wrong
        offset and a request inside it reached the handlers)."""
        for n in (1, 2, 32):
            with self.subTest(crlfs=n, body="events"):
                m = self.fresh("lead")
                resp, after, extra = self.exchange(b"\r\n" * n + post_request(m, events_json(1)))
                if resp is not None and resp.status == 202:
                    p = [] if after != "data" else [f"a second answer followed: {extra[:150]!r}"]
                    if self.srv.count(m) != 1:
                        p.append(f"202 but {self.srv.count(m)} events stored, want 1")
                    if p:
                        self.fail(f"{n} CRLFs before a POST: " + "; ".join(p))
                else:  # refused: then as any framing error
                    self.verdict(f"{n} CRLFs before a POST", resp, after, extra, 400, None,
                                 smuggle_model=m)
            with self.subTest(crlfs=n, body="a smuggled request"):
                m = self.fresh("smug")
                body = smuggled(m)
                resp, after, extra = self.exchange(b"\r\n" * n + post_request(self.fresh("outer"),
                                                                              body))
                p = self.problems_of(resp, after, extra, 400, None, close=False)
                if self.srv.count(m):
                    p.append("the request inside the body ran")
                if p:
                    self.fail(f"{n} CRLFs before a POST whose body is a request: "
                              + "; ".join(p) + f"  | answer: {resp!r}")

    def test_garbage_cannot_forge_log_lines(self):
        """Beyond the contract's list, found while writing it: the log is one logfmt
        line per event (README), so bytes of a refused request line must not start a
        line of their own in it."""
        forged = b'ts=2001-01-01T00:00:00Z level=error msg="forged"'
        for data in (b"HELLO\r\n" + forged + b"\r\n\r\n",
                     b"FOO\r" + forged + b" / HTTP/1.1\r\n" + HOST + b"\r\n"):
            with self.subTest(data=data):
                resp, after, extra = self.exchange(data)
                self.verdict(f"{data!r}", resp, after, extra, 400, None)
        time.sleep(0.3)  # the request's log line is written after its answer
        with open(self.srv.log_path, "rb") as f:
            lines = f.read().split(b"\n")
        bad = [ln for ln in lines if ln.startswith(b'ts=2001-')]
        self.assertEqual(bad, [], "a request forged a line in driftd's log")

    def test_absolute_form(self):
        port = self.srv.port
        with self.subTest("GET"):
            resp, _, _ = self.exchange(b"GET http://127.0.0.1:%d/healthz HTTP/1.1\r\n"
                                       b"Host: 127.0.0.1:%d\r\n\r\n" % (port, port),
                                       close_wait=0.2)
            self.assertIsNotNone(resp, "absolute-form GET: closed without an answer")
            self.assertEqual((resp.status, resp.body), (200, b"ok\n"), resp)
        with self.subTest("POST events"):
            m = self.fresh("absform")
            body = events_json(2)
            resp, _, _ = self.exchange(
                b"POST http://127.0.0.1:%d/api/v1/models/%s/events HTTP/1.1\r\n"
                b"Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % (port, m.encode(), port, len(body)) + body,
                close_wait=0.2)
            self.assertIsNotNone(resp, "absolute-form POST: closed without an answer")
            self.assertEqual(resp.status, 202, resp)
            self.assertEqual(self.srv.count(m), 2)


# ---------------------------------------------------------------------------------------
# 2. Slow and idle clients
# ---------------------------------------------------------------------------------------
HEADER_TIMEOUT, BODY_TIMEOUT = 2.0, 3.0


class SlowClients(EdgeTest):
    SERVER_ARGS = ("--header-timeout", "2s", "--body-timeout", "3s")

    def dribble(self, c, data, t0, give_up):
        """Sends data one byte every 0.5 s until the server answers or closes.
        Returns (seconds from t0 to the server's first reaction, RawResponse or None)."""
        i = 0
        while time.monotonic() - t0 < give_up:
            if i < len(data):
                try:
                    c.sock.send(data[i:i + 1])
                except (BrokenPipeError, ConnectionResetError):
                    # closed (or reset) by the server: an answer may still be buffered
                    t = time.monotonic() - t0
                    try:
                        return t, c.read_response(1.0)
                    except (socket.timeout, OSError):
                        return t, None
                i += 1
            c.sock.settimeout(0.5)
            try:
                first = c.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                c.eof = c.reset = True
                return time.monotonic() - t0, None
            t = time.monotonic() - t0
            if not first:
                c.eof = True
                return t, None
            c.buf += first
            return t, c.read_response(ANSWER_WAIT)
        return time.monotonic() - t0, None

    def test_idle_connection(self):
        c = RawConn(self.srv.port)
        t0 = time.monotonic()
        try:
            resp = c.read_response(HEADER_TIMEOUT + 3)
        except socket.timeout:
            self.fail("an idle connection was still open after header-timeout + 3 s")
        t = time.monotonic() - t0
        after = self.closing(c, resp)
        note(f"idle connection (nothing sent): after {t:.2f} s the server "
             + (f"answered {resp.status} and then {after}" if resp else f"{after} it silently"))
        self.assertLessEqual(t, HEADER_TIMEOUT + 1, "idle connection closed too late")
        if resp is not None:
            self.verdict("idle connection", resp, after, c.extra, 408, "request_timeout")
        else:
            self.assertEqual(after, "closed", "idle connection: reset instead of closed")

    def closing(self, c, resp):
        """How c ends after resp (None: no answer), once closed here."""
        after = c.wait_closed(CLOSE_WAIT) if resp is not None else ("reset" if c.reset else "closed")
        c.close()
        return after

    def dribble_to_408(self, c, what, data, timeout, **verdict_kw):
        """Dribbles data (the request's what: head or body) on c: the server answers
        408 within timeout (+1 s) and closes."""
        t, resp = self.dribble(c, data, time.monotonic(), timeout + 4)
        after = self.closing(c, resp)
        note(f"{what} at 1 byte/0.5 s: server reacted after {t:.2f} s with "
             + (f"{resp.status}, then {after}" if resp else f"no answer ({after})"))
        self.verdict(f"slow {what} (reaction after {t:.2f} s)", resp, after, c.extra, 408,
                     "request_timeout", **verdict_kw)
        self.assertLessEqual(t, timeout + 1, "408 came too late")

    def test_slow_head(self):
        head = b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-Pad: " + b"a" * 64 + b"\r\n\r\n"
        self.dribble_to_408(RawConn(self.srv.port), "head", head, HEADER_TIMEOUT)

    def test_slow_body(self):
        m = self.fresh("slowbody")
        body = events_json(3)
        c = RawConn(self.srv.port)
        c.send(b"POST /api/v1/models/%s/events HTTP/1.1\r\n" % m.encode() + HOST +
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        self.dribble_to_408(c, "body", body, BODY_TIMEOUT, smuggle_model=m)

    def test_zz_still_healthy(self):
        self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)


# ---------------------------------------------------------------------------------------
# 2b. Flood: 2,000 hostile connections, a healthy client must still be served
# ---------------------------------------------------------------------------------------
FLOOD_IDLE, FLOOD_HEAD, FLOOD_BODY = 700, 700, 600
FLOOD_FDS = 4500


class FloodDriver(threading.Thread):
    """Opens and drives every hostile socket from one thread (non-blocking, selectors):
    'idle' connect only, 'head' sends a request head one byte per second, 'body' sends
    a whole head then its body one byte per second.  A socket the server closes is
    counted and opened again, so the pressure stays at 2,000."""

    HEAD = (b"POST /api/v1/models/flood/events HTTP/1.1\r\n" + HOST +
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    BODY = b'{"events": [' + b'{"prediction": "flood"}, ' * 4000

    def __init__(self, port, pid):
        super().__init__(daemon=True)
        self.addr = ("127.0.0.1", port)
        self.pid = pid
        self.sel = selectors.DefaultSelector()
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.connected = 0          # established right now
        self.peak = 0
        self.opened = 0
        self.server_closed = {"idle": 0, "head": 0, "body": 0}
        self.answers = {}           # status line -> count, of answers the flood got
        self.connect_errors = {}
        self.rss_max_kb = 0
        self.dribbled = 0           # bytes sent one per second
        self.error = None

    def open_one(self, kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex(self.addr)
        if rc not in (0, errno.EINPROGRESS):
            name = errno.errorcode.get(rc, rc)
            self.connect_errors[name] = self.connect_errors.get(name, 0) + 1
            s.close()
            return False
        st = {"kind": kind, "up": False, "alive": True, "pos": 0}
        self.sel.register(s, selectors.EVENT_WRITE, st)
        self.opened += 1
        return True

    def drop(self, s, st, by_server):
        if not st["alive"]:
            return None
        st["alive"] = False
        self.sel.unregister(s)
        s.close()
        if st["up"]:
            self.connected -= 1
        if by_server:
            self.server_closed[st["kind"]] += 1
        return st["kind"]

    def run(self):
        try:
            self._run()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)

    def _run(self):
        kinds = ["idle"] * FLOOD_IDLE + ["head"] * FLOOD_HEAD + ["body"] * FLOOD_BODY
        random.Random(7).shuffle(kinds)
        pending = list(kinds)
        due = []            # heap of (time of the next byte, seq, socket, state)
        seq = 0
        last_rss = 0.0
        rng = random.Random(11)
        while not self.stop_flag.is_set():
            # open in slices so that the loop keeps serving the sockets already open;
            # a failed connect is retried on the next pass
            for _ in range(min(200, len(pending))):
                kind = pending.pop()
                if not self.open_one(kind):
                    pending.insert(0, kind)
            now = time.monotonic()
            reopen = []
            for key, mask in self.sel.select(timeout=0.02):
                s, st = key.fileobj, key.data
                if not st["alive"]:
                    continue
                if not st["up"]:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        name = errno.errorcode.get(err, err)
                        self.connect_errors[name] = self.connect_errors.get(name, 0) + 1
                        reopen.append(self.drop(s, st, False))
                        continue
                    st["up"] = True
                    self.connected += 1
                    self.peak = max(self.peak, self.connected)
                    if st["kind"] == "body":
                        try:
                            s.send(self.HEAD)
                        except OSError:
                            reopen.append(self.drop(s, st, True))
                            continue
                    if st["kind"] != "idle":
                        seq += 1
                        heapq.heappush(due, (now + rng.random(), seq, s, st))
                    self.sel.modify(s, selectors.EVENT_READ, st)
                    continue
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    line = data.split(b"\r\n", 1)[0].decode("latin-1")
                    self.answers[line] = self.answers.get(line, 0) + 1
                reopen.append(self.drop(s, st, True))
            # one byte per second on every dribbling socket
            now = time.monotonic()
            while due and due[0][0] <= now:
                t, _, s, st = heapq.heappop(due)
                if not st["alive"]:
                    continue
                src = self.HEAD if st["kind"] == "head" else self.BODY
                if st["pos"] >= len(src):
                    continue
                try:
                    s.send(src[st["pos"]:st["pos"] + 1])
                    st["pos"] += 1
                    self.dribbled += 1
                except BlockingIOError:
                    pass
                except OSError:
                    reopen.append(self.drop(s, st, True))
                    continue
                seq += 1
                heapq.heappush(due, (t + 1.0, seq, s, st))
            pending.extend(k for k in reopen if k)
            if now - last_rss > 0.25:
                last_rss = now
                try:
                    self.rss_max_kb = max(self.rss_max_kb, rss_kb(self.pid))
                except OSError:
                    pass
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()


class Flood(EdgeTest):
    SERVER_ARGS = ("--threads", "4096")  # the default; the harness gives others 256

    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < FLOOD_FDS:
            if hard != resource.RLIM_INFINITY and hard < FLOOD_FDS:
                hard = FLOOD_FDS  # needs CAP_SYS_RESOURCE (root); else setrlimit raises
            resource.setrlimit(resource.RLIMIT_NOFILE, (FLOOD_FDS, hard))
        super().setUpClass()  # the server inherits the raised limit

    def timed(self, fn):
        t0 = time.monotonic()
        try:
            out = fn()
        except (OSError, http.client.HTTPException) as e:
            return time.monotonic() - t0, e
        return time.monotonic() - t0, out

    def test_flood(self):
        bound = 3.0 if SLOW else 1.0
        flood = FloodDriver(self.srv.port, self.srv.proc.pid)
        flood.start()
        try:
            deadline = time.monotonic() + 10
            while flood.peak < 2000 and time.monotonic() < deadline and flood.error is None:
                time.sleep(0.1)
            t_open = 10 - (deadline - time.monotonic())
            time.sleep(2.0)  # let the dribblers get going
            note(f"flood: {flood.peak} of 2000 connections established (in {t_open:.1f} s), "
                 f"{flood.connected} open now")
            lat = []
            problems = []
            n_posts = 0
            for rnd in range(3):
                def get():
                    c = http.client.HTTPConnection("127.0.0.1", self.srv.port,
                                                   timeout=max(5, 3 * bound))
                    try:
                        c.request("GET", "/healthz")
                        r = c.getresponse()
                        return r.status, r.read()
                    finally:
                        c.close()

                def post(rnd=rnd):
                    c = http.client.HTTPConnection("127.0.0.1", self.srv.port,
                                                   timeout=max(5, 3 * bound))
                    try:
                        c.request("POST", "/api/v1/models/flood-healthy/events",
                                  events_json(1000, prefix=f"h{rnd}-"),
                                  {"Content-Type": "application/json"})
                        r = c.getresponse()
                        return r.status, r.read()
                    finally:
                        c.close()

                tg, rg = self.timed(get)
                tp, rp = self.timed(post)
                lat.append((tg, tp))
                if not (isinstance(rg, tuple) and rg[0] == 200):
                    problems.append(f"round {rnd}: GET /healthz -> {rg!r} after {tg:.2f} s")
                if isinstance(rp, tuple) and rp[0] == 202:
                    n_posts += 1
                else:
                    problems.append(f"round {rnd}: POST 1000 events -> {str(rp)[:200]} "
                                    f"after {tp:.2f} s")
                if tg > bound or tp > bound:
                    problems.append(f"round {rnd}: healthy client took GET {tg:.3f} s, "
                                    f"POST {tp:.3f} s (bound {bound} s)")
                if problems and (tg > 5 or tp > 5):
                    break  # a starved server: do not wait out more rounds
                time.sleep(0.5)
            still = flood.connected
        finally:
            flood.stop_flag.set()
            flood.join(30)
        note("flood: healthy GET /healthz latencies " +
             ", ".join(f"{g * 1000:.0f} ms" for g, _ in lat) +
             "; POST 1000 events " + ", ".join(f"{p * 1000:.0f} ms" for _, p in lat))
        note(f"flood: server VmRSS max {flood.rss_max_kb / 1024:.1f} MiB; "
             f"{still} hostile connections still open at the end of the rounds; "
             f"closed by the server: {flood.server_closed}; answers the flood got: "
             f"{flood.answers}; connect errors: {flood.connect_errors}; "
             f"sockets opened in all: {flood.opened}; bytes dribbled: {flood.dribbled}")
        self.assertIsNone(flood.error, "the flood driver failed")
        # after the flood: still serving, nothing of the flood stored
        t0 = time.monotonic()
        st = self.srv.request("GET", "/healthz")[0]
        note(f"flood: /healthz after closing everything: {st} in "
             f"{(time.monotonic() - t0) * 1000:.0f} ms")
        self.assertEqual(st, 200)
        self.assertEqual(self.srv.count("flood"), 0, "a flood request stored events")
        self.assertEqual(self.srv.count("flood-healthy"), 1000 * n_posts)
        self.assertGreaterEqual(flood.peak, 2000,
                                "the flood could not establish 2,000 connections")
        self.assertLess(flood.rss_max_kb, 1024 * 1024, "server RSS over 1 GiB during the flood")
        if problems:
            self.fail("; ".join(problems))


# ---------------------------------------------------------------------------------------
# 3. Bodies over the limit
# ---------------------------------------------------------------------------------------
class BodyOverLimit(EdgeTest):
    SERVER_ARGS = ("--body-limit", "1MiB")

    def big_body(self):
        one = b'{"prediction": "%s"}, ' % (b"x" * 200)
        n = (3 << 19) // len(one) + 1                       # ~1.5 MiB
        return b'{"events": [' + one * n + b'{"prediction": "y"}]}'

    def test_urllib_post_gets_413(self):
        m = self.fresh("big")
        body = self.big_body()
        self.assertGreater(len(body), 1536 * 1024 - 1024)
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.srv.port}/api/v1/models/{m}/events", data=body,
            headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                self.fail(f"a 1.5 MiB body over a 1 MiB limit was answered {r.status}")
        except urllib.error.HTTPError as e:
            data = e.read()
            self.assertEqual(e.code, 413, data)
            err = json.loads(data.decode("utf-8", "strict"))["error"]
            self.assertEqual(err["code"], "payload_too_large", err)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            self.fail(f"urllib got no 413 but {type(e).__name__}: {e}")
        self.assertEqual(self.srv.count(m), 0)

    def test_expect_100_continue_413_before_body(self):
        m = self.fresh("big")
        n = len(self.big_body())
        with RawConn(self.srv.port) as c:
            c.send(b"POST /api/v1/models/%s/events HTTP/1.1\r\n" % m.encode() + HOST +
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                   b"Expect: 100-continue\r\n\r\n" % n)
            try:
                resp = c.read_response(ANSWER_WAIT)
            except socket.timeout:
                self.fail("Expect: 100-continue over the limit: no answer within 5 s "
                          "(the body was not sent)")
            after = c.wait_closed(CLOSE_WAIT) if resp is not None else "closed"
            self.verdict("Expect: 100-continue, 1.5 MiB over a 1 MiB limit", resp, after,
                         c.extra, 413, "payload_too_large", smuggle_model=m)

    def test_expect_100_continue_within_limit(self):
        m = self.fresh("small")
        body = events_json(100)
        with RawConn(self.srv.port) as c:
            c.send(b"POST /api/v1/models/%s/events HTTP/1.1\r\n" % m.encode() + HOST +
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                   b"Expect: 100-continue\r\n\r\n" % len(body))
            try:
                first = c.read_response(1.0)  # curl waits 1 s for the 100, then sends
            except socket.timeout:
                first = None
            if first is not None:
                self.assertEqual(first.status, 100, first)
            c.send(body)
            resp = c.read_response(ANSWER_WAIT)
            self.assertIsNotNone(resp, "Expect: 100-continue within the limit: no answer")
            self.assertEqual(resp.status, 202, resp)
        self.assertEqual(self.srv.count(m), 100)


# ---------------------------------------------------------------------------------------
# 4. Strings: NUL escapes and invalid UTF-8 are refused, valid UTF-8 is kept exactly
# ---------------------------------------------------------------------------------------
BAD_FORMS = {
    "nul-escape": b"\\u0000",
    "raw-fffe": b"\xff\xfe",
    "overlong-c0af": b"\xc0\xaf",
    "surrogate-eda080": b"\xed\xa0\x80",
    # beyond the contract's four, the same family: a lone surrogate as an escape, a
    # 3-byte overlong and a code point over U+10FFFF
    "escaped-lone-surrogate": b"\\ud800",
    "overlong-e080af": b"\xe0\x80\xaf",
    "over-10ffff": b"\xf4\x90\x80\x80",
}
FIELDS = {  # template (S: the string) -> what the message must name
    "id": (b'{"events":[{"id":"S","prediction":"x"}]}', "events[0].id"),
    "version": (b'{"events":[{"version":"S","prediction":"x"}]}', "events[0].version"),
    "prediction": (b'{"events":[{"prediction":"S"}]}', "events[0].prediction"),
    "label": (b'{"events":[{"prediction":"x","label":"S"}]}', "events[0].label"),
    "feature key": (b'{"events":[{"prediction":"x","features":{"S":1}}]}', "events[0].features"),
    "feature value": (b'{"events":[{"prediction":"x","features":{"f":"S"}}]}',
                      "events[0].features.f"),
    "unknown member": (b'{"events":[{"prediction":"x","S":1}]}', "events[0]"),
}


class Strings(EdgeTest):
    MODEL = "strings"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        st, _, body = cls.srv.post_events(cls.MODEL, [{"id": "seed", "prediction": "x"}])
        assert st == 202, body

    def post_raw(self, path, body, method="POST"):
        c = self.srv.conn()
        try:
            c.request(method, path, body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def refused(self, body, path_name, ctx):
        before = self.srv.count(self.MODEL)
        st, data = self.post_raw(f"/api/v1/models/{self.MODEL}/events", body)
        p = []
        if st != 400:
            p.append(f"status {st} (want 400)")
        try:
            err = json.loads(data.decode("utf-8", "strict"))["error"]
            if path_name not in err["message"]:
                p.append(f"message does not name {path_name!r}")
        except (ValueError, KeyError, TypeError) as e:
            p.append(f"answer is not a UTF-8 JSON error ({e})")
        n = self.srv.count(self.MODEL)
        if n != before:
            p.append(f"stored count is {n}, was {before}")
        if p:
            self.fail(f"{ctx}: " + "; ".join(p) + f" | {data[:200]!r}")

    def test_bad_strings_refused(self):
        for field, (tmpl, path_name) in FIELDS.items():
            for form, bad in BAD_FORMS.items():
                # 'plain' goes the fast parser's way when it has no escape; 'escaped'
                # puts an escape in the same string (the slow path) next to the bad bytes
                variants = {"plain": b"a" + bad + b"b"}
                if not form.startswith(("nul", "escaped")):
                    variants["escaped"] = b"a\\u0041" + bad + b"b"
                for var, s in variants.items():
                    with self.subTest(field=field, form=form, variant=var):
                        self.refused(tmpl.replace(b"S", s), path_name,
                                     f"{field} with {form} ({var})")

    def test_nul_ids_are_not_merged(self):
        for body in (b'{"events":[{"id":"n\\u00001","prediction":"x"}]}',
                     b'{"events":[{"id":"n\\u00002","prediction":"x"}]}',
                     b'{"events":[{"id":"n\\u00001","prediction":"x"},'
                     b'{"id":"n\\u00002","prediction":"x"}]}'):
            with self.subTest(body=body):
                self.refused(body, "events[0].id", f"ids with NUL {body!r}")

    def test_valid_utf8_kept_exactly(self):
        m = self.fresh("utf8")
        body = ('{"events":['
                '{"id":"a","prediction":"é","features":{"c":"日本"}},'
                '{"id":"b","prediction":"日本","features":{"c":"é"}},'
                '{"id":"c","prediction":"😀","label":"😀","features":{"c":"😀"}},'
                '{"id":"d","prediction":"\\ud83d\\ude00","label":"\\ud83d\\ude00",'
                '"features":{"c":"\\u00e9"}}]}').encode("utf-8")
        st, data = self.post_raw(f"/api/v1/models/{m}/events", body)
        self.assertEqual(st, 202, data)
        self.assertEqual(json.loads(data), {"accepted": 4, "duplicates": 0})
        st, data = self.post_raw(f"/api/v1/models/{m}/distributions?window=last:100", None,
                                 method="GET")
        self.assertEqual(st, 200, data)
        dist = json.loads(data.decode("utf-8", "strict"))
        sig = {s["signal"]: s for s in dist["signals"]}
        # the 4 events are the automatic reference (never in the current window, #15)
        shares = dict(zip(sig["prediction"]["categories"], sig["prediction"]["reference"]))
        # raw and escaped 😀 are one category: the bytes are identical
        self.assertEqual(shares, {"é": 0.25, "日本": 0.25, "😀": 0.5}, shares)
        shares = dict(zip(sig["feature:c"]["categories"], sig["feature:c"]["reference"]))
        self.assertEqual(shares, {"日本": 0.25, "é": 0.5, "😀": 0.25}, shares)
        st, data = self.post_raw(f"/api/v1/models/{m}/drift?window=last:100", None, method="GET")
        self.assertEqual(st, 200, data)
        drift = json.loads(data.decode("utf-8", "strict"))
        self.assertIn("😀", drift["performance"]["reference"]["classes"])

    def test_error_bodies_are_utf8(self):
        good = events_json(1)
        before = self.srv.count(self.MODEL)
        for method, raw_path in [("POST", b"/api/v1/models/%FF%FE/events"),
                                 ("GET", b"/api/v1/models/%FF%FE/events"),
                                 ("POST", b"/api/v1/models/\xff/events"),
                                 ("POST", b"/api/v1/models/a\xc0\xafb/events"),
                                 ("GET", b"/api/v1/models/\xed\xa0\x80"),
                                 ("GET", b"/\xff\xfe.html")]:
            with self.subTest(method=method, path=raw_path):
                data = (method.encode() + b" " + raw_path + b" HTTP/1.1\r\n" + HOST +
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                        % len(good) + good)
                resp, after, extra = self.exchange(data, close_wait=0.2)
                self.verdict(f"{method} {raw_path!r}", resp, after, extra,
                             (400, 404, 405), None, close=False)
        self.assertEqual(self.srv.count(self.MODEL), before)


# ---------------------------------------------------------------------------------------
# 5. Graceful stop under load
# ---------------------------------------------------------------------------------------
def check_exit(tc, srv, code):
    logs = srv.logs()
    tc.assertEqual(code, 0, f"driftd exited with {code} on SIGTERM:\n{logs}")
    tc.assertNotIn("AddressSanitizer", logs, logs)
    tc.assertNotIn("runtime error", logs, logs)


class GracefulStop(unittest.TestCase):

    def test_sigterm_under_load(self):
        srv = Server().start()
        try:
            self._under_load(srv)
        finally:
            srv.cleanup()

    def _under_load(self, srv):
        lock = threading.Lock()
        res = {"accepted": 0, "n202": 0, "n503": 0, "overloaded": 0, "refused": 0,
               "failures": [], "sent": 0, "refused_how": set()}
        term_sent = threading.Event()
        hard_deadline = time.monotonic() + 90

        def worker(i):
            conn, batch = None, 0
            while time.monotonic() < hard_deadline:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
                    try:
                        conn.connect()
                    except (ConnectionRefusedError, ConnectionResetError) as e:
                        # a new connection refused once the listener closed, before any
                        # request was sent on it (a handshake that completes in the
                        # kernel's backlog just as the listener closes reads as a reset)
                        with lock:
                            res["refused"] += 1
                            res["refused_how"].add(type(e).__name__)
                        return  # the listener is closed: done
                    except OSError as e:
                        with lock:
                            res["failures"].append(f"t{i}: connect: {e!r}")
                        return
                body = ('{"events":[' + ",".join(
                    '{"id":"t%d-%d-%d","prediction":"a"}' % (i, batch, k)
                    for k in range(20000)) + "]}").encode()
                batch += 1
                after_term = term_sent.is_set()
                send_err = None
                try:
                    conn.request("POST", "/api/v1/models/stop/events", body,
                                 {"Content-Type": "application/json"})
                except OSError as e:
                    send_err = e  # the answer may still be there: read it
                with lock:
                    res["sent"] += 1
                try:
                    r = conn.getresponse()
                    data = r.read()
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        res["failures"].append(
                            f"t{i} batch {batch} ({'after' if after_term else 'before'} "
                            f"SIGTERM): no answer: {e!r}"
                            + (f" (send failed: {send_err!r})" if send_err else ""))
                    conn.close()
                    conn = None
                    continue
                try:
                    js = json.loads(data)
                except ValueError:
                    js = None
                closes = (r.getheader("Connection") or "").lower() == "close"
                with lock:
                    if r.status == 202:
                        res["n202"] += 1
                        res["accepted"] += js["accepted"]
                    elif r.status == 503 and js and js["error"]["code"] == "shutting_down":
                        res["n503"] += 1
                        if not closes:
                            res["failures"].append(f"t{i}: 503 shutting_down without "
                                                   "Connection: close")
                    elif (r.status == 503 and js and js["error"]["code"] == "overloaded"
                          and not term_sent.is_set()):
                        res["overloaded"] += 1
                    else:
                        res["failures"].append(f"t{i}: unexpected answer {r.status} "
                                               f"{data[:200]!r}")
                if closes or r.will_close:
                    conn.close()
                    conn = None
            with lock:
                res["failures"].append(f"t{i}: still running after 90 s")

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(16)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        t_term = time.monotonic()
        term_sent.set()
        srv.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(100)
        try:
            code = srv.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.fail("driftd did not exit within 60 s of SIGTERM")
        stop_s = time.monotonic() - t_term
        srv.log.close()
        note(f"graceful stop: {res['sent']} requests sent, {res['n202']} x 202 "
             f"({res['accepted']} events), {res['n503']} x 503 shutting_down, "
             f"{res['overloaded']} x 503 overloaded before SIGTERM, {res['refused']} refused "
             f"connects {sorted(res['refused_how'])}, {len(res['failures'])} failures; exit {code} "
             f"{stop_s:.2f} s after SIGTERM")
        check_exit(self, srv, code)
        self.assertGreater(res["n202"], 0, "no batch was accepted before SIGTERM")
        again = Server(db_dir=srv.dir).start()
        try:
            stored = again.count("stop")
        finally:
            check_exit(self, again, again.stop())
        p = []
        if res["failures"]:
            p.append(f"{len(res['failures'])} of {res['sent']} requests without a complete "
                     f"answer, first: {res['failures'][:2]}")
        if stored != res["accepted"]:
            p.append(f"{stored} events stored after the restart, but the 202 answers "
                     f"accepted {res['accepted']}")
        if p:
            self.fail("; ".join(p))

    def test_new_request_while_draining(self):
        """An in-flight request (its body half sent) keeps the drain going; a new request
        on another, already open keep-alive connection then gets 503 shutting_down and
        close, and the in-flight one still completes with 202."""
        srv = Server().start()
        try:
            a = RawConn(srv.port)
            a.send(b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n")
            r = a.read_response(ANSWER_WAIT)
            self.assertEqual((r.status, r.closes()), (200, False), r)
            body = events_json(3, prefix="inflight")
            b = RawConn(srv.port)
            b.send(b"POST /api/v1/models/drain/events HTTP/1.1\r\n" + HOST +
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                   + body[:10])
            time.sleep(0.3)
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            self.assertIsNone(srv.proc.poll(),
                              "driftd exited while a request was in flight (body half sent)")
            late = events_json(2, prefix="late")
            a.send(b"POST /api/v1/models/drain/events HTTP/1.1\r\n" + HOST +
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(late)
                   + late)
            try:
                ra = a.read_response(ANSWER_WAIT)
            except socket.timeout:
                ra = None
            after = a.wait_closed(CLOSE_WAIT) if ra is not None else "closed"
            p = EdgeTest.problems_of(self, ra, after, a.extra, 503, "shutting_down", True)
            b.send(body[10:])
            try:
                rb = b.read_response(ANSWER_WAIT)
            except socket.timeout:
                rb = None
            if rb is None or rb.status != 202:
                p.append(f"the in-flight request got {rb!r}, not 202")
            a.close()
            b.close()
            try:
                code = srv.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                code = None
                p.append("driftd did not exit within 30 s of SIGTERM")
            srv.log.close()
            if code is not None:
                check_exit(self, srv, code)
            again = Server(db_dir=srv.dir).start()
            try:
                stored = again.count("drain")
            finally:
                check_exit(self, again, again.stop())
            if rb is not None and rb.status == 202 and stored != 3:
                p.append(f"stored {stored} events, want 3 (the in-flight batch only)")
            if p:
                self.fail("new request while draining: " + "; ".join(p) + f" | {ra!r}")
        finally:
            srv.cleanup()


# ---------------------------------------------------------------------------------------
# 6. Smaller items
# ---------------------------------------------------------------------------------------
class AuthHeaders(ServerTest):

    @classmethod
    def before_start(cls, srv):
        rc, cls.key, err = srv.keys("create", "--role", "read")
        assert rc == 0, err

    def test_401_has_www_authenticate(self):
        for name, hdrs in [("no key", {}), ("unknown key", {"Authorization": "Bearer dd_nope"})]:
            with self.subTest(name):
                st, h, body = self.srv.request("GET", "/api/v1/models", headers=hdrs)
                self.assertEqual((st, body["error"]["code"]), (401, "unauthorized"))
                www = {k.lower(): v for k, v in h.items()}.get("www-authenticate")
                self.assertIsNotNone(www, f"401 without WWW-Authenticate: {h}")
                self.assertTrue(www.startswith("Bearer"), www)

    def test_scheme_is_case_insensitive(self):
        for scheme in ("bearer", "BEARER", "Bearer"):
            with self.subTest(scheme=scheme):
                st, _, body = self.srv.request("GET", "/api/v1/models",
                                               headers={"Authorization": f"{scheme} {self.key}"})
                self.assertEqual(st, 200, body)


class Misc(EdgeTest):

    def test_empty_batch_creates_no_model(self):
        for ctype, body in [("application/json", '{"events": []}'),
                            ("application/x-ndjson", "")]:
            with self.subTest(ctype=ctype):
                m = self.fresh("empty")
                st, _, resp = self.srv.request("POST", f"/api/v1/models/{m}/events", body,
                                               ctype=ctype)
                self.assertEqual((st, resp), (202, {"accepted": 0, "duplicates": 0}))
                st, _, lst = self.srv.request("GET", "/api/v1/models")
                self.assertNotIn(m, [x["name"] for x in lst["models"]])
                self.assertEqual(self.srv.request("GET", f"/api/v1/models/{m}")[0], 404)

    def test_dot_names(self):
        body = events_json(1)
        for method, path in [("POST", "/api/v1/models/../events"),
                             ("POST", "/api/v1/models/./events"),
                             ("POST", "/api/v1/models/%2E%2E/events"),
                             ("POST", "/api/v1/models/%2e/events"),
                             ("PUT", "/api/v1/models/dotm/versions/../reference"),
                             ("PUT", "/api/v1/models/dotm/versions/./reference"),
                             ("PUT", "/api/v1/models/dotm/versions/%2E%2E/reference")]:
            with self.subTest(method=method, path=path):
                data = (f"{method} {path} HTTP/1.1\r\n".encode() + HOST +
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                        % len(body) + body)
                resp, after, extra = self.exchange(data, close_wait=0.2)
                self.verdict(f"{method} {path}", resp, after, extra, (400, 404), None,
                             close=False)
        for v in (".", ".."):
            with self.subTest(version=v):
                m = self.fresh("dotv")
                st, _, resp = self.srv.post_events(m, [{"prediction": "x", "version": v}])
                self.assertIn(st, (400, 404), resp)
                self.assertEqual(self.srv.request("GET", f"/api/v1/models/{m}")[0], 404)
        st, _, lst = self.srv.request("GET", "/api/v1/models")
        names = [x["name"] for x in lst["models"]]
        self.assertFalse({".", "..", "dotm"} & set(names), names)
        for x in lst["models"]:
            self.assertFalse({".", ".."} & set(x["versions"]), x)

    def test_cli_help(self):
        tmp = tempfile.mkdtemp(prefix="driftd-help-")
        try:
            env = dict(os.environ, DRIFTD_LISTEN=f"127.0.0.1:{free_port()}",
                       DRIFTD_DB=os.path.join(tmp, "h.db"))
            for cmd in ("serve", "check", "keys"):
                with self.subTest(cmd=cmd):
                    try:
                        out = subprocess.run([dd_harness.DRIFTD, cmd, "--help"], cwd=tmp,
                                             env=env, capture_output=True, text=True,
                                             timeout=10)
                    except subprocess.TimeoutExpired:
                        self.fail(f"'driftd {cmd} --help' did not exit within 10 s")
                    self.assertEqual(out.returncode, 0,
                                     f"'driftd {cmd} --help' exited {out.returncode}: "
                                     f"{out.stderr.strip()[:200]}")
                    self.assertIn("usage", out.stdout.lower(),
                                  f"'driftd {cmd} --help' printed no usage on stdout "
                                  f"(stderr: {out.stderr.strip()[:200]})")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class WebRootDirectory(EdgeTest):

    @classmethod
    def setUpClass(cls):
        cls.web = tempfile.mkdtemp(prefix="driftd-web-")
        os.mkdir(os.path.join(cls.web, "sub"))
        with open(os.path.join(cls.web, "sub", "inner.txt"), "w") as f:
            f.write("inner\n")
        with open(os.path.join(cls.web, "a.txt"), "w") as f:
            f.write("hello\n")
        cls.SERVER_ARGS = ("--web-root", cls.web)
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.web, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.web, ignore_errors=True)

    def test_directory_is_404(self):
        st, _, body = self.srv.request("GET", "/a.txt")
        self.assertEqual((st, body), (200, "hello\n"))
        st, _, body = self.srv.request("GET", "/sub/inner.txt")
        self.assertEqual((st, body), (200, "inner\n"))
        for path in ("/sub", "/sub/"):
            with self.subTest(path=path):
                st, _, body = self.srv.request("GET", path)
                self.assertEqual(st, 404, f"GET {path}: {st} {body!r}")
                self.assertEqual(body["error"]["code"], "not_found", body)


if __name__ == "__main__":
    dd_harness.main()
