"""dd_receiver.py — a loopback HTTP receiver for the alert notification tests
(test_delivery, test_alerts): a small Python http.server process on a free port that
logs every request (method, path, headers, body, time) as a JSON line and answers what
its plan file says (a list of statuses, then a default, 202 unless set; an optional
delay, Retry-After, or a status before a time)."""
import base64
import json
import os
import socket
import subprocess
import sys
import time

import dd_harness

RECEIVER_PY = r'''
import json, sys, time, base64, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, log_path, plan_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
seen = [0]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with lock:
            i = seen[0]
            seen[0] += 1
            with open(plan_path) as f:
                plan = json.load(f)
        st = plan["statuses"][i] if i < len(plan.get("statuses", [])) else plan.get("default", 202)
        if plan.get("until") and time.time() < plan["until"]:
            st = plan.get("before", 500)
        rec = {"i": i, "t": time.time(), "method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": base64.b64encode(body).decode(), "status": st}
        with lock, open(log_path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        if plan.get("delay"):
            time.sleep(plan["delay"])
        out = json.dumps({"status": "ok" if st < 300 else "error", "n": i}).encode()
        try:
            self.send_response(st)
            if plan.get("retry_after") is not None:
                self.send_header("Retry-After", str(plan["retry_after"]))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass
    do_POST = do_PUT = do_GET = handle_any
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
'''


class Receiver:
    """One receiver process on a free loopback port (url: http://127.0.0.1:PORT), its
    plan set at the start or by set_plan(); requests() reads what it got, each with the
    body decoded (raw) and parsed (json, None when empty)."""

    def __init__(self, tmp, name, **plan):
        self.port = dd_harness.free_port()
        self.log = os.path.join(tmp, f"{name}.log")
        self.plan_path = os.path.join(tmp, f"{name}.plan")
        open(self.log, "w").close()
        self.set_plan(**plan)
        self.proc = start_receiver(tmp, RECEIVER_PY, self.port, self.log, self.plan_path)
        self.url = f"http://127.0.0.1:{self.port}"

    def set_plan(self, **plan):
        with open(self.plan_path + ".tmp", "w") as f:
            json.dump(plan, f)
        os.replace(self.plan_path + ".tmp", self.plan_path)

    def requests(self):
        out = []
        with open(self.log) as f:
            for line in f:
                r = json.loads(line)
                r["raw"] = base64.b64decode(r["body"])
                r["json"] = json.loads(r["raw"]) if r["raw"] else None
                out.append(r)
        return out

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def start_receiver(folder, script, port, *args):
    """Writes the Python program script to folder/receiver.py and runs it as
    `receiver.py PORT ARGS...`; the process once 127.0.0.1:PORT accepts a connection
    (RuntimeError after 10 s)."""
    path = os.path.join(folder, "receiver.py")
    with open(path, "w") as f:
        f.write(script)
    proc = subprocess.Popen([sys.executable, path, str(port), *args])
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"{path} did not listen on port {port}")
