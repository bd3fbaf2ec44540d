#pragma once
// Text of gumbo trees: what a reader sees of HTML once the markup is gone. Shared by the stages
// that need plain text from HTML (parse: Atom html/xhtml titles); pure and thread-safe.
#include <gumbo.h>

#include <string>
#include <string_view>
#include <vector>

#include "lib/gumbo/html_tree.hpp"

namespace feedd::lib {

// Elements rendered as a box or line of their own, and <br>, <hr>, <img>: the text on either
// side of one is separate words.
bool is_block_element(GumboTag tag);

// Elements whose content is never shown as text: script, style, template, head.
bool has_no_text(GumboTag tag);

// Calls emit(text) for the text under `container` in document order: text, white-space and
// CDATA nodes; comments and the content of has_no_text() elements are skipped. With
// `separate_blocks`, emit(" ") comes before and after each is_block_element(). Stops as soon
// as emit returns false. Iterative: nesting depth is the document's to choose.
template <typename Emit>
void for_each_text(const GumboNode* container, bool separate_blocks, Emit emit) {
  // A null entry marks the end of a block element, where a separating space goes.
  std::vector<const GumboNode*> stack;
  const GumboVector& top = children_of(container);
  for (unsigned i = top.length; i-- > 0;)
    stack.push_back(child(top, i));
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node == nullptr) {
      if (!emit(std::string_view(" "))) return;
      continue;
    }
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        if (!emit(std::string_view(node->v.text.text))) return;
        continue;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        if (has_no_text(node->v.element.tag)) continue;
        if (separate_blocks && is_block_element(node->v.element.tag)) {
          if (!emit(std::string_view(" "))) return;
          stack.push_back(nullptr);
        }
        break;
      case GUMBO_NODE_DOCUMENT:
        break;
      default:  // comments
        continue;
    }
    const GumboVector& children = children_of(node);
    for (unsigned i = children.length; i-- > 0;)
      stack.push_back(child(children, i));
  }
}

// The text of the HTML fragment `html` (parsed as the content of a <div>) as one line:
// character references decoded, tags dropped, each block element and <br> a word break, every
// run of HTML white space (space, tab, LF, FF, CR) one space, both ends trimmed. Other white
// space (NBSP, U+3000) is text and kept. Input past HtmlLimits is cut first; "" when the parse
// exceeds gumbo's memory budget, which only pathological input does. Never throws except
// std::bad_alloc.
std::string html_to_line(std::string_view html);

}  // namespace feedd::lib
