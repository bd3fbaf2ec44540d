#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "article/article.hpp"
#include "article/html_text.hpp"
#include "article/sanitize.hpp"
#include "lib/curl/url.hpp"
#include "lib/gumbo/html_tree.hpp"
#include "lib/gumbo/text.hpp"
#include "lib/iconv/iconv.hpp"
#include "lib/myhtml/fragment.hpp"
#include "util/ascii.hpp"
#include "util/image_name.hpp"

namespace feedd::article {
namespace {

// Where lazy-loading pages keep an image's real URL, in the order they are tried.
constexpr std::string_view kLazySources[] = {"data-original", "data-src",      "data-actualsrc",
                                             "data-lazy-src", "data-lazyload", "data-echo",
                                             "file"};

constexpr std::string_view kPlaceholderMarks[] = {
    "placeholder", "blank.gif",       "lazy",      "loading", "grey.gif", "gray.gif",
    "spacer.gif",  "transparent.gif", "pixel.gif", "1x1"};

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

// A src that a lazy-load attribute should replace: an obvious placeholder image.
bool is_placeholder(std::string_view url) {
  const std::string s = ascii_lower(url);
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

// The code points gumbo replaces with U+FFFD when they come raw (controls other than tab, LF,
// FF and CR; noncharacters), which only a character reference carries into its text. True when
// the UTF-8 sequence at s[i] is one; `length` gets its length in bytes. `s`: valid UTF-8.
bool unreadable_at(std::string_view s, std::size_t i, std::size_t& length) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) {
    length = 1;
    return (lead < 0x20 && lead != '\t' && lead != '\n' && lead != '\f' && lead != '\r') ||
           lead == 0x7F;
  }
  length = std::min<std::size_t>(lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2, s.size() - i);
  std::uint32_t cp = lead & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < length; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

// The lead bytes that can start an unreadable code point: a table, one load per byte of the
// article's text, where five compares showed in profiles.
constexpr auto kSuspect = [] {
  std::array<bool, 256> t{};
  for (unsigned b = 0; b < 0x20; ++b)
    t[b] = true;
  for (unsigned b = 0xF0; b < 0x100; ++b)
    t[b] = true;
  t[0x7F] = t[0xC2] = t[0xEF] = true;
  return t;
}();

// `s` with each unreadable code point (unreadable_at) as U+FFFD, so that the output reads back
// as written. `s` is gumbo's text: valid UTF-8. Returns `s` itself when there is none (the
// common case: no copy), else `storage`, which it fills.
std::string_view without_unreadable(std::string_view s, std::string& storage) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::size_t length = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!kSuspect[static_cast<unsigned char>(s[i])]) {
      ++i;
    } else if (!unreadable_at(s, i, length)) {
      i += length;
    } else {
      break;
    }
  }
  if (i == s.size()) return s;
  storage.assign(s.substr(0, i));
  while (i < s.size()) {
    if (unreadable_at(s, i, length)) {
      storage += kReplacement;
    } else {
      storage.append(s.substr(i, length));
    }
    i += length;
  }
  return storage;
}

// HTML's serialisation of text (and, with `attribute`, of a double-quoted attribute value):
// & < > (and ") as entities, U+00A0 as &nbsp; so that a no-break space stays visible in the
// article file, and a CR as &#13; (raw, the parser would read it as LF).
void append_html_escaped(std::string& out, std::string_view s, bool attribute) {
  // The bytes that may need replacing; runs of the others are appended whole.
  static constexpr auto kMaybe = [] {
    std::array<bool, 256> t{};
    for (const char c : std::string_view("&<>\"\r\xC2"))
      t[static_cast<unsigned char>(c)] = true;
    return t;
  }();
  const char* from = s.data();
  const char* p = from;
  const char* const end = from + s.size();
  const auto flush = [&](std::string_view replacement, std::size_t skip) {
    out.append(from, p);
    out += replacement;
    p += skip;
    from = p;
  };
  while (true) {
    while (p != end && !kMaybe[static_cast<unsigned char>(*p)])
      ++p;
    if (p == end) break;
    switch (*p) {
      case '&':
        flush("&amp;", 1);
        break;
      case '<':
        flush("&lt;", 1);
        break;
      case '>':
        flush("&gt;", 1);
        break;
      case '"':
        if (attribute) {
          flush("&quot;", 1);
        } else {
          ++p;
        }
        break;
      case '\r':
        flush("&#13;", 1);
        break;
      default:  // 0xC2
        if (p + 1 != end && p[1] == '\xA0') {
          flush("&nbsp;", 2);
        } else {
          ++p;
        }
        break;
    }
  }
  out.append(from, end);
}

// append_html_escaped(out, without_unreadable(s, storage), attribute), returning the text it
// escaped (`s`, or `storage`): in one scan of `s` when nothing in it is unreadable (the common
// case), where the two made two.
std::string_view append_readable_escaped(std::string& out, std::string_view s, bool attribute,
                                         std::string& storage) {
  constexpr unsigned char kEscape = 1;  // may need an entity
  constexpr unsigned char kLead = 2;    // may start an unreadable code point
  static constexpr auto kClass = [] {
    std::array<unsigned char, 256> t{};
    for (unsigned b = 0; b < 0x100; ++b)
      t[b] = kSuspect[b] ? kLead : 0;
    for (const char c : std::string_view("&<>\"\r\xC2"))
      t[static_cast<unsigned char>(c)] |= kEscape;
    return t;
  }();
  const std::size_t mark = out.size();
  const std::size_t n = s.size();
  std::size_t from = 0;
  std::size_t i = 0;
  while (true) {
    while (i < n && kClass[static_cast<unsigned char>(s[i])] == 0)
      ++i;
    if (i == n) break;
    std::string_view entity;
    std::size_t skip = 1;
    switch (s[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        if (attribute) entity = "&quot;";
        break;
      case '\r':
        entity = "&#13;";
        break;
      case '\xC2':
        if (i + 1 < n && s[i + 1] == '\xA0') {
          entity = "&nbsp;";
          skip = 2;
        }
        break;
      default:
        break;
    }
    if (!entity.empty()) {
      out.append(s.substr(from, i - from));
      out += entity;
      i += skip;
      from = i;
    } else if ((kClass[static_cast<unsigned char>(s[i])] & kLead) == 0) {
      ++i;  // a '"' in text
    } else if (std::size_t length = 0; !unreadable_at(s, i, length)) {
      i += length;
    } else {
      // Rare: start again from the readable copy.
      out.resize(mark);
      const std::string_view readable = without_unreadable(s, storage);
      append_html_escaped(out, readable, attribute);
      return readable;
    }
  }
  out.append(s.substr(from));
  return s;
}

// `s` (myhtml's text or attribute value) as valid UTF-8: `s` itself, or a repaired copy
// appended to `storage`. myhtml can break a sequence (a NUL before a multi-byte character cost
// it a byte: found by fuzz_html), and all that follows the parse assumes valid UTF-8.
std::string_view valid_utf8(std::string_view s, std::deque<std::string>& storage) {
  if (lib::is_valid_utf8(s)) return s;
  return storage.emplace_back(lib::to_utf8(s, "UTF-8")->text);
}

// An attribute value of myhtml's as it is written: valid_utf8, and each unreadable code point
// (unreadable_at) as U+FFFD. Before the allowlist and the URL contract look at it, not after:
// myhtml keeps the raw controls that gumbo replaced, and a srcset split at a control, then
// written with U+FFFD in its place, read back as another list (fuzz_html).
std::string_view readable_value(std::string_view s, std::deque<std::string>& storage) {
  const std::string_view valid = valid_utf8(s, storage);
  std::string replaced;
  const std::string_view readable = without_unreadable(valid, replaced);
  if (readable.data() == valid.data()) return valid;
  return storage.emplace_back(std::move(replaced));
}

// One element of the parsed tree, as the serialiser looks at it. The element predicates below
// (and lib::is_block_element, which the summary shares with html_to_text) speak gumbo's tag
// enumeration: myhtml's known tags are mapped onto it by name, and an element either library
// does not know is GUMBO_TAG_UNKNOWN, decided by its name.
struct Element {
  myhtml_tree_node_t* node;
  GumboTag tag;
  // Lower-case, unknown ones ("o:p", "my-widget") included. Only names on the allowlist are ever
  // written, so whatever bytes an unknown name holds never reach the output.
  std::string_view name;
  bool html;  // in HTML's namespace
};

GumboTag gumbo_tag(myhtml_tree_t* tree, myhtml_tag_id_t id) {
  // myhtml's known tags have the same ids in every tree: the table is made once.
  static const auto kTags = [tree] {
    std::array<GumboTag, MyHTML_TAG_LAST_ENTRY> t{};
    for (myhtml_tag_id_t i = 0; i < MyHTML_TAG_LAST_ENTRY; ++i) {
      std::size_t length = 0;
      const char* name = myhtml_tag_name_by_id(tree, i, &length);
      t[i] = name == nullptr || length == 0 ? GUMBO_TAG_UNKNOWN
                                            : gumbo_tagn_enum(name, static_cast<unsigned>(length));
    }
    return t;
  }();
  return id < MyHTML_TAG_LAST_ENTRY ? kTags[id] : GUMBO_TAG_UNKNOWN;
}

Element element_of(myhtml_tree_t* tree, myhtml_tree_node_t* node) {
  return {node, gumbo_tag(tree, myhtml_node_tag_id(node)), lib::element_name(tree, node),
          myhtml_node_namespace(node) == MyHTML_NAMESPACE_HTML};
}

// The value of the first attribute `name` of `node` as readable_value gives it (`storage` holds
// a copy it makes); nullopt when it has none.
std::optional<std::string_view> attribute_value(myhtml_tree_node_t* node, std::string_view name,
                                                std::deque<std::string>& storage) {
  for (myhtml_tree_attr_t* a = myhtml_node_attribute_first(node); a != nullptr;
       a = myhtml_attribute_next(a)) {
    std::size_t length = 0;
    const char* key = myhtml_attribute_key(a, &length);
    if (key != nullptr && std::string_view(key, length) == name) {
      const char* value = myhtml_attribute_value(a, &length);
      return value == nullptr ? std::string_view{}
                              : readable_value(std::string_view(value, length), storage);
    }
  }
  return std::nullopt;
}

// --- where a parser would not rebuild the tree from its balanced serialisation -------------
//
// A tree the parser built (foster-parented text, the adoption agency's clones, an unwrapped
// element's children moved up) can hold a start tag in a place where the parser, reading the
// serialisation, would close or move something first: an <li> in an <a> in an <li>, a <div> in
// a <p> with a <span> between, an <h2> in an <h1>, text right inside a <table>. The serialiser
// tracks what the HTML tree builder (in body, table, row and cell modes) would do with each
// start tag and text it writes, given the elements it has open; where the parser would do
// anything but append, the output is parsed and written once more.

bool is_heading(GumboTag tag) {
  return tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6;
}

// Elements of HTML's "special" category that the allowlist can write.
bool is_special(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_WBR:
      return true;
    default:
      return is_heading(tag);
  }
}

// Start tags that close a <p> in button scope first.
bool closes_p(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_UL:
      return true;
    default:
      return is_heading(tag);
  }
}

// Where "has an element in (button) scope" stops looking; the cells and caption are also the
// markers of the list of active formatting elements.
bool is_scope_boundary(GumboTag tag) {
  return tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH ||
         tag == GUMBO_TAG_CAPTION;
}

bool is_table_part(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      return true;
    default:
      return false;
  }
}

// One element the serialiser has open, with what the tree builder's scope checks would find at
// or below it, so that each check costs O(1) however deep the nesting.
struct OpenElement {
  GumboTag tag = GUMBO_TAG_UNKNOWN;  // of the fragment's root: none of the below
  bool p_in_button_scope = false;
  bool li_would_close = false;     // an <li> start tag would close an open <li>
  bool dd_dt_would_close = false;  // likewise for <dd>/<dt>
  bool a_is_active = false;        // an <a> in the active formatting elements, past the last marker
  bool ruby_in_scope = false;

  OpenElement child(GumboTag t) const {
    const bool stops_list_search =
        is_special(t) && t != GUMBO_TAG_ADDRESS && t != GUMBO_TAG_DIV && t != GUMBO_TAG_P;
    return {t,
            t == GUMBO_TAG_P || (p_in_button_scope && !is_scope_boundary(t)),
            t == GUMBO_TAG_LI || (li_would_close && !stops_list_search),
            t == GUMBO_TAG_DD || t == GUMBO_TAG_DT || (dd_dt_would_close && !stops_list_search),
            t == GUMBO_TAG_A || (a_is_active && !is_scope_boundary(t)),
            t == GUMBO_TAG_RUBY || (ruby_in_scope && !is_scope_boundary(t))};
  }
};

// True when the tree builder, with `open` current, would insert a start tag `tag` as its last
// child and change nothing else.
bool appends_start_tag(const OpenElement& open, GumboTag tag) {
  switch (open.tag) {  // table, table body, row and column group modes
    case GUMBO_TAG_TABLE:
      return tag == GUMBO_TAG_CAPTION || tag == GUMBO_TAG_COLGROUP || tag == GUMBO_TAG_TBODY ||
             tag == GUMBO_TAG_THEAD || tag == GUMBO_TAG_TFOOT;
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
      return tag == GUMBO_TAG_TR;
    case GUMBO_TAG_TR:
      return tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH;
    case GUMBO_TAG_COLGROUP:
      return tag == GUMBO_TAG_COL;
    default:
      break;
  }
  if (is_table_part(tag)) return false;  // ignored in body, or closes the cell or caption
  if (closes_p(tag) && open.p_in_button_scope) return false;
  if (is_heading(tag) && is_heading(open.tag)) return false;
  if (tag == GUMBO_TAG_LI && open.li_would_close) return false;
  if ((tag == GUMBO_TAG_DD || tag == GUMBO_TAG_DT) && open.dd_dt_would_close) return false;
  if (tag == GUMBO_TAG_A && open.a_is_active) return false;
  if ((tag == GUMBO_TAG_RP || tag == GUMBO_TAG_RT) && open.ruby_in_scope) {
    switch (open.tag) {  // "generate implied end tags, except for rtc elements"
      case GUMBO_TAG_DD:
      case GUMBO_TAG_DT:
      case GUMBO_TAG_LI:
      case GUMBO_TAG_P:
      case GUMBO_TAG_RB:
      case GUMBO_TAG_RP:
      case GUMBO_TAG_RT:
        return false;
      default:
        break;
    }
  }
  return true;
}

// True when text with `open` current is appended to it: not so for anything but white space
// in a table, table section, row or column group (foster-parented, or it closes the group).
bool appends_text(const OpenElement& open, std::string_view text) {
  switch (open.tag) {
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_COLGROUP:
      return text.find_first_not_of(" \t\n\f\r") == std::string_view::npos;
    default:
      return true;
  }
}

// One attribute of an element being written. Nothing is copied until it is known to stay: the
// name and the value as read are views into the tree (or literals), and `value` is what is
// written, made only for an attribute that is kept.
struct Attribute {
  std::string_view name;                // lower-case, as gumbo normalises it
  std::optional<std::string_view> raw;  // the value read; nullopt: none (a bare attribute)
  std::optional<std::string> value;     // the value written; set for a kept `raw` or a checked one
  bool checked = false;  // already allowlisted and under the URL contract (an img's chosen src)
};

Attribute* find(std::vector<Attribute>& attributes, std::string_view name) {
  for (auto& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

void ensure_no_referrer(std::vector<Attribute>& attributes) {
  static constexpr std::string_view kNoReferrer = "no-referrer";
  if (Attribute* policy = find(attributes, "referrerpolicy")) {
    policy->raw = kNoReferrer;
  } else {
    attributes.push_back({"referrerpolicy", kNoReferrer, std::nullopt});
  }
}

// The image's URL: its src, unless that is missing, fails the URL contract or is a placeholder
// and a lazy-load attribute holds one that passes (the first that does); then through
// `image_proxy` for http://. Idempotent: the src it writes wins again, for the lazy attributes
// that are kept come first in kLazySources.
void rewrite_img(std::vector<Attribute>& attributes, const RewriteOptions& options) {
  const auto url_of = [&](const Attribute* a) -> std::optional<std::string> {
    if (a == nullptr || !a->raw || trim(*a->raw).empty()) return std::nullopt;
    return lib::web_url(*a->raw, options.base_url);
  };
  Attribute* src = find(attributes, "src");
  if (options.image_url && src != nullptr && src->raw && is_local_image_path(*src->raw)) {
    src->value = std::string(*src->raw);
    src->checked = true;
    return ensure_no_referrer(attributes);
  }
  std::optional<std::string> chosen = url_of(src);
  if (!chosen || is_placeholder(*chosen)) {
    for (std::string_view name : kLazySources) {
      if (auto lazy = url_of(find(attributes, name))) {
        chosen = std::move(lazy);
        break;
      }
    }
  }
  std::optional<std::string> mapped;
  if (chosen && options.image_url) {
    mapped = options.image_url(*chosen);
    // Whoever maps, the URL contract holds for what is written.
    if (mapped && !is_local_image_path(*mapped)) mapped = lib::web_url(*mapped);
  }
  if (mapped) {
    chosen = std::move(mapped);
  } else if (chosen && !options.image_proxy.empty() && chosen->starts_with("http://")) {
    // web_url writes the scheme lower-case.
    chosen = lib::web_url(options.image_proxy + *chosen);
  }
  if (src != nullptr) {
    if (!chosen) {
      attributes.erase(attributes.begin() + (src - attributes.data()));
    } else {
      src->value = std::move(chosen);
      src->checked = true;
    }
  } else if (chosen) {
    attributes.push_back({"src", std::nullopt, std::move(chosen), true});
  }
  ensure_no_referrer(attributes);
}

// What becomes of an element: element_action() by name, except that an iframe stays when its
// src, under the URL contract, is on the configured host list, and that nothing outside HTML's
// namespace stays (only <svg> and <math> lead there, and both are dropped).
ElementAction decide(const Element& element, const RewriteOptions& options) {
  if (!element.html) return ElementAction::drop;
  if (element.tag == GUMBO_TAG_UNKNOWN) return element_action(element.name);
  if (element.tag != GUMBO_TAG_IFRAME) {
    // element_action() of a known tag's name, looked up once per tag: the allowlist search and
    // the name's copy cost more than the rest of deciding.
    static const auto kActions = [] {
      std::array<ElementAction, GUMBO_TAG_LAST> t{};
      for (int tag = 0; tag < GUMBO_TAG_LAST; ++tag)
        t[tag] = element_action(gumbo_normalized_tagname(static_cast<GumboTag>(tag)));
      return t;
    }();
    return kActions[element.tag];
  }
  std::deque<std::string> storage;
  const auto src = attribute_value(element.node, "src", storage);
  if (!src || options.iframe_hosts.empty()) return ElementAction::drop;
  const auto url = lib::web_url(*src, options.base_url);
  return url && iframe_allowed(*url, options.iframe_hosts) ? ElementAction::keep
                                                           : ElementAction::drop;
}

// The attributes an element keeps, in source order, into `kept` (cleared first; a buffer the
// serialiser reuses): image rewriting first, then the allowlist (filter_attribute, with the URL
// contract), then the sandbox of a kept iframe. myhtml has lower-cased the names; of repeated
// attributes the first is kept, as HTML's tokenizer does (myhtml keeps them all). The views in
// `kept` point into the tree.
void clean_attributes(const Element& element, std::string_view name, const RewriteOptions& options,
                      std::vector<Attribute>& kept, std::deque<std::string>& repaired) {
  kept.clear();
  repaired.clear();
  // Past a few attributes, repeats are looked up in a set: an element's attribute count is the
  // upstream's to choose.
  constexpr std::size_t kLinearSearch = 16;
  std::unordered_set<std::string_view> seen;
  for (myhtml_tree_attr_t* a = myhtml_node_attribute_first(element.node); a != nullptr;
       a = myhtml_attribute_next(a)) {
    std::size_t length = 0;
    const char* key = myhtml_attribute_key(a, &length);
    if (key == nullptr || length == 0) continue;
    const std::string_view attribute_name(key, length);
    if (kept.size() < kLinearSearch) {
      if (find(kept, attribute_name) != nullptr) continue;
    } else {
      if (seen.empty()) {
        for (const Attribute& k : kept)
          seen.insert(k.name);
      }
      if (!seen.insert(attribute_name).second) continue;
    }
    // A bare attribute has no value at all; myhtml tells it from an empty one only by where
    // the value was read (an attribute never starts the input).
    std::optional<std::string_view> raw;
    if (const char* value = myhtml_attribute_value(a, &length); value != nullptr && length > 0) {
      raw = readable_value(std::string_view(value, length), repaired);
    } else if (myhtml_attribute_value_raw_position(a).begin != 0) {
      raw = std::string_view{};
    }
    kept.push_back({attribute_name, raw, std::nullopt});
  }
  if (element.tag == GUMBO_TAG_IMG) rewrite_img(kept, options);
  const auto dropped = [&](Attribute& a) {
    if (a.checked) return false;
    std::optional<std::string> filtered =
        filter_attribute(name, a.name, a.raw.value_or(std::string_view{}), options.base_url);
    if (!filtered) return true;
    if (a.raw) a.value = std::move(*filtered);
    return false;
  };
  std::erase_if(kept, dropped);
  if (element.tag == GUMBO_TAG_IFRAME && find(kept, "sandbox") == nullptr) {
    kept.push_back({"sandbox", std::nullopt, std::string(kIframeSandbox)});
  }
}

// Writes the sanitised tree as HTML: allowlisted elements and attributes only, names lower-case,
// values double-quoted and escaped, text escaped, void elements without end tags, and every
// element it opens closed. No byte of the input is copied unparsed, so the output is balanced
// whatever the input was: it cannot close an element it did not open. Its text (for the summary)
// is collected on the way, as html_to_text would find it in the output.
class Serializer {
 public:
  explicit Serializer(const RewriteOptions& options) : options_(options), folder_(text_) {}

  // Writes the children of `container` (a fragment's <html> root) of `tree`.
  void write_children(myhtml_tree_t* tree, myhtml_tree_node_t* container) {
    struct Item {
      myhtml_tree_node_t* node;  // nullptr: the end of an element
      std::string end_tag;       // with node == nullptr: "</name>"
      bool block = false;        // with node == nullptr: the end of a text block
    };
    open_.assign(1, OpenElement{});
    std::vector<Item> stack;  // explicit: nesting depth is the upstream's to choose
    const auto push_children = [&](myhtml_tree_node_t* node) {
      for (myhtml_tree_node_t* c = myhtml_node_last_child(node); c != nullptr;
           c = myhtml_node_prev(c))
        stack.push_back({c, {}});
    };
    push_children(container);
    while (!stack.empty()) {
      Item item = std::move(stack.back());
      stack.pop_back();
      if (item.node == nullptr) {
        pre_opened_ = false;
        out_ += item.end_tag;
        open_.pop_back();
        if (item.block) add_text(" ");
        continue;
      }
      myhtml_tree_node_t* node = item.node;
      const myhtml_tag_id_t id = myhtml_node_tag_id(node);
      if (id == MyHTML_TAG__TEXT) {
        std::size_t length = 0;
        const char* data = myhtml_node_text(node, &length);
        const std::string_view raw = valid_utf8(
            data == nullptr ? std::string_view{} : std::string_view(data, length), repaired_);
        // A line feed is never unreadable: the raw text starts with one when the written does.
        if (pre_opened_ && raw.starts_with('\n')) out_ += '\n';
        pre_opened_ = false;
        std::string storage;
        const std::string_view text = append_readable_escaped(out_, raw, false, storage);
        if (!appends_text(open_.back(), text)) unstable_ = true;
        add_text(text);
        continue;
      }
      // Comments go: conditional comments run in old IE, and parsers disagree on them.
      if (id == MyHTML_TAG__COMMENT || id == MyHTML_TAG__DOCTYPE || id == MyHTML_TAG__UNDEF) {
        continue;
      }
      const Element element = element_of(tree, node);
      const ElementAction action = decide(element, options_);
      if (action == ElementAction::drop) continue;
      if (action == ElementAction::unwrap) {
        push_children(node);  // they move up a level: appends_start_tag() checks them there
        continue;
      }
      const std::string_view name = element.name;
      clean_attributes(element, name, options_, attributes_, repaired_);
      if (!appends_start_tag(open_.back(), element.tag)) unstable_ = true;
      pre_opened_ = false;
      out_ += '<';
      out_ += name;
      for (const Attribute& a : attributes_) {
        out_ += ' ';
        out_ += a.name;
        if (a.value) {
          out_ += "=\"";
          std::string storage;
          append_readable_escaped(out_, *a.value, true, storage);
          out_ += '"';
        }
        if (element.tag == GUMBO_TAG_IMG && a.name == "src" && a.value && first_image_.empty()) {
          first_image_ = *a.value;
        }
      }
      out_ += '>';
      const bool block = lib::is_block_element(element.tag);
      if (block) add_text(" ");
      if (is_void(element.tag)) {
        if (block) add_text(" ");
        continue;
      }
      std::string end_tag = "</";
      end_tag += name;
      end_tag += '>';
      if (element.tag == GUMBO_TAG_IFRAME) {  // its content is a fallback no browser shows
        out_ += end_tag;
        continue;
      }
      // The parser drops a newline right after <pre>: one that is content needs another. The
      // first thing written in it decides, which may come from an unwrapped child.
      pre_opened_ = element.tag == GUMBO_TAG_PRE;
      stack.push_back({nullptr, std::move(end_tag), block});
      open_.push_back(open_.back().child(element.tag));
      push_children(node);
    }
  }

  // True when the output may parse to another tree than the one written (see
  // appends_start_tag): it must be parsed and written again to be stable.
  bool unstable() const { return unstable_; }

  RewriteResult take() {
    return {std::move(out_), std::move(first_image_), detail::summary_of(text_, kSummaryBytes)};
  }

 private:
  void add_text(std::string_view text) {
    // A prefix is enough for the summary (summary_of looks at kSummaryBytes at most).
    if (text_.size() <= kSummaryBytes) folder_.add(text, kSummaryBytes);
  }

  const RewriteOptions& options_;
  std::string out_;
  std::string first_image_;
  std::string text_;
  detail::TextFolder folder_;
  std::vector<OpenElement> open_;      // the elements written and not yet closed; [0]: the root
  std::vector<Attribute> attributes_;  // the current element's, kept between elements to reuse
  std::deque<std::string> repaired_;   // valid_utf8's copies, for the current node
  bool unstable_ = false;
  bool pre_opened_ = false;  // the last thing written is a <pre> start tag
};

std::optional<lib::HtmlFragment> parse_fragment(std::string_view html) {
  // As a reader inserts it and as the post's <div> holds it: a fragment in <div> context, where
  // <html>, <body> and <frameset> tags and stray end tags are ignored.
  return lib::HtmlFragment::parse(html, {.context = MyHTML_TAG_DIV});
}

}  // namespace

RewriteResult rewrite_html(std::string_view html, const RewriteOptions& options) {
  std::string_view input = html.substr(0, lib::html_cut_point(html));
  std::string last;  // the repaired input, then the output of an unstable round
  // myhtml passes invalid UTF-8 through; a browser reads each bad byte as U+FFFD.
  if (!lib::is_valid_utf8(input)) {
    last = lib::to_utf8(input, "UTF-8")->text;
    input = last;
  }
  // NULs go before the parse: myhtml mishandles them (the character after one loses a byte),
  // and HTML ignores a NUL in the text of a body; where it would read U+FFFD instead (attribute
  // values, names, comments, raw text), the allowlist and the URL contract decide alike.
  if (input.find('\0') != std::string_view::npos) {
    std::string without(input);
    std::erase(without, '\0');
    last = std::move(without);
    input = last;
  }
  // Almost always one round. Each further one writes what the parser made of the last output;
  // the tests and fuzz_html check that rewriting the result again changes nothing. The bound
  // keeps a pathological input from looping, at the cost of returning its last round as it is.
  // Deeply nested links took myhtml five rounds where gumbo's bound was four (fuzz_html,
  // tests/data/article/regress/html_nested_links_stable_after_five_rounds).
  constexpr int kMaxRounds = 8;
  RewriteResult result;
  for (int round = 0; round < kMaxRounds; ++round) {
    const auto tree = parse_fragment(input);
    if (!tree) return {};  // a pathological document that exhausted the parser's budget
    Serializer serializer(options);
    serializer.write_children(tree->tree(), tree->root());
    result = serializer.take();
    if (!serializer.unstable()) break;
    last = result.html;
    input = last;
  }
  return result;
}

bool is_local_image_path(std::string_view path) {
  const auto slash = path.rfind('/');
  return lib::is_site_path(path) && slash != std::string_view::npos &&
         is_image_file_name(path.substr(slash + 1));
}

}  // namespace feedd::article
