#include "notify/hook.hpp"

#include <spdlog/spdlog.h>

#include <string_view>
#include <utility>

namespace feedd::notify {
namespace {

std::string describe(const HookResult& r) {
  if (!r.started) return "could not start: " + r.error;
  if (r.timed_out) return "killed at the timeout";
  if (r.signal != 0) return "killed by signal " + std::to_string(r.signal);
  return "exit status " + std::to_string(r.exit_status);
}

void log_output(const HookResult& r) {
  std::string_view rest = r.output;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (!line.empty()) spdlog::info("on_new_posts: {}", line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  if (r.output_truncated)
    spdlog::warn("on_new_posts: output beyond {} bytes not logged", kMaxHookOutput);
}

}  // namespace

HookRunner::HookRunner(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                       std::unique_ptr<Spawner> spawner)
    : argv_(std::move(argv)),
      timeout_(timeout),
      spawner_(std::move(spawner)),
      thread_([this](const std::stop_token& stop) { loop(stop); }) {}

HookRunner::~HookRunner() {
  thread_.request_stop();
  wake_.notify_all();
  // jthread joins here, before the members the loop uses go.
}

void HookRunner::notify(std::vector<std::string> paths) {
  if (paths.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (auto& p : paths)
      queued_.push_back(std::move(p));
    if (queued_.size() > kMaxQueuedPaths) {
      const auto drop = queued_.size() - kMaxQueuedPaths;
      spdlog::warn("on_new_posts: {} queued paths dropped (more than {} waiting)", drop,
                   kMaxQueuedPaths);
      queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(drop));
    }
  }
  wake_.notify_all();
}

void HookRunner::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queued_.empty() && !running_; });
}

HookStats HookRunner::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void HookRunner::loop(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, stop, [&] { return !queued_.empty(); });
    if (stop.stop_requested()) break;
    HookRun run{argv_, std::exchange(queued_, {})};
    running_ = true;
    lock.unlock();
    spdlog::info("on_new_posts: running {} for {} new posts", argv_.front(), run.paths.size());
    const HookResult r = spawner_->run(run, timeout_, stop);
    log_output(r);
    if (!r.ok()) spdlog::error("on_new_posts: {}: {}", argv_.front(), describe(r));
    lock.lock();
    running_ = false;
    ++stats_.runs;
    if (!r.ok()) ++stats_.failures;
    idle_.notify_all();
  }
  // Stopped: whatever was queued will not run; wait_idle() callers must not hang.
  queued_.clear();
  running_ = false;
  idle_.notify_all();
}

}  // namespace feedd::notify
