#!/usr/bin/python3
"""A misbehaving registry for berth's pull tests (tests/integration/registry-lib.sh), over HTTPS.

It serves one image, the tag --ref of the OCI layout --layout (the fixture's busybox), anonymously, under
any of the repository names below; the name selects how it misbehaves. Blob requests
(GET /v2/NAME/blobs/DIGEST) always misbehave; a manifest request misbehaves only when its reference is
the tag "manifest" (any other tag, or the manifest's digest, gets the correct manifest), so a test can
choose whether the client trips on the manifest or on a blob. HEAD requests are answered correctly
(except by "hang").

  ok        no misbehaviour (a control)
  badlen    Content-Length 512 bytes larger than the body; all the real bytes are sent, then the
            connection is closed (a short read although the digest of what arrived is right)
  shortlen  Content-Length one byte smaller than the body and only that many bytes sent, connection
            kept open (no transport error at all: only a digest/size check catches it)
  trunc     correct Content-Length, half the body, then the connection is closed
  stall     headers and half the body, then nothing until the client goes away (at most 10 min)
  hang      the request is read and never answered (HEAD requests too)
  garbage   manifests (any reference) are 200 with the OCI manifest media type and a body that is not
            JSON; blobs are served correctly
  redirect  blobs answer 307 to /_blobs/DIGEST on this server, which serves them correctly (as
            registries backed by object storage do); manifests are correct

GET /v2/ is 200 "{}"; unknown names, references and digests get distribution's 404 JSON errors.
"""

import argparse
import hashlib
import http.server
import json
import os
import re
import select
import ssl
import sys
import time

MODES = ("ok", "badlen", "shortlen", "trunc", "stall", "hang", "garbage", "redirect")
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


class Layout:
    def __init__(self, path, ref):
        self.path = path
        self.ref = ref

    def blob(self, digest):
        m = re.fullmatch(r"sha256:([0-9a-f]{64})", digest)
        if not m:
            return None
        try:
            with open(os.path.join(self.path, "blobs", "sha256", m.group(1)), "rb") as f:
                return f.read()
        except OSError:
            return None

    def manifest(self):
        """(digest, media type) of --ref, read at each request (the layout may be built after start)."""
        try:
            with open(os.path.join(self.path, "index.json")) as f:
                index = json.load(f)
        except (OSError, ValueError):
            return None
        for d in index.get("manifests", []):
            if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == self.ref:
                return d["digest"], d["mediaType"]
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-test-hostile/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("hostile-server: %s %s\n" % (self.address_string(), fmt % args))

    def error(self, code, err, msg):
        body = json.dumps({"errors": [{"code": err, "message": msg}]}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def wait_for_close(self, limit=600):
        """Send nothing more; return when the client closes (or after `limit` seconds)."""
        self.wfile.flush()
        end = time.monotonic() + limit
        sock = self.connection
        while time.monotonic() < end:
            r, _, _ = select.select([sock], [], [], 1.0)
            if r:
                try:
                    if not sock.recv(4096):
                        break
                except (OSError, ssl.SSLError):
                    break
        self.close_connection = True

    def send(self, body, ctype, digest, mode):
        head = self.command == "HEAD"
        if mode == "hang":
            self.log_message("hang: %s", self.path)
            self.wait_for_close()
            return
        if head or mode in ("ok", "garbage", "redirect"):
            mode = "ok"
        length = {"badlen": len(body) + 512, "shortlen": len(body) - 1}.get(mode, len(body))
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if head:
            return
        if mode == "ok":
            self.wfile.write(body)
        elif mode == "badlen":
            self.wfile.write(body)
            self.close_connection = True
        elif mode == "shortlen":
            self.wfile.write(body[:length])
        elif mode == "trunc":
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
        elif mode == "stall":
            self.wfile.write(body[:len(body) // 2])
            self.log_message("stalling: %s", self.path)
            self.wait_for_close()

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        layout = self.server.layout
        path = self.path.split("?", 1)[0]
        if path in ("/v2", "/v2/"):
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        m = re.fullmatch(r"/_blobs/(sha256:[0-9a-f]{64})", path)
        if m:
            blob = layout.blob(m.group(1))
            if blob is None:
                self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            else:
                self.send(blob, "application/octet-stream", m.group(1), "ok")
            return
        m = re.fullmatch(r"/v2/(.+)/(manifests|blobs)/([^/]+)", path)
        if not m or m.group(1) not in MODES:
            self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
            return
        name, kind, ref = m.groups()
        if kind == "blobs":
            blob = layout.blob(ref)
            if blob is None:
                self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            elif name == "redirect" and self.command == "GET":
                self.send_response(307)
                self.send_header("Location", "/_blobs/" + ref)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif name == "hang" or self.command == "GET":
                self.send(blob, "application/octet-stream", ref, name)
            else:
                self.send(blob, "application/octet-stream", ref, "ok")
            return
        found = layout.manifest()
        if found is None:
            self.error(404, "MANIFEST_UNKNOWN", "the layout has no ref %r" % layout.ref)
            return
        digest, ctype = found
        if ref.startswith("sha256:"):
            body = layout.blob(ref)
            if body is None:
                self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                return
            try:
                ctype = json.loads(body).get("mediaType", ctype)
            except ValueError:
                pass
            digest = ref
        else:
            body = layout.blob(digest)
        if name == "garbage":
            body = b'{"schemaVersion": 2, "mediaType": "' + ctype.encode() + b'", "layers": [ {{ not json'
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            self.send(body, ctype, digest, "ok")
        elif ref == "manifest":
            self.send(body, ctype, digest, name)
        else:
            self.send(body, ctype, digest, "ok")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--layout", required=True)
    p.add_argument("--ref", default="busybox")
    args = p.parse_args()

    httpd = Server((args.listen, args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    httpd.layout = Layout(args.layout, args.ref)
    sys.stderr.write(f"hostile-server: listening on https://{args.listen}:{args.port}/v2/\n")
    httpd.serve_forever()


if __name__ == "__main__":
    main()
