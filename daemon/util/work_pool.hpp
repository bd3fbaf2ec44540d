#pragma once
// A fixed pool of threads for CPU-bound work (parsing, HTML rewriting) whose results are
// applied back on the owner thread. Work runs on the pool; the continuation it returns runs
// in drain(), on the thread that owns the pool — so state like the store is only ever touched
// from one thread.
//
// Threading: submit() and drain() are called from the owner thread only. Work functions must
// not touch owner-thread state; they may throw, and the exception is rethrown by drain().
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

  // `threads` workers (at least 1). At most `max_pending` submitted-but-undrained items: a
  // submit() beyond that first drains, bounding the memory that queued work holds.
  explicit WorkPool(unsigned threads, std::size_t max_pending = 16);
  ~WorkPool();  // finishes queued work, joins; pending continuations are dropped
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void submit(Work work);

  // Runs the continuations of finished work. With `wait`, keeps going until nothing is
  // queued or running (continuations may submit more work). Rethrows the first exception
  // thrown by a work function.
  void drain(bool wait);

  // Threads worth using here: the hardware's cores, at most 4, at least 1.
  static unsigned default_threads();

 private:
  void worker();

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable done_ready_;
  std::deque<Work> queue_;
  std::deque<Continuation> done_;
  std::exception_ptr error_;
  std::size_t pending_ = 0;  // submitted, continuation not yet run
  std::size_t max_pending_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace feedd
