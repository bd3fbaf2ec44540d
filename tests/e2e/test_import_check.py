"""`feedd import` and `feedd check` end to end."""
import os

import harness
from harness import FeeddTestCase, feedparser_entries, title_hash

TREE = """
categories:
  - name: 新媒体
    slug: xinmeiti
    sources:
      - name: 果壳网
        slug: guokr
        channels:
          - name: 科学人
            slug: scientific
            url: {base}/guokr.xml
"""

ARTICLE = """
---
title: '它''s 一篇导入的文章'
categories: 
 - 新媒体
 - 果壳网
 - 科学人
author: 果壳网
comments: false
date: Fri, 21 May 2021 14:00:00 GMT
link: 'https://www.guokr.example/article/9/'
---

<div>   
<p>正文 &#123;&#123; x &#125;&#125;</p>  
</div>
            """


class ImportTest(FeeddTestCase):
    def setUp(self):
        super().setUp()
        self.write_config(TREE)
        self.inbox = os.path.join(self.dir, "drop")
        os.makedirs(self.inbox)

    def put(self, name, text):
        with open(os.path.join(self.inbox, name), "w", encoding="utf-8") as f:
            f.write(text)

    def test_import_writes_the_file_back_byte_for_byte_and_lists_it(self):
        self.put("a.md", ARTICLE)
        proc = self.feedd("import", "-c", "feeds.yaml", "drop", check=0)
        self.assertIn("import: 1 new, 0 duplicate, 0 failed", proc.stdout)
        h = title_hash("它's 一篇导入的文章")
        self.assertEqual(self.read("posts/%s.md" % h), ARTICLE)
        ids = " ".join(e.id for e in feedparser_entries(os.path.join(self.output, "feeds/xinmeiti/guokr/scientific.xml")).entries)
        self.assertIn(h, ids)

    def test_imported_html_is_sanitised_like_fetched_html(self):
        hostile = ARTICLE.replace("它''s 一篇导入的文章", "导入的危险文章").replace(
            "<p>正文 &#123;&#123; x &#125;&#125;</p>",
            '<p onclick="steal()">正文</p><script>alert(1)</script><img src="http://img.example/a.png">')
        self.put("h.md", hostile)
        self.feedd("import", "-c", "feeds.yaml", "drop", check=0)
        text = self.read("posts/%s.md" % title_hash("导入的危险文章"))
        self.assertNotIn("onclick", text)
        self.assertNotIn("<script", text)
        self.assertIn('src="https://cors.zfour.workers.dev/?http://img.example/a.png" referrerpolicy="no-referrer"', text)
        self.assertIn("headimg: 'https://cors.zfour.workers.dev/?http://img.example/a.png'", text)

    def test_reimport_is_a_duplicate(self):
        self.put("a.md", ARTICLE)
        self.feedd("import", "-c", "feeds.yaml", "drop", check=0)
        proc = self.feedd("import", "-c", "feeds.yaml", os.path.join("drop", "a.md"), check=0)
        self.assertIn("import: 0 new, 1 duplicate, 0 failed", proc.stdout)

    def test_broken_file_is_named_with_its_line_and_others_go_on(self):
        self.put("a.md", ARTICLE)
        self.put("b.md", "\n---\ntitle: 'x'\n")
        proc = self.feedd("import", "-c", "feeds.yaml", "drop", check=1)
        self.assertIn("import: 1 new, 0 duplicate, 1 failed", proc.stdout)
        self.assertRegex(proc.stderr, r"drop/b\.md:\d+: ")


class CheckTest(FeeddTestCase):
    def test_check_prints_the_tree(self):
        self.write_config(TREE)
        proc = self.feedd("check", "-c", "feeds.yaml", check=0)
        self.assertIn("新媒体  → feeds/xinmeiti.xml", proc.stdout)
        self.assertIn("    科学人  %s/guokr.xml  → feeds/xinmeiti/guokr/scientific.xml" % self.server.base, proc.stdout)

    def test_config_error_names_file_and_line_exit_2(self):
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("categories:\n  - slug: xinmeiti\n    sources: []\n")
        proc = self.feedd("check", "-c", "feeds.yaml", check=2)
        self.assertRegex(proc.stderr, r"feeds\.yaml:2: .*name")
        proc = self.feedd("once", "-c", "feeds.yaml", check=2)
        self.assertFalse(os.path.exists(self.output))

    def test_usage_errors_exit_2(self):
        self.assertEqual(self.feedd("frobnicate").returncode, 2)
        self.assertEqual(self.feedd("import", "-c", "feeds.yaml").returncode, 2)
        self.assertEqual(self.feedd("--no-such-option").returncode, 2)
        self.assertEqual(self.feedd("--version", check=0).stdout.split()[0], "feedd")
        help_text = self.feedd("--help", check=0).stdout
        for word in ("once", "import", "check", "--config", "--log-level", "Exit status"):
            self.assertIn(word, help_text)


if __name__ == "__main__":
    harness.main()
