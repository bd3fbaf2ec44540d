// render_atom of one feed of 50 entries (the default feed_entries) made from corpus items.
// MB/s counts the Atom document written.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>

#include "article/article.hpp"
#include "corpus.hpp"
#include "emit/emit.hpp"
#include "emit/xml_writer.hpp"

namespace {

std::vector<feedd::emit::Entry> entries(std::size_t n) {
  feedd::article::Context ctx;
  ctx.categories = {"新媒体", "ZAKER", "频道 0000"};
  ctx.author = "ZAKER";
  ctx.image_proxy = "https://cors.zfour.workers.dev/?";
  ctx.now = std::chrono::sys_seconds{std::chrono::seconds{1626084000}};
  std::vector<feedd::emit::Entry> out;
  // Three documents give 90 distinct items; emit sees entries newest first.
  for (const auto* name :
       {&feedd::bench::kRssFile, &feedd::bench::kWechatFile, &feedd::bench::kAtomFile}) {
    for (const auto& item : feedd::bench::corpus_items(*name)) {
      if (out.size() == n) break;
      if (auto a = feedd::article::make_article(item, ctx)) {
        out.push_back({std::move(*a),
                       {"ZAKER - 频道 0000", "http://www.myzaker.com/source/10000", "",
                        "https://rsshub.app/zaker/channel/0", "新媒体 › ZAKER › 频道 0000"}});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.article.date > b.article.date; });
  return out;
}

// render_atom of state.range(0) entries; without stored summaries (articles read from article
// files, or rows stored before summaries were) render_atom makes each with html_to_text, a
// gumbo parse.
void render_atom(benchmark::State& state, bool with_summaries) {
  auto list = entries(static_cast<std::size_t>(state.range(0)));
  if (list.size() != static_cast<std::size_t>(state.range(0))) {
    state.SkipWithError("not enough corpus items");
    return;
  }
  if (!with_summaries) {
    for (auto& e : list)
      e.article.summary.reset();
  }
  const feedd::emit::FeedNode node{"xinmeiti/zaker/c0000", "新媒体 › ZAKER › 频道 0000",
                                   "feeds/xinmeiti/zaker/c0000.xml",
                                   "http://127.0.0.1:8080/feeds/f0000.rss.xml", 3};
  const std::chrono::sys_seconds epoch{};
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto xml = feedd::emit::render_atom(node, list, "http://127.0.0.1:8080/", epoch);
    bytes += xml.size();
    benchmark::DoNotOptimize(xml);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * list.size()));
}

void BM_RenderAtom(benchmark::State& state) {
  render_atom(state, true);
}

void BM_RenderAtomWithoutSummaries(benchmark::State& state) {
  render_atom(state, false);
}

// The character pass alone over the 50 entries' HTML (69% of its bytes CJK, 2.4% markup):
// xml_safe_text (valid input: one scan, one copy) and append_xml_text (sanitise and escape).
// MB/s counts the HTML read.
template <typename F>
void html_pass(benchmark::State& state, F f) {
  const auto list = entries(50);
  std::size_t bytes = 0;
  std::string out;
  for (auto _ : state) {
    for (const auto& e : list) {
      out.clear();
      f(out, e.article.html);
      bytes += e.article.html.size();
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_XmlSafeTextHtml(benchmark::State& state) {
  html_pass(state, [](std::string& out, const std::string& html) {
    out = feedd::emit::xml_safe_text(html);
  });
}

void BM_AppendXmlTextHtml(benchmark::State& state) {
  html_pass(state, [](std::string& out, const std::string& html) {
    feedd::emit::append_xml_text(out, html);
  });
}

BENCHMARK(BM_RenderAtom)->Arg(50);
BENCHMARK(BM_RenderAtomWithoutSummaries)->Arg(50);
BENCHMARK(BM_XmlSafeTextHtml);
BENCHMARK(BM_AppendXmlTextHtml);

}  // namespace
