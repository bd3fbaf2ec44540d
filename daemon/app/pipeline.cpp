#include "app/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "app/channel_poll.hpp"
#include "article/article.hpp"
#include "article/article_file.hpp"
#include "lib/curl/url.hpp"
#include "util/atomic_file.hpp"
#include "util/work_pool.hpp"
#include "util/writeback.hpp"

namespace feedd::app {
namespace fs = std::filesystem;
using std::chrono::sys_seconds;

namespace {

// How often a cycle's EarlyWriteback flushes: short enough that the commit finds little to
// write, long enough that a warm cycle (tens of ms) never flushes.
constexpr std::chrono::milliseconds kWritebackPeriod{100};

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word;
}

std::chrono::milliseconds since(
    std::chrono::steady_clock::time_point start,
    std::chrono::steady_clock::time_point end = std::chrono::steady_clock::now()) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
}

// The polls of the configured channels whose paths are in `only` (all when empty), in
// feeds.yaml order, each with its stored state; a route tries the RSSHub instances in
// `instances` order. Throws store::StoreError.
std::vector<ChannelPoll> polls_for(const config::Config& config, const store::Store& store,
                                   const std::vector<std::string>& only, sys_seconds now,
                                   const std::vector<std::size_t>& instances) {
  std::vector<ChannelPoll> polls;
  for (const auto* ch : config.channels()) {
    if (only.empty() || std::find(only.begin(), only.end(), ch->path()) != only.end())
      polls.emplace_back(*ch, store.channel_state(ch->path()), now, instances);
  }
  return polls;
}

// One cycle's polls between fetch_all and the commit: each result goes to its ChannelPoll, its
// parse and article making to the pool, and the polls are settled (stored) in feeds.yaml order
// as InOrder releases them. Owner thread; the pool's continuations call back into it.
class CycleRun {
 public:
  // All references must outlive the run; `staged` receives the new articles' files.
  // `images` (images: download; may be null) records the images of each new article;
  // `image_url` (images: proxy; may be empty) is the articles' image mapping. `views` renders
  // each settled channel's feed early (ViewWriter::begin_early was called with `pool`).
  CycleRun(const config::Config& config, store::Store& store, const PostWriter& posts,
           ViewWriter& views, std::vector<ChannelPoll>& polls, WorkPool& pool,
           std::vector<StagedFile>& staged, FreshFolder* fresh_posts,
           schedule::InstanceHealth& instances, ImagePass* images, const ImageUrl& image_url)
      : config_(config),
        store_(store),
        posts_(posts),
        views_(views),
        polls_(polls),
        pool_(pool),
        staged_(staged),
        fresh_posts_(fresh_posts),
        instances_(instances),
        images_(images),
        image_url_(image_url),
        order_(polls.size()) {
    for (std::size_t i = 0; i < polls_.size(); ++i)
      index_of_.emplace(polls_[i].path(), i);
  }

  // fetch_all's callback.
  void fetched(fetch::Result& r) {
    const auto found = index_of_.find(r.key);
    if (found == index_of_.end()) return;
    const std::size_t i = found->second;
    // A route whose RSSHub instance failed asks the next one, in the next round of fetches.
    if (polls_[i].fail_over(r, instances_)) return retries_.push_back(polls_[i].request());
    auto job = polls_[i].fetched(r);
    if (!job) return ready(i);
    pool_.submit([i, job = std::move(*job), this]() -> WorkPool::Continuation {
      auto parsed = ChannelPoll::parse(job);
      return
          [i, parsed = std::move(parsed), this]() mutable { this->parsed(i, std::move(parsed)); };
    });
    pool_.drain(false);
  }

  // The requests of the routes failing over, for another round of fetch_all (then none).
  std::vector<fetch::Request> take_retries() { return std::exchange(retries_, {}); }
  // The articles new to the store so far, in feeds.yaml order.
  std::vector<notify::NewPost> take_new_posts() { return std::exchange(new_posts_, {}); }

  // After fetch_all: waits for the pool; a poll the fetcher never answered settles empty.
  void finish() {
    pool_.drain(true);
    for (std::size_t i = 0; i < polls_.size(); ++i)
      ready(i);
    pool_.drain(true);
  }

 private:
  // Drops the items seen before, then makes articles of the rest on the pool: the rewrite is
  // the expensive part.
  void parsed(std::size_t i, parse::Result result) {
    auto job = polls_[i].parsed(std::move(result), config_, store_);
    if (!job) return ready(i);
    job->context.image_url = image_url_;
    pool_.submit([i, job = std::move(*job), this]() -> WorkPool::Continuation {
      auto made = ChannelPoll::make_articles(job);
      return [i, made = std::move(made), this]() mutable {
        polls_[i].made(std::move(made));
        ready(i);
      };
    });
  }

  // Poll i has nothing more to do off the owner thread: settle it and every poll before it.
  void ready(std::size_t i) {
    for (const std::size_t n : order_.done(i)) {
      auto fresh = polls_[n].settle(store_);
      for (const auto& a : fresh)
        new_posts_.push_back({a.title, a.link, a.categories, a.hash + ".md"});
      if (images_ != nullptr) {
        for (const auto& a : fresh)
          images_->record(a);
      }
      // Its feed's listing is final now: rendered while the other channels are still worked.
      views_.early_settled(store_, polls_[n].path(), polls_[n].touched(), fresh,
                           polls_[n].known_listed());
      // The store has their rows (in the open transaction); the pool only needs the values.
      if (!fresh.empty()) posts_.stage(pool_, std::move(fresh), staged_, fresh_posts_);
    }
  }

  const config::Config& config_;
  store::Store& store_;
  const PostWriter& posts_;
  ViewWriter& views_;
  std::vector<ChannelPoll>& polls_;
  WorkPool& pool_;
  std::vector<StagedFile>& staged_;
  FreshFolder* fresh_posts_;  // when set, where the posts go instead of staged_
  schedule::InstanceHealth& instances_;
  std::vector<fetch::Request> retries_;
  std::vector<notify::NewPost> new_posts_;
  ImagePass* images_;
  const ImageUrl& image_url_;
  std::unordered_map<std::string, std::size_t> index_of_;  // channel path → poll
  InOrder order_;
};

// A cycle's posts on a thread of their own: flushed (one syncfs) while the transaction
// commits, then — only once it has — renamed into place (thousands of renames: the folder's
// index), while the owner reads and renders the feeds. The PostWriter and the staged files are
// the thread's until join(). Owner thread: committed(), join().
class PostPublisher {
 public:
  // `posts`, `staged` and `fresh` (complete: the pool that staged them is drained) must outlive
  // it. `fresh`, when given, holds the cycle's posts instead of `staged`: flushed the same way,
  // renamed into place in one step.
  PostPublisher(PostWriter& posts, std::vector<StagedFile>& staged, FreshFolder* fresh)
      : thread_([this, &posts, &staged, fresh, outcome = committed_.get_future()]() mutable {
          if (fresh) fresh->flush();  // a failure counts in fresh->failed(), logged by publish
          sync_staged(staged);
          if (outcome.get()) {
            written_ = posts.publish(staged, error_);
            if (fresh) written_ += posts.publish(*fresh, error_);
          }
        }) {}
  ~PostPublisher() { join(); }
  PostPublisher(const PostPublisher&) = delete;
  PostPublisher& operator=(const PostPublisher&) = delete;

  // The transaction committed: the posts may be renamed into place.
  void committed() { decide(true); }
  // Waits for the thread. Without committed() before, nothing was renamed (the caller
  // discards the temporaries).
  void join() {
    decide(false);
    if (thread_.joinable()) thread_.join();
  }
  // After join(): PostWriter::publish's result and error.
  int written() const { return written_; }
  const std::string& error() const { return error_; }

 private:
  void decide(bool commit) {
    if (decided_) return;
    decided_ = true;
    committed_.set_value(commit);
  }

  std::promise<bool> committed_;
  bool decided_ = false;
  int written_ = 0;
  std::string error_;
  std::thread thread_;  // last: it uses the members above
};

// The files `paths` name, each folder replaced by its *.md and *.txt files in name order.
std::vector<fs::path> article_files(const std::vector<fs::path>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      files.push_back(p);
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(p, ec)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".md" || ext == ".txt")) found.push_back(e.path());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// The article in file `f`, its HTML rewritten as fetched HTML is; else "PATH:LINE: message".
std::optional<article::Article> read_import(const fs::path& f, const config::Config& config,
                                            std::string& error) {
  std::string text;
  if (!read_file(f, text, article::kMaxArticleFileBytes)) {
    error = f.string() + ": cannot read (missing, unreadable or over " +
            std::to_string(article::kMaxArticleFileBytes >> 20) + " MiB)";
    return std::nullopt;
  }
  auto r = article::read_article_file(text, f.string());
  if (!r.article) {
    error = r.error;
    return std::nullopt;
  }
  // Imported files come from whoever can write to the inbox; their HTML reaches subscribers
  // like fetched HTML does, so it gets the same rewriting and allowlist.
  auto& a = *r.article;
  auto rewritten = article::rewrite_html(a.html, {a.link, config.image_proxy, config.iframe_hosts});
  a.html = std::move(rewritten.html);
  a.summary = std::move(rewritten.summary);
  a.link = article::front_matter_url(a.link);
  a.image = article::front_matter_url(a.image.empty() ? rewritten.first_image : a.image);
  return std::move(r.article);
}

}  // namespace

void CycleReport::add(ChannelReport channel) {
  if (channel.ok()) {
    ++channels_ok;
    new_articles += channel.new_articles;
    known_articles += channel.known_articles;
    dropped += channel.dropped;
    updated += channel.updated;
  } else {
    ++channels_failed;
  }
  channels.push_back(std::move(channel));
}

std::string CycleReport::summary() const {
  return "channels: " + std::to_string(channels_ok) + " ok, " + std::to_string(channels_failed) +
         " failed; articles: " + std::to_string(new_articles) + " new, " +
         std::to_string(known_articles) + " seen" +
         (dropped > 0 ? ", " + std::to_string(dropped) + " dropped" : "") +
         (updated > 0 ? ", " + std::to_string(updated) + " updated" : "");
}

std::string ImportReport::summary() const {
  return "import: " + plural(imported, "new") + ", " + plural(duplicates, "duplicate") + ", " +
         plural(failed, "failed");
}

Pipeline::Pipeline(const config::Config& config, store::Store& store, ViewSink* sink)
    : config_(config),
      store_(store),
      posts_(config.output),
      views_(config, sink),
      images_(make_image_pass(config, store)) {
  if (config.images == config::ImageMode::proxy) {
    image_proxy_key_ = app::image_proxy_key(store);
    image_url_ = proxied_image_url(image::UrlSigner(image_proxy_key_), config.base_url);
  }
}

CycleReport Pipeline::run_cycle(fetch::Fetcher& fetcher, sys_seconds now,
                                const std::vector<std::string>& only) {
  const auto started = std::chrono::steady_clock::now();
  CycleReport report;
  std::vector<ChannelPoll> polls;
  try {
    views_.before_change(store_);
    if (instances_.size() != config_.rsshub.size())
      instances_ = schedule::InstanceHealth(config_.rsshub.size());
    polls = polls_for(config_, store_, only, now, instances_.order(now));
  } catch (const store::StoreError& e) {
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("cycle not started: {}", report.write_error);
    return report;
  }
  // Older posts missing from the folder are rebuilt before the cycle rather than after it:
  // the first call of a process lists the whole folder, and a cold `feedd once` then lists an
  // empty one instead of the thousands of posts it has just written. (The call after the
  // posts are out is then due only after a failed write.)
  std::string restore_error;
  int restored = 0;
  try {
    restored = posts_.restore_missing(store_, restore_error);
  } catch (const store::StoreError& e) {
    restore_error = std::string("store: ") + e.what();
    spdlog::error("writing views: {}", restore_error);
  }

  // Article files of this cycle's new articles, written under temporary names by the pool as
  // their channels settle, renamed into place once the store has committed them.
  std::vector<StagedFile> staged_posts;
  // A first cycle's posts (no posts folder yet) go to a folder built beside it instead, renamed
  // into place whole: the cold start's thousands of posts cost no link after the commit.
  std::unique_ptr<FreshFolder> fresh_posts = posts_.fresh_folder();
  // Out here so that a rolled-back cycle can stop it (finishing its queued work) before
  // removing what that work wrote.
  std::optional<WorkPool> pool;
  // Declared after staged_posts: joined (renaming nothing unless committed) before they go.
  std::optional<PostPublisher> publisher;
  std::vector<notify::NewPost> new_posts;
  auto fetched_at = started;
  try {
    // One transaction for the whole cycle: a crash or a store failure leaves no half cycle.
    store::Store::Transaction tx(store_);
    // The disk writes the staged posts and the WAL out while the articles are made, rather than
    // all at the commit.
    EarlyWriteback writeback({config_.output, config_.state.parent_path()}, kWritebackPeriod);
    pool.emplace(WorkPool::default_threads());
    {
      std::vector<std::string> paths;
      paths.reserve(polls.size());
      for (const auto& poll : polls)
        paths.push_back(poll.path());
      views_.begin_early(store_, *pool, paths, now);
    }
    CycleRun run(config_, store_, posts_, views_, polls, *pool, staged_posts, fresh_posts.get(),
                 instances_, images_.get(), image_url_);
    std::vector<fetch::Request> requests;
    requests.reserve(polls.size());
    for (const auto& poll : polls)
      requests.push_back(poll.request());
    // Failover rounds: at most one per RSSHub instance, as each uses one up per route.
    while (!requests.empty()) {
      fetcher.fetch_all(requests, [&run](fetch::Result& r) { run.fetched(r); });
      requests = run.take_retries();
    }
    run.finish();
    writeback.stop();
    new_posts = run.take_new_posts();
    fetched_at = std::chrono::steady_clock::now();
    // Every post is staged: the disk writes them out while the WAL is flushed.
    publisher.emplace(posts_, staged_posts, fresh_posts.get());
    if (std::any_of(polls.begin(), polls.end(), [](const auto& p) { return p.touched(); }))
      views_.mark_behind(store_);
    tx.commit();
    publisher->committed();
    views_.early_committed();
  } catch (const store::StoreError& e) {
    // The transaction rolled back: nothing of this cycle is remembered, so the next cycle
    // fetches again (validators were not saved either) and retries. Its article files must
    // not appear: the pool finishes what it was given, then every temporary goes.
    pool.reset();
    publisher.reset();  // renames nothing
    posts_.discard(staged_posts);
    if (fresh_posts) fresh_posts->discard();
    views_.discard_early();
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("cycle rolled back: {}", report.write_error);
    report.duration = since(started);
    return report;
  }
  pool.reset();
  for (auto& poll : polls) {
    if (poll.touched()) views_.touch(poll.path());
    const auto instance = poll.served_by();
    if (auto cr = poll.take_report()) {
      if (instance && *instance < config_.rsshub.size())
        cr->instance = lib::redact_url(config_.rsshub[*instance]);
      report.add(std::move(*cr));
    }
  }
  report.new_posts = std::move(new_posts);

  std::string error;
  const auto committed_at = std::chrono::steady_clock::now();
  // The posts go out on the publisher's thread while the feeds are read and rendered; the
  // feeds are renamed into place after the posts, as when the two ran one after the other.
  std::string views_error;
  const int views_written =
      views_.write(store_, now, views_error, [&publisher] { publisher->join(); });
  publisher->join();
  const auto posts_at = std::chrono::steady_clock::now();
  error = !publisher->error().empty() ? publisher->error()
          : !views_error.empty()      ? views_error
                                      : restore_error;
  report.files_written = restored + publisher->written() + views_written;
  publisher.reset();
  try {
    report.files_written += posts_.restore_missing(store_, error);
  } catch (const store::StoreError& e) {
    if (error.empty()) error = std::string("store: ") + e.what();
    spdlog::error("writing views: store: {}", e.what());
  }
  if (images_) {
    // After the posts and feeds are out: images never hold them back. The feeds listing a
    // post whose images arrived are rendered again.
    ImagePassReport images =
        images_->run([this](store::Store& store) { views_.mark_behind(store); });
    if (!images.error.empty()) spdlog::error("images: {}", images.error);
    report.files_written += images.posts_written;
    if (!images.touched.empty()) {
      for (const auto& channel : images.touched)
        views_.touch(channel);
      report.files_written += write_views(now, error);
    }
  }
  if (!error.empty()) report.write_error = error;
  const auto done_at = std::chrono::steady_clock::now();
  report.duration = since(started, done_at);
  // Where a cycle's time goes, for whoever tunes a big installation.
  spdlog::debug(
      "cycle timing: fetch+parse+articles {} ms, commit {} ms, article files and feeds {} ms, "
      "the rest {} ms",
      since(started, fetched_at).count(), since(fetched_at, committed_at).count(),
      since(committed_at, posts_at).count(), since(posts_at, done_at).count());
  return report;
}

ImportReport Pipeline::import_paths(const std::vector<fs::path>& paths, sys_seconds now) {
  ImportReport report;
  // Imported categories map back onto configured channels by display name, so an import of
  // 新媒体/果壳网/科学人 joins that channel's feeds.
  std::map<std::vector<std::string>, std::string> channel_by_names;
  for (const auto* ch : config_.channels())
    channel_by_names[category_names(*ch)] = ch->path();

  std::vector<StagedFile> staged_posts;
  std::set<std::string> touched;
  std::optional<WorkPool> pool;
  try {
    views_.before_change(store_);
    store::Store::Transaction tx(store_);
    std::vector<article::Article> fresh;
    for (const auto& f : article_files(paths)) {
      std::string error;
      auto a = read_import(f, config_, error);
      report.files.push_back({f, error});
      if (!a) {
        spdlog::error("{}", error);
        ++report.failed;
        continue;
      }
      const auto it = channel_by_names.find(a->categories);
      const std::string channel = it == channel_by_names.end() ? "" : it->second;
      touched.insert(channel);
      touched.insert("");  // imports are listed in the all feed whatever their channel
      if (store_.add_article(*a, channel, now) == store::AddOutcome::kNew) {
        report.new_posts.push_back({a->title, a->link, a->categories, a->hash + ".md"});
        fresh.push_back(std::move(*a));
        ++report.imported;
      } else {
        ++report.duplicates;
      }
    }
    if (!fresh.empty()) {
      pool.emplace(WorkPool::default_threads());
      posts_.stage(*pool, std::move(fresh), staged_posts);
      pool->drain(true);
    }
    if (!touched.empty()) views_.mark_behind(store_);
    tx.commit();
  } catch (const store::StoreError& e) {
    pool.reset();
    posts_.discard(staged_posts);
    report.write_error = std::string("store: ") + e.what();
    spdlog::error("import rolled back: {}", report.write_error);
    report.imported = 0;
    report.new_posts.clear();
    return report;
  }
  std::string error;
  posts_.publish(staged_posts, error);
  for (const auto& channel : touched)
    views_.touch(channel);
  write_views(now, error);
  if (!error.empty()) report.write_error = error;
  return report;
}

int Pipeline::write_views(sys_seconds now, std::string& error) {
  int changed = 0;
  try {
    changed += posts_.restore_missing(store_, error);
  } catch (const store::StoreError& e) {
    error = std::string("store: ") + e.what();
    spdlog::error("writing views: {}", error);
    return changed;
  }
  return changed + views_.write(store_, now, error);
}

int Pipeline::import_inbox(sys_seconds now, std::vector<notify::NewPost>* new_posts) {
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
  auto report = import_paths(files, now);
  if (!report.write_error.empty()) return 0;  // rolled back: the files stay for the next cycle
  if (new_posts != nullptr) {
    std::move(report.new_posts.begin(), report.new_posts.end(), std::back_inserter(*new_posts));
  }
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
    views_.before_change(store_);
    store::Store::Transaction tx(store_);
    gone = store_.prune_before(cutoff);
    if (!gone.empty()) views_.mark_behind(store_);
    tx.commit();
  } catch (const store::StoreError& e) {
    spdlog::error("pruning articles older than {} days: {}", config_.keep_days, e.what());
    return 0;
  }
  // Which feeds listed them is not worth finding out: pruning is rare, and every feed is
  // rendered once.
  if (!gone.empty()) views_.touch_all();
  int removed = 0;
  for (const auto& hash : gone) {
    std::error_code ec;
    if (fs::remove(config_.output / "posts" / (hash + ".md"), ec)) ++removed;
  }
  if (removed > 0)
    spdlog::info("pruned {} article files older than {} days", removed, config_.keep_days);
  if (images_) {
    if (const auto images = images_->prune(); images > 0) {
      spdlog::info("pruned {} images no post references", images);
    }
  }
  return removed;
}

}  // namespace feedd::app
