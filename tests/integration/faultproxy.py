#!/usr/bin/env python3
"""Fault-injecting HTTP/1.1 reverse proxy for the registry integration tests.

    faultproxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:RPORT \
                  --plan PLAN.json --log LOG.jsonl

Sits between the client under test and a plain-HTTP registry. Requests are
forwarded unchanged (the Host header too, so the registry's Location headers
point back at the proxy), over one keep-alive upstream connection per client
connection. Request and response bodies are streamed, never held in memory.

PLAN.json is a list of rules. For each request the rules are tried in order;
the first rule that *fires* decides what happens, otherwise it is forwarded.

    {"method": "PATCH",        optional, exact match
     "path": "regex",          optional, re.search on path+query
     "skip": N,                let the first N matching requests pass this rule
     "times": N,               how often the rule fires (default 1, -1 = always)
     one action:
     "drop_after": BYTES       read that many request body bytes, then close the
                               client connection; nothing is forwarded, unless
                               "forward_partial": true, which sends the headers
                               and those bytes upstream first and then cuts the
                               upstream connection too (the registry sees a
                               client that vanished mid-body)
     "status": CODE            answer without forwarding; optional
                               "retry_after": SECONDS, "body": STRING,
                               "headers": {NAME: VALUE}
     "drop_response_after": BYTES
                               forward, then close after that many bytes of the
                               response body
     "delay": SECONDS          sleep, then forward (may also be combined with
                               any action above: the sleep comes first)}

A rule that is skipping or used up is passed over, so later rules still see
the request. Counters are shared by all connections.

LOG.jsonl gets one line per request, written once the outcome is known and
*before* the response body is sent, so a client that has read its response
can rely on the line being there: time, method, path, action ("forward",
"status", "drop_after", "drop_response_after", "upstream_error"), rule
(index or null), status (what the client was sent, null if dropped),
upstream_status (null if not forwarded), req_bytes (request body bytes
received from the client).
"""

import argparse
import http.client
import http.server
import json
import re
import socket
import struct
import sys
import threading
import time

CHUNK = 64 * 1024
# Hop-by-hop headers we handle ourselves rather than pass through.
HOP = {"expect", "transfer-encoding", "connection", "keep-alive", "te",
       "trailer", "upgrade", "proxy-connection"}


class Rule:
    def __init__(self, i, d):
        self.index = i
        self.method = d.get("method")
        self.path = re.compile(d["path"]) if "path" in d else None
        self.skip = int(d.get("skip", 0))
        self.times = int(d.get("times", 1))
        self.d = d
        self.seen = 0
        self.fired = 0
        actions = [a for a in ("drop_after", "status", "drop_response_after")
                   if a in d]
        if len(actions) > 1:
            raise ValueError("rule %d: more than one action: %s" % (i, actions))
        if not actions and "delay" not in d:
            raise ValueError("rule %d: no action" % i)
        self.action = actions[0] if actions else "forward"

    def matches(self, method, path):
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path or self.path.search(path) is not None


class Plan:
    def __init__(self, rules):
        self.rules = [Rule(i, r) for i, r in enumerate(rules)]
        self.lock = threading.Lock()

    def pick(self, method, path):
        """The rule that fires for this request, or None (forward)."""
        with self.lock:
            for r in self.rules:
                if not r.matches(method, path):
                    continue
                r.seen += 1
                if r.seen <= r.skip:
                    continue
                if r.times >= 0 and r.fired >= r.times:
                    continue
                r.fired += 1
                return r
        return None


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, **kw):
        kw["time"] = time.time()
        with self.lock:
            self.f.write(json.dumps(kw, sort_keys=True) + "\n")
            self.f.flush()


class Dropped(Exception):
    """The client connection is to be cut without a (complete) response."""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy"

    def log_message(self, fmt, *args):  # quiet: LOG.jsonl is the record
        pass

    # BaseHTTPRequestHandler would answer "100 Continue" as soon as it parsed
    # the headers. We decide first: a rule answering 503 must be able to do
    # so before the client sends its body, as a real server would.
    def handle_expect_100(self):
        self.expect_pending = True
        return True

    def setup(self):
        super().setup()
        self.upstream = None
        self.expect_pending = False

    def parse_request(self):
        self.expect_pending = False
        self.req_bytes = 0
        self.entry = None
        return super().parse_request()

    def finish(self):
        try:
            super().finish()
        finally:
            if self.upstream is not None:
                self.upstream.close()

    def continue_if_expected(self):
        if getattr(self, "expect_pending", False):
            self.expect_pending = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()

    # --- request body -----------------------------------------------------

    def body_chunks(self, limit=None):
        """Yield the request body as raw wire bytes (chunk framing included
        when chunked), stopping once `limit` body bytes have been read.
        self.req_bytes counts body bytes (not framing)."""
        self.req_bytes = 0
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            yield from self._chunked(limit)
            return
        n = int(self.headers.get("Content-Length") or 0)
        while n > 0:
            want = min(CHUNK, n)
            if limit is not None:
                want = min(want, limit - self.req_bytes)
                if want <= 0:
                    return
            b = self.rfile.read(want)
            if not b:
                raise Dropped("client closed mid-body")
            n -= len(b)
            self.req_bytes += len(b)
            yield b

    def _chunked(self, limit):
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise Dropped("client closed mid-body")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                trailer = line
                while True:  # trailers up to the empty line
                    t = self.rfile.readline(8192)
                    trailer += t
                    if t in (b"\r\n", b"\n", b""):
                        break
                yield trailer
                return
            out = line
            left = size
            while left > 0:
                want = min(CHUNK, left)
                if limit is not None:
                    want = min(want, limit - self.req_bytes)
                    if want <= 0:
                        if out:
                            yield out
                        return
                b = self.rfile.read(want)
                if not b:
                    raise Dropped("client closed mid-body")
                left -= len(b)
                self.req_bytes += len(b)
                out += b
                yield out
                out = b""
            yield self.rfile.readline(16)  # CRLF after the chunk data

    def has_body(self):
        return ("chunked" in self.headers.get("Transfer-Encoding", "").lower()
                or int(self.headers.get("Content-Length") or 0) > 0)

    # --- upstream -----------------------------------------------------------

    def open_upstream(self):
        if self.upstream is None:
            host, port = self.server.upstream
            self.upstream = http.client.HTTPConnection(host, port, timeout=300)
        return self.upstream

    def send_upstream_request(self, limit=None):
        """Send the request line, headers and (up to limit bytes of) body."""
        c = self.open_upstream()
        c.putrequest(self.command, self.path, skip_host=True,
                     skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() in HOP and k.lower() != "transfer-encoding":
                continue
            c.putheader(k, v)
        c.endheaders()
        self.continue_if_expected()
        for b in self.body_chunks(limit):
            c.send(b)

    # --- the request --------------------------------------------------------

    def handle_one(self):
        rule = self.server.plan.pick(self.command, self.path)
        action = rule.action if rule else "forward"
        entry = self.entry = dict(method=self.command, path=self.path,
                                  action=action, status=None, upstream_status=None,
                                  rule=rule.index if rule else None)
        try:
            if rule and "delay" in rule.d:
                time.sleep(float(rule.d["delay"]))
            if action == "status":
                self.answer(rule, entry)
            elif action == "drop_after":
                self.drop_after(rule, entry)
            else:
                cut = rule.d["drop_response_after"] if action == "drop_response_after" else None
                self.forward(entry, cut)
        except (Dropped, OSError, http.client.HTTPException) as e:
            # Dropped on purpose, or the client went away, or upstream broke
            # after the response headers were sent: cut the connection.
            if self.entry is not None:  # not logged yet
                entry["error"] = str(e)
                self.log_entry(entry)
            self.abort()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one
    do_OPTIONS = handle_one

    def log_entry(self, entry):
        entry["req_bytes"] = self.req_bytes
        self.server.log.write(**entry)
        self.entry = None

    def abort(self):
        """Cut the client connection. socketserver closes it once we return;
        SO_LINGER 0 makes that close send a RST, as a crashed peer does, and
        unread request bytes are discarded rather than drained."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass

    def answer(self, rule, entry):
        code = int(rule.d["status"])
        body = rule.d.get("body")
        if body is None:
            body = json.dumps({"errors": [{"code": "UNAVAILABLE" if code >= 500
                                           else "DENIED",
                                           "message": "injected by faultproxy",
                                           "detail": None}]})
        body = body.encode() if isinstance(body, str) else body
        if self.expect_pending:
            # The client is waiting for "100 Continue" and will not send its
            # body; the connection cannot be reused after this answer.
            self.expect_pending = False
            self.close_connection = True
        elif self.has_body():
            for _ in self.body_chunks():  # drain to keep the connection in sync
                pass
        entry["status"] = code
        self.log_entry(entry)
        self.send_response_only(code)
        if "retry_after" in rule.d:
            self.send_header("Retry-After", str(rule.d["retry_after"]))
        for k, v in rule.d.get("headers", {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def drop_after(self, rule, entry):
        limit = int(rule.d["drop_after"])
        try:
            if rule.d.get("forward_partial"):
                self.send_upstream_request(limit)
            else:
                self.continue_if_expected()
                for _ in self.body_chunks(limit):
                    pass
        finally:
            self.log_entry(entry)
            if rule.d.get("forward_partial") and self.upstream is not None:
                # cut upstream too; the registry sees a short body
                if self.upstream.sock is not None:
                    try:
                        self.upstream.sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                self.upstream.close()
                self.upstream = None
        raise Dropped("drop_after")

    def forward(self, entry, cut):
        try:
            self.send_upstream_request()
            resp = self.upstream.getresponse()
        except (OSError, http.client.HTTPException) as e:
            if self.upstream is not None:
                self.upstream.close()
                self.upstream = None
            entry["action"] = "upstream_error"
            entry["error"] = str(e)
            entry["status"] = 502
            self.log_entry(entry)
            body = json.dumps({"errors": [{"code": "UNAVAILABLE",
                                           "message": "faultproxy: upstream: %s" % e}]}).encode()
            self.close_connection = True
            self.send_response_only(502)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return

        entry["status"] = entry["upstream_status"] = resp.status
        self.log_entry(entry)
        bodyless = (self.command == "HEAD" or resp.status in (204, 304)
                    or 100 <= resp.status < 200)
        chunked = resp.chunked
        length = resp.getheader("Content-Length")
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in HOP:
                continue
            self.send_header(k, v)
        if not bodyless and chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not bodyless and length is None:
            # close-delimited body: so is ours
            self.close_connection = True
        if resp.will_close or self.close_connection:
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        if bodyless:
            resp.read()  # nothing, but marks the upstream connection reusable
            self.wfile.flush()
            if cut is not None:
                raise Dropped("drop_response_after (no body)")
            return

        sent = 0
        while True:
            want = CHUNK
            if cut is not None:
                want = min(want, int(cut) - sent)
                if want <= 0:
                    self.wfile.flush()
                    # the upstream response is half read: that connection
                    # cannot be reused either
                    self.upstream.close()
                    self.upstream = None
                    raise Dropped("drop_response_after")
            b = resp.read1(want) if chunked or length is None else resp.read(want)
            if not b:
                break
            sent += len(b)
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            else:
                self.wfile.write(b)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        if cut is not None:
            # the body was shorter than the cut: still drop, as asked
            raise Dropped("drop_response_after")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, type=hostport)
    ap.add_argument("--upstream", required=True, type=hostport)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    if not a.listen[0].startswith("127."):
        sys.exit("faultproxy: refusing to listen on %s: loopback only" % a.listen[0])
    with open(a.plan) as f:
        plan = Plan(json.load(f))
    srv = Server(a.listen, Handler)
    srv.upstream = a.upstream
    srv.plan = plan
    srv.log = Log(a.log)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
