#include "app/view_writer.hpp"

#include <spdlog/spdlog.h>

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

// Stages the Atom feed of `node` from its entries (read here: the store is this thread's).
void stage_feed(ViewStager& stager, const emit::FeedNode& node, std::vector<emit::Entry> entries,
                sys_seconds since, const std::string& base_url) {
  stager.stage(node.file, [node, entries = std::move(entries), since, &base_url]() mutable {
    // Summaries the store lacks, on the pool: the expensive part after rendering.
    for (auto& e : entries) {
      if (!e.article.summary) {
        e.article.summary = article::html_to_text(e.article.html, emit::kSummaryBytes);
      }
    }
    return emit::render_atom(node, entries, base_url, since);
  });
}

}  // namespace

ViewWriter::ViewWriter(const config::Config& config, ViewSink* sink)
    : config_(config), sink_(sink) {}

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
        if (!needed(node.file, dirty.contains(node.path))) continue;
        std::vector<emit::Entry> entries;
        for (auto& e : store.latest(node.path, config_.feed_entries))
          entries.push_back({std::move(e.article), upstream.of(e.channel_path)});
        sys_seconds since{};
        if (entries.empty()) {
          const auto stored = store.meta(first_written_key(node.file));
          const auto t = stored ? parse_seconds(*stored) : std::nullopt;
          if (!t) first_written.push_back(node.file);
          since = t.value_or(now);
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
