#pragma once
// Runs tests/support/fixture_server.py as a child process for the duration of a test suite.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace feedd::test {

// Starts the server on construction (serving `root`, logging requests to `log_file`) and
// kills it on destruction. The child gets a pipe as stdin and --exit-on-eof, so it also dies
// if the test process crashes. Throws std::runtime_error if it does not report a port in 10 s.
class FixtureServer {
 public:
  FixtureServer(const std::string& root, const std::string& log_file) : log_file_(log_file) {
    int out[2], in[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe failed");
    }
    const std::string script = std::string(FEEDD_SOURCE_DIR) + "/tests/support/fixture_server.py";
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      execl("/usr/bin/python3", "python3", script.c_str(), root.c_str(), "--log", log_file.c_str(),
            "--exit-on-eof", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    std::string line;
    pollfd pfd{out[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&pfd, 1, 10000) > 0) {
      char buf[64];
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    port_ = std::atoi(line.c_str());
    if (port_ <= 0) {
      stop();
      throw std::runtime_error("fixture server did not report a port: '" + line + "'");
    }
  }
  ~FixtureServer() { stop(); }
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Lines of the request log so far ("GET /path 200").
  std::vector<std::string> log_lines() const {
    std::vector<std::string> lines;
    std::ifstream in(log_file_);
    for (std::string l; std::getline(in, l);)
      lines.push_back(l);
    return lines;
  }

 private:
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (stdin_ >= 0) close(stdin_), stdin_ = -1;
  }

  std::string log_file_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

}  // namespace feedd::test
