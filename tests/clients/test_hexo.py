"""client_hexo: Hexo 8 (from npm) builds the posts that the real `feedd once` and `feedd import` write.

The posts are made from fixture feeds served on loopback (tests/data/clients/hexo/feeds) plus one
imported article whose body holds `{{ }}` and `{% %}`. A minimal site (tests/clients/hexo_site)
is loaded twice: with Hexo's API (hexo_load.js) and with `npx hexo generate`. For every article
file, what Hexo made of it must equal what feedd wrote: title, date (UTC), category path in
order, author, link, headimg/thumbnail and body (untouched by Markdown and Nunjucks). Three
negative controls show that the checks can fail.

Exit 77 (CTest skip) only when node, npm or npx are missing, never under CI=true. Hexo is installed once into
FEEDD_HEXO_CACHE (a folder under the build tree) and reused. Node runs with TZ=America/New_York
so that a date read as local time shows up as a 4–5 hour shift.
"""
import datetime
import email.utils
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
import harness  # noqa: E402
from harness import DATA, FeeddTestCase  # noqa: E402
from node_tools import NODE, NPM, NPX, missing_tools, npm_install, skip_unless  # noqa: E402

HEXO_CACHE = os.environ.get("FEEDD_HEXO_CACHE") or os.path.join(SOURCE_DIR, "build", "npm-cache", "hexo")
FIXTURES = os.path.join(DATA, "clients", "hexo")
SITE_SKELETON = os.path.join(SOURCE_DIR, "tests", "clients", "hexo_site")
LOADER = os.path.join(SOURCE_DIR, "tests", "clients", "hexo_load.js")
NODE_ENV = dict(os.environ, TZ="America/New_York", NO_COLOR="1", npm_config_update_notifier="false")

TREE = """
categories:
  - name: 新媒体
    slug: xinmeiti
    sources:
      - name: ZAKER
        slug: zaker
        channels:
          - name: source
            route: /zaker_hexo.xml
      - name: 果壳网
        slug: guokr
        channels:
          - name: 科学人
            slug: scientific
            url: {base}/guokr_hexo.atom
      - name: 少数派
        slug: sspai
        channels:
          - name: "#精选: 周刊"
            slug: featured
            url: {base}/sspai_featured.xml
          - name: "2024"
            slug: y2024
            url: {base}/sspai_2024.rdf
"""

PROXY = "https://cors.zfour.workers.dev/?"
ZAKER = ["新媒体", "ZAKER", "source"]
GUOKR = ["新媒体", "果壳网", "科学人"]
FEATURED = ["新媒体", "少数派", "#精选: 周刊"]
Y2024 = ["新媒体", "少数派", "2024"]
NOW = "now"  # the item has no date: feedd uses the time it first saw it
# Its body has blank lines, indented markup and Markdown-looking text: marked ends an HTML block
# at a blank line, so feedd must write none.
BLANK_LINES_TITLE = "空行之后还是 HTML"

# What the fixtures say each article is, independently of feedd: title → (UTC date, category
# path, first image). Catches a front-matter that both YAML readers would misread the same way.
EXPECTED = {
    "It's “引号”: 50% off #1 — AT&T [新闻]":
        ("2021-07-14T02:10:00.000Z", ZAKER, PROXY + "http://zkres.myzaker.example/202107/quote_1024.jpg"),
    "- 以破折号开头 {{ 不是模板 }} & {% 也不是 %}":
        ("2021-07-13T14:45:00.000Z", ZAKER, "https://zkres.myzaker.example/202107/braces.png"),
    "2021-07-12": ("2021-07-12T08:00:00.000Z", ZAKER, None),
    "反斜杠 C:\\temp\\new 与 'single' \"double\"":
        ("2021-05-20T14:30:00.000Z", GUOKR, "https://2-im.guokr.example/backslash.png"),
    "多行 标题": ("2021-05-21T14:00:00.000Z", GUOKR, None),
    BLANK_LINES_TITLE: ("2021-05-22T00:00:00.000Z", GUOKR, "https://2-im.guokr.example/blank.png"),
    "null": ("2024-01-01T00:00:00.000Z", FEATURED, PROXY + "http://cdn.sspai.example/null.jpg"),
    "没有日期的文章": (NOW, FEATURED, None),
    "Ünïcödé ✓ 🚀 @mention `code` | pipe > gt": ("2024-02-29T15:59:59.000Z", Y2024, None),
    "模板语法 {{ }} 与 {% %} 的'导入'文章":
        ("2020-02-29T12:34:56.000Z", GUOKR, "https://2-im.guokr.example/import.png"),
}
BRACE_TITLES = ["- 以破折号开头 {{ 不是模板 }} & {% 也不是 %}", "模板语法 {{ }} 与 {% %} 的'导入'文章"]

HEXO_PACKAGES = ["hexo@8", "hexo-renderer-marked"]


def install_hexo():
    """hexo@8 + hexo-renderer-marked under HEXO_CACHE, once."""
    npm_install(HEXO_CACHE, HEXO_PACKAGES, NODE_ENV)


def unquote(value):
    """A front-matter scalar as feedd writes it: single-quoted ('' is ') or plain, read as text."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def read_article(text):
    """(front-matter fields, body) of a file in the seed format, read literally, not through YAML:
    a plain scalar stays the text that was written, which is what a reader must see."""
    m = re.match(r"\n---\n(.*?)\n---\n\n<div>   \n(.*)  \n</div>\n {12}\Z", text, re.S)
    if not m:
        raise AssertionError("not in the seed format: %r" % text[:200])
    fields, key = {}, None
    for line in m.group(1).split("\n"):
        if line.startswith(" - ") and isinstance(fields.get(key), list):
            fields[key].append(unquote(line[3:]))
            continue
        key, sep, value = line.partition(": ")
        if not sep and line.endswith(":"):
            key, value = line[:-1], ""
        value = value.strip(" ")
        fields[key] = unquote(value) if value else []
    return fields, m.group(2)


def iso_utc(rfc822):
    when = email.utils.parsedate_to_datetime(rfc822)
    if when.tzinfo is None:
        raise AssertionError("date without a zone: %r" % rfc822)
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def mismatches(hexo_posts, posts_dir, seen_between=None):
    """Every difference between Hexo's view of the posts and the article files in posts_dir, as
    readable lines; [] when Hexo saw exactly what feedd wrote."""
    problems = []
    by_source = {p["source"]: p for p in hexo_posts}
    names = sorted(os.listdir(posts_dir))
    if sorted(by_source) != ["_posts/" + n for n in names]:
        problems.append("Hexo loaded %s, the folder holds %s" % (sorted(by_source), names))
    for name in names:
        with open(os.path.join(posts_dir, name), encoding="utf-8") as f:
            fm, body = read_article(f.read())
        post = by_source.get("_posts/" + name)
        if post is None:
            continue

        def differ(what, got, want):
            if got != want:
                problems.append("%s %s: Hexo has %r, wanted %r" % (name, what, got, want))

        differ("title", post["title"], fm["title"])
        differ("date", post["date"], iso_utc(fm["date"]))
        differ("category path", post["categories"], [fm["categories"]])
        differ("author", post["author"], fm["author"])
        differ("link", post["link"], fm.get("link"))
        differ("headimg", post["headimg"], fm.get("headimg"))
        differ("thumbnail", post["thumbnail"], fm.get("thumbnail"))
        # marked passes the one-line HTML block through; Nunjucks must find nothing to expand.
        if body not in post["content"]:
            problems.append("%s body changed by Hexo:\n  wrote %r\n  got   %r" % (name, body, post["content"]))
        if fm["title"] not in EXPECTED:
            problems.append("%s: unexpected title %r" % (name, fm["title"]))
            continue
        date, path, image = EXPECTED[fm["title"]]
        if date == NOW:
            lo, hi = seen_between or (0, 0)
            stamp = datetime.datetime.strptime(post["date"], "%Y-%m-%dT%H:%M:%S.000Z").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            if not lo - 1 <= stamp <= hi + 1:
                problems.append("%s date %s is not the time feedd first saw it" % (name, post["date"]))
        else:
            differ("date (fixture)", post["date"], date)
        differ("category path (fixture)", post["categories"], [path])
        differ("headimg (fixture)", post["headimg"], image)
        differ("thumbnail (fixture)", post["thumbnail"], image)
    return problems


class DataAttribute(html.parser.HTMLParser):
    """The JSON the theme's post layout writes into <article id="feedd-post" data-feedd=…>."""

    def __init__(self):
        super().__init__()
        self.value = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article" and attrs.get("id") == "feedd-post":
            self.value = json.loads(attrs["data-feedd"])


@unittest.skipIf(NODE is None or NPM is None or NPX is None, "node/npm/npx missing")
class HexoTest(FeeddTestCase):
    @classmethod
    def setUpClass(cls):
        install_hexo()

    def setUp(self):
        super().setUp()
        for name in os.listdir(os.path.join(FIXTURES, "feeds")):
            shutil.copy(os.path.join(FIXTURES, "feeds", name), self.feeds_dir)
        self.write_config(TREE)
        started = time.time()
        once = self.feedd("once", "-c", "feeds.yaml", check=0)
        self.assertIn("channels: 4 ok, 0 failed; articles: 9 new", once.stdout, once.stderr)
        self.seen_between = (started, time.time())
        imported = self.feedd("import", "-c", "feeds.yaml", os.path.join(FIXTURES, "import"), check=0)
        self.assertIn("import: 1 new, 0 duplicate, 0 failed", imported.stdout, imported.stderr)
        self.posts_dir = os.path.join(self.output, "posts")
        self.assertEqual(len(self.posts()), len(EXPECTED))

    def make_site(self, name="site"):
        site = os.path.join(self.dir, name)
        shutil.copytree(SITE_SKELETON, site)
        shutil.copytree(self.posts_dir, os.path.join(site, "source", "_posts"))
        os.symlink(os.path.join(HEXO_CACHE, "node_modules"), os.path.join(site, "node_modules"))
        return site

    def load_with_api(self, site):
        out = os.path.join(self.dir, "hexo-posts.json")
        proc = subprocess.run([NODE, LOADER, site, out], capture_output=True, text=True, timeout=120, env=NODE_ENV)
        if proc.returncode != 0:
            return proc, None
        with open(out, encoding="utf-8") as f:
            return proc, json.load(f)

    def generate(self, site):
        return subprocess.run([NPX, "--no-install", "hexo", "generate"], cwd=site, capture_output=True,
                              text=True, timeout=180, env=NODE_ENV)

    def titles(self):
        """{file name: title as written} of every article file."""
        out = {}
        for name in self.posts():
            with open(os.path.join(self.posts_dir, name), encoding="utf-8") as f:
                out[name] = read_article(f.read())[0]["title"]
        return out

    def file_with_title(self, title):
        names = [name for name, t in self.titles().items() if t == title]
        self.assertEqual(len(names), 1, title)
        return names[0]

    def brace_files(self):
        return [self.file_with_title(t) for t in BRACE_TITLES]

    def assert_braces_kept_as_text(self, posts):
        by_source = {p["source"]: p for p in posts}
        for name in self.brace_files():
            content = by_source["_posts/" + name]["content"]
            self.assertIn("&#123;&#123; &#125;&#125;", content, name)
            self.assertIn("&#123;% %&#125;", content, name)
            self.assertIn("&#123;% if x %&#125;条件&#123;% endif %&#125;", content, name)

    def assert_no_markdown(self, posts):
        post = next(p for p in posts if p["title"] == BLANK_LINES_TITLE)
        for markdown in ("<em>", "<code>", "<a href=\"https://x.example/\">"):
            self.assertNotIn(markdown, post["content"])
        self.assertIn("_不是强调_ 和 *星号*", post["content"])
        self.assertIn("代码\n<!---->\n  缩进 &lt;b&gt;</pre>", post["content"])

    def test_api_loads_every_article_as_feedd_wrote_it(self):
        proc, posts = self.load_with_api(self.make_site())
        self.assertEqual(proc.returncode, 0, "Hexo's API rejected the site:\n" + proc.stderr)
        self.assertEqual(mismatches(posts, self.posts_dir, self.seen_between), [])
        self.assert_braces_kept_as_text(posts)
        self.assert_no_markdown(posts)

    def test_generate_builds_every_article_as_feedd_wrote_it(self):
        site = self.make_site()
        proc = self.generate(site)
        log = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, "hexo generate failed:\n" + log)
        self.assertNotRegex(log, r"\b(ERROR|FATAL)\b", log)
        posts = []
        for root, _, files in os.walk(os.path.join(site, "public")):
            for name in files:
                if name == "index.html":
                    page = DataAttribute()
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        page.feed(f.read())
                    self.assertIsNotNone(page.value, os.path.join(root, name))
                    self.assertEqual(os.path.relpath(root, os.path.join(site, "public")) + "/", page.value["path"])
                    posts.append(page.value)
        self.assertEqual(mismatches(posts, self.posts_dir, self.seen_between), [])
        self.assert_braces_kept_as_text(posts)
        self.assert_no_markdown(posts)

    def test_negative_control_unescaped_braces_fail_the_whole_site(self):
        # The same files with feedd's &#123;/&#125; undone: one post must take the site down, which
        # is what the escaping in the article file prevents.
        site = self.make_site()
        victim = self.brace_files()[1]
        path = os.path.join(site, "source", "_posts", victim)
        with open(path, encoding="utf-8") as f:
            raw = f.read().replace("&#123;", "{").replace("&#125;", "}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(raw)
        proc = self.generate(site)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("Nunjucks Error: _posts/" + victim, proc.stdout + proc.stderr)
        self.assertFalse(os.path.isdir(os.path.join(site, "public")) and any(
            f == "index.html" for _, _, files in os.walk(os.path.join(site, "public")) for f in files))
        api, posts = self.load_with_api(site)
        self.assertNotEqual(api.returncode, 0)
        self.assertIsNone(posts)
        self.assertIn("Nunjucks Error", api.stderr)

    def test_negative_control_plain_scalars_are_caught(self):
        # A writer that left title and categories unquoted: js-yaml reads a date and a hex number,
        # Hexo shows neither as written, and the comparison must say so.
        site = self.make_site()
        name = self.file_with_title("2021-07-12")
        path = os.path.join(site, "source", "_posts", name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("title: '2021-07-12'\n", "title: 2021-07-12\n").replace(" - source\n", " - 0x10\n")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        shutil.copy(path, self.posts_dir)  # what "feedd wrote" is now the unquoted file
        proc, posts = self.load_with_api(site)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        problems = mismatches(posts, self.posts_dir, self.seen_between)
        self.assertTrue(any(p.startswith(name + " title: ") for p in problems), problems)
        self.assertTrue(any(p.startswith(name + " category path: ") for p in problems), problems)
        self.assertEqual(len([p for p in problems if not p.startswith(name)]), 0, problems)

    def test_negative_control_blank_lines_turn_the_rest_into_markdown(self):
        # Without feedd's marks the blank lines are back, and marked renders what follows them as
        # Markdown: the body check must report it.
        site = self.make_site()
        name = self.file_with_title(BLANK_LINES_TITLE)
        path = os.path.join(site, "source", "_posts", name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("<!---->", text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("<!---->", "").replace("&#10;", "\n"))
        shutil.copy(path, self.posts_dir)
        proc, posts = self.load_with_api(site)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        content = next(p for p in posts if p["source"] == "_posts/" + name)["content"]
        self.assertIn("<pre><code>&lt;p&gt;缩进的第二段", content)  # the markup, shown as code
        self.assertIn("<code>反引号</code>", content)
        problems = mismatches(posts, self.posts_dir, self.seen_between)
        self.assertEqual([p.split(":")[0] for p in problems], [name + " body changed by Hexo"], problems)


if __name__ == "__main__":
    skip_unless("client_hexo", missing_tools(npx=True))
    harness.main()
