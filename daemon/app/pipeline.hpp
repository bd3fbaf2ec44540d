#pragma once
// The pipeline: one cycle = fetch every channel → parse → articles → one store transaction →
// write the views (posts/, feeds/, feeds.opml) after commit. Also `import` of article files.
//
// I/O happens only here and in the stages at the edges (fetch, store). Time comes in as a
// parameter. Threading: a Pipeline is used from one thread at a time.
// Errors: per-channel and per-file failures are reported in the returned values and logged
// once; a store failure rolls the whole cycle back and is reported (write_error), never thrown.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "fetch/fetcher.hpp"
#include "serve/http.hpp"
#include "store/store.hpp"
#include "util/atomic_file.hpp"

namespace feedd::app {

struct ChannelReport {
  std::string path;        // top/source/channel slugs
  std::string url;         // redacted
  std::string outcome;     // fetch::outcome_name(), or "parse_error"
  std::string error;       // "" when ok
  int new_articles = 0;    // written as new files
  int known_articles = 0;  // items already seen here, or duplicates of known titles
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
  int files_written = 0;    // article files and feeds whose bytes changed
  std::string write_error;  // store or file failure: "" when the cycle was committed and written
  std::chrono::milliseconds duration{0};

  // "channels: 3 ok, 1 failed; articles: 12 new, 40 seen"
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
  std::string summary() const;
};

class Pipeline {
 public:
  // Servable feeds and OPML (ETag, gzip) by URL path ("/feeds/all.xml").
  using Views = serve::ViewMap;

  // `config`, `store` and `fetcher` must outlive the Pipeline. With `serve_views` (the daemon)
  // the first write_views renders every feed and the OPML, and each render is also made
  // servable (on the work pool, so compressing hundreds of feeds takes both cores) and kept
  // for take_views(); without (`once`, `import`) a feed is only rendered when it must be
  // written.
  Pipeline(const config::Config& config, store::Store& store, fetch::Fetcher& fetcher,
           bool serve_views = false);

  // Polls the channels whose paths are in `only` (all when empty), stores new articles, writes
  // their files (staged on the work pool during the cycle, renamed into place after the
  // commit) and rewrites the feeds that changed.
  CycleReport run_cycle(std::chrono::sys_seconds now, const std::vector<std::string>& only = {});

  // Imports article files and folders of them (*.md, *.txt), then rewrites the views.
  ImportReport import_paths(const std::vector<std::filesystem::path>& paths,
                            std::chrono::sys_seconds now);

  // Regenerates missing article files (on the first call and on the call after one where an
  // article file failed), then renders the feeds whose content may have changed since they
  // were last written — those listing a channel that got articles or new upstream details,
  // or all of them after a prune, a config change or an interrupted write — plus any whose
  // file is missing, and writes those whose bytes changed. Returns files changed; on failure
  // sets `error` and keeps going with the other files. The store is not rolled back: the
  // files are views, rebuilt next time.
  // `now` is the Last-Modified of views made servable.
  int write_views(std::chrono::sys_seconds now, std::string& error);

  // Imports the files in the configured inbox (none configured: no-op), then moves each to
  // inbox/done/, or to inbox/failed/ beside a "<name>.error" file saying why. When the store
  // rolls back, the files stay for the next cycle. Returns the files handled.
  int import_inbox(std::chrono::sys_seconds now);

  // Deletes article files (and rows) dated before `now - keep_days`; their hashes and GUIDs
  // stay known, so they never come back. No-op when keep_days is 0. Returns files removed.
  int prune(std::chrono::sys_seconds now);

  // The feeds and OPML rendered since the last call (with serve_views; else empty). A view not
  // in it is unchanged.
  Views take_views() { return std::exchange(views_, {}); }

 private:
  // Once per Pipeline, before its first change to the store: whether the feeds on disk are
  // known to match the store and this config (see kViewsKey in pipeline.cpp).
  void check_views_stamp();
  // Records, in the open transaction, that the feeds on disk are behind the store.
  void mark_views_behind();
  // Puts staged article files in place; logs the first failure and counts the rest.
  int publish_posts(std::vector<StagedFile>& staged, std::string& error);

  const config::Config& config_;
  store::Store& store_;
  fetch::Fetcher& fetcher_;
  const bool serve_views_;
  std::set<std::string> rendered_;  // views rendered by this Pipeline (serve_views only)
  bool checked_missing_posts_ = false;
  bool posts_failed_ = false;  // an article file failed since the last write_views
  bool stamp_checked_ = false;
  std::string fingerprint_;     // views_fingerprint() of config_, made once
  bool stamp_current_ = false;  // the store's views stamp is fingerprint_ (not "behind")
  bool all_dirty_ = true;       // every feed must be rendered (first use, config change, prune)
  // Channel paths whose feeds must be rendered ("" = imports, listed only in the all feed).
  std::set<std::string> touched_;
  Views views_;
};

}  // namespace feedd::app
