"""Inbox, retention, secrets in logs, and a flood of idle connections — end to end."""
import os
import re
import resource
import socket
import sqlite3
import time

import harness
from harness import FeeddTestCase, title_hash
from test_daemon import DaemonTestCase, TREE

INBOX_ARTICLE = """
---
title: '收件箱里的一篇文章'
categories: 
 - 新媒体
 - ZAKER
 - source
author: ZAKER
comments: false
date: Fri, 21 May 2021 14:00:00 GMT
---

<div>   
<p>正文</p>  
</div>
            """


class InboxAndRetentionTest(FeeddTestCase):
    def test_inbox_files_are_imported_and_moved_to_done_or_failed(self):
        self.write_config(TREE, inbox="inbox")
        inbox = os.path.join(self.dir, "inbox")
        os.makedirs(inbox)
        with open(os.path.join(inbox, "good.md"), "w", encoding="utf-8") as f:
            f.write(INBOX_ARTICLE)
        with open(os.path.join(inbox, "bad.md"), "w", encoding="utf-8") as f:
            f.write("no front-matter here\n")
        with open(os.path.join(inbox, ".partial.md"), "w", encoding="utf-8") as f:
            f.write("still being copied")
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn(title_hash("收件箱里的一篇文章") + ".md", self.posts())
        self.assertTrue(os.path.exists(os.path.join(inbox, "done", "good.md")))
        self.assertTrue(os.path.exists(os.path.join(inbox, "failed", "bad.md")))
        with open(os.path.join(inbox, "failed", "bad.md.error"), encoding="utf-8") as f:
            self.assertRegex(f.read(), r"bad\.md:1: ")
        self.assertTrue(os.path.exists(os.path.join(inbox, ".partial.md")))  # not touched
        self.assertEqual(sorted(os.listdir(inbox)), [".partial.md", "done", "failed"])

    def test_keep_days_prunes_old_article_files_and_they_never_come_back(self):
        self.write_config(TREE, keep_days="30")
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(len(self.posts()), 5)  # the fixtures date from 2021
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(self.posts(), [])
        self.assertNotIn("<entry>", self.read("feeds/all.xml"))
        # Upstream re-serves everything in full: the pruned articles are still known.
        for name in os.listdir(self.feeds_dir):
            p = os.path.join(self.feeds_dir, name)
            os.utime(p, (time.time() + 60, time.time() + 60))
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("articles: 0 new", proc.stdout)
        self.assertEqual(self.posts(), [])
        db = sqlite3.connect(os.path.join(self.output, "feedd.db"))
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        db.close()


class SecretsTest(FeeddTestCase):
    def test_refresh_token_and_url_credentials_are_never_logged_or_written(self):
        self.write_config(TREE + """          - name: private
            url: http://alice:pw-SECRET-1@127.0.0.1:%d/missing.xml
""" % self.server.port, refresh_token="tok-SECRET-2")
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertRegex(proc.stderr, r"woshipm/private: http://127\.0\.0\.1:\d+/missing\.xml: HTTP 404")
        self.assertNotIn("SECRET", proc.stderr + proc.stdout)
        check = self.feedd("check", "-c", "feeds.yaml", check=0)
        self.assertNotIn("SECRET", check.stdout + check.stderr)
        # The state database too: it keeps the channel's URL without its user:password.
        self.assertIn("feedd.db", os.listdir(self.output))
        for root, _, files in os.walk(self.output):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    self.assertFalse(b"SECRET" in f.read(), "SECRET in " + name)  # not the bytes


class IdleFloodTest(DaemonTestCase):
    def test_a_thousand_idle_connections_do_not_lock_out_a_reader(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        self.config_tree()
        self.start()
        idle = []
        try:
            for _ in range(1000):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                s.sendall(b"GET /feeds/all.xml HTTP/1.1\r\nHost: x\r\n")  # never finished
                idle.append(s)
            started = time.monotonic()
            r = self.get("/healthz")
            took = time.monotonic() - started
            print("healthz with 1000 idle connections open: %.2f s" % took)
            self.assertEqual(r.status, 200)
            # A reader made to wait for idle connections to be closed would wait out the
            # server's 10 s read timeout (serve::Limits); anything well under it is a pass.
            self.assertLess(took, 7.0, "a reader waited for idle connections to time out")
            self.assertEqual(self.get("/feeds/all.xml").status, 200)
        finally:
            for s in idle:
                s.close()
        self.assertEqual(self.get("/healthz").status, 200)
        self.assertIsNone(self.proc.poll())


if __name__ == "__main__":
    harness.main()
