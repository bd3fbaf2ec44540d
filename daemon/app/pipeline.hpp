#pragma once
// The pipeline: one cycle = fetch every channel → parse → articles → one store transaction →
// write the views (posts/, feeds/, feeds.opml) after commit. Also `import` of article files.
//
// I/O happens only here and in the stages at the edges (fetch, store). Time comes in as a
// parameter. Its parts: ChannelPoll (one channel through a cycle), PostWriter (article files),
// ViewWriter (feeds and OPML). Threading: a Pipeline is used from one thread at a time.
// Errors: per-channel and per-file failures are reported in the returned values and logged
// once; a store failure rolls the whole cycle back and is reported (write_error), never thrown.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <memory>

#include "app/images.hpp"
#include "app/pipeline_report.hpp"
#include "app/post_writer.hpp"
#include "app/view_writer.hpp"
#include "config/config.hpp"
#include "fetch/fetcher.hpp"
#include "schedule/instances.hpp"
#include "store/store.hpp"

namespace feedd::app {

// An article's image mapping (article::Context::image_url).
using ImageUrl = std::function<std::optional<std::string>(const std::string& url)>;

class Pipeline {
 public:
  // `config` and `store` must outlive the Pipeline, and so must `sink` when given (the daemon,
  // which serves the views from memory): each view is then rendered for it at least once by
  // this Pipeline (see ViewWriter). Without (`once`, `import`) a view is only rendered when its
  // file must be written.
  Pipeline(const config::Config& config, store::Store& store, ViewSink* sink = nullptr);

  // Polls the channels whose paths are in `only` (all when empty; a path no longer configured
  // is skipped) with `fetcher`, stores new articles, writes their files (staged on the work
  // pool during the cycle, renamed into place after the commit) and rewrites the feeds that
  // changed.
  CycleReport run_cycle(fetch::Fetcher& fetcher, std::chrono::sys_seconds now,
                        const std::vector<std::string>& only = {});

  // Imports article files and folders of them (*.md, *.txt), then rewrites the views.
  ImportReport import_paths(const std::vector<std::filesystem::path>& paths,
                            std::chrono::sys_seconds now);

  // Regenerates missing article files (PostWriter::restore_missing), then renders the feeds
  // whose content may have changed since they were last written (ViewWriter::write) and
  // writes those whose bytes changed. Returns files changed; on failure sets `error` and keeps
  // going with the other files. The store is not rolled back: the files are views, rebuilt
  // next time. `now` is the Last-Modified of views handed to the sink.
  int write_views(std::chrono::sys_seconds now, std::string& error);

  // Imports the files in the configured inbox (none configured: no-op), then moves each to
  // inbox/done/, or to inbox/failed/ beside a "<name>.error" file saying why. When the store
  // rolls back, the files stay for the next cycle. Returns the files handled; the articles
  // imported as new are appended to `new_posts` when given (for the on_new_posts hook).
  int import_inbox(std::chrono::sys_seconds now, std::vector<notify::NewPost>* new_posts = nullptr);

  // Deletes article files (and rows) dated before `now - keep_days`; their hashes and GUIDs
  // stay known, so they never come back. No-op when keep_days is 0. Returns files removed.
  int prune(std::chrono::sys_seconds now);

  // Shutting down: the image fetches (images: download) in progress end at once and no more
  // start. Thread-safe; the feeds' fetcher is the caller's to cancel.
  void cancel_fetches() {
    if (images_) images_->cancel();
  }

  // images: proxy — the key (app::image_proxy_key) the posts' /img/ URLs are signed with, for
  // the daemon's server to check them; "" in the other modes.
  const std::string& image_proxy_key() const { return image_proxy_key_; }

 private:
  const config::Config& config_;
  store::Store& store_;
  PostWriter posts_;
  ViewWriter views_;
  // RSSHub failover across this Pipeline's cycles: which instances to skip for a while.
  schedule::InstanceHealth instances_;
  std::unique_ptr<ImagePass> images_;  // images: download only
  std::string image_proxy_key_;        // images: proxy only: image::UrlSigner's key
  ImageUrl image_url_;                 // images: proxy only: url → <base_url>img/<sig>/<url>
};

}  // namespace feedd::app
