#pragma once
// The serialiser's contract (article.hpp, rewrite_html), checked by the unit tests and by
// tests/fuzz/fuzz_html.cpp on whatever rewrite_html returned:
//  - it holds only allowlisted elements and attributes, each attribute as the allowlist keeps it;
//  - rewriting it again gives the same bytes (parse + serialise is stable on its own output);
//  - inside the post's <div> in a page, nothing lands outside that <div>.
// Header-only, no test framework: "" when all hold, else what broke.
#include <gumbo.h>

#include <string>
#include <vector>

#include "article/article.hpp"
#include "article/sanitize.hpp"
#include "lib/gumbo/html_tree.hpp"

namespace feedd::article::check {

inline std::string element_name(const GumboElement& e) {
  if (e.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(e.tag);
  GumboStringPiece piece = e.original_tag;
  gumbo_tag_from_original_text(&piece);
  std::string name(lib::view(piece));
  for (char& c : name)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return name;
}

inline std::string allowlist_problem(const std::string& html, bool iframes_allowed) {
  const auto tree = lib::HtmlTree::parse(html, {.fragment_context = GUMBO_TAG_DIV});
  if (!tree) return "unparseable output";
  std::vector<const GumboNode*> stack{tree->root()};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_COMMENT) return "a comment";
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboElement& e = node->v.element;
    const std::string name = element_name(e);
    if (node != tree->root()) {
      if (e.tag_namespace != GUMBO_NAMESPACE_HTML) return "foreign element " + name;
      const bool iframe = e.tag == GUMBO_TAG_IFRAME && iframes_allowed;
      if (!iframe && element_action(name) != ElementAction::keep) return "element " + name;
      for (unsigned i = 0; i < e.attributes.length; ++i) {
        const GumboAttribute* a = lib::attribute(e.attributes, i);
        const auto kept = filter_attribute(name, a->name, a->value);
        if (!kept || *kept != a->value) {
          return "attribute " + name + " " + a->name + "=\"" + a->value + "\"";
        }
      }
    } else if (e.attributes.length > 0) {
      return "attributes on the fragment's root";
    }
    const GumboVector& children = lib::children_of(node);
    for (unsigned i = 0; i < children.length; ++i)
      stack.push_back(lib::child(children, i));
  }
  return "";
}

// The post as the article file and Hexo put it in a page, followed by a sentinel: the page's
// body must hold exactly the post's <div> and then the sentinel.
inline std::string containment_problem(const std::string& html) {
  std::string page = "<!DOCTYPE html><html><head></head><body><div>   \n";
  page += html;
  page += "  \n</div><p id=\"feedd-sentinel\"></p></body></html>";
  const auto tree = lib::HtmlTree::parse(std::move(page));
  if (!tree) return "unparseable page";
  const GumboVector& top = lib::children_of(tree->root());
  for (unsigned i = 0; i < top.length; ++i) {
    const GumboNode* body = lib::child(top, i);
    if (body->type != GUMBO_NODE_ELEMENT || body->v.element.tag != GUMBO_TAG_BODY) continue;
    const GumboVector& children = lib::children_of(body);
    if (children.length != 2)
      return "the page's body has " + std::to_string(children.length) +
             " children, not the post's <div> and the sentinel";
    const GumboNode* div = lib::child(children, 0);
    const GumboNode* sentinel = lib::child(children, 1);
    if (div->type != GUMBO_NODE_ELEMENT || div->v.element.tag != GUMBO_TAG_DIV ||
        sentinel->type != GUMBO_NODE_ELEMENT || sentinel->v.element.tag != GUMBO_TAG_P ||
        gumbo_get_attribute(&sentinel->v.element.attributes, "id") == nullptr) {
      return "something outside the post's <div>";
    }
    return "";
  }
  return "no body";
}

// All three; `options` as the output was made with.
inline std::string serialised_problem(const RewriteResult& r, const RewriteOptions& options) {
  if (auto p = allowlist_problem(r.html, !options.iframe_hosts.empty()); !p.empty()) return p;
  if (auto p = containment_problem(r.html); !p.empty()) return p;
  const RewriteResult again = rewrite_html(r.html, options);
  if (again.html != r.html) return "not stable: rewritten again it is [" + again.html + "]";
  return "";
}

}  // namespace feedd::article::check
