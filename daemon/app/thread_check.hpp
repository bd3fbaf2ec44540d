#pragma once
// Thread ownership, asserted rather than only stated. Each part of the daemon names the
// io_context whose thread owns it and checks, at its entry points, that it runs there
// (running_in_this_thread() on that context's executor). A call on the wrong thread is a data
// race waiting to happen: it aborts, so every test that reaches it fails.
namespace feedd::app {

// Logs "`what` called outside the `owner` thread" and aborts.
[[noreturn]] void wrong_thread(const char* what, const char* owner);

// Aborts through wrong_thread() unless the caller runs inside `executor` (e.g. in a handler of
// the io_context it belongs to). `what` and `owner` are static strings for the message.
template <class Executor>
void assert_thread(const Executor& executor, const char* what, const char* owner) {
  if (!executor.running_in_this_thread()) wrong_thread(what, owner);
}

}  // namespace feedd::app
