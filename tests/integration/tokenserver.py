#!/usr/bin/env python3
"""Minimal Docker registry v2 token server for the integration tests.

    tokenserver.py --listen 127.0.0.1:PORT --key KEY.pem --cert CERT.pem \
                   --users USER:PASS[:ACTIONS][,USER:PASS...] [--ttl SECONDS] \
                   [--anonymous pull|none] [--log LOG.jsonl]

Pairs with the registry's `auth: token` mode (realm = http://ADDR/token,
service plinth-test, issuer plinth-test-issuer, rootcertbundle = CERT.pem).

GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]
    [&offline_token=true&client_id=C]
    HTTP Basic credentials, or none (anonymous: pull only, or 401 with
    --anonymous none). Wrong credentials: 401 with a JSON error.
POST /token (OAuth2 form) grant_type=password with username and password,
    or grant_type=refresh_token with refresh_token; scope is space-separated.
    Always returns a refresh_token (for access_type=offline, as docker asks).

The answer is {"token", "access_token" (the same JWT), "expires_in",
"issued_at" (RFC 3339), ["refresh_token"]}.

The JWT is RS256, signed by `openssl dgst -sha256 -sign KEY`; its header
carries "x5c" with CERT, which the registry checks against its
rootcertbundle. Claims: iss plinth-test-issuer, sub (user, "" when
anonymous), aud (the service asked for), exp/nbf/iat, jti, and access with
the granted actions. Note that the registry allows 60 s of clock leeway, so
it accepts a token up to TTL+60 s after issue.

A user's grants are ACTIONS joined by "+", e.g. alice:pw:pull (default: every
action asked for). Passwords may not contain ':' or ','.

LOG.jsonl gets a line per token request: time, method, grant_type, user
(null when anonymous), service, status, requested and granted scopes. No
secrets are logged.
"""

import argparse
import base64
import datetime
import http.server
import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

ISSUER = "plinth-test-issuer"
DEFAULT_SERVICE = "plinth-test"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pem_to_der_b64(path):
    """The standard-base64 DER of the first certificate in a PEM file: the
    form x5c wants (not base64url)."""
    out, inside = [], False
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line == "-----BEGIN CERTIFICATE-----":
                inside = True
            elif line == "-----END CERTIFICATE-----":
                break
            elif inside:
                out.append(line)
    if not out:
        raise ValueError("%s: no certificate" % path)
    return "".join(out)


def parse_scope(s):
    """'repository:NAME:pull,push' -> (type, name, [actions]). NAME may hold
    ':' (e.g. repository(plugin) types), so split at the first and last."""
    typ, _, rest = s.partition(":")
    name, _, actions = rest.rpartition(":")
    if not typ or not name:
        return None
    return typ, name, [a for a in actions.split(",") if a]


class State:
    def __init__(self, args):
        self.key = args.key
        self.x5c = [pem_to_der_b64(args.cert)]
        self.ttl = args.ttl
        self.anonymous = args.anonymous
        self.users = {}  # user -> (password, allowed actions or None = all)
        for u in filter(None, (args.users or "").split(",")):
            parts = u.split(":")
            if len(parts) not in (2, 3):
                sys.exit("tokenserver: bad --users entry %r" % u)
            allowed = set(parts[2].split("+")) if len(parts) == 3 else None
            self.users[parts[0]] = (parts[1], allowed)
        self.refresh = {}  # refresh token -> user
        self.lock = threading.Lock()
        self.logf = open(args.log, "a", buffering=1) if args.log else None

    def log(self, **kw):
        if not self.logf:
            return
        kw["time"] = time.time()
        with self.lock:
            self.logf.write(json.dumps(kw, sort_keys=True) + "\n")
            self.logf.flush()

    def check(self, user, password):
        u = self.users.get(user)
        return u is not None and secrets.compare_digest(u[0], password)

    def grant(self, user, scopes):
        """The access list for `user` (None = anonymous) asking `scopes`."""
        access = []
        for s in scopes:
            p = parse_scope(s)
            if p is None:
                continue
            typ, name, actions = p
            if typ != "repository":
                continue  # registry:catalog:* and the like: never granted
            if user is None:
                ok = [a for a in actions if a == "pull"]
            else:
                allowed = self.users[user][1]
                ok = [a for a in actions if allowed is None or a in allowed]
            access.append({"type": typ, "name": name, "actions": ok})
        return access

    def sign(self, user, service, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {"iss": ISSUER, "sub": user or "", "aud": service,
                  "exp": now + self.ttl, "nbf": now - 1, "iat": now,
                  "jti": secrets.token_hex(16), "access": access}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode())
                         + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                             input=signing_input.encode(), capture_output=True,
                             check=True).stdout
        return signing_input + "." + b64url(sig), now


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "plinth-tokenserver"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj, extra=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def deny(self, entry, msg):
        entry["status"] = 401
        self.server.state.log(**entry)
        self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": msg}]},
                   [("WWW-Authenticate", 'Basic realm="plinth-test-token"')])

    def issue(self, entry, user, service, scopes, want_refresh):
        st = self.server.state
        access = st.grant(user, scopes)
        token, now = st.sign(user, service, access)
        out = {"token": token, "access_token": token, "expires_in": st.ttl,
               "issued_at": datetime.datetime.fromtimestamp(
                   now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if want_refresh and user is not None:
            rt = secrets.token_urlsafe(24)
            with st.lock:
                st.refresh[rt] = user
            out["refresh_token"] = rt
        entry.update(status=200, granted=access,
                     refresh_token_issued="refresh_token" in out)
        st.log(**entry)
        self.reply(200, out)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path != "/token":
            return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": u.path}]})
        q = urllib.parse.parse_qs(u.query)
        service = q.get("service", [DEFAULT_SERVICE])[0]
        # scope may repeat, and some clients join several with spaces
        scopes = [s for v in q.get("scope", []) for s in v.split()]
        entry = dict(method="GET", grant_type=None, user=None, service=service,
                     scopes=scopes)
        user = None
        auth = self.headers.get("Authorization")
        if auth:
            scheme, _, cred = auth.partition(" ")
            try:
                user, _, password = base64.b64decode(cred).decode().partition(":")
            except ValueError:
                scheme = ""
            entry["user"] = user
            if scheme.lower() != "basic" or not self.server.state.check(user, password):
                return self.deny(entry, "authentication failed")
        elif self.server.state.anonymous == "none":
            return self.deny(entry, "authentication required")
        self.issue(entry, user, service,  scopes,
                   q.get("offline_token", [""])[0] == "true")

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if u.path != "/token":
            return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": u.path}]})
        f = {k: v[0] for k, v in form.items()}
        st = self.server.state
        grant = f.get("grant_type")
        service = f.get("service", DEFAULT_SERVICE)
        scopes = f.get("scope", "").split()
        entry = dict(method="POST", grant_type=grant, user=None, service=service,
                     scopes=scopes)
        if grant == "password":
            user = f.get("username", "")
            entry["user"] = user
            if not st.check(user, f.get("password", "")):
                return self.deny(entry, "authentication failed")
        elif grant == "refresh_token":
            with st.lock:
                user = st.refresh.get(f.get("refresh_token", ""))
            entry["user"] = user
            if user is None:
                return self.deny(entry, "unknown refresh token")
        else:
            entry["status"] = 400
            st.log(**entry)
            return self.reply(400, {"error": "unsupported_grant_type"})
        self.issue(entry, user, service, scopes, True)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--users", default="")
    ap.add_argument("--ttl", type=int, default=300)
    ap.add_argument("--anonymous", choices=("pull", "none"), default="pull")
    ap.add_argument("--log")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    if not host.startswith("127."):
        sys.exit("tokenserver: refusing to listen on %s: loopback only" % host)
    srv = Server((host, int(port)), Handler)
    srv.state = State(a)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
