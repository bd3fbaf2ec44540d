"""client_post_images: a post's downloaded images render in Debian's headless Chromium from
image_base, served by `feedd run` (issue 13); with `images: proxy`, from `<base_url>img/…`, which
feedd fetches from the upstream when the browser asks.

A running `feedd run` with `images: download` polls a loopback feed whose post carries a PNG and a
GIF (real, decodable ones) on a loopback image server. The post's body is then put in a page on
that server and loaded in Chromium (tests/clients/browser/post_images.js): every image must have
decoded, from `<base_url>images/…` on feedd's port, and the upstream must not have been asked for
an image by the browser. Exit 77 (CTest skip) only when node/npm or chromium are missing, never
under CI=true.
"""
import http.server
import json
import os
import re
import struct
import subprocess
import sys
import threading
import unittest
import zlib

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
import harness  # noqa: E402
import test_daemon as daemon_e2e  # noqa: E402  (a module, so its test classes are not collected here)
from node_tools import (BROWSER_DRIVERS, HAVE_CHROMIUM, NODE, NPM, PLAYWRIGHT_ENV as NODE_ENV,  # noqa: E402
                        install_playwright)

DRIVER = os.path.join(BROWSER_DRIVERS, "post_images.js")


def png(width, height):
    """A valid RGB PNG of one colour."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# The smallest valid GIF: 1×1, one transparent pixel.
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
PNG = png(7, 5)


class Upstream:
    """The feed, its images and the page the test builds, on 127.0.0.1."""

    def __init__(self):
        self.log = []
        self.page = b""
        up = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                up.log.append(self.path)
                body, ctype = {
                    "/feed.xml": (up.feed().encode("utf-8"), "application/rss+xml"),
                    "/a.png": (PNG, "image/png"),
                    "/b.gif": (GIF, "image/gif"),
                    "/page.html": (up.page, "text/html; charset=utf-8"),
                }.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if body != b"not found" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def feed(self):
        return """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>图</title><link>{b}/</link><description>d</description>
<item><title>两张图片</title><link>{b}/post</link><guid>p1</guid>
<description><![CDATA[<p>正文</p><img src="{b}/a.png"><img data-src="{b}/b.gif" src="{b}/blank.gif"
 alt="懒加载"></p>]]></description></item></channel></rss>""".format(b=self.base)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@unittest.skipIf(NODE is None or NPM is None or not HAVE_CHROMIUM, "node/npm or chromium missing")
class PostImagesTest(daemon_e2e.DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        install_playwright()

    def setUp(self):
        super().setUp()
        self.upstream = Upstream()
        self.addCleanup(self.upstream.stop)

    def render(self, images, path):
        """Runs feedd with `images`, loads the post's body in Chromium; every image must decode
        from a URL under `path` on feedd's port. Returns the post's srcs, the upstream log before the
        page, and the browser report."""
        tree = """
categories:
  - name: 图
    slug: pics
    sources:
      - name: 源
        slug: src
        channels:
          - name: main
            url: %s/feed.xml
""" % self.upstream.base
        self.config_tree(tree, images=images, image_private_hosts="true")
        self.start()
        prefix = "http://127.0.0.1:%d%s" % (self.port, path)  # after start: the port may move
        posts = self.posts()
        self.assertEqual(len(posts), 1, posts)
        text = self.read("posts/" + posts[0])
        srcs = re.findall(r'<img[^>]* src="([^"]+)"', text)
        self.assertEqual(len(srcs), 2, text)
        for src in srcs:
            self.assertTrue(src.startswith(prefix), src)
        body = text[text.index("<div>"):]
        self.upstream.page = ("<!DOCTYPE html><meta charset=utf-8><title>post</title>" + body).encode("utf-8")
        fetched_by_feedd = list(self.upstream.log)

        report_path = os.path.join(self.dir, "report.json")
        proc = subprocess.run([NODE, DRIVER, self.upstream.base + "/page.html", report_path],
                              capture_output=True, text=True, timeout=180, env=NODE_ENV)
        self.assertEqual(proc.returncode, 0, "the Chromium driver failed:\n%s%s" % (proc.stdout, proc.stderr))
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
        self.assertEqual(report["status"], 200)
        sizes = sorted((i["naturalWidth"], i["naturalHeight"]) for i in report["images"])
        self.assertEqual(sizes, [(1, 1), (7, 5)], report)
        for img in report["images"]:
            self.assertTrue(img["complete"], img)
            self.assertTrue(img["currentSrc"].startswith(prefix), img)
        # The browser asked feedd for the images, nobody else.
        self.assertEqual(sorted(report["requests"]), sorted(srcs))
        return srcs, fetched_by_feedd, report

    def test_images_render_from_image_base(self):
        srcs, fetched_by_feedd, _ = self.render("download", "/images/")
        # The browser asked the upstream for the page only, never for an image.
        self.assertEqual(self.upstream.log[len(fetched_by_feedd):], ["/page.html"])
        # And feedd serves them as immutable files.
        r = self.get(srcs[0][len("http://127.0.0.1:%d" % self.port):])
        self.assertEqual(r.status, 200)
        self.assertIn("immutable", r.headers["cache-control"])

    def test_images_render_through_the_proxy(self):
        srcs, fetched_by_feedd, _ = self.render("proxy", "/img/")
        # feedd fetched each image once, when the browser asked it for them (not at ingest).
        self.assertNotIn("/a.png", fetched_by_feedd)
        self.assertEqual(sorted(self.upstream.log[len(fetched_by_feedd):]),
                         ["/a.png", "/b.gif", "/page.html"])
        r = self.get(srcs[0][len("http://127.0.0.1:%d" % self.port):])
        self.assertEqual(r.status, 200)
        self.assertIn("max-age=", r.headers["cache-control"])
        self.assertEqual(self.upstream.log.count("/a.png"), 1)  # the cache answered

if __name__ == "__main__":
    harness.main()
