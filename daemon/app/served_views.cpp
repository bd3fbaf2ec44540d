#include "app/served_views.hpp"

#include <memory>
#include <utility>

namespace feedd::app {

namespace {

std::shared_ptr<const serve::View> servable(const std::string& file, std::string bytes,
                                            std::chrono::sys_seconds now) {
  const char* type = file.ends_with(".opml") ? "text/x-opml; charset=utf-8"
                                             : "application/atom+xml; charset=utf-8";
  return std::make_shared<const serve::View>(serve::make_view(type, std::move(bytes), now));
}

}  // namespace

void ServedViews::rendered(const std::string& file, std::string bytes,
                           std::chrono::sys_seconds now) {
  auto view = servable(file, std::move(bytes), now);
  std::lock_guard lock(mutex_);
  views_["/" + file] = std::move(view);
}

std::function<void()> ServedViews::prepare(const std::string& file, std::string bytes,
                                           std::chrono::sys_seconds now) {
  return [this, path = "/" + file, view = servable(file, std::move(bytes), now)]() mutable {
    std::lock_guard lock(mutex_);
    views_[path] = std::move(view);
  };
}

serve::ViewMap ServedViews::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(views_, {});
}

}  // namespace feedd::app
