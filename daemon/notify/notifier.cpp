#include "notify/notifier.hpp"

#include <system_error>
#include <utility>

namespace feedd::notify {

Notifier::Notifier(std::vector<std::string> hook_argv, std::string webhook_url,
                   std::filesystem::path posts, std::unique_ptr<Spawner> spawner, Poster poster,
                   std::chrono::milliseconds hook_timeout)
    : posts_(std::move(posts)) {
  // Absolute, so that the hook finds the posts whatever folder it changes to.
  std::error_code ec;
  if (auto abs = std::filesystem::absolute(posts_, ec); !ec) posts_ = abs.lexically_normal();
  if (!hook_argv.empty()) {
    hook_ = std::make_unique<HookRunner>(std::move(hook_argv), hook_timeout,
                                         spawner ? std::move(spawner) : make_process_spawner());
  }
  if (!webhook_url.empty()) {
    webhook_ = std::make_unique<WebhookSender>(std::move(webhook_url),
                                               poster ? std::move(poster) : make_curl_poster());
  }
}

void Notifier::after_cycle(const std::vector<NewPost>& posts) {
  if (posts.empty()) return;
  if (hook_) {
    std::vector<std::string> paths;
    paths.reserve(posts.size());
    for (const auto& p : posts)
      paths.push_back((posts_ / p.file).string());
    hook_->notify(std::move(paths));
  }
  if (webhook_) webhook_->post(webhook_body(posts));
}

void Notifier::wait(std::chrono::milliseconds webhook_limit) {
  if (hook_) hook_->wait_idle();
  if (webhook_) webhook_->wait_idle(webhook_limit);
}

NotifyStats Notifier::stats() const {
  NotifyStats s;
  if (hook_) s.hook = hook_->stats();
  if (webhook_) s.webhook = webhook_->stats();
  return s;
}

}  // namespace feedd::notify
