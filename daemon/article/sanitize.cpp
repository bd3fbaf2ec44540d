#include "article/sanitize.hpp"

#include <algorithm>
#include <array>

#include "lib/curl/url.hpp"
#include "util/ascii.hpp"

namespace feedd::article {
namespace {

// Elements kept, each a member of the W3C Feed Validator's acceptable_elements.
constexpr std::string_view kKept[] = {
    "a",          "abbr",    "address", "article", "aside",   "audio", "b",        "bdi",
    "blockquote", "br",      "caption", "cite",    "code",    "col",   "colgroup", "dd",
    "del",        "details", "dfn",     "div",     "dl",      "dt",    "em",       "figcaption",
    "figure",     "footer",  "h1",      "h2",      "h3",      "h4",    "h5",       "h6",
    "header",     "hr",      "i",       "img",     "ins",     "kbd",   "li",       "main",
    "mark",       "nav",     "ol",      "p",       "picture", "pre",   "q",        "rp",
    "rt",         "ruby",    "s",       "samp",    "section", "small", "source",   "span",
    "strong",     "sub",     "summary", "sup",     "table",   "tbody", "td",       "tfoot",
    "th",         "thead",   "time",    "tr",      "u",       "ul",    "var",      "video",
    "wbr"};

// Elements removed with their content: they run or load code (script, iframe, object, svg with
// its own scripts and links), collect input (form), change the host page (base, meta, link,
// style), or hold text that is not meant to be read (template, noscript fallbacks, options).
constexpr std::string_view kDropped[] = {
    "applet",   "area",        "base",     "bgsound", "button",   "canvas",    "datalist",
    "embed",    "fencedframe", "form",     "frame",   "frameset", "head",      "iframe",
    "input",    "keygen",      "link",     "math",    "meta",     "noembed",   "noframes",
    "noscript", "object",      "optgroup", "option",  "param",    "plaintext", "portal",
    "script",   "select",      "style",    "svg",     "template", "textarea",  "title",
    "track",    "xml",         "xmp"};

bool contains(const auto& list, std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ignored_byte(char c) {
  return static_cast<unsigned char>(c) <= 0x20;
}

// Attributes every kept element may have (style and data-* are handled on their own).
constexpr std::string_view kGlobal[] = {"class", "id", "title", "lang", "dir"};

struct ElementAttributes {
  std::vector<std::string_view> elements;
  std::vector<std::string_view> attributes;
};

// Per-element attributes, each a member of the validator's acceptable_attributes, but for the
// iframe's (whose element the validator never accepts) and `controls` on <video> and <audio>:
// without it most readers show a video as a still picture that cannot be started, and it runs
// nothing. The W3C validator warns of it (SecurityRiskAttr): a warning, not an error.
// Deliberately absent: every on*, href anywhere but <a>, action/formaction, srcdoc, xmlns,
// background, autoplay.
const std::vector<ElementAttributes>& attribute_rules() {
  static const std::vector<ElementAttributes> rules = {
      {{"a"}, {"href", "name", "rel", "target", "hreflang", "referrerpolicy"}},
      {{"img"},
       {"src", "alt", "width", "height", "referrerpolicy", "loading", "decoding", "srcset", "sizes",
        "align", "border"}},
      {{"video"},
       {"src", "poster", "width", "height", "loop", "muted", "preload", "playsinline", "controls"}},
      {{"audio"}, {"src", "loop", "muted", "preload", "controls"}},
      {{"source"}, {"src", "srcset", "type", "media", "sizes", "width", "height"}},
      {{"iframe"},
       {"src", "width", "height", "allowfullscreen", "frameborder", "loading", "referrerpolicy",
        "sandbox"}},
      {{"table"}, {"border", "cellpadding", "cellspacing", "width", "summary", "align"}},
      {{"td", "th"}, {"colspan", "rowspan", "headers", "align", "valign", "width", "height"}},
      {{"th"}, {"scope", "abbr"}},
      {{"tr", "thead", "tbody", "tfoot"}, {"align", "valign"}},
      {{"col", "colgroup"}, {"span", "width", "align", "valign"}},
      {{"ol"}, {"start", "type", "reversed"}},
      {{"ul"}, {"type"}},
      {{"li"}, {"value", "type"}},
      {{"time"}, {"datetime"}},
      {{"del", "ins"}, {"datetime", "cite"}},
      {{"q", "blockquote"}, {"cite"}},
      {{"details"}, {"open"}},
      {{"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "hr"}, {"align"}},
  };
  return rules;
}

bool element_allows(std::string_view element, std::string_view name) {
  const auto& rules = attribute_rules();
  return std::any_of(rules.begin(), rules.end(), [&](const ElementAttributes& rule) {
    return contains(rule.elements, element) && contains(rule.attributes, name);
  });
}

// One UTF-8 fullwidth form (U+FF01..U+FF5E) as its ASCII letter: old IE read "ｅｘｐｒｅｓｓｉｏｎ"
// as "expression". 0 when `s` does not start with one.
char fullwidth_ascii(std::string_view s) {
  if (s.size() < 3 || static_cast<unsigned char>(s[0]) != 0xEF) return 0;
  const auto b1 = static_cast<unsigned char>(s[1]);
  const auto b2 = static_cast<unsigned char>(s[2]);
  unsigned cp = 0;
  if (b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF) cp = 0xFF00 + (b2 - 0x80);
  if (b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E) cp = 0xFF40 + (b2 - 0x80);
  return cp == 0 ? 0 : static_cast<char>(cp - 0xFEE0);
}

// A CSS declaration as a substring test should see it: ASCII case-folded, fullwidth forms as
// ASCII, white space and controls dropped ("url (" and "ex pression" match too). Written into
// `out` (never longer than `d`), which the caller reuses.
std::string_view normalize_declaration(std::string_view d, std::string& out) {
  // ASCII bytes as they are kept: lower-case, or 0 for one that is dropped.
  static constexpr auto kFold = [] {
    std::array<char, 128> t{};
    for (unsigned b = 0x21; b < 0x80; ++b)
      t[b] = ascii_lower(static_cast<char>(b));
    return t;
  }();
  out.resize(d.size());
  char* w = out.data();
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto b = static_cast<unsigned char>(d[i]);
    if (b < 0x80) {
      if (const char c = kFold[b]; c != 0) *w++ = c;
    } else if (const char c = fullwidth_ascii(d.substr(i)); c != 0) {
      *w++ = ascii_lower(c);
      i += 2;
    } else {
      *w++ = d[i];
    }
  }
  return std::string_view(out.data(), static_cast<std::size_t>(w - out.data()));
}

// True when the declaration, normalised, contains none of: \  /*  url(  image(  image-set(
// cross-fade(  element(  src(  expression(  javascript:  vbscript:  livescript:  behavior
// binding  @import  position:fixed. One pass: each of them is looked for only where its anchor
// byte is ('\\', '*', '(', ':', 'b' or '@'), where sixteen find() calls scanned every style
// attribute sixteen times (WeChat writes one on nearly every element).
bool is_safe_declaration(std::string_view declaration) {
  static constexpr std::string_view kBeforeParenthesis[] = {
      "url", "image", "image-set", "cross-fade", "element", "src", "expression"};
  static constexpr std::string_view kBeforeColon[] = {"javascript", "vbscript", "livescript"};
  thread_local std::string buffer;  // a style attribute per element: no allocation for each
  const std::string_view v = normalize_declaration(declaration, buffer);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string_view before = v.substr(0, i);
    const std::string_view rest = v.substr(i);
    switch (v[i]) {
      case '\\':
        return false;
      case '*':
        if (before.ends_with('/')) return false;
        break;
      case '(':
        if (std::any_of(std::begin(kBeforeParenthesis), std::end(kBeforeParenthesis),
                        [&](std::string_view w) { return before.ends_with(w); })) {
          return false;
        }
        break;
      case ':':
        if (std::any_of(std::begin(kBeforeColon), std::end(kBeforeColon),
                        [&](std::string_view w) { return before.ends_with(w); })) {
          return false;
        }
        if (before.ends_with("position") && rest.substr(1).starts_with("fixed")) return false;
        break;
      case 'b':
        if (rest.starts_with("behavior") || rest.starts_with("binding")) return false;
        break;
      case '@':
        if (rest.starts_with("@import")) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

}  // namespace

ElementAction element_action(std::string_view name) {
  if (contains(kKept, name)) return ElementAction::keep;
  if (contains(kDropped, name)) return ElementAction::drop;
  return ElementAction::unwrap;
}

std::string url_scheme(std::string_view url) {
  std::string scheme;
  for (char c : url) {
    if (is_ignored_byte(c)) continue;
    if (c == ':') return scheme;
    const bool ok = scheme.empty() ? is_alpha(c)
                                   : is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
    if (!ok) return "";
    scheme += ascii_lower(c);
  }
  return "";  // no ':' at all: relative
}

std::optional<std::string> sanitize_srcset(std::string_view srcset, std::string_view base) {
  // HTML's "parse a srcset attribute": candidates are a URL (a run of non-space characters whose
  // trailing commas are not part of it) and descriptors up to the next comma outside parentheses.
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  };
  std::string out;
  std::size_t i = 0;
  const std::size_t n = srcset.size();
  while (true) {
    while (i < n && (is_space(srcset[i]) || srcset[i] == ','))
      ++i;
    if (i >= n) break;
    const std::size_t start = i;
    while (i < n && !is_space(srcset[i]))
      ++i;
    std::string_view url = srcset.substr(start, i - start);
    const bool had_commas = url.ends_with(',');
    while (url.ends_with(','))
      url.remove_suffix(1);
    std::string_view descriptors;
    if (!had_commas) {
      const std::size_t from = i;
      int depth = 0;
      for (; i < n && (srcset[i] != ',' || depth > 0); ++i) {
        if (srcset[i] == '(') ++depth;
        if (srcset[i] == ')' && depth > 0) --depth;
      }
      descriptors = srcset.substr(from, i - from);
      while (!descriptors.empty() && is_space(descriptors.front()))
        descriptors.remove_prefix(1);
      while (!descriptors.empty() && is_space(descriptors.back()))
        descriptors.remove_suffix(1);
    }
    const auto safe = lib::web_url(url, base);
    // Written back, a URL may end in a comma that was not its last character ("x,,?#": curl
    // drops the empty query and fragment), which a reader would take off it (fuzz_html): such a
    // candidate cannot be written as it is meant, so it goes.
    if (!safe || safe->ends_with(',')) continue;
    if (!out.empty()) out += ", ";
    out += *safe;
    if (!descriptors.empty()) {
      out += ' ';
      out += descriptors;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> sanitize_style(std::string_view css) {
  // Normalising is per character, and no fullwidth form holds a ';': what the check finds in a
  // declaration it finds in the whole. So a whole that passes is kept as it is, in one pass.
  if (is_safe_declaration(css)) return std::string(css);
  std::string kept;
  bool removed = false;
  bool first = true;
  std::size_t start = 0;
  while (start <= css.size()) {
    std::size_t end = css.find(';', start);
    if (end == std::string_view::npos) end = css.size();
    const std::string_view declaration = css.substr(start, end - start);
    if (is_safe_declaration(declaration)) {
      if (!first) kept += ';';
      kept += declaration;
      first = false;
    } else {
      removed = true;
    }
    start = end + 1;
  }
  if (!removed) return std::string(css);
  const bool empty =
      std::all_of(kept.begin(), kept.end(), [](char c) { return is_ignored_byte(c) || c == ';'; });
  if (empty) return std::nullopt;
  return kept;
}

std::optional<std::string> filter_attribute(std::string_view element, std::string_view name,
                                            std::string_view value, std::string_view base) {
  const auto keep = [&]() -> std::optional<std::string> { return std::string(value); };
  if (name == "style") return sanitize_style(value);
  if (name.starts_with("data-")) {
    if (!contains(kInertDataAttributes, name)) return std::nullopt;
    return contains(kLazyImageAttributes, name) ? lib::web_url(value, base) : keep();
  }
  if (contains(kGlobal, name)) return keep();
  if (!element_allows(element, name)) return std::nullopt;
  if (name == "alt") {
    // Alternative text is text, and themes build markup from it as a string: Hexo's landscape
    // does $(img).after('<span class="caption">' + alt + '</span>') and data-caption="' + alt
    // + '". Without < > " it cannot open a tag or leave an attribute there.
    std::string text(value);
    std::erase_if(text, [](char c) { return c == '<' || c == '>' || c == '"'; });
    return text;
  }
  if (name == "href" || name == "src" || name == "poster" || name == "cite") {
    return lib::web_url(value, base);
  }
  if (name == "srcset") return sanitize_srcset(value, base);
  if (name == "sandbox") return value == kIframeSandbox ? keep() : std::nullopt;
  return keep();
}

bool iframe_allowed(std::string_view src, const std::vector<std::string>& hosts) {
  // Only plain URLs: where libcurl and a browser could disagree about the host (a backslash is
  // a slash to a browser, userinfo, white space, IDN), the iframe goes.
  const bool plain = std::all_of(src.begin(), src.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F && c != '\\' && c != '@';
  });
  if (!plain) return false;
  const std::string scheme = url_scheme(src);
  if (scheme != "http" && scheme != "https") return false;
  const std::string host = lib::url_host(src);
  if (host.empty()) return false;
  return std::any_of(hosts.begin(), hosts.end(), [&](const std::string& allowed) {
    return allowed.size() == host.size() &&
           std::equal(allowed.begin(), allowed.end(), host.begin(),
                      [](char a, char b) { return ascii_lower(a) == b; });
  });
}

}  // namespace feedd::article
