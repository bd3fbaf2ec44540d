"""client_posts: feedd's posts in Chromium, as a Hexo blog prints them and as a web reader shows
the emitted Atom entries; no payload may run and nothing may leave its post (issue 10).

The real `feedd once` reads hostile fixture feeds (tests/data/clients/posts/) served on loopback:
links of javascript:, vbscript: and data:, a link and image URLs with `"`, `<`, `>` and
backticks, bodies with stray end tags, a trailing `</`, raw `<`, framework data-* gadgets, event
handlers, script, svg/math, frames and script URLs, and titles of every Atom type. Each payload,
if it ran, calls pwned(id) or alert(id), which tests/clients/browser/post_pages.js records; each
body is bracketed by the texts feedd-case:<case>:begin and :end.

- The blog: Hexo 8 (npm) generates a site from the article files with Hexo's default theme,
  hexo-theme-landscape 1.1.0 (npm), whose layout/_partial/article.ejs prints `post.link` unescaped
  into the title's <a href>, the title escaped, and `post.content` inside
  <div class="e-content article-entry" itemprop="articleBody">, followed by
  <footer class="article-footer">; its own scripts (jQuery, source/js/script.js) run as on any
  landscape blog. Two lines are added to the theme, the way cover-image themes print a post's
  image: <img src="<%- post.headimg %>"> and the same for thumbnail. Every post page is loaded;
  where nodes landed is read from the served HTML as Chromium parses it, before the theme's
  scripts move anything.
- The reader: tests/clients/browser/reader.html fetches feeds/all.xml and inserts each entry's
  content with element.innerHTML inside <article class="entry">, as web feed readers do.

For every post: no pwned()/dialog from any frame or popup (after hovering everything and
activating every non-http(s) link and button); exactly one wrapper, followed by its footer (the
sentinel); both markers inside the wrapper and no marker anywhere else; nothing in the body that
runs or hosts code, no event handler, no data-* but DESIGN.md's inert ones, every body URL and
every front-matter URL printed by the theme (link, headimg, thumbnail) an absolute http(s) URL
with none of the bytes the URL contract escapes; a link that fails the contract left out; the
title shown as the text it means. Every case must be seen exactly once, so the test cannot pass
on zero posts; two negative controls show that the checks catch a raw payload.

Exit 77 (CTest skip) only when node/npm/npx or chromium are missing, never under CI=true.
Packages are installed once into FEEDD_LANDSCAPE_CACHE and FEEDD_PLAYWRIGHT_CACHE (build tree).
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
import harness  # noqa: E402
from harness import DATA, FeeddTestCase, FixtureServer  # noqa: E402
from node_tools import (BROWSER_DRIVERS, NODE, NPX, PLAYWRIGHT_ENV, install_playwright,  # noqa: E402
                        missing_tools, npm_install, skip_unless)

FIXTURES = os.path.join(DATA, "clients", "posts")
LANDSCAPE_CACHE = os.environ.get("FEEDD_LANDSCAPE_CACHE") or os.path.join(
    SOURCE_DIR, "build", "npm-cache", "landscape")
LANDSCAPE_PACKAGES = ["hexo@8", "hexo-renderer-marked", "hexo-renderer-ejs@2", "hexo-theme-landscape@1.1.0"]
SITE_SKELETON = os.path.join(BROWSER_DRIVERS, "landscape_site")
READER = os.path.join(BROWSER_DRIVERS, "reader.html")
DRIVER = os.path.join(BROWSER_DRIVERS, "post_pages.js")
NODE_ENV = dict(os.environ, NO_COLOR="1", npm_config_update_notifier="false")

TREE = """
categories:
  - name: 测试
    slug: test
    sources:
      - name: Hostile
        slug: hostile
        channels:
          - name: rss
            url: {base}/hostile.xml
          - name: atom
            url: {base}/titles.atom
"""

# Where landscape prints headimg/thumbnail in this test: after the gallery partial, in the
# article's .article-inner (outside the body's wrapper), raw (<%- %>) as themes print URLs.
LANDSCAPE_ARTICLE = os.path.join("layout", "_partial", "article.ejs")
LANDSCAPE_ANCHOR = "    <%- partial('post/gallery') %>\n"
LANDSCAPE_FRONT_IMAGES = (
    "    <% if (post.headimg){ %><img class=\"feedd-headimg\" src=\"<%- post.headimg %>\"><% } %>\n"
    "    <% if (post.thumbnail){ %><img class=\"feedd-thumbnail\" src=\"<%- post.thumbnail %>\"><% } %>\n")


class Case(collections.namedtuple("Case", "title link image end text")):
    """What a fixture item must look like on a page: the title text shown; whether the post has
    a link (False: the URL contract leaves it out); whether it has a headimg/thumbnail; whether
    its body ends with the :end marker; substrings of the body's text."""


def case(title, link=True, image=False, end=True, text=()):
    return Case(title, link, image, end, tuple(text))


CASES = {
    "link-javascript": case("Case link-javascript", link=False),
    "link-javascript-tab": case("Case link-javascript-tab", link=False),
    "link-vbscript": case("Case link-vbscript", link=False),
    "link-data": case("Case link-data", link=False),
    "link-quote": case("Case link-quote"),
    "link-escapes": case("Case link-escapes"),
    "img-quote": case("Case img-quote", image=True),
    "img-angle": case("Case img-angle", image=True),
    "img-backtick": case("Case img-backtick", image=True),
    "img-lazy": case("Case img-lazy", image=True),
    "img-javascript": case("Case img-javascript", image=True),
    "img-alt": case("Case img-alt", image=True),
    "stray-end-tags": case("Case stray-end-tags", text=["x"]),
    "stray-structure": case("Case stray-structure"),
    "trailing-lt-slash": case("Case trailing-lt-slash", end=False, text=["tail"]),
    "raw-lt": case("Case raw-lt", text=["会员 <共通> 1 < 2"]),
    "data-attributes": case("Case data-attributes", image=True, text=["ng", "tip"]),
    "event-attributes": case("Case event-attributes", image=True, text=["hover"]),
    "script": case("Case script"),
    "svg-math": case("Case svg-math"),
    "frames": case("Case frames"),
    "href-javascript": case("Case href-javascript"),
    "title-html": case("Tom & Jerry 新版"),
    "title-xhtml": case("A bold & xhtml title"),
    "title-script": case("脚本 <标题>"),
}

# The URL contract (DESIGN.md; lib/curl web_url): absolute http(s), and none of the bytes it
# percent-encodes (controls, space, non-ASCII, "<>`{}|^\).
URL_OK = re.compile(r"https?://[^\x00-\x20\"<>`{}|^\\\x7f-\U0010ffff]+\Z")


def judge(report, cases, kind):
    """{case id, or "*" for the whole run: [problem, ...]} for everything on the pages that
    breaks the rules in this file's docstring; {} when every case was seen once and is clean."""
    problems = collections.defaultdict(list)
    seen = collections.Counter()
    for page in report["pages"]:
        name = page["name"]
        if page.get("error") or page.get("status") != 200 or not page.get("dom"):
            problems["*"].append("%s: not loaded (status %s): %s" % (name, page.get("status"), page.get("error")))
            continue
        dom = page["dom"]
        page_cases = set()
        for art in dom["articles"]:
            ids = sorted({m.split(":")[0] for m in art["markers"] if m.endswith(":begin")})
            if len(ids) != 1 or ids[0] not in cases:
                problems["*"].append("%s: an article with begin markers %s (title %r)" % (name, ids, art["title"]))
                continue
            cid = ids[0]
            page_cases.add(cid)
            seen[cid] += 1
            want = cases[cid]
            out = problems[cid]
            if art["entries"] != 1 or art["sentinels"] != 1 or not art["sentinelNext"]:
                out.append("%s: the body's wrapper is not followed by its footer (wrappers %d, footers %d, "
                           "next sibling %s): the body closed the wrapper or swallowed what follows"
                           % (kind, art["entries"], art["sentinels"], art["next"]))
            expected = {cid + ":begin"} | ({cid + ":end"} if want.end else set())
            if sorted(art["markers"]) != sorted(expected):
                out.append("%s: markers inside the wrapper are %s, wanted %s" % (kind, art["markers"], sorted(expected)))
            for v in art["violations"]:
                out.append("%s: body holds %s" % (kind, v))
            for u in art["urls"]:
                if not URL_OK.match(u["value"]):
                    out.append("%s: body URL breaks the contract: %s=%r" % (kind, u["attr"], u["value"]))
            links = art["titleLinks"]
            if want.link and len(links) != 1:
                out.append("%s: title links %r, wanted the post's link" % (kind, links))
            if not want.link and links:
                out.append("%s: title links %r, wanted none (the contract leaves the link out)" % (kind, links))
            for href in links:
                if href is None or not URL_OK.match(href):
                    out.append("%s: link printed into <a href> breaks the contract: %r" % (kind, href))
            if kind == "blog":
                images = art["frontImages"]
                if want.image and sorted(i["cls"] for i in images) != ["feedd-headimg", "feedd-thumbnail"]:
                    out.append("blog: headimg/thumbnail printed %r, wanted both" % images)
                if not want.image and images:
                    out.append("blog: headimg/thumbnail printed %r, wanted none" % images)
                for img in images:
                    if img["src"] is None or not URL_OK.match(img["src"]):
                        out.append("blog: %s printed into <img src> breaks the contract: %r" % (img["cls"], img["src"]))
            if art["title"] != want.title:
                out.append("%s: title shown as %r, wanted %r" % (kind, art["title"], want.title))
            for t in want.text:
                if t not in (art["text"] or ""):
                    out.append("%s: body text %r lacks %r" % (kind, art["text"], t))
        owner = next(iter(page_cases)) if kind == "blog" and len(page_cases) == 1 else "*"
        if kind == "blog" and len(dom["articles"]) != 1:
            problems[owner].append("blog %s: %d articles on a post page" % (name, len(dom["articles"])))
        for m in dom["outside"]:
            problems[m["marker"].split(":")[0]].append("%s: marker %s outside every wrapper, at %s"
                                                       % (kind, m["marker"], m["path"]))
        for r in page["ran"]:
            problems[owner].append("%s %s: payload %r RAN (%s in %s)" % (kind, name, r["id"], r["via"], r["frame"]))
    for cid in cases:
        if seen[cid] != 1:
            problems[cid].append("%s: seen %d times, wanted once" % (kind, seen[cid]))
    return {k: v for k, v in problems.items() if v}


def show(problems):
    return "\n".join("%s:\n  %s" % (k, "\n  ".join(v)) for k, v in sorted(problems.items()))


@unittest.skipIf(missing_tools(npx=True, chromium=True), "node/npm/npx or chromium missing")
class PostPagesTest(FeeddTestCase):
    @classmethod
    def setUpClass(cls):
        install_playwright()
        npm_install(LANDSCAPE_CACHE, LANDSCAPE_PACKAGES, NODE_ENV)

    def setUp(self):
        super().setUp()
        self.addCleanup(self.server.proc.stdout.close)  # the harness leaves its port pipe open
        for name in os.listdir(FIXTURES):
            shutil.copy(os.path.join(FIXTURES, name), self.feeds_dir)
        # hotlink: feedd never fetches the (hostile) image URLs.
        self.write_config(TREE, images="hotlink")
        self.feedd("once", "-c", "feeds.yaml", check=0)
        self.posts_dir = os.path.join(self.output, "posts")

    def serve(self, root):
        server = FixtureServer(root)
        self.addCleanup(server.stop)
        self.addCleanup(server.proc.stdout.close)
        return server

    def drive(self, pages):
        jobs, report = os.path.join(self.dir, "jobs.json"), os.path.join(self.dir, "report.json")
        with open(jobs, "w", encoding="utf-8") as f:
            json.dump({"pages": pages}, f)
        proc = subprocess.run([NODE, DRIVER, jobs, report], capture_output=True, text=True, timeout=400,
                              env=PLAYWRIGHT_ENV)
        self.assertEqual(proc.returncode, 0, "the Chromium driver failed:\n%s%s" % (proc.stdout, proc.stderr))
        with open(report, encoding="utf-8") as f:
            return json.load(f)

    # The blog.

    def make_site(self, posts, name="site"):
        """A landscape site over the article files `posts` ({file name: text}), generated."""
        site = os.path.join(self.dir, name)
        shutil.copytree(SITE_SKELETON, site)
        os.makedirs(os.path.join(site, "source", "_posts"))
        for post, text in posts.items():
            with open(os.path.join(site, "source", "_posts", post), "w", encoding="utf-8") as f:
                f.write(text)
        theme = os.path.join(site, "themes", "landscape")
        shutil.copytree(os.path.join(LANDSCAPE_CACHE, "node_modules", "hexo-theme-landscape"), theme)
        with open(os.path.join(theme, LANDSCAPE_ARTICLE), encoding="utf-8") as f:
            article = f.read()
        self.assertEqual(article.count(LANDSCAPE_ANCHOR), 1, "landscape's article.ejs changed")
        with open(os.path.join(theme, LANDSCAPE_ARTICLE), "w", encoding="utf-8") as f:
            f.write(article.replace(LANDSCAPE_ANCHOR, LANDSCAPE_ANCHOR + LANDSCAPE_FRONT_IMAGES))
        os.symlink(os.path.join(LANDSCAPE_CACHE, "node_modules"), os.path.join(site, "node_modules"))
        proc = subprocess.run([NPX, "--no-install", "hexo", "generate"], cwd=site, capture_output=True, text=True,
                              timeout=300, env=NODE_ENV)
        log = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, "hexo generate failed:\n" + log)
        self.assertNotRegex(log, r"\b(ERROR|FATAL)\b", log)
        return os.path.join(site, "public")

    def blog_report(self, posts, name="site"):
        """The driver's report on the post page of every article file in `posts`."""
        public = self.make_site(posts, name)
        pages = {}
        for root, _, files in os.walk(public):
            stem = os.path.basename(root)
            if "index.html" in files and stem + ".md" in posts:
                pages[stem + ".md"] = os.path.relpath(os.path.join(root, "index.html"), public)
        self.assertEqual(sorted(pages), sorted(posts), "a post page per article file")
        server = self.serve(public)
        return self.drive([{"name": post, "kind": "blog", "url": "%s/%s" % (server.base, path)}
                           for post, path in sorted(pages.items())])

    def article_files(self):
        out = {}
        for name in self.posts():
            with open(os.path.join(self.posts_dir, name), encoding="utf-8") as f:
                out[name] = f.read()
        return out

    def test_blog_post_pages_run_nothing_and_keep_each_post_in_its_article(self):
        posts = self.article_files()
        self.assertEqual(len(posts), len(CASES), sorted(posts))
        report = self.blog_report(posts)
        self.assertEqual(len(report["pages"]), len(CASES))
        problems = judge(report, CASES, "blog")
        if problems:
            self.fail("%d of %d cases broken:\n%s" % (len(problems), len(CASES), show(problems)))

    def test_negative_control_blog_catches_a_raw_payload(self):
        # A real article file with what an unchecked writer would put there: a script link, a raw
        # image URL, stray end tags, an event handler, a gadget, a script link in the body. Every
        # check must fire.
        name, text = sorted(self.article_files().items())[0]
        head, sep, _ = text.partition("\n---\n\n")
        head = re.sub(r"\n(link|headimg|thumbnail): .*", "", head)
        head += ("\nlink: 'javascript:pwned(''control-link'')'"
                 "\nheadimg: 'http://img.feedd.example/x y.jpg\"onerror=\"pwned(''control-headimg'')'")
        body = ("<p>feedd-case:control:begin</p><img src=\"x\" onerror=\"pwned('control-onerror')\" "
                "data-ng-init=\"x\"><a href=\"javascript:pwned('control-click')\">c</a>"
                "<b>x</b></div></div><p>feedd-case:control:end</p>")
        text = head + sep + "<div>   \n" + body + "  \n</div>\n" + " " * 12
        report = self.blog_report({name: text}, "control")
        problems = judge(report, {"control": case("ignored", image=True)}, "blog")["control"]
        found = "\n".join(problems)
        for ran in ("control-link", "control-headimg", "control-onerror", "control-click"):
            self.assertIn("payload %r RAN" % ran, found)
        self.assertIn("the body's wrapper is not followed by its footer", found)
        self.assertIn("marker control:end outside every wrapper", found)
        self.assertIn("event handler <img onerror=", found)
        self.assertIn("data attribute <img data-ng-init=", found)
        self.assertIn("body URL breaks the contract: a[href]=\"javascript:", found)
        self.assertIn("link printed into <a href> breaks the contract", found)
        self.assertIn("feedd-headimg printed into <img src> breaks the contract", found)
        self.assertIn("title shown as", found)

    # The reader.

    def reader_report(self, feed_xml):
        root = os.path.join(self.dir, "reader")
        os.makedirs(root)
        shutil.copy(READER, root)
        with open(os.path.join(root, "feed.xml"), "wb") as f:
            f.write(feed_xml)
        server = self.serve(root)
        return self.drive([{"name": "all.xml", "kind": "reader", "url": server.base + "/reader.html?feed=/feed.xml"}])

    def test_reader_runs_nothing_and_keeps_each_entry_in_its_article(self):
        with open(os.path.join(self.output, "feeds", "all.xml"), "rb") as f:
            report = self.reader_report(f.read())
        page = report["pages"][0]
        self.assertEqual(page["dom"]["state"], "done %d" % len(CASES), page)
        problems = judge(report, CASES, "reader")
        if problems:
            self.fail("%d of %d cases broken:\n%s" % (len(problems), len(CASES), show(problems)))

    def test_negative_control_reader_catches_a_raw_payload(self):
        atom = "{http://www.w3.org/2005/Atom}"
        ET.register_namespace("", atom[1:-1])
        with open(os.path.join(self.output, "feeds", "all.xml"), "rb") as f:
            feed = ET.fromstring(f.read())
        entries = feed.findall(atom + "entry")
        self.assertGreater(len(entries), 1)
        for extra in entries[1:]:
            feed.remove(extra)
        entry = entries[0]
        title = entry.find(atom + "title")
        title.set("type", "html")
        title.text = "<img src=x onerror=pwned('control-title')>"
        for link in entry.findall(atom + "link"):
            link.set("href", "javascript:pwned('control-link')")
        content = entry.find(atom + "content")
        content.set("type", "html")
        content.text = ("<p>feedd-case:control:begin</p><img src=x onerror=pwned('control-onerror')>"
                        "<a href=\"javascript:pwned('control-click')\">c</a><p>feedd-case:control:end</p>")
        report = self.reader_report(ET.tostring(feed, encoding="utf-8"))
        problems = judge(report, {"control": case("ignored")}, "reader")
        found = "\n".join(problems["*"] + problems["control"])
        for ran in ("control-title", "control-link", "control-onerror", "control-click"):
            self.assertIn("payload %r RAN" % ran, found)
        self.assertIn("event handler <img onerror=", found)
        self.assertIn("link printed into <a href> breaks the contract: \"javascript:", found)


if __name__ == "__main__":
    skip_unless("client_posts", missing_tools(npx=True, chromium=True))
    harness.main()
