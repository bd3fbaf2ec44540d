#include "config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace feedd::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

// Test YAML is written as R"(\n...)" so that the first line of the document sits on its own
// source line; drop that leading newline so line 1 is what it looks like.
std::string doc(std::string_view text) {
  if (text.starts_with('\n')) text.remove_prefix(1);
  return std::string(text);
}

LoadResult parse(std::string_view text) {
  return parse_config(doc(text), "feeds.yaml");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// A valid tree, appended after one global setting (which then sits on line 1).
constexpr std::string_view kTree = R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            url: https://example.com/feed.xml
)";

std::string with_tree(std::string_view first_line) {
  return std::string(first_line) + kTree.data();
}

// A valid tree whose one channel has `line` as its last key, on line 8.
std::string channel_with(std::string_view line) {
  return doc(R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)") + "            " +
         std::string(line) + "\n";
}

// A valid one-channel tree with `key: value` set at `level` (replacing the default of that
// key; a `route` replaces the `url`). An empty value keeps the default. The top-level key sits
// on line 1, the tree (in flow style) on line 2.
std::string tree_with(KeyLevel level, const std::string& key, const std::string& value) {
  using Map = std::vector<std::pair<std::string, std::string>>;
  const auto set = [&](Map map, KeyLevel at) {
    if (level != at || value.empty()) return map;
    std::erase_if(map, [&](const auto& kv) {
      return kv.first == key || (key == "route" && kv.first == "url");
    });
    map.emplace_back(key, value);
    return map;
  };
  const auto flow = [](const Map& map) {
    std::string out = "{";
    for (const auto& [k, v] : map)
      out += (out.size() > 1 ? ", " : "") + k + ": " + v;
    return out + "}";
  };
  const std::string channel =
      flow(set({{"name", "Chan"}, {"url", "'https://example.com/feed.xml'"}}, KeyLevel::channel));
  const std::string source =
      flow(set({{"name", "Src"}, {"channels", "[" + channel + "]"}}, KeyLevel::source));
  const std::string category =
      flow(set({{"name", "Top"}, {"sources", "[" + source + "]"}}, KeyLevel::category));
  const std::string first =
      level == KeyLevel::top && key != "categories" ? key + ": " + value : "# defaults";
  return first + "\ncategories: [" + category + "]\n";
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::vector<std::string> errors;
};

TEST(ParseConfig, ReportsEachErrorWithItsLine) {
  const std::vector<ErrorCase> cases = {
      {"category without name",
       R"(
categories:
  - slug: top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:2: category has no \"name\""}},
      {"source without name",
       R"(
categories:
  - name: Top
    sources:
      - slug: src
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:4: source has no \"name\""}},
      {"channel without name",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - slug: chan
            route: /a
)",
       {"feeds.yaml:6: channel has no \"name\""}},
      {"name given as null",
       R"(
categories:
  - name:
    slug: top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:2: category has no \"name\""}},
      {"channel with neither url nor route",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            interval: 1h
)",
       {"feeds.yaml:6: channel \"Chan\" needs a \"url\" or a \"route\""}},
      {"channel with both url and route",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            url: https://example.com/feed.xml
            route: /a
)",
       {"feeds.yaml:6: channel \"Chan\" has both \"url\" and \"route\": keep one"}},
      {"duplicate category slugs",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
  - name: Other
    slug: top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /b
)",
       {"feeds.yaml:9: duplicate category slug \"top\" (first used on line 2)"}},
      {"duplicate source slugs",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        slug: s
        channels:
          - name: Chan
            route: /a
      - name: S
        channels:
          - name: Chan
            route: /b
)",
       {"feeds.yaml:9: duplicate source slug \"s\" (first used on line 5)"}},
      {"duplicate channel slugs, one derived",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Front Page
            route: /a
          - name: Other
            slug: front-page
            route: /b
)",
       {"feeds.yaml:9: duplicate channel slug \"front-page\" (first used on line 6)"}},
      {"same slug in different parents is fine",
       R"(
categories:
  - name: Top
    sources:
      - name: A
        channels:
          - name: main
            route: /a
      - name: B
        channels:
          - name: main
            route: /b
)",
       {}},
      {"invalid explicit slug",
       R"(
categories:
  - name: Top
    slug: Top Stories
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:3: category \"Top\": invalid slug \"Top Stories\" (use 1 to 64 of a-z, 0-9, "
        "'_' and '-')"}},
      {"empty slug",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        slug: ""
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:5: source \"Src\": invalid slug \"\" (use 1 to 64 of a-z, 0-9, '_' and "
        "'-')"}},
      {"slug longer than 64",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            slug: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            route: /a
)",
       {"feeds.yaml:7: channel \"Chan\": invalid slug "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" (use 1 to 64 of "
        "a-z, 0-9, '_' and '-')"}},
      {"non-ASCII name needs a slug",
       R"(
listen: 127.0.0.1:8080
categories:
  - name: 新媒体
    slug: xinmeiti
    sources:
      - name: 果壳网
        channels:
          - name: 科学人
            slug: scientific
            route: /guokr/scientific
)",
       {"feeds.yaml:6: source \"果壳网\" needs a slug: its name is not ASCII"}},
      {"non-ASCII name needs a slug (line 7)",
       R"(
listen: 127.0.0.1:8080
categories:
  - name: 新媒体
    slug: xinmeiti
    sources:

      - name: 果壳网
        channels:
          - name: 科学人
            slug: scientific
            route: /guokr/scientific
)",
       {"feeds.yaml:7: source \"果壳网\" needs a slug: its name is not ASCII"}},
      {"derived slug is not valid",
       R"(
categories:
  - name: Top
    sources:
      - name: C++ Weekly
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:4: source \"C++ Weekly\" needs a slug: \"c++-weekly\", made from its name, "
        "is not valid (use 1 to 64 of a-z, 0-9, '_' and '-')"}},
      {"category slug all is reserved",
       R"(
categories:
  - name: All
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:2: category \"All\": slug \"all\" is reserved for feeds/all.xml"}},
      {"name with a newline",
       R"(
categories:
  - name: "Top\nStories"
    slug: top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:2: category name must be one line of at most 200 bytes"}},
      {"bad global interval",
       with_tree("interval: 5x"),
       {"feeds.yaml:1: invalid interval \"5x\" (use a positive whole number and s, m, h or d, "
        "e.g. 30m)"}},
      {"interval without unit",
       with_tree("interval: 30"),
       {"feeds.yaml:1: invalid interval \"30\" (use a positive whole number and s, m, h or d, "
        "e.g. 30m)"}},
      {"bad channel interval",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
            interval: 0m
)",
       {"feeds.yaml:8: channel \"Chan\": invalid interval \"0m\" (use a positive whole number "
        "and s, m, h or d, e.g. 30m)"}},
      {"channel url with another scheme",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            url: ftp://example.com/feed.xml
)",
       {"feeds.yaml:7: channel \"Chan\": \"url\" must be an absolute http, https or file URL, "
        "not \"ftp://example.com/feed.xml\""}},
      {"channel url not absolute",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            url: example.com/feed.xml
)",
       {"feeds.yaml:7: channel \"Chan\": \"url\" must be an absolute http, https or file URL, "
        "not \"example.com/feed.xml\""}},
      {"bad rsshub",
       with_tree("rsshub: rsshub.app"),
       {"feeds.yaml:1: \"rsshub\" must be an absolute http or https URL, not \"rsshub.app\""}},
      {"rsshub may not be file://",
       with_tree("rsshub: file:///srv/rsshub"),
       {"feeds.yaml:1: \"rsshub\" must be an absolute http or https URL, not "
        "\"file:///srv/rsshub\""}},
      {"bad rsshub is reported once, not for every route",
       R"(
rsshub: "not a url"
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)",
       {"feeds.yaml:1: \"rsshub\" must be an absolute http or https URL, not \"not a url\""}},
      {"bad base_url",
       with_tree("base_url: /feeds/"),
       {"feeds.yaml:1: \"base_url\" must be an absolute http or https URL, not \"/feeds/\""}},
      {"bad image_proxy",
       with_tree("image_proxy: proxy?"),
       {"feeds.yaml:1: \"image_proxy\" must be \"\" or an absolute http or https URL prefix, not "
        "\"proxy?\""}},
      {"route without leading slash",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: zaker/channel/13
)",
       {"feeds.yaml:7: channel \"Chan\": route \"zaker/channel/13\" must start with '/'"}},
      {"route that makes no URL",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a b
)",
       {"feeds.yaml:7: channel \"Chan\": route \"/a b\" does not make a valid URL"}},
      {"feed_entries zero",
       with_tree("feed_entries: 0"),
       {"feeds.yaml:1: \"feed_entries\" must be a whole number from 1 to 10000, not \"0\""}},
      {"feed_entries above the cap",
       with_tree("feed_entries: 10001"),
       {"feeds.yaml:1: \"feed_entries\" must be a whole number from 1 to 10000, not \"10001\""}},
      {"feed_entries not a number",
       with_tree("feed_entries: 5e1"),
       {"feeds.yaml:1: \"feed_entries\" must be a whole number from 1 to 10000, not \"5e1\""}},
      {"feed_entries overflowing int",
       with_tree("feed_entries: 99999999999999999999"),
       {"feeds.yaml:1: \"feed_entries\" must be a whole number from 1 to 10000, not "
        "\"99999999999999999999\""}},
      {"images unknown",
       with_tree("images: mirror"),
       {"feeds.yaml:1: \"images\" must be download, proxy or hotlink, not \"mirror\""}},
      {"image_base relative",
       with_tree("image_base: images/"),
       {"feeds.yaml:1: \"image_base\" must be an absolute http or https URL or a path "
        "starting with '/', not \"images/\""}},
      {"image_base protocol-relative",
       with_tree("image_base: //cdn.example/"),
       {"feeds.yaml:1: \"image_base\" must be an absolute http or https URL or a path "
        "starting with '/', not \"//cdn.example/\""}},
      {"image_cache_mb zero",
       with_tree("image_cache_mb: 0"),
       {"feeds.yaml:1: \"image_cache_mb\" must be a whole number of MiB from 1 to 1048576, "
        "not \"0\""}},
      {"image_max_per_article above the cap",
       with_tree("image_max_per_article: 1001"),
       {"feeds.yaml:1: \"image_max_per_article\" must be a whole number from 0 to 1000, not "
        "\"1001\""}},
      {"image_max_mb not a number",
       with_tree("image_max_mb: 2MB"),
       {"feeds.yaml:1: \"image_max_mb\" must be a whole number of MiB from 1 to 1024, not "
        "\"2MB\""}},
      {"image_article_mb negative",
       with_tree("image_article_mb: -3"),
       {"feeds.yaml:1: \"image_article_mb\" must be a whole number of MiB from 1 to 16384, not "
        "\"-3\""}},
      {"image_cycle_mb empty",
       with_tree("image_cycle_mb: ''"),
       {"feeds.yaml:1: \"image_cycle_mb\" must be a whole number of MiB from 1 to 1048576, not "
        "that"}},
      {"image_private_hosts yes",
       with_tree("image_private_hosts: yes"),
       {"feeds.yaml:1: \"image_private_hosts\" must be true or false, not \"yes\""}},
      {"referer not a mapping",
       with_tree("referer: [sinaimg.cn]"),
       {"feeds.yaml:1: \"referer\" must be a mapping of image host to Referer URL"}},
      {"referer bad host, bad URL, repeated host",
       with_tree("referer: {\"https://sinaimg.cn/\": https://weibo.com/, qpic.cn: "
                 "weixin.qq.com, Zhimg.com: https://zhihu.com/, zhimg.com: "
                 "https://www.zhihu.com/}"),
       {"feeds.yaml:1: invalid referer host \"https://sinaimg.cn/\" (a host name such as "
        "player.bilibili.com, without scheme, port or path)",
        "feeds.yaml:1: the referer for \"qpic.cn\" must be an absolute http or https URL, not "
        "\"weixin.qq.com\"",
        "feeds.yaml:1: referer host \"zhimg.com\" is listed twice"}},
      {"keep_days negative",
       with_tree("keep_days: -1"),
       {"feeds.yaml:1: \"keep_days\" must be a whole number of days from 0 to 36500, not "
        "\"-1\""}},
      {"unknown global timezone",
       with_tree("timezone: Asia/Atlantis"),
       {"feeds.yaml:1: unknown timezone \"Asia/Atlantis\" (use an IANA name such as "
        "Asia/Shanghai)"}},
      {"unknown channel timezone",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
            timezone: CEST
)",
       {"feeds.yaml:8: channel \"Chan\": unknown timezone \"CEST\" (use an IANA name such as "
        "Asia/Shanghai)"}},
      {"unknown channel encoding",
       channel_with("encoding: klingon"),
       {"feeds.yaml:8: channel \"Chan\": unknown encoding \"klingon\" (use a charset name "
        "iconv knows, such as gb18030 or big5)"}},
      // glibc would take "//IGNORE" as an option, not as part of a name.
      {"channel encoding with an iconv suffix",
       channel_with("encoding: gbk//IGNORE"),
       {"feeds.yaml:8: channel \"Chan\": unknown encoding \"gbk//IGNORE\" (use a charset "
        "name iconv knows, such as gb18030 or big5)"}},
      {"empty channel encoding",
       channel_with("encoding: \"\""),
       {"feeds.yaml:8: channel \"Chan\": unknown encoding (use a charset name iconv knows, "
        "such as gb18030 or big5)"}},
      // Not echoed: a control character could forge a diagnostic line.
      {"channel encoding with a control character",
       channel_with("encoding: \"gb\\nk\""),
       {"feeds.yaml:8: channel \"Chan\": unknown encoding (use a charset name iconv knows, "
        "such as gb18030 or big5)"}},
      {"channel encoding given a list",
       channel_with("encoding: [gbk]"),
       {"feeds.yaml:8: \"encoding\" must be a single value, not a list or mapping"}},
      {"listen without port",
       with_tree("listen: localhost"),
       {"feeds.yaml:1: \"listen\" must be HOST:PORT with a port from 1 to 65535, not "
        "\"localhost\""}},
      {"listen port 0",
       with_tree("listen: 127.0.0.1:0"),
       {"feeds.yaml:1: \"listen\" must be HOST:PORT with a port from 1 to 65535, not "
        "\"127.0.0.1:0\""}},
      {"listen port too large",
       with_tree("listen: 127.0.0.1:65536"),
       {"feeds.yaml:1: \"listen\" must be HOST:PORT with a port from 1 to 65535, not "
        "\"127.0.0.1:65536\""}},
      {"listen without host",
       with_tree("listen: :8080"),
       {"feeds.yaml:1: \"listen\" must be HOST:PORT with a port from 1 to 65535, not "
        "\":8080\""}},
      {"listen with unbracketed IPv6",
       with_tree("listen: \"::1:8080\""),
       {"feeds.yaml:1: \"listen\" must be HOST:PORT with a port from 1 to 65535, not "
        "\"::1:8080\""}},
      {"categories missing",
       R"(
output: out
listen: 127.0.0.1:8080
)",
       {"feeds.yaml:1: \"categories\" must list at least one category"}},
      {"categories empty",
       R"(
output: out
categories: []
)",
       {"feeds.yaml:2: \"categories\" must list at least one category"}},
      {"categories null",
       R"(
output: out
categories:
)",
       {"feeds.yaml:2: \"categories\" must list at least one category"}},
      {"categories not a list",
       R"(
categories:
  name: Top
)",
       {"feeds.yaml:2: \"categories\" must be a list"}},
      {"empty file", "", {"feeds.yaml:1: \"categories\" must list at least one category"}},
      {"category without sources",
       R"(
categories:
  - name: Top
)",
       {"feeds.yaml:2: category \"Top\" has no sources"}},
      {"source without channels",
       R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels: []
)",
       {"feeds.yaml:4: source \"Src\" has no channels"}},
      {"category that is not a mapping",
       R"(
categories:
  - Top
)",
       {"feeds.yaml:2: a category must be a mapping with a \"name\""}},
      {"document that is not a mapping",
       R"(
- output: out
)",
       {"feeds.yaml:1: expected a mapping of settings and \"categories\""}},
      {"setting given a list",
       with_tree("output: [a, b]"),
       {"feeds.yaml:1: \"output\" must be a single value, not a list or mapping"}},
      {"empty output", with_tree("output: \"\""), {"feeds.yaml:1: \"output\" must not be empty"}},
      {"duplicate key",
       R"(
interval: 1h
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
interval: 2h
)",
       {"feeds.yaml:9: duplicate key \"interval\" (first on line 1)"}},
      {"YAML syntax error",
       R"(
output: out
categories:
  - name: Top
    sources: [a, b
  - name: Other
)",
       {"feeds.yaml:5: invalid YAML: end of sequence flow not found"}},
      {"YAML bad indentation",
       R"(
output: out
 listen: 127.0.0.1:8080
categories: []
)",
       {"feeds.yaml:2: invalid YAML: illegal map value"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const LoadResult r = parse(c.text);
    EXPECT_EQ(r.errors, c.errors);
    EXPECT_EQ(r.config.has_value(), c.errors.empty());
  }
}

TEST(ParseConfig, ReportsAllErrorsInFileOrder) {
  const std::string dir = FEEDD_TEST_DATA "/config/";
  const LoadResult r = parse_config(read_text(dir + "many_errors.yaml"), "many_errors.yaml");
  EXPECT_EQ(r.errors, read_lines(dir + "many_errors.expected"));
  EXPECT_EQ(r.warnings, read_lines(dir + "many_errors.warnings"));
  EXPECT_FALSE(r.config);
}

TEST(ParseConfig, WarnsAboutUnknownKeysAtEveryLevel) {
  const LoadResult r = parse(R"(
outptu: out
categories:
  - name: Top
    sorces: []
    sources:
      - name: Src
        author: someone
        channels:
          - name: Chan
            route: /a
            intervall: 1h
    # a comment is not a key
)");
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.warnings, ElementsAre("feeds.yaml:1: unknown key \"outptu\" (ignored)",
                                      "feeds.yaml:4: unknown key \"sorces\" (ignored)",
                                      "feeds.yaml:7: unknown key \"author\" (ignored)",
                                      "feeds.yaml:11: unknown key \"intervall\" (ignored)"));
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->output, "output");  // the misspelt key did not count
}

// The key table is the allow-list and the dispatch at once. Regression: a key on the allow-list
// but missing from the dispatch used to be accepted and silently ignored. Every key
// known_keys() lists must have a case here, and each case's value must land in Config (each
// value differs from the default, so a key the loader dropped fails its check).
TEST(ParseConfig, EveryAcceptedKeyLandsInConfig) {
  struct Case {
    KeyLevel level;
    std::string key, value;  // value in YAML flow style
    std::function<bool(const Config&)> landed;
  };
  const auto chan = [](const Config& c) { return *c.channels().at(0); };
  const std::vector<Case> cases = {
      {KeyLevel::top, "output", "out", [](auto& c) { return c.output == "/etc/feedd/out"; }},
      {KeyLevel::top, "state", "db/x.db", [](auto& c) { return c.state == "/etc/feedd/db/x.db"; }},
      {KeyLevel::top, "listen", "localhost:9000",
       [](auto& c) { return c.listen == "localhost:9000"; }},
      {KeyLevel::top, "base_url", "https://blog.example.org",
       [](auto& c) { return c.base_url == "https://blog.example.org/"; }},
      {KeyLevel::top, "interval", "5m",
       [&](auto& c) { return c.interval == 5min && chan(c).interval == 5min; }},
      {KeyLevel::top, "feed_entries", "7", [](auto& c) { return c.feed_entries == 7; }},
      {KeyLevel::top, "image_proxy", "''", [](auto& c) { return c.image_proxy.empty(); }},
      {KeyLevel::top, "rsshub", "https://hub.example.org/",
       [](auto& c) { return c.rsshub == std::vector<std::string>{"https://hub.example.org"}; }},
      {KeyLevel::top, "rsshub_key", "k3y", [](auto& c) { return c.rsshub_key == "k3y"; }},
      {KeyLevel::top, "on_new_posts", "[hexo, generate]",
       [](auto& c) {
         return c.on_new_posts == std::vector<std::string>{"hexo", "generate"};
       }},
      {KeyLevel::top, "webhook", "'https://hooks.example/x'",
       [](auto& c) { return c.webhook == "https://hooks.example/x"; }},
      {KeyLevel::top, "timezone", "UTC",
       [&](auto& c) { return c.timezone == "UTC" && chan(c).timezone == "UTC"; }},
      {KeyLevel::top, "inbox", "in", [](auto& c) { return c.inbox == "/etc/feedd/in"; }},
      {KeyLevel::top, "keep_days", "30", [](auto& c) { return c.keep_days == 30; }},
      {KeyLevel::top, "refresh_token", "s3cret",
       [](auto& c) { return c.refresh_token == "s3cret"; }},
      {KeyLevel::top, "iframe_hosts", "[Player.Bilibili.com]",
       [](auto& c) { return c.iframe_hosts == std::vector<std::string>{"player.bilibili.com"}; }},
      {KeyLevel::top, "images", "download",
       [](auto& c) { return c.images == ImageMode::download; }},
      {KeyLevel::top, "images", "proxy", [](auto& c) { return c.images == ImageMode::proxy; }},
      {KeyLevel::top, "image_base", "/images", [](auto& c) { return c.image_base == "/images/"; }},
      {KeyLevel::top, "referer", "{Sinaimg.CN: 'https://weibo.com/'}",
       [](auto& c) {
         return c.referer == std::vector<std::pair<std::string, std::string>>{
                                 {"sinaimg.cn", "https://weibo.com/"}};
       }},
      {KeyLevel::top, "image_cache_mb", "64", [](auto& c) { return c.image_cache_mb == 64; }},
      {KeyLevel::top, "image_private_hosts", "true", [](auto& c) { return c.image_private_hosts; }},
      {KeyLevel::top, "image_max_per_article", "0",
       [](auto& c) { return c.image_max_per_article == 0; }},
      {KeyLevel::top, "image_max_mb", "2", [](auto& c) { return c.image_max_mb == 2; }},
      {KeyLevel::top, "image_article_mb", "8", [](auto& c) { return c.image_article_mb == 8; }},
      {KeyLevel::top, "image_cycle_mb", "100", [](auto& c) { return c.image_cycle_mb == 100; }},
      {KeyLevel::top, "categories", "", [](auto& c) { return c.categories.size() == 1; }},
      {KeyLevel::category, "name", "Top Two",
       [](auto& c) { return c.categories[0].name == "Top Two"; }},
      {KeyLevel::category, "slug", "t2", [](auto& c) { return c.categories[0].slug == "t2"; }},
      {KeyLevel::category, "sources", "",
       [](auto& c) { return c.categories[0].sources.size() == 1; }},
      {KeyLevel::source, "name", "Src Two",
       [](auto& c) { return c.categories[0].sources[0].name == "Src Two"; }},
      {KeyLevel::source, "slug", "s2",
       [](auto& c) { return c.categories[0].sources[0].slug == "s2"; }},
      {KeyLevel::source, "channels", "", [](auto& c) { return c.channels().size() == 1; }},
      {KeyLevel::channel, "name", "Chan Two", [&](auto& c) { return chan(c).name == "Chan Two"; }},
      {KeyLevel::channel, "slug", "c2", [&](auto& c) { return chan(c).slug == "c2"; }},
      {KeyLevel::channel, "url", "'https://other.example/feed'",
       [&](auto& c) { return chan(c).url == "https://other.example/feed"; }},
      {KeyLevel::channel, "route", "/x/y",
       [&](auto& c) { return chan(c).route == "/x/y" && chan(c).url == "https://rsshub.app/x/y"; }},
      {KeyLevel::channel, "interval", "90s", [&](auto& c) { return chan(c).interval == 90s; }},
      {KeyLevel::channel, "timezone", "Europe/Berlin",
       [&](auto& c) { return chan(c).timezone == "Europe/Berlin"; }},
      {KeyLevel::channel, "encoding", "gb18030",
       [&](auto& c) { return chan(c).encoding == "gb18030"; }},
      // Rules: a node's own, and in its channels' inherited set.
      {KeyLevel::category, "drop", "[{title: x}]",
       [&](auto& c) {
         return c.categories[0].rules.rules().size() == 1 && chan(c).rules.rules().size() == 1;
       }},
      {KeyLevel::category, "keep", "[{title: x}]",
       [&](auto& c) { return chan(c).rules.rules().at(0).kind == rules::Kind::kKeep; }},
      {KeyLevel::source, "drop", "[{author: x}]",
       [&](auto& c) {
         return c.categories[0].sources[0].rules.rules().size() == 1 &&
                chan(c).rules.rules().at(0).field == rules::Field::kAuthor;
       }},
      {KeyLevel::source, "keep", "[{link: x}]",
       [&](auto& c) { return chan(c).rules.rules().at(0).field == rules::Field::kLink; }},
      {KeyLevel::channel, "drop", "[{content: x}]",
       [&](auto& c) { return chan(c).rules.rules().at(0).field == rules::Field::kContent; }},
      {KeyLevel::category, "updates", "true", [&](auto& c) { return chan(c).updates; }},
      {KeyLevel::source, "updates", "true", [&](auto& c) { return chan(c).updates; }},
      {KeyLevel::channel, "updates", "true", [&](auto& c) { return chan(c).updates; }},
      {KeyLevel::channel, "keep", "[{category: x}]",
       [&](auto& c) { return chan(c).rules.rules().at(0).field == rules::Field::kCategory; }},
  };

  for (const KeyLevel level :
       {KeyLevel::top, KeyLevel::category, KeyLevel::source, KeyLevel::channel}) {
    const auto keys = known_keys(level);
    EXPECT_THAT(keys, Not(IsEmpty()));
    for (const std::string_view key : keys) {
      EXPECT_TRUE(std::any_of(cases.begin(), cases.end(),
                              [&](const Case& c) { return c.level == level && c.key == key; }))
          << "no case for the accepted key \"" << key << "\"";
    }
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    EXPECT_THAT(known_keys(c.level), testing::Contains(c.key)) << "a case for an unknown key";
    const LoadResult r = parse_config(tree_with(c.level, c.key, c.value), "/etc/feedd/feeds.yaml");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, IsEmpty());
    ASSERT_TRUE(r.config);
    EXPECT_TRUE(c.landed(*r.config));
  }
}

// A key outside a level's table is warned about, word for word, at every level; the same key
// is accepted at a level whose table has it.
TEST(ParseConfig, AKeyOutsideItsLevelsTableWarns) {
  struct Case {
    KeyLevel level;
    std::string key;
    std::string warning;  // "" = accepted
  };
  const std::vector<Case> cases = {
      {KeyLevel::top, "bogus", "feeds.yaml:1: unknown key \"bogus\" (ignored)"},
      {KeyLevel::category, "bogus", "feeds.yaml:2: unknown key \"bogus\" (ignored)"},
      {KeyLevel::source, "bogus", "feeds.yaml:2: unknown key \"bogus\" (ignored)"},
      {KeyLevel::channel, "bogus", "feeds.yaml:2: unknown key \"bogus\" (ignored)"},
      {KeyLevel::top, "encoding", "feeds.yaml:1: unknown key \"encoding\" (ignored)"},
      {KeyLevel::category, "url", "feeds.yaml:2: unknown key \"url\" (ignored)"},
      {KeyLevel::source, "interval", "feeds.yaml:2: unknown key \"interval\" (ignored)"},
      {KeyLevel::channel, "channels", "feeds.yaml:2: unknown key \"channels\" (ignored)"},
      {KeyLevel::channel, "interval", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    const LoadResult r = parse_config(tree_with(c.level, c.key, "1h"), "feeds.yaml");
    EXPECT_THAT(r.errors, IsEmpty());
    if (c.warning.empty()) {
      EXPECT_THAT(r.warnings, IsEmpty());
    } else {
      EXPECT_THAT(r.warnings, ElementsAre(c.warning));
    }
  }
}

// `encoding:` is kept as written (parse maps labels to iconv names); only channels have it.
TEST(ParseConfig, ChannelEncoding) {
  for (const std::string value :
       {"gbk", "GB2312", "gb18030", "Big5", "utf-8", "UTF8", "x-gbk", "iso-8859-1", "CP936"}) {
    SCOPED_TRACE(value);
    const LoadResult r = parse(channel_with("encoding: " + value));
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, IsEmpty());
    ASSERT_TRUE(r.config);
    EXPECT_EQ(r.config->channels().at(0)->encoding, value);
  }
  const LoadResult r = parse(R"(
categories:
  - name: Top
    sources:
      - name: Src
        encoding: gbk
        channels:
          - name: Chan
            route: /a
)");
  EXPECT_THAT(r.warnings, ElementsAre("feeds.yaml:5: unknown key \"encoding\" (ignored)"));
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->channels().at(0)->encoding, "");
}

TEST(ParseConfig, WarningsAreKeptAlongsideErrors) {
  const LoadResult r = parse(with_tree("colour: red\nlisten: nowhere"));
  EXPECT_THAT(r.warnings, ElementsAre("feeds.yaml:1: unknown key \"colour\" (ignored)"));
  EXPECT_THAT(r.errors,
              ElementsAre("feeds.yaml:2: \"listen\" must be HOST:PORT with a port from 1 to "
                          "65535, not \"nowhere\""));
}

TEST(ParseConfig, NeverRevealsTheRefreshTokenOrUrlPasswords) {
  const std::string token = "tok-5e3c9d1f";
  const std::vector<std::string> texts = {
      "refresh_token: [" + token + "]\n" + std::string(kTree),
      "refresh_token: {" + token + ": 1}\n" + std::string(kTree),
      "refresh_token: " + token + "\nrefresh_token: " + token + "\n" + std::string(kTree),
      "refresh_token: " + token + "\nlisten: x\ncategories: []\n",
      "refresh_token: \"" + token + "\n",  // unterminated: a syntax error on that line
      "rsshub: ftp://me:" + token + "@example.com/\n" + std::string(kTree),
      "rsshub: [https://ok.example, \"ftp://h.example/?key=" + token + "\"]\n" + std::string(kTree),
      "rsshub_key: \"" + token + "\\n\"\n" + std::string(kTree),
      "webhook: \"gopher://h.example/?token=" + token + "\"\n" + std::string(kTree),
      with_tree("base_url: gopher://me:" + token + "@example.com/"),
  };
  for (const auto& text : texts) {
    SCOPED_TRACE(text);
    const LoadResult r = parse_config(text, "feeds.yaml");
    EXPECT_THAT(r.errors, Not(IsEmpty()));
    for (const auto& m : r.errors)
      EXPECT_EQ(m.find(token), std::string::npos) << m;
    for (const auto& m : r.warnings)
      EXPECT_EQ(m.find(token), std::string::npos) << m;
  }
  const LoadResult ok = parse_config("refresh_token: " + token + "\n" + std::string(kTree), "f");
  ASSERT_TRUE(ok.config);
  EXPECT_EQ(ok.config->refresh_token, token);
}

TEST(ParseConfig, IframeHosts) {
  struct Case {
    std::string name;
    std::string settings;  // lines before the tree
    std::vector<std::string> hosts;
    std::vector<std::string> errors;
  };
  const std::vector<Case> cases = {
      {"absent: the video players the shipped sources embed",
       "",
       {"player.bilibili.com", "v.qq.com"},
       {}},
      {"null: not given, the default", "iframe_hosts:\n", {"player.bilibili.com", "v.qq.com"}, {}},
      {"empty list: every iframe goes", "iframe_hosts: []\n", {}, {}},
      {"block list, lower-cased, duplicates dropped",
       "iframe_hosts:\n  - player.bilibili.com\n  - V.QQ.com\n  - v.qq.com\n",
       {"player.bilibili.com", "v.qq.com"},
       {}},
      {"flow list",
       "iframe_hosts: [www.youtube-nocookie.com, player.vimeo.com]\n",
       {"www.youtube-nocookie.com", "player.vimeo.com"},
       {}},
      {"a single host is not a list",
       "iframe_hosts: player.bilibili.com\n",
       {},
       {"feeds.yaml:1: \"iframe_hosts\" must be a list of host names"}},
      {"URLs, ports, paths and wildcards are not host names",
       "iframe_hosts:\n  - https://player.bilibili.com/\n  - v.qq.com:443\n  - "
       "\"*.qq.com\"\n  - ok.example\n  - a..b\n  - [x]\n",
       {},
       {"feeds.yaml:2: invalid iframe host \"https://player.bilibili.com/\" (a host name such as "
        "player.bilibili.com, without scheme, port or path)",
        "feeds.yaml:3: invalid iframe host \"v.qq.com:443\" (a host name such as "
        "player.bilibili.com, without scheme, port or path)",
        "feeds.yaml:4: invalid iframe host \"*.qq.com\" (a host name such as "
        "player.bilibili.com, without scheme, port or path)",
        "feeds.yaml:6: invalid iframe host \"a..b\" (a host name such as player.bilibili.com, "
        "without scheme, port or path)",
        "feeds.yaml:7: invalid iframe host (a host name such as player.bilibili.com, without "
        "scheme, port or path)"}},
      {"a line break is not echoed",
       "iframe_hosts: [\"a\\nfeeds.yaml:1: forged\"]\n",
       {},
       {"feeds.yaml:1: invalid iframe host (a host name such as player.bilibili.com, without "
        "scheme, port or path)"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const LoadResult r = parse_config(c.settings + std::string(kTree), "feeds.yaml");
    EXPECT_EQ(r.errors, c.errors);
    EXPECT_THAT(r.warnings, IsEmpty());
    if (c.errors.empty()) {
      ASSERT_TRUE(r.config);
      EXPECT_EQ(r.config->iframe_hosts, c.hosts);
    }
  }
}

// Issue 12: rsshub takes a list of instances (failover, in order), a string stays valid, and
// rsshub_key is appended to every route URL as key=.
TEST(ParseConfig, RsshubInstancesAndKey) {
  struct Case {
    std::string name;
    std::string settings;           // lines before the tree, whose one channel has route: /a?x=1
    std::vector<std::string> urls;  // the channel's URLs
    std::vector<std::string> errors;
  };
  const std::vector<Case> cases = {
      {"one string", "rsshub: https://hub.example/\n", {"https://hub.example/a?x=1"}, {}},
      {"a list, in order, trailing slashes and duplicates dropped",
       "rsshub:\n  - http://127.0.0.1:1200/\n  - https://hub.example\n  - https://hub.example/\n",
       {"http://127.0.0.1:1200/a?x=1", "https://hub.example/a?x=1"},
       {}},
      {"key appended to every instance, encoded",
       "rsshub: [https://a.example, https://b.example]\nrsshub_key: \"s3 cr&t\"\n",
       {"https://a.example/a?x=1&key=s3+cr%26t", "https://b.example/a?x=1&key=s3+cr%26t"},
       {}},
      {"an empty list",
       "rsshub: []\n",
       {},
       {"feeds.yaml:1: \"rsshub\" must list at least one instance"}},
      {"a mapping",
       "rsshub: {a: 1}\n",
       {},
       {"feeds.yaml:1: \"rsshub\" must be a URL or a list of URLs"}},
      {"each bad instance on its line, once",
       "rsshub:\n  - https://ok.example\n  - rsshub.app\n  - [x]\n",
       {},
       {"feeds.yaml:3: \"rsshub\" must be an absolute http or https URL, not \"rsshub.app\"",
        "feeds.yaml:4: \"rsshub\" must be an absolute http or https URL, not \"\""}},
      {"too many",
       "rsshub: [" +
           [] {
             std::string list;
             for (int i = 0; i < 17; ++i)
               list += (i ? ", " : "") + std::string("https://h") + std::to_string(i) + ".example";
             return list;
           }() +
           "]\n",
       {},
       {"feeds.yaml:1: more than 16 rsshub instances"}},
      {"a key on two lines",
       "rsshub_key: \"a\\nb\"\n",
       {},
       {"feeds.yaml:1: \"rsshub_key\" must be one line of at most 200 bytes"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const LoadResult r = parse_config(c.settings + R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a?x=1
)",
                                      "feeds.yaml");
    EXPECT_EQ(r.errors, c.errors);
    EXPECT_THAT(r.warnings, IsEmpty());
    if (c.errors.empty()) {
      ASSERT_TRUE(r.config);
      const auto& ch = *r.config->channels().at(0);
      EXPECT_EQ(ch.urls, c.urls);
      EXPECT_EQ(ch.url, c.urls.front());
    }
  }
}

// Issue 12: on_new_posts (argv, no shell) and webhook.
TEST(ParseConfig, OnNewPostsAndWebhook) {
  const std::vector<ErrorCase> cases = {
      {"on_new_posts as a string",
       with_tree("on_new_posts: hexo generate"),
       {"feeds.yaml:1: \"on_new_posts\" must be a list: the program and its arguments, e.g. "
        "[hexo, generate]"}},
      {"on_new_posts with a list inside",
       with_tree("on_new_posts: [hexo, [a]]"),
       {"feeds.yaml:1: \"on_new_posts\" arguments must be single values"}},
      {"on_new_posts with an empty program",
       with_tree("on_new_posts: ['', generate]"),
       {"feeds.yaml:1: \"on_new_posts\" must start with a program name"}},
      {"on_new_posts with a NUL",
       with_tree("on_new_posts: [\"a\\0b\"]"),
       {"feeds.yaml:1: \"on_new_posts\" arguments must have no NUL and at most 4096 bytes"}},
      {"webhook not a URL",
       with_tree("webhook: hooks.example"),
       {"feeds.yaml:1: \"webhook\" must be \"\" or an absolute http or https URL, not "
        "\"hooks.example\""}},
      {"webhook's secret redacted",
       with_tree("webhook: 'ftp://h.example/x?token=abc'"),
       {"feeds.yaml:1: \"webhook\" must be \"\" or an absolute http or https URL, not "
        "\"ftp://h.example/x?token=***\""}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(parse_config(c.text, "feeds.yaml").errors, c.errors);
  }
  const LoadResult ok = parse_config(with_tree("on_new_posts: []\nwebhook: ''"), "feeds.yaml");
  ASSERT_TRUE(ok.config);
  EXPECT_THAT(ok.config->on_new_posts, IsEmpty());
  EXPECT_EQ(ok.config->webhook, "");
}

// Issue 12: the warning at start (and in `feedd check`), on the listen line.
TEST(ParseConfig, WarnsAboutAPublicListenWithALoopbackBaseUrl) {
  const LoadResult r =
      parse_config("interval: 5m\nlisten: 0.0.0.0:8080\n" + std::string(kTree), "feeds.yaml");
  ASSERT_TRUE(r.config);
  EXPECT_THAT(r.warnings,
              ElementsAre("feeds.yaml:2: \"listen\" accepts other machines but \"base_url\" is a "
                          "loopback address: the links in the feeds and the OPML file will not "
                          "work for them (set base_url to the public URL)"));
  EXPECT_THAT(
      parse_config("listen: 0.0.0.0:8080\nbase_url: https://feeds.example/\n" + std::string(kTree),
                   "feeds.yaml")
          .warnings,
      IsEmpty());
}

// Issue 12: feeds served to the network must not link to 127.0.0.1.
TEST(PublicListenWithLoopbackBase, Table) {
  struct Case {
    std::string listen, base_url;
    bool want;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1:8080", "http://127.0.0.1:8080/", false},
      {"0.0.0.0:8080", "http://127.0.0.1:8080/", true},
      {"[::]:8080", "http://localhost:8080/", true},
      {"192.168.1.5:80", "http://[::1]:80/", true},
      {"0.0.0.0:8080", "https://feeds.example.org/", false},
      {"localhost:8080", "http://localhost:8080/", false},
      {"[::1]:8080", "http://127.0.0.1:8080/", false},
  };
  for (const auto& c : cases) {
    Config config;
    config.listen = c.listen;
    config.base_url = c.base_url;
    EXPECT_EQ(public_listen_with_loopback_base(config), c.want) << c.listen << " " << c.base_url;
  }
}

TEST(ParseConfig, AppliesDefaults) {
  const LoadResult r = parse(R"(
categories:
  - name: Tech News
    sources:
      - name: Example Wire
        channels:
          - name: Front Page
            route: /example/front
)");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.warnings, IsEmpty());
  ASSERT_TRUE(r.config);
  const Config& c = *r.config;
  EXPECT_EQ(c.file, "feeds.yaml");
  EXPECT_EQ(c.output, "output");
  EXPECT_EQ(c.state, "output/feedd.db");
  EXPECT_EQ(c.inbox, "");
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.base_url, "http://127.0.0.1:8080/");
  EXPECT_EQ(c.interval, 30min);
  EXPECT_EQ(c.feed_entries, 50);
  EXPECT_EQ(c.image_proxy, "https://cors.zfour.workers.dev/?");
  EXPECT_THAT(c.rsshub, ElementsAre("https://rsshub.app"));
  EXPECT_EQ(c.rsshub_key, "");
  EXPECT_THAT(c.on_new_posts, IsEmpty());
  EXPECT_EQ(c.webhook, "");
  EXPECT_EQ(c.timezone, "Asia/Shanghai");
  EXPECT_EQ(c.keep_days, 0);
  EXPECT_EQ(c.refresh_token, "");
  EXPECT_THAT(c.iframe_hosts, ElementsAre("player.bilibili.com", "v.qq.com"));
  EXPECT_EQ(c.images, ImageMode::hotlink);
  EXPECT_EQ(c.image_base, "http://127.0.0.1:8080/images/");
  EXPECT_THAT(c.referer, IsEmpty());
  EXPECT_EQ(c.image_cache_mb, 256);
  EXPECT_FALSE(c.image_private_hosts);
  EXPECT_EQ(c.image_max_per_article, 30);
  EXPECT_EQ(c.image_max_mb, 16);
  EXPECT_EQ(c.image_article_mb, 32);
  EXPECT_EQ(c.image_cycle_mb, 256);

  ASSERT_EQ(c.categories.size(), 1u);
  const Category& cat = c.categories[0];
  EXPECT_EQ(cat.slug, "tech-news");
  EXPECT_EQ(cat.line, 2);
  ASSERT_EQ(cat.sources.size(), 1u);
  EXPECT_EQ(cat.sources[0].slug, "example-wire");
  EXPECT_EQ(cat.sources[0].line, 4);
  ASSERT_EQ(cat.sources[0].channels.size(), 1u);
  const Channel& ch = cat.sources[0].channels[0];
  EXPECT_EQ(ch.name, "Front Page");
  EXPECT_EQ(ch.slug, "front-page");
  EXPECT_EQ(ch.route, "/example/front");
  EXPECT_EQ(ch.url, "https://rsshub.app/example/front");
  EXPECT_THAT(ch.urls, ElementsAre("https://rsshub.app/example/front"));
  EXPECT_EQ(ch.interval, 30min);
  EXPECT_EQ(ch.timezone, "Asia/Shanghai");
  EXPECT_EQ(ch.line, 6);
  EXPECT_EQ(ch.top_name, "Tech News");
  EXPECT_EQ(ch.top_slug, "tech-news");
  EXPECT_EQ(ch.source_name, "Example Wire");
  EXPECT_EQ(ch.source_slug, "example-wire");
  EXPECT_EQ(ch.path(), "tech-news/example-wire/front-page");
}

TEST(ParseConfig, ResolvesPathsAgainstTheFilesFolder) {
  struct Case {
    std::string file, settings;
    std::string output, state, inbox;
  };
  const std::vector<Case> cases = {
      {"feeds.yaml", "", "output", "output/feedd.db", ""},
      {"feeds.yaml", "output: out/\n", "out", "out/feedd.db", ""},
      {"./feeds.yaml", "output: ./a/../b\n", "b", "b/feedd.db", ""},
      {"conf/feeds.yaml", "output: site\ninbox: in\n", "conf/site", "conf/site/feedd.db",
       "conf/in"},
      {"/etc/feedd/feeds.yaml", "output: ../../var/lib/feedd\nstate: db/x.db\ninbox: in\n",
       "/var/lib/feedd", "/etc/feedd/db/x.db", "/etc/feedd/in"},
      {"/etc/feedd/feeds.yaml", "output: /srv/feeds\nstate: /var/lib/feedd.db\n", "/srv/feeds",
       "/var/lib/feedd.db", ""},
      {"feeds.yaml", "inbox: \"\"\n", "output", "output/feedd.db", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file + " | " + c.settings);
    const LoadResult r = parse_config(c.settings + std::string(kTree), c.file);
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.config->file, c.file);
    EXPECT_EQ(r.config->output, c.output);
    EXPECT_EQ(r.config->state, c.state);
    EXPECT_EQ(r.config->inbox, c.inbox);
  }
}

TEST(ParseConfig, NormalisesUrlsAndJoinsRoutes) {
  struct Case {
    std::string settings, base_url, rsshub, channel_url;
  };
  const std::vector<Case> cases = {
      {"", "http://127.0.0.1:8080/", "https://rsshub.app", "https://rsshub.app/zaker/channel/13"},
      {"base_url: https://example.org/feeds\nrsshub: https://rss.example.org/\n",
       "https://example.org/feeds/", "https://rss.example.org",
       "https://rss.example.org/zaker/channel/13"},
      {"base_url: https://example.org/\nrsshub: http://10.0.0.2:1200/rsshub\n",
       "https://example.org/", "http://10.0.0.2:1200/rsshub",
       "http://10.0.0.2:1200/rsshub/zaker/channel/13"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.settings);
    const LoadResult r = parse(c.settings + doc(R"(
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /zaker/channel/13
)"));
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.config->base_url, c.base_url);
    EXPECT_THAT(r.config->rsshub, ElementsAre(c.rsshub));
    ASSERT_EQ(r.config->channels().size(), 1u);
    EXPECT_EQ(r.config->channels()[0]->url, c.channel_url);
    EXPECT_EQ(r.config->channels()[0]->route, "/zaker/channel/13");
  }
}

TEST(LoadConfig, ReadsEverySettingAndPerChannelOverrides) {
  const std::string dir = FEEDD_TEST_DATA "/config";
  const LoadResult r = load_config(dir + "/full.yaml");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.warnings, IsEmpty());
  ASSERT_TRUE(r.config);
  const Config& c = *r.config;
  EXPECT_EQ(c.file, dir + "/full.yaml");
  EXPECT_EQ(c.output, std::filesystem::path(FEEDD_TEST_DATA "/generated/site"));
  EXPECT_EQ(c.state, std::filesystem::path(dir + "/db/feedd.sqlite"));
  EXPECT_EQ(c.inbox, std::filesystem::path(dir + "/drop"));
  EXPECT_EQ(c.listen, "[::1]:9090");
  EXPECT_EQ(c.base_url, "https://feeds.example.org/reader/");
  EXPECT_EQ(c.interval, 90s);
  EXPECT_EQ(c.feed_entries, 200);
  EXPECT_EQ(c.image_proxy, "");
  EXPECT_THAT(c.rsshub, ElementsAre("https://rsshub.example.org"));
  EXPECT_EQ(c.timezone, "UTC");
  EXPECT_EQ(c.keep_days, 30);
  EXPECT_EQ(c.refresh_token, "fixture-not-a-secret");

  const auto channels = c.channels();
  ASSERT_EQ(channels.size(), 3u);
  // Declared before the globals in the file, yet they inherit them.
  EXPECT_EQ(channels[0]->path(), "tech-news/wire/front-page");
  EXPECT_EQ(channels[0]->url, "https://rsshub.example.org/example/front");
  EXPECT_EQ(channels[0]->interval, 90s);
  EXPECT_EQ(channels[0]->timezone, "UTC");
  EXPECT_EQ(channels[0]->line, 9);
  EXPECT_EQ(channels[0]->encoding, "");

  EXPECT_EQ(channels[1]->path(), "tech-news/wire/local");
  EXPECT_EQ(channels[1]->url, "file:///var/lib/feedd/sample.xml");
  EXPECT_EQ(channels[1]->route, "");
  EXPECT_EQ(channels[1]->interval, 2h);
  EXPECT_EQ(channels[1]->timezone, "Europe/Berlin");

  EXPECT_EQ(channels[2]->path(), "dushu/shuping/latest");
  EXPECT_EQ(channels[2]->url, "https://books.example.net/rss?page=1");
  EXPECT_EQ(channels[2]->top_name, "读书");
  EXPECT_EQ(channels[2]->source_name, "书评");
  EXPECT_EQ(channels[2]->interval, 90s);
  EXPECT_EQ(channels[2]->encoding, "gb2312");
}

TEST(LoadConfig, UnreadableFileIsOneError) {
  const std::string missing = FEEDD_TEST_DATA "/config/no-such-file.yaml";
  EXPECT_THAT(load_config(missing).errors,
              ElementsAre(missing + ": cannot read: No such file or directory"));
  const std::string dir = FEEDD_TEST_DATA "/config";
  EXPECT_THAT(load_config(dir).errors, ElementsAre(dir + ": cannot read: Is a directory"));
}

TEST(LoadConfig, RefusesAFileOverOneMebibyteUnparsed) {
  const std::filesystem::path big = std::filesystem::temp_directory_path() /
                                    ("feedd-config-big-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(big, std::ios::binary);
    out << kTree << "# " << std::string(1 << 20, 'x') << "\n";
  }
  const LoadResult r = load_config(big);
  std::filesystem::remove(big);
  EXPECT_THAT(r.errors, ElementsAre(big.string() + ": cannot read: larger than 1048576 bytes"));
  EXPECT_FALSE(r.config);
}

TEST(ParseConfig, RefusesOversizedText) {
  const std::string big = std::string(kTree) + "# " + std::string(1 << 20, 'x') + "\n";
  EXPECT_THAT(parse_config(big, "feeds.yaml").errors,
              ElementsAre("feeds.yaml:1: file is larger than 1048576 bytes"));
}

TEST(ParseConfig, BoundsTheTreeWalkAgainstAliasBlowUp) {
  // 200 sources that all alias one list of 100 channels: a small file, 20000 channels.
  std::string text =
      "categories:\n  - name: Top\n    sources:\n      - name: s0\n        channels: &ch\n";
  for (int i = 0; i < 100; ++i)
    text += "          - {name: c" + std::to_string(i) + ", route: /x}\n";
  for (int i = 1; i < 200; ++i)
    text += "      - {name: s" + std::to_string(i) + ", channels: *ch}\n";
  const LoadResult r = parse_config(text, "feeds.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0],
              ::testing::HasSubstr("more than 10000 categories, sources and channels"));
}

TEST(ParseDuration, AcceptsOneNumberAndOneUnit) {
  struct Case {
    std::string text;
    std::optional<std::chrono::seconds> want;
  };
  const std::vector<Case> cases = {
      {"90s", 90s},
      {"30m", 30min},
      {"2h", 2h},
      {"1d", 24h},
      {"1s", 1s},
      {"007m", 7min},
      {"365d", 365 * 24h},
      {"366d", std::nullopt},
      {"8761h", std::nullopt},
      {"99999999999999999999s", std::nullopt},
      {"0s", std::nullopt},
      {"-5m", std::nullopt},
      {"+5m", std::nullopt},
      {"30", std::nullopt},
      {"m", std::nullopt},
      {"", std::nullopt},
      {"30M", std::nullopt},
      {"30 m", std::nullopt},
      {" 30m", std::nullopt},
      {"1h30m", std::nullopt},
      {"1.5h", std::nullopt},
      {"2w", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("\"" + c.text + "\"");
    EXPECT_EQ(parse_duration(c.text), c.want);
  }
}

// Issue 14: drop/keep rules on any node, inherited down the tree (category, source, channel, in
// that order, each rule named by its place in the file).
TEST(ParseConfig, RulesAreInheritedDownTheTree) {
  const LoadResult r = parse(R"(
categories:
  - name: Top
    drop:
      - title: '广告|推广'
    sources:
      - name: Src
        keep:
          - category: '^科技$'
          - author: 'x'
        channels:
          - name: A
            url: https://example.com/a.xml
            drop:
              - link: '/ad/'
          - name: B
            url: https://example.com/b.xml
      - name: Other
        channels:
          - name: C
            url: https://example.com/c.xml
)");
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.warnings, IsEmpty());
  ASSERT_TRUE(r.config);
  const auto described = [](const Channel& ch) {
    std::vector<std::string> out;
    for (const auto& rule : ch.rules.rules())
      out.push_back(rule.describe());
    return out;
  };
  const auto channels = r.config->channels();
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_THAT(
      described(*channels[0]),
      ElementsAre("drop title /广告|推广/ (feeds.yaml:4)", "keep category /^科技$/ (feeds.yaml:8)",
                  "keep author /x/ (feeds.yaml:9)", "drop link //ad// (feeds.yaml:14)"));
  EXPECT_THAT(described(*channels[1]), ElementsAre("drop title /广告|推广/ (feeds.yaml:4)",
                                                   "keep category /^科技$/ (feeds.yaml:8)",
                                                   "keep author /x/ (feeds.yaml:9)"));
  EXPECT_THAT(described(*channels[2]), ElementsAre("drop title /广告|推广/ (feeds.yaml:4)"));
}

// updates: the nearest node that sets it wins; default false.
TEST(ParseConfig, UpdatesIsInheritedAndOverridden) {
  const LoadResult r = parse(R"(
categories:
  - name: Top
    updates: true
    sources:
      - name: Src
        channels:
          - {name: A, url: 'https://example.com/a.xml'}
          - {name: B, url: 'https://example.com/b.xml', updates: false}
      - name: Off
        updates: false
        channels:
          - {name: C, url: 'https://example.com/c.xml'}
          - {name: D, url: 'https://example.com/d.xml', updates: true}
  - name: Plain
    sources:
      - name: Src
        channels:
          - {name: E, url: 'https://example.com/e.xml'}
)");
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_TRUE(r.config);
  std::vector<bool> got;
  for (const Channel* ch : r.config->channels())
    got.push_back(ch->updates);
  EXPECT_EQ(got, (std::vector<bool>{true, false, false, true, false}));
  EXPECT_EQ(
      parse(channel_with("updates: yes")).errors,
      std::vector<std::string>{"feeds.yaml:8: \"updates\" must be true or false, not \"yes\""});
  EXPECT_EQ(parse(channel_with("updates: [true]")).errors,
            std::vector<std::string>{
                "feeds.yaml:8: \"updates\" must be a single value, not a list or mapping"});
}

TEST(ParseConfig, RuleErrorsWordForWord) {
  const std::vector<ErrorCase> cases = {
      {"not a list",
       channel_with("drop: x"),
       {"feeds.yaml:8: \"drop\" must be a list of rules such as \"- title: PATTERN\""}},
      {"a mapping",
       channel_with("keep: {title: x}"),
       {"feeds.yaml:8: \"keep\" must be a list of rules such as \"- title: PATTERN\""}},
      {"a bare pattern",
       channel_with("drop: ['x']"),
       {"feeds.yaml:8: a rule must map one field (title, author, category, link or content) to "
        "a pattern"}},
      {"two fields in one rule",
       channel_with("drop: [{title: x, link: y}]"),
       {"feeds.yaml:8: a rule must map one field (title, author, category, link or content) to "
        "a pattern"}},
      {"unknown field",
       channel_with("drop: [{body: x}]"),
       {"feeds.yaml:8: unknown rule field \"body\" (use title, author, category, link or "
        "content)"}},
      {"unknown field with a line break",
       channel_with("drop: [{\"a\\nb\": x}]"),
       {"feeds.yaml:8: unknown rule field (use title, author, category, link or content)"}},
      {"pattern is a list",
       channel_with("keep: [{title: [x]}]"),
       {"feeds.yaml:8: the pattern of a \"title\" rule must be a string"}},
      {"empty pattern",
       channel_with("drop: [{title: ''}]"),
       {"feeds.yaml:8: drop title: empty pattern (it would match every item)"}},
      {"invalid pattern",
       channel_with("drop: [{title: '('}]"),
       {"feeds.yaml:8: drop title: invalid pattern \"(\": missing ): ("}},
      {"backreference",
       channel_with("keep: [{content: '(a)\\1'}]"),
       {"feeds.yaml:8: keep content: invalid pattern \"(a)\\1\": invalid escape sequence: \\1"}},
      {"too large",
       channel_with("drop: [{title: '\\pL{1000}'}]"),
       {"feeds.yaml:8: drop title: invalid pattern \"\\pL{1000}\": pattern too large - compile "
        "failed"}},
      {"each bad rule reported, on its line",
       doc(R"(
categories:
  - name: Top
    drop:
      - title: ok
      - title: '['
      - link: ')'
    sources:
      - name: Src
        channels:
          - name: Chan
            route: /a
)"),
       {"feeds.yaml:5: drop title: invalid pattern \"[\": missing ]: [",
        "feeds.yaml:6: drop link: invalid pattern \")\": unexpected ): )"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const LoadResult r = parse_config(c.text, "feeds.yaml");
    EXPECT_EQ(r.errors, c.errors);
    EXPECT_FALSE(r.config);
  }
  std::string many = "drop: [";
  for (std::size_t i = 0; i <= rules::kMaxRulesPerList; ++i)
    many += "{title: x},";
  many += "]";
  EXPECT_THAT(parse_config(channel_with(many), "feeds.yaml").errors,
              ElementsAre("feeds.yaml:8: more than 100 rules in \"drop\""));
}

TEST(ShippedFeedsYaml, LoadsCleanly) {
  const LoadResult r = load_config(FEEDD_SOURCE_DIR "/feeds.yaml");
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.warnings, IsEmpty());
  ASSERT_TRUE(r.config);
  const Config& c = *r.config;
  EXPECT_EQ(c.output, std::filesystem::path(FEEDD_SOURCE_DIR "/output"));
  EXPECT_EQ(c.state, std::filesystem::path(FEEDD_SOURCE_DIR "/output/feedd.db"));
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.interval, 30min);
  EXPECT_EQ(c.images, ImageMode::download);
  EXPECT_EQ(c.referer.size(), 2u);

  std::vector<std::string> seeds;  // the channels the old pipeline read
  for (const Channel* ch : c.channels()) {
    if (ch->path() == "xinmeiti/zaker/source" || ch->path() == "xinmeiti/zaker/channel" ||
        ch->path() == "xinmeiti/guokr/scientific" || ch->path() == "xinmeiti/woshipm/popular" ||
        ch->path() == "xinmeiti/woshipm/latest")
      seeds.push_back(ch->path() + " " + ch->source_name + " " + ch->name + " " + ch->url);
  }
  EXPECT_THAT(
      seeds,
      ElementsAre("xinmeiti/zaker/source ZAKER source https://rsshub.app/zaker/source/12291",
                  "xinmeiti/zaker/channel ZAKER channel https://rsshub.app/zaker/channel/13",
                  "xinmeiti/guokr/scientific 果壳网 科学人 https://rsshub.app/guokr/scientific",
                  "xinmeiti/woshipm/popular 人人都是产品经理 热门文章 "
                  "https://rsshub.app/woshipm/popular",
                  "xinmeiti/woshipm/latest 人人都是产品经理 最新文章 "
                  "https://rsshub.app/woshipm/latest"));
  EXPECT_EQ(c.categories.at(0).name, "新媒体");
}

}  // namespace
}  // namespace feedd::config
