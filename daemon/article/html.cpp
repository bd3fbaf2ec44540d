#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "article/article.hpp"
#include "article/html_text.hpp"
#include "lib/curl/url.hpp"
#include "lib/gumbo/html_tree.hpp"

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

// Attributes holding a URL that a browser may navigate to or load (local name, after any "ns:").
constexpr std::string_view kUrlAttributes[] = {"href",   "src",        "action", "formaction",
                                               "poster", "background", "lowsrc", "dynsrc",
                                               "cite",   "longdesc",   "data",   "codebase"};

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

// Browsers drop tabs and newlines anywhere in a URL and control characters or spaces around it
// before looking at the scheme; dropping every byte <= 0x20 is a superset of that.
bool is_script_url(std::string_view value) {
  std::string s;
  for (char c : value) {
    if (static_cast<unsigned char>(c) > 0x20) s += ascii_lower(c);
    if (s.size() >= 16) break;
  }
  return s.starts_with("javascript:") || s.starts_with("vbscript:") || s.starts_with("livescript:");
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

bool is_url_attribute(std::string_view name) {
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    name.remove_prefix(colon + 1);
  }
  return std::find(std::begin(kUrlAttributes), std::end(kUrlAttributes), name) !=
         std::end(kUrlAttributes);
}

bool is_placeholder(std::string_view src) {
  src = trim(src);
  if (src.empty() || starts_with_nocase(src, "data:")) return true;
  const std::string s = lower(src);
  return std::any_of(std::begin(kPlaceholderMarks), std::end(kPlaceholderMarks),
                     [&](std::string_view mark) { return s.find(mark) != std::string::npos; });
}

// Elements removed with everything inside them.
bool is_dropped(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_BASE:  // would change how the host page resolves its own relative URLs
    case GUMBO_TAG_META:  // http-equiv=refresh
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_PLAINTEXT:  // would turn the rest of the host page into text
      return true;
    default:
      return false;
  }
}

// Raw-text elements that, left unclosed, would swallow the rest of the host page.
bool needs_end_tag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_XMP:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_NOSCRIPT:
      return true;
    default:
      return false;
  }
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

// `strict` also escapes < and >, which a double-quoted value does not need but which keeps a
// value from reading as markup where the browser's parse differs from gumbo's (<noscript>).
void append_escaped_attribute(std::string& out, std::string_view value, bool strict) {
  for (char c : value) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '"') {
      out += "&quot;";
    } else if (strict && c == '<') {
      out += "&lt;";
    } else if (strict && c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
}

void append_escaped_text(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
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
      if (lazy && lazy->value && !trim(*lazy->value).empty() && !is_script_url(*lazy->value)) {
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
  if (!starts_with_nocase(chosen, "data:")) tag.image = chosen;

  Attribute* policy = find(tag.attributes, "referrerpolicy");
  if (policy == nullptr) {
    tag.attributes.push_back({"referrerpolicy", "referrerpolicy", "no-referrer"});
    tag.changed = true;
  } else if (!policy->value || lower(trim(*policy->value)) != "no-referrer") {
    policy->value = "no-referrer";
    tag.changed = true;
  }
}

SanitizedTag sanitize(const GumboElement& element, const RewriteOptions& options) {
  SanitizedTag tag;
  for (unsigned i = 0; i < element.attributes.length; ++i) {
    const GumboAttribute* a = lib::attribute(element.attributes, i);
    const std::string_view key = a->name;
    if (key.starts_with("on") || (is_url_attribute(key) && is_script_url(a->value))) {
      tag.changed = true;
      continue;
    }
    std::string written(lib::view(a->original_name));
    if (written.empty()) written = key;
    std::optional<std::string> value;
    if (a->original_value.length > 0) value = a->value;
    tag.attributes.push_back({std::string(key), std::move(written), std::move(value)});
  }
  if (element.tag == GUMBO_TAG_IMG) {
    rewrite_img(tag, options);
  } else if (element.tag == GUMBO_TAG_A) {
    Attribute* href = find(tag.attributes, "href");
    if (href != nullptr && href->value) {
      if (auto resolved = resolve(trim(*href->value), options);
          resolved && *resolved != *href->value) {
        href->value = std::move(*resolved);
        tag.changed = true;
      }
    }
  }
  return tag;
}

std::string serialize_tag(const GumboElement& element, const SanitizedTag& tag, bool self_closing,
                          bool strict) {
  std::string out = "<";
  out += tag_name(element);
  for (const auto& a : tag.attributes) {
    out += ' ';
    out += a.written;
    if (a.value) {
      out += "=\"";
      append_escaped_attribute(out, *a.value, strict);
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
        // An unterminated comment would hide the rest of the host page.
        const auto& text = node->v.text.original_text;
        if (const auto at = article_offset(text); at && !lib::view(text).ends_with(">")) {
          edits_.push_back({*at + text.length, *at + text.length, "-->"});
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
    if (is_dropped(element.tag)) {
      if (at) {
        std::size_t end = subtree_end(node, *at + element.original_tag.length);
        if (!has_own_end_tag(element)) end = past_unrecorded_end_tag(element, end);
        edits_.push_back({*at, end, ""});
      } else {
        hostile_ = true;  // no source position to cut it out by
      }
      return false;
    }
    // Clones made by the adoption agency share their original's tag bytes: edit those once.
    if (!at || !seen_.insert(*at).second) return true;
    const SanitizedTag tag = sanitize(element, options_);
    if (element.tag == GUMBO_TAG_IMG && first_image_.empty()) first_image_ = tag.image;
    if (tag.changed) {
      const bool self_closing = lib::view(element.original_tag).ends_with("/>");
      edits_.push_back({*at, *at + element.original_tag.length,
                        serialize_tag(element, tag, self_closing, false)});
    }
    if (needs_end_tag(element.tag) && element.tag_namespace == GUMBO_NAMESPACE_HTML &&
        !has_own_end_tag(element)) {
      const std::size_t end = subtree_end(node, *at + element.original_tag.length);
      if (end == tree_.source().size()) edits_.push_back({end, end, end_tag(element)});
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
        case GUMBO_NODE_WHITESPACE: {
          const GumboNode* parent = node->parent;
          const bool raw = parent != nullptr && parent->type == GUMBO_NODE_ELEMENT &&
                           parent->v.element.tag == GUMBO_TAG_STYLE;
          if (raw) {
            out += node->v.text.text;
          } else {
            append_escaped_text(out, node->v.text.text);
          }
          continue;
        }
        case GUMBO_NODE_ELEMENT:
        case GUMBO_NODE_TEMPLATE: {
          const GumboElement& element = node->v.element;
          const auto offset = tree_.offset_of(element.original_tag);
          const bool wrapper = element.tag == GUMBO_TAG_HTML || element.tag == GUMBO_TAG_HEAD ||
                               element.tag == GUMBO_TAG_BODY ||
                               (offset && *offset < kPrefix.size());
          if (is_dropped(element.tag) || element.tag == GUMBO_TAG_FRAMESET) continue;
          if (!wrapper) {
            const SanitizedTag tag = sanitize(element, options_);
            if (element.tag == GUMBO_TAG_IMG && first_image.empty()) first_image = tag.image;
            out += serialize_tag(element, tag, false, true);
            if (is_void(element.tag)) continue;
            stack.push_back({nullptr, end_tag(element)});
          }
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

// True when `html`, read inside a <div> of a page, holds nothing the sanitiser removes. Removing
// bytes changes the context the rest is parsed in (a dropped <embed> no longer breaks out of
// <math>, a dropped <form> no longer hides a nested one), so the result is checked by parsing
// it again rather than trusted.
bool is_clean(std::string_view html) {
  std::string source;
  source.reserve(kPrefix.size() + html.size());
  source += kPrefix;
  source += html;
  const auto tree = lib::HtmlTree::parse(std::move(source));
  if (!tree) return false;
  // Browsers run with scripting on and read <noscript> as raw text up to "</noscript": inside
  // one, that string anywhere would end it where gumbo (scripting off) does not.
  const auto breaks_noscript = [](std::string_view text) {
    return lower(text).find("</noscript") != std::string::npos;
  };
  struct Item {
    const GumboNode* node;
    bool in_noscript;
  };
  std::vector<Item> stack{{tree->document(), false}};
  while (!stack.empty()) {
    auto [node, in_noscript] = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
      const GumboElement& element = node->v.element;
      if (is_dropped(element.tag) || element.tag == GUMBO_TAG_FRAMESET) return false;
      const bool page = element.tag == GUMBO_TAG_HTML || element.tag == GUMBO_TAG_HEAD ||
                        element.tag == GUMBO_TAG_BODY;
      if (page && element.attributes.length > 0) return false;
      for (unsigned i = 0; i < element.attributes.length; ++i) {
        const GumboAttribute* a = lib::attribute(element.attributes, i);
        const std::string_view key = a->name;
        if (key.starts_with("on") || (is_url_attribute(key) && is_script_url(a->value))) {
          return false;
        }
        if (in_noscript && breaks_noscript(lib::view(a->original_value))) return false;
      }
      in_noscript = in_noscript || element.tag == GUMBO_TAG_NOSCRIPT;
    } else if (node->type != GUMBO_NODE_DOCUMENT) {
      if (in_noscript && breaks_noscript(lib::view(node->v.text.original_text))) return false;
    }
    const GumboVector& children = lib::children_of(node);
    for (unsigned i = 0; i < children.length; ++i) {
      stack.push_back({lib::child(children, i), in_noscript});
    }
  }
  return true;
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
  if (is_clean(result.html)) return result;
  result = rewriter.serialize_all();
  if (is_clean(result.html)) return result;
  // Last resort, not known to be reachable: the text alone.
  result = {};
  append_escaped_text(result.html, detail::fold_space(detail::fragment_text(input, true)));
  return result;
}

}  // namespace feedd::article
