#include "app/daemon.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "app/commands.hpp"
#include "app/daemon_status.hpp"
#include "app/daemon_worker.hpp"
#include "app/http_api.hpp"
#include "app/images.hpp"
#include "app/pipeline.hpp"
#include "app/refresh_tracker.hpp"
#include "app/reload.hpp"
#include "app/signals.hpp"
#include "app/thread_check.hpp"
#include "app/watchdog.hpp"
#include "config/config.hpp"
#include "lib/systemd/notify.hpp"
#include "schedule/scheduler.hpp"
#include "serve/http.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace feedd::app {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using std::chrono::sys_seconds;

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(5);
constexpr std::size_t kRefreshHistory = 256;
// images: proxy — image requests waiting for the upstream at most; beyond, 503 at once.
constexpr std::size_t kImageProxyQueue = 256;

std::vector<schedule::ChannelPlan> plans_of(const config::Config& cfg) {
  std::vector<schedule::ChannelPlan> plans;
  for (const auto* ch : cfg.channels())
    plans.push_back({ch->path(), ch->interval});
  return plans;
}

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)))};
}

schedule::PollOutcome poll_outcome(const ChannelReport& c) {
  schedule::PollOutcome outcome;
  outcome.ok = c.ok();
  outcome.retry_after = c.retry_after;
  outcome.ttl = c.ttl;
  outcome.max_age = c.max_age;
  return outcome;
}

// Threads: the loop thread (io_) owns the scheduler, the server, the signals, the service
// notifier, the views it serves, the refresh records and the status; the worker thread (work_)
// owns the DaemonWorker (store, fetcher, pipeline). Before io_.run() the main thread, which
// becomes the loop thread, sets both up (run()); after it, each entry point asserts its thread.
class Daemon final : public ApiContext {
 public:
  Daemon(fs::path config_path, config::Config cfg)
      : config_path_(std::move(config_path)),
        config_(std::move(cfg)),
        signals_(io_),
        worker_side_(work_),
        notifier_(io_),
        timer_(io_),
        grace_(io_),
        scheduler_([this] { return jitter_(rng_); }),
        server_(io_, serve::Limits{}, [this](const serve::Request& r, auto respond) {
          route_async(*this, r, std::move(respond));
        }) {}

  int run() {
    // The views exist (and missing files are rebuilt) before the first request is served.
    auto opened = worker_side_.open(config_, now_seconds());
    if (!opened) return kExitFailed;
    install_views(opened->views, true);
    if (config_.images == config::ImageMode::proxy && !opened->image_proxy_key.empty()) {
      // images: proxy is set up at startup only: a reload that changes images: needs a restart.
      image_signer_.emplace(opened->image_proxy_key);
      image_cache_ = std::make_unique<image::ProxyCache>(
          image_cache_folder(config_), static_cast<std::uintmax_t>(config_.image_cache_mb) << 20);
      auto limits = image::image_fetch_limits(image_fetch_options(config_));
      // At most as many upstream requests at once as the fetcher runs in parallel.
      const auto batch = static_cast<std::size_t>(limits.max_parallel);
      image_proxy_ = std::make_unique<image::ProxyFetcher>(
          fetch::make_curl_fetcher(std::move(limits)), *image_cache_, kImageProxyQueue, batch);
    }
    store_snapshot_ = std::move(opened->store);
    try {
      const auto [host, port] = split_listen(config_.listen);
      server_.listen(host, port);
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot listen on {}: {}", config_path_.string(), config_.listen, e.what());
      return kExitFailed;
    }
    counters_.started = now_seconds();
    scheduler_.set_channels(plans_of(config_), counters_.started);
    worker_ = std::thread([this] { work_.run(); });
    asio::post(io_, [this] { on_started(); });
    io_.run();
    return join_worker();
  }

  // ApiContext (loop thread).
  const image::UrlSigner* image_signer() const override {
    return image_signer_ ? &*image_signer_ : nullptr;
  }
  image::ProxyCache* image_cache() override { return image_cache_.get(); }
  void fetch_image(std::string url, std::function<void(image::ProxyReply)> done) override {
    assert_loop_thread("fetch_image");
    image_proxy_->request(std::move(url), [this, done = std::move(done)](image::ProxyReply r) {
      asio::post(io_, [done, r = std::move(r)] { done(r); });
    });
  }

  std::filesystem::path image_folder() const override {
    assert_loop_thread("image_folder");
    // Only in download mode, and only what ImageStore wrote: serve_image_file checks names.
    return config_.images == config::ImageMode::download ? config_.output / "images"
                                                         : std::filesystem::path();
  }

  const serve::ViewMap& views() const override {
    assert_loop_thread("views");
    return views_;
  }
  const std::string& refresh_token() const override { return config_.refresh_token; }

  serve::StatusSnapshot status() const override {
    assert_loop_thread("status");
    auto counters = counters_;
    counters.http_requests = server_.requests_served();
    return build_status(config_, store_snapshot_, scheduler_, counters, now_seconds());
  }

  RefreshTicket request_refresh(const std::vector<std::string>& channels) override {
    assert_loop_thread("request_refresh");
    RefreshTicket t;
    for (const auto& c : channels) {
      if (!scheduler_.info(c)) t.unknown.push_back(c);
    }
    if (!t.unknown.empty()) return t;
    scheduler_.request_now(channels, now_seconds());
    const auto list = channels.empty() ? all_channels()
                                       : std::make_shared<const std::vector<std::string>>(channels);
    t.channels = *list;
    t.id = refreshes_.add(list, cycle_seq_ + 1);
    spdlog::info("refresh {} requested for {} channel(s)", t.id, t.channels.size());
    asio::post(io_, [this] { on_timer(); });
    return t;
  }

  std::optional<std::string> refresh_progress(std::uint64_t id) const override {
    assert_loop_thread("refresh_progress");
    // A channel removed by a reload after the request will never be polled: it is done.
    const auto progress = refreshes_.progress(
        id, [this](const std::string& path) { return scheduler_.info(path) == nullptr; });
    if (!progress) return std::nullopt;
    return refresh_progress_json(*progress);
  }

 private:
  void assert_loop_thread(const char* what) const {
    assert_thread(loop_executor_, what, "event-loop");
  }

  // The loop's first handler.
  void on_started() {
    assert_loop_thread("on_started");
    signals_.start([this](SignalAction action, int sig) { on_signal(action, sig); });
    notifier_.start_watchdog(lib::sd_watchdog_period());
    spdlog::info("feedd {} listening on {} ({} channels); status page {}", kVersion, config_.listen,
                 config_.channels().size(), config_.base_url);
    notifier_.ready("started, first poll under way");
    arm_timer();
  }

  // After io_ stops: the exit status.
  int join_worker() {
    work_guard_.reset();
    if (cycle_running_) {
      // The grace period ran out: the transaction in flight rolls back (SQLite WAL keeps the
      // store consistent), and the next start polls again.
      spdlog::warn("in-flight work did not finish within {} s; exiting without it",
                   kShutdownGrace.count());
      worker_.detach();
      std::fflush(nullptr);
      _exit(kExitOk);
    }
    worker_.join();
    spdlog::info("stopped");
    return kExitOk;
  }

  void on_signal(SignalAction action, int sig) {
    assert_loop_thread("on_signal");
    switch (action) {
      case SignalAction::reload:
        reload();
        break;
      case SignalAction::refresh_all:
        spdlog::info("{}: refreshing every channel", signal_name(sig));
        request_refresh({});
        break;
      case SignalAction::stop:
        shutdown(sig);
        break;
      case SignalAction::none:
        break;
    }
  }

  // Every configured channel, one list shared by every refresh of all channels until a reload.
  std::shared_ptr<const std::vector<std::string>> all_channels() {
    if (!all_channels_) {
      std::vector<std::string> all;
      for (const auto* ch : config_.channels())
        all.push_back(ch->path());
      all_channels_ = std::make_shared<const std::vector<std::string>>(std::move(all));
    }
    return all_channels_;
  }

  void arm_timer() {
    // While a cycle runs, on_cycle_done re-arms: a channel already due outside that cycle would
    // otherwise make a zero wait fire over and over until the cycle ends.
    if (stopping_ || cycle_running_) return;
    const auto next = scheduler_.next_wakeup();
    if (!next) return;
    const auto wait = std::max(std::chrono::seconds(0), *next - now_seconds());
    timer_.expires_after(wait);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) on_timer();
    });
  }

  void on_timer() {
    assert_loop_thread("on_timer");
    if (stopping_) return;
    if (!cycle_running_) {
      auto due = scheduler_.take_due(now_seconds());
      if (!due.empty()) start_cycle(std::move(due));
    }
    arm_timer();
  }

  void start_cycle(std::vector<std::string> paths) {
    cycle_running_ = true;
    const auto cycle = ++cycle_seq_;
    asio::post(work_, [this, cycle, paths = std::move(paths)] {
      auto out = worker_side_.cycle(paths, now_seconds());
      asio::post(io_, [this, cycle, paths, out = std::move(out)]() mutable {
        on_cycle_done(cycle, paths, std::move(out));
      });
    });
  }

  void on_cycle_done(std::uint64_t cycle, const std::vector<std::string>& paths,
                     DaemonWorker::CycleOutput out) {
    assert_loop_thread("on_cycle_done");
    cycle_running_ = false;
    const auto now = now_seconds();
    const CycleReport& report = out.report;
    record_results(cycle, paths, report, now);
    install_views(out.views, false);
    store_snapshot_ = std::move(out.store);
    counters_.last_cycle_seconds = std::chrono::duration<double>(report.duration).count();
    counters_.last_cycle_end = now;
    spdlog::info("cycle {}: {}", cycle, report.summary());
    notifier_.status(report.summary());
    if (stopping_) {
      io_.stop();
      return;
    }
    on_timer();
  }

  // Each polled path's result goes to the scheduler, the counters and the refresh records.
  void record_results(std::uint64_t cycle, const std::vector<std::string>& paths,
                      const CycleReport& report, sys_seconds now) {
    std::map<std::string, const ChannelReport*> by_path;
    for (const auto& c : report.channels)
      by_path[c.path] = &c;
    for (const auto& path : paths) {
      const auto it = by_path.find(path);
      schedule::PollOutcome outcome;
      if (it != by_path.end()) {
        const auto& c = *it->second;
        outcome = poll_outcome(c);
        ++counters_.fetches_by_outcome[c.outcome];
        count_drops(counters_, path, c.drops);
        refreshes_.record(path, {cycle, c.outcome, c.new_articles, c.error});
      } else if (!stopping_) {
        // No report: the cycle was rolled back (store failure); try again on the error path.
        refreshes_.record(path, {cycle, "error", 0, report.write_error});
      }
      scheduler_.completed(path, outcome, now);
    }
  }

  // Loop thread (and startup): `fresh` replaces the views of the same URL — keeping the old
  // object, and so its Last-Modified, when the bytes are the same — and with `complete` it is
  // every view there is (startup, reload), so views not in it are dropped.
  void install_views(const serve::ViewMap& fresh, bool complete) {
    serve::ViewMap next = complete ? serve::ViewMap{} : views_;
    for (const auto& [url, view] : fresh) {
      const auto old = views_.find(url);
      next[url] = old != views_.end() && old->second->etag == view->etag ? old->second : view;
    }
    views_ = std::move(next);
  }

  void reload() {
    assert_loop_thread("reload");
    notifier_.reloading();
    spdlog::info("SIGHUP: reloading {}", config_path_.string());
    auto outcome = reload_config(config_path_, config_);
    log_reload(outcome);
    if (outcome.config) {
      if (outcome.config->images != config_.images &&
          (outcome.config->images == config::ImageMode::proxy ||
           config_.images == config::ImageMode::proxy)) {
        // The proxy (its signer, cache and thread) is set up at startup only.
        spdlog::warn("{}: images: {} → {}: /img/ is served as before until feedd restarts",
                     config_path_.string(), config::image_mode_name(config_.images),
                     config::image_mode_name(outcome.config->images));
      }
      config_ = *outcome.config;
      all_channels_.reset();
      scheduler_.set_channels(plans_of(config_), now_seconds());
      asio::post(work_, [this, cfg = std::move(*outcome.config)] {
        auto out = worker_side_.reload(cfg, now_seconds());
        asio::post(io_, [this, out = std::move(out)]() mutable {
          assert_loop_thread("reload installs views");
          install_views(out.views, true);
          store_snapshot_ = std::move(out.store);
        });
      });
    }
    notifier_.ready(outcome.status());
    if (outcome.config) on_timer();
  }

  void shutdown(int sig) {
    spdlog::info("{}: stopping", signal_name(sig));
    notifier_.stopping();
    stopping_ = true;
    server_.stop();
    timer_.cancel();
    signals_.cancel();
    // Readers waiting on an upstream image get 503 now, not when the fetch times out.
    if (image_proxy_) image_proxy_->cancel();
    if (!cycle_running_) {
      io_.stop();
      return;
    }
    // Fetches stop at once; what was fetched is still committed, within the grace period.
    worker_side_.cancel_fetches();
    grace_.expires_after(kShutdownGrace);
    grace_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) io_.stop();
    });
  }

  fs::path config_path_;
  config::Config config_;  // the loop's copy
  asio::io_context io_;
  asio::io_context work_;
  // For the thread assertions: running_in_this_thread() is asked of an executor.
  const asio::io_context::executor_type loop_executor_ = io_.get_executor();
  asio::executor_work_guard<asio::io_context::executor_type> work_guard_{work_.get_executor()};
  SignalWatcher signals_;
  DaemonWorker worker_side_;  // the worker thread's (opened before it starts)
  ServiceNotifier notifier_;
  asio::steady_timer timer_;
  asio::steady_timer grace_;
  std::mt19937 rng_{std::random_device{}()};
  std::uniform_real_distribution<double> jitter_{-1.0, 1.0};
  schedule::Scheduler scheduler_;
  serve::Server server_;
  std::thread worker_;

  // Loop-owned.
  serve::ViewMap views_;
  StoreSnapshot store_snapshot_;
  DaemonCounters counters_;
  bool cycle_running_ = false;
  bool stopping_ = false;
  std::uint64_t cycle_seq_ = 0;
  RefreshTracker refreshes_{kRefreshHistory};
  std::shared_ptr<const std::vector<std::string>> all_channels_;  // of config_, made on demand

  // images: proxy (else empty). The fetcher's thread posts to io_, so it is declared (and
  // destroyed, joined) after it.
  std::optional<image::UrlSigner> image_signer_;
  std::unique_ptr<image::ProxyCache> image_cache_;
  std::unique_ptr<image::ProxyFetcher> image_proxy_;
};

}  // namespace

int run_daemon(const fs::path& config_path) {
  ignore_sigpipe();
  auto r = config::load_config(config_path);
  for (const auto& w : r.warnings)
    spdlog::warn("{}", w);
  for (const auto& e : r.errors)
    spdlog::error("{}", e);
  if (!r.config) return kExitUsage;
  Daemon d(config_path, std::move(*r.config));
  return d.run();
}

}  // namespace feedd::app
