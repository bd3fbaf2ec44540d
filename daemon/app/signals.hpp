#pragma once
// The daemon's signals, handled inside its event loop. A boost::asio::signal_set installs the
// process-wide handlers; whichever thread the kernel delivers a signal to, the handler only
// records it, and the action runs later as an ordinary handler on the loop thread. So no signal
// is blocked and none needs to be: the worker thread may receive one, and nothing happens there.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <string>

namespace feedd::app {

// What the daemon does on a signal.
enum class SignalAction {
  reload,       // SIGHUP: reload feeds.yaml (validated in full first)
  refresh_all,  // SIGUSR1: every channel due now
  stop,         // SIGTERM, SIGINT: stop accepting, finish in-flight work within the grace
  none,         // any other signal (not registered by SignalWatcher)
};

SignalAction signal_action(int sig);

// "SIGHUP", "SIGUSR1", "SIGTERM", "SIGINT", or "signal N" for the log.
std::string signal_name(int sig);

// Ignores SIGPIPE for the whole process, so that a reader hanging up mid-response is an error
// value on that socket, not the daemon's death. Call before any thread starts.
void ignore_sigpipe();

// Watches SIGHUP, SIGUSR1, SIGTERM and SIGINT. Owned by the thread running `loop`: start() and
// cancel() assert it, and the handler runs there. Signals arriving between construction and
// start() are kept by asio and handled once started. Throws boost::system::system_error when a
// handler cannot be installed.
class SignalWatcher {
 public:
  using Handler = std::function<void(SignalAction action, int sig)>;

  explicit SignalWatcher(boost::asio::io_context& loop);

  // Calls `handler` for every signal until a stop signal, which is the last one delivered: after
  // it the watcher waits no more, so a second SIGTERM is absorbed and the daemon's grace period
  // alone bounds the exit.
  void start(Handler handler);

  // No handler runs after this (pending waits end with operation_aborted).
  void cancel();

 private:
  void wait();

  boost::asio::io_context& loop_;
  boost::asio::signal_set signals_;
  Handler handler_;
};

}  // namespace feedd::app
