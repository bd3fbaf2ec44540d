#include "util/work_pool.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace feedd {

WorkPool::WorkPool(unsigned threads, std::size_t max_pending)
    : max_pending_(std::max<std::size_t>(1, max_pending)) {
  threads = std::max(1u, threads);
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { worker(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_)
    t.join();
}

unsigned WorkPool::default_threads() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

void WorkPool::submit(Work work) {
  {
    std::unique_lock lock(mutex_);
    // Waiting, not draining: the workers empty the queue without the owner, and a submit()
    // from a continuation must not run another continuation in the middle of it.
    queue_room_.wait(lock, [this] { return queue_.size() < max_pending_; });
    ++pending_;
    queue_.push_back(std::move(work));
  }
  work_ready_.notify_one();
}

void WorkPool::drain(bool wait) {
  if (in_continuation_) {
    std::fputs("feedd: WorkPool::drain called from a continuation\n", stderr);
    std::abort();
  }
  while (true) {
    std::deque<Continuation> ready;
    {
      std::unique_lock lock(mutex_);
      if (wait) {
        done_ready_.wait(lock, [this] { return !done_.empty() || error_ || pending_ == 0; });
      }
      if (error_) {
        auto e = error_;
        error_ = nullptr;
        std::rethrow_exception(e);
      }
      ready.swap(done_);
    }
    for (auto& c : ready) {
      {
        std::lock_guard lock(mutex_);
        --pending_;
      }
      if (!c) continue;
      // Reset on the way out too: a continuation may throw (a store error) to the owner.
      in_continuation_ = true;
      struct Reset {
        bool& flag;
        ~Reset() { flag = false; }
      } reset{in_continuation_};
      c();
    }
    if (!wait) return;
    std::lock_guard lock(mutex_);
    if (pending_ == 0 && done_.empty()) return;
  }
}

void WorkPool::worker() {
  while (true) {
    Work work;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    queue_room_.notify_one();
    Continuation c;
    std::exception_ptr error;
    try {
      c = work();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      if (error && !error_) error_ = error;
      // A failed work item still completes, so drain(true) can finish.
      done_.push_back(error ? Continuation{} : std::move(c));
    }
    done_ready_.notify_all();
  }
}

}  // namespace feedd
