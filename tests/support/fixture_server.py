#!/usr/bin/python3
"""fixture_server.py — a loopback HTTP server for feedd's tests (stdlib only, threaded).

Usage:
    /usr/bin/python3 tests/support/fixture_server.py ROOT [--log FILE] [--exit-on-eof]

  ROOT           directory whose files are served (GET/HEAD /name → ROOT/name)
  --log FILE     append one line per request: "METHOD PATH STATUS[ gzip]\n"
                 (PATH includes the query; STATUS is "-" when no response is sent,
                 " gzip" is appended when the body was sent gzip-encoded)
  --exit-on-eof  exit when stdin reaches EOF: give the server a pipe as stdin and it
                 dies with its parent, even if the parent crashes

The server binds 127.0.0.1 on a free port and prints that port alone as the FIRST line
of stdout (flushed), then serves until killed (SIGTERM/SIGKILL). HTTP/1.1 keep-alive.

Files under ROOT:
  - ETag (quoted SHA-1 of the content) and Last-Modified (file mtime) on every 200;
    304 when If-None-Match matches (it wins) or else If-Modified-Since >= mtime.
  - Content-Type from the extension (.xml application/xml, .rss application/rss+xml,
    .atom application/atom+xml, .json, .html, .txt ...).
  - Query options (combinable):
      ?gzip=1               gzip the body on the fly when Accept-Encoding allows gzip
      ?content_type=VALUE   override Content-Type (URL-encode it: text/xml%3B%20charset%3Dgbk)
      ?max_age=N            add "Cache-Control: max-age=N"
      ?novalidators=1       send neither ETag nor Last-Modified (and never 304)
      ?delay=MS             wait MS milliseconds before answering (a slow upstream)

Special routes (fault injection):
  /status/CODE[?retry_after=V]  respond CODE with a short text body; V (URL-encoded) becomes
                                a Retry-After header: seconds or an HTTP-date
  /redirect/N[?to=URL]          302 to /redirect/N-1 ... /redirect/0, which 302s to URL
                                when given, else serves a small built-in RSS 2.0 feed
  /redirect-loop                302 to itself, forever
  /slow                         accepts, reads the request, never answers
  /drip[?bytes=N]               200 with Content-Length N (default 30), one byte per second
  /delay?ms=N                   waits N ms, then a short text/plain body "delayed N ms"
  /big?bytes=N[&nolength=1]     N bytes of 'x'; with nolength=1 no Content-Length (the body
                                ends when the connection closes)
  /gzip-bomb?mb=N               a small gzip body (Content-Encoding: gzip, always) that
                                inflates to N MiB of zeros
  /reset                        reads the request, then closes with a TCP RST
  /echo-headers                 200 text/plain: the request headers, one "Name: value" a line

Gates, for tests that must know what a client does at once rather than guess it from the clock:
  /gate?group=G[&n=K][&ms=M][&tag=T]
                                waits in gate G until K requests of G have been in it at once,
                                until /gate-open opens G, or M ms (default 10000) have passed,
                                then 200 "gate T"
  /gate-open?group=G            opens G: every request of G in it now or later passes at once
  /gate-peak?group=G            200 text/plain: the most requests of G that were in it at once
"""

import argparse
import email.utils
import gzip
import hashlib
import mimetypes
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUILTIN_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Fixture redirect target</title>
<link>http://127.0.0.1/</link><description>served by fixture_server.py</description>
<item><title>Redirected item</title><link>http://127.0.0.1/item</link>
<guid>fixture-redirect-item</guid></item></channel></rss>
"""

CONTENT_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}

_log_lock = threading.Lock()
_bomb_cache = {}
_bomb_lock = threading.Lock()
_gates = {}  # group -> {"inside": requests in the gate now, "peak": most at once, "open": bool}
_gates_changed = threading.Condition()


def gzip_bomb(mb):
    """A gzip member that inflates to `mb` MiB of zeros, built in about a second per GiB.

    Deflating a GiB takes several seconds of CPU, so one MiB is deflated once and its blocks are
    repeated: a full flush leaves no history behind, hence every MiB deflates to the same bytes.
    """
    with _bomb_lock:
        if mb not in _bomb_cache:
            chunk = bytes(1 << 20)
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: we write the container
            block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
            crc = 0
            for _ in range(mb):
                crc = zlib.crc32(chunk, crc)
            header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # RFC 1952, no name/mtime
            trailer = struct.pack("<II", crc, (mb << 20) & 0xFFFFFFFF)  # CRC-32, ISIZE mod 2^32
            _bomb_cache[mb] = header + block * mb + comp.flush(zlib.Z_FINISH) + trailer
        return _bomb_cache[mb]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "feedd-fixture/1"

    # --- logging -----------------------------------------------------------------------
    def log_message(self, format, *args):  # silence the default stderr log
        pass

    def log_line(self, status, gzipped=False):
        if not self.server.log_path:
            return
        line = f"{self.command} {self.path} {status}{' gzip' if gzipped else ''}\n"
        with _log_lock, open(self.server.log_path, "a", encoding="utf-8") as f:
            f.write(line)

    # --- helpers -----------------------------------------------------------------------
    def reply(self, code, body=b"", headers=(), content_type="text/plain; charset=utf-8",
              gzipped=False, length=True):
        self.log_line(code, gzipped)
        self.send_response(code)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def accepts_gzip(self):
        for part in self.headers.get("Accept-Encoding", "").split(","):
            token = part.strip().split(";")[0].strip().lower()
            if token in ("gzip", "x-gzip", "*"):
                return "q=0" not in part.replace(" ", "")
        return False

    # --- routes ------------------------------------------------------------------------
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = urllib.parse.unquote(url.path)
        parts = [p for p in path.split("/") if p]

        if len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
            code = int(parts[1])
            headers = [("Retry-After", q["retry_after"])] if "retry_after" in q else []
            return self.reply(code, f"status {code}\n".encode(), headers)
        if len(parts) == 2 and parts[0] == "redirect" and parts[1].isdigit():
            n = int(parts[1])
            if n > 0:
                keep = f"?{url.query}" if url.query else ""  # carries ?to= down the chain
                return self.reply(302, b"", [("Location", f"/redirect/{n - 1}{keep}")])
            if "to" in q:
                return self.reply(302, b"", [("Location", q["to"])])
            return self.reply(200, BUILTIN_FEED, content_type="application/rss+xml")
        if path == "/redirect-loop":
            return self.reply(302, b"", [("Location", "/redirect-loop")])
        if path == "/slow":
            self.log_line("-")
            self.close_connection = True
            time.sleep(3600)
            return
        if path == "/drip":
            n = int(q.get("bytes", "30"))
            self.log_line(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.flush()
            for _ in range(n):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
            return
        if path == "/delay":
            ms = int(q.get("ms", "100"))
            time.sleep(ms / 1000)
            return self.reply(200, f"delayed {ms} ms\n".encode())
        if path == "/big":
            n = int(q.get("bytes", "0"))
            nolength = q.get("nolength") == "1"
            self.log_line(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if nolength:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = b"x" * 65536
            left = n
            while left > 0:
                self.wfile.write(chunk[: min(left, len(chunk))])
                left -= min(left, len(chunk))
            return
        if path == "/gzip-bomb":
            body = gzip_bomb(int(q.get("mb", "100")))
            return self.reply(200, body, [("Content-Encoding", "gzip")],
                              content_type="application/xml", gzipped=True)
        if path == "/reset":
            self.log_line("-")
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if path == "/gate":
            return self.gate(q)
        if path in ("/gate-open", "/gate-peak"):
            with _gates_changed:
                g = _gates.setdefault(q.get("group", ""), {"inside": 0, "peak": 0, "open": False})
                if path == "/gate-open":
                    g["open"] = True
                    _gates_changed.notify_all()
                body = b"open\n" if path == "/gate-open" else b"%d\n" % g["peak"]
            return self.reply(200, body)
        if path == "/echo-headers":
            text = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
            return self.reply(200, text.encode())
        return self.serve_file(path, q)

    def gate(self, q):
        n, ms = int(q.get("n", "0")), int(q.get("ms", "10000"))
        deadline = time.monotonic() + ms / 1000
        with _gates_changed:
            g = _gates.setdefault(q.get("group", ""), {"inside": 0, "peak": 0, "open": False})
            g["inside"] += 1
            g["peak"] = max(g["peak"], g["inside"])
            _gates_changed.notify_all()
            # Once K were in at once, the gate stays passable: those who met leave one by one.
            while not g["open"] and not (n and g["peak"] >= n):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                _gates_changed.wait(left)
            g["inside"] -= 1
        return self.reply(200, ("gate %s\n" % q.get("tag", "")).encode())

    def serve_file(self, path, q):
        if "delay" in q:
            time.sleep(int(q["delay"]) / 1000)
        root = self.server.root
        full = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if not (full == root or full.startswith(root + os.sep)) or not os.path.isfile(full):
            return self.reply(404, b"not found\n")
        with open(full, "rb") as f:
            data = f.read()
        st = os.stat(full)
        headers = []
        validators = q.get("novalidators") != "1"
        etag = '"' + hashlib.sha1(data).hexdigest() + '"'
        mtime = int(st.st_mtime)
        if validators:
            headers += [("ETag", etag), ("Last-Modified", email.utils.formatdate(mtime, usegmt=True))]
        if "max_age" in q:
            headers.append(("Cache-Control", f"max-age={q['max_age']}"))
        if validators and self.not_modified(etag, mtime):
            self.log_line(304)
            self.send_response(304)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            return
        ext = os.path.splitext(full)[1].lower()
        ctype = q.get("content_type") or CONTENT_TYPES.get(ext) or (
            mimetypes.guess_type(full)[0] or "application/octet-stream")
        gzipped = q.get("gzip") == "1" and self.accepts_gzip()
        if gzipped:
            data = gzip.compress(data)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Vary", "Accept-Encoding"))
        return self.reply(200, data, headers, content_type=ctype, gzipped=gzipped)

    def not_modified(self, etag, mtime):
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since
            tags = [t.strip() for t in inm.split(",")]
            return "*" in tags or etag in tags or ("W/" + etag) in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return mtime <= since
        return False


class Server(ThreadingHTTPServer):
    daemon_threads = True  # /slow and /drip threads must not keep the process alive
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that hang up early (timeouts, size caps) are the point of many tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description="feedd test fixture HTTP server")
    ap.add_argument("root", help="directory to serve")
    ap.add_argument("--log", help="append one line per request to this file")
    ap.add_argument("--exit-on-eof", action="store_true", help="exit when stdin reaches EOF")
    args = ap.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    server.root = os.path.realpath(args.root)
    server.log_path = args.log
    print(server.server_address[1], flush=True)

    if args.exit_on_eof:
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
