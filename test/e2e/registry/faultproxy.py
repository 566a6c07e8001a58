#!/usr/bin/env python3
"""A fault-injecting, logging HTTP reverse proxy for ocib's registry tests
(stdlib only). Listens on 127.0.0.1:PORT and forwards to an upstream
http://HOST:PORT.

Rules (JSON file, re-read on every request so a test can change them):
  [{"method": "PUT", "path": "/blobs/uploads/", "action": "status",
    "status": 500, "headers": {"Retry-After": "1"}, "skip": 0, "times": 1}, ...]
`method` ("*" = any) and `path` (a regex searched in the path) select
requests; the first `skip` matches pass, the next `times` get the fault
(times -1 = always); with `for_seconds`, instead, every match during that
many seconds after the first one gets it. Actions:
  status         answer `status` (and `headers`, and `body` when given, else
                 an UNAVAILABLE error) without forwarding
  hangup         close the connection without answering (a restarting
                 registry)
  trickle        forward, then send the body at `rate` bytes per second
  huge           answer 200 announcing `size` bytes and stream zeros
  chunk_limit    refuse a PATCH whose body exceeds `limit` bytes with 416
                 and a message naming the limit; forward the others
  drop_request   read half of the request body, then close the connection
  drop_response  forward, send the headers and half the body, then close
  slow           sleep `seconds`, then forward
  corrupt        forward and flip one byte of the response body
  headers        forward and add `headers` to the response (e.g.
                 OCI-Chunk-Min-Length on POST /blobs/uploads/)
  redirect       answer 307 to http://localhost:PORT/_redirect/N (another
                 host name for the same proxy); that URL is served from the
                 original request, and whether it carried Authorization is
                 logged
Every request is logged as one JSON line to --log: method, path, host,
auth (bool: an Authorization header was present; never its value), status,
fault, length (request body bytes, when it has a body) and range (its
Content-Range, when present).
"""
import argparse, http.client, http.server, itertools, json, re, threading, time

LOCK = threading.Lock()
COUNTS = {}
FIRST_MATCH = {}
REDIRECTS = {}
NEXT_ID = itertools.count(1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def log(self, status, fault=None):
        entry = {"method": self.command, "path": self.path, "host": self.headers.get("Host", ""),
                 "auth": "Authorization" in self.headers, "status": status, "fault": fault}
        if self.headers.get("Content-Length"):
            entry["length"] = int(self.headers["Content-Length"])
        if self.headers.get("Content-Range"):
            entry["range"] = self.headers["Content-Range"]
        with LOCK:
            with open(self.server.cfg.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def pick_rule(self):
        try:
            with open(self.server.cfg.rules) as f:
                rules = json.load(f)
        except (OSError, ValueError):
            rules = []
        for i, r in enumerate(rules):
            if r.get("method", "*") not in ("*", self.command):
                continue
            if not re.search(r.get("path", ""), self.path):
                continue
            key = (i, json.dumps(r, sort_keys=True))
            with LOCK:
                n = COUNTS.get(key, 0)
                COUNTS[key] = n + 1
            if "for_seconds" in r:
                with LOCK:
                    first = FIRST_MATCH.setdefault(key, time.time())
                if time.time() - first > float(r["for_seconds"]):
                    continue
                return r
            if r.get("action") == "chunk_limit":
                if int(self.headers.get("Content-Length", "0") or 0) <= int(r["limit"]):
                    continue
                return r
            skip, times = r.get("skip", 0), r.get("times", 1)
            if n < skip:
                continue
            if times >= 0 and n >= skip + times:
                continue
            return r
        return None

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, headers, body, head=False):
        self.send_response(status)
        for k, v in headers:
            if k.lower() in ("content-length", "transfer-encoding", "connection"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def forward(self, path, body, headers):
        up = http.client.HTTPConnection(self.server.cfg.upstream, timeout=60)
        hdrs = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
        hdrs["Host"] = self.server.cfg.upstream
        up.request(self.command, path, body=body if body or self.command in ("PUT", "POST", "PATCH") else None, headers=hdrs)
        r = up.getresponse()
        data = r.read() if self.command != "HEAD" else b""
        rh = r.getheaders()
        up.close()
        # Upload Locations point at the upstream: keep them on the proxy.
        fixed = []
        for k, v in rh:
            if k.lower() == "location":
                v = v.replace("http://" + self.server.cfg.upstream, "")
            fixed.append((k, v))
        return r.status, fixed, data

    def handle_any(self):
        if self.path == "/healthz":
            return self.send(200, [], b"ok")
        if self.path.startswith("/_redirect/"):
            rid = int(self.path.split("/")[2])
            orig_path, orig_headers = REDIRECTS[rid]
            self.read_body()
            st, h, data = self.forward(orig_path, b"", orig_headers)
            self.log(st, "redirect-target")
            return self.send(st, h, data, head=self.command == "HEAD")
        rule = self.pick_rule()
        action = rule.get("action") if rule else None
        if action == "status":
            self.read_body()
            self.log(rule["status"], "status")
            body = rule.get("body", {"errors": [{"code": "UNAVAILABLE", "message": "injected fault"}]})
            body = json.dumps(body).encode()
            return self.send(rule["status"], list(rule.get("headers", {}).items()), body, head=self.command == "HEAD")
        if action == "hangup":
            self.log(0, "hangup")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if action == "chunk_limit":
            self.read_body()
            self.log(416, "chunk_limit")
            msg = "chunk of %s bytes exceeds the maximum of %d bytes" % (self.headers.get("Content-Length"), int(rule["limit"]))
            body = json.dumps({"errors": [{"code": "BLOB_UPLOAD_INVALID", "message": msg}]}).encode()
            return self.send(416, [], body)
        if action == "huge":
            self.read_body()
            self.log(200, "huge")
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Content-Length", str(int(rule["size"])))
            self.end_headers()
            try:
                for _ in range(int(rule["size"]) // 65536):
                    self.wfile.write(b"\0" * 65536)
            except OSError:
                pass
            self.close_connection = True
            return
        if action == "drop_request":
            n = int(self.headers.get("Content-Length", "0") or 0)
            self.rfile.read(n // 2)
            self.log(0, "drop_request")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if action == "redirect":
            self.read_body()
            rid = next(NEXT_ID)
            REDIRECTS[rid] = (self.path, dict(self.headers.items()))
            port = self.server.server_address[1]
            self.log(307, "redirect")
            return self.send(307, [("Location", "http://localhost:%d/_redirect/%d" % (port, rid))], b"")
        if action == "slow":
            time.sleep(float(rule.get("seconds", 2)))
        body = self.read_body()
        st, h, data = self.forward(self.path, body, dict(self.headers.items()))
        if action == "headers":
            h = [(k, v) for k, v in h if k.lower() not in {n.lower() for n in rule.get("headers", {})}]
            h += list(rule.get("headers", {}).items())
        if action == "trickle":
            self.send_response(st)
            for k, v in h:
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.log(st, "trickle")
            try:
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(1.0 / float(rule.get("rate", 1)))
            except OSError:
                pass
            self.close_connection = True
            return
        if action == "corrupt" and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        if action == "drop_response" and data:
            self.send_response(st)
            for k, v in h:
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.log(st, "drop_response")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.log(st, action)
        self.send(st, h, data, head=self.command == "HEAD")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True, help="HOST:PORT of a plain-HTTP registry")
    ap.add_argument("--rules", required=True)
    ap.add_argument("--log", required=True)
    cfg = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", cfg.port), Handler)
    srv.daemon_threads = True
    srv.cfg = cfg
    srv.serve_forever()


if __name__ == "__main__":
    main()
