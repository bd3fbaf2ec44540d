// ChannelPoll's steps and InOrder, without a store transaction or a pool: values in, values out.
#include "app/channel_poll.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace feedd::app {
namespace {

// InOrder releases each index once, in order, whatever order they are done in.
TEST(InOrder, ReleasesInOrderWhateverOrderTheyAreDoneIn) {
  using Released = std::vector<std::vector<std::size_t>>;
  struct Case {
    const char* name;
    std::size_t n;
    std::vector<std::size_t> done;  // in this order
    Released released;              // by each done() call
  };
  const std::vector<Case> cases = {
      {"in order", 3, {0, 1, 2}, {{0}, {1}, {2}}},
      {"reversed", 3, {2, 1, 0}, {{}, {}, {0, 1, 2}}},
      {"middle last", 3, {0, 2, 1}, {{0}, {}, {1, 2}}},
      {"twice is once", 2, {1, 1, 0, 0}, {{}, {}, {0, 1}, {}}},
      {"out of range ignored", 1, {5, 0}, {{}, {0}}},
      {"none", 0, {0}, {{}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    InOrder order(c.n);
    Released got;
    for (const auto i : c.done)
      got.push_back(order.done(i));
    EXPECT_EQ(got, c.released);
  }
}

config::Channel channel() {
  config::Channel ch;
  ch.top_name = "新媒体";
  ch.top_slug = "top";
  ch.source_name = "源";
  ch.source_slug = "src";
  ch.name = "甲";
  ch.slug = "a";
  ch.url = "http://user:secret@up.example/a.xml";
  return ch;
}

const std::chrono::sys_seconds kNow{std::chrono::seconds{1638000000}};

// What the fetch step does with each kind of answer: the parse job, the report, what it says
// about the channel's feeds.
TEST(ChannelPoll, FetchedStep) {
  struct Case {
    const char* name;
    fetch::Outcome outcome;
    bool parse;   // a ParseJob is returned
    bool report;  // a report exists
    const char* outcome_name;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"ok", fetch::Outcome::kOk, true, true, "ok", ""},
      {"304", fetch::Outcome::kNotModified, false, true, "not_modified", ""},
      {"error", fetch::Outcome::kHttpError, false, true, "http_error", "HTTP 500"},
      {"cancelled", fetch::Outcome::kCancelled, false, false, "", ""},
  };
  const auto ch = channel();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ChannelPoll poll(ch, std::nullopt, kNow);
    EXPECT_EQ(poll.request().key, "top/src/a");
    fetch::Result r;
    r.key = "top/src/a";
    r.url = ch.url;
    r.outcome = c.outcome;
    r.reason = c.error;
    r.body = "<rss/>";
    const auto job = poll.fetched(r);
    EXPECT_EQ(job.has_value(), c.parse);
    if (job) {
      EXPECT_EQ(job->body, "<rss/>");
    }
    const auto report = poll.take_report();
    ASSERT_EQ(report.has_value(), c.report);
    if (!report) continue;
    EXPECT_EQ(report->outcome, c.outcome_name);
    EXPECT_EQ(report->error, c.error);
    EXPECT_EQ(report->url.find("secret"), std::string::npos) << report->url;  // redacted
    EXPECT_TRUE(poll.touched());  // first poll: atom:source gets the feed URL
  }
}

}  // namespace
}  // namespace feedd::app

namespace feedd::app {
namespace {

// Issue 12: which answers move a route to its next RSSHub instance, and what InstanceHealth
// learns from each.
TEST(ChannelPoll, FailOverStep) {
  struct Case {
    const char* name;
    fetch::Outcome outcome;
    long status;
    std::vector<std::size_t> instances;  // the poll's instances to try
    bool route;
    bool moves;          // fail_over returns true
    std::string next;    // request().url afterwards
    bool first_skipped;  // InstanceHealth skips instance instances[0] afterwards
  };
  const std::string a = "http://one.example/r?key=k", b = "http://two.example/r?key=k";
  const std::vector<Case> cases = {
      {"ok", fetch::Outcome::kOk, 200, {0, 1}, true, false, a, false},
      {"304", fetch::Outcome::kNotModified, 304, {0, 1}, true, false, a, false},
      {"503", fetch::Outcome::kHttpError, 503, {0, 1}, true, true, b, true},
      {"403", fetch::Outcome::kHttpError, 403, {0, 1}, true, true, b, true},
      {"429", fetch::Outcome::kHttpError, 429, {0, 1}, true, true, b, true},
      {"no answer", fetch::Outcome::kNetworkError, 0, {0, 1}, true, true, b, true},
      {"timeout", fetch::Outcome::kTimeout, 0, {0, 1}, true, true, b, true},
      {"404 is the route's", fetch::Outcome::kHttpError, 404, {0, 1}, true, false, a, false},
      {"too large is the feed's", fetch::Outcome::kTooLarge, 200, {0, 1}, true, false, a, false},
      {"cancelled", fetch::Outcome::kCancelled, 0, {0, 1}, true, false, a, false},
      {"the last instance", fetch::Outcome::kHttpError, 503, {0}, true, false, a, true},
      {"a url: channel",
       fetch::Outcome::kHttpError,
       503,
       {0, 1},
       false,
       false,
       "http://user:secret@up.example/a.xml",
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    config::Channel ch = channel();
    if (c.route) {
      ch.route = "/r";
      ch.urls = {a, b};
      ch.url = a;
    }
    schedule::InstanceHealth health(2);
    ChannelPoll poll(ch, std::nullopt, kNow, c.instances);
    fetch::Result r;
    r.outcome = c.outcome;
    r.http_status = c.status;
    r.url = poll.request().url;
    EXPECT_EQ(poll.fail_over(r, health), c.moves);
    EXPECT_EQ(poll.request().url, c.next);
    EXPECT_EQ(health.skipped(0, kNow), c.first_skipped);
  }
}

}  // namespace
}  // namespace feedd::app
