// lib::HtmlFragment: myhtml's fragment parse under a node budget, with one reused tree per
// thread.
#include "lib/myhtml/fragment.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace feedd::lib {
namespace {

// The text of the fragment's nodes in document order, each element as <name>.
std::string outline(const HtmlFragment& fragment) {
  std::string out;
  std::vector<myhtml_tree_node_t*> stack;
  for (auto* c = myhtml_node_last_child(fragment.root()); c != nullptr; c = myhtml_node_prev(c))
    stack.push_back(c);
  while (!stack.empty()) {
    myhtml_tree_node_t* node = stack.back();
    stack.pop_back();
    const std::string_view name = element_name(fragment.tree(), node);
    if (!name.empty()) {
      out += "<" + std::string(name) + ">";
    } else if (myhtml_node_tag_id(node) == MyHTML_TAG__TEXT) {
      std::size_t length = 0;
      const char* text = myhtml_node_text(node, &length);
      out.append(text, length);
    }
    for (auto* c = myhtml_node_last_child(node); c != nullptr; c = myhtml_node_prev(c))
      stack.push_back(c);
  }
  return out;
}

// `n` distinct formatting elements left open by a closed <p>, then `n` paragraphs: HTML's
// "reconstruct the active formatting elements" clones all n into each paragraph, n² nodes from
// a few bytes per tag.
std::string formatting_clone_bomb(int n) {
  std::string html = "<p>";
  for (int i = 0; i < n; ++i)
    html += "<b id=" + std::to_string(i) + ">";
  html += "</p>";
  for (int i = 0; i < n; ++i)
    html += "<p>x</p>";
  return html;
}

TEST(HtmlFragment, ParsesAFragmentInDivContext) {
  const auto fragment = HtmlFragment::parse("<body><p>a<b>b</p>c</b><my-widget>w</my-widget>");
  ASSERT_TRUE(fragment.has_value());
  EXPECT_EQ(outline(*fragment), "<p>a<b>b<b>c<my-widget>w");
  EXPECT_EQ(element_name(fragment->tree(), fragment->root()), "html");
}

// Regression: myhtml has no memory limit; 300 open formatting elements and 300 paragraphs
// (5 KB) make 90,000 nodes, 3000 of each ~370 MB.
TEST(HtmlFragment, FormattingCloneBombExhaustsTheNodeBudget) {
  const std::string bomb = formatting_clone_bomb(300);
  EXPECT_FALSE(HtmlFragment::parse(bomb, {.max_nodes = 10'000}).has_value());
  const auto within = HtmlFragment::parse(bomb, {.max_nodes = 100'000});
  ASSERT_TRUE(within.has_value());
  EXPECT_GT(within->nodes(), 90'000u);
  // The default budget stops the big one long before its 9M nodes.
  EXPECT_FALSE(HtmlFragment::parse(formatting_clone_bomb(3000)).has_value());
}

// The tree abandoned mid-parse is never reused: the next parse on the thread is whole.
TEST(HtmlFragment, ParsesAgainAfterAnAbandonedParse) {
  for (int round = 0; round < 3; ++round) {
    EXPECT_FALSE(HtmlFragment::parse(formatting_clone_bomb(200), {.max_nodes = 1000}));
    const auto fragment = HtmlFragment::parse("<ul><li>one<li>two</ul>");
    ASSERT_TRUE(fragment.has_value());
    EXPECT_EQ(outline(*fragment), "<ul><li>one<li>two");
  }
}

// Each thread parses with a parser of its own; a second fragment alive on the same thread gets
// a tree of its own.
TEST(HtmlFragment, ThreadsAndNestedParsesKeepTheirTrees) {
  const auto outer = HtmlFragment::parse("<p>outer</p>");
  ASSERT_TRUE(outer.has_value());
  {
    const auto inner = HtmlFragment::parse("<p>inner</p>");
    ASSERT_TRUE(inner.has_value());
    EXPECT_EQ(outline(*inner), "<p>inner");
  }
  EXPECT_EQ(outline(*outer), "<p>outer");

  std::vector<std::string> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&seen, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string html = "<p>" + std::to_string(t) + "-" + std::to_string(i) + "</p>";
        const auto fragment = HtmlFragment::parse(html);
        if (fragment) seen[t] = outline(*fragment);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (std::size_t t = 0; t < seen.size(); ++t)
    EXPECT_EQ(seen[t], "<p>" + std::to_string(t) + "-199");
}

// A tree past the size worth keeping is destroyed after use, and the thread parses on.
TEST(HtmlFragment, BigTreesAreNotKept) {
  std::string big;
  for (int i = 0; i < 15'000; ++i)
    big += "<p>" + std::to_string(i) + "</p>";
  for (int round = 0; round < 2; ++round) {
    const auto fragment = HtmlFragment::parse(big);
    ASSERT_TRUE(fragment.has_value());
    EXPECT_GT(fragment->nodes(), 20'000u);
  }
  const auto small = HtmlFragment::parse("<i>x</i>");
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(outline(*small), "<i>x");
}

// What the serialiser relies on, where myhtml might differ from HTML's parsing rules: CR LF
// and CR as LF, the line feed after <pre> dropped, NUL dropped from text, character references
// decoded (a numeric one to a noncharacter range as U+FFFD).
TEST(HtmlFragment, FollowsHtmlWhereTheSerialiserRelies) {
  const struct {
    std::string_view html, outline;
  } cases[] = {
      {"a\r\nb\rc", "a\nb\nc"},
      {"<pre>\nx</pre>", "<pre>x"},
      {"<pre>\n\nx</pre>", "<pre>\nx"},
      {std::string_view("n\0ul", 4), "nul"},
      {"x&amp;y &lt;t&gt; &#0; &#xD800; &#x80;", "x&y <t> \xEF\xBF\xBD \xEF\xBF\xBD \xE2\x82\xAC"},
      {"<table>t<tr><td>c</table>", "t<table><tbody><tr><td>c"},
      {"<a href=1><div>z</a>", "<a><div><a>z"},
  };
  for (const auto& c : cases) {
    const auto fragment = HtmlFragment::parse(c.html);
    ASSERT_TRUE(fragment.has_value()) << c.html;
    EXPECT_EQ(outline(*fragment), c.outline) << c.html;
  }
}

}  // namespace
}  // namespace feedd::lib
