"""client_hexo_tags: Hexo 8 builds tag pages from the `tags:` feedd writes (issue 14).

`feedd once` reads a fixture feed whose first item carries two upstream categories
(tests/data/e2e/feeds/rules.xml); the posts go into the minimal site of tests/clients/hexo_site,
with hexo-generator-tag (npm) and a tag layout added, and `hexo generate` must make one page per
tag listing exactly the posts that carry it. A negative control removes the `tags:` key and the
pages must go. Exit 77 (CTest skip) only when node, npm or npx are missing, never under CI=true.
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import unittest

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
import harness  # noqa: E402
from harness import FeeddTestCase, title_hash  # noqa: E402
from node_tools import NODE, NPM, NPX, missing_tools, npm_install, skip_unless  # noqa: E402

CACHE = os.environ.get("FEEDD_HEXO_TAGS_CACHE") or os.path.join(SOURCE_DIR, "build", "npm-cache", "hexo-tags")
SITE_SKELETON = os.path.join(SOURCE_DIR, "tests", "clients", "hexo_site")
NODE_ENV = dict(os.environ, TZ="America/New_York", NO_COLOR="1", npm_config_update_notifier="false")
PACKAGES = ["hexo@8", "hexo-renderer-marked", "hexo-generator-tag@2"]

TREE = """
categories:
  - name: 新媒体
    slug: xinmeiti
    sources:
      - name: 规则源
        slug: rules
        channels:
          - name: 频道
            slug: chan
            url: {base}/rules.xml
"""

# What the tag layout writes: the tag, then one <li> per post carrying it.
TAG_LAYOUT = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ page.tag }}</title></head><body>
<h1 id="tag">{{ page.tag }}</h1>
<ul>{% for post in page.posts.toArray() %}<li class="post">{{ post.title }}</li>{% endfor %}</ul>
</body></html>
"""


class TagPage(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tag, self.posts, self._in = None, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1" and attrs.get("id") == "tag":
            self._in = "tag"
        elif tag == "li" and attrs.get("class") == "post":
            self._in = "post"

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "tag":
            self.tag = data
        elif self._in == "post":
            self.posts.append(data)


@unittest.skipIf(NODE is None or NPM is None or NPX is None, "node/npm/npx missing")
class HexoTagsTest(FeeddTestCase):
    @classmethod
    def setUpClass(cls):
        npm_install(CACHE, PACKAGES, NODE_ENV)

    def setUp(self):
        super().setUp()
        self.write_config(TREE)
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertEqual(len(self.posts()), 3)

    def make_site(self):
        site = os.path.join(self.dir, "site")
        shutil.copytree(SITE_SKELETON, site)
        shutil.copytree(os.path.join(self.output, "posts"), os.path.join(site, "source", "_posts"))
        os.symlink(os.path.join(CACHE, "node_modules"), os.path.join(site, "node_modules"))
        with open(os.path.join(site, "package.json"), encoding="utf-8") as f:
            package = json.load(f)
        package["dependencies"]["hexo-generator-tag"] = "*"
        with open(os.path.join(site, "package.json"), "w", encoding="utf-8") as f:
            json.dump(package, f)
        with open(os.path.join(site, "themes", "feedd", "layout", "tag.njk"), "w", encoding="utf-8") as f:
            f.write(TAG_LAYOUT)
        return site

    def tag_pages(self, site):
        """{tag: [post titles]} from public/tags/*/index.html after `hexo generate`."""
        proc = subprocess.run([NPX, "--no-install", "hexo", "generate"], cwd=site, capture_output=True,
                              text=True, timeout=180, env=NODE_ENV)
        log = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, "hexo generate failed:\n" + log)
        self.assertNotRegex(log, r"\b(ERROR|FATAL)\b", log)
        pages = {}
        tags_dir = os.path.join(site, "public", "tags")
        for root, _, files in os.walk(tags_dir):
            if "index.html" in files:
                page = TagPage()
                with open(os.path.join(root, "index.html"), encoding="utf-8") as f:
                    page.feed(f.read())
                pages[page.tag] = sorted(page.posts)
        return pages

    def test_each_tag_has_a_page_listing_its_posts(self):
        site = self.make_site()
        self.assertEqual(self.tag_pages(site), {"运动": ["跑步播客第十期"], "播客": ["跑步播客第十期"]})

    def test_negative_control_without_the_tags_key_there_are_no_tag_pages(self):
        site = self.make_site()
        path = os.path.join(site, "source", "_posts", title_hash("跑步播客第十期") + ".md")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("tags: \n - 运动\n - 播客\n", text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("tags: \n - 运动\n - 播客\n", ""))
        self.assertEqual(self.tag_pages(site), {})


if __name__ == "__main__":
    skip_unless("client_hexo_tags", missing_tools(npx=True))
    harness.main()
