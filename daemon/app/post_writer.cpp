#include "app/post_writer.hpp"

#include <spdlog/spdlog.h>

#include <string_view>
#include <system_error>
#include <unordered_set>

#include "article/article_file.hpp"

namespace feedd::app {
namespace fs = std::filesystem;

PostWriter::PostWriter(fs::path output, Render render)
    : output_(std::move(output)), posts_(output_ / "posts"), render_(std::move(render)) {
  if (!render_) render_ = [](const article::Article& a) { return article::render_article_file(a); };
}

void PostWriter::stage(WorkPool& pool, std::vector<article::Article> articles,
                       std::vector<StagedFile>& out, FreshFolder* fresh) const {
  if (fresh != nullptr) {
    pool.submit(
        [articles = std::move(articles), render = render_, fresh]() -> WorkPool::Continuation {
          for (const auto& a : articles)
            fresh->add(a.hash + ".md", render(a));
          return {};
        });
    return;
  }
  pool.submit([articles = std::move(articles), posts = posts_, render = render_,
               &out]() -> WorkPool::Continuation {
    std::vector<StagedFile> staged;
    staged.reserve(articles.size());
    // No comparison with a file already there: the hash is new to the store, or its file is
    // missing, so any file by that name is stale.
    for (const auto& a : articles)
      staged.push_back(stage_file(posts / (a.hash + ".md"), render(a), false));
    return [staged = std::move(staged), &out]() mutable {
      std::move(staged.begin(), staged.end(), std::back_inserter(out));
    };
  });
}

int PostWriter::publish(std::vector<StagedFile>& staged, std::string& error) {
  publish_staged(staged);
  int changed = 0;
  int failed = 0;
  for (const auto& f : staged) {
    const auto& w = f.result;
    if (w.ok) {
      changed += w.changed ? 1 : 0;
      continue;
    }
    // A full disk or a missing folder fails every post alike: the first one is logged, the
    // rest are counted.
    if (failed++ == 0) {
      spdlog::error("write failed: {}", w.error);
      if (error.empty()) error = w.error;
    }
  }
  if (failed > 1) {
    spdlog::error("write failed: {} more article files under {}", failed - 1, posts_.string());
  }
  // The store has committed these articles: a post that could not be written is not rolled
  // back but rebuilt by a later scan, in this process (daemon) or the next (once).
  if (failed > 0) failed_ = true;
  return changed;
}

std::unique_ptr<FreshFolder> PostWriter::fresh_folder() const {
  return FreshFolder::open(posts_);
}

int PostWriter::publish(FreshFolder& fresh, std::string& error) {
  const int placed = fresh.publish(error);
  if (fresh.failed() > 0) {
    spdlog::error("write failed: {}", fresh.first_error());
    if (fresh.failed() > 1) {
      spdlog::error("write failed: {} more article files under {}", fresh.failed() - 1,
                    posts_.string());
    }
    // Rebuilt by the next scan, as for a post that could not be staged.
    failed_ = true;
  }
  return placed;
}

void PostWriter::discard(std::vector<StagedFile>& staged) const {
  discard_staged(staged);
  remove_stale_temporaries(posts_);
}

int PostWriter::restore_missing(const store::Store& store, std::string& error) {
  int changed = 0;
  if (scan_due_) {
    // The files are views of the store: a deleted or half-written one is rebuilt. One listing
    // of the folder, not a stat per article.
    remove_stale_temporaries(output_);
    std::unordered_set<std::string> present;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(posts_, ec)) {
      // By string, not by path: tens of thousands of entries, and path::stem() and
      // extension() each allocate.
      std::string_view name = e.path().native();
      name.remove_prefix(name.rfind('/') + 1);
      if (name.ends_with(".md")) present.emplace(name.substr(0, name.size() - 3));
    }
    WorkPool pool(WorkPool::default_threads());
    std::vector<StagedFile> staged;
    std::vector<article::Article> batch;
    for (const auto& hash : store.all_hashes()) {
      if (present.contains(hash)) continue;
      if (auto a = store.article(hash)) batch.push_back(std::move(*a));
      if (batch.size() >= 64) stage(pool, std::exchange(batch, {}), staged);
    }
    if (!batch.empty()) stage(pool, std::move(batch), staged);
    pool.drain(true);
    changed = publish(staged, error);
  }
  // Failures of this call or of the posts published just before it: scan next time.
  scan_due_ = failed_;
  failed_ = false;
  return changed;
}

}  // namespace feedd::app
