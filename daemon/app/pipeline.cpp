#include "app/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <system_error>
#include <unordered_map>

#include "article/article.hpp"
#include "emit/emit.hpp"
#include "lib/curl/url.hpp"
#include "parse/feed.hpp"
#include "util/atomic_file.hpp"
#include "util/work_pool.hpp"

namespace feedd::app {
namespace fs = std::filesystem;
using std::chrono::sys_seconds;

namespace {

// Article files bigger than any real article are refused rather than read into memory.
constexpr std::size_t kMaxArticleFile = 16u << 20;

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word;
}

// Channel display path, e.g. "新媒体 › ZAKER › source", for the categories of an article.
std::vector<std::string> category_names(const config::Channel& ch) {
  return {ch.top_name, ch.source_name, ch.name};
}

}  // namespace

std::string CycleReport::summary() const {
  return "channels: " + std::to_string(channels_ok) + " ok, " + std::to_string(channels_failed) +
         " failed; articles: " + std::to_string(new_articles) + " new, " +
         std::to_string(known_articles) + " seen";
}

std::string ImportReport::summary() const {
  return "import: " + plural(imported, "new") + ", " + plural(duplicates, "duplicate") + ", " +
         plural(failed, "failed");
}

Pipeline::Pipeline(const config::Config& config, store::Store& store, fetch::Fetcher& fetcher)
    : config_(config), store_(store), fetcher_(fetcher) {}

CycleReport Pipeline::run_cycle(sys_seconds now, const std::vector<std::string>& only) {
  const auto started = std::chrono::steady_clock::now();
  CycleReport report;

  std::vector<const config::Channel*> channels;
  for (const auto* ch : config_.channels()) {
    if (only.empty() || std::find(only.begin(), only.end(), ch->path()) != only.end()) {
      channels.push_back(ch);
    }
  }

  std::vector<fetch::Request> requests;
  requests.reserve(channels.size());
  std::unordered_map<std::string, std::size_t> index_of;  // request key (channel path) → index
  std::vector<store::ChannelState> states;
  states.reserve(channels.size());
  for (const auto* ch : channels) {
    auto state = store_.channel_state(ch->path()).value_or(store::ChannelState{});
    // Validators belong to a URL: when the config points the channel elsewhere, start fresh.
    if (state.feed_url != ch->url) {
      state.etag.clear();
      state.last_modified.clear();
    }
    index_of.emplace(ch->path(), requests.size());
    requests.push_back({ch->path(), ch->url, {state.etag, state.last_modified}});
    states.push_back(std::move(state));
  }

  // Per channel, filled as its fetch, parse and article work complete; nullopt = cancelled.
  std::vector<std::optional<ChannelReport>> reports(channels.size());
  std::vector<std::string> new_hashes;

  // Records a failed poll of channel i.
  auto fail = [&](std::size_t i, std::string outcome, std::string error) {
    ChannelReport& cr = *reports[i];
    cr.outcome = std::move(outcome);
    cr.error = std::move(error);
    spdlog::error("{}: {}: {}", cr.path, cr.url, cr.error);
    auto& state = states[i];
    state.last_outcome = cr.outcome;
    state.last_error = cr.error;
    ++state.consecutive_failures;
    store_.set_channel_state(cr.path, state);
  };

  // Stores the articles made from channel i's new items (owner thread).
  auto store_articles = [&](std::size_t i,
                            std::vector<std::pair<std::string, article::Article>> made) {
    ChannelReport& cr = *reports[i];
    for (auto& [key, a] : made) {
      if (store_.add_article(a, cr.path, now) == store::AddOutcome::kNew) {
        new_hashes.push_back(a.hash);
        ++cr.new_articles;
      } else {
        ++cr.known_articles;
      }
      if (!key.empty()) store_.mark_item_seen(cr.path, key, now);
    }
    store_.set_channel_state(cr.path, states[i]);
  };

  // Articles enter the store in feeds.yaml order, whatever order the fetches finish in, so a
  // title carried by several channels is always filed under the same (first) one.
  using Made = std::vector<std::pair<std::string, article::Article>>;
  std::vector<std::optional<Made>> ready(channels.size());
  std::vector<bool> settled(channels.size(), false);
  std::size_t next_settled = 0;
  auto settle = [&](std::size_t i, std::optional<Made> made) {
    ready[i] = std::move(made);
    settled[i] = true;
    while (next_settled < channels.size() && settled[next_settled]) {
      if (ready[next_settled]) store_articles(next_settled, std::move(*ready[next_settled]));
      ready[next_settled].reset();
      ++next_settled;
    }
  };

  try {
    // One transaction for the whole cycle: a crash or a store failure leaves no half cycle.
    store::Store::Transaction tx(store_);
    WorkPool pool(WorkPool::default_threads());

    // Parsed feed of channel i (owner thread): drop items seen before, then make articles
    // from the rest on the pool — the rewrite is the expensive part.
    auto on_parsed = [&](std::size_t i, parse::Result parsed) {
      const auto& ch = *channels[i];
      ChannelReport& cr = *reports[i];
      if (!parsed.feed) {
        fail(i, "parse_error", parsed.error);
        return settle(i, std::nullopt);
      }
      auto& feed = *parsed.feed;
      for (const auto& w : feed.warnings)
        spdlog::warn("{}: {}: {}", cr.path, cr.url, w);
      auto& state = states[i];
      state.feed_title = feed.title;
      state.feed_link = feed.link;
      cr.ttl = feed.ttl;
      std::vector<parse::FeedItem> fresh;
      for (auto& item : feed.items) {
        const std::string& key = item.guid.empty() ? item.link : item.guid;
        if (!key.empty() && store_.item_seen(cr.path, key)) {
          ++cr.known_articles;
        } else {
          fresh.push_back(std::move(item));
        }
      }
      article::Context ctx{category_names(ch), ch.source_name, config_.image_proxy, now};
      ctx.iframe_hosts = config_.iframe_hosts;
      pool.submit(
          [i, ctx = std::move(ctx), fresh = std::move(fresh), &settle]() -> WorkPool::Continuation {
            std::vector<std::pair<std::string, article::Article>> made;
            for (const auto& item : fresh) {
              // An item without a usable title has nothing to hash and nothing to show.
              if (auto a = article::make_article(item, ctx)) {
                made.emplace_back(item.guid.empty() ? item.link : item.guid, std::move(*a));
              }
            }
            return [i, made = std::move(made), &settle]() mutable { settle(i, std::move(made)); };
          });
    };

    auto on_fetched = [&](fetch::Result& r) {
      const auto found = index_of.find(r.key);
      if (found == index_of.end()) return;
      const std::size_t i = found->second;
      // Shutting down mid-fetch: nothing was learned, so nothing is recorded or reported.
      if (r.outcome == fetch::Outcome::kCancelled) return settle(i, std::nullopt);
      const auto& ch = *channels[i];
      reports[i].emplace();
      ChannelReport& cr = *reports[i];
      cr.path = ch.path();
      cr.url = lib::redact_url(ch.url);
      cr.outcome = fetch::outcome_name(r.outcome);
      cr.retry_after = r.retry_after;
      cr.max_age = r.max_age;
      auto& state = states[i];
      state.last_poll = now;
      state.feed_url = ch.url;
      if (!r.ok()) {
        fail(i, cr.outcome, r.reason);
        return settle(i, std::nullopt);
      }

      state.last_outcome = cr.outcome;
      state.last_error.clear();
      state.consecutive_failures = 0;
      state.last_success = now;
      if (r.outcome == fetch::Outcome::kNotModified) {
        store_.set_channel_state(cr.path, state);
        return settle(i, std::nullopt);
      }
      state.etag = r.validators.etag;
      state.last_modified = r.validators.last_modified;
      parse::Options opts;
      opts.base_url = r.effective_url.empty() ? r.url : r.effective_url;
      opts.content_type = r.content_type;
      opts.timezone = ch.timezone;
      // The body moves to the pool and dies with the parse: memory is bounded by the bodies
      // in flight, not by the whole cycle.
      pool.submit([i, body = std::move(r.body), opts = std::move(opts),
                   &on_parsed]() -> WorkPool::Continuation {
        auto parsed = parse::parse_feed(body, opts);
        return [i, parsed = std::move(parsed), &on_parsed]() mutable {
          on_parsed(i, std::move(parsed));
        };
      });
      pool.drain(false);
    };

    fetcher_.fetch_all(requests, on_fetched);
    pool.drain(true);
    tx.commit();
  } catch (const store::StoreError& e) {
    // The transaction rolled back: nothing of this cycle is remembered, so the next cycle
    // fetches again (validators were not saved either) and retries.
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("cycle rolled back: {}", report.write_error);
    report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return report;
  }

  for (auto& cr : reports) {
    if (!cr) continue;
    if (cr->ok()) {
      ++report.channels_ok;
      report.new_articles += cr->new_articles;
      report.known_articles += cr->known_articles;
    } else {
      ++report.channels_failed;
    }
    report.channels.push_back(std::move(*cr));
  }

  std::string error;
  report.files_written = write_views(new_hashes, error);
  if (!error.empty()) report.write_error = error;
  report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return report;
}

ImportReport Pipeline::import_paths(const std::vector<fs::path>& paths, sys_seconds now) {
  ImportReport report;
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".md" || ext == ".txt")) found.push_back(e.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }

  // Imported categories map back onto configured channels by display name, so an import of
  // 新媒体/果壳网/科学人 joins that channel's feeds.
  std::map<std::vector<std::string>, std::string> channel_by_names;
  for (const auto* ch : config_.channels())
    channel_by_names[category_names(*ch)] = ch->path();

  std::vector<std::string> new_hashes;
  try {
    store::Store::Transaction tx(store_);
    for (const auto& f : files) {
      std::string text;
      if (!read_file(f, text, kMaxArticleFile)) {
        report.files.push_back(
            {f, f.string() + ": cannot read (missing, unreadable or over 16 MiB)"});
        spdlog::error("{}", report.files.back().error);
        ++report.failed;
        continue;
      }
      auto r = article::read_article_file(text, f.string());
      if (!r.article) {
        report.files.push_back({f, r.error});
        spdlog::error("{}", r.error);
        ++report.failed;
        continue;
      }
      report.files.push_back({f, ""});
      // Imported files come from whoever can write to the inbox; their HTML reaches
      // subscribers like fetched HTML does, so it gets the same rewriting and allowlist.
      auto& a = *r.article;
      auto rewritten =
          article::rewrite_html(a.html, {a.link, config_.image_proxy, config_.iframe_hosts});
      a.html = std::move(rewritten.html);
      if (a.image.empty()) a.image = std::move(rewritten.first_image);
      const auto it = channel_by_names.find(r.article->categories);
      const std::string channel = it == channel_by_names.end() ? "" : it->second;
      if (store_.add_article(*r.article, channel, now) == store::AddOutcome::kNew) {
        new_hashes.push_back(r.article->hash);
        ++report.imported;
      } else {
        ++report.duplicates;
      }
    }
    tx.commit();
  } catch (const store::StoreError& e) {
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("import rolled back: {}", report.write_error);
    report.imported = 0;
    return report;
  }
  std::string error;
  write_views(new_hashes, error);
  if (!error.empty()) report.write_error = error;
  return report;
}

int Pipeline::write_views(const std::vector<std::string>& new_hashes, std::string& error) {
  int changed = 0;
  const fs::path posts = config_.output / "posts";
  auto note = [&](const WriteResult& w) {
    if (!w.ok) {
      spdlog::error("write failed: {}", w.error);
      if (error.empty()) error = w.error;
    } else if (w.changed) {
      ++changed;
    }
  };
  int failed_posts = 0;
  std::vector<FileWrite> batch;
  // Posts are written in batches: one disk flush per batch instead of one per file, and a
  // bounded amount of rendered text in memory.
  auto flush_posts = [&] {
    const auto results = write_files_atomic(batch);
    for (const auto& w : results) {
      // A full disk or a missing folder fails every post alike: the first one is logged, the
      // rest are counted.
      if (!w.ok && failed_posts++ > 0) continue;
      note(w);
    }
    batch.clear();
  };
  auto write_post = [&](const std::string& hash) {
    if (auto a = store_.article(hash)) {
      batch.push_back({posts / (hash + ".md"), article::render_article_file(*a)});
      if (batch.size() >= 256) flush_posts();
    }
  };

  try {
    if (!checked_missing_posts_) {
      // The files are views of the store: a deleted or half-written one is rebuilt.
      remove_stale_temporaries(config_.output);
      for (const auto& hash : store_.all_hashes()) {
        std::error_code ec;
        if (!fs::exists(posts / (hash + ".md"), ec)) write_post(hash);
      }
    }
    for (const auto& hash : new_hashes)
      write_post(hash);
    flush_posts();
    if (failed_posts > 1) {
      spdlog::error("write failed: {} more article files under {}", failed_posts - 1,
                    posts.string());
    }
    // The store has committed these articles: a post that could not be written is not rolled
    // back but rebuilt by the next call's scan, in this process (daemon) or the next (once).
    checked_missing_posts_ = failed_posts == 0;

    std::map<std::string, emit::UpstreamInfo> upstream;
    auto upstream_of = [&](const std::string& channel_path) -> const emit::UpstreamInfo& {
      auto it = upstream.find(channel_path);
      if (it != upstream.end()) return it->second;
      emit::UpstreamInfo info;
      if (!channel_path.empty()) {
        if (auto st = store_.channel_state(channel_path)) {
          info.title = st->feed_title;
          info.link = st->feed_link.empty() ? lib::redact_url(st->feed_url) : st->feed_link;
          info.id = lib::redact_url(st->feed_url);
        }
      }
      return upstream.emplace(channel_path, std::move(info)).first->second;
    };

    const auto nodes = emit::feed_nodes(config_);
    std::vector<FileWrite> views;
    // An article appears in up to four feeds (channel, source, top, all): summarise it once.
    std::map<std::string, std::string> summaries;
    for (const auto& node : nodes) {
      std::vector<emit::Entry> entries;
      for (auto& e : store_.latest(node.path, config_.feed_entries)) {
        auto it = summaries.find(e.article.hash);
        if (it == summaries.end()) {
          it = summaries
                   .emplace(e.article.hash,
                            article::html_to_text(e.article.html, emit::kSummaryBytes))
                   .first;
        }
        e.article.summary = it->second;
        entries.push_back({std::move(e.article), upstream_of(e.channel_path)});
      }
      // An empty feed still needs an `updated`; the epoch keeps its bytes stable.
      views.push_back({config_.output / node.file,
                       emit::render_atom(node, entries, config_.base_url, sys_seconds{})});
    }
    views.push_back({config_.output / "feeds.opml", emit::render_opml(nodes, config_.base_url)});
    for (const auto& w : write_files_atomic(views))
      note(w);
    for (std::size_t i = 0; i < views.size(); ++i) {
      const std::string file = i < nodes.size() ? nodes[i].file : "feeds.opml";
      views_[file] = std::move(views[i].bytes);
    }
  } catch (const store::StoreError& e) {
    error = std::string("store: ") + e.what();
    spdlog::error("writing views: {}", error);
  }
  return changed;
}

int Pipeline::import_inbox(sys_seconds now) {
  const auto& inbox = config_.inbox;
  if (inbox.empty()) return 0;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(inbox, ec)) {
    // Dot files are editors' and copiers' temporaries: not finished yet.
    if (e.is_regular_file(ec) && !e.path().filename().string().starts_with(".")) {
      files.push_back(e.path());
    }
  }
  if (files.empty()) return 0;
  const auto report = import_paths(files, now);
  if (!report.write_error.empty()) return 0;  // rolled back: the files stay for the next cycle
  for (const auto& f : report.files) {
    const fs::path dir = inbox / (f.error.empty() ? "done" : "failed");
    fs::create_directories(dir, ec);
    fs::rename(f.path, dir / f.path.filename(), ec);
    if (ec) {
      spdlog::error("{}: cannot move to {}: {}", f.path.string(), dir.string(), ec.message());
    }
    if (!f.error.empty()) {
      write_file_atomic(dir / (f.path.filename().string() + ".error"), f.error + "\n");
    }
  }
  spdlog::info("inbox: {}", report.summary());
  return static_cast<int>(report.files.size());
}

int Pipeline::prune(sys_seconds now) {
  if (config_.keep_days <= 0) return 0;
  const auto cutoff = now - std::chrono::days(config_.keep_days);
  std::vector<std::string> gone;
  try {
    store::Store::Transaction tx(store_);
    gone = store_.prune_before(cutoff);
    tx.commit();
  } catch (const store::StoreError& e) {
    spdlog::error("pruning articles older than {} days: {}", config_.keep_days, e.what());
    return 0;
  }
  int removed = 0;
  for (const auto& hash : gone) {
    std::error_code ec;
    if (fs::remove(config_.output / "posts" / (hash + ".md"), ec)) ++removed;
  }
  if (removed > 0)
    spdlog::info("pruned {} article files older than {} days", removed, config_.keep_days);
  return removed;
}

}  // namespace feedd::app
