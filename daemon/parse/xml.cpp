#include "parse/xml.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

#include "lib/curl/url.hpp"
#include "util/markup.hpp"

namespace feedd::parse::detail {
namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string_view prefix_of(std::string_view qname) {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

std::string_view local_of(std::string_view qname) {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

bool is_void_element(std::string_view name) {
  static constexpr std::array<std::string_view, 14> kVoid = {
      "area",  "base", "br",   "col",   "embed",  "hr",    "img",
      "input", "link", "meta", "param", "source", "track", "wbr"};
  return std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end();
}

bool is_xmlns(std::string_view attr) {
  return attr == "xmlns" || attr.starts_with("xmlns:");
}

void escape_into(std::string& out, std::string_view s, bool attribute) {
  append_escaped(out, s, attribute ? Escape::kAttribute : Escape::kText);
}

void open_tag(std::string& out, pugi::xml_node el) {
  out += '<';
  out += local_of(el.name());
  for (const auto& a : el.attributes()) {
    if (is_xmlns(a.name())) continue;
    out += ' ';
    out += a.name();
    out += "=\"";
    escape_into(out, a.value(), true);
    out += '"';
  }
  out += '>';
}

void close_tag(std::string& out, pugi::xml_node el) {
  const std::string_view name = local_of(el.name());
  if (is_void_element(name)) return;
  out += "</";
  out += name;
  out += '>';
}

}  // namespace

Scope Scope::enter(pugi::xml_node el) const {
  // Every child copies its parent's bindings, so their number must stay small: real feeds
  // declare a dozen or two, a hostile one could declare thousands on one element.
  static constexpr std::size_t kMaxBindings = 64;
  Scope s = *this;
  std::shared_ptr<Bindings> added;  // this element's copy, made at its first declaration
  std::size_t count = bindings_ ? bindings_->size() : 0;
  for (const auto& a : el.attributes()) {
    if (count >= kMaxBindings) break;
    const std::string_view name = a.name();
    if (name != "xmlns" && !name.starts_with("xmlns:")) continue;
    if (!added)
      added = bindings_ ? std::make_shared<Bindings>(*bindings_) : std::make_shared<Bindings>();
    added->emplace_back(name == "xmlns" ? std::string_view{} : name.substr(6), a.value());
    ++count;
  }
  if (added) s.bindings_ = std::move(added);
  // xml:base is relative to the base outside it (RFC 3986 section 5.1.1).
  if (const auto base = el.attribute("xml:base")) {
    if (auto resolved = lib::resolve_url(*base_, trim(base.value()))) {
      s.base_ = std::make_shared<const std::string>(std::move(*resolved));
      s.explicit_base_ = true;
    }
  }
  return s;
}

std::string_view Scope::lookup(std::string_view prefix) const {
  if (prefix == "xml") return ns::kXml;
  if (bindings_) {
    for (auto it = bindings_->rbegin(); it != bindings_->rend(); ++it) {
      if (it->first == prefix) return it->second;
    }
  }
  if (prefix.empty()) return ns::kNone;
  // Hand-written feeds use these prefixes without declaring them; their conventional URIs are
  // the only sensible reading. Declared prefixes never reach this point.
  if (prefix == "content") return ns::kContent;
  if (prefix == "dc") return ns::kDc;
  if (prefix == "dcterms") return ns::kDcTerms;
  if (prefix == "rdf") return ns::kRdf;
  return "urn:feedd:undeclared-prefix";
}

std::string_view Scope::uri(pugi::xml_node el) const {
  return lookup(prefix_of(el.name()));
}

bool Scope::is(pugi::xml_node el, std::string_view uri, std::string_view local) const {
  return el.type() == pugi::node_element && local_of(el.name()) == local && this->uri(el) == uri;
}

pugi::xml_attribute Scope::attribute(pugi::xml_node el, std::string_view uri,
                                     std::string_view local) const {
  for (const auto& a : el.attributes()) {
    const std::string_view name = a.name();
    if (is_xmlns(name) || local_of(name) != local) continue;
    const std::string_view prefix = prefix_of(name);
    // Unprefixed attributes belong to no namespace, whatever the default namespace is.
    if (prefix.empty() ? uri.empty() : lookup(prefix) == uri) return a;
  }
  return {};
}

std::string_view local_name(pugi::xml_node el) {
  return local_of(el.name());
}

std::string text(pugi::xml_node el, std::size_t max) {
  std::string out;
  for (pugi::xml_node n = el.first_child(); n && n != el;) {
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
      out += n.value();
      if (out.size() > max) break;
    }
    if (n.first_child()) {
      n = n.first_child();
      continue;
    }
    while (n != el && !n.next_sibling())
      n = n.parent();
    if (n != el) n = n.next_sibling();
  }
  // Trimmed in place: the text is often a whole CDATA body, not worth a second copy.
  const std::string_view t = trim(out);
  if (t.size() == out.size()) return out;
  if (t.empty()) return {};  // all white space; `t` then points nowhere
  const auto start = static_cast<std::size_t>(t.data() - out.data());
  out.erase(start + t.size());
  out.erase(0, start);
  return out;
}

std::string inner_html(pugi::xml_node el, std::size_t max) {
  std::string out;
  for (pugi::xml_node n = el.first_child(); n && n != el && out.size() <= max;) {
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
      escape_into(out, n.value(), false);
    } else if (n.type() == pugi::node_element) {
      open_tag(out, n);
      // A void element with children (repaired "<br>text</p>") keeps them after its tag.
      if (n.first_child()) {
        n = n.first_child();
        continue;
      }
      close_tag(out, n);
    }
    // Leave finished elements, closing each on the way up.
    while (n != el && !n.next_sibling()) {
      n = n.parent();
      if (n != el) close_tag(out, n);
    }
    if (n != el) n = n.next_sibling();
  }
  return out;
}

std::string text_trimmed(std::string_view s) {
  return std::string(trim(s));
}

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  escape_into(out, s, true);
  return out;
}

std::string absolute(std::string_view base, std::string_view ref) {
  ref = trim(ref);
  if (ref.empty()) return {};
  if (auto r = lib::resolve_url(base, ref)) return *r;
  return std::string(ref);
}

bool is_absolute_url(std::string_view s) {
  return lib::is_fetchable_url(s);
}

bool Context::room_for_item() {
  if (feed_.items.size() < options_.max_items) return true;
  ++dropped_items_;
  return false;
}

bool Context::complete(pugi::xml_node item) {
  if (std::find(unfinished_.begin(), unfinished_.end(), item) == unfinished_.end()) return true;
  ++incomplete_items_;
  return false;
}

std::string Context::bound(std::string s) {
  if (s.size() <= options_.max_field) return s;
  std::size_t k = options_.max_field;
  // Back up to the first byte of a UTF-8 sequence so no character is split.
  while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80)
    --k;
  s.resize(k);
  ++cut_fields_;
  return s;
}

namespace {

// The longest prefix of `s` of at most `max` bytes that does not split a UTF-8 sequence.
void cut_utf8(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t k = max;
  while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80)
    --k;
  s.resize(k);
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

void Context::add_tag(FeedItem& item, std::string_view tag) {
  if (item.tags.size() >= kMaxTags) return;
  std::string folded;
  bool space = false;
  // Look at no more than needed: a tag is a word or two, a megabyte of one is hostile.
  for (const char c : tag.substr(0, kMaxTagBytes * 4)) {
    if (is_ascii_space(c)) {
      space = !folded.empty();
      continue;
    }
    if (space) folded += ' ';
    space = false;
    folded += c;
  }
  cut_utf8(folded, kMaxTagBytes);
  while (!folded.empty() && folded.back() == ' ')
    folded.pop_back();
  if (folded.empty()) return;
  if (std::find(item.tags.begin(), item.tags.end(), folded) != item.tags.end()) return;
  item.tags.push_back(std::move(folded));
}

void Context::add_enclosure(FeedItem& item, std::string url, std::string_view type,
                            std::string_view length) {
  if (item.enclosures.size() >= kMaxEnclosures) return;
  if (url.empty() || url.size() > kMaxEnclosureUrlBytes) return;
  for (const auto& e : item.enclosures) {
    if (e.url == url) return;
  }
  Enclosure e;
  e.url = std::move(url);
  e.type = std::string(trim(type.substr(0, kMaxEnclosureTypeBytes * 2)));
  cut_utf8(e.type, kMaxEnclosureTypeBytes);
  const std::string_view digits = trim(length);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  // Many feeds write length="0" for "unknown"; RFC 4287 and RSS mean a byte count.
  if (ec == std::errc() && end == digits.data() + digits.size() && n > 0) e.length = n;
  item.enclosures.push_back(std::move(e));
}

void Context::add_item(FeedItem item) {
  item.title = bound(std::move(item.title));
  item.link = bound(std::move(item.link));
  item.guid = bound(std::move(item.guid));
  item.author = bound(std::move(item.author));
  item.html = bound(std::move(item.html));
  feed_.items.push_back(std::move(item));
}

void Context::finish() {
  if (dropped_items_ > 0) {
    feed_.warnings.push_back("dropped " + std::to_string(dropped_items_) +
                             " items past max_items (" + std::to_string(options_.max_items) + ")");
  }
  if (incomplete_items_ > 0) {
    feed_.warnings.push_back("skipped " + std::to_string(incomplete_items_) + " unfinished item" +
                             (incomplete_items_ == 1 ? "" : "s"));
  }
  if (cut_fields_ > 0) {
    feed_.warnings.push_back("cut " + std::to_string(cut_fields_) + " fields to max_field (" +
                             std::to_string(options_.max_field) + " bytes)");
  }
}

std::string content_base(const Scope& content_scope, const std::string& item_link) {
  if (content_scope.has_xml_base()) return content_scope.base();
  if (is_absolute_url(item_link)) return item_link;
  return content_scope.base();
}

}  // namespace feedd::parse::detail
