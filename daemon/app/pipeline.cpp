#include "app/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "article/article.hpp"
#include "article/article_file.hpp"
#include "emit/emit.hpp"
#include "lib/crypto/sha256.hpp"
#include "lib/curl/url.hpp"
#include "parse/feed.hpp"
#include "util/atomic_file.hpp"
#include "util/work_pool.hpp"

namespace feedd::app {
namespace fs = std::filesystem;
using std::chrono::sys_seconds;

namespace {

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word;
}

// Channel display path, e.g. "新媒体 › ZAKER › source", for the categories of an article.
std::vector<std::string> category_names(const config::Channel& ch) {
  return {ch.top_name, ch.source_name, ch.name};
}

// The store's record of the views: the fingerprint of the config and format they were last
// written with in full agreement with the store, or "behind" from the moment a transaction
// changes what they list until they are written again. A process that finds its own
// fingerprint there renders only the feeds its own changes touch; anything else (first run, a
// config or feedd upgrade, a crash between commit and views) renders every feed once.
constexpr std::string_view kViewsKey = "views";
constexpr std::string_view kViewsBehind = "behind";
// Prefix of the `meta` rows that hold when an empty feed was first written ("first_written:"
// + its file, Unix seconds).
const std::string kFirstWrittenKey = "first_written:";

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

// The article file of `a` under a temporary name in `posts`, for publish_staged(). No
// comparison with a file already there: the hash is new to the store, or its file is missing,
// so any file by that name is stale.
StagedFile stage_post(const fs::path& posts, const article::Article& a) {
  return stage_file(posts / (a.hash + ".md"), article::render_article_file(a), false);
}

// stage_post() of each of `articles` on the pool; the results are appended to `out` (owner
// thread) as the pool drains. `out` must outlive the pool's work.
void stage_posts_on(WorkPool& pool, std::vector<article::Article> articles, const fs::path& posts,
                    std::vector<StagedFile>& out) {
  pool.submit([articles = std::move(articles), posts, &out]() -> WorkPool::Continuation {
    std::vector<StagedFile> staged;
    staged.reserve(articles.size());
    for (const auto& a : articles)
      staged.push_back(stage_post(posts, a));
    return [staged = std::move(staged), &out]() mutable {
      std::move(staged.begin(), staged.end(), std::back_inserter(out));
    };
  });
}

std::string content_type_of(const std::string& file) {
  return file.ends_with(".opml") ? "text/x-opml; charset=utf-8"
                                 : "application/atom+xml; charset=utf-8";
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

Pipeline::Pipeline(const config::Config& config, store::Store& store, fetch::Fetcher& fetcher,
                   bool serve_views)
    : config_(config), store_(store), fetcher_(fetcher), serve_views_(serve_views) {}

void Pipeline::check_views_stamp() {
  if (stamp_checked_) return;
  fingerprint_ = views_fingerprint(emit::feed_nodes(config_), config_);
  stamp_current_ = store_.meta(kViewsKey) == fingerprint_;
  all_dirty_ = !stamp_current_;
  stamp_checked_ = true;
}

void Pipeline::mark_views_behind() {
  store_.set_meta(kViewsKey, kViewsBehind);
  stamp_current_ = false;
}

int Pipeline::publish_posts(std::vector<StagedFile>& staged, std::string& error) {
  publish_staged(staged);
  int changed = 0;
  int failed = 0;
  for (const auto& f : staged) {
    const auto& w = f.result;
    if (w.ok) {
      changed += w.changed ? 1 : 0;
      continue;
    }
    // A full disk or a missing folder fails every post alike: the first one is logged, the
    // rest are counted.
    if (failed++ == 0) {
      spdlog::error("write failed: {}", w.error);
      if (error.empty()) error = w.error;
    }
  }
  if (failed > 1) {
    spdlog::error("write failed: {} more article files under {}", failed - 1,
                  (config_.output / "posts").string());
  }
  // The store has committed these articles: a post that could not be written is not rolled
  // back but rebuilt by the scan of the next write_views call after this one, in this process
  // (daemon) or the next (once) — not by the one that follows at once, which would only log
  // the same failure twice.
  if (failed > 0) posts_failed_ = true;
  return changed;
}

CycleReport Pipeline::run_cycle(sys_seconds now, const std::vector<std::string>& only) {
  const auto started = std::chrono::steady_clock::now();
  CycleReport report;
  std::string error;
  try {
    check_views_stamp();
  } catch (const store::StoreError& e) {
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("cycle not started: {}", report.write_error);
    return report;
  }

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
    // The store keeps the URL redacted, so the redacted forms are compared.
    if (state.feed_url != lib::redact_url(ch->url)) {
      state.etag.clear();
      state.last_modified.clear();
    }
    index_of.emplace(ch->path(), requests.size());
    requests.push_back({ch->path(), ch->url, {state.etag, state.last_modified}});
    states.push_back(std::move(state));
  }

  // Per channel, filled as its fetch, parse and article work complete; nullopt = cancelled.
  std::vector<std::optional<ChannelReport>> reports(channels.size());
  // Channels whose feeds change with this cycle: articles added, or upstream details changed.
  std::set<std::string> touched;
  // Article files of this cycle's new articles, written under temporary names by the pool as
  // their channels settle, renamed into place once the store has committed them.
  std::vector<StagedFile> staged_posts;
  const fs::path posts = config_.output / "posts";
  // Declared out here so that a rolled-back cycle can stop it (finishing its queued work)
  // before removing what that work wrote.
  std::optional<WorkPool> pool;
  auto fetched_at = started;

  // Records a failed poll of channel i.
  auto fail = [&](std::size_t i, std::string outcome, std::string reason) {
    ChannelReport& cr = *reports[i];
    cr.outcome = std::move(outcome);
    cr.error = std::move(reason);
    spdlog::error("{}: {}: {}", cr.path, cr.url, cr.error);
    auto& state = states[i];
    state.last_outcome = cr.outcome;
    state.last_error = cr.error;
    ++state.consecutive_failures;
    store_.set_channel_state(cr.path, state);
  };

  // Stores the articles made from channel i's new items (owner thread); returns the new ones,
  // whose files must be written.
  using Made = std::vector<std::pair<std::string, article::Article>>;
  auto store_articles = [&](std::size_t i, Made&& made) {
    ChannelReport& cr = *reports[i];
    std::vector<article::Article> fresh;
    for (auto& [key, a] : made) {
      touched.insert(cr.path);  // a new article, or a known one now listed here too
      if (store_.add_article(a, cr.path, now) == store::AddOutcome::kNew) {
        ++cr.new_articles;
        fresh.push_back(std::move(a));
      } else {
        ++cr.known_articles;
      }
      if (!key.empty()) store_.mark_item_seen(cr.path, key, now);
    }
    store_.set_channel_state(cr.path, states[i]);
    return fresh;
  };

  // Renders and stages the files of new articles on the pool: the store has their rows (in
  // the open transaction), the pool only needs the values.
  auto write_posts = [&](std::vector<article::Article> articles) {
    stage_posts_on(*pool, std::move(articles), posts, staged_posts);
  };

  // Articles enter the store in feeds.yaml order, whatever order the fetches finish in, so a
  // title carried by several channels is always filed under the same (first) one.
  std::vector<std::optional<Made>> ready(channels.size());
  std::vector<bool> settled(channels.size(), false);
  std::size_t next_settled = 0;
  bool settling = false;
  auto settle = [&](std::size_t i, std::optional<Made> made) {
    ready[i] = std::move(made);
    settled[i] = true;
    // Submitting work may drain finished work, whose continuation settles another channel:
    // that nested call only records, and this loop stores it in order.
    if (settling) return;
    settling = true;
    std::vector<std::vector<article::Article>> to_write;
    while (next_settled < channels.size() && settled[next_settled]) {
      const std::size_t n = next_settled++;
      if (!ready[n]) continue;
      auto fresh = store_articles(n, std::move(*ready[n]));
      ready[n].reset();
      if (!fresh.empty()) to_write.push_back(std::move(fresh));
    }
    settling = false;
    for (auto& articles : to_write)
      write_posts(std::move(articles));
  };

  try {
    // One transaction for the whole cycle: a crash or a store failure leaves no half cycle.
    store::Store::Transaction tx(store_);
    pool.emplace(WorkPool::default_threads());

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
      // atom:source of every entry from this channel names the upstream feed.
      if (state.feed_title != feed.title || state.feed_link != feed.link) touched.insert(cr.path);
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
      pool->submit(
          [i, ctx = std::move(ctx), fresh = std::move(fresh), &settle]() -> WorkPool::Continuation {
            Made made;
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
      if (state.feed_url != cr.url) touched.insert(cr.path);  // atom:source names it
      state.feed_url = cr.url;                                // redacted, as the store keeps it
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
      opts.encoding = ch.encoding;
      // The body moves to the pool and dies with the parse: memory is bounded by the bodies
      // in flight, not by the whole cycle.
      pool->submit([i, body = std::move(r.body), opts = std::move(opts),
                    &on_parsed]() -> WorkPool::Continuation {
        auto parsed = parse::parse_feed(body, opts);
        return [i, parsed = std::move(parsed), &on_parsed]() mutable {
          on_parsed(i, std::move(parsed));
        };
      });
      pool->drain(false);
    };

    fetcher_.fetch_all(requests, on_fetched);
    pool->drain(true);
    fetched_at = std::chrono::steady_clock::now();
    if (!touched.empty()) mark_views_behind();
    tx.commit();
  } catch (const store::StoreError& e) {
    // The transaction rolled back: nothing of this cycle is remembered, so the next cycle
    // fetches again (validators were not saved either) and retries. Its article files must
    // not appear: the pool finishes what it was given, then every temporary goes.
    pool.reset();
    discard_staged(staged_posts);
    remove_stale_temporaries(posts);
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("cycle rolled back: {}", report.write_error);
    report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return report;
  }
  pool.reset();

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

  const auto committed_at = std::chrono::steady_clock::now();
  report.files_written = publish_posts(staged_posts, error);
  const auto posts_at = std::chrono::steady_clock::now();
  touched_.insert(touched.begin(), touched.end());
  report.files_written += write_views(now, error);
  if (!error.empty()) report.write_error = error;
  const auto done_at = std::chrono::steady_clock::now();
  report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(done_at - started);
  // Where a cycle's time goes, for whoever tunes a big installation.
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  spdlog::debug(
      "cycle timing: fetch+parse+articles {} ms, commit {} ms, article files {} ms, feeds {} ms",
      ms(fetched_at - started), ms(committed_at - fetched_at), ms(posts_at - committed_at),
      ms(done_at - posts_at));
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

  const fs::path posts = config_.output / "posts";
  std::vector<StagedFile> staged_posts;
  std::set<std::string> touched;
  try {
    check_views_stamp();
    store::Store::Transaction tx(store_);
    for (const auto& f : files) {
      std::string text;
      if (!read_file(f, text, article::kMaxArticleFileBytes)) {
        report.files.push_back({f, f.string() + ": cannot read (missing, unreadable or over " +
                                       std::to_string(article::kMaxArticleFileBytes >> 20) +
                                       " MiB)"});
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
      a.summary = std::move(rewritten.summary);
      a.link = article::front_matter_url(a.link);
      a.image = article::front_matter_url(a.image.empty() ? rewritten.first_image : a.image);
      const auto it = channel_by_names.find(r.article->categories);
      const std::string channel = it == channel_by_names.end() ? "" : it->second;
      touched.insert(channel);
      touched.insert("");  // imports are listed in the all feed whatever their channel
      if (store_.add_article(a, channel, now) == store::AddOutcome::kNew) {
        staged_posts.push_back(stage_post(posts, a));
        ++report.imported;
      } else {
        ++report.duplicates;
      }
    }
    if (!touched.empty()) mark_views_behind();
    tx.commit();
  } catch (const store::StoreError& e) {
    discard_staged(staged_posts);
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("import rolled back: {}", report.write_error);
    report.imported = 0;
    return report;
  }
  std::string error;
  publish_posts(staged_posts, error);
  touched_.insert(touched.begin(), touched.end());
  write_views(now, error);
  if (!error.empty()) report.write_error = error;
  return report;
}

int Pipeline::write_views(sys_seconds now, std::string& error) {
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
  bool complete = true;  // every feed this call had to write was written

  try {
    check_views_stamp();
    WorkPool pool(WorkPool::default_threads());
    if (!checked_missing_posts_) {
      // The files are views of the store: a deleted or half-written one is rebuilt. One
      // listing of the folder, not a stat per article.
      remove_stale_temporaries(config_.output);
      std::unordered_set<std::string> present;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(posts, ec)) {
        // By string, not by path: tens of thousands of entries, and path::stem() and
        // extension() each allocate.
        std::string_view name = e.path().native();
        name.remove_prefix(name.rfind('/') + 1);
        if (name.ends_with(".md")) present.emplace(name.substr(0, name.size() - 3));
      }
      std::vector<StagedFile> staged;
      std::vector<article::Article> batch;
      auto flush = [&] {
        stage_posts_on(pool, std::move(batch), posts, staged);
        batch.clear();
      };
      for (const auto& hash : store_.all_hashes()) {
        if (present.contains(hash)) continue;
        if (auto a = store_.article(hash)) batch.push_back(std::move(*a));
        if (batch.size() >= 64) flush();
      }
      if (!batch.empty()) flush();
      pool.drain(true);
      checked_missing_posts_ = true;
      changed += publish_posts(staged, error);
    }
    // Failures of this call or of the posts published just before it: rescan next time.
    if (posts_failed_) checked_missing_posts_ = false;
    posts_failed_ = false;

    const auto nodes = emit::feed_nodes(config_);
    // Nodes listing a touched channel: the channel's own feed and each ancestor's.
    std::set<std::string> dirty;
    for (const auto& path : touched_) {
      dirty.insert("");
      for (auto slash = path.find('/'); slash != std::string::npos;
           slash = path.find('/', slash + 1))
        dirty.insert(path.substr(0, slash));
      dirty.insert(path);
    }
    auto needed = [&](const std::string& file, bool listed_change) {
      if (all_dirty_ || listed_change) return true;
      if (serve_views_ && !rendered_.contains(file)) return true;
      std::error_code ec;
      return !fs::exists(config_.output / file, ec);
    };

    std::map<std::string, std::string> node_titles;
    for (const auto& node : nodes)
      node_titles.emplace(node.path, node.title);
    std::map<std::string, emit::UpstreamInfo> upstream;
    auto upstream_of = [&](const std::string& channel_path) -> const emit::UpstreamInfo& {
      auto it = upstream.find(channel_path);
      if (it != upstream.end()) return it->second;
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
        if (auto t = node_titles.find(channel_path); t != node_titles.end())
          info.channel = t->second;
      }
      return upstream.emplace(channel_path, std::move(info)).first->second;
    };

    // Entries are read here (the store is this thread's); rendering, summaries the store
    // lacks and the comparison with the file on disk happen on the pool.
    std::vector<StagedFile> staged;
    auto stage_view = [&](std::string file, std::function<std::string()> render) {
      pool.submit([file = std::move(file), render = std::move(render), this, now,
                   &staged]() -> WorkPool::Continuation {
        std::string bytes = render();
        StagedFile f = stage_file(config_.output / file, bytes);
        std::shared_ptr<const serve::View> view;
        if (serve_views_) {
          view = std::make_shared<const serve::View>(
              serve::make_view(content_type_of(file), std::move(bytes), now));
        }
        return [f = std::move(f), file, view = std::move(view), this, &staged]() mutable {
          if (view) {
            rendered_.insert(file);
            views_["/" + file] = std::move(view);
          }
          staged.push_back(std::move(f));
        };
      });
    };
    // When each empty feed was first written, recorded the first time: the `updated` of an
    // empty feed, so that its bytes stay the same from one render to the next.
    std::vector<std::string> first_written;
    auto empty_updated = [&](const std::string& file) {
      if (auto stored = store_.meta(kFirstWrittenKey + file)) {
        if (auto t = parse_seconds(*stored)) return *t;
      }
      first_written.push_back(file);
      return now;
    };
    for (const auto& node : nodes) {
      if (!needed(node.file, dirty.contains(node.path))) continue;
      std::vector<emit::Entry> entries;
      for (auto& e : store_.latest(node.path, config_.feed_entries))
        entries.push_back({std::move(e.article), upstream_of(e.channel_path)});
      const sys_seconds since = entries.empty() ? empty_updated(node.file) : sys_seconds{};
      stage_view(node.file, [node, entries = std::move(entries), since, this]() mutable {
        for (auto& e : entries) {
          if (!e.article.summary) {
            e.article.summary = article::html_to_text(e.article.html, emit::kSummaryBytes);
          }
        }
        return emit::render_atom(node, entries, config_.base_url, since);
      });
    }
    if (!first_written.empty()) {
      // Recorded before the files appear: a feed on disk always has its time in the store.
      store::Store::Transaction tx(store_);
      for (const auto& file : first_written)
        store_.set_meta(kFirstWrittenKey + file, std::to_string(now.time_since_epoch().count()));
      tx.commit();
    }
    if (needed("feeds.opml", false)) {
      stage_view("feeds.opml",
                 [&nodes, this] { return emit::render_opml(nodes, config_.base_url); });
    }
    pool.drain(true);
    publish_staged(staged);
    for (const auto& f : staged) {
      note(f.result);
      complete = complete && f.result.ok;
    }
    if (complete) {
      all_dirty_ = false;
      touched_.clear();
      if (!stamp_current_) {
        store_.set_meta(kViewsKey, fingerprint_);
        stamp_current_ = true;
      }
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
    check_views_stamp();
    store::Store::Transaction tx(store_);
    gone = store_.prune_before(cutoff);
    if (!gone.empty()) mark_views_behind();
    tx.commit();
  } catch (const store::StoreError& e) {
    spdlog::error("pruning articles older than {} days: {}", config_.keep_days, e.what());
    return 0;
  }
  // Which feeds listed them is not worth finding out: pruning is rare, and every feed is
  // rendered once.
  if (!gone.empty()) all_dirty_ = true;
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
