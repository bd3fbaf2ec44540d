#include "app/watchdog.hpp"

#include <algorithm>
#include <utility>

#include "app/thread_check.hpp"
#include "lib/systemd/notify.hpp"

namespace feedd::app {

std::chrono::microseconds watchdog_kick_interval(std::chrono::microseconds period) {
  return std::max(period / 2, kMinWatchdogKick);
}

ServiceNotifier::ServiceNotifier(boost::asio::io_context& loop, Sink sink)
    : loop_(loop),
      sink_(sink ? std::move(sink) : Sink([](const std::string& s) { lib::sd_notify_state(s); })),
      timer_(loop) {}

void ServiceNotifier::assert_loop(const char* what) const {
  assert_thread(loop_.get_executor(), what, "event-loop");
}

void ServiceNotifier::ready(std::string_view status) {
  assert_loop("ServiceNotifier::ready");
  sink_("READY=1\nSTATUS=" + std::string(status));
}

void ServiceNotifier::reloading() {
  assert_loop("ServiceNotifier::reloading");
  sink_(lib::sd_reloading_state());
}

void ServiceNotifier::status(std::string_view status) {
  assert_loop("ServiceNotifier::status");
  sink_("STATUS=" + std::string(status));
}

void ServiceNotifier::stopping() {
  assert_loop("ServiceNotifier::stopping");
  stopped_ = true;
  timer_.cancel();
  sink_("STOPPING=1");
}

void ServiceNotifier::start_watchdog(std::optional<std::chrono::microseconds> period) {
  assert_loop("ServiceNotifier::start_watchdog");
  if (!period || stopped_) return;
  interval_ = watchdog_kick_interval(*period);
  kick();
}

void ServiceNotifier::kick() {
  sink_("WATCHDOG=1");
  if (stopped_) return;  // the sink may have led to stopping()
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) kick();
  });
}

}  // namespace feedd::app
