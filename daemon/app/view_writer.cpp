#include "app/view_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <system_error>
#include <vector>

#include "article/article.hpp"
#include "emit/emit.hpp"
#include "lib/crypto/sha256.hpp"
#include "lib/curl/url.hpp"
#include "util/atomic_file.hpp"
#include "util/work_pool.hpp"

namespace feedd::app {
namespace fs = std::filesystem;
using std::chrono::sys_seconds;

namespace {

// The store's record of the views: the fingerprint of the config and format they were last
// written with in full agreement with the store, or "behind" from the moment a transaction
// changes what they list until they are written again. A process that finds its own
// fingerprint there renders only the feeds its own changes touch; anything else (first run, a
// config or feedd upgrade, a crash between commit and views) renders every feed once.
constexpr std::string_view kViewsKey = "views";
constexpr std::string_view kViewsBehind = "behind";
// Prefix of the `meta` rows that hold when an empty feed was first written ("first_written:"
// + its file, Unix seconds).
constexpr std::string_view kFirstWrittenKey = "first_written:";

std::string first_written_key(const std::string& file) {
  return std::string(kFirstWrittenKey) + file;
}

// Unix seconds as written for kFirstWrittenKey; nullopt when the row is not such a number.
std::optional<sys_seconds> parse_seconds(std::string_view text) {
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return sys_seconds{std::chrono::seconds{n}};
}

// Everything the feed and OPML bytes depend on besides the store's rows: the nodes, the base
// URL, the entry count, and the output format itself — probed by rendering a fixed entry, so
// that a feedd whose emitter writes different bytes re-renders everything without anyone
// having to remember to bump a version.
std::string views_fingerprint(const std::vector<emit::FeedNode>& nodes,
                              const config::Config& config) {
  std::string text = "base_url\n" + config.base_url + "\nfeed_entries\n" +
                     std::to_string(config.feed_entries) + "\n";
  for (const auto& n : nodes) {
    for (const std::string* field : {&n.path, &n.title, &n.file, &n.upstream_url})
      text += *field + '\n';
    text += std::to_string(n.depth) + '\n';
  }
  article::Article probe;
  probe.hash = "0123456789abcdef";
  probe.title = "probe <&> “引号”";
  probe.categories = {"a", "b", "c"};
  probe.author = "author";
  probe.link = "https://example.invalid/a?b=1&c=2";
  probe.image = "https://example.invalid/i.png";
  probe.html = "<p>text &amp; <img src=\"https://example.invalid/i.png\"></p>";
  probe.summary = "text &";
  const emit::FeedNode node{"a/b/c", "a › b › c", "feeds/a/b/c.xml", "https://up.invalid/", 3};
  // A second entry without body, link or upstream title: emit writes those differently.
  article::Article bare = probe;
  bare.hash = "fedcba9876543210";
  bare.link.clear();
  bare.html.clear();
  bare.summary.reset();
  text += emit::render_atom(
      node,
      {{probe, {"up", "https://up.invalid/", "urn:up:x", "https://up.invalid/f", "a › b › c"}},
       {bare, {"", "", "", "https://up.invalid/f", "a › b › c"}}},
      "https://example.invalid/", sys_seconds{});
  text += emit::render_opml({node}, "https://example.invalid/");
  return lib::sha256_hex(text);
}

// What atom:source says of each channel's entries, read from the store once per channel and
// write().
class UpstreamInfos {
 public:
  UpstreamInfos(const store::Store& store, const std::vector<emit::FeedNode>& nodes)
      : store_(store) {
    for (const auto& node : nodes)
      titles_.emplace(node.path, node.title);
  }

  const emit::UpstreamInfo& of(const std::string& channel_path) {
    auto it = infos_.find(channel_path);
    if (it != infos_.end()) return it->second;
    emit::UpstreamInfo info;
    if (!channel_path.empty()) {
      if (auto st = store_.channel_state(channel_path)) {
        info.title = st->feed_title;
        info.link = st->feed_link.empty() ? lib::redact_url(st->feed_url) : st->feed_link;
        // The store keeps no upstream id: the feed URL stands for the upstream feed.
        info.feed_url = lib::redact_url(st->feed_url);
      }
      // A channel no longer in feeds.yaml has no display path: its entries keep an
      // atom:source only when the upstream feed had a title.
      if (auto t = titles_.find(channel_path); t != titles_.end()) info.channel = t->second;
    }
    return infos_.emplace(channel_path, std::move(info)).first->second;
  }

 private:
  const store::Store& store_;
  std::map<std::string, std::string> titles_;
  std::map<std::string, emit::UpstreamInfo> infos_;
};

// Renders views on a pool and stages their files; hands each render to the sink too.
class ViewStager {
 public:
  ViewStager(const fs::path& output, ViewSink* sink, sys_seconds now)
      : output_(output), sink_(sink), now_(now), pool_(WorkPool::default_threads()) {}

  // `render` runs on the pool.
  void stage(std::string file, std::function<std::string()> render) {
    pool_.submit(
        [file = std::move(file), render = std::move(render), this]() -> WorkPool::Continuation {
          std::string bytes = render();
          StagedFile f = stage_file(output_ / file, bytes);
          if (sink_) sink_->rendered(file, std::move(bytes), now_);
          return [f = std::move(f), this]() mutable { staged_.push_back(std::move(f)); };
        });
  }

  // A file staged elsewhere (an early feed), published with the others. Owner thread.
  void adopt(StagedFile file) { staged_.push_back(std::move(file)); }

  // Waits for the renders, flushes them, runs `before` (if any), then puts the changed files
  // in place.
  std::vector<StagedFile>& publish(const std::function<void()>& before) {
    pool_.drain(true);
    // Flushed before `before` rather than after it: the cycle's `before` waits for its posts,
    // and the feeds' data then goes to disk meanwhile instead of after them.
    sync_staged(staged_);
    if (before) before();
    publish_staged(staged_);
    return staged_;
  }

 private:
  const fs::path& output_;
  ViewSink* sink_;
  sys_seconds now_;
  std::vector<StagedFile> staged_;
  WorkPool pool_;  // last: its work refers to the members above
};

// The Atom feed of `node` from its entries. Any thread.
std::string render_feed(const emit::FeedNode& node, std::vector<emit::Entry>& entries,
                        sys_seconds since, const std::string& base_url) {
  // Summaries the store lacks, on the pool: the expensive part after rendering.
  for (auto& e : entries) {
    if (!e.article.summary) {
      e.article.summary = article::html_to_text(e.article.html, emit::kSummaryBytes);
    }
  }
  return emit::render_atom(node, entries, base_url, since);
}

// Stages the Atom feed of `node` from its entries (read here: the store is this thread's).
void stage_feed(ViewStager& stager, const emit::FeedNode& node, std::vector<emit::Entry> entries,
                sys_seconds since, const std::string& base_url) {
  stager.stage(node.file, [node, entries = std::move(entries), since, &base_url]() mutable {
    return render_feed(node, entries, since, base_url);
  });
}

// The `updated` of feed `file` when it lists nothing: when it was first written, read from the
// store; `now` when it never was (`record` is then set: the caller records it).
sys_seconds empty_since(const store::Store& store, const std::string& file, sys_seconds now,
                        bool& record) {
  const auto stored = store.meta(first_written_key(file));
  const auto t = stored ? parse_seconds(*stored) : std::nullopt;
  record = !t;
  return t.value_or(now);
}

}  // namespace

struct ViewWriter::Early {
  Early(const store::Store& store, WorkPool& pool, const std::vector<emit::FeedNode>& nodes,
        sys_seconds now)
      : pool(pool), upstream(store, nodes), now(now) {}

  WorkPool& pool;
  bool committed = false;  // the cycle's transaction committed: write() may publish them
  UpstreamInfos upstream;  // of settled channels only: final for the cycle
  sys_seconds now;
  std::map<std::string, emit::FeedNode> channel_nodes;  // channel path → its feed's node
  std::set<std::string> unsettled;                      // channels of the cycle still to settle
};

ViewWriter::ViewWriter(const config::Config& config, ViewSink* sink)
    : config_(config), sink_(sink) {}

ViewWriter::~ViewWriter() {
  discard_early();
}

void ViewWriter::begin_early(const store::Store& store, WorkPool& pool,
                             const std::vector<std::string>& channels, sys_seconds now) {
  discard_early();
  before_change(store);
  const auto nodes = emit::feed_nodes(config_);
  early_ = std::make_unique<Early>(store, pool, nodes, now);
  early_->unsettled.insert(channels.begin(), channels.end());
  for (const auto& node : nodes) {
    if (early_->unsettled.contains(node.path)) early_->channel_nodes.emplace(node.path, node);
  }
}

std::optional<std::vector<emit::Entry>> ViewWriter::listing_of(
    const store::Store& store, const std::string& path,
    const std::vector<article::Article>& settled, const std::vector<std::string>& known,
    Early& early) const {
  // The channel's entries without reading its rows back (9,000 of them were most of a cold
  // cycle's tail): when what its settle stored, plus the articles it listed that were stored
  // before, is all the channel carries (a first cycle, a new channel), the listing is exactly
  // those, ordered as latest() orders them and taken as their rows read back would be.
  std::set<std::string_view> seen;
  for (const auto& a : settled)
    seen.insert(a.hash);
  std::vector<std::string_view> others;
  for (const auto& h : known) {
    if (seen.insert(h).second) others.push_back(h);
  }
  // One past: "more than these" is all the count must tell.
  if (seen.empty() || store.channel_size(path, seen.size() + 1) != seen.size()) return std::nullopt;
  std::vector<emit::Entry> entries;
  entries.reserve(seen.size());
  const emit::UpstreamInfo& own = early.upstream.of(path);
  for (const auto& a : settled)
    entries.push_back({store::Store::as_stored(a), own});
  for (const auto& h : others) {
    auto e = store.entry(h);
    // Filed under a channel of the cycle still to settle, which may rewrite it: the tail's.
    if (!e || (e->channel_path != path && early.unsettled.contains(e->channel_path)))
      return std::nullopt;
    entries.push_back({std::move(e->article), early.upstream.of(e->channel_path)});
  }
  std::sort(entries.begin(), entries.end(), [](const emit::Entry& a, const emit::Entry& b) {
    return a.article.date != b.article.date ? a.article.date > b.article.date
                                            : a.article.hash < b.article.hash;
  });
  const auto limit = static_cast<std::size_t>(std::max(config_.feed_entries, 0));
  if (entries.size() > limit) entries.resize(limit);
  return entries;
}

void ViewWriter::early_settled(store::Store& store, const std::string& path, bool touched,
                               const std::vector<article::Article>& settled,
                               const std::vector<std::string>& known) {
  if (!early_) return;
  Early& early = *early_;
  early.unsettled.erase(path);
  const auto found = early.channel_nodes.find(path);
  if (found == early.channel_nodes.end()) return;
  const emit::FeedNode& node = found->second;
  if (!needed(node.file, touched || touched_.contains(path))) return;
  std::vector<emit::Entry> entries;
  if (auto listing = listing_of(store, path, settled, known, early)) {
    entries = std::move(*listing);
  } else {
    for (auto& e : store.latest(node.path, config_.feed_entries)) {
      // An entry filed under another channel of the cycle that has not settled yet may still
      // change: that channel may rewrite it (updates: true; only the channel an article is
      // filed under does) and its upstream details (atom:source) may change. Leave it to the
      // tail.
      if (e.channel_path != path && early.unsettled.contains(e.channel_path)) return;
      entries.push_back({std::move(e.article), early.upstream.of(e.channel_path)});
    }
  }
  sys_seconds since{};
  if (entries.empty()) {
    bool record = false;
    since = empty_since(store, node.file, early.now, record);
    // In the cycle's transaction: committed with the rows the feed lists, before it appears.
    if (record) {
      store.set_meta(first_written_key(node.file),
                     std::to_string(early.now.time_since_epoch().count()));
    }
  }
  early_feeds_[node.file] = {};
  early.pool.submit([node, entries = std::move(entries), since, now = early.now,
                     this]() mutable -> WorkPool::Continuation {
    std::string bytes = render_feed(node, entries, since, config_.base_url);
    StagedFile f = stage_file(config_.output / node.file, bytes);
    std::function<void()> to_sink;
    if (sink_) to_sink = sink_->prepare(node.file, std::move(bytes), now);
    return [file = node.file, f = std::move(f), to_sink = std::move(to_sink), this]() mutable {
      EarlyFeed& early_feed = early_feeds_[file];
      early_feed.file = std::move(f);
      early_feed.to_sink = std::move(to_sink);
    };
  });
}

void ViewWriter::early_committed() {
  if (early_) early_->committed = true;
}

void ViewWriter::discard_early() {
  const bool any = !early_feeds_.empty() || early_ != nullptr;
  std::vector<StagedFile> files;
  for (auto& [file, feed] : early_feeds_)
    files.push_back(std::move(feed.file));
  discard_staged(files);
  early_feeds_.clear();
  early_.reset();
  if (!any) return;
  // Work of a pool destroyed before its continuations ran staged files no one recorded.
  const fs::path feeds = config_.output / "feeds";
  remove_stale_temporaries(feeds);
  // Folders made for the temporaries: a rolled-back cycle leaves the output as it was. (An
  // empty folder under feeds/ holds nothing anyway.) Deepest first.
  std::error_code ec;
  std::vector<fs::path> dirs{feeds};
  for (auto it = fs::recursive_directory_iterator(feeds, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) dirs.push_back(it->path());
  }
  for (auto d = dirs.rbegin(); d != dirs.rend(); ++d)
    fs::remove(*d, ec);  // fails, harmlessly, on a folder that is not empty
}

void ViewWriter::before_change(const store::Store& store) {
  if (!fingerprint_.empty()) return;
  auto fingerprint = views_fingerprint(emit::feed_nodes(config_), config_);
  stamp_current_ = store.meta(kViewsKey) == fingerprint;
  all_dirty_ = !stamp_current_;
  fingerprint_ = std::move(fingerprint);
}

void ViewWriter::mark_behind(store::Store& store) {
  store.set_meta(kViewsKey, kViewsBehind);
  stamp_current_ = false;
}

std::set<std::string> ViewWriter::dirty_nodes() const {
  // Nodes listing a touched channel: the channel's own feed and each ancestor's.
  std::set<std::string> dirty;
  for (const auto& path : touched_) {
    dirty.insert("");
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      dirty.insert(path.substr(0, slash));
    dirty.insert(path);
  }
  return dirty;
}

bool ViewWriter::needed(const std::string& file, bool listed_change) const {
  if (all_dirty_ || listed_change) return true;
  if (sink_ && !rendered_.contains(file)) return true;
  std::error_code ec;
  return !fs::exists(config_.output / file, ec);
}

int ViewWriter::write(store::Store& store, sys_seconds now, std::string& error,
                      const std::function<void()>& before_publish) {
  int changed = 0;
  // This call's early feeds: those of a committed cycle; any other is discarded.
  std::map<std::string, EarlyFeed> early;
  if (early_ && early_->committed) {
    early = std::exchange(early_feeds_, {});
    early_.reset();
  } else {
    discard_early();
  }
  // Whatever is not adopted below (all of them when the store fails).
  struct Leftover {
    std::map<std::string, EarlyFeed>& feeds;
    ~Leftover() {
      std::vector<StagedFile> files;
      for (auto& [file, feed] : feeds)
        files.push_back(std::move(feed.file));
      discard_staged(files);
    }
  } leftover{early};
  try {
    before_change(store);
    const auto nodes = emit::feed_nodes(config_);
    const auto dirty = dirty_nodes();
    UpstreamInfos upstream(store, nodes);
    ViewStager stager(config_.output, sink_, now);
    std::vector<std::string> rendering;
    // When each empty feed was first written, recorded the first time: the `updated` of an
    // empty feed, so that its bytes stay the same from one render to the next.
    std::vector<std::string> first_written;
    {
      // One read transaction for all the feeds' reads, not one per statement.
      const store::Store::Snapshot snapshot(store);
      for (const auto& node : nodes) {
        if (const auto found = early.find(node.file); found != early.end()) {
          // Rendered and staged as its channel settled: its listing has not changed since.
          stager.adopt(std::exchange(found->second.file, {}));
          if (found->second.to_sink) found->second.to_sink();
          rendering.push_back(node.file);
          continue;
        }
        if (!needed(node.file, dirty.contains(node.path))) continue;
        std::vector<emit::Entry> entries;
        for (auto& e : store.latest(node.path, config_.feed_entries))
          entries.push_back({std::move(e.article), upstream.of(e.channel_path)});
        sys_seconds since{};
        if (entries.empty()) {
          bool record = false;
          since = empty_since(store, node.file, now, record);
          if (record) first_written.push_back(node.file);
        }
        stage_feed(stager, node, std::move(entries), since, config_.base_url);
        rendering.push_back(node.file);
      }
    }
    if (!first_written.empty()) {
      // Recorded before the files appear: a feed on disk always has its time in the store.
      store::Store::Transaction tx(store);
      for (const auto& file : first_written)
        store.set_meta(first_written_key(file), std::to_string(now.time_since_epoch().count()));
      tx.commit();
    }
    if (needed("feeds.opml", false)) {
      stager.stage("feeds.opml",
                   [&nodes, this] { return emit::render_opml(nodes, config_.base_url); });
      rendering.push_back("feeds.opml");
    }
    bool complete = true;  // every view this call had to write was written
    for (const auto& f : stager.publish(before_publish)) {
      if (!f.result.ok) {
        spdlog::error("write failed: {}", f.result.error);
        if (error.empty()) error = f.result.error;
        complete = false;
      } else if (f.result.changed) {
        ++changed;
      }
    }
    if (sink_) rendered_.insert(rendering.begin(), rendering.end());
    if (complete) {
      all_dirty_ = false;
      touched_.clear();
      if (!stamp_current_) {
        store.set_meta(kViewsKey, fingerprint_);
        stamp_current_ = true;
      }
    }
  } catch (const store::StoreError& e) {
    error = std::string("store: ") + e.what();
    spdlog::error("writing views: {}", error);
  }
  return changed;
}

}  // namespace feedd::app
