#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy for ocib's registry tests (stdlib only).

Listens on 127.0.0.1:PORT. `CONNECT host:port` opens a TCP tunnel and
copies bytes both ways (TLS passes through untouched); every other request
gets 405. Each CONNECT is logged as one JSON line to --log:
{"connect": "host:port", "status": 200|502}.

usage: connectproxy.py --port P --log FILE
"""
import argparse, json, select, socket, socketserver, threading

LOCK = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    rbufsize = 0  # unbuffered: nothing read past the CONNECT headers stays in a buffer
    def log(self, entry):
        with LOCK:
            with open(self.server.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def handle(self):
        line = self.rfile.readline(8192).decode("latin-1").strip()
        while True:  # the request's header lines
            h = self.rfile.readline(8192)
            if h in (b"\r\n", b"\n", b""):
                break
        parts = line.split()
        if len(parts) != 3:
            return
        method, target = parts[0], parts[1]
        if method == "GET" and target == "/healthz":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            return
        if method != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self.log({"method": method, "target": target, "status": 405})
            return
        host, _, port = target.rpartition(":")
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            self.log({"connect": target, "status": 502})
            return
        self.log({"connect": target, "status": 200})
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        down = self.connection
        socks = [down, up]
        try:
            while True:
                ready, _, _ = select.select(socks, [], [], 60)
                if not ready:
                    break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (up if s is down else down).sendall(data)
        except OSError:
            pass
        finally:
            up.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    cfg = ap.parse_args()
    srv = Server(("127.0.0.1", cfg.port), Handler)
    srv.log_path = cfg.log
    srv.serve_forever()


if __name__ == "__main__":
    main()
