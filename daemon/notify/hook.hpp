#pragma once
// The on_new_posts hook: a program run without a shell after a cycle that wrote posts, the new
// posts' paths on its stdin (one per line), FEEDD_NEW_POSTS=<count> in its environment.
// Runs happen one at a time on the HookRunner's own thread, so a cycle never waits for one.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace feedd::notify {

// One run of the hook.
struct HookRun {
  std::vector<std::string> argv;   // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> paths;  // written to stdin, one per line; FEEDD_NEW_POSTS = size
};

struct HookResult {
  bool started = false;    // false: `error` says why it could not start
  int exit_status = -1;    // the exit status when it exited; -1 when killed by a signal
  int signal = 0;          // the signal that ended it, 0 if none
  bool timed_out = false;  // killed (with its process group) at the timeout
  std::string output;      // stdout and stderr interleaved, at most kMaxHookOutput bytes
  bool output_truncated = false;
  std::string error;
  bool ok() const { return started && exit_status == 0 && !timed_out; }
};

inline constexpr std::size_t kMaxHookOutput = std::size_t{64} * 1024;

// Runs a process to its end. Blocking; one call at a time per Spawner.
class Spawner {
 public:
  virtual ~Spawner() = default;
  // Never throws (but std::bad_alloc). At `timeout`, or when `stop` is requested, the process
  // group is killed (SIGKILL) and the call returns.
  virtual HookResult run(const HookRun& run, std::chrono::milliseconds timeout,
                         std::stop_token stop) = 0;
};

// The real one: posix_spawnp in a process group of its own, stdin a pipe, stdout and stderr one
// pipe read back into HookResult::output, descriptors above 2 closed, signal mask and
// dispositions reset. Output left after the process exits (a background grandchild still
// holding the pipe) is not waited for.
std::unique_ptr<Spawner> make_process_spawner();

struct HookStats {
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;  // did not start, non-zero exit, signal or timeout
};

// Owns a thread that runs the hook whenever paths are queued. Paths queued while a run is in
// progress go to the next run together (never two runs at once, none lost up to
// kMaxQueuedPaths; beyond, the oldest are dropped and logged). Output and failures go to the
// log (spdlog), one line per output line, prefixed "on_new_posts: ".
// Thread-safe: notify(), wait_idle() and stats() may be called from any thread.
class HookRunner {
 public:
  static constexpr std::size_t kMaxQueuedPaths = 100000;

  HookRunner(std::vector<std::string> argv, std::chrono::milliseconds timeout,
             std::unique_ptr<Spawner> spawner);
  // Stops the thread: a queued run is dropped, a running one killed (its group).
  ~HookRunner();
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // Queues `paths` for the next run and returns at once. No-op when empty.
  void notify(std::vector<std::string> paths);
  // Blocks until no run is queued or in progress (`feedd once` before it exits).
  void wait_idle();
  HookStats stats() const;

 private:
  void loop(const std::stop_token& stop);

  const std::vector<std::string> argv_;
  const std::chrono::milliseconds timeout_;
  std::unique_ptr<Spawner> spawner_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::condition_variable idle_;
  std::vector<std::string> queued_;
  bool running_ = false;
  HookStats stats_;
  std::jthread thread_;  // last: started after, and joined before, the members it uses
};

}  // namespace feedd::notify
