#pragma once
// What feedd does after a cycle that wrote posts: run the on_new_posts hook and POST the
// webhook, both off the caller's thread (see hook.hpp and webhook.hpp).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "notify/hook.hpp"
#include "notify/webhook.hpp"

namespace feedd::notify {

struct NotifyStats {
  HookStats hook;
  WebhookStats webhook;
};

// The hook's timeout: `hexo generate` of a large blog takes minutes, a hung one must not
// hold the next run back forever.
inline constexpr std::chrono::minutes kHookTimeout{10};

// Thread-safe. Destroying it stops both threads at once (a running hook is killed).
class Notifier {
 public:
  // `hook_argv` empty: no hook; `webhook_url` "": no webhook. `posts` is the folder the post
  // files are in (the hook gets absolute(posts) / file). `spawner` and `poster` are injected for
  // tests; nullptr / {} take the real ones.
  Notifier(std::vector<std::string> hook_argv, std::string webhook_url, std::filesystem::path posts,
           std::unique_ptr<Spawner> spawner = nullptr, Poster poster = {},
           std::chrono::milliseconds hook_timeout = kHookTimeout);

  bool enabled() const { return hook_ || webhook_; }
  // After a cycle: queues one hook run and one webhook POST for `posts`; no-op when empty.
  // Returns at once.
  void after_cycle(const std::vector<NewPost>& posts);
  // `feedd once`: waits for the hook to finish, and for the webhook queue to empty or
  // `webhook_limit` to pass.
  void wait(std::chrono::milliseconds webhook_limit);
  NotifyStats stats() const;

 private:
  std::filesystem::path posts_;
  std::unique_ptr<HookRunner> hook_;
  std::unique_ptr<WebhookSender> webhook_;
};

}  // namespace feedd::notify
