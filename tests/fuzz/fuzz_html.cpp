// article::rewrite_html and article::html_to_text on arbitrary bytes: no crash, no UB, no leak,
// html_to_text stays within its byte budget, and the rewritten HTML, parsed again as a reader
// would (a fragment in <div> context), holds no <script>, no on* attribute and no script URL;
// the summary that comes with it is html_to_text of it; and the serialiser's contract
// (tests/article/serialised_check.hpp): only allowlisted names and attributes, rewriting the
// output again gives the same bytes, and inside the post's <div> nothing lands outside it.
// Also web_url's fast path on the input and on each of its quote- or blank-separated pieces
// (the URLs of the seeds' attributes among them): an accepted URL is one curl writes back
// unchanged, and web_url agrees with the curl path on every piece.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "article/article.hpp"
#include "article/serialised_check.hpp"
#include "fuzz/fuzz_check.hpp"
#include "lib/curl/url.hpp"
#include "lib/gumbo/html_tree.hpp"

namespace {

std::string lower_without_blanks(std::string_view s) {
  std::string out;
  for (char c : s) {
    // Browsers ignore control characters and spaces inside the scheme of a URL.
    if (static_cast<unsigned char>(c) > 0x20) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

void check_clean(const GumboNode* node) {
  if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) return;
  const GumboElement& element = node->v.element;
  FUZZ_CHECK(element.tag != GUMBO_TAG_SCRIPT, "no <script> survives sanitising");
  for (unsigned i = 0; i < element.attributes.length; ++i) {
    const GumboAttribute* attr = feedd::lib::attribute(element.attributes, i);
    const std::string name = lower_without_blanks(attr->name);
    FUZZ_CHECK(!name.starts_with("on"), "no event-handler attribute survives sanitising");
    if (name == "href" || name == "src" || name == "action" || name == "formaction") {
      const std::string value = lower_without_blanks(attr->value);
      FUZZ_CHECK(!value.starts_with("javascript:") && !value.starts_with("vbscript:"),
                 "no script URL survives sanitising");
    }
  }
  const GumboVector& children = feedd::lib::children_of(node);
  for (unsigned i = 0; i < children.length; ++i)
    check_clean(feedd::lib::child(children, i));
}

void check_web_url(std::string_view url) {
  const auto via_curl = feedd::lib::detail::web_url_via_curl(url);
  if (feedd::lib::detail::is_canonical_web_url(url)) {
    FUZZ_CHECK(via_curl && *via_curl == url, "web_url's fast path takes only curl's own form");
  }
  FUZZ_CHECK(feedd::lib::web_url(url) == via_curl, "web_url agrees with its curl path");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);

  check_web_url(html);
  for (std::size_t start = 0; start < html.size();) {
    const auto end = std::min(html.find_first_of("\"' \n<>", start), html.size());
    if (end > start) check_web_url(html.substr(start, end - start));
    start = end + 1;
  }

  constexpr std::size_t kBudget = 120;
  const std::string text = feedd::article::html_to_text(html, kBudget);
  FUZZ_CHECK(text.size() <= kBudget + std::string_view("…").size(), "html_to_text budget");

  const feedd::article::RewriteOptions rewrite{.base_url = "https://news.example.com/a/b/page.html",
                                               .image_proxy = "https://proxy.example.net/?"};
  const auto result = feedd::article::rewrite_html(html, rewrite);
  feedd::lib::HtmlParseOptions options;
  options.fragment_context = GUMBO_TAG_DIV;
  if (auto tree = feedd::lib::HtmlTree::parse(result.html, options)) check_clean(tree->root());
  const std::string problem = feedd::article::check::serialised_problem(result, rewrite);
  if (!problem.empty()) std::fprintf(stderr, "%s\n", problem.c_str());
  FUZZ_CHECK(problem.empty(), "the serialiser's contract");
  // The summary is made while serialising, not by html_to_text: they must agree.
  FUZZ_CHECK(
      result.summary == feedd::article::html_to_text(result.html, feedd::article::kSummaryBytes),
      "rewrite_html's summary is html_to_text of its HTML");
  return 0;
}
