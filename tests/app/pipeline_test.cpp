// The cycle in-process, against a scripted Fetcher (tests/fetch/fake_fetcher.hpp): what the e2e
// tests see from outside, here with completion order, upstream answers and the clock chosen.
#include "app/pipeline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/served_views.hpp"
#include "article/article.hpp"
#include "config/config.hpp"
#include "fetch/fake_fetcher.hpp"
#include "lib/sqlite/sqlite.hpp"
#include "store/store.hpp"
#include "util/atomic_file.hpp"

namespace feedd::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::sys_seconds;

const sys_seconds kNow{std::chrono::seconds{1638000000}};

std::string rss(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>上游</title>"
      "<link>https://up.example/</link>";
  for (const auto& [title, link] : items) {
    xml += "<item><title>" + title + "</title><link>" + link + "</link><guid>" + link +
           "</guid><pubDate>Fri, 21 May 2021 14:00:00 GMT</pubDate>"
           "<description><![CDATA[<p>正文 " +
           title + "</p>]]></description></item>";
  }
  return xml + "</channel></rss>";
}

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// Every file under `dir`, relative, sorted: what a cycle left on disk.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A config of one source, up to its list of channels (each then "          - {…}\n").
constexpr const char* kOneSource = R"(
output: out
state: out/feedd.db
base_url: http://feeds.test/
categories:
  - name: 新媒体
    slug: top
    sources:
      - name: 源
        slug: src
        channels:
)";

// The fixture's config: two channels of one source, each with its own upstream URL.
const std::string kTwoChannels =
    std::string(kOneSource) +
    "          - {name: 甲, slug: a, url: 'http://up.example/a.xml'}\n"
    "          - {name: 乙, slug: b, url: 'http://up.example/b.xml'}\n";

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("feedd_pipeline_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    load(kTwoChannels);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void load(const std::string& yaml) {
    auto r = config::parse_config(yaml, dir_ / "feeds.yaml");
    ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors.front());
    config_ = std::move(*r.config);
  }

  // One cycle with a fresh Pipeline over the same store, as `feedd once` runs.
  CycleReport cycle(const std::vector<std::string>& only = {}) {
    fs::create_directories(dir_ / "out");
    store::Store store(config_.state);
    Pipeline pipeline(config_, store);
    return pipeline.run_cycle(fetcher_, kNow, only);
  }

  // A second connection to the store's database, to break it from outside.
  lib::Database database() const {
    return lib::Database(config_.state.string(), SQLITE_OPEN_READWRITE);
  }

  std::map<std::string, fs::file_time_type> feed_times() const {
    std::map<std::string, fs::file_time_type> times;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "out" / "feeds"))
      times[e.path().string()] = fs::last_write_time(e.path());
    return times;
  }

  fs::path dir_;
  config::Config config_;
  fetch::FakeFetcher fetcher_;
};

// feeds.yaml order decides which channel a title shared by several is filed under (the post's
// categories), whatever order their fetches end in.
TEST_F(PipelineTest, ASharedTitleGoesToTheFirstConfiguredChannelWhateverOrderFetchesEnd) {
  for (const bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "b completes first" : "a completes first");
    fs::remove_all(dir_ / "out");
    fetcher_.complete_in_reverse(reverse);
    fetcher_.answer_body("http://up.example/a.xml",
                         rss({{"同一个标题", "https://up.example/a/1"}}));
    fetcher_.answer_body("http://up.example/b.xml", rss({{"同一个标题", "https://up.example/b/1"},
                                                         {"只在乙", "https://up.example/b/2"}}));
    const CycleReport report = cycle();
    ASSERT_EQ(report.channels.size(), 2u);
    EXPECT_EQ(report.channels[0].path, "top/src/a");  // the report is in feeds.yaml order too
    EXPECT_EQ(report.channels[0].new_articles, 1);
    EXPECT_EQ(report.channels[1].new_articles, 1);
    EXPECT_EQ(report.channels[1].known_articles, 1);
    EXPECT_EQ(report.write_error, "");

    store::Store store(config_.state);
    const auto in_b = store.latest("top/src/b", 10);
    ASSERT_EQ(in_b.size(), 2u);  // listed under every channel that carried it
    for (const auto& e : in_b) {
      if (e.article.title != "同一个标题") continue;
      EXPECT_EQ(e.channel_path, "top/src/a");
      const std::string post = read(dir_ / "out" / "posts" / (e.article.hash + ".md"));
      EXPECT_NE(post.find("\n - 新媒体\n - 源\n - 甲\n"), std::string::npos) << post;
    }
  }
}

// A second cycle whose upstreams all answer 304 changes nothing on disk: no feed is rendered or
// rewritten (the store's views stamp says the files are current).
TEST_F(PipelineTest, AnUnchangedCycleRewritesNoFile) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"二", "https://up.example/b/1"}}));
  const CycleReport first = cycle();
  EXPECT_EQ(first.new_articles, 2);
  EXPECT_GT(first.files_written, 0);
  const auto before = feed_times();
  ASSERT_FALSE(before.empty());

  fetcher_.answer_not_modified("http://up.example/a.xml");
  fetcher_.answer_not_modified("http://up.example/b.xml");
  const CycleReport second = cycle();
  EXPECT_EQ(second.channels_ok, 2);
  EXPECT_EQ(second.new_articles, 0);
  EXPECT_EQ(second.files_written, 0);
  EXPECT_EQ(feed_times(), before);
  // The validators of the first answers went out with the second requests.
  const auto& requests = fetcher_.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[2].validators.etag, "\"etag-of-http://up.example/a.xml\"");
  EXPECT_EQ(requests[3].validators.etag, "\"etag-of-http://up.example/b.xml\"");
}

// The daemon hands the worker the paths that were due; a reload may have removed one of them
// since. Such a path is not polled, and the others are.
TEST_F(PipelineTest, APathNoLongerConfiguredIsNotPolled) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  const CycleReport report = cycle({"top/src/a", "top/src/removed"});
  ASSERT_EQ(report.channels.size(), 1u);
  EXPECT_EQ(report.channels[0].path, "top/src/a");
  ASSERT_EQ(fetcher_.requests().size(), 1u);
  EXPECT_EQ(fetcher_.requests()[0].url, "http://up.example/a.xml");
}

// One failing upstream is a value in the report; the other channel's articles are stored and
// written all the same.
TEST_F(PipelineTest, AFailingChannelDoesNotStopTheOther) {
  fetch::Result gone;
  gone.outcome = fetch::Outcome::kHttpError;
  gone.http_status = 404;
  gone.reason = "HTTP 404 Not Found";
  fetcher_.answer("http://up.example/a.xml", gone);
  fetcher_.answer_body("http://up.example/b.xml", rss({{"二", "https://up.example/b/1"}}));
  const CycleReport report = cycle();
  ASSERT_EQ(report.channels.size(), 2u);
  EXPECT_FALSE(report.channels[0].ok());
  EXPECT_EQ(report.channels[0].outcome, "http_error");
  EXPECT_TRUE(report.channels[1].ok());
  EXPECT_EQ(report.new_articles, 1);
  EXPECT_EQ(report.write_error, "");
  EXPECT_TRUE(fs::exists(dir_ / "out" / "feeds" / "top" / "src" / "b.xml"));
}

// A store failure mid-cycle (the second channel's article cannot be inserted, after the first
// channel's was stored and its file staged) rolls the whole cycle back: no article, no channel
// state, no file — not even a temporary. The next cycle fetches again and writes everything.
TEST_F(PipelineTest, AStoreFailureMidCycleRollsBackAndTheNextCycleWritesTheArticles) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"毒", "https://up.example/b/1"}}));
  fs::create_directories(dir_ / "out");
  { store::Store created(config_.state); }  // the schema, for the trigger
  database().exec(
      "CREATE TRIGGER poison BEFORE INSERT ON articles WHEN NEW.title = '毒' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

  const CycleReport failed = cycle();
  EXPECT_EQ(failed.write_error.rfind("store: ", 0), 0u) << failed.write_error;
  EXPECT_NE(failed.write_error.find("injected failure"), std::string::npos);
  EXPECT_TRUE(failed.channels.empty());
  EXPECT_EQ(files_under(dir_ / "out" / "posts"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(dir_ / "out" / "feeds"));
  {
    store::Store store(config_.state);
    EXPECT_EQ(store.total_articles(), 0);
    EXPECT_FALSE(store.channel_state("top/src/a"));
    EXPECT_FALSE(store.item_seen("top/src/a", "https://up.example/a/1"));
  }

  database().exec("DROP TRIGGER poison");
  const CycleReport next = cycle();
  EXPECT_EQ(next.write_error, "");
  EXPECT_EQ(next.new_articles, 2);
  // No validators were kept from the rolled-back cycle: the second one fetched in full.
  ASSERT_EQ(fetcher_.requests().size(), 4u);
  EXPECT_EQ(fetcher_.requests()[2].validators.etag, "");
  store::Store store(config_.state);
  ASSERT_EQ(store.total_articles(), 2);
  std::vector<std::string> posts;
  for (const auto& hash : store.all_hashes())
    posts.push_back(hash + ".md");
  std::sort(posts.begin(), posts.end());
  EXPECT_EQ(files_under(dir_ / "out" / "posts"), posts);
  EXPECT_NE(read(dir_ / "out" / "feeds" / "all.xml").find("毒"), std::string::npos);
}

// The COMMIT itself fails (a deferred foreign key, checked only then), after every post was
// staged and flushed and while the posts' publisher waits for it: no post, no feed, no view for
// the sink, not even a temporary; the next cycle writes everything.
TEST_F(PipelineTest, AFailedCommitPublishesNothing) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"毒", "https://up.example/b/1"}}));
  fs::create_directories(dir_ / "out");
  { store::Store created(config_.state); }
  database().exec(
      "CREATE TABLE poison_parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE poison_child (parent INTEGER REFERENCES poison_parent(id) "
      "DEFERRABLE INITIALLY DEFERRED);"
      "CREATE TRIGGER poison AFTER INSERT ON articles WHEN NEW.title = '毒' "
      "BEGIN INSERT INTO poison_child VALUES (42); END");
  {
    store::Store store(config_.state);
    ServedViews sink;
    Pipeline pipeline(config_, store, &sink);
    const CycleReport failed = pipeline.run_cycle(fetcher_, kNow);
    EXPECT_EQ(failed.write_error.rfind("store: ", 0), 0u) << failed.write_error;
    EXPECT_NE(failed.write_error.find("FOREIGN KEY"), std::string::npos) << failed.write_error;
    EXPECT_TRUE(failed.channels.empty());
    EXPECT_TRUE(sink.take().empty());
    EXPECT_EQ(store.total_articles(), 0);
  }
  EXPECT_EQ(files_under(dir_ / "out" / "posts"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(dir_ / "out" / "feeds"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "feeds.opml"));

  database().exec("DROP TRIGGER poison");
  const CycleReport next = cycle();
  EXPECT_EQ(next.write_error, "");
  EXPECT_EQ(next.new_articles, 2);
  EXPECT_EQ(files_under(dir_ / "out" / "posts").size(), 2u);
  EXPECT_NE(read(dir_ / "out" / "feeds" / "all.xml").find("毒"), std::string::npos);
}

// A post deleted between two runs is rebuilt by the next cycle (its first scan of the folder
// runs before the cycle's own posts are out), and only that file is written.
TEST_F(PipelineTest, APostDeletedBetweenRunsIsRebuiltByTheNextCycle) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"二", "https://up.example/b/1"}}));
  ASSERT_EQ(cycle().write_error, "");
  const auto posts = files_under(dir_ / "out" / "posts");
  ASSERT_EQ(posts.size(), 2u);
  const std::string bytes = read(dir_ / "out" / "posts" / posts[0]);
  fs::remove(dir_ / "out" / "posts" / posts[0]);
  fetcher_.answer_not_modified("http://up.example/a.xml");
  fetcher_.answer_not_modified("http://up.example/b.xml");
  const CycleReport second = cycle();
  EXPECT_EQ(second.write_error, "");
  EXPECT_EQ(second.files_written, 1);
  EXPECT_EQ(files_under(dir_ / "out" / "posts"), posts);
  EXPECT_EQ(read(dir_ / "out" / "posts" / posts[0]), bytes);
}

// The views stamp, unchanged: a new Pipeline (the next `feedd once`) over a store whose stamp
// is current renders no feed its cycle did not touch — a feed file edited behind its back stays
// as it is.
TEST_F(PipelineTest, ACurrentViewsStampRendersNoUntouchedFeed) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"二", "https://up.example/b/1"}}));
  ASSERT_EQ(cycle().write_error, "");
  write(dir_ / "out" / "feeds" / "all.xml", "edited");
  fetcher_.answer_not_modified("http://up.example/a.xml");
  fetcher_.answer_not_modified("http://up.example/b.xml");
  const CycleReport second = cycle();
  EXPECT_EQ(second.files_written, 0);
  EXPECT_EQ(read(dir_ / "out" / "feeds" / "all.xml"), "edited");
}

// The views stamp, interrupted: when writing the views fails after the commit (here the folder
// of the channel feeds cannot be made), the store still says the views are behind, and the
// next Pipeline renders every feed — also those it did not touch and whose files exist.
TEST_F(PipelineTest, AnInterruptedViewsWriteMakesTheNextPipelineRenderEveryFeed) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"二", "https://up.example/b/1"}}));
  fs::create_directories(dir_ / "out" / "feeds");
  write(dir_ / "out" / "feeds" / "top", "a file where a folder must go");
  const CycleReport first = cycle();
  EXPECT_NE(first.write_error, "");
  EXPECT_EQ(first.new_articles, 2);  // committed: the views are rebuilt, not rolled back
  const std::string all = read(dir_ / "out" / "feeds" / "all.xml");
  ASSERT_NE(all.find("二"), std::string::npos);

  fs::remove(dir_ / "out" / "feeds" / "top");
  write(dir_ / "out" / "feeds" / "all.xml", "edited");
  fetcher_.answer_not_modified("http://up.example/a.xml");
  fetcher_.answer_not_modified("http://up.example/b.xml");
  const CycleReport second = cycle();
  EXPECT_EQ(second.write_error, "");
  EXPECT_EQ(read(dir_ / "out" / "feeds" / "all.xml"), all);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "feeds" / "top" / "src" / "b.xml"));

  // Now complete: the stamp is current again, and the next Pipeline renders nothing.
  write(dir_ / "out" / "feeds" / "all.xml", "edited");
  EXPECT_EQ(cycle().files_written, 0);
  EXPECT_EQ(read(dir_ / "out" / "feeds" / "all.xml"), "edited");
}

// A reload removes channel b between the scheduler picking the due paths (a and b) and the
// worker's cycle, which runs with the new config in a new Pipeline, as the daemon does: b is
// not polled, the OPML and the feeds are rendered for the new config, and b's stored article
// stays in the all feed.
TEST_F(PipelineTest, AChannelRemovedByAReloadBeforeTheCycleIsNotPolledAndLeavesTheViews) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"二", "https://up.example/b/1"}}));
  ASSERT_EQ(cycle().write_error, "");
  ASSERT_NE(read(dir_ / "out" / "feeds.opml").find("b.xml"), std::string::npos);

  load(R"(
output: out
state: out/feedd.db
base_url: http://feeds.test/
categories:
  - name: 新媒体
    slug: top
    sources:
      - name: 源
        slug: src
        channels:
          - {name: 甲, slug: a, url: 'http://up.example/a.xml'}
)");
  fetcher_.answer_not_modified("http://up.example/a.xml");
  const CycleReport report = cycle({"top/src/a", "top/src/b"});
  EXPECT_EQ(report.write_error, "");
  ASSERT_EQ(report.channels.size(), 1u);
  EXPECT_EQ(report.channels[0].path, "top/src/a");
  ASSERT_EQ(fetcher_.requests().size(), 3u);
  EXPECT_EQ(fetcher_.requests()[2].url, "http://up.example/a.xml");
  const std::string opml = read(dir_ / "out" / "feeds.opml");
  EXPECT_EQ(opml.find("b.xml"), std::string::npos) << opml;
  EXPECT_NE(opml.find("a.xml"), std::string::npos) << opml;
  EXPECT_NE(read(dir_ / "out" / "feeds" / "all.xml").find("二"), std::string::npos);
}

// The daemon's sink: a new Pipeline renders every view for it once (it serves from memory),
// then only what changed.
TEST_F(PipelineTest, ASinkGetsEveryViewOnceThenOnlyTheChangedOnes) {
  fetcher_.answer_body("http://up.example/a.xml", rss({{"一", "https://up.example/a/1"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"二", "https://up.example/b/1"}}));
  ASSERT_EQ(cycle().write_error, "");

  fs::create_directories(dir_ / "out");
  store::Store store(config_.state);
  ServedViews sink;
  Pipeline pipeline(config_, store, &sink);
  std::string error;
  EXPECT_EQ(pipeline.write_views(kNow, error), 0);  // nothing on disk changes
  EXPECT_EQ(error, "");
  std::vector<std::string> served;
  for (const auto& [path, view] : sink.take())
    served.push_back(path);
  EXPECT_EQ(served, (std::vector<std::string>{"/feeds.opml", "/feeds/all.xml", "/feeds/top.xml",
                                              "/feeds/top/src.xml", "/feeds/top/src/a.xml",
                                              "/feeds/top/src/b.xml"}));

  fetcher_.answer_not_modified("http://up.example/a.xml");
  fetcher_.answer_body("http://up.example/b.xml", rss({{"三", "https://up.example/b/2"}}));
  EXPECT_EQ(pipeline.run_cycle(fetcher_, kNow).new_articles, 1);
  served.clear();
  for (const auto& [path, view] : sink.take())
    served.push_back(path);
  EXPECT_EQ(served, (std::vector<std::string>{"/feeds/all.xml", "/feeds/top.xml",
                                              "/feeds/top/src.xml", "/feeds/top/src/b.xml"}));
}

// Issue 14: rules run before an article is stored. A dropped item is counted per rule, gets
// no post, and is remembered like a seen item (not judged again, even once the rule is gone);
// its title stays free for a channel without the rule.
TEST_F(PipelineTest, RulesDropBeforeStoringAndRememberTheItem) {
  load(R"(
output: out
state: out/feedd.db
base_url: http://feeds.test/
categories:
  - name: 新媒体
    slug: top
    sources:
      - name: 源
        slug: src
        drop:
          - title: '广告'
        channels:
          - name: 甲
            slug: a
            url: 'http://up.example/a.xml'
            keep:
              - link: '/a/'
          - {name: 乙, slug: b, url: 'http://up.example/b.xml'}
      - name: 别处
        slug: other
        channels:
          - {name: 丙, slug: c, url: 'http://up.example/c.xml'}
)");
  fetcher_.answer_body("http://up.example/a.xml", rss({{"好文章", "https://up.example/a/1"},
                                                       {"一条广告", "https://up.example/a/2"},
                                                       {"不在甲", "https://up.example/x/3"}}));
  fetcher_.answer_body("http://up.example/b.xml", rss({{"又一条广告", "https://up.example/b/1"}}));
  fetcher_.answer_body("http://up.example/c.xml", rss({{"一条广告", "https://up.example/c/1"}}));
  const CycleReport first = cycle();
  ASSERT_EQ(first.channels.size(), 3u);
  EXPECT_EQ(first.channels[0].new_articles, 1);
  EXPECT_EQ(first.channels[0].dropped, 2);
  EXPECT_EQ(first.channels[0].drops,
            (std::map<std::string, int>{{"#0 drop title /广告/", 1}, {"no keep rule matched", 1}}));
  EXPECT_EQ(first.channels[1].dropped, 1);
  EXPECT_EQ(first.channels[2].new_articles, 1);  // no rule there: the same title is stored
  EXPECT_EQ(first.dropped, 3);
  EXPECT_EQ(first.summary(), "channels: 3 ok, 0 failed; articles: 2 new, 0 seen, 3 dropped");
  {
    store::Store store(config_.state);
    std::vector<std::string> titles;
    for (const auto& e : store.latest("top/src", 10))
      titles.push_back(e.article.title);
    EXPECT_EQ(titles, std::vector<std::string>{"好文章"});
  }
  std::size_t posts = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_ / "out" / "posts"))
    ++posts;
  EXPECT_EQ(posts, 2u);

  // Without the rules, the dropped items are seen ones: a rule affects only new items.
  load(kTwoChannels);
  const CycleReport second = cycle();
  EXPECT_EQ(second.new_articles, 0);
  EXPECT_EQ(second.dropped, 0);
  EXPECT_EQ(second.known_articles, 4);
}

// Issue 14, updates: true. The same GUID back with a changed body rewrites the post (same file)
// and the entry (same id, a new updated); unchanged items and channels without it stay as they
// are.
TEST_F(PipelineTest, UpdatesRewriteChangedArticlesInPlace) {
  load(R"(
output: out
state: out/feedd.db
base_url: http://feeds.test/
categories:
  - name: 新媒体
    slug: top
    sources:
      - name: 源
        slug: src
        channels:
          - {name: 甲, slug: a, url: 'http://up.example/a.xml', updates: true}
          - {name: 乙, slug: b, url: 'http://up.example/b.xml'}
)");
  const auto body = [](const std::string& text) {
    return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
           "<item><title>会变的文章</title><guid>g1</guid><link>https://up.example/1</link>"
           "<pubDate>Fri, 21 May 2021 14:00:00 GMT</pubDate><description>" +
           text +
           "</description></item><item><title>不变的文章</title><guid>g2</guid>"
           "<link>https://up.example/2</link><description>一样</description></item>"
           "</channel></rss>";
  };
  const auto other = [](const std::string& text) {
    return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
           "<item><title>乙的文章</title><guid>g3</guid><link>https://up.example/3</link>"
           "<description>" +
           text + "</description></item></channel></rss>";
  };
  fetcher_.answer_body("http://up.example/a.xml", body("第一版"));
  fetcher_.answer_body("http://up.example/b.xml", other("第一版"));
  EXPECT_EQ(cycle().new_articles, 3);
  const std::string hash = article::title_hash("会变的文章");
  const fs::path post = dir_ / "out" / "posts" / (hash + ".md");
  EXPECT_NE(read(post).find("第一版"), std::string::npos);

  fetcher_.answer_body("http://up.example/a.xml", body("第二版"));
  fetcher_.answer_body("http://up.example/b.xml", other("第二版"));
  const CycleReport second = cycle();
  EXPECT_EQ(second.new_articles, 0);
  EXPECT_EQ(second.updated, 1);
  EXPECT_EQ(second.channels[0].updated, 1);
  EXPECT_EQ(second.channels[1].updated, 0);  // no updates: true there
  EXPECT_EQ(second.summary(), "channels: 2 ok, 0 failed; articles: 0 new, 2 seen, 1 updated");
  const std::string text = read(post);
  EXPECT_EQ(text.find("第一版"), std::string::npos);
  EXPECT_NE(text.find("第二版"), std::string::npos);
  EXPECT_NE(text.find("date: Fri, 21 May 2021 14:00:00 GMT"), std::string::npos);
  const std::string atom = read(dir_ / "out" / "feeds" / "top" / "src" / "a.xml");
  const auto entry = atom.find("<id>urn:feedd:article:" + hash + "</id>");
  ASSERT_NE(entry, std::string::npos) << atom;
  EXPECT_NE(atom.find("<updated>2021-11-27T08:00:00Z</updated>", entry), std::string::npos);
  EXPECT_NE(atom.find("<published>2021-05-21T14:00:00Z</published>", entry), std::string::npos);

  // The same changed body again: nothing more to rewrite.
  const CycleReport third = cycle();
  EXPECT_EQ(third.updated, 0);
  EXPECT_EQ(third.known_articles, 3);
}

// A channel's feed is rendered as soon as the channel settles, inside the cycle, unless it
// lists an article filed under a channel of the cycle still to settle (feeds.yaml reordered
// since it was filed): that channel may rewrite the article (updates: true) and rename its
// upstream feed (atom:source). The feed is then rendered after the commit, with both.
TEST_F(PipelineTest, AFeedListingAnArticleOfALaterChannelShowsWhatThatChannelChanged) {
  const auto yaml = [](const std::string& first, const std::string& second) {
    return std::string(kOneSource) + "          - " + first + "\n          - " + second + "\n";
  };
  const std::string a = "{name: 甲, slug: a, url: 'http://up.example/a.xml'}";
  const std::string b = "{name: 乙, slug: b, url: 'http://up.example/b.xml', updates: true}";
  const auto feed = [](const std::string& title, const std::string& items) {
    return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + title + "</title>" +
           items + "</channel></rss>";
  };
  const auto shared = [](const std::string& text) {
    return "<item><title>两边都有</title><guid>g1</guid><link>https://up.example/1</link>"
           "<pubDate>Fri, 21 May 2021 14:00:00 GMT</pubDate><description>" +
           text + "</description></item>";
  };
  const std::string fresh =
      "<item><title>甲的新文章</title><guid>g2</guid><link>https://up.example/2</link>"
      "<pubDate>Fri, 21 May 2021 15:00:00 GMT</pubDate><description>新</description></item>";
  // 乙 first: the shared article is filed under 乙, and 甲 lists it too.
  load(yaml(b, a));
  fetcher_.answer_body("http://up.example/a.xml", feed("甲源", shared("第一版")));
  fetcher_.answer_body("http://up.example/b.xml", feed("乙源", shared("第一版")));
  ASSERT_EQ(cycle().new_articles, 1);
  const fs::path a_feed = dir_ / "out" / "feeds" / "top" / "src" / "a.xml";
  ASSERT_NE(read(a_feed).find("第一版"), std::string::npos);

  // 甲 first now, with a new article (its feed must be rendered); 乙, settling after it,
  // rewrites the shared article and renames its feed.
  load(yaml(a, b));
  fetcher_.answer_body("http://up.example/a.xml", feed("甲源", fresh + shared("第一版")));
  fetcher_.answer_body("http://up.example/b.xml", feed("乙源改名", shared("第二版")));
  const CycleReport second = cycle();
  ASSERT_EQ(second.write_error, "");
  EXPECT_EQ(second.new_articles, 1);
  EXPECT_EQ(second.updated, 1);
  const std::string atom = read(a_feed);
  EXPECT_NE(atom.find("甲的新文章"), std::string::npos) << atom;
  EXPECT_NE(atom.find("第二版"), std::string::npos) << atom;
  EXPECT_EQ(atom.find("第一版"), std::string::npos) << atom;
  EXPECT_NE(atom.find("<title>乙源改名</title>"), std::string::npos) << atom;
  EXPECT_EQ(files_under(dir_ / "out" / "feeds" / "top" / "src"),
            (std::vector<std::string>{"a.xml", "b.xml"}));  // no temporary left behind
}

// A first cycle makes each channel's feed from the articles its settle has just stored, not by
// reading them back: the bytes must be those a render from the store gives. Covered: the order
// (newest first, equal dates by hash) and the feed_entries limit, categories and enclosures the
// store encodes (a backslash), and an article first stored by the other channel (listed here
// too, with that channel's atom:source). The reference: the same feeds, deleted and rendered
// again from the store by a cycle with nothing new.
TEST_F(PipelineTest, AFeedMadeFromWhatItsChannelJustStoredIsTheFeedReadFromTheStore) {
  load(std::string(kTwoChannels) + "feed_entries: 3\n");
  const auto item = [](const std::string& title, const std::string& date,
                       const std::string& extra) {
    return "<item><title>" + title + "</title><link>https://up.example/" + title +
           "</link><pubDate>" + date + "</pubDate><description>正文 " + title + "</description>" +
           extra + "</item>";
  };
  const std::string same_date = "Fri, 21 May 2021 14:00:00 GMT";
  const std::string shared = item("两边都有", "Fri, 21 May 2021 16:00:00 GMT", "");
  const auto feed = [](const std::string& title, const std::string& items) {
    return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + title +
           "</title><link>https://up.example/</link>" + items + "</channel></rss>";
  };
  // 乙 lists the shared article too, after 甲 (first in feeds.yaml) stored it.
  fetcher_.answer_body(
      "http://up.example/a.xml",
      feed("甲源", shared + item("一", same_date, "<category>C\\D</category>") +
                       item("二", same_date,
                            "<enclosure url=\"https://up.example/x.mp3\" type=\"audio/mpeg\" "
                            "length=\"12\"/>") +
                       item("三", same_date, "") +
                       item("旧", "Fri, 21 May 2021 10:00:00 GMT", "")));
  fetcher_.answer_body("http://up.example/b.xml",
                       feed("乙源", item("乙一", same_date, "") + shared));
  const CycleReport first = cycle();
  ASSERT_EQ(first.write_error, "");
  ASSERT_EQ(first.new_articles, 6);
  const fs::path feeds = dir_ / "out" / "feeds" / "top" / "src";
  const std::string a = read(feeds / "a.xml");
  const std::string b = read(feeds / "b.xml");
  EXPECT_EQ(a.find("旧"), std::string::npos) << a;  // fourth newest: over the limit
  EXPECT_NE(b.find("<title>甲源</title>"), std::string::npos) << b;  // the shared one's source

  fs::remove(feeds / "a.xml");
  fs::remove(feeds / "b.xml");
  const CycleReport again = cycle();
  ASSERT_EQ(again.write_error, "");
  ASSERT_EQ(again.new_articles, 0);
  EXPECT_EQ(read(feeds / "a.xml"), a);
  EXPECT_EQ(read(feeds / "b.xml"), b);
}

}  // namespace
}  // namespace feedd::app

namespace feedd::app {
namespace {

fetch::Result http_error(long status) {
  fetch::Result r;
  r.outcome = fetch::Outcome::kHttpError;
  r.http_status = status;
  r.reason = "HTTP " + std::to_string(status);
  return r;
}

// Issue 12: a route is tried on each RSSHub instance in order; one that fails (5xx, 403, 429,
// no answer) is skipped for a while by the same Pipeline; a 404 is the route's, not failed over.
TEST_F(PipelineTest, RsshubFailoverTriesTheNextInstanceAndSkipsAFailedOne) {
  load(R"(
output: out
rsshub: ['http://one.example', 'http://two.example']
rsshub_key: s3cret
categories:
  - name: T
    sources:
      - name: S
        channels:
          - {name: a, route: /a}
          - {name: b, route: /b}
)");
  fetcher_.answer("http://one.example/a?key=s3cret", http_error(503));
  fetcher_.answer_body("http://two.example/a?key=s3cret", rss({{"甲", "https://up.example/1"}}));
  fetcher_.answer("http://one.example/b?key=s3cret", http_error(404));
  fetcher_.answer_body("http://two.example/b?key=s3cret", rss({{"乙", "https://up.example/2"}}));
  fs::create_directories(dir_ / "out");
  store::Store store(config_.state);
  Pipeline pipeline(config_, store);

  const CycleReport first = pipeline.run_cycle(fetcher_, kNow);
  ASSERT_EQ(first.channels.size(), 2u);
  EXPECT_TRUE(first.channels[0].ok()) << first.channels[0].error;
  EXPECT_EQ(first.channels[0].instance, "http://two.example/");
  EXPECT_EQ(first.channels[0].url, "http://two.example/a?key=***");
  EXPECT_EQ(first.channels[0].new_articles, 1);
  ASSERT_EQ(first.new_posts.size(), 1u);  // what the hook and the webhook get
  EXPECT_EQ(first.new_posts[0].title, "甲");
  EXPECT_EQ(first.new_posts[0].link, "https://up.example/1");
  EXPECT_EQ(first.new_posts[0].categories, (std::vector<std::string>{"T", "S", "a"}));
  EXPECT_EQ(first.new_posts[0].file.size(), 19u);  // <16 hex>.md
  // b's 404 came before one.example was marked failed by a's 503 in the same round: the route
  // is wrong there, which is no reason to ask another instance.
  EXPECT_FALSE(first.channels[1].ok());
  EXPECT_EQ(first.channels[1].error, "HTTP 404");
  std::vector<std::string> urls;
  for (const auto& r : fetcher_.requests())
    urls.push_back(r.url);
  EXPECT_EQ(urls, (std::vector<std::string>{"http://one.example/a?key=s3cret",
                                            "http://one.example/b?key=s3cret",
                                            "http://two.example/a?key=s3cret"}));

  // The next cycle skips one.example (failed a minute ago at most) for both channels.
  const CycleReport second = pipeline.run_cycle(fetcher_, kNow + std::chrono::seconds(30));
  ASSERT_EQ(second.channels.size(), 2u);
  EXPECT_TRUE(second.channels[0].ok());
  EXPECT_TRUE(second.channels[1].ok());
  EXPECT_EQ(second.channels[1].instance, "http://two.example/");
  ASSERT_EQ(fetcher_.requests().size(), 5u);
  EXPECT_EQ(fetcher_.requests()[3].url, "http://two.example/a?key=s3cret");
  EXPECT_EQ(fetcher_.requests()[4].url, "http://two.example/b?key=s3cret");

  // Every instance failing: the channel fails with the last instance's error, recorded once.
  fetcher_.answer("http://two.example/a?key=s3cret", http_error(429));
  const CycleReport third = pipeline.run_cycle(fetcher_, kNow + std::chrono::seconds(3600));
  EXPECT_FALSE(third.channels[0].ok());
  EXPECT_EQ(third.channels[0].error, "HTTP 429");
  EXPECT_EQ(third.channels[0].url, "http://two.example/a?key=***");
}

}  // namespace
}  // namespace feedd::app
