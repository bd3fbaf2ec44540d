// lib::HtmlTree: its arena (every allocation of a parse bump-allocated from chunks, released with
// the tree) and the memory budget that bounds it.
#include "lib/gumbo/html_tree.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace feedd::lib {
namespace {

std::string paragraphs(int n) {
  std::string html;
  for (int i = 0; i < n; ++i)
    html += "<p class=\"c\">text <b>bold</b> more text</p>";
  return html;
}

const GumboNode* first_text(const GumboNode* node) {
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT) return n;
    const GumboVector& children = children_of(n);
    for (unsigned i = children.length; i-- > 0;)
      stack.push_back(child(children, i));
  }
  return nullptr;
}

// Whatever the budget, a parse either fails or stays within it: the chunks, not just the bytes
// gumbo asked for, are what count.
TEST(HtmlTree, TheBudgetBoundsTheArena) {
  const std::string html = paragraphs(3000);
  const auto unbounded = HtmlTree::parse(html);
  ASSERT_TRUE(unbounded);
  const std::size_t needed = unbounded->memory_bytes();
  EXPECT_GT(needed, html.size());
  EXPECT_LE(needed, (std::size_t{32} << 20) + 8 * html.size());
  std::size_t failed = 0;
  std::size_t passed = 0;
  for (std::size_t budget = 4096; budget < 2 * needed; budget += needed / 37) {
    const auto tree = HtmlTree::parse(html, {.max_memory = budget});
    if (tree) {
      ++passed;
      EXPECT_LE(tree->memory_bytes(), budget);
      EXPECT_EQ(std::string(first_text(tree->document())->v.text.text), "text ");
    } else {
      ++failed;
      EXPECT_LT(budget, needed) << "a parse that fit before must fit again";
    }
  }
  EXPECT_GT(failed, 10u);
  EXPECT_GT(passed, 10u);
  EXPECT_TRUE(HtmlTree::parse(html, {.max_memory = needed}));
}

// A string longer than any chunk (gumbo grows its buffers by copying them into new ones): chunks
// of their own, counted in full.
TEST(HtmlTree, LongStringsGetChunksOfTheirOwn) {
  const std::string text(3 << 20, 'x');
  const std::string value(2 << 20, 'v');
  const std::string html = "<p title=\"" + value + "\">" + text + "</p><p>after</p>";
  const auto tree = HtmlTree::parse(html);
  ASSERT_TRUE(tree);
  EXPECT_GE(tree->memory_bytes(), text.size() + value.size());
  EXPECT_LE(tree->memory_bytes(), (std::size_t{32} << 20) + 8 * html.size());
  const GumboNode* t = first_text(tree->document());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(std::string(t->v.text.text), text);
  const GumboNode* p = t->parent;
  ASSERT_EQ(p->type, GUMBO_NODE_ELEMENT);
  EXPECT_EQ(std::string(gumbo_get_attribute(&p->v.element.attributes, "title")->value), value);

  EXPECT_FALSE(HtmlTree::parse(html, {.max_memory = std::size_t{4} << 20}));
}

// The longjmp out of gumbo, again and again: nothing is left half-built (ASan checks for leaks),
// and parses after it work.
TEST(HtmlTree, FailedParsesCanBeRepeated) {
  const std::string html = paragraphs(500);
  for (int i = 0; i < 200; ++i) {
    ASSERT_FALSE(HtmlTree::parse(html, {.max_memory = 8192 + 64 * std::size_t(i)}));
  }
  EXPECT_TRUE(HtmlTree::parse(html));
}

// A title or a short article costs one small chunk, not a megabyte.
TEST(HtmlTree, SmallDocumentsStaySmall) {
  const auto tree = HtmlTree::parse("<b>标题</b> &amp; more", {.fragment_context = GUMBO_TAG_DIV});
  ASSERT_TRUE(tree);
  EXPECT_LE(tree->memory_bytes(), std::size_t{32} << 10);
  EXPECT_EQ(std::string(first_text(tree->document())->v.text.text), "标题");
}

TEST(HtmlTree, NodesStayValidWhenTheTreeMoves) {
  std::vector<HtmlTree> trees;
  for (int i = 0; i < 20; ++i) {
    auto tree = HtmlTree::parse("<p>tree " + std::to_string(i) + "</p>" + paragraphs(50));
    ASSERT_TRUE(tree);
    trees.push_back(std::move(*tree));
  }
  for (int i = 0; i < 20; ++i) {
    const GumboNode* t = first_text(trees[i].document());
    EXPECT_EQ(std::string(t->v.text.text), "tree " + std::to_string(i));
    EXPECT_EQ(trees[i].offset_of(t->v.text.original_text), std::optional<std::size_t>(3));
  }
}

// html_cut_point counts '<' a block at a time: the same cut as a byte-by-byte count, wherever
// the limit falls relative to the blocks.
TEST(HtmlTree, CutPointAgreesWithAByteByByteCount) {
  const auto reference = [](std::string_view html, const HtmlLimits& limits) {
    const std::size_t end = std::min(html.size(), limits.max_bytes);
    std::size_t tags = 0;
    for (std::size_t i = 0; i < end; ++i) {
      if (html[i] == '<' && ++tags > limits.max_tags) return i;
    }
    if (end == html.size()) return end;
    const auto lt = html.substr(0, end).rfind('<');
    return lt == std::string_view::npos ? end : lt;
  };
  std::mt19937 random(7);
  for (int n = 0; n < 300; ++n) {
    std::string html(random() % 20000, 'x');
    const std::size_t density = 2 + random() % 60;
    for (char& c : html) {
      if (random() % density == 0) c = '<';
    }
    const HtmlLimits limits{.max_bytes = 1 + random() % 25000, .max_tags = random() % 2000};
    ASSERT_EQ(html_cut_point(html, limits), reference(html, limits))
        << html.size() << " bytes, limits " << limits.max_bytes << "/" << limits.max_tags;
  }
}

}  // namespace
}  // namespace feedd::lib
