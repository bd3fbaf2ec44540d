"""Shared helpers for feedd's end-to-end tests (run with /usr/bin/python3).

Each test gets a temporary folder with its own feeds.yaml, output and state, runs the real
`feedd` binary (FEEDD_BIN) and serves fixture feeds from tests/support/fixture_server.py on a
loopback port chosen by the kernel. Nothing here touches the network beyond 127.0.0.1.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
FEEDD = os.environ.get("FEEDD_BIN", os.path.join(SOURCE_DIR, "build", "daemon", "feedd"))
DATA = os.path.join(SOURCE_DIR, "tests", "data")
FIXTURE_SERVER = os.path.join(SOURCE_DIR, "tests", "support", "fixture_server.py")
PYTHON = "/usr/bin/python3"


# The category tree over tests/data/e2e/feeds ({base} = the fixture server) and the distinct
# titles those feeds carry: shared by every test that runs the standard fixtures.
FIXTURE_TREE = """
categories:
  - name: 新媒体
    slug: xinmeiti
    sources:
      - name: ZAKER
        slug: zaker
        channels:
          - name: source
            route: /zaker_source.xml
      - name: 果壳网
        slug: guokr
        channels:
          - name: 科学人
            slug: scientific
            url: {base}/guokr.xml
      - name: 人人都是产品经理
        slug: woshipm
        channels:
          - name: 热门文章
            slug: popular
            url: {base}/woshipm.xml
"""

FIXTURE_TITLES = {
    "城市夜跑人数三年翻倍，跑友说“比健身房自在”",
    "老街区改造后，早餐铺子回来了",
    "为什么雨后的空气闻起来特别清新？",
    "章鱼有九个“大脑”吗",
    "从零搭建一个用户增长模型：三个常见误区",
}

def title_hash(title):
    """The documented dedup key: `printf %s "$title" | sha256sum | cut -c1-16` (after normalising)."""
    normal = re.sub(r"[\s\u00a0\u3000]+", " ", title).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


class FixtureServer:
    """tests/support/fixture_server.py serving `root` on 127.0.0.1:<ephemeral>."""

    def __init__(self, root):
        self.root = root
        self.log = os.path.join(tempfile.mkdtemp(prefix="feedd-srvlog-"), "requests.log")
        self.proc = subprocess.Popen([PYTHON, FIXTURE_SERVER, root, "--log", self.log],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.proc.kill()
            raise RuntimeError("fixture server did not print its port: %r" % line)
        self.port = int(line)
        self.base = "http://127.0.0.1:%d" % self.port

    def requests(self):
        try:
            with open(self.log, encoding="utf-8") as f:
                return [l.split() for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class FeeddTestCase(unittest.TestCase):
    """A temp workspace: feeds.yaml + output/ + a copy of fixture feeds served over HTTP."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="feedd-e2e-")
        self.feeds_dir = os.path.join(self.dir, "upstream")
        shutil.copytree(os.path.join(DATA, "e2e", "feeds"), self.feeds_dir)
        self.server = FixtureServer(self.feeds_dir)
        self.output = os.path.join(self.dir, "output")
        self.config = os.path.join(self.dir, "feeds.yaml")

    def tearDown(self):
        self.server.stop()
        if os.environ.get("FEEDD_KEEP_TMP"):
            print("kept", self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def write_config(self, body, **top):
        head = {
            "output": "output",
            "state": "output/feedd.db",
            "base_url": "http://feeds.test/",
            "image_proxy": "https://cors.zfour.workers.dev/?",
            "rsshub": self.server.base,
        }
        head.update(top)
        with open(self.config, "w", encoding="utf-8") as f:
            for k, v in head.items():
                f.write('%s: "%s"\n' % (k, v))
            f.write(body.replace("{base}", self.server.base))

    def feedd(self, *args, check=None):
        proc = subprocess.run([FEEDD, *args], cwd=self.dir, capture_output=True, text=True, timeout=120)
        if check is not None and proc.returncode != check:
            self.fail("feedd %s exited %d (wanted %d)\nstdout:\n%s\nstderr:\n%s"
                      % (" ".join(args), proc.returncode, check, proc.stdout, proc.stderr))
        return proc

    def posts(self):
        d = os.path.join(self.output, "posts")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def read(self, rel):
        with open(os.path.join(self.output, rel), encoding="utf-8") as f:
            return f.read()

    def snapshot(self):
        """{relative path: (mtime_ns, bytes)} of every file under output/ except the database."""
        snap = {}
        for root, _, files in os.walk(self.output):
            for name in files:
                if name.startswith("feedd.db"):
                    continue
                p = os.path.join(root, name)
                with open(p, "rb") as f:
                    snap[os.path.relpath(p, self.output)] = (os.stat(p).st_mtime_ns, f.read())
        return snap


def feedparser_entries(path):
    import feedparser  # Debian's python3-feedparser
    d = feedparser.parse(path)
    if d.bozo:
        raise AssertionError("%s: feedparser bozo: %s" % (path, d.bozo_exception))
    return d


SKIP = 77  # CTest's SKIP_RETURN_CODE for every Python test


def main():
    """unittest.main for CTest: runs this file's tests and exits 0 when every one ran and passed,
    SKIP (77) when none failed but at least one was skipped, so that CTest counts the file as
    skipped instead of passed, and 1 on any failure or error, or when no test ran at all."""
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful() or result.testsRun == 0:
        sys.exit(1)
    if result.skipped:
        print("skipped: %s" % "; ".join("%s (%s)" % (t.id(), why) for t, why in result.skipped),
              file=sys.stderr)
        sys.exit(SKIP)
    sys.exit(0)


def jing(path):
    schema = os.path.join(SOURCE_DIR, "tests", "schema", "atom.rnc")
    return subprocess.run(["jing", "-c", schema, path], capture_output=True, text=True)
