#include "app/daemon_worker.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include "app/thread_check.hpp"

namespace feedd::app {
namespace fs = std::filesystem;

namespace {

// A cycle's buffers (bodies, articles, rendered feeds) are spread over the pool threads' malloc
// arenas, which glibc keeps mapped; handing the free pages back keeps a long-running daemon at
// its working set, not at its busiest cycle's.
void return_free_memory() {
  ::malloc_trim(0);
}

std::unique_ptr<notify::Notifier> make_notifier(const config::Config& cfg) {
  return std::make_unique<notify::Notifier>(cfg.on_new_posts, cfg.webhook, cfg.output / "posts");
}

}  // namespace

DaemonWorker::DaemonWorker(boost::asio::io_context& work) : work_(work) {}

std::optional<DaemonWorker::Output> DaemonWorker::open(const config::Config& config,
                                                       std::chrono::sys_seconds now) {
  try {
    fs::create_directories(config.state.parent_path());
    store_ = std::make_unique<store::Store>(config.state);
  } catch (const std::exception& e) {
    spdlog::error("{}: cannot open the store: {}", config.state.string(), e.what());
    return std::nullopt;
  }
  fetcher_ = fetch::make_curl_fetcher();
  worker_config_ = std::make_unique<config::Config>(config);
  replace_pipeline();
  notifier_ = make_notifier(config);
  return write_views(now);
}

DaemonWorker::CycleOutput DaemonWorker::cycle(const std::vector<std::string>& paths,
                                              std::chrono::sys_seconds now) {
  assert_thread(work_.get_executor(), "DaemonWorker::cycle", "worker");
  std::vector<notify::NewPost> new_posts;  // the inbox's and the cycle's, for one hook run
  pipeline_->import_inbox(now, &new_posts);
  pipeline_->prune(now);  // before the cycle, whose views then no longer list them
  CycleOutput out;
  out.report = pipeline_->run_cycle(*fetcher_, now, paths);
  new_posts.insert(new_posts.end(), out.report.new_posts.begin(), out.report.new_posts.end());
  notifier_->after_cycle(new_posts);
  out.views = served_views_.take();
  out.store = snapshot_store(*worker_config_, *store_);
  out.store.notify = notifier_->stats();
  return_free_memory();
  return out;
}

DaemonWorker::Output DaemonWorker::reload(const config::Config& config,
                                          std::chrono::sys_seconds now) {
  assert_thread(work_.get_executor(), "DaemonWorker::reload", "worker");
  if (config.on_new_posts != worker_config_->on_new_posts ||
      config.webhook != worker_config_->webhook || config.output != worker_config_->output) {
    notifier_ = make_notifier(config);
  }
  *worker_config_ = config;
  replace_pipeline();
  return write_views(now);
}

void DaemonWorker::cancel_fetches() {
  const std::lock_guard lock(cancel_mutex_);
  cancelled_ = true;
  if (fetcher_) fetcher_->cancel();
  if (pipeline_) pipeline_->cancel_fetches();
}

void DaemonWorker::replace_pipeline() {
  auto next = std::make_unique<Pipeline>(*worker_config_, *store_, &served_views_);
  const std::lock_guard lock(cancel_mutex_);
  // A reload racing with shutdown: the new pipeline's images are cancelled too.
  if (cancelled_) next->cancel_fetches();
  pipeline_ = std::move(next);
}

DaemonWorker::Output DaemonWorker::write_views(std::chrono::sys_seconds now) {
  std::string error;
  pipeline_->write_views(now, error);
  Output out;
  out.views = served_views_.take();
  out.store = snapshot_store(*worker_config_, *store_);
  if (notifier_) out.store.notify = notifier_->stats();
  out.image_proxy_key = pipeline_->image_proxy_key();
  return_free_memory();
  return out;
}

}  // namespace feedd::app
