#pragma once
// A config reload (SIGHUP) as a value: what the daemon switches to, or why it keeps what it
// has. No threads of its own: in `feedd run` the event-loop thread calls it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace feedd::app {

struct ReloadOutcome {
  // The config to switch to; unset when the file has errors: the daemon keeps its config.
  std::optional<config::Config> config;
  std::vector<std::string> errors;    // "PATH:LINE: message", in file order
  std::vector<std::string> warnings;  // same format
  // listen or state differ from the running config's: the new config carries the old values,
  // which a running daemon cannot change (the socket is bound, the store open).
  bool needs_restart = false;

  // The STATUS= text for the service manager: "reloaded", or why not (the first error, on one
  // line).
  std::string status() const;
};

// Reads and validates `path` in full for a daemon running with `current`. Reads the file only;
// never throws (load_config's contract).
ReloadOutcome reload_config(const std::filesystem::path& path, const config::Config& current);

// Logs the outcome: every warning and error, then what the daemon does about it.
void log_reload(const ReloadOutcome& outcome);

}  // namespace feedd::app
