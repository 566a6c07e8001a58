#!/usr/bin/env python3
"""A small Docker token-auth server for ocib's registry tests (stdlib + the
openssl CLI for RS256 signatures).

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with optional
Basic credentials. Users: ocib/ocibpass (pull,push on everything), reader/
readerpass (pull). Anonymous: pull on public/*. Requested actions are
intersected with the grant (never an error, as the spec says). Tokens carry
an x5c header naming the signing certificate, which the registry trusts via
`rootcertbundle`. Every request is logged as one JSON line on stderr:
{"scopes": [...], "user": ..., "granted": [...]} (never a password).

usage: tokenserver.py --port P --key KEY.pem --cert CERT.pem --service S
                      --issuer I [--tls-cert C --tls-key K] [--expires N]
"""
import argparse, base64, fnmatch, http.server, json, ssl, subprocess, sys, time, urllib.parse, uuid

USERS = {"ocib": ("ocibpass", {"*": ["pull", "push", "delete"]}),
         "reader": ("readerpass", {"*": ["pull"]})}
ANON = {"public/*": ["pull"]}


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/healthz":
            return self.reply(200, {})
        if u.path != "/token":
            return self.reply(404, {"error": "not found"})
        q = urllib.parse.parse_qs(u.query)
        cfg = self.server.cfg
        if q.get("service", [""])[0] != cfg.service:
            return self.reply(400, {"error": "unknown service"})
        user, acl = None, ANON
        auth = self.headers.get("Authorization", "")
        if auth:
            if not auth.startswith("Basic "):
                return self.reply(401, {"error": "basic auth required"})
            name, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            if name not in USERS or USERS[name][0] != pw:
                self.log({"scopes": q.get("scope", []), "user": name, "rejected": True})
                return self.reply(401, {"details": "invalid username or password"},
                                  {"WWW-Authenticate": 'Basic realm="ocib-token"'})
            user, acl = name, USERS[name][1]
        access = []
        for scope in " ".join(q.get("scope", [])).split():
            typ, rest = scope.split(":", 1)
            name, actions = rest.rsplit(":", 1)
            allowed = set()
            for pat, acts in acl.items():
                if fnmatch.fnmatch(name, pat):
                    allowed |= set(acts)
            granted = [a for a in actions.split(",") if a in allowed or "*" in allowed]
            access.append({"type": typ, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": cfg.issuer, "sub": user or "", "aud": cfg.service, "exp": now + cfg.expires,
                  "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [cfg.cert_der_b64]}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", cfg.key], input=signing_input,
                             capture_output=True, check=True).stdout
        token = signing_input.decode() + "." + b64url(sig)
        self.log({"scopes": q.get("scope", []), "user": user, "granted": access})
        field = "access_token" if cfg.access_token else "token"
        self.reply(200, {field: token, "expires_in": cfg.expires, "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})

    def log(self, obj):
        sys.stderr.write(json.dumps(obj) + "\n")
        sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--access-token", action="store_true", help="answer access_token, not token")
    cfg = ap.parse_args()
    der = subprocess.run(["openssl", "x509", "-in", cfg.cert, "-outform", "DER"], capture_output=True, check=True).stdout
    cfg.cert_der_b64 = base64.b64encode(der).decode()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", cfg.port), Handler)
    srv.cfg = cfg
    if cfg.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cfg.tls_cert, cfg.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
