#pragma once
// The daemon's worker side: the store, the fetcher, the worker's copy of the config and the
// pipeline. Thread: open() runs at startup, before the worker thread exists; from then on the
// thread running `work` owns every member (cycle() and reload() assert it), except
// cancel_fetches(). Results travel back to the loop thread as values.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/daemon_status.hpp"
#include "app/pipeline.hpp"
#include "app/served_views.hpp"
#include "config/config.hpp"
#include "fetch/fetcher.hpp"
#include "notify/notifier.hpp"
#include "store/store.hpp"

namespace feedd::app {

class DaemonWorker {
 public:
  // What the loop thread gets after the worker wrote views.
  struct Output {
    serve::ViewMap views;  // rendered since the last output (every view after open, reload)
    StoreSnapshot store;
    std::string image_proxy_key;  // images: proxy: the key /img/ URLs are signed with
  };
  struct CycleOutput : Output {
    CycleReport report;
  };

  // `work` is the worker's io_context; it must outlive this object.
  explicit DaemonWorker(boost::asio::io_context& work);

  // Startup, before the worker thread starts: opens the store (creating its folder), makes the
  // curl fetcher and the pipeline, and writes every view (missing files rebuilt). nullopt, after
  // logging why, when the store cannot be opened.
  std::optional<Output> open(const config::Config& config, std::chrono::sys_seconds now);

  // Worker thread: imports the inbox, prunes, then polls `paths`; the posts new in it (inbox's
  // and polls') go to the hook and the webhook.
  CycleOutput cycle(const std::vector<std::string>& paths, std::chrono::sys_seconds now);

  // Worker thread: switches to `config` (between cycles: the worker's queue is ordered) and
  // rewrites the views at once, so new categories have feeds. A changed hook or webhook
  // replaces the Notifier (a running hook is killed); an unchanged one keeps its queue.
  Output reload(const config::Config& config, std::chrono::sys_seconds now);

  // Any thread (the loop's shutdown): fetches in progress and later ones end as cancelled.
  void cancel_fetches();

 private:
  // Worker thread: a new Pipeline of worker_config_, cancelled at once after cancel_fetches().
  void replace_pipeline();

  Output write_views(std::chrono::sys_seconds now);

  boost::asio::io_context& work_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<fetch::Fetcher> fetcher_;
  std::unique_ptr<config::Config> worker_config_;
  ServedViews served_views_;  // the pipeline renders into it; outlives it
  std::unique_ptr<Pipeline> pipeline_;
  // cancel_fetches() (the loop thread) reaches pipeline_ while the worker may replace it.
  std::mutex cancel_mutex_;
  bool cancelled_ = false;
  // The on_new_posts hook and the webhook: after_cycle() only queues, so a cycle never waits.
  std::unique_ptr<notify::Notifier> notifier_;
};

}  // namespace feedd::app
