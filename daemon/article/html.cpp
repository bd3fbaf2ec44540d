#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "article/article.hpp"
#include "article/html_text.hpp"
#include "article/sanitize.hpp"
#include "lib/curl/url.hpp"
#include "lib/gumbo/html_tree.hpp"
#include "util/markup.hpp"

namespace feedd::article {
namespace {

// The body is parsed as it will be read: inside a <div> of an HTML page. That way a stray
// <body onload=…> or <html …> shows up as attributes merged onto the page's own body/html
// elements (which the prefix creates without any), instead of being silently ignored. The <br>
// stands for the page content before the article: after it a <frameset> is ignored, as there.
constexpr std::string_view kPrefix = "<!DOCTYPE html><html><head></head><body><br><div>";

constexpr std::string_view kLazySources[] = {"data-original", "data-src",      "data-actualsrc",
                                             "data-lazy-src", "data-lazyload", "data-echo",
                                             "file"};

constexpr std::string_view kPlaceholderMarks[] = {
    "placeholder", "blank.gif",       "lazy",      "loading", "grey.gif", "gray.gif",
    "spacer.gif",  "transparent.gif", "pixel.gif", "1x1"};

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// RFC 3986 scheme ":" — anything else ("/x", "x.jpg", "//host/x", "?q") is relative.
bool has_scheme(std::string_view url) {
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return false;
  for (char c : url.substr(1)) {
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return false;
}

// Also true for a src the sanitiser would remove, so that a lazy-load attribute can replace it.
bool is_placeholder(std::string_view src) {
  src = trim(src);
  if (src.empty() || starts_with_nocase(src, "data:") || !is_safe_url(src, UrlUse::image)) {
    return true;
  }
  const std::string s = lower(src);
  return std::any_of(std::begin(kPlaceholderMarks), std::end(kPlaceholderMarks),
                     [&](std::string_view mark) { return s.find(mark) != std::string::npos; });
}

bool is_void(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_BASEFONT:
    case GUMBO_TAG_BGSOUND:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_META:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_WBR:
      return true;
    default:
      return false;
  }
}

std::string tag_name(const GumboElement& element) {
  if (element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(element.tag);
  GumboStringPiece piece = element.original_tag;
  gumbo_tag_from_original_text(&piece);  // keeps SVG's camelCase (foreignObject)
  return piece.length == 0 ? std::string("span") : std::string(lib::view(piece));
}

// gumbo records as an element's end tag whichever end tag popped it, e.g. the </div> that
// implicitly closed a <p>: only an end tag of the element's own name is its own.
bool has_own_end_tag(const GumboElement& element) {
  GumboStringPiece piece = element.original_end_tag;
  if (piece.length < 3) return false;
  gumbo_tag_from_original_text(&piece);
  if (element.tag != GUMBO_TAG_UNKNOWN) {
    return gumbo_tagn_enum(piece.data, static_cast<unsigned>(piece.length)) == element.tag;
  }
  return lower(lib::view(piece)) == lower(tag_name(element));
}

// Built by appending: GCC 12 reports a bogus -Wrestrict for "literal" + std::string.
std::string end_tag(const GumboElement& element) {
  std::string out = "</";
  out += tag_name(element);
  out += '>';
  return out;
}

// Double-quoted; < and > are escaped too, which a quoted value does not need but which keeps
// it from reading as markup to a lax reader, the feed validator ("<?import") or a browser where
// its parse differs from gumbo's.
void append_escaped_attribute(std::string& out, std::string_view value) {
  append_escaped(out, value, Escape::kAttribute);
}

void append_escaped_text(std::string& out, std::string_view text) {
  append_escaped(out, text, Escape::kText);
}

struct Attribute {
  std::string key;      // gumbo's normalised name, for matching
  std::string written;  // the name as published, for output
  std::optional<std::string> value;
};

struct SanitizedTag {
  bool changed = false;
  std::vector<Attribute> attributes;
  std::string image;  // final src of an <img>, "" when none or a data: URI
};

Attribute* find(std::vector<Attribute>& attributes, std::string_view key) {
  for (auto& a : attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

std::optional<std::string> resolve(std::string_view url, const RewriteOptions& options) {
  if (url.empty() || url.front() == '#' || has_scheme(url) || options.base_url.empty()) {
    return std::nullopt;
  }
  return lib::resolve_url(options.base_url, url);
}

void rewrite_img(SanitizedTag& tag, const RewriteOptions& options) {
  Attribute* src = find(tag.attributes, "src");
  const std::string_view current = src && src->value ? trim(*src->value) : std::string_view{};
  std::string chosen(current);
  if (is_placeholder(current)) {
    for (std::string_view name : kLazySources) {
      const Attribute* lazy = find(tag.attributes, name);
      if (lazy && lazy->value && !trim(*lazy->value).empty() &&
          is_safe_url(*lazy->value, UrlUse::image)) {
        chosen = trim(*lazy->value);
        break;
      }
    }
  }
  if (auto resolved = resolve(chosen, options)) chosen = std::move(*resolved);
  if (!options.image_proxy.empty() && starts_with_nocase(chosen, "http://") &&
      !chosen.starts_with(options.image_proxy)) {
    chosen = options.image_proxy + chosen;
  }
  if (src != nullptr) {
    if (chosen != current) {
      src->value = chosen;
      tag.changed = true;
    }
  } else if (!chosen.empty()) {
    tag.attributes.push_back({"src", "src", chosen});
    tag.changed = true;
  }
  Attribute* policy = find(tag.attributes, "referrerpolicy");
  if (policy == nullptr) {
    tag.attributes.push_back({"referrerpolicy", "referrerpolicy", "no-referrer"});
    tag.changed = true;
  } else if (!policy->value || lower(trim(*policy->value)) != "no-referrer") {
    policy->value = "no-referrer";
    tag.changed = true;
  }
}

// Lower-case name of an HTML element, unknown ones ("o:p", "my-widget") included.
std::string lower_name(const GumboElement& element) {
  return lower(tag_name(element));
}

void resolve_attribute(SanitizedTag& tag, std::string_view key, const RewriteOptions& options) {
  Attribute* attribute = find(tag.attributes, key);
  if (attribute == nullptr || !attribute->value) return;
  if (auto resolved = resolve(trim(*attribute->value), options);
      resolved && *resolved != *attribute->value) {
    attribute->value = std::move(*resolved);
    tag.changed = true;
  }
}

// What becomes of an element: element_action() by name, except that an iframe stays when its
// (resolved) src is on the configured host list, and that nothing outside HTML's namespace
// stays (only <svg> and <math> lead there, and both are dropped).
ElementAction decide(const GumboElement& element, const RewriteOptions& options) {
  if (element.tag_namespace != GUMBO_NAMESPACE_HTML) return ElementAction::drop;
  if (element.tag != GUMBO_TAG_IFRAME) return element_action(lower_name(element));
  const GumboAttribute* src = gumbo_get_attribute(&element.attributes, "src");
  if (src == nullptr || options.iframe_hosts.empty()) return ElementAction::drop;
  const std::string_view value = trim(src->value);
  const auto resolved = resolve(value, options);
  return iframe_allowed(resolved ? *resolved : value, options.iframe_hosts) ? ElementAction::keep
                                                                            : ElementAction::drop;
}

// True when the start tag holds bytes that no attribute gumbo reports accounts for: a repeated
// attribute, which browsers ignore but a lax reader might take instead of the first. Such a tag
// is written afresh from the attributes that count.
bool has_unrecorded_bytes(const GumboElement& element) {
  const std::string_view text = lib::view(element.original_tag);
  if (text.empty()) return false;
  // The byte ranges of `text` that the name and the attributes account for; the bytes between
  // them must be syntax. Most tags have a few attributes: no allocation for those.
  struct Range {
    std::size_t begin;
    std::size_t end;
  };
  std::array<Range, 32> inline_ranges{};
  std::vector<Range> more_ranges;
  std::size_t count = 0;
  const std::size_t needed = 1 + 2 * std::size_t{element.attributes.length};
  if (needed > inline_ranges.size()) more_ranges.resize(needed);
  Range* const ranges = needed > inline_ranges.size() ? more_ranges.data() : inline_ranges.data();
  const auto cover = [&](const GumboStringPiece& piece) {
    if (piece.data == nullptr || piece.data < text.data() ||
        piece.data + piece.length > text.data() + text.size()) {
      return;
    }
    const auto at = static_cast<std::size_t>(piece.data - text.data());
    ranges[count++] = {at, at + piece.length};
  };
  GumboStringPiece name = element.original_tag;
  gumbo_tag_from_original_text(&name);
  cover(name);
  for (unsigned i = 0; i < element.attributes.length; ++i) {
    const GumboAttribute* a = lib::attribute(element.attributes, i);
    cover(a->original_name);
    cover(a->original_value);
  }
  // In source order already, as gumbo reports them; sorting makes sure.
  std::sort(ranges, ranges + count,
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  const auto only_syntax = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const char c = text[i];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '/' && c != '=' &&
          c != '<' && c != '>') {
        return false;
      }
    }
    return true;
  };
  std::size_t from = 0;
  for (std::size_t r = 0; r < count; ++r) {
    if (ranges[r].begin > from && !only_syntax(from, ranges[r].begin)) return true;
    from = std::max(from, ranges[r].end);
  }
  return !only_syntax(from, text.size());
}

// The image rewriting (lazy sources, proxy, referrer policy) and link resolution first, then the
// allowlist over the result: filter_attribute() for every attribute, and the sandbox of a kept
// iframe.
SanitizedTag sanitize(const GumboElement& element, const RewriteOptions& options) {
  SanitizedTag tag;
  tag.changed = has_unrecorded_bytes(element);
  for (unsigned i = 0; i < element.attributes.length; ++i) {
    const GumboAttribute* a = lib::attribute(element.attributes, i);
    // Written afresh with < and > escaped: the feed validator flags "<?import" anywhere, and
    // a lax reader might take "<script" in a value for markup.
    const std::string_view raw = lib::view(a->original_value);
    if (raw.find_first_of("<>") != std::string_view::npos) tag.changed = true;
    std::string written(lib::view(a->original_name));
    if (written.empty()) written = a->name;
    // gumbo 0.10 gives an attribute without a value its name as original_value.
    std::optional<std::string> value;
    if (a->original_value.length > 0 && a->original_value.data != a->original_name.data) {
      value = a->value;
    }
    tag.attributes.push_back({std::string(a->name), std::move(written), std::move(value)});
  }
  if (element.tag == GUMBO_TAG_IMG) {
    rewrite_img(tag, options);
  } else if (element.tag == GUMBO_TAG_A) {
    resolve_attribute(tag, "href", options);
  } else if (element.tag == GUMBO_TAG_IFRAME) {
    resolve_attribute(tag, "src", options);  // protocol-relative embeds are the usual kind
  }

  const std::string name = lower_name(element);
  std::vector<Attribute> kept;
  kept.reserve(tag.attributes.size() + 1);
  for (Attribute& a : tag.attributes) {
    const std::string_view value = a.value ? std::string_view(*a.value) : std::string_view{};
    std::optional<std::string> filtered = filter_attribute(name, a.key, value);
    if (!filtered) {
      tag.changed = true;
      continue;
    }
    if (*filtered != value) {
      a.value = std::move(*filtered);
      tag.changed = true;
    }
    kept.push_back(std::move(a));
  }
  tag.attributes = std::move(kept);
  if (element.tag == GUMBO_TAG_IFRAME && find(tag.attributes, "sandbox") == nullptr) {
    tag.attributes.push_back({"sandbox", "sandbox", std::string(kIframeSandbox)});
    tag.changed = true;
  }
  if (element.tag == GUMBO_TAG_IMG) {
    const Attribute* src = find(tag.attributes, "src");
    if (src != nullptr && src->value && !starts_with_nocase(trim(*src->value), "data:")) {
      tag.image = trim(*src->value);
    }
  }
  return tag;
}

std::string serialize_tag(const GumboElement& element, const SanitizedTag& tag, bool self_closing) {
  std::string out = "<";
  out += tag_name(element);
  for (const auto& a : tag.attributes) {
    out += ' ';
    out += a.written;
    if (a.value) {
      out += "=\"";
      append_escaped_attribute(out, *a.value);
      out += '"';
    }
  }
  out += self_closing ? " />" : ">";
  return out;
}

struct Edit {
  std::size_t begin;
  std::size_t end;
  std::string text;
};

class Rewriter {
 public:
  Rewriter(const lib::HtmlTree& tree, const RewriteOptions& options)
      : tree_(tree), options_(options) {}

  // Byte-preserving edits when the input allows them, else serialize_all().
  RewriteResult run() {
    collect();
    if (hostile_) return serialize_all();
    return apply();
  }

  // Offset of a piece that lies in the article (past the prefix), else nullopt.
  std::optional<std::size_t> article_offset(const GumboStringPiece& piece) const {
    const auto offset = tree_.offset_of(piece);
    if (!offset || *offset < kPrefix.size()) return std::nullopt;
    return offset;
  }

  // End of the source bytes of `node` and everything under it.
  std::size_t subtree_end(const GumboNode* node, std::size_t start) const {
    std::size_t end = start;
    std::vector<const GumboNode*> stack{node};
    while (!stack.empty()) {
      const GumboNode* n = stack.back();
      stack.pop_back();
      const auto extend = [&](const GumboStringPiece& piece) {
        if (const auto at = article_offset(piece)) end = std::max(end, *at + piece.length);
      };
      if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
        extend(n->v.element.original_tag);
        if (has_own_end_tag(n->v.element)) extend(n->v.element.original_end_tag);
      } else if (n->type != GUMBO_NODE_DOCUMENT) {
        extend(n->v.text.original_text);
      }
      const GumboVector& children = lib::children_of(n);
      for (unsigned i = 0; i < children.length; ++i)
        stack.push_back(lib::child(children, i));
    }
    return end;
  }

  // gumbo does not record the end tag of an element it closes out of order (</form> always
  // is): when the bytes right after the element are its end tag, they go with it.
  std::size_t past_unrecorded_end_tag(const GumboElement& element, std::size_t end) const {
    const std::string_view rest = tree_.source().substr(end);
    const std::string name = end_tag(element);  // "</name>"
    const std::string_view open = std::string_view(name).substr(0, name.size() - 1);
    if (rest.size() <= open.size() || !starts_with_nocase(rest, open)) return end;
    const char next = rest[open.size()];
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\n' && next != '\r' &&
        next != '\f') {
      return end;
    }
    const auto close = rest.find('>', open.size());
    return close == std::string_view::npos ? end : end + close + 1;
  }

  void collect() {
    std::vector<const GumboNode*> stack{tree_.document()};
    while (!stack.empty()) {
      const GumboNode* node = stack.back();
      stack.pop_back();
      if (node->type == GUMBO_NODE_COMMENT) {
        // Comments go: conditional comments run in old IE, "<?import" is a risk to the feed
        // validator, and where a comment ends is where parsers have disagreed ("--!>").
        const auto& text = node->v.text.original_text;
        if (const auto at = article_offset(text)) {
          edits_.push_back({*at, *at + text.length, ""});
        } else {
          hostile_ = true;
        }
        continue;
      }
      if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
        if (!visit(node)) continue;
      }
      const GumboVector& children = lib::children_of(node);
      for (unsigned i = children.length; i-- > 0;)
        stack.push_back(lib::child(children, i));
    }
  }

  // Records the edits for one element; false when its children need no visit.
  bool visit(const GumboNode* node) {
    const GumboElement& element = node->v.element;
    switch (element.tag) {
      case GUMBO_TAG_HTML:
      case GUMBO_TAG_HEAD:
      case GUMBO_TAG_BODY:
        // Attributes here came from an <html>/<body> tag inside the article.
        if (element.attributes.length > 0) hostile_ = true;
        return true;
      case GUMBO_TAG_FRAMESET:  // replaces the page's body: nothing is byte-preserved sanely
        hostile_ = true;
        return false;
      default:
        break;
    }
    const auto at = article_offset(element.original_tag);
    const ElementAction action = decide(element, options_);
    if (action == ElementAction::drop) {
      if (at) {
        std::size_t end = subtree_end(node, *at + element.original_tag.length);
        if (!has_own_end_tag(element)) end = past_unrecorded_end_tag(element, end);
        edits_.push_back({*at, end, ""});
      } else {
        hostile_ = true;  // no source position to cut it out by
      }
      return false;
    }
    if (action == ElementAction::unwrap) {
      // Repeated edits (adoption-agency clones share the start tag) are skipped by apply().
      if (at) edits_.push_back({*at, *at + element.original_tag.length, ""});
      if (has_own_end_tag(element)) {
        if (const auto end_at = article_offset(element.original_end_tag)) {
          edits_.push_back({*end_at, *end_at + element.original_end_tag.length, ""});
        }
      }
      return true;
    }
    // Clones made by the adoption agency share their original's tag bytes: edit those once.
    if (!at || !seen_.insert(*at).second) return true;
    const SanitizedTag tag = sanitize(element, options_);
    if (element.tag == GUMBO_TAG_IMG && first_image_.empty()) first_image_ = tag.image;
    if (tag.changed) {
      const bool self_closing = lib::view(element.original_tag).ends_with("/>");
      edits_.push_back(
          {*at, *at + element.original_tag.length, serialize_tag(element, tag, self_closing)});
    }
    if (element.tag == GUMBO_TAG_IFRAME) {
      // Its text is a fallback no browser shows, and not sanitised: it goes. Left unclosed, an
      // iframe would swallow the rest of the host page.
      const std::size_t start = *at + element.original_tag.length;
      const std::size_t end = subtree_end(node, start);
      const auto end_at = article_offset(element.original_end_tag);
      const std::size_t content_end = has_own_end_tag(element) && end_at ? *end_at : end;
      if (content_end > start) edits_.push_back({start, content_end, ""});
      if (!has_own_end_tag(element) && end == tree_.source().size()) {
        edits_.push_back({end, end, end_tag(element)});
      }
      return false;
    }
    return true;
  }

  RewriteResult apply() {
    // Insertions (begin == end) sort before a removal starting at the same byte.
    std::stable_sort(edits_.begin(), edits_.end(), [](const Edit& a, const Edit& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const std::string_view source = tree_.source();
    std::string out;
    out.reserve(source.size() - kPrefix.size() + 64 * edits_.size());
    std::size_t cursor = kPrefix.size();
    for (const Edit& edit : edits_) {
      if (edit.begin < cursor) continue;  // inside a removed element
      out.append(source.substr(cursor, edit.begin - cursor));
      out += edit.text;
      cursor = std::max(cursor, std::min(edit.end, source.size()));
    }
    out.append(source.substr(cursor));
    return {std::move(out), first_image_};
  }

  // Fallback for input that relies on tokens the parser ignores, or whose edited bytes parse
  // differently: the sanitised tree written out afresh, so that nothing the tree does not show
  // survives. Comments are dropped, attribute values escape < and > too.
  RewriteResult serialize_all() {
    std::string out;
    std::string first_image;
    struct Item {
      const GumboNode* node;
      std::string close;  // written when node is null
    };
    std::vector<Item> stack{{tree_.document(), {}}};
    while (!stack.empty()) {
      Item item = std::move(stack.back());
      stack.pop_back();
      const GumboNode* node = item.node;
      if (node == nullptr) {
        out += item.close;
        continue;
      }
      switch (node->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_CDATA:
        case GUMBO_NODE_WHITESPACE:
          append_escaped_text(out, node->v.text.text);
          continue;
        case GUMBO_NODE_ELEMENT:
        case GUMBO_NODE_TEMPLATE: {
          const GumboElement& element = node->v.element;
          const auto offset = tree_.offset_of(element.original_tag);
          const bool wrapper = element.tag == GUMBO_TAG_HTML || element.tag == GUMBO_TAG_HEAD ||
                               element.tag == GUMBO_TAG_BODY ||
                               (offset && *offset < kPrefix.size());
          if (element.tag == GUMBO_TAG_FRAMESET) continue;
          if (wrapper) break;
          const ElementAction action = decide(element, options_);
          if (action == ElementAction::drop) continue;
          if (action == ElementAction::unwrap) break;
          const SanitizedTag tag = sanitize(element, options_);
          if (element.tag == GUMBO_TAG_IMG && first_image.empty()) first_image = tag.image;
          out += serialize_tag(element, tag, false);
          if (element.tag == GUMBO_TAG_IFRAME) {
            out += end_tag(element);  // its text is a fallback no browser shows
            continue;
          }
          if (is_void(element.tag)) continue;
          stack.push_back({nullptr, end_tag(element)});
          break;
        }
        case GUMBO_NODE_DOCUMENT:
          break;
        default:  // comments are dropped
          continue;
      }
      const GumboVector& children = lib::children_of(node);
      for (unsigned i = children.length; i-- > 0;)
        stack.push_back({lib::child(children, i), {}});
    }
    return {std::move(out), std::move(first_image)};
  }

 private:
  const lib::HtmlTree& tree_;
  const RewriteOptions& options_;
  std::vector<Edit> edits_;
  std::unordered_set<std::size_t> seen_;
  std::string first_image_;
  bool hostile_ = false;
};

// html_to_text(html, kSummaryBytes), from `tree`: kPrefix + html parsed as a document. nullopt
// when that tree may not give html_to_text's text, which parses `html` alone, as a fragment in
// <div> context (html_to_text is then called).
//
// Why the two agree otherwise: both parses see the same tokens (the tokenizer starts in the data
// state either way) in no-quirks mode, and their stacks of open elements differ only below the
// article's own elements: the fragment's [html] against this page's [html, body, div]. The tree
// builder looks below the article's elements only
//  - for the page's <html>, <body> and <frameset> start tags, which in body it ignores (merging
//    attributes): such a tag leaves an unreported '<', so summary_if_clean() has refused it;
//  - for </body> and </html>, ignored in the fragment; here they switch to the after-body modes,
//    which put every token but comments (refused) back through the in-body rules unchanged;
//  - for </div> when no article <div> is in scope: ignored in the fragment, it closes the page's
//    <div> here, and what follows lands elsewhere. That is the one divergence, and it shows: the
//    page's <div> then has an end tag of its own; then, or whenever anything lies outside it, this
//    returns nullopt.
// So, with the page's <div> closed only by the end of input, its children are the fragment's
// children, node for node, and the same walk over them gives the same text. html_to_text also
// cuts input past lib::HtmlLimits first; such HTML is left to it as well.
std::optional<std::string> page_summary(const lib::HtmlTree& tree, std::string_view html) {
  if (lib::html_cut_point(html) != html.size()) return std::nullopt;
  const auto only = [](const GumboNode* node, GumboTag tag) {
    return node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == tag;
  };
  const GumboVector& top = lib::children_of(tree.document());
  if (top.length != 1 || !only(lib::child(top, 0), GUMBO_TAG_HTML)) return std::nullopt;
  const GumboVector& page = lib::children_of(lib::child(top, 0));
  if (page.length != 2 || !only(lib::child(page, 0), GUMBO_TAG_HEAD) ||
      lib::children_of(lib::child(page, 0)).length != 0 ||
      !only(lib::child(page, 1), GUMBO_TAG_BODY)) {
    return std::nullopt;
  }
  const GumboVector& body = lib::children_of(lib::child(page, 1));
  if (body.length != 2 || !only(lib::child(body, 1), GUMBO_TAG_DIV)) return std::nullopt;
  const GumboElement& div = lib::child(body, 1)->v.element;
  const auto at = tree.offset_of(div.original_tag);
  if (!at || *at >= kPrefix.size() || div.original_end_tag.length != 0) return std::nullopt;
  return detail::summary_of(detail::folded_text(lib::child(body, 1), true, kSummaryBytes),
                            kSummaryBytes);
}

// When `html`, read inside a <div> of a page, holds nothing the sanitiser removes: its summary,
// html_to_text(html, kSummaryBytes), taken from the parse made for the check when it can be
// (page_summary). nullopt when it is not clean. Removing
// bytes changes the context the rest is parsed in (a dropped <embed> no longer breaks out of
// <math>, a dropped <form> no longer hides a nested one), so the result is checked by parsing
// it again rather than trusted: every element must be one the allowlist keeps, with attributes
// it keeps as they are, no comment may be left, and every '<' that opens anything but an end tag
// must be the start of an element or lie in text or a tag gumbo reports — a start tag the
// parser ignored (<td onclick> outside a table) could count in another context.
std::optional<std::string> summary_if_clean(std::string_view html, const RewriteOptions& options) {
  std::string source;
  source.reserve(kPrefix.size() + html.size());
  source += kPrefix;
  source += html;
  const auto tree = lib::HtmlTree::parse(std::move(source));
  if (!tree) return std::nullopt;
  std::vector<bool> seen(tree->source().size(), false);
  const auto mark = [&](const GumboStringPiece& piece) {
    if (const auto at = tree->offset_of(piece)) {
      std::fill_n(seen.begin() + static_cast<std::ptrdiff_t>(*at), piece.length, true);
    }
  };
  std::vector<const GumboNode*> stack{tree->document()};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_COMMENT) return std::nullopt;
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
      const GumboElement& element = node->v.element;
      const auto offset = tree->offset_of(element.original_tag);
      const bool page = element.tag == GUMBO_TAG_HTML || element.tag == GUMBO_TAG_HEAD ||
                        element.tag == GUMBO_TAG_BODY;
      if (page && element.attributes.length > 0) return std::nullopt;
      if (!page && !(offset && *offset < kPrefix.size())) {
        if (decide(element, options) != ElementAction::keep) return std::nullopt;
        if (has_unrecorded_bytes(element)) return std::nullopt;
        const std::string name = lower_name(element);
        for (unsigned i = 0; i < element.attributes.length; ++i) {
          const GumboAttribute* a = lib::attribute(element.attributes, i);
          const std::string_view value = a->value;
          const auto filtered = filter_attribute(name, a->name, value);
          if (!filtered || *filtered != value) return std::nullopt;
          if (lib::view(a->original_value).find_first_of("<>") != std::string_view::npos) {
            return std::nullopt;
          }
        }
        if (element.tag == GUMBO_TAG_IFRAME &&
            (gumbo_get_attribute(&element.attributes, "sandbox") == nullptr ||
             element.children.length > 0)) {
          return std::nullopt;
        }
        mark(element.original_tag);
      }
    } else if (node->type != GUMBO_NODE_DOCUMENT) {
      mark(node->v.text.original_text);
    }
    const GumboVector& children = lib::children_of(node);
    for (unsigned i = 0; i < children.length; ++i)
      stack.push_back(lib::child(children, i));
  }
  const std::string_view text = tree->source();
  for (std::size_t i = text.find('<', kPrefix.size()); i != std::string_view::npos;
       i = text.find('<', i + 1)) {
    if (!seen[i] && (i + 1 == text.size() || text[i + 1] != '/')) return std::nullopt;
  }
  if (auto summary = page_summary(*tree, html)) return summary;
  return html_to_text(html, kSummaryBytes);
}

}  // namespace

RewriteResult rewrite_html(std::string_view html, const RewriteOptions& options) {
  const std::string_view input = html.substr(0, lib::html_cut_point(html));
  std::string source;
  source.reserve(kPrefix.size() + input.size());
  source += kPrefix;
  source += input;
  const auto tree = lib::HtmlTree::parse(std::move(source));
  if (!tree) return {};  // a pathological document that exhausted the parser's budget
  Rewriter rewriter(*tree, options);
  RewriteResult result = rewriter.run();
  if (auto summary = summary_if_clean(result.html, options)) {
    result.summary = std::move(*summary);
    return result;
  }
  result = rewriter.serialize_all();
  if (auto summary = summary_if_clean(result.html, options)) {
    result.summary = std::move(*summary);
    return result;
  }
  // Last resort, not known to be reachable: the text alone.
  result = {};
  append_escaped_text(result.html, detail::fold_space(detail::fragment_text(input, true)));
  result.summary = html_to_text(result.html, kSummaryBytes);
  return result;
}

}  // namespace feedd::article
