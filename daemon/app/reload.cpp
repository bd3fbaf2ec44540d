#include "app/reload.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace feedd::app {

std::string ReloadOutcome::status() const {
  if (config) return "reloaded";
  // `systemctl status` shows why, not only that: the first error (PATH:LINE: message), on the
  // one line STATUS= allows.
  std::string why = errors.empty() ? std::string("unknown error") : errors.front();
  std::replace(why.begin(), why.end(), '\n', ' ');
  return "reload failed, kept the previous configuration: " + why;
}

ReloadOutcome reload_config(const std::filesystem::path& path, const config::Config& current) {
  auto loaded = config::load_config(path);
  ReloadOutcome out;
  out.errors = std::move(loaded.errors);
  out.warnings = std::move(loaded.warnings);
  if (!loaded.config) return out;
  out.config = std::move(loaded.config);
  if (out.config->listen != current.listen || out.config->state != current.state) {
    out.needs_restart = true;
    out.config->listen = current.listen;
    out.config->state = current.state;
  }
  return out;
}

void log_reload(const ReloadOutcome& outcome) {
  for (const auto& w : outcome.warnings)
    spdlog::warn("{}", w);
  if (!outcome.config) {
    for (const auto& e : outcome.errors)
      spdlog::error("{}", e);
    spdlog::error("reload failed: keeping the previous configuration");
    return;
  }
  if (outcome.needs_restart) spdlog::warn("listen/state changes take effect at the next restart");
  spdlog::info("reloaded: {} channels", outcome.config->channels().size());
}

}  // namespace feedd::app
