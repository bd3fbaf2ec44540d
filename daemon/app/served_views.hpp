#pragma once
// The daemon's ViewSink: each rendered feed and the OPML made servable (ETag, gzip) as it is
// rendered, on the pool thread that rendered it — so compressing hundreds of feeds takes every
// core — and kept until the daemon takes them to install.
//
// Threading: rendered() from any thread; take() from any thread. Never throws but bad_alloc.
#include <mutex>

#include "app/view_writer.hpp"
#include "serve/http.hpp"

namespace feedd::app {

class ServedViews final : public ViewSink {
 public:
  void rendered(const std::string& file, std::string bytes, std::chrono::sys_seconds now) override;
  // Compresses on the calling (pool) thread; the view joins take()'s only when the returned
  // function runs. Holds the view as served (gzip and all), not a second copy of the bytes.
  std::function<void()> prepare(const std::string& file, std::string bytes,
                                std::chrono::sys_seconds now) override;

  // The views rendered since the last call, by URL path ("/feeds/all.xml"). A view not in it
  // is unchanged.
  serve::ViewMap take();

 private:
  std::mutex mutex_;
  serve::ViewMap views_;
};

}  // namespace feedd::app
