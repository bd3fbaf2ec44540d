"""images: download end to end (issue 13): the real binary, a feed whose posts carry images, and
a loopback image server that answers only the right Referer, serves an SVG, HTML dressed as
.jpg, a 404, an image over the cap and one that fails once and then arrives."""
import http.server
import os
import re
import threading

import harness
from harness import FeeddTestCase, feedparser_entries

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"j" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"p" * 64
GIF = b"GIF89a\x01\x00\x01\x00" + b"g" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body>hotlinking is not allowed</body></html>"
REFERER = "https://weibo.example/"
PROXY = "https://cors.zfour.workers.dev/?"  # the harness's image_proxy


class ImageServer:
    """Loopback image server; `log` holds (path, Referer or None) of every request."""

    def __init__(self):
        self.log = []
        self.flaky_calls = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", ctype="application/octet-stream"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                server.log.append((self.path, self.headers.get("Referer")))
                p = self.path
                if p == "/ok.jpg":
                    return self.reply(200, JPEG, "image/jpeg")
                if p == "/referer.png":
                    if self.headers.get("Referer") != REFERER:
                        return self.reply(403, b"forbidden", "text/plain")
                    return self.reply(200, PNG, "image/png")
                if p == "/evil.svg":
                    return self.reply(200, SVG, "image/svg+xml")
                if p == "/disguised.jpg":
                    return self.reply(200, HTML, "image/jpeg")
                if p == "/big.jpg":
                    return self.reply(200, JPEG + b"x" * (2 << 20), "image/jpeg")
                if p == "/flaky.gif":
                    server.flaky_calls += 1
                    if server.flaky_calls == 1:
                        return self.reply(503, b"busy", "text/plain")
                    return self.reply(200, GIF, "image/gif")
                if p == "/feed.xml":
                    return self.reply(200, server.feed.encode("utf-8"), "application/rss+xml")
                return self.reply(404, b"not found", "text/plain")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.feed = ""
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self):
        return [p for p, _ in self.log if p != "/feed.xml"]


def feed(port):
    ip = "http://127.0.0.1:%d" % port
    named = "http://localhost:%d" % port
    body = "".join('<img src="%s">' % u for u in [
        ip + "/ok.jpg", named + "/referer.png", ip + "/referer.png", ip + "/evil.svg",
        ip + "/disguised.jpg", ip + "/missing.jpg", ip + "/big.jpg", ip + "/flaky.gif"])
    return """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>图片源</title><link>%s/</link><description>d</description>
<item><title>带图片的文章</title><link>%s/post/1</link><guid>post-1</guid>
<pubDate>Fri, 21 May 2021 14:00:00 GMT</pubDate>
<description><![CDATA[<p>正文</p>%s]]></description></item>
</channel></rss>""" % (ip, ip, body)


TREE = """
referer:
  localhost: "%s"
categories:
  - name: 图片
    slug: pics
    sources:
      - name: 图源
        slug: src
        channels:
          - name: main
            url: http://127.0.0.1:{port}/feed.xml
""" % REFERER


class ImagesTest(FeeddTestCase):
    def setUp(self):
        super().setUp()
        self.images = ImageServer()
        self.images.feed = feed(self.images.port)

    def tearDown(self):
        self.images.stop()
        super().tearDown()

    def configure(self, **top):
        self.write_config(TREE.replace("{port}", str(self.images.port)), images="download",
                          image_max_mb="1", **top)

    def post(self):
        posts = self.posts()
        self.assertEqual(len(posts), 1, posts)
        return self.read("posts/" + posts[0])

    def stored(self):
        d = os.path.join(self.output, "images")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def test_download_checks_types_referer_caps_and_retries(self):
        self.configure(image_private_hosts="true")
        self.feedd("once", "-c", "feeds.yaml", check=0)
        base = "http://127.0.0.1:%d" % self.images.port
        text = self.post()
        files = self.stored()
        # ok.jpg and the Referer-only PNG (asked for from localhost, which the referer: map
        # names) arrive; nothing else does.
        self.assertEqual(len(files), 2, files)
        for name in files:
            self.assertRegex(name, r"^[0-9a-f]{32}\.(jpg|png)$")
            self.assertIn('src="http://feeds.test/images/%s"' % name, text)
        with open(os.path.join(self.output, "images", [f for f in files if f.endswith(".jpg")][0]), "rb") as f:
            self.assertEqual(f.read(), JPEG)
        self.assertRegex(text, r"headimg: 'http://feeds\.test/images/[0-9a-f]{32}\.jpg'")
        # The Referer went only where the map says.
        referers = {(p, r) for p, r in self.images.log if p == "/referer.png"}
        self.assertEqual(referers, {("/referer.png", REFERER), ("/referer.png", None)})
        self.assertNotIn(("/ok.jpg", REFERER), self.images.log)
        # The others keep their own URLs (http:// ones through image_proxy, as in hotlink mode):
        # the PNG without its Referer, an SVG, HTML called .jpg, a 404, one over the cap, and
        # the one that failed (503) for now.
        for path in ["/referer.png", "/evil.svg", "/disguised.jpg", "/missing.jpg", "/big.jpg",
                     "/flaky.gif"]:
            self.assertIn('src="%s%s%s"' % (PROXY, base, path), text)
        self.assertFalse(any(f.endswith(".svg") or f.endswith(".html") for f in files))
        # The feed lists the post with the downloaded images too.
        entry = feedparser_entries(os.path.join(self.output, "feeds/all.xml")).entries[0]
        self.assertIn("http://feeds.test/images/", entry.content[0].value)

        # The next cycle fetches only the one that may still come, and rewrites post and feed.
        seen = len(self.images.paths())
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(self.images.paths()[seen:], ["/flaky.gif"])
        files = self.stored()
        self.assertEqual(len(files), 3, files)
        gif = [f for f in files if f.endswith(".gif")][0]
        self.assertIn('src="http://feeds.test/images/%s"' % gif, self.post())
        self.assertNotIn("/flaky.gif", self.post())
        entry = feedparser_entries(os.path.join(self.output, "feeds/all.xml")).entries[0]
        self.assertIn("http://feeds.test/images/%s" % gif, entry.content[0].value)

        # A third cycle has nothing left to fetch.
        seen = len(self.images.paths())
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(self.images.paths()[seen:], [])

    def test_site_path_image_base(self):
        self.configure(image_private_hosts="true", image_base="/images/")
        self.feedd("once", "-c", "feeds.yaml", check=0)
        text = self.post()
        self.assertRegex(text, r"headimg: '/images/[0-9a-f]{32}\.jpg'")
        self.assertRegex(text, r'src="/images/[0-9a-f]{32}\.jpg"')

    def test_loopback_refused_without_image_private_hosts(self):
        # The SSRF guard: every image here is on 127.0.0.1 (or localhost), so with
        # image_private_hosts off none is even connected to — a redirect to 127.0.0.1 is refused
        # the same way, on the address of the hop (tests/fetch: GuardRefusesRedirectToLoopback).
        self.configure()
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(self.images.paths(), [])
        self.assertEqual(self.stored(), [])
        self.assertIn("refused: address 127.0.0.1 is loopback", proc.stdout + proc.stderr)
        self.assertIn('src="%shttp://127.0.0.1:%d/ok.jpg"' % (PROXY, self.images.port), self.post())


if __name__ == "__main__":
    harness.main()
