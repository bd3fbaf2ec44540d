#pragma once
// The article files (<output>/posts/<hash>.md): staged on the work pool while the store's
// transaction is open, put in place after it commits, discarded when it rolls back; and the
// scan that rebuilds the files missing from the folder (deleted, or never written because a
// write failed).
//
// Threading: owner thread only (the pool's owner); rendering runs on the pool. publish() may
// run on another thread while the owner does not use the writer (the cycle's PostPublisher).
// Never throws but store::StoreError from restore_missing(). Write failures are logged and
// returned.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "article/article.hpp"
#include "store/store.hpp"
#include "util/atomic_file.hpp"
#include "util/fresh_folder.hpp"
#include "util/work_pool.hpp"

namespace feedd::app {

class PostWriter {
 public:
  // Renders one article file; called on pool threads, so it must be pure.
  using Render = std::function<std::string(const article::Article&)>;

  // Files go to `output`/posts; `render` defaults to article::render_article_file.
  explicit PostWriter(std::filesystem::path output, Render render = {});

  // Renders and stages the files of `articles` on `pool`; they are appended to `out` (owner
  // thread) as the pool drains. With `fresh` (from fresh_folder()), the files go to it instead
  // and `out` is left alone. `out` and `fresh` must outlive the pool's work.
  void stage(WorkPool& pool, std::vector<article::Article> articles, std::vector<StagedFile>& out,
             FreshFolder* fresh = nullptr) const;

  // When the posts folder is missing (a first cycle), a FreshFolder that builds it beside and
  // renames it into place whole; nullptr otherwise. Owner thread.
  std::unique_ptr<FreshFolder> fresh_folder() const;

  // Puts staged files in place. Logs the first failure (and sets `error` if empty), counts
  // the rest; any failure makes the restore_missing() after the next one scan again. Returns
  // the files whose bytes changed.
  int publish(std::vector<StagedFile>& staged, std::string& error);
  // The same for a FreshFolder that flush() left ready: puts it in place.
  int publish(FreshFolder& fresh, std::string& error);

  // Removes the files of a rolled-back transaction and any temporaries left beside them.
  // Call after the pool that staged them has finished.
  void discard(std::vector<StagedFile>& staged) const;

  // Rebuilds the article files of `store` missing from the folder, when due: on the first
  // call, and on the call after the one that follows a failed write (not the one right after,
  // which would only log the same failure twice). Returns the files changed.
  int restore_missing(const store::Store& store, std::string& error);

 private:
  std::filesystem::path output_;
  std::filesystem::path posts_;
  Render render_;
  bool scan_due_ = true;
  bool failed_ = false;  // a write failed since the last restore_missing()
};

}  // namespace feedd::app
