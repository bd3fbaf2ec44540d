#pragma once
// The views of the store: the feeds (<output>/feeds/**.xml) and feeds.opml. ViewWriter decides
// which must be rendered — the dirty set (channels whose feeds changed), the views stamp (the
// store's record of whether the files on disk match it), the files missing on disk, the views
// a sink has not had yet — renders those on the work pool, and writes the ones whose bytes
// changed.
//
// Threading: owner thread only; rendering runs on the pool, and so does ViewSink::rendered.
// Throws store::StoreError from before_change() and mark_behind(); write() reports it in
// `error` instead, like a file that could not be written.
#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "config/config.hpp"
#include "store/store.hpp"

namespace feedd::app {

// Where rendered views go besides their files: the daemon serves them from memory.
class ViewSink {
 public:
  virtual ~ViewSink() = default;
  // `file` ("feeds/all.xml", "feeds.opml") was rendered to `bytes` at `now`. Called on pool
  // threads, several at once; must not throw.
  virtual void rendered(const std::string& file, std::string bytes,
                        std::chrono::sys_seconds now) = 0;
};

class ViewWriter {
 public:
  // `config` must outlive the writer, and so must `sink` when given: then every view is
  // rendered for it once by this writer, whether or not its file changes.
  ViewWriter(const config::Config& config, ViewSink* sink);

  // Before the owner's first change to the store: reads the views stamp once. A stamp that is
  // not this writer's fingerprint (first run, config or format change, a write interrupted
  // after a commit) makes every view dirty.
  void before_change(const store::Store& store);
  // In the transaction of a change to what the views list: the files are behind the store
  // until write() completes.
  void mark_behind(store::Store& store);

  // The feeds listing `channel_path` must be rendered ("" = imports: the all feed only).
  void touch(const std::string& channel_path) { touched_.insert(channel_path); }
  // Every view must be rendered (after a prune: which feeds listed them is not worth finding).
  void touch_all() { all_dirty_ = true; }

  // Renders the dirty views, those whose file is missing and those the sink has not had, and
  // writes those whose bytes changed. Once all were written, the dirty set is empty and the
  // stamp current. Returns files changed; on failure sets `error` (if empty) and keeps going.
  // `before_publish`, when given, runs on this thread once every view is rendered and staged,
  // before the first is renamed into place (the cycle waits there for its posts to be out).
  int write(store::Store& store, std::chrono::sys_seconds now, std::string& error,
            const std::function<void()>& before_publish = {});

 private:
  bool needed(const std::string& file, bool listed_change) const;
  std::set<std::string> dirty_nodes() const;

  const config::Config& config_;
  ViewSink* sink_;
  std::string fingerprint_;     // views_fingerprint() of config_, made once ("" = stamp not read)
  bool stamp_current_ = false;  // the store's views stamp is fingerprint_ (not "behind")
  bool all_dirty_ = true;
  std::set<std::string> touched_;   // channel paths changed since the last complete write()
  std::set<std::string> rendered_;  // files rendered for sink_
};

}  // namespace feedd::app
