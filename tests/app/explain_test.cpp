// `feedd check --explain`: the output for a scripted upstream, word for word, and that it
// changes nothing.
#include "app/explain.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "app/commands.hpp"
#include "fetch/fake_fetcher.hpp"

namespace feedd::app {
namespace {

const std::chrono::sys_seconds kNow{std::chrono::seconds{1638000000}};

constexpr const char* kYaml = R"(categories:
  - name: 新媒体
    slug: top
    drop:
      - title: '广告'
    sources:
      - name: 源
        slug: src
        channels:
          - name: 甲
            slug: a
            url: 'http://up.example/a.xml'
            keep:
              - link: '/a/'
          - {name: 乙, slug: b, url: 'http://user:secret@up.example/b.xml'}
)";

config::Config load() {
  auto r = config::parse_config(kYaml, "feeds.yaml");
  EXPECT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors.front());
  return std::move(*r.config);
}

std::string rss(const std::string& items) {
  return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
         "<link>https://up.example/</link>" +
         items + "</channel></rss>";
}

TEST(Explain, EachItemWithTheRuleThatWouldDropIt) {
  const config::Config cfg = load();
  fetch::FakeFetcher fetcher;
  fetcher.answer_body("http://up.example/a.xml",
                      rss("<item><title>好文章</title><link>https://up.example/a/1</link></item>"
                          "<item><title>一条广告</title><link>https://up.example/a/2</link></item>"
                          "<item><title>不在甲\n第二行</title><link>https://up.example/x/3</link>"
                          "</item><item><title> </title><link>https://up.example/a/4</link>"
                          "</item>"));
  std::ostringstream out, err;
  EXPECT_EQ(explain_channel(cfg, "top/src/a", fetcher, kNow, out, err), kExitOk);
  EXPECT_EQ(out.str(),
            "top/src/a: http://up.example/a.xml\n"
            "rules:\n"
            "  #0 drop title /广告/ (feeds.yaml:5)\n"
            "  #1 keep link //a// (feeds.yaml:14)\n"
            "items: 4 (1 kept, 2 dropped)\n"
            "  keep  好文章\n"
            "  drop  一条广告  [#0 drop title /广告/ (feeds.yaml:5)]\n"
            "  drop  不在甲 第二行  [no keep rule matched]\n"
            "  skip  (no title)\n");
  EXPECT_EQ(err.str(), "");
  // One plain GET: no validators, whatever the daemon knows.
  ASSERT_EQ(fetcher.requests().size(), 1u);
  EXPECT_EQ(fetcher.requests()[0].validators, fetch::Validators{});
}

TEST(Explain, FailuresAndUnknownChannels) {
  const config::Config cfg = load();
  fetch::FakeFetcher fetcher;
  std::ostringstream out, err;
  EXPECT_EQ(explain_channel(cfg, "top/src", fetcher, kNow, out, err), kExitUsage);
  EXPECT_EQ(err.str(),
            "feedd: no channel top/src in feeds.yaml (give its top/source/channel path, as "
            "`feedd check` shows it)\n");
  EXPECT_TRUE(fetcher.requests().empty());

  // No answer scripted: a network error, its URL redacted.
  out.str("");
  err.str("");
  EXPECT_EQ(explain_channel(cfg, "top/src/b", fetcher, kNow, out, err), kExitFailed);
  EXPECT_EQ(out.str(),
            "top/src/b: http://up.example/b.xml\nrules:\n  #0 drop title /广告/ (feeds.yaml:5)\n");
  EXPECT_EQ(err.str(), "top/src/b: http://up.example/b.xml: no answer scripted\n");

  fetcher.answer_body("http://up.example/a.xml", "<html><body>not a feed</body></html>");
  err.str("");
  EXPECT_EQ(explain_channel(cfg, "top/src/a", fetcher, kNow, out, err), kExitFailed);
  EXPECT_EQ(err.str(), "top/src/a: http://up.example/a.xml: not a feed: HTML page\n");
}

}  // namespace
}  // namespace feedd::app
