// The on_new_posts hook and the webhook: the runner and queue logic with an injected spawner,
// poster and clock; the real spawner with /bin/sh scripts; the real poster is covered by
// tests/e2e/test_notify.py against a loopback server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "notify/hook.hpp"
#include "notify/notifier.hpp"
#include "notify/webhook.hpp"

namespace feedd::notify {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;
using testing::HasSubstr;

// A Spawner whose runs block until the test releases them; records every run.
class GatedSpawner final : public Spawner {
 public:
  HookResult run(const HookRun& run, std::chrono::milliseconds, std::stop_token stop) override {
    std::unique_lock lock(mutex_);
    runs_.push_back(run);
    ++running_;
    max_running_ = std::max(max_running_, running_);
    changed_.notify_all();
    changed_.wait(lock, stop, [&] { return releases_ > 0; });
    if (releases_ > 0) --releases_;
    --running_;
    HookResult r;
    r.started = true;
    r.exit_status = 0;
    return r;
  }
  void release() {
    std::lock_guard lock(mutex_);
    ++releases_;
    changed_.notify_all();
  }
  void wait_runs(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return runs_.size() >= n; });
  }
  std::vector<HookRun> runs() {
    std::lock_guard lock(mutex_);
    return runs_;
  }
  int max_running() {
    std::lock_guard lock(mutex_);
    return max_running_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::vector<HookRun> runs_;
  int running_ = 0, max_running_ = 0, releases_ = 0;
};

TEST(HookRunner, NeverTwoAtOnceAndPathsQueuedMeanwhileGoToTheNextRun) {
  auto spawner = std::make_unique<GatedSpawner>();
  GatedSpawner& s = *spawner;
  HookRunner runner({"hexo", "generate"}, 1min, std::move(spawner));
  runner.notify({"a.md"});
  s.wait_runs(1);           // running, held by the gate
  runner.notify({"b.md"});  // returns at once: notify never waits for the hook
  runner.notify({"c.md", "d.md"});
  runner.notify({});
  s.release();
  s.wait_runs(2);
  s.release();
  runner.wait_idle();
  const auto runs = s.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_THAT(runs[0].argv, ElementsAre("hexo", "generate"));
  EXPECT_THAT(runs[0].paths, ElementsAre("a.md"));
  EXPECT_THAT(runs[1].paths, ElementsAre("b.md", "c.md", "d.md"));
  EXPECT_EQ(s.max_running(), 1);
  EXPECT_EQ(runner.stats().runs, 2u);
  EXPECT_EQ(runner.stats().failures, 0u);
}

TEST(HookRunner, DestroyingItStopsARunningHook) {
  auto spawner = std::make_unique<GatedSpawner>();
  GatedSpawner& s = *spawner;
  {
    HookRunner runner({"x"}, 1min, std::move(spawner));
    runner.notify({"a.md"});
    s.wait_runs(1);
    EXPECT_EQ(s.runs().size(), 1u);
  }  // never released: the stop request ends the run, or this test hangs (the spawner goes too)
}

class ProcessSpawnerTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("feedd-notify-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string script(const std::string& name, const std::string& body) {
    const auto p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    std::filesystem::permissions(p, std::filesystem::perms::owner_all);
    return p.string();
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ / name);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::filesystem::path dir_;
};

TEST_F(ProcessSpawnerTest, StdinEnvArgvAndOutput) {
  const auto hook = script("hook.sh",
                           "cat > \"$1/stdin\"\n"
                           "echo \"$FEEDD_NEW_POSTS\" > \"$1/count\"\n"
                           "echo \"to stdout $2\"\n"
                           "echo 'to stderr' >&2\n");
  auto spawner = make_process_spawner();
  // No shell: the argument with a space and a ';' arrives as one word.
  const HookResult r =
      spawner->run({{hook, dir_.string(), "x; y"}, {"/o/posts/a.md", "/o/posts/b.md"}}, 1min, {});
  EXPECT_TRUE(r.ok()) << r.error << r.output;
  EXPECT_EQ(read("stdin"), "/o/posts/a.md\n/o/posts/b.md\n");
  EXPECT_EQ(read("count"), "2\n");
  EXPECT_THAT(r.output, HasSubstr("to stdout x; y\n"));
  EXPECT_THAT(r.output, HasSubstr("to stderr\n"));
}

TEST_F(ProcessSpawnerTest, Failures) {
  auto spawner = make_process_spawner();
  const HookResult missing = spawner->run({{(dir_ / "no-such-program").string()}, {"a"}}, 1min, {});
  EXPECT_FALSE(missing.started);
  EXPECT_THAT(missing.error, HasSubstr("No such file or directory"));

  const HookResult status = spawner->run({{script("fail.sh", "exit 3\n")}, {"a"}}, 1min, {});
  EXPECT_TRUE(status.started);
  EXPECT_EQ(status.exit_status, 3);
  EXPECT_FALSE(status.ok());

  // A hook that never reads its stdin: feedd is not killed by SIGPIPE and does not hang.
  std::vector<std::string> many(100000, std::string(100, 'p'));
  const HookResult deaf = spawner->run({{script("deaf.sh", "exit 0\n")}, many}, 1min, {});
  EXPECT_TRUE(deaf.ok()) << deaf.error;
}

// The timeout kills the whole process group: a child the hook started dies with it.
TEST_F(ProcessSpawnerTest, TimeoutKillsTheProcessGroup) {
  const auto hook = script("slow.sh",
                           "sleep 300 &\n"
                           "echo $! > \"$1/child\"\n"
                           "sleep 300\n");
  auto spawner = make_process_spawner();
  const HookResult r = spawner->run({{hook, dir_.string()}, {"a"}}, 300ms, {});
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  const pid_t child = std::stoi(read("child"));
  // SIGKILL is delivered asynchronously: wait (bounded) for the child to be a zombie (until
  // init reaps it) or gone. Not killed, it sleeps 300 s and this fails.
  auto dead = [&] {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid, comm, state;
    return !(stat >> pid >> comm >> state) || state == "Z" || state == "X";
  };
  for (int i = 0; i < 500 && !dead(); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(dead()) << "the hook's child " << child << " outlived the timeout";
}

TEST(WebhookBody, ListsTheArticlesAsJson) {
  EXPECT_EQ(webhook_body({}), R"({"new_posts":0,"articles":[]})");
  EXPECT_EQ(
      webhook_body({{"标题 \"q\"\\",
                     "https://e.example/a?b=1&c=2",
                     {"新媒体", "ZAKER", "c"},
                     "0123456789abcdef.md"},
                    {"t\n\x01", "", {}, "fedcba9876543210.md"}}),
      R"({"new_posts":2,"articles":[{"title":"标题 \"q\"\\","link":"https://e.example/a?b=1&c=2",)"
      R"("categories":["新媒体","ZAKER","c"],"file":"0123456789abcdef.md"},)"
      R"({"title":"t\u000a\u0001","link":"","categories":[],"file":"fedcba9876543210.md"}]})");
}

TEST(WebhookQueue, RetriesTheHeadWithDoublingBackoffThenDropsIt) {
  using TP = WebhookQueue::TimePoint;
  const TP t0{};
  WebhookQueue q;
  EXPECT_FALSE(q.due(t0));
  EXPECT_FALSE(q.next_due());
  q.push("one", t0);
  q.push("two", t0);
  EXPECT_EQ(q.due(t0), "one");
  q.report(false, t0);
  EXPECT_FALSE(q.due(t0 + 1s));  // the head waits; "two" waits behind it (order kept)
  EXPECT_EQ(q.next_due(), t0 + 2s);
  EXPECT_EQ(q.due(t0 + 2s), "one");
  q.report(false, t0 + 2s);
  EXPECT_EQ(q.next_due(), t0 + 2s + 4s);
  q.report(true, t0 + 6s);
  EXPECT_EQ(q.due(t0 + 6s), "two");
  EXPECT_EQ(q.stats().delivered, 1u);
  EXPECT_EQ(q.stats().failures, 2u);
  EXPECT_EQ(q.stats().queued, 1u);

  // Every attempt failing: dropped after kMaxAttempts, the backoff capped.
  TP now = t0;
  std::vector<std::chrono::seconds> waits;
  for (int i = 0; i < WebhookQueue::kMaxAttempts; ++i) {
    now = *q.next_due();
    ASSERT_EQ(q.due(now), "two");
    q.report(false, now);
    if (auto next = q.next_due())
      waits.push_back(std::chrono::duration_cast<std::chrono::seconds>(*next - now));
  }
  EXPECT_EQ(waits.front(), 2s);
  EXPECT_EQ(waits.back(), 512s);
  EXPECT_FALSE(q.next_due());
  EXPECT_EQ(q.stats().dropped, 1u);
  EXPECT_EQ(q.stats().failures, 12u);
}

TEST(WebhookQueue, BoundedTheOldestDropped) {
  WebhookQueue q;
  const WebhookQueue::TimePoint t0{};
  for (std::size_t i = 0; i < WebhookQueue::kCapacity + 3; ++i)
    q.push(std::to_string(i), t0);
  EXPECT_EQ(q.stats().queued, WebhookQueue::kCapacity);
  EXPECT_EQ(q.stats().dropped, 3u);
  EXPECT_EQ(q.due(t0), "3");
}

TEST(WebhookSender, PostsOffTheCallersThreadAndCountsFailures) {
  std::mutex m;
  std::vector<std::string> bodies;
  std::promise<void> first_seen;
  std::atomic<int> calls = 0;
  WebhookSender sender(
      "https://u:pw@hooks.example/x?token=t", [&](const std::string& url, const std::string& body) {
        EXPECT_EQ(url, "https://u:pw@hooks.example/x?token=t");  // the real URL; only logs redact
        std::lock_guard lock(m);
        bodies.push_back(body);
        return ++calls == 1 ? std::string("HTTP 500") : std::string();
      });
  sender.post("{}");
  sender.wait_idle(1min);  // the first attempt fails, the retry (2 s later) succeeds
  const auto s = sender.stats();
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_EQ(s.queued, 0u);
  std::lock_guard lock(m);
  EXPECT_THAT(bodies, ElementsAre("{}", "{}"));
}

TEST(Notifier, HookGetsPathsUnderPostsAndWebhookOneBodyPerCycle) {
  auto spawner = std::make_unique<GatedSpawner>();
  GatedSpawner& s = *spawner;
  std::mutex m;
  std::vector<std::string> bodies;
  Notifier n({"hook"}, "http://127.0.0.1:9/", "/out/posts", std::move(spawner),
             [&](const std::string&, const std::string& body) {
               std::lock_guard lock(m);
               bodies.push_back(body);
               return std::string();
             });
  EXPECT_TRUE(n.enabled());
  n.after_cycle({});
  n.after_cycle({{"T", "https://e.example/", {"a", "b", "c"}, "0123456789abcdef.md"}});
  s.wait_runs(1);
  s.release();
  n.wait(1min);
  EXPECT_THAT(s.runs().at(0).paths, ElementsAre("/out/posts/0123456789abcdef.md"));
  std::lock_guard lock(m);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_THAT(bodies[0], HasSubstr("\"file\":\"0123456789abcdef.md\""));
  EXPECT_FALSE(Notifier({}, "", "/p").enabled());
}

}  // namespace
}  // namespace feedd::notify
