#!/usr/bin/env python3
"""An HTTP/1.1 reverse proxy that adds a fixed delay to every request and
counts what passes (stdlib only, asyncio), for bench/monorepo.sh.

  delayproxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT [--delay-ms 25]

Each request is read whole (Content-Length or chunked body), held for
--delay-ms (a WAN round trip), then forwarded on the connection's own
upstream connection; the answer is streamed back. Connections are kept
alive as the client asks.

Two paths are answered by the proxy itself, without delay:
  GET /_stats   {"requests": N, "by_method": {...}, "upload_bytes": B,
                 "blob_upload_bytes": B2, "distinct_blob_bytes": B3,
                 "blob_uploads": U, "distinct_blobs": D}
                B2: bodies of PUT/PATCH to /blobs/uploads/ (blob bytes
                sent); B3: the same counted once per digest (the digest of
                a monolithic PUT ?digest=); U and D: such PUTs, and their
                distinct digests
  POST /_reset  zeroes the counters
"""
import argparse
import asyncio
import json
import re
import urllib.parse

STATS = {}
DIGESTS = set()


def reset():
    STATS.clear()
    STATS.update({"requests": 0, "by_method": {}, "upload_bytes": 0, "blob_upload_bytes": 0,
                  "distinct_blob_bytes": 0, "blob_uploads": 0, "distinct_blobs": 0})
    DIGESTS.clear()


def count_blob(method, path, size):
    m = re.search(r"[?&]digest=([^&]+)", path)
    if method != "PUT" or not m:
        return
    digest = urllib.parse.unquote(m.group(1))
    STATS["blob_uploads"] += 1
    if digest not in DIGESTS:
        DIGESTS.add(digest)
        STATS["distinct_blobs"] += 1
        STATS["distinct_blob_bytes"] += size


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return head, lines[0], headers


async def read_body(reader, headers, no_body=False):
    """The body as raw bytes (chunked framing kept) and its payload size."""
    if no_body:
        return b"", 0
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw = bytearray()
        size = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            raw += line
            n = int(line.split(b";")[0].strip(), 16)
            if n == 0:
                raw += await reader.readuntil(b"\r\n")
                return bytes(raw), size
            raw += await reader.readexactly(n + 2)
            size += n
    n = int(headers.get("content-length", "0") or 0)
    return (await reader.readexactly(n)) if n else b"", n


async def answer_local(writer, request_line):
    if request_line.startswith("POST /_reset"):
        reset()
        body = b"{}"
    else:
        body = json.dumps(STATS).encode()
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()


async def relay_response(up_reader, writer, method):
    head, status_line, headers = await read_head(up_reader)
    status = int(status_line.split()[1])
    no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
    body, _ = await read_body(up_reader, headers, no_body)
    writer.write(head + body)
    await writer.drain()
    return headers.get("connection", "").lower() != "close"


async def handle(reader, writer, args):
    upstream = None
    try:
        while True:
            try:
                head, request_line, headers = await read_head(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            method = request_line.split()[0]
            path = request_line.split()[1]
            body, size = await read_body(reader, headers)
            if path.startswith("/_stats") or path.startswith("/_reset"):
                await answer_local(writer, request_line)
                continue
            STATS["requests"] += 1
            STATS["by_method"][method] = STATS["by_method"].get(method, 0) + 1
            STATS["upload_bytes"] += size
            if method in ("PUT", "PATCH") and "/blobs/uploads/" in path:
                STATS["blob_upload_bytes"] += size
                count_blob(method, path, size)
            await asyncio.sleep(args.delay_ms / 1000.0)
            if upstream is None:
                upstream = await asyncio.open_connection(args.up_host, args.up_port)
            up_reader, up_writer = upstream
            up_writer.write(head + body)
            await up_writer.drain()
            keep = await relay_response(up_reader, writer, method)
            if not keep or headers.get("connection", "").lower() == "close":
                return
    except (asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        if upstream is not None:
            upstream[1].close()
        writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--delay-ms", type=float, default=25.0)
    args = p.parse_args()
    host, port = args.listen.rsplit(":", 1)
    args.up_host, up_port = args.upstream.rsplit(":", 1)
    args.up_port = int(up_port)
    reset()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), host, int(port),
                                        limit=1 << 20, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
