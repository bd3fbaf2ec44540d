"""Issue 12 end to end: RSSHub failover and rsshub_key (redacted wherever feedd writes it), the
on_new_posts hook (argv without a shell, paths on stdin, FEEDD_NEW_POSTS) and the webhook (one
JSON POST per cycle, a failed POST retried), in `feedd once` and `feedd run`. Loopback only."""
import http.server
import json
import os
import stat
import threading
import urllib.request

import harness
from harness import FIXTURE_TITLES, FIXTURE_TREE, FeeddTestCase, title_hash
from test_daemon import DaemonTestCase, wait_for

KEY = "k3y-9f2c41"
# Port 1 on loopback refuses connections: an RSSHub instance that is down.
DEAD_INSTANCE = "http://127.0.0.1:1"


INBOX_ARTICLE = """
---
title: '收件箱里的文章'
categories: 
 - 新媒体
 - 果壳网
 - 科学人
author: 果壳网
comments: false
date: Fri, 21 May 2021 14:00:00 GMT
link: 'https://www.guokr.example/article/10/'
---

<div>   
<p>正文</p>  
</div>
            """


class WebhookServer:
    """A loopback HTTP server that answers the first `fail` POSTs with 500, then 200, and keeps
    every body it was sent."""

    def __init__(self, fail=1):
        self.bodies = []
        self.answers = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code = 500 if len(outer.answers) < fail else 200
                outer.bodies.append((self.headers.get("Content-Type"), body))
                outer.answers.append(code)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook?token=%s" % (self.httpd.server_address[1], KEY)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def hook_script(folder):
    """A hook that records its argv, FEEDD_NEW_POSTS and stdin, then appends to a runs file."""
    path = os.path.join(folder, "hook.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                "out=\"$1\"\n"
                "cat > \"$out/stdin\"\n"
                "printf '%s\\n' \"$FEEDD_NEW_POSTS\" > \"$out/count\"\n"
                "printf '%s|' \"$@\" > \"$out/argv\"\n"
                "echo \"hook saw $FEEDD_NEW_POSTS posts\"\n"
                "echo run >> \"$out/runs\"\n")
    os.chmod(path, stat.S_IRWXU)
    return path


class OnceTest(FeeddTestCase):
    def setUp(self):
        super().setUp()
        self.webhook = WebhookServer(fail=1)
        self.addCleanup(self.webhook.stop)
        self.hook = hook_script(self.dir)

    def test_failover_hook_webhook_and_the_key_never_written(self):
        # write_config's own rsshub line is replaced by the list above (a repeated key is an
        # error), so the head is written without it.
        self.write_config("")
        with open(self.config, encoding="utf-8") as f:
            head = "".join(l for l in f if not l.startswith("rsshub:"))
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(head)
            f.write(FIXTURE_TREE.replace("{base}", self.server.base))
            f.write("rsshub:\n  - %s\n  - %s\nrsshub_key: %s\n"
                    "on_new_posts: [%s, %s, 'two words; no shell']\nwebhook: '%s'\n"
                    % (DEAD_INSTANCE, self.server.base, KEY, self.hook, self.dir, self.webhook.url))

        check = self.feedd("check", "-c", "feeds.yaml", check=0)
        self.assertIn("rsshub: %s/ %s/ (with rsshub_key)" % (DEAD_INSTANCE, self.server.base), check.stdout)
        self.assertIn("webhook: http://127.0.0.1:%d/hook?token=***" % self.webhook.httpd.server_address[1], check.stdout)

        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("channels: 3 ok, 0 failed", proc.stdout)
        # The route failed over from the dead instance to the live one, with the key.
        zaker = [r for r in self.server.requests() if "zaker_source.xml" in r[1]]
        self.assertEqual(len(zaker), 1, zaker)
        self.assertIn("key=" + KEY, zaker[0][1])
        self.assertIn("trying %s/" % self.server.base, proc.stderr)

        # The hook: argv as written, no shell; one path per line on stdin; the count.
        posts = self.posts()
        self.assertEqual(len(posts), len(FIXTURE_TITLES))
        with open(os.path.join(self.dir, "argv")) as f:
            self.assertEqual(f.read(), "%s|two words; no shell|" % self.dir)
        with open(os.path.join(self.dir, "stdin")) as f:
            lines = f.read().splitlines()
        self.assertEqual(sorted(os.path.basename(l) for l in lines), posts)
        for line in lines:
            self.assertTrue(os.path.isfile(line), line)
        with open(os.path.join(self.dir, "count")) as f:
            self.assertEqual(f.read(), "%d\n" % len(posts))
        self.assertIn("on_new_posts: hook saw %d posts" % len(posts), proc.stderr)

        # The webhook: refused once (500), retried, delivered before `once` exited.
        self.assertEqual(self.webhook.answers, [500, 200])
        ctype, body = self.webhook.bodies[-1]
        self.assertEqual(ctype, "application/json; charset=utf-8")
        doc = json.loads(body.decode("utf-8"))
        self.assertEqual(doc["new_posts"], len(posts))
        self.assertEqual(sorted(a["file"] for a in doc["articles"]), posts)
        self.assertEqual({a["title"] for a in doc["articles"]}, FIXTURE_TITLES)
        for a in doc["articles"]:
            self.assertEqual(a["file"], title_hash(a["title"]) + ".md")
            self.assertEqual(len(a["categories"]), 3)
            self.assertTrue(a["link"].startswith("http"), a)

        # The key is in no file feedd wrote and in none of its output.
        self.assertNotIn(KEY, proc.stdout + proc.stderr + check.stdout + check.stderr)
        for root, _, files in os.walk(self.output):
            for name in files:
                if name.startswith("feedd.db"):
                    continue
                with open(os.path.join(root, name), "rb") as f:
                    self.assertNotIn(KEY.encode(), f.read(), name)
        self.assertIn("key=***", self.read("feeds/xinmeiti/zaker/source.xml"))

        # A cycle with nothing new runs no hook and posts nothing.
        self.feedd("once", "-c", "feeds.yaml", check=0)
        with open(os.path.join(self.dir, "runs")) as f:
            self.assertEqual(f.read(), "run\n")
        self.assertEqual(len(self.webhook.bodies), 2)

        # An article file dropped in the inbox is a new post of its cycle, too.
        with open(self.config, "a", encoding="utf-8") as f:
            f.write("inbox: inbox\n")
        os.makedirs(os.path.join(self.dir, "inbox"))
        with open(os.path.join(self.dir, "inbox", "a.md"), "w", encoding="utf-8") as f:
            f.write(INBOX_ARTICLE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        with open(os.path.join(self.dir, "runs")) as f:
            self.assertEqual(f.read(), "run\nrun\n")
        with open(os.path.join(self.dir, "stdin")) as f:
            self.assertEqual(f.read(), os.path.join(self.output, "posts", title_hash("收件箱里的文章") + ".md\n"))
        self.assertEqual(json.loads(self.webhook.bodies[-1][1])["articles"][0]["title"], "收件箱里的文章")


class RunTest(DaemonTestCase):
    def test_hook_webhook_instance_and_metrics_in_the_daemon(self):
        webhook = WebhookServer(fail=1)
        self.addCleanup(webhook.stop)
        hook = hook_script(self.dir)
        self.config_tree(FIXTURE_TREE)
        with open(self.config, encoding="utf-8") as f:
            text = "".join(l for l in f if not l.startswith("rsshub:"))
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
            f.write("rsshub: [%s, %s]\nrsshub_key: %s\non_new_posts: [%s, %s]\nwebhook: '%s'\n"
                    % (DEAD_INSTANCE, self.server.base, KEY, hook, self.dir, webhook.url))
        self.start()
        wait_for("the hook", lambda: os.path.exists(os.path.join(self.dir, "runs")))
        wait_for("the webhook retried", lambda: webhook.answers == [500, 200])
        with open(os.path.join(self.dir, "count")) as f:
            self.assertEqual(f.read(), "%d\n" % len(FIXTURE_TITLES))

        page = self.get("/").text()
        self.assertIn('via <code>%s/</code>' % self.server.base, page)
        self.assertNotIn(KEY, page)

        def metrics():
            # The counters are as of a cycle's end: refresh until one ends after the webhook.
            self.refresh_and_wait()
            text = self.get("/metrics").text()
            return text if 'feedd_webhook_posts_total{result="delivered"} 1' in text else None
        text = wait_for("delivered webhook in /metrics", metrics)
        self.assertIn('feedd_webhook_posts_total{result="failed"} 1', text)
        self.assertIn('feedd_hook_runs_total{result="ok"} 1', text)
        self.assertIn('feedd_channel_rsshub_instance{channel="xinmeiti/zaker/source",instance="%s/"} 1'
                      % self.server.base, text)
        self.assertNotIn(KEY, text)
        self.assertNotIn(KEY, self.stderr())


class ListenWarningTest(DaemonTestCase):
    def test_public_listen_with_loopback_base_url_warns_at_start_and_on_the_page(self):
        self.config_tree(FIXTURE_TREE, listen="0.0.0.0:%d" % self.port)
        self.start()
        self.assertIn('"listen" accepts other machines but "base_url" is a loopback address',
                      self.stderr())
        page = self.get("/").text()
        self.assertIn('<p class="warning" role="alert">', page)
        self.assertIn("Set base_url to the public URL.", page)


if __name__ == "__main__":
    harness.main()
