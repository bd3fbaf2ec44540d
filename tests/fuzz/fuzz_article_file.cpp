// article::read_article_file on arbitrary bytes: no crash, no UB, no leak, and whatever it
// accepts round-trips as documented: render(read(render(a))) == render(a).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "article/article.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto first = feedd::article::read_article_file(text, "fuzz.md");
  if (!first.article) {
    FUZZ_CHECK(!first.error.empty(), "a refused file says why");
    return 0;
  }
  const std::string rendered = feedd::article::render_article_file(*first.article);
  const auto second = feedd::article::read_article_file(rendered, "rendered.md");
  FUZZ_CHECK(second.article.has_value(), "a rendered article reads back");
  FUZZ_CHECK(feedd::article::render_article_file(*second.article) == rendered,
             "render(read(render(a))) == render(a)");
  return 0;
}
