#include "emit/emit.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "util/time.hpp"
#include "version.hpp"

namespace feedd::emit {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

constexpr std::string_view kBase = "https://feeds.example.org/";

sys_seconds at(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return sys_days{std::chrono::year{y} / m / d} + hours{hh} + minutes{mm} + seconds{ss};
}

config::Channel channel(std::string name, std::string slug, std::string url) {
  config::Channel c;
  c.name = std::move(name);
  c.slug = std::move(slug);
  c.url = std::move(url);
  return c;
}

// 新媒体 › {ZAKER › {source, channel}, 果壳网 › 科学人}, 产品 › 人人都是产品经理 › 热门.
config::Config tree() {
  config::Config cfg;
  config::Category xinmeiti{"新媒体", "xinmeiti", {}, 1};
  config::Source zaker{"ZAKER", "zaker", {}, 2};
  zaker.channels.push_back(channel("source", "source", "https://rsshub.app/zaker/source/12291"));
  zaker.channels.push_back(channel("channel", "channel", "https://rsshub.app/zaker/channel/13"));
  config::Source guokr{"果壳网", "guokr", {}, 3};
  // Credentials in a configured URL must not leak into the published OPML/feeds.
  guokr.channels.push_back(
      channel("科学人", "scientific", "https://reader:s3cret@rss.example.net/guokr/scientific"));
  xinmeiti.sources = {zaker, guokr};
  config::Category chanpin{"产品", "chanpin", {}, 4};
  config::Source woshipm{"人人都是产品经理", "woshipm", {}, 5};
  woshipm.channels.push_back(channel("热门", "popular", "https://rsshub.app/woshipm/popular"));
  chanpin.sources = {woshipm};
  cfg.categories = {xinmeiti, chanpin};
  return cfg;
}

const UpstreamInfo kZakerSource{"ZAKER 推荐", "https://www.myzaker.com/source/12291", "",
                                "https://rsshub.app/zaker/source/12291", "新媒体 › ZAKER › source"};

Entry night_run() {
  Entry e;
  e.article.hash = "3f2a9c1e5b7d0a42";
  e.article.title = "城市夜跑的人越来越多，这份装备清单请收好";
  e.article.categories = {"新媒体", "ZAKER", "source"};
  e.article.author = "ZAKER";
  e.article.date = at(2021, 5, 21, 14, 0);
  e.article.link = "https://www.myzaker.com/article/60a7b1c2d3e4f5a6b7c8d9e0";
  e.article.image = "https://cors.zfour.workers.dev/?http://img.example.com/run.jpg";
  e.article.html =
      "<p>天气转暖，夜跑成了不少上班族的选择。</p>"
      "<p><img src=\"https://cors.zfour.workers.dev/?http://img.example.com/run.jpg\" "
      "referrerpolicy=\"no-referrer\"></p><p>跑鞋、头灯和反光背心，一个都不能少。</p>";
  e.article.guid = "https://www.myzaker.com/article/60a7b1c2d3e4f5a6b7c8d9e0";
  e.source = kZakerSource;
  return e;
}

// Issue 14: an upstream author, tags and enclosures (one that fails the URL contract).
Entry podcast() {
  Entry e;
  e.article.hash = "6c0e2b9d4f1a8e37";
  e.article.title = "跑步播客：夜跑装备怎么选";
  e.article.categories = {"新媒体", "ZAKER", "source"};
  e.article.author = "ZAKER";
  e.article.date = at(2021, 5, 21, 12, 0);
  e.article.link = "https://www.myzaker.com/article/60a7b1c2d3e4f5a6b7c8d9e1";
  e.article.html = "<p>本期聊头灯和反光背心。</p>";
  e.article.guid = "https://www.myzaker.com/article/60a7b1c2d3e4f5a6b7c8d9e1";
  e.article.creator = "跑团小李";
  e.article.tags = {"运动", "夜跑 装备"};
  e.article.enclosures = {{"https://media.example.com/run/清单.pdf", "application/pdf", 48213},
                          {"https://media.example.com/run/talk.mp3", "audio/mpeg", std::nullopt},
                          {"javascript:alert(1)", "audio/mpeg", 1}};
  e.source = kZakerSource;
  return e;
}

// No image.
Entry slow_reading() {
  Entry e;
  e.article.hash = "8b1e4d7a0c3f9e26";
  e.article.title = "为什么说「慢阅读」正在回归";
  e.article.categories = {"新媒体", "果壳网", "科学人"};
  e.article.author = "果壳网";
  e.article.date = at(2021, 5, 21, 9, 30);
  e.article.link = "https://www.guokr.com/article/459876/";
  e.article.html =
      "<p>信息越来越多，注意力越来越少。</p>"
      "<p>研究者发现，读纸质书时人们更愿意回看上一段。</p>";
  e.article.guid = "https://www.guokr.com/article/459876/";
  // An upstream Atom feed's own id, a tag: URI.
  e.source = {"果壳网 科学人", "https://www.guokr.com/scientific/",
              "tag:guokr.example,2021:scientific", "https://rss.example.net/guokr/scientific",
              "新媒体 › 果壳网 › 科学人"};
  return e;
}

// Imported from an article file: no link, no guid, no upstream feed. Markup that needs
// escaping, including "]]>".
Entry spec_doc() {
  Entry e;
  e.article.hash = "c05d6e2f1a8b3d97";
  e.article.title = "产品经理的“需求文档”该怎么写？<初稿> & 评审";
  e.article.categories = {"产品", "人人都是产品经理", "热门"};
  e.article.author = "人人都是产品经理";
  e.article.date = at(2021, 5, 20, 23, 15);
  e.article.image = "https://www.woshipm.com/wp-content/uploads/doc.png";
  e.article.html =
      "<p>一份好的需求文档 &amp; 一次好的评审，<b class=\"key\">缺一不可</b>。</p>"
      "<p>注释的结束符 ]]> 也照样写出来。</p>"
      "<img src=\"https://www.woshipm.com/wp-content/uploads/doc.png\" "
      "referrerpolicy=\"no-referrer\">";
  return e;
}

// Curly quotes and an ampersand in the title, a query string in the link.
Entry holiday() {
  Entry e;
  e.article.hash = "5e9f0b3c7d2a6e18";
  e.article.title = "“五一”假期出游人次创新高 & 酒店价格回落";
  e.article.categories = {"新媒体", "ZAKER", "source"};
  e.article.author = "ZAKER";
  e.article.date = at(2021, 5, 19, 22, 3, 11);
  e.article.link = "https://www.myzaker.com/article/60a5f95e?from=rss&f=1";
  e.article.image = "https://img.example.com/holiday.jpg";
  e.article.html =
      "<p>假期首日，多地景区迎来客流高峰。</p>"
      "<p><img src=\"https://img.example.com/holiday.jpg\" referrerpolicy=\"no-referrer\"></p>";
  e.source = kZakerSource;
  return e;
}

const std::string kHostile = "a & b <c> \"d\" 'e' ]]> f";

// Markup and quoting in every field an upstream feed controls.
Entry hostile_entry() {
  Entry e = night_run();
  e.article.title = kHostile;
  e.article.author = kHostile;
  e.article.categories = {kHostile};
  e.article.creator = kHostile;
  e.article.tags = {kHostile};
  e.article.enclosures = {{"https://example.com/e?a=1&b=\"2\"", kHostile, 5}};
  e.article.html = "<p>" + kHostile + "</p><![CDATA[ x ]]>";
  e.article.link = "https://example.com/?a=1&b=\"2\"";
  e.source = {kHostile, "https://example.com/?x=<y>", kHostile, "https://example.com/f?a=1&b=2",
              kHostile};
  return e;
}

// An upstream feed without a title (issue 10: "Missing source element: title"): atom:source
// is titled with the channel's path.
Entry untitled_upstream() {
  Entry e;
  e.article.hash = "d41c8a0b7e6f2935";
  e.article.title = "章鱼的九个“大脑”";
  e.article.categories = {"新媒体", "果壳网", "科学人"};
  e.article.author = "果壳网";
  e.article.date = at(2021, 5, 18, 8, 0);
  e.article.link = "https://www.guokr.com/article/459001/";
  e.article.html = "<p>八条腕足各有神经节。</p>";
  e.source = {"", "", "", "https://rss.example.net/guokr/scientific", "新媒体 › 果壳网 › 科学人"};
  return e;
}

// Neither body nor link (an imported article file with an empty body): no empty <content>
// (issue 10: "content should not be blank"); the title is its text.
Entry bodyless() {
  Entry e;
  e.article.hash = "7a0f3e9b2c5d8146";
  e.article.title = "只有标题的一条";
  e.article.categories = {"产品", "人人都是产品经理", "热门"};
  e.article.author = "人人都是产品经理";
  e.article.date = at(2021, 5, 17, 12, 0);
  return e;
}

// Characters no XML 1.0 document may contain, and malformed UTF-8.
Entry illegal_chars_entry() {
  Entry e = holiday();
  e.article.title = std::string("bell\x07 nul") + '\0' + " vt\x0B ff\x0C fffe\xEF\xBF\xBE end";
  e.article.html = "<p>bad utf-8 \xC3\x28 and \xFF and lone \x80</p>";
  e.article.author = "esc\x1B[0m";
  return e;
}

FeedNode node_for(const std::string& path) {
  for (auto& n : feed_nodes(tree())) {
    if (n.path == path) return n;
  }
  ADD_FAILURE() << "no node " << path;
  return {};
}

const sys_seconds kEmptyUpdated = at(2021, 5, 22, 0, 0);

struct GoldenCase {
  std::string file;  // under tests/data/emit/
  std::string node_path;
  std::vector<Entry> entries;
};

std::vector<GoldenCase> atom_cases() {
  return {
      // slow_reading appears twice, as when two categories carried it: listed once.
      {"all.xml",
       "",
       {night_run(), podcast(), slow_reading(), spec_doc(), holiday(), slow_reading(),
        untitled_upstream(), bodyless()}},
      {"xinmeiti-zaker-source.xml", "xinmeiti/zaker/source", {night_run(), podcast(), holiday()}},
      {"chanpin.xml", "chanpin", {spec_doc()}},
      {"empty.xml", "xinmeiti/guokr", {}},
  };
}

std::string golden_path(const std::string& name) {
  return std::string(FEEDD_TEST_DATA) + "/emit/" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// Compares with the golden file; FEEDD_UPDATE_GOLDEN=1 rewrites it instead (review the diff).
// The generator version is masked so that a release does not invalidate the golden files.
void expect_golden(const std::string& name, std::string actual) {
  const std::string version = "<generator version=\"" + std::string(kVersion) + "\">";
  if (const auto at = actual.find(version); at != std::string::npos) {
    actual.replace(at, version.size(), "<generator version=\"VERSION\">");
  }
  const std::string path = golden_path(name);
  const char* update = std::getenv("FEEDD_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    write_file(path, actual);
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " missing; run with FEEDD_UPDATE_GOLDEN=1";
  EXPECT_EQ(read_file(path), actual) << "differs from " << path;
}

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  const auto result = doc.load_string(xml.c_str());
  EXPECT_TRUE(result) << result.description() << " at " << result.offset << "\n" << xml;
  return doc;
}

// --- feed_nodes -------------------------------------------------------------------------

TEST(FeedNodes, AllThenDepthFirstInConfigOrder) {
  const std::vector<FeedNode> want = {
      {"", "feedd", "feeds/all.xml", "", 0},
      {"xinmeiti", "新媒体", "feeds/xinmeiti.xml", "", 1},
      {"xinmeiti/zaker", "新媒体 › ZAKER", "feeds/xinmeiti/zaker.xml", "", 2},
      {"xinmeiti/zaker/source", "新媒体 › ZAKER › source", "feeds/xinmeiti/zaker/source.xml",
       "https://rsshub.app/zaker/source/12291", 3},
      {"xinmeiti/zaker/channel", "新媒体 › ZAKER › channel", "feeds/xinmeiti/zaker/channel.xml",
       "https://rsshub.app/zaker/channel/13", 3},
      {"xinmeiti/guokr", "新媒体 › 果壳网", "feeds/xinmeiti/guokr.xml", "", 2},
      {"xinmeiti/guokr/scientific", "新媒体 › 果壳网 › 科学人",
       "feeds/xinmeiti/guokr/scientific.xml", "https://rss.example.net/guokr/scientific", 3},
      {"chanpin", "产品", "feeds/chanpin.xml", "", 1},
      {"chanpin/woshipm", "产品 › 人人都是产品经理", "feeds/chanpin/woshipm.xml", "", 2},
      {"chanpin/woshipm/popular", "产品 › 人人都是产品经理 › 热门",
       "feeds/chanpin/woshipm/popular.xml", "https://rsshub.app/woshipm/popular", 3},
  };
  const auto got = feed_nodes(tree());
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("node " + std::to_string(i) + " " + want[i].path);
    EXPECT_EQ(got[i].path, want[i].path);
    EXPECT_EQ(got[i].title, want[i].title);
    EXPECT_EQ(got[i].file, want[i].file);
    EXPECT_EQ(got[i].upstream_url, want[i].upstream_url);
    EXPECT_EQ(got[i].depth, want[i].depth);
  }
}

TEST(FeedNodes, EmptyConfigHasOnlyAll) {
  const auto got = feed_nodes(config::Config{});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].file, "feeds/all.xml");
  EXPECT_EQ(got[0].title, "feedd");
}

// --- golden files ---------------------------------------------------------------------------

TEST(RenderAtom, MatchesGoldenFiles) {
  for (const auto& c : atom_cases()) {
    SCOPED_TRACE(c.file);
    expect_golden(c.file, render_atom(node_for(c.node_path), c.entries, kBase, kEmptyUpdated));
  }
}

TEST(RenderOpml, MatchesGoldenFile) {
  expect_golden("feeds.opml", render_opml(feed_nodes(tree()), kBase));
}

TEST(RenderAtom, Deterministic) {
  for (const auto& c : atom_cases()) {
    SCOPED_TRACE(c.file);
    const auto node = node_for(c.node_path);
    EXPECT_EQ(render_atom(node, c.entries, kBase, kEmptyUpdated),
              render_atom(node, c.entries, kBase, kEmptyUpdated));
  }
  EXPECT_EQ(render_opml(feed_nodes(tree()), kBase), render_opml(feed_nodes(tree()), kBase));
}

TEST(RenderAtom, PrecomputedSummaryIsUsedAndEqualsTheComputedOne) {
  const auto node = node_for("xinmeiti/zaker/source");
  Entry given = night_run();
  const auto computed = render_atom(node, {given}, kBase, kEmptyUpdated);
  given.article.summary = article::html_to_text(given.article.html, kSummaryBytes);
  EXPECT_EQ(render_atom(node, {given}, kBase, kEmptyUpdated), computed);
  given.article.summary = "precomputed";
  const auto doc = parse(render_atom(node, {given}, kBase, kEmptyUpdated));
  EXPECT_STREQ(doc.child("feed").child("entry").child_value("summary"), "precomputed");
}

// --- structure ------------------------------------------------------------------------------

TEST(RenderAtom, FeedMetadata) {
  const auto doc = parse(render_atom(node_for("xinmeiti/zaker/source"), {night_run(), holiday()},
                                     kBase, kEmptyUpdated));
  const auto feed = doc.child("feed");
  EXPECT_STREQ(feed.attribute("xmlns").value(), "http://www.w3.org/2005/Atom");
  EXPECT_STREQ(feed.child_value("id"), "urn:feedd:feed:xinmeiti:zaker:source");
  EXPECT_STREQ(feed.child_value("title"), "新媒体 › ZAKER › source");
  EXPECT_STREQ(feed.child_value("updated"), "2021-05-21T14:00:00Z");
  const auto self = feed.find_child_by_attribute("link", "rel", "self");
  EXPECT_STREQ(self.attribute("href").value(),
               "https://feeds.example.org/feeds/xinmeiti/zaker/source.xml");
  EXPECT_STREQ(self.attribute("type").value(), "application/atom+xml");
  EXPECT_STREQ(feed.find_child_by_attribute("link", "rel", "alternate").attribute("href").value(),
               "https://feeds.example.org/");
  EXPECT_STREQ(feed.child("generator").attribute("version").value(), kVersion);
  EXPECT_STREQ(feed.child("author").child_value("name"), "feedd");
}

TEST(RenderAtom, UpdatedIsNewestEntryElseEmptyUpdated) {
  struct Case {
    std::string name;
    std::vector<Entry> entries;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"no entries", {}, "2021-05-22T00:00:00Z"},
      {"newest first", {night_run(), holiday()}, "2021-05-21T14:00:00Z"},
      {"out of order", {holiday(), night_run()}, "2021-05-21T14:00:00Z"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto doc = parse(render_atom(node_for(""), c.entries, kBase, kEmptyUpdated));
    EXPECT_EQ(std::string(doc.child("feed").child_value("updated")), c.want);
  }
}

TEST(RenderAtom, EntryFields) {
  const auto doc =
      parse(render_atom(node_for(""), {night_run(), spec_doc()}, kBase, kEmptyUpdated));
  const auto first = doc.child("feed").child("entry");
  EXPECT_STREQ(first.child_value("id"), "urn:feedd:article:3f2a9c1e5b7d0a42");
  EXPECT_STREQ(first.child("title").attribute("type").value(), "text");
  EXPECT_STREQ(first.find_child_by_attribute("link", "rel", "alternate").attribute("href").value(),
               "https://www.myzaker.com/article/60a7b1c2d3e4f5a6b7c8d9e0");
  EXPECT_STREQ(first.child_value("published"), "2021-05-21T14:00:00Z");
  EXPECT_STREQ(first.child_value("updated"), "2021-05-21T14:00:00Z");
  EXPECT_STREQ(first.child("author").child_value("name"), "ZAKER");
  std::vector<std::string> terms;
  for (auto c : first.children("category"))
    terms.push_back(c.attribute("term").value());
  EXPECT_EQ(terms, (std::vector<std::string>{"新媒体", "ZAKER", "source"}));
  EXPECT_STREQ(first.child("content").attribute("type").value(), "html");
  EXPECT_EQ(first.child_value("content"), night_run().article.html);
  EXPECT_STREQ(first.child("summary").attribute("type").value(), "text");
  EXPECT_EQ(first.child_value("summary"), article::html_to_text(night_run().article.html, 500));
  const auto source = first.child("source");
  EXPECT_STREQ(source.child_value("id"), "https://rsshub.app/zaker/source/12291");
  EXPECT_STREQ(source.child_value("title"), "ZAKER 推荐");
  EXPECT_STREQ(source.child("link").attribute("href").value(),
               "https://www.myzaker.com/source/12291");
  EXPECT_STREQ(source.child_value("updated"), "2021-05-21T14:00:00Z");

  // The imported article: no link and no upstream feed, so neither element; content remains.
  const auto second = first.next_sibling("entry");
  EXPECT_STREQ(second.child_value("id"), "urn:feedd:article:c05d6e2f1a8b3d97");
  EXPECT_FALSE(second.child("link"));
  EXPECT_FALSE(second.child("source"));
  EXPECT_TRUE(second.child("content"));
}

// Issue 14: the upstream author is the entry's author; tags are categories with kTagScheme
// after the levels (which have no scheme); enclosures are rel="enclosure" links under the URL
// contract, with type and length when known.
TEST(RenderAtom, EntryMetadata) {
  const auto doc = parse(render_atom(node_for(""), {podcast()}, kBase, kEmptyUpdated));
  const auto entry = doc.child("feed").child("entry");
  EXPECT_STREQ(entry.child("author").child_value("name"), "跑团小李");
  std::vector<std::string> categories;
  for (auto c : entry.children("category")) {
    categories.push_back(std::string(c.attribute("term").value()) + "|" +
                         c.attribute("scheme").value() + "|" + c.attribute("label").value());
  }
  EXPECT_EQ(categories, (std::vector<std::string>{"新媒体||新媒体", "ZAKER||ZAKER",
                                                  "source||source", "运动|urn:feedd:tag|运动",
                                                  "夜跑 装备|urn:feedd:tag|夜跑 装备"}));
  std::vector<std::string> enclosures;
  for (auto l : entry.children("link")) {
    if (std::string_view(l.attribute("rel").value()) != "enclosure") continue;
    enclosures.push_back(std::string(l.attribute("href").value()) + "|" +
                         l.attribute("type").value() + "|" + l.attribute("length").value());
  }
  EXPECT_EQ(enclosures, (std::vector<std::string>{
                            "https://media.example.com/run/%e6%b8%85%e5%8d%95.pdf|application/"
                            "pdf|48213",
                            "https://media.example.com/run/talk.mp3|audio/mpeg|"}));
  // Without a creator the source is the author, as before.
  Entry plain = podcast();
  plain.article.creator.clear();
  const auto doc2 = parse(render_atom(node_for(""), {plain}, kBase, kEmptyUpdated));
  EXPECT_STREQ(doc2.child("feed").child("entry").child("author").child_value("name"), "ZAKER");
}

// updates: true. A rewritten entry keeps its id and published, and says when it changed; the
// feed's updated follows it.
TEST(RenderAtom, UpdatedEntry) {
  Entry e = podcast();
  e.article.updated = at(2021, 6, 1, 8, 30);
  const auto doc = parse(render_atom(node_for(""), {night_run(), e}, kBase, kEmptyUpdated));
  const auto feed = doc.child("feed");
  EXPECT_STREQ(feed.child_value("updated"), "2021-06-01T08:30:00Z");
  const auto entry = feed.child("entry").next_sibling("entry");
  EXPECT_STREQ(entry.child_value("id"), "urn:feedd:article:6c0e2b9d4f1a8e37");
  EXPECT_STREQ(entry.child_value("published"), "2021-05-21T12:00:00Z");
  EXPECT_STREQ(entry.child_value("updated"), "2021-06-01T08:30:00Z");
  // An updated before the date (a clock step) is not written: updated >= published.
  e.article.updated = at(2021, 5, 1, 0, 0);
  const auto doc2 = parse(render_atom(node_for(""), {e}, kBase, kEmptyUpdated));
  EXPECT_STREQ(doc2.child("feed").child("entry").child_value("updated"), "2021-05-21T12:00:00Z");
}

// RFC 4287 §4.1.1: an entry without its own author relies on the feed's.
TEST(RenderAtom, EntryWithoutAuthorFallsBackToFeedAuthor) {
  Entry e = night_run();
  e.article.author.clear();
  const auto doc = parse(render_atom(node_for(""), {e}, kBase, kEmptyUpdated));
  EXPECT_FALSE(doc.child("feed").child("entry").child("author"));
  EXPECT_STREQ(doc.child("feed").child("author").child_value("name"), "feedd");
}

// Issue 10, "Missing source element: title": atom:source always has a title, the upstream
// feed's, else the channel's display path; with neither (imports) there is no atom:source.
TEST(RenderAtom, SourceAlwaysHasATitle) {
  struct Case {
    std::string name;
    UpstreamInfo source;
    std::string want_title;  // "" = no atom:source
  };
  const std::vector<Case> cases = {
      {"nothing (an import)", {}, ""},
      {"link and feed URL only", {"", "https://example.com/", "", "https://example.com/f", ""}, ""},
      {"upstream title", {"上游", "", "", "", "新媒体 › ZAKER › source"}, "上游"},
      {"no upstream title", {"", "", "", "", "新媒体 › ZAKER › source"}, "新媒体 › ZAKER › source"},
      {"blank upstream title",
       {" \n", "", "", "", "新媒体 › ZAKER › source"},
       "新媒体 › ZAKER › source"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Entry e = night_run();
    e.source = c.source;
    const auto doc = parse(render_atom(node_for(""), {e}, kBase, kEmptyUpdated));
    const auto source = doc.child("feed").child("entry").child("source");
    EXPECT_EQ(static_cast<bool>(source), !c.want_title.empty());
    if (source) {
      EXPECT_EQ(source.child_value("title"), c.want_title);
      EXPECT_STREQ(source.child_value("updated"), "2021-05-21T14:00:00Z");
    }
  }
}

// The upstream's id when it is a usable URI, else the channel's feed URL, else none.
TEST(RenderAtom, SourceIdFallsBackToTheFeedUrl) {
  struct Case {
    std::string name, id, feed_url, want;  // want "" = no atom:id
  };
  const std::vector<Case> cases = {
      {"tag id", "tag:example.com,2021:feed", "https://example.com/f", "tag:example.com,2021:feed"},
      {"no id", "", "https://example.com/f", "https://example.com/f"},
      {"invalid urn", "urn:x:a/b", "https://example.com/f", "https://example.com/f"},
      {"id with a space", "urn:x:a b", "https://Example.com/f", "https://example.com/f"},
      {"neither usable", "javascript:alert(1)", "not a url", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Entry e = night_run();
    e.source = {"up", "", c.id, c.feed_url, ""};
    const auto doc = parse(render_atom(node_for(""), {e}, kBase, kEmptyUpdated));
    const auto source = doc.child("feed").child("entry").child("source");
    ASSERT_TRUE(source);
    EXPECT_EQ(source.child_value("id"), c.want);
    EXPECT_EQ(static_cast<bool>(source.child("id")), !c.want.empty());
  }
}

TEST(SourceId, Table) {
  struct Case {
    std::string in;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"https://rsshub.app/zaker/source/12291", "https://rsshub.app/zaker/source/12291"},
      {"HTTP://Example.COM/a b", "http://example.com/a%20b"},
      {"https://example.com/\"><script>", "https://example.com/%22%3e%3cscript%3e"},
      {"tag:example.com,2021:feed", "tag:example.com,2021:feed"},
      {"tag:me@example.com,2021-05-21:x/y", "tag:me@example.com,2021-05-21:x/y"},
      {"tag:example.com:feed", std::nullopt},  // no date
      {"tag:example.com,21:feed", std::nullopt},
      {"urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6",
       "urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6"},
      {"urn:feedd:feed:xinmeiti:zaker", "urn:feedd:feed:xinmeiti:zaker"},
      {"urn:feedd:feed:xinmeiti/zaker", std::nullopt},  // RFC 2141 reserves '/'
      {"urn:feedd", std::nullopt},
      {"ftp://example.com/feed", "ftp://example.com/feed"},
      {"mailto:a@example.com", "mailto:a@example.com"},
      {"javascript:alert(1)", std::nullopt},
      {"JavaScript:alert(1)", std::nullopt},
      {"vbscript:msgbox(1)", std::nullopt},
      {"data:text/html,<b>x</b>", std::nullopt},
      {"x:a b", std::nullopt},
      {"x:a\tb", std::nullopt},
      {"x:a<b", std::nullopt},
      {"x:%zz", std::nullopt},
      {"x:新", std::nullopt},
      {"/relative/path", std::nullopt},
      {"no scheme", std::nullopt},
      {"1x:y", std::nullopt},
      {"x:", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(source_id(c.in), c.want) << c.in;
  }
}

// Issue 10, "id is not a valid URN": urn:feedd:feed:a/b/c put RFC 2141's reserved '/' in
// every category feed's id.
TEST(RenderAtom, FeedIdIsAValidUrn) {
  struct Case {
    std::string path, want;
  };
  const std::vector<Case> cases = {
      {"", "urn:feedd:feed:all"},
      {"xinmeiti", "urn:feedd:feed:xinmeiti"},
      {"xinmeiti/zaker", "urn:feedd:feed:xinmeiti:zaker"},
      {"xinmeiti/zaker/source", "urn:feedd:feed:xinmeiti:zaker:source"},
      {"a_b-c/d", "urn:feedd:feed:a_b-c:d"},
      // Not a slug feeds.yaml allows; escaped, and ':' too, so that no two paths share an id.
      {"a:b/c", "urn:feedd:feed:a%3Ab:c"},
      {"a b/%/新", "urn:feedd:feed:a%20b:%25:%E6%96%B0"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const FeedNode node{c.path, "t", "feeds/x.xml", "", 1};
    const auto doc = parse(render_atom(node, {}, kBase, kEmptyUpdated));
    const std::string id = doc.child("feed").child_value("id");
    EXPECT_EQ(id, c.want);
    EXPECT_EQ(source_id(id), id) << "not an RFC 2141 URN";
  }
}

// Issue 10, "content should not be blank": an article without HTML got <content type="html"/>.
// Its title is then its text: the summary when it has a link, else the content (RFC 4287
// §4.1.1 needs atom:content or an alternate link).
TEST(RenderAtom, ContentIsNeverBlank) {
  struct Case {
    std::string name, html, link;
    std::string want_content_type;  // "" = no atom:content
    std::string want_content, want_summary;
  };
  const std::string title = night_run().article.title;
  const std::string link = night_run().article.link;
  const std::string html = night_run().article.html;
  const std::string text = article::html_to_text(html, kSummaryBytes);
  const std::vector<Case> cases = {
      {"body and link", html, link, "html", html, text},
      {"body, no link", html, "", "html", html, text},
      {"no body, link", "", link, "", "", title},
      {"blank body, link", " \n\t", link, "", "", title},
      {"no body, no link", "", "", "text", title, ""},
      {"no body, unusable link", "", "javascript:alert(1)", "text", title, ""},
      {"image only", "<img src=\"https://example.com/i.png\">", link, "html",
       "<img src=\"https://example.com/i.png\">", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Entry e = night_run();
    e.article.html = c.html;
    e.article.link = c.link;
    const auto doc = parse(render_atom(node_for(""), {e}, kBase, kEmptyUpdated));
    const auto entry = doc.child("feed").child("entry");
    const auto content = entry.child("content");
    EXPECT_EQ(content.attribute("type").value(), c.want_content_type);
    EXPECT_EQ(content.child_value(), c.want_content);
    EXPECT_EQ(entry.child_value("summary"), c.want_summary);
    EXPECT_EQ(static_cast<bool>(entry.child("summary")), !c.want_summary.empty());
    // RFC 4287 §4.1.1: atom:content or an alternate link.
    EXPECT_TRUE(content || entry.find_child_by_attribute("link", "rel", "alternate"));
  }
}

TEST(RenderAtom, DuplicateIdsKeepFirst) {
  Entry dup = holiday();
  dup.article.hash = night_run().article.hash;
  dup.article.title = "second copy";
  const auto doc = parse(
      render_atom(node_for(""), {night_run(), holiday(), dup, night_run()}, kBase, kEmptyUpdated));
  std::vector<std::string> ids, titles;
  for (auto e : doc.child("feed").children("entry")) {
    ids.push_back(e.child_value("id"));
    titles.push_back(e.child_value("title"));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"urn:feedd:article:3f2a9c1e5b7d0a42",
                                           "urn:feedd:article:5e9f0b3c7d2a6e18"}));
  EXPECT_EQ(titles[0], night_run().article.title);
}

// Issue 10: links went out as they came. Every URL goes through lib::web_url: absolute
// http(s) only, anything else left out, the rest percent-encoded.
TEST(RenderAtom, LinksObeyTheUrlContract) {
  struct Case {
    std::string link, want;  // want "" = left out
  };
  const std::vector<Case> cases = {
      {"https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2"},
      {"https://example.com/a b", "https://example.com/a%20b"},
      {"http://example.com/\"><script>alert(1)</script>",
       "http://example.com/%22%3e%3cscript%3ealert(1)%3c/script%3e"},
      {"https://例子.example/", ""},
      {"javascript:alert(1)", ""},
      {"vbscript:msgbox(1)", ""},
      {"data:text/html,<b>x</b>", ""},
      {"file:///etc/passwd", ""},
      {"/relative/path", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.link);
    Entry e = night_run();
    e.article.link = c.link;
    e.source.link = c.link;
    const auto doc = parse(render_atom(node_for(""), {e}, kBase, kEmptyUpdated));
    const auto entry = doc.child("feed").child("entry");
    EXPECT_EQ(entry.child("link").attribute("href").value(), c.want);
    EXPECT_EQ(entry.child("source").child("link").attribute("href").value(), c.want);
  }
}

TEST(RenderAtom, FeedLinksObeyTheUrlContract) {
  struct Case {
    std::string base, want_self, want_alternate;  // "" = left out
  };
  const std::vector<Case> cases = {
      {"https://feeds.example.org/", "https://feeds.example.org/feeds/all.xml",
       "https://feeds.example.org/"},
      {"https://Feeds.example.org/my feeds/", "https://feeds.example.org/my%20feeds/feeds/all.xml",
       "https://feeds.example.org/my%20feeds/"},
      {"ftp://feeds.example.org/", "", ""},
      {"", "", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.base);
    const auto doc = parse(render_atom(node_for(""), {night_run()}, c.base, kEmptyUpdated));
    const auto feed = doc.child("feed");
    EXPECT_EQ(feed.find_child_by_attribute("link", "rel", "self").attribute("href").value(),
              c.want_self);
    EXPECT_EQ(feed.find_child_by_attribute("link", "rel", "alternate").attribute("href").value(),
              c.want_alternate);
  }
}

// Escaping is the writer's (pugixml's choices, xml_writer_test.cpp); this proves the strings
// survive a round trip through a real XML parser unchanged, and that "]]>" never appears raw.
TEST(RenderAtom, EscapesMarkupInEveryField) {
  const std::string hostile = kHostile;
  const Entry e = hostile_entry();
  FeedNode node = node_for("");
  node.title = hostile;
  const std::string xml = render_atom(node, {e}, kBase, kEmptyUpdated);
  EXPECT_EQ(xml.find("<c>"), std::string::npos);
  // "]]>" is forbidden in character data (XML 1.0 §2.4), allowed in attribute values.
  const auto open = xml.find("<content type=\"html\">");
  const auto close = xml.find("</content>");
  ASSERT_NE(open, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  const std::string content = xml.substr(open, close - open);
  EXPECT_EQ(content.find("]]>"), std::string::npos) << content;
  EXPECT_NE(content.find("]]&gt;"), std::string::npos) << content;

  const auto doc = parse(xml);
  const auto feed = doc.child("feed");
  EXPECT_EQ(feed.child_value("title"), hostile);
  const auto entry = feed.child("entry");
  EXPECT_EQ(entry.child_value("title"), hostile);
  EXPECT_EQ(entry.child("author").child_value("name"), hostile);
  EXPECT_EQ(std::string(entry.child("category").attribute("term").value()), hostile);
  const auto tag = entry.find_child_by_attribute("category", "scheme", "urn:feedd:tag");
  EXPECT_EQ(std::string(tag.attribute("term").value()), hostile);
  const auto enclosure = entry.find_child_by_attribute("link", "rel", "enclosure");
  EXPECT_STREQ(enclosure.attribute("href").value(), "https://example.com/e?a=1&b=%222%22");
  EXPECT_FALSE(enclosure.attribute("type"));  // not a MIME type: left out
  EXPECT_EQ(entry.child_value("content"), e.article.html);
  EXPECT_STREQ(entry.child("link").attribute("href").value(), "https://example.com/?a=1&b=%222%22");
  EXPECT_EQ(entry.child("source").child_value("title"), hostile);
  // Not a URI: the feed URL stands in.
  EXPECT_STREQ(entry.child("source").child_value("id"), "https://example.com/f?a=1&b=2");
  EXPECT_STREQ(entry.child("source").child("link").attribute("href").value(),
               "https://example.com/?x=%3cy%3e");
}

TEST(RenderAtom, IllegalCharactersAreStripped) {
  const std::string xml = render_atom(node_for(""), {illegal_chars_entry()}, kBase, kEmptyUpdated);
  for (char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_FALSE(u < 0x20 && u != '\t' && u != '\n' && u != '\r') << "control byte " << int(u);
  }
  const auto doc = parse(xml);
  const auto entry = doc.child("feed").child("entry");
  EXPECT_STREQ(entry.child_value("title"), "bell nul vt ff fffe end");
  EXPECT_STREQ(entry.child("author").child_value("name"), "esc[0m");
  EXPECT_STREQ(entry.child_value("content"),
               "<p>bad utf-8 \xEF\xBF\xBD( and \xEF\xBF\xBD and lone \xEF\xBF\xBD</p>");
}

// --- xml_safe_text --------------------------------------------------------------------------

TEST(XmlSafeText, Table) {
  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string name, in, want;
  };
  const std::vector<Case> cases = {
      {"empty", "", ""},
      {"ascii", "plain <text> & more", "plain <text> & more"},
      {"allowed whitespace", "a\tb\nc\rd", "a\tb\nc\rd"},
      {"C0 controls dropped", std::string("a\x01") + '\0' + "b\x1F", "ab"},
      {"DEL and C1 kept", "\x7F\xC2\x85", "\x7F\xC2\x85"},
      {"chinese", "新媒体 › ZAKER", "新媒体 › ZAKER"},
      {"4-byte", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {"U+FFFE and U+FFFF dropped",
       "a\xEF\xBF\xBE\xEF\xBF\xBF"
       "b",
       "ab"},
      {"U+FFFD kept", fffd, fffd},
      {"stray continuation",
       "a\x80"
       "b",
       "a" + fffd + "b"},
      {"truncated at end", "a\xE6\x96", "a" + fffd},
      {"truncated mid", "\xE6\x96z", fffd + "z"},
      {"overlong", "\xC0\xAF", fffd + fffd},
      {"overlong 3-byte", "\xE0\x80\xAF", fffd + fffd + fffd},
      {"surrogate", "\xED\xA0\x80", fffd + fffd + fffd},
      {"beyond U+10FFFF", "\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},
      {"invalid lead", "\xFE\xFF", fffd + fffd},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(xml_safe_text(c.in), c.want) << c.name;
  }
}

// --- OPML -----------------------------------------------------------------------------------

// What a reader that imports OPML the way Miniflux (internal/reader/opml/parser.go,
// getSubscriptionsFromOutlines) does finds: an outline with an xmlUrl is a subscription and is
// not looked into; any other outline with children is a folder, whose title (else text) names
// the category of the subscriptions directly in it. FreshRSS (app/Services/ImportService.php)
// descends the same way, but files everything under the top folder's `text`.
struct Subscription {
  std::string url, title, category, top_folder;
  bool operator==(const Subscription&) const = default;
};

void import_outlines(pugi::xml_node parent, const std::string& category, const std::string& top,
                     std::vector<Subscription>& out) {
  for (auto o : parent.children("outline")) {
    if (!std::string(o.attribute("xmlUrl").value()).empty()) {
      const std::string title = o.attribute("title").value();
      out.push_back({o.attribute("xmlUrl").value(),
                     title.empty() ? o.attribute("text").value() : title, category, top});
    } else if (o.child("outline")) {
      const std::string title = o.attribute("title").value();
      const std::string name = title.empty() ? o.attribute("text").value() : title;
      import_outlines(o, name, top.empty() ? o.attribute("text").value() : top, out);
    }
  }
}

std::vector<Subscription> import_opml(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  std::vector<Subscription> out;
  import_outlines(doc.child("opml").child("body"), "", "", out);
  return out;
}

// Issue 10: feed outlines were nested inside feed outlines, so Miniflux and FreshRSS imported
// all.xml and the top categories only; leaves were titled with their last path segment.
TEST(RenderOpml, ReadersThatStopAtFeedOutlinesFindEveryFeedInItsFolder) {
  const std::string u = "https://feeds.example.org/feeds/";
  const std::vector<Subscription> want = {
      {u + "all.xml", "feedd", "", ""},
      {u + "xinmeiti.xml", "新媒体", "新媒体", "新媒体"},
      {u + "xinmeiti/zaker.xml", "新媒体 › ZAKER", "新媒体 › ZAKER", "新媒体"},
      {u + "xinmeiti/zaker/source.xml", "新媒体 › ZAKER › source", "新媒体 › ZAKER", "新媒体"},
      {u + "xinmeiti/zaker/channel.xml", "新媒体 › ZAKER › channel", "新媒体 › ZAKER", "新媒体"},
      {u + "xinmeiti/guokr.xml", "新媒体 › 果壳网", "新媒体 › 果壳网", "新媒体"},
      {u + "xinmeiti/guokr/scientific.xml", "新媒体 › 果壳网 › 科学人", "新媒体 › 果壳网",
       "新媒体"},
      {u + "chanpin.xml", "产品", "产品", "产品"},
      {u + "chanpin/woshipm.xml", "产品 › 人人都是产品经理", "产品 › 人人都是产品经理", "产品"},
      {u + "chanpin/woshipm/popular.xml", "产品 › 人人都是产品经理 › 热门",
       "产品 › 人人都是产品经理", "产品"},
  };
  EXPECT_EQ(import_opml(render_opml(feed_nodes(tree()), kBase)), want);
}

TEST(RenderOpml, FoldersCarryTextOnlyAndLeavesNoChildren) {
  const auto doc = parse(render_opml(feed_nodes(tree()), kBase));
  const auto opml = doc.child("opml");
  EXPECT_STREQ(opml.attribute("version").value(), "2.0");
  EXPECT_STREQ(opml.child("head").child_value("title"), "feedd");
  int folders = 0, leaves = 0;
  for (auto x : doc.select_nodes("//outline")) {
    const auto o = x.node();
    const std::string text = o.attribute("text").value();
    EXPECT_FALSE(text.empty());
    if (o.attribute("xmlUrl")) {
      ++leaves;
      EXPECT_FALSE(o.child("outline")) << text;
      EXPECT_STREQ(o.attribute("type").value(), "rss");
      EXPECT_EQ(o.attribute("title").value(), text);
      EXPECT_STREQ(o.attribute("htmlUrl").value(), "https://feeds.example.org/");
    } else {
      ++folders;
      // OPML 2.0 leaves a folder's attributes but `text` to types; the W3C Feed Validator
      // warns about a title without one.
      EXPECT_EQ(std::distance(o.attributes().begin(), o.attributes().end()), 1) << text;
      EXPECT_TRUE(o.child("outline")) << text;
      // Its own feed first.
      EXPECT_EQ(o.child("outline").attribute("text").value(), text);
    }
  }
  EXPECT_EQ(leaves, 10);
  EXPECT_EQ(folders, 5);  // the two tops and the three sources
}

TEST(RenderOpml, UrlsObeyTheUrlContract) {
  struct Case {
    std::string base, want_first_xml_url;  // "" = no leaf at all
  };
  const std::vector<Case> cases = {
      {"https://feeds.example.org/", "https://feeds.example.org/feeds/all.xml"},
      {"https://Feeds.example.org/a b/", "https://feeds.example.org/a%20b/feeds/all.xml"},
      {"javascript:alert(1)//", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.base);
    const auto doc = parse(render_opml(feed_nodes(tree()), c.base));
    const auto leaf = doc.select_node("//outline[@xmlUrl]").node();
    EXPECT_EQ(leaf.attribute("xmlUrl").value(), c.want_first_xml_url);
    if (c.want_first_xml_url.empty()) {
      EXPECT_FALSE(leaf);
      EXPECT_FALSE(doc.select_node("//outline[@htmlUrl]"));
    }
  }
}

// Nodes not produced by feed_nodes (a channel with no source before it) still land somewhere
// sensible instead of being dropped.
TEST(RenderOpml, ToleratesIrregularDepths) {
  const std::vector<FeedNode> nodes = {
      {"x/y/z", "X › Y › Z", "feeds/x/y/z.xml", "", 3},
      {"a", "A", "feeds/a.xml", "", 1},
      {"a/b/c", "A › B › C", "feeds/a/b/c.xml", "", 3},
  };
  const std::string u = "https://feeds.example.org/feeds/";
  const std::vector<Subscription> want = {
      {u + "x/y/z.xml", "X › Y › Z", "", ""},
      {u + "a.xml", "A", "A", "A"},
      {u + "a/b/c.xml", "A › B › C", "A", "A"},
  };
  EXPECT_EQ(import_opml(render_opml(nodes, kBase)), want);
}

// --- validation with real tools -------------------------------------------------------------

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quote(const std::string& s) {
  return "'" + s + "'";
}

const std::string kSchema = std::string(FEEDD_SOURCE_DIR) + "/tests/schema/atom.rnc";
const std::string kCheckAtom = std::string(FEEDD_SOURCE_DIR) + "/tests/support/check_atom.py";

// jing prints its findings on stdout; its stderr only has Debian's classpath warnings.
std::string jing(const std::string& file) {
  return "jing -c " + quote(kSchema) + " " + quote(file) + " 2>/dev/null";
}
std::string jing_quiet(const std::string& file) {
  return jing(file) + " >/dev/null";
}
std::string check_atom(const std::string& args) {
  return "/usr/bin/python3 " + quote(kCheckAtom) + " " + args;
}

class Validation : public ::testing::Test {
 protected:
  // check_atom's report on `path` (standard output and error), or "exit N: …" when it did not
  // exit 0 or 1, its two verdicts.
  std::string check_atom_verdict(const std::string& path, const std::string& options = "") {
    const std::string out = (dir_ / "check_atom.txt").string();
    const int status = run(check_atom(options + quote(path)) + " >" + quote(out) + " 2>&1");
    const std::string report = read_file(out);
    if (status != 0 && status != 1) return "exit " + std::to_string(status) + ": " + report;
    return report;
  }
  void SetUp() override {
    if (run("command -v jing >/dev/null 2>&1") != 0) GTEST_SKIP() << "jing not installed";
    if (run("/usr/bin/python3 -c 'import feedparser' 2>/dev/null") != 0) {
      GTEST_SKIP() << "python3-feedparser not installed";
    }
    dir_ = fs::path(::testing::TempDir()) / ("feedd_emit_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string put(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    write_file(path, text);
    return path;
  }
  fs::path dir_;
};

TEST_F(Validation, RenderedFeedsPassJingAndFeedparser) {
  for (const auto& c : atom_cases()) {
    SCOPED_TRACE(c.file);
    const auto xml = render_atom(node_for(c.node_path), c.entries, kBase, kEmptyUpdated);
    const auto path = put(c.file, xml);
    EXPECT_EQ(run(jing(path)), 0) << xml;
    // Expected count after de-duplication, counted independently of the renderer.
    std::vector<std::string> hashes;
    for (const auto& e : c.entries) {
      if (std::find(hashes.begin(), hashes.end(), e.article.hash) == hashes.end()) {
        hashes.push_back(e.article.hash);
      }
    }
    EXPECT_EQ(run(check_atom("--entries " + std::to_string(hashes.size()) + " " + quote(path))), 0);
  }
}

TEST_F(Validation, HostileInputStillGivesValidFeeds) {
  const auto path = put(
      "hostile.xml",
      render_atom(node_for(""), {hostile_entry(), illegal_chars_entry()}, kBase, kEmptyUpdated));
  EXPECT_EQ(run(jing(path)), 0);
  EXPECT_EQ(run(check_atom("--entries 2 " + quote(path))), 0);
}

// ../shared/tools/w3c-validate (the W3C Feed Validator) beside the repository; in CI its
// absence is a failure, elsewhere a skip.
class W3cValidator : public Validation {
 protected:
  void SetUp() override {
    const bool ci = std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true";
    const std::string probe = "/usr/bin/python3 -c 'import lxml, html5lib, rdflib' 2>/dev/null";
    if (!fs::exists(kW3cValidate) || run(probe) != 0) {
      if (ci) FAIL() << kW3cValidate << " or python3-lxml/html5lib/rdflib missing";
      GTEST_SKIP() << kW3cValidate << " or its Python modules missing";
    }
    Validation::SetUp();
  }
  // The validator's report of `files` (one line per finding, then the summary line).
  std::string validate(const std::vector<std::string>& files, int& status) {
    std::string command = "/usr/bin/python3 " + quote(kW3cValidate);
    for (const auto& f : files)
      command += " " + quote(f);
    const std::string out = (dir_ / "w3c.txt").string();
    status = run(command + " >" + quote(out) + " 2>&1");
    return read_file(out);
  }
  const std::string kW3cValidate =
      fs::path(FEEDD_SOURCE_DIR).parent_path().string() + "/shared/tools/w3c-validate";
};

// Issue 10: every feed and the OPML file pass the W3C Feed Validator with no error and, for
// these inputs, no warning either.
TEST_F(W3cValidator, GoldenFeedsHaveNoErrorOrWarning) {
  std::vector<std::string> files;
  for (const auto& c : atom_cases()) {
    files.push_back(
        put(c.file, render_atom(node_for(c.node_path), c.entries, kBase, kEmptyUpdated)));
  }
  files.push_back(put("feeds.opml", render_opml(feed_nodes(tree()), kBase)));
  int status = -1;
  const std::string report = validate(files, status);
  EXPECT_EQ(status, 0) << report;
  EXPECT_EQ(report, "5/5 feeds valid (0 errors, 0 warnings)\n");
}

// Hostile strings in every field: no error. The warnings left are about the entry's HTML as
// given, which the article stage sanitises before emit ever sees it: markup this test passes
// unsanitised, and the U+FFFD that stands for malformed UTF-8.
TEST_F(W3cValidator, HostileFeedHasNoError) {
  const std::string path = put(
      "hostile.xml", render_atom(node_for("xinmeiti/zaker"),
                                 {hostile_entry(), illegal_chars_entry()}, kBase, kEmptyUpdated));
  int status = -1;
  std::istringstream report(validate({path}, status));
  EXPECT_EQ(status, 0) << report.str();
  const std::vector<std::string> accepted = {": Invalid HTML", ": summary contains bad characters",
                                             ": content contains bad characters"};
  std::string line;
  while (std::getline(report, line)) {
    if (line.ends_with("feeds valid (0 errors, 3 warnings)")) continue;
    EXPECT_TRUE(std::any_of(accepted.begin(), accepted.end(), [&](const std::string& a) {
      return line.find(a) != std::string::npos;
    })) << line;
  }
}

// The check above can fail: the defects of issue 10 are still caught.
TEST_F(W3cValidator, CatchesTheDefectsOfIssue10) {
  const std::string good =
      render_atom(node_for("xinmeiti/zaker/source"), {night_run()}, kBase, kEmptyUpdated);
  const auto content_at = good.find("<content");
  const std::string content = good.substr(content_at, good.find("</content>") + 10 - content_at);
  struct Case {
    std::string name, from, to, finding;
  };
  const std::vector<Case> cases = {
      {"slash in the URN", "urn:feedd:feed:xinmeiti:zaker:source",
       "urn:feedd:feed:xinmeiti/zaker/source", "id is not a valid URN"},
      {"blank content", content, "<content type=\"html\"></content>",
       "content should not be blank"},
      {"source without title", "<title>ZAKER 推荐</title>", "", "Missing source element: title"},
      {"1970", "<updated>2021-05-21T14:00:00Z</updated>\n  <link",
       "<updated>1970-01-01T00:00:00Z</updated>\n  <link", "Implausible date"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string xml = good;
    const auto at = xml.find(c.from);
    ASSERT_NE(at, std::string::npos);
    xml.replace(at, c.from.size(), c.to);
    int status = -1;
    const std::string report = validate({put("broken.xml", xml)}, status);
    EXPECT_NE(report.find(c.finding), std::string::npos) << report;
  }
  // The one error among them.
  int status = -1;
  validate({put("urn.xml", std::string(good).replace(good.find("feed:xinmeiti:zaker"), 19,
                                                     "feed:xinmeiti/zaker"))},
           status);
  EXPECT_EQ(status, 1);
}

TEST_F(Validation, ValidatorsRejectBrokenFeeds) {
  const std::string good =
      render_atom(node_for(""), {night_run(), holiday()}, kBase, kEmptyUpdated);
  ASSERT_EQ(run(jing(put("good.xml", good))), 0);

  // atom:feed without its atom:id.
  std::string no_id = good;
  const auto from = no_id.find("  <id>urn:feedd:feed:all</id>\n");
  ASSERT_NE(from, std::string::npos);
  no_id.erase(from, std::string("  <id>urn:feedd:feed:all</id>\n").size());
  EXPECT_NE(run(jing_quiet(put("no_id.xml", no_id))), 0);

  // A date that is not RFC 3339.
  std::string bad_date = good;
  bad_date.replace(bad_date.find("2021-05-21T14:00:00Z"), 20, "Fri, 21 May 2021 14:00");
  EXPECT_NE(run(jing_quiet(put("bad_date.xml", bad_date))), 0);

  // Two entries with one id: valid for the schema, caught by check_atom. Its verdict is asserted,
  // not just its exit status, which a crash of the checker would give too.
  std::string dup = good;
  const std::string other = "urn:feedd:article:5e9f0b3c7d2a6e18";
  dup.replace(dup.find(other), other.size(), "urn:feedd:article:3f2a9c1e5b7d0a42");
  const std::string dup_path = put("dup.xml", dup);
  EXPECT_EQ(check_atom_verdict(dup_path),
            dup_path + ": FAIL: entry 1 repeats id urn:feedd:article:3f2a9c1e5b7d0a42\n");

  // Not well-formed: feedparser's bozo flag.
  const std::string cut_path = put("cut.xml", good.substr(0, good.size() / 2));
  EXPECT_NE(check_atom_verdict(cut_path).find(cut_path + ": FAIL: feedparser: "),
            std::string::npos);

  // Wrong entry count.
  const std::string count_path = put("count.xml", good);
  EXPECT_EQ(check_atom_verdict(count_path, "--entries 3 "),
            count_path + ": FAIL: 2 entries, expected 3\n");
  // And the checker's own verdict on the good feed, so that the three above can tell.
  const std::string good_path = put("good.xml", good);
  EXPECT_EQ(
      check_atom_verdict(good_path),
      good_path + ": ok: atom10, well-formed, 2 entries, ids unique, titles and dates present\n");
}

}  // namespace
}  // namespace feedd::emit
