"""`feedd run` end to end: the real daemon on a loopback port, fixture feeds over loopback HTTP,
systemd notifications on a datagram socket the test binds, signals sent to the process.

Every wait is bounded: helpers poll with a deadline and fail with what they saw.
"""
import datetime
import email.utils
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import harness
from harness import FEEDD, FIXTURE_TREE, FeeddTestCase, feedparser_entries, title_hash

TREE = FIXTURE_TREE

UPSTREAM = ["/zaker_source.xml", "/guokr.xml", "/woshipm.xml"]
ZAKER_FEED = "/feeds/xinmeiti/zaker/source.xml"

# A channel added by a reload: its own small feed, written by the test into the upstream folder.
EXTRA_CHANNEL = """          - name: 最新文章
            slug: latest
            url: {base}/woshipm_latest.xml
"""
EXTRA_TITLE = "重载之后才出现的一篇：灰度发布的节奏"
EXTRA_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>人人都是产品经理 最新</title>
<link>https://www.woshipm.example/</link><description>测试</description>
<item><title>%s</title><link>https://www.woshipm.example/pd/7001.html</link>
<guid>woshipm-7001</guid><pubDate>Fri, 16 Jul 2021 03:00:00 GMT</pubDate>
<description>&lt;p&gt;先给一成用户。&lt;/p&gt;</description></item>
</channel></rss>
""" % EXTRA_TITLE

DEADLINE = 15.0  # seconds for anything the daemon does on its own (a cycle is well under 1 s)


# free_port() hands over a port that nothing holds until feedd binds it, so under `ctest -j`
# another test can take it first. feedd then exits 1 before READY=1, and a test's first start
# tries again on another port.
PORT_ATTEMPTS = 5
ADDRESS_IN_USE = re.compile(r"cannot listen on \S+: .*Address already in use")

# A line feedd logs (app/commands.cpp's pattern). Anything else on its stderr, such as a
# sanitizer report or std::terminate's message, is a defect of the run.
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (trace|debug|info|warning|error|critical): ")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, probe, timeout=DEADLINE, interval=0.05):
    """Calls probe() until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what, last))


def cpu_seconds(pid):
    """User + system CPU time of every thread of `pid` so far (proc(5) stat fields 14, 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8")


class DaemonTestCase(FeeddTestCase):
    """FeeddTestCase plus a running `feedd run` and the notify socket it reports to."""

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.messages = []  # every datagram received so far, in order
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "feedd.stderr")
        self.tree = None  # the last config_tree() arguments, to write again on another port

    def tearDown(self):
        try:
            if self.proc is not None:
                self.assert_clean_exit()
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.notify.close()
            super().tearDown()
            self.server.proc.stdout.close()

    def assert_clean_exit(self):
        """Stops the daemon with SIGTERM unless it has exited already. It must exit 0 with only log
        lines on stderr: a daemon that crashed after the test's last request fails the test, and
        so does a sanitizer report (LeakSanitizer's comes at exit, under `make test-asan`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.fail("feedd still running %.0f s after SIGTERM\nstderr:\n%s" % (DEADLINE, self.stderr()))
        self.assertEqual(self.proc.returncode, 0, "feedd exited %d\nstderr:\n%s" % (self.proc.returncode, self.stderr()))
        stray = [l for l in self.stderr().splitlines() if not LOG_LINE.match(l)]
        self.assertEqual(stray, [], "feedd's stderr holds more than log lines:\n%s" % self.stderr())

    def config_tree(self, body=TREE, **top):
        self.tree = (body, dict(top))
        top.setdefault("listen", "127.0.0.1:%d" % self.port)
        top.setdefault("base_url", "http://127.0.0.1:%d/" % self.port)
        top.setdefault("interval", "1h")  # nothing polls on its own after the first cycle
        self.write_config(body, **top)

    def start(self, wait_cycle=True, **env_extra):
        """Starts the daemon; waits for READY=1 and, unless told not to, the first cycle's STATUS.
        A restart (the test stopped the daemon itself) first checks how the last one exited."""
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        for name in ("JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(name, None)
        env.update(env_extra)
        # Only a first start may move: a restart keeps the port its readers know.
        may_move = self.proc is None and self.tree is not None and "listen" not in self.tree[1]
        if self.proc is not None:
            self.assertIsNotNone(self.proc.poll(), "start() while feedd still runs")
            self.assert_clean_exit()
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.stderr_file = open(self.stderr_path, "w")
            self.addCleanup(self.stderr_file.close)
            self.proc = subprocess.Popen([FEEDD, "run", "-c", "feeds.yaml"], cwd=self.dir, env=env,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self.stderr_file)
            try:
                self.wait_message("READY=1", 0)
                break
            except self.failureException:
                taken = self.proc.poll() is not None and ADDRESS_IN_USE.search(self.stderr())
                if not (may_move and taken and attempt < PORT_ATTEMPTS):
                    raise
            print("port %d was taken; feedd starts again on another" % self.port, file=sys.stderr)
            self.port = free_port()
            self.config_tree(self.tree[0], **self.tree[1])
        if wait_cycle:
            self.wait_cycle(0)

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def receive(self, timeout):
        self.notify.settimeout(max(timeout, 0.001))
        try:
            data = self.notify.recv(4096)
        except socket.timeout:
            return None
        self.messages.append(data.decode("utf-8", "replace"))
        return self.messages[-1]

    def wait_message(self, line, start, timeout=DEADLINE):
        """Index of the first message at or after `start` that has `line` (a regex) as a line."""
        pattern = re.compile(r"(?m)^%s$" % line)
        deadline = time.monotonic() + timeout
        i = start
        while True:
            while i < len(self.messages):
                if pattern.search(self.messages[i]):
                    return i
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("no notify message matching %r after #%d within %.0f s; got %r\nstderr:\n%s"
                          % (line, start, timeout, self.messages, self.stderr()))
            if self.proc.poll() is not None:
                # What it sent before exiting is still queued on the socket.
                if self.receive(0.05) is not None:
                    continue
                self.fail("feedd exited %d before sending %r\nstderr:\n%s"
                          % (self.proc.returncode, line, self.stderr()))
            self.receive(min(left, 0.2))

    def wait_cycle(self, start):
        """Waits for the STATUS= a finished cycle sends; returns the index after it."""
        return self.wait_message(r"STATUS=channels: \d+ ok, \d+ failed; articles: .*", start) + 1

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            # http.client sends the target exactly as given: nothing normalises "..".
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def get(self, path, **headers):
        return self.request("GET", path, headers)

    def fetched(self, since=0):
        """[(path, status)] of upstream requests logged since request number `since`."""
        return [(r[1], r[2]) for r in self.server.requests()[since:]]

    def refresh_and_wait(self, query=""):
        r = self.request("POST", "/refresh" + query)
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(r.headers["content-type"].split(";")[0], "application/json")
        ticket = r.json()
        self.assertIsInstance(ticket["id"], int)
        self.assertEqual(r.headers["location"], "/refresh/%d" % ticket["id"])

        def done():
            p = self.get("/refresh/%d" % ticket["id"])
            self.assertEqual(p.status, 200, p.body)
            return p.json() if p.json()["done"] else None
        return ticket, wait_for("refresh %d to finish" % ticket["id"], done)

    def add_item(self, name, title, link):
        path = os.path.join(self.feeds_dir, name)
        with open(path, encoding="utf-8") as f:
            xml = f.read()
        item = ("<item><title>%s</title><link>%s</link>"
                "<pubDate>Thu, 15 Jul 2021 01:00:00 GMT</pubDate><description>正文</description></item>"
                % (title, link))
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml.replace("<item>", item + "<item>", 1))
        # The fixture server's ETag is the content hash; the mtime bump keeps Last-Modified honest.
        st = os.stat(path)
        os.utime(path, (st.st_atime + 10, st.st_mtime + 10))

    def feed_titles(self, path):
        r = self.get(path)
        self.assertEqual(r.status, 200, path)
        d = feedparser_entries(r.body)
        return [e.title for e in d.entries]


class ServingTest(DaemonTestCase):
    def test_ready_first_cycle_and_every_endpoint(self):
        self.config_tree()
        self.start(wait_cycle=False)
        ready = self.wait_message("READY=1", 0)
        after = self.wait_cycle(ready)
        self.assertRegex(self.messages[after - 1], r"(?m)^STATUS=channels: 3 ok, 0 failed; articles: 5 new")
        self.assertEqual(sorted(self.fetched()), sorted((p, "200") for p in UPSTREAM))

        feed = self.get(ZAKER_FEED)
        self.assertEqual(feed.status, 200)
        self.assertEqual(feed.headers["content-type"], "application/atom+xml; charset=utf-8")
        self.assertRegex(feed.headers["etag"], r'^"[0-9a-f]+"$')
        self.assertRegex(feed.headers["last-modified"], r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$")
        with open(os.path.join(self.output, ZAKER_FEED.lstrip("/")), "rb") as f:
            self.assertEqual(feed.body, f.read(), "served bytes differ from the written file")
        self.assertEqual(len(feedparser_entries(feed.body).entries), 2)

        self.assertEqual(self.get(ZAKER_FEED, **{"If-None-Match": feed.headers["etag"]}).status, 304)
        other = self.get(ZAKER_FEED, **{"If-None-Match": '"0000"'})
        self.assertEqual((other.status, other.body), (200, feed.body))

        gz = self.get(ZAKER_FEED, **{"Accept-Encoding": "gzip"})
        self.assertEqual(gz.status, 200)
        self.assertEqual(gz.headers.get("content-encoding"), "gzip")
        self.assertIn("Accept-Encoding", gz.headers.get("vary", ""))
        self.assertNotEqual(gz.body, feed.body)
        self.assertEqual(gzip.decompress(gz.body), feed.body)

        opml = self.get("/feeds.opml")
        self.assertEqual(opml.status, 200)
        self.assertEqual(opml.headers["content-type"].split(";")[0], "text/x-opml")
        self.assertIn('xmlUrl="http://127.0.0.1:%d/feeds/xinmeiti/zaker/source.xml"' % self.port, opml.text())

        health = self.get("/healthz")
        self.assertEqual(health.status, 200)

        metrics = self.get("/metrics")
        self.assertEqual(metrics.status, 200)
        self.assertEqual(metrics.headers["content-type"].split(";")[0], "text/plain")
        self.assertRegex(metrics.text(), r'(?m)^feedd_fetches_total\{outcome="ok"\} 3$')

        page = self.get("/")
        self.assertEqual(page.status, 200)
        self.assertEqual(page.headers["content-type"].split(";")[0], "text/html")
        page_head, page_body = page.text().split("</head>", 1)
        for rel in ["feeds/all.xml", "feeds/xinmeiti.xml", "feeds/xinmeiti/guokr/scientific.xml",
                    "feeds/xinmeiti/woshipm/popular.xml"]:
            url = "http://127.0.0.1:%d/%s" % (self.port, rel)
            self.assertIn('<link rel="alternate" type="application/atom+xml"', page_head)
            self.assertIn('href="%s"' % url, page_head)  # autodiscovery
            self.assertIn('<a href="%s">' % url, page_body)  # a link a person can follow

        # HEAD carries the headers and no body.
        head = self.request("HEAD", ZAKER_FEED)
        self.assertEqual((head.status, head.body), (200, b""))
        self.assertEqual(head.headers["etag"], feed.headers["etag"])

    def test_path_traversal_and_unserved_files(self):
        self.config_tree(refresh_token="e2e-not-a-secret")
        self.start()
        self.assertTrue(os.path.exists(os.path.join(self.output, "feedd.db")))
        post = self.posts()[0]
        self.assertEqual(len(post), 19, post)
        for target in ["/feeds/../feedd.db", "/feeds/%2e%2e/feedd.db", "/feeds/..%2ffeedd.db",
                       "/feeds/%2E%2E%2Ffeedd.db", "/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd",
                       "/feeds.opml/..", "/feeds/xinmeiti/zaker/../../../feedd.db",
                       "/feeds//all.xml", "/feeds/all.xml%00", "/feeds\\..\\feedd.db",
                       "/posts/" + post, "/" + post, "/feedd.db", "/output/feedd.db"]:
            r = self.get(target)
            self.assertIn(r.status, (400, 404), "%s answered %d" % (target, r.status))
            self.assertNotIn(b"SQLite format", r.body, target)
        # The real file is served, so the 404s above are not a server that serves nothing.
        self.assertEqual(self.get("/feeds/all.xml").status, 200)
        # A refresh token is configured, yet loopback needs none.
        r = self.request("POST", "/refresh")
        self.assertEqual(r.status, 202, r.body)
        self.assertIsInstance(r.json()["id"], int)

    def test_method_and_unknown_channel_errors(self):
        self.config_tree()
        self.start()
        self.assertEqual(self.request("POST", "/healthz").status, 405)
        self.assertEqual(self.request("DELETE", ZAKER_FEED).status, 405)
        self.assertEqual(self.get("/refresh").status, 405)
        r = self.request("POST", "/refresh?channel=xinmeiti/nope/none")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["unknown"], ["xinmeiti/nope/none"])
        self.assertEqual(self.get("/refresh/999").status, 404)
        self.assertEqual(self.get("/refresh/abc").status, 404)


class RefreshTest(DaemonTestCase):
    NEW_TITLE = "新的一篇：需求评审怎么开"

    def test_post_refresh_picks_up_the_changed_upstream(self):
        self.config_tree()
        self.start()
        seen = len(self.server.requests())
        zaker_before = self.get(ZAKER_FEED)
        popular_before = self.get("/feeds/xinmeiti/woshipm/popular.xml")
        self.add_item("woshipm.xml", self.NEW_TITLE, "https://www.woshipm.example/pmd/6001.html")
        time.sleep(1.1)  # so a rewritten feed's Last-Modified can differ (HTTP dates are seconds)
        ticket, progress = self.refresh_and_wait()
        self.assertEqual(sorted(ticket["channels"]),
                         ["xinmeiti/guokr/scientific", "xinmeiti/woshipm/popular", "xinmeiti/zaker/source"])
        by_channel = {c["channel"]: c for c in progress["channels"]}
        self.assertEqual(by_channel["xinmeiti/woshipm/popular"]["new"], 1, progress)
        self.assertEqual(by_channel["xinmeiti/zaker/source"]["new"], 0, progress)
        self.assertTrue(all(c["done"] and c["error"] == "" for c in progress["channels"]), progress)

        self.assertEqual(sorted(self.fetched(seen)),
                         [("/guokr.xml", "304"), ("/woshipm.xml", "200"), ("/zaker_source.xml", "304")])
        self.assertIn(title_hash(self.NEW_TITLE) + ".md", self.posts())
        self.assertEqual(self.feed_titles("/feeds/xinmeiti/woshipm/popular.xml")[0], self.NEW_TITLE)
        self.assertIn(self.NEW_TITLE, self.feed_titles("/feeds/all.xml"))
        self.assertNotIn(self.NEW_TITLE, self.feed_titles(ZAKER_FEED))
        # The changed feed has new validators; the untouched one keeps its own.
        popular = self.get("/feeds/xinmeiti/woshipm/popular.xml",
                           **{"If-None-Match": popular_before.headers["etag"]})
        self.assertEqual(popular.status, 200)
        self.assertNotEqual(popular.headers["etag"], popular_before.headers["etag"])
        self.assertGreater(email.utils.parsedate_to_datetime(popular.headers["last-modified"]),
                           email.utils.parsedate_to_datetime(popular_before.headers["last-modified"]))
        self.assertEqual(self.get(ZAKER_FEED, **{"If-None-Match": zaker_before.headers["etag"]}).status, 304)

    def test_refresh_of_one_channel_polls_only_it(self):
        self.config_tree()
        self.start()
        seen = len(self.server.requests())
        ticket, progress = self.refresh_and_wait("?channel=xinmeiti/guokr/scientific")
        self.assertEqual(ticket["channels"], ["xinmeiti/guokr/scientific"])
        self.assertEqual([(c["channel"], c["outcome"], c["new"]) for c in progress["channels"]],
                         [("xinmeiti/guokr/scientific", "not_modified", 0)])
        self.assertEqual(self.fetched(seen), [("/guokr.xml", "304")])

    def test_refresh_during_a_hanging_cycle_does_not_busy_loop(self):
        # Regression: while a cycle ran, a channel due outside it (here: refreshed) re-armed the
        # timer with a zero wait again and again, spinning the event loop until the cycle ended.
        self.config_tree()
        self.start()
        seen = len(self.server.requests())
        self.config_tree(TREE + """          - name: hangs
            url: {base}/slow
""")
        self.proc.send_signal(signal.SIGHUP)
        wait_for("the /slow fetch to be in flight", lambda: ("/slow", "-") in self.fetched(seen))
        r = self.request("POST", "/refresh?channel=xinmeiti/guokr/scientific")
        self.assertEqual(r.status, 202, r.body)
        busy = cpu_seconds(self.proc.pid)
        time.sleep(1.0)
        busy = cpu_seconds(self.proc.pid) - busy
        self.assertLess(busy, 0.2, "feedd used %.2f s of CPU in 1 s while waiting" % busy)
        # The refresh waits for the running cycle: one cycle at a time.
        progress = self.get("/refresh/%d" % r.json()["id"]).json()
        self.assertFalse(progress["done"], progress)
        self.assertNotIn(("/guokr.xml", "304"), self.fetched(seen))

    def test_sigusr1_polls_every_channel(self):
        self.config_tree()
        self.start()
        before = self.get(ZAKER_FEED)
        seen = len(self.server.requests())
        mark = len(self.messages)
        self.proc.send_signal(signal.SIGUSR1)
        self.wait_cycle(mark)
        self.assertEqual(sorted(self.fetched(seen)), sorted((p, "304") for p in UPSTREAM))
        # Nothing changed upstream, so readers' validators still hold.
        self.assertEqual(self.get(ZAKER_FEED, **{"If-None-Match": before.headers["etag"]}).status, 304)
        after = self.get(ZAKER_FEED)
        self.assertEqual([after.headers[h] for h in ("etag", "last-modified")],
                         [before.headers[h] for h in ("etag", "last-modified")])
        # Exactly one poll each. The status page plans every next poll an hour (±10 %) away...
        now = time.time()
        page = self.get("/").text()
        planned = re.findall(r'<td class="next-poll"><time datetime="([^"]+)"', page)
        self.assertEqual(len(planned), 3, page)
        for t in planned:
            wait = datetime.datetime.fromisoformat(t).timestamp() - now
            self.assertGreater(wait, 50 * 60, "next poll %s is %.0f s away" % (t, wait))
        # ...and a cycle already under way would have to end before a refresh of one channel does.
        self.refresh_and_wait("?channel=xinmeiti/guokr/scientific")
        self.assertEqual(sorted(self.fetched(seen)),
                         sorted([(p, "304") for p in UPSTREAM] + [("/guokr.xml", "304")]))


class ReloadTest(DaemonTestCase):
    def test_sighup_adds_a_channel(self):
        self.config_tree()
        self.start()
        with open(os.path.join(self.feeds_dir, "woshipm_latest.xml"), "w", encoding="utf-8") as f:
            f.write(EXTRA_FEED)
        self.assertEqual(self.get("/feeds/xinmeiti/woshipm/latest.xml").status, 404)
        seen = len(self.server.requests())
        mark = len(self.messages)
        self.config_tree(TREE + EXTRA_CHANNEL)
        self.proc.send_signal(signal.SIGHUP)
        reloading = self.wait_message(r"RELOADING=1", mark)
        self.assertRegex(self.messages[reloading], r"(?m)^MONOTONIC_USEC=\d+$")
        self.wait_message("READY=1", reloading + 1)
        self.wait_cycle(reloading)
        self.assertEqual(self.fetched(seen), [("/woshipm_latest.xml", "200")])
        self.assertEqual(self.feed_titles("/feeds/xinmeiti/woshipm/latest.xml"), [EXTRA_TITLE])
        self.assertIn(EXTRA_TITLE, self.feed_titles("/feeds/xinmeiti/woshipm.xml"))
        self.assertIn("http://127.0.0.1:%d/feeds/xinmeiti/woshipm/latest.xml" % self.port,
                      self.get("/feeds.opml").text())
        self.assertIn(title_hash(EXTRA_TITLE) + ".md", self.posts())

    def test_sighup_removing_a_source_stops_serving_its_feeds(self):
        self.config_tree()
        self.start()
        self.assertEqual(self.get("/feeds/xinmeiti/guokr.xml").status, 200)
        mark = len(self.messages)
        self.config_tree(TREE.split("      - name: 果壳网")[0] + TREE.split("            url: {base}/guokr.xml\n")[1])
        self.proc.send_signal(signal.SIGHUP)
        self.wait_message("READY=1", self.wait_message("RELOADING=1", mark) + 1)
        wait_for("guokr's feeds to go", lambda: self.get("/feeds/xinmeiti/guokr.xml").status == 404)
        self.assertEqual(self.get("/feeds/xinmeiti/guokr/scientific.xml").status, 404)
        self.assertNotIn("guokr", self.get("/feeds.opml").text())
        self.assertEqual(self.get("/feeds/xinmeiti/woshipm/popular.xml").status, 200)
        seen = len(self.server.requests())
        self.refresh_and_wait()
        self.assertEqual(sorted(p for p, _ in self.fetched(seen)), ["/woshipm.xml", "/zaker_source.xml"])

    def test_sighup_with_a_broken_config_keeps_the_old_one(self):
        self.config_tree()
        self.start()
        before = self.get(ZAKER_FEED)
        mark = len(self.messages)
        # Line 16 of the new file: a channel with neither url nor route, and a bad interval.
        self.config_tree(TREE.replace("            route: /zaker_source.xml\n",
                                      "            interval: soon\n"))
        with open(self.config, encoding="utf-8") as f:
            bad_line = next(i for i, l in enumerate(f, 1) if "interval: soon" in l)
        self.proc.send_signal(signal.SIGHUP)
        reloading = self.wait_message(r"RELOADING=1", mark)
        self.wait_message("READY=1", reloading + 1)
        err = wait_for("the reload error on stderr",
                       lambda: re.search(r"reload failed.*", self.stderr()) and self.stderr())
        self.assertRegex(err, r"error: feeds\.yaml:%d: .*interval" % bad_line)
        self.assertIsNone(self.proc.poll())
        after = self.get(ZAKER_FEED)
        self.assertEqual((after.status, after.body), (200, before.body))
        self.assertEqual(self.get("/healthz").status, 200)
        # The old channel set is still the one polled.
        seen = len(self.server.requests())
        self.refresh_and_wait()
        self.assertEqual(sorted(p for p, _ in self.fetched(seen)), sorted(UPSTREAM))


class StartTest(DaemonTestCase):
    def run_briefly(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        return subprocess.run([FEEDD, "run", "-c", "feeds.yaml"], cwd=self.dir, env=env,
                              capture_output=True, text=True, timeout=DEADLINE)

    def test_config_error_exits_2_without_ready(self):
        self.config_tree(TREE.replace("slug: guokr", "slug: Guo Kr"))
        proc = self.run_briefly()
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertRegex(proc.stderr, r"feeds\.yaml:\d+: ")
        self.assertIsNone(self.receive(0.05))

    def test_busy_listen_port_exits_1_without_ready(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            self.port = taken.getsockname()[1]
            self.config_tree()
            proc = self.run_briefly()
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("cannot listen on 127.0.0.1:%d" % self.port, proc.stderr)
        self.assertIsNone(self.receive(0.05))

    def test_watchdog_pings_from_the_loop(self):
        self.config_tree()
        self.start(WATCHDOG_USEC="200000")  # feedd pings every 100 ms
        first = self.wait_message("WATCHDOG=1", 0)
        self.wait_message("WATCHDOG=1", first + 1, timeout=2)


class StopTest(DaemonTestCase):
    def test_sigterm_when_idle_exits_0(self):
        self.config_tree()
        self.start()
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=6), 0, self.stderr())
        self.assertLess(time.monotonic() - started, 6)
        self.wait_message("STOPPING=1", 0)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()

    def test_sigterm_during_a_hanging_fetch_exits_0_within_6_s(self):
        self.config_tree(TREE + """          - name: hangs
            url: {base}/slow
""")
        self.start(wait_cycle=False)
        wait_for("the /slow fetch to be in flight", lambda: ("/slow", "-") in self.fetched())
        self.assertIsNone(self.proc.poll())
        # Fetching never blocks serving: the loop answers while the worker waits.
        self.assertEqual(self.get("/healthz").status, 200)
        self.assertEqual(self.get("/").status, 200)
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=6)
        except subprocess.TimeoutExpired:
            self.fail("feedd still running 6 s after SIGTERM\nstderr:\n%s" % self.stderr())
        self.assertEqual(code, 0, self.stderr())
        self.assertLess(time.monotonic() - started, 6)
        # Whatever the cycle reported as new was committed before the exit (the cancelled
        # fetches count neither way).
        m = re.search(r"cycle 1: channels: \d+ ok, \d+ failed; articles: (\d+) new", self.stderr())
        self.assertIsNotNone(m, self.stderr())
        self.assertEqual(len(self.posts()), int(m.group(1)), self.stderr())

    def test_sigterm_while_a_reloaded_channel_hangs_keeps_earlier_work(self):
        self.config_tree()
        self.start()
        seen = len(self.server.requests())
        self.config_tree(TREE + """          - name: hangs
            url: {base}/slow
""")
        self.proc.send_signal(signal.SIGHUP)
        wait_for("the /slow fetch to be in flight", lambda: ("/slow", "-") in self.fetched(seen))
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=6)
        except subprocess.TimeoutExpired:
            self.fail("feedd still running 6 s after SIGTERM\nstderr:\n%s" % self.stderr())
        self.assertEqual(code, 0, self.stderr())
        self.assertLess(time.monotonic() - started, 6)
        self.assertEqual(len(self.posts()), 5)
        self.assertEqual(len(feedparser_entries(os.path.join(self.output, "feeds/all.xml")).entries), 5)


class RefreshCommandTest(DaemonTestCase):
    NEW_TITLE = "命令行刷新带来的新文章"

    def test_feedd_refresh_of_a_source_waits_for_its_channels(self):
        self.config_tree()
        self.start()
        seen = len(self.server.requests())
        self.add_item("zaker_source.xml", self.NEW_TITLE, "https://app.myzaker.example/news/article.php?pk=9001")
        proc = self.feedd("refresh", "-c", "feeds.yaml", "xinmeiti/zaker", check=0)
        self.assertEqual(proc.stdout, "xinmeiti/zaker/source: 1 new\n", proc.stderr)
        # It returned after the work was done: the file and the feed are there already.
        self.assertIn(title_hash(self.NEW_TITLE) + ".md", self.posts())
        self.assertEqual(self.feed_titles(ZAKER_FEED)[0], self.NEW_TITLE)
        self.assertEqual(self.fetched(seen), [("/zaker_source.xml", "200")])

    def test_feedd_refresh_of_everything_and_of_an_unknown_channel(self):
        self.config_tree()
        self.start()
        seen = len(self.server.requests())
        proc = self.feedd("refresh", "-c", "feeds.yaml", check=0)
        self.assertEqual(sorted(proc.stdout.splitlines()),
                         ["xinmeiti/guokr/scientific: not modified", "xinmeiti/woshipm/popular: not modified",
                          "xinmeiti/zaker/source: not modified"], proc.stderr)
        self.assertEqual(sorted(self.fetched(seen)), sorted((p, "304") for p in UPSTREAM))
        proc = self.feedd("refresh", "-c", "feeds.yaml", "xinmeiti/nope/none", check=2)
        self.assertIn("xinmeiti/nope/none", proc.stderr)
        self.assertEqual(len(self.fetched(seen)), 3)

if __name__ == "__main__":
    harness.main()
