#include "article/article_file.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "article/article.hpp"

namespace feedd::article {
namespace {

using namespace std::chrono;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

sys_seconds at(year_month_day day, hours h, minutes m, seconds s) {
  return sys_days(day) + h + m + s;
}

Article sample() {
  Article a;
  a.title = "夜市'回来了'";
  a.hash = title_hash(a.title);
  a.categories = {"新媒体", "测试源", "频道一"};
  a.author = "测试源";
  a.date = at(2021y / May / 21, 14h, 0min, 0s);
  a.link = "https://news.example.com/a/1";
  a.image = "https://img.example.com/1.jpg";
  a.html = "<p>正文</p>";
  return a;
}

// ---- YAML building blocks ----

struct ScalarCase {
  std::string in;
  std::string out;
};

TEST(YamlScalar, PlainWhenYamlAllowsQuotedOtherwise) {
  const std::vector<ScalarCase> cases = {
      {"新媒体", "新媒体"},
      {"ZAKER", "ZAKER"},
      {"source", "source"},
      {"36氪", "36氪"},
      {"Web 2.0", "Web 2.0"},
      {"C#", "C#"},
      {"a:b", "a:b"},
      {"it's", "it's"},
      {"say \"hi\"", "say \"hi\""},
      {"", "''"},
      {" lead", "' lead'"},
      {"trail ", "'trail '"},
      {"true", "'true'"},
      {"False", "'False'"},
      {"yes", "'yes'"},
      {"off", "'off'"},
      {"null", "'null'"},
      {"NULL", "'NULL'"},
      {"~", "'~'"},
      {"123", "'123'"},
      {"-7", "'-7'"},
      {"1.5e3", "'1.5e3'"},
      {".5", "'.5'"},
      {"0x1F", "'0x1F'"},
      {".inf", "'.inf'"},
      {".NaN", "'.NaN'"},
      {"12:30", "'12:30'"},
      {"2021-05-21", "'2021-05-21'"},
      {"2021-05-21 14:00:00 +08:00", "'2021-05-21 14:00:00 +08:00'"},
      {"-foo", "'-foo'"},
      {"- item", "'- item'"},
      {"?x", "'?x'"},
      {":x", "':x'"},
      {",x", "',x'"},
      {"[x]", "'[x]'"},
      {"{x}", "'{x}'"},
      {"#tag", "'#tag'"},
      {"&anchor", "'&anchor'"},
      {"*alias", "'*alias'"},
      {"!tag", "'!tag'"},
      {"|x", "'|x'"},
      {">x", "'>x'"},
      {"'q'", "'''q'''"},
      {"\"q\"", "'\"q\"'"},
      {"%x", "'%x'"},
      {"@某某", "'@某某'"},
      {"`x`", "'`x`'"},
      {"key: value", "'key: value'"},
      {"a #comment", "'a #comment'"},
      {"ends:", "'ends:'"},
  };
  for (const auto& c : cases) {
    const std::string got = yaml_scalar(c.in);
    EXPECT_EQ(got, c.out) << "input [" << c.in << "]";
    // Whatever the form, YAML must read back the very same string.
    const YAML::Node node = YAML::Load("k: " + got)["k"];
    ASSERT_TRUE(node.IsScalar()) << got;
    EXPECT_EQ(node.Scalar(), c.in) << got;
    EXPECT_EQ(node.Tag() == "?", got == c.in) << "plain iff unquoted: " << got;
  }
}

TEST(YamlSingleQuoted, DoublesQuotes) {
  const std::vector<ScalarCase> cases = {
      {"", "''"},
      {"abc", "'abc'"},
      {"it's", "'it''s'"},
      {"''", "''''''"},
      {"“弯引号”与'直引号'", "'“弯引号”与''直引号'''"},
      {"# not a comment: really", "'# not a comment: really'"},
  };
  for (const auto& c : cases) {
    const std::string got = yaml_single_quoted(c.in);
    EXPECT_EQ(got, c.out);
    EXPECT_EQ(YAML::Load("k: " + got)["k"].Scalar(), c.in);
  }
}

TEST(FoldToLine, LineBreaksAndControlsBecomeSpaces) {
  const std::vector<ScalarCase> cases = {
      {"plain", "plain"},
      {"a\nb", "a b"},
      {"a \r\n  b", "a b"},
      {"a\rb", "a b"},
      {"a\n\n\nb", "a b"},
      {"a\tb", "a b"},
      {"a\x01"
       "b\x7f"
       "c",
       "a b c"},
      {"a\xc2\x85"
       "b",
       "a b"},  // NEL
      {"a\xc2\x9b"
       "b",
       "a b"},  // another C1 control
      {"a\xe2\x80\xa8"
       "b",
       "a b"},                     // LINE SEPARATOR
      {"a\xe2\x80\xa9 b", "a b"},  // PARAGRAPH SEPARATOR
      {"\n标题\n", " 标题 "},
      {"  two  spaces  ", "  two  spaces  "},  // not trimmed, inner runs kept
      {"bad\xff"
       "utf8",
       "bad\xff"
       "utf8"},
      {"全角\xe3\x80\x80空格", "全角\xe3\x80\x80空格"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(fold_to_line(c.in), c.out) << "[" << c.in << "]";
}

TEST(Braces, EscapedBothWaysAndNothingElse) {
  const std::vector<ScalarCase> cases = {
      {"", ""},
      {"no braces", "no braces"},
      {"{{ x }}", "&#123;&#123; x &#125;&#125;"},
      {"{% raw %}", "&#123;% raw %&#125;"},
      {"a}b{c", "a&#125;b&#123;c"},
      {"&amp; &#124;", "&amp; &#124;"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(escape_braces(c.in), c.out);
    EXPECT_EQ(unescape_braces(c.out), c.in);
  }
  EXPECT_EQ(unescape_braces("&#123&#125;&#12;"), "&#123}&#12;");
}

// ---- render ----

TEST(RenderArticleFile, ExactLayoutWithImageAndLink) {
  const std::string expected =
      "\n"
      "---\n"
      "title: '夜市''回来了'''\n"
      "categories: \n"
      " - 新媒体\n"
      " - 测试源\n"
      " - 频道一\n"
      "headimg: 'https://img.example.com/1.jpg'\n"
      "author: 测试源\n"
      "comments: false\n"
      "date: Fri, 21 May 2021 14:00:00 GMT\n"
      "thumbnail: 'https://img.example.com/1.jpg'\n"
      "link: 'https://news.example.com/a/1'\n"
      "---\n"
      "\n"
      "<div>   \n"
      "<p>正文</p>  \n"
      "</div>\n"
      "            ";
  EXPECT_EQ(render_article_file(sample()), expected);
}

TEST(RenderArticleFile, OmitsImageKeysAndLinkWhenEmpty) {
  Article a = sample();
  a.image.clear();
  a.link.clear();
  a.html = "{{ x }}";
  a.categories = {"新媒体", "true", ""};
  a.author = "a: b";
  a.title = "第一行\n  第二行\t尾";
  const std::string expected =
      "\n---\n"
      "title: '第一行 第二行 尾'\n"
      "categories: \n"
      " - 新媒体\n"
      " - 'true'\n"
      " - ''\n"
      "author: 'a: b'\n"
      "comments: false\n"
      "date: Fri, 21 May 2021 14:00:00 GMT\n"
      "---\n\n<div>   \n"
      "&#123;&#123; x &#125;&#125;  \n</div>\n            ";
  EXPECT_EQ(render_article_file(a), expected);
}

// A theme prints link, headimg and thumbnail into attributes unescaped (landscape: post.link
// in an href): each is written only under the URL contract, else left out with its key.
TEST(RenderArticleFile, FrontMatterUrlsFollowTheUrlContract) {
  struct Case {
    std::string url;
    std::string written;  // "" = the key is left out
  };
  const std::vector<Case> cases = {
      {"https://news.example.com/a/1", "https://news.example.com/a/1"},
      {"javascript:alert(1)", ""},
      {"JavaScript:alert(document.domain)//http://x", ""},
      {"vbscript:msgbox(1)", ""},
      {"data:text/html,<script>alert(1)</script>", ""},
      {"/relative/1", ""},
      {"http://example.com/\"><script>alert(1)</script>",
       "http://example.com/%22%3e%3cscript%3ealert(1)%3c/script%3e"},
      {"https://a.example/?http://example.com/\"onerror=alert(1)//",
       "https://a.example/?http://example.com/%22onerror=alert(1)//"},
      {"https://a.example/`x` <y>", "https://a.example/%60x%60%20%3cy%3e"},
      {"https://a.example/路径", "https://a.example/%e8%b7%af%e5%be%84"},
      {"https://a.example/it's", "https://a.example/it's"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    Article a = sample();
    a.link = c.url;
    a.image = c.url;
    const std::string file = render_article_file(a);
    if (c.written.empty()) {
      EXPECT_EQ(file.find("\nlink:"), std::string::npos) << file;
      EXPECT_EQ(file.find("\nheadimg:"), std::string::npos) << file;
      EXPECT_EQ(file.find("\nthumbnail:"), std::string::npos) << file;
    } else {
      const std::string quoted = yaml_single_quoted(c.written);
      EXPECT_NE(file.find("\nlink: " + quoted + "\n"), std::string::npos) << file;
      EXPECT_NE(file.find("\nheadimg: " + quoted + "\n"), std::string::npos) << file;
      EXPECT_NE(file.find("\nthumbnail: " + quoted + "\n"), std::string::npos) << file;
    }
    const ReadResult r = read_article_file(file, "urls.md");
    ASSERT_TRUE(r.article) << r.error;
    EXPECT_EQ(r.article->link, c.written);
    EXPECT_EQ(r.article->image, c.written);
  }
}

// ---- read ----

void expect_same(const Article& got, const Article& want) {
  EXPECT_EQ(got.title, want.title);
  EXPECT_EQ(got.hash, title_hash(want.title));
  EXPECT_EQ(got.categories, want.categories);
  EXPECT_EQ(got.author, want.author);
  EXPECT_EQ(got.date, want.date);
  EXPECT_EQ(got.link, want.link);
  EXPECT_EQ(got.image, want.image);
  EXPECT_EQ(got.html, want.html);
  EXPECT_EQ(got.guid, "");
  EXPECT_EQ(got.creator, want.creator);
  EXPECT_EQ(got.tags, want.tags);
  EXPECT_EQ(got.enclosures, want.enclosures);
}

TEST(ReadArticleFile, OwnFileWithLink) {
  const std::string text = read_file(FEEDD_TEST_DATA "/article/files/with_link.md");
  ASSERT_FALSE(text.empty());
  const ReadResult r = read_article_file(text, "with_link.md");
  ASSERT_TRUE(r.article) << r.error;
  Article want;
  want.title = "小城的'夜市'又热闹起来了";
  want.categories = {"新媒体", "测试源", "频道一"};
  want.author = "测试源";
  want.date = at(2021y / June / 5, 12h, 30min, 0s);
  want.link = "https://news.example.com/a/1?from=rss";
  want.image = "https://img.example.com/night.jpg";
  want.html =
      "<p>傍晚六点，摊主们陆续出摊。</p><img src=\"https://img.example.com/night.jpg\" "
      "referrerpolicy=\"no-referrer\"><p>模板 {{ x }}</p>";
  expect_same(*r.article, want);
  EXPECT_EQ(render_article_file(*r.article), text);

  // The same file saved with CRLF line ends reads the same.
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const ReadResult from_crlf = read_article_file(crlf, "with_link.md");
  ASSERT_TRUE(from_crlf.article) << from_crlf.error;
  expect_same(*from_crlf.article, want);
}

TEST(ReadArticleFile, OwnFileWithoutLinkOrImage) {
  const std::string text = read_file(FEEDD_TEST_DATA "/article/files/no_image.md");
  ASSERT_FALSE(text.empty());
  const ReadResult r = read_article_file(text, "no_image.md");
  ASSERT_TRUE(r.article) << r.error;
  Article want;
  want.title = "没有图片，也没有原文链接";
  want.categories = {"新媒体", "true", "2021"};
  want.author = "@某某";
  want.date = at(2021y / February / 1, 0h, 0min, 5s);
  want.html = "<p>第一段。</p>\n<p>第二段。</p>\n";
  expect_same(*r.article, want);
  EXPECT_EQ(render_article_file(*r.article), text);
}

TEST(ReadArticleFile, ToleratesOtherTrailingWhitespaceAndThumbnailOnly) {
  const std::string text =
      "---\n"
      "title: '手写的\n\n  文件'\n"
      "categories: 单个分类\n"
      "date: Fri, 21 May 2021 14:00:00 GMT\n"
      "thumbnail: 'https://img.example.com/t.png'\n"
      "---\n"
      "<div>\n"
      "<p>x</p>\n"
      "</div>";
  const ReadResult r = read_article_file(text, "hand.md");
  ASSERT_TRUE(r.article) << r.error;
  EXPECT_EQ(r.article->title, "手写的 文件");  // YAML's newline folded like any line break
  EXPECT_EQ(r.article->categories, std::vector<std::string>{"单个分类"});
  EXPECT_EQ(r.article->author, "");
  EXPECT_EQ(r.article->image, "https://img.example.com/t.png");
  EXPECT_EQ(r.article->html, "<p>x</p>");
}

TEST(ReadArticleFile, Seeds) {
  // The seeds live beside the repository (../shared/seeds); a checkout without them skips.
  std::filesystem::path dir = "/work/shared/seeds";
  if (!std::filesystem::is_directory(dir)) dir = FEEDD_SOURCE_DIR "/../shared/seeds";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no seeds beside the repository";

  struct SeedCase {
    std::string file;
    std::vector<std::string> categories;
    std::string author;
    sys_seconds date;
    std::string image_prefix;
  };
  const std::vector<SeedCase> cases = {
      {"000_29836d6287dfcbbd.txt",
       {"新媒体", "果壳网", "科学人"},
       "果壳网",
       at(2021y / May / 21, 14h, 0min, 0s),
       "https://2-im.guokr.com/"},
      {"001_0b644f8e25f54683.txt",
       {"新媒体", "ZAKER", "source"},
       "ZAKER",
       at(2021y / May / 19, 22h, 3min, 11s),
       "https://cors.zfour.workers.dev/?http://zkres2."},
      {"002_bc2597a94dd873a4.txt",
       {"新媒体", "ZAKER", "source"},
       "ZAKER",
       at(2021y / July / 12, 18h, 8min, 20s),
       "https://cors.zfour.workers.dev/?http://zkres1."},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string text = read_file(dir / c.file);
    ASSERT_FALSE(text.empty());
    const ReadResult r = read_article_file(text, c.file);
    ASSERT_TRUE(r.article) << r.error;
    const Article& a = *r.article;
    EXPECT_FALSE(a.title.empty());
    EXPECT_EQ(a.title.find('\''), std::string::npos);
    EXPECT_EQ(a.hash, title_hash(a.title));
    EXPECT_EQ(a.categories, c.categories);
    EXPECT_EQ(a.author, c.author);
    EXPECT_EQ(a.date, c.date);
    EXPECT_TRUE(a.image.starts_with(c.image_prefix)) << a.image;
    EXPECT_EQ(a.link, "");
    EXPECT_TRUE(a.html.starts_with("<")) << a.html.substr(0, 40);
    EXPECT_EQ(a.html.find("</div>\n "), std::string::npos);
    // The seeds have no `link:`, so our renderer reproduces them byte for byte.
    EXPECT_EQ(render_article_file(a), text);
  }
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string error;
};

TEST(ReadArticleFile, ErrorsNameFileAndLine) {
  const std::string date = "date: Fri, 21 May 2021 14:00:00 GMT\n";
  const std::string body = "\n<div>   \n<p>x</p>  \n</div>\n            ";
  const std::vector<ErrorCase> cases = {
      {"empty", "", "x.md:1: missing front-matter (expected '---')"},
      {"blank only", "\n\n", "x.md:3: missing front-matter (expected '---')"},
      {"no dashes", "title: x\n", "x.md:1: missing front-matter (expected '---')"},
      {"unterminated", "\n---\ntitle: 'a'\n" + date,
       "x.md:2: unterminated front-matter (expected '---')"},
      {"missing title", "\n---\nauthor: x\n" + date + "---\n" + body, "x.md:5: missing 'title'"},
      {"title is a list", "\n---\ntitle:\n - a\n" + date + "---\n" + body,
       "x.md:4: 'title' is not a string"},
      {"empty title", "\n---\ntitle: '  '\n" + date + "---\n" + body, "x.md:3: empty 'title'"},
      {"missing date", "\n---\ntitle: a\n---\n" + body, "x.md:4: missing 'date'"},
      {"bad date", "\n---\ntitle: a\ncategories: \n - b\nauthor: c\ndate: someday\n---\n" + body,
       "x.md:7: bad date \"someday\""},
      {"yaml syntax", "\n---\ntitle: a\ncategories: [b\n" + date + "---\n" + body,
       "x.md:5: bad front-matter: end of sequence flow not found"},
      {"not a mapping", "\n---\n- a\n---\n" + body, "x.md:3: front-matter is not a mapping"},
      {"categories map", "\n---\ntitle: a\ncategories:\n  k: v\n" + date + "---\n" + body,
       "x.md:5: 'categories' is not a list"},
      {"category not a string", "\n---\ntitle: a\ncategories:\n - [v]\n" + date + "---\n" + body,
       "x.md:5: 'categories' entries must be strings"},
      {"link is a map", "\n---\ntitle: a\n" + date + "link:\n  k: v\n---\n" + body,
       "x.md:6: 'link' is not a string"},
      {"tags map", "\n---\ntitle: a\n" + date + "tags:\n  k: v\n---\n" + body,
       "x.md:6: 'tags' is not a list"},
      {"tag not a string", "\n---\ntitle: a\n" + date + "tags:\n - ok\n - [v]\n---\n" + body,
       "x.md:7: 'tags' entries must be strings"},
      {"creator is a list", "\n---\ntitle: a\n" + date + "creator:\n - x\n---\n" + body,
       "x.md:6: 'creator' is not a string"},
      {"enclosures scalar", "\n---\ntitle: a\n" + date + "enclosures: x\n---\n" + body,
       "x.md:5: 'enclosures' is not a list"},
      {"enclosure without url",
       "\n---\ntitle: a\n" + date + "enclosures:\n - type: audio/mpeg\n---\n" + body,
       "x.md:6: 'enclosures' entries must be mappings with a 'url' string"},
      {"enclosure a string",
       "\n---\ntitle: a\n" + date + "enclosures:\n - 'https://a.example/x.mp3'\n---\n" + body,
       "x.md:6: 'enclosures' entries must be mappings with a 'url' string"},
      {"no body", "\n---\ntitle: a\n" + date + "---\n", "x.md:6: missing body '<div>'"},
      {"body not a div", "\n---\ntitle: a\n" + date + "---\n\n<p>x</p>\n",
       "x.md:7: missing body '<div>'"},
      {"div with content", "\n---\ntitle: a\n" + date + "---\n<div><p>x</p></div>\n",
       "x.md:6: missing body '<div>'"},
      {"unclosed div", "\n---\ntitle: a\n" + date + "---\n\n<div>   \n<p>x</p>\n<p>y</p>\n",
       "x.md:9: missing body end '</div>'"},
  };
  for (const auto& c : cases) {
    const ReadResult r = read_article_file(c.text, "x.md");
    EXPECT_FALSE(r.article) << c.name;
    EXPECT_EQ(r.error, c.error) << c.name;
  }
}

TEST(ReadArticleFile, RefusesFilesOver16MiB) {
  const std::string small = render_article_file(sample());
  const std::size_t html_at = small.find("<p>");
  std::string big = small;
  big.insert(html_at, kMaxArticleFileBytes, 'x');
  const ReadResult r = read_article_file(big, "big.md");
  EXPECT_FALSE(r.article);
  EXPECT_EQ(r.error,
            "big.md:1: file too large (" + std::to_string(big.size()) + " bytes, limit 16 MiB)");

  // Exactly at the limit is fine.
  big.erase(html_at, big.size() - kMaxArticleFileBytes);
  ASSERT_EQ(big.size(), kMaxArticleFileBytes);
  const ReadResult at_limit = read_article_file(big, "big.md");
  ASSERT_TRUE(at_limit.article) << at_limit.error;
  EXPECT_EQ(at_limit.article->html.size(), sample().html.size() + big.size() - small.size());
}

TEST(ReadArticleFile, RefusesHugeFrontMatter) {
  std::string text = "\n---\ntitle: a\n" + std::string(2000, '\n') +
                     "date: Fri, 21 May 2021 14:00:00 GMT\n---\n<div>\n</div>\n";
  const ReadResult r = read_article_file(text, "x.md");
  EXPECT_FALSE(r.article);
  EXPECT_EQ(r.error, "x.md:1003: front-matter too long");

  text = "\n---\ntitle: [" + std::string(kMaxFrontMatterBytes, 'a') +
         "]\ndate: Fri, 21 May 2021 14:00:00 GMT\n---\n<div>\n</div>\n";
  EXPECT_EQ(read_article_file(text, "x.md").error, "x.md:3: front-matter too long");
}

// ---- round trip ----

TEST(ArticleFile, RoundTrip) {
  std::vector<Article> cases;
  cases.push_back(sample());
  {
    Article a = sample();
    a.title = "  他说：'不' # 然后 “离开”: 结束  ";
    a.categories = {"", "true", "a: b", "- x", "C# 入门", "36氪"};
    a.author = "'作者'";
    a.link = "https://example.com/?q='x'&r=1";
    a.image = "http://img.example.com/a%20b.jpg";
    cases.push_back(a);
  }
  {
    Article a = sample();
    a.categories.clear();
    a.author.clear();
    a.link.clear();
    a.image.clear();
    a.html.clear();
    cases.push_back(a);
  }
  {
    Article a = sample();
    a.html = "{{ page.title }}{% raw %}\n---\n<div>   \n</div>\n  \r\n<p>尾</p>   ";
    cases.push_back(a);
  }
  {
    Article a = sample();
    a.html = "\n\n<p>leading and trailing breaks</p>\n\n";
    a.date = at(1999y / December / 31, 23h, 59min, 59s);
    cases.push_back(a);
  }
  {
    // Issue 14's keys: a hand-written file may carry a length that is not a number (unknown).
    Article a = sample();
    a.creator = "'引号' 作者";
    a.tags = {"no", "标签 一", "#x"};
    a.enclosures = {{"https://media.example.com/a.mp3", "audio/mpeg", 42},
                    {"https://media.example.com/b.png", "", std::nullopt}};
    cases.push_back(a);
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string once = render_article_file(cases[i]);
    const ReadResult r = read_article_file(once, "rt.md");
    ASSERT_TRUE(r.article) << r.error;
    expect_same(*r.article, cases[i]);
    EXPECT_EQ(render_article_file(*r.article), once);
  }
}

TEST(ArticleFile, RoundTripFoldsLineBreaksInFrontMatter) {
  Article a = sample();
  a.title = "第一行\r\n第二行";
  a.categories = {"分\n类"};
  const std::string once = render_article_file(a);
  const ReadResult r = read_article_file(once, "rt.md");
  ASSERT_TRUE(r.article) << r.error;
  EXPECT_EQ(r.article->title, "第一行 第二行");
  EXPECT_EQ(r.article->categories, std::vector<std::string>{"分 类"});
  EXPECT_EQ(render_article_file(*r.article), once);
}

// Regression: a blank line in the body ended Hexo's HTML block (marked), so the rest of the
// article was read as Markdown: indented markup shown as a code block, `_x_` as emphasis.
TEST(ArticleFile, BlankLineInBodyWouldEndHexosHtmlBlock) {
  struct Case {
    std::string name;
    std::string html;
    std::string body;  // as written between "<div>   \n" and "  \n</div>"
    bool exact;        // read_article_file gives `html` back
  };
  const std::vector<Case> cases = {
      {"paragraphs", "<p>a</p>\n\n    <p>b</p>", "<p>a</p>\n<!---->\n    <p>b</p>", true},
      {"spaces and tabs", "a\n \t \n_b_", "a\n \t <!---->\n_b_", true},
      {"CR LF", "a\r\n\r\nb", "a\r\n<!---->\r\nb", true},
      {"CR", "a\r\rb", "a\r<!---->\rb", true},
      {"three breaks", "a\n\n\nb", "a\n<!---->\n<!---->\nb", true},
      {"leading", "\n<p>x</p>", "<!---->\n<p>x</p>", true},
      {"pre", "<pre>x\n\n  y</pre>", "<pre>x\n<!---->\n  y</pre>", true},
      {"less-than in text", "a < b\n\nc", "a < b\n<!---->\nc", true},
      {"quoted attribute", "<img alt=\"a\n\nb\" title='c\n\n\nd'>",
       "<img alt=\"a\n&#10;b\" title='c\n&#10;\nd'>", true},
      {"between attributes", "<img\n\n  src=\"x\"\n \n>t", "<img\n  src=\"x\"\n >t", false},
      {"after a quoted value", "<a href=\"x\">\n\n</a>", "<a href=\"x\">\n<!---->\n</a>", true},
      {"lone CR, then a blank line in a value", "<a title=\"x\r\r\ny\">", "<a title=\"x\r&#10;y\">",
       false},
      {"last line blank", "a\n  ", "a\n  ", true},
      {"no blank line", "a\n&#10;\nb\n<!---->", "a\n&#10;\nb\n<!---->", true},
      {"NBSP and ideographic space are not blank", "a\n\u00a0\n\u3000\nb", "a\n\u00a0\n\u3000\nb",
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Article a = sample();
    a.html = c.html;
    const std::string file = render_article_file(a);
    const std::string head = "---\n\n<div>   \n";
    const std::size_t from = file.find(head) + head.size();
    const std::size_t to = file.rfind("  \n</div>\n");
    ASSERT_LT(from, to);
    const std::string body = file.substr(from, to - from);
    EXPECT_EQ(body, c.body);
    // Markdown's definition: a line (ended by LF, CR LF or CR) of nothing but spaces and tabs
    // ends the block. The last line is followed by "  \n</div>", where ending it is harmless.
    std::size_t line = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] != '\n' && body[i] != '\r') continue;
      EXPECT_NE(body.substr(line, i - line).find_first_not_of(" \t"), std::string::npos)
          << "blank line at byte " << line;
      if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ++i;
      line = i + 1;
    }
    const ReadResult r = read_article_file(file, "blank.md");
    ASSERT_TRUE(r.article) << r.error;
    if (c.exact) {
      EXPECT_EQ(r.article->html, c.html);
    }
    EXPECT_EQ(render_article_file(*r.article), file);
  }
}

}  // namespace
}  // namespace feedd::article
