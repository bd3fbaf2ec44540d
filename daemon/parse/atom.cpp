// Atom 1.0 (RFC 4287) and its predecessor Atom 0.3 (type/mode content, issued/modified).
#include <algorithm>
#include <optional>

#include "lib/gumbo/text.hpp"
#include "parse/date.hpp"
#include "parse/xml.hpp"
#include "util/ascii.hpp"

namespace feedd::parse::detail {
namespace {

enum class Kind { kText, kHtml, kXhtml, kNone };

std::string lower_trimmed(std::string_view s) {
  std::string t = text_trimmed(s);
  ascii_lower_in_place(t);
  return t;
}

bool has_element_child(pugi::xml_node el) {
  return std::any_of(el.children().begin(), el.children().end(),
                     [](pugi::xml_node c) { return c.type() == pugi::node_element; });
}

// How a text construct (title, summary, content) carries its text.
Kind kind_of(pugi::xml_node el, const Scope& s, bool v03) {
  if (s.attribute(el, ns::kNone, "src")) return Kind::kNone;  // out-of-line content
  const std::string type = lower_trimmed(s.attribute(el, ns::kNone, "type").value());
  if (v03) {
    const std::string mode = lower_trimmed(s.attribute(el, ns::kNone, "mode").value());
    if (mode == "base64") return Kind::kNone;
    if (mode == "escaped") return type == "text/plain" ? Kind::kText : Kind::kHtml;
    if (has_element_child(el)) return Kind::kXhtml;  // mode="xml", the default
    return type == "text/html" ? Kind::kHtml : Kind::kText;
  }
  if (type.empty() || type == "text" || type == "text/plain") return Kind::kText;
  if (type == "html" || type == "text/html") return Kind::kHtml;
  if (type == "xhtml" || type == "application/xhtml+xml") return Kind::kXhtml;
  if (type.starts_with("text/")) return Kind::kText;
  return Kind::kNone;  // media content (image/png, ...) is not an article body
}

// Inline XHTML: the children of the wrapping xhtml:div, or of the element when it has none.
std::string xhtml_of(pugi::xml_node el, const Scope& s, std::size_t max) {
  for (const auto child : el.children()) {
    if (child.type() != pugi::node_element) continue;
    if (s.enter(child).is(child, ns::kXhtml, "div")) return inner_html(child, max);
    break;
  }
  return inner_html(el, max);
}

// A text construct as the FeedItem/Feed fields want it: bodies as HTML, titles as plain text
// (markup of html and xhtml titles reduced to its text by the same HTML parser).
std::string construct(pugi::xml_node el, const Scope& s, bool v03, bool as_html, std::size_t max) {
  switch (kind_of(el, s, v03)) {
    case Kind::kText:
      return as_html ? escape_html(text(el, max)) : text(el, max);
    case Kind::kHtml:
      return as_html ? text(el, max) : lib::html_to_line(text(el, max));
    case Kind::kXhtml:
      return as_html ? xhtml_of(el, s, max) : lib::html_to_line(xhtml_of(el, s, max));
    case Kind::kNone:
      break;
  }
  return {};
}

// The alternate link of a feed or entry (no rel means alternate), an HTML one preferred.
std::string alternate_link(pugi::xml_node parent, const Scope& scope, std::string_view atom_ns) {
  std::string best;
  int best_rank = 0;
  for (const auto child : parent.children()) {
    if (child.type() != pugi::node_element) continue;
    const Scope s = scope.enter(child);
    if (!s.is(child, atom_ns, "link")) continue;
    const std::string rel = lower_trimmed(s.attribute(child, ns::kNone, "rel").value());
    if (!rel.empty() && rel != "alternate" &&
        rel != "http://www.iana.org/assignments/relation/alternate") {
      continue;
    }
    const std::string type = lower_trimmed(s.attribute(child, ns::kNone, "type").value());
    const int rank = type.empty() || type == "text/html" || type == "application/xhtml+xml" ? 2 : 1;
    const std::string_view href = s.attribute(child, ns::kNone, "href").value();
    if (rank > best_rank && !text_trimmed(href).empty()) {
      best = absolute(s.base(), href);
      best_rank = rank;
    }
  }
  return best;
}

std::string author_of(pugi::xml_node parent, const Scope& scope, std::string_view atom_ns,
                      std::size_t max) {
  for (const auto child : parent.children()) {
    const Scope s = scope.enter(child);
    if (!s.is(child, atom_ns, "author")) continue;
    for (const auto field : child.children()) {
      if (s.enter(field).is(field, atom_ns, "name")) {
        if (std::string name = text(field, max); !name.empty()) return name;
      }
    }
  }
  return {};
}

void parse_entry(pugi::xml_node entry, const Scope& scope, std::string_view atom_ns, bool v03,
                 const std::string& feed_author, Context& ctx) {
  const std::size_t max = ctx.text_max();
  const std::string& tz = ctx.options().timezone;
  FeedItem out;
  std::optional<std::pair<pugi::xml_node, Scope>> content, summary;
  for (const auto child : entry.children()) {
    if (child.type() != pugi::node_element) continue;
    const Scope s = scope.enter(child);
    if (s.is(child, ns::kDc, "subject")) Context::add_tag(out, text(child, kMaxTagBytes * 4));
    if (s.uri(child) != atom_ns) continue;
    const std::string_view name = local_name(child);
    if (name == "title" && out.title.empty()) {
      out.title = construct(child, s, v03, false, max);
    } else if (name == "id" && out.guid.empty()) {
      out.guid = text(child, max);
    } else if (name == "published" || name == "issued" || name == "created") {
      if (!out.published) out.published = parse_date(text(child, 256), tz);
    } else if (name == "updated" || name == "modified") {
      if (!out.updated) out.updated = parse_date(text(child, 256), tz);
    } else if (name == "content" && !content) {
      content.emplace(child, s);
    } else if (name == "summary" && !summary) {
      summary.emplace(child, s);
    } else if (name == "category") {
      // The label is what a reader is shown; the term is the category's identifier.
      const std::string_view label = s.attribute(child, ns::kNone, "label").value();
      Context::add_tag(
          out, text_trimmed(label).empty() ? s.attribute(child, ns::kNone, "term").value() : label);
    } else if (name == "link") {
      const std::string rel = lower_trimmed(s.attribute(child, ns::kNone, "rel").value());
      if (rel == "enclosure" || rel == "http://www.iana.org/assignments/relation/enclosure") {
        Context::add_enclosure(out,
                               absolute(s.base(), s.attribute(child, ns::kNone, "href").value()),
                               s.attribute(child, ns::kNone, "type").value(),
                               s.attribute(child, ns::kNone, "length").value());
      }
    }
  }
  out.link = alternate_link(entry, scope, atom_ns);
  if (out.link.empty() && is_absolute_url(out.guid)) out.link = out.guid;
  out.author = author_of(entry, scope, atom_ns, max);
  if (out.author.empty()) out.author = feed_author;
  // content wins over summary, unless it is out-of-line, media or empty.
  for (const auto* body : {&content, &summary}) {
    if (!*body) continue;
    const auto& [el, s] = **body;
    out.html = construct(el, s, v03, true, max);
    if (out.html.empty()) continue;
    out.content_base = content_base(s, out.link);
    break;
  }
  if (out.content_base.empty()) out.content_base = content_base(scope, out.link);

  ctx.add_item(std::move(out));
}

}  // namespace

void parse_atom(pugi::xml_node root, const Scope& scope, Context& ctx) {
  const std::string_view atom_ns = scope.uri(root);
  const bool v03 = atom_ns == ns::kAtom03;
  const std::size_t max = ctx.text_max();
  Feed& feed = ctx.feed();
  feed.dialect = v03 ? Dialect::kAtom03 : Dialect::kAtom10;
  for (const auto child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const Scope s = scope.enter(child);
    if (s.is(child, atom_ns, "title") && feed.title.empty()) {
      feed.title = ctx.bound(construct(child, s, v03, false, max));
    } else if (s.is(child, atom_ns, "id") && feed.id.empty()) {
      feed.id = ctx.bound(text(child, max));
    }
  }
  feed.link = ctx.bound(alternate_link(root, scope, atom_ns));
  const std::string feed_author = ctx.bound(author_of(root, scope, atom_ns, max));

  Scope entries_scope = scope;
  // Without an xml:base, relative entry links are read against the site, then the fetched URL.
  if (is_absolute_url(feed.link)) entries_scope.set_fallback(feed.link);
  for (const auto child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const Scope s = entries_scope.enter(child);
    if (!s.is(child, atom_ns, "entry")) continue;
    if (!ctx.complete(child) || !ctx.room_for_item()) continue;
    parse_entry(child, s, atom_ns, v03, feed_author, ctx);
  }
}

}  // namespace feedd::parse::detail
