// The store: dedup by title hash across channels, category-node listing, the memory of seen
// items and hashes (also after pruning), channel state, transactions and error reporting.
#include "store/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/sqlite/sqlite.hpp"

namespace feedd::store {
namespace {

namespace fs = std::filesystem;
using article::Article;
using std::chrono::sys_days;
using std::chrono::sys_seconds;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

const sys_seconds kNow = sys_days(std::chrono::year(2021) / 5 / 21) + 14h;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "feedd-store-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_fixture(const std::string& name) {
  std::ifstream in(fs::path(FEEDD_TEST_DATA) / "store" / name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in) throw std::runtime_error("missing fixture " + name);
  return out.str();
}

// Hashes here are labels, not recomputed: the store takes the article stage's hash as given.
Article make(std::string hash, sys_seconds date, std::string title = "") {
  Article a;
  a.hash = std::move(hash);
  a.title = title.empty() ? "Title of " + a.hash : std::move(title);
  a.categories = {"Top", "Source", "Channel"};
  a.author = "Source";
  a.date = date;
  a.link = "https://example.test/" + a.hash;
  a.html = "<p>" + a.hash + "</p>";
  a.guid = "guid-" + a.hash;
  return a;
}

std::vector<std::string> hashes(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(e.article.hash);
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  fs::path db_path() const { return dir_.path() / "state" / "feedd.db"; }
  TempDir dir_;
};

TEST_F(StoreTest, NewThenDuplicateAcrossChannels) {
  Store s(db_path());
  const Article a = make("00000000000000a1", kNow);
  EXPECT_FALSE(s.has_hash(a.hash));
  EXPECT_EQ(s.add_article(a, "top/one/c", kNow), AddOutcome::kNew);
  EXPECT_TRUE(s.has_hash(a.hash));

  Article edited = a;  // same hash from another source: the first copy wins
  edited.html = "<p>other</p>";
  EXPECT_EQ(s.add_article(edited, "top/two/c", kNow + 1h), AddOutcome::kDuplicate);
  EXPECT_EQ(s.add_article(a, "top/one/c", kNow + 2h), AddOutcome::kDuplicate);

  EXPECT_EQ(s.total_articles(), 1);
  EXPECT_EQ(s.article_count("top/one/c"), 1);
  EXPECT_EQ(s.article_count("top/two/c"), 1);
  EXPECT_EQ(s.article_count("top/three/c"), 0);
  const auto all = s.latest("", 10);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].article.html, a.html);
  EXPECT_EQ(all[0].channel_path, "top/one/c");
  EXPECT_EQ(all[0].added, kNow);
  EXPECT_THAT(hashes(s.latest("top/two", 10)), ElementsAre(a.hash));
  EXPECT_THAT(hashes(s.latest("top/two/c", 10)), ElementsAre(a.hash));
}

TEST_F(StoreTest, NodeFilterIsExactOnPathSegments) {
  Store s(db_path());
  // One article per channel, named after it; slugs use '_' and '-', which LIKE or a plain
  // prefix test would get wrong.
  const std::vector<std::string> channels = {"a/b",
                                             "a/b/x",
                                             "a/bc/x",
                                             "a/b-x/y",
                                             "a/b_/y",
                                             "a/b.c/y",
                                             "xin_mei/zaker/source",
                                             "xin_mei/zaker/channel",
                                             "xinXmei/zaker/source",
                                             "xin_mei/zaker_2/source",
                                             "xin-mei/zaker/source"};
  Article multi = make("ffffffffffffff00", kNow - 24h);  // carried by two unrelated channels
  std::map<std::string, std::string> hash_of;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016zx", i + 1);
    hash_of[channels[i]] = buf;
    ASSERT_EQ(s.add_article(make(buf, kNow + std::chrono::seconds(i)), channels[i], kNow),
              AddOutcome::kNew);
  }
  ASSERT_EQ(s.add_article(multi, "a/bc/x", kNow), AddOutcome::kNew);
  ASSERT_EQ(s.add_article(multi, "xin_mei/zaker_2/source", kNow), AddOutcome::kDuplicate);
  ASSERT_EQ(s.add_article(multi, "a/b/x", kNow), AddOutcome::kDuplicate);  // twice under "a"
  Article imported = make("eeeeeeeeeeeeee00", kNow);
  ASSERT_EQ(s.add_article(imported, "", kNow), AddOutcome::kNew);

  struct Case {
    std::string node;
    std::vector<std::string> channels;  // whose articles the node must list
    bool multi;
  };
  const std::vector<Case> cases = {
      {"a", {"a/b", "a/b/x", "a/bc/x", "a/b-x/y", "a/b_/y", "a/b.c/y"}, true},
      {"a/b", {"a/b", "a/b/x"}, true},
      {"a/b/x", {"a/b/x"}, true},
      {"a/bc", {"a/bc/x"}, true},
      {"a/b_", {"a/b_/y"}, false},
      {"a/b-x", {"a/b-x/y"}, false},
      {"xin_mei",
       {"xin_mei/zaker/source", "xin_mei/zaker/channel", "xin_mei/zaker_2/source"},
       true},
      {"xin_mei/zaker", {"xin_mei/zaker/source", "xin_mei/zaker/channel"}, false},
      {"xin_mei/zaker_2", {"xin_mei/zaker_2/source"}, true},
      {"xin-mei", {"xin-mei/zaker/source"}, false},
      {"xin", {}, false},
      {"a/", {}, false},
      {"nothing", {}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("node " + c.node);
    std::vector<std::string> want;
    for (const auto& ch : c.channels)
      want.push_back(hash_of.at(ch));
    if (c.multi) want.push_back(multi.hash);
    EXPECT_THAT(hashes(s.latest(c.node, 100)), UnorderedElementsAreArray(want));
  }
  // "" lists everything, imports included; imports belong to no node.
  EXPECT_EQ(s.latest("", 100).size(), channels.size() + 2);
  EXPECT_EQ(s.latest("", 100).back().article.hash, multi.hash);  // the oldest
  for (const auto& e : s.latest("", 100)) {
    if (e.article.hash == imported.hash) {
      EXPECT_EQ(e.channel_path, "");
    }
  }
}

TEST_F(StoreTest, LatestIsNewestFirstThenHashAndLimited) {
  Store s(db_path());
  s.add_article(make("0000000000000003", kNow), "t/s/c", kNow);
  s.add_article(make("0000000000000001", kNow), "t/s/c", kNow);
  s.add_article(make("0000000000000004", kNow - 1h), "t/s/c", kNow);
  s.add_article(make("0000000000000002", kNow + 1h), "t/s/c", kNow);
  s.add_article(make("0000000000000005", kNow - 2h), "t/s/d", kNow);
  // Carried twice under "t/s": still listed once, and the limit counts it once.
  EXPECT_EQ(s.add_article(make("0000000000000002", kNow + 1h), "t/s/d", kNow),
            AddOutcome::kDuplicate);
  const std::vector<std::string> want = {"0000000000000002", "0000000000000001", "0000000000000003",
                                         "0000000000000004", "0000000000000005"};
  for (const std::string node : {"", "t", "t/s"}) {
    SCOPED_TRACE("node " + node);
    EXPECT_EQ(hashes(s.latest(node, 10)), want);
    EXPECT_EQ(hashes(s.latest(node, 3)), std::vector<std::string>(want.begin(), want.begin() + 3));
    EXPECT_TRUE(s.latest(node, 0).empty());
    EXPECT_TRUE(s.latest(node, -1).empty());
  }
  EXPECT_EQ(hashes(s.latest("t/s/c", 2)),
            (std::vector<std::string>{"0000000000000002", "0000000000000001"}));
}

TEST_F(StoreTest, ItemsSeenPerChannel) {
  Store s(db_path());
  const std::string long_key(5000, 'g');
  EXPECT_FALSE(s.item_seen("t/s/c", "https://example.test/1"));
  s.mark_item_seen("t/s/c", "https://example.test/1", kNow);
  s.mark_item_seen("t/s/c", "https://example.test/1", kNow + 1h);  // idempotent
  s.mark_item_seen("t/s/c", long_key, kNow);
  EXPECT_TRUE(s.item_seen("t/s/c", "https://example.test/1"));
  EXPECT_FALSE(s.item_seen("t/s/d", "https://example.test/1"));
  EXPECT_FALSE(s.item_seen("t/s/c", "https://example.test/2"));
  EXPECT_TRUE(s.item_seen("t/s/c", long_key));
  // Long keys are stored as digests; a different long key must still be distinct.
  EXPECT_FALSE(s.item_seen("t/s/c", long_key + "h"));
  EXPECT_FALSE(s.item_seen("t/s/c", ""));
}

TEST_F(StoreTest, ChannelStateRoundTrip) {
  Store s(db_path());
  EXPECT_FALSE(s.channel_state("t/s/c").has_value());

  ChannelState full;
  full.etag = "W/\"abc\"";
  full.last_modified = "Fri, 21 May 2021 14:00:00 GMT";
  full.last_poll = kNow;
  full.last_success = kNow - 30min;
  full.last_outcome = "http_error";
  full.last_error = "HTTP 503 from https://example.test/feed";
  full.consecutive_failures = 3;
  full.feed_title = "果壳网 科学人";
  full.feed_link = "https://example.test/";
  full.feed_url = "https://rsshub.example.test/guokr/scientific";
  s.set_channel_state("t/s/c", full);

  ChannelState bare;  // never succeeded: no times at all
  bare.last_outcome = "timeout";
  s.set_channel_state("t/s/d", bare);

  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "same connection" : "after reopen");
    std::optional<Store> reopened;
    if (pass == 1) reopened.emplace(db_path());
    const Store& r = pass == 0 ? s : *reopened;
    const auto got = r.channel_state("t/s/c");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->etag, full.etag);
    EXPECT_EQ(got->last_modified, full.last_modified);
    EXPECT_EQ(got->last_poll, full.last_poll);
    EXPECT_EQ(got->last_success, full.last_success);
    EXPECT_EQ(got->last_outcome, full.last_outcome);
    EXPECT_EQ(got->last_error, full.last_error);
    EXPECT_EQ(got->consecutive_failures, 3);
    EXPECT_EQ(got->feed_title, full.feed_title);
    EXPECT_EQ(got->feed_link, full.feed_link);
    EXPECT_EQ(got->feed_url, full.feed_url);
    const auto got_bare = r.channel_state("t/s/d");
    ASSERT_TRUE(got_bare.has_value());
    EXPECT_FALSE(got_bare->last_poll.has_value());
    EXPECT_FALSE(got_bare->last_success.has_value());
    EXPECT_EQ(got_bare->last_outcome, "timeout");
    EXPECT_EQ(got_bare->etag, "");
    EXPECT_EQ(got_bare->consecutive_failures, 0);
  }

  ChannelState recovered = full;  // overwrite: optional back to empty
  recovered.last_success.reset();
  recovered.consecutive_failures = 0;
  s.set_channel_state("t/s/c", recovered);
  EXPECT_FALSE(s.channel_state("t/s/c")->last_success.has_value());
  EXPECT_EQ(s.channel_state("t/s/c")->consecutive_failures, 0);
}

// Regression: channels.feed_url held the user:password of a configured URL in the database file.
TEST_F(StoreTest, ChannelUrlIsStoredWithoutCredentials) {
  {
    Store s(db_path());
    ChannelState state;
    state.feed_url = "https://alice:pw-SECRET@rsshub.example.test/zaker/source";
    s.set_channel_state("t/s/c", state);
    EXPECT_EQ(s.channel_state("t/s/c")->feed_url, "https://rsshub.example.test/zaker/source");
  }
  // Nothing of it anywhere in the files SQLite keeps (the WAL is checkpointed at close).
  for (const auto& entry : fs::directory_iterator(db_path().parent_path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    EXPECT_EQ(bytes.find("pw-SECRET"), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find("alice"), std::string::npos) << entry.path();
  }
}

TEST_F(StoreTest, TransactionRollsBackOnDestruction) {
  Store s(db_path());
  s.add_article(make("0000000000000001", kNow), "t/s/c", kNow);
  {
    Store::Transaction tx(s);
    EXPECT_EQ(s.add_article(make("0000000000000002", kNow), "t/s/c", kNow), AddOutcome::kNew);
    s.add_article(make("0000000000000001", kNow), "t/s/d", kNow);  // membership only
    s.mark_item_seen("t/s/c", "guid-2", kNow);
    ChannelState st;
    st.etag = "\"e\"";
    s.set_channel_state("t/s/c", st);
    s.prune_before(kNow + 1h);
    EXPECT_EQ(s.total_articles(), 0);
  }  // no commit
  EXPECT_EQ(s.total_articles(), 1);
  EXPECT_FALSE(s.has_hash("0000000000000002"));
  EXPECT_EQ(s.article_count("t/s/d"), 0);
  EXPECT_FALSE(s.item_seen("t/s/c", "guid-2"));
  EXPECT_FALSE(s.channel_state("t/s/c").has_value());
  // The connection is usable again, also for a new transaction.
  Store::Transaction again(s);
  EXPECT_EQ(s.add_article(make("0000000000000002", kNow), "t/s/c", kNow), AddOutcome::kNew);
  again.commit();
  EXPECT_EQ(s.total_articles(), 2);
}

TEST_F(StoreTest, CommitPersistsAcrossReopen) {
  {
    Store s(db_path());
    Store::Transaction tx(s);
    s.add_article(make("0000000000000001", kNow), "t/s/c", kNow);
    s.mark_item_seen("t/s/c", "guid-1", kNow);
    tx.commit();
  }
  Store s(db_path());
  EXPECT_EQ(s.total_articles(), 1);
  EXPECT_TRUE(s.has_hash("0000000000000001"));
  EXPECT_TRUE(s.item_seen("t/s/c", "guid-1"));
  EXPECT_THAT(hashes(s.latest("t/s", 5)), ElementsAre("0000000000000001"));
}

TEST_F(StoreTest, NestedTransactionIsAStoreError) {
  Store s(db_path());
  Store::Transaction outer(s);
  EXPECT_THROW(Store::Transaction inner(s), StoreError);
  outer.commit();
}

// A method that fails half-way (here the membership insert, after the article's row) leaves
// nothing: outside a transaction its savepoint undoes it; inside one, the transaction cannot
// commit any more and its rollback undoes it.
TEST_F(StoreTest, AFailedAddArticleLeavesNothingAndItsTransactionCannotCommit) {
  { Store created(db_path()); }
  lib::Database(db_path().string(), SQLITE_OPEN_READWRITE)
      .exec(
          "CREATE TRIGGER poison BEFORE INSERT ON membership WHEN NEW.channel_path = 'bad' "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  Store s(db_path());
  EXPECT_THROW(s.add_article(make("0000000000000001", kNow), "bad", kNow), StoreError);
  EXPECT_FALSE(s.has_hash("0000000000000001"));
  EXPECT_EQ(s.total_articles(), 0);
  {
    Store::Transaction tx(s);
    EXPECT_EQ(s.add_article(make("0000000000000002", kNow), "t/s/c", kNow), AddOutcome::kNew);
    EXPECT_THROW(s.add_article(make("0000000000000003", kNow), "bad", kNow), StoreError);
    try {
      tx.commit();
      ADD_FAILURE() << "a transaction with a failed statement committed";
    } catch (const StoreError& e) {
      EXPECT_THAT(e.what(), HasSubstr("cannot be committed"));
    }
  }
  EXPECT_EQ(s.total_articles(), 0);
  EXPECT_FALSE(s.has_hash("0000000000000002"));
  EXPECT_FALSE(s.has_hash("0000000000000003"));
  // The next transaction starts clean.
  Store::Transaction tx(s);
  EXPECT_EQ(s.add_article(make("0000000000000002", kNow), "t/s/c", kNow), AddOutcome::kNew);
  tx.commit();
  EXPECT_EQ(s.total_articles(), 1);
}

// A commit far past the WAL's checkpoint threshold (SQLite's 1000 frames) is checkpointed by
// the store's own thread: the data is there for another connection while the store is open,
// and after it closes the WAL is gone (nothing was left for the next process).
TEST_F(StoreTest, ABigCommitIsCheckpointedAndComplete) {
  constexpr int kArticles = 1200;  // ~17 KB of HTML each: at least one 16 KB page apiece
  {
    Store s(db_path());
    for (int round = 0; round < 2; ++round) {
      Store::Transaction tx(s);
      for (int i = 0; i < kArticles / 2; ++i) {
        char hash[17];
        std::snprintf(hash, sizeof hash, "%016x", round * kArticles + i);
        Article a = make(hash, kNow + std::chrono::seconds(i));
        a.html = "<p>" + std::string(17000, 'x') + "</p>";
        ASSERT_EQ(s.add_article(a, "t/s/c", kNow), AddOutcome::kNew);
      }
      tx.commit();
      lib::Database other(db_path().string(), SQLITE_OPEN_READONLY);
      lib::Statement count = other.prepare("SELECT count(*) FROM articles");
      ASSERT_TRUE(count.step());
      EXPECT_EQ(count.column_int64(0), (round + 1) * kArticles / 2);
    }
  }
  EXPECT_FALSE(fs::exists(db_path().string() + "-wal"));
  Store s(db_path());
  EXPECT_EQ(s.total_articles(), kArticles);
  EXPECT_EQ(s.integrity_check(), "ok");
}

// A snapshot's reads see one state of the store: a commit by another connection meanwhile
// shows only after it ends. Inside a transaction it changes nothing.
TEST_F(StoreTest, ASnapshotReadsOneStateAndNestsInATransaction) {
  Store s(db_path());
  s.add_article(make("0000000000000001", kNow), "t/s/c", kNow);
  Store other(db_path());
  {
    const Store::Snapshot snapshot(s);
    EXPECT_EQ(s.total_articles(), 1);
    other.add_article(make("0000000000000002", kNow), "t/s/c", kNow);
    EXPECT_EQ(s.total_articles(), 1);
    EXPECT_THAT(hashes(s.latest("t/s/c", 10)), ElementsAre("0000000000000001"));
    EXPECT_THROW(Store::Transaction tx(s), StoreError);
  }
  EXPECT_EQ(s.total_articles(), 2);
  Store::Transaction tx(s);
  s.add_article(make("0000000000000003", kNow), "t/s/c", kNow);
  {
    const Store::Snapshot snapshot(s);
    EXPECT_EQ(s.total_articles(), 3);  // the transaction's own rows
  }
  tx.commit();
  EXPECT_EQ(s.total_articles(), 3);
}

TEST_F(StoreTest, PrunedArticlesStaySeen) {
  Store s(db_path());
  const Article old1 = make("0000000000000001", kNow - 72h);
  const Article old2 = make("0000000000000002", kNow - 49h);
  const Article fresh = make("0000000000000003", kNow - 1h);
  s.add_article(old1, "t/s/c", kNow);
  s.add_article(old1, "t/x/c", kNow);
  s.add_article(old2, "", kNow);  // an import
  s.add_article(fresh, "t/s/c", kNow);
  s.mark_item_seen("t/s/c", old1.guid, kNow);

  EXPECT_THAT(s.prune_before(kNow - 48h), ElementsAre(old1.hash, old2.hash));
  EXPECT_TRUE(s.prune_before(kNow - 48h).empty());
  EXPECT_EQ(s.total_articles(), 1);
  EXPECT_THAT(s.all_hashes(), ElementsAre(fresh.hash));
  EXPECT_EQ(s.article_count("t/s/c"), 1);
  EXPECT_EQ(s.article_count("t/x/c"), 0);
  EXPECT_TRUE(s.latest("t/x", 10).empty());
  EXPECT_FALSE(s.article(old1.hash).has_value());

  // Seen forever: not re-added from any channel, nor listed again.
  EXPECT_TRUE(s.has_hash(old1.hash));
  EXPECT_TRUE(s.item_seen("t/s/c", old1.guid));
  EXPECT_EQ(s.add_article(old1, "t/s/c", kNow), AddOutcome::kDuplicate);
  EXPECT_EQ(s.add_article(old1, "t/y/c", kNow), AddOutcome::kDuplicate);
  EXPECT_EQ(s.add_article(old2, "", kNow), AddOutcome::kDuplicate);
  EXPECT_EQ(s.total_articles(), 1);
  EXPECT_EQ(s.article_count("t/y/c"), 0);
  EXPECT_THAT(hashes(s.latest("", 10)), ElementsAre(fresh.hash));
}

TEST_F(StoreTest, ArticleRoundTripsEveryField) {
  Store s(db_path());
  Article a;
  a.hash = "3f2a9c0d1e4b5a67";
  a.title = "“弯引号”标题: it's a 'test' — with \\ backslash";
  a.categories = {"新媒体", "果壳网", "科学人"};
  a.author = "果壳网";
  a.date = kNow - 3s;
  a.link = "https://example.test/article/1?a=1&b=2";
  a.image = "https://cors.example.test/?http://img.example.test/a.jpg";
  a.html = read_fixture("article.html");
  a.guid = "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  a.summary = "“弯引号”摘要 with \\ and a\nline…";
  ASSERT_NE(a.html.find('\n'), std::string::npos);

  Article odd = make("0000000000000009", sys_seconds(-86400s));  // before the epoch
  odd.categories = {"line\nbreak", "back\\slash\\n", ""};
  odd.image = "";
  odd.link = "";
  odd.summary = "";  // an article with no text: an empty summary, not a missing one
  Article empty_cats = make("000000000000000a", kNow);
  empty_cats.categories = {};  // and no summary (nullopt): computed by whoever needs it
  Article one_empty_cat = make("000000000000000b", kNow);
  one_empty_cat.categories = {""};

  const std::vector<Article> all = {a, odd, empty_cats, one_empty_cat};
  for (const auto& x : all)
    ASSERT_EQ(s.add_article(x, "xinmeiti/guokr/scientific", kNow), AddOutcome::kNew);

  Store reopened(db_path());
  for (const auto& want : all) {
    SCOPED_TRACE(want.hash);
    const auto got = reopened.article(want.hash);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->hash, want.hash);
    EXPECT_EQ(got->title, want.title);
    EXPECT_EQ(got->categories, want.categories);
    EXPECT_EQ(got->author, want.author);
    EXPECT_EQ(got->date, want.date);
    EXPECT_EQ(got->link, want.link);
    EXPECT_EQ(got->image, want.image);
    EXPECT_EQ(got->html, want.html);
    EXPECT_EQ(got->guid, want.guid);
    EXPECT_EQ(got->summary, want.summary);
  }
  EXPECT_FALSE(reopened.article("ffffffffffffffff").has_value());
  EXPECT_THAT(reopened.all_hashes(),
              ElementsAre("0000000000000009", "000000000000000a", "000000000000000b", a.hash));
}

TEST_F(StoreTest, MetaValuesPersistAndFollowTheTransaction) {
  {
    Store s(db_path());
    EXPECT_EQ(s.meta("views"), std::nullopt);
    s.set_meta("views", "a");
    s.set_meta("views", "b");  // replaces
    {
      Store::Transaction tx(s);
      s.set_meta("views", "rolled back");
    }
    EXPECT_EQ(s.meta("views"), "b");
  }
  Store reopened(db_path());
  EXPECT_EQ(reopened.meta("views"), "b");
  EXPECT_EQ(reopened.meta("other"), std::nullopt);
}

// A database written by the first schema (no summary column, no meta table) is migrated in
// place: its articles keep every field and have no summary yet.
TEST_F(StoreTest, SchemaOneDatabaseIsMigrated) {
  {
    Store s(db_path());
    Article a = make("00000000000000c1", kNow);
    a.summary = "dropped with the column";
    s.add_article(a, "t/s/c", kNow);
  }
  {
    lib::Database db(db_path().string(), SQLITE_OPEN_READWRITE);
    db.exec(
        "DROP TABLE article_images; DROP INDEX articles_by_guid; ALTER TABLE articles DROP COLUMN "
        "updated; "
        "ALTER TABLE articles DROP COLUMN item_digest; "
        "ALTER TABLE articles DROP COLUMN creator; ALTER TABLE articles DROP COLUMN tags; "
        "ALTER TABLE articles DROP COLUMN enclosures; ALTER TABLE articles DROP COLUMN summary; "
        "DROP TABLE meta; PRAGMA user_version=1");
  }
  Store s(db_path());
  const auto old = s.article("00000000000000c1");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->title, "Title of 00000000000000c1");
  EXPECT_EQ(old->summary, std::nullopt);
  Article b = make("00000000000000c2", kNow);
  b.summary = "new";
  ASSERT_EQ(s.add_article(b, "t/s/c", kNow), AddOutcome::kNew);
  EXPECT_EQ(s.article(b.hash)->summary, "new");
  s.set_meta("k", "v");
  EXPECT_EQ(s.meta("k"), "v");
}

// Issue 14: creator, tags and enclosures are stored and listed as they were added, newlines and
// backslashes included; an enclosure without type or length keeps them unknown.
TEST_F(StoreTest, ItemMetadataRoundTrips) {
  Store s(db_path());
  Article a = make("00000000000000d1", kNow);
  a.creator = "王小明";
  a.tags = {"科技", "a\\b", "two\nlines", ""};
  a.enclosures = {{"https://m.example/1.mp3", "audio/mpeg", 123},
                  {"https://m.example/2.png", "", std::nullopt},
                  {"https://m.example/3", "x\ny", 0}};
  ASSERT_EQ(s.add_article(a, "t/s/c", kNow), AddOutcome::kNew);
  Article none = make("00000000000000d2", kNow - 1h);
  s.add_article(none, "t/s/c", kNow);
  const auto got = s.article(a.hash);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->creator, a.creator);
  EXPECT_EQ(got->tags, a.tags);
  EXPECT_EQ(got->enclosures, a.enclosures);
  const auto listed = s.latest("t", 10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].article.enclosures, a.enclosures);
  EXPECT_EQ(listed[1].article.creator, "");
  EXPECT_TRUE(listed[1].article.tags.empty());
  EXPECT_TRUE(listed[1].article.enclosures.empty());
}

// updates: true. The article a channel stored for a GUID is found again, and replaced in place:
// same hash (file name, entry id), date and membership; new body, title, updated and digest.
TEST_F(StoreTest, TrackedItemsAreFoundAndUpdatedInPlace) {
  Store s(db_path());
  Article a = make("00000000000000f1", kNow);
  a.item_digest = "d1";
  s.add_article(a, "t/s/c", kNow);
  s.add_article(a, "t/s/other", kNow);  // a duplicate elsewhere: still the first channel's
  EXPECT_FALSE(s.tracked_item("t/s/other", a.guid));
  EXPECT_FALSE(s.tracked_item("t/s/c", "guid-unknown"));
  EXPECT_FALSE(s.tracked_item("t/s/c", ""));
  const auto tracked = s.tracked_item("t/s/c", a.guid);
  ASSERT_TRUE(tracked);
  EXPECT_EQ(tracked->hash, a.hash);
  EXPECT_EQ(tracked->item_digest, "d1");

  Article b = a;
  b.title = "Edited title";
  b.html = "<p>edited</p>";
  b.summary = "edited";
  b.tags = {"new"};
  b.updated = kNow + 1h;
  b.item_digest = "d2";
  b.date = kNow - 24h;  // not changed by an update
  EXPECT_TRUE(s.update_article(b));
  const auto got = s.article(a.hash);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->title, "Edited title");
  EXPECT_EQ(got->html, "<p>edited</p>");
  EXPECT_EQ(got->summary, "edited");
  EXPECT_EQ(got->tags, std::vector<std::string>{"new"});
  EXPECT_EQ(got->updated, kNow + 1h);
  EXPECT_EQ(got->item_digest, "d2");
  EXPECT_EQ(got->date, kNow);
  EXPECT_EQ(s.latest("t/s/other", 10).size(), 1u);
  EXPECT_EQ(s.tracked_item("t/s/c", a.guid)->item_digest, "d2");
  Article missing = make("00000000000000f9", kNow);
  EXPECT_FALSE(s.update_article(missing));
}

// A database of schema 2 (before issue 14) opens: its rows have no metadata, new rows do.
TEST_F(StoreTest, SchemaTwoDatabaseIsMigrated) {
  {
    Store s(db_path());
    s.add_article(make("00000000000000e1", kNow), "t/s/c", kNow);
  }
  {
    lib::Database db(db_path().string(), SQLITE_OPEN_READWRITE);
    db.exec(
        "DROP TABLE article_images; DROP INDEX articles_by_guid; ALTER TABLE articles DROP COLUMN "
        "updated; "
        "ALTER TABLE articles DROP COLUMN item_digest; "
        "ALTER TABLE articles DROP COLUMN creator; ALTER TABLE articles DROP COLUMN tags; "
        "ALTER TABLE articles DROP COLUMN enclosures; PRAGMA user_version=2");
  }
  Store s(db_path());
  const auto old = s.article("00000000000000e1");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->title, "Title of 00000000000000e1");
  EXPECT_EQ(old->creator, "");
  EXPECT_TRUE(old->tags.empty());
  Article b = make("00000000000000e2", kNow);
  b.tags = {"x"};
  ASSERT_EQ(s.add_article(b, "t/s/c", kNow), AddOutcome::kNew);
  EXPECT_EQ(s.article(b.hash)->tags, std::vector<std::string>{"x"});
}

// images: download — each image's fate per article, the files still referenced, and the rows
// going with a pruned article.
TEST_F(StoreTest, ArticleImagesBookkeeping) {
  Store s(db_path());
  const Article a = make("00000000000000d1", kNow);
  const Article b = make("00000000000000d2", kNow - 48h);
  s.add_article(a, "t/s/c", kNow);
  s.add_article(b, "t/s/d", kNow);
  s.add_article(b, "t/s/c", kNow);
  const auto image = [](std::string hash, std::string url, int position) {
    return ArticleImage{std::move(hash), url, url, "", ImageState::kPending, 0, "", position};
  };
  s.set_article_image(image(a.hash, "https://i.test/2.jpg", 1));
  s.set_article_image(image(a.hash, "https://i.test/1.jpg", 0));
  s.set_article_image(image(b.hash, "https://i.test/1.jpg", 0));
  s.set_article_image(image("00000000000000ff", "https://i.test/x.jpg", 0));  // no article
  auto pending = s.pending_images(10);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].url, "https://i.test/1.jpg");  // by article, then document order
  EXPECT_EQ(pending[1].url, "https://i.test/2.jpg");
  EXPECT_EQ(pending[2].hash, b.hash);
  EXPECT_EQ(s.pending_images(1).size(), 1u);

  ArticleImage stored = pending[0];
  stored.state = ImageState::kStored;
  stored.file = "0123456789abcdef0123456789abcdef.jpg";
  s.set_article_image(stored);
  ArticleImage given_up = pending[1];
  given_up.state = ImageState::kGivenUp;
  given_up.attempts = 1;
  given_up.reason = "HTTP 404 Not Found";
  s.set_article_image(given_up);
  pending = s.pending_images(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].hash, b.hash);
  EXPECT_THAT(s.image_files(), ElementsAre("0123456789abcdef0123456789abcdef.jpg"));

  EXPECT_THAT(s.article_channels(b.hash), ElementsAre("t/s/c", "t/s/d"));
  s.set_article_body(a.hash, "<p><img src=\"/images/x.jpg\"></p>", "/images/x.jpg");
  EXPECT_EQ(s.article(a.hash)->html, "<p><img src=\"/images/x.jpg\"></p>");
  EXPECT_EQ(s.article(a.hash)->image, "/images/x.jpg");

  s.prune_before(kNow - 24h);  // b goes, and its image rows with it
  EXPECT_THAT(s.pending_images(10), IsEmpty());
  EXPECT_THAT(s.image_files(), ElementsAre("0123456789abcdef0123456789abcdef.jpg"));
}

TEST_F(StoreTest, NonDatabaseFileIsAClearError) {
  fs::create_directories(db_path().parent_path());
  fs::copy_file(fs::path(FEEDD_TEST_DATA) / "store" / "not_a_database.txt", db_path());
  const auto before = fs::file_size(db_path());
  try {
    Store s(db_path());
    FAIL() << "no exception";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr(db_path().string()));
    EXPECT_THAT(e.what(), HasSubstr("not a usable feedd database"));
    EXPECT_THAT(e.what(), HasSubstr("file is not a database"));
  }
  EXPECT_EQ(fs::file_size(db_path()), before);  // left untouched
}

TEST_F(StoreTest, ForeignSqliteDatabaseIsRefused) {
  fs::create_directories(db_path().parent_path());
  {
    lib::Database other(db_path().string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    other.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY)");
  }
  EXPECT_THAT([&] { Store s(db_path()); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("not a feedd database")));
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  { Store s(db_path()); }
  {
    lib::Database db(db_path().string(), SQLITE_OPEN_READWRITE);
    db.exec("PRAGMA user_version=99");
  }
  EXPECT_THAT([&] { Store s(db_path()); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("schema version 99 is newer")));
}

TEST_F(StoreTest, UnopenablePathIsAStoreError) {
  fs::create_directories(db_path());  // a folder where the file should be
  EXPECT_THROW(Store s(db_path()), StoreError);
}

TEST_F(StoreTest, IntegrityCheckReportsDamage) {
  {
    Store s(db_path());
    Store::Transaction tx(s);
    for (int i = 0; i < 300; ++i) {
      char buf[17];
      std::snprintf(buf, sizeof buf, "%016x", i);
      Article a = make(buf, kNow + std::chrono::seconds(i));
      a.html.assign(600, 'x');
      s.add_article(a, "t/s/c", kNow);
    }
    tx.commit();
    EXPECT_EQ(s.integrity_check(), "ok");
  }  // the last connection to close checkpoints the WAL into the main file
  const auto size = fs::file_size(db_path());
  ASSERT_GT(size, 20u * 4096);
  {
    // Scribble over every other page past the schema page; page 1 (header, schema) stays.
    std::fstream f(db_path(), std::ios::in | std::ios::out | std::ios::binary);
    const std::string junk(4096, '\xa5');
    for (std::uintmax_t off = 2 * 4096; off + 4096 <= size; off += 2 * 4096) {
      f.seekp(static_cast<std::streamoff>(off));
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
  }
  Store s(db_path());
  const std::string report = s.integrity_check();
  EXPECT_NE(report, "ok");
  EXPECT_FALSE(report.empty());
}

// channel_size counts a channel's articles up to a bound (its scan stops there), and only the
// channel's own.
TEST_F(StoreTest, ChannelSizeCountsUpToItsBound) {
  Store s(db_path());
  for (int i = 1; i <= 5; ++i)
    s.add_article(make("000000000000000" + std::to_string(i), kNow), "t/s/c", kNow);
  s.add_article(make("0000000000000009", kNow), "t/s/other", kNow);
  s.add_article(make("0000000000000001", kNow), "t/s/d", kNow);  // a known one, listed by d too
  struct Case {
    const char* channel;
    std::size_t at_most;
    std::size_t want;
  };
  for (const auto& c : {Case{"t/s/c", 10, 5}, Case{"t/s/c", 6, 5}, Case{"t/s/c", 3, 3},
                        Case{"t/s/d", 10, 1}, Case{"t/s", 10, 0}, Case{"t/s/none", 10, 0}}) {
    SCOPED_TRACE(std::string(c.channel) + " " + std::to_string(c.at_most));
    EXPECT_EQ(s.channel_size(c.channel, c.at_most), c.want);
  }
}

// A database created by this process is filled in rollback-journal mode (a first cycle writes
// each page once, not into the WAL and again by a checkpoint) and switches to WAL at the first
// commit that leaves articles in it; one opened existing is WAL at once.
TEST_F(StoreTest, NewDatabaseIsFilledWithoutWalThenSwitches) {
  const auto mode = [this] {
    lib::Database db(db_path().string(), SQLITE_OPEN_READONLY);
    lib::Statement st = db.prepare("PRAGMA journal_mode");
    return st.step() ? st.column_text(0) : std::string("(no row)");
  };
  {
    Store s(db_path());
    EXPECT_EQ(mode(), "delete");
    {
      Store::Transaction tx(s);
      s.set_meta("k", "v");
      tx.commit();
    }
    EXPECT_EQ(mode(), "delete");  // no articles yet: still being filled
    {
      Store::Transaction tx(s);
      s.add_article(make("0000000000000001", kNow), "t/s/c", kNow);
      EXPECT_EQ(mode(), "delete");
      tx.commit();
    }
    EXPECT_EQ(mode(), "wal");
    EXPECT_FALSE(fs::exists(db_path().string() + "-journal"));
  }
  fs::remove(db_path());
  fs::remove(db_path().string() + "-wal");
  fs::remove(db_path().string() + "-shm");
  {
    Store s(db_path());
    s.add_article(make("0000000000000002", kNow), "t/s/c", kNow);  // no Transaction
  }
  EXPECT_EQ(mode(), "wal");  // switched on the way out
  {
    Store s(db_path());  // existing: WAL from the start
    EXPECT_EQ(mode(), "wal");
  }
}

TEST_F(StoreTest, FileSettingsAndIntegrity) {
  {
    Store s(db_path());
    s.add_article(make("0000000000000001", kNow), "t/s/c", kNow);
    EXPECT_EQ(s.integrity_check(), "ok");
  }
  lib::Database db(db_path().string(), SQLITE_OPEN_READONLY);
  const auto pragma = [&](const char* sql) {
    lib::Statement st = db.prepare(sql);
    return st.step() ? st.column_text(0) : std::string("(no row)");
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");  // persistent in the file
  EXPECT_EQ(pragma("PRAGMA user_version"), "4");
  EXPECT_EQ(pragma("PRAGMA application_id"), std::to_string(0x66656564));
  EXPECT_EQ(pragma("PRAGMA foreign_key_check"), "(no row)");  // no orphans
}

}  // namespace
}  // namespace feedd::store
