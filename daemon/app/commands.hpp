#pragma once
// The command-line commands. Each returns the process exit status:
// 0 success, 1 the work failed (every channel failed, store unusable, files unreadable),
// 2 usage or config errors. Diagnostics go to the log (stderr); results to `out`.
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace feedd::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct CommonOptions {
  std::filesystem::path config = "feeds.yaml";
};

int cmd_once(const CommonOptions& opts, std::ostream& out);
int cmd_import(const CommonOptions& opts, const std::vector<std::string>& paths, std::ostream& out);
// Validates the config and prints the category tree, each channel's rules under it. With
// `explain` (a channel path): explain_channel (app/explain.hpp) on it instead.
int cmd_check(const CommonOptions& opts, std::ostream& out, const std::string& explain = "");

// Sets up spdlog on stderr. `journal` (JOURNAL_STREAM is set) drops timestamps and prefixes
// lines with syslog priorities "<N>" for journald. Throws spdlog::spdlog_ex on a bad level.
void setup_logging(const std::string& level, bool journal);

}  // namespace feedd::app
