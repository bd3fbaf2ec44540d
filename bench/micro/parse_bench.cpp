// parse_feed over whole generated documents: charset step, repair check and pugixml parse.
#include <benchmark/benchmark.h>

#include "corpus.hpp"
#include "parse/feed.hpp"

namespace {

void BM_ParseFeed(benchmark::State& state, const std::string& name) {
  const std::string& doc = feedd::bench::corpus_file(name);
  const auto options = feedd::bench::parse_options(name);
  std::size_t items = 0;
  for (auto _ : state) {
    auto r = feedd::parse::parse_feed(doc, options);
    if (!r.feed) {
      state.SkipWithError(r.error.c_str());
      return;
    }
    items += r.feed->items.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
  state.SetItemsProcessed(static_cast<int64_t>(items));
}

BENCHMARK_CAPTURE(BM_ParseFeed, rss_zaker, feedd::bench::kRssFile);
BENCHMARK_CAPTURE(BM_ParseFeed, rss_wechat, feedd::bench::kWechatFile);
BENCHMARK_CAPTURE(BM_ParseFeed, atom, feedd::bench::kAtomFile);

}  // namespace
