#!/usr/bin/env python3
"""Fault-injecting HTTP server for tests/unit/test_fetch.c.

Usage: fetch_server.py DIR PORTFILE [LIFETIME_S [CERT KEY]]

Serves files below DIR on 127.0.0.1 (a free port), writes "PORT PID" to
PORTFILE once listening, and exits by itself after LIFETIME_S seconds
(default 300) or when its parent goes away. With CERT and KEY (PEM) it
speaks HTTPS. Faults are asked for per URL in
the query string; a fault applies to the first `times` requests of that
exact path+query (default: every request):

  status=N       reply with HTTP status N (e.g. 503, 429, 404, 403)
  retry_after=S  with status=429/503: send Retry-After: S
  drop=1         send the full Content-Length, half the body, then close
  wrong=1        serve the right length with one byte changed
  stall=S        send the headers, then go silent for S seconds
  redirect=PATH  302 to PATH (redirect=self loops forever)
  slow=MS        sleep MS milliseconds before answering (concurrency tests)

GET /_stats returns JSON {"requests": n, "max_concurrent": m, "paths": {..}}
counting every request but the /_ ones; GET /_reset clears the counters.
"""
import json
import os
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

LOCK = threading.Lock()
STATE = {"requests": 0, "active": 0, "max_concurrent": 0, "paths": {}}


def reset():
    with LOCK:
        STATE["requests"] = 0
        STATE["max_concurrent"] = STATE["active"]
        STATE["paths"] = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self, path):
        if path == "/_stats":
            with LOCK:
                body = json.dumps({k: STATE[k] for k in ("requests", "max_concurrent", "paths")})
            self.reply(200, body.encode(), {"Content-Type": "application/json"})
        elif path == "/_reset":
            reset()
            self.reply(200, b"ok\n")
        else:
            self.reply(404)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_"):
            self.control(url.path)
            return
        with LOCK:
            STATE["requests"] += 1
            STATE["active"] += 1
            STATE["max_concurrent"] = max(STATE["max_concurrent"], STATE["active"])
            n = STATE["paths"].get(self.path, 0) + 1
            STATE["paths"][self.path] = n
        try:
            self.serve(url, n)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with LOCK:
                STATE["active"] -= 1

    def serve(self, url, n):
        q = dict(urllib.parse.parse_qsl(url.query))
        times = int(q.get("times", "0"))
        fault = times == 0 or n <= times
        if "slow" in q:
            time.sleep(int(q["slow"]) / 1000.0)
        if fault and "redirect" in q:
            target = self.path if q["redirect"] == "self" else q["redirect"]
            self.reply(302, b"", {"Location": target})
            return
        if fault and "status" in q:
            headers = {}
            if "retry_after" in q:
                headers["Retry-After"] = q["retry_after"]
            self.reply(int(q["status"]), b"error page\n", headers)
            return
        rel = urllib.parse.unquote(url.path).lstrip("/")
        full = os.path.realpath(os.path.join(self.root, rel))
        if not full.startswith(os.path.realpath(self.root) + os.sep) or not os.path.isfile(full):
            self.reply(404, b"not found\n")
            return
        with open(full, "rb") as f:
            body = f.read()
        if fault and q.get("wrong") and body:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        if fault and (q.get("drop") or "stall" in q):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = len(body) // 2 if q.get("drop") else 0
            self.wfile.write(body[:cut])
            self.wfile.flush()
            if "stall" in q:
                time.sleep(float(q["stall"]))
            self.close_connection = True
            return
        self.reply(200, body, {"Content-Type": "application/octet-stream"})


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # clients hanging up (timeouts, aborted transfers) are part of the tests
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    root, portfile = sys.argv[1], sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    Handler.root = root
    srv = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) > 5:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    parent = os.getppid()

    def watchdog():
        end = time.monotonic() + lifetime
        while time.monotonic() < end and os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (srv.server_address[1], os.getpid()))
    os.rename(tmp, portfile)
    srv.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
