#include "parse/feed.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "util/time.hpp"

namespace feedd::parse {
namespace {

constexpr const char* kBaseUrl = "https://feeds.example.org/path/feed.xml";

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(FEEDD_TEST_DATA) + "/parse/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string show(const std::optional<std::chrono::sys_seconds>& t) {
  return t ? format_rfc3339(*t) : "";
}

std::string show(const std::vector<std::string>& v) {
  std::ostringstream out;
  for (const auto& s : v)
    out << "\n  " << s;
  return out.str();
}

bool contains(const std::vector<std::string>& haystack, const std::string& needle) {
  for (const auto& s : haystack) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

struct ItemWant {
  std::size_t index;
  std::string title, link, guid, author, html, content_base;
  std::string published = "", updated = "";  // RFC 3339, "" = none
};

struct FeedCase {
  std::string name;  // fixture file under tests/data/parse
  Dialect dialect;
  std::string title, link, id;
  std::optional<int> ttl;
  std::size_t items;
  std::vector<ItemWant> want;
  std::vector<std::string> warnings = {};  // each must appear in some warning; {} = no warnings
  std::string content_type = "";
  std::string encoding = "";  // Options::encoding (a channel's encoding:)
};

void check(const FeedCase& c) {
  SCOPED_TRACE("fixture " + c.name);
  Options options;
  options.base_url = kBaseUrl;
  options.content_type = c.content_type;
  options.encoding = c.encoding;
  const Result r = parse_feed(read_fixture(c.name), options);
  ASSERT_TRUE(r.feed) << r.error;
  const Feed& f = *r.feed;
  EXPECT_EQ(f.dialect, c.dialect);
  EXPECT_EQ(f.title, c.title);
  EXPECT_EQ(f.link, c.link);
  EXPECT_EQ(f.id, c.id);
  EXPECT_EQ(f.ttl ? std::optional<int>(static_cast<int>(f.ttl->count())) : std::nullopt, c.ttl);
  ASSERT_EQ(f.items.size(), c.items);
  for (const auto& w : c.want) {
    SCOPED_TRACE("item " + std::to_string(w.index));
    ASSERT_LT(w.index, f.items.size());
    const FeedItem& it = f.items[w.index];
    EXPECT_EQ(it.title, w.title);
    EXPECT_EQ(it.link, w.link);
    EXPECT_EQ(it.guid, w.guid);
    EXPECT_EQ(it.author, w.author);
    EXPECT_EQ(it.html, w.html);
    EXPECT_EQ(it.content_base, w.content_base);
    EXPECT_EQ(show(it.published), w.published);
    EXPECT_EQ(show(it.updated), w.updated);
  }
  if (c.warnings.empty()) {
    EXPECT_TRUE(f.warnings.empty()) << show(f.warnings);
  }
  for (const auto& w : c.warnings)
    EXPECT_TRUE(contains(f.warnings, w)) << w << show(f.warnings);
}

TEST(ParseFeed, Dialects) {
  const std::vector<FeedCase> cases = {
      {"rss20.xml",
       Dialect::kRss,
       "Example Weekly",
       "https://www.example.org/weekly/",
       "https://www.example.org/weekly/",
       45,
       5,
       {
           {0, "Encoded body wins", "https://www.example.org/weekly/1.html", "weekly-1", "Lin Wei",
            "<p>The <b>full</b> text.</p>", "https://www.example.org/weekly/1.html",
            "2021-05-21T14:00:00Z"},
           {1, "Permalink guid only", "https://www.example.org/weekly/2.html",
            "https://www.example.org/weekly/2.html", "desk@example.org (The Desk)",
            "<p>escaped &amp; decoded</p>", "https://www.example.org/weekly/2.html",
            "2021-05-22T01:30:00Z"},
           // Relative links resolve against the channel link, not the fetched URL.
           {2, "Relative link", "https://www.example.org/weekly/3.html",
            "https://www.example.org/not-a-link", "", "plain words",
            "https://www.example.org/weekly/3.html"},
           {3, "Guid that is not a permalink", "", "https://www.example.org/weekly/4.html", "", "",
            "https://www.example.org/weekly/"},
           {4, "Protocol-relative link", "https://cdn.example.net/weekly/5.html", "", "", "",
            "https://cdn.example.net/weekly/5.html"},
       }},
      {"rsshub.xml",
       Dialect::kRss,
       "示例资讯 - 频道",
       "https://news.example.com/channel/7",
       "https://news.example.com/channel/7",
       5,
       2,
       {
           {0, "城市夜跑：一条河边的新路线", "https://news.example.com/article/60a7b1c2",
            "https://news.example.com/article/60a7b1c2", "",
            "<p>傍晚的河岸很安静。</p><p><img data-original=\"http://img.example.com/run/a1.jpg\" "
            "src=\"https://news.example.com/static/placeholder.png\" "
            "class=\"lazy\"></p><p>路线全长 "
            "8 公里。</p>",
            "https://news.example.com/article/60a7b1c2", "2021-05-21T14:00:00Z"},
           {1, "“引号”与 <尖括号> 的标题", "https://news.example.com/article/60a7a9e0",
            "https://news.example.com/article/60a7a9e0", "",
            "<p><img data-original=\"//img.example.com/run/b2.jpg\"></p>",
            "https://news.example.com/article/60a7a9e0", "2021-05-21T13:10:00Z"},
       }},
      {"rdf.xml",
       Dialect::kRdf,
       "Lab News",
       "https://lab.example.edu/news/",
       "https://lab.example.edu/news/",
       std::nullopt,
       2,
       {
           {0, "New microscope", "https://lab.example.edu/news/42",
            "https://lab.example.edu/news/42", "Dr. Zhang", "<p>It sees <em>small</em> things.</p>",
            "https://lab.example.edu/news/42", "2021-05-20T00:15:00Z"},
           // No <link>: rdf:about is the address. A zone-less date is read in Asia/Shanghai.
           {1, "Open day", "https://lab.example.edu/news/43", "https://lab.example.edu/news/43", "",
            "Visitors welcome", "https://lab.example.edu/news/43", "2021-05-21T02:00:00Z"},
       }},
      {"atom10.xml",
       Dialect::kAtom10,
       "Notebook",
       "https://blog.example.net/notebook/",
       "tag:blog.example.net,2021:feed",
       std::nullopt,
       3,
       {
           // xml:base on the feed, on the entry (relative to the feed's) and on the content.
           // A type="html" title is plain text: "Tables &amp;amp; chairs" as published.
           {0, "Tables & chairs", "https://blog.example.net/posts/2021/tables.html",
            "tag:blog.example.net,2021:1", "Entry Author",
            "<p>See <img src=\"chair.png\" alt=\"a &quot;chair&quot;\"> and <a "
            "href=\"../other.html\">more</a>.</p><p></p>",
            "https://blog.example.net/posts/2021/media/", "2021-05-20T06:00:00Z",
            "2021-05-21T05:30:00Z"},
           // type="text" is escaped into HTML; no link: an http id is the address; the feed
           // author is inherited.
           {1, "Plain text body", "https://blog.example.net/notebook/plain",
            "https://blog.example.net/notebook/plain", "Feed Author",
            "1 &lt; 2 &amp; &quot;quotes&quot;", "https://blog.example.net/", "",
            "2021-05-19T12:00:00Z"},
           // Out-of-line content (src=) falls back to the summary.
           {2, "Summary only", "https://blog.example.net/notebook/3", "tag:blog.example.net,2021:3",
            "Feed Author", "<p>Only a summary</p>", "https://blog.example.net/", "",
            "2021-05-18T12:00:00Z"},
       }},
      {"atom_prefixed.xml",
       Dialect::kAtom10,
       "Prefixed",
       "https://prefixed.example.com/",
       "urn:uuid:6f0d1a52-prefixed",
       std::nullopt,
       1,
       {
           {0, "One", "https://prefixed.example.com/one", "urn:uuid:6f0d1a52-1", "",
            "<p>Hello <br>world</p>", "https://prefixed.example.com/one"},
       }},
      {"atom03.xml",
       Dialect::kAtom03,
       "Old Atom",
       "http://old.example.org/",
       "",
       std::nullopt,
       2,
       {
           {0, "Escaped HTML", "http://old.example.org/2005/07/escaped",
            "tag:old.example.org,2005:1", "Old Writer", "<p>Escaped <i>body</i></p>",
            "http://old.example.org/2005/07/escaped", "2005-07-31T12:29:29Z",
            "2005-07-31T12:29:29Z"},
           {1, "Inline XHTML", "http://old.example.org/2005/07/inline",
            "tag:old.example.org,2005:2", "Old Writer", "<p>Inline <b>body</b></p>",
            "http://old.example.org/2005/07/inline", "2005-07-30T10:00:00Z"},
       }},
      {"namespaces.xml",
       Dialect::kRss,
       "Prefix games",
       "https://quirk.example.com/",
       "https://quirk.example.com/",
       std::nullopt,
       2,
       {
           // content: bound to another URI is not the content module; dc bound to "creator:"
           // is Dublin Core; media:title is not the title.
           {0, "Real title", "https://quirk.example.com/ns", "", "Bound to another prefix",
            "fallback description", "https://quirk.example.com/ns"},
           {1, "Module under c:", "https://quirk.example.com/ns2", "", "", "<p>right body</p>",
            "https://quirk.example.com/ns2"},
       }},
  };
  for (const auto& c : cases)
    check(c);
}

// One fixture per real-world breakage; each must still give the items it carries.
TEST(ParseFeed, Quirks) {
  auto one = [](std::string file, std::string title, std::string link, std::string html,
                std::vector<std::string> warnings = {}, std::string content_type = "") {
    return FeedCase{file,
                    Dialect::kRss,
                    "Quirk Feed",
                    "https://quirk.example.com/",
                    "https://quirk.example.com/",
                    std::nullopt,
                    1,
                    {{0, title, link, "", "", html, link}},
                    warnings,
                    content_type};
  };
  std::vector<FeedCase> cases = {
      one("bom.xml", "带 BOM 的标题", "https://quirk.example.com/bom", ""),
      one("leading_blank.xml", "After blank lines", "https://quirk.example.com/blank", ""),
      one("gb18030.xml", "四字节字符𠀀", "https://quirk.example.com/gb18030", ""),
      // Valid UTF-8 stays UTF-8 whatever the declaration says.
      one("utf8_declared_gb2312.xml", "其实是 UTF-8", "https://quirk.example.com/liar", "",
          {"declared charset gb2312 but the body is UTF-8"}),
      one("control_chars.xml", "Bell and tab\tkept", "https://quirk.example.com/ctl", "abcd",
          {"repaired 5 forbidden control characters"}),
  };
  FeedCase gb = one("gb2312.xml", "朱镕基与“国标”编码", "https://quirk.example.com/gb",
                    "<p>简体中文正文</p>");
  gb.title = "国标频道";
  cases.push_back(gb);
  // Only the HTTP header names the charset.
  FeedCase gbk = one("gbk_no_decl.xml", "只有响应头说明编码", "https://quirk.example.com/gbk", "",
                     {}, "text/xml; charset=\"GBK\"");
  gbk.title = "GBK 频道";
  cases.push_back(gbk);
  // Nothing names the charset: GB18030 before U+FFFD.
  FeedCase undeclared = one("gb2312_undeclared.xml", "秋天的第一场雨：城市排水系统经受考验",
                            "https://quirk.example.com/rain", "<p>气象台说，今晚雨势会减弱。</p>",
                            {"not UTF-8 and no usable charset named: read as GB18030"});
  undeclared.title = "无声明的国标频道";
  cases.push_back(undeclared);
  // A declaration that is wrong is believed; a channel's encoding: corrects it.
  FeedCase corrected = one("gb2312_declared_latin1.xml", "文件说自己是西欧编码，其实是国标",
                           "https://quirk.example.com/wrong", "", {}, "text/xml; charset=utf-8");
  corrected.title = "声明写错的频道";
  corrected.encoding = "gb2312";
  cases.push_back(corrected);
  FeedCase big5 = one("big5.xml", "繁體中文標題", "https://quirk.example.com/big5", "");
  big5.title = "正體頻道";
  cases.push_back(big5);
  FeedCase entities = one("entities.xml", "Wait\u2026 it\u2019s \u2014 fine \u2014 \u4E2D文 <ok>",
                          "https://quirk.example.com/item?id=7&ref=rss&utm=x",
                          "AT&T said 1 < 2 and 3 <= 4, <3 &foo; \u00C4rger & co",
                          {"repaired 7 HTML entities", "repaired 1 unknown entities",
                           "repaired 4 bare '&'", "repaired 3 bare '<'"});
  entities.title = "Entities & friends\u00A0\u00A9\u00A02021";
  entities.link = entities.id = "https://quirk.example.com/?a=1&b=2";
  entities.want[0].content_base = entities.want[0].link;
  cases.push_back(entities);
  for (const auto& c : cases)
    check(c);
}

TEST(ParseFeed, TruncatedDocumentKeepsCompleteItems) {
  check({"truncated.xml",
         Dialect::kRss,
         "Cut off",
         "https://quirk.example.com/",
         "https://quirk.example.com/",
         std::nullopt,
         2,
         {{0, "First complete", "https://quirk.example.com/1", "", "", "",
           "https://quirk.example.com/1"},
          {1, "Second complete", "https://quirk.example.com/2", "", "", "<p>whole</p>",
           "https://quirk.example.com/2"}},
         {"truncated at byte", "kept 2 complete items", "skipped 1 unfinished item"}});
  // Cut inside a start tag, after a complete entry: the entry stays.
  check({"truncated_after_item.xml",
         Dialect::kAtom10,
         "Cut between entries",
         "",
         "",
         std::nullopt,
         1,
         {{0, "Only entry", "https://quirk.example.com/only", "urn:x:1", "", "",
           "https://quirk.example.com/only"}},
         {"kept 1 complete item"}});
}

// DTD entities are never expanded: references to them stay literal text.
TEST(ParseFeed, DoctypeEntitiesAreNotExpanded) {
  for (const auto& [file, title, html] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"billion_laughs.xml", "&lol9;", "before &lol9; after"},
           {"xxe.xml", "Secret: &xxe;", "&remote;"},
       }) {
    SCOPED_TRACE(file);
    Options options;
    const Result r = parse_feed(read_fixture(file), options);
    ASSERT_TRUE(r.feed) << r.error;
    ASSERT_EQ(r.feed->items.size(), 1u);
    EXPECT_EQ(r.feed->items[0].title, title);
    EXPECT_EQ(r.feed->items[0].html, html);
    EXPECT_TRUE(contains(r.feed->warnings, "DOCTYPE with internal subset ignored"));
    EXPECT_EQ(r.feed->items[0].html.find("root:"), std::string::npos);
  }
}

// An RSS 0.91 DOCTYPE without subset is dropped silently; its HTML entities still work.
TEST(ParseFeed, Rss091WithPublicDoctype) {
  check({"rss091_doctype.xml",
         Dialect::kRss,
         "Old Netscape channel",
         "http://old.example.org/",
         "http://old.example.org/",
         std::nullopt,
         1,
         {{0, "Caf\u00E9 news", "http://old.example.org/cafe", "", "", "No guid, no date.",
           "http://old.example.org/cafe"}},
         {"repaired 1 HTML entities"}});
}

TEST(ParseFeed, UnescapedMarkupIsRepaired) {
  check({"unescaped_html.xml",
         Dialect::kRss,
         "Raw markup",
         "https://quirk.example.com/",
         "https://quirk.example.com/",
         std::nullopt,
         2,
         {{0, "Markup not escaped", "https://quirk.example.com/raw", "", "",
           "<p>line one<br>line two</p><p>stray end</p>", "https://quirk.example.com/raw"},
          {1, "Next item survives", "https://quirk.example.com/next", "", "", "",
           "https://quirk.example.com/next"}},
         {"repaired 1 unclosed elements", "repaired 1 stray end tags"}});
}

TEST(ParseFeed, Errors) {
  struct Case {
    std::string file;  // fixture, or inline body when it starts with '<'
    std::string error;
  };
  const std::vector<Case> cases = {
      {"empty.xml", "empty body"},
      {"blank.xml", "empty body"},
      {"random.bin", "not a feed: not XML (starts with \"\\x89PNG"},
      {"html_page.html", "not a feed: HTML page"},
      {"<HTML><body><p>no doctype</body></HTML>", "not a feed: HTML page"},
      {"<?xml version=\"1.0\"?><opml version=\"2.0\"><head/></opml>",
       "not a feed: root element <opml>"},
      {"<feed><entry><title>no namespace</title></entry></feed>",
       "not a feed: root element <feed>"},
      {"<?xml version=\"1.0\"?><!-- only a comment", "not a feed: no root element"},
      {"<rss version><channel></channel></rss>", "XML error at byte"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string body = c.file.starts_with("<") ? c.file : read_fixture(c.file);
    const Result r = parse_feed(body, Options{});
    EXPECT_FALSE(r.feed);
    EXPECT_EQ(r.error.substr(0, c.error.size()), c.error) << r.error;
  }
}

// What pugixml read before an error it cannot be spared (a valueless attribute) is kept,
// except the item it stopped in.
TEST(ParseFeed, XmlErrorKeepsItemsBeforeIt) {
  const Result r = parse_feed(
      "<rss><channel><title>t</title><item><title>good</title></item>"
      "<item><title>bad</title><enclosure url='x' hidden/></item>"
      "<item><title>lost</title></item></channel></rss>",
      Options{});
  ASSERT_TRUE(r.feed) << r.error;
  ASSERT_EQ(r.feed->items.size(), 1u);
  EXPECT_EQ(r.feed->items[0].title, "good");
  EXPECT_TRUE(contains(r.feed->warnings, "XML error at byte")) << show(r.feed->warnings);
  EXPECT_TRUE(contains(r.feed->warnings, "kept 1 item")) << show(r.feed->warnings);
}

TEST(ParseFeed, CharsetFallbacks) {
  const std::string gbk = read_fixture("gbk_no_decl.xml");
  // Undeclared and not UTF-8: read as GB18030, and said so.
  Result r = parse_feed(gbk, Options{});
  ASSERT_TRUE(r.feed) << r.error;
  EXPECT_TRUE(contains(r.feed->warnings, "read as GB18030")) << show(r.feed->warnings);
  EXPECT_EQ(r.feed->items.at(0).title, "只有响应头说明编码");
  // A charset iconv does not know is reported and skipped.
  Options options;
  options.content_type = "text/xml; charset=x-no-such-charset";
  r = parse_feed(gbk, options);
  ASSERT_TRUE(r.feed) << r.error;
  EXPECT_TRUE(contains(r.feed->warnings, "unknown charset x-no-such-charset"));
  EXPECT_EQ(r.feed->items.at(0).title, "只有响应头说明编码");
  // Bytes that are neither UTF-8 nor GB18030: U+FFFD, and said so.
  r = parse_feed("<rss><channel><item><title>坏\xFF字</title></item></channel></rss>", Options{});
  ASSERT_TRUE(r.feed) << r.error;
  EXPECT_TRUE(contains(r.feed->warnings, "invalid UTF-8: replaced 1 sequences"))
      << show(r.feed->warnings);
  EXPECT_EQ(r.feed->items.at(0).title, "坏\xEF\xBF\xBD字");
  // UTF-16 with a BOM.
  const std::string ascii =
      "<rss version=\"2.0\"><channel><title>Sixteen</title><item><title>wide</title></item>"
      "</channel></rss>";
  std::string utf16 = "\xFF\xFE";
  for (char c : ascii) {
    utf16 += c;
    utf16 += '\0';
  }
  r = parse_feed(utf16, Options{});
  ASSERT_TRUE(r.feed) << r.error;
  EXPECT_EQ(r.feed->title, "Sixteen");
  ASSERT_EQ(r.feed->items.size(), 1u);
  EXPECT_EQ(r.feed->items[0].title, "wide");
}

// Regression: a code point above U+10FFFF in a UTF-8 feed reached item titles unchanged (glibc's
// iconv accepts it), and from there article files and the store.
TEST(ParseFeed, CodePointsAboveU10FFFFDoNotReachItems) {
  const std::string r = "\xEF\xBF\xBD";
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>"
      "<item><title>坏\xF8\x88\x80\x80\x80字</title><guid>g</guid>"
      "<description>&lt;p&gt;\xF4\x90\x80\x80&lt;/p&gt;</description></item></channel></rss>";
  const Result res = parse_feed(xml, Options{});
  ASSERT_TRUE(res.feed) << res.error;
  ASSERT_EQ(res.feed->items.size(), 1u);
  EXPECT_EQ(res.feed->items[0].title, "坏" + r + r + r + r + r + "字");
  EXPECT_EQ(res.feed->items[0].html, "<p>" + r + r + r + r + "</p>");
  EXPECT_TRUE(contains(res.feed->warnings, "invalid UTF-8: replaced 9 sequences"))
      << show(res.feed->warnings);
}

TEST(ParseFeed, BaseUrlFallbacks) {
  struct Case {
    std::string body;
    std::string base_url;
    std::string link;          // of the first item
    std::string content_base;  // of the first item
  };
  const std::vector<Case> cases = {
      // No channel link: the fetched URL is the base.
      {"<rss><channel><item><link>a/b.html</link></item></channel></rss>", kBaseUrl,
       "https://feeds.example.org/path/a/b.html", "https://feeds.example.org/path/a/b.html"},
      // A relative channel link is itself resolved against the fetched URL first.
      {"<rss><channel><link>/site/</link><item><link>x</link></item></channel></rss>", kBaseUrl,
       "https://feeds.example.org/site/x", "https://feeds.example.org/site/x"},
      // A relative xml:base is resolved against the outer base.
      {"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='/blog/'><entry xml:base='2021/'>"
       "<link href='p.html'/><content type='html' xml:base='img/'>x</content></entry></feed>",
       kBaseUrl, "https://feeds.example.org/blog/2021/p.html",
       "https://feeds.example.org/blog/2021/img/"},
      // No base at all: the link stays as published.
      {"<rss><channel><item><link>/only/path</link></item></channel></rss>", "", "/only/path", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    Options options;
    options.base_url = c.base_url;
    const Result r = parse_feed(c.body, options);
    ASSERT_TRUE(r.feed) << r.error;
    ASSERT_EQ(r.feed->items.size(), 1u);
    EXPECT_EQ(r.feed->items[0].link, c.link);
    EXPECT_EQ(r.feed->items[0].content_base, c.content_base);
  }
}

// A declaration binds on its element and inside it only: siblings and the parent keep the
// outer binding (scopes share their parent's bindings until they declare their own).
TEST(ParseFeed, NamespaceDeclarationsStayInTheirElement) {
  const std::string body =
      "<rss xmlns:c='http://purl.org/rss/1.0/modules/content/'><channel>"
      "<item><title>one</title><c:encoded>in content</c:encoded></item>"
      "<item xmlns:c='urn:other'><title>two</title><c:encoded>not content</c:encoded>"
      "<description>d</description></item>"
      "<item><title>three</title><description>d</description>"
      "<x:encoded xmlns:x='http://purl.org/rss/1.0/modules/content/'>x content</x:encoded>"
      "<c:encoded xmlns:c='urn:other'>other</c:encoded></item>"
      "<item><title>four</title><c:encoded>again content</c:encoded></item>"
      "</channel></rss>";
  Options options;
  options.base_url = kBaseUrl;
  const Result r = parse_feed(body, options);
  ASSERT_TRUE(r.feed) << r.error;
  std::vector<std::string> html;
  for (const auto& item : r.feed->items)
    html.push_back(item.html);
  EXPECT_EQ(html, (std::vector<std::string>{"in content", "d", "x content", "again content"}));
}

// Text is trimmed of surrounding white space, and white space alone is no text.
TEST(ParseFeed, TextIsTrimmed) {
  const Result r = parse_feed(
      "<rss><channel><title> \n\t </title><item><title>\n  a  b \r\n</title>"
      "<guid><![CDATA[  ]]> </guid><author>x</author><description> <![CDATA[ <p>c</p>\n]]>"
      "</description></item></channel></rss>",
      Options{});
  ASSERT_TRUE(r.feed) << r.error;
  EXPECT_EQ(r.feed->title, "");
  ASSERT_EQ(r.feed->items.size(), 1u);
  EXPECT_EQ(r.feed->items[0].title, "a  b");
  EXPECT_EQ(r.feed->items[0].guid, "");
  EXPECT_EQ(r.feed->items[0].author, "x");
  EXPECT_EQ(r.feed->items[0].html, "<p>c</p>");
}

std::string rss_with_items(std::size_t n, const std::string& title_prefix = "item ") {
  std::string body = "<rss version=\"2.0\"><channel><title>Many</title>";
  for (std::size_t i = 0; i < n; ++i) {
    body += "<item><title>" + title_prefix + std::to_string(i) + "</title></item>";
  }
  return body + "</channel></rss>";
}

TEST(ParseFeed, MaxItems) {
  Options options;
  options.max_items = 3;
  const Result r = parse_feed(rss_with_items(10), options);
  ASSERT_TRUE(r.feed) << r.error;
  ASSERT_EQ(r.feed->items.size(), 3u);
  EXPECT_EQ(r.feed->items[0].title, "item 0");
  EXPECT_EQ(r.feed->items[2].title, "item 2");
  EXPECT_TRUE(contains(r.feed->warnings, "dropped 7 items past max_items (3)"))
      << show(r.feed->warnings);
}

TEST(ParseFeed, MaxFieldCutsAtUtf8Boundary) {
  Options options;
  options.max_field = 7;  // "一二" is 6 bytes; the 7th is inside "三"
  const Result r = parse_feed(
      "<rss><channel><item><title>一二三四</title><description>abcdefghij</description>"
      "<guid>short</guid></item></channel></rss>",
      options);
  ASSERT_TRUE(r.feed) << r.error;
  ASSERT_EQ(r.feed->items.size(), 1u);
  EXPECT_EQ(r.feed->items[0].title, "一二");
  EXPECT_EQ(r.feed->items[0].html, "abcdefg");
  EXPECT_EQ(r.feed->items[0].guid, "short");
  EXPECT_TRUE(contains(r.feed->warnings, "cut 2 fields to max_field (7 bytes)"))
      << show(r.feed->warnings);
}

// Hostile sizes: must finish fast (a quadratic step would take minutes here) and stay bounded.
TEST(ParseFeed, LargeHostileInputIsLinear) {
  std::string body = rss_with_items(20000, "a & b < c &nbsp; ");
  body.insert(body.find("<item>"), "<description>" + std::string(2'000'000, '&') +
                                       std::string(500'000, '<') + "</description>");
  const auto start = std::chrono::steady_clock::now();
  const Result r = parse_feed(body, Options{});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.feed) << r.error;
  EXPECT_EQ(r.feed->items.size(), 5000u);
  EXPECT_EQ(r.feed->items[0].title, "a & b < c \u00A0 0");
  EXPECT_TRUE(contains(r.feed->warnings, "dropped 15000 items"));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(ParseFeed, DeepNestingIsAnError) {
  std::string body = "<rss><channel><item><description>";
  for (int i = 0; i < 100000; ++i)
    body += "<b>";
  const Result r = parse_feed(body, Options{});
  EXPECT_FALSE(r.feed);
  EXPECT_NE(r.error.find("nested deeper than"), std::string::npos) << r.error;
}

// Item metadata (issue 14): upstream author, tags and enclosures, one fixture per quirk.
struct MetadataCase {
  std::string fixture;
  std::size_t index;
  std::string author;
  std::vector<std::string> tags;
  std::vector<Enclosure> enclosures;
};

std::string show(const std::vector<Enclosure>& v) {
  std::ostringstream out;
  for (const auto& e : v)
    out << "\n  " << e.url << " [" << e.type << "] "
        << (e.length ? std::to_string(*e.length) : "-");
  return out.str();
}

TEST(ParseFeed, ItemMetadata) {
  const std::string long_tag = [] {
    std::string s;
    for (int i = 0; i < 42; ++i)  // 126 bytes: 128 would split the 43rd character
      s += "长";
    return s;
  }();
  std::vector<std::string> bounded_tags = {long_tag};
  for (int i = 0; i < 31; ++i)
    bounded_tags.push_back("t" + std::to_string(i));
  std::vector<Enclosure> bounded_enclosures;
  for (int i = 0; i < 8; ++i) {
    bounded_enclosures.push_back({"https://m.example.org/" + std::to_string(i) + ".mp3",
                                  "audio/mpeg", static_cast<std::uint64_t>(i + 1)});
  }
  const std::vector<MetadataCase> cases = {
      {"rss_categories.xml", 0, "王小明", {"科技", "open source", "Linux"}, {}},
      {"rss_categories.xml", 1, "", {}, {}},
      {"rss_enclosure.xml",
       0,
       "",
       {},
       {{"https://media.example.org/ep1.mp3", "audio/mpeg", 12345678},
        {"https://pod.example.org/show/ep1.pdf", "application/pdf", std::nullopt},
        {"https://media.example.org/ep1.jpg", "image/jpeg", std::nullopt}}},
      {"atom_metadata.xml",
       0,
       "Entry Author",
       {"science", "Astronomy", "Space"},
       {{"https://atom.example.net/media/1.ogg", "audio/ogg", 2048},
        {"https://cdn.example.net/1.png", "", std::nullopt}}},
      {"metadata_bounds.xml", 0, "", bounded_tags, bounded_enclosures},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fixture + " item " + std::to_string(c.index));
    Options options;
    options.base_url = kBaseUrl;
    const Result r = parse_feed(read_fixture(c.fixture), options);
    ASSERT_TRUE(r.feed) << r.error;
    ASSERT_LT(c.index, r.feed->items.size());
    const FeedItem& it = r.feed->items[c.index];
    EXPECT_EQ(it.author, c.author);
    EXPECT_EQ(it.tags, c.tags) << show(it.tags);
    EXPECT_EQ(it.enclosures, c.enclosures) << show(it.enclosures);
  }
}

}  // namespace
}  // namespace feedd::parse
