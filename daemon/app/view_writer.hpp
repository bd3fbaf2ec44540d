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
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "emit/emit.hpp"
#include "store/store.hpp"
#include "util/atomic_file.hpp"
#include "util/work_pool.hpp"

namespace feedd::app {

// Where rendered views go besides their files: the daemon serves them from memory.
class ViewSink {
 public:
  virtual ~ViewSink() = default;
  // `file` ("feeds/all.xml", "feeds.opml") was rendered to `bytes` at `now`. Called on pool
  // threads, several at once; must not throw.
  virtual void rendered(const std::string& file, std::string bytes,
                        std::chrono::sys_seconds now) = 0;
  // A view rendered before the store committed what it lists (a channel's feed, rendered as
  // the channel settles): whatever rendered() does off the owner thread may be done now, on a
  // pool thread, but the view may reach the sink only when the returned function is called
  // (on the owner thread, after the commit); it is dropped uncalled on a rollback. Must not
  // throw but bad_alloc. The default keeps the bytes and calls rendered() then.
  virtual std::function<void()> prepare(const std::string& file, std::string bytes,
                                        std::chrono::sys_seconds now) {
    return [this, file, bytes = std::move(bytes), now]() mutable {
      rendered(file, std::move(bytes), now);
    };
  }
};

class ViewWriter {
 public:
  // `config` must outlive the writer, and so must `sink` when given: then every view is
  // rendered for it once by this writer, whether or not its file changes.
  ViewWriter(const config::Config& config, ViewSink* sink);
  ~ViewWriter();  // discards early feeds never written
  ViewWriter(const ViewWriter&) = delete;
  ViewWriter& operator=(const ViewWriter&) = delete;

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
  // Feeds staged early (see begin_early) are published with the others, not rendered again.
  int write(store::Store& store, std::chrono::sys_seconds now, std::string& error,
            const std::function<void()>& before_publish = {});

  // Early rendering of the channel feeds, inside a cycle's transaction. A channel's feed lists
  // only that channel's membership rows, complete once the channel has settled: its entries
  // are read then (the store thread sees its own uncommitted rows) and rendered and staged on
  // `pool`, so that the tail after the commit has only the aggregate feeds left to render.
  //
  // begin_early: before the first channel of the cycle settles; `channels` are the paths the
  // cycle polls (each settles once). `pool` must outlive the cycle's early_settled calls and
  // be drained (wait) before write() or discard_early(). Throws store::StoreError.
  void begin_early(const store::Store& store, WorkPool& pool,
                   const std::vector<std::string>& channels, std::chrono::sys_seconds now);
  // Channel `path` has settled (touched: its feeds' listing changed); `settled` is what its
  // settle stored (new articles, and rewritten ones as stored), `known` the hashes of the
  // articles it listed that were stored before (ChannelPoll::known_listed). Stages its feed when it
  // must be written and its entries are final — none is filed under a channel of the cycle still to
  // settle (else the tail renders it). When `settled` is all the channel carries, the entries
  // are made from them (and the rows of `known`) rather than read back. Records an empty feed's
  // first_written time in the open transaction. Throws store::StoreError.
  void early_settled(store::Store& store, const std::string& path, bool touched,
                     const std::vector<article::Article>& settled,
                     const std::vector<std::string>& known);
  // The cycle's transaction committed: write() publishes the early feeds (without this, it
  // discards them). Never throws.
  void early_committed();
  // The cycle rolled back (after its pool was drained or destroyed): the early feeds' files
  // and views never appear. Never throws.
  void discard_early();

 private:
  // A channel feed staged during the cycle.
  struct EarlyFeed {
    StagedFile file;
    std::function<void()> to_sink;  // hands the view to the sink (empty without one)
  };
  struct Early;  // the state of one cycle's early rendering
  // early_settled's entries made from what the channel's settle stored; nullopt when those are
  // not all it carries (or one is filed under a channel still to settle).
  std::optional<std::vector<emit::Entry>> listing_of(const store::Store& store,
                                                     const std::string& path,
                                                     const std::vector<article::Article>& settled,
                                                     const std::vector<std::string>& known,
                                                     Early& early) const;

  bool needed(const std::string& file, bool listed_change) const;
  std::set<std::string> dirty_nodes() const;

  const config::Config& config_;
  ViewSink* sink_;
  std::string fingerprint_;     // views_fingerprint() of config_, made once ("" = stamp not read)
  bool stamp_current_ = false;  // the store's views stamp is fingerprint_ (not "behind")
  bool all_dirty_ = true;
  std::set<std::string> touched_;   // channel paths changed since the last complete write()
  std::set<std::string> rendered_;  // files rendered for sink_
  std::unique_ptr<Early> early_;    // between begin_early and write/discard_early
  // Owner thread (pool continuations): the early feeds by file.
  std::map<std::string, EarlyFeed> early_feeds_;
};

}  // namespace feedd::app
