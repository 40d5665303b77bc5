"""Publishes the seed article (with a generated lead image and its comment) on a running site.

Usage: seed.py BASE_URL TOKEN FIXTURE_JSON
"""
import json
import struct
import sys
import urllib.request
import zlib

base, token, fixture = sys.argv[1], sys.argv[2], sys.argv[3]


def png(w, h):
    raw = b"".join(b"\x00" + bytes(v for x in range(w) for v in (x * 255 // w, y * 255 // h, 120)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def call(path, body, content_type):
    headers = {"Authorization": "Bearer " + token, "Content-Type": content_type}
    return json.load(urllib.request.urlopen(urllib.request.Request(base + path, data=body, headers=headers)))


seed = json.load(open(fixture))
boundary = "dateline-bench"
form = (
    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lead.png"\r\n'
    "Content-Type: image/png\r\n\r\n"
).encode() + png(800, 533) + f"\r\n--{boundary}--\r\n".encode()
media = call("/api/v1/media", form, "multipart/form-data; boundary=" + boundary)
article = call(
    "/api/v1/articles",
    json.dumps({
        "title": seed["title"],
        "body_markdown": "\n\n".join(seed["body_paragraphs"]),
        "status": "published",
        "published_at": seed["published_at"],
        "lead_image": {"media_id": media["id"], "caption": seed["lead_image"]["caption"], "alt": seed["lead_image"]["alt"]},
        "sources": [{k: s[k] for k in ("title", "author", "outlet")} for s in seed["sources"]],
        "topics": seed["topics"],
    }).encode(),
    "application/json",
)
c = seed["comments"][0]
call(
    f"/api/v1/articles/{article['id']}/comments",
    json.dumps({"author_name": c["author_name"], "body": c["body"], "created_at": c["posted_at"], "status": "approved"}).encode(),
    "application/json",
)
print(article["url"], article["id"])
