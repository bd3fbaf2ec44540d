#pragma once
// A fixed pool of threads for CPU-bound work (parsing, HTML rewriting) whose results are
// applied back on the owner thread. Work runs on the pool; the continuation it returns runs
// in drain(), on the thread that owns the pool — so state like the store is only ever touched
// from one thread.
//
// Threading: submit() and drain() are called from the owner thread only. Work functions must
// not touch owner-thread state; they may throw, and the exception is rethrown by drain().
// Continuations run only in drain(), never in submit(), and never one inside another: a
// continuation may submit() more work, but calling drain() from one aborts the process (it
// would run other continuations re-entrantly, in the middle of the caller's state change).
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace feedd {

class WorkPool {
 public:
  using Continuation = std::function<void()>;
  using Work = std::function<Continuation()>;

  // `threads` workers (at least 1). At most `max_pending` items queued and not yet started: a
  // submit() beyond that waits for a worker to take one (it never runs continuations), which
  // bounds the memory that queued work holds. Finished work waits for the owner's next drain():
  // with queued, running and finished work in flight, 8 keeps a cold cycle's peak RSS where
  // the old bound of 16 undrained items had it.
  explicit WorkPool(unsigned threads, std::size_t max_pending = 8);
  ~WorkPool();  // finishes queued work, joins; pending continuations are dropped
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `work`; may block while the queue is full. Callable from a continuation.
  void submit(Work work);

  // Runs the continuations of finished work. With `wait`, keeps going until nothing is
  // queued or running (continuations may submit more work). Rethrows the first exception
  // thrown by a work function. Aborts when called from a continuation.
  void drain(bool wait);

  // Threads worth using here: the hardware's cores, at most 4, at least 1.
  static unsigned default_threads();

 private:
  void worker();

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable done_ready_;
  std::condition_variable queue_room_;
  std::deque<Work> queue_;
  std::deque<Continuation> done_;
  std::exception_ptr error_;
  std::size_t pending_ = 0;       // submitted, continuation not yet run
  std::size_t max_pending_;       // bound of queue_
  bool in_continuation_ = false;  // owner thread only
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace feedd
