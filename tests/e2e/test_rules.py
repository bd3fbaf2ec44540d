"""Issue 14 end to end: drop/keep rules (`feedd check`, `--explain`, `once`), and the item
metadata (creator, tags, enclosures) in posts and in Atom as feedparser reads it."""
import os

import harness
from harness import FeeddTestCase, feedparser_entries, title_hash

TREE = """
categories:
  - name: 新媒体
    slug: xinmeiti
    drop:
      - title: '推广|广告'
    sources:
      - name: 规则源
        slug: rules
        channels:
          - name: 频道
            slug: chan
            url: {base}/rules.xml
            keep:
              - link: '/keep/'
"""


class RulesTest(FeeddTestCase):
    def setUp(self):
        super().setUp()
        self.write_config(TREE)

    def test_check_prints_each_channels_rules(self):
        proc = self.feedd("check", "-c", "feeds.yaml", check=0)
        self.assertIn("    频道  %s/rules.xml  → feeds/xinmeiti/rules/chan.xml\n"
                      "        #0 drop title /推广|广告/ (feeds.yaml:11)\n"
                      "        #1 keep link //keep// (feeds.yaml:20)\n" % self.server.base,
                      proc.stdout)

    def test_explain_prints_each_item_and_changes_nothing(self):
        proc = self.feedd("check", "-c", "feeds.yaml", "--explain", "xinmeiti/rules/chan", check=0)
        self.assertEqual(
            proc.stdout,
            "xinmeiti/rules/chan: %s/rules.xml\n"
            "rules:\n"
            "  #0 drop title /推广|广告/ (feeds.yaml:11)\n"
            "  #1 keep link //keep// (feeds.yaml:20)\n"
            "items: 3 (1 kept, 2 dropped)\n"
            "  keep  跑步播客第十期\n"
            "  drop  【推广】新款跑鞋  [#0 drop title /推广|广告/ (feeds.yaml:11)]\n"
            "  drop  别处的文章  [no keep rule matched]\n" % self.server.base)
        self.assertFalse(os.path.exists(self.output))  # no store, no files
        self.assertEqual(len([r for r in self.server.requests() if "/rules.xml" in " ".join(r)]), 1)

    def test_explain_of_an_unknown_channel_exits_2(self):
        proc = self.feedd("check", "-c", "feeds.yaml", "--explain", "xinmeiti/rules", check=2)
        self.assertIn("no channel xinmeiti/rules in feeds.yaml", proc.stderr)
        self.assertEqual(self.feedd("once", "--explain", "x").returncode, 2)

    def test_once_stores_only_what_the_rules_keep_with_its_metadata(self):
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("articles: 1 new, 0 seen, 2 dropped", proc.stdout)
        self.assertIn('xinmeiti/rules/chan: dropped "【推广】新款跑鞋": drop title /推广|广告/ (feeds.yaml:11)',
                      proc.stderr)
        self.assertEqual(self.posts(), [title_hash("跑步播客第十期") + ".md"])
        post = self.read(os.path.join("posts", self.posts()[0]))
        self.assertIn("link: 'https://rules.example/keep/1'\n"
                      "creator: 小林\n"
                      "tags: \n - 运动\n - 播客\n"
                      "enclosures: \n"
                      " - url: 'https://media.rules.example/10.mp3'\n"
                      "   type: audio/mpeg\n"
                      "   length: 34567890\n"
                      "---\n", post)
        d = feedparser_entries(os.path.join(self.output, "feeds", "xinmeiti", "rules", "chan.xml"))
        self.assertEqual(len(d.entries), 1)
        e = d.entries[0]
        self.assertEqual(e.author, "小林")
        tags = [(t.term, t.scheme) for t in e.tags]
        self.assertEqual(tags, [("新媒体", None), ("规则源", None), ("频道", None),
                                ("运动", "urn:feedd:tag"), ("播客", "urn:feedd:tag")])
        self.assertEqual([(x.href, x.type, x.length) for x in e.enclosures],
                         [("https://media.rules.example/10.mp3", "audio/mpeg", "34567890")])
        # Dropped items are remembered: the next run does not judge them again (the feed
        # changed, so it is fetched and parsed, not answered 304).
        with open(os.path.join(self.feeds_dir, "rules.xml"), "a", encoding="utf-8") as f:
            f.write("\n")
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("articles: 0 new, 3 seen", proc.stdout)
        self.assertNotIn("dropped", proc.stdout)


UPDATES_TREE = """
categories:
  - name: 新媒体
    slug: xinmeiti
    updates: true
    sources:
      - name: 规则源
        slug: rules
        channels:
          - name: 频道
            slug: chan
            url: {base}/rules.xml
"""


class UpdatesTest(FeeddTestCase):
    def test_a_changed_body_rewrites_the_post_and_the_entry_in_place(self):
        self.write_config(UPDATES_TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        posts = self.posts()
        self.assertEqual(len(posts), 3)
        name = title_hash("跑步播客第十期") + ".md"
        self.assertIn("这一期聊夜跑。", self.read(os.path.join("posts", name)))
        feed = os.path.join(self.output, "feeds", "xinmeiti", "rules", "chan.xml")
        before = {e.id: e for e in feedparser_entries(feed).entries}

        path = os.path.join(self.feeds_dir, "rules.xml")
        with open(path, encoding="utf-8") as f:
            xml = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml.replace("这一期聊夜跑。", "这一期聊夜跑（更正版）。"))
        proc = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("articles: 0 new, 2 seen, 1 updated", proc.stdout)
        self.assertEqual(self.posts(), posts)  # same file names
        post = self.read(os.path.join("posts", name))
        self.assertIn("这一期聊夜跑（更正版）。", post)
        self.assertIn("date: Fri, 21 May 2021 14:00:00 GMT", post)
        after = {e.id: e for e in feedparser_entries(feed).entries}
        self.assertEqual(set(after), set(before))  # same ids
        entry_id = "urn:feedd:article:" + name[:-3]
        self.assertEqual(after[entry_id].published, before[entry_id].published)
        self.assertGreater(after[entry_id].updated_parsed, before[entry_id].updated_parsed)
        self.assertIn("更正版", after[entry_id].content[0].value)
        other = "urn:feedd:article:" + title_hash("别处的文章")
        self.assertEqual(after[other].updated, before[other].updated)


if __name__ == "__main__":
    harness.main()
