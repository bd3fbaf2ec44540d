#include "app/daemon.hpp"
#include <malloc.h>

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "app/commands.hpp"
#include "app/http_api.hpp"
#include "app/pipeline.hpp"
#include "app/refresh_tracker.hpp"
#include "app/served_views.hpp"
#include "config/config.hpp"
#include "emit/emit.hpp"
#include "fetch/fetcher.hpp"
#include "lib/curl/url.hpp"
#include "lib/systemd/notify.hpp"
#include "schedule/scheduler.hpp"
#include "serve/http.hpp"
#include "serve/status.hpp"
#include "store/store.hpp"
#include "util/atomic_file.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace feedd::app {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using std::chrono::sys_seconds;

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(5);
constexpr std::size_t kRefreshHistory = 256;

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

// What the worker learns from the store for the status page, after each cycle.
struct StoreSnapshot {
  std::map<std::string, store::ChannelState> states;
  std::map<std::string, int> articles;
  int total = 0;
};

class Daemon final : public ApiContext {
 public:
  Daemon(fs::path config_path, config::Config cfg)
      : config_path_(std::move(config_path)),
        config_(std::move(cfg)),
        signals_(io_, SIGHUP, SIGUSR1, SIGTERM),
        timer_(io_),
        watchdog_(io_),
        grace_(io_),
        scheduler_([this] { return jitter_(rng_); }),
        server_(io_, serve::Limits{},
                [this](const serve::Request& r, auto respond) { respond(route(*this, r)); }) {
    signals_.add(SIGINT);
  }

  int run() {
    // Worker-side objects are created here, before the worker thread starts.
    try {
      fs::create_directories(config_.state.parent_path());
      store_ = std::make_unique<store::Store>(config_.state);
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot open the store: {}", config_.state.string(), e.what());
      return kExitFailed;
    }
    fetcher_ = fetch::make_curl_fetcher();
    worker_config_ = std::make_unique<config::Config>(config_);
    pipeline_ = std::make_unique<Pipeline>(*worker_config_, *store_, &served_views_);

    // The views exist (and missing files are rebuilt) before the first request is served.
    std::string error;
    pipeline_->write_views(now_seconds(), error);
    install_views(served_views_.take(), true);
    return_free_memory();
    store_snapshot_ = snapshot_store();

    try {
      const auto [host, port] = split_listen(config_.listen);
      server_.listen(host, port);
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot listen on {}: {}", config_path_.string(), config_.listen, e.what());
      return kExitFailed;
    }
    started_ = now_seconds();
    scheduler_.set_channels(plans_of(config_), started_);
    worker_ = std::thread([this] { work_.run(); });

    wait_signal();
    start_watchdog();
    spdlog::info("feedd {} listening on {} ({} channels); status page {}", kVersion, config_.listen,
                 config_.channels().size(), config_.base_url);
    lib::sd_notify_state("READY=1\nSTATUS=started, first poll under way");
    arm_timer();
    io_.run();

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

  // ApiContext (loop thread).
  const serve::ViewMap& views() const override {
    assert_loop_thread("views");
    return views_;
  }
  const std::string& refresh_token() const override { return config_.refresh_token; }

  serve::StatusSnapshot status() const override {
    assert_loop_thread("status");
    serve::StatusSnapshot s;
    s.version = kVersion;
    s.now = now_seconds();
    s.started = started_;
    for (const auto& node : emit::feed_nodes(config_)) {
      s.feeds.push_back({node.title, config_.base_url + node.file, node.path, node.depth});
    }
    for (const auto* ch : config_.channels()) {
      serve::ChannelStatus c;
      c.path = ch->path();
      c.title = ch->top_name + " › " + ch->source_name + " › " + ch->name;
      c.url = lib::redact_url(ch->url);
      if (auto it = store_snapshot_.states.find(c.path); it != store_snapshot_.states.end()) {
        c.last_poll = it->second.last_poll;
        c.last_outcome = it->second.last_outcome;
        c.last_error = it->second.last_error;
        c.consecutive_failures = it->second.consecutive_failures;
      }
      if (auto it = store_snapshot_.articles.find(c.path); it != store_snapshot_.articles.end()) {
        c.articles = it->second;
      }
      if (const auto* info = scheduler_.info(c.path)) {
        c.polling = info->in_flight;
        if (!info->in_flight) c.next_poll = info->next;
      }
      s.channels.push_back(std::move(c));
    }
    s.total_articles = store_snapshot_.total;
    s.last_cycle_seconds = last_cycle_seconds_;
    s.last_cycle_end = last_cycle_end_;
    s.fetches_by_outcome = fetches_by_outcome_;
    s.http_requests = server_.requests_served();
    s.refresh_needs_token = !config_.refresh_token.empty();
    return s;
  }

  RefreshTicket request_refresh(const std::vector<std::string>& channels) override {
    assert_loop_thread("request_refresh");
    RefreshTicket t;
    for (const auto& c : channels) {
      if (!scheduler_.info(c)) t.unknown.push_back(c);
    }
    if (!t.unknown.empty()) return t;
    scheduler_.request_now(channels, now_seconds());
    std::shared_ptr<const std::vector<std::string>> list;
    if (channels.empty()) {
      if (!all_channels_) {
        std::vector<std::string> all;
        for (const auto* ch : config_.channels())
          all.push_back(ch->path());
        all_channels_ = std::make_shared<const std::vector<std::string>>(std::move(all));
      }
      list = all_channels_;
    } else {
      list = std::make_shared<const std::vector<std::string>>(channels);
    }
    t.channels = *list;
    t.id = refreshes_.add(std::move(list), cycle_seq_ + 1);
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
  // Thread ownership, asserted rather than only stated: the loop thread (io_) owns the
  // scheduler, the server, the views it serves, the refresh records and the status; the worker
  // thread (work_) owns the store, the fetcher and the pipeline. A call on the wrong thread is a
  // data race waiting to happen: it aborts, so every test that reaches it fails.
  void assert_loop_thread(const char* what) const {
    if (!loop_executor_.running_in_this_thread()) wrong_thread(what, "event-loop");
  }
  void assert_worker_thread(const char* what) const {
    if (!worker_executor_.running_in_this_thread()) wrong_thread(what, "worker");
  }
  [[noreturn]] static void wrong_thread(const char* what, const char* owner) {
    spdlog::critical("{} called outside the {} thread", what, owner);
    std::abort();
  }

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      switch (sig) {
        case SIGHUP:
          reload();
          break;
        case SIGUSR1:
          spdlog::info("SIGUSR1: refreshing every channel");
          request_refresh({});
          break;
        default:
          shutdown(sig);
          return;  // no more signals wanted: a second SIGTERM gets the default action
      }
      wait_signal();
    });
  }

  void start_watchdog() {
    const auto period = lib::sd_watchdog_period();
    if (!period) return;
    watchdog_period_ = *period / 2;
    kick_watchdog();
  }

  void kick_watchdog() {
    // Sent from the loop itself: if the loop wedges, the pings stop and systemd restarts us.
    lib::sd_notify_state("WATCHDOG=1");
    watchdog_.expires_after(watchdog_period_);
    watchdog_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping_) kick_watchdog();
    });
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
      assert_worker_thread("cycle");
      const auto now = now_seconds();
      pipeline_->import_inbox(now);
      pipeline_->prune(now);  // before the cycle, whose views then no longer list them
      auto report = pipeline_->run_cycle(*fetcher_, now, paths);
      auto views = served_views_.take();
      auto snap = snapshot_store();
      return_free_memory();
      asio::post(io_, [this, cycle, paths, report = std::move(report), views = std::move(views),
                       snap = std::move(snap)]() mutable {
        on_cycle_done(cycle, paths, report, views, std::move(snap));
      });
    });
  }

  void on_cycle_done(std::uint64_t cycle, const std::vector<std::string>& paths,
                     const CycleReport& report, const serve::ViewMap& views, StoreSnapshot snap) {
    assert_loop_thread("on_cycle_done");
    cycle_running_ = false;
    const auto now = now_seconds();
    std::map<std::string, const ChannelReport*> by_path;
    for (const auto& c : report.channels)
      by_path[c.path] = &c;
    for (const auto& path : paths) {
      const auto it = by_path.find(path);
      schedule::PollOutcome outcome;
      if (it != by_path.end()) {
        const auto& c = *it->second;
        outcome.ok = c.ok();
        outcome.retry_after = c.retry_after;
        outcome.ttl = c.ttl;
        outcome.max_age = c.max_age;
        ++fetches_by_outcome_[c.outcome];
        refreshes_.record(path, {cycle, c.outcome, c.new_articles, c.error});
      } else if (!stopping_) {
        // No report: the cycle was rolled back (store failure); try again on the error path.
        refreshes_.record(path, {cycle, "error", 0, report.write_error});
      }
      scheduler_.completed(path, outcome, now);
    }
    install_views(views, false);
    store_snapshot_ = std::move(snap);
    last_cycle_seconds_ = std::chrono::duration<double>(report.duration).count();
    last_cycle_end_ = now;
    spdlog::info("cycle {}: {}", cycle, report.summary());
    lib::sd_notify_state("STATUS=" + report.summary());
    if (stopping_) {
      io_.stop();
      return;
    }
    on_timer();
  }

  // Worker thread.
  StoreSnapshot snapshot_store() const {
    StoreSnapshot s;
    try {
      for (const auto* ch : worker_config_->channels()) {
        if (auto st = store_->channel_state(ch->path())) s.states[ch->path()] = *st;
        s.articles[ch->path()] = store_->article_count(ch->path());
      }
      s.total = store_->total_articles();
    } catch (const std::exception& e) {
      spdlog::error("reading channel states: {}", e.what());
    }
    return s;
  }

  // Worker thread, after a cycle: a cycle's buffers (bodies, articles, rendered feeds) are
  // spread over the pool threads' malloc arenas, which glibc keeps mapped; handing the free
  // pages back keeps a long-running daemon at its working set, not at its busiest cycle's.
  static void return_free_memory() { ::malloc_trim(0); }

  // Loop thread: `fresh` replaces the views of the same URL — keeping the old object, and so
  // its Last-Modified, when the bytes are the same — and with `complete` it is every view
  // there is (startup, reload), so views not in it are dropped.
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
    lib::sd_notify_reloading();
    spdlog::info("SIGHUP: reloading {}", config_path_.string());
    auto r = config::load_config(config_path_);
    for (const auto& w : r.warnings)
      spdlog::warn("{}", w);
    if (!r.config) {
      for (const auto& e : r.errors)
        spdlog::error("{}", e);
      spdlog::error("reload failed: keeping the previous configuration");
      // `systemctl status` shows why, not only that: the first error (PATH:LINE: message).
      std::string why = r.errors.empty() ? std::string("unknown error") : r.errors.front();
      std::replace(why.begin(), why.end(), '\n', ' ');
      lib::sd_notify_state("READY=1\nSTATUS=reload failed, kept the previous configuration: " +
                           why);
      return;
    }
    if (r.config->listen != config_.listen || r.config->state != config_.state) {
      spdlog::warn("listen/state changes take effect at the next restart");
      r.config->listen = config_.listen;
      r.config->state = config_.state;
    }
    config_ = *r.config;
    all_channels_.reset();
    scheduler_.set_channels(plans_of(config_), now_seconds());
    // The worker switches config between cycles (its queue is ordered), then rewrites the
    // views so new categories have feeds at once.
    asio::post(work_, [this, cfg = *r.config] {
      assert_worker_thread("reload");
      *worker_config_ = cfg;
      pipeline_ = std::make_unique<Pipeline>(*worker_config_, *store_, &served_views_);
      std::string error;
      pipeline_->write_views(now_seconds(), error);
      auto views = served_views_.take();
      auto snap = snapshot_store();
      return_free_memory();
      asio::post(io_, [this, views = std::move(views), snap = std::move(snap)]() mutable {
        install_views(views, true);
        store_snapshot_ = std::move(snap);
      });
    });
    spdlog::info("reloaded: {} channels", config_.channels().size());
    lib::sd_notify_state("READY=1\nSTATUS=reloaded");
    on_timer();
  }

  void shutdown(int sig) {
    spdlog::info("{}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    lib::sd_notify_state("STOPPING=1");
    stopping_ = true;
    server_.stop();
    timer_.cancel();
    watchdog_.cancel();
    signals_.cancel();
    if (!cycle_running_) {
      io_.stop();
      return;
    }
    // Fetches stop at once; what was fetched is still committed, within the grace period.
    fetcher_->cancel();
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
  const asio::io_context::executor_type worker_executor_ = work_.get_executor();
  asio::executor_work_guard<asio::io_context::executor_type> work_guard_{work_.get_executor()};
  asio::signal_set signals_;
  asio::steady_timer timer_;
  asio::steady_timer watchdog_;
  asio::steady_timer grace_;
  std::chrono::microseconds watchdog_period_{0};
  std::mt19937 rng_{std::random_device{}()};
  std::uniform_real_distribution<double> jitter_{-1.0, 1.0};
  schedule::Scheduler scheduler_;
  serve::Server server_;
  std::thread worker_;

  // Worker-owned after start (created before the thread, destroyed after it joins).
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<fetch::Fetcher> fetcher_;
  std::unique_ptr<config::Config> worker_config_;
  ServedViews served_views_;  // the pipeline renders into it; outlives it
  std::unique_ptr<Pipeline> pipeline_;

  // Loop-owned.
  serve::ViewMap views_;
  StoreSnapshot store_snapshot_;
  bool cycle_running_ = false;
  bool stopping_ = false;
  std::uint64_t cycle_seq_ = 0;
  RefreshTracker refreshes_{kRefreshHistory};
  std::shared_ptr<const std::vector<std::string>> all_channels_;  // of config_, made on demand
  std::map<std::string, std::uint64_t> fetches_by_outcome_;
  sys_seconds started_{};
  double last_cycle_seconds_ = 0;
  std::optional<sys_seconds> last_cycle_end_;
};

}  // namespace

int run_daemon(const fs::path& config_path) {
  // A reader hanging up mid-response must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
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
