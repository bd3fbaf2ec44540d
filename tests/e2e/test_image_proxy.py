"""images: proxy end to end (issue 13): `feedd run` signs the posts' image URLs as
<base_url>img/<signature>/<url> and serves them itself from a loopback image server (the one of
test_images.py: a Referer rule, an SVG, HTML dressed as .jpg, a 404, an image over the cap),
through its disk cache; a tampered or unsigned path is refused before any upstream request."""
import base64
import http.client
import http.server
import os
import re
import signal
import socket
import subprocess
import threading
import time

import harness
from harness import FEEDD, FeeddTestCase
from test_images import GIF, JPEG, PNG, TREE, ImageServer, feed

DEADLINE = 15.0
IMG = re.compile(r'src="(http://127\.0\.0\.1:\d+/img/([0-9a-f]{64})/([A-Za-z0-9_-]+))"')


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")


class ImageProxyTest(FeeddTestCase):
    def setUp(self):
        super().setUp()
        self.images = ImageServer()
        self.images.feed = feed(self.images.port)
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.images.stop()
        super().tearDown()

    def start(self, **top):
        """Starts `feedd run` with images: proxy; returns once its first post is written."""
        for _ in range(5):
            self.port = free_port()
            top.setdefault("images", "proxy")
            self.write_config(TREE.replace("{port}", str(self.images.port)), image_max_mb="1",
                              listen="127.0.0.1:%d" % self.port,
                              base_url="http://127.0.0.1:%d/" % self.port, **top)
            self.stderr_path = os.path.join(self.dir, "stderr.log")
            with open(self.stderr_path, "w") as err:
                self.proc = subprocess.Popen([FEEDD, "run", "-c", "feeds.yaml"], cwd=self.dir,
                                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=err)
            deadline = time.monotonic() + DEADLINE
            while time.monotonic() < deadline and self.proc.poll() is None and not self.posts():
                time.sleep(0.05)
            if self.posts():
                return
            if self.proc.poll() is None:
                self.fail("no post within %.0f s" % DEADLINE)
            err = self.stderr()
            if "Address already in use" not in err:
                self.fail("feedd run exited %d: %s" % (self.proc.returncode, err))
        self.fail("no free port")

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def get(self, path, **headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def signed(self):
        """{original image URL: /img/… path} of the post, in document order."""
        post = self.read("posts/" + self.posts()[0])
        out = {}
        for full, _sig, enc in IMG.findall(post):
            out[b64decode(enc)] = full[full.index("/img/"):]
        return post, out

    def test_proxy_serves_signed_images_and_refuses_the_rest(self):
        self.start(image_private_hosts="true")
        post, signed = self.signed()
        ip = "http://127.0.0.1:%d" % self.images.port
        named = "http://localhost:%d" % self.images.port
        self.assertEqual(len(signed), 8, post)
        self.assertNotIn('src="' + ip, post)  # no image left pointing upstream
        # The front-matter image follows the first <img>.
        self.assertRegex(post, r"(?m)^(headimg|thumbnail): .*/img/[0-9a-f]{64}/")
        self.assertEqual(self.images.paths(), [])  # nothing fetched before a reader asks
        # The Atom content carries the same signed URLs (the feeds are written after the posts).
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and "/img/" not in self.read("feeds/all.xml"):
            time.sleep(0.05)
        atom = self.read("feeds/all.xml")
        for path in signed.values():
            self.assertIn("http://127.0.0.1:%d%s" % (self.port, path), atom)

        cases = [
            (ip + "/ok.jpg", 200, JPEG, "image/jpeg"),
            (named + "/referer.png", 200, PNG, "image/png"),  # the referer: rule's host
            (ip + "/referer.png", 502, None, None),           # no Referer: upstream 403
            (ip + "/evil.svg", 502, None, None),
            (ip + "/disguised.jpg", 502, None, None),
            (ip + "/missing.jpg", 502, None, None),
            (ip + "/big.jpg", 502, None, None),               # over image_max_mb
            (ip + "/flaky.gif", 502, None, None),             # 503 upstream, not cached...
            (ip + "/flaky.gif", 200, GIF, "image/gif"),       # ...so asked again
        ]
        for url, status, body, ctype in cases:
            code, headers, got = self.get(signed[url])
            self.assertEqual(code, status, (url, got))
            if status == 200:
                self.assertEqual(got, body, url)
                self.assertEqual(headers["content-type"], ctype, url)
                self.assertEqual(headers["x-content-type-options"], "nosniff", url)
                self.assertIn("max-age=", headers["cache-control"], url)
                self.assertIn("etag", headers, url)
        referers = [r for p, r in self.images.log if p == "/referer.png"]
        self.assertEqual(sorted(referers, key=str), sorted([None, harness_referer()], key=str))

        # A cache hit: served again (and 304 on its ETag) without a second upstream request.
        before = len(self.images.log)
        code, headers, got = self.get(signed[ip + "/ok.jpg"])
        self.assertEqual((code, got), (200, JPEG))
        code, _, got = self.get(signed[ip + "/ok.jpg"], **{"If-None-Match": headers["etag"]})
        self.assertEqual((code, got), (304, b""))
        self.assertEqual(len(self.images.log), before)
        self.assertEqual(sum(1 for p, _ in self.images.log if p == "/ok.jpg"), 1)
        cache = os.path.join(self.output, "image-cache")
        self.assertEqual(len(os.listdir(cache)), 3, os.listdir(cache))  # three images arrived

        # Tampered and unsigned paths never reach upstream.
        path = signed[ip + "/ok.jpg"]
        sig = path[5:69]
        flipped = ("1" if sig[0] == "0" else "0") + sig[1:]
        other = base64.urlsafe_b64encode((ip + "/flaky.gif?x").encode()).decode().rstrip("=")
        refusals = [
            ("/img/" + flipped + path[69:], 403),                # tampered signature
            (path[:70] + other, 403),                            # a URL it never signed
            ("/img/" + "0" * 64 + "/" + other, 403),
            ("/img/garbage", 404),
            ("/img/" + sig + "/!!", 404),
            ("/img/" + sig, 404),
        ]
        before = len(self.images.log)
        for p, status in refusals:
            code, _, got = self.get(p)
            self.assertEqual(code, status, (p, got))
        self.assertEqual(len(self.images.log), before)

    def test_loopback_refused_without_image_private_hosts(self):
        # The SSRF guard: the image server is on 127.0.0.1, so with image_private_hosts off the
        # proxy never connects to it, signed or not.
        self.start()
        check = self.feedd("check", "-c", "feeds.yaml", check=0).stdout
        self.assertRegex(check, r"(?m)^images: proxy → http://127\.0\.0\.1:%d/img/<signature>/<url>; "
                                r"cache: \S*output/image-cache, 256 MiB; caps: 1 MiB per image$"
                         % self.port)
        self.assertIn("\nreferer: localhost → https://weibo.example/\n", check)
        self.assertIn("\nimage_private_hosts: false (no image from loopback", check)
        _, signed = self.signed()
        code, _, got = self.get(signed["http://127.0.0.1:%d/ok.jpg" % self.images.port])
        self.assertEqual(code, 502, got)
        self.assertIn(b"refused: address 127.0.0.1 is loopback", got)
        self.assertEqual(self.images.paths(), [])


class BigImages:
    """The feed and three 400 KiB JPEGs (/a.jpg, /b.jpg, /c.jpg); `log` holds each path asked."""

    def __init__(self):
        self.log = []
        self.feed = ""
        up = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                up.log.append(self.path)
                if self.path == "/feed.xml":
                    body, ctype = up.feed.encode("utf-8"), "application/rss+xml"
                elif self.path in ("/a.jpg", "/b.jpg", "/c.jpg"):
                    body, ctype = JPEG + (self.path.encode() + b"xx") * (400 << 7), "image/jpeg"
                else:
                    body, ctype = b"not found", "text/plain"
                self.send_response(200 if ctype != "text/plain" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ImageCacheBoundTest(ImageProxyTest):
    """image_cache_mb: 1 holds two of the three 400 KiB images: the least recently used goes."""

    def setUp(self):
        super().setUp()
        self.big = BigImages()
        self.addCleanup(self.big.stop)
        ip = "http://127.0.0.1:%d" % self.big.port
        self.big.feed = feed(self.big.port).replace("<p>正文</p>", "<p>正文</p>" + "".join(
            '<img src="%s/%s.jpg">' % (ip, n) for n in "abc"))
        # The channel polls the big server's feed.
        self.images.port, self.images_port = self.big.port, self.images.port

    def tearDown(self):
        self.images.port = self.images_port
        super().tearDown()

    def test_cache_bound_evicts_the_least_recently_used(self):
        self.start(image_private_hosts="true", image_cache_mb="1")
        _, signed = self.signed()
        ip = "http://127.0.0.1:%d" % self.big.port
        cache = os.path.join(self.output, "image-cache")
        for name in ["a", "b", "a", "c", "a", "b"]:
            code, _, got = self.get(signed["%s/%s.jpg" % (ip, name)])
            self.assertEqual(code, 200, got)
            self.assertEqual(len(got), len(JPEG) + 400 * 1024)
            total = sum(os.path.getsize(os.path.join(cache, f)) for f in os.listdir(cache))
            self.assertLessEqual(total, 1 << 20)
        # a: fetched once and always recent; b: evicted by c, fetched again; c once.
        asked = [p for p in self.big.log if p != "/feed.xml"]
        self.assertEqual(asked, ["/a.jpg", "/b.jpg", "/c.jpg", "/b.jpg"])

    test_proxy_serves_signed_images_and_refuses_the_rest = None
    test_loopback_refused_without_image_private_hosts = None


class HangingServer:
    """Accepts connections and never answers: an image host that hangs."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def stop(self):
        self.sock.close()
        for c in self.accepted:
            c.close()


class ImageShutdownTest(ImageProxyTest):
    """SIGTERM while images hang upstream: the image fetches are cancelled with the feeds', so
    the daemon stops within its grace period instead of waiting out the image timeout (30 s)."""

    def setUp(self):
        super().setUp()
        self.hanging = HangingServer()
        self.addCleanup(self.hanging.stop)
        self.images.feed = feed(self.hanging.port)

    def stop_and_check(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.fail("feedd did not exit after SIGTERM")
        err = self.stderr()
        self.assertEqual(self.proc.returncode, 0, err)
        # After the grace period feedd exits 0 too, but says so: it must not have needed it.
        self.assertNotIn("did not finish", err)
        self.assertIn("stopped", err)

    def wait_accepted(self):
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not self.hanging.accepted:
            time.sleep(0.05)
        self.assertTrue(self.hanging.accepted, "no image request reached the hanging host")

    def test_sigterm_cancels_the_image_downloads(self):
        self.start(image_private_hosts="true", images="download")
        self.wait_accepted()  # the cycle's image pass is waiting on the hanging host
        self.stop_and_check()

    def test_sigterm_answers_a_waiting_proxy_request(self):
        self.start(image_private_hosts="true")
        _, signed = self.signed()
        url = "http://127.0.0.1:%d/ok.jpg" % self.hanging.port
        result = {}

        def ask():
            try:
                result["reply"] = self.get(signed[url])
            except OSError as e:  # the server may close first
                result["reply"] = (None, {}, repr(e).encode())

        reader = threading.Thread(target=ask, daemon=True)
        reader.start()
        self.wait_accepted()
        self.stop_and_check()
        reader.join(DEADLINE)
        self.assertFalse(reader.is_alive())
        self.assertIn(result["reply"][0], (503, None), result["reply"])

    # The inherited tests run against ImageServer only.
    test_proxy_serves_signed_images_and_refuses_the_rest = None
    test_loopback_refused_without_image_private_hosts = None


def harness_referer():
    from test_images import REFERER
    return REFERER


if __name__ == "__main__":
    harness.main()
