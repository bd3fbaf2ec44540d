#pragma once
// What a cycle and an import report: values, in feeds.yaml order and file order. Made by the
// pipeline on its owner thread; read by the daemon (status, scheduler) and the CLI.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "notify/webhook.hpp"

namespace feedd::app {

struct ChannelReport {
  std::string path;        // top/source/channel slugs
  std::string url;         // redacted: the URL fetched last (a route: on the instance tried last)
  std::string instance;    // a route: the RSSHub instance that answered (redacted); else ""
  std::string outcome;     // fetch::outcome_name(), or "parse_error"
  std::string error;       // "" when ok
  int new_articles = 0;    // written as new files
  int known_articles = 0;  // items already seen here, or duplicates of known titles
  int dropped = 0;         // new items dropped by the channel's rules (remembered as seen)
  int updated = 0;         // updates: true — stored articles rewritten because upstream changed
  // RuleSet::drop_label → items it dropped in this poll (at most one name per rule, + 1).
  std::map<std::string, int> drops;
  // For the scheduler: what upstream asked of us.
  std::optional<std::chrono::seconds> retry_after;  // 429/503 Retry-After
  std::optional<std::chrono::seconds> ttl;          // RSS <ttl>
  std::optional<std::chrono::seconds> max_age;      // Cache-Control: max-age
  bool ok() const { return error.empty(); }
};

struct CycleReport {
  std::vector<ChannelReport> channels;
  int channels_ok = 0;
  int channels_failed = 0;
  int new_articles = 0;
  int known_articles = 0;
  int dropped = 0;          // items dropped by rules
  int updated = 0;          // articles rewritten (updates: true)
  int files_written = 0;    // article files and feeds whose bytes changed
  std::string write_error;  // store or file failure: "" when the cycle was committed and written
  std::chrono::milliseconds duration{0};
  // The articles this cycle stored as new (their post files written), in feeds.yaml order: for
  // the on_new_posts hook and the webhook. Empty when the cycle rolled back.
  std::vector<notify::NewPost> new_posts;

  // Appends `channel` (in feeds.yaml order) and counts it.
  void add(ChannelReport channel);
  // "channels: 3 ok, 1 failed; articles: 12 new, 40 seen", then ", 2 dropped" when rules
  // dropped any and ", 1 updated" when articles were rewritten
  std::string summary() const;
};

struct ImportedFile {
  std::filesystem::path path;
  std::string error;  // "" when imported or a duplicate; else "PATH:LINE: message"
};

struct ImportReport {
  std::vector<ImportedFile> files;  // in the order they were read
  int imported = 0;                 // new articles
  int duplicates = 0;               // title hash already known
  int failed = 0;                   // unreadable files (each logged as PATH:LINE: message)
  std::string write_error;
  std::vector<notify::NewPost> new_posts;  // the articles imported as new (for the hook)
  std::string summary() const;
};

}  // namespace feedd::app
