// The article stage per item: make_article (title hash, gumbo rewrite of images, sanitising,
// date) and render_article_file, over every item of a generated feed. MB/s counts body HTML.
#include <benchmark/benchmark.h>

#include <chrono>

#include "article/article.hpp"
#include "corpus.hpp"

namespace {

using feedd::article::Context;

Context context() {
  Context c;
  c.categories = {"新媒体", "ZAKER", "频道 0000"};
  c.author = "ZAKER";
  c.image_proxy = "https://cors.zfour.workers.dev/?";
  c.now = std::chrono::sys_seconds{std::chrono::seconds{1626084000}};
  return c;
}

std::size_t html_bytes(const std::vector<feedd::parse::FeedItem>& items) {
  std::size_t n = 0;
  for (const auto& i : items)
    n += i.html.size();
  return n;
}

void BM_MakeArticle(benchmark::State& state, const std::string& name) {
  const auto& items = feedd::bench::corpus_items(name);
  const Context ctx = context();
  for (auto _ : state) {
    for (const auto& item : items) {
      auto a = feedd::article::make_article(item, ctx);
      if (!a) {
        state.SkipWithError("make_article refused a corpus item");
        return;
      }
      benchmark::DoNotOptimize(a);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * html_bytes(items)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * items.size()));
}

void BM_ArticleTransform(benchmark::State& state, const std::string& name) {
  const auto& items = feedd::bench::corpus_items(name);
  const Context ctx = context();
  for (auto _ : state) {
    for (const auto& item : items) {
      auto a = feedd::article::make_article(item, ctx);
      if (!a) {
        state.SkipWithError("make_article refused a corpus item");
        return;
      }
      auto file = feedd::article::render_article_file(*a);
      benchmark::DoNotOptimize(file);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * html_bytes(items)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * items.size()));
}

void BM_RenderArticleFile(benchmark::State& state) {
  const auto& items = feedd::bench::corpus_items(feedd::bench::kRssFile);
  std::vector<feedd::article::Article> articles;
  for (const auto& item : items)
    if (auto a = feedd::article::make_article(item, context())) articles.push_back(std::move(*a));
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& a : articles) {
      auto file = feedd::article::render_article_file(a);
      bytes += file.size();
      benchmark::DoNotOptimize(file);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * articles.size()));
}

void BM_TitleHash(benchmark::State& state) {
  const auto& items = feedd::bench::corpus_items(feedd::bench::kRssFile);
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& item : items) {
      auto h = feedd::article::title_hash(item.title);
      bytes += item.title.size();
      benchmark::DoNotOptimize(h);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * items.size()));
}

BENCHMARK_CAPTURE(BM_MakeArticle, zaker, feedd::bench::kRssFile);
BENCHMARK_CAPTURE(BM_MakeArticle, wechat, feedd::bench::kWechatFile);
BENCHMARK_CAPTURE(BM_ArticleTransform, zaker, feedd::bench::kRssFile);
BENCHMARK_CAPTURE(BM_ArticleTransform, atom, feedd::bench::kAtomFile);
BENCHMARK(BM_RenderArticleFile);
BENCHMARK(BM_TitleHash);

}  // namespace
