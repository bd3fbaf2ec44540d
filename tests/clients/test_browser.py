"""client_browser: feedd's status page in headless Chromium (Debian's chromium + playwright-core).

A running `feedd run` polls the e2e fixture feeds over loopback. tests/clients/browser/
status_page.js opens `/` in Chromium and reports what it saw as JSON: the feed tree and channel
rows, what happened after pressing "Refresh now" (#refresh-all), and layout facts on a desktop,
a phone-sized viewport (390×844) and in dark mode, with a screenshot of each under
FEEDD_BROWSER_OUT (the build folder). This file judges the report against the feed tree the
daemon serves (feeds.opml) and against the upstream request log.

playwright-core is installed once from npm into FEEDD_PLAYWRIGHT_CACHE and drives
/usr/bin/chromium; no browser is ever downloaded. Exit 77 (CTest skip) only when node/npm or
chromium are missing (`make deps` installs chromium for `make test`), never under CI=true.
"""
import json
import os
import re
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
import harness  # noqa: E402
import test_daemon as daemon_e2e  # noqa: E402  (a module, so its test classes are not collected here)
from node_tools import (BROWSER_DRIVERS, HAVE_CHROMIUM, NODE, NPM, PLAYWRIGHT_ENV as NODE_ENV,  # noqa: E402
                        install_playwright, missing_tools, skip_unless)

OUT = os.environ.get("FEEDD_BROWSER_OUT") or os.path.join(SOURCE_DIR, "build", "tests", "clients", "browser")
DRIVER = os.path.join(BROWSER_DRIVERS, "status_page.js")
CHANNELS = ["xinmeiti/zaker/source", "xinmeiti/guokr/scientific", "xinmeiti/woshipm/popular"]
PHONE = (390, 844)


def luminance(css_color):
    """WCAG relative luminance of an rgb()/rgba() computed colour."""
    m = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css_color)
    if not m:
        raise AssertionError("not an rgb() colour: %r" % css_color)
    if m.group(4) is not None and float(m.group(4)) < 1:
        raise AssertionError("translucent colour, the check would not mean anything: %r" % css_color)

    def linear(c):
        c = int(c) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(m.group(i)) for i in (1, 2, 3))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise AssertionError("%s is not a PNG" % path)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def opml_tree(xml_bytes):
    """[(xmlUrl, last segment of its text, parent category's xmlUrl or None)] in document order.
    A category is a folder outline (no xmlUrl) holding its own feed first, then its children."""
    out = []

    def walk(node, parent, folder):
        own = None  # the folder's own feed: its first leaf
        for o in node.findall("outline"):
            url = o.get("xmlUrl")
            if url is None:
                walk(o, own if folder else parent, True)
            elif folder and own is None:
                own = url
                out.append((url, o.get("text").split(" › ")[-1], parent))
            else:
                out.append((url, o.get("text").split(" › ")[-1], own if folder else parent))
    walk(ET.fromstring(xml_bytes).find("body"), None, False)
    return out


@unittest.skipIf(NODE is None or NPM is None or not HAVE_CHROMIUM, "node/npm or chromium missing")
class BrowserTest(daemon_e2e.DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        install_playwright()

    def setUp(self):
        super().setUp()
        self.config_tree()
        self.start()

    def drive(self):
        os.makedirs(OUT, exist_ok=True)
        report_path = os.path.join(self.dir, "report.json")
        proc = subprocess.run([NODE, DRIVER, "http://127.0.0.1:%d" % self.port, OUT, report_path],
                              capture_output=True, text=True, timeout=180, env=NODE_ENV)
        self.assertEqual(proc.returncode, 0, "the Chromium driver failed:\n%s%s" % (proc.stdout, proc.stderr))
        with open(report_path, encoding="utf-8") as f:
            return json.load(f)

    def test_status_page_in_chromium(self):
        opml = self.get("/feeds.opml")
        self.assertEqual(opml.status, 200)
        tree = opml_tree(opml.body)
        self.assertEqual(len(tree), 8)
        polled = len(self.server.requests())
        report = self.drive()
        self.assertEqual(report["status"], 200)
        self.assertEqual(report["before"]["title"], "feedd")

        with self.subTest("every category and feed link, nested as in feeds.opml"):
            feeds = report["before"]["feeds"]
            href_of = {f["path"]: f["href"] for f in feeds}
            href_of[""] = None  # the page nests the tops under "all"; the OPML lists them beside it
            page_tree = [(f["href"], f["text"].split(" › ")[-1], href_of.get(f["parent"])) for f in feeds]
            self.assertEqual(page_tree, tree)
            self.assertEqual([a["href"] for a in report["before"]["alternates"]], [t[0] for t in tree])
            for f in feeds:  # each link is a feed a reader can subscribe to
                r = self.get(f["href"][len("http://127.0.0.1:%d" % self.port):])
                self.assertEqual((r.status, r.headers["content-type"].split(";")[0]),
                                 (200, "application/atom+xml"), f["href"])
            self.assertEqual([c["path"] for c in report["before"]["channels"]], CHANNELS)
            self.assertEqual(feeds[0]["path"], "")
            self.assertLessEqual(set(CHANNELS), set(href_of))

        with self.subTest("Refresh now polls every channel and the page shows it"):
            self.assertEqual(report["afterClick"], {"url": "http://127.0.0.1:%d/" % self.port, "status": 200})
            before = {c["path"]: c for c in report["before"]["channels"]}
            after = {c["path"]: c for c in report["after"]["channels"]}
            self.assertEqual(sorted(after), sorted(CHANNELS))
            for path in CHANNELS:
                self.assertRegex(before[path]["lastPoll"] or "", r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", before[path])
                self.assertGreater(after[path]["lastPoll"] or "", before[path]["lastPoll"], after[path])
                self.assertFalse(after[path]["polling"], after[path])
                self.assertEqual(after[path]["result"], "not_modified", after[path])  # upstream unchanged
            # The button reached the daemon: one conditional GET per channel, nothing else.
            self.assertEqual(sorted(self.fetched(polled)), sorted((p, "304") for p in daemon_e2e.UPSTREAM))

        with self.subTest("readable on a phone"):
            phone = report["phone"]
            self.assertEqual(phone["innerWidth"], PHONE[0])
            self.assertLessEqual(phone["scrollWidth"], phone["innerWidth"], phone)
            self.assertEqual(phone["wide"], [], "past the right edge of a %d px screen" % PHONE[0])
            self.assertLessEqual(phone["maxCellLines"], 4, phone["cellLines"])
            self.assertGreaterEqual(phone["fontSizePx"], 12)
            button = phone["refreshButton"]
            self.assertGreaterEqual(min(button["width"], button["height"]), 24, button)  # WCAG 2.2 target size

        with self.subTest("light and dark colour schemes"):
            light, dark = report["light"], report["dark"]
            self.assertGreater(luminance(light["background"]), 0.8, light)
            self.assertLess(luminance(dark["background"]), 0.05, dark)
            for scheme in (light, dark):
                self.assertGreaterEqual(contrast(scheme["color"], scheme["background"]), 7, scheme)
                self.assertGreaterEqual(contrast(scheme["linkColor"], scheme["background"]), 4.5, scheme)
            self.assertEqual(dark["wide"], [])

        with self.subTest("screenshots"):
            sizes = [png_size(p) for p in report["screenshots"]]
            self.assertEqual([os.path.dirname(p) for p in report["screenshots"]], [OUT] * 3)
            desktop, phone_shot, dark_shot = sizes
            self.assertEqual(desktop[0], 1280)
            self.assertGreaterEqual(desktop[1], 800)
            self.assertEqual(phone_shot[0], 2 * PHONE[0])  # deviceScaleFactor 2
            self.assertGreaterEqual(phone_shot[1], 2 * PHONE[1])
            self.assertEqual(dark_shot[0], 1280)
            print("screenshots (Chromium %s): %s" % (report["version"], " ".join(report["screenshots"])),
                  file=sys.stderr)


if __name__ == "__main__":
    skip_unless("client_browser", missing_tools(chromium=True))
    harness.main()
