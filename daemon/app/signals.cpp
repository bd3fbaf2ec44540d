#include "app/signals.hpp"

#include <csignal>
#include <string>

#include "app/thread_check.hpp"

namespace feedd::app {

SignalAction signal_action(int sig) {
  switch (sig) {
    case SIGHUP:
      return SignalAction::reload;
    case SIGUSR1:
      return SignalAction::refresh_all;
    case SIGTERM:
    case SIGINT:
      return SignalAction::stop;
    default:
      return SignalAction::none;
  }
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGHUP:
      return "SIGHUP";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal " + std::to_string(sig);
  }
}

void ignore_sigpipe() {
  std::signal(SIGPIPE, SIG_IGN);
}

SignalWatcher::SignalWatcher(boost::asio::io_context& loop)
    : loop_(loop), signals_(loop, SIGHUP, SIGUSR1, SIGTERM) {
  signals_.add(SIGINT);  // the constructor takes at most three
}

void SignalWatcher::start(Handler handler) {
  assert_thread(loop_.get_executor(), "SignalWatcher::start", "event-loop");
  handler_ = std::move(handler);
  wait();
}

void SignalWatcher::cancel() {
  assert_thread(loop_.get_executor(), "SignalWatcher::cancel", "event-loop");
  signals_.cancel();
}

void SignalWatcher::wait() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    const auto action = signal_action(sig);
    handler_(action, sig);
    if (action != SignalAction::stop) wait();
  });
}

}  // namespace feedd::app
