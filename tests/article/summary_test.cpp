// RewriteResult::summary and Article::summary: html_to_text of the rewritten HTML, byte for byte,
// although rewrite_html takes it from the parse of its safety check (a page around the article)
// rather than parsing the HTML again as html_to_text does (a fragment).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "article/article.hpp"
#include "article/html_text.hpp"
#include "article/serialised_check.hpp"
#include "article/summary_check.hpp"
#include "parse/feed.hpp"
#include "util/atomic_file.hpp"

namespace feedd::article {
namespace {

namespace fs = std::filesystem;

const RewriteOptions kOptions{.base_url = "https://www.example.com/news/2021/a.html",
                              .image_proxy = "https://cors.zfour.workers.dev/?",
                              .iframe_hosts = {"player.bilibili.com"}};

std::string contents(const fs::path& path) {
  std::string text;
  EXPECT_TRUE(feedd::read_file(path, text)) << path;
  return text;
}

// Every file under tests/data whose name ends in one of `extensions`, in a stable order.
std::vector<fs::path> data_files(const std::vector<std::string>& extensions) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(FEEDD_TEST_DATA)) {
    if (entry.is_regular_file() &&
        std::find(extensions.begin(), extensions.end(), entry.path().extension().string()) !=
            extensions.end()) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Summary, EveryHtmlFixture) {
  const auto files = data_files({".html"});
  ASSERT_GE(files.size(), 15u);
  std::size_t with_text = 0;
  for (const auto& path : files) {
    const RewriteResult r = rewrite_html(contents(path), kOptions);
    EXPECT_TRUE(summary_matches(r)) << path;
    if (!r.summary.empty()) ++with_text;
  }
  EXPECT_GE(with_text, files.size() - 2) << "the fixtures are articles with text";
}

// Every item of every feed fixture (the parse stage's hostile and odd ones included), through
// make_article, which hands the summary on to the Article.
TEST(Summary, EveryFeedFixtureItem) {
  Context context;
  context.categories = {"top", "source", "channel"};
  context.author = "source";
  context.image_proxy = kOptions.image_proxy;
  context.now = std::chrono::sys_seconds{std::chrono::seconds{1626084000}};
  std::size_t items = 0;
  for (const auto& path : data_files({".xml", ".rss", ".atom"})) {
    parse::Options options;
    options.base_url = "https://feeds.example.com/" + path.filename().string();
    options.content_type = "text/xml";
    const auto parsed = parse::parse_feed(contents(path), options);
    if (!parsed.feed) continue;
    for (const auto& item : parsed.feed->items) {
      const auto a = make_article(item, context);
      if (!a) continue;
      ++items;
      ASSERT_TRUE(a->summary.has_value()) << path << ": " << a->title;
      EXPECT_EQ(*a->summary, html_to_text(a->html, kSummaryBytes)) << path << ": " << a->title;
    }
  }
  EXPECT_GE(items, 30u);
}

struct SummaryCase {
  std::string name;
  std::string html;
  std::string expected_html;  // the serialised tree: stray end tags are not in it
  std::string summary;        // html_to_text's, which is what rewrite_html must give
};

// Where a page parse and the fragment parse build different trees (a stray </div> closes the
// page's <div>: what follows would land outside it). The output is the fragment's tree, written
// balanced, so it parses the same way in either; the summary is its text.
const std::vector<SummaryCase> kDivergent = {
    {"a stray </div> closes the page's div", "<p>x</div>y", "<p>xy</p>", "xy"},
    {"two stray </div>", "<b>a</div>b</div>c", "<b>abc</b>", "abc"},
    {"a stray </div> inside a list", "<ul><li>a</div>b", "<ul><li>ab</li></ul>", "ab"},
    {"</body> and </html> in the article", "a</body>b</html> c", "ab c", "ab c"},
    {"text foster-parented out of a table", "<table>x<tr><td>y</td></tr></table> z",
     "x<table><tbody><tr><td>y</td></tr></tbody></table> z", "x y z"},
    {"a stray </div> at the very end", "<p>x</p></div>", "<p>x</p>", "x"},
};

TEST(Summary, StrayEndTagsAreNotWrittenAndTheSummaryAgrees) {
  for (const auto& c : kDivergent) {
    const RewriteResult r = rewrite_html(c.html, kOptions);
    EXPECT_EQ(r.html, c.expected_html) << c.name;
    EXPECT_EQ(r.summary, c.summary) << c.name;
    EXPECT_TRUE(summary_matches(r)) << c.name;
  }
}

// html_to_text cuts input past lib::HtmlLimits (4 MiB) before parsing; the rewritten HTML can
// pass that where the input did not (image URLs get longer). The text after the cut is
// foster-parented out of the table, and written where the tree has it: in front of the table.
TEST(Summary, RewrittenHtmlPastTheParseLimit) {
  std::string html = "<table><tr><td>";
  const std::string filler(150, 'w');
  for (int i = 0; i < 19000; ++i) {
    html += "<img src=\"http://a.example/x.jpg\">";
    html += filler;
  }
  html += "</td></tr>AFTER THE CUT</table>";
  ASSERT_LT(html.size(), std::size_t{4} << 20);
  const RewriteResult r = rewrite_html(html, kOptions);
  ASSERT_GT(r.html.size(), std::size_t{4} << 20);
  EXPECT_TRUE(r.summary.starts_with("AFTER THE CUT www")) << r.summary.substr(0, 40);
  EXPECT_TRUE(summary_matches(r));
}

TEST(Summary, CutToTheSummarySize) {
  std::string html = "<p>";
  for (int i = 0; i < 200; ++i)
    html += "段落 text&nbsp;";
  html += "</p>";
  const RewriteResult r = rewrite_html(html, kOptions);
  EXPECT_LE(r.summary.size(), kSummaryBytes);
  EXPECT_GT(r.summary.size(), kSummaryBytes - 8);
  EXPECT_TRUE(r.summary.starts_with("段落 text 段落 text")) << r.summary;
  EXPECT_TRUE(r.summary.ends_with("…")) << r.summary;
  EXPECT_TRUE(summary_matches(r));
}

// Random documents made of the tokens where the two parses could part: stray end tags of the
// page's elements, tables, lists, formatting elements, raw text, comments, elements the
// sanitiser drops. About one in thirty of them makes the page's tree differ from the fragment's
// (a summary taken from the page regardless fails here on ~150 of the 5000).
TEST(Summary, RandomDocumentsAgreeWithHtmlToText) {
  const std::vector<std::string> tags = {
      "p",         "div",     "span",     "b",      "i",      "a",        "table",    "tr",
      "td",        "th",      "tbody",    "li",     "ul",     "ol",       "dl",       "dt",
      "dd",        "pre",     "h1",       "br",     "img",    "hr",       "ruby",     "rt",
      "rp",        "details", "summary",  "font",   "nobr",   "center",   "o:p",      "caption",
      "col",       "select",  "option",   "script", "style",  "form",     "svg",      "math",
      "iframe",    "title",   "body",     "html",   "head",   "frameset", "template", "textarea",
      "plaintext", "xmp",     "noscript", "button", "marquee"};
  const std::vector<std::string> attributes = {"",
                                               " class=x",
                                               " onclick=\"x()\"",
                                               " href=\"/p\"",
                                               " src=\"http://a.example/x.jpg\"",
                                               " title='a<b>'",
                                               " src=\"https://player.bilibili.com/v\""};
  const std::vector<std::string> texts = {"hello",
                                          " ",
                                          "\n",
                                          "&nbsp;",
                                          "&amp;",
                                          "&lt;",
                                          "\xe3\x80\x80",
                                          "中文",
                                          "x y",
                                          "\xff",
                                          "<",
                                          "&",
                                          "{",
                                          "</div>",
                                          "</body>",
                                          "</html>",
                                          "</p>",
                                          "</br>",
                                          "</table>",
                                          "</td>",
                                          "<!-- c -->",
                                          "<!DOCTYPE html>",
                                          "<![CDATA[x]]>",
                                          "<tr><td>",
                                          "<li>"};
  std::mt19937 random(20261121);
  for (int n = 0; n < 5000; ++n) {
    std::string html;
    const int tokens = 1 + static_cast<int>(random() % 30);
    for (int t = 0; t < tokens; ++t) {
      const auto r = random() % 100;
      if (r < 30) {
        html += "<" + tags[random() % tags.size()] + attributes[random() % attributes.size()] + ">";
      } else if (r < 45) {
        html += "</" + tags[random() % tags.size()] + ">";
      } else {
        html += texts[random() % texts.size()];
      }
    }
    const RewriteResult r = rewrite_html(html, kOptions);
    ASSERT_TRUE(summary_matches(r)) << "input: " << html;
    ASSERT_EQ(check::serialised_problem(r, kOptions), "") << "input: " << html;
  }
}

// TextFolder with a byte budget (the serialiser's summary): what it has is a prefix of the whole
// fold, ends on a character boundary, and is longer than the budget unless it is the whole.
TEST(TextFolder, StopsPastEnoughWithAPrefix) {
  const std::vector<std::string> texts = {
      std::string(40, 'a'),
      "这是一段很长的没有空格的中文文本，用来检查折叠在预算之后停止。",
      "  a  b\u00a0\u00a0c\u3000d \t\n e  ",
      "word " + std::string(30, 'x') + "\u2003" + "尾巴",
  };
  for (const std::string& text : texts) {
    const std::string whole = detail::fold_space(text);
    for (std::size_t enough = 0; enough <= whole.size() + 1; ++enough) {
      std::string out;
      detail::TextFolder folder(out);
      // In two pieces, cut at a character boundary, as gumbo's text nodes are.
      std::size_t cut = text.size() / 2;
      while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        ++cut;
      folder.add(std::string_view(text).substr(0, cut), enough);
      if (out.size() <= enough) folder.add(std::string_view(text).substr(cut), enough);
      SCOPED_TRACE(::testing::Message() << "\"" << text << "\" enough " << enough);
      EXPECT_TRUE(whole.starts_with(out)) << out;
      EXPECT_TRUE(out.size() == whole.size() || out.size() > enough) << out;
      EXPECT_TRUE(out.size() == whole.size() ||
                  (static_cast<unsigned char>(whole[out.size()]) & 0xC0) != 0x80)
          << "cut inside a character";
    }
  }
}

}  // namespace
}  // namespace feedd::article
