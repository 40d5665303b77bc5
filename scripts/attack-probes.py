#!/usr/bin/env python3
"""Probes of scripts/attack that need only a running server: slow and idle connections,
connection floods, decompression bombs, made-up methods in the metrics, and hostile inputs.
Prints one `ATTACK` line per probe: what was tried and what held. Standard library only.

    attack-probes.py BASE_URL TOKEN SERVER_PID
"""

import asyncio
import json
import os
import socket
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib

BASE, TOKEN, PID = sys.argv[1], sys.argv[2], int(sys.argv[3])
HOST, PORT = BASE.removeprefix("http://").split(":")
PORT = int(PORT)
held = True


def report(name, tried, result, ok):
    global held
    held &= ok
    print(f"ATTACK {name} | {tried} | {result} | {'held' if ok else 'FAILED'}", flush=True)


def request(method, path, body=None, headers=None, timeout=30):
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def rss_peak_kb():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def png(width, height, depth=8, color=2, rows=None):
    """A PNG claiming width × height; with `rows`, only that many rows of real data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    bpp = {2: 3, 6: 4}[color] * depth // 8
    c = zlib.compressobj(9)
    row = b"\x00" + b"\x07" * (width * bpp)
    data = b"".join(c.compress(row) for _ in range(height if rows is None else rows)) + c.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def multipart(data, name="file"):
    boundary = "dateline-attack-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"x.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {TOKEN}"}


async def slow_and_idle(n_slow=500, n_idle=2000, source="127.0.0.1"):
    """Connections that trickle a request head, or send nothing: all must be closed, while a
    reader is served."""
    closed = 0
    refused = 0

    async def one(slow):
        nonlocal closed, refused
        try:
            reader, writer = await asyncio.open_connection(HOST, PORT, local_addr=(source, 0))
        except OSError:
            refused += 1
            return
        try:
            if slow:
                for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 400:
                    writer.write(bytes([b]))
                    await writer.drain()
                    await asyncio.sleep(0.5)
                    if reader.at_eof():
                        break
            data = await asyncio.wait_for(reader.read(100), timeout=120)
            if data.startswith(b"HTTP/1.1 503"):
                refused += 1
            closed += 1
        except (ConnectionError, asyncio.TimeoutError, OSError):
            closed += 1
        finally:
            writer.close()

    started = time.monotonic()
    tasks = [asyncio.create_task(one(i < n_slow)) for i in range(n_slow + n_idle)]
    await asyncio.sleep(2)

    def reader():
        # A reader elsewhere: another address, not held back by this one's cap.
        import http.client
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30, source_address=("127.0.0.2", 0))
        conn.request("GET", "/")
        return conn.getresponse().status

    status = await asyncio.to_thread(reader)
    await asyncio.gather(*tasks)
    return closed, refused, status, time.monotonic() - started


def main():
    # Thousands of sockets: this client needs more files than a default shell allows.
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # Slow and idle connections from one address: closed after the header timeout, the rest
    # over the per-address cap answered 503, readers served meanwhile.
    closed, refused, status, took = asyncio.run(slow_and_idle())
    report("connections", "500 slow-header + 2,000 idle connections from one address",
           f"{closed} closed by the server within {took:.0f} s ({refused} of them answered 503 at once); a reader at another address got {status}",
           closed == 2500 and status == 200)

    # Decompression: a 13,000 x 13,000 PNG header, then eight 30-megapixel 16-bit images at once.
    body, headers = multipart(png(13000, 13000, rows=1))
    status, answer = request("POST", "/api/v1/media", body, headers)
    report("decompression bomb", f"a {len(body) // 1024} KB PNG claiming 13,000 x 13,000 pixels",
           f"{status}: {json.loads(answer)['error']['message']}", status == 422)
    before = rss_peak_kb()
    big = png(5477, 5477, depth=16, color=6)
    body, headers = multipart(big)

    async def eight():
        return await asyncio.gather(*[asyncio.to_thread(request, "POST", "/api/v1/media", body, headers, 300) for _ in range(8)])

    statuses = [s for s, _ in asyncio.run(eight())]
    after = rss_peak_kb()
    report("decode memory", f"eight {len(big) // 1024} KB PNGs of 5,477 x 5,477 16-bit RGBA (30 MP) at once",
           f"statuses {sorted(set(statuses))}; server peak RSS {before // 1024} MB before, {after // 1024} MB after",
           all(s == 201 for s in statuses) and after < 1024 * 1024)

    # Made-up methods: the metrics keep one series for them.
    def series():
        _, text = request("GET", "/metrics")
        return sum(1 for line in text.decode().splitlines() if line.startswith("http_requests_total{"))

    first = series()
    for i in range(2000):
        s = socket.create_connection((HOST, PORT))
        s.sendall(f"XMADE{i} /no-such-{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        s.recv(100)
        s.close()
    grew = series() - first
    report("metrics", "2,000 requests with made-up methods and paths", f"{grew} new time series", grew <= 3)

    # Hostile inputs: 4xx, never 5xx.
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    probes = [
        ("GET", "/topics/a%00b/", None, {}),
        ("GET", "/authors/a%00b/", None, {}),
        ("GET", "/2009/07/31/a%00b/", None, {}),
        ("GET", "/api/v1/articles?author=%00", None, {}),
        ("GET", "/api/v1/articles?page=4611686018427387905", None, {}),
        ("GET", "/api/v1/articles?topic=", None, {}),
        ("GET", "/api/v1/articles?per_page=-1", None, {}),
        ("POST", "/api/v1/articles", json.dumps({"title": "t", "body_markdown": "a\u0000b", "status": "draft"}).encode(), auth),
        ("POST", "/api/v1/articles", b'{"title": "t", "body_markdown": "\\ud800", "status": "draft"}', auth),
        ("POST", "/api/v1/articles", b"[" * 100000, auth),
        ("POST", "/api/v1/articles", json.dumps({"title": "x" * 301, "body_markdown": "b", "status": "draft"}).encode(), auth),
        ("POST", "/api/v1/articles/1/comments", b"author_name=%FF&body=x", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/articles/1/comments", b"author_name=%FF%FE&body=x", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/articles/1/comments", b"author_name=a&body=" + b"x" * 300000, {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/articles/1/comments", b"author_name=a&body=b", {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}),
        ("GET", "/api/v1/articles/99999999999999999999", None, {}),
        ("GET", "/api/v1/activity?actor=user:99999999999999999999", None, {"Authorization": f"Bearer {TOKEN}"}),
        ("PATCH", "/api/v1/articles/1", json.dumps({"lead_image": {"media_id": 1e300, "caption": "c", "alt": "a"}}).encode(), auth),
    ]
    results = []
    for method, path, body, headers in probes:
        status, _ = request(method, path, body, headers)
        results.append(status)
    report("hostile inputs", f"{len(probes)} requests (NUL, overflow, lone surrogate, deep nesting, bad UTF-8, oversize, cross-site)",
           "statuses " + " ".join(str(s) for s in results), all(400 <= s < 500 for s in results))
    sys.exit(0 if held else 1)


main()
