"""The benchmark's helpers, called by bench/run (standard library only).

    bench.py free-port
    bench.py start URL LOG PIDFILE -- COMMAND...   spawn the server, time it to its first 200s
    bench.py prepare URL TOKEN FACTS SECONDS CONNECTIONS
    bench.py wrk RESULTS BACKEND ROW KIND [--rss-pid PID] [--env K=V]... -- WRK_ARGS...
    bench.py cold URL TOKEN FACTS RESULTS BACKEND SAMPLES
    bench.py record RESULTS BACKEND KEY VALUE       one figure about a backend (JSON value)
    bench.py report RESULTS OUT_DIR                 write latest.json and latest.md, print the table

RESULTS is a file of JSON lines, one per row or figure, that `report` turns into the tables.
"""

import datetime
import http.client
import json
import math
import os
import platform
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

SEED = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "seed-article", "article.json")
# The busiest generated articles have 400 comments; one is brought to this many.
BIG_THREAD = 500
# The seed article as the issue measured it: its one comment and 49 more.
SEED_COMMENTS = 50
# Each article takes 30 reader comments in a burst (ARTICLE_BURST, per-article rate left as it
# is); the comment rows rotate through pools big enough for 7,500 comments a second (with
# 100 articles a second of the row, a faster intake met the per-article limit: 429s).
POOL_PER_SECOND = 250


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One kept-alive connection to the server under test."""

    def __init__(self, base, token=None, timeout=60):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.token, self.timeout = u.hostname, u.port, token, timeout
        self.conn = None

    def call(self, method, path, body=None, headers=None, content_type="application/json"):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, r.headers, data
            except (http.client.HTTPException, ConnectionError):
                # The server closed a kept-alive connection; a fresh one is tried once.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def json(self, method, path, body=None, expect=(200, 201), **kw):
        status, headers, data = self.call(method, path, body, **kw)
        if status not in expect:
            sys.exit(f"bench: {method} {path} answered {status}: {data[:300]!r}")
        return headers, json.loads(data) if data else None


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def start(url, log, pidfile, command):
    """Spawns the server and measures the time from spawn to the first 200 on /healthz, then on
    the home page; prints them with the resident memory once it has settled, as JSON."""
    u = urllib.parse.urlsplit(url)
    spawned = time.perf_counter()
    # A session of its own: an interrupt reaches bench/run's trap, which stops the server.
    proc = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    with open(pidfile, "w") as f:
        f.write(str(proc.pid))

    def first_200(path):
        while time.perf_counter() - spawned < 60:
            if proc.poll() is not None:
                sys.exit(f"bench: the server exited with {proc.returncode}; see {log.name}")
            try:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                conn.close()
                if r.status == 200:
                    return (time.perf_counter() - spawned) * 1000
            except OSError:
                pass
            time.sleep(0.002)
        sys.exit(f"bench: no 200 on {path} within a minute")

    healthz = first_200("/healthz")
    home = first_200("/")
    time.sleep(1)
    print(json.dumps({"healthz_ms": healthz, "home_ms": home, "rss_rest_kib": rss_kib(proc.pid)}))


def png(w, h):
    raw = b"".join(b"\x00" + bytes(v for x in range(w) for v in (x * 255 // w, y * 255 // h, 120)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def history(client, article_id, count, start, names=("Sam", "Noor", "Julia", "Omar")):
    """Approved comments dated between `start` and now, as staff bring in history (no intake)."""
    t = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
    step = (datetime.datetime.now(datetime.timezone.utc) - t) / (count + 1)
    for i in range(count):
        client.json("POST", f"/api/v1/articles/{article_id}/comments", {
            "author_name": names[i % len(names)],
            "body": f"Comment {i + 1} for the benchmark: which agreement is this based on?",
            "created_at": (t + step * (i + 1)).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "status": "approved",
        })


def prepare(base, token, facts_path, seconds, connections):
    """Readies a generated site for the rows: publishes the seed article with 50 comments,
    brings the busiest article to 500, raises the per-address comment rate, and writes the
    pools the comment and edit rows use."""
    staff = Client(base, token)
    work = os.path.dirname(facts_path)

    # The per-address rate limit only, to its highest; the per-article one stays as it is.
    staff.json("PATCH", "/api/v1/settings", {"comment_rate_address": 100000})

    seed = json.load(open(SEED))
    boundary = "dateline-bench"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lead.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + png(800, 533) + f"\r\n--{boundary}--\r\n".encode()
    _, media = staff.json("POST", "/api/v1/media", form, content_type="multipart/form-data; boundary=" + boundary)
    _, article = staff.json("POST", "/api/v1/articles", {
        "title": seed["title"],
        "body_markdown": "\n\n".join(seed["body_paragraphs"]),
        "status": "published",
        "published_at": seed["published_at"],
        "lead_image": {"media_id": media["id"], "caption": seed["lead_image"]["caption"], "alt": seed["lead_image"]["alt"]},
        "sources": [{k: s[k] for k in ("title", "author", "outlet")} for s in seed["sources"]],
        "topics": seed["topics"],
    })
    c = seed["comments"][0]
    staff.json("POST", f"/api/v1/articles/{article['id']}/comments",
               {"author_name": c["author_name"], "body": c["body"], "created_at": c["posted_at"], "status": "approved"})
    history(staff, article["id"], SEED_COMMENTS - 1, c["posted_at"])

    # Generated articles, newest first (the generator gives the newest hundredth the most
    # comments), as many as the pools below need.
    articles, page, total = [], 1, None
    while page and (total is None or len(articles) < total // 100 + 2 + 2 * connections + 4 * POOL_PER_SECOND * seconds):
        _, listed = staff.json("GET", f"/api/v1/articles?status=published&per_page=100&page={page}")
        articles += [a for a in listed["items"] if a["id"] != article["id"]]
        page, total = listed["next_page"], listed["total"]
    if len(articles) < 20:
        sys.exit("bench: the generated site is too small (at least 20 articles)")
    counts = {}
    for a in articles[:3]:
        status, headers, _ = staff.call("GET", f"/api/v1/articles/{a['id']}")
        counts[a["id"]] = int(re.search(r"-c(\d+)", headers["ETag"]).group(1))
    busiest = max(counts, key=counts.get)
    big = next(a for a in articles if a["id"] == busiest)
    history(staff, busiest, max(0, BIG_THREAD - counts[busiest]), big["published_at"])
    _, headers, _ = staff.call("GET", f"/api/v1/articles/{busiest}")
    big_comments = int(re.search(r"-c(\d+)", headers["ETag"]).group(1))

    # Pools from the older articles (the newest hundredth is the busy one), none shared.
    rest = articles[max(1, total // 100):]
    cold, rest = rest[0], rest[1:]
    edit_size = 2 * connections
    edit, rest = rest[:edit_size], rest[edit_size:]
    # One pool for each comment row: as fast as answers come, and at a set rate, by form and by API.
    size = min(len(rest) // 4, POOL_PER_SECOND * seconds)
    pools = {name: rest[i * size:(i + 1) * size] for i, name in enumerate(("form", "api", "form-paced", "api-paced"))}

    with open(os.path.join(work, "pool-edit.txt"), "w") as f:
        for a in edit:
            _, headers, _ = staff.call("GET", f"/api/v1/articles/{a['id']}")
            f.write(f"{a['id']} {headers['ETag']}\n")
    for name in ("api", "api-paced"):
        with open(os.path.join(work, f"pool-{name}.txt"), "w") as f:
            for a in pools[name]:
                f.write(f"{a['id']}\n")
    # The form's token says when it was shown; fetched now, it is older than
    # comment_form_min_seconds by the time the form row runs (rows before it take longer).
    reader = Client(base)
    for name in ("form", "form-paced"):
        with open(os.path.join(work, f"pool-{name}.txt"), "w") as f:
            for a in pools[name]:
                status, _, html = reader.call("GET", urllib.parse.urlsplit(a["url"]).path)
                m = re.search(rb'name="form_token" value="([^"]+)"', html)
                if status != 200 or not m:
                    sys.exit(f"bench: no comment form on {a['url']} ({status})")
                f.write(f"{a['id']} {urllib.parse.quote(m.group(1).decode(), safe='')}\n")

    topic = seed["topics"][0].lower()
    facts = {
        "seed": {"id": article["id"], "path": urllib.parse.urlsplit(article["url"]).path},
        "big": {"id": busiest, "path": urllib.parse.urlsplit(big["url"]).path, "comments": big_comments},
        "cold": {"id": cold["id"], "path": urllib.parse.urlsplit(cold["url"]).path},
        "topic": f"/topics/{topic}/",
        "pools": {**{name: len(pool) for name, pool in pools.items()}, "edit": len(edit)},
    }
    with open(facts_path, "w") as f:
        json.dump(facts, f, indent=1)


def append(results, row):
    with open(results, "a") as f:
        f.write(json.dumps(row) + "\n")


ALONE_TIMEOUT_S = 30


def alone(url, limit_s=3.0, most=20, fresh=False):
    """The latencies of GETs of `url` sent one at a time on one connection, for up to `most`
    requests or `limit_s` seconds: what one reader waits on an idle server. Returns the median
    and the 95th percentile, with the status of the first answer that was an error (else None);
    the latencies are None if one took longer than ALONE_TIMEOUT_S. `fresh` adds a parameter
    the site ignores and no request repeats (as bench/wrk/search.lua does), so that none is
    answered from the page cache."""
    u = urllib.parse.urlsplit(url)
    client = Client(f"{u.scheme}://{u.netloc}", timeout=ALONE_TIMEOUT_S)
    timings, began = [], time.perf_counter()
    while len(timings) < most and time.perf_counter() - began < limit_s:
        path = path_of(url) + (f"&n=alone-{len(timings)}" if fresh else "")
        t0 = time.perf_counter()
        try:
            status, _, _ = client.call("GET", path)
        except TimeoutError:
            return None, None, None
        timings.append((time.perf_counter() - t0) * 1000)
        if status >= 400:
            return timings[-1], timings[-1], status
    return percentile(timings, 50), percentile(timings, 95), None


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def settle(most_s=60.0):
    """Waits until the server under test (BENCH_SERVER_PID) is idle, using under a tenth of a
    core for half a second, so that work left over from one row (requests wrk gave up on are
    still answered) is not measured in the next; returns the seconds waited."""
    pid = os.environ.get("BENCH_SERVER_PID")
    began = time.perf_counter()
    if not pid:
        return 0.0
    before = cpu_seconds(pid)
    while before is not None and time.perf_counter() - began < most_s:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now is None or now - before < 0.05:
            break
        before = now
    else:
        if before is not None:
            print(f"  (the server was still busy after {most_s:.0f} s; the next row starts anyway)", flush=True)
    return time.perf_counter() - began


def run_wrk(results, backend, row, kind, rss_pid, env, args):
    """Runs wrk with the given arguments, samples the server's memory meanwhile if asked, and
    appends the figures that bench/wrk/report.lua printed. A page row also gets the latency of
    one request at a time, taken first."""
    settled_s = settle()
    if kind == "page":
        alone_ms, alone_p95_ms, alone_status = alone(args[-1])
    elif kind == "search":
        alone_ms, alone_p95_ms, alone_status = alone(args[-1], limit_s=10.0, most=100, fresh=True)
    else:
        alone_ms, alone_p95_ms, alone_status = False, False, None
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(rss_pid) or 0)
            stop.wait(0.1)

    sampler = threading.Thread(target=sample)
    if rss_pid:
        sampler.start()
    out = subprocess.run(["wrk", *args], capture_output=True, text=True, env={**os.environ, **env})
    stop.set()
    if rss_pid:
        sampler.join()
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"bench: wrk failed for {row}:\n{out.stdout}\n{out.stderr}")
    w = json.loads(line[len("BENCH "):])
    errors = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["status_errors"] + w["timeouts"]
    figures = {
        "backend": backend, "row": row, "kind": kind, "path": path_of(args[-1]),
        "requests": w["requests"], "rps": w["requests"] / (w["duration_us"] / 1e6),
        "p50_ms": w["p50_us"] / 1000, "p99_ms": w["p99_us"] / 1000, "max_ms": w["max_us"] / 1000,
        "errors": errors,
        "error_detail": {**{k: w[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts") if w[k]},
                         **({"statuses": w["statuses"]} if w.get("statuses") else {})},
        "bytes_per_response": w["bytes"] // max(1, w["requests"]),
        "settled_s": round(settled_s, 1),
    }
    if alone_ms is not False:
        figures["alone_ms"] = alone_ms
    if kind == "search":
        figures["alone_p95_ms"] = alone_p95_ms
    if alone_status:
        figures["alone_status"] = alone_status
    if rss_pid:
        figures["rss_load_kib"] = peak[0]
    append(results, figures)
    bad = f", {errors} errors {figures['error_detail']}" if errors else ""
    if not w["requests"]:
        # wrk counts a request that never ended neither as a response nor as an error.
        bad += ", no response within the run"
    one = "" if alone_ms is False else f"  alone {alone_ms:7.2f} ms" if alone_ms else f"  alone over {ALONE_TIMEOUT_S} s"
    if alone_p95_ms:
        one += f" (p95 {alone_p95_ms:.2f} ms)"
    if alone_status:
        one += f" (HTTP {alone_status})"
    print(f"  {row:<34} {figures['rps']:>9,.0f} req/s  p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms{one}{bad}", flush=True)


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def cold(base, token, facts_path, results, backend, samples):
    """First requests after a write: alternately an edit of the article through the API and a
    comment approval, each followed by one GET of its page, timed on its own (one connection,
    one request at a time)."""
    facts = json.load(open(facts_path))
    settle()
    staff, reader = Client(base, token), Client(base)
    aid, path = facts["cold"]["id"], facts["cold"]["path"]
    _, headers, _ = staff.call("GET", f"/api/v1/articles/{aid}")
    tag = headers["ETag"]
    # One GET first, so that the first sample is not also the connection's first request.
    reader.call("GET", path)
    timings = {"edit": [], "approval": []}
    errors = {"edit": 0, "approval": 0}
    for i in range(samples):
        kind = "edit" if i % 2 == 0 else "approval"
        if kind == "edit":
            headers, _ = staff.json("PATCH", f"/api/v1/articles/{aid}",
                                    {"dek": f"Officials confirmed the figures (revision {i})."},
                                    headers={"If-Match": tag})
            tag = headers["ETag"]
        else:
            _, comment = staff.json("POST", f"/api/v1/articles/{aid}/comments",
                                    {"author_name": "Maryam", "body": f"Held, then approved ({i}).", "status": "pending",
                                     "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat()})
            staff.json("POST", f"/api/v1/comments/{comment['id']}/approve", {})
            _, headers, _ = staff.call("GET", f"/api/v1/articles/{aid}")
            tag = headers["ETag"]
        t0 = time.perf_counter()
        status, _, _ = reader.call("GET", path)
        timings[kind].append((time.perf_counter() - t0) * 1000)
        if status != 200:
            errors[kind] += 1
    for kind, label in (("edit", "article, cold (after an edit)"), ("approval", "article, cold (after an approval)")):
        t = timings[kind]
        append(results, {"backend": backend, "row": label, "kind": "cold", "path": path, "requests": len(t),
                         "p50_ms": percentile(t, 50), "p99_ms": percentile(t, 99), "max_ms": max(t),
                         "errors": errors[kind]})
        print(f"  {label:<34} {len(t):>9} GETs   p50 {percentile(t, 50):7.2f} ms  p99 {percentile(t, 99):7.2f} ms", flush=True)


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        ram = int(f.readline().split()[1]) * 1024
    return {"cores": os.cpu_count(), "cpu": cpu, "ram_bytes": ram, "kernel": platform.release()}


def git(*args):
    out = subprocess.run(["git", *args], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else ""


def ms(v):
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"


def ratio(x):
    """Two significant figures, without an exponent: 0.00031×."""
    if x >= 0.1 or x <= 0:
        return f"{x:.2f}×"
    return f"{x:.{1 - math.floor(math.log10(x))}f}×"


def rate(x):
    return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"


def table(rows, refs):
    """The Markdown table of one backend; page rows (GETs under wrk) carry their share of each
    reference's requests per second."""
    lines = [
        "| row | req/s | p50 | p99 | max | errors | ÷ axum | ÷ nginx | alone |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows + [dict(refs[k], row=f"*reference: {label}*") for k, label in
                     (("nginx", "nginx, static file"), ("axum", "axum, from memory")) if k in refs]:
        rps = rate(r["rps"]) if "rps" in r else f"({r['requests']} GETs)"
        ratios = ["", ""]
        if r["kind"] == "page" and r["requests"]:
            ratios = [ratio(r["rps"] / refs[k]["rps"]) if k in refs else "" for k in ("axum", "nginx")]
        if r["requests"]:
            figures = f"{ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {ms(r['max_ms'])}"
        else:
            figures = "none ended | | "
        one = "" if "alone_ms" not in r else ms(r["alone_ms"]) if r["alone_ms"] else f"over {ALONE_TIMEOUT_S} s"
        if r.get("alone_p95_ms"):
            one += f", p95 {ms(r['alone_p95_ms'])}"
        if "alone_status" in r:
            one += f" (HTTP {r['alone_status']})"
        lines.append(f"| {r['row']} | {rps} | {figures} | {r['errors']:,} | {ratios[0]} | {ratios[1]} | {one} |")
    return "\n".join(lines)


def report(results, out_dir):
    rows = [json.loads(l) for l in open(results)]
    settings = next(r["value"] for r in rows if r.get("key") == "settings")
    backends = {}
    for r in rows:
        if r.get("key") == "settings":
            continue
        b = backends.setdefault(r["backend"], {"rows": [], "references": {}, "figures": {}})
        if r.get("kind") == "reference":
            b["references"][r["row"]] = r
        elif "key" in r:
            b["figures"][r["key"]] = r["value"]
        else:
            b["rows"].append(r)
    now = datetime.datetime.now(datetime.timezone.utc)
    commit = git("rev-parse", "--short=12", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    doc = {
        "date": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "commit": commit + ("-dirty" if dirty else ""),
        "settings": settings,
        "backends": backends,
    }
    m, s = doc["machine"], doc["settings"]
    md = [
        f"Dateline benchmark, {now:%Y-%m-%d %H:%M} UTC, commit `{doc['commit']}`",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['ram_bytes'] / 2**30:.0f} GiB RAM, Linux {m['kernel']}. "
        f"Load: wrk {s['threads']} threads, {s['connections']} connections, {s['seconds']} s a row, over loopback. "
        f"Site: {s['articles']:,} articles and {s['comments']:,} comments made by `dateline generate --seed {s['seed']}`.",
    ]
    for name, b in backends.items():
        f = b["figures"]
        md += ["", f"### {name}", "", table(b["rows"], b["references"]), ""]
        load = next((r["rss_load_kib"] for r in b["rows"] if "rss_load_kib" in r), None)
        md.append(
            f"`dateline generate` took {f['generate_s']:.1f} s. "
            f"Start-up to the first 200: /healthz {f['startup']['healthz_ms']:.0f} ms, / {f['startup']['home_ms']:.0f} ms. "
            f"Server RSS: {f['startup']['rss_rest_kib'] / 1024:.0f} MB at rest, "
            f"{(load or 0) / 1024:.0f} MB at most under the warm article row. "
            f"Database: {f['db_bytes'] / 2**20:.0f} MB ({f['db_what']})."
        )
    md += ["", "Rows: see docs/BENCHMARK.md. The machine is shared; figures from one run are noisy."]
    os.makedirs(out_dir, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for name in ("latest", stamp):
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(doc, f, indent=1)
        with open(os.path.join(out_dir, name + ".md"), "w") as f:
            f.write("\n".join(md) + "\n")
    print("\n".join(md))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "free-port":
        print(free_port())
    elif cmd == "start":
        url, log, pidfile = args[:3]
        with open(log, "ab") as f:
            start(url, f, pidfile, args[args.index("--") + 1:])
    elif cmd == "prepare":
        prepare(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif cmd == "wrk":
        results, backend, row, kind = args[:4]
        rest = args[4:args.index("--")]
        rss_pid, env = None, {}
        while rest:
            flag, value, rest = rest[0], rest[1], rest[2:]
            if flag == "--rss-pid":
                rss_pid = int(value)
            elif flag == "--env":
                k, v = value.split("=", 1)
                env[k] = v
        run_wrk(results, backend, row, kind, rss_pid, env, args[args.index("--") + 1:])
    elif cmd == "cold":
        cold(args[0], args[1], args[2], args[3], args[4], int(args[5]))
    elif cmd == "thousands":
        print(f"{int(args[0]):,}")
    elif cmd == "record":
        append(args[0], {"backend": args[1], "key": args[2], "value": json.loads(args[3])})
    elif cmd == "report":
        report(args[0], args[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
