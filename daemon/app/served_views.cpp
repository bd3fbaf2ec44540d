#include "app/served_views.hpp"

#include <memory>
#include <utility>

namespace feedd::app {

void ServedViews::rendered(const std::string& file, std::string bytes,
                           std::chrono::sys_seconds now) {
  const char* type = file.ends_with(".opml") ? "text/x-opml; charset=utf-8"
                                             : "application/atom+xml; charset=utf-8";
  auto view = std::make_shared<const serve::View>(serve::make_view(type, std::move(bytes), now));
  std::lock_guard lock(mutex_);
  views_["/" + file] = std::move(view);
}

serve::ViewMap ServedViews::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(views_, {});
}

}  // namespace feedd::app
