#!/usr/bin/python3
"""A tiny Docker-registry token server for berth's registry test fixture (tests/integration/registry-lib.sh).

Implements the token protocol that distribution's `auth: token:` expects (docker "Token Authentication
Specification" and its OAuth2 variant), over HTTPS:

  GET  /token?service=S&scope=repository:NAME:pull,push[&scope=...][&account=U]
       Authorization: Basic ...   optional; without it the request is anonymous
  POST /token   (application/x-www-form-urlencoded) grant_type=password (username, password) or
                grant_type=refresh_token (refresh_token), service, scope (space separated), client_id
  GET  /stats   {"issued": N, "denied": M, "requests": [...last 50 (method, user, scope) ...]}

Policy (what berth's pull tests need):
  * valid Basic credentials (--user/--password): every requested action on every resource;
  * anonymous: only "pull" on repositories whose name starts with "public/"; nothing else (the token is
    still issued, with the ungranted scopes left out, as Docker Hub does; the registry then answers 401
    insufficient_scope);
  * wrong credentials: 401 with WWW-Authenticate: Basic (and an OAuth2 "invalid_grant" for POST);
  * a missing or different `service`: 400.

Tokens are JWS compact serialisations signed RS256 by --sign-key; the header carries the signing
certificate (--sign-cert, issued by the test CA) in "x5c", so the registry verifies the chain up to its
`rootcertbundle` (the test CA) and takes the key from the leaf certificate. Claims: iss, sub, aud, exp,
nbf, iat, jti, access. Signing uses the openssl CLI, so only Python's standard library is needed.
"""

import argparse
import base64
import binascii
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_to_der_b64(path):
    """The first certificate of a PEM file, as standard base64 of its DER (the x5c encoding)."""
    lines, inside = [], False
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line == "-----BEGIN CERTIFICATE-----":
                inside = True
            elif line == "-----END CERTIFICATE-----":
                break
            elif inside:
                lines.append(line)
    if not lines:
        sys.exit(f"token-server: no certificate in {path}")
    return "".join(lines)


class Policy:
    def __init__(self, args):
        self.args = args
        self.x5c = [pem_to_der_b64(args.sign_cert)]
        self.lock = threading.Lock()
        self.issued = 0
        self.denied = 0
        self.log = []
        self.refresh_tokens = {}

    def note(self, method, user, scopes, ok):
        with self.lock:
            if ok:
                self.issued += 1
            else:
                self.denied += 1
            self.log.append({"method": method, "user": user, "scope": scopes, "ok": ok})
            del self.log[:-50]

    def check_basic(self, header):
        """None: anonymous; a user name: valid credentials; False: invalid credentials."""
        if not header:
            return None
        kind, _, value = header.partition(" ")
        if kind.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if sep and user == self.args.user and password == self.args.password:
            return user
        return False

    @staticmethod
    def parse_scope(scope):
        """repository[(class)]:NAME:a,b -> (type, name, [actions]); NAME may contain ':' (host:port)."""
        head, sep, actions = scope.rpartition(":")
        typ, sep2, name = head.partition(":")
        if not sep or not sep2 or not name:
            return None
        typ = typ.split("(", 1)[0]
        return typ, name, [a for a in actions.split(",") if a]

    def grant(self, user, scopes):
        access = []
        for scope in scopes:
            parsed = self.parse_scope(scope)
            if parsed is None:
                continue
            typ, name, actions = parsed
            if user is not None:
                granted = actions
            elif typ == "repository" and name.startswith("public/"):
                granted = [a for a in actions if a == "pull"]
            else:
                granted = []
            if granted:
                access.append({"type": typ, "name": name, "actions": granted})
        return access

    def sign(self, user, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {
            "iss": self.args.issuer,
            "sub": user or "",
            "aud": self.args.service,
            "exp": now + self.args.ttl,
            "nbf": now - 1,
            "iat": now,
            "jti": binascii.hexlify(os.urandom(16)).decode(),
            "access": access,
        }
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.sign_key],
                             input=signing_input.encode(), stdout=subprocess.PIPE, check=True).stdout
        return signing_input + "." + b64url(sig), now


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-test-token/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("token-server: %s %s\n" % (self.address_string(), fmt % args))

    def reply(self, code, obj, extra=None):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def unauthorized(self, method, scopes, oauth=False):
        policy = self.server.policy
        policy.note(method, "(bad credentials)", scopes, False)
        if oauth:
            self.reply(401, {"error": "invalid_grant", "error_description": "bad credentials"})
        else:
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]},
                       {"WWW-Authenticate": 'Basic realm="berth-test-token"'})

    def issue(self, method, user, scopes, offline=False):
        policy = self.server.policy
        access = policy.grant(user, scopes)
        token, now = policy.sign(user, access)
        out = {
            "token": token,
            "access_token": token,
            "expires_in": policy.args.ttl,
            "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        }
        if offline and user is not None:
            refresh = binascii.hexlify(os.urandom(16)).decode()
            with policy.lock:
                policy.refresh_tokens[refresh] = user
            out["refresh_token"] = refresh
        policy.note(method, user or "(anonymous)", scopes, True)
        self.log_message("issued for %s: %s", user or "(anonymous)", json.dumps(access))
        self.reply(200, out)

    def check_service(self, service):
        if service != self.server.policy.args.service:
            self.reply(400, {"errors": [{"code": "INVALID_REQUEST",
                                         "message": "unknown service %r" % (service,)}]})
            return False
        return True

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        policy = self.server.policy
        if url.path == "/stats":
            with policy.lock:
                self.reply(200, {"issued": policy.issued, "denied": policy.denied, "requests": policy.log})
            return
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            return
        scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
        if not self.check_service(q.get("service", [None])[0]):
            return
        user = policy.check_basic(self.headers.get("Authorization"))
        if user is False:
            self.unauthorized("GET", scopes)
            return
        self.issue("GET", user, scopes, q.get("offline_token", ["false"])[0] == "true")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        field = lambda k: form.get(k, [None])[0]  # noqa: E731
        scopes = [s for s in (field("scope") or "").split(" ") if s]
        if not self.check_service(field("service")):
            return
        policy = self.server.policy
        grant = field("grant_type")
        if grant == "password":
            if field("username") != policy.args.user or field("password") != policy.args.password:
                self.unauthorized("POST", scopes, oauth=True)
                return
            self.issue("POST", field("username"), scopes, field("access_type") == "offline")
        elif grant == "refresh_token":
            with policy.lock:
                user = policy.refresh_tokens.get(field("refresh_token") or "")
            if user is None:
                self.unauthorized("POST", scopes, oauth=True)
                return
            self.issue("POST", user, scopes)
        else:
            self.reply(400, {"error": "unsupported_grant_type"})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--sign-cert", required=True)
    p.add_argument("--sign-key", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--ttl", type=int, default=300)
    args = p.parse_args()

    httpd = Server((args.listen, args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    # handshake in the handler thread, so one silent client cannot block accept()
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    httpd.policy = Policy(args)
    sys.stderr.write(f"token-server: listening on https://{args.listen}:{args.port}/token\n")
    httpd.serve_forever()


if __name__ == "__main__":
    main()
