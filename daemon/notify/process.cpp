// The real Spawner: posix_spawnp, pipes, poll, a deadline, and the process group killed at it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "notify/hook.hpp"

extern char** environ;

namespace feedd::notify {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

bool make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end = Fd(fds[0]);
  write_end = Fd(fds[1]);
  return true;
}

// SIGPIPE blocked on this thread for the lifetime of the guard, so that a hook which closes its
// stdin early gives EPIPE instead of killing feedd (`once` does not ignore SIGPIPE); a SIGPIPE
// raised meanwhile is consumed before the old mask comes back.
class BlockSigpipe {
 public:
  BlockSigpipe() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockSigpipe() {
    const timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_{}, old_{};
};

class ProcessSpawner final : public Spawner {
 public:
  HookResult run(const HookRun& run, std::chrono::milliseconds timeout,
                 std::stop_token stop) override {
    HookResult r;
    if (run.argv.empty()) {
      r.error = "no program";
      return r;
    }
    std::string input;
    for (const auto& p : run.paths)
      input.append(p).append(1, '\n');

    // The environment: feedd's own, FEEDD_NEW_POSTS replaced.
    std::vector<std::string> env_text;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      if (std::strncmp(*e, "FEEDD_NEW_POSTS=", 16) != 0) env_text.emplace_back(*e);
    }
    env_text.push_back("FEEDD_NEW_POSTS=" + std::to_string(run.paths.size()));
    std::vector<char*> envp;
    envp.reserve(env_text.size() + 1);
    for (auto& e : env_text)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = run.argv;
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);

    Fd in_read, in_write, out_read, out_write;
    if (!make_pipe(in_read, in_write) || !make_pipe(out_read, out_write)) {
      r.error = std::string("pipe: ") + std::strerror(errno);
      return r;
    }
    BlockSigpipe no_sigpipe;

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 2);
    // Sockets, the store and every other descriptor of feedd stay out of the hook.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t none, all_default;
    sigemptyset(&none);
    sigemptyset(&all_default);
    sigaddset(&all_default, SIGPIPE);
    sigaddset(&all_default, SIGTERM);
    sigaddset(&all_default, SIGINT);
    sigaddset(&all_default, SIGHUP);
    sigaddset(&all_default, SIGUSR1);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all_default);
    posix_spawnattr_setpgroup(&attr, 0);  // its own group, killed as one at the timeout
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    in_read.reset();
    out_write.reset();
    if (rc != 0) {
      r.error = std::string(argv[0]) + ": " + std::strerror(rc);
      return r;
    }
    r.started = true;
    ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
    if (input.empty()) in_write.reset();

    const auto deadline = Clock::now() + timeout;
    std::size_t written = 0;
    int status = 0;
    bool exited = false;
    char buf[4096];
    auto read_output = [&] {
      while (true) {
        const ssize_t n = ::read(out_read.get(), buf, sizeof buf);
        if (n <= 0) return n == 0;  // EOF: true
        const std::size_t room = kMaxHookOutput - std::min(kMaxHookOutput, r.output.size());
        r.output.append(buf, std::min(room, static_cast<std::size_t>(n)));
        if (static_cast<std::size_t>(n) > room) r.output_truncated = true;
      }
    };
    bool eof = false;
    while (!exited) {
      pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {in_write.get(), POLLOUT, 0}};
      const nfds_t nfds = in_write.get() >= 0 ? 2 : 1;
      // A short tick: the child's exit, the deadline and a stop request are checked between.
      ::poll(eof ? fds + 1 : fds, eof ? nfds - 1 : nfds, 100);
      if (!eof) eof = read_output();
      if (in_write.get() >= 0 && written < input.size()) {
        const ssize_t n = ::write(in_write.get(), input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
          in_write.reset();  // EPIPE: it stopped reading
      }
      if (in_write.get() >= 0 && written >= input.size()) in_write.reset();  // EOF for its stdin
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      if (Clock::now() >= deadline || stop.stop_requested()) {
        r.timed_out = Clock::now() >= deadline;
        if (!r.timed_out) r.error = "stopped: feedd is shutting down";
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        exited = true;
      }
    }
    if (!eof) read_output();  // what is there now; a grandchild holding the pipe is not waited for
    if (WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
  }
};

}  // namespace

std::unique_ptr<Spawner> make_process_spawner() {
  return std::make_unique<ProcessSpawner>();
}

}  // namespace feedd::notify
