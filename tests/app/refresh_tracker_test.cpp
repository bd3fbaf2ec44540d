#include "app/refresh_tracker.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "app/http_api.hpp"

namespace feedd::app {
namespace {

RefreshTracker::ChannelList list(std::vector<std::string> channels) {
  return std::make_shared<const std::vector<std::string>>(std::move(channels));
}

auto none_removed = [](const std::string&) { return false; };

// One refresh of two channels asked for before cycle 5; the results that arrive, in order, and
// the progress JSON after each.
TEST(RefreshTracker, ProgressFollowsTheResultsOfLaterCycles) {
  RefreshTracker tracker;
  const auto id = tracker.add(list({"a/b/c", "a/b/d"}), 5);
  EXPECT_EQ(id, 1u);
  struct Step {
    std::string channel;
    ChannelResult result;
    std::string json;  // after the step
  };
  const std::vector<Step> steps = {
      // A result of an earlier cycle does not count.
      {"a/b/c",
       {4, "ok", 3, ""},
       R"({"id":1,"done":false,"channels":[{"channel":"a/b/c","done":false},)"
       R"({"channel":"a/b/d","done":false}]})"},
      {"a/b/c",
       {5, "not_modified", 0, ""},
       R"({"id":1,"done":false,"channels":[{"channel":"a/b/c","done":true,)"
       R"("outcome":"not_modified","new":0,"error":""},{"channel":"a/b/d","done":false}]})"},
      {"a/b/d",
       {6, "http_error", 0, "HTTP 404"},
       R"({"id":1,"done":true,"channels":[{"channel":"a/b/c","done":true,)"
       R"("outcome":"not_modified","new":0,"error":""},{"channel":"a/b/d","done":true,)"
       R"("outcome":"http_error","new":0,"error":"HTTP 404"}]})"},
  };
  for (const auto& step : steps) {
    SCOPED_TRACE(step.json);
    tracker.record(step.channel, step.result);
    const auto progress = tracker.progress(id, none_removed);
    ASSERT_TRUE(progress);
    EXPECT_EQ(refresh_progress_json(*progress), step.json);
  }
}

TEST(RefreshTracker, AChannelRemovedByAReloadIsDone) {
  RefreshTracker tracker;
  const auto id = tracker.add(list({"a/b/gone", "a/b/kept"}), 1);
  tracker.record("a/b/kept", {1, "ok", 2, ""});
  const std::set<std::string> removed = {"a/b/gone"};
  const auto progress =
      tracker.progress(id, [&](const std::string& c) { return removed.count(c) > 0; });
  ASSERT_TRUE(progress);
  EXPECT_TRUE(progress->done());
  EXPECT_EQ(refresh_progress_json(*progress),
            R"({"id":1,"done":true,"channels":[{"channel":"a/b/gone","done":true,)"
            R"("outcome":"removed","new":0,"error":"channel removed by a reload"},)"
            R"({"channel":"a/b/kept","done":true,"outcome":"ok","new":2,"error":""}]})");
}

TEST(RefreshTracker, OnlyTheNewestRefreshesAreKept) {
  RefreshTracker tracker(3);
  const auto all = list({"x/y/z"});  // every refresh of all channels shares one list
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(tracker.add(all, 1));
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_FALSE(tracker.progress(1, none_removed));
  EXPECT_FALSE(tracker.progress(2, none_removed));
  for (std::uint64_t id : {3u, 4u, 5u})
    EXPECT_TRUE(tracker.progress(id, none_removed)) << id;
  EXPECT_EQ(all.use_count(), 4);  // `all` and the three kept records
  EXPECT_FALSE(tracker.progress(0, none_removed));
  EXPECT_FALSE(tracker.progress(6, none_removed));
}

TEST(RefreshTracker, ChannelNamesAndErrorsAreEscapedInTheJson) {
  RefreshTracker tracker;
  const auto id = tracker.add(list({"a/\"b\"/c"}), 1);
  tracker.record("a/\"b\"/c", {1, "error", 0, "line\nbreak \\ \"quoted\""});
  const auto progress = tracker.progress(id, none_removed);
  ASSERT_TRUE(progress);
  EXPECT_EQ(refresh_progress_json(*progress),
            R"({"id":1,"done":true,"channels":[{"channel":"a/\"b\"/c","done":true,)"
            R"("outcome":"error","new":0,"error":"line\nbreak \\ \"quoted\""}]})");
}

TEST(RefreshTracker, AnEmptyRefreshIsDoneAtOnce) {
  RefreshTracker tracker;
  const auto id = tracker.add(list({}), 1);
  const auto progress = tracker.progress(id, none_removed);
  ASSERT_TRUE(progress);
  EXPECT_EQ(refresh_progress_json(*progress), R"({"id":1,"done":true,"channels":[]})");
}

}  // namespace
}  // namespace feedd::app
