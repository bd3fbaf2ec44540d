"""`feedd once` end to end: real binary, fixture feeds over loopback HTTP, real readers."""
import os
import re
import sqlite3
import urllib.parse
import xml.etree.ElementTree as ET

import yaml  # Debian's python3-yaml

import harness
from harness import (FIXTURE_TITLES, FIXTURE_TREE, FeeddTestCase, feedparser_entries, jing,
                     title_hash)

TREE = FIXTURE_TREE
TITLES = FIXTURE_TITLES

FEEDS = [
    "feeds/all.xml",
    "feeds/xinmeiti.xml",
    "feeds/xinmeiti/zaker.xml",
    "feeds/xinmeiti/zaker/source.xml",
    "feeds/xinmeiti/guokr.xml",
    "feeds/xinmeiti/guokr/scientific.xml",
    "feeds/xinmeiti/woshipm.xml",
    "feeds/xinmeiti/woshipm/popular.xml",
]


class OnceTest(FeeddTestCase):
    def test_first_run_writes_posts_feeds_and_opml(self):
        self.write_config(TREE)
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("channels: 3 ok, 0 failed; articles: 5 new, 1 seen", proc.stdout)
        self.assertEqual(self.posts(), sorted(title_hash(t) + ".md" for t in TITLES))
        for rel in FEEDS:
            path = os.path.join(self.output, rel)
            d = feedparser_entries(path)
            r = jing(path)
            self.assertEqual(r.returncode, 0, "%s fails the RFC 4287 schema:\n%s%s" % (rel, r.stdout, r.stderr))
            ids = [e.id for e in d.entries]
            self.assertEqual(len(ids), len(set(ids)), rel)
        self.assertEqual(len(feedparser_entries(os.path.join(self.output, "feeds/all.xml")).entries), 5)
        opml = self.read("feeds.opml")
        for rel in FEEDS:
            self.assertIn('xmlUrl="http://feeds.test/%s"' % rel, opml)

    def test_article_file_shape(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        text = self.read("posts/%s.md" % title_hash("城市夜跑人数三年翻倍，跑友说“比健身房自在”"))
        proxied = "https://cors.zfour.workers.dev/?http://zkres.myzaker.example/202107/run_1024.jpg"
        self.assertTrue(text.startswith(
            "\n---\ntitle: '城市夜跑人数三年翻倍，跑友说“比健身房自在”'\ncategories: \n - 新媒体\n - ZAKER\n - source\n"
            "headimg: '%s'\nauthor: ZAKER\ncomments: false\ndate: Wed, 14 Jul 2021 02:10:00 GMT\n"
            "thumbnail: '%s'\nlink: 'https://app.myzaker.example/news/article.php?pk=60ece2928e9f0965ce6e865c'\n"
            "---\n\n<div>   \n" % (proxied, proxied)), text[:600])
        self.assertTrue(text.endswith("  \n</div>\n" + " " * 12), repr(text[-40:]))
        self.assertIn('src="%s" referrerpolicy="no-referrer"' % proxied, text)
        # Nunjucks-safe body; date converted from +0800 to GMT.
        street = self.read("posts/%s.md" % title_hash("老街区改造后，早餐铺子回来了"))
        self.assertIn("&#123;&#123; 好消息 &#125;&#125;", street)
        self.assertIn("date: Tue, 13 Jul 2021 14:45:00 GMT\n", street)
        # Scripts and event handlers do not survive.
        growth = self.read("posts/%s.md" % title_hash("从零搭建一个用户增长模型：三个常见误区"))
        self.assertNotIn("<script", growth)
        self.assertNotIn("onclick", growth)
        self.assertIn('href="https://www.woshipm.example/operate/4000.html"', growth)

    def test_second_run_gets_304_and_changes_nothing(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        before = self.snapshot()
        first = len(self.server.requests())
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("articles: 0 new", proc.stdout)
        statuses = [r[2] for r in self.server.requests()[first:]]
        self.assertEqual(statuses, ["304"] * 3, self.server.requests())
        self.assertEqual(self.snapshot(), before)

    def test_repeated_article_in_second_channel_adds_no_file_but_is_listed(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        h = title_hash("城市夜跑人数三年翻倍，跑友说“比健身房自在”")
        popular = feedparser_entries(os.path.join(self.output, "feeds/xinmeiti/woshipm/popular.xml"))
        zaker = feedparser_entries(os.path.join(self.output, "feeds/xinmeiti/zaker/source.xml"))
        self.assertIn(h, " ".join(e.id for e in popular.entries))
        self.assertIn(h, " ".join(e.id for e in zaker.entries))
        self.assertEqual(len([p for p in self.posts() if p.startswith(h)]), 1)

    def test_shared_title_is_filed_under_the_first_configured_channel_whatever_finishes_first(self):
        # Regression: articles were stored in fetch-completion order, so a title carried by two
        # channels got the categories of whichever upstream answered first.
        self.write_config(TREE.replace("route: /zaker_source.xml", "url: {base}/zaker_source.xml?delay=1500"))
        self.feedd("once", "-c", "feeds.yaml", check=0)
        text = self.read("posts/%s.md" % title_hash("城市夜跑人数三年翻倍，跑友说“比健身房自在”"))
        self.assertIn("categories: \n - 新媒体\n - ZAKER\n - source\n", text)
        self.assertIn("author: ZAKER\n", text)

    def test_changed_upstream_adds_only_the_new_item(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        path = os.path.join(self.feeds_dir, "woshipm.xml")
        with open(path, encoding="utf-8") as f:
            xml = f.read()
        item = ("<item><title>新的一篇：需求评审怎么开</title><link>https://www.woshipm.example/pmd/6001.html</link>"
                "<pubDate>Thu, 15 Jul 2021 01:00:00 GMT</pubDate><description>正文</description></item>")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml.replace("<item>", item + "<item>", 1))
        os.utime(path, (os.stat(path).st_atime + 10, os.stat(path).st_mtime + 10))
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("articles: 1 new", proc.stdout)
        self.assertIn(title_hash("新的一篇：需求评审怎么开") + ".md", self.posts())
        entries = feedparser_entries(os.path.join(self.output, "feeds/all.xml")).entries
        self.assertEqual(entries[0].title, "新的一篇：需求评审怎么开")  # newest first

    def test_missing_views_are_rebuilt(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        before = {k: v[1] for k, v in self.snapshot().items()}
        victim = self.posts()[0]
        os.remove(os.path.join(self.output, "posts", victim))
        os.remove(os.path.join(self.output, "feeds/xinmeiti/guokr.xml"))
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual({k: v[1] for k, v in self.snapshot().items()}, before)

    # Feeds are rendered from the store only when it changed what they list (issue 5: a warm
    # cycle rewrites no feed whose content did not change, and renders none either). The store
    # remembers whether the files on disk are up to date; these tests fail if it is ignored.
    def add_woshipm_item(self, title):
        path = os.path.join(self.feeds_dir, "woshipm.xml")
        with open(path, encoding="utf-8") as f:
            xml = f.read()
        item = ("<item><title>%s</title><link>https://www.woshipm.example/pmd/6002.html</link>"
                "<pubDate>Thu, 15 Jul 2021 02:00:00 GMT</pubDate><description>正文</description></item>"
                % title)
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml.replace("<item>", item + "<item>", 1))
        os.utime(path, (os.stat(path).st_atime + 10, os.stat(path).st_mtime + 10))

    def spoil(self, rel):
        with open(os.path.join(self.output, rel), "w", encoding="utf-8") as f:
            f.write("spoiled by hand\n")

    def test_unchanged_store_renders_no_feed(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.spoil("feeds/all.xml")  # not a feedd write: only a render would replace it
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(self.read("feeds/all.xml"), "spoiled by hand\n")

    def test_new_article_renders_only_the_feeds_listing_its_channel(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        for rel in FEEDS:
            self.spoil(rel)
        self.add_woshipm_item("增量渲染：只动该动的")
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("articles: 1 new", proc.stdout)
        rendered = {rel for rel in FEEDS if self.read(rel) != "spoiled by hand\n"}
        self.assertEqual(rendered, {"feeds/all.xml", "feeds/xinmeiti.xml", "feeds/xinmeiti/woshipm.xml",
                                    "feeds/xinmeiti/woshipm/popular.xml"})
        for rel in rendered:
            self.assertIn("增量渲染：只动该动的", self.read(rel))

    def test_views_left_behind_by_an_interrupted_run_are_all_rendered_again(self):
        # What a crash between the store's commit and the feed writes leaves: the store says
        # the views are behind, and some feed on disk is stale.
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        want = self.read("feeds/xinmeiti/guokr.xml")
        self.spoil("feeds/xinmeiti/guokr.xml")
        with sqlite3.connect(os.path.join(self.output, "feedd.db")) as db:
            db.execute("UPDATE meta SET value = 'behind' WHERE key = 'views'")
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(self.read("feeds/xinmeiti/guokr.xml"), want)
        self.spoil("feeds/xinmeiti/guokr.xml")  # and once written, the store says so again
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(self.read("feeds/xinmeiti/guokr.xml"), "spoiled by hand\n")

    def test_config_change_renders_every_feed(self):
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.write_config(TREE, base_url="http://elsewhere.test/")
        self.feedd("once", "-c", "feeds.yaml", check=0)
        for rel in FEEDS + ["feeds.opml"]:
            self.assertIn("http://elsewhere.test/", self.read(rel), rel)
            self.assertNotIn("http://feeds.test/", self.read(rel), rel)

    def test_one_broken_channel_does_not_stop_the_others(self):
        self.write_config(TREE + """          - name: broken
            url: {base}/not_a_feed.html
          - name: gone
            url: {base}/missing.xml
""")
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("channels: 3 ok, 2 failed", proc.stdout)
        self.assertEqual(len(self.posts()), 5)
        err = proc.stderr
        self.assertRegex(err, r"xinmeiti/woshipm/broken: http://127\.0\.0\.1:\d+/not_a_feed\.html: .*not a feed")
        self.assertRegex(err, r"xinmeiti/woshipm/gone: http://127\.0\.0\.1:\d+/missing\.xml: HTTP 404")
        self.assertEqual(len(re.findall(r"woshipm/gone", err)), 1, err)

    def test_no_network_every_channel_fails_exit_1(self):
        # The shipped feeds.yaml with its RSSHub base pointed at a closed loopback port: what a
        # machine without network sees, without touching the internet.
        with open(os.path.join(os.environ.get("FEEDD_SOURCE_DIR", "."), "feeds.yaml"), encoding="utf-8") as f:
            shipped = f.read()
        shipped = re.sub(r"(?m)^(output|state|rsshub):.*$", "", shipped)
        with open(self.config, "w", encoding="utf-8") as f:
            f.write('output: output\nstate: output/feedd.db\nrsshub: "http://127.0.0.1:9"\n' + shipped)
        proc = self.feedd("once", "-c", "feeds.yaml", check=1)
        errors = [l for l in proc.stderr.splitlines() if " error: " in l]
        self.assertGreaterEqual(len(errors), 5, proc.stderr)
        for line in errors:
            self.assertRegex(line, r"error: [a-z0-9_-]+/[a-z0-9_-]+/[a-z0-9_-]+: http://127\.0\.0\.1:9/\S+: ")
        self.assertIn("channels: 0 ok, %d failed; articles: 0 new" % len(errors), proc.stdout)
        self.assertEqual(self.posts(), [])
        # Every feed of the tree is written all the same (empty), readable, and in the OPML.
        tops = yaml.safe_load(shipped)["categories"]
        nodes = 1 + sum(1 + sum(1 + len(s["channels"]) for s in t["sources"]) for t in tops)
        written = sorted(os.path.relpath(os.path.join(root, name), self.output)
                         for root, _, files in os.walk(os.path.join(self.output, "feeds"))
                         for name in files if name.endswith(".xml"))
        self.assertEqual(len(written), nodes, written)
        self.assertIn("feeds/all.xml", written)
        opml = ET.parse(os.path.join(self.output, "feeds.opml")).getroot()
        listed = sorted(urllib.parse.urlsplit(o.get("xmlUrl")).path.lstrip("/")
                        for o in opml.iter("outline") if o.get("xmlUrl"))
        self.assertEqual(listed, written)
        for rel in written:
            feedparser_entries(os.path.join(self.output, rel))


if __name__ == "__main__":
    harness.main()
